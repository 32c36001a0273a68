/*
 * restore.h - undoing a run from its journal: servers (through a callback to the
 * cloud part), fake computes, patches, files (sha256 checked), directories, then
 * the units the run touched, with their original config. Used by hostchange at
 * the end of every run and before a run starts (a killed run's journal), and by
 * `greenbench restore`. Never prints (progress callback), never exits.
 */
#ifndef GB_RESTORE_H
#define GB_RESTORE_H

#include <stdbool.h>

#include "base/gb.h"
#include "host/journal.h"

struct restore_opts {
	const char *state_dir;   /* restore_host: NULL: journal_state_dir's default */
	/* one progress line (no newline), e.g. "restored /etc/nova/nova.conf (sha256 ... verified)" */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
	/* each server the journal still lists goes to this (may be NULL: then they are named) */
	journal_server_fn server_cleanup;
	void *server_cleanup_arg;
	/* each resource of a request step the journal still lists (may be NULL: named) */
	journal_resource_fn resource_cleanup;
	void *resource_cleanup_arg;
	/* called for each fake compute host stopped, so its service record can be deleted
	 * from the cloud (may be NULL; failures are reported, not fatal) */
	int (*fake_cleanup)(void *arg, const char *host, struct gb_err *err);
	void *fake_cleanup_arg;
};

/* Undo every record of j. Keeps going after a failure; -1 with the first failure
 * in err (and how many more, and that the journal is kept) if anything is left.
 * From its start a signal no longer abandons anything (interrupt_set_restoring). */
int restore_journal(struct journal *j, const struct restore_opts *o, struct gb_err *err);

/* If state_dir holds a journal, undo it and discard it (*found says whether).
 * The caller holds the state dir's lock. */
int restore_recover(const char *state_dir, const struct restore_opts *o, bool *found,
		    struct gb_err *err);

/* `greenbench restore`: take the lock of o->state_dir, undo the journal left
 * there (if any; *found tells), release the lock. */
int restore_host(const struct restore_opts *o, bool *found, struct gb_err *err);

#endif

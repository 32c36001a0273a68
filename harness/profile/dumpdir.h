/*
 * dumpdir.h - what a run leaves on disk under <state>/runs/<run-id>/: its dumps/ directory
 * and one note file saying whether the run is still going (RUNNING) or why its dumps are
 * kept (KEPT). Lists and hashes the dumps, removes a run's directory, marks it. Never
 * follows a symlink, never reads a file another user wrote, never prints, never exits.
 */
#ifndef GB_DUMPDIR_H
#define GB_DUMPDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

/* One dump file of a run's dumps/ directory. */
struct dumpdir_file {
	char *name;          /* the file name, e.g. "nova.scheduler.manager-X.f__req-...__12.prof" */
	char *request_id;    /* from the name */
	size_t size;         /* bytes */
	char sha256[65];     /* lower-case hex of its bytes; "" when it could not be read */
	char *problem;       /* why it could not be read (symlink, other owner, ...), or NULL */
};

struct dumpdir_listing {
	struct dumpdir_file *files;   /* the well-named dumps, sorted by name */
	size_t n_files;
	size_t n_partial;             /* `.*.prof.tmp` files: a writer that died */
	size_t n_other;               /* anything else: left alone, and the directory with it */
};

/* The state of a run directory, from its note file. */
enum dumpdir_state {
	DUMPDIR_UNMARKED, /* no note: written by a greenbench older than the note */
	DUMPDIR_RUNNING,  /* the run began and has not settled its dumps (killed, if no run holds the lock) */
	DUMPDIR_KEPT,     /* kept on purpose (--keep-dumps, or dumps that were not stored) */
};

/* <state_dir>/runs/<run_id>, into out. */
void dumpdir_run_dir(const char *state_dir, const char *run_id, struct strbuf *out);

/* Create run_dir (0700, and its parents) and its RUNNING note. */
int dumpdir_begin(const char *run_dir, struct gb_err *err);

/* Replace the note by KEPT with the reason why (one line), so no later clean-up removes it. */
int dumpdir_mark_kept(const char *run_dir, const char *why, struct gb_err *err);

/* The state of run_dir; *why (may be NULL) gets the KEPT reason, which the caller frees. */
enum dumpdir_state dumpdir_state_of(const char *run_dir, char **why);

/*
 * List run_dir/dumps/ (no such directory: an empty listing): each well-named dump with
 * its size and sha256, read without following a symlink and only when owned by the
 * owner of dumps/, the service's user (else its problem says why and sha256 is ""). -1
 * only when run_dir/dumps exists but is not a real directory. The caller frees out with
 * dumpdir_listing_release().
 */
int dumpdir_list(const char *run_dir, struct dumpdir_listing *out, struct gb_err *err);
void dumpdir_listing_release(struct dumpdir_listing *l);

/*
 * Remove run_dir: every dump and partial dump in its dumps/, dumps/ itself, its note,
 * then run_dir. Works through directory descriptors opened with O_NOFOLLOW, so a symlink
 * is unlinked as a name and never followed. Fails, removing nothing more, when dumps/
 * holds anything else than dumps (that is not ours to delete); *n_removed counts files.
 */
int dumpdir_remove(const char *run_dir, size_t *n_removed, struct gb_err *err);

/* The run ids under <state_dir>/runs/ (names of the form YYYYmmddTHHMMSSZ-PID that are
 * real directories), sorted. *ids is an array of n strings; the caller frees both. */
int dumpdir_runs(const char *state_dir, char ***ids, size_t *n, struct gb_err *err);

#endif

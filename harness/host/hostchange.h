/*
 * hostchange.h - the part of `greenbench run` that changes the host and
 * always puts it back: lock, recover a crashed run, journal, local.conf and
 * inline config settings, patches, fake-compute count, unit restarts with the
 * profiler's GREENBENCH_PROFILE, and the restore (on success, error or signal;
 * after a kill -9, host/restore.h does it from the journal). Every change is
 * journaled before it is made. Never prints (progress goes through a callback),
 * never exits.
 */
#ifndef GB_HOSTCHANGE_H
#define GB_HOSTCHANGE_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

#include "base/gb.h"
#include "host/journal.h"
#include "scenario/scenario.h"

struct hostchange;

struct hostchange_opts {
	const char *units_file;  /* --units; NULL: the scenario's units.file */
	const char *state_dir;   /* --state-dir; NULL: journal_state_dir's default */
	const char *const *vars; /* --var NAME=PATH, override units-file vars and defaults */
	size_t n_vars;
	const char *const *extra_env; /* "NAME=VALUE" set in every profiled unit's environment
					 beside GREENBENCH_PROFILE (ab --b-env); the systemd
					 drop-in that carries it is journaled */
	size_t n_extra_env;
	bool force;              /* patch even if the files it touches have uncommitted changes */
	bool dry_run;            /* check everything, say what would change, change nothing */
	/* one progress line (no newline), e.g. "restarting n-sch... dead in 3.0 s, ready in 4.1 s" */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
	/* for the restore (struct restore_opts in host/restore.h says what they do): */
	/* each server the journal still lists is handed to this (may be NULL) */
	journal_server_fn server_cleanup;
	void *server_cleanup_arg;
	journal_resource_fn resource_cleanup; /* resources of request steps, likewise */
	void *resource_cleanup_arg;
	/* restore calls this for each fake compute host it stopped, so its service record
	 * can be deleted from the cloud (may be NULL; failures are reported, not fatal) */
	int (*fake_cleanup)(void *arg, const char *host, struct gb_err *err);
	void *fake_cleanup_arg;
};

/* One step of a run (run/runner.c owns the list: the four below, then its workload). */
typedef int (*hostchange_step_fn)(struct hostchange *hc, void *arg, struct gb_err *err);
struct hostchange_step {
	const char *name;      /* "config", "patches", "fake-computes", "restart", "workload" */
	hostchange_step_fn fn;
	void *arg;
};

struct hostchange_timing {
	char name[48]; /* step name, or "restart n-sch" */
	double secs;
};

/*
 * Preflight and start: resolve the state dir, take the lock, finish the
 * restore of a crashed run if its journal is there (saying so), load the units
 * file, parse local.conf and settings into the new file contents, check every
 * patch applies (and the tree is clean unless force), check the units exist.
 * Nothing on the host changes until all that passed; then the journal is
 * created (not in dry-run). The caller frees *out with hostchange_free.
 */
int hostchange_begin(const struct scenario *sc, const struct hostchange_opts *opts,
		     struct hostchange **out, struct gb_err *err);

/* The steps (each a hostchange_step_fn; arg unused). */
int hostchange_apply_config(struct hostchange *hc, void *arg, struct gb_err *err);
int hostchange_apply_patches(struct hostchange *hc, void *arg, struct gb_err *err);
int hostchange_scale_computes(struct hostchange *hc, void *arg, struct gb_err *err);
int hostchange_restart_units(struct hostchange *hc, void *arg, struct gb_err *err);

/* Run steps in order, timing each; stop at the first failure or signal
 * (GB_EXIT_INTERRUPTED). Does not restore: hostchange_finish does. */
int hostchange_run_steps(struct hostchange *hc, const struct hostchange_step *steps, size_t n,
			 struct gb_err *err);

/* Restore everything the journal lists, verify, discard the journal, unlock.
 * Always call it after hostchange_begin succeeded. */
int hostchange_finish(struct hostchange *hc, struct gb_err *err);

const char *hostchange_dumps_dir(const struct hostchange *hc); /* <state>/runs/<id>/dumps */
/* The profiled services' user (their unit's User=), who owns the dump directory and writes
 * every dump; greenbench's own uid when nothing is profiled or the backend is process. */
uid_t hostchange_dumps_uid(const struct hostchange *hc);
const char *hostchange_state_dir(const struct hostchange *hc);  /* absolute */
const char *hostchange_run_id(const struct hostchange *hc);     /* YYYYmmddTHHMMSSZ-PID */
struct journal *hostchange_journal(struct hostchange *hc);      /* NULL in dry-run */
const struct hostchange_timing *hostchange_timings(const struct hostchange *hc, size_t *n);
/* sha256 of the scenario's i-th patch, hashed once by hostchange_begin ("" past the end). */
const char *hostchange_patch_sha256(const struct hostchange *hc, size_t i);
void hostchange_free(struct hostchange *hc);

#endif

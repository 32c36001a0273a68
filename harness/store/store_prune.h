/*
 * store_prune.h - `greenbench prune`: which runs to remove (by age, by count per scenario,
 * by label), which of them a kept verdict still needs (baselines, the history nightly
 * judges against, every run of a kept ab experiment), removing the rest in one transaction
 * and giving the space back (incremental vacuum, WAL checkpoint). Never prints, never exits.
 */
#ifndef GB_STORE_PRUNE_H
#define GB_STORE_PRUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

struct store;

struct store_prune_opts {
	double older_than;      /* seconds: runs started before now - older_than; < 0: any age */
	long keep_last;         /* keep the newest N runs of each scenario; < 0: no such rule */
	const char *label;      /* only runs with this label; NULL: any */
	size_t history;         /* nightly's window: the last N good runs per scenario/host/computes */
	double now;             /* unix seconds */
	bool dry_run;           /* say what would go; change nothing */
};

/* Why a run that matched the selection is kept (or STORE_PRUNE_REMOVED). */
enum store_prune_why {
	STORE_PRUNE_REMOVED,     /* removed (or would be, with dry_run) */
	STORE_PRUNE_BASELINE,    /* a baseline: nightly's history starts there */
	STORE_PRUNE_HISTORY,     /* in the window nightly judges the next run against */
	STORE_PRUNE_AB,          /* a run of an ab experiment that is kept: its verdict needs every run */
};

struct store_prune_run {
	long long id;
	char *scenario, *label;  /* label NULL when none */
	double started_at;
	long long ab_id;         /* 0: none */
	enum store_prune_why why;
};

struct store_prune_result {
	struct store_prune_run *runs; /* the runs that matched the selection, newest first */
	size_t n_runs;
	size_t n_removed;             /* of them removed (or would be) */
	size_t n_ab_removed;          /* whole ab experiments removed */
	long long bytes_before;       /* the store's file and its WAL, before */
	long long bytes_after;        /* after (with dry_run: as before) */
	bool is_wal_busy;             /* a reader kept the WAL from being truncated */
};

/* Plan (and unless dry_run, do) the prune. The caller frees out with
 * store_prune_result_release(). Errors are GB_EXIT_ENV; nothing is removed then. */
int store_prune(struct store *db, const struct store_prune_opts *o, struct store_prune_result *out,
		struct gb_err *err);
void store_prune_result_release(struct store_prune_result *r);

/* "baseline", "nightly history", "ab experiment kept" ("removed" for REMOVED). */
const char *store_prune_why_name(enum store_prune_why why);

#endif

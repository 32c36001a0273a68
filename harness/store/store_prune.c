/*
 * store_prune.c - removing old runs from the store without breaking a verdict that is kept:
 * baselines, nightly's history window (the query in store_query.c, STORE_Q_SCENARIO_HISTORY,
 * read the same way here) and whole ab experiments stay. Deletes in one transaction (the
 * rows of a run go by ON DELETE CASCADE), then gives the pages back: incremental vacuum
 * (a full VACUUM once, to switch an older store to it) and a WAL checkpoint, both of which
 * a concurrent reader survives (WAL mode). Never prints, never exits.
 */
#include "store/store_prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_int.h"

/* One run as the plan sees it. */
struct plan_run {
	long long id;
	char *scenario, *label, *host;
	double started_at;
	bool is_ok, is_baseline;
	long long fake_computes;     /* -1: NULL */
	long long ab_id;
	bool is_selected;            /* matches every rule given */
	enum store_prune_why why;    /* for a selected run */
};

static const char *text_or_null(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int load_runs(struct store *db, struct plan_run **out, size_t *n, struct gb_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prep(db, "SELECT id, scenario, label, host, started_at, status = 'ok', "
				    "is_baseline, fake_computes, coalesce(ab_id, 0) FROM runs ORDER BY id DESC", err);
	if (!st)
		return -1;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		*out = gb_realloc(*out, (*n + 1) * sizeof(**out));
		struct plan_run *r = &(*out)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->scenario = gb_strdup(text_or_null(st, 1) ? text_or_null(st, 1) : "");
		r->label = text_or_null(st, 2) ? gb_strdup(text_or_null(st, 2)) : NULL;
		r->host = text_or_null(st, 3) ? gb_strdup(text_or_null(st, 3)) : NULL;
		r->started_at = sqlite3_column_double(st, 4);
		r->is_ok = sqlite3_column_int(st, 5) != 0;
		r->is_baseline = sqlite3_column_int(st, 6) != 0;
		r->fake_computes = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
		r->ab_id = sqlite3_column_int64(st, 8);
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : store_db_err(db, err, "reading the runs to prune");
}

/* The newest baseline of r's scenario on r's host (0: none): nightly's history starts there. */
static long long baseline_of(const struct plan_run *runs, size_t n, const struct plan_run *r)
{
	for (size_t i = 0; i < n; i++) /* newest first */
		if (runs[i].is_baseline && !strcmp(runs[i].scenario, r->scenario) && same(runs[i].host, r->host))
			return runs[i].id;
	return 0;
}

/* Decide, for every run, whether it is selected and, if so, whether something keeps it. */
static void plan(struct plan_run *runs, size_t n, const struct store_prune_opts *o)
{
	/* selection: every rule given must match */
	for (size_t i = 0; i < n; i++) {
		struct plan_run *r = &runs[i];
		bool sel = true;
		if (o->older_than >= 0 && !(r->started_at < o->now - o->older_than))
			sel = false;
		if (o->label && !same(r->label, o->label))
			sel = false;
		if (o->keep_last >= 0) {
			long newer = 0; /* runs of the scenario newer than r */
			for (size_t j = 0; j < i; j++)
				newer += !strcmp(runs[j].scenario, r->scenario);
			if (newer < o->keep_last)
				sel = false;
		}
		r->is_selected = sel;
		r->why = STORE_PRUNE_REMOVED;
	}
	/* baselines, then nightly's window: per scenario, host and fake-compute count, the
	 * last `history` good runs from the newest baseline on (what the next night reads) */
	for (size_t i = 0; i < n; i++) {
		struct plan_run *r = &runs[i];
		if (r->is_baseline) {
			r->why = STORE_PRUNE_BASELINE;
			continue;
		}
		if (!r->is_ok || !o->history)
			continue;
		size_t newer = 0;
		for (size_t j = 0; j < i; j++)
			newer += runs[j].is_ok && !strcmp(runs[j].scenario, r->scenario) &&
				 same(runs[j].host, r->host) && runs[j].fake_computes == r->fake_computes;
		if (newer < o->history && r->id >= baseline_of(runs, n, r))
			r->why = STORE_PRUNE_HISTORY;
	}
	/* an ab experiment goes whole or stays whole */
	for (size_t i = 0; i < n; i++) {
		if (!runs[i].ab_id)
			continue;
		bool keep = false;
		for (size_t j = 0; j < n && !keep; j++)
			if (runs[j].ab_id == runs[i].ab_id)
				keep = !runs[j].is_selected || runs[j].why != STORE_PRUNE_REMOVED;
		if (keep && runs[i].why == STORE_PRUNE_REMOVED)
			runs[i].why = STORE_PRUNE_AB;
	}
}

static long long file_bytes(const char *path)
{
	struct stat st;
	long long n = stat(path, &st) == 0 ? (long long)st.st_size : 0;
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) == 0)
		n += (long long)st.st_size;
	return n;
}

static int pragma_int(struct store *db, const char *sql, long long *v, struct gb_err *err)
{
	sqlite3_stmt *st = store_prep(db, sql, err);
	if (!st)
		return -1;
	int s = sqlite3_step(st);
	*v = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : store_db_err(db, err, sql);
}

/* Give the freed pages back to the file system, then fold the WAL into the file. */
static int reclaim(struct store *db, bool *is_wal_busy, struct gb_err *err)
{
	long long mode = 0;
	if (pragma_int(db, "PRAGMA auto_vacuum", &mode, err) != 0)
		return -1;
	if (mode == 2) { /* incremental: frees pages without rewriting the file */
		sqlite3_stmt *st = store_prep(db, "PRAGMA incremental_vacuum", err);
		if (!st)
			return -1;
		int s;
		while ((s = sqlite3_step(st)) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		if (s != SQLITE_DONE)
			return store_db_err(db, err, "giving the freed pages back (incremental vacuum)");
	} else if (store_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", err) != 0 ||
		   store_exec(db, "VACUUM", err) != 0) { /* once: switches the store to incremental */
		return -1;
	}
	/* a reader on an older snapshot holds the WAL back: wait a second for it, not the
	 * five a writer waits; the next checkpoint (at the latest the last close) does it */
	sqlite3_stmt *st = store_prep(db, "PRAGMA wal_checkpoint(TRUNCATE)", err);
	if (!st)
		return -1;
	sqlite3_busy_timeout(db->db, 1000);
	int s = sqlite3_step(st);
	*is_wal_busy = s != SQLITE_ROW || sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	sqlite3_busy_timeout(db->db, 5000);
	return 0;
}

static int delete_runs(struct store *db, const struct plan_run *runs, size_t n, size_t *n_ab,
		       struct gb_err *err)
{
	*n_ab = 0;
	if (store_exec(db, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	sqlite3_stmt *del = store_prep(db, "DELETE FROM runs WHERE id = ?", err);
	sqlite3_stmt *del_ab = del ? store_prep(db, "DELETE FROM ab_experiments WHERE id = ?", err) : NULL;
	int rc = del && del_ab ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!runs[i].is_selected || runs[i].why != STORE_PRUNE_REMOVED)
			continue;
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, runs[i].id);
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = store_db_err(db, err, "removing a run");
	}
	/* the experiments every run of which went (each is listed once, at its newest run) */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!runs[i].ab_id || !runs[i].is_selected || runs[i].why != STORE_PRUNE_REMOVED)
			continue;
		bool is_first = true;
		for (size_t j = 0; j < i && is_first; j++)
			is_first = runs[j].ab_id != runs[i].ab_id;
		if (!is_first)
			continue;
		sqlite3_reset(del_ab);
		sqlite3_bind_int64(del_ab, 1, runs[i].ab_id);
		if (sqlite3_step(del_ab) != SQLITE_DONE)
			rc = store_db_err(db, err, "removing an ab experiment");
		else
			(*n_ab)++;
	}
	sqlite3_finalize(del);
	sqlite3_finalize(del_ab);
	if (rc == 0 && store_exec(db, "COMMIT", err) == 0)
		return 0;
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int store_prune(struct store *db, const struct store_prune_opts *o, struct store_prune_result *out,
		struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	struct plan_run *runs = NULL;
	size_t n = 0;
	out->bytes_before = out->bytes_after = file_bytes(db->path);
	int rc = load_runs(db, &runs, &n, err);
	if (rc == 0) {
		plan(runs, n, o);
		for (size_t i = 0; i < n; i++) {
			if (!runs[i].is_selected)
				continue;
			out->runs = gb_realloc(out->runs, (out->n_runs + 1) * sizeof(*out->runs));
			struct store_prune_run *p = &out->runs[out->n_runs++];
			p->id = runs[i].id;
			p->scenario = gb_strdup(runs[i].scenario);
			p->label = runs[i].label ? gb_strdup(runs[i].label) : NULL;
			p->started_at = runs[i].started_at;
			p->ab_id = runs[i].ab_id;
			p->why = runs[i].why;
			out->n_removed += p->why == STORE_PRUNE_REMOVED;
		}
	}
	if (rc == 0 && !o->dry_run && out->n_removed) {
		rc = delete_runs(db, runs, n, &out->n_ab_removed, err);
		if (rc == 0)
			rc = reclaim(db, &out->is_wal_busy, err);
		out->bytes_after = file_bytes(db->path);
	}
	for (size_t i = 0; i < n; i++) {
		free(runs[i].scenario);
		free(runs[i].label);
		free(runs[i].host);
	}
	free(runs);
	return rc;
}

void store_prune_result_release(struct store_prune_result *r)
{
	for (size_t i = 0; i < r->n_runs; i++) {
		free(r->runs[i].scenario);
		free(r->runs[i].label);
	}
	free(r->runs);
	memset(r, 0, sizeof(*r));
}

const char *store_prune_why_name(enum store_prune_why why)
{
	switch (why) {
	case STORE_PRUNE_BASELINE: return "a baseline (nightly's history starts there)";
	case STORE_PRUNE_HISTORY: return "in the history nightly judges the next run against";
	case STORE_PRUNE_AB: return "a run of an ab experiment that is kept (its verdict needs every run)";
	case STORE_PRUNE_REMOVED: break;
	}
	return "removed";
}

/*
 * ab.c - `greenbench ab`'s orchestration: block order, the experiment id and its
 * blocks in the store (tables ab_experiments, ab_blocks), and the block loop over a
 * caller-given run function. Never prints, never touches the host itself.
 */
#include "run/ab.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/interrupt.h"
#include "judge/stats.h"

void ab_order(size_t repeat, int randomize, uint64_t seed, char *order)
{
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (size_t i = 0; i < repeat; i++) {
		int ab = randomize ? (int)(stats_rng_next(&rng) >> 63) : !(i % 2);
		order[2 * i] = ab ? 'A' : 'B';
		order[2 * i + 1] = ab ? 'B' : 'A';
	}
	order[2 * repeat] = '\0';
}

static int sql_fail(struct store *db, const char *doing, struct gb_err *err)
{
	return gb_errf(err, GB_EXIT_ENV, "%s: %s", doing, sqlite3_errmsg(store_handle(db)));
}

int ab_begin(struct store *db, const char *scenario, const char *order, int randomize,
	     uint64_t seed, const char *const *patches, size_t n_patches, long long *ab_id,
	     struct gb_err *err)
{
	sqlite3 *h = store_handle(db);
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(db, "starting the A/B experiment", err);
	sqlite3_stmt *st = NULL;
	long long id = 0;
	int rc = sqlite3_prepare_v2(h, "SELECT max(coalesce((SELECT max(ab_id) FROM runs), 0), "
				       "coalesce((SELECT max(id) FROM ab_experiments), 0)) + 1",
				    -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	struct strbuf pl = STRBUF_INIT;
	for (size_t i = 0; i < n_patches; i++)
		sb_addf(&pl, "%s%s", i ? "\n" : "", patches[i]);
	if (id > 0 &&
	    sqlite3_prepare_v2(h, "INSERT INTO ab_experiments (id, scenario, started_at, block_order, "
				  "seed, patches) VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, scenario, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, gb_wall());
		sqlite3_bind_text(st, 4, order, -1, SQLITE_STATIC);
		if (randomize)
			sqlite3_bind_int64(st, 5, (long long)seed);
		sqlite3_bind_text(st, 6, sb_str(&pl), -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	} else {
		rc = -1;
	}
	sqlite3_finalize(st);
	sb_release(&pl);
	if (rc || sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sql_fail(db, "recording the A/B experiment", err);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	*ab_id = id;
	return 0;
}

/* Record block number pos (0-based) of experiment ab_id: its side, run (0: none
 * stored) and status ("ok", "interrupted", "error"). */
static int ab_record_block(struct store *db, long long ab_id, size_t pos, char side,
			   long long run_id, const char *status, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_handle(db), "INSERT OR REPLACE INTO ab_blocks (ab_id, position, "
				  "side, run_id, status) VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "recording an A/B block", err);
	char s[2] = { side, 0 };
	sqlite3_bind_int64(st, 1, ab_id);
	sqlite3_bind_int64(st, 2, (long long)pos);
	sqlite3_bind_text(st, 3, s, -1, SQLITE_TRANSIENT);
	if (run_id > 0)
		sqlite3_bind_int64(st, 4, run_id);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, "recording an A/B block", err);
}

int ab_runs(struct store *db, long long ab_id, long long **a, size_t *n_a, long long **b,
	    size_t *n_b, struct gb_err *err)
{
	*a = *b = NULL;
	*n_a = *n_b = 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_handle(db),
			       "SELECT k.side, k.run_id FROM ab_blocks k JOIN runs r ON r.id = k.run_id "
			       "WHERE k.ab_id = ? AND r.status = 'ok' ORDER BY k.position", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, "reading an A/B experiment", err);
	sqlite3_bind_int64(st, 1, ab_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *side = (const char *)sqlite3_column_text(st, 0);
		long long **arr = side && side[0] == 'B' ? b : a;
		size_t *n = side && side[0] == 'B' ? n_b : n_a;
		*arr = gb_realloc(*arr, (*n + 1) * sizeof(**arr));
		(*arr)[(*n)++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*a);
		free(*b);
		*a = *b = NULL;
		*n_a = *n_b = 0;
		return sql_fail(db, "reading an A/B experiment", err);
	}
	if (!*n_a || !*n_b) {
		free(*a);
		free(*b);
		*a = *b = NULL;
		int got_a = (int)*n_a, got_b = (int)*n_b;
		*n_a = *n_b = 0;
		return gb_errf(err, GB_EXIT_USAGE, "A/B experiment %lld has %d good baseline and %d good "
						   "patched runs; each side needs one or more (see "
						   "'greenbench list')", ab_id, got_a, got_b);
	}
	return 0;
}

int ab_execute(struct store *db, long long ab_id, const char *order, ab_block_fn fn, void *arg,
	       void (*progress)(void *parg, const char *line), void *parg, struct ab_outcome *out,
	       struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->ab_id = ab_id;
	size_t n = strlen(order);
	for (size_t i = 0; i < n; i++) {
		char line[160];
		snprintf(line, sizeof(line), "block %zu/%zu: %s", i + 1, n,
			 order[i] == 'A' ? "A (baseline)" : "B (patched)");
		if (progress)
			progress(parg, line);
		long long run = 0;
		struct gb_err e = { GB_EXIT_ENV, "" };
		int rc = interrupt_requested()
				 ? gb_errf(&e, GB_EXIT_INTERRUPTED, "interrupted before the block started")
				 : fn(arg, order[i], i, ab_id, &run, &e);
		const char *status = rc ? (e.exit_code == GB_EXIT_INTERRUPTED ? "interrupted" : "error")
					: "ok";
		if (ab_record_block(db, ab_id, i, order[i], run, status, err))
			return -1;
		if (rc) {
			out->n_failed++;
			out->stopped_by = e.exit_code ? e.exit_code : GB_EXIT_ENV;
			snprintf(out->stop_reason, sizeof(out->stop_reason), "block %zu (%c) failed: %.960s", i + 1,
				 order[i], e.msg);
			return gb_errf(err, out->stopped_by, "%s", out->stop_reason);
		}
		out->n_done++;
	}
	return 0;
}

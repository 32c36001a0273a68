/*
 * store_query.c - every read query the other parts ask of the store, by name (enum
 * store_query), with typed rows handed to a callback; and the few writes outside a run
 * (A/B experiments and blocks, the baseline mark). No SQL leaves this part.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define PROFILES_SQL \
	"SELECT p.target, count(*) AS n_profiles, " \
	"avg(p.max_ct_ns) * 1e-9 AS mean_wall, max(p.max_ct_ns) * 1e-9 AS max_wall, " \
	"avg(p.n_functions) AS mean_functions, avg(p.n_calls) AS mean_calls, " \
	"avg(p.raw_size) AS mean_raw_size, count(DISTINCT p.pid) AS n_pids, " \
	"avg(p.cpu_ns) * 1e-9 AS mean_cpu, count(p.cpu_ns) AS n_with_cpu, " \
	"avg(p.wait_ns) * 1e-9 AS mean_wait " \
	"FROM profiles p WHERE p.run_id = ?1 GROUP BY p.target ORDER BY p.target"

static const char *const queries[STORE_Q_COUNT] = {
	[STORE_Q_RUN_ALL] = "SELECT * FROM runs WHERE id = ?1",
	[STORE_Q_RUN_SUMMARY] =
		"SELECT scenario, label, status, started_at, finished_at, host, cpu_count, "
		"load1_before, load5_before, load15_before, load1_after, load5_after, "
		"load15_after, mem_free_kb, service_revision, greenbench_version, "
		"scenario_sha256, fake_computes, repeat_count, ab_id, is_baseline "
		"FROM runs WHERE id = ?1",
	[STORE_Q_RUN_FACTS] =
		"SELECT scenario, host, service_revision, status, fake_computes, cpu_count, "
		"load1_before, load1_after FROM runs WHERE id = ?",
	[STORE_Q_RUN_HEAD] =
		"SELECT scenario, label, host, status, service_revision, started_at, "
		"finished_at, load1_before, load1_after, cpu_count, fake_computes, "
		"repeat_count, mem_free_kb FROM runs WHERE id = ?",
	[STORE_Q_RUN_NIGHTLY_FACTS] =
		"SELECT scenario, host, fake_computes, status, cpu_count, "
		"max(coalesce(load1_before, 0), coalesce(load1_after, 0)) FROM runs WHERE id = ?",
	[STORE_Q_RUN_SCENARIO] = "SELECT scenario FROM runs WHERE id = ?",
	[STORE_Q_RUN_YAML] = "SELECT scenario_yaml FROM runs WHERE id = ?1",
	[STORE_Q_RUN_PATCHES] =
		"SELECT position, name, sha256 FROM patches WHERE run_id = ?1 ORDER BY position",
	[STORE_Q_RUN_REQUESTS] =
		"SELECT repeat, request_id, server_request_id, method, path, status, latency, "
		"started_at FROM requests WHERE run_id = ?1 ORDER BY id",
	[STORE_Q_RUN_STATUS_COUNTS] =
		"SELECT status, count(*) FROM requests WHERE run_id = ?1 GROUP BY status ORDER BY status",
	[STORE_Q_RUN_SERVERS] =
		"SELECT repeat, server_id, name, request_id, post_latency, time_to_active, "
		"time_to_deleted, final_status, fault FROM servers WHERE run_id = ?1 ORDER BY id",
	[STORE_Q_RUN_SERVER_TIMELINE] =
		"SELECT s.name, q.started_at, s.post_latency, s.time_to_active, s.final_status "
		"FROM servers s LEFT JOIN requests q ON q.run_id = s.run_id AND "
		"q.request_id = s.request_id AND q.method = 'POST' WHERE s.run_id = ? "
		"ORDER BY coalesce(q.started_at, 0), s.id",
	[STORE_Q_RUN_PROFILE_TARGETS] = PROFILES_SQL,
	[STORE_Q_RUN_PROFILES] =
		"SELECT id, repeat, target, request_id, pid, total_tt, n_functions, n_calls, "
		"raw_size, raw_sha256, cpu_ns * 1e-9 AS cpu, wall_ns * 1e-9 AS wall, "
		"wait_ns * 1e-9 AS wait, switches, mode FROM profiles WHERE run_id = ?1 ORDER BY id",
	[STORE_Q_RUN_SLA] =
		"SELECT metric, value, limit_value, passed FROM sla WHERE run_id = ?1 ORDER BY id",
	[STORE_Q_RUN_REQUEST_LATENCIES] =
		"SELECT method, path, latency FROM requests WHERE run_id = ?1 AND latency IS NOT NULL "
		"ORDER BY id",
	[STORE_Q_RUN_SERVER_ACTIVE] =
		"SELECT 'server time to ACTIVE', '', time_to_active FROM servers WHERE run_id = ?1 "
		"AND time_to_active IS NOT NULL ORDER BY id",
	[STORE_Q_RUN_SERVER_DELETED] =
		"SELECT 'server time to deleted', '', time_to_deleted FROM servers WHERE run_id = ?1 "
		"AND time_to_deleted IS NOT NULL ORDER BY id",
	[STORE_Q_RUN_PROFILE_WALL] =
		"SELECT 'profile ' || p.target || ' wall', '', "
		"p.max_ct_ns * 1e-9 FROM profiles p WHERE p.run_id = ?1 ORDER BY p.id",
	/* busy: the own times without greenprof's switch entry (the waits) */
	[STORE_Q_RUN_PROFILE_BUSY] =
		"SELECT 'profile ' || p.target || ' busy', '', "
		"(p.tt_ns - p.switch_tt_ns) * 1e-9 FROM profiles p WHERE p.run_id = ?1 ORDER BY p.id",
	/* cpu: the call's own thread CPU time (greenprof's trailer); NULL when unknown */
	[STORE_Q_RUN_PROFILE_CPU] =
		"SELECT 'profile ' || target || ' cpu', '', cpu_ns * 1e-9 FROM profiles "
		"WHERE run_id = ?1 ORDER BY id",
	[STORE_Q_RUN_PROFILE_IDS] =
		"SELECT id, target, cpu_ns, tt_ns, switch_tt_ns, max_ct_ns FROM profiles WHERE run_id = ?1 "
		"AND (?2 IS NULL OR instr(target, ?2) > 0) ORDER BY id",
	[STORE_Q_RUN_FUNC_STATS] =
		"SELECT s.profile_id, f.file, f.line, f.name, s.nc, s.tt_ns, s.ct_ns "
		"FROM profiles p JOIN func_stats s ON s.profile_id = p.id "
		"JOIN functions f ON f.id = s.function_id WHERE p.run_id = ?1 "
		"AND (?2 IS NULL OR instr(p.target, ?2) > 0) ORDER BY p.id",
	[STORE_Q_RUNS_LIST] =
		"SELECT r.id, r.started_at, r.finished_at, r.scenario, r.label, r.status, r.is_baseline, "
		"(SELECT count(*) FROM requests q WHERE q.run_id = r.id), "
		"(SELECT count(*) FROM profiles p WHERE p.run_id = r.id), r.ab_id "
		"FROM runs r WHERE (?1 IS NULL OR r.scenario = ?1) ORDER BY r.id DESC LIMIT ?2",
	[STORE_Q_SCENARIO_GOOD_RUNS] =
		"SELECT id, started_at, label, service_revision, is_baseline FROM runs "
		"WHERE scenario = ?1 AND status = 'ok' ORDER BY id DESC LIMIT ?2",
	[STORE_Q_SCENARIO_HISTORY] =
		"SELECT id, is_baseline FROM runs WHERE scenario = ?1 AND status = 'ok' AND id < ?2 "
		"AND fake_computes IS ?3 AND host IS ?4 AND id >= coalesce((SELECT max(id) FROM runs "
		"WHERE scenario = ?1 AND is_baseline = 1 AND id < ?2 AND host IS ?4), 0) "
		"ORDER BY id DESC LIMIT ?5",
	[STORE_Q_SCENARIO_LAST_DURATION] =
		"SELECT finished_at - started_at FROM runs WHERE scenario = ? AND status = 'ok' "
		"AND finished_at > started_at ORDER BY id DESC LIMIT 1",
	[STORE_Q_AB_GOOD_RUNS] =
		"SELECT k.side, k.run_id FROM ab_blocks k JOIN runs r ON r.id = k.run_id "
		"WHERE k.ab_id = ? AND r.status = 'ok' ORDER BY k.position",
};

static int bind(sqlite3_stmt *st, const struct store_value *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (int)i + 1, rc;
		switch (params[i].type) {
		case STORE_INT: rc = sqlite3_bind_int64(st, c, params[i].i); break;
		case STORE_REAL: rc = sqlite3_bind_double(st, c, params[i].d); break;
		case STORE_TEXT:
			rc = params[i].s ? sqlite3_bind_text(st, c, params[i].s, -1, SQLITE_STATIC)
					 : sqlite3_bind_null(st, c);
			break;
		default: rc = sqlite3_bind_null(st, c); break;
		}
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

static void column(sqlite3_stmt *st, int i, struct store_value *v)
{
	v->i = 0;
	v->d = 0;
	v->s = NULL;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		v->type = STORE_INT;
		v->i = sqlite3_column_int64(st, i);
		v->d = (double)v->i;
		break;
	case SQLITE_FLOAT:
		v->type = STORE_REAL;
		v->d = sqlite3_column_double(st, i);
		v->i = (long long)v->d;
		break;
	case SQLITE_NULL:
		v->type = STORE_NULL;
		return;
	default: /* text (and blobs, which no query selects) */
		v->type = STORE_TEXT;
		v->s = (const char *)sqlite3_column_text(st, i);
		break;
	}
}

const char *store_row_text(const struct store_row *row, size_t i)
{
	if (i >= row->n || row->v[i].type == STORE_NULL)
		return NULL;
	if (row->v[i].type == STORE_TEXT)
		return row->v[i].s;
	return (const char *)sqlite3_column_text(row->stmt_, (int)i);
}

static int query_err(struct store *db, const char *doing, struct gb_err *err)
{
	return gb_errf(err, GB_EXIT_ENV, "%s: %s", doing ? doing : "reading the store",
		       sqlite3_errmsg(db->db));
}

int store_query(struct store *db, enum store_query q, const struct store_value *params,
		size_t n_params, store_row_fn fn, void *arg, const char *doing, struct gb_err *err)
{
	if ((unsigned)q >= STORE_Q_COUNT || !queries[q])
		return gb_errf(err, GB_EXIT_ENV, "%s: no such store query %d", doing ? doing : "reading the store", (int)q);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, queries[q], -1, &st, NULL) != SQLITE_OK)
		return query_err(db, doing, err);
	if (bind(st, params, n_params)) {
		int r = query_err(db, doing, err);
		sqlite3_finalize(st);
		return r;
	}
	int n = sqlite3_column_count(st);
	struct store_value *vals = gb_calloc(n ? (size_t)n : 1, sizeof(*vals));
	const char **names = gb_calloc(n ? (size_t)n : 1, sizeof(*names));
	for (int i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	struct store_row row = { (size_t)n, vals, names, st };
	int rc, stop = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			column(st, i, &vals[i]);
		if ((stop = fn(arg, &row)) != 0)
			break;
	}
	int r = 0;
	if (stop)
		r = stop;
	else if (rc != SQLITE_DONE)
		r = query_err(db, doing, err);
	free(vals);
	free(names);
	sqlite3_finalize(st);
	return r;
}

int store_query_run(struct store *db, enum store_query q, long long run, store_row_fn fn,
		    void *arg, const char *doing, struct gb_err *err)
{
	struct store_value p = STORE_V_INT(run);
	return store_query(db, q, &p, 1, fn, arg, doing, err);
}

/* ---- the writes outside a run ---- */

int store_ab_begin(struct store *db, const char *scenario, const char *order, int randomize,
		   unsigned long long seed, const char *patches, double started_at,
		   long long *ab_id, struct gb_err *err)
{
	sqlite3 *h = db->db;
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return query_err(db, "starting the A/B experiment", err);
	sqlite3_stmt *st = NULL;
	long long id = 0;
	int rc = sqlite3_prepare_v2(h, "SELECT max(coalesce((SELECT max(ab_id) FROM runs), 0), "
				       "coalesce((SELECT max(id) FROM ab_experiments), 0)) + 1",
				    -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (id > 0 &&
	    sqlite3_prepare_v2(h, "INSERT INTO ab_experiments (id, scenario, started_at, block_order, "
				  "seed, patches) VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, scenario, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, started_at);
		sqlite3_bind_text(st, 4, order, -1, SQLITE_STATIC);
		if (randomize)
			sqlite3_bind_int64(st, 5, (long long)seed);
		sqlite3_bind_text(st, 6, patches, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	} else {
		rc = -1;
	}
	sqlite3_finalize(st);
	if (rc || sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		query_err(db, "recording the A/B experiment", err);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	*ab_id = id;
	return 0;
}

int store_ab_record_block(struct store *db, long long ab_id, size_t pos, char side,
			  long long run_id, const char *status, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO ab_blocks (ab_id, position, "
				  "side, run_id, status) VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return query_err(db, "recording an A/B block", err);
	char s[2] = { side, 0 };
	sqlite3_bind_int64(st, 1, ab_id);
	sqlite3_bind_int64(st, 2, (long long)pos);
	sqlite3_bind_text(st, 3, s, -1, SQLITE_TRANSIENT);
	if (run_id > 0)
		sqlite3_bind_int64(st, 4, run_id);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : query_err(db, "recording an A/B block", err);
}

int store_set_baseline(struct store *db, long long run, int on, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, "UPDATE runs SET is_baseline = ?1 WHERE id = ?2", -1,
			       &st, NULL) != SQLITE_OK)
		return query_err(db, "marking a baseline", err);
	sqlite3_bind_int(st, 1, on ? 1 : 0);
	sqlite3_bind_int64(st, 2, run);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return query_err(db, "marking a baseline", err);
	if (sqlite3_changes(db->db) != 1)
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", run);
	return 0;
}

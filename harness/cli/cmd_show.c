/*
 * cmd_show.c - `greenbench show`: one stored run: metadata, request and server latency
 * summaries, per-target profile summary, SLA results. Text or JSON.
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_store.h"
#include "judge/compare.h"

static const struct cmd_doc doc = {
	.name = "show",
	.summary = "show one stored run",
	.synopsis = "greenbench show RUN [--json] [--yaml] [--db FILE]",
	.description =
		"Shows one stored run: scenario and its hash, label, times, host (CPUs, load\n"
		"averages before and after, free memory), service revision, patches, status;\n"
		"then request latencies grouped by method and path (ids become {id}), server\n"
		"times, a per-target profile summary (profiles, mean wall time of the profiled\n"
		"call, functions, calls) and the SLA results.\n"
		CMD_STORE_RUN_REFS,
	.examples = "greenbench show last\n"
		    "greenbench show 12 --json | jq .profiles\n"
		    "greenbench show before --yaml > scenario.yaml",
};

static json_t *col_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT: return json_string((const char *)sqlite3_column_text(st, i));
	default: return json_null();
	}
}

/* All columns of a query's rows as JSON objects. */
static json_t *rows_json(sqlite3 *h, const char *sql, long long run)
{
	json_t *arr = json_array();
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return arr;
	sqlite3_bind_int64(st, 1, run);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++)
			json_object_set_new(o, sqlite3_column_name(st, i), col_json(st, i));
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(st);
	return arr;
}

static const char *PROFILES_SQL =
	"SELECT p.target, count(*) AS n_profiles, "
	"avg((SELECT max(ct_ns) FROM func_stats s WHERE s.profile_id = p.id)) * 1e-9 AS mean_wall, "
	"max((SELECT max(ct_ns) FROM func_stats s WHERE s.profile_id = p.id)) * 1e-9 AS max_wall, "
	"avg(p.n_functions) AS mean_functions, avg(p.n_calls) AS mean_calls, "
	"avg(p.raw_size) AS mean_raw_size, count(DISTINCT p.pid) AS n_pids "
	"FROM profiles p WHERE p.run_id = ?1 GROUP BY p.target ORDER BY p.target";

static json_t *metric_json(const struct compare_metric *m)
{
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "metric", m->name, "n",
			 (json_int_t)m->a.n, "median", isnan(m->a.median) ? json_null() : json_real(m->a.median),
			 "p95", isnan(m->a.p95) ? json_null() : json_real(m->a.p95), "mean",
			 isnan(m->a.mean) ? json_null() : json_real(m->a.mean), "min",
			 isnan(m->a.min) ? json_null() : json_real(m->a.min), "max",
			 isnan(m->a.max) ? json_null() : json_real(m->a.max));
}

static int show_json(sqlite3 *h, long long run, const struct compare_metric *m, size_t nm)
{
	json_t *runs = rows_json(h, "SELECT * FROM runs WHERE id = ?1", run);
	json_t *root = json_array_get(runs, 0);
	json_incref(root);
	json_decref(runs);
	json_object_set_new(root, "patches", rows_json(h, "SELECT position, name, sha256 FROM patches "
							   "WHERE run_id = ?1 ORDER BY position", run));
	json_t *lat = json_array();
	for (size_t i = 0; i < nm; i++)
		json_array_append_new(lat, metric_json(&m[i]));
	json_object_set_new(root, "latency", lat);
	json_object_set_new(root, "requests", rows_json(h, "SELECT repeat, request_id, server_request_id, "
							   "method, path, status, latency, started_at FROM requests "
							   "WHERE run_id = ?1 ORDER BY id", run));
	json_object_set_new(root, "servers", rows_json(h, "SELECT repeat, server_id, name, request_id, "
							  "post_latency, time_to_active, time_to_deleted, "
							  "final_status, fault FROM servers WHERE run_id = ?1 "
							  "ORDER BY id", run));
	json_object_set_new(root, "profile_targets", rows_json(h, PROFILES_SQL, run));
	json_object_set_new(root, "profiles", rows_json(h, "SELECT id, repeat, target, request_id, pid, "
							   "total_tt, n_functions, n_calls, raw_size, raw_sha256 "
							   "FROM profiles WHERE run_id = ?1 ORDER BY id", run));
	json_object_set_new(root, "sla", rows_json(h, "SELECT metric, value, limit_value, passed FROM sla "
						      "WHERE run_id = ?1 ORDER BY id", run));
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	printf("%s\n", s ? s : "{}");
	free(s);
	json_decref(root);
	return GB_EXIT_OK;
}

static const char *txt(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "-";
}

static void show_text(sqlite3 *h, long long run, const struct compare_metric *m, size_t nm)
{
	sqlite3_stmt *st = NULL;
	char a[64], b[64], c[64], d[64];
	sqlite3_prepare_v2(h, "SELECT scenario, label, status, started_at, finished_at, host, cpu_count, "
			      "load1_before, load5_before, load15_before, load1_after, load5_after, "
			      "load15_after, mem_free_kb, service_revision, greenbench_version, "
			      "scenario_sha256, fake_computes, repeat_count, ab_id, is_baseline "
			      "FROM runs WHERE id = ?1", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW) {
		double started = sqlite3_column_double(st, 3), finished = sqlite3_column_double(st, 4);
		printf("run %lld: %s", run, txt(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			printf(" '%s'", txt(st, 1));
		printf(", %s%s\n", txt(st, 2), sqlite3_column_int(st, 20) ? " (baseline)" : "");
		printf("  started      %s UTC", cmd_store_time(started, a, sizeof(a)));
		if (finished > started)
			printf(", took %.1f s", finished - started);
		printf("\n  host         %s, %s CPUs\n", txt(st, 5), txt(st, 6));
		printf("  load         %s/%s/%s before, %s/%s/%s after\n", txt(st, 7), txt(st, 8),
		       txt(st, 9), txt(st, 10), txt(st, 11), txt(st, 12));
		if (sqlite3_column_type(st, 13) != SQLITE_NULL)
			printf("  free memory  %.1f MiB\n", sqlite3_column_double(st, 13) / 1024.0);
		printf("  service      %s\n", txt(st, 14));
		printf("  scenario     sha256 %s\n", txt(st, 16));
		printf("  workload     %s fake computes, %s repeats\n", txt(st, 17), txt(st, 18));
		if (sqlite3_column_type(st, 19) != SQLITE_NULL)
			printf("  a/b          experiment %s\n", txt(st, 19));
		printf("  greenbench   %s\n", txt(st, 15));
	}
	sqlite3_finalize(st);
	sqlite3_prepare_v2(h, "SELECT name, sha256 FROM patches WHERE run_id = ?1 ORDER BY position", -1,
			   &st, NULL);
	sqlite3_bind_int64(st, 1, run);
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("  patch        %s (sha256 %.12s)\n", txt(st, 0), txt(st, 1));
	sqlite3_finalize(st);

	printf("\n%-72s %5s %10s %10s %10s %10s\n", "LATENCY", "N", "MEDIAN", "P95", "MIN", "MAX");
	for (size_t i = 0; i < nm; i++)
		printf("%-72.72s %5zu %10s %10s %10s %10s\n", m[i].name, m[i].a.n,
		       cmd_store_secs(m[i].a.median, a, sizeof(a)), cmd_store_secs(m[i].a.p95, b, sizeof(b)),
		       cmd_store_secs(m[i].a.min, c, sizeof(c)), cmd_store_secs(m[i].a.max, d, sizeof(d)));
	if (!nm)
		printf("(no requests, servers or profiles)\n");

	sqlite3_prepare_v2(h, "SELECT status, count(*) FROM requests WHERE run_id = ?1 GROUP BY status "
			      "ORDER BY status", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, run);
	int first = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		printf("%s%s x %lld", first ? "HTTP status  " : ", ", txt(st, 0), sqlite3_column_int64(st, 1));
		first = 0;
	}
	if (!first)
		printf("\n");
	sqlite3_finalize(st);

	sqlite3_prepare_v2(h, PROFILES_SQL, -1, &st, NULL);
	sqlite3_bind_int64(st, 1, run);
	first = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (first)
			printf("\n%-72s %4s %10s %10s %7s %8s\n", "PROFILE TARGET", "N", "MEAN WALL", "MAX WALL",
			       "FUNCS", "CALLS");
		first = 0;
		printf("%-72.72s %4lld %10s %10s %7.0f %8.0f\n", txt(st, 0), sqlite3_column_int64(st, 1),
		       cmd_store_secs(sqlite3_column_double(st, 2), a, sizeof(a)),
		       cmd_store_secs(sqlite3_column_double(st, 3), b, sizeof(b)),
		       sqlite3_column_double(st, 4), sqlite3_column_double(st, 5));
	}
	sqlite3_finalize(st);

	sqlite3_prepare_v2(h, "SELECT metric, value, limit_value, passed FROM sla WHERE run_id = ?1 "
			      "ORDER BY id", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, run);
	first = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (first)
			printf("\n%-72s %12s %12s  %s\n", "SLA", "VALUE", "LIMIT", "RESULT");
		first = 0;
		printf("%-72.72s %12.6g %12.6g  %s\n", txt(st, 0), sqlite3_column_double(st, 1),
		       sqlite3_column_double(st, 2), sqlite3_column_int(st, 3) ? "pass" : "FAIL");
	}
	sqlite3_finalize(st);
}

int cmd_show(int argc, char **argv)
{
	const char *db_path = NULL;
	int json = 0, yaml = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_BOOL, 0, "json", &json, NULL, "print everything as one JSON object" },
		{ OPT_BOOL, 0, "yaml", &yaml, NULL, "print only the scenario YAML the run used" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	const char *ref = NULL;
	if (!cmd_parse_one(argc, argv, &doc, opts, "RUN", &ref, &rc))
		return rc;
	struct store *db = cmd_store_open("show", db_path, &rc);
	if (!db)
		return rc;
	long long run;
	if (cmd_store_resolve("show", db, ref, &run, &rc)) {
		store_close(db);
		return rc;
	}
	sqlite3 *h = store_handle(db);
	if (yaml) {
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(h, "SELECT scenario_yaml FROM runs WHERE id = ?1", -1, &st, NULL);
		sqlite3_bind_int64(st, 1, run);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			fputs((const char *)sqlite3_column_text(st, 0), stdout);
		sqlite3_finalize(st);
		store_close(db);
		return GB_EXIT_OK;
	}
	struct compare_metric *m = NULL;
	size_t nm = 0;
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (compare_run_metrics(db, run, &m, &nm, &err)) {
		store_close(db);
		return cmd_fail("show", &err);
	}
	if (json)
		show_json(h, run, m, nm);
	else
		show_text(h, run, m, nm);
	compare_metrics_free(m, nm);
	store_close(db);
	return GB_EXIT_OK;
}

/*
 * cmd_list.c - `greenbench list`: the stored runs, newest first, as a table or JSON.
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd_store.h"

static const struct cmd_doc doc = {
	.name = "list",
	.summary = "list stored runs",
	.synopsis = "greenbench list [--scenario NAME] [--limit N] [--json] [--db FILE]",
	.description =
		"Lists the runs in the results store, newest first: id, start time (UTC),\n"
		"scenario, label, status, number of requests and profiles, and duration.\n"
		"The ids, labels and 'last~N' work as RUN in show, stats, export and compare.\n"
		CMD_STORE_FILES,
	.examples = "greenbench list --limit 5\n"
		    "greenbench list --scenario select_destinations --json",
};

int cmd_list(int argc, char **argv)
{
	const char *db_path = NULL, *scenario = NULL;
	long limit = 20;
	int json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "scenario", &scenario, "NAME", "only runs of this scenario" },
		{ OPT_INT, 'n', "limit", &limit, "N", "at most N runs (default 20, 0 = all)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print a JSON array instead of a table" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	if (!cmd_parse_none(argc, argv, &doc, opts, &rc))
		return rc;
	if (limit < 0) {
		fprintf(stderr, "greenbench list: --limit must be 0 or more, got %ld\n", limit);
		return GB_EXIT_USAGE;
	}
	struct store *db = cmd_store_open("list", db_path, &rc);
	if (!db)
		return rc;
	sqlite3 *h = store_handle(db);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h,
		"SELECT r.id, r.started_at, r.finished_at, r.scenario, r.label, r.status, r.is_baseline, "
		"(SELECT count(*) FROM requests q WHERE q.run_id = r.id), "
		"(SELECT count(*) FROM profiles p WHERE p.run_id = r.id), r.ab_id "
		"FROM runs r WHERE (?1 IS NULL OR r.scenario = ?1) ORDER BY r.id DESC LIMIT ?2",
		-1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "greenbench list: %s\n", sqlite3_errmsg(h));
		store_close(db);
		return GB_EXIT_ENV;
	}
	if (scenario)
		sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit ? limit : -1);
	json_t *arr = json ? json_array() : NULL;
	int n = 0;
	if (!json)
		printf("%5s  %-19s  %-24s  %-14s  %-11s  %5s  %5s  %8s\n", "ID", "STARTED (UTC)",
		       "SCENARIO", "LABEL", "STATUS", "REQS", "PROFS", "SECS");
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		double started = sqlite3_column_double(st, 1);
		double finished = sqlite3_column_double(st, 2);
		const char *scen = (const char *)sqlite3_column_text(st, 3);
		const char *label = (const char *)sqlite3_column_text(st, 4);
		const char *status = (const char *)sqlite3_column_text(st, 5);
		int is_baseline = sqlite3_column_int(st, 6);
		long long nreq = sqlite3_column_int64(st, 7), nprof = sqlite3_column_int64(st, 8);
		char when[32];
		n++;
		if (json) {
			json_t *o = json_pack("{s:I, s:f, s:s, s:s?, s:s, s:b, s:I, s:I}", "id",
					      (json_int_t)id, "started_at", started, "scenario", scen,
					      "label", label, "status", status, "is_baseline", is_baseline,
					      "n_requests", (json_int_t)nreq, "n_profiles", (json_int_t)nprof);
			json_object_set_new(o, "finished_at", sqlite3_column_type(st, 2) == SQLITE_NULL
								      ? json_null() : json_real(finished));
			json_object_set_new(o, "ab_id", sqlite3_column_type(st, 9) == SQLITE_NULL
								? json_null()
								: json_integer(sqlite3_column_int64(st, 9)));
			json_array_append_new(arr, o);
			continue;
		}
		char secs[32] = "-", stat[32];
		if (finished > started)
			snprintf(secs, sizeof(secs), "%.1f", finished - started);
		snprintf(stat, sizeof(stat), "%s%s", status, is_baseline ? " (base)" : "");
		printf("%5lld  %-19s  %-24.24s  %-14.14s  %-11s  %5lld  %5lld  %8s\n", id,
		       cmd_store_time(started, when, sizeof(when)), scen, label ? label : "-", stat, nreq,
		       nprof, secs);
	}
	sqlite3_finalize(st);
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(arr);
	} else if (n == 0) {
		printf("(no runs%s%s)\n", scenario ? " of scenario " : "", scenario ? scenario : "");
	}
	store_close(db);
	return GB_EXIT_OK;
}

/*
 * cmd_list.c - `greenbench list`: the stored runs, newest first, as a table or JSON.
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <jansson.h>
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

struct list_out {
	int json;
	json_t *arr;
	struct strbuf text;
	int n;
};

static int list_row(void *arg, const struct store_row *r)
{
	struct list_out *lo = arg;
	long long id = r->v[0].i;
	double started = r->v[1].d;
	double finished = r->v[2].d;
	const char *scen = r->v[3].s;
	const char *label = r->v[4].s;
	const char *status = r->v[5].s;
	int is_baseline = (int)r->v[6].i;
	long long nreq = r->v[7].i, nprof = r->v[8].i;
	char when[32];
	lo->n++;
	if (lo->json) {
		json_t *o = json_pack("{s:I, s:f, s:s, s:s?, s:s, s:b, s:I, s:I}", "id",
				      (json_int_t)id, "started_at", started, "scenario", scen,
				      "label", label, "status", status, "is_baseline", is_baseline,
				      "n_requests", (json_int_t)nreq, "n_profiles", (json_int_t)nprof);
		json_object_set_new(o, "finished_at", r->v[2].type == STORE_NULL ? json_null()
									 : json_real(finished));
		json_object_set_new(o, "ab_id", r->v[9].type == STORE_NULL ? json_null()
									   : json_integer(r->v[9].i));
		json_array_append_new(lo->arr, o);
		return 0;
	}
	char secs[32] = "-", stat[32];
	if (finished > started)
		snprintf(secs, sizeof(secs), "%.1f", finished - started);
	snprintf(stat, sizeof(stat), "%s%s", status, is_baseline ? " (base)" : "");
	sb_addf(&lo->text, "%5lld  %-19s  %-24.24s  %-14.14s  %-11s  %5lld  %5lld  %8s\n", id,
		cmd_store_time(started, when, sizeof(when)), scen, label ? label : "-", stat, nreq,
		nprof, secs);
	return 0;
}

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
	struct list_out lo = { json, json ? json_array() : NULL, STRBUF_INIT, 0 };
	struct store_value params[2] = { STORE_V_TEXT(scenario), STORE_V_INT(limit ? limit : -1) };
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (store_query(db, STORE_Q_RUNS_LIST, params, 2, list_row, &lo, "listing the runs", &err)) {
		json_decref(lo.arr);
		sb_release(&lo.text);
		store_close(db);
		return cmd_fail("list", &err);
	}
	json_t *arr = lo.arr;
	int n = lo.n;
	if (!json) {
		printf("%5s  %-19s  %-24s  %-14s  %-11s  %5s  %5s  %8s\n", "ID", "STARTED (UTC)",
		       "SCENARIO", "LABEL", "STATUS", "REQS", "PROFS", "SECS");
		fputs(sb_str(&lo.text), stdout);
		sb_release(&lo.text);
	}
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

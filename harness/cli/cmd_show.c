/*
 * cmd_show.c - `greenbench show`: one stored run: metadata, request and server latency
 * summaries, per-target profile summary, SLA results. Text or JSON.
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <jansson.h>
#include <math.h>
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

static json_t *col_json(const struct store_row *r, size_t i)
{
	switch (r->v[i].type) {
	case STORE_INT: return json_integer(r->v[i].i);
	case STORE_REAL: return json_real(r->v[i].d);
	case STORE_TEXT: return json_string(r->v[i].s);
	default: return json_null();
	}
}

static int row_json(void *arg, const struct store_row *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < r->n; i++)
		json_object_set_new(o, r->names[i], col_json(r, i));
	json_array_append_new(arg, o);
	return 0;
}

/* All columns of a query's rows as JSON objects, into root[key] (root itself: the
 * first row's object when key is NULL). */
static int rows_json(struct store *db, enum store_query q, long long run, json_t **root,
		     const char *key, struct gb_err *err)
{
	json_t *arr = json_array();
	if (store_query_run(db, q, run, row_json, arr, "reading the run", err)) {
		json_decref(arr);
		return -1;
	}
	if (!key) {
		*root = json_incref(json_array_get(arr, 0));
		json_decref(arr);
		if (!*root)
			*root = json_object();
		return 0;
	}
	json_object_set_new(*root, key, arr);
	return 0;
}

static json_t *metric_json(const struct compare_metric *m)
{
	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "metric", m->name, "n",
			 (json_int_t)m->d.n, "median", isnan(m->d.median) ? json_null() : json_real(m->d.median),
			 "p95", isnan(m->d.p95) ? json_null() : json_real(m->d.p95), "mean",
			 isnan(m->d.mean) ? json_null() : json_real(m->d.mean), "min",
			 isnan(m->d.min) ? json_null() : json_real(m->d.min), "max",
			 isnan(m->d.max) ? json_null() : json_real(m->d.max));
}

static int show_json(struct store *db, long long run, const struct compare_metric *m, size_t nm,
		     struct gb_err *err)
{
	json_t *root = NULL;
	if (rows_json(db, STORE_Q_RUN_ALL, run, &root, NULL, err))
		return -1;
	int rc = rows_json(db, STORE_Q_RUN_PATCHES, run, &root, "patches", err);
	json_t *lat = json_array();
	for (size_t i = 0; i < nm; i++)
		json_array_append_new(lat, metric_json(&m[i]));
	json_object_set_new(root, "latency", lat);
	if (!rc)
		rc = rows_json(db, STORE_Q_RUN_REQUESTS, run, &root, "requests", err);
	if (!rc)
		rc = rows_json(db, STORE_Q_RUN_SERVERS, run, &root, "servers", err);
	if (!rc)
		rc = rows_json(db, STORE_Q_RUN_PROFILE_TARGETS, run, &root, "profile_targets", err);
	if (!rc)
		rc = rows_json(db, STORE_Q_RUN_PROFILES, run, &root, "profiles", err);
	if (!rc)
		rc = rows_json(db, STORE_Q_RUN_SLA, run, &root, "sla", err);
	if (!rc) {
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
		printf("%s\n", s ? s : "{}");
		free(s);
	}
	json_decref(root);
	return rc;
}

static const char *txt(const struct store_row *r, size_t i)
{
	const char *s = store_row_text(r, i);
	return s ? s : "-";
}

/* The text page is built in a strbuf and printed only when every query worked, so a
 * broken store gives its error, not half a page. */
static int run_text(void *arg, const struct store_row *r)
{
	struct strbuf *o = arg;
	char a[64];
	double started = r->v[3].d, finished = r->v[4].d;
	sb_addf(o, "%s", txt(r, 0));
	if (r->v[1].type != STORE_NULL)
		sb_addf(o, " '%s'", txt(r, 1));
	sb_addf(o, ", %s%s\n", txt(r, 2), r->v[20].i ? " (baseline)" : "");
	sb_addf(o, "  started      %s UTC", cmd_store_time(started, a, sizeof(a)));
	if (finished > started)
		sb_addf(o, ", took %.1f s", finished - started);
	sb_addf(o, "\n  host         %s, %s CPUs\n", txt(r, 5), txt(r, 6));
	sb_addf(o, "  load         %s/%s/%s before, %s/%s/%s after\n", txt(r, 7), txt(r, 8),
		txt(r, 9), txt(r, 10), txt(r, 11), txt(r, 12));
	if (r->v[13].type != STORE_NULL)
		sb_addf(o, "  free memory  %.1f MiB\n", r->v[13].d / 1024.0);
	sb_addf(o, "  service      %s\n", txt(r, 14));
	sb_addf(o, "  scenario     sha256 %s\n", txt(r, 16));
	sb_addf(o, "  workload     %s fake computes, %s repeats\n", txt(r, 17), txt(r, 18));
	if (r->v[19].type != STORE_NULL)
		sb_addf(o, "  a/b          experiment %s\n", txt(r, 19));
	sb_addf(o, "  greenbench   %s\n", txt(r, 15));
	return 0;
}

static int patch_text(void *arg, const struct store_row *r)
{
	sb_addf(arg, "  patch        %s (sha256 %.12s)\n", txt(r, 1), txt(r, 2));
	return 0;
}

struct section {
	struct strbuf *o;
	int first;
};

static int status_text(void *arg, const struct store_row *r)
{
	struct section *s = arg;
	sb_addf(s->o, "%s%s x %lld", s->first ? "HTTP status  " : ", ", txt(r, 0), r->v[1].i);
	s->first = 0;
	return 0;
}

static int target_text(void *arg, const struct store_row *r)
{
	struct section *s = arg;
	char a[64], b[64], c[64];
	if (s->first)
		sb_addf(s->o, "\n%-60s %4s %10s %10s %10s %7s %8s\n", "PROFILE TARGET", "N", "MEAN WALL",
			"MAX WALL", "MEAN CPU", "FUNCS", "CALLS");
	s->first = 0;
	/* the CPU mean only when every profile has it (greenprof's times), else "?" */
	int has_cpu = r->v[9].type != STORE_NULL && r->v[9].i == r->v[1].i;
	sb_addf(s->o, "%-60.60s %4lld %10s %10s %10s %7.0f %8.0f\n", txt(r, 0), r->v[1].i,
		cmd_store_secs(r->v[2].d, a, sizeof(a)), cmd_store_secs(r->v[3].d, b, sizeof(b)),
		has_cpu ? cmd_store_secs(r->v[8].d, c, sizeof(c)) : "?", r->v[4].d, r->v[5].d);
	return 0;
}

static int sla_text(void *arg, const struct store_row *r)
{
	struct section *s = arg;
	if (s->first)
		sb_addf(s->o, "\n%-72s %12s %12s  %s\n", "SLA", "VALUE", "LIMIT", "RESULT");
	s->first = 0;
	sb_addf(s->o, "%-72.72s %12.6g %12.6g  %s\n", txt(r, 0), r->v[1].d, r->v[2].d,
		r->v[3].i ? "pass" : "FAIL");
	return 0;
}

static int show_text(struct store *db, long long run, const struct compare_metric *m, size_t nm,
		     struct gb_err *err)
{
	struct strbuf o = STRBUF_INIT, runline = STRBUF_INIT;
	char a[64], b[64], c[64], d[64];
	const char *doing = "reading the run";
	int rc = store_query_run(db, STORE_Q_RUN_SUMMARY, run, run_text, &runline, doing, err);
	if (runline.len)
		sb_addf(&o, "run %lld: %s", run, sb_str(&runline));
	sb_release(&runline);
	if (!rc)
		rc = store_query_run(db, STORE_Q_RUN_PATCHES, run, patch_text, &o, doing, err);

	sb_addf(&o, "\n%-72s %5s %10s %10s %10s %10s\n", "LATENCY", "N", "MEDIAN", "P95", "MIN", "MAX");
	for (size_t i = 0; i < nm; i++)
		sb_addf(&o, "%-72.72s %5zu %10s %10s %10s %10s\n", m[i].name, m[i].d.n,
			cmd_store_secs(m[i].d.median, a, sizeof(a)), cmd_store_secs(m[i].d.p95, b, sizeof(b)),
			cmd_store_secs(m[i].d.min, c, sizeof(c)), cmd_store_secs(m[i].d.max, d, sizeof(d)));
	if (!nm)
		sb_addstr(&o, "(no requests, servers or profiles)\n");

	struct section s = { &o, 1 };
	if (!rc)
		rc = store_query_run(db, STORE_Q_RUN_STATUS_COUNTS, run, status_text, &s, doing, err);
	if (!s.first)
		sb_addch(&o, '\n');
	s.first = 1;
	if (!rc)
		rc = store_query_run(db, STORE_Q_RUN_PROFILE_TARGETS, run, target_text, &s, doing, err);
	s.first = 1;
	if (!rc)
		rc = store_query_run(db, STORE_Q_RUN_SLA, run, sla_text, &s, doing, err);
	if (!rc)
		fputs(sb_str(&o), stdout);
	sb_release(&o);
	return rc;
}

static int yaml_text(void *arg, const struct store_row *r)
{
	if (r->v[0].type != STORE_NULL)
		sb_addstr(arg, store_row_text(r, 0));
	return 0;
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
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (yaml) {
		struct strbuf y = STRBUF_INIT;
		rc = store_query_run(db, STORE_Q_RUN_YAML, run, yaml_text, &y, "reading the run", &err);
		if (!rc)
			fputs(sb_str(&y), stdout);
		sb_release(&y);
		store_close(db);
		return rc ? cmd_fail("show", &err) : GB_EXIT_OK;
	}
	struct compare_metric *m = NULL;
	size_t nm = 0;
	if (compare_run_metrics(db, run, &m, &nm, &err)) {
		store_close(db);
		return cmd_fail("show", &err);
	}
	if (json)
		rc = show_json(db, run, m, nm, &err);
	else
		rc = show_text(db, run, m, nm, &err);
	compare_metrics_free(m, nm);
	store_close(db);
	return rc ? cmd_fail("show", &err) : GB_EXIT_OK;
}

/*
 * cmd_compare.c - `greenbench compare`: run B against run A, first version: latency
 * summaries side by side and the functions that moved most (harness/compare.c).
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_store.h"
#include "compare.h"

static const struct cmd_doc doc = {
	.name = "compare",
	.summary = "compare two stored runs with statistics and a verdict",
	.synopsis = "greenbench compare A B [--limit N] [--json] [--db FILE]",
	.description =
		"Compares run B against run A. Prints each latency metric of both runs side by\n"
		"side (requests grouped by method and path, server times, profiled call wall\n"
		"times): count, median and 95th percentile; then the functions whose cumtime\n"
		"and tottime per profile changed most, and every function whose calls per\n"
		"profile changed. This first version gives no significance verdict yet.\n"
		CMD_STORE_RUN_REFS,
	.examples = "greenbench compare last~1 last\n"
		    "greenbench compare before after --limit 30 --json",
};

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *dist_json(const struct compare_dist *d)
{
	return json_pack("{s:I, s:o, s:o, s:o}", "n", (json_int_t)d->n, "median", num(d->median), "p95",
			 num(d->p95), "mean", num(d->mean));
}

static json_t *funcs_json(const struct compare_func *f, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:f, s:f, s:f, s:f, s:f, s:f}", "file",
						     f[i].file, "line", (json_int_t)f[i].line, "name",
						     f[i].name, "cumtime_a", f[i].ct_a, "cumtime_b", f[i].ct_b,
						     "tottime_a", f[i].tt_a, "tottime_b", f[i].tt_b,
						     "ncalls_a", f[i].nc_a, "ncalls_b", f[i].nc_b));
	return arr;
}

static void pct(double a, double b, char *buf, size_t n)
{
	if (isnan(a) || isnan(b) || a == 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%+.1f%%", (b - a) / a * 100);
}

static void print_funcs(const char *title, const struct compare_func *f, size_t n, int tottime)
{
	if (!n)
		return;
	printf("\n%s\n%12s %12s %12s %8s  %s\n", title, "A", "B", "DELTA", "", "FUNCTION");
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		double a = tottime ? f[i].tt_a : f[i].ct_a, b = tottime ? f[i].tt_b : f[i].ct_b;
		char sa[32], sbuf[32], sd[32], sp[32];
		pct(a, b, sp, sizeof(sp));
		struct pstats_func pf = { .file = f[i].file, .line = f[i].line, .name = f[i].name };
		sb_reset(&sb);
		pstats_func_label(&pf, &sb);
		printf("%12s %12s %12s %8s  %s\n", cmd_store_secs(a, sa, sizeof(sa)),
		       cmd_store_secs(b, sbuf, sizeof(sbuf)), cmd_store_secs(b - a, sd, sizeof(sd)), sp,
		       sb_str(&sb));
	}
	sb_release(&sb);
}

int cmd_compare(int argc, char **argv)
{
	const char *db_path = NULL;
	long limit = 15;
	int json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_INT, 'n', "limit", &limit, "N", "functions per list (default 15)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print JSON instead of tables" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc))
		return rc;
	if (n_args != 2) {
		free(args);
		fprintf(stderr, "greenbench compare: expected two runs, A and B; see 'greenbench compare --help'\n");
		return GB_EXIT_USAGE;
	}
	const char *ref_a = args[0], *ref_b = args[1];
	free(args);
	if (limit < 1) {
		fprintf(stderr, "greenbench compare: --limit must be 1 or more, got %ld\n", limit);
		return GB_EXIT_USAGE;
	}
	struct store *db = cmd_store_open("compare", db_path, &rc);
	if (!db)
		return rc;
	long long a, b;
	if (cmd_store_resolve("compare", db, ref_a, &a, &rc) ||
	    cmd_store_resolve("compare", db, ref_b, &b, &rc)) {
		store_close(db);
		return rc;
	}
	struct compare_result res;
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (compare_runs(db, a, b, (size_t)limit, &res, &err)) {
		store_close(db);
		return cmd_fail("compare", &err);
	}
	store_close(db);
	if (json) {
		json_t *metrics = json_array();
		for (size_t i = 0; i < res.n_metrics; i++)
			json_array_append_new(metrics, json_pack("{s:s, s:o, s:o}", "metric", res.metrics[i].name,
								 "a", dist_json(&res.metrics[i].a), "b",
								 dist_json(&res.metrics[i].b)));
		json_t *root = json_pack("{s:I, s:I, s:i, s:i, s:o, s:o, s:o, s:o, s:I}", "run_a", (json_int_t)a,
					 "run_b", (json_int_t)b, "n_profiles_a", res.n_profiles_a,
					 "n_profiles_b", res.n_profiles_b, "metrics", metrics,
					 "cumtime_changes", funcs_json(res.by_cumtime, res.n_by_cumtime),
					 "tottime_changes", funcs_json(res.by_tottime, res.n_by_tottime),
					 "ncalls_changes", funcs_json(res.ncalls, res.n_ncalls),
					 "n_ncalls_changed", (json_int_t)res.n_ncalls_total);
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(root);
	} else {
		printf("compare run %lld (A) -> run %lld (B); no significance verdict in this version\n\n", a, b);
		printf("%-72s %4s %10s %10s %4s %10s %10s %8s\n", "METRIC", "N A", "MEDIAN A", "P95 A",
		       "N B", "MEDIAN B", "P95 B", "MEDIAN");
		for (size_t i = 0; i < res.n_metrics; i++) {
			const struct compare_metric *m = &res.metrics[i];
			char s1[32], s2[32], s3[32], s4[32], s5[32];
			pct(m->a.median, m->b.median, s5, sizeof(s5));
			printf("%-72.72s %4zu %10s %10s %4zu %10s %10s %8s\n", m->name, m->a.n,
			       cmd_store_secs(m->a.median, s1, sizeof(s1)), cmd_store_secs(m->a.p95, s2, sizeof(s2)),
			       m->b.n, cmd_store_secs(m->b.median, s3, sizeof(s3)),
			       cmd_store_secs(m->b.p95, s4, sizeof(s4)), s5);
		}
		printf("\nper profile: run %lld has %d profiles, run %lld has %d\n", a, res.n_profiles_a, b,
		       res.n_profiles_b);
		print_funcs("CUMTIME PER PROFILE, LARGEST CHANGES", res.by_cumtime, res.n_by_cumtime, 0);
		print_funcs("TOTTIME PER PROFILE, LARGEST CHANGES", res.by_tottime, res.n_by_tottime, 1);
		if (res.n_ncalls) {
			printf("\nCALLS PER PROFILE CHANGED (%zu function%s%s)\n%12s %12s  %s\n", res.n_ncalls_total,
			       res.n_ncalls_total == 1 ? "" : "s",
			       res.n_ncalls < res.n_ncalls_total ? ", largest shown" : "", "A", "B", "FUNCTION");
			struct strbuf sb = STRBUF_INIT;
			for (size_t i = 0; i < res.n_ncalls; i++) {
				struct pstats_func pf = { .file = res.ncalls[i].file, .line = res.ncalls[i].line,
							  .name = res.ncalls[i].name };
				sb_reset(&sb);
				pstats_func_label(&pf, &sb);
				printf("%12.6g %12.6g  %s\n", res.ncalls[i].nc_a, res.ncalls[i].nc_b, sb_str(&sb));
			}
			sb_release(&sb);
		} else {
			printf("\nno function's calls per profile changed\n");
		}
	}
	compare_result_release(&res);
	return GB_EXIT_OK;
}

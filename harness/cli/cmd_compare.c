/*
 * cmd_compare.c - `greenbench compare`: a verdict on B against A (runs, lists of runs,
 * or an ab experiment) as a table, JSON, TAP or JUnit; exit 1 when B regressed.
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/ab.h"
#include "cli/cmd_store.h"
#include "cli/cmd_verdict.h"
#include "judge/compare.h"
#include "report/report.h"

static const struct cmd_doc doc = {
	.name = "compare",
	.summary = "compare two stored runs with statistics and a verdict",
	.synopsis = "greenbench compare A B [--min-effect PCT] [--json | --tap | --junit] [--force]\n"
		    "greenbench compare A1,A2,A3 B1,B2,B3 [options]\n"
		    "greenbench compare --ab ID [options]",
	.description =
		"Judges B against A: for each metric (the profiled call's CPU time, wall time\n"
		"and busy time first, then the request latencies) both medians, the relative\n"
		"change with its confidence interval, and one of three answers. The CPU time is\n"
		"greenprof's thread CPU clock of the call's own execution: other greenlets and\n"
		"other processes on its core do not count, so a busy host does not inflate it.\n"
		"It is the primary metric when every profile of both sides has it (else a note\n"
		"says so and the wall time is primary, with the busy time). SLOWER or FASTER:\n"
		"one of the call's times (or a latency) moved, with significance (Mann-Whitney,\n"
		"alpha 5%, Benjamini-Hochberg in each family) and by at least --min-effect\n"
		"(default 5%); NO CHANGE: the primary metric's whole interval lies inside\n"
		"+-min-effect; anything else is INCONCLUSIVE (exit 5), with about how many more\n"
		"runs per side would likely settle it: a wide interval is not evidence of no\n"
		"change. The busy time is the call without its waits (for\n"
		"placement, the database, other greenlets: greenprof's <greenlet switch>): the\n"
		"service's own work, of which added work is a larger share, so it shows there\n"
		"first. Then the functions whose own time (tottime per profiled call) moved,\n"
		"judged as one family with the Benjamini-Hochberg false discovery rate so a table\n"
		"of 2,000 functions does not cry wolf, each with its callers; then where the time\n"
		"went (the largest changes of own time per call, functions only one side runs\n"
		"marked new or gone); then the call counts that changed: a count that is the same\n"
		"in every profiled call on each side is a fact (\"2 -> 4 calls\"), not a\n"
		"probability.\n\n"
		"Two single runs are compared with within-run samples (each request, each\n"
		"profiled call): that cannot see run-to-run noise, which on a shared host is\n"
		"5-20%, and compare says so. Lists of runs (A1,A2,A3 B1,B2,B3) and --ab ID use\n"
		"one sample per run (its median): that is the verdict to trust.\n\n"
		"Runs of different scenarios or fake-compute counts are refused unless --force.\n"
		"Runs taken on a busy host (load1 above 0.7 per CPU) are flagged.\n"
		CMD_STORE_RUN_REFS,
	.exit_status = "0  no regression: faster, or no change (the primary metric inside\n"
		       "   +-min-effect)\n"
		       "1  B regressed: the primary metric (the call's CPU time, else its wall or\n"
		       "   busy time) or a latency is slower\n"
		       "2  bad usage, unknown run, or runs that should not be compared\n"
		       "3  the store could not be read\n"
		       "5  inconclusive: the primary metric is neither slower/faster nor shown to be\n"
		       "   inside +-min-effect; compare more runs\n",
	.examples = "greenbench compare last~1 last\n"
		    "greenbench compare 11,12,13 14,15,16 --min-effect 3\n"
		    "greenbench compare --ab 4 --junit > ab.xml",
};

int cmd_compare(int argc, char **argv)
{
	const char *db_path = NULL, *min_effect_s = NULL, *target = NULL;
	long limit = 15, ab_id = 0;
	double alpha = VERDICT_ALPHA;
	int json = 0, tap = 0, junit = 0, force = 0, no_callers = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "min-effect", &min_effect_s, "PCT", "smallest change that counts and the no-change margin, in percent (default 5)" },
		{ OPT_DOUBLE, 0, "alpha", &alpha, "P", "significance / false discovery rate (default 0.05)" },
		{ OPT_INT, 0, "ab", &ab_id, "ID", "compare the two sides of ab experiment ID" },
		{ OPT_STRING, 0, "target", &target, "T", "only profiles whose target contains T" },
		{ OPT_INT, 'n', "limit", &limit, "N", "functions listed (default 15)" },
		{ OPT_BOOL, 'f', "force", &force, NULL, "compare runs of different scenarios anyway" },
		{ OPT_BOOL, 0, "no-callers", &no_callers, NULL, "do not read the raw dumps for callers" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print JSON" },
		{ OPT_BOOL, 0, "tap", &tap, NULL, "print TAP (one test per metric)" },
		{ OPT_BOOL, 0, "junit", &junit, NULL, "print JUnit XML" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc))
		return rc;
	const char *ref_a = n_args > 0 ? args[0] : NULL, *ref_b = n_args > 1 ? args[1] : NULL;
	size_t want = ab_id ? 0 : 2;
	free(args);
	if (n_args != want) {
		fprintf(stderr, ab_id ? "greenbench compare: --ab takes no runs besides the experiment\n"
				      : "greenbench compare: expected two runs, A and B; see 'greenbench compare --help'\n");
		return GB_EXIT_USAGE;
	}
	struct compare_opts o = COMPARE_OPTS_DEFAULT;
	if (min_effect_s && cmd_verdict_pct(min_effect_s, &o.min_effect)) {
		fprintf(stderr, "greenbench compare: --min-effect '%s' is not a percentage like 5 or 2.5%%\n",
			min_effect_s);
		return GB_EXIT_USAGE;
	}
	if (limit < 1 || !(alpha > 0 && alpha < 1) || json + tap + junit > 1) {
		fprintf(stderr, "greenbench compare: %s\n",
			limit < 1 ? "--limit must be 1 or more"
			: json + tap + junit > 1 ? "choose one of --json, --tap, --junit"
						  : "--alpha must be between 0 and 1, e.g. 0.05");
		return GB_EXIT_USAGE;
	}
	o.alpha = alpha;
	o.top_n = (size_t)limit;
	o.force = force;
	o.with_callers = !no_callers;
	o.target = target;
	struct store *db = cmd_store_open("compare", db_path, &rc);
	if (!db)
		return rc;
	struct gb_err err = { GB_EXIT_USAGE, "" };
	long long *a = NULL, *b = NULL;
	size_t n_a = 0, n_b = 0;
	struct compare_verdict v;
	int failed = ab_id ? ab_runs(db, ab_id, &a, &n_a, &b, &n_b, &err)
			   : (compare_resolve_list(db, ref_a, &a, &n_a, &err) ||
			      compare_resolve_list(db, ref_b, &b, &n_b, &err));
	if (!failed)
		failed = compare_judge(db, a, n_a, b, n_b, &o, &v, &err);
	store_close(db);
	free(a);
	free(b);
	if (failed)
		return cmd_fail("compare", &err);
	struct strbuf out = STRBUF_INIT;
	if (json)
		report_compare_json(&v, &out);
	else if (tap)
		report_compare_tap(&v, &out);
	else if (junit)
		report_compare_junit(&v, "greenbench compare", &out);
	else
		report_compare_text(&v, &out);
	fwrite(sb_str(&out), 1, out.len, stdout);
	sb_release(&out);
	rc = v.is_regression ? GB_EXIT_FAIL : v.is_inconclusive ? GB_EXIT_INCONCLUSIVE : GB_EXIT_OK;
	compare_verdict_release(&v);
	return rc;
}

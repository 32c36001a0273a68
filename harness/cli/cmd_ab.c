/*
 * cmd_ab.c - `greenbench ab`: the baseline and the patched code in one session,
 * interleaved blocks (ABBA or seeded random), each block one runner_run(); then the
 * compare with one sample per run, exit 1 on a regression. CLI layer: prints; the
 * host is changed only by runner_run, which restores it after every block.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/ab.h"
#include "cli/cmd_store.h"
#include "cli/cmd_verdict.h"
#include "judge/compare.h"
#include "report/report.h"

static const struct cmd_doc doc = {
	.name = "ab",
	.summary = "before/after a patch, interleaved blocks, one verdict",
	.synopsis = "greenbench ab SCENARIO --patch FILE [--patch FILE...] [--repeat N] [--random]\n"
		    "             [--seed S] [--tree DIR] [--min-effect PCT] [--json] [run options]",
	.description =
		"Runs SCENARIO as a baseline (A) and with the patches applied (B), in the same\n"
		"session, interleaved by blocks: A B B A A B B A ... (or, with --random, each\n"
		"pair's order drawn from a seeded generator whose seed is printed), so a drift of\n"
		"the host hits both sides alike. Each block is one whole run (restart, workload,\n"
		"profiles, store, restore); a B block applies the patches journaled and reverses\n"
		"them at its end, so a crash or Ctrl-C leaves the tree as it was.\n\n"
		"Both sides are stored as runs of one experiment (ab id, labels abID-A and\n"
		"abID-B); at the end the compare uses one sample per run (its median), the\n"
		"verdict that holds up under run-to-run noise, and exits 1 when B regressed.\n"
		"'greenbench compare --ab ID' prints it again later.\n\n"
		"--repeat N blocks per side (default 8): 8 vs 8 runs can still flag a change\n"
		"when one or two blocks on a side are spoiled by a burst of load on the host;\n"
		"6 vs 6 cannot (measured on the test cloud: harness/judge/VERDICTS.md).",
	.exit_status = "0  B is not slower\n"
		       "1  B regressed (the profiled call or a latency is slower)\n"
		       "2  bad usage, scenario or patch\n"
		       "3  a block could not run (environment)\n"
		       "4  interrupted; the host was restored\n",
	.examples = "greenbench ab scenarios/select_destinations.yaml --patch fix.diff\n"
		    "greenbench ab sd.yaml --patch a.diff --patch b.diff --repeat 8 --random",
};

struct block_ctx {
	const struct scenario *sc;
	struct runner_opts base;
	const char *const *patches;
	size_t n_patches;
	const char *tree;
};

static int run_block(void *arg, char side, size_t block, long long ab_id, long long *run_id,
		     struct gb_err *err)
{
	struct block_ctx *c = arg;
	struct runner_opts o = c->base;
	char label[64];
	snprintf(label, sizeof(label), "ab%lld-%c", ab_id, side);
	o.label = label;
	o.ab_id = ab_id;
	if (side == 'B') {
		o.extra_patches = c->patches;
		o.n_extra_patches = c->n_patches;
		o.patch_tree = c->tree;
	}
	struct runner_result res;
	memset(&res, 0, sizeof(res));
	int rc = runner_run(c->sc, &o, &res, err);
	*run_id = rc ? 0 : res.run_id;
	if (!rc)
		fprintf(stderr, "greenbench ab: block %zu (%c): run %lld, %s, %.0f s\n", block + 1, side,
			res.run_id, res.status ? res.status : "?", res.secs);
	runner_result_release(&res);
	return rc;
}

static int duration_row(void *arg, const struct store_row *r)
{
	*(double *)arg = r->v[0].d;
	return 0;
}

/* Seconds of the last good run of the scenario, or NaN. */
static double last_duration(struct store *db, const char *scenario)
{
	double secs = NAN;
	struct store_value p = STORE_V_TEXT(scenario);
	struct gb_err err = { 0, "" };
	if (store_query(db, STORE_Q_SCENARIO_LAST_DURATION, &p, 1, duration_row, &secs, NULL, &err))
		secs = NAN;
	return secs;
}

int cmd_ab(int argc, char **argv)
{
	struct cmd_run_args ra;
	memset(&ra, 0, sizeof(ra));
	struct opt_list patches = { NULL, 0 };
	const char *tree = NULL, *min_effect_s = NULL;
	long repeat = 8, seed = -1;
	int randomize = 0, json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_LIST, 'p', "patch", &patches, "FILE", "a patch for the B side (repeatable)" },
		{ OPT_INT, 'r', "repeat", &repeat, "N", "blocks per side (default 8)" },
		{ OPT_BOOL, 0, "random", &randomize, NULL, "randomize each pair's order (seed printed)" },
		{ OPT_INT, 0, "seed", &seed, "S", "seed for --random (default: from the clock)" },
		{ OPT_STRING, 0, "tree", &tree, "DIR", "the source tree the patches apply to" },
		{ OPT_STRING, 0, "min-effect", &min_effect_s, "PCT", "smallest change that counts (default 5)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print the compare as JSON" },
		CMD_RUN_ARGS_OPTS(ra),
		OPT_END_MARKER,
	};
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc))
		goto out_lists;
	const char *path = n_args == 1 ? args[0] : NULL;
	free(args);
	struct compare_opts co = COMPARE_OPTS_DEFAULT;
	const char *bad = !path ? "expected one SCENARIO file"
			: !patches.n_items ? "give the patched side with --patch FILE"
			: repeat < 1 || repeat > 100 ? "--repeat must be 1..100"
			: min_effect_s && cmd_verdict_pct(min_effect_s, &co.min_effect) ? "--min-effect is a percentage like 5"
			: NULL;
	if (bad) {
		fprintf(stderr, "greenbench ab: %s; see 'greenbench ab --help'\n", bad);
		rc = GB_EXIT_USAGE;
		goto out_lists;
	}
	struct gb_err err = { GB_EXIT_USAGE, "" };
	for (size_t i = 0; i < patches.n_items; i++)
		if (access(patches.items[i], R_OK)) {
			fprintf(stderr, "greenbench ab: patch %s cannot be read; check the path\n", patches.items[i]);
			rc = GB_EXIT_USAGE;
			goto out_lists;
		}
	struct scenario *sc = NULL;
	if (scenario_load(path, &sc, &err)) {
		rc = cmd_fail("ab", &err);
		goto out_lists;
	}
	struct store *db = NULL;
	err.exit_code = GB_EXIT_ENV;
	if (store_open_default(ra.db, 1, &db, &err)) {
		rc = cmd_fail("ab", &err);
		scenario_free(sc);
		goto out_lists;
	}
	uint64_t s = seed >= 0 ? (uint64_t)seed : (uint64_t)time(NULL) % 1000000;
	size_t n_blocks = 2 * (size_t)repeat;
	char *order = gb_malloc(n_blocks + 1);
	ab_order((size_t)repeat, randomize, s, order);
	double per = last_duration(db, sc->name);
	if (isnan(per))
		fprintf(stderr, "greenbench ab: %zu blocks (%ld baseline, %ld patched), order %s%s; no earlier "
				"run of %s to estimate the time from\n", n_blocks, repeat, repeat, order,
			randomize ? " (random)" : " (interleaved)", sc->name);
	else
		fprintf(stderr, "greenbench ab: %zu blocks (%ld baseline, %ld patched), order %s%s; about %.0f "
				"min (the last run of %s took %.0f s)\n", n_blocks, repeat, repeat, order,
			randomize ? " (random)" : " (interleaved)", n_blocks * per / 60, sc->name, per);
	if (randomize)
		fprintf(stderr, "greenbench ab: random order, seed %llu (--random --seed %llu repeats it)\n",
			(unsigned long long)s, (unsigned long long)s);
	long long ab_id = 0;
	struct block_ctx ctx = { sc, { 0 }, patches.items, patches.n_items, tree };
	cmd_verdict_runner_opts(&ra, "ab", &ctx.base);
	struct ab_outcome outcome;
	int stopped = 0;
	if (ab_begin(db, sc->name, order, randomize, s, patches.items, patches.n_items, &ab_id, &err)) {
		rc = cmd_fail("ab", &err);
		goto out_all;
	}
	fprintf(stderr, "greenbench ab: experiment %lld\n", ab_id);
	struct gb_err run_err = { GB_EXIT_ENV, "" };
	if (ab_execute(db, ab_id, order, run_block, &ctx, cmd_verdict_progress, (void *)"ab", &outcome,
		       &run_err)) {
		cmd_fail("ab", &run_err);
		stopped = run_err.exit_code ? run_err.exit_code : GB_EXIT_ENV;
	}
	long long *a = NULL, *b = NULL;
	size_t n_a = 0, n_b = 0;
	struct compare_verdict v;
	err.exit_code = GB_EXIT_USAGE;
	if (ab_runs(db, ab_id, &a, &n_a, &b, &n_b, &err) ||
	    compare_judge(db, a, n_a, b, n_b, &co, &v, &err)) {
		if (!stopped)
			rc = cmd_fail("ab", &err);
		else
			rc = stopped;
	} else {
		struct strbuf o = STRBUF_INIT;
		if (json)
			report_compare_json(&v, &o);
		else
			report_compare_text(&v, &o);
		fwrite(sb_str(&o), 1, o.len, stdout);
		sb_release(&o);
		if (stopped)
			printf("(partial: the experiment stopped after %zu of %zu blocks)\n", outcome.n_done, n_blocks);
		rc = stopped ? stopped : v.is_regression ? GB_EXIT_FAIL : GB_EXIT_OK;
		compare_verdict_release(&v);
	}
	free(a);
	free(b);
out_all:
	free(order);
	store_close(db);
	scenario_free(sc);
out_lists:
	opt_list_release(&patches);
	opt_list_release(&ra.vars);
	return rc;
}

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
#include "judge/sequential.h"
#include "cli/cmd_verdict.h"
#include "judge/compare.h"
#include "report/report.h"

static const struct cmd_doc doc = {
	.name = "ab",
	.summary = "before/after a patch, interleaved blocks, one verdict",
	.synopsis = "greenbench ab SCENARIO {--patch FILE | --b-scenario FILE | --b-config SETTING |\n"
		    "             --b-env NAME=VALUE}... (one or more, repeatable)\n"
		    "             [--max-blocks N] [--max-time DURATION] [--min-blocks N]\n"
		    "             [--spending pocock|obf] [--repeat N] [--random] [--seed S]\n"
		    "             [--tree DIR] [--min-effect PCT] [--json] [run options]",
	.description =
		"Runs SCENARIO as a baseline (A) and with the patches applied (B), in the same\n"
		"session, interleaved by blocks: A B B A A B B A ... (or, with --random, each\n"
		"pair's order drawn from a seeded generator whose seed is printed), so a drift of\n"
		"the host hits both sides alike. Each block is one whole run (restart, workload,\n"
		"profiles, store, restore); a B block applies the patches journaled and reverses\n"
		"them at its end, so a crash or Ctrl-C leaves the tree as it was.\n\n"
		"Adaptive by default: ab looks at the verdict after --min-blocks (4) blocks per\n"
		"side and after every ABBA (2 more per side), and stops as soon as the answer\n"
		"is decided on the primary metric, the profiled call's CPU time (else its wall\n"
		"and busy time): SLOWER or FASTER (moved by at least --min-effect), or NO CHANGE\n"
		"(its interval inside +-min-effect); the wall and busy time are shown beside.\n"
		"Otherwise it goes on up to --max-blocks per side (20) or until --max-time\n"
		"would be passed before the next look, and answers INCONCLUSIVE (exit 5) with\n"
		"how many more blocks per side would likely settle it. Each look\n"
		"is printed with where it stands. The looks are a group-sequential design\n"
		"(Lan-DeMets alpha spending, Pocock-type by default, or O'Brien-Fleming-type):\n"
		"each look tests at a stricter level than 5%, so that over all looks the chance\n"
		"of a false alarm on an A/A experiment stays <= 5% (harness/judge/VERDICTS.md).\n"
		"--repeat N instead runs exactly N blocks per side and judges once.\n\n"
		"--b-scenario FILE: the B blocks run that scenario instead of SCENARIO (with the\n"
		"patches too, if any): before/after a change of workload or configuration. The\n"
		"experiment records it; the compare notes the two names ('compare --ab ID'\n"
		"needs --force for such an experiment).\n\n"
		"--b-config FILE:SECTION.KEY=VALUE (repeatable): the B blocks also set KEY in\n"
		"[SECTION] of FILE ($NOVA_CONF or a path), after the scenario's own config:\n"
		"settings, journaled and restored at the end of each B block like them (and by\n"
		"'greenbench restore' after a kill). The A blocks run the file as it is.\n"
		"--b-env NAME=VALUE (repeatable): the B blocks start every profiled unit with\n"
		"NAME=VALUE in its environment, beside GREENBENCH_PROFILE (process backend: the\n"
		"unit's environment; systemd: the run's journaled drop-in). Each B run lists\n"
		"them with its patches ('config:...', 'env:...' in 'greenbench show'), and the\n"
		"experiment records them ('b-config:...', 'b-env:...').\n\n"
		"Both sides are stored as runs of one experiment (ab id, labels abID-A and\n"
		"abID-B; the planned order is recorded, the blocks that ran are its blocks);\n"
		"the compare uses one sample per run (its median). 'greenbench compare --ab ID'\n"
		"prints it again later (judged once, at 5%).",
	.exit_status = "0  B is not slower: faster, or no change (the primary metric inside\n"
		       "   +-min-effect)\n"
		       "1  B regressed: the primary metric (the call's CPU time, else its wall or\n"
		       "   busy time) or a latency is slower\n"
		       "2  bad usage, scenario or patch\n"
		       "3  a block could not run (environment)\n"
		       "4  interrupted; the host was restored\n"
		       "5  inconclusive: the budget ended before the answer was clear\n",
	.examples = "greenbench ab scenarios/select_destinations.yaml --patch fix.diff\n"
		    "greenbench ab sd.yaml --patch fix.diff --max-blocks 30 --max-time 45m\n"
		    "greenbench ab sd.yaml --patch a.diff --patch b.diff --repeat 8 --random\n"
		    "greenbench ab sd.yaml --b-config '$NOVA_CONF:DEFAULT.concurrency_backend=eventlet'\n"
		    "greenbench ab sd.yaml --b-env OS_NOVA_DISABLE_EVENTLET_PATCHING=1",
};

struct block_ctx {
	const struct scenario *sc;
	const struct scenario *sc_b; /* --b-scenario: what B runs instead of sc, else NULL */
	struct runner_opts base;
	const char *const *patches;
	size_t n_patches;
	const char *tree;
	const struct sc_setting *settings; /* --b-config */
	size_t n_settings;
	const char *const *env;            /* --b-env */
	size_t n_env;
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
		o.extra_settings = c->settings;
		o.n_extra_settings = c->n_settings;
		o.extra_env = c->env;
		o.n_extra_env = c->n_env;
	}
	struct runner_result res;
	memset(&res, 0, sizeof(res));
	int rc = runner_run(side == 'B' && c->sc_b ? c->sc_b : c->sc, &o, &res, err);
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

/* The adaptive experiment's looks: the design (planned at the first look, once the
 * number of headline metrics is known), the level of the last look judged. */
struct look_ctx {
	struct store *db;
	long long ab_id;
	struct compare_opts co;     /* alpha: the level of the look being judged */
	int is_adaptive;
	size_t n_first, n_max;
	enum seq_spending spending;
	double max_time, t0;        /* seconds; max_time 0: no time budget */
	int is_planned;
	struct seq_design d;
	long last_look;             /* index of the last look judged, -1 none */
	enum seq_state state;
	int is_budget_spent;
	size_t n_at_stop;
};

/* The headline rows of v into h[]: its primary rows (the profiled call's CPU time when
 * every run has it, else its wall and busy time, else the first metric), the ones the
 * design spends alpha on and decides on. */
static size_t headline(const struct compare_verdict *v, struct verdict *h, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n_metrics && n < cap; i++)
		if (v->metrics[i].is_primary)
			h[n++] = v->metrics[i].v;
	if (!n && v->n_metrics)
		h[n++] = v->metrics[0].v;
	return n;
}

static void pct_of(double r, char *buf, size_t len)
{
	if (!isfinite(r))
		snprintf(buf, len, "%s", isnan(r) ? "n/a" : r > 0 ? "+inf" : "-inf");
	else
		snprintf(buf, len, "%+.1f%%", 100 * r);
}

/* One look: judge the blocks so far at the look's level, print where it stands,
 * say whether to stop. */
static int ab_look(void *arg, size_t n_a_blocks, size_t n_b_blocks)
{
	struct look_ctx *c = arg;
	if (!c->is_adaptive || n_a_blocks != n_b_blocks)
		return 0;
	long long *a = NULL, *b = NULL;
	size_t n_a = 0, n_b = 0;
	struct gb_err err = { GB_EXIT_USAGE, "" };
	if (ab_runs(c->db, c->ab_id, &a, &n_a, &b, &n_b, &err))
		return 0;
	size_t n = n_a < n_b ? n_a : n_b;
	struct compare_verdict v;
	struct compare_opts co = c->co;
	co.with_callers = 0;
	int rc = 0;
	if (!c->is_planned) {
		/* the schedule does not depend on the family size; the levels do */
		struct seq_design probe;
		if (seq_plan(c->n_first, 2, c->n_max, co.alpha, 1, c->spending, &probe, &err) ||
		    seq_look_at(&probe, n) < 0)
			goto out;
		if (compare_judge(c->db, a, n_a, b, n_b, &co, &v, &err)) {
			fprintf(stderr, "greenbench ab: look at %zu vs %zu blocks: %s\n", n_a, n_b, err.msg);
			goto out;
		}
		struct verdict h[8];
		size_t n_h = headline(&v, h, 8);
		compare_verdict_release(&v);
		if (seq_plan(c->n_first, 2, c->n_max, co.alpha, n_h ? n_h : 1, c->spending, &c->d, &err))
			goto out;
		c->is_planned = 1;
		fprintf(stderr, "greenbench ab: sequential design: %s spending of %g over %zu headline "
				"metric%s, looks at", seq_spending_name(c->spending), co.alpha, c->d.n_family,
			c->d.n_family == 1 ? "" : "s");
		for (size_t k = 0; k < c->d.n_looks; k++)
			fprintf(stderr, " %zu", c->d.look_n[k]);
		fprintf(stderr, " blocks per side\n");
	}
	long k = seq_look_at(&c->d, n);
	if (k < 0 || k <= c->last_look || c->d.look_n[k] != n)
		goto out;
	c->last_look = k;
	co.alpha = c->d.nominal[k];
	if (compare_judge(c->db, a, n_a, b, n_b, &co, &v, &err)) {
		fprintf(stderr, "greenbench ab: look at %zu vs %zu blocks: %s\n", n_a, n_b, err.msg);
		goto out;
	}
	struct verdict h[8];
	size_t n_h = headline(&v, h, 8);
	c->state = seq_decide(h, n_h);
	fprintf(stderr, "greenbench ab: look %ld of %zu, %zu vs %zu blocks, level %.2g per metric:", k + 1,
		c->d.n_looks, n_a, n_b, c->d.nominal[k]);
	size_t shown = 0;
	int any_target = 0;
	for (size_t i = 0; i < v.n_metrics; i++)
		any_target |= v.metrics[i].is_target;
	for (size_t i = 0; i < v.n_metrics; i++) {
		const struct compare_row *r = &v.metrics[i];
		if (any_target ? !r->is_target : i > 0)
			continue;
		char e[24], lo[24], hi[24];
		pct_of(r->v.rel_change, e, sizeof(e));
		pct_of(r->v.ci_low, lo, sizeof(lo));
		pct_of(r->v.ci_high, hi, sizeof(hi));
		fprintf(stderr, "%s %s %s [%s, %s] %s%s", shown++ ? ";" : "", r->name, e, lo, hi,
			verdict_kind_name(r->v.kind), r->is_primary ? "" : " (beside)");
	}
	double elapsed = gb_now() - c->t0;
	if (c->state != SEQ_CONTINUE) {
		fprintf(stderr, " -> %s, stop\n", seq_state_name(c->state));
		rc = 1;
	} else if ((size_t)k + 1 >= c->d.n_looks) {
		fprintf(stderr, " -> undecided at --max-blocks %zu: inconclusive\n", c->n_max);
		rc = 1;
	} else {
		size_t next = c->d.look_n[k + 1];
		double per = elapsed / (double)(n_a_blocks + n_b_blocks);
		if (c->max_time > 0 && elapsed + per * 2.0 * (double)(next - n) > c->max_time) {
			fprintf(stderr, " -> the next look (%zu per side, about %.0f s more) would pass "
					"--max-time %.0f s: stop, inconclusive\n", next,
				per * 2.0 * (double)(next - n), c->max_time);
			c->is_budget_spent = 1;
			rc = 1;
		} else {
			fprintf(stderr, " -> continue to %zu per side\n", next);
		}
	}
	c->n_at_stop = n;
	compare_verdict_release(&v);
out:
	free(a);
	free(b);
	return rc;
}

int cmd_ab(int argc, char **argv)
{
	struct cmd_run_args ra;
	memset(&ra, 0, sizeof(ra));
	struct opt_list patches = { NULL, 0 }, b_configs = { NULL, 0 }, b_envs = { NULL, 0 };
	struct sc_setting *settings = NULL;
	const char *tree = NULL, *min_effect_s = NULL, *max_time_s = NULL, *spending_s = NULL;
	const char *b_scenario = NULL;
	long repeat = -1, seed = -1, max_blocks = 20, min_blocks = 4;
	int randomize = 0, json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_LIST, 'p', "patch", &patches, "FILE", "a patch for the B side (repeatable)" },
		{ OPT_STRING, 0, "b-scenario", &b_scenario, "FILE", "the B side runs this scenario instead" },
		{ OPT_LIST, 0, "b-config", &b_configs, "F:S.K=V", "the B side also sets K in [S] of file F (repeatable)" },
		{ OPT_LIST, 0, "b-env", &b_envs, "NAME=VALUE", "the B side's profiled units get NAME=VALUE (repeatable)" },
		{ OPT_INT, 0, "max-blocks", &max_blocks, "N", "at most N blocks per side (default 20)" },
		{ OPT_STRING, 0, "max-time", &max_time_s, "DURATION", "stop at the last look that fits (e.g. 45m)" },
		{ OPT_INT, 0, "min-blocks", &min_blocks, "N", "the first look, blocks per side (default 4)" },
		{ OPT_STRING, 0, "spending", &spending_s, "S", "pocock (default) or obf (O'Brien-Fleming)" },
		{ OPT_INT, 'r', "repeat", &repeat, "N", "exactly N blocks per side, judged once" },
		{ OPT_BOOL, 0, "random", &randomize, NULL, "randomize each pair's order (seed printed)" },
		{ OPT_INT, 0, "seed", &seed, "S", "seed for --random (default: from the clock)" },
		{ OPT_STRING, 0, "tree", &tree, "DIR", "the source tree the patches apply to" },
		{ OPT_STRING, 0, "min-effect", &min_effect_s, "PCT", "smallest change that counts and the "
								   "no-change margin (default 5)" },
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
	double max_time = 0;
	enum seq_spending spending = SEQ_POCOCK;
	int has_repeat = repeat != -1;
	const char *bad = !path ? "expected one SCENARIO file"
			: !patches.n_items && !b_scenario && !b_configs.n_items && !b_envs.n_items
				? "give the B side with --patch FILE, --b-scenario FILE, --b-config SETTING or --b-env NAME=VALUE"
			: has_repeat && (repeat < 1 || repeat > 100) ? "--repeat must be 1..100"
			: max_blocks < 4 || max_blocks > 100 ? "--max-blocks must be 4..100"
			: min_blocks < 4 || min_blocks > max_blocks ? "--min-blocks must be 4..--max-blocks"
			: max_time_s && (gb_parse_duration(max_time_s, &max_time) || max_time <= 0)
				? "--max-time is a duration like 30m or 2h"
			: spending_s && strcmp(spending_s, "pocock") && strcmp(spending_s, "obf")
				? "--spending is pocock or obf"
			: min_effect_s && cmd_verdict_pct(min_effect_s, &co.min_effect) ? "--min-effect is a percentage like 5"
			: NULL;
	if (bad) {
		fprintf(stderr, "greenbench ab: %s; see 'greenbench ab --help'\n", bad);
		rc = GB_EXIT_USAGE;
		goto out_lists;
	}
	if (spending_s && !strcmp(spending_s, "obf"))
		spending = SEQ_OBRIEN_FLEMING;
	struct gb_err err = { GB_EXIT_USAGE, "" };
	for (size_t i = 0; i < patches.n_items; i++)
		if (access(patches.items[i], R_OK)) {
			fprintf(stderr, "greenbench ab: patch %s cannot be read; check the path\n", patches.items[i]);
			rc = GB_EXIT_USAGE;
			goto out_lists;
		}
	settings = gb_calloc(b_configs.n_items + 1, sizeof(*settings));
	for (size_t i = 0; i < b_configs.n_items; i++)
		if (scenario_parse_setting_arg(b_configs.items[i], &settings[i], &err)) {
			rc = cmd_fail("ab", &err);
			goto out_lists;
		}
	for (size_t i = 0; i < b_envs.n_items; i++)
		if (scenario_check_env_arg(b_envs.items[i], &err)) {
			rc = cmd_fail("ab", &err);
			goto out_lists;
		}
	struct scenario *sc = NULL, *sc_b = NULL;
	if (scenario_load(path, &sc, &err)) {
		rc = cmd_fail("ab", &err);
		goto out_lists;
	}
	if (b_scenario && scenario_load(b_scenario, &sc_b, &err)) {
		rc = cmd_fail("ab", &err);
		scenario_free(sc);
		goto out_lists;
	}
	if (sc_b) {
		/* two scenarios are the question asked: compare them anyway, and say so */
		co.force = 1;
		fprintf(stderr, "greenbench ab: B runs scenario %s (%s) instead of %s\n", sc_b->name, b_scenario,
			sc->name);
	}
	struct store *db = NULL;
	err.exit_code = GB_EXIT_ENV;
	if (store_open_default(ra.db, 1, &db, &err)) {
		rc = cmd_fail("ab", &err);
		scenario_free(sc);
		scenario_free(sc_b);
		goto out_lists;
	}
	uint64_t s = seed >= 0 ? (uint64_t)seed : (uint64_t)time(NULL) % 1000000;
	size_t per_side = has_repeat ? (size_t)repeat : (size_t)max_blocks;
	size_t n_blocks = 2 * per_side;
	char *order = gb_malloc(n_blocks + 1);
	ab_order(per_side, randomize, s, order);
	double per = last_duration(db, sc->name);
	char about[160] = "";
	if (isnan(per))
		snprintf(about, sizeof(about), "no earlier run of %.80s to estimate the time from", sc->name);
	else
		snprintf(about, sizeof(about), "about %.0f min at most (the last run of %.60s took %.0f s)",
			 n_blocks * per / 60, sc->name, per);
	if (has_repeat)
		fprintf(stderr, "greenbench ab: %zu blocks (%zu baseline, %zu patched), order %s%s; %s\n",
			n_blocks, per_side, per_side, order, randomize ? " (random)" : " (interleaved)", about);
	else
		fprintf(stderr, "greenbench ab: adaptive, %zu to %zu blocks per side, order %s%s; looks after "
				"%ld per side and every 2 more, stops when decided%s%s; %s\n",
			(size_t)min_blocks, per_side, order, randomize ? " (random)" : " (interleaved)",
			min_blocks, max_time_s ? " or at --max-time " : "", max_time_s ? max_time_s : "", about);
	if (randomize)
		fprintf(stderr, "greenbench ab: random order, seed %llu (--random --seed %llu repeats it)\n",
			(unsigned long long)s, (unsigned long long)s);
	long long ab_id = 0;
	struct block_ctx ctx = { sc, sc_b, { 0 }, patches.items, patches.n_items, tree,
				 settings, b_configs.n_items, b_envs.items, b_envs.n_items };
	/* the experiment's record: the patches, and the B scenario as "b-scenario:PATH" */
	const char **plist = gb_calloc(patches.n_items + b_configs.n_items + b_envs.n_items + 1,
				       sizeof(*plist));
	char **b_items = gb_calloc(b_configs.n_items + b_envs.n_items + 1, sizeof(*b_items));
	size_t n_plist = 0, n_b_items = 0;
	for (size_t i = 0; i < patches.n_items; i++)
		plist[n_plist++] = patches.items[i];
	for (size_t i = 0; i < b_configs.n_items + b_envs.n_items; i++) {
		struct strbuf bl = STRBUF_INIT;
		int is_config = i < b_configs.n_items;
		sb_addf(&bl, "b-%s:%s", is_config ? "config" : "env",
			is_config ? b_configs.items[i] : b_envs.items[i - b_configs.n_items]);
		b_items[n_b_items] = sb_detach(&bl);
		plist[n_plist++] = b_items[n_b_items++];
		fprintf(stderr, "greenbench ab: B %s %s\n", is_config ? "sets" : "starts the profiled units with",
			is_config ? b_configs.items[i] : b_envs.items[i - b_configs.n_items]);
	}
	char *b_label = NULL;
	if (b_scenario) {
		struct strbuf bl = STRBUF_INIT;
		sb_addf(&bl, "b-scenario:%s", b_scenario);
		b_label = sb_detach(&bl);
		plist[n_plist++] = b_label;
	}
	cmd_verdict_runner_opts(&ra, "ab", &ctx.base);
	struct ab_outcome outcome;
	int stopped = 0;
	int began = ab_begin(db, sc->name, order, randomize, s, plist, n_plist, &ab_id, &err);
	free(plist);
	free(b_label);
	for (size_t i = 0; i < n_b_items; i++)
		free(b_items[i]);
	free(b_items);
	if (began) {
		rc = cmd_fail("ab", &err);
		goto out_all;
	}
	fprintf(stderr, "greenbench ab: experiment %lld\n", ab_id);
	struct look_ctx lc;
	memset(&lc, 0, sizeof(lc));
	lc.db = db;
	lc.ab_id = ab_id;
	lc.co = co;
	lc.is_adaptive = !has_repeat;
	lc.n_first = (size_t)min_blocks;
	lc.n_max = per_side;
	lc.spending = spending;
	lc.max_time = max_time;
	lc.t0 = gb_now();
	lc.last_look = -1;
	struct gb_err run_err = { GB_EXIT_ENV, "" };
	if (ab_execute_until(db, ab_id, order, run_block, &ctx, cmd_verdict_progress, (void *)"ab",
			     ab_look, &lc, &outcome, &run_err)) {
		cmd_fail("ab", &run_err);
		stopped = run_err.exit_code ? run_err.exit_code : GB_EXIT_ENV;
	}
	long long *a = NULL, *b = NULL;
	size_t n_a = 0, n_b = 0;
	struct compare_verdict v;
	err.exit_code = GB_EXIT_USAGE;
	/* the final verdict at the level of the last look judged (the design's), or at
	 * alpha when judged once (--repeat) */
	if (lc.is_planned && lc.last_look >= 0)
		co.alpha = lc.d.nominal[lc.last_look];
	else if (lc.is_planned)
		co.alpha = lc.d.nominal[0];
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
		FILE *say = json ? stderr : stdout;
		if (lc.is_planned && lc.last_look >= 0)
			fprintf(say, "sequential: %s after look %ld of %zu (%zu vs %zu blocks, level %.2g per "
				     "metric; %s spending keeps the false alarms of the whole experiment <= %g)\n",
				v.is_regression ? "SLOWER" : v.is_improvement ? "FASTER"
				: v.is_inconclusive ? "INCONCLUSIVE" : "NO CHANGE",
				lc.last_look + 1, lc.d.n_looks, n_a, n_b, co.alpha,
				seq_spending_name(lc.spending), lc.d.alpha);
		if (v.is_inconclusive && !v.is_regression && !stopped) {
			char more[96] = "more blocks per side would settle it";
			if (v.n_more && v.n_more < 999)
				snprintf(more, sizeof(more), "about %zu more blocks per side would likely settle "
							     "it (from the observed spread)", v.n_more);
			fprintf(say, "inconclusive: %s; %s%s\n",
				lc.is_budget_spent ? "the --max-time budget ended"
				: has_repeat ? "judged once after --repeat blocks" : "--max-blocks reached",
				more, has_repeat ? "" : "; raise --max-blocks or --max-time");
		}
		if (stopped)
			printf("(partial: the experiment stopped after %zu of %zu blocks)\n", outcome.n_done, n_blocks);
		rc = stopped ? stopped : v.is_regression ? GB_EXIT_FAIL
		     : v.is_inconclusive ? GB_EXIT_INCONCLUSIVE : GB_EXIT_OK;
		compare_verdict_release(&v);
	}
	free(a);
	free(b);
out_all:
	free(order);
	store_close(db);
	scenario_free(sc);
	scenario_free(sc_b);
out_lists:
	for (size_t i = 0; settings && i < b_configs.n_items; i++)
		scenario_setting_release(&settings[i]);
	free(settings);
	opt_list_release(&b_configs);
	opt_list_release(&b_envs);
	opt_list_release(&patches);
	opt_list_release(&ra.vars);
	return rc;
}

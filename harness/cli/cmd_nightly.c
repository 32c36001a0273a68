/*
 * cmd_nightly.c - `greenbench nightly`: run each scenario (runner_run), judge the new
 * run against the scenario's history on this host with change points, name the
 * functions that moved, exit 1 on a new regression; JUnit for CI. --judge RUN judges a
 * stored run without running. CLI layer: prints; the host is changed only by runner_run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/interrupt.h"
#include "cli/cmd_prune.h"
#include "cli/cmd_store.h"
#include "cli/cmd_verdict.h"
#include "judge/history.h"
#include "report/report.h"

static const struct cmd_doc doc = {
	.name = "nightly",
	.summary = "run and judge against the history of the scenario",
	.synopsis = "greenbench nightly SCENARIO... [--history N] [--junit FILE] [--min-effect PCT]\n"
		    "                  [--metric M] [--json] [--keep DURATION] [run options]\n"
		    "greenbench nightly --judge RUN [options]\n"
		    "greenbench nightly --mark-baseline RUN | --unmark-baseline RUN",
	.description =
		"Runs each scenario once, then judges the new run against the last N good runs\n"
		"of the same scenario on the same host with the same fake-compute count (failed\n"
		"runs are ignored; a run marked as a baseline starts the history afresh). The\n"
		"judgement is change-point detection (E-Divisive on the runs' medians): one\n"
		"noisy night is reported as such and does not fail; a step of at least\n"
		"--min-effect (default 5%) that the history before tonight did not show is a\n"
		"regression: nightly names the functions that moved between the two levels (one\n"
		"sample per run, Benjamini-Hochberg) and exits 1. The step needs 3 runs at the\n"
		"new level to be called, and is reported once. Without a step, tonight is\n"
		"\"steady\" only when its 95% interval against the level (one run's noise and\n"
		"the level's) lies inside +-min-effect; otherwise the night cannot be judged\n"
		"(\"CANNOT JUDGE\"): one run on a noisy host cannot show a 5% change.\n\n"
		"Three series are judged by default, each on its own: the profiled call's CPU\n"
		"time (greenprof's thread CPU clock of the call: not inflated by other processes\n"
		"on a busy host; skipped, with a note, when the run's dumps lack it), its wall\n"
		"time and its busy time (the wall time without the waits for I/O and other\n"
		"greenlets); a step in any is a regression. The first of them judged (the CPU\n"
		"time, else the wall time; without a profile, the first latency) is the primary:\n"
		"when it cannot be judged the night exits 5; a wall or busy series that cannot\n"
		"be judged beside a steady CPU time is printed, not an exit code.\n"
		"--metric cpu|target|busy|post|active|deleted|NAME judges that one series only.\n\n"
		"--keep DURATION (e.g. 90d) prunes as it goes: after the night's runs are\n"
		"judged, runs older than DURATION are removed from the store as by `greenbench\n"
		"prune --older-than DURATION --history N`, so baselines, the last N good runs\n"
		"that nightly judges against and every run of a kept ab experiment stay.\n"
		"--keep-dumps keeps each run's dump directory after its dumps are stored.",
	.exit_status = "0  no new regression: steady, a known step, a noisy point or too short\n"
		       "1  a scenario stepped up (regression)\n"
		       "2  bad usage or scenario\n"
		       "3  a run could not be made (environment)\n"
		       "4  interrupted; the host was restored\n"
		       "5  a night cannot be judged: no step, but the primary series' interval is\n"
		       "   wider than +-min-effect (and no scenario regressed)\n",
	.examples = "greenbench nightly scenarios/select_destinations.yaml --junit nightly.xml\n"
		    "greenbench nightly --judge last\n"
		    "greenbench nightly --mark-baseline 42",
};

int cmd_nightly(int argc, char **argv)
{
	struct cmd_run_args ra;
	memset(&ra, 0, sizeof(ra));
	const char *junit = NULL, *min_effect_s = NULL, *metric = NULL, *judge = NULL;
	const char *mark = NULL, *unmark = NULL, *keep = NULL;
	long history = 30;
	int json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_INT, 0, "history", &history, "N", "judge against the last N good runs (default 30)" },
		{ OPT_STRING, 0, "junit", &junit, "FILE", "write a JUnit report to FILE" },
		{ OPT_STRING, 0, "min-effect", &min_effect_s, "PCT", "smallest step that counts (default 5)" },
		{ OPT_STRING, 0, "metric", &metric, "M", "the series to judge (default: the profiled call)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print the judgements as JSON lines" },
		{ OPT_STRING, 0, "keep", &keep, "DURATION", "then prune runs older than DURATION (e.g. 90d)" },
		{ OPT_STRING, 0, "judge", &judge, "RUN", "judge a stored run; run nothing" },
		{ OPT_STRING, 0, "mark-baseline", &mark, "RUN", "mark RUN as a baseline and exit" },
		{ OPT_STRING, 0, "unmark-baseline", &unmark, "RUN", "clear RUN's baseline mark and exit" },
		CMD_RUN_ARGS_OPTS(ra),
		OPT_END_MARKER,
	};
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc)) {
		opt_list_release(&ra.vars);
		return rc;
	}
	struct history_opts ho = HISTORY_OPTS_DEFAULT;
	ho.max_runs = history > 0 ? (size_t)history : 0;
	ho.metric = metric;
	double keep_secs = 0;
	const char *bad = history < 2 ? "--history must be 2 or more"
			: keep && cmd_prune_duration(keep, &keep_secs) ? "--keep takes a duration like 90d"
			: min_effect_s && cmd_verdict_pct(min_effect_s, &ho.min_effect) ? "--min-effect is a percentage like 5"
			: (judge || mark || unmark) && n_args ? "--judge and --mark-baseline take no scenario"
			: !judge && !mark && !unmark && !n_args ? "expected one or more SCENARIO files"
			: NULL;
	if (bad) {
		fprintf(stderr, "greenbench nightly: %s; see 'greenbench nightly --help'\n", bad);
		free(args);
		opt_list_release(&ra.vars);
		return GB_EXIT_USAGE;
	}
	struct gb_err err = { GB_EXIT_ENV, "" };
	struct store *db = NULL;
	if (store_open_default(ra.db, !(judge || mark || unmark), &db, &err)) {
		free(args);
		opt_list_release(&ra.vars);
		return cmd_fail("nightly", &err);
	}
	if (mark || unmark) {
		long long id;
		err.exit_code = GB_EXIT_USAGE;
		rc = store_resolve_run(db, mark ? mark : unmark, &id, &err) ||
		     history_mark_baseline(db, id, mark != NULL, &err) ? cmd_fail("nightly", &err) : GB_EXIT_OK;
		if (!rc)
			printf("run %lld is %s a baseline\n", id, mark ? "now" : "no longer");
		store_close(db);
		free(args);
		opt_list_release(&ra.vars);
		return rc;
	}
	size_t n_jobs = judge ? 1 : n_args;
	/* per job: the metric asked for, or the profiled call's CPU time (when greenprof
	 * recorded it), its wall time (else the first latency) and its busy time */
	static const char *const all[] = { "cpu", "target", "busy" };
	size_t n_metrics = metric ? 1 : GB_ARRAY_SIZE(all);
	struct history_judgement *js = gb_calloc(n_jobs * n_metrics, sizeof(*js));
	const struct history_judgement **done = gb_calloc(n_jobs * n_metrics, sizeof(*done));
	size_t n_done = 0;
	int worst_err = 0, any_regression = 0, any_inconclusive = 0;
	struct report_nightly_error *errs = gb_calloc(n_jobs, sizeof(*errs));
	size_t n_errs = 0;
	struct strbuf out = STRBUF_INIT;
	for (size_t i = 0; i < n_jobs && worst_err != GB_EXIT_INTERRUPTED; i++) {
		if (interrupt_requested()) { /* between runs: the last one restored the host */
			fprintf(stderr, "greenbench nightly: interrupted; %zu of %zu scenario(s) not run\n",
				n_jobs - i, n_jobs);
			worst_err = GB_EXIT_INTERRUPTED;
			break;
		}
		long long run = 0;
		char *scenario = NULL;
		err.exit_code = GB_EXIT_USAGE;
		if (judge) {
			if (store_resolve_run(db, judge, &run, &err) ||
			    history_run_scenario(db, run, &scenario, &err)) {
				worst_err = cmd_fail("nightly", &err);
				break;
			}
		} else {
			struct scenario *sc = NULL;
			if (scenario_load(args[i], &sc, &err)) {
				worst_err = cmd_fail("nightly", &err);
				errs[n_errs++] = (struct report_nightly_error){ gb_strdup(args[i]), gb_strdup(err.msg) };
				continue;
			}
			struct runner_opts ro;
			cmd_verdict_runner_opts(&ra, "nightly", &ro);
			ro.label = "nightly";
			struct runner_result res;
			memset(&res, 0, sizeof(res));
			err.exit_code = GB_EXIT_ENV;
			if (runner_run(sc, &ro, &res, &err)) {
				int code = cmd_fail("nightly", &err);
				if (!worst_err || code == GB_EXIT_INTERRUPTED)
					worst_err = code;
				errs[n_errs++] = (struct report_nightly_error){ gb_strdup(sc->name), gb_strdup(err.msg) };
				runner_result_release(&res);
				scenario_free(sc);
				continue;
			}
			run = res.run_id;
			scenario = gb_strdup(sc->name);
			if (res.status && strcmp(res.status, "ok"))
				fprintf(stderr, "greenbench nightly: run %lld of %s ended '%s'; it is not judged\n",
					run, sc->name, res.status);
			int judged = res.status && !strcmp(res.status, "ok");
			runner_result_release(&res);
			scenario_free(sc);
			if (!judged) {
				worst_err = worst_err ? worst_err : GB_EXIT_FAIL;
				errs[n_errs++] = (struct report_nightly_error){
					scenario, gb_strdup("the run did not complete; see 'greenbench show'") };
				continue;
			}
		}
		/* the first series judged is the primary: it alone makes a night "cannot judge" */
		const struct history_judgement *primary = NULL;
		for (size_t k = 0; k < n_metrics; k++) {
			struct history_judgement *j = &js[i * n_metrics + k];
			ho.metric = metric ? metric : all[k];
			if (!metric && !history_has_metric(db, run, ho.metric)) {
				int profiled = history_has_metric(db, run, "target");
				if (k == 0 && profiled)
					fprintf(stderr, "greenbench nightly: run %lld: the profiled call's CPU time is "
						"unknown (dumps without greenprof's times); judged on its wall and busy "
						"time\n", run);
				if (k != 1 || profiled)
					continue; /* no CPU time (older dumps), or nothing profiled: no busy time */
				ho.metric = NULL; /* nothing profiled: the headline is the first latency */
			}
			if (history_judge(db, scenario, run, &ho, j, &err)) {
				int code = cmd_fail("nightly", &err);
				worst_err = worst_err ? worst_err : code;
				errs[n_errs++] = (struct report_nightly_error){ gb_strdup(scenario), gb_strdup(err.msg) };
				break;
			}
			done[n_done++] = j;
			any_regression |= j->is_regression;
			if (!primary) {
				primary = j;
				any_inconclusive |= j->is_inconclusive;
			} else if (j->is_inconclusive && !j->is_regression) {
				fprintf(stderr, "greenbench nightly: run %lld: '%s' cannot be judged beside the primary "
					"series '%s'; the night is judged on the primary\n", run,
					j->metric ? j->metric : "?", primary->metric ? primary->metric : "?");
			}
			sb_reset(&out);
			if (json)
				report_nightly_json(j, &out);
			else
				report_nightly_text(j, &out);
			fwrite(sb_str(&out), 1, out.len, stdout);
		}
		free(scenario);
	}
	if (keep && !judge && worst_err != GB_EXIT_INTERRUPTED) {
		/* prune as it goes: what the judging above read (the window) stays */
		struct store_prune_opts po = { .older_than = keep_secs, .keep_last = -1,
					       .history = ho.max_runs, .now = gb_wall() };
		err.exit_code = GB_EXIT_ENV;
		if (cmd_prune_store(db, &po, stderr, "greenbench nightly: prune: ", &err))
			worst_err = worst_err ? worst_err : cmd_fail("nightly", &err);
	}
	if (junit) {
		sb_reset(&out);
		report_nightly_junit(done, n_done, errs, n_errs, &out);
		err.exit_code = GB_EXIT_ENV;
		if (gb_write_file_atomic(junit, out.buf, out.len, 0644, &err))
			worst_err = worst_err ? worst_err : cmd_fail("nightly", &err);
	}
	sb_release(&out);
	for (size_t i = 0; i < n_jobs * n_metrics; i++)
		history_judgement_release(&js[i]);
	for (size_t i = 0; i < n_errs; i++) {
		free(errs[i].scenario);
		free(errs[i].message);
	}
	free(errs);
	free(js);
	free(done);
	store_close(db);
	free(args);
	opt_list_release(&ra.vars);
	if (worst_err && worst_err != GB_EXIT_FAIL)
		return worst_err;
	return any_regression || worst_err ? GB_EXIT_FAIL
	       : any_inconclusive ? GB_EXIT_INCONCLUSIVE : GB_EXIT_OK;
}

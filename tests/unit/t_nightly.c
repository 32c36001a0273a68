/* t_nightly.c - the judgement over history without a cloud: synthetic stored histories
 * (steady, one noisy night, a real step, a baseline), the trend's change points, the
 * nightly and trend commands (--judge, --junit, --mark-baseline), and ab's orchestration
 * (block order, ab id allocation, the block loop with a fake run function). */
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include "base/interrupt.h"
#include "run/ab.h"
#include "run/runner.h"
#include "base/proc.h"
#include "store/store_int.h" /* the test edits a run behind the store's back */
#include "cli/cmd.h"
#include "judge/history.h"
#include "report/report.h"
#include "lib/tap.h"
#include "lib/verdict_fixture.h"

extern char **environ;

static char dir[] = "/tmp/t_nightly.XXXXXX";
static char dbpath[300];
#include "lib/cmd_capture.h"

static struct stats_rng rng;
static double night_cv = 0.05;

/* A night: run-level noise CV night_cv (5%), level `level`, function 17 slower by `slow`. */
static long long night(struct store *db, const char *scenario, double level, double slow,
		       const char *status)
{
	static uint64_t seed = 1000;
	struct synth s = SYNTH_DEFAULT;
	s.scenario = scenario;
	s.n_funcs = 60;
	s.n_profiles = 5;
	s.seed = seed++;
	s.run_factor = level * exp(night_cv * stats_rng_normal(&rng));
	if (slow != 1.0) {
		s.slow_fn = 17;
		s.slow_factor = slow;
	}
	s.status = status;
	s.started_at = 1764100000 + 86400.0 * (double)seed;
	return synth_store(db, &s);
}

static long long steady_last, noisy_run, step_runs[4], page_run;

static void test_history(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (!ok(store_open(dbpath, 1, &db, &err) == 0, "history: the store opens (%s)", err.msg))
		return;
	stats_rng_seed(&rng, 7);
	for (int i = 0; i < 10; i++)
		steady_last = night(db, "nightly_sd", 1.0, 1.0, "ok");
	long long failed = night(db, "nightly_sd", 3.0, 1.0, "failed");
	(void)failed;
	struct history_judgement j;
	struct history_opts o = HISTORY_OPTS_DEFAULT;
	int rc = history_judge(db, "nightly_sd", steady_last, &o, &j, &err);
	/* 5% run-to-run noise: one night's interval against the level is about +-12%, wider
	 * than the +-5% margin: not "steady" but "cannot judge" */
	ok(rc == 0 && j.cp.kind == CP_STEADY && !j.is_regression && j.n_history == 9 &&
		   j.is_inconclusive && strstr(j.cp.reason, "cannot judge") && j.ci_low < -0.05 &&
		   j.ci_high > 0.05,
	   "judge: the 10th night of a 5%%-noise series is not called steady: %s",
	   rc ? err.msg : j.cp.reason);
	{
		struct strbuf t = STRBUF_INIT;
		report_nightly_text(&j, &t);
		ok(strstr(sb_str(&t), ": CANNOT JUDGE\n") != NULL, "report: the night reads CANNOT JUDGE");
		sb_reset(&t);
		const struct history_judgement *one = &j;
		report_nightly_junit(&one, 1, NULL, 0, &t);
		ok(strstr(sb_str(&t), "skipped=\"1\"") && strstr(sb_str(&t), "<skipped message=\"cannot judge"),
		   "report: in JUnit the night is a skipped testcase, not a pass");
		sb_release(&t);
	}
	history_judgement_release(&j);
	/* a quiet series (0.5% noise): the interval fits inside +-5%: steady */
	night_cv = 0.005;
	long long quiet = 0;
	for (int i = 0; i < 10; i++)
		quiet = night(db, "nightly_quiet", 1.0, 1.0, "ok");
	night_cv = 0.05;
	rc = history_judge(db, "nightly_quiet", quiet, &o, &j, &err);
	ok(rc == 0 && j.cp.kind == CP_STEADY && !j.is_inconclusive && strstr(j.cp.reason, "steady:") &&
		   j.ci_low > -0.05 && j.ci_high < 0.05,
	   "judge: the 10th night of a 0.5%%-noise series is steady: %s", rc ? err.msg : j.cp.reason);
	history_judgement_release(&j);

	/* one noisy night: +40% alone (the failed run between is ignored) */
	noisy_run = night(db, "nightly_sd", 1.4, 1.0, "ok");
	rc = history_judge(db, "nightly_sd", noisy_run, &o, &j, &err);
	ok(rc == 0 && j.cp.kind == CP_NOISY_POINT && !j.is_regression && j.n_history == 10,
	   "judge: one +40%% night is a noisy point, not a page; the failed run is ignored (%s)",
	   rc ? err.msg : j.cp.reason);
	history_judgement_release(&j);

	/* back to normal, then a real step of +30% (function 17 three times slower) */
	night(db, "nightly_sd", 1.0, 1.0, "ok");
	night(db, "nightly_sd", 1.0, 1.0, "ok");
	int kinds[4], regs[4], n_regs = 0, first_reg = -1;
	for (int k = 0; k < 4; k++) {
		step_runs[k] = night(db, "nightly_sd", 1.3, 3.0, "ok");
		rc = history_judge(db, "nightly_sd", step_runs[k], &o, &j, &err);
		kinds[k] = rc ? -1 : (int)j.cp.kind;
		regs[k] = rc ? -1 : j.is_regression;
		if (regs[k] == 1 && first_reg < 0) {
			first_reg = k;
			page_run = step_runs[k];
			const struct compare_row *top = NULL, *f17 = NULL;
			for (size_t i = 0; j.has_funcs && i < j.funcs.n_funcs; i++) {
				if (!top || j.funcs.funcs[i].v.rel_change > top->v.rel_change)
					top = &j.funcs.funcs[i];
				if (!strcmp(j.funcs.funcs[i].func, "func_17"))
					f17 = &j.funcs.funcs[i];
			}
			ok(rc == 0 && f17 && f17 == top && f17->v.kind == VERDICT_SLOWER,
			   "judge: the step names func_17, the function that moved most (%s)",
			   f17 ? f17->v.reason : "not flagged");
			ok(j.has_funcs && j.funcs.mode == COMPARE_PER_RUN && f17 && f17->n_callers == 1,
			   "judge: the levels are compared one sample per run, with callers");
			struct strbuf t = STRBUF_INIT;
			report_nightly_text(&j, &t);
			ok(strstr(sb_str(&t), "REGRESSION") && strstr(sb_str(&t), "func_17"),
			   "report: the nightly text says REGRESSION and names func_17");
			sb_release(&t);
		}
		n_regs += regs[k] == 1;
		history_judgement_release(&j);
	}
	ok(kinds[0] == CP_NOISY_POINT && regs[0] == 0,
	   "judge: the first night of a +30%% step is only a noisy point (kind %d)", kinds[0]);
	ok(n_regs == 1 && first_reg >= 1 && first_reg <= 2,
	   "judge: the step pages exactly once, on night %d of it (kinds %d %d %d %d)", first_reg + 1,
	   kinds[0], kinds[1], kinds[2], kinds[3]);
	ok(kinds[3] == CP_REGRESSION && regs[3] == 0,
	   "judge: the fourth night is a known step: reported, no second page (kind %d)", kinds[3]);

	/* a baseline at the first run of the new level: the history starts there */
	ok(history_mark_baseline(db, step_runs[0], 1, &err) == 0, "baseline: run marked");
	rc = history_judge(db, "nightly_sd", step_runs[3], &o, &j, &err);
	ok(rc == 0 && j.baseline_id == step_runs[0] && j.n_history == 3 && !j.is_regression &&
		   j.cp.kind == CP_TOO_SHORT,
	   "judge: after the baseline only 3 runs remain: too short to page (%s)", rc ? err.msg : j.cp.reason);
	history_judgement_release(&j);
	history_mark_baseline(db, step_runs[0], 0, &err);
	ok(history_mark_baseline(db, 99999, 1, &err) == -1 && strstr(err.msg, "no run with id 99999"),
	   "baseline: an unknown run is an error");
	rc = history_judge(db, "other", step_runs[3], &o, &j, &err);
	ok(rc == -1 && strstr(err.msg, "is scenario 'nightly_sd'"), "judge: a run of another scenario is refused");

	/* the trend */
	struct history_series s;
	rc = history_series_load(db, "nightly_sd", NULL, &s, &err);
	size_t cp_at = 0, n_cps = 0;
	for (size_t i = 0; rc == 0 && i < s.n; i++)
		if (s.pts[i].is_change) {
			n_cps++;
			cp_at = i;
		}
	ok(rc == 0 && s.n == 17 && n_cps == 1 && s.pts[cp_at].run_id == step_runs[0],
	   "trend: 17 good runs, one change point, at the step's first run (%zu points, %zu cps)", s.n, n_cps);
	if (rc == 0)
		history_series_release(&s);
	rc = history_series_load(db, "nosuch", NULL, &s, &err);
	ok(rc == -1 && err.exit_code == GB_EXIT_USAGE && strstr(err.msg, "no good run"),
	   "trend: an unknown scenario is exit 2: %s", err.msg);
	store_close(db);
}

/* A scenario with nothing profiled: nightly judges its first latency, once. */
static void test_unprofiled(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 0, &db, &err)) {
		ok(0, "store opens: %s", err.msg);
		return;
	}
	struct synth s = SYNTH_DEFAULT;
	s.scenario = "unprofiled";
	s.unprofiled = 1;
	s.seed = 77;
	long long id = synth_store(db, &s);
	store_close(db);
	char ids[32];
	snprintf(ids, sizeof(ids), "%lld", id);
	int rc = run(cmd_nightly, "nightly", "--judge", ids, NULL);
	const char *first = strstr(sb_str(&out_s), "nightly unprofiled:");
	ok(rc == 0 && first && !strstr(first + 1, "nightly unprofiled:") && !has(&out_s, "busy ") &&
		   has(&out_s, "latency"),
	   "nightly of an unprofiled scenario judges one series, its first latency");
}

/* The primary series: the CPU time steady (1% run to run) while other processes scatter
 * the wall and busy time by 25%: those cannot be judged, but the night is (exit 0). */
static void test_primary(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 0, &db, &err)) {
		ok(0, "store opens: %s", err.msg);
		return;
	}
	long long last = 0;
	for (int i = 0; i < 10; i++) {
		struct synth s = SYNTH_DEFAULT;
		s.scenario = "nightly_cpu";
		s.n_funcs = 60;
		s.n_profiles = 5;
		s.seed = 5000 + (uint64_t)i;
		/* tonight (the last) at the level: neither a high point nor a step */
		double z = stats_rng_normal(&rng);
		s.run_factor = i < 9 ? exp(0.25 * z) : 1.0;
		s.cpu_share = 0.5;
		s.started_at = 1765000000 + 86400.0 * i;
		last = synth_store(db, &s);
	}
	store_close(db);
	char id[32];
	snprintf(id, sizeof(id), "%lld", last);
	int rc = run(cmd_nightly, "nightly", "--judge", id, NULL);
	const char *cpu = strstr(sb_str(&out_s), "cpu SchedulerManager");
	ok(rc == 0 && cpu && strstr(cpu, "steady") && has(&out_s, "CANNOT JUDGE") &&
		   has(&err_s, "cannot be judged beside the primary series 'cpu SchedulerManager"),
	   "nightly: CPU time steady, wall or busy time scattered by other processes: printed as "
	   "CANNOT JUDGE beside it, the night exits 0 (exit %d)", rc);
	if (rc != 0 || !cpu)
		diag("%s%s", sb_str(&out_s), sb_str(&err_s));
	rc = run(cmd_nightly, "nightly", "--judge", id, "--metric", "target", NULL);
	ok(rc == 5 && has(&out_s, "CANNOT JUDGE"), "nightly --metric target: the same night on its wall time alone "
						   "cannot be judged: exit 5 (exit %d)", rc);
}

static void test_commands(void)
{
	char id[32], jfile[400];
	snprintf(id, sizeof(id), "%lld", page_run);
	snprintf(jfile, sizeof(jfile), "%s/nightly.xml", dir);
	int rc = run(cmd_nightly, "nightly", "--judge", id, "--junit", jfile, NULL);
	ok(rc == 1 && has(&out_s, "REGRESSION") && has(&out_s, "func_17"),
	   "nightly --judge: the night that pages exits 1 naming func_17");
	const char *went = strstr(sb_str(&out_s), "  where the time went (");
	const char *row = went ? strchr(went, '\n') : NULL;
	ok(row && strstr(row, "func_17") && strstr(row, "func_17") < strchr(row + 1, '\n'),
	   "nightly --judge: where the time went lists func_17 first");
	char *argv[] = { "/usr/bin/python3", "-c",
			 "import sys,xml.etree.ElementTree as E\n"
			 "r=E.parse(sys.argv[1]).getroot()\n"
			 "assert r.tag=='testsuite' and r.get('failures')=='2' and r.get('tests')=='2'\n"
			 "names=[c.get('name') for c in r.findall('testcase')]\n"
			 "assert names==['nightly_sd','nightly_sd (busy time)'], names\n"
			 "assert all('func_17' in c.find('failure').text for c in r.findall('testcase'))\n",
			 jfile, NULL };
	pid_t pid;
	int st = -1;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	ok(st == 0, "nightly --junit: xml.etree reads a testcase for the wall time and one for the busy "
		    "time, each failing and naming func_17");
	snprintf(id, sizeof(id), "%lld", noisy_run);
	rc = run(cmd_nightly, "nightly", "--judge", id, NULL);
	ok(rc == 0 && has(&out_s, "one high point"), "nightly --judge: the noisy night exits 0 and says so");
	rc = run(cmd_nightly, "nightly", "--judge", id, "--json", NULL);
	json_error_t je;
	/* JSON lines: the wall time's judgement, then the busy time's */
	json_t *j = json_loads(sb_str(&out_s), JSON_DISABLE_EOF_CHECK, &je);
	const char *second = strchr(sb_str(&out_s), '\n');
	json_t *j2 = second ? json_loads(second + 1, JSON_DISABLE_EOF_CHECK, &je) : NULL;
	ok(rc == 0 && j && !strcmp(json_string_value(json_object_get(j, "judgement")), "noisy point") &&
		   json_array_size(json_object_get(j, "history")) == 10 && j2 &&
		   !strncmp(json_string_value(json_object_get(j2, "metric")), "busy ", 5) &&
		   !strncmp(json_string_value(json_object_get(j, "metric")), "call ", 5),
	   "nightly --json: judgement 'noisy point' against 10 runs, one line for the wall time and "
	   "one for the busy time");
	json_decref(j);
	json_decref(j2);
	rc = run(cmd_nightly, "nightly", "--judge", id, "--metric", "busy", NULL);
	ok(rc == 0 && has(&out_s, "busy SchedulerManager") && !has(&out_s, "call SchedulerManager"),
	   "nightly --metric busy: judges that series only");
	rc = run(cmd_nightly, "nightly", "--mark-baseline", id, NULL);
	ok(rc == 0 && has(&out_s, "is now a baseline"), "nightly --mark-baseline: marks the run");
	rc = run(cmd_nightly, "nightly", "--unmark-baseline", id, NULL);
	ok(rc == 0 && has(&out_s, "no longer"), "nightly --unmark-baseline: clears it");
	rc = run(cmd_nightly, "nightly", NULL);
	ok(rc == 2 && has(&err_s, "expected one or more SCENARIO"), "nightly: no scenario is exit 2");
	rc = run(cmd_nightly, "nightly", "--judge", "nosuch", NULL);
	ok(rc == 2 && has(&err_s, "no run 'nosuch'"), "nightly --judge: an unknown run is exit 2");

	rc = run(cmd_nightly, "nightly", "tests/data/scenarios/bad/version_2.yaml", "--junit", jfile, NULL);
	char *argv2[] = { "/usr/bin/python3", "-c",
			  "import sys,xml.etree.ElementTree as E\n"
			  "r=E.parse(sys.argv[1]).getroot()\n"
			  "assert r.get('errors')=='1' and r.get('failures')=='0'\n"
			  "assert 'version' in r.find('testcase/error').get('message')\n",
			  jfile, NULL };
	st = -1;
	if (posix_spawn(&pid, argv2[0], NULL, NULL, argv2, environ) == 0)
		waitpid(pid, &st, 0);
	ok(rc == 2 && st == 0, "nightly: a bad scenario is exit 2 and an <error> testcase in the JUnit");
	rc = run(cmd_trend, "trend", "nightly_sd", NULL);
	diag("%s", sb_str(&out_s));
	ok(rc == 0 && has(&out_s, "1 change point") && has(&out_s, "<-- change point"),
	   "trend: the text marks the change point");
	rc = run(cmd_trend, "trend", "nightly_sd", "--json", "--metric", "post", NULL);
	j = json_loads(sb_str(&out_s), 0, &je);
	ok(rc == 0 && j && !strcmp(json_string_value(json_object_get(j, "metric")), "POST /v2.1/servers latency") &&
		   json_array_size(json_object_get(j, "runs")) == 17,
	   "trend --json --metric post: the POST latency series of 17 runs");
	json_decref(j);
	rc = run(cmd_trend, "trend", "nightly_sd", "--metric", "nosuch", NULL);
	ok(rc == 2 && has(&err_s, "with the metric 'nosuch'"), "trend: an unknown metric is exit 2");
}

/* ---- ab ---- */

struct fake {
	struct store *db;
	double b_level;
	int fail_at;          /* block index that fails, -1 none */
	char sides[64];
	size_t n;
};

/* The block that is interrupted: a real SIGINT through the handler `greenbench ab`
 * has, then the real runner on a scenario that changes nothing but its journal. */
static int interrupted_block(long long ab_id, long long *run_id, struct gb_err *err)
{
	char sc_path[400], state[400];
	snprintf(sc_path, sizeof(sc_path), "%s/interrupted.yaml", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	char units[400], yaml[1400];
	snprintf(units, sizeof(units), "%s/units.yaml", dir);
	mkdir(state, 0700);
	char uy[500];
	snprintf(uy, sizeof(uy), "version: 1\nbackend: process\nstate_dir: %s\nunits: {}\n", state);
	snprintf(yaml, sizeof(yaml), "version: 1\nname: ab_sd\nunits: {backend: process, file: %s}\n"
				      "workload: []\n", units);
	struct scenario *sc = NULL;
	if (gb_write_file_atomic(units, uy, strlen(uy), 0644, err) ||
	    gb_write_file_atomic(sc_path, yaml, strlen(yaml), 0644, err) || scenario_load(sc_path, &sc, err))
		return -1;
	interrupt_install();
	raise(SIGINT);
	struct runner_opts o = { .state_dir = state, .db = dbpath, .ab_id = ab_id, .label = "ab-int" };
	struct runner_result res;
	int rc = runner_run(sc, &o, &res, err);
	*run_id = rc ? 0 : res.run_id;
	runner_result_release(&res);
	scenario_free(sc);
	unlink(sc_path);
	unlink(units);
	char *rm[] = { "rm", "-rf", state, NULL };
	proc_run(rm, NULL, NULL, NULL, 10, NULL, NULL);
	return rc;
}

static int fake_block(void *arg, char side, size_t block, long long ab_id, long long *run_id,
		      struct gb_err *err)
{
	struct fake *f = arg;
	f->sides[f->n++] = side;
	if ((int)block == f->fail_at)
		return interrupted_block(ab_id, run_id, err);
	struct synth s = SYNTH_DEFAULT;
	s.scenario = "ab_sd";
	s.n_funcs = 40;
	s.n_profiles = 4;
	s.seed = 5000 + block + 100 * (uint64_t)ab_id;
	s.run_factor = (side == 'B' ? f->b_level : 1.0) * exp(0.08 * stats_rng_normal(&rng));
	struct run_record *rec = synth_run(&s);
	rec->ab_id = ab_id;
	int rc = store_save_run(f->db, rec, run_id, err);
	run_record_free(rec);
	return rc;
}

static void test_ab(void)
{
	char order[64], again[64];
	ab_order(6, 0, 0, order);
	is_str(order, "ABBAABBAABBA", "ab order: ABBA blocks without --random");
	ab_order(6, 1, 42, order);
	ab_order(6, 1, 42, again);
	int balanced = strlen(order) == 12;
	for (int i = 0; i < 6; i++)
		balanced &= order[2 * i] != order[2 * i + 1];
	ok(!strcmp(order, again) && balanced, "ab order: --random with a seed is reproducible and each pair has both (%s)",
	   order);
	ab_order(6, 1, 43, again);
	ok(strcmp(order, again) != 0, "ab order: another seed, another order (%s)", again);

	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	store_open(dbpath, 1, &db, &err);
	sqlite3_exec(db->db, "UPDATE runs SET ab_id = 7 WHERE id = 1", NULL, NULL, NULL);
	long long ab_id = 0;
	const char *patches[] = { "fix.diff" };
	ab_order(6, 0, 0, order);
	int rc = ab_begin(db, "ab_sd", order, 0, 0, patches, 1, &ab_id, &err);
	ok(rc == 0 && ab_id == 8, "ab id: max(ab_id) + 1 = 8 after a run with ab id 7 (%lld)", ab_id);
	struct fake f = { db, 1.3, -1, "", 0 };
	struct ab_outcome out;
	rc = ab_execute(db, ab_id, order, fake_block, &f, NULL, NULL, &out, &err);
	f.sides[f.n] = 0;
	ok(rc == 0 && out.n_done == 12 && !strcmp(f.sides, order), "ab: 12 blocks ran in the order %s", f.sides);
	long long *a = NULL, *b = NULL;
	size_t n_a, n_b;
	rc = ab_runs(db, ab_id, &a, &n_a, &b, &n_b, &err);
	ok(rc == 0 && n_a == 6 && n_b == 6, "ab: 6 baseline and 6 patched runs stored under ab id %lld", ab_id);
	struct compare_verdict v;
	rc = rc ? rc : compare_judge(db, a, n_a, b, n_b, NULL, &v, &err);
	ok(rc == 0 && v.mode == COMPARE_PER_RUN && v.is_regression,
	   "ab: a 30%% slower B is a regression with one sample per run (%s)",
	   rc == 0 && v.n_metrics ? v.metrics[0].v.reason : err.msg);
	if (rc == 0)
		compare_verdict_release(&v);
	free(a);
	free(b);
	store_close(db);
	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "%lld", ab_id);
	rc = run(cmd_compare, "compare", "--ab", idbuf, NULL);
	diag("%s", sb_str(&out_s));
	ok(rc == 1 && has(&out_s, "one sample per run"), "compare --ab %s: exit 1, one sample per run", idbuf);

	/* an experiment interrupted at block 3 stops there, keeping what ran */
	store_open(dbpath, 0, &db, &err);
	rc = ab_begin(db, "ab_sd", order, 0, 0, patches, 1, &ab_id, &err);
	struct fake g = { db, 1.0, 2, "", 0 };
	rc = ab_execute(db, ab_id, order, fake_block, &g, NULL, NULL, &out, &err);
	ok(rc == -1 && err.exit_code == GB_EXIT_INTERRUPTED && out.n_done == 2 && g.n == 3 &&
		   strstr(out.stop_reason, "block 3 (B) failed"),
	   "ab: an interrupt in block 3 stops the experiment (exit 4): %s", out.stop_reason);
	ok(strstr(out.stop_reason, "interrupted before step config") != NULL,
	   "ab: the reason is the runner's own, from a real SIGINT");
	rc = ab_runs(db, ab_id, &a, &n_a, &b, &n_b, &err);
	ok(rc == 0 && n_a == 1 && n_b == 1, "ab: the two finished blocks stay stored");
	free(a);
	free(b);
	store_close(db);

	rc = run(cmd_ab, "ab", "scenario.yaml", NULL);
	ok(rc == 2 && has(&err_s, "--patch FILE"), "ab: no --patch is exit 2");
	rc = run(cmd_ab, "ab", "scenario.yaml", "--patch", "/nonexistent.diff", NULL);
	ok(rc == 2 && has(&err_s, "cannot be read"), "ab: an unreadable patch is exit 2");
	rc = run(cmd_ab, "ab", "scenario.yaml", "--patch", "x", "--repeat", "0", NULL);
	ok(rc == 2 && has(&err_s, "--repeat must be"), "ab: --repeat 0 is exit 2");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	test_history();
	test_commands();
	test_primary();
	test_unprofiled();
	test_ab();
	if (getenv("T_NIGHTLY_KEEP")) {
		diag("kept %s", dir);
		return done_testing();
	}
	const char *names[] = { "results.db", "results.db-wal", "results.db-shm", "stdout", "stderr",
				"nightly.xml" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[400];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	sb_release(&out_s);
	sb_release(&err_s);
	return done_testing();
}

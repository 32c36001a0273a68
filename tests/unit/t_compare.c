/* t_compare.c - verdicts at the compare level on synthetic stored runs: a planted 30%
 * slowdown among 500 functions is flagged first with its callers, null runs flag nothing,
 * a call-count change is a fact, --force for different scenarios, exit codes, and the
 * JSON / TAP / JUnit outputs parse (python3 json, prove-able TAP, xml.etree). */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "judge/compare.h"
#include "report/report.h"
#include "lib/tap.h"
#include "lib/verdict_fixture.h"

extern char **environ;

static char dir[] = "/tmp/t_compare.XXXXXX";
static char dbpath[300];
#include "lib/cmd_capture.h"

/* Feed text to a python3 snippet on stdin; returns its exit status. */
static int python_check(const char *code, const struct strbuf *input)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/input", dir);
	struct gb_err e;
	if (gb_write_file_atomic(path, input->buf ? input->buf : "", input->len, 0600, &e))
		return -1;
	char *argv[] = { "/usr/bin/python3", "-c", (char *)code, path, NULL };
	pid_t pid;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run prove over text as a TAP stream (prove -e cat FILE); returns prove's exit status. */
static int prove_file(const struct strbuf *tap)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/tap.t", dir);
	struct gb_err e;
	if (gb_write_file_atomic(path, tap->buf ? tap->buf : "", tap->len, 0600, &e))
		return -1;
	char *argv[] = { "prove", "-Q", "-e", "/bin/cat", path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int st = -1, rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	waitpid(pid, &st, 0);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long id_shifted, id_null_a, id_null_b, id_slow, id_calls, id_other, id_fake, id_busy;
static long long grp_a[6], grp_b[6], grp_null[6];
static long long grp_wa[6], grp_wb[6], grp_wn[6]; /* with noisy waits; wb adds 10% work */
static long long grp_8a[8], grp_8b[8];            /* ab's default 8 vs 8; 8b adds work */
static long long grp_ca[8], grp_cb[8];            /* with CPU times, a busy host; cb adds work */
static long long grp_qa[8], grp_qb[8];            /* with CPU times; qb's call waits longer, no work */

static void make_store(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (!ok(store_open(dbpath, 1, &db, &err) == 0, "the fixture store opens (%s)", err.msg))
		return;
	struct synth s = SYNTH_DEFAULT;
	s.n_profiles = 20;
	s.seed = 11;
	s.label = "base";
	id_null_a = synth_store(db, &s);
	s.seed = 12;
	s.label = "null";
	id_null_b = synth_store(db, &s);
	s.seed = 14;
	s.label = "shifted";
	s.line_shift = 7; /* every function 7 lines lower, as below a patch's hunk */
	id_shifted = synth_store(db, &s);
	s.line_shift = 0;
	s.seed = 13;
	s.label = "slow";
	s.slow_fn = 123;
	s.slow_factor = 1.3;
	id_slow = synth_store(db, &s);
	s = (struct synth)SYNTH_DEFAULT;
	s.seed = 14;
	s.label = "calls";
	s.calls_fn = 77;
	s.calls_n = 4;
	id_calls = synth_store(db, &s);
	s = (struct synth)SYNTH_DEFAULT;
	s.seed = 15;
	s.scenario = "other_scenario";
	id_other = synth_store(db, &s);
	s = (struct synth)SYNTH_DEFAULT;
	s.seed = 16;
	s.fake_computes = 10;
	id_fake = synth_store(db, &s);
	s = (struct synth)SYNTH_DEFAULT;
	s.seed = 17;
	s.load1 = 3.5;
	id_busy = synth_store(db, &s);
	/* groups of runs with run-level noise (CV 10%): B's target is 25% slower */
	struct stats_rng rng;
	stats_rng_seed(&rng, 99);
	for (int i = 0; i < 6; i++) {
		s = (struct synth)SYNTH_DEFAULT;
		s.n_funcs = 60;
		s.n_profiles = 6;
		s.seed = 100 + i;
		s.run_factor = exp(0.10 * stats_rng_normal(&rng));
		grp_a[i] = synth_store(db, &s);
		s.seed = 200 + i;
		s.run_factor = exp(0.10 * stats_rng_normal(&rng));
		grp_null[i] = synth_store(db, &s);
		s.seed = 300 + i;
		s.run_factor = 1.25 * exp(0.10 * stats_rng_normal(&rng));
		grp_b[i] = synth_store(db, &s);
	}
	/* like select_destinations on the test cloud: ~14 ms of work and ~60 ms of waiting
	 * on placement and the database per call, the waits noisy within and across runs
	 * (sd 0.4 and 0.3 of log), the work steady (3% run noise); B adds ~1.5 ms (10% of
	 * the work, 2% of the wall time) in a function A never calls */
	for (int i = 0; i < 6; i++) {
		for (int side = 0; side < 3; side++) {
			s = (struct synth)SYNTH_DEFAULT;
			s.n_funcs = 60;
			s.n_profiles = 8;
			s.seed = 400 + 10 * i + side;
			s.run_factor = exp(0.03 * stats_rng_normal(&rng));
			s.wait_s = 0.06 * exp(0.3 * stats_rng_normal(&rng));
			s.wait_noise = 0.4;
			if (side == 1)
				s.new_fn = 0.0015;
			long long id = synth_store(db, &s);
			if (side == 0)
				grp_wa[i] = id;
			else if (side == 1)
				grp_wb[i] = id;
			else
				grp_wn[i] = id;
		}
	}
	for (int i = 0; i < 8; i++)
		for (int side = 0; side < 2; side++) {
			s = (struct synth)SYNTH_DEFAULT;
			s.n_funcs = 60;
			s.n_profiles = 8;
			s.seed = 600 + 10 * i + side;
			s.run_factor = exp(0.03 * stats_rng_normal(&rng));
			s.wait_s = 0.06 * exp(0.3 * stats_rng_normal(&rng));
			s.wait_noise = 0.4;
			s.new_fn = side ? 0.0015 : 0;
			(side ? grp_8b : grp_8a)[i] = synth_store(db, &s);
		}
	/* on a busy host: other processes take 0-50% of the core run to run (sd 0.25 of log
	 * on the busy and wall time), which the CPU time does not see; B adds ~1.5 ms */
	for (int i = 0; i < 8; i++)
		for (int side = 0; side < 2; side++) {
			s = (struct synth)SYNTH_DEFAULT;
			s.n_funcs = 60;
			s.n_profiles = 8;
			s.seed = 700 + 10 * i + side;
			s.run_factor = exp(0.25 * stats_rng_normal(&rng));
			s.wait_s = 0.06 * exp(0.3 * stats_rng_normal(&rng));
			s.wait_noise = 0.4;
			s.new_fn = side ? 0.0015 : 0;
			s.cpu_share = 0.5;
			(side ? grp_cb : grp_ca)[i] = synth_store(db, &s);
		}
	/* the same call's CPU time on both sides, but B's call waits twice as long (for
	 * placement, say): wall time up, busy and CPU time not, the latencies alike */
	for (int i = 0; i < 8; i++)
		for (int side = 0; side < 2; side++) {
			s = (struct synth)SYNTH_DEFAULT;
			s.n_funcs = 60;
			s.n_profiles = 8;
			s.seed = 800 + 10 * i + side;
			s.run_factor = exp(0.01 * stats_rng_normal(&rng));
			s.wait_s = side ? 0.12 : 0.06;
			s.wait_noise = 0.05;
			s.cpu_share = 0.5;
			(side ? grp_qb : grp_qa)[i] = synth_store(db, &s);
		}
	store_close(db);
}

static void test_planted_slowdown(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	store_open(dbpath, 0, &db, &err);
	struct compare_verdict v;
	struct compare_opts o = COMPARE_OPTS_DEFAULT;
	int rc = compare_judge(db, &id_null_a, 1, &id_slow, 1, &o, &v, &err);
	ok(rc == 0, "judge: planted run compares (%s)", rc ? err.msg : "ok");
	if (rc) {
		store_close(db);
		return;
	}
	ok(v.n_funcs >= 1 && !strcmp(v.funcs[0].func, "func_123") && v.funcs[0].v.kind == VERDICT_SLOWER,
	   "judge: func_123's planted +30%% is flagged first (%zu flagged of %zu tested)", v.n_funcs,
	   v.n_funcs_tested);
	ok(v.n_funcs_slower == 1 && v.n_funcs_faster == 0,
	   "judge: nothing else among 500 functions is flagged (%zu slower, %zu faster)", v.n_funcs_slower,
	   v.n_funcs_faster);
	ok(v.n_funcs && v.funcs[0].v.rel_change > 0.2 && v.funcs[0].v.rel_change < 0.4 &&
		   v.funcs[0].v.ci_low > 0 && v.funcs[0].v.ci_low < 0.3 && v.funcs[0].v.ci_high > 0.3,
	   "judge: its change %.3f has an interval [%.3f, %.3f] around +30%%",
	   v.n_funcs ? v.funcs[0].v.rel_change : NAN, v.n_funcs ? v.funcs[0].v.ci_low : NAN,
	   v.n_funcs ? v.funcs[0].v.ci_high : NAN);
	ok(v.n_funcs && v.funcs[0].n_callers == 1 && strstr(v.funcs[0].callers[0], "mid.py:13(mid_3)"),
	   "judge: its caller mid_3 comes from the raw dumps (%s)",
	   v.n_funcs && v.funcs[0].n_callers ? v.funcs[0].callers[0] : "none");
	ok(v.mode == COMPARE_WITHIN_RUN && v.n_notes >= 1 && strstr(v.notes[0], "run-to-run noise is not captured"),
	   "judge: two single runs say plainly that run-to-run noise is not captured");
	ok(v.n_metrics >= 4 && v.metrics[0].is_target && strstr(v.metrics[0].name, "select_destinations"),
	   "judge: the profiled call is the first metric (%s)", v.n_metrics ? v.metrics[0].name : "-");
	ok(v.n_counts == 0, "judge: no call count changed");
	compare_verdict_release(&v);

	o.floor = 1e-3;
	rc = compare_judge(db, &id_null_a, 1, &id_slow, 1, &o, &v, &err);
	ok(rc == 0 && v.n_funcs_untested > 100 && v.n_funcs_tested + v.n_funcs_untested >= 500,
	   "judge: a 0.1%% floor leaves %zu tiny functions untested (%zu tested)", v.n_funcs_untested,
	   v.n_funcs_tested);
	compare_verdict_release(&v);
	o.floor = 1e-4;
	rc = compare_judge(db, &id_null_a, 1, &id_null_b, 1, &o, &v, &err);
	int movers_ok = 1;
	for (size_t i = 0; rc == 0 && i < v.n_movers; i++)
		movers_ok &= v.movers[i].v.kind != VERDICT_SLOWER && v.movers[i].v.kind != VERDICT_FASTER &&
			     fabs(v.movers[i].v.rel_change) >= 0.05;
	ok(rc == 0 && movers_ok && v.n_movers <= 5,
	   "judge: null runs list at most 5 non-significant movers, none flagged (%zu)", v.n_movers);
	ok(rc == 0 && v.n_funcs == 0 && v.n_funcs_slower == 0 && v.n_counts == 0 && !v.is_regression,
	   "judge: two null runs flag nothing (%zu functions tested)", v.n_funcs_tested);
	compare_verdict_release(&v);

	rc = compare_judge(db, &id_null_a, 1, &id_shifted, 1, &o, &v, &err);
	ok(rc == 0 && v.n_counts == 0 && v.n_funcs == 0 && !v.is_regression,
	   "judge: functions whose lines moved (a patch above them) are matched by file and name: "
	   "no call count 'changed', nothing flagged (%zu counts, %zu funcs)", v.n_counts, v.n_funcs);
	compare_verdict_release(&v);
	rc = compare_judge(db, &id_null_a, 1, &id_calls, 1, &o, &v, &err);
	ok(rc == 0 && v.n_counts == 1 && v.counts[0].v.is_count_fact && !strcmp(v.counts[0].func, "func_77") &&
		   v.counts[0].v.median_a == 3 && v.counts[0].v.median_b == 4,
	   "judge: func_77 called 4 times instead of 3 is a fact (%s)",
	   v.n_counts ? v.counts[0].v.reason : "none");
	ok(rc == 0 && v.n_counts && isnan(v.counts[0].v.p_value), "judge: a count fact carries no p-value");
	compare_verdict_release(&v);

	rc = compare_judge(db, &id_null_a, 1, &id_other, 1, &o, &v, &err);
	ok(rc == -1 && err.exit_code == GB_EXIT_USAGE && strstr(err.msg, "other_scenario") &&
		   strstr(err.msg, "--force"),
	   "judge: different scenarios refused: %s", err.msg);
	rc = compare_judge(db, &id_null_a, 1, &id_fake, 1, &o, &v, &err);
	ok(rc == -1 && strstr(err.msg, "had 10"), "judge: different fake-compute counts refused: %s",
	   err.msg);
	o.force = 1;
	rc = compare_judge(db, &id_null_a, 1, &id_other, 1, &o, &v, &err);
	ok(rc == 0 && v.refused[0] && v.n_notes >= 2 && strstr(v.notes[0], "compared anyway"),
	   "judge: --force compares them and keeps the reason in a note");
	compare_verdict_release(&v);
	o.force = 0;
	rc = compare_judge(db, &id_null_a, 1, &id_busy, 1, &o, &v, &err);
	int busy = 0;
	for (size_t i = 0; rc == 0 && i < v.n_notes; i++)
		busy |= strstr(v.notes[i], "busy host") != NULL && strstr(v.notes[i], "load 3.50 on 2 CPUs") != NULL;
	ok(busy, "judge: a run at load 3.5 on 2 CPUs is flagged as taken on a busy host");
	compare_verdict_release(&v);

	/* groups: one sample per run */
	rc = compare_judge(db, grp_a, 6, grp_b, 6, &o, &v, &err);
	ok(rc == 0 && v.mode == COMPARE_PER_RUN && v.n_metrics && v.metrics[0].v.n_a == 6 &&
		   v.metrics[0].v.kind == VERDICT_SLOWER && v.is_regression,
	   "judge: 6 vs 6 runs with a 25%% step under 10%% run noise: slower, one sample per run (%s)",
	   rc == 0 && v.n_metrics ? v.metrics[0].v.reason : err.msg);
	compare_verdict_release(&v);
	rc = compare_judge(db, grp_a, 6, grp_null, 6, &o, &v, &err);
	/* 6 runs per side under 10% noise give an interval of about +-15%: wider than the
	 * +-5% margin, so "no change" would be a claim the data cannot make */
	ok(rc == 0 && !v.is_regression && v.n_metrics && v.metrics[0].v.kind == VERDICT_INCONCLUSIVE &&
		   v.is_inconclusive && v.n_more > 0 && strstr(v.metrics[0].v.reason, "more per side"),
	   "judge: 6 vs 6 null runs under 10%% run noise: inconclusive, never 'no change', with "
	   "how many more runs per side (%s)",
	   rc == 0 && v.n_metrics ? v.metrics[0].v.reason : err.msg);
	compare_verdict_release(&v);
	store_close(db);
}

static const struct compare_row *metric_row(const struct compare_verdict *v, const char *prefix)
{
	for (size_t i = 0; i < v->n_metrics; i++)
		if (!strncmp(v->metrics[i].name, prefix, strlen(prefix)))
			return &v->metrics[i];
	return NULL;
}

/* The busy time: work without the waits, where a patch that adds work shows. */
static void test_busy(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	store_open(dbpath, 0, &db, &err);
	struct compare_run_samples rs;
	int rc = compare_load_run(db, grp_wa[0], NULL, 0, &rs, &err);
	long wi = rc ? -1 : compare_find_series(&rs, "target");
	long bi = rc ? -1 : compare_find_series(&rs, "busy");
	int sums_ok = wi >= 0 && bi >= 0 && rs.series[wi].n == 8 && rs.series[bi].n == 8;
	double max_gap = 0;
	for (size_t k = 0; sums_ok && k < 8; k++) {
		/* wall = work + wait + the root's own 0.1 ms; busy = wall - wait */
		double gap = rs.series[wi].x[k] - rs.series[bi].x[k];
		sums_ok &= gap > 0.01;
		max_gap = fmax(max_gap, gap);
	}
	ok(sums_ok && !strcmp(rs.series[bi].name, "busy SchedulerManager.select_destinations") &&
		   rs.series[bi].is_target && !strcmp(rs.series[wi].name, "call SchedulerManager.select_destinations"),
	   "busy: one busy sample per profile beside the wall one, the waits taken out (largest wait %.3f s)",
	   max_gap);
	if (!rc)
		compare_run_samples_release(&rs);
	rc = compare_load_run(db, grp_a[0], NULL, 0, &rs, &err);
	wi = rc ? -1 : compare_find_series(&rs, "target");
	bi = rc ? -1 : compare_find_series(&rs, "busy");
	ok(wi >= 0 && bi >= 0 && fabs(rs.series[wi].x[0] - rs.series[bi].x[0]) < 1e-9,
	   "busy: a profile with no switch entry is busy all along (busy == wall)");
	if (!rc)
		compare_run_samples_release(&rs);

	struct compare_opts o = COMPARE_OPTS_DEFAULT;
	struct compare_verdict v;
	rc = compare_judge(db, grp_wa, 6, grp_wb, 6, &o, &v, &err);
	const struct compare_row *wall = rc ? NULL : metric_row(&v, "call ");
	const struct compare_row *busy = rc ? NULL : metric_row(&v, "busy ");
	ok(busy && busy->v.kind == VERDICT_SLOWER && v.is_regression && busy->v.rel_change > 0.05 &&
		   busy->v.rel_change < 0.2,
	   "busy: +10%% work under noisy waits is SLOWER on busy time (%s)", busy ? busy->v.reason : err.msg);
	ok(wall && wall->v.kind != VERDICT_SLOWER,
	   "busy: ... where the wall time, +2%% under the waits' noise, cannot show it (%s)",
	   wall ? wall->v.reason : "-");
	int top_new = !rc && v.n_movers && v.movers[0].presence == 1 &&
		      !strcmp(v.movers[0].func, "_gb_extra_work") && isinf(v.movers[0].v.rel_change);
	int no_switch = 1;
	for (size_t i = 0; !rc && i < v.n_movers; i++)
		no_switch &= !compare_is_switch_entry(v.movers[i].file, v.movers[i].func);
	ok(top_new && no_switch,
	   "busy: where the time went: the function only B runs is first, the waiting is not listed (%s)",
	   !rc && v.n_movers ? v.movers[0].name : "none");
	if (!rc)
		compare_verdict_release(&v);
	rc = compare_judge(db, grp_8a, 8, grp_8b, 8, &o, &v, &err);
	ok(rc == 0 && v.n_funcs >= 1 && v.funcs[0].presence == 1 && v.funcs[0].v.kind == VERDICT_SLOWER &&
		   !strcmp(v.funcs[0].func, "_gb_extra_work") && v.is_regression,
	   "busy: at 8 vs 8 the function only B runs is flagged, first in the function table (%s)",
	   !rc && v.n_funcs ? v.funcs[0].v.reason : "none flagged");
	if (!rc)
		compare_verdict_release(&v);
	rc = compare_judge(db, grp_wa, 6, grp_wn, 6, &o, &v, &err);
	busy = rc ? NULL : metric_row(&v, "busy ");
	ok(busy && busy->v.kind == VERDICT_NO_CHANGE && !v.is_regression && !v.is_improvement,
	   "busy: the same work under the same noisy waits: no change on either (%s)",
	   busy ? busy->v.reason : err.msg);
	if (!rc)
		compare_verdict_release(&v);
	store_close(db);
}

static void test_cpu(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	store_open(dbpath, 0, &db, &err);
	struct compare_run_samples rs;
	int rc = compare_load_run(db, grp_ca[0], NULL, 0, &rs, &err);
	long ci = rc ? -1 : compare_find_series(&rs, "cpu");
	ok(ci == 0 && rs.series[0].n == 8 && rs.series[0].is_target &&
		   !strcmp(rs.series[0].name, "cpu SchedulerManager.select_destinations") &&
		   compare_find_series(&rs, NULL) == 0 && compare_find_series(&rs, "target") > 0,
	   "cpu: a run whose dumps have greenprof's times has 'cpu X' first (the headline), 'call X' beside it");
	if (!rc)
		compare_run_samples_release(&rs);

	struct compare_opts o = COMPARE_OPTS_DEFAULT;
	struct compare_verdict v;
	rc = compare_judge(db, grp_ca, 8, grp_cb, 8, &o, &v, &err);
	const struct compare_row *cpu = rc ? NULL : &v.metrics[0];
	const struct compare_row *busy = rc ? NULL : metric_row(&v, "busy ");
	ok(cpu && !strncmp(cpu->name, "cpu ", 4) && cpu->v.kind == VERDICT_SLOWER && v.is_regression,
	   "cpu: on a busy host +1.5 ms of work is SLOWER on the CPU time, judged first (%s)", cpu ? cpu->v.reason : err.msg);
	ok(busy && busy->v.kind != VERDICT_SLOWER,
	   "cpu: ... where the busy time, inflated by other processes run to run, cannot show it (%s)",
	   busy ? busy->v.reason : "-");
	if (!rc)
		compare_verdict_release(&v);

	/* the CPU time is the primary metric: the wall and busy time beside it do not decide */
	rc = compare_judge(db, grp_qa, 8, grp_qb, 8, &o, &v, &err);
	cpu = rc ? NULL : &v.metrics[0];
	busy = rc ? NULL : metric_row(&v, "busy ");
	const struct compare_row *wall = rc ? NULL : metric_row(&v, "call ");
	ok(cpu && cpu->is_primary && cpu->v.kind == VERDICT_NO_CHANGE && wall && !wall->is_primary &&
		   wall->v.kind == VERDICT_SLOWER && busy && !busy->is_primary,
	   "primary: B's call waits longer: wall time slower (%s), CPU time no change (%s)",
	   wall ? wall->v.reason : err.msg, cpu ? cpu->v.reason : "-");
	ok(cpu && !v.is_regression && !v.is_improvement && !v.is_inconclusive,
	   "primary: ... and the answer is the CPU time's: NO CHANGE, not SLOWER (exit 0)");
	int beside = 0;
	for (size_t i = 0; !rc && i < v.n_notes; i++)
		beside |= strstr(v.notes[i], "call SchedulerManager.select_destinations is slower") != NULL &&
			  strstr(v.notes[i], "beside the CPU time, which decides the verdict") != NULL;
	ok(beside, "primary: a note says the wall time moved beside the CPU time");
	struct strbuf t = STRBUF_INIT;
	if (!rc) {
		report_compare_text(&v, &t);
		ok(strstr(sb_str(&t), "VERDICT: NO CHANGE (within +-5%) - cpu SchedulerManager.select_destinations: no change") != NULL,
		   "primary: the text's VERDICT line is the CPU time's NO CHANGE");
		sb_reset(&t);
		report_compare_tap(&v, &t);
		ok(strstr(sb_str(&t), "# verdict: no change") && strstr(sb_str(&t), "# TODO beside the CPU time"),
		   "primary: TAP marks the slower wall-time row TODO, the verdict no change");
		sb_reset(&t);
		report_compare_junit(&v, NULL, &t);
		ok(strstr(sb_str(&t), "failures=\"0\"") != NULL, "primary: JUnit has no failure for a row beside the CPU time");
		compare_verdict_release(&v);
	}
	sb_release(&t);

	rc = compare_judge(db, grp_ca, 6, grp_wb, 6, &o, &v, &err);
	int has_cpu_row = 0, has_note = 0;
	for (size_t i = 0; !rc && i < v.n_metrics; i++)
		has_cpu_row |= !strncmp(v.metrics[i].name, "cpu ", 4);
	for (size_t i = 0; !rc && i < v.n_notes; i++)
		has_note |= strstr(v.notes[i], "CPU time is known for 6 of 6 A runs and 0 of 6 B runs") != NULL &&
			    strstr(v.notes[i], "judged on its wall and busy time") != NULL;
	ok(rc == 0 && !has_cpu_row && has_note && !strncmp(v.metrics[0].name, "call ", 5),
	   "cpu: B's dumps lack the times: no CPU row, a note says so, the wall time leads");
	if (!rc)
		compare_verdict_release(&v);
	rc = compare_judge(db, grp_wa, 6, grp_wb, 6, &o, &v, &err);
	has_note = 0;
	for (size_t i = 0; !rc && i < v.n_notes; i++)
		has_note |= strstr(v.notes[i], "CPU time is known") != NULL;
	ok(rc == 0 && has_note, "cpu: no dump with the times at all: the note still says the CPU time is unknown");
	if (!rc)
		compare_verdict_release(&v);
	store_close(db);
}

static void test_command(void)
{
	char a[32], b[32], c[32], o[32];
	snprintf(a, sizeof(a), "%lld", id_null_a);
	snprintf(b, sizeof(b), "%lld", id_slow);
	snprintf(c, sizeof(c), "%lld", id_null_b);
	snprintf(o, sizeof(o), "%lld", id_other);
	int rc = run(cmd_compare, "compare", a, b, NULL);
	diag("compare %s %s:\n%s", a, b, sb_str(&out_s));
	/* a function that moved is not a regression: only the profiled call and the latencies
	 * decide the exit code (cmd_compare's EXIT STATUS) */
	is_int(rc, 0, "compare: exit 0 for a planted function slowdown (the call itself did not change)");
	ok(has(&out_s, "VERDICT: NO CHANGE (within +-5%)") && has(&out_s, "moved: 1 function slower"),
	   "compare: the planted slowdown is one moved function, not a verdict");
	ok(has(&out_s, "VERDICT:") && has(&out_s, "func_123") && has(&out_s, "called by") &&
		   has(&out_s, "run-to-run noise is not captured"),
	   "compare: the table shows the verdict, func_123 with its caller and the within-run note");
	const char *p_v = strstr(sb_str(&out_s), "VERDICT"), *p_f = strstr(sb_str(&out_s), "func_123");
	ok(p_v && p_f && p_v < p_f, "compare: the verdict line comes before the functions");
	rc = run(cmd_compare, "compare", "base", "null", NULL);
	ok(rc == 0 && has(&out_s, "VERDICT: NO CHANGE (within +-5%)") &&
		   has(&out_s, "none: no function moved"),
	   "compare: null runs whose call's interval is inside +-5%% exit 0 with NO CHANGE");
	rc = run(cmd_compare, "compare", a, o, NULL);
	ok(rc == 2 && has(&err_s, "refusing to compare") && has(&err_s, "--force"),
	   "compare: another scenario is exit 2 without --force");
	rc = run(cmd_compare, "compare", a, o, "--force", NULL);
	ok(rc == 0 && has(&out_s, "compared anyway"), "compare --force: compares and says so");
	rc = run(cmd_compare, "compare", a, "nosuch", NULL);
	ok(rc == 2 && has(&err_s, "no run 'nosuch'"), "compare: an unknown run is exit 2");
	rc = run(cmd_compare, "compare", a, a, NULL);
	ok(rc == 2 && has(&err_s, "is on both sides"), "compare: a run against itself is exit 2");
	rc = run(cmd_compare, "compare", a, b, "--min-effect", "lots", NULL);
	ok(rc == 2 && has(&err_s, "--min-effect 'lots'"), "compare: a bad --min-effect is exit 2");

	/* groups: exit 1 on the 25% step */
	char la[128] = "", lb[128] = "", ln[128] = "";
	for (int i = 0; i < 6; i++) {
		snprintf(la + strlen(la), sizeof(la) - strlen(la), "%s%lld", i ? "," : "", grp_a[i]);
		snprintf(lb + strlen(lb), sizeof(lb) - strlen(lb), "%s%lld", i ? "," : "", grp_b[i]);
		snprintf(ln + strlen(ln), sizeof(ln) - strlen(ln), "%s%lld", i ? "," : "", grp_null[i]);
	}
	rc = run(cmd_compare, "compare", la, lb, NULL);
	ok(rc == 1 && has(&out_s, "SLOWER (B regressed)") && has(&out_s, "one sample per run"),
	   "compare A1..A6 B1..B6: exit 1, B regressed, one sample per run");
	rc = run(cmd_compare, "compare", la, ln, NULL);
	ok(rc == 5 && has(&out_s, "VERDICT: INCONCLUSIVE") && has(&out_s, "more per side"),
	   "compare of null groups, 6 vs 6 under 10%% noise: INCONCLUSIVE, exit 5 (got %d), with how "
	   "many more runs would settle it", rc);
	char wa[128] = "", wb[128] = "";
	for (int i = 0; i < 6; i++) {
		snprintf(wa + strlen(wa), sizeof(wa) - strlen(wa), "%s%lld", i ? "," : "", grp_wa[i]);
		snprintf(wb + strlen(wb), sizeof(wb) - strlen(wb), "%s%lld", i ? "," : "", grp_wb[i]);
	}
	rc = run(cmd_compare, "compare", wa, wb, NULL);
	diag("compare %s %s:\n%s", wa, wb, sb_str(&out_s));
	const char *went = strstr(sb_str(&out_s), "\nWHERE THE TIME WENT (");
	const char *first = went ? strchr(strchr(went + 1, '\n') + 1, '\n') : NULL; /* skip the header */
	ok(rc == 1 && has(&out_s, "VERDICT: SLOWER (B regressed) - busy SchedulerManager.select_destinations") &&
		   first && strstr(first, "_gb_extra_work)  (only B runs it)") &&
		   strstr(first, "_gb_extra_work") < strchr(first + 1, '\n'),
	   "compare: added work under noisy waits: exit 1, the busy time in the verdict line, the "
	   "added function first in WHERE THE TIME WENT, marked 'only B runs it'");
	rc = run(cmd_compare, "compare", la, lb, "--min-effect", "40", NULL);
	ok(rc == 5 && has(&out_s, "is real but may be smaller or larger than the threshold"),
	   "compare --min-effect 40: a real step estimated below 40%% whose interval reaches past "
	   "it: inconclusive, exit 5 (got %d)", rc);
	rc = run(cmd_compare, "compare", la, lb, "--min-effect", "70", NULL);
	ok(rc == 0 && has(&out_s, "smaller than the 70% threshold") && has(&out_s, "NO CHANGE"),
	   "compare --min-effect 70: the same step, its whole interval below 70%%: no change that "
	   "matters, exit 0 (got %d)", rc);

	/* machine outputs */
	rc = run(cmd_compare, "compare", a, b, "--json", NULL);
	ok(python_check("import json,sys; d=json.load(open(sys.argv[1])); "
			"f=d['functions'][0]; assert f['name']=='func_123' and f['verdict']=='slower', f; "
			"assert d['mode']=='within-run' and d['metrics'][0]['is_target']; "
			"assert f['callers'] and 'mid_3' in f['callers'][0]", &out_s) == 0,
	   "compare --json: python3 json parses it; func_123 slower with its caller");
	rc = run(cmd_compare, "compare", la, lb, "--tap", NULL);
	ok(rc == 1 && python_check("import sys,re\n"
				   "lines=open(sys.argv[1]).read().splitlines()\n"
				   "assert lines[0]=='TAP version 13'\n"
				   "m=re.match(r'1\\.\\.(\\d+)$', lines[1]); n=int(m.group(1))\n"
				   "tests=[l for l in lines if re.match(r'(not )?ok \\d+ - ', l)]\n"
				   "assert len(tests)==n and n>=4, (n, tests)\n"
				   "assert tests[0].startswith('not ok 1 - call ')\n"
				   "assert all(l.startswith(('ok','not ok','#','TAP','1..')) for l in lines)\n",
				   &out_s) == 0,
	   "compare --tap: a TAP 13 plan, one test per metric, the regression is 'not ok 1'");
	ok(prove_file(&out_s) != 0, "compare --tap: prove fails the regression's TAP");
	rc = run(cmd_compare, "compare", a, c, "--tap", NULL);
	ok(rc == 0 && prove_file(&out_s) == 0, "compare --tap: prove passes the null compare's TAP");
	rc = run(cmd_compare, "compare", la, lb, "--junit", NULL);
	ok(rc == 1 && python_check("import sys,xml.etree.ElementTree as E\n"
				   "r=E.parse(sys.argv[1]).getroot()\n"
				   "assert r.tag=='testsuite' and int(r.get('failures'))>=1\n"
				   "cs=r.findall('testcase'); assert len(cs)==int(r.get('tests'))\n"
				   "assert cs[0].find('failure') is not None\n", &out_s) == 0,
	   "compare --junit: xml.etree parses it; the profiled call's testcase has a failure");
	rc = run(cmd_compare, "compare", a, c, "--junit", NULL);
	ok(rc == 0 && python_check("import sys,xml.etree.ElementTree as E\n"
				   "r=E.parse(sys.argv[1]).getroot(); assert r.get('failures')=='0'\n",
				   &out_s) == 0,
	   "compare --junit of null runs: no failure");

	/* inconclusive in the machine outputs: null groups of 6 vs 6 under 10% noise */
	rc = run(cmd_compare, "compare", la, ln, "--tap", NULL);
	ok(rc == 5 && has(&out_s, "# verdict: inconclusive") &&
		   python_check("import sys,re\n"
				"t=[l for l in open(sys.argv[1]).read().splitlines() if re.match(r'(not )?ok \\d', l)]\n"
				"assert t[0].startswith('ok 1 - call ') and t[0].endswith('# SKIP inconclusive'), t[0]\n",
				&out_s) == 0 && prove_file(&out_s) == 0,
	   "compare --tap, inconclusive: exit 5, '# verdict: inconclusive', the call's test is "
	   "'ok ... # SKIP inconclusive' (neither pass nor failure), prove accepts it");
	rc = run(cmd_compare, "compare", la, ln, "--junit", NULL);
	ok(rc == 5 && python_check("import sys,xml.etree.ElementTree as E\n"
				   "r=E.parse(sys.argv[1]).getroot()\n"
				   "assert r.get('failures')=='0' and int(r.get('skipped'))>=1, r.attrib\n"
				   "c=r.findall('testcase')[0]; s=c.find('skipped')\n"
				   "assert s is not None and s.get('message').startswith('inconclusive:'), c\n",
				   &out_s) == 0,
	   "compare --junit, inconclusive: exit 5, the call's testcase is <skipped> with the reason");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	make_store();
	test_planted_slowdown();
	test_busy();
	test_cpu();
	test_command();
	if (getenv("T_COMPARE_KEEP")) {
		diag("kept %s", dir);
		return done_testing();
	}
	const char *names[] = { "results.db", "results.db-wal", "results.db-shm", "stdout", "stderr", "input" };
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

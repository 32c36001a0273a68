/* bench_compare.c - calibration of compare's verdicts at the store level (`make bench`):
 * false alarms and detection of compare_judge on synthetic stored runs, within-run vs one
 * sample per run under run-to-run noise, the function family (planted slowdown among 500
 * functions), and the time of a compare of two real nova runs.
 * Usage: bench_compare [TRIALS] (default 100). Prints a table; writes only a temp store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "judge/compare.h"
#include "lib/store_fixture.h"
#include "lib/verdict_fixture.h"

static struct store *db;
static struct stats_rng noise;
static uint64_t seed_next = 1;

static long long make_run(int n_funcs, int n_prof, double level, double run_cv, int slow_fn, double slow)
{
	struct synth s = SYNTH_DEFAULT;
	s.n_funcs = n_funcs;
	s.n_profiles = n_prof;
	s.seed = seed_next++;
	s.run_factor = level * exp(run_cv * stats_rng_normal(&noise));
	s.slow_fn = slow_fn;
	s.slow_factor = slow;
	return synth_store(db, &s);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Share of trials where the profiled call is judged SLOWER. group = runs per side (1:
 * within-run samples). */
static double target_rate(int trials, int group, double run_cv, double change)
{
	int hits = 0;
	long long a[16], b[16];
	struct compare_opts o = COMPARE_OPTS_DEFAULT;
	o.with_callers = 0;
	for (int t = 0; t < trials; t++) {
		for (int i = 0; i < group; i++) {
			a[i] = make_run(40, 10, 1.0, run_cv, -1, 1);
			b[i] = make_run(40, 10, 1.0 + change, run_cv, -1, 1);
		}
		struct compare_verdict v;
		struct gb_err err = { 0, "" };
		if (compare_judge(db, a, (size_t)group, b, (size_t)group, &o, &v, &err)) {
			fprintf(stderr, "bench: %s\n", err.msg);
			exit(1);
		}
		hits += v.n_metrics && v.metrics[0].v.kind == VERDICT_SLOWER;
		compare_verdict_release(&v);
	}
	return (double)hits / trials;
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 100;
	char dir[] = "/tmp/bench_compare.XXXXXX", path[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/results.db", dir);
	struct gb_err err = { 0, "" };
	if (store_open(path, 1, &db, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	stats_rng_seed(&noise, 2026);
	printf("compare calibration, %d trials per row (synthetic runs: 10 profiled calls each,\n"
	       "within-run noise 10%%, run-to-run noise lognormal with the CV given)\n\n", trials);
	printf("%-44s %8s %8s %8s %8s\n", "P(profiled call judged SLOWER)", "CV 0%", "CV 5%", "CV 10%", "CV 20%");
	const double cvs[] = { 0, 0.05, 0.10, 0.20 };
	const struct {
		const char *name;
		int group;
		double change;
	} rows[] = {
		{ "null, 1 vs 1 run (within-run samples)", 1, 0 },
		{ "null, 6 vs 6 runs (one sample per run)", 6, 0 },
		{ "+10%, 6 vs 6 runs", 6, 0.10 },
		{ "+20%, 6 vs 6 runs", 6, 0.20 },
		{ "+30%, 6 vs 6 runs", 6, 0.30 },
		{ "null, 8 vs 8 runs (ab's default)", 8, 0 },
		{ "+10%, 8 vs 8 runs", 8, 0.10 },
		{ "+20%, 8 vs 8 runs", 8, 0.20 },
		{ "+30%, 8 vs 8 runs", 8, 0.30 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		printf("%-44s", rows[r].name);
		for (size_t c = 0; c < 4; c++) {
			int n = rows[r].group == 1 ? trials : trials / 2;
			printf(" %7.1f%%", 100 * target_rate(n, rows[r].group, cvs[c], rows[r].change));
			fflush(stdout);
		}
		printf("\n");
	}

	/* the function family: 500 functions, 20 profiled calls per run, two single runs */
	int found_first = 0, any_null = 0, extra = 0;
	struct compare_opts o = COMPARE_OPTS_DEFAULT;
	o.with_callers = 0;
	int ft = trials / 4 > 10 ? trials / 4 : 10;
	for (int t = 0; t < ft; t++) {
		long long a = make_run(500, 20, 1.0, 0, -1, 1);
		long long b = make_run(500, 20, 1.0, 0, 123, 1.3);
		long long c = make_run(500, 20, 1.0, 0, -1, 1);
		struct compare_verdict v;
		if (compare_judge(db, &a, 1, &b, 1, &o, &v, &err))
			return 1;
		found_first += v.n_funcs && !strcmp(v.funcs[0].func, "func_123");
		extra += (int)(v.n_funcs_slower + v.n_funcs_faster) - (v.n_funcs && !strcmp(v.funcs[0].func, "func_123"));
		compare_verdict_release(&v);
		if (compare_judge(db, &a, 1, &c, 1, &o, &v, &err))
			return 1;
		any_null += v.n_funcs_slower + v.n_funcs_faster > 0;
		compare_verdict_release(&v);
	}
	printf("\nfunction family (500 functions, 20 calls per run, within-run, %d trials):\n", ft);
	printf("  planted +30%% in func_123 flagged first:        %5.1f%%\n", 100.0 * found_first / ft);
	printf("  other functions flagged along with it:         %5.2f per compare\n", (double)extra / ft);
	printf("  null pair with any function flagged:           %5.1f%%\n", 100.0 * any_null / ft);

	/* time of a compare of two real nova runs (2 x 2 profiles, 2,107 functions) */
	struct run_record *ra = fixture_run("select_destinations", NULL, 5, 1.0);
	struct run_record *rb = fixture_run("select_destinations", NULL, 5, 1.1);
	long long ia, ib;
	store_save_run(db, ra, &ia, &err);
	store_save_run(db, rb, &ib, &err);
	run_record_free(ra);
	run_record_free(rb);
	for (int with_callers = 0; with_callers < 2; with_callers++) {
		struct compare_opts oc = COMPARE_OPTS_DEFAULT;
		oc.with_callers = with_callers;
		double t0 = now();
		struct compare_verdict v;
		if (compare_judge(db, &ia, 1, &ib, 1, &oc, &v, &err))
			return 1;
		double t1 = now();
		printf("\ncompare of two real-dump runs (10 profiles each, %zu functions tested)%s: %.1f ms",
		       v.n_funcs_tested, with_callers ? " with callers" : "", (t1 - t0) * 1e3);
		compare_verdict_release(&v);
	}
	printf("\n");
	store_close(db);
	char p[400];
	const char *names[] = { "results.db", "results.db-wal", "results.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

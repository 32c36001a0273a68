/* t_changepoint.c - E-Divisive on series whose truth is known: a planted step is found
 * (index within +-1) in a noisy series, a flat series rarely shows any change point,
 * and the nightly judgement tells a regression step from one noisy point. */
#include <math.h>
#include <string.h>

#include "judge/changepoint.h"
#include "judge/stats.h"
#include "lib/tap.h"

static double margin(double p, int n)
{
	return 3.0 * sqrt(p * (1 - p) / n);
}

/* n points around 1.0 with relative noise cv; from index at on, (1 + step) times. */
static void series(double *x, size_t n, size_t at, double step, double cv, uint64_t seed)
{
	struct stats_rng r;
	stats_rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = (i >= at ? 1 + step : 1) * (1 + cv * stats_rng_normal(&r));
}

static int has_near(const size_t *cps, size_t n_cps, size_t at)
{
	for (size_t j = 0; j < n_cps; j++)
		if (cps[j] + 1 >= at && cps[j] <= at + 1)
			return 1;
	return 0;
}

static void test_detect(void)
{
	struct cp_opts o = CP_OPTS_DEFAULT;
	struct gb_err err = { 0 };
	size_t cps[8], n_cps = 0;
	double x[64];

	/* an exact step, no noise */
	for (size_t i = 0; i < 20; i++)
		x[i] = i < 12 ? 1.0 : 2.0;
	int rc = changepoint_detect(x, 20, &o, cps, &n_cps, &err);
	ok(rc == 0 && n_cps == 1 && cps[0] == 12,
	   "detect: a clean step at 12 is found exactly (%zu found)", n_cps);

	/* two steps */
	series(x, 45, 15, 0, 0.02, 3);
	for (size_t i = 15; i < 30; i++)
		x[i] *= 1.3;
	ok(changepoint_detect(x, 45, &o, cps, &n_cps, &err) == 0 && n_cps == 2 &&
	   has_near(cps, n_cps, 15) && has_near(cps, n_cps, 30),
	   "detect: up at 15 and back down at 30 are both found");

	int seeds = 60, near = 0, any_flat = 0;
	for (int s = 0; s < seeds; s++) {
		o.seed = (uint64_t)s;
		series(x, 40, 26, 0.10, 0.03, 100 + (uint64_t)s);
		changepoint_detect(x, 40, &o, cps, &n_cps, NULL);
		near += has_near(cps, n_cps, 26);
		series(x, 40, 40, 0, 0.03, 900 + (uint64_t)s);
		changepoint_detect(x, 40, &o, cps, &n_cps, NULL);
		any_flat += n_cps > 0;
	}
	ok(near >= 0.9 * seeds, "detect: 10%% step in 3%% noise found within +-1 in %d of %d series",
	   near, seeds);
	ok(any_flat <= seeds * (0.05 + margin(0.05, seeds)),
	   "detect: flat series with 3%% noise show a change point in %d of %d (level 5%%)", any_flat,
	   seeds);

	/* determinism and limits */
	size_t c1[8], c2[8], n1, n2;
	series(x, 40, 20, 0.04, 0.03, 5);
	o.seed = 9;
	changepoint_detect(x, 40, &o, c1, &n1, NULL);
	changepoint_detect(x, 40, &o, c2, &n2, NULL);
	ok(n1 == n2 && !memcmp(c1, c2, n1 * sizeof(size_t)), "detect: same seed, same answer");
	for (size_t i = 0; i < 60; i++)
		x[i] = (double)(i / 6); /* a staircase: 9 steps */
	o.max_cps = 3;
	ok(changepoint_detect(x, 60, &o, cps, &n_cps, &err) == 0 && n_cps == 3,
	   "detect: max_cps 3 stops a 9-step staircase at 3");
	o = (struct cp_opts)CP_OPTS_DEFAULT;
	ok(changepoint_detect(x, 5, &o, cps, &n_cps, &err) == 0 && n_cps == 0,
	   "detect: 5 points cannot hold two segments of 3");
	ok(changepoint_detect(x, 60, NULL, cps, &n_cps, &err) == 0 && n_cps >= 3,
	   "detect: NULL options mean the defaults");
	for (size_t i = 0; i < 20; i++)
		x[i] = i < 10 ? 1.0 : 5.0;
	o.min_size = 12;
	ok(changepoint_detect(x, 20, &o, cps, &n_cps, &err) == 0 && n_cps == 0,
	   "detect: min_size 12 forbids splitting 20 points");

	o = (struct cp_opts)CP_OPTS_DEFAULT;
	o.min_size = 1;
	ok(changepoint_detect(x, 20, &o, cps, &n_cps, &err) == -1 && strstr(err.msg, "min_size 1"),
	   "detect: min_size 1 rejected: %s", err.msg);
	o = (struct cp_opts)CP_OPTS_DEFAULT;
	o.n_perm = 5;
	ok(changepoint_detect(x, 20, &o, cps, &n_cps, &err) == -1 && strstr(err.msg, "permutations"),
	   "detect: 5 permutations rejected");
	o = (struct cp_opts)CP_OPTS_DEFAULT;
	x[7] = INFINITY;
	ok(changepoint_detect(x, 20, &o, cps, &n_cps, &err) == -1 && strstr(err.msg, "point 7"),
	   "detect: a non-finite point is named: %s", err.msg);
}

static void test_judge(void)
{
	struct cp_opts o = CP_OPTS_DEFAULT;
	struct cp_judgement j;
	struct gb_err err = { 0 };
	double h[64];
	int rc;

	series(h, 30, 30, 0, 0.03, 11);
	rc = changepoint_judge(h, 30, 1.01, &o, 0.05, &j, &err);
	ok(rc == 0 && j.kind == CP_STEADY, "judge: an ordinary value is steady: %s", j.reason);
	rc = changepoint_judge(h, 30, 1.5, &o, 0.05, &j, &err);
	ok(rc == 0 && j.kind == CP_NOISY_POINT && strstr(j.reason, "one high point"),
	   "judge: one high value is a noisy point, not a step: %s", j.reason);

	series(h, 30, 27, 0.20, 0.03, 12); /* the last 3 runs stepped up 20% */
	rc = changepoint_judge(h, 30, 1.2, &o, 0.05, &j, &err);
	ok(rc == 0 && j.kind == CP_REGRESSION && j.cp == 27 && j.runs_in_step == 4 && j.is_new == 0 &&
	   fabs(j.rel_change - 0.2) < 0.05,
	   "judge: a step 3 runs ago plus tonight: regression at 27 (%s)", j.reason);
	/* night by night over a step at run 25: reported new exactly once, then known */
	double night[40];
	series(night, 40, 25, 0.20, 0.03, 21);
	int first = -1, news = 0, regressed_after = 1;
	for (size_t k = 10; k < 40; k++) {
		rc = changepoint_judge(night, k, night[k], &o, 0.05, &j, &err);
		if (rc == 0 && j.kind == CP_REGRESSION) {
			if (first < 0)
				first = (int)k;
			news += j.is_new;
		} else if (first >= 0) {
			regressed_after = 0;
		}
	}
	ok(first >= 26 && first <= 28 && news == 1 && regressed_after,
	   "judge: a step at run 25 is reported new on night %d (%d new), known afterwards", first,
	   news);
	series(h, 30, 20, -0.20, 0.03, 13);
	rc = changepoint_judge(h, 30, 0.8, &o, 0.05, &j, &err);
	ok(rc == 0 && j.kind == CP_IMPROVEMENT && j.rel_change < -0.15, "judge: a step down: %s",
	   j.reason);

	series(h, 30, 20, 0.03, 0.005, 14); /* a real but 3% step */
	rc = changepoint_judge(h, 30, 1.03, &o, 0.05, &j, &err);
	ok(rc == 0 && j.kind == CP_STEADY && j.cp == 20,
	   "judge: a significant 3%% step under the 5%% threshold is steady (%s)", j.reason);

	rc = changepoint_judge(h, 4, 2.0, &o, 0.05, &j, &err);
	ok(rc == 0 && j.kind == CP_TOO_SHORT, "judge: 5 points are too short: %s", j.reason);
	ok(changepoint_judge(h, 30, NAN, &o, 0.05, &j, &err) == -1 && strstr(err.msg, "new value"),
	   "judge: a NaN new value is an error: %s", err.msg);

	/* rate: one outlier over a flat history is rarely called a regression */
	int seeds = 40, regress = 0;
	for (int s = 0; s < seeds; s++) {
		series(h, 30, 30, 0, 0.03, 300 + (uint64_t)s);
		o.seed = (uint64_t)s;
		changepoint_judge(h, 30, 1.3, &o, 0.05, &j, NULL);
		regress += j.kind == CP_REGRESSION;
	}
	ok(regress <= 2, "judge: a single +30%% outlier after 30 flat runs: regression in %d of %d",
	   regress, seeds);
}

int main(void)
{
	test_detect();
	test_judge();
	return done_testing();
}

/* t_stats.c - the statistics primitives against known values and known truths.
 * Reference numbers come from tests/data/stats_ref.py (scipy 1.10.1 / numpy 1.24.2,
 * Debian 12, plus brute-force enumeration for the exact U distribution and the Moses
 * interval); the coverage checks use synthetic data whose truth is known. */
#include <math.h>
#include <stdlib.h>

#include "judge/stats.h"
#include "lib/tap.h"

static int near(double got, double want, double tol)
{
	if (fabs(got - want) <= tol * (fabs(want) > 1 ? fabs(want) : 1))
		return 1;
	diag("got %.17g, want %.17g", got, want);
	return 0;
}

/* three-sigma binomial margin for a rate over n trials */
static double margin(double p, int n)
{
	return 3.0 * sqrt(p * (1 - p) / n);
}

static void test_rng(void)
{
	struct stats_rng r1, r2;
	stats_rng_seed(&r1, 0);
	ok(r1.s[0] == 0xe220a8397b1dcdafULL, "rng: seeding state word 0 is splitmix64(0)'s first output");
	stats_rng_seed(&r1, 42);
	stats_rng_seed(&r2, 42);
	int same = 1;
	for (int i = 0; i < 1000; i++)
		same &= stats_rng_next(&r1) == stats_rng_next(&r2);
	ok(same, "rng: the same seed gives the same 1000 numbers");
	stats_rng_seed(&r2, 43);
	ok(stats_rng_next(&r1) != stats_rng_next(&r2), "rng: seeds 42 and 43 differ");

	double s = 0, ss = 0, umin = 1, umax = 0;
	int counts[7] = { 0 }, n = 70000;
	for (int i = 0; i < n; i++) {
		double u = stats_rng_uniform(&r1);
		umin = u < umin ? u : umin;
		umax = u > umax ? u : umax;
		counts[stats_rng_below(&r1, 7)]++;
		double z = stats_rng_normal(&r1);
		s += z;
		ss += z * z;
	}
	ok(umin >= 0 && umax < 1, "rng: uniform stays in [0, 1)");
	double chi = 0;
	for (int k = 0; k < 7; k++)
		chi += (counts[k] - n / 7.0) * (counts[k] - n / 7.0) / (n / 7.0);
	ok(chi < 22.5, "rng: below(7) is uniform (chi-square %.1f < 22.5, p ~ 0.001)", chi);
	ok(fabs(s / n) < 0.02 && fabs(ss / n - 1) < 0.03,
	   "rng: normal has mean ~0 and variance ~1 (%.4f, %.4f)", s / n, ss / n);
	double x[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, sum = 0;
	stats_rng_shuffle(&r1, x, 10);
	for (int i = 0; i < 10; i++)
		sum += x[i];
	ok(sum == 45, "rng: shuffle keeps the values");
}

static void test_descriptive(void)
{
	const double q[] = { 3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0 };
	ok(near(stats_quantile(q, 7, 0.1), 1.3, 1e-12), "quantile: type 7 q=0.1 is 1.3 (numpy)");
	ok(near(stats_quantile(q, 7, 0.25), 2.05, 1e-12), "quantile: q=0.25 is 2.05");
	ok(near(stats_quantile(q, 7, 0.9), 6.6, 1e-12), "quantile: q=0.9 is 6.6");
	ok(stats_median(q, 7) == 3.0, "median: odd n is the middle value");
	const double e[] = { 4, 1, 3, 2 };
	ok(stats_median(e, 4) == 2.5, "median: even n averages the middle two");
	ok(near(stats_mean(q, 7), 3.7285714285714286, 1e-14), "mean: matches numpy");
	ok(near(stats_sd(q, 7), 2.698588696407986, 1e-12), "sd: n-1 denominator matches numpy");
	ok(stats_mad(q, 7) == 1.5, "mad: unscaled, matches scipy median_abs_deviation");
	ok(isnan(stats_median(q, 0)) && isnan(stats_sd(q, 1)), "median of nothing, sd of one: NaN");
	ok(q[0] == 3.0 && q[4] == 9.0, "descriptive: the input is not reordered");
	ok(near(stats_norm_quantile(0.975), 1.959963984540054, 1e-12), "normal: ppf(0.975)");
	ok(near(stats_norm_quantile(1e-6), -4.753424308822899, 1e-12), "normal: ppf(1e-6)");
	ok(near(stats_norm_cdf(-1.5), 0.06680720126885807, 1e-12), "normal: cdf(-1.5)");
}

static void test_mwu(void)
{
	struct stats_mwu t;
	const double x[] = { 1.1, 2.3, 0.5, 4.2, 3.3 }, y[] = { 5.1, 6.0, 2.9, 7.7 };
	stats_mann_whitney(x, 5, y, 4, &t);
	ok(t.is_exact && t.u == 2 && near(t.p_value, 0.06349206349206349, 1e-12),
	   "mwu: exact 5 vs 4, U = 2, p = 0.0635 (scipy exact)");
	stats_mann_whitney(y, 4, x, 5, &t);
	ok(t.u == 18 && near(t.p_value, 0.06349206349206349, 1e-12), "mwu: symmetric when swapped (U = 18)");

	const double a[] = { 1, 2, 2, 3, 4, 4, 5 }, b[] = { 3, 4, 5, 5, 6, 7, 7, 8 };
	stats_mann_whitney(a, 7, b, 8, &t);
	ok(!t.is_exact && t.has_ties && t.u == 6.5 && near(t.p_value, 0.014107907274540636, 1e-10),
	   "mwu: ties use the normal approximation, tie and continuity corrected (scipy)");

	const double big_a[] = { 1.0, 1.062, 0.947, 0.837, 0.913, 0.82, 1.012, 1.307, 0.906,
				 0.883, 1.103, 1.074, 1.021, 0.83, 0.994, 1.149, 0.764, 0.913,
				 0.684, 0.773, 0.692, 0.954, 0.776, 1.056, 1.032 };
	const double big_b[] = { 1.065, 0.668, 0.992, 1.095, 1.131, 0.814, 1.004, 0.909, 0.94,
				 1.366, 0.94, 1.098, 1.319, 0.983, 1.081, 1.13, 1.119, 0.865,
				 1.122, 1.45, 0.811, 1.312, 1.132, 0.972, 1.649, 1.287, 0.869,
				 1.122, 1.24, 1.064 };
	stats_mann_whitney(big_a, 25, big_b, 30, &t);
	ok(!t.is_exact && t.u == 213 && near(t.p_value, 0.006333509904375756, 1e-10),
	   "mwu: 25 vs 30 asymptotic, U = 213, p = 0.00633 (scipy)");

	const double same[] = { 2, 2, 2 };
	stats_mann_whitney(same, 3, same, 3, &t);
	ok(t.p_value == 1, "mwu: all values equal gives p = 1");

	ok(near(stats_mwu_cdf(6, 7, 0), 0.0005827505827505828, 1e-13) &&
	   near(stats_mwu_cdf(6, 7, 5), 0.011072261072261072, 1e-13) &&
	   near(stats_mwu_cdf(6, 7, 10), 0.06876456876456877, 1e-13) &&
	   near(stats_mwu_cdf(6, 7, 21), 0.5273892773892774, 1e-13),
	   "mwu: exact null cdf 6 vs 7 matches brute-force enumeration");
	ok(near(stats_mwu_cdf(20, 20, 200), 0.5 + 0.5 * (stats_mwu_cdf(20, 20, 200) - stats_mwu_cdf(20, 20, 199)), 1e-12),
	   "mwu: exact null 20 vs 20 is symmetric about 200");
	ok(near(stats_mwu_min_p(3, 3), 0.1, 1e-15) && near(stats_mwu_min_p(4, 4), 2.0 / 70, 1e-15),
	   "mwu: best reachable p is 0.1 for 3 vs 3, 2/70 for 4 vs 4");
}

static double lognormal(struct stats_rng *r, double cv)
{
	double sigma = sqrt(log(1 + cv * cv));
	return exp(sigma * stats_rng_normal(r) - sigma * sigma / 2);
}

static void test_hodges_lehmann(void)
{
	const double ha[] = { 10.2, 11.5, 9.8, 12.1, 10.9, 11.1 };
	const double hb[] = { 12.0, 13.4, 11.8, 12.9, 14.2, 12.5, 13.1 };
	struct stats_shift s;
	stats_hodges_lehmann(ha, 6, hb, 7, 0.95, &s);
	ok(near(s.shift, 1.95, 1e-12), "hl: shift is the median of the 42 differences (1.95)");
	ok(near(s.lo, 0.8, 1e-12) && near(s.hi, 3.1, 1e-12) && near(s.conf, 0.965034965034965, 1e-12),
	   "hl: exact Moses 95%% interval [0.8, 3.1], coverage 0.965 (brute force)");
	ok(near(s.rel, 1.95 / 11.0, 1e-12) && near(s.rel_lo, 0.8 / 11.0, 1e-12),
	   "hl: relative view divides by the baseline median 11.0");

	const double t2[] = { 1, 2 }, t3[] = { 3, 4, 5 };
	stats_hodges_lehmann(t2, 2, t3, 3, 0.95, &s);
	ok(isinf(s.lo) && isinf(s.hi), "hl: 2 vs 3 samples cannot give a 95%% interval: unbounded");

	/* selection vs a full sort, random sizes 1..14 with many ties */
	struct stats_rng g;
	stats_rng_seed(&g, 31337);
	int agree = 1;
	for (int t = 0; t < 300 && agree; t++) {
		size_t na = 1 + stats_rng_below(&g, 14), nb = 1 + stats_rng_below(&g, 14), mn = na * nb;
		double xa[14], xb[14], d[196];
		for (size_t i = 0; i < na; i++)
			xa[i] = (double)stats_rng_below(&g, 6);
		for (size_t j = 0; j < nb; j++)
			xb[j] = (double)stats_rng_below(&g, 8);
		for (size_t i = 0; i < na; i++)
			for (size_t j = 0; j < nb; j++)
				d[i * nb + j] = xb[j] - xa[i];
		stats_sort(d, mn);
		stats_hodges_lehmann(xa, na, xb, nb, 0.9, &s);
		agree = s.shift == stats_quantile_sorted(d, mn, 0.5);
		if (agree && !isinf(s.lo)) {
			int found = 0;
			for (size_t k = 1; k <= (mn + 1) / 2 && !found; k++)
				found = d[k - 1] == s.lo && d[mn - k] == s.hi;
			agree = found;
		}
		if (!agree)
			diag("trial %d: %zu vs %zu", t, na, nb);
	}
	ok(agree, "hl: selection gives the sorted median and symmetric order statistics (300 tied samples)");

	/* coverage over seeds, exact (n = 8) and asymptotic (n = 30) */
	struct stats_rng r;
	stats_rng_seed(&r, 2024);
	int trials = 400;
	for (int pass = 0; pass < 2; pass++) {
		size_t n = pass ? 30 : 8;
		int covered = 0;
		double a[30], b[30];
		for (int t = 0; t < trials; t++) {
			for (size_t i = 0; i < n; i++) {
				a[i] = stats_rng_normal(&r);
				b[i] = stats_rng_normal(&r) + 0.7;
			}
			stats_hodges_lehmann(a, n, b, n, 0.95, &s);
			covered += s.lo <= 0.7 && 0.7 <= s.hi;
		}
		double rate = (double)covered / trials;
		ok(rate >= 0.95 - margin(0.05, trials),
		   "hl: the 95%% interval covers a true shift of 0.7 in %.1f%% of %d trials (n = %zu)",
		   100 * rate, trials, n);
	}
}

static void test_bootstrap(void)
{
	const double a[] = { 1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 1.0, 0.98 };
	const double b[] = { 1.3, 1.2, 1.25, 1.4, 1.1, 1.35, 1.28, 1.3 };
	double lo1, hi1, lo2, hi2;
	ok(stats_bootstrap_ratio(a, 8, b, 8, 1000, 0.95, 7, &lo1, &hi1) == 0 &&
	   stats_bootstrap_ratio(a, 8, b, 8, 1000, 0.95, 7, &lo2, &hi2) == 0 && lo1 == lo2 && hi1 == hi2,
	   "bootstrap: the same seed gives the same interval");
	ok(lo1 > 1.0 && hi1 < 1.6 && lo1 < hi1, "bootstrap: ratio interval [%.3f, %.3f] is above 1", lo1, hi1);
	const double z[] = { 0, 0, 0 };
	ok(stats_bootstrap_ratio(z, 3, b, 3, 100, 0.95, 1, &lo1, &hi1) == -1 && isnan(lo1),
	   "bootstrap: a zero baseline median is refused");

	struct stats_rng r;
	stats_rng_seed(&r, 99);
	int trials = 150, covered = 0;
	for (int t = 0; t < trials; t++) {
		double xa[30], xb[30];
		for (int i = 0; i < 30; i++) {
			xa[i] = lognormal(&r, 0.2);
			xb[i] = 1.2 * lognormal(&r, 0.2);
		}
		if (stats_bootstrap_ratio(xa, 30, xb, 30, 400, 0.95, (uint64_t)t, &lo1, &hi1) == 0)
			covered += lo1 <= 1.2 && 1.2 <= hi1;
	}
	/* percentile bootstraps of medians run slightly liberal; allow 5 points */
	ok(covered >= (int)(0.90 * trials - 3 * sqrt(trials * 0.1 * 0.9)),
	   "bootstrap: 95%% interval covers the true ratio 1.2 in %d of %d trials", covered, trials);
}

static void test_bh(void)
{
	double p[] = { 0.01, 0.04, 0.03, 0.005, 0.5 }, adj[5];
	const double want[] = { 0.025, 0.05, 0.05, 0.025, 0.5 }; /* R p.adjust(, "BH") by hand */
	stats_bh_adjust(p, 5, adj);
	int good = 1;
	for (int i = 0; i < 5; i++)
		good &= near(adj[i], want[i], 1e-12);
	ok(good, "bh: adjusted p-values match the step-up by hand, in input order");
	stats_bh_adjust(p, 5, p);
	ok(near(p[1], 0.05, 1e-12), "bh: in place works");
	double q[] = { 0.9, NAN, 0.001 };
	stats_bh_adjust(q, 3, q);
	ok(q[1] == 1 && near(q[2], 0.003, 1e-12), "bh: NaN counts as 1");

	/* 2,000 uniform null p-values: BH at 0.05 rarely flags anything at all */
	struct stats_rng r;
	stats_rng_seed(&r, 5);
	int fams = 100, any = 0;
	double *u = malloc(2000 * sizeof(*u));
	for (int f = 0; f < fams; f++) {
		for (int i = 0; i < 2000; i++)
			u[i] = stats_rng_uniform(&r);
		stats_bh_adjust(u, 2000, u);
		int hit = 0;
		for (int i = 0; i < 2000; i++)
			hit |= u[i] < 0.05;
		any += hit;
	}
	free(u);
	ok(any <= fams * (0.05 + margin(0.05, fams)),
	   "bh: %d of %d null families of 2000 had any discovery (nominal 5%%)", any, fams);
}

int main(void)
{
	test_rng();
	test_descriptive();
	test_mwu();
	test_hodges_lehmann();
	test_bootstrap();
	test_bh();
	return done_testing();
}

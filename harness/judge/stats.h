/*
 * stats.h - the statistics primitives behind greenbench's verdicts: a seeded PRNG,
 * order statistics, the Mann-Whitney U test, the Hodges-Lehmann shift with its Moses
 * interval, a bootstrap interval of a ratio of medians, Benjamini-Hochberg.
 * Pure computation on caller-owned arrays: libm only, never prints, never touches the store.
 */
#ifndef GB_STATS_H
#define GB_STATS_H

#include <stddef.h>
#include <stdint.h>

/* ---- PRNG: xoshiro256**, seeded through splitmix64; same seed, same stream ---- */

struct stats_rng {
	uint64_t s[4]; /* xoshiro256** state, never all zero */
};

void stats_rng_seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *r);
double stats_rng_uniform(struct stats_rng *r);          /* [0, 1), 53 random bits */
size_t stats_rng_below(struct stats_rng *r, size_t n);  /* uniform in [0, n), n > 0, unbiased */
double stats_rng_normal(struct stats_rng *r);           /* standard normal (polar method) */
void stats_rng_shuffle(struct stats_rng *r, double *x, size_t n); /* Fisher-Yates */

/* ---- descriptive statistics (inputs are not modified; n == 0 gives NaN) ---- */

double stats_mean(const double *x, size_t n);
double stats_sd(const double *x, size_t n);       /* sample sd (n - 1); NaN when n < 2 */
double stats_median(const double *x, size_t n);
/* Quantile of type 7 (R's default, numpy's "linear"): h = (n - 1) q, interpolate. */
double stats_quantile(const double *x, size_t n, double q);
double stats_quantile_sorted(const double *sorted, size_t n, double q);
/* Median absolute deviation from the median, unscaled (multiply by 1.4826 for a
 * normal-consistent estimate of sigma). */
double stats_mad(const double *x, size_t n);
void stats_sort(double *x, size_t n);             /* ascending, in place */

/* Standard normal distribution function and its upper-tail quantile helpers. */
double stats_norm_cdf(double z);
double stats_norm_quantile(double p);             /* inverse of stats_norm_cdf, 0 < p < 1 */

/* ---- Mann-Whitney U ---- */

struct stats_mwu {
	double u;        /* U of sample a: #(a_i > b_j) + 0.5 #(a_i == b_j) */
	double p_value;  /* two-sided */
	double z;        /* normal score used (0 for the exact method) */
	int is_exact;    /* 1: exact null distribution (no ties, both sizes <= 20) */
	int has_ties;    /* any equal values across the pooled sample */
};

/* Two-sided Mann-Whitney U test of a against b. Exact distribution when there are
 * no ties and n_a, n_b <= STATS_MWU_EXACT_MAX; otherwise the normal approximation
 * with tie correction and continuity correction. n_a, n_b >= 1; values finite. */
#define STATS_MWU_EXACT_MAX 20
void stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b,
			struct stats_mwu *out);

/* P(U <= u) under the null for sample sizes m, n without ties (exact; m + n <= 50). */
double stats_mwu_cdf(size_t m, size_t n, double u);

/* The smallest two-sided p-value any m-vs-n comparison can reach (total separation,
 * no ties): 2 / C(m + n, m), capped at 1. */
double stats_mwu_min_p(size_t m, size_t n);

/* ---- Hodges-Lehmann shift of b relative to a, with the Moses interval ---- */

struct stats_shift {
	double shift;    /* median of all b_j - a_i */
	double lo, hi;   /* distribution-free interval for the shift; -inf/+inf when the
	                  * sizes are too small to reach the requested confidence */
	double conf;     /* the interval's actual coverage (>= requested when exact) */
	double median_a; /* baseline median, for the relative view */
	double rel, rel_lo, rel_hi; /* shift, lo, hi divided by |median_a| (NaN if it is 0) */
};

/* Moses interval from the U distribution: [D(k), D(mn - k + 1)] of the sorted
 * differences, k the largest integer with P(U <= k - 1) <= (1 - conf) / 2 (exact
 * for sizes <= 20 without ties, normal approximation otherwise). */
void stats_hodges_lehmann(const double *a, size_t n_a, const double *b, size_t n_b,
			  double conf, struct stats_shift *out);

/* ---- bootstrap interval of median(b) / median(a) ---- */

/* Percentile interval from n_boot resamples (each side resampled on its own) with a
 * PRNG seeded by seed. Returns 0, or -1 when a resampled baseline median is 0. */
int stats_bootstrap_ratio(const double *a, size_t n_a, const double *b, size_t n_b,
			  unsigned n_boot, double conf, uint64_t seed, double *lo, double *hi);

/* ---- multiple comparisons ---- */

/* Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1), in input
 * order. p and adj may be the same array. NaN p-values are treated as 1. */
void stats_bh_adjust(const double *p, size_t n, double *adj);

#endif

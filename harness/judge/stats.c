/*
 * stats.c - statistics primitives (see stats.h): PRNG, order statistics, Mann-Whitney U,
 * Hodges-Lehmann with the Moses interval, bootstrap of a ratio of medians, BH.
 * Written from the textbook definitions (Hollander & Wolfe; Benjamini & Hochberg 1995);
 * libm only. Never prints, never exits, never keeps state between calls.
 */
#include "judge/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/gb.h"

/* ---- PRNG ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void stats_rng_seed(struct stats_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1; /* cannot happen with splitmix64, but the all-zero state is fatal */
}

uint64_t stats_rng_next(struct stats_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return result;
}

double stats_rng_uniform(struct stats_rng *r)
{
	return (double)(stats_rng_next(r) >> 11) * 0x1.0p-53;
}

size_t stats_rng_below(struct stats_rng *r, size_t n)
{
	uint64_t bound = (uint64_t)n;
	uint64_t threshold = (0 - bound) % bound; /* 2^64 mod n: reject the short last block */
	for (;;) {
		uint64_t x = stats_rng_next(r);
		if (x >= threshold)
			return (size_t)(x % bound);
	}
}

double stats_rng_normal(struct stats_rng *r)
{
	double u, v, s;
	do {
		u = 2.0 * stats_rng_uniform(r) - 1.0;
		v = 2.0 * stats_rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

void stats_rng_shuffle(struct stats_rng *r, double *x, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = stats_rng_below(r, i);
		double t = x[i - 1];
		x[i - 1] = x[j];
		x[j] = t;
	}
}

/* ---- descriptive statistics ---- */

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

void stats_sort(double *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof(*x), cmp_double);
}

static double *sorted_copy(const double *x, size_t n)
{
	double *c = gb_malloc(n * sizeof(*c));
	memcpy(c, x, n * sizeof(*c));
	stats_sort(c, n);
	return c;
}

double stats_mean(const double *x, size_t n)
{
	if (!n)
		return NAN;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	return s / (double)n;
}

double stats_sd(const double *x, size_t n)
{
	if (n < 2)
		return NAN;
	double m = stats_mean(x, n), ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return sqrt(ss / (double)(n - 1));
}

double stats_quantile_sorted(const double *s, size_t n, double q)
{
	if (!n || !(q >= 0 && q <= 1))
		return NAN;
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return s[n - 1];
	return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

double stats_quantile(const double *x, size_t n, double q)
{
	if (!n)
		return NAN;
	double *c = sorted_copy(x, n);
	double v = stats_quantile_sorted(c, n, q);
	free(c);
	return v;
}

double stats_median(const double *x, size_t n)
{
	return stats_quantile(x, n, 0.5);
}

double stats_mad(const double *x, size_t n)
{
	if (!n)
		return NAN;
	double m = stats_median(x, n);
	double *d = gb_malloc(n * sizeof(*d));
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(x[i] - m);
	double v = stats_median(d, n);
	free(d);
	return v;
}

double stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/* Acklam's rational approximation, polished by one Halley step on erfc. */
double stats_norm_quantile(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
				    -2.759285104469687e+02, 1.383577518672690e+02,
				    -3.066479806614716e+01, 2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
				    -1.556989798598866e+02, 6.680131188771972e+01,
				    -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
				    -2.400758277161838e+00, -2.549732539343734e+00,
				    4.374664141464968e+00, 2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
				    2.445134137142996e+00, 3.754408661907416e+00 };
	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	double x, q, r;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else if (p <= 1 - 0.02425) {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	} else {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	double e = stats_norm_cdf(x) - p;
	double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

/* ---- Mann-Whitney U ---- */

/* Null counts of U for sizes m, n without ties: the coefficients of the Gaussian
 * binomial [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), built one
 * factor at a time (multiply, then divide exactly). Returns c[0..m*n] (caller frees)
 * and the total C(m+n, m). The counts are integers below 2^53 while m + n <= 50, so
 * doubles hold them exactly. */
static double *mwu_count_table(size_t m, size_t n, double *total)
{
	/* room for the product's degree before each division: i*n + i <= m*n + m */
	double *c = gb_calloc(m * n + m + 2, sizeof(*c));
	size_t deg = 0;
	c[0] = 1;
	*total = 1;
	for (size_t i = 1; i <= m; i++) {
		size_t up = n + i, nd = deg + up;
		for (size_t k = nd; k >= up; k--) /* times (1 - q^up) */
			c[k] -= c[k - up];
		for (size_t k = i; k <= nd; k++) /* divided by (1 - q^i): exact */
			c[k] += c[k - i];
		deg += n;
		*total = *total * (double)(n + i) / (double)i;
	}
	return c;
}

double stats_mwu_cdf(size_t m, size_t n, double u)
{
	if (u < 0)
		return 0;
	if (u >= (double)(m * n))
		return 1;
	double total;
	double *c = mwu_count_table(m, n, &total);
	size_t top = (size_t)floor(u);
	double s = 0;
	for (size_t k = 0; k <= top; k++)
		s += c[k];
	free(c);
	return s / total;
}

double stats_mwu_min_p(size_t m, size_t n)
{
	double total = 1;
	for (size_t i = 1; i <= m && total < 1e30; i++) /* beyond 1e30: p is 0 for us */
		total = total * (double)(n + i) / (double)i;
	double p = 2.0 / total;
	return p > 1 ? 1 : p;
}

struct tagged {
	double v;
	int is_a;
};

static int cmp_tagged(const void *pa, const void *pb)
{
	const struct tagged *a = pa, *b = pb;
	return (a->v > b->v) - (a->v < b->v);
}

/* Rank sum of a in the pooled sample (midranks) and the tie term sum(t^3 - t). */
static void rank_sum(const double *a, size_t n_a, const double *b, size_t n_b, double *r_a,
		     double *ties)
{
	size_t n = n_a + n_b;
	struct tagged *t = gb_malloc(n * sizeof(*t));
	for (size_t i = 0; i < n_a; i++)
		t[i] = (struct tagged){ a[i], 1 };
	for (size_t j = 0; j < n_b; j++)
		t[n_a + j] = (struct tagged){ b[j], 0 };
	qsort(t, n, sizeof(*t), cmp_tagged);
	double r = 0, tt = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && t[j + 1].v == t[i].v)
			j++;
		double mid = ((double)i + (double)j) / 2.0 + 1.0; /* 1-based midrank */
		double len = (double)(j - i + 1);
		for (size_t k = i; k <= j; k++)
			if (t[k].is_a)
				r += mid;
		tt += len * len * len - len;
		i = j + 1;
	}
	free(t);
	*r_a = r;
	*ties = tt;
}

/* Null variance of U with the tie correction. */
static double u_variance(size_t n_a, size_t n_b, double ties)
{
	double m = (double)n_a, n = (double)n_b, big = m + n;
	return m * n / 12.0 * ((big + 1) - ties / (big * (big - 1)));
}

void stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b,
			struct stats_mwu *out)
{
	double r_a, ties;
	memset(out, 0, sizeof(*out));
	rank_sum(a, n_a, b, n_b, &r_a, &ties);
	out->u = r_a - (double)n_a * (double)(n_a + 1) / 2.0;
	out->has_ties = ties > 0;
	if (!out->has_ties && n_a <= STATS_MWU_EXACT_MAX && n_b <= STATS_MWU_EXACT_MAX) {
		double lower = stats_mwu_cdf(n_a, n_b, out->u);
		double upper = 1.0 - stats_mwu_cdf(n_a, n_b, out->u - 1);
		double p = 2.0 * (lower < upper ? lower : upper);
		out->p_value = p > 1 ? 1 : p;
		out->is_exact = 1;
		return;
	}
	double var = u_variance(n_a, n_b, ties);
	if (!(var > 0)) { /* every value equal: no evidence either way */
		out->p_value = 1;
		return;
	}
	double mu = (double)n_a * (double)n_b / 2.0;
	double d = fabs(out->u - mu) - 0.5;
	if (d < 0)
		d = 0;
	double z = d / sqrt(var);
	out->z = out->u < mu ? -z : z;
	double p = erfc(z / M_SQRT2);
	out->p_value = p > 1 ? 1 : p;
}

/* ---- Hodges-Lehmann and the Moses interval ---- */

/* The k-th smallest (0-based) of d[lo..hi) into place (Wirth's selection): afterwards
 * d[k] holds it, everything before it is <= and everything after it is >=. O(n) on
 * average; the interval needs three order statistics, not a full sort. */
static double select_kth(double *d, size_t lo, size_t hi, size_t k)
{
	size_t l = lo, m = hi - 1;
	while (l < m) {
		double x = d[k];
		size_t i = l, j = m;
		do {
			while (d[i] < x)
				i++;
			while (x < d[j])
				j--;
			if (i <= j) {
				double t = d[i];
				d[i] = d[j];
				d[j] = t;
				i++;
				if (j == 0)
					break; /* i > j now; avoid wrapping j below 0 */
				j--;
			}
		} while (i <= j);
		if (j < k)
			l = i;
		if (k < i)
			m = j;
	}
	return d[k];
}

/* The smallest of d[lo..hi). */
static double min_of(const double *d, size_t lo, size_t hi)
{
	double m = d[lo];
	for (size_t i = lo + 1; i < hi; i++)
		m = d[i] < m ? d[i] : m;
	return m;
}

void stats_hodges_lehmann(const double *a, size_t n_a, const double *b, size_t n_b,
			  double conf, struct stats_shift *out)
{
	size_t mn = n_a * n_b;
	if (!mn) {
		*out = (struct stats_shift){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
		return;
	}
	double *d = gb_malloc(mn * sizeof(*d));
	for (size_t i = 0; i < n_a; i++)
		for (size_t j = 0; j < n_b; j++)
			d[i * n_b + j] = b[j] - a[i];
	size_t half = (mn - 1) / 2; /* lower middle, 0-based */
	double mid_lo = select_kth(d, 0, mn, half);
	out->shift = mn % 2 ? mid_lo : (mid_lo + min_of(d, half + 1, mn)) / 2.0;
	out->median_a = stats_median(a, n_a);

	double tail = (1.0 - conf) / 2.0, r_a, ties;
	size_t k = 0; /* 1-based order statistic of the lower bound; 0: unbounded */
	rank_sum(a, n_a, b, n_b, &r_a, &ties);
	if (ties == 0 && n_a <= STATS_MWU_EXACT_MAX && n_b <= STATS_MWU_EXACT_MAX) {
		double total;
		double *c = mwu_count_table(n_a, n_b, &total);
		double cum = 0;
		/* largest k with P(U <= k - 1) <= tail */
		while (k < mn / 2 && (cum + c[k]) / total <= tail)
			cum += c[k++];
		out->conf = 1.0 - 2.0 * cum / total;
		free(c);
	} else {
		double sigma = sqrt(u_variance(n_a, n_b, ties));
		double z = stats_norm_quantile(1.0 - tail);
		double kk = floor((double)mn / 2.0 + 0.5 - z * sigma);
		if (kk >= 1) {
			k = (size_t)kk;
			if (k > (mn + 1) / 2)
				k = (mn + 1) / 2;
		}
		out->conf = k ? 1.0 - 2.0 * stats_norm_cdf(((double)k - 0.5 - (double)mn / 2.0) / sigma)
			      : 1.0;
	}
	if (k) {
		/* k - 1 <= half <= mn - k: each bound lies on its side of the median */
		out->lo = k - 1 == half ? mid_lo : select_kth(d, 0, half, k - 1);
		out->hi = mn - k <= half ? mid_lo : select_kth(d, half + 1, mn, mn - k);
	} else {
		out->lo = -INFINITY;
		out->hi = INFINITY;
	}
	free(d);
	double base = fabs(out->median_a);
	out->rel = base > 0 ? out->shift / base : NAN;
	out->rel_lo = base > 0 ? out->lo / base : NAN;
	out->rel_hi = base > 0 ? out->hi / base : NAN;
}

/* ---- bootstrap ---- */

static double resampled_median(struct stats_rng *r, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[stats_rng_below(r, n)];
	stats_sort(buf, n);
	return stats_quantile_sorted(buf, n, 0.5);
}

int stats_bootstrap_ratio(const double *a, size_t n_a, const double *b, size_t n_b,
			  unsigned n_boot, double conf, uint64_t seed, double *lo, double *hi)
{
	struct stats_rng r;
	stats_rng_seed(&r, seed);
	double *buf = gb_malloc((n_a > n_b ? n_a : n_b) * sizeof(*buf));
	double *ratio = gb_malloc((n_boot ? n_boot : 1) * sizeof(*ratio));
	int rc = 0;
	for (unsigned i = 0; i < n_boot; i++) {
		double ma = resampled_median(&r, a, n_a, buf);
		double mb = resampled_median(&r, b, n_b, buf);
		if (ma == 0) {
			rc = -1;
			break;
		}
		ratio[i] = mb / ma;
	}
	if (!rc && n_boot) {
		double tail = (1.0 - conf) / 2.0;
		stats_sort(ratio, n_boot);
		*lo = stats_quantile_sorted(ratio, n_boot, tail);
		*hi = stats_quantile_sorted(ratio, n_boot, 1.0 - tail);
	} else {
		*lo = *hi = NAN;
		rc = -1;
	}
	free(buf);
	free(ratio);
	return rc;
}

/* ---- Benjamini-Hochberg ---- */

struct indexed {
	double p;
	size_t i;
};

static int cmp_indexed(const void *pa, const void *pb)
{
	const struct indexed *a = pa, *b = pb;
	if (a->p != b->p)
		return (a->p > b->p) - (a->p < b->p);
	return (a->i > b->i) - (a->i < b->i);
}

void stats_bh_adjust(const double *p, size_t n, double *adj)
{
	if (!n)
		return;
	struct indexed *s = gb_malloc(n * sizeof(*s));
	for (size_t i = 0; i < n; i++)
		s[i] = (struct indexed){ isnan(p[i]) ? 1.0 : p[i], i };
	qsort(s, n, sizeof(*s), cmp_indexed);
	double run = 1.0;
	for (size_t k = n; k-- > 0;) {
		double v = s[k].p * (double)n / (double)(k + 1);
		if (v < run)
			run = v;
		s[k].p = run;
	}
	for (size_t k = 0; k < n; k++)
		adj[s[k].i] = s[k].p;
	free(s);
}

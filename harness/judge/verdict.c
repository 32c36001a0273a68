/*
 * verdict.c - turns two sets of samples into FASTER / SLOWER / NO_CHANGE /
 * INCONCLUSIVE / INSUFFICIENT_DATA with a plain reason: Mann-Whitney p, Hodges-Lehmann
 * change on the log scale with its Moses interval, a minimum effect that is also the
 * equivalence margin of NO_CHANGE, BH (+ false-coverage intervals) across a family.
 * Never prints, never reads the store; the caller owns every array.
 */
#include "judge/verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

/* ---- estimation ---- */

/* Above this many pairwise differences (2048 x 2048, 32 MiB) each large side is
 * summarised by 2048 evenly spaced quantiles before Hodges-Lehmann: the estimate
 * barely moves, and the interval, computed as if from 2048 samples, only widens. */
#define MAX_PAIRS ((size_t)2048 * 2048)
#define THIN_TO 2048

/* x itself, or (when n > THIN_TO) a new array of its THIN_TO mid-quantiles that the
 * caller frees; *n_out is the length used. */
static double *thinned(const double *x, size_t n, size_t *n_out)
{
	if (n <= THIN_TO) {
		*n_out = n;
		return NULL;
	}
	double *sorted = gb_malloc(n * sizeof(*sorted)), *q = gb_malloc(THIN_TO * sizeof(*q));
	memcpy(sorted, x, n * sizeof(*sorted));
	stats_sort(sorted, n);
	for (size_t i = 0; i < THIN_TO; i++)
		q[i] = stats_quantile_sorted(sorted, n, ((double)i + 0.5) / THIN_TO);
	free(sorted);
	*n_out = THIN_TO;
	return q;
}

/* Hodges-Lehmann change of b against a at confidence conf, as a relative change:
 * on the log scale when every value is > 0 (exp(shift) - 1: a ratio, the natural
 * model for timings whose noise is multiplicative), else additive / |median a|. */
static void estimate_raw(const double *a, size_t n_a, const double *b, size_t n_b, double conf,
			 struct verdict *v)
{
	int all_pos = 1;
	for (size_t i = 0; i < n_a && all_pos; i++)
		all_pos = a[i] > 0;
	for (size_t j = 0; j < n_b && all_pos; j++)
		all_pos = b[j] > 0;
	struct stats_shift s;
	v->ci_level = conf;
	if (all_pos) {
		double *la = gb_malloc(n_a * sizeof(*la)), *lb = gb_malloc(n_b * sizeof(*lb));
		for (size_t i = 0; i < n_a; i++)
			la[i] = log(a[i]);
		for (size_t j = 0; j < n_b; j++)
			lb[j] = log(b[j]);
		stats_hodges_lehmann(la, n_a, lb, n_b, conf, &s);
		free(la);
		free(lb);
		v->rel_change = expm1(s.shift);
		v->ci_low = expm1(s.lo);
		v->ci_high = expm1(s.hi);
		v->is_ratio = 1;
	} else {
		stats_hodges_lehmann(a, n_a, b, n_b, conf, &s);
		v->rel_change = s.rel;
		v->ci_low = s.rel_lo;
		v->ci_high = s.rel_hi;
		v->is_ratio = 0;
		if (isnan(s.rel)) {
			/* A's median is 0 (e.g. a function only B runs):
			 * the change relative to nothing is infinite, with the shift's sign; the
			 * interval keeps the signs of its bounds, so it can still exclude 0 */
			v->rel_change = s.shift > 0 ? INFINITY : s.shift < 0 ? -INFINITY : 0;
			v->ci_low = s.lo > 0 ? INFINITY : s.lo < 0 ? -INFINITY : 0;
			v->ci_high = s.hi > 0 ? INFINITY : s.hi < 0 ? -INFINITY : 0;
		}
	}
}

/* estimate_raw(), thinning very large samples first (see MAX_PAIRS). */
static void estimate(const double *a, size_t n_a, const double *b, size_t n_b, double conf,
		     struct verdict *v)
{
	if (!n_b || n_a <= MAX_PAIRS / n_b) {
		estimate_raw(a, n_a, b, n_b, conf, v);
		return;
	}
	size_t ta, tb;
	double *qa = thinned(a, n_a, &ta), *qb = thinned(b, n_b, &tb);
	estimate_raw(qa ? qa : a, ta, qb ? qb : b, tb, conf, v);
	free(qa);
	free(qb);
}

/* Pooled sd of two samples (their logs when is_log), or NaN with fewer than 3 in all. */
static double pooled_sd(const double *a, size_t n_a, const double *b, size_t n_b, int is_log)
{
	if (n_a + n_b < 3)
		return NAN;
	double ss = 0;
	const double *x[2] = { a, b };
	size_t n[2] = { n_a, n_b };
	for (int s = 0; s < 2; s++) {
		double mean = 0;
		for (size_t i = 0; i < n[s]; i++)
			mean += is_log ? log(x[s][i]) : x[s][i];
		mean /= n[s] ? (double)n[s] : 1;
		for (size_t i = 0; i < n[s]; i++) {
			double d = (is_log ? log(x[s][i]) : x[s][i]) - mean;
			ss += d * d;
		}
	}
	return sqrt(ss / (double)(n_a + n_b - 2));
}

/* About how many more samples per side would likely turn an inconclusive verdict into
 * a decided one, from the observed spread: the interval's half-width shrinks as
 * z sd sqrt(2 / n) (x 1.05 for Hodges-Lehmann's efficiency); it must fall below the
 * distance from the estimate to the nearer margin (NO CHANGE; at least half the
 * margin, as the estimate moves too) when the estimate is inside the margin, else
 * below the estimate's distance from 0 (SLOWER / FASTER). A rough guide.
 * 0 when unknown; capped at 999. */
static size_t more_needed(const struct verdict *v, double min_effect)
{
	double sd = v->spread, r = v->rel_change;
	if (!isfinite(sd) || !isfinite(r) || !(v->ci_level > 0 && v->ci_level < 1))
		return 0;
	double d, w;
	if (v->is_ratio) {
		d = log1p(r);
		w = fabs(r) < min_effect ? fmin(log1p(min_effect) - d, d - log1p(-fmin(min_effect, 0.999)))
					 : fabs(d);
		/* the estimate is noisy too: near the margin, plan for half the margin */
		if (fabs(r) < min_effect)
			w = fmax(w, log1p(min_effect) / 2);
	} else {
		d = r;
		w = fabs(r) < min_effect ? fmax(min_effect - fabs(d), min_effect / 2) : fabs(d);
	}
	size_t now = v->n_a < v->n_b ? v->n_a : v->n_b;
	if (sd == 0)
		return 1;
	if (!(w > 0))
		return 999;
	double z = stats_norm_quantile(1 - (1 - v->ci_level) / 2);
	double need = 2 * pow(1.05 * z * sd / w, 2);
	if (!(need < 999 + (double)now))
		return 999;
	size_t n = (size_t)ceil(need);
	return n > now ? n - now : 1;
}

/* Smallest k such that k vs k samples can reach p < alpha. */
static size_t min_per_side(double alpha)
{
	size_t k = 2;
	while (k < 64 && stats_mwu_min_p(k, k) >= alpha)
		k++;
	return k;
}

static int is_insufficient(size_t n_a, size_t n_b, double alpha)
{
	return n_a < 2 || n_b < 2 || stats_mwu_min_p(n_a, n_b) >= alpha;
}

/* ---- wording ---- */

static void pct(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "n/a");
	else if (isinf(r))
		snprintf(buf, len, r > 0 ? "+inf" : "-inf");
	else
		snprintf(buf, len, "%+.1f%%", 100.0 * r);
}

/* 1 when the whole interval lies strictly inside (-min_effect, +min_effect). */
static int inside_margin(const struct verdict *v, double min_effect)
{
	return isfinite(v->ci_low) && isfinite(v->ci_high) && v->ci_low > -min_effect &&
	       v->ci_high < min_effect;
}

/* Decide the kind from the filled numbers and write the reason. family_n > 1 adds
 * the adjustment to the wording. */
static void decide(struct verdict *v, double alpha, double min_effect, size_t family_n)
{
	char est[32], lo[32], hi[32], pbuf[96];
	pct(est, sizeof(est), v->rel_change);
	pct(lo, sizeof(lo), v->ci_low);
	pct(hi, sizeof(hi), v->ci_high);
	if (family_n > 1)
		snprintf(pbuf, sizeof(pbuf), "p = %.2g, adjusted %.2g over %zu metrics", v->p_value,
			 v->p_adjusted, family_n);
	else
		snprintf(pbuf, sizeof(pbuf), "p = %.2g", v->p_value);

	if (!v->n_a || !v->n_b) {
		v->kind = VERDICT_INSUFFICIENT_DATA;
		snprintf(v->reason, sizeof(v->reason),
			 "insufficient data: present only in %s (%zu samples), nothing to compare with",
			 v->n_a ? "A" : "B", v->n_a ? v->n_a : v->n_b);
		return;
	}
	if (is_insufficient(v->n_a, v->n_b, alpha)) {
		v->kind = VERDICT_INSUFFICIENT_DATA;
		snprintf(v->reason, sizeof(v->reason),
			 "insufficient data: %zu vs %zu samples cannot show a change at alpha %g "
			 "(best possible p = %.2g); collect at least %zu per side (seen %s)",
			 v->n_a, v->n_b, alpha, stats_mwu_min_p(v->n_a, v->n_b),
			 min_per_side(alpha), est);
		return;
	}
	int is_sig = v->p_adjusted < alpha;
	int is_up = v->ci_low > 0, is_down = v->ci_high < 0;
	int is_big = fabs(v->rel_change) >= min_effect;
	if (is_sig && (is_up || is_down) && is_big && isinf(v->rel_change)) {
		/* from 0: a ratio means nothing, the medians say it all */
		v->kind = is_up ? VERDICT_SLOWER : VERDICT_FASTER;
		snprintf(v->reason, sizeof(v->reason),
			 "%s: median %.4g -> %.4g, from nothing (A's median is 0), %s, %zu vs %zu samples",
			 is_up ? "slower" : "faster", v->median_a, v->median_b, pbuf, v->n_a, v->n_b);
	} else if (is_sig && (is_up || is_down) && is_big) {
		v->kind = is_up ? VERDICT_SLOWER : VERDICT_FASTER;
		snprintf(v->reason, sizeof(v->reason),
			 "%s: %s (%g%% CI %s .. %s), median %.4g -> %.4g, %s, %zu vs %zu samples",
			 is_up ? "slower" : "faster", est, 100 * v->ci_level, lo, hi, v->median_a,
			 v->median_b, pbuf, v->n_a, v->n_b);
	} else if (inside_margin(v, min_effect)) {
		v->kind = VERDICT_NO_CHANGE;
		if (is_sig && (is_up || is_down))
			snprintf(v->reason, sizeof(v->reason),
				 "no change that matters: %s (%g%% CI %s .. %s) is real (%s) but smaller "
				 "than the %g%% threshold: the whole interval is inside the margin",
				 est, 100 * v->ci_level, lo, hi, pbuf, 100 * min_effect);
		else
			snprintf(v->reason, sizeof(v->reason),
				 "no change: %s (%g%% CI %s .. %s), the whole interval inside the +-%g%% "
				 "margin (%s, %zu vs %zu samples)",
				 est, 100 * v->ci_level, lo, hi, 100 * min_effect, pbuf, v->n_a, v->n_b);
	} else {
		v->kind = VERDICT_INCONCLUSIVE;
		v->n_more = more_needed(v, min_effect);
		char more[96] = "";
		if (v->n_more >= 999)
			snprintf(more, sizeof(more), "; hundreds more per side would be needed at this spread");
		else if (v->n_more)
			snprintf(more, sizeof(more), "; about %zu more per side would likely settle it",
				 v->n_more);
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "inconclusive: %s (%g%% CI %s .. %s) %s, and the interval reaches beyond "
			     "the +-%g%% margin (%s, %zu vs %zu samples)%s",
			est, 100 * v->ci_level, lo, hi,
			is_sig && (is_up || is_down) ? "is real but may be smaller or larger than the threshold"
						     : "is within the noise",
			100 * min_effect, pbuf, v->n_a, v->n_b, more);
		snprintf(v->reason, sizeof(v->reason), "%s", sb_str(&sb));
		sb_release(&sb);
	}
}

/* ---- checks and the single-metric core ---- */

/* name NULL: a single comparison, no metric to name */
static int check_samples(const char *name, const char *side, const double *x, size_t n,
			 struct gb_err *err)
{
	char who[160] = "";
	if (name)
		snprintf(who, sizeof(who), "metric '%.140s': ", name);
	if (n && !x)
		return gb_errf(err, GB_EXIT_USAGE, "%ssample set %s is missing", who, side);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return gb_errf(err, GB_EXIT_USAGE,
				       "%ssample %s[%zu] is %g; drop that run or collect it again", who,
				       side, i, x[i]);
	return 0;
}

static int check_params(double alpha, double min_effect, struct gb_err *err)
{
	if (!(alpha > 0 && alpha < 1))
		return gb_errf(err, GB_EXIT_USAGE, "alpha %g is outside (0, 1); use e.g. 0.05", alpha);
	if (!(min_effect >= 0 && isfinite(min_effect)))
		return gb_errf(err, GB_EXIT_USAGE,
			       "minimum effect %g is not a fraction >= 0; use e.g. 0.05 for 5%%",
			       min_effect);
	return 0;
}

/* Fill every number of v except the decision. */
static void measure(const double *a, size_t n_a, const double *b, size_t n_b, double alpha,
		    struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->n_a = n_a;
	v->n_b = n_b;
	v->median_a = n_a ? stats_median(a, n_a) : NAN;
	v->median_b = n_b ? stats_median(b, n_b) : NAN;
	v->rel_change = v->ci_low = v->ci_high = v->spread = NAN;
	v->p_value = v->p_adjusted = 1;
	if (!n_a || !n_b)
		return;
	struct stats_mwu t;
	stats_mann_whitney(a, n_a, b, n_b, &t);
	v->p_value = v->p_adjusted = t.p_value;
	estimate(a, n_a, b, n_b, 1 - alpha, v);
	v->spread = pooled_sd(a, n_a, b, n_b, v->is_ratio);
	if (!v->is_ratio && isfinite(v->spread))
		v->spread = v->median_a != 0 ? v->spread / fabs(v->median_a) : NAN;
}

/* Exact counts constant within each side: the change is a fact. Returns 1 when it
 * applied (v filled and decided), 0 when the counts vary and need a test. */
static int count_fact(const double *a, size_t n_a, const double *b, size_t n_b,
		      struct verdict *v)
{
	if (!n_a || !n_b)
		return 0;
	for (size_t i = 1; i < n_a; i++)
		if (a[i] != a[0])
			return 0;
	for (size_t j = 1; j < n_b; j++)
		if (b[j] != b[0])
			return 0;
	memset(v, 0, sizeof(*v));
	v->n_a = n_a;
	v->n_b = n_b;
	v->median_a = a[0];
	v->median_b = b[0];
	v->rel_change = a[0] != 0 ? (b[0] - a[0]) / fabs(a[0]) : b[0] == 0 ? 0 : INFINITY;
	v->ci_low = v->ci_high = v->rel_change;
	v->p_value = v->p_adjusted = NAN;
	v->spread = 0;
	v->is_count_fact = 1;
	if (a[0] == b[0]) {
		v->kind = VERDICT_NO_CHANGE;
		snprintf(v->reason, sizeof(v->reason), "no change: %.15g per call in every sample",
			 a[0]);
	} else {
		v->kind = b[0] > a[0] ? VERDICT_SLOWER : VERDICT_FASTER;
		snprintf(v->reason, sizeof(v->reason),
			 "changed from %.15g to %.15g per call (every sample, %zu vs %zu)", a[0], b[0],
			 n_a, n_b);
	}
	return 1;
}

/* ---- public ---- */

const char *verdict_kind_name(enum verdict_kind kind)
{
	switch (kind) {
	case VERDICT_NO_CHANGE: return "no change";
	case VERDICT_FASTER: return "faster";
	case VERDICT_SLOWER: return "slower";
	case VERDICT_INSUFFICIENT_DATA: return "insufficient data";
	case VERDICT_INCONCLUSIVE: return "inconclusive";
	}
	return "?";
}

int verdict_compare(const double *a, size_t n_a, const double *b, size_t n_b, double alpha,
		    double min_effect, struct verdict *out, struct gb_err *err)
{
	if (check_params(alpha, min_effect, err) || check_samples(NULL, "a", a, n_a, err) ||
	    check_samples(NULL, "b", b, n_b, err))
		return -1;
	measure(a, n_a, b, n_b, alpha, out);
	decide(out, alpha, min_effect, 1);
	return 0;
}

int verdict_counts(const int64_t *a, size_t n_a, const int64_t *b, size_t n_b, double alpha,
		   double min_effect, struct verdict *out, struct gb_err *err)
{
	if (check_params(alpha, min_effect, err))
		return -1;
	if ((n_a && !a) || (n_b && !b))
		return gb_errf(err, GB_EXIT_USAGE, "counts: a sample set is missing");
	double *da = gb_malloc((n_a ? n_a : 1) * sizeof(*da));
	double *db = gb_malloc((n_b ? n_b : 1) * sizeof(*db));
	for (size_t i = 0; i < n_a; i++)
		da[i] = (double)a[i];
	for (size_t j = 0; j < n_b; j++)
		db[j] = (double)b[j];
	int rc = 0;
	if (!count_fact(da, n_a, db, n_b, out))
		rc = verdict_compare(da, n_a, db, n_b, alpha, min_effect, out, err);
	free(da);
	free(db);
	return rc;
}

int verdict_family(const struct verdict_metric *metrics, size_t n, double alpha,
		   double min_effect, struct verdict *out, struct gb_err *err)
{
	if (check_params(alpha, min_effect, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct verdict_metric *m = &metrics[i];
		const char *name = m->name ? m->name : "(unnamed)";
		if (check_samples(name, "a", m->a, m->n_a, err) ||
		    check_samples(name, "b", m->b, m->n_b, err))
			return -1;
	}
	/* 1. measure; the family is every member that is tested and can reach alpha */
	size_t *member = gb_malloc((n ? n : 1) * sizeof(*member));
	double *p = gb_malloc((n ? n : 1) * sizeof(*p));
	size_t fam = 0;
	for (size_t i = 0; i < n; i++) {
		const struct verdict_metric *m = &metrics[i];
		if (m->is_count && count_fact(m->a, m->n_a, m->b, m->n_b, &out[i]))
			continue;
		measure(m->a, m->n_a, m->b, m->n_b, alpha, &out[i]);
		if (is_insufficient(m->n_a, m->n_b, alpha)) {
			decide(&out[i], alpha, min_effect, 1);
			continue;
		}
		member[fam] = i;
		p[fam++] = out[i].p_value;
	}
	/* 2. Benjamini-Hochberg over the family */
	stats_bh_adjust(p, fam, p);
	size_t n_sel = 0;
	for (size_t k = 0; k < fam; k++) {
		out[member[k]].p_adjusted = p[k];
		n_sel += p[k] < alpha;
	}
	/* 3. intervals of the selected at 1 - R alpha / m (Benjamini & Yekutieli 2005),
	 * so the flagged intervals keep a false coverage rate <= alpha; then decide */
	for (size_t k = 0; k < fam; k++) {
		size_t i = member[k];
		if (p[k] < alpha && n_sel < fam) {
			const struct verdict_metric *m = &metrics[i];
			double level = 1.0 - (double)n_sel * alpha / (double)fam;
			estimate(m->a, m->n_a, m->b, m->n_b, level, &out[i]);
		}
		decide(&out[i], alpha, min_effect, fam);
	}
	free(member);
	free(p);
	return 0;
}

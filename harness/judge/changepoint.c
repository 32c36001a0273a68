/*
 * changepoint.c - E-Divisive with means (Matteson & James 2014, as used for
 * performance CI by Daly et al. 2020): energy statistic with alpha = 1, the best split
 * of each segment, recursive bisection while a permutation test says the split is
 * real. Written from the papers; never prints, never reads the store.
 */
#include "judge/changepoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

/* ---- the energy statistic ---- */

/* Best split of x[0..len) into [0, tau) and [tau, len), both >= min_size, by the
 * divergence Q(tau) = m r / (m + r) * (2/(m r) sum|x_i - y_j| - mean within-left
 * |.| - mean within-right |.|), where each within mean runs over pairs. O(len^2)
 * with running sums. Returns Q (-inf when no split is allowed) and sets *tau. */
static double best_split(const double *x, size_t len, size_t min_size, size_t *tau)
{
	double best = -INFINITY;
	*tau = 0;
	if (len < 2 * min_size)
		return best;
	double within_r = 0, within_l = 0, cross = 0;
	for (size_t j = 0; j < len; j++)
		for (size_t k = j + 1; k < len; k++)
			within_r += fabs(x[j] - x[k]);
	for (size_t t = 0; t + 1 < len; t++) {
		/* x[t] moves from the right part to the left part */
		double row_l = 0, row_r = 0;
		for (size_t i = 0; i < t; i++)
			row_l += fabs(x[i] - x[t]);
		for (size_t k = t + 1; k < len; k++)
			row_r += fabs(x[t] - x[k]);
		within_l += row_l;
		within_r -= row_r;
		cross += row_r - row_l;
		size_t m = t + 1, r = len - m;
		if (m < min_size || r < min_size)
			continue;
		double dm = (double)m, dr = (double)r;
		double e = 2.0 * cross / (dm * dr);
		if (m > 1)
			e -= 2.0 * within_l / (dm * (dm - 1));
		if (r > 1)
			e -= 2.0 * within_r / (dr * (dr - 1));
		double q = dm * dr / (dm + dr) * e;
		if (q > best) {
			best = q;
			*tau = m;
		}
	}
	return best;
}

/* The segments between sorted boundaries b[0] = 0 < ... < b[nb - 1] = n. */
struct segs {
	size_t *b;      /* boundaries, nb of them */
	size_t nb;
	double *q;      /* best Q of segment s = [b[s], b[s+1]) */
	size_t *tau;    /* its best split (absolute index) */
};

static void seg_eval(const double *x, size_t min_size, struct segs *sg, size_t s)
{
	size_t lo = sg->b[s], hi = sg->b[s + 1], t;
	sg->q[s] = best_split(x + lo, hi - lo, min_size, &t);
	sg->tau[s] = lo + t;
}

/* Largest best-Q over all segments of the series y (permuted or not). */
static double max_q(const double *y, size_t min_size, const struct segs *sg)
{
	double best = -INFINITY;
	for (size_t s = 0; s + 1 < sg->nb; s++) {
		size_t t;
		double q = best_split(y + sg->b[s], sg->b[s + 1] - sg->b[s], min_size, &t);
		if (q > best)
			best = q;
	}
	return best;
}

static int check_opts(const struct cp_opts *o, struct gb_err *err)
{
	if (o->min_size < 2)
		return gb_errf(err, GB_EXIT_USAGE,
			       "change points: min_size %zu is below 2; a segment needs two points "
			       "to have a spread",
			       o->min_size);
	if (!(o->sig_level > 0 && o->sig_level < 1))
		return gb_errf(err, GB_EXIT_USAGE,
			       "change points: significance level %g is outside (0, 1); use e.g. 0.05",
			       o->sig_level);
	if (o->n_perm < 19 || o->n_perm > 100000)
		return gb_errf(err, GB_EXIT_USAGE,
			       "change points: %u permutations is outside 19..100000; use e.g. 199",
			       o->n_perm);
	return 0;
}

/* ---- public ---- */

int changepoint_detect(const double *x, size_t n, const struct cp_opts *opts, size_t *cps,
		       size_t *n_cps, struct gb_err *err)
{
	static const struct cp_opts defaults = CP_OPTS_DEFAULT;
	const struct cp_opts *o = opts ? opts : &defaults;
	*n_cps = 0;
	if (check_opts(o, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return gb_errf(err, GB_EXIT_USAGE,
				       "change points: point %zu of the series is %g; drop that run "
				       "from the history",
				       i, x[i]);
	if (n < 2 * o->min_size || !o->max_cps)
		return 0;

	struct stats_rng rng;
	stats_rng_seed(&rng, o->seed);
	size_t cap = o->max_cps + 2;
	struct segs sg = { gb_malloc(cap * sizeof(size_t)), 2, gb_malloc(cap * sizeof(double)),
			   gb_malloc(cap * sizeof(size_t)) };
	double *y = gb_malloc(n * sizeof(*y));
	sg.b[0] = 0;
	sg.b[1] = n;
	seg_eval(x, o->min_size, &sg, 0);

	while (sg.nb - 2 < o->max_cps) {
		size_t best = 0;
		for (size_t s = 1; s + 1 < sg.nb; s++)
			if (sg.q[s] > sg.q[best])
				best = s;
		double q_obs = sg.q[best];
		if (!isfinite(q_obs))
			break; /* no segment can be split any more */
		/* permutation test: shuffle within each segment, keep its boundaries */
		unsigned n_ge = 0, limit = (unsigned)floor(o->sig_level * (o->n_perm + 1) + 1e-9);
		for (unsigned r = 0; r < o->n_perm && n_ge < limit; r++) {
			memcpy(y, x, n * sizeof(*y));
			for (size_t s = 0; s + 1 < sg.nb; s++)
				stats_rng_shuffle(&rng, y + sg.b[s], sg.b[s + 1] - sg.b[s]);
			n_ge += max_q(y, o->min_size, &sg) >= q_obs;
		}
		/* p = (n_ge + 1) / (n_perm + 1) <= sig_level  <=>  n_ge + 1 <= limit */
		if (n_ge + 1 > limit)
			break;
		/* accept: insert the boundary after segment best */
		size_t tau = sg.tau[best];
		memmove(sg.b + best + 2, sg.b + best + 1, (sg.nb - best - 1) * sizeof(size_t));
		memmove(sg.q + best + 2, sg.q + best + 1, (sg.nb - best - 2) * sizeof(double));
		memmove(sg.tau + best + 2, sg.tau + best + 1, (sg.nb - best - 2) * sizeof(size_t));
		sg.b[best + 1] = tau;
		sg.nb++;
		seg_eval(x, o->min_size, &sg, best);
		seg_eval(x, o->min_size, &sg, best + 1);
	}
	for (size_t s = 1; s + 1 < sg.nb; s++)
		cps[(*n_cps)++] = sg.b[s];
	free(sg.b);
	free(sg.q);
	free(sg.tau);
	free(y);
	return 0;
}

const char *changepoint_kind_name(enum cp_kind kind)
{
	switch (kind) {
	case CP_STEADY: return "steady";
	case CP_REGRESSION: return "regression";
	case CP_IMPROVEMENT: return "improvement";
	case CP_NOISY_POINT: return "noisy point";
	case CP_TOO_SHORT: return "too short";
	}
	return "?";
}

/* Direction of the last step: +1 when the last segment is higher than the one before
 * by >= min_effect in its mean AND its median (so one wild point inside a short last
 * segment cannot make a step), -1 likewise lower, else 0. Fills the means and the
 * relative change of the means. */
static int last_step(const double *x, size_t len, const size_t *cps, size_t n_cps,
		     double min_effect, double *before, double *after, double *rel)
{
	size_t start = cps[n_cps - 1], prev = n_cps > 1 ? cps[n_cps - 2] : 0;
	*before = stats_mean(x + prev, start - prev);
	*after = stats_mean(x + start, len - start);
	*rel = *before != 0 ? *after / *before - 1 : NAN;
	double rel_med = *before != 0 ? stats_median(x + start, len - start) / *before - 1 : NAN;
	if (*rel >= min_effect && rel_med >= min_effect)
		return 1;
	if (*rel <= -min_effect && rel_med <= -min_effect)
		return -1;
	return 0;
}

int changepoint_judge(const double *history, size_t n, double new_value,
		      const struct cp_opts *opts, double min_effect, struct cp_judgement *out,
		      struct gb_err *err)
{
	static const struct cp_opts defaults = CP_OPTS_DEFAULT;
	const struct cp_opts *o = opts ? opts : &defaults;
	memset(out, 0, sizeof(*out));
	out->cp = n + 1;
	if (!isfinite(new_value))
		return gb_errf(err, GB_EXIT_USAGE, "change points: the new value is %g; the run "
				      "produced no usable median", new_value);
	if (!(min_effect >= 0 && isfinite(min_effect)))
		return gb_errf(err, GB_EXIT_USAGE,
			       "change points: minimum effect %g is not a fraction >= 0", min_effect);
	if (check_opts(o, err))
		return -1;
	size_t len = n + 1;
	double *x = gb_malloc(len * sizeof(*x));
	size_t *cps = gb_malloc((o->max_cps ? o->max_cps : 1) * sizeof(*cps));
	size_t *old = gb_malloc((o->max_cps ? o->max_cps : 1) * sizeof(*old));
	size_t n_cps = 0, n_old = 0;
	int rc = 0;
	if (n)
		memcpy(x, history, n * sizeof(*x));
	x[n] = new_value;
	if (len < 2 * o->min_size) {
		out->kind = CP_TOO_SHORT;
		snprintf(out->reason, sizeof(out->reason),
			 "too short: %zu points, a step needs at least %zu (min segment %zu on "
			 "each side)",
			 len, 2 * o->min_size, o->min_size);
		goto done;
	}
	if (changepoint_detect(x, len, o, cps, &n_cps, err) ||
	    changepoint_detect(x, n, o, old, &n_old, err)) {
		rc = -1;
		goto done;
	}
	size_t start = n_cps ? cps[n_cps - 1] : 0;
	if (n_cps) {
		double before, after;
		out->cp = start;
		out->runs_in_step = len - start;
		int dir = last_step(x, len, cps, n_cps, min_effect, &out->mean_before,
				    &out->mean_after, &out->rel_change);
		/* new: last night's judgement (the history alone) did not show this step */
		double old_rel;
		int old_dir = n_old ? last_step(x, n, old, n_old, min_effect, &before, &after, &old_rel)
				    : 0;
		out->is_new = dir != old_dir;
		if (dir > 0) {
			out->kind = CP_REGRESSION;
			snprintf(out->reason, sizeof(out->reason),
				 "regression: a %s step at run %zu (%zu runs ago), mean %.4g -> "
				 "%.4g (%+.1f%%)",
				 out->is_new ? "new" : "known", start, out->runs_in_step - 1,
				 out->mean_before, out->mean_after, 100 * out->rel_change);
			goto done;
		}
		if (dir < 0) {
			out->kind = CP_IMPROVEMENT;
			snprintf(out->reason, sizeof(out->reason),
				 "improvement: a %s step at run %zu (%zu runs ago), mean %.4g -> "
				 "%.4g (%+.1f%%)",
				 out->is_new ? "new" : "known", start, out->runs_in_step - 1,
				 out->mean_before, out->mean_after, 100 * out->rel_change);
			goto done;
		}
	}
	/* no step that matters: is the new value alone out of line with its level? */
	double level = start < n ? stats_mean(x + start, n - start) : new_value;
	double rel = level != 0 ? new_value / level - 1 : 0;
	if (rel >= min_effect) {
		out->kind = CP_NOISY_POINT;
		out->rel_change = rel;
		snprintf(out->reason, sizeof(out->reason),
			 "one high point: %.4g is %+.1f%% over the level %.4g, but no significant "
			 "step (yet); rerun, or wait for %zu more runs to confirm",
			 new_value, 100 * rel, level, o->min_size - 1);
	} else {
		out->kind = CP_STEADY;
		if (!n_cps)
			out->rel_change = rel;
		snprintf(out->reason, sizeof(out->reason),
			 "steady: %.4g is %+.1f%% against the level %.4g", new_value, 100 * rel,
			 level);
	}
done:
	free(x);
	free(cps);
	free(old);
	return rc;
}

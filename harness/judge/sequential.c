/*
 * sequential.c - group-sequential boundaries by alpha spending (Lan & DeMets 1983),
 * computed by the recursive numerical integration of Armitage, McPherson & Rowe (1969)
 * over the score process W(t) (Brownian motion at information t), and the decision
 * at one look. Pure computation, libm only; never prints.
 */
#include "judge/sequential.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

/* Odd, for Simpson's rule over the continuation region of a look. */
#define GRID 401

double seq_spend(enum seq_spending spending, double a, double t)
{
	if (t <= 0)
		return 0;
	if (t >= 1)
		return a;
	if (spending == SEQ_POCOCK)
		return a * log(1 + (M_E - 1) * t);
	double z = stats_norm_quantile(1 - a / 2);
	return 2 * stats_norm_cdf(-z / sqrt(t));
}

/* P(the continuing paths of the previous look leave |W| < b sqrt(t) at this one):
 * f[] on grid u[] (Simpson weights w[]), increment variance var. */
static double exit_prob(const double *u, const double *f, const double *w, size_t n, double var,
			double edge)
{
	double sd = sqrt(var), p = 0;
	for (size_t j = 0; j < n; j++)
		p += w[j] * f[j] * (stats_norm_cdf((-edge - u[j]) / sd) + stats_norm_cdf((u[j] - edge) / sd));
	return p;
}

static void simpson(double *w, size_t n, double h)
{
	for (size_t j = 0; j < n; j++)
		w[j] = h / 3 * (j == 0 || j == n - 1 ? 1 : j % 2 ? 4 : 2);
}

int seq_plan(size_t n_first, size_t n_step, size_t n_max, double alpha, size_t n_family,
	     enum seq_spending spending, struct seq_design *d, struct gb_err *err)
{
	memset(d, 0, sizeof(*d));
	if (n_first < 2 || !n_step || n_max < n_first)
		return gb_errf(err, GB_EXIT_USAGE,
			       "sequential design: looks from %zu every %zu up to %zu samples per side "
			       "is not a plan; use e.g. 4, 2, 20", n_first, n_step, n_max);
	if (!(alpha > 0 && alpha < 1) || !n_family)
		return gb_errf(err, GB_EXIT_USAGE,
			       "sequential design: alpha %g over %zu metrics; use e.g. 0.05 over 2", alpha,
			       n_family);
	for (size_t n = n_first; d->n_looks < SEQ_MAX_LOOKS; n += n_step) {
		d->look_n[d->n_looks++] = n < n_max ? n : n_max;
		if (n >= n_max)
			break;
	}
	if (d->look_n[d->n_looks - 1] != n_max)
		return gb_errf(err, GB_EXIT_USAGE,
			       "sequential design: more than %d looks up to %zu samples per side; take "
			       "a larger step", SEQ_MAX_LOOKS, n_max);
	d->alpha = alpha;
	d->n_family = n_family;
	d->spending = spending;
	double a = alpha / (double)n_family;
	double u[GRID], f[GRID], w[GRID], nu[GRID], nf[GRID];
	double prev_t = 0, prev_spent = 0;
	for (size_t k = 0; k < d->n_looks; k++) {
		double t = (double)d->look_n[k] / (double)n_max;
		d->info[k] = t;
		d->spent[k] = seq_spend(spending, a, t);
		double target = d->spent[k] - prev_spent, b;
		if (k == 0) {
			b = target > 0 ? -stats_norm_quantile(target / 2) : 40;
		} else if (!(target > 1e-300)) {
			b = 40;
		} else {
			double lo = 0, hi = 40, var = t - prev_t;
			for (int it = 0; it < 100; it++) {
				double mid = (lo + hi) / 2;
				if (exit_prob(u, f, w, GRID, var, mid * sqrt(t)) > target)
					lo = mid;
				else
					hi = mid;
			}
			b = hi;
		}
		d->bound[k] = b;
		d->nominal[k] = 2 * stats_norm_cdf(-b);
		/* the sub-density of the paths still going at this look, on its own grid */
		double edge = b * sqrt(t), h = 2 * edge / (GRID - 1);
		for (size_t j = 0; j < GRID; j++)
			nu[j] = -edge + h * (double)j;
		if (k == 0) {
			for (size_t j = 0; j < GRID; j++)
				nf[j] = exp(-nu[j] * nu[j] / (2 * t)) / sqrt(2 * M_PI * t);
		} else {
			double var = t - prev_t;
			for (size_t j = 0; j < GRID; j++) {
				double s = 0;
				for (size_t i = 0; i < GRID; i++) {
					double z = nu[j] - u[i];
					s += w[i] * f[i] * exp(-z * z / (2 * var));
				}
				nf[j] = s / sqrt(2 * M_PI * var);
			}
		}
		memcpy(u, nu, sizeof(u));
		memcpy(f, nf, sizeof(f));
		simpson(w, GRID, h);
		prev_t = t;
		prev_spent = d->spent[k];
	}
	return 0;
}

long seq_look_at(const struct seq_design *d, size_t n)
{
	long at = -1;
	for (size_t k = 0; k < d->n_looks; k++)
		if (d->look_n[k] <= n)
			at = (long)k;
	return at;
}

enum seq_state seq_decide(const struct verdict *h, size_t n)
{
	int slower = 0, faster = 0, all_same = n > 0;
	for (size_t i = 0; i < n; i++) {
		slower |= h[i].kind == VERDICT_SLOWER;
		faster |= h[i].kind == VERDICT_FASTER;
		all_same &= h[i].kind == VERDICT_NO_CHANGE;
	}
	return slower ? SEQ_SLOWER : faster ? SEQ_FASTER : all_same ? SEQ_NO_CHANGE : SEQ_CONTINUE;
}

const char *seq_state_name(enum seq_state s)
{
	switch (s) {
	case SEQ_CONTINUE: return "continue";
	case SEQ_SLOWER: return "slower";
	case SEQ_FASTER: return "faster";
	case SEQ_NO_CHANGE: return "no change";
	}
	return "?";
}

const char *seq_spending_name(enum seq_spending s)
{
	return s == SEQ_POCOCK ? "Lan-DeMets Pocock-type" : "Lan-DeMets O'Brien-Fleming-type";
}

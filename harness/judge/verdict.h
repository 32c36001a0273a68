/*
 * verdict.h - is B faster, slower, or the same as A? One metric, or a family of
 * metrics (a table of functions) with the Benjamini-Hochberg false discovery rate.
 * Works on caller-owned samples only; never reads the store, never prints.
 */
#ifndef GB_VERDICT_H
#define GB_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "base/gb.h"

#define VERDICT_ALPHA 0.05      /* default significance level (false discovery rate in a family) */
#define VERDICT_MIN_EFFECT 0.05 /* default smallest change worth reporting, and the
				  * equivalence margin of NO CHANGE: +-5% */

enum verdict_kind {
	VERDICT_NO_CHANGE = 0,
	VERDICT_FASTER,            /* B is lower (better) than A */
	VERDICT_SLOWER,            /* B is higher (worse) than A: a regression */
	VERDICT_INSUFFICIENT_DATA, /* too few samples for any test to reach alpha */
	VERDICT_INCONCLUSIVE,      /* neither slower/faster nor inside +-min_effect: the interval
				    * is too wide to tell; more samples would settle it */
};

/* The judgement on one metric; "lower is better" (latencies, cumtimes, ncalls). */
struct verdict {
	enum verdict_kind kind;
	size_t n_a, n_b;       /* sample sizes */
	double median_a;       /* baseline median */
	double median_b;
	double rel_change;     /* Hodges-Lehmann estimate of B/A - 1 (+0.10: 10% slower) */
	double ci_low;         /* distribution-free interval of rel_change, at 1 - alpha */
	double ci_high;        /*   (false-coverage adjusted for flagged members of a family) */
	double ci_level;       /* confidence of [ci_low, ci_high]: 1 - alpha, or lower-alpha'd */
	double p_value;        /* two-sided Mann-Whitney p; NaN for a count fact */
	double p_adjusted;     /* BH-adjusted within its family; = p_value when alone */
	int is_ratio;          /* 1: estimate made on log scale (all values > 0), 0: additive */
	int is_count_fact;     /* 1: exact counts, constant within each side: no test needed */
	double spread;         /* the observed spread: pooled sd of the samples' logs (ratio),
				* else pooled sd / |median a|; NaN when unknown */
	size_t n_more;         /* INCONCLUSIVE: about how many more samples per side would
				* likely settle it (from the observed spread); 0 unknown */
	char reason[448];      /* one plain sentence: what changed, how sure, why */
};

/* One member of a family: samples of one metric from run(s) A and run(s) B. */
struct verdict_metric {
	const char *name;      /* for messages ("nova.scheduler...:select_destinations") */
	const double *a;       /* baseline samples */
	size_t n_a;
	const double *b;       /* candidate samples */
	size_t n_b;
	int is_count;          /* exact counts (ncalls): see verdict_counts() */
};

/* Judge B against A for one metric. SLOWER needs: p < alpha, the 1 - alpha Moses
 * interval of the change above 0, and the point estimate >= min_effect (FASTER
 * mirrors it). NO CHANGE needs the whole interval inside (-min_effect, +min_effect)
 * (an equivalence test); anything else is INCONCLUSIVE, with n_more. Non-finite
 * samples are an error (-1, err filled); 0 otherwise. */
int verdict_compare(const double *a, size_t n_a, const double *b, size_t n_b, double alpha,
		    double min_effect, struct verdict *out, struct gb_err *err);

/* Exact counts (e.g. calls per request). When every sample is equal within each
 * side the change is a fact ("changed from 2 to 4 per call"), with no p-value and no
 * threshold; otherwise the counts are judged like any metric by verdict_compare(). */
int verdict_counts(const int64_t *a, size_t n_a, const int64_t *b, size_t n_b, double alpha,
		   double min_effect, struct verdict *out, struct gb_err *err);

/* Judge n metrics as one family: p-values of the tested members are adjusted by
 * Benjamini-Hochberg (count facts are outside the family), so over many unchanged
 * metrics the expected share of false alarms among the flagged stays <= alpha.
 * out[] has n elements, in the order of metrics[]. */
int verdict_family(const struct verdict_metric *metrics, size_t n, double alpha,
		   double min_effect, struct verdict *out, struct gb_err *err);

/* "faster", "slower", "no change", "insufficient data", "inconclusive". */
const char *verdict_kind_name(enum verdict_kind kind);

#endif

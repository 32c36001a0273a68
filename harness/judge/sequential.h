/*
 * sequential.h - the group-sequential design behind `greenbench ab`'s adaptive blocks:
 * looks at planned sample sizes, a Lan-DeMets alpha-spending function, the boundary
 * and nominal level of every look (exact recursive integration, not simulation), and
 * the decision at a look. Pure computation; never prints, never reads the store.
 *
 * Why it controls false alarms: each of the n_family headline metrics spends
 * alpha / n_family over the looks, so for one metric the chance of ever crossing its
 * boundary under no change is alpha / n_family; a look flags a metric only when its
 * p-value is below that look's nominal level (Benjamini-Hochberg inside the family
 * only ever flags p-values below it), so by the union bound the chance that any look
 * flags any metric of an A/A experiment is <= alpha. The intervals at a look are
 * taken at 1 - nominal (repeated confidence intervals), so a NO CHANGE at any look
 * is as safe as at a fixed sample size.
 */
#ifndef GB_SEQUENTIAL_H
#define GB_SEQUENTIAL_H

#include <stddef.h>

#include "base/gb.h"
#include "judge/verdict.h"

#define SEQ_MAX_LOOKS 64

enum seq_spending {
	SEQ_OBRIEN_FLEMING = 0, /* alpha(t) = 2 - 2 Phi(z_{1-a/2} / sqrt t): spends almost
				 * nothing early, nearly the full alpha at the end */
	SEQ_POCOCK,             /* alpha(t) = a ln(1 + (e - 1) t): spends early, so big
				 * changes stop sooner; the last look is stricter */
};

struct seq_design {
	double alpha;                     /* overall false-alarm rate (two-sided) */
	size_t n_family;                  /* headline metrics judged at every look */
	enum seq_spending spending;
	size_t n_looks;
	size_t look_n[SEQ_MAX_LOOKS];     /* samples (blocks) per side at each look */
	double info[SEQ_MAX_LOOKS];       /* information fraction look_n / n_max */
	double spent[SEQ_MAX_LOOKS];      /* cumulative alpha spent by one metric */
	double bound[SEQ_MAX_LOOKS];      /* two-sided z boundary */
	double nominal[SEQ_MAX_LOOKS];    /* 2 (1 - Phi(bound)): each metric's level at that look */
};

/* Plan looks at n_first, n_first + n_step, ... and n_max samples per side (n_first >= 2,
 * n_step >= 1, n_max >= n_first, at most SEQ_MAX_LOOKS looks), spending alpha over
 * n_family metrics. 0, or -1 with err (exit 2) for bad parameters. */
int seq_plan(size_t n_first, size_t n_step, size_t n_max, double alpha, size_t n_family,
	     enum seq_spending spending, struct seq_design *d, struct gb_err *err);

/* The alpha one metric has spent by information fraction t (0..1). */
double seq_spend(enum seq_spending spending, double alpha_per_metric, double t);

/* The look that n samples per side have reached (the last with look_n <= n), or -1. */
long seq_look_at(const struct seq_design *d, size_t n);

enum seq_state {
	SEQ_CONTINUE = 0, /* not decided: add blocks */
	SEQ_SLOWER,       /* a headline metric crossed its boundary upwards */
	SEQ_FASTER,       /* ... downwards (and none upwards) */
	SEQ_NO_CHANGE,    /* every headline metric's repeated interval inside the margin */
};

/* The state after a look, from the headline metrics' verdicts taken at the look's
 * nominal level (verdict_family with alpha = d->nominal[k]). */
enum seq_state seq_decide(const struct verdict *headline, size_t n);

/* "continue", "slower", "faster", "no change"; "lan-demets o'brien-fleming", "pocock". */
const char *seq_state_name(enum seq_state s);
const char *seq_spending_name(enum seq_spending s);

#endif

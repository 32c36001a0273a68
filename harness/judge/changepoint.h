/*
 * changepoint.h - where did a series of run medians step? E-Divisive with means
 * (energy statistic, alpha = 1; recursive bisection; permutation test with a seeded
 * PRNG), and the nightly judgement "is tonight's value a regression step or one noisy
 * point?". Pure computation on caller-owned arrays; never prints, never reads the store.
 */
#ifndef GB_CHANGEPOINT_H
#define GB_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/gb.h"

struct cp_opts {
	size_t min_size;  /* smallest segment allowed, >= 2 */
	size_t max_cps;   /* at most this many change points; cps[] must hold as many */
	double sig_level; /* a split is kept when its permutation p-value <= this */
	unsigned n_perm;  /* permutations per test (p-value resolution 1 / (n_perm + 1)) */
	uint64_t seed;    /* PRNG seed: same series, same seed, same answer */
};

/* min_size 3, max_cps 8, sig_level 0.05, n_perm 199, seed 1 */
#define CP_OPTS_DEFAULT { 3, 8, 0.05, 199, 1 }

/* Change points of x[0..n), ascending, in cps (capacity opts->max_cps; NULL opts:
 * defaults); each is the index of the first point of a new segment. Returns 0, or -1
 * with err filled for bad options or non-finite values. Cost: O(n^2) per permutation
 * per accepted split. */
int changepoint_detect(const double *x, size_t n, const struct cp_opts *opts, size_t *cps,
		       size_t *n_cps, struct gb_err *err);

enum cp_kind {
	CP_STEADY = 0,   /* the new value sits in the current level */
	CP_REGRESSION,   /* the last segment (holding the new value) is higher by >= min_effect,
			  * in its mean and its median */
	CP_IMPROVEMENT,  /* ... lower by >= min_effect */
	CP_NOISY_POINT,  /* the new value alone is high: not (yet) a significant step */
	CP_TOO_SHORT,    /* too little history to judge (fewer than 2 * min_size points) */
};

struct cp_judgement {
	enum cp_kind kind;
	size_t cp;            /* index (in history + new) of the last change point; n + 1: none */
	size_t runs_in_step;  /* points from that change point to the new value, inclusive */
	int is_new;           /* 1: the history alone (last night) showed no such step */
	double mean_before;   /* mean of the segment before the last change point */
	double mean_after;    /* mean of the last segment (ends with the new value) */
	double rel_change;    /* mean_after / mean_before - 1 (or new vs level for a noisy point) */
	char reason[256];     /* one plain sentence */
};

/* Judge new_value against history[0..n) (lower is better; oldest first). */
int changepoint_judge(const double *history, size_t n, double new_value,
		      const struct cp_opts *opts, double min_effect, struct cp_judgement *out,
		      struct gb_err *err);

const char *changepoint_kind_name(enum cp_kind kind);

#endif

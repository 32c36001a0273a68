/*
 * compare_int.h - what compare_judge.c and compare_funcs.c share: one side's values of
 * a metric, the row helpers, the verdict's notes and the per-function step. Only the
 * compare files of judge/ include it.
 */
#ifndef GB_COMPARE_INT_H
#define GB_COMPARE_INT_H

#include "judge/compare.h"

struct side_values {
	double *x;
	size_t n;
};

void compare_sv_push(struct side_values *s, double v);
void compare_row_free(struct compare_row *r);
void compare_add_note(struct compare_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The function rows of v: sa (v->n_a runs) against sb (v->n_b), keys gets the union of
 * their functions. */
int compare_judge_funcs(struct compare_verdict *v, struct compare_run_samples *sa,
			struct compare_run_samples *sb, const struct compare_opts *o,
			struct pstats *keys, struct gb_err *err);

#endif

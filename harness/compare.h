/*
 * compare.h - compares two stored runs (first version, no verdict yet): latency
 * summaries side by side and the functions whose per-profile time or call counts moved.
 * Pure computation over the store; never prints, never exits. The statistics-based
 * verdict (harness/stats.[ch]) will replace compare_runs()'s inside, not its callers.
 */
#ifndef GB_COMPARE_H
#define GB_COMPARE_H

#include <stddef.h>

#include "gb.h"
#include "store.h"

/* A sample's summary. n == 0: the other fields are NaN. */
struct compare_dist {
	size_t n;
	double median, p95, mean, min, max;
};

/* One metric of both runs, e.g. "POST /v2.1/servers latency". */
struct compare_metric {
	char *name;
	struct compare_dist a, b;
};

/* One function, means per profile in each run (a function absent from a run is 0). */
struct compare_func {
	char *file;
	long line;
	char *name;
	double ct_a, ct_b;   /* cumtime seconds per profile */
	double tt_a, tt_b;   /* tottime seconds per profile */
	double nc_a, nc_b;   /* calls per profile */
};

struct compare_result {
	long long run_a, run_b;
	int n_profiles_a, n_profiles_b;
	struct compare_metric *metrics;  /* requests by method and path template, servers, profiles */
	size_t n_metrics;
	struct compare_func *by_cumtime; /* top changes of cumtime, largest |delta| first */
	size_t n_by_cumtime;
	struct compare_func *by_tottime; /* top changes of tottime */
	size_t n_by_tottime;
	struct compare_func *ncalls;     /* every function whose calls per profile changed (max top_n * 4) */
	size_t n_ncalls;
	size_t n_ncalls_total;           /* how many changed in all */
};

/* Compare run b against run a; top_n bounds each function list. The caller releases out. */
int compare_runs(struct store *db, long long a, long long b, size_t top_n,
		 struct compare_result *out, struct gb_err *err);
void compare_result_release(struct compare_result *res);

/* The metrics of one run alone (each metric's `a`; `b` is empty). Caller frees with
 * compare_metrics_free(). */
int compare_run_metrics(struct store *db, long long run, struct compare_metric **out, size_t *n,
			struct gb_err *err);
void compare_metrics_free(struct compare_metric *m, size_t n);

/* Summary of x[0..n) (x is sorted in place). Quantiles are type 7 (linear). */
void compare_summarize(double *x, size_t n, struct compare_dist *out);

/* "/v2.1/servers/5a1f...-..." -> "/v2.1/servers/{id}" (ids, numbers, long hex). */
void compare_path_template(const char *path, struct strbuf *out);

#endif

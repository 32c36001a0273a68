/*
 * compare.h - compares stored runs: the samples a verdict needs (per request, per
 * profiled call, per function), verdicts with intervals and a minimum effect, the
 * Benjamini-Hochberg family over functions, call counts as facts, callers of what moved.
 * Pure computation over the store; never prints, never exits. compare_run_metrics()
 * is the per-run latency summary `show` prints.
 */
#ifndef GB_COMPARE_H
#define GB_COMPARE_H

#include <stddef.h>

#include "base/gb.h"
#include "store/store.h"
#include "judge/verdict.h"

/* A sample's summary. n == 0: the other fields are NaN. */
struct compare_dist {
	size_t n;
	double median, p95, mean, min, max;
};

/* One metric of a run, e.g. "POST /v2.1/servers latency". */
struct compare_metric {
	char *name;
	struct compare_dist d;
};

/* The metrics of one run (what show prints). Caller frees with compare_metrics_free(). */
int compare_run_metrics(struct store *db, long long run, struct compare_metric **out, size_t *n,
			struct gb_err *err);
void compare_metrics_free(struct compare_metric *m, size_t n);

/* Summary of x[0..n) (x is sorted in place). Quantiles are type 7 (linear). */
void compare_summarize(double *x, size_t n, struct compare_dist *out);

/* "/v2.1/servers/5a1f...-..." -> "/v2.1/servers/{id}" (ids, numbers, long hex). */
void compare_path_template(const char *path, struct strbuf *out);


/* ---- samples: what a verdict needs from one run ---- */

/* The profiled call's two series: its wall time ("call X": the target's cumtime) and
 * its busy time ("busy X": every own time in the profile but greenprof's
 * '<greenlet switch>' entry, i.e. the time the profiled greenlets were running, waits
 * for I/O and other greenlets excluded). Both scatter about alike run to run, but work
 * a patch adds is a larger share of the busy time, so it shows there first. */
#define COMPARE_CALL_PREFIX "call"
#define COMPARE_BUSY_PREFIX "busy"
/* ... and, first when greenprof recorded it, its CPU time ("cpu X": the thread CPU clock
 * of the call's own execution), which neither waits nor other processes inflate. */
#define COMPARE_CPU_PREFIX "cpu"

/* One metric's samples in one run: latencies (one per request or server), the
 * profiled call's CPU (when every profile of the run has it), wall and busy time (one
 * each per stored profile). */
struct compare_series {
	char *name;     /* "POST /v2.1/servers latency", "cpu X", "call X", "busy X" */
	int is_target;  /* 1: the profiled call's CPU, wall or busy time (the headline metrics) */
	double *x;
	size_t n;
};

/* Per-function samples of one run: one value per stored profile (0 when the
 * profile does not call the function). */
struct compare_fsamples {
	char *file;
	long line;
	char *name;
	double *tt, *ct; /* seconds, [n_profiles] */
	double *nc;      /* calls, [n_profiles] */
};

struct compare_run_samples {
	long long run_id;
	struct compare_series *series;
	size_t n_series;
	struct compare_fsamples *funcs;
	size_t n_funcs;
	size_t n_profiles;
};

/* Load every sample of run (functions only when with_funcs). target: the profile
 * target substring to keep (NULL: all profiles). Caller releases out. */
int compare_load_run(struct store *db, long long run, const char *target, int with_funcs,
		     struct compare_run_samples *out, struct gb_err *err);

/* Each latency sample of run, in order: requests ("POST /v2.1/servers/{id} latency"),
 * then the servers' times to ACTIVE and to deleted. */
typedef void (*compare_sample_fn)(void *arg, const char *name, double value);
int compare_each_latency(struct store *db, long long run, compare_sample_fn fn, void *arg,
			 struct gb_err *err);
void compare_run_samples_release(struct compare_run_samples *s);

/* The index of the series called name in s, or of the headline (the profiled call's
 * CPU time, else its wall time, else the first latency) when name is NULL; -1 when
 * there is none. Accepts the short names "cpu" (the call's CPU time), "target" (its
 * wall time), "busy" (its busy time), "post", "active", "deleted" as well as the full
 * ones. */
long compare_find_series(const struct compare_run_samples *s, const char *name);

/* 1 when a series (or metric row) name is the profiled call's CPU time ("cpu X"). */
int compare_is_cpu_name(const char *name);

/* The CPU series is judged only when every run of both sides has it: returns 1 then;
 * otherwise removes it from every run, returns 0 and, when there were profiles, appends
 * to note why the call is judged on wall and busy time instead. */
int compare_cpu_or_fallback(struct compare_run_samples *sa, size_t n_a, struct compare_run_samples *sb,
			    size_t n_b, struct strbuf *note);

/* 1 when (file, name) is greenprof's switch entry ('~', '<greenlet switch>'): time a
 * profiled greenlet spent switched out, waiting. */
int compare_is_switch_entry(const char *file, const char *name);

/* ---- verdicts ---- */

enum compare_mode {
	COMPARE_WITHIN_RUN = 0, /* one run per side: each request/profile is a sample */
	COMPARE_PER_RUN,        /* groups of runs: each run's median is one sample */
};

struct compare_opts {
	double alpha;        /* false discovery rate / significance, VERDICT_ALPHA */
	double min_effect;   /* smallest relative change that counts, VERDICT_MIN_EFFECT */
	size_t top_n;        /* functions listed (moved and count facts each) */
	int force;           /* compare different scenarios / fake-compute counts anyway */
	int with_callers;    /* read the raw dumps for the callers of listed functions */
	const char *target;  /* profile target substring, NULL: all */
	double busy_ratio;   /* a run is "busy" when load1 > cpu_count * busy_ratio (0.7) */
	double floor;        /* functions whose own time per call stays below this share of
			      * the profiled call's time on both sides are not tested (1e-4):
			      * they cannot matter, and a smaller family has more power */
};

#define COMPARE_OPTS_DEFAULT { VERDICT_ALPHA, VERDICT_MIN_EFFECT, 15, 0, 1, NULL, 0.7, 1e-4 }

/* One judged metric. */
struct compare_row {
	char *name;          /* metric name, or the function's pstats label */
	char *file;          /* function rows: key; NULL for metrics */
	long line;
	char *func;
	int is_target;
	int is_primary;      /* metric rows: the answer is decided on these (the profiled call's
			      * CPU time when every run has it, else its wall and busy time, else
			      * the first latency); the call's other rows stand beside them */
	struct verdict v;    /* tottime for functions; calls for count rows */
	double ct_a, ct_b;   /* function rows: median cumtime per sample */
	double delta;        /* median_b - median_a, seconds (or calls) */
	int presence;        /* function rows: 1 only B runs it (new), -1 only A (gone), else 0 */
	char **callers;      /* "file:line(name)" of the top callers in B (or A), most time first */
	size_t n_callers;
};

struct compare_verdict {
	enum compare_mode mode;
	double alpha, min_effect;     /* as judged */
	long long *runs_a, *runs_b;
	size_t n_a, n_b;
	char *scenario_a, *scenario_b;
	char refused[320];    /* why these runs should not be compared (set even with force) */
	char **notes;         /* warnings: busy host, within-run samples, revisions, failures */
	size_t n_notes;
	struct compare_row *metrics;  /* the profiled call first, then latencies */
	size_t n_metrics;
	struct compare_row *funcs;    /* functions whose own time moved (flagged first, largest
				       * |delta| first), at most top_n */
	size_t n_funcs;
	size_t n_funcs_tested;        /* the family size (BH) */
	size_t n_funcs_untested;      /* below the floor: too small to matter, not tested */
	struct compare_row *movers;   /* where the time went: the (at most 5) largest |delta| of
				       * own time per call among the flagged functions and those
				       * that moved >= min_effect or are new/gone, flagged or not
				       * (copies); '<greenlet switch>' (waiting) is left out */
	size_t n_movers;
	size_t n_funcs_slower, n_funcs_faster;
	struct compare_row *counts;   /* call counts that changed, facts first, at most top_n */
	size_t n_counts;
	size_t n_counts_changed;      /* in all */
	int is_regression;            /* a primary row or a latency is SLOWER (the call's wall
				       * and busy time beside its CPU time do not decide) */
	int is_improvement;           /* one of those FASTER and none SLOWER */
	int is_inconclusive;          /* nothing SLOWER or FASTER, and a primary row is not
				       * inside +-min_effect: "not enough evidence", exit 5 */
	size_t n_more;                /* then: about how many more runs per side would likely
				       * settle it (the largest of the headline rows'), 0 unknown */
};

/*
 * Judge runs b[] against runs a[]. One run per side: within-run samples (and a note
 * saying run-to-run noise is not captured); more: one sample per run (its median).
 * Runs of different scenarios or fake-compute counts: -1 with err (exit 2) naming the
 * difference, unless o->force (then out->refused keeps the reason). NULL o: defaults.
 * The caller releases out.
 */
int compare_judge(struct store *db, const long long *a, size_t n_a, const long long *b, size_t n_b,
		  const struct compare_opts *o, struct compare_verdict *out, struct gb_err *err);
void compare_verdict_release(struct compare_verdict *v);

/* Parse "12", "last", "A1,A2,A3" into run ids (each item as store_resolve_run). The
 * caller frees *ids. */
int compare_resolve_list(struct store *db, const char *spec, long long **ids, size_t *n,
			 struct gb_err *err);

#endif

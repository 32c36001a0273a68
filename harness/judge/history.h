/*
 * history.h - a scenario's runs over time, read from the store: the series of one
 * metric (one median per run) with its change points (trend), and the nightly
 * judgement of a new run against the good runs before it on the same host.
 * Reads the store (and marks baselines); never prints, never exits, never runs anything.
 */
#ifndef GB_HISTORY_H
#define GB_HISTORY_H

#include <stddef.h>

#include "judge/changepoint.h"
#include "judge/compare.h"
#include "store/store.h"

struct history_opts {
	size_t max_runs;    /* how many runs before the new one (--history N), default 30 */
	double min_effect;  /* smallest step that counts, VERDICT_MIN_EFFECT */
	double alpha;       /* for the functions' compare, VERDICT_ALPHA */
	const char *metric; /* series name or alias (compare_find_series); NULL: the profiled call */
};

#define HISTORY_OPTS_DEFAULT { 30, VERDICT_MIN_EFFECT, VERDICT_ALPHA, NULL }

struct history_point {
	long long run_id;
	double started_at;
	char *label;        /* NULL when none */
	char *revision;     /* service revision, NULL when unknown */
	int is_baseline;
	int is_change;      /* 1: a change point: a new level starts at this run */
	double value;       /* the run's median of the metric */
};

struct history_series {
	char *scenario;
	char *metric;       /* the full series name */
	struct history_point *pts; /* oldest first */
	size_t n;
	size_t n_skipped;   /* good runs without the metric */
};

/* The last o->max_runs good runs of scenario (every host), with change points marked.
 * Caller releases out. Exit 2 error when the scenario has no run with the metric. */
int history_series_load(struct store *db, const char *scenario, const struct history_opts *o,
			struct history_series *out, struct gb_err *err);
void history_series_release(struct history_series *s);

struct history_judgement {
	char *scenario;
	long long run_id;
	char *metric;
	double value;               /* the new run's median */
	long long *history_ids;     /* the runs judged against, oldest first */
	double *history;
	size_t n_history;
	long long baseline_id;      /* the newest baseline the history starts at, 0 none */
	struct cp_judgement cp;
	int is_regression;          /* a new step up: nightly exits 1 */
	int is_inconclusive;        /* no step, but tonight's interval against the level reaches
				     * beyond +-min_effect: "cannot judge", never "steady" (exit 5) */
	double ci_low, ci_high;     /* no step: 95% interval of tonight's change against the
				     * level (one run's noise and the level's), NaN otherwise */
	int has_funcs;              /* funcs holds the level-before vs level-after compare */
	struct compare_verdict funcs;
	char **notes;
	size_t n_notes;
};

/*
 * Judge run new_run of scenario against the good (status ok) runs before it with the
 * same host and fake-compute count, from the newest baseline on, at most o->max_runs.
 * Change-point detection decides: a step that the history alone did not show is a
 * regression (or improvement); one high value alone is a noisy point, not a page;
 * "steady" needs tonight's interval against the level inside +-min_effect, else the
 * night cannot be judged (is_inconclusive). On
 * a step, the runs of the old level are compared with those of the new one (one sample
 * per run) to name the functions that moved. Caller releases out.
 */
int history_judge(struct store *db, const char *scenario, long long new_run,
		  const struct history_opts *o, struct history_judgement *out, struct gb_err *err);
void history_judgement_release(struct history_judgement *j);

/* 1 when run has samples of metric (e.g. "busy": it has profiles), else 0. */
int history_has_metric(struct store *db, long long run, const char *metric);

/* The scenario name of a stored run into *name (caller frees). */
int history_run_scenario(struct store *db, long long run, char **name, struct gb_err *err);

/* Set (on = 1) or clear a run's baseline mark. */
int history_mark_baseline(struct store *db, long long run, int on, struct gb_err *err);

#endif

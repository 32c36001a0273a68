/*
 * history.c - series of a scenario's runs (one median per run) with change points,
 * and the nightly judgement of a new run against the good runs before it.
 * Reads the store (writes only the baseline mark); never prints, never runs anything.
 */
#include "judge/history.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

static int sql_fail(struct store *db, const char *doing, struct gb_err *err)
{
	return gb_errf(err, GB_EXIT_ENV, "%s: %s", doing, sqlite3_errmsg(store_handle(db)));
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? gb_strdup(s) : NULL;
}

/* The run's median of metric (NaN when the run has none); *name gets the series' full
 * name when it is still NULL. */
static int run_value(struct store *db, long long run, const char *metric, double *value,
		     char **name, struct gb_err *err)
{
	struct compare_run_samples s;
	*value = NAN;
	if (compare_load_run(db, run, NULL, 0, &s, err))
		return -1;
	long i = compare_find_series(&s, metric);
	if (i >= 0 && s.series[i].n) {
		*value = stats_median(s.series[i].x, s.series[i].n);
		if (!*name)
			*name = gb_strdup(s.series[i].name);
	}
	compare_run_samples_release(&s);
	return 0;
}

int history_has_metric(struct store *db, long long run, const char *metric)
{
	struct gb_err err = { 0, "" };
	double v;
	char *name = NULL;
	int has = run_value(db, run, metric, &v, &name, &err) == 0 && !isnan(v);
	free(name);
	return has;
}

static void points_free(struct history_point *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].label);
		free(p[i].revision);
	}
	free(p);
}

int history_series_load(struct store *db, const char *scenario, const struct history_opts *opts,
			struct history_series *out, struct gb_err *err)
{
	static const struct history_opts defaults = HISTORY_OPTS_DEFAULT;
	const struct history_opts *o = opts ? opts : &defaults;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_handle(db),
			       "SELECT id, started_at, label, service_revision, is_baseline FROM runs "
			       "WHERE scenario = ?1 AND status = 'ok' ORDER BY id DESC LIMIT ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "reading the runs of a scenario", err);
	sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (long long)(o->max_runs ? o->max_runs : 30));
	struct history_point *rev = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rev = gb_realloc(rev, (n + 1) * sizeof(*rev));
		struct history_point *p = &rev[n++];
		memset(p, 0, sizeof(*p));
		p->run_id = sqlite3_column_int64(st, 0);
		p->started_at = sqlite3_column_double(st, 1);
		p->label = col_dup(st, 2);
		p->revision = col_dup(st, 3);
		p->is_baseline = sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		points_free(rev, n);
		return sql_fail(db, "reading the runs of a scenario", err);
	}
	out->scenario = gb_strdup(scenario);
	out->pts = gb_calloc(n ? n : 1, sizeof(*out->pts));
	for (size_t i = n; i-- > 0;) {
		double v;
		if (run_value(db, rev[i].run_id, o->metric, &v, &out->metric, err)) {
			points_free(rev, n);
			history_series_release(out);
			return -1;
		}
		if (isnan(v)) {
			out->n_skipped++;
			free(rev[i].label);
			free(rev[i].revision);
			continue;
		}
		out->pts[out->n] = rev[i];
		out->pts[out->n++].value = v;
	}
	free(rev);
	if (!out->n) {
		int r = gb_errf(err, GB_EXIT_USAGE, "scenario '%.80s' has no good run%s%.100s%s in the "
						   "store; see 'greenbench list'", scenario,
				o->metric ? " with the metric '" : "", o->metric ? o->metric : "",
				o->metric ? "'" : "");
		history_series_release(out);
		return r;
	}
	if (out->n >= 2) {
		struct cp_opts cpo = CP_OPTS_DEFAULT;
		size_t cps[8], n_cps = 0;
		double *x = gb_malloc(out->n * sizeof(*x));
		for (size_t i = 0; i < out->n; i++)
			x[i] = out->pts[i].value;
		rc = changepoint_detect(x, out->n, &cpo, cps, &n_cps, err);
		free(x);
		if (rc) {
			history_series_release(out);
			return -1;
		}
		for (size_t i = 0; i < n_cps; i++)
			out->pts[cps[i]].is_change = 1;
	}
	return 0;
}

void history_series_release(struct history_series *s)
{
	free(s->scenario);
	free(s->metric);
	points_free(s->pts, s->n);
	memset(s, 0, sizeof(*s));
}

static void add_note(struct history_judgement *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct history_judgement *j, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	j->notes = gb_realloc(j->notes, (j->n_notes + 1) * sizeof(*j->notes));
	j->notes[j->n_notes++] = sb_detach(&sb);
}

int history_judge(struct store *db, const char *scenario, long long new_run,
		  const struct history_opts *opts, struct history_judgement *out, struct gb_err *err)
{
	static const struct history_opts defaults = HISTORY_OPTS_DEFAULT;
	const struct history_opts *o = opts ? opts : &defaults;
	memset(out, 0, sizeof(*out));
	out->scenario = gb_strdup(scenario);
	out->run_id = new_run;
	out->cp.cp = (size_t)-1;
	sqlite3 *h = store_handle(db);
	sqlite3_stmt *st = NULL;
	/* the new run's own facts */
	if (sqlite3_prepare_v2(h, "SELECT scenario, host, fake_computes, status, cpu_count, "
				  "max(coalesce(load1_before, 0), coalesce(load1_after, 0)) FROM runs "
				  "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "reading the new run", err);
	sqlite3_bind_int64(st, 1, new_run);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		history_judgement_release(out);
		if (rc == SQLITE_DONE)
			return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", new_run);
		return sql_fail(db, "reading the new run", err);
	}
	const char *sc = (const char *)sqlite3_column_text(st, 0);
	if (!sc || strcmp(sc, scenario)) {
		int r = gb_errf(err, GB_EXIT_USAGE, "run %lld is scenario '%.80s', not '%.80s'", new_run,
				sc ? sc : "?", scenario);
		sqlite3_finalize(st);
		history_judgement_release(out);
		return r;
	}
	char *host = col_dup(st, 1);
	int fake = sqlite3_column_int(st, 2);
	char *status = col_dup(st, 3);
	int cpus = sqlite3_column_int(st, 4);
	double load = sqlite3_column_double(st, 5);
	sqlite3_finalize(st);
	if (cpus > 0 && load > 0.7 * cpus)
		add_note(out, "run %lld was taken on a busy host: load %.2f on %d CPUs; a high value may be "
			      "the host, not the code", new_run, load, cpus);
	if (status && strcmp(status, "ok"))
		add_note(out, "run %lld did not complete (status %s)", new_run, status);
	free(status);

	/* the history: good runs before it, same host and computes, from the newest baseline */
	rc = sqlite3_prepare_v2(h,
		"SELECT id, is_baseline FROM runs WHERE scenario = ?1 AND status = 'ok' AND id < ?2 "
		"AND fake_computes IS ?3 AND host IS ?4 AND id >= coalesce((SELECT max(id) FROM runs "
		"WHERE scenario = ?1 AND is_baseline = 1 AND id < ?2 AND host IS ?4), 0) "
		"ORDER BY id DESC LIMIT ?5", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		free(host);
		history_judgement_release(out);
		return sql_fail(db, "reading the history", err);
	}
	sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, new_run);
	sqlite3_bind_int(st, 3, fake);
	if (host)
		sqlite3_bind_text(st, 4, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (long long)(o->max_runs ? o->max_runs : 30));
	long long *ids = NULL;
	size_t n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = gb_realloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
		if (sqlite3_column_int(st, 1) && !out->baseline_id)
			out->baseline_id = ids[n - 1];
	}
	sqlite3_finalize(st);
	free(host);
	if (rc != SQLITE_DONE) {
		free(ids);
		history_judgement_release(out);
		return sql_fail(db, "reading the history", err);
	}
	int r = run_value(db, new_run, o->metric, &out->value, &out->metric, err);
	if (!r && isnan(out->value))
		r = gb_errf(err, GB_EXIT_USAGE, "run %lld has no samples of %s; nothing to judge", new_run,
			    o->metric ? o->metric : "the profiled call or any latency");
	out->history_ids = gb_malloc((n ? n : 1) * sizeof(long long));
	out->history = gb_malloc((n ? n : 1) * sizeof(double));
	for (size_t i = n; !r && i-- > 0;) {
		double v;
		r = run_value(db, ids[i], out->metric, &v, &out->metric, err);
		if (r || isnan(v))
			continue;
		out->history_ids[out->n_history] = ids[i];
		out->history[out->n_history++] = v;
	}
	free(ids);
	if (!r)
		r = changepoint_judge(out->history, out->n_history, out->value, NULL, o->min_effect,
				      &out->cp, err);
	if (r) {
		history_judgement_release(out);
		return -1;
	}
	out->is_regression = out->cp.kind == CP_REGRESSION && out->cp.is_new;
	if (out->cp.kind == CP_REGRESSION || out->cp.kind == CP_IMPROVEMENT) {
		/* name the functions: old level's runs vs the new level's (one sample per run) */
		size_t cp = out->cp.cp, len = out->n_history + 1;
		size_t from = cp > 10 ? cp - 10 : 0;
		long long *a = out->history_ids + from;
		size_t n_a = cp - from, n_b = len - cp;
		/* B: the runs of the last segment that sit at the new level (nearer its mean than
		 * the old one); a 3-run segment can still hold one run of the old level */
		long long *b = gb_malloc(n_b * sizeof(*b));
		double mid = (out->cp.mean_before + out->cp.mean_after) / 2;
		int up = out->cp.mean_after > out->cp.mean_before;
		size_t k = 0;
		for (size_t i = 0; i < n_b; i++) {
			double x = cp + i < out->n_history ? out->history[cp + i] : out->value;
			if (up ? x >= mid : x <= mid)
				b[k++] = cp + i < out->n_history ? out->history_ids[cp + i] : new_run;
		}
		n_b = k;
		struct compare_opts co = COMPARE_OPTS_DEFAULT;
		co.alpha = o->alpha;
		co.min_effect = o->min_effect;
		co.force = 1;
		if (n_a && n_b && compare_judge(db, a, n_a, b, n_b, &co, &out->funcs, err) == 0)
			out->has_funcs = 1;
		else if (n_a && n_b)
			add_note(out, "could not compare the functions of the two levels: %s", err->msg);
		free(b);
	}
	return 0;
}

void history_judgement_release(struct history_judgement *j)
{
	free(j->scenario);
	free(j->metric);
	free(j->history_ids);
	free(j->history);
	if (j->has_funcs)
		compare_verdict_release(&j->funcs);
	for (size_t i = 0; i < j->n_notes; i++)
		free(j->notes[i]);
	free(j->notes);
	memset(j, 0, sizeof(*j));
}

int history_mark_baseline(struct store *db, long long run, int on, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(store_handle(db), "UPDATE runs SET is_baseline = ?1 WHERE id = ?2", -1,
			       &st, NULL) != SQLITE_OK)
		return sql_fail(db, "marking a baseline", err);
	sqlite3_bind_int(st, 1, on ? 1 : 0);
	sqlite3_bind_int64(st, 2, run);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(db, "marking a baseline", err);
	if (sqlite3_changes(store_handle(db)) != 1)
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", run);
	return 0;
}

int history_run_scenario(struct store *db, long long run, char **name, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	*name = NULL;
	if (sqlite3_prepare_v2(store_handle(db), "SELECT scenario FROM runs WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, "reading a run", err);
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW)
		*name = col_dup(st, 0);
	sqlite3_finalize(st);
	if (!*name)
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", run);
	return 0;
}

/*
 * history.c - series of a scenario's runs (one median per run) with change points,
 * and the nightly judgement of a new run against the good runs before it.
 * Reads the store (writes only the baseline mark); never prints, never runs anything.
 */
#include "judge/history.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

static char *dup_or_null(const char *s)
{
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
	/* no metric: the series the first run named (one series across runs), else the
	 * call's wall time, else the first latency (the CPU time only when asked for:
	 * older runs lack it) */
	long i = compare_find_series(&s, metric ? metric : *name);
	if (!metric && !*name && compare_find_series(&s, "target") >= 0)
		i = compare_find_series(&s, "target");
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

struct points {
	struct history_point *p;
	size_t n;
};

static int point_row(void *arg, const struct store_row *r)
{
	struct points *s = arg;
	s->p = gb_realloc(s->p, (s->n + 1) * sizeof(*s->p));
	struct history_point *p = &s->p[s->n++];
	memset(p, 0, sizeof(*p));
	p->run_id = r->v[0].i;
	p->started_at = r->v[1].d;
	p->label = dup_or_null(r->v[2].s);
	p->revision = dup_or_null(r->v[3].s);
	p->is_baseline = (int)r->v[4].i;
	return 0;
}

int history_series_load(struct store *db, const char *scenario, const struct history_opts *opts,
			struct history_series *out, struct gb_err *err)
{
	static const struct history_opts defaults = HISTORY_OPTS_DEFAULT;
	const struct history_opts *o = opts ? opts : &defaults;
	memset(out, 0, sizeof(*out));
	struct points pts = { NULL, 0 };
	struct store_value params[2] = { STORE_V_TEXT(scenario),
					 STORE_V_INT((long long)(o->max_runs ? o->max_runs : 30)) };
	if (store_query(db, STORE_Q_SCENARIO_GOOD_RUNS, params, 2, point_row, &pts,
			"reading the runs of a scenario", err)) {
		points_free(pts.p, pts.n);
		return -1;
	}
	struct history_point *rev = pts.p;
	size_t n = pts.n;
	int rc;
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

struct new_run {
	int found;
	char *scenario, *host, *status;
	int fake, cpus;
	double load;
};

static int new_run_row(void *arg, const struct store_row *r)
{
	struct new_run *f = arg;
	f->found = 1;
	f->scenario = dup_or_null(r->v[0].s);
	f->host = dup_or_null(r->v[1].s);
	f->fake = (int)r->v[2].i;
	f->status = dup_or_null(r->v[3].s);
	f->cpus = (int)r->v[4].i;
	f->load = r->v[5].d;
	return 0;
}

struct history_ids {
	long long *ids;
	size_t n;
	struct history_judgement *out;
};

static int history_id_row(void *arg, const struct store_row *r)
{
	struct history_ids *h = arg;
	h->ids = gb_realloc(h->ids, (h->n + 1) * sizeof(*h->ids));
	h->ids[h->n++] = r->v[0].i;
	if (r->v[1].i && !h->out->baseline_id)
		h->out->baseline_id = h->ids[h->n - 1];
	return 0;
}

/* No step: is tonight's value shown to be within +-min_effect of its level? The 95%
 * interval of log(tonight) - mean log(level) is +- t sd sqrt(1 + 1/n) (one run's noise
 * plus the level's, sd robust: 1.4826 MAD of the level's logs); steady needs it inside
 * the margin, else the night cannot be judged. */
static void steady_or_not(struct history_judgement *j, double min_effect)
{
	size_t n = j->n_history, start = j->cp.cp <= n ? j->cp.cp : 0;
	if (n - start < 3)
		start = 0;
	size_t m = n - start;
	j->ci_low = j->ci_high = NAN;
	if (m < 2 || !(j->value > 0))
		return;
	double *l = gb_malloc(m * sizeof(*l));
	for (size_t i = 0; i < m; i++) {
		if (!(j->history[start + i] > 0)) {
			free(l);
			return;
		}
		l[i] = log(j->history[start + i]);
	}
	double mu = stats_mean(l, m), sd = 1.4826 * stats_mad(l, m);
	if (!(sd > 0))
		sd = stats_sd(l, m);
	free(l);
	double z = 1.959964, nu = (double)m - 1;
	double t = z + (z * z * z + z) / (4 * nu); /* Student's t, first Cornish-Fisher term */
	double d = log(j->value) - mu, half = t * sd * sqrt(1 + 1.0 / (double)m);
	j->ci_low = expm1(d - half);
	j->ci_high = expm1(d + half);
	if (j->ci_low > -min_effect && j->ci_high < min_effect) {
		snprintf(j->cp.reason, sizeof(j->cp.reason),
			 "steady: %+.1f%% against the level of %zu runs (95%% interval %+.1f%% .. %+.1f%%, "
			 "inside +-%g%%)", 100 * expm1(d), m, 100 * j->ci_low, 100 * j->ci_high,
			 100 * min_effect);
		return;
	}
	j->is_inconclusive = 1;
	snprintf(j->cp.reason, sizeof(j->cp.reason),
		 "cannot judge: %+.1f%% against the level of %zu runs, but with %.1f%% run-to-run "
		 "noise its 95%% interval %+.1f%% .. %+.1f%% reaches beyond +-%g%%; a step is called "
		 "after 3 runs at a new level", 100 * expm1(d), m, 100 * sd, 100 * j->ci_low,
		 100 * j->ci_high, 100 * min_effect);
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
	/* the new run's own facts */
	struct new_run f = { 0, NULL, NULL, NULL, 0, 0, 0 };
	if (store_query_run(db, STORE_Q_RUN_NIGHTLY_FACTS, new_run, new_run_row, &f,
			    "reading the new run", err)) {
		history_judgement_release(out);
		return -1;
	}
	if (!f.found) {
		history_judgement_release(out);
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", new_run);
	}
	const char *sc = f.scenario;
	if (!sc || strcmp(sc, scenario)) {
		int r = gb_errf(err, GB_EXIT_USAGE, "run %lld is scenario '%.80s', not '%.80s'", new_run,
				sc ? sc : "?", scenario);
		free(f.scenario);
		free(f.host);
		free(f.status);
		history_judgement_release(out);
		return r;
	}
	free(f.scenario);
	char *host = f.host;
	int fake = f.fake, cpus = f.cpus;
	char *status = f.status;
	double load = f.load;
	if (cpus > 0 && load > 0.7 * cpus)
		add_note(out, "run %lld was taken on a busy host: load %.2f on %d CPUs; a high value may be "
			      "the host, not the code", new_run, load, cpus);
	if (status && strcmp(status, "ok"))
		add_note(out, "run %lld did not complete (status %s)", new_run, status);
	free(status);

	/* the history: good runs before it, same host and computes, from the newest baseline */
	struct history_ids h = { NULL, 0, out };
	struct store_value params[5] = { STORE_V_TEXT(scenario), STORE_V_INT(new_run), STORE_V_INT(fake),
					 STORE_V_TEXT(host),
					 STORE_V_INT((long long)(o->max_runs ? o->max_runs : 30)) };
	int rc = store_query(db, STORE_Q_SCENARIO_HISTORY, params, 5, history_id_row, &h,
			     "reading the history", err);
	free(host);
	long long *ids = h.ids;
	size_t n = h.n;
	if (rc) {
		free(ids);
		history_judgement_release(out);
		return -1;
	}
	int r = run_value(db, new_run, o->metric, &out->value, &out->metric, err);
	if (!r && isnan(out->value))
		r = gb_errf(err, GB_EXIT_USAGE, "run %lld has no samples of %s; nothing to judge", new_run,
			    o->metric ? o->metric : "the profiled call or any latency");
	out->history_ids = gb_malloc((n ? n : 1) * sizeof(long long));
	out->history = gb_malloc((n ? n : 1) * sizeof(double));
	size_t n_without = 0;
	for (size_t i = n; !r && i-- > 0;) {
		double v;
		r = run_value(db, ids[i], out->metric, &v, &out->metric, err);
		if (!r && isnan(v))
			n_without++;
		if (r || isnan(v))
			continue;
		out->history_ids[out->n_history] = ids[i];
		out->history[out->n_history++] = v;
	}
	free(ids);
	if (!r && n_without)
		add_note(out, "%zu of the %zu earlier runs have no %s (older dumps, e.g. without greenprof's "
			      "CPU time); judged against the %zu that do", n_without, n, out->metric ? out->metric : "value",
			 out->n_history);
	if (!r)
		r = changepoint_judge(out->history, out->n_history, out->value, NULL, o->min_effect,
				      &out->cp, err);
	if (r) {
		history_judgement_release(out);
		return -1;
	}
	out->is_regression = out->cp.kind == CP_REGRESSION && out->cp.is_new;
	out->ci_low = out->ci_high = NAN;
	if (out->cp.kind == CP_STEADY)
		steady_or_not(out, o->min_effect);
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
	return store_set_baseline(db, run, on, err);
}

static int scenario_row(void *arg, const struct store_row *r)
{
	char **name = arg;
	if (!*name)
		*name = dup_or_null(r->v[0].s);
	return 0;
}

int history_run_scenario(struct store *db, long long run, char **name, struct gb_err *err)
{
	*name = NULL;
	if (store_query_run(db, STORE_Q_RUN_SCENARIO, run, scenario_row, name, "reading a run", err))
		return -1;
	if (!*name)
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", run);
	return 0;
}

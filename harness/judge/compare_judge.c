/*
 * compare_judge.c - verdicts over stored runs: B against A within runs or one sample per
 * run, the profiled call alone, latencies and functions as BH families, count facts,
 * callers of what moved, scenario refusals and host notes. Samples come from
 * compare_samples.c. Reads the store only; never prints, never exits.
 */
#include "judge/compare.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

/* ---- run facts: scenario, host, load ---- */

struct run_facts {
	char *scenario, *host, *revision, *status;
	int fake_computes, cpu_count;
	double load1_before, load1_after; /* NaN unknown */
};

static int facts_row(void *arg, const struct store_row *r)
{
	struct run_facts *f = arg;
	const char *c;
	f->scenario = gb_strdup((c = r->v[0].s) ? c : "?");
	f->host = (c = r->v[1].s) ? gb_strdup(c) : NULL;
	f->revision = (c = r->v[2].s) ? gb_strdup(c) : NULL;
	f->status = gb_strdup((c = r->v[3].s) ? c : "?");
	f->fake_computes = (int)r->v[4].i;
	f->cpu_count = (int)r->v[5].i;
	f->load1_before = r->v[6].type == STORE_NULL ? NAN : r->v[6].d;
	f->load1_after = r->v[7].type == STORE_NULL ? NAN : r->v[7].d;
	return 0;
}

static int load_facts(struct store *db, long long run, struct run_facts *f, struct gb_err *err)
{
	memset(f, 0, sizeof(*f));
	char doing[64];
	snprintf(doing, sizeof(doing), "reading run %lld from the store", run);
	if (store_query_run(db, STORE_Q_RUN_FACTS, run, facts_row, f, doing, err))
		return -1;
	if (!f->scenario)
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store; see 'greenbench list'", run);
	return 0;
}

static void facts_free(struct run_facts *f)
{
	free(f->scenario);
	free(f->host);
	free(f->revision);
	free(f->status);
}

static void add_note(struct compare_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct compare_verdict *v, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	v->notes = gb_realloc(v->notes, (v->n_notes + 1) * sizeof(*v->notes));
	v->notes[v->n_notes++] = sb_detach(&sb);
}

/* Refusals and notes from the runs' own facts. */
static int check_runs(struct compare_verdict *v, const struct run_facts *fa, const struct run_facts *fb,
		      const struct compare_opts *o, struct gb_err *err)
{
	size_t n = v->n_a + v->n_b;
	const struct run_facts *first = &fa[0];
	for (size_t i = 1; i < n && !v->refused[0]; i++) {
		const struct run_facts *f = i < v->n_a ? &fa[i] : &fb[i - v->n_a];
		long long id = i < v->n_a ? v->runs_a[i] : v->runs_b[i - v->n_a];
		if (strcmp(f->scenario, first->scenario))
			snprintf(v->refused, sizeof(v->refused),
				 "run %lld is scenario '%.80s' but run %lld is '%.80s': different workloads "
				 "give different numbers", v->runs_a[0], first->scenario, id, f->scenario);
		else if (f->fake_computes != first->fake_computes)
			snprintf(v->refused, sizeof(v->refused),
				 "run %lld had %d fake computes but run %lld had %d: the scheduler's work "
				 "grows with the computes", v->runs_a[0], first->fake_computes, id,
				 f->fake_computes);
	}
	if (v->refused[0] && !o->force)
		return gb_errf(err, GB_EXIT_USAGE, "refusing to compare: %s; pass --force to compare anyway",
			       v->refused);
	if (v->refused[0])
		add_note(v, "compared anyway (--force): %s", v->refused);
	return 0;
}

/* Notes on the hosts the runs were taken on. */
static void host_notes(struct compare_verdict *v, const struct run_facts *fa, const struct run_facts *fb,
		       const struct compare_opts *o)
{
	size_t n = v->n_a + v->n_b;
	const struct run_facts *first = &fa[0];
	struct strbuf busy = STRBUF_INIT;
	size_t n_busy = 0;
	double lo = INFINITY, hi = -INFINITY, limit_seen = NAN;
	int cpus_seen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct run_facts *f = i < v->n_a ? &fa[i] : &fb[i - v->n_a];
		long long id = i < v->n_a ? v->runs_a[i] : v->runs_b[i - v->n_a];
		double limit = f->cpu_count > 0 ? f->cpu_count * o->busy_ratio : NAN;
		double worst = isnan(f->load1_before) ? f->load1_after
			     : isnan(f->load1_after) ? f->load1_before
			     : fmax(f->load1_before, f->load1_after);
		if (!isnan(limit) && worst > limit) {
			sb_addf(&busy, "%s%lld", n_busy++ ? "," : "", id);
			lo = fmin(lo, worst);
			hi = fmax(hi, worst);
			limit_seen = limit;
			cpus_seen = f->cpu_count;
		}
		if (strcmp(f->status, "ok"))
			add_note(v, "run %lld did not complete (status %s): its samples are partial", id,
				 f->status);
	}
	if (n_busy == 1)
		add_note(v, "run %s was taken on a busy host: load %.2f on %d CPUs (above %.2f); "
			    "its numbers may be inflated, rerun on a quiet host",
			 sb_str(&busy), hi, cpus_seen, limit_seen);
	else if (n_busy)
		add_note(v, "%zu of %zu runs were taken on a busy host (load %.2f .. %.2f on %d CPUs, "
			    "above %.2f: runs %s); their timings may be inflated and noisier, a quiet "
			    "host gives tighter intervals", n_busy, n, lo, hi, cpus_seen, limit_seen,
			 sb_str(&busy));
	sb_release(&busy);
	for (size_t i = 1; i < n; i++) {
		const struct run_facts *f = i < v->n_a ? &fa[i] : &fb[i - v->n_a];
		if (f->host && first->host && strcmp(f->host, first->host)) {
			add_note(v, "the runs come from different hosts (%.60s, %.60s): hardware differences "
				    "look like code differences", first->host, f->host);
			break;
		}
	}
	const char *ra = fa[0].revision, *rb = fb[0].revision;
	if (ra && rb && strcmp(ra, rb))
		add_note(v, "service revision %.60s (A) -> %.60s (B)", ra, rb);
}

/* ---- judging ---- */

struct side_values {
	double *x;
	size_t n;
};

static void sv_push(struct side_values *s, double v)
{
	s->x = gb_realloc(s->x, (s->n + 1) * sizeof(double));
	s->x[s->n++] = v;
}

static void sv_append(struct side_values *s, const double *x, size_t n)
{
	if (!n)
		return;
	s->x = gb_realloc(s->x, (s->n + n) * sizeof(double));
	memcpy(s->x + s->n, x, n * sizeof(double));
	s->n += n;
}

static double mean_of(const double *x, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return n ? sum / (double)n : 0;
}

static int is_constant(const double *x, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (x[i] != x[0])
			return 0;
	return 1;
}

static int cmp_row(const void *pa, const void *pb)
{
	const struct compare_row *a = pa, *b = pb;
	int fa = a->v.kind == VERDICT_SLOWER || a->v.kind == VERDICT_FASTER;
	int fb = b->v.kind == VERDICT_SLOWER || b->v.kind == VERDICT_FASTER;
	if (fa != fb)
		return fb - fa;
	if (a->v.is_count_fact != b->v.is_count_fact)
		return b->v.is_count_fact - a->v.is_count_fact;
	double da = fabs(a->delta), dbb = fabs(b->delta);
	if (da != dbb)
		return da > dbb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void row_free(struct compare_row *r)
{
	free(r->name);
	free(r->file);
	free(r->func);
	for (size_t i = 0; i < r->n_callers; i++)
		free(r->callers[i]);
	free(r->callers);
}

/* A copy of a function row before its callers are filled. */
static struct compare_row row_dup(const struct compare_row *r)
{
	struct compare_row c = *r;
	c.name = r->name ? gb_strdup(r->name) : NULL;
	c.file = r->file ? gb_strdup(r->file) : NULL;
	c.func = r->func ? gb_strdup(r->func) : NULL;
	c.callers = NULL;
	c.n_callers = 0;
	return c;
}

static void rows_free(struct compare_row *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		row_free(&r[i]);
	free(r);
}

/* The headline metrics: every series of either side, the profiled call first. */
static int judge_metrics(struct compare_verdict *v, struct compare_run_samples *sa,
			 struct compare_run_samples *sb, const struct compare_opts *o,
			 struct gb_err *err)
{
	char **names = NULL;
	int *is_target = NULL;
	size_t n = 0;
	for (size_t side = 0; side < 2; side++) {
		struct compare_run_samples *s = side ? sb : sa;
		size_t runs = side ? v->n_b : v->n_a;
		for (size_t r = 0; r < runs; r++)
			for (size_t i = 0; i < s[r].n_series; i++) {
				size_t k;
				for (k = 0; k < n && strcmp(names[k], s[r].series[i].name); k++)
					;
				if (k < n)
					continue;
				names = gb_realloc(names, (n + 1) * sizeof(*names));
				is_target = gb_realloc(is_target, (n + 1) * sizeof(*is_target));
				names[n] = s[r].series[i].name;
				is_target[n++] = s[r].series[i].is_target;
			}
	}
	struct side_values *vals = gb_calloc(2 * (n ? n : 1), sizeof(*vals));
	struct verdict_metric *m = gb_calloc(n ? n : 1, sizeof(*m));
	for (size_t k = 0; k < n; k++) {
		for (size_t side = 0; side < 2; side++) {
			struct compare_run_samples *s = side ? sb : sa;
			size_t runs = side ? v->n_b : v->n_a;
			for (size_t r = 0; r < runs; r++) {
				long i = compare_find_series(&s[r], names[k]);
				if (i < 0 || !s[r].series[i].n)
					continue;
				if (v->mode == COMPARE_WITHIN_RUN)
					sv_append(&vals[2 * k + side], s[r].series[i].x, s[r].series[i].n);
				else
					sv_push(&vals[2 * k + side], stats_median(s[r].series[i].x, s[r].series[i].n));
			}
		}
		m[k] = (struct verdict_metric){ names[k], vals[2 * k].x, vals[2 * k].n, vals[2 * k + 1].x,
						vals[2 * k + 1].n, 0 };
	}
	/* two families: the profiled call (the question asked: alone, unadjusted) and the
	 * latencies (Benjamini-Hochberg among themselves) */
	struct verdict *out = gb_calloc(n ? n : 1, sizeof(*out));
	struct verdict_metric *fam = gb_calloc(n ? n : 1, sizeof(*fam));
	struct verdict *fam_out = gb_calloc(n ? n : 1, sizeof(*fam_out));
	size_t *at = gb_calloc(n ? n : 1, sizeof(*at));
	int rc = 0;
	for (int pass = 1; !rc && pass >= 0; pass--) {
		size_t nf = 0;
		for (size_t k = 0; k < n; k++)
			if (is_target[k] == pass) {
				at[nf] = k;
				fam[nf++] = m[k];
			}
		rc = verdict_family(fam, nf, o->alpha, o->min_effect, fam_out, err);
		for (size_t i = 0; !rc && i < nf; i++)
			out[at[i]] = fam_out[i];
	}
	free(fam);
	free(fam_out);
	free(at);
	if (!rc) {
		v->metrics = gb_calloc(n ? n : 1, sizeof(*v->metrics));
		/* targets first, then in order of appearance */
		for (int pass = 1; pass >= 0; pass--)
			for (size_t k = 0; k < n; k++) {
				if (is_target[k] != pass)
					continue;
				struct compare_row *row = &v->metrics[v->n_metrics++];
				row->name = gb_strdup(names[k]);
				row->is_target = is_target[k];
				row->v = out[k];
				row->delta = out[k].median_b - out[k].median_a;
				row->ct_a = row->ct_b = NAN;
				if (out[k].kind == VERDICT_SLOWER)
					v->is_regression = 1;
				if (out[k].kind == VERDICT_FASTER)
					v->is_improvement = 1;
			}
	}
	for (size_t k = 0; k < 2 * n; k++)
		free(vals[k].x);
	free(vals);
	free(m);
	free(out);
	free(names);
	free(is_target);
	return rc;
}

/* Per-function samples on one side: within-run, a run's profiles; per run, a run's
 * time per profiled call (total / profiles: the median of a function that only some
 * calls reach would be 0). */
static void func_side(const struct compare_verdict *v, struct compare_run_samples *s, size_t runs,
		      size_t **map, size_t k, int what, struct side_values *out)
{
	for (size_t r = 0; r < runs; r++) {
		size_t np = s[r].n_profiles;
		if (!np)
			continue;
		size_t idx = map[r][k];
		const double *x = NULL;
		if (idx != (size_t)-1)
			x = what == 0 ? s[r].funcs[idx].tt : what == 1 ? s[r].funcs[idx].ct : s[r].funcs[idx].nc;
		if (v->mode == COMPARE_WITHIN_RUN) {
			for (size_t p = 0; p < np; p++)
				sv_push(out, x ? x[p] : 0);
		} else {
			sv_push(out, x ? mean_of(x, np) : 0);
		}
	}
}

/* ---- per-function verdicts (judge_funcs and its steps) ---- */

/* Step 1, the keys: map every run's function to the union's index (rev[run][index in
 * keys] = index in the run's funcs, or -1). */
static size_t **func_keys(const struct compare_verdict *v, struct compare_run_samples *sa,
			  struct compare_run_samples *sb, struct pstats *keys)
{
	/* A patch moves the lines of the functions below it, so a (file, name) that has
	 * one line in every run is one function whatever its line (shown with its first
	 * side's line); only names with several lines in one run (lambdas, nested defs)
	 * keep the line as key. */
	size_t nr = v->n_a + v->n_b;
	size_t **rev = gb_calloc(nr, sizeof(*rev));
	struct pstats *names = pstats_new(); /* (file, 0, name) */
	long *canon = NULL;
	size_t *last_run = NULL;
	bool *multi = NULL;
	size_t names_alloc = 0;
	for (size_t r = 0; r < nr; r++) {
		struct compare_run_samples *s = r < v->n_a ? &sa[r] : &sb[r - v->n_a];
		for (size_t i = 0; i < s->n_funcs; i++) {
			size_t before = names->n_funcs;
			size_t k2 = pstats_intern(names, s->funcs[i].file, 0, s->funcs[i].name);
			if (k2 >= names_alloc) {
				names_alloc = names_alloc ? 2 * names_alloc : 256;
				while (names_alloc <= k2)
					names_alloc *= 2;
				canon = gb_realloc(canon, names_alloc * sizeof(*canon));
				last_run = gb_realloc(last_run, names_alloc * sizeof(*last_run));
				multi = gb_realloc(multi, names_alloc * sizeof(*multi));
			}
			if (names->n_funcs > before) { /* first sight */
				canon[k2] = s->funcs[i].line;
				last_run[k2] = r;
				multi[k2] = false;
				continue;
			}
			if (last_run[k2] == r) /* twice in one run: two functions, one name */
				multi[k2] = true;
			last_run[k2] = r;
		}
	}
	for (size_t r = 0; r < nr; r++) {
		struct compare_run_samples *s = r < v->n_a ? &sa[r] : &sb[r - v->n_a];
		for (size_t i = 0; i < s->n_funcs; i++) {
			size_t k2 = pstats_find(names, s->funcs[i].file, 0, s->funcs[i].name);
			long line = multi[k2] ? s->funcs[i].line : canon[k2];
			pstats_intern(keys, s->funcs[i].file, line, s->funcs[i].name);
		}
	}
	size_t nf = keys->n_funcs;
	for (size_t r = 0; r < nr; r++) {
		struct compare_run_samples *s = r < v->n_a ? &sa[r] : &sb[r - v->n_a];
		rev[r] = gb_malloc((nf ? nf : 1) * sizeof(size_t));
		for (size_t k = 0; k < nf; k++)
			rev[r][k] = (size_t)-1;
		for (size_t i = 0; i < s->n_funcs; i++) {
			size_t k2 = pstats_find(names, s->funcs[i].file, 0, s->funcs[i].name);
			long line = multi[k2] ? s->funcs[i].line : canon[k2];
			rev[r][pstats_find(keys, s->funcs[i].file, line, s->funcs[i].name)] = i;
		}
	}
	pstats_free(names);
	free(canon);
	free(last_run);
	free(multi);
	return rev;
}

/* Step 2, the samples and the family: per function its tottime, cumtime and calls on
 * each side (vals[6k + 2 what + side]), and the metrics to test (m[0..*nm), which[j]:
 * 2k tottime of function k, 2k + 1 its calls), timed functions above the floor only. */
struct func_family {
	size_t nf;                 /* functions in the union */
	struct side_values *vals;  /* 6 per function */
	struct verdict_metric *m;  /* nm of them */
	size_t *which;
	size_t nm;
};

static void func_family(struct compare_verdict *v, struct compare_run_samples *sa,
			struct compare_run_samples *sb, const struct compare_opts *o,
			const struct pstats *keys, size_t **rev, struct func_family *f)
{
	size_t nf = f->nf = keys->n_funcs;
	/* metrics 2k: tottime, 2k + 1: calls (count facts leave the family by themselves) */
	struct side_values *vals = f->vals = gb_calloc(6 * (nf ? nf : 1), sizeof(*vals));
	struct verdict_metric *m = f->m = gb_calloc(2 * (nf ? nf : 1), sizeof(*m));
	for (size_t k = 0; k < nf; k++)
		for (int what = 0; what < 3; what++) {
			func_side(v, sa, v->n_a, rev, k, what, &vals[6 * k + 2 * what]);
			func_side(v, sb, v->n_b, rev + v->n_a, k, what, &vals[6 * k + 2 * what + 1]);
		}
	/* the floor: a share of the profiled call's time */
	double floor_secs = 0;
	if (v->n_metrics && v->metrics[0].is_target && o->floor > 0)
		floor_secs = o->floor * fmax(isnan(v->metrics[0].v.median_a) ? 0 : v->metrics[0].v.median_a,
					     isnan(v->metrics[0].v.median_b) ? 0 : v->metrics[0].v.median_b);
	size_t nm = 0;
	size_t *which = f->which = gb_malloc(2 * (nf ? nf : 1) * sizeof(*which));
	for (size_t k = 0; k < nf; k++) {
		struct side_values *t = &vals[6 * k], *c = &vals[6 * k + 4];
		double ma = mean_of(t[0].x, t[0].n), mb = mean_of(t[1].x, t[1].n);
		int any_time = ma > 0 || mb > 0;
		int big = any_time && (ma >= floor_secs || mb >= floor_secs);
		if (big) {
			which[nm] = 2 * k;
			m[nm++] = (struct verdict_metric){ keys->funcs[k].name, t[0].x, t[0].n, t[1].x, t[1].n, 0 };
		} else if (any_time) {
			v->n_funcs_untested++;
		}
		/* calls: a fact for every function; a test only for those above the floor */
		if (big || (is_constant(c[0].x, c[0].n) && is_constant(c[1].x, c[1].n))) {
			which[nm] = 2 * k + 1;
			m[nm++] = (struct verdict_metric){ keys->funcs[k].name, c[0].x, c[0].n, c[1].x, c[1].n, 1 };
		}
	}
	f->nm = nm;
}

/* Step 3, the rows: a row per timed function the family tested and per changed call
 * count; the smallest sample sizes of the tested ones into *na_min, *nb_min. */
static void func_rows(struct compare_verdict *v, const struct pstats *keys,
		      const struct func_family *f, const struct verdict *out,
		      struct compare_row *times, size_t *n_times_out, struct compare_row *counts,
		      size_t *n_counts_out, size_t *na_min_out, size_t *nb_min_out)
{
	const struct side_values *vals = f->vals;
	const size_t *which = f->which;
	size_t nm = f->nm;
	size_t na_min = SIZE_MAX, nb_min = SIZE_MAX;
	size_t n_times = 0, n_counts = 0;
	struct strbuf label = STRBUF_INIT;
	for (size_t j = 0; j < nm; j++) {
		size_t k = which[j] / 2;
		int is_count = which[j] % 2;
		const struct verdict *vd = &out[j];
		if (!is_count && !vd->is_count_fact && !isnan(vd->p_adjusted) &&
		    vd->kind != VERDICT_INSUFFICIENT_DATA) {
			v->n_funcs_tested++;
			na_min = na_min < vd->n_a ? na_min : vd->n_a;
			nb_min = nb_min < vd->n_b ? nb_min : vd->n_b;
		}
		if (is_count && vd->kind == VERDICT_NO_CHANGE)
			continue;
		if (is_count && vd->kind == VERDICT_INSUFFICIENT_DATA &&
		    vd->median_a == vd->median_b)
			continue;
		struct compare_row *row = is_count ? &counts[n_counts++] : &times[n_times++];
		sb_reset(&label);
		pstats_func_label(&keys->funcs[k], &label);
		row->name = gb_strdup(sb_str(&label));
		row->file = gb_strdup(keys->funcs[k].file);
		row->line = keys->funcs[k].line;
		row->func = gb_strdup(keys->funcs[k].name);
		row->v = *vd;
		row->delta = vd->median_b - vd->median_a;
		/* a function one side never ran: "new in B" / "gone in B", not a ratio */
		if (vd->median_a == 0 && vd->median_b > 0) {
			row->presence = 1;
			row->v.rel_change = INFINITY;
		} else if (vd->median_b == 0 && vd->median_a > 0) {
			row->presence = -1;
			row->v.rel_change = -1;
		}
		row->ct_a = vals[6 * k + 2].n ? stats_median(vals[6 * k + 2].x, vals[6 * k + 2].n) : NAN;
		row->ct_b = vals[6 * k + 3].n ? stats_median(vals[6 * k + 3].x, vals[6 * k + 3].n) : NAN;
		if (!is_count && vd->kind == VERDICT_SLOWER)
			v->n_funcs_slower++;
		if (!is_count && vd->kind == VERDICT_FASTER)
			v->n_funcs_faster++;
	}
	sb_release(&label);
	*n_times_out = n_times;
	*n_counts_out = n_counts;
	*na_min_out = na_min;
	*nb_min_out = nb_min;
}

/* Step 4, the caveat: when the samples are too few for a lone function to be flagged. */
static void few_samples_note(struct compare_verdict *v, const struct compare_opts *o,
			     size_t na_min, size_t nb_min)
{
	/* Benjamini-Hochberg over m functions flags k of them when the k-th smallest p
	 * is below k alpha / m; with few samples per side the best possible p is so
	 * large that only many functions moving together can be flagged: say so
	 * rather than let "none moved" read as "none changed" */
	double m_tested = (double)v->n_funcs_tested;
	double best = v->n_funcs_tested > 1 ? stats_mwu_min_p(na_min, nb_min) : 0;
	if (v->n_funcs_tested > 1 && best * m_tested >= o->alpha) {
		size_t together = (size_t)ceil(best * m_tested / o->alpha);
		size_t k = na_min > nb_min ? na_min : nb_min;
		while (k < 64 && stats_mwu_min_p(k, k) * m_tested >= o->alpha)
			k++;
		add_note(v, "with %zu vs %zu samples a function is flagged only if %zu or more of the %zu "
			    "tested move together (best possible p %.2g, a lone flag needs %.2g): an empty "
			    "function table does not mean nothing changed; read WHERE THE TIME WENT, or "
			    "take %zu or more %s per side",
			 na_min, nb_min, together, v->n_funcs_tested, best, o->alpha / m_tested, k,
			 v->mode == COMPARE_PER_RUN ? "runs" : "profiles");
	}
}

/* Step 5, what is kept: the flagged functions (at most top_n), the movers (where the
 * time went), the changed call counts. Takes the rows. */
static void func_keep(struct compare_verdict *v, const struct compare_opts *o,
		      struct compare_row *times, size_t n_times, struct compare_row *counts,
		      size_t n_counts)
{
	qsort(times, n_times, sizeof(*times), cmp_row);
	qsort(counts, n_counts, sizeof(*counts), cmp_row);
	/* keep the flagged functions only (at most top_n) */
	size_t keep = 0;
	while (keep < n_times && keep < o->top_n &&
	       (times[keep].v.kind == VERDICT_SLOWER || times[keep].v.kind == VERDICT_FASTER))
		keep++;
	/* where the time went: the largest changes of own time per call in absolute
	 * terms, flagged or not (new and gone functions included, waiting on
	 * '<greenlet switch>' left out): what carried the call's change, whatever
	 * the family can resolve */
	size_t want = o->top_n < 5 ? o->top_n : 5;
	v->movers = gb_calloc(want ? want : 1, sizeof(*v->movers));
	size_t *by_delta = gb_malloc((n_times ? n_times : 1) * sizeof(*by_delta));
	size_t n_by = 0;
	for (size_t i = 0; i < n_times; i++) {
		const struct verdict *vd = &times[i].v;
		int flagged = vd->kind == VERDICT_SLOWER || vd->kind == VERDICT_FASTER;
		int moved = flagged || times[i].presence ||
			    (isfinite(vd->rel_change) && fabs(vd->rel_change) >= o->min_effect);
		if (moved && !compare_is_switch_entry(times[i].file, times[i].func))
			by_delta[n_by++] = i;
	}
	for (size_t k = 0; k < want && k < n_by; k++) { /* partial selection sort */
		size_t top = k;
		for (size_t j = k + 1; j < n_by; j++)
			if (fabs(times[by_delta[j]].delta) > fabs(times[by_delta[top]].delta))
				top = j;
		size_t t = by_delta[k];
		by_delta[k] = by_delta[top];
		by_delta[top] = t;
		v->movers[v->n_movers++] = row_dup(&times[by_delta[k]]);
	}
	free(by_delta);
	for (size_t i = keep; i < n_times; i++)
		row_free(&times[i]);
	v->funcs = times;
	v->n_funcs = keep;
	v->n_counts_changed = 0;
	for (size_t i = 0; i < n_counts; i++)
		v->n_counts_changed += counts[i].v.kind == VERDICT_SLOWER || counts[i].v.kind == VERDICT_FASTER;
	size_t keepc = n_counts < o->top_n ? n_counts : o->top_n;
	while (keepc && counts[keepc - 1].v.kind != VERDICT_SLOWER && counts[keepc - 1].v.kind != VERDICT_FASTER)
		keepc--;
	for (size_t i = keepc; i < n_counts; i++)
		row_free(&counts[i]);
	v->counts = counts;
	v->n_counts = keepc;
}

static int judge_funcs(struct compare_verdict *v, struct compare_run_samples *sa,
		       struct compare_run_samples *sb, const struct compare_opts *o,
		       struct pstats *keys, struct gb_err *err)
{
	size_t nr = v->n_a + v->n_b;
	size_t **rev = func_keys(v, sa, sb, keys);
	struct func_family f;
	func_family(v, sa, sb, o, keys, rev, &f);
	struct verdict *out = gb_calloc(f.nm ? f.nm : 1, sizeof(*out));
	int rc = verdict_family(f.m, f.nm, o->alpha, o->min_effect, out, err);
	if (!rc) {
		size_t nf = f.nf, n_times, n_counts, na_min, nb_min;
		struct compare_row *times = gb_calloc(nf ? nf : 1, sizeof(*times));
		struct compare_row *counts = gb_calloc(nf ? nf : 1, sizeof(*counts));
		func_rows(v, keys, &f, out, times, &n_times, counts, &n_counts, &na_min, &nb_min);
		few_samples_note(v, o, na_min, nb_min);
		func_keep(v, o, times, n_times, counts, n_counts);
	}
	for (size_t k = 0; k < 6 * f.nf; k++)
		free(f.vals[k].x);
	free(f.vals);
	free(f.m);
	free(f.which);
	free(out);
	for (size_t r = 0; r < nr; r++)
		free(rev[r]);
	free(rev);
	return rc;
}

struct caller_pick {
	size_t fn;
	double ct;
};

static int cmp_pick(const void *pa, const void *pb)
{
	const struct caller_pick *a = pa, *b = pb;
	return a->ct > b->ct ? -1 : a->ct < b->ct;
}

static void fill_callers(struct compare_row *rows, size_t n, const struct pstats *ps)
{
	for (size_t i = 0; i < n; i++) {
		struct compare_row *row = &rows[i];
		if (row->n_callers || !row->file)
			continue;
		size_t fn = pstats_find(ps, row->file, row->line, row->func);
		if (fn == (size_t)-1)
			continue;
		struct caller_pick *picks = NULL;
		size_t np = 0;
		for (size_t e = 0; e < ps->n_edges; e++) {
			if (ps->edges[e].callee != fn)
				continue;
			picks = gb_realloc(picks, (np + 1) * sizeof(*picks));
			picks[np++] = (struct caller_pick){ ps->edges[e].caller, ps->edges[e].ct };
		}
		qsort(picks, np, sizeof(*picks), cmp_pick);
		size_t keep = np < 3 ? np : 3;
		row->callers = gb_calloc(keep ? keep : 1, sizeof(char *));
		struct strbuf sb = STRBUF_INIT;
		for (size_t c = 0; c < keep; c++) {
			sb_reset(&sb);
			pstats_func_label(&ps->funcs[picks[c].fn], &sb);
			row->callers[c] = gb_strdup(sb_str(&sb));
		}
		row->n_callers = keep;
		sb_release(&sb);
		free(picks);
	}
}

/* Callers of the listed functions from the raw dumps of the last B run (then the
 * last A run, for functions B no longer calls). */
static int add_callers(struct store *db, struct compare_verdict *v, const struct compare_opts *o,
		       struct gb_err *err)
{
	if (!v->n_funcs && !v->n_counts && !v->n_movers)
		return 0;
	for (int side = 1; side >= 0; side--) {
		long long run = side ? v->runs_b[v->n_b - 1] : v->runs_a[v->n_a - 1];
		struct pstats *ps = NULL;
		if (store_run_pstats(db, run, o->target, 0, 1, &ps, NULL, err))
			return -1;
		fill_callers(v->funcs, v->n_funcs, ps);
		fill_callers(v->counts, v->n_counts, ps);
		fill_callers(v->movers, v->n_movers, ps);
		pstats_free(ps);
	}
	return 0;
}

int compare_judge(struct store *db, const long long *a, size_t n_a, const long long *b, size_t n_b,
		  const struct compare_opts *opts, struct compare_verdict *out, struct gb_err *err)
{
	static const struct compare_opts defaults = COMPARE_OPTS_DEFAULT;
	const struct compare_opts *o = opts ? opts : &defaults;
	memset(out, 0, sizeof(*out));
	if (!n_a || !n_b)
		return gb_errf(err, GB_EXIT_USAGE, "compare needs at least one run on each side");
	for (size_t i = 0; i < n_a; i++)
		for (size_t k = 0; k < n_b; k++)
			if (a[i] == b[k])
				return gb_errf(err, GB_EXIT_USAGE, "run %lld is on both sides; compare it with "
								   "another run", a[i]);
	out->mode = n_a == 1 && n_b == 1 ? COMPARE_WITHIN_RUN : COMPARE_PER_RUN;
	out->alpha = o->alpha;
	out->min_effect = o->min_effect;
	out->runs_a = gb_malloc(n_a * sizeof(long long));
	out->runs_b = gb_malloc(n_b * sizeof(long long));
	memcpy(out->runs_a, a, n_a * sizeof(long long));
	memcpy(out->runs_b, b, n_b * sizeof(long long));
	out->n_a = n_a;
	out->n_b = n_b;
	struct run_facts *fa = gb_calloc(n_a, sizeof(*fa)), *fb = gb_calloc(n_b, sizeof(*fb));
	struct compare_run_samples *sa = gb_calloc(n_a, sizeof(*sa)), *sb = gb_calloc(n_b, sizeof(*sb));
	struct pstats *keys = pstats_new();
	int rc = 0;
	for (size_t i = 0; !rc && i < n_a; i++)
		rc = load_facts(db, a[i], &fa[i], err);
	for (size_t i = 0; !rc && i < n_b; i++)
		rc = load_facts(db, b[i], &fb[i], err);
	if (!rc) {
		out->scenario_a = gb_strdup(fa[0].scenario);
		out->scenario_b = gb_strdup(fb[0].scenario);
		rc = check_runs(out, fa, fb, o, err);
	}
	if (!rc && out->mode == COMPARE_WITHIN_RUN)
		add_note(out, "within-run samples: each request and profiled call of run %lld and run "
			      "%lld is one sample, so run-to-run noise is not captured; use ab or "
			      "nightly (or compare lists of runs) for a verdict across runs",
			 a[0], b[0]);
	else if (!rc && (n_a < 3 || n_b < 3))
		add_note(out, "one sample per run: %zu vs %zu runs can hardly reach significance; "
			      "4 or more per side can", n_a, n_b);
	if (!rc)
		host_notes(out, fa, fb, o);
	for (size_t i = 0; !rc && i < n_a; i++)
		rc = compare_load_run(db, a[i], o->target, 1, &sa[i], err);
	for (size_t i = 0; !rc && i < n_b; i++)
		rc = compare_load_run(db, b[i], o->target, 1, &sb[i], err);
	if (!rc)
		rc = judge_metrics(out, sa, sb, o, err);
	if (!rc)
		rc = judge_funcs(out, sa, sb, o, keys, err);
	if (!rc && o->with_callers)
		rc = add_callers(db, out, o, err);
	if (!rc && out->is_regression)
		out->is_improvement = 0;
	for (size_t i = 0; i < n_a; i++) {
		facts_free(&fa[i]);
		compare_run_samples_release(&sa[i]);
	}
	for (size_t i = 0; i < n_b; i++) {
		facts_free(&fb[i]);
		compare_run_samples_release(&sb[i]);
	}
	free(fa);
	free(fb);
	free(sa);
	free(sb);
	pstats_free(keys);
	if (rc)
		compare_verdict_release(out);
	return rc;
}

void compare_verdict_release(struct compare_verdict *v)
{
	free(v->runs_a);
	free(v->runs_b);
	free(v->scenario_a);
	free(v->scenario_b);
	for (size_t i = 0; i < v->n_notes; i++)
		free(v->notes[i]);
	free(v->notes);
	rows_free(v->metrics, v->n_metrics);
	rows_free(v->funcs, v->n_funcs);
	rows_free(v->counts, v->n_counts);
	rows_free(v->movers, v->n_movers);
	memset(v, 0, sizeof(*v));
}

int compare_resolve_list(struct store *db, const char *spec, long long **ids, size_t *n,
			 struct gb_err *err)
{
	*ids = NULL;
	*n = 0;
	const char *p = spec;
	while (1) {
		size_t len = strcspn(p, ",");
		char *item = gb_strndup(p, len);
		long long id;
		int rc = store_resolve_run(db, item, &id, err);
		free(item);
		if (rc) {
			free(*ids);
			*ids = NULL;
			*n = 0;
			return -1;
		}
		*ids = gb_realloc(*ids, (*n + 1) * sizeof(**ids));
		(*ids)[(*n)++] = id;
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
}

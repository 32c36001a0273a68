/*
 * compare_funcs.c - the per-function verdicts of a comparison: every run's functions
 * mapped to one union, their tottime and calls tested as one Benjamini-Hochberg family
 * above the floor, the rows kept (flagged, movers, changed counts). Never prints.
 */
#include "judge/compare_int.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

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
				compare_sv_push(out, x ? x[p] : 0);
		} else {
			compare_sv_push(out, x ? mean_of(x, np) : 0);
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
	/* the floor: a share of the profiled call's time (the largest of its series: the wall
	 * time, not the smaller CPU time judged first) */
	double floor_secs = 0;
	for (size_t i = 0; o->floor > 0 && i < v->n_metrics && v->metrics[i].is_target; i++)
		floor_secs = fmax(floor_secs, o->floor * fmax(isnan(v->metrics[i].v.median_a) ? 0 : v->metrics[i].v.median_a,
							      isnan(v->metrics[i].v.median_b) ? 0 : v->metrics[i].v.median_b));
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
		compare_add_note(v, "with %zu vs %zu samples a function is flagged only if %zu or more of the %zu "
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
		compare_row_free(&times[i]);
	v->funcs = times;
	v->n_funcs = keep;
	v->n_counts_changed = 0;
	for (size_t i = 0; i < n_counts; i++)
		v->n_counts_changed += counts[i].v.kind == VERDICT_SLOWER || counts[i].v.kind == VERDICT_FASTER;
	size_t keepc = n_counts < o->top_n ? n_counts : o->top_n;
	while (keepc && counts[keepc - 1].v.kind != VERDICT_SLOWER && counts[keepc - 1].v.kind != VERDICT_FASTER)
		keepc--;
	for (size_t i = keepc; i < n_counts; i++)
		compare_row_free(&counts[i]);
	v->counts = counts;
	v->n_counts = keepc;
}

int compare_judge_funcs(struct compare_verdict *v, struct compare_run_samples *sa,
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

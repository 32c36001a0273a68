/*
 * compare_judge.c - verdicts over stored runs: B against A within runs or one sample per
 * run, the profiled call alone, latencies and functions as BH families, count facts,
 * callers of what moved, scenario refusals and host notes. Samples come from
 * compare_samples.c, the function rows from compare_funcs.c. Reads the store only;
 * never prints, never exits.
 */
#include "judge/compare_int.h"

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

void compare_add_note(struct compare_verdict *v, const char *fmt, ...)
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
		compare_add_note(v, "compared anyway (--force): %s", v->refused);
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
			compare_add_note(v, "run %lld did not complete (status %s): its samples are partial", id,
				 f->status);
	}
	if (n_busy == 1)
		compare_add_note(v, "run %s was taken on a busy host: load %.2f on %d CPUs (above %.2f); "
			    "its numbers may be inflated, rerun on a quiet host",
			 sb_str(&busy), hi, cpus_seen, limit_seen);
	else if (n_busy)
		compare_add_note(v, "%zu of %zu runs were taken on a busy host (load %.2f .. %.2f on %d CPUs, "
			    "above %.2f: runs %s); their timings may be inflated and noisier, a quiet "
			    "host gives tighter intervals", n_busy, n, lo, hi, cpus_seen, limit_seen,
			 sb_str(&busy));
	sb_release(&busy);
	for (size_t i = 1; i < n; i++) {
		const struct run_facts *f = i < v->n_a ? &fa[i] : &fb[i - v->n_a];
		if (f->host && first->host && strcmp(f->host, first->host)) {
			compare_add_note(v, "the runs come from different hosts (%.60s, %.60s): hardware differences "
				    "look like code differences", first->host, f->host);
			break;
		}
	}
	const char *ra = fa[0].revision, *rb = fb[0].revision;
	if (ra && rb && strcmp(ra, rb))
		compare_add_note(v, "service revision %.60s (A) -> %.60s (B)", ra, rb);
}

/* ---- judging ---- */

void compare_sv_push(struct side_values *s, double v)
{
	s->x = gb_realloc(s->x, (s->n + 1) * sizeof(double));
	s->x[s->n++] = v;
}

static void compare_sv_append(struct side_values *s, const double *x, size_t n)
{
	if (!n)
		return;
	s->x = gb_realloc(s->x, (s->n + n) * sizeof(double));
	memcpy(s->x + s->n, x, n * sizeof(double));
	s->n += n;
}

void compare_row_free(struct compare_row *r)
{
	free(r->name);
	free(r->file);
	free(r->func);
	for (size_t i = 0; i < r->n_callers; i++)
		free(r->callers[i]);
	free(r->callers);
}

/* A copy of a function row before its callers are filled. */
static void compare_rows_free(struct compare_row *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		compare_row_free(&r[i]);
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
					compare_sv_append(&vals[2 * k + side], s[r].series[i].x, s[r].series[i].n);
				else
					compare_sv_push(&vals[2 * k + side], stats_median(s[r].series[i].x, s[r].series[i].n));
			}
		}
		m[k] = (struct verdict_metric){ names[k], vals[2 * k].x, vals[2 * k].n, vals[2 * k + 1].x,
						vals[2 * k + 1].n, 0 };
	}
	/* the families, each adjusted (Benjamini-Hochberg) only among itself: the primary
	 * rows (the question asked: the call's CPU time alone when every run has it, else
	 * its wall and busy time), the call's other rows beside them, the latencies */
	int has_cpu = 0;
	for (size_t k = 0; k < n; k++)
		has_cpu |= is_target[k] && compare_is_cpu_name(names[k]);
	int *group = gb_calloc(n ? n : 1, sizeof(*group));
	for (size_t k = 0; k < n; k++)
		group[k] = !is_target[k] ? 0 : !has_cpu || compare_is_cpu_name(names[k]) ? 2 : 1;
	struct verdict *out = gb_calloc(n ? n : 1, sizeof(*out));
	struct verdict_metric *fam = gb_calloc(n ? n : 1, sizeof(*fam));
	struct verdict *fam_out = gb_calloc(n ? n : 1, sizeof(*fam_out));
	size_t *at = gb_calloc(n ? n : 1, sizeof(*at));
	int rc = 0;
	for (int pass = 2; !rc && pass >= 0; pass--) {
		size_t nf = 0;
		for (size_t k = 0; k < n; k++)
			if (group[k] == pass) {
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
		/* the call's rows first (CPU, wall, busy), then in order of appearance; with
		 * nothing profiled the first latency is the primary row */
		for (int pass = 1; pass >= 0; pass--)
			for (size_t k = 0; k < n; k++) {
				if (is_target[k] != pass)
					continue;
				struct compare_row *row = &v->metrics[v->n_metrics++];
				row->name = gb_strdup(names[k]);
				row->is_target = is_target[k];
				row->is_primary = group[k] == 2;
				row->v = out[k];
				row->delta = out[k].median_b - out[k].median_a;
				row->ct_a = row->ct_b = NAN;
				if (group[k] == 1)
					continue; /* beside the CPU time: shown, not deciding */
				if (out[k].kind == VERDICT_SLOWER)
					v->is_regression = 1;
				if (out[k].kind == VERDICT_FASTER)
					v->is_improvement = 1;
			}
		if (v->n_metrics && !v->metrics[0].is_target)
			v->metrics[0].is_primary = 1;
	}
	free(group);
	for (size_t k = 0; k < 2 * n; k++)
		free(vals[k].x);
	free(vals);
	free(m);
	free(out);
	free(names);
	free(is_target);
	return rc;
}

/* The three answers on the primary rows (the profiled call's CPU time, else its wall
 * and busy time, else the first latency): SLOWER / FASTER are set already; NO CHANGE
 * needs every primary row inside the margin; anything else (a row inconclusive or with
 * too little data) is inconclusive, never a quiet "no change". */
static void headline_answer(struct compare_verdict *v)
{
	if (v->is_regression || v->is_improvement || !v->n_metrics)
		return;
	for (size_t i = 0; i < v->n_metrics; i++) {
		const struct compare_row *r = &v->metrics[i];
		if (!r->is_primary)
			continue;
		if (r->v.kind == VERDICT_SLOWER || r->v.kind == VERDICT_FASTER || r->v.kind == VERDICT_NO_CHANGE)
			continue;
		v->is_inconclusive = 1;
		if (r->v.n_more > v->n_more)
			v->n_more = r->v.n_more;
	}
}

/* A row of the call beside its CPU time that moved while the answer did not: say what
 * that means, so a wall-time change is read, not lost. */
static void beside_notes(struct compare_verdict *v)
{
	for (size_t i = 0; i < v->n_metrics; i++) {
		const struct compare_row *r = &v->metrics[i];
		if (!r->is_target || r->is_primary || (r->v.kind != VERDICT_SLOWER && r->v.kind != VERDICT_FASTER))
			continue;
		compare_add_note(v, "%s is %s (%+.1f%%) beside the CPU time, which decides the verdict: the "
				    "change is in the call's waits or in time other processes took from its core, "
				    "not in its own execution", r->name, verdict_kind_name(r->v.kind),
				 100 * r->v.rel_change);
	}
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
		compare_add_note(out, "within-run samples: each request and profiled call of run %lld and run "
			      "%lld is one sample, so run-to-run noise is not captured; use ab or "
			      "nightly (or compare lists of runs) for a verdict across runs",
			 a[0], b[0]);
	else if (!rc && (n_a < 3 || n_b < 3))
		compare_add_note(out, "one sample per run: %zu vs %zu runs can hardly reach significance; "
			      "4 or more per side can", n_a, n_b);
	if (!rc)
		host_notes(out, fa, fb, o);
	for (size_t i = 0; !rc && i < n_a; i++)
		rc = compare_load_run(db, a[i], o->target, 1, &sa[i], err);
	for (size_t i = 0; !rc && i < n_b; i++)
		rc = compare_load_run(db, b[i], o->target, 1, &sb[i], err);
	if (!rc) {
		struct strbuf cpu_note = STRBUF_INIT;
		if (!compare_cpu_or_fallback(sa, n_a, sb, n_b, &cpu_note) && cpu_note.len)
			compare_add_note(out, "%s", sb_str(&cpu_note));
		sb_release(&cpu_note);
		rc = judge_metrics(out, sa, sb, o, err);
	}
	if (!rc)
		rc = compare_judge_funcs(out, sa, sb, o, keys, err);
	if (!rc && o->with_callers)
		rc = add_callers(db, out, o, err);
	if (!rc && out->is_regression)
		out->is_improvement = 0;
	if (!rc) {
		headline_answer(out);
		beside_notes(out);
	}
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
	compare_rows_free(v->metrics, v->n_metrics);
	compare_rows_free(v->funcs, v->n_funcs);
	compare_rows_free(v->counts, v->n_counts);
	compare_rows_free(v->movers, v->n_movers);
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

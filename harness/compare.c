/*
 * compare.c - the first compare: per-metric summaries (median, p95) of two runs and the
 * functions whose cumtime, tottime or call counts per profile changed most. Reads the
 * store only; never prints, never exits.
 */
#include "compare.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile_sorted(const double *x, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return x[n - 1];
	return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

void compare_summarize(double *x, size_t n, struct compare_dist *out)
{
	out->n = n;
	if (n == 0) {
		out->median = out->p95 = out->mean = out->min = out->max = NAN;
		return;
	}
	qsort(x, n, sizeof(double), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	out->mean = sum / (double)n;
	out->median = quantile_sorted(x, n, 0.5);
	out->p95 = quantile_sorted(x, n, 0.95);
	out->min = x[0];
	out->max = x[n - 1];
}

static int is_id_segment(const char *s, size_t n)
{
	size_t hex = 0, digits = 0, dashes = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			hex++;
		else if (c == '-')
			dashes++;
		else
			return 0;
	}
	if (n && digits == n)
		return 1;                           /* a number */
	if (n == 36 && dashes == 4)
		return 1;                           /* a uuid */
	return n >= 16 && dashes == 0 && digits; /* a long hex id */
}

void compare_path_template(const char *path, struct strbuf *out)
{
	size_t end = strcspn(path, "?#");
	size_t i = 0;
	while (i < end) {
		if (path[i] == '/') {
			sb_addch(out, '/');
			i++;
			continue;
		}
		size_t n = strcspn(path + i, "/?#");
		if (n > end - i)
			n = end - i;
		if (is_id_segment(path + i, n))
			sb_addstr(out, "{id}");
		else
			sb_add(out, path + i, n);
		i += n;
	}
}

/* ---- metrics ---- */

struct sample {
	char *name;
	double *x[2];
	size_t n[2];
};

struct samples {
	struct sample *items;
	size_t n;
};

static void sample_add(struct samples *s, const char *name, int side, double v)
{
	struct sample *it = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i].name, name))
			it = &s->items[i];
	if (!it) {
		s->items = gb_realloc(s->items, (s->n + 1) * sizeof(*s->items));
		it = &s->items[s->n++];
		memset(it, 0, sizeof(*it));
		it->name = gb_strdup(name);
	}
	it->x[side] = gb_realloc(it->x[side], (it->n[side] + 1) * sizeof(double));
	it->x[side][it->n[side]++] = v;
}

static int load_samples(struct store *db, long long run, int side, struct samples *s,
			struct gb_err *err)
{
	sqlite3 *h = store_handle(db);
	static const char *const sql[] = {
		"SELECT method, path, latency FROM requests WHERE run_id = ?1 AND latency IS NOT NULL "
		"ORDER BY id",
		"SELECT 'server time to ACTIVE', '', time_to_active FROM servers WHERE run_id = ?1 "
		"AND time_to_active IS NOT NULL ORDER BY id",
		"SELECT 'server time to deleted', '', time_to_deleted FROM servers WHERE run_id = ?1 "
		"AND time_to_deleted IS NOT NULL ORDER BY id",
		"SELECT 'profile ' || p.target || ' wall', '', "
		"(SELECT max(ct_ns) FROM func_stats s WHERE s.profile_id = p.id) * 1e-9 "
		"FROM profiles p WHERE p.run_id = ?1 ORDER BY p.id",
	};
	for (size_t q = 0; q < GB_ARRAY_SIZE(sql); q++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(h, sql[q], -1, &st, NULL) != SQLITE_OK)
			return gb_errf(err, GB_EXIT_ENV, "reading run %lld: %s", run, sqlite3_errmsg(h));
		sqlite3_bind_int64(st, 1, run);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct strbuf name = STRBUF_INIT;
			const char *a = (const char *)sqlite3_column_text(st, 0);
			const char *b = (const char *)sqlite3_column_text(st, 1);
			sb_addstr(&name, a ? a : "?");
			if (q == 0) {
				sb_addch(&name, ' ');
				compare_path_template(b ? b : "", &name);
				sb_addstr(&name, " latency");
			}
			if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				sample_add(s, sb_str(&name), side, sqlite3_column_double(st, 2));
			sb_release(&name);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return gb_errf(err, GB_EXIT_ENV, "reading run %lld: %s", run, sqlite3_errmsg(h));
	}
	return 0;
}

static void samples_free(struct samples *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].name);
		free(s->items[i].x[0]);
		free(s->items[i].x[1]);
	}
	free(s->items);
}

static void samples_summarize(struct samples *s, struct compare_metric **out, size_t *n)
{
	*out = gb_calloc(s->n ? s->n : 1, sizeof(**out));
	*n = s->n;
	for (size_t i = 0; i < s->n; i++) {
		(*out)[i].name = s->items[i].name;
		s->items[i].name = NULL;
		compare_summarize(s->items[i].x[0], s->items[i].n[0], &(*out)[i].a);
		compare_summarize(s->items[i].x[1], s->items[i].n[1], &(*out)[i].b);
	}
}

int compare_run_metrics(struct store *db, long long run, struct compare_metric **out, size_t *n,
			struct gb_err *err)
{
	struct samples s = { NULL, 0 };
	*out = NULL;
	*n = 0;
	int rc = load_samples(db, run, 0, &s, err);
	if (!rc)
		samples_summarize(&s, out, n);
	samples_free(&s);
	return rc;
}

void compare_metrics_free(struct compare_metric *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

/* ---- functions ---- */

struct fsort {
	struct compare_func f;
	double key;
};

static int cmp_key_desc(const void *a, const void *b)
{
	const struct fsort *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	int c = strcmp(x->f.file, y->f.file);
	if (c)
		return c;
	if (x->f.line != y->f.line)
		return x->f.line < y->f.line ? -1 : 1;
	return strcmp(x->f.name, y->f.name);
}

static struct compare_func *top(struct fsort *all, size_t n, int which, size_t limit,
				size_t *n_out, size_t *n_total)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct compare_func *f = &all[i].f;
		double key = which == 0 ? fabs(f->ct_b - f->ct_a)
			   : which == 1 ? fabs(f->tt_b - f->tt_a) : fabs(f->nc_b - f->nc_a);
		if (which == 2 && key < 1e-9)
			continue;
		if (which != 2 && key <= 0)
			continue;
		all[k] = all[i];
		all[k].key = key;
		k++;
	}
	if (n_total)
		*n_total = k;
	qsort(all, k, sizeof(*all), cmp_key_desc);
	if (k > limit)
		k = limit;
	struct compare_func *out = gb_malloc((k ? k : 1) * sizeof(*out));
	for (size_t i = 0; i < k; i++) {
		out[i] = all[i].f;
		out[i].file = gb_strdup(all[i].f.file);
		out[i].name = gb_strdup(all[i].f.name);
	}
	*n_out = k;
	return out;
}

int compare_runs(struct store *db, long long a, long long b, size_t top_n,
		 struct compare_result *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->run_a = a;
	out->run_b = b;
	struct samples s = { NULL, 0 };
	struct pstats *pa = NULL, *pb = NULL;
	int rc = load_samples(db, a, 0, &s, err);
	if (!rc)
		rc = load_samples(db, b, 1, &s, err);
	if (!rc)
		rc = store_run_pstats(db, a, NULL, 0, 0, &pa, &out->n_profiles_a, err);
	if (!rc)
		rc = store_run_pstats(db, b, NULL, 0, 0, &pb, &out->n_profiles_b, err);
	if (!rc) {
		samples_summarize(&s, &out->metrics, &out->n_metrics);
		/* every function of either run, as means per profile */
		struct pstats *u = pstats_new();
		pstats_merge(u, pa);
		pstats_merge(u, pb);
		struct fsort *all = gb_calloc(u->n_funcs ? u->n_funcs : 1, sizeof(*all));
		size_t n = 0;
		double da = out->n_profiles_a ? out->n_profiles_a : 1;
		double db_ = out->n_profiles_b ? out->n_profiles_b : 1;
		for (size_t i = 0; i < u->n_funcs; i++) {
			const struct pstats_func *f = &u->funcs[i];
			if (!f->is_listed)
				continue;
			struct compare_func *c = &all[n++].f;
			c->file = f->file;
			c->line = f->line;
			c->name = f->name;
			size_t ia = pstats_find(pa, f->file, f->line, f->name);
			size_t ib = pstats_find(pb, f->file, f->line, f->name);
			if (ia != (size_t)-1) {
				c->ct_a = pa->funcs[ia].ct / da;
				c->tt_a = pa->funcs[ia].tt / da;
				c->nc_a = (double)pa->funcs[ia].nc / da;
			}
			if (ib != (size_t)-1) {
				c->ct_b = pb->funcs[ib].ct / db_;
				c->tt_b = pb->funcs[ib].tt / db_;
				c->nc_b = (double)pb->funcs[ib].nc / db_;
			}
		}
		struct fsort *work = gb_malloc((n ? n : 1) * sizeof(*work));
		memcpy(work, all, n * sizeof(*work));
		out->by_cumtime = top(work, n, 0, top_n, &out->n_by_cumtime, NULL);
		memcpy(work, all, n * sizeof(*work));
		out->by_tottime = top(work, n, 1, top_n, &out->n_by_tottime, NULL);
		memcpy(work, all, n * sizeof(*work));
		out->ncalls = top(work, n, 2, top_n * 4, &out->n_ncalls, &out->n_ncalls_total);
		free(work);
		free(all);
		pstats_free(u);
	}
	samples_free(&s);
	pstats_free(pa);
	pstats_free(pb);
	if (rc)
		compare_result_release(out);
	return rc;
}

static void free_funcs(struct compare_func *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].file);
		free(f[i].name);
	}
	free(f);
}

void compare_result_release(struct compare_result *res)
{
	compare_metrics_free(res->metrics, res->n_metrics);
	free_funcs(res->by_cumtime, res->n_by_cumtime);
	free_funcs(res->by_tottime, res->n_by_tottime);
	free_funcs(res->ncalls, res->n_ncalls);
	memset(res, 0, sizeof(*res));
}

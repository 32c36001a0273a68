/*
 * compare.c - per-metric summaries (median, p95) of one run's requests, servers and
 * profiles (what `show` prints), and the helpers they share with the verdicts: sample
 * summaries and URL path templates. Reads the store only; never prints, never exits.
 */
#include "judge/compare.h"

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
		/* busy: the own times without greenprof's switch entry (the waits) */
		"SELECT 'profile ' || p.target || ' busy', '', "
		"(SELECT sum(s.tt_ns) FROM func_stats s JOIN functions f ON f.id = s.function_id "
		" WHERE s.profile_id = p.id AND NOT (f.file = '~' AND f.name = '<greenlet switch>')) * 1e-9 "
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

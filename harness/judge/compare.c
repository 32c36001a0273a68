/*
 * compare.c - per-metric summaries (median, p95) of one run's requests, servers and
 * profiles (what `show` prints), and the helpers they share with the verdicts: sample
 * summaries and URL path templates. Reads the store only; never prints, never exits.
 */
#include "judge/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"

void compare_summarize(double *x, size_t n, struct compare_dist *out)
{
	out->n = n;
	if (n == 0) {
		out->median = out->p95 = out->mean = out->min = out->max = NAN;
		return;
	}
	stats_sort(x, n);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	out->mean = sum / (double)n;
	out->median = stats_quantile_sorted(x, n, 0.5);
	out->p95 = stats_quantile_sorted(x, n, 0.95);
	out->min = x[0];
	out->max = x[n - 1];
}

static int is_id_segment(const char *s, size_t n)
{
	size_t digits = 0, dashes = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			continue;                   /* a hex digit: allowed, not counted */
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
	double *x;
	size_t n;
};

struct samples {
	struct sample *items;
	size_t n;
};

static void sample_add(void *arg, const char *name, double v)
{
	struct samples *s = arg;
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
	it->x = gb_realloc(it->x, (it->n + 1) * sizeof(double));
	it->x[it->n++] = v;
}

/* a profile's wall, busy or CPU time: NULL when the profile has no stats rows (wall,
 * busy) or no greenprof trailer (CPU) */
static int profile_row(void *arg, const struct store_row *r)
{
	if (r->v[2].type != STORE_NULL)
		sample_add(arg, r->v[0].s ? r->v[0].s : "?", r->v[2].d);
	return 0;
}

static int load_samples(struct store *db, long long run, struct samples *s, struct gb_err *err)
{
	if (compare_each_latency(db, run, sample_add, s, err))
		return -1;
	struct strbuf doing = STRBUF_INIT;
	sb_addf(&doing, "reading run %lld", run);
	int rc = store_query_run(db, STORE_Q_RUN_PROFILE_WALL, run, profile_row, s, sb_str(&doing), err);
	if (!rc)
		rc = store_query_run(db, STORE_Q_RUN_PROFILE_BUSY, run, profile_row, s, sb_str(&doing), err);
	if (!rc)
		rc = store_query_run(db, STORE_Q_RUN_PROFILE_CPU, run, profile_row, s, sb_str(&doing), err);
	sb_release(&doing);
	return rc;
}

static void samples_free(struct samples *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].name);
		free(s->items[i].x);
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
		compare_summarize(s->items[i].x, s->items[i].n, &(*out)[i].d);
	}
}

int compare_run_metrics(struct store *db, long long run, struct compare_metric **out, size_t *n,
			struct gb_err *err)
{
	struct samples s = { NULL, 0 };
	*out = NULL;
	*n = 0;
	int rc = load_samples(db, run, &s, err);
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

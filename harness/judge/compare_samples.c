/*
 * compare_samples.c - the samples a verdict needs, read from one stored run: latencies
 * per request and server, the profiled call's time per stored profile (the target's own
 * cumtime in the dump), and per-function tottime, cumtime and calls per profile.
 * Reads the store only; never prints, never exits.
 */
#include "judge/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

static void add_series(struct compare_run_samples *s, const char *name, int is_target, double v)
{
	struct compare_series *it = NULL;
	for (size_t i = 0; i < s->n_series; i++)
		if (!strcmp(s->series[i].name, name))
			it = &s->series[i];
	if (!it) {
		s->series = gb_realloc(s->series, (s->n_series + 1) * sizeof(*s->series));
		it = &s->series[s->n_series++];
		memset(it, 0, sizeof(*it));
		it->name = gb_strdup(name);
		it->is_target = is_target;
	}
	it->x = gb_realloc(it->x, (it->n + 1) * sizeof(double));
	it->x[it->n++] = v;
}

/* what a failed read says: "reading run 3 from the store: <sqlite's message>" */
static const char *doing_run(long long run, char buf[64])
{
	snprintf(buf, 64, "reading run %lld from the store", run);
	return buf;
}

/* "nova.scheduler.manager:SchedulerManager.select_destinations" -> file suffix
 * "nova/scheduler/manager.py" and function "select_destinations". */
static void target_key(const char *target, struct strbuf *file, struct strbuf *func,
		       struct strbuf *display)
{
	const char *colon = strchr(target, ':');
	sb_reset(file);
	sb_reset(func);
	sb_reset(display);
	if (!colon) {
		sb_addstr(func, target);
		sb_addstr(display, target);
		return;
	}
	for (const char *p = target; p < colon; p++)
		sb_addch(file, *p == '.' ? '/' : *p);
	sb_addstr(file, ".py");
	const char *dot = strrchr(colon + 1, '.');
	sb_addstr(func, dot ? dot + 1 : colon + 1);
	sb_addstr(display, colon + 1);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return b && a >= b && !strcmp(s + a - b, suffix);
}

/* ---- loading one run ---- */

struct latency_ctx {
	compare_sample_fn fn;
	void *arg;
	int requests;
	struct strbuf name;
};

static int latency_row(void *arg, const struct store_row *r)
{
	struct latency_ctx *c = arg;
	const char *a = r->v[0].s, *b = r->v[1].s;
	sb_reset(&c->name);
	sb_addstr(&c->name, a ? a : "?");
	if (c->requests) {
		sb_addch(&c->name, ' ');
		compare_path_template(b ? b : "", &c->name);
		sb_addstr(&c->name, " latency");
	}
	c->fn(c->arg, sb_str(&c->name), r->v[2].d);
	return 0;
}

int compare_each_latency(struct store *db, long long run, compare_sample_fn fn, void *arg,
			 struct gb_err *err)
{
	static const enum store_query q[] = { STORE_Q_RUN_REQUEST_LATENCIES, STORE_Q_RUN_SERVER_ACTIVE,
					      STORE_Q_RUN_SERVER_DELETED };
	struct latency_ctx c = { fn, arg, 0, STRBUF_INIT };
	char buf[64];
	int rc = 0;
	for (size_t i = 0; !rc && i < GB_ARRAY_SIZE(q); i++) {
		c.requests = i == 0;
		rc = store_query_run(db, q[i], run, latency_row, &c, doing_run(run, buf), err);
	}
	sb_release(&c.name);
	return rc;
}

static void latency_add(void *arg, const char *name, double v)
{
	add_series(arg, name, 0, v);
}

struct prof_info {
	long long id;
	char *target;
	double target_ct; /* the target function's cumtime in this dump, -1 not seen */
	double max_ct;    /* the dump's largest cumtime: the call, when the target is unnamed */
	double sum_tt;    /* the dump's own times summed: every moment the profile saw */
	double switch_tt; /* of which greenlets were switched out (greenprof's switch entry) */
	double cpu;       /* the call's own thread CPU seconds (greenprof's trailer), -1 unknown */
	double row_sum_tt, row_switch_tt, row_max_ct; /* the same sums, as the store keeps them */
};

struct prof_list {
	struct prof_info *p;
	size_t n;
};

static int profile_row(void *arg, const struct store_row *r)
{
	struct prof_list *l = arg;
	l->p = gb_realloc(l->p, (l->n + 1) * sizeof(*l->p));
	struct prof_info *p = &l->p[l->n++];
	p->id = r->v[0].i;
	p->target = gb_strdup(r->v[1].s ? r->v[1].s : "?");
	p->target_ct = -1;
	p->max_ct = 0;
	p->sum_tt = 0;
	p->switch_tt = 0;
	p->cpu = r->v[2].type == STORE_NULL ? -1 : (double)r->v[2].i * 1e-9;
	p->row_sum_tt = (double)r->v[3].i * 1e-9;
	p->row_switch_tt = (double)r->v[4].i * 1e-9;
	p->row_max_ct = (double)r->v[5].i * 1e-9;
	return 0;
}

static int load_profiles(struct store *db, long long run, const char *target,
			 struct prof_info **out, size_t *n, struct gb_err *err)
{
	struct prof_list l = { NULL, 0 };
	struct store_value params[2] = { STORE_V_INT(run), STORE_V_TEXT(target) };
	char buf[64];
	int rc = store_query(db, STORE_Q_RUN_PROFILE_IDS, params, 2, profile_row, &l,
			     doing_run(run, buf), err);
	*out = l.p;
	*n = l.n;
	return rc;
}

static size_t prof_index(const struct prof_info *p, size_t n, long long id, size_t hint)
{
	if (hint < n && p[hint].id == id)
		return hint;
	for (size_t i = 0; i < n; i++)
		if (p[i].id == id)
			return i;
	return (size_t)-1;
}

struct func_ctx {
	struct compare_run_samples *out;
	struct prof_info *profs;
	size_t n_profs;
	int with_funcs;
	struct pstats *keys; /* interns (file, line, name) -> index */
	size_t funcs_alloc;
	size_t pi;
	long long last_pid;
	struct strbuf tfile, tfunc, tdisp;
};

static int func_row(void *arg, const struct store_row *r)
{
	struct func_ctx *c = arg;
	struct compare_run_samples *out = c->out;
	long long pid = r->v[0].i;
	if (pid != c->last_pid) {
		c->pi = prof_index(c->profs, c->n_profs, pid, c->pi + (c->last_pid >= 0));
		c->last_pid = pid;
		if (c->pi != (size_t)-1)
			target_key(c->profs[c->pi].target, &c->tfile, &c->tfunc, &c->tdisp);
	}
	if (c->pi == (size_t)-1)
		return 0;
	size_t pi = c->pi;
	const char *file = r->v[1].s;
	long line = (long)r->v[2].i;
	const char *name = r->v[3].s;
	double nc = (double)r->v[4].i;
	double tt = (double)r->v[5].i * 1e-9;
	double ct = (double)r->v[6].i * 1e-9;
	if (!file || !name)
		return 0;
	struct prof_info *p = &c->profs[pi];
	if (ct > p->max_ct)
		p->max_ct = ct;
	p->sum_tt += tt;
	if (compare_is_switch_entry(file, name))
		p->switch_tt += tt;
	if (!strcmp(name, sb_str(&c->tfunc)) && (!c->tfile.len || ends_with(file, sb_str(&c->tfile))) &&
	    ct > p->target_ct)
		p->target_ct = ct;
	if (!c->with_funcs)
		return 0;
	size_t k = pstats_intern(c->keys, file, line, name);
	if (k >= out->n_funcs) {
		if (k >= c->funcs_alloc) {
			c->funcs_alloc = c->funcs_alloc ? 2 * c->funcs_alloc : 256;
			while (c->funcs_alloc <= k)
				c->funcs_alloc *= 2;
			out->funcs = gb_realloc(out->funcs, c->funcs_alloc * sizeof(*out->funcs));
		}
		for (size_t j = out->n_funcs; j <= k; j++) {
			struct compare_fsamples *f = &out->funcs[j];
			f->file = gb_strdup(c->keys->funcs[j].file);
			f->line = c->keys->funcs[j].line;
			f->name = gb_strdup(c->keys->funcs[j].name);
			f->tt = gb_calloc(c->n_profs, sizeof(double));
			f->ct = gb_calloc(c->n_profs, sizeof(double));
			f->nc = gb_calloc(c->n_profs, sizeof(double));
		}
		out->n_funcs = k + 1;
	}
	out->funcs[k].tt[pi] += tt;
	out->funcs[k].ct[pi] += ct;
	out->funcs[k].nc[pi] += nc;
	return 0;
}

int compare_load_run(struct store *db, long long run, const char *target, int with_funcs,
		     struct compare_run_samples *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->run_id = run;
	struct prof_info *profs = NULL;
	size_t n_profs = 0;
	int rc = load_profiles(db, run, target, &profs, &n_profs, err);
	out->n_profiles = n_profs;
	struct func_ctx c = { out, profs, n_profs, with_funcs, pstats_new(), 0, 0, -1,
			      STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	if (!rc && n_profs) {
		struct store_value params[2] = { STORE_V_INT(run), STORE_V_TEXT(target) };
		char buf[64];
		/* every function from the dumps; without them, the kept rows (the largest and
		 * the target's own) and the profile's sums */
		if (with_funcs) {
			rc = store_run_func_rows(db, run, target, func_row, &c, err);
		} else {
			rc = store_query(db, STORE_Q_RUN_FUNC_STATS, params, 2, func_row, &c,
					 doing_run(run, buf), err);
			for (size_t i = 0; i < n_profs; i++) {
				profs[i].sum_tt = profs[i].row_sum_tt;
				profs[i].switch_tt = profs[i].row_switch_tt;
				profs[i].max_ct = profs[i].row_max_ct;
			}
		}
	}
	/* the profiled call first: one sample per stored profile, its CPU time (the thread
	 * CPU clock of its own execution: neither its waits nor the time other greenlets
	 * and other processes took from its core; only when every profile of the run has
	 * it), its wall time, then its busy time (the profile's own times without the time
	 * its greenlets spent switched out: waits excluded, but not time the OS gave to
	 * other processes) */
	int has_cpu = n_profs > 0;
	for (size_t i = 0; i < n_profs; i++)
		if (profs[i].cpu < 0)
			has_cpu = 0;
	static const char *const kinds[] = { COMPARE_CPU_PREFIX, COMPARE_CALL_PREFIX, COMPARE_BUSY_PREFIX };
	for (size_t k = has_cpu ? 0 : 1; !rc && k < GB_ARRAY_SIZE(kinds); k++)
		for (size_t i = 0; i < n_profs; i++) {
			target_key(profs[i].target, &c.tfile, &c.tfunc, &c.tdisp);
			struct strbuf name = STRBUF_INIT;
			sb_addf(&name, "%s %s", kinds[k], sb_str(&c.tdisp));
			double wall = profs[i].target_ct >= 0 ? profs[i].target_ct : profs[i].max_ct;
			double work = profs[i].sum_tt - profs[i].switch_tt;
			double x = k == 0 ? profs[i].cpu : k == 1 ? wall : (work > 0 ? work : 0);
			add_series(out, sb_str(&name), 1, x);
			sb_release(&name);
		}
	if (!rc)
		rc = compare_each_latency(db, run, latency_add, out, err);
	for (size_t i = 0; i < n_profs; i++)
		free(profs[i].target);
	free(profs);
	pstats_free(c.keys);
	sb_release(&c.tfile);
	sb_release(&c.tfunc);
	sb_release(&c.tdisp);
	if (rc)
		compare_run_samples_release(out);
	return rc;
}

void compare_run_samples_release(struct compare_run_samples *s)
{
	for (size_t i = 0; i < s->n_series; i++) {
		free(s->series[i].name);
		free(s->series[i].x);
	}
	free(s->series);
	for (size_t i = 0; i < s->n_funcs; i++) {
		free(s->funcs[i].file);
		free(s->funcs[i].name);
		free(s->funcs[i].tt);
		free(s->funcs[i].ct);
		free(s->funcs[i].nc);
	}
	free(s->funcs);
	memset(s, 0, sizeof(*s));
}

int compare_is_switch_entry(const char *file, const char *name)
{
	return !strcmp(file, "~") && !strcmp(name, "<greenlet switch>");
}

long compare_find_series(const struct compare_run_samples *s, const char *name)
{
	static const struct {
		const char *alias, *full;
	} aliases[] = {
		{ "post", "POST /v2.1/servers latency" },
		{ "active", "server time to ACTIVE" },
		{ "deleted", "server time to deleted" },
	};
	static const struct {
		const char *alias, *prefix;
	} kinds[] = { { "busy", COMPARE_BUSY_PREFIX " " }, { "cpu", COMPARE_CPU_PREFIX " " },
		      { "target", COMPARE_CALL_PREFIX " " } };
	for (size_t k = 0; name && k < GB_ARRAY_SIZE(kinds); k++) {
		if (strcmp(name, kinds[k].alias))
			continue;
		for (size_t i = 0; i < s->n_series; i++)
			if (s->series[i].is_target && !strncmp(s->series[i].name, kinds[k].prefix,
							       strlen(kinds[k].prefix)))
				return (long)i;
		return -1;
	}
	if (!name) {
		for (size_t i = 0; i < s->n_series; i++)
			if (s->series[i].is_target)
				return (long)i;
		return s->n_series ? 0 : -1;
	}
	for (size_t a = 0; a < GB_ARRAY_SIZE(aliases); a++)
		if (!strcmp(name, aliases[a].alias))
			name = aliases[a].full;
	for (size_t i = 0; i < s->n_series; i++)
		if (!strcmp(s->series[i].name, name))
			return (long)i;
	return -1;
}

int compare_is_cpu_name(const char *name)
{
	return !strncmp(name, COMPARE_CPU_PREFIX " ", strlen(COMPARE_CPU_PREFIX) + 1);
}

/* Is series i of s the profiled call's CPU time? */
static int is_cpu_series(const struct compare_series *x)
{
	return x->is_target && compare_is_cpu_name(x->name);
}

static size_t count_with_cpu(const struct compare_run_samples *s, size_t n)
{
	size_t k = 0;
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < s[r].n_series; i++)
			if (is_cpu_series(&s[r].series[i])) {
				k++;
				break;
			}
	return k;
}

static void drop_cpu(struct compare_run_samples *s)
{
	size_t w = 0;
	for (size_t i = 0; i < s->n_series; i++) {
		if (is_cpu_series(&s->series[i])) {
			free(s->series[i].name);
			free(s->series[i].x);
			continue;
		}
		s->series[w++] = s->series[i];
	}
	s->n_series = w;
}

int compare_cpu_or_fallback(struct compare_run_samples *sa, size_t n_a, struct compare_run_samples *sb,
			    size_t n_b, struct strbuf *note)
{
	size_t ka = count_with_cpu(sa, n_a), kb = count_with_cpu(sb, n_b);
	if (ka == n_a && kb == n_b)
		return 1;
	int has_profiles = 0;
	for (size_t r = 0; r < n_a + n_b; r++)
		if ((r < n_a ? sa[r] : sb[r - n_a]).n_profiles)
			has_profiles = 1;
	for (size_t r = 0; r < n_a; r++)
		drop_cpu(&sa[r]);
	for (size_t r = 0; r < n_b; r++)
		drop_cpu(&sb[r]);
	if (has_profiles)
		sb_addf(note, "the profiled call's CPU time is known for %zu of %zu A run%s and %zu of %zu B "
			      "run%s (dumps without greenprof's times: cProfile or an older greenprof); judged "
			      "on its wall and busy time, which also count time other processes took from "
			      "the service's core", ka, n_a, n_a == 1 ? "" : "s", kb, n_b, n_b == 1 ? "" : "s");
	return 0;
}

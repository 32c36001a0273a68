/*
 * compare_samples.c - the samples a verdict needs, read from one stored run: latencies
 * per request and server, the profiled call's time per stored profile (the target's own
 * cumtime in the dump), and per-function tottime, cumtime and calls per profile.
 * Reads the store only; never prints, never exits.
 */
#include "judge/compare.h"

#include <math.h>
#include <sqlite3.h>
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

static int sql_fail(struct store *db, long long run, struct gb_err *err)
{
	return gb_errf(err, GB_EXIT_ENV, "reading run %lld from the store: %s", run,
		       sqlite3_errmsg(store_handle(db)));
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

static int load_latencies(struct store *db, long long run, struct compare_run_samples *s,
			  struct gb_err *err)
{
	static const char *const sql[] = {
		"SELECT method, path, latency FROM requests WHERE run_id = ?1 AND latency IS NOT NULL "
		"ORDER BY id",
		"SELECT 'server time to ACTIVE', '', time_to_active FROM servers WHERE run_id = ?1 "
		"AND time_to_active IS NOT NULL ORDER BY id",
		"SELECT 'server time to deleted', '', time_to_deleted FROM servers WHERE run_id = ?1 "
		"AND time_to_deleted IS NOT NULL ORDER BY id",
	};
	sqlite3 *h = store_handle(db);
	for (size_t q = 0; q < GB_ARRAY_SIZE(sql); q++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(h, sql[q], -1, &st, NULL) != SQLITE_OK)
			return sql_fail(db, run, err);
		sqlite3_bind_int64(st, 1, run);
		int rc;
		struct strbuf name = STRBUF_INIT;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *a = (const char *)sqlite3_column_text(st, 0);
			const char *b = (const char *)sqlite3_column_text(st, 1);
			sb_reset(&name);
			sb_addstr(&name, a ? a : "?");
			if (q == 0) {
				sb_addch(&name, ' ');
				compare_path_template(b ? b : "", &name);
				sb_addstr(&name, " latency");
			}
			add_series(s, sb_str(&name), 0, sqlite3_column_double(st, 2));
		}
		sb_release(&name);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sql_fail(db, run, err);
	}
	return 0;
}

struct prof_info {
	long long id;
	char *target;
	double target_ct; /* the target function's cumtime in this dump, -1 not seen */
	double max_ct;    /* the dump's largest cumtime: the call, when the target is unnamed */
	double sum_tt;    /* the dump's own times summed: every moment the profile saw */
	double switch_tt; /* of which greenlets were switched out (greenprof's switch entry) */
};

static int load_profiles(struct store *db, long long run, const char *target,
			 struct prof_info **out, size_t *n, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store_handle(db), "SELECT id, target FROM profiles WHERE run_id = ?1 "
			       "AND (?2 IS NULL OR instr(target, ?2) > 0) ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, run, err);
	sqlite3_bind_int64(st, 1, run);
	if (target)
		sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = gb_realloc(*out, (*n + 1) * sizeof(**out));
		struct prof_info *p = &(*out)[(*n)++];
		p->id = sqlite3_column_int64(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);
		p->target = gb_strdup(t ? t : "?");
		p->target_ct = -1;
		p->max_ct = 0;
		p->sum_tt = 0;
		p->switch_tt = 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, run, err);
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

int compare_load_run(struct store *db, long long run, const char *target, int with_funcs,
		     struct compare_run_samples *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->run_id = run;
	struct prof_info *profs = NULL;
	size_t n_profs = 0;
	if (load_profiles(db, run, target, &profs, &n_profs, err))
		return -1;
	out->n_profiles = n_profs;
	struct pstats *keys = pstats_new(); /* interns (file, line, name) -> index */
	size_t funcs_alloc = 0;
	struct strbuf tfile = STRBUF_INIT, tfunc = STRBUF_INIT, tdisp = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (n_profs &&
	    sqlite3_prepare_v2(store_handle(db),
			       "SELECT s.profile_id, f.file, f.line, f.name, s.nc, s.tt_ns, s.ct_ns "
			       "FROM profiles p JOIN func_stats s ON s.profile_id = p.id "
			       "JOIN functions f ON f.id = s.function_id WHERE p.run_id = ?1 "
			       "AND (?2 IS NULL OR instr(p.target, ?2) > 0) ORDER BY p.id",
			       -1, &st, NULL) != SQLITE_OK)
		rc = sql_fail(db, run, err);
	if (st) {
		sqlite3_bind_int64(st, 1, run);
		if (target)
			sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
		size_t pi = 0;
		long long last_pid = -1;
		int r;
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			long long pid = sqlite3_column_int64(st, 0);
			if (pid != last_pid) {
				pi = prof_index(profs, n_profs, pid, pi + (last_pid >= 0));
				last_pid = pid;
				if (pi != (size_t)-1)
					target_key(profs[pi].target, &tfile, &tfunc, &tdisp);
			}
			if (pi == (size_t)-1)
				continue;
			const char *file = (const char *)sqlite3_column_text(st, 1);
			long line = (long)sqlite3_column_int64(st, 2);
			const char *name = (const char *)sqlite3_column_text(st, 3);
			double nc = (double)sqlite3_column_int64(st, 4);
			double tt = (double)sqlite3_column_int64(st, 5) * 1e-9;
			double ct = (double)sqlite3_column_int64(st, 6) * 1e-9;
			if (!file || !name)
				continue;
			struct prof_info *p = &profs[pi];
			if (ct > p->max_ct)
				p->max_ct = ct;
			p->sum_tt += tt;
			if (compare_is_switch_entry(file, name))
				p->switch_tt += tt;
			if (!strcmp(name, sb_str(&tfunc)) && (!tfile.len || ends_with(file, sb_str(&tfile))) &&
			    ct > p->target_ct)
				p->target_ct = ct;
			if (!with_funcs)
				continue;
			size_t k = pstats_intern(keys, file, line, name);
			if (k >= out->n_funcs) {
				if (k >= funcs_alloc) {
					funcs_alloc = funcs_alloc ? 2 * funcs_alloc : 256;
					while (funcs_alloc <= k)
						funcs_alloc *= 2;
					out->funcs = gb_realloc(out->funcs, funcs_alloc * sizeof(*out->funcs));
				}
				for (size_t j = out->n_funcs; j <= k; j++) {
					struct compare_fsamples *f = &out->funcs[j];
					f->file = gb_strdup(keys->funcs[j].file);
					f->line = keys->funcs[j].line;
					f->name = gb_strdup(keys->funcs[j].name);
					f->tt = gb_calloc(n_profs, sizeof(double));
					f->ct = gb_calloc(n_profs, sizeof(double));
					f->nc = gb_calloc(n_profs, sizeof(double));
				}
				out->n_funcs = k + 1;
			}
			out->funcs[k].tt[pi] += tt;
			out->funcs[k].ct[pi] += ct;
			out->funcs[k].nc[pi] += nc;
		}
		if (r != SQLITE_DONE)
			rc = sql_fail(db, run, err);
		sqlite3_finalize(st);
	}
	/* the profiled call first: one sample per stored profile, its wall time, then its
	 * busy time (the profile's own times without the time its greenlets spent switched
	 * out: the work the service did for the call, without the waits for the database,
	 * placement or other greenlets; added work is a larger share of it) */
	for (int busy = 0; !rc && busy < 2; busy++)
		for (size_t i = 0; i < n_profs; i++) {
			target_key(profs[i].target, &tfile, &tfunc, &tdisp);
			struct strbuf name = STRBUF_INIT;
			sb_addf(&name, "%s %s", busy ? COMPARE_BUSY_PREFIX : COMPARE_CALL_PREFIX, sb_str(&tdisp));
			double wall = profs[i].target_ct >= 0 ? profs[i].target_ct : profs[i].max_ct;
			double work = profs[i].sum_tt - profs[i].switch_tt;
			add_series(out, sb_str(&name), 1, busy ? (work > 0 ? work : 0) : wall);
			sb_release(&name);
		}
	if (!rc)
		rc = load_latencies(db, run, out, err);
	for (size_t i = 0; i < n_profs; i++)
		free(profs[i].target);
	free(profs);
	pstats_free(keys);
	sb_release(&tfile);
	sb_release(&tfunc);
	sb_release(&tdisp);
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
	if (name && !strcmp(name, "busy")) {
		for (size_t i = 0; i < s->n_series; i++)
			if (s->series[i].is_target && !strncmp(s->series[i].name, COMPARE_BUSY_PREFIX " ",
							       strlen(COMPARE_BUSY_PREFIX) + 1))
				return (long)i;
		return -1;
	}
	if (!name || !strcmp(name, "target")) {
		for (size_t i = 0; i < s->n_series; i++)
			if (s->series[i].is_target)
				return (long)i;
		if (name)
			return -1;
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

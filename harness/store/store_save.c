/*
 * store_save.c - the run_record builder and saving a whole run in one transaction
 * (functions interned, profiles as stats rows and the compressed dump), and a run's
 * status. Never prints, never exits; never leaves a transaction open after returning.
 */
#include "store/store_int.h"
#include "store/store_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static void bind_opt_double(sqlite3_stmt *st, int i, double v)
{
	if (v < 0 || isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

/* Step a statement that returns no rows, then reset it for the next use. */
static int step_done(struct store *db, sqlite3_stmt *st, struct gb_err *err, const char *doing)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return store_db_err(db, err, doing);
	return 0;
}

static long long to_ns(double secs)
{
	if (!(secs > -9e9 && secs < 9e9))
		return 0;
	return llround(secs * 1e9);
}

/* ---- run_record ---- */

struct run_record *run_record_new(void)
{
	struct run_record *rec = gb_calloc(1, sizeof(*rec));
	rec->mem_free_kb = -1;
	rec->status = gb_strdup("ok");
	for (int i = 0; i < 3; i++)
		rec->load_before[i] = rec->load_after[i] = -1;
	return rec;
}

void run_record_free(struct run_record *rec)
{
	if (!rec)
		return;
	free(rec->scenario);
	free(rec->scenario_sha256);
	free(rec->scenario_yaml);
	free(rec->label);
	free(rec->host);
	free(rec->service_revision);
	free(rec->greenbench_version);
	free(rec->status);
	for (size_t i = 0; i < rec->n_patches; i++) {
		free(rec->patches[i].name);
		free(rec->patches[i].sha256);
	}
	free(rec->patches);
	for (size_t i = 0; i < rec->n_requests; i++) {
		struct store_request *r = &rec->requests[i];
		free(r->request_id);
		free(r->server_request_id);
		free(r->method);
		free(r->path);
	}
	free(rec->requests);
	for (size_t i = 0; i < rec->n_servers; i++) {
		struct store_server *s = &rec->servers[i];
		free(s->server_id);
		free(s->name);
		free(s->request_id);
		free(s->final_status);
		free(s->fault);
	}
	free(rec->servers);
	for (size_t i = 0; i < rec->n_profiles; i++) {
		struct store_profile *p = &rec->profiles[i];
		free(p->target);
		free(p->request_id);
		free(p->raw);
		pstats_free(p->stats);
	}
	free(rec->profiles);
	for (size_t i = 0; i < rec->n_slas; i++)
		free(rec->slas[i].metric);
	free(rec->slas);
	free(rec);
}

void run_record_fill_host(struct run_record *rec, int after)
{
	double *load = after ? rec->load_after : rec->load_before;
	FILE *f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = load[1] = load[2] = -1;
		fclose(f);
	}
	if (after)
		return;
	char host[256];
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		free(rec->host);
		rec->host = gb_strdup(host);
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	rec->cpu_count = n > 0 ? (int)n : 0;
	f = fopen("/proc/meminfo", "re");
	if (f) {
		char line[256];
		long long kb;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
				rec->mem_free_kb = kb;
		fclose(f);
	}
}

#define GROW(arr, n) ((arr) = gb_realloc((arr), ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

void run_record_add_patch(struct run_record *rec, const char *name, const char *sha256)
{
	struct store_patch *p = GROW(rec->patches, rec->n_patches);
	p->name = gb_strdup(name ? name : "");
	p->sha256 = gb_strdup(sha256 ? sha256 : "");
}

void run_record_add_request(struct run_record *rec, const struct store_request *r)
{
	struct store_request *d = GROW(rec->requests, rec->n_requests);
	*d = *r;
	d->request_id = gb_strdup(r->request_id);
	d->server_request_id = gb_strdup(r->server_request_id);
	d->method = gb_strdup(r->method ? r->method : "");
	d->path = gb_strdup(r->path ? r->path : "");
}

void run_record_add_server(struct run_record *rec, const struct store_server *s)
{
	struct store_server *d = GROW(rec->servers, rec->n_servers);
	*d = *s;
	d->server_id = gb_strdup(s->server_id);
	d->name = gb_strdup(s->name);
	d->request_id = gb_strdup(s->request_id);
	d->final_status = gb_strdup(s->final_status);
	d->fault = gb_strdup(s->fault);
}

void run_record_add_sla(struct run_record *rec, const char *metric, double value, double limit,
			int passed)
{
	struct store_sla *d = GROW(rec->slas, rec->n_slas);
	d->metric = gb_strdup(metric ? metric : "");
	d->value = value;
	d->limit = limit;
	d->passed = !!passed;
}

int run_record_add_profile(struct run_record *rec, int repeat, const char *target,
			   const char *request_id, long pid, const unsigned char *raw, size_t len,
			   struct gb_err *err)
{
	struct pstats *ps = NULL;
	char what[300];
	snprintf(what, sizeof(what), "profile of %.120s for %.60s", target ? target : "?",
		 request_id ? request_id : "?");
	if (pstats_parse(raw, len, what, &ps, err))
		return -1;
	struct store_profile *p = GROW(rec->profiles, rec->n_profiles);
	p->repeat = repeat;
	p->target = gb_strdup(target ? target : "");
	p->request_id = gb_strdup(request_id);
	p->pid = pid;
	p->raw = gb_malloc(len);
	memcpy(p->raw, raw, len);
	p->raw_len = len;
	p->stats = ps;
	return 0;
}

/* ---- saving a run ---- */

struct saver {
	struct store *db;
	struct gb_err *err;
	sqlite3_stmt *fn_get, *fn_put, *stat_put;
	char *dict_target;          /* the target whose dictionary is db->dict (NULL: none yet) */
	struct pstats *known;       /* functions already given an id in this save */
	long long *known_ids;
	size_t known_alloc;
};

static int function_id(struct saver *s, const struct pstats_func *f, long long *id)
{
	size_t k = pstats_intern(s->known, f->file, f->line, f->name);
	if (k >= s->known_alloc) {
		size_t n = s->known_alloc ? s->known_alloc * 2 : 1024;
		while (n <= k)
			n *= 2;
		s->known_ids = gb_realloc(s->known_ids, n * sizeof(long long));
		for (size_t i = s->known_alloc; i < n; i++)
			s->known_ids[i] = 0;
		s->known_alloc = n;
	}
	if (s->known_ids[k]) {
		*id = s->known_ids[k];
		return 0;
	}
	sqlite3_bind_text(s->fn_get, 1, f->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->fn_get, 2, f->line);
	sqlite3_bind_text(s->fn_get, 3, f->name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s->fn_get);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s->fn_get, 0);
	sqlite3_reset(s->fn_get);
	sqlite3_clear_bindings(s->fn_get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(s->db, s->err, "looking up a function");
	if (rc == SQLITE_DONE) {
		sqlite3_bind_text(s->fn_put, 1, f->file, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->fn_put, 2, f->line);
		sqlite3_bind_text(s->fn_put, 3, f->name, -1, SQLITE_STATIC);
		if (step_done(s->db, s->fn_put, s->err, "storing a function"))
			return -1;
		*id = sqlite3_last_insert_rowid(s->db->db);
	}
	s->known_ids[k] = *id;
	return 0;
}

/* The dictionary for target into s->db->dict: the newest zdicts row of the target, or,
 * for a target seen first, a new row made of this dump's split stream. */
static int target_dict(struct saver *s, const char *target, const struct strbuf *split)
{
	if (s->dict_target && !strcmp(s->dict_target, target) && s->db->dict_id)
		return 0;
	sqlite3_stmt *st = store_prep(s->db, "SELECT max(id) FROM zdicts WHERE target = ?", s->err);
	if (!st)
		return -1;
	store_bind_text(st, 1, target);
	int rc = sqlite3_step(st);
	long long id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_db_err(s->db, s->err, "looking up a dump dictionary");
	if (id == 0) {
		struct strbuf z = STRBUF_INIT;
		if (store_codec_compress(split->buf, split->len, NULL, 0, &z, s->err))
			return -1;
		st = store_prep(s->db, "INSERT INTO zdicts (target, created_at, dict_zstd) VALUES (?, "
				       "CAST(strftime('%s', 'now') AS REAL), ?)", s->err);
		if (!st) {
			sb_release(&z);
			return -1;
		}
		store_bind_text(st, 1, target);
		sqlite3_bind_blob(st, 2, z.buf, (int)z.len, SQLITE_TRANSIENT);
		sb_release(&z);
		rc = step_done(s->db, st, s->err, "storing a dump dictionary");
		sqlite3_finalize(st);
		if (rc)
			return -1;
		/* the cache is this very row: a rolled-back id may come back with other bytes */
		s->db->dict_id = sqlite3_last_insert_rowid(s->db->db);
		sb_reset(&s->db->dict);
		sb_add(&s->db->dict, split->buf, split->len);
	} else if (store_load_dict(s->db, id, s->err)) {
		return -1;
	}
	free(s->dict_target);
	s->dict_target = gb_strdup(target);
	return 0;
}

/* The dump as it is kept: split and zstd against the target's dictionary (checked by
 * decoding it back), else zlib. *codec and *dict_id say which. */
static int encode_raw(struct saver *s, const struct store_profile *p, struct strbuf *blob,
		      int *codec, long long *dict_id)
{
	struct strbuf split = STRBUF_INIT, back = STRBUF_INIT, raw = STRBUF_INIT;
	struct gb_err e = { GB_EXIT_ENV, "" };
	*codec = STORE_CODEC_ZLIB;
	*dict_id = 0;
	int rc = 0;
	if (store_codec_split(p->raw, p->raw_len, &split) == 0) {
		rc = target_dict(s, p->target, &split);
		if (rc == 0 && store_codec_compress(split.buf, split.len, s->db->dict.buf, s->db->dict.len,
						    blob, &e) == 0 &&
		    store_codec_decompress(blob->buf, blob->len, s->db->dict.buf, s->db->dict.len,
					   2 * PSTATS_MAX_BYTES, &back, &e) == 0 &&
		    store_codec_join((const unsigned char *)back.buf, back.len, &raw, &e) == 0 &&
		    raw.len == p->raw_len && !memcmp(raw.buf, p->raw, p->raw_len)) {
			*codec = STORE_CODEC_SPLIT;
			*dict_id = s->db->dict_id;
		}
	}
	sb_release(&split);
	sb_release(&back);
	sb_release(&raw);
	if (rc || *codec == STORE_CODEC_SPLIT)
		return rc;
	uLongf zlen = compressBound((uLong)p->raw_len);
	unsigned char *z = gb_malloc(zlen);
	if (compress2(z, &zlen, p->raw, (uLong)p->raw_len, 6) != Z_OK) {
		free(z);
		return gb_errf(s->err, GB_EXIT_ENV, "compressing the dump of %s failed", p->target);
	}
	sb_reset(blob);
	sb_add(blob, z, zlen);
	free(z);
	return 0;
}

/* ---- the rows kept in func_stats ---- */

static const struct pstats *rank_ps; /* qsort has no argument: the profile being ranked */
static int rank_by_ct;

static int by_time_desc(const void *a, const void *b)
{
	const struct pstats_func *x = &rank_ps->funcs[*(const size_t *)a];
	const struct pstats_func *y = &rank_ps->funcs[*(const size_t *)b];
	long long u = to_ns(rank_by_ct ? x->ct : x->tt), v = to_ns(rank_by_ct ? y->ct : y->tt);
	return u < v ? 1 : u > v ? -1 : 0;
}

/* keep[i] = 1 for the listed functions func_stats keeps (schema 5): the STORE_TOP_ROWS
 * largest by tottime, as many by cumtime, and those named as target's function (its
 * last component, or the whole target without a colon), as migration 4 -> 5 keeps. */
static void mark_top_rows(const struct pstats *ps, const char *target, unsigned char *keep)
{
	size_t n = 0, *idx = gb_malloc((ps->n_funcs ? ps->n_funcs : 1) * sizeof(size_t));
	for (size_t i = 0; i < ps->n_funcs; i++)
		if (ps->funcs[i].is_listed)
			idx[n++] = i;
	rank_ps = ps;
	for (rank_by_ct = 0; rank_by_ct <= 1; rank_by_ct++) {
		qsort(idx, n, sizeof(size_t), by_time_desc);
		for (size_t i = 0; i < n && i < STORE_TOP_ROWS; i++)
			keep[idx[i]] = 1;
	}
	rank_ps = NULL;
	const char *qual = strchr(target, ':'), *dot;
	qual = qual ? qual + 1 : target;
	dot = strrchr(qual, '.');
	const char *last = dot ? dot + 1 : qual;
	for (size_t i = 0; i < n; i++) {
		const char *name = ps->funcs[idx[i]].name;
		if (!strcmp(name, target) || !strcmp(name, last))
			keep[idx[i]] = 1;
	}
	free(idx);
}

static int save_profile(struct saver *s, long long run_id, const struct store_profile *p,
			sqlite3_stmt *prof_put)
{
	struct pstats_totals t;
	pstats_totals(p->stats, &t);
	struct strbuf z = STRBUF_INIT;
	int codec;
	long long dict_id;
	if (encode_raw(s, p, &z, &codec, &dict_id)) {
		sb_release(&z);
		return -1;
	}
	char hex[65];
	gb_sha256_hex(p->raw, p->raw_len, hex);
	sqlite3_bind_int64(prof_put, 1, run_id);
	sqlite3_bind_int(prof_put, 2, p->repeat);
	store_bind_text(prof_put, 3, p->target);
	store_bind_text(prof_put, 4, p->request_id);
	sqlite3_bind_int64(prof_put, 5, p->pid);
	sqlite3_bind_double(prof_put, 6, t.total_tt);
	sqlite3_bind_int64(prof_put, 7, (long long)p->stats->n_listed);
	sqlite3_bind_int64(prof_put, 8, t.total_calls);
	sqlite3_bind_int64(prof_put, 9, (long long)p->raw_len);
	sqlite3_bind_text(prof_put, 10, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(prof_put, 11, z.buf, (int)z.len, SQLITE_TRANSIENT);
	sqlite3_bind_int(prof_put, 12, codec);
	if (dict_id)
		sqlite3_bind_int64(prof_put, 13, dict_id);
	else
		sqlite3_bind_null(prof_put, 13);
	const struct pstats_times *tm = &p->stats->times; /* NULL columns when unknown */
	for (int c = 14; c <= 18; c++)
		sqlite3_bind_null(prof_put, c);
	if (tm->is_known) {
		sqlite3_bind_int64(prof_put, 14, tm->cpu_ns);
		sqlite3_bind_int64(prof_put, 15, tm->wall_ns);
		sqlite3_bind_int64(prof_put, 16, tm->wait_ns);
		sqlite3_bind_int64(prof_put, 17, tm->switches);
		store_bind_text(prof_put, 18, tm->mode[0] ? tm->mode : NULL);
	}
	const struct pstats *ps = p->stats;
	unsigned char *keep = gb_calloc(ps->n_funcs ? ps->n_funcs : 1, 1);
	long long sum_tt = 0, switch_tt = 0, max_ct = 0;
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		if (!f->is_listed)
			continue;
		long long tt = to_ns(f->tt), ct = to_ns(f->ct);
		sum_tt += tt;
		if (!strcmp(f->file, "~") && !strcmp(f->name, "<greenlet switch>"))
			switch_tt += tt;
		if (ct > max_ct)
			max_ct = ct;
	}
	mark_top_rows(ps, p->target, keep);
	if (ps->n_listed) { /* NULL sums for a dump without functions, as SQL's sum() gives */
		sqlite3_bind_int64(prof_put, 19, sum_tt);
		sqlite3_bind_int64(prof_put, 21, max_ct);
	} else {
		sqlite3_bind_null(prof_put, 19);
		sqlite3_bind_null(prof_put, 21);
	}
	sqlite3_bind_int64(prof_put, 20, switch_tt);
	sb_release(&z);
	if (step_done(s->db, prof_put, s->err, "storing a profile")) {
		free(keep);
		return -1;
	}
	long long pid = sqlite3_last_insert_rowid(s->db->db);

	long long *ids = gb_malloc((ps->n_funcs ? ps->n_funcs : 1) * sizeof(long long));
	int rc = 0;
	for (size_t i = 0; !rc && i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		if (!keep[i])
			continue;
		rc = function_id(s, f, &ids[i]);
		if (rc)
			continue;
		sqlite3_bind_int64(s->stat_put, 1, pid);
		sqlite3_bind_int64(s->stat_put, 2, ids[i]);
		sqlite3_bind_int64(s->stat_put, 3, f->cc);
		sqlite3_bind_int64(s->stat_put, 4, f->nc);
		sqlite3_bind_int64(s->stat_put, 5, to_ns(f->tt));
		sqlite3_bind_int64(s->stat_put, 6, to_ns(f->ct));
		rc = step_done(s->db, s->stat_put, s->err, "storing function stats");
	}
	free(ids);
	free(keep);
	return rc;
}

static int save_all(struct store *db, const struct run_record *rec, long long *run_id,
		    struct gb_err *err)
{
	sqlite3_stmt *st = store_prep(db,
		"INSERT INTO runs (scenario, scenario_sha256, scenario_yaml, label, started_at, "
		"finished_at, host, cpu_count, load1_before, load5_before, load15_before, "
		"load1_after, load5_after, load15_after, mem_free_kb, service_revision, "
		"greenbench_version, status, fake_computes, repeat_count, ab_id, is_baseline) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (!st)
		return -1;
	store_bind_text(st, 1, rec->scenario ? rec->scenario : "");
	store_bind_text(st, 2, rec->scenario_sha256);
	store_bind_text(st, 3, rec->scenario_yaml);
	store_bind_text(st, 4, rec->label);
	sqlite3_bind_double(st, 5, rec->started_at);
	if (rec->finished_at > 0)
		sqlite3_bind_double(st, 6, rec->finished_at);
	store_bind_text(st, 7, rec->host);
	if (rec->cpu_count > 0)
		sqlite3_bind_int(st, 8, rec->cpu_count);
	for (int i = 0; i < 3; i++) {
		bind_opt_double(st, 9 + i, rec->load_before[i]);
		bind_opt_double(st, 12 + i, rec->load_after[i]);
	}
	if (rec->mem_free_kb >= 0)
		sqlite3_bind_int64(st, 15, rec->mem_free_kb);
	store_bind_text(st, 16, rec->service_revision);
	store_bind_text(st, 17, rec->greenbench_version ? rec->greenbench_version : GB_VERSION);
	store_bind_text(st, 18, rec->status ? rec->status : "ok");
	sqlite3_bind_int(st, 19, rec->fake_computes);
	sqlite3_bind_int(st, 20, rec->repeat_count);
	if (rec->ab_id > 0)
		sqlite3_bind_int64(st, 21, rec->ab_id);
	sqlite3_bind_int(st, 22, rec->is_baseline ? 1 : 0);
	int rc = step_done(db, st, err, "storing the run");
	sqlite3_finalize(st);
	if (rc)
		return -1;
	long long id = sqlite3_last_insert_rowid(db->db);

	st = store_prep(db, "INSERT INTO patches (run_id, position, name, sha256) VALUES (?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_patches; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (long long)i);
		store_bind_text(st, 3, rec->patches[i].name);
		store_bind_text(st, 4, rec->patches[i].sha256);
		rc = step_done(db, st, err, "storing a patch hash");
	}
	sqlite3_finalize(st);

	st = store_prep(db, "INSERT INTO requests (run_id, repeat, request_id, server_request_id, method, "
		      "path, status, latency, started_at) VALUES (?,?,?,?,?,?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_requests; i++) {
		const struct store_request *r = &rec->requests[i];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, r->repeat);
		store_bind_text(st, 3, r->request_id);
		store_bind_text(st, 4, r->server_request_id);
		store_bind_text(st, 5, r->method);
		store_bind_text(st, 6, r->path);
		sqlite3_bind_int(st, 7, r->status);
		bind_opt_double(st, 8, r->latency);
		bind_opt_double(st, 9, r->started_at);
		rc = step_done(db, st, err, "storing a request");
	}
	sqlite3_finalize(st);

	st = store_prep(db, "INSERT INTO servers (run_id, repeat, server_id, name, request_id, "
		      "post_latency, time_to_active, time_to_deleted, final_status, fault) "
		      "VALUES (?,?,?,?,?,?,?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_servers; i++) {
		const struct store_server *s = &rec->servers[i];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, s->repeat);
		store_bind_text(st, 3, s->server_id);
		store_bind_text(st, 4, s->name);
		store_bind_text(st, 5, s->request_id);
		bind_opt_double(st, 6, s->post_latency);
		bind_opt_double(st, 7, s->time_to_active);
		bind_opt_double(st, 8, s->time_to_deleted);
		store_bind_text(st, 9, s->final_status);
		store_bind_text(st, 10, s->fault);
		rc = step_done(db, st, err, "storing a server");
	}
	sqlite3_finalize(st);

	st = store_prep(db, "INSERT INTO sla (run_id, metric, value, limit_value, passed) "
		      "VALUES (?,?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_slas; i++) {
		sqlite3_bind_int64(st, 1, id);
		store_bind_text(st, 2, rec->slas[i].metric);
		sqlite3_bind_double(st, 3, rec->slas[i].value);
		sqlite3_bind_double(st, 4, rec->slas[i].limit);
		sqlite3_bind_int(st, 5, rec->slas[i].passed);
		rc = step_done(db, st, err, "storing an SLA result");
	}
	sqlite3_finalize(st);
	if (rc)
		return -1;

	struct saver s = { .db = db, .err = err, .known = pstats_new() };
	sqlite3_stmt *prof_put = store_prep(db,
		"INSERT INTO profiles (run_id, repeat, target, request_id, pid, total_tt, "
		"n_functions, n_calls, raw_size, raw_sha256, raw_zlib, raw_codec, zdict_id, "
		"cpu_ns, wall_ns, wait_ns, switches, mode, tt_ns, switch_tt_ns, max_ct_ns) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		err);
	s.fn_get = store_prep(db, "SELECT id FROM functions WHERE file = ? AND line = ? AND name = ?", err);
	s.fn_put = store_prep(db, "INSERT INTO functions (file, line, name) VALUES (?,?,?)", err);
	s.stat_put = store_prep(db, "INSERT INTO func_stats (profile_id, function_id, cc, nc, tt_ns, ct_ns) "
			      "VALUES (?,?,?,?,?,?)", err);
	rc = prof_put && s.fn_get && s.fn_put && s.stat_put ? 0 : -1;
	for (size_t i = 0; !rc && i < rec->n_profiles; i++)
		rc = save_profile(&s, id, &rec->profiles[i], prof_put);
	sqlite3_finalize(prof_put);
	sqlite3_finalize(s.fn_get);
	sqlite3_finalize(s.fn_put);
	sqlite3_finalize(s.stat_put);
	pstats_free(s.known);
	free(s.known_ids);
	free(s.dict_target);
	if (rc == 0)
		*run_id = id;
	return rc;
}

int store_save_run(struct store *db, const struct run_record *rec, long long *run_id,
		   struct gb_err *err)
{
	if (rec->status && strcmp(rec->status, "ok") && strcmp(rec->status, "failed") &&
	    strcmp(rec->status, "interrupted"))
		return gb_errf(err, GB_EXIT_USAGE, "run status '%s' is not ok, failed or interrupted",
			       rec->status);
	if (store_exec(db, "BEGIN IMMEDIATE", err))
		return -1;
	if (save_all(db, rec, run_id, err) || store_exec(db, "COMMIT", err)) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		db->dict_id = 0; /* it may name a dictionary that was rolled back */
		return -1;
	}
	return 0;
}

int store_mark_status(struct store *db, long long run_id, const char *status, struct gb_err *err)
{
	if (strcmp(status, "ok") && strcmp(status, "failed") && strcmp(status, "interrupted"))
		return gb_errf(err, GB_EXIT_USAGE, "run status '%s' is not ok, failed or interrupted",
			       status);
	sqlite3_stmt *st = store_prep(db, "UPDATE runs SET status = ? WHERE id = ?", err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, run_id);
	int rc = step_done(db, st, err, "updating a run's status");
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_changes(db->db) != 1)
		return gb_errf(err, GB_EXIT_USAGE, "%s: no run with id %lld", db->path, run_id);
	return rc;
}


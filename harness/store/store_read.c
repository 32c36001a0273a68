/*
 * store_read.c - reading runs back: run references (id, label, last~N) and a run's
 * profiles, summed from their raw dumps (with caller edges or, as the stats rows had them,
 * without), and every function's row of a run's profiles.
 * Never prints, never exits, never writes.
 */
#include "store/store_int.h"
#include "store/store_codec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static long long count_runs(struct store *db)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM runs", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int one_id(struct store *db, const char *sql, const char *text, long long num,
		  long long *id, struct gb_err *err)
{
	sqlite3_stmt *st = store_prep(db, sql, err);
	if (!st)
		return -1;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, num);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(db, err, "resolving a run reference");
	return rc == SQLITE_ROW ? 1 : 0;
}

static const char *plural_runs(long long n)
{
	return n == 1 ? "run" : "runs";
}

int store_resolve_run(struct store *db, const char *ref, long long *run_id, struct gb_err *err)
{
	long long n = count_runs(db);
	if (!ref || !*ref)
		return gb_errf(err, GB_EXIT_USAGE, "empty run reference; give an id, a label, 'last' "
						   "or 'last~N'");
	char *end;
	if (!strcmp(ref, "last") || !strncmp(ref, "last~", 5)) {
		long long back = 0;
		if (ref[4]) {
			errno = 0;
			back = strtoll(ref + 5, &end, 10);
			if (errno || end == ref + 5 || *end || back < 0)
				return gb_errf(err, GB_EXIT_USAGE, "bad run reference '%s': expected "
								   "'last~N' with N a number >= 0", ref);
		}
		int rc = one_id(db, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", NULL, back,
				run_id, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return gb_errf(err, GB_EXIT_USAGE, "no run '%s': the store has %lld %s", ref, n,
				       plural_runs(n));
		return 0;
	}
	if (ref[0] >= '0' && ref[0] <= '9') {
		errno = 0;
		long long v = strtoll(ref, &end, 10);
		if (!errno && !*end) {
			int rc = one_id(db, "SELECT id FROM runs WHERE id = ?", NULL, v, run_id, err);
			if (rc < 0)
				return -1;
			if (rc == 1)
				return 0;
		}
	}
	int rc = one_id(db, "SELECT id FROM runs WHERE label = ? ORDER BY id DESC LIMIT 1", ref, 0,
			run_id, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return gb_errf(err, GB_EXIT_USAGE, "no run '%.100s': not a run id, a label, 'last' or "
						   "'last~N' (the store has %lld %s; see 'greenbench list')",
			       ref, n, plural_runs(n));
	return 0;
}

/* The ids of a run's profiles, filtered as store_run_pstats() documents. */
static int profile_ids(struct store *db, long long run_id, const char *target, int profile_no,
		       long long **ids, size_t *n, struct gb_err *err)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *st = store_prep(db, "SELECT id FROM profiles WHERE run_id = ? AND "
				    "(?2 IS NULL OR instr(target, ?2) > 0) ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	store_bind_text(st, 2, target);
	int rc, k = 0;
	size_t total = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k++;
		total++;
		if (profile_no > 0 && k != profile_no)
			continue;
		*ids = gb_realloc(*ids, (*n + 1) * sizeof(**ids));
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		return store_db_err(db, err, "listing profiles");
	}
	if (profile_no > 0 && *n == 0)
		return gb_errf(err, GB_EXIT_USAGE, "run %lld has no profile number %d (it has %zu%s%s)",
			       run_id, profile_no, total, target ? " matching " : "", target ? target : "");
	return 0;
}

int store_load_dict(struct store *db, long long id, struct gb_err *err)
{
	if (db->dict_id == id && id)
		return 0;
	db->dict_id = 0;
	sqlite3_stmt *st = store_prep(db, "SELECT dict_zstd FROM zdicts WHERE id = ?", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		rc = store_codec_decompress(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
					    NULL, 0, 2 * PSTATS_MAX_BYTES, &db->dict, err);
		if (rc)
			gb_err_append(err, " (dump dictionary %lld of %s)", id, db->path);
	} else {
		rc = gb_errf(err, GB_EXIT_ENV, "%s: dump dictionary %lld is missing; the store is damaged",
			     db->path, id);
	}
	sqlite3_finalize(st);
	if (rc == 0)
		db->dict_id = id;
	return rc;
}

/* The dump's bytes from its stored form: zlib, or split + zstd against its dictionary. */
static int decode_raw(struct store *db, int codec, long long dict_id, const void *z, size_t zlen,
		      size_t size, unsigned char *buf, struct gb_err *err)
{
	if (codec == STORE_CODEC_ZLIB) {
		uLongf len = (uLongf)size;
		return uncompress(buf, &len, z, (uLong)zlen) == Z_OK && len == (uLongf)size ? 0 : -1;
	}
	if (codec != STORE_CODEC_SPLIT || store_load_dict(db, dict_id, err))
		return -1;
	struct strbuf split = STRBUF_INIT, raw = STRBUF_INIT;
	int rc = store_codec_decompress(z, zlen, db->dict.buf, db->dict.len, 2 * PSTATS_MAX_BYTES,
					&split, err) ||
			 store_codec_join((const unsigned char *)split.buf, split.len, &raw, err) ||
			 raw.len != size
		 ? -1 : 0;
	if (rc == 0)
		memcpy(buf, raw.buf, size);
	sb_release(&split);
	sb_release(&raw);
	return rc;
}

/* Inflate and check one stored dump (by profile id) into out. */
static int load_raw(struct store *db, long long profile_id, struct strbuf *out, struct gb_err *err)
{
	sqlite3_stmt *st = store_prep(db, "SELECT raw_size, raw_sha256, raw_zlib, run_id, raw_codec, "
				    "zdict_id FROM profiles WHERE id = ?", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, profile_id);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_int64 size = sqlite3_column_int64(st, 0);
		const char *want = (const char *)sqlite3_column_text(st, 1);
		const void *z = sqlite3_column_blob(st, 2);
		int zlen = sqlite3_column_bytes(st, 2);
		long long run = sqlite3_column_int64(st, 3);
		int codec = sqlite3_column_int(st, 4);
		long long dict_id = sqlite3_column_int64(st, 5);
		size_t len = (size_t)size;
		unsigned char *buf = NULL;
		char hex[65];
		struct gb_err derr = { GB_EXIT_ENV, "" };
		if (size < 0 || size > (sqlite3_int64)PSTATS_MAX_BYTES ||
		    (buf = gb_malloc(size ? (size_t)size : 1),
		     decode_raw(db, codec, dict_id, z, (size_t)zlen, (size_t)size, buf, &derr) != 0)) {
			rc = gb_errf(err, GB_EXIT_ENV, "%s: the stored dump of profile id %lld (run %lld) is "
						       "damaged: it does not inflate to %lld bytes", db->path,
				     profile_id, run, (long long)size);
		} else if (gb_sha256_hex(buf, len, hex), !want || strcmp(hex, want)) {
			rc = gb_errf(err, GB_EXIT_ENV, "%s: the stored dump of profile id %lld (run %lld) "
						       "does not match its sha256", db->path, profile_id, run);
		} else {
			sb_add(out, buf, len);
			rc = 0;
		}
		free(buf);
	} else {
		rc = store_db_err(db, err, "reading a profile");
	}
	sqlite3_finalize(st);
	return rc;
}

static long long ns_of(double secs)
{
	if (!(secs > -9e9 && secs < 9e9))
		return 0;
	return llround(secs * 1e9);
}

/* Parse the stored dump of profile id into *out (the caller frees it). */
static int parse_stored(struct store *db, long long id, struct strbuf *raw, struct pstats **out,
			struct gb_err *err)
{
	char what[96];
	snprintf(what, sizeof(what), "stored profile id %lld", id);
	sb_reset(raw);
	*out = NULL;
	if (load_raw(db, id, raw, err))
		return -1;
	return pstats_parse((const unsigned char *)sb_str(raw), raw->len, what, out, err);
}

/* Call fn for every listed function of each given profile, parsed from its stored dump. */
typedef int (*listed_fn)(void *arg, long long profile_id, const struct pstats_func *f);
static int each_listed_func(struct store *db, const long long *ids, size_t n, listed_fn fn,
			    void *arg, struct gb_err *err)
{
	struct strbuf raw = STRBUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		struct pstats *one = NULL;
		rc = parse_stored(db, ids[i], &raw, &one, err);
		for (size_t j = 0; !rc && j < one->n_funcs; j++)
			if (one->funcs[j].is_listed)
				rc = fn(arg, ids[i], &one->funcs[j]);
		pstats_free(one);
	}
	sb_release(&raw);
	return rc;
}

static int add_row(void *arg, long long profile_id, const struct pstats_func *f)
{
	(void)profile_id;
	struct pstats *ps = arg;
	size_t k = pstats_intern(ps, f->file, f->line, f->name);
	pstats_add_func(ps, k, f->cc, f->nc, (double)ns_of(f->tt) * 1e-9, (double)ns_of(f->ct) * 1e-9);
	return 0;
}

/* Sum every function's stats of the given profiles, as the stats rows gave them before
 * schema 5 (whole nanoseconds; no caller edges), from their dumps. */
static int sum_rows(struct store *db, const long long *ids, size_t n, struct pstats *ps,
		    struct gb_err *err)
{
	return each_listed_func(db, ids, n, add_row, ps, err);
}

struct row_call {
	store_row_fn fn;
	void *arg;
};

static int emit_row(void *arg, long long profile_id, const struct pstats_func *f)
{
	const struct row_call *rc = arg;
	static const char *const names[] = { "profile_id", "file", "line", "name", "nc", "tt_ns",
					     "ct_ns" };
	struct store_value v[7] = { STORE_V_INT(profile_id), STORE_V_TEXT(f->file), STORE_V_INT(f->line),
				    STORE_V_TEXT(f->name), STORE_V_INT(f->nc), STORE_V_INT(ns_of(f->tt)),
				    STORE_V_INT(ns_of(f->ct)) };
	for (int c = 0; c < 7; c++)
		v[c].d = (double)v[c].i;
	struct store_row row = { 7, v, names, NULL };
	return rc->fn(rc->arg, &row);
}

int store_run_func_rows(struct store *db, long long run_id, const char *target, store_row_fn fn,
			void *arg, struct gb_err *err)
{
	long long *ids;
	size_t n;
	if (profile_ids(db, run_id, target, 0, &ids, &n, err))
		return -1;
	struct row_call call = { fn, arg };
	int rc = each_listed_func(db, ids, n, emit_row, &call, err);
	free(ids);
	return rc;
}

/* The profiles' own times summed into t (known only when every one has them). */
static int sum_times(struct store *db, const long long *ids, size_t n, struct pstats_times *t,
		     struct gb_err *err)
{
	memset(t, 0, sizeof(*t));
	sqlite3_stmt *st = store_prep(db, "SELECT cpu_ns, wall_ns, wait_ns, switches, mode FROM profiles "
				    "WHERE id = ?", err);
	if (!st)
		return -1;
	int known = n > 0, rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = store_db_err(db, err, "reading a profile's times");
			break;
		}
		if (sqlite3_column_type(st, 0) == SQLITE_NULL || sqlite3_column_type(st, 1) == SQLITE_NULL) {
			known = 0;
		} else {
			t->cpu_ns += sqlite3_column_int64(st, 0);
			t->wall_ns += sqlite3_column_int64(st, 1);
			t->wait_ns += sqlite3_column_int64(st, 2);
			t->switches += sqlite3_column_int64(st, 3);
			const char *mode = (const char *)sqlite3_column_text(st, 4);
			if (mode && !t->mode[0])
				snprintf(t->mode, sizeof(t->mode), "%s", mode);
			else if (mode && strcmp(mode, t->mode))
				snprintf(t->mode, sizeof(t->mode), "mixed");
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (!known)
		memset(t, 0, sizeof(*t));
	t->is_known = known;
	return rc;
}

int store_run_pstats(struct store *db, long long run_id, const char *target, int profile_no,
		     int with_edges, struct pstats **out, int *n_profiles, struct gb_err *err)
{
	*out = NULL;
	long long *ids;
	size_t n;
	if (profile_ids(db, run_id, target, profile_no, &ids, &n, err))
		return -1;
	struct pstats *ps = pstats_new();
	int rc = 0;
	if (!with_edges) {
		rc = sum_rows(db, ids, n, ps, err);
	} else {
		/* caller edges live only in the raw dumps: parse them (lossless) */
		struct strbuf raw = STRBUF_INIT;
		for (size_t i = 0; !rc && i < n; i++) {
			struct pstats *one = NULL;
			rc = parse_stored(db, ids[i], &raw, &one, err);
			if (!rc)
				pstats_merge(ps, one);
			pstats_free(one);
		}
		sb_release(&raw);
	}
	if (!rc)
		rc = sum_times(db, ids, n, &ps->times, err);
	free(ids);
	if (rc) {
		pstats_free(ps);
		return -1;
	}
	*out = ps;
	if (n_profiles)
		*n_profiles = (int)n;
	return 0;
}

int store_profile_raw(struct store *db, long long run_id, int profile_no, struct strbuf *out,
		      struct gb_err *err)
{
	long long *ids;
	size_t n;
	if (profile_no < 1)
		return gb_errf(err, GB_EXIT_USAGE, "profile numbers start at 1, got %d", profile_no);
	if (profile_ids(db, run_id, NULL, profile_no, &ids, &n, err))
		return -1;
	int rc = load_raw(db, ids[0], out, err);
	free(ids);
	return rc;
}

int store_has_dump(struct store *db, long long run_id, size_t size, const char *sha256,
		   bool *has, struct gb_err *err)
{
	*has = false;
	sqlite3_stmt *st = store_prep(db, "SELECT id FROM profiles WHERE raw_size = ?1 AND "
				    "raw_sha256 = ?2 AND (?3 = 0 OR run_id = ?3) ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	store_bind_text(st, 2, sha256);
	sqlite3_bind_int64(st, 3, run_id);
	long long *ids = NULL;
	size_t n = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		ids = gb_realloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	int rc = s == SQLITE_DONE ? 0 : store_db_err(db, err, "looking a dump up");
	/* the row's numbers are what was computed before storing: read the bytes back */
	for (size_t i = 0; rc == 0 && i < n && !*has; i++) {
		struct strbuf raw = STRBUF_INIT;
		char hex[65];
		struct gb_err e = { GB_EXIT_ENV, "" };
		if (load_raw(db, ids[i], &raw, &e) == 0) {
			gb_sha256_hex(raw.buf, raw.len, hex);
			*has = raw.len == size && !strcmp(hex, sha256);
		}
		sb_release(&raw);
	}
	free(ids);
	return rc;
}

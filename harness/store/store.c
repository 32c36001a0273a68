/*
 * store.c - the sqlite results store: schema and migrations (PRAGMA user_version), the
 * run_record builder, saving a run in one transaction, run references, reading profiles
 * back. Never prints, never exits; never leaves a transaction open after returning.
 */
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct store {
	sqlite3 *db;
	char *path;
};

/* ---- schema ---- */

/* migrations[i] takes the schema from version i to i + 1. Append only; never edit. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  scenario TEXT NOT NULL,\n"
	"  scenario_sha256 TEXT,\n"
	"  scenario_yaml TEXT,\n"
	"  label TEXT,\n"
	"  started_at REAL NOT NULL,\n"
	"  finished_at REAL,\n"
	"  host TEXT,\n"
	"  cpu_count INTEGER,\n"
	"  load1_before REAL, load5_before REAL, load15_before REAL,\n"
	"  load1_after REAL, load5_after REAL, load15_after REAL,\n"
	"  mem_free_kb INTEGER,\n"
	"  service_revision TEXT,\n"
	"  greenbench_version TEXT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'interrupted')),\n"
	"  fake_computes INTEGER,\n"
	"  repeat_count INTEGER,\n"
	"  ab_id INTEGER,\n"
	"  is_baseline INTEGER NOT NULL DEFAULT 0 CHECK (is_baseline IN (0, 1))\n"
	");\n"
	"CREATE INDEX runs_scenario ON runs(scenario, id);\n"
	"CREATE INDEX runs_label ON runs(label);\n"
	"CREATE TABLE patches (\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  position INTEGER NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  sha256 TEXT NOT NULL,\n"
	"  PRIMARY KEY (run_id, position)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE requests (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  repeat INTEGER NOT NULL,\n"
	"  request_id TEXT,\n"
	"  server_request_id TEXT,\n"
	"  method TEXT NOT NULL,\n"
	"  path TEXT NOT NULL,\n"
	"  status INTEGER,\n"
	"  latency REAL,\n"
	"  started_at REAL\n"
	");\n"
	"CREATE INDEX requests_run ON requests(run_id);\n"
	"CREATE TABLE servers (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  repeat INTEGER NOT NULL,\n"
	"  server_id TEXT,\n"
	"  name TEXT,\n"
	"  request_id TEXT,\n"
	"  post_latency REAL,\n"
	"  time_to_active REAL,\n"
	"  time_to_deleted REAL,\n"
	"  final_status TEXT,\n"
	"  fault TEXT\n"
	");\n"
	"CREATE INDEX servers_run ON servers(run_id);\n"
	"CREATE TABLE profiles (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  repeat INTEGER NOT NULL,\n"
	"  target TEXT NOT NULL,\n"
	"  request_id TEXT,\n"
	"  pid INTEGER,\n"
	"  total_tt REAL NOT NULL,\n"
	"  n_functions INTEGER NOT NULL,\n"
	"  n_calls INTEGER NOT NULL,\n"
	"  raw_size INTEGER NOT NULL,\n"
	"  raw_sha256 TEXT NOT NULL,\n"
	"  raw_zlib BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX profiles_run ON profiles(run_id);\n"
	"CREATE TABLE functions (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  file TEXT NOT NULL,\n"
	"  line INTEGER NOT NULL,\n"
	"  name TEXT NOT NULL\n"
	");\n"
	"CREATE UNIQUE INDEX functions_key ON functions(file, line, name);\n"
	"CREATE TABLE func_stats (\n"
	"  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,\n"
	"  function_id INTEGER NOT NULL REFERENCES functions(id),\n"
	"  cc INTEGER NOT NULL,\n"
	"  nc INTEGER NOT NULL,\n"
	"  tt_ns INTEGER NOT NULL,\n"
	"  ct_ns INTEGER NOT NULL,\n"
	"  PRIMARY KEY (profile_id, function_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE sla (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  metric TEXT NOT NULL,\n"
	"  value REAL,\n"
	"  limit_value REAL,\n"
	"  passed INTEGER NOT NULL CHECK (passed IN (0, 1))\n"
	");\n"
	"CREATE INDEX sla_run ON sla(run_id);\n"
	"CREATE VIEW profile_functions AS\n"
	"  SELECT p.run_id, s.profile_id, p.target, f.file, f.line, f.name,\n"
	"         s.cc, s.nc, s.tt_ns * 1e-9 AS tottime, s.ct_ns * 1e-9 AS cumtime\n"
	"  FROM func_stats s JOIN profiles p ON p.id = s.profile_id\n"
	"  JOIN functions f ON f.id = s.function_id;\n",
	/* 1 -> 2 (owner: compare/ab): `greenbench ab` experiments and their blocks */
	"CREATE TABLE ab_experiments (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  scenario TEXT NOT NULL,\n"
	"  started_at REAL NOT NULL,\n"
	"  block_order TEXT NOT NULL,\n"
	"  seed INTEGER,\n"
	"  patches TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE ab_blocks (\n"
	"  ab_id INTEGER NOT NULL REFERENCES ab_experiments(id) ON DELETE CASCADE,\n"
	"  position INTEGER NOT NULL,\n"
	"  side TEXT NOT NULL CHECK (side IN ('A', 'B')),\n"
	"  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,\n"
	"  status TEXT NOT NULL,\n"
	"  PRIMARY KEY (ab_id, position)\n"
	") WITHOUT ROWID;\n",
};

/* ---- small helpers ---- */

static int db_err(struct store *db, struct gb_err *err, const char *doing)
{
	return gb_errf(err, GB_EXIT_ENV, "%s: %s: %s", db->path, doing, sqlite3_errmsg(db->db));
}

static int exec(struct store *db, const char *sql, struct gb_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		gb_errf(err, GB_EXIT_ENV, "%s: %s (while running: %.60s)", db->path,
			msg ? msg : sqlite3_errmsg(db->db), sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *prep(struct store *db, const char *sql, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(db, err, "preparing a query");
		return NULL;
	}
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

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
		return db_err(db, err, doing);
	return 0;
}

static long long to_ns(double secs)
{
	if (!(secs > -9e9 && secs < 9e9))
		return 0;
	return llround(secs * 1e9);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

void store_sha256_hex(const void *data, size_t len, char out[65])
{
	sha256_hex(data, len, out);
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

/* ---- opening ---- */

int store_default_path(const char *opt_db, struct strbuf *out, struct gb_err *err)
{
	sb_reset(out);
	const char *env = getenv("GREENBENCH_DB");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	if (opt_db && *opt_db)
		sb_addstr(out, opt_db);
	else if (env && *env)
		sb_addstr(out, env);
	else if (xdg && xdg[0] == '/')
		sb_addf(out, "%s/greenbench/results.db", xdg);
	else if (home && *home)
		sb_addf(out, "%s/.local/share/greenbench/results.db", home);
	else
		return gb_errf(err, GB_EXIT_USAGE, "no store path: HOME is not set; pass --db FILE "
						   "or set GREENBENCH_DB");
	return 0;
}

static int mkdir_parents(const char *path, struct gb_err *err)
{
	char *dir = gb_strdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) && errno != EEXIST) {
				gb_errf(err, GB_EXIT_ENV, "%s: cannot create directory: %s", dir,
					strerror(errno));
				free(dir);
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(dir);
	return 0;
}

static int migrate(struct store *db, int create, struct gb_err *err)
{
	sqlite3_stmt *st = prep(db, "PRAGMA user_version", err);
	if (!st)
		return -1;
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version < 0)
		return db_err(db, err, "reading the schema version");
	if (version > STORE_SCHEMA_VERSION)
		return gb_errf(err, GB_EXIT_ENV, "%s: schema version %d is newer than this greenbench "
						 "knows (%d); use a newer greenbench", db->path, version,
			       STORE_SCHEMA_VERSION);
	if (version == 0) {
		/* a non-empty database that is not ours: refuse to add tables to it */
		st = prep(db, "SELECT count(*) FROM sqlite_master", err);
		if (!st)
			return -1;
		int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
		sqlite3_finalize(st);
		if (n != 0)
			return gb_errf(err, GB_EXIT_ENV, "%s: an sqlite database with other tables, not "
							 "a greenbench store; choose another --db", db->path);
		if (!create)
			return gb_errf(err, GB_EXIT_ENV, "%s: an empty file, not a greenbench store (no run "
							 "stored yet?); choose another --db", db->path);
	}
	for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
		char sql[64];
		if (exec(db, "BEGIN IMMEDIATE", err))
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(db, migrations[v], err) || exec(db, sql, err) || exec(db, "COMMIT", err)) {
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

int store_open(const char *path, int create, struct store **out, struct gb_err *err)
{
	*out = NULL;
	struct stat st;
	if (!create && stat(path, &st) != 0)
		return gb_errf(err, GB_EXIT_ENV, "no results store at %s (no run stored yet?); pass "
						 "--db FILE or set GREENBENCH_DB", path);
	if (create && mkdir_parents(path, err))
		return -1;
	struct store *db = gb_calloc(1, sizeof(*db));
	db->path = gb_strdup(path);
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		gb_errf(err, GB_EXIT_ENV, "%s: cannot open the results store: %s", path,
			db->db ? sqlite3_errmsg(db->db) : "out of memory");
		store_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db->db, 5000);
	sqlite3_extended_result_codes(db->db, 1);
	/* migrate first: a reader must not turn an empty or foreign file into a WAL store */
	if (exec(db, "PRAGMA foreign_keys = ON", err) || migrate(db, create, err) ||
	    exec(db, "PRAGMA journal_mode = WAL", err) ||
	    exec(db, "PRAGMA synchronous = NORMAL", err)) {
		if (err && (strstr(err->msg, "not a database") || strstr(err->msg, "malformed")))
			gb_errf(err, GB_EXIT_ENV, "%s: not a usable results store (%s); move it away or "
						  "pass another --db", path, sqlite3_errmsg(db->db));
		store_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void store_close(struct store *db)
{
	if (!db)
		return;
	sqlite3_close(db->db);
	free(db->path);
	free(db);
}

int store_open_default(const char *opt_db, int create, struct store **out, struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = store_default_path(opt_db, &path, err);
	if (rc == 0)
		rc = store_open(path.buf, create, out, err);
	sb_release(&path);
	return rc;
}

struct sqlite3 *store_handle(struct store *db)
{
	return db->db;
}

/* ---- saving a run ---- */

struct saver {
	struct store *db;
	struct gb_err *err;
	sqlite3_stmt *fn_get, *fn_put, *stat_put;
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
		return db_err(s->db, s->err, "looking up a function");
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

static int save_profile(struct saver *s, long long run_id, const struct store_profile *p,
			sqlite3_stmt *prof_put)
{
	struct pstats_totals t;
	pstats_totals(p->stats, &t);
	uLongf zlen = compressBound((uLong)p->raw_len);
	unsigned char *z = gb_malloc(zlen);
	if (compress2(z, &zlen, p->raw, (uLong)p->raw_len, 6) != Z_OK) {
		free(z);
		return gb_errf(s->err, GB_EXIT_ENV, "compressing the dump of %s failed", p->target);
	}
	char hex[65];
	sha256_hex(p->raw, p->raw_len, hex);
	sqlite3_bind_int64(prof_put, 1, run_id);
	sqlite3_bind_int(prof_put, 2, p->repeat);
	bind_text(prof_put, 3, p->target);
	bind_text(prof_put, 4, p->request_id);
	sqlite3_bind_int64(prof_put, 5, p->pid);
	sqlite3_bind_double(prof_put, 6, t.total_tt);
	sqlite3_bind_int64(prof_put, 7, (long long)p->stats->n_listed);
	sqlite3_bind_int64(prof_put, 8, t.total_calls);
	sqlite3_bind_int64(prof_put, 9, (long long)p->raw_len);
	sqlite3_bind_text(prof_put, 10, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(prof_put, 11, z, (int)zlen, SQLITE_TRANSIENT);
	free(z);
	if (step_done(s->db, prof_put, s->err, "storing a profile"))
		return -1;
	long long pid = sqlite3_last_insert_rowid(s->db->db);

	const struct pstats *ps = p->stats;
	long long *ids = gb_malloc((ps->n_funcs ? ps->n_funcs : 1) * sizeof(long long));
	int rc = 0;
	for (size_t i = 0; !rc && i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		rc = function_id(s, f, &ids[i]);
		if (rc || !f->is_listed)
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
	return rc;
}

static int save_all(struct store *db, const struct run_record *rec, long long *run_id,
		    struct gb_err *err)
{
	sqlite3_stmt *st = prep(db,
		"INSERT INTO runs (scenario, scenario_sha256, scenario_yaml, label, started_at, "
		"finished_at, host, cpu_count, load1_before, load5_before, load15_before, "
		"load1_after, load5_after, load15_after, mem_free_kb, service_revision, "
		"greenbench_version, status, fake_computes, repeat_count, ab_id, is_baseline) "
		"VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (!st)
		return -1;
	bind_text(st, 1, rec->scenario ? rec->scenario : "");
	bind_text(st, 2, rec->scenario_sha256);
	bind_text(st, 3, rec->scenario_yaml);
	bind_text(st, 4, rec->label);
	sqlite3_bind_double(st, 5, rec->started_at);
	if (rec->finished_at > 0)
		sqlite3_bind_double(st, 6, rec->finished_at);
	bind_text(st, 7, rec->host);
	if (rec->cpu_count > 0)
		sqlite3_bind_int(st, 8, rec->cpu_count);
	for (int i = 0; i < 3; i++) {
		bind_opt_double(st, 9 + i, rec->load_before[i]);
		bind_opt_double(st, 12 + i, rec->load_after[i]);
	}
	if (rec->mem_free_kb >= 0)
		sqlite3_bind_int64(st, 15, rec->mem_free_kb);
	bind_text(st, 16, rec->service_revision);
	bind_text(st, 17, rec->greenbench_version ? rec->greenbench_version : GB_VERSION);
	bind_text(st, 18, rec->status ? rec->status : "ok");
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

	st = prep(db, "INSERT INTO patches (run_id, position, name, sha256) VALUES (?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_patches; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (long long)i);
		bind_text(st, 3, rec->patches[i].name);
		bind_text(st, 4, rec->patches[i].sha256);
		rc = step_done(db, st, err, "storing a patch hash");
	}
	sqlite3_finalize(st);

	st = prep(db, "INSERT INTO requests (run_id, repeat, request_id, server_request_id, method, "
		      "path, status, latency, started_at) VALUES (?,?,?,?,?,?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_requests; i++) {
		const struct store_request *r = &rec->requests[i];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, r->repeat);
		bind_text(st, 3, r->request_id);
		bind_text(st, 4, r->server_request_id);
		bind_text(st, 5, r->method);
		bind_text(st, 6, r->path);
		sqlite3_bind_int(st, 7, r->status);
		bind_opt_double(st, 8, r->latency);
		bind_opt_double(st, 9, r->started_at);
		rc = step_done(db, st, err, "storing a request");
	}
	sqlite3_finalize(st);

	st = prep(db, "INSERT INTO servers (run_id, repeat, server_id, name, request_id, "
		      "post_latency, time_to_active, time_to_deleted, final_status, fault) "
		      "VALUES (?,?,?,?,?,?,?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_servers; i++) {
		const struct store_server *s = &rec->servers[i];
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, s->repeat);
		bind_text(st, 3, s->server_id);
		bind_text(st, 4, s->name);
		bind_text(st, 5, s->request_id);
		bind_opt_double(st, 6, s->post_latency);
		bind_opt_double(st, 7, s->time_to_active);
		bind_opt_double(st, 8, s->time_to_deleted);
		bind_text(st, 9, s->final_status);
		bind_text(st, 10, s->fault);
		rc = step_done(db, st, err, "storing a server");
	}
	sqlite3_finalize(st);

	st = prep(db, "INSERT INTO sla (run_id, metric, value, limit_value, passed) "
		      "VALUES (?,?,?,?,?)", err);
	if (!st)
		return -1;
	for (size_t i = 0; !rc && i < rec->n_slas; i++) {
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, rec->slas[i].metric);
		sqlite3_bind_double(st, 3, rec->slas[i].value);
		sqlite3_bind_double(st, 4, rec->slas[i].limit);
		sqlite3_bind_int(st, 5, rec->slas[i].passed);
		rc = step_done(db, st, err, "storing an SLA result");
	}
	sqlite3_finalize(st);
	if (rc)
		return -1;

	struct saver s = { .db = db, .err = err, .known = pstats_new() };
	sqlite3_stmt *prof_put = prep(db,
		"INSERT INTO profiles (run_id, repeat, target, request_id, pid, total_tt, "
		"n_functions, n_calls, raw_size, raw_sha256, raw_zlib) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		err);
	s.fn_get = prep(db, "SELECT id FROM functions WHERE file = ? AND line = ? AND name = ?", err);
	s.fn_put = prep(db, "INSERT INTO functions (file, line, name) VALUES (?,?,?)", err);
	s.stat_put = prep(db, "INSERT INTO func_stats (profile_id, function_id, cc, nc, tt_ns, ct_ns) "
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
	if (exec(db, "BEGIN IMMEDIATE", err))
		return -1;
	if (save_all(db, rec, run_id, err) || exec(db, "COMMIT", err)) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int store_mark_status(struct store *db, long long run_id, const char *status, struct gb_err *err)
{
	if (strcmp(status, "ok") && strcmp(status, "failed") && strcmp(status, "interrupted"))
		return gb_errf(err, GB_EXIT_USAGE, "run status '%s' is not ok, failed or interrupted",
			       status);
	sqlite3_stmt *st = prep(db, "UPDATE runs SET status = ? WHERE id = ?", err);
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

/* ---- reading ---- */

long long store_count_runs(struct store *db)
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
	sqlite3_stmt *st = prep(db, sql, err);
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
		return db_err(db, err, "resolving a run reference");
	return rc == SQLITE_ROW ? 1 : 0;
}

static const char *plural_runs(long long n)
{
	return n == 1 ? "run" : "runs";
}

int store_resolve_run(struct store *db, const char *ref, long long *run_id, struct gb_err *err)
{
	long long n = store_count_runs(db);
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
	sqlite3_stmt *st = prep(db, "SELECT id FROM profiles WHERE run_id = ? AND "
				    "(?2 IS NULL OR instr(target, ?2) > 0) ORDER BY id", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, target);
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
		return db_err(db, err, "listing profiles");
	}
	if (profile_no > 0 && *n == 0)
		return gb_errf(err, GB_EXIT_USAGE, "run %lld has no profile number %d (it has %zu%s%s)",
			       run_id, profile_no, total, target ? " matching " : "", target ? target : "");
	return 0;
}

/* Inflate and check one stored dump (by profile id) into out. */
static int load_raw(struct store *db, long long profile_id, struct strbuf *out, struct gb_err *err)
{
	sqlite3_stmt *st = prep(db, "SELECT raw_size, raw_sha256, raw_zlib, run_id FROM profiles "
				    "WHERE id = ?", err);
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
		uLongf len = (uLongf)size;
		unsigned char *buf = NULL;
		char hex[65];
		if (size < 0 || size > (sqlite3_int64)PSTATS_MAX_BYTES ||
		    (buf = gb_malloc(size ? (size_t)size : 1),
		     uncompress(buf, &len, z, (uLong)zlen) != Z_OK) || len != (uLongf)size) {
			rc = gb_errf(err, GB_EXIT_ENV, "%s: the stored dump of profile id %lld (run %lld) is "
						       "damaged: it does not inflate to %lld bytes", db->path,
				     profile_id, run, (long long)size);
		} else if (sha256_hex(buf, len, hex), !want || strcmp(hex, want)) {
			rc = gb_errf(err, GB_EXIT_ENV, "%s: the stored dump of profile id %lld (run %lld) "
						       "does not match its sha256", db->path, profile_id, run);
		} else {
			sb_add(out, buf, len);
			rc = 0;
		}
		free(buf);
	} else {
		rc = db_err(db, err, "reading a profile");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Sum the func_stats rows of the given profiles (no caller edges). */
static int sum_rows(struct store *db, const long long *ids, size_t n, struct pstats *ps,
		    struct gb_err *err)
{
	sqlite3_stmt *fs = prep(db, "SELECT f.file, f.line, f.name, s.cc, s.nc, s.tt_ns, s.ct_ns "
				    "FROM func_stats s JOIN functions f ON f.id = s.function_id "
				    "WHERE s.profile_id = ?", err);
	if (!fs)
		return -1;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(fs, 1, ids[i]);
		int r;
		while ((r = sqlite3_step(fs)) == SQLITE_ROW) {
			size_t k = pstats_intern(ps, (const char *)sqlite3_column_text(fs, 0),
						 (long)sqlite3_column_int64(fs, 1),
						 (const char *)sqlite3_column_text(fs, 2));
			pstats_add_func(ps, k, sqlite3_column_int64(fs, 3), sqlite3_column_int64(fs, 4),
					(double)sqlite3_column_int64(fs, 5) * 1e-9,
					(double)sqlite3_column_int64(fs, 6) * 1e-9);
		}
		sqlite3_reset(fs);
		if (r != SQLITE_DONE)
			rc = db_err(db, err, "reading function stats");
	}
	sqlite3_finalize(fs);
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
			char what[96];
			snprintf(what, sizeof(what), "stored profile id %lld", ids[i]);
			sb_reset(&raw);
			rc = load_raw(db, ids[i], &raw, err);
			if (!rc)
				rc = pstats_parse((const unsigned char *)sb_str(&raw), raw.len, what, &one, err);
			if (!rc)
				pstats_merge(ps, one);
			pstats_free(one);
		}
		sb_release(&raw);
	}
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

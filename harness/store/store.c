/*
 * store.c - opening the sqlite results store: its path, schema and migrations
 * (PRAGMA user_version), and the helpers every statement in the part goes through.
 * Never prints, never exits; never leaves a transaction open after returning.
 */
#include "store/store_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- schema ---- */

/* migrations[i] takes the schema from version i to i + 1: an ordered list of steps, each
 * one SQL text in one transaction with its user_version bump. Append only (a new step
 * goes at the end, with its own "N -> N+1" comment and STORE_SCHEMA_VERSION + 1); never
 * edit a step that has shipped. STORE.md lists them. */
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
	/* 2 -> 3 (owner: store size): dumps split into skeleton and numbers, zstd against a
	 * dictionary per target (store_codec.h); rows of schema 2 stay zlib (raw_codec 0) */
	"CREATE TABLE zdicts (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  target TEXT NOT NULL,\n"
	"  created_at REAL NOT NULL,\n"
	"  dict_zstd BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX zdicts_target ON zdicts(target, id);\n"
	"ALTER TABLE profiles ADD COLUMN raw_codec INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE profiles ADD COLUMN zdict_id INTEGER REFERENCES zdicts(id);\n",
	/* 3 -> 4 (owner: profile times): the profiled call's own times from greenprof's
	 * trailer, ns; NULL when the dump has none (cProfile, older greenprof) */
	"ALTER TABLE profiles ADD COLUMN cpu_ns INTEGER;\n"
	"ALTER TABLE profiles ADD COLUMN wall_ns INTEGER;\n"
	"ALTER TABLE profiles ADD COLUMN wait_ns INTEGER;\n"
	"ALTER TABLE profiles ADD COLUMN switches INTEGER;\n"
	"ALTER TABLE profiles ADD COLUMN mode TEXT;\n",
	/* 4 -> 5 (owner: store size): each profile's sums as columns (tt_ns, switch_tt_ns,
	 * max_ct_ns), func_stats only its top rows (STORE_TOP_ROWS by tottime and by cumtime,
	 * and the target's own function); every function stays in the dump */
	"ALTER TABLE profiles ADD COLUMN tt_ns INTEGER;\n"
	"ALTER TABLE profiles ADD COLUMN switch_tt_ns INTEGER;\n"
	"ALTER TABLE profiles ADD COLUMN max_ct_ns INTEGER;\n"
	"UPDATE profiles SET\n"
	"  tt_ns = (SELECT sum(tt_ns) FROM func_stats WHERE profile_id = profiles.id),\n"
	"  max_ct_ns = (SELECT max(ct_ns) FROM func_stats WHERE profile_id = profiles.id),\n"
	"  switch_tt_ns = (SELECT coalesce(sum(s.tt_ns), 0) FROM func_stats s JOIN functions f\n"
	"    ON f.id = s.function_id WHERE s.profile_id = profiles.id AND f.file = '~'\n"
	"    AND f.name = '<greenlet switch>');\n"
	"CREATE TEMP TABLE kept AS SELECT profile_id, function_id FROM (\n"
	"  SELECT s.profile_id, s.function_id, f.name, p.target,\n"
	"    row_number() OVER (PARTITION BY s.profile_id ORDER BY s.tt_ns DESC) AS by_tt,\n"
	"    row_number() OVER (PARTITION BY s.profile_id ORDER BY s.ct_ns DESC) AS by_ct,\n"
	"    substr(p.target, instr(p.target, ':') + 1) AS qual\n"
	"  FROM func_stats s JOIN functions f ON f.id = s.function_id\n"
	"  JOIN profiles p ON p.id = s.profile_id)\n"
	"WHERE by_tt <= 16 OR by_ct <= 16 OR name = target\n"
	"  OR name = replace(qual, rtrim(qual, replace(qual, '.', '')), '');\n"
	"DELETE FROM func_stats WHERE (profile_id, function_id) NOT IN\n"
	"  (SELECT profile_id, function_id FROM temp.kept);\n"
	"DROP TABLE temp.kept;\n"
	"CREATE INDEX runs_scenario_status ON runs(scenario, status, id);\n",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

/* ---- small helpers ---- */

int store_db_err(struct store *db, struct gb_err *err, const char *doing)
{
	return gb_errf(err, GB_EXIT_ENV, "%s: %s: %s", db->path, doing, sqlite3_errmsg(db->db));
}

int store_exec(struct store *db, const char *sql, struct gb_err *err)
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

sqlite3_stmt *store_prep(struct store *db, const char *sql, struct gb_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_db_err(db, err, "preparing a query");
		return NULL;
	}
	return st;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
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
	sqlite3_stmt *st = store_prep(db, "PRAGMA user_version", err);
	if (!st)
		return -1;
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version < 0)
		return store_db_err(db, err, "reading the schema version");
	if (version > STORE_SCHEMA_VERSION)
		return gb_errf(err, GB_EXIT_ENV, "%s: schema version %d is newer than this greenbench "
						 "knows (%d); use a newer greenbench", db->path, version,
			       STORE_SCHEMA_VERSION);
	if (version == 0) {
		/* a non-empty database that is not ours: refuse to add tables to it */
		st = store_prep(db, "SELECT count(*) FROM sqlite_master", err);
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
		/* before the first table: pages freed by prune go back with an incremental vacuum */
		if (store_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", err))
			return -1;
	}
	for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
		char sql[64];
		if (store_exec(db, "BEGIN IMMEDIATE", err))
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (store_exec(db, migrations[v], err) || store_exec(db, sql, err) || store_exec(db, "COMMIT", err)) {
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
	if (store_exec(db, "PRAGMA foreign_keys = ON", err) || migrate(db, create, err) ||
	    store_exec(db, "PRAGMA journal_mode = WAL", err) ||
	    store_exec(db, "PRAGMA synchronous = NORMAL", err)) {
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
	sb_release(&db->dict);
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

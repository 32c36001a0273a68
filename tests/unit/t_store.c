/* t_store.c - the results store: schema and migrations, a run round-trips, functions are
 * stored once, run references resolve, failed saves leave nothing, bad files are refused. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h" /* the test reads and breaks the file behind the store's back */
#include "lib/store_fixture.h"
#include "lib/tap.h"

static char dir[] = "/tmp/t_store.XXXXXX";

static long long q1(struct store *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *qs(struct store *db, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *st = NULL;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, n, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void test_paths(void)
{
	struct strbuf p = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_DATA_HOME");
	unsetenv("GREENBENCH_DB");
	store_default_path(NULL, &p, &err);
	is_str(sb_str(&p), "/home/u/.local/share/greenbench/results.db", "path: default under HOME");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	store_default_path(NULL, &p, &err);
	is_str(sb_str(&p), "/xdg/greenbench/results.db", "path: XDG_DATA_HOME respected");
	setenv("GREENBENCH_DB", "/env.db", 1);
	store_default_path(NULL, &p, &err);
	is_str(sb_str(&p), "/env.db", "path: GREENBENCH_DB beats XDG_DATA_HOME");
	store_default_path("/opt.db", &p, &err);
	is_str(sb_str(&p), "/opt.db", "path: --db beats GREENBENCH_DB");
	unsetenv("GREENBENCH_DB");
	unsetenv("XDG_DATA_HOME");
	sb_release(&p);
}

static void test_open_errors(void)
{
	char p[256];
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	path(p, sizeof(p), "missing.db");
	ok(store_open(p, 0, &db, &err) == -1 && err.exit_code == GB_EXIT_ENV &&
		   strstr(err.msg, "no results store at") && access(p, F_OK) != 0,
	   "open: a missing store is not created by readers, exit 3 (%s)", err.msg);
	path(p, sizeof(p), "garbage.db");
	gb_write_file_atomic(p, "this is not sqlite, just some text that is long enough to matter....."
				"..............................................................", 130, 0600, &err);
	ok(store_open(p, 1, &db, &err) == -1 && err.exit_code == GB_EXIT_ENV &&
		   strstr(err.msg, "not a usable results store"),
	   "open: a garbage file is refused, exit 3 (%s)", err.msg);

	path(p, sizeof(p), "empty.db");
	gb_write_file_atomic(p, "", 0, 0600, &err);
	ok(store_open(p, 0, &db, &err) == -1 && strstr(err.msg, "an empty file, not a greenbench store"),
	   "open: readers don't turn an empty file into a store (%s)", err.msg);
	unlink(p);

	path(p, sizeof(p), "foreign.db");
	sqlite3 *raw = NULL;
	sqlite3_open(p, &raw);
	sqlite3_exec(raw, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(raw);
	ok(store_open(p, 1, &db, &err) == -1 && strstr(err.msg, "not a greenbench store"),
	   "open: someone else's database is left alone (%s)", err.msg);

	path(p, sizeof(p), "future.db");
	sqlite3_open(p, &raw);
	sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(raw);
	ok(store_open(p, 1, &db, &err) == -1 && strstr(err.msg, "schema version 99 is newer"),
	   "open: a newer schema is refused (%s)", err.msg);
}

static void test_host(void)
{
	struct run_record *rec = run_record_new();
	run_record_fill_host(rec, 0);
	run_record_fill_host(rec, 1);
	ok(rec->host && *rec->host && rec->cpu_count >= 1 && rec->mem_free_kb > 0 &&
		   rec->load_before[0] >= 0 && rec->load_after[2] >= 0,
	   "host: name %s, %d CPUs, %lld kB free, load %.2f", rec->host ? rec->host : "?",
	   rec->cpu_count, rec->mem_free_kb, rec->load_before[0]);
	run_record_free(rec);
}

static void test_roundtrip(void)
{
	char p[256], buf[256];
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	path(p, sizeof(p), "sub/dir/results.db");
	if (!ok(store_open(p, 1, &db, &err) == 0, "open: creates the store and its directories"))
		diag("%s", err.msg);
	if (!db)
		return;
	is_int(q1(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "schema: user_version is %d",
	       STORE_SCHEMA_VERSION);
	is_str(qs(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal", "schema: WAL journal");
	is_int(q1(db, "PRAGMA foreign_keys"), 1, "schema: foreign keys on");

	struct run_record *rec = fixture_run("select_destinations", "before", 2, 1.0);
	is_int(rec->n_profiles, 4, "record: 4 profiles added");
	struct strbuf junk = STRBUF_INIT;
	sb_addstr(&junk, "{)\x03");
	ok(run_record_add_profile(rec, 0, "t", "req-x", 1, (const unsigned char *)junk.buf, junk.len,
				  &err) == -1 && rec->n_profiles == 4 && strstr(err.msg, "profile of t for req-x"),
	   "record: a corrupt dump is refused and not added (%s)", err.msg);
	sb_release(&junk);

	struct pstats *uni = pstats_new();
	pstats_merge(uni, rec->profiles[0].stats);
	pstats_merge(uni, rec->profiles[1].stats);
	long long n_union = (long long)uni->n_funcs;
	pstats_free(uni);
	long long id = 0;
	if (!ok(store_save_run(db, rec, &id, &err) == 0 && id == 1, "save: run stored as id 1"))
		diag("%s", err.msg);
	is_int(q1(db, "SELECT count(*) FROM requests WHERE run_id = 1"), 4, "save: 4 requests");
	is_int(q1(db, "SELECT count(*) FROM servers WHERE run_id = 1 AND final_status = 'ACTIVE'"), 4,
	       "save: 4 servers");
	is_int(q1(db, "SELECT count(*) FROM profiles WHERE run_id = 1"), 4, "save: 4 profiles");
	(void)n_union;
	long long n_kept = q1(db, "SELECT count(DISTINCT function_id) FROM func_stats");
	is_int(q1(db, "SELECT count(*) FROM functions"), n_kept,
	       "save: the functions of the kept rows stored once (%lld)", n_kept);
	is_int(q1(db, "SELECT count(*) FROM func_stats WHERE profile_id = 2"), 9,
	       "save: small.prof keeps all 9 rows (fewer than STORE_TOP_ROWS)");
	long long n_nova = q1(db, "SELECT count(*) FROM func_stats WHERE profile_id = 1");
	ok(n_nova >= STORE_TOP_ROWS && n_nova <= 2 * STORE_TOP_ROWS + 2,
	   "save: the nova dump keeps its top rows only (%lld of 2107)", n_nova);
	long long want_tt = 0, want_ct = 0;
	for (size_t i = 0; i < rec->profiles[0].stats->n_funcs; i++) {
		const struct pstats_func *f = &rec->profiles[0].stats->funcs[i];
		if (!f->is_listed)
			continue;
		want_tt += llround(f->tt * 1e9);
		if (llround(f->ct * 1e9) > want_ct)
			want_ct = llround(f->ct * 1e9);
	}
	is_int(q1(db, "SELECT tt_ns FROM profiles WHERE id = 1"), want_tt,
	       "save: profiles.tt_ns is the sum over all 2107 functions");
	is_int(q1(db, "SELECT max_ct_ns FROM profiles WHERE id = 1"), want_ct,
	       "save: profiles.max_ct_ns is the largest cumtime");
	is_int(q1(db, "SELECT max(ct_ns) FROM func_stats WHERE profile_id = 1"), want_ct,
	       "save: the largest cumtime is a kept row");
	is_str(qs(db, "SELECT host || ' ' || cpu_count || ' ' || load5_after || ' ' || mem_free_kb || ' ' || "
		      "service_revision || ' ' || status || ' ' || is_baseline FROM runs", buf, sizeof(buf)),
	       "testhost 2 2.5 123456 26.2.0-1 ok 0", "save: run metadata stored");
	is_str(qs(db, "SELECT name || ':' || substr(sha256, 1, 8) FROM patches", buf, sizeof(buf)),
	       "fix.diff:e3b0c442", "save: patch hash stored");
	is_int(q1(db, "SELECT raw_size FROM profiles ORDER BY id LIMIT 1"), 299503, "save: raw size");
	ok(q1(db, "SELECT length(raw_zlib) FROM profiles ORDER BY id LIMIT 1") < 150000,
	   "save: raw dump is compressed (%lld bytes)",
	   q1(db, "SELECT length(raw_zlib) FROM profiles ORDER BY id LIMIT 1"));
	is_int(q1(db, "SELECT cc FROM profile_functions WHERE name = 'get_by_binary' LIMIT 1"), 1,
	       "view: profile_functions gives get_by_binary's primitive calls");

	/* read back one profile: every number exactly as parsed */
	struct pstats *ps = NULL;
	int n = 0;
	const struct pstats *orig = rec->profiles[0].stats;
	for (int with_edges = 0; with_edges <= 1; with_edges++) {
		ok(store_run_pstats(db, 1, NULL, 1, with_edges, &ps, &n, &err) == 0 && n == 1,
		   "read: profile 1 loads (%s)", with_edges ? "from the raw dump" : "from the rows");
		size_t mismatches = 0;
		for (size_t i = 0; ps && i < orig->n_funcs; i++) {
			const struct pstats_func *f = &orig->funcs[i];
			size_t k = pstats_find(ps, f->file, f->line, f->name);
			if (k == (size_t)-1 || ps->funcs[k].cc != f->cc || ps->funcs[k].nc != f->nc ||
			    ps->funcs[k].tt != f->tt || ps->funcs[k].ct != f->ct)
				mismatches++;
		}
		ok(ps && ps->n_listed == 2107 && ps->n_edges == (with_edges ? 4136u : 0u) && mismatches == 0,
		   "read: 2107 functions %s come back bit-exact (%zu differ)",
		   with_edges ? "and 4136 caller edges" : "(nanosecond rows)", mismatches);
		pstats_free(ps);
		ps = NULL;
	}
	ok(store_run_pstats(db, 1, "select_destinations", 0, 0, &ps, &n, &err) == 0 && n == 4 &&
		   (long long)ps->n_listed == n_union,
	   "read: all 4 profiles summed for a target substring");
	struct pstats_totals t;
	if (ps) {
		pstats_totals(ps, &t);
		ok(t.total_calls == 2 * (41847 + 6702), "read: summed calls are 2 x (41847 + 6702) (got %lld)",
		   t.total_calls);
	}
	pstats_free(ps);
	ok(store_run_pstats(db, 1, NULL, 9, 0, &ps, &n, &err) == -1 && strstr(err.msg, "no profile number 9"),
	   "read: profile 9 of 4 is an error (%s)", err.msg);

	struct strbuf raw = STRBUF_INIT;
	ok(store_profile_raw(db, 1, 1, &raw, &err) == 0 && raw.len == rec->profiles[0].raw_len &&
		   !memcmp(raw.buf, rec->profiles[0].raw, raw.len),
	   "read: the raw dump comes back byte for byte");
	sb_release(&raw);

	/* a damaged blob or hash is noticed, not exported */
	sqlite3_exec(db->db, "UPDATE profiles SET raw_sha256 = 'x' || substr(raw_sha256, 2) "
				       "WHERE id = 2", NULL, NULL, NULL);
	ok(store_profile_raw(db, 1, 2, &raw, &err) == -1 && strstr(err.msg, "does not match its sha256"),
	   "read: a dump whose sha256 differs is refused (%s)", err.msg);
	sqlite3_exec(db->db, "UPDATE profiles SET raw_zlib = x'789c00' WHERE id = 3", NULL, NULL, NULL);
	ok(store_profile_raw(db, 1, 3, &raw, &err) == -1 && strstr(err.msg, "damaged"),
	   "read: a damaged compressed dump is refused (%s)", err.msg);
	ok(store_run_pstats(db, 1, NULL, 0, 1, &ps, &n, &err) == -1 && !ps,
	   "read: aggregating with edges stops at the damaged dump");
	sb_release(&raw);

	/* a second and third run: functions are not duplicated */
	run_record_free(rec);
	rec = fixture_run("select_destinations", "after", 1, 2.0);
	long long id2 = 0, id3 = 0;
	store_save_run(db, rec, &id2, &err);
	free(rec->label);
	rec->label = NULL;
	free(rec->scenario);
	rec->scenario = gb_strdup("other");
	store_save_run(db, rec, &id3, &err);
	ok(id2 == 2 && id3 == 3, "save: runs 2 and 3 stored");
	is_int(q1(db, "SELECT count(*) FROM functions"), n_kept, "save: no function stored twice");

	/* references */
	long long r = 0;
	ok(store_resolve_run(db, "last", &r, &err) == 0 && r == 3, "ref: last is run 3");
	ok(store_resolve_run(db, "last~2", &r, &err) == 0 && r == 1, "ref: last~2 is run 1");
	ok(store_resolve_run(db, "2", &r, &err) == 0 && r == 2, "ref: an id");
	ok(store_resolve_run(db, "before", &r, &err) == 0 && r == 1, "ref: a label");
	ok(store_resolve_run(db, "last~5", &r, &err) == -1 && err.exit_code == GB_EXIT_USAGE,
	   "ref: last~5 fails with exit 2");
	is_str(err.msg, "no run 'last~5': the store has 3 runs", "ref: message says how many runs");
	ok(store_resolve_run(db, "last~x", &r, &err) == -1 && strstr(err.msg, "'last~N'"),
	   "ref: last~x explains the syntax (%s)", err.msg);
	ok(store_resolve_run(db, "nosuch", &r, &err) == -1 && strstr(err.msg, "no run 'nosuch'"),
	   "ref: an unknown label (%s)", err.msg);
	ok(store_resolve_run(db, "99", &r, &err) == -1, "ref: an unknown id");

	ok(store_mark_status(db, 2, "interrupted", &err) == 0 &&
		   q1(db, "SELECT count(*) FROM runs WHERE id = 2 AND status = 'interrupted'") == 1,
	   "status: run 2 marked interrupted");
	ok(store_mark_status(db, 2, "weird", &err) == -1 && strstr(err.msg, "not ok, failed or interrupted"),
	   "status: unknown status refused");
	ok(store_mark_status(db, 42, "ok", &err) == -1, "status: unknown run refused");

	/* a save that fails half way leaves nothing behind */
	sqlite3_exec(db->db, "CREATE TRIGGER boom BEFORE INSERT ON sla "
				       "BEGIN SELECT RAISE(ABORT, 'boom'); END", NULL, NULL, NULL);
	long long before_runs = q1(db, "SELECT count(*) FROM runs");
	long long before_req = q1(db, "SELECT count(*) FROM requests");
	long long id4 = 0;
	ok(store_save_run(db, rec, &id4, &err) == -1 && strstr(err.msg, "boom") &&
		   err.exit_code == GB_EXIT_ENV,
	   "save: a failure inside the transaction is reported (%s)", err.msg);
	ok(q1(db, "SELECT count(*) FROM runs") == before_runs &&
		   q1(db, "SELECT count(*) FROM requests") == before_req,
	   "save: and leaves no run and no request behind");
	sqlite3_exec(db->db, "DROP TRIGGER boom", NULL, NULL, NULL);
	free(rec->status);
	rec->status = gb_strdup("bogus");
	ok(store_save_run(db, rec, &id4, &err) == -1 && strstr(err.msg, "'bogus'"),
	   "save: an unknown status is refused");
	run_record_free(rec);
	is_str(qs(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok", "integrity_check is ok");
	store_close(db);

	/* reopening runs no migration and keeps the data */
	ok(store_open(p, 0, &db, &err) == 0 && q1(db, "SELECT count(*) FROM runs") == 3,
	   "reopen: 3 runs still there");
	store_close(db);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_paths();
	test_host();
	test_open_errors();
	test_roundtrip();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "%s", dir);
	/* clean up: the directory holds only what this test made */
	const char *names[] = { "garbage.db", "foreign.db", "future.db", "sub/dir/results.db",
				"sub/dir/results.db-wal", "sub/dir/results.db-shm", "sub/dir", "sub" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[256];
		path(p, sizeof(p), names[i]);
		if (unlink(p))
			rmdir(p);
	}
	rmdir(dir);
	return done_testing();
}

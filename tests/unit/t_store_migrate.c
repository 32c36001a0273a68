/* t_store_migrate.c - a store written by an older schema migrates in place: of version 1
 * and 2 (tests/data/store/schema-v2.sql), of version 2 as greenbench wrote it
 * (tests/data/store/schema2.db) and of version 3 (plus schema-v3-step.sql, the store codec,
 * the last schema before the profile times). Its runs read as before with the CPU time
 * unknown, and new runs store greenprof's times beside them. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "judge/compare.h"
#include "store/store.h"
#include "store/store_int.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static char dir[] = "/tmp/t_store_migrate.XXXXXX";

static long long q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* q1 on a store file, opened read-only beside any other handle */
static long long q1s(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	long long v = -1;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		v = q1(h, sql);
	sqlite3_close(h);
	return v;
}

/* An old store of schema `version` (1, 2 or 3): schema-v2.sql (cut before its step
 * 1 -> 2 for version 1; schema-v3-step.sql after it for 3), then one run with one profile
 * (small.prof) as the old greenbench wrote it. Returns 0 on success. */
static int make_old_store(const char *path, int version)
{
	struct strbuf ddl = STRBUF_INIT, step3 = STRBUF_INIT, raw = fixture_load("small.prof");
	struct gb_err err = { 0, "" };
	sqlite3 *db = NULL;
	int rc = gb_read_file("tests/data/store/schema-v2.sql", 1 << 20, &ddl, &err);
	if (!rc && version == 3)
		rc = gb_read_file("tests/data/store/schema-v3-step.sql", 1 << 20, &step3, &err);
	if (rc)
		diag("%s", err.msg);
	char *cut = rc ? NULL : strstr(sb_str(&ddl), "-- step 1 -> 2");
	if (!rc && version == 1) {
		rc = cut == NULL;
		if (cut)
			*cut = '\0';
	}
	if (!rc)
		rc = sqlite3_open(path, &db) != SQLITE_OK;
	char *msg = NULL;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", version);
	if (!rc)
		rc = sqlite3_exec(db, sb_str(&ddl), NULL, NULL, &msg) != SQLITE_OK ||
		     (version == 3 && sqlite3_exec(db, sb_str(&step3), NULL, NULL, &msg) != SQLITE_OK) ||
		     sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		     sqlite3_exec(db, ""
				      "INSERT INTO runs (id, scenario, started_at, greenbench_version, status, "
				      "fake_computes, host) VALUES (1, 'old', 1764000000, '0.1', 'ok', 2, 'h');"
				      "INSERT INTO functions (id, file, line, name) VALUES "
				      "(1, '/n/nova/scheduler/manager.py', 10, 'select_destinations');"
				      , NULL, NULL, &msg) != SQLITE_OK;
	uLongf zlen = compressBound(raw.len);
	unsigned char *z = malloc(zlen);
	char hex[65];
	gb_sha256_hex(raw.buf, raw.len, hex);
	sqlite3_stmt *st = NULL;
	if (!rc)
		rc = compress(z, &zlen, (const unsigned char *)raw.buf, raw.len) != Z_OK ||
		     sqlite3_prepare_v2(db, "INSERT INTO profiles (id, run_id, repeat, target, total_tt, "
					"n_functions, n_calls, raw_size, raw_sha256, raw_zlib) VALUES "
					"(1, 1, 0, 'nova.scheduler.manager:SchedulerManager.select_destinations', "
					"0.5, 1, 1, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK;
	if (!rc) {
		sqlite3_bind_int64(st, 1, (long long)raw.len);
		sqlite3_bind_text(st, 2, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, z, (int)zlen, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) != SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = sqlite3_exec(db, "INSERT INTO func_stats VALUES (1, 1, 1, 1, 400000000, 500000000);",
				  NULL, NULL, &msg) != SQLITE_OK;
	if (msg)
		diag("sqlite: %s", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	free(z);
	sb_release(&ddl);
	sb_release(&step3);
	sb_release(&raw);
	return rc;
}

/* small.prof followed by a greenprof trailer {"greenprof": 1, "cpu_ns": cpu, "wall_ns":
 * 2 * cpu, "wait_ns": cpu / 2, "switches": 3, "mode": "eventlet"}. */
static void dump_with_trailer(struct strbuf *out, int cpu)
{
	struct strbuf raw = fixture_load("small.prof");
	sb_add(out, raw.buf, raw.len);
	sb_release(&raw);
	const char *keys[] = { "greenprof", "cpu_ns", "wall_ns", "wait_ns", "switches" };
	int vals[] = { 1, cpu, 2 * cpu, cpu / 2, 3 };
	sb_addch(out, '{');
	for (int i = 0; i < 5; i++) {
		sb_addch(out, 'z');
		sb_addch(out, (char)strlen(keys[i]));
		sb_addstr(out, keys[i]);
		sb_addch(out, 'i');
		for (int b = 0; b < 4; b++)
			sb_addch(out, (char)((unsigned)vals[i] >> (8 * b)));
	}
	sb_addstr(out, "z\x04" "modez\x08" "eventlet0");
}

/* Opens the old store at `path` (user_version `from`, `n_old` profiles in `n_runs` runs,
 * none with times), checks the migration, adds a run with greenprof's times. */
static void migrate_one(const char *path, const char *what, int from, int n_runs, int n_old)
{
	is_int(q1s(path, "PRAGMA user_version"), from, "%s: the store is at user_version %d", what, from);
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	int rc = store_open(path, 0, &db, &err);
	ok(rc == 0, "%s: the old store opens (%s)", what, rc ? err.msg : "ok");
	if (rc)
		return;
	is_int(q1(db->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "%s: migrated to user_version %d", what,
	       STORE_SCHEMA_VERSION);
	is_int(q1(db->db, "SELECT cpu_ns FROM profiles WHERE id = 1"), -2, "%s: the old profile's cpu_ns is NULL (unknown)",
	       what);
	is_int(q1(db->db, "SELECT count(*) FROM profiles WHERE wall_ns IS NULL AND wait_ns IS NULL AND mode IS NULL"),
	       n_old, "%s: and so are its wall_ns, wait_ns, mode", what);
	is_int(q1(db->db, "SELECT count(*) FROM profiles WHERE raw_codec = 0"), n_old,
	       "%s: the old dumps stay zlib (raw_codec 0)", what);

	struct compare_run_samples s;
	rc = compare_load_run(db, 1, NULL, 0, &s, &err);
	ok(rc == 0 && compare_find_series(&s, "cpu") < 0 && compare_find_series(&s, "target") >= 0,
	   "%s: old run: the call's wall time is read, no CPU series", what);
	if (rc == 0)
		compare_run_samples_release(&s);
	struct pstats *ps = NULL;
	rc = store_run_pstats(db, 1, NULL, 0, 1, &ps, NULL, &err);
	ok(rc == 0 && ps->n_listed > 0 && !ps->times.is_known, "%s: old run: its stored dump parses, times unknown",
	   what);
	pstats_free(ps);

	/* a new run beside it, with greenprof's times in its dumps */
	struct run_record *rec = fixture_run("old", NULL, 0, 1.0);
	struct strbuf d = STRBUF_INIT;
	dump_with_trailer(&d, 30000000);
	rc = run_record_add_profile(rec, 0, "nova.scheduler.manager:SchedulerManager.select_destinations", NULL, 1,
				    (const unsigned char *)d.buf, d.len, &err);
	sb_reset(&d);
	dump_with_trailer(&d, 50000000);
	if (!rc)
		rc = run_record_add_profile(rec, 0, "nova.scheduler.manager:SchedulerManager.select_destinations", NULL, 1,
					    (const unsigned char *)d.buf, d.len, &err);
	long long run = 0;
	if (!rc)
		rc = store_save_run(db, rec, &run, &err);
	ok(rc == 0 && run == n_runs + 1, "%s: a new run with two greenprof dumps saves into the migrated store (%s)", what,
	   rc ? err.msg : "ok");
	run_record_free(rec);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT sum(cpu_ns) FROM profiles WHERE run_id = %lld", run);
	is_int(q1(db->db, sql), 80000000, "%s: its cpu_ns are stored", what);
	snprintf(sql, sizeof(sql),
		 "SELECT sum(wait_ns) FROM profiles WHERE run_id = %lld AND mode = 'eventlet' AND switches = 3", run);
	is_int(q1(db->db, sql), 40000000, "%s: with wall, wait, switches and mode", what);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM profiles WHERE run_id = %lld AND raw_codec = 1", run);
	is_int(q1(db->db, sql), 2, "%s: in the store codec's form", what);
	struct strbuf back = STRBUF_INIT;
	ok(store_profile_raw(db, run, 2, &back, &err) == 0 && back.len == d.len && !memcmp(back.buf, d.buf, d.len),
	   "%s: a dump with its trailer comes back byte for byte", what);
	sb_release(&back);
	sb_release(&d);
	rc = compare_load_run(db, run, NULL, 0, &s, &err);
	long ci = rc ? -1 : compare_find_series(&s, "cpu");
	ok(ci >= 0 && s.series[ci].n == 2 && fabs(s.series[ci].x[0] - 0.03) < 1e-12 && fabs(s.series[ci].x[1] - 0.05) < 1e-12 &&
		   !strcmp(s.series[ci].name, "cpu SchedulerManager.select_destinations"),
	   "%s: new run: 'cpu SchedulerManager.select_destinations' samples 30 ms, 50 ms", what);
	ok(ci >= 0 && compare_find_series(&s, NULL) == ci, "%s: new run: the CPU time is the headline series", what);
	if (rc == 0)
		compare_run_samples_release(&s);
	rc = store_run_pstats(db, run, NULL, 0, 0, &ps, NULL, &err);
	ok(rc == 0 && ps->times.is_known && ps->times.cpu_ns == 80000000 && ps->times.wall_ns == 160000000 &&
		   !strcmp(ps->times.mode, "eventlet"), "%s: new run: stats sum the profiles' times", what);
	pstats_free(ps);
	store_close(db);

	/* opening again changes nothing */
	rc = store_open(path, 0, &db, &err);
	ok(rc == 0 && q1(db->db, "PRAGMA user_version") == STORE_SCHEMA_VERSION &&
		   q1(db->db, "SELECT count(*) FROM profiles") == n_old + 2,
	   "%s: reopening a migrated store is a no-op", what);
	if (rc == 0)
		store_close(db);
}

/* Schema 4 -> 5 on tests/data/store/schema4.db (written by greenbench at schema 4: the
 * nova dump and small.prof, codec 1): the sums move into profiles, func_stats keeps the
 * top rows, and every answer and dump stays the same. */
static void migrate_v4(const char *path)
{
	const char *what = "schema4.db";
	is_int(q1s(path, "PRAGMA user_version"), 4, "%s: the store is at user_version 4", what);
	long long old_rows = q1s(path, "SELECT count(*) FROM func_stats");
	long long old_wall = q1s(path, "SELECT max(ct_ns) FROM func_stats WHERE profile_id = 1");
	long long old_tt = q1s(path, "SELECT sum(tt_ns) FROM func_stats WHERE profile_id = 1");
	is_int(old_rows, 2107 + 9, "%s: schema 4 kept a row per function (2107 + 9)", what);
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	int rc = store_open(path, 0, &db, &err);
	ok(rc == 0, "%s: opens and migrates (%s)", what, rc ? err.msg : "ok");
	if (rc)
		return;
	is_int(q1(db->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "%s: at user_version %d", what,
	       STORE_SCHEMA_VERSION);
	is_int(q1(db->db, "SELECT max_ct_ns FROM profiles WHERE id = 1"), old_wall,
	       "%s: max_ct_ns is the old max(ct_ns) over all rows", what);
	is_int(q1(db->db, "SELECT tt_ns FROM profiles WHERE id = 1"), old_tt,
	       "%s: tt_ns is the old sum(tt_ns) over all rows", what);
	is_int(q1(db->db, "SELECT count(*) FROM func_stats WHERE profile_id = 2"), 9,
	       "%s: small.prof keeps its 9 rows", what);
	long long n_nova = q1(db->db, "SELECT count(*) FROM func_stats WHERE profile_id = 1");
	ok(n_nova >= STORE_TOP_ROWS && n_nova <= 2 * STORE_TOP_ROWS + 2,
	   "%s: the nova profile keeps its top rows only (%lld of 2107)", what, n_nova);
	is_int(q1(db->db, "SELECT max(ct_ns) FROM func_stats WHERE profile_id = 1"), old_wall,
	       "%s: so is the largest cumtime", what);
	/* the same answers with and without every function (dumps vs kept rows) */
	struct compare_run_samples a, b;
	int ra = compare_load_run(db, 1, NULL, 0, &a, &err);
	int rb = ra ? -1 : compare_load_run(db, 1, NULL, 1, &b, &err);
	int same = ra == 0 && rb == 0 && a.n_series == b.n_series && b.n_funcs >= 2107;
	for (size_t i = 0; same && i < a.n_series; i++)
		for (size_t j = 0; same && j < a.series[i].n; j++)
			same = !strcmp(a.series[i].name, b.series[i].name) &&
			       fabs(a.series[i].x[j] - b.series[i].x[j]) < 1e-12;
	ok(same, "%s: compare's series are the same from the kept rows and from the dumps (%s)", what,
	   ra || rb ? err.msg : "ok");
	long ti = ra ? -1 : compare_find_series(&a, "target");
	ok(ti >= 0 && fabs(a.series[ti].x[0] - (double)old_wall * 1e-9) < 1e-12,
	   "%s: the call's wall time is the old largest cumtime (the dump has no function named "
	   "as the target)", what);
	if (ra == 0)
		compare_run_samples_release(&a);
	if (rb == 0)
		compare_run_samples_release(&b);
	const char *names[] = { "nova26-select_destinations.prof", "small.prof" };
	for (int k = 0; k < 2; k++) {
		struct strbuf want = fixture_load(names[k]), back = STRBUF_INIT;
		ok(store_profile_raw(db, 1, k + 1, &back, &err) == 0 && back.len == want.len &&
			   !memcmp(back.buf, want.buf, want.len),
		   "%s: profile %d (%s) exports byte for byte", what, k + 1, names[k]);
		sb_release(&want);
		sb_release(&back);
	}
	struct pstats *ps = NULL;
	rc = store_run_pstats(db, 1, NULL, 0, 0, &ps, NULL, &err);
	ok(rc == 0 && ps->n_funcs >= 2107, "%s: stats still sum every function (%zu)", what,
	   rc ? 0 : ps->n_funcs);
	pstats_free(ps);
	store_close(db);
}

static void remove_store(const char *name)
{
	const char *sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[300];
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, name, sfx[i]);
		unlink(path);
	}
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[300];
	for (int v = 1; v <= 3; v++) {
		char name[32], what[64];
		snprintf(name, sizeof(name), "v%d.db", v);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(what, sizeof(what), "schema %d", v);
		ok(make_old_store(path, v) == 0, "%s: an old store with one run and profile", what);
		migrate_one(path, what, v, 1, 1);
		remove_store(name);
	}
	/* the version-2 store greenbench itself wrote (one run, two profiles) */
	snprintf(path, sizeof(path), "%s/schema2.db", dir);
	struct strbuf f = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	int rc = gb_read_file("tests/data/store/schema2.db", 1 << 24, &f, &err);
	FILE *out = rc ? NULL : fopen(path, "wb");
	rc = !out || fwrite(f.buf, 1, f.len, out) != f.len;
	if (out)
		rc |= fclose(out) != 0;
	sb_release(&f);
	ok(rc == 0, "a copy of tests/data/store/schema2.db (%s)", err.msg[0] ? err.msg : "ok");
	migrate_one(path, "schema2.db", 2, 1, 2);
	remove_store("schema2.db");
	/* the version-4 store greenbench wrote (the nova dump and small.prof, codec 1) */
	snprintf(path, sizeof(path), "%s/schema4.db", dir);
	rc = gb_read_file("tests/data/store/schema4.db", 1 << 24, &f, &err);
	out = rc ? NULL : fopen(path, "wb");
	rc = !out || fwrite(f.buf, 1, f.len, out) != f.len;
	if (out)
		rc |= fclose(out) != 0;
	sb_release(&f);
	ok(rc == 0, "a copy of tests/data/store/schema4.db (%s)", err.msg[0] ? err.msg : "ok");
	migrate_v4(path);
	remove_store("schema4.db");
	rmdir(dir);
	return done_testing();
}

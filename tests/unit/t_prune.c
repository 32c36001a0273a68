/* t_prune.c - store_prune: by age, by count per scenario, by label; baselines, nightly's
 * history window and whole ab experiments kept (each with its reason); --dry-run changes
 * nothing; the space comes back (incremental vacuum; an older store VACUUMed once into
 * incremental mode); a reader in the middle of a query survives it. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "store/store_prune.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

#define DAY 86400.0
#define NOW 1800000000.0

static char dir[] = "/tmp/t_prune.XXXXXX";
static char dbpath[600];

#include "lib/cmd_capture.h"

/* One run of scenario, days before NOW; returns its id. */
static long long add(struct store *db, const char *scenario, double days_ago, const char *status,
		     const char *label, long long ab_id)
{
	struct run_record *rec = fixture_run(scenario, label, 1, 1.0);
	rec->started_at = NOW - days_ago * DAY;
	rec->finished_at = rec->started_at + 40;
	free(rec->status);
	rec->status = gb_strdup(status);
	rec->ab_id = ab_id;
	long long id = 0;
	struct gb_err err = { 0, "" };
	if (store_save_run(db, rec, &id, &err))
		diag("save: %s", err.msg);
	run_record_free(rec);
	return id;
}

static long long count(const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_open(dbpath, &h) == SQLITE_OK && sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static bool integrity_ok(void)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	bool good = false;
	if (sqlite3_open(dbpath, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		good = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(h);
	return good;
}

static const struct store_prune_run *find(const struct store_prune_result *r, long long id)
{
	for (size_t i = 0; i < r->n_runs; i++)
		if (r->runs[i].id == id)
			return &r->runs[i];
	return NULL;
}

static enum store_prune_why why_of(const struct store_prune_result *r, long long id)
{
	const struct store_prune_run *p = find(r, id);
	return p ? p->why : (enum store_prune_why)-1;
}

static bool exists(long long id)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id = %lld", id);
	return count(sql) == 1;
}

/* A reader that calls prune on another connection in the middle of its query. */
struct reader {
	struct store *writer;
	struct store_prune_opts o;
	struct store_prune_result r;
	int prune_rc;
	size_t n_rows;
	char msg[1100];
};

static int read_row(void *arg, const struct store_row *row)
{
	struct reader *rd = arg;
	(void)row;
	if (rd->n_rows++ == 0) {
		struct gb_err err = { 0, "" };
		rd->prune_rc = store_prune(rd->writer, &rd->o, &rd->r, &err);
		snprintf(rd->msg, sizeof(rd->msg), "%s", err.msg);
	}
	return 0;
}

/* prune and nightly --keep as a user runs them, on a store of fixture runs from 2025 */
static void test_commands(void)
{
	snprintf(dbpath, sizeof(dbpath), "%s/cmd.db", dir);
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 1, &db, &err))
		diag("open: %s", err.msg);
	long long ids[4];
	for (int i = 0; i < 4; i++) {
		struct run_record *rec = fixture_run("old", NULL, 1, 1.0);
		store_save_run(db, rec, &ids[i], &err);
		run_record_free(rec);
	}
	store_set_baseline(db, ids[0], 1, &err);
	store_close(db);
	int rc = run(cmd_prune, "prune", NULL);
	ok(rc == 2 && has(&err_s, "say what to remove"), "prune with no rule is bad usage (exit %d)", rc);
	rc = run(cmd_prune, "prune", "--older-than", "soon", NULL);
	ok(rc == 2 && has(&err_s, "--older-than takes a duration"), "--older-than soon is bad usage");
	rc = run(cmd_prune, "prune", "--older-than", "90d", "--history", "2", "--dry-run", NULL);
	char want[128];
	snprintf(want, sizeof(want), "would remove run %lld (old, 2025-11-25", ids[1]);
	ok(rc == 0 && has(&out_s, want) && has(&out_s, "would remove 1 run; kept 3 that matched"),
	   "prune --dry-run names what would go");
	snprintf(want, sizeof(want), "keep run %lld (old, 2025-11-25 19:46:40): a baseline", ids[0]);
	ok(has(&out_s, want), "...and what it keeps, with the reason");
	snprintf(want, sizeof(want), "keep run %lld (old, 2025-11-25 19:46:40): in the history nightly", ids[3]);
	ok(has(&out_s, want), "...the history window too");
	if (tap_failed)
		diag("%s", sb_str(&out_s));

	/* nightly --keep: a real (empty) run, judged, then the prune */
	char state[700], units[700], sc[700];
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(units, sizeof(units), "%s/units.yaml", dir);
	snprintf(sc, sizeof(sc), "%s/nk.yaml", dir);
	mkdir(state, 0700);
	char uy[900], yaml[900];
	snprintf(uy, sizeof(uy), "version: 1\nbackend: process\nstate_dir: %s\nunits: {}\n", state);
	snprintf(yaml, sizeof(yaml), "version: 1\nname: nk\nunits: {backend: process, file: %s}\nworkload: []\n", units);
	gb_write_file_atomic(units, uy, strlen(uy), 0644, &err);
	gb_write_file_atomic(sc, yaml, strlen(yaml), 0644, &err);
	rc = run(cmd_nightly, "nightly", sc, "--state-dir", state, "--history", "2", "--keep", "90d", NULL);
	ok(has(&err_s, "greenbench nightly: prune: removed 1 run; kept 3 that matched; the store went from "),
	   "nightly --keep 90d prunes after judging, keeping its --history window (exit %d)", rc);
	if (!has(&err_s, "prune: removed"))
		diag("%s", sb_str(&err_s));
	snprintf(want, sizeof(want), "SELECT count(*) FROM runs WHERE id = %lld", ids[1]);
	ok(count(want) == 0 && count("SELECT count(*) FROM runs") == 4, "the old run is gone; tonight's run is there");
	rc = run(cmd_nightly, "nightly", sc, "--keep", "forever", NULL);
	ok(rc == 2 && has(&err_s, "--keep takes a duration"), "nightly --keep forever is bad usage");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 1, &db, &err))
		diag("open: %s", err.msg);
	ok(count("PRAGMA auto_vacuum") == 2, "a new store is made in incremental auto-vacuum mode");

	/* scenario s: 8 good nightly runs 100..93 days ago, a failed one, a baseline */
	long long s[8];
	for (int i = 0; i < 8; i++)
		s[i] = add(db, "s", 100 - i, "ok", "nightly", 0);
	long long failed = add(db, "s", 92, "failed", "nightly", 0);
	long long base_old = s[1];
	if (store_set_baseline(db, base_old, 1, &err))
		diag("baseline: %s", err.msg);
	/* scenario t: ab 1 (one old run, one recent: kept whole), ab 2 (all old: goes whole),
	 * then 3 recent runs, nightly's window for t */
	long long ab1 = 0, ab2 = 0;
	store_ab_begin(db, "t", "AB", 0, 0, "fix.diff", NOW - 99 * DAY, &ab1, &err);
	long long a1 = add(db, "t", 99, "ok", NULL, ab1), a2 = add(db, "t", 1, "ok", NULL, ab1);
	store_ab_begin(db, "t", "AB", 0, 0, "fix.diff", NOW - 98 * DAY, &ab2, &err);
	long long b1 = add(db, "t", 98, "ok", NULL, ab2), b2 = add(db, "t", 97.5, "ok", NULL, ab2);
	store_ab_record_block(db, ab2, 0, 'A', b1, "ok", &err);
	store_ab_record_block(db, ab2, 1, 'B', b2, "ok", &err);
	long long t_new[3];
	for (int i = 0; i < 3; i++)
		t_new[i] = add(db, "t", 0.5, "ok", NULL, 0);
	/* scenario u: two runs labelled scratch, an old one and a recent one */
	long long u_old = add(db, "u", 95, "ok", "scratch", 0), u_new = add(db, "u", 2, "ok", "scratch", 0);
	long long total = count("SELECT count(*) FROM runs");
	ok(total == 18, "the store holds 18 runs");

	/* dry run */
	struct store_prune_opts o = { .older_than = 90 * DAY, .keep_last = -1, .history = 3, .now = NOW,
				      .dry_run = true };
	struct store_prune_result r;
	int rc = store_prune(db, &o, &r, &err);
	ok(rc == 0 && count("SELECT count(*) FROM runs") == total && r.bytes_after == r.bytes_before,
	   "--dry-run: nothing removed (rc %d: %s)", rc, err.msg);
	ok(r.n_runs == 13 && r.n_removed == 7, "--older-than 90d: 13 runs match, 7 would go (%zu, %zu)",
	   r.n_runs, r.n_removed);
	ok(why_of(&r, base_old) == STORE_PRUNE_BASELINE, "a baseline is kept: %s",
	   store_prune_why_name(why_of(&r, base_old)));
	ok(why_of(&r, s[7]) == STORE_PRUNE_HISTORY && why_of(&r, s[6]) == STORE_PRUNE_HISTORY &&
		   why_of(&r, s[5]) == STORE_PRUNE_HISTORY && why_of(&r, s[4]) == STORE_PRUNE_REMOVED,
	   "the last 3 good runs of s (nightly's window) are kept, the 4th is not");
	ok(why_of(&r, failed) == STORE_PRUNE_REMOVED, "a failed run is no part of the history: removed");
	ok(why_of(&r, s[0]) == STORE_PRUNE_REMOVED, "a run before the baseline: removed");
	ok(why_of(&r, a1) == STORE_PRUNE_AB && !find(&r, a2),
	   "ab 1 has a recent run: its old run is kept too (%s)", store_prune_why_name(why_of(&r, a1)));
	ok(why_of(&r, b1) == STORE_PRUNE_REMOVED && why_of(&r, b2) == STORE_PRUNE_REMOVED,
	   "ab 2: all its runs are old and none is kept: it goes whole");
	ok(why_of(&r, u_old) == STORE_PRUNE_HISTORY, "u has 2 runs: both are nightly's window, the old one stays");
	ok(!find(&r, t_new[0]) && !find(&r, u_new), "recent runs do not match");
	store_prune_result_release(&r);

	/* prune for real, with a reader halfway through a query on another connection */
	struct store *reader_db = NULL;
	store_open(dbpath, 0, &reader_db, &err);
	struct reader rd = { .writer = db, .o = o };
	rd.o.dry_run = false;
	struct store_value p[2] = { STORE_V_TEXT(NULL), STORE_V_INT(-1) };
	rc = store_query(reader_db, STORE_Q_RUNS_LIST, p, 2, read_row, &rd, "listing", &err);
	ok(rc == 0 && rd.prune_rc == 0, "prune runs while another connection is reading (reader %d, prune %d: %s)",
	   rc, rd.prune_rc, rd.msg);
	ok(rd.n_rows == (size_t)total, "the reader saw its whole snapshot: %zu of %lld rows", rd.n_rows, total);
	store_close(reader_db);
	r = rd.r;
	ok(r.n_removed == 7 && count("SELECT count(*) FROM runs") == total - 7,
	   "7 runs removed; the store has %lld", count("SELECT count(*) FROM runs"));
	ok(!exists(s[0]) && !exists(failed) && !exists(b1) && !exists(b2) && exists(u_old) &&
		   exists(base_old) && exists(s[7]) && exists(a1) && exists(a2) && exists(u_new),
	   "the removed runs are gone, the kept ones are there");
	ok(r.n_ab_removed == 1 && count("SELECT count(*) FROM ab_experiments") == 1 &&
		   count("SELECT count(*) FROM ab_blocks") == 0,
	   "ab 2's experiment and blocks went with its runs; ab 1 stays");
	ok(count("SELECT count(*) FROM profiles WHERE run_id NOT IN (SELECT id FROM runs)") == 0 &&
		   count("SELECT count(*) FROM func_stats WHERE profile_id NOT IN (SELECT id FROM profiles)") == 0,
	   "no profile or stats row is left without its run");
	ok(r.is_wal_busy, "the reader's snapshot kept the WAL from being truncated, and prune says so");
	long long before = r.bytes_before;
	ok(integrity_ok(), "PRAGMA integrity_check: ok");
	store_prune_result_release(&r);

	store_close(db); /* the last connection folds the WAL back */
	struct stat st;
	ok(stat(dbpath, &st) == 0 && (long long)st.st_size < before * 3 / 4,
	   "once the reader is gone the space is back: %lld -> %lld bytes", before, (long long)st.st_size);
	store_open(dbpath, 0, &db, &err);

	/* keep-last and label */
	struct store_prune_opts k = { .older_than = -1, .keep_last = 1, .label = "scratch", .history = 0,
				      .now = NOW, .dry_run = true };
	rc = store_prune(db, &k, &r, &err);
	ok(rc == 0 && r.n_runs == 1 && r.runs[0].id == u_old && r.n_removed == 1,
	   "--keep-last 1 --label scratch --history 0: all but u's newest scratch run");
	store_prune_result_release(&r);
	k.keep_last = 0;
	rc = store_prune(db, &k, &r, &err);
	ok(rc == 0 && r.n_runs == 2 && r.n_removed == 2, "--keep-last 0 --label scratch: both");
	store_prune_result_release(&r);

	/* an older store (auto_vacuum none) is VACUUMed once into incremental mode */
	store_close(db);
	sqlite3 *h = NULL;
	sqlite3_open(dbpath, &h);
	sqlite3_exec(h, "PRAGMA auto_vacuum = NONE; VACUUM;", NULL, NULL, NULL);
	sqlite3_close(h);
	ok(count("PRAGMA auto_vacuum") == 0, "a store as older greenbench made it: auto_vacuum none");
	store_open(dbpath, 0, &db, &err);
	k.dry_run = false;
	rc = store_prune(db, &k, &r, &err);
	ok(rc == 0 && r.n_removed == 2 && !r.is_wal_busy && r.bytes_after < r.bytes_before,
	   "with no reader the space comes back at once: %lld -> %lld bytes", r.bytes_before, r.bytes_after);
	ok(rc == 0 && count("PRAGMA auto_vacuum") == 2 && integrity_ok(),
	   "its first prune switches it to incremental (rc %d: %s)", rc, err.msg);
	store_prune_result_release(&r);
	store_close(db);
	test_commands();
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done_testing();
}

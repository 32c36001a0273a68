/* t_store_crash.c - SIGKILL a process while it stores runs, several times: the store
 * stays intact (PRAGMA integrity_check) and every visible run is complete. */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static char dir[] = "/tmp/t_store_crash.XXXXXX";
static char dbpath[300];

static long long q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The child: store runs forever, telling the parent 'b' before and 'e' after each save. */
static void ingest_forever(int fd)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 1, &db, &err))
		_exit(3);
	struct run_record *rec = fixture_run("crash", NULL, 2, 1.0);
	for (;;) {
		long long id;
		if (write(fd, "b", 1) != 1)
			_exit(4);
		if (store_save_run(db, rec, &id, &err))
			_exit(5);
		if (write(fd, "e", 1) != 1)
			_exit(4);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	/* the store exists before the first child starts */
	struct store *db0 = NULL;
	struct gb_err err0 = { 0, "" };
	if (store_open(dbpath, 1, &db0, &err0)) {
		diag("%s", err0.msg);
		return 1;
	}
	store_close(db0);
	/* delay after the child's first save began; -1: after one save ended and the next began */
	static const long delays_ms[] = { 0, 5, 20, 60, 150, -1 };
	int kills_mid_save = 0;
	long long last_runs = 0;
	for (size_t i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		int pfd[2];
		if (pipe(pfd))
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			ingest_forever(pfd[1]);
		}
		close(pfd[1]);
		char c = 0;
		/* wait for the first save to begin (or, for -1, for one to end and the next to begin) */
		while (read(pfd[0], &c, 1) == 1 && c != 'b')
			;
		if (delays_ms[i] < 0) {
			while (read(pfd[0], &c, 1) == 1 && c != 'e')
				;
			while (read(pfd[0], &c, 1) == 1 && c != 'b')
				;
		} else {
			sleep_ms(delays_ms[i]);
		}
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		char buf[4096], lastc = c;
		ssize_t n;
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
			lastc = buf[n - 1];
		close(pfd[0]);
		if (lastc == 'b')
			kills_mid_save++;
		char when[64];
		if (delays_ms[i] < 0)
			snprintf(when, sizeof(when), "as a second save began");
		else
			snprintf(when, sizeof(when), "%ld ms into the first save", delays_ms[i]);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "kill %zu (%s): the child died by "
			"SIGKILL %s", i + 1, when, lastc == 'b' ? "in the middle of a save" : "between saves");

		sqlite3 *db = NULL;
		sqlite3_open(dbpath, &db);
		sqlite3_stmt *s = NULL;
		char check[64] = "";
		if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			snprintf(check, sizeof(check), "%s", sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
		is_str(check, "ok", "kill %zu: integrity_check ok", i + 1);
		long long runs = q1(db, "SELECT count(*) FROM runs");
		long long partial = q1(db,
			"SELECT count(*) FROM runs r WHERE "
			"(SELECT count(*) FROM profiles p WHERE p.run_id = r.id) != 4 OR "
			"(SELECT count(*) FROM requests q WHERE q.run_id = r.id) != 4 OR "
			"(SELECT count(*) FROM servers v WHERE v.run_id = r.id) != 4 OR "
			"(SELECT count(*) FROM sla a WHERE a.run_id = r.id) != 1");
		long long bad_profiles = q1(db,
			"SELECT count(*) FROM profiles p WHERE "
			"p.tt_ns IS NULL OR p.max_ct_ns IS NULL OR "
			"(SELECT count(*) FROM func_stats s WHERE s.profile_id = p.id) = 0");
		long long orphans = q1(db, "SELECT count(*) FROM profiles WHERE run_id NOT IN (SELECT id FROM runs)");
		ok(runs >= last_runs && partial == 0 && bad_profiles == 0 && orphans == 0,
		   "kill %zu: %lld complete runs, no partial run, profile or orphan", i + 1, runs);
		last_runs = runs;
		sqlite3_close(db);
	}
	ok(kills_mid_save >= 1, "at least one SIGKILL landed inside a save (%d of 6)", kills_mid_save);
	ok(last_runs >= 1, "runs were stored between the kills (%lld)", last_runs);
	const char *names[] = { "results.db", "results.db-wal", "results.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		char p[400];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return done_testing();
}

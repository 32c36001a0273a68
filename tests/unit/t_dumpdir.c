/* t_dumpdir.c - a run's dump directory after the store step: removed only when every
 * dump is read back from the store with the same size and sha256; kept with a KEPT note
 * (--keep-dumps, not stored, a changed byte, a symlink); what killed runs and older
 * versions left cleaned under <state>/runs/; a damaged stored dump does not count. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/dumpdir.h"
#include "run/rundumps.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

#define T "nova.scheduler.manager-SchedulerManager.select_destinations"
/* the fixture's request ids: even ones carry the nova dump, odd ones small.prof */
#define R0 "req-00000000-0000-4000-8000-000000000000"
#define R1 "req-00000001-0000-4000-8000-000000000001"
#define RX "req-99999999-9999-4999-8999-999999999999"

static char dir[] = "/tmp/t_dumpdir.XXXXXX";
static char state[600], dbpath[600];
static struct strbuf nova, small;
static struct strbuf said;

static void collect_line(void *arg, const char *line)
{
	(void)arg;
	sb_addf(&said, "%s\n", line);
	diag("said: %s", line);
}

/* A run directory <state>/runs/<id> with dumps/ holding the given files. */
static void make_run(const char *id, const char *note)
{
	char p[900];
	struct gb_err err = { 0, "" };
	snprintf(p, sizeof(p), "%s/runs/%s/dumps", state, id);
	char cmd[1000];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	if (system(cmd) != 0)
		diag("mkdir failed");
	chmod(p, 0700);
	if (note) {
		snprintf(p, sizeof(p), "%s/runs/%s/%s", state, id, note);
		gb_write_file_atomic(p, "x\n", 2, 0600, &err);
	}
}

static void put(const char *id, const char *name, const struct strbuf *data, size_t len)
{
	char p[900];
	struct gb_err err = { 0, "" };
	snprintf(p, sizeof(p), "%s/runs/%s/dumps/%s", state, id, name);
	if (gb_write_file_atomic(p, data->buf, len, 0600, &err))
		diag("%s", err.msg);
}

static bool exists(const char *id, const char *what)
{
	char p[900];
	snprintf(p, sizeof(p), "%s/runs/%s%s%s", state, id, what ? "/" : "", what ? what : "");
	struct stat st;
	return lstat(p, &st) == 0;
}

static int settle(struct store *db, long long run, const char *id, bool keep,
		  struct rundumps_outcome *o)
{
	static const char *const ids[] = { R0, R1 };
	char p[900];
	snprintf(p, sizeof(p), "%s/runs/%s", state, id);
	struct gb_err err = { 0, "" };
	sb_reset(&said);
	int rc = rundumps_settle(db, run, p, ids, 2, keep, collect_line, NULL, o, &err);
	if (rc)
		diag("settle: %s", err.msg);
	return rc;
}

static void test_settle(struct store *db, long long run)
{
	struct rundumps_outcome o;
	const char *a = "20261203T010000Z-11";
	make_run(a, "RUNNING");
	put(a, T "__" R0 "__4242.prof", &nova, nova.len);
	put(a, T "__" R1 "__4243.prof", &small, small.len);
	put(a, "." T "__" R1 "__4244.prof.tmp", &small, 10);
	put(a, T "__" RX "__4242.prof", &small, 20); /* a call the run did not make */
	ok(settle(db, run, a, false, &o) == 0 && o.is_removed && !exists(a, NULL),
	   "stored and verified: the run's directory is gone");
	ok(o.n_dumps == 3 && o.n_verified == 2 && o.n_foreign == 1,
	   "it counted 3 dumps: 2 verified, 1 of a call the run did not make (%zu, %zu, %zu)",
	   o.n_dumps, o.n_verified, o.n_foreign);
	ok(strstr(said.buf, "2 stored and verified") != NULL, "it says so");

	const char *b = "20261203T010100Z-12";
	make_run(b, "RUNNING");
	put(b, T "__" R0 "__4242.prof", &nova, nova.len - 1); /* one byte short */
	ok(settle(db, run, b, false, &o) == 0 && !o.is_removed && exists(b, "dumps/" T "__" R0 "__4242.prof"),
	   "a dump that differs from the stored one by a byte: the directory stays");
	char *why = NULL;
	char p[900];
	snprintf(p, sizeof(p), "%s/runs/%s", state, b);
	enum dumpdir_state bst = dumpdir_state_of(p, &why);
	ok(bst == DUMPDIR_KEPT && why && strstr(why, "1 of the 1 dump of run"),
	   "it is marked KEPT, saying why: %s", why ? why : "(none)");
	free(why);
	ok(strstr(said.buf, "dumps kept in ") && strstr(said.buf, b), "the run says where");
	ok(!exists(b, "RUNNING"), "the RUNNING note is gone");

	const char *c = "20261203T010200Z-13";
	make_run(c, "RUNNING");
	put(c, T "__" R0 "__4242.prof", &nova, nova.len);
	ok(settle(db, run, c, true, &o) == 0 && exists(c, "KEPT") && exists(c, "dumps/" T "__" R0 "__4242.prof"),
	   "--keep-dumps: stored, yet kept, with its note");

	const char *d = "20261203T010300Z-14";
	make_run(d, "RUNNING");
	put(d, T "__" R0 "__4242.prof", &nova, nova.len);
	ok(settle(db, 0, d, false, &o) == 0 && exists(d, "KEPT") && exists(d, "dumps/" T "__" R0 "__4242.prof"),
	   "a run that stored nothing: its dumps are kept");
	ok(strstr(said.buf, "failed before storing") != NULL, "and it says why");

	/* a symlink named like a dump, pointing at a copy of a stored dump: never followed */
	const char *e = "20261203T010400Z-15";
	make_run(e, "RUNNING");
	char target[900], link[900];
	snprintf(target, sizeof(target), "%s/elsewhere.prof", dir);
	struct gb_err err = { 0, "" };
	gb_write_file_atomic(target, nova.buf, nova.len, 0600, &err);
	snprintf(link, sizeof(link), "%s/runs/%s/dumps/" T "__" R0 "__4242.prof", state, e);
	if (symlink(target, link))
		diag("symlink failed");
	ok(settle(db, run, e, false, &o) == 0 && !o.is_removed && o.n_verified == 0 && exists(e, "KEPT"),
	   "a symlink in dumps/ is not read as a dump: not verified, the directory kept");
	struct stat st;
	ok(stat(target, &st) == 0 && (size_t)st.st_size == nova.len, "the symlink's target is untouched");

	/* removing refuses a directory holding something that is not a dump */
	const char *f = "20261203T010500Z-16";
	make_run(f, "RUNNING");
	put(f, T "__" R0 "__4242.prof", &nova, nova.len);
	put(f, "notes.txt", &small, 5);
	ok(settle(db, run, f, false, &o) == 0 && !o.is_removed && exists(f, "dumps/notes.txt") &&
		   exists(f, "KEPT"),
	   "a file that is not a dump keeps the directory (not ours to delete)");
}

static void test_stale(struct store *db)
{
	const char *killed = "20261203T020000Z-21", *old_ok = "20261203T020100Z-22",
		   *old_missing = "20261203T020200Z-23", *kept = "20261203T020300Z-24",
		   *current = "20261203T020400Z-25";
	make_run(killed, "RUNNING");
	put(killed, T "__" R0 "__4242.prof", &small, 7); /* never stored: a killed run's */
	make_run(old_ok, NULL);
	put(old_ok, T "__" R0 "__4242.prof", &nova, nova.len);
	make_run(old_missing, NULL);
	put(old_missing, T "__" R0 "__4242.prof", &nova, nova.len - 2);
	make_run(kept, "KEPT");
	put(kept, T "__" R0 "__4242.prof", &small, 7);
	make_run(current, "RUNNING");
	char p[900];
	snprintf(p, sizeof(p), "%s/runs/not-a-run", state);
	mkdir(p, 0700);
	size_t n = 0;
	struct gb_err err = { 0, "" };
	sb_reset(&said);
	int rc = rundumps_clean_stale(state, current, db, collect_line, NULL, &n, &err);
	ok(rc == 0 && n == 2, "clean-up: 2 directories removed (rc %d, %zu; %s)", rc, n, err.msg);
	ok(!exists(killed, NULL), "a killed run's directory (RUNNING) is removed");
	ok(!exists(old_ok, NULL), "an earlier version's directory whose dumps are all stored is removed");
	ok(exists(old_missing, "KEPT") && exists(old_missing, "dumps/" T "__" R0 "__4242.prof"),
	   "an earlier version's directory with a dump not in the store is marked KEPT, dumps intact");
	ok(exists(kept, "dumps/" T "__" R0 "__4242.prof"), "a KEPT directory is left alone");
	ok(exists(current, "RUNNING"), "the run in progress is left alone");
	ok(exists("not-a-run", NULL), "a directory not named like a run is left alone");
	ok(strstr(said.buf, "what a killed run left") && strstr(said.buf, "earlier greenbench"),
	   "each removal is said");
	n = 9;
	ok(rundumps_clean_stale(state, NULL, db, NULL, NULL, &n, &err) == 0 && n == 1 && !exists(current, NULL),
	   "once no run holds the lock, a RUNNING directory is a killed run's: removed");
	ok(rundumps_clean_stale(state, NULL, db, NULL, NULL, &n, &err) == 0 && n == 0,
	   "a second clean-up removes nothing: old state is cleaned once");
}

static void test_damaged(struct store *db, long long run)
{
	char hex[65];
	gb_sha256_hex(nova.buf, nova.len, hex);
	bool has = false;
	struct gb_err err = { 0, "" };
	ok(store_has_dump(db, run, nova.len, hex, &has, &err) == 0 && has, "store_has_dump: the nova dump is there");
	ok(store_has_dump(db, run + 1, nova.len, hex, &has, &err) == 0 && !has, "not for another run");
	ok(store_has_dump(db, 0, nova.len + 1, hex, &has, &err) == 0 && !has, "not with another size");
	/* overwrite the stored bytes behind the store's back; its sha256 column stays */
	sqlite3 *h = NULL;
	int rc = sqlite3_open(dbpath, &h) == SQLITE_OK &&
		 sqlite3_exec(h, "UPDATE profiles SET raw_zlib = zeroblob(100)", NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(h);
	ok(rc && store_has_dump(db, run, nova.len, hex, &has, &err) == 0 && !has,
	   "a damaged stored dump does not count, though its sha256 column matches");
	const char *a = "20261203T030000Z-31";
	make_run(a, "RUNNING");
	put(a, T "__" R0 "__4242.prof", &nova, nova.len);
	struct rundumps_outcome o;
	ok(settle(db, run, a, false, &o) == 0 && !o.is_removed && exists(a, "KEPT"),
	   "so the run's dumps are kept");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	mkdir(state, 0700);
	nova = fixture_load("nova26-select_destinations.prof");
	small = fixture_load("small.prof");
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	long long run = 0;
	struct run_record *rec = fixture_run("select_destinations", NULL, 1, 1.0);
	if (store_open(dbpath, 1, &db, &err) || store_save_run(db, rec, &run, &err))
		diag("store: %s", err.msg);
	run_record_free(rec);
	test_settle(db, run);
	test_stale(db);
	test_damaged(db, run);
	store_close(db);
	sb_release(&nova);
	sb_release(&small);
	sb_release(&said);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done_testing();
}

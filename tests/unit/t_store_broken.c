/* t_store_broken.c - the read commands on a broken store (a table gone, pages
 * overwritten): each says one line naming the failure on stderr, prints no partial
 * page and exits non-zero, instead of half a page and 0. */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static char dir[] = "/tmp/t_store_broken.XXXXXX";
static char dbpath[300];
#include "lib/cmd_capture.h"

static int make_store(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 1, &db, &err)) {
		diag("%s", err.msg);
		return -1;
	}
	long long id;
	int rc = 0;
	for (int i = 0; i < 3 && !rc; i++) {
		struct run_record *r = fixture_run("select_destinations", i ? NULL : "before", 2, 1.0 + i);
		rc = store_save_run(db, r, &id, &err);
		run_record_free(r);
	}
	if (rc)
		diag("%s", err.msg);
	store_close(db);
	return rc;
}

/* Change the store's file behind the store's back (tests may speak SQL). */
static int sql(const char *stmt)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open(dbpath, &h) == SQLITE_OK &&
		 sqlite3_exec(h, stmt, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	if (rc)
		diag("%s: %s", stmt, sqlite3_errmsg(h));
	sqlite3_close(h);
	return rc;
}

static size_t lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* fn fails with exit `want` (0: any non-zero), one stderr line containing `msg` (NULL:
 * any), nothing on stdout. */
static void fails(int (*fn)(int, char **), const char *what, int want, const char *msg, int rc)
{
	ok(want ? rc == want : rc != 0, "%s: exit %d (want %s%d)", what, rc, want ? "" : "non-zero, not ",
	   want ? want : 0);
	ok(lines(sb_str(&err_s)) == 1 && !strncmp(sb_str(&err_s), "greenbench ", 11) &&
		   (!msg || strstr(sb_str(&err_s), msg)),
	   "%s: one line on stderr naming the failure: %.*s", what,
	   (int)(err_s.len ? err_s.len - 1 : 0), sb_str(&err_s));
	ok(out_s.len == 0, "%s: no partial page on stdout (%zu bytes)", what, out_s.len);
	(void)fn;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	if (make_store()) {
		printf("Bail out! cannot make the store\n");
		return 1;
	}

	/* sanity: the intact store works */
	int rc = run(cmd_show, "show", "last", NULL);
	ok(rc == 0 && strstr(sb_str(&out_s), "SLA"), "intact: show prints the page with its SLA table");

	/* a table only show's last section reads: before, show printed all but it and exited 0 */
	ok(sql("ALTER TABLE sla RENAME TO sla_gone") == 0, "break: the sla table renamed");
	rc = run(cmd_show, "show", "last", NULL);
	fails(cmd_show, "show, no sla table", GB_EXIT_ENV, "no such table: sla", rc);
	rc = run(cmd_show, "show", "last", "--json", NULL);
	fails(cmd_show, "show --json, no sla table", GB_EXIT_ENV, "no such table: sla", rc);
	ok(sql("ALTER TABLE sla_gone RENAME TO sla") == 0, "repair: the sla table back");

	/* the patches come second in show's page */
	ok(sql("ALTER TABLE patches RENAME TO patches_gone") == 0, "break: the patches table renamed");
	rc = run(cmd_show, "show", "1", NULL);
	fails(cmd_show, "show, no patches table", GB_EXIT_ENV, "no such table: patches", rc);
	ok(sql("ALTER TABLE patches_gone RENAME TO patches") == 0, "repair: the patches table back");

	/* the yaml column gone */
	ok(sql("ALTER TABLE runs RENAME COLUMN scenario_yaml TO yaml_gone") == 0,
	   "break: runs.scenario_yaml renamed");
	rc = run(cmd_show, "show", "1", "--yaml", NULL);
	fails(cmd_show, "show --yaml, no yaml column", GB_EXIT_ENV, "scenario_yaml", rc);
	ok(sql("ALTER TABLE runs RENAME COLUMN yaml_gone TO scenario_yaml") == 0, "repair: the column back");

	/* the profiles every command reads */
	ok(sql("ALTER TABLE profiles RENAME TO profiles_gone") == 0, "break: the profiles table renamed");
	rc = run(cmd_list, "list", NULL);
	fails(cmd_list, "list, no profiles table", GB_EXIT_ENV, "no such table: profiles", rc);
	rc = run(cmd_list, "list", "--json", NULL);
	fails(cmd_list, "list --json, no profiles table", GB_EXIT_ENV, "no such table: profiles", rc);
	rc = run(cmd_show, "show", "last", NULL);
	fails(cmd_show, "show, no profiles table", GB_EXIT_ENV, "no such table: profiles", rc);
	rc = run(cmd_compare, "compare", "1", "2", NULL);
	fails(cmd_compare, "compare, no profiles table", GB_EXIT_ENV, "no such table: profiles", rc);
	rc = run(cmd_trend, "trend", "select_destinations", NULL);
	fails(cmd_trend, "trend, no profiles table", GB_EXIT_ENV, "no such table: profiles", rc);
	ok(sql("ALTER TABLE profiles_gone RENAME TO profiles") == 0, "repair: the profiles table back");
	rc = run(cmd_list, "list", NULL);
	ok(rc == 0 && lines(sb_str(&out_s)) == 4, "repaired: list shows the 3 runs again");

	/* schema 5: compare reads every function from the dumps, trend the profiles' sums */
	ok(sql("CREATE TABLE blob_keep AS SELECT id, raw_zlib FROM profiles WHERE run_id = 2; "
	       "UPDATE profiles SET raw_zlib = substr(raw_zlib, 1, 20) || x'00112233' || "
	       "substr(raw_zlib, 25) WHERE run_id = 2") == 0, "break: run 2's stored dumps damaged");
	rc = run(cmd_compare, "compare", "1", "2", NULL);
	fails(cmd_compare, "compare, a damaged dump", GB_EXIT_ENV, "(run 2) is damaged", rc);
	rc = run(cmd_export, "export", "2", "--profile", "1", "--format", "prof", "-o", "/dev/null", NULL);
	fails(cmd_export, "export --profile, a damaged dump", GB_EXIT_ENV, "(run 2) is damaged", rc);
	ok(sql("UPDATE profiles SET raw_zlib = (SELECT k.raw_zlib FROM blob_keep k WHERE k.id = profiles.id) "
	       "WHERE run_id = 2; DROP TABLE blob_keep") == 0, "repair: the dumps back");
	ok(sql("ALTER TABLE profiles RENAME COLUMN tt_ns TO tt_gone") == 0, "break: profiles.tt_ns renamed");
	rc = run(cmd_trend, "trend", "select_destinations", NULL);
	fails(cmd_trend, "trend, no tt_ns column", GB_EXIT_ENV, "tt_ns", rc);
	ok(sql("ALTER TABLE profiles RENAME COLUMN tt_gone TO tt_ns") == 0, "repair: the column back");
	rc = run(cmd_compare, "compare", "1", "2", NULL);
	ok(rc != GB_EXIT_ENV && rc >= 0, "repaired: compare 1 2 answers again (exit %d)", rc);

	/* pages overwritten: the file is corrupt past its header */
	ok(sql("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE") == 0,
	   "break: the store checkpointed into one file");
	int fd = open(dbpath, O_WRONLY);
	char junk[4096];
	memset(junk, 0x5a, sizeof(junk));
	off_t size = lseek(fd, 0, SEEK_END);
	int wrote = 1;
	for (off_t at = 4096; at + (off_t)sizeof(junk) <= size; at += 2 * (off_t)sizeof(junk))
		wrote &= pwrite(fd, junk, sizeof(junk), at) == (ssize_t)sizeof(junk);
	close(fd);
	ok(fd >= 0 && wrote && size > 3 * 4096, "break: every other page past the first overwritten (%lld bytes)",
	   (long long)size);
	int (*const fns[])(int, char **) = { cmd_show, cmd_list, cmd_compare, cmd_trend };
	const char *names[] = { "show", "list", "compare", "trend" };
	for (int i = 0; i < 4; i++) {
		if (i == 0)
			rc = run(fns[i], names[i], "last", NULL);
		else if (i == 1)
			rc = run(fns[i], names[i], NULL);
		else if (i == 2)
			rc = run(fns[i], names[i], "1", "2", NULL);
		else
			rc = run(fns[i], names[i], "select_destinations", NULL);
		char what[64];
		snprintf(what, sizeof(what), "%s, corrupt file", names[i]);
		fails(fns[i], what, 0, NULL, rc);
	}

	const char *files[] = { "results.db", "results.db-wal", "results.db-shm", "stdout", "stderr" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[400];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	if (rmdir(dir))
		diag("left %s", dir);
	sb_release(&out_s);
	sb_release(&err_s);
	return done_testing();
}

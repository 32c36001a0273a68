/*
 * t_journal.c - the write-ahead journal: records survive a reload (a torn
 * last line is ignored), file backups restore the exact bytes and mode,
 * damaged backups are refused, servers are handed back, the run lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/journal.h"
#include "base/proc.h"
#include "lib/tap.h"

static char tmp[PATH_MAX];

static void put(const char *path, const char *text)
{
	gb_write_file_atomic(path, text, strlen(text), 0640, NULL);
}

static char *get(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	if (gb_read_file(path, 1 << 20, &sb, NULL) != 0) {
		sb_release(&sb);
		return gb_strdup("(missing)");
	}
	return sb_detach(&sb);
}

struct seen {
	int calls;
	char ids[4][64];
};

static int server_cb(void *arg, const char *cloud, const char *id, const char *name, struct gb_err *err)
{
	struct seen *s = arg;
	if (s->calls < 4)
		snprintf(s->ids[s->calls], sizeof(s->ids[0]), "%s/%s/%s", cloud, id, name);
	s->calls++;
	return 0;
}

static int resource_cb(void *arg, const char *cloud, const char *service, const char *path,
		       const char *find, const char *name, struct gb_err *err)
{
	struct seen *s = arg;
	if (s->calls < 4)
		snprintf(s->ids[s->calls], sizeof(s->ids[0]), "%s %s %s %s", service, path, find, name);
	s->calls++;
	return 0;
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/t_journal.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;

	char state[PATH_MAX + 32], conf[PATH_MAX + 32], created[PATH_MAX + 32], odd[PATH_MAX + 64];
	snprintf(state, sizeof(state), "%s/state/deep", tmp);
	snprintf(conf, sizeof(conf), "%s/nova.conf", tmp);
	snprintf(created, sizeof(created), "%s/new.conf", tmp);
	snprintf(odd, sizeof(odd), "%s/odd name %%20\nx.conf", tmp);
	struct strbuf sd = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	ok(journal_state_dir(state, &sd, &err) == 0 && access(state, F_OK) == 0, "state dir is created, parents too");
	struct stat st;
	stat(state, &st);
	is_int(st.st_mode & 0777, 0700, "state dir is 0700");
	{
		char cwd[PATH_MAX];
		struct strbuf rel = STRBUF_INIT;
		if (getcwd(cwd, sizeof(cwd)) && chdir(tmp) == 0) {
			int r = journal_state_dir("rel/st", &rel, &err);
			ok(r == 0 && rel.buf[0] == '/' && strstr(rel.buf, "/rel/st"),
			   "a relative --state-dir becomes absolute (it goes into GREENBENCH_PROFILE out=)");
			if (chdir(cwd) != 0)
				diag("cannot chdir back");
		}
		sb_release(&rel);
	}

	int fd = -1, fd2 = -1;
	long stale = -1;
	ok(journal_lock(state, &fd, &stale, &err) == 0 && stale == 0, "lock: first taker gets it, nothing stale");
	char pidline[96];
	snprintf(pidline, sizeof(pidline), "another greenbench run (pid %ld)", (long)getpid());
	ok(journal_lock(state, &fd2, &stale, &err) != 0 && strstr(err.msg, pidline),
	   "lock: a second run is refused naming the holder's pid");
	journal_unlock(fd, state);
	/* a dead run's pid left in the lock file */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char lockp[PATH_MAX * 2], body[32];
	snprintf(lockp, sizeof(lockp), "%s/lock", state);
	snprintf(body, sizeof(body), "%ld\n", (long)dead);
	put(lockp, body);
	ok(journal_lock(state, &fd, &stale, &err) == 0 && stale == (long)dead,
	   "lock: a stale lock of a dead run is detected (pid %ld) and taken over", (long)dead);

	put(conf, "[DEFAULT]\ndebug = False\n# keep me\n");
	chmod(conf, 0640);
	/* a devstack config is the service user's, not greenbench's (root's) */
	bool is_root = geteuid() == 0;
	if (is_root && chown(conf, 65534, 65534) != 0)
		diag("cannot chown %s: %s", conf, strerror(errno));
	put(odd, "odd\n");
	chmod(odd, 0600);
	ok(!journal_exists(state), "no journal before a run");
	struct journal *j = NULL;
	ok(journal_create(state, "run-1", "/x/units.yaml", "process", &j, &err) == 0 && journal_exists(state),
	   "journal created with its begin record");
	struct journal *j2 = NULL;
	ok(journal_create(state, "run-2", NULL, NULL, &j2, &err) != 0 && strstr(err.msg, "greenbench restore"),
	   "a second journal is refused while one exists");
	ok(journal_backup_file(j, conf, &err) == 0, "backup of an existing file");
	ok(journal_backup_file(j, created, &err) == 0, "backup of a file that does not exist yet");
	ok(journal_backup_file(j, odd, &err) == 0, "backup of a path with space, %% and newline");
	ok(journal_backup_file(j, conf, &err) == 0, "backing up the same file twice is a no-op");
	ok(journal_add_server(j, "devstack", "", "gb-1", &err) == 0 &&
		   journal_add_server(j, "devstack", "", "gb-3", &err) == 0 &&
		   journal_add_server(j, "devstack", "11111111-aaaa", "gb-1", &err) == 0 &&
		   journal_add_server(j, "devstack", "22222222-bbbb", "gb-2", &err) == 0 &&
		   journal_server_gone(j, "11111111-aaaa", &err) == 0,
	   "server records appended");
	size_t n;
	journal_records(j, &n);
	is_int(n, 9, "9 records: begin, 3 files, 4 servers, 1 gone");
	journal_close(j);

	/* the run changes the files, then dies; a torn record at the end */
	put(conf, "[DEFAULT]\ndebug = True\n");
	chmod(conf, 0606); /* the run (or an admin) changes the mode too */
	put(created, "[DEFAULT]\nhost = fake-1\n");
	put(odd, "changed\n");
	chmod(odd, 0644);
	char jpath[PATH_MAX * 2];
	snprintf(jpath, sizeof(jpath), "%s/journal", state);
	int jfd = open(jpath, O_WRONLY | O_APPEND);
	ok(jfd >= 0 && write(jfd, "file /etc/half", 14) == 14, "a torn record is appended (crash mid-write)");
	close(jfd);

	ok(journal_load(state, &j, &err) == 0, "journal reloads");
	const struct journal_rec *r = journal_records(j, &n);
	is_int(n, 9, "the torn record is ignored");
	is_str(r[3].fields[0], odd, "an odd path survives encoding");
	is_str(r[0].fields[2], "/x/units.yaml", "begin record keeps the units file");
	int restored = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].kind, JOURNAL_FILE))
			continue;
		bool changed;
		if (journal_restore_file(&r[i], &changed, &err) != 0) {
			bad++;
			diag("%s", err.msg);
		}
		restored += changed;
	}
	ok(!bad && restored == 3, "three files restored");
	char *c = get(conf);
	is_str(c, "[DEFAULT]\ndebug = False\n# keep me\n", "restored file has its original bytes");
	free(c);
	stat(conf, &st);
	is_int(st.st_mode & 0777, 0640, "restored file has its original mode");
	ok(access(created, F_OK) != 0, "a file the run created is removed");
	c = get(odd);
	is_str(c, "odd\n", "the odd path is restored");
	free(c);
	stat(odd, &st);
	is_int(st.st_mode & 0777, 0600, "the odd path gets its original mode 0600 back (it was 0644)");
	/* the bytes are the original ones, only the mode changed: restore still puts the mode back */
	chmod(conf, 0666);
	{
		bool ch = false;
		ok(journal_restore_file(&r[1], &ch, &err) == 0 && ch, "same bytes, changed mode: restore acts");
		stat(conf, &st);
		is_int(st.st_mode & 0777, 0640, "same bytes, mode 0666: the original mode 0640 is restored");
	}
	if (is_root) {
		/* the journal keeps the owner: a file gone or handed to root goes back to its user */
		bool ch = false;
		stat(conf, &st);
		ok(st.st_uid == 65534 && st.st_gid == 65534, "restored file keeps its owner 65534");
		ok(chown(conf, 0, 0) == 0 && journal_restore_file(&r[1], &ch, &err) == 0 && ch &&
			   stat(conf, &st) == 0 && st.st_uid == 65534 && st.st_gid == 65534,
		   "same bytes, owner root: the original owner 65534 is restored");
		ok(unlink(conf) == 0 && journal_restore_file(&r[1], &ch, &err) == 0 && ch &&
			   stat(conf, &st) == 0 && st.st_uid == 65534 && st.st_gid == 65534 &&
			   (st.st_mode & 0777) == 0640,
		   "a file removed after the backup comes back with its owner 65534 and mode 0640");
	} else {
		ok(1, "# SKIP owners need root");
	}
	restored = 0;
	for (size_t i = 0; i < n; i++) {
		bool changed;
		if (!strcmp(r[i].kind, JOURNAL_FILE) && journal_restore_file(&r[i], &changed, &err) == 0)
			restored += changed;
	}
	is_int(restored, 0, "restoring again changes nothing (idempotent)");

	struct seen s = { 0 };
	int failed = journal_each_server(j, server_cb, &s, &err);
	ok(failed == 0 && s.calls == 2 && !strcmp(s.ids[0], "devstack//gb-3") &&
		   !strcmp(s.ids[1], "devstack/22222222-bbbb/gb-2"),
	   "restore gets the undeleted server by id and the unanswered POST by name only");

	/* request-step resources: a gone one, an answered one, one never answered */
	ok(journal_add_resource(j, "dc", "compute", "/flavors/{id}", "/flavors/detail", "gb-a", &err) == 0 &&
	   journal_add_resource(j, "dc", "compute", "/flavors/F1", "", "gb-a", &err) == 0 &&
	   journal_add_resource(j, "dc", "compute", "/flavors/{id}", "/flavors/detail", "gb-b", &err) == 0 &&
	   journal_add_resource(j, "dc", "compute", "/flavors/F2", "", "gb-b", &err) == 0 &&
	   journal_resource_gone(j, "compute", "/flavors/F2", &err) == 0 &&
	   journal_add_resource(j, "dc", "compute", "/flavors/{id}", "/flavors/detail", "gb-c", &err) == 0,
	   "resources journaled");
	struct journal *jr = NULL;
	struct seen rs = { 0 };
	ok(journal_load(state, &jr, &err) == 0 && journal_each_resource(jr, resource_cb, &rs, &err) == 0,
	   "the journal reads back");
	ok(rs.calls == 2 && !strcmp(rs.ids[0], "compute /flavors/F1  gb-a") &&
	   !strcmp(rs.ids[1], "compute /flavors/{id} /flavors/detail gb-c"),
	   "restore gets the undeleted resource by path and the unanswered create with its find "
	   "path; the deleted one and the answered one's name-only record not (%d: %s | %s)",
	   rs.calls, rs.ids[0], rs.ids[1]);
	journal_close(jr);

	/* a damaged backup is refused */
	put(conf, "tampered\n");
	put(r[1].fields[4], "not the original\n");
	bool changed;
	ok(journal_restore_file(&r[1], &changed, &err) != 0 && strstr(err.msg, "not restoring from a damaged backup"),
	   "a backup whose sha256 does not match the journal is refused");
	journal_close(j);
	ok(journal_discard(state, &err) == 0 && !journal_exists(state), "discard removes the journal");
	char jd[PATH_MAX * 2];
	snprintf(jd, sizeof(jd), "%s/journal.d", state);
	ok(access(jd, F_OK) != 0, "discard removes the backups");
	ok(journal_load(state, &j, &err) != 0 && strstr(err.msg, "cannot open"), "loading a missing journal fails");
	put(jpath, "garbage line\n");
	ok(journal_load(state, &j, &err) != 0 && strstr(err.msg, "not a greenbench journal"),
	   "a file without a begin record is not taken for a journal");
	unlink(jpath);
	journal_unlock(fd, state);
	sb_release(&sd);
	char *rm[] = { "rm", "-rf", tmp, NULL };
	proc_run(rm, NULL, NULL, NULL, 10, NULL, NULL);
	return done_testing();
}

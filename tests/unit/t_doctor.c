/* t_doctor.c - doctor_run() under the sanitizers: the checks against a stand-in
 * interpreter, a state dir whose lock is taken by journal_lock itself (the real run
 * lock) and whose journal is made by journal_create, and the fake cloud for keystone
 * and the catalog (answering, then refusing the password). */
#include <sys/stat.h>

#include "run/doctor.h"
#include "host/journal.h"
#include "base/proc.h"
#include "lib/tap.h"
#include "fakecloud/fc.h"

static char dir[] = "/tmp/t_doctor_c.XXXXXX";
static int n_progress;

static void progress(void *arg, const struct doctor_check *c)
{
	(void)arg;
	(void)c;
	n_progress++;
}

static const struct doctor_check *find(const struct doctor_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_checks; i++)
		if (!strcmp(r->checks[i].name, name))
			return &r->checks[i];
	return NULL;
}

/* Status of check name (-1 when it did not run); its detail into *detail. */
static int status_of(const struct doctor_report *r, const char *name, const char **detail)
{
	const struct doctor_check *c = find(r, name);
	*detail = c ? c->detail : "(no such check)";
	return c ? (int)c->status : -1;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

int main(void)
{
	char src[400], fakecloud[512];
	if (!mkdtemp(dir) || !getcwd(src, sizeof(src)))
		return 1;
	snprintf(fakecloud, sizeof(fakecloud), "%s/tests/fakecloud/fakecloud.py", src);
	char path[512], state[512], db[512], clouds[512];
	snprintf(path, sizeof(path), "%s/python", dir);
	write_text(path, "#!/bin/sh\n"
		   "printf 'version\\t3.11.9\\n'\n"
		   "printf 'mod\\tgreenlet\\tok\\t2.0.2\\t/s/greenlet.py\\n'\n"
		   "printf 'mod\\teventlet\\tok\\t0.33.1\\t/s/eventlet.py\\n'\n"
		   "printf 'mod\\tgreenprof\\terr\\tModuleNotFoundError: no greenprof\\n'\n"
		   "printf 'pth\\tnone\\t/s\\n'\n", 0755);
	setenv("PYTHON", path, 1);
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	unsetenv("OS_CLOUD");
	unsetenv("OS_AUTH_URL");
	unsetenv("OS_CLIENT_CONFIG_FILE");
	if (chdir(dir) != 0)
		return 1;
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(db, sizeof(db), "%s/results.db", dir);

	struct doctor_opts o = { .state_dir = state, .db = db, .progress = progress };
	struct doctor_report r = { 0 };
	const char *d;
	doctor_run(&o, &r);
	is_int((int)n_progress, (int)r.n_checks, "progress is called once per check");
	is_int(status_of(&r, "interpreter", &d), DOCTOR_OK, "interpreter: ok (%s)", d);
	ok(strstr(d, "Python 3.11.9") != NULL, "interpreter: its version is shown");
	is_int(status_of(&r, "python greenlet", &d), DOCTOR_OK, "greenlet importable: ok");
	is_int(status_of(&r, "python greenprof", &d), DOCTOR_FAIL, "greenprof not importable: FAIL");
	ok(strstr(d, "ModuleNotFoundError: no greenprof") && strstr(d, "make install PYTHON="),
	   "greenprof FAIL says why and to run make install (%s)", d);
	is_int(status_of(&r, "profiler bootstrap", &d), DOCTOR_FAIL, "no .pth in the site dirs: FAIL");
	is_int(status_of(&r, "journal", &d), DOCTOR_OK, "clean state dir: no journal waiting");
	is_int(status_of(&r, "run lock", &d), DOCTOR_OK, "clean state dir: lock free");
	is_int(status_of(&r, "credentials", &d), DOCTOR_WARN, "no cloud configured: WARN");
	ok(find(&r, "keystone") == NULL, "no cloud configured: keystone not tried");
	is_int(status_of(&r, "store", &d), DOCTOR_OK, "missing store: ok, will be created");
	struct stat st;
	ok(stat(db, &st) != 0, "the missing store is not created");
	ok(doctor_count(&r, DOCTOR_FAIL) == 2, "two failures counted");
	is_str(doctor_status_word(DOCTOR_WARN), "WARN", "status words: WARN");
	doctor_report_free(&r);

	/* The real run lock and journal, as a run in progress holds them. */
	struct gb_err err = { 0 };
	int fd = -1;
	long stale = 0;
	struct journal *j = NULL;
	ok(journal_lock(state, &fd, &stale, &err) == 0, "journal_lock takes the lock (%s)", err.msg);
	ok(journal_create(state, "run-1", "-", "process", &j, &err) == 0, "journal_create (%s)", err.msg);
	doctor_run(&o, &r);
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	is_int(status_of(&r, "run lock", &d), DOCTOR_WARN, "a held run lock: WARN");
	ok(strstr(d, pid) != NULL, "the held lock names the holder's pid (%s)", d);
	is_int(status_of(&r, "journal", &d), DOCTOR_OK, "the journal of the run in progress is not a failure");
	doctor_report_free(&r);
	journal_close(j);
	journal_unlock(fd, state);
	doctor_run(&o, &r);
	is_int(status_of(&r, "journal", &d), DOCTOR_FAIL, "the same journal with the run gone: FAIL");
	ok(strstr(d, "greenbench restore") != NULL, "the journal FAIL says to run greenbench restore");
	is_int(status_of(&r, "run lock", &d), DOCTOR_OK, "an unlocked lock: ok");
	doctor_report_free(&r);
	ok(journal_discard(state, &err) == 0, "journal discarded (%s)", err.msg);

	/* The fake cloud. */
	struct fc fc;
	setenv("FAKECLOUD", fakecloud, 1);
	setenv("PYTHON", "/usr/bin/python3", 1); /* the fake cloud's interpreter */
	int started = fc_start(&fc);
	setenv("PYTHON", path, 1);
	if (started != 0) {
		ok(0, "fake cloud starts");
		return done_testing();
	}
	snprintf(clouds, sizeof(clouds), "%s/clouds.yaml", dir);
	char yaml[1024];
	snprintf(yaml, sizeof(yaml), "clouds:\n  fc:\n    auth:\n      auth_url: %s/identity/v3\n"
		 "      username: admin\n      password: %s\n      project_name: admin\n"
		 "  fc-bad:\n    auth:\n      auth_url: %s/identity/v3\n      username: admin\n"
		 "      password: nope\n      project_name: admin\n", fc.base, FC_PASSWORD, fc.base);
	write_text(clouds, yaml, 0600);
	setenv("OS_CLIENT_CONFIG_FILE", clouds, 1);
	o.cloud = "fc";
	doctor_run(&o, &r);
	is_int(status_of(&r, "keystone", &d), DOCTOR_OK, "fake cloud: keystone ok (%s)", d);
	is_int(status_of(&r, "catalog compute", &d), DOCTOR_OK, "fake cloud: compute in the catalog");
	is_int(status_of(&r, "catalog placement", &d), DOCTOR_OK, "fake cloud: placement in the catalog");
	doctor_report_free(&r);
	o.cloud = "fc-bad";
	doctor_run(&o, &r);
	is_int(status_of(&r, "keystone", &d), DOCTOR_FAIL, "wrong password: keystone FAIL (%s)", d);
	ok(find(&r, "catalog compute") == NULL, "wrong password: no catalog checks");
	doctor_report_free(&r);
	o.cloud = "fcc";
	doctor_run(&o, &r);
	is_int(status_of(&r, "credentials", &d), DOCTOR_FAIL, "a named cloud that is not there: FAIL (%s)", d);
	doctor_report_free(&r);
	fc_stop(&fc);

	char *rm[] = { "rm", "-rf", dir, NULL };
	int status;
	struct strbuf out = STRBUF_INIT;
	proc_run(rm, NULL, "/", &out, 10, &status, &err);
	sb_release(&out);
	return done_testing();
}

/* t_runner.c - one whole run (runner_run) on the process backend and the fake cloud:
 * a journal that cannot be written during the workload fails the run with that cause
 * (exit 3), not as "stopped early" (exit 4); a summary longer than 4096 bytes is kept
 * whole. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "fakecloud/fc.h"
#include "lib/tap.h"
#include "run/runner.h"
#include "scenario/scenario.h"

static char dir[] = "/tmp/t_runner.XXXXXX";
static struct fc fc;

static void write_text(const char *name, const char *text, char *path, size_t path_size)
{
	snprintf(path, path_size, "%s/%s", dir, name);
	struct gb_err e;
	if (gb_write_file_atomic(path, text, strlen(text), 0644, &e))
		diag("%s", e.msg);
}

static struct scenario *load(const char *name, const char *yaml)
{
	char path[400];
	write_text(name, yaml, path, sizeof(path));
	struct scenario *sc = NULL;
	struct gb_err e;
	if (scenario_load(path, &sc, &e))
		diag("%s", e.msg);
	return sc;
}

/* ---- a journal write that fails during the workload ---- */

struct full_journal {
	char journal[500];
	struct rlimit saved;
	bool is_limited, was_limited;
};

/* Progress hook: when the workload starts, no file may grow past the journal's size
 * (its next record fails with EFBIG); the restore gets the limit back. */
static void limit_at_workload(void *arg, const char *line)
{
	struct full_journal *f = arg;
	struct stat st;
	if (!strncmp(line, "repeat 1/1: creating", 20) && stat(f->journal, &st) == 0) {
		getrlimit(RLIMIT_FSIZE, &f->saved);
		struct rlimit r = f->saved;
		r.rlim_cur = (rlim_t)st.st_size;
		f->is_limited = f->was_limited = setrlimit(RLIMIT_FSIZE, &r) == 0;
	} else if (f->is_limited && !strcmp(line, "restoring the host...")) {
		setrlimit(RLIMIT_FSIZE, &f->saved);
		f->is_limited = false;
	}
}

static void test_journal_error(void)
{
	char units[400], yaml[2000], state[400], db[400];
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(db, sizeof(db), "%s/results.db", dir);
	mkdir(state, 0700);
	snprintf(yaml, sizeof(yaml), "version: 1\nbackend: process\nstate_dir: %s/run\nunits: {}\n", dir);
	write_text("units.yaml", yaml, units, sizeof(units));
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: journal_full\nunits: {backend: process, file: %s}\n"
		 "auth: {auth_url: '%s/identity/v3', username: admin, password: %s, project_name: admin}\n"
		 "workload:\n  - create_servers: {image: cirros, flavor: c1, count: 2}\n",
		 units, fc.base, FC_PASSWORD);
	struct scenario *sc = load("journal_full.yaml", yaml);
	if (!ok(sc != NULL, "journal error: the scenario loads"))
		return;
	struct full_journal f = { .is_limited = false };
	snprintf(f.journal, sizeof(f.journal), "%s/journal", state);
	signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG instead */
	long posts = fc_state_int(&fc, "n_server_posts");
	struct runner_opts o = { .state_dir = state, .db = db, .progress = limit_at_workload,
				 .progress_arg = &f };
	struct runner_result res;
	struct gb_err err = { 0, "" };
	int rc = runner_run(sc, &o, &res, &err);
	if (f.is_limited)
		setrlimit(RLIMIT_FSIZE, &f.saved);
	ok(f.was_limited, "journal error: the journal was made unwritable when the workload began");
	ok(rc == -1 && err.exit_code == GB_EXIT_ENV, "journal error: the run fails with exit 3 (got %d, exit %d)",
	   rc, err.exit_code);
	ok(!strncmp(err.msg, "cannot write the journal ", 25) && strstr(err.msg, "File too large"),
	   "journal error: the message is the journal's cause: %s", err.msg);
	ok(strstr(err.msg, "; create_servers (line 6) stopped early") != NULL,
	   "journal error: ...followed by what the workload did about it");
	is_int(fc_state_int(&fc, "n_server_posts") - posts, 0,
	       "journal error: no server was POSTed without its journal record");
	ok(access(f.journal, F_OK) != 0, "journal error: the run restored the host (journal gone)");
	runner_result_release(&res);
	scenario_free(sc);
}

/* ---- a long summary ---- */

static void test_long_summary(void)
{
	char units[400], state[400];
	snprintf(state, sizeof(state), "%s/state", dir);
	struct strbuf y = STRBUF_INIT;
	sb_addf(&y, "version: 1\nbackend: process\nstate_dir: %s/run\nunits:\n  n-sch:\n"
		    "    argv: [/bin/true]\n", dir);
	write_text("units2.yaml", y.buf, units, sizeof(units));
	sb_reset(&y);
	sb_addf(&y, "version: 1\nname: many_profiles\nunits: {backend: process, file: %s}\n"
		    "restart: [n-sch]\nworkload: []\nprofile:\n", units);
	for (int i = 0; i < 60; i++)
		sb_addf(&y, "  - {unit: n-sch, target: 'nova.scheduler.manager:SchedulerManager."
			    "select_destinations_with_a_long_name_%02d'}\n", i);
	struct scenario *sc = load("many_profiles.yaml", y.buf);
	sb_release(&y);
	if (!ok(sc != NULL, "long summary: a scenario with 60 profile targets loads"))
		return;
	struct runner_opts o = { .state_dir = state, .dry_run = true };
	struct runner_result res;
	struct gb_err err = { 0, "" };
	int rc = runner_run(sc, &o, &res, &err);
	const char *last = strstr(sb_str(&res.summary), "select_destinations_with_a_long_name_59: 0 calls "
							 "profiled\n");
	ok(rc == 0 && res.summary.len > 4096 && last && !strncmp(sb_str(&res.summary), "steps:\n", 7),
	   "long summary: %zu bytes, from its first line to the 60th profile's (%s)", res.summary.len,
	   rc ? err.msg : "dry run");
	runner_result_release(&res);
	ok(res.summary.len == 0, "long summary: released with the result");
	scenario_free(sc);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	if (fc_start(&fc) < 0) {
		printf("Bail out! cannot start the fake cloud (tests/fakecloud/fakecloud.py)\n");
		return 1;
	}
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	test_journal_error();
	test_long_summary();
	fc_stop(&fc);
	char *rm[] = { "rm", "-rf", dir, NULL };
	proc_run(rm, NULL, NULL, NULL, 10, NULL, NULL);
	return done_testing();
}

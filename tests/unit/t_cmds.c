/* t_cmds.c - the store's read commands on a real store: list, show, stats, export
 * (reloaded by python3's pstats and callgrind_annotate), compare, and their errors. */
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

extern char **environ;

static char dir[] = "/tmp/t_cmds.XXXXXX";
static char dbpath[300];
#include "lib/cmd_capture.h"

/* Run a command in-process with stdout and stderr captured into out_s / err_s. */

/* Run a program, capture its stdout into out; returns its exit status (-1 on failure). */
static int spawn(char *const argv[], struct strbuf *out)
{
	int pfd[2];
	if (pipe(pfd))
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc) {
		close(pfd[0]);
		return -1;
	}
	char buf[8192];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		sb_add(out, buf, (size_t)n);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static long long n_union;

static void make_store(void)
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 1, &db, &err)) {
		diag("%s", err.msg);
		return;
	}
	struct run_record *a = fixture_run("select_destinations", "before", 2, 1.0);
	struct pstats *u = pstats_new();
	pstats_merge(u, a->profiles[0].stats);
	pstats_merge(u, a->profiles[1].stats);
	n_union = (long long)u->n_listed;
	pstats_free(u);
	long long id;
	store_save_run(db, a, &id, &err);
	/* run 2: twice the latencies, only nova profiles */
	struct run_record *b = fixture_run("select_destinations", "after", 1, 2.0);
	struct strbuf nova = fixture_load("nova26-select_destinations.prof");
	for (size_t i = 0; i < b->n_profiles; i++) {
		pstats_free(b->profiles[i].stats);
		free(b->profiles[i].raw);
		pstats_parse((const unsigned char *)nova.buf, nova.len, "nova", &b->profiles[i].stats, &err);
		b->profiles[i].raw = gb_malloc(nova.len);
		memcpy(b->profiles[i].raw, nova.buf, nova.len);
		b->profiles[i].raw_len = nova.len;
	}
	store_save_run(db, b, &id, &err);
	free(b->scenario);
	b->scenario = gb_strdup("other");
	free(b->label);
	b->label = NULL;
	store_save_run(db, b, &id, &err);
	sb_release(&nova);
	run_record_free(a);
	run_record_free(b);
	store_close(db);
}

static void test_list(void)
{
	int rc = run(cmd_list, "list", NULL);
	ok(rc == 0 && has(&out_s, "select_destinations") && has(&out_s, "before") &&
		   has(&out_s, "after") && has(&out_s, "other") && count_lines(out_s.buf) == 4,
	   "list: header and 3 runs");
	const char *first_row = strchr(sb_str(&out_s), '\n');
	ok(first_row && !strncmp(first_row + 1, "    3  ", 7), "list: newest first");
	rc = run(cmd_list, "list", "--scenario", "select_destinations", "--limit", "1", NULL);
	ok(rc == 0 && count_lines(out_s.buf) == 2 && has(&out_s, "after") && !has(&out_s, "other"),
	   "list: --scenario and --limit 1 give only run 2");
	rc = run(cmd_list, "list", "--json", NULL);
	json_error_t je;
	json_t *j = json_loads(sb_str(&out_s), 0, &je);
	ok(rc == 0 && json_is_array(j) && json_array_size(j) == 3 &&
		   json_integer_value(json_object_get(json_array_get(j, 0), "id")) == 3 &&
		   json_integer_value(json_object_get(json_array_get(j, 2), "n_profiles")) == 4,
	   "list --json: 3 runs, newest first, run 1 has 4 profiles");
	json_decref(j);
	rc = run(cmd_list, "list", "--limt", "3", NULL);
	ok(rc == 2 && has(&err_s, "did you mean '--limit'"), "list: a typo gets a suggestion");
}

static void test_show(void)
{
	int rc = run(cmd_show, "show", "before", NULL);
	ok(rc == 0 && has(&out_s, "run 1: select_destinations 'before', ok") &&
		   has(&out_s, "testhost, 2 CPUs") && has(&out_s, "fix.diff"),
	   "show: metadata of run 1");
	ok(has(&out_s, "POST /v2.1/servers latency") && has(&out_s, "0.115 s") &&
		   has(&out_s, "server time to ACTIVE"),
	   "show: request latency median 115 ms and server times");
	ok(has(&out_s, "nova.scheduler.manager:SchedulerManager.select_destinations") &&
		   has(&out_s, "create_servers.latency.p95") && has(&out_s, "pass"),
	   "show: profile target summary and SLA result");
	rc = run(cmd_show, "show", "last", "--json", NULL);
	json_error_t je;
	json_t *j = json_loads(sb_str(&out_s), 0, &je);
	ok(rc == 0 && j && json_integer_value(json_object_get(j, "id")) == 3 &&
		   json_array_size(json_object_get(j, "profiles")) == 2 &&
		   json_array_size(json_object_get(j, "requests")) == 2 &&
		   !strcmp(json_string_value(json_object_get(j, "scenario")), "other"),
	   "show --json: run 3 with 2 profiles and 2 requests");
	json_decref(j);
	rc = run(cmd_show, "show", "1", "--yaml", NULL);
	is_str(sb_str(&out_s), "name: select_destinations\nrepeat: 2\n", "show --yaml: the scenario text");
	rc = run(cmd_show, "show", "last~5", NULL);
	ok(rc == 2 && has(&err_s, "greenbench show: no run 'last~5': the store has 3 runs"),
	   "show: last~5 is exit 2 with the run count");
	char saved[300];
	snprintf(saved, sizeof(saved), "%s", dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/none.db", dir);
	rc = run(cmd_show, "show", "last", NULL);
	snprintf(dbpath, sizeof(dbpath), "%s", saved);
	ok(rc == 3 && has(&err_s, "no results store at"), "show: a missing store is exit 3");
	snprintf(dbpath, sizeof(dbpath), "%s/agg.prof", dir);
	struct gb_err e;
	gb_write_file_atomic(dbpath, "garbage, not sqlite at all; garbage, not sqlite at all; garbage, "
				     "not sqlite at all; garbage, not sqlite at all", 110, 0600, &e);
	rc = run(cmd_show, "show", "last", NULL);
	snprintf(dbpath, sizeof(dbpath), "%s", saved);
	ok(rc == 3 && has(&err_s, "not a usable results store"), "show: a file that is not a store is exit 3");
}

static void test_stats(void)
{
	int rc = run(cmd_stats, "stats", "1", "--sort", "tottime", "--limit", "5", NULL);
	ok(rc == 0 && has(&out_s, "run 1: 4 profiles") && has(&out_s, "Ordered by: internal time") &&
		   has(&out_s, "List reduced from"),
	   "stats: header names the profiles and order");
	const char *rows = strstr(sb_str(&out_s), "filename:lineno(function)\n");
	ok(rows && count_lines(rows) == 6, "stats: --limit 5 prints 5 rows");
	ok(rows && strstr(rows, "   24    0.504    0.021    0.504    0.021 {method 'poll' of 'select.epoll' objects}"),
	   "stats: top tottime is epoll.poll, 2 x 12 calls, 0.504 s, as pstats prints it");
	rc = run(cmd_stats, "stats", "1", NULL);
	rows = strstr(sb_str(&out_s), "filename:lineno(function)\n");
	ok(rc == 0 && rows && (long long)count_lines(rows) == n_union + 1,
	   "stats: without --limit every one of the %lld functions", n_union);
	ok(rows && strstr(rows, "   22    0.000    0.000    1.235    0.056 /usr/lib/python3/dist-packages/oslo_messaging/_drivers/impl_rabbit.py:1262(_consume)"),
	   "stats: default sort is cumtime, _consume first");
	ok(has(&out_s, "97098 function calls (83732 primitive calls)"),
	   "stats: totals summed over profiles (2 x 41847 + 2 x 6702 calls)");
	rc = run(cmd_stats, "stats", "1", "--profile", "2", "--json", NULL);
	json_error_t je;
	json_t *j = json_loads(sb_str(&out_s), 0, &je);
	ok(rc == 0 && j && json_integer_value(json_object_get(j, "n_functions")) == 9 &&
		   json_integer_value(json_object_get(j, "total_calls")) == 6702,
	   "stats --profile 2 --json: the small profile, 9 functions, 6702 calls");
	json_decref(j);
	rc = run(cmd_stats, "stats", "1", "--sort", "cumtme", NULL);
	ok(rc == 2 && has(&err_s, "did you mean 'cumtime'"), "stats: bad --sort suggests cumtime");
	rc = run(cmd_stats, "stats", "1", "--target", "nosuch", NULL);
	ok(rc == 2 && has(&err_s, "no profiles with a target containing nosuch"),
	   "stats: a target without profiles is an error");
}

static double py_totals(const char *file, long *n, long long *calls)
{
	struct strbuf o = STRBUF_INIT;
	char *argv[] = { "/usr/bin/python3", "-c",
			 "import pstats,sys; s=pstats.Stats(sys.argv[1]); print(len(s.stats), s.total_calls, repr(s.total_tt))",
			 (char *)file, NULL };
	double tt = -1;
	if (spawn(argv, &o) != 0 || sscanf(sb_str(&o), "%ld %lld %lf", n, calls, &tt) != 3)
		tt = -1;
	sb_release(&o);
	return tt;
}

static void test_export(void)
{
	char f[400];
	snprintf(f, sizeof(f), "%s/agg.prof", dir);
	int rc = run(cmd_export, "export", "1", "--format", "prof", "-o", f, NULL);
	long n = 0;
	long long calls = 0;
	double tt = py_totals(f, &n, &calls);
	ok(rc == 0 && n == n_union && calls == 97098 && fabs(tt - 2 * (0.48756198999999956 + 0.0011279019999999999)) < 1e-6,
	   "export prof: python3 pstats loads the aggregate: %ld functions, %lld calls, %.6f s", n, calls, tt);

	snprintf(f, sizeof(f), "%s/raw.prof", dir);
	rc = run(cmd_export, "export", "1", "--profile", "1", "--format", "prof", "-o", f, NULL);
	struct strbuf a = STRBUF_INIT, b = fixture_load("nova26-select_destinations.prof");
	struct gb_err e;
	gb_read_file(f, 1 << 30, &a, &e);
	ok(rc == 0 && a.len == b.len && !memcmp(a.buf, b.buf, a.len),
	   "export prof --profile 1: byte-identical to the dump the service wrote");
	sb_release(&a);
	sb_release(&b);

	snprintf(f, sizeof(f), "%s/callgrind.out", dir);
	rc = run(cmd_export, "export", "1", "--format", "callgrind", "-o", f, NULL);
	struct strbuf o = STRBUF_INIT;
	char *cg[] = { "callgrind_annotate", f, NULL };
	int cgrc = spawn(cg, &o);
	ok(rc == 0 && cgrc == 0 && strstr(sb_str(&o), "Events recorded:  ns") &&
		   strstr(sb_str(&o), "epoll") && strstr(sb_str(&o), "977,379,784 (100.0%)  PROGRAM TOTALS"),
	   "export callgrind: callgrind_annotate reads it; 977,379,784 ns in all and epoll shown");
	if (cgrc != 0)
		diag("callgrind_annotate exit %d: %.300s", cgrc, sb_str(&o));
	sb_release(&o);

	rc = run(cmd_export, "export", "1", "--format", "collapsed", NULL);
	long long total = 0;
	size_t lines = 0, bad = 0;
	for (const char *p = sb_str(&out_s); *p;) {
		const char *nl = strchr(p, '\n');
		const char *sp = NULL;
		for (const char *q = p; q < nl; q++)
			if (*q == ' ')
				sp = q;
		if (!nl || !sp)
			bad++;
		else
			total += atoll(sp + 1);
		lines++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	double want = 2 * (0.48756198999999956 + 0.0011279019999999999) * 1e6;
	ok(rc == 0 && lines > 100 && bad == 0 && total > 0.7 * want && total < 1.01 * want,
	   "export collapsed: %zu folded stacks carry %lld us of the %.0f us total", lines, total, want);
	ok(has(&out_s, ";{method 'poll' of 'select.epoll' objects} "), "export collapsed: epoll.poll is a leaf");

	rc = run(cmd_export, "export", "2", "--format", "json", NULL);
	json_error_t je;
	json_t *j = json_loads(sb_str(&out_s), 0, &je);
	ok(rc == 0 && j && json_integer_value(json_object_get(j, "n_functions")) == 2107 &&
		   json_array_size(json_object_get(j, "functions")) == 2107,
	   "export json: run 2's 2107 functions with their callers");
	json_decref(j);

	rc = run(cmd_export, "export", "1", "--format", "svg", NULL);
	ok(rc == 2 && has(&err_s, "unknown format 'svg'"), "export: an unknown format is exit 2");
	rc = run(cmd_export, "export", "1", "--profile", "9", "--format", "prof", "-o", f, NULL);
	ok(rc == 2 && has(&err_s, "no profile number 9"), "export: profile 9 of 4 is exit 2");
}

static void test_compare(void)
{
	int rc = run(cmd_compare, "compare", "before", "after", NULL);
	ok(rc == 5 && has(&out_s, "compare run 1 (A) -> run 2 (B)") &&
		   has(&out_s, "POST /v2.1/servers latency") && has(&out_s, "+82.6%") &&
		   has(&out_s, "VERDICT: INCONCLUSIVE"),
	   "compare: latency medians side by side, 115 ms -> 210 ms is +82.6%%; too few samples "
	   "for a verdict: INCONCLUSIVE, exit 5 (got %d)", rc);
	ok(has(&out_s, "within-run samples") && has(&out_s, "insufficient data") &&
		   has(&out_s, "FUNCTIONS WHOSE OWN TIME MOVED"),
	   "compare: 4 vs 2 within-run samples are called insufficient, not a verdict");
	rc = run(cmd_compare, "compare", "1", "2", "--json", "--limit", "3", NULL);
	json_error_t je;
	json_t *j = json_loads(sb_str(&out_s), 0, &je);
	json_t *post = NULL, *ms = j ? json_object_get(j, "metrics") : NULL;
	for (size_t i = 0; i < json_array_size(ms); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(ms, i), "metric")),
			    "POST /v2.1/servers latency"))
			post = json_array_get(ms, i);
	ok(rc == 5 && post && json_is_true(json_object_get(j, "inconclusive")) &&
		   !strcmp(json_string_value(json_object_get(j, "verdict")), "inconclusive") &&
		   fabs(json_real_value(json_object_get(post, "median_a")) - 0.115) < 1e-9 &&
		   fabs(json_real_value(json_object_get(post, "median_b")) - 0.21) < 1e-9,
	   "compare --json: POST latency median 0.115 -> 0.21, verdict inconclusive, exit 5");
	ok(j && !strcmp(json_string_value(json_object_get(j, "mode")), "within-run") &&
		   json_is_false(json_object_get(j, "regression")),
	   "compare --json: within-run mode, no regression claimed");
	json_decref(j);
	rc = run(cmd_compare, "compare", "1", NULL);
	ok(rc == 2 && has(&err_s, "expected two runs"), "compare: one run is a usage error");
	rc = run(cmd_compare, "compare", "1", "nosuch", NULL);
	ok(rc == 2 && has(&err_s, "no run 'nosuch'"), "compare: an unknown run is exit 2");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	make_store();
	test_list();
	test_show();
	test_stats();
	test_export();
	test_compare();
	if (getenv("T_CMDS_KEEP")) {
		diag("kept %s", dir);
		return done_testing();
	}
	const char *names[] = { "results.db", "results.db-wal", "results.db-shm", "stdout", "stderr",
				"agg.prof", "raw.prof", "callgrind.out" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[400];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	if (rmdir(dir))
		diag("left %s", dir);
	sb_release(&out_s);
	sb_release(&err_s);
	return done_testing();
}

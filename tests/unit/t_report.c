/* t_report.c - `greenbench report` on synthetic and fixture runs: the text summary with
 * the busy-host warning, JSON that python3 parses, and an HTML page that html.parser
 * finds balanced, with its SVG charts and flame graph, and no script or network reference. */
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "report/report.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"
#include "lib/verdict_fixture.h"

extern char **environ;

static char dir[] = "/tmp/t_report.XXXXXX";
static char dbpath[300], htmlpath[300];
#include "lib/cmd_capture.h"

static int python(const char *code, const char *path)
{
	char *argv[] = { "/usr/bin/python3", "-c", (char *)code, (char *)path, NULL };
	pid_t pid;
	int st = -1;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Checks an HTML report: balanced non-void tags, the expected elements, nothing remote. */
static const char html_check[] =
	"import sys, re\n"
	"from html.parser import HTMLParser\n"
	"VOID = {'meta','br','img','hr','input','link','col','area','base','wbr','source'}\n"
	"SVG_SELF = {'rect','line','path','circle','polyline'}\n"
	"class P(HTMLParser):\n"
	"    def __init__(s):\n"
	"        super().__init__(); s.stack=[]; s.count={}; s.bad=[]; s.remote=[]\n"
	"    def handle_starttag(s, t, a):\n"
	"        s.count[t]=s.count.get(t,0)+1\n"
	"        for k,v in a:\n"
	"            if k in ('src','href') and v and re.match(r'(https?:)?//', v): s.remote.append(v)\n"
	"        if t not in VOID: s.stack.append(t)\n"
	"    def handle_startendtag(s, t, a):\n"
	"        s.count[t]=s.count.get(t,0)+1\n"
	"    def handle_endtag(s, t):\n"
	"        if t in VOID: return\n"
	"        if not s.stack or s.stack[-1]!=t: s.bad.append((t, list(s.stack[-3:])))\n"
	"        else: s.stack.pop()\n"
	"text=open(sys.argv[1], encoding='utf-8').read()\n"
	"p=P(); p.feed(text); p.close()\n"
	"assert not p.bad, p.bad[:5]\n"
	"assert not p.stack, p.stack\n"
	"assert not p.remote, p.remote\n"
	"assert 'script' not in p.count and 'link' not in p.count, p.count\n"
	"assert not re.search(r'https?://', text), 'a URL in the page'\n"
	"assert text.startswith('<!DOCTYPE html>')\n"
	"assert p.count.get('svg',0) >= 4, p.count\n"
	"assert p.count.get('rect',0) >= 40, p.count\n"
	"assert p.count.get('style',0) == 1 and p.count.get('title',0) >= 20\n"
	"assert 'aria-label=\"flame graph\"' in text and 'aria-label=\"timeline\"' in text\n"
	"assert 'select_destinations' in text\n"
	"if len(sys.argv) > 2: pass\n";

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/results.db", dir);
	snprintf(htmlpath, sizeof(htmlpath), "%s/report.html", dir);
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(dbpath, 1, &db, &err)) {
		diag("%s", err.msg);
		return 1;
	}
	struct synth s = SYNTH_DEFAULT;
	s.n_funcs = 80;
	s.seed = 3;
	s.label = "quiet";
	long long id_a = synth_store(db, &s);
	s.seed = 4;
	s.label = "busy";
	s.load1 = 2.5;
	s.slow_fn = 5;
	s.slow_factor = 2.0;
	long long id_b = synth_store(db, &s);
	struct synth e = SYNTH_DEFAULT;
	e.n_profiles = 0;
	e.scenario = "empty";
	long long id_empty = synth_store(db, &e);
	long long id_nova = 0;
	struct run_record *rec = fixture_run("select_destinations", "nova", 1, 1.0);
	store_save_run(db, rec, &id_nova, &err);
	run_record_free(rec);
	store_close(db);
	char a[32], b[32], nova[32];
	snprintf(a, sizeof(a), "%lld", id_a);
	snprintf(b, sizeof(b), "%lld", id_b);
	snprintf(nova, sizeof(nova), "%lld", id_nova);

	int rc = run(cmd_report, "report", a, NULL);
	ok(rc == 0 && has(&out_s, "run 1: select_destinations (quiet), ok") &&
		   has(&out_s, "call SchedulerManager.select_destinations") &&
		   has(&out_s, "TOP OWN TIME PER PROFILED CALL") && !has(&out_s, "busy host"),
	   "report: the text summary names the run, its metrics and top functions");
	rc = run(cmd_report, "report", b, "--compare", a, NULL);
	/* func_5 is in the top-functions table anyway: it must be the one function flagged,
	 * the first row under the heading of the functions that moved (after its column line) */
	const char *moved = strstr(sb_str(&out_s), "FUNCTIONS WHOSE OWN TIME MOVED (tottime per call; 1 slower, 0 faster");
	const char *row = moved ? strchr(moved, '\n') : NULL;
	row = row ? strchr(row + 1, '\n') : NULL;
	const char *row_end = row ? strchr(row + 1, '\n') : NULL;
	const char *fn = row ? strstr(row, "(func_5)") : NULL;
	ok(rc == 0 && has(&out_s, "WARNING: busy host") && has(&out_s, "note: run 2 was taken on a busy host") &&
		   (has(&out_s, "VERDICT: NO CHANGE") || has(&out_s, "VERDICT: INCONCLUSIVE")) &&
		   has(&out_s, "moved: 1 function slower, 0 faster (own time)") && fn && row_end && fn < row_end,
	   "report --compare: a busy-host warning, no verdict, and func_5 the one function flagged slower");
	rc = run(cmd_report, "report", b, "--json", NULL);
	json_error_t je;
	json_t *j = json_loads(sb_str(&out_s), 0, &je);
	json_t *m0 = j ? json_array_get(json_object_get(j, "metrics"), 0) : NULL;
	ok(rc == 0 && j && json_is_true(json_object_get(j, "busy_host")) && m0 &&
		   json_array_size(json_object_get(m0, "samples")) == 10,
	   "report --json: busy_host true, 10 samples of the profiled call");
	json_decref(j);

	rc = run(cmd_report, "report", b, "--html", htmlpath, "--compare", a, NULL);
	ok(rc == 0 && has(&out_s, "wrote "), "report --html: written, and said so");
	ok(python(html_check, htmlpath) == 0,
	   "report --html: html.parser finds it balanced, with 4+ SVG charts, no script, no URL");
	struct strbuf page = STRBUF_INIT;
	gb_read_file(htmlpath, 64 << 20, &page, &err);
	ok(has(&page, "class=\"warn\"") && has(&page, "Compared with run 1") && has(&page, "func_5"),
	   "report --html: the busy warning and the compare table are in the page");
	ok(has(&page, "mid_0") && has(&page, "func_5 ("), "report --html: the flame graph has the synthetic frames");
	sb_release(&page);

	rc = run(cmd_report, "report", nova, "--html", htmlpath, NULL);
	ok(rc == 0 && python(html_check, htmlpath) == 0,
	   "report --html of the real nova dump: balanced and self-contained");
	gb_read_file(htmlpath, 64 << 20, &page, &err);
	ok(has(&page, "get_allocation_candidates") || has(&page, "select_destinations ("),
	   "report --html of the real nova dump: its frames are drawn");
	diag("nova report: %zu bytes", page.len);
	sb_release(&page);

	char empty[32];
	snprintf(empty, sizeof(empty), "%lld", id_empty);
	rc = run(cmd_report, "report", empty, "--html", htmlpath, "--compare", a, NULL);
	gb_read_file(htmlpath, 64 << 20, &page, &err);
	ok(rc == 0 && has(&page, "No profile stored") && has(&page, "No server with a recorded") &&
		   has(&page, "compared anyway"),
	   "report --html of a run with nothing in it: says so; --compare across scenarios notes it");
	sb_release(&page);
	rc = run(cmd_report, "report", empty, NULL);
	ok(rc == 0 && has(&out_s, "run 3: empty, ok\n") && has(&out_s, "\nMETRIC ") &&
		   !has(&out_s, "POST /v2.1/servers") && !has(&out_s, "TOP OWN TIME"),
	   "report of an empty run: the text summary still prints its header, and no metric or function");
	rc = run(cmd_report, "report", "nosuch", NULL);
	ok(rc == 2 && has(&err_s, "no run 'nosuch'"), "report: an unknown run is exit 2");
	rc = run(cmd_report, "report", NULL);
	ok(rc == 2 && has(&err_s, "expected one RUN"), "report: no run is exit 2");

	const char *names[] = { "results.db", "results.db-wal", "results.db-shm", "stdout", "stderr",
				"report.html" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[400];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	sb_release(&out_s);
	sb_release(&err_s);
	return done_testing();
}

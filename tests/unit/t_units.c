/*
 * t_units.c - the units file parser and both unit backends: the process
 * backend against test daemons that ignore SIGTERM, fork children, never
 * become ready or die at once; the systemd backend against a stand-in
 * systemctl that records its argv. No root, no systemd, loopback only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/proc.h"
#include "lib/tap.h"
#include "units/units.h"
#include "units/units_devstack.h"
#include "units/unitsfile.h"

/* Does pid ignore SIGTERM (bit 15 of SigIgn in /proc/PID/status)? */
static bool ignores_term(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	unsigned long long mask = 0;
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "SigIgn: %llx", &mask) == 1;
	fclose(f);
	return found && (mask & (1ULL << (SIGTERM - 1)));
}

static char tmp[PATH_MAX];
static char daemon_sh[PATH_MAX];
static char bindir[PATH_MAX];

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

static struct unitsfile *load_yaml(const char *yaml, struct gb_err *err)
{
	struct unitsfile *uf = NULL;
	if (unitsfile_load_buffer("units.yaml", yaml, strlen(yaml), &uf, err) != 0)
		return NULL;
	return uf;
}

static void parse_error(const char *desc, const char *yaml, const char *want)
{
	struct gb_err err = { 0, "" };
	struct unitsfile *uf = load_yaml(yaml, &err);
	ok(!uf && strstr(err.msg, want), "unitsfile: %s", desc);
	if (uf)
		unitsfile_free(uf);
	else if (!strstr(err.msg, want))
		diag("got: %s", err.msg);
}

static void unitsfile_tests(void)
{
	const char *good =
		"version: 1\n"
		"backend: process\n"
		"state_dir: /tmp/gb/run\n"
		"rabbitmqctl: /usr/sbin/rabbitmqctl\n"
		"vars:\n  NOVA_CONF: /tmp/gb/etc/nova.conf\n"
		"units:\n"
		"  n-sch:\n"
		"    argv: [/usr/bin/python3, -c, 'pass', --config-file, /tmp/gb/etc/nova.conf]\n"
		"    env: {PYTHONUNBUFFERED: \"1\"}\n"
		"    cwd: /tmp\n"
		"    log: /tmp/gb/log/n-sch.log\n"
		"    ready: {rpc: scheduler}\n"
		"    ready_timeout: 60s\n"
		"    stop_timeout: 500ms\n"
		"  key:\n"
		"    argv: [/bin/true]\n"
		"    ready: {http: \"http://127.0.0.1:5000/v3\"}\n"
		"fake_compute:\n"
		"  unit_prefix: n-cpu-\n"
		"  host_prefix: fake-\n"
		"  argv: [/usr/bin/python3, -c, x]\n"
		"  conf_dir: /tmp/gb/etc/computes\n"
		"  log_dir: /tmp/gb/log\n"
		"  ready: {rpc: \"compute.{host}\"}\n";
	struct gb_err err = { 0, "" };
	struct unitsfile *uf = load_yaml(good, &err);
	if (!ok(uf != NULL, "unitsfile: the harness/INTERFACES.md §B example shape loads"))
		diag("%s", err.msg);
	if (!uf)
		return;
	const struct uf_unit *u = unitsfile_find(uf, "n-sch");
	ok(u && u->argc == 5 && !strcmp(u->argv[4], "/tmp/gb/etc/nova.conf"), "unitsfile: argv read in order");
	ok(u && u->n_env == 1 && !strcmp(u->env[0], "PYTHONUNBUFFERED=1"), "unitsfile: env as KEY=VALUE");
	ok(u && u->ready.kind == UF_READY_RPC && !strcmp(u->ready.target, "scheduler"), "unitsfile: rpc probe");
	ok(u && u->stop_timeout == 0.5 && u->ready_timeout == 60, "unitsfile: durations 500ms and 60s");
	ok(unitsfile_find(uf, "key")->ready_timeout == 60 && unitsfile_find(uf, "key")->stop_timeout == 10,
	   "unitsfile: default timeouts 60 s ready, 10 s stop");
	ok(uf->n_vars == 1 && !strcmp(uf->var_values[0], "/tmp/gb/etc/nova.conf"), "unitsfile: vars");
	struct uf_unit def;
	struct strbuf host = STRBUF_INIT, conf = STRBUF_INIT;
	ok(units_fake_def(uf, 3, &def, &host, &conf, &err) == 0 && !strcmp(def.name, "n-cpu-3") &&
		   !strcmp(host.buf, "fake-3") && !strcmp(conf.buf, "/tmp/gb/etc/computes/fake-3.conf") &&
		   def.argc == 5 && !strcmp(def.argv[3], "--config-file") &&
		   !strcmp(def.argv[4], conf.buf) && !strcmp(def.ready.target, "compute.fake-3") &&
		   !strcmp(def.log, "/tmp/gb/log/n-cpu-3.log"),
	   "fake_compute: n-cpu-3 gets host fake-3, its --config-file, queue compute.fake-3, its log");
	units_def_free(&def);
	sb_release(&host);
	sb_release(&conf);
	unitsfile_free(uf);

	parse_error("an alias is refused with its position",
		    "version: 1\nbackend: process\nstate_dir: &d /tmp\nunits: {}\n",
		    "units.yaml:3:12: anchor '&d': aliases are not allowed in units files; write each value out");
	parse_error("a *alias is refused", "version: 1\nbackend: systemd\nx: *a\n",
		    "units.yaml:3:4: alias '*a': aliases are not allowed in units files; write each value out");
	parse_error("a second document is refused", "version: 1\nbackend: systemd\n---\nversion: 1\n",
		    "units.yaml:3:1: a second YAML document; a file holds one units file, split it into two files");
	parse_error("bytes that are not UTF-8 are refused at their position", "version: 1\nbackend: \xff\n",
		    "units.yaml:2:10: not valid UTF-8 (byte 0xff); a units file must be UTF-8 text");
	parse_error("unknown top-level field suggests", "version: 1\nbackend: systemd\nunit: {}\n",
		    "units.yaml:3:1: units file: unknown field 'unit'; did you mean 'units'?");
	parse_error("a non-loopback tcp probe is refused",
		    "version: 1\nbackend: systemd\nunits:\n  a:\n    ready: {tcp: \"10.0.0.1:80\"}\n",
		    "units.yaml:5:18: units.a.ready.tcp: expected 127.0.0.1:PORT (loopback only)");
	parse_error("an http probe to another host is refused",
		    "version: 1\nbackend: systemd\nunits:\n  a:\n    ready: {http: \"http://example.com/\"}\n",
		    "loopback only");
	parse_error("process backend without argv",
		    "version: 1\nbackend: process\nstate_dir: /tmp\nunits:\n  a:\n    log: /tmp/a.log\n",
		    "units.yaml:5: units.a.argv: required for the process backend");
	parse_error("relative program path", "version: 1\nbackend: process\nstate_dir: /tmp\nunits:\n  a:\n    argv: [sleep, 1]\n",
		    "units.a.argv: the program must be an absolute path, got 'sleep'");
	parse_error("bad duration", "version: 1\nbackend: systemd\nunits:\n  a:\n    stop_timeout: soon\n",
		    "units.yaml:5:19: units.a.stop_timeout: expected a duration");
	parse_error("version 2", "version: 2\nbackend: systemd\n", "units.yaml:1:10: version: expected 1, got '2'");
	parse_error("missing backend", "version: 1\n", "backend: required");
	parse_error("unknown probe kind", "version: 1\nbackend: systemd\nunits:\n  a:\n    ready: {tpc: \"127.0.0.1:1\"}\n",
		    "units.yaml:5:13: units.a.ready: unknown probe 'tpc'");
	parse_error("GREENBENCH_ env reserved", "version: 1\nbackend: systemd\nunits:\n  a:\n    env: {GREENBENCH_PROFILE: x}\n",
		    "GREENBENCH_* variables are set by greenbench itself");
	parse_error("unit defined twice", "version: 1\nbackend: systemd\nunits:\n  a: {}\n  a: {}\n",
		    "units.yaml:5:3: units: 'a' is given twice (also at line 4)");
	parse_error("units: given twice", "version: 1\nbackend: systemd\nunits: {}\nunits: {}\n",
		    "units.yaml:4:1: units file: 'units' is given twice (also at line 3)");
	parse_error("a unit's field given twice", "version: 1\nbackend: systemd\nunits:\n  a:\n    log: /a\n    log: /b\n",
		    "units.yaml:6:5: units: 'log' is given twice");
	parse_error("YAML syntax error has a position", "version: 1\nbackend: [\n", "units.yaml:3:1: YAML");
}

/* ---- process backend ---- */

static struct unitsfile *proc_units(int http_port, int dead_port)
{
	struct strbuf y = STRBUF_INIT;
	sb_addf(&y, "version: 1\nbackend: process\nstate_dir: %s/run\nrabbitmqctl: %s/rabbitmqctl\nunits:\n",
		tmp, bindir);
	sb_addf(&y, "  plain:\n    argv: [%s, plain]\n    log: %s/plain.log\n", daemon_sh, tmp);
	sb_addf(&y, "  stubborn:\n    argv: [%s, ignore-term]\n    stop_timeout: 300ms\n", daemon_sh);
	sb_addf(&y, "  forker:\n    argv: [%s, fork-children, '3']\n    stop_timeout: 300ms\n", daemon_sh);
	sb_addf(&y, "  regroup:\n    argv: [%s, regroup, %s/regroup.pid]\n    stop_timeout: 300ms\n", daemon_sh, tmp);
	sb_addf(&y, "  lazy:\n    argv: [%s, never-ready]\n    log: %s/lazy.log\n    ready: {tcp: \"127.0.0.1:%d\"}\n"
		    "    ready_timeout: 500ms\n", daemon_sh, tmp, dead_port);
	sb_addf(&y, "  dies:\n    argv: [%s, exit-now]\n    log: %s/dies.log\n    ready: {tcp: \"127.0.0.1:%d\"}\n",
		daemon_sh, tmp, dead_port);
	sb_addf(&y, "  mute:\n    argv: [%s, exit-now]\n    ready: {tcp: \"127.0.0.1:%d\"}\n", daemon_sh, dead_port);
	sb_addf(&y, "  web:\n    argv: [%s, http, '%d']\n    ready: {http: \"http://127.0.0.1:%d/\"}\n    ready_timeout: 20s\n",
		daemon_sh, http_port, http_port);
	int p300 = free_port(), p500 = free_port();
	sb_addf(&y, "  glance:\n    argv: [%s, http-status, '%d', '300']\n    ready: {http: \"http://127.0.0.1:%d/\"}\n    ready_timeout: 20s\n",
		daemon_sh, p300, p300);
	sb_addf(&y, "  broken:\n    argv: [%s, http-status, '%d', '500']\n    log: %s/broken.log\n    ready: {http: \"http://127.0.0.1:%d/v3\"}\n    ready_timeout: 2s\n",
		daemon_sh, p500, tmp, p500);
	sb_addf(&y, "  envy:\n    argv: [%s, env, %s/envy.env]\n    env: {FOO: bar}\n", daemon_sh, tmp);
	sb_addf(&y, "  sched:\n    argv: [%s, plain]\n    ready: {rpc: scheduler}\n    ready_timeout: 1500ms\n", daemon_sh);
	struct gb_err err = { 0, "" };
	struct unitsfile *uf = load_yaml(y.buf, &err);
	if (!uf)
		diag("units file: %s", err.msg);
	sb_release(&y);
	return uf;
}

static pid_t unit_pid(const char *name)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/run/%s.pid", tmp, name);
	FILE *f = fopen(p, "r");
	long v = 0;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return (pid_t)v;
}

static bool environ_has(pid_t pid, const char *kv)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%ld/environ", (long)pid);
	struct strbuf sb = STRBUF_INIT;
	bool found = false;
	if (gb_read_file(p, 1 << 20, &sb, NULL) == 0)
		for (size_t i = 0; i < sb.len; i += strlen(sb.buf + i) + 1)
			if (!strcmp(sb.buf + i, kv))
				found = true;
	sb_release(&sb);
	return found;
}

/* pid exists and is not a zombie (an orphan's zombie waits for init to reap it) */
static bool is_alive(pid_t pid)
{
	char p[64], st[512];
	snprintf(p, sizeof(p), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return false;
	size_t n = fread(st, 1, sizeof(st) - 1, f);
	fclose(f);
	st[n] = '\0';
	const char *rp = strrchr(st, ')');
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

static void write_text(const char *path, const char *text)
{
	gb_write_file_atomic(path, text, strlen(text), 0644, NULL);
}

static void process_tests(void)
{
	int http_port = free_port(), dead_port = free_port();
	struct unitsfile *uf = proc_units(http_port, dead_port);
	if (!ok(uf != NULL, "process: test units file loads"))
		return;
	struct units *u;
	struct gb_err err = { 0, "" };
	if (!ok(units_open(uf, SC_BACKEND_PROCESS, &u, &err) == 0, "process: backend opens"))
		return;
	bool running = true;
	ok(units_is_running(u, "plain", &running, &err) == 0 && !running, "process: plain is not running before start");
	double secs;
	ok(units_start(u, "plain", &secs, &err) == 0, "process: plain starts (probe none)");
	pid_t p1 = unit_pid("plain");
	ok(p1 > 1 && proc_group_count(p1) == 1, "process: plain leads its own group, pid file written");
	ok(units_start(u, "plain", &secs, &err) != 0 && strstr(err.msg, "unit plain is already running") &&
		   unit_pid("plain") == p1,
	   "process: starting a running unit is refused, no second copy");
	struct units_timing t;
	double t0 = gb_now();
	int rc = units_restart(u, "plain", &t, &err);
	double restart_secs = gb_now() - t0;
	pid_t p2 = unit_pid("plain");
	ok(rc == 0 && p2 != p1 && proc_group_count(p1) == 0 && proc_group_count(p2) == 1,
	   "process: restart leaves the old group empty and a new one running");
	diag("process backend restart of a test unit: %.3f s (dead %.3f s, ready %.3f s)", restart_secs,
	     t.dead_secs, t.ready_secs);
	ok(units_stop(u, "plain", &secs, &err) == 0 && proc_group_count(p2) == 0 && unit_pid("plain") == 0,
	   "process: stop proves the group dead and removes the pid file");
	ok(units_stop(u, "plain", &secs, &err) == 0, "process: stopping a stopped unit succeeds");

	ok(units_start(u, "stubborn", &secs, &err) == 0, "process: stubborn (ignores SIGTERM) starts");
	pid_t ps = unit_pid("stubborn");
	/* wait until bash has run its `trap '' TERM` (probe none: started is not set up): the
	 * kernel shows it as SIGTERM in the process's ignored set */
	double i0 = gb_now();
	while (!ignores_term(ps) && gb_now() - i0 < 10)
		proc_sleep(0.01);
	ok(ignores_term(ps), "process: stubborn ignores SIGTERM (SigIgn, after %.2f s)", gb_now() - i0);
	rc = units_stop(u, "stubborn", &secs, &err);
	ok(rc == 0 && proc_group_count(ps) == 0 && secs >= 0.3,
	   "process: SIGTERM ignored -> SIGKILL after stop_timeout (dead in %.2f s)", secs);

	ok(units_start(u, "forker", &secs, &err) == 0, "process: forker starts");
	pid_t pf = unit_pid("forker");
	double w0 = gb_now();
	while (proc_group_count(pf) < 4 && gb_now() - w0 < 5)
		proc_sleep(0.02);
	ok(proc_group_count(pf) >= 4, "process: forker has its 3 children (%d processes)", proc_group_count(pf));
	kill(pf, SIGTERM); /* the parent alone: children stay, like scheduler workers */
	proc_sleep(0.2);
	ok(proc_group_count(pf) >= 3, "process: children outlive their parent (%d left)", proc_group_count(pf));
	rc = units_stop(u, "forker", &secs, &err);
	ok(rc == 0 && proc_group_count(pf) == 0, "process: stop waits for every child, not the main pid");

	/* a worker that made its own process group (setpgid) but stays in the unit's
	 * session: death proven by the process group alone would miss it */
	char rpid_path[PATH_MAX + 32];
	snprintf(rpid_path, sizeof(rpid_path), "%s/regroup.pid", tmp);
	unlink(rpid_path);
	ok(units_start(u, "regroup", &secs, &err) == 0, "process: regroup starts");
	pid_t pr = unit_pid("regroup"), child = 0;
	for (int i = 0; i < 500 && child <= 0; i++) {
		struct strbuf cp = STRBUF_INIT;
		if (gb_read_file(rpid_path, 64, &cp, NULL) == 0)
			child = (pid_t)strtol(sb_str(&cp), NULL, 10);
		sb_release(&cp);
		if (child <= 0)
			usleep(10000);
	}
	double g0 = gb_now();
	while (child > 0 && !ignores_term(child) && gb_now() - g0 < 10)
		proc_sleep(0.01);
	ok(child > 0 && getpgid(child) == child && getsid(child) == pr && ignores_term(child),
	   "process: regroup's child leads its own group in the unit's session, ignoring SIGTERM");
	rc = units_stop(u, "regroup", &secs, &err);
	ok(rc == 0 && child > 0 && !is_alive(child),
	   "process: stop finds the child in its own group and kills it (dead in %.2f s)", secs);
	if (child > 0 && is_alive(child)) {
		diag("child %ld survived the stop; killing it", (long)child);
		kill(child, SIGKILL);
	}

	rc = units_start(u, "lazy", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "unit lazy not ready after 0.5 s") && strstr(err.msg, "lazy.log") &&
		   strstr(err.msg, "tcp 127.0.0.1:"),
	   "process: never-ready unit times out naming the unit, the probe and the log");
	if (rc == 0 || !strstr(err.msg, "lazy.log"))
		diag("got: %s", err.msg);
	units_stop(u, "lazy", &secs, &err);

	rc = units_start(u, "dies", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "unit dies exited while starting; read ") && strstr(err.msg, "dies.log"),
	   "process: a unit that dies at once is reported with its log");
	rc = units_start(u, "mute", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "unit mute exited while starting; its output is not kept: give it a log:"),
	   "process: a unit without a log that dies says its output is not kept (not journalctl): %s", err.msg);

	rc = units_start(u, "web", &secs, &err);
	ok(rc == 0, "process: http probe sees 2xx from the test server (%.2f s)", secs);
	if (rc)
		diag("%s", err.msg);
	units_stop(u, "web", &secs, &err);

	rc = units_start(u, "glance", &secs, &err);
	ok(rc == 0, "process: http probe takes 300 Multiple Choices (glance's version document) as up");
	if (rc)
		diag("%s", err.msg);
	units_stop(u, "glance", &secs, &err);
	rc = units_start(u, "broken", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "unit broken not ready after 2.0 s") && strstr(err.msg, "last answer: HTTP 500") &&
		   strstr(err.msg, "broken.log"),
	   "process: an http probe answered 500 times out, saying what it last got");
	if (rc == 0 || !strstr(err.msg, "HTTP 500"))
		diag("got: %s", err.msg);
	units_stop(u, "broken", &secs, &err);

	const char *env[] = { "GREENBENCH_PROFILE=out=/tmp/d;targets=m:f;scope=default" };
	ok(units_set_env(u, "envy", env, 1, &err) == 0, "process: set_env accepted");
	units_start(u, "envy", &secs, &err);
	pid_t pe = unit_pid("envy");
	/* a unit without a ready probe is started once forked: its exec may still be on the
	 * way (the child's environ is the parent's until then) */
	for (int i = 0; i < 3000 && !(environ_has(pe, env[0]) && environ_has(pe, "FOO=bar")); i++)
		usleep(10000);
	ok(environ_has(pe, env[0]) && environ_has(pe, "FOO=bar"),
	   "process: GREENBENCH_PROFILE and the unit's env reach the unit");
	units_set_env(u, "envy", NULL, 0, &err);
	pid_t old_pe = pe;
	rc = units_restart(u, "envy", &t, &err);
	if (rc)
		diag("restart: %s", err.msg);
	/* the new process: its pid file, then its exec (see above) */
	/* (up to 30 s: on a loaded host the fork-to-exec gap once outlasted 5 s) */
	for (int i = 0; i < 3000 && ((pe = unit_pid("envy")) == old_pe || !environ_has(pe, "FOO=bar")); i++)
		usleep(10000);
	ok(rc == 0 && pe != old_pe && !environ_has(pe, env[0]) && environ_has(pe, "FOO=bar"),
	   "process: removed env is gone after restart (pid %ld -> %ld)", (long)old_pe, (long)pe);
	if (!(rc == 0 && pe != old_pe && !environ_has(pe, env[0]) && environ_has(pe, "FOO=bar")))
		diag("rc %d, new pid %ld has GREENBENCH_PROFILE: %d, FOO=bar: %d", rc, (long)pe,
		     environ_has(pe, env[0]), environ_has(pe, "FOO=bar"));
	units_stop(u, "envy", &secs, &err);

	/* rpc probe against the stand-in rabbitmqctl */
	char fixture[PATH_MAX + 32], rlog[PATH_MAX + 32];
	snprintf(fixture, sizeof(fixture), "%s/queues", tmp);
	snprintf(rlog, sizeof(rlog), "%s/rabbitmqctl.log", tmp);
	setenv("RABBITMQCTL_FIXTURE", fixture, 1);
	setenv("RABBITMQCTL_LOG", rlog, 1);
	write_text(fixture, "conductor\t1\nscheduler_fanout_x\t1\nscheduler\t0\n");
	rc = units_start(u, "sched", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "rpc queue 'scheduler' with a consumer") &&
		   strstr(err.msg, "queue 'scheduler' absent or without consumers"),
	   "rpc: a queue with 0 consumers (and a prefix-named one) is not ready");
	units_stop(u, "sched", &secs, &err);
	write_text(fixture, "conductor\t1\nscheduler\t2\n");
	ok(units_start(u, "sched", &secs, &err) == 0, "rpc: queue 'scheduler' with 2 consumers is ready");
	struct strbuf lg = STRBUF_INIT;
	gb_read_file(rlog, 1 << 16, &lg, NULL);
	ok(strstr(sb_str(&lg), "-q list_queues name consumers\n") != NULL,
	   "rpc: rabbitmqctl called with argv -q list_queues name consumers");
	sb_release(&lg);
	units_stop(u, "sched", &secs, &err);
	units_close(u);
	unitsfile_free(uf);
}

/* ---- a devstack host's units (units_devstack.c) ---- */

static void devstack_tests(void)
{
	char dir[PATH_MAX + 16], p[PATH_MAX + 64], body[PATH_MAX * 2 + 256];
	snprintf(dir, sizeof(dir), "%s/dsunits", tmp);
	mkdir(dir, 0755);
	struct unitsfile *uf = (struct unitsfile *)1;
	struct gb_err err = { 0, "" };
	ok(units_devstack_infer(dir, &uf, &err) == 0 && uf == NULL,
	   "devstack: no devstack@n-cpu-1.service, nothing inferred");
	snprintf(p, sizeof(p), "%s/nova-fake.conf-1", dir);
	write_text(p, "[DEFAULT]\nhost = box1\nstate_path = /opt/stack/data/nova/box1\n");
	snprintf(p, sizeof(p), "%s/devstack@n-cpu-1.service", dir);
	snprintf(body, sizeof(body), "[Unit]\nDescription = Devstack devstack@n-cpu-1.service\n\n[Service]\n"
		 "User = stack\nExecStart = /venv/bin/nova-compute --config-file /etc/nova/nova-cpu.conf "
		 "--config-file %s/nova-fake.conf-1\nKillMode = process\n", dir);
	write_text(p, body);
	snprintf(p, sizeof(p), "%s/devstack@n-sch.service", dir);
	write_text(p, "[Service]\nUser=stack\nExecStart=/venv/bin/nova-scheduler --config-file /etc/nova/nova.conf\n");
	int rc = units_devstack_infer(dir, &uf, &err);
	if (!ok(rc == 0 && uf && uf->fake.present, "devstack: template inferred from devstack@n-cpu-1"))
		diag("%s", err.msg);
	if (rc || !uf)
		return;
	const struct uf_fake_compute *f = &uf->fake;
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s/nova-fake.conf-{n}", dir);
	ok(!strcmp(f->host_prefix, "box") && !strcmp(f->conf_pattern, want) && f->user &&
		   !strcmp(f->user, "stack") && f->tmpl_state_path &&
		   !strcmp(f->tmpl_state_path, "/opt/stack/data/nova/box1"),
	   "devstack: host prefix 'box', config nova-fake.conf-{n}, User=stack, state_path read");
	const struct uf_unit *sch = unitsfile_find(uf, "n-sch"), *cpu = unitsfile_find(uf, "n-cpu-1");
	ok(sch && sch->ready.kind == UF_READY_RPC && !strcmp(sch->ready.target, "scheduler") && cpu &&
		   cpu->ready.kind == UF_READY_RPC && !strcmp(cpu->ready.target, "compute.box1"),
	   "devstack: n-sch ready by the scheduler queue, n-cpu-1 by compute.box1");
	struct uf_unit d;
	struct strbuf host = STRBUF_INIT, conf = STRBUF_INIT;
	snprintf(want, sizeof(want), "%s/nova-fake.conf-3", dir);
	ok(units_fake_def(uf, 3, &d, &host, &conf, &err) == 0 && !strcmp(d.name, "n-cpu-3") &&
		   !strcmp(host.buf, "box3") && !strcmp(conf.buf, want) && d.argc == 5 &&
		   !strcmp(d.argv[2], "/etc/nova/nova-cpu.conf") && !strcmp(d.argv[4], want),
	   "devstack: n-cpu-3 is host box3 with nova-fake.conf-3 in place of -1's");
	units_def_free(&d);
	sb_release(&host);
	sb_release(&conf);
	unitsfile_free(uf);
	snprintf(p, sizeof(p), "%s/devstack@n-cpu-1.service", dir);
	write_text(p, "[Service]\nExecStart = /venv/bin/nova-compute\n");
	ok(units_devstack_infer(dir, &uf, &err) != 0 && strstr(err.msg, "devstack@n-cpu-1.service: ExecStart does not end in --config-file"),
	   "devstack: an n-cpu-1 without its fake config is an error naming the unit: %s", err.msg);
}

/* ---- systemd backend ---- */

static void systemd_tests(void)
{
	char state[PATH_MAX + 16], log[PATH_MAX + 16], sddir[PATH_MAX + 16], cg[PATH_MAX + 16], sc[PATH_MAX + 16];
	snprintf(state, sizeof(state), "%s/sdstate", tmp);
	snprintf(log, sizeof(log), "%s/systemctl.log", tmp);
	snprintf(sddir, sizeof(sddir), "%s/systemd", tmp);
	snprintf(cg, sizeof(cg), "%s/cgroup", tmp);
	snprintf(sc, sizeof(sc), "%s/systemctl", bindir);
	mkdir(state, 0755);
	mkdir(sddir, 0755);
	setenv("SYSTEMCTL_STATE", state, 1);
	setenv("SYSTEMCTL_LOG", log, 1);
	setenv("GREENBENCH_SYSTEMCTL", sc, 1);
	setenv("GREENBENCH_SYSTEMD_DIR", sddir, 1);
	setenv("GREENBENCH_CGROUP_ROOT", cg, 1);
	const char *yaml = "version: 1\nbackend: systemd\nunits:\n  n-sch:\n    stop_timeout: 400ms\n"
			   "    ready_timeout: 5s\n  n-lazy:\n    ready: {tcp: \"127.0.0.1:1\"}\n"
			   "    ready_timeout: 300ms\n";
	struct gb_err err = { 0, "" };
	struct unitsfile *uf = load_yaml(yaml, &err);
	struct units *u = NULL;
	if (!ok(uf && units_open(uf, SC_BACKEND_SYSTEMD, &u, &err) == 0, "systemd: backend opens with the stand-in"))
		return;
	struct units_timing t;
	unlink(log);
	double t0 = gb_now();
	int rc = units_restart(u, "n-sch", &t, &err);
	double restart_secs = gb_now() - t0;
	struct strbuf lg = STRBUF_INIT;
	gb_read_file(log, 1 << 16, &lg, NULL);
	const char *l = sb_str(&lg);
	const char *a = strstr(l, "stop devstack@n-sch.service\n"),
		   *b = strstr(l, "show -p ActiveState -p MainPID -p ControlGroup -p LoadState devstack@n-sch.service\n"),
		   *c = strstr(l, "start devstack@n-sch.service\n");
	ok(rc == 0 && a && b && c && a < b && b < c,
	   "systemd: restart = stop, show (proved dead), start, by argv");
	if (rc)
		diag("%s", err.msg);
	diag("systemd backend (stand-in systemctl) restart of a test unit: %.3f s", restart_secs);

	/* a unit that survives `stop` (uwsgi master reloading on SIGTERM) */
	char sticky[PATH_MAX + 64];
	snprintf(sticky, sizeof(sticky), "%s/devstack@n-sch.service.sticky", state);
	write_text(sticky, "");
	unlink(log);
	double secs;
	rc = units_stop(u, "n-sch", &secs, &err);
	sb_reset(&lg);
	gb_read_file(log, 1 << 16, &lg, NULL);
	ok(rc == 0 && strstr(sb_str(&lg), "kill --signal=SIGKILL devstack@n-sch.service\n") && secs >= 0.4,
	   "systemd: a unit still active after stop_timeout gets systemctl kill --signal=SIGKILL");
	if (rc || secs < 0.4)
		diag("rc=%d secs=%.2f err=%s log=%s", rc, secs, err.msg, sb_str(&lg));

	/* inactive, but its cgroup still has a process (a forked worker) */
	units_start(u, "n-sch", &secs, &err);
	char cgdir[PATH_MAX + 64], procs[PATH_MAX + 80];
	snprintf(cgdir, sizeof(cgdir), "%s/system.slice", cg);
	mkdir(cg, 0755);
	mkdir(cgdir, 0755);
	snprintf(cgdir, sizeof(cgdir), "%s/system.slice/devstack@n-sch.service", cg);
	mkdir(cgdir, 0755);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgdir);
	write_text(procs, "31337\n");
	unlink(log);
	rc = units_stop(u, "n-sch", &secs, &err);
	struct strbuf left = STRBUF_INIT;
	gb_read_file(procs, 1024, &left, NULL);
	sb_reset(&lg);
	gb_read_file(log, 1 << 16, &lg, NULL);
	ok(rc == 0 && strstr(sb_str(&lg), "kill --signal=SIGTERM devstack@n-sch.service\n") && left.len == 0 &&
		   units_last_leftovers(u) == 1,
	   "systemd: inactive with a process left in cgroup.procs (KillMode=process) is not dead "
	   "until the leftover is signalled; counted as 1 leftover");
	sb_release(&left);

	/* a unit with no unit file: a restore after a reboot or a re-laid host finds the run's
	 * fake computes gone; stopping it is done, not an error */
	char notfound[PATH_MAX + 64];
	snprintf(notfound, sizeof(notfound), "%s/devstack@n-cpu-9.service.notfound", state);
	write_text(notfound, "");
	unlink(log);
	rc = units_stop(u, "n-cpu-9", &secs, &err);
	sb_reset(&lg);
	gb_read_file(log, 1 << 16, &lg, NULL);
	ok(rc == 0 && !strstr(sb_str(&lg), "kill"),
	   "systemd: stopping a unit systemd has not loaded (no unit file, nothing running) succeeds");
	if (rc)
		diag("%s", err.msg);
	/* ... but not when something still runs in its cgroup */
	snprintf(cgdir, sizeof(cgdir), "%s/system.slice/devstack@n-cpu-9.service", cg);
	mkdir(cgdir, 0755);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgdir);
	write_text(procs, "31338\n");
	rc = units_stop(u, "n-cpu-9", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "not loaded"),
	   "systemd: a not-loaded unit with a process left in its cgroup is an error: %s", err.msg);
	unlink(procs);
	rmdir(cgdir);
	unlink(notfound);

	/* start failure */
	char nostart[PATH_MAX + 64];
	snprintf(nostart, sizeof(nostart), "%s/devstack@n-sch.service.nostart", state);
	write_text(nostart, "");
	rc = units_start(u, "n-sch", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "systemctl start devstack@n-sch.service failed (exit 1)"),
	   "systemd: a failing systemctl start is reported with the unit");
	unlink(nostart);

	/* the hint names the unit's journal */
	rc = units_start(u, "n-lazy", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "unit n-lazy not ready after 0.3 s") &&
		   strstr(err.msg, "; read its journal (journalctl -u devstack@n-lazy.service)"),
	   "systemd: a unit never ready names its journal: %s", err.msg);
	char dies[PATH_MAX + 64];
	snprintf(dies, sizeof(dies), "%s/devstack@n-sch.service.dies", state);
	write_text(dies, "");
	rc = units_start(u, "n-sch", &secs, &err);
	ok(rc != 0 && strstr(err.msg, "unit n-sch exited while starting; read its journal "
				      "(journalctl -u devstack@n-sch.service)"),
	   "systemd: a unit that fails at once names its journal: %s", err.msg);
	unlink(dies);

	/* drop-in environment */
	const char *env[] = { "GREENBENCH_PROFILE=out=/x/d;targets=m:C.f;scope=default" };
	unlink(log);
	rc = units_set_env(u, "n-sch", env, 1, &err);
	struct strbuf dropin = STRBUF_INIT, dpath = STRBUF_INIT;
	units_dropin_path(u, "n-sch", &dpath, NULL);
	gb_read_file(dpath.buf, 4096, &dropin, NULL);
	sb_reset(&lg);
	gb_read_file(log, 1 << 16, &lg, NULL);
	ok(rc == 0 && strstr(sb_str(&dropin), "[Service]\nEnvironment=\"GREENBENCH_PROFILE=out=/x/d;targets=m:C.f;scope=default\"\n") &&
		   strstr(sb_str(&lg), "daemon-reload\n"),
	   "systemd: set_env writes devstack@n-sch.service.d/greenbench.conf and reloads");
	rc = units_set_env(u, "n-sch", NULL, 0, &err);
	ok(rc == 0 && access(dpath.buf, F_OK) != 0, "systemd: clearing the env removes the drop-in");
	sb_release(&dropin);
	sb_release(&dpath);

	struct uf_unit def = { 0 };
	char *argv[] = { "/usr/bin/python3", "-c", "print(\"50% $HOME\")", NULL };
	def.name = "n-cpu-2";
	def.argv = argv;
	def.argc = 3;
	def.stop_timeout = 10;
	ok(units_write_unit_file(u, &def, &err) == 0, "systemd: a fake compute unit file is written");
	struct strbuf uf_body = STRBUF_INIT, upath = STRBUF_INIT;
	units_unit_file_path(u, "n-cpu-2", &upath);
	gb_read_file(upath.buf, 4096, &uf_body, NULL);
	ok(strstr(sb_str(&uf_body), "ExecStart=\"/usr/bin/python3\" \"-c\" \"print(\\\"50%% $$HOME\\\")\"\n") != NULL,
	   "systemd: ExecStart quotes each argv word (\" \\ escaped, %% and $ doubled)");
	sb_release(&uf_body);
	sb_release(&upath);
	sb_release(&lg);
	units_close(u);
	unitsfile_free(uf);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/t_units.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	if (!realpath("tests/lib/daemon.sh", daemon_sh) || !realpath("tests/lib/bin", bindir)) {
		printf("Bail out! run from the source tree (tests/lib/daemon.sh not found)\n");
		return 1;
	}
	unitsfile_tests();
	process_tests();
	systemd_tests();
	devstack_tests();
	char *rm[] = { "rm", "-rf", tmp, NULL };
	proc_run(rm, NULL, NULL, NULL, 10, NULL, NULL);
	return done_testing();
}

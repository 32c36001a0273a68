/*
 * t_hostchange.c - fault injection for the whole host change: a run against a
 * temporary host (config files, a git tree with a patch, process units made of
 * test daemons, fake computes, workload: []) is SIGKILLed at every debug point
 * (GREENBENCH_DEBUG_STOP_AT), then restored; every file must be byte-identical,
 * no process of the run left, the host's units running with their own env.
 * Also: a clean run, SIGINT/SIGTERM mid-run (exit 4), preflight refusals.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "host/hostchange.h"
#include "host/journal.h"
#include "host/restore.h"
#include "base/proc.h"
#include "lib/tap.h"
#include "units/units.h"
#include "units/unitsfile.h"

static char tmp[PATH_MAX];
static char daemon_sh[PATH_MAX];
static char path_buf[16][PATH_MAX + 64];

/* tmp-relative path, in one of a few rotating buffers */
static const char *P(const char *rel)
{
	static int i;
	i = (i + 1) % 16;
	snprintf(path_buf[i], sizeof(path_buf[i]), "%s/%s", tmp, rel);
	return path_buf[i];
}

static void put(const char *path, const char *text)
{
	gb_write_file_atomic(path, text, strlen(text), 0644, NULL);
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

static int run(char **argv)
{
	int st = -1;
	proc_run(argv, NULL, NULL, NULL, 30, &st, NULL);
	return st;
}

static const char nova_conf[] = "[DEFAULT]\n# devstack wrote this\ndebug = False\n\n[filter_scheduler]\n"
				"enabled_filters = ComputeFilter\n";
static const char cpu_conf[] = "[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n";
static const char manager_py[] = "def select_destinations(ctx):\n    return []\n";
static const char fix_diff[] = "--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,2 +1,3 @@\n"
			       " def select_destinations(ctx):\n+    ctx = ctx\n     return []\n";
static const char local_conf[] = "[[local|localrc]]\nVIRT_DRIVER=fake\n\n[[post-config|$NOVA_CONF]]\n"
				 "[filter_scheduler]\nenabled_filters = \"\"\n[notifications]\n"
				 "notification_format = unversioned\n\n[[post-config|$NOVA_CPU_CONF]]\n"
				 "[DEFAULT]\ncompute_driver = fake.FakeDriver\n";

static void setup_host(void)
{
	const char *dirs[] = { "etc", "etc/nova", "src", "src/nova", "src/nova/nova", "run", "log", "state" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(dirs); i++)
		mkdir(P(dirs[i]), 0755);
	put(P("etc/nova/nova.conf"), nova_conf);
	put(P("etc/nova/nova-cpu.conf"), cpu_conf);
	put(P("src/nova/nova/manager.py"), manager_py);
	put(P("fix.diff"), fix_diff);
	put(P("local.conf"), local_conf);
	char *init[] = { "git", "-C", (char *)P("src/nova"), "init", "-q", NULL };
	char *add[] = { "git", "-C", (char *)P("src/nova"), "add", ".", NULL };
	char *commit[] = { "git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C",
			   (char *)P("src/nova"), "commit", "-qm", "base", NULL };
	run(init);
	run(add);
	run(commit);
	struct strbuf y = STRBUF_INIT;
	sb_addf(&y, "version: 1\nbackend: process\nstate_dir: %s\nvars:\n  NOVA_CONF: %s\n  NOVA_CPU_CONF: %s\n"
		    "units:\n", P("run"), P("etc/nova/nova.conf"), P("etc/nova/nova-cpu.conf"));
	sb_addf(&y, "  n-sch:\n    argv: [%s, fork-children, '2']\n    env: {GB_TEST_TAG: '%s', GB_TEST_UNIT: n-sch}\n"
		    "    stop_timeout: 100ms\n    log: %s\n", daemon_sh, tmp, P("log/n-sch.log"));
	sb_addf(&y, "  n-api:\n    argv: [%s, ignore-term]\n    env: {GB_TEST_TAG: '%s', GB_TEST_UNIT: n-api}\n"
		    "    stop_timeout: 100ms\n", daemon_sh, tmp);
	sb_addf(&y, "  n-cpu-1:\n    argv: [%s, plain]\n    env: {GB_TEST_TAG: '%s', GB_TEST_UNIT: n-cpu-1}\n",
		daemon_sh, tmp);
	sb_addf(&y, "fake_compute:\n  unit_prefix: n-cpu-\n  host_prefix: fake-\n  argv: [%s, plain]\n"
		    "  conf_dir: %s\n  log_dir: %s\n  env: {GB_TEST_TAG: '%s', GB_TEST_UNIT: fake}\n"
		    "  ready: {none: true}\n  stop_timeout: 100ms\n",
		daemon_sh, P("etc/nova/computes"), P("log"), tmp);
	put(P("units.yaml"), y.buf);
	sb_release(&y);
}

/* The scenario a YAML file would give: local.conf + one inline setting,
 * 3 fake computes, one patch, n-sch profiled, n-api restarted, workload: []. */
static struct sc_setting setting;
static struct sc_patch patch;
static struct sc_profile profile;
static char *restart_list[1];
static struct scenario sc;

static char units_path[PATH_MAX + 16], lc_path[PATH_MAX + 16], tree_path[PATH_MAX + 16],
	    patch_path[PATH_MAX + 16];

static void fill_scenario(int fake_computes, const char *patch_file)
{
	snprintf(units_path, sizeof(units_path), "%s/%s", tmp,
		 getenv("T_SYSTEMD") ? "units_sd.yaml" : "units.yaml");
	snprintf(lc_path, sizeof(lc_path), "%s/local.conf", tmp);
	snprintf(tree_path, sizeof(tree_path), "%s/src/nova", tmp);
	snprintf(patch_path, sizeof(patch_path), "%s", patch_file);
	memset(&sc, 0, sizeof(sc));
	sc.path = "fault.yaml";
	sc.version = 1;
	sc.name = "fault";
	sc.units.backend = SC_BACKEND_PROCESS;
	sc.units.file = units_path;
	sc.local_conf = lc_path;
	setting = (struct sc_setting){ "$NOVA_CONF", "scheduler", "workers", "1", 7, NULL };
	sc.settings = &setting;
	sc.n_settings = 1;
	sc.fake_computes = fake_computes;
	patch = (struct sc_patch){ patch_path, tree_path, 9 };
	sc.patches = &patch;
	sc.n_patches = 1;
	profile = (struct sc_profile){ "n-sch", "nova.scheduler.manager:SchedulerManager.select_destinations", 11 };
	sc.profiles = &profile;
	sc.n_profiles = 1;
	restart_list[0] = "n-api";
	sc.restart = restart_list;
	sc.n_restart = 1;
	sc.repeat = 1;
}

static void quiet(void *arg, const char *line)
{
	if (getenv("T_VERBOSE"))
		fprintf(stderr, "  | %s\n", line);
}

static int workload_none(struct hostchange *hc, void *arg, struct gb_err *err)
{
	return 0; /* workload: [] */
}

/* The child: one `greenbench run`, as cmd_run.c drives it. */
static int child_run(void)
{
	fill_scenario(3, P("fix.diff"));
	interrupt_install();
	struct hostchange_opts o = { .state_dir = P("state"), .progress = quiet };
	struct hostchange *hc = NULL;
	struct gb_err err = { 0, "" };
	if (hostchange_begin(&sc, &o, &hc, &err) != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		return err.exit_code;
	}
	const struct hostchange_step steps[] = {
		{ "config", hostchange_apply_config, NULL },
		{ "patches", hostchange_apply_patches, NULL },
		{ "fake-computes", hostchange_scale_computes, NULL },
		{ "restart", hostchange_restart_units, NULL },
		{ "workload", workload_none, NULL },
	};
	int rc = hostchange_run_steps(hc, steps, GB_ARRAY_SIZE(steps), &err);
	struct gb_err rerr = { 0, "" };
	int rrc = hostchange_finish(hc, &rerr);
	hostchange_free(hc);
	if (rrc != 0) {
		fprintf(stderr, "child: restore: %s\n", rerr.msg);
		return GB_EXIT_ENV;
	}
	if (interrupt_requested())
		return GB_EXIT_INTERRUPTED;
	if (rc != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		return err.exit_code;
	}
	return 0;
}

/* ---- host inspection ---- */

static struct unitsfile *uf;
static struct units *host_units;

static void host_units_start(void)
{
	struct gb_err err;
	double secs;
	const char *names[] = { "n-sch", "n-api", "n-cpu-1" };
	for (size_t i = 0; i < 3; i++) {
		bool running;
		units_is_running(host_units, names[i], &running, &err);
		if (!running && units_start(host_units, names[i], &secs, &err) != 0)
			diag("cannot start host unit %s: %s", names[i], err.msg);
	}
}

static long unit_pgid(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/run/%s.pid", tmp, name);
	long v = 0;
	if (gb_read_file(p, 64, &sb, NULL) == 0)
		v = strtol(sb.buf, NULL, 10);
	sb_release(&sb);
	return v;
}

/* Live processes carrying our tag; how many also carry want (an env entry). */
static int tagged_processes(const char *want, int *with_want)
{
	char tag[PATH_MAX + 16];
	snprintf(tag, sizeof(tag), "GB_TEST_TAG=%s", tmp);
	int n = 0;
	*with_want = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char p[300], stat_line[512];
		snprintf(p, sizeof(p), "/proc/%s/stat", de->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		char *s = fgets(stat_line, sizeof(stat_line), f);
		fclose(f);
		char *rp = s ? strrchr(s, ')') : NULL;
		if (!rp || rp[2] == 'Z')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/environ", de->d_name);
		struct strbuf env = STRBUF_INIT;
		if (gb_read_file(p, 1 << 20, &env, NULL) == 0) {
			bool tagged = false, has = false;
			for (size_t i = 0; i < env.len; i += strlen(env.buf + i) + 1) {
				tagged |= !strcmp(env.buf + i, tag);
				has |= want && !strncmp(env.buf + i, want, strlen(want));
			}
			n += tagged;
			*with_want += tagged && has;
		}
		sb_release(&env);
	}
	if (d)
		closedir(d);
	return n;
}

static bool dir_has_tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	bool found = false;
	struct dirent *de;
	while (d && (de = readdir(d)))
		found |= strstr(de->d_name, ".gbtmp.") != NULL;
	if (d)
		closedir(d);
	return found;
}

/* Files and trees as before the run? Returns the number of differences, diag'd. */
static int files_diff(const char *label)
{
	int bad = 0;
	struct { const char *rel, *want; } files[] = {
		{ "etc/nova/nova.conf", nova_conf },
		{ "etc/nova/nova-cpu.conf", cpu_conf },
		{ "src/nova/nova/manager.py", manager_py },
	};
	for (size_t i = 0; i < GB_ARRAY_SIZE(files); i++) {
		char *c = get(P(files[i].rel));
		if (strcmp(c, files[i].want)) {
			diag("%s: %s differs:\n%s", label, files[i].rel, c);
			bad++;
		}
		free(c);
	}
	if (access(P("etc/nova/computes"), F_OK) == 0) {
		diag("%s: etc/nova/computes (created by the run) is still there", label);
		bad++;
	}
	if (dir_has_tmp_files(P("etc/nova"))) {
		diag("%s: a .gbtmp. file is left in etc/nova", label);
		bad++;
	}
	if (access(P("state/journal"), F_OK) == 0) {
		diag("%s: the journal is still there", label);
		bad++;
	}
	char *st[] = { "git", "-C", (char *)P("src/nova"), "diff", "--quiet", NULL };
	if (run(st) != 0) {
		diag("%s: the git tree is not clean", label);
		bad++;
	}
	return bad;
}

/* Everything as before the run, process units included? */
static int host_diff(const char *label)
{
	int bad = files_diff(label);
	int profiled, fakes, total = tagged_processes("GREENBENCH_PROFILE=", &profiled);
	tagged_processes("GB_TEST_UNIT=fake", &fakes);
	int expect = 0;
	const char *names[] = { "n-sch", "n-api", "n-cpu-1" };
	for (size_t i = 0; i < 3; i++) {
		long pg = unit_pgid(names[i]);
		int c = pg > 0 ? proc_group_count((pid_t)pg) : 0;
		if (c == 0) {
			diag("%s: host unit %s is not running", label, names[i]);
			bad++;
		}
		expect += c;
	}
	if (profiled || fakes || total != expect) {
		diag("%s: %d tagged processes (host units account for %d), %d profiled, %d fake computes",
		     label, total, expect, profiled, fakes);
		bad++;
	}
	return bad;
}

static pid_t spawn_child(const char *argv0, const char *stop_at)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (stop_at)
			setenv("GREENBENCH_DEBUG_STOP_AT", stop_at, 1);
		else
			unsetenv("GREENBENCH_DEBUG_STOP_AT");
		execl("/proc/self/exe", argv0, "--child", tmp, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int servers_seen;
static char server_seen[128];

static int server_cleanup(void *arg, const char *cloud, const char *id, const char *name,
			  struct gb_err *err)
{
	servers_seen++;
	snprintf(server_seen, sizeof(server_seen), "%s/%s/%s", cloud, id, name);
	return 0;
}

static int restore_now(bool *found, struct gb_err *err)
{
	struct restore_opts o = { .state_dir = P("state"), .progress = quiet };
	return restore_host(&o, found, err);
}

static void kill_at(const char *argv0, const char *point)
{
	host_units_start();
	pid_t pid = spawn_child(argv0, point);
	int st;
	waitpid(pid, &st, WUNTRACED);
	bool stopped = WIFSTOPPED(st);
	if (stopped) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	if (!strcmp(point, "config:journaled")) /* as if killed inside the atomic write */
		put(P("etc/nova/nova.conf.gbtmp.4242"), "half a file");
	bool journal_left = access(P("state/journal"), F_OK) == 0;
	bool found = false;
	struct gb_err err = { 0, "" };
	double t0 = gb_now();
	int rc = restore_now(&found, &err);
	double secs = gb_now() - t0;
	if (rc)
		diag("restore after %s: %s", point, err.msg);
	int bad = host_diff(point);
	ok(stopped && journal_left == found && rc == 0 && bad == 0,
	   "kill -9 at %-17s -> restore (%.2f s): files identical, no run process left, units back",
	   point, secs);
}

static void signal_at(const char *argv0, const char *point, int sig)
{
	host_units_start();
	pid_t pid = spawn_child(argv0, point);
	int st;
	waitpid(pid, &st, WUNTRACED);
	bool stopped = WIFSTOPPED(st);
	kill(pid, sig);
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	int bad = host_diff(point);
	ok(stopped && code == GB_EXIT_INTERRUPTED && bad == 0,
	   "%s at %s: the run restores the host itself and exits 4 (got %d)",
	   sig == SIGINT ? "SIGINT" : "SIGTERM", point, code);
}

/* ---- the same run through the systemd backend (stand-in systemctl) ---- */

static char sd_state[PATH_MAX + 16];

static const char *sd_unit_state(const char *unit)
{
	static char buf[32];
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/devstack@%s.service.state", sd_state, unit);
	char *c = get(p);
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(c, "\n"), c);
	free(c);
	return buf;
}

static int sd_diff(const char *label)
{
	int bad = files_diff(label);
	DIR *d = opendir(P("systemd"));
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		diag("%s: %s left in the systemd directory", label, de->d_name);
		bad++;
	}
	if (d)
		closedir(d);
	const char *up[] = { "n-sch", "n-api", "n-cpu-1" };
	for (size_t i = 0; i < 3; i++)
		if (strcmp(sd_unit_state(up[i]), "active")) {
			diag("%s: %s is %s, not active", label, up[i], sd_unit_state(up[i]));
			bad++;
		}
	const char *gone[] = { "n-cpu-2", "n-cpu-3" };
	for (size_t i = 0; i < 2; i++)
		if (!strcmp(sd_unit_state(gone[i]), "active")) {
			diag("%s: fake compute %s is still active", label, gone[i]);
			bad++;
		}
	return bad;
}

static void systemd_section(const char *argv0)
{
	mkdir(P("systemd"), 0755);
	snprintf(sd_state, sizeof(sd_state), "%s/sdstate", tmp);
	mkdir(sd_state, 0755);
	char bin[PATH_MAX];
	if (!ok(realpath("tests/lib/bin/systemctl", bin) != NULL,
		"systemd: the stand-in tests/lib/bin/systemctl is there (%s)", strerror(errno)))
		return;
	setenv("T_SYSTEMD", "1", 1);
	setenv("GREENBENCH_SYSTEMCTL", bin, 1);
	setenv("GREENBENCH_SYSTEMD_DIR", P("systemd"), 1);
	setenv("SYSTEMCTL_STATE", sd_state, 1);
	setenv("SYSTEMCTL_LOG", P("systemctl.log"), 1);
	struct strbuf y = STRBUF_INIT;
	sb_addf(&y, "version: 1\nbackend: systemd\nvars:\n  NOVA_CONF: %s\n  NOVA_CPU_CONF: %s\n"
		    "units:\n  n-sch: {stop_timeout: 200ms}\n  n-api: {}\n  n-cpu-1: {}\n"
		    "fake_compute:\n  unit_prefix: n-cpu-\n  host_prefix: fake-\n"
		    "  argv: [/usr/bin/python3, -c, 'import nova']\n  conf_dir: %s\n  ready: {none: true}\n",
		P("etc/nova/nova.conf"), P("etc/nova/nova-cpu.conf"), P("etc/nova/computes"));
	put(P("units_sd.yaml"), y.buf);
	sb_release(&y);
	const char *points[] = { NULL, "fake:journaled", "fake:started", "restart:env", "restart:stopped",
				 "workload", "restore:files" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(points); i++) {
		const char *up[] = { "n-sch", "n-api", "n-cpu-1" };
		for (size_t k = 0; k < 3; k++) {
			char p[PATH_MAX * 2];
			snprintf(p, sizeof(p), "%s/devstack@%s.service.state", sd_state, up[k]);
			put(p, "active\n");
		}
		unlink(P("systemctl.log"));
		pid_t pid = spawn_child(argv0, points[i]);
		int st;
		waitpid(pid, &st, WUNTRACED);
		bool as_planned = points[i] ? WIFSTOPPED(st) : WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (points[i] && WIFSTOPPED(st) && !strcmp(points[i], "workload")) {
			char *dropin = get(P("systemd/devstack@n-sch.service.d/greenbench.conf"));
			char *unit = get(P("systemd/devstack@n-cpu-3.service"));
			ok(strstr(dropin, "Environment=\"GREENBENCH_PROFILE=out=") &&
				   strstr(unit, "ExecStart=\"/usr/bin/python3\" \"-c\" \"import nova\" \"--config-file\""),
			   "systemd: during the run n-sch has its drop-in and n-cpu-3 its unit file");
			free(dropin);
			free(unit);
		}
		if (points[i] && WIFSTOPPED(st)) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		bool found = false;
		struct gb_err err = { 0, "" };
		int rc = points[i] ? restore_now(&found, &err) : 0;
		if (rc)
			diag("restore: %s", err.msg);
		int bad = sd_diff(points[i] ? points[i] : "clean systemd run");
		if (!points[i]) {
			char *lg = get(P("systemctl.log"));
			ok(as_planned && bad == 0 && strstr(lg, "start --no-block devstack@n-cpu-3.service\n") &&
				   strstr(lg, "stop devstack@n-cpu-3.service\n") && strstr(lg, "daemon-reload\n") &&
				   strstr(lg, "start devstack@n-sch.service\n"),
			   "systemd: a clean run writes the fake units and the drop-in, reloads, restores all");
			free(lg);
		} else {
			ok(as_planned && rc == 0 && bad == 0,
			   "systemd: kill -9 at %s -> restore: files, drop-ins, unit files and unit states back",
			   points[i]);
		}
	}
	unsetenv("T_SYSTEMD");
}

int main(int argc, char **argv)
{
	if (!realpath("tests/lib/daemon.sh", daemon_sh)) {
		printf("Bail out! run from the source tree (tests/lib/daemon.sh not found)\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--child")) {
		snprintf(tmp, sizeof(tmp), "%s", argv[2]);
		return child_run();
	}
	snprintf(tmp, sizeof(tmp), "/tmp/t_hostchange.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	setup_host();
	struct gb_err err = { 0, "" };
	if (unitsfile_load(P("units.yaml"), &uf, &err) != 0 ||
	    units_open(uf, SC_BACKEND_PROCESS, &host_units, &err) != 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}

	/* a clean run first: exits 0 and leaves the host as it was */
	host_units_start();
	pid_t pid = spawn_child(argv[0], NULL);
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a full run (config, patch, 3 fake computes, restarts) exits 0");
	is_int(host_diff("clean run"), 0, "after a clean run the host is exactly as before");

	/* the run's effects are real while it runs (checked at restart:started) */
	host_units_start();
	pid = spawn_child(argv[0], "workload");
	waitpid(pid, &st, WUNTRACED);
	char *c = get(P("etc/nova/nova.conf"));
	ok(strstr(c, "enabled_filters = \"\"\n") && strstr(c, "[scheduler]\nworkers = 1\n") &&
		   strstr(c, "[notifications]\nnotification_format = unversioned\n"),
	   "during the run nova.conf has the local.conf and inline settings");
	free(c);
	c = get(P("etc/nova/computes/fake-3.conf"));
	is_str(c, "[DEFAULT]\nhost = fake-3\n", "during the run fake-3.conf names its host");
	free(c);
	int profiled, fakes;
	tagged_processes("GREENBENCH_PROFILE=out=", &profiled);
	tagged_processes("GB_TEST_UNIT=fake", &fakes);
	ok(profiled >= 1 && fakes == 2, "during the run n-sch has GREENBENCH_PROFILE (%d procs) and 2 fake computes run", profiled);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	bool found;
	restore_now(&found, &err);
	is_int(host_diff("after restart:started"), 0, "...and restore undoes it");

	/* kill -9 at every step */
	for (const char *const *p = interrupt_debug_points; *p; p++)
		kill_at(argv[0], *p);

	signal_at(argv[0], "restart:stopped", SIGINT);
	signal_at(argv[0], "fake:started", SIGTERM);
	signal_at(argv[0], "patch:applied", SIGINT);

	/* servers the API part journaled are handed to the restore's callback */
	host_units_start();
	pid = spawn_child(argv[0], "workload");
	waitpid(pid, &st, WUNTRACED);
	struct journal *jj = NULL;
	if (journal_load(P("state"), &jj, &err) == 0) {
		journal_add_server(jj, "devstack-admin", "", "greenbench-fault-0001", &err);
		journal_add_server(jj, "devstack-admin", "5f0c0a9e-0000-4000-8000-000000000001", "greenbench-fault-0002", &err);
		journal_close(jj);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	{
		static char sd[PATH_MAX + 16];
		snprintf(sd, sizeof(sd), "%s/state", tmp);
		struct restore_opts ro = { .state_dir = sd, .progress = quiet, .server_cleanup = server_cleanup };
		int rrc = restore_host(&ro, &found, &err);
		ok(rrc == 0 && servers_seen == 2 &&
			   !strcmp(server_seen, "devstack-admin/5f0c0a9e-0000-4000-8000-000000000001/greenbench-fault-0002") &&
			   host_diff("servers") == 0,
		   "restore hands journaled servers (by name if nova never answered) to the API part's callback");
	}

	/* a restore that cannot finish keeps the journal; after a fix, it finishes */
	host_units_start();
	pid = spawn_child(argv[0], "restart");
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	char *patched = get(P("src/nova/nova/manager.py"));
	put(P("src/nova/nova/manager.py"), "edited by hand during the run\n");
	int rc = restore_now(&found, &err);
	c = get(P("etc/nova/nova.conf"));
	ok(rc != 0 && strstr(err.msg, "neither applied nor cleanly unapplied") &&
		   strstr(err.msg, "journal") && strstr(err.msg, "is kept") &&
		   access(P("state/journal"), F_OK) == 0 && !strcmp(c, nova_conf),
	   "a patch that cannot be reversed: restore says so, keeps the journal, still restores the rest");
	free(c);
	put(P("src/nova/nova/manager.py"), patched);
	free(patched);
	rc = restore_now(&found, &err);
	ok(rc == 0 && host_diff("restore after a fix") == 0, "...and after the fix `greenbench restore` finishes it");

	/* Ctrl-C during the run, then again during its restore: the restore goes on */
	host_units_start();
	pid = spawn_child(argv[0], "restart:stopped,restore:begin");
	waitpid(pid, &st, WUNTRACED);
	bool first = WIFSTOPPED(st);
	kill(pid, SIGINT);
	kill(pid, SIGCONT);
	waitpid(pid, &st, WUNTRACED);
	bool second = WIFSTOPPED(st);
	kill(pid, SIGINT);
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	ok(first && second && WIFEXITED(st) && WEXITSTATUS(st) == GB_EXIT_INTERRUPTED &&
		   host_diff("second SIGINT") == 0,
	   "a second SIGINT during the restore does not abandon it: host restored, exit 4");

	/* preflight refusals change nothing */
	host_units_start();
	fill_scenario(3, P("fix.diff"));
	put(P("src/nova/nova/manager.py"), "def select_destinations(ctx):\n    return None\n");
	static char state_dir[PATH_MAX + 16];
	snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
	struct hostchange_opts o = { .state_dir = state_dir, .progress = quiet };
	struct hostchange *hc = NULL;
	rc = hostchange_begin(&sc, &o, &hc, &err);
	ok(rc != 0 && strstr(err.msg, "fix.diff does not apply to"), "a patch that does not apply fails before any change");
	put(P("src/nova/nova/manager.py"), manager_py);
	c = get(P("etc/nova/nova.conf"));
	is_str(c, nova_conf, "...and nova.conf was not touched");
	free(c);
	put(P("src/nova/nova/manager.py"), "def select_destinations(ctx):\n    return []\n\n# local edit\n");
	rc = hostchange_begin(&sc, &o, &hc, &err);
	ok(rc != 0 && strstr(err.msg, "uncommitted changes to nova/manager.py") && strstr(err.msg, "--force"),
	   "a dirty tree is refused, saying why and naming --force");
	put(P("src/nova/nova/manager.py"), manager_py);
	setting.file = "$NOPE_CONF";
	rc = hostchange_begin(&sc, &o, &hc, &err);
	ok(rc != 0 && strstr(err.msg, "fault.yaml:7: unknown devstack variable $NOPE_CONF"),
	   "an unknown $VAR in an inline setting names the scenario line");
	fill_scenario(3, P("fix.diff"));
	const char *vars[] = { "NOVA_CONF=/nonexistent/dir/nova.conf" };
	o.vars = vars;
	o.n_vars = 1;
	rc = hostchange_begin(&sc, &o, &hc, &err);
	ok(rc != 0 && strstr(err.msg, "/nonexistent/dir/nova.conf: its directory /nonexistent/dir does not exist"),
	   "--var overrides the units file's vars (and a missing directory is an error)");
	o.vars = NULL;
	o.n_vars = 0;
	restart_list[0] = "n-nope";
	rc = hostchange_begin(&sc, &o, &hc, &err);
	ok(rc != 0 && strstr(err.msg, "unit n-nope (to restart or profile) is not in the units file"),
	   "an unknown unit is refused before any change");
	fill_scenario(3, P("fix.diff"));
	{
		char sc_bin[PATH_MAX];
		if (realpath("tests/lib/bin/systemctl", sc_bin))
			setenv("GREENBENCH_SYSTEMCTL", sc_bin, 1);
		sc.units.file = NULL;
		sc.units.backend = SC_BACKEND_SYSTEMD;
		sc.local_conf = NULL;
		sc.n_settings = 0;
		rc = hostchange_begin(&sc, &o, &hc, &err);
		ok(rc != 0 && strstr(err.msg, "fake_computes: 3 requested, the host has 0, and there is no units file;"),
		   "fake computes without a template are refused before any change");
		if (rc != 0 && !strstr(err.msg, "there is no units file;"))
			diag("got: %s", err.msg);
		unsetenv("GREENBENCH_SYSTEMCTL");
		fill_scenario(3, P("fix.diff"));
	}
	o.dry_run = true;
	rc = hostchange_begin(&sc, &o, &hc, &err);
	if (rc == 0) {
		const struct hostchange_step steps[] = {
			{ "config", hostchange_apply_config, NULL },
			{ "patches", hostchange_apply_patches, NULL },
			{ "fake-computes", hostchange_scale_computes, NULL },
			{ "restart", hostchange_restart_units, NULL },
		};
		rc = hostchange_run_steps(hc, steps, GB_ARRAY_SIZE(steps), &err);
		rc |= hostchange_finish(hc, &err);
		hostchange_free(hc);
	}
	ok(rc == 0 && host_diff("dry run") == 0, "--dry-run checks everything and changes nothing");
	o.dry_run = false;

	/* a second run while one holds the lock */
	host_units_start();
	pid = spawn_child(argv[0], "restart");
	waitpid(pid, &st, WUNTRACED);
	if (!WIFSTOPPED(st))
		diag("the first run did not stop at 'restart': status %d", st);
	rc = hostchange_begin(&sc, &o, &hc, &err);
	char want[96];
	snprintf(want, sizeof(want), "another greenbench run (pid %ld)", (long)pid);
	ok(rc != 0 && strstr(err.msg, want) && err.exit_code == GB_EXIT_ENV,
	   "a second concurrent run is refused naming the first one's pid (exit 3)");
	if (rc == 0)
		hostchange_free(hc);
	else if (!strstr(err.msg, want))
		diag("got: %s", err.msg);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* the next run finishes the dead run's restore first */
	fill_scenario(-1, P("fix.diff"));
	sc.n_patches = 0;
	sc.n_profiles = 0;
	sc.n_restart = 0;
	sc.local_conf = NULL;
	sc.n_settings = 0;
	rc = hostchange_begin(&sc, &o, &hc, &err);
	if (rc == 0) {
		rc = hostchange_finish(hc, &err);
		hostchange_free(hc);
	}
	ok(rc == 0 && host_diff("next run recovers") == 0, "the next run restores a killed run's journal first");

	/* teardown: stop the host units */
	const char *names[] = { "n-sch", "n-api", "n-cpu-1" };
	for (size_t i = 0; i < 3; i++) {
		double secs;
		units_stop(host_units, names[i], &secs, &err);
	}
	int left = tagged_processes(NULL, &profiled);
	is_int(left, 0, "teardown: no test process left");

	systemd_section(argv[0]);
	units_close(host_units);
	unitsfile_free(uf);
	char *rm[] = { "rm", "-rf", tmp, NULL };
	run(rm);
	return done_testing();
}

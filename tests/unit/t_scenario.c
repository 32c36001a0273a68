/*
 * t_scenario.c - the scenario loader: every bad fixture under
 * tests/data/scenarios/bad/ is refused with the exact message on its first
 * line ("# expect: LINE:COL: ..."), good fixtures load with the values they say.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/scenario.h"
#include "lib/tap.h"

#define DATA "tests/data/scenarios"

static char data_dir[PATH_MAX]; /* realpath of DATA */
static char bad_dir[PATH_MAX];  /* realpath of DATA/bad */

/* ---- helpers ---- */

/* msg starts "NAME:LINE:COL: " with LINE and COL positive numbers */
static bool is_located(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	if (strncmp(msg, name, nl) || msg[nl] != ':')
		return false;
	const char *p = msg + nl + 1;
	for (int field = 0; field < 2; field++) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 1 || *end != ':')
			return false;
		p = end + 1;
	}
	return *p == ' ';
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replace every @KEY@ in s by val (into a new string). */
static char *subst(const char *s, const char *key, const char *val)
{
	struct strbuf sb = STRBUF_INIT;
	size_t kl = strlen(key);
	for (const char *p = s; *p;) {
		if (!strncmp(p, key, kl)) {
			sb_addstr(&sb, val);
			p += kl;
		} else {
			sb_addch(&sb, *p++);
		}
	}
	return sb_detach(&sb);
}

/* Load path expecting failure; returns the message or "(loaded)". */
static const char *load_fails(const char *path, struct gb_err *err)
{
	struct scenario *sc = (struct scenario *)1;
	err->msg[0] = '\0';
	int rc = scenario_load(path, &sc, err);
	if (rc == 0 || sc) {
		scenario_free(rc == 0 ? sc : NULL);
		return "(loaded)";
	}
	return err->msg;
}

static struct scenario *load_ok(const char *path)
{
	struct scenario *sc = NULL;
	struct gb_err err = { 0, "" };
	if (scenario_load(path, &sc, &err)) {
		diag("%s", err.msg);
		return NULL;
	}
	return sc;
}

static struct scenario *buffer_ok(const char *name, const char *dir, const char *text)
{
	struct scenario *sc = NULL;
	struct gb_err err = { 0, "" };
	if (scenario_load_buffer(name, dir, text, strlen(text), &sc, &err)) {
		diag("%s", err.msg);
		return NULL;
	}
	return sc;
}

/* buffer_fails for a string literal, NULs inside included */
#define BUFFER_FAILS(name, lit, err) buffer_fails(name, lit, sizeof(lit) - 1, err)

static const char *buffer_fails(const char *name, const char *text, size_t len, struct gb_err *err)
{
	struct scenario *sc = NULL;
	err->msg[0] = '\0';
	if (!scenario_load_buffer(name, "/srv", text, len, &sc, err)) {
		scenario_free(sc);
		return "(loaded)";
	}
	return sc ? "(failed but returned a scenario)" : err->msg;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		diag("cannot write %s: %s", path, strerror(errno));
		exit(1);
	}
	fclose(f);
}

/* ---- bad fixtures: one test each ---- */

static void test_bad_fixtures(void)
{
	DIR *d = opendir(DATA "/bad");
	if (!d) {
		ok(0, "open " DATA "/bad: %s", strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".yaml")) {
			names = gb_realloc(names, (n + 1) * sizeof(*names));
			names[n++] = gb_strdup(e->d_name);
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	ok(n >= 90, "at least 90 bad fixtures (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), DATA "/bad/%s", names[i]);
		struct strbuf text = STRBUF_INIT;
		struct gb_err err = { 0, "" };
		if (gb_read_file(path, 1 << 21, &text, &err) || strncmp(text.buf, "# expect: ", 10)) {
			ok(0, "%s starts with '# expect: '", path);
			sb_release(&text);
			free(names[i]);
			continue;
		}
		char *nl = strchr(text.buf, '\n');
		struct strbuf want = STRBUF_INIT;
		sb_addf(&want, "%s:%.*s", path, (int)(nl ? nl - text.buf - 10 : (long)text.len - 10),
			text.buf + 10);
		char *w1 = subst(sb_str(&want), "@DIR@", bad_dir);
		char *w2 = subst(w1, "@PARENT@", data_dir);
		is_str(load_fails(path, &err), w2, "bad/%s refused: %s", names[i],
		       w2 + strlen(path) + 1);
		free(w1);
		free(w2);
		sb_release(&want);
		sb_release(&text);
		free(names[i]);
	}
	free(names);
}

/* ---- good fixtures ---- */

static void test_full(void)
{
	struct scenario *sc = load_ok(DATA "/good/full.yaml");
	if (!ok(sc != NULL, "good/full.yaml: every key set, loads"))
		return;
	char want[PATH_MAX + 64];
	is_str(sc->path, DATA "/good/full.yaml", "full: path is kept as given");
	snprintf(want, sizeof(want), "%s/good", data_dir);
	is_str(sc->dir, want, "full: dir is the absolute directory of the file");
	is_int(sc->version, 1, "full: version 1");
	is_str(sc->name, "full.scenario-1", "full: name with '.' and '-'");
	is_str(sc->description, "Two lines\nof description.\n", "full: block description keeps its newlines");
	ok(sc->cloud == NULL && sc->has_auth, "full: auth block, no cloud");
	is_int(sc->cloud_line, 7, "full: cloud_line is the auth block's line");
	is_str(sc->auth.auth_url, "http://127.0.0.1:5000/v3", "full: auth.auth_url");
	is_str(sc->auth.username, "admin", "full: auth.username");
	is_str(sc->auth.password, "s3cret: yes", "full: auth.password, quoted with ': '");
	is_str(sc->auth.project_name, "admin", "full: auth.project_name");
	is_str(sc->auth.user_domain_name, "users", "full: auth.user_domain_name");
	is_str(sc->auth.project_domain_name, "projects", "full: auth.project_domain_name");
	is_str(sc->auth.region_name, "RegionOne", "full: auth.region_name");
	is_str(sc->auth.interface, "internal", "full: auth.interface");
	is_int(sc->units.backend, SC_BACKEND_PROCESS, "full: units.backend process");
	snprintf(want, sizeof(want), "%s/good/files/units.yaml", data_dir);
	is_str(sc->units.file, want, "full: units.file resolved against the scenario's dir");
	is_int(sc->units.line, 16, "full: units.line is the line of units:");
	snprintf(want, sizeof(want), "%s/good/files/select.conf", data_dir);
	is_str(sc->local_conf, want, "full: local_conf resolved against the scenario's dir");
	is_int(sc->local_conf_line, 19, "full: local_conf_line");
	is_int(sc->n_settings, 4, "full: 4 config settings");
	if (sc->n_settings == 4) {
		struct sc_setting *s = sc->settings;
		ok(!strcmp(s[0].file, "$NOVA_CONF") && !strcmp(s[0].section, "filter_scheduler") &&
		   !strcmp(s[0].key, "enabled_filters") && !strcmp(s[0].value, "") && s[0].line == 23,
		   "full: config $NOVA_CONF [filter_scheduler] enabled_filters = '' (line 23)");
		is_str(s[1].value, "a.B,c.D", "full: a list option is joined with ','");
		ok(!strcmp(s[2].section, "DEFAULT") && !strcmp(s[2].key, "debug") &&
		   !strcmp(s[2].value, "true"), "full: a YAML bool is kept as written ('true')");
		ok(!strcmp(s[3].file, "/etc/placement/placement.conf") && !strcmp(s[3].value, "10"),
		   "full: an absolute config path and a number kept as text, in file order");
	}
	is_int(sc->fake_computes, 0, "full: fake_computes 0 is not 'leave alone'");
	is_int(sc->n_patches, 2, "full: 2 patches");
	if (sc->n_patches == 2) {
		snprintf(want, sizeof(want), "%s/good/files/fix.diff", data_dir);
		is_str(sc->patches[0].path, want, "full: patch as a string, resolved");
		ok(sc->patches[0].tree == NULL, "full: patch without tree has tree NULL");
		is_str(sc->patches[1].path, want, "full: patch {path: ./files/../files/fix.diff} folded");
		is_str(sc->patches[1].tree, "/opt/stack/nova", "full: patch tree");
	}
	is_int(sc->n_profiles, 2, "full: 2 profile targets");
	if (sc->n_profiles == 2) {
		ok(!strcmp(sc->profiles[0].unit, "n-sch") &&
		   !strcmp(sc->profiles[0].target, "nova.scheduler.manager:SchedulerManager.select_destinations"),
		   "full: profile[0] n-sch select_destinations");
		is_str(sc->profiles[1].target,
		       "nova.conductor.manager:ComputeTaskManager.schedule_and_build_instances",
		       "full: profile[1] target in block style");
		is_int(sc->profiles[1].line, 36, "full: profile[1].line");
	}
	is_int(sc->n_restart, 3, "full: restart has 3 units");
	if (sc->n_restart == 3)
		ok(!strcmp(sc->restart[0], "n-cond") && !strcmp(sc->restart[1], "n-sch") &&
		   !strcmp(sc->restart[2], "devstack@n-api.service"), "full: restart order kept, '@' allowed");
	is_int(sc->n_steps, 2, "full: 2 steps");
	if (sc->n_steps == 2) {
		struct sc_step *s = &sc->steps[0];
		is_int(s->kind, SC_STEP_CREATE_SERVERS, "full: step 0 is create_servers");
		is_int(s->line, 40, "full: step 0 line");
		is_int(s->count, 10, "full: count \"10\" (quoted) is 10");
		is_int(s->concurrency, 10, "full: concurrency may equal count");
		is_str(s->image, "cirros-0.6.2", "full: image");
		is_str(s->flavor, "42", "full: flavor \"42\" stays a string");
		is_str(s->networks, "auto", "full: networks auto");
		is_str(s->wait, "none", "full: wait none");
		ok(s->timeout == 90, "full: timeout 1.5m is 90 s");
		ok(!s->do_delete, "full: delete: no is false");
		ok(s->delete_timeout == 0.5, "full: delete_timeout 500ms is 0.5 s");
		is_str(s->name_prefix, "gb_full", "full: name_prefix");
		is_str(sc->steps[1].image, "cirros", "full: step 1 in flow style");
	}
	is_int(sc->repeat, 1000, "full: repeat 1000 (the maximum)");
	is_int(sc->n_slas, 5, "full: 5 SLAs");
	if (sc->n_slas == 5) {
		struct sc_sla *s = sc->slas;
		ok(!strcmp(s[0].metric, "create_servers.latency.p95") && s[0].kind == SC_SLA_CREATE_SERVERS &&
		   !strcmp(s[0].measure, "latency") && !strcmp(s[0].stat, "p95") && s[0].is_duration &&
		   s[0].ops == SC_SLA_MAX && s[0].max == 30 && s[0].profile_index == -1,
		   "full: sla create_servers.latency.p95 max 30 s");
		ok(s[1].ops == (SC_SLA_MAX | SC_SLA_MIN) && s[1].min == 0.01 && s[1].max == 2,
		   "full: sla with min 10ms and a bare max 2 (seconds)");
		ok(s[2].kind == SC_SLA_PROFILE && s[2].profile_index == 0 && !strcmp(s[2].measure, "cumtime") &&
		   !strcmp(s[2].stat, "mean") && s[2].max == 2, "full: sla profile.select_destinations -> profile 0");
		ok(s[3].kind == SC_SLA_PROFILE && s[3].profile_index == 1 && !s[3].is_duration &&
		   s[3].max == 1.5, "full: sla ncalls is a plain number, linked to profile 1");
		ok(s[4].kind == SC_SLA_ERRORS && !strcmp(s[4].measure, "errors") &&
		   !strcmp(s[4].stat, "count") && s[4].max == 0 && s[4].line == 58, "full: sla errors.count max 0");
	}
	is_int(strlen(sc->sha256), 64, "full: sha256 is 64 hex digits");
	scenario_free(sc);
}

static void test_defaults(void)
{
	struct scenario *sc = load_ok(DATA "/good/defaults.yaml");
	if (!ok(sc != NULL, "good/defaults.yaml loads"))
		return;
	is_int(sc->version, 1, "defaults: version 1");
	ok(!sc->description && !sc->cloud && !sc->has_auth && sc->cloud_line == 0,
	   "defaults: no description, no cloud, no auth (environment decides)");
	ok(sc->units.backend == SC_BACKEND_SYSTEMD && !sc->units.file && sc->units.line == 0,
	   "defaults: units backend systemd, no units file");
	ok(!sc->local_conf && !sc->n_settings && !sc->n_patches && !sc->n_profiles && !sc->n_restart &&
	   !sc->n_slas, "defaults: no local_conf, config, patches, profile, restart, sla");
	is_int(sc->fake_computes, -1, "defaults: fake_computes -1 (leave the host alone)");
	is_int(sc->repeat, 1, "defaults: repeat 1");
	if (sc->n_steps == 1) {
		struct sc_step *s = sc->steps;
		ok(s->count == 1 && s->concurrency == 1, "defaults: count 1, concurrency 1");
		ok(!strcmp(s->networks, "none") && !strcmp(s->wait, "ACTIVE"), "defaults: networks none, wait ACTIVE");
		ok(s->timeout == 120 && s->do_delete && s->delete_timeout == 120,
		   "defaults: timeout 120 s, delete true, delete_timeout 120 s");
		is_str(s->name_prefix, "greenbench", "defaults: name_prefix greenbench");
	} else {
		ok(0, "defaults: one step (got %zu)", sc->n_steps);
	}
	scenario_free(sc);
}

static void test_other_good(void)
{
	struct scenario *sc = load_ok(DATA "/good/restart_only.yaml");
	ok(sc && sc->n_steps == 0 && sc->n_restart == 1 && sc->n_profiles == 1 &&
	   !strcmp(sc->cloud, "devstack-admin") && sc->cloud_line == 3,
	   "good/restart_only.yaml: workload [] is a restart-only run");
	scenario_free(sc);

	sc = load_ok(DATA "/good/empty_values.yaml");
	ok(sc && !sc->description && !sc->units.file && !sc->local_conf && sc->fake_computes == -1 &&
	   sc->repeat == 1 && !sc->n_steps && !sc->n_patches && !sc->n_slas,
	   "good/empty_values.yaml: optional keys with no value take their defaults");
	scenario_free(sc);

	sc = load_ok(DATA "/good/crlf_bom.yaml");
	ok(sc && !strcmp(sc->name, "crlf_bom") && sc->n_steps == 1 && sc->steps[0].count == 3 &&
	   !strcmp(sc->steps[0].flavor, "c1"), "good/crlf_bom.yaml: a BOM and CRLF line ends are fine");
	scenario_free(sc);

	sc = load_ok("scenarios/select_destinations.yaml");
	if (ok(sc != NULL, "scenarios/select_destinations.yaml (the seed) loads")) {
		char want[PATH_MAX];
		char *root = realpath(".", NULL);
		snprintf(want, sizeof(want), "%s/devstack/local.conf.d/select_destinations.conf", root);
		free(root);
		is_str(sc->local_conf, want, "seed: local_conf ../devstack/... resolves to the repo's devstack/");
		ok(!strcmp(sc->cloud, "devstack-admin") && sc->fake_computes == 5 && sc->repeat == 3 &&
		   sc->n_restart == 1 && !strcmp(sc->restart[0], "n-sch"),
		   "seed: cloud devstack-admin, 5 fake computes, repeat 3, restart n-sch");
		ok(sc->n_steps == 1 && sc->steps[0].count == 10 && sc->steps[0].concurrency == 2 &&
		   !strcmp(sc->steps[0].image, "cirros") && !strcmp(sc->steps[0].flavor, "c1") &&
		   sc->steps[0].timeout == 120, "seed: 10 servers, 2 at a time, cirros/c1, 120 s");
		ok(sc->n_slas >= 2 && sc->slas[1].profile_index == 0, "seed: SLAs on latency and the profile");
	}
	scenario_free(sc);

	sc = load_ok("scenarios/update_available_resource.yaml");
	if (ok(sc != NULL, "scenarios/update_available_resource.yaml (seed case 2) loads")) {
		const struct sc_step *st = sc->n_steps == 1 ? sc->steps : NULL;
		ok(st && st->kind == SC_STEP_WAIT_CALLS && st->count == 3 && st->timeout == 60 &&
		   st->profile_index == 0 && !strcmp(st->target, "update_available_resource"),
		   "seed case 2: wait_calls for 3 calls of profile[0] within 60 s");
		ok(scenario_target_is_waited(sc, 0) && !scenario_has_create_servers(sc),
		   "seed case 2: its target is waited for; no create_servers step");
		ok(sc->n_settings == 2 && !strcmp(sc->settings[0].file, "$NOVA_CPU_CONF") &&
		   !strcmp(sc->settings[0].key, "update_resources_interval") &&
		   !strcmp(sc->settings[0].value, "5") && !sc->settings[0].copy_from,
		   "seed case 2: update_resources_interval = 5 in $NOVA_CPU_CONF");
	}
	scenario_free(sc);

	sc = load_ok("scenarios/update_available_resource_direct_db.yaml");
	if (ok(sc != NULL, "scenarios/update_available_resource_direct_db.yaml loads")) {
		const struct sc_setting *db = sc->n_settings == 3 ? &sc->settings[2] : NULL;
		ok(db && !strcmp(db->section, "database") && !strcmp(db->key, "connection") &&
		   !db->value && db->copy_from && !strcmp(db->copy_from, "$NOVA_CONF"),
		   "direct db: [database] connection copied from $NOVA_CONF, no value in the file");
		ok(sc->n_patches == 1 && strstr(sc->patches[0].path, "devstack/patches/nova26-compute-direct-db.patch") &&
		   !strcmp(sc->patches[0].tree, "/usr/lib/python3/dist-packages"),
		   "direct db: the seed's patch, on Debian's nova");
	}
	scenario_free(sc);

	sc = buffer_ok("both.yaml", NULL, "version: 1\nname: both\nprofile:\n"
			    "  - {unit: n-cond, target: 'nova.conductor.manager:ComputeTaskManager.schedule_and_build_instances'}\n"
			    "  - {unit: n-cpu-1, target: 'nova.compute.resource_tracker:ResourceTracker.update_available_resource'}\n"
			    "restart: [n-cond, n-cpu-1]\nworkload:\n"
			    "  - create_servers: {image: cirros, flavor: c1}\n"
			    "  - wait_calls: {target: 'nova.compute.resource_tracker:ResourceTracker.update_available_resource', count: 2}\n");
	ok(sc && sc->n_steps == 2 && sc->steps[0].profile_index == -1 && sc->steps[1].profile_index == 1 &&
	   sc->steps[1].timeout == 300 && !scenario_target_is_waited(sc, 0) && scenario_target_is_waited(sc, 1) &&
	   scenario_has_create_servers(sc),
	   "create_servers and wait_calls together: the full target names profile[1], default timeout 300 s");
	scenario_free(sc);

	sc = buffer_ok("req.yaml", NULL, "name: req\nworkload:\n"
			    "  - request:\n      method: POST\n      service: compute\n      path: /flavors\n"
			    "      body: {flavor: {name: '{name}', ram: 64, vcpus: 1, disk: 0, rxtx: 1.5, "
			    "public: true, id: null, swap: '10', tags: [a, 2]}}\n"
			    "      microversion: '2.55'\n      id: flavor.id\n      delete: '/flavors/{id}'\n"
			    "      as: flavors\n"
			    "  - request: {method: GET, service: placement, path: '/x/{flavors}', rate: 4, "
			    "duration: 2.5s}\n");
	ok(sc && sc->n_steps == 2 && sc->steps[0].kind == SC_STEP_REQUEST &&
	   !strcmp(sc->steps[0].req.body, "{\"flavor\":{\"name\":\"{name}\",\"ram\":64,\"vcpus\":1,"
		   "\"disk\":0,\"rxtx\":1.5,\"public\":true,\"id\":null,\"swap\":\"10\","
		   "\"tags\":[\"a\",2]}}"),
	   "request: the body YAML became typed JSON (quoted '10' stays a string) (%s)",
	   sc ? sc->steps[0].req.body : "-");
	ok(sc && sc->steps[0].count == 1 && sc->steps[0].concurrency == 1 && sc->steps[0].req.expect == 0 &&
	   !strcmp(sc->steps[0].req.label, "POST /flavors") && !strcmp(sc->steps[0].req.as, "flavors") &&
	   sc->steps[1].count == 10 && sc->steps[1].req.rate == 4 && scenario_needs_api(sc) &&
	   !scenario_has_create_servers(sc),
	   "request: defaults (count 1, any 2xx), rate 4/s for 2.5 s is 10 requests, {flavors} known");
	scenario_free(sc);

	sc = load_ok("scenarios/flavor_create_delete.yaml");
	ok(sc && sc->n_steps == 2 && sc->steps[0].req.delete_path, "scenarios/flavor_create_delete.yaml loads");
	scenario_free(sc);

	sc = load_ok("scenarios/smoke.yaml");
	ok(sc && sc->n_steps == 1 && sc->steps[0].count == 1 && !sc->n_profiles && !sc->n_restart,
	   "scenarios/smoke.yaml: one server, no profile, no restart");
	scenario_free(sc);
}

/* ---- inputs made here ---- */

static void test_generated(void)
{
	char tmpl[] = "/tmp/t_scenario.XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (!ok(tmp != NULL, "make a temp dir"))
		return;
	char path[PATH_MAX], want[PATH_MAX + 200];
	struct gb_err err;

	snprintf(path, sizeof(path), "%s/empty.yaml", tmp);
	write_file(path, "", 0);
	snprintf(want, sizeof(want), "%s:1:1: empty scenario; it needs at least 'name:' and 'workload:'", path);
	is_str(load_fails(path, &err), want, "empty file refused at 1:1");

	size_t big = 1024 * 1024 + 1;
	char *buf = gb_malloc(big);
	memset(buf, '#', big);
	snprintf(path, sizeof(path), "%s/big.yaml", tmp);
	write_file(path, buf, big);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes; refusing to read it", path);
	is_str(load_fails(path, &err), want, "a file over 1 MiB is refused before parsing");
	is_str(buffer_fails("big.yaml", buf, big, &err),
	       "big.yaml: larger than 1048576 bytes; a scenario is small, this file is not one",
	       "a buffer over 1 MiB is refused too");
	free(buf);

	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "name: t\nworkload: []\nrestart: [");
	for (int i = 0; i < 20001; i++)
		sb_addstr(&sb, "a,");
	sb_addstr(&sb, "a]\n");
	ok(!strncmp(buffer_fails("many.yaml", sb.buf, sb.len, &err),
		    "many.yaml:3:", 12) && strstr(err.msg, ": more than 20000 YAML nodes; a scenario is small"),
	   "20,000+ nodes refused (%s)", err.msg);
	sb_release(&sb);

	snprintf(path, sizeof(path), "%s/nope.yaml", tmp);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	is_str(load_fails(path, &err), want, "a missing scenario file: cannot open");
	snprintf(want, sizeof(want), "%s: is a directory, expected a file", tmp);
	is_str(load_fails(tmp, &err), want, "a directory as the scenario is refused");

	/* a scenario in the current directory (no '/' in its name) */
	snprintf(path, sizeof(path), "%s/files", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/files/l.conf", tmp);
	write_file(path, "[[local|localrc]]\n", 18);
	snprintf(path, sizeof(path), "%s/here.yaml", tmp);
	write_file(path, "name: here\nworkload: []\nlocal_conf: files/l.conf\n", 48);
	char *cwd = getcwd(NULL, 0);
	if (chdir(tmp) == 0) {
		struct scenario *sc = load_ok("here.yaml");
		char *real = realpath(tmp, NULL);
		snprintf(want, sizeof(want), "%s/files/l.conf", real);
		ok(sc && !strcmp(sc->local_conf, want) && !strcmp(sc->dir, real),
		   "a file named without a directory resolves against the absolute cwd");
		free(real);
		scenario_free(sc);
		if (chdir(cwd) != 0)
			exit(1);
	}
	free(cwd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/files/l.conf", tmp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/files", tmp);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/empty.yaml", tmp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big.yaml", tmp);
	unlink(path);
	rmdir(tmp);
}

static void test_buffer(void)
{
	struct gb_err err;
	is_str(BUFFER_FAILS("bad.yaml", "name: t\nfake_computes: many\nworkload: []\n", &err),
	       "bad.yaml:2:16: fake_computes: expected an integer 0..1000, got 'many'",
	       "fake_computes: 'many' rejected at bad.yaml:2:16");
	is_str(buffer_fails("e.yaml", "", 0, &err),
	       "e.yaml:1:1: empty scenario; it needs at least 'name:' and 'workload:'",
	       "empty buffer refused at 1:1");
	is_str(BUFFER_FAILS("n.yaml", "name: t\0\nworkload: []\n", &err),
	       "n.yaml:1:8: NUL byte; a scenario must be UTF-8 text", "NUL byte in a buffer refused");

	const char *text = "name: b\nworkload: []\nlocal_conf: ../devstack/x.conf\n"
			   "patches: [-p1.diff, /abs/y.diff, a/./b/../c.diff, ../../../../up.diff]\n";
	struct scenario *sc = buffer_ok("b.yaml", "/srv/scenarios", text);
	if (ok(sc != NULL, "buffer: files named need not exist")) {
		is_str(sc->local_conf, "/srv/devstack/x.conf", "buffer: ../ folded against an absolute dir");
		is_str(sc->patches[0].path, "/srv/scenarios/-p1.diff", "buffer: relative patch joined");
		is_str(sc->patches[1].path, "/abs/y.diff", "buffer: absolute patch kept");
		is_str(sc->patches[2].path, "/srv/scenarios/a/c.diff", "buffer: ./ and b/.. folded");
		is_str(sc->patches[3].path, "/up.diff", "buffer: .. never climbs above /");
	}
	scenario_free(sc);
	sc = buffer_ok("b.yaml", NULL, text);
	if (ok(sc != NULL, "buffer: dir NULL means '.'")) {
		is_str(sc->dir, ".", "buffer: dir is '.'");
		is_str(sc->local_conf, "../devstack/x.conf", "buffer: relative to '.' stays relative");
		is_str(sc->patches[0].path, "./-p1.diff", "buffer: a path never starts with '-' (argv safety)");
		is_str(sc->patches[2].path, "a/c.diff", "buffer: relative folding");
		is_str(sc->patches[3].path, "../../../../up.diff", "buffer: leading .. kept when relative");
	}
	scenario_free(sc);
	sc = buffer_ok("b.yaml", "scenarios", text);
	ok(sc && !strcmp(sc->local_conf, "devstack/x.conf"), "buffer: scenarios/../devstack folds to devstack/");
	scenario_free(sc);

	sc = buffer_ok("h.yaml", NULL, "name: t\nworkload: []\n");
	is_str(sc ? sc->sha256 : "", "838812d4be3c91636c025a48168a6b31be5a9b8f62484e7c032df987d6918a4e",
	       "sha256 of the bytes loaded");
	scenario_free(sc);

	/* a secret never reaches a message */
	BUFFER_FAILS("p.yaml", "name: t\nworkload: []\nauth: {auth_url: 'http://x', username: u, "
		     "password: \"hunter2\\x07\", project_name: p}\n", &err);
	ok(strstr(err.msg, "auth.password") && !strstr(err.msg, "hunter2"),
	   "auth.password error does not echo the password (%s)", err.msg);
	{ /* a password over the length limit: the error names the limit, not the value */
		struct strbuf y = STRBUF_INIT;
		sb_addstr(&y, "name: t\nworkload: []\nauth: {auth_url: 'http://x', username: u, password: pwlong");
		for (int i = 0; i < 4100; i++)
			sb_addch(&y, 'x');
		sb_addstr(&y, ", project_name: p}\n");
		buffer_fails("p.yaml", y.buf, y.len, &err);
		ok(strstr(err.msg, "auth.password") && strstr(err.msg, "at most 4096 bytes") &&
			   !strstr(err.msg, "pwlong"),
		   "an over-long auth.password is refused without echoing it (%.120s)", err.msg);
		sb_release(&y);
	}

	/* every truncation of a full scenario: a scenario or a located error, no crash */
	struct strbuf full = STRBUF_INIT;
	if (gb_read_file(DATA "/good/full.yaml", 1 << 20, &full, &err) == 0) {
		size_t bad = 0, loaded = 0;
		for (size_t len = 0; len <= full.len; len++) {
			struct scenario *s2 = NULL;
			if (scenario_load_buffer("cut.yaml", "/srv", full.buf, len, &s2, &err) == 0) {
				loaded++;
				scenario_free(s2);
			} else if (s2 || !is_located(err.msg, "cut.yaml")) {
				if (!bad++)
					diag("truncation at %zu: %s", len, err.msg);
			}
		}
		ok(bad == 0 && loaded > 0, "each of %zu truncations of full.yaml loads or names "
		   "cut.yaml:LINE:COL (%zu loaded)", full.len + 1, loaded);
	} else {
		ok(0, "full.yaml is readable for the truncation test (%s)", err.msg);
	}
	sb_release(&full);
}

int main(int argc, char **argv)
{
	/* run from the repository root: argv[0] is ROOT/build/<kind>/tests/unit/t_scenario */
	char *self = realpath(argv[0], NULL);
	if (self) {
		char *root = dirname(dirname(dirname(dirname(dirname(self)))));
		if (chdir(root) != 0)
			return 1;
		free(self);
	}
	if (!realpath(DATA, data_dir) || !realpath(DATA "/bad", bad_dir)) {
		printf("Bail out! cannot find %s from %s\n", DATA, argc ? argv[0] : "?");
		return 1;
	}
	test_bad_fixtures();
	test_full();
	test_defaults();
	test_other_good();
	test_generated();
	test_buffer();
	return done_testing();
}

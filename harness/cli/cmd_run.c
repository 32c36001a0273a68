/*
 * cmd_run.c - `greenbench run`: load a scenario, change the host (journaled),
 * restart units with the profiler's environment, run the workload, restore
 * the host, print the per-step summary. CLI layer: prints and picks the exit
 * code; the work lives in hostchange.c and the parts the steps call.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include <jansson.h>
#include <math.h>

#include "run/runner.h"
#include "scenario/scenario.h"

static const struct cmd_doc doc = {
	.name = "run",
	.summary = "run a scenario: change the host, restart units, fire requests, profile, store, restore",
	.synopsis = "greenbench run SCENARIO [--units FILE] [--state-dir DIR] [--var NAME=PATH]... "
		    "[--os-cloud NAME] [--db FILE] [--label L] [--force] [--dry-run] [--tap|--json]",
	.description =
		"Runs SCENARIO: takes the host lock (and first undoes the journal of a run that\n"
		"was killed), journals every change before making it, applies the local.conf\n"
		"fragment and inline config settings (devstack's post-config merge), applies\n"
		"the patches (each checked first; a patch that does not apply fails the run\n"
		"before anything changes), scales the fake computes, restarts the named and\n"
		"the profiled units (stop, prove dead, start, prove ready) with\n"
		"GREENBENCH_PROFILE set for the profiled ones, runs the workload, and restores\n"
		"the host: units back to their original environment and count, patches\n"
		"reversed, files restored and checked against their sha256.\n\n"
		"Ctrl-C (SIGINT) or SIGTERM stops the run, restores the host and exits 4; a\n"
		"second Ctrl-C does not abandon the restore. After a kill -9, `greenbench\n"
		"restore` (or the next run) finishes the restore from the journal.\n\n"
		"Config files are named by devstack variables ($NOVA_CONF, $NOVA_CPU_CONF,\n"
		"$PLACEMENT_CONF, $KEYSTONE_CONF, $GLANCE_API_CONF, $NEUTRON_CONF, ...): devstack's\n"
		"paths by default, the units file's vars: override them, --var overrides both.\n"
		"The state directory (journal, lock, dumps) is /var/lib/greenbench as root,\n"
		"else $XDG_STATE_HOME/greenbench. Profile dumps go to\n"
		"<state>/runs/<run-id>/dumps. Once the run is stored and every dump is found in\n"
		"the store (its size and sha256 read back), that directory is removed; with\n"
		"--keep-dumps, or when the dumps were not stored (the run failed first), it is\n"
		"kept with a note, runs/<run-id>/KEPT, saying why, and the run says where. The\n"
		"next run and `greenbench restore` remove what a killed run left there.\n\n"
		"Environment: GREENBENCH_SYSTEMCTL (systemctl to run; default: PATH),\n"
		"GREENBENCH_SYSTEMD_DIR (unit files and drop-ins; default /etc/systemd/system),\n"
		"GREENBENCH_CGROUP_ROOT (default /sys/fs/cgroup), GREENBENCH_RABBITMQCTL,\n"
		"GREENBENCH_DEBUG_STOP_AT=POINT[,POINT] (tests: SIGSTOP at begin, config,\n"
		"config:journaled, config:applied, patches, patch:journaled, patch:applied,\n"
		"fake-computes, fake:journaled, fake:started, restart, restart:journaled,\n"
		"restart:env, restart:stopped, restart:started, workload, restore:begin,\n"
		"restore:files).",
	.examples = "greenbench run scenarios/select_destinations.yaml\n"
		    "greenbench run s.yaml --units /var/lib/greenbench-testcloud/units.yaml\n"
		    "greenbench run s.yaml --var NOVA_CONF=/srv/nova/nova.conf --dry-run",
};

static int live_pending; /* a live status line is on the terminal, not ended by \n */

static void progress(void *arg, const char *line)
{
	const int *quiet = arg;
	if (*quiet)
		return;
	if (live_pending)
		fputs("\r\033[K", stderr);
	live_pending = 0;
	fprintf(stderr, "%s\n", line);
}

/* On a terminal: one line that the next status replaces. */
static void live(void *arg, const char *line)
{
	const int *quiet = arg;
	if (*quiet)
		return;
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	live_pending = 1;
}

static void print_tap(const struct runner_result *res)
{
	printf("1..%zu\n", res->n_slas + 1);
	printf("%s 1 - run %lld stored with status %s\n", strcmp(res->status, "ok") ? "not ok" : "ok",
	       res->run_id, res->status);
	for (size_t i = 0; i < res->n_slas; i++) {
		const struct runner_sla *r = &res->slas[i];
		printf("%s %zu - sla %s %s %g (got %g)\n", r->passed ? "ok" : "not ok", i + 2, r->metric,
		       r->is_max ? "<=" : ">=", r->limit, r->value);
	}
}

static void print_json(const struct runner_result *res, const struct scenario *sc)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:f, s:I, s:I, s:I, s:I, s:I}", "run_id",
			      (json_int_t)res->run_id, "scenario", sc->name, "status", res->status,
			      "seconds", res->secs, "servers", (json_int_t)res->n_servers, "active",
			      (json_int_t)res->n_active, "errors", (json_int_t)res->n_errors,
			      "profiles", (json_int_t)res->n_profiles, "dump_problems",
			      (json_int_t)res->n_dump_problems);
	json_t *slas = json_array();
	for (size_t i = 0; i < res->n_slas; i++) {
		const struct runner_sla *r = &res->slas[i];
		json_array_append_new(slas, json_pack("{s:s, s:o, s:f, s:s, s:b}", "metric", r->metric,
						      "value", isnan(r->value) ? json_null() : json_real(r->value), "limit",
						      r->limit, "op", r->is_max ? "max" : "min",
						      "passed", r->passed));
	}
	json_object_set_new(o, "sla", slas);
	char *txt = json_dumps(o, JSON_INDENT(2));
	printf("%s\n", txt);
	free(txt);
	json_decref(o);
}

int cmd_run(int argc, char **argv)
{
	const char *units = NULL, *state_dir = NULL, *cloud = NULL, *db = NULL, *label = NULL;
	const char *cacert = NULL;
	struct opt_list vars = { NULL, 0 };
	int force = 0, keep_dumps = 0, dry_run = 0, insecure = 0, tap = 0, json = 0, quiet = 0, verbose = 0;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "os-cloud", &cloud, "NAME", "clouds.yaml entry to use (overrides the scenario's cloud)" },
		{ OPT_STRING, 0, "cloud", &cloud, "NAME", "same as --os-cloud" },
		{ OPT_STRING, 0, "units", &units, "FILE", "units file (overrides the scenario's units.file)" },
		{ OPT_STRING, 0, "state-dir", &state_dir, "DIR", "journal, lock and dumps live here" },
		{ OPT_LIST, 0, "var", &vars, "NAME=PATH", "set a devstack variable, e.g. NOVA_CONF=/etc/nova/nova.conf" },
		{ OPT_STRING, 0, "db", &db, "FILE", "results store (default ~/.local/share/greenbench/results.db)" },
		{ OPT_STRING, 'l', "label", &label, "LABEL", "label the stored run (compare/show accept it)" },
		{ OPT_BOOL, 0, "insecure", &insecure, NULL, "do not verify the cloud's TLS certificates" },
		{ OPT_STRING, 0, "os-cacert", &cacert, "FILE", "CA bundle to verify the cloud's TLS certificates" },
		{ OPT_BOOL, 0, "force", &force, NULL, "patch over uncommitted changes to the patched files" },
		{ OPT_BOOL, 0, "keep-dumps", &keep_dumps, NULL, "keep the run's dump directory after they are stored" },
		{ OPT_BOOL, 0, "dry-run", &dry_run, NULL, "check everything and say what would change; change nothing" },
		{ OPT_BOOL, 0, "tap", &tap, NULL, "print the SLA checks as TAP on stdout (prove can run scenarios)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print the result as JSON on stdout" },
		{ OPT_BOOL, 'q', "quiet", &quiet, NULL, "no progress lines, only the summary and errors" },
		{ OPT_BOOL, 'v', "verbose", &verbose, NULL, "also one line per HTTP request (request ids, status, latency)" },
		OPT_END_MARKER,
	};
	const char *path = NULL;
	int rc;
	if (!cmd_parse_one(argc, argv, &doc, opts, "SCENARIO file", &path, &rc)) {
		opt_list_release(&vars);
		return rc;
	}
	struct gb_err err = { GB_EXIT_USAGE, "" };
	struct scenario *sc = NULL;
	if (scenario_load(path, &sc, &err) != 0) {
		opt_list_release(&vars);
		return cmd_fail("run", &err);
	}
	struct runner_opts ro = {
		.cloud = cloud, .units_file = units, .state_dir = state_dir, .vars = vars.items,
		.n_vars = vars.n_items, .force = force, .keep_dumps = keep_dumps, .dry_run = dry_run, .insecure = insecure,
		.cacert = cacert, .db = db, .label = label, .progress = progress, .progress_arg = &quiet,
		.live = isatty(2) ? live : NULL, .verbose = verbose,
	};
	struct runner_result res;
	int run_rc = runner_run(sc, &ro, &res, &err);
	if (!json && !dry_run)
		fputs(sb_str(&res.summary), stderr);
	if (run_rc != 0) {
		rc = cmd_fail("run", &err);
	} else if (dry_run) {
		fprintf(stderr, "dry run: nothing was changed\n");
		rc = GB_EXIT_OK;
	} else {
		fprintf(stderr, "run %lld stored (%s, %.1f s); the host is restored\n", res.run_id,
			res.status, res.secs);
		rc = res.n_sla_failed ? GB_EXIT_FAIL : GB_EXIT_OK;
	}
	if (!dry_run && (tap || json) && res.run_id) {
		if (tap)
			print_tap(&res);
		else
			print_json(&res, sc);
	}
	runner_result_release(&res);
	scenario_free(sc);
	opt_list_release(&vars);
	return rc;
}

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

#include "cmd.h"
#include "hostchange.h"
#include "scenario.h"

static const struct cmd_doc doc = {
	.name = "run",
	.summary = "run a scenario: change the host, restart units, fire requests, profile, store, restore",
	.synopsis = "greenbench run SCENARIO [--units FILE] [--state-dir DIR] [--var NAME=PATH]... "
		    "[--force] [--dry-run]",
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
		"<state>/runs/<run-id>/dumps.\n\n"
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

/* Until scenario.c is merged into this tree: a loader that says so. The real
 * scenario_load (a strong symbol) replaces it at link time. */
__attribute__((weak)) int scenario_load(const char *path, struct scenario **out,
					struct gb_err *err)
{
	(void)out;
	return gb_errf(err, GB_EXIT_USAGE, "%s: the scenario loader is not built into this "
					   "greenbench", path);
}

__attribute__((weak)) void scenario_free(struct scenario *sc)
{
	(void)sc;
}

static void progress(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/*
 * WORKLOAD HOOK: the API part (osapi/workload), collect and store are wired
 * here by the lead: fire sc->steps through the OpenStack API, journaling each
 * server (journal_add_server(hostchange_journal(hc), ...)) before its POST,
 * checking hostchange_interrupted() in its loops, then collect the dumps from
 * hostchange_dumps_dir(hc). With `workload: []` there is nothing to do.
 */
static bool workload_is_built(void)
{
	return false; /* WORKLOAD HOOK: true once run_workload calls the API part */
}

static int run_workload(struct hostchange *hc, void *arg, struct gb_err *err)
{
	const struct scenario *sc = arg;
	(void)hc;
	if (sc->n_steps == 0)
		return 0;
	return gb_errf(err, GB_EXIT_USAGE, "%s: the workload (%zu step(s)) needs the API part, which "
					   "is not built into this greenbench; use workload: []",
		       sc->path, sc->n_steps);
}

int cmd_run(int argc, char **argv)
{
	const char *units = NULL, *state_dir = NULL;
	struct opt_list vars = { NULL, 0 };
	int force = 0, dry_run = 0;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "units", &units, "FILE", "units file (overrides the scenario's units.file)" },
		{ OPT_STRING, 0, "state-dir", &state_dir, "DIR", "journal, lock and dumps live here" },
		{ OPT_LIST, 0, "var", &vars, "NAME=PATH", "set a devstack variable, e.g. NOVA_CONF=/etc/nova/nova.conf" },
		{ OPT_BOOL, 0, "force", &force, NULL, "patch over uncommitted changes to the patched files" },
		{ OPT_BOOL, 0, "dry-run", &dry_run, NULL, "check everything and say what would change; change nothing" },
		OPT_END_MARKER,
	};
	const char **args = NULL;
	size_t n_args = 0;
	int rc;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc)) {
		opt_list_release(&vars);
		return rc;
	}
	if (n_args != 1) {
		fprintf(stderr, "greenbench run: expected one SCENARIO file, got %zu; see 'greenbench run "
				"--help'\n", n_args);
		free(args);
		opt_list_release(&vars);
		return GB_EXIT_USAGE;
	}
	struct gb_err err = { GB_EXIT_USAGE, "" };
	struct scenario *sc = NULL;
	hostchange_install_signals();
	if (scenario_load(args[0], &sc, &err) != 0) {
		free(args);
		opt_list_release(&vars);
		return cmd_fail("run", &err);
	}
	if (sc->n_steps > 0 && !workload_is_built()) {
		gb_errf(&err, GB_EXIT_USAGE, "%s: the workload (%zu step(s)) needs the API part, which "
					     "is not built into this greenbench; use workload: []",
			sc->path, sc->n_steps);
		rc = cmd_fail("run", &err);
		scenario_free(sc);
		free(args);
		opt_list_release(&vars);
		return rc;
	}
	struct hostchange_opts ho = {
		.units_file = units, .state_dir = state_dir, .vars = vars.items, .n_vars = vars.n_items,
		.force = force, .dry_run = dry_run, .progress = progress,
	};
	struct hostchange *hc = NULL;
	if (hostchange_begin(sc, &ho, &hc, &err) != 0) {
		rc = cmd_fail("run", &err);
		goto out;
	}
	/* The run, step by step; later parts (collect, store) add theirs here. */
	const struct hostchange_step steps[] = {
		{ "config", hostchange_apply_config, NULL },
		{ "patches", hostchange_apply_patches, NULL },
		{ "fake-computes", hostchange_scale_computes, NULL },
		{ "restart", hostchange_restart_units, NULL },
		{ "workload", run_workload, sc }, /* WORKLOAD HOOK */
	};
	if (!dry_run)
		fprintf(stderr, "run %s of %s (state in %s)\n", hostchange_run_id(hc), sc->name,
			hostchange_state_dir(hc));
	int step_rc = hostchange_run_steps(hc, steps, GB_ARRAY_SIZE(steps), &err);
	struct gb_err rerr = { GB_EXIT_ENV, "" };
	int restore_rc = hostchange_finish(hc, &rerr);
	size_t n_t;
	const struct hostchange_timing *t = hostchange_timings(hc, &n_t);
	fprintf(stderr, "summary:\n");
	for (size_t i = 0; i < n_t; i++)
		fprintf(stderr, "  %-28s %8.2f s\n", t[i].name, t[i].secs);
	if (step_rc != 0)
		rc = cmd_fail("run", &err);
	else
		rc = GB_EXIT_OK;
	if (restore_rc != 0) {
		fprintf(stderr, "greenbench run: RESTORE INCOMPLETE: %s\n", rerr.msg);
		rc = GB_EXIT_ENV;
	} else if (step_rc != 0 || hostchange_interrupted()) {
		fprintf(stderr, "greenbench run: the host is restored\n");
		if (hostchange_interrupted())
			rc = GB_EXIT_INTERRUPTED;
	} else if (!dry_run) {
		fprintf(stderr, "run %s done; the host is restored\n", hostchange_run_id(hc));
	}
out:
	hostchange_free(hc);
	scenario_free(sc);
	free(args);
	opt_list_release(&vars);
	return rc;
}

/*
 * cmd_verdict.h - what ab, nightly, trend and compare share on the command line: the
 * run options of runner_opts, --min-effect parsing, progress lines, a scenario given
 * as a name or a file. CLI layer: may print to stderr; never exits.
 */
#ifndef GB_CMD_VERDICT_H
#define GB_CMD_VERDICT_H

#include "cli/cmd.h"
#include "run/runner.h"

/* The run options ab and nightly take (values filled by opts_parse). */
struct cmd_run_args {
	const char *cloud, *units, *state_dir, *db, *cacert;
	struct opt_list vars;
	int force, insecure, keep_dumps;
};

#define CMD_RUN_ARGS_OPTS(ra) \
	{ OPT_STRING, 0, "os-cloud", &(ra).cloud, "NAME", "clouds.yaml entry (overrides the scenario's)" }, \
	{ OPT_STRING, 0, "cloud", &(ra).cloud, "NAME", "same as --os-cloud" }, \
	{ OPT_STRING, 0, "units", &(ra).units, "FILE", "units file (overrides the scenario's)" }, \
	{ OPT_STRING, 0, "state-dir", &(ra).state_dir, "DIR", "journal and state directory" }, \
	{ OPT_LIST, 0, "var", &(ra).vars, "NAME=PATH", "a devstack variable for post-config paths" }, \
	{ OPT_BOOL, 0, "force", &(ra).force, NULL, "patch over uncommitted changes" }, \
	{ OPT_BOOL, 0, "keep-dumps", &(ra).keep_dumps, NULL, "keep each run's dumps once stored" }, \
	{ OPT_BOOL, 0, "insecure", &(ra).insecure, NULL, "do not verify TLS certificates" }, \
	{ OPT_STRING, 0, "os-cacert", &(ra).cacert, "FILE", "CA bundle for TLS" }, \
	{ OPT_STRING, 0, "cacert", &(ra).cacert, "FILE", "same as --os-cacert" }, \
	{ OPT_STRING, 0, "db", &(ra).db, "FILE", "the results store" }

/* runner_opts from the parsed arguments (progress prints "greenbench CMD: LINE" to stderr). */
void cmd_verdict_runner_opts(const struct cmd_run_args *ra, const char *cmd, struct runner_opts *o);

/* Print one progress line to stderr; arg is the command name. */
void cmd_verdict_progress(void *arg, const char *line);

/* "5", "5%" or "2.5" percent -> 0.05, 0.05, 0.025; -1 when not a percentage. */
int cmd_verdict_pct(const char *s, double *out);

#endif

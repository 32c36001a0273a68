/*
 * cmd_verdict.c - helpers ab, nightly, trend and compare share (cmd_verdict.h).
 * CLI layer: progress goes to stderr; never exits.
 */
#include "cli/cmd_verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_verdict_progress(void *arg, const char *line)
{
	fprintf(stderr, "greenbench %s: %s\n", arg ? (const char *)arg : "run", line);
	fflush(stderr);
}

void cmd_verdict_runner_opts(const struct cmd_run_args *ra, const char *cmd, struct runner_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cloud = ra->cloud;
	o->units_file = ra->units;
	o->state_dir = ra->state_dir;
	o->vars = ra->vars.items;
	o->n_vars = ra->vars.n_items;
	o->force = ra->force;
	o->keep_dumps = ra->keep_dumps;
	o->insecure = ra->insecure;
	o->cacert = ra->cacert;
	o->db = ra->db;
	o->progress = cmd_verdict_progress;
	o->progress_arg = (void *)cmd;
}

int cmd_verdict_pct(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || (*end && strcmp(end, "%")) || !(v >= 0 && v < 1000))
		return -1;
	*out = v / 100;
	return 0;
}

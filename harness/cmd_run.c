/*
 * cmd_run.c - `greenbench run`: run a scenario: change the host, restart units, fire requests, profile, store, restore.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "run",
	.summary = "run a scenario: change the host, restart units, fire requests, profile, store, restore",
	.synopsis = "greenbench run SCENARIO [--cloud NAME] [--units FILE] [--db FILE] [--label L]",
	.description = "Runs SCENARIO once (repeat times): journal, apply local.conf and patches,\nscale fake computes, restart units, fire the workload, collect profiles,\nstore the run, restore the host.",
};

int cmd_run(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_nightly.c - `greenbench nightly`: run and judge against the history of the scenario.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "nightly",
	.summary = "run and judge against the history of the scenario",
	.synopsis = "greenbench nightly SCENARIO...",
	.description = "Runs each scenario, then judges it against the history of the same scenario.",
};

int cmd_nightly(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

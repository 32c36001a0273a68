/*
 * cmd_trend.c - `greenbench trend`: the series of a scenario's runs and its change points.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "trend",
	.summary = "the series of a scenario's runs and its change points",
	.synopsis = "greenbench trend SCENARIO [--metric M]",
	.description = "Prints the series of a scenario's runs with change points.",
};

int cmd_trend(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_show.c - `greenbench show`: show one stored run.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "show",
	.summary = "show one stored run",
	.synopsis = "greenbench show RUN [--db FILE]",
	.description = "Shows one stored run: scenario, host, requests, profiles, SLA.",
};

int cmd_show(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_report.c - `greenbench report`: write a text/JSON/HTML report of a run.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "report",
	.summary = "write a text/JSON/HTML report of a run",
	.synopsis = "greenbench report RUN [--html FILE] [--json]",
	.description = "Writes a report of a stored run.",
};

int cmd_report(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

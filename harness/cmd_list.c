/*
 * cmd_list.c - `greenbench list`: list stored runs.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "list",
	.summary = "list stored runs",
	.synopsis = "greenbench list [--db FILE] [--scenario NAME]",
	.description = "Lists the stored runs, newest first.",
};

int cmd_list(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_restore.c - `greenbench restore`: undo the host changes of an interrupted run.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "restore",
	.summary = "undo the host changes of an interrupted run",
	.synopsis = "greenbench restore [--state-dir DIR]",
	.description = "Walks the journal of an interrupted run backwards and restores every file,\npatch and unit it describes.",
};

int cmd_restore(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

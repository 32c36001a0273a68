/*
 * cmd_export.c - `greenbench export`: export a run's profiles (prof, callgrind, collapsed, json).
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "export",
	.summary = "export a run's profiles (prof, callgrind, collapsed, json)",
	.synopsis = "greenbench export RUN --format prof|callgrind|collapsed|json [-o FILE]",
	.description = "Exports a run's profiles losslessly.",
};

int cmd_export(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

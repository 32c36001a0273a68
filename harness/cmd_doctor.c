/*
 * cmd_doctor.c - `greenbench doctor`: check this host: tools, cloud, units, profiler.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "doctor",
	.summary = "check this host: tools, cloud, units, profiler",
	.synopsis = "greenbench doctor [--cloud NAME] [--units FILE]",
	.description = "Checks what a run needs on this host and says what is missing.",
};

int cmd_doctor(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_compare.c - `greenbench compare`: compare two stored runs with statistics and a verdict.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "compare",
	.summary = "compare two stored runs with statistics and a verdict",
	.synopsis = "greenbench compare A B [--min-effect PCT] [--json|--tap|--junit]",
	.description = "Compares run B against run A (ids, labels, last, last~N).",
};

int cmd_compare(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

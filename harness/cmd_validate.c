/*
 * cmd_validate.c - `greenbench validate`: check scenario files without touching anything.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "validate",
	.summary = "check scenario files without touching anything",
	.synopsis = "greenbench validate FILE...",
	.description = "Loads and validates each scenario file; touches nothing.",
};

int cmd_validate(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

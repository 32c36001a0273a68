/*
 * cmd_ab.c - `greenbench ab`: before/after a patch, interleaved blocks, one verdict.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "ab",
	.summary = "before/after a patch, interleaved blocks, one verdict",
	.synopsis = "greenbench ab SCENARIO --patch FILE [--patch FILE...] [--repeat N]",
	.description = "Runs the baseline and the patched code interleaved and compares them.",
};

int cmd_ab(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_stats.c - `greenbench stats`: pstats-like table of a run's profiles.
 * Not built yet: answers --help with the planned manual and otherwise exits 2.
 */
#include "cmd.h"

static const struct cmd_doc doc = {
	.name = "stats",
	.summary = "pstats-like table of a run's profiles",
	.synopsis = "greenbench stats RUN [--sort cumtime|tottime|ncalls] [--limit N] [--target T]",
	.description = "Prints a pstats-like table aggregated over the run's profiles.",
};

int cmd_stats(int argc, char **argv)
{
	return cmd_not_built(argc, argv, &doc);
}

/*
 * cmd_prune.h - what `greenbench prune` shares with `nightly --keep`: pruning an open store
 * and printing what went and what was kept and why. CLI layer: prints; never exits.
 */
#ifndef GB_CMD_PRUNE_H
#define GB_CMD_PRUNE_H

#include <stdio.h>

#include "cli/cmd.h"
#include "store/store.h"
#include "store/store_prune.h"

/* Prune db as o says and print the outcome to f, each line starting with prefix. */
int cmd_prune_store(struct store *db, const struct store_prune_opts *o, FILE *f,
		    const char *prefix, struct gb_err *err);

/* A duration of more than 0 ("90d", "12h", "30m", "45s"): 0, or -1. */
int cmd_prune_duration(const char *s, double *secs);

#endif

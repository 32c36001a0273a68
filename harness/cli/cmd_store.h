/*
 * cmd_store.h - what the store's read commands (list, show, stats, export, compare)
 * share: the --db option's help, opening the store, resolving RUN, formatting times.
 * CLI layer: these may print errors to stderr; they never exit.
 */
#ifndef GB_CMD_STORE_H
#define GB_CMD_STORE_H

#include <stddef.h>

#include "cli/cmd.h"
#include "store/store.h"

#define CMD_STORE_DB_HELP "the results store (default: see DESCRIPTION)"

#define CMD_STORE_FILES \
	"The store is --db FILE, else $GREENBENCH_DB, else\n" \
	"$XDG_DATA_HOME/greenbench/results.db, else ~/.local/share/greenbench/results.db."

#define CMD_STORE_RUN_REFS \
	"RUN is a run id, a label (the newest run with it), 'last', or 'last~N' (N runs\n" \
	"before the last). " CMD_STORE_FILES

/* Open the store for reading; on failure prints "greenbench CMD: ..." and returns NULL
 * with *rc set to the exit code. */
struct store *cmd_store_open(const char *cmd, const char *db_path, int *rc);

/* Resolve a run reference; on failure prints the error and returns -1 with *rc set. */
int cmd_store_resolve(const char *cmd, struct store *db, const char *ref, long long *run_id,
		      int *rc);

/* "2026-11-25 21:50:03" (UTC) into buf; "-" for 0. */
const char *cmd_store_time(double unix_secs, char *buf, size_t n);

/* Seconds as "0.123 s" / "12.3 ms" / "-" for NaN, into buf. */
const char *cmd_store_secs(double secs, char *buf, size_t n);

#endif

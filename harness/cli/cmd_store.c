/*
 * cmd_store.c - helpers the store's read commands share (see cmd_store.h).
 * CLI layer: prints errors to stderr; never exits.
 */
#include "cli/cmd_store.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

struct store *cmd_store_open(const char *cmd, const char *db_path, int *rc)
{
	struct gb_err err = { GB_EXIT_ENV, "" };
	struct store *db = NULL;
	if (store_open_default(db_path, 0, &db, &err)) {
		*rc = cmd_fail(cmd, &err);
		return NULL;
	}
	return db;
}

int cmd_store_resolve(const char *cmd, struct store *db, const char *ref, long long *run_id,
		      int *rc)
{
	struct gb_err err = { GB_EXIT_USAGE, "" };
	if (store_resolve_run(db, ref, run_id, &err)) {
		*rc = cmd_fail(cmd, &err);
		return -1;
	}
	return 0;
}

const char *cmd_store_time(double unix_secs, char *buf, size_t n)
{
	if (!(unix_secs > 0)) {
		snprintf(buf, n, "-");
		return buf;
	}
	time_t t = (time_t)unix_secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *cmd_store_secs(double secs, char *buf, size_t n)
{
	if (isnan(secs))
		snprintf(buf, n, "-");
	else if (fabs(secs) < 0.1)
		snprintf(buf, n, "%.2f ms", secs * 1e3);
	else
		snprintf(buf, n, "%.3f s", secs);
	return buf;
}

/*
 * cmd_prune.c - `greenbench prune`: remove old runs from the store (by age, by count per
 * scenario, by label), keeping what a kept verdict needs, and give the space back. CLI
 * layer: parses, prints; the plan and the removal are store_prune().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_prune.h"
#include "cli/cmd_store.h"
#include "store/store_prune.h"

static const struct cmd_doc doc = {
	.name = "prune",
	.summary = "remove old runs from the store, keeping what verdicts need",
	.synopsis = "greenbench prune [--older-than DURATION] [--keep-last N] [--label L]\n"
		    "                 [--history N] [--dry-run] [--db FILE]",
	.description =
		"Removes the runs that match every rule given (at least one is needed):\n"
		"--older-than DURATION (started before now minus DURATION: 90d, 12h, 30m),\n"
		"--keep-last N (all but the newest N runs of each scenario), --label L (runs\n"
		"with that label). Everything a run has goes with it: requests, servers,\n"
		"profiles and their stats, SLA results.\n\n"
		"Never removed, even when they match (each is listed with the reason):\n"
		"  baselines       a run marked with `nightly --mark-baseline`: the history\n"
		"                  nightly judges against starts there;\n"
		"  nightly history the last N good runs (--history, default 30, as nightly's)\n"
		"                  of each scenario on each host and fake-compute count, from\n"
		"                  its newest baseline on: what the next night is judged\n"
		"                  against;\n"
		"  ab experiments  every run of an ab experiment of which any run is kept or\n"
		"                  not selected: its verdict needs all of them. An experiment\n"
		"                  whose runs all match goes whole.\n\n"
		"Then the freed pages go back to the file system (an incremental vacuum; a\n"
		"store made by an older greenbench gets one full VACUUM, which switches it to\n"
		"incremental) and the WAL is checkpointed and truncated. Readers (list, show,\n"
		"nightly's judging) may go on meanwhile; a run storing at that moment waits\n"
		"for it. --dry-run says what would go and changes nothing.\n\n"
		CMD_STORE_FILES,
	.exit_status = "0  pruned (or nothing matched)\n"
		       "2  bad usage\n"
		       "3  the store could not be read or changed (nothing was removed)\n",
	.examples = "greenbench prune --older-than 90d --dry-run\n"
		    "greenbench prune --keep-last 100\n"
		    "greenbench prune --label scratch",
};

static void print_result(FILE *f, const struct store_prune_result *r, bool dry_run, const char *prefix)
{
	size_t n_kept = r->n_runs - r->n_removed;
	for (size_t i = 0; i < r->n_runs; i++) {
		const struct store_prune_run *p = &r->runs[i];
		char when[32];
		cmd_store_time(p->started_at, when, sizeof(when));
		if (p->why == STORE_PRUNE_REMOVED && !dry_run)
			continue;
		fprintf(f, "%s%s run %lld (%s, %s%s%s)", prefix,
		       p->why == STORE_PRUNE_REMOVED ? "would remove" : "keep", p->id, p->scenario, when,
		       p->label ? ", label " : "", p->label ? p->label : "");
		if (p->ab_id)
			fprintf(f, " of ab experiment %lld", p->ab_id);
		if (p->why != STORE_PRUNE_REMOVED)
			fprintf(f, ": %s", store_prune_why_name(p->why));
		fprintf(f, "\n");
	}
	fprintf(f, "%s%s %zu run%s", prefix, dry_run ? "would remove" : "removed", r->n_removed,
	       r->n_removed == 1 ? "" : "s");
	if (r->n_ab_removed)
		fprintf(f, " (%zu whole ab experiment%s)", r->n_ab_removed, r->n_ab_removed == 1 ? "" : "s");
	fprintf(f, "; kept %zu that matched", n_kept);
	if (!dry_run && r->n_removed)
		fprintf(f, "; the store went from %lld to %lld bytes%s", r->bytes_before, r->bytes_after,
		       r->is_wal_busy ? " (a reader kept the WAL from being truncated; the next "
					"checkpoint does it)" : "");
	fprintf(f, "\n");
}

int cmd_prune_store(struct store *db, const struct store_prune_opts *o, FILE *f,
		    const char *prefix, struct gb_err *err)
{
	struct store_prune_result r;
	if (store_prune(db, o, &r, err) != 0)
		return -1;
	print_result(f, &r, o->dry_run, prefix);
	fflush(f);
	store_prune_result_release(&r);
	return 0;
}

int cmd_prune_duration(const char *s, double *secs)
{
	return gb_parse_duration(s, secs) == 0 && *secs > 0 ? 0 : -1;
}

int cmd_prune(int argc, char **argv)
{
	const char *older = NULL, *label = NULL, *db_path = NULL;
	long keep_last = -1, history = 30;
	int dry_run = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "older-than", &older, "DURATION", "runs started before now minus DURATION (90d, 12h)" },
		{ OPT_INT, 0, "keep-last", &keep_last, "N", "all but the newest N runs of each scenario" },
		{ OPT_STRING, 0, "label", &label, "L", "runs with label L" },
		{ OPT_INT, 0, "history", &history, "N", "nightly's window that is kept (default 30)" },
		{ OPT_BOOL, 'n', "dry-run", &dry_run, NULL, "say what would be removed; change nothing" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	if (!cmd_parse_none(argc, argv, &doc, opts, &rc))
		return rc;
	struct store_prune_opts po = { .older_than = -1, .keep_last = keep_last, .label = label,
				       .history = history > 0 ? (size_t)history : 0,
				       .now = (double)time(NULL), .dry_run = dry_run };
	const char *bad = !older && keep_last < 0 && !label
				  ? "say what to remove: --older-than, --keep-last or --label"
			  : older && cmd_prune_duration(older, &po.older_than)
				  ? "--older-than takes a duration like 90d, 12h or 30m"
			  : keep_last < -1 ? "--keep-last takes a count, 0 or more"
			  : history < 0 ? "--history takes a count, 0 or more" : NULL;
	if (bad) {
		fprintf(stderr, "greenbench prune: %s; see 'greenbench prune --help'\n", bad);
		return GB_EXIT_USAGE;
	}
	struct store *db = cmd_store_open("prune", db_path, &rc);
	if (!db)
		return rc;
	struct gb_err err = { GB_EXIT_ENV, "" };
	rc = cmd_prune_store(db, &po, stdout, "", &err) ? cmd_fail("prune", &err) : GB_EXIT_OK;
	store_close(db);
	return rc;
}

/*
 * cmd_export.c - `greenbench export`: a run's profiles as a cProfile .prof (pstats,
 * SnakeViz, gprof2dot), callgrind (KCachegrind), folded stacks (flame graphs) or JSON.
 * CLI layer: reads the store, writes one file (atomically) or stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_store.h"

static const struct cmd_doc doc = {
	.name = "export",
	.summary = "export a run's profiles (prof, callgrind, collapsed, json)",
	.synopsis = "greenbench export RUN --format prof|callgrind|collapsed|json [-o FILE]\n"
		    "                  [--profile N] [--target T] [--db FILE]",
	.description =
		"Writes the run's profiles summed together (pstats.Stats.add), or only its\n"
		"N-th profile with --profile N, in one of these formats:\n"
		"  prof       cProfile's marshal dump; `python3 -m pstats FILE`, SnakeViz and\n"
		"             gprof2dot read it. With --profile N it is the dump exactly as the\n"
		"             service wrote it (stored compressed, checked by its sha256).\n"
		"  callgrind  for KCachegrind / callgrind_annotate; the event is ns.\n"
		"  collapsed  folded stacks for flamegraph.pl / speedscope, in microseconds,\n"
		"             APPROXIMATED from caller edges: a function's time is split among\n"
		"             its callers in proportion to their share of its cumtime.\n"
		"  json       every function with its callers and all four numbers.\n"
		"Without -o the result goes to stdout (prof only when stdout is not a terminal).\n"
		CMD_STORE_RUN_REFS,
	.examples = "greenbench export last --format prof -o last.prof && python3 -m pstats last.prof\n"
		    "greenbench export 3 --format callgrind -o callgrind.out.3\n"
		    "greenbench export last --format collapsed | flamegraph.pl > flame.svg\n"
		    "greenbench export last --profile 1 --format prof -o raw.prof",
};

int cmd_export(int argc, char **argv)
{
	const char *db_path = NULL, *format = NULL, *out_path = NULL, *target = NULL;
	long profile_no = 0;
	int rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 'f', "format", &format, "FMT", "prof, callgrind, collapsed or json (required)" },
		{ OPT_STRING, 'o', "output", &out_path, "FILE", "write to FILE (atomically) instead of stdout" },
		{ OPT_INT, 0, "profile", &profile_no, "N", "only the run's N-th profile (1-based)" },
		{ OPT_STRING, 't', "target", &target, "T", "only profiles whose target contains T" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	static const char *const formats[] = { "prof", "callgrind", "collapsed", "json", NULL };
	const char *ref = NULL;
	if (!cmd_parse_one(argc, argv, &doc, opts, "RUN", &ref, &rc))
		return rc;
	int fmt = -1;
	for (int i = 0; format && formats[i]; i++)
		if (!strcmp(format, formats[i]))
			fmt = i;
	if (fmt < 0) {
		const char *s = format ? gb_suggest(format, formats) : NULL;
		fprintf(stderr, "greenbench export: %s%s%s; choose prof, callgrind, collapsed or json%s%s%s\n",
			format ? "unknown format '" : "--format is required", format ? format : "",
			format ? "'" : "", s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		return GB_EXIT_USAGE;
	}
	if (profile_no < 0) {
		fprintf(stderr, "greenbench export: --profile must be 1 or more\n");
		return GB_EXIT_USAGE;
	}
	if (fmt == 0 && !out_path && isatty(1)) {
		fprintf(stderr, "greenbench export: a .prof is binary; refusing to write it to a terminal "
				"(use -o FILE or a pipe)\n");
		return GB_EXIT_USAGE;
	}
	struct store *db = cmd_store_open("export", db_path, &rc);
	if (!db)
		return rc;
	long long run;
	if (cmd_store_resolve("export", db, ref, &run, &rc)) {
		store_close(db);
		return rc;
	}
	struct gb_err err = { GB_EXIT_ENV, "" };
	struct strbuf out = STRBUF_INIT;
	if (fmt == 0 && profile_no > 0 && !target) {
		/* lossless: the dump as the service wrote it */
		rc = store_profile_raw(db, run, (int)profile_no, &out, &err);
	} else {
		struct pstats *ps = NULL;
		int n_profiles = 0;
		rc = store_run_pstats(db, run, target, (int)profile_no, 1, &ps, &n_profiles, &err);
		if (rc == 0 && n_profiles == 0)
			rc = gb_errf(&err, GB_EXIT_USAGE, "run %lld has no profiles%s%s", run,
				     target ? " with a target containing " : "", target ? target : "");
		if (rc == 0) {
			char cmd[128];
			snprintf(cmd, sizeof(cmd), "greenbench export %lld (%d profiles summed)", run, n_profiles);
			if (fmt == 0)
				pstats_write_marshal(ps, &out);
			else if (fmt == 1)
				pstats_write_callgrind(ps, cmd, &out);
			else if (fmt == 2)
				pstats_write_collapsed(ps, &out);
			else
				pstats_write_json(ps, &out);
		}
		pstats_free(ps);
	}
	store_close(db);
	if (rc == 0) {
		if (out_path) {
			rc = gb_write_file_atomic(out_path, out.buf, out.len, 0644, &err);
		} else if (out.len && fwrite(out.buf, 1, out.len, stdout) != out.len) {
			rc = gb_errf(&err, GB_EXIT_ENV, "writing to stdout failed");
		}
	}
	sb_release(&out);
	if (rc)
		return cmd_fail("export", &err);
	return GB_EXIT_OK;
}

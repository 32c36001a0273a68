/*
 * cmd_stats.c - `greenbench stats`: a pstats-like table of a run's profiles summed
 * together (pstats.Stats.add), sorted and limited; text or JSON.
 * CLI layer: reads the store, prints; never changes the store.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_store.h"

static const struct cmd_doc doc = {
	.name = "stats",
	.summary = "pstats-like table of a run's profiles",
	.synopsis = "greenbench stats RUN [--sort cumtime|tottime|ncalls|pcalls] [--limit N]\n"
		    "                 [--target T] [--profile N] [--json] [--db FILE]",
	.description =
		"Prints the run's profiles summed together, like pstats.Stats.add() would, as\n"
		"pstats prints them: ncalls (total/primitive when they differ), tottime, tottime\n"
		"per call, cumtime, cumtime per primitive call, filename:lineno(function).\n"
		"Times are seconds summed over the profiles (divide by the profile count in the\n"
		"header for a per-call view).\n"
		CMD_STORE_RUN_REFS,
	.examples = "greenbench stats last --sort cumtime --limit 20\n"
		    "greenbench stats 3 --target select_destinations --sort tottime\n"
		    "greenbench stats last --profile 1 --json",
};

static const char *const sort_keys[] = { "cumtime", "tottime", "ncalls", "pcalls", NULL };
static int sort_key;

static int cmp_func(const void *a, const void *b)
{
	const struct pstats_func *x = *(const struct pstats_func *const *)a;
	const struct pstats_func *y = *(const struct pstats_func *const *)b;
	double kx = 0, ky = 0;
	switch (sort_key) {
	case 0: kx = x->ct; ky = y->ct; break;
	case 1: kx = x->tt; ky = y->tt; break;
	case 2: kx = (double)x->nc; ky = (double)y->nc; break;
	default: kx = (double)x->cc; ky = (double)y->cc; break;
	}
	if (kx != ky)
		return kx > ky ? -1 : 1;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->name, y->name);
}

int cmd_stats(int argc, char **argv)
{
	const char *db_path = NULL, *sort = "cumtime", *target = NULL;
	long limit = 0, profile_no = 0;
	int json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 's', "sort", &sort, "KEY", "cumtime (default), tottime, ncalls or pcalls" },
		{ OPT_INT, 'n', "limit", &limit, "N", "print the first N functions (default: all)" },
		{ OPT_STRING, 't', "target", &target, "T", "only profiles whose target contains T" },
		{ OPT_INT, 0, "profile", &profile_no, "N", "only the run's N-th profile (1-based)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print JSON instead of a table" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	const char *ref = NULL;
	if (!cmd_parse_one(argc, argv, &doc, opts, "RUN", &ref, &rc))
		return rc;
	sort_key = -1;
	for (int i = 0; sort_keys[i]; i++)
		if (!strcmp(sort, sort_keys[i]))
			sort_key = i;
	if (sort_key < 0) {
		const char *s = gb_suggest(sort, sort_keys);
		fprintf(stderr, "greenbench stats: --sort '%s' is not cumtime, tottime, ncalls or pcalls%s%s%s\n",
			sort, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
		return GB_EXIT_USAGE;
	}
	if (limit < 0 || profile_no < 0) {
		fprintf(stderr, "greenbench stats: --limit and --profile must be 0 or more\n");
		return GB_EXIT_USAGE;
	}
	struct store *db = cmd_store_open("stats", db_path, &rc);
	if (!db)
		return rc;
	long long run;
	if (cmd_store_resolve("stats", db, ref, &run, &rc)) {
		store_close(db);
		return rc;
	}
	struct pstats *ps = NULL;
	int n_profiles = 0;
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (store_run_pstats(db, run, target, (int)profile_no, 0, &ps, &n_profiles, &err)) {
		store_close(db);
		return cmd_fail("stats", &err);
	}
	store_close(db);
	if (n_profiles == 0) {
		fprintf(stderr, "greenbench stats: run %lld has no profiles%s%s\n", run,
			target ? " with a target containing " : "", target ? target : "");
		pstats_free(ps);
		return GB_EXIT_USAGE;
	}
	const struct pstats_func **rows = gb_malloc((ps->n_funcs ? ps->n_funcs : 1) * sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < ps->n_funcs; i++)
		if (ps->funcs[i].is_listed)
			rows[n++] = &ps->funcs[i];
	qsort(rows, n, sizeof(*rows), cmp_func);
	size_t shown = limit && (size_t)limit < n ? (size_t)limit : n;
	struct pstats_totals t;
	pstats_totals(ps, &t);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < shown; i++) {
			const struct pstats_func *f = rows[i];
			json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:I, s:I, s:f, s:f}", "file",
							     f->file, "line", (json_int_t)f->line, "name", f->name,
							     "ncalls", (json_int_t)f->nc, "pcalls", (json_int_t)f->cc,
							     "tottime", f->tt, "cumtime", f->ct));
		}
		json_t *root = json_pack("{s:I, s:i, s:s, s:I, s:I, s:I, s:f, s:o}", "run", (json_int_t)run,
					 "n_profiles", n_profiles, "sort", sort_keys[sort_key],
					 "n_functions", (json_int_t)n, "total_calls", (json_int_t)t.total_calls,
					 "prim_calls", (json_int_t)t.prim_calls, "total_tt", t.total_tt,
					 "functions", arr);
		/* the profiled calls' own times, summed; null when a dump lacks them */
		json_object_set_new(root, "cpu_time", ps->times.is_known ? json_real(ps->times.cpu_ns * 1e-9) : json_null());
		json_object_set_new(root, "wall_time", ps->times.is_known ? json_real(ps->times.wall_ns * 1e-9) : json_null());
		json_object_set_new(root, "wait_time", ps->times.is_known ? json_real(ps->times.wait_ns * 1e-9) : json_null());
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(root);
	} else {
		static const char *const order[] = { "cumulative time", "internal time", "call count",
						     "primitive call count" };
		printf("run %lld: %d profile%s%s%s\n\n", run, n_profiles, n_profiles == 1 ? "" : "s",
		       target ? " of targets containing " : "", target ? target : "");
		if (ps->times.is_known)
			printf("   the profiled call%s' own time: CPU %.3f s, wall %.3f s, of which waiting %.3f s "
			       "(%s)\n\n", n_profiles == 1 ? "" : "s", ps->times.cpu_ns * 1e-9, ps->times.wall_ns * 1e-9,
			       ps->times.wait_ns * 1e-9, ps->times.mode[0] ? ps->times.mode : "mode unknown");
		else
			printf("   the profiled call's CPU time: unknown (dumps without greenprof's times)\n\n");
		printf("         %lld function calls", t.total_calls);
		if (t.total_calls != t.prim_calls)
			printf(" (%lld primitive calls)", t.prim_calls);
		printf(" in %.3f seconds\n\n   Ordered by: %s\n", t.total_tt, order[sort_key]);
		if (shown < n)
			printf("   List reduced from %zu to %zu due to restriction <%ld>\n", n, shown, limit);
		printf("\n   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n");
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < shown; i++) {
			const struct pstats_func *f = rows[i];
			char calls[48];
			if (f->nc != f->cc)
				snprintf(calls, sizeof(calls), "%lld/%lld", f->nc, f->cc);
			else
				snprintf(calls, sizeof(calls), "%lld", f->nc);
			printf("%9s %8.3f ", calls, f->tt);
			if (f->nc)
				printf("%8.3f ", f->tt / (double)f->nc);
			else
				printf("         ");
			printf("%8.3f ", f->ct);
			if (f->cc)
				printf("%8.3f ", f->ct / (double)f->cc);
			else
				printf("         ");
			sb_reset(&sb);
			pstats_func_label(f, &sb);
			printf("%s\n", sb_str(&sb));
		}
		sb_release(&sb);
	}
	free(rows);
	pstats_free(ps);
	return GB_EXIT_OK;
}

/*
 * cmd_trend.c - `greenbench trend`: one row per run of a scenario (date, run, label,
 * the run's median of a metric) with the change points marked. CLI layer: reads the
 * store, prints; never changes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_store.h"
#include "judge/history.h"
#include "report/report.h"
#include "scenario/scenario.h"

static const struct cmd_doc doc = {
	.name = "trend",
	.summary = "the series of a scenario's runs and its change points",
	.synopsis = "greenbench trend SCENARIO [--metric M] [--limit N] [--json] [--db FILE]",
	.description =
		"Prints the good runs of SCENARIO (a scenario name, or its YAML file), oldest\n"
		"first: date, run id, label, the run's median of the metric, the change from the\n"
		"run before, and a marker where a change point (E-Divisive, permutation test)\n"
		"starts a new level. The metric is the profiled call's wall time by default;\n"
		"--metric cpu|busy|post|active|deleted or a full metric name as compare prints it.\n"
		CMD_STORE_FILES,
	.examples = "greenbench trend select_destinations\n"
		    "greenbench trend select_destinations --metric post --json",
};

int cmd_trend(int argc, char **argv)
{
	const char *db_path = NULL, *metric = NULL;
	long limit = 60;
	int json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 'm', "metric", &metric, "M", "the series (default: the profiled call)" },
		{ OPT_INT, 'n', "limit", &limit, "N", "the last N runs (default 60)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print JSON" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc))
		return rc;
	const char *name = n_args == 1 ? args[0] : NULL;
	free(args);
	if (!name || limit < 2) {
		fprintf(stderr, "greenbench trend: %s; see 'greenbench trend --help'\n",
			name ? "--limit must be 2 or more" : "expected one SCENARIO");
		return GB_EXIT_USAGE;
	}
	struct gb_err err = { GB_EXIT_USAGE, "" };
	struct scenario *sc = NULL;
	size_t len = strlen(name);
	if (strchr(name, '/') || (len > 5 && (!strcmp(name + len - 5, ".yaml") || !strcmp(name + len - 4, ".yml")))) {
		if (scenario_load(name, &sc, &err))
			return cmd_fail("trend", &err);
		name = sc->name;
	}
	struct store *db = cmd_store_open("trend", db_path, &rc);
	if (!db) {
		scenario_free(sc);
		return rc;
	}
	struct history_opts o = HISTORY_OPTS_DEFAULT;
	o.max_runs = (size_t)limit;
	o.metric = metric;
	struct history_series s;
	if (history_series_load(db, name, &o, &s, &err)) {
		rc = cmd_fail("trend", &err);
	} else {
		struct strbuf out = STRBUF_INIT;
		if (json)
			report_trend_json(&s, &out);
		else
			report_trend_text(&s, &out);
		fwrite(sb_str(&out), 1, out.len, stdout);
		sb_release(&out);
		history_series_release(&s);
	}
	store_close(db);
	scenario_free(sc);
	return rc;
}

/*
 * cmd_report.c - `greenbench report`: a stored run as text (default), JSON, or a
 * self-contained HTML page (inline CSS and SVG: latency charts, timeline, flame
 * graph; no script, no network). CLI layer: reads the store, prints or writes FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_store.h"
#include "report/report.h"

static const struct cmd_doc doc = {
	.name = "report",
	.summary = "write a text/JSON/HTML report of a run",
	.synopsis = "greenbench report RUN [--html FILE] [--json] [--compare OTHER] [--db FILE]",
	.description =
		"Summarizes a stored run: scenario, host conditions (a run taken on a busy host\n"
		"is flagged), each latency with its median, 95th percentile and maximum, and the\n"
		"functions with most own time per profiled call. --compare OTHER adds the verdict\n"
		"of RUN against OTHER. --html FILE writes one self-contained page (inline CSS and\n"
		"SVG: latency histograms, a per-server timeline, a flame graph of the profiled\n"
		"calls) that renders offline: no script, no external reference.\n"
		CMD_STORE_RUN_REFS,
	.examples = "greenbench report last\n"
		    "greenbench report last --html report.html --compare last~1",
};

int cmd_report(int argc, char **argv)
{
	const char *db_path = NULL, *html = NULL, *other_ref = NULL;
	int json = 0, rc = GB_EXIT_OK;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "html", &html, "FILE", "write a self-contained HTML report to FILE" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print JSON" },
		{ OPT_STRING, 0, "compare", &other_ref, "OTHER", "add the verdict of RUN against OTHER" },
		{ OPT_STRING, 0, "db", &db_path, "FILE", CMD_STORE_DB_HELP },
		OPT_END_MARKER,
	};
	const char *ref = NULL;
	if (!cmd_parse_one(argc, argv, &doc, opts, "RUN", &ref, &rc))
		return rc;
	struct store *db = cmd_store_open("report", db_path, &rc);
	if (!db)
		return rc;
	long long run, other = 0;
	if (cmd_store_resolve("report", db, ref, &run, &rc) ||
	    (other_ref && cmd_store_resolve("report", db, other_ref, &other, &rc))) {
		store_close(db);
		return rc;
	}
	struct gb_err err = { GB_EXIT_ENV, "" };
	struct strbuf out = STRBUF_INIT;
	int failed;
	if (html)
		failed = report_run_html(db, run, other, &out, &err) ||
			 gb_write_file_atomic(html, out.buf, out.len, 0644, &err);
	else if (json)
		failed = report_run_json(db, run, other, &out, &err);
	else
		failed = report_run_text(db, run, other, &out, &err);
	store_close(db);
	if (failed) {
		sb_release(&out);
		return cmd_fail("report", &err);
	}
	if (html)
		printf("wrote %s (%zu bytes)\n", html, out.len);
	else
		fwrite(sb_str(&out), 1, out.len, stdout);
	sb_release(&out);
	return GB_EXIT_OK;
}

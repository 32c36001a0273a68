/*
 * report.h - renders verdicts and runs for people and machines: the compare table,
 * JSON, TAP, JUnit, the nightly judgement, and a run's text/JSON/HTML report (inline CSS
 * and SVG: timeline, histogram, flame graph; no script, no network). Appends to a
 * caller-owned strbuf; never prints, never exits.
 */
#ifndef GB_REPORT_H
#define GB_REPORT_H

#include "judge/compare.h"
#include "judge/history.h"
#include "store/store.h"

/* ---- a compare's verdict ---- */

/* The table a person reads in ten seconds: the verdict line, notes, the metrics with
 * medians, change, interval and verdict, then the functions whose own time moved
 * (with callers), then call counts that changed. */
void report_compare_text(const struct compare_verdict *v, struct strbuf *out);
void report_compare_json(const struct compare_verdict *v, struct strbuf *out);
/* TAP 13: one test per metric ("not ok" when slower); functions and counts as
 * diagnostics. */
void report_compare_tap(const struct compare_verdict *v, struct strbuf *out);
/* JUnit XML: a testsuite with a testcase per metric, <failure> when slower. */
void report_compare_junit(const struct compare_verdict *v, const char *suite, struct strbuf *out);

/* "slower", "faster", "inconclusive" or "no change" for the whole compare. */
const char *report_compare_word(const struct compare_verdict *v);

/* ---- a nightly judgement ---- */

void report_nightly_text(const struct history_judgement *j, struct strbuf *out);
/* One line of JSON (JSON lines: one per scenario). */
void report_nightly_json(const struct history_judgement *j, struct strbuf *out);

/* A scenario nightly could not judge (its run failed): name and the one-line reason. */
struct report_nightly_error {
	char *scenario;
	char *message;
};

/* JUnit of several scenarios: one testcase each, <failure> on a regression, <error> for
 * a scenario whose run could not be made or judged. */
void report_nightly_junit(const struct history_judgement *const *j, size_t n,
			  const struct report_nightly_error *errors, size_t n_errors, struct strbuf *out);

/* ---- a trend ---- */

void report_trend_text(const struct history_series *s, struct strbuf *out);
void report_trend_json(const struct history_series *s, struct strbuf *out);

/* ---- one run ---- */

/* Text summary of run: scenario, host facts (busy-host warning), metrics, top
 * functions. other > 0 adds the compare against that run. */
int report_run_text(struct store *db, long long run, long long other, struct strbuf *out,
		    struct gb_err *err);
int report_run_json(struct store *db, long long run, long long other, struct strbuf *out,
		    struct gb_err *err);
/* A self-contained HTML page (report_html.c): inline CSS and SVG only, no script and
 * no http(s) reference. */
int report_run_html(struct store *db, long long run, long long other, struct strbuf *out,
		    struct gb_err *err);

/* The options of a report's --compare: defaults, but runs of other scenarios are compared
 * (the user asked for that pair) with the reason in a note. */
extern const struct compare_opts report_compare_opts;

/* Escape s for HTML/XML text and attributes, appended to out. */
void report_xml_escape(const char *s, struct strbuf *out);

#endif

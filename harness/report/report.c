/*
 * report.c - verdicts and runs rendered as text, JSON, TAP and JUnit: the compare
 * table, the nightly judgement, the trend, a run's summary. Appends to strbufs the
 * caller owns; never prints, never exits. The HTML report is report_html.c.
 */
#include "report/report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct compare_opts report_compare_opts = { VERDICT_ALPHA, VERDICT_MIN_EFFECT, 15, 1, 1, NULL,
						    0.7, 1e-4 };

/* ---- formatting ---- */

static const char *secs(double s, char *buf, size_t n)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else if (fabs(s) < 1e-3)
		snprintf(buf, n, "%.1f us", s * 1e6);
	else if (fabs(s) < 1)
		snprintf(buf, n, "%.2f ms", s * 1e3);
	else
		snprintf(buf, n, "%.3f s", s);
	return buf;
}

static const char *pct(double r, char *buf, size_t n)
{
	if (isnan(r))
		snprintf(buf, n, "-");
	else if (isinf(r))
		snprintf(buf, n, r > 0 ? "new" : "gone");
	else
		snprintf(buf, n, "%+.1f%%", 100 * r);
	return buf;
}

static const char *ci(const struct verdict *v, char *buf, size_t n)
{
	if (v->is_count_fact)
		snprintf(buf, n, "exact");
	else if (isnan(v->ci_low) || isinf(v->ci_low) || isinf(v->ci_high))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "[%+.1f, %+.1f]%%", 100 * v->ci_low, 100 * v->ci_high);
	return buf;
}

static const char *when(double t, char *buf, size_t n)
{
	if (!(t > 0)) {
		snprintf(buf, n, "-");
		return buf;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

static json_t *jnum(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static void dump_json(json_t *root, struct strbuf *out)
{
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	sb_addstr(out, s ? s : "{}");
	sb_addch(out, '\n');
	free(s);
	json_decref(root);
}

void report_xml_escape(const char *s, struct strbuf *out)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': sb_addstr(out, "&amp;"); break;
		case '<': sb_addstr(out, "&lt;"); break;
		case '>': sb_addstr(out, "&gt;"); break;
		case '"': sb_addstr(out, "&quot;"); break;
		case '\'': sb_addstr(out, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				sb_addch(out, ' ');
			else
				sb_addch(out, *s);
		}
	}
}

static void run_list(const long long *ids, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++)
		sb_addf(out, "%s%lld", i ? "," : "", ids[i]);
}

/* ---- compare ---- */

const char *report_compare_word(const struct compare_verdict *v)
{
	return v->is_regression ? "slower" : v->is_improvement ? "faster"
	       : v->is_inconclusive ? "inconclusive" : "no change";
}

/* Does row r decide the answer? The primary rows and the latencies do; the call's wall
 * and busy time beside its CPU time do not. */
static int decides(const struct compare_row *r)
{
	return r->is_primary || !r->is_target;
}

static const char *headline_metric(const struct compare_verdict *v)
{
	for (size_t i = 0; i < v->n_metrics; i++)
		if (decides(&v->metrics[i]) && v->metrics[i].v.kind == VERDICT_SLOWER)
			return v->metrics[i].name;
	for (size_t i = 0; i < v->n_metrics; i++)
		if (decides(&v->metrics[i]) && v->metrics[i].v.kind == VERDICT_FASTER)
			return v->metrics[i].name;
	/* inconclusive: the primary row that is not settled */
	for (size_t i = 0; v->is_inconclusive && i < v->n_metrics; i++)
		if (v->metrics[i].is_primary &&
		    (v->metrics[i].v.kind == VERDICT_INCONCLUSIVE ||
		     v->metrics[i].v.kind == VERDICT_INSUFFICIENT_DATA))
			return v->metrics[i].name;
	return v->n_metrics ? v->metrics[0].name : NULL;
}

static const char *signed_secs(double s, char *buf, size_t n)
{
	char tmp[24];
	secs(fabs(s), tmp, sizeof(tmp));
	size_t len = strlen(tmp);
	if (n < len + 2)
		return secs(s, buf, n);
	buf[0] = isnan(s) ? ' ' : s < 0 ? '-' : '+';
	memcpy(buf + 1, tmp, len + 1);
	return buf;
}

static void func_rows(const struct compare_row *rows, size_t n, struct strbuf *out)
{
	char b1[32], b2[32], b3[32], b4[48], b5[40];
	sb_addf(out, "%10s %10s %11s %8s %18s %8s  %s\n", "A", "B", "B - A", "CHANGE", "CI", "P ADJ",
		"FUNCTION");
	for (size_t i = 0; i < n; i++) {
		const struct compare_row *r = &rows[i];
		sb_addf(out, "%10s %10s %11s %8s %18s %8.2g  %s%s\n", secs(r->v.median_a, b1, sizeof(b1)),
			secs(r->v.median_b, b2, sizeof(b2)), signed_secs(r->delta, b5, sizeof(b5)),
			r->presence > 0 ? "new" : r->presence < 0 ? "gone" : pct(r->v.rel_change, b3, sizeof(b3)),
			ci(&r->v, b4, sizeof(b4)), r->v.p_adjusted, r->name,
			r->presence > 0 ? "  (only B runs it)" : r->presence < 0 ? "  (only A runs it)" : "");
		for (size_t c = 0; c < r->n_callers; c++)
			sb_addf(out, "%71s %s %s\n", "", c ? "      " : "called by", r->callers[c]);
	}
}

/* The busy row of the profiled call, NULL without one. */
static const struct compare_row *busy_row(const struct compare_verdict *v)
{
	for (size_t i = 0; i < v->n_metrics; i++)
		if (v->metrics[i].is_target && !strncmp(v->metrics[i].name, COMPARE_BUSY_PREFIX " ",
							 strlen(COMPARE_BUSY_PREFIX) + 1))
			return &v->metrics[i];
	return NULL;
}

void report_compare_text(const struct compare_verdict *v, struct strbuf *out)
{
	char b1[32], b2[32], b3[32], b4[48];
	sb_addstr(out, "compare ");
	if (v->mode == COMPARE_WITHIN_RUN) {
		sb_addf(out, "run %lld (A) -> run %lld (B)", v->runs_a[0], v->runs_b[0]);
	} else {
		sb_addstr(out, "runs ");
		run_list(v->runs_a, v->n_a, out);
		sb_addstr(out, " (A) -> runs ");
		run_list(v->runs_b, v->n_b, out);
		sb_addstr(out, " (B), one sample per run");
	}
	sb_addf(out, ", scenario %s\n", v->scenario_b ? v->scenario_b : "?");
	const char *hm = headline_metric(v);
	int thin = !v->is_regression && !v->is_improvement && v->n_metrics &&
		   v->metrics[0].v.kind == VERDICT_INSUFFICIENT_DATA;
	char within[64];
	snprintf(within, sizeof(within), "NO CHANGE (within +-%g%%)", 100 * v->min_effect);
	sb_addf(out, "VERDICT: %s", v->is_regression ? "SLOWER (B regressed)"
				  : v->is_improvement ? "FASTER"
				  : thin ? "INCONCLUSIVE (not enough data for a verdict)"
				  : v->is_inconclusive ? "INCONCLUSIVE (not enough evidence either way)"
				  : within);
	for (size_t i = 0; i < v->n_metrics; i++)
		if (hm && !strcmp(v->metrics[i].name, hm)) {
			sb_addf(out, " - %s: %s\n", hm, v->metrics[i].v.reason);
			break;
		}
	if (!hm)
		sb_addstr(out, " - no metric in common\n");
	if (v->n_funcs_slower || v->n_funcs_faster || v->n_counts_changed)
		sb_addf(out, "moved: %zu function%s slower, %zu faster (own time); %zu call count%s changed; "
			     "see below\n", v->n_funcs_slower, v->n_funcs_slower == 1 ? "" : "s",
			v->n_funcs_faster, v->n_counts_changed, v->n_counts_changed == 1 ? "" : "s");
	for (size_t i = 0; i < v->n_notes; i++)
		sb_addf(out, "note: %s\n", v->notes[i]);

	sb_addf(out, "\n%-48s %4s %10s %4s %10s %8s %18s  %s\n", "METRIC", "N A", "MEDIAN A", "N B",
		"MEDIAN B", "CHANGE", "CI", "VERDICT");
	for (size_t i = 0; i < v->n_metrics; i++) {
		const struct compare_row *r = &v->metrics[i];
		sb_addf(out, "%-48.48s %4zu %10s %4zu %10s %8s %18s  %s\n", r->name, r->v.n_a,
			secs(r->v.median_a, b1, sizeof(b1)), r->v.n_b, secs(r->v.median_b, b2, sizeof(b2)),
			pct(r->v.rel_change, b3, sizeof(b3)), ci(&r->v, b4, sizeof(b4)),
			verdict_kind_name(r->v.kind));
	}

	if (v->n_movers) {
		const struct compare_row *br = busy_row(v);
		sb_addstr(out, "\nWHERE THE TIME WENT (own time per profiled call, largest changes first");
		if (br && !isnan(br->delta))
			sb_addf(out, "; the call's busy time moved %s", signed_secs(br->delta, b1, sizeof(b1)));
		sb_addf(out, "; P ADJ below %g%% is flagged below, the others are where to look, not "
			     "verdicts)\n", 100 * v->alpha);
		func_rows(v->movers, v->n_movers, out);
	}
	sb_addf(out, "\nFUNCTIONS WHOSE OWN TIME MOVED (tottime per call; %zu slower, %zu faster of %zu "
		     "tested%s; false discovery rate %g%%, minimum effect %g%%)\n",
		v->n_funcs_slower, v->n_funcs_faster, v->n_funcs_tested,
		v->n_funcs_untested ? ", the tiny ones untested" : "", 100 * v->alpha, 100 * v->min_effect);
	if (!v->n_funcs)
		sb_addstr(out, "  none: no function moved beyond the noise\n");
	else
		func_rows(v->funcs, v->n_funcs, out);
	if (v->n_counts) {
		sb_addf(out, "\nCALL COUNTS THAT CHANGED (%zu; calls per profiled call)\n%10s %10s  %-9s %s\n",
			v->n_counts_changed, "A", "B", "", "FUNCTION");
		for (size_t i = 0; i < v->n_counts; i++) {
			const struct compare_row *r = &v->counts[i];
			sb_addf(out, "%10.6g %10.6g  %-9s %s\n", r->v.median_a, r->v.median_b,
				r->v.is_count_fact ? "fact" : verdict_kind_name(r->v.kind), r->name);
			for (size_t c = 0; c < r->n_callers; c++)
				sb_addf(out, "%32s %s %s\n", "", c ? "      " : "called by", r->callers[c]);
		}
	} else {
		sb_addstr(out, "\nno call count changed\n");
	}
}

static json_t *row_json(const struct compare_row *r, int is_func)
{
	json_t *o = json_object();
	if (is_func) {
		json_object_set_new(o, "function", json_string(r->name));
		json_object_set_new(o, "file", json_string(r->file));
		json_object_set_new(o, "line", json_integer(r->line));
		json_object_set_new(o, "name", json_string(r->func));
		json_object_set_new(o, "cumtime_a", jnum(r->ct_a));
		json_object_set_new(o, "cumtime_b", jnum(r->ct_b));
		json_object_set_new(o, "delta", jnum(r->delta));
		json_object_set_new(o, "presence", json_string(r->presence > 0 ? "only B" :
								r->presence < 0 ? "only A" : "both"));
	} else {
		json_object_set_new(o, "metric", json_string(r->name));
		json_object_set_new(o, "is_target", json_boolean(r->is_target));
		json_object_set_new(o, "is_primary", json_boolean(r->is_primary));
	}
	json_object_set_new(o, "n_a", json_integer((json_int_t)r->v.n_a));
	json_object_set_new(o, "n_b", json_integer((json_int_t)r->v.n_b));
	json_object_set_new(o, "median_a", jnum(r->v.median_a));
	json_object_set_new(o, "median_b", jnum(r->v.median_b));
	json_object_set_new(o, "change", jnum(r->v.rel_change));
	json_object_set_new(o, "ci_low", jnum(r->v.ci_low));
	json_object_set_new(o, "ci_high", jnum(r->v.ci_high));
	json_object_set_new(o, "ci_level", jnum(r->v.ci_level));
	json_object_set_new(o, "p_value", jnum(r->v.p_value));
	json_object_set_new(o, "p_adjusted", jnum(r->v.p_adjusted));
	json_object_set_new(o, "is_fact", json_boolean(r->v.is_count_fact));
	json_object_set_new(o, "verdict", json_string(verdict_kind_name(r->v.kind)));
	json_object_set_new(o, "reason", json_string(r->v.reason));
	json_object_set_new(o, "more_per_side", r->v.kind == VERDICT_INCONCLUSIVE && r->v.n_more
							 ? json_integer((json_int_t)r->v.n_more) : json_null());
	if (is_func) {
		json_t *c = json_array();
		for (size_t i = 0; i < r->n_callers; i++)
			json_array_append_new(c, json_string(r->callers[i]));
		json_object_set_new(o, "callers", c);
	}
	return o;
}

static json_t *ids_json(const long long *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

static json_t *compare_json(const struct compare_verdict *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "runs_a", ids_json(v->runs_a, v->n_a));
	json_object_set_new(o, "runs_b", ids_json(v->runs_b, v->n_b));
	json_object_set_new(o, "mode", json_string(v->mode == COMPARE_WITHIN_RUN ? "within-run" : "per-run"));
	json_object_set_new(o, "scenario", json_string(v->scenario_b ? v->scenario_b : ""));
	json_object_set_new(o, "verdict", json_string(report_compare_word(v)));
	json_object_set_new(o, "regression", json_boolean(v->is_regression));
	json_object_set_new(o, "inconclusive", json_boolean(v->is_inconclusive && !v->is_regression));
	json_object_set_new(o, "min_effect", jnum(v->min_effect));
	json_object_set_new(o, "alpha", jnum(v->alpha));
	json_object_set_new(o, "more_per_side", v->is_inconclusive && v->n_more
							 ? json_integer((json_int_t)v->n_more) : json_null());
	json_object_set_new(o, "refused", v->refused[0] ? json_string(v->refused) : json_null());
	json_t *a = json_array();
	for (size_t i = 0; i < v->n_notes; i++)
		json_array_append_new(a, json_string(v->notes[i]));
	json_object_set_new(o, "notes", a);
	a = json_array();
	for (size_t i = 0; i < v->n_metrics; i++)
		json_array_append_new(a, row_json(&v->metrics[i], 0));
	json_object_set_new(o, "metrics", a);
	a = json_array();
	for (size_t i = 0; i < v->n_funcs; i++)
		json_array_append_new(a, row_json(&v->funcs[i], 1));
	json_object_set_new(o, "functions", a);
	a = json_array();
	for (size_t i = 0; i < v->n_movers; i++)
		json_array_append_new(a, row_json(&v->movers[i], 1));
	json_object_set_new(o, "where_the_time_went", a);
	json_object_set_new(o, "n_functions_tested", json_integer((json_int_t)v->n_funcs_tested));
	json_object_set_new(o, "n_functions_untested", json_integer((json_int_t)v->n_funcs_untested));
	json_object_set_new(o, "n_functions_slower", json_integer((json_int_t)v->n_funcs_slower));
	json_object_set_new(o, "n_functions_faster", json_integer((json_int_t)v->n_funcs_faster));
	a = json_array();
	for (size_t i = 0; i < v->n_counts; i++)
		json_array_append_new(a, row_json(&v->counts[i], 1));
	json_object_set_new(o, "call_counts", a);
	json_object_set_new(o, "n_call_counts_changed", json_integer((json_int_t)v->n_counts_changed));
	return o;
}

void report_compare_json(const struct compare_verdict *v, struct strbuf *out)
{
	dump_json(compare_json(v), out);
}

/* TAP descriptions must not hold '#' (a directive) or newlines. */
static void tap_text(const char *s, struct strbuf *out)
{
	for (; *s; s++)
		sb_addch(out, *s == '#' ? '_' : *s == '\n' ? ' ' : *s);
}

void report_compare_tap(const struct compare_verdict *v, struct strbuf *out)
{
	sb_addf(out, "TAP version 13\n1..%zu\n", v->n_metrics);
	sb_addf(out, "# verdict: %s\n", report_compare_word(v));
	for (size_t i = 0; i < v->n_notes; i++) {
		sb_addstr(out, "# note: ");
		tap_text(v->notes[i], out);
		sb_addch(out, '\n');
	}
	for (size_t i = 0; i < v->n_metrics; i++) {
		const struct compare_row *r = &v->metrics[i];
		sb_addf(out, "%s %zu - ", r->v.kind == VERDICT_SLOWER ? "not ok" : "ok", i + 1);
		tap_text(r->name, out);
		sb_addstr(out, ": ");
		tap_text(r->v.reason, out);
		/* neither a pass nor a failure: TAP's SKIP directive, with the word; a row beside
		 * the CPU time that moved is reported, not failed: TODO */
		if (r->v.kind == VERDICT_INCONCLUSIVE || r->v.kind == VERDICT_INSUFFICIENT_DATA)
			sb_addf(out, " # SKIP %s", verdict_kind_name(r->v.kind));
		else if (r->v.kind == VERDICT_SLOWER && !decides(r))
			sb_addstr(out, " # TODO beside the CPU time, which decides");
		sb_addch(out, '\n');
	}
	for (size_t i = 0; i < v->n_funcs; i++) {
		sb_addstr(out, "# function ");
		tap_text(v->funcs[i].name, out);
		sb_addstr(out, ": ");
		tap_text(v->funcs[i].v.reason, out);
		sb_addch(out, '\n');
	}
	for (size_t i = 0; i < v->n_counts; i++) {
		sb_addstr(out, "# calls ");
		tap_text(v->counts[i].name, out);
		sb_addstr(out, ": ");
		tap_text(v->counts[i].v.reason, out);
		sb_addch(out, '\n');
	}
}

/* A testcase: failure set: <failure>; else skipped set: <skipped> (inconclusive, cannot
 * judge: neither passed nor failed); else a pass, detail as its output. */
static void junit_case(const char *classname, const char *name, const char *failure,
			    const char *skipped, const char *detail, struct strbuf *out)
{
	sb_addstr(out, "  <testcase classname=\"");
	report_xml_escape(classname, out);
	sb_addstr(out, "\" name=\"");
	report_xml_escape(name, out);
	sb_addstr(out, "\">\n");
	if (failure) {
		sb_addstr(out, "    <failure message=\"");
		report_xml_escape(failure, out);
		sb_addstr(out, "\">");
		report_xml_escape(detail ? detail : failure, out);
		sb_addstr(out, "</failure>\n");
	} else if (skipped) {
		sb_addstr(out, "    <skipped message=\"");
		report_xml_escape(skipped, out);
		sb_addstr(out, "\"/>\n");
		if (detail) {
			sb_addstr(out, "    <system-out>");
			report_xml_escape(detail, out);
			sb_addstr(out, "</system-out>\n");
		}
	} else if (detail) {
		sb_addstr(out, "    <system-out>");
		report_xml_escape(detail, out);
		sb_addstr(out, "</system-out>\n");
	}
	sb_addstr(out, "  </testcase>\n");
}

static void funcs_detail(const struct compare_verdict *v, struct strbuf *d)
{
	for (size_t i = 0; i < v->n_funcs; i++) {
		sb_addf(d, "\n%s: %s", v->funcs[i].name, v->funcs[i].v.reason);
		for (size_t c = 0; c < v->funcs[i].n_callers; c++)
			sb_addf(d, "\n    called by %s", v->funcs[i].callers[c]);
	}
	for (size_t i = 0; i < v->n_counts; i++)
		sb_addf(d, "\ncalls of %s: %s", v->counts[i].name, v->counts[i].v.reason);
}

void report_compare_junit(const struct compare_verdict *v, const char *suite, struct strbuf *out)
{
	size_t fails = 0, skips = 0;
	for (size_t i = 0; i < v->n_metrics; i++) {
		fails += v->metrics[i].v.kind == VERDICT_SLOWER && decides(&v->metrics[i]);
		skips += v->metrics[i].v.kind == VERDICT_INCONCLUSIVE ||
			 v->metrics[i].v.kind == VERDICT_INSUFFICIENT_DATA;
	}
	sb_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"");
	report_xml_escape(suite ? suite : "greenbench compare", out);
	sb_addf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", v->n_metrics,
		fails, skips);
	struct strbuf d = STRBUF_INIT;
	for (size_t i = 0; i < v->n_metrics; i++) {
		const struct compare_row *r = &v->metrics[i];
		sb_reset(&d);
		int is_fail = r->v.kind == VERDICT_SLOWER && decides(r);
		if (!decides(r))
			sb_addstr(&d, "beside the CPU time, which decides: ");
		sb_addstr(&d, r->v.reason);
		if (is_fail)
			funcs_detail(v, &d);
		int is_open = r->v.kind == VERDICT_INCONCLUSIVE || r->v.kind == VERDICT_INSUFFICIENT_DATA;
		junit_case(v->scenario_b ? v->scenario_b : "greenbench", r->name,
				is_fail ? r->v.reason : NULL, is_open ? r->v.reason : NULL,
				sb_str(&d), out);
	}
	sb_reset(&d);
	sb_addf(&d, "verdict: %s", report_compare_word(v));
	for (size_t i = 0; i < v->n_notes; i++)
		sb_addf(&d, "\nnote: %s", v->notes[i]);
	funcs_detail(v, &d);
	sb_addstr(out, "  <system-out>");
	report_xml_escape(sb_str(&d), out);
	sb_addstr(out, "</system-out>\n</testsuite>\n");
	sb_release(&d);
}

/* ---- nightly ---- */

/* The run id where the last change point starts a level, 0 when none. */
static long long step_run(const struct history_judgement *j)
{
	if (j->cp.kind != CP_REGRESSION && j->cp.kind != CP_IMPROVEMENT)
		return 0;
	if (j->cp.cp < j->n_history)
		return j->history_ids[j->cp.cp];
	return j->cp.cp == j->n_history ? j->run_id : 0;
}

void report_nightly_text(const struct history_judgement *j, struct strbuf *out)
{
	char b1[32];
	const char *word = j->is_regression ? "REGRESSION"
			   : j->is_inconclusive ? "CANNOT JUDGE" : changepoint_kind_name(j->cp.kind);
	sb_addf(out, "nightly %s: run %lld, %s = %s against %zu earlier run%s%s: %s\n", j->scenario,
		j->run_id, j->metric ? j->metric : "?", secs(j->value, b1, sizeof(b1)), j->n_history,
		j->n_history == 1 ? "" : "s", j->baseline_id ? " (from the baseline)" : "", word);
	sb_addf(out, "  %s\n", j->cp.reason);
	if (step_run(j) > 0)
		sb_addf(out, "  (point %zu of the series is run %lld: the first run of the new level)\n", j->cp.cp,
			step_run(j));
	for (size_t i = 0; i < j->n_notes; i++)
		sb_addf(out, "  note: %s\n", j->notes[i]);
	if (j->has_funcs) {
		sb_addstr(out, "  functions that moved between the two levels:\n");
		if (!j->funcs.n_funcs && !j->funcs.n_counts)
			sb_addstr(out, "    none beyond the noise\n");
		char b2[32], b3[48];
		size_t shown = j->funcs.n_funcs < 8 ? j->funcs.n_funcs : 8;
		for (size_t i = 0; i < shown; i++) {
			const struct compare_row *r = &j->funcs.funcs[i];
			sb_addf(out, "    %-7s %8s %16s  %s\n", verdict_kind_name(r->v.kind),
				pct(r->v.rel_change, b2, sizeof(b2)), ci(&r->v, b3, sizeof(b3)), r->name);
			if (r->n_callers)
				sb_addf(out, "%35s called by %s\n", "", r->callers[0]);
		}
		if (shown < j->funcs.n_funcs)
			sb_addf(out, "    ... and %zu more (greenbench compare the runs of both levels for all)\n",
				j->funcs.n_funcs - shown);
		for (size_t i = 0; i < j->funcs.n_counts; i++)
			sb_addf(out, "    calls of %s: %s\n", j->funcs.counts[i].name, j->funcs.counts[i].v.reason);
		if (j->funcs.n_movers)
			sb_addstr(out, "  where the time went (own time per call, new level - old level, largest "
				       "first; where to look, not a verdict):\n");
		for (size_t i = 0; i < j->funcs.n_movers; i++) {
			const struct compare_row *r = &j->funcs.movers[i];
			sb_addf(out, "    %10s  %s%s\n", signed_secs(r->delta, b2, sizeof(b2)), r->name,
				r->presence > 0 ? "  (only the new level runs it)"
				: r->presence < 0 ? "  (only the old level ran it)" : "");
		}
	}
}

static json_t *nightly_json(const struct history_judgement *j)
{
	json_t *o = json_object();
	json_object_set_new(o, "scenario", json_string(j->scenario));
	json_object_set_new(o, "run", json_integer(j->run_id));
	json_object_set_new(o, "metric", json_string(j->metric ? j->metric : ""));
	json_object_set_new(o, "value", jnum(j->value));
	json_object_set_new(o, "judgement", json_string(j->is_inconclusive ? "cannot judge"
									: changepoint_kind_name(j->cp.kind)));
	json_object_set_new(o, "regression", json_boolean(j->is_regression));
	json_object_set_new(o, "inconclusive", json_boolean(j->is_inconclusive));
	json_object_set_new(o, "ci_low", jnum(j->ci_low));
	json_object_set_new(o, "ci_high", jnum(j->ci_high));
	json_object_set_new(o, "is_new", json_boolean(j->cp.is_new));
	json_object_set_new(o, "change", jnum(j->cp.rel_change));
	json_object_set_new(o, "reason", json_string(j->cp.reason));
	json_object_set_new(o, "step_run", step_run(j) ? json_integer(step_run(j)) : json_null());
	json_object_set_new(o, "history", ids_json(j->history_ids, j->n_history));
	json_t *a = json_array();
	for (size_t i = 0; i < j->n_history; i++)
		json_array_append_new(a, jnum(j->history[i]));
	json_object_set_new(o, "history_values", a);
	a = json_array();
	for (size_t i = 0; i < j->n_notes; i++)
		json_array_append_new(a, json_string(j->notes[i]));
	json_object_set_new(o, "notes", a);
	json_object_set_new(o, "functions", j->has_funcs ? compare_json(&j->funcs) : json_null());
	return o;
}

void report_nightly_json(const struct history_judgement *j, struct strbuf *out)
{
	json_t *o = nightly_json(j);
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
	sb_addstr(out, s ? s : "{}");
	sb_addch(out, '\n');
	free(s);
	json_decref(o);
}

void report_nightly_junit(const struct history_judgement *const *j, size_t n,
			  const struct report_nightly_error *errors, size_t n_errors, struct strbuf *out)
{
	size_t fails = 0, skips = 0;
	for (size_t i = 0; i < n; i++) {
		fails += j[i]->is_regression;
		skips += !j[i]->is_regression && j[i]->is_inconclusive;
	}
	sb_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"greenbench nightly\" "
		     "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", n + n_errors, fails,
		n_errors, skips);
	for (size_t i = 0; i < n_errors; i++) {
		sb_addstr(out, "  <testcase classname=\"greenbench.nightly\" name=\"");
		report_xml_escape(errors[i].scenario, out);
		sb_addstr(out, "\">\n    <error message=\"");
		report_xml_escape(errors[i].message, out);
		sb_addstr(out, "\"/>\n  </testcase>\n");
	}
	struct strbuf d = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		sb_reset(&d);
		report_nightly_text(j[i], &d);
		/* the busy time's judgement is a testcase of its own beside the wall time's */
		struct strbuf name = STRBUF_INIT;
		sb_addstr(&name, j[i]->scenario);
		if (j[i]->metric && !strncmp(j[i]->metric, COMPARE_BUSY_PREFIX " ", strlen(COMPARE_BUSY_PREFIX) + 1))
			sb_addstr(&name, " (busy time)");
		else if (j[i]->metric && !strncmp(j[i]->metric, COMPARE_CPU_PREFIX " ", strlen(COMPARE_CPU_PREFIX) + 1))
			sb_addstr(&name, " (CPU time)");
		junit_case("greenbench.nightly", sb_str(&name), j[i]->is_regression ? j[i]->cp.reason : NULL,
				!j[i]->is_regression && j[i]->is_inconclusive ? j[i]->cp.reason : NULL,
				sb_str(&d), out);
		sb_release(&name);
	}
	sb_release(&d);
	sb_addstr(out, "</testsuite>\n");
}

/* ---- trend ---- */

void report_trend_text(const struct history_series *s, struct strbuf *out)
{
	char b1[32], b2[32];
	size_t n_cp = 0;
	for (size_t i = 0; i < s->n; i++)
		n_cp += s->pts[i].is_change;
	sb_addf(out, "trend of %s: %s, %zu run%s, %zu change point%s\n", s->scenario, s->metric, s->n,
		s->n == 1 ? "" : "s", n_cp, n_cp == 1 ? "" : "s");
	sb_addf(out, "%-16s %6s %-20s %10s %8s  %s\n", "DATE (UTC)", "RUN", "LABEL", "MEDIAN", "VS PREV", "");
	for (size_t i = 0; i < s->n; i++) {
		const struct history_point *p = &s->pts[i];
		char rel[32] = "";
		if (i)
			pct(p->value / s->pts[i - 1].value - 1, rel, sizeof(rel));
		sb_addf(out, "%-16s %6lld %-20.20s %10s %8s  %s%s\n", when(p->started_at, b1, sizeof(b1)),
			p->run_id, p->label ? p->label : "", secs(p->value, b2, sizeof(b2)), rel,
			p->is_change ? "<-- change point: a new level starts here" : "",
			p->is_baseline ? " [baseline]" : "");
	}
	if (s->n_skipped)
		sb_addf(out, "(%zu good run%s without this metric left out)\n", s->n_skipped,
			s->n_skipped == 1 ? "" : "s");
}

void report_trend_json(const struct history_series *s, struct strbuf *out)
{
	json_t *o = json_object();
	json_object_set_new(o, "scenario", json_string(s->scenario));
	json_object_set_new(o, "metric", json_string(s->metric ? s->metric : ""));
	json_t *pts = json_array(), *cps = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct history_point *p = &s->pts[i];
		json_array_append_new(pts, json_pack("{s:I, s:f, s:o, s:o, s:o, s:b, s:b}", "run",
						     (json_int_t)p->run_id, "started_at", p->started_at,
						     "label", p->label ? json_string(p->label) : json_null(),
						     "revision", p->revision ? json_string(p->revision) : json_null(),
						     "value", jnum(p->value), "change_point", p->is_change,
						     "baseline", p->is_baseline));
		if (p->is_change)
			json_array_append_new(cps, json_integer(p->run_id));
	}
	json_object_set_new(o, "runs", pts);
	json_object_set_new(o, "change_points", cps);
	dump_json(o, out);
}

/* ---- one run ---- */

struct run_head {
	char *scenario, *label, *host, *status, *revision;
	double started, finished, load_b, load_a;
	int cpus, fake, repeat;
	long long mem_kb;
	int found;
};

static int head_row(void *arg, const struct store_row *r)
{
	struct run_head *h = arg;
	char **s[] = { &h->scenario, &h->label, &h->host, &h->status, &h->revision };
	for (int i = 0; i < 5; i++)
		*s[i] = r->v[i].s ? gb_strdup(r->v[i].s) : NULL;
	h->started = r->v[5].d;
	h->finished = r->v[6].d;
	h->load_b = r->v[7].type == STORE_NULL ? NAN : r->v[7].d;
	h->load_a = r->v[8].type == STORE_NULL ? NAN : r->v[8].d;
	h->cpus = (int)r->v[9].i;
	h->fake = (int)r->v[10].i;
	h->repeat = (int)r->v[11].i;
	h->mem_kb = r->v[12].type == STORE_NULL ? -1 : r->v[12].i;
	h->found = 1;
	return 0;
}

static int run_head(struct store *db, long long run, struct run_head *h, struct gb_err *err)
{
	memset(h, 0, sizeof(*h));
	char doing[64];
	snprintf(doing, sizeof(doing), "reading run %lld", run);
	if (store_query_run(db, STORE_Q_RUN_HEAD, run, head_row, h, doing, err))
		return -1;
	if (!h->found)
		return gb_errf(err, GB_EXIT_USAGE, "no run with id %lld in the store", run);
	return 0;
}

static void run_head_free(struct run_head *h)
{
	free(h->scenario);
	free(h->label);
	free(h->host);
	free(h->status);
	free(h->revision);
}

static int is_busy(const struct run_head *h)
{
	double worst = fmax(isnan(h->load_b) ? 0 : h->load_b, isnan(h->load_a) ? 0 : h->load_a);
	return h->cpus > 0 && worst > 0.7 * h->cpus;
}

int report_run_text(struct store *db, long long run, long long other, struct strbuf *out,
		    struct gb_err *err)
{
	struct run_head h;
	if (run_head(db, run, &h, err))
		return -1;
	char b1[32], b2[32], b3[32];
	sb_addf(out, "run %lld: %s%s%s%s, %s\n", run, h.scenario, h.label ? " (" : "", h.label ? h.label : "",
		h.label ? ")" : "", h.status);
	sb_addf(out, "started %s UTC, %s, on %s (%d CPUs, load %.2f -> %.2f, %lld MB free), revision %s, "
		     "%d fake computes, %d repeats\n",
		when(h.started, b1, sizeof(b1)), secs(h.finished > 0 ? h.finished - h.started : NAN, b2, sizeof(b2)),
		h.host ? h.host : "?", h.cpus, h.load_b, h.load_a, h.mem_kb >= 0 ? h.mem_kb / 1024 : -1,
		h.revision ? h.revision : "unknown", h.fake, h.repeat);
	if (is_busy(&h))
		sb_addf(out, "WARNING: busy host: load above 0.7 x %d CPUs; its timings may be inflated\n", h.cpus);
	struct compare_run_samples s;
	if (compare_load_run(db, run, NULL, 1, &s, err)) {
		run_head_free(&h);
		return -1;
	}
	sb_addf(out, "\n%-48s %5s %10s %10s %10s\n", "METRIC", "N", "MEDIAN", "P95", "MAX");
	for (size_t i = 0; i < s.n_series; i++) {
		struct compare_dist d;
		double *x = gb_malloc((s.series[i].n ? s.series[i].n : 1) * sizeof(double));
		memcpy(x, s.series[i].x, s.series[i].n * sizeof(double));
		compare_summarize(x, s.series[i].n, &d);
		free(x);
		char b4[32];
		sb_addf(out, "%-48.48s %5zu %10s %10s %10s\n", s.series[i].name, d.n, secs(d.median, b1, sizeof(b1)),
			secs(d.p95, b2, sizeof(b2)), secs(d.max, b4, sizeof(b4)));
	}
	if (s.n_profiles && compare_find_series(&s, "cpu") < 0)
		sb_addstr(out, "note: the profiled call's CPU time is unknown (dumps without greenprof's "
			       "times); its busy time also counts time other processes took from its core\n");
	/* the functions with most own time per profiled call */
	if (s.n_funcs && s.n_profiles) {
		size_t *idx = gb_malloc(s.n_funcs * sizeof(size_t));
		double *tot = gb_malloc(s.n_funcs * sizeof(double));
		for (size_t i = 0; i < s.n_funcs; i++) {
			idx[i] = i;
			tot[i] = 0;
			for (size_t p = 0; p < s.n_profiles; p++)
				tot[i] += s.funcs[i].tt[p];
		}
		for (size_t i = 0; i < s.n_funcs && i < 10; i++)
			for (size_t k = i + 1; k < s.n_funcs; k++)
				if (tot[idx[k]] > tot[idx[i]]) {
					size_t t = idx[i];
					idx[i] = idx[k];
					idx[k] = t;
				}
		sb_addf(out, "\nTOP OWN TIME PER PROFILED CALL (%zu profiles)\n%10s %10s  %s\n", s.n_profiles,
			"TOTTIME", "CALLS", "FUNCTION");
		struct strbuf label = STRBUF_INIT;
		for (size_t i = 0; i < s.n_funcs && i < 10; i++) {
			const struct compare_fsamples *f = &s.funcs[idx[i]];
			double nc = 0;
			for (size_t p = 0; p < s.n_profiles; p++)
				nc += f->nc[p];
			struct pstats_func pf = { .file = f->file, .line = f->line, .name = f->name };
			sb_reset(&label);
			pstats_func_label(&pf, &label);
			sb_addf(out, "%10s %10.6g  %s\n", secs(tot[idx[i]] / (double)s.n_profiles, b3, sizeof(b3)),
				nc / (double)s.n_profiles, sb_str(&label));
		}
		sb_release(&label);
		free(idx);
		free(tot);
	}
	compare_run_samples_release(&s);
	run_head_free(&h);
	if (other > 0) {
		struct compare_verdict v;
		long long a = other, b = run;
		if (compare_judge(db, &a, 1, &b, 1, &report_compare_opts, &v, err))
			return -1;
		sb_addch(out, '\n');
		report_compare_text(&v, out);
		compare_verdict_release(&v);
	}
	return 0;
}

int report_run_json(struct store *db, long long run, long long other, struct strbuf *out,
		    struct gb_err *err)
{
	struct run_head h;
	if (run_head(db, run, &h, err))
		return -1;
	struct compare_run_samples s;
	if (compare_load_run(db, run, NULL, 0, &s, err)) {
		run_head_free(&h);
		return -1;
	}
	json_t *o = json_object();
	json_object_set_new(o, "run", json_integer(run));
	json_object_set_new(o, "scenario", json_string(h.scenario));
	json_object_set_new(o, "label", h.label ? json_string(h.label) : json_null());
	json_object_set_new(o, "status", json_string(h.status));
	json_object_set_new(o, "host", h.host ? json_string(h.host) : json_null());
	json_object_set_new(o, "cpu_count", json_integer(h.cpus));
	json_object_set_new(o, "load1_before", jnum(h.load_b));
	json_object_set_new(o, "load1_after", jnum(h.load_a));
	json_object_set_new(o, "busy_host", json_boolean(is_busy(&h)));
	json_object_set_new(o, "service_revision", h.revision ? json_string(h.revision) : json_null());
	json_t *m = json_array();
	for (size_t i = 0; i < s.n_series; i++) {
		struct compare_dist d;
		double *x = gb_malloc((s.series[i].n ? s.series[i].n : 1) * sizeof(double));
		memcpy(x, s.series[i].x, s.series[i].n * sizeof(double));
		compare_summarize(x, s.series[i].n, &d);
		free(x);
		json_t *samples = json_array();
		for (size_t k = 0; k < s.series[i].n; k++)
			json_array_append_new(samples, json_real(s.series[i].x[k]));
		json_array_append_new(m, json_pack("{s:s, s:b, s:I, s:o, s:o, s:o, s:o}", "metric", s.series[i].name,
						   "is_target", s.series[i].is_target, "n", (json_int_t)d.n,
						   "median", jnum(d.median), "p95", jnum(d.p95), "max", jnum(d.max),
						   "samples", samples));
	}
	json_object_set_new(o, "metrics", m);
	compare_run_samples_release(&s);
	run_head_free(&h);
	if (other > 0) {
		struct compare_verdict v;
		long long a = other, b = run;
		if (compare_judge(db, &a, 1, &b, 1, &report_compare_opts, &v, err)) {
			json_decref(o);
			return -1;
		}
		json_object_set_new(o, "compare", compare_json(&v));
		compare_verdict_release(&v);
	}
	dump_json(o, out);
	return 0;
}

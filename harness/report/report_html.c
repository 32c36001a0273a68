/*
 * report_html.c - one run as a self-contained HTML page: inline CSS, inline SVG (a
 * per-server timeline, latency histograms, a flame graph from the folded stacks), the
 * compare against another run. No script, no external reference: it renders offline.
 * Appends to a caller-owned strbuf; never prints, never exits.
 */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 960 /* drawing width of every chart, px */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}"
	"td.l,th.l{text-align:left}.warn{background:#fff3cd;padding:.5em;border:1px solid #e0c36a}"
	".slower{color:#b00020;font-weight:bold}.faster{color:#087f23;font-weight:bold}"
	"svg text{font:11px sans-serif}.fl rect{stroke:#fff;stroke-width:.5}"
	"code{font-size:12px}pre{white-space:pre-wrap;font-size:12px}";

static void esc(const char *s, struct strbuf *out)
{
	report_xml_escape(s, out);
}

static const char *fmt_secs(double s, char *buf, size_t n)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else if (fabs(s) < 1)
		snprintf(buf, n, "%.2f ms", s * 1e3);
	else
		snprintf(buf, n, "%.3f s", s);
	return buf;
}

/* ---- timeline: one bar per server, POST then wait for ACTIVE ---- */

struct bar {
	char *name, *status;
	double t0, post, active;
};

struct bars {
	struct bar *bars;
	size_t n;
	double t_min, t_max;
};

static int bar_row(void *arg, const struct store_row *r)
{
	struct bars *bs = arg;
	if (r->v[1].type == STORE_NULL)
		return 0;
	bs->bars = gb_realloc(bs->bars, (bs->n + 1) * sizeof(*bs->bars));
	struct bar *b = &bs->bars[bs->n++];
	b->name = gb_strdup(r->v[0].s ? r->v[0].s : "?");
	b->status = gb_strdup(r->v[4].s ? r->v[4].s : "?");
	b->t0 = r->v[1].d;
	b->post = r->v[2].type == STORE_NULL ? 0 : r->v[2].d;
	b->active = r->v[3].type == STORE_NULL ? b->post : r->v[3].d;
	bs->t_min = fmin(bs->t_min, b->t0);
	bs->t_max = fmax(bs->t_max, b->t0 + fmax(b->post, b->active));
	return 0;
}

static int timeline(struct store *db, long long run, struct strbuf *out, struct gb_err *err)
{
	struct bars bs = { NULL, 0, INFINITY, -INFINITY };
	if (store_query_run(db, STORE_Q_RUN_SERVER_TIMELINE, run, bar_row, &bs, "reading servers", err)) {
		for (size_t i = 0; i < bs.n; i++) {
			free(bs.bars[i].name);
			free(bs.bars[i].status);
		}
		free(bs.bars);
		return -1;
	}
	struct bar *bars = bs.bars;
	size_t n = bs.n;
	double t_min = bs.t_min, t_max = bs.t_max;
	sb_addstr(out, "<h2>Timeline: each server from its POST to ACTIVE</h2>\n");
	if (!n) {
		sb_addstr(out, "<p>No server with a recorded request time.</p>\n");
		return 0;
	}
	double span = t_max > t_min ? t_max - t_min : 1;
	int row = 14, left = 90, h = (int)n * row + 30;
	double scale = (W - left - 10) / span;
	sb_addf(out, "<svg width=\"%d\" height=\"%d\" "
		     "role=\"img\" aria-label=\"timeline\">\n", W, h);
	for (size_t i = 0; i < n; i++) {
		struct bar *b = &bars[i];
		double x = left + (b->t0 - t_min) * scale;
		int y = (int)i * row + 4;
		int bad = strcmp(b->status, "ACTIVE") && strcmp(b->status, "DELETED");
		sb_addstr(out, "<text x=\"2\" y=\"");
		sb_addf(out, "%d\">", y + 10);
		esc(b->name, out);
		sb_addf(out, "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"%s\">"
			     "<title>", x, y, fmax(1, b->active * scale), bad ? "#e57373" : "#a5d6a7");
		esc(b->name, out);
		sb_addf(out, ": POST %.3f s, ACTIVE after %.3f s (", b->post, b->active);
		esc(b->status, out);
		sb_addf(out, ")</title></rect><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" "
			     "fill=\"#2e7d32\"/>\n", x, y, fmax(1, b->post * scale));
		free(b->name);
		free(b->status);
	}
	int ticks = 5;
	for (int t = 0; t <= ticks; t++) {
		double x = left + span * t / ticks * scale;
		sb_addf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%.1f s</text>\n", x, h - 4,
			t == ticks ? "end" : "middle", span * t / ticks);
	}
	sb_addstr(out, "</svg>\n<p>dark: the POST's latency; light: until the server was ACTIVE "
		       "(red: it ended in another state).</p>\n");
	free(bars);
	return 0;
}

/* ---- histogram of one series ---- */

static void histogram(const struct compare_series *s, struct strbuf *out)
{
	if (s->n < 2)
		return;
	double lo = s->x[0], hi = s->x[0];
	for (size_t i = 1; i < s->n; i++) {
		lo = fmin(lo, s->x[i]);
		hi = fmax(hi, s->x[i]);
	}
	int nb = s->n < 20 ? 8 : 20;
	size_t counts[20] = { 0 }, top = 1;
	double width = hi > lo ? (hi - lo) / nb : 1;
	for (size_t i = 0; i < s->n; i++) {
		int k = (int)((s->x[i] - lo) / width);
		if (k >= nb)
			k = nb - 1;
		if (k < 0)
			k = 0;
		if (++counts[k] > top)
			top = counts[k];
	}
	int h = 140, bw = (W / 2 - 20) / nb;
	char b1[32], b2[32];
	sb_addstr(out, "<figure style=\"display:inline-block;margin:0 1em 1em 0\"><figcaption>");
	esc(s->name, out);
	sb_addf(out, " (%zu samples)</figcaption>\n<svg width=\"%d\" "
		     "height=\"%d\" role=\"img\" aria-label=\"histogram\">\n", s->n, bw * nb + 20, h + 20);
	for (int k = 0; k < nb; k++) {
		double bh = (double)counts[k] / (double)top * (h - 10);
		sb_addf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#5c6bc0\">"
			     "<title>%s .. %s: %zu</title></rect>\n", 10 + k * bw, h - bh, bw - 1, bh,
			fmt_secs(lo + k * width, b1, sizeof(b1)), fmt_secs(lo + (k + 1) * width, b2, sizeof(b2)),
			counts[k]);
	}
	sb_addf(out, "<text x=\"10\" y=\"%d\">%s</text>", h + 14, fmt_secs(lo, b1, sizeof(b1)));
	sb_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n</svg></figure>\n",
		10 + nb * bw, h + 14, fmt_secs(hi, b2, sizeof(b2)));
}

/* ---- flame graph from folded stacks ---- */

struct fnode {
	char *name;
	double value;        /* microseconds including children */
	size_t *kids, n_kids;
};

struct ftree {
	struct fnode *nodes;
	size_t n;
};

static size_t fnode_child(struct ftree *t, size_t parent, const char *name, size_t len)
{
	struct fnode *p = &t->nodes[parent];
	for (size_t i = 0; i < p->n_kids; i++) {
		struct fnode *k = &t->nodes[p->kids[i]];
		if (strlen(k->name) == len && !memcmp(k->name, name, len))
			return p->kids[i];
	}
	t->nodes = gb_realloc(t->nodes, (t->n + 1) * sizeof(*t->nodes));
	struct fnode *c = &t->nodes[t->n];
	memset(c, 0, sizeof(*c));
	c->name = gb_strndup(name, len);
	p = &t->nodes[parent];
	p->kids = gb_realloc(p->kids, (p->n_kids + 1) * sizeof(size_t));
	p->kids[p->n_kids++] = t->n;
	return t->n++;
}

static void flame_draw(const struct ftree *t, size_t i, double x, int depth, double scale,
		       double min_w, struct strbuf *out, int *max_depth)
{
	const struct fnode *nd = &t->nodes[i];
	double w = nd->value * scale;
	if (w < min_w || depth > 60)
		return;
	if (depth > *max_depth)
		*max_depth = depth;
	int y = depth * 16;
	unsigned hash = 5381;
	for (const char *c = nd->name; *c; c++)
		hash = hash * 33 + (unsigned char)*c;
	sb_addf(out, "<g><title>");
	esc(nd->name, out);
	sb_addf(out, " (%.3f ms)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"15\" "
		     "fill=\"hsl(%u,75%%,%u%%)\"/>", nd->value / 1e3, x, y, w, 10 + hash % 45,
		55 + (hash >> 8) % 15);
	if (w > 40) {
		size_t chars = (size_t)(w / 6.5);
		const char *name = nd->name;
		size_t len = strlen(name);
		sb_addf(out, "<text x=\"%.2f\" y=\"%d\">", x + 2, y + 11);
		struct strbuf cut = STRBUF_INIT;
		sb_add(&cut, name, len > chars ? chars : len);
		esc(sb_str(&cut), out);
		sb_release(&cut);
		sb_addstr(out, "</text>");
	}
	sb_addstr(out, "</g>\n");
	double cx = x;
	for (size_t k = 0; k < nd->n_kids; k++) {
		flame_draw(t, nd->kids[k], cx, depth + 1, scale, min_w, out, max_depth);
		cx += t->nodes[nd->kids[k]].value * scale;
	}
}

static int flame(struct store *db, long long run, struct strbuf *out, struct gb_err *err)
{
	struct pstats *ps = NULL;
	int n_prof = 0;
	sb_addstr(out, "<h2>Flame graph of the profiled calls</h2>\n");
	if (store_run_pstats(db, run, NULL, 0, 1, &ps, &n_prof, err))
		return -1;
	if (!n_prof) {
		pstats_free(ps);
		sb_addstr(out, "<p>No profile stored for this run.</p>\n");
		return 0;
	}
	struct strbuf folded = STRBUF_INIT;
	pstats_write_collapsed(ps, &folded);
	pstats_free(ps);
	struct ftree t = { gb_calloc(1, sizeof(struct fnode)), 1 };
	t.nodes[0].name = gb_strdup("all");
	for (const char *p = sb_str(&folded); *p;) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		const char *sp = end;
		while (sp > p && sp[-1] != ' ')
			sp--;
		double v = sp > p ? atof(sp) : 0;
		if (sp > p && v > 0) {
			size_t node = 0;
			t.nodes[0].value += v;
			const char *f = p;
			while (f < sp - 1) {
				const char *semi = memchr(f, ';', (size_t)(sp - 1 - f));
				const char *fe = semi ? semi : sp - 1;
				node = fnode_child(&t, node, f, (size_t)(fe - f));
				t.nodes[node].value += v;
				f = fe + 1;
			}
		}
		p = nl ? nl + 1 : end;
	}
	sb_release(&folded);
	struct strbuf body = STRBUF_INIT;
	int max_depth = 0;
	double scale = t.nodes[0].value > 0 ? W / t.nodes[0].value : 0;
	flame_draw(&t, 0, 0, 0, scale, 0.5, &body, &max_depth);
	sb_addf(out, "<p>%d profiles summed; width is time (%.1f ms in all), the caller above its "
		     "callees; hover a frame for its name and time. Stacks are rebuilt from cProfile's "
		     "caller edges (an approximation).</p>\n", n_prof, t.nodes[0].value / 1e3);
	sb_addf(out, "<svg class=\"fl\" width=\"%d\" height=\"%d\" "
		     "role=\"img\" aria-label=\"flame graph\">\n", W, (max_depth + 1) * 16 + 4);
	sb_add(out, body.buf, body.len);
	sb_addstr(out, "</svg>\n");
	sb_release(&body);
	for (size_t i = 0; i < t.n; i++) {
		free(t.nodes[i].name);
		free(t.nodes[i].kids);
	}
	free(t.nodes);
	return 0;
}

/* ---- the compare as tables ---- */

static void verdict_cell(const struct verdict *v, struct strbuf *out)
{
	const char *k = verdict_kind_name(v->kind);
	sb_addf(out, "<td class=\"l %s\">%s</td>", v->kind == VERDICT_SLOWER ? "slower"
						  : v->kind == VERDICT_FASTER ? "faster" : "", k);
}

static void func_table(const struct compare_row *rows, size_t n, const char *title, struct strbuf *out)
{
	char b1[32], b2[32], b3[32], b4[32];
	sb_addstr(out, "<h3>");
	esc(title, out);
	sb_addstr(out, "</h3><table><tr><th>A</th><th>B</th><th>B - A</th><th>change</th>"
		       "<th class=\"l\">verdict</th><th class=\"l\">function (callers)</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const struct compare_row *r = &rows[i];
		double d = r->delta;
		snprintf(b3, sizeof(b3), "%s", d < 0 ? "-" : "+");
		sb_addf(out, "<tr><td>%s</td><td>%s</td><td>%s%s</td>", fmt_secs(r->v.median_a, b1, sizeof(b1)),
			fmt_secs(r->v.median_b, b2, sizeof(b2)), b3, fmt_secs(fabs(d), b4, sizeof(b4)));
		if (r->presence)
			sb_addf(out, "<td>%s</td>", r->presence > 0 ? "new" : "gone");
		else
			sb_addf(out, "<td>%+.1f%%</td>", 100 * r->v.rel_change);
		verdict_cell(&r->v, out);
		sb_addstr(out, "<td class=\"l\"><code>");
		esc(r->name, out);
		sb_addstr(out, "</code>");
		for (size_t c = 0; c < r->n_callers; c++) {
			sb_addstr(out, "<br>&nbsp;&nbsp;called by <code>");
			esc(r->callers[c], out);
			sb_addstr(out, "</code>");
		}
		sb_addstr(out, "</td></tr>\n");
	}
	sb_addstr(out, "</table>\n");
}

static void compare_html(const struct compare_verdict *v, struct strbuf *out)
{
	char b1[32], b2[32];
	sb_addf(out, "<h2>Compared with run %lld: %s</h2>\n", v->runs_a[0], report_compare_word(v));
	for (size_t i = 0; i < v->n_notes; i++) {
		sb_addstr(out, "<p class=\"warn\">");
		esc(v->notes[i], out);
		sb_addstr(out, "</p>\n");
	}
	sb_addstr(out, "<table><tr><th class=\"l\">metric</th><th>median A</th><th>median B</th>"
		       "<th>change</th><th>CI</th><th class=\"l\">verdict</th></tr>\n");
	for (size_t i = 0; i < v->n_metrics; i++) {
		const struct compare_row *r = &v->metrics[i];
		sb_addstr(out, "<tr><td class=\"l\">");
		esc(r->name, out);
		sb_addf(out, "</td><td>%s</td><td>%s</td><td>%+.1f%%</td><td>%+.1f .. %+.1f%%</td>",
			fmt_secs(r->v.median_a, b1, sizeof(b1)), fmt_secs(r->v.median_b, b2, sizeof(b2)),
			100 * r->v.rel_change, 100 * r->v.ci_low, 100 * r->v.ci_high);
		verdict_cell(&r->v, out);
		sb_addstr(out, "</tr>\n");
	}
	sb_addstr(out, "</table>\n");
	if (v->n_movers)
		func_table(v->movers, v->n_movers, "Where the time went (own time per profiled call, "
			   "largest changes first; where to look, not verdicts unless flagged)", out);
	if (v->n_funcs)
		func_table(v->funcs, v->n_funcs, "Functions whose own time moved (flagged)", out);
	if (v->n_counts) {
		sb_addstr(out, "<h3>Call counts that changed</h3><table><tr><th>A</th><th>B</th>"
			       "<th class=\"l\">function</th></tr>\n");
		for (size_t i = 0; i < v->n_counts; i++) {
			sb_addf(out, "<tr><td>%.6g</td><td>%.6g</td><td class=\"l\"><code>", v->counts[i].v.median_a,
				v->counts[i].v.median_b);
			esc(v->counts[i].name, out);
			sb_addstr(out, "</code></td></tr>\n");
		}
		sb_addstr(out, "</table>\n");
	}
}

int report_run_html(struct store *db, long long run, long long other, struct strbuf *out,
		    struct gb_err *err)
{
	struct strbuf summary = STRBUF_INIT;
	struct compare_run_samples s;
	if (report_run_text(db, run, 0, &summary, err))
		return -1;
	if (compare_load_run(db, run, NULL, 0, &s, err)) {
		sb_release(&summary);
		return -1;
	}
	sb_addf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<title>greenbench run %lld</title>\n<style>%s</style>\n</head>\n<body>\n"
		     "<h1>greenbench run %lld</h1>\n", run, css, run);
	const char *nl = strchr(sb_str(&summary), '\n');
	sb_addstr(out, "<p>");
	struct strbuf first = STRBUF_INIT;
	sb_add(&first, sb_str(&summary), nl ? (size_t)(nl - sb_str(&summary)) : summary.len);
	esc(sb_str(&first), out);
	sb_release(&first);
	sb_addstr(out, "</p>\n");
	if (strstr(sb_str(&summary), "WARNING: busy host"))
		sb_addstr(out, "<p class=\"warn\">This run was taken on a busy host (load above 0.7 per "
			       "CPU): its timings may be inflated.</p>\n");
	sb_addstr(out, "<h2>Summary</h2>\n<pre>");
	esc(nl ? nl + 1 : "", out);
	sb_addstr(out, "</pre>\n<h2>Latency distributions</h2>\n");
	for (size_t i = 0; i < s.n_series; i++)
		histogram(&s.series[i], out);
	compare_run_samples_release(&s);
	sb_release(&summary);
	int rc = timeline(db, run, out, err);
	if (!rc)
		rc = flame(db, run, out, err);
	if (!rc && other > 0) {
		struct compare_verdict v;
		long long a = other, b = run;
		rc = compare_judge(db, &a, 1, &b, 1, &report_compare_opts, &v, err);
		if (!rc) {
			compare_html(&v, out);
			compare_verdict_release(&v);
		}
	}
	sb_addf(out, "<footer><p>greenbench %s; self-contained: no script, no network.</p></footer>\n"
		     "</body>\n</html>\n", GB_VERSION);
	return rc;
}

/*
 * pstats_export.c - writes a struct pstats back as marshal (cProfile's format, which
 * pstats.Stats reads), and as callgrind, folded stacks or JSON. Output goes to a strbuf;
 * never prints, never exits.
 */
#include "profile/pstats.h"
#include "profile/pstats_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static long long ns(double secs)
{
	if (!(secs > 0))
		return 0;
	if (secs > 9e9)
		return 9000000000000000000LL;
	return llround(secs * 1e9);
}

/* Edges as index arrays grouped by caller or callee: order[start[i]..start[i+1]). */
struct edge_index {
	size_t *start;
	size_t *order;
};

static void index_edges(const struct pstats *ps, int by_caller, struct edge_index *ix)
{
	ix->start = gb_calloc(ps->n_funcs + 1, sizeof(size_t));
	ix->order = gb_malloc((ps->n_edges ? ps->n_edges : 1) * sizeof(size_t));
	for (size_t i = 0; i < ps->n_edges; i++)
		ix->start[(by_caller ? ps->edges[i].caller : ps->edges[i].callee) + 1]++;
	for (size_t i = 0; i < ps->n_funcs; i++)
		ix->start[i + 1] += ix->start[i];
	size_t *fill = gb_malloc((ps->n_funcs + 1) * sizeof(size_t));
	memcpy(fill, ix->start, (ps->n_funcs + 1) * sizeof(size_t));
	for (size_t i = 0; i < ps->n_edges; i++)
		ix->order[fill[by_caller ? ps->edges[i].caller : ps->edges[i].callee]++] = i;
	free(fill);
}

static void free_index(struct edge_index *ix)
{
	free(ix->start);
	free(ix->order);
}

/* ---- callgrind ---- */

struct cg_names {
	size_t *file_id;    /* per func: id of its file (0 = not yet named) */
	int *fn_named;      /* per func: its fn id (index + 1) was written with a name */
	size_t n_files;
};

static void cg_file(const struct pstats *ps, struct cg_names *nm, size_t f, const char *key,
		    struct strbuf *out)
{
	if (!nm->file_id[f]) {
		/* share ids between functions of the same file */
		for (size_t i = 0; i < ps->n_funcs; i++)
			if (nm->file_id[i] && !strcmp(ps->funcs[i].file, ps->funcs[f].file)) {
				nm->file_id[f] = nm->file_id[i];
				break;
			}
		if (!nm->file_id[f]) {
			nm->file_id[f] = ++nm->n_files;
			sb_addf(out, "%s=(%zu) %s\n", key, nm->file_id[f], ps->funcs[f].file);
			return;
		}
	}
	sb_addf(out, "%s=(%zu)\n", key, nm->file_id[f]);
}

static void cg_fn(const struct pstats *ps, struct cg_names *nm, size_t f, const char *key,
		  struct strbuf *out)
{
	if (nm->fn_named[f]) {
		sb_addf(out, "%s=(%zu)\n", key, f + 1);
		return;
	}
	nm->fn_named[f] = 1;
	sb_addf(out, "%s=(%zu) %s:%ld\n", key, f + 1, ps->funcs[f].name, ps->funcs[f].line);
}

void pstats_write_callgrind(const struct pstats *ps, const char *cmd, struct strbuf *out)
{
	struct pstats_totals t;
	pstats_totals(ps, &t);
	sb_addf(out, "# callgrind format\nversion: 1\ncreator: greenbench %s\n", GB_VERSION);
	sb_addf(out, "cmd: %s\npositions: line\nevents: ns\nsummary: %lld\n\n", cmd ? cmd : "greenbench",
		ns(t.total_tt));
	struct cg_names nm = { gb_calloc(ps->n_funcs + 1, sizeof(size_t)),
			       gb_calloc(ps->n_funcs + 1, sizeof(int)), 0 };
	/* file ids: a hash would be faster; n_funcs is a few thousand, fine */
	struct edge_index ix;
	index_edges(ps, 1, &ix);
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		if (!f->is_listed && ix.start[i] == ix.start[i + 1])
			continue;
		cg_file(ps, &nm, i, "fl", out);
		cg_fn(ps, &nm, i, "fn", out);
		sb_addf(out, "%ld %lld\n", f->line, ns(f->tt));
		for (size_t k = ix.start[i]; k < ix.start[i + 1]; k++) {
			const struct pstats_edge *e = &ps->edges[ix.order[k]];
			cg_file(ps, &nm, e->callee, "cfl", out);
			cg_fn(ps, &nm, e->callee, "cfn", out);
			sb_addf(out, "calls=%lld %ld\n%ld %lld\n", e->nc, ps->funcs[e->callee].line,
				f->line, ns(e->ct));
		}
		sb_addch(out, '\n');
	}
	free_index(&ix);
	free(nm.file_id);
	free(nm.fn_named);
}

/* ---- collapsed stacks ---- */

#define COLLAPSED_MAX_DEPTH 128
#define COLLAPSED_MAX_LINES 200000

struct folder {
	const struct pstats *ps;
	struct edge_index callees;  /* edges grouped by caller */
	char **labels;              /* per func: frame label */
	size_t stack[COLLAPSED_MAX_DEPTH];
	int on_stack_depth;
	unsigned char *on_stack;
	double *in_ct;              /* per func: max(ct, sum of its callers' edge cumtime) */
	struct strbuf *out;
	size_t lines;
};

static char *frame_label(const struct pstats_func *f)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = strrchr(f->file, '/');
	base = base ? base + 1 : f->file;
	if (!strcmp(f->file, "~"))
		pstats_func_label(f, &sb);
	else
		sb_addf(&sb, "%s (%s:%ld)", f->name, base, f->line);
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == ';' || sb.buf[i] == '\n')
			sb.buf[i] = ':';
	return sb_detach(&sb);
}

static void fold(struct folder *fd, size_t fn, double w, int depth)
{
	const struct pstats_func *f = &fd->ps->funcs[fn];
	fd->stack[depth] = fn;
	fd->on_stack[fn] = 1;
	long long self_us = llround(w * f->tt * 1e6);
	if (self_us > 0 && fd->lines < COLLAPSED_MAX_LINES) {
		for (int i = 0; i <= depth; i++) {
			if (i)
				sb_addch(fd->out, ';');
			sb_addstr(fd->out, fd->labels[fd->stack[i]]);
		}
		sb_addf(fd->out, " %lld\n", self_us);
		fd->lines++;
	}
	if (depth + 1 < COLLAPSED_MAX_DEPTH) {
		for (size_t k = fd->callees.start[fn]; k < fd->callees.start[fn + 1]; k++) {
			const struct pstats_edge *e = &fd->ps->edges[fd->callees.order[k]];
			const struct pstats_func *g = &fd->ps->funcs[e->callee];
			if (fd->on_stack[e->callee] || !(g->ct > 0) || !(e->ct > 0))
				continue;
			double share = e->ct / fd->in_ct[e->callee];
			if (share > 1)
				share = 1;
			double wg = w * share;
			if (wg * g->ct < 1e-6)
				continue;
			fold(fd, e->callee, wg, depth + 1);
		}
	}
	fd->on_stack[fn] = 0;
}

void pstats_write_collapsed(const struct pstats *ps, struct strbuf *out)
{
	struct folder fd = { .ps = ps, .out = out };
	index_edges(ps, 1, &fd.callees);
	fd.labels = gb_malloc((ps->n_funcs ? ps->n_funcs : 1) * sizeof(char *));
	fd.on_stack = gb_calloc(ps->n_funcs + 1, 1);
	double *from_callers = gb_calloc(ps->n_funcs + 1, sizeof(double));
	fd.in_ct = gb_calloc(ps->n_funcs + 1, sizeof(double));
	for (size_t i = 0; i < ps->n_funcs; i++)
		fd.labels[i] = frame_label(&ps->funcs[i]);
	for (size_t i = 0; i < ps->n_edges; i++)
		if (ps->edges[i].caller != ps->edges[i].callee && ps->edges[i].ct > 0)
			from_callers[ps->edges[i].callee] += ps->edges[i].ct;
	for (size_t i = 0; i < ps->n_funcs; i++)
		fd.in_ct[i] = from_callers[i] > ps->funcs[i].ct ? from_callers[i] : ps->funcs[i].ct;
	/* Roots: the part of each function's time its recorded callers don't explain (the
	 * profiled call's direct callees, and frames entered before profiling started). */
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		if (!f->is_listed || !(f->ct > 0))
			continue;
		double w = 1.0 - from_callers[i] / f->ct;
		if (w * f->ct >= 1e-6)
			fold(&fd, i, w, 0);
	}
	for (size_t i = 0; i < ps->n_funcs; i++)
		free(fd.labels[i]);
	free(fd.labels);
	free(fd.on_stack);
	free(fd.in_ct);
	free(from_callers);
	free_index(&fd.callees);
}

/* ---- JSON ---- */

static json_t *key_obj(const struct pstats_func *f, long long cc, long long nc, double tt,
		       double ct)
{
	return json_pack("{s:s, s:I, s:s, s:I, s:I, s:f, s:f}", "file", f->file, "line",
			 (json_int_t)f->line, "name", f->name, "cc", (json_int_t)cc, "nc",
			 (json_int_t)nc, "tt", tt, "ct", ct);
}

void pstats_write_json(const struct pstats *ps, struct strbuf *out)
{
	struct pstats_totals t;
	pstats_totals(ps, &t);
	struct edge_index ix;
	index_edges(ps, 0, &ix);
	json_t *funcs = json_array();
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		if (!f->is_listed)
			continue;
		json_t *o = key_obj(f, f->cc, f->nc, f->tt, f->ct);
		json_t *callers = json_array();
		for (size_t k = ix.start[i]; k < ix.start[i + 1]; k++) {
			const struct pstats_edge *e = &ps->edges[ix.order[k]];
			json_array_append_new(callers, key_obj(&ps->funcs[e->caller], e->cc, e->nc, e->tt,
							       e->ct));
		}
		json_object_set_new(o, "callers", callers);
		json_array_append_new(funcs, o);
	}
	json_t *root = json_pack("{s:I, s:I, s:I, s:f, s:o}", "n_functions", (json_int_t)ps->n_listed,
				 "total_calls", (json_int_t)t.total_calls, "prim_calls",
				 (json_int_t)t.prim_calls, "total_tt", t.total_tt, "functions", funcs);
	char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (s) {
		sb_addstr(out, s);
		sb_addch(out, '\n');
		free(s);
	}
	json_decref(root);
	free_index(&ix);
}

/* ---- the writer ---- */

struct writer {
	struct strbuf *out;
	const struct pstats *ps;
	long *func_ref;     /* per func: ref index of its key tuple, -1 until written */
	long *file_ref;     /* per func: ref index of its file string (via file_owner) */
	size_t *file_hash;  /* open addressing: func index + 1 of the first func with a file */
	size_t file_hash_size;
	long n_refs;
};

static void w_u32(struct strbuf *out, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	sb_add(out, b, 4);
}

static void w_int(struct strbuf *out, long long v)
{
	if (v >= INT32_MIN && v <= INT32_MAX) {
		sb_addch(out, T_INT);
		w_u32(out, (uint32_t)(int32_t)v);
		return;
	}
	unsigned long long a = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	unsigned char digits[10];
	int n = 0;
	while (a) {
		unsigned d = (unsigned)(a & 0x7fff);
		digits[2 * n] = (unsigned char)d;
		digits[2 * n + 1] = (unsigned char)(d >> 8);
		n++;
		a >>= 15;
	}
	sb_addch(out, T_LONG);
	w_u32(out, (uint32_t)(int32_t)(v < 0 ? -n : n));
	sb_add(out, digits, (size_t)(2 * n));
}

static void w_float(struct strbuf *out, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	unsigned char b[9];
	b[0] = T_BINARY_FLOAT;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(bits >> (8 * i));
	sb_add(out, b, 9);
}

static void w_str(struct strbuf *out, const char *s, int flag)
{
	size_t n = strlen(s);
	int is_ascii = 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			is_ascii = 0;
	if (is_ascii && n < 256) {
		sb_addch(out, (char)(T_SHORT_ASCII | flag));
		sb_addch(out, (char)n);
	} else {
		sb_addch(out, (char)((is_ascii ? T_ASCII : T_UNICODE) | flag));
		w_u32(out, (uint32_t)n);
	}
	sb_add(out, s, n);
}

static void w_key(struct writer *w, size_t fn)
{
	if (w->func_ref[fn] >= 0) {
		sb_addch(w->out, T_REF);
		w_u32(w->out, (uint32_t)w->func_ref[fn]);
		return;
	}
	const struct pstats_func *f = &w->ps->funcs[fn];
	sb_addch(w->out, (char)(T_SMALL_TUPLE | FLAG_REF));
	sb_addch(w->out, 3);
	w->func_ref[fn] = w->n_refs++;
	/* the file string: once per distinct file, then back-references */
	size_t mask = w->file_hash_size - 1;
	size_t h = pstats_hash_key(f->file, 0, "") & mask;
	while (w->file_hash[h] && strcmp(w->ps->funcs[w->file_hash[h] - 1].file, f->file))
		h = (h + 1) & mask;
	if (w->file_hash[h] && w->file_ref[w->file_hash[h] - 1] >= 0) {
		sb_addch(w->out, T_REF);
		w_u32(w->out, (uint32_t)w->file_ref[w->file_hash[h] - 1]);
	} else {
		w->file_hash[h] = fn + 1;
		w->file_ref[fn] = w->n_refs++;
		w_str(w->out, f->file, FLAG_REF);
	}
	w_int(w->out, f->line);
	w_str(w->out, f->name, 0);
}

static int cmp_edge_by_callee(const void *a, const void *b)
{
	const struct pstats_edge *x = *(const struct pstats_edge *const *)a;
	const struct pstats_edge *y = *(const struct pstats_edge *const *)b;
	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: keep the original order */
}

void pstats_write_marshal(const struct pstats *ps, struct strbuf *out)
{
	size_t n = ps->n_funcs ? ps->n_funcs : 1;
	struct writer w = { .out = out, .ps = ps };
	w.func_ref = gb_malloc(n * sizeof(long));
	w.file_ref = gb_malloc(n * sizeof(long));
	for (size_t i = 0; i < ps->n_funcs; i++)
		w.func_ref[i] = w.file_ref[i] = -1;
	w.file_hash_size = 64;
	while (w.file_hash_size < 2 * n)
		w.file_hash_size *= 2;
	w.file_hash = gb_calloc(w.file_hash_size, sizeof(size_t));

	/* edges grouped by callee */
	const struct pstats_edge **by = gb_malloc((ps->n_edges ? ps->n_edges : 1) * sizeof(*by));
	for (size_t i = 0; i < ps->n_edges; i++)
		by[i] = &ps->edges[i];
	qsort(by, ps->n_edges, sizeof(*by), cmp_edge_by_callee);

	sb_addch(out, (char)(T_DICT | FLAG_REF));
	w.n_refs++;
	size_t e = 0;
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		while (e < ps->n_edges && by[e]->callee < i)
			e++;
		if (!f->is_listed)
			continue;
		w_key(&w, i);
		sb_addch(out, T_SMALL_TUPLE);
		sb_addch(out, 5);
		w_int(out, f->cc);
		w_int(out, f->nc);
		w_float(out, f->tt);
		w_float(out, f->ct);
		sb_addch(out, T_DICT);
		for (; e < ps->n_edges && by[e]->callee == i; e++) {
			w_key(&w, by[e]->caller);
			sb_addch(out, T_SMALL_TUPLE);
			sb_addch(out, 4);
			w_int(out, by[e]->nc); /* cProfile writes callers as (nc, cc, tt, ct) */
			w_int(out, by[e]->cc);
			w_float(out, by[e]->tt);
			w_float(out, by[e]->ct);
		}
		sb_addch(out, T_NULL);
	}
	sb_addch(out, T_NULL);
	free(by);
	free(w.func_ref);
	free(w.file_ref);
	free(w.file_hash);
}

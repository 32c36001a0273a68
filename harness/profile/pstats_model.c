/*
 * pstats_model.c - the in-memory profile (struct pstats): functions interned by (file,
 * line, name), caller edges, aggregation like pstats.Stats.add(), totals, labels and the
 * lookup of a scenario's target. Never prints, never exits.
 */
#include "profile/pstats.h"
#include "profile/pstats_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

uint64_t pstats_hash_key(const char *file, long line, const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *s = (const unsigned char *)file; *s; s++)
		h = (h ^ *s) * 1099511628211ULL;
	h = (h ^ (uint64_t)line) * 1099511628211ULL;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static uint64_t hash_edge(size_t a, size_t b)
{
	uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b * 0xC2B2AE3D27D4EB4FULL;
	return h ^ (h >> 31);
}

struct pstats *pstats_new(void)
{
	return gb_calloc(1, sizeof(struct pstats));
}

void pstats_free(struct pstats *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n_funcs; i++) {
		free(ps->funcs[i].file);
		free(ps->funcs[i].name);
	}
	free(ps->funcs);
	free(ps->edges);
	free(ps->key_hash);
	free(ps->edge_hash);
	free(ps);
}

static void rehash_keys(struct pstats *ps)
{
	size_t size = ps->key_hash_size ? ps->key_hash_size * 2 : 1024;
	free(ps->key_hash);
	ps->key_hash = gb_calloc(size, sizeof(size_t));
	ps->key_hash_size = size;
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		size_t h = pstats_hash_key(f->file, f->line, f->name) & (size - 1);
		while (ps->key_hash[h])
			h = (h + 1) & (size - 1);
		ps->key_hash[h] = i + 1;
	}
}

size_t pstats_find(const struct pstats *ps, const char *file, long line, const char *name)
{
	if (!ps->key_hash_size)
		return (size_t)-1;
	size_t mask = ps->key_hash_size - 1;
	for (size_t h = pstats_hash_key(file, line, name) & mask; ps->key_hash[h]; h = (h + 1) & mask) {
		const struct pstats_func *f = &ps->funcs[ps->key_hash[h] - 1];
		if (f->line == line && !strcmp(f->name, name) && !strcmp(f->file, file))
			return ps->key_hash[h] - 1;
	}
	return (size_t)-1;
}

size_t pstats_intern(struct pstats *ps, const char *file, long line, const char *name)
{
	size_t i = pstats_find(ps, file, line, name);
	if (i != (size_t)-1)
		return i;
	if (ps->n_funcs == ps->funcs_alloc) {
		ps->funcs_alloc = ps->funcs_alloc ? ps->funcs_alloc * 2 : 256;
		ps->funcs = gb_realloc(ps->funcs, ps->funcs_alloc * sizeof(*ps->funcs));
	}
	struct pstats_func *f = &ps->funcs[ps->n_funcs];
	memset(f, 0, sizeof(*f));
	f->file = gb_strdup(file);
	f->line = line;
	f->name = gb_strdup(name);
	ps->n_funcs++;
	if (ps->n_funcs * 2 > ps->key_hash_size) {
		rehash_keys(ps);
	} else {
		size_t mask = ps->key_hash_size - 1;
		size_t h = pstats_hash_key(file, line, name) & mask;
		while (ps->key_hash[h])
			h = (h + 1) & mask;
		ps->key_hash[h] = ps->n_funcs;
	}
	return ps->n_funcs - 1;
}

void pstats_add_func(struct pstats *ps, size_t fn, long long cc, long long nc, double tt,
		     double ct)
{
	struct pstats_func *f = &ps->funcs[fn];
	if (!f->is_listed) {
		f->is_listed = 1;
		ps->n_listed++;
	}
	f->cc += cc;
	f->nc += nc;
	f->tt += tt;
	f->ct += ct;
}

static void rehash_edges(struct pstats *ps)
{
	size_t size = ps->edge_hash_size ? ps->edge_hash_size * 2 : 1024;
	free(ps->edge_hash);
	ps->edge_hash = gb_calloc(size, sizeof(size_t));
	ps->edge_hash_size = size;
	for (size_t i = 0; i < ps->n_edges; i++) {
		size_t h = hash_edge(ps->edges[i].caller, ps->edges[i].callee) & (size - 1);
		while (ps->edge_hash[h])
			h = (h + 1) & (size - 1);
		ps->edge_hash[h] = i + 1;
	}
}

void pstats_add_edge(struct pstats *ps, size_t caller, size_t callee, long long cc,
		     long long nc, double tt, double ct)
{
	if (ps->edge_hash_size) {
		size_t mask = ps->edge_hash_size - 1;
		for (size_t h = hash_edge(caller, callee) & mask; ps->edge_hash[h]; h = (h + 1) & mask) {
			struct pstats_edge *e = &ps->edges[ps->edge_hash[h] - 1];
			if (e->caller == caller && e->callee == callee) {
				e->cc += cc;
				e->nc += nc;
				e->tt += tt;
				e->ct += ct;
				return;
			}
		}
	}
	if (ps->n_edges == ps->edges_alloc) {
		ps->edges_alloc = ps->edges_alloc ? ps->edges_alloc * 2 : 512;
		ps->edges = gb_realloc(ps->edges, ps->edges_alloc * sizeof(*ps->edges));
	}
	ps->edges[ps->n_edges++] = (struct pstats_edge){ caller, callee, cc, nc, tt, ct };
	if (ps->n_edges * 2 > ps->edge_hash_size) {
		rehash_edges(ps);
	} else {
		size_t mask = ps->edge_hash_size - 1;
		size_t h = hash_edge(caller, callee) & mask;
		while (ps->edge_hash[h])
			h = (h + 1) & mask;
		ps->edge_hash[h] = ps->n_edges;
	}
}

void pstats_merge(struct pstats *dst, const struct pstats *src)
{
	size_t *map = gb_malloc((src->n_funcs ? src->n_funcs : 1) * sizeof(size_t));
	for (size_t i = 0; i < src->n_funcs; i++) {
		const struct pstats_func *f = &src->funcs[i];
		map[i] = pstats_intern(dst, f->file, f->line, f->name);
		if (f->is_listed)
			pstats_add_func(dst, map[i], f->cc, f->nc, f->tt, f->ct);
	}
	for (size_t i = 0; i < src->n_edges; i++) {
		const struct pstats_edge *e = &src->edges[i];
		pstats_add_edge(dst, map[e->caller], map[e->callee], e->cc, e->nc, e->tt, e->ct);
	}
	free(map);
}

void pstats_totals(const struct pstats *ps, struct pstats_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ps->n_funcs; i++) {
		if (!ps->funcs[i].is_listed)
			continue;
		out->total_tt += ps->funcs[i].tt;
		out->total_calls += ps->funcs[i].nc;
		out->prim_calls += ps->funcs[i].cc;
	}
}

void pstats_func_label(const struct pstats_func *f, struct strbuf *out)
{
	if (!strcmp(f->file, "~") && f->line == 0) {
		size_t n = strlen(f->name);
		if (n >= 2 && f->name[0] == '<' && f->name[n - 1] == '>')
			sb_addf(out, "{%.*s}", (int)(n - 2), f->name + 1);
		else
			sb_addstr(out, f->name);
		return;
	}
	sb_addf(out, "%s:%ld(%s)", f->file, f->line, f->name);
}

long pstats_find_target(const struct pstats *ps, const char *target)
{
	const char *colon = strchr(target, ':');
	if (!colon || !colon[1])
		return -1;
	const char *name = strrchr(colon + 1, '.');
	name = name ? name + 1 : colon + 1;
	struct strbuf mod = STRBUF_INIT, pkg = STRBUF_INIT;
	for (const char *p = target; p < colon; p++)
		sb_addch(&mod, *p == '.' ? '/' : *p);
	sb_addf(&pkg, "%s/__init__.py", sb_str(&mod));
	sb_addstr(&mod, ".py");
	long best = -1;
	for (size_t i = 0; i < ps->n_funcs; i++) {
		const struct pstats_func *f = &ps->funcs[i];
		if (!f->is_listed || strcmp(f->name, name) != 0)
			continue;
		size_t fl = strlen(f->file);
		int match = 0;
		const struct strbuf *cands[2] = { &mod, &pkg };
		for (int c = 0; c < 2 && !match; c++) {
			size_t ml = cands[c]->len;
			if (fl >= ml && !strcmp(f->file + fl - ml, cands[c]->buf) &&
			    (fl == ml || f->file[fl - ml - 1] == '/'))
				match = 1;
		}
		if (match && (best < 0 || f->ct > ps->funcs[best].ct))
			best = (long)i;
	}
	sb_release(&mod);
	sb_release(&pkg);
	return best;
}

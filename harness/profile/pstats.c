/*
 * pstats.c - reads cProfile dumps (the subset of marshal they use, and greenprof's
 * optional trailer) into struct pstats. Every length and index in the input is checked
 * before use; anything the dumps never contain is rejected by name. The in-memory model
 * is pstats_model.c, the writers (marshal too) pstats_export.c. Never prints, never exits.
 */
#include "profile/pstats.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/pstats_int.h"

/* ---- the generic object tree the reader builds first ---- */

enum mtype { M_INT, M_FLOAT, M_STR, M_TUPLE, M_DICT };

struct mobj {
	enum mtype type;
	int is_done;          /* 0 while its children are being read (refs to it are cycles) */
	size_t offset;        /* byte offset of its type code, for errors */
	union {
		long long i;
		double f;
		struct { char *s; size_t len; } str;        /* NUL-terminated, no NUL inside */
		struct { struct mobj **items; size_t n; } tuple;
		struct { struct mobj **kv; size_t n_pairs; } dict; /* key, value, key, value... */
	} u;
};

/* Bump allocator: everything the reader builds dies together. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	unsigned char data[];
};

struct reader {
	const unsigned char *p;   /* the input */
	size_t len, pos;
	const char *what;         /* input name for errors */
	struct gb_err *err;
	struct arena_chunk *arena;
	struct mobj **refs;       /* FLAG_REF objects in order of appearance */
	size_t n_refs, refs_alloc;
	int depth;
};

static void *arena_alloc(struct reader *r, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!r->arena || r->arena->size - r->arena->used < n) {
		size_t size = n > 65536 ? n : 65536;
		struct arena_chunk *c = gb_malloc(sizeof(*c) + size);
		c->next = r->arena;
		c->used = 0;
		c->size = size;
		r->arena = c;
	}
	void *p = r->arena->data + r->arena->used;
	r->arena->used += n;
	return p;
}

static void arena_free(struct arena_chunk *c)
{
	while (c) {
		struct arena_chunk *n = c->next;
		free(c);
		c = n;
	}
}

static int rerr(struct reader *r, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rerr(struct reader *r, size_t at, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gb_errf(r->err, GB_EXIT_USAGE, "%s: byte %zu: %s; not a usable cProfile dump",
		       r->what, at, msg);
}

static int need(struct reader *r, size_t n, const char *what)
{
	if (r->len - r->pos < n)
		return rerr(r, r->pos, "truncated %s (needs %zu bytes, %zu left)", what, n,
			    r->len - r->pos);
	return 0;
}

static uint32_t get_u32(struct reader *r)
{
	const unsigned char *b = r->p + r->pos;
	r->pos += 4;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static size_t add_ref(struct reader *r, struct mobj *o)
{
	if (r->n_refs == r->refs_alloc) {
		r->refs_alloc = r->refs_alloc ? r->refs_alloc * 2 : 256;
		r->refs = gb_realloc(r->refs, r->refs_alloc * sizeof(*r->refs));
	}
	r->refs[r->n_refs] = o;
	return r->n_refs++;
}

static const char *type_name(int code)
{
	switch (code) {
	case T_NULL: return "NULL";
	case T_NONE: return "None";
	case T_FALSE: return "False";
	case T_TRUE: return "True";
	case T_STOPITER: return "StopIteration";
	case T_ELLIPSIS: return "Ellipsis";
	case T_INT64: return "int64";
	case T_FLOAT: return "text float";
	case T_COMPLEX: case T_BINARY_COMPLEX: return "complex";
	case T_STRING: return "bytes";
	case T_LIST: return "list";
	case T_CODE: return "code object";
	case T_SET: return "set";
	case T_FROZENSET: return "frozenset";
	case T_UNKNOWN: return "unknown";
	default: return NULL;
	}
}

/* Valid UTF-8 as marshal writes it ("surrogatepass": surrogates allowed). */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) { i++; continue; }
		else if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; }
		else return 0;
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k + 1;
	}
	return 1;
}

static struct mobj *new_obj(struct reader *r, enum mtype t, size_t at)
{
	struct mobj *o = arena_alloc(r, sizeof(*o));
	memset(o, 0, sizeof(*o));
	o->type = t;
	o->offset = at;
	return o;
}

static int read_object(struct reader *r, struct mobj **out);

static int read_str(struct reader *r, size_t at, int code, int flag, struct mobj **out)
{
	size_t n;
	if (code == T_SHORT_ASCII || code == T_SHORT_ASCII_INTERNED) {
		if (need(r, 1, "string length"))
			return -1;
		n = r->p[r->pos++];
	} else {
		if (need(r, 4, "string length"))
			return -1;
		uint32_t v = get_u32(r);
		if (v > INT32_MAX)
			return rerr(r, at, "negative string length %ld", (long)(int32_t)v);
		n = v;
	}
	if (need(r, n, "string"))
		return -1;
	const unsigned char *s = r->p + r->pos;
	int is_ascii = code == T_ASCII || code == T_ASCII_INTERNED || code == T_SHORT_ASCII ||
		       code == T_SHORT_ASCII_INTERNED;
	if (memchr(s, 0, n))
		return rerr(r, at, "string contains a NUL byte");
	if (is_ascii) {
		for (size_t i = 0; i < n; i++)
			if (s[i] >= 0x80)
				return rerr(r, at, "ASCII string contains byte 0x%02x", s[i]);
	} else if (!utf8_ok(s, n)) {
		return rerr(r, at, "string is not valid UTF-8");
	}
	struct mobj *o = new_obj(r, M_STR, at);
	o->u.str.s = arena_alloc(r, n + 1);
	memcpy(o->u.str.s, s, n);
	o->u.str.s[n] = '\0';
	o->u.str.len = n;
	o->is_done = 1;
	r->pos += n;
	if (flag)
		add_ref(r, o);
	*out = o;
	return 0;
}

static int read_long(struct reader *r, size_t at, int flag, struct mobj **out)
{
	if (need(r, 4, "int digit count"))
		return -1;
	int32_t n = (int32_t)get_u32(r);
	if (n < -5 || n > 5)
		return rerr(r, at, "integer with %ld 15-bit digits does not fit in 64 bits", (long)n);
	int neg = n < 0;
	size_t nd = (size_t)(neg ? -n : n);
	if (need(r, 2 * nd, "int digits"))
		return -1;
	unsigned long long v = 0;
	for (size_t i = 0; i < nd; i++) {
		unsigned d = (unsigned)r->p[r->pos + 2 * i] | (unsigned)r->p[r->pos + 2 * i + 1] << 8;
		if (d >= 0x8000)
			return rerr(r, at, "integer digit %u out of range", d);
		if (i == nd - 1 && d == 0)
			return rerr(r, at, "unnormalized integer (top digit 0)");
		if (i == 4 && d > 0x7) /* 4*15 + 3 = 63 bits */
			return rerr(r, at, "integer does not fit in 64 bits");
		v |= (unsigned long long)d << (15 * i);
	}
	r->pos += 2 * nd;
	struct mobj *o = new_obj(r, M_INT, at);
	o->u.i = neg ? -(long long)v : (long long)v;
	o->is_done = 1;
	if (flag)
		add_ref(r, o);
	*out = o;
	return 0;
}

static int read_tuple(struct reader *r, size_t at, int code, int flag, struct mobj **out)
{
	size_t n;
	if (code == T_SMALL_TUPLE) {
		if (need(r, 1, "tuple size"))
			return -1;
		n = r->p[r->pos++];
	} else {
		if (need(r, 4, "tuple size"))
			return -1;
		uint32_t v = get_u32(r);
		if (v > INT32_MAX)
			return rerr(r, at, "negative tuple size %ld", (long)(int32_t)v);
		n = v;
	}
	if (n > r->len - r->pos) /* every item takes at least one byte */
		return rerr(r, at, "tuple of %zu items cannot fit in the %zu bytes left", n,
			    r->len - r->pos);
	struct mobj *o = new_obj(r, M_TUPLE, at);
	o->u.tuple.items = arena_alloc(r, (n ? n : 1) * sizeof(struct mobj *));
	o->u.tuple.n = n;
	if (flag)
		add_ref(r, o);
	for (size_t i = 0; i < n; i++)
		if (read_object(r, &o->u.tuple.items[i]))
			return -1;
	o->is_done = 1;
	*out = o;
	return 0;
}

static int read_dict(struct reader *r, size_t at, int flag, struct mobj **out)
{
	struct mobj *o = new_obj(r, M_DICT, at);
	if (flag)
		add_ref(r, o);
	struct mobj **kv = NULL;
	size_t n = 0, alloc = 0;
	for (;;) {
		if (need(r, 1, "dict (no end marker)"))
			goto fail;
		if (r->p[r->pos] == T_NULL) {
			r->pos++;
			break;
		}
		if (n + 2 > alloc) {
			alloc = alloc ? alloc * 2 : 16;
			kv = gb_realloc(kv, alloc * sizeof(*kv));
		}
		if (read_object(r, &kv[n]) || read_object(r, &kv[n + 1]))
			goto fail;
		n += 2;
	}
	o->u.dict.kv = arena_alloc(r, (n ? n : 1) * sizeof(*kv));
	if (n)
		memcpy(o->u.dict.kv, kv, n * sizeof(*kv));
	o->u.dict.n_pairs = n / 2;
	free(kv);
	o->is_done = 1;
	*out = o;
	return 0;
fail:
	free(kv);
	return -1;
}

static int read_object(struct reader *r, struct mobj **out)
{
	size_t at = r->pos;
	if (need(r, 1, "object"))
		return -1;
	int byte = r->p[r->pos++];
	int flag = byte & FLAG_REF;
	int code = byte & ~FLAG_REF;
	if (++r->depth > PSTATS_MAX_DEPTH) {
		r->depth--;
		return rerr(r, at, "objects nested more than %d deep", PSTATS_MAX_DEPTH);
	}
	int rc = 0;
	switch (code) {
	case T_INT: {
		if (need(r, 4, "int")) { rc = -1; break; }
		struct mobj *o = new_obj(r, M_INT, at);
		o->u.i = (int32_t)get_u32(r);
		o->is_done = 1;
		if (flag)
			add_ref(r, o);
		*out = o;
		break;
	}
	case T_LONG:
		rc = read_long(r, at, flag, out);
		break;
	case T_BINARY_FLOAT: {
		if (need(r, 8, "float")) { rc = -1; break; }
		uint64_t bits = 0;
		for (int i = 7; i >= 0; i--)
			bits = bits << 8 | r->p[r->pos + (size_t)i];
		r->pos += 8;
		double d;
		memcpy(&d, &bits, sizeof(d));
		if (!isfinite(d)) {
			rc = rerr(r, at, "float is not finite");
			break;
		}
		struct mobj *o = new_obj(r, M_FLOAT, at);
		o->u.f = d;
		o->is_done = 1;
		if (flag)
			add_ref(r, o);
		*out = o;
		break;
	}
	case T_SHORT_ASCII: case T_SHORT_ASCII_INTERNED: case T_ASCII: case T_ASCII_INTERNED:
	case T_UNICODE: case T_INTERNED:
		rc = read_str(r, at, code, flag, out);
		break;
	case T_SMALL_TUPLE: case T_TUPLE:
		rc = read_tuple(r, at, code, flag, out);
		break;
	case T_DICT:
		rc = read_dict(r, at, flag, out);
		break;
	case T_REF: {
		if (need(r, 4, "back-reference")) { rc = -1; break; }
		uint32_t idx = get_u32(r);
		if (idx >= r->n_refs) {
			rc = rerr(r, at, "back-reference %lu but only %zu objects so far",
				  (unsigned long)idx, r->n_refs);
			break;
		}
		if (!r->refs[idx]->is_done) {
			rc = rerr(r, at, "back-reference %lu to an object still being read (a cycle)",
				  (unsigned long)idx);
			break;
		}
		*out = r->refs[idx];
		break;
	}
	default: {
		const char *tn = type_name(code);
		if (tn)
			rc = rerr(r, at, "marshal type '%c' (%s) is never used by cProfile dumps", code, tn);
		else
			rc = rerr(r, at, "unknown marshal type code 0x%02x", byte);
	}
	}
	r->depth--;
	return rc;
}

/* ---- from the object tree to struct pstats ---- */

static int conv_err(struct reader *r, const struct mobj *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int conv_err(struct reader *r, const struct mobj *o, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gb_errf(r->err, GB_EXIT_USAGE, "%s: object at byte %zu: %s; not a usable cProfile dump",
		       r->what, o->offset, msg);
}

static const char *mtype_name(enum mtype t)
{
	static const char *const n[] = { "int", "float", "str", "tuple", "dict" };
	return n[t];
}

static int want_tuple(struct reader *r, const struct mobj *o, size_t n, const char *what)
{
	if (o->type != M_TUPLE)
		return conv_err(r, o, "%s is a %s, expected a %zu-tuple", what, mtype_name(o->type), n);
	if (o->u.tuple.n != n)
		return conv_err(r, o, "%s has %zu items, expected %zu", what, o->u.tuple.n, n);
	return 0;
}

static int get_count(struct reader *r, const struct mobj *o, const char *what, long long *v)
{
	if (o->type != M_INT)
		return conv_err(r, o, "%s is a %s, expected an int", what, mtype_name(o->type));
	if (o->u.i < 0)
		return conv_err(r, o, "%s is negative (%lld)", what, o->u.i);
	*v = o->u.i;
	return 0;
}

static int get_time(struct reader *r, const struct mobj *o, const char *what, double *v)
{
	if (o->type == M_FLOAT)
		*v = o->u.f;
	else if (o->type == M_INT)
		*v = (double)o->u.i;
	else
		return conv_err(r, o, "%s is a %s, expected a float", what, mtype_name(o->type));
	return 0;
}

static int get_key(struct reader *r, struct pstats *ps, const struct mobj *o, const char *what,
		   size_t *idx)
{
	if (want_tuple(r, o, 3, what))
		return -1;
	struct mobj *f = o->u.tuple.items[0], *l = o->u.tuple.items[1], *n = o->u.tuple.items[2];
	if (f->type != M_STR)
		return conv_err(r, f, "%s file name is a %s, expected a str", what, mtype_name(f->type));
	if (l->type != M_INT)
		return conv_err(r, l, "%s line number is a %s, expected an int", what, mtype_name(l->type));
	if (n->type != M_STR)
		return conv_err(r, n, "%s function name is a %s, expected a str", what, mtype_name(n->type));
	if (l->u.i < 0 || l->u.i > INT32_MAX)
		return conv_err(r, l, "%s line number %lld out of range", what, l->u.i);
	*idx = pstats_intern(ps, f->u.str.s, (long)l->u.i, n->u.str.s);
	return 0;
}

static int convert(struct reader *r, const struct mobj *top, struct pstats *ps)
{
	if (top->type != M_DICT)
		return conv_err(r, top, "the dump is a %s, expected a dict", mtype_name(top->type));
	for (size_t i = 0; i < top->u.dict.n_pairs; i++) {
		const struct mobj *k = top->u.dict.kv[2 * i], *v = top->u.dict.kv[2 * i + 1];
		size_t fn;
		long long cc = 0, nc = 0;
		double tt = 0, ct = 0;
		if (get_key(r, ps, k, "function key", &fn))
			return -1;
		if (ps->funcs[fn].is_listed)
			return conv_err(r, k, "function %s:%ld(%s) appears twice", ps->funcs[fn].file,
					ps->funcs[fn].line, ps->funcs[fn].name);
		if (want_tuple(r, v, 5, "function stats") ||
		    get_count(r, v->u.tuple.items[0], "primitive call count", &cc) ||
		    get_count(r, v->u.tuple.items[1], "call count", &nc) ||
		    get_time(r, v->u.tuple.items[2], "tottime", &tt) ||
		    get_time(r, v->u.tuple.items[3], "cumtime", &ct))
			return -1;
		pstats_add_func(ps, fn, cc, nc, tt, ct);
		const struct mobj *callers = v->u.tuple.items[4];
		if (callers->type != M_DICT)
			return conv_err(r, callers, "callers is a %s, expected a dict",
					mtype_name(callers->type));
		for (size_t j = 0; j < callers->u.dict.n_pairs; j++) {
			const struct mobj *ck = callers->u.dict.kv[2 * j], *cv = callers->u.dict.kv[2 * j + 1];
			size_t caller;
			if (get_key(r, ps, ck, "caller key", &caller))
				return -1;
			if (cv->type == M_INT)
				return conv_err(r, cv, "caller stats is an int (the old 'profile' module's "
						       "format); only cProfile dumps are supported");
			size_t before = ps->n_edges;
			if (want_tuple(r, cv, 4, "caller stats") ||
			    get_count(r, cv->u.tuple.items[0], "caller call count", &nc) ||
			    get_count(r, cv->u.tuple.items[1], "caller primitive call count", &cc) ||
			    get_time(r, cv->u.tuple.items[2], "caller tottime", &tt) ||
			    get_time(r, cv->u.tuple.items[3], "caller cumtime", &ct))
				return -1;
			pstats_add_edge(ps, caller, fn, cc, nc, tt, ct);
			if (ps->n_edges == before)
				return conv_err(r, ck, "caller %s:%ld(%s) appears twice",
						ps->funcs[caller].file, ps->funcs[caller].line,
						ps->funcs[caller].name);
		}
	}
	return 0;
}

/* ---- the greenprof trailer ---- */

static int trailer_err(struct reader *r, const struct mobj *o, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int trailer_err(struct reader *r, const struct mobj *o, const char *field, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gb_errf(r->err, GB_EXIT_USAGE, "%s: byte %zu: greenprof trailer field '%s': %s; "
		       "the dump was not written by a compatible greenprof", r->what, o->offset, field, msg);
}

static int trailer_ns(struct reader *r, const struct mobj *v, const char *field, long long max,
		      long long *out)
{
	if (v->type != M_INT)
		return trailer_err(r, v, field, "is a %s, expected an int", mtype_name(v->type));
	if (v->u.i < 0 || v->u.i > max)
		return trailer_err(r, v, field, "%lld is outside 0..%lld", v->u.i, max);
	*out = v->u.i;
	return 0;
}

/* The dict after the stats: {"greenprof": 1, "cpu_ns", "wall_ns", "wait_ns", "switches",
 * "mode"}; unknown keys are allowed (a newer greenprof), known ones must be well typed. */
static int convert_trailer(struct reader *r, const struct mobj *top, struct pstats_times *t)
{
	if (top->type != M_DICT)
		return trailer_err(r, top, "(trailer)", "is a %s, expected a dict", mtype_name(top->type));
	int seen = 0; /* bit per required field */
	static const char *const req[] = { "greenprof", "cpu_ns", "wall_ns", "wait_ns" };
	for (size_t i = 0; i < top->u.dict.n_pairs; i++) {
		const struct mobj *k = top->u.dict.kv[2 * i], *v = top->u.dict.kv[2 * i + 1];
		if (k->type != M_STR)
			return trailer_err(r, k, "(key)", "is a %s, expected a str", mtype_name(k->type));
		const char *f = k->u.str.s;
		long long x = 0;
		if (strcmp(f, "greenprof") == 0) {
			if (trailer_ns(r, v, f, 1000, &x))
				return -1;
			if (x != 1)
				return trailer_err(r, v, f, "version %lld, this greenbench reads version 1", x);
			seen |= 1;
		} else if (strcmp(f, "cpu_ns") == 0) {
			if (trailer_ns(r, v, f, PSTATS_MAX_TRAILER_NS, &t->cpu_ns))
				return -1;
			seen |= 2;
		} else if (strcmp(f, "wall_ns") == 0) {
			if (trailer_ns(r, v, f, PSTATS_MAX_TRAILER_NS, &t->wall_ns))
				return -1;
			seen |= 4;
		} else if (strcmp(f, "wait_ns") == 0) {
			if (trailer_ns(r, v, f, PSTATS_MAX_TRAILER_NS, &t->wait_ns))
				return -1;
			seen |= 8;
		} else if (strcmp(f, "switches") == 0) {
			if (trailer_ns(r, v, f, INT32_MAX, &t->switches))
				return -1;
		} else if (strcmp(f, "mode") == 0) {
			if (v->type != M_STR)
				return trailer_err(r, v, f, "is a %s, expected a str", mtype_name(v->type));
			if (strcmp(v->u.str.s, "eventlet") != 0 && strcmp(v->u.str.s, "threads") != 0)
				return trailer_err(r, v, f, "'%.40s' is neither 'eventlet' nor 'threads'", v->u.str.s);
			snprintf(t->mode, sizeof(t->mode), "%s", v->u.str.s);
		}
	}
	for (int b = 0; b < 4; b++)
		if (!(seen & (1 << b)))
			return trailer_err(r, top, req[b], "missing");
	if (t->wait_ns > t->wall_ns)
		return trailer_err(r, top, "wait_ns", "%lld ns is more than wall_ns (%lld)", t->wait_ns,
				   t->wall_ns);
	/* one thread's CPU cannot outrun its wall time (1% and 1 ms for the two clocks) */
	if (t->cpu_ns > t->wall_ns + t->wall_ns / 100 + 1000000)
		return trailer_err(r, top, "cpu_ns", "%lld ns is more than wall_ns (%lld)", t->cpu_ns,
				   t->wall_ns);
	t->is_known = 1;
	return 0;
}

/* After the stats, nothing or exactly one trailer object (its own marshal.dumps, so its
 * back-references start afresh). */
static int read_trailer(struct reader *r, struct pstats_times *t)
{
	size_t start = r->pos, left = r->len - r->pos;
	if (left > PSTATS_MAX_TRAILER)
		return rerr(r, start, "%zu bytes after the stats, more than a greenprof trailer "
			    "may have (%u)", left, PSTATS_MAX_TRAILER);
	r->n_refs = 0;
	struct mobj *o = NULL;
	if (read_object(r, &o))
		return -1;
	if (r->pos != r->len)
		return rerr(r, r->pos, "%zu bytes of trailing data after the greenprof trailer",
			    r->len - r->pos);
	memset(t, 0, sizeof(*t));
	if (convert_trailer(r, o, t)) {
		memset(t, 0, sizeof(*t));
		return -1;
	}
	return 0;
}

int pstats_parse(const unsigned char *data, size_t len, const char *what, struct pstats **out,
		 struct gb_err *err)
{
	*out = NULL;
	struct reader r = { .p = data, .len = len, .what = what ? what : "dump", .err = err };
	if (len > PSTATS_MAX_BYTES)
		return gb_errf(err, GB_EXIT_USAGE, "%s: %zu bytes is more than the %u a dump may have",
			       r.what, len, PSTATS_MAX_BYTES);
	if (len == 0)
		return gb_errf(err, GB_EXIT_USAGE, "%s: empty file; not a cProfile dump", r.what);
	struct mobj *top = NULL;
	struct pstats *ps = NULL;
	int rc = read_object(&r, &top);
	if (rc == 0) {
		ps = pstats_new();
		rc = convert(&r, top, ps);
	}
	if (rc == 0 && r.pos != len)
		rc = read_trailer(&r, &ps->times);
	arena_free(r.arena);
	free(r.refs);
	if (rc) {
		pstats_free(ps);
		return -1;
	}
	*out = ps;
	return 0;
}

/*
 * pstats.c - reads cProfile dumps (the subset of marshal they use) into struct pstats,
 * aggregates profiles like pstats.Stats.add(), and writes them back as marshal.
 * Every length and index in the input is checked before use; anything the dumps never
 * contain is rejected by name. Never prints, never exits.
 */
#include "profile/pstats.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- marshal type codes (CPython Python/marshal.c) ---- */

#define FLAG_REF 0x80
enum {
	T_NULL = '0', T_NONE = 'N', T_FALSE = 'F', T_TRUE = 'T', T_STOPITER = 'S',
	T_ELLIPSIS = '.', T_INT = 'i', T_INT64 = 'I', T_FLOAT = 'f', T_BINARY_FLOAT = 'g',
	T_COMPLEX = 'x', T_BINARY_COMPLEX = 'y', T_LONG = 'l', T_STRING = 's',
	T_INTERNED = 't', T_REF = 'r', T_TUPLE = '(', T_LIST = '[', T_DICT = '{',
	T_CODE = 'c', T_UNICODE = 'u', T_UNKNOWN = '?', T_SET = '<', T_FROZENSET = '>',
	T_ASCII = 'a', T_ASCII_INTERNED = 'A', T_SMALL_TUPLE = ')', T_SHORT_ASCII = 'z',
	T_SHORT_ASCII_INTERNED = 'Z',
};

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

/* ---- the in-memory profile ---- */

static uint64_t hash_key(const char *file, long line, const char *name)
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
		size_t h = hash_key(f->file, f->line, f->name) & (size - 1);
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
	for (size_t h = hash_key(file, line, name) & mask; ps->key_hash[h]; h = (h + 1) & mask) {
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
		size_t h = hash_key(file, line, name) & mask;
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
	size_t h = hash_key(f->file, 0, "") & mask;
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

/*
 * pstats.h - cProfile's dump format (marshal of {(file, line, func): (cc, nc, tt, ct,
 * {caller: (cc, nc, tt, ct)})}) read and written in C, plus the in-memory profile the
 * store, stats and export share. Never trusts its input, never prints, never exits.
 */
#ifndef GB_PSTATS_H
#define GB_PSTATS_H

#include <stddef.h>

#include "base/gb.h"

/* One function: its key and its own totals. */
struct pstats_func {
	char *file;      /* co_filename, or "~" for builtins; owned by the profile */
	long line;       /* co_firstlineno, 0 for builtins */
	char *name;      /* co_name, or "<method 'x' of 'y' objects>" */
	int is_listed;   /* 1: a key of the dump's dict; 0: seen only as a caller */
	long long cc;    /* primitive (non-recursive) calls */
	long long nc;    /* all calls */
	double tt;       /* tottime: seconds in the function itself */
	double ct;       /* cumtime: seconds including callees */
};

/* One caller edge: `caller` called `callee` with these totals. Note cProfile writes a
 * caller's tuple as (nc, cc, tt, ct), the function's own as (cc, nc, tt, ct). */
struct pstats_edge {
	size_t caller;   /* index into funcs */
	size_t callee;   /* index into funcs */
	long long cc, nc;
	double tt, ct;
};

/* greenprof's trailer: a second marshal object (a dict with str keys) after the stats,
 * which pstats and marshal.load never read. The profiled call's own times, in ns. */
struct pstats_times {
	int is_known;         /* 0: no trailer (cProfile, older greenprof): CPU unknown */
	long long cpu_ns;     /* thread CPU time of the call's own execution */
	long long wall_ns;    /* enable() .. disable() */
	long long wait_ns;    /* switched out (greenlet waits); 0 in threads mode */
	long long switches;   /* switches out of the call's greenlets */
	char mode[16];        /* "eventlet" or "threads" */
};

/* Largest trailer accepted, and the largest time in it (one day). */
#define PSTATS_MAX_TRAILER 4096u
#define PSTATS_MAX_TRAILER_NS (86400LL * 1000000000LL)

/* A whole profile. Create with pstats_new() or pstats_parse(); free with pstats_free(). */
struct pstats {
	struct pstats_func *funcs; /* listed functions and callers-only keys, in first-seen order */
	size_t n_funcs;
	size_t n_listed;           /* how many funcs have is_listed (pstats' len(stats)) */
	struct pstats_edge *edges; /* grouped by callee in dump order */
	size_t n_edges;
	struct pstats_times times; /* from the dump's trailer; pstats_merge() leaves it alone */
	/* private: allocation sizes and the key and edge hash tables */
	size_t funcs_alloc, edges_alloc;
	size_t *key_hash, key_hash_size;
	size_t *edge_hash, edge_hash_size;
};

/* Sums over the listed functions, as pstats.Stats prints them. */
struct pstats_totals {
	double total_tt;        /* sum of tt: "in N seconds" */
	long long total_calls;  /* sum of nc */
	long long prim_calls;   /* sum of cc */
};

/* Largest dump pstats_parse() accepts, and deepest nesting (the format needs 5). */
#define PSTATS_MAX_BYTES (512u * 1024 * 1024)
#define PSTATS_MAX_DEPTH 8

/*
 * Parse a cProfile dump (marshal versions 2..4, as written by CPython 3.x), and the
 * optional greenprof trailer after it (into ps->times; checked as strictly). `what`
 * names the input in errors ("x.prof"). On success *out is a new profile the caller
 * frees with pstats_free(); on error err says what and at which byte offset.
 */
int pstats_parse(const unsigned char *data, size_t len, const char *what, struct pstats **out,
		 struct gb_err *err);

/* An empty profile (for building aggregates). The caller frees it. */
struct pstats *pstats_new(void);
void pstats_free(struct pstats *ps);

/* Index of the function (file, line, name), adding it (not listed, zero stats) if new. */
size_t pstats_intern(struct pstats *ps, const char *file, long line, const char *name);

/* Index of the function, or (size_t)-1 when the profile doesn't have it. */
size_t pstats_find(const struct pstats *ps, const char *file, long line, const char *name);

/* Add totals to a function (marks it listed), or to the edge caller->callee, summing
 * like pstats.Stats.add() does. */
void pstats_add_func(struct pstats *ps, size_t fn, long long cc, long long nc, double tt,
		     double ct);
void pstats_add_edge(struct pstats *ps, size_t caller, size_t callee, long long cc,
		     long long nc, double tt, double ct);

/* Add every function and edge of src into dst (pstats.Stats.add). */
void pstats_merge(struct pstats *dst, const struct pstats *src);

void pstats_totals(const struct pstats *ps, struct pstats_totals *out);

/*
 * Serialize as a cProfile dump (marshal version 4 with back-references) that
 * pstats.Stats loads: out gets the bytes appended. Only listed functions become keys.
 */
void pstats_write_marshal(const struct pstats *ps, struct strbuf *out);

/* pstats' name for a function: "file:line(name)", or "{method 'x' of 'y' objects}" for
 * builtins (file "~"). Appended to out. */
void pstats_func_label(const struct pstats_func *f, struct strbuf *out);

/* ---- other formats (pstats_export.c); each appends to out ---- */

/* callgrind format (KCachegrind, callgrind_annotate); event "ns", cmd names the source. */
void pstats_write_callgrind(const struct pstats *ps, const char *cmd, struct strbuf *out);

/* Folded stacks for flame graphs ("a;b;c 123", microseconds), APPROXIMATED from caller
 * edges: a callee's time is split among its callers in proportion to their edge cumtime;
 * the part of a function's cumtime no recorded caller explains makes it a root. Recursion
 * is cut at the first repeat, contributions below 1 us are dropped (on the real nova dump
 * the stacks carry 79% of the total tottime; greenprof's own stacks would be exact). */
void pstats_write_collapsed(const struct pstats *ps, struct strbuf *out);

/* JSON: {"functions": [{file, line, name, cc, nc, tt, ct, callers: [...]}], totals}. */
void pstats_write_json(const struct pstats *ps, struct strbuf *out);


/*
 * The entry of a profile target "package.module:Qual.name" in ps: a listed
 * function named by the qualname's last component whose file ends with the
 * module's path (package/module.py or package/module/__init__.py). When
 * several match, the one with the largest cumtime. Returns its index or -1.
 */
long pstats_find_target(const struct pstats *ps, const char *target);

#endif

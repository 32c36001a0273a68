/*
 * scenario_read.h - typed readers over the scenario's YAML tree, shared by the
 * scenario loader's files only (scenario.c). Every reader returns 0, or -1
 * with ctx->err holding "file:line:col: field: expected ..., got '...'".
 */
#ifndef GB_SCENARIO_READ_H
#define GB_SCENARIO_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "base/yamltree.h"
#include "scenario/scenario.h"

#define SC_MAX_STRING 4096 /* any string value, in bytes */

/* One load in progress. */
struct sc_ctx {
	const char *name;    /* file name as given, prefixes every message */
	const char *dir;     /* relative paths resolve against it */
	bool check_files;    /* local_conf/patch files must be readable (scenario_load) */
	struct gb_err *err;  /* where the one message goes */
	struct scenario *sc; /* being filled; freed by the caller on error */
};

/* ---- messages (all return -1) ---- */

/* "name:line:col: [path: ]message" at node n (1:1 when n is NULL). */
int sc_fail(struct sc_ctx *c, const struct yt_node *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "path: expected WHAT, got 'X'" at n. */
int sc_expect(struct sc_ctx *c, const struct yt_node *n, const char *path, const char *what);
/* "path: missing required key 'KEY'HINT" at the mapping map. */
int sc_missing(struct sc_ctx *c, const struct yt_node *map, const char *path, const char *key,
	       const char *hint);
/* What the user wrote: "'value'" (escaped, cut at 40 characters), "an empty
 * value", "a mapping" or "a list". */
void sc_describe(const struct yt_node *n, char *out, size_t size);
/* Field paths: path + "." + key, path + "[i]" (cut with "..." to fit). */
void sc_join_key(char *out, size_t size, const char *path, const char *key);
void sc_join_index(char *out, size_t size, const char *path, size_t i);

/* ---- scalars; each copies into *out, which the scenario owns ---- */

enum { STR_MULTILINE = 1, STR_SECRET = 2, STR_EMPTY_OK = 4 };

/* A string: no NUL, no control characters (but \n and \t with STR_MULTILINE),
 * at most max bytes, not empty unless STR_EMPTY_OK; STR_SECRET: never echoed. */
int sc_get_str(struct sc_ctx *c, const struct yt_node *n, const char *path, size_t max, int flags,
	       char **out);
/* A decimal integer in lo..hi; never wraps. */
int sc_get_int(struct sc_ctx *c, const struct yt_node *n, const char *path, long lo, long hi,
	       int *out);
/* true/false, yes/no, on/off. */
int sc_get_bool(struct sc_ctx *c, const struct yt_node *n, const char *path, bool *out);
/* A duration (gb_parse_duration) in (0, max] seconds, or [0, max] with zero_ok. */
int sc_get_duration(struct sc_ctx *c, const struct yt_node *n, const char *path, double max,
		    bool zero_ok, const char *what, double *out);
/* A plain number >= 0, no units. */
int sc_get_number(struct sc_ctx *c, const struct yt_node *n, const char *path, double *out);
/* One of choices, exactly; suggests the closest (or a case-insensitive match). */
int sc_get_choice(struct sc_ctx *c, const struct yt_node *n, const char *path,
		  const char *const *choices, const char *what, char **out);
/* A path resolved against c->dir; with check (and c->check_files), a readable file. */
int sc_get_path(struct sc_ctx *c, const struct yt_node *n, const char *path, bool check, char **out);

/* ---- names and paths ---- */

/* 1..max characters of [A-Za-z0-9] + extra, starting with a letter or digit. */
bool sc_is_name(const char *s, size_t max, const char *extra);
/* [s, end) is dotted identifiers: "a.b_c.D1". */
bool sc_is_dotted(const char *s, const char *end);

/* ---- mappings ---- */

/* n is a mapping of string keys, each given once and each in known (NULL: any);
 * what describes the expected mapping for the type error. */
int sc_check_map(struct sc_ctx *c, const struct yt_node *n, const char *path,
		 const char *const *known, const char *what);
/* The value of key in a checked mapping, or NULL; sc_map_opt also treats an
 * empty value as absent (optional keys). */
const struct yt_node *sc_map_get(const struct yt_node *n, const char *key);
const struct yt_node *sc_map_opt(const struct yt_node *n, const char *key);

#endif

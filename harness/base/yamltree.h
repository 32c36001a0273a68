/*
 * yamltree.h - the one YAML reader of greenbench: text -> a small tree of scalars,
 * mappings and lists, each node with its line:column, for scenarios, units files and
 * clouds.yaml alike. Refuses what those never need (aliases; anchors and tags unless the
 * document's rules allow them; a second document; deep nesting; huge node counts; bytes
 * that are not UTF-8 text). Never prints, never exits, never expands anything.
 */
#ifndef GB_YAMLTREE_H
#define GB_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

#define YT_MAX_DEPTH 64 /* the deepest rules.max_depth may ask for */

enum yt_kind { YT_SCALAR = 1, YT_MAP, YT_SEQ };

struct yt_node {
	enum yt_kind kind;
	int line, col;          /* 1-based start of the node in the file */
	char *str;              /* YT_SCALAR: the value, NUL-terminated */
	size_t len;             /* YT_SCALAR: bytes in str (may hold a NUL: check) */
	bool is_plain;          /* YT_SCALAR: unquoted, so null/true/10 are typed */
	struct yt_node **kids;  /* YT_MAP: key, value, key, value...; YT_SEQ: items */
	size_t n_kids;
	size_t alloc_kids;
};

/* What one kind of document allows, and how the messages name it. */
struct yt_rules {
	const char *noun;      /* "scenario": "...; a scenario must be UTF-8 text" */
	const char *nouns;     /* "scenarios": "aliases are not allowed in scenarios" */
	size_t max_bytes;      /* larger input is refused before parsing */
	int max_depth;         /* nesting of mappings and lists, at most YT_MAX_DEPTH */
	size_t max_nodes;      /* scalars + mappings + lists */
	bool allow_anchors;    /* &name is accepted (and ignored); *name never is */
	bool allow_tags;       /* !tag is accepted (and ignored) */
	bool has_secrets;      /* may hold passwords: no message quotes a byte of the text */
};

/*
 * Parse data (len bytes) into *root. name prefixes every message
 * ("name:line:col: ..."). *root is NULL for a file holding no document (empty, or
 * only comments). The caller frees with yamltree_free().
 */
int yamltree_parse(const char *name, const char *data, size_t len, const struct yt_rules *rules,
		   struct yt_node **root, struct gb_err *err);

/* Free a tree; scalar bytes are wiped first (they may be passwords). NULL is fine. */
void yamltree_free(struct yt_node *n);

/* True for a plain scalar reading as YAML null: empty, ~, null, Null, NULL. */
bool yamltree_is_null(const struct yt_node *n);

/* In a mapping, the first pair whose key is the scalar key: its index in kids (the key;
 * the value is at index + 1), or -1 (also when map is NULL or not a mapping). */
long yamltree_find(const struct yt_node *map, const char *key);

/* The value of key in map (the first if given twice), or NULL. */
const struct yt_node *yamltree_get(const struct yt_node *map, const char *key);

#endif

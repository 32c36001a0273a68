/*
 * scenario_tree.h - YAML text -> a small tree of scalars, mappings and lists,
 * each node carrying its line:column. Used by scenario.c only. Refuses what a
 * scenario never needs (aliases, anchors, tags, several documents, deep nesting,
 * huge node counts, bytes that are not UTF-8 text); never prints, never exits.
 */
#ifndef GB_SCENARIO_TREE_H
#define GB_SCENARIO_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

#define SCENARIO_MAX_BYTES (1024 * 1024) /* a scenario is small; refuse more */
#define SCENARIO_MAX_DEPTH 64            /* nesting of mappings and lists */
#define SCENARIO_MAX_NODES 20000         /* scalars + mappings + lists */

enum st_kind { ST_SCALAR = 1, ST_MAP, ST_SEQ };

struct st_node {
	enum st_kind kind;
	int line, col;          /* 1-based start of the node in the file */
	char *str;              /* ST_SCALAR: the value, NUL-terminated */
	size_t len;             /* ST_SCALAR: bytes in str (may hold a NUL: check) */
	bool is_plain;          /* ST_SCALAR: unquoted, so null/true/10 are typed */
	struct st_node **kids;  /* ST_MAP: key, value, key, value...; ST_SEQ: items */
	size_t n_kids;
	size_t alloc_kids;
};

/*
 * Parse data (len bytes) into *root. name prefixes every message
 * ("name:line:col: ..."). *root is NULL for a file holding no document
 * (empty, or only comments). The caller frees with scenario_tree_free().
 */
int scenario_tree_parse(const char *name, const char *data, size_t len, struct st_node **root,
			struct gb_err *err);

void scenario_tree_free(struct st_node *n);

/* True for a plain scalar reading as YAML null: empty, ~, null, Null, NULL. */
bool scenario_tree_is_null(const struct st_node *n);

#endif

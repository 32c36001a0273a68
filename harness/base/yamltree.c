/*
 * yamltree.c - YAML text -> a tree of nodes with line:column (libyaml's event API; no
 * hand-written YAML), for every document greenbench reads. Owns the input limits: UTF-8
 * text only, no NUL or control bytes, no aliases (anchors and tags as the rules say),
 * one document, size, depth and node caps. The only file that includes <yaml.h>.
 * Never prints, never exits, never expands anything.
 */
#include "base/yamltree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- input bytes ---- */

/* 1-based line and column (in characters, as libyaml counts) of byte off. */
static void locate(const char *data, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		unsigned char b = (unsigned char)data[i];
		if (b == '\n') {
			l++;
			c = 1;
		} else if ((b & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Length of the well-formed UTF-8 sequence at p (at most left bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left, unsigned *cp)
{
	unsigned b = p[0];
	size_t n;
	unsigned v, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if ((b & 0xE0) == 0xC0) {
		n = 2, v = b & 0x1F, min = 0x80;
	} else if ((b & 0xF0) == 0xE0) {
		n = 3, v = b & 0x0F, min = 0x800;
	} else if ((b & 0xF8) == 0xF0) {
		n = 4, v = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Refuse bytes a text file never holds, naming the first one's line:col. */
static int check_text(const char *name, const char *data, size_t len, const struct yt_rules *r,
		      struct gb_err *err)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0;
	while (i < len) {
		unsigned cp;
		size_t n = utf8_seq(p + i, len - i, &cp);
		int line, col;
		if (!n || !cp || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F ||
		    (cp >= 0x80 && cp <= 0x9F && cp != 0x85)) {
			locate(data, i, &line, &col);
			char what[24] = "";
			if (!r->has_secrets)
				snprintf(what, sizeof(what), !n ? " (byte 0x%02x)" : " U+%04X", !n ? p[i] : cp);
			if (!n)
				return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: not valid UTF-8%s; "
					       "a %s must be UTF-8 text", name, line, col, what, r->noun);
			if (!cp)
				return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: NUL byte; a %s must be "
					       "UTF-8 text", name, line, col, r->noun);
			return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: control character%s; a %s "
				       "must be plain text (tabs and newlines only)", name, line, col, what,
				       r->noun);
		}
		i += n;
	}
	return 0;
}

/* ---- tree ---- */

void yamltree_free(struct yt_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		yamltree_free(n->kids[i]);
	free(n->kids);
	if (n->str) {
		explicit_bzero(n->str, n->len); /* may be a password */
		free(n->str);
	}
	free(n);
}

bool yamltree_is_null(const struct yt_node *n)
{
	if (!n || n->kind != YT_SCALAR || !n->is_plain)
		return false;
	return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

long yamltree_find(const struct yt_node *map, const char *key)
{
	if (!map || map->kind != YT_MAP)
		return -1;
	for (size_t i = 0; i + 1 < map->n_kids; i += 2) {
		const struct yt_node *k = map->kids[i];
		if (k->kind == YT_SCALAR && strlen(k->str) == k->len && !strcmp(k->str, key))
			return (long)i;
	}
	return -1;
}

const struct yt_node *yamltree_get(const struct yt_node *map, const char *key)
{
	long i = yamltree_find(map, key);
	return i < 0 ? NULL : map->kids[i + 1];
}

static void add_kid(struct yt_node *parent, struct yt_node *kid)
{
	if (parent->n_kids == parent->alloc_kids) {
		parent->alloc_kids = parent->alloc_kids ? parent->alloc_kids * 2 : 8;
		parent->kids = gb_realloc(parent->kids, parent->alloc_kids * sizeof(*parent->kids));
	}
	parent->kids[parent->n_kids++] = kid;
}

/* The parse in progress: the node stack and what has been seen. */
struct builder {
	const char *name;                        /* for messages */
	const struct yt_rules *r;                /* what the document allows */
	struct yt_node *root;                    /* first node of the document */
	struct yt_node *stack[YT_MAX_DEPTH + 1]; /* open mappings/lists */
	int depth;                               /* entries used in stack */
	size_t n_nodes;                          /* nodes made so far */
	int n_docs;                              /* documents started */
};

static int refuse_extras(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
			 const yaml_char_t *tag, struct gb_err *err)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	if (anchor && !b->r->allow_anchors)
		return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: anchor '&%.40s': aliases are not allowed "
			       "in %s; write each value out", b->name, line, col, (const char *)anchor,
			       b->r->nouns);
	if (tag && !b->r->allow_tags)
		return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: tag '%.40s': tags are not allowed in "
			       "%s; remove it", b->name, line, col, (const char *)tag, b->r->nouns);
	return 0;
}

/* Make a node for ev and hang it under the open container (or make it the root). */
static struct yt_node *new_node(struct builder *b, const yaml_event_t *ev, enum yt_kind kind,
				struct gb_err *err)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	if (++b->n_nodes > b->r->max_nodes) {
		gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: more than %zu YAML nodes; a %s is small, "
			"this file is not one", b->name, line, col, b->r->max_nodes, b->r->noun);
		return NULL;
	}
	struct yt_node *n = gb_calloc(1, sizeof(*n));
	n->kind = kind;
	n->line = line;
	n->col = col;
	if (b->depth)
		add_kid(b->stack[b->depth - 1], n);
	else
		b->root = n;
	return n;
}

static int on_event(struct builder *b, const yaml_event_t *ev, struct gb_err *err)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	struct yt_node *n;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->n_docs > 1)
			return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: a second YAML document; a file holds "
				       "one %s, split it into two files", b->name, line, col, b->r->noun);
		return 0;
	case YAML_ALIAS_EVENT:
		return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: alias '*%.40s': aliases are not allowed "
			       "in %s; write each value out", b->name, line, col,
			       (const char *)ev->data.alias.anchor, b->r->nouns);
	case YAML_SCALAR_EVENT:
		if (refuse_extras(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag, err))
			return -1;
		if (!(n = new_node(b, ev, YT_SCALAR, err)))
			return -1;
		n->len = ev->data.scalar.length;
		n->str = gb_strndup((const char *)ev->data.scalar.value, n->len);
		n->is_plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
		if (refuse_extras(b, ev, is_seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
				  is_seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag, err))
			return -1;
		if (b->depth >= b->r->max_depth)
			return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: nested deeper than %d levels; a "
				       "%s never needs that", b->name, line, col, b->r->max_depth,
				       b->r->noun);
		if (!(n = new_node(b, ev, is_seq ? YT_SEQ : YT_MAP, err)))
			return -1;
		b->stack[b->depth++] = n;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

static int syntax_error(const char *name, const char *data, const yaml_parser_t *p,
			struct gb_err *err)
{
	int line, col;
	if (p->error == YAML_READER_ERROR) {
		locate(data, p->problem_offset, &line, &col);
	} else {
		line = (int)p->problem_mark.line + 1;
		col = (int)p->problem_mark.column + 1;
	}
	const char *problem = p->problem ? p->problem : "cannot parse";
	if (p->error == YAML_MEMORY_ERROR)
		return gb_errf(err, GB_EXIT_USAGE, "%s: out of memory while parsing YAML", name);
	if (p->context && p->error != YAML_READER_ERROR)
		return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: YAML syntax error: %s (%s at line %d)", name,
			       line, col, problem, p->context, (int)p->context_mark.line + 1);
	return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: YAML syntax error: %s", name, line, col, problem);
}

int yamltree_parse(const char *name, const char *data, size_t len, const struct yt_rules *rules,
		   struct yt_node **root, struct gb_err *err)
{
	*root = NULL;
	if (len > rules->max_bytes)
		return gb_errf(err, GB_EXIT_USAGE, "%s: larger than %zu bytes; a %s is small, this "
			       "file is not one", name, rules->max_bytes, rules->noun);
	if (check_text(name, data, len, rules, err))
		return -1;

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return gb_errf(err, GB_EXIT_USAGE, "%s: cannot start the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	struct yt_rules r = *rules;
	if (r.max_depth <= 0 || r.max_depth > YT_MAX_DEPTH)
		r.max_depth = YT_MAX_DEPTH;
	struct builder b = { .name = name, .r = &r };
	int rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(name, data, &parser, err);
			break;
		}
		rc = on_event(&b, &ev, err);
		bool done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc || done)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc) {
		yamltree_free(b.root);
		return -1;
	}
	*root = b.root;
	return 0;
}

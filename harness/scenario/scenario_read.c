/*
 * scenario_read.c - reading typed values out of the scenario's YAML tree: strings,
 * integers, durations, choices, names, paths, mappings, each with its one-line
 * "file:line:col: field: expected ..., got '...'" message. Part of the scenario
 * loader; never prints, never exits, reads a file's metadata only for sc_get_path.
 */
#include "scenario/scenario_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- messages ---- */

/* "name:line:col: [path: ]message"; returns -1. */
int sc_fail(struct sc_ctx *c, const struct yt_node *n, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gb_errf(c->err, GB_EXIT_USAGE, "%s:%d:%d: %s%s%s", c->name, n ? n->line : 1,
		       n ? n->col : 1, path, *path ? ": " : "", msg);
}

/* What the user wrote, fit for a one-line message: "'value'" (control bytes
 * escaped, long values cut), or "an empty value", "a mapping", "a list". */
void sc_describe(const struct yt_node *n, char *out, size_t size)
{
	if (n->kind == YT_MAP) {
		snprintf(out, size, "a mapping");
		return;
	}
	if (n->kind == YT_SEQ) {
		snprintf(out, size, "a list");
		return;
	}
	if (yamltree_is_null(n)) {
		snprintf(out, size, "an empty value");
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_addch(&sb, '\'');
	size_t shown = 0;
	for (size_t i = 0; i < n->len; i++) {
		unsigned char b = (unsigned char)n->str[i];
		if (shown >= 40 && (b & 0xC0) != 0x80) {
			sb_addstr(&sb, "...");
			break;
		}
		if (b < 0x20 || b == 0x7F)
			sb_addf(&sb, "\\x%02x", b);
		else
			sb_addch(&sb, (char)b);
		if ((b & 0xC0) != 0x80)
			shown++;
	}
	sb_addch(&sb, '\'');
	snprintf(out, size, "%s", sb_str(&sb));
	sb_release(&sb);
}

/* "path: expected WHAT, got 'X'" at n. */
int sc_expect(struct sc_ctx *c, const struct yt_node *n, const char *path, const char *what)
{
	char got[256];
	sc_describe(n, got, sizeof(got));
	return sc_fail(c, n, path, "expected %s, got %s", what, got);
}

/* A field path cut to fit its buffer ends in "..." (only user-named config
 * keys can be that long). */
static void mark_cut(char *out, size_t size, int n)
{
	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(out + size - 4, "...", 4);
}

/* path + "." + key, or path + "[i]" */
void sc_join_key(char *out, size_t size, const char *path, const char *key)
{
	mark_cut(out, size, snprintf(out, size, "%s%s%s", path, *path ? "." : "", key));
}

void sc_join_index(char *out, size_t size, const char *path, size_t i)
{
	mark_cut(out, size, snprintf(out, size, "%s[%zu]", path, i));
}

/* ---- scalars ---- */

/* A string value: a scalar, not empty (unless STR_EMPTY_OK), no NUL, no control
 * characters (newlines and tabs only with STR_MULTILINE), at most max bytes.
 * *out gets a copy the scenario owns (any old value is freed). */
int sc_get_str(struct sc_ctx *c, const struct yt_node *n, const char *path, size_t max, int flags,
	       char **out)
{
	if (n->kind != YT_SCALAR || (yamltree_is_null(n) && !(flags & STR_EMPTY_OK)))
		return sc_expect(c, n, path, "a string");
	if (!(flags & STR_EMPTY_OK) && n->len == 0)
		return sc_expect(c, n, path, "a non-empty string");
	const char *what = flags & STR_SECRET ? "the value" : "the string";
	for (size_t i = 0; i < n->len; i++) {
		unsigned char b = (unsigned char)n->str[i];
		if (b == 0)
			return sc_fail(c, n, path, "%s holds a NUL character; remove it", what);
		if ((b < 0x20 || b == 0x7F) && !((flags & STR_MULTILINE) && (b == '\n' || b == '\t')))
			return sc_fail(c, n, path, "%s holds control character 0x%02x; it may reach a "
				       "command line, remove it", what, b);
	}
	if (n->len > max) {
		char what_len[64];
		snprintf(what_len, sizeof(what_len), "a string of at most %zu bytes", max);
		if (flags & STR_SECRET)
			return sc_fail(c, n, path, "expected %s", what_len);
		return sc_expect(c, n, path, what_len);
	}
	free(*out);
	*out = yamltree_is_null(n) ? gb_strdup("") : gb_strndup(n->str, n->len);
	return 0;
}

/* Decimal integer in lo..hi: digits with an optional '-', no leading zeros,
 * no '+', no hex/octal/underscores; out-of-range values never wrap. */
int sc_get_int(struct sc_ctx *c, const struct yt_node *n, const char *path, long lo, long hi,
	       int *out)
{
	char what[64];
	snprintf(what, sizeof(what), "an integer %ld..%ld", lo, hi);
	if (n->kind != YT_SCALAR || n->len == 0 || n->len > 18 || strlen(n->str) != n->len)
		return sc_expect(c, n, path, what);
	const char *p = n->str;
	bool neg = *p == '-';
	if (neg)
		p++;
	if (!*p || (p[0] == '0' && p[1]))
		return sc_expect(c, n, path, what);
	long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return sc_expect(c, n, path, what);
		v = v * 10 + (*p - '0'); /* at most 18 digits: cannot overflow */
	}
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return sc_expect(c, n, path, what);
	*out = (int)v;
	return 0;
}

int sc_get_bool(struct sc_ctx *c, const struct yt_node *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };
	if (n->kind == YT_SCALAR) {
		for (size_t i = 0; yes[i]; i++) {
			if (!strcmp(n->str, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(n->str, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return sc_expect(c, n, path, "true or false");
}

/* A duration ("500ms", "2s", "1.5m", "1h", or bare seconds) in (0, max] s;
 * with zero_ok, 0 is allowed. what is the message's "expected ...". */
int sc_get_duration(struct sc_ctx *c, const struct yt_node *n, const char *path, double max,
		    bool zero_ok, const char *what, double *out)
{
	double v;
	if (n->kind != YT_SCALAR || strlen(n->str) != n->len || gb_parse_duration(n->str, &v) ||
	    v > max || (v == 0 && !zero_ok))
		return sc_expect(c, n, path, what);
	*out = v;
	return 0;
}

/* A plain non-negative number: digits with at most one '.', no units. */
int sc_get_number(struct sc_ctx *c, const struct yt_node *n, const char *path, double *out)
{
	const char *what = "a number >= 0 (this metric is a count, not a duration)";
	if (n->kind != YT_SCALAR || n->len == 0 || n->len > 15 || strlen(n->str) != n->len)
		return sc_expect(c, n, path, what);
	int dots = 0, digits = 0;
	for (const char *p = n->str; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return sc_expect(c, n, path, what);
	}
	if (!digits || dots > 1)
		return sc_expect(c, n, path, what);
	*out = strtod(n->str, NULL);
	return 0;
}

/* One of choices (exact), else a message suggesting the closest. */
int sc_get_choice(struct sc_ctx *c, const struct yt_node *n, const char *path,
		  const char *const *choices, const char *what, char **out)
{
	if (n->kind == YT_SCALAR && strlen(n->str) == n->len) {
		for (size_t i = 0; choices[i]; i++) {
			if (!strcmp(n->str, choices[i])) {
				free(*out);
				*out = gb_strdup(choices[i]);
				return 0;
			}
		}
		const char *s = n->len <= 64 ? gb_suggest(n->str, choices) : NULL;
		for (size_t i = 0; choices[i] && !s; i++)
			if (!strcasecmp(n->str, choices[i]))
				s = choices[i];
		if (s) {
			char got[256];
			sc_describe(n, got, sizeof(got));
			return sc_fail(c, n, path, "expected %s, got %s; did you mean '%s'?", what, got, s);
		}
	}
	return sc_expect(c, n, path, what);
}

/* ---- names and paths ---- */

static bool is_name_char(char ch, const char *extra)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr(extra, ch));
}

/* 1..max characters of [A-Za-z0-9] + extra, starting with a letter or digit
 * (so it can never read as a command-line option). */
bool sc_is_name(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s);
	if (!len || len > max || !is_name_char(s[0], ""))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(s[i], extra))
			return false;
	return true;
}

/* module.path:Qual.name, each part dotted identifiers. */
bool sc_is_dotted(const char *s, const char *end)
{
	bool at_start = true;
	if (s == end)
		return false;
	for (const char *p = s; p < end; p++) {
		if (*p == '.') {
			if (at_start)
				return false;
			at_start = true;
		} else if (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (!at_start && *p >= '0' && *p <= '9')) {
			at_start = false;
		} else {
			return false;
		}
	}
	return !at_start;
}

/* rel against dir, lexically ("." and ".." folded). An absolute rel is kept.
 * A relative result never starts with '-' (it may reach an argv). */
static char *resolve(const char *dir, const char *rel)
{
	struct strbuf sb = STRBUF_INIT;
	if (rel[0] == '/') {
		sb_addch(&sb, '/');
	} else if (dir && strcmp(dir, ".")) {
		sb_addstr(&sb, dir);
		while (sb.len > 1 && sb.buf[sb.len - 1] == '/')
			sb.buf[--sb.len] = '\0';
	}
	for (const char *p = rel;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *cur = sb_str(&sb);
		bool is_dotdot = n == 2 && p[0] == '.' && p[1] == '.';
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (is_dotdot && !strcmp(cur, "/")) {
			/* /.. is / */
		} else if (is_dotdot && sb.len && strcmp(cur, "..") &&
			   !(sb.len >= 3 && !strcmp(cur + sb.len - 3, "/.."))) {
			char *slash = strrchr(sb.buf, '/');
			if (!slash)
				sb_reset(&sb);
			else if (slash == sb.buf)
				sb.len = 1, sb.buf[1] = '\0';
			else
				sb.len = (size_t)(slash - sb.buf), *slash = '\0';
		} else {
			if (sb.len && sb.buf[sb.len - 1] != '/')
				sb_addch(&sb, '/');
			sb_add(&sb, p, n);
		}
		p += n;
	}
	if (!sb.len)
		sb_addch(&sb, '.');
	if (sb.buf[0] == '-') {
		struct strbuf dot = STRBUF_INIT;
		sb_addf(&dot, "./%s", sb.buf);
		sb_release(&sb);
		return sb_detach(&dot);
	}
	return sb_detach(&sb);
}

/* A path value resolved against the scenario's directory; with check, it must
 * name a readable regular file (scenario_load only). */
int sc_get_path(struct sc_ctx *c, const struct yt_node *n, const char *path, bool check, char **out)
{
	char *raw = NULL;
	if (sc_get_str(c, n, path, SC_MAX_STRING, 0, &raw))
		return -1;
	char *res = resolve(c->dir, raw);
	free(raw);
	if (check && c->check_files) {
		struct stat st;
		if (stat(res, &st) != 0 || access(res, R_OK) != 0) {
			int e = errno;
			sc_fail(c, n, path, "cannot read '%s': %s", res, strerror(e));
			free(res);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			sc_fail(c, n, path, "'%s' is not a regular file", res);
			free(res);
			return -1;
		}
	}
	free(*out);
	*out = res;
	return 0;
}

/* ---- mappings ---- */

/* n must be a mapping whose keys are strings, each given once, each one of
 * known (NULL: any). what describes the mapping for the type error. */
int sc_check_map(struct sc_ctx *c, const struct yt_node *n, const char *path,
		 const char *const *known, const char *what)
{
	if (n->kind != YT_MAP)
		return sc_expect(c, n, path, what);
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct yt_node *k = n->kids[i];
		if (k->kind != YT_SCALAR)
			return sc_expect(c, k, path, "a key (a plain string)");
		if (yamltree_is_null(k) || !k->len)
			return sc_fail(c, k, path, "empty key; write 'key: value'");
		for (size_t j = 0; j < k->len; j++) {
			unsigned char b = (unsigned char)k->str[j];
			if (b < 0x20 || b == 0x7F) {
				char got[256];
				sc_describe(k, got, sizeof(got));
				return sc_fail(c, k, path, "key %s holds control character 0x%02x", got, b);
			}
		}
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(n->kids[j]->str, k->str))
				return sc_fail(c, k, path, "key '%.80s' given twice (lines %d and %d); keep one",
					       k->str, n->kids[j]->line, k->line);
		if (!known)
			continue;
		size_t m = 0;
		while (known[m] && strcmp(known[m], k->str))
			m++;
		if (known[m])
			continue;
		char got[256];
		sc_describe(k, got, sizeof(got));
		const char *s = k->len <= 64 ? gb_suggest(k->str, known) : NULL;
		if (s)
			return sc_fail(c, k, path, "unknown key %s; did you mean '%s'?", got, s);
		struct strbuf list = STRBUF_INIT;
		for (m = 0; known[m]; m++)
			sb_addf(&list, "%s%s", m ? ", " : "", known[m]);
		sc_fail(c, k, path, "unknown key %s; expected one of: %s", got, sb_str(&list));
		sb_release(&list);
		return -1;
	}
	return 0;
}

/* The value for key in a checked mapping, or NULL. */
const struct yt_node *sc_map_get(const struct yt_node *n, const char *key)
{
	return yamltree_get(n, key);
}

/* The value for key, NULL if absent or an empty value (optional keys). */
const struct yt_node *sc_map_opt(const struct yt_node *n, const char *key)
{
	const struct yt_node *v = sc_map_get(n, key);
	return v && !yamltree_is_null(v) ? v : NULL;
}

int sc_missing(struct sc_ctx *c, const struct yt_node *map, const char *path, const char *key,
	       const char *hint)
{
	return sc_fail(c, map, path, "missing required key '%s'%s", key, hint);
}

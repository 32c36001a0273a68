/*
 * scenario.c - schema v1: the YAML tree (scenario_tree.c) -> a validated
 * struct scenario, or one message "file:line:col: field: expected ..., got '...'".
 * Reads the scenario (and checks the files it names are readable) but never
 * changes the host,
 * never prints, never exits. The schema is documented in scenarios/README.md.
 */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "scenario_tree.h"

#define MAX_STRING 4096   /* any string value, in bytes */
#define MAX_NAME 64       /* scenario and unit names */
#define MAX_TARGET 256    /* profile targets */
#define STEP_DURATION "a duration like '120s' or '2m' (more than 0, at most 24h)"
#define SLA_DURATION "a duration like '30s' or '500ms'"

/* One load in progress. */
struct ctx {
	const char *name;  /* file name as given, prefixes every message */
	const char *dir;   /* relative paths resolve against it */
	bool check_files;  /* local_conf/patch files must be readable (scenario_load) */
	struct gb_err *err;
	struct scenario *sc; /* being filled; freed by the caller on error */
};

/* ---- messages ---- */

/* "name:line:col: [path: ]message"; returns -1. */
__attribute__((format(printf, 4, 5)))
static int fail(struct ctx *c, const struct st_node *n, const char *path, const char *fmt, ...)
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
static void describe(const struct st_node *n, char *out, size_t size)
{
	if (n->kind == ST_MAP) {
		snprintf(out, size, "a mapping");
		return;
	}
	if (n->kind == ST_SEQ) {
		snprintf(out, size, "a list");
		return;
	}
	if (scenario_tree_is_null(n)) {
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
static int expect(struct ctx *c, const struct st_node *n, const char *path, const char *what)
{
	char got[256];
	describe(n, got, sizeof(got));
	return fail(c, n, path, "expected %s, got %s", what, got);
}

/* A field path cut to fit its buffer ends in "..." (only user-named config
 * keys can be that long). */
static void mark_cut(char *out, size_t size, int n)
{
	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(out + size - 4, "...", 4);
}

/* path + "." + key, or path + "[i]" */
static void join_key(char *out, size_t size, const char *path, const char *key)
{
	mark_cut(out, size, snprintf(out, size, "%s%s%s", path, *path ? "." : "", key));
}

static void join_index(char *out, size_t size, const char *path, size_t i)
{
	mark_cut(out, size, snprintf(out, size, "%s[%zu]", path, i));
}

/* ---- scalars ---- */

enum { STR_MULTILINE = 1, STR_SECRET = 2, STR_EMPTY_OK = 4 };

/* A string value: a scalar, not empty (unless STR_EMPTY_OK), no NUL, no control
 * characters (newlines and tabs only with STR_MULTILINE), at most max bytes.
 * *out gets a copy the scenario owns (any old value is freed). */
static int get_str(struct ctx *c, const struct st_node *n, const char *path, size_t max, int flags,
		   char **out)
{
	if (n->kind != ST_SCALAR || (scenario_tree_is_null(n) && !(flags & STR_EMPTY_OK)))
		return expect(c, n, path, "a string");
	if (!(flags & STR_EMPTY_OK) && n->len == 0)
		return expect(c, n, path, "a non-empty string");
	const char *what = flags & STR_SECRET ? "the value" : "the string";
	for (size_t i = 0; i < n->len; i++) {
		unsigned char b = (unsigned char)n->str[i];
		if (b == 0)
			return fail(c, n, path, "%s holds a NUL character; remove it", what);
		if ((b < 0x20 || b == 0x7F) && !((flags & STR_MULTILINE) && (b == '\n' || b == '\t')))
			return fail(c, n, path, "%s holds control character 0x%02x; it may reach a "
				    "command line, remove it", what, b);
	}
	if (n->len > max) {
		char what_len[64];
		snprintf(what_len, sizeof(what_len), "a string of at most %zu bytes", max);
		if (flags & STR_SECRET)
			return fail(c, n, path, "expected %s", what_len);
		return expect(c, n, path, what_len);
	}
	free(*out);
	*out = scenario_tree_is_null(n) ? gb_strdup("") : gb_strndup(n->str, n->len);
	return 0;
}

/* Decimal integer in lo..hi: digits with an optional '-', no leading zeros,
 * no '+', no hex/octal/underscores; out-of-range values never wrap. */
static int get_int(struct ctx *c, const struct st_node *n, const char *path, long lo, long hi,
		   int *out)
{
	char what[64];
	snprintf(what, sizeof(what), "an integer %ld..%ld", lo, hi);
	if (n->kind != ST_SCALAR || n->len == 0 || n->len > 18 || strlen(n->str) != n->len)
		return expect(c, n, path, what);
	const char *p = n->str;
	bool neg = *p == '-';
	if (neg)
		p++;
	if (!*p || (p[0] == '0' && p[1]))
		return expect(c, n, path, what);
	long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return expect(c, n, path, what);
		v = v * 10 + (*p - '0'); /* at most 18 digits: cannot overflow */
	}
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return expect(c, n, path, what);
	*out = (int)v;
	return 0;
}

static int get_bool(struct ctx *c, const struct st_node *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };
	if (n->kind == ST_SCALAR) {
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
	return expect(c, n, path, "true or false");
}

/* A duration ("500ms", "2s", "1.5m", "1h", or bare seconds) in (0, max] s;
 * with zero_ok, 0 is allowed. what is the message's "expected ...". */
static int get_duration(struct ctx *c, const struct st_node *n, const char *path, double max,
			bool zero_ok, const char *what, double *out)
{
	double v;
	if (n->kind != ST_SCALAR || strlen(n->str) != n->len || gb_parse_duration(n->str, &v) ||
	    v > max || (v == 0 && !zero_ok))
		return expect(c, n, path, what);
	*out = v;
	return 0;
}

/* A plain non-negative number: digits with at most one '.', no units. */
static int get_number(struct ctx *c, const struct st_node *n, const char *path, double *out)
{
	const char *what = "a number >= 0 (this metric is a count, not a duration)";
	if (n->kind != ST_SCALAR || n->len == 0 || n->len > 15 || strlen(n->str) != n->len)
		return expect(c, n, path, what);
	int dots = 0, digits = 0;
	for (const char *p = n->str; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			return expect(c, n, path, what);
	}
	if (!digits || dots > 1)
		return expect(c, n, path, what);
	*out = strtod(n->str, NULL);
	return 0;
}

/* One of choices (exact), else a message suggesting the closest. */
static int get_choice(struct ctx *c, const struct st_node *n, const char *path,
		      const char *const *choices, const char *what, char **out)
{
	if (n->kind == ST_SCALAR && strlen(n->str) == n->len) {
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
			describe(n, got, sizeof(got));
			return fail(c, n, path, "expected %s, got %s; did you mean '%s'?", what, got, s);
		}
	}
	return expect(c, n, path, what);
}

/* ---- names and paths ---- */

static bool is_name_char(char ch, const char *extra)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr(extra, ch));
}

/* 1..max characters of [A-Za-z0-9] + extra, starting with a letter or digit
 * (so it can never read as a command-line option). */
static bool is_name(const char *s, size_t max, const char *extra)
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
static bool is_dotted(const char *s, const char *end)
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

static bool is_target(const char *s)
{
	const char *colon = strchr(s, ':');
	return colon && strlen(s) <= MAX_TARGET && is_dotted(s, colon) &&
	       is_dotted(colon + 1, s + strlen(s));
}

/* The function name an SLA uses for a target: its last component. */
static const char *target_function(const char *target)
{
	const char *dot = strrchr(target, '.'), *colon = strchr(target, ':');
	if (dot && dot > colon)
		return dot + 1;
	return colon ? colon + 1 : target;
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
static int get_path(struct ctx *c, const struct st_node *n, const char *path, bool check, char **out)
{
	char *raw = NULL;
	if (get_str(c, n, path, MAX_STRING, 0, &raw))
		return -1;
	char *res = resolve(c->dir, raw);
	free(raw);
	if (check && c->check_files) {
		struct stat st;
		if (stat(res, &st) != 0 || access(res, R_OK) != 0) {
			int e = errno;
			fail(c, n, path, "cannot read '%s': %s", res, strerror(e));
			free(res);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			fail(c, n, path, "'%s' is not a regular file", res);
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
static int check_map(struct ctx *c, const struct st_node *n, const char *path,
		     const char *const *known, const char *what)
{
	if (n->kind != ST_MAP)
		return expect(c, n, path, what);
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct st_node *k = n->kids[i];
		if (k->kind != ST_SCALAR)
			return expect(c, k, path, "a key (a plain string)");
		if (scenario_tree_is_null(k) || !k->len)
			return fail(c, k, path, "empty key; write 'key: value'");
		for (size_t j = 0; j < k->len; j++) {
			unsigned char b = (unsigned char)k->str[j];
			if (b < 0x20 || b == 0x7F) {
				char got[256];
				describe(k, got, sizeof(got));
				return fail(c, k, path, "key %s holds control character 0x%02x", got, b);
			}
		}
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(n->kids[j]->str, k->str))
				return fail(c, k, path, "key '%.80s' given twice (lines %d and %d); keep one",
					    k->str, n->kids[j]->line, k->line);
		if (!known)
			continue;
		size_t m = 0;
		while (known[m] && strcmp(known[m], k->str))
			m++;
		if (known[m])
			continue;
		char got[256];
		describe(k, got, sizeof(got));
		const char *s = k->len <= 64 ? gb_suggest(k->str, known) : NULL;
		if (s)
			return fail(c, k, path, "unknown key %s; did you mean '%s'?", got, s);
		struct strbuf list = STRBUF_INIT;
		for (m = 0; known[m]; m++)
			sb_addf(&list, "%s%s", m ? ", " : "", known[m]);
		fail(c, k, path, "unknown key %s; expected one of: %s", got, sb_str(&list));
		sb_release(&list);
		return -1;
	}
	return 0;
}

/* The value for key in a checked mapping, or NULL. */
static const struct st_node *map_get(const struct st_node *n, const char *key)
{
	for (size_t i = 0; i + 1 < n->n_kids; i += 2)
		if (!strcmp(n->kids[i]->str, key))
			return n->kids[i + 1];
	return NULL;
}

/* The value for key, NULL if absent or an empty value (optional keys). */
static const struct st_node *map_opt(const struct st_node *n, const char *key)
{
	const struct st_node *v = map_get(n, key);
	return v && !scenario_tree_is_null(v) ? v : NULL;
}

static int missing(struct ctx *c, const struct st_node *map, const char *path, const char *key,
		   const char *hint)
{
	return fail(c, map, path, "missing required key '%s'%s", key, hint);
}

/* ---- sections ---- */

static int parse_auth(struct ctx *c, const struct st_node *n)
{
	static const char *const keys[] = { "auth_url", "username", "password", "project_name",
					    "user_domain_name", "project_domain_name", "region_name",
					    "interface", NULL };
	static const char *const interfaces[] = { "public", "internal", "admin", NULL };
	struct sc_auth *a = &c->sc->auth;
	if (check_map(c, n, "auth", keys, "a mapping of keystone credentials (auth_url, username, ...)"))
		return -1;
	static const char *const required[] = { "auth_url", "username", "password", "project_name", NULL };
	for (size_t i = 0; required[i]; i++)
		if (!map_get(n, required[i]))
			return missing(c, n, "auth", required[i], "");
	const struct st_node *v;
	v = map_get(n, "auth_url");
	if (get_str(c, v, "auth.auth_url", MAX_STRING, 0, &a->auth_url))
		return -1;
	if (strncmp(a->auth_url, "http://", 7) && strncmp(a->auth_url, "https://", 8))
		return expect(c, v, "auth.auth_url", "a URL starting with http:// or https://");
	if (get_str(c, map_get(n, "username"), "auth.username", 255, 0, &a->username) ||
	    get_str(c, map_get(n, "password"), "auth.password", MAX_STRING, STR_SECRET, &a->password) ||
	    get_str(c, map_get(n, "project_name"), "auth.project_name", 255, 0, &a->project_name))
		return -1;
	a->user_domain_name = gb_strdup("Default");
	a->project_domain_name = gb_strdup("Default");
	a->interface = gb_strdup("public");
	if ((v = map_opt(n, "user_domain_name")) &&
	    get_str(c, v, "auth.user_domain_name", 255, 0, &a->user_domain_name))
		return -1;
	if ((v = map_opt(n, "project_domain_name")) &&
	    get_str(c, v, "auth.project_domain_name", 255, 0, &a->project_domain_name))
		return -1;
	if ((v = map_opt(n, "region_name")) && get_str(c, v, "auth.region_name", 255, 0, &a->region_name))
		return -1;
	if ((v = map_opt(n, "interface")) &&
	    get_choice(c, v, "auth.interface", interfaces, "public, internal or admin", &a->interface))
		return -1;
	c->sc->has_auth = true;
	return 0;
}

static int parse_units(struct ctx *c, const struct st_node *n)
{
	static const char *const keys[] = { "backend", "file", NULL };
	static const char *const backends[] = { "systemd", "process", NULL };
	if (check_map(c, n, "units", keys, "a mapping like {backend: systemd}"))
		return -1;
	const struct st_node *v;
	if ((v = map_opt(n, "backend"))) {
		char *b = NULL;
		if (get_choice(c, v, "units.backend", backends, "systemd or process", &b))
			return -1;
		c->sc->units.backend = strcmp(b, "process") ? SC_BACKEND_SYSTEMD : SC_BACKEND_PROCESS;
		free(b);
	}
	if ((v = map_opt(n, "file")) && get_path(c, v, "units.file", false, &c->sc->units.file))
		return -1;
	if (c->sc->units.backend == SC_BACKEND_PROCESS && !c->sc->units.file)
		return fail(c, n, "units", "the process backend needs 'file:' (the units file that "
			    "says how to start each unit, e.g. the one devstack/testcloud.sh writes)");
	return 0;
}

/* A config file name: "$NOVA_CONF" (a devstack variable) or an absolute path. */
static bool is_config_file(const char *s)
{
	if (s[0] == '/')
		return true;
	if (s[0] != '$' || !s[1] || (s[1] >= '0' && s[1] <= '9'))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

static int parse_config(struct ctx *c, const struct st_node *n)
{
	struct scenario *sc = c->sc;
	if (check_map(c, n, "config", NULL, "a mapping of config file -> section -> key -> value"))
		return -1;
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct st_node *fk = n->kids[i], *fv = n->kids[i + 1];
		char fpath[512];
		join_key(fpath, sizeof(fpath), "config", fk->str);
		if (!is_config_file(fk->str))
			return expect(c, fk, "config", "a config file like '$NOVA_CONF' or an absolute path");
		if (check_map(c, fv, fpath, NULL, "a mapping of sections"))
			return -1;
		for (size_t j = 0; j < fv->n_kids; j += 2) {
			const struct st_node *sk = fv->kids[j], *sv = fv->kids[j + 1];
			char spath[768];
			join_key(spath, sizeof(spath), fpath, sk->str);
			if (strpbrk(sk->str, "[]") || sk->str[0] == ' ' || sk->str[sk->len - 1] == ' ')
				return expect(c, sk, fpath, "a section name (no brackets, no outer spaces)");
			if (check_map(c, sv, spath, NULL, "a mapping of options"))
				return -1;
			for (size_t k = 0; k < sv->n_kids; k += 2) {
				const struct st_node *ok = sv->kids[k], *ov = sv->kids[k + 1];
				char opath[1024];
				join_key(opath, sizeof(opath), spath, ok->str);
				if (strpbrk(ok->str, "=[]") || strchr(" #;", ok->str[0]) ||
				    ok->str[ok->len - 1] == ' ')
					return expect(c, ok, spath, "an option name (no '=', '[', ']', no "
						      "outer spaces, not starting with '#' or ';')");
				struct sc_setting s = { .line = ov->line };
				if (ov->kind == ST_SEQ) {
					/* a list option: values joined with ',' as oslo.config reads them */
					struct strbuf joined = STRBUF_INIT;
					for (size_t m = 0; m < ov->n_kids; m++) {
						char ipath[1100];
						char *item = NULL;
						join_index(ipath, sizeof(ipath), opath, m);
						if (get_str(c, ov->kids[m], ipath, MAX_STRING, 0, &item)) {
							sb_release(&joined);
							return -1;
						}
						sb_addf(&joined, "%s%s", m ? "," : "", item);
						free(item);
					}
					s.value = sb_detach(&joined);
				} else if (get_str(c, ov, opath, MAX_STRING, STR_EMPTY_OK, &s.value)) {
					return -1;
				}
				s.file = gb_strdup(fk->str);
				s.section = gb_strdup(sk->str);
				s.key = gb_strdup(ok->str);
				sc->settings = gb_realloc(sc->settings, (sc->n_settings + 1) * sizeof(s));
				sc->settings[sc->n_settings++] = s;
			}
		}
	}
	return 0;
}

static int parse_patches(struct ctx *c, const struct st_node *n)
{
	static const char *const keys[] = { "path", "tree", NULL };
	struct scenario *sc = c->sc;
	if (n->kind != ST_SEQ)
		return expect(c, n, "patches", "a list of patch files");
	sc->patches = gb_calloc(n->n_kids, sizeof(*sc->patches));
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct st_node *item = n->kids[i];
		struct sc_patch *p = &sc->patches[sc->n_patches++];
		char path[64], sub[80];
		join_index(path, sizeof(path), "patches", i);
		p->line = item->line;
		if (item->kind != ST_MAP) {
			if (item->kind != ST_SCALAR)
				return expect(c, item, path, "a patch file, or {path: FILE, tree: DIR}");
			if (get_path(c, item, path, true, &p->path))
				return -1;
			continue;
		}
		if (check_map(c, item, path, keys, "a mapping"))
			return -1;
		const struct st_node *v = map_get(item, "path");
		if (!v)
			return missing(c, item, path, "path", " (the patch file)");
		join_key(sub, sizeof(sub), path, "path");
		if (get_path(c, v, sub, true, &p->path))
			return -1;
		if ((v = map_opt(item, "tree"))) {
			join_key(sub, sizeof(sub), path, "tree");
			if (get_str(c, v, sub, MAX_STRING, 0, &p->tree))
				return -1;
			if (p->tree[0] != '/')
				return expect(c, v, sub, "an absolute path to the source tree (e.g. /opt/stack/nova)");
		}
	}
	return 0;
}

static int parse_profile(struct ctx *c, const struct st_node *n)
{
	static const char *const keys[] = { "unit", "target", NULL };
	struct scenario *sc = c->sc;
	if (n->kind != ST_SEQ)
		return expect(c, n, "profile", "a list of {unit: NAME, target: module:Qual.name}");
	sc->profiles = gb_calloc(n->n_kids, sizeof(*sc->profiles));
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct st_node *item = n->kids[i];
		struct sc_profile *p = &sc->profiles[sc->n_profiles++];
		char path[64], sub[80];
		join_index(path, sizeof(path), "profile", i);
		p->line = item->line;
		if (check_map(c, item, path, keys, "a mapping {unit: NAME, target: module:Qual.name}"))
			return -1;
		const struct st_node *u = map_get(item, "unit"), *t = map_get(item, "target");
		if (!u)
			return missing(c, item, path, "unit", " (the unit to profile, e.g. n-sch)");
		if (!t)
			return missing(c, item, path, "target", " (e.g. nova.scheduler.manager:"
				       "SchedulerManager.select_destinations)");
		join_key(sub, sizeof(sub), path, "unit");
		if (get_str(c, u, sub, MAX_STRING, 0, &p->unit))
			return -1;
		if (!is_name(p->unit, MAX_NAME, "@_.-"))
			return expect(c, u, sub, "a unit name (letters, digits, @ _ . -; starting with a "
				      "letter or digit)");
		join_key(sub, sizeof(sub), path, "target");
		if (get_str(c, t, sub, MAX_STRING, 0, &p->target))
			return -1;
		if (!is_target(p->target))
			return expect(c, t, sub, "'module.path:Qualified.name' (e.g. nova.scheduler."
				      "manager:SchedulerManager.select_destinations)");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sc->profiles[j].unit, p->unit) && !strcmp(sc->profiles[j].target, p->target))
				return fail(c, item, path, "same unit and target as profile[%zu] (line %d); "
					    "remove one", j, sc->profiles[j].line);
	}
	return 0;
}

static int parse_restart(struct ctx *c, const struct st_node *n)
{
	struct scenario *sc = c->sc;
	if (n->kind != ST_SEQ)
		return expect(c, n, "restart", "a list of unit names like [n-sch]");
	sc->restart = gb_calloc(n->n_kids, sizeof(*sc->restart));
	for (size_t i = 0; i < n->n_kids; i++) {
		char path[64];
		join_index(path, sizeof(path), "restart", i);
		char **u = &sc->restart[sc->n_restart++];
		if (get_str(c, n->kids[i], path, MAX_STRING, 0, u))
			return -1;
		if (!is_name(*u, MAX_NAME, "@_.-"))
			return expect(c, n->kids[i], path, "a unit name (letters, digits, @ _ . -; "
				      "starting with a letter or digit)");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sc->restart[j], *u))
				return fail(c, n->kids[i], path, "unit '%s' listed twice; list it once", *u);
	}
	return 0;
}

static int parse_create_servers(struct ctx *c, const struct st_node *n, const char *path,
				struct sc_step *s)
{
	static const char *const keys[] = { "count", "concurrency", "image", "flavor", "networks",
					    "wait", "timeout", "delete", "delete_timeout",
					    "name_prefix", NULL };
	static const char *const waits[] = { "ACTIVE", "none", NULL };
	char sub[96];
	const struct st_node *v;
	s->kind = SC_STEP_CREATE_SERVERS;
	s->count = 1;
	s->concurrency = 1;
	s->networks = gb_strdup("none");
	s->wait = gb_strdup("ACTIVE");
	s->timeout = 120;
	s->do_delete = true;
	s->delete_timeout = 120;
	s->name_prefix = gb_strdup("greenbench");
	if (scenario_tree_is_null(n))
		return missing(c, n, path, "image", " (a glance image name or id, e.g. image: cirros)");
	if (check_map(c, n, path, keys, "a mapping like {count: 10, image: cirros, flavor: c1}"))
		return -1;
#define SUB(key) (join_key(sub, sizeof(sub), path, key), sub)
	if ((v = map_opt(n, "count")) && get_int(c, v, SUB("count"), 1, 10000, &s->count))
		return -1;
	if ((v = map_opt(n, "concurrency"))) {
		if (get_int(c, v, SUB("concurrency"), 1, 10000, &s->concurrency))
			return -1;
		if (s->concurrency > s->count) {
			char what[64];
			snprintf(what, sizeof(what), "an integer 1..%d (at most count)", s->count);
			return expect(c, v, sub, what);
		}
	}
	if (!(v = map_get(n, "image")))
		return missing(c, n, path, "image", " (a glance image name or id, e.g. image: cirros)");
	if (get_str(c, v, SUB("image"), 255, 0, &s->image))
		return -1;
	if (!(v = map_get(n, "flavor")))
		return missing(c, n, path, "flavor", " (a nova flavor name or id, e.g. flavor: c1)");
	if (get_str(c, v, SUB("flavor"), 255, 0, &s->flavor))
		return -1;
	if ((v = map_opt(n, "networks")) && get_str(c, v, SUB("networks"), 255, 0, &s->networks))
		return -1;
	if ((v = map_opt(n, "wait")) &&
	    get_choice(c, v, SUB("wait"), waits, "ACTIVE or none", &s->wait))
		return -1;
	if ((v = map_opt(n, "timeout")) && get_duration(c, v, SUB("timeout"), 86400, false, STEP_DURATION, &s->timeout))
		return -1;
	if ((v = map_opt(n, "delete")) && get_bool(c, v, SUB("delete"), &s->do_delete))
		return -1;
	if ((v = map_opt(n, "delete_timeout")) &&
	    get_duration(c, v, SUB("delete_timeout"), 86400, false, STEP_DURATION,
			 &s->delete_timeout))
		return -1;
	if ((v = map_opt(n, "name_prefix"))) {
		if (get_str(c, v, SUB("name_prefix"), MAX_STRING, 0, &s->name_prefix))
			return -1;
		if (!is_name(s->name_prefix, 32, "_.-"))
			return expect(c, v, sub, "1-32 characters from A-Z a-z 0-9 _ . - (starting with "
				      "a letter or digit)");
	}
#undef SUB
	return 0;
}

static int parse_workload(struct ctx *c, const struct st_node *n)
{
	static const char *const kinds[] = { "create_servers", NULL };
	struct scenario *sc = c->sc;
	if (n->kind != ST_SEQ)
		return expect(c, n, "workload", "a list of steps like '- create_servers: {...}'");
	sc->steps = gb_calloc(n->n_kids, sizeof(*sc->steps));
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct st_node *item = n->kids[i];
		struct sc_step *s = &sc->steps[sc->n_steps++];
		char path[64], sub[96];
		join_index(path, sizeof(path), "workload", i);
		s->line = item->line;
		if (check_map(c, item, path, NULL, "a step like 'create_servers: {...}'"))
			return -1;
		if (item->n_kids != 2)
			return fail(c, item, path, "a step has exactly one key, its kind (e.g. "
				    "create_servers), got %zu; start each step with '- '",
				    item->n_kids / 2);
		const struct st_node *k = item->kids[0];
		if (strcmp(k->str, "create_servers")) {
			char got[256];
			const char *s2 = k->len <= 64 ? gb_suggest(k->str, kinds) : NULL;
			describe(k, got, sizeof(got));
			if (s2)
				return fail(c, k, path, "unknown step %s; did you mean '%s'?", got, s2);
			return fail(c, k, path, "unknown step %s; v1 knows: create_servers", got);
		}
		join_key(sub, sizeof(sub), path, k->str);
		if (parse_create_servers(c, item->kids[1], sub, s))
			return -1;
	}
	return 0;
}

/* ---- SLAs ---- */

static const char *const cs_measures[] = { "post", "active", "delete", "latency", NULL };
static const char *const cs_stats[] = { "mean", "median", "p50", "p90", "p95", "p99", "max", NULL };
static const char *const prof_measures[] = { "cumtime", "tottime", "ncalls", NULL };
static const char *const prof_stats[] = { "mean", "median", "p95", "max", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* Every metric name valid for this scenario (NULL-terminated, for suggestions). */
static char **all_metrics(const struct scenario *sc)
{
	size_t n = 1 + 4 * 7 + sc->n_profiles * 3 * 4, k = 0;
	char **v = gb_calloc(n + 1, sizeof(*v));
	struct strbuf sb = STRBUF_INIT;
	v[k++] = gb_strdup("errors.count");
	for (size_t m = 0; cs_measures[m]; m++)
		for (size_t s = 0; cs_stats[s]; s++) {
			sb_addf(&sb, "create_servers.%s.%s", cs_measures[m], cs_stats[s]);
			v[k++] = sb_detach(&sb);
		}
	for (size_t p = 0; p < sc->n_profiles; p++)
		for (size_t m = 0; prof_measures[m]; m++)
			for (size_t s = 0; prof_stats[s]; s++) {
				sb_addf(&sb, "profile.%s.%s.%s", target_function(sc->profiles[p].target),
					prof_measures[m], prof_stats[s]);
				v[k++] = sb_detach(&sb);
			}
	return v;
}

static void free_metrics(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* Split metric into its kind/measure/stat; 0 if it follows the grammar. */
static int classify_metric(const char *metric, struct sc_sla *s, char **function)
{
	char *copy = gb_strdup(metric);
	char *parts[5];
	size_t n = 0;
	for (char *p = copy, *save = NULL, *tok; n < 5 && (tok = strtok_r(p, ".", &save)); p = NULL)
		parts[n++] = tok;
	int rc = -1;
	size_t dots = 0;
	for (const char *p = metric; *p; p++)
		dots += *p == '.';
	if (n == 2 && dots == 1 && !strcmp(parts[0], "errors") && !strcmp(parts[1], "count")) {
		s->kind = SC_SLA_ERRORS;
		s->measure = gb_strdup("errors");
		s->stat = gb_strdup("count");
		rc = 0;
	} else if (n == 3 && dots == 2 && !strcmp(parts[0], "create_servers") &&
		   in_list(parts[1], cs_measures) && in_list(parts[2], cs_stats)) {
		s->kind = SC_SLA_CREATE_SERVERS;
		s->measure = gb_strdup(parts[1]);
		s->stat = gb_strdup(parts[2]);
		s->is_duration = true;
		rc = 0;
	} else if (n == 4 && dots == 3 && !strcmp(parts[0], "profile") &&
		   is_dotted(parts[1], parts[1] + strlen(parts[1])) &&
		   in_list(parts[2], prof_measures) && in_list(parts[3], prof_stats)) {
		s->kind = SC_SLA_PROFILE;
		*function = gb_strdup(parts[1]);
		s->measure = gb_strdup(parts[2]);
		s->stat = gb_strdup(parts[3]);
		s->is_duration = strcmp(parts[2], "ncalls") != 0;
		rc = 0;
	}
	free(copy);
	return rc;
}

/* The metric exists in this scenario: a create_servers step, a profiled function. */
static int link_metric(struct ctx *c, const struct st_node *k, struct sc_sla *s, const char *function)
{
	struct scenario *sc = c->sc;
	s->profile_index = -1;
	if (s->kind == SC_SLA_CREATE_SERVERS) {
		for (size_t i = 0; i < sc->n_steps; i++)
			if (sc->steps[i].kind == SC_STEP_CREATE_SERVERS)
				return 0;
		return fail(c, k, "sla", "metric '%s' needs a create_servers step in workload", s->metric);
	}
	if (s->kind != SC_SLA_PROFILE)
		return 0;
	size_t matches = 0;
	for (size_t i = 0; i < sc->n_profiles; i++) {
		if (strcmp(target_function(sc->profiles[i].target), function))
			continue;
		if (matches++ && strcmp(sc->profiles[i].target, sc->profiles[s->profile_index].target))
			return fail(c, k, "sla", "metric '%s': '%s' names two profile targets (%s, %s); "
				    "an SLA must name one", s->metric, function,
				    sc->profiles[s->profile_index].target, sc->profiles[i].target);
		if (s->profile_index < 0)
			s->profile_index = (int)i;
	}
	if (s->profile_index >= 0)
		return 0;
	if (!sc->n_profiles)
		return fail(c, k, "sla", "metric '%s' needs a profile target named '%s', and this "
			    "scenario profiles nothing; add it under 'profile:'", s->metric, function);
	struct strbuf names = STRBUF_INIT;
	for (size_t i = 0; i < sc->n_profiles; i++)
		sb_addf(&names, "%s%s", i ? ", " : "", target_function(sc->profiles[i].target));
	fail(c, k, "sla", "metric '%s': no profile target is named '%s'; profiled: %s", s->metric,
	     function, sb_str(&names));
	sb_release(&names);
	return -1;
}

static int parse_sla(struct ctx *c, const struct st_node *n)
{
	static const char *const keys[] = { "max", "min", NULL };
	struct scenario *sc = c->sc;
	if (check_map(c, n, "sla", NULL, "a mapping of metric -> {max: X, min: Y}"))
		return -1;
	sc->slas = gb_calloc(n->n_kids / 2 + 1, sizeof(*sc->slas));
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct st_node *k = n->kids[i], *v = n->kids[i + 1];
		struct sc_sla *s = &sc->slas[sc->n_slas++];
		char *function = NULL;
		char path[512], sub[520];
		s->line = k->line;
		s->profile_index = -1;
		s->metric = gb_strndup(k->str, k->len);
		if (k->len > 256 || classify_metric(s->metric, s, &function)) {
			char **cands = all_metrics(sc);
			char got[256];
			describe(k, got, sizeof(got));
			const char *sug = k->len <= 64 ? gb_suggest(k->str, (const char *const *)cands) : NULL;
			if (sug)
				fail(c, k, "sla", "unknown metric %s; did you mean '%s'?", got, sug);
			else
				fail(c, k, "sla", "unknown metric %s; metrics are create_servers."
				     "{post,active,delete,latency}.{mean,median,p50,p90,p95,p99,max}, "
				     "profile.FUNCTION.{cumtime,tottime,ncalls}.{mean,median,p95,max} "
				     "and errors.count", got);
			free_metrics(cands);
			return -1;
		}
		int rc = link_metric(c, k, s, function);
		free(function);
		if (rc)
			return -1;
		join_key(path, sizeof(path), "sla", s->metric);
		if (check_map(c, v, path, keys, "a mapping like {max: 30s}"))
			return -1;
		const struct st_node *mx = map_opt(v, "max"), *mn = map_opt(v, "min");
		if (!mx && !mn)
			return fail(c, v, path, "give 'max', 'min' or both");
		if (mx) {
			join_key(sub, sizeof(sub), path, "max");
			if (s->is_duration ? get_duration(c, mx, sub, 1e9, true, SLA_DURATION, &s->max)
					   : get_number(c, mx, sub, &s->max))
				return -1;
			s->ops |= SC_SLA_MAX;
		}
		if (mn) {
			join_key(sub, sizeof(sub), path, "min");
			if (s->is_duration ? get_duration(c, mn, sub, 1e9, true, SLA_DURATION, &s->min)
					   : get_number(c, mn, sub, &s->min))
				return -1;
			s->ops |= SC_SLA_MIN;
		}
		if (mx && mn && s->min > s->max)
			return fail(c, mn, path, "min (%g) is above max (%g); no value can pass", s->min, s->max);
	}
	return 0;
}

/* ---- the whole file ---- */

static int parse_root(struct ctx *c, const struct st_node *root)
{
	static const char *const keys[] = { "version", "name", "description", "cloud", "auth",
					    "units", "local_conf", "config", "fake_computes",
					    "patches", "profile", "restart", "workload", "repeat",
					    "sla", NULL };
	struct scenario *sc = c->sc;
	if (!root)
		return fail(c, NULL, "", "empty scenario; it needs at least 'name:' and 'workload:'");
	if (check_map(c, root, "", keys, "a mapping of scenario keys (name:, workload:, ...) at the top"))
		return -1;
	for (size_t i = 0; i < root->n_kids; i += 2) {
		const char *key = root->kids[i]->str;
		int line = root->kids[i]->line;
		const struct st_node *v = root->kids[i + 1];
		int rc = 0;
		bool is_null = scenario_tree_is_null(v);
		if (!strcmp(key, "version")) {
			int ver = 0;
			if (get_int(c, v, "version", 1, 1, &ver))
				return expect(c, v, "version", "1 (the only schema version)");
		} else if (!strcmp(key, "name")) {
			rc = get_str(c, v, "name", MAX_STRING, 0, &sc->name);
			if (!rc && !is_name(sc->name, MAX_NAME, "_.-"))
				rc = expect(c, v, "name", "1-64 characters from A-Z a-z 0-9 _ . - (starting "
					    "with a letter or digit)");
		} else if (!strcmp(key, "description")) {
			if (!is_null)
				rc = get_str(c, v, "description", MAX_STRING, STR_MULTILINE | STR_EMPTY_OK,
					     &sc->description);
		} else if (!strcmp(key, "cloud")) {
			rc = get_str(c, v, "cloud", 255, 0, &sc->cloud);
			sc->cloud_line = line;
		} else if (!strcmp(key, "auth")) {
			rc = parse_auth(c, v);
			sc->cloud_line = line;
		} else if (!strcmp(key, "units")) {
			sc->units.line = line;
			if (!is_null)
				rc = parse_units(c, v);
		} else if (!strcmp(key, "local_conf")) {
			if (!is_null)
				rc = get_path(c, v, "local_conf", true, &sc->local_conf);
			sc->local_conf_line = line;
		} else if (!strcmp(key, "config")) {
			if (!is_null)
				rc = parse_config(c, v);
		} else if (!strcmp(key, "fake_computes")) {
			if (!is_null)
				rc = get_int(c, v, "fake_computes", 0, 1000, &sc->fake_computes);
		} else if (!strcmp(key, "patches")) {
			if (!is_null)
				rc = parse_patches(c, v);
		} else if (!strcmp(key, "profile")) {
			if (!is_null)
				rc = parse_profile(c, v);
		} else if (!strcmp(key, "restart")) {
			if (!is_null)
				rc = parse_restart(c, v);
		} else if (!strcmp(key, "workload")) {
			if (!is_null)
				rc = parse_workload(c, v);
		} else if (!strcmp(key, "repeat")) {
			if (!is_null)
				rc = get_int(c, v, "repeat", 1, 1000, &sc->repeat);
		}
		if (rc)
			return -1;
	}

	if (!map_get(root, "name"))
		return missing(c, root, "", "name", " (e.g. name: select_destinations)");
	if (!map_get(root, "workload"))
		return missing(c, root, "", "workload", " (use 'workload: []' for a restart-only run)");
	const struct st_node *cloud = map_get(root, "cloud"), *auth = map_get(root, "auth");
	if (cloud && auth) {
		const struct st_node *later = cloud->line > auth->line ? cloud : auth;
		return fail(c, later, "", "give 'cloud' or 'auth', not both (cloud at line %d, auth at "
			    "line %d)", cloud->line, auth->line);
	}
	for (size_t i = 0; i < sc->n_profiles; i++) {
		size_t j = 0;
		while (j < sc->n_restart && strcmp(sc->restart[j], sc->profiles[i].unit))
			j++;
		if (j == sc->n_restart) {
			const struct st_node *item = map_get(root, "profile")->kids[i];
			char path[64];
			join_index(path, sizeof(path), "profile", i);
			return fail(c, item, path, "unit '%s' is not in restart; the profiler is switched on "
				    "when the unit starts, so add it: restart: [%s]", sc->profiles[i].unit,
				    sc->profiles[i].unit);
		}
	}
	const struct st_node *sla = map_opt(root, "sla");
	if (sla && parse_sla(c, sla))
		return -1;
	return 0;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	out[0] = '\0';
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		return;
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int load(const char *name, const char *path, const char *dir, bool check_files,
		const char *data, size_t len, struct scenario **out, struct gb_err *err)
{
	*out = NULL;
	struct st_node *root = NULL;
	if (scenario_tree_parse(name, data, len, &root, err))
		return -1;
	struct scenario *sc = gb_calloc(1, sizeof(*sc));
	sc->path = gb_strdup(path);
	sc->dir = gb_strdup(dir ? dir : ".");
	sc->version = 1;
	sc->fake_computes = -1;
	sc->repeat = 1;
	sha256_hex(data, len, sc->sha256);
	struct ctx c = { .name = name, .dir = sc->dir, .check_files = check_files, .err = err, .sc = sc };
	int rc = parse_root(&c, root);
	scenario_tree_free(root);
	if (rc) {
		scenario_free(sc);
		return -1;
	}
	*out = sc;
	return 0;
}

/* ---- public ---- */

int scenario_load_buffer(const char *name, const char *dir, const char *data, size_t len,
			 struct scenario **out, struct gb_err *err)
{
	return load(name, name, dir, false, data, len, out, err);
}

int scenario_load(const char *path, struct scenario **out, struct gb_err *err)
{
	*out = NULL;
	struct strbuf text = STRBUF_INIT;
	if (gb_read_file(path, SCENARIO_MAX_BYTES, &text, err)) {
		sb_release(&text);
		return -1;
	}
	/* the directory, made absolute so later chdir()s cannot change what paths mean */
	char *copy = gb_strdup(path);
	char *slash = strrchr(copy, '/');
	const char *d = ".";
	if (slash == copy)
		d = "/";
	else if (slash)
		*slash = '\0', d = copy;
	char *abs = realpath(d, NULL);
	int rc = load(path, path, abs ? abs : d, true, text.buf, text.len, out, err);
	free(abs);
	free(copy);
	sb_release(&text);
	return rc;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->path);
	free(sc->dir);
	free(sc->name);
	free(sc->description);
	free(sc->cloud);
	free(sc->auth.auth_url);
	free(sc->auth.username);
	if (sc->auth.password) {
		memset(sc->auth.password, 0, strlen(sc->auth.password));
		free(sc->auth.password);
	}
	free(sc->auth.project_name);
	free(sc->auth.user_domain_name);
	free(sc->auth.project_domain_name);
	free(sc->auth.region_name);
	free(sc->auth.interface);
	free(sc->units.file);
	free(sc->local_conf);
	for (size_t i = 0; i < sc->n_settings; i++) {
		free(sc->settings[i].file);
		free(sc->settings[i].section);
		free(sc->settings[i].key);
		free(sc->settings[i].value);
	}
	free(sc->settings);
	for (size_t i = 0; i < sc->n_patches; i++) {
		free(sc->patches[i].path);
		free(sc->patches[i].tree);
	}
	free(sc->patches);
	for (size_t i = 0; i < sc->n_profiles; i++) {
		free(sc->profiles[i].unit);
		free(sc->profiles[i].target);
	}
	free(sc->profiles);
	for (size_t i = 0; i < sc->n_restart; i++)
		free(sc->restart[i]);
	free(sc->restart);
	for (size_t i = 0; i < sc->n_steps; i++) {
		free(sc->steps[i].image);
		free(sc->steps[i].flavor);
		free(sc->steps[i].networks);
		free(sc->steps[i].wait);
		free(sc->steps[i].name_prefix);
	}
	free(sc->steps);
	for (size_t i = 0; i < sc->n_slas; i++) {
		free(sc->slas[i].metric);
		free(sc->slas[i].measure);
		free(sc->slas[i].stat);
	}
	free(sc->slas);
	free(sc);
}

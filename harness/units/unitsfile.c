/*
 * unitsfile.c - the units file parser, over the tree of the one YAML reader
 * (base/yamltree.c: aliases and anchors refused). Every error names
 * file:line:column and the field. Never touches the host, never prints.
 */
#include "units/unitsfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yamltree.h"

#define UNITSFILE_MAX (1u << 20)

/* What a units file may hold of YAML: tags are ignored, anchors and aliases refused. */
static const struct yt_rules yaml_rules = {
	.noun = "units file", .nouns = "units files", .max_bytes = UNITSFILE_MAX,
	.max_depth = 16, .max_nodes = 100000, .allow_tags = true,
};

struct ctx {
	const char *name;
	struct gb_err *err;
};

static int fail(struct ctx *c, const struct yt_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const struct yt_node *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gb_errf(c->err, GB_EXIT_USAGE, "%s:%d:%d: %s", c->name, n ? n->line : 1,
		       n ? n->col : 1, msg);
}

static const char *scalar(const struct yt_node *n)
{
	return n && n->kind == YT_SCALAR ? n->str : NULL;
}

/* A key given twice in one mapping: refused (libyaml allows it; the last one
 * silently winning would hide mistakes). */
static int unique_keys(struct ctx *c, const struct yt_node *n, const char *where)
{
	if (!n || n->kind != YT_MAP)
		return 0;
	for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
		const char *k = scalar(n->kids[i]);
		for (size_t j = 0; k && j < i; j += 2) {
			const struct yt_node *qk = n->kids[j];
			const char *k2 = scalar(qk);
			if (k2 && !strcmp(k, k2))
				return fail(c, n->kids[i], "%s: '%s' is given twice (also at line %d)",
					    where, k, qk->line);
		}
	}
	return 0;
}

static int get_str(struct ctx *c, const struct yt_node *n, const char *field, char **out)
{
	const char *s = scalar(n);
	if (!s)
		return fail(c, n, "%s: expected a string", field);
	if (strlen(s) != n->len)
		return fail(c, n, "%s: contains a NUL byte", field);
	free(*out);
	*out = gb_strdup(s);
	return 0;
}

static int get_abs_path(struct ctx *c, const struct yt_node *n, const char *field, char **out)
{
	if (get_str(c, n, field, out) != 0)
		return -1;
	if ((*out)[0] != '/')
		return fail(c, n, "%s: expected an absolute path, got '%s'", field, *out);
	return 0;
}

static int get_duration(struct ctx *c, const struct yt_node *n, const char *field, double *out)
{
	const char *s = scalar(n);
	if (!s || gb_parse_duration(s, out) != 0 || *out <= 0 || *out > 3600)
		return fail(c, n, "%s: expected a duration like 10s or 500ms (up to 1h), got '%s'",
			    field, s ? s : "a non-scalar");
	return 0;
}

static int get_argv(struct ctx *c, const struct yt_node *n, const char *field, char ***argv,
		    size_t *argc)
{
	if (!n || n->kind != YT_SEQ)
		return fail(c, n, "%s: expected a list of strings, e.g. [/usr/bin/python3, -c, ...]",
			    field);
	size_t len = n->n_kids;
	if (!len)
		return fail(c, n, "%s: must not be empty", field);
	char **v = gb_calloc(len + 1, sizeof(char *));
	for (size_t i = 0; i < len; i++) {
		if (get_str(c, n->kids[i], field, &v[i]) != 0) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v[i]);
			free(v);
			return -1;
		}
	}
	if (v[0][0] != '/') {
		int rc = fail(c, n, "%s: the program must be an absolute path, got '%s'", field, v[0]);
		for (size_t k = 0; k < len; k++)
			free(v[k]);
		free(v);
		return rc;
	}
	*argv = v;
	*argc = len;
	return 0;
}

static bool is_env_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static int get_env(struct ctx *c, const struct yt_node *n, const char *field, char ***env,
		   size_t *n_env)
{
	if (!n || n->kind != YT_MAP)
		return fail(c, n, "%s: expected a mapping NAME: value", field);
	if (unique_keys(c, n, field) != 0)
		return -1;
	for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
		const struct yt_node *k = n->kids[i], *v = n->kids[i + 1];
		const char *ks = scalar(k), *vs = scalar(v);
		if (!ks || !is_env_name(ks))
			return fail(c, k, "%s: '%s' is not an environment variable name", field,
				    ks ? ks : "?");
		if (!vs)
			return fail(c, v, "%s.%s: expected a string value", field, ks);
		if (!strncmp(ks, "GREENBENCH_", 11))
			return fail(c, k, "%s.%s: GREENBENCH_* variables are set by greenbench itself",
				    field, ks);
		struct strbuf kv = STRBUF_INIT;
		sb_addf(&kv, "%s=%s", ks, vs);
		*env = gb_realloc(*env, (*n_env + 2) * sizeof(char *));
		(*env)[(*n_env)++] = sb_detach(&kv);
		(*env)[*n_env] = NULL;
	}
	return 0;
}

static bool loopback_hostport(const char *hp, bool need_port)
{
	const char *hosts[] = { "127.0.0.1", "localhost", "[::1]" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(hosts); i++) {
		size_t l = strlen(hosts[i]);
		if (strncmp(hp, hosts[i], l))
			continue;
		const char *r = hp + l;
		if (!*r || *r == '/')
			return !need_port;
		if (*r != ':')
			return false;
		char *end;
		long port = strtol(r + 1, &end, 10);
		return end != r + 1 && port > 0 && port < 65536 && (!*end || *end == '/');
	}
	return false;
}

static int get_probe(struct ctx *c, const struct yt_node *n, const char *field, struct uf_probe *p)
{
	if (!n || n->kind != YT_MAP || n->n_kids != 2)
		return fail(c, n, "%s: expected one of {tcp: \"127.0.0.1:PORT\"}, {http: URL}, "
				  "{rpc: QUEUE}, {none: true}", field);
	const struct yt_node *k = n->kids[0], *v = n->kids[1];
	const char *ks = scalar(k), *vs = scalar(v);
	if (!ks || !vs)
		return fail(c, n, "%s: expected KIND: VALUE", field);
	if (!strcmp(ks, "none")) {
		p->kind = UF_READY_NONE;
		return 0;
	}
	if (!strcmp(ks, "tcp")) {
		if (!loopback_hostport(vs, true))
			return fail(c, v, "%s.tcp: expected 127.0.0.1:PORT (loopback only), got '%s'",
				    field, vs);
		p->kind = UF_READY_TCP;
	} else if (!strcmp(ks, "http")) {
		if (strncmp(vs, "http://", 7) || !loopback_hostport(vs + 7, false))
			return fail(c, v, "%s.http: expected http://127.0.0.1:PORT/PATH (loopback "
					  "only), got '%s'", field, vs);
		p->kind = UF_READY_HTTP;
	} else if (!strcmp(ks, "rpc")) {
		if (!*vs || strpbrk(vs, " \t\n"))
			return fail(c, v, "%s.rpc: expected a queue name like scheduler, got '%s'",
				    field, vs);
		p->kind = UF_READY_RPC;
	} else {
		static const char *const kinds[] = { "tcp", "http", "rpc", "none", NULL };
		const char *s = gb_suggest(ks, kinds);
		return fail(c, k, "%s: unknown probe '%s'%s%s%s; use tcp, http, rpc or none", field,
			    ks, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	}
	free(p->target);
	p->target = gb_strdup(vs);
	return 0;
}

static int unknown_key(struct ctx *c, const struct yt_node *k, const char *where, const char *key,
		       const char *const *known)
{
	const char *s = gb_suggest(key, known);
	return fail(c, k, "%s: unknown field '%s'%s%s%s", where, key, s ? "; did you mean '" : "",
		    s ? s : "", s ? "'?" : "");
}

static bool valid_unit_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("-_.@", *s)))
			return false;
	return true;
}

static int parse_unit(struct ctx *c, const struct yt_node *k, const struct yt_node *n,
		      struct uf_unit *u)
{
	static const char *const known[] = { "argv", "env", "cwd", "log", "ready", "ready_timeout",
					     "stop_timeout", NULL };
	u->name = gb_strdup(scalar(k) ? scalar(k) : "");
	u->line = k->line;
	u->ready_timeout = 60;
	u->stop_timeout = 10;
	if (!valid_unit_name(u->name))
		return fail(c, k, "units: '%s' is not a unit name (letters, digits, -_.@)", u->name);
	if (!n || n->kind != YT_MAP)
		return fail(c, n, "units.%s: expected a mapping (argv, env, cwd, log, ready, ...)",
			    u->name);
	if (unique_keys(c, n, "units") != 0)
		return -1;
	char field[128];
	for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
		const struct yt_node *kk = n->kids[i], *v = n->kids[i + 1];
		const char *ks = scalar(kk) ? scalar(kk) : "?";
		snprintf(field, sizeof(field), "units.%s.%s", u->name, ks);
		int rc;
		if (!strcmp(ks, "argv"))
			rc = get_argv(c, v, field, &u->argv, &u->argc);
		else if (!strcmp(ks, "env"))
			rc = get_env(c, v, field, &u->env, &u->n_env);
		else if (!strcmp(ks, "cwd"))
			rc = get_abs_path(c, v, field, &u->cwd);
		else if (!strcmp(ks, "log"))
			rc = get_abs_path(c, v, field, &u->log);
		else if (!strcmp(ks, "ready"))
			rc = get_probe(c, v, field, &u->ready);
		else if (!strcmp(ks, "ready_timeout"))
			rc = get_duration(c, v, field, &u->ready_timeout);
		else if (!strcmp(ks, "stop_timeout"))
			rc = get_duration(c, v, field, &u->stop_timeout);
		else
			rc = unknown_key(c, kk, "units", ks, known);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int parse_fake(struct ctx *c, const struct yt_node *n, struct uf_fake_compute *f)
{
	static const char *const known[] = { "unit_prefix", "host_prefix", "argv", "conf_dir", "env",
					     "cwd", "log_dir", "ready", "ready_timeout",
					     "stop_timeout", "after_start", NULL };
	f->present = true;
	f->line = n->line;
	f->ready_timeout = 90;
	f->stop_timeout = 10;
	if (n->kind != YT_MAP)
		return fail(c, n, "fake_compute: expected a mapping (unit_prefix, host_prefix, argv, ...)");
	if (unique_keys(c, n, "fake_compute") != 0)
		return -1;
	char field[128];
	for (size_t i = 0; i + 1 < n->n_kids; i += 2) {
		const struct yt_node *k = n->kids[i], *v = n->kids[i + 1];
		const char *ks = scalar(k) ? scalar(k) : "?";
		snprintf(field, sizeof(field), "fake_compute.%s", ks);
		int rc;
		if (!strcmp(ks, "unit_prefix"))
			rc = get_str(c, v, field, &f->unit_prefix);
		else if (!strcmp(ks, "host_prefix"))
			rc = get_str(c, v, field, &f->host_prefix);
		else if (!strcmp(ks, "argv"))
			rc = get_argv(c, v, field, &f->argv, &f->argc);
		else if (!strcmp(ks, "conf_dir"))
			rc = get_abs_path(c, v, field, &f->conf_dir);
		else if (!strcmp(ks, "env"))
			rc = get_env(c, v, field, &f->env, &f->n_env);
		else if (!strcmp(ks, "cwd"))
			rc = get_abs_path(c, v, field, &f->cwd);
		else if (!strcmp(ks, "log_dir"))
			rc = get_abs_path(c, v, field, &f->log_dir);
		else if (!strcmp(ks, "ready"))
			rc = get_probe(c, v, field, &f->ready);
		else if (!strcmp(ks, "ready_timeout"))
			rc = get_duration(c, v, field, &f->ready_timeout);
		else if (!strcmp(ks, "stop_timeout"))
			rc = get_duration(c, v, field, &f->stop_timeout);
		else if (!strcmp(ks, "after_start"))
			rc = get_argv(c, v, field, &f->after_start, &f->after_start_argc);
		else
			rc = unknown_key(c, k, "fake_compute", ks, known);
		if (rc != 0)
			return -1;
	}
	if (!f->unit_prefix || !valid_unit_name(f->unit_prefix))
		return fail(c, n, "fake_compute.unit_prefix: required, a unit name prefix like n-cpu-");
	if (!f->host_prefix || !valid_unit_name(f->host_prefix))
		return fail(c, n, "fake_compute.host_prefix: required, a host name prefix like fake-");
	if (!f->argv)
		return fail(c, n, "fake_compute.argv: required");
	if (!f->conf_dir)
		return fail(c, n, "fake_compute.conf_dir: required (an absolute directory)");
	return 0;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void unitsfile_probe_free(struct uf_probe *p)
{
	free(p->target);
	p->target = NULL;
}

void unitsfile_free(struct unitsfile *uf)
{
	if (!uf)
		return;
	for (size_t i = 0; i < uf->n_units; i++) {
		struct uf_unit *u = &uf->units[i];
		free(u->name);
		free_strv(u->argv);
		free_strv(u->env);
		free(u->cwd);
		free(u->log);
		unitsfile_probe_free(&u->ready);
	}
	free(uf->units);
	for (size_t i = 0; i < uf->n_vars; i++) {
		free(uf->var_names[i]);
		free(uf->var_values[i]);
	}
	free(uf->var_names);
	free(uf->var_values);
	struct uf_fake_compute *f = &uf->fake;
	free(f->unit_prefix);
	free(f->host_prefix);
	free_strv(f->argv);
	free(f->conf_dir);
	free_strv(f->env);
	free(f->cwd);
	free(f->log_dir);
	free_strv(f->after_start);
	free(f->conf_pattern);
	free(f->tmpl_conf);
	free(f->tmpl_unit_text);
	free(f->tmpl_conf_text);
	free(f->tmpl_host);
	free(f->tmpl_state_path);
	free(f->user);
	unitsfile_probe_free(&f->ready);
	free(uf->state_dir);
	free(uf->rabbitmqctl);
	free(uf->path);
	free(uf);
}

static int parse_root(struct ctx *c, const struct yt_node *root, struct unitsfile *uf)
{
	static const char *const known[] = { "version", "backend", "state_dir", "rabbitmqctl", "vars",
					     "units", "fake_compute", NULL };
	if (!root || root->kind != YT_MAP)
		return fail(c, root, "expected a mapping with version, backend, units, ...");
	if (unique_keys(c, root, "units file") != 0)
		return -1;
	bool has_version = false, has_backend = false;
	for (size_t i = 0; i + 1 < root->n_kids; i += 2) {
		const struct yt_node *k = root->kids[i], *v = root->kids[i + 1];
		const char *ks = scalar(k) ? scalar(k) : "?";
		const char *vs = scalar(v);
		if (!strcmp(ks, "version")) {
			if (!vs || strcmp(vs, "1"))
				return fail(c, v, "version: expected 1, got '%s'", vs ? vs : "?");
			uf->version = 1;
			has_version = true;
		} else if (!strcmp(ks, "backend")) {
			if (vs && !strcmp(vs, "process"))
				uf->backend = SC_BACKEND_PROCESS;
			else if (vs && !strcmp(vs, "systemd"))
				uf->backend = SC_BACKEND_SYSTEMD;
			else
				return fail(c, v, "backend: expected process or systemd, got '%s'",
					    vs ? vs : "?");
			has_backend = true;
		} else if (!strcmp(ks, "state_dir")) {
			if (get_abs_path(c, v, "state_dir", &uf->state_dir) != 0)
				return -1;
		} else if (!strcmp(ks, "rabbitmqctl")) {
			if (get_abs_path(c, v, "rabbitmqctl", &uf->rabbitmqctl) != 0)
				return -1;
		} else if (!strcmp(ks, "vars")) {
			if (v->kind != YT_MAP)
				return fail(c, v, "vars: expected a mapping NAME: /path");
			if (unique_keys(c, v, "vars") != 0)
				return -1;
			for (size_t j = 0; j + 1 < v->n_kids; j += 2) {
				const struct yt_node *vk = v->kids[j], *vv = v->kids[j + 1];
				const char *vks = scalar(vk);
				if (!vks || !is_env_name(vks))
					return fail(c, vk, "vars: '%s' is not a variable name",
						    vks ? vks : "?");
				char *val = NULL;
				char field[96];
				snprintf(field, sizeof(field), "vars.%s", vks);
				if (get_abs_path(c, vv, field, &val) != 0) {
					free(val);
					return -1;
				}
				uf->var_names = gb_realloc(uf->var_names, (uf->n_vars + 1) * sizeof(char *));
				uf->var_values = gb_realloc(uf->var_values, (uf->n_vars + 1) * sizeof(char *));
				uf->var_names[uf->n_vars] = gb_strdup(vks);
				uf->var_values[uf->n_vars++] = val;
			}
		} else if (!strcmp(ks, "units")) {
			if (v->kind != YT_MAP)
				return fail(c, v, "units: expected a mapping of unit names");
			if (unique_keys(c, v, "units") != 0)
				return -1;
			size_t n = v->n_kids / 2;
			uf->units = gb_calloc(n ? n : 1, sizeof(*uf->units));
			for (size_t j = 0; j + 1 < v->n_kids; j += 2) {
				const struct yt_node *uk = v->kids[j], *uv = v->kids[j + 1];
				struct uf_unit *u = &uf->units[uf->n_units++];
				if (parse_unit(c, uk, uv, u) != 0)
					return -1;
			}
		} else if (!strcmp(ks, "fake_compute")) {
			if (parse_fake(c, v, &uf->fake) != 0)
				return -1;
		} else {
			return unknown_key(c, k, "units file", ks, known);
		}
	}
	if (!has_version)
		return fail(c, root, "version: required (version: 1)");
	if (!has_backend)
		return fail(c, root, "backend: required (process or systemd)");
	if (uf->backend == SC_BACKEND_PROCESS) {
		if (!uf->state_dir)
			return fail(c, root, "state_dir: required for the process backend (pid files "
					     "live there)");
		for (size_t i = 0; i < uf->n_units; i++)
			if (!uf->units[i].argv)
				return gb_errf(c->err, GB_EXIT_USAGE, "%s:%d: units.%s.argv: required for "
								      "the process backend", c->name,
					       uf->units[i].line, uf->units[i].name);
	}
	return 0;
}

int unitsfile_load_buffer(const char *name, const char *data, size_t len,
			  struct unitsfile **out, struct gb_err *err)
{
	struct yt_node *root = NULL;
	if (yamltree_parse(name, data, len, &yaml_rules, &root, err) != 0)
		return -1;
	struct unitsfile *uf = gb_calloc(1, sizeof(*uf));
	uf->path = gb_strdup(name);
	struct ctx c = { name, err };
	int rc = root ? parse_root(&c, root, uf)
		      : gb_errf(err, GB_EXIT_USAGE, "%s: empty units file; expected version: 1, "
						    "backend: ..., units: ...", name);
	yamltree_free(root);
	if (rc != 0) {
		unitsfile_free(uf);
		return -1;
	}
	*out = uf;
	return 0;
}

int unitsfile_load(const char *path, struct unitsfile **out, struct gb_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	if (gb_read_file(path, UNITSFILE_MAX, &sb, err) != 0) {
		sb_release(&sb);
		return -1;
	}
	int rc = unitsfile_load_buffer(path, sb.buf, sb.len, out, err);
	sb_release(&sb);
	return rc;
}

const struct uf_unit *unitsfile_find(const struct unitsfile *uf, const char *name)
{
	for (size_t i = 0; uf && i < uf->n_units; i++)
		if (!strcmp(uf->units[i].name, name))
			return &uf->units[i];
	return NULL;
}

/*
 * localconf.c - devstack local.conf meta-sections, devstack config-file
 * variables, and the byte-preserving INI merge (devstack's iniset semantics).
 * Works on buffers only: never writes a file, never prints.
 */
#include "host/localconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOCALCONF_MAX (4u << 20)

/* ---- variables ---- */

static const char *const default_vars[][2] = {
	{ "NOVA_CONF", "/etc/nova/nova.conf" },
	{ "NOVA_CPU_CONF", "/etc/nova/nova-cpu.conf" },
	{ "PLACEMENT_CONF", "/etc/placement/placement.conf" },
	{ "KEYSTONE_CONF", "/etc/keystone/keystone.conf" },
	{ "GLANCE_API_CONF", "/etc/glance/glance-api.conf" },
	{ "NEUTRON_CONF", "/etc/neutron/neutron.conf" },
	{ "CINDER_CONF", "/etc/cinder/cinder.conf" },
	{ "TEMPEST_CONFIG", "/opt/stack/tempest/etc/tempest.conf" },
};

void localconf_vars_set(struct localconf_vars *v, const char *name, const char *value)
{
	for (size_t i = 0; i < v->n; i++) {
		if (!strcmp(v->names[i], name)) {
			free(v->values[i]);
			v->values[i] = gb_strdup(value);
			return;
		}
	}
	v->names = gb_realloc(v->names, (v->n + 1) * sizeof(char *));
	v->values = gb_realloc(v->values, (v->n + 1) * sizeof(char *));
	v->names[v->n] = gb_strdup(name);
	v->values[v->n] = gb_strdup(value);
	v->n++;
}

void localconf_vars_defaults(struct localconf_vars *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < GB_ARRAY_SIZE(default_vars); i++)
		localconf_vars_set(v, default_vars[i][0], default_vars[i][1]);
}

static bool is_var_name(const char *s, size_t len)
{
	if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

int localconf_vars_set_arg(struct localconf_vars *v, const char *arg, struct gb_err *err)
{
	const char *eq = strchr(arg, '=');
	if (!eq || !is_var_name(arg, (size_t)(eq - arg)) || eq[1] != '/')
		return gb_errf(err, GB_EXIT_USAGE, "--var '%s': expected NAME=/absolute/path, e.g. "
						   "NOVA_CONF=/etc/nova/nova.conf", arg);
	char *name = gb_strndup(arg, (size_t)(eq - arg));
	localconf_vars_set(v, name, eq + 1);
	free(name);
	return 0;
}

const char *localconf_vars_get(const struct localconf_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->names[i], name))
			return v->values[i];
	return NULL;
}

void localconf_vars_free(struct localconf_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->names[i]);
		free(v->values[i]);
	}
	free(v->names);
	free(v->values);
	memset(v, 0, sizeof(*v));
}

int localconf_expand(const struct localconf_vars *v, const char *spec, const char *where,
		     struct strbuf *out, struct gb_err *err)
{
	for (const char *p = spec; *p;) {
		if (*p != '$') {
			sb_addch(out, *p++);
			continue;
		}
		const char *s = p + 1, *e;
		bool braced = *s == '{';
		if (braced) {
			s++;
			e = strchr(s, '}');
			if (!e)
				return gb_errf(err, GB_EXIT_USAGE, "%s: '%s': unterminated ${", where, spec);
		} else {
			e = s;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
		}
		if (!is_var_name(s, (size_t)(e - s)))
			return gb_errf(err, GB_EXIT_USAGE, "%s: '%s': '$' not followed by a variable "
							   "name", where, spec);
		char *name = gb_strndup(s, (size_t)(e - s));
		const char *val = localconf_vars_get(v, name);
		if (!val) {
			gb_errf(err, GB_EXIT_USAGE, "%s: unknown devstack variable $%s; set its path "
						    "with --var %s=PATH or under vars: in the units file",
				where, name, name);
			free(name);
			return -1;
		}
		free(name);
		sb_addstr(out, val);
		p = braced ? e + 1 : e;
	}
	if (out->len == 0 || out->buf[0] != '/')
		return gb_errf(err, GB_EXIT_USAGE, "%s: '%s' is not an absolute path (it became '%s')",
			       where, spec, sb_str(out));
	return 0;
}

/* ---- local.conf parsing ---- */

static const char *const phases[] = { "local", "post-config", "test-config", "extra",
				      "post-extra", NULL };

static char *trim_dup(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return gb_strndup(s, len);
}

static char *unquote(char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
	return v;
}

void localconf_free(struct localconf *lc)
{
	if (!lc)
		return;
	for (size_t i = 0; i < lc->n_settings; i++) {
		struct lc_setting *s = &lc->settings[i];
		free(s->phase);
		free(s->file);
		free(s->section);
		free(s->key);
		free(s->value);
	}
	for (size_t i = 0; i < lc->n_localrc; i++) {
		free(lc->localrc[i].name);
		free(lc->localrc[i].value);
	}
	free(lc->settings);
	free(lc->localrc);
	free(lc->name);
	free(lc);
}

/* Parse "[[phase|file]]" into phase and file; 1 if the line is a meta header. */
static int meta_header(const char *l, size_t len, char **phase, char **file)
{
	while (len && isspace((unsigned char)l[len - 1]))
		len--;
	if (len < 6 || strncmp(l, "[[", 2) || strncmp(l + len - 2, "]]", 2))
		return 0;
	const char *bar = memchr(l, '|', len);
	if (!bar)
		return -1;
	*phase = trim_dup(l + 2, (size_t)(bar - l - 2));
	*file = trim_dup(bar + 1, (size_t)(l + len - 2 - bar - 1));
	return 1;
}

int localconf_parse(const char *name, const char *data, size_t len, struct localconf **out,
		    struct gb_err *err)
{
	struct localconf *lc = gb_calloc(1, sizeof(*lc));
	lc->name = gb_strdup(name);
	char *phase = NULL, *file = NULL, *section = NULL;
	size_t first_in_meta = 0; /* first setting index of the current meta-section */
	int line = 0;
	const char *p = data, *end = data + len;
	int rc = 0;
	if (memchr(data, '\0', len)) {
		rc = gb_errf(err, GB_EXIT_USAGE, "%s: contains a NUL byte; not a local.conf", name);
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *s = p;
		p = nl ? nl + 1 : end;
		line++;
		if (l && s[l - 1] == '\r')
			l--;
		size_t i = 0;
		while (i < l && isspace((unsigned char)s[i]))
			i++;
		if (i == l || s[i] == '#' || s[i] == ';')
			continue;
		char *ph = NULL, *fi = NULL;
		int mh = meta_header(s + i, l - i, &ph, &fi); /* devstack allows leading blanks */
		if (mh < 0) {
			rc = gb_errf(err, GB_EXIT_USAGE, "%s:%d: meta-section header needs "
							 "[[phase|file]], e.g. [[post-config|$NOVA_CONF]]",
				     name, line);
			goto out;
		}
		if (mh > 0) {
			size_t k = 0;
			while (phases[k] && strcmp(phases[k], ph))
				k++;
			if (!phases[k] || !*fi || (!strcmp(ph, "local") && strcmp(fi, "localrc"))) {
				const char *sug = gb_suggest(ph, phases);
				if (phases[k])
					gb_errf(err, GB_EXIT_USAGE, "%s:%d: [[local|%s]]: the local phase only "
								    "takes localrc", name, line, fi);
				else
					gb_errf(err, GB_EXIT_USAGE, "%s:%d: unknown meta-section phase '%s'%s%s%s",
						name, line, ph, sug ? "; did you mean '" : "",
						sug ? sug : "", sug ? "'?" : "");
				free(ph);
				free(fi);
				rc = -1;
				goto out;
			}
			free(phase);
			free(file);
			free(section);
			section = NULL;
			phase = ph;
			file = fi;
			first_in_meta = lc->n_settings;
			continue;
		}
		if (!phase) {
			rc = gb_errf(err, GB_EXIT_USAGE, "%s:%d: text before the first [[phase|file]] "
							 "meta-section", name, line);
			goto out;
		}
		if (!strcmp(phase, "local")) {
			const char *q = s + i;
			size_t ql = l - i;
			if (ql > 7 && !strncmp(q, "export ", 7))
				q += 7, ql -= 7;
			const char *eq = memchr(q, '=', ql);
			if (!eq || !is_var_name(q, (size_t)(eq - q)))
				continue; /* shell code (enable_service ...): devstack's, not ours */
			lc->localrc = gb_realloc(lc->localrc, (lc->n_localrc + 1) * sizeof(*lc->localrc));
			struct lc_var *v = &lc->localrc[lc->n_localrc++];
			v->name = gb_strndup(q, (size_t)(eq - q));
			v->value = unquote(trim_dup(eq + 1, (size_t)(q + ql - eq - 1)));
			v->line = line;
			continue;
		}
		if (s[i] == '[') {
			const char *close = memchr(s + i, ']', l - i);
			size_t j = close ? (size_t)(close - s) + 1 : l;
			while (j < l && isspace((unsigned char)s[j]))
				j++;
			if (!close || j != l || close == s + i + 1) {
				rc = gb_errf(err, GB_EXIT_USAGE, "%s:%d: bad section header; expected "
								 "[section]", name, line);
				goto out;
			}
			free(section);
			section = trim_dup(s + i + 1, (size_t)(close - s - i - 1));
			continue;
		}
		const char *eq = memchr(s + i, '=', l - i);
		if (!eq || eq == s + i) {
			rc = gb_errf(err, GB_EXIT_USAGE, "%s:%d: expected 'key = value' or '[section]' "
							 "in [[%s|%s]]", name, line, phase, file);
			goto out;
		}
		if (!section) {
			rc = gb_errf(err, GB_EXIT_USAGE, "%s:%d: 'key = value' before any [section] in "
							 "[[%s|%s]]", name, line, phase, file);
			goto out;
		}
		char *key = trim_dup(s + i, (size_t)(eq - s - i));
		for (size_t k = first_in_meta; k < lc->n_settings; k++) {
			struct lc_setting *o = &lc->settings[k];
			if (!strcmp(o->section, section) && !strcmp(o->key, key)) {
				gb_errf(err, GB_EXIT_USAGE, "%s:%d: [%s] %s is already set at line %d; "
							    "multi-valued options are not supported, keep "
							    "one", name, line, section, key, o->line);
				free(key);
				rc = -1;
				goto out;
			}
		}
		lc->settings = gb_realloc(lc->settings, (lc->n_settings + 1) * sizeof(*lc->settings));
		struct lc_setting *st = &lc->settings[lc->n_settings++];
		st->phase = gb_strdup(phase);
		st->file = gb_strdup(file);
		st->section = gb_strdup(section);
		st->key = key;
		st->value = trim_dup(eq + 1, (size_t)(s + l - eq - 1));
		st->line = line;
	}
out:
	free(phase);
	free(file);
	free(section);
	if (rc != 0) {
		localconf_free(lc);
		return -1;
	}
	*out = lc;
	return 0;
}

int localconf_load(const char *path, struct localconf **out, struct gb_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	if (gb_read_file(path, LOCALCONF_MAX, &sb, err) != 0) {
		sb_release(&sb);
		return -1;
	}
	int rc = localconf_parse(path, sb.buf, sb.len, out, err);
	sb_release(&sb);
	return rc;
}

const char *localconf_localrc(const struct localconf *lc, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < lc->n_localrc; i++)
		if (!strcmp(lc->localrc[i].name, name))
			v = lc->localrc[i].value; /* last assignment wins, as in shell */
	return v;
}

/* ---- INI merge ---- */

/* Is line (without its newline) "[section]" (trailing blanks allowed)? */
static bool is_header(const char *l, size_t len, const char *section, bool *any)
{
	while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
		len--;
	*any = len >= 2 && l[0] == '[' && l[len - 1] == ']';
	size_t sl = strlen(section);
	return *any && len == sl + 2 && !strncmp(l + 1, section, sl);
}

/* The line p[0..l) sets key (kl bytes): the offset of its value (after "key =" and blanks),
 * else 0 (a value never starts at 0). */
static size_t key_value_at(const char *p, size_t l, const char *key, size_t kl)
{
	if (l < kl || strncmp(p, key, kl))
		return 0;
	size_t j = kl;
	while (j < l && (p[j] == ' ' || p[j] == '\t'))
		j++;
	if (j >= l || p[j] != '=')
		return 0;
	j++;
	while (j < l && (p[j] == ' ' || p[j] == '\t'))
		j++;
	return j;
}

int localconf_ini_get(const char *ini, size_t len, const char *section, const char *key,
		      struct strbuf *out)
{
	const char *p = ini, *end = ini + len;
	bool in_section = false, found = false;
	size_t kl = strlen(key), j;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool any;
		if (is_header(p, l, section, &any)) {
			in_section = true;
		} else if (any) {
			in_section = false;
		} else if (in_section && (j = key_value_at(p, l, key, kl))) {
			size_t e = l;
			while (e > j && isspace((unsigned char)p[e - 1]))
				e--;
			sb_reset(out);
			sb_add(out, p + j, e - j);
			found = true; /* the last one wins, as in oslo.config */
		}
		p = nl ? nl + 1 : end;
	}
	return found ? 0 : -1;
}

int localconf_ini_set(struct strbuf *ini, const char *ini_name, const char *section,
		      const char *key, const char *value, struct gb_err *err)
{
	if (!*section || strpbrk(section, "[]\n\r"))
		return gb_errf(err, GB_EXIT_USAGE, "%s: section name '%s' cannot be written to an "
						   "INI file", ini_name, section);
	if (!*key || strpbrk(key, "=\n\r[") || isspace((unsigned char)key[0]) ||
	    isspace((unsigned char)key[strlen(key) - 1]) || key[0] == '#' || key[0] == ';')
		return gb_errf(err, GB_EXIT_USAGE, "%s: [%s] key '%s' cannot be written to an INI "
						   "file", ini_name, section, key);
	if (strpbrk(value, "\n\r"))
		return gb_errf(err, GB_EXIT_USAGE, "%s: [%s] %s: value contains a newline; "
						   "multi-line values are not supported", ini_name,
			       section, key);
	struct strbuf out = STRBUF_INIT;
	const char *p = sb_str(ini), *end = p + ini->len;
	bool in_section = false, found_section = false, replaced = false;
	size_t insert_at = (size_t)-1; /* offset in out just after the first header line */
	size_t kl = strlen(key);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool any;
		if (is_header(p, l, section, &any)) {
			in_section = true;
			sb_add(&out, p, nl ? l + 1 : l);
			if (!found_section)
				insert_at = out.len;
			found_section = true;
			p = nl ? nl + 1 : end;
			continue;
		}
		if (any)
			in_section = false;
		size_t j;
		if (in_section && (j = key_value_at(p, l, key, kl))) {
			sb_add(&out, p, j);
			sb_addstr(&out, value);
			if (l && p[l - 1] == '\r')
				sb_addch(&out, '\r');
			if (nl)
				sb_addch(&out, '\n');
			replaced = true;
			p = nl ? nl + 1 : end;
			continue;
		}
		sb_add(&out, p, nl ? l + 1 : l);
		p = nl ? nl + 1 : end;
	}
	if (!replaced) {
		struct strbuf kv = STRBUF_INIT;
		sb_addf(&kv, "%s = %s\n", key, value);
		if (found_section) {
			struct strbuf merged = STRBUF_INIT;
			sb_add(&merged, out.buf, insert_at);
			if (insert_at && out.buf[insert_at - 1] != '\n')
				sb_addch(&merged, '\n'); /* the header was the last, unterminated line */
			sb_add(&merged, kv.buf, kv.len);
			sb_add(&merged, out.buf + insert_at, out.len - insert_at);
			sb_release(&out);
			out = merged;
		} else {
			sb_addf(&out, "\n[%s]\n", section);
			sb_add(&out, kv.buf, kv.len);
		}
		sb_release(&kv);
	}
	sb_release(ini);
	*ini = out;
	return 0;
}

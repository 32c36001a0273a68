/*
 * clouds.c - resolve OpenStack credentials from a scenario auth block, clouds.yaml
 * (+ secure.yaml) or OS_* variables, like openstacksdk. Reads YAML with the one YAML reader
 * (base/yamltree.c; aliases refused). Never talks to the network; never copies a
 * password or any other secret value into an error message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/yamltree.h"
#include "cloud/clouds.h"

#define CLOUDS_MAX_BYTES (4u << 20) /* a clouds.yaml bigger than this is not one */

/* ---- the YAML tree (base/yamltree.c) ---- */

/* What a clouds.yaml may hold of YAML: anchors and tags are ignored, aliases refused; it
 * holds passwords, so no message quotes its bytes. */
static const struct yt_rules yaml_rules = {
	.noun = "clouds.yaml file", .nouns = "clouds.yaml files", .max_bytes = CLOUDS_MAX_BYTES,
	.max_depth = 64, .max_nodes = 200000, .allow_anchors = true, .allow_tags = true,
	.has_secrets = true,
};

/* Parse data into a tree; an empty document gives an empty map. NULL with err on error. */
static struct yt_node *y_load(const char *path, const char *data, size_t len, struct gb_err *err)
{
	struct yt_node *root = NULL;
	if (yamltree_parse(path, data, len, &yaml_rules, &root, err) != 0)
		return NULL;
	if (!root) {
		root = gb_calloc(1, sizeof(*root));
		root->kind = YT_MAP;
		root->line = root->col = 1;
	}
	return root;
}

/* ---- credential fields ---- */

/* Where a field of struct os_creds lives, by its clouds.yaml / OS_* names. */
struct field {
	const char *key;   /* clouds.yaml key under auth: (or at cloud level if !in_auth) */
	const char *env;   /* OS_* variable */
	size_t off;        /* offsetof(struct os_creds, ...) */
	bool in_auth;
	bool is_secret;
};

#define F(k, e, m, a, s) { k, e, offsetof(struct os_creds, m), a, s }
static const struct field fields[] = {
	F("auth_url", "OS_AUTH_URL", auth_url, true, false),
	F("username", "OS_USERNAME", username, true, false),
	F("user_id", "OS_USER_ID", user_id, true, false),
	F("password", "OS_PASSWORD", password, true, true),
	F("project_name", "OS_PROJECT_NAME", project_name, true, false),
	F("tenant_name", "OS_TENANT_NAME", project_name, true, false),
	F("project_id", "OS_PROJECT_ID", project_id, true, false),
	F("tenant_id", "OS_TENANT_ID", project_id, true, false),
	F("user_domain_name", "OS_USER_DOMAIN_NAME", user_domain_name, true, false),
	F("user_domain_id", "OS_USER_DOMAIN_ID", user_domain_id, true, false),
	F("project_domain_name", "OS_PROJECT_DOMAIN_NAME", project_domain_name, true, false),
	F("project_domain_id", "OS_PROJECT_DOMAIN_ID", project_domain_id, true, false),
	F("region_name", "OS_REGION_NAME", region_name, false, false),
	F("interface", "OS_INTERFACE", interface, false, false),
	F("endpoint_type", "OS_ENDPOINT_TYPE", interface, false, false),
	F("cacert", "OS_CACERT", cacert, false, false),
};
#undef F

static char **field_ptr(struct os_creds *c, const struct field *f)
{
	return (char **)((char *)c + f->off);
}

static void set_str(char **slot, const char *v)
{
	if (*slot) {
		explicit_bzero(*slot, strlen(*slot));
		free(*slot);
	}
	*slot = v ? gb_strdup(v) : NULL;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Defaults, normalisation and the checks every source shares. `where` names the source
 * for messages ("clouds.yaml:12 (cloud 'x')", "OS_* environment"). */
static int finish_creds(struct os_creds *c, const char *where, bool is_env, struct gb_err *err)
{
	const char *missing = NULL;
	if (!c->auth_url || !*c->auth_url)
		missing = is_env ? "OS_AUTH_URL" : "auth.auth_url";
	else if ((!c->username || !*c->username) && (!c->user_id || !*c->user_id))
		missing = is_env ? "OS_USERNAME" : "auth.username";
	else if (!c->password)
		missing = is_env ? "OS_PASSWORD" : "auth.password";
	else if ((!c->project_name || !*c->project_name) && (!c->project_id || !*c->project_id))
		missing = is_env ? "OS_PROJECT_NAME" : "auth.project_name";
	if (missing)
		return gb_errf(err, GB_EXIT_USAGE, "%s: %s is missing; %s", where, missing,
			       is_env ? "set it (source an openrc)" :
			       strstr(missing, "password") ? "add it (or put it in secure.yaml)" : "add it");
	if (strncmp(c->auth_url, "http://", 7) && strncmp(c->auth_url, "https://", 8))
		return gb_errf(err, GB_EXIT_USAGE,
			       "%s: auth_url '%s' is not an http:// or https:// URL", where, c->auth_url);
	if (!c->user_domain_name && !c->user_domain_id)
		set_str(&c->user_domain_name, "Default");
	if (!c->project_domain_name && !c->project_domain_id)
		set_str(&c->project_domain_name, "Default");
	if (!c->interface || !*c->interface)
		set_str(&c->interface, "public");
	size_t il = strlen(c->interface);
	if (il > 3 && !strcmp(c->interface + il - 3, "URL")) /* publicURL -> public */
		c->interface[il - 3] = '\0';
	if (strcmp(c->interface, "public") && strcmp(c->interface, "internal") &&
	    strcmp(c->interface, "admin"))
		return gb_errf(err, GB_EXIT_USAGE,
			       "%s: interface '%s' is not one of public, internal, admin", where,
			       c->interface);
	if (c->region_name && !*c->region_name)
		set_str(&c->region_name, NULL);
	if (c->cacert && !*c->cacert)
		set_str(&c->cacert, NULL);
	if (c->cacert && access(c->cacert, R_OK) != 0)
		return gb_errf(err, GB_EXIT_USAGE, "%s: cacert %s: cannot read: %s", where, c->cacert,
			       strerror(errno));
	set_str(&c->source, where);
	return 0;
}

/* ---- sources ---- */

static int from_inline(const struct sc_auth *a, struct os_creds *c, struct gb_err *err)
{
	set_str(&c->auth_url, a->auth_url);
	set_str(&c->username, a->username);
	set_str(&c->password, a->password);
	set_str(&c->project_name, a->project_name);
	set_str(&c->user_domain_name, a->user_domain_name);
	set_str(&c->project_domain_name, a->project_domain_name);
	set_str(&c->region_name, a->region_name);
	set_str(&c->interface, a->interface);
	return finish_creds(c, "scenario auth block", false, err);
}

static int from_env(struct os_creds *c, struct gb_err *err)
{
	const char *v = getenv("OS_IDENTITY_API_VERSION");
	if (v && *v && strcmp(v, "3") && strcmp(v, "3.0"))
		return gb_errf(err, GB_EXIT_USAGE,
			       "OS_IDENTITY_API_VERSION=%s: only keystone v3 is supported; set it to 3", v);
	if (!getenv("OS_AUTH_URL"))
		return gb_errf(err, GB_EXIT_USAGE,
			       "no OpenStack credentials: give --os-cloud (or set OS_CLOUD) with a "
			       "clouds.yaml, or source an openrc that sets OS_AUTH_URL, OS_USERNAME, "
			       "OS_PASSWORD and OS_PROJECT_NAME");
	for (size_t i = 0; i < GB_ARRAY_SIZE(fields); i++) {
		const char *e = getenv(fields[i].env);
		if (e && *e && !*field_ptr(c, &fields[i]))
			set_str(field_ptr(c, &fields[i]), e);
	}
	if ((v = getenv("OS_INSECURE")) && *v) {
		if (parse_bool(v, &c->insecure) < 0)
			return gb_errf(err, GB_EXIT_USAGE, "OS_INSECURE=%s: expected true or false", v);
	}
	return finish_creds(c, "OS_* environment", true, err);
}

/* Apply the keys of one cloud entry (from clouds.yaml or secure.yaml) to c. */
static int apply_cloud(const char *path, const struct yt_node *cloud, struct os_creds *c,
		       struct gb_err *err)
{
	if (cloud->kind != YT_MAP)
		return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: a cloud entry must be a mapping", path,
			       cloud->line, cloud->col);
	const struct yt_node *auth = yamltree_get(cloud, "auth");
	if (auth && auth->kind != YT_MAP)
		return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: auth: expected a mapping", path,
			       auth->line, auth->col);
	for (size_t i = 0; i < GB_ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		const struct yt_node *v = yamltree_get(f->in_auth ? auth : cloud, f->key);
		if (!v)
			continue;
		if (v->kind != YT_SCALAR)
			return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: %s%s: expected a string", path,
				       v->line, v->col, f->in_auth ? "auth." : "", f->key);
		set_str(field_ptr(c, f), v->str);
	}
	const struct yt_node *v;
	if ((v = yamltree_get(cloud, "auth_type")) &&
	    (v->kind != YT_SCALAR || (strcmp(v->str, "password") && strcmp(v->str, "v3password"))))
		return gb_errf(err, GB_EXIT_USAGE,
			       "%s:%d:%d: auth_type: only 'password' (keystone v3) is supported", path,
			       v->line, v->col);
	if ((v = yamltree_get(cloud, "identity_api_version")) &&
	    (v->kind != YT_SCALAR || (strcmp(v->str, "3") && strcmp(v->str, "3.0"))))
		return gb_errf(err, GB_EXIT_USAGE,
			       "%s:%d:%d: identity_api_version: only 3 is supported", path, v->line,
			       v->col);
	static const char *const bools[] = { "verify", "insecure" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(bools); i++) {
		if (!(v = yamltree_get(cloud, bools[i])))
			continue;
		bool b;
		if (v->kind != YT_SCALAR || parse_bool(v->str, &b) < 0)
			return gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: %s: expected true or false",
				       path, v->line, v->col, bools[i]);
		c->insecure = i == 0 ? !b : b;
	}
	return 0;
}

/* Load path into a tree; *root is NULL (and 0 returned) when the file does not exist. */
static int load_yaml_file(const char *path, struct yt_node **root, struct gb_err *err)
{
	*root = NULL;
	if (access(path, F_OK) != 0)
		return 0;
	struct strbuf sb = STRBUF_INIT;
	if (gb_read_file(path, CLOUDS_MAX_BYTES, &sb, err) < 0) {
		sb_release(&sb);
		return -1;
	}
	*root = y_load(path, sb.buf, sb.len, err);
	explicit_bzero(sb.buf, sb.len);
	sb_release(&sb);
	if (!*root)
		return -1;
	if ((*root)->kind != YT_MAP) {
		gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: expected a mapping with a 'clouds:' key",
			path, (*root)->line, (*root)->col);
		yamltree_free(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

/* The directories searched for clouds.yaml and secure.yaml, in order; NULLs skipped. */
struct search {
	char *dirs[3];
	char *env_file; /* $OS_CLIENT_CONFIG_FILE */
};

static void search_init(struct search *s, const char *etc_dir)
{
	memset(s, 0, sizeof(*s));
	s->dirs[0] = gb_strdup(".");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg) {
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s/openstack", xdg);
		s->dirs[1] = sb_detach(&sb);
	} else if (home && *home) {
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s/.config/openstack", home);
		s->dirs[1] = sb_detach(&sb);
	}
	s->dirs[2] = gb_strdup(etc_dir);
	const char *f = getenv("OS_CLIENT_CONFIG_FILE");
	if (f && *f)
		s->env_file = gb_strdup(f);
}

static void search_free(struct search *s)
{
	for (size_t i = 0; i < GB_ARRAY_SIZE(s->dirs); i++)
		free(s->dirs[i]);
	free(s->env_file);
}

/* The first existing <dir>/<name> (or the env file for clouds.yaml); NULL if none. */
static char *search_find(const struct search *s, const char *name, bool use_env)
{
	if (use_env && s->env_file)
		return gb_strdup(s->env_file);
	for (size_t i = 0; i < GB_ARRAY_SIZE(s->dirs); i++) {
		if (!s->dirs[i])
			continue;
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s/%s", s->dirs[i], name);
		if (access(sb.buf, F_OK) == 0)
			return sb_detach(&sb);
		sb_release(&sb);
	}
	return NULL;
}

/* The entry of cloud_name in a clouds.yaml tree (*key: its key node, for the line), or
 * NULL with err (no clouds: mapping; unknown cloud with a did-you-mean). */
static const struct yt_node *find_cloud(const char *path, const struct yt_node *root,
					const char *cloud_name, const struct yt_node **key,
					struct gb_err *err)
{
	const struct yt_node *clouds = yamltree_get(root, "clouds");
	if (!clouds || clouds->kind != YT_MAP) {
		gb_errf(err, GB_EXIT_USAGE, "%s:%d: no 'clouds:' mapping; see openstacksdk's "
			"clouds.yaml format", path, clouds ? clouds->line : 1);
		return NULL;
	}
	long k = yamltree_find(clouds, cloud_name);
	if (k >= 0) {
		*key = clouds->kids[k];
		return clouds->kids[k + 1];
	}
	const char **names = gb_calloc(clouds->n_kids / 2 + 1, sizeof(*names));
	struct strbuf list = STRBUF_INIT;
	for (size_t i = 0, n = 0; i + 1 < clouds->n_kids; i += 2) {
		if (clouds->kids[i]->kind != YT_SCALAR)
			continue;
		names[n++] = clouds->kids[i]->str;
		sb_addf(&list, "%s%s", list.len ? ", " : "", clouds->kids[i]->str);
	}
	const char *sugg = gb_suggest(cloud_name, names);
	if (sugg)
		gb_errf(err, GB_EXIT_USAGE, "%s: no cloud '%s'; did you mean '%s'?", path,
			cloud_name, sugg);
	else
		gb_errf(err, GB_EXIT_USAGE, "%s: no cloud '%s'; clouds there: %s", path,
			cloud_name, list.len ? list.buf : "(none)");
	sb_release(&list);
	free(names);
	return NULL;
}

static int from_clouds_yaml(const char *cloud_name, const char *etc_dir, struct os_creds *c,
			    struct gb_err *err)
{
	struct search s;
	search_init(&s, etc_dir);
	char *path = search_find(&s, "clouds.yaml", true), *spath = NULL;
	struct yt_node *root = NULL, *sroot = NULL;
	struct strbuf where = STRBUF_INIT;
	int rc = -1;
	if (!path) {
		gb_errf(err, GB_EXIT_USAGE,
			"cloud '%s' requested but no clouds.yaml found in ./, %s/ or %s/; create "
			"one or set OS_CLIENT_CONFIG_FILE", cloud_name,
			s.dirs[1] ? s.dirs[1] : "~/.config/openstack", etc_dir);
		goto out;
	}
	if (access(path, R_OK) != 0) {
		gb_errf(err, GB_EXIT_USAGE, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (load_yaml_file(path, &root, err) < 0)
		goto out;
	const struct yt_node *key = NULL, *cloud = find_cloud(path, root, cloud_name, &key, err);
	if (!cloud)
		goto out;
	if (apply_cloud(path, cloud, c, err) < 0)
		goto out;
	if ((spath = search_find(&s, "secure.yaml", false))) {
		if (load_yaml_file(spath, &sroot, err) < 0)
			goto out;
		const struct yt_node *scloud = yamltree_get(yamltree_get(sroot, "clouds"), cloud_name);
		if (scloud && apply_cloud(spath, scloud, c, err) < 0)
			goto out;
	}
	sb_addf(&where, "%s:%d (cloud '%s')", path, key->line, cloud_name);
	rc = finish_creds(c, where.buf, false, err);
out:
	sb_release(&where);
	yamltree_free(root);
	yamltree_free(sroot);
	free(path);
	free(spath);
	search_free(&s);
	return rc;
}

/* ---- public ---- */

int clouds_parse_buffer(const char *path, const char *data, size_t len, const char *cloud_name,
			struct os_creds *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	struct yt_node *root = y_load(path, data, len, err);
	const struct yt_node *key = NULL, *cloud = NULL;
	struct strbuf where = STRBUF_INIT;
	int rc = -1;
	if (!root)
		goto out;
	if (root->kind != YT_MAP) {
		gb_errf(err, GB_EXIT_USAGE, "%s:%d:%d: expected a mapping with a 'clouds:' key",
			path, root->line, root->col);
		goto out;
	}
	if (!(cloud = find_cloud(path, root, cloud_name, &key, err)) ||
	    apply_cloud(path, cloud, out, err) < 0)
		goto out;
	sb_addf(&where, "%s:%d (cloud '%s')", path, key->line, cloud_name);
	rc = finish_creds(out, where.buf, false, err);
out:
	sb_release(&where);
	yamltree_free(root);
	if (rc < 0)
		os_creds_free(out);
	return rc;
}

int clouds_resolve_in(const char *cloud, const struct sc_auth *inline_auth, const char *etc_dir,
		      struct os_creds *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if (inline_auth) {
		rc = from_inline(inline_auth, out, err);
	} else {
		if (!cloud || !*cloud)
			cloud = getenv("OS_CLOUD");
		if (cloud && *cloud)
			rc = from_clouds_yaml(cloud, etc_dir, out, err);
		else
			rc = from_env(out, err);
	}
	if (rc < 0)
		os_creds_free(out);
	return rc;
}

int clouds_resolve(const char *cloud, const struct sc_auth *inline_auth, struct os_creds *out,
		   struct gb_err *err)
{
	return clouds_resolve_in(cloud, inline_auth, "/etc/openstack", out, err);
}

/* Every string member of struct os_creds, for copy and free. */
#define M(m) offsetof(struct os_creds, m)
static const size_t str_members[] = {
	M(source), M(auth_url), M(username), M(user_id), M(password), M(project_name),
	M(project_id), M(user_domain_name), M(user_domain_id), M(project_domain_name),
	M(project_domain_id), M(region_name), M(interface), M(cacert),
};
#undef M

void os_creds_copy(struct os_creds *dst, const struct os_creds *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < GB_ARRAY_SIZE(str_members); i++) {
		const char *s = *(char *const *)((const char *)src + str_members[i]);
		*(char **)((char *)dst + str_members[i]) = s ? gb_strdup(s) : NULL;
	}
	dst->insecure = src->insecure;
}

void os_creds_free(struct os_creds *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < GB_ARRAY_SIZE(str_members); i++)
		set_str((char **)((char *)c + str_members[i]), NULL);
	memset(c, 0, sizeof(*c));
}

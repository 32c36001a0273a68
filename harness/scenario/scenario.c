/*
 * scenario.c - schema v1: the YAML tree (base/yamltree.c) -> a validated
 * struct scenario, or one message "file:line:col: field: expected ..., got '...'".
 * Reads the scenario and checks that the files it names are readable, but
 * never changes the host, never prints, never exits. Schema: scenarios/README.md.
 */
#include "scenario/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "base/yamltree.h"
#include "scenario/scenario_read.h"
#include "scenario/scenario_workload.h"

#define MAX_STRING SC_MAX_STRING
#define SCENARIO_MAX_BYTES (1024 * 1024) /* a scenario is small; refuse more */

/* What a scenario may hold of YAML: no anchors, aliases or tags; 64 levels, 20,000 nodes. */
static const struct yt_rules yaml_rules = {
	.noun = "scenario", .nouns = "scenarios", .max_bytes = SCENARIO_MAX_BYTES,
	.max_depth = 64, .max_nodes = 20000,
};
#define MAX_NAME 64       /* scenario and unit names */
#define MAX_TARGET 256    /* profile targets */
#define STEP_DURATION "a duration like '120s' or '2m' (more than 0, at most 24h)"
#define SLA_DURATION "a duration like '30s' or '500ms'"

/* ---- profile targets ---- */

static bool is_target(const char *s)
{
	const char *colon = strchr(s, ':');
	return colon && strlen(s) <= MAX_TARGET && sc_is_dotted(s, colon) &&
	       sc_is_dotted(colon + 1, s + strlen(s));
}

const char *scenario_target_function(const char *target)
{
	const char *dot = strrchr(target, '.'), *colon = strchr(target, ':');
	if (dot && dot > colon)
		return dot + 1;
	return colon ? colon + 1 : target;
}

/* ---- sections ---- */

static int parse_auth(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const keys[] = { "auth_url", "username", "password", "project_name",
					    "user_domain_name", "project_domain_name", "region_name",
					    "interface", NULL };
	static const char *const interfaces[] = { "public", "internal", "admin", NULL };
	struct sc_auth *a = &c->sc->auth;
	if (sc_check_map(c, n, "auth", keys, "a mapping of keystone credentials (auth_url, username, ...)"))
		return -1;
	static const char *const required[] = { "auth_url", "username", "password", "project_name", NULL };
	for (size_t i = 0; required[i]; i++)
		if (!sc_map_get(n, required[i]))
			return sc_missing(c, n, "auth", required[i], "");
	const struct yt_node *v;
	v = sc_map_get(n, "auth_url");
	if (sc_get_str(c, v, "auth.auth_url", MAX_STRING, 0, &a->auth_url))
		return -1;
	if (strncmp(a->auth_url, "http://", 7) && strncmp(a->auth_url, "https://", 8))
		return sc_expect(c, v, "auth.auth_url", "a URL starting with http:// or https://");
	if (sc_get_str(c, sc_map_get(n, "username"), "auth.username", 255, 0, &a->username) ||
	    sc_get_str(c, sc_map_get(n, "password"), "auth.password", MAX_STRING, STR_SECRET, &a->password) ||
	    sc_get_str(c, sc_map_get(n, "project_name"), "auth.project_name", 255, 0, &a->project_name))
		return -1;
	a->user_domain_name = gb_strdup("Default");
	a->project_domain_name = gb_strdup("Default");
	a->interface = gb_strdup("public");
	if ((v = sc_map_opt(n, "user_domain_name")) &&
	    sc_get_str(c, v, "auth.user_domain_name", 255, 0, &a->user_domain_name))
		return -1;
	if ((v = sc_map_opt(n, "project_domain_name")) &&
	    sc_get_str(c, v, "auth.project_domain_name", 255, 0, &a->project_domain_name))
		return -1;
	if ((v = sc_map_opt(n, "region_name")) && sc_get_str(c, v, "auth.region_name", 255, 0, &a->region_name))
		return -1;
	if ((v = sc_map_opt(n, "interface")) &&
	    sc_get_choice(c, v, "auth.interface", interfaces, "public, internal or admin", &a->interface))
		return -1;
	c->sc->has_auth = true;
	return 0;
}

static int parse_units(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const keys[] = { "backend", "file", NULL };
	static const char *const backends[] = { "systemd", "process", NULL };
	if (sc_check_map(c, n, "units", keys, "a mapping like {backend: systemd}"))
		return -1;
	const struct yt_node *v;
	if ((v = sc_map_opt(n, "backend"))) {
		char *b = NULL;
		if (sc_get_choice(c, v, "units.backend", backends, "systemd or process", &b))
			return -1;
		c->sc->units.backend = strcmp(b, "process") ? SC_BACKEND_SYSTEMD : SC_BACKEND_PROCESS;
		free(b);
	}
	if ((v = sc_map_opt(n, "file")) && sc_get_path(c, v, "units.file", false, &c->sc->units.file))
		return -1;
	if (c->sc->units.backend == SC_BACKEND_PROCESS && !c->sc->units.file)
		return sc_fail(c, n, "units", "the process backend needs 'file:' (the units file that "
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

static int parse_config(struct sc_ctx *c, const struct yt_node *n)
{
	struct scenario *sc = c->sc;
	if (sc_check_map(c, n, "config", NULL, "a mapping of config file -> section -> key -> value"))
		return -1;
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct yt_node *fk = n->kids[i], *fv = n->kids[i + 1];
		char fpath[512];
		sc_join_key(fpath, sizeof(fpath), "config", fk->str);
		if (!is_config_file(fk->str))
			return sc_expect(c, fk, "config", "a config file like '$NOVA_CONF' or an absolute path");
		if (sc_check_map(c, fv, fpath, NULL, "a mapping of sections"))
			return -1;
		for (size_t j = 0; j < fv->n_kids; j += 2) {
			const struct yt_node *sk = fv->kids[j], *sv = fv->kids[j + 1];
			char spath[768];
			sc_join_key(spath, sizeof(spath), fpath, sk->str);
			if (strpbrk(sk->str, "[]") || sk->str[0] == ' ' || sk->str[sk->len - 1] == ' ')
				return sc_expect(c, sk, fpath, "a section name (no brackets, no outer spaces)");
			if (sc_check_map(c, sv, spath, NULL, "a mapping of options"))
				return -1;
			for (size_t k = 0; k < sv->n_kids; k += 2) {
				const struct yt_node *ok = sv->kids[k], *ov = sv->kids[k + 1];
				char opath[1024];
				sc_join_key(opath, sizeof(opath), spath, ok->str);
				if (strpbrk(ok->str, "=[]") || strchr(" #;", ok->str[0]) ||
				    ok->str[ok->len - 1] == ' ')
					return sc_expect(c, ok, spath, "an option name (no '=', '[', ']', no "
							 "outer spaces, not starting with '#' or ';')");
				struct sc_setting s = { .line = ov->line };
				if (ov->kind == YT_SEQ) {
					/* a list option: values joined with ',' as oslo.config reads them */
					struct strbuf joined = STRBUF_INIT;
					for (size_t m = 0; m < ov->n_kids; m++) {
						char ipath[1100];
						char *item = NULL;
						sc_join_index(ipath, sizeof(ipath), opath, m);
						if (sc_get_str(c, ov->kids[m], ipath, MAX_STRING, 0, &item)) {
							sb_release(&joined);
							return -1;
						}
						sb_addf(&joined, "%s%s", m ? "," : "", item);
						free(item);
					}
					s.value = sb_detach(&joined);
				} else if (ov->kind == YT_MAP) {
					/* {copy_from: FILE}: the same option's value in another file */
					static const char *const ckeys[] = { "copy_from", NULL };
					char cpath[1100];
					sc_join_key(cpath, sizeof(cpath), opath, "copy_from");
					if (sc_check_map(c, ov, opath, ckeys, "a value, a list, or "
							 "{copy_from: $NOVA_CONF}"))
						return -1;
					const struct yt_node *cf = sc_map_get(ov, "copy_from");
					if (!cf)
						return sc_missing(c, ov, opath, "copy_from", " (the config "
								  "file to copy the value from, e.g. "
								  "copy_from: $NOVA_CONF)");
					if (sc_get_str(c, cf, cpath, MAX_STRING, 0, &s.copy_from))
						return -1;
					if (!is_config_file(s.copy_from)) {
						free(s.copy_from);
						return sc_expect(c, cf, cpath, "a config file like "
								 "'$NOVA_CONF' or an absolute path");
					}
				} else if (sc_get_str(c, ov, opath, MAX_STRING, STR_EMPTY_OK, &s.value)) {
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

static int parse_patches(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const keys[] = { "path", "tree", NULL };
	struct scenario *sc = c->sc;
	if (n->kind != YT_SEQ)
		return sc_expect(c, n, "patches", "a list of patch files");
	sc->patches = gb_calloc(n->n_kids, sizeof(*sc->patches));
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct yt_node *item = n->kids[i];
		struct sc_patch *p = &sc->patches[sc->n_patches++];
		char path[64], sub[80];
		sc_join_index(path, sizeof(path), "patches", i);
		p->line = item->line;
		if (item->kind != YT_MAP) {
			if (item->kind != YT_SCALAR)
				return sc_expect(c, item, path, "a patch file, or {path: FILE, tree: DIR}");
			if (sc_get_path(c, item, path, true, &p->path))
				return -1;
			continue;
		}
		if (sc_check_map(c, item, path, keys, "a mapping"))
			return -1;
		const struct yt_node *v = sc_map_get(item, "path");
		if (!v)
			return sc_missing(c, item, path, "path", " (the patch file)");
		sc_join_key(sub, sizeof(sub), path, "path");
		if (sc_get_path(c, v, sub, true, &p->path))
			return -1;
		if ((v = sc_map_opt(item, "tree"))) {
			sc_join_key(sub, sizeof(sub), path, "tree");
			if (sc_get_str(c, v, sub, MAX_STRING, 0, &p->tree))
				return -1;
			if (p->tree[0] != '/')
				return sc_expect(c, v, sub, "an absolute path to the source tree (e.g. /opt/stack/nova)");
		}
	}
	return 0;
}

static int parse_profile(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const keys[] = { "unit", "target", NULL };
	struct scenario *sc = c->sc;
	if (n->kind != YT_SEQ)
		return sc_expect(c, n, "profile", "a list of {unit: NAME, target: module:Qual.name}");
	sc->profiles = gb_calloc(n->n_kids, sizeof(*sc->profiles));
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct yt_node *item = n->kids[i];
		struct sc_profile *p = &sc->profiles[sc->n_profiles++];
		char path[64], sub[80];
		sc_join_index(path, sizeof(path), "profile", i);
		p->line = item->line;
		if (sc_check_map(c, item, path, keys, "a mapping {unit: NAME, target: module:Qual.name}"))
			return -1;
		const struct yt_node *u = sc_map_get(item, "unit"), *t = sc_map_get(item, "target");
		if (!u)
			return sc_missing(c, item, path, "unit", " (the unit to profile, e.g. n-sch)");
		if (!t)
			return sc_missing(c, item, path, "target", " (e.g. nova.scheduler.manager:"
					  "SchedulerManager.select_destinations)");
		sc_join_key(sub, sizeof(sub), path, "unit");
		if (sc_get_str(c, u, sub, MAX_STRING, 0, &p->unit))
			return -1;
		if (!sc_is_name(p->unit, MAX_NAME, "@_.-"))
			return sc_expect(c, u, sub, "a unit name (letters, digits, @ _ . -; starting with a "
					 "letter or digit)");
		sc_join_key(sub, sizeof(sub), path, "target");
		if (sc_get_str(c, t, sub, MAX_STRING, 0, &p->target))
			return -1;
		if (!is_target(p->target))
			return sc_expect(c, t, sub, "'module.path:Qualified.name' (e.g. nova.scheduler."
					 "manager:SchedulerManager.select_destinations)");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sc->profiles[j].unit, p->unit) && !strcmp(sc->profiles[j].target, p->target))
				return sc_fail(c, item, path, "same unit and target as profile[%zu] (line %d); "
					       "remove one", j, sc->profiles[j].line);
	}
	return 0;
}

static int parse_restart(struct sc_ctx *c, const struct yt_node *n)
{
	struct scenario *sc = c->sc;
	if (n->kind != YT_SEQ)
		return sc_expect(c, n, "restart", "a list of unit names like [n-sch]");
	sc->restart = gb_calloc(n->n_kids, sizeof(*sc->restart));
	for (size_t i = 0; i < n->n_kids; i++) {
		char path[64];
		sc_join_index(path, sizeof(path), "restart", i);
		char **u = &sc->restart[sc->n_restart++];
		if (sc_get_str(c, n->kids[i], path, MAX_STRING, 0, u))
			return -1;
		if (!sc_is_name(*u, MAX_NAME, "@_.-"))
			return sc_expect(c, n->kids[i], path, "a unit name (letters, digits, @ _ . -; "
					 "starting with a letter or digit)");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sc->restart[j], *u))
				return sc_fail(c, n->kids[i], path, "unit '%s' listed twice; list it once", *u);
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
				sb_addf(&sb, "profile.%s.%s.%s", scenario_target_function(sc->profiles[p].target),
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
		   sc_is_dotted(parts[1], parts[1] + strlen(parts[1])) &&
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
static int link_metric(struct sc_ctx *c, const struct yt_node *k, struct sc_sla *s, const char *function)
{
	struct scenario *sc = c->sc;
	s->profile_index = -1;
	if (s->kind == SC_SLA_CREATE_SERVERS) {
		for (size_t i = 0; i < sc->n_steps; i++)
			if (sc->steps[i].kind == SC_STEP_CREATE_SERVERS)
				return 0;
		return sc_fail(c, k, "sla", "metric '%s' needs a create_servers step in workload", s->metric);
	}
	if (s->kind != SC_SLA_PROFILE)
		return 0;
	size_t matches = 0;
	for (size_t i = 0; i < sc->n_profiles; i++) {
		if (strcmp(scenario_target_function(sc->profiles[i].target), function))
			continue;
		if (matches++ && strcmp(sc->profiles[i].target, sc->profiles[s->profile_index].target))
			return sc_fail(c, k, "sla", "metric '%s': '%s' names two profile targets (%s, %s); "
				       "an SLA must name one", s->metric, function,
				       sc->profiles[s->profile_index].target, sc->profiles[i].target);
		if (s->profile_index < 0)
			s->profile_index = (int)i;
	}
	if (s->profile_index >= 0)
		return 0;
	if (!sc->n_profiles)
		return sc_fail(c, k, "sla", "metric '%s' needs a profile target named '%s', and this "
			       "scenario profiles nothing; add it under 'profile:'", s->metric, function);
	struct strbuf names = STRBUF_INIT;
	for (size_t i = 0; i < sc->n_profiles; i++)
		sb_addf(&names, "%s%s", i ? ", " : "", scenario_target_function(sc->profiles[i].target));
	sc_fail(c, k, "sla", "metric '%s': no profile target is named '%s'; profiled: %s", s->metric,
		function, sb_str(&names));
	sb_release(&names);
	return -1;
}

static int parse_sla(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const keys[] = { "max", "min", NULL };
	struct scenario *sc = c->sc;
	if (sc_check_map(c, n, "sla", NULL, "a mapping of metric -> {max: X, min: Y}"))
		return -1;
	sc->slas = gb_calloc(n->n_kids / 2 + 1, sizeof(*sc->slas));
	for (size_t i = 0; i < n->n_kids; i += 2) {
		const struct yt_node *k = n->kids[i], *v = n->kids[i + 1];
		struct sc_sla *s = &sc->slas[sc->n_slas++];
		char *function = NULL;
		char path[512], sub[520];
		s->line = k->line;
		s->profile_index = -1;
		s->metric = gb_strndup(k->str, k->len);
		if (k->len > 256 || classify_metric(s->metric, s, &function)) {
			char **cands = all_metrics(sc);
			char got[256];
			sc_describe(k, got, sizeof(got));
			const char *sug = k->len <= 64 ? gb_suggest(k->str, (const char *const *)cands) : NULL;
			if (sug)
				sc_fail(c, k, "sla", "unknown metric %s; did you mean '%s'?", got, sug);
			else
				sc_fail(c, k, "sla", "unknown metric %s; metrics are create_servers."
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
		sc_join_key(path, sizeof(path), "sla", s->metric);
		if (sc_check_map(c, v, path, keys, "a mapping like {max: 30s}"))
			return -1;
		const struct yt_node *mx = sc_map_opt(v, "max"), *mn = sc_map_opt(v, "min");
		if (!mx && !mn)
			return sc_fail(c, v, path, "give 'max', 'min' or both");
		if (mx) {
			sc_join_key(sub, sizeof(sub), path, "max");
			if (s->is_duration ? sc_get_duration(c, mx, sub, 1e9, true, SLA_DURATION, &s->max)
			    : sc_get_number(c, mx, sub, &s->max))
				return -1;
			s->ops |= SC_SLA_MAX;
		}
		if (mn) {
			sc_join_key(sub, sizeof(sub), path, "min");
			if (s->is_duration ? sc_get_duration(c, mn, sub, 1e9, true, SLA_DURATION, &s->min)
			    : sc_get_number(c, mn, sub, &s->min))
				return -1;
			s->ops |= SC_SLA_MIN;
		}
		if (mx && mn && s->min > s->max)
			return sc_fail(c, mn, path, "min (%g) is above max (%g); no value can pass", s->min, s->max);
	}
	return 0;
}

/* ---- the whole file ---- */

static int parse_root(struct sc_ctx *c, const struct yt_node *root)
{
	static const char *const keys[] = { "version", "name", "description", "cloud", "auth",
					    "units", "local_conf", "config", "fake_computes",
					    "patches", "profile", "restart", "workload", "repeat",
					    "sla", NULL };
	struct scenario *sc = c->sc;
	if (!root)
		return sc_fail(c, NULL, "", "empty scenario; it needs at least 'name:' and 'workload:'");
	if (sc_check_map(c, root, "", keys, "a mapping of scenario keys (name:, workload:, ...) at the top"))
		return -1;
	for (size_t i = 0; i < root->n_kids; i += 2) {
		const char *key = root->kids[i]->str;
		int line = root->kids[i]->line;
		const struct yt_node *v = root->kids[i + 1];
		int rc = 0;
		bool is_null = yamltree_is_null(v);
		if (!strcmp(key, "version")) {
			int ver = 0;
			if (sc_get_int(c, v, "version", 1, 1, &ver))
				return sc_expect(c, v, "version", "1 (the only schema version)");
		} else if (!strcmp(key, "name")) {
			rc = sc_get_str(c, v, "name", MAX_STRING, 0, &sc->name);
			if (!rc && !sc_is_name(sc->name, MAX_NAME, "_.-"))
				rc = sc_expect(c, v, "name", "1-64 characters from A-Z a-z 0-9 _ . - (starting "
					       "with a letter or digit)");
		} else if (!strcmp(key, "description")) {
			if (!is_null)
				rc = sc_get_str(c, v, "description", MAX_STRING, STR_MULTILINE | STR_EMPTY_OK,
						&sc->description);
		} else if (!strcmp(key, "cloud")) {
			rc = sc_get_str(c, v, "cloud", 255, 0, &sc->cloud);
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
				rc = sc_get_path(c, v, "local_conf", true, &sc->local_conf);
			sc->local_conf_line = line;
		} else if (!strcmp(key, "config")) {
			if (!is_null)
				rc = parse_config(c, v);
		} else if (!strcmp(key, "fake_computes")) {
			if (!is_null)
				rc = sc_get_int(c, v, "fake_computes", 0, 1000, &sc->fake_computes);
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
				rc = scenario_parse_workload(c, v);
		} else if (!strcmp(key, "repeat")) {
			if (!is_null)
				rc = sc_get_int(c, v, "repeat", 1, 1000, &sc->repeat);
		}
		if (rc)
			return -1;
	}

	if (!sc_map_get(root, "name"))
		return sc_missing(c, root, "", "name", " (e.g. name: select_destinations)");
	if (!sc_map_get(root, "workload"))
		return sc_missing(c, root, "", "workload", " (use 'workload: []' for a restart-only run)");
	const struct yt_node *cloud = sc_map_get(root, "cloud"), *auth = sc_map_get(root, "auth");
	if (cloud && auth) {
		const struct yt_node *later = cloud->line > auth->line ? cloud : auth;
		return sc_fail(c, later, "", "give 'cloud' or 'auth', not both (cloud at line %d, auth at "
			       "line %d)", cloud->line, auth->line);
	}
	for (size_t i = 0; i < sc->n_profiles; i++) {
		size_t j = 0;
		while (j < sc->n_restart && strcmp(sc->restart[j], sc->profiles[i].unit))
			j++;
		if (j == sc->n_restart) {
			const struct yt_node *item = sc_map_get(root, "profile")->kids[i];
			char path[64];
			sc_join_index(path, sizeof(path), "profile", i);
			return sc_fail(c, item, path, "unit '%s' is not in restart; the profiler is switched on "
				       "when the unit starts, so add it: restart: [%s]", sc->profiles[i].unit,
				       sc->profiles[i].unit);
		}
	}
	const struct yt_node *wl = sc_map_opt(root, "workload");
	if (wl && scenario_link_workload(c, wl))
		return -1;
	const struct yt_node *sla = sc_map_opt(root, "sla");
	if (sla && parse_sla(c, sla))
		return -1;
	return 0;
}

static int load(const char *name, const char *path, const char *dir, bool check_files,
		const char *data, size_t len, struct scenario **out, struct gb_err *err)
{
	*out = NULL;
	struct yt_node *root = NULL;
	if (yamltree_parse(name, data, len, &yaml_rules, &root, err))
		return -1;
	struct scenario *sc = gb_calloc(1, sizeof(*sc));
	sc->path = gb_strdup(path);
	sc->dir = gb_strdup(dir ? dir : ".");
	sc->version = 1;
	sc->fake_computes = -1;
	sc->repeat = 1;
	gb_sha256_hex(data, len, sc->sha256);
	struct sc_ctx c = { .name = name, .dir = sc->dir, .check_files = check_files, .err = err, .sc = sc };
	int rc = parse_root(&c, root);
	yamltree_free(root);
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
		free(sc->settings[i].copy_from);
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
		free(sc->steps[i].target);
		free(sc->steps[i].req.method);
		free(sc->steps[i].req.service);
		free(sc->steps[i].req.path);
		free(sc->steps[i].req.body);
		free(sc->steps[i].req.microversion);
		free(sc->steps[i].req.id_field);
		free(sc->steps[i].req.delete_path);
		free(sc->steps[i].req.as);
		free(sc->steps[i].req.find);
		free(sc->steps[i].req.label);
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

/* ---- B-side changes given on the command line (ab --b-config, --b-env) ---- */

static bool is_name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

int scenario_parse_setting_arg(const char *arg, struct sc_setting *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	const char *eq = strchr(arg, '=');
	const char *colon = NULL;
	for (const char *p = arg; eq && p < eq; p++)
		if (*p == ':')
			colon = p;
	const char *dot = colon ? memchr(colon + 1, '.', (size_t)(eq - colon - 1)) : NULL;
	const char *why = !eq ? "no '=VALUE'"
			  : !colon || colon == arg ? "no 'FILE:' before the section"
			  : !dot || dot == colon + 1 ? "no 'SECTION.' before the key"
			  : dot + 1 == eq ? "no KEY before '='"
			  : strpbrk(arg, "\n\r") ? "a newline in it"
			  : NULL;
	for (const char *p = colon ? colon + 1 : arg; !why && p < dot; p++)
		if (*p == '[' || *p == ']' || *p == ' ')
			why = "a '[', ']' or space in the section name";
	for (const char *p = dot ? dot + 1 : arg; !why && p < eq; p++)
		if (*p == ' ' || *p == '=' || *p == '#' || *p == ';')
			why = "a space, '#' or ';' in the key";
	if (why)
		return gb_errf(err, GB_EXIT_USAGE, "--b-config '%s': %s; expected FILE:SECTION.KEY=VALUE, "
						   "e.g. '$NOVA_CONF:DEFAULT.concurrency_backend=eventlet'",
			       arg, why);
	out->file = gb_strndup(arg, (size_t)(colon - arg));
	out->section = gb_strndup(colon + 1, (size_t)(dot - colon - 1));
	out->key = gb_strndup(dot + 1, (size_t)(eq - dot - 1));
	out->value = gb_strdup(eq + 1);
	out->line = 0;
	return 0;
}

void scenario_setting_release(struct sc_setting *s)
{
	free(s->file);
	free(s->section);
	free(s->key);
	free(s->value);
	free(s->copy_from);
	memset(s, 0, sizeof(*s));
}

int scenario_check_env_arg(const char *arg, struct gb_err *err)
{
	const char *eq = strchr(arg, '=');
	const char *why = !eq || eq == arg ? "no NAME=VALUE" : NULL;
	for (const char *p = arg; !why && p < eq; p++)
		if (!is_name_char(*p, p == arg))
			why = "NAME is not [A-Za-z_][A-Za-z0-9_]*";
	if (!why && strpbrk(arg, "\n\r"))
		why = "a newline in it";
	if (!why && (size_t)(eq - arg) == strlen("GREENBENCH_PROFILE") &&
	    !strncmp(arg, "GREENBENCH_PROFILE", (size_t)(eq - arg)))
		why = "GREENBENCH_PROFILE is greenbench's own (the profile: entries set it)";
	if (why)
		return gb_errf(err, GB_EXIT_USAGE, "--b-env '%s': %s; expected NAME=VALUE, e.g. "
						   "OS_NOVA_DISABLE_EVENTLET_PATCHING=1", arg, why);
	return 0;
}

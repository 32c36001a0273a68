/*
 * scenario_workload.c - the workload steps of schema v1: create_servers (servers through
 * the API) and wait_calls (N calls of a profiled target that no request of ours names, e.g.
 * a periodic task). Validation only: never touches the host, never prints, never exits.
 */
#include "scenario/scenario_workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

#define STEP_DURATION "a duration like '120s' or '2m' (more than 0, at most 24h)"

/* ---- create_servers ---- */

static int parse_create_servers(struct sc_ctx *c, const struct yt_node *n, const char *path,
				struct sc_step *s)
{
	static const char *const keys[] = { "count", "concurrency", "image", "flavor", "networks",
					    "wait", "timeout", "delete", "delete_timeout",
					    "name_prefix", NULL };
	static const char *const waits[] = { "ACTIVE", "none", NULL };
	char sub[96];
	const struct yt_node *v;
	s->kind = SC_STEP_CREATE_SERVERS;
	s->profile_index = -1;
	s->count = 1;
	s->concurrency = 1;
	s->networks = gb_strdup("none");
	s->wait = gb_strdup("ACTIVE");
	s->timeout = 120;
	s->do_delete = true;
	s->delete_timeout = 120;
	s->name_prefix = gb_strdup("greenbench");
	if (yamltree_is_null(n))
		return sc_missing(c, n, path, "image", " (a glance image name or id, e.g. image: cirros)");
	if (sc_check_map(c, n, path, keys, "a mapping like {count: 10, image: cirros, flavor: c1}"))
		return -1;
#define SUB(key) (sc_join_key(sub, sizeof(sub), path, key), sub)
	if ((v = sc_map_opt(n, "count")) && sc_get_int(c, v, SUB("count"), 1, 10000, &s->count))
		return -1;
	if ((v = sc_map_opt(n, "concurrency"))) {
		if (sc_get_int(c, v, SUB("concurrency"), 1, 10000, &s->concurrency))
			return -1;
		if (s->concurrency > s->count) {
			char what[64];
			snprintf(what, sizeof(what), "an integer 1..%d (at most count)", s->count);
			return sc_expect(c, v, sub, what);
		}
	}
	if (!(v = sc_map_get(n, "image")))
		return sc_missing(c, n, path, "image", " (a glance image name or id, e.g. image: cirros)");
	if (sc_get_str(c, v, SUB("image"), 255, 0, &s->image))
		return -1;
	if (!(v = sc_map_get(n, "flavor")))
		return sc_missing(c, n, path, "flavor", " (a nova flavor name or id, e.g. flavor: c1)");
	if (sc_get_str(c, v, SUB("flavor"), 255, 0, &s->flavor))
		return -1;
	if ((v = sc_map_opt(n, "networks")) && sc_get_str(c, v, SUB("networks"), 255, 0, &s->networks))
		return -1;
	if ((v = sc_map_opt(n, "wait")) &&
	    sc_get_choice(c, v, SUB("wait"), waits, "ACTIVE or none", &s->wait))
		return -1;
	if ((v = sc_map_opt(n, "timeout")) && sc_get_duration(c, v, SUB("timeout"), 86400, false, STEP_DURATION, &s->timeout))
		return -1;
	if ((v = sc_map_opt(n, "delete")) && sc_get_bool(c, v, SUB("delete"), &s->do_delete))
		return -1;
	if ((v = sc_map_opt(n, "delete_timeout")) &&
	    sc_get_duration(c, v, SUB("delete_timeout"), 86400, false, STEP_DURATION,
	    &s->delete_timeout))
		return -1;
	if ((v = sc_map_opt(n, "name_prefix"))) {
		if (sc_get_str(c, v, SUB("name_prefix"), SC_MAX_STRING, 0, &s->name_prefix))
			return -1;
		if (!sc_is_name(s->name_prefix, 32, "_.-"))
			return sc_expect(c, v, sub, "1-32 characters from A-Z a-z 0-9 _ . - (starting with "
					 "a letter or digit)");
	}
#undef SUB
	return 0;
}

/* ---- wait_calls ---- */

static int parse_wait_calls(struct sc_ctx *c, const struct yt_node *n, const char *path,
			    struct sc_step *s)
{
	static const char *const keys[] = { "target", "count", "timeout", NULL };
	char sub[96];
	const struct yt_node *v;
	s->kind = SC_STEP_WAIT_CALLS;
	s->profile_index = -1;
	s->timeout = 300;
	s->do_delete = false;
	if (yamltree_is_null(n))
		return sc_missing(c, n, path, "target", " (a profile target or its function name, e.g. "
				  "target: update_available_resource)");
	if (sc_check_map(c, n, path, keys, "a mapping like {target: update_available_resource, "
			 "count: 3, timeout: 60s}"))
		return -1;
#define SUB(key) (sc_join_key(sub, sizeof(sub), path, key), sub)
	if (!(v = sc_map_get(n, "target")))
		return sc_missing(c, n, path, "target", " (a profile target or its function name, e.g. "
				  "target: update_available_resource)");
	if (sc_get_str(c, v, SUB("target"), 256, 0, &s->target))
		return -1;
	const char *colon = strchr(s->target, ':');
	if (colon ? !sc_is_dotted(s->target, colon) || !sc_is_dotted(colon + 1, s->target + strlen(s->target))
		  : !sc_is_dotted(s->target, s->target + strlen(s->target)))
		return sc_expect(c, v, sub, "a profile target 'module.path:Qualified.name' or its function "
				 "name (e.g. update_available_resource)");
	if (!(v = sc_map_get(n, "count")))
		return sc_missing(c, n, path, "count", " (how many calls to wait for, e.g. count: 3)");
	if (sc_get_int(c, v, SUB("count"), 1, 10000, &s->count))
		return -1;
	if ((v = sc_map_opt(n, "timeout")) &&
	    sc_get_duration(c, v, SUB("timeout"), 86400, false, STEP_DURATION, &s->timeout))
		return -1;
#undef SUB
	return 0;
}

/* ---- the list ---- */

int scenario_parse_workload(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const kinds[] = { "create_servers", "wait_calls", NULL };
	struct scenario *sc = c->sc;
	if (n->kind != YT_SEQ)
		return sc_expect(c, n, "workload", "a list of steps like '- create_servers: {...}'");
	sc->steps = gb_calloc(n->n_kids, sizeof(*sc->steps));
	for (size_t i = 0; i < n->n_kids; i++) {
		const struct yt_node *item = n->kids[i];
		struct sc_step *s = &sc->steps[sc->n_steps++];
		char path[64], sub[96];
		sc_join_index(path, sizeof(path), "workload", i);
		s->line = item->line;
		s->profile_index = -1;
		if (sc_check_map(c, item, path, NULL, "a step like 'create_servers: {...}'"))
			return -1;
		if (item->n_kids != 2)
			return sc_fail(c, item, path, "a step has exactly one key, its kind (e.g. "
				       "create_servers), got %zu; start each step with '- '",
				       item->n_kids / 2);
		const struct yt_node *k = item->kids[0];
		bool is_create = !strcmp(k->str, "create_servers"), is_wait = !strcmp(k->str, "wait_calls");
		if (!is_create && !is_wait) {
			char got[256];
			const char *s2 = k->len <= 64 ? gb_suggest(k->str, kinds) : NULL;
			sc_describe(k, got, sizeof(got));
			if (s2)
				return sc_fail(c, k, path, "unknown step %s; did you mean '%s'?", got, s2);
			return sc_fail(c, k, path, "unknown step %s; v1 knows: create_servers, wait_calls", got);
		}
		sc_join_key(sub, sizeof(sub), path, k->str);
		if (is_create ? parse_create_servers(c, item->kids[1], sub, s)
			      : parse_wait_calls(c, item->kids[1], sub, s))
			return -1;
	}
	return 0;
}

int scenario_link_workload(struct sc_ctx *c, const struct yt_node *n)
{
	struct scenario *sc = c->sc;
	for (size_t i = 0; i < sc->n_steps; i++) {
		struct sc_step *s = &sc->steps[i];
		if (s->kind != SC_STEP_WAIT_CALLS)
			continue;
		const struct yt_node *tn = sc_map_get(n->kids[i]->kids[1], "target");
		char path[96];
		snprintf(path, sizeof(path), "workload[%zu].wait_calls.target", i);
		bool is_full = strchr(s->target, ':') != NULL;
		for (size_t p = 0; p < sc->n_profiles; p++) {
			const char *t = sc->profiles[p].target;
			if (strcmp(is_full ? t : scenario_target_function(t), s->target))
				continue;
			if (s->profile_index >= 0 && strcmp(sc->profiles[s->profile_index].target, t))
				return sc_fail(c, tn, path, "'%s' names two profile targets (%s, %s); write "
					       "the full target", s->target,
					       sc->profiles[s->profile_index].target, t);
			if (s->profile_index < 0)
				s->profile_index = (int)p;
		}
		if (s->profile_index >= 0)
			continue;
		if (!sc->n_profiles)
			return sc_fail(c, tn, path, "'%s' is not profiled, and this scenario profiles "
				       "nothing; add it under 'profile:' (with its unit)", s->target);
		struct strbuf names = STRBUF_INIT;
		for (size_t p = 0; p < sc->n_profiles; p++)
			sb_addf(&names, "%s%s", p ? ", " : "", sc->profiles[p].target);
		sc_fail(c, tn, path, "'%s' is not a profile target; profiled: %s", s->target,
			sb_str(&names));
		sb_release(&names);
		return -1;
	}
	return 0;
}

bool scenario_target_is_waited(const struct scenario *sc, size_t i)
{
	for (size_t s = 0; s < sc->n_steps; s++)
		if (sc->steps[s].kind == SC_STEP_WAIT_CALLS && sc->steps[s].profile_index == (int)i)
			return true;
	return false;
}

bool scenario_has_create_servers(const struct scenario *sc)
{
	for (size_t s = 0; s < sc->n_steps; s++)
		if (sc->steps[s].kind == SC_STEP_CREATE_SERVERS)
			return true;
	return false;
}

/*
 * scenario_workload.c - the workload steps of schema v1: create_servers (servers through
 * the API), wait_calls (N calls of a profiled target that no request of ours names, e.g.
 * a periodic task) and request (any REST request, its body YAML turned into JSON). Validation only: never touches the host, never prints, never exits.
 */
#include "scenario/scenario_workload.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
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

/* ---- request ---- */

/* Each {word} placeholder of str must be known: name, i, repeat, the `as:` of an earlier
 * request step, and id where is_delete. */
static int check_placeholders(struct sc_ctx *c, const struct yt_node *n, const char *path,
			      const char *str, int upto, bool is_delete)
{
	for (const char *p = strchr(str, '{'); p; p = strchr(p + 1, '{')) {
		size_t k = 1;
		while (isalnum((unsigned char)p[k]) || p[k] == '_')
			k++;
		if (k == 1 || p[k] != '}')
			continue;
		char word[64];
		if (k - 1 >= sizeof(word))
			return sc_fail(c, n, path, "placeholder '%.*s' is too long", (int)k + 1, p);
		memcpy(word, p + 1, k - 1);
		word[k - 1] = '\0';
		if (!strcmp(word, "name") || !strcmp(word, "i") || !strcmp(word, "repeat") ||
		    (is_delete && !strcmp(word, "id")))
			continue;
		bool found = false;
		for (int i = 0; i < upto && !found; i++)
			found = c->sc->steps[i].kind == SC_STEP_REQUEST && c->sc->steps[i].req.as &&
				!strcmp(c->sc->steps[i].req.as, word);
		if (!found)
			return sc_fail(c, n, path, "unknown placeholder {%s}; known: {name}, {i}, "
				       "{repeat}%s, and the 'as:' names of earlier request steps", word,
				       is_delete ? ", {id}" : "");
	}
	return 0;
}

static bool is_json_number(const char *s, bool *is_int)
{
	char *end;
	if (!*s)
		return false;
	errno = 0;
	(void)strtoll(s, &end, 10);
	if (!*end && errno == 0) {
		*is_int = true;
		return true;
	}
	double d = strtod(s, &end);
	*is_int = false;
	return !*end && isfinite(d) && strspn(s, "0123456789+-.eE") == strlen(s);
}

/* The YAML value n as JSON (plain scalars typed: null, true/false, numbers). NULL with
 * the error in c when a string holds an unknown placeholder. The caller decrefs. */
static json_t *yaml_to_json(struct sc_ctx *c, const struct yt_node *n, const char *path, int upto)
{
	if (n->kind == YT_SCALAR) {
		if (strlen(n->str) != n->len) {
			sc_fail(c, n, path, "a NUL byte is not allowed in a request body");
			return NULL;
		}
		if (n->is_plain) {
			bool is_int;
			if (yamltree_is_null(n))
				return json_null();
			if (!strcmp(n->str, "true") || !strcmp(n->str, "false"))
				return json_boolean(n->str[0] == 't');
			if (is_json_number(n->str, &is_int))
				return is_int ? json_integer(strtoll(n->str, NULL, 10))
					      : json_real(strtod(n->str, NULL));
		}
		if (check_placeholders(c, n, path, n->str, upto, false))
			return NULL;
		json_t *j = json_string(n->str);
		if (!j)
			sc_fail(c, n, path, "a request body string must be UTF-8 text");
		return j;
	}
	char sub[160];
	json_t *out = n->kind == YT_MAP ? json_object() : json_array();
	for (size_t i = 0; i < n->n_kids; i += n->kind == YT_MAP ? 2 : 1) {
		const struct yt_node *v = n->kind == YT_MAP ? n->kids[i + 1] : n->kids[i];
		if (n->kind == YT_MAP) {
			if (n->kids[i]->kind != YT_SCALAR) {
				sc_fail(c, n->kids[i], path, "a request body key must be a string");
				json_decref(out);
				return NULL;
			}
			sc_join_key(sub, sizeof(sub), path, n->kids[i]->str);
		} else {
			sc_join_index(sub, sizeof(sub), path, i);
		}
		json_t *jv = yaml_to_json(c, v, sub, upto);
		if (!jv) {
			json_decref(out);
			return NULL;
		}
		if (n->kind == YT_MAP ? json_object_set_new(out, n->kids[i]->str, jv)
				      : json_array_append_new(out, jv)) {
			sc_fail(c, v, sub, "cannot hold this value in JSON");
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int get_req_path(struct sc_ctx *c, const struct yt_node *v, const char *sub, int upto,
			bool is_delete, char **out)
{
	if (sc_get_str(c, v, sub, 2048, 0, out))
		return -1;
	if ((*out)[0] != '/' || strpbrk(*out, " \t\n#"))
		return sc_expect(c, v, sub, "a URL path after the service's endpoint, starting with '/' "
				 "and without spaces (e.g. /flavors/{id})");
	return check_placeholders(c, v, sub, *out, upto, is_delete);
}

static int parse_request(struct sc_ctx *c, const struct yt_node *n, const char *path,
			 struct sc_step *s, int index)
{
	static const char *const keys[] = { "name", "method", "service", "path", "body",
					    "microversion", "expect", "count", "concurrency", "rate",
					    "duration", "paginate", "id", "delete", "as", "find", "timeout",
					    NULL };
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", NULL };
	char sub[96];
	const struct yt_node *v;
	struct sc_request *r = &s->req;
	s->kind = SC_STEP_REQUEST;
	s->profile_index = -1;
	s->count = 1;
	s->concurrency = 1;
	s->timeout = 60;
	s->do_delete = true;
	static const char *const hint = " (e.g. request: {method: GET, service: compute, path: /flavors})";
	if (yamltree_is_null(n))
		return sc_missing(c, n, path, "method", hint);
	if (sc_check_map(c, n, path, keys, "a mapping like {method: GET, service: compute, path: "
			 "/servers/detail}"))
		return -1;
#define SUB(key) (sc_join_key(sub, sizeof(sub), path, key), sub)
	if (!(v = sc_map_get(n, "method")))
		return sc_missing(c, n, path, "method", hint);
	if (sc_get_choice(c, v, SUB("method"), methods, "GET, POST, PUT, PATCH, DELETE or HEAD",
			  &r->method))
		return -1;
	if (!(v = sc_map_get(n, "service")))
		return sc_missing(c, n, path, "service", " (a catalog type: compute, placement, image, "
				  "identity, network...)");
	if (sc_get_str(c, v, SUB("service"), 15, 0, &r->service))
		return -1;
	if (!sc_is_name(r->service, 15, "-_"))
		return sc_expect(c, v, sub, "a service catalog type like compute or placement (1-15 "
				 "characters from a-z 0-9 - _)");
	if (!(v = sc_map_get(n, "path")))
		return sc_missing(c, n, path, "path", " (e.g. path: /servers/detail)");
	if (get_req_path(c, v, SUB("path"), index, false, &r->path))
		return -1;
	if ((v = sc_map_opt(n, "body"))) {
		if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD") || !strcmp(r->method, "DELETE"))
			return sc_fail(c, v, SUB("body"), "a %s request has no body; remove it or use "
				       "POST, PUT or PATCH", r->method);
		json_t *j = yaml_to_json(c, v, SUB("body"), index);
		if (!j)
			return -1;
		r->body = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(j);
	}
	if ((v = sc_map_opt(n, "microversion"))) {
		if (sc_get_str(c, v, SUB("microversion"), 40, 0, &r->microversion))
			return -1;
		const char *num = strchr(r->microversion, ' ');
		num = num ? num + 1 : r->microversion;
		int ma, mi, len = 0;
		if ((sscanf(num, "%d.%d%n", &ma, &mi, &len) != 2 || num[len]) && strcmp(num, "latest"))
			return sc_expect(c, v, sub, "a microversion like '2.55', 'latest' or "
					 "'placement 1.10' (quote it: 2.10 unquoted is a number)");
	}
	if ((v = sc_map_opt(n, "expect")) && sc_get_int(c, v, SUB("expect"), 100, 599, &r->expect))
		return -1;
	bool has_count = false;
	if ((v = sc_map_opt(n, "count"))) {
		if (sc_get_int(c, v, SUB("count"), 1, 100000, &s->count))
			return -1;
		has_count = true;
	}
	if ((v = sc_map_opt(n, "concurrency")) &&
	    sc_get_int(c, v, SUB("concurrency"), 1, 1000, &s->concurrency))
		return -1;
	const struct yt_node *rv = sc_map_opt(n, "rate"), *dv = sc_map_opt(n, "duration");
	if (rv) {
		if (sc_get_number(c, rv, SUB("rate"), &r->rate))
			return -1;
		if (r->rate <= 0 || r->rate > 1000)
			return sc_expect(c, rv, sub, "requests per second, more than 0 and at most 1000");
		if (!dv && !has_count)
			return sc_missing(c, n, path, "duration", " (with rate: how long to keep it, e.g. "
					  "duration: 30s; or give count)");
	}
	if (dv) {
		if (!rv)
			return sc_fail(c, dv, SUB("duration"), "duration needs rate (requests per second)");
		if (has_count)
			return sc_fail(c, dv, SUB("duration"), "give count or duration with rate, not both");
		if (sc_get_duration(c, dv, sub, 86400, false, STEP_DURATION, &r->duration))
			return -1;
		double n_req = floor(r->rate * r->duration + 1e-9);
		if (n_req < 1 || n_req > 100000)
			return sc_fail(c, dv, sub, "rate x duration is %.0f requests; it must be 1..100000",
				       n_req);
		s->count = (int)n_req;
	}
	if (s->concurrency > s->count) {
		char what[64];
		snprintf(what, sizeof(what), "an integer 1..%d (at most count)", s->count);
		return sc_expect(c, sc_map_opt(n, "concurrency"), SUB("concurrency"), what);
	}
	if ((v = sc_map_opt(n, "paginate"))) {
		if (sc_get_bool(c, v, SUB("paginate"), &r->is_paged))
			return -1;
		if (r->is_paged && strcmp(r->method, "GET"))
			return sc_fail(c, v, sub, "only a GET can be paged");
	}
	if ((v = sc_map_opt(n, "timeout")) &&
	    sc_get_duration(c, v, SUB("timeout"), 3600, false, STEP_DURATION, &s->timeout))
		return -1;
	const struct yt_node *iv = sc_map_opt(n, "id"), *xv = sc_map_opt(n, "delete"),
			     *av = sc_map_opt(n, "as");
	if (iv) {
		if (sc_get_str(c, iv, SUB("id"), 128, 0, &r->id_field))
			return -1;
		if (!sc_is_dotted(r->id_field, r->id_field + strlen(r->id_field)))
			return sc_expect(c, iv, sub, "the dotted field of the new resource's id in the "
					 "answer, e.g. flavor.id");
		if (!xv)
			return sc_missing(c, n, path, "delete", " (how to delete what it creates, e.g. "
					  "delete: /flavors/{id}; everything a step creates is deleted)");
	}
	if (xv) {
		if (!iv)
			return sc_missing(c, n, path, "id", " (where the created resource's id is in the "
					  "answer, e.g. id: flavor.id)");
		if (get_req_path(c, xv, SUB("delete"), index, true, &r->delete_path))
			return -1;
		if (!strstr(r->delete_path, "{id}"))
			return sc_expect(c, xv, sub, "a path holding {id}, e.g. /flavors/{id}");
	}
	if ((v = sc_map_opt(n, "find"))) {
		if (!iv)
			return sc_fail(c, v, SUB("find"), "'find' looks up what a step creates; add 'id:' "
				       "and 'delete:'");
		if (get_req_path(c, v, SUB("find"), index, false, &r->find))
			return -1;
	}
	if (av) {
		if (!iv)
			return sc_fail(c, av, SUB("as"), "'as' names the ids a step creates; add 'id:' "
				       "and 'delete:'");
		if (sc_get_str(c, av, SUB("as"), 32, 0, &r->as))
			return -1;
		if (!sc_is_name(r->as, 32, "_") || !strcmp(r->as, "name") || !strcmp(r->as, "i") ||
		    !strcmp(r->as, "id") || !strcmp(r->as, "repeat"))
			return sc_expect(c, av, sub, "a name of 1-32 characters from A-Z a-z 0-9 _, not "
					 "name, i, id or repeat");
		for (int i = 0; i < index; i++)
			if (c->sc->steps[i].kind == SC_STEP_REQUEST && c->sc->steps[i].req.as &&
			    !strcmp(c->sc->steps[i].req.as, r->as))
				return sc_fail(c, av, sub, "'%s' is already the 'as' of workload[%d]",
					       r->as, i);
	}
	if ((v = sc_map_opt(n, "name"))) {
		if (sc_get_str(c, v, SUB("name"), 64, 0, &r->label))
			return -1;
	} else {
		struct strbuf l = STRBUF_INIT;
		sb_addf(&l, "%s %s", r->method, r->path);
		r->label = sb_detach(&l);
	}
#undef SUB
	return 0;
}

/* ---- the list ---- */

int scenario_parse_workload(struct sc_ctx *c, const struct yt_node *n)
{
	static const char *const kinds[] = { "create_servers", "wait_calls", "request", NULL };
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
		bool is_request = !strcmp(k->str, "request");
		if (!is_create && !is_wait && !is_request) {
			char got[256];
			const char *s2 = k->len <= 64 ? gb_suggest(k->str, kinds) : NULL;
			sc_describe(k, got, sizeof(got));
			if (s2)
				return sc_fail(c, k, path, "unknown step %s; did you mean '%s'?", got, s2);
			return sc_fail(c, k, path, "unknown step %s; v1 knows: create_servers, wait_calls, request", got);
		}
		sc_join_key(sub, sizeof(sub), path, k->str);
		if (is_create ? parse_create_servers(c, item->kids[1], sub, s)
		    : is_wait ? parse_wait_calls(c, item->kids[1], sub, s)
			      : parse_request(c, item->kids[1], sub, s, (int)i))
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

bool scenario_needs_api(const struct scenario *sc)
{
	for (size_t s = 0; s < sc->n_steps; s++)
		if (sc->steps[s].kind != SC_STEP_WAIT_CALLS)
			return true;
	return false;
}

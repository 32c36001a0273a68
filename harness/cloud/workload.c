/*
 * workload.c - create_servers: many server lives (POST -> poll ACTIVE/ERROR -> DELETE ->
 * poll 404) driven from one thread over osapi's multi handle. Never repeats a POST
 * whose outcome is unknown without first looking the server up by its unique name, and
 * never returns while a server it created could still be deleted.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/workload.h"

/* Where a server is in its life. */
enum phase {
	P_CREATE,  /* POST to send */
	P_LOOKUP,  /* POST outcome unknown: GET /servers?name= to send */
	P_WAIT,    /* poll until ACTIVE or ERROR */
	P_DELETE,  /* DELETE to send */
	P_GONE,    /* poll until 404 */
	P_DONE,
};

struct wl;

/* One server's moving parts (its record is rec). */
struct srv {
	struct wl *wl;
	struct workload_server *rec;
	enum phase phase;
	bool is_busy;             /* a request for it is in flight */
	bool is_launched;
	double next_at;           /* monotonic: not before this */
	double wait_deadline;     /* monotonic */
	double gone_deadline;     /* monotonic, set at the first DELETE */
	double delete_sent;       /* wall clock of the DELETE that was accepted */
	bool post_unknown;        /* a POST failed with unknown outcome */
	bool post_answered;       /* ... but the service answered (5xx): it is done with it */
	double unknown_deadline;  /* monotonic: until then "not found by name" is not "gone" */
	int n_poll_errors, n_delete_errors, n_lookups;
};

struct wl {
	struct osapi *api;
	const struct workload_hooks *hooks;
	struct srv *srv;
	size_t n;
	size_t next_launch, n_active;
	size_t first_live;        /* servers before this index are all done */
	int concurrency;
	bool is_stopping;
	bool has_wait;            /* wait for ACTIVE (else delete right after the create) */
	bool has_delete;
	double timeout, delete_timeout, poll;
	json_t *create;           /* {"server": {...}} without the name */
};

static const char *const outcome_names[] = { "not_started", "ok", "server_error", "timeout",
					     "api_error", "interrupted" };

const char *workload_outcome_name(enum workload_outcome o)
{
	return (size_t)o < GB_ARRAY_SIZE(outcome_names) ? outcome_names[o] : "unknown";
}

static void set_fault(struct workload_server *rec, const char *msg)
{
	free(rec->fault);
	rec->fault = msg ? gb_strdup(msg) : NULL;
}

/* The end of a request, wall clock. */
static double call_end(const struct osapi_call *c)
{
	return c->started + c->latency;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Percent-encode s for a query string. */
static void add_query_value(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch))
			sb_addch(sb, (char)ch);
		else
			sb_addf(sb, "%%%02X", ch);
	}
}

/* ---- state machine ---- */

static void go(struct srv *s, enum phase p, double delay)
{
	s->phase = p;
	s->next_at = gb_now() + delay;
}

static void finish_srv(struct srv *s)
{
	s->phase = P_DONE;
	if (s->is_launched)
		s->wl->n_active--;
	s->is_launched = false;
}

/* A server exists (id known): tell the caller before anything else. */
static void created(struct srv *s)
{
	struct wl *w = s->wl;
	if (w->hooks && w->hooks->on_server_created &&
	    w->hooks->on_server_created(w->hooks->ctx, s->rec->id, s->rec->name) != 0)
		w->is_stopping = true;
	s->wait_deadline = gb_now() + w->timeout;
	if (w->is_stopping) {
		s->rec->outcome = WL_INTERRUPTED;
		go(s, P_DELETE, 0);
	} else if (w->has_wait) {
		go(s, P_WAIT, w->poll);
	} else {
		s->rec->outcome = WL_OK;
		if (w->has_delete)
			go(s, P_DELETE, 0);
		else
			finish_srv(s);
	}
}

static void on_post(void *ctx, const struct osapi_result *res)
{
	struct srv *s = ctx;
	s->is_busy = false;
	snprintf(s->rec->create_request_id, sizeof(s->rec->create_request_id), "%s",
		 res->call->request_id);
	s->rec->started = res->call->started;
	s->rec->post_latency = res->call->latency;
	const char *id = res->failed ? NULL
		: json_string_value(json_object_get(json_object_get(res->json, "server"), "id"));
	if (id && *id && strlen(id) < sizeof(s->rec->id)) {
		snprintf(s->rec->id, sizeof(s->rec->id), "%s", id);
		s->post_unknown = false;
		created(s);
		return;
	}
	if (res->failed && !res->outcome_unknown) { /* refused: nothing was created */
		s->rec->outcome = WL_API_ERROR;
		s->rec->is_deleted = true;
		set_fault(s->rec, res->err.msg);
		finish_srv(s);
		return;
	}
	/* timeout, reset, 5xx, or a 2xx without an id: look before doing anything else */
	s->post_unknown = true;
	s->post_answered = res->status >= 500 || (res->status >= 200 && res->status < 300);
	s->unknown_deadline = gb_now() + s->wl->timeout;
	set_fault(s->rec, res->failed ? res->err.msg : "POST /servers answered without a server id");
	go(s, P_LOOKUP, s->wl->poll);
}

static void on_lookup(void *ctx, const struct osapi_result *res)
{
	struct srv *s = ctx;
	struct wl *w = s->wl;
	s->is_busy = false;
	if (res->failed) {
		if (++s->n_lookups < 5) {
			go(s, P_LOOKUP, 1.0);
			return;
		}
		struct strbuf m = STRBUF_INIT;
		sb_addf(&m, "create outcome unknown and the lookup by name failed (%s); a server "
			"named %s may exist", res->err.msg, s->rec->name);
		set_fault(s->rec, m.buf);
		sb_release(&m);
		s->rec->outcome = WL_API_ERROR;
		finish_srv(s); /* is_deleted stays false: counted as possibly leaked */
		return;
	}
	json_t *list = json_object_get(res->json, "servers"), *e;
	size_t i;
	json_array_foreach(list, i, e) {
		const char *nm = json_string_value(json_object_get(e, "name"));
		const char *id = json_string_value(json_object_get(e, "id"));
		if (nm && id && !strcmp(nm, s->rec->name) && strlen(id) < sizeof(s->rec->id)) {
			snprintf(s->rec->id, sizeof(s->rec->id), "%s", id);
			set_fault(s->rec, NULL);
			s->post_unknown = false;
			created(s);
			return;
		}
	}
	/* Not there. If the service answered it is done with the POST: one more try is safe.
	 * After a timeout it may still be working on it: do not POST again (a last lookup at
	 * the end of the step catches a late server). */
	if (s->post_answered && s->rec->n_posts < 2 && !w->is_stopping) {
		go(s, P_CREATE, 0);
		return;
	}
	if (s->post_answered) { /* the service finished the POST and made nothing */
		s->post_unknown = false;
		s->rec->is_deleted = true;
	}
	s->rec->outcome = WL_API_ERROR;
	finish_srv(s);
}

static void on_poll(void *ctx, const struct osapi_result *res)
{
	struct srv *s = ctx;
	struct wl *w = s->wl;
	s->is_busy = false;
	if (res->status == 404) {
		s->rec->outcome = WL_API_ERROR;
		s->rec->is_deleted = true;
		set_fault(s->rec, "the server disappeared (404) before it was deleted");
		finish_srv(s);
		return;
	}
	if (res->failed) {
		if (++s->n_poll_errors > 5) {
			s->rec->outcome = WL_API_ERROR;
			set_fault(s->rec, res->err.msg);
			go(s, P_DELETE, 0);
		} else {
			go(s, P_WAIT, w->poll);
		}
		return;
	}
	s->n_poll_errors = 0;
	json_t *srv = json_object_get(res->json, "server");
	const char *st = json_string_value(json_object_get(srv, "status"));
	snprintf(s->rec->status, sizeof(s->rec->status), "%s", st ? st : "?");
	if (st && (!strcmp(st, "ACTIVE") || !strcmp(st, "ERROR"))) {
		s->rec->time_to_active = call_end(res->call) - s->rec->started;
		if (!strcmp(st, "ERROR")) {
			const char *m = json_string_value(
				json_object_get(json_object_get(srv, "fault"), "message"));
			s->rec->outcome = WL_SERVER_ERROR;
			set_fault(s->rec, m ? m : "status ERROR without a fault message");
		} else {
			s->rec->outcome = WL_OK;
		}
		if (w->has_delete || s->rec->outcome != WL_OK)
			go(s, P_DELETE, 0);
		else
			finish_srv(s);
		return;
	}
	go(s, P_WAIT, w->poll);
}

static void on_delete(void *ctx, const struct osapi_result *res)
{
	struct srv *s = ctx;
	s->is_busy = false;
	if (res->failed && res->status != 404) {
		if (++s->n_delete_errors < 4) {
			go(s, P_DELETE, 1.0 * s->n_delete_errors);
			return;
		}
		set_fault(s->rec, res->err.msg);
		finish_srv(s); /* leaked: is_deleted false */
		return;
	}
	if (!s->delete_sent)
		s->delete_sent = res->call->started;
	go(s, P_GONE, res->status == 404 ? 0 : s->wl->poll);
}

static void on_gone(void *ctx, const struct osapi_result *res)
{
	struct srv *s = ctx;
	struct wl *w = s->wl;
	s->is_busy = false;
	if (res->status == 404) {
		s->rec->is_deleted = true;
		s->rec->time_to_deleted = call_end(res->call) - s->delete_sent;
		if (w->hooks && w->hooks->on_server_deleted)
			w->hooks->on_server_deleted(w->hooks->ctx, s->rec->id, s->rec->name);
		finish_srv(s);
		return;
	}
	go(s, P_GONE, w->poll); /* rec->status keeps the status the wait ended with */
}

/* Send what s needs next. */
static void act(struct srv *s)
{
	struct wl *w = s->wl;
	struct gb_err e = { 0 };
	struct strbuf path = STRBUF_INIT;
	double now = gb_now();
	int rc = 0;
	switch (s->phase) {
	case P_CREATE: {
		if (w->is_stopping) {
			s->rec->outcome = WL_INTERRUPTED;
			s->rec->is_deleted = true;
			finish_srv(s);
			break;
		}
		if (w->hooks && w->hooks->on_server_requested &&
		    w->hooks->on_server_requested(w->hooks->ctx, s->rec->name) != 0) {
			w->is_stopping = true;
			s->rec->outcome = WL_INTERRUPTED;
			s->rec->is_deleted = true;
			finish_srv(s);
			break;
		}
		json_t *body = json_deep_copy(w->create);
		json_object_set_new(json_object_get(body, "server"), "name", json_string(s->rec->name));
		s->rec->n_posts++;
		s->rec->is_deleted = false; /* from now on it may exist */
		rc = osapi_submit(w->api, "POST", "compute", "/servers", body, on_post, s, &e);
		json_decref(body);
		break;
	}
	case P_LOOKUP:
		sb_addstr(&path, "/servers?name=");
		struct strbuf rx = STRBUF_INIT;
		sb_addf(&rx, "^%s$", s->rec->name); /* names are [A-Za-z0-9_.-]: '.' is harmless */
		add_query_value(&path, rx.buf);
		sb_release(&rx);
		rc = osapi_submit(w->api, "GET", "compute", path.buf, NULL, on_lookup, s, &e);
		break;
	case P_WAIT:
		if (w->is_stopping || now > s->wait_deadline) {
			if (w->is_stopping) {
				s->rec->outcome = WL_INTERRUPTED;
			} else {
				s->rec->outcome = WL_TIMEOUT;
				struct strbuf m = STRBUF_INIT;
				sb_addf(&m, "not ACTIVE after %.3g s (last status %s)", w->timeout,
					s->rec->status[0] ? s->rec->status : "unknown");
				set_fault(s->rec, m.buf);
				sb_release(&m);
			}
			go(s, P_DELETE, 0);
			act(s);
			break;
		}
		sb_addf(&path, "/servers/%s", s->rec->id);
		rc = osapi_submit(w->api, "GET", "compute", path.buf, NULL, on_poll, s, &e);
		break;
	case P_DELETE:
		if (!s->gone_deadline)
			s->gone_deadline = now + w->delete_timeout;
		sb_addf(&path, "/servers/%s", s->rec->id);
		rc = osapi_submit(w->api, "DELETE", "compute", path.buf, NULL, on_delete, s, &e);
		break;
	case P_GONE:
		if (now > s->gone_deadline) {
			struct strbuf m = STRBUF_INIT;
			sb_addf(&m, "still present %.3g s after DELETE", w->delete_timeout);
			set_fault(s->rec, m.buf);
			sb_release(&m);
			finish_srv(s);
			break;
		}
		sb_addf(&path, "/servers/%s", s->rec->id);
		rc = osapi_submit(w->api, "GET", "compute", path.buf, NULL, on_gone, s, &e);
		break;
	case P_DONE:
		break;
	}
	sb_release(&path);
	if (rc < 0) { /* cannot even queue: give up on this server, keep what we know */
		set_fault(s->rec, e.msg);
		if (s->rec->outcome == WL_NOT_STARTED)
			s->rec->outcome = WL_API_ERROR;
		finish_srv(s);
	} else if (s->phase != P_DONE) {
		s->is_busy = true;
	}
}

/* Drive every server until all are done. */
static void drive(struct wl *w)
{
	for (;;) {
		if (!w->is_stopping && w->hooks && w->hooks->interrupted && *w->hooks->interrupted)
			w->is_stopping = true;
		while (!w->is_stopping && w->n_active < (size_t)w->concurrency &&
		       w->next_launch < w->n) {
			struct srv *s = &w->srv[w->next_launch++];
			s->is_launched = true;
			w->n_active++;
			go(s, P_CREATE, 0);
		}
		double now = gb_now(), next = now + 0.25;
		bool any = false;
		while (w->first_live < w->next_launch && w->srv[w->first_live].phase == P_DONE)
			w->first_live++;
		for (size_t i = w->first_live; i < w->next_launch; i++) {
			struct srv *s = &w->srv[i];
			if (s->phase == P_DONE || !s->is_launched)
				continue;
			any = true;
			if (s->is_busy)
				continue;
			if (s->next_at <= now)
				act(s);
			else if (s->next_at < next)
				next = s->next_at;
		}
		if (!any && (w->is_stopping || w->next_launch >= w->n))
			return;
		double wait = next - gb_now();
		osapi_run(w->api, wait > 0 ? wait : 0);
	}
}

/* ---- resolution of image, flavor, network ---- */

static int resolve_image(struct osapi *api, const struct sc_step *st, char *id, size_t idsz,
			 struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT;
	json_t *j = NULL;
	int status = 0, rc;
	if (is_uuid(st->image)) {
		sb_addf(&path, "/v2/images/%s", st->image);
		rc = osapi_request(api, "GET", "image", path.buf, NULL, &j, &status, err);
		sb_release(&path);
		json_decref(j);
		if (rc == 0) {
			snprintf(id, idsz, "%s", st->image);
			return 0;
		}
		if (status != 404)
			return -1;
		sb_reset(&path);
	}
	sb_addstr(&path, "/v2/images?name=");
	add_query_value(&path, st->image);
	rc = osapi_request(api, "GET", "image", path.buf, NULL, &j, NULL, err);
	sb_release(&path);
	if (rc < 0)
		return -1;
	json_t *list = json_object_get(j, "images");
	size_t n = json_array_size(list);
	const char *found = n ? json_string_value(json_object_get(json_array_get(list, 0), "id")) : NULL;
	if (n == 1 && found)
		snprintf(id, idsz, "%s", found);
	json_decref(j);
	if (n == 0)
		return gb_errf(err, GB_EXIT_USAGE, "create_servers (line %d): image '%s' not found "
			       "in glance; upload it or give an existing name or id", st->line, st->image);
	if (n > 1 || !found)
		return gb_errf(err, GB_EXIT_USAGE, "create_servers (line %d): %zu images are named "
			       "'%s'; give the image's id instead", st->line, n, st->image);
	return 0;
}

static int resolve_flavor(struct osapi *api, const struct sc_step *st, char *id, size_t idsz,
			  struct gb_err *err)
{
	json_t *j = NULL;
	if (osapi_request(api, "GET", "compute", "/flavors/detail", NULL, &j, NULL, err) < 0)
		return -1;
	json_t *list = json_object_get(j, "flavors"), *f;
	size_t i, n = json_array_size(list), n_named = 0;
	const char **names = gb_calloc(n + 1, sizeof(*names));
	const char *by_name = NULL, *by_id = NULL;
	json_array_foreach(list, i, f) {
		const char *fid = json_string_value(json_object_get(f, "id"));
		const char *nm = json_string_value(json_object_get(f, "name"));
		if (fid && !strcmp(fid, st->flavor))
			by_id = fid;
		if (nm && !strcmp(nm, st->flavor)) {
			by_name = fid;
			n_named++;
		}
		names[i] = nm ? nm : "";
	}
	const char *use = by_id ? by_id : by_name;
	int rc = 0;
	if (use) {
		snprintf(id, idsz, "%s", use);
		if (!by_id && n_named > 1)
			rc = gb_errf(err, GB_EXIT_USAGE, "create_servers (line %d): %zu flavors are "
				     "named '%s'; give the flavor's id", st->line, n_named, st->flavor);
	} else {
		const char *sugg = gb_suggest(st->flavor, names);
		rc = gb_errf(err, GB_EXIT_USAGE, "create_servers (line %d): flavor '%s' not found%s%s%s",
			     st->line, st->flavor, sugg ? "; did you mean '" : "", sugg ? sugg : "",
			     sugg ? "'?" : "; list them with `openstack flavor list`");
	}
	free(names);
	json_decref(j);
	return rc;
}

/* "none" / "auto" as strings, a uuid or a neutron network name as [{"uuid": ..}]. */
static int resolve_networks(struct osapi *api, const struct sc_step *st, json_t **out,
			    struct gb_err *err)
{
	const char *n = st->networks ? st->networks : "none";
	if (!strcmp(n, "none") || !strcmp(n, "auto")) {
		*out = json_string(n);
		return 0;
	}
	if (is_uuid(n)) {
		*out = json_pack("[{s:s}]", "uuid", n);
		return 0;
	}
	struct strbuf path = STRBUF_INIT;
	sb_addstr(&path, "/v2.0/networks?name=");
	add_query_value(&path, n);
	json_t *j = NULL;
	int rc = osapi_request(api, "GET", "network", path.buf, NULL, &j, NULL, err);
	sb_release(&path);
	if (rc < 0)
		return -1;
	json_t *list = json_object_get(j, "networks");
	const char *id = json_string_value(json_object_get(json_array_get(list, 0), "id"));
	if (json_array_size(list) != 1 || !id) {
		rc = gb_errf(err, GB_EXIT_USAGE, "create_servers (line %d): %s network named '%s'; "
			     "give its id, or networks: none", st->line,
			     json_array_size(list) ? "more than one" : "no", n);
	} else {
		*out = json_pack("[{s:s}]", "uuid", id);
	}
	json_decref(j);
	return rc;
}

/* ---- public ---- */

void workload_result_free(struct workload_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_servers; i++)
		free(res->servers[i].fault);
	free(res->servers);
	osapi_calls_free(res->calls, res->n_calls);
	memset(res, 0, sizeof(*res));
}

static void pause_for(double seconds)
{
	if (seconds <= 0)
		return;
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * Servers whose create outcome stayed unknown (a POST that timed out or was cut): look them
 * up by name until each is found (then delete it and wait for the 404) or until its
 * deadline (the step's timeout after the POST failed) has passed. Before the deadline
 * "not found" only means nova has not made it yet, never that it is gone.
 */
static void sweep_unknown(struct wl *w)
{
	for (;;) {
		bool is_pending = false, has_found = false;
		for (size_t i = 0; i < w->n; i++) {
			struct srv *s = &w->srv[i];
			if (!s->post_unknown || s->rec->id[0])
				continue;
			bool is_late = gb_now() > s->unknown_deadline;
			struct gb_err e = { 0 };
			char id[64];
			if (osapi_find_server(w->api, s->rec->name, id, sizeof(id), &e) < 0) {
				if (is_late) { /* stays is_deleted = false: reported as possibly leaked */
					s->post_unknown = false;
					set_fault(s->rec, e.msg);
				}
				is_pending |= !is_late;
				continue;
			}
			if (!id[0]) {
				if (!is_late) {
					is_pending = true;
					continue;
				}
				struct strbuf m = STRBUF_INIT;
				sb_addf(&m, "create outcome unknown and no server named %s appeared within "
					"%.3g s; taken as never created", s->rec->name, w->timeout);
				set_fault(s->rec, m.buf);
				sb_release(&m);
				s->post_unknown = false;
				s->rec->is_deleted = true;
				continue;
			}
			snprintf(s->rec->id, sizeof(s->rec->id), "%s", id);
			s->post_unknown = false;
			if (w->hooks && w->hooks->on_server_created)
				w->hooks->on_server_created(w->hooks->ctx, id, s->rec->name);
			s->is_launched = true;
			w->n_active++;
			s->gone_deadline = 0;
			go(s, P_DELETE, 0);
			has_found = true;
		}
		if (has_found) {
			w->first_live = 0;
			drive(w);
		}
		if (!is_pending)
			return;
		pause_for(w->poll);
	}
}

int workload_create_servers(struct osapi *api, const struct sc_step *step, int repeat_index,
			    const struct workload_hooks *hooks, struct workload_result *out,
			    struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->started = gb_wall();
	int count = step->count > 0 ? step->count : 1;
	out->n_servers = (size_t)count;
	out->servers = gb_calloc(out->n_servers, sizeof(*out->servers));
	unsigned char rnd[4];
	if (osapi_random(api, rnd, sizeof(rnd), err) < 0)
		goto fail;
	const char *prefix = step->name_prefix && *step->name_prefix ? step->name_prefix : "greenbench";
	for (int i = 0; i < count; i++) {
		struct workload_server *r = &out->servers[i];
		snprintf(r->name, sizeof(r->name), "%.60s-%02x%02x%02x%02x-r%d-%d", prefix, rnd[0],
			 rnd[1], rnd[2], rnd[3], repeat_index, i);
		r->repeat_index = repeat_index;
		r->index = i;
		r->started = r->post_latency = r->time_to_active = r->time_to_deleted = -1;
		r->is_deleted = true; /* nothing exists until a POST is sent */
	}
	char image[64] = "", flavor[64] = "";
	json_t *nets = NULL;
	if (resolve_image(api, step, image, sizeof(image), err) < 0 ||
	    resolve_flavor(api, step, flavor, sizeof(flavor), err) < 0 ||
	    resolve_networks(api, step, &nets, err) < 0)
		goto fail;
	struct wl w = {
		.api = api, .hooks = hooks, .n = out->n_servers,
		.concurrency = step->concurrency > 0 ? step->concurrency : 1,
		.has_wait = !step->wait || strcmp(step->wait, "none") != 0,
		.has_delete = step->do_delete,
		.timeout = step->timeout > 0 ? step->timeout : 120,
		.delete_timeout = step->delete_timeout > 0 ? step->delete_timeout : 120,
		.poll = hooks && hooks->poll_interval > 0 ? hooks->poll_interval : WORKLOAD_POLL_INTERVAL,
	};
	w.create = json_pack("{s:{s:s,s:s,s:o}}", "server", "imageRef", image, "flavorRef", flavor,
			     "networks", nets);
	w.srv = gb_calloc(w.n, sizeof(*w.srv));
	for (size_t i = 0; i < w.n; i++) {
		w.srv[i].wl = &w;
		w.srv[i].rec = &out->servers[i];
	}
	drive(&w);
	sweep_unknown(&w);
	for (size_t i = 0; i < w.n; i++) {
		struct workload_server *r = w.srv[i].rec;
		if (r->outcome == WL_OK)
			out->n_ok++;
		else if (r->outcome != WL_NOT_STARTED)
			out->n_failed++;
		if (!r->is_deleted && (step->do_delete || r->outcome != WL_OK))
			out->n_leaked++;
	}
	out->was_interrupted = w.is_stopping;
	json_decref(w.create);
	free(w.srv);
	out->n_calls = osapi_take_calls(api, &out->calls);
	out->finished = gb_wall();
	if (out->n_leaked) {
		struct strbuf m = STRBUF_INIT;
		for (size_t i = 0; i < out->n_servers && m.len < 600; i++) {
			struct workload_server *r = &out->servers[i];
			if (!r->is_deleted && (step->do_delete || r->outcome != WL_OK))
				sb_addf(&m, "%s%s", m.len ? ", " : "", r->id[0] ? r->id : r->name);
		}
		gb_errf(err, GB_EXIT_ENV, "%zu server(s) may still exist: %s; delete them "
			"(greenbench restore retries) before the next run", out->n_leaked, m.buf);
		sb_release(&m);
		return -1;
	}
	if (out->was_interrupted)
		return gb_errf(err, GB_EXIT_INTERRUPTED, "create_servers (line %d) stopped early; "
			       "every server it created was deleted", step->line);
	return 0;
fail:
	out->n_calls = osapi_take_calls(api, &out->calls);
	out->finished = gb_wall();
	return -1;
}

int workload_cleanup_servers(struct osapi *api, const char *const *ids, size_t n,
			     double timeout, struct gb_err *err)
{
	if (!n)
		return 0;
	struct workload_server *recs = gb_calloc(n, sizeof(*recs));
	struct wl w = { .api = api, .n = n, .concurrency = (int)n, .has_delete = true,
			.timeout = timeout, .delete_timeout = timeout > 0 ? timeout : 120,
			.poll = WORKLOAD_POLL_INTERVAL };
	w.srv = gb_calloc(n, sizeof(*w.srv));
	for (size_t i = 0; i < n; i++) {
		struct srv *s = &w.srv[i];
		s->wl = &w;
		s->rec = &recs[i];
		snprintf(recs[i].name, sizeof(recs[i].name), "%s", ids[i]);
		s->phase = P_DONE;
		if (is_uuid(ids[i])) {
			snprintf(recs[i].id, sizeof(recs[i].id), "%s", ids[i]);
		} else { /* a name journaled before its POST: find what it became */
			struct gb_err e = { 0 };
			if (osapi_find_server(api, ids[i], recs[i].id, sizeof(recs[i].id), &e) < 0) {
				set_fault(&recs[i], e.msg);
				continue;
			}
			if (!recs[i].id[0]) {
				recs[i].is_deleted = true; /* never created */
				continue;
			}
		}
		s->is_launched = true;
		w.n_active++;
		go(s, P_DELETE, 0);
	}
	w.next_launch = n;
	drive(&w);
	struct strbuf m = STRBUF_INIT;
	size_t left = 0;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].is_deleted)
			continue;
		left++;
		if (m.len < 600)
			sb_addf(&m, "%s%s%s%s", m.len ? "; " : "", recs[i].name,
				recs[i].fault ? ": " : "", recs[i].fault ? recs[i].fault : "");
	}
	for (size_t i = 0; i < n; i++)
		free(recs[i].fault);
	free(recs);
	free(w.srv);
	int rc = 0;
	if (left)
		rc = gb_errf(err, GB_EXIT_ENV, "%zu of %zu server(s) not deleted: %s", left, n, m.buf);
	sb_release(&m);
	return rc;
}

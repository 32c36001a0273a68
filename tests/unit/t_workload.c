/* t_workload.c - create_servers against tests/fakecloud: the normal life of servers,
 * name/id resolution, ERROR with nova's fault, timeouts, POSTs with unknown outcome (no
 * duplicate create), interrupts, delete failures and cleanup by id; no server is ever
 * left in the fake cloud. */
#include <regex.h>

#include "cloud/workload.h"
#include "lib/tap.h"
#include "fakecloud/fc.h"

static struct fc fc;

/* What the hooks saw. */
struct seen {
	int n_requested, n_created, n_deleted, live, max_live;
	int stop_after;                /* set *interrupt after this many creates (0: never) */
	volatile sig_atomic_t interrupt;
	char ids[32][64];
};

static int h_requested(void *ctx, const char *name)
{
	((struct seen *)ctx)->n_requested++;
	return 0;
}

static int h_created(void *ctx, const char *id, const char *name)
{
	struct seen *s = ctx;
	if (s->n_created < 32)
		snprintf(s->ids[s->n_created], 64, "%s", id);
	s->n_created++;
	if (++s->live > s->max_live)
		s->max_live = s->live;
	if (s->stop_after && s->n_created >= s->stop_after)
		s->interrupt = 1;
	return 0;
}

static int h_created_fails(void *ctx, const char *id, const char *name)
{
	h_created(ctx, id, name);
	return -1;
}

static void h_deleted(void *ctx, const char *id, const char *name)
{
	struct seen *s = ctx;
	s->n_deleted++;
	s->live--;
}

static struct workload_hooks hooks_for(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return (struct workload_hooks){ .ctx = s, .on_server_requested = h_requested,
					.on_server_created = h_created, .on_server_deleted = h_deleted,
					.interrupted = &s->interrupt, .poll_interval = 0.05 };
}

static struct sc_step step_for(int count, int conc)
{
	return (struct sc_step){ .kind = SC_STEP_CREATE_SERVERS, .line = 7, .count = count,
				 .concurrency = conc, .image = "cirros", .flavor = "c1",
				 .networks = "none", .wait = "ACTIVE", .timeout = 10,
				 .do_delete = true, .delete_timeout = 10, .name_prefix = "gbtest" };
}

static struct osapi *new_api(void)
{
	struct os_creds c;
	struct gb_err err = { 0 };
	fc_creds(&fc, &c, NULL);
	struct osapi *api = osapi_new(&c, &err);
	os_creds_free(&c);
	osapi_options(api)->timeout = 5;
	return api;
}

static bool matches(const char *s, const char *re)
{
	regex_t rx;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		return false;
	bool m = s && regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* POSTs to /servers the fake cloud received, from its request log. */
static int n_posts_seen(void)
{
	json_t *st = fc_control(&fc, "GET", "/_control/state", NULL), *e;
	size_t i;
	int n = 0;
	json_array_foreach(json_object_get(st, "log"), i, e)
		n += !strcmp(json_string_value(json_object_get(e, "method")), "POST") &&
		     strstr(json_string_value(json_object_get(e, "path")), "/compute/v2.1/servers");
	json_decref(st);
	return n;
}

/* The connection numbers of the first n logged requests of method to a path containing
 * path, into conn (0 where fewer were logged); returns how many were found. */
static int n_logged_conns(const char *method, const char *path, int *conn, int n)
{
	json_t *st = fc_control(&fc, "GET", "/_control/state", NULL), *e;
	size_t i;
	int k = 0;
	memset(conn, 0, (size_t)n * sizeof(*conn));
	json_array_foreach(json_object_get(st, "log"), i, e) {
		if (k < n && !strcmp(json_string_value(json_object_get(e, "method")), method) &&
		    strstr(json_string_value(json_object_get(e, "path")), path))
			conn[k++] = (int)json_integer_value(json_object_get(e, "conn"));
	}
	json_decref(st);
	return k;
}

static void test_normal(void)
{
	struct seen s;
	struct workload_hooks h = hooks_for(&s);
	struct sc_step st = step_for(6, 2);
	struct workload_result r;
	struct gb_err err = { 0 };
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.15, \"delete_time\": 0.1}");
	struct osapi *api = new_api();
	int rc = workload_create_servers(api, &st, 3, &h, &r, &err);
	ok(rc == 0, "normal: 6 servers, concurrency 2: success (%s)", err.msg);
	is_int(r.n_servers, 6, "normal: 6 records");
	is_int(r.n_ok, 6, "normal: all 6 ok");
	is_int(r.n_failed + r.n_leaked, 0, "normal: none failed or leaked");
	is_int(s.n_requested, 6, "normal: on_server_requested before each POST");
	is_int(s.n_created, 6, "normal: on_server_created for each server");
	is_int(s.n_deleted, 6, "normal: on_server_deleted for each server");
	ok(s.max_live <= 2 && s.max_live >= 2, "normal: concurrency 2 kept (max %d alive)", s.max_live);
	bool all = true, names = true, times = true, ids = true;
	for (size_t i = 0; i < r.n_servers; i++) {
		struct workload_server *v = &r.servers[i];
		all &= v->outcome == WL_OK && v->is_deleted && v->n_posts == 1 && !v->fault &&
		       !strcmp(v->status, "ACTIVE");
		names &= matches(v->name, "^gbtest-[0-9a-f]{8}-r3-[0-9]$") && v->repeat_index == 3 &&
			 v->index == (int)i;
		times &= v->post_latency > 0 && v->time_to_active >= 0.14 &&
			 v->time_to_active > v->post_latency && v->time_to_deleted >= 0.09 &&
			 v->started > 1e9;
		ids &= matches(v->create_request_id, "^req-[0-9a-f-]{36}$");
	}
	ok(all, "normal: every server ACTIVE, deleted, one POST, no fault");
	ok(names, "normal: unique names <prefix>-<hex>-r<repeat>-<index>");
	ok(times, "normal: POST latency, time to ACTIVE (>= build time) and to deleted recorded");
	ok(ids, "normal: each server keeps its create request id");
	/* the POST's request id is the one the cloud saw on that POST */
	json_t *state = fc_control(&fc, "GET", "/_control/state", NULL), *e;
	size_t i, n_match = 0;
	json_array_foreach(json_object_get(state, "log"), i, e) {
		const char *rid = json_string_value(json_object_get(e, "request_id"));
		for (size_t k = 0; k < r.n_servers; k++)
			n_match += !strcmp(json_string_value(json_object_get(e, "method")), "POST") &&
				   rid && !strcmp(rid, r.servers[k].create_request_id);
	}
	json_decref(state);
	is_int(n_match, 6, "normal: create_request_id is the X-OpenStack-Request-ID sent on the POST");
	size_t n_posts = 0;
	for (i = 0; i < r.n_calls; i++)
		n_posts += !strcmp(r.calls[i].method, "POST") && !strcmp(r.calls[i].service, "compute");
	ok(r.n_calls > 20 && n_posts == 6, "normal: every request recorded (%zu calls, %zu POSTs)",
	   r.n_calls, n_posts);
	is_int(fc_state_int(&fc, "servers"), 0, "normal: no server left in the cloud");
	workload_result_free(&r);
	osapi_free(api);
}

static void test_resolution(void)
{
	struct seen s;
	struct workload_hooks h = hooks_for(&s);
	struct workload_result r;
	struct gb_err err = { 0 };
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	struct osapi *api = new_api();
	struct sc_step st = step_for(1, 1);
	st.image = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
	st.flavor = "42";
	st.networks = "auto";
	ok(workload_create_servers(api, &st, 0, &h, &r, &err) == 0 && r.n_ok == 1,
	   "resolve: image by id, flavor by id, networks auto (%s)", err.msg);
	workload_result_free(&r);
	st = step_for(1, 1);
	st.flavor = "m1.nano";
	st.networks = "private";
	ok(workload_create_servers(api, &st, 0, &h, &r, &err) == 0 && r.n_ok == 1,
	   "resolve: flavor by name, network by neutron name (%s)", err.msg);
	workload_result_free(&r);
	st.networks = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
	ok(workload_create_servers(api, &st, 0, &h, &r, &err) == 0 && r.n_ok == 1,
	   "resolve: network uuid becomes [{uuid}] (%s)", err.msg);
	workload_result_free(&r);
	st = step_for(1, 1);
	st.image = "ubuntu";
	ok(workload_create_servers(api, &st, 0, &h, &r, &err) < 0 &&
	   strstr(err.msg, "line 7") && strstr(err.msg, "image 'ubuntu' not found"),
	   "resolve: unknown image: %s", err.msg);
	workload_result_free(&r);
	st = step_for(1, 1);
	st.flavor = "c2";
	ok(workload_create_servers(api, &st, 0, &h, &r, &err) < 0 &&
	   strstr(err.msg, "flavor 'c2' not found; did you mean 'c1'?"),
	   "resolve: unknown flavor gets a did-you-mean: %s", err.msg);
	workload_result_free(&r);
	is_int(n_posts_seen(), 3, "resolve: failed resolution sends no POST");
	is_int(fc_state_int(&fc, "servers"), 0, "resolve: no server left");
	osapi_free(api);
}

static void test_error_and_timeout(void)
{
	struct seen s;
	struct workload_hooks h = hooks_for(&s);
	struct workload_result r;
	struct gb_err err = { 0 };
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05, \"error_name\": \"-r0-1$\", "
		       "\"fault_message\": \"No valid host was found.\"}");
	struct osapi *api = new_api();
	struct sc_step st = step_for(3, 3);
	int rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_ok == 2 && r.n_failed == 1, "ERROR: one of 3 failed, the call succeeds");
	struct workload_server *v = &r.servers[1];
	ok(v->outcome == WL_SERVER_ERROR && !strcmp(v->status, "ERROR") && v->fault &&
	   !strcmp(v->fault, "No valid host was found.") && v->time_to_active > 0,
	   "ERROR: outcome server_error with nova's fault message (%s)", v->fault ? v->fault : "");
	ok(v->is_deleted && r.n_leaked == 0, "ERROR: the ERROR server was deleted too");
	is_str(workload_outcome_name(v->outcome), "server_error", "ERROR: outcome name");
	workload_result_free(&r);

	fc_config(&fc, "{\"build_time\": 30, \"error_name\": null}");
	st = step_for(2, 2);
	st.timeout = 0.3;
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_failed == 2 && r.servers[0].outcome == WL_TIMEOUT &&
	   strstr(r.servers[0].fault, "not ACTIVE after 0.3 s (last status BUILD)"),
	   "timeout: BUILD past the timeout is a timeout: %s", r.servers[0].fault ? r.servers[0].fault : "");
	ok(r.servers[0].is_deleted && r.servers[1].is_deleted && r.n_leaked == 0,
	   "timeout: timed-out servers deleted");
	workload_result_free(&r);
	is_int(fc_state_int(&fc, "servers"), 0, "ERROR/timeout: no server left");
	osapi_free(api);
}

static void test_unknown_outcome(void)
{
	struct seen s;
	struct workload_hooks h = hooks_for(&s);
	struct workload_result r;
	struct gb_err err = { 0 };
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	struct osapi *api = new_api();
	osapi_options(api)->timeout = 0.5;
	struct sc_step st = step_for(1, 1);

	/* the cloud creates the server but answers too late: the lookup finds it */
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"delay_after\", \"delay\": 1.2}");
	int rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_ok == 1 && r.servers[0].id[0], "POST answered late: lookup by name found the server (%s)", err.msg);
	is_int(n_posts_seen(), 1, "POST answered late: no second POST");
	is_int(r.servers[0].n_posts, 1, "POST answered late: record says one POST");
	ok(s.n_created == 1 && !strcmp(s.ids[0], r.servers[0].id), "POST timeout: on_server_created got the found id");
	size_t n_lookups = 0;
	for (size_t i = 0; i < r.n_calls; i++)
		n_lookups += strstr(r.calls[i].path, "/servers?name=%5Egbtest-") != NULL;
	ok(n_lookups >= 1, "POST timeout: a GET /servers?name=^<name>$ was made");
	ok(r.servers[0].is_deleted, "POST timeout: the found server was deleted");
	workload_result_free(&r);

	/* the cloud stalls before creating: the first lookups find nothing, and the POST that
	 * timed out must not be sent again (nova is still working on it) */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"delay\", \"delay\": 1.2}");
	hooks_for(&s);
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	is_int(n_posts_seen(), 1, "POST timeout, server not there yet: no second POST");
	is_int(r.servers[0].n_posts, 1, "POST timeout, server not there yet: record says one POST");
	is_int(fc_state_int(&fc, "n_server_posts"), 1, "POST timeout, server not there yet: one server created");
	ok(rc == 0 && r.n_leaked == 0 && r.servers[0].is_deleted && r.servers[0].id[0] &&
		   s.n_created == 1 && s.n_deleted == 1,
	   "POST timeout, server not there yet: it is found later, deleted and reported (%s)", err.msg);
	workload_result_free(&r);
	is_int(fc_state_int(&fc, "servers"), 0, "POST timeout, server not there yet: no server left");

	/* the leak: the cloud makes the server only after the end-of-step sweep has looked
	 * once; "not found" then is not "gone", the sweep keeps looking until its deadline */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"delay\", \"delay\": 2.5}");
	hooks_for(&s);
	st.timeout = 6; /* the deadline for the server to appear */
	double t0 = gb_now();
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	double took = gb_now() - t0;
	/* wait (bounded) until the fake cloud has handled the stalled POST, so that a server
	 * made after workload_create_servers returned is seen below */
	for (int i = 0; i < 100 && fc_state_int(&fc, "n_server_posts") < 1; i++)
		usleep(50000);
	is_int(fc_state_int(&fc, "n_server_posts"), 1, "late server: the cloud created it (after %.2f s)", took);
	is_int(fc_state_int(&fc, "servers"), 0, "late server: it was deleted, not left in the cloud");
	ok(rc == 0 && r.n_leaked == 0 && r.servers[0].is_deleted && r.servers[0].id[0] &&
		   s.n_created == 1 && s.n_deleted == 1 && r.n_failed == 1,
	   "late server: found by the sweep, deleted, counted failed, not leaked (%s)", err.msg);
	ok(took >= 2.4, "late server: create_servers waited for it (%.2f s >= the 2.5 s stall)", took);
	workload_result_free(&r);

	/* a POST that times out and was never acted on (the cloud hangs up after the client's
	 * timeout, having made nothing): looked up until the deadline, then taken as never
	 * created, with one POST only */
	fc_reset(&fc);
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"drop\", \"delay\": 0.8}");
	hooks_for(&s);
	st.timeout = 1.0;
	t0 = gb_now();
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	took = gb_now() - t0;
	ok(rc == 0 && r.n_leaked == 0 && r.servers[0].is_deleted && !r.servers[0].id[0] &&
		   r.servers[0].fault && strstr(r.servers[0].fault, "appeared within 1 s; taken as never created"),
	   "POST dropped: no server by its name within the deadline: never created (%s)",
	   r.servers[0].fault ? r.servers[0].fault : err.msg);
	ok(took >= 1.4, "POST dropped: looked for it until the deadline (%.2f s >= 0.5 s timeout + 1 s)", took);
	is_int(n_posts_seen(), 1, "POST dropped: no second POST");
	is_int(fc_state_int(&fc, "n_server_posts"), 0, "POST dropped: nothing was created");
	workload_result_free(&r);

	/* the connection is closed at once without an answer (a keep-alive connection the
	 * service dropped): libcurl would send the POST again by itself on a reused connection,
	 * so a POST gets a connection of its own; the hang-up is an unknown outcome, looked up */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	int gets_ok = 0, status = 0;
	for (int i = 0; i < 2; i++) /* a live keep-alive connection the POST could reuse */
		gets_ok += osapi_request(api, "GET", "compute", "/flavors/detail", NULL, NULL, &status,
					 &err) == 0;
	int get_conn[2];
	n_logged_conns("GET", "/flavors/detail", get_conn, 2);
	ok(gets_ok == 2 && get_conn[0] > 0 && get_conn[0] == get_conn[1],
	   "POST closed: the GETs before it share a keep-alive connection (#%d, #%d)", get_conn[0],
	   get_conn[1]);
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"close\"}");
	hooks_for(&s);
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	int post_conn = 0;
	n_logged_conns("POST", "/compute/v2.1/servers", &post_conn, 1);
	is_int(n_posts_seen(), 1, "POST closed without an answer: no second POST (libcurl's own retry included)");
	ok(rc == 0 && r.n_leaked == 0 && r.servers[0].n_posts == 1 && r.servers[0].is_deleted &&
		   !r.servers[0].id[0] && r.servers[0].fault &&
		   strstr(r.servers[0].fault, "taken as never created"),
	   "POST closed without an answer: looked up by name, taken as never created (%s)",
	   r.servers[0].fault ? r.servers[0].fault : err.msg);
	ok(post_conn > get_conn[1], "POST closed without an answer: the POST went over a connection of "
	   "its own (#%d, after the GETs' #%d)", post_conn, get_conn[1]);
	workload_result_free(&r);
	is_int(fc_state_int(&fc, "servers"), 0, "POST closed without an answer: no server left");
	is_int(fc_state_int(&fc, "n_server_posts"), 0, "POST closed without an answer: nothing was created");
	st.timeout = 10;

	/* 500 before anything was created: lookup finds nothing, one more POST */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"status\", \"status\": 500}");
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_ok == 1 && r.servers[0].n_posts == 2,
	   "POST 500: lookup found nothing, a second POST succeeded");
	is_int(n_posts_seen(), 2, "POST 500: exactly two POSTs in the cloud's log");
	is_int(fc_state_int(&fc, "n_server_posts"), 1, "POST 500: exactly one server created");
	workload_result_free(&r);

	/* 500 twice: give up after two POSTs */
	fc_reset(&fc);
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"status\", \"status\": 500, \"times\": 5}");
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_failed == 1 && r.servers[0].outcome == WL_API_ERROR &&
	   strstr(r.servers[0].fault, "500 Internal Server Error") && r.servers[0].is_deleted,
	   "POST 500 twice: api_error with the 500 message, nothing to delete");
	is_int(n_posts_seen(), 2, "POST 500 twice: never more than two POSTs");
	workload_result_free(&r);

	/* created, but the answer is garbage */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"malformed\"}");
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_ok == 1 && r.servers[0].n_posts == 1 && fc_state_int(&fc, "n_server_posts") == 1,
	   "POST malformed answer: found by name, not created twice");
	workload_result_free(&r);

	/* 400: refused, certainly nothing created, no lookup, no retry */
	fc_reset(&fc);
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"/servers$\", \"action\": \"status\", \"status\": 400, \"message\": \"Invalid flavorRef\"}");
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.servers[0].outcome == WL_API_ERROR && r.servers[0].n_posts == 1 &&
	   strstr(r.servers[0].fault, "400 Bad Request: Invalid flavorRef"),
	   "POST 400: api_error, one POST: %s", r.servers[0].fault ? r.servers[0].fault : "");
	workload_result_free(&r);
	is_int(fc_state_int(&fc, "servers"), 0, "unknown outcomes: no server left");
	osapi_free(api);
}

static void test_interrupt_and_leaks(void)
{
	struct seen s;
	struct workload_hooks h = hooks_for(&s);
	struct workload_result r;
	struct gb_err err = { 0 };
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.3, \"delete_time\": 0.05}");
	struct osapi *api = new_api();
	struct sc_step st = step_for(8, 2);
	s.stop_after = 2;
	int rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc < 0 && err.exit_code == GB_EXIT_INTERRUPTED && r.was_interrupted,
	   "interrupt: stops with exit code interrupted: %s", err.msg);
	size_t n_not_started = 0, n_interrupted = 0;
	for (size_t i = 0; i < r.n_servers; i++) {
		n_not_started += r.servers[i].outcome == WL_NOT_STARTED;
		n_interrupted += r.servers[i].outcome == WL_INTERRUPTED;
	}
	ok(n_not_started == 6 && n_interrupted == 2, "interrupt: 2 interrupted, 6 never started");
	ok(s.n_created == s.n_deleted && r.n_leaked == 0, "interrupt: everything created was deleted");
	is_int(fc_state_int(&fc, "servers"), 0, "interrupt: no server left");
	workload_result_free(&r);

	/* the journal hook fails: stop, but still delete the server it could not journal */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	hooks_for(&s);
	h.on_server_created = h_created_fails;
	st = step_for(4, 1);
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc < 0 && err.exit_code == GB_EXIT_INTERRUPTED && r.servers[0].outcome == WL_INTERRUPTED &&
	   r.servers[0].is_deleted && r.servers[1].outcome == WL_NOT_STARTED,
	   "hook failure: on_server_created != 0 stops the step and deletes that server");
	is_int(fc_state_int(&fc, "servers"), 0, "hook failure: no server left");
	workload_result_free(&r);
	h.on_server_created = h_created;

	/* a server that will not go away: reported, then cleaned up by id */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 2.0}");
	hooks_for(&s);
	st = step_for(2, 2);
	st.delete_timeout = 0.3;
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc < 0 && err.exit_code == GB_EXIT_ENV && r.n_leaked == 2 &&
	   strstr(err.msg, r.servers[0].id) && strstr(r.servers[0].fault, "still present"),
	   "slow delete: leftovers reported by id: %s", err.msg);
	const char *ids[2] = { r.servers[0].id, r.servers[1].id };
	ok(workload_cleanup_servers(api, ids, 2, 10, &err) == 0,
	   "cleanup: workload_cleanup_servers waits until they are gone (%s)", err.msg);
	workload_result_free(&r);
	is_int(fc_state_int(&fc, "servers"), 0, "cleanup: no server left");

	/* restore after a crash: a journaled name (server exists), a name never created */
	fc_config(&fc, "{\"delete_time\": 0.05}");
	json_t *body = json_pack("{s:{s:s,s:s,s:s,s:s}}", "server", "name", "gbtest-crashed-r0-0",
				 "imageRef", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "flavorRef", "1",
				 "networks", "none");
	osapi_request(api, "POST", "compute", "/servers", body, NULL, NULL, &err);
	json_decref(body);
	const char *names[2] = { "gbtest-crashed-r0-0", "gbtest-never-posted-r0-1" };
	is_int(fc_state_int(&fc, "servers"), 1, "cleanup by name: one leftover before");
	ok(workload_cleanup_servers(api, names, 2, 10, &err) == 0,
	   "cleanup by name: the journaled names are found and deleted (%s)", err.msg);
	is_int(fc_state_int(&fc, "servers"), 0, "cleanup by name: none left");
	ok(osapi_delete_server(api, "00000000-0000-4000-8000-000000000000", &err) == 0,
	   "cleanup: deleting an already-gone server is not an error");

	/* retries inside a run: 409 Retry-After on DELETE, a 401 on a poll, a 503 on a poll */
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0.05, \"delete_time\": 0.05}");
	fc_fault(&fc, "{\"method\": \"DELETE\", \"path\": \"/servers/\", \"action\": \"status\", \"status\": 409, \"retry_after\": \"0.1\"}");
	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"/servers/[0-9a-f-]+$\", \"action\": \"revoke\"}");
	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"/servers/[0-9a-f-]+$\", \"action\": \"status\", \"status\": 503, \"retry_after\": \"0.1\"}");
	st = step_for(2, 2);
	rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	ok(rc == 0 && r.n_ok == 2 && r.n_leaked == 0,
	   "faults mid-run: 409 on DELETE, 401 and 503 on polls are absorbed (%s)", err.msg);
	is_int(fc_state_int(&fc, "faults_left"), 0, "faults mid-run: every injected fault was hit");
	workload_result_free(&r);
	is_int(fc_state_int(&fc, "servers"), 0, "faults mid-run: no server left");
	osapi_free(api);
}

int main(void)
{
	if (fc_start(&fc) < 0) { /* the fake cloud is ours: not starting it is a failure */
		printf("Bail out! cannot start the fake cloud (tests/fakecloud/fakecloud.py)\n");
		return 1;
	}
	test_normal();
	test_resolution();
	test_error_and_timeout();
	test_unknown_outcome();
	test_interrupt_and_leaks();
	fc_stop(&fc);
	curl_global_cleanup();
	return done_testing();
}

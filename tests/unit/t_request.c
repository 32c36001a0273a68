/* t_request.c - the request step against tests/fakecloud: placeholders and bodies, the
 * microversion header, ids of created resources journaled (hooks) and deleted, `as:` ids
 * used by a later step, paging, unexpected statuses counted, a constant rate's count;
 * nothing created is left in the fake cloud. */
#include "cloud/cleanup.h"
#include "cloud/request.h"
#include "scenario/scenario.h"
#include "lib/tap.h"
#include "fakecloud/fc.h"

static struct fc fc;

struct seen {
	int n_requested, n_created, n_deleted;
	char last_path[128];
};

static int h_requested(void *ctx, const char *service, const char *tmpl, const char *find,
		       const char *name)
{
	((struct seen *)ctx)->n_requested++;
	return 0;
}

static int h_created(void *ctx, const char *service, const char *path, const char *name)
{
	struct seen *s = ctx;
	/* journaled before: the name was announced before the POST */
	s->n_created += s->n_requested > s->n_created;
	snprintf(s->last_path, sizeof(s->last_path), "%s", path);
	return 0;
}

static void h_deleted(void *ctx, const char *service, const char *path)
{
	((struct seen *)ctx)->n_deleted++;
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

/* How many of r's calls went to service (the auth POST is recorded too). */
static long calls_to(const struct request_result *r, const char *service)
{
	long n = 0;
	for (size_t i = 0; i < r->n_calls; i++)
		n += !strcmp(r->calls[i].service, service);
	return n;
}

static struct scenario *load(const char *yaml)
{
	struct scenario *sc = NULL;
	struct gb_err err = { 0 };
	if (scenario_load_buffer("t.yaml", NULL, yaml, strlen(yaml), &sc, &err) != 0)
		diag("load: %s", err.msg);
	return sc;
}

static const char FLAVORS[] =
	"name: t\nworkload:\n"
	"  - request:\n"
	"      method: POST\n      service: compute\n      path: /flavors\n"
	"      microversion: \"2.55\"\n"
	"      body: {flavor: {name: \"{name}\", ram: 64, vcpus: 1, disk: 0, is_public: true}}\n"
	"      expect: 200\n      count: 6\n      concurrency: 3\n"
	"      id: flavor.id\n      delete: /flavors/{id}\n      as: flavors\n"
	"  - request:\n"
	"      method: DELETE\n      service: compute\n      path: /flavors/{flavors}\n"
	"      expect: 202\n      count: 2\n";

static void test_create_delete(void)
{
	struct scenario *sc = load(FLAVORS);
	ok(sc != NULL, "flavor scenario loads");
	if (!sc)
		return;
	fc_reset(&fc);
	struct osapi *api = new_api();
	struct seen s = { 0 };
	struct request_hooks h = { .ctx = &s, .on_requested = h_requested, .on_created = h_created,
				   .on_deleted = h_deleted };
	struct request_state st;
	memset(&st, 0, sizeof(st));
	struct request_result r;
	struct gb_err err = { 0 };
	int rc = request_step_run(api, &sc->steps[0], 0, 0, &st, &h, &r, &err);
	is_int(rc, 0, "create: the step runs (%s)", err.msg);
	is_int((long)r.n_expected, 6, "create: 6 answers as expected");
	is_int(s.n_requested, 6, "create: each name journaled before its POST");
	is_int(s.n_created, 6, "create: each delete path journaled once the id came");
	ok(!strncmp(s.last_path, "/flavors/", 9) && strlen(s.last_path) == 9 + 36,
	   "create: the delete path holds the answer's flavor.id (%s)", s.last_path);
	is_int(fc_state_int(&fc, "flavors"), 6, "create: 6 flavors exist in the cloud");
	is_int(calls_to(&r, "compute"), 6, "create: 6 compute requests recorded");
	json_t *state = fc_control(&fc, "GET", "/_control/state", NULL);
	json_t *log = json_object_get(state, "log");
	json_t *last = json_array_get(log, json_array_size(log) - 1);
	is_str(json_string_value(json_object_get(last, "api_version")), "compute 2.55",
	       "create: OpenStack-API-Version carries the step's microversion");
	is_str(json_string_value(json_object_get(last, "nova_api_version")), "2.55",
	       "create: and X-OpenStack-Nova-API-Version too");
	json_t *names = json_object_get(state, "flavors");
	const char *n0 = json_string_value(json_array_get(names, 0));
	ok(n0 && !strncmp(n0, "greenbench-", 11) && strstr(n0, "-r0-s0-"),
	   "create: {name} in the body became a unique name (%s)", n0 ? n0 : "none");
	json_decref(state);
	request_result_release(&r);

	/* a later step uses the ids (as: flavors), round robin: deletes 2 of them itself */
	rc = request_step_run(api, &sc->steps[1], 1, 0, &st, &h, &r, &err);
	is_int(rc, 0, "{flavors}: the second step runs (%s)", err.msg);
	is_int((long)r.n_expected, 2, "{flavors}: 2 DELETEs answered 202 as expected");
	is_int(fc_state_int(&fc, "flavors"), 4, "{flavors}: they named 2 of the created flavors");
	request_result_release(&r);

	/* cleanup: the 4 left are deleted, the 2 already gone answer 404 = deleted */
	memset(&r, 0, sizeof(r));
	rc = request_cleanup(api, &st, 2, &h, &r, &err);
	is_int(rc, 0, "cleanup: succeeds (%s)", err.msg);
	is_int(s.n_deleted, 6, "cleanup: every resource reported deleted (404 counts)");
	is_int(fc_state_int(&fc, "flavors"), 0, "cleanup: no flavor left in the cloud");
	request_result_release(&r);
	request_state_free(&st);
	osapi_free(api);
	scenario_free(sc);
}

static void test_unexpected_and_paging(void)
{
	struct scenario *sc = load(
		"name: t\nworkload:\n"
		"  - create_servers: {count: 5, concurrency: 5, image: cirros, flavor: c1}\n"
		"  - request: {method: GET, service: compute, path: /servers/detail?limit=2, "
		"paginate: true}\n"
		"  - request: {method: GET, service: placement, path: /allocation_candidates, "
		"microversion: placement 1.29, expect: 200, count: 4, concurrency: 2}\n"
		"  - request: {method: GET, service: compute, path: \"/nothing/{i}\", count: 3}\n");
	ok(sc != NULL, "paging scenario loads");
	if (!sc)
		return;
	fc_reset(&fc);
	fc_config(&fc, "{\"build_time\": 0}");
	struct osapi *api = new_api();
	struct gb_err err = { 0 };
	for (int i = 0; i < 5; i++) { /* 5 servers to page over */
		char body[128];
		snprintf(body, sizeof(body), "{\"server\": {\"name\": \"p%d\", \"imageRef\": "
			 "\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\", \"flavorRef\": \"1\", "
			 "\"networks\": \"none\"}}", i);
		json_t *b = json_loads(body, 0, NULL);
		osapi_request(api, "POST", "compute", "/servers", b, NULL, NULL, &err);
		json_decref(b);
	}
	struct request_state st;
	memset(&st, 0, sizeof(st));
	struct request_result r;
	int rc = request_step_run(api, &sc->steps[1], 1, 0, &st, NULL, &r, &err);
	is_int(rc, 0, "paging: runs (%s)", err.msg);
	is_int((long)r.n_sent, 3, "paging: 5 servers at 2 a page are 3 GETs (next links followed)");
	is_int((long)r.n_expected, 3, "paging: each page 2xx");
	ok(r.n_calls >= 3 && strstr(r.calls[r.n_calls - 1].path, "marker="),
	   "paging: the last page asked with the marker of the link (%s)",
	   r.n_calls ? r.calls[r.n_calls - 1].path : "-");
	request_result_release(&r);
	rc = request_step_run(api, &sc->steps[2], 2, 0, &st, NULL, &r, &err);
	is_int((long)r.n_expected, 4, "placement: 4 answers 200 from the placement endpoint");
	ok(r.n_calls && !strncmp(r.calls[0].path, "/placement/allocation_candidates", 32),
	   "placement: the catalog's placement URL was used (%s)", r.n_calls ? r.calls[0].path : "-");
	request_result_release(&r);
	rc = request_step_run(api, &sc->steps[3], 3, 0, &st, NULL, &r, &err);
	is_int(rc, 0, "unexpected: a 404 does not stop the step");
	is_int((long)r.n_unexpected, 3, "unexpected: 3 answers 404 counted");
	ok(strstr(r.first_error, "/nothing/0") && strstr(r.first_error, "404"),
	   "unexpected: the first one said with its path and status (%s)", r.first_error);
	request_result_release(&r);
	request_state_free(&st);
	osapi_free(api);
	scenario_free(sc);
}

static void test_rate(void)
{
	struct scenario *sc = load(
		"name: t\nworkload:\n"
		"  - request: {method: GET, service: compute, path: /flavors/detail, rate: 20, "
		"duration: 0.5s, concurrency: 2}\n");
	ok(sc != NULL, "rate scenario loads");
	if (!sc)
		return;
	is_int(sc->steps[0].count, 10, "rate: 20/s for 0.5 s is 10 requests");
	fc_reset(&fc);
	struct osapi *api = new_api();
	struct request_state st;
	memset(&st, 0, sizeof(st));
	struct request_result r;
	struct gb_err err = { 0 };
	int rc = request_step_run(api, &sc->steps[0], 0, 0, &st, NULL, &r, &err);
	is_int(rc, 0, "rate: runs (%s)", err.msg);
	is_int((long)r.n_expected, 10, "rate: 10 answers 200");
	/* the 10th request is due 0.45 s after the first: the step cannot be faster */
	ok(r.n_calls >= 10 && r.calls[r.n_calls - 1].started - r.calls[r.n_calls - 10].started >= 0.44,
	   "rate: the sends are spread over the duration");
	request_result_release(&r);
	request_state_free(&st);
	osapi_free(api);
	scenario_free(sc);
}

/* restore's side: a create never answered is found by name through find and deleted */
static void test_restore_by_name(void)
{
	fc_reset(&fc);
	struct osapi *api = new_api();
	struct gb_err err = { 0 };
	json_t *b = json_loads("{\"flavor\": {\"name\": \"gb-lost\", \"ram\": 64}}", 0, NULL);
	osapi_request(api, "POST", "compute", "/flavors", b, NULL, NULL, &err);
	osapi_request(api, "POST", "compute", "/flavors", b, NULL, NULL, &err);
	json_decref(b);
	b = json_loads("{\"flavor\": {\"name\": \"other\", \"ram\": 64}}", 0, NULL);
	osapi_request(api, "POST", "compute", "/flavors", b, NULL, NULL, &err);
	json_decref(b);
	struct cloud_cleanup cc = { .api = api };
	int rc = cloud_cleanup_resource(&cc, "", "compute", "/flavors/{id}", "/flavors/detail",
					"gb-lost", &err);
	is_int(rc, 0, "restore by name: succeeds (%s)", err.msg);
	is_int(fc_state_int(&fc, "flavors"), 1, "restore by name: both flavors named gb-lost deleted, "
	       "the other kept");
	rc = cloud_cleanup_resource(&cc, "", "compute", "/flavors/{id}", "/flavors/detail", "gb-none",
				    &err);
	is_int(rc, 0, "restore by name: a name never created is nothing to do");
	osapi_free(api);
}

int main(void)
{
	if (fc_start(&fc) < 0) {
		printf("Bail out! cannot start the fake cloud (tests/fakecloud/fakecloud.py)\n");
		return 1;
	}
	test_create_delete();
	test_unexpected_and_paging();
	test_rate();
	test_restore_by_name();
	fc_stop(&fc);
	curl_global_cleanup();
	return done_testing();
}

/* t_osapi.c - the OpenStack API client against tests/fakecloud: auth, token reuse and
 * re-auth, catalog, request ids and headers, and every fault the client must survive or
 * explain (401, 404, 409, 5xx, Retry-After, timeouts, refused, truncated, malformed, huge). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <regex.h>
#include <sys/socket.h>

#include "cloud/osapi.h"
#include "lib/tap.h"
#include "fakecloud/fc.h"

static struct fc fc;
static struct strbuf all_errors = STRBUF_INIT; /* every message, checked for secrets */

static struct osapi *new_api(const char *password)
{
	struct os_creds c;
	struct gb_err err = { 0 };
	fc_creds(&fc, &c, password);
	struct osapi *api = osapi_new(&c, &err);
	os_creds_free(&c);
	osapi_options(api)->timeout = 2;
	osapi_options(api)->connect_timeout = 1;
	return api;
}

/* GET path from compute; returns the status, err filled and remembered. */
static int get(struct osapi *api, const char *path, int *rc, struct gb_err *err)
{
	int status = -1;
	memset(err, 0, sizeof(*err));
	*rc = osapi_request(api, "GET", "compute", path, NULL, NULL, &status, err);
	sb_addf(&all_errors, "%s\n", err->msg);
	return status;
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

static void test_auth_and_catalog(void)
{
	struct gb_err err = { 0 };
	struct osapi *api = new_api(NULL);
	ok(osapi_authenticate(api, &err) == 0, "auth: keystone v3 password auth succeeds (%s)", err.msg);
	const char *url = NULL;
	ok(osapi_endpoint(api, "compute", &url, &err) == 0, "catalog: compute endpoint found");
	char want[128];
	snprintf(want, sizeof(want), "%s/compute/v2.1", fc.base);
	is_str(url, want, "catalog: compute URL is the public RegionOne one");
	ok(osapi_endpoint(api, "image", &url, &err) == 0 && strstr(url, "/image"),
	   "catalog: image endpoint found");
	ok(osapi_endpoint(api, "volumev3", &url, &err) < 0 && strstr(err.msg, "'volumev3'") &&
	   strstr(err.msg, "interface 'public'"),
	   "catalog: a missing service names type and interface: %s", err.msg);
	int rc;
	get(api, "/flavors/detail", &rc, &err);
	get(api, "/flavors/detail", &rc, &err);
	is_int(fc_state_int(&fc, "n_auth"), 1, "auth: the token is reused across requests");
	osapi_free(api);

	/* region awareness */
	struct os_creds c;
	fc_creds(&fc, &c, NULL);
	c.region_name = gb_strdup("RegionTwo");
	api = osapi_new(&c, &err);
	os_creds_free(&c);
	ok(osapi_endpoint(api, "compute", &url, &err) == 0 && strstr(url, "/other-region/"),
	   "catalog: region_name RegionTwo picks that region's compute endpoint");
	osapi_free(api);
}

static void test_headers_and_records(void)
{
	struct gb_err err = { 0 };
	fc_reset(&fc);
	struct osapi *api = new_api(NULL);
	json_t *j = NULL;
	int status = 0;
	ok(osapi_request(api, "GET", "compute", "/flavors/detail", NULL, &j, &status, &err) == 0 &&
	   json_array_size(json_object_get(j, "flavors")) == 2,
	   "request: GET /flavors/detail parsed (%s)", err.msg);
	json_decref(j);
	json_t *st = fc_control(&fc, "GET", "/_control/state", NULL);
	json_t *log = json_object_get(st, "log");
	json_t *last = json_array_get(log, json_array_size(log) - 1);
	const char *rid = json_string_value(json_object_get(last, "request_id"));
	ok(matches(rid, "^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
	   "request: X-OpenStack-Request-ID is req-<uuid4> (%s)", rid ? rid : "none");
	is_str(json_string_value(json_object_get(last, "api_version")), "compute 2.37",
	       "request: OpenStack-API-Version: compute 2.37 on compute calls");
	is_str(json_string_value(json_object_get(last, "nova_api_version")), "2.37",
	       "request: X-OpenStack-Nova-API-Version: 2.37 on compute calls");
	json_t *first = json_array_get(log, 0);
	ok(json_string_value(json_object_get(first, "request_id")) &&
	   !json_is_true(json_object_get(first, "has_token")),
	   "request: the auth call carries a request id and no token");

	struct osapi_call *calls;
	size_t n = osapi_take_calls(api, &calls);
	is_int(n, 2, "records: auth and the GET were recorded");
	if (n == 2) {
		is_str(calls[0].service, "identity", "records: first is identity");
		is_str(calls[0].path, "/identity/v3/auth/tokens", "records: auth path without host");
		is_int(calls[0].status, 201, "records: auth status 201");
		is_str(calls[1].request_id, rid, "records: the id we sent is the id recorded");
		is_str(calls[1].method, "GET", "records: method");
		is_str(calls[1].path, "/compute/v2.1/flavors/detail", "records: path");
		is_int(calls[1].status, 200, "records: status");
		ok(calls[1].latency > 0 && calls[1].latency < 5, "records: latency %.4f s", calls[1].latency);
		ok(matches(calls[1].server_request_id, "^req-"),
		   "records: nova's own request id kept (%s)", calls[1].server_request_id);
		ok(calls[1].started > 1e9, "records: wall-clock start");
	}
	osapi_calls_free(calls, n);
	json_decref(st);

	/* keep-alive: sequential requests share a connection */
	long conn0 = fc_state_int(&fc, "n_connections");
	bool all_ok = true;
	for (int i = 0; i < 10; i++)
		all_ok &= osapi_request(api, "GET", "compute", "/flavors/detail", NULL, NULL, NULL, &err) == 0;
	long used = fc_state_int(&fc, "n_connections") - conn0;
	ok(all_ok && used <= 2, "connection reuse: 10 GETs over %ld new connection(s)", used);
	/* records never carry a secret */
	n = osapi_take_calls(api, &calls);
	struct strbuf rec = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sb_addf(&rec, "%s %s %s %s %s\n", calls[i].request_id, calls[i].method,
			calls[i].service, calls[i].path, calls[i].server_request_id);
	ok(n == 10 && !strstr(rec.buf, "tok-") && !strstr(rec.buf, FC_PASSWORD),
	   "records: no token or password in any request record");
	sb_release(&rec);
	osapi_calls_free(calls, n);
	osapi_free(api);
}

static void test_auth_faults(void)
{
	struct gb_err err = { 0 };
	int rc;
	fc_reset(&fc);
	struct osapi *api = new_api(NULL);
	get(api, "/flavors/detail", &rc, &err);
	fc_config(&fc, "{\"revoke_tokens\": true}");
	int st = get(api, "/flavors/detail", &rc, &err);
	ok(rc == 0 && st == 200, "401: a revoked token is replaced by one re-auth and the GET succeeds");
	is_int(fc_state_int(&fc, "n_auth"), 2, "401: exactly one re-authentication");

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 401, \"times\": 2}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 401 && strstr(err.msg, "401 Unauthorized even after re-authenticating") &&
	   strstr(err.msg, "/compute/v2.1/flavors/detail"),
	   "401 twice: clear error naming the URL: %s", err.msg);
	is_int(fc_state_int(&fc, "n_auth"), 3, "401 twice: only one more auth, no loop");
	osapi_free(api);

	api = new_api("wrong-password-XYZ");
	ok(osapi_authenticate(api, &err) < 0 && strstr(err.msg, "refused the credentials") &&
	   strstr(err.msg, "fake cloud") && !strstr(err.msg, "wrong-password-XYZ"),
	   "bad password: keystone's 401 explained without the password: %s", err.msg);
	sb_addf(&all_errors, "%s\n", err.msg);
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && strstr(err.msg, "refused the credentials"), "bad password: requests fail with the auth error");
	ok(!strstr(all_errors.buf, "wrong-password-XYZ"), "bad password: never echoed");
	osapi_free(api);

	/* a token that expires within the margin is refreshed before use */
	fc_reset(&fc);
	fc_config(&fc, "{\"token_ttl\": 120}");
	api = new_api(NULL);
	get(api, "/flavors/detail", &rc, &err);
	get(api, "/flavors/detail", &rc, &err);
	is_int(fc_state_int(&fc, "n_auth"), 2, "expiry: a token within 5 min of expiry is renewed");
	osapi_free(api);
	fc_config(&fc, "{\"token_ttl\": 3600}");
}

static void test_status_faults(void)
{
	struct gb_err err = { 0 };
	int rc, st;
	fc_reset(&fc);
	struct osapi *api = new_api(NULL);
	osapi_options(api)->retry_after_max = 0.3;

	st = get(api, "/servers/00000000-0000-4000-8000-000000000000", &rc, &err);
	ok(rc < 0 && st == 404 && strstr(err.msg, "404 Not Found") &&
	   strstr(err.msg, "could not be found") && strstr(err.msg, "/servers/0000"),
	   "404: status, nova's message and URL: %s", err.msg);

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 409, \"retry_after\": \"0.2\"}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc == 0 && st == 200, "409 + Retry-After on a GET: retried, then 200");

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 409}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 409 && strstr(err.msg, "409 Conflict: injected fault"),
	   "409 without Retry-After: clear error: %s", err.msg);

	/* a service that quotes secrets back: the password (twice) and the request's token */
	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 400, \"echo_token\": true, "
		      "\"message\": \"bad " FC_PASSWORD " and again " FC_PASSWORD "\"}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 400 && strstr(err.msg, "bad *** and again ***") && strstr(err.msg, "(token ***)") &&
		   !strstr(err.msg, FC_PASSWORD),
	   "secrets quoted back by the service are scrubbed, each occurrence: %s", err.msg);

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 500}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 500 && strstr(err.msg, "500 Internal Server Error"),
	   "500: clear error: %s", err.msg);

	double t0 = gb_now();
	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 503, \"retry_after\": \"0.2\", \"times\": 2}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc == 0 && st == 200, "503 + Retry-After twice: honoured, then 200");
	ok(gb_now() - t0 >= 0.35, "503 + Retry-After: the client waited before retrying");

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"status\", "
		      "\"status\": 503, \"retry_after\": \"100\", \"times\": 10}");
	t0 = gb_now();
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 503 && strstr(err.msg, "503 Service Unavailable"),
	   "503 forever: error after the retry budget: %s", err.msg);
	ok(gb_now() - t0 < 5, "503: a 100 s Retry-After is capped by retry_after_max");
	fc_reset(&fc);

	/* a POST is never repeated by the client, even with Retry-After */
	fc_fault(&fc, "{\"method\": \"POST\", \"path\": \"servers\", \"action\": \"status\", "
		      "\"status\": 503, \"retry_after\": \"0\"}");
	json_t *body = json_pack("{s:{s:s,s:s,s:s,s:s}}", "server", "name", "x", "imageRef",
				 "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "flavorRef", "1",
				 "networks", "none");
	rc = osapi_request(api, "POST", "compute", "/servers", body, NULL, &st, &err);
	json_decref(body);
	json_t *s = fc_control(&fc, "GET", "/_control/state", NULL);
	size_t n_posts = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(s, "log"), i, e)
		n_posts += !strcmp(json_string_value(json_object_get(e, "method")), "POST") &&
			   strstr(json_string_value(json_object_get(e, "path")), "/servers");
	json_decref(s);
	ok(rc < 0 && st == 503 && n_posts == 1, "POST + 503 Retry-After: sent once, not retried");
	osapi_free(api);
}

static void test_transport_faults(void)
{
	struct gb_err err = { 0 };
	int rc, st;
	fc_reset(&fc);
	struct osapi *api = new_api(NULL);
	osapi_options(api)->timeout = 0.5;
	osapi_options(api)->max_retries = 1;

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"delay\", "
		      "\"delay\": 1.5, \"times\": 2}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 0 && strstr(err.msg, "timeout") && strstr(err.msg, "flavors/detail"),
	   "slow answer: timeout error naming the URL: %s", err.msg);

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"delay\", "
		      "\"delay\": 1.5, \"times\": 1}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc == 0 && st == 200, "slow answer once: the GET is retried and succeeds");

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"truncate\", \"times\": 2}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && strstr(err.msg, "truncated"), "truncated body: clear error: %s", err.msg);

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"malformed\"}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && strstr(err.msg, "malformed JSON") && strstr(err.msg, "/compute/v2.1/flavors/detail"),
	   "malformed JSON: error names the URL: %s", err.msg);

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"close\", \"times\": 4}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && st == 0 && strstr(err.msg, "closed without a response"),
	   "connection closed without reply: clear error: %s", err.msg);

	osapi_options(api)->timeout = 10;
	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"huge\"}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && strstr(err.msg, "larger than 16 MiB"), "17 MiB body with length: refused: %s", err.msg);

	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"huge_chunked\"}");
	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc < 0 && strstr(err.msg, "larger than 16 MiB"), "17 MiB chunked body: refused: %s", err.msg);

	st = get(api, "/flavors/detail", &rc, &err);
	ok(rc == 0 && st == 200, "after all faults: the client still works");
	osapi_free(api);

	/* nothing listening */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &al);
	close(s);
	struct os_creds c;
	fc_creds(&fc, &c, NULL);
	free(c.auth_url);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3", ntohs(a.sin_port));
	c.auth_url = gb_strdup(url);
	api = osapi_new(&c, &err);
	os_creds_free(&c);
	ok(osapi_authenticate(api, &err) < 0 && strstr(err.msg, "cannot connect") &&
	   strstr(err.msg, url), "connection refused: clear error naming the URL: %s", err.msg);
	sb_addf(&all_errors, "%s\n", err.msg);
	osapi_free(api);
}

/* A self-signed certificate for 127.0.0.1 from the openssl tool; 0 if made. */
static int make_cert(const char *cert, const char *key)
{
	char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
			 (char *)key, "-out", (char *)cert, "-days", "1", "-subj", "/CN=127.0.0.1",
			 "-addext", "subjectAltName=IP:127.0.0.1", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int st = -1;
	if (posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	posix_spawn_file_actions_destroy(&fa);
	return st == 0 ? 0 : -1;
}

static void test_tls(void)
{
	char dir[] = "/tmp/gb-t-osapi-XXXXXX", cert[64], key[64];
	if (!mkdtemp(dir))
		return;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	struct fc tls;
	if (make_cert(cert, key) < 0 || fc_start_tls(&tls, cert, key) < 0) {
		ok(1, "# SKIP no openssl tool: TLS not tested");
		goto out;
	}
	struct gb_err err = { 0 };
	struct os_creds c;
	fc_creds(&tls, &c, NULL);
	struct osapi *api = osapi_new(&c, &err);
	ok(osapi_authenticate(api, &err) < 0 && strstr(err.msg, "TLS verification failed") &&
	   strstr(err.msg, "https://127.0.0.1:"), "TLS: a self-signed server is refused by default: %s",
	   err.msg);
	sb_addf(&all_errors, "%s\n", err.msg);
	osapi_free(api);
	c.cacert = gb_strdup(cert);
	err.msg[0] = '\0';
	api = osapi_new(&c, &err);
	int st = 0;
	ok(osapi_request(api, "GET", "compute", "/flavors/detail", NULL, NULL, &st, &err) == 0 &&
	   st == 200, "TLS: with its CA bundle (cacert) auth and requests work (%s)", err.msg);
	osapi_free(api);
	free(c.cacert);
	c.cacert = NULL;
	c.insecure = true;
	err.msg[0] = '\0';
	api = osapi_new(&c, &err);
	ok(osapi_authenticate(api, &err) == 0, "TLS: insecure opts out of verification (%s)", err.msg);
	osapi_free(api);
	os_creds_free(&c);
	fc_stop(&tls);
out:
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

static int n_cb;
static void count_done(void *ctx, const struct osapi_result *res)
{
	n_cb += !res->failed;
}

static void test_concurrency(void)
{
	struct gb_err err = { 0 };
	fc_reset(&fc);
	struct osapi *api = new_api(NULL);
	osapi_authenticate(api, &err);
	fc_fault(&fc, "{\"method\": \"GET\", \"path\": \"flavors\", \"action\": \"delay\", "
		      "\"delay\": 0.3, \"times\": 8}");
	for (int i = 0; i < 8; i++)
		osapi_submit(api, "GET", "compute", "/flavors/detail", NULL, count_done, NULL, &err);
	while (osapi_run(api, 1.0) > 0)
		;
	is_int(n_cb, 8, "multi: 8 queued GETs all completed");
	ok(fc_state_int(&fc, "max_inflight") >= 4,
	   "multi: several requests were in flight at once (max %ld)", fc_state_int(&fc, "max_inflight"));
	osapi_free(api);
}

int main(void)
{
	if (fc_start(&fc) < 0) { /* the fake cloud is ours: not starting it is a failure */
		printf("Bail out! cannot start the fake cloud (tests/fakecloud/fakecloud.py)\n");
		return 1;
	}
	test_auth_and_catalog();
	test_headers_and_records();
	test_auth_faults();
	test_status_faults();
	test_transport_faults();
	test_concurrency();
	test_tls();
	ok(!strstr(sb_str(&all_errors), FC_PASSWORD) && !strstr(sb_str(&all_errors), "tok-"),
	   "secrets: neither the password nor a token appears in any error message");
	is_int(fc_state_int(&fc, "servers"), 0, "fake cloud: no servers left behind");
	fc_stop(&fc);
	sb_release(&all_errors);
	curl_global_cleanup();
	return done_testing();
}

/*
 * osapi.c - OpenStack REST client over libcurl (one multi handle) and jansson: request
 * ids, retries that are safe (GET/DELETE only; a POST is never repeated here) and a
 * record of every request. The transport (curl handles, callbacks, request log, errors) is
 * osapi_http.c, keystone is osapi_keystone.c. Never prints; never puts the password or
 * the token into a message, a record or anything the caller might store.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/osapi_impl.h"

/* ---- client life ---- */

static void req_free(struct req *r)
{
	if (!r)
		return;
	if (r->easy) {
		curl_multi_remove_handle(r->api->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	free(r->path);
	free(r->url);
	free(r->body);
	free(r->microversion);
	sb_release(&r->resp);
	free(r->call.path);
	free(r);
}

struct osapi *osapi_new(const struct os_creds *creds, struct gb_err *err)
{
	static int curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			gb_errf(err, GB_EXIT_ENV, "libcurl failed to initialise");
			return NULL;
		}
		curl_ready = 1;
	}
	if (!creds->auth_url) {
		gb_errf(err, GB_EXIT_USAGE, "no auth_url in the credentials from %s",
			creds->source ? creds->source : "(unknown)");
		return NULL;
	}
	struct osapi *api = gb_calloc(1, sizeof(*api));
	api->urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (api->urandom < 0) {
		gb_errf(err, GB_EXIT_ENV, "/dev/urandom: cannot open: %s", strerror(errno));
		free(api);
		return NULL;
	}
	os_creds_copy(&api->creds, creds);
	api->opts = (struct osapi_opts){ .connect_timeout = 10, .timeout = 60, .max_retries = 3,
					 .retry_after_max = 10, .reauth_margin = 300 };
	api->multi = curl_multi_init();
	curl_multi_setopt(api->multi, CURLMOPT_MAXCONNECTS, 32L);
	api->identity_url = gb_strdup(creds->auth_url);
	size_t l = strlen(api->identity_url);
	while (l && api->identity_url[l - 1] == '/')
		api->identity_url[--l] = '\0';
	if (l >= 3 && !strcmp(api->identity_url + l - 3, "/v3"))
		api->identity_url[l - 3] = '\0';
	return api;
}

struct osapi_opts *osapi_options(struct osapi *api)
{
	return &api->opts;
}

void osapi_free(struct osapi *api)
{
	if (!api)
		return;
	for (struct req *r = api->active, *n; r; r = n) {
		n = r->next;
		req_free(r);
	}
	for (struct req *r = api->queue, *n; r; r = n) {
		n = r->next;
		req_free(r);
	}
	curl_multi_cleanup(api->multi);
	osapi_drop_token(api);
	json_decref(api->catalog);
	for (size_t i = 0; i < api->n_endpoints; i++)
		free(api->endpoints[i].url);
	free(api->endpoints);
	free(api->identity_url);
	osapi_calls_free(api->calls, api->n_calls);
	os_creds_free(&api->creds);
	close(api->urandom);
	free(api);
}

/* ---- asynchronous requests ---- */

int osapi_submit(struct osapi *api, const char *method, const char *service, const char *path,
		 json_t *body, osapi_done_fn done, void *ctx, struct gb_err *err)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc = osapi_submit_text(api, method, service, path, text, NULL, done, ctx, err);
	free(text);
	return rc;
}

int osapi_submit_text(struct osapi *api, const char *method, const char *service, const char *path,
		      const char *body_text, const char *microversion, osapi_done_fn done, void *ctx,
		      struct gb_err *err)
{
	if (strlen(method) >= sizeof(((struct req *)0)->method) ||
	    strlen(service) >= sizeof(((struct req *)0)->service) || path[0] != '/')
		return gb_errf(err, GB_EXIT_USAGE, "osapi: bad request %s %s %s", method, service, path);
	struct req *r = gb_calloc(1, sizeof(*r));
	r->api = api;
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->service, sizeof(r->service), "%s", service);
	r->path = gb_strdup(path);
	r->body = body_text ? gb_strdup(body_text) : NULL;
	r->microversion = microversion ? gb_strdup(microversion) : NULL;
	r->done = done;
	r->ctx = ctx;
	r->next = api->queue;
	api->queue = r;
	return 0;
}

static void unlink_req(struct req **list, struct req *r)
{
	for (struct req **p = list; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			r->next = NULL;
			return;
		}
}

/* Run r's callback with res and free r. */
static void finish(struct osapi *api, struct req *r, struct osapi_result *res)
{
	res->call = &r->call;
	if (r->done)
		r->done(r->ctx, res);
	api->n_done++;
	req_free(r);
}

static void fail_now(struct osapi *api, struct req *r, const struct gb_err *e, bool unknown)
{
	struct osapi_result res;
	memset(&res, 0, sizeof(res));
	res.failed = true;
	res.outcome_unknown = unknown;
	res.err = *e;
	finish(api, r, &res);
}

/* Start one attempt of r: token, URL, headers, a fresh request id. */
static void start(struct osapi *api, struct req *r)
{
	struct gb_err e = { 0 };
	const char *base;
	if (osapi_authenticate(api, &e) < 0 || osapi_endpoint(api, r->service, &base, &e) < 0) {
		fail_now(api, r, &e, false);
		return;
	}
	if (!r->url) {
		struct strbuf u = STRBUF_INIT;
		sb_addf(&u, "%s%s", base, r->path);
		r->url = sb_detach(&u);
	}
	free(r->call.path);
	memset(&r->call, 0, sizeof(r->call));
	if (osapi_new_request_id(api, r->call.request_id, &e) < 0) {
		fail_now(api, r, &e, false);
		return;
	}
	snprintf(r->call.method, sizeof(r->call.method), "%s", r->method);
	snprintf(r->call.service, sizeof(r->call.service), "%s", r->service);
	r->call.path = gb_strdup(osapi_url_path(r->url));
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	struct strbuf h = STRBUF_INIT;
	sb_addf(&h, "X-Auth-Token: %s", api->token);
	r->token_gen = api->token_gen;
	r->headers = curl_slist_append(r->headers, h.buf);
	explicit_bzero(h.buf, h.len);
	sb_reset(&h);
	sb_addf(&h, "X-OpenStack-Request-ID: %s", r->call.request_id);
	r->headers = curl_slist_append(r->headers, h.buf);
	sb_release(&h);
	r->headers = curl_slist_append(r->headers, "Accept: application/json");
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (r->body)
		r->headers = curl_slist_append(r->headers, "Content-Type: application/json");
	if (r->microversion) {
		const char *mv = r->microversion;
		bool has_service = strchr(mv, ' ') != NULL;
		sb_reset(&h);
		sb_addf(&h, "OpenStack-API-Version: %s%s%s", has_service ? "" : r->service,
			has_service ? "" : " ", mv);
		r->headers = curl_slist_append(r->headers, h.buf);
		if (!strcmp(r->service, "compute")) {
			sb_reset(&h);
			sb_addf(&h, "X-OpenStack-Nova-API-Version: %s", has_service ? strchr(mv, ' ') + 1 : mv);
			r->headers = curl_slist_append(r->headers, h.buf);
		}
		sb_release(&h);
	} else if (!strcmp(r->service, "compute")) {
		r->headers = curl_slist_append(r->headers,
			"OpenStack-API-Version: compute " OSAPI_COMPUTE_MICROVERSION);
		r->headers = curl_slist_append(r->headers,
			"X-OpenStack-Nova-API-Version: " OSAPI_COMPUTE_MICROVERSION);
	}
	sb_reset(&r->resp);
	r->is_too_big = false;
	r->server_rid[0] = '\0';
	r->retry_after = -1;
	r->x = (struct xfer){ &r->resp, &r->is_too_big, r->server_rid, &r->retry_after, NULL };
	r->easy = osapi_make_easy(api, r->method, r->url, r->body, r->headers, &r->x);
	if (!r->easy) {
		osapi_err(api, &e, GB_EXIT_ENV, "cannot create a curl handle");
		fail_now(api, r, &e, false);
		return;
	}
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	r->call.started = gb_wall();
	if (curl_multi_add_handle(api->multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		osapi_err(api, &e, GB_EXIT_ENV, "%s %s: curl refused the transfer", r->method, r->url);
		fail_now(api, r, &e, false);
		return;
	}
	r->next = api->active;
	api->active = r;
}

/* Put r back in the queue to be sent again at not_before. */
static void requeue(struct osapi *api, struct req *r, double delay)
{
	r->not_before = gb_now() + delay;
	r->next = api->queue;
	api->queue = r;
}

/* A transfer of r ended with curl code cc. */
static void complete(struct osapi *api, struct req *r, CURLcode cc)
{
	long status = 0;
	curl_off_t us = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &us);
	curl_multi_remove_handle(api->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	r->call.status = cc == CURLE_OK ? (int)status : 0;
	r->call.latency = us > 0 ? (double)us / 1e6 : gb_wall() - r->call.started;
	snprintf(r->call.server_request_id, sizeof(r->call.server_request_id), "%s", r->server_rid);
	osapi_log_call(api, &r->call);

	struct osapi_result res;
	memset(&res, 0, sizeof(res));
	res.status = r->call.status;
	bool idem = osapi_is_idempotent(r->method);
	if (cc != CURLE_OK) {
		osapi_transfer_error(api, cc, r->is_too_big, r->method, r->url, &res.err, &res.outcome_unknown);
		bool retriable = !r->is_too_big && cc != CURLE_FILESIZE_EXCEEDED;
		if (idem && retriable && r->n_retries < api->opts.max_retries) {
			r->n_retries++;
			requeue(api, r, 0.2 * r->n_retries);
			return;
		}
		res.failed = true;
		finish(api, r, &res);
		return;
	}
	if (status == 401) {
		if (!r->has_reauthed) {
			r->has_reauthed = true;
			if (r->token_gen == api->token_gen) /* not already replaced by another 401 */
				osapi_drop_token(api);
			requeue(api, r, 0);
			return;
		}
		res.failed = true;
		osapi_err(api, &res.err, GB_EXIT_ENV,
			"%s %s: 401 Unauthorized even after re-authenticating as the user from %s; "
			"check the user's roles on the project", r->method, r->url, api->creds.source);
		finish(api, r, &res);
		return;
	}
	if ((status == 409 || status == 429 || status == 503) && r->retry_after >= 0 && idem &&
	    r->n_retries < api->opts.max_retries) {
		r->n_retries++;
		double d = r->retry_after < api->opts.retry_after_max ? r->retry_after
								      : api->opts.retry_after_max;
		requeue(api, r, d);
		return;
	}
	json_error_t jerr;
	json_t *j = NULL;
	if (r->resp.len) {
		j = json_loadb(r->resp.buf, r->resp.len, 0, &jerr);
		if (!j && status >= 200 && status < 300) {
			res.failed = true;
			res.outcome_unknown = true;
			osapi_err(api, &res.err, GB_EXIT_ENV,
				"%s %s: malformed JSON in the %ld answer (line %d, column %d: %s)",
				r->method, r->url, status, jerr.line, jerr.column, jerr.text);
			finish(api, r, &res);
			return;
		}
	}
	res.json = j;
	if (status >= 400 || status < 200) {
		const char *m = osapi_error_message(j);
		res.failed = true;
		res.outcome_unknown = status >= 500;
		osapi_err(api, &res.err, GB_EXIT_ENV, "%s %s: %ld %s%s%s", r->method, r->url, status,
			osapi_reason((int)status), m ? ": " : "", m ? m : "");
	}
	finish(api, r, &res);
	json_decref(j);
}

size_t osapi_run(struct osapi *api, double max_wait)
{
	double deadline = gb_now() + (max_wait > 0 ? max_wait : 0);
	size_t done0 = api->n_done;
	if (!api->queue && !api->active) { /* nothing to drive: just let the time pass */
		if (max_wait > 0)
			usleep((useconds_t)(max_wait * 1e6));
		return 0;
	}
	for (;;) {
		/* start what is due */
		double now = gb_now(), next_due = deadline;
		struct req *due = NULL;
		for (struct req *r = api->queue, *n; r; r = n) {
			n = r->next;
			if (r->not_before <= now) {
				unlink_req(&api->queue, r);
				r->next = due;
				due = r;
			} else if (r->not_before < next_due) {
				next_due = r->not_before;
			}
		}
		while (due) {
			struct req *r = due;
			due = r->next;
			r->next = NULL;
			start(api, r);
		}
		int running = 0;
		curl_multi_perform(api->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(api->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct req *r = NULL;
			CURLcode cc = m->data.result;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			unlink_req(&api->active, r);
			complete(api, r, cc);
		}
		size_t pending = 0;
		next_due = deadline;
		for (struct req *r = api->queue; r; r = r->next) {
			pending++;
			if (r->not_before < next_due)
				next_due = r->not_before;
		}
		for (struct req *r = api->active; r; r = r->next)
			pending++;
		now = gb_now();
		if (api->n_done != done0 || pending == 0 || now >= deadline)
			return pending;
		if (api->queue && !api->active) {
			double w = (next_due < deadline ? next_due : deadline) - now;
			if (w > 0)
				usleep((useconds_t)(w * 1e6) + 1);
			continue;
		}
		double w = (next_due < deadline ? next_due : deadline) - now;
		int ms = (int)(w * 1000) + 1;
		curl_multi_poll(api->multi, NULL, 0, ms > 1000 ? 1000 : ms, NULL);
	}
}

/* ---- synchronous requests ---- */

struct sync_ctx {
	bool is_done;
	int status;
	json_t *json;
	bool failed;
	struct gb_err err;
};

static void sync_done(void *ctx, const struct osapi_result *res)
{
	struct sync_ctx *s = ctx;
	s->is_done = true;
	s->status = res->status;
	s->failed = res->failed;
	s->err = res->err;
	s->json = res->json ? json_incref(res->json) : NULL;
}

int osapi_request(struct osapi *api, const char *method, const char *service, const char *path,
		  json_t *body, json_t **resp, int *status, struct gb_err *err)
{
	struct sync_ctx s;
	memset(&s, 0, sizeof(s));
	if (resp)
		*resp = NULL;
	if (status)
		*status = 0;
	if (osapi_submit(api, method, service, path, body, sync_done, &s, err) < 0)
		return -1;
	while (!s.is_done)
		osapi_run(api, 1.0);
	if (status)
		*status = s.status;
	if (s.failed) {
		json_decref(s.json);
		if (err)
			*err = s.err;
		return -1;
	}
	if (resp)
		*resp = s.json;
	else
		json_decref(s.json);
	return 0;
}

/* ---- nova helpers ---- */

int osapi_find_server(struct osapi *api, const char *name, char *id, size_t id_size,
		      struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT;
	CURL *e = curl_easy_init();
	struct strbuf rx = STRBUF_INIT;
	sb_addch(&rx, '^');
	for (const char *p = name; *p; p++) { /* nova matches names as a regex */
		if (strchr(".^$*+?()[]{}|\\", *p))
			sb_addch(&rx, '\\');
		sb_addch(&rx, *p);
	}
	sb_addch(&rx, '$');
	char *q = e ? curl_easy_escape(e, rx.buf, (int)rx.len) : NULL;
	sb_addf(&path, "/servers?name=%s", q ? q : "");
	curl_free(q);
	curl_easy_cleanup(e);
	sb_release(&rx);
	json_t *j = NULL;
	int rc = osapi_request(api, "GET", "compute", path.buf, NULL, &j, NULL, err);
	sb_release(&path);
	if (rc < 0)
		return -1;
	id[0] = '\0';
	json_t *list = json_object_get(j, "servers"), *s;
	size_t i, n = 0;
	if (!json_is_array(list)) {
		json_decref(j);
		return gb_errf(err, GB_EXIT_ENV, "GET /servers?name=: no 'servers' list in the answer");
	}
	json_array_foreach(list, i, s) {
		const char *nm = json_string_value(json_object_get(s, "name"));
		const char *sid = json_string_value(json_object_get(s, "id"));
		if (!nm || !sid || strcmp(nm, name))
			continue;
		if (n++)
			break;
		snprintf(id, id_size, "%s", sid);
	}
	json_decref(j);
	if (n > 1)
		return gb_errf(err, GB_EXIT_ENV, "more than one server is named '%s'", name);
	return 0;
}

int osapi_delete_server(struct osapi *api, const char *id, struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "/servers/%s", id);
	int status = 0;
	int rc = osapi_request(api, "DELETE", "compute", path.buf, NULL, NULL, &status, err);
	sb_release(&path);
	return rc < 0 && status != 404 ? -1 : 0;
}

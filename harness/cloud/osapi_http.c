/*
 * osapi_http.c - the OpenStack client's transport under osapi.c and osapi_keystone.c: one
 * libcurl easy handle per attempt with the options every request shares, the header and
 * body callbacks, request ids, the request log, and errors as one sentence with the
 * password and token scrubbed out. Knows nothing of keystone or of the request engine
 * (transport -> keystone -> engine); never prints.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cloud/osapi_impl.h"

#define UA "greenbench/" GB_VERSION

/* ---- small helpers ---- */

/* Replace every occurrence of secret in msg by "***". */
static void scrub(char *msg, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	if (sl < 3) /* too short to tell from ordinary text; such secrets are not scrubbed */
		return;
	char *p;
	while ((p = strstr(msg, secret))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + sl, strlen(p + sl) + 1);
	}
}

int osapi_err(struct osapi *api, struct gb_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->exit_code = code;
	scrub(err->msg, api->creds.password);
	scrub(err->msg, api->token);
	return -1;
}

int osapi_random(struct osapi *api, unsigned char *out, size_t n, struct gb_err *err)
{
	while (n) {
		ssize_t r = read(api->urandom, out, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return gb_errf(err, GB_EXIT_ENV, "/dev/urandom: read failed: %s",
				       r < 0 ? strerror(errno) : "end of file");
		out += r;
		n -= (size_t)r;
	}
	return 0;
}

/* "req-" + a version 4 UUID. */
int osapi_new_request_id(struct osapi *api, char out[41], struct gb_err *err)
{
	unsigned char b[16];
	if (osapi_random(api, b, sizeof(b), err) < 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 41, "req-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

const char *osapi_reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 413: return "Request Entity Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "error";
	}
}

/* The human message inside an OpenStack error body: {"itemNotFound": {"message": ..}},
 * {"error": {"message": ..}}, {"NeutronError": {"message": ..}} or {"message": ..}. */
const char *osapi_error_message(json_t *j)
{
	if (!json_is_object(j))
		return NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	if (m)
		return m;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if ((m = json_string_value(json_object_get(v, "message"))))
			return m;
	}
	return NULL;
}

bool osapi_is_idempotent(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "DELETE") || !strcmp(method, "HEAD");
}

/* ---- the request log ---- */

void osapi_log_call(struct osapi *api, const struct osapi_call *c)
{
	if (api->n_calls == api->alloc_calls) {
		api->alloc_calls = api->alloc_calls ? 2 * api->alloc_calls : 64;
		api->calls = gb_realloc(api->calls, api->alloc_calls * sizeof(*api->calls));
	}
	struct osapi_call *d = &api->calls[api->n_calls++];
	*d = *c;
	d->path = gb_strdup(c->path ? c->path : "");
}

size_t osapi_take_calls(struct osapi *api, struct osapi_call **calls)
{
	size_t n = api->n_calls;
	*calls = api->calls;
	api->calls = NULL;
	api->n_calls = api->alloc_calls = 0;
	return n;
}

void osapi_calls_free(struct osapi_call *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(calls[i].path);
	free(calls);
}

/* The path and query of url (what we record): "http://h:1/compute/v2.1/x" -> "/compute/v2.1/x". */
const char *osapi_url_path(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "/";
}

/* ---- one curl transfer ---- */


static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	if (x->body->len + n > OSAPI_MAX_BODY) {
		*x->is_too_big = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	sb_add(x->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, klen;
	const char *colon = memchr(data, ':', n);
	if (n >= 5 && !strncmp(data, "HTTP/", 5)) { /* a new response (after 100): reset */
		x->server_rid[0] = '\0';
		*x->retry_after = -1;
		return n;
	}
	if (!colon)
		return n;
	klen = (size_t)(colon - data);
	const char *v = colon + 1, *end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	size_t vlen = (size_t)(end - v);
#define IS(name) (klen == strlen(name) && !strncasecmp(data, name, klen))
	if (IS("x-openstack-request-id") || (IS("x-compute-request-id") && !x->server_rid[0])) {
		size_t m = vlen < 63 ? vlen : 63;
		memcpy(x->server_rid, v, m);
		x->server_rid[m] = '\0';
	} else if (IS("retry-after")) {
		char tmp[32];
		size_t m = vlen < 31 ? vlen : 31;
		memcpy(tmp, v, m);
		tmp[m] = '\0';
		char *e;
		double s = strtod(tmp, &e);
		*x->retry_after = (e != tmp && s >= 0) ? s : 1; /* an HTTP-date: wait a second */
	} else if (IS("x-subject-token") && x->subject_token) {
		free(*x->subject_token);
		*x->subject_token = gb_strndup(v, vlen);
	}
#undef IS
	return n;
}

/* An easy handle for method url with the options every request shares. */
CURL *osapi_make_easy(struct osapi *api, const char *method, const char *url, const char *body,
		       struct curl_slist *headers, struct xfer *x)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, UA);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(api->opts.connect_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(api->opts.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OSAPI_MAX_BODY);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, api->creds.insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, api->creds.insecure ? 0L : 2L);
	if (api->creds.cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, api->creds.cacert);
	if (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	/* libcurl sends a request again, by itself, when a reused keep-alive connection closes
	 * before any answer (a service that hung up on an idle connection). For a POST that
	 * would be a second server: so a request that is not idempotent always gets a
	 * connection of its own, where a hang-up is reported (and looked into) instead. */
	if (!osapi_is_idempotent(method))
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	return e;
}

/* Turn a failed transfer into one sentence; *unknown says whether the request may
 * have reached the service. */
void osapi_transfer_error(struct osapi *api, CURLcode rc, bool is_too_big, const char *method,
			   const char *url, struct gb_err *err, bool *unknown)
{
	*unknown = true;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		*unknown = false;
		osapi_err(api, err, GB_EXIT_ENV, "%s %s: cannot connect (%s); is the service running?",
			method, url, curl_easy_strerror(rc));
		return;
	case CURLE_OPERATION_TIMEDOUT:
		osapi_err(api, err, GB_EXIT_ENV, "%s %s: no complete answer within %.3g s (timeout)",
			method, url, api->opts.timeout);
		return;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (is_too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			osapi_err(api, err, GB_EXIT_ENV, "%s %s: response body larger than %u MiB; refused",
				method, url, OSAPI_MAX_BODY >> 20);
			return;
		}
		break;
	case CURLE_PARTIAL_FILE:
		osapi_err(api, err, GB_EXIT_ENV, "%s %s: response truncated (connection closed early)",
			method, url);
		return;
	case CURLE_GOT_NOTHING:
		osapi_err(api, err, GB_EXIT_ENV, "%s %s: connection closed without a response",
			method, url);
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		*unknown = false;
		osapi_err(api, err, GB_EXIT_ENV, "%s %s: TLS verification failed (%s); give cacert "
			"or, to skip checks, insecure: true", method, url, curl_easy_strerror(rc));
		return;
	default:
		break;
	}
	osapi_err(api, err, GB_EXIT_ENV, "%s %s: %s", method, url, curl_easy_strerror(rc));
}

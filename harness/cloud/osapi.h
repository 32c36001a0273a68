/*
 * osapi.h - the OpenStack REST client: keystone v3 password auth with token reuse and one
 * re-auth on 401, service catalog lookup, and JSON requests over one libcurl multi handle
 * (many in flight from one thread). Every request carries our own X-OpenStack-Request-ID
 * and is recorded (struct osapi_call). Secrets never reach a message, a record or a log.
 */
#ifndef GB_OSAPI_H
#define GB_OSAPI_H

#include <stdbool.h>
#include <jansson.h>

#include "cloud/clouds.h"
#include "base/gb.h"

#define OSAPI_MAX_BODY (16u << 20)     /* a response body above this is an error */
#define OSAPI_COMPUTE_MICROVERSION "2.37"

struct osapi;

/* One HTTP request as sent and answered: what the store keeps per request. */
struct osapi_call {
	char request_id[41];        /* "req-<uuid4>" we sent as X-OpenStack-Request-ID */
	char method[8];             /* "GET", "POST", "DELETE", ... */
	char service[16];           /* catalog type: "compute", "image", "identity", ... */
	char *path;                 /* URL path and query, without scheme and host (owned) */
	int status;                 /* HTTP status; 0 when no response came (timeout, refused) */
	double started;             /* wall-clock seconds (epoch) when it was sent */
	double latency;             /* seconds from send to the last byte or the failure */
	char server_request_id[64]; /* the service's X-Openstack-Request-Id (or
				     * x-compute-request-id) response header; "" if none */
};

/* A completed request, as handed to an osapi_done_fn. Valid only during the callback. */
struct osapi_result {
	int status;               /* HTTP status of the last attempt; 0: no response */
	json_t *json;             /* parsed body (borrowed: incref to keep) or NULL if empty */
	bool failed;              /* transport error, bad body, or status >= 400 */
	bool outcome_unknown;     /* failed, but the service may have acted on it (timeout,
				   * reset, 5xx): never repeat a POST without looking first */
	struct gb_err err;        /* when failed: one sentence naming method and URL */
	const struct osapi_call *call; /* the record of the last attempt */
};

typedef void (*osapi_done_fn)(void *ctx, const struct osapi_result *res);

/* Tunables; osapi_new() sets the defaults shown. */
struct osapi_opts {
	double connect_timeout;  /* 10 s */
	double timeout;          /* 60 s for a whole request */
	int max_retries;         /* 3: GET/DELETE retries on transport errors and on
				  * 409/429/503 with Retry-After; POSTs are never retried here */
	double retry_after_max;  /* 10 s: a longer Retry-After is cut to this */
	double reauth_margin;    /* 300 s: re-authenticate this close to the token's expiry */
};

/* Make a client for creds (copied). No network traffic yet. NULL with err on failure.
 * The caller frees it with osapi_free(). */
struct osapi *osapi_new(const struct os_creds *creds, struct gb_err *err);
void osapi_free(struct osapi *api);

/* The tunables, to change before the first request. */
struct osapi_opts *osapi_options(struct osapi *api);

/* Get a token now (POST /v3/auth/tokens) unless the current one is good for longer than
 * reauth_margin. Requests call this themselves; it is public to fail early. */
int osapi_authenticate(struct osapi *api, struct gb_err *err);

/* The catalog URL (no trailing '/') of service type ("compute", "image", "placement",
 * "identity", "network") for the credentials' interface and region. *url is owned by api
 * and valid until osapi_free(). Authenticates if needed. */
int osapi_endpoint(struct osapi *api, const char *service_type, const char **url,
		   struct gb_err *err);

/*
 * Queue a request to <endpoint of service><path> (path starts with '/'). body (may be
 * NULL) is serialised now; the caller keeps its reference. done(ctx, result) runs from
 * osapi_run() once the request is finished, retries included. Returns 0, or -1 with err
 * (then done is never called).
 */
int osapi_submit(struct osapi *api, const char *method, const char *service, const char *path,
		 json_t *body, osapi_done_fn done, void *ctx, struct gb_err *err);

/* osapi_submit with a microversion: "2.55" is sent as "OpenStack-API-Version: <service>
 * 2.55" (compute also as X-OpenStack-Nova-API-Version); "placement 1.10" as written.
 * body_text is JSON text (or NULL), sent as it is. */
int osapi_submit_text(struct osapi *api, const char *method, const char *service, const char *path,
		      const char *body_text, const char *microversion, osapi_done_fn done, void *ctx,
		      struct gb_err *err);

/* Drive queued and in-flight requests: returns after at least one done callback ran, or
 * after max_wait seconds (when nothing is queued it just sleeps max_wait). Returns how
 * many requests are still queued or in flight. */
size_t osapi_run(struct osapi *api, double max_wait);

/*
 * One request, synchronously: 0 when the answer is 2xx (*resp, if resp is not NULL, gets
 * the parsed body or NULL; the caller json_decref()s it), -1 otherwise with err. *status
 * (if not NULL) gets the HTTP status either way (0: no response). Must not be called
 * from inside a done callback.
 */
int osapi_request(struct osapi *api, const char *method, const char *service, const char *path,
		  json_t *body, json_t **resp, int *status, struct gb_err *err);

/* Every request record so far is moved to *calls (the caller frees them with
 * osapi_calls_free); returns the count. */
size_t osapi_take_calls(struct osapi *api, struct osapi_call **calls);
void osapi_calls_free(struct osapi_call *calls, size_t n);

/* Fill out with n random bytes from /dev/urandom. */
int osapi_random(struct osapi *api, unsigned char *out, size_t n, struct gb_err *err);

/* ---- nova helpers (synchronous) ---- */

/* The id of the server named exactly `name` into id (size >= 64), or "" when there is
 * none. More than one is an error. */
int osapi_find_server(struct osapi *api, const char *name, char *id, size_t id_size,
		      struct gb_err *err);

/* DELETE /servers/<id>; a 404 counts as success (already gone). Does not wait. */
int osapi_delete_server(struct osapi *api, const char *id, struct gb_err *err);

#endif

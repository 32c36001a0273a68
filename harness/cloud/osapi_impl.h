/*
 * osapi_impl.h - private to osapi_http.c (transport), osapi_keystone.c and osapi.c (the
 * engine): the client's insides. No other part includes this; they use osapi.h. Nothing here may expose the token or password.
 */
#ifndef GB_OSAPI_IMPL_H
#define GB_OSAPI_IMPL_H

#include <curl/curl.h>

#include "cloud/osapi.h"

/* Where the curl callbacks of one transfer write. */
struct xfer {
	struct strbuf *body;
	bool *is_too_big;
	char *server_rid;       /* [64] */
	double *retry_after;
	char **subject_token;   /* auth only, else NULL */
};

/* A queued or in-flight request (one per osapi_submit, reused across its attempts). */
struct req {
	struct osapi *api;
	CURL *easy;                /* NULL while queued */
	struct curl_slist *headers;
	char method[8];
	char service[16];
	char *path;                /* as submitted: "/servers/<id>" */
	char *url;                 /* endpoint + path, set at the first attempt */
	char *body;                /* serialised request body or NULL */
	char *microversion;        /* "2.55" / "placement 1.10" to send, or NULL: the default */
	struct strbuf resp;        /* response body */
	bool is_too_big;           /* the body passed OSAPI_MAX_BODY */
	char server_rid[64];       /* X-Openstack-Request-Id / x-compute-request-id */
	double retry_after;        /* seconds from Retry-After, -1 if absent */
	int n_retries;             /* retries done (transport errors, Retry-After) */
	bool has_reauthed;         /* 401 already answered by one re-auth */
	unsigned token_gen;        /* api->token_gen the attempt was sent with */
	double not_before;         /* monotonic time before which it must not be (re)sent */
	struct osapi_call call;    /* record of the current attempt */
	struct xfer x;             /* where the curl callbacks write */
	osapi_done_fn done;
	void *ctx;
	struct req *next;          /* in api->queue or api->active */
};

/* A catalog lookup kept for the life of the client. */
struct endpoint {
	char type[32];
	char *url;
};

struct osapi {
	struct os_creds creds;     /* a copy; wiped on free */
	struct osapi_opts opts;
	CURLM *multi;
	char *token;               /* X-Auth-Token; secret */
	unsigned token_gen;        /* bumped at each new token */
	double token_expires;      /* wall clock; 0 unknown */
	json_t *catalog;           /* token.catalog of the last auth */
	char *identity_url;        /* auth_url without a trailing /v3 */
	struct endpoint *endpoints;
	size_t n_endpoints;
	struct req *queue;         /* waiting to be (re)sent */
	struct req *active;        /* in the multi handle */
	size_t n_done;             /* callbacks run, for osapi_run */
	struct osapi_call *calls;  /* the request log */
	size_t n_calls, alloc_calls;
	int urandom;               /* fd of /dev/urandom */
};

/* One sentence into err (if not NULL), the password and token scrubbed out; returns -1. */
int osapi_err(struct osapi *api, struct gb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "req-" + a version 4 UUID into out. */
int osapi_new_request_id(struct osapi *api, char out[41], struct gb_err *err);
/* An easy handle with the options every request shares (timeouts, TLS, size cap). */
CURL *osapi_make_easy(struct osapi *api, const char *method, const char *url, const char *body,
		      struct curl_slist *headers, struct xfer *x);
/* A failed transfer as one sentence; *unknown: the service may have acted on it. */
void osapi_transfer_error(struct osapi *api, CURLcode rc, bool is_too_big, const char *method,
			  const char *url, struct gb_err *err, bool *unknown);
/* Append a copy of c to the request log. */
void osapi_log_call(struct osapi *api, const struct osapi_call *c);
/* The path and query of url, without scheme and host. */
const char *osapi_url_path(const char *url);
/* The human message inside an OpenStack error body, or NULL. */
const char *osapi_error_message(json_t *j);
/* "Not Found" for 404, ... */
const char *osapi_reason(int status);
/* GET, DELETE and HEAD may be sent again; anything else (POST, PUT, PATCH) may not. */
bool osapi_is_idempotent(const char *method);
/* Forget the token (wiped). */
void osapi_drop_token(struct osapi *api);

#endif

/*
 * workload.h - the server-create workload: create_servers steps fired through osapi
 * (count, concurrency, image/flavor/network by name or id), wait for ACTIVE or ERROR,
 * delete and wait for 404, with a record per server. Everything it creates is deleted,
 * whatever happens; every server it creates is announced to the caller first.
 */
#ifndef GB_WORKLOAD_H
#define GB_WORKLOAD_H

#include <signal.h>
#include <stdbool.h>

#include "base/gb.h"
#include "cloud/osapi.h"
#include "scenario/scenario.h"

#define WORKLOAD_POLL_INTERVAL 0.25 /* seconds between GET /servers/<id> of one server */

/* How a server's life in the workload ended. */
enum workload_outcome {
	WL_NOT_STARTED = 0, /* never created (interrupted before its turn) */
	WL_OK,              /* reached `wait` (ACTIVE) and, if asked, was deleted */
	WL_SERVER_ERROR,    /* nova put it in ERROR; fault holds nova's fault message */
	WL_TIMEOUT,         /* did not reach `wait` within the step's timeout */
	WL_API_ERROR,       /* a request failed (refused create, lost server...); see fault */
	WL_INTERRUPTED,     /* the interrupt flag stopped it (it was still deleted) */
};

/* "ok", "server_error", "timeout", "api_error", "interrupted", "not_started". */
const char *workload_outcome_name(enum workload_outcome o);

/* One server of a step: what the store keeps per server. Times are seconds; -1: never. */
struct workload_server {
	char name[96];               /* unique: <prefix>-<8 hex>-r<repeat>-<index> */
	char id[64];                 /* nova's id; "" if no server was ever created */
	char create_request_id[41];  /* X-OpenStack-Request-ID of the POST that created it:
				      * the id the profiler's dumps are named by */
	int repeat_index;            /* as passed to workload_create_servers */
	int index;                   /* 0..count-1 within the step */
	double started;              /* wall clock (epoch s) when the create POST was sent */
	double post_latency;         /* POST sent -> answer */
	double time_to_active;       /* POST sent -> first poll that saw ACTIVE (or ERROR) */
	double time_to_deleted;      /* DELETE sent -> first 404 */
	char status[16];             /* nova's status when the wait ended: "ACTIVE", "ERROR", or
				      * the last one seen ("BUILD") on a timeout; "" if never seen */
	enum workload_outcome outcome;
	char *fault;                 /* nova's fault message or our error sentence; NULL if ok */
	bool is_deleted;             /* nothing left behind: seen gone (404) or never created */
	int n_posts;                 /* create POSTs sent for it (a second only after a lookup
				      * by name proved the first created nothing) */
};

/* What one workload_create_servers call did. Owned by the caller: workload_result_free. */
struct workload_result {
	struct workload_server *servers; /* count entries, in index order */
	size_t n_servers;
	struct osapi_call *calls;        /* every HTTP request made through the client since
					  * the previous osapi_take_calls(), auth included */
	size_t n_calls;
	size_t n_ok, n_failed;           /* outcome WL_OK / anything else that was started */
	size_t n_leaked;                 /* servers that should be gone but may still exist */
	bool was_interrupted;
	double started, finished;        /* wall clock */
};

/* Callbacks into the run. All optional (NULL). They run inside the workload's loop and
 * must not call osapi_* themselves. */
struct workload_hooks {
	void *ctx;
	/* Before a create POST is sent, with the server's unique name (journal it: a crash
	 * between POST and answer leaves a server findable by name). Non-zero: the POST is
	 * not sent and the workload stops (deleting what exists). */
	int (*on_server_requested)(void *ctx, const char *name);
	/* As soon as a server's id is known (before anything else happens to it). Non-zero:
	 * the workload stops (still deleting everything). */
	int (*on_server_created)(void *ctx, const char *id, const char *name);
	/* When a server is proven gone (404 after DELETE). */
	void (*on_server_deleted)(void *ctx, const char *id, const char *name);
	/* Non-zero stops the workload early: no new creates, then everything is deleted. */
	volatile sig_atomic_t *interrupted;
	double poll_interval;            /* 0: WORKLOAD_POLL_INTERVAL */
};

/*
 * Run one create_servers step (its repeat `repeat_index`): resolve image, flavor and
 * network, keep step->concurrency servers in their create -> ACTIVE -> delete -> gone life
 * at once until step->count were done. Per-server failures (ERROR, timeouts, refused
 * creates) are recorded in *out and do not fail the call. Returns -1 with err when the
 * step could not run (unknown image or flavor, auth failure), when it was interrupted
 * (err->exit_code GB_EXIT_INTERRUPTED), or when a server could not be deleted (ids are in
 * out->servers with is_deleted false). *out is filled in every case; free it with
 * workload_result_free(). With step->do_delete false, servers that reached ACTIVE stay
 * (is_deleted false, not counted as leaked): the caller deletes them later with
 * workload_cleanup_servers(). concurrency counts whole server lives (create, wait,
 * delete, gone), like Rally's boot_and_delete iterations. A server whose POST timed out
 * is looked up by name until it appears (then deleted) or step->timeout has passed since
 * the POST failed, so a call can take up to that long after the last server's life.
 */
int workload_create_servers(struct osapi *api, const struct sc_step *step, int repeat_index,
			    const struct workload_hooks *hooks, struct workload_result *out,
			    struct gb_err *err);

void workload_result_free(struct workload_result *res);

/*
 * Delete servers (e.g. leftovers from a journal) concurrently and wait until each answers
 * 404, for at most timeout seconds. Each entry is a server id (a UUID) or the unique name a
 * create was journaled under before its POST (looked up first; no such server counts as
 * deleted). Already-gone ids count as deleted. Returns 0, or -1 with err listing those
 * still present (or whose name could not be looked up).
 */
int workload_cleanup_servers(struct osapi *api, const char *const *ids, size_t n,
			     double timeout, struct gb_err *err);

#endif

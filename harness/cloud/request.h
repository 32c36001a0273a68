/*
 * request.h - the `request:` workload step: any REST request (method, catalog service,
 * path and body with placeholders, microversion) sent count times, concurrency at once or
 * at a constant rate, with its answers checked against the expected status. What a step
 * creates is announced to the caller before and after its POST and deleted by
 * request_cleanup(); never repeats a POST.
 */
#ifndef GB_REQUEST_H
#define GB_REQUEST_H

#include <signal.h>
#include <stdbool.h>

#include "base/gb.h"
#include "cloud/osapi.h"
#include "scenario/scenario.h"

/* One resource a request step created. */
struct request_resource {
	char service[16];
	char *delete_path;  /* "/flavors/<id>" (owned) */
	char *name;         /* the {name} of the request that created it (owned) */
	bool is_deleted;
};

/* The ids an `as:` step created, for the placeholders of later steps. */
struct request_idset {
	char *as;
	char **ids;
	size_t n;
};

/* What request steps of one repeat created, until request_cleanup(). Zero it to start;
 * request_state_free() releases it. */
struct request_state {
	char tag[9];                     /* 8 hex, random per state: unique names */
	struct request_resource *res;
	size_t n_res;
	struct request_idset *sets;
	size_t n_sets;
	size_t n_leaked;                 /* created, but no id was found to delete it by */
};

/* Callbacks into the run (all optional). They must not call osapi_*. */
struct request_hooks {
	void *ctx;
	/* Before a POST/PUT of a step that creates (journal the name, the delete path with
	 * "{id}" still in it, and the step's find path or ""). Non-zero: not sent, the step
	 * stops. */
	int (*on_requested)(void *ctx, const char *service, const char *delete_tmpl,
			    const char *find, const char *name);
	/* As soon as the delete path is known. Non-zero: the step stops. */
	int (*on_created)(void *ctx, const char *service, const char *delete_path, const char *name);
	/* When a resource's DELETE was answered 2xx or 404. */
	void (*on_deleted)(void *ctx, const char *service, const char *delete_path);
	/* One progress line per second of the step, e.g. "37/100 requests" (may be NULL). */
	void (*on_progress)(void *ctx, size_t done, size_t total);
	volatile sig_atomic_t *interrupted;
};

/* What one request_step_run did. calls: every HTTP request since the previous
 * osapi_take_calls() (the caller frees them with osapi_calls_free). */
struct request_result {
	size_t n_sent;          /* requests sent (pages included) */
	size_t n_expected;      /* answered with the expected status */
	size_t n_unexpected;    /* any other answer, or none */
	size_t n_late;          /* rate: sent more than half a period after their time */
	double started, finished;
	char first_error[1100];  /* the first unexpected answer, as a sentence; "" if none */
	struct osapi_call *calls;
	size_t n_calls;
};

/*
 * Run a request step (index: its place in the workload, for messages; repeat: for
 * {repeat}). Unexpected answers are counted in *out and do not fail the call. Returns -1
 * with err when the step could not run (a placeholder with no ids, a hook's refusal, an
 * interrupt: err->exit_code GB_EXIT_INTERRUPTED). *out is filled in every case.
 */
int request_step_run(struct osapi *api, const struct sc_step *step, size_t index, int repeat,
		     struct request_state *st, const struct request_hooks *hooks,
		     struct request_result *out, struct gb_err *err);

/*
 * Delete every resource in st not yet deleted, newest first, `concurrency` at once; a
 * 404 counts as deleted. Returns 0, or -1 with err naming those left. The requests are
 * added to *out (n_sent, calls). Also runs after an interrupt.
 */
int request_cleanup(struct osapi *api, struct request_state *st, int concurrency,
		    const struct request_hooks *hooks, struct request_result *out,
		    struct gb_err *err);

void request_result_release(struct request_result *r);
void request_state_free(struct request_state *st);

#endif

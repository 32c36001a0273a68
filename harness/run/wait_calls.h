/*
 * wait_calls.h - the wait_calls workload step: wait until a profiled target has been called
 * `count` more times (its dumps appearing in the run's dump directory, whatever their
 * request id), then hand those dumps to the runner. Never prints, never exits.
 */
#ifndef GB_WAIT_CALLS_H
#define GB_WAIT_CALLS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"
#include "profile/collect.h"

/* The dump file names a run has taken already, so no dump is counted twice. */
struct dump_seen {
	char **names; /* owned */
	size_t n;
};

void dump_seen_add(struct dump_seen *s, const char *name);
void dump_seen_free(struct dump_seen *s);

struct wait_calls_req {
	const char *dir;    /* the run's dump directory */
	const char *target; /* "module:Qual.name" */
	const char *where;  /* "scenario.yaml:14: workload[1].wait_calls", starts every error */
	int count;          /* dumps to wait for */
	double timeout;     /* seconds */
	double poll;        /* seconds between looks at the directory (0: 0.2) */
	/* called when the number of new dumps changes; may be NULL */
	void (*progress)(void *arg, size_t seen, int count);
	void *arg;
};

/*
 * Wait for rq->count dumps of rq->target that were not in the directory when the call
 * began and are not in *seen (the unit's start-up call, earlier repeats), then read them
 * into out: the first `count` by sequence number, each added to *seen. On timeout or
 * interrupt, returns -1 with "WHERE: 1 of 3 calls of TARGET within 60 s; ..." and reads
 * nothing. The caller frees out with collect_result_release().
 */
int wait_calls_run(const struct wait_calls_req *rq, struct dump_seen *seen, struct collect_result *out,
		   struct gb_err *err);

#endif

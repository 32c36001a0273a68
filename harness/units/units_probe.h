/*
 * units_probe.h - one attempt of a unit's readiness probe: TCP accepts, HTTP
 * answers 2xx (or 300, a version document), an RPC queue has a consumer.
 * Loopback only; units.c loops over these until ready_timeout.
 */
#ifndef GB_UNITS_PROBE_H
#define GB_UNITS_PROBE_H

#include <stdbool.h>

#include "base/gb.h"

/* "127.0.0.1:PORT" (or localhost:, [::1]:) accepts a connection within 1 s. */
bool units_probe_tcp(const char *target);

/* "http://127.0.0.1:PORT/PATH" answers a GET with 2xx or 300 within 2 s;
 * why gets "last answer: HTTP NNN" when it answered at all. */
bool units_probe_http(const char *url, struct strbuf *why);

/* `rabbitmqctl -q list_queues name consumers` lists queue with >= 1
 * consumer (*ok). Fails only if rabbitmqctl could not be run; why says what
 * was seen. */
int units_probe_rpc(const char *rabbitmqctl, const char *queue, bool *ok, struct strbuf *why,
		    struct gb_err *err);

#endif

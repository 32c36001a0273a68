/*
 * scenario_workload.h - the `workload:` list of a scenario: its steps (create_servers,
 * wait_calls) parsed and checked against the rest of the scenario. Internal to
 * scenario/ (scenario.c calls it); never touches the host.
 */
#ifndef GB_SCENARIO_WORKLOAD_H
#define GB_SCENARIO_WORKLOAD_H

#include "scenario/scenario_read.h"
#include "base/yamltree.h"

/* Parse the workload list n into c->sc->steps; one error naming file:line:col: field. */
int scenario_parse_workload(struct sc_ctx *c, const struct yt_node *n);

/* Once the whole file is parsed: tie each wait_calls step to its profile target (by its
 * full name or its function name). n is the workload list, for the error's position. */
int scenario_link_workload(struct sc_ctx *c, const struct yt_node *n);

#endif

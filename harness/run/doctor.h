/*
 * doctor.h - `greenbench doctor`'s checks: what a run needs on this host (the
 * services' interpreter and greenprof, tools, state dir and journal, store,
 * cloud credentials and catalog, units and their readiness). Only looks and
 * probes (loopback only): never changes the host, never prints.
 */
#ifndef GB_DOCTOR_H
#define GB_DOCTOR_H

#include <stddef.h>

#include "base/gb.h"

enum doctor_status { DOCTOR_OK = 0, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor_check {
	char *name;                /* "interpreter", "tool git", "unit n-sch", ... */
	enum doctor_status status;
	char *detail;              /* what was found and, unless ok, what to do */
};

struct doctor_report {
	struct doctor_check *checks; /* in the order they ran; owned */
	size_t n_checks;
	size_t alloc;
};

struct doctor_opts {
	const char *cloud;      /* clouds.yaml entry; NULL: $OS_CLOUD or OS_* */
	const char *units_file; /* NULL: systemd backend, no units to probe */
	const char *state_dir;  /* NULL: journal_state_dir's default */
	const char *db;         /* NULL: store_default_path's default */
	/* Called as each check finishes (may be NULL), so a CLI can print as it goes. */
	void (*progress)(void *arg, const struct doctor_check *c);
	void *arg;
};

/* Run every check into r (start from a zeroed report). Never fails: a check
 * that cannot be made is itself a WARN or FAIL. Free r with doctor_report_free. */
void doctor_run(const struct doctor_opts *o, struct doctor_report *r);
void doctor_report_free(struct doctor_report *r);

/* How many checks of r have status s. */
size_t doctor_count(const struct doctor_report *r, enum doctor_status s);

/* "ok", "WARN", "FAIL". */
const char *doctor_status_word(enum doctor_status s);

#endif

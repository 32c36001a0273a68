/*
 * hostchange_int.h - what hostchange.c (begin, end) and hostchange_steps.c (the
 * steps) share: the run's host-change state. Not for other parts (they use
 * hostchange.h).
 */
#ifndef GB_HOSTCHANGE_INT_H
#define GB_HOSTCHANGE_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "host/hostchange.h"
#include "host/journal.h"
#include "host/localconf.h"
#include "host/patch.h"
#include "units/units.h"
#include "units/unitsfile.h"

#define CONF_MAX (16u << 20)

/* The new content of one config file, computed before anything changes. */
struct file_change {
	char *path;           /* resolved absolute path */
	struct strbuf content;
	bool existed;
	unsigned mode;        /* of the existing file, 0644 for a new one */
	bool changed;         /* content differs from what is there */
	size_t n_settings;
};

struct hostchange {
	const struct scenario *sc;
	struct hostchange_opts opts;
	char *state_dir;
	int lock_fd;
	char *run_id;
	char *dumps_dir;
	uid_t dumps_uid;        /* the profiled services' user: owns dumps_dir and the dumps */
	struct unitsfile *uf;
	char *units_file;       /* absolute, or NULL */
	enum sc_backend backend;
	struct units *units;
	struct journal *j;
	struct localconf_vars vars;
	struct file_change *files;
	size_t n_files;
	struct patch_info *patches;
	size_t n_patches;
	int fake_target;        /* -1: leave alone */
	int fake_existing;      /* fake computes the units file already lists */
	char **restart;         /* sc->restart, then profiled units not in it */
	size_t n_restart;
	struct hostchange_timing *timings;
	size_t n_timings;
};

/* One progress line through o->progress (nothing if o or it is NULL). */
void hostchange_say(const struct hostchange_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record how long a step (or part of one) took, for the run's summary. */
void hostchange_add_timing(struct hostchange *hc, const char *name, double secs);

#endif

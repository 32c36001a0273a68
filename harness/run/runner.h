/*
 * runner.h - one whole `greenbench run`: host changes (hostchange), the API
 * workload per repeat (workload), dump collection (collect), the SLA checks,
 * the store (one transaction), and the restore. `run`, `ab` and `nightly` call
 * it; it never prints (progress goes through a callback) and never exits.
 */
#ifndef GB_RUNNER_H
#define GB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"
#include "scenario/scenario.h"

struct runner_opts {
	const char *cloud;        /* --os-cloud / --cloud: overrides the scenario's cloud */
	const char *units_file;   /* --units: overrides the scenario's units.file */
	const char *state_dir;    /* --state-dir */
	const char *const *vars;  /* --var NAME=PATH */
	size_t n_vars;
	const char *const *extra_patches; /* patch files added to the scenario's (ab's B side) */
	size_t n_extra_patches;
	const char *patch_tree;   /* tree for extra_patches (NULL: as the scenario's patches) */
	const struct sc_setting *extra_settings; /* config settings added after the scenario's
						    (ab --b-config), journaled like them */
	size_t n_extra_settings;
	const char *const *extra_env; /* "NAME=VALUE" for the profiled units (ab --b-env) */
	size_t n_extra_env;
	bool force;               /* patch over uncommitted changes */
	bool dry_run;             /* check and say what would change; no cloud, no store */
	bool insecure;            /* don't verify TLS */
	const char *cacert;       /* CA bundle */
	const char *db;           /* --db; NULL: the default store */
	const char *label;        /* run label, NULL for none */
	long long ab_id;          /* 0: not part of an A/B experiment */
	bool is_baseline;
	bool keep_dumps;          /* --keep-dumps: keep <state>/runs/<id>/ after the store */
	/* one progress line (no newline), e.g. "restarting n-sch... ready in 4.1 s" */
	void (*progress)(void *arg, const char *line);
	void *progress_arg;
	/* a status line that the next one replaces ("repeat 1/3: 7/10 servers done"), for
	 * a terminal; NULL: none. Same arg as progress. */
	void (*live)(void *arg, const char *line);
	bool verbose;             /* progress also gets one line per HTTP request */
};

struct runner_sla {
	char metric[96];
	double value, limit; /* value NAN when it could not be computed */
	bool is_max;         /* limit is a maximum (else a minimum) */
	bool passed;
};

struct runner_result {
	long long run_id;        /* 0 when nothing was stored */
	const char *status;      /* "ok", "failed", "interrupted" */
	size_t n_servers, n_active, n_errors;
	size_t n_step_requests;  /* requests sent by request steps (pages and deletes too) */
	size_t n_unexpected;     /* of those, answered otherwise than expected (in n_errors) */
	size_t n_profiles;       /* dumps collected and stored */
	size_t n_dump_problems;  /* dumps refused or missing */
	struct runner_sla *slas;
	size_t n_slas;
	size_t n_sla_failed;
	double secs;             /* wall time of the run */
	struct strbuf summary;   /* human summary lines (timings, latencies, dumps, SLAs) */
};

/*
 * Run sc once (all its repeats) with o. Returns 0 when the run completed and
 * was stored (SLA failures are in res, not an error), -1 with err filled
 * otherwise (err->exit_code: 2 bad input, 3 environment, 4 interrupted). The
 * host is restored in every case where that is possible; when it is not, err
 * says so. The caller frees res with runner_result_release.
 */
int runner_run(const struct scenario *sc, const struct runner_opts *o, struct runner_result *res,
	       struct gb_err *err);
void runner_result_release(struct runner_result *res);

#endif

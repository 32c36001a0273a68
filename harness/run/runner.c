/*
 * runner.c - one whole run: check the store and the cloud before touching the
 * host, then hostchange (journaled) -> workload per repeat (servers journaled
 * before their POST) -> collect the profiler's dumps -> restore -> SLA checks ->
 * store (one transaction). Never prints (progress callback), never exits.
 */
#include "run/runner.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "cloud/cleanup.h"
#include "cloud/clouds.h"
#include "profile/collect.h"
#include "profile/dumpdir.h"
#include "host/hostchange.h"
#include "host/journal.h"
#include "cloud/osapi.h"
#include "base/proc.h"
#include "run/rundumps.h"
#include "judge/compare.h"
#include "judge/stats.h"
#include "store/store.h"
#include "cloud/request.h"
#include "cloud/workload.h"
#include "run/wait_calls.h"

/* How long to wait for dumps still being written after a repeat's servers are done. */
#define RUNNER_DUMP_WAIT 10.0

/* Everything one run carries between its steps. */
struct run_ctx {
	const struct scenario *sc;   /* the effective scenario (overrides applied) */
	const struct runner_opts *o;
	struct hostchange *hc;
	struct osapi *api;           /* NULL when the workload is empty */
	const char *cloud_name;      /* for journal server records ("" for inline/env auth) */
	struct run_record *rec;
	struct runner_result *res;
	struct gb_err hook_err;      /* the first journal error of a workload hook */
	bool has_hook_err;
	int live_repeat;             /* for the live line: repeat shown, servers done, of how many */
	size_t live_done, live_total;
	/* per profile target (index into sc->profiles), one sample per profiled call */
	size_t *n_target_ct;                /* samples so far */
	double **target_samples_by_profile; /* the target's cumtime in each dump */
	double **target_tt, **target_nc;    /* its tottime and ncalls (tt NAN: not in the dump) */
	struct dump_seen seen;              /* dump names already stored, never counted twice */
};

static void say(const struct run_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct run_ctx *c, const char *fmt, ...)
{
	if (!c->o->progress)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->o->progress(c->o->progress_arg, line);
}

/* ---- workload hooks: every server is journaled before it can exist ---- */

/* Keep the first journal error of a hook for the step (the workload only hears "stop"). */
static int hook_result(struct run_ctx *c, int rc, const struct gb_err *e)
{
	if (rc != 0 && !c->has_hook_err) {
		c->hook_err = *e;
		c->has_hook_err = true;
	}
	return rc;
}

static int hook_requested(void *ctx, const char *name)
{
	struct run_ctx *c = ctx;
	struct journal *j = hostchange_journal(c->hc);
	struct gb_err err = { GB_EXIT_ENV, "" };
	return j ? hook_result(c, journal_add_server(j, c->cloud_name, "", name, &err), &err) : 0;
}

static int hook_created(void *ctx, const char *id, const char *name)
{
	struct run_ctx *c = ctx;
	struct journal *j = hostchange_journal(c->hc);
	struct gb_err err = { GB_EXIT_ENV, "" };
	return j ? hook_result(c, journal_add_server(j, c->cloud_name, id, name, &err), &err) : 0;
}

static void hook_deleted(void *ctx, const char *id, const char *name)
{
	struct run_ctx *c = ctx;
	struct journal *j = hostchange_journal(c->hc);
	struct gb_err err = { GB_EXIT_ENV, "" };
	(void)name;
	if (j)
		hook_result(c, journal_server_gone(j, id, &err), &err);
	if (c->o->live) {
		char line[128];
		snprintf(line, sizeof(line), "repeat %d/%d: %zu/%zu servers created, ACTIVE and deleted",
			 c->live_repeat + 1, c->sc->repeat, ++c->live_done, c->live_total);
		c->o->live(c->o->progress_arg, line);
	}
}

/* ---- request hooks: every resource is journaled before it can exist ---- */

static int rhook_requested(void *ctx, const char *service, const char *delete_tmpl,
			   const char *find, const char *name)
{
	struct run_ctx *c = ctx;
	struct journal *j = hostchange_journal(c->hc);
	struct gb_err err = { GB_EXIT_ENV, "" };
	return j ? hook_result(c, journal_add_resource(j, c->cloud_name, service, delete_tmpl, find,
						       name, &err), &err) : 0;
}

static int rhook_created(void *ctx, const char *service, const char *delete_path, const char *name)
{
	struct run_ctx *c = ctx;
	struct journal *j = hostchange_journal(c->hc);
	struct gb_err err = { GB_EXIT_ENV, "" };
	return j ? hook_result(c, journal_add_resource(j, c->cloud_name, service, delete_path, "",
						       name, &err), &err) : 0;
}

static void rhook_deleted(void *ctx, const char *service, const char *delete_path)
{
	struct run_ctx *c = ctx;
	struct journal *j = hostchange_journal(c->hc);
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (j)
		hook_result(c, journal_resource_gone(j, service, delete_path, &err), &err);
}

static void rhook_progress(void *ctx, size_t done, size_t total)
{
	struct run_ctx *c = ctx;
	if (c->o->live) {
		char line[128];
		snprintf(line, sizeof(line), "repeat %d/%d: %zu/%zu requests answered", c->live_repeat + 1,
			 c->sc->repeat, done, total);
		c->o->live(c->o->progress_arg, line);
	}
}

/* ---- collecting the dumps of one repeat ---- */

static void add_target_sample(struct run_ctx *c, size_t ti, const struct pstats *ps)
{
	const struct scenario *sc = c->sc;
	long fi = pstats_find_target(ps, sc->profiles[ti].target);
	double ct, tt, nc;
	if (fi >= 0) {
		ct = ps->funcs[fi].ct;
		tt = ps->funcs[fi].tt;
		nc = (double)ps->funcs[fi].nc;
	} else { /* the dump started inside the call: its total is the call */
		struct pstats_totals t;
		pstats_totals(ps, &t);
		ct = t.total_tt;
		tt = NAN;
		nc = 1;
	}
	size_t n = c->n_target_ct[ti]++;
	c->target_samples_by_profile[ti] =
		gb_realloc(c->target_samples_by_profile[ti], (n + 1) * sizeof(double));
	c->target_tt[ti] = gb_realloc(c->target_tt[ti], (n + 1) * sizeof(double));
	c->target_nc[ti] = gb_realloc(c->target_nc[ti], (n + 1) * sizeof(double));
	c->target_samples_by_profile[ti][n] = ct;
	c->target_tt[ti][n] = tt;
	c->target_nc[ti][n] = nc;
}

static long target_index(const struct scenario *sc, const char *target)
{
	for (size_t i = 0; i < sc->n_profiles; i++)
		if (!strcmp(sc->profiles[i].target, target))
			return (long)i;
	return -1;
}

/* Store the dumps of cr for repeat, one target sample each; returns how many were stored. */
static size_t record_dumps(struct run_ctx *c, int repeat, const struct collect_result *cr)
{
	size_t added = 0;
	for (size_t i = 0; i < cr->n_dumps; i++) {
		struct collect_dump *d = &cr->dumps[i];
		struct gb_err perr = { 0, "" };
		const char *slash = strrchr(d->path, '/');
		dump_seen_add(&c->seen, slash ? slash + 1 : d->path);
		if (run_record_add_profile(c->rec, repeat, d->target, d->request_id, d->pid, d->raw,
					   d->raw_len, &perr) != 0) {
			say(c, "collect: %s", perr.msg);
			c->res->n_dump_problems++;
			continue;
		}
		long ti = target_index(c->sc, d->target);
		if (ti >= 0)
			add_target_sample(c, (size_t)ti, d->stats);
		added++;
	}
	return added;
}

/* Collect the dumps named by ids (the create POSTs of this repeat) into the record.
 * Waits up to RUNNER_DUMP_WAIT for the expected number to appear. */
static int collect_repeat(struct run_ctx *c, int repeat, const char *const *ids, size_t n_ids,
			  bool is_strict, struct gb_err *err)
{
	const struct scenario *sc = c->sc;
	const char *dir = hostchange_dumps_dir(c->hc);
	size_t n_request_targets = 0; /* targets a wait_calls step waits for have other names */
	for (size_t i = 0; i < sc->n_profiles; i++)
		n_request_targets += !scenario_target_is_waited(sc, i);
	if (!n_request_targets || !n_ids || !dir)
		return 0;
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (!is_strict)
			return 0;
		say(c, "collect: no dump directory %s (did the profiled unit start with greenprof?)", dir);
		c->res->n_dump_problems += n_ids;
		return 0;
	}
	size_t want = n_ids * n_request_targets;
	struct collect_result cr = { 0 };
	/* a request step's requests need not reach a profiled call: take what came within
	 * a short wait, and miss nothing */
	double deadline = gb_now() + (is_strict ? RUNNER_DUMP_WAIT : 2.0);
	for (;;) {
		collect_result_release(&cr);
		memset(&cr, 0, sizeof(cr));
		if (collect_dumps(dir, hostchange_dumps_uid(c->hc), ids, n_ids, &cr, err) != 0)
			return -1;
		if (cr.n_dumps >= want || gb_now() > deadline || interrupt_requested())
			break;
		usleep(200 * 1000);
	}
	size_t added = record_dumps(c, repeat, &cr);
	for (size_t i = 0; i < cr.n_problems; i++)
		say(c, "collect: %s", cr.problems[i]);
	c->res->n_dump_problems += cr.n_problems;
	c->res->n_profiles += added;
	if (is_strict)
		say(c, "repeat %d: %zu of %zu expected profile dumps collected%s", repeat + 1, added,
		    want, cr.n_partial ? " (some still partial)" : "");
	else if (added)
		say(c, "repeat %d: %zu profile dumps of the requests collected", repeat + 1, added);
	if (is_strict && added < want)
		c->res->n_dump_problems += want - added > cr.n_problems ? want - added - cr.n_problems : 0;
	collect_result_release(&cr);
	return 0;
}

/* ---- the workload step ---- */

static void wait_progress(void *arg, size_t seen, int count)
{
	struct run_ctx *c = arg;
	if (c->o->live) {
		char line[160];
		snprintf(line, sizeof(line), "repeat %d/%d: %zu/%d calls profiled", c->live_repeat + 1,
			 c->sc->repeat, seen, count);
		c->o->live(c->o->progress_arg, line);
	}
}

/* A wait_calls step of repeat r: the next st->count calls of its target, stored. */
static int step_wait_calls(struct run_ctx *c, int r, size_t index, const struct sc_step *st,
			   struct gb_err *err)
{
	const struct scenario *sc = c->sc;
	const char *target = sc->profiles[st->profile_index].target;
	const char *dir = hostchange_dumps_dir(c->hc);
	char where[600];
	snprintf(where, sizeof(where), "%s:%d: workload[%zu].wait_calls", sc->path, st->line, index);
	say(c, "repeat %d/%d: waiting for %d calls of %s (at most %g s)", r + 1, sc->repeat, st->count,
	    scenario_target_function(target), st->timeout);
	if (!dir)
		return gb_errf(err, GB_EXIT_ENV, "%s: no dump directory for this run", where);
	struct wait_calls_req rq = { .dir = dir, .target = target, .where = where, .count = st->count,
				     .timeout = st->timeout, .progress = wait_progress, .arg = c };
	struct collect_result cr = { 0 };
	double t0 = gb_now();
	c->live_repeat = r;
	if (wait_calls_run(&rq, &c->seen, &cr, err) != 0) {
		c->res->n_dump_problems++;
		return -1;
	}
	size_t added = record_dumps(c, r, &cr);
	for (size_t i = 0; i < cr.n_problems; i++)
		say(c, "collect: %s", cr.problems[i]);
	c->res->n_dump_problems += cr.n_problems;
	c->res->n_profiles += added;
	say(c, "repeat %d/%d: %zu of %d calls of %s profiled in %.1f s", r + 1, sc->repeat, added,
	    st->count, scenario_target_function(target), gb_now() - t0);
	collect_result_release(&cr);
	if (added < (size_t)st->count)
		return gb_errf(err, GB_EXIT_ENV, "%s: %zu of the %d dumps of %s could not be read (see "
			       "the collect: lines)", where, (size_t)st->count - added, st->count, target);
	return interrupt_requested()
		? gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted during repeat %d", r + 1) : 0;
}

static void record_calls(struct run_ctx *c, int repeat, const struct osapi_call *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c->o->verbose)
			say(c, "  %s %s %s -> %d in %.3f s (%s)", calls[i].request_id, calls[i].method,
			    calls[i].path, calls[i].status, calls[i].latency,
			    calls[i].server_request_id[0] ? calls[i].server_request_id : "-");
		struct store_request r = {
			.repeat = repeat,
			.request_id = (char *)calls[i].request_id,
			.server_request_id = calls[i].server_request_id[0]
						     ? (char *)calls[i].server_request_id : NULL,
			.method = (char *)calls[i].method,
			.path = calls[i].path,
			.status = calls[i].status,
			.latency = calls[i].latency,
			.started_at = calls[i].started,
		};
		run_record_add_request(c->rec, &r);
	}
}

static void record_servers(struct run_ctx *c, const struct workload_result *wr)
{
	for (size_t i = 0; i < wr->n_servers; i++) {
		const struct workload_server *s = &wr->servers[i];
		if (s->outcome == WL_NOT_STARTED)
			continue;
		struct store_server ss = {
			.repeat = s->repeat_index,
			.server_id = s->id[0] ? (char *)s->id : NULL,
			.name = (char *)s->name,
			.request_id = (char *)s->create_request_id,
			.post_latency = s->post_latency,
			.time_to_active = s->time_to_active,
			.time_to_deleted = s->time_to_deleted,
			.final_status = s->status[0] ? (char *)s->status : (char *)"NONE",
			.fault = s->fault,
		};
		run_record_add_server(c->rec, &ss);
		c->res->n_servers++;
		if (s->outcome == WL_OK)
			c->res->n_active++;
		else
			c->res->n_errors++;
	}
}

/* A request step of repeat r: its requests recorded (and the dumps named by them). */
static int step_request(struct run_ctx *c, int r, size_t index, const struct sc_step *st,
			struct request_state *rst, const struct request_hooks *rh, struct gb_err *err)
{
	const struct scenario *sc = c->sc;
	const struct sc_request *rq = &st->req;
	if (rq->rate > 0)
		say(c, "repeat %d/%d: %s: %d requests at %g/s (at most %d in flight)", r + 1, sc->repeat,
		    rq->label, st->count, rq->rate, st->concurrency);
	else
		say(c, "repeat %d/%d: %s: %d requests, %d at a time", r + 1, sc->repeat, rq->label,
		    st->count, st->concurrency);
	struct request_result rr;
	c->live_repeat = r;
	int rc = request_step_run(c->api, st, index, r, rst, rh, &rr, err);
	record_calls(c, r, rr.calls, rr.n_calls);
	c->res->n_step_requests += rr.n_sent;
	c->res->n_unexpected += rr.n_unexpected;
	c->res->n_errors += rr.n_unexpected;
	double secs = rr.finished - rr.started;
	char late[128] = "";
	if (rr.n_late)
		snprintf(late, sizeof(late), "; %zu sent more than half a period late (the cloud did "
			 "not keep up at this concurrency)", rr.n_late);
	say(c, "repeat %d/%d: %s: %zu sent, %zu as expected, %zu not in %.1f s (%.1f/s)%s", r + 1,
	    sc->repeat, rq->label, rr.n_sent, rr.n_expected, rr.n_unexpected, secs,
	    secs > 0 ? (double)rr.n_sent / secs : 0.0, late);
	if (rr.first_error[0])
		say(c, "repeat %d/%d: %s: first unexpected answer: %s", r + 1, sc->repeat, rq->label,
		    rr.first_error);
	const char **ids = gb_calloc(rr.n_calls + 1, sizeof(*ids));
	size_t n_ids = 0;
	for (size_t i = 0; i < rr.n_calls; i++)
		if (rr.calls[i].status)
			ids[n_ids++] = rr.calls[i].request_id;
	int crc = rc == 0 ? collect_repeat(c, r, ids, n_ids, false, err) : 0;
	free(ids);
	request_result_release(&rr);
	return rc != 0 || crc != 0 ? -1 : 0;
}

/* Delete what the request steps of repeat r created; its requests are recorded. */
static int cleanup_requests(struct run_ctx *c, int r, struct request_state *rst,
			    const struct request_hooks *rh, struct gb_err *err)
{
	size_t live = 0;
	for (size_t i = 0; i < rst->n_res; i++)
		live += !rst->res[i].is_deleted;
	int conc = 1;
	for (size_t s = 0; s < c->sc->n_steps; s++)
		if (c->sc->steps[s].kind == SC_STEP_REQUEST && c->sc->steps[s].concurrency > conc)
			conc = c->sc->steps[s].concurrency;
	int rc = 0;
	if (live) {
		struct request_result rr;
		memset(&rr, 0, sizeof(rr));
		double t0 = gb_now();
		rc = request_cleanup(c->api, rst, conc, rh, &rr, err);
		record_calls(c, r, rr.calls, rr.n_calls);
		c->res->n_step_requests += rr.n_sent;
		say(c, "repeat %d/%d: %zu resources the requests created deleted in %.1f s", r + 1,
		    c->sc->repeat, live, gb_now() - t0);
		request_result_release(&rr);
	}
	request_state_free(rst);
	return rc;
}

/* A create_servers or wait_calls step of repeat r. */
static int run_other_step(struct run_ctx *c, int r, size_t s, const struct sc_step *st,
	  const struct workload_hooks *hooksp, struct gb_err *err)
{
	const struct scenario *sc = c->sc;
	struct workload_hooks hooks = *hooksp;
	if (st->kind == SC_STEP_WAIT_CALLS)
		return step_wait_calls(c, r, s, st, err);
	say(c, "repeat %d/%d: creating %d servers, %d at a time", r + 1, sc->repeat,
	    st->count, st->concurrency);
	struct workload_result wr = { 0 };
	double t0 = gb_now();
	c->live_repeat = r;
	c->live_done = 0;
	c->live_total = (size_t)st->count;
	int rc = workload_create_servers(c->api, st, r, &hooks, &wr, err);
	record_calls(c, r, wr.calls, wr.n_calls);
	record_servers(c, &wr);
	size_t n_ok = wr.n_ok;
	say(c, "repeat %d/%d: %zu/%zu servers ACTIVE and deleted in %.1f s", r + 1,
	    sc->repeat, n_ok, wr.n_servers, gb_now() - t0);
	/* the dumps are named by the create POSTs' request ids */
	const char **ids = gb_calloc(wr.n_servers + 1, sizeof(*ids));
	size_t n_ids = 0;
	for (size_t i = 0; i < wr.n_servers; i++)
		if (wr.servers[i].create_request_id[0] && wr.servers[i].id[0])
			ids[n_ids++] = wr.servers[i].create_request_id;
	int crc = rc == 0 ? collect_repeat(c, r, ids, n_ids, true, err) : 0;
	free(ids);
	workload_result_free(&wr);
	if (c->has_hook_err) { /* the cause first, then what the workload made of it */
		struct gb_err wl = *err;
		*err = c->hook_err;
		if (rc != 0)
			gb_err_append(err, "; %s", wl.msg);
		return -1;
	}
	if (rc != 0 || crc != 0)
		return -1;
	if (interrupt_requested())
		return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted during repeat %d", r + 1);
	return 0;
}

static int step_workload(struct hostchange *hc, void *arg, struct gb_err *err)
{
	struct run_ctx *c = arg;
	const struct scenario *sc = c->sc;
	(void)hc;
	if (!sc->n_steps || c->o->dry_run)
		return 0;
	struct workload_hooks hooks = {
		.ctx = c,
		.on_server_requested = hook_requested,
		.on_server_created = hook_created,
		.on_server_deleted = hook_deleted,
		.interrupted = interrupt_flag(),
	};
	struct request_hooks rh = {
		.ctx = c, .on_requested = rhook_requested, .on_created = rhook_created,
		.on_deleted = rhook_deleted, .on_progress = rhook_progress,
		.interrupted = interrupt_flag(),
	};
	for (int r = 0; r < sc->repeat; r++) {
		struct request_state rst;
		memset(&rst, 0, sizeof(rst));
		int step_rc = 0;
		for (size_t s = 0; s < sc->n_steps && step_rc == 0; s++) {
			const struct sc_step *st = &sc->steps[s];
			if (st->kind == SC_STEP_REQUEST) {
				step_rc = step_request(c, r, s, st, &rst, &rh, err);
				if (step_rc == 0 && c->has_hook_err) {
					*err = c->hook_err;
					step_rc = -1;
				}
				continue;
			}
			step_rc = run_other_step(c, r, s, st, &hooks, err);
		}
		/* what the requests made goes, whatever happened (an interrupt included) */
		struct gb_err cerr = { GB_EXIT_ENV, "" };
		int crc = cleanup_requests(c, r, &rst, &rh, &cerr);
		if (step_rc != 0)
			return -1;
		if (crc != 0) {
			*err = cerr;
			return -1;
		}
		if (c->has_hook_err) {
			*err = c->hook_err;
			return -1;
		}
		if (interrupt_requested())
			return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted during repeat %d", r + 1);
	}
	return 0;
}

/* ---- SLA checks ---- */

static double stat_of(const char *stat, double *x, size_t n)
{
	if (!n)
		return NAN;
	if (!strcmp(stat, "mean"))
		return stats_mean(x, n);
	if (!strcmp(stat, "median") || !strcmp(stat, "p50"))
		return stats_median(x, n);
	if (!strcmp(stat, "p90"))
		return stats_quantile(x, n, 0.90);
	if (!strcmp(stat, "p95"))
		return stats_quantile(x, n, 0.95);
	if (!strcmp(stat, "p99"))
		return stats_quantile(x, n, 0.99);
	if (!strcmp(stat, "max"))
		return stats_quantile(x, n, 1.0);
	return NAN;
}

/* The samples of a create_servers measure, from the servers that reached ACTIVE. */
static size_t server_samples(const struct run_record *rec, const char *measure, double *x)
{
	size_t n = 0;
	for (size_t i = 0; i < rec->n_servers; i++) {
		const struct store_server *s = &rec->servers[i];
		double v = NAN;
		if (!strcmp(measure, "post"))
			v = s->post_latency;
		else if (!strcmp(measure, "latency"))
			v = s->time_to_active;
		else if (!strcmp(measure, "active"))
			v = s->time_to_active >= 0 && s->post_latency >= 0
				    ? s->time_to_active - s->post_latency : NAN;
		else if (!strcmp(measure, "delete"))
			v = s->time_to_deleted;
		if (!isnan(v) && v >= 0)
			x[n++] = v;
	}
	return n;
}

static void check_slas(struct run_ctx *c)
{
	const struct scenario *sc = c->sc;
	struct runner_result *res = c->res;
	size_t cap = 0;
	for (size_t i = 0; i < sc->n_slas; i++)
		cap += (sc->slas[i].ops & SC_SLA_MAX ? 1 : 0) + (sc->slas[i].ops & SC_SLA_MIN ? 1 : 0);
	res->slas = gb_calloc(cap ? cap : 1, sizeof(*res->slas));
	double *x = gb_calloc(c->rec->n_servers + 1, sizeof(double));
	for (size_t i = 0; i < sc->n_slas; i++) {
		const struct sc_sla *sla = &sc->slas[i];
		double v = NAN;
		if (sla->kind == SC_SLA_CREATE_SERVERS) {
			size_t n = server_samples(c->rec, sla->measure, x);
			v = stat_of(sla->stat, x, n);
		} else if (sla->kind == SC_SLA_ERRORS) {
			size_t failed = res->n_errors;
			for (size_t r = 0; r < c->rec->n_requests; r++) {
				int st = c->rec->requests[r].status;
				if (st == 0 || st >= 500)
					failed++;
			}
			v = (double)failed;
		} else if (sla->kind == SC_SLA_PROFILE && sla->profile_index >= 0) {
			size_t ti = (size_t)sla->profile_index;
			double *src = !strcmp(sla->measure, "tottime") ? c->target_tt[ti]
				      : !strcmp(sla->measure, "ncalls") ? c->target_nc[ti]
									: c->target_samples_by_profile[ti];
			v = stat_of(sla->stat, src, c->n_target_ct[ti]);
		}
		for (int k = 0; k < 2; k++) {
			unsigned op = k == 0 ? SC_SLA_MAX : SC_SLA_MIN;
			if (!(sla->ops & op))
				continue;
			struct runner_sla *r = &res->slas[res->n_slas++];
			snprintf(r->metric, sizeof(r->metric), "%s", sla->metric);
			r->value = v;
			r->is_max = op == SC_SLA_MAX;
			r->limit = r->is_max ? sla->max : sla->min;
			r->passed = !isnan(v) && (r->is_max ? v <= r->limit : v >= r->limit);
			if (!r->passed)
				res->n_sla_failed++;
			run_record_add_sla(c->rec, sla->metric, v, r->limit, r->passed);
		}
	}
	free(x);
}

/* ---- the run's dump directory ---- */

/* Under the run's lock: clean what killed runs and older versions left, then make this
 * run's directory (marked as going) when it profiles. Failures are said, not fatal. */
static void begin_dumps(struct run_ctx *c, struct store *db, struct strbuf *run_dir)
{
	const char *state = hostchange_state_dir(c->hc);
	struct gb_err e = { GB_EXIT_ENV, "" };
	size_t n_removed = 0;
	if (rundumps_clean_stale(state, hostchange_run_id(c->hc), db, c->o->progress,
				 c->o->progress_arg, &n_removed, &e) != 0)
		say(c, "dumps: %s", e.msg);
	if (!c->sc->n_profiles)
		return;
	dumpdir_run_dir(state, hostchange_run_id(c->hc), run_dir);
	if (dumpdir_begin(run_dir->buf, &e) != 0)
		say(c, "dumps: %s", e.msg);
}

/* After the store step: remove the run's dumps once the store holds every one of them
 * (or keep them, saying where and why). */
static void settle_dumps(struct run_ctx *c, struct store *db, const char *run_dir)
{
	const struct run_record *rec = c->rec;
	const char **ids = gb_calloc(rec->n_requests + 1, sizeof(*ids));
	for (size_t i = 0; i < rec->n_requests; i++)
		ids[i] = rec->requests[i].request_id;
	struct rundumps_outcome out;
	struct gb_err e = { GB_EXIT_ENV, "" };
	if (rundumps_settle(db, c->res->run_id, run_dir, ids, rec->n_requests, c->o->keep_dumps,
			    c->o->progress, c->o->progress_arg, &out, &e) != 0)
		say(c, "dumps: %s; they stay in %s/dumps", e.msg, run_dir);
	free(ids);
}

/* ---- the run ---- */

/* The effective scenario: the caller's plus overrides; shares strings with sc. */
static void effective_scenario(const struct scenario *sc, const struct runner_opts *o,
			       struct scenario *eff)
{
	*eff = *sc;
	if (o->cloud) {
		eff->cloud = (char *)o->cloud;
		eff->has_auth = false;
	}
	if (o->n_extra_settings) {
		eff->n_settings = sc->n_settings + o->n_extra_settings;
		eff->settings = gb_calloc(eff->n_settings, sizeof(*eff->settings));
		memcpy(eff->settings, sc->settings, sc->n_settings * sizeof(*sc->settings));
		memcpy(eff->settings + sc->n_settings, o->extra_settings,
		       o->n_extra_settings * sizeof(*o->extra_settings));
	}
	if (o->n_extra_patches) {
		eff->n_patches = sc->n_patches + o->n_extra_patches;
		eff->patches = gb_calloc(eff->n_patches, sizeof(*eff->patches));
		memcpy(eff->patches, sc->patches, sc->n_patches * sizeof(*sc->patches));
		for (size_t i = 0; i < o->n_extra_patches; i++) {
			struct sc_patch *p = &eff->patches[sc->n_patches + i];
			p->path = (char *)o->extra_patches[i];
			p->tree = (char *)(o->patch_tree ? o->patch_tree
					   : sc->n_patches ? sc->patches[0].tree : NULL);
		}
	}
}

/* Output of argv (first line), or NULL when it fails. The caller frees. */
static char *first_line_of(char *const argv[])
{
	struct strbuf out = STRBUF_INIT;
	int status = -1;
	struct gb_err e;
	char *line = NULL;
	if (proc_run(argv, NULL, NULL, &out, 10, &status, &e) == 0 && status == 0 && out.len) {
		size_t n = strcspn(out.buf, "\n");
		line = n ? gb_strndup(out.buf, n) : NULL;
	}
	sb_release(&out);
	return line;
}

/*
 * The service code's revision: `git describe` of the first patch tree (or
 * devstack's /opt/stack/nova) when it is a git checkout, else the version of
 * Debian's python3-nova package. NULL when none is known.
 */
static char *service_revision(const struct scenario *sc)
{
	const char *tree = sc->n_patches && sc->patches[0].tree ? sc->patches[0].tree : "/opt/stack/nova";
	struct stat st;
	struct strbuf git = STRBUF_INIT;
	sb_addf(&git, "%s/.git", tree);
	char *rev = NULL;
	if (stat(git.buf, &st) == 0) {
		char *argv[] = { "git", "-C", (char *)tree, "describe", "--always", "--dirty", NULL };
		char *d = first_line_of(argv);
		if (d) {
			struct strbuf r = STRBUF_INIT;
			sb_addf(&r, "%s %s", tree, d);
			rev = sb_detach(&r);
			free(d);
		}
	}
	sb_release(&git);
	if (!rev) {
		char *argv[] = { "dpkg-query", "-W", "-f", "python3-nova ${Version}", "python3-nova", NULL };
		rev = first_line_of(argv);
	}
	return rev;
}

static void fill_record(struct run_record *rec, const struct scenario *sc, const struct runner_opts *o)
{
	rec->scenario = gb_strdup(sc->name);
	rec->scenario_sha256 = gb_strdup(sc->sha256);
	struct strbuf yaml = STRBUF_INIT;
	struct gb_err e;
	if (gb_read_file(sc->path, 1 << 20, &yaml, &e) == 0)
		rec->scenario_yaml = sb_detach(&yaml);
	sb_release(&yaml);
	rec->label = gb_strdup(o->label);
	rec->service_revision = service_revision(sc);
	rec->started_at = gb_wall();
	run_record_fill_host(rec, 0);
	rec->fake_computes = sc->fake_computes;
	rec->repeat_count = sc->repeat;
	rec->ab_id = o->ab_id;
	rec->is_baseline = o->is_baseline;
}

/* The answered requests' latencies by method and path template (auth left out). */
static void summarize_requests(struct run_ctx *c, struct strbuf *s)
{
	const struct run_record *rec = c->rec;
	size_t n = rec->n_requests;
	char **keys = gb_calloc(n + 1, sizeof(char *));
	double *x = gb_calloc(n + 1, sizeof(double));
	bool *done = gb_calloc(n + 1, sizeof(bool));
	for (size_t i = 0; i < n; i++) {
		struct strbuf k = STRBUF_INIT;
		sb_addf(&k, "%s ", rec->requests[i].method);
		compare_path_template(rec->requests[i].path, &k);
		keys[i] = sb_detach(&k);
	}
	sb_addf(s, "requests: %zu sent by request steps, %zu answered otherwise than expected\n",
		c->res->n_step_requests, c->res->n_unexpected);
	for (size_t i = 0; i < n; i++) {
		if (done[i] || strstr(keys[i], "/auth/tokens"))
			continue;
		size_t m = 0;
		for (size_t k = i; k < n; k++)
			if (!done[k] && !strcmp(keys[k], keys[i])) {
				done[k] = true;
				if (rec->requests[k].status)
					x[m++] = rec->requests[k].latency;
			}
		if (m)
			sb_addf(s, "  %-40s median %7.3f s   p95 %7.3f s   max %7.3f s   (n=%zu)\n", keys[i],
				stats_median(x, m), stats_quantile(x, m, 0.95), stats_quantile(x, m, 1.0), m);
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(x);
	free(done);
}

static void summarize(struct run_ctx *c)
{
	struct runner_result *res = c->res;
	struct strbuf *s = &res->summary;
	size_t n_t = 0;
	const struct hostchange_timing *t = c->hc ? hostchange_timings(c->hc, &n_t) : NULL;
	sb_addstr(s, "steps:\n");
	for (size_t i = 0; i < n_t; i++)
		sb_addf(s, "  %-28s %8.2f s\n", t[i].name, t[i].secs);
	if (scenario_has_create_servers(c->sc)) {
		sb_addf(s, "servers: %zu created, %zu ACTIVE and deleted, %zu failed\n", res->n_servers,
			res->n_active, res->n_errors);
		double *x = gb_calloc(c->rec->n_servers + 1, sizeof(double));
		static const char *const measures[] = { "post", "active", "latency", "delete" };
		for (size_t m = 0; m < GB_ARRAY_SIZE(measures); m++) {
			size_t n = server_samples(c->rec, measures[m], x);
			if (!n)
				continue;
			sb_addf(s, "  %-8s median %7.3f s   p95 %7.3f s   max %7.3f s   (n=%zu)\n",
				measures[m], stats_median(x, n), stats_quantile(x, n, 0.95),
				stats_quantile(x, n, 1.0), n);
		}
		free(x);
	}
	if (res->n_step_requests)
		summarize_requests(c, s);
	for (size_t i = 0; i < c->sc->n_profiles; i++) {
		size_t n = c->n_target_ct[i];
		sb_addf(s, "profile %s: %zu calls profiled", c->sc->profiles[i].target, n);
		if (n)
			sb_addf(s, ", cumtime median %.3f s, max %.3f s",
				stats_median(c->target_samples_by_profile[i], n),
				stats_quantile(c->target_samples_by_profile[i], n, 1.0));
		sb_addch(s, '\n');
	}
	if (res->n_dump_problems)
		sb_addf(s, "dumps: %zu missing or refused (see the lines above)\n", res->n_dump_problems);
	for (size_t i = 0; i < res->n_slas; i++) {
		const struct runner_sla *r = &res->slas[i];
		sb_addf(s, "sla %-44s %s (%g %s %g)\n", r->metric, r->passed ? "ok" : "FAILED", r->value,
			r->is_max ? "<=" : ">=", r->limit);
	}
}

int runner_run(const struct scenario *sc, const struct runner_opts *o, struct runner_result *res,
	       struct gb_err *err)
{
	memset(res, 0, sizeof(*res));
	res->status = "failed";
	double t0 = gb_now();
	struct scenario eff;
	effective_scenario(sc, o, &eff);
	res->summary = (struct strbuf)STRBUF_INIT;
	struct run_ctx c = { .sc = &eff, .o = o, .res = res };
	c.cloud_name = eff.cloud ? eff.cloud : "";
	size_t np = eff.n_profiles ? eff.n_profiles : 1;
	c.n_target_ct = gb_calloc(np, sizeof(size_t));
	c.target_samples_by_profile = gb_calloc(np, sizeof(double *));
	c.target_tt = gb_calloc(np, sizeof(double *));
	c.target_nc = gb_calloc(np, sizeof(double *));
	c.rec = run_record_new();
	fill_record(c.rec, &eff, o);

	struct store *db = NULL;
	struct strbuf run_dir = STRBUF_INIT;
	struct cloud_cleanup cc = { NULL, false, NULL, false };
	int rc = -1;
	/* 1. everything that can fail without touching the host: the store, the cloud */
	if (!o->dry_run && store_open_default(o->db, 1, &db, err) != 0)
		goto out;
	if (scenario_needs_api(&eff) && !o->dry_run) {
		struct os_creds creds = { 0 };
		if (clouds_resolve(eff.cloud, eff.has_auth ? &eff.auth : NULL, &creds, err) != 0)
			goto out;
		if (o->insecure)
			creds.insecure = true;
		if (o->cacert) {
			free(creds.cacert);
			creds.cacert = gb_strdup(o->cacert);
		}
		c.api = osapi_new(&creds, err);
		os_creds_free(&creds);
		if (!c.api || osapi_authenticate(c.api, err) != 0)
			goto out;
		say(&c, "authenticated (%s)", c.cloud_name[0] ? c.cloud_name : "credentials from the environment");
	}
	/* 2. the host changes, the workload, the restore */
	cc.cloud = eff.cloud;
	cc.insecure = o->insecure;
	cc.api = c.api;
	struct hostchange_opts ho = {
		.units_file = o->units_file, .state_dir = o->state_dir, .vars = o->vars,
		.n_vars = o->n_vars, .extra_env = o->extra_env, .n_extra_env = o->n_extra_env, .force = o->force, .dry_run = o->dry_run, .progress = o->progress,
		.progress_arg = o->progress_arg, .server_cleanup = cloud_cleanup_server,
		.server_cleanup_arg = &cc, .resource_cleanup = cloud_cleanup_resource,
		.resource_cleanup_arg = &cc, .fake_cleanup = c.api ? cloud_forget_compute : NULL,
		.fake_cleanup_arg = &cc,
	};
	if (hostchange_begin(&eff, &ho, &c.hc, err) != 0)
		goto out;
	for (size_t i = 0; i < eff.n_patches; i++)
		run_record_add_patch(c.rec, eff.patches[i].path, hostchange_patch_sha256(c.hc, i));
	/* the B side's config and environment, listed with the patches (sha256 of the text) */
	for (size_t i = 0; i < o->n_extra_settings; i++) {
		const struct sc_setting *s = &o->extra_settings[i];
		struct strbuf name = STRBUF_INIT;
		char hex[65];
		sb_addf(&name, "config:%s:%s.%s=%s", s->file, s->section, s->key, s->value);
		gb_sha256_hex(name.buf, name.len, hex);
		run_record_add_patch(c.rec, name.buf, hex);
		sb_release(&name);
	}
	for (size_t i = 0; i < o->n_extra_env; i++) {
		struct strbuf name = STRBUF_INIT;
		char hex[65];
		sb_addf(&name, "env:%s", o->extra_env[i]);
		gb_sha256_hex(name.buf, name.len, hex);
		run_record_add_patch(c.rec, name.buf, hex);
		sb_release(&name);
	}
	if (!o->dry_run)
		begin_dumps(&c, db, &run_dir);
	const struct hostchange_step steps[] = {
		{ "config", hostchange_apply_config, NULL },
		{ "patches", hostchange_apply_patches, NULL },
		{ "fake-computes", hostchange_scale_computes, NULL },
		{ "restart", hostchange_restart_units, NULL },
		{ "workload", step_workload, &c },
	};
	int step_rc = hostchange_run_steps(c.hc, steps, GB_ARRAY_SIZE(steps), err);
	struct gb_err rerr = { GB_EXIT_ENV, "" };
	int restore_rc = hostchange_finish(c.hc, &rerr);
	c.rec->finished_at = gb_wall();
	run_record_fill_host(c.rec, 1);
	bool interrupted = interrupt_requested();
	res->status = interrupted ? "interrupted" : step_rc ? "failed" : "ok";
	free(c.rec->status);
	c.rec->status = gb_strdup(res->status);
	if (o->dry_run) {
		rc = step_rc == 0 && restore_rc == 0 ? 0 : -1;
		if (restore_rc != 0)
			*err = rerr;
		goto out;
	}
	if (step_rc == 0)
		check_slas(&c);
	/* 3. store what was measured, even for a failed run (its status says so) */
	struct gb_err serr = { GB_EXIT_ENV, "" };
	if (c.rec->n_requests || c.rec->n_profiles || step_rc == 0) {
		if (store_save_run(db, c.rec, &res->run_id, &serr) != 0)
			say(&c, "store: %s", serr.msg);
	}
	if (run_dir.len)
		settle_dumps(&c, db, run_dir.buf);
	if (restore_rc != 0) {
		gb_errf(err, GB_EXIT_ENV, "RESTORE INCOMPLETE: %s; run 'greenbench restore' after fixing it",
			rerr.msg);
		goto out;
	}
	if (step_rc != 0) {
		if (interrupted)
			err->exit_code = GB_EXIT_INTERRUPTED;
		goto out;
	}
	if (!res->run_id) {
		gb_errf(err, GB_EXIT_ENV, "the run finished but could not be stored: %s", serr.msg);
		goto out;
	}
	rc = 0;
out:
	res->secs = gb_now() - t0;
	summarize(&c);
	sb_release(&run_dir);
	hostchange_free(c.hc);
	cloud_cleanup_release(&cc);
	osapi_free(c.api);
	store_close(db);
	run_record_free(c.rec);
	for (size_t i = 0; i < np; i++) {
		free(c.target_samples_by_profile[i]);
		free(c.target_tt[i]);
		free(c.target_nc[i]);
	}
	free(c.target_samples_by_profile);
	free(c.target_tt);
	free(c.target_nc);
	free(c.n_target_ct);
	dump_seen_free(&c.seen);
	if (eff.patches != sc->patches)
		free(eff.patches);
	if (eff.settings != sc->settings)
		free(eff.settings);
	return rc;
}

void runner_result_release(struct runner_result *res)
{
	free(res->slas);
	res->slas = NULL;
	res->n_slas = 0;
	sb_release(&res->summary);
}

/* verdict_fixture.h - synthetic stored runs for the compare, nightly, ab and report tests
 * and the compare bench: N functions under a select_destinations root (via 5 middle
 * callers), one profile and one request per call, multiplicative noise within the run and
 * a run-level factor, an optional planted slowdown or call-count change. Header-only. */
#ifndef GB_VERDICT_FIXTURE_H
#define GB_VERDICT_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/stats.h"
#include "store/store.h"

struct synth {
	const char *scenario;  /* default "select_destinations" */
	const char *label;
	int n_funcs;           /* default 500 */
	int n_profiles;        /* profiled calls = requests, default 10 */
	double noise;          /* within-run sd of log time, default 0.10 */
	double run_factor;     /* every time of the run is multiplied by it (run-level noise), 0: 1 */
	int slow_fn;           /* function index made slower, -1 none */
	double slow_factor;    /* its tottime multiplier */
	int calls_fn;          /* function index whose calls per profile become calls_n, -1 none */
	int calls_n;
	int fake_computes;     /* default 2 */
	double load1;          /* load average before and after; default 0.2 */
	const char *status;    /* default "ok" */
	double started_at;     /* default 1764100000 */
	uint64_t seed;
	int line_shift;         /* added to every synthetic function's line (a patch above them) */
	double wait_s;           /* seconds per call switched out under the root (greenprof's
				 * '<greenlet switch>' entry: waiting on I/O), 0 none */
	double wait_noise;      /* sd of log of each call's wait (waits are the noisy part) */
	double new_fn;          /* own time per call of a function only this run calls (what a
				 * patch adds), 0 none */
	int unprofiled;         /* 1: requests and servers only, no profile stored */
	double cpu_share;       /* > 0: each dump gets greenprof's trailer with cpu_ns = this share
				 * of the call's own (busy) time before run_factor, i.e. CPU that
				 * time stolen by other processes (run_factor) does not inflate,
				 * with 2% noise of its own; 0: no trailer (CPU unknown) */
};

#define SYNTH_DEFAULT { "select_destinations", NULL, 500, 10, 0.10, 1.0, -1, 1.0, -1, 1, 2, 0.2, "ok", 0, 1, 0, 0, 0, 0, 0, 0 }
#define SYNTH_TARGET "nova.scheduler.manager:SchedulerManager.select_destinations"

__attribute__((unused))
static struct pstats *synth_profile(const struct synth *s, struct stats_rng *rng)
{
	struct pstats *ps = pstats_new();
	size_t root = pstats_intern(ps, "/usr/lib/python3/dist-packages/nova/scheduler/manager.py", 120,
				    "select_destinations");
	size_t mid[5];
	double mid_ct[5] = { 0 };
	for (int k = 0; k < 5; k++) {
		char name[32];
		snprintf(name, sizeof(name), "mid_%d", k);
		mid[k] = pstats_intern(ps, "/usr/lib/python3/dist-packages/nova/synthetic/mid.py", 10 + k, name);
	}
	double total = 0;
	for (int i = 0; i < s->n_funcs; i++) {
		char file[96], name[32];
		snprintf(file, sizeof(file), "/usr/lib/python3/dist-packages/nova/synthetic/mod%d.py", i % 40);
		snprintf(name, sizeof(name), "func_%d", i);
		size_t f = pstats_intern(ps, file, 10 + i + s->line_shift, name);
		double base = 2e-5 * (1 + (i * 7919) % 23);
		long long nc = 1 + i % 3;
		if (i == s->calls_fn) {
			base *= (double)s->calls_n / (double)nc;
			nc = s->calls_n;
		}
		double tt = base * (s->run_factor > 0 ? s->run_factor : 1) * exp(s->noise * stats_rng_normal(rng));
		if (i == s->slow_fn)
			tt *= s->slow_factor;
		pstats_add_func(ps, f, nc, nc, tt, tt);
		pstats_add_edge(ps, mid[i % 5], f, nc, nc, tt, tt);
		mid_ct[i % 5] += tt;
		total += tt;
	}
	if (s->new_fn > 0) {
		size_t f = pstats_intern(ps, "/usr/lib/python3/dist-packages/nova/scheduler/manager.py", 240,
					 "_gb_extra_work");
		double tt = s->new_fn * (s->run_factor > 0 ? s->run_factor : 1) *
			    exp(s->noise * stats_rng_normal(rng));
		pstats_add_func(ps, f, 2, 2, tt, tt);
		pstats_add_edge(ps, root, f, 2, 2, tt, tt);
		total += tt;
	}
	if (s->wait_s > 0) {
		size_t f = pstats_intern(ps, "~", 0, "<greenlet switch>");
		double tt = s->wait_s * exp(s->wait_noise * stats_rng_normal(rng));
		pstats_add_func(ps, f, 3, 3, tt, tt);
		pstats_add_edge(ps, root, f, 3, 3, tt, tt);
		total += tt;
	}
	double own = 1e-4;
	for (int k = 0; k < 5; k++) {
		pstats_add_func(ps, mid[k], 1, 1, 1e-6, mid_ct[k] + 1e-6);
		pstats_add_edge(ps, root, mid[k], 1, 1, 1e-6, mid_ct[k] + 1e-6);
		total += 1e-6;
	}
	pstats_add_func(ps, root, 1, 1, own, total + own);
	return ps;
}

/* greenprof's trailer after a dump: {"greenprof": 1, "cpu_ns", "wall_ns", "wait_ns"} */
__attribute__((unused))
static void synth_trailer(struct strbuf *raw, long long cpu, long long wall, long long wait)
{
	const char *keys[] = { "greenprof", "cpu_ns", "wall_ns", "wait_ns" };
	long long vals[] = { 1, cpu, wall, wait };
	sb_addch(raw, '{');
	for (int i = 0; i < 4; i++) {
		uint32_t u = (uint32_t)(vals[i] > INT32_MAX ? INT32_MAX : vals[i]);
		sb_addch(raw, 'z');
		sb_addch(raw, (char)strlen(keys[i]));
		sb_addstr(raw, keys[i]);
		sb_addch(raw, 'i');
		for (int b = 0; b < 4; b++)
			sb_addch(raw, (char)(u >> (8 * b)));
	}
	sb_addch(raw, '0');
}

/* A synthetic run record (caller frees with run_record_free). */
__attribute__((unused))
static struct run_record *synth_run(const struct synth *s)
{
	struct stats_rng rng;
	stats_rng_seed(&rng, s->seed);
	struct run_record *rec = run_record_new();
	rec->scenario = gb_strdup(s->scenario ? s->scenario : "select_destinations");
	rec->label = s->label ? gb_strdup(s->label) : NULL;
	free(rec->status);
	rec->status = gb_strdup(s->status ? s->status : "ok");
	rec->started_at = s->started_at > 0 ? s->started_at : 1764100000;
	rec->finished_at = rec->started_at + 60;
	rec->host = gb_strdup("synthhost");
	rec->cpu_count = 2;
	for (int i = 0; i < 3; i++)
		rec->load_before[i] = rec->load_after[i] = s->load1;
	rec->mem_free_kb = 1 << 20;
	rec->service_revision = gb_strdup("26.2.0");
	rec->fake_computes = s->fake_computes;
	rec->repeat_count = 1;
	struct gb_err err = { 0, "" };
	struct strbuf raw = STRBUF_INIT;
	double rf = s->run_factor > 0 ? s->run_factor : 1;
	for (int p = 0; p < s->n_profiles; p++) {
		char rid[64], sid[64], name[32];
		snprintf(rid, sizeof(rid), "req-%08d-0000-4000-8000-%012d", p, p);
		snprintf(sid, sizeof(sid), "%08d-1111-4000-8000-%012d", p, p);
		snprintf(name, sizeof(name), "gb-%d", p);
		double post = 0.2 * rf * exp(s->noise * stats_rng_normal(&rng));
		double active = 1.5 * rf * exp(s->noise * stats_rng_normal(&rng));
		struct store_request q = { 0, rid, NULL, "POST", "/v2.1/servers", 202, post,
					   rec->started_at + 1 + p };
		run_record_add_request(rec, &q);
		struct store_server sv = { 0, sid, name, rid, post, active, 0.4, "ACTIVE", NULL };
		run_record_add_server(rec, &sv);
		if (s->unprofiled)
			continue;
		struct pstats *ps = synth_profile(s, &rng);
		sb_reset(&raw);
		pstats_write_marshal(ps, &raw);
		if (s->cpu_share > 0) {
			double busy = 0, wait = 0, wall = 0;
			for (size_t f = 0; f < ps->n_funcs; f++) {
				if (!ps->funcs[f].is_listed)
					continue;
				int is_wait = !strcmp(ps->funcs[f].file, "~") && !strcmp(ps->funcs[f].name, "<greenlet switch>");
				*(is_wait ? &wait : &busy) += ps->funcs[f].tt;
				wall = fmax(wall, ps->funcs[f].ct);
			}
			double cpu = s->cpu_share * busy / rf * exp(0.02 * stats_rng_normal(&rng));
			synth_trailer(&raw, (long long)(cpu * 1e9), (long long)(wall * 1e9), (long long)(wait * 1e9));
		}
		pstats_free(ps);
		if (run_record_add_profile(rec, 0, SYNTH_TARGET, rid, 4242, (const unsigned char *)raw.buf,
					   raw.len, &err))
			fprintf(stderr, "synth: %s\n", err.msg);
	}
	sb_release(&raw);
	return rec;
}

/* Store a synthetic run; returns its id (0 on failure). */
__attribute__((unused))
static long long synth_store(struct store *db, const struct synth *s)
{
	struct run_record *rec = synth_run(s);
	long long id = 0;
	struct gb_err err = { 0, "" };
	if (store_save_run(db, rec, &id, &err))
		fprintf(stderr, "synth: %s\n", err.msg);
	run_record_free(rec);
	return id;
}

#endif

/* store_fixture.h - builds a run_record like a real run would, from the pstats fixtures;
 * shared by t_store, t_store_crash, t_collect and bench_store. Header-only on purpose. */
#ifndef GB_STORE_FIXTURE_H
#define GB_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

__attribute__((unused))
static struct strbuf fixture_load(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	char path[512];
	snprintf(path, sizeof(path), "tests/data/pstats/%s", name);
	if (gb_read_file(path, PSTATS_MAX_BYTES, &sb, &err))
		fprintf(stderr, "fixture: %s\n", err.msg);
	return sb;
}

/* A run of `scenario` with n_repeats repeats, 2 creates each, and a profile per create:
 * the nova dump for even requests, small.prof for odd ones. */
__attribute__((unused))
static struct run_record *fixture_run(const char *scenario, const char *label, int n_repeats,
				      double latency_scale)
{
	static const char *const target = "nova.scheduler.manager:SchedulerManager.select_destinations";
	struct run_record *rec = run_record_new();
	struct strbuf nova = fixture_load("nova26-select_destinations.prof");
	struct strbuf small = fixture_load("small.prof");
	struct gb_err err = { 0, "" };
	rec->scenario = gb_strdup(scenario);
	rec->scenario_sha256 = gb_strdup("5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	rec->scenario_yaml = gb_strdup("name: select_destinations\nrepeat: 2\n");
	rec->label = label ? gb_strdup(label) : NULL;
	rec->started_at = 1764100000.5;
	rec->finished_at = 1764100042.25;
	rec->host = gb_strdup("testhost");
	rec->cpu_count = 2;
	for (int i = 0; i < 3; i++) {
		rec->load_before[i] = 0.5 + i;
		rec->load_after[i] = 1.5 + i;
	}
	rec->mem_free_kb = 123456;
	rec->service_revision = gb_strdup("26.2.0-1");
	rec->fake_computes = 2;
	rec->repeat_count = n_repeats;
	run_record_add_patch(rec, "fix.diff", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	for (int r = 0; r < n_repeats; r++) {
		for (int k = 0; k < 2; k++) {
			char rid[64], sid[64], name[32];
			int n = r * 2 + k;
			snprintf(rid, sizeof(rid), "req-%08d-0000-4000-8000-%012d", n, n);
			snprintf(sid, sizeof(sid), "%08d-1111-4000-8000-%012d", n, n);
			snprintf(name, sizeof(name), "gb-%d", n);
			struct store_request q = { r, rid, "req-server-side", "POST", "/v2.1/servers", 202,
						   latency_scale * (0.1 + 0.01 * n), 1764100001.0 + n };
			run_record_add_request(rec, &q);
			struct store_server s = { r, sid, name, rid, latency_scale * (0.1 + 0.01 * n),
						  latency_scale * (1.0 + 0.1 * n), 0.5, "ACTIVE", NULL };
			run_record_add_server(rec, &s);
			const struct strbuf *d = k == 0 ? &nova : &small;
			if (run_record_add_profile(rec, r, target, rid, 4242 + k,
						   (const unsigned char *)d->buf, d->len, &err))
				fprintf(stderr, "fixture: %s\n", err.msg);
		}
	}
	run_record_add_sla(rec, "create_servers.latency.p95", 0.2, 30, 1);
	sb_release(&nova);
	sb_release(&small);
	return rec;
}

#endif

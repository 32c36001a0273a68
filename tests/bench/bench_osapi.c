/*
 * bench_osapi.c - `make bench` part of the API client (owner: osapi): the harness's own
 * CPU time and memory per HTTP request while create_servers runs against the fake cloud
 * (loopback), next to the fake cloud's CPU for the same requests. Release build.
 *
 *   bench_osapi [servers] [concurrency]      (default 300 servers, concurrency 10)
 */
#include <stdlib.h>
#include <sys/resource.h>

#include "cloud/workload.h"
#include "fakecloud/fc.h"

static double cpu_of(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 300, conc = argc > 2 ? atoi(argv[2]) : 10;
	struct fc fc;
	if (fc_start(&fc) < 0) {
		fprintf(stderr, "bench_osapi: cannot start the fake cloud\n");
		return 1;
	}
	fc_config(&fc, "{\"build_time\": 0.2, \"delete_time\": 0.1}");
	struct os_creds c;
	struct gb_err err = { 0 };
	fc_creds(&fc, &c, NULL);
	struct osapi *api = osapi_new(&c, &err);
	os_creds_free(&c);
	struct sc_step st = { .count = count, .concurrency = conc, .image = "cirros",
			      .flavor = "c1", .networks = "none", .wait = "ACTIVE", .timeout = 60,
			      .do_delete = true, .delete_timeout = 60, .name_prefix = "gbbench" };
	struct workload_hooks h = { .poll_interval = 0.25 };
	struct workload_result r;
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	double t0 = gb_now();
	int rc = workload_create_servers(api, &st, 0, &h, &r, &err);
	double wall = gb_now() - t0;
	getrusage(RUSAGE_SELF, &after);
	size_t n_calls = r.n_calls, n_ok = r.n_ok;
	double lat_sum = 0;
	for (size_t i = 0; i < r.n_servers; i++)
		lat_sum += r.servers[i].time_to_active;
	workload_result_free(&r);
	osapi_free(api);
	fc_stop(&fc);
	struct rusage child;
	getrusage(RUSAGE_CHILDREN, &child);
	double cpu = cpu_of(&after) - cpu_of(&before);
	printf("bench_osapi: %d servers, concurrency %d, %zu ok, rc %d (%s)\n", count, conc, n_ok,
	       rc, rc ? err.msg : "ok");
	printf("  requests            %zu in %.2f s wall (%.0f req/s)\n", n_calls, wall,
	       n_calls / wall);
	printf("  harness CPU         %.3f s = %.1f us per request\n", cpu, cpu / n_calls * 1e6);
	printf("  fake cloud CPU      %.3f s = %.1f us per request (python http.server)\n",
	       cpu_of(&child), cpu_of(&child) / n_calls * 1e6);
	printf("  harness max RSS     %ld KiB\n", after.ru_maxrss);
	printf("  mean time to ACTIVE %.3f s (fake build time 0.2 s, poll 0.25 s)\n",
	       lat_sum / (n_ok ? n_ok : 1));
	return rc ? 1 : 0;
}

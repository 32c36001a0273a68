/*
 * osprobe.c - a hidden, test-only probe of the OpenStack client and workload for manual
 * checks against a real cloud: resolve credentials, authenticate, show the catalog, and
 * optionally run one create_servers step. Prints no secret (password, token).
 *
 *   osprobe [--os-cloud NAME] [--create N] [--concurrency C] [--image I] [--flavor F]
 *           [--networks none|auto|ID] [--insecure]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/clouds.h"
#include "cloud/osapi.h"
#include "cloud/workload.h"

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_created(void *ctx, const char *id, const char *name)
{
	fprintf(stderr, "created %s %s\n", id, name);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cloud = NULL, *image = "cirros", *flavor = "c1", *nets = "none";
	int count = 0, conc = 1;
	bool insecure = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--insecure")) {
			insecure = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "osprobe: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--os-cloud"))
			cloud = v;
		else if (!strcmp(a, "--create"))
			count = atoi(v);
		else if (!strcmp(a, "--concurrency"))
			conc = atoi(v);
		else if (!strcmp(a, "--image"))
			image = v;
		else if (!strcmp(a, "--flavor"))
			flavor = v;
		else if (!strcmp(a, "--networks"))
			nets = v;
		else {
			fprintf(stderr, "osprobe: unknown option %s\n", a);
			return 2;
		}
	}
	struct gb_err err = { 0 };
	struct os_creds creds;
	if (clouds_resolve(cloud, NULL, &creds, &err) < 0) {
		fprintf(stderr, "osprobe: %s\n", err.msg);
		return err.exit_code;
	}
	creds.insecure |= insecure;
	printf("credentials: %s (user %s, project %s, interface %s, region %s)\n", creds.source,
	       creds.username ? creds.username : creds.user_id,
	       creds.project_name ? creds.project_name : creds.project_id, creds.interface,
	       creds.region_name ? creds.region_name : "any");
	struct osapi *api = osapi_new(&creds, &err);
	os_creds_free(&creds);
	if (!api || osapi_authenticate(api, &err) < 0) {
		fprintf(stderr, "osprobe: %s\n", err.msg);
		osapi_free(api);
		return GB_EXIT_ENV;
	}
	static const char *const types[] = { "identity", "compute", "image", "placement", "network" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(types); i++) {
		const char *url;
		struct gb_err e = { 0 };
		printf("%-10s %s\n", types[i], osapi_endpoint(api, types[i], &url, &e) == 0 ? url : e.msg);
	}
	int rc = 0;
	if (count > 0) {
		signal(SIGINT, on_sigint);
		struct sc_step st = { .line = 0, .count = count, .concurrency = conc,
				      .image = (char *)image, .flavor = (char *)flavor,
				      .networks = (char *)nets, .wait = "ACTIVE", .timeout = 120,
				      .do_delete = true, .delete_timeout = 120,
				      .name_prefix = "gbprobe" };
		struct workload_hooks h = { .on_server_created = on_created, .interrupted = &stop };
		struct workload_result r;
		rc = workload_create_servers(api, &st, 0, &h, &r, &err);
		printf("%-36s %-12s %-8s %8s %8s %8s  %s\n", "create request id", "outcome", "status",
		       "post_s", "active_s", "delete_s", "fault");
		for (size_t i = 0; i < r.n_servers; i++) {
			struct workload_server *v = &r.servers[i];
			printf("%-36s %-12s %-8s %8.3f %8.3f %8.3f  %s\n", v->create_request_id,
			       workload_outcome_name(v->outcome), v->status, v->post_latency,
			       v->time_to_active, v->time_to_deleted, v->fault ? v->fault : "");
		}
		printf("%zu ok, %zu failed, %zu leaked, %zu requests\n", r.n_ok, r.n_failed, r.n_leaked,
		       r.n_calls);
		for (size_t i = 0; i < r.n_calls && getenv("OSPROBE_CALLS"); i++)
			printf("  %s %-6s %3d %7.4f %s (%s)\n", r.calls[i].request_id, r.calls[i].method,
			       r.calls[i].status, r.calls[i].latency, r.calls[i].path,
			       r.calls[i].server_request_id);
		if (rc < 0)
			fprintf(stderr, "osprobe: %s\n", err.msg);
		workload_result_free(&r);
	}
	osapi_free(api);
	return rc < 0 ? err.exit_code : 0;
}

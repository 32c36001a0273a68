/*
 * cleanup.c - the cloud side of a restore: delete the servers and the resources of
 * request steps a run left behind, and the service records of the fake computes it added (the restore's
 * server_cleanup and fake_cleanup callbacks). Never prints, never exits, never
 * repeats a POST (it only GETs and DELETEs).
 */
#include "cloud/cleanup.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cloud/clouds.h"
#include "cloud/osapi.h"
#include "cloud/workload.h"

static struct osapi *cleanup_api(struct cloud_cleanup *cc, const char *cloud, struct gb_err *err)
{
	if (cc->api)
		return cc->api;
	struct os_creds creds = { 0 };
	if (clouds_resolve(cloud && *cloud ? cloud : cc->cloud, NULL, &creds, err) != 0)
		return NULL;
	if (cc->insecure)
		creds.insecure = true;
	cc->api = osapi_new(&creds, err);
	os_creds_free(&creds);
	cc->owns_api = cc->api != NULL;
	return cc->api;
}

int cloud_cleanup_server(void *arg, const char *cloud, const char *server_id, const char *name,
			 struct gb_err *err)
{
	struct osapi *api = cleanup_api(arg, cloud, err);
	if (!api)
		return -1;
	const char *what = server_id && *server_id ? server_id : name;
	return workload_cleanup_servers(api, &what, 1, 120, err);
}

/* delete_path with its "{id}" replaced by id. */
static void fill_id(const char *tmpl, const char *id, char *out, size_t size)
{
	const char *p = strstr(tmpl, "{id}");
	snprintf(out, size, "%.*s%s%s", (int)(p - tmpl), tmpl, id, p + 4);
}

/* The resources named name in the answer to GET find (any list in it), deleted. */
static int cleanup_by_name(struct osapi *api, const char *service, const char *delete_path,
			   const char *find, const char *name, struct gb_err *err)
{
	json_t *resp = NULL;
	if (osapi_request(api, "GET", service, find, NULL, &resp, NULL, err) != 0)
		return -1;
	int rc = 0;
	const char *k;
	json_t *list;
	json_object_foreach(resp, k, list) {
		size_t i;
		json_t *o;
		json_array_foreach(list, i, o) {
			const char *n = json_string_value(json_object_get(o, "name"));
			json_t *id = json_object_get(o, "id");
			char ids[64], path[1024];
			if (!n || strcmp(n, name))
				continue;
			if (json_is_string(id) && json_string_length(id) < sizeof(ids) &&
			    !strpbrk(json_string_value(id), "/?#% "))
				snprintf(ids, sizeof(ids), "%s", json_string_value(id));
			else if (json_is_integer(id))
				snprintf(ids, sizeof(ids), "%lld", (long long)json_integer_value(id));
			else
				continue;
			fill_id(delete_path, ids, path, sizeof(path));
			int status = 0;
			struct gb_err e = { GB_EXIT_ENV, "" };
			if (osapi_request(api, "DELETE", service, path, NULL, NULL, &status, &e) != 0 &&
			    status != 404) {
				*err = e;
				rc = -1;
			}
		}
	}
	json_decref(resp);
	return rc;
}

int cloud_cleanup_resource(void *arg, const char *cloud, const char *service,
			   const char *delete_path, const char *find, const char *name,
			   struct gb_err *err)
{
	struct osapi *api = cleanup_api(arg, cloud, err);
	if (!api)
		return -1;
	if (strstr(delete_path, "{id}"))
		return cleanup_by_name(api, service, delete_path, find, name, err);
	int status = 0;
	struct gb_err e = { GB_EXIT_ENV, "" };
	if (osapi_request(api, "DELETE", service, delete_path, NULL, NULL, &status, &e) == 0 ||
	    status == 404)
		return 0;
	*err = e;
	return -1;
}

/*
 * A fake compute the run added is stopped by the restore, but nova keeps its
 * service record and resource provider, and a scheduler without ComputeFilter
 * (enabled_filters = "") would send later builds to that dead host. Delete the
 * record (nova removes the provider with it).
 */
int cloud_forget_compute(void *arg, const char *host, struct gb_err *err)
{
	struct osapi *api = cleanup_api(arg, NULL, err);
	if (!api)
		return -1;
	char path[256];
	json_t *resp = NULL;
	snprintf(path, sizeof(path), "/os-services?binary=nova-compute&host=%s", host);
	if (osapi_request(api, "GET", "compute", path, NULL, &resp, NULL, err) != 0)
		return -1;
	int rc = 0;
	size_t i;
	json_t *svc;
	json_array_foreach(json_object_get(resp, "services"), i, svc) {
		json_t *id = json_object_get(svc, "id");
		if (json_is_integer(id))
			snprintf(path, sizeof(path), "/os-services/%lld", (long long)json_integer_value(id));
		else if (json_is_string(id))
			snprintf(path, sizeof(path), "/os-services/%s", json_string_value(id));
		else
			continue;
		if (osapi_request(api, "DELETE", "compute", path, NULL, NULL, NULL, err) != 0)
			rc = -1;
	}
	json_decref(resp);
	return rc;
}

void cloud_cleanup_release(struct cloud_cleanup *cc)
{
	if (cc->owns_api)
		osapi_free(cc->api);
	cc->api = NULL;
	cc->owns_api = false;
}

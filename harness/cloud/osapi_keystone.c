/*
 * osapi_keystone.c - keystone v3 for the API client: password auth (POST
 * /v3/auth/tokens), token expiry and reuse, and service catalog lookup by type,
 * interface and region. Never lets the password or the token reach a message or a record.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/osapi_impl.h"

/* Keystone's "2026-11-25T23:00:00.000000Z" as epoch seconds; 0 if unparsable. */
static double parse_iso_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end)
		return 0;
	return (double)timegm(&tm);
}

/* ---- keystone ---- */

static void add_name_or_id(json_t *obj, const char *name, const char *id)
{
	if (id)
		json_object_set_new(obj, "id", json_string(id));
	else
		json_object_set_new(obj, "name", json_string(name ? name : ""));
}

/* The POST /v3/auth/tokens body: password method, project scope. Caller wipes and frees. */
static char *auth_body(const struct os_creds *c)
{
	json_t *user = json_object(), *domain = json_object(), *project = json_object(),
	       *pdomain = json_object();
	add_name_or_id(user, c->username, c->user_id);
	if (!c->user_id) {
		add_name_or_id(domain, c->user_domain_name, c->user_domain_id);
		json_object_set(user, "domain", domain);
	}
	json_object_set_new(user, "password", json_string(c->password));
	add_name_or_id(project, c->project_name, c->project_id);
	if (!c->project_id) {
		add_name_or_id(pdomain, c->project_domain_name, c->project_domain_id);
		json_object_set(project, "domain", pdomain);
	}
	json_t *root = json_pack("{s:{s:{s:[s],s:{s:o}},s:{s:o}}}", "auth", "identity", "methods",
				 "password", "password", "user", user, "scope", "project", project);
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	json_decref(domain);
	json_decref(pdomain);
	return s;
}

void osapi_drop_token(struct osapi *api)
{
	if (api->token) {
		explicit_bzero(api->token, strlen(api->token));
		free(api->token);
		api->token = NULL;
	}
	api->token_expires = 0;
}

static int do_auth(struct osapi *api, struct gb_err *err)
{
	struct strbuf url = STRBUF_INIT, resp = STRBUF_INIT;
	sb_addf(&url, "%s/v3/auth/tokens", api->identity_url);
	char *body = auth_body(&api->creds), *subject = NULL;
	struct osapi_call call;
	memset(&call, 0, sizeof(call));
	int rc = -1;
	if (osapi_new_request_id(api, call.request_id, err) < 0)
		goto out;
	struct curl_slist *h = NULL;
	struct strbuf rid = STRBUF_INIT;
	sb_addf(&rid, "X-OpenStack-Request-ID: %s", call.request_id);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, rid.buf);
	sb_release(&rid);
	bool is_too_big = false;
	double retry_after = -1;
	struct xfer x = { &resp, &is_too_big, call.server_request_id, &retry_after, &subject };
	CURL *e = osapi_make_easy(api, "POST", url.buf, body, h, &x);
	if (!e) {
		curl_slist_free_all(h);
		osapi_err(api, err, GB_EXIT_ENV, "cannot create a curl handle");
		goto out;
	}
	snprintf(call.method, sizeof(call.method), "POST");
	snprintf(call.service, sizeof(call.service), "identity");
	call.path = (char *)osapi_url_path(url.buf);
	call.started = gb_wall();
	CURLcode cc = curl_easy_perform(e);
	long status = 0;
	curl_off_t us = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &us);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	call.status = cc == CURLE_OK ? (int)status : 0;
	call.latency = (double)us / 1e6;
	osapi_log_call(api, &call);
	if (cc != CURLE_OK) {
		bool unknown;
		osapi_transfer_error(api, cc, is_too_big, "POST", url.buf, err, &unknown);
		goto out;
	}
	json_error_t jerr;
	json_t *j = resp.len ? json_loadb(resp.buf, resp.len, 0, &jerr) : NULL;
	if (status == 401) {
		osapi_err(api, err, GB_EXIT_ENV,
			"keystone at %s refused the credentials from %s (401); check username, "
			"password, project and domain names", url.buf, api->creds.source);
	} else if (status < 200 || status >= 300) {
		const char *m = osapi_error_message(j);
		osapi_err(api, err, GB_EXIT_ENV, "POST %s: %ld %s%s%s", url.buf, status,
			osapi_reason((int)status), m ? ": " : "", m ? m : "");
	} else if (!j) {
		osapi_err(api, err, GB_EXIT_ENV, "POST %s: malformed JSON in the token response",
			url.buf);
	} else if (!subject || !*subject) {
		osapi_err(api, err, GB_EXIT_ENV, "POST %s: no X-Subject-Token header in the answer",
			url.buf);
	} else {
		json_t *token = json_object_get(j, "token");
		json_t *cat = json_object_get(token, "catalog");
		if (!json_is_array(cat)) {
			osapi_err(api, err, GB_EXIT_ENV, "POST %s: the token has no service catalog; "
				"is the project (scope) right?", url.buf);
		} else {
			osapi_drop_token(api);
			api->token = subject;
			api->token_gen++;
			subject = NULL;
			api->token_expires =
				parse_iso_time(json_string_value(json_object_get(token, "expires_at")));
			json_decref(api->catalog);
			api->catalog = json_incref(cat);
			rc = 0;
		}
	}
	json_decref(j);
out:
	if (subject) {
		explicit_bzero(subject, strlen(subject));
		free(subject);
	}
	explicit_bzero(body, strlen(body));
	free(body);
	sb_release(&url);
	sb_release(&resp);
	return rc;
}

int osapi_authenticate(struct osapi *api, struct gb_err *err)
{
	if (api->token && (api->token_expires == 0 ||
			   api->token_expires - gb_wall() > api->opts.reauth_margin))
		return 0;
	return do_auth(api, err);
}

int osapi_endpoint(struct osapi *api, const char *type, const char **url, struct gb_err *err)
{
	for (size_t i = 0; i < api->n_endpoints; i++)
		if (!strcmp(api->endpoints[i].type, type)) {
			*url = api->endpoints[i].url;
			return 0;
		}
	if (!api->catalog && osapi_authenticate(api, err) < 0)
		return -1;
	const char *want_if = api->creds.interface, *region = api->creds.region_name;
	const char *found = NULL;
	size_t i;
	json_t *svc, *ep;
	json_array_foreach(api->catalog, i, svc) {
		const char *t = json_string_value(json_object_get(svc, "type"));
		if (found || !t || strcmp(t, type))
			continue;
		size_t k;
		json_array_foreach(json_object_get(svc, "endpoints"), k, ep) {
			const char *itf = json_string_value(json_object_get(ep, "interface"));
			const char *reg = json_string_value(json_object_get(ep, "region"));
			const char *reg_id = json_string_value(json_object_get(ep, "region_id"));
			const char *u = json_string_value(json_object_get(ep, "url"));
			if (!u || !itf || strcmp(itf, want_if))
				continue;
			if (region && !(reg && !strcmp(reg, region)) && !(reg_id && !strcmp(reg_id, region)))
				continue;
			found = u;
			break;
		}
	}
	if (!found && !strcmp(type, "identity"))
		found = api->identity_url;
	if (!found)
		return osapi_err(api, err, GB_EXIT_ENV,
			       "no '%s' endpoint with interface '%s'%s%s%s in the catalog from %s; "
			       "check region_name and interface", type, want_if,
			       region ? " in region '" : "", region ? region : "", region ? "'" : "",
			       api->identity_url);
	api->endpoints = gb_realloc(api->endpoints, (api->n_endpoints + 1) * sizeof(*api->endpoints));
	struct endpoint *e = &api->endpoints[api->n_endpoints++];
	snprintf(e->type, sizeof(e->type), "%s", type);
	e->url = gb_strdup(found);
	size_t l = strlen(e->url);
	while (l && e->url[l - 1] == '/')
		e->url[--l] = '\0';
	*url = e->url;
	return 0;
}


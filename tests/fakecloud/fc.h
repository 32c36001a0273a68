/*
 * fc.h - start, steer and stop tests/fakecloud/fakecloud.py from a C test (header-only,
 * included once per test program). The fake cloud listens on 127.0.0.1 only; it exits
 * when its stdin closes, so a crashed test never leaves it behind.
 */
#ifndef GB_FC_H
#define GB_FC_H

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloud/clouds.h"

extern char **environ;

#define FC_PASSWORD "s3cret-pw"

struct fc {
	pid_t pid;
	int port;
	int stdin_fd; /* closing it stops the fake cloud */
	char base[64]; /* "http://127.0.0.1:<port>" */
};

/* Start the fake cloud; with cert and key (PEM paths) it speaks https. */
__attribute__((unused))
static int fc_start_tls(struct fc *fc, const char *cert, const char *key)
{
	int in[2], out[2];
	if (pipe(in) || pipe(out))
		return -1;
	const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
	const char *script = getenv("FAKECLOUD") ? getenv("FAKECLOUD") : "tests/fakecloud/fakecloud.py";
	char *argv[] = { (char *)py, (char *)script, cert ? "--tls" : NULL, (char *)cert,
			 (char *)key, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	int rc = posix_spawn(&fc->pid, py, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (rc) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	fc->stdin_fd = in[1];
	FILE *f = fdopen(out[0], "r");
	char line[64] = "";
	if (!f || !fgets(line, sizeof(line), f) || sscanf(line, "PORT %d", &fc->port) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(fc->base, sizeof(fc->base), "%s://127.0.0.1:%d", cert ? "https" : "http", fc->port);
	return 0;
}

__attribute__((unused))
static int fc_start(struct fc *fc)
{
	return fc_start_tls(fc, NULL, NULL);
}

__attribute__((unused))
static void fc_stop(struct fc *fc)
{
	close(fc->stdin_fd);
	for (int i = 0; i < 50; i++) {
		if (waitpid(fc->pid, NULL, WNOHANG) == fc->pid)
			return;
		usleep(20000);
	}
	kill(fc->pid, SIGKILL);
	waitpid(fc->pid, NULL, 0);
}

static size_t fc_collect(char *d, size_t s, size_t n, void *arg)
{
	struct strbuf *sb = arg;
	sb_add(sb, d, s * n);
	return s * n;
}

/* A control request; returns the parsed answer (caller decrefs) or NULL. */
__attribute__((unused))
static json_t *fc_control(struct fc *fc, const char *method, const char *path, const char *json)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", fc->base, path);
	CURL *e = curl_easy_init();
	struct strbuf sb = STRBUF_INIT;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fc_collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sb);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L); /* the test's own loopback server */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, json ? json : "{}");
	CURLcode rc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	json_t *j = rc == CURLE_OK && sb.len ? json_loadb(sb.buf, sb.len, 0, NULL) : NULL;
	sb_release(&sb);
	return j;
}

/* Add a fault rule (a JSON object, see fakecloud.py). */
__attribute__((unused))
static void fc_fault(struct fc *fc, const char *json)
{
	json_decref(fc_control(fc, "POST", "/_control/fault", json));
}

__attribute__((unused))
static void fc_config(struct fc *fc, const char *json)
{
	json_decref(fc_control(fc, "POST", "/_control/config", json));
}

__attribute__((unused))
static void fc_reset(struct fc *fc)
{
	json_decref(fc_control(fc, "POST", "/_control/reset", NULL));
}

/* An integer field of /_control/state, or the number of live servers for "servers". */
__attribute__((unused))
static long fc_state_int(struct fc *fc, const char *key)
{
	json_t *j = fc_control(fc, "GET", "/_control/state", NULL);
	json_t *v = json_object_get(j, key);
	long n = json_is_array(v) ? (long)json_array_size(v) : (long)json_integer_value(v);
	json_decref(j);
	return j ? n : -1;
}

/* Credentials for the fake cloud (caller frees with os_creds_free). */
__attribute__((unused))
static void fc_creds(struct fc *fc, struct os_creds *c, const char *password)
{
	memset(c, 0, sizeof(*c));
	char url[128];
	snprintf(url, sizeof(url), "%s/identity/v3", fc->base);
	c->source = gb_strdup("fake cloud");
	c->auth_url = gb_strdup(url);
	c->username = gb_strdup("admin");
	c->password = gb_strdup(password ? password : FC_PASSWORD);
	c->project_name = gb_strdup("admin");
	c->user_domain_name = gb_strdup("Default");
	c->project_domain_name = gb_strdup("Default");
	c->interface = gb_strdup("public");
}

#endif

/*
 * clouds.h - where OpenStack credentials come from, resolved the way openstacksdk users
 * expect: a scenario's inline auth block, a named cloud in clouds.yaml (+ secure.yaml),
 * or devstack-style OS_* environment variables. Resolution never touches the network and
 * never puts a password into an error message.
 */
#ifndef GB_CLOUDS_H
#define GB_CLOUDS_H

#include <stdbool.h>

#include "base/gb.h"
#include "scenario/scenario.h"

/* Keystone v3 password credentials plus connection options. Every string is owned by the
 * struct (os_creds_free releases and wipes them); NULL means "not given". */
struct os_creds {
	char *source;              /* "clouds.yaml:/path (cloud 'x')", "OS_* environment", "scenario auth" */
	char *auth_url;            /* "http://127.0.0.1:5000/v3" (a trailing /v3 is optional) */
	char *username;
	char *user_id;
	char *password;            /* secret: never printed, logged or stored */
	char *project_name;
	char *project_id;
	char *user_domain_name;    /* "Default" when neither name nor id is given */
	char *user_domain_id;
	char *project_domain_name; /* "Default" when neither name nor id is given */
	char *project_domain_id;
	char *region_name;         /* NULL: the first endpoint of any region */
	char *interface;           /* "public" (default), "internal" or "admin" */
	char *cacert;              /* CA bundle path for TLS verification, or NULL: system CAs */
	bool insecure;             /* true: do not verify TLS certificates (verify: false) */
};

/*
 * Fill out from, in order of precedence:
 *  1. inline (a scenario's auth: block) when not NULL;
 *  2. the cloud `cloud` (or $OS_CLOUD when cloud is NULL) in the first clouds.yaml found
 *     among $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, $XDG_CONFIG_HOME/openstack/clouds.yaml
 *     (default ~/.config/openstack), /etc/openstack/clouds.yaml; a secure.yaml found in the
 *     same directories is merged over it (e.g. to keep the password apart);
 *  3. OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ... (devstack's openrc).
 * OS_CACERT and OS_INSECURE apply to 3. Returns 0, or -1 with err naming the file:line
 * and what to do (unknown cloud: a did-you-mean; YAML aliases are refused).
 * On success the caller owns *out and frees it with os_creds_free().
 */
int clouds_resolve(const char *cloud, const struct sc_auth *inline_auth, struct os_creds *out,
		   struct gb_err *err);

/* Same, with the system directory ("/etc/openstack") given: for tests only. */
int clouds_resolve_in(const char *cloud, const struct sc_auth *inline_auth, const char *etc_dir,
		      struct os_creds *out, struct gb_err *err);

/* Parse clouds.yaml text (named path in messages) and resolve cloud_name from it alone
 * (no search, no secure.yaml, no environment): for tests and the fuzzer. */
int clouds_parse_buffer(const char *path, const char *data, size_t len, const char *cloud_name,
			struct os_creds *out, struct gb_err *err);

/* Deep-copy src into dst (dst is overwritten, not freed first). */
void os_creds_copy(struct os_creds *dst, const struct os_creds *src);

/* Free every string (the password is wiped first) and zero the struct. */
void os_creds_free(struct os_creds *c);

#endif

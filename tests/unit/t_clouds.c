/* t_clouds.c - credential resolution: inline auth, OS_* variables, clouds.yaml search
 * order (cwd, XDG_CONFIG_HOME/HOME, /etc stand-in, OS_CLIENT_CONFIG_FILE), secure.yaml,
 * did-you-mean, bad YAML, aliases, and that no password reaches an error message. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud/clouds.h"
#include "lib/tap.h"

static char data[PATH_MAX], tmp[256], etc[PATH_MAX];
static struct strbuf all_errors = STRBUF_INIT;

static const char *const os_vars[] = {
	"OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD",
	"OS_PROJECT_NAME", "OS_PROJECT_ID", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME",
	"OS_REGION_NAME", "OS_INTERFACE", "OS_CACERT", "OS_INSECURE", "OS_IDENTITY_API_VERSION",
	"OS_USER_ID", "OS_TENANT_NAME", "OS_USER_DOMAIN_ID", "OS_PROJECT_DOMAIN_ID",
	"OS_ENDPOINT_TYPE", "OS_TENANT_ID",
};

static void clear_env(void)
{
	for (size_t i = 0; i < GB_ARRAY_SIZE(os_vars); i++)
		unsetenv(os_vars[i]);
}

static int resolve(const char *cloud, const struct sc_auth *a, struct os_creds *c,
		   struct gb_err *err)
{
	memset(err, 0, sizeof(*err));
	int rc = clouds_resolve_in(cloud, a, etc, c, err);
	sb_addf(&all_errors, "%s\n", err->msg);
	return rc;
}

/* Write a clouds.yaml whose cloud "c" has auth_url http://<tag>/v3. */
static void write_cloud(const char *dir, const char *file, const char *tag)
{
	char path[PATH_MAX * 2], buf[512];
	struct gb_err err;
	snprintf(path, sizeof(path), "mkdir -p %s", dir);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int n = snprintf(buf, sizeof(buf),
			 "clouds:\n  c:\n    auth:\n      auth_url: http://%s/v3\n      username: u\n"
			 "      password: pw-%s-secret\n      project_name: p\n", tag, tag);
	gb_write_file_atomic(path, buf, (size_t)n, 0600, &err);
}

static void rm(const char *dir, const char *file)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	unlink(path);
}

static void test_inline(void)
{
	struct os_creds c;
	struct gb_err err;
	struct sc_auth a = { .auth_url = "http://127.0.0.1:5000/v3", .username = "admin",
			     .password = "pw-inline-333", .project_name = "admin" };
	ok(resolve(NULL, &a, &c, &err) == 0, "inline: a complete auth block resolves");
	is_str(c.user_domain_name, "Default", "inline: user domain defaults to Default");
	is_str(c.project_domain_name, "Default", "inline: project domain defaults to Default");
	is_str(c.interface, "public", "inline: interface defaults to public");
	is_str(c.source, "scenario auth block", "inline: source named for messages");
	ok(!c.insecure, "inline: TLS verified by default");
	os_creds_free(&c);
	a.password = NULL;
	ok(resolve(NULL, &a, &c, &err) < 0 && strstr(err.msg, "scenario auth block: auth.password is missing"),
	   "inline: missing password named: %s", err.msg);
	a.password = "pw-inline-333";
	a.interface = "sideways";
	ok(resolve(NULL, &a, &c, &err) < 0 && strstr(err.msg, "interface 'sideways'"),
	   "inline: bad interface refused: %s", err.msg);
}

static void test_env(void)
{
	struct os_creds c;
	struct gb_err err;
	clear_env();
	ok(resolve(NULL, NULL, &c, &err) < 0 && strstr(err.msg, "OS_CLOUD") &&
	   strstr(err.msg, "OS_AUTH_URL"), "env: nothing set: says what to set: %s", err.msg);
	setenv("OS_AUTH_URL", "http://127.0.0.1/identity", 1);
	setenv("OS_USERNAME", "admin", 1);
	setenv("OS_PASSWORD", "pw-env-444", 1);
	setenv("OS_PROJECT_NAME", "admin", 1);
	setenv("OS_USER_DOMAIN_NAME", "Default", 1);
	setenv("OS_PROJECT_DOMAIN_NAME", "Other", 1);
	setenv("OS_REGION_NAME", "RegionOne", 1);
	setenv("OS_INTERFACE", "internalURL", 1);
	ok(resolve(NULL, NULL, &c, &err) == 0, "env: devstack openrc variables resolve (%s)", err.msg);
	is_str(c.auth_url, "http://127.0.0.1/identity", "env: OS_AUTH_URL");
	is_str(c.password, "pw-env-444", "env: OS_PASSWORD");
	is_str(c.project_domain_name, "Other", "env: OS_PROJECT_DOMAIN_NAME");
	is_str(c.region_name, "RegionOne", "env: OS_REGION_NAME");
	is_str(c.interface, "internal", "env: OS_INTERFACE internalURL means internal");
	is_str(c.source, "OS_* environment", "env: source named");
	os_creds_free(&c);
	setenv("OS_CACERT", "/nonexistent/ca.pem", 1);
	ok(resolve(NULL, NULL, &c, &err) < 0 && strstr(err.msg, "/nonexistent/ca.pem"),
	   "env: unreadable OS_CACERT named: %s", err.msg);
	unsetenv("OS_CACERT");
	setenv("OS_INSECURE", "true", 1);
	ok(resolve(NULL, NULL, &c, &err) == 0 && c.insecure, "env: OS_INSECURE=true opts out of TLS checks");
	os_creds_free(&c);
	unsetenv("OS_PASSWORD");
	ok(resolve(NULL, NULL, &c, &err) < 0 && strstr(err.msg, "OS_PASSWORD"),
	   "env: missing OS_PASSWORD named: %s", err.msg);
	setenv("OS_PASSWORD", "pw-env-444", 1);
	setenv("OS_IDENTITY_API_VERSION", "2", 1);
	ok(resolve(NULL, NULL, &c, &err) < 0 && strstr(err.msg, "keystone v3"),
	   "env: identity v2 refused: %s", err.msg);
	clear_env();
}

static void test_search_order(void)
{
	struct os_creds c;
	struct gb_err err;
	char cwd[PATH_MAX], home[PATH_MAX], homecfg[PATH_MAX * 2], xdg[PATH_MAX],
	     xdgos[PATH_MAX * 2], cfg[PATH_MAX * 2];
	snprintf(cwd, sizeof(cwd), "%s/cwd", tmp);
	snprintf(home, sizeof(home), "%s/home", tmp);
	snprintf(homecfg, sizeof(homecfg), "%s/.config", home);
	mkdir(home, 0700);
	mkdir(homecfg, 0700);
	snprintf(homecfg, sizeof(homecfg), "%s/.config/openstack", home);
	snprintf(xdg, sizeof(xdg), "%s/xdg", tmp);
	mkdir(xdg, 0700);
	snprintf(xdgos, sizeof(xdgos), "%s/openstack", xdg);
	write_cloud(cwd, "clouds.yaml", "cwd");
	write_cloud(homecfg, "clouds.yaml", "home");
	write_cloud(xdgos, "clouds.yaml", "xdg");
	write_cloud(etc, "clouds.yaml", "etc");
	write_cloud(tmp, "env.yaml", "envfile");
	if (chdir(cwd) != 0) {
		ok(0, "search: chdir %s: %s (the search-order tests did not run)", cwd, strerror(errno));
		return;
	}
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);

	snprintf(cfg, sizeof(cfg), "%s/env.yaml", tmp);
	setenv("OS_CLIENT_CONFIG_FILE", cfg, 1);
	ok(resolve("c", NULL, &c, &err) == 0 && !strcmp(c.auth_url, "http://envfile/v3"),
	   "search: OS_CLIENT_CONFIG_FILE comes first");
	os_creds_free(&c);
	unsetenv("OS_CLIENT_CONFIG_FILE");
	ok(resolve("c", NULL, &c, &err) == 0 && !strcmp(c.auth_url, "http://cwd/v3"),
	   "search: ./clouds.yaml before the user's");
	ok(strstr(c.source, "cwd/clouds.yaml") || strstr(c.source, "./clouds.yaml"),
	   "search: source names the file (%s)", c.source);
	os_creds_free(&c);
	rm(cwd, "clouds.yaml");
	ok(resolve("c", NULL, &c, &err) == 0 && !strcmp(c.auth_url, "http://xdg/v3"),
	   "search: $XDG_CONFIG_HOME/openstack next");
	os_creds_free(&c);
	unsetenv("XDG_CONFIG_HOME");
	ok(resolve("c", NULL, &c, &err) == 0 && !strcmp(c.auth_url, "http://home/v3"),
	   "search: ~/.config/openstack without XDG_CONFIG_HOME");
	os_creds_free(&c);
	rm(homecfg, "clouds.yaml");
	ok(resolve("c", NULL, &c, &err) == 0 && !strcmp(c.auth_url, "http://etc/v3"),
	   "search: /etc/openstack last");
	os_creds_free(&c);
	setenv("OS_CLOUD", "c", 1);
	ok(resolve(NULL, NULL, &c, &err) == 0 && !strcmp(c.auth_url, "http://etc/v3"),
	   "search: OS_CLOUD names the cloud when none is given");
	os_creds_free(&c);
	unsetenv("OS_CLOUD");
	rm(etc, "clouds.yaml");
	ok(resolve("c", NULL, &c, &err) < 0 && strstr(err.msg, "no clouds.yaml found") &&
	   strstr(err.msg, "OS_CLIENT_CONFIG_FILE"), "search: none found: says where it looked: %s",
	   err.msg);

	/* secure.yaml beside clouds.yaml supplies the password */
	char src[PATH_MAX * 2];
	struct strbuf sb = STRBUF_INIT;
	snprintf(src, sizeof(src), "%s/nopassword.yaml", data);
	gb_read_file(src, 1 << 20, &sb, &err);
	snprintf(src, sizeof(src), "%s/clouds.yaml", cwd);
	gb_write_file_atomic(src, sb.buf, sb.len, 0600, &err);
	sb_reset(&sb);
	ok(resolve("devstack", NULL, &c, &err) < 0 && strstr(err.msg, "password") &&
	   strstr(err.msg, "clouds.yaml:2"), "secure.yaml: without it the password is missing: %s",
	   err.msg);
	snprintf(src, sizeof(src), "%s/secure.yaml", data);
	gb_read_file(src, 1 << 20, &sb, &err);
	snprintf(src, sizeof(src), "%s/secure.yaml", cwd);
	gb_write_file_atomic(src, sb.buf, sb.len, 0600, &err);
	sb_release(&sb);
	ok(resolve("devstack", NULL, &c, &err) == 0 && c.password &&
	   !strcmp(c.password, "pw-secure-222"), "secure.yaml: its password is merged in");
	os_creds_free(&c);
	rm(cwd, "secure.yaml");
	rm(cwd, "clouds.yaml");
	if (chdir(tmp) != 0)
		return;
}

static void test_files(void)
{
	struct os_creds c;
	struct gb_err err;
	char f[PATH_MAX * 2];
	snprintf(f, sizeof(f), "%s/clouds.yaml", data);
	setenv("OS_CLIENT_CONFIG_FILE", f, 1);
	ok(resolve("devstack-admin", NULL, &c, &err) == 0, "file: devstack-admin resolves (%s)", err.msg);
	is_str(c.user_domain_id, "default", "file: user_domain_id kept");
	ok(!c.user_domain_name, "file: no domain name invented when an id is given");
	is_str(c.region_name, "RegionOne", "file: region_name");
	os_creds_free(&c);
	ok(resolve("devstack", NULL, &c, &err) == 0 && c.insecure && !strcmp(c.interface, "internal"),
	   "file: verify: false means insecure; internalURL means internal");
	os_creds_free(&c);
	ok(resolve("devstack-admn", NULL, &c, &err) < 0 &&
	   strstr(err.msg, "did you mean 'devstack-admin'?") && strstr(err.msg, "clouds.yaml"),
	   "file: a typo gets a did-you-mean: %s", err.msg);
	ok(resolve("production", NULL, &c, &err) < 0 &&
	   strstr(err.msg, "clouds there: devstack-admin, devstack, tokenauth"),
	   "file: an unknown cloud lists the clouds: %s", err.msg);
	ok(resolve("tokenauth", NULL, &c, &err) < 0 && strstr(err.msg, "clouds.yaml:24:16") &&
	   strstr(err.msg, "auth_type"), "file: auth_type token refused with its line: %s", err.msg);

	snprintf(f, sizeof(f), "%s/bad.yaml", data);
	setenv("OS_CLIENT_CONFIG_FILE", f, 1);
	ok(resolve("devstack", NULL, &c, &err) < 0 && strstr(err.msg, "bad.yaml:4:") &&
	   strstr(err.msg, "YAML syntax error"), "bad YAML: file:line:col: %s", err.msg);
	snprintf(f, sizeof(f), "%s/alias.yaml", data);
	setenv("OS_CLIENT_CONFIG_FILE", f, 1);
	ok(resolve("devstack", NULL, &c, &err) < 0 && strstr(err.msg, "alias.yaml:8:") &&
	   strstr(err.msg, "aliases"), "YAML alias refused at its line: %s", err.msg);
	snprintf(f, sizeof(f), "%s/nested.yaml", data);
	setenv("OS_CLIENT_CONFIG_FILE", f, 1);
	ok(resolve("devstack", NULL, &c, &err) < 0 && strstr(err.msg, "nested.yaml:6:17") &&
	   strstr(err.msg, "auth.password: expected a string"), "a list as password: %s", err.msg);
	snprintf(f, sizeof(f), "%s/missing.yaml", data);
	setenv("OS_CLIENT_CONFIG_FILE", f, 1);
	ok(resolve("devstack", NULL, &c, &err) < 0 && strstr(err.msg, "missing.yaml: cannot read"),
	   "OS_CLIENT_CONFIG_FILE naming no file: clear error: %s", err.msg);
	unsetenv("OS_CLIENT_CONFIG_FILE");

	static const char text[] = "clouds:\n  devstack:\n    auth: {auth_url: 'http://h/v3', "
				   "username: u, password: pw-buffer-555, project_id: p1}\n";
	ok(clouds_parse_buffer("mem.yaml", text, sizeof(text) - 1, "devstack", &c, &err) == 0 &&
	   !strcmp(c.project_id, "p1") && !c.project_name && !strcmp(c.source, "mem.yaml:2 (cloud 'devstack')"),
	   "buffer: clouds.yaml text resolves without touching files (%s)", err.msg);
	os_creds_free(&c);
	ok(clouds_parse_buffer("mem.yaml", "- a\n- b\n", 8, "devstack", &c, &err) < 0 &&
	   strstr(err.msg, "mem.yaml:1:1: expected a mapping"), "buffer: a list is not a clouds.yaml: %s", err.msg);
	static const char bad_utf8[] = "clouds:\n  devstack:\n    auth: {password: pw-\xe9t\xe9}\n";
	ok(clouds_parse_buffer("mem.yaml", bad_utf8, sizeof(bad_utf8) - 1, "devstack", &c, &err) < 0 &&
		   !strcmp(err.msg, "mem.yaml:3:25: not valid UTF-8; a clouds.yaml file must be UTF-8 text"),
	   "buffer: a password that is not UTF-8 is refused without quoting its bytes: %s", err.msg);
}

int main(void)
{
	if (!realpath("tests/data/clouds", data)) {
		printf("Bail out! tests/data/clouds not found: run from the repository root\n");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/gb-t-clouds-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(etc, sizeof(etc), "%s/etc", tmp);
	mkdir(etc, 0700);
	char *old_home = getenv("HOME") ? gb_strdup(getenv("HOME")) : NULL;
	clear_env();
	if (chdir(tmp) != 0)
		return 1;
	test_inline();
	test_env();
	test_search_order();
	test_files();
	/* every password of these tests starts with "pw-" (write_cloud's pw-TAG-secret for cwd,
	 * home, xdg, etc and envfile too): none may appear, whichever it is */
	static const char *const secrets[] = { "pw-inline-333", "pw-env-444", "pw-cwd-secret",
		"pw-home-secret", "pw-xdg-secret", "pw-etc-secret", "pw-envfile-secret",
		"pw-devstack-admin-123", "pw-demo-456", "pw-bad-789", "pw-alias-000", "pw-list-111",
		"pw-secure-222", "pw-buffer-555" };
	bool leaked = strstr(sb_str(&all_errors), "pw-") != NULL;
	for (size_t i = 0; i < GB_ARRAY_SIZE(secrets); i++)
		if (strstr(sb_str(&all_errors), secrets[i]))
			diag("leaked: %s", secrets[i]);
	ok(!leaked, "secrets: no password (pw-...) appears in any of the %zu bytes of error messages",
	   all_errors.len);
	sb_release(&all_errors);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "%s", tmp);
	/* clean up the temp tree without a shell */
	const char *files[] = { "env.yaml", "xdg/openstack/clouds.yaml", "home/.config/openstack/clouds.yaml" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(files); i++)
		rm(tmp, files[i]);
	const char *dirs[] = { "xdg/openstack", "xdg", "home/.config/openstack", "home/.config",
			       "home", "cwd", "etc" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(dirs); i++) {
		char d[PATH_MAX * 2];
		snprintf(d, sizeof(d), "%s/%s", tmp, dirs[i]);
		rmdir(d);
	}
	if (chdir("/") == 0)
		rmdir(cmd);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	return done_testing();
}

/*
 * t_localconf.c - local.conf meta-sections, devstack variables and the
 * byte-exact INI merge (expected bytes written by hand, devstack iniset rules).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/localconf.h"
#include "lib/tap.h"

static const char *data_dir(void)
{
	const char *d = getenv("GB_TEST_DATA");
	return d ? d : "tests/data";
}

/* Set one key in an INI buffer and compare the result with want. */
static void merge_case(const char *desc, const char *in, const char *section, const char *key,
		       const char *value, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, in);
	struct gb_err err = { 0, "" };
	int rc = localconf_ini_set(&sb, "x.conf", section, key, value, &err);
	if (rc != 0)
		diag("error: %s", err.msg);
	is_str(rc == 0 ? sb_str(&sb) : "(failed)", want, "merge: %s", desc);
	sb_release(&sb);
}

static void merge_tests(void)
{
	merge_case("replace a value, keep comments and blank lines",
		   "[DEFAULT]\n# c\ndebug = False\n\n[x]\ny = 1\n", "DEFAULT", "debug", "True",
		   "[DEFAULT]\n# c\ndebug = True\n\n[x]\ny = 1\n");
	merge_case("keep the spacing around '=' of the existing line",
		   "[s]\nk  =\tv\nj=old\n", "s", "j", "new", "[s]\nk  =\tv\nj=new\n");
	merge_case("a new key goes right after its section header",
		   "[a]\nx = 1\n[s]\nold = 1\n", "s", "k", "v", "[a]\nx = 1\n[s]\nk = v\nold = 1\n");
	merge_case("a missing section is appended after a blank line",
		   "[a]\nx = 1\n", "s", "k", "v", "[a]\nx = 1\n\n[s]\nk = v\n");
	merge_case("no trailing newline: appended section starts on its own line",
		   "a = 1", "s", "k", "v", "a = 1\n[s]\nk = v\n");
	merge_case("empty file gets the section (devstack's leading blank line)",
		   "", "s", "k", "v", "\n[s]\nk = v\n");
	merge_case("same key in another section is left alone",
		   "[a]\nk = 1\n[s]\nk = 2\n", "s", "k", "3", "[a]\nk = 1\n[s]\nk = 3\n");
	merge_case("a key that only shares a prefix is not replaced",
		   "[s]\nenabled_filters_x = 1\n", "s", "enabled_filters", "",
		   "[s]\nenabled_filters = \nenabled_filters_x = 1\n");
	merge_case("a commented-out key stays; the real one is inserted",
		   "[s]\n#k = old\n", "s", "k", "v", "[s]\nk = v\n#k = old\n");
	merge_case("CRLF lines keep their CR",
		   "[s]\r\nk = 1\r\nz = 2\r\n", "s", "k", "9", "[s]\r\nk = 9\r\nz = 2\r\n");
	merge_case("header with trailing blanks is recognised",
		   "[s]  \nk = 1\n", "s", "k", "2", "[s]  \nk = 2\n");
	merge_case("header as the last, unterminated line",
		   "[a]\nx = 1\n[s]", "s", "k", "v", "[a]\nx = 1\n[s]\nk = v\n");
	merge_case("repeated section: every occurrence of the key is set",
		   "[s]\nk = 1\n[t]\n[s]\nk = 2\n", "s", "k", "3", "[s]\nk = 3\n[t]\n[s]\nk = 3\n");
	merge_case("value with '=' and spaces is written as given",
		   "[d]\nurl = x\n", "d", "url", "mysql://a:b@127.0.0.1/db?x=1 y",
		   "[d]\nurl = mysql://a:b@127.0.0.1/db?x=1 y\n");
	merge_case("unchanged value leaves the bytes identical",
		   "[s]\n  # indented comment\nk = v\n", "s", "k", "v", "[s]\n  # indented comment\nk = v\n");

	struct strbuf sb = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	sb_addstr(&sb, "[s]\n");
	ok(localconf_ini_set(&sb, "n.conf", "s", "k", "a\nb", &err) != 0 &&
		   strstr(err.msg, "n.conf: [s] k: value contains a newline"),
	   "merge: a newline in a value is refused naming file, section and key");
	ok(localconf_ini_set(&sb, "n.conf", "a]b", "k", "v", &err) != 0 &&
		   strstr(err.msg, "section name 'a]b'"),
	   "merge: ']' in a section name is refused");
	ok(localconf_ini_set(&sb, "n.conf", "s", "k=x", "v", &err) != 0 && strstr(err.msg, "key 'k=x'"),
	   "merge: '=' in a key is refused");
	is_str(sb_str(&sb), "[s]\n", "merge: refused settings leave the buffer untouched");
	sb_release(&sb);
}

/*
 * Apply every setting of lc whose file is $var to tests/data/localconf/name.in
 * and compare the bytes with name.out (written by hand, devstack's rules).
 */
static void apply_fixture(const struct localconf *lc, const char *var, const char *name)
{
	char rel[512], abs[PATH_MAX], arg[PATH_MAX + 64], out_path[512];
	snprintf(rel, sizeof(rel), "%s/localconf/%s.in", data_dir(), name);
	snprintf(out_path, sizeof(out_path), "%s/localconf/%s.out", data_dir(), name);
	if (!realpath(rel, abs))
		snprintf(abs, sizeof(abs), "/missing/%s", name);
	snprintf(arg, sizeof(arg), "%s=%s", var, abs);
	struct localconf_vars v;
	localconf_vars_defaults(&v);
	struct gb_err err = { 0, "" };
	localconf_vars_set_arg(&v, arg, &err);
	struct strbuf ini = STRBUF_INIT, want = STRBUF_INIT, target = STRBUF_INIT;
	gb_read_file(abs, 1 << 20, &ini, &err);
	gb_read_file(out_path, 1 << 20, &want, &err);
	int bad = 0, applied = 0;
	for (size_t i = 0; i < lc->n_settings; i++) {
		sb_reset(&target);
		if (localconf_expand(&v, lc->settings[i].file, "t", &target, &err) != 0) {
			bad++;
			diag("%s", err.msg);
			continue;
		}
		if (strcmp(target.buf, abs))
			continue;
		applied++;
		if (localconf_ini_set(&ini, abs, lc->settings[i].section, lc->settings[i].key,
				      lc->settings[i].value, &err) != 0)
			bad++;
	}
	bool same = ini.len == want.len && !memcmp(sb_str(&ini), sb_str(&want), want.len);
	ok(!bad && applied > 0 && same, "merge: %s's $%s settings on %s.in give exactly %s.out (%d set)",
	   lc->name + (strrchr(lc->name, '/') ? strrchr(lc->name, '/') - lc->name + 1 : 0), var, name,
	   name, applied);
	if (!same)
		diag("got:\n%s", sb_str(&ini));
	sb_release(&ini);
	sb_release(&want);
	sb_release(&target);
	localconf_vars_free(&v);
}

static void parse_fixture(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/localconf/fake-scheduler.local.conf", data_dir());
	struct localconf *lc = NULL;
	struct gb_err err = { 0, "" };
	int rc = localconf_load(path, &lc, &err);
	if (!ok(rc == 0, "parse: fake-scheduler.local.conf loads")) {
		diag("%s", err.msg);
		return;
	}
	is_int(lc->n_settings, 5, "parse: five post-config settings");
	is_str(localconf_localrc(lc, "NUMBER_FAKE_NOVA_COMPUTE"), "25", "parse: NUMBER_FAKE_NOVA_COMPUTE=25 from localrc");
	is_str(localconf_localrc(lc, "VIRT_DRIVER"), "fake", "parse: VIRT_DRIVER=fake");
	is_str(localconf_localrc(lc, "RABBIT_PASSWORD"), "secret", "parse: localrc quotes removed");
	ok(localconf_localrc(lc, "enable_service") == NULL, "parse: shell commands in localrc are not variables");
	is_str(lc->settings[1].section, "filter_scheduler", "parse: second setting's section");
	is_str(lc->settings[1].value, "\"\"", "parse: value \"\" kept literally, as devstack writes it");
	is_int(lc->settings[1].line, 15, "parse: setting remembers its line (15)");
	is_str(lc->settings[4].file, "${NOVA_CPU_CONF}", "parse: meta-section file kept as written");

	apply_fixture(lc, "NOVA_CONF", "nova.conf");
	apply_fixture(lc, "NOVA_CPU_CONF", "nova-cpu.conf");
	localconf_free(lc);

	snprintf(path, sizeof(path), "%s/localconf/multi.local.conf", data_dir());
	rc = localconf_load(path, &lc, &err);
	if (!ok(rc == 0, "parse: multi.local.conf (leading blanks before a header) loads")) {
		diag("%s", err.msg);
		return;
	}
	is_int(lc->n_settings, 5, "parse: five settings over three meta-sections");
	ok(localconf_localrc(lc, "NUMBER_FAKE_NOVA_COMPUTE") == NULL,
	   "parse: 'NAME = 2' (spaces) is a shell command, not an assignment, as in bash");
	is_str(localconf_localrc(lc, "ADMIN_PASSWORD"), "nomoresecret", "parse: 'export NAME=value' is read");
	is_str(lc->settings[4].phase, "test-config", "parse: test-config meta-section");
	apply_fixture(lc, "PLACEMENT_CONF", "placement.conf");
	apply_fixture(lc, "NEUTRON_CONF", "neutron.conf");
	localconf_free(lc);
}

static void parse_error(const char *desc, const char *text, const char *want)
{
	struct localconf *lc = NULL;
	struct gb_err err = { 0, "" };
	int rc = localconf_parse("bad.conf", text, strlen(text), &lc, &err);
	ok(rc != 0 && strstr(err.msg, want), "parse error: %s", desc);
	if (rc == 0)
		localconf_free(lc);
	else if (!strstr(err.msg, want))
		diag("got: %s", err.msg);
}

static void parse_errors(void)
{
	parse_error("text before any meta-section, at its line", "\n\nfoo = bar\n",
		    "bad.conf:3: text before the first [[phase|file]] meta-section");
	parse_error("unknown phase suggests the close one", "[[post-confg|$NOVA_CONF]]\n",
		    "bad.conf:1: unknown meta-section phase 'post-confg'; did you mean 'post-config'?");
	parse_error("header without '|'", "[[post-config]]\n", "bad.conf:1: meta-section header needs [[phase|file]]");
	parse_error("key before any section", "[[post-config|$NOVA_CONF]]\nk = v\n",
		    "bad.conf:2: 'key = value' before any [section]");
	parse_error("a line that is neither", "[[post-config|$NOVA_CONF]]\n[s]\njunk\n",
		    "bad.conf:3: expected 'key = value' or '[section]'");
	parse_error("the same key twice in one meta-section", "[[post-config|$NOVA_CONF]]\n[s]\nk=1\nk=2\n",
		    "bad.conf:4: [s] k is already set at line 3");
	parse_error("local phase with another target", "[[local|foo]]\n", "bad.conf:1: [[local|foo]]");
	{
		static const char nul[] = "[[local|localrc]]\nA=\0\n";
		struct localconf *lc0 = NULL;
		struct gb_err e0 = { 0, "" };
		ok(localconf_parse("nul.conf", nul, sizeof(nul) - 1, &lc0, &e0) != 0 &&
			   strstr(e0.msg, "nul.conf: contains a NUL byte"),
		   "parse error: a NUL byte is refused");
	}

	/* the same key in two meta-sections for different files is fine */
	const char *two = "[[post-config|$NOVA_CONF]]\n[s]\nk=1\n[[post-config|$NOVA_CPU_CONF]]\n[s]\nk=2\n";
	struct localconf *lc = NULL;
	struct gb_err err = { 0, "" };
	ok(localconf_parse("ok.conf", two, strlen(two), &lc, &err) == 0 && lc->n_settings == 2,
	   "parse: same key under two meta-sections is allowed");
	localconf_free(lc);
	const char *crlf = "[[post-config|$NOVA_CONF]]\r\n[s]\r\nk = v\r\n";
	ok(localconf_parse("crlf.conf", crlf, strlen(crlf), &lc, &err) == 0 && lc->n_settings == 1 &&
		   !strcmp(lc->settings[0].value, "v"),
	   "parse: CRLF local.conf reads the same");
	localconf_free(lc);
}

static void var_tests(void)
{
	struct localconf_vars v;
	localconf_vars_defaults(&v);
	struct strbuf out = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	ok(localconf_expand(&v, "$NOVA_CONF", "f:1", &out, &err) == 0 && !strcmp(out.buf, "/etc/nova/nova.conf"),
	   "vars: $NOVA_CONF defaults to devstack's /etc/nova/nova.conf");
	sb_reset(&out);
	localconf_expand(&v, "$PLACEMENT_CONF", "f:1", &out, &err);
	is_str(sb_str(&out), "/etc/placement/placement.conf", "vars: $PLACEMENT_CONF default");
	sb_reset(&out);
	localconf_vars_set(&v, "NOVA_CONF", "/tmp/x/nova.conf");
	localconf_expand(&v, "${NOVA_CONF}", "f:1", &out, &err);
	is_str(sb_str(&out), "/tmp/x/nova.conf", "vars: ${NOVA_CONF} takes the override");
	sb_reset(&out);
	ok(localconf_expand(&v, "$NOPE_CONF", "lc.conf:7", &out, &err) != 0 &&
		   strstr(err.msg, "lc.conf:7: unknown devstack variable $NOPE_CONF; set its path with --var NOPE_CONF=PATH"),
	   "vars: an unknown variable names where and how to set it");
	sb_reset(&out);
	ok(localconf_expand(&v, "relative.conf", "lc.conf:2", &out, &err) != 0 && strstr(err.msg, "not an absolute path"),
	   "vars: a relative file is refused");
	sb_reset(&out);
	ok(localconf_vars_set_arg(&v, "NOVA_CONF", &err) != 0 && strstr(err.msg, "expected NAME=/absolute/path"),
	   "vars: --var without '=' is refused");
	ok(localconf_vars_set_arg(&v, "1X=/a", &err) != 0, "vars: --var with a bad name is refused");
	ok(localconf_vars_set_arg(&v, "GLANCE_API_CONF=/srv/g.conf", &err) == 0 &&
		   !strcmp(localconf_vars_get(&v, "GLANCE_API_CONF"), "/srv/g.conf"),
	   "vars: --var GLANCE_API_CONF=/srv/g.conf overrides the default");
	sb_release(&out);
	localconf_vars_free(&v);
}

int main(void)
{
	merge_tests();
	parse_fixture();
	parse_errors();
	var_tests();
	return done_testing();
}

/* t_util.c - strbuf, sha256, durations, "did you mean" and the options parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/opts.h"
#include "lib/tap.h"

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	is_str(sb_str(&sb), "", "strbuf: empty buffer reads as \"\"");
	ok(sb.buf != NULL && sb.buf[0] == '\0', "strbuf: STRBUF_INIT's buf is a C string, not NULL");
	sb_addstr(&sb, "abc");
	sb_addf(&sb, "-%d-", 42);
	sb_addch(&sb, 'z');
	is_str(sb_str(&sb), "abc-42-z", "strbuf: appends in order");
	for (int i = 0; i < 1000; i++)
		sb_addstr(&sb, "0123456789");
	is_int(sb.len, 8 + 10000, "strbuf: grows to 10k bytes");
	char *s = sb_detach(&sb);
	ok(sb.buf != NULL && sb.buf[0] == '\0' && sb.len == 0, "strbuf: detach leaves it empty, buf \"\"");
	free(s);
	s = sb_detach(&sb);
	ok(s != gb_sb_empty && !strcmp(s, ""), "strbuf: detaching an empty buffer gives a string of its own");
	free(s);
	sb_addstr(&sb, "x");
	sb_reset(&sb);
	is_str(sb.buf, "", "strbuf: reset reads as \"\"");
	sb_release(&sb);
	ok(sb.buf == gb_sb_empty && sb.alloc == 0, "strbuf: release leaves the shared empty string");
	sb_add(&sb, "", 0);
	ok(sb.buf != gb_sb_empty && sb.alloc > 0, "strbuf: an empty append owns a buffer (never writes the shared one)");
	sb_release(&sb);
	/* a zeroed strbuf (calloc, memset) works with every sb_* function */
	struct strbuf z;
	memset(&z, 0, sizeof(z));
	is_str(sb_str(&z), "", "strbuf: a zeroed buffer reads as \"\" through sb_str");
	sb_reset(&z);
	ok(z.buf == gb_sb_empty, "strbuf: reset of a zeroed buffer initialises it");
	memset(&z, 0, sizeof(z));
	sb_addstr(&z, "ok");
	is_str(z.buf, "ok", "strbuf: a zeroed buffer grows like an initialised one");
	sb_release(&z);
	memset(&z, 0, sizeof(z));
	sb_release(&z);
	ok(z.buf == gb_sb_empty, "strbuf: releasing a zeroed buffer is harmless");
	is_int(gb_sb_empty[0], 0, "strbuf: the shared empty string is still empty");
}

static void test_sha256(void)
{
	char hex[65];
	gb_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256('abc') is the FIPS 180-2 value");
	gb_sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 of no bytes is the FIPS 180-2 value");
	/* a file bigger than one read chunk: one million 'a' (FIPS 180-2's third vector) */
	char path[] = "/tmp/t_util.sha.XXXXXX";
	int fd = mkstemp(path);
	char block[1000];
	memset(block, 'a', sizeof(block));
	for (int i = 0; fd >= 0 && i < 1000; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			break;
	if (fd >= 0)
		close(fd);
	struct gb_err e = { 0, "" };
	ok(gb_sha256_file(path, hex, &e) == 0, "sha256 of a file: hashed (%s)", e.msg);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "sha256 of a file of a million 'a' is the FIPS 180-2 value");
	unlink(path);
	ok(gb_sha256_file(path, hex, &e) != 0 && strstr(e.msg, path) && strstr(e.msg, "cannot open") &&
		   hex[0] == '\0',
	   "sha256 of a missing file: error names it (%s)", e.msg);
}

static void test_duration(void)
{
	double v = -1;
	ok(gb_parse_duration("500ms", &v) == 0 && v == 0.5, "duration: 500ms is 0.5 s");
	ok(gb_parse_duration("2s", &v) == 0 && v == 2, "duration: 2s");
	ok(gb_parse_duration("1m", &v) == 0 && v == 60, "duration: 1m is 60 s");
	ok(gb_parse_duration("1.5", &v) == 0 && v == 1.5, "duration: bare 1.5 is seconds");
	ok(gb_parse_duration("-1s", &v) != 0, "duration: negative rejected");
	ok(gb_parse_duration("2 s", &v) != 0, "duration: '2 s' rejected");
	ok(gb_parse_duration("s", &v) != 0, "duration: unit alone rejected");
	ok(gb_parse_duration("1e9", &v) != 0, "duration: exponent rejected");
	ok(gb_parse_duration("99999999999999999999s", &v) != 0, "duration: absurdly long rejected");
	ok(gb_parse_duration("1.2.3s", &v) != 0, "duration: two dots rejected");
}

static void test_suggest(void)
{
	const char *cands[] = { "run", "compare", "restore", "report", "stats", NULL };
	is_str(gb_suggest("rn", cands), "run", "suggest: 'rn' -> run");
	is_str(gb_suggest("compre", cands), "compare", "suggest: 'compre' -> compare");
	is_str(gb_suggest("restor", cands), "restore", "suggest: 'restor' -> restore");
	ok(gb_suggest("zzzzzz", cands) == NULL, "suggest: nothing for 'zzzzzz'");
}

static void test_opts(void)
{
	const char *sort = NULL;
	long limit = 0;
	int json = 0;
	double to = 0;
	struct opt_list patches = { 0 };
	const struct opt opts[] = {
		{ OPT_STRING, 's', "sort", &sort, "KEY", "sort key" },
		{ OPT_INT, 'n', "limit", &limit, "N", "rows" },
		{ OPT_BOOL, 0, "json", &json, NULL, "json" },
		{ OPT_DURATION, 0, "timeout", &to, "DUR", "timeout" },
		{ OPT_LIST, 0, "patch", &patches, "FILE", "patch" },
		OPT_END_MARKER,
	};
	char *argv[] = { "stats", "RUN", "--sort", "cumtime", "-n", "20", "--json",
			 "--timeout=1m", "--patch", "a", "--patch=b", "--", "--x", NULL };
	const char **args = NULL;
	size_t n = 0;
	struct gb_err err = { 0, "" };
	int r = opts_parse(13, argv, opts, &args, &n, &err);
	is_int(r, OPTS_OK, "opts: a full command line parses");
	is_str(sort, "cumtime", "opts: --sort VALUE");
	is_int(limit, 20, "opts: -n 20");
	ok(json == 1, "opts: --json sets the bool");
	ok(to == 60, "opts: --timeout=1m is 60 s");
	ok(patches.n_items == 2 && !strcmp(patches.items[1], "b"), "opts: --patch repeats");
	ok(n == 2 && !strcmp(args[0], "RUN") && !strcmp(args[1], "--x"),
	   "opts: positionals kept, '--' ends options");
	free(args);
	opt_list_release(&patches);

	char *bad[] = { "stats", "--sortt", "x", NULL };
	r = opts_parse(3, bad, opts, NULL, NULL, &err);
	is_int(r, OPTS_ERROR, "opts: unknown option is an error");
	is_str(err.msg, "unknown option '--sortt'; did you mean '--sort'?",
	       "opts: unknown option suggests the close one");
	char *badint[] = { "stats", "--limit", "ten", NULL };
	r = opts_parse(3, badint, opts, NULL, NULL, &err);
	is_str(err.msg, "option '--limit': expected an integer, got 'ten'", "opts: bad integer named");
	char *missing[] = { "stats", "--sort", NULL };
	r = opts_parse(2, missing, opts, NULL, NULL, &err);
	is_str(err.msg, "option '--sort' needs a value (KEY)", "opts: missing value named");
	char *help[] = { "stats", "-h", NULL };
	is_int(opts_parse(2, help, opts, NULL, NULL, &err), OPTS_HELP, "opts: -h asks for help");
}

static void test_err_append(void)
{
	struct gb_err e;
	gb_errf(&e, GB_EXIT_ENV, "cannot restore %s", "/etc/nova/nova.conf");
	gb_err_append(&e, " (and %d more problems)", 2);
	gb_err_append(&e, "; the journal %s is kept", "/var/lib/greenbench/journal");
	is_str(e.msg, "cannot restore /etc/nova/nova.conf (and 2 more problems); the journal "
		      "/var/lib/greenbench/journal is kept", "gb_err_append: tails are added in order");
	ok(e.exit_code == GB_EXIT_ENV, "gb_err_append: the exit code stays");
	char big[2000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gb_err_append(&e, "; %s", big);
	gb_err_append(&e, "; more");
	ok(strlen(e.msg) == sizeof(e.msg) - 1 && !strncmp(e.msg, "cannot restore", 14),
	   "gb_err_append: a tail too long is cut at the buffer, the start kept");
	gb_err_append(NULL, "nothing %d", 1); /* no crash: callers may pass no err */
}

int main(void)
{
	test_err_append();
	test_strbuf();
	test_sha256();
	test_duration();
	test_suggest();
	test_opts();
	return done_testing();
}

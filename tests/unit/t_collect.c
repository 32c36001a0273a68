/* t_collect.c - finding a run's dumps: names per harness/INTERFACES.md §A, other request ids
 * ignored, partial files skipped, symlinks / other owners / corrupt dumps refused; the
 * dumps of one target listed by sequence number (calls without a request id) and read by name. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/collect.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

#define T "nova.scheduler.manager-SchedulerManager.select_destinations"
#define R1 "req-11111111-1111-4111-8111-111111111111"
#define R2 "req-22222222-2222-4222-8222-222222222222"
#define R3 "req-33333333-3333-4333-8333-333333333333"
#define R4 "req-44444444-4444-4444-8444-444444444444"
#define R5 "req-55555555-5555-4555-8555-555555555555"
#define R6 "req-66666666-6666-4666-8666-666666666666"
#define R9 "req-99999999-9999-4999-8999-999999999999"

static char dir[] = "/tmp/t_collect.XXXXXX";

static void put(const char *name, const struct strbuf *data, size_t len)
{
	char p[512];
	struct gb_err err = { 0, "" };
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (gb_write_file_atomic(p, data->buf, len, 0600, &err))
		diag("%s", err.msg);
}

static void test_names(void)
{
	char *t, *r;
	long pid;
	ok(collect_parse_name(T "__" R1 "__4242.prof", &t, &r, &pid) == 0 &&
		   !strcmp(t, "nova.scheduler.manager:SchedulerManager.select_destinations") &&
		   !strcmp(r, R1) && pid == 4242,
	   "name: target, request id and pid split out, '-' back to ':'");
	free(t);
	free(r);
	ok(collect_parse_name("m-C.__call____seq-17__9.prof", &t, &r, &pid) == 0 &&
		   !strcmp(t, "m:C.__call__") && !strcmp(r, "seq-17") && pid == 9,
	   "name: a dunder qualname and a seq- id");
	free(t);
	free(r);
	const char *bad[] = { "nodash__" R1 "__1.prof", "a-b-c__" R1 "__1.prof", "m-f__req-xyz__1.prof",
			      "m-f__" R1 "__.prof", "m-f__" R1 "__1.pro", "." T "__" R1 "__1.prof.tmp",
			      "m-f__" R1 "__12345678901.prof", "m f-g__" R1 "__1.prof", "__" R1 "__1.prof",
			      "m-f" R1 "__1.prof" };
	int all = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (collect_parse_name(bad[i], &t, &r, &pid) == 0) {
			diag("accepted: %s", bad[i]);
			all = 0;
			free(t);
			free(r);
		}
	}
	ok(all, "name: %zu malformed names rejected", sizeof(bad) / sizeof(bad[0]));
}

static int has_problem(const struct collect_result *res, const char *a, const char *b)
{
	for (size_t i = 0; i < res->n_problems; i++)
		if (strstr(res->problems[i], a) && strstr(res->problems[i], b))
			return 1;
	return 0;
}

static void test_collect(void)
{
	struct strbuf nova = fixture_load("nova26-select_destinations.prof");
	struct strbuf small = fixture_load("small.prof");
	char p[512], q[512];
	put(T "__" R1 "__4242.prof", &nova, nova.len);
	put(T "__" R2 "__4243.prof", &small, small.len);
	put("other.mod-f__" R2 "__4243.prof", &small, small.len);
	put(T "__" R9 "__4242.prof", &small, small.len);        /* not our request */
	put(T "__seq-3__4242.prof", &small, small.len);         /* no request id */
	put("." T "__" R1 "__4244.prof.tmp", &small, 10);      /* partial */
	put("README", &small, 5);                               /* not a dump */
	snprintf(p, sizeof(p), "%s/" T "__" R3 "__1.prof", dir);
	snprintf(q, sizeof(q), "%s/" T "__" R1 "__4242.prof", dir);
	ok(symlink(q, p) == 0, "setup: symlink dump");
	put(T "__" R4 "__1.prof", &small, small.len);
	snprintf(p, sizeof(p), "%s/" T "__" R4 "__1.prof", dir);
	ok(chown(p, 65534, 65534) == 0, "setup: dump owned by nobody");
	put(T "__" R5 "__1.prof", &nova, nova.len / 2);         /* truncated */
	snprintf(p, sizeof(p), "%s/" T "__" R6 "__1.prof", dir);
	mkdir(p, 0700);                                         /* a directory */

	const char *ids[] = { R1, R2, R3, R4, R5, R6 };
	struct collect_result res;
	struct gb_err err = { 0, "" };
	int rc = collect_dumps(dir, getuid(), ids, 6, &res, &err);
	ok(rc == 0, "collect: the directory is usable (%s)", rc ? err.msg : "ok");
	is_int(res.n_dumps, 3, "collect: 3 dumps for our request ids");
	ok(res.n_dumps == 3 && !strcmp(res.dumps[0].request_id, R1) && res.dumps[0].pid == 4242 &&
		   res.dumps[0].stats->n_listed == 2107 && res.dumps[0].raw_len == nova.len &&
		   !strcmp(res.dumps[1].target, "nova.scheduler.manager:SchedulerManager.select_destinations") &&
		   !strcmp(res.dumps[2].target, "other.mod:f") && res.dumps[2].stats->n_listed == 9,
	   "collect: dumps sorted by request id then target, parsed (2107 and 9 functions)");
	is_int(res.n_ignored, 2, "collect: the other request's and the seq- dump are ignored");
	is_int(res.n_partial, 1, "collect: the partial .tmp file is counted");
	ok(has_problem(&res, ".prof.tmp", "partial dump"), "collect: partial file reported");
	is_int(res.n_refused, 4, "collect: symlink, foreign owner, truncated dump, directory refused");
	ok(has_problem(&res, R3, "symlink; refused"), "collect: symlink refused by name");
	ok(has_problem(&res, R4, "owned by uid 65534"), "collect: other owner refused with the uid");
	ok(has_problem(&res, R5, "truncated"), "collect: truncated dump refused with the parser's reason");
	ok(has_problem(&res, R6, "not a regular file"), "collect: a directory named like a dump refused");
	for (size_t i = 0; i < res.n_problems; i++)
		diag("problem: %s", res.problems[i]);
	collect_result_release(&res);

	/* the directory itself */
	static const struct {
		mode_t mode;
		const char *says, *what;
	} bad_modes[] = {
		{ 0777, "writable by others (mode 777)", "world-writable" },
		{ 0720, "writable by others (mode 720)", "group-writable" },
		{ 0770, "writable by others (mode 770)", "group-writable (rwx)" },
		{ 0702, "writable by others (mode 702)", "other-writable" },
		{ 02700, "setuid or setgid bit set (mode 2700)", "setgid" },
		{ 04700, "setuid or setgid bit set (mode 4700)", "setuid" },
	};
	for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
		chmod(dir, bad_modes[i].mode);
		err.msg[0] = 0;
		ok(collect_dumps(dir, getuid(), ids, 6, &res, &err) == -1 && strstr(err.msg, bad_modes[i].says),
		   "collect: a %s directory (%04o) is refused (%s)", bad_modes[i].what,
		   (unsigned)bad_modes[i].mode, err.msg);
	}
	/* modes that are fine: read/execute for others, the sticky bit */
	static const mode_t good_modes[] = { 0700, 0750, 0755, 01700 };
	for (size_t i = 0; i < sizeof(good_modes) / sizeof(good_modes[0]); i++) {
		chmod(dir, good_modes[i]);
		int grc = collect_dumps(dir, getuid(), ids, 6, &res, &err);
		ok(grc == 0, "collect: a directory of mode %04o is accepted (%s)", (unsigned)good_modes[i],
		   grc ? err.msg : "ok");
		if (grc == 0)
			collect_result_release(&res);
	}
	chmod(dir, 0700);
	if (geteuid() == 0) {
		/* greenbench as root makes the directory and gives it to the service's user; one
		 * still owned by root is fine, one owned by a third user is not */
		int rrc = collect_dumps(dir, 65534, ids, 6, &res, &err);
		ok(rrc == 0, "collect: a root-owned directory is accepted for the service's uid 65534 (%s)",
		   rrc ? err.msg : "ok");
		if (rrc == 0)
			collect_result_release(&res);
		ok(chown(dir, 65533, 65533) == 0 && collect_dumps(dir, 65534, ids, 6, &res, &err) == -1 &&
			   strstr(err.msg, "owned by uid 65533, neither the service's uid 65534 nor root"),
		   "collect: a directory owned by neither the service nor root is refused: %s", err.msg);
		if (chown(dir, 0, 0) != 0)
			diag("cannot give %s back to root", dir);
	} else {
		ok(collect_dumps(dir, 65534, ids, 6, &res, &err) == -1 && strstr(err.msg, "owned by uid"),
		   "collect: a directory of another owner is refused");
	}
	snprintf(p, sizeof(p), "%s.link", dir);
	symlink(dir, p);
	ok(collect_dumps(p, getuid(), ids, 6, &res, &err) == -1 && strstr(err.msg, "symlink"),
	   "collect: a symlinked directory is refused");
	unlink(p);
	ok(collect_dumps("/nonexistent/dumps", getuid(), ids, 6, &res, &err) == -1 &&
		   strstr(err.msg, "/nonexistent/dumps"),
	   "collect: a missing directory names it");

	/* clean up */
	snprintf(p, sizeof(p), "%s/" T "__" R6 "__1.prof", dir);
	rmdir(p);
	const char *names[] = { T "__" R1 "__4242.prof", T "__" R2 "__4243.prof",
				"other.mod-f__" R2 "__4243.prof", T "__" R9 "__4242.prof",
				T "__seq-3__4242.prof", "." T "__" R1 "__4244.prof.tmp", "README",
				T "__" R3 "__1.prof", T "__" R4 "__1.prof", T "__" R5 "__1.prof" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	sb_release(&nova);
	sb_release(&small);
}

static void test_list(void)
{
	struct strbuf small = fixture_load("small.prof");
	char sub[300], p[600];
	snprintf(sub, sizeof(sub), "%s/list", dir);
	mkdir(sub, 0700);
	static const char *const files[] = {
		T "__seq-10__7.prof", T "__seq-9__7.prof", T "__seq-9__5.prof", T "__" R1 "__7.prof",
		"other.mod-f__seq-1__7.prof", "." T "__seq-11__7.prof.tmp", T "__seq-12__8.prof",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", sub, files[i]);
		struct gb_err e = { 0, "" };
		if (gb_write_file_atomic(p, small.buf, !strcmp(files[i], T "__seq-12__8.prof") ? 7 : small.len,
					 0600, &e))
			diag("%s", e.msg);
	}
	char **names = NULL;
	size_t n = 0;
	struct gb_err err = { 0, "" };
	int rc = collect_list(sub, "nova.scheduler.manager:SchedulerManager.select_destinations", &names, &n, &err);
	ok(rc == 0 && n == 5, "list: 5 final dumps of the target, not the other target's, not the partial (got %zu)", n);
	ok(n == 5 && !strcmp(names[0], T "__seq-9__5.prof") && !strcmp(names[1], T "__seq-9__7.prof") &&
	   !strcmp(names[2], T "__seq-10__7.prof") && !strcmp(names[3], T "__seq-12__8.prof") &&
	   !strcmp(names[4], T "__" R1 "__7.prof"),
	   "list: seq-N by number (9 before 10), then pid; request ids last");
	struct collect_result res;
	const char *want[] = { names[2], "../escape__seq-1__1.prof", names[3] };
	rc = n == 5 ? collect_read(sub, getuid(), want, 3, &res, &err) : -1;
	ok(rc == 0 && res.n_dumps == 1 && !strcmp(res.dumps[0].request_id, "seq-10") && res.dumps[0].pid == 7 &&
	   res.n_refused == 2, "read: the named dump is parsed; a path and a truncated dump are refused");
	ok(rc == 0 && res.n_problems == 2 && strstr(res.problems[0], "not a dump name") != NULL,
	   "read: each refusal is one problem line (%s)", rc == 0 && res.n_problems ? res.problems[0] : "-");
	if (rc == 0)
		collect_result_release(&res);
	chmod(sub, 0777);
	rc = collect_read(sub, getuid(), want, 1, &res, &err);
	ok(rc == -1 && strstr(err.msg, "writable by others") != NULL, "read: a directory others may write is refused: %s",
	   err.msg);
	chmod(sub, 0700);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", sub, files[i]);
		unlink(p);
	}
	rmdir(sub);
	collect_names_free(names, n);
	sb_release(&small);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_names();
	test_list();
	test_collect();
	return done_testing();
}

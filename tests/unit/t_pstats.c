/* t_pstats.c - the cProfile dump reader and writer: real and generated dumps parse to
 * what /usr/bin/python3's pstats says; corrupt ones are rejected with clear errors. */
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile/pstats.h"
#include "lib/tap.h"

extern char **environ;

#define DATA "tests/data/pstats/"

static struct strbuf load(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	char path[256];
	snprintf(path, sizeof(path), DATA "%s", name);
	if (gb_read_file(path, PSTATS_MAX_BYTES, &sb, &err))
		diag("%s", err.msg);
	return sb;
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-12 + 1e-12 * fabs(b);
}

static const struct pstats_func *func(const struct pstats *ps, const char *file, long line,
				      const char *name)
{
	size_t i = pstats_find(ps, file, line, name);
	return i == (size_t)-1 ? NULL : &ps->funcs[i];
}

/* Each fixture against the totals pstats printed into its .expect file. */
static void test_fixture(const char *name)
{
	struct strbuf data = load(name), ex = STRBUF_INIT;
	char epath[256];
	struct gb_err err = { 0, "" };
	snprintf(epath, sizeof(epath), DATA "%s.expect", name);
	gb_read_file(epath, 1000, &ex, &err);
	long n = 0;
	long long calls = 0, prim = 0;
	double tt = 0;
	ok(sscanf(sb_str(&ex), "%ld %lld %lld %lf", &n, &calls, &prim, &tt) == 4,
	   "%s: .expect file read", name);
	struct pstats *ps = NULL;
	int rc = pstats_parse((const unsigned char *)data.buf, data.len, name, &ps, &err);
	ok(rc == 0, "%s: parses (%s)", name, rc ? err.msg : "ok");
	if (rc == 0) {
		struct pstats_totals t;
		pstats_totals(ps, &t);
		is_int(ps->n_listed, n, "%s: %ld functions, as pstats counts them", name, n);
		is_int(t.total_calls, calls, "%s: %lld calls", name, calls);
		is_int(t.prim_calls, prim, "%s: %lld primitive calls", name, prim);
		ok(near(t.total_tt, tt), "%s: total time %.9f s (got %.17g)", name, tt, t.total_tt);

		/* write it back and read that: same functions, same numbers */
		struct strbuf out = STRBUF_INIT;
		pstats_write_marshal(ps, &out);
		struct pstats *back = NULL;
		rc = pstats_parse((const unsigned char *)out.buf, out.len, "rewritten", &back, &err);
		ok(rc == 0, "%s: rewritten dump parses (%s)", name, rc ? err.msg : "ok");
		if (rc == 0) {
			int same = back->n_listed == ps->n_listed && back->n_edges == ps->n_edges;
			for (size_t i = 0; same && i < ps->n_funcs; i++) {
				const struct pstats_func *f = &ps->funcs[i];
				const struct pstats_func *g = func(back, f->file, f->line, f->name);
				if (f->is_listed)
					same = g && g->cc == f->cc && g->nc == f->nc && g->tt == f->tt &&
					       g->ct == f->ct;
			}
			for (size_t i = 0; same && i < ps->n_edges; i++) {
				const struct pstats_edge *e = &ps->edges[i];
				const struct pstats_func *a = &ps->funcs[e->caller], *b = &ps->funcs[e->callee];
				size_t ca = pstats_find(back, a->file, a->line, a->name);
				size_t cb = pstats_find(back, b->file, b->line, b->name);
				same = 0;
				for (size_t j = 0; j < back->n_edges; j++) {
					const struct pstats_edge *x = &back->edges[j];
					if (x->caller == ca && x->callee == cb)
						same = x->cc == e->cc && x->nc == e->nc && x->tt == e->tt &&
						       x->ct == e->ct;
				}
			}
			ok(same, "%s: write then read gives identical functions and %zu edges", name,
			   ps->n_edges);
			pstats_free(back);
		}
		sb_release(&out);
	}
	pstats_free(ps);
	sb_release(&data);
	sb_release(&ex);
}

static void test_real_dump(void)
{
	struct strbuf data = load("nova26-select_destinations.prof");
	struct pstats *ps = NULL;
	struct gb_err err = { 0, "" };
	if (!ok(pstats_parse((const unsigned char *)data.buf, data.len, "nova", &ps, &err) == 0,
		"nova dump parses"))
		diag("%s", err.msg);
	if (!ps) {
		sb_release(&data);
		return;
	}
	is_int(ps->n_listed, 2107, "nova dump: 2107 listed functions (pstats says 2107)");
	is_int(ps->n_funcs, 2107, "nova dump: every caller is also a listed function");
	is_int(ps->n_edges, 4136, "nova dump: 4136 caller edges");
	const struct pstats_func *f = func(ps, "/usr/lib/python3/dist-packages/nova/objects/service.py",
					   666, "get_by_binary");
	ok(f && f->cc == 1 && f->nc == 2 && f->tt == 0.011698199000000001 &&
		   f->ct == 0.0018407130000000001,
	   "nova dump: Service.get_by_binary is 2/1 calls, tt 0.011698199, ct 0.001840713");
	f = func(ps, "/usr/lib/python3/dist-packages/nova/scheduler/host_manager.py", 625,
		 "targeted_operation");
	ok(f && f->cc == 1 && f->nc == 2 && f->tt == 1.6887e-05 && f->ct == 0.003110869,
	   "nova dump: host_manager targeted_operation is 2/1 calls, ct 0.003110869");
	f = func(ps, "~", 0, "<method 'poll' of 'select.epoll' objects>");
	ok(f && f->nc == 12 && f->tt == 0.252047523,
	   "nova dump: the hub's epoll.poll is 12 calls, 0.252 s (cProfile's greenlet problem)");
	f = func(ps, "/usr/lib/python3/dist-packages/oslo_messaging/_drivers/impl_rabbit.py", 1262,
		 "_consume");
	int found = 0;
	for (size_t i = 0; f && i < ps->n_edges; i++) {
		const struct pstats_edge *e = &ps->edges[i];
		if (&ps->funcs[e->callee] == f && !strcmp(ps->funcs[e->caller].name, "execute_method"))
			found = e->nc == 6 && e->cc == 0 && e->tt == 8.457400000000001e-05 && e->ct == 0.0;
	}
	ok(f && f->nc == 11 && f->ct == 0.6172873240000001 && found,
	   "nova dump: _consume has 11 calls, ct 0.617, caller execute_method (nc 6, cc 0)");
	pstats_free(ps);
	sb_release(&data);
}

static void test_synthetic(void)
{
	struct strbuf data = load("synthetic.prof");
	struct pstats *ps = NULL;
	struct gb_err err = { 0, "" };
	ok(pstats_parse((const unsigned char *)data.buf, data.len, "syn", &ps, &err) == 0,
	   "synthetic dump parses");
	char name[301];
	memset(name, 'n', 300);
	name[300] = '\0';
	const struct pstats_func *f = ps ? func(ps, "/tmp/\xc3\xbcn\xc3\xaf" "code.py", 7, name) : NULL;
	ok(f && f->cc == 1099511640121LL && f->nc == 1099511640122LL,
	   "synthetic: 64-bit call counts (TYPE_LONG) and a 300-char name (TYPE_ASCII), UTF-8 file");
	const struct pstats_func *o = ps ? func(ps, "~", 0, "<outside>") : NULL;
	ok(o && !o->is_listed && ps->n_funcs == 3 && ps->n_listed == 2,
	   "synthetic: a caller that isn't a key is known but not listed");
	pstats_free(ps);
	sb_release(&data);
}

/* ---- corrupt input ---- */

static int reject(const void *bytes, size_t len, const char *want, const char *what)
{
	struct pstats *ps = NULL;
	struct gb_err err = { 0, "" };
	int rc = pstats_parse(bytes, len, "bad.prof", &ps, &err);
	int good = rc == -1 && ps == NULL && strstr(err.msg, want) && !strncmp(err.msg, "bad.prof: ", 10);
	if (!ok(good, "rejected: %s", what))
		diag("rc %d, message: %s", rc, err.msg);
	pstats_free(ps);
	return good;
}

#define REJECT(lit, want, what) reject(lit, sizeof(lit) - 1, want, what)

static void test_crafted(void)
{
	reject("", 0, "empty file", "empty input");
	REJECT("[\x00\x00\x00\x00", "type '[' (list)", "a list at top level names the type");
	REJECT("N", "type 'N' (None)", "None names the type");
	REJECT("\x01", "unknown marshal type code 0x01", "unknown type code");
	REJECT("i\x01\x00\x00\x00", "the dump is a int, expected a dict", "an int at top level");
	struct pstats *empty = NULL;
	struct gb_err err = { 0, "" };
	ok(pstats_parse((const unsigned char *)"{0", 2, "e", &empty, &err) == 0 && empty->n_funcs == 0,
	   "an empty dict is a valid dump of 0 functions");
	pstats_free(empty);
	REJECT("{0x", "type 'x' (complex)", "garbage after the dict is read as a trailer and named");
	REJECT("{", "truncated dict", "dict without end marker");
	REJECT("{)\x02z\x01" "ai\x01\x00\x00\x00)\x00" "0", "function key has 2 items, expected 3",
	       "a key with 2 items");
	REJECT("{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "f)\x05z\x01xi\x01\x00\x00\x00g\0\0\0\0\0\0\0\0g\0\0\0\0\0\0\0\0{00",
	       "primitive call count is a str", "a count that is a string");
	REJECT("{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "f)\x05i\xff\xff\xff\xffi\x01\x00\x00\x00g\0\0\0\0\0\0\0\0g\0\0\0\0\0\0\0\0{00",
	       "is negative", "a negative count");
	REJECT("{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "f)\x05i\x01\x00\x00\x00i\x01\x00\x00\x00g\0\0\0\0\0\0\xf0\x7fg\0\0\0\0\0\0\0\0{00",
	       "not finite", "an infinite time");
	REJECT("{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "f)\x05i\x01\x00\x00\x00i\x01\x00\x00\x00g\0\0\0\0\0\0\0\0g\0\0\0\0\0\0\0\0{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "fi\x01\x00\x00\x00" "00",
	       "old 'profile' module", "callers with int values (profile module format)");
	REJECT("{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "f)\x05i\x01\x00\x00\x00i\x01\x00\x00\x00g\0\0\0\0\0\0\0\0g\0\0\0\0\0\0\0\0{0"
	       ")\x03z\x01" "ai\x01\x00\x00\x00z\x01" "f)\x05i\x01\x00\x00\x00i\x01\x00\x00\x00g\0\0\0\0\0\0\0\0g\0\0\0\0\0\0\0\0{00",
	       "appears twice", "the same function twice");
	REJECT("z\x05" "ab", "truncated string (needs 5 bytes, 2 left)", "string longer than the input");
	REJECT("a\xff\xff\xff\x7f" "ab", "truncated string (needs 2147483647", "huge string length");
	REJECT("a\xff\xff\xff\xff" "ab", "negative string length", "negative string length");
	REJECT("(\xff\xff\xff\x7f", "tuple of 2147483647 items cannot fit", "huge tuple size");
	REJECT("(\xfe\xff\xff\xff", "negative tuple size", "negative tuple size");
	REJECT("z\x03" "a\x00" "b", "NUL byte", "NUL inside a string");
	REJECT("z\x02\xc3\xa9", "ASCII string contains byte 0xc3", "non-ASCII byte in an ASCII string");
	REJECT("u\x02\x00\x00\x00\xc3(", "not valid UTF-8", "invalid UTF-8");
	REJECT("u\x02\x00\x00\x00\xc0\x80", "not valid UTF-8", "overlong UTF-8 encoding");
	REJECT("r\x00\x00\x00\x00", "back-reference 0 but only 0 objects", "reference out of range");
	REJECT("\xfbr\x00\x00\x00\x00", "still being read (a cycle)", "a dict referring to itself");
	REJECT("l\x06\x00\x00\x00", "does not fit in 64 bits", "an integer of 6 digits");
	REJECT("l\x01\x00\x00\x00\x00\x00", "unnormalized", "an unnormalized long");
	REJECT("l\x01\x00\x00\x00\x00\x80", "digit 32768 out of range", "a long digit out of range");
	REJECT("g\x00\x00", "truncated float", "truncated float");
	/* deep nesting: 100 one-item tuples */
	unsigned char deep[201];
	for (int i = 0; i < 100; i++) {
		deep[2 * i] = ')';
		deep[2 * i + 1] = 1;
	}
	deep[200] = '0';
	reject(deep, sizeof(deep), "nested more than 8 deep", "100 nested tuples");
}

/* Truncate a dump at many offsets and flip bytes everywhere: each is rejected with a
 * message naming the input, or (for flips) happens to stay valid; never a crash. */
static void test_mutations(const char *name, size_t step)
{
	struct strbuf data = load(name);
	size_t n_trunc = 0, n_trunc_ok = 0;
	for (size_t cut = 0; cut < data.len; cut += step) {
		struct pstats *ps = NULL;
		struct gb_err err = { 0, "" };
		n_trunc++;
		if (pstats_parse((const unsigned char *)data.buf, cut, "cut.prof", &ps, &err) == -1 &&
		    !ps && !strncmp(err.msg, "cut.prof: ", 10))
			n_trunc_ok++;
		pstats_free(ps);
	}
	is_int(n_trunc_ok, n_trunc, "%s: all %zu truncations rejected with a message", name, n_trunc);
	size_t n_flip = 0, n_rej = 0, n_bad_msg = 0;
	unsigned char *copy = gb_malloc(data.len);
	for (size_t at = 0; at < data.len; at += step) {
		static const unsigned char masks[] = { 0xff, 0x80, 0x01, 0x7f };
		for (size_t m = 0; m < sizeof(masks); m++) {
			memcpy(copy, data.buf, data.len);
			copy[at] ^= masks[m];
			struct pstats *ps = NULL;
			struct gb_err err = { 0, "" };
			n_flip++;
			if (pstats_parse(copy, data.len, "flip.prof", &ps, &err) == -1) {
				n_rej++;
				if (strncmp(err.msg, "flip.prof: ", 11) || !strstr(err.msg, "cProfile dump"))
					n_bad_msg++;
			}
			pstats_free(ps);
		}
	}
	ok(n_rej > n_flip / 4 && n_bad_msg == 0,
	   "%s: %zu byte flips, %zu rejected, all with a message naming the file", name, n_flip, n_rej);
	free(copy);
	sb_release(&data);
}

/* The writer's output must load in CPython's own pstats with the same totals. */
static void test_python_loads(void)
{
	if (access("/usr/bin/python3", X_OK)) {
		ok(1, "# SKIP /usr/bin/python3 missing");
		return;
	}
	struct strbuf data = load("nova26-select_destinations.prof"), out = STRBUF_INIT;
	struct pstats *ps = NULL;
	struct gb_err err = { 0, "" };
	pstats_parse((const unsigned char *)data.buf, data.len, "nova", &ps, &err);
	if (!ps) {
		ok(0, "nova dump parses for the python check");
		sb_release(&data);
		return;
	}
	pstats_write_marshal(ps, &out);
	char tmp[] = "/tmp/t_pstats.XXXXXX";
	int fd = mkstemp(tmp);
	ok(fd >= 0 && write(fd, out.buf, out.len) == (ssize_t)out.len, "rewritten dump saved");
	close(fd);
	int pfd[2];
	if (pipe(pfd)) {
		ok(0, "pipe");
		return;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	char *argv[] = { "/usr/bin/python3", "-c",
			 "import pstats,sys; s=pstats.Stats(sys.argv[1]); "
			 "print(len(s.stats), s.total_calls, s.prim_calls, repr(s.total_tt))",
			 tmp, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	char buf[256] = "";
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(buf) - 1 && (r = read(pfd[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(pfd[0]);
	int st = 0;
	if (rc == 0)
		waitpid(pid, &st, 0);
	unlink(tmp);
	long n = 0;
	long long calls = 0, prim = 0;
	double tt = 0;
	ok(rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		   sscanf(buf, "%ld %lld %lld %lf", &n, &calls, &prim, &tt) == 4 && n == 2107 &&
		   calls == 41847 && prim == 39764 && near(tt, 0.48756198999999956),
	   "python3 pstats loads the rewritten nova dump: 2107 functions, 41847 calls, 0.4876 s "
	   "(got: %.80s)", buf);
	ok(out.len < 299503, "rewritten dump uses back-references: %zu bytes (original 299503)", out.len);
	pstats_free(ps);
	sb_release(&out);
	sb_release(&data);
}

/* ---- the greenprof trailer ---- */

static void m_key(struct strbuf *sb, const char *k)
{
	sb_addch(sb, 'z');
	sb_addch(sb, (char)strlen(k));
	sb_addstr(sb, k);
}

/* an int as marshal writes it: TYPE_INT when it fits 32 bits, else TYPE_LONG */
static void m_int(struct strbuf *sb, long long v)
{
	if (v >= INT32_MIN && v <= INT32_MAX) {
		uint32_t u = (uint32_t)(int32_t)v;
		sb_addch(sb, 'i');
		for (int i = 0; i < 4; i++)
			sb_addch(sb, (char)(u >> (8 * i)));
		return;
	}
	unsigned long long a = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
	unsigned char d[10];
	int n = 0;
	while (a) {
		unsigned x = a & 0x7fff;
		d[2 * n] = (unsigned char)x;
		d[2 * n + 1] = (unsigned char)(x >> 8);
		n++;
		a >>= 15;
	}
	sb_addch(sb, 'l');
	uint32_t cnt = (uint32_t)(v < 0 ? -n : n);
	for (int i = 0; i < 4; i++)
		sb_addch(sb, (char)(cnt >> (8 * i)));
	sb_add(sb, d, (size_t)(2 * n));
}

/* "{0" (a dump of no function) then a trailer dict of the given fields; a field whose
 * value is NULL is an int from ints[], else the str. */
static void with_trailer(struct strbuf *sb, int n, const char *const *keys, const long long *ints,
			 const char *const *strs)
{
	sb_reset(sb);
	sb_addstr(sb, "{0{");
	for (int i = 0; i < n; i++) {
		m_key(sb, keys[i]);
		if (strs && strs[i]) {
			m_key(sb, strs[i]);
		} else {
			m_int(sb, ints[i]);
		}
	}
	sb_addch(sb, '0');
}

static void test_trailer(void)
{
	static const char *const k[] = { "greenprof", "cpu_ns", "wall_ns", "wait_ns", "switches", "mode", "future" };
	const char *s[] = { NULL, NULL, NULL, NULL, NULL, "eventlet", NULL };
	long long v[] = { 1, 3000000000LL, 9000000000LL, 1500000000LL, 42, 0, 7 };
	struct strbuf sb = STRBUF_INIT;
	struct pstats *ps = NULL;
	struct gb_err err = { 0, "" };
	with_trailer(&sb, 7, k, v, s);
	int rc = pstats_parse((const unsigned char *)sb.buf, sb.len, "t.prof", &ps, &err);
	ok(rc == 0 && ps->times.is_known && ps->times.cpu_ns == 3000000000LL && ps->times.wall_ns == 9000000000LL &&
		   ps->times.wait_ns == 1500000000LL && ps->times.switches == 42 && !strcmp(ps->times.mode, "eventlet"),
	   "trailer read: cpu, wall, wait (64-bit ints), switches, mode; unknown key ignored (%s)", rc ? err.msg : "ok");
	pstats_free(ps);
	ps = NULL;
	struct strbuf d = load("nova26-select_destinations.prof");
	rc = pstats_parse((const unsigned char *)d.buf, d.len, "nova", &ps, &err);
	ok(rc == 0 && !ps->times.is_known, "no trailer (the real nova 26 dump): times unknown");
	pstats_free(ps);
	sb_release(&d);

	struct { int n; long long v[7]; const char *s5; const char *want; const char *what; } bad[] = {
		{ 4, { 2, 1, 1, 0 }, NULL, "field 'greenprof': version 2", "an unknown trailer version" },
		{ 3, { 1, 1, 1 }, NULL, "field 'wait_ns': missing", "a required field missing" },
		{ 4, { 1, -5, 1, 0 }, NULL, "field 'cpu_ns': -5 is outside 0..", "a negative CPU time" },
		{ 4, { 1, 1, 86400000000001LL, 0 }, NULL, "field 'wall_ns': 86400000000001 is outside", "a wall time over a day" },
		{ 4, { 1, 1, 10, 11 }, NULL, "field 'wait_ns': 11 ns is more than wall_ns", "wait longer than wall" },
		{ 4, { 1, 900000000, 100000000, 0 }, NULL, "field 'cpu_ns': 900000000 ns is more than wall_ns", "CPU beyond wall" },
		{ 6, { 1, 1, 1, 0, 0, 0 }, "green", "field 'mode': 'green' is neither", "an unknown mode" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *ss[7] = { 0 };
		ss[5] = bad[i].s5;
		with_trailer(&sb, bad[i].n, k, bad[i].v, ss);
		reject(sb.buf, sb.len, bad[i].want, bad[i].what);
	}
	/* a str where an int belongs: cpu_ns given as "eventlet" */
	const char *ss[7] = { NULL, "eventlet" };
	with_trailer(&sb, 4, k, v, ss);
	reject(sb.buf, sb.len, "field 'cpu_ns': is a str, expected an int", "a str for cpu_ns");
	REJECT("{0{i\x01\x00\x00\x00i\x01\x00\x00\x00" "0", "field '(key)': is a int, expected a str", "a non-str key");
	REJECT("{0)\x00", "field '(trailer)': is a tuple, expected a dict", "a trailer that is not a dict");
	with_trailer(&sb, 4, k, v, NULL);
	sb_addch(&sb, '0');
	reject(sb.buf, sb.len, "1 bytes of trailing data after the greenprof trailer", "bytes after the trailer");
	sb_reset(&sb);
	sb_addstr(&sb, "{0");
	for (int i = 0; i < 5000; i++)
		sb_addch(&sb, 'N');
	reject(sb.buf, sb.len, "5000 bytes after the stats, more than a greenprof trailer may have", "an oversized trailer");
	sb_release(&sb);
}

static void test_merge(void)
{
	struct strbuf data = load("small.prof");
	struct pstats *a = NULL, *sum = pstats_new();
	struct gb_err err = { 0, "" };
	pstats_parse((const unsigned char *)data.buf, data.len, "small", &a, &err);
	if (!a) {
		ok(0, "small parses");
		pstats_free(sum);
		sb_release(&data);
		return;
	}
	pstats_merge(sum, a);
	pstats_merge(sum, a);
	struct pstats_totals ta, ts;
	pstats_totals(a, &ta);
	pstats_totals(sum, &ts);
	ok(sum->n_listed == a->n_listed && sum->n_edges == a->n_edges &&
		   ts.total_calls == 2 * ta.total_calls && near(ts.total_tt, 2 * ta.total_tt),
	   "merge: a profile added to itself doubles calls and time, same functions and edges");
	int edges_doubled = 1;
	for (size_t i = 0; i < a->n_edges; i++)
		edges_doubled &= sum->edges[i].nc == 2 * a->edges[i].nc;
	ok(edges_doubled, "merge: caller edges are summed too");
	pstats_free(a);
	pstats_free(sum);
	sb_release(&data);
}

int main(void)
{
	test_fixture("nova26-select_destinations.prof");
	test_fixture("small.prof");
	test_fixture("synthetic.prof");
	test_fixture("synthetic-v2.prof");
	test_real_dump();
	test_synthetic();
	test_crafted();
	test_mutations("small.prof", 1);
	test_mutations("synthetic.prof", 1);
	test_mutations("nova26-select_destinations.prof", 4999);
	test_python_loads();
	test_merge();
	test_trailer();
	return done_testing();
}

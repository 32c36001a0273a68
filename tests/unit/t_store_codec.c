/* t_store_codec.c - the stored form of a dump: split into skeleton and numbers and joined
 * back byte for byte (every fixture, and floats no nanosecond count explains); damaged or
 * truncated streams refused; zstd against a dictionary; a store of schema 2 (written by
 * greenbench before this encoding, tests/data/store/schema2.db) migrated to 3 with its old
 * dumps still exact and new ones in the new form, smaller. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_codec.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

static char dir[] = "/tmp/t_store_codec.XXXXXX";

static bool round_trip(const struct strbuf *raw, size_t *split_len)
{
	struct strbuf s = STRBUF_INIT, back = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	bool good = store_codec_split((const unsigned char *)raw->buf, raw->len, &s) == 0 &&
		    store_codec_join((const unsigned char *)s.buf, s.len, &back, &err) == 0 &&
		    back.len == raw->len && !memcmp(back.buf, raw->buf, raw->len);
	if (split_len)
		*split_len = s.len;
	sb_release(&s);
	sb_release(&back);
	return good;
}

static void test_split(void)
{
	static const char *const names[] = { "nova26-select_destinations.prof", "small.prof",
					     "synthetic.prof", "synthetic-v2.prof" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct strbuf raw = fixture_load(names[i]);
		size_t n = 0;
		bool good = raw.len && round_trip(&raw, &n);
		ok(good, "%s: split and joined back byte for byte (%zu -> %zu)", names[i], raw.len, n);
		sb_release(&raw);
	}
	/* floats no nanosecond count gives back: NaN, -0.0, 1/3, huge; kept as 8 raw bytes */
	struct strbuf m = STRBUF_INIT;
	static const double odd[] = { 1.0 / 3, -0.0, 1e300, 0.1, 123.456789012345678 };
	sb_addch(&m, (char)0xa9); /* ')' | FLAG_REF: a small tuple */
	sb_addch(&m, (char)(sizeof(odd) / sizeof(odd[0]) + 1));
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		sb_addch(&m, 'g');
		sb_add(&m, &odd[i], 8);
	}
	double nan = 0.0 / 0.0;
	sb_addch(&m, 'g');
	sb_add(&m, &nan, 8);
	ok(round_trip(&m, NULL), "odd floats (1/3, -0, 1e300, 0.1, NaN) come back bit for bit");
	struct strbuf s = STRBUF_INIT, back = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	ok(store_codec_split((const unsigned char *)m.buf, m.len - 3, &s) == -1,
	   "a truncated dump is not split (it is stored with zlib instead)");
	const unsigned char code[] = { 0xe3, 0, 0, 0, 0 };
	ok(store_codec_split(code, sizeof(code), &s) == -1, "a code object is not split");
	unsigned char deep[200];
	memset(deep, 0xa9, sizeof(deep)); /* tuples in tuples */
	for (size_t i = 1; i < sizeof(deep); i += 2)
		deep[i] = 1;
	ok(store_codec_split(deep, sizeof(deep), &s) == -1, "nesting past 64 levels is refused");
	/* damaged split streams */
	struct strbuf raw = fixture_load("nova26-select_destinations.prof");
	store_codec_split((const unsigned char *)raw.buf, raw.len, &s);
	ok(store_codec_join((const unsigned char *)s.buf, s.len - 1, &back, &err) == -1 &&
		   strstr(err.msg, "damaged"),
	   "a split stream one byte short is refused: %s", err.msg);
	s.buf[0] = 'X';
	ok(store_codec_join((const unsigned char *)s.buf, s.len, &back, &err) == -1, "a bad version byte is refused");
	ok(store_codec_join((const unsigned char *)"S", 1, &back, &err) == -1, "an empty stream is refused");
	/* zstd, with the stream itself as dictionary and without */
	struct strbuf z = STRBUF_INIT, zd = STRBUF_INIT, out = STRBUF_INIT;
	s.buf[0] = 'S';
	int rc = store_codec_compress(s.buf, s.len, NULL, 0, &z, &err) ||
		 store_codec_compress(s.buf, s.len, s.buf, s.len, &zd, &err);
	ok(rc == 0 && zd.len < z.len / 10, "zstd: %zu bytes alone, %zu against a dictionary that has it", z.len, zd.len);
	ok(store_codec_decompress(zd.buf, zd.len, s.buf, s.len, 1 << 26, &out, &err) == 0 && out.len == s.len &&
		   !memcmp(out.buf, s.buf, s.len),
	   "and back against the same dictionary");
	ok(store_codec_decompress(zd.buf, zd.len, NULL, 0, 1 << 26, &out, &err) == -1,
	   "without its dictionary it does not inflate");
	ok(store_codec_decompress(z.buf, z.len, NULL, 0, 1000, &out, &err) == -1,
	   "a frame larger than the limit is refused before inflating");
	sb_release(&z);
	sb_release(&zd);
	sb_release(&out);
	sb_release(&raw);
	sb_release(&s);
	sb_release(&back);
	sb_release(&m);
}

static long long q(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_open(path, &h) == SQLITE_OK && sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void test_migration(void)
{
	char path[600], cmd[1400];
	snprintf(path, sizeof(path), "%s/schema2.db", dir);
	snprintf(cmd, sizeof(cmd), "cp tests/data/store/schema2.db '%s'", path);
	if (system(cmd) != 0)
		diag("copy failed");
	ok(q(path, "PRAGMA user_version") == 2, "the fixture is a schema 2 store");
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	int rc = store_open(path, 0, &db, &err);
	ok(rc == 0, "greenbench opens it (%s)", err.msg);
	if (rc)
		return;
	struct strbuf nova = fixture_load("nova26-select_destinations.prof");
	struct strbuf small = fixture_load("small.prof");
	struct strbuf out = STRBUF_INIT;
	ok(store_profile_raw(db, 1, 1, &out, &err) == 0 && out.len == nova.len && !memcmp(out.buf, nova.buf, nova.len),
	   "its zlib dump comes back byte for byte after the migration");
	ok(q(path, "PRAGMA user_version") == STORE_SCHEMA_VERSION &&
		   q(path, "SELECT count(*) FROM profiles WHERE raw_codec = 0") == 2,
	   "migrated to schema %d; the old rows stay zlib (raw_codec 0)", STORE_SCHEMA_VERSION);
	/* a new run: its dumps in the new form */
	struct run_record *rec = fixture_run("select_destinations", "v3", 2, 1.0);
	long long id = 0;
	rc = store_save_run(db, rec, &id, &err);
	run_record_free(rec);
	ok(rc == 0 && q(path, "SELECT count(*) FROM profiles WHERE raw_codec = 1 AND zdict_id IS NOT NULL") == 4,
	   "a new run stores its 4 dumps split, against a dictionary (%s)", err.msg);
	ok(q(path, "SELECT count(*) FROM zdicts") == 1, "one dictionary for the one target");
	bool all = true;
	for (int i = 1; i <= 4; i++) {
		const struct strbuf *want = i % 2 ? &nova : &small;
		sb_reset(&out);
		bool same = store_profile_raw(db, id, i, &out, &err) == 0 && out.len == want->len &&
			    !memcmp(out.buf, want->buf, want->len);
		if (!same)
			diag("profile %d: %zu bytes, want %zu (%s)", i, out.len, want->len, err.msg);
		all &= same;
	}
	ok(all, "each comes back byte for byte (export --profile N)");
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT max(length(raw_zlib)) FROM profiles WHERE run_id = %lld AND raw_size = %zu",
		 id, nova.len);
	long long new_len = q(path, sql);
	long long old_len = q(path, "SELECT length(raw_zlib) FROM profiles WHERE run_id = 1 ORDER BY id LIMIT 1");
	ok(new_len > 0 && new_len * 4 < old_len, "the nova dump takes %lld bytes against zlib's %lld", new_len, old_len);
	store_close(db);
	/* a dictionary gone: the dumps that need it are refused, naming it */
	sqlite3 *h = NULL;
	sqlite3_open(path, &h);
	sqlite3_exec(h, "DELETE FROM zdicts", NULL, NULL, NULL);
	sqlite3_close(h);
	store_open(path, 0, &db, &err);
	sb_reset(&out);
	ok(store_profile_raw(db, id, 1, &out, &err) == -1 && strstr(err.msg, "damaged"),
	   "a dump whose dictionary is gone is refused: %s", err.msg);
	store_close(db);
	sb_release(&nova);
	sb_release(&small);
	sb_release(&out);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_split();
	test_migration();
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done_testing();
}

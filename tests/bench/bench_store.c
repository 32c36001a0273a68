/* bench_store.c - how fast greenbench ingests a profile dump and how big the store gets:
 * parse ms, ingest (parse + save in one transaction) ms, bytes per stored profile (file
 * growth, and per table via dbstat), stats read-back and a 2-run compare in ms.
 * Usage: bench_store DUMP.prof [DUMP2.prof ...]   (prints one block per dump) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge/compare.h"
#include "store/store.h"
#include "store/store_int.h" /* the test reads and breaks the file behind the store's back */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *x, size_t n)
{
	qsort(x, n, sizeof(double), cmp_d);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

static long long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) ? 0 : (long long)st.st_size;
}

static void checkpoint(struct store *db)
{
	sqlite3_exec(db->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

static struct run_record *one_profile_run(const struct strbuf *dump, struct gb_err *err, int *ok)
{
	struct run_record *rec = run_record_new();
	rec->scenario = gb_strdup("bench");
	rec->started_at = 1764100000;
	struct store_request q = { 0, "req-00000000-0000-4000-8000-000000000000", NULL, "POST",
				   "/v2.1/servers", 202, 0.5, 1764100000 };
	run_record_add_request(rec, &q);
	*ok = run_record_add_profile(rec, 0, "bench:target", q.request_id, 1, (const unsigned char *)dump->buf,
				     dump->len, err) == 0;
	return rec;
}

static int bench(const char *path)
{
	struct strbuf dump = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	if (gb_read_file(path, PSTATS_MAX_BYTES, &dump, &err)) {
		fprintf(stderr, "bench_store: %s\n", err.msg);
		return 1;
	}
	enum { REPS = 20, RUNS = 60 };
	double t[RUNS];
	struct pstats *ps = NULL;
	for (int i = 0; i < REPS; i++) {
		double t0 = gb_now();
		if (pstats_parse((const unsigned char *)dump.buf, dump.len, path, &ps, &err)) {
			fprintf(stderr, "bench_store: %s\n", err.msg);
			return 1;
		}
		t[i] = (gb_now() - t0) * 1e3;
		if (i < REPS - 1)
			pstats_free(ps);
	}
	double parse_ms = median(t, REPS);
	printf("%s: %zu bytes, %zu functions, %zu caller edges\n", path, dump.len, ps->n_listed, ps->n_edges);
	pstats_free(ps);

	char dir[] = "/tmp/bench_store.XXXXXX", db_path[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/results.db", dir);
	struct store *db = NULL;
	if (store_open(db_path, 1, &db, &err)) {
		fprintf(stderr, "bench_store: %s\n", err.msg);
		return 1;
	}
	long long size_after_first = 0, first_id = 0, last_id = 0;
	for (int i = 0; i < RUNS; i++) {
		int good;
		double t0 = gb_now();
		struct run_record *rec = one_profile_run(&dump, &err, &good);
		long long id = 0;
		if (!good || store_save_run(db, rec, &id, &err)) {
			fprintf(stderr, "bench_store: %s\n", err.msg);
			return 1;
		}
		t[i] = (gb_now() - t0) * 1e3;
		run_record_free(rec);
		if (i == 0) {
			checkpoint(db);
			size_after_first = file_size(db_path);
			first_id = id;
		}
		last_id = id;
	}
	double first_ingest = t[0];
	double ingest_ms = median(t + 1, RUNS - 1);
	checkpoint(db);
	long long size_end = file_size(db_path);
	double per_profile = (double)(size_end - size_after_first) / (RUNS - 1);

	printf("  parse:                 %8.2f ms (median of %d)\n", parse_ms, REPS);
	printf("  ingest (parse + save): %8.2f ms (median of %d; first, with new functions: %.2f ms)\n",
	       ingest_ms, RUNS - 1, first_ingest);
	printf("  store size:            %lld bytes after 1 profile, %lld after %d\n", size_after_first,
	       size_end, RUNS);
	printf("  bytes per profile:     %8.0f (file growth per further profile)\n", per_profile);

	/* where the bytes go: dbstat, if this sqlite has it */
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db,
			       "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC", -1, &st,
			       NULL) == SQLITE_OK) {
		printf("  per table / index (bytes per profile, all %d):", RUNS);
		while (sqlite3_step(st) == SQLITE_ROW) {
			double b = sqlite3_column_double(st, 1) / RUNS;
			if (b >= 1000)
				printf(" %s %.0f,", sqlite3_column_text(st, 0), b);
		}
		printf("\n");
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db->db, "SELECT avg(length(raw_zlib)) FROM profiles", -1, &st,
			       NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		printf("  raw dump compressed:   %8.0f bytes (of %zu)\n", sqlite3_column_double(st, 0), dump.len);
	sqlite3_finalize(st);

	/* reading back: one run's stats, and a compare of two runs of 10 profiles each */
	for (int i = 0; i < REPS; i++) {
		double t0 = gb_now();
		int n;
		store_run_pstats(db, last_id, NULL, 0, 0, &ps, &n, &err);
		t[i] = (gb_now() - t0) * 1e3;
		pstats_free(ps);
	}
	printf("  stats of a 1-profile run: %5.2f ms\n", median(t, REPS));
	sqlite3_exec(db->db, "UPDATE profiles SET run_id = 1 WHERE id <= 10; "
				       "UPDATE profiles SET run_id = 2 WHERE id > 10 AND id <= 20", NULL, NULL, NULL);
	for (int i = 0; i < 5; i++) {
		double t0 = gb_now();
		struct compare_verdict v;
		struct compare_opts o = COMPARE_OPTS_DEFAULT;
		long long a = first_id, b = first_id + 1;
		if (compare_judge(db, &a, 1, &b, 1, &o, &v, &err)) {
			fprintf(stderr, "bench_store: %s\n", err.msg);
			return 1;
		}
		t[i] = (gb_now() - t0) * 1e3;
		compare_verdict_release(&v);
	}
	printf("  compare 2 runs x 10 profiles: %5.1f ms\n", median(t, 5));
	store_close(db);
	char p[400];
	const char *names[] = { "results.db", "results.db-wal", "results.db-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	sb_release(&dump);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= bench(argv[i]);
	return rc;
}

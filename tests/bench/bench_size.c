/* bench_size.c - bytes per stored profile on a realistic store: every given dump (e.g. the
 * variants vary_dumps.py makes of a real nova dump) stored as a profile, PER_RUN to a run,
 * then the file's growth per profile after the first run, and where it goes (dbstat).
 * Also checks that every dump comes back byte for byte.
 * Usage: bench_size DUMP.prof...   (make bench-size) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h" /* the bench reads the file behind the store's back */

#define PER_RUN 10

static long long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) ? 0 : (long long)st.st_size;
}

int main(int argc, char **argv)
{
	int n = argc - 1;
	if (n < 2 * PER_RUN) {
		fprintf(stderr, "usage: bench_size DUMP.prof... (at least %d)\n", 2 * PER_RUN);
		return 2;
	}
	char dir[] = "/tmp/bench_size.XXXXXX", db_path[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/results.db", dir);
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(db_path, 1, &db, &err)) {
		fprintf(stderr, "bench_size: %s\n", err.msg);
		return 1;
	}
	struct strbuf *dumps = gb_calloc((size_t)n, sizeof(*dumps));
	long long raw_total = 0, after_first = 0;
	int n_runs = n / PER_RUN;
	double t0 = gb_now();
	for (int r = 0; r < n_runs; r++) {
		struct run_record *rec = run_record_new();
		rec->scenario = gb_strdup("bench");
		rec->started_at = 1764100000 + r;
		for (int k = 0; k < PER_RUN; k++) {
			int i = r * PER_RUN + k;
			char rid[64];
			snprintf(rid, sizeof(rid), "req-%08d-0000-4000-8000-%012d", i, i);
			if (gb_read_file(argv[1 + i], PSTATS_MAX_BYTES, &dumps[i], &err) ||
			    run_record_add_profile(rec, 0, "nova.scheduler.manager:SchedulerManager.select_destinations",
						   rid, 1, (const unsigned char *)dumps[i].buf, dumps[i].len, &err)) {
				fprintf(stderr, "bench_size: %s\n", err.msg);
				return 1;
			}
			raw_total += (long long)dumps[i].len;
		}
		long long id;
		if (store_save_run(db, rec, &id, &err)) {
			fprintf(stderr, "bench_size: %s\n", err.msg);
			return 1;
		}
		run_record_free(rec);
		if (r == 0) {
			sqlite3_exec(db->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
			after_first = file_size(db_path);
		}
	}
	double secs = gb_now() - t0;
	sqlite3_exec(db->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	long long end = file_size(db_path);
	int stored = n_runs * PER_RUN;
	printf("%d dumps (%.0f bytes each on average) in %d runs of %d: %.1f ms per profile to store\n",
	       stored, (double)raw_total / stored, n_runs, PER_RUN, secs * 1e3 / stored);
	printf("  store: %lld bytes after the first run, %lld after all\n", after_first, end);
	printf("  bytes per profile (growth after the first run): %.0f\n",
	       (double)(end - after_first) / (stored - PER_RUN));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC",
			       -1, &st, NULL) == SQLITE_OK) {
		printf("  per table / index, bytes per profile (all):");
		while (sqlite3_step(st) == SQLITE_ROW)
			if (sqlite3_column_double(st, 1) / stored >= 100)
				printf(" %s %.0f,", sqlite3_column_text(st, 0), sqlite3_column_double(st, 1) / stored);
		printf("\n");
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db->db, "SELECT raw_codec, count(*), avg(length(raw_zlib)) FROM profiles "
				       "GROUP BY raw_codec", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			printf("  raw dumps with codec %d: %d, %.0f bytes each\n", sqlite3_column_int(st, 0),
			       sqlite3_column_int(st, 1), sqlite3_column_double(st, 2));
	sqlite3_finalize(st);
	/* lossless: every dump back, byte for byte */
	int bad = 0;
	t0 = gb_now();
	for (int r = 0; r < n_runs; r++)
		for (int k = 0; k < PER_RUN; k++) {
			struct strbuf out = STRBUF_INIT;
			const struct strbuf *want = &dumps[r * PER_RUN + k];
			if (store_profile_raw(db, r + 1, k + 1, &out, &err) || out.len != want->len ||
			    memcmp(out.buf, want->buf, want->len))
				bad++;
			sb_release(&out);
		}
	printf("  read back: %d of %d byte for byte, %.1f ms each\n", stored - bad, stored,
	       (gb_now() - t0) * 1e3 / stored);
	store_close(db);
	for (int i = 0; i < n; i++)
		sb_release(&dumps[i]);
	free(dumps);
	unlink(db_path);
	char wal[320];
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", db_path);
	unlink(wal);
	rmdir(dir);
	return bad ? 1 : 0;
}

/* bench_year.c - a store at a year's scale (issue 16 must-have 4): NIGHTS nights of
 * SCENARIOS nightly scenarios with PROFILES profiled calls each, every profile a varied
 * copy of a real nova dump (vary_dumps.py), stored through the store's own save path;
 * then the file's size and, run as the user would run them (bin/greenbench, each in a
 * child of its own), the wall time and peak RSS of nightly's judgement of the last
 * night, `trend`, `compare` of two runs, `prune --dry-run` and a real `prune` of the
 * oldest quarter. Every command must exit as expected, else the bench fails.
 * Usage: bench_year GREENBENCH DB NIGHTS PROFILES DUMP.prof...   (make bench-year) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h" /* the bench checkpoints the file behind the store's back */

#define SCENARIOS 3
#define DAY 86400.0

static const char *scenario_names[SCENARIOS] = { "select_destinations", "update_available_resource",
						 "schedule_and_build_instances" };

static long long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) ? 0 : (long long)st.st_size;
}

/* Run argv in a child with stdout and stderr to /dev/null; its wall seconds and peak RSS
 * (KiB). Returns the exit status, or -1. */
static int timed(char *const argv[], double *secs, long *rss_kb)
{
	fflush(stdout);
	double t0 = gb_now();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *n = freopen("/dev/null", "w", stdout);
		(void)n;
		n = freopen("/dev/null", "w", stderr);
		(void)n;
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid)
		return -1;
	*secs = gb_now() - t0;
	*rss_kb = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int bad;

/* One command: run, print a line, count a failure when its exit is not in want (a
 * bit mask of allowed exit codes). */
static void measure(const char *what, char *const argv[], unsigned want)
{
	double s = 0;
	long kb = 0;
	int rc = timed(argv, &s, &kb);
	int good = rc >= 0 && rc < 32 && (want >> rc & 1);
	printf("  %-34s %8.3f s  %7.1f MiB peak  exit %d%s\n", what, s, kb / 1024.0, rc,
	       good ? "" : "  UNEXPECTED");
	bad += !good;
}

static int fill(const char *db_path, int nights, int per_run, int n_dumps, char **paths,
		long long ids[2])
{
	struct store *db = NULL;
	struct gb_err err = { 0, "" };
	if (store_open(db_path, 1, &db, &err)) {
		fprintf(stderr, "bench_year: %s\n", err.msg);
		return 1;
	}
	struct strbuf *dumps = gb_calloc((size_t)n_dumps, sizeof(*dumps));
	for (int i = 0; i < n_dumps; i++) {
		sb_init(&dumps[i]);
		if (gb_read_file(paths[i], PSTATS_MAX_BYTES, &dumps[i], &err)) {
			fprintf(stderr, "bench_year: %s\n", err.msg);
			return 1;
		}
	}
	/* the year ends now; night 0 is a year ago */
	double end = (double)time(NULL) - 3600, start = end - nights * DAY, t0 = gb_now();
	long long last_id[SCENARIOS] = { 0 }, prev_id = 0, n_profiles = 0;
	for (int night = 0; night < nights; night++)
		for (int s = 0; s < SCENARIOS; s++) {
			struct run_record *rec = run_record_new();
			rec->scenario = gb_strdup(scenario_names[s]);
			rec->label = gb_strdup("nightly");
			rec->host = gb_strdup("bench-host");
			rec->status = gb_strdup("ok");
			rec->fake_computes = 2;
			rec->repeat_count = 1;
			rec->cpu_count = 2;
			rec->started_at = start + night * DAY + s * 600;
			rec->finished_at = rec->started_at + 300;
			for (int k = 0; k < per_run; k++) {
				long long i = ((long long)night * SCENARIOS + s) * per_run + k;
				char rid[64];
				snprintf(rid, sizeof(rid), "req-%08lld-0000-4000-8000-%012lld", i % 100000000, i);
				const struct strbuf *d = &dumps[i % n_dumps];
				if (run_record_add_profile(rec, 0, "nova.scheduler.manager:SchedulerManager.select_destinations",
							   rid, 1, (const unsigned char *)d->buf, d->len, &err)) {
					fprintf(stderr, "bench_year: %s\n", err.msg);
					return 1;
				}
				n_profiles++;
			}
			long long id;
			if (store_save_run(db, rec, &id, &err)) {
				fprintf(stderr, "bench_year: %s\n", err.msg);
				return 1;
			}
			run_record_free(rec);
			if (s == 0)
				prev_id = last_id[0]; /* the night before's run of the first scenario */
			last_id[s] = id;
		}
	double fill = gb_now() - t0;
	sqlite3_exec(db->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	store_close(db);
	long long size = file_size(db_path);
	printf("a year: %d nights x %d scenarios x %d profiles = %lld profiles (%d varied dumps of %s)\n",
	       nights, SCENARIOS, per_run, n_profiles, n_dumps, paths[0]);
	printf("  filled in %.0f s (%.2f ms per profile)\n", fill, fill * 1e3 / (double)n_profiles);
	printf("  store: %.1f MiB (%.0f bytes per profile); scaled to 365 nights x 30: %.2f GiB\n",
	       size / 1048576.0, (double)size / (double)n_profiles,
	       (double)size / (double)n_profiles * 365 * SCENARIOS * 30 / 1073741824.0);

	for (int i = 0; i < n_dumps; i++)
		sb_release(&dumps[i]);
	free(dumps);
	ids[0] = prev_id;
	ids[1] = last_id[0];
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: bench_year GREENBENCH DB NIGHTS PROFILES DUMP.prof...\n");
		return 2;
	}
	const char *gb = argv[1], *db_path = argv[2];
	int nights = atoi(argv[3]), per_run = atoi(argv[4]);
	if (nights < 8 || per_run < 1) {
		fprintf(stderr, "bench_year: NIGHTS must be at least 8 and PROFILES at least 1\n");
		return 2;
	}
	unlink(db_path);
	/* fill in a child, so that the commands measured below are forked from a process
	 * that never held the dumps (a child's peak RSS starts from its parent's) */
	long long ids[2];
	int fds[2];
	if (pipe(fds))
		return 1;
	fflush(stdout);
	pid_t filler = fork();
	if (filler == 0) {
		close(fds[0]);
		int rc = fill(db_path, nights, per_run, argc - 5, argv + 5, ids);
		if (write(fds[1], ids, sizeof(ids)) != (ssize_t)sizeof(ids))
			rc = 1;
		_exit(rc);
	}
	close(fds[1]);
	int status = 0;
	if (filler < 0 || read(fds[0], ids, sizeof(ids)) != (ssize_t)sizeof(ids) ||
	    waitpid(filler, &status, 0) != filler || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	close(fds[0]);
	char last[32], prev[32];
	snprintf(last, sizeof(last), "%lld", ids[1]);
	snprintf(prev, sizeof(prev), "%lld", ids[0]);
	/* nightly --judge: 0 no regression, 1 regression; 5 cannot judge is a failure here */
	measure("nightly --judge (last night)",
		(char *const[]){ (char *)gb, "nightly", "--judge", last, "--db", (char *)db_path, NULL },
		1u << 0 | 1u << 1);
	measure("trend select_destinations",
		(char *const[]){ (char *)gb, "trend", "select_destinations", "--db", (char *)db_path, NULL },
		1u << 0);
	measure("trend --limit 365",
		(char *const[]){ (char *)gb, "trend", "select_destinations", "--limit", "365", "--db",
				 (char *)db_path, NULL }, 1u << 0);
	measure("compare (last two nights)",
		(char *const[]){ (char *)gb, "compare", prev, last, "--db", (char *)db_path, NULL },
		1u << 0 | 1u << 1 | 1u << 5);
	char keep[32];
	snprintf(keep, sizeof(keep), "%dd", nights * 3 / 4);
	measure("prune --older-than 3/4 --dry-run",
		(char *const[]){ (char *)gb, "prune", "--older-than", keep, "--dry-run", "--db",
				 (char *)db_path, NULL }, 1u << 0);
	measure("prune --older-than 3/4 year",
		(char *const[]){ (char *)gb, "prune", "--older-than", keep, "--db", (char *)db_path, NULL },
		1u << 0);
	printf("  store after prune: %.1f MiB\n", file_size(db_path) / 1048576.0);
	return bad ? 1 : 0;
}


/*
 * store.h - the results store: one sqlite file holding runs, requests, servers,
 * profiles (per-function stats rows and the compressed raw dump, which alone holds the
 * caller edges) and SLA results.
 * A run is written in one transaction, so a crash never leaves half a run visible.
 * Every SQL statement of greenbench is behind these functions (the files: STORE.md, "In
 * the code"). Schema: harness/store/STORE.md. Never prints, never exits.
 */
#ifndef GB_STORE_H
#define GB_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"
#include "profile/pstats.h"

#define STORE_SCHEMA_VERSION 5
/* func_stats keeps per profile the rows of this many functions by tottime, as many by
 * cumtime, and those named as the target (schema 5); the dump keeps every function */
#define STORE_TOP_ROWS 16

struct store; /* an open store; store_close() frees it */

/* ---- what a run command collects as it goes ---- */

struct store_request {
	int repeat;                 /* 0-based repeat index */
	char *request_id;           /* X-OpenStack-Request-ID we sent: req-<uuid> */
	char *server_request_id;    /* the service's own x-openstack-request-id, or NULL */
	char *method, *path;        /* "POST", "/v2.1/servers" */
	int status;                 /* HTTP status, 0 when no answer */
	double latency;             /* seconds */
	double started_at;          /* unix seconds */
};

struct store_server {
	int repeat;
	char *server_id;            /* nova uuid, NULL if the POST failed */
	char *name;
	char *request_id;           /* request id of the create POST */
	double post_latency;        /* seconds; < 0 for unknown (stored NULL) */
	double time_to_active;      /* seconds from POST to ACTIVE; < 0 unknown */
	double time_to_deleted;     /* seconds from DELETE to gone; < 0 unknown */
	char *final_status;         /* ACTIVE, ERROR, DELETED, TIMEOUT... */
	char *fault;                /* nova's fault message, or NULL */
};

struct store_profile {
	int repeat;
	char *target;               /* "nova.scheduler.manager:SchedulerManager.select_destinations" */
	char *request_id;
	long pid;
	unsigned char *raw;         /* the dump's bytes as the service wrote them */
	size_t raw_len;
	struct pstats *stats;       /* parsed from raw */
};

struct store_sla {
	char *metric;               /* "create_servers.latency.p95" */
	double value, limit;
	int passed;
};

struct store_patch {
	char *name, *sha256;
};

/* The whole run. String fields are owned by the record (assign gb_strdup()ed strings or
 * NULL); run_record_free() frees everything. */
struct run_record {
	char *scenario;             /* scenario name */
	char *scenario_sha256;      /* of the YAML file's bytes */
	char *scenario_yaml;        /* the YAML text itself */
	char *label;                /* user's label, or NULL */
	double started_at, finished_at; /* unix seconds; finished 0 = unknown */
	char *host;                 /* hostname */
	int cpu_count;
	double load_before[3], load_after[3]; /* 1, 5, 15 minute load averages */
	long long mem_free_kb;      /* MemAvailable at start, -1 unknown */
	char *service_revision;     /* git describe of the service tree, or NULL */
	char *greenbench_version;   /* NULL: GB_VERSION */
	char *status;               /* "ok", "failed" or "interrupted" */
	int fake_computes, repeat_count;
	long long ab_id;            /* the A/B experiment this run belongs to, 0 = none */
	int is_baseline;

	struct store_patch *patches; size_t n_patches;
	struct store_request *requests; size_t n_requests;
	struct store_server *servers; size_t n_servers;
	struct store_profile *profiles; size_t n_profiles;
	struct store_sla *slas; size_t n_slas;
};

struct run_record *run_record_new(void);
void run_record_free(struct run_record *rec);

/* Append a copy (strings duplicated) of r to the record. */
void run_record_add_patch(struct run_record *rec, const char *name, const char *sha256);
void run_record_add_request(struct run_record *rec, const struct store_request *r);
void run_record_add_server(struct run_record *rec, const struct store_server *s);
void run_record_add_sla(struct run_record *rec, const char *metric, double value, double limit,
			int passed);

/* Parse raw (a cProfile dump) and append it with a copy of its bytes. Fails, adding
 * nothing, when the dump is corrupt (err names `what` or the target). */
int run_record_add_profile(struct run_record *rec, int repeat, const char *target,
			   const char *request_id, long pid, const unsigned char *raw, size_t len,
			   struct gb_err *err);

/* Fill the host facts: with after == 0 host name, CPU count, 1/5/15-minute load and
 * MemAvailable (the run's start); with after == 1 only load_after. Facts it cannot read
 * stay unknown; never fails. */
void run_record_fill_host(struct run_record *rec, int after);


/* ---- opening ---- */

/* The store's path: opt_db if given, else $GREENBENCH_DB, else
 * $XDG_DATA_HOME/greenbench/results.db, else ~/.local/share/greenbench/results.db. */
int store_default_path(const char *opt_db, struct strbuf *out, struct gb_err *err);

/* Open (creating it and its directory when create is 1) and migrate to the current
 * schema: WAL, foreign keys, 5 s busy timeout. Errors are GB_EXIT_ENV (3). */
int store_open(const char *path, int create, struct store **out, struct gb_err *err);
void store_close(struct store *db);

/* store_default_path(opt_db) then store_open(): what every read command does. */
int store_open_default(const char *opt_db, int create, struct store **out, struct gb_err *err);

/* ---- writing ---- */

/* Write the whole record in one transaction; *run_id gets the new run's id. */
int store_save_run(struct store *db, const struct run_record *rec, long long *run_id,
		   struct gb_err *err);

/* Change a stored run's status ("ok", "failed", "interrupted"). */
int store_mark_status(struct store *db, long long run_id, const char *status, struct gb_err *err);

/* ---- reading ---- */

/* A run reference: an id ("12"), a label, "last" or "last~N" (N runs before the last). */
int store_resolve_run(struct store *db, const char *ref, long long *run_id, struct gb_err *err);

/* The aggregated profile of a run (all profiles summed like pstats.Stats.add, or only
 * those whose target contains `target`, or only profile number `profile_no` (1-based,
 * 0 = all)). with_edges 0: functions only, from the func_stats rows (fast; times rounded
 * to the nanosecond, which is cProfile's own resolution); 1: functions and caller edges,
 * from the raw dumps (exact). (*out)->times: the profiles' own times summed, known only
 * when every one has them. n_profiles gets how many were summed. Caller frees *out. */
int store_run_pstats(struct store *db, long long run_id, const char *target, int profile_no,
		     int with_edges, struct pstats **out, int *n_profiles, struct gb_err *err);

/* The raw dump of a run's profile number profile_no (1-based, ordered by id), inflated. */
int store_profile_raw(struct store *db, long long run_id, int profile_no, struct strbuf *out,
		      struct gb_err *err);

/* Does the store hold this dump: a profile (of run_id; 0: of any run) whose bytes, read
 * back and inflated, are size bytes with this sha256 (lower-case hex)? Reads the stored
 * bytes, not only the numbers computed before storing them. */
int store_has_dump(struct store *db, long long run_id, size_t size, const char *sha256,
		   bool *has, struct gb_err *err);

/* ---- queries (store_query.c) ---- */

/* A typed value: a query parameter or a column of a result row. A number column gives
 * i and d (the value as integer and real), a text column s; NULL and the other fields
 * are 0. store_row_text() has any column as text. Text in a row is valid only during
 * the callback. */
enum store_type { STORE_NULL, STORE_INT, STORE_REAL, STORE_TEXT };
struct store_value {
	enum store_type type;
	long long i;
	double d;
	const char *s;
};
#define STORE_V_INT(x) ((struct store_value){ STORE_INT, (x), 0, NULL })
#define STORE_V_TEXT(x) ((struct store_value){ STORE_TEXT, 0, 0, (x) }) /* NULL: SQL NULL */

struct store_row {
	size_t n;                        /* columns */
	const struct store_value *v;     /* v[0..n) */
	const char *const *names;        /* the columns' names */
	void *stmt_;                     /* the store's own */
};

/* Column i as sqlite renders it as text (numbers too: "0.5", "12"); NULL for NULL. */
const char *store_row_text(const struct store_row *row, size_t i);

/* Called for each row; a non-zero return stops the query and is what it returns. */
typedef int (*store_row_fn)(void *arg, const struct store_row *row);

/* The read queries, by name; parameters (?1, ?2, ...) as listed; columns as the SQL in
 * store_query.c selects them (STORE.md has the tables). */
enum store_query {
	STORE_Q_RUN_ALL,             /* run: every column of runs, by name */
	STORE_Q_RUN_SUMMARY,         /* run: what show prints of it */
	STORE_Q_RUN_FACTS,           /* run: scenario, host, revision, status, computes, cpus, load1 b/a */
	STORE_Q_RUN_HEAD,            /* run: the report's header */
	STORE_Q_RUN_NIGHTLY_FACTS,   /* run: scenario, host, computes, status, cpus, max load1 */
	STORE_Q_RUN_SCENARIO,        /* run: scenario */
	STORE_Q_RUN_YAML,            /* run: scenario_yaml */
	STORE_Q_RUN_PATCHES,         /* run: position, name, sha256 */
	STORE_Q_RUN_REQUESTS,        /* run: the requests */
	STORE_Q_RUN_STATUS_COUNTS,   /* run: HTTP status, count */
	STORE_Q_RUN_SERVERS,         /* run: the servers */
	STORE_Q_RUN_SERVER_TIMELINE, /* run: name, POST start, post, active, status */
	STORE_Q_RUN_PROFILE_TARGETS, /* run: per target: profiles, mean/max wall, funcs, calls */
	STORE_Q_RUN_PROFILES,        /* run: the profiles (cpu, wall, wait in s; NULL unknown) */
	STORE_Q_RUN_SLA,             /* run: metric, value, limit, passed */
	STORE_Q_RUN_REQUEST_LATENCIES, /* run: method, path, latency */
	STORE_Q_RUN_SERVER_ACTIVE,   /* run: name, '', time to ACTIVE */
	STORE_Q_RUN_SERVER_DELETED,  /* run: name, '', time to deleted */
	STORE_Q_RUN_PROFILE_WALL,    /* run: 'profile T wall', '', largest cumtime */
	STORE_Q_RUN_PROFILE_BUSY,    /* run: 'profile T busy', '', own times without waits */
	STORE_Q_RUN_PROFILE_CPU,     /* run: 'profile T cpu', '', the call's CPU seconds or NULL */
	STORE_Q_RUN_PROFILE_IDS,     /* run, target substring or NULL: id, target, cpu_ns or NULL,
				      * tt_ns, switch_tt_ns, max_ct_ns (sums over all functions) */
	STORE_Q_RUN_FUNC_STATS,      /* run, target or NULL: profile id, file, line, name, nc, tt_ns,
				      * ct_ns of the kept rows only (STORE_TOP_ROWS); every function:
				      * store_run_func_rows() */
	STORE_Q_RUNS_LIST,           /* scenario or NULL, limit (-1 all): what list prints */
	STORE_Q_SCENARIO_GOOD_RUNS,  /* scenario, limit: id, started, label, revision, baseline */
	STORE_Q_SCENARIO_HISTORY,    /* scenario, run, computes, host, limit: id, is_baseline */
	STORE_Q_SCENARIO_LAST_DURATION, /* scenario: seconds of its last good run */
	STORE_Q_AB_GOOD_RUNS,        /* ab id: side, run id of its good blocks */
	STORE_Q_COUNT
};

/* Run query q with params, calling fn for each row. Errors (GB_EXIT_ENV) read
 * "<doing>: <sqlite's message>". */
int store_query(struct store *db, enum store_query q, const struct store_value *params,
		size_t n_params, store_row_fn fn, void *arg, const char *doing, struct gb_err *err);

/* Every listed function of each profile of run_id (target: a substring of the target, or
 * NULL), from the dumps, as rows of STORE_Q_RUN_FUNC_STATS's columns (profile id, file,
 * line, name, nc, tt_ns, ct_ns), by profile id; fn as store_query() calls it. */
int store_run_func_rows(struct store *db, long long run_id, const char *target, store_row_fn fn,
			void *arg, struct gb_err *err);

/* store_query() with the one parameter run. */
int store_query_run(struct store *db, enum store_query q, long long run, store_row_fn fn,
		    void *arg, const char *doing, struct gb_err *err);

/* A new A/B experiment (its id one past every experiment and run's ab_id), in one
 * transaction. patches: the patch names joined by newlines; seed stored when randomize. */
int store_ab_begin(struct store *db, const char *scenario, const char *order, int randomize,
		   unsigned long long seed, const char *patches, double started_at,
		   long long *ab_id, struct gb_err *err);

/* Record (or replace) block pos of an experiment: its side, run (0 none) and status. */
int store_ab_record_block(struct store *db, long long ab_id, size_t pos, char side,
			  long long run_id, const char *status, struct gb_err *err);

/* Set or clear a run's baseline mark; GB_EXIT_USAGE when there is no such run. */
int store_set_baseline(struct store *db, long long run, int on, struct gb_err *err);

#endif

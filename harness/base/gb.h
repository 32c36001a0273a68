/*
 * gb.h - what every part of greenbench shares: the error carrier (struct gb_err),
 * exit codes, the growing string (struct strbuf), sha256 and a few small helpers.
 * Nothing here prints or exits; main.c alone decides what the user sees.
 */
#ifndef GB_H
#define GB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define GB_VERSION "0.1.0"

/* Exit codes: stable, documented in README and `greenbench --help`. */
enum gb_exit {
	GB_EXIT_OK = 0,          /* success */
	GB_EXIT_FAIL = 1,        /* an SLA failed or a regression was found */
	GB_EXIT_USAGE = 2,       /* bad usage or bad input (scenario, config, patch) */
	GB_EXIT_ENV = 3,         /* environment error: API unreachable, unit won't start */
	GB_EXIT_INTERRUPTED = 4, /* interrupted by a signal, host restored */
	GB_EXIT_INCONCLUSIVE = 5, /* a verdict could not be reached: neither slower/faster nor
				   * inside the +-min-effect margin (compare, ab, nightly) */
};

/* One human sentence saying what failed, where, and what to do. */
struct gb_err {
	int exit_code;  /* the enum gb_exit main.c should use, GB_EXIT_USAGE by default */
	char msg[1024]; /* "file:line:col: field: expected ..., got ..." */
};

/* Fill err (if not NULL) with a formatted message; returns -1 so callers can
 * `return gb_errf(err, GB_EXIT_USAGE, "...")`. */
int gb_errf(struct gb_err *err, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append a formatted tail to err's message ("; the journal is kept ..."), cut to
 * what fits; the exit code stays. Does nothing when err is NULL. */
void gb_err_append(struct gb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growing, always NUL-terminated string (git's strbuf invariant): buf is never NULL,
 * so sb.buf is always a C string. STRBUF_INIT, sb_init() and every sb_* function leave
 * it pointing at least at a shared empty string (gb_sb_empty, alloc 0: owns nothing,
 * never written); the owner frees with sb_release(). A zeroed strbuf (calloc, memset)
 * is accepted by every sb_* function too, but only sb_str() may read it before the
 * first sb_* call: initialise embedded strbufs with sb_init(). Allocation failure
 * aborts (OOM). */
extern char gb_sb_empty[1];
struct strbuf {
	char *buf;    /* never NULL once initialised; gb_sb_empty while alloc == 0 */
	size_t len;   /* bytes used, excluding the NUL */
	size_t alloc; /* bytes allocated; 0: buf is gb_sb_empty (or NULL, if zeroed) */
};
#define STRBUF_INIT { gb_sb_empty, 0, 0 }

void sb_init(struct strbuf *sb);

void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_addstr(struct strbuf *sb, const char *s);
void sb_addch(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
const char *sb_str(const struct strbuf *sb); /* sb->buf, or "" for a zeroed strbuf */
void sb_reset(struct strbuf *sb);
char *sb_detach(struct strbuf *sb); /* caller frees the result; sb is empty after */
void sb_release(struct strbuf *sb);

/* Allocation that aborts on out-of-memory (a benchmark harness can't do
 * anything sensible without memory). The caller frees. */
void *gb_malloc(size_t n);
void *gb_calloc(size_t n, size_t size);
void *gb_realloc(void *p, size_t n);
char *gb_strdup(const char *s);
char *gb_strndup(const char *s, size_t n);

/* Read a whole file (at most max_bytes) into out. */
int gb_read_file(const char *path, size_t max_bytes, struct strbuf *out, struct gb_err *err);

/* Write data to path atomically (temp file in the same directory, fsync, rename). */
int gb_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct gb_err *err);

/* Lower-case hex SHA-256 of data into hex[65] (scenario text, patches, backups, dumps). */
void gb_sha256_hex(const void *data, size_t len, char hex[65]);

/* Lower-case hex SHA-256 of a file's bytes, read in chunks (any size); -1 with err
 * naming the path when it cannot be opened or read. */
int gb_sha256_file(const char *path, char hex[65], struct gb_err *err);

/* mkdir -p with mode 0700 for every directory it creates (existing ones kept as they
 * are); -1 with err naming the directory that could not be made. */
int gb_mkdir_p0700(const char *path, struct gb_err *err);

/* Parse a duration: "500ms", "2s", "1.5s", "1m", "1h", "90d", or a bare number of
 * seconds. Returns 0 and sets *secs, or -1 when s is not a duration >= 0. */
int gb_parse_duration(const char *s, double *secs);

/* The candidate closest to word if it is close enough to suggest
 * (distance <= 2, or a prefix), else NULL. cands is NULL-terminated. */
const char *gb_suggest(const char *word, const char *const *cands);

/* Monotonic seconds and wall-clock seconds since the epoch. */
double gb_now(void);
double gb_wall(void);

#define GB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

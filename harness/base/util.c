/*
 * util.c - the shared small helpers declared in gb.h: error formatting,
 * strbuf, checked allocation, whole-file read and atomic write, sha256, durations,
 * "did you mean". Never prints, never exits (except abort() on OOM).
 */
#define _GNU_SOURCE
#include "base/gb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

int gb_errf(struct gb_err *err, int exit_code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->exit_code = exit_code;
	}
	return -1;
}

void gb_err_append(struct gb_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	size_t l = strnlen(err->msg, sizeof(err->msg) - 1);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg + l, sizeof(err->msg) - l, fmt, ap);
	va_end(ap);
}

/* ---- allocation ---- */

static void oom(void)
{
	static const char msg[] = "greenbench: out of memory\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) { /* nothing more we can do */ }
	abort();
}

void *gb_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *gb_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *gb_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *gb_strdup(const char *s)
{
	return s ? gb_strndup(s, strlen(s)) : NULL;
}

char *gb_strndup(const char *s, size_t n)
{
	char *d = gb_malloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ---- strbuf ---- */

char gb_sb_empty[1];

void sb_init(struct strbuf *sb)
{
	sb->buf = gb_sb_empty;
	sb->len = sb->alloc = 0;
}

static void sb_grow(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->alloc)
		return;
	size_t want = sb->alloc ? sb->alloc : 64;
	while (want < sb->len + extra + 1)
		want *= 2;
	if (!sb->alloc) { /* gb_sb_empty or NULL: nothing of ours to grow */
		sb->buf = gb_malloc(want);
		sb->buf[0] = '\0';
	} else {
		sb->buf = gb_realloc(sb->buf, want);
	}
	sb->alloc = want;
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_addstr(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addch(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
	else
		sb->buf = gb_sb_empty;
}

char *sb_detach(struct strbuf *sb)
{
	char *s = sb->alloc ? sb->buf : gb_strdup("");
	sb_init(sb);
	return s;
}

void sb_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb_init(sb);
}

/* ---- files ---- */

int gb_read_file(const char *path, size_t max_bytes, struct strbuf *out, struct gb_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gb_errf(err, GB_EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return gb_errf(err, GB_EXIT_USAGE, "%s: is a directory, expected a file", path);
	}
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return gb_errf(err, GB_EXIT_USAGE, "%s: read failed: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max_bytes) {
			close(fd);
			return gb_errf(err, GB_EXIT_USAGE, "%s: larger than %zu bytes; refusing to read it",
				       path, max_bytes);
		}
		sb_add(out, chunk, (size_t)n);
	}
	close(fd);
	if (!out->buf)
		sb_add(out, "", 0);
	return 0;
}

int gb_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct gb_err *err)
{
	struct strbuf tmp = STRBUF_INIT;
	sb_addf(&tmp, "%s.gbtmp.%ld", path, (long)getpid());
	int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		gb_errf(err, GB_EXIT_ENV, "%s: cannot create: %s", tmp.buf, strerror(errno));
		sb_release(&tmp);
		return -1;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gb_errf(err, GB_EXIT_ENV, "%s: write failed: %s", tmp.buf, strerror(errno));
			close(fd);
			unlink(tmp.buf);
			sb_release(&tmp);
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	/* a file replaced keeps its owner: devstack's configs are stack's, and a service
	 * running as stack must still read its nova.conf after greenbench (root) changed it */
	struct stat old;
	if (stat(path, &old) == 0 && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
	    fchown(fd, old.st_uid, old.st_gid) != 0) {
		gb_errf(err, GB_EXIT_ENV, "%s: cannot keep its owner (uid %ld, gid %ld): %s", path,
			(long)old.st_uid, (long)old.st_gid, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		sb_release(&tmp);
		return -1;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0 || close(fd) != 0) {
		gb_errf(err, GB_EXIT_ENV, "%s: cannot finish writing: %s", tmp.buf, strerror(errno));
		unlink(tmp.buf);
		sb_release(&tmp);
		return -1;
	}
	if (rename(tmp.buf, path) != 0) {
		gb_errf(err, GB_EXIT_ENV, "%s: cannot rename into place: %s", path, strerror(errno));
		unlink(tmp.buf);
		sb_release(&tmp);
		return -1;
	}
	sb_release(&tmp);
	return 0;
}

/* ---- sha256 ---- */

static void hex_of(const unsigned char *md, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

void gb_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		hex[0] = '\0'; /* never equal to a real digest */
		return;
	}
	hex_of(md, hex);
}

int gb_sha256_file(const char *path, char hex[65], struct gb_err *err)
{
	hex[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gb_errf(err, GB_EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		close(fd);
		return gb_errf(err, GB_EXIT_ENV, "%s: cannot hash: sha256 unavailable in libcrypto", path);
	}
	char chunk[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gb_errf(err, GB_EXIT_USAGE, "%s: read failed: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(ctx, chunk, (size_t)n)) {
			rc = gb_errf(err, GB_EXIT_ENV, "%s: cannot hash it", path);
			break;
		}
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (rc == 0 && (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32))
		rc = gb_errf(err, GB_EXIT_ENV, "%s: cannot hash it", path);
	if (rc == 0)
		hex_of(md, hex);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

/* ---- durations ---- */

int gb_parse_duration(const char *s, double *secs)
{
	if (!s || !*s)
		return -1;
	const char *p = s;
	/* digits and at most one dot; no signs, no exponents, no hex */
	int digits = 0, dots = 0;
	while ((*p >= '0' && *p <= '9') || *p == '.') {
		if (*p == '.')
			dots++;
		else
			digits++;
		p++;
	}
	if (!digits || dots > 1 || p - s > 15)
		return -1;
	char num[16];
	memcpy(num, s, (size_t)(p - s));
	num[p - s] = '\0';
	double v = strtod(num, NULL);
	double mul;
	if (!*p || !strcmp(p, "s"))
		mul = 1;
	else if (!strcmp(p, "ms"))
		mul = 0.001;
	else if (!strcmp(p, "m"))
		mul = 60;
	else if (!strcmp(p, "h"))
		mul = 3600;
	else if (!strcmp(p, "d"))
		mul = 86400;
	else
		return -1;
	*secs = v * mul;
	return 0;
}

/* ---- did you mean ---- */

/* Levenshtein distance, capped for long strings. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *gb_suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t wl = strlen(word);
	for (size_t i = 0; cands[i]; i++) {
		size_t d = edit_distance(word, cands[i]);
		if (wl >= 2 && !strncmp(cands[i], word, wl) && d > 1)
			d = 2; /* a prefix is worth suggesting */
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	size_t limit = wl <= 3 ? 1 : 2;
	return best_d <= limit ? best : NULL;
}

/* ---- clocks ---- */

double gb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double gb_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int gb_mkdir_p0700(const char *path, struct gb_err *err)
{
	char *p = gb_strdup(path);
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			gb_errf(err, GB_EXIT_ENV, "cannot create %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		if (!c)
			break;
		*s = c;
	}
	free(p);
	return 0;
}

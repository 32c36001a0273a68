/*
 * store_codec.c - the lossless encoding of a raw dump (store_codec.h): the marshal
 * walker that splits a dump into skeleton and numbers and joins them back, and zstd
 * against a raw-content dictionary. Every length is checked against the bytes there
 * are: a damaged stream is an error, never a read past its end. Never prints, never exits.
 */
#include "store/store_codec.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define CODEC_VERSION 'S'   /* first byte of a split stream; never zstd's dictionary magic */
#define CODEC_LEVEL 3       /* zstd level: against a dictionary, 3 beat 9 and was near 19 on nova dumps */
#define CODEC_MAX_DEPTH 64
#define CODEC_MAX_OBJECTS 4 /* the marshal objects one dump may hold in a row */

/* numbers: (n << 2) | kind as a varint; kind 0: 1e-9 * n, 1: n / 1e9, 3: 8 raw bytes follow */
#define NUM_MUL 0
#define NUM_DIV 1
#define NUM_RAW 3

/* ---- varints ---- */

static void put_varint(struct strbuf *sb, uint64_t u)
{
	while (u >= 0x80) {
		sb_addch(sb, (char)(u & 0x7f) | (char)0x80);
		u >>= 7;
	}
	sb_addch(sb, (char)u);
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *u)
{
	*u = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char c = *(*p)++;
		*u |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* ---- the walker ---- */

/* Splitting: in is the dump, out the skeleton, nums the numbers. Joining: in is the
 * skeleton, nums_p the numbers to read, out the dump. */
struct walk {
	const unsigned char *p, *end;
	struct strbuf *out;
	bool is_join;
	struct strbuf *nums;                   /* split */
	const unsigned char *np, *nend;        /* join */
};

static int copy(struct walk *w, size_t n)
{
	if ((size_t)(w->end - w->p) < n)
		return -1;
	sb_add(w->out, w->p, n);
	w->p += n;
	return 0;
}

static int le32(struct walk *w, int32_t *v)
{
	if (w->end - w->p < 4)
		return -1;
	uint32_t u = (uint32_t)w->p[0] | (uint32_t)w->p[1] << 8 | (uint32_t)w->p[2] << 16 |
		     (uint32_t)w->p[3] << 24;
	memcpy(v, &u, 4);
	return 0;
}

static void split_float(struct walk *w, const unsigned char b[8])
{
	double v;
	memcpy(&v, b, 8); /* marshal's floats are little-endian IEEE 754, as this machine's */
	if (isfinite(v) && v >= 0 && v < 9.0e9) {
		long long n = llround(v * 1e9);
		double a = 1e-9 * (double)n, d = (double)n / 1e9;
		if (memcmp(&a, &v, 8) == 0) {
			put_varint(w->nums, (uint64_t)n << 2 | NUM_MUL);
			return;
		}
		if (memcmp(&d, &v, 8) == 0) {
			put_varint(w->nums, (uint64_t)n << 2 | NUM_DIV);
			return;
		}
	}
	put_varint(w->nums, NUM_RAW);
	sb_add(w->nums, b, 8);
}

static int join_float(struct walk *w)
{
	uint64_t u;
	if (get_varint(&w->np, w->nend, &u))
		return -1;
	double v;
	unsigned kind = (unsigned)(u & 3);
	long long n = (long long)(u >> 2);
	if (kind == NUM_RAW) {
		if (w->nend - w->np < 8)
			return -1;
		sb_add(w->out, w->np, 8);
		w->np += 8;
		return 0;
	}
	if (kind == NUM_MUL)
		v = 1e-9 * (double)n;
	else if (kind == NUM_DIV)
		v = (double)n / 1e9;
	else
		return -1;
	sb_add(w->out, &v, 8);
	return 0;
}

static int walk_obj(struct walk *w, int depth)
{
	if (depth > CODEC_MAX_DEPTH || w->p >= w->end)
		return -1;
	unsigned char t = *w->p;
	if (copy(w, 1))
		return -1;
	int32_t n;
	switch (t & 0x7f) {
	case '0': case 'N': case 'F': case 'T': case 'S': case '.':
		return 0;
	case 'i': case 'r':
		return copy(w, 4);
	case 'I':
		return copy(w, 8);
	case 'y': /* binary complex: 16 bytes, rare; kept in the skeleton */
		return copy(w, 16);
	case 'g':
		if (w->is_join)
			return join_float(w);
		if (w->end - w->p < 8)
			return -1;
		split_float(w, w->p);
		w->p += 8;
		return 0;
	case 'z': case 'Z': case 'f': case 'x': /* one length byte, then the text */
		if (w->p >= w->end)
			return -1;
		return copy(w, 1 + (size_t)*w->p);
	case 'a': case 'A': case 'u': case 't': case 's':
		if (le32(w, &n) || n < 0 || copy(w, 4))
			return -1;
		return copy(w, (size_t)n);
	case 'l': /* 15-bit digits, a signed count of them */
		if (le32(w, &n) || n == INT32_MIN || copy(w, 4))
			return -1;
		return copy(w, 2 * (size_t)(n < 0 ? -n : n));
	case ')':
		if (w->p >= w->end)
			return -1;
		n = *w->p;
		if (copy(w, 1))
			return -1;
		break;
	case '(': case '[': case '<': case '>':
		if (le32(w, &n) || n < 0 || copy(w, 4))
			return -1;
		break;
	case '{':
		while (w->p < w->end && *w->p != '0')
			if (walk_obj(w, depth + 1) || walk_obj(w, depth + 1))
				return -1;
		return copy(w, 1);
	default: /* code objects and anything newer: not ours to take apart */
		return -1;
	}
	for (int32_t i = 0; i < n; i++)
		if (walk_obj(w, depth + 1))
			return -1;
	return 0;
}

/* The marshal objects of a dump, one after another to its end: cProfile's stats dict, then
 * greenprof's trailer when there is one (profile/pstats.h), at most CODEC_MAX_OBJECTS. */
static int walk_all(struct walk *w)
{
	int n = 0;
	do {
		if (++n > CODEC_MAX_OBJECTS || walk_obj(w, 0))
			return -1;
	} while (w->p < w->end);
	return 0;
}

int store_codec_split(const unsigned char *raw, size_t len, struct strbuf *out)
{
	const uint16_t one = 1;
	if (*(const unsigned char *)&one != 1)
		return -1; /* the numbers are read as this machine's doubles: little-endian only */
	struct strbuf skel = STRBUF_INIT, nums = STRBUF_INIT;
	struct walk w = { .p = raw, .end = raw + len, .out = &skel, .nums = &nums };
	int rc = walk_all(&w) == 0 && w.p == w.end ? 0 : -1;
	if (rc == 0) {
		sb_reset(out);
		sb_addch(out, CODEC_VERSION);
		put_varint(out, skel.len);
		sb_add(out, skel.buf, skel.len);
		sb_add(out, nums.buf, nums.len);
	}
	sb_release(&skel);
	sb_release(&nums);
	return rc;
}

int store_codec_join(const unsigned char *s, size_t len, struct strbuf *out, struct gb_err *err)
{
	const unsigned char *p = s, *end = s + len;
	uint64_t skel_len;
	if (len < 2 || *p++ != CODEC_VERSION || get_varint(&p, end, &skel_len) ||
	    skel_len > (uint64_t)(end - p))
		return gb_errf(err, GB_EXIT_ENV, "a stored dump's split stream has a bad header");
	sb_reset(out);
	struct walk w = { .p = p, .end = p + skel_len, .out = out, .is_join = true,
			  .np = p + skel_len, .nend = end };
	if (walk_all(&w) != 0 || w.p != w.end || w.np != w.nend)
		return gb_errf(err, GB_EXIT_ENV, "a stored dump's split stream is damaged");
	return 0;
}

/* ---- zstd ---- */

int store_codec_compress(const void *data, size_t len, const void *dict, size_t dict_len,
			 struct strbuf *out, struct gb_err *err)
{
	size_t cap = ZSTD_compressBound(len);
	ZSTD_CCtx *cx = ZSTD_createCCtx();
	void *buf = gb_malloc(cap);
	/* the advanced API: ZSTD_compress_usingDict() ignored a 200 KB dictionary here */
	size_t n = cx ? ZSTD_CCtx_setParameter(cx, ZSTD_c_compressionLevel, CODEC_LEVEL) : 0;
	if (cx && !ZSTD_isError(n) && dict)
		n = ZSTD_CCtx_loadDictionary(cx, dict, dict_len);
	if (cx && !ZSTD_isError(n))
		n = ZSTD_compress2(cx, buf, cap, data, len);
	ZSTD_freeCCtx(cx);
	int rc = 0;
	if (!cx || ZSTD_isError(n))
		rc = gb_errf(err, GB_EXIT_ENV, "zstd could not compress a dump: %s",
			     cx ? ZSTD_getErrorName(n) : "out of memory");
	else {
		sb_reset(out);
		sb_add(out, buf, n);
	}
	free(buf);
	return rc;
}

int store_codec_decompress(const void *z, size_t len, const void *dict, size_t dict_len,
			   size_t max_out, struct strbuf *out, struct gb_err *err)
{
	unsigned long long size = ZSTD_getFrameContentSize(z, len);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_out)
		return gb_errf(err, GB_EXIT_ENV, "a stored zstd frame is damaged or too large");
	ZSTD_DCtx *dx = ZSTD_createDCtx();
	void *buf = gb_malloc((size_t)size + 1);
	size_t n = dx && dict ? ZSTD_DCtx_loadDictionary(dx, dict, dict_len) : 0;
	if (dx && !ZSTD_isError(n))
		n = ZSTD_decompressDCtx(dx, buf, (size_t)size + 1, z, len);
	ZSTD_freeDCtx(dx);
	int rc = 0;
	if (!dx || ZSTD_isError(n) || n != size)
		rc = gb_errf(err, GB_EXIT_ENV, "a stored zstd frame does not inflate: %s",
			     dx ? (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size") : "out of memory");
	else {
		sb_reset(out);
		sb_add(out, buf, n);
	}
	free(buf);
	return rc;
}

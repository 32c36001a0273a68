/*
 * store_codec.h - how a profile's raw dump is kept in the store, losslessly. A cProfile
 * marshal dump is split into its skeleton (every byte but the 8 of each float) and its
 * numbers (each float as the integer nanoseconds cProfile computed it from, when that
 * gives the float back bit for bit; else its 8 bytes), then compressed by zstd against a
 * dictionary: the split stream of an earlier profile of the same target, which shares
 * nearly all of the skeleton. No SQL here (store_save.c and store_read.c keep the
 * dictionaries). Never prints, never exits.
 */
#ifndef GB_STORE_CODEC_H
#define GB_STORE_CODEC_H

#include <stddef.h>

#include "base/gb.h"

/* profiles.raw_codec */
#define STORE_CODEC_ZLIB 0   /* raw_zlib: the dump, zlib (schema 1 and 2) */
#define STORE_CODEC_SPLIT 1  /* raw_zlib: the split dump, zstd, against zdicts.dict */

/* Split a marshal dump into out (a version byte, the skeleton's length, the skeleton,
 * the numbers). -1 when the dump holds something the splitter does not know (a code
 * object, a nesting deeper than 64, a truncated object, more than 4 objects in a row: a
 * dump and greenprof's trailer are two): store it with zlib then. */
int store_codec_split(const unsigned char *raw, size_t len, struct strbuf *out);

/* The inverse: the dump's bytes back from a split stream; -1 with err on a damaged one. */
int store_codec_join(const unsigned char *s, size_t len, struct strbuf *out, struct gb_err *err);

/* zstd of data against dict (raw content; NULL for none) at the store's level, into out. */
int store_codec_compress(const void *data, size_t len, const void *dict, size_t dict_len,
			 struct strbuf *out, struct gb_err *err);

/* Inflate a zstd frame (against dict, NULL for none) of at most max_out bytes. */
int store_codec_decompress(const void *z, size_t len, const void *dict, size_t dict_len,
			   size_t max_out, struct strbuf *out, struct gb_err *err);

#endif

/*
 * pstats_int.h - private to pstats.c (the reader), pstats_model.c and pstats_export.c
 * (the marshal writer): the marshal type codes of CPython's Python/marshal.c that
 * cProfile dumps use, and the model's key hash the writer shares.
 */
#ifndef GB_PSTATS_INT_H
#define GB_PSTATS_INT_H

#include <stdint.h>

#define FLAG_REF 0x80
enum {
	T_NULL = '0', T_NONE = 'N', T_FALSE = 'F', T_TRUE = 'T', T_STOPITER = 'S',
	T_ELLIPSIS = '.', T_INT = 'i', T_INT64 = 'I', T_FLOAT = 'f', T_BINARY_FLOAT = 'g',
	T_COMPLEX = 'x', T_BINARY_COMPLEX = 'y', T_LONG = 'l', T_STRING = 's',
	T_INTERNED = 't', T_REF = 'r', T_TUPLE = '(', T_LIST = '[', T_DICT = '{',
	T_CODE = 'c', T_UNICODE = 'u', T_UNKNOWN = '?', T_SET = '<', T_FROZENSET = '>',
	T_ASCII = 'a', T_ASCII_INTERNED = 'A', T_SMALL_TUPLE = ')', T_SHORT_ASCII = 'z',
	T_SHORT_ASCII_INTERNED = 'Z',
};

/* FNV-1a of (file, line, name): the model's function table and the writer's file table. */
uint64_t pstats_hash_key(const char *file, long line, const char *name);

#endif

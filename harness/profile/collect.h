/*
 * collect.h - finds the profiler's dumps for a run's request ids in a dump directory
 * (names per harness/INTERFACES.md §A: <target>__<rid>__<pid>.prof), refusing symlinks, files of
 * other owners and partial files, and parses each. Never prints, never exits.
 */
#ifndef GB_COLLECT_H
#define GB_COLLECT_H

#include <stddef.h>
#include <sys/types.h>

#include "base/gb.h"
#include "profile/pstats.h"

/* One dump that belongs to the run. */
struct collect_dump {
	char *path;          /* dir/name */
	char *target;        /* "module:Qual.name" (the name's first '-' turned back into ':') */
	char *request_id;    /* "req-<uuid>", or "seq-N" for a call no request id reached */
	long pid;
	unsigned char *raw;  /* the file's bytes */
	size_t raw_len;
	struct pstats *stats;
};

struct collect_result {
	struct collect_dump *dumps;  /* sorted by request id, then target, then pid */
	size_t n_dumps;
	char **problems;             /* one sentence per file skipped or refused */
	size_t n_problems;
	size_t n_partial;            /* `.*.tmp` files still being written */
	size_t n_refused;            /* symlinks, wrong owner, not regular, corrupt */
	size_t n_ignored;            /* well-named dumps for other request ids */
};

/* Largest dump collect reads. */
#define COLLECT_MAX_BYTES (256u * 1024 * 1024)

/*
 * Scan dir for dumps of the given request ids, written by uid. The directory must be a
 * real directory owned by uid (or root) and not writable by group or others. Returns -1 only when
 * the directory itself is unusable; files are skipped with a line in out->problems.
 * The caller frees out with collect_result_release().
 */
int collect_dumps(const char *dir, uid_t uid, const char *const *request_ids, size_t n_ids,
		  struct collect_result *out, struct gb_err *err);

/*
 * The final dump names (no directory) of target ("module:Qual.name") in dir, whatever their
 * request id: `seq-N` ones first, by N then pid, then the others by name. Reads no dump.
 * The caller frees *names with collect_names_free().
 */
int collect_list(const char *dir, const char *target, char ***names, size_t *n_names,
		 struct gb_err *err);
void collect_names_free(char **names, size_t n);

/*
 * Read and parse the named dumps of dir (names from collect_list), with the same checks as
 * collect_dumps; out->dumps keeps the order of names. Returns -1 only when the directory is
 * unusable. The caller frees out with collect_result_release().
 */
int collect_read(const char *dir, uid_t uid, const char *const *names, size_t n_names,
		 struct collect_result *out, struct gb_err *err);

void collect_result_release(struct collect_result *res);

/* Split a final dump name into its parts; 0 when it matches the pattern. The caller frees
 * *target and *rid. */
int collect_parse_name(const char *name, char **target, char **rid, long *pid);

#endif

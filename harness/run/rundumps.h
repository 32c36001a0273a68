/*
 * rundumps.h - what becomes of a run's dump directory (<state>/runs/<run-id>/) once the
 * run is stored: removed when every dump in it is in the store (size and sha256 read
 * back), kept with a KEPT note otherwise (--keep-dumps, a run that failed before storing
 * them); and the clean-up of what killed runs and older greenbench versions left, done by
 * the next run and by `greenbench restore`. Never prints (progress callback), never exits.
 */
#ifndef GB_RUNDUMPS_H
#define GB_RUNDUMPS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

struct store;

typedef void (*rundumps_say_fn)(void *arg, const char *line);

struct rundumps_outcome {
	bool is_removed;      /* the directory is gone */
	size_t n_dumps;       /* dumps found in it */
	size_t n_verified;    /* of them, found in the store with the same size and sha256 */
	size_t n_foreign;     /* dumps of calls the run did not make (removed with it) */
};

/*
 * Settle run_dir after the store step. run_id: the stored run (0: nothing was stored);
 * request_ids: the requests the run sent (a dump named by another id is not the run's);
 * keep: --keep-dumps. Says one line through say. An error (the directory could not be
 * removed or marked) leaves it as it was; it is never fatal to the run.
 */
int rundumps_settle(struct store *db, long long run_id, const char *run_dir,
		    const char *const *request_ids, size_t n_ids, bool keep, rundumps_say_fn say,
		    void *arg, struct rundumps_outcome *out, struct gb_err *err);

/*
 * Clean <state_dir>/runs/ but for the run exclude (NULL: none); the caller holds the
 * state directory's lock, so no run is going. A directory still marked RUNNING is what
 * a killed run left: removed. One without a note is an older greenbench's: removed when
 * every dump in it is in the store db (any run), else marked KEPT so it is looked at
 * once; with db NULL it is left for later. KEPT directories are left alone.
 * *n_removed counts the directories removed.
 */
int rundumps_clean_stale(const char *state_dir, const char *exclude, struct store *db,
			 rundumps_say_fn say, void *arg, size_t *n_removed, struct gb_err *err);

/* `greenbench restore`: take the lock of state_dir (NULL: the default), clean as above
 * with the store db_path (NULL: the default; a missing store is no error), unlock. */
int rundumps_clean_host(const char *state_dir, const char *db_path, rundumps_say_fn say,
			void *arg, size_t *n_removed, struct gb_err *err);

#endif

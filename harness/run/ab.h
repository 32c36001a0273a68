/*
 * ab.h - the orchestration of `greenbench ab`: the block order (ABBA, or random per
 * pair with a printed seed), the experiment's id and its blocks in the store, and the
 * loop that runs each block through a caller-given "one run" function (runner_run in
 * the CLI, a fake in tests). Never prints, never exits, never touches the host itself.
 */
#ifndef GB_AB_H
#define GB_AB_H

#include <stddef.h>
#include <stdint.h>

#include "base/gb.h"
#include "store/store.h"

/* The order of 2 * repeat blocks into order[0 .. 2 * repeat) plus a NUL: pairs AB, BA,
 * AB, BA... (ABBA ABBA: a linear drift hits both sides alike), or with randomize each
 * pair's order drawn from a PRNG seeded with seed. */
void ab_order(size_t repeat, int randomize, uint64_t seed, char *order);

/* Allocate the experiment's id (max of every ab id in the store + 1, in one
 * transaction) and record it with its plan. */
int ab_begin(struct store *db, const char *scenario, const char *order, int randomize,
	     uint64_t seed, const char *const *patches, size_t n_patches, long long *ab_id,
	     struct gb_err *err);

/* The good runs of experiment ab_id, by side, in block order. Callers free *a, *b. */
int ab_runs(struct store *db, long long ab_id, long long **a, size_t *n_a, long long **b,
	    size_t *n_b, struct gb_err *err);

/* One block: run the scenario once on `side` ('A' baseline, 'B' patched) as part of
 * experiment ab_id; *run_id gets the stored run (0 when none). 0 ok, -1 with err
 * (err->exit_code GB_EXIT_INTERRUPTED stops the experiment at once). */
typedef int (*ab_block_fn)(void *arg, char side, size_t block, long long ab_id,
			   long long *run_id, struct gb_err *err);

struct ab_outcome {
	long long ab_id;
	size_t n_done;       /* blocks that stored a good run */
	size_t n_failed;     /* blocks that failed (the experiment stops at the first) */
	int stopped_by;      /* 0, or the exit code of the block that stopped it */
	int is_stopped_early; /* 1: the look function ended it before the last planned block */
	char stop_reason[1024];
};

/* Run the blocks of `order` through fn (after ab_begin), recording each. Stops at the
 * first failing block (the runner has restored the host); the blocks done stay
 * stored. progress (may be NULL) hears "block 3/12 (B)..." lines. Returns 0 when
 * every block ran, -1 otherwise (out says why; err too). */
int ab_execute(struct store *db, long long ab_id, const char *order, ab_block_fn fn, void *arg,
	       void (*progress)(void *parg, const char *line), void *parg, struct ab_outcome *out,
	       struct gb_err *err);

/* After a block: n_a, n_b good blocks per side so far; return 1 to end the experiment
 * there (decided, or the budget is spent), 0 to go on. */
typedef int (*ab_look_fn)(void *arg, size_t n_a, size_t n_b);

/* ab_execute() that asks look (may be NULL) after every good block whether to stop:
 * the adaptive experiment (blocks of `order` are the most it may run). out->n_done
 * says how many ran; out->is_stopped_early is 1 when look ended it. */
int ab_execute_until(struct store *db, long long ab_id, const char *order, ab_block_fn fn,
		     void *arg, void (*progress)(void *parg, const char *line), void *parg,
		     ab_look_fn look, void *look_arg, struct ab_outcome *out, struct gb_err *err);

#endif

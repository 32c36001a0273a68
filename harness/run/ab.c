/*
 * ab.c - `greenbench ab`'s orchestration: block order, the experiment id and its
 * blocks in the store (tables ab_experiments, ab_blocks), and the block loop over a
 * caller-given run function. Never prints, never touches the host itself.
 */
#include "run/ab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/interrupt.h"
#include "judge/stats.h"

void ab_order(size_t repeat, int randomize, uint64_t seed, char *order)
{
	struct stats_rng rng;
	stats_rng_seed(&rng, seed);
	for (size_t i = 0; i < repeat; i++) {
		int ab = randomize ? (int)(stats_rng_next(&rng) >> 63) : !(i % 2);
		order[2 * i] = ab ? 'A' : 'B';
		order[2 * i + 1] = ab ? 'B' : 'A';
	}
	order[2 * repeat] = '\0';
}

int ab_begin(struct store *db, const char *scenario, const char *order, int randomize,
	     uint64_t seed, const char *const *patches, size_t n_patches, long long *ab_id,
	     struct gb_err *err)
{
	struct strbuf pl = STRBUF_INIT;
	for (size_t i = 0; i < n_patches; i++)
		sb_addf(&pl, "%s%s", i ? "\n" : "", patches[i]);
	int rc = store_ab_begin(db, scenario, order, randomize, (unsigned long long)seed, sb_str(&pl),
				gb_wall(), ab_id, err);
	sb_release(&pl);
	return rc;
}

struct ab_sides {
	long long **a, **b;
	size_t *n_a, *n_b;
};

static int ab_row(void *arg, const struct store_row *r)
{
	struct ab_sides *s = arg;
	const char *side = r->v[0].s;
	long long **arr = side && side[0] == 'B' ? s->b : s->a;
	size_t *n = side && side[0] == 'B' ? s->n_b : s->n_a;
	*arr = gb_realloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = r->v[1].i;
	return 0;
}

int ab_runs(struct store *db, long long ab_id, long long **a, size_t *n_a, long long **b,
	    size_t *n_b, struct gb_err *err)
{
	*a = *b = NULL;
	*n_a = *n_b = 0;
	struct ab_sides sides = { a, b, n_a, n_b };
	struct store_value id = STORE_V_INT(ab_id);
	if (store_query(db, STORE_Q_AB_GOOD_RUNS, &id, 1, ab_row, &sides, "reading an A/B experiment",
			err)) {
		free(*a);
		free(*b);
		*a = *b = NULL;
		*n_a = *n_b = 0;
		return -1;
	}
	if (!*n_a || !*n_b) {
		free(*a);
		free(*b);
		*a = *b = NULL;
		int got_a = (int)*n_a, got_b = (int)*n_b;
		*n_a = *n_b = 0;
		return gb_errf(err, GB_EXIT_USAGE, "A/B experiment %lld has %d good baseline and %d good "
						   "patched runs; each side needs one or more (see "
						   "'greenbench list')", ab_id, got_a, got_b);
	}
	return 0;
}

int ab_execute(struct store *db, long long ab_id, const char *order, ab_block_fn fn, void *arg,
	       void (*progress)(void *parg, const char *line), void *parg, struct ab_outcome *out,
	       struct gb_err *err)
{
	return ab_execute_until(db, ab_id, order, fn, arg, progress, parg, NULL, NULL, out, err);
}

int ab_execute_until(struct store *db, long long ab_id, const char *order, ab_block_fn fn,
		     void *arg, void (*progress)(void *parg, const char *line), void *parg,
		     ab_look_fn look, void *look_arg, struct ab_outcome *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->ab_id = ab_id;
	size_t n = strlen(order), n_a = 0, n_b = 0;
	for (size_t i = 0; i < n; i++) {
		char line[160];
		snprintf(line, sizeof(line), "block %zu/%zu: %s", i + 1, n,
			 order[i] == 'A' ? "A (baseline)" : "B (patched)");
		if (progress)
			progress(parg, line);
		long long run = 0;
		struct gb_err e = { GB_EXIT_ENV, "" };
		int rc = interrupt_requested()
				 ? gb_errf(&e, GB_EXIT_INTERRUPTED, "interrupted before the block started")
				 : fn(arg, order[i], i, ab_id, &run, &e);
		const char *status = rc ? (e.exit_code == GB_EXIT_INTERRUPTED ? "interrupted" : "error")
					: "ok";
		if (store_ab_record_block(db, ab_id, i, order[i], run, status, err))
			return -1;
		if (rc) {
			out->n_failed++;
			out->stopped_by = e.exit_code ? e.exit_code : GB_EXIT_ENV;
			snprintf(out->stop_reason, sizeof(out->stop_reason), "block %zu (%c) failed: %.960s", i + 1,
				 order[i], e.msg);
			return gb_errf(err, out->stopped_by, "%s", out->stop_reason);
		}
		out->n_done++;
		*(order[i] == 'B' ? &n_b : &n_a) += 1;
		if (look && look(look_arg, n_a, n_b)) {
			out->is_stopped_early = i + 1 < n;
			break;
		}
	}
	return 0;
}

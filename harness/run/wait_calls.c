/*
 * wait_calls.c - waits for the calls of a profiled target that no request of ours names (a
 * periodic task such as nova-compute's update_available_resource, an internal call): it
 * counts the target's new dumps in the run's dump directory until there are enough or the
 * step's timeout passes. Reads dumps only through profile/collect; never prints, never exits.
 */
#include "run/wait_calls.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/interrupt.h"

static bool dump_seen_has(const struct dump_seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return true;
	return false;
}

void dump_seen_add(struct dump_seen *s, const char *name)
{
	if (dump_seen_has(s, name))
		return;
	s->names = gb_realloc(s->names, (s->n + 1) * sizeof(char *));
	s->names[s->n++] = gb_strdup(name);
}

void dump_seen_free(struct dump_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->n = 0;
}

/* The names of `now` that are neither in `before` nor in seen, in now's order. */
static size_t fresh_names(char **now, size_t n_now, char **before, size_t n_before,
			  const struct dump_seen *seen, const char **out)
{
	size_t k = 0;
	for (size_t i = 0; i < n_now; i++) {
		bool old = dump_seen_has(seen, now[i]);
		for (size_t j = 0; !old && j < n_before; j++)
			old = !strcmp(now[i], before[j]);
		if (!old)
			out[k++] = now[i];
	}
	return k;
}

int wait_calls_run(const struct wait_calls_req *rq, struct dump_seen *seen, struct collect_result *out,
		   struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	struct stat st;
	if (stat(rq->dir, &st) != 0)
		return gb_errf(err, GB_EXIT_ENV, "%s: no dump directory %s; did the profiled unit start "
			       "with greenprof?", rq->where, rq->dir);
	char **before = NULL, **now = NULL;
	size_t n_before = 0, n_now = 0, n_fresh = 0, last = (size_t)-1;
	if (collect_list(rq->dir, rq->target, &before, &n_before, err))
		return -1;
	const char **fresh = NULL;
	double t0 = gb_now(), poll = rq->poll > 0 ? rq->poll : 0.2;
	int rc = -1;
	for (;;) {
		collect_names_free(now, n_now);
		if (collect_list(rq->dir, rq->target, &now, &n_now, err)) {
			now = NULL;
			n_now = 0;
			goto out;
		}
		free(fresh);
		fresh = gb_calloc(n_now + 1, sizeof(*fresh));
		n_fresh = fresh_names(now, n_now, before, n_before, seen, fresh);
		if (n_fresh != last && rq->progress)
			rq->progress(rq->arg, n_fresh, rq->count);
		last = n_fresh;
		if (n_fresh >= (size_t)rq->count)
			break;
		if (interrupt_requested()) {
			gb_errf(err, GB_EXIT_INTERRUPTED, "%s: interrupted after %zu of %d calls of %s",
				rq->where, n_fresh, rq->count, rq->target);
			goto out;
		}
		if (gb_now() - t0 > rq->timeout) {
			gb_errf(err, GB_EXIT_ENV, "%s: %zu of %d calls of %s within %g s; is its unit "
				"running with the profiler, and is the target called that often? (a "
				"periodic task: shorten its interval under config:, or raise timeout)",
				rq->where, n_fresh, rq->count, rq->target, rq->timeout);
			goto out;
		}
		usleep((useconds_t)(poll * 1e6));
	}
	if (collect_read(rq->dir, st.st_uid, fresh, (size_t)rq->count, out, err))
		goto out;
	for (size_t i = 0; i < (size_t)rq->count; i++)
		dump_seen_add(seen, fresh[i]);
	rc = 0;
out:
	free(fresh);
	collect_names_free(now, n_now);
	collect_names_free(before, n_before);
	return rc;
}

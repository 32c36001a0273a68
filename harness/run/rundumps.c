/*
 * rundumps.c - a run's dump directory after the store step (removed once every dump is
 * verified in the store, else kept with a note saying why), and the clean-up of what
 * killed runs and older versions left under <state>/runs/. Removes nothing the store
 * does not hold, except a killed run's own directory. Never prints, never exits.
 */
#include "run/rundumps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/journal.h"
#include "profile/dumpdir.h"
#include "store/store.h"

static void say(rundumps_say_fn fn, void *arg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(rundumps_say_fn fn, void *arg, const char *fmt, ...)
{
	if (!fn)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, line);
}

static bool is_sent(const char *rid, const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] && !strcmp(ids[i], rid))
			return true;
	return false;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Count the dumps of l that db holds (of run_id; 0 any run); foreign: those named by a
 * request the run did not send (ids NULL: none is foreign). */
static int verify(struct store *db, long long run_id, const struct dumpdir_listing *l,
		  const char *const *ids, size_t n_ids, struct rundumps_outcome *o, struct gb_err *err)
{
	for (size_t i = 0; i < l->n_files; i++) {
		const struct dumpdir_file *f = &l->files[i];
		bool has = false;
		if (!f->problem && db && store_has_dump(db, run_id, f->size, f->sha256, &has, err) != 0)
			return -1;
		if (has)
			o->n_verified++;
		else if (ids && !is_sent(f->request_id, ids, n_ids))
			o->n_foreign++;
	}
	return 0;
}

int rundumps_settle(struct store *db, long long run_id, const char *run_dir,
		    const char *const *request_ids, size_t n_ids, bool keep, rundumps_say_fn fn,
		    void *arg, struct rundumps_outcome *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	struct dumpdir_listing l;
	if (dumpdir_list(run_dir, &l, err) != 0)
		return -1;
	out->n_dumps = l.n_files;
	int rc = 0;
	struct strbuf why = STRBUF_INIT;
	if (keep) {
		sb_addf(&why, "kept by --keep-dumps (run %lld)", run_id);
	} else if (run_id && (rc = verify(db, run_id, &l, request_ids, n_ids, out, err)) != 0) {
		;
	} else if (!run_id && l.n_files) {
		sb_addf(&why, "not in the store: the run failed before storing its %zu dump%s", l.n_files,
			plural(l.n_files));
	} else if (out->n_verified + out->n_foreign < l.n_files) {
		size_t n = l.n_files - out->n_verified - out->n_foreign;
		sb_addf(&why, "%zu of the %zu dump%s of run %lld %s not in the store", n, l.n_files,
			plural(l.n_files), run_id, n == 1 ? "is" : "are");
	} else if (l.n_other) {
		sb_addf(&why, "it holds %zu file%s that are not profile dumps", l.n_other, plural(l.n_other));
	}
	if (rc == 0 && why.len) {
		rc = dumpdir_mark_kept(run_dir, why.buf, err);
		if (rc == 0)
			say(fn, arg, "dumps kept in %s/dumps: %s", run_dir, why.buf);
	} else if (rc == 0) {
		size_t n_removed = 0;
		rc = dumpdir_remove(run_dir, &n_removed, err);
		if (rc == 0) {
			out->is_removed = true;
			if (l.n_files)
				say(fn, arg, "dumps: %zu stored and verified (size, sha256)%s; removed %s",
				    out->n_verified, out->n_foreign ? ", and dumps of calls the run did not make" : "",
				    run_dir);
		}
	}
	sb_release(&why);
	dumpdir_listing_release(&l);
	return rc;
}

/* One directory of a run that is not going: remove it, mark it, or leave it. */
static int clean_one(const char *run_dir, struct store *db, rundumps_say_fn fn, void *arg,
		     size_t *n_removed, struct gb_err *err)
{
	enum dumpdir_state st = dumpdir_state_of(run_dir, NULL);
	if (st == DUMPDIR_KEPT)
		return 0;
	size_t n_files = 0;
	if (st == DUMPDIR_RUNNING) { /* killed: its dumps were never stored */
		if (dumpdir_remove(run_dir, &n_files, err) != 0)
			return -1;
		say(fn, arg, "removed %s: what a killed run left (%zu file%s)", run_dir, n_files,
		    plural(n_files));
		(*n_removed)++;
		return 0;
	}
	if (!db)
		return 0; /* an older greenbench's: only the store can say whether it is needed */
	struct dumpdir_listing l;
	struct rundumps_outcome o = { 0 };
	if (dumpdir_list(run_dir, &l, err) != 0)
		return -1;
	int rc = verify(db, 0, &l, NULL, 0, &o, err);
	if (rc == 0 && o.n_verified == l.n_files && !l.n_other) {
		rc = dumpdir_remove(run_dir, &n_files, err);
		if (rc == 0) {
			say(fn, arg, "removed %s, left by an earlier greenbench: every dump in it (%zu) is in the store",
			    run_dir, l.n_files);
			(*n_removed)++;
		}
	} else if (rc == 0) {
		struct strbuf why = STRBUF_INIT;
		sb_addf(&why, "left by an earlier greenbench; %zu of its %zu dump%s %s not in the store",
			l.n_files - o.n_verified, l.n_files, plural(l.n_files),
			l.n_files - o.n_verified == 1 ? "is" : "are");
		if (l.n_other)
			sb_addf(&why, ", and %zu other file%s", l.n_other, plural(l.n_other));
		rc = dumpdir_mark_kept(run_dir, why.buf, err);
		if (rc == 0)
			say(fn, arg, "kept %s: %s", run_dir, why.buf);
		sb_release(&why);
	}
	dumpdir_listing_release(&l);
	return rc;
}

int rundumps_clean_stale(const char *state_dir, const char *exclude, struct store *db,
			 rundumps_say_fn fn, void *arg, size_t *n_removed, struct gb_err *err)
{
	*n_removed = 0;
	char **ids = NULL;
	size_t n = 0;
	if (dumpdir_runs(state_dir, &ids, &n, err) != 0)
		return -1;
	int rc = 0;
	struct strbuf dir = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && !(exclude && !strcmp(ids[i], exclude))) {
			dumpdir_run_dir(state_dir, ids[i], &dir);
			rc = clean_one(dir.buf, db, fn, arg, n_removed, err);
		}
		free(ids[i]);
	}
	free(ids);
	sb_release(&dir);
	return rc;
}

int rundumps_clean_host(const char *state_dir, const char *db_path, rundumps_say_fn fn,
			void *arg, size_t *n_removed, struct gb_err *err)
{
	*n_removed = 0;
	struct strbuf dir = STRBUF_INIT, dbp = STRBUF_INIT;
	int fd = -1;
	long stale = 0;
	struct store *db = NULL;
	int rc = journal_state_dir(state_dir, &dir, err);
	if (rc == 0)
		rc = journal_lock(dir.buf, &fd, &stale, err);
	if (rc == 0) {
		struct gb_err e = { GB_EXIT_ENV, "" };
		if (store_default_path(db_path, &dbp, &e) == 0 && store_open(dbp.buf, 0, &db, &e) != 0)
			db = NULL; /* no store (yet): only killed runs' directories can go */
		rc = rundumps_clean_stale(dir.buf, NULL, db, fn, arg, n_removed, err);
		store_close(db);
		journal_unlock(fd, dir.buf);
	}
	sb_release(&dir);
	sb_release(&dbp);
	return rc;
}

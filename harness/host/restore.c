/*
 * restore.c - undoing a run from its journal: servers handed to the
 * API part first, then backwards fake computes stopped, patches reversed,
 * files put back (sha256 checked), directories removed; then forwards the
 * touched units restarted with their original config. Idempotent; keeps the
 * journal when anything could not be undone. Never prints, never exits.
 */
#define _GNU_SOURCE
#include "host/restore.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "host/patch.h"
#include "units/units.h"
#include "units/units_devstack.h"
#include "units/unitsfile.h"

/* Remove "<path>.gbtmp.<pid>" files an interrupted atomic write left next to
 * path (by the run or by an earlier, interrupted restore). */
static void remove_stale_tmp(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return;
	char *dir = gb_strndup(path, slash == path ? 1 : (size_t)(slash - path));
	struct strbuf prefix = STRBUF_INIT, victim = STRBUF_INIT;
	sb_addf(&prefix, "%s.gbtmp.", slash + 1);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *rest = de->d_name + prefix.len;
		if (strncmp(de->d_name, prefix.buf, prefix.len) || !*rest ||
		    strspn(rest, "0123456789") != strlen(rest))
			continue;
		sb_reset(&victim);
		sb_addf(&victim, "%s/%s", dir, de->d_name);
		unlink(victim.buf);
	}
	if (d)
		closedir(d);
	sb_release(&prefix);
	sb_release(&victim);
	free(dir);
}

static int tree_count;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	tree_count++;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remove dir and what is in it, never following a symlink nor leaving its file system:
 * the number of entries removed (0: it was not there), -1 with errno on failure. */
static int remove_tree(const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	tree_count = 0;
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return -1;
	return tree_count;
}

/* One progress line through o->progress (nothing if o or it is NULL). */
static void say(const struct restore_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct restore_opts *o, const char *fmt, ...)
{
	if (!o || !o->progress)
		return;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	o->progress(o->progress_arg, sb.buf);
	sb_release(&sb);
}

static bool has_fake_record(const struct journal_rec *r, size_t n, const char *unit)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].kind, JOURNAL_FAKE) && r[i].n_fields >= 1 &&
		    !strcmp(r[i].fields[0], unit))
			return true;
	return false;
}

static void keep_first(struct gb_err *err, int *failures, const struct gb_err *e)
{
	if ((*failures)++ == 0 && err) {
		*err = *e;
		err->exit_code = GB_EXIT_ENV;
	}
}

/* Hands each resource with a known path to the cleanup, and one the run journaled by name
 * only (it died before the service answered) when its step said how to find it by name;
 * else it is named. */
struct resource_pass {
	const struct restore_opts *o;
};

static int resource_or_say(void *arg, const char *cloud, const char *service,
			   const char *delete_path, const char *find, const char *name,
			   struct gb_err *err)
{
	const struct restore_opts *o = ((struct resource_pass *)arg)->o;
	if (*delete_path && (!strstr(delete_path, "{id}") || *find))
		return o->resource_cleanup(o->resource_cleanup_arg, cloud, service, delete_path, find,
					   name, err);
	say(o, "%s resource named %s on cloud %s may be left over (the run died before %s "
	       "answered its create); look for it by that name", service, name,
	    *cloud ? cloud : "(from the environment)", service);
	return 0;
}

int restore_journal(struct journal *j, const struct restore_opts *o, struct gb_err *err)
{
	size_t n;
	const struct journal_rec *r = journal_records(j, &n);
	int failures = 0;
	struct gb_err e;
	interrupt_set_restoring(true);
	interrupt_debug_point("restore:begin");
	const char *uf_path = r[0].n_fields >= 3 ? r[0].fields[2] : "";
	enum sc_backend backend = r[0].n_fields >= 4 && !strcmp(r[0].fields[3], "process")
					  ? SC_BACKEND_PROCESS
					  : SC_BACKEND_SYSTEMD;
	bool needs_units = false;
	for (size_t i = 0; i < n; i++)
		needs_units |= !strcmp(r[i].kind, JOURNAL_FAKE) || !strcmp(r[i].kind, JOURNAL_RESTART) ||
			       !strcmp(r[i].kind, JOURNAL_STOP);
	struct unitsfile *uf = NULL;
	struct units *units = NULL;
	if (needs_units) {
		/* no units file on a devstack host: its units' probes, read off the units */
		if (!*uf_path && backend == SC_BACKEND_SYSTEMD &&
		    units_devstack_infer(units_systemd_dir(), &uf, &e) != 0)
			uf = NULL; /* restore without the probes, as before */
		if (*uf_path && unitsfile_load(uf_path, &uf, &e) != 0)
			keep_first(err, &failures, &e);
		else if (units_open(uf, backend, &units, &e) != 0)
			keep_first(err, &failures, &e);
	}

	/* servers first: deleting them needs the cloud as it was during the run */
	if (o && o->server_cleanup) {
		int bad = journal_each_server(j, o->server_cleanup, o->server_cleanup_arg, &e);
		if (bad > 0)
			keep_first(err, &failures, &e);
	} else {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(r[i].kind, JOURNAL_SERVER) && r[i].n_fields >= 3)
				say(o, "server %s (%s) on cloud %s may be left over; check with "
				       "`openstack server show %s`", *r[i].fields[1] ? r[i].fields[1] : "?",
				    r[i].fields[2], r[i].fields[0], r[i].fields[2]);
	}

	if (o && o->resource_cleanup) {
		struct resource_pass rp = { o };
		int bad = journal_each_resource(j, resource_or_say, &rp, &e);
		if (bad > 0)
			keep_first(err, &failures, &e);
	} else {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(r[i].kind, JOURNAL_RESOURCE) && r[i].n_fields >= 4 && *r[i].fields[2])
				say(o, "%s resource %s (%s) on cloud %s may be left over", r[i].fields[1],
				    r[i].fields[2], r[i].fields[3], r[i].fields[0]);
	}

	/* phase A, backwards: fakes stopped, patches reversed, files back */
	for (size_t k = n; k-- > 1;) {
		const struct journal_rec *x = &r[k];
		if (!strcmp(x->kind, JOURNAL_FAKE) && x->n_fields >= 3 && units) {
			struct uf_unit def;
			struct strbuf host = STRBUF_INIT, conf = STRBUF_INIT;
			if (backend == SC_BACKEND_PROCESS &&
			    units_fake_def(uf, atoi(x->fields[2]), &def, &host, &conf, &e) == 0) {
				units_add(units, &def);
				units_def_free(&def);
			}
			double secs;
			if (units_stop(units, x->fields[0], &secs, &e) != 0)
				keep_first(err, &failures, &e);
			else
				say(o, "stopped fake compute %s (host %s): dead in %.1f s", x->fields[0],
				    x->fields[1], secs);
			if (o && o->fake_cleanup && o->fake_cleanup(o->fake_cleanup_arg, x->fields[1], &e) != 0)
				say(o, "fake compute %s: %s", x->fields[1], e.msg);
			sb_release(&host);
			sb_release(&conf);
		} else if (!strcmp(x->kind, JOURNAL_PATCH) && x->n_fields >= 4) {
			bool was;
			if (patch_undo(x->fields[0], x->fields[1], x->fields[3], &was, &e) != 0)
				keep_first(err, &failures, &e);
			else if (was)
				say(o, "reversed patch %.12s... in %s", x->fields[2], x->fields[0]);
		} else if (!strcmp(x->kind, JOURNAL_FILE) && x->n_fields >= 5) {
			remove_stale_tmp(x->fields[0]); /* a write that did not finish */
			bool changed;
			if (journal_restore_file(x, &changed, &e) != 0)
				keep_first(err, &failures, &e);
			else if (changed && !strcmp(x->fields[1], "0"))
				say(o, "removed %s (created by the run)", x->fields[0]);
			else if (changed)
				say(o, "restored %s (sha256 %.12s... verified)", x->fields[0], x->fields[3]);
		} else if (!strcmp(x->kind, JOURNAL_STATEDIR) && x->n_fields >= 1) {
			int nr = remove_tree(x->fields[0]);
			if (nr >= 0 && nr)
				say(o, "removed %s and the %d file(s) the service wrote in it (created by "
				       "the run)", x->fields[0], nr - 1);
			else if (nr < 0) {
				gb_errf(&e, GB_EXIT_ENV, "cannot remove %s, created by the run: %s",
					x->fields[0], strerror(errno));
				keep_first(err, &failures, &e);
			}
		} else if (!strcmp(x->kind, JOURNAL_MKDIR) && x->n_fields >= 1) {
			if (rmdir(x->fields[0]) == 0)
				say(o, "removed directory %s (created by the run)", x->fields[0]);
			else if (errno != ENOENT) {
				gb_errf(&e, GB_EXIT_ENV, "cannot remove %s, created by the run: %s",
					x->fields[0], strerror(errno));
				keep_first(err, &failures, &e);
			}
		}
	}
	if (units && backend == SC_BACKEND_SYSTEMD && units_daemon_reload(units, &e) != 0)
		keep_first(err, &failures, &e);
	interrupt_debug_point("restore:files");

	/* phase B, forwards: units back to their original state, original config */
	for (size_t k = 1; k < n && units; k++) {
		const struct journal_rec *x = &r[k];
		bool is_restart = !strcmp(x->kind, JOURNAL_RESTART), is_stop = !strcmp(x->kind, JOURNAL_STOP);
		if ((!is_restart && !is_stop) || x->n_fields < 1)
			continue;
		const char *unit = x->fields[0];
		if (has_fake_record(r, n, unit))
			continue;
		bool seen = false;
		for (size_t q = 1; q < k && !seen; q++)
			seen = (!strcmp(r[q].kind, JOURNAL_RESTART) || !strcmp(r[q].kind, JOURNAL_STOP)) &&
			       r[q].n_fields >= 1 && !strcmp(r[q].fields[0], unit);
		if (seen)
			continue;
		bool was_running = is_stop || (x->n_fields >= 2 && !strcmp(x->fields[1], "1"));
		struct units_timing t;
		if (was_running) {
			if (units_restart(units, unit, &t, &e) != 0)
				keep_first(err, &failures, &e);
			else
				say(o, "restarting %s with its original config... dead in %.1f s, ready in "
				       "%.1f s", unit, t.dead_secs, t.ready_secs);
		} else {
			if (units_stop(units, unit, &t.dead_secs, &e) != 0)
				keep_first(err, &failures, &e);
			else
				say(o, "stopped %s (it was not running before the run)", unit);
		}
	}
	units_close(units);
	unitsfile_free(uf);
	if (failures > 1)
		gb_err_append(err, " (and %d more problem%s)", failures - 1, failures > 2 ? "s" : "");
	if (failures)
		gb_err_append(err, "; the journal %s is kept: fix this and run `greenbench restore` again",
			      journal_path(j));
	return failures ? -1 : 0;
}

int restore_recover(const char *state_dir, const struct restore_opts *o, bool *found,
		    struct gb_err *err)
{
	*found = journal_exists(state_dir);
	if (!*found)
		return 0;
	struct journal *j;
	if (journal_load(state_dir, &j, err) != 0)
		return -1;
	size_t n;
	const struct journal_rec *r = journal_records(j, &n);
	say(o, "found the journal of run %s (pid %s, no longer running): restoring the host",
	    r[0].n_fields ? r[0].fields[0] : "?", r[0].n_fields > 1 ? r[0].fields[1] : "?");
	int rc = restore_journal(j, o, err);
	journal_close(j);
	if (rc == 0)
		rc = journal_discard(state_dir, err);
	return rc;
}

int restore_host(const struct restore_opts *o, bool *found, struct gb_err *err)
{
	struct strbuf dir = STRBUF_INIT;
	int fd = -1;
	long stale = 0;
	*found = false;
	int rc = journal_state_dir(o ? o->state_dir : NULL, &dir, err);
	if (rc == 0)
		rc = journal_lock(dir.buf, &fd, &stale, err);
	if (rc == 0) {
		if (stale)
			say(o, "run pid %ld died without releasing the lock", stale);
		rc = restore_recover(dir.buf, o, found, err);
		journal_unlock(fd, dir.buf);
	}
	sb_release(&dir);
	return rc;
}

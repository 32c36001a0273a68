/*
 * hostchange.c - the host changes of a run, begun and ended: preflight (nothing
 * changes until every input checked out), the lock, the journal, and at the end
 * the restore (restore.c) and the unlock; the steps that change the host are in
 * hostchange_steps.c. Never prints (progress callback), never exits, never
 * changes the host without a journal record first.
 */
#define _GNU_SOURCE
#include "host/hostchange.h"
#include "host/hostchange_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "host/localconf.h"
#include "host/patch.h"
#include "host/restore.h"
#include "units/units.h"
#include "units/units_devstack.h"
#include "units/unitsfile.h"

/* ---- progress ---- */

void hostchange_say(const struct hostchange_opts *o, const char *fmt, ...)
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

void hostchange_add_timing(struct hostchange *hc, const char *name, double secs)
{
	hc->timings = gb_realloc(hc->timings, (hc->n_timings + 1) * sizeof(*hc->timings));
	struct hostchange_timing *t = &hc->timings[hc->n_timings++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->secs = secs;
}

/* What the restore needs of the run's options. */
static struct restore_opts restore_opts_of(const struct hostchange_opts *o)
{
	struct restore_opts r = {
		.progress = o->progress, .progress_arg = o->progress_arg,
		.server_cleanup = o->server_cleanup, .server_cleanup_arg = o->server_cleanup_arg,
		.resource_cleanup = o->resource_cleanup, .resource_cleanup_arg = o->resource_cleanup_arg,
		.fake_cleanup = o->fake_cleanup, .fake_cleanup_arg = o->fake_cleanup_arg,
	};
	return r;
}

static const char *backend_name(enum sc_backend b)
{
	return b == SC_BACKEND_PROCESS ? "process" : "systemd";
}

/* ---- preflight ---- */

static struct file_change *file_for(struct hostchange *hc, const char *path, struct gb_err *err)
{
	for (size_t i = 0; i < hc->n_files; i++)
		if (!strcmp(hc->files[i].path, path))
			return &hc->files[i];
	struct stat st;
	bool existed = stat(path, &st) == 0;
	if (!existed && errno != ENOENT) {
		gb_errf(err, GB_EXIT_ENV, "%s: cannot stat: %s", path, strerror(errno));
		return NULL;
	}
	if (existed && !S_ISREG(st.st_mode)) {
		gb_errf(err, GB_EXIT_ENV, "%s: not a regular file", path);
		return NULL;
	}
	if (!existed) {
		char *dir = gb_strdup(path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = '\0';
		bool ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
		if (!ok)
			gb_errf(err, GB_EXIT_ENV, "%s: its directory %s does not exist; is this the "
						  "right host, or does the variable need --var?", path, dir);
		free(dir);
		if (!ok)
			return NULL;
	}
	hc->files = gb_realloc(hc->files, (hc->n_files + 1) * sizeof(*hc->files));
	struct file_change *f = &hc->files[hc->n_files++];
	memset(f, 0, sizeof(*f));
	sb_init(&f->content);
	f->path = gb_strdup(path);
	f->existed = existed;
	f->mode = existed ? (unsigned)(st.st_mode & 07777) : 0644;
	if (existed && gb_read_file(path, CONF_MAX, &f->content, err) != 0)
		return NULL;
	return f;
}

static int plan_setting(struct hostchange *hc, const char *file, const char *section,
			const char *key, const char *value, const char *where, struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT;
	if (localconf_expand(&hc->vars, file, where, &path, err) != 0) {
		sb_release(&path);
		return -1;
	}
	struct gb_err fe = { GB_EXIT_ENV, "" };
	struct file_change *f = file_for(hc, path.buf, &fe);
	sb_release(&path);
	if (!f)
		return gb_errf(err, fe.exit_code, "%s: %s", where, fe.msg);
	struct gb_err e;
	if (localconf_ini_set(&f->content, f->path, section, key, value, &e) != 0)
		return gb_errf(err, GB_EXIT_USAGE, "%s: %s", where, e.msg);
	f->n_settings++;
	return 0;
}

/* {copy_from: FILE}: the value of s's [section] key in FILE, into out (never printed). */
static int copy_value(struct hostchange *hc, const struct sc_setting *s, const char *where,
		      struct strbuf *out, struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	int rc = -1;
	if (localconf_expand(&hc->vars, s->copy_from, where, &path, err) != 0)
		goto out;
	if (gb_read_file(path.buf, CONF_MAX, &text, err) != 0)
		goto out;
	if (localconf_ini_get(sb_str(&text), text.len, s->section, s->key, out) != 0) {
		gb_errf(err, GB_EXIT_USAGE, "%s: config.%s.%s.%s: copy_from %s (%s): it has no [%s] %s "
			"to copy", where, s->file, s->section, s->key, s->copy_from, path.buf,
			s->section, s->key);
		goto out;
	}
	rc = 0;
out:
	if (text.buf)
		memset(text.buf, 0, text.len);
	sb_release(&text);
	sb_release(&path);
	return rc;
}

static int plan_config(struct hostchange *hc, struct gb_err *err)
{
	const struct scenario *sc = hc->sc;
	if (sc->local_conf) {
		struct localconf *lc;
		if (localconf_load(sc->local_conf, &lc, err) != 0)
			return -1;
		int rc = 0;
		for (size_t i = 0; i < lc->n_settings && rc == 0; i++) {
			const struct lc_setting *s = &lc->settings[i];
			char where[PATH_MAX + 32];
			snprintf(where, sizeof(where), "%s:%d", sc->local_conf, s->line);
			rc = plan_setting(hc, s->file, s->section, s->key, s->value, where, err);
		}
		const char *nfake = localconf_localrc(lc, "NUMBER_FAKE_NOVA_COMPUTE");
		if (rc == 0 && nfake && hc->fake_target < 0) {
			char *end;
			long v = strtol(nfake, &end, 10);
			if (*nfake && !*end && v >= 0 && v <= 1000)
				hc->fake_target = (int)v;
			else
				rc = gb_errf(err, GB_EXIT_USAGE, "%s: NUMBER_FAKE_NOVA_COMPUTE: expected "
								 "0..1000, got '%s'", sc->local_conf, nfake);
		}
		const char *vd = localconf_localrc(lc, "VIRT_DRIVER");
		if (rc == 0 && vd && strcmp(vd, "fake") && hc->fake_target > 0)
			hostchange_say(&hc->opts, "note: %s sets VIRT_DRIVER=%s, but fake computes are requested",
			    sc->local_conf, vd);
		localconf_free(lc);
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; i < sc->n_settings; i++) {
		const struct sc_setting *s = &sc->settings[i];
		char where[PATH_MAX + 32];
		if (s->line > 0)
			snprintf(where, sizeof(where), "%s:%d", sc->path ? sc->path : "scenario", s->line);
		else /* added on the command line (ab --b-config) */
			snprintf(where, sizeof(where), "--b-config '%s:%s.%s'", s->file, s->section, s->key);
		struct strbuf copied = STRBUF_INIT;
		if (s->copy_from && copy_value(hc, s, where, &copied, err) != 0) {
			sb_release(&copied);
			return -1;
		}
		int rc = plan_setting(hc, s->file, s->section, s->key,
				      s->copy_from ? sb_str(&copied) : s->value, where, err);
		if (copied.buf)
			memset(copied.buf, 0, copied.len); /* it may be a secret (a database URL) */
		sb_release(&copied);
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; i < hc->n_files; i++) {
		struct file_change *f = &hc->files[i];
		struct strbuf now = STRBUF_INIT;
		if (f->existed && gb_read_file(f->path, CONF_MAX, &now, err) != 0) {
			sb_release(&now);
			return -1;
		}
		f->changed = !f->existed || now.len != f->content.len ||
			     memcmp(sb_str(&now), sb_str(&f->content), now.len);
		sb_release(&now);
	}
	return 0;
}

static int plan_patches(struct hostchange *hc, struct gb_err *err)
{
	const struct scenario *sc = hc->sc;
	hc->patches = gb_calloc(sc->n_patches ? sc->n_patches : 1, sizeof(*hc->patches));
	for (size_t i = 0; i < sc->n_patches; i++) {
		const struct sc_patch *p = &sc->patches[i];
		struct patch_info *pi = &hc->patches[hc->n_patches];
		if (patch_inspect(p->path, p->tree ? p->tree : ".", pi, err) != 0)
			return -1;
		hc->n_patches++;
		if (patch_check(pi, false, err) != 0)
			return -1;
		struct strbuf dirty = STRBUF_INIT;
		int nd = patch_dirty_files(pi, &dirty, err);
		if (nd < 0) {
			sb_release(&dirty);
			return -1;
		}
		if (nd > 0 && !hc->opts.force) {
			gb_errf(err, GB_EXIT_USAGE, "patch %s: %s has uncommitted changes to %s, which the "
						    "patch touches; reversing it after the run could lose "
						    "them. Commit or stash them, or pass --force",
				p->path, pi->tree, dirty.buf);
			sb_release(&dirty);
			return -1;
		}
		if (nd > 0)
			hostchange_say(&hc->opts, "warning: --force: patching %s over uncommitted changes to %s",
			    pi->tree, dirty.buf);
		sb_release(&dirty);
	}
	return 0;
}

static void add_restart(struct hostchange *hc, const char *unit)
{
	for (size_t i = 0; i < hc->n_restart; i++)
		if (!strcmp(hc->restart[i], unit))
			return;
	hc->restart = gb_realloc(hc->restart, (hc->n_restart + 1) * sizeof(char *));
	hc->restart[hc->n_restart++] = gb_strdup(unit);
}

static int plan_units(struct hostchange *hc, struct gb_err *err)
{
	const struct scenario *sc = hc->sc;
	for (size_t i = 0; i < sc->n_restart; i++)
		add_restart(hc, sc->restart[i]);
	for (size_t i = 0; i < sc->n_profiles; i++)
		add_restart(hc, sc->profiles[i].unit);
	for (size_t i = 0; i < hc->n_restart; i++)
		if (!units_known(hc->units, hc->restart[i]))
			return gb_errf(err, GB_EXIT_USAGE, "unit %s (to restart or profile) is not in the "
							   "units file %s", hc->restart[i],
				       hc->units_file ? hc->units_file : "(none)");
	if (hc->uf && hc->uf->fake.present)
		for (;;) {
			char name[96];
			snprintf(name, sizeof(name), "%s%d", hc->uf->fake.unit_prefix,
				 hc->fake_existing + 1);
			if (!unitsfile_find(hc->uf, name))
				break;
			hc->fake_existing++;
		}
	if (hc->fake_target > hc->fake_existing && (!hc->uf || !hc->uf->fake.present))
		return gb_errf(err, GB_EXIT_USAGE, "fake_computes: %d requested, the host has %d, and "
						   "%s%s; add a fake_compute: template (units file, "
						   "harness/INTERFACES.md part B) to add more",
			       hc->fake_target, hc->fake_existing,
			       hc->units_file ? hc->units_file : "there is no units file",
			       hc->units_file ? " has no fake_compute: template" : "");
	return 0;
}

int hostchange_begin(const struct scenario *sc, const struct hostchange_opts *opts,
		     struct hostchange **out, struct gb_err *err)
{
	struct hostchange *hc = gb_calloc(1, sizeof(*hc));
	hc->sc = sc;
	hc->opts = *opts;
	hc->lock_fd = -1;
	hc->dumps_uid = geteuid();
	hc->fake_target = sc->fake_computes;
	localconf_vars_defaults(&hc->vars);
	struct strbuf sb = STRBUF_INIT;
	if (journal_state_dir(opts->state_dir, &sb, err) != 0)
		goto fail;
	hc->state_dir = sb_detach(&sb);
	if (!opts->dry_run) {
		long stale = 0;
		bool found;
		if (journal_lock(hc->state_dir, &hc->lock_fd, &stale, err) != 0)
			goto fail;
		if (stale)
			hostchange_say(opts, "run pid %ld died without releasing the lock", stale);
		struct restore_opts ro = restore_opts_of(opts);
		if (restore_recover(hc->state_dir, &ro, &found, err) != 0) {
			gb_err_append(err, "; the previous run's changes are not all undone, so this run "
					   "will not start");
			goto fail;
		}
		if (found)
			hostchange_say(opts, "the interrupted run's changes are undone; starting this run");
	} else if (journal_exists(hc->state_dir)) {
		hostchange_say(opts, "note: %s/journal lists changes of an interrupted run; a real run (or "
			  "`greenbench restore`) undoes them first", hc->state_dir);
	}
	const char *ufp = opts->units_file ? opts->units_file : sc->units.file;
	if (ufp) {
		char abs[PATH_MAX];
		if (!realpath(ufp, abs)) {
			gb_errf(err, GB_EXIT_USAGE, "units file %s: %s", ufp, strerror(errno));
			goto fail;
		}
		hc->units_file = gb_strdup(abs);
		if (unitsfile_load(abs, &hc->uf, err) != 0)
			goto fail;
		for (size_t i = 0; i < hc->uf->n_vars; i++)
			localconf_vars_set(&hc->vars, hc->uf->var_names[i], hc->uf->var_values[i]);
	}
	if (!hc->uf && sc->units.backend == SC_BACKEND_SYSTEMD) {
		/* a devstack host as devstack leaves it: its units are the units file */
		if (units_devstack_infer(units_systemd_dir(), &hc->uf, err) != 0)
			goto fail;
		if (hc->uf && sc->fake_computes >= 0)
			hostchange_say(opts, "fake computes: template from %s (host %s, config %s%s%s)",
			    hc->uf->path, hc->uf->fake.tmpl_host, hc->uf->fake.tmpl_conf,
			    hc->uf->fake.user ? ", User=" : "", hc->uf->fake.user ? hc->uf->fake.user : "");
	}
	hc->backend = hc->uf ? hc->uf->backend : sc->units.backend;
	for (size_t i = 0; i < opts->n_vars; i++)
		if (localconf_vars_set_arg(&hc->vars, opts->vars[i], err) != 0)
			goto fail;
	if (units_open(hc->uf, hc->backend, &hc->units, err) != 0)
		goto fail;
	units_set_stop_flag(hc->units, interrupt_flag());
	if (plan_config(hc, err) != 0 || plan_patches(hc, err) != 0 || plan_units(hc, err) != 0)
		goto fail;
	if (opts->n_extra_env && !sc->n_profiles) {
		gb_errf(err, GB_EXIT_USAGE, "--b-env %s: scenario %s profiles no unit, and the variable is "
					    "set in the profiled units' environment; add a profile: entry",
			opts->extra_env[0], sc->path ? sc->path : sc->name);
		goto fail;
	}

	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	sb_addf(&sb, "%s-%ld", stamp, (long)getpid());
	hc->run_id = sb_detach(&sb);
	sb_addf(&sb, "%s/runs/%s/dumps", hc->state_dir, hc->run_id);
	hc->dumps_dir = sb_detach(&sb);
	if (!opts->dry_run) {
		if (journal_create(hc->state_dir, hc->run_id, hc->units_file, backend_name(hc->backend),
				   &hc->j, err) != 0)
			goto fail;
		interrupt_debug_point("begin");
	}
	*out = hc;
	return 0;
fail:
	sb_release(&sb);
	if (hc->lock_fd >= 0)
		journal_unlock(hc->lock_fd, hc->state_dir);
	hc->lock_fd = -1;
	hostchange_free(hc);
	return -1;
}

/* ---- the end ---- */

int hostchange_finish(struct hostchange *hc, struct gb_err *err)
{
	int rc = 0;
	double t0 = gb_now();
	if (hc->j) {
		hostchange_say(&hc->opts, "restoring the host...");
		units_close(hc->units); /* the run's handle carries the profile env; restore starts clean */
		hc->units = NULL;
		struct restore_opts ro = restore_opts_of(&hc->opts);
		rc = restore_journal(hc->j, &ro, err);
		journal_close(hc->j);
		hc->j = NULL;
		if (rc == 0)
			rc = journal_discard(hc->state_dir, err);
		hostchange_add_timing(hc, "restore", gb_now() - t0);
	}
	if (hc->lock_fd >= 0)
		journal_unlock(hc->lock_fd, hc->state_dir);
	hc->lock_fd = -1;
	interrupt_set_restoring(false);
	return rc;
}

/* ---- accessors ---- */

const char *hostchange_dumps_dir(const struct hostchange *hc) { return hc->dumps_dir; }
uid_t hostchange_dumps_uid(const struct hostchange *hc) { return hc->dumps_uid; }
const char *hostchange_state_dir(const struct hostchange *hc) { return hc->state_dir; }
const char *hostchange_run_id(const struct hostchange *hc) { return hc->run_id; }
struct journal *hostchange_journal(struct hostchange *hc) { return hc->j; }

const struct hostchange_timing *hostchange_timings(const struct hostchange *hc, size_t *n)
{
	*n = hc->n_timings;
	return hc->timings;
}

const char *hostchange_patch_sha256(const struct hostchange *hc, size_t i)
{
	return i < hc->n_patches ? hc->patches[i].sha : "";
}

void hostchange_free(struct hostchange *hc)
{
	if (!hc)
		return;
	if (hc->lock_fd >= 0)
		journal_unlock(hc->lock_fd, hc->state_dir);
	journal_close(hc->j);
	units_close(hc->units);
	unitsfile_free(hc->uf);
	localconf_vars_free(&hc->vars);
	for (size_t i = 0; i < hc->n_files; i++) {
		free(hc->files[i].path);
		sb_release(&hc->files[i].content);
	}
	free(hc->files);
	for (size_t i = 0; i < hc->n_patches; i++)
		patch_info_free(&hc->patches[i]);
	free(hc->patches);
	for (size_t i = 0; i < hc->n_restart; i++)
		free(hc->restart[i]);
	free(hc->restart);
	free(hc->timings);
	free(hc->state_dir);
	free(hc->run_id);
	free(hc->dumps_dir);
	free(hc->units_file);
	free(hc);
}

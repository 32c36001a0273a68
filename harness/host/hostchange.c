/*
 * hostchange.c - orchestrates the host changes of a run and their undo:
 * preflight (nothing changes until every input checked out), then config
 * files, patches, fake computes and unit restarts, each journaled first;
 * the restore itself is in hostchange_restore.c. Never prints (progress callback),
 * never exits, never changes the host without a journal record first.
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
#include "base/proc.h"
#include "units/units.h"
#include "units/unitsfile.h"

#define CONF_MAX (16u << 20)

/* The new content of one config file, computed before anything changes. */
struct file_change {
	char *path;           /* resolved absolute path */
	struct strbuf content;
	bool existed;
	unsigned mode;        /* of the existing file, 0644 for a new one */
	bool changed;         /* content differs from what is there */
	size_t n_settings;
};

struct hostchange {
	const struct scenario *sc;
	struct hostchange_opts opts;
	char *state_dir;
	int lock_fd;
	char *run_id;
	char *dumps_dir;
	struct unitsfile *uf;
	char *units_file;       /* absolute, or NULL */
	enum sc_backend backend;
	struct units *units;
	struct journal *j;
	struct localconf_vars vars;
	struct file_change *files;
	size_t n_files;
	struct patch_info *patches;
	size_t n_patches;
	int fake_target;        /* -1: leave alone */
	int fake_existing;      /* fake computes the units file already lists */
	char **restart;         /* sc->restart, then profiled units not in it */
	size_t n_restart;
	struct hostchange_timing *timings;
	size_t n_timings;
};

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

static void add_timing(struct hostchange *hc, const char *name, double secs)
{
	hc->timings = gb_realloc(hc->timings, (hc->n_timings + 1) * sizeof(*hc->timings));
	struct hostchange_timing *t = &hc->timings[hc->n_timings++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->secs = secs;
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
	f->path = gb_strdup(path);
	f->existed = existed;
	f->mode = existed ? (unsigned)(st.st_mode & 07777) : 0644;
	if (existed && gb_read_file(path, CONF_MAX, &f->content, err) != 0)
		return NULL;
	if (!f->content.buf)
		sb_add(&f->content, "", 0);
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
	struct file_change *f = file_for(hc, path.buf, err);
	sb_release(&path);
	if (!f)
		return -1;
	struct gb_err e;
	if (localconf_ini_set(&f->content, f->path, section, key, value, &e) != 0)
		return gb_errf(err, GB_EXIT_USAGE, "%s: %s", where, e.msg);
	f->n_settings++;
	return 0;
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
		snprintf(where, sizeof(where), "%s:%d", sc->path ? sc->path : "scenario", s->line);
		if (plan_setting(hc, s->file, s->section, s->key, s->value, where, err) != 0)
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
						   "INTERFACES.md B) to add more",
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
		if (hostchange_recover(hc->state_dir, opts, &found, err) != 0) {
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
	hc->backend = hc->uf ? hc->uf->backend : sc->units.backend;
	for (size_t i = 0; i < opts->n_vars; i++)
		if (localconf_vars_set_arg(&hc->vars, opts->vars[i], err) != 0)
			goto fail;
	if (units_open(hc->uf, hc->backend, &hc->units, err) != 0)
		goto fail;
	units_set_stop_flag(hc->units, interrupt_flag());
	if (plan_config(hc, err) != 0 || plan_patches(hc, err) != 0 || plan_units(hc, err) != 0)
		goto fail;

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

/* ---- steps ---- */

int hostchange_apply_config(struct hostchange *hc, void *arg, struct gb_err *err)
{
	(void)arg;
	for (size_t i = 0; i < hc->n_files; i++) {
		struct file_change *f = &hc->files[i];
		if (!f->changed) {
			hostchange_say(&hc->opts, "config: %s already has the %zu setting(s)", f->path, f->n_settings);
			continue;
		}
		if (hc->opts.dry_run) {
			hostchange_say(&hc->opts, "would %s %s (%zu setting(s))", f->existed ? "change" : "create",
			    f->path, f->n_settings);
			continue;
		}
		if (interrupt_requested())
			return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted before changing %s", f->path);
		if (journal_backup_file(hc->j, f->path, err) != 0)
			return -1;
		interrupt_debug_point("config:journaled");
		if (gb_write_file_atomic(f->path, f->content.buf, f->content.len, f->mode, err) != 0)
			return -1;
		interrupt_debug_point("config:applied");
		hostchange_say(&hc->opts, "config: %s %s (%zu setting(s))", f->existed ? "changed" : "created",
		    f->path, f->n_settings);
	}
	return 0;
}

int hostchange_apply_patches(struct hostchange *hc, void *arg, struct gb_err *err)
{
	(void)arg;
	for (size_t i = 0; i < hc->n_patches; i++) {
		struct patch_info *pi = &hc->patches[i];
		if (hc->opts.dry_run) {
			hostchange_say(&hc->opts, "would apply %s (sha256 %.12s...) to %s; it applies cleanly",
			    pi->path, pi->sha, pi->tree);
			continue;
		}
		if (interrupt_requested())
			return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted before patching %s", pi->tree);
		if (i > 0 && patch_check(pi, false, err) != 0)
			return -1;
		if (journal_add_patch(hc->j, pi->tree, pi->path, pi->sha, pi->is_git ? "git" : "patch",
				      err) != 0)
			return -1;
		interrupt_debug_point("patch:journaled");
		if (patch_apply(pi, false, err) != 0)
			return -1;
		interrupt_debug_point("patch:applied");
		hostchange_say(&hc->opts, "patch: applied %s (sha256 %.12s...) to %s", pi->path, pi->sha, pi->tree);
	}
	return 0;
}

/* Journal and create each missing directory on the way to dir. */
static int mkdirs_journaled(struct hostchange *hc, const char *dir, mode_t mode,
			    struct gb_err *err)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : gb_errf(err, GB_EXIT_ENV, "%s is not a directory", dir);
	char *parent = gb_strdup(dir);
	char *slash = strrchr(parent, '/');
	int rc = 0;
	if (slash && slash != parent) {
		*slash = '\0';
		rc = mkdirs_journaled(hc, parent, mode, err);
	}
	free(parent);
	if (rc == 0)
		rc = journal_add_mkdir(hc->j, dir, err);
	if (rc == 0 && mkdir(dir, mode) != 0 && errno != EEXIST)
		rc = gb_errf(err, GB_EXIT_ENV, "cannot create directory %s: %s", dir, strerror(errno));
	return rc;
}

/* Journal and write fake compute number index (config file, systemd unit
 * file), and let the units handle manage it. Nothing is started yet. */
static int prepare_fake(struct hostchange *hc, int index, struct gb_err *err)
{
	struct uf_unit def;
	struct strbuf host = STRBUF_INIT, conf = STRBUF_INIT, body = STRBUF_INIT,
		      unit_file = STRBUF_INIT;
	if (units_fake_def(hc->uf, index, &def, &host, &conf, err) != 0)
		return -1;
	char idx[16];
	snprintf(idx, sizeof(idx), "%d", index);
	const char *f[] = { def.name, host.buf, idx };
	int rc = mkdirs_journaled(hc, hc->uf->fake.conf_dir, 0755, err);
	if (rc == 0)
		rc = journal_backup_file(hc->j, conf.buf, err);
	if (rc == 0 && hc->backend == SC_BACKEND_SYSTEMD) {
		units_unit_file_path(hc->units, def.name, &unit_file);
		rc = journal_backup_file(hc->j, unit_file.buf, err);
	}
	if (rc == 0)
		rc = journal_append(hc->j, JOURNAL_FAKE, f, 3, err);
	if (rc == 0)
		interrupt_debug_point("fake:journaled");
	sb_addf(&body, "[DEFAULT]\nhost = %s\n", host.buf);
	if (rc == 0)
		rc = gb_write_file_atomic(conf.buf, body.buf, body.len, 0644, err);
	if (rc == 0 && hc->backend == SC_BACKEND_SYSTEMD)
		rc = units_write_unit_file(hc->units, &def, err);
	if (rc == 0)
		units_add(hc->units, &def);
	units_def_free(&def);
	sb_release(&host);
	sb_release(&conf);
	sb_release(&body);
	sb_release(&unit_file);
	return rc;
}

/* Add fake computes have+1..want: prepare all, start all at once, then prove
 * each ready (a cloud with 25 of them should not take 25 start-up times). */
static int add_fakes(struct hostchange *hc, int have, int want, struct gb_err *err)
{
	for (int k = have + 1; k <= want; k++) {
		if (interrupt_requested())
			return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted while adding fake computes");
		if (prepare_fake(hc, k, err) != 0)
			return -1;
	}
	if (hc->backend == SC_BACKEND_SYSTEMD && units_daemon_reload(hc->units, err) != 0)
		return -1;
	double t0 = gb_now();
	char name[96];
	for (int k = have + 1; k <= want; k++) {
		snprintf(name, sizeof(name), "%s%d", hc->uf->fake.unit_prefix, k);
		if (units_launch(hc->units, name, err) != 0)
			return -1;
	}
	interrupt_debug_point("fake:started");
	for (int k = have + 1; k <= want; k++) {
		snprintf(name, sizeof(name), "%s%d", hc->uf->fake.unit_prefix, k);
		if (units_wait_ready(hc->units, name, err) != 0)
			return -1;
		hostchange_say(&hc->opts, "fake compute %s (host %s%d): ready %.1f s after the launch", name,
		    hc->uf->fake.host_prefix, k, gb_now() - t0);
	}
	char label[48];
	snprintf(label, sizeof(label), "start %d fake computes", want - have);
	add_timing(hc, label, gb_now() - t0);
	if (hc->uf->fake.after_start) {
		/* e.g. nova-manage cell_v2 discover_hosts: a compute not mapped to a cell
		 * gets builds that fail with "Host 'fake-3' is not mapped to any cell" */
		double t1 = gb_now();
		struct strbuf out = STRBUF_INIT;
		int status = 0;
		int rc = proc_run(hc->uf->fake.after_start, NULL, hc->uf->fake.cwd, &out, 300, &status, err);
		if (rc == 0 && status != 0)
			rc = gb_errf(err, GB_EXIT_ENV, "%s: fake_compute.after_start (%s) exited %d: %.300s",
				     hc->uf->path, hc->uf->fake.after_start[0], status, sb_str(&out));
		sb_release(&out);
		if (rc != 0)
			return -1;
		hostchange_say(&hc->opts, "fake computes: %s done in %.1f s", hc->uf->fake.after_start[0],
		    gb_now() - t1);
		add_timing(hc, "fake computes after_start", gb_now() - t1);
	}
	return 0;
}

int hostchange_scale_computes(struct hostchange *hc, void *arg, struct gb_err *err)
{
	(void)arg;
	int want = hc->fake_target, have = hc->fake_existing;
	if (want < 0 || want == have) {
		if (want >= 0)
			hostchange_say(&hc->opts, "fake computes: %d, as the host has", have);
		return 0;
	}
	if (hc->opts.dry_run) {
		hostchange_say(&hc->opts, "would %s fake computes from %d to %d", want > have ? "add" : "stop",
		    have, want);
		return 0;
	}
	if (want > have && add_fakes(hc, have, want, err) != 0)
		return -1;
	for (int k = have; k > want; k--) {
		char name[96];
		snprintf(name, sizeof(name), "%s%d", hc->uf->fake.unit_prefix, k);
		bool running;
		if (units_is_running(hc->units, name, &running, err) != 0)
			return -1;
		if (!running)
			continue;
		const char *f[] = { name };
		if (journal_append(hc->j, JOURNAL_STOP, f, 1, err) != 0)
			return -1;
		double secs;
		if (units_stop(hc->units, name, &secs, err) != 0)
			return -1;
		hostchange_say(&hc->opts, "fake compute %s stopped (scaling to %d): dead in %.1f s", name, want,
		    secs);
	}
	return 0;
}

/* GREENBENCH_PROFILE for unit, or empty if the unit is not profiled. */
static void profile_env(struct hostchange *hc, const char *unit, struct strbuf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < hc->sc->n_profiles; i++) {
		const struct sc_profile *p = &hc->sc->profiles[i];
		if (strcmp(p->unit, unit))
			continue;
		if (!n++)
			sb_addf(out, "GREENBENCH_PROFILE=out=%s;targets=", hc->dumps_dir);
		else
			sb_addch(out, ',');
		sb_addstr(out, p->target);
	}
	if (n)
		sb_addstr(out, ";scope=default");
}

static int mkdir_p0700(const char *path, struct gb_err *err)
{
	char *p = gb_strdup(path);
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			gb_errf(err, GB_EXIT_ENV, "cannot create %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		if (!c)
			break;
		*s = c;
	}
	free(p);
	return 0;
}

int hostchange_restart_units(struct hostchange *hc, void *arg, struct gb_err *err)
{
	(void)arg;
	if (hc->sc->n_profiles && !hc->opts.dry_run && mkdir_p0700(hc->dumps_dir, err) != 0)
		return -1;
	for (size_t i = 0; i < hc->n_restart; i++) {
		const char *unit = hc->restart[i];
		struct strbuf env = STRBUF_INIT;
		profile_env(hc, unit, &env);
		if (hc->opts.dry_run) {
			hostchange_say(&hc->opts, "would restart %s%s%s", unit, env.len ? " with " : "", sb_str(&env));
			sb_release(&env);
			continue;
		}
		int rc = 0;
		bool running = false;
		if (interrupt_requested())
			rc = gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted before restarting %s", unit);
		if (rc == 0)
			rc = units_is_running(hc->units, unit, &running, err);
		const char *f[] = { unit, running ? "1" : "0" };
		if (rc == 0)
			rc = journal_append(hc->j, JOURNAL_RESTART, f, 2, err);
		if (rc == 0)
			interrupt_debug_point("restart:journaled");
		if (rc == 0 && env.len && hc->backend == SC_BACKEND_SYSTEMD) {
			struct strbuf file = STRBUF_INIT, dir = STRBUF_INIT;
			units_dropin_path(hc->units, unit, &file, &dir);
			rc = mkdirs_journaled(hc, dir.buf, 0755, err);
			if (rc == 0)
				rc = journal_backup_file(hc->j, file.buf, err);
			sb_release(&file);
			sb_release(&dir);
		}
		if (rc == 0 && env.len) {
			const char *e[] = { env.buf };
			rc = units_set_env(hc->units, unit, e, 1, err);
		}
		if (rc == 0)
			interrupt_debug_point("restart:env");
		double dead = 0, ready = 0;
		if (rc == 0)
			rc = units_stop(hc->units, unit, &dead, err);
		if (rc == 0) {
			interrupt_debug_point("restart:stopped");
			rc = units_start(hc->units, unit, &ready, err);
		}
		if (rc == 0) {
			interrupt_debug_point("restart:started");
			hostchange_say(&hc->opts, "restarting %s... dead in %.1f s, ready in %.1f s%s", unit, dead, ready,
			    env.len ? " (profiled)" : "");
			char name[48];
			snprintf(name, sizeof(name), "restart %s", unit);
			add_timing(hc, name, dead + ready);
		}
		sb_release(&env);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int hostchange_run_steps(struct hostchange *hc, const struct hostchange_step *steps, size_t n,
			 struct gb_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (interrupt_requested())
			return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted before step %s",
				       steps[i].name);
		interrupt_debug_point(steps[i].name);
		double t0 = gb_now();
		int rc = steps[i].fn(hc, steps[i].arg, err);
		add_timing(hc, steps[i].name, gb_now() - t0);
		if (rc != 0) {
			if (interrupt_requested())
				err->exit_code = GB_EXIT_INTERRUPTED;
			return -1;
		}
	}
	return 0;
}

int hostchange_finish(struct hostchange *hc, struct gb_err *err)
{
	int rc = 0;
	double t0 = gb_now();
	if (hc->j) {
		hostchange_say(&hc->opts, "restoring the host...");
		units_close(hc->units); /* the run's handle carries the profile env; restore starts clean */
		hc->units = NULL;
		rc = hostchange_undo(hc->j, &hc->opts, err);
		journal_close(hc->j);
		hc->j = NULL;
		if (rc == 0)
			rc = journal_discard(hc->state_dir, err);
		add_timing(hc, "restore", gb_now() - t0);
	}
	if (hc->lock_fd >= 0)
		journal_unlock(hc->lock_fd, hc->state_dir);
	hc->lock_fd = -1;
	interrupt_set_restoring(false);
	return rc;
}

/* ---- accessors ---- */

const char *hostchange_run_id(const struct hostchange *hc) { return hc->run_id; }
const char *hostchange_state_dir(const struct hostchange *hc) { return hc->state_dir; }
const char *hostchange_dumps_dir(const struct hostchange *hc) { return hc->dumps_dir; }
struct journal *hostchange_journal(struct hostchange *hc) { return hc->j; }
int hostchange_fake_count(const struct hostchange *hc) { return hc->fake_target; }
int hostchange_fake_existing(const struct hostchange *hc) { return hc->fake_existing; }

const char *hostchange_fake_host_prefix(const struct hostchange *hc)
{
	return hc->uf && hc->uf->fake.present ? hc->uf->fake.host_prefix : NULL;
}

const struct hostchange_timing *hostchange_timings(const struct hostchange *hc, size_t *n)
{
	*n = hc->n_timings;
	return hc->timings;
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

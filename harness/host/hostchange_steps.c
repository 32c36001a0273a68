/*
 * hostchange_steps.c - the steps of a run that change the host: config files,
 * patches, fake computes and unit restarts (with the profiler's environment),
 * each journaled before it is made, and the loop that runs them in order. Never
 * prints (progress callback), never exits, never changes the host without a
 * journal record first.
 */
#define _GNU_SOURCE
#include "host/hostchange.h"
#include "host/hostchange_int.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/interrupt.h"
#include "base/proc.h"
#include "host/patch.h"
#include "units/units.h"
#include "units/unitsfile.h"

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

/* s with every "from" replaced by "to", appended to out. */
static void replace_all(const char *s, const char *from, const char *to, struct strbuf *out)
{
	size_t fl = strlen(from);
	for (const char *p; fl && (p = strstr(s, from)); s = p + fl) {
		sb_add(out, s, (size_t)(p - s));
		sb_addstr(out, to);
	}
	sb_addstr(out, s);
}

/* devstack's copy of n-cpu-1's config for number index: host and state_path set to
 * host N's, every other line as it is. */
static void fake_conf_copy(const struct uf_fake_compute *f, const char *host, struct strbuf *out)
{
	bool in_default = false;
	for (const char *p = f->tmpl_conf_text; *p;) {
		size_t l = strcspn(p, "\n");
		const char *q = p;
		while (q < p + l && (*q == ' ' || *q == '\t'))
			q++;
		if (*q == '[')
			in_default = !strncmp(q, "[DEFAULT]", 9);
		size_t kl = strcspn(q, " \t=");
		bool is_host = in_default && kl == 4 && !strncmp(q, "host", 4);
		bool is_state = in_default && kl == 10 && !strncmp(q, "state_path", 10);
		if (is_host || is_state) {
			struct strbuf line = STRBUF_INIT;
			sb_add(&line, p, l);
			replace_all(line.buf, f->tmpl_host, host, out);
			sb_release(&line);
		} else {
			sb_add(out, p, l);
		}
		p += l;
		if (*p == '\n')
			sb_addch(out, *p++);
	}
}

/* Journal and create fake compute index's state_path (devstack: $NOVA_STATE_PATH/HOSTn),
 * owned by the units' user so that nova-compute can write its compute_id there. */
static int fake_state_dir(struct hostchange *hc, const char *host, struct gb_err *err)
{
	const struct uf_fake_compute *f = &hc->uf->fake;
	if (!f->tmpl_state_path || !strstr(f->tmpl_state_path, f->tmpl_host))
		return 0;
	struct strbuf dir = STRBUF_INIT;
	replace_all(f->tmpl_state_path, f->tmpl_host, host, &dir);
	struct stat st;
	int rc = 0;
	if (lstat(dir.buf, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			rc = gb_errf(err, GB_EXIT_ENV, "%s (state_path of fake compute %s) exists and is "
						       "not a directory; remove it", dir.buf, host);
		else
			hostchange_say(&hc->opts, "note: %s (state_path of %s) is left from before; "
			    "nova-compute may refuse it if its compute_id is stale", dir.buf, host);
		sb_release(&dir);
		return rc;
	}
	rc = journal_add_statedir(hc->j, dir.buf, err);
	if (rc == 0 && mkdir(dir.buf, 0755) != 0)
		rc = gb_errf(err, GB_EXIT_ENV, "cannot create %s: %s", dir.buf, strerror(errno));
	if (rc == 0 && f->user) {
		struct passwd *pw = getpwnam(f->user);
		if (!pw || chown(dir.buf, pw->pw_uid, pw->pw_gid) != 0)
			rc = gb_errf(err, GB_EXIT_ENV, "cannot give %s to %s (User= of n-cpu-1): %s",
				     dir.buf, f->user, pw ? strerror(errno) : "no such user");
	}
	sb_release(&dir);
	return rc;
}

/* Journal and write fake compute number index (config file, systemd unit
 * file), and let the units handle manage it. Nothing is started yet. With a
 * template from devstack@n-cpu-1, both are copies of n-cpu-1's, as devstack
 * writes them. */
static int prepare_fake(struct hostchange *hc, int index, struct gb_err *err)
{
	const struct uf_fake_compute *f = &hc->uf->fake;
	struct uf_unit def;
	struct strbuf host = STRBUF_INIT, conf = STRBUF_INIT, body = STRBUF_INIT,
		      unit_file = STRBUF_INIT, unit_body = STRBUF_INIT;
	if (units_fake_def(hc->uf, index, &def, &host, &conf, err) != 0)
		return -1;
	char idx[16];
	snprintf(idx, sizeof(idx), "%d", index);
	const char *fl[] = { def.name, host.buf, idx };
	bool copy = f->tmpl_unit_text && hc->backend == SC_BACKEND_SYSTEMD;
	int rc = mkdirs_journaled(hc, f->conf_dir, 0755, err);
	if (rc == 0)
		rc = journal_backup_file(hc->j, conf.buf, err);
	if (rc == 0 && hc->backend == SC_BACKEND_SYSTEMD) {
		units_unit_file_path(hc->units, def.name, &unit_file);
		rc = journal_backup_file(hc->j, unit_file.buf, err);
	}
	/* before the fake record: restore (backwards) stops the compute, then removes it */
	if (rc == 0 && copy)
		rc = fake_state_dir(hc, host.buf, err);
	if (rc == 0)
		rc = journal_append(hc->j, JOURNAL_FAKE, fl, 3, err);
	if (rc == 0)
		interrupt_debug_point("fake:journaled");
	if (copy) {
		fake_conf_copy(f, host.buf, &body);
		struct strbuf tmp = STRBUF_INIT, from = STRBUF_INIT;
		replace_all(f->tmpl_unit_text, f->tmpl_conf, conf.buf, &tmp);
		sb_addf(&from, "devstack@%s1.service", f->unit_prefix);
		struct strbuf to = STRBUF_INIT;
		sb_addf(&to, "devstack@%s.service", def.name);
		replace_all(tmp.buf, from.buf, to.buf, &unit_body);
		sb_release(&tmp);
		sb_release(&from);
		sb_release(&to);
	} else {
		sb_addf(&body, "[DEFAULT]\nhost = %s\n", host.buf);
	}
	if (rc == 0)
		rc = gb_write_file_atomic(conf.buf, body.buf, body.len, 0644, err);
	if (rc == 0 && copy)
		rc = gb_write_file_atomic(unit_file.buf, unit_body.buf, unit_body.len, 0644, err);
	else if (rc == 0 && hc->backend == SC_BACKEND_SYSTEMD)
		rc = units_write_unit_file(hc->units, &def, err);
	if (rc == 0)
		units_add(hc->units, &def);
	units_def_free(&def);
	sb_release(&host);
	sb_release(&conf);
	sb_release(&body);
	sb_release(&unit_file);
	sb_release(&unit_body);
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
	hostchange_add_timing(hc, label, gb_now() - t0);
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
		hostchange_add_timing(hc, "fake computes after_start", gb_now() - t1);
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

/* The profile dump directory: owned by the profiled services' user, 0700 (only it can
 * write there, and greenbench as root can read it); when that user is not greenbench's
 * own, the state directory and the run's directory on the way are made 0711 (passable,
 * not listable), or the service could not reach it. */
static int make_dumps_dir(struct hostchange *hc, struct gb_err *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct strbuf user = STRBUF_INIT;
	const char *first = NULL;
	for (size_t i = 0; i < hc->sc->n_profiles; i++) {
		const char *unit = hc->sc->profiles[i].unit;
		uid_t u;
		gid_t g;
		struct strbuf who = STRBUF_INIT;
		if (units_user(hc->units, unit, &u, &g, &who, err) != 0) {
			sb_release(&who);
			sb_release(&user);
			return -1;
		}
		if (first && u != uid) {
			gb_errf(err, GB_EXIT_USAGE, "profiled units %s (user %s) and %s (user %s) run as "
						    "different users; they cannot share one dump directory: "
						    "profile them in separate runs", first, sb_str(&user), unit,
				sb_str(&who));
			sb_release(&who);
			sb_release(&user);
			return -1;
		}
		if (!first) {
			first = unit;
			uid = u;
			gid = g;
			sb_addstr(&user, sb_str(&who));
		}
		sb_release(&who);
	}
	bool foreign = uid != geteuid();
	if (foreign && geteuid() != 0) {
		gb_errf(err, GB_EXIT_USAGE, "unit %s runs as %s, and greenbench (uid %ld) cannot give it "
					    "a dump directory; run greenbench as root or as %s", first,
			sb_str(&user), (long)geteuid(), sb_str(&user));
		sb_release(&user);
		return -1;
	}
	sb_release(&user);
	int rc = gb_mkdir_p0700(hc->dumps_dir, err);
	if (rc == 0 && foreign) {
		/* the state directory and the run's, down to the dump directory's parent */
		char *p = gb_strdup(hc->dumps_dir);
		size_t sl = strlen(hc->state_dir);
		for (char *s = p + sl; rc == 0 && *s; s++) {
			if (*s != '/')
				continue;
			*s = '\0';
			if (chmod(p, 0711) != 0)
				rc = gb_errf(err, GB_EXIT_ENV, "cannot make %s passable (0711) for the "
							       "profiled service: %s", p, strerror(errno));
			*s = '/';
		}
		free(p);
	}
	if (rc == 0 && (chown(hc->dumps_dir, uid, gid) != 0 || chmod(hc->dumps_dir, 0700) != 0))
		rc = gb_errf(err, GB_EXIT_ENV, "cannot give the dump directory %s to uid %ld: %s",
			     hc->dumps_dir, (long)uid, strerror(errno));
	hc->dumps_uid = uid;
	return rc;
}

int hostchange_restart_units(struct hostchange *hc, void *arg, struct gb_err *err)
{
	(void)arg;
	if (hc->sc->n_profiles && !hc->opts.dry_run && make_dumps_dir(hc, err) != 0)
		return -1;
	for (size_t i = 0; i < hc->n_restart; i++) {
		const char *unit = hc->restart[i];
		struct strbuf env = STRBUF_INIT;
		profile_env(hc, unit, &env);
		if (hc->opts.dry_run) {
			hostchange_say(&hc->opts, "would restart %s%s%s", unit, env.len ? " with " : "", sb_str(&env));
			for (size_t k = 0; env.len && k < hc->opts.n_extra_env; k++)
				hostchange_say(&hc->opts, "would set %s in %s's environment", hc->opts.extra_env[k], unit);
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
			const char **e = gb_calloc(hc->opts.n_extra_env + 1, sizeof(*e));
			e[0] = env.buf;
			for (size_t k = 0; k < hc->opts.n_extra_env; k++)
				e[k + 1] = hc->opts.extra_env[k];
			rc = units_set_env(hc->units, unit, e, hc->opts.n_extra_env + 1, err);
			free(e);
			for (size_t k = 0; rc == 0 && k < hc->opts.n_extra_env; k++)
				hostchange_say(&hc->opts, "env: %s gets %s", unit, hc->opts.extra_env[k]);
		}
		if (rc == 0)
			interrupt_debug_point("restart:env");
		double dead = 0, ready = 0;
		if (rc == 0)
			rc = units_stop(hc->units, unit, &dead, err);
		int leftovers = units_last_leftovers(hc->units);
		if (rc == 0) {
			interrupt_debug_point("restart:stopped");
			rc = units_start(hc->units, unit, &ready, err);
		}
		if (rc == 0) {
			interrupt_debug_point("restart:started");
			hostchange_say(&hc->opts, "restarting %s... dead in %.1f s, ready in %.1f s%s", unit, dead, ready,
			    env.len ? " (profiled)" : "");
			if (leftovers)
				hostchange_say(&hc->opts, "  %s: %d process(es) were left in its cgroup after its main "
				    "process exited (KillMode=process); signalled until gone", unit, leftovers);
			char name[48];
			snprintf(name, sizeof(name), "restart %s", unit);
			hostchange_add_timing(hc, name, dead + ready);
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
		hostchange_add_timing(hc, steps[i].name, gb_now() - t0);
		if (rc != 0) {
			if (interrupt_requested())
				err->exit_code = GB_EXIT_INTERRUPTED;
			return -1;
		}
	}
	return 0;
}

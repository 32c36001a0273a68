/*
 * units.c - restarting services and proving it: the systemd backend
 * (systemctl by argv, cgroup.procs for death) and the process backend
 * (own session per unit, pid files, /proc scan for death), plus the
 * waits for readiness (the probes are in units_probe.c).
 * Never journals, never prints, never talks to anything but 127.0.0.1/::1.
 */
#define _GNU_SOURCE
#include "units/units.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "units/units_probe.h"

#define POLL_SECS 0.05
#define KILL_GRACE 10.0 /* after SIGKILL, how long death may take */

struct unit_env {
	char *name;
	char **env; /* "KEY=VALUE", NULL-terminated */
	size_t n;
};

struct units {
	enum sc_backend backend;
	const struct unitsfile *uf;
	struct uf_unit *extra; /* fake computes added by this run */
	size_t n_extra;
	struct unit_env *envs;
	size_t n_envs;
	char *systemctl;      /* resolved path (systemd backend) */
	char *rabbitmqctl;    /* resolved lazily */
	char *systemd_dir;
	char *cgroup_root;
	int last_leftovers;
	volatile sig_atomic_t *stop;
};

/* ---- small helpers ---- */

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static bool stopped(const struct units *u)
{
	return u->stop && *u->stop;
}

static int interrupted(struct gb_err *err, const char *what, const char *name)
{
	return gb_errf(err, GB_EXIT_INTERRUPTED, "interrupted while %s unit %s", what, name);
}

static const struct uf_unit *find_def(const struct units *u, const char *name)
{
	for (size_t i = 0; i < u->n_extra; i++)
		if (!strcmp(u->extra[i].name, name))
			return &u->extra[i];
	return unitsfile_find(u->uf, name);
}

static char **strv_dup(char *const *v, size_t n)
{
	char **d = gb_calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		d[i] = gb_strdup(v[i]);
	return d;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void units_describe_probe(const struct uf_probe *p, struct strbuf *out)
{
	switch (p->kind) {
	case UF_READY_TCP: sb_addf(out, "tcp %s accepting", p->target); break;
	case UF_READY_HTTP: sb_addf(out, "http %s answering 2xx or 300", p->target); break;
	case UF_READY_RPC: sb_addf(out, "rpc queue '%s' with a consumer", p->target); break;
	default: sb_addstr(out, "the unit running"); break;
	}
}

/* ---- open/close ---- */

const char *units_systemd_dir(void)
{
	return env_or("GREENBENCH_SYSTEMD_DIR", "/etc/systemd/system");
}

int units_last_leftovers(const struct units *u)
{
	return u->last_leftovers;
}

int units_open(const struct unitsfile *uf, enum sc_backend backend, struct units **out,
	       struct gb_err *err)
{
	struct units *u = gb_calloc(1, sizeof(*u));
	u->backend = backend;
	u->uf = uf;
	u->systemd_dir = gb_strdup(units_systemd_dir());
	u->cgroup_root = gb_strdup(env_or("GREENBENCH_CGROUP_ROOT", "/sys/fs/cgroup"));
	if (backend == SC_BACKEND_SYSTEMD) {
		struct strbuf p = STRBUF_INIT;
		if (proc_which("systemctl", "GREENBENCH_SYSTEMCTL", &p, err) != 0) {
			sb_release(&p);
			units_close(u);
			return -1;
		}
		u->systemctl = sb_detach(&p);
	} else if (!uf) {
		units_close(u);
		return gb_errf(err, GB_EXIT_USAGE, "the process backend needs a units file "
						   "(--units FILE or units.file in the scenario)");
	}
	*out = u;
	return 0;
}

void units_def_free(struct uf_unit *d)
{
	free(d->name);
	strv_free(d->argv);
	strv_free(d->env);
	free(d->cwd);
	free(d->log);
	unitsfile_probe_free(&d->ready);
	memset(d, 0, sizeof(*d));
}

void units_close(struct units *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n_extra; i++)
		units_def_free(&u->extra[i]);
	free(u->extra);
	for (size_t i = 0; i < u->n_envs; i++) {
		free(u->envs[i].name);
		strv_free(u->envs[i].env);
	}
	free(u->envs);
	free(u->systemctl);
	free(u->rabbitmqctl);
	free(u->systemd_dir);
	free(u->cgroup_root);
	free(u);
}

void units_set_stop_flag(struct units *u, volatile sig_atomic_t *flag)
{
	u->stop = flag;
}

bool units_known(const struct units *u, const char *name)
{
	return u->backend == SC_BACKEND_SYSTEMD || find_def(u, name) != NULL;
}

void units_add(struct units *u, const struct uf_unit *def)
{
	for (size_t i = 0; i < u->n_extra; i++)
		if (!strcmp(u->extra[i].name, def->name))
			return;
	u->extra = gb_realloc(u->extra, (u->n_extra + 1) * sizeof(*u->extra));
	struct uf_unit *d = &u->extra[u->n_extra++];
	memset(d, 0, sizeof(*d));
	d->name = gb_strdup(def->name);
	d->argv = def->argv ? strv_dup(def->argv, def->argc) : NULL;
	d->argc = def->argc;
	d->env = strv_dup(def->env, def->n_env);
	d->n_env = def->n_env;
	d->cwd = gb_strdup(def->cwd);
	d->log = gb_strdup(def->log);
	d->ready.kind = def->ready.kind;
	d->ready.target = gb_strdup(def->ready.target);
	d->ready_timeout = def->ready_timeout;
	d->stop_timeout = def->stop_timeout;
	d->line = def->line;
}

static void subst_host(const char *s, const char *host, struct strbuf *out)
{
	for (const char *p = s; *p;) {
		if (!strncmp(p, "{host}", 6)) {
			sb_addstr(out, host);
			p += 6;
		} else {
			sb_addch(out, *p++);
		}
	}
}

int units_fake_def(const struct unitsfile *uf, int index, struct uf_unit *d,
		   struct strbuf *host, struct strbuf *conf_path, struct gb_err *err)
{
	const struct uf_fake_compute *f = uf ? &uf->fake : NULL;
	if (!f || !f->present)
		return gb_errf(err, GB_EXIT_USAGE, "%s: no fake_compute: template; add one to scale "
						   "fake computes", uf ? uf->path : "no units file");
	memset(d, 0, sizeof(*d));
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s%d", f->unit_prefix, index);
	d->name = sb_detach(&sb);
	sb_addf(host, "%s%d", f->host_prefix, index);
	if (f->conf_pattern) { /* devstack's naming: nova-fake.conf-N */
		const char *n = strstr(f->conf_pattern, "{n}");
		sb_addf(conf_path, "%.*s%d%s", (int)(n - f->conf_pattern), f->conf_pattern, index, n + 3);
	} else {
		sb_addf(conf_path, "%s/%s.conf", f->conf_dir, sb_str(host));
	}
	d->argc = f->argc + 2;
	d->argv = gb_calloc(d->argc + 1, sizeof(char *));
	for (size_t i = 0; i < f->argc; i++)
		d->argv[i] = gb_strdup(f->argv[i]);
	d->argv[f->argc] = gb_strdup("--config-file");
	d->argv[f->argc + 1] = gb_strdup(sb_str(conf_path));
	d->env = strv_dup(f->env, f->n_env);
	d->n_env = f->n_env;
	d->cwd = gb_strdup(f->cwd);
	if (f->log_dir) {
		sb_addf(&sb, "%s/%s.log", f->log_dir, d->name);
		d->log = sb_detach(&sb);
	}
	d->ready.kind = f->ready.kind;
	if (f->ready.target) {
		subst_host(f->ready.target, sb_str(host), &sb);
		d->ready.target = sb_detach(&sb);
	}
	d->ready_timeout = f->ready_timeout;
	d->stop_timeout = f->stop_timeout;
	d->line = f->line;
	return 0;
}

/* ---- environment ---- */

static struct unit_env *env_slot(struct units *u, const char *name, bool create)
{
	for (size_t i = 0; i < u->n_envs; i++)
		if (!strcmp(u->envs[i].name, name))
			return &u->envs[i];
	if (!create)
		return NULL;
	u->envs = gb_realloc(u->envs, (u->n_envs + 1) * sizeof(*u->envs));
	struct unit_env *e = &u->envs[u->n_envs++];
	e->name = gb_strdup(name);
	e->env = NULL;
	e->n = 0;
	return e;
}

void units_dropin_path(const struct units *u, const char *name, struct strbuf *file,
		       struct strbuf *dir)
{
	if (dir)
		sb_addf(dir, "%s/devstack@%s.service.d", u->systemd_dir, name);
	if (file)
		sb_addf(file, "%s/devstack@%s.service.d/greenbench.conf", u->systemd_dir, name);
}

void units_unit_file_path(const struct units *u, const char *name, struct strbuf *out)
{
	sb_addf(out, "%s/devstack@%s.service", u->systemd_dir, name);
}

/* A systemd unit-file word: double-quoted, \ " escaped, % and $ doubled. */
static void sd_quote(struct strbuf *sb, const char *s)
{
	sb_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_addch(sb, '\\');
		if (*s == '%' || *s == '$')
			sb_addch(sb, *s);
		sb_addch(sb, *s);
	}
	sb_addch(sb, '"');
}

static int systemctl(struct units *u, const char *const *args, double timeout, struct strbuf *out,
		     struct gb_err *err)
{
	const char *argv[12];
	size_t n = 0;
	argv[n++] = u->systemctl;
	for (; *args && n < 11; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	struct strbuf tmp = STRBUF_INIT;
	struct strbuf *o = out ? out : &tmp;
	int st = 0;
	int rc = proc_run((char *const *)argv, NULL, NULL, o, timeout, &st, err);
	if (rc == 0 && st != 0) {
		const char *s = sb_str(o);
		const char *nl = strchr(s, '\n');
		rc = gb_errf(err, GB_EXIT_ENV, "systemctl %s %s failed (exit %d): %.*s", argv[1],
			     n > 2 ? argv[n - 1] : "", st, (int)(nl ? nl - s : (long)strlen(s)), s);
	}
	sb_release(&tmp);
	return rc;
}

int units_daemon_reload(struct units *u, struct gb_err *err)
{
	if (u->backend != SC_BACKEND_SYSTEMD)
		return 0;
	const char *args[] = { "daemon-reload", NULL };
	return systemctl(u, args, 120, NULL, err);
}

int units_set_env(struct units *u, const char *name, const char *const *env, size_t n,
		  struct gb_err *err)
{
	if (u->backend == SC_BACKEND_PROCESS) {
		struct unit_env *e = env_slot(u, name, true);
		strv_free(e->env);
		e->env = n ? strv_dup((char *const *)env, n) : NULL;
		e->n = n;
		return 0;
	}
	struct strbuf file = STRBUF_INIT, dir = STRBUF_INIT, body = STRBUF_INIT;
	units_dropin_path(u, name, &file, &dir);
	int rc = 0;
	if (n) {
		if (mkdir(dir.buf, 0755) != 0 && errno != EEXIST)
			rc = gb_errf(err, GB_EXIT_ENV, "cannot create %s: %s", dir.buf, strerror(errno));
		sb_addstr(&body, "# written by greenbench for one run; `greenbench restore` removes it\n"
				 "[Service]\n");
		for (size_t i = 0; i < n && rc == 0; i++) {
			sb_addstr(&body, "Environment=");
			sd_quote(&body, env[i]);
			sb_addch(&body, '\n');
		}
		if (rc == 0)
			rc = gb_write_file_atomic(file.buf, body.buf, body.len, 0644, err);
	} else if (unlink(file.buf) != 0 && errno != ENOENT) {
		rc = gb_errf(err, GB_EXIT_ENV, "cannot remove %s: %s", file.buf, strerror(errno));
	}
	if (rc == 0)
		rc = units_daemon_reload(u, err);
	sb_release(&file);
	sb_release(&dir);
	sb_release(&body);
	return rc;
}

int units_write_unit_file(struct units *u, const struct uf_unit *def, struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT, body = STRBUF_INIT;
	units_unit_file_path(u, def->name, &path);
	sb_addf(&body, "# written by greenbench (fake compute) for one run; `greenbench restore` "
		       "removes it\n[Unit]\nDescription=Devstack devstack@%s.service\n\n[Service]\n"
		       "ExecStart=", def->name);
	for (size_t i = 0; i < def->argc; i++) {
		if (i)
			sb_addch(&body, ' ');
		sd_quote(&body, def->argv[i]);
	}
	sb_addch(&body, '\n');
	for (size_t i = 0; i < def->n_env; i++) {
		sb_addstr(&body, "Environment=");
		sd_quote(&body, def->env[i]);
		sb_addch(&body, '\n');
	}
	if (def->cwd)
		sb_addf(&body, "WorkingDirectory=%s\n", def->cwd);
	sb_addf(&body, "KillMode=control-group\nTimeoutStopSec=%.0f\n\n[Install]\n"
		       "WantedBy=multi-user.target\n", def->stop_timeout > 0 ? def->stop_timeout : 10);
	int rc = gb_write_file_atomic(path.buf, body.buf, body.len, 0644, err);
	sb_release(&path);
	sb_release(&body);
	return rc;
}

/* ---- process backend ---- */

static void pid_path(const struct units *u, const char *name, struct strbuf *out)
{
	sb_addf(out, "%s/%s.pid", u->uf->state_dir, name);
}

static pid_t read_pid(const struct units *u, const char *name)
{
	struct strbuf p = STRBUF_INIT, data = STRBUF_INIT;
	pid_path(u, name, &p);
	pid_t pid = 0;
	if (gb_read_file(p.buf, 64, &data, NULL) == 0) {
		long v = strtol(sb_str(&data), NULL, 10);
		if (v > 1)
			pid = (pid_t)v;
	}
	sb_release(&p);
	sb_release(&data);
	return pid;
}

static int proc_stop(struct units *u, const struct uf_unit *d, struct gb_err *err)
{
	pid_t pg = read_pid(u, d->name);
	if (pg <= 0 || proc_group_count(pg) == 0)
		goto gone;
	proc_group_kill(pg, SIGTERM);
	double t0 = gb_now();
	while (proc_group_count(pg) > 0 && gb_now() - t0 < d->stop_timeout) {
		if (stopped(u))
			return interrupted(err, "stopping", d->name);
		proc_sleep(POLL_SECS);
	}
	if (proc_group_count(pg) > 0) {
		proc_group_kill(pg, SIGKILL);
		double t1 = gb_now();
		while (proc_group_count(pg) > 0 && gb_now() - t1 < KILL_GRACE)
			proc_sleep(POLL_SECS);
		if (proc_group_count(pg) > 0)
			return gb_errf(err, GB_EXIT_ENV, "unit %s: %d process(es) of group %ld survive "
							 "SIGKILL for %.0f s; check `ps -s %ld`",
				       d->name, proc_group_count(pg), (long)pg, KILL_GRACE, (long)pg);
	}
gone:;
	struct strbuf p = STRBUF_INIT;
	pid_path(u, d->name, &p);
	unlink(p.buf);
	sb_release(&p);
	return 0;
}

static void add_env(char ***envp, size_t *n, const char *kv)
{
	size_t kl = strcspn(kv, "=");
	for (size_t i = 0; i < *n; i++) {
		if (!strncmp((*envp)[i], kv, kl) && (*envp)[i][kl] == '=') {
			free((*envp)[i]);
			(*envp)[i] = gb_strdup(kv);
			return;
		}
	}
	*envp = gb_realloc(*envp, (*n + 2) * sizeof(char *));
	(*envp)[(*n)++] = gb_strdup(kv);
	(*envp)[*n] = NULL;
}

static int proc_start(struct units *u, const struct uf_unit *d, struct gb_err *err)
{
	if (!d->argv)
		return gb_errf(err, GB_EXIT_USAGE, "unit %s has no argv in %s", d->name, u->uf->path);
	pid_t old = read_pid(u, d->name);
	if (old > 0 && proc_group_count(old) > 0)
		return gb_errf(err, GB_EXIT_ENV, "unit %s is already running (process group %ld); not "
						 "starting a second one", d->name, (long)old);
	char **envp = NULL;
	size_t n = 0;
	struct strbuf kv = STRBUF_INIT;
	sb_addf(&kv, "PATH=%s", env_or("PATH", "/usr/local/bin:/usr/bin:/bin"));
	add_env(&envp, &n, kv.buf);
	sb_reset(&kv);
	sb_addf(&kv, "HOME=%s", env_or("HOME", "/"));
	add_env(&envp, &n, kv.buf);
	sb_reset(&kv);
	sb_addf(&kv, "LANG=%s", env_or("LANG", "C.UTF-8"));
	add_env(&envp, &n, kv.buf);
	sb_release(&kv);
	for (size_t i = 0; i < d->n_env; i++)
		add_env(&envp, &n, d->env[i]);
	struct unit_env *e = env_slot(u, d->name, false);
	for (size_t i = 0; e && i < e->n; i++)
		add_env(&envp, &n, e->env[i]);
	if (mkdir(u->uf->state_dir, 0755) != 0 && errno != EEXIST) {
		strv_free(envp);
		return gb_errf(err, GB_EXIT_ENV, "cannot create %s: %s", u->uf->state_dir,
			       strerror(errno));
	}
	pid_t pid;
	int rc = proc_spawn_daemon(d->argv, envp, d->cwd, d->log, &pid, err);
	strv_free(envp);
	if (rc != 0)
		return -1;
	struct strbuf p = STRBUF_INIT, body = STRBUF_INIT;
	pid_path(u, d->name, &p);
	sb_addf(&body, "%ld\n", (long)pid);
	rc = gb_write_file_atomic(p.buf, body.buf, body.len, 0644, err);
	if (rc != 0) { /* we could not record it: don't leave it running unrecorded */
		proc_group_kill(pid, SIGKILL);
	}
	sb_release(&p);
	sb_release(&body);
	return rc;
}

/* ---- systemd backend ---- */

struct sd_state {
	char active[32];
	char load[32]; /* LoadState: loaded, not-found, masked, ... */
	long main_pid;
	char cgroup[512];
};

static int sd_show(struct units *u, const char *name, struct sd_state *s, struct gb_err *err)
{
	struct strbuf unit = STRBUF_INIT, out = STRBUF_INIT;
	sb_addf(&unit, "devstack@%s.service", name);
	const char *args[] = { "show", "-p", "ActiveState", "-p", "MainPID", "-p", "ControlGroup",
			       "-p", "LoadState", unit.buf, NULL };
	int rc = systemctl(u, args, 30, &out, err);
	memset(s, 0, sizeof(*s));
	for (const char *p = sb_str(&out); rc == 0 && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > 12 && !strncmp(p, "ActiveState=", 12))
			snprintf(s->active, sizeof(s->active), "%.*s", (int)(l - 12), p + 12);
		else if (l > 10 && !strncmp(p, "LoadState=", 10))
			snprintf(s->load, sizeof(s->load), "%.*s", (int)(l - 10), p + 10);
		else if (l > 8 && !strncmp(p, "MainPID=", 8))
			s->main_pid = strtol(p + 8, NULL, 10);
		else if (l > 13 && !strncmp(p, "ControlGroup=", 13))
			snprintf(s->cgroup, sizeof(s->cgroup), "%.*s", (int)(l - 13), p + 13);
		p = nl ? nl + 1 : p + l;
	}
	sb_release(&unit);
	sb_release(&out);
	return rc;
}

/* Processes left in the unit's cgroup (0 if it has none or it is gone):
 * cgroup v2 (<root><cg>), else the v1 hybrid hierarchies systemd keeps. */
static int sd_cgroup_count(const struct units *u, const struct sd_state *s)
{
	if (!s->cgroup[0])
		return 0;
	static const char *const sub[] = { "", "/unified", "/systemd" };
	int count = 0;
	for (size_t i = 0; i < GB_ARRAY_SIZE(sub); i++) {
		struct strbuf p = STRBUF_INIT, data = STRBUF_INIT;
		sb_addf(&p, "%s%s%s/cgroup.procs", u->cgroup_root, sub[i], s->cgroup);
		bool found = gb_read_file(p.buf, 1 << 20, &data, NULL) == 0;
		for (const char *c = sb_str(&data); *c; c++)
			count += *c == '\n';
		sb_release(&p);
		sb_release(&data);
		if (found)
			break;
	}
	return count;
}

static bool sd_dead(const struct units *u, const struct sd_state *s)
{
	bool inactive = !strcmp(s->active, "inactive") || !strcmp(s->active, "failed") ||
			!s->active[0];
	return inactive && s->main_pid == 0 && sd_cgroup_count(u, s) == 0;
}

/* Signal every process of the unit's cgroup: systemctl kill (whom: all), and if systemd
 * refuses (an inactive unit), the pids in its cgroup.procs directly. */
static int sd_kill_all(struct units *u, const char *unit, const struct sd_state *s, int sig,
		       struct gb_err *err)
{
	char opt[32];
	snprintf(opt, sizeof(opt), "--signal=%s", sig == SIGKILL ? "SIGKILL" : "SIGTERM");
	const char *kill_args[] = { "kill", opt, unit, NULL };
	struct gb_err e;
	if (systemctl(u, kill_args, 30, NULL, &e) == 0)
		return 0;
	if (!s->cgroup[0])
		return gb_errf(err, GB_EXIT_ENV, "%s", e.msg);
	static const char *const sub[] = { "", "/unified", "/systemd" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(sub); i++) {
		struct strbuf p = STRBUF_INIT, data = STRBUF_INIT;
		sb_addf(&p, "%s%s%s/cgroup.procs", u->cgroup_root, sub[i], s->cgroup);
		bool found = gb_read_file(p.buf, 1 << 20, &data, NULL) == 0;
		for (const char *c = sb_str(&data); *c;) {
			long pid = strtol(c, NULL, 10);
			if (pid > 1)
				kill((pid_t)pid, sig);
			c += strcspn(c, "\n");
			c += *c == '\n';
		}
		sb_release(&p);
		sb_release(&data);
		if (found)
			break;
	}
	return 0;
}

/* Wait up to secs for the unit to be dead: 1 dead, 0 not yet, -1 error. */
static int sd_wait_dead(struct units *u, const char *name, struct sd_state *s, double secs,
			bool stop_at_leftovers, struct gb_err *err)
{
	double t0 = gb_now();
	for (;;) {
		if (sd_show(u, name, s, err) != 0)
			return -1;
		if (sd_dead(u, s))
			return 1;
		/* KillMode=process: systemd is done with the main pid, the rest is ours */
		bool inactive = !strcmp(s->active, "inactive") || !strcmp(s->active, "failed");
		if (stop_at_leftovers && inactive && s->main_pid == 0)
			return 0;
		if (stopped(u))
			return interrupted(err, "stopping", name);
		if (gb_now() - t0 >= secs)
			return 0;
		proc_sleep(POLL_SECS * 4);
	}
}

static int sd_stop(struct units *u, const char *name, double stop_timeout, struct gb_err *err)
{
	struct strbuf unit = STRBUF_INIT;
	sb_addf(&unit, "devstack@%s.service", name);
	u->last_leftovers = 0;
	const char *stop_args[] = { "stop", unit.buf, NULL };
	struct gb_err stop_err = { 0, "" };
	int rc = systemctl(u, stop_args, stop_timeout + 90, NULL, &stop_err);
	struct sd_state s;
	double t0 = gb_now();
	if (rc != 0) {
		/* a unit systemd has no file for and nothing running is already stopped: a
		 * restore after a reboot or a re-laid host finds the run's fake computes gone */
		struct gb_err serr = { 0, "" };
		if (sd_show(u, name, &s, &serr) == 0 && !strcmp(s.load, "not-found") &&
		    !strcmp(s.active, "inactive") && s.main_pid == 0 && sd_cgroup_count(u, &s) == 0) {
			sb_release(&unit);
			return 0;
		}
		*err = stop_err;
	}
	int dead = rc == 0 ? sd_wait_dead(u, name, &s, stop_timeout, true, err) : -1;
	if (dead == 0 && (!strcmp(s.active, "inactive") || !strcmp(s.active, "failed"))) {
		/* the main process is gone, its forked workers are not (KillMode=process):
		 * SIGTERM them, then what is left of stop_timeout, then SIGKILL below */
		u->last_leftovers = sd_cgroup_count(u, &s);
		if (sd_kill_all(u, unit.buf, &s, SIGTERM, err) != 0)
			dead = -1;
		else
			dead = sd_wait_dead(u, name, &s, stop_timeout - (gb_now() - t0), false, err);
	}
	if (dead == 0) {
		if (!u->last_leftovers && s.main_pid == 0)
			u->last_leftovers = sd_cgroup_count(u, &s);
		if (sd_kill_all(u, unit.buf, &s, SIGKILL, err) != 0)
			dead = -1;
		else
			dead = sd_wait_dead(u, name, &s, KILL_GRACE, false, err);
		if (dead == 0)
			gb_errf(err, GB_EXIT_ENV, "unit %s: still %s with main pid %ld and %d "
						  "process(es) in cgroup %s after SIGKILL; check "
						  "`systemctl status %s`", name, s.active,
				s.main_pid, sd_cgroup_count(u, &s), s.cgroup, unit.buf);
	}
	sb_release(&unit);
	return dead == 1 ? 0 : -1;
}

int units_user(struct units *u, const char *name, uid_t *uid, gid_t *gid, struct strbuf *user,
	       struct gb_err *err)
{
	*uid = geteuid();
	*gid = getegid();
	if (u->backend != SC_BACKEND_SYSTEMD)
		return 0;
	struct strbuf unit = STRBUF_INIT, out = STRBUF_INIT;
	sb_addf(&unit, "devstack@%s.service", name);
	const char *args[] = { "show", "-p", "User", unit.buf, NULL };
	int rc = systemctl(u, args, 30, &out, err);
	const char *v = strstr(sb_str(&out), "User=");
	char who[256] = "";
	if (v)
		snprintf(who, sizeof(who), "%.*s", (int)strcspn(v + 5, "\n"), v + 5);
	if (rc == 0 && !who[0]) {
		*uid = 0; /* no User=: systemd runs it as root */
		*gid = 0;
		snprintf(who, sizeof(who), "root");
	} else if (rc == 0) {
		struct passwd *pw = getpwnam(who);
		if (!pw)
			rc = gb_errf(err, GB_EXIT_ENV, "unit %s runs as User=%s, which is not a user "
						       "here (getpwnam); check `systemctl cat %s`",
				     name, who, unit.buf);
		else {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		}
	}
	if (rc == 0 && user)
		sb_addstr(user, who);
	sb_release(&unit);
	sb_release(&out);
	return rc;
}

/* Resolve rabbitmqctl once: the units file's, GREENBENCH_RABBITMQCTL, or PATH. */
static int rabbitmqctl_path(struct units *u, struct gb_err *err)
{
	if (u->rabbitmqctl)
		return 0;
	struct strbuf p = STRBUF_INIT;
	if (u->uf && u->uf->rabbitmqctl) {
		sb_addstr(&p, u->uf->rabbitmqctl);
	} else if (proc_which("rabbitmqctl", "GREENBENCH_RABBITMQCTL", &p, err) != 0) {
		sb_release(&p);
		return -1;
	}
	u->rabbitmqctl = sb_detach(&p);
	return 0;
}

/* Where to read why unit name failed: its log, its systemd journal, or (process
 * backend without a log) that nothing was kept. */
static void where_to_read(const struct units *u, const char *name, const struct uf_unit *def,
			  struct strbuf *out)
{
	sb_reset(out);
	if (def && def->log)
		sb_addf(out, "read %s", def->log);
	else if (u->backend == SC_BACKEND_SYSTEMD)
		sb_addf(out, "read its journal (journalctl -u devstack@%s.service)", name);
	else
		sb_addstr(out, "its output is not kept: give it a log: in the units file");
}

/* Wait until def's probe passes (and the unit stays alive). */
static int wait_ready(struct units *u, const char *name, const struct uf_unit *def,
		      struct gb_err *err)
{
	double timeout = def ? def->ready_timeout : 60;
	double t0 = gb_now();
	struct strbuf why = STRBUF_INIT, what = STRBUF_INIT, log = STRBUF_INIT;
	int rc = 0;
	for (;;) {
		bool alive = true, ready = false;
		if (u->backend == SC_BACKEND_PROCESS) {
			pid_t pg = read_pid(u, name);
			alive = pg > 0 && proc_group_count(pg) > 0;
		} else {
			struct sd_state s;
			if ((rc = sd_show(u, name, &s, err)) != 0)
				break;
			alive = strcmp(s.active, "failed") && strcmp(s.active, "inactive");
			if (!def || def->ready.kind == UF_READY_NONE)
				ready = !strcmp(s.active, "active");
		}
		if (!alive) {
			where_to_read(u, name, def, &log);
			rc = gb_errf(err, GB_EXIT_ENV, "unit %s exited while starting; %s", name, log.buf);
			break;
		}
		if (def && def->ready.kind == UF_READY_TCP)
			ready = units_probe_tcp(def->ready.target);
		else if (def && def->ready.kind == UF_READY_HTTP)
			ready = units_probe_http(def->ready.target, &why);
		else if (def && def->ready.kind == UF_READY_RPC) {
			if ((rc = rabbitmqctl_path(u, err)) != 0 ||
			    (rc = units_probe_rpc(u->rabbitmqctl, def->ready.target, &ready, &why, err)) != 0)
				break;
		} else if (u->backend == SC_BACKEND_PROCESS)
			ready = true;
		if (ready)
			break;
		if (gb_now() - t0 > timeout) {
			if (def)
				units_describe_probe(&def->ready, &what);
			else
				sb_addstr(&what, "systemd to report it active");
			where_to_read(u, name, def, &log);
			rc = gb_errf(err, GB_EXIT_ENV, "unit %s not ready after %.1f s (waited for %s%s%s); "
						       "%s", name, timeout, what.buf,
				     why.len ? "; " : "", sb_str(&why), log.buf);
			break;
		}
		if (stopped(u)) {
			rc = interrupted(err, "waiting for", name);
			break;
		}
		proc_sleep(def && def->ready.kind == UF_READY_RPC ? 0.5 : 0.1);
	}
	sb_release(&why);
	sb_release(&what);
	sb_release(&log);
	return rc;
}

/* ---- public operations ---- */

int units_is_running(struct units *u, const char *name, bool *running, struct gb_err *err)
{
	*running = false;
	if (u->backend == SC_BACKEND_PROCESS) {
		if (!find_def(u, name))
			return gb_errf(err, GB_EXIT_USAGE, "unit %s is not in %s", name, u->uf->path);
		pid_t pg = read_pid(u, name);
		*running = pg > 0 && proc_group_count(pg) > 0;
		return 0;
	}
	struct sd_state s;
	if (sd_show(u, name, &s, err) != 0)
		return -1;
	*running = !sd_dead(u, &s);
	return 0;
}

int units_stop(struct units *u, const char *name, double *secs, struct gb_err *err)
{
	double t0 = gb_now();
	const struct uf_unit *def = find_def(u, name);
	int rc;
	if (u->backend == SC_BACKEND_PROCESS) {
		if (!def)
			return gb_errf(err, GB_EXIT_USAGE, "unit %s is not in %s", name, u->uf->path);
		rc = proc_stop(u, def, err);
	} else {
		rc = sd_stop(u, name, def ? def->stop_timeout : 10, err);
	}
	if (secs)
		*secs = gb_now() - t0;
	return rc;
}

int units_launch(struct units *u, const char *name, struct gb_err *err)
{
	const struct uf_unit *def = find_def(u, name);
	if (u->backend == SC_BACKEND_PROCESS) {
		if (!def)
			return gb_errf(err, GB_EXIT_USAGE, "unit %s is not in %s", name, u->uf->path);
		return proc_start(u, def, err);
	}
	struct strbuf unit = STRBUF_INIT;
	sb_addf(&unit, "devstack@%s.service", name);
	/* --no-block: systemd reports readiness through show, the probe decides */
	const char *args[] = { "start", "--no-block", unit.buf, NULL };
	int rc = systemctl(u, args, 60, NULL, err);
	sb_release(&unit);
	return rc;
}

int units_wait_ready(struct units *u, const char *name, struct gb_err *err)
{
	return wait_ready(u, name, find_def(u, name), err);
}

int units_start(struct units *u, const char *name, double *secs, struct gb_err *err)
{
	double t0 = gb_now();
	const struct uf_unit *def = find_def(u, name);
	int rc;
	if (u->backend == SC_BACKEND_PROCESS) {
		if (!def)
			return gb_errf(err, GB_EXIT_USAGE, "unit %s is not in %s", name, u->uf->path);
		rc = proc_start(u, def, err);
	} else {
		struct strbuf unit = STRBUF_INIT;
		sb_addf(&unit, "devstack@%s.service", name);
		const char *args[] = { "start", unit.buf, NULL };
		rc = systemctl(u, args, (def ? def->ready_timeout : 60) + 30, NULL, err);
		sb_release(&unit);
	}
	if (rc == 0)
		rc = wait_ready(u, name, def, err);
	if (secs)
		*secs = gb_now() - t0;
	return rc;
}

int units_restart(struct units *u, const char *name, struct units_timing *t, struct gb_err *err)
{
	struct units_timing tt = { -1, -1 };
	int rc = units_stop(u, name, &tt.dead_secs, err);
	if (rc == 0)
		rc = units_start(u, name, &tt.ready_secs, err);
	if (t)
		*t = tt;
	return rc;
}

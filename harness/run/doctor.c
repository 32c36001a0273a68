/*
 * doctor.c - the checks behind `greenbench doctor`: each one looks at one thing a
 * run needs and records ok / WARN / FAIL with what to do. Only looks and probes
 * (children by argv, network on loopback only); never takes the run lock, never
 * changes a file, never prints.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cloud/clouds.h"
#include "run/doctor.h"
#include "host/journal.h"
#include "cloud/osapi.h"
#include "base/proc.h"
#include "store/store.h"
#include "units/units.h"
#include "units/units_devstack.h"
#include "units/units_probe.h"
#include "units/unitsfile.h"

extern char **environ;

/* What the checks share while they run. */
struct doctor_ctx {
	const struct doctor_opts *o;
	struct doctor_report *r;
	struct unitsfile *uf;  /* the units file, when given and it parses */
	struct gb_err uf_err;  /* why it did not parse */
};

/* Run by the services' interpreter: one tab-separated line per fact. */
static const char py_probe[] =
	"import os, site, sys\n"
	"print('version\\t' + sys.version.split()[0])\n"
	"for m in ('greenlet', 'eventlet', 'greenprof'):\n"
	"    try:\n"
	"        mod = __import__(m)\n"
	"        print('mod\\t%s\\tok\\t%s\\t%s' % (m, getattr(mod, '__version__', '-'),\n"
	"                                      getattr(mod, '__file__', '-')))\n"
	"    except Exception as e:\n"
	"        msg = (type(e).__name__ + ': ' + str(e)).replace('\\n', ' ').replace('\\t', ' ')\n"
	"        print('mod\\t%s\\terr\\t%s' % (m, msg))\n"
	"dirs = site.getsitepackages() if hasattr(site, 'getsitepackages') else []\n"
	"hits = [os.path.join(d, 'greenbench-profile.pth') for d in dirs\n"
	"        if os.path.exists(os.path.join(d, 'greenbench-profile.pth'))]\n"
	"print('pth\\t' + ('ok\\t' + hits[0] if hits else 'none\\t' + ' '.join(dirs)))\n";

__attribute__((format(printf, 4, 5)))
static void add(struct doctor_ctx *c, enum doctor_status s, const char *name, const char *fmt, ...)
{
	struct doctor_report *r = c->r;
	if (r->n_checks == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		r->checks = gb_realloc(r->checks, r->alloc * sizeof(*r->checks));
	}
	struct strbuf d = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&d, fmt, ap);
	va_end(ap);
	struct doctor_check *k = &r->checks[r->n_checks++];
	k->name = gb_strdup(name);
	k->status = s;
	k->detail = sb_detach(&d);
	if (c->o->progress)
		c->o->progress(c->o->arg, k);
}

/* ---- the services' interpreter and greenprof ---- */

/* environ without GREENBENCH_PROFILE: the probe must not start the profiler. */
static char **probe_env(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = gb_calloc(n + 1, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GREENBENCH_PROFILE=", 19))
			env[k++] = environ[i];
	return env;
}

/* The value of "key\t..." in the probe's output (a pointer into out), or NULL. */
static char *probe_line(char *out, const char *key)
{
	size_t kl = strlen(key);
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == '\t')
			return l + kl + 1;
	return NULL;
}

/* The field of a probe line up to the next tab or newline, copied. */
static char *field(const char *s, int index)
{
	for (int i = 0; s && i < index; i++) {
		s = s + strcspn(s, "\t\n");
		s = *s == '\t' ? s + 1 : NULL;
	}
	return s ? gb_strndup(s, strcspn(s, "\t\n")) : gb_strdup("");
}

static void check_module(struct doctor_ctx *c, char *out, const char *py, const char *mod,
			 const char *fix)
{
	struct strbuf key = STRBUF_INIT, name = STRBUF_INIT;
	sb_addf(&key, "mod\t%s", mod);
	sb_addf(&name, "python %s", mod);
	char *line = probe_line(out, key.buf);
	char *state = field(line, 0), *a = field(line, 1), *b = field(line, 2);
	if (!line)
		add(c, DOCTOR_FAIL, name.buf, "%s gave no answer about %s; run it by hand: %s -c "
			"'import %s'", py, mod, py, mod);
	else if (!strcmp(state, "ok"))
		add(c, DOCTOR_OK, name.buf, "%s%s%s", strcmp(a, "-") ? a : "", strcmp(a, "-") ? " " : "", b);
	else
		add(c, DOCTOR_FAIL, name.buf, "%s cannot import %s (%s); %s", py, mod, a, fix);
	free(state);
	free(a);
	free(b);
	sb_release(&key);
	sb_release(&name);
}

/* On a devstack host: the interpreter of devstack@n-sch's ExecStart script (its #! line),
 * e.g. /opt/stack/data/venv/bin/python3 with GLOBAL_VENV; false when there is none. */
static bool devstack_python(struct strbuf *py, struct strbuf *from)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, es = STRBUF_INIT, head = STRBUF_INIT;
	sb_addf(&path, "%s/devstack@n-sch.service", units_systemd_dir());
	bool found = false;
	if (gb_read_file(path.buf, 1 << 20, &text, NULL) == 0 &&
	    units_devstack_unit_key(sb_str(&text), "ExecStart", &es) && es.len) {
		char *exe = gb_strndup(es.buf, strcspn(es.buf, " \t"));
		if (gb_read_file(exe, 1 << 16, &head, NULL) == 0 && !strncmp(sb_str(&head), "#!", 2)) {
			const char *h = head.buf + 2;
			size_t l = strcspn(h, " \t\n");
			if (l && h[0] == '/') {
				sb_add(py, h, l);
				sb_addf(from, "the #! of %s, devstack@n-sch's ExecStart", exe);
				found = true;
			}
		}
		free(exe);
	}
	sb_release(&path);
	sb_release(&text);
	sb_release(&es);
	sb_release(&head);
	return found;
}

static void check_python(struct doctor_ctx *c)
{
	const char *env = getenv("PYTHON");
	struct strbuf py = STRBUF_INIT, out = STRBUF_INIT, dpy = STRBUF_INIT, from = STRBUF_INIT;
	struct gb_err err = { GB_EXIT_ENV, "" };
	bool devstack = !(env && *env) && !c->o->units_file && devstack_python(&dpy, &from);
	const char *want = env && *env ? env : devstack ? dpy.buf : "/usr/bin/python3";
	if (proc_which(want, NULL, &py, &err) != 0 || access(py.buf, X_OK) != 0) {
		add(c, DOCTOR_FAIL, "interpreter", "%s not found (%s); set PYTHON to the interpreter "
			"the services run under (Debian's is /usr/bin/python3)",
			want, env && *env ? "from $PYTHON" : "the default");
		sb_release(&py);
		sb_release(&dpy);
		sb_release(&from);
		return;
	}
	char *argv[] = { py.buf, "-c", (char *)py_probe, NULL };
	char **envp = probe_env();
	int status = -1;
	int rc = proc_run(argv, envp, "/", &out, 60, &status, &err);
	free(envp);
	char *version = probe_line(out.buf, "version");
	if (rc != 0 || status != 0 || !version) {
		const char *said = sb_str(&out);
		int first = (int)strcspn(said, "\n");
		add(c, DOCTOR_FAIL, "interpreter", "%s did not run a probe script (%s%s%.*s); check "
			"that it is a Python 3 interpreter or set PYTHON", py.buf,
			rc ? err.msg : status ? "it exited non-zero" : "no version line",
			first ? ": " : "", first > 200 ? 200 : first, said);
		sb_release(&py);
		sb_release(&dpy);
		sb_release(&from);
		sb_release(&out);
		return;
	}
	char *v = field(version, 0);
	add(c, DOCTOR_OK, "interpreter", "%s (Python %s)%s%s", py.buf, v, devstack ? "; from " : "",
	    sb_str(&from));
	sb_release(&dpy);
	sb_release(&from);
	free(v);
	check_module(c, out.buf, py.buf, "greenlet", "install it for this interpreter "
		     "(Debian: apt-get install python3-greenlet)");
	check_module(c, out.buf, py.buf, "eventlet", "install it for this interpreter "
		     "(Debian: apt-get install python3-eventlet)");
	struct strbuf fix = STRBUF_INIT;
	sb_addf(&fix, "run 'make install PYTHON=%s' in the greenbench tree to install the profiler",
		py.buf);
	check_module(c, out.buf, py.buf, "greenprof", fix.buf);
	char *pth = probe_line(out.buf, "pth");
	char *state = field(pth, 0), *where = field(pth, 1);
	if (!strcmp(state, "ok"))
		add(c, DOCTOR_OK, "profiler bootstrap", "%s", where);
	else
		add(c, DOCTOR_FAIL, "profiler bootstrap", "greenbench-profile.pth is in none of %s's "
			"site dirs (%s), so GREENBENCH_PROFILE will be ignored; %s", py.buf,
			*where ? where : "none", fix.buf);
	free(state);
	free(where);
	sb_release(&fix);
	sb_release(&py);
	sb_release(&out);
}

/* ---- tools ---- */

static bool needs_rpc(const struct unitsfile *uf)
{
	if (!uf)
		return false;
	for (size_t i = 0; i < uf->n_units; i++)
		if (uf->units[i].ready.kind == UF_READY_RPC)
			return true;
	return uf->fake.present && uf->fake.ready.kind == UF_READY_RPC;
}

/* rabbitmqctl as units.c finds it: the units file's, GREENBENCH_RABBITMQCTL, PATH. */
static int find_rabbitmqctl(const struct unitsfile *uf, struct strbuf *out, struct gb_err *err)
{
	if (uf && uf->rabbitmqctl)
		return proc_which(uf->rabbitmqctl, NULL, out, err);
	return proc_which("rabbitmqctl", "GREENBENCH_RABBITMQCTL", out, err);
}

static void check_tool(struct doctor_ctx *c, const char *tool, const char *env,
		       enum doctor_status missing, const char *why)
{
	struct strbuf p = STRBUF_INIT, name = STRBUF_INIT;
	struct gb_err err = { GB_EXIT_ENV, "" };
	sb_addf(&name, "tool %s", tool);
	if (proc_which(tool, env, &p, &err) == 0)
		add(c, DOCTOR_OK, name.buf, "%s", p.buf);
	else
		add(c, missing, name.buf, "%s; %s", err.msg, why);
	sb_release(&p);
	sb_release(&name);
}

static void check_tools(struct doctor_ctx *c)
{
	check_tool(c, "git", NULL, DOCTOR_WARN, "scenarios with patches need it "
		   "(apt-get install git)");
	check_tool(c, "patch", NULL, DOCTOR_WARN, "patches to trees that are not git "
		   "checkouts need it (apt-get install patch)");
	if (c->o->units_file && c->uf && c->uf->backend == SC_BACKEND_PROCESS) {
		add(c, DOCTOR_OK, "tool systemctl", "not needed: %s uses the process backend",
		    c->uf->path);
	} else if (c->o->units_file && !c->uf) {
		add(c, DOCTOR_WARN, "tool systemctl", "not checked: the units file does not parse "
			"(see 'units file' below)");
	} else {
		check_tool(c, "systemctl", "GREENBENCH_SYSTEMCTL", DOCTOR_FAIL,
			   "the systemd backend needs it; on a host without systemd give --units "
			   "FILE for the process backend");
		struct stat st;
		if (!getenv("GREENBENCH_SYSTEMCTL") && stat("/run/systemd/system", &st) != 0)
			add(c, DOCTOR_WARN, "systemd", "systemd is not running here (no "
				"/run/systemd/system); give --units FILE with the process backend");
	}
	struct strbuf p = STRBUF_INIT;
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (find_rabbitmqctl(c->uf, &p, &err) == 0)
		add(c, DOCTOR_OK, "tool rabbitmqctl", "%s", p.buf);
	else if (needs_rpc(c->uf))
		add(c, DOCTOR_FAIL, "tool rabbitmqctl", "%s; %s has rpc readiness probes, which "
			"need it: install rabbitmq-server or set GREENBENCH_RABBITMQCTL", err.msg,
			c->uf->path);
	else
		add(c, DOCTOR_WARN, "tool rabbitmqctl", "%s; rpc readiness probes need it "
			"(install rabbitmq-server or set GREENBENCH_RABBITMQCTL)", err.msg);
	sb_release(&p);
}

/* ---- state directory, journal, run lock ---- */

/* The pid holding a flock on path according to /proc/locks: > 0 a holder,
 * 0 none, -1 /proc/locks could not be read. */
static long flock_holder(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	FILE *f = fopen("/proc/locks", "re");
	if (!f)
		return -1;
	char line[256];
	long holder = 0;
	while (!holder && fgets(line, sizeof(line), f)) {
		char kind[16];
		long pid;
		unsigned maj, min;
		unsigned long ino;
		if (strstr(line, "->")) /* a waiter, not a holder */
			continue;
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, &pid, &maj, &min, &ino) == 5 &&
		    !strcmp(kind, "FLOCK") && maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long)st.st_ino)
			holder = pid;
	}
	fclose(f);
	return holder;
}

static bool pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void check_state(struct doctor_ctx *c)
{
	struct strbuf dir = STRBUF_INIT, lock = STRBUF_INIT;
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (journal_state_dir(c->o->state_dir, &dir, &err) != 0) {
		add(c, DOCTOR_FAIL, "state dir", "%s; give --state-dir DIR on a writable file system",
		    err.msg);
		sb_release(&dir);
		return;
	}
	struct stat st;
	if (stat(dir.buf, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir.buf, W_OK | X_OK) != 0)
		add(c, DOCTOR_FAIL, "state dir", "%s is not a directory we can write; fix its owner "
			"and mode or give --state-dir DIR", dir.buf);
	else if (st.st_mode & 0022)
		add(c, DOCTOR_WARN, "state dir", "%s is writable by others (mode %03o); chmod 700 "
			"it: the journal decides what restore writes", dir.buf, (unsigned)st.st_mode & 0777);
	else
		add(c, DOCTOR_OK, "state dir", "%s", dir.buf);

	sb_addf(&lock, "%s/lock", dir.buf);
	long holder = flock_holder(lock.buf), left = 0;
	char buf[32] = "";
	FILE *f = fopen(lock.buf, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			left = strtol(buf, NULL, 10);
		fclose(f);
	}
	/* A run writes its pid in and truncates the file when it ends: a live pid
	 * there is a holder even when /proc/locks cannot tell (unreadable, or a
	 * file system that reports other device numbers there). */
	if (holder <= 0)
		holder = pid_alive(left) ? left : 0;
	if (holder > 0)
		add(c, DOCTOR_WARN, "run lock", "held by a running greenbench (pid %ld); a run now "
			"would be refused until it finishes", holder);
	else if (left > 0)
		add(c, DOCTOR_OK, "run lock", "free (pid %ld died holding it; the next run takes it "
			"over)", left);
	else
		add(c, DOCTOR_OK, "run lock", "free");

	if (!journal_exists(dir.buf))
		add(c, DOCTOR_OK, "journal", "no interrupted run waiting");
	else if (holder > 0)
		add(c, DOCTOR_OK, "journal", "%s/journal belongs to the run in progress (pid %ld)",
		    dir.buf, holder);
	else
		add(c, DOCTOR_FAIL, "journal", "an interrupted run left %s/journal: its host changes "
			"are still in place; run 'greenbench restore%s%s'", dir.buf,
			c->o->state_dir ? " --state-dir " : "", c->o->state_dir ? c->o->state_dir : "");
	sb_release(&dir);
	sb_release(&lock);
}

/* ---- results store ---- */

static void check_store(struct doctor_ctx *c)
{
	struct strbuf path = STRBUF_INIT;
	struct gb_err err = { GB_EXIT_ENV, "" };
	struct store *db = NULL;
	struct stat st;
	if (store_default_path(c->o->db, &path, &err) != 0)
		add(c, DOCTOR_FAIL, "store", "%s", err.msg);
	else if (stat(path.buf, &st) != 0 && errno == ENOENT)
		add(c, DOCTOR_OK, "store", "%s does not exist yet; the first run creates it", path.buf);
	else if (store_open(path.buf, 0, &db, &err) != 0)
		add(c, DOCTOR_FAIL, "store", "%s; move the file away or give --db FILE", err.msg);
	else
		add(c, DOCTOR_OK, "store", "%s opens", path.buf);
	store_close(db);
	sb_release(&path);
}

/* ---- cloud: credentials, keystone, catalog ---- */

/* Is the host of url 127.0.0.1, ::1 or localhost? */
static bool url_is_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	if (!h)
		return false;
	h += 3;
	static const char *const ok[] = { "127.0.0.1", "localhost", "[::1]" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(ok); i++) {
		size_t n = strlen(ok[i]);
		if (!strncmp(h, ok[i], n) && (h[n] == '\0' || h[n] == ':' || h[n] == '/'))
			return true;
	}
	return false;
}

static void check_cloud(struct doctor_ctx *c)
{
	struct os_creds creds;
	memset(&creds, 0, sizeof(creds));
	struct gb_err err = { GB_EXIT_ENV, "" };
	const char *env_cloud = getenv("OS_CLOUD");
	if (clouds_resolve(c->o->cloud, NULL, &creds, &err) != 0) {
		bool asked = c->o->cloud || (env_cloud && *env_cloud);
		add(c, asked ? DOCTOR_FAIL : DOCTOR_WARN, "credentials", "%s", err.msg);
		return;
	}
	add(c, DOCTOR_OK, "credentials", "%s: user %s, project %s at %s", creds.source,
	    creds.username ? creds.username : creds.user_id ? creds.user_id : "?",
	    creds.project_name ? creds.project_name : creds.project_id ? creds.project_id : "?",
	    creds.auth_url ? creds.auth_url : "?");
	if (!creds.auth_url || !url_is_loopback(creds.auth_url)) {
		add(c, DOCTOR_WARN, "keystone", "not contacted: %s is not a loopback address "
			"(doctor only probes 127.0.0.1/localhost)", creds.auth_url ? creds.auth_url : "no auth_url");
		os_creds_free(&creds);
		return;
	}
	struct osapi *api = osapi_new(&creds, &err);
	if (!api) {
		add(c, DOCTOR_FAIL, "keystone", "%s", err.msg);
		os_creds_free(&creds);
		return;
	}
	struct osapi_opts *oo = osapi_options(api);
	oo->connect_timeout = 5;
	oo->timeout = 20;
	oo->max_retries = 0;
	if (osapi_authenticate(api, &err) != 0) {
		add(c, DOCTOR_FAIL, "keystone", "%s", err.msg);
	} else {
		add(c, DOCTOR_OK, "keystone", "token issued by %s", creds.auth_url);
		static const char *const services[] = { "compute", "image", "placement" };
		for (size_t i = 0; i < GB_ARRAY_SIZE(services); i++) {
			const char *url = NULL;
			struct strbuf name = STRBUF_INIT;
			sb_addf(&name, "catalog %s", services[i]);
			if (osapi_endpoint(api, services[i], &url, &err) == 0)
				add(c, DOCTOR_OK, name.buf, "%s", url);
			else
				add(c, DOCTOR_FAIL, name.buf, "%s", err.msg);
			sb_release(&name);
		}
	}
	osapi_free(api);
	os_creds_free(&creds);
}

/* ---- units ---- */

static void check_unit(struct doctor_ctx *c, struct units *u, const struct uf_unit *d,
		       const char *rabbitmqctl)
{
	struct strbuf name = STRBUF_INIT, what = STRBUF_INIT, why = STRBUF_INIT;
	struct gb_err err = { GB_EXIT_ENV, "" };
	sb_addf(&name, "unit %s", d->name);
	units_describe_probe(&d->ready, &what);
	bool ready = false;
	int rc = 0;
	switch (d->ready.kind) {
	case UF_READY_TCP: ready = units_probe_tcp(d->ready.target); break;
	case UF_READY_HTTP: ready = units_probe_http(d->ready.target, &why); break;
	case UF_READY_RPC:
		if (!rabbitmqctl)
			rc = gb_errf(&err, GB_EXIT_ENV, "no rabbitmqctl to ask (see 'tool rabbitmqctl')");
		else
			rc = units_probe_rpc(rabbitmqctl, d->ready.target, &ready, &why, &err);
		break;
	default: rc = units_is_running(u, d->name, &ready, &err); break;
	}
	if (rc != 0)
		add(c, DOCTOR_FAIL, name.buf, "cannot probe (%s): %s", what.buf, err.msg);
	else if (ready)
		add(c, DOCTOR_OK, name.buf, "ready (%s)", what.buf);
	else
		add(c, DOCTOR_FAIL, name.buf, "not ready: waited for %s%s%s; start it (after an "
			"interrupted run: greenbench restore) or read %s", what.buf, why.len ? "; " : "",
			sb_str(&why), d->log ? d->log : "its log");
	sb_release(&name);
	sb_release(&what);
	sb_release(&why);
}

static void check_units(struct doctor_ctx *c)
{
	if (!c->o->units_file) {
		add(c, DOCTOR_OK, "units file", "none given: the systemd backend (devstack@NAME "
			"units); give --units FILE to probe each unit's readiness");
		return;
	}
	if (!c->uf) {
		add(c, DOCTOR_FAIL, "units file", "%s", c->uf_err.msg);
		return;
	}
	add(c, DOCTOR_OK, "units file", "%s: %zu units, %s backend%s", c->uf->path, c->uf->n_units,
	    c->uf->backend == SC_BACKEND_PROCESS ? "process" : "systemd",
	    c->uf->fake.present ? ", fake-compute template" : "");
	struct units *u = NULL;
	struct gb_err err = { GB_EXIT_ENV, "" };
	if (units_open(c->uf, c->uf->backend, &u, &err) != 0) {
		add(c, DOCTOR_FAIL, "units", "%s", err.msg);
		return;
	}
	struct strbuf rq = STRBUF_INIT;
	bool have_rq = find_rabbitmqctl(c->uf, &rq, &err) == 0;
	for (size_t i = 0; i < c->uf->n_units; i++)
		check_unit(c, u, &c->uf->units[i], have_rq ? rq.buf : NULL);
	sb_release(&rq);
	units_close(u);
}

/* ---- public ---- */

void doctor_run(const struct doctor_opts *o, struct doctor_report *r)
{
	struct doctor_ctx c = { .o = o, .r = r, .uf_err = { GB_EXIT_USAGE, "" } };
	if (o->units_file && unitsfile_load(o->units_file, &c.uf, &c.uf_err) != 0)
		c.uf = NULL;
	check_python(&c);
	check_tools(&c);
	check_state(&c);
	check_store(&c);
	check_cloud(&c);
	check_units(&c);
	unitsfile_free(c.uf);
}

void doctor_report_free(struct doctor_report *r)
{
	for (size_t i = 0; i < r->n_checks; i++) {
		free(r->checks[i].name);
		free(r->checks[i].detail);
	}
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

size_t doctor_count(const struct doctor_report *r, enum doctor_status s)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_checks; i++)
		n += r->checks[i].status == s;
	return n;
}

const char *doctor_status_word(enum doctor_status s)
{
	return s == DOCTOR_OK ? "ok" : s == DOCTOR_WARN ? "WARN" : "FAIL";
}

/*
 * units_devstack.c - a devstack host's units read off /etc/systemd/system: the
 * devstack@NAME.service units, their readiness probes, and the fake-compute template
 * (devstack@n-cpu-1: its ExecStart, its last --config-file with host and state_path).
 * Reads only: never writes, never starts anything, never prints.
 */
#define _GNU_SOURCE
#include "units/units_devstack.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"

#define UNIT_MAX (1u << 20)
#define READY_SECS 180.0 /* a devstack unit's start-up until its probe passes */
#define STOP_SECS 10.0   /* SIGTERM until the leftovers get SIGKILL (devstack: 300) */

/* ---- reading unit and ini texts ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void trimmed(const char *s, size_t n, struct strbuf *out)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	sb_reset(out);
	sb_add(out, s, n);
}

/* KEY's value on the line at p ("KEY = v" / "KEY=v"), or NULL. */
static const char *line_value(const char *p, const char *key, size_t *vlen)
{
	p = skip_ws(p);
	size_t kl = strlen(key);
	if (strncmp(p, key, kl))
		return NULL;
	p = skip_ws(p + kl);
	if (*p != '=')
		return NULL;
	p = skip_ws(p + 1);
	*vlen = strcspn(p, "\n");
	return p;
}

bool units_devstack_unit_key(const char *text, const char *key, struct strbuf *out)
{
	bool found = false;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n;
		const char *v = line_value(p, key, &n);
		if (v) {
			trimmed(v, n, out);
			found = true;
		}
	}
	return found;
}

/* The value of KEY in section SECTION of an ini text, into out; false when absent. */
static bool ini_key(const char *text, const char *section, const char *key, struct strbuf *out)
{
	bool in = false, found = false;
	size_t sl = strlen(section);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = skip_ws(p);
		if (*q == '[') {
			in = !strncmp(q + 1, section, sl) && q[1 + sl] == ']';
			continue;
		}
		size_t n;
		const char *v = in ? line_value(q, key, &n) : NULL;
		if (v) {
			trimmed(v, n, out);
			found = true;
		}
	}
	return found;
}

/* ExecStart split on blanks (devstack writes no quotes); NULL-terminated, caller frees. */
static char **split_words(const char *s, size_t *argc)
{
	char **v = gb_calloc(strlen(s) / 2 + 2, sizeof(char *));
	size_t n = 0;
	while (*(s = skip_ws(s))) {
		size_t l = strcspn(s, " \t");
		v[n++] = gb_strndup(s, l);
		s += l;
	}
	*argc = n;
	return v;
}

static void words_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* The unit's ExecStart words and the path of its last --config-file (or NULL). */
static char **unit_exec(const char *text, size_t *argc, const char **last_conf)
{
	struct strbuf es = STRBUF_INIT;
	*last_conf = NULL;
	if (!units_devstack_unit_key(text, "ExecStart", &es)) {
		*argc = 0;
		return NULL;
	}
	char **v = split_words(es.buf, argc);
	sb_release(&es);
	if (*argc >= 3 && !strcmp(v[*argc - 2], "--config-file"))
		*last_conf = v[*argc - 1];
	return v;
}

/* The host of a compute unit: [DEFAULT] host of its last --config-file. */
static bool compute_host(const char *sddir, const char *name, struct strbuf *host)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, conf = STRBUF_INIT;
	sb_addf(&path, "%s/devstack@%s.service", sddir, name);
	bool ok = false;
	if (gb_read_file(path.buf, UNIT_MAX, &text, NULL) == 0) {
		size_t argc;
		const char *last;
		char **v = unit_exec(sb_str(&text), &argc, &last);
		ok = last && gb_read_file(last, UNIT_MAX, &conf, NULL) == 0 &&
		     ini_key(sb_str(&conf), "DEFAULT", "host", host);
		words_free(v);
	}
	sb_release(&path);
	sb_release(&text);
	sb_release(&conf);
	return ok;
}

/* ---- the units ---- */

static void add_unit(struct unitsfile *uf, const char *sddir, const char *name)
{
	uf->units = gb_realloc(uf->units, (uf->n_units + 1) * sizeof(*uf->units));
	struct uf_unit *d = &uf->units[uf->n_units++];
	memset(d, 0, sizeof(*d));
	d->name = gb_strdup(name);
	d->argv = gb_calloc(1, sizeof(char *));
	d->env = gb_calloc(1, sizeof(char *));
	d->ready_timeout = READY_SECS;
	d->stop_timeout = STOP_SECS;
	struct strbuf host = STRBUF_INIT;
	/* devstack's services answer on their RPC queues; the APIs are active once uwsgi
	 * says READY (Type=notify) */
	if (!strcmp(name, "n-sch") || !strcmp(name, "n-cond")) {
		d->ready.kind = UF_READY_RPC;
		d->ready.target = gb_strdup(!strcmp(name, "n-sch") ? "scheduler" : "conductor");
	} else if (!strncmp(name, "n-cpu", 5) && compute_host(sddir, name, &host)) {
		d->ready.kind = UF_READY_RPC;
		struct strbuf q = STRBUF_INIT;
		sb_addf(&q, "compute.%s", host.buf);
		d->ready.target = sb_detach(&q);
	}
	sb_release(&host);
}

static int cmp_unit(const void *a, const void *b)
{
	return strcmp(((const struct uf_unit *)a)->name, ((const struct uf_unit *)b)->name);
}

static void list_units(struct unitsfile *uf, const char *sddir)
{
	DIR *d = opendir(sddir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 17 || strncmp(de->d_name, "devstack@", 9) || strcmp(de->d_name + n - 8, ".service"))
			continue;
		char *name = gb_strndup(de->d_name + 9, n - 17);
		add_unit(uf, sddir, name);
		free(name);
	}
	if (d)
		closedir(d);
	qsort(uf->units, uf->n_units, sizeof(*uf->units), cmp_unit);
}

/* cell_v2 discover_hosts after new computes are up, as devstack runs it: nova-manage next
 * to nova-compute, with the conductor's (else the scheduler's) first --config-file, as
 * the units' user (so nothing it writes is root's). */
static void discover_hosts(struct uf_fake_compute *f, const char *sddir, char *const *argv)
{
	struct strbuf nm = STRBUF_INIT, conf = STRBUF_INIT, text = STRBUF_INIT, path = STRBUF_INIT,
		      ru = STRBUF_INIT;
	const char *slash = strrchr(argv[0], '/');
	if (!slash)
		return;
	sb_addf(&nm, "%.*s/nova-manage", (int)(slash - argv[0]), argv[0]);
	if (access(nm.buf, X_OK) != 0)
		goto out;
	static const char *const from[] = { "n-cond", "n-super-cond", "n-cond-cell1", "n-sch" };
	for (size_t i = 0; i < GB_ARRAY_SIZE(from) && !conf.len; i++) {
		sb_reset(&path);
		sb_reset(&text);
		sb_addf(&path, "%s/devstack@%s.service", sddir, from[i]);
		if (gb_read_file(path.buf, UNIT_MAX, &text, NULL) != 0)
			continue;
		size_t argc;
		const char *last;
		char **v = unit_exec(sb_str(&text), &argc, &last);
		for (size_t k = 0; k + 1 < argc && !conf.len; k++)
			if (!strcmp(v[k], "--config-file"))
				sb_addstr(&conf, v[k + 1]);
		words_free(v);
	}
	if (!conf.len)
		sb_addstr(&conf, "/etc/nova/nova.conf");
	bool as_user = geteuid() == 0 && f->user && strcmp(f->user, "root") &&
		       proc_which("runuser", NULL, &ru, NULL) == 0;
	size_t n = 0;
	f->after_start = gb_calloc(10, sizeof(char *));
	if (as_user) {
		f->after_start[n++] = sb_detach(&ru);
		f->after_start[n++] = gb_strdup("-u");
		f->after_start[n++] = gb_strdup(f->user);
		f->after_start[n++] = gb_strdup("--");
	}
	f->after_start[n++] = sb_detach(&nm);
	f->after_start[n++] = gb_strdup("--config-file");
	f->after_start[n++] = sb_detach(&conf);
	f->after_start[n++] = gb_strdup("cell_v2");
	f->after_start[n++] = gb_strdup("discover_hosts");
	f->after_start_argc = n;
out:
	sb_release(&nm);
	sb_release(&conf);
	sb_release(&text);
	sb_release(&path);
	sb_release(&ru);
}

/* ---- the template ---- */

static int fake_template(struct unitsfile *uf, const char *sddir, const char *unit_path,
			 struct gb_err *err)
{
	struct uf_fake_compute *f = &uf->fake;
	struct strbuf text = STRBUF_INIT, conf = STRBUF_INIT, v = STRBUF_INIT;
	size_t argc = 0;
	const char *last = NULL;
	char **argv = NULL;
	int rc = gb_read_file(unit_path, UNIT_MAX, &text, err);
	if (rc == 0) {
		argv = unit_exec(sb_str(&text), &argc, &last);
		if (!last)
			rc = gb_errf(err, GB_EXIT_ENV, "%s: ExecStart does not end in --config-file FILE "
						       "(devstack's fake compute config); cannot copy it "
						       "for more fake computes: give a units file with a "
						       "fake_compute: template", unit_path);
	}
	if (rc == 0)
		rc = gb_read_file(last, UNIT_MAX, &conf, err);
	if (rc == 0 && (!ini_key(sb_str(&conf), "DEFAULT", "host", &v) || !v.len))
		rc = gb_errf(err, GB_EXIT_ENV, "%s: no [DEFAULT] host (named by %s's ExecStart); "
					       "cannot name more fake computes", last, unit_path);
	size_t ll = last ? strlen(last) : 0;
	if (rc == 0 && (v.buf[v.len - 1] != '1' || last[ll - 1] != '1'))
		rc = gb_errf(err, GB_EXIT_ENV, "%s: host '%s' and config %s do not end in 1 as "
					       "devstack names them (HOSTNAME1, nova-fake.conf-1); "
					       "give a units file with a fake_compute: template",
			     unit_path, v.buf, last);
	if (rc == 0) {
		f->present = true;
		f->unit_prefix = gb_strdup("n-cpu-");
		f->host_prefix = gb_strndup(v.buf, v.len - 1);
		f->tmpl_host = sb_detach(&v);
		struct strbuf s = STRBUF_INIT;
		sb_addf(&s, "%.*s{n}", (int)(ll - 1), last);
		f->conf_pattern = sb_detach(&s);
		const char *slash = strrchr(last, '/');
		f->conf_dir = slash && slash != last ? gb_strndup(last, (size_t)(slash - last))
						     : gb_strdup("/");
		f->tmpl_conf = gb_strdup(last);
		if (ini_key(sb_str(&conf), "DEFAULT", "state_path", &v) && v.len)
			f->tmpl_state_path = sb_detach(&v);
		if (units_devstack_unit_key(sb_str(&text), "User", &v) && v.len)
			f->user = sb_detach(&v);
		f->tmpl_unit_text = sb_detach(&text);
		f->tmpl_conf_text = sb_detach(&conf);
		/* argv without the last --config-file: units_fake_def appends number N's */
		f->argc = argc - 2;
		f->argv = gb_calloc(argc - 1, sizeof(char *));
		for (size_t i = 0; i < f->argc; i++)
			f->argv[i] = gb_strdup(argv[i]);
		f->env = gb_calloc(1, sizeof(char *));
		f->ready.kind = UF_READY_RPC;
		f->ready.target = gb_strdup("compute.{host}");
		f->ready_timeout = READY_SECS;
		f->stop_timeout = STOP_SECS;
		discover_hosts(f, sddir, argv);
	}
	words_free(argv);
	sb_release(&text);
	sb_release(&conf);
	sb_release(&v);
	return rc;
}

int units_devstack_infer(const char *systemd_dir, struct unitsfile **out, struct gb_err *err)
{
	*out = NULL;
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/devstack@n-cpu-1.service", systemd_dir);
	if (access(path.buf, F_OK) != 0) {
		sb_release(&path);
		return 0;
	}
	struct unitsfile *uf = gb_calloc(1, sizeof(*uf));
	uf->version = 1;
	uf->backend = SC_BACKEND_SYSTEMD;
	uf->path = gb_strdup(path.buf);
	int rc = fake_template(uf, systemd_dir, path.buf, err);
	if (rc == 0)
		list_units(uf, systemd_dir);
	sb_release(&path);
	if (rc != 0) {
		unitsfile_free(uf);
		return -1;
	}
	*out = uf;
	return 0;
}

/*
 * unitsfile.h - the units file (YAML, version 1; harness/INTERFACES.md §B): how
 * greenbench finds and manages services: backend, devstack variables, each
 * unit's argv/env/log/readiness probe, the fake-compute template.
 * Parsing never touches the host. Aliases and anchors are refused.
 */
#ifndef GB_UNITSFILE_H
#define GB_UNITSFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"
#include "scenario/scenario.h"

enum uf_ready { UF_READY_NONE = 0, UF_READY_TCP, UF_READY_HTTP, UF_READY_RPC };

struct uf_probe {
	enum uf_ready kind;
	char *target; /* "127.0.0.1:8774", "http://127.0.0.1:5000/v3", queue name; NULL for none.
		       * http is ready on 2xx or 300 (version documents, e.g. glance's GET /) */
};

struct uf_unit {
	char *name;          /* "n-sch" */
	char **argv;         /* NULL-terminated; empty for systemd-only entries */
	size_t argc;
	char **env;          /* "KEY=VALUE", NULL-terminated */
	size_t n_env;
	char *cwd;           /* NULL: / */
	char *log;           /* NULL: /dev/null */
	struct uf_probe ready;
	double ready_timeout; /* seconds, default 60 */
	double stop_timeout;  /* seconds, default 10 */
	int line;
};

struct uf_fake_compute {
	bool present;
	char *unit_prefix; /* "n-cpu-" */
	char *host_prefix; /* "fake-" */
	char **argv;
	size_t argc;
	char *conf_dir;
	char **env;
	size_t n_env;
	char *cwd;
	char *log_dir;
	struct uf_probe ready; /* target may contain {host} */
	double ready_timeout, stop_timeout;
	char **after_start;    /* argv run once after new fakes are ready (e.g. nova-manage
				* cell_v2 discover_hosts, as devstack does), or NULL */
	size_t after_start_argc;
	/* inferred from a devstack host's devstack@n-cpu-1 (units_devstack.c), else NULL:
	 * each new n-cpu-N is a copy of that unit and of its config, as devstack writes them */
	char *conf_pattern;    /* "/etc/nova/nova-fake.conf-{n}": config path of number n */
	char *tmpl_conf;       /* n-cpu-1's fake config path, as its ExecStart names it */
	char *tmpl_unit_text;  /* devstack@n-cpu-1.service, verbatim */
	char *tmpl_conf_text;  /* its fake config file, verbatim */
	char *tmpl_host;       /* its host ("gb-bookworm1"); state_path values contain it */
	char *tmpl_state_path; /* its state_path, or NULL */
	char *user;            /* its User= (owner of a new state_path), or NULL */
	int line;
};

struct unitsfile {
	char *path;
	int version;
	enum sc_backend backend;
	char *state_dir;    /* process backend: <unit>.pid files */
	char *rabbitmqctl;  /* NULL: "rabbitmqctl" on PATH */
	char **var_names, **var_values;
	size_t n_vars;
	struct uf_unit *units;
	size_t n_units;
	struct uf_fake_compute fake;
};

int unitsfile_load(const char *path, struct unitsfile **out, struct gb_err *err);
int unitsfile_load_buffer(const char *name, const char *data, size_t len,
			  struct unitsfile **out, struct gb_err *err);
void unitsfile_free(struct unitsfile *uf);
const struct uf_unit *unitsfile_find(const struct unitsfile *uf, const char *name);

/* Free a probe's strings. */
void unitsfile_probe_free(struct uf_probe *p);

#endif

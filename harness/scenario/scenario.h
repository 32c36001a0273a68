/*
 * scenario.h - a validated greenbench scenario (schema v1; documented in
 * scenarios/README.md). scenario_load() turns a YAML file into this struct or
 * into one error naming file:line:column and the field. Loading never touches
 * the host; the struct owns every string in it (scenario_free releases all).
 */
#ifndef GB_SCENARIO_H
#define GB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

/* Keystone v3 password credentials given inline instead of a clouds.yaml entry. */
struct sc_auth {
	char *auth_url;            /* "http://127.0.0.1:5000/v3" */
	char *username;
	char *password;            /* never printed, never stored */
	char *project_name;
	char *user_domain_name;    /* default "Default" */
	char *project_domain_name; /* default "Default" */
	char *region_name;         /* NULL: any region */
	char *interface;           /* "public" (default), "internal", "admin" */
};

enum sc_backend { SC_BACKEND_SYSTEMD = 0, SC_BACKEND_PROCESS };

struct sc_units {
	enum sc_backend backend; /* systemd: devstack@NAME via systemctl */
	char *file;              /* units file (process backend, or probes for systemd); NULL if none */
	int line;                /* where `units` was given, for later errors */
};

/* One `key = value` to set in `[section]` of a config file ("$NOVA_CONF" or a path). */
struct sc_setting {
	char *file;    /* "$NOVA_CONF" or a path as written */
	char *section; /* "filter_scheduler" */
	char *key;     /* "enabled_filters" */
	char *value;   /* "" allowed; NULL when copy_from is set */
	int line;      /* line in the scenario, for errors from the merge */
	char *copy_from; /* {copy_from: $NOVA_CONF}: the value of the same [section] key in
			    that file, read when the run applies the config (so a secret such
			    as a database URL never sits in the scenario); else NULL */
};

struct sc_patch {
	char *path; /* the patch file, resolved against the scenario's directory */
	char *tree; /* the source tree it applies to (e.g. /opt/stack/nova); NULL: cwd of run */
	int line;
};

struct sc_profile {
	char *unit;   /* "n-sch" */
	char *target; /* "nova.scheduler.manager:SchedulerManager.select_destinations" */
	int line;
};

enum sc_step_kind {
	SC_STEP_CREATE_SERVERS = 0, /* create (and delete) servers through the API */
	SC_STEP_WAIT_CALLS,         /* wait until a profiled target has been called N times */
	SC_STEP_REQUEST,            /* any REST request: method, service, path, body... */
};

#define SC_REQ_MAX_PLACEHOLDERS 16

/* A `request:` step (scenarios/README.md, "request"). Strings may hold placeholders:
 * {name} (a unique name per request), {i} (its index), {repeat}, or the `as:` name of an
 * earlier request step (one of the ids it created, round robin); {id} only in `delete`. */
struct sc_request {
	char *method;         /* GET POST PUT PATCH DELETE HEAD */
	char *service;        /* catalog type: compute, placement, image, identity, network... */
	char *path;           /* "/flavors", "/servers/{servers}", starts with '/' */
	char *body;           /* the JSON body (compact, from YAML), or NULL */
	char *microversion;   /* "2.55" or "placement 1.10", or NULL (compute: 2.37) */
	int expect;           /* the expected HTTP status; 0: any 2xx */
	double rate;          /* constant rate: requests per second; 0: as fast as concurrency */
	double duration;      /* with rate: seconds to keep the rate (count = rate * duration) */
	bool is_paged;        /* GET: follow the answer's *_links rel=next pages */
	char *id_field;       /* `id:` dotted field of the created resource's id in the answer
			         ("flavor.id"), or NULL: the request creates nothing */
	char *delete_path;    /* `delete:` path to delete it ("/flavors/{id}"), with id_field */
	char *find;           /* `find:` a GET listing what the step creates by name
			         ("/flavors/detail"), so restore finds one whose create was never
			         answered; NULL: none */
	char *as;             /* `as:` the name later steps use for the ids ({flavors}), or NULL */
	char *label;          /* `name:` as shown in progress lines; default "METHOD path" */
};

struct sc_step {
	enum sc_step_kind kind;
	int line;
	int count;            /* create_servers: servers per repeat, 1..10000, default 1;
				 wait_calls: calls to wait for per repeat, 1..10000, required */
	int concurrency;      /* in-flight creates, 1..count */
	char *image;          /* name or id */
	char *flavor;         /* name or id */
	char *networks;       /* "none" (default), "auto", or a network name/id */
	char *wait;           /* "ACTIVE" (default) or "none" */
	double timeout;       /* seconds to reach `wait` (default 120), or for wait_calls
				 to see `count` calls (default 300) */
	bool do_delete;       /* delete after the step (default true) */
	double delete_timeout; /* seconds to be gone, default 120 */
	char *name_prefix;    /* default "greenbench" */
	/* wait_calls only */
	char *target;         /* as written: "module:Qual.name" or its function name */
	int profile_index;    /* the profile target it names (index into scenario.profiles);
				 -1 for create_servers */
	struct sc_request req; /* request only */
};

enum sc_sla_op { SC_SLA_MAX = 1, SC_SLA_MIN = 2 };

/* What an SLA metric measures (grammar in scenarios/README.md). */
enum sc_sla_kind {
	SC_SLA_CREATE_SERVERS = 0, /* create_servers.<measure>.<stat> */
	SC_SLA_PROFILE,            /* profile.<function>.<measure>.<stat> */
	SC_SLA_ERRORS,             /* errors.count */
};

/* "create_servers.latency.p95: {max: 30s}" */
struct sc_sla {
	char *metric; /* "create_servers.latency.p95", as written */
	enum sc_sla_kind kind;
	char *measure; /* post|active|delete|latency, cumtime|tottime|ncalls, or "errors" */
	char *stat;    /* mean|median|p50|p90|p95|p99|max, or "count" for errors.count */
	int profile_index; /* SC_SLA_PROFILE: index into scenario.profiles, else -1 */
	bool is_duration;  /* max/min are seconds (else plain numbers: ncalls, errors) */
	unsigned ops; /* SC_SLA_MAX | SC_SLA_MIN */
	double max, min; /* seconds for durations, plain numbers otherwise */
	int line;
};

struct scenario {
	char *path;        /* as given */
	char *dir;         /* directory of the file (absolute for scenario_load): relative
			      paths in the scenario resolve against it */
	char sha256[65];   /* hex SHA-256 of the file's bytes, for the results store */
	int version;       /* 1 */
	char *name;        /* [A-Za-z0-9_.-]{1,64} */
	char *description; /* optional */
	char *cloud;       /* clouds.yaml entry, or NULL (neither cloud nor auth: use
			      OS_CLOUD / OS_* from the environment, like openstacksdk) */
	int cloud_line;    /* line of `cloud:` or `auth:`, 0 if neither */
	bool has_auth;     /* inline auth: block given */
	struct sc_auth auth;
	struct sc_units units;
	char *local_conf;  /* path to a local.conf fragment (resolved), or NULL */
	int local_conf_line;
	struct sc_setting *settings; /* inline `config:` settings, in file order, applied
					after local_conf */
	size_t n_settings;
	int fake_computes; /* -1: leave the host's count alone; else 0..1000 */
	struct sc_patch *patches;
	size_t n_patches;
	struct sc_profile *profiles;
	size_t n_profiles;
	char **restart;    /* unit names to restart, in order; every profile unit is in it */
	size_t n_restart;
	struct sc_step *steps;
	size_t n_steps;
	int repeat;        /* 1..1000, default 1 */
	struct sc_sla *slas;
	size_t n_slas;
};

/*
 * Load and validate path. On success returns 0 and *out is a scenario the
 * caller frees with scenario_free(). On failure returns -1 with err->msg like
 * "scenarios/bad.yaml:2:16: fake_computes: expected an integer 0..1000, got 'many'".
 * Reads only path (at most 1 MiB) and checks that local_conf and patch files are
 * readable; changes nothing.
 */
int scenario_load(const char *path, struct scenario **out, struct gb_err *err);

/*
 * Same, from a buffer; `name` is used in messages and `dir` (NULL: ".") to
 * resolve relative paths. Unlike scenario_load it does not check that
 * local_conf and patch files exist: it never touches the filesystem.
 */
int scenario_load_buffer(const char *name, const char *dir, const char *data, size_t len,
			 struct scenario **out, struct gb_err *err);

/* The function name an SLA or a wait_calls step uses for a target: its last component
 * ("select_destinations" for "nova.scheduler.manager:SchedulerManager.select_destinations"). */
const char *scenario_target_function(const char *target);

/* True when profile target i is waited for by a wait_calls step: its dumps are not tied
 * to the create requests' ids (a periodic task, an internal call). */
bool scenario_target_is_waited(const struct scenario *sc, size_t i);

/* True when the workload has a create_servers step (it needs the cloud's API). */
bool scenario_has_create_servers(const struct scenario *sc);

/* True when the workload has a step that talks to the cloud's API (create_servers or
 * request). */
bool scenario_needs_api(const struct scenario *sc);

/* "FILE:SECTION.KEY=VALUE" (ab --b-config; FILE is "$NOVA_CONF" or a path, VALUE may be
 * empty or hold ':' and '=') into out, line 0; one error naming the argument and what is
 * wrong. The caller releases out with scenario_setting_release. */
int scenario_parse_setting_arg(const char *arg, struct sc_setting *out, struct gb_err *err);
void scenario_setting_release(struct sc_setting *s);

/* Check "NAME=VALUE" for a unit's environment (ab --b-env): NAME a shell identifier, not
 * GREENBENCH_PROFILE, no newline. 0 ok, -1 with err. */
int scenario_check_env_arg(const char *arg, struct gb_err *err);

/* Free sc and everything in it; NULL is fine. */
void scenario_free(struct scenario *sc);

#endif

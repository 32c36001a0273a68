/*
 * localconf.h - devstack's local.conf: meta-sections ([[local|localrc]],
 * [[post-config|$NOVA_CONF]], [[test-config|...]]), the devstack variables
 * that name config files, and the INI merge devstack does (set or replace
 * `key = value` under [section], everything else kept byte for byte).
 * Parsing and merging work on buffers; nothing here writes a file.
 */
#ifndef GB_LOCALCONF_H
#define GB_LOCALCONF_H

#include <stddef.h>

#include "base/gb.h"

/* Devstack variables naming config files (NOVA_CONF -> /etc/nova/nova.conf). */
struct localconf_vars {
	char **names;
	char **values;
	size_t n;
};

/* Fill v with devstack's defaults; the caller frees with localconf_vars_free. */
void localconf_vars_defaults(struct localconf_vars *v);
void localconf_vars_set(struct localconf_vars *v, const char *name, const char *value);
/* "NAME=PATH" (from --var); fails naming the argument. */
int localconf_vars_set_arg(struct localconf_vars *v, const char *arg, struct gb_err *err);
const char *localconf_vars_get(const struct localconf_vars *v, const char *name);
void localconf_vars_free(struct localconf_vars *v);

/* Expand $NAME / ${NAME} in spec into out. where: "file:line" for the error. */
int localconf_expand(const struct localconf_vars *v, const char *spec, const char *where,
		     struct strbuf *out, struct gb_err *err);

/* One `key = value` to merge into [section] of file (file as written: "$NOVA_CONF"). */
struct lc_setting {
	char *phase;   /* "post-config", "test-config", ... */
	char *file;    /* as written in the meta-section header */
	char *section;
	char *key;
	char *value;
	int line;      /* line in the local.conf */
};

/* A `NAME=value` of [[local|localrc]] (quotes removed). */
struct lc_var {
	char *name;
	char *value;
	int line;
};

struct localconf {
	char *name;                 /* file name for messages */
	struct lc_setting *settings; /* in file order */
	size_t n_settings;
	struct lc_var *localrc;
	size_t n_localrc;
};

/* Parse a local.conf buffer. Errors name name:line. Caller frees *out. */
int localconf_parse(const char *name, const char *data, size_t len, struct localconf **out,
		    struct gb_err *err);
int localconf_load(const char *path, struct localconf **out, struct gb_err *err);
void localconf_free(struct localconf *lc);

/* Value of a localrc variable (NUMBER_FAKE_NOVA_COMPUTE, VIRT_DRIVER) or NULL. */
const char *localconf_localrc(const struct localconf *lc, const char *name);

/*
 * Set key = value in [section] of the INI text in ini, like devstack's iniset:
 * replace the value of every `key =` line of that section (keeping what is
 * before the value), else insert `key = value` after the section header,
 * else append "\n[section]\nkey = value\n". Everything else is kept byte for
 * byte. ini_name is for messages. Fails on a key or section that could not
 * be written back faithfully (newlines, ']' in a section name).
 */
int localconf_ini_set(struct strbuf *ini, const char *ini_name, const char *section,
		      const char *key, const char *value, struct gb_err *err);

/*
 * The value of `key =` in [section] of the INI text ini (the last one, as oslo.config
 * reads it; outer spaces trimmed) into out. Returns 0 when found, -1 when not.
 */
int localconf_ini_get(const char *ini, size_t len, const char *section, const char *key,
		      struct strbuf *out);

#endif

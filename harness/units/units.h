/*
 * units.h - the services greenbench restarts, behind one interface with two
 * backends: systemd (devstack@NAME.service through systemctl, by argv) and
 * process (argv + env from the units file, own session, pid files).
 * Restart = stop, prove dead (no process of the unit left), start, prove
 * ready (tcp / http / rpc probe). Never journals (hostchange does), never prints.
 */
#ifndef GB_UNITS_H
#define GB_UNITS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/gb.h"
#include "scenario/scenario.h"
#include "units/unitsfile.h"

struct units;

/* How long the two halves of a restart took, in seconds (-1: not done). */
struct units_timing {
	double dead_secs;  /* stop until proven dead */
	double ready_secs; /* start until proven ready */
};

/*
 * Open a backend. uf (may be NULL for systemd) must outlive the handle.
 * systemctl: GREENBENCH_SYSTEMCTL or PATH; drop-ins and unit files under
 * GREENBENCH_SYSTEMD_DIR (default /etc/systemd/system); cgroups under
 * GREENBENCH_CGROUP_ROOT (default /sys/fs/cgroup); rabbitmqctl: the units
 * file's, GREENBENCH_RABBITMQCTL, or PATH (looked up when a probe needs it).
 */
int units_open(const struct unitsfile *uf, enum sc_backend backend, struct units **out,
	       struct gb_err *err);
void units_close(struct units *u);

/* Where devstack@*.service files live: GREENBENCH_SYSTEMD_DIR or /etc/systemd/system. */
const char *units_systemd_dir(void);

/* The user a unit runs as: systemd: its User= (systemctl show), root when none;
 * process: greenbench's own. uid/gid filled; name (may be NULL) gets the user's name. */
int units_user(struct units *u, const char *name, uid_t *uid, gid_t *gid, struct strbuf *user,
	       struct gb_err *err);

/* How many processes the last units_stop found left over after the unit's main process
 * was gone (KillMode=process's forked workers) and killed. */
int units_last_leftovers(const struct units *u);

/* Polling loops give up with GB_EXIT_INTERRUPTED once *flag is set (NULL: never). */
void units_set_stop_flag(struct units *u, volatile sig_atomic_t *flag);


/* Is name a unit this handle can manage (units file, added fake, or systemd)? */
bool units_known(const struct units *u, const char *name);

/* Build the definition of fake compute number index (1-based) from the units
 * file's template: unit <unit_prefix><index>, host <host_prefix><index>, its
 * config file <conf_dir>/<host>.conf appended as --config-file. The caller
 * frees with units_def_free. conf_path gets that config file's path. */
int units_fake_def(const struct unitsfile *uf, int index, struct uf_unit *out,
		   struct strbuf *host, struct strbuf *conf_path, struct gb_err *err);
void units_def_free(struct uf_unit *def);

/* Let the handle manage an extra unit (a fake compute); def is copied. */
void units_add(struct units *u, const struct uf_unit *def);

int units_is_running(struct units *u, const char *name, bool *running, struct gb_err *err);

/* Stop and prove dead: SIGTERM (systemctl stop), wait stop_timeout, SIGKILL
 * the whole group/cgroup, wait again. Stopping a stopped unit succeeds. */
int units_stop(struct units *u, const char *name, double *secs, struct gb_err *err);

/* Start and prove ready within ready_timeout; the error names the log to read. */
int units_start(struct units *u, const char *name, double *secs, struct gb_err *err);

/* The two halves of units_start, so many units can start at once: launch
 * (spawn / systemctl start) without waiting, then prove each ready. */
int units_launch(struct units *u, const char *name, struct gb_err *err);
int units_wait_ready(struct units *u, const char *name, struct gb_err *err);

/* Stop, prove dead, start, prove ready. */
int units_restart(struct units *u, const char *name, struct units_timing *t, struct gb_err *err);

/*
 * Extra environment for a unit ("KEY=VALUE" strings) from its next start on.
 * process: kept in the handle; systemd: the drop-in file (see
 * units_dropin_path) is written and systemd reloaded. NULL/0 removes it.
 */
int units_set_env(struct units *u, const char *name, const char *const *env, size_t n,
		  struct gb_err *err);

/* <systemd dir>/devstack@NAME.service.d/greenbench.conf (and its directory). */
void units_dropin_path(const struct units *u, const char *name, struct strbuf *file,
		       struct strbuf *dir);
/* <systemd dir>/devstack@NAME.service, for units greenbench creates. */
void units_unit_file_path(const struct units *u, const char *name, struct strbuf *out);
/* Write the systemd unit file of def (ExecStart from argv, Environment, ...). */
int units_write_unit_file(struct units *u, const struct uf_unit *def, struct gb_err *err);
int units_daemon_reload(struct units *u, struct gb_err *err);

/* One-line description of what a probe waits for ("rpc queue 'scheduler'"). */
void units_describe_probe(const struct uf_probe *p, struct strbuf *out);

#endif

/*
 * units_devstack.h - the units of a devstack host read off its systemd units, for the
 * systemd backend without a units file: every devstack@NAME.service, the readiness
 * probes devstack's services have, and the fake-compute template from devstack@n-cpu-1.
 * Reads only; never touches the host.
 */
#ifndef GB_UNITS_DEVSTACK_H
#define GB_UNITS_DEVSTACK_H

#include "base/gb.h"
#include "units/unitsfile.h"

/*
 * Infer a units file from systemd_dir (devstack@*.service). *out is NULL (and 0 returned)
 * when there is no devstack@n-cpu-1.service to take the template from; an error when it is
 * there but cannot be read as devstack writes it (the message names the file and what is
 * missing). The caller frees *out with unitsfile_free.
 */
int units_devstack_infer(const char *systemd_dir, struct unitsfile **out, struct gb_err *err);

/* The value of KEY in a systemd unit's text ("Key = value" or "Key=value", the last one
 * wins), into out; false when absent. */
bool units_devstack_unit_key(const char *text, const char *key, struct strbuf *out);

#endif

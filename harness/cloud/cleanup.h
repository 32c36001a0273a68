/*
 * cleanup.h - the cloud side of a restore (host/restore calls these through its
 * callbacks; run and restore hand them over).
 */
#ifndef GB_CLOUD_CLEANUP_H
#define GB_CLOUD_CLEANUP_H

#include <stdbool.h>

#include "base/gb.h"

struct osapi;

/*
 * Restore-time cleanup callbacks (hostchange_opts.server_cleanup and
 * .fake_cleanup): delete a server a run left behind, and the service record
 * of a fake compute it added. They share one API client, made on first use
 * from the cloud the journal names (else `cloud`, else OS_CLOUD / OS_*).
 */
struct cloud_cleanup {
	const char *cloud;  /* fallback cloud name, may be NULL */
	bool insecure;
	struct osapi *api;  /* reused when given; else made on first use */
	bool owns_api;
};
int cloud_cleanup_server(void *arg, const char *cloud, const char *server_id, const char *name,
			 struct gb_err *err);
/* The resource_cleanup callback: DELETE delete_path on service (a 404 counts as gone).
 * A path still holding "{id}" is a create never answered: GET find, and delete each
 * listed object whose "name" is name (none: nothing was created). */
int cloud_cleanup_resource(void *arg, const char *cloud, const char *service,
			   const char *delete_path, const char *find, const char *name,
			   struct gb_err *err);
int cloud_forget_compute(void *arg, const char *host, struct gb_err *err);
void cloud_cleanup_release(struct cloud_cleanup *cc);

#endif

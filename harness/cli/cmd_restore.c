/*
 * cmd_restore.c - `greenbench restore`: undo the host changes of a run that
 * was killed, from its journal, and say what was done. CLI layer: prints and
 * picks the exit code; the work is restore_host().
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "host/restore.h"
#include "run/rundumps.h"
#include "cloud/cleanup.h"

static const struct cmd_doc doc = {
	.name = "restore",
	.summary = "undo the host changes of an interrupted run",
	.synopsis = "greenbench restore [--state-dir DIR] [--os-cloud NAME] [--db FILE]",
	.description =
		"Walks the journal of an interrupted run (kill -9, power loss) backwards:\n"
		"stops the fake computes it added, reverses its patches, puts every file it\n"
		"changed back and checks the bytes against the sha256 taken before the run,\n"
		"removes files and directories it created, then restarts the units it\n"
		"restarted with their original configuration. Prints each action. Safe to\n"
		"run twice; with no journal it says so and does nothing. `greenbench run`\n"
		"does the same automatically before it starts.\n\n"
		"Then it removes what killed runs left under <state>/runs/ (their dump\n"
		"directories), and the dump directories an earlier greenbench kept whose dumps\n"
		"are all in the store (--db); those that are not are marked KEPT and stay.",
	.examples = "greenbench restore\ngreenbench restore --state-dir /tmp/gb-state",
};

static void progress(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
	fflush(stdout);
}

int cmd_restore(int argc, char **argv)
{
	const char *state_dir = NULL, *cloud = NULL, *db = NULL;
	int insecure = 0;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "state-dir", &state_dir, "DIR", "where the journal is (default: as for run)" },
		{ OPT_STRING, 0, "os-cloud", &cloud, "NAME", "cloud for cleaning up fake computes' service records (default OS_CLOUD / OS_*)" },
		{ OPT_BOOL, 0, "insecure", &insecure, NULL, "do not verify the cloud's TLS certificates" },
		{ OPT_STRING, 0, "db", &db, "FILE", "the results store that old dump directories are checked against" },
		OPT_END_MARKER,
	};
	int rc;
	if (!cmd_parse_none(argc, argv, &doc, opts, &rc))
		return rc;
	/* servers a killed run left are deleted on the cloud its journal names; the
	 * service records of the fake computes it added on --os-cloud (or OS_CLOUD) */
	struct cloud_cleanup cc = { .cloud = cloud, .insecure = insecure };
	struct restore_opts ro = {
		.state_dir = state_dir, .progress = progress,
		.server_cleanup = cloud_cleanup_server, .server_cleanup_arg = &cc,
		.resource_cleanup = cloud_cleanup_resource, .resource_cleanup_arg = &cc,
		.fake_cleanup = cloud_forget_compute, .fake_cleanup_arg = &cc,
	};
	struct gb_err err = { GB_EXIT_ENV, "" };
	bool found = false;
	int r = restore_host(&ro, &found, &err);
	cloud_cleanup_release(&cc);
	if (r != 0)
		return cmd_fail("restore", &err);
	printf(found ? "the host is restored; the journal is removed\n"
		     : "nothing to restore: no journal of an interrupted run\n");
	size_t n_removed = 0;
	/* the host is restored whatever happens here: a failure to clean is said, not fatal
	 * (the next run cleans again) */
	if (rundumps_clean_host(state_dir, db, progress, NULL, &n_removed, &err) != 0)
		fprintf(stderr, "greenbench restore: note: the dump directories were not cleaned: %s\n",
			err.msg);
	return GB_EXIT_OK;
}

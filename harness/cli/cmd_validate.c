/*
 * cmd_validate.c - `greenbench validate FILE...`: load each scenario and say
 * "FILE: ok (...)" or print its one-line error. CLI layer: may print. Reads
 * the files only; never touches the host, the cloud or the results store.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "scenario/scenario.h"

static const struct cmd_doc doc = {
	.name = "validate",
	.summary = "check scenario files without touching anything",
	.synopsis = "greenbench validate FILE...",
	.description =
		"Loads and validates each scenario FILE against schema v1 (see scenarios/README.md)\n"
		"and checks that the local_conf and patch files it names are readable. Touches\n"
		"nothing on the host: no config file, no unit, no cloud, no results store.\n"
		"\n"
		"For each good file prints 'FILE: ok (NAME, N steps, M profile targets)' on stdout;\n"
		"for each bad one prints one line 'FILE:LINE:COL: FIELD: what is wrong' on stderr.",
	.exit_status =
		"0  every FILE is a valid scenario\n"
		"2  at least one FILE is not (or no FILE was given)\n",
	.examples =
		"greenbench validate scenarios/*.yaml\n",
};

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int cmd_validate(int argc, char **argv)
{
	static const struct opt opts[] = { OPT_END_MARKER };
	const char **args = NULL;
	size_t n_args = 0;
	int rc = GB_EXIT_OK;
	if (!cmd_parse(argc, argv, &doc, opts, &args, &n_args, &rc))
		return rc;
	if (!n_args) {
		free(args);
		fprintf(stderr, "greenbench validate: no FILE given; usage: %s\n", doc.synopsis);
		return GB_EXIT_USAGE;
	}
	for (size_t i = 0; i < n_args; i++) {
		struct scenario *sc = NULL;
		struct gb_err err = { GB_EXIT_USAGE, "" };
		if (scenario_load(args[i], &sc, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			rc = GB_EXIT_USAGE;
			continue;
		}
		printf("%s: ok (%s, %zu %s, %zu %s)\n", args[i], sc->name, sc->n_steps,
		       plural(sc->n_steps, "step", "steps"), sc->n_profiles,
		       plural(sc->n_profiles, "profile target", "profile targets"));
		scenario_free(sc);
	}
	free(args);
	return rc;
}

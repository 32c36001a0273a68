/*
 * cmd_common.c - what every subcommand shares: parsing with --help handling,
 * the one-line error, and the "not built yet" answer. CLI layer: may print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"

int cmd_fail(const char *cmd, const struct gb_err *err)
{
	fprintf(stderr, "greenbench %s: %s\n", cmd, err->msg);
	return err->exit_code ? err->exit_code : GB_EXIT_USAGE;
}

int cmd_parse(int argc, char **argv, const struct cmd_doc *doc, const struct opt *opts,
	      const char ***args, size_t *n_args, int *rc)
{
	struct gb_err err = { GB_EXIT_USAGE, "" };
	int r = opts_parse(argc, argv, opts, args, n_args, &err);
	if (r == OPTS_HELP) {
		opts_usage(stdout, doc, opts);
		*rc = GB_EXIT_OK;
		return 0;
	}
	if (r == OPTS_ERROR) {
		*rc = cmd_fail(doc->name, &err);
		return 0;
	}
	return 1;
}

int cmd_parse_one(int argc, char **argv, const struct cmd_doc *doc, const struct opt *opts,
		  const char *what, const char **arg, int *rc)
{
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, doc, opts, &args, &n_args, rc))
		return 0;
	*arg = n_args == 1 ? args[0] : NULL;
	free(args);
	if (n_args != 1) {
		fprintf(stderr, "greenbench %s: expected one %s, got %zu; see 'greenbench %s --help'\n",
			doc->name, what, n_args, doc->name);
		*rc = GB_EXIT_USAGE;
		return 0;
	}
	return 1;
}

int cmd_parse_none(int argc, char **argv, const struct cmd_doc *doc, const struct opt *opts, int *rc)
{
	const char **args = NULL;
	size_t n_args = 0;
	if (!cmd_parse(argc, argv, doc, opts, &args, &n_args, rc))
		return 0;
	free(args);
	if (n_args) {
		fprintf(stderr, "greenbench %s: takes no arguments; see 'greenbench %s --help'\n", doc->name,
			doc->name);
		*rc = GB_EXIT_USAGE;
		return 0;
	}
	return 1;
}


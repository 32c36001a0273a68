/*
 * cmd.h - the subcommands (one function each, git builtin/ style). The
 * cmd_*.c files are the CLI layer: they parse options, call the parts, print,
 * and return an exit code (enum gb_exit). Nothing below them prints or exits.
 */
#ifndef GB_CMD_H
#define GB_CMD_H

#include "base/gb.h"
#include "cli/opts.h"

int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ab(int argc, char **argv);
int cmd_nightly(int argc, char **argv);
int cmd_trend(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_validate(int argc, char **argv);

/* Print "greenbench CMD: MESSAGE" to stderr and return err->exit_code. */
int cmd_fail(const char *cmd, const struct gb_err *err);

/* Parse options for a command; on --help prints usage and sets *rc = 0,
 * on error prints the one-line error and sets *rc = GB_EXIT_USAGE.
 * Returns 1 when the command should go on, 0 when it should return *rc. */
int cmd_parse(int argc, char **argv, const struct cmd_doc *doc, const struct opt *opts,
	      const char ***args, size_t *n_args, int *rc);

/* cmd_parse for a command that takes exactly one positional argument, named
 * `what` in the error ("expected one RUN, got 2; see ..."): *arg points into argv. */
int cmd_parse_one(int argc, char **argv, const struct cmd_doc *doc, const struct opt *opts,
		  const char *what, const char **arg, int *rc);

/* cmd_parse for a command that takes no positional argument. */
int cmd_parse_none(int argc, char **argv, const struct cmd_doc *doc, const struct opt *opts, int *rc);

#endif

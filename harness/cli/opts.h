/*
 * opts.h - the options table every subcommand declares (git builtin/ style),
 * its parser with "did you mean", and man-page-like --help output.
 * The parser never exits; it returns and lets the command decide.
 */
#ifndef GB_OPTS_H
#define GB_OPTS_H

#include <stdio.h>
#include "base/gb.h"

enum opt_type {
	OPT_END = 0,
	OPT_BOOL,     /* int *, set to 1 (--no-NAME sets 0) */
	OPT_STRING,   /* const char **, last one wins */
	OPT_LIST,     /* struct opt_list *, repeatable */
	OPT_INT,      /* long *, decimal */
	OPT_DOUBLE,   /* double * */
	OPT_DURATION, /* double * seconds: 500ms, 2s, 1m */
};

struct opt_list {
	const char **items; /* owned array, strings point into argv */
	size_t n_items;
};

struct opt {
	enum opt_type type;
	char short_name;       /* 0 if none */
	const char *long_name; /* without the leading dashes */
	void *value;
	const char *argh;      /* argument placeholder in help, e.g. "FILE" */
	const char *help;      /* one line */
};

#define OPT_END_MARKER { OPT_END, 0, NULL, NULL, NULL, NULL }

/* What --help prints around the options table. */
struct cmd_doc {
	const char *name;        /* "stats" */
	const char *summary;     /* one line, for NAME and `greenbench help` */
	const char *synopsis;    /* "greenbench stats RUN [--sort KEY] [--limit N]" */
	const char *description; /* paragraphs, may contain newlines */
	const char *exit_status; /* NULL: the standard table */
	const char *examples;    /* NULL or lines */
};

enum { OPTS_OK = 0, OPTS_HELP = 1, OPTS_ERROR = -1 };

/*
 * Parse argv[1..argc-1] (argv[0] is the command name). Options may come
 * before or after positional arguments; "--" ends options. Positional
 * arguments are collected into *args (an array the caller frees with free(),
 * strings point into argv) and *n_args. Returns OPTS_OK, OPTS_HELP when
 * --help/-h was given, or OPTS_ERROR with err filled ("unknown option
 * '--sortt'; did you mean '--sort'?").
 */
int opts_parse(int argc, char **argv, const struct opt *opts, const char ***args,
	       size_t *n_args, struct gb_err *err);

/* Print the man-page-like help for a command. */
void opts_usage(FILE *out, const struct cmd_doc *doc, const struct opt *opts);

/* Free what an OPT_LIST collected. */
void opt_list_release(struct opt_list *l);

/* The standard EXIT STATUS text. */
extern const char opts_exit_status[];

#endif

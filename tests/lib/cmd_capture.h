/*
 * cmd_capture.h - for the tests of the store's commands: run a cmd_* function
 * in-process with `--db dbpath` appended, stdout and stderr captured into out_s
 * and err_s (via files in the test's temp dir). The including test defines
 * `dir` (its mkdtemp'd directory) and `dbpath` before including this header.
 */
#ifndef GB_CMD_CAPTURE_H
#define GB_CMD_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/gb.h"

static struct strbuf out_s = STRBUF_INIT, err_s = STRBUF_INIT;

/* Run a command in-process with stdout and stderr captured. */
static int run(int (*fn)(int, char **), ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, fn);
	const char *a;
	while ((a = va_arg(ap, const char *)) && argc < 28)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc++] = "--db";
	argv[argc++] = dbpath;
	argv[argc] = NULL;
	char po[400], pe[400];
	snprintf(po, sizeof(po), "%s/stdout", dir);
	snprintf(pe, sizeof(pe), "%s/stderr", dir);
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	FILE *fo = fopen(po, "w"), *fe = fopen(pe, "w");
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	fclose(fo);
	fclose(fe);
	struct gb_err e;
	sb_reset(&out_s);
	sb_reset(&err_s);
	gb_read_file(po, 64 << 20, &out_s, &e);
	gb_read_file(pe, 64 << 20, &err_s, &e);
	return rc;
}

__attribute__((unused))
static int has(const struct strbuf *sb, const char *s)
{
	return strstr(sb_str(sb), s) != NULL;
}

#endif

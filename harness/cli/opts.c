/*
 * opts.c - parses a subcommand's argv against its options table and prints
 * its man-page-like help. Never exits; errors come back in struct gb_err.
 */
#include "cli/opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char opts_exit_status[] =
	"0  success\n"
	"1  an SLA failed or a regression was found\n"
	"2  bad usage or bad input (scenario, local.conf, patch, run id)\n"
	"3  environment error (API unreachable, unit would not start, store unusable)\n"
	"4  interrupted by a signal; the host was restored\n"
	"5  inconclusive: not slower, not faster, but not shown to be within --min-effect\n"
	"   either (compare, ab, nightly); more runs or blocks would settle it\n";

void opt_list_release(struct opt_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n_items = 0;
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len)
{
	for (const struct opt *o = opts; o->type != OPT_END; o++)
		if (o->long_name && strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
	for (const struct opt *o = opts; o->type != OPT_END; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

static void suggest_long(const struct opt *opts, const char *name, struct strbuf *out)
{
	const char *cands[128];
	size_t n = 0;
	for (const struct opt *o = opts; o->type != OPT_END && n < 126; o++)
		if (o->long_name)
			cands[n++] = o->long_name;
	cands[n++] = "help";
	cands[n] = NULL;
	const char *s = gb_suggest(name, cands);
	if (s)
		sb_addf(out, "; did you mean '--%s'?", s);
	else
		sb_addstr(out, "; see --help");
}

static int set_value(const struct opt *o, const char *shown, const char *arg, struct gb_err *err)
{
	char *end;
	switch (o->type) {
	case OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_LIST: {
		struct opt_list *l = o->value;
		l->items = gb_realloc(l->items, (l->n_items + 1) * sizeof(*l->items));
		l->items[l->n_items++] = arg;
		return 0;
	}
	case OPT_INT: {
		errno = 0;
		long v = strtol(arg, &end, 10);
		if (errno || end == arg || *end)
			return gb_errf(err, GB_EXIT_USAGE, "option '%s': expected an integer, got '%s'",
				       shown, arg);
		*(long *)o->value = v;
		return 0;
	}
	case OPT_DOUBLE: {
		errno = 0;
		double v = strtod(arg, &end);
		if (errno || end == arg || *end)
			return gb_errf(err, GB_EXIT_USAGE, "option '%s': expected a number, got '%s'",
				       shown, arg);
		*(double *)o->value = v;
		return 0;
	}
	case OPT_DURATION:
		if (gb_parse_duration(arg, (double *)o->value) != 0)
			return gb_errf(err, GB_EXIT_USAGE,
				       "option '%s': expected a duration like 500ms, 2s or 1m, got '%s'",
				       shown, arg);
		return 0;
	default:
		return gb_errf(err, GB_EXIT_USAGE, "option '%s': internal error", shown);
	}
}

int opts_parse(int argc, char **argv, const struct opt *opts, const char ***args,
	       size_t *n_args, struct gb_err *err)
{
	const char **pos = gb_calloc((size_t)argc + 1, sizeof(*pos));
	size_t npos = 0;
	int only_args = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || !a[1]) {
			pos[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			free(pos);
			return OPTS_HELP;
		}
		const struct opt *o;
		const char *inline_arg = NULL;
		char shown[96];
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			o = find_long(opts, name, len);
			int negated = 0;
			if (!o && len > 3 && !strncmp(name, "no-", 3)) {
				o = find_long(opts, name + 3, len - 3);
				if (o && o->type == OPT_BOOL)
					negated = 1;
				else
					o = NULL;
			}
			snprintf(shown, sizeof(shown), "--%.*s", (int)(len > 80 ? 80 : len), name);
			if (!o) {
				struct strbuf m = STRBUF_INIT;
				sb_addf(&m, "unknown option '%s'", shown);
				char tmp[96];
				snprintf(tmp, sizeof(tmp), "%.*s", (int)(len > 80 ? 80 : len), name);
				suggest_long(opts, tmp, &m);
				gb_errf(err, GB_EXIT_USAGE, "%s", m.buf);
				sb_release(&m);
				free(pos);
				return OPTS_ERROR;
			}
			if (o->type == OPT_BOOL) {
				if (eq) {
					free(pos);
					gb_errf(err, GB_EXIT_USAGE, "option '%s' takes no value", shown);
					return OPTS_ERROR;
				}
				*(int *)o->value = !negated;
				continue;
			}
			if (eq)
				inline_arg = eq + 1;
		} else {
			if (a[2]) {
				/* -sVALUE or bundled bools are not supported: keep it unambiguous */
				o = find_short(opts, a[1]);
				if (o && o->type != OPT_BOOL)
					inline_arg = a + 2;
				else
					o = NULL;
			} else {
				o = find_short(opts, a[1]);
			}
			snprintf(shown, sizeof(shown), "-%c", a[1]);
			if (!o) {
				gb_errf(err, GB_EXIT_USAGE, "unknown option '%.80s'; see --help", a);
				free(pos);
				return OPTS_ERROR;
			}
			if (o->type == OPT_BOOL) {
				*(int *)o->value = 1;
				continue;
			}
		}
		const char *arg = inline_arg;
		if (!arg) {
			if (i + 1 >= argc) {
				gb_errf(err, GB_EXIT_USAGE, "option '%s' needs a value (%s)", shown,
					o->argh ? o->argh : "VALUE");
				free(pos);
				return OPTS_ERROR;
			}
			arg = argv[++i];
		}
		if (set_value(o, shown, arg, err) != 0) {
			free(pos);
			return OPTS_ERROR;
		}
	}
	pos[npos] = NULL;
	if (args)
		*args = pos;
	else
		free(pos);
	if (n_args)
		*n_args = npos;
	return OPTS_OK;
}

static void print_indented(FILE *out, const char *text, const char *indent)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len)
			fprintf(out, "%s%.*s\n", indent, (int)len, p);
		else
			fputc('\n', out);
		if (!nl)
			break;
		p = nl + 1;
	}
}

void opts_usage(FILE *out, const struct cmd_doc *doc, const struct opt *opts)
{
	fprintf(out, "NAME\n    greenbench-%s - %s\n\n", doc->name, doc->summary);
	fprintf(out, "SYNOPSIS\n");
	print_indented(out, doc->synopsis, "    ");
	if (doc->description) {
		fprintf(out, "\nDESCRIPTION\n");
		print_indented(out, doc->description, "    ");
	}
	fprintf(out, "\nOPTIONS\n");
	for (const struct opt *o = opts; o && o->type != OPT_END; o++) {
		char lhs[96];
		int n = 0;
		if (o->short_name)
			n = snprintf(lhs, sizeof(lhs), "-%c, ", o->short_name);
		else
			n = snprintf(lhs, sizeof(lhs), "    ");
		if (o->type == OPT_BOOL)
			snprintf(lhs + n, sizeof(lhs) - (size_t)n, "--%s", o->long_name);
		else
			snprintf(lhs + n, sizeof(lhs) - (size_t)n, "--%s %s", o->long_name,
				 o->argh ? o->argh : "VALUE");
		fprintf(out, "    %-28s %s\n", lhs, o->help ? o->help : "");
	}
	fprintf(out, "    %-28s %s\n", "-h, --help", "show this help and exit");
	fprintf(out, "\nEXIT STATUS\n");
	print_indented(out, doc->exit_status ? doc->exit_status : opts_exit_status, "    ");
	if (doc->examples) {
		fprintf(out, "\nEXAMPLES\n");
		print_indented(out, doc->examples, "    ");
	}
}

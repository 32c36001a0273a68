/*
 * main.c - greenbench's entry point: the subcommand table, top-level help and
 * version, "did you mean" for unknown commands. It owns the process exit code
 * (the commands return one, and nothing below main.c calls exit()) and the
 * signal handling of the commands that change the host.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/interrupt.h"
#include "cli/cmd.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	bool changes_host; /* Ctrl-C/SIGTERM must restore the host: interrupt_install() first */
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a scenario: change the host, restart units, fire requests, profile, store, restore", true },
	{ "compare", cmd_compare, "compare two stored runs with statistics and a verdict", false },
	{ "ab", cmd_ab, "before/after a patch, interleaved blocks, one verdict", true },
	{ "nightly", cmd_nightly, "run and judge against the history of the scenario", true },
	{ "trend", cmd_trend, "the series of a scenario's runs and its change points", false },
	{ "report", cmd_report, "write a text/JSON/HTML report of a run", false },
	{ "stats", cmd_stats, "pstats-like table of a run's profiles", false },
	{ "list", cmd_list, "list stored runs", false },
	{ "show", cmd_show, "show one stored run", false },
	{ "export", cmd_export, "export a run's profiles (prof, callgrind, collapsed, json)", false },
	{ "prune", cmd_prune, "remove old runs from the store, keeping what verdicts need", false },
	{ "restore", cmd_restore, "undo the host changes of an interrupted run", true },
	{ "doctor", cmd_doctor, "check this host: tools, cloud, units, profiler", false },
	{ "validate", cmd_validate, "check scenario files without touching anything", false },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: greenbench <command> [options] [args]\n\n"
		     "greenbench benchmarks and profiles OpenStack services on a devstack host.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < GB_ARRAY_SIZE(commands); i++)
		fprintf(out, "    %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'greenbench <command> --help' shows a command's manual.\n\n"
		     "Exit status:\n%s", opts_exit_status);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < GB_ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[GB_ARRAY_SIZE(commands) + 1];
	for (size_t i = 0; i < GB_ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	names[GB_ARRAY_SIZE(commands)] = NULL;
	const char *s = gb_suggest(name, names);
	if (s)
		fprintf(stderr, "greenbench: '%.80s' is not a command; did you mean '%s'?\n", name, s);
	else
		fprintf(stderr, "greenbench: '%.80s' is not a command; see 'greenbench --help'\n", name);
	return GB_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return GB_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(stdout);
		return GB_EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("greenbench %s\n", GB_VERSION);
		return GB_EXIT_OK;
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			usage(stdout);
			return GB_EXIT_OK;
		}
		const struct command *c = find_command(argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		char *hargv[] = { argv[2], "--help", NULL };
		return c->fn(2, hargv);
	}
	if (name[0] == '-') {
		fprintf(stderr, "greenbench: unknown option '%.80s'; options go after the command, "
				"see 'greenbench --help'\n", name);
		return GB_EXIT_USAGE;
	}
	const struct command *c = find_command(name);
	if (!c)
		return unknown_command(name);
	if (c->changes_host)
		interrupt_install(); /* before anything changes; a second signal never abandons a restore */
	return c->fn(argc - 1, argv + 1);
}

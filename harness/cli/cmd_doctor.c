/*
 * cmd_doctor.c - `greenbench doctor`: check what a run needs on this host and
 * print one line per check (or a JSON array). CLI layer: prints and picks the
 * exit code; the checks are doctor.c and never change the host.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "run/doctor.h"

static const struct cmd_doc doc = {
	.name = "doctor",
	.summary = "check this host: tools, cloud, units, profiler",
	.synopsis = "greenbench doctor [--os-cloud NAME] [--units FILE] [--state-dir DIR] [--db FILE] "
		    "[--json]",
	.description =
		"Checks what a run needs on this host and prints one line per check: ok,\n"
		"WARN (a run may work, or some scenarios will not) or FAIL (a run will not\n"
		"work), with what was found and what to do. Checks: the services' interpreter\n"
		"($PYTHON, default /usr/bin/python3) imports greenlet, eventlet and greenprof and\n"
		"honours greenprof's bootstrap (greenbench-profile.pth in one of its site dirs);\n"
		"git, patch, systemctl (systemd backend) and rabbitmqctl (rpc probes) can be\n"
		"found; the state directory is writable, no interrupted run's journal waits\n"
		"for 'greenbench restore' and no run holds the lock; the results store opens;\n"
		"the credentials resolve (--os-cloud, $OS_CLOUD or OS_*), keystone issues a\n"
		"token and the catalog has compute, image and placement; the units file\n"
		"parses and each unit's readiness probe answers. Only looks and probes, on\n"
		"loopback only: changes nothing (it may create an empty state directory).",
	.exit_status = "0  no check failed (warnings allowed)\n"
		       "2  bad usage\n"
		       "3  at least one check failed",
	.examples = "greenbench doctor\n"
		    "greenbench doctor --units /var/lib/greenbench-testcloud/units.yaml --os-cloud greenbench-test\n"
		    "greenbench doctor --json | jq '.[] | select(.status != \"ok\")'",
};

static void print_check(void *arg, const struct doctor_check *c)
{
	(void)arg;
	printf("%-4s  %-20s %s\n", doctor_status_word(c->status), c->name, c->detail);
	fflush(stdout);
}

/* A JSON string of s; bytes that are not UTF-8 (a path, a child's message) become '?'. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char *copy = gb_strdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static int print_json(const struct doctor_report *r)
{
	static const char *const words[] = { "ok", "warn", "fail" };
	json_t *a = json_array();
	for (size_t i = 0; i < r->n_checks; i++)
		json_array_append_new(a, json_pack("{s:o, s:s, s:o}", "check",
						   json_text(r->checks[i].name), "status",
						   words[r->checks[i].status], "detail",
						   json_text(r->checks[i].detail)));
	int rc = json_dumpf(a, stdout, JSON_INDENT(2));
	json_decref(a);
	printf("\n");
	return rc;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_opts o = { 0 };
	int json = 0;
	const struct opt opts[] = {
		{ OPT_STRING, 0, "os-cloud", &o.cloud, "NAME", "clouds.yaml entry to check (default: $OS_CLOUD, then OS_*)" },
		{ OPT_STRING, 0, "cloud", &o.cloud, "NAME", "same as --os-cloud" },
		{ OPT_STRING, 0, "units", &o.units_file, "FILE", "units file to parse and probe (none: systemd backend)" },
		{ OPT_STRING, 0, "state-dir", &o.state_dir, "DIR", "state directory to check (default: as for run)" },
		{ OPT_STRING, 0, "db", &o.db, "FILE", "results store to check (default: as for run)" },
		{ OPT_BOOL, 0, "json", &json, NULL, "print the checks as a JSON array" },
		OPT_END_MARKER,
	};
	int rc;
	if (!cmd_parse_none(argc, argv, &doc, opts, &rc))
		return rc;
	if (!json)
		o.progress = print_check;
	struct doctor_report r = { 0 };
	doctor_run(&o, &r);
	size_t n_fail = doctor_count(&r, DOCTOR_FAIL), n_warn = doctor_count(&r, DOCTOR_WARN);
	if (json)
		print_json(&r);
	else
		printf("%zu checks: %zu ok, %zu warnings, %zu failures\n", r.n_checks,
		       doctor_count(&r, DOCTOR_OK), n_warn, n_fail);
	doctor_report_free(&r);
	return n_fail ? GB_EXIT_ENV : GB_EXIT_OK;
}

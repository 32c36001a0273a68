/*
 * interrupt.c - the signal flag, the "restoring" state and the debug points
 * (interrupt.h). Owns the process's SIGINT/SIGTERM/SIGHUP/SIGPIPE dispositions
 * once installed; never prints except the one async-signal-safe line during a
 * restore, never exits.
 */
#include "base/interrupt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_interrupted;
static volatile sig_atomic_t g_restoring;

void interrupt_set_restoring(bool on)
{
	g_restoring = on;
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_restoring) {
		static const char msg[] = "\ngreenbench: restoring the host; it exits when that is done\n";
		ssize_t r = write(2, msg, sizeof(msg) - 1);
		(void)r;
	}
	g_interrupted = 1;
}

void interrupt_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: sleeps and waits return early */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool interrupt_requested(void)
{
	return g_interrupted != 0;
}

volatile sig_atomic_t *interrupt_flag(void)
{
	return &g_interrupted;
}

const char *const interrupt_debug_points[] = {
	"begin", "config", "config:journaled", "config:applied", "patches", "patch:journaled",
	"patch:applied", "fake-computes", "fake:journaled", "fake:started", "restart",
	"restart:journaled", "restart:env", "restart:stopped", "restart:started", "workload",
	"restore:begin", "restore:files", NULL,
};

void interrupt_debug_point(const char *point)
{
	const char *want = getenv("GREENBENCH_DEBUG_STOP_AT"); /* "point[,point...]" */
	size_t pl = strlen(point);
	for (const char *p = want; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == pl && !strncmp(p, point, pl)) {
			raise(SIGSTOP);
			return;
		}
		p += l + (p[l] == ',');
	}
}

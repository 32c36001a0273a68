/*
 * interrupt.h - how greenbench is interrupted: SIGINT/SIGTERM/SIGHUP set one flag
 * that every long loop checks (units, workload, runner, ab, nightly), the
 * "restoring" state in which a signal no longer abandons anything, and the debug
 * points of the fault-injection tests. A leaf: knows no other part. Installed once,
 * by cli/main.c, for every command that changes the host.
 */
#ifndef GB_INTERRUPT_H
#define GB_INTERRUPT_H

#include <signal.h>
#include <stdbool.h>

/*
 * Catch SIGINT/SIGTERM/SIGHUP: they set a flag the long loops check (the run
 * then stops, restores, and exits 4). A second signal during restore does
 * not abandon it. SIGPIPE is ignored.
 */
void interrupt_install(void);
/* Has SIGINT/SIGTERM/SIGHUP arrived? */
bool interrupt_requested(void);
/* The flag itself, for parts that take a pointer (units, the workload's hooks). */
volatile sig_atomic_t *interrupt_flag(void);
/* From now on (on) a signal does not abandon anything: the restore runs to its
 * end, and a signal says so on stderr. */
void interrupt_set_restoring(bool on);

/*
 * Debug hook for the fault-injection tests: when GREENBENCH_DEBUG_STOP_AT
 * (a comma-separated list) names this point, the process SIGSTOPs itself
 * there, each time it passes it. The points are interrupt_debug_points.
 */
void interrupt_debug_point(const char *point);
extern const char *const interrupt_debug_points[]; /* NULL-terminated */

#endif

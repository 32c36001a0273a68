/*
 * proc.h - child processes without a shell: run a command with an argv array,
 * capture its output, wait with a timeout; spawn a daemon in its own session;
 * find out whether any process of a process group is left. Never prints.
 */
#ifndef GB_PROC_H
#define GB_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/gb.h"

/*
 * Run argv (argv[0] looked up on PATH unless it contains '/') with envp
 * (NULL: inherit), in cwd (NULL: ours), stdin from /dev/null, stdout+stderr
 * captured into out (NULL: discarded). The child leads its own process group;
 * after timeout seconds (<= 0: none) that group is SIGKILLed and the call fails.
 * *status gets the exit code (128+N for a signal). Returns -1 only when the
 * command could not be run or timed out; a non-zero exit is the caller's call.
 */
int proc_run(char *const argv[], char *const envp[], const char *cwd, struct strbuf *out,
	     double timeout, int *status, struct gb_err *err);

/*
 * Start argv as a daemon: a new session (setsid; its pid is its process group),
 * stdin /dev/null, stdout+stderr appended to log_path (NULL: /dev/null), in cwd,
 * with exactly envp. *pid is the session leader. Fails if exec fails.
 */
int proc_spawn_daemon(char *const argv[], char *const envp[], const char *cwd,
		      const char *log_path, pid_t *pid, struct gb_err *err);

/* Number of live (not zombie) processes whose process group or session is
 * pgid. Zombies of that group that are our children are reaped on the way. */
int proc_group_count(pid_t pgid);

/* Signal every process of group pgid and of its session. */
void proc_group_kill(pid_t pgid, int sig);

/* The path of an executable: env override (if set and non-empty), else name
 * looked up on PATH. Returns 0 and fills out, or -1 naming what was tried. */
int proc_which(const char *name, const char *env_override, struct strbuf *out,
	       struct gb_err *err);

/* Sleep up to secs; a signal cuts it short (callers loop and check their flag). */
void proc_sleep(double secs);

#endif

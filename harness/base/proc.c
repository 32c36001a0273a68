/*
 * proc.c - child processes by argv (fork + execvp/execve, never a shell),
 * output capture with timeouts, daemons in their own session, and process
 * group liveness by scanning /proc. Never prints, never exits the caller.
 */
#define _GNU_SOURCE
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void proc_sleep(double secs)
{
	if (secs <= 0)
		return;
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	nanosleep(&ts, NULL); /* a signal cuts it short: callers loop and check their flag */
}

/* In the child after fork: report errno through fd and die. */
static void child_fail(int fd, int e)
{
	ssize_t r = write(fd, &e, sizeof(e));
	(void)r;
	_exit(127);
}

static void child_exec(char *const argv[], char *const envp[])
{
	if (envp)
		execvpe(argv[0], argv, envp);
	else
		execvp(argv[0], argv);
}

/* Read an errno from the exec-status pipe; 0 if exec succeeded (pipe closed). */
static int read_exec_errno(int fd)
{
	int e = 0;
	ssize_t n;
	do
		n = read(fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(fd);
	return n == (ssize_t)sizeof(e) ? e : 0;
}

static int wait_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

int proc_run(char *const argv[], char *const envp[], const char *cwd, struct strbuf *out,
	     double timeout, int *status, struct gb_err *err)
{
	int outp[2], errp[2];
	if (pipe2(outp, O_CLOEXEC) != 0)
		return gb_errf(err, GB_EXIT_ENV, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	if (pipe2(errp, O_CLOEXEC) != 0) {
		close(outp[0]);
		close(outp[1]);
		return gb_errf(err, GB_EXIT_ENV, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(outp[0]); close(outp[1]); close(errp[0]); close(errp[1]);
		return gb_errf(err, GB_EXIT_ENV, "cannot run %s: fork: %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(outp[1], 2) < 0)
			child_fail(errp[1], errno);
		if (cwd && chdir(cwd) != 0)
			child_fail(errp[1], errno);
		/* the daemon outlives us: it must not keep our other fds open (a caller's
		 * `flock FILE greenbench ...` lock would be held for as long as the unit runs) */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
			for (int fd = 3; fd < 1024; fd++)
				if (fd != errp[1])
					close(fd);
		child_exec(argv, envp);
		child_fail(errp[1], errno);
	}
	close(outp[1]);
	close(errp[1]);
	int e = read_exec_errno(errp[0]);
	double deadline = timeout > 0 ? gb_now() + timeout : 0;
	bool timed_out = false, eof = false;
	int st = 0;
	pid_t done = 0;
	while (!eof || !done) {
		if (!eof) {
			struct pollfd p = { outp[0], POLLIN, 0 };
			int r = poll(&p, 1, 50);
			if (r > 0) {
				char buf[4096];
				ssize_t n = read(outp[0], buf, sizeof(buf));
				if (n > 0) {
					if (out && out->len < (16u << 20))
						sb_add(out, buf, (size_t)n);
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					eof = true;
				}
			}
		} else {
			proc_sleep(0.005);
		}
		if (!done) {
			done = waitpid(pid, &st, WNOHANG);
			if (done < 0 && errno != EINTR)
				done = pid, st = 0;
			else if (done < 0)
				done = 0;
		}
		if (done && !eof) {
			/* drain what is there; grandchildren holding the pipe don't keep us */
			struct pollfd p = { outp[0], POLLIN, 0 };
			while (poll(&p, 1, 0) > 0) {
				char buf[4096];
				ssize_t n = read(outp[0], buf, sizeof(buf));
				if (n <= 0)
					break;
				if (out && out->len < (16u << 20))
					sb_add(out, buf, (size_t)n);
			}
			eof = true;
		}
		if (deadline && gb_now() > deadline) {
			timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			if (!done)
				waitpid(pid, &st, 0);
			break;
		}
	}
	close(outp[0]);
	if (e)
		return gb_errf(err, GB_EXIT_ENV, "cannot run %s: %s", argv[0], strerror(e));
	if (timed_out)
		return gb_errf(err, GB_EXIT_ENV, "%s did not finish within %.1f s; killed it",
			       argv[0], timeout);
	if (status)
		*status = wait_status(st);
	return 0;
}

int proc_spawn_daemon(char *const argv[], char *const envp[], const char *cwd,
		      const char *log_path, pid_t *pidp, struct gb_err *err)
{
	int errp[2];
	if (pipe2(errp, O_CLOEXEC) != 0)
		return gb_errf(err, GB_EXIT_ENV, "cannot start %s: pipe: %s", argv[0], strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(errp[0]);
		close(errp[1]);
		return gb_errf(err, GB_EXIT_ENV, "cannot start %s: fork: %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		setsid();
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		int in = open("/dev/null", O_RDONLY);
		int lg = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || lg < 0)
			child_fail(errp[1], errno);
		if (dup2(in, 0) < 0 || dup2(lg, 1) < 0 || dup2(lg, 2) < 0)
			child_fail(errp[1], errno);
		if (in > 2)
			close(in);
		if (lg > 2)
			close(lg);
		if (cwd && chdir(cwd) != 0)
			child_fail(errp[1], errno);
		/* the daemon outlives us: it must not keep our other fds open (a caller's
		 * `flock FILE greenbench ...` lock would be held for as long as the unit runs) */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
			for (int fd = 3; fd < 1024; fd++)
				if (fd != errp[1])
					close(fd);
		child_exec(argv, envp);
		child_fail(errp[1], errno);
	}
	close(errp[1]);
	int e = read_exec_errno(errp[0]);
	if (e) {
		waitpid(pid, NULL, 0);
		return gb_errf(err, GB_EXIT_ENV, "cannot start %s (log %s): %s", argv[0],
			       log_path ? log_path : "none", strerror(e));
	}
	*pidp = pid;
	return 0;
}

/* Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session. */
static int read_stat(const char *pid, char *state, long *pgrp, long *sid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	long ppid;
	if (sscanf(p + 1, " %c %ld %ld %ld", state, &ppid, pgrp, sid) != 4)
		return -1;
	return 0;
}

int proc_group_count(pid_t pgid)
{
	if (pgid <= 1)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return kill(-pgid, 0) == 0 ? 1 : 0;
	int count = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char state;
		long pg, sid;
		if (read_stat(de->d_name, &state, &pg, &sid) != 0)
			continue;
		if (pg != pgid && sid != pgid)
			continue;
		if (state == 'Z' || state == 'X')
			waitpid((pid_t)atol(de->d_name), NULL, WNOHANG); /* ours? reap it; else no-op */
		else
			count++;
	}
	closedir(d);
	return count;
}

void proc_group_kill(pid_t pgid, int sig)
{
	if (pgid <= 1)
		return;
	kill(-pgid, sig);
	/* members of the session that made their own group */
	DIR *d = opendir("/proc");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			char state;
			long pg, sid;
			if (read_stat(de->d_name, &state, &pg, &sid) == 0 && sid == pgid && pg != pgid)
				kill((pid_t)atol(de->d_name), sig);
		}
		closedir(d);
	}
}

int proc_which(const char *name, const char *env_override, struct strbuf *out,
	       struct gb_err *err)
{
	const char *ov = env_override ? getenv(env_override) : NULL;
	if (ov && *ov) {
		if (access(ov, X_OK) != 0)
			return gb_errf(err, GB_EXIT_ENV, "%s=%s is not an executable file", env_override, ov);
		sb_addstr(out, ov);
		return 0;
	}
	if (strchr(name, '/')) {
		if (access(name, X_OK) != 0)
			return gb_errf(err, GB_EXIT_ENV, "%s is not an executable file", name);
		sb_addstr(out, name);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *p = path;
	while (*p) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		struct strbuf cand = STRBUF_INIT;
		sb_add(&cand, len ? p : ".", len ? len : 1);
		sb_addch(&cand, '/');
		sb_addstr(&cand, name);
		struct stat st;
		if (stat(cand.buf, &st) == 0 && S_ISREG(st.st_mode) && access(cand.buf, X_OK) == 0) {
			sb_add(out, cand.buf, cand.len);
			sb_release(&cand);
			return 0;
		}
		sb_release(&cand);
		if (!c)
			break;
		p = c + 1;
	}
	return gb_errf(err, GB_EXIT_ENV, "%s not found on PATH%s%s; install it or set %s",
		       name, env_override ? " and " : "", env_override ? env_override : "",
		       env_override ? env_override : "PATH");
}

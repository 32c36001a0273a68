/*
 * units_probe.c - readiness probes for units: a TCP connect, a raw HTTP/1.0
 * GET, and RPC consumers via `rabbitmqctl -q list_queues name consumers`.
 * Talks to 127.0.0.1/::1 only (the units file refuses other hosts); runs
 * rabbitmqctl by argv. Never prints, never waits longer than one attempt.
 */
#define _GNU_SOURCE
#include "units/units_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/proc.h"

static int parse_hostport(const char *hp, struct sockaddr_storage *ss, socklen_t *len,
			  const char **rest)
{
	memset(ss, 0, sizeof(*ss));
	const char *port;
	bool v6 = !strncmp(hp, "[::1]", 5);
	if (v6)
		port = hp + 5;
	else if (!strncmp(hp, "127.0.0.1", 9))
		port = hp + 9;
	else if (!strncmp(hp, "localhost", 9))
		port = hp + 9;
	else
		return -1;
	long pn = 80;
	char *end = (char *)port;
	if (*port == ':')
		pn = strtol(port + 1, &end, 10);
	if (pn <= 0 || pn > 65535)
		return -1;
	if (rest)
		*rest = end;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)pn);
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)pn);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	}
	return 0;
}

static int connect_loopback(const char *hp, const char **rest)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (parse_hostport(hp, &ss, &len, rest) != 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct pollfd p = { fd, POLLOUT, 0 };
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (poll(&p, 1, 1000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr) {
		close(fd);
		return -1;
	}
	return fd;
}

bool units_probe_tcp(const char *target)
{
	int fd = connect_loopback(target, NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool units_probe_http(const char *url, struct strbuf *why)
{
	const char *rest;
	int fd = connect_loopback(url + 7, &rest);
	if (fd < 0)
		return false;
	struct strbuf req = STRBUF_INIT;
	size_t hl = (size_t)(rest - (url + 7));
	sb_addf(&req, "GET %s HTTP/1.0\r\nHost: %.*s\r\nConnection: close\r\n\r\n",
		*rest ? rest : "/", (int)hl, url + 7);
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	bool ok = false;
	if (send(fd, req.buf, req.len, MSG_NOSIGNAL) == (ssize_t)req.len) {
		char buf[64] = "";
		size_t got = 0;
		while (got < 12) {
			ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		buf[got] = '\0';
		int code = 0;
		if (sscanf(buf, "HTTP/%*d.%*d %d", &code) == 1) {
			/* 2xx, or 300 Multiple Choices: a version document (glance answers
			 * GET / with 300 when it is up) */
			ok = (code >= 200 && code < 300) || code == 300;
			sb_reset(why);
			sb_addf(why, "last answer: HTTP %d", code);
		}
	}
	sb_release(&req);
	close(fd);
	return ok;
}

int units_probe_rpc(const char *rabbitmqctl, const char *queue, bool *ok, struct strbuf *why,
		    struct gb_err *err)
{
	char *argv[] = { (char *)rabbitmqctl, "-q", "list_queues", "name", "consumers", NULL };
	struct strbuf out = STRBUF_INIT;
	int st = 0;
	*ok = false;
	if (proc_run(argv, NULL, NULL, &out, 30, &st, err) != 0) {
		sb_release(&out);
		return -1;
	}
	sb_reset(why);
	if (st != 0)
		sb_addf(why, "rabbitmqctl exited %d", st);
	else
		sb_addf(why, "queue '%s' absent or without consumers", queue);
	size_t ql = strlen(queue);
	for (const char *p = sb_str(&out); st == 0 && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > ql && !strncmp(p, queue, ql) && (p[ql] == ' ' || p[ql] == '\t')) {
			long c = strtol(p + ql, NULL, 10);
			if (c >= 1)
				*ok = true;
		}
		p = nl ? nl + 1 : p + l;
	}
	sb_release(&out);
	return 0;
}

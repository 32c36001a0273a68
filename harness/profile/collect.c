/*
 * collect.c - picks a run's profile dumps out of the profiler's output directory and
 * parses them: by the request ids of the run's API calls, or by name (dumps of calls no request
 * of ours caused, `seq-N`: a periodic task, an internal call). Opens nothing through a symlink, reads nothing another user wrote, never
 * deletes or changes a file. Never prints, never exits.
 */
#include "profile/collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_hex_or_dash(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
}

static int is_target_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int valid_rid(const char *s, size_t n)
{
	if (n == 40 && !strncmp(s, "req-", 4)) {
		for (size_t i = 4; i < n; i++)
			if (!is_hex_or_dash(s[i]))
				return 0;
		return 1;
	}
	if (n > 4 && n < 24 && !strncmp(s, "seq-", 4)) {
		for (size_t i = 4; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return 1;
	}
	return 0;
}

int collect_parse_name(const char *name, char **target, char **rid, long *pid)
{
	*target = *rid = NULL;
	size_t n = strlen(name);
	if (n < 6 || n > 1024 || name[0] == '.' || strcmp(name + n - 5, ".prof"))
		return -1;
	n -= 5;
	/* pid: digits after the last "__" */
	size_t p = n;
	while (p > 0 && name[p - 1] >= '0' && name[p - 1] <= '9')
		p--;
	if (p == n || n - p > 9 || p < 2 || name[p - 1] != '_' || name[p - 2] != '_')
		return -1;
	long v = 0;
	for (size_t i = p; i < n; i++)
		v = v * 10 + (name[i] - '0');
	/* rid: between the previous "__" and that one */
	size_t rid_end = p - 2, r = rid_end;
	while (r >= 2 && !(name[r - 1] == '_' && name[r - 2] == '_'))
		r--;
	if (r < 2 || !valid_rid(name + r, rid_end - r))
		return -1;
	size_t tlen = r - 2;
	if (tlen == 0)
		return -1;
	const char *dash = NULL;
	for (size_t i = 0; i < tlen; i++) {
		if (!is_target_char(name[i]))
			return -1;
		if (name[i] == '-') {
			if (dash)
				return -1;
			dash = name + i;
		}
	}
	if (!dash || dash == name || dash == name + tlen - 1)
		return -1;
	*target = gb_strndup(name, tlen);
	(*target)[dash - name] = ':';
	*rid = gb_strndup(name + r, rid_end - r);
	*pid = v;
	return 0;
}

static void problem(struct collect_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct collect_result *res, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	res->problems = gb_realloc(res->problems, (res->n_problems + 1) * sizeof(char *));
	res->problems[res->n_problems++] = sb_detach(&sb);
}

/* Read path without following a symlink, only if a regular file owned by uid. */
static int read_dump(const char *path, uid_t uid, struct strbuf *out, struct gb_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return gb_errf(err, GB_EXIT_ENV, "%s: cannot open: %s", path,
			       errno == ELOOP ? "it is a symlink; refused" : strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return gb_errf(err, GB_EXIT_ENV, "%s: not a regular file; refused", path);
	}
	if (st.st_uid != uid) {
		close(fd);
		return gb_errf(err, GB_EXIT_ENV, "%s: owned by uid %ld, not the service's uid %ld; refused",
			       path, (long)st.st_uid, (long)uid);
	}
	if (st.st_size > (off_t)COLLECT_MAX_BYTES) {
		close(fd);
		return gb_errf(err, GB_EXIT_ENV, "%s: %lld bytes, more than the %u a dump may have; refused",
			       path, (long long)st.st_size, COLLECT_MAX_BYTES);
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return gb_errf(err, GB_EXIT_ENV, "%s: read failed: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > COLLECT_MAX_BYTES) {
			close(fd);
			return gb_errf(err, GB_EXIT_ENV, "%s: grew past %u bytes while being read; refused",
				       path, COLLECT_MAX_BYTES);
		}
		sb_add(out, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

/* The dump directory: a real directory owned by uid, writable by nobody else. */
static int check_dir(const char *dir, uid_t uid, struct gb_err *err)
{
	struct stat st;
	if (lstat(dir, &st))
		return gb_errf(err, GB_EXIT_ENV, "%s: profile dump directory: %s", dir, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return gb_errf(err, GB_EXIT_ENV, "%s: profile dump directory is a symlink; refused", dir);
	if (!S_ISDIR(st.st_mode))
		return gb_errf(err, GB_EXIT_ENV, "%s: profile dump directory is not a directory", dir);
	if (st.st_uid != uid && st.st_uid != 0)
		return gb_errf(err, GB_EXIT_ENV, "%s: profile dump directory is owned by uid %ld, neither "
						 "the service's uid %ld nor root; refused", dir,
			       (long)st.st_uid, (long)uid);
	if (st.st_mode & 022)
		return gb_errf(err, GB_EXIT_ENV, "%s: profile dump directory is writable by others "
						 "(mode %03o); make it 0700", dir, (unsigned)(st.st_mode & 0777));
	if (st.st_mode & (S_ISUID | S_ISGID))
		return gb_errf(err, GB_EXIT_ENV, "%s: profile dump directory has its setuid or setgid bit "
						 "set (mode %04o); make it 0700", dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Read and parse dir/name into out (it takes target and rid), or count it refused. */
static void take_dump(const char *dir, const char *name, uid_t uid, char *target, char *rid, long pid,
		      struct collect_result *out)
{
	struct strbuf path = STRBUF_INIT, raw = STRBUF_INIT;
	sb_addf(&path, "%s/%s", dir, name);
	struct gb_err ferr = { 0, "" };
	struct stat fst;
	struct pstats *ps = NULL;
	if (lstat(path.buf, &fst) == 0 && S_ISLNK(fst.st_mode)) {
		gb_errf(&ferr, GB_EXIT_ENV, "%s: is a symlink; refused", path.buf);
	} else if (read_dump(path.buf, uid, &raw, &ferr) == 0) {
		pstats_parse((const unsigned char *)sb_str(&raw), raw.len, path.buf, &ps, &ferr);
	}
	if (!ps) {
		out->n_refused++;
		problem(out, "%s", ferr.msg);
		free(target);
		free(rid);
		sb_release(&path);
		sb_release(&raw);
		return;
	}
	out->dumps = gb_realloc(out->dumps, (out->n_dumps + 1) * sizeof(*out->dumps));
	struct collect_dump *cd = &out->dumps[out->n_dumps++];
	cd->path = sb_detach(&path);
	cd->target = target;
	cd->request_id = rid;
	cd->pid = pid;
	cd->raw_len = raw.len;
	cd->raw = (unsigned char *)sb_detach(&raw);
	cd->stats = ps;
}

static int cmp_dump(const void *a, const void *b)
{
	const struct collect_dump *x = a, *y = b;
	int c = strcmp(x->request_id, y->request_id);
	if (!c)
		c = strcmp(x->target, y->target);
	if (!c)
		c = x->pid < y->pid ? -1 : x->pid > y->pid;
	return c;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int collect_dumps(const char *dir, uid_t uid, const char *const *request_ids, size_t n_ids,
		  struct collect_result *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (check_dir(dir, uid, err))
		return -1;
	DIR *d = opendir(dir);
	if (!d)
		return gb_errf(err, GB_EXIT_ENV, "%s: cannot list: %s", dir, strerror(errno));

	/* request ids, sorted for bsearch */
	char **ids = gb_malloc((n_ids ? n_ids : 1) * sizeof(char *));
	for (size_t i = 0; i < n_ids; i++)
		ids[i] = (char *)request_ids[i];
	qsort(ids, n_ids, sizeof(char *), cmp_str);

	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		size_t len = strlen(name);
		if (name[0] == '.' && len > 9 && !strcmp(name + len - 4, ".tmp") &&
		    !strcmp(name + len - 9, ".prof.tmp")) {
			out->n_partial++;
			problem(out, "%s/%s: partial dump (still being written, or its writer died); skipped",
				dir, name);
			continue;
		}
		char *target, *rid;
		long pid;
		if (collect_parse_name(name, &target, &rid, &pid))
			continue; /* not a dump: none of our business */
		char *key = rid;
		if (!n_ids || !bsearch(&key, ids, n_ids, sizeof(char *), cmp_str)) {
			out->n_ignored++;
			free(target);
			free(rid);
			continue;
		}
		take_dump(dir, name, uid, target, rid, pid, out);
	}
	closedir(d);
	free(ids);
	qsort(out->dumps, out->n_dumps, sizeof(*out->dumps), cmp_dump);
	qsort(out->problems, out->n_problems, sizeof(char *), cmp_str);
	return 0;
}

/* Order of listed names: sequence-numbered dumps by number, then by pid; others by name. */
struct listed {
	char *name;
	long seq; /* N of seq-N, or -1 */
	long pid;
};

static int cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	if ((x->seq < 0) != (y->seq < 0))
		return x->seq < 0 ? 1 : -1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->seq >= 0 && x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->name, y->name);
}

int collect_list(const char *dir, const char *target, char ***names, size_t *n_names,
		 struct gb_err *err)
{
	*names = NULL;
	*n_names = 0;
	DIR *d = opendir(dir);
	if (!d)
		return gb_errf(err, GB_EXIT_ENV, "%s: cannot list: %s", dir, strerror(errno));
	struct listed *v = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *t, *rid;
		long pid;
		if (collect_parse_name(de->d_name, &t, &rid, &pid))
			continue;
		if (!strcmp(t, target)) {
			v = gb_realloc(v, (n + 1) * sizeof(*v));
			v[n].name = gb_strdup(de->d_name);
			v[n].seq = strncmp(rid, "seq-", 4) ? -1 : strtol(rid + 4, NULL, 10);
			v[n].pid = pid;
			n++;
		}
		free(t);
		free(rid);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_listed);
	*names = gb_calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		(*names)[i] = v[i].name;
	*n_names = n;
	free(v);
	return 0;
}

void collect_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int collect_read(const char *dir, uid_t uid, const char *const *names, size_t n_names,
		 struct collect_result *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (check_dir(dir, uid, err))
		return -1;
	for (size_t i = 0; i < n_names; i++) {
		char *target, *rid;
		long pid;
		if (strchr(names[i], '/') || collect_parse_name(names[i], &target, &rid, &pid)) {
			out->n_refused++;
			problem(out, "%s/%s: not a dump name; refused", dir, names[i]);
			continue;
		}
		take_dump(dir, names[i], uid, target, rid, pid, out);
	}
	qsort(out->problems, out->n_problems, sizeof(char *), cmp_str);
	return 0;
}

void collect_result_release(struct collect_result *res)
{
	for (size_t i = 0; i < res->n_dumps; i++) {
		struct collect_dump *d = &res->dumps[i];
		free(d->path);
		free(d->target);
		free(d->request_id);
		free(d->raw);
		pstats_free(d->stats);
	}
	free(res->dumps);
	for (size_t i = 0; i < res->n_problems; i++)
		free(res->problems[i]);
	free(res->problems);
	memset(res, 0, sizeof(*res));
}

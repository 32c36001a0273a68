/*
 * dumpdir.c - a run's directory under <state>/runs/: its note (RUNNING, KEPT), listing and
 * hashing its dumps, removing it. Every file is opened relative to a directory descriptor
 * taken with O_NOFOLLOW: a symlink is never followed, a file of another owner never read.
 * Deletes only dumps, partial dumps and its own note. Never prints, never exits.
 */
#include "profile/dumpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/collect.h"

#define NOTE_RUNNING "RUNNING"
#define NOTE_KEPT "KEPT"

/* ---- names ---- */

static bool is_partial_name(const char *name)
{
	size_t len = strlen(name);
	return name[0] == '.' && len > 9 && !strcmp(name + len - 9, ".prof.tmp");
}

/* YYYYmmddTHHMMSSZ-PID, as hostchange names a run */
static bool is_run_id(const char *s)
{
	if (strlen(s) < 18 || strlen(s) > 40)
		return false;
	for (int i = 0; i < 16; i++) {
		char c = s[i];
		bool want_digit = i != 8 && i != 15;
		if (want_digit ? (c < '0' || c > '9') : c != (i == 8 ? 'T' : 'Z'))
			return false;
	}
	if (s[16] != '-' || !s[17])
		return false;
	for (const char *p = s + 17; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

void dumpdir_run_dir(const char *state_dir, const char *run_id, struct strbuf *out)
{
	sb_reset(out);
	sb_addf(out, "%s/runs/%s", state_dir, run_id);
}

/* ---- the note ---- */

static int write_note(const char *run_dir, const char *name, const char *text, struct gb_err *err)
{
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/%s", run_dir, name);
	int rc = gb_write_file_atomic(path.buf, text, strlen(text), 0600, err);
	sb_release(&path);
	return rc;
}

static void drop_note(const char *run_dir, const char *name)
{
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/%s", run_dir, name);
	unlink(path.buf);
	sb_release(&path);
}

int dumpdir_begin(const char *run_dir, struct gb_err *err)
{
	if (gb_mkdir_p0700(run_dir, err) != 0)
		return -1;
	return write_note(run_dir, NOTE_RUNNING, "this run has not settled its dumps yet\n", err);
}

int dumpdir_mark_kept(const char *run_dir, const char *why, struct gb_err *err)
{
	struct strbuf text = STRBUF_INIT;
	sb_addf(&text, "%s\n", why);
	int rc = write_note(run_dir, NOTE_KEPT, text.buf, err);
	sb_release(&text);
	if (rc == 0)
		drop_note(run_dir, NOTE_RUNNING);
	return rc;
}

enum dumpdir_state dumpdir_state_of(const char *run_dir, char **why)
{
	if (why)
		*why = NULL;
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	struct gb_err e;
	enum dumpdir_state st = DUMPDIR_UNMARKED;
	sb_addf(&path, "%s/%s", run_dir, NOTE_KEPT);
	struct stat s;
	if (lstat(path.buf, &s) == 0 && S_ISREG(s.st_mode)) {
		st = DUMPDIR_KEPT;
		if (why && gb_read_file(path.buf, 4096, &text, &e) == 0) {
			size_t n = strcspn(sb_str(&text), "\n");
			*why = gb_strndup(sb_str(&text), n);
		}
	} else {
		sb_reset(&path);
		sb_addf(&path, "%s/%s", run_dir, NOTE_RUNNING);
		if (lstat(path.buf, &s) == 0)
			st = DUMPDIR_RUNNING;
	}
	sb_release(&path);
	sb_release(&text);
	return st;
}

/* ---- listing ---- */

static void hash_file(int dirfd, uid_t uid, struct dumpdir_file *f)
{
	int fd = openat(dirfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	struct strbuf why = STRBUF_INIT;
	if (fd < 0) {
		sb_addf(&why, "%s: cannot open: %s", f->name,
			errno == ELOOP ? "it is a symlink; refused" : strerror(errno));
	} else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sb_addf(&why, "%s: not a regular file; refused", f->name);
	} else if (st.st_uid != uid) {
		sb_addf(&why, "%s: owned by uid %ld, not the service's uid %ld; refused", f->name,
			(long)st.st_uid, (long)uid);
	} else {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned char buf[65536], out[EVP_MAX_MD_SIZE];
		unsigned int n_out = 0;
		size_t total = 0;
		ssize_t n;
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
			if (n < 0)
				continue;
			EVP_DigestUpdate(md, buf, (size_t)n);
			total += (size_t)n;
		}
		if (n < 0) {
			sb_addf(&why, "%s: read failed: %s", f->name, strerror(errno));
		} else {
			EVP_DigestFinal_ex(md, out, &n_out);
			for (unsigned i = 0; i < n_out && i < 32; i++)
				snprintf(f->sha256 + 2 * i, 3, "%02x", out[i]);
			f->size = total;
		}
		EVP_MD_CTX_free(md);
	}
	if (fd >= 0)
		close(fd);
	if (why.len) {
		f->sha256[0] = '\0';
		f->problem = sb_detach(&why);
	}
	sb_release(&why);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct dumpdir_file *)a)->name, ((const struct dumpdir_file *)b)->name);
}

/* Open run_dir/dumps as a directory without following a symlink: fd, or -1 with errno
 * (ENOENT: there is none). */
static int open_dumps(const char *run_dir)
{
	int rfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	int fd = openat(rfd, "dumps", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(rfd);
	errno = e;
	return fd;
}

int dumpdir_list(const char *run_dir, struct dumpdir_listing *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	int fd = open_dumps(run_dir);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return gb_errf(err, GB_EXIT_ENV, "%s/dumps: %s", run_dir,
			       errno == ELOOP || errno == ENOTDIR ? "not a real directory; refused"
								  : strerror(errno));
	}
	struct stat dst;
	int lfd = dup(fd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (fstat(fd, &dst) != 0 || !d) {
		int e = errno;
		if (d)
			closedir(d);
		else if (lfd >= 0)
			close(lfd);
		close(fd);
		return gb_errf(err, GB_EXIT_ENV, "%s/dumps: cannot list: %s", run_dir, strerror(e));
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (is_partial_name(name)) {
			out->n_partial++;
			continue;
		}
		char *target, *rid;
		long pid;
		if (collect_parse_name(name, &target, &rid, &pid) != 0) {
			out->n_other++;
			continue;
		}
		free(target);
		out->files = gb_realloc(out->files, (out->n_files + 1) * sizeof(*out->files));
		struct dumpdir_file *f = &out->files[out->n_files++];
		memset(f, 0, sizeof(*f));
		f->name = gb_strdup(name);
		f->request_id = rid;
		hash_file(fd, dst.st_uid, f);
	}
	closedir(d);
	close(fd);
	qsort(out->files, out->n_files, sizeof(*out->files), cmp_file);
	return 0;
}

void dumpdir_listing_release(struct dumpdir_listing *l)
{
	for (size_t i = 0; i < l->n_files; i++) {
		free(l->files[i].name);
		free(l->files[i].request_id);
		free(l->files[i].problem);
	}
	free(l->files);
	memset(l, 0, sizeof(*l));
}

/* ---- removing ---- */

int dumpdir_remove(const char *run_dir, size_t *n_removed, struct gb_err *err)
{
	*n_removed = 0;
	int rfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0) {
		if (errno == ENOENT)
			return 0;
		return gb_errf(err, GB_EXIT_ENV, "%s: cannot open the run's directory: %s", run_dir,
			       errno == ELOOP || errno == ENOTDIR ? "not a real directory; refused"
								  : strerror(errno));
	}
	int fd = openat(rfd, "dumps", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		int e = errno;
		close(rfd);
		return gb_errf(err, GB_EXIT_ENV, "%s/dumps: %s", run_dir,
			       e == ELOOP || e == ENOTDIR ? "not a real directory; refused" : strerror(e));
	}
	if (fd >= 0) {
		/* first look: anything but dumps and partial dumps, and nothing is removed */
		int lfd = dup(fd);
		DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
		if (!d) {
			int e = errno;
			if (lfd >= 0)
				close(lfd);
			close(fd);
			close(rfd);
			return gb_errf(err, GB_EXIT_ENV, "%s/dumps: cannot list: %s", run_dir, strerror(e));
		}
		char **names = NULL;
		size_t n = 0;
		bool has_stranger = false;
		struct dirent *de;
		while ((de = readdir(d))) {
			const char *name = de->d_name;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			char *t = NULL, *r = NULL;
			long pid;
			bool ours = is_partial_name(name) || collect_parse_name(name, &t, &r, &pid) == 0;
			free(t);
			free(r);
			struct stat st;
			if (ours && (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode)))
				ours = false;
			if (!ours) {
				has_stranger = true;
				gb_errf(err, GB_EXIT_ENV, "%s/dumps/%s: not a profile dump; the directory is kept "
							  "(remove it by hand if it is not needed)", run_dir, name);
				break;
			}
			names = gb_realloc(names, (n + 1) * sizeof(*names));
			names[n++] = gb_strdup(name);
		}
		closedir(d);
		int rc = 0;
		for (size_t i = 0; i < n; i++) {
			if (!has_stranger && unlinkat(fd, names[i], 0) != 0 && errno != ENOENT && rc == 0)
				rc = gb_errf(err, GB_EXIT_ENV, "%s/dumps/%s: cannot remove: %s", run_dir,
					     names[i], strerror(errno));
			else if (!has_stranger)
				(*n_removed)++;
			free(names[i]);
		}
		free(names);
		close(fd);
		if (has_stranger || rc != 0) {
			close(rfd);
			return -1;
		}
		if (unlinkat(rfd, "dumps", AT_REMOVEDIR) != 0 && errno != ENOENT) {
			int e = errno;
			close(rfd);
			return gb_errf(err, GB_EXIT_ENV, "%s/dumps: cannot remove: %s", run_dir, strerror(e));
		}
	}
	unlinkat(rfd, NOTE_RUNNING, 0);
	unlinkat(rfd, NOTE_KEPT, 0);
	close(rfd);
	if (rmdir(run_dir) != 0 && errno != ENOENT)
		return gb_errf(err, GB_EXIT_ENV, "%s: cannot remove the run's directory: %s", run_dir,
			       strerror(errno));
	return 0;
}

/* ---- the runs of a state directory ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dumpdir_runs(const char *state_dir, char ***ids, size_t *n, struct gb_err *err)
{
	*ids = NULL;
	*n = 0;
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/runs", state_dir);
	int fd = open(path.buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		int rc = e == ENOENT ? 0
				     : gb_errf(err, GB_EXIT_ENV, "%s: cannot open: %s", path.buf, strerror(e));
		sb_release(&path);
		return rc;
	}
	int lfd = dup(fd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		int e = errno;
		if (lfd >= 0)
			close(lfd);
		close(fd);
		gb_errf(err, GB_EXIT_ENV, "%s: cannot list: %s", path.buf, strerror(e));
		sb_release(&path);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!is_run_id(de->d_name) || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		*ids = gb_realloc(*ids, (*n + 1) * sizeof(**ids));
		(*ids)[(*n)++] = gb_strdup(de->d_name);
	}
	closedir(d);
	close(fd);
	sb_release(&path);
	qsort(*ids, *n, sizeof(**ids), cmp_str);
	return 0;
}

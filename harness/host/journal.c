/*
 * journal.c - the write-ahead journal of host changes and the run lock.
 * Every record is appended and fsync'd before the change it describes is
 * made; file backups are fsync'd before their record. Never prints, never
 * changes anything outside the state directory except in journal_restore_file.
 */
#define _GNU_SOURCE
#include "host/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#define JOURNAL_MAX (64u << 20)
#define BACKUP_MAX (256u << 20)

struct journal {
	char *state_dir;
	char *path;               /* <state_dir>/journal */
	int fd;                   /* append fd, -1 when loaded read-only */
	struct journal_rec *recs; /* every record, in order */
	size_t n_recs, alloc_recs;
	int next_backup;          /* journal.d/<n>.orig */
};

/* ---- paths, lock ---- */

static int mkdir_p(const char *path, mode_t mode, struct gb_err *err)
{
	char *p = gb_strdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			gb_errf(err, GB_EXIT_ENV, "cannot create directory %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = 0;
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		rc = gb_errf(err, GB_EXIT_ENV, "cannot create directory %s: %s", p, strerror(errno));
	free(p);
	return rc;
}

int journal_state_dir(const char *dir, struct strbuf *out, struct gb_err *err)
{
	if (dir && *dir) {
		sb_addstr(out, dir);
	} else if (geteuid() == 0) {
		sb_addstr(out, "/var/lib/greenbench");
	} else {
		const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
		if (x && *x == '/')
			sb_addf(out, "%s/greenbench", x);
		else if (home && *home)
			sb_addf(out, "%s/.local/state/greenbench", home);
		else
			return gb_errf(err, GB_EXIT_ENV, "no state directory: HOME is not set; "
						     "give --state-dir DIR");
	}
	while (out->len > 1 && out->buf[out->len - 1] == '/')
		out->buf[--out->len] = '\0';
	if (mkdir_p(out->buf, 0700, err) != 0)
		return -1;
	char abs[PATH_MAX]; /* absolute: it ends up in GREENBENCH_PROFILE's out= */
	if (!realpath(out->buf, abs))
		return gb_errf(err, GB_EXIT_ENV, "state directory %s: %s", out->buf, strerror(errno));
	sb_reset(out);
	sb_addstr(out, abs);
	return 0;
}

int journal_lock(const char *state_dir, int *fdp, long *stale_pid, struct gb_err *err)
{
	struct strbuf p = STRBUF_INIT;
	sb_addf(&p, "%s/lock", state_dir);
	*stale_pid = 0;
	int fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		gb_errf(err, GB_EXIT_ENV, "cannot open the lock %s: %s", p.buf, strerror(errno));
		sb_release(&p);
		return -1;
	}
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long holder = n > 0 ? strtol(buf, NULL, 10) : 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (holder > 0)
			gb_errf(err, GB_EXIT_ENV, "another greenbench run (pid %ld) holds %s; wait for "
						  "it to finish (two runs on one host would corrupt each "
						  "other's measurements and restores)", holder, p.buf);
		else
			gb_errf(err, GB_EXIT_ENV, "another greenbench run holds %s; wait for it to finish",
				p.buf);
		close(fd);
		sb_release(&p);
		return -1;
	}
	if (holder > 0 && holder != (long)getpid())
		*stale_pid = holder; /* it left its pid behind: it died without unlocking */
	char me[32];
	int len = snprintf(me, sizeof(me), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, me, (size_t)len, 0) != len || fsync(fd) != 0) {
		gb_errf(err, GB_EXIT_ENV, "cannot write the lock %s: %s", p.buf, strerror(errno));
		close(fd);
		sb_release(&p);
		return -1;
	}
	sb_release(&p);
	*fdp = fd;
	return 0;
}

void journal_unlock(int fd, const char *state_dir)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) != 0) { /* the pid stays; the next run sees it as stale */ }
	close(fd);
	(void)state_dir;
}

/* ---- encoding ---- */

static void encode_field(struct strbuf *sb, const char *s)
{
	if (!*s) {
		sb_addch(sb, '%');
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p == '%' || *p == 0x7f)
			sb_addf(sb, "%%%02X", *p);
		else
			sb_addch(sb, (char)*p);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *decode_field(const char *s, size_t len)
{
	if (len == 1 && s[0] == '%')
		return gb_strdup("");
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h = i + 1 < len ? hexval(s[i + 1]) : -1;
			int l = i + 2 < len ? hexval(s[i + 2]) : -1;
			if (h >= 0 && l >= 0) {
				sb_addch(&sb, (char)(h * 16 + l));
				i += 2;
				continue;
			}
		}
		sb_addch(&sb, s[i]);
	}
	return sb_detach(&sb);
}

static void add_rec(struct journal *j, const char *kind, const char *const *fields, size_t n,
		    int line)
{
	if (j->n_recs == j->alloc_recs) {
		j->alloc_recs = j->alloc_recs ? 2 * j->alloc_recs : 16;
		j->recs = gb_realloc(j->recs, j->alloc_recs * sizeof(*j->recs));
	}
	struct journal_rec *r = &j->recs[j->n_recs++];
	r->kind = gb_strdup(kind);
	r->fields = gb_calloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r->fields[i] = gb_strdup(fields[i]);
	r->n_fields = n;
	r->line = line;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* ---- create, load, append ---- */

static struct journal *journal_new(const char *state_dir)
{
	struct journal *j = gb_calloc(1, sizeof(*j));
	j->state_dir = gb_strdup(state_dir);
	struct strbuf p = STRBUF_INIT;
	sb_addf(&p, "%s/journal", state_dir);
	j->path = sb_detach(&p);
	j->fd = -1;
	return j;
}

bool journal_exists(const char *state_dir)
{
	struct strbuf p = STRBUF_INIT;
	sb_addf(&p, "%s/journal", state_dir);
	bool e = access(p.buf, F_OK) == 0;
	sb_release(&p);
	return e;
}

int journal_create(const char *state_dir, const char *run_id, const char *units_file,
		   const char *backend, struct journal **out, struct gb_err *err)
{
	struct journal *j = journal_new(state_dir);
	struct strbuf d = STRBUF_INIT;
	sb_addf(&d, "%s/journal.d", state_dir);
	int rc = mkdir_p(d.buf, 0700, err);
	sb_release(&d);
	if (rc != 0) {
		journal_close(j);
		return -1;
	}
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		gb_errf(err, GB_EXIT_ENV, "cannot create the journal %s: %s%s", j->path,
			strerror(errno), errno == EEXIST ? " (run `greenbench restore` first)" : "");
		journal_close(j);
		return -1;
	}
	fsync_dir(state_dir);
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	const char *f[] = { run_id, pid, units_file ? units_file : "", backend ? backend : "" };
	if (journal_append(j, JOURNAL_BEGIN, f, 4, err) != 0) {
		journal_close(j);
		return -1;
	}
	*out = j;
	return 0;
}

int journal_load(const char *state_dir, struct journal **out, struct gb_err *err)
{
	struct journal *j = journal_new(state_dir);
	struct strbuf sb = STRBUF_INIT;
	if (gb_read_file(j->path, JOURNAL_MAX, &sb, err) != 0) {
		sb_release(&sb);
		journal_close(j);
		return -1;
	}
	const char *p = sb.buf, *end = sb.buf + sb.len;
	int line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (!nl)
			break; /* torn last record: the change it announced was never made */
		const char *toks[16];
		size_t lens[16], nt = 0;
		const char *q = p;
		while (q < nl && nt < 16) {
			while (q < nl && *q == ' ')
				q++;
			if (q >= nl)
				break;
			const char *s = q;
			while (q < nl && *q != ' ')
				q++;
			toks[nt] = s;
			lens[nt++] = (size_t)(q - s);
		}
		if (nt >= 1) {
			char *kind = gb_strndup(toks[0], lens[0]);
			char *fields[15];
			for (size_t i = 1; i < nt; i++)
				fields[i - 1] = decode_field(toks[i], lens[i]);
			add_rec(j, kind, (const char *const *)fields, nt - 1, line);
			for (size_t i = 1; i < nt; i++)
				free(fields[i - 1]);
			free(kind);
			if (!strcmp(j->recs[j->n_recs - 1].kind, JOURNAL_FILE))
				j->next_backup++;
		}
		p = nl + 1;
	}
	sb_release(&sb);
	if (j->n_recs == 0 || strcmp(j->recs[0].kind, JOURNAL_BEGIN)) {
		gb_errf(err, GB_EXIT_ENV, "%s: not a greenbench journal (no begin record); inspect "
					  "it and remove it by hand", j->path);
		journal_close(j);
		return -1;
	}
	j->next_backup += 1000; /* never reuse a backup name of the crashed run */
	*out = j;
	return 0;
}

int journal_append(struct journal *j, const char *kind, const char *const *fields, size_t n,
		   struct gb_err *err)
{
	if (j->fd < 0) {
		j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (j->fd < 0)
			return gb_errf(err, GB_EXIT_ENV, "cannot append to the journal %s: %s", j->path,
				       strerror(errno));
	}
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, kind);
	for (size_t i = 0; i < n; i++) {
		sb_addch(&sb, ' ');
		encode_field(&sb, fields[i]);
	}
	sb_addch(&sb, '\n');
	ssize_t w = write(j->fd, sb.buf, sb.len);
	if (w != (ssize_t)sb.len || fsync(j->fd) != 0) {
		gb_errf(err, GB_EXIT_ENV, "cannot write the journal %s: %s; nothing was changed for "
					  "this step", j->path, w < 0 ? strerror(errno) : "short write");
		sb_release(&sb);
		return -1;
	}
	sb_release(&sb);
	add_rec(j, kind, fields, n, (int)j->n_recs + 1);
	return 0;
}

/* ---- records ---- */

static const struct journal_rec *find_file(const struct journal *j, const char *path)
{
	for (size_t i = 0; i < j->n_recs; i++)
		if (!strcmp(j->recs[i].kind, JOURNAL_FILE) && j->recs[i].n_fields >= 1 &&
		    !strcmp(j->recs[i].fields[0], path))
			return &j->recs[i];
	return NULL;
}

int journal_backup_file(struct journal *j, const char *path, struct gb_err *err)
{
	if (find_file(j, path))
		return 0;
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return gb_errf(err, GB_EXIT_ENV, "%s: cannot stat: %s", path, strerror(errno));
		const char *f[] = { path, "0", "0", "", "" };
		return journal_append(j, JOURNAL_FILE, f, 5, err);
	}
	if (!S_ISREG(st.st_mode))
		return gb_errf(err, GB_EXIT_ENV, "%s: not a regular file (a symlink or device); "
						 "greenbench only changes regular files", path);
	struct strbuf data = STRBUF_INIT, bpath = STRBUF_INIT;
	if (gb_read_file(path, BACKUP_MAX, &data, err) != 0) {
		sb_release(&data);
		return -1;
	}
	char sha[65], mode[16], uid[24], gid[24];
	gb_sha256_hex(data.buf, data.len, sha);
	snprintf(mode, sizeof(mode), "%o", (unsigned)(st.st_mode & 07777));
	snprintf(uid, sizeof(uid), "%ld", (long)st.st_uid);
	snprintf(gid, sizeof(gid), "%ld", (long)st.st_gid);
	sb_addf(&bpath, "%s/journal.d/%d.orig", j->state_dir, j->next_backup++);
	int rc = gb_write_file_atomic(bpath.buf, data.buf, data.len, 0600, err);
	if (rc == 0) {
		struct strbuf d = STRBUF_INIT;
		sb_addf(&d, "%s/journal.d", j->state_dir);
		fsync_dir(d.buf);
		sb_release(&d);
		const char *f[] = { path, "1", mode, sha, bpath.buf, uid, gid };
		rc = journal_append(j, JOURNAL_FILE, f, 7, err);
	}
	sb_release(&data);
	sb_release(&bpath);
	return rc;
}

int journal_add_statedir(struct journal *j, const char *path, struct gb_err *err)
{
	const char *f[] = { path };
	return journal_append(j, JOURNAL_STATEDIR, f, 1, err);
}

int journal_add_mkdir(struct journal *j, const char *path, struct gb_err *err)
{
	const char *f[] = { path };
	return journal_append(j, JOURNAL_MKDIR, f, 1, err);
}

int journal_add_patch(struct journal *j, const char *tree, const char *patch_path,
		      const char *sha, const char *method, struct gb_err *err)
{
	struct strbuf data = STRBUF_INIT, bpath = STRBUF_INIT;
	if (gb_read_file(patch_path, BACKUP_MAX, &data, err) != 0) {
		sb_release(&data);
		return -1;
	}
	sb_addf(&bpath, "%s/journal.d/%d.patch", j->state_dir, j->next_backup++);
	int rc = gb_write_file_atomic(bpath.buf, data.buf, data.len, 0600, err);
	if (rc == 0) {
		const char *f[] = { tree, bpath.buf, sha, method };
		rc = journal_append(j, JOURNAL_PATCH, f, 4, err);
	}
	sb_release(&data);
	sb_release(&bpath);
	return rc;
}

int journal_add_server(struct journal *j, const char *cloud, const char *server_id,
		       const char *name, struct gb_err *err)
{
	const char *f[] = { cloud ? cloud : "", server_id ? server_id : "", name ? name : "" };
	return journal_append(j, JOURNAL_SERVER, f, 3, err);
}

int journal_server_gone(struct journal *j, const char *server_id, struct gb_err *err)
{
	const char *f[] = { server_id };
	return journal_append(j, JOURNAL_SERVER_GONE, f, 1, err);
}

int journal_each_server(const struct journal *j, journal_server_fn fn, void *arg,
			struct gb_err *err)
{
	int failed = 0;
	for (size_t i = 0; i < j->n_recs; i++) {
		const struct journal_rec *r = &j->recs[i];
		if (strcmp(r->kind, JOURNAL_SERVER) || r->n_fields < 3)
			continue;
		bool gone = false;
		for (size_t k = i + 1; k < j->n_recs && !gone; k++) {
			const struct journal_rec *x = &j->recs[k];
			/* deleted by id; or a name-only record (before the POST answered)
			 * followed by the record with its id, which speaks for it */
			gone = (!strcmp(x->kind, JOURNAL_SERVER_GONE) && x->n_fields >= 1 &&
				*r->fields[1] && !strcmp(x->fields[0], r->fields[1])) ||
			       (!*r->fields[1] && !strcmp(x->kind, JOURNAL_SERVER) && x->n_fields >= 3 &&
				*x->fields[1] && !strcmp(x->fields[2], r->fields[2]) &&
				!strcmp(x->fields[0], r->fields[0]));
		}
		if (gone)
			continue;
		if (fn(arg, r->fields[0], r->fields[1], r->fields[2], err) != 0)
			failed++;
	}
	return failed;
}

int journal_add_resource(struct journal *j, const char *cloud, const char *service,
			 const char *delete_path, const char *find, const char *name,
			 struct gb_err *err)
{
	const char *f[] = { cloud ? cloud : "", service, delete_path ? delete_path : "",
			    name ? name : "", find ? find : "" };
	return journal_append(j, JOURNAL_RESOURCE, f, 5, err);
}

int journal_resource_gone(struct journal *j, const char *service, const char *delete_path,
			  struct gb_err *err)
{
	const char *f[] = { service, delete_path };
	return journal_append(j, JOURNAL_RESOURCE_GONE, f, 2, err);
}

int journal_each_resource(const struct journal *j, journal_resource_fn fn, void *arg,
			  struct gb_err *err)
{
	int failed = 0;
	for (size_t i = 0; i < j->n_recs; i++) {
		const struct journal_rec *r = &j->recs[i];
		if (strcmp(r->kind, JOURNAL_RESOURCE) || r->n_fields < 4)
			continue;
		bool has_path = *r->fields[2] && !strstr(r->fields[2], "{id}"), gone = false;
		for (size_t k = i + 1; k < j->n_recs && !gone; k++) {
			const struct journal_rec *x = &j->recs[k];
			gone = (has_path && !strcmp(x->kind, JOURNAL_RESOURCE_GONE) && x->n_fields >= 2 &&
				!strcmp(x->fields[0], r->fields[1]) && !strcmp(x->fields[1], r->fields[2])) ||
			       (!has_path && !strcmp(x->kind, JOURNAL_RESOURCE) && x->n_fields >= 4 &&
				*x->fields[2] && !strstr(x->fields[2], "{id}") &&
				!strcmp(x->fields[3], r->fields[3]) &&
				!strcmp(x->fields[1], r->fields[1]));
		}
		if (gone)
			continue;
		if (fn(arg, r->fields[0], r->fields[1], r->fields[2],
		       r->n_fields >= 5 ? r->fields[4] : "", r->fields[3], err) != 0)
			failed++;
	}
	return failed;
}

const struct journal_rec *journal_records(const struct journal *j, size_t *n)
{
	*n = j->n_recs;
	return j->recs;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

int journal_restore_file(const struct journal_rec *rec, bool *changed, struct gb_err *err)
{
	*changed = false;
	if (rec->n_fields < 5)
		return gb_errf(err, GB_EXIT_ENV, "journal line %d: file record has %zu fields, "
						 "expected 5", rec->line, rec->n_fields);
	const char *path = rec->fields[0];
	if (!strcmp(rec->fields[1], "0")) {
		if (unlink(path) == 0)
			*changed = true;
		else if (errno != ENOENT)
			return gb_errf(err, GB_EXIT_ENV, "%s: created by the run, cannot remove it: %s",
				       path, strerror(errno));
		return 0;
	}
	const char *want = rec->fields[3], *backup = rec->fields[4];
	unsigned mode = (unsigned)strtoul(rec->fields[2], NULL, 8);
	/* the owner: in records since the devstack box (a config of user stack); older
	 * journals' files keep whatever owner they have */
	bool has_owner = rec->n_fields >= 7;
	uid_t uid = has_owner ? (uid_t)strtol(rec->fields[5], NULL, 10) : 0;
	gid_t gid = has_owner ? (gid_t)strtol(rec->fields[6], NULL, 10) : 0;
	char have[65];
	struct gb_err e2;
	struct stat st;
	bool is_same = gb_sha256_file(path, have, &e2) == 0 && !strcmp(have, want) &&
		       stat(path, &st) == 0 && (st.st_mode & 07777) == mode;
	if (is_same && (!has_owner || (st.st_uid == uid && st.st_gid == gid)))
		return 0; /* already the original bytes, mode and owner */
	if (is_same) { /* only the owner differs */
		if (chown(path, uid, gid) != 0)
			return gb_errf(err, GB_EXIT_ENV, "%s: cannot give it back to its owner (uid %ld, "
							 "gid %ld): %s", path, (long)uid, (long)gid, strerror(errno));
		*changed = true;
		return 0;
	}
	struct strbuf data = STRBUF_INIT;
	if (gb_read_file(backup, BACKUP_MAX, &data, err) != 0) {
		sb_release(&data);
		return gb_errf(err, GB_EXIT_ENV, "%s: its backup %s is unreadable; the original "
						 "bytes are lost, restore the file by hand", path, backup);
	}
	char got[65];
	gb_sha256_hex(data.buf, data.len, got);
	if (strcmp(got, want)) {
		sb_release(&data);
		return gb_errf(err, GB_EXIT_ENV, "%s: its backup %s has sha256 %.12s..., the journal "
						 "says %.12s...; not restoring from a damaged backup",
			       path, backup, got, want);
	}
	int rc = gb_write_file_atomic(path, data.buf, data.len, mode, err);
	sb_release(&data);
	if (rc != 0)
		return -1;
	*changed = true;
	/* a file the write re-created (it was gone) is greenbench's: give it back */
	if (has_owner && (stat(path, &st) != 0 || st.st_uid != uid || st.st_gid != gid) &&
	    chown(path, uid, gid) != 0)
		return gb_errf(err, GB_EXIT_ENV, "%s: restored, but cannot give it back to its owner "
						 "(uid %ld, gid %ld): %s", path, (long)uid, (long)gid,
			       strerror(errno));
	if (gb_sha256_file(path, have, err) != 0)
		return -1;
	if (strcmp(have, want))
		return gb_errf(err, GB_EXIT_ENV, "%s: restored, but its sha256 is %.12s..., not the "
						 "original %.12s...", path, have, want);
	return 0;
}

int journal_discard(const char *state_dir, struct gb_err *err)
{
	struct strbuf p = STRBUF_INIT;
	/* the journal goes first: without it, leftover backups are harmless */
	sb_addf(&p, "%s/journal", state_dir);
	if (unlink(p.buf) != 0 && errno != ENOENT) {
		gb_errf(err, GB_EXIT_ENV, "cannot remove the journal %s: %s", p.buf, strerror(errno));
		sb_release(&p);
		return -1;
	}
	fsync_dir(state_dir);
	sb_reset(&p);
	sb_addf(&p, "%s/journal.d", state_dir);
	DIR *d = opendir(p.buf);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			struct strbuf f = STRBUF_INIT;
			sb_addf(&f, "%s/%s", p.buf, de->d_name);
			unlink(f.buf);
			sb_release(&f);
		}
		closedir(d);
	}
	rmdir(p.buf);
	sb_release(&p);
	return 0;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (size_t i = 0; i < j->n_recs; i++) {
		for (size_t k = 0; k < j->recs[i].n_fields; k++)
			free(j->recs[i].fields[k]);
		free(j->recs[i].fields);
		free(j->recs[i].kind);
	}
	free(j->recs);
	free(j->path);
	free(j->state_dir);
	free(j);
}

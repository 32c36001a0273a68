/*
 * patch.c - source patches: sha256, check, apply, reverse, dirty-tree check.
 * git apply inside git work trees, patch(1) elsewhere; both by argv (proc.h),
 * never through a shell. Never journals and never prints: hostchange does.
 */
#include "host/patch.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "host/journal.h"
#include "base/proc.h"

#define PATCH_MAX (64u << 20)
#define TOOL_TIMEOUT 120.0

static void first_line(const struct strbuf *out, struct strbuf *line)
{
	const char *s = sb_str(out);
	const char *nl = strchr(s, '\n');
	sb_add(line, s, nl ? (size_t)(nl - s) : strlen(s));
	if (!line->len)
		sb_addstr(line, "(no output)");
}

/* The start of a git command line for tree: as root in a tree another user owns (devstack's
 * /opt/stack/nova is stack's), git runs as that owner (runuser), so that what git apply
 * writes stays the owner's and git does not refuse the tree for "dubious ownership";
 * safe.directory covers the case where runuser is missing. Returns argv words used;
 * user (the owner's name) must outlive argv. */
static size_t git_prefix(const char *tree, char **argv, char *user, size_t user_len,
			 char *safe, size_t safe_len, uid_t *as_uid)
{
	size_t n = 0;
	if (as_uid)
		*as_uid = (uid_t)-1;
	struct stat st;
	struct passwd *pw;
	struct strbuf ru = STRBUF_INIT;
	if (geteuid() == 0 && stat(tree, &st) == 0 && st.st_uid != 0 &&
	    (pw = getpwuid(st.st_uid)) && proc_which("runuser", NULL, &ru, NULL) == 0) {
		snprintf(user, user_len, "%s", pw->pw_name);
		if (as_uid)
			*as_uid = st.st_uid;
		argv[n++] = "runuser";
		argv[n++] = "-u";
		argv[n++] = user;
		argv[n++] = "--";
	}
	sb_release(&ru);
	argv[n++] = "git";
	snprintf(safe, safe_len, "safe.directory=%s", tree);
	argv[n++] = "-c";
	argv[n++] = safe;
	return n;
}

static int run_tool(char *const argv[], const char *cwd, struct strbuf *out, int *status,
		    struct gb_err *err)
{
	return proc_run(argv, NULL, cwd, out, TOOL_TIMEOUT, status, err);
}

void patch_info_free(struct patch_info *pi)
{
	free(pi->path);
	free(pi->tree);
	for (size_t i = 0; i < pi->n_files; i++)
		free(pi->files[i]);
	free(pi->files);
	memset(pi, 0, sizeof(*pi));
}

/* Paths from "+++ b/x" / "--- a/x" lines, -p1, for trees outside git. */
static void files_from_diff(struct patch_info *pi, const char *data)
{
	for (const char *p = data; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > 4 && !strncmp(p, "+++ ", 4)) {
			const char *f = p + 4;
			size_t fl = l - 4;
			const char *tab = memchr(f, '\t', fl);
			if (tab)
				fl = (size_t)(tab - f);
			const char *slash = memchr(f, '/', fl);
			if (slash && strncmp(f, "/dev/null", 9)) {
				pi->files = gb_realloc(pi->files, (pi->n_files + 1) * sizeof(char *));
				pi->files[pi->n_files++] = gb_strndup(slash + 1, fl - (size_t)(slash + 1 - f));
			}
		}
		p = nl ? nl + 1 : NULL;
	}
}

int patch_inspect(const char *patch_path, const char *tree, struct patch_info *pi,
		  struct gb_err *err)
{
	memset(pi, 0, sizeof(*pi));
	char abs_patch[PATH_MAX], abs_tree[PATH_MAX];
	if (!realpath(patch_path, abs_patch))
		return gb_errf(err, GB_EXIT_USAGE, "patch %s: %s", patch_path, strerror(errno));
	if (!realpath(tree, abs_tree))
		return gb_errf(err, GB_EXIT_USAGE, "patch %s: its tree %s: %s", patch_path, tree,
			       strerror(errno));
	struct strbuf data = STRBUF_INIT;
	if (gb_read_file(abs_patch, PATCH_MAX, &data, err) != 0) {
		sb_release(&data);
		return -1;
	}
	if (!strstr(sb_str(&data), "\n+++ ") && strncmp(sb_str(&data), "+++ ", 4)) {
		sb_release(&data);
		return gb_errf(err, GB_EXIT_USAGE, "patch %s: not a unified diff (no '+++' line)",
			       patch_path);
	}
	pi->path = gb_strdup(abs_patch);
	pi->tree = gb_strdup(abs_tree);
	gb_sha256_hex(data.buf, data.len, pi->sha);
	struct strbuf out = STRBUF_INIT;
	int st = 1;
	char *rp[12], user[256], safe[PATH_MAX + 32];
	size_t k = git_prefix(abs_tree, rp, user, sizeof(user), safe, sizeof(safe), NULL);
	rp[k++] = "-C";
	rp[k++] = abs_tree;
	rp[k++] = "rev-parse";
	rp[k++] = "--show-toplevel";
	rp[k] = NULL;
	struct gb_err e2;
	if (proc_run(rp, NULL, NULL, &out, TOOL_TIMEOUT, &st, &e2) == 0 && st == 0)
		pi->is_git = true;
	files_from_diff(pi, data.buf);
	sb_release(&out);
	sb_release(&data);
	return 0;
}

static int apply_cmd(const char *tree, const char *patch, bool is_git, bool reverse,
		     bool dry_run, struct strbuf *out, int *st, struct gb_err *err)
{
	char *argv[16], user[256], safe[PATH_MAX + 32], copy[64] = "";
	size_t n = 0;
	if (is_git) {
		uid_t as_uid;
		n = git_prefix(tree, argv, user, sizeof(user), safe, sizeof(safe), &as_uid);
		if (as_uid != (uid_t)-1) {
			/* the patch (often the journal's copy, root's 0600 in a 0700 directory) as a
			 * private copy the tree's owner can read */
			struct strbuf data = STRBUF_INIT;
			snprintf(copy, sizeof(copy), "/tmp/greenbench-patch.XXXXXX");
			if (gb_read_file(patch, 64u << 20, &data, err) != 0) {
				sb_release(&data);
				return -1;
			}
			int fd = mkstemp(copy);
			bool written = fd >= 0 && write(fd, sb_str(&data), data.len) == (ssize_t)data.len &&
				       fchown(fd, as_uid, (gid_t)-1) == 0;
			int e = errno;
			sb_release(&data);
			if (fd >= 0)
				close(fd);
			if (!written) {
				if (fd >= 0)
					unlink(copy);
				return gb_errf(err, GB_EXIT_ENV, "cannot copy patch %s to /tmp for %s (the "
								 "tree's owner) to read: %s", patch, user,
					       strerror(e));
			}
			patch = copy;
		}
		argv[n++] = "-C";
		argv[n++] = (char *)tree;
		argv[n++] = "apply";
		if (dry_run)
			argv[n++] = "--check";
		if (reverse)
			argv[n++] = "--reverse";
		argv[n++] = (char *)patch;
	} else {
		argv[n++] = "patch";
		argv[n++] = "-p1";
		argv[n++] = "--batch";
		argv[n++] = "--forward";
		argv[n++] = "--no-backup-if-mismatch";
		if (dry_run)
			argv[n++] = "--dry-run";
		if (reverse)
			argv[3] = "--reverse"; /* in place of --forward */
		argv[n++] = "-d";
		argv[n++] = (char *)tree;
		argv[n++] = "-i";
		argv[n++] = (char *)patch;
	}
	argv[n] = NULL;
	int rc = run_tool(argv, NULL, out, st, err);
	if (copy[0])
		unlink(copy);
	return rc;
}

int patch_check(const struct patch_info *pi, bool reverse, struct gb_err *err)
{
	struct strbuf out = STRBUF_INIT, line = STRBUF_INIT;
	int st = 1;
	if (apply_cmd(pi->tree, pi->path, pi->is_git, reverse, true, &out, &st, err) != 0) {
		sb_release(&out);
		return -1;
	}
	int rc = 0;
	if (st != 0) {
		first_line(&out, &line);
		rc = gb_errf(err, GB_EXIT_USAGE, "patch %s does not %s to %s: %s", pi->path,
			     reverse ? "reverse-apply" : "apply", pi->tree, line.buf);
	}
	sb_release(&out);
	sb_release(&line);
	return rc;
}

int patch_apply(const struct patch_info *pi, bool reverse, struct gb_err *err)
{
	struct strbuf out = STRBUF_INIT, line = STRBUF_INIT;
	int st = 1;
	if (apply_cmd(pi->tree, pi->path, pi->is_git, reverse, false, &out, &st, err) != 0) {
		sb_release(&out);
		return -1;
	}
	int rc = 0;
	if (st != 0) {
		first_line(&out, &line);
		rc = gb_errf(err, GB_EXIT_ENV, "%s patch %s in %s failed after a clean check: %s",
			     reverse ? "reversing" : "applying", pi->path, pi->tree, line.buf);
	}
	sb_release(&out);
	sb_release(&line);
	return rc;
}

int patch_dirty_files(const struct patch_info *pi, struct strbuf *dirty, struct gb_err *err)
{
	if (!pi->is_git || !pi->n_files)
		return 0;
	char **argv = gb_calloc(pi->n_files + 14, sizeof(char *));
	char user[256], safe[PATH_MAX + 32];
	size_t n = git_prefix(pi->tree, argv, user, sizeof(user), safe, sizeof(safe), NULL);
	argv[n++] = "-C";
	argv[n++] = pi->tree;
	argv[n++] = "status";
	argv[n++] = "--porcelain";
	argv[n++] = "--";
	for (size_t i = 0; i < pi->n_files; i++)
		argv[n++] = pi->files[i];
	argv[n] = NULL;
	struct strbuf out = STRBUF_INIT;
	int st = 1;
	int rc = run_tool(argv, NULL, &out, &st, err);
	free(argv);
	if (rc != 0) {
		sb_release(&out);
		return -1;
	}
	if (st != 0) {
		struct strbuf line = STRBUF_INIT;
		first_line(&out, &line);
		gb_errf(err, GB_EXIT_ENV, "git status in %s failed: %s", pi->tree, line.buf);
		sb_release(&line);
		sb_release(&out);
		return -1;
	}
	int count = 0;
	for (const char *p = sb_str(&out); *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > 3) {
			if (count++)
				sb_addstr(dirty, ", ");
			sb_add(dirty, p + 3, l - 3);
		}
		p = nl ? nl + 1 : p + l;
	}
	sb_release(&out);
	return count;
}

int patch_undo(const char *tree, const char *patch_copy, const char *method, bool *was_applied,
	       struct gb_err *err)
{
	struct patch_info pi = { 0 };
	pi.tree = (char *)tree;
	pi.path = (char *)patch_copy;
	pi.is_git = !strcmp(method, "git");
	*was_applied = false;
	struct gb_err rev_err, fwd_err;
	if (patch_check(&pi, true, &rev_err) == 0) {
		if (patch_apply(&pi, true, err) != 0)
			return -1;
		*was_applied = true;
		return 0;
	}
	if (patch_check(&pi, false, &fwd_err) == 0)
		return 0; /* the run died before applying it */
	return gb_errf(err, GB_EXIT_ENV, "patch %s in %s is neither applied nor cleanly "
					 "unapplied (%s); fix the tree by hand (git -C %s diff)",
		       patch_copy, tree, rev_err.msg, tree);
}

/*
 * t_patch.c - source patches in a temporary git tree and a plain tree:
 * apply, refuse what does not apply, conflicts, dirty files, reverse.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/patch.h"
#include "base/proc.h"
#include "lib/tap.h"

static char tmp[PATH_MAX];

static void put(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	gb_write_file_atomic(p, text, strlen(text), 0644, NULL);
}

static char *get(const char *dir, const char *name)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	struct strbuf sb = STRBUF_INIT;
	gb_read_file(p, 1 << 20, &sb, NULL);
	return sb_detach(&sb);
}

static int git(const char *tree, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { "git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", (char *)tree,
			 (char *)a1, (char *)a2, (char *)a3, NULL };
	int st = -1;
	proc_run(argv, NULL, NULL, NULL, 30, &st, NULL);
	return st;
}

static const char orig[] = "def select_destinations(ctx):\n    hosts = []\n    return hosts\n";
static const char fix_patch[] =
	"--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,3 +1,4 @@\n def select_destinations(ctx):\n"
	"     hosts = []\n+    hosts.sort()\n     return hosts\n";
static const char other_patch[] = /* changes the same line differently: conflicts after fix */
	"--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,3 +1,4 @@\n def select_destinations(ctx):\n"
	"     hosts = []\n+    hosts.reverse()\n     return hosts\n";
static const char stale_patch[] =
	"--- a/nova/manager.py\n+++ b/nova/manager.py\n@@ -1,3 +1,3 @@\n def filter_scheduler(ctx):\n"
	"-    hosts = None\n+    hosts = []\n     return hosts\n";

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/t_patch.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	char tree[PATH_MAX + 16], plain[PATH_MAX + 16], sub[PATH_MAX + 32];
	snprintf(tree, sizeof(tree), "%s/nova", tmp);
	snprintf(plain, sizeof(plain), "%s/plain", tmp);
	mkdir(tree, 0755);
	mkdir(plain, 0755);
	snprintf(sub, sizeof(sub), "%s/nova", tree);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/nova", plain);
	mkdir(sub, 0755);
	put(tree, "nova/manager.py", orig);
	put(plain, "nova/manager.py", orig);
	put(tmp, "fix.diff", fix_patch);
	put(tmp, "other.diff", other_patch);
	put(tmp, "stale.diff", stale_patch);
	put(tmp, "notes.txt", "just words\n");
	git(tree, "init", "-q", NULL);
	git(tree, "add", ".", NULL);
	ok(git(tree, "commit", "-qm", "base") == 0, "a temporary git tree with one commit");

	char fix[PATH_MAX + 16], other[PATH_MAX + 16], stale[PATH_MAX + 16], notes[PATH_MAX + 16];
	snprintf(fix, sizeof(fix), "%s/fix.diff", tmp);
	snprintf(other, sizeof(other), "%s/other.diff", tmp);
	snprintf(stale, sizeof(stale), "%s/stale.diff", tmp);
	snprintf(notes, sizeof(notes), "%s/notes.txt", tmp);
	struct gb_err err = { 0, "" };
	struct patch_info pi, po, ps;
	ok(patch_inspect(fix, tree, &pi, &err) == 0 && pi.is_git && pi.n_files == 1 &&
		   !strcmp(pi.files[0], "nova/manager.py") && strlen(pi.sha) == 64,
	   "inspect: git tree found, touched file nova/manager.py, sha256 taken");
	ok(patch_inspect(notes, tree, &po, &err) != 0 && strstr(err.msg, "not a unified diff"),
	   "inspect: a file that is not a diff is refused");
	ok(patch_check(&pi, false, &err) == 0, "check: the fix applies cleanly");
	ok(patch_apply(&pi, false, &err) == 0, "apply: the fix is applied");
	char *c = get(tree, "nova/manager.py");
	ok(strstr(c, "hosts.sort()") != NULL, "apply: the tree has the change");
	free(c);
	struct strbuf dirty = STRBUF_INIT;
	int nd = patch_dirty_files(&pi, &dirty, &err);
	ok(nd == 1 && strstr(dirty.buf, "nova/manager.py"), "dirty: an uncommitted change to a patched file is found");
	sb_release(&dirty);

	ok(patch_inspect(other, tree, &po, &err) == 0, "inspect: the conflicting patch");
	ok(patch_check(&po, false, &err) != 0 && strstr(err.msg, "does not apply to") && strstr(err.msg, "other.diff"),
	   "check: a patch conflicting with an applied one is refused, naming it");
	patch_info_free(&po);

	bool was;
	ok(patch_undo(tree, fix, "git", &was, &err) == 0 && was, "undo: the applied patch is reversed");
	c = get(tree, "nova/manager.py");
	is_str(c, orig, "undo: the tree has its original bytes");
	free(c);
	ok(patch_undo(tree, fix, "git", &was, &err) == 0 && !was, "undo: a patch that is not applied is left alone");
	nd = patch_dirty_files(&pi, &dirty, &err);
	is_int(nd, 0, "dirty: clean tree after the reverse");
	sb_release(&dirty);

	ok(patch_inspect(stale, tree, &ps, &err) == 0 && patch_check(&ps, false, &err) != 0 &&
		   strstr(err.msg, "stale.diff does not apply to"),
	   "check: a patch for another release (seed's filter_scheduler.py) does not apply");
	put(tree, "nova/manager.py", "something else entirely\n");
	ok(patch_undo(tree, fix, "git", &was, &err) != 0 && strstr(err.msg, "neither applied nor cleanly unapplied"),
	   "undo: a tree changed by hand is reported, not forced");
	patch_info_free(&ps);
	patch_info_free(&pi);

	/* outside git: patch(1) */
	ok(patch_inspect(fix, plain, &pi, &err) == 0 && !pi.is_git, "inspect: a plain tree uses patch(1)");
	ok(patch_check(&pi, false, &err) == 0 && patch_apply(&pi, false, &err) == 0, "patch(1): dry run and apply");
	c = get(plain, "nova/manager.py");
	ok(strstr(c, "hosts.sort()") != NULL, "patch(1): the change is there");
	free(c);
	ok(patch_check(&pi, false, &err) != 0, "patch(1): applying twice is refused (--forward)");
	ok(patch_undo(plain, fix, "patch", &was, &err) == 0 && was, "patch(1): reversed on restore");
	c = get(plain, "nova/manager.py");
	is_str(c, orig, "patch(1): original bytes back");
	free(c);
	char orig_path[PATH_MAX + 64];
	snprintf(orig_path, sizeof(orig_path), "%s/nova/manager.py.orig", plain);
	ok(access(orig_path, F_OK) != 0, "patch(1): no .orig backup files left behind");
	patch_info_free(&pi);

	char *rm[] = { "rm", "-rf", tmp, NULL };
	proc_run(rm, NULL, NULL, NULL, 10, NULL, NULL);
	return done_testing();
}

/*
 * patch.h - source patches for a run: check that a patch applies (git apply
 * --check in a git tree, patch --dry-run elsewhere), apply it, reverse it,
 * its sha256, and the uncommitted changes that would make a run unsafe.
 * Runs git/patch by argv, never a shell; never journals (hostchange does).
 */
#ifndef GB_PATCH_H
#define GB_PATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

struct patch_info {
	char *path;     /* absolute path of the patch file */
	char *tree;     /* absolute path of the tree it applies to */
	char sha[65];   /* sha256 of the patch file */
	bool is_git;    /* tree is inside a git work tree: git apply, else patch -p1 */
	char **files;   /* paths the patch touches, relative to tree */
	size_t n_files;
};

/* Read the patch, hash it, find out how to apply it and what it touches. */
int patch_inspect(const char *patch_path, const char *tree, struct patch_info *out,
		  struct gb_err *err);
void patch_info_free(struct patch_info *pi);

/* Dry-run forward (reverse=false) or backward. 0: it would apply cleanly. */
int patch_check(const struct patch_info *pi, bool reverse, struct gb_err *err);

/* Apply forward or backward (after a successful check). */
int patch_apply(const struct patch_info *pi, bool reverse, struct gb_err *err);

/* Files the patch touches that have uncommitted changes in the git tree,
 * comma-separated into dirty. Returns their count, or -1 on error. */
int patch_dirty_files(const struct patch_info *pi, struct strbuf *dirty, struct gb_err *err);

/* For restore: reverse the journaled patch if it is applied. *was_applied
 * tells whether anything was done; fails if it is neither applied nor not. */
int patch_undo(const char *tree, const char *patch_copy, const char *method, bool *was_applied,
	       struct gb_err *err);

#endif

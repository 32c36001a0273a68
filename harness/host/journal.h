/*
 * journal.h - the write-ahead journal of host changes: every change is
 * appended (and fsync'd) here BEFORE it is made, so a run killed at any point
 * can be undone by `greenbench restore` or the next run. Also the run lock.
 * Lives under the state directory: lock, journal, journal.d/ (file backups).
 */
#ifndef GB_JOURNAL_H
#define GB_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/gb.h"

/* Record kinds, as written in the journal (one line each, fields %-escaped). */
#define JOURNAL_BEGIN "begin"     /* run_id pid units_file backend */
#define JOURNAL_FILE "file"       /* path existed(0|1) mode sha256 backup_path [uid gid] */
#define JOURNAL_MKDIR "mkdir"     /* path: created by the run, removed if empty */
#define JOURNAL_STATEDIR "statedir" /* path: a service's state directory created by the run
				     * (a fake compute's state_path): removed with its contents */
#define JOURNAL_PATCH "patch"     /* tree patch_copy sha256 method(git|patch) */
#define JOURNAL_RESTART "restart" /* unit was_running(0|1): restart it plainly on restore */
#define JOURNAL_STOP "stop"       /* unit: the run stopped it; start it on restore */
#define JOURNAL_FAKE "fake"       /* unit host: fake compute added; stop it on restore */
#define JOURNAL_SERVER "server"   /* cloud id name: created through the API */
#define JOURNAL_SERVER_GONE "server-gone" /* id: deleted again, nothing to clean */
#define JOURNAL_RESOURCE "resource" /* cloud service delete_path name: made by a request step */
#define JOURNAL_RESOURCE_GONE "resource-gone" /* service delete_path: deleted again */

struct journal_rec {
	char *kind;    /* one of the JOURNAL_* words */
	char **fields; /* the record's fields, decoded */
	size_t n_fields;
	int line;      /* line in the journal file */
};

struct journal;


/*
 * The state directory: dir if given, else /var/lib/greenbench as root, else
 * $XDG_STATE_HOME/greenbench (~/.local/state/greenbench). Created 0700;
 * out gets its absolute path.
 */
int journal_state_dir(const char *dir, struct strbuf *out, struct gb_err *err);

/*
 * Take the run lock <state_dir>/lock (flock + our pid inside). *fd is kept
 * open for the run (journal_unlock closes it). A lock held by a live process
 * fails naming its pid (exit 3); a stale one (dead pid) is taken over and
 * *stale_pid set to the dead pid (0 if none).
 */
int journal_lock(const char *state_dir, int *fd, long *stale_pid, struct gb_err *err);
void journal_unlock(int fd, const char *state_dir);

/* Is there a journal left by a run in state_dir? */
bool journal_exists(const char *state_dir);

/*
 * Start a new journal (fails if one exists: recover it first). Writes the
 * begin record. The caller owns *out (journal_close).
 */
int journal_create(const char *state_dir, const char *run_id, const char *units_file,
		   const char *backend, struct journal **out, struct gb_err *err);

/* Read an existing journal (a torn last line from a crash is ignored). */
int journal_load(const char *state_dir, struct journal **out, struct gb_err *err);

/* Append one record and fsync it. fields: n strings. */
int journal_append(struct journal *j, const char *kind, const char *const *fields, size_t n,
		   struct gb_err *err);

/*
 * Before changing path: back it up (copy into journal.d, fsync) and append a
 * file record with its sha256 (or existed=0 if it does not exist). A path
 * already backed up in this journal is not backed up again.
 */
int journal_backup_file(struct journal *j, const char *path, struct gb_err *err);

/* Before creating directory path (and after it is known not to exist). */
int journal_add_statedir(struct journal *j, const char *path, struct gb_err *err);
int journal_add_mkdir(struct journal *j, const char *path, struct gb_err *err);

/* Before applying a patch: a copy of it is kept in journal.d for the reverse. */
int journal_add_patch(struct journal *j, const char *tree, const char *patch_path,
		      const char *sha, const char *method, struct gb_err *err);

/* A server the API part creates, so restore can delete leaked servers.
 * Journal it before the POST with id "" and the (unique) name asked for, then
 * again with its id once nova answers; journal_server_gone(id) after the
 * delete is confirmed. Restore hands the callback the id, or "" and the name
 * when the run died before nova answered (find it by name, then delete). */
int journal_add_server(struct journal *j, const char *cloud, const char *server_id,
		       const char *name, struct gb_err *err);
int journal_server_gone(struct journal *j, const char *server_id, struct gb_err *err);

/* Callback restore hands each server still recorded as existing to. */
typedef int (*journal_server_fn)(void *arg, const char *cloud, const char *server_id,
				 const char *name, struct gb_err *err);
/* Call fn for each server record not followed by a server-gone record. Returns
 * the number of servers the callback failed on (their errors go to the last err). */
int journal_each_server(const struct journal *j, journal_server_fn fn, void *arg,
			struct gb_err *err);

/* A resource a request step creates (a flavor, a keypair...), so restore can delete it.
 * Journal it before the POST with the delete path still holding "{id}", the path that
 * lists such resources (find, or "") and its unique name, then again with the path that
 * deletes it ("/flavors/<id>") once the service answers;
 * journal_resource_gone(service, delete_path) after the delete is confirmed. */
int journal_add_resource(struct journal *j, const char *cloud, const char *service,
			 const char *delete_path, const char *find, const char *name,
			 struct gb_err *err);
int journal_resource_gone(struct journal *j, const char *service, const char *delete_path,
			  struct gb_err *err);

/* Callback restore hands each resource still recorded as existing to (delete_path holding
 * "{id}": the run died before the service answered; find it by name through find). */
typedef int (*journal_resource_fn)(void *arg, const char *cloud, const char *service,
				   const char *delete_path, const char *find, const char *name,
				   struct gb_err *err);
/* Call fn for each resource record not followed by a resource-gone record (or, for a
 * name-only record, by the record with its path). Returns how many the callback failed on. */
int journal_each_resource(const struct journal *j, journal_resource_fn fn, void *arg,
			  struct gb_err *err);

/* All records, in the order they were written. */
const struct journal_rec *journal_records(const struct journal *j, size_t *n);

/* Restore one file record: write the backup back with its mode and owner (or remove a
 * created file) and check its sha256 against the original. Idempotent. *changed set if
 * anything had to be done. */
int journal_restore_file(const struct journal_rec *rec, bool *changed, struct gb_err *err);

/* The journal is fully undone: remove it and its backups. */
int journal_discard(const char *state_dir, struct gb_err *err);

const char *journal_path(const struct journal *j);
void journal_close(struct journal *j);

#endif

/*
 * store_int.h - what the store's own files share: the open store and the helpers every
 * statement goes through. Only the files of harness/store/ include it; nothing outside the part
 * may see a sqlite3 type.
 */
#ifndef GB_STORE_INT_H
#define GB_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
	sqlite3 *db;
	char *path;
	long long dict_id;     /* the zdicts row in dict (0: none loaded) */
	struct strbuf dict;    /* that dictionary, inflated: read profiles of one target share it */
};

/* The dictionary zdicts.id = id, inflated, into db->dict (cached). */
int store_load_dict(struct store *db, long long id, struct gb_err *err);

int store_db_err(struct store *db, struct gb_err *err, const char *doing);
int store_exec(struct store *db, const char *sql, struct gb_err *err);
sqlite3_stmt *store_prep(struct store *db, const char *sql, struct gb_err *err);
void store_bind_text(sqlite3_stmt *st, int i, const char *s);

#endif

/*
 * hostchange_int.h - what hostchange.c and hostchange_restore.c share; not
 * for other parts (they use hostchange.h).
 */
#ifndef GB_HOSTCHANGE_INT_H
#define GB_HOSTCHANGE_INT_H

#include <stdbool.h>

#include "host/hostchange.h"
#include "host/journal.h"

/* One progress line through opts->progress (nothing if o or it is NULL). */
void hostchange_say(const struct hostchange_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Undo every record of j; -1 with the first failure if anything is left. */
int hostchange_undo(struct journal *j, const struct hostchange_opts *o, struct gb_err *err);

/* If state_dir holds a journal, undo it and discard it (*found says whether). */
int hostchange_recover(const char *state_dir, const struct hostchange_opts *o, bool *found,
		       struct gb_err *err);

#endif

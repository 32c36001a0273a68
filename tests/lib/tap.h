/*
 * tap.h - a tiny TAP producer for the C unit tests (prove reads it).
 * Header-only on purpose: each test program includes it once.
 */
#ifndef GB_TAP_H
#define GB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;
/* Non-NULL: the next ok() is a known failure, "# TODO <tap_todo>" (prove does not count it;
 * a TODO that passes is reported as a bonus). Reset by every ok(). */
static const char *tap_todo;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	const char *todo = tap_todo;
	tap_todo = NULL;
	if (todo)
		printf(" # TODO %s", todo);
	printf("\n");
	if (!cond && !todo)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* ok() for strings, printing both on failure. */
#define is_str(got, want, ...)                                                       \
	do {                                                                         \
		const char *g_ = (got), *w_ = (want);                                \
		if (!ok(g_ && w_ && !strcmp(g_, w_), __VA_ARGS__))                   \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                                  \
	} while (0)

#define is_int(got, want, ...)                                                     \
	do {                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);           \
		if (!ok(g_ == w_, __VA_ARGS__))                                    \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);          \
	} while (0)

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

__attribute__((unused))
static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif

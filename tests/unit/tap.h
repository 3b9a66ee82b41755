/* tap.h: a minimal Test Anything Protocol emitter for the unit-test programs. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_TAP_H
#define HC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

/* Compares two strings (NULL-safe) and shows both on failure. */
#define tap_is_str(got, want, ...) do {					\
	const char *tap_g = (got), *tap_w = (want);			\
	int tap_c = (tap_g == NULL && tap_w == NULL) ||			\
	    (tap_g != NULL && tap_w != NULL && strcmp(tap_g, tap_w) == 0); \
	if (!tap_ok(tap_c, __VA_ARGS__))				\
		printf("#   got: \"%s\"\n#  want: \"%s\"\n",		\
		    tap_g ? tap_g : "(null)", tap_w ? tap_w : "(null)");	\
} while (0)

#define tap_is_int(got, want, ...) do {					\
	long long tap_g = (long long)(got), tap_w = (long long)(want);	\
	if (!tap_ok(tap_g == tap_w, __VA_ARGS__))			\
		printf("#   got: %lld\n#  want: %lld\n", tap_g, tap_w);	\
} while (0)

/* Ends the run: prints the plan, returns the exit status for main. */
static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif

/* hc_err: the one error enumeration of headcount's library. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_ERR_H
#define HC_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum hc_err {
	HC_OK = 0,
	HC_ERR_NOMEM,		/* allocation failed */
	HC_ERR_IO,		/* a system call failed (errno kept in errstr) */
	HC_ERR_PARSE,		/* malformed input (JSON, URL, token, ...) */
	HC_ERR_INVALID,		/* well-formed but not allowed */
	HC_ERR_RANGE,		/* a number or size out of bounds */
	HC_ERR_REDIS,		/* Redis unreachable or answered an error */
	HC_ERR_SQLITE,		/* SQLite failed */
	HC_ERR_HTTP,		/* an outgoing HTTP call failed */
	HC_ERR_TIMEOUT,		/* a deadline passed */
	HC_ERR_AUTH,		/* a credential was refused */
	HC_ERR_NOTFOUND,	/* the thing asked for does not exist */
	HC_ERR_FULL,		/* a fixed-capacity store is full */
	HC_ERR_UNAVAILABLE,	/* a dependency is not configured or not there */
	HC_ERR_MAX
};

/* Returns a static, never-NULL description of err (also for unknown values). */
const char	*hc_strerror(enum hc_err err);

/* Room for a handle's errstr ("EVALSHA(heartbeat): <Redis's words>"). */
#define HC_ERRSTR_MAX	256

/*
 * The one error setter of every handle (hiredis's __redisSetError): sets
 * *err to code (when err is not NULL) and formats the message into errstr
 * (bounded, always terminated).  Returns code, so that a failing path can
 * end with "return hc_err_set(...)".
 */
enum hc_err	 hc_err_set(enum hc_err *err, char *errstr, size_t errlen,
		    enum hc_err code, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/* The same with a va_list, for a module's own setter. */
enum hc_err	 hc_err_vset(enum hc_err *err, char *errstr, size_t errlen,
		    enum hc_err code, const char *fmt, va_list ap)
		    __attribute__((format(printf, 5, 0)));

#endif

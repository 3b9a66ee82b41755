/* hc_err: descriptions of the library's error codes. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static const char *const hc_errs[HC_ERR_MAX] = {
	[HC_OK] = "success",
	[HC_ERR_NOMEM] = "out of memory",
	[HC_ERR_IO] = "input/output error",
	[HC_ERR_PARSE] = "malformed input",
	[HC_ERR_INVALID] = "invalid value",
	[HC_ERR_RANGE] = "value out of range",
	[HC_ERR_REDIS] = "redis error",
	[HC_ERR_SQLITE] = "sqlite error",
	[HC_ERR_HTTP] = "http error",
	[HC_ERR_TIMEOUT] = "timed out",
	[HC_ERR_AUTH] = "authentication failed",
	[HC_ERR_NOTFOUND] = "not found",
	[HC_ERR_FULL] = "capacity exhausted",
	[HC_ERR_UNAVAILABLE] = "not available",
};

const char *
hc_strerror(enum hc_err err)
{
	if ((unsigned)err >= HC_ERR_MAX || hc_errs[err] == NULL)
		return "unknown error";
	return hc_errs[err];
}

enum hc_err
hc_err_set(enum hc_err *err, char *errstr, size_t errlen, enum hc_err code,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	hc_err_vset(err, errstr, errlen, code, fmt, ap);
	va_end(ap);
	return code;
}

enum hc_err
hc_err_vset(enum hc_err *err, char *errstr, size_t errlen, enum hc_err code,
    const char *fmt, va_list ap)
{
	if (err != NULL)
		*err = code;
	if (errstr != NULL && errlen > 0)
		vsnprintf(errstr, errlen, fmt, ap);
	return code;
}

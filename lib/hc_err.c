/* hc_err: descriptions of the library's error codes. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_err.h"

#include <stddef.h>

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
};

const char *
hc_strerror(enum hc_err err)
{
	if ((unsigned)err >= HC_ERR_MAX || hc_errs[err] == NULL)
		return "unknown error";
	return hc_errs[err];
}

/* test_err: unit tests of hc_err (descriptions of the error codes). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_err.h"

#include <string.h>

#include "tap.h"

static const struct ecase {
	enum hc_err	 err;
	const char	*want;
} ecases[] = {
	{ HC_OK, "success" },
	{ HC_ERR_NOMEM, "out of memory" },
	{ HC_ERR_PARSE, "malformed input" },
	{ HC_ERR_AUTH, "authentication failed" },
	{ HC_ERR_NOTFOUND, "not found" },
	{ HC_ERR_MAX, "unknown error" },
	{ (enum hc_err)(HC_ERR_MAX + 1), "unknown error" },
	{ (enum hc_err)1000, "unknown error" },
	{ (enum hc_err)-1, "unknown error" },
};

int
main(void)
{
	const char *d[HC_ERR_MAX];
	int	 i, j, dup;

	for (i = 0; i < HC_ERR_MAX; i++) {
		d[i] = hc_strerror((enum hc_err)i);
		tap_ok(d[i] != NULL && *d[i] != '\0' &&
		    strcmp(d[i], "unknown error") != 0,
		    "code %d has a description (%s)", i, d[i] ? d[i] : "NULL");
	}
	dup = 0;
	for (i = 0; i < HC_ERR_MAX; i++)
		for (j = i + 1; j < HC_ERR_MAX; j++)
			if (d[i] != NULL && d[j] != NULL && strcmp(d[i], d[j]) == 0)
				dup++;
	tap_is_int(dup, 0, "descriptions are distinct");
	for (i = 0; i < (int)(sizeof(ecases) / sizeof(ecases[0])); i++)
		tap_is_str(hc_strerror(ecases[i].err), ecases[i].want,
		    "hc_strerror(%d)", (int)ecases[i].err);
	{
		enum hc_err	 e = HC_OK;
		char		 buf[8];

		tap_is_int(hc_err_set(&e, buf, sizeof(buf), HC_ERR_REDIS,
		    "%s(%d)", "connect", 6379), HC_ERR_REDIS, "hc_err_set returns the code");
		tap_is_int(e, HC_ERR_REDIS, "hc_err_set sets err");
		tap_is_str(buf, "connect", "hc_err_set bounds errstr");
		tap_is_int(hc_err_set(NULL, NULL, 0, HC_ERR_NOMEM, "x"), HC_ERR_NOMEM,
		    "hc_err_set without err or errstr");
	}
	return tap_done();
}

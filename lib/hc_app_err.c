/* hc_app_err: the one mapping of library errors to HTTP statuses and problem answers. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_app.h"

#include <stdarg.h>
#include <stdio.h>

#include "hc_http.h"

int
hc_app_status(enum hc_err err)
{
	switch (err) {
	case HC_OK:
		return 200;
	case HC_ERR_REDIS:
	case HC_ERR_SQLITE:
	case HC_ERR_UNAVAILABLE:
		return 503;
	case HC_ERR_HTTP:
	case HC_ERR_TIMEOUT:
	case HC_ERR_AUTH:
	case HC_ERR_PARSE:
		return 502;
	case HC_ERR_NOTFOUND:
		return 404;
	case HC_ERR_INVALID:
	case HC_ERR_RANGE:
		return 400;
	default:
		return 500;
	}
}

int
hc_app_error(struct hc_req *req, enum hc_err err, const char *fmt, ...)
{
	char	 detail[512];
	va_list	 ap;
	int	 status = hc_app_status(err);

	if (status == 200)
		status = 500;	/* called without a failure: a bug, not a success */
	if (req->headers_sent)
		return status;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	hc_http_resp_problem(req, status, err == HC_ERR_REDIS ||
	    err == HC_ERR_SQLITE ? "Retry-After: 1\r\n" : NULL, "%s",
	    err == HC_ERR_NOMEM ? "out of memory" : detail);
	return status;
}

/* test_server: when a peeked FastCGI record stream holds a whole request. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_conn.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

/* Appends a record of type with clen content bytes (and pad bytes of padding). */
static size_t
rec(unsigned char *b, size_t off, int type, int clen, int pad)
{
	b[off] = 1;
	b[off + 1] = (unsigned char)type;
	b[off + 2] = 0;
	b[off + 3] = 1;
	b[off + 4] = (unsigned char)(clen >> 8);
	b[off + 5] = (unsigned char)clen;
	b[off + 6] = (unsigned char)pad;
	b[off + 7] = 0;
	memset(b + off + 8, 'x', (size_t)(clen + pad));
	return off + 8 + (size_t)clen + (size_t)pad;
}

int
main(void)
{
	unsigned char	 b[4096] = { 0 };
	size_t		 n, params, end;

	tap_is_int(hc_conn_request_ready(b, 0, sizeof(b)), 0, "nothing yet: wait");
	n = rec(b, 0, 1, 8, 0);
	tap_is_int(hc_conn_request_ready(b, 4, sizeof(b)), 0, "half a begin record: wait");
	tap_is_int(hc_conn_request_ready(b, n, sizeof(b)), 0, "a begin record alone: wait");
	n = rec(b, n, 4, 300, 4);
	tap_is_int(hc_conn_request_ready(b, n - 10, sizeof(b)), 0, "half a PARAMS record: wait");
	tap_is_int(hc_conn_request_ready(b, n, sizeof(b)), 0, "params not ended: wait");
	params = rec(b, n, 4, 0, 0);
	tap_is_int(hc_conn_request_ready(b, params, sizeof(b)), 0, "params ended, no stdin: wait");
	n = rec(b, params, 5, 100, 0);
	tap_is_int(hc_conn_request_ready(b, n, sizeof(b)), 0, "a body not ended: wait");
	end = rec(b, n, 5, 0, 0);
	tap_is_int(hc_conn_request_ready(b, end - 1, sizeof(b)), 0, "the end of stdin half there: wait");
	tap_is_int(hc_conn_request_ready(b, end, sizeof(b)), 1, "a whole request: ready");
	tap_is_int(hc_conn_request_ready(b, end, end), 1, "a full peek buffer: ready");
	tap_is_int(hc_conn_request_ready(b, params - 4, params - 4), 1,
	    "a peek buffer filled by the params: ready (the rest is read under a timeout)");
	/* an empty stdin record before the params ended does not count */
	n = rec(b, 0, 1, 8, 0);
	n = rec(b, n, 5, 0, 0);
	tap_is_int(hc_conn_request_ready(b, n, sizeof(b)), 0, "stdin end before params: wait");
	n = rec(b, 0, 9, 20, 0);	/* FCGI_GET_VALUES */
	tap_is_int(hc_conn_request_ready(b, n, sizeof(b)), 1, "a management record: ready (libfcgi answers)");
	b[0] = 'G';
	tap_is_int(hc_conn_request_ready(b, 16, sizeof(b)), -1, "not FastCGI (\"GET ...\"): refused");
	return tap_done();
}

/* hc_fetch: one bounded HTTP(S) GET or POST over libcurl (provider APIs, health URLs, webhooks). */
#ifndef HC_FETCH_H
#define HC_FETCH_H

#include <stddef.h>
#include <curl/curl.h>

#include "hc_err.h"

struct hc_fetch {
	const char	*url;		/* http:// or https:// only; redirects are not followed */
	const char	*bearer;	/* "Authorization: Bearer <bearer>", or NULL */
	const char	*cafile;	/* PEM bundle for TLS; NULL, "" or unreadable: the system's */
	long		 timeout_ms;	/* bounds the connect and the whole transfer */
	size_t		 max_body;	/* larger answers fail with HC_ERR_RANGE */
	const char *const *headers;	/* extra "Name: value" lines, NULL-terminated; may be NULL */
	/* results */
	long		 status;	/* HTTP status, 0 when none arrived */
	char		*body;		/* NUL-terminated answer (NULL when empty); caller frees */
	size_t		 len;
};

/*
 * GETs f->url with "Accept: application/json" on *curlp (made when NULL;
 * reused so that connections stay open; the caller curl_easy_cleanup()s
 * it; curl_global_init must have run).  Any HTTP status is HC_OK: the
 * caller reads f->status and frees f->body.  Else returns HC_ERR_TIMEOUT,
 * HC_ERR_RANGE, HC_ERR_HTTP (connect, TLS, protocol) or HC_ERR_NOMEM
 * with the reason in errstr (curl's words; never the token), and f->body
 * NULL.  Nothing of the request stays in the handle afterwards.
 */
enum hc_err	 hc_fetch_get(CURL **curlp, struct hc_fetch *f, char *errstr,
		    size_t errlen);

/*
 * POSTs len bytes of body as ctype ("application/json") to f->url, with
 * f->headers; otherwise as hc_fetch_get (any HTTP status is HC_OK).
 */
enum hc_err	 hc_fetch_post(CURL **curlp, struct hc_fetch *f, const char *ctype,
		    const char *body, size_t len, char *errstr, size_t errlen);

#endif

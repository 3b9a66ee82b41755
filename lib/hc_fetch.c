/* hc_fetch: GETs or POSTs one URL with libcurl, bounded in time and size, on a reusable handle. */
#include "config.h"
#include "hc_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hc_fetch_buf {
	char	*p;
	size_t	 len, cap, max;
	int	 over;
};

static size_t
hc_fetch_write(char *data, size_t size, size_t n, void *ud)
{
	struct hc_fetch_buf	*b = ud;
	size_t			 len = size * n, ncap;
	char			*np;

	if (len > b->max - b->len) {
		b->over = 1;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	if (b->len + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return 0;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* GET when body is NULL, else POST of body as ctype. */
static enum hc_err
hc_fetch_do(CURL **curlp, struct hc_fetch *f, const char *ctype, const char *body,
    size_t blen, char *errstr, size_t errlen)
{
	struct hc_fetch_buf	 b = { NULL, 0, 0, f->max_body, 0 };
	struct curl_slist	*hdr = NULL, *nh;
	char			 cerr[CURL_ERROR_SIZE], *auth = NULL, *ct = NULL;
	size_t			 i;
	enum hc_err		 err = HC_ERR_HTTP;
	CURLcode		 rc;
	CURL			*c;
	size_t			 alen;

	f->status = 0;
	f->body = NULL;
	f->len = 0;
	if (*curlp == NULL && (*curlp = curl_easy_init()) == NULL) {
		snprintf(errstr, errlen, "curl_easy_init failed");
		return HC_ERR_NOMEM;
	}
	c = *curlp;
	/* Reset keeps the connection cache: the next call reuses the connection. */
	curl_easy_reset(c);
	cerr[0] = '\0';
	if (f->bearer != NULL) {
		alen = strlen(f->bearer) + sizeof("Authorization: Bearer ");
		if ((auth = malloc(alen)) == NULL)
			goto nomem;
		snprintf(auth, alen, "Authorization: Bearer %s", f->bearer);
		if ((nh = curl_slist_append(hdr, auth)) == NULL)
			goto nomem;
		hdr = nh;
	}
	if ((nh = curl_slist_append(hdr, "Accept: application/json")) == NULL)
		goto nomem;
	hdr = nh;
	if (body != NULL) {
		alen = strlen(ctype) + sizeof("Content-Type: ");
		if ((ct = malloc(alen)) == NULL)
			goto nomem;
		snprintf(ct, alen, "Content-Type: %s", ctype);
		if ((nh = curl_slist_append(hdr, ct)) == NULL)
			goto nomem;
		hdr = nh;
		/* No "Expect: 100-continue" round trip before a small body. */
		if ((nh = curl_slist_append(hdr, "Expect:")) == NULL)
			goto nomem;
		hdr = nh;
	}
	for (i = 0; f->headers != NULL && f->headers[i] != NULL; i++) {
		if ((nh = curl_slist_append(hdr, f->headers[i])) == NULL)
			goto nomem;
		hdr = nh;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, f->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "headcount/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, f->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hc_fetch_write) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#else
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK ||
#endif
	    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK) {
		snprintf(errstr, errlen, "curl_easy_setopt: %s",
		    cerr[0] ? cerr : "unsupported option");
		goto out;
	}
	if (body != NULL &&
	    (curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen) != CURLE_OK)) {
		snprintf(errstr, errlen, "curl_easy_setopt: cannot set the POST body");
		goto out;
	}
	if (f->cafile != NULL && *f->cafile != '\0' && access(f->cafile, R_OK) == 0 &&
	    curl_easy_setopt(c, CURLOPT_CAINFO, f->cafile) != CURLE_OK) {
		snprintf(errstr, errlen, "cannot use the CA file %s", f->cafile);
		goto out;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		if (rc == CURLE_OPERATION_TIMEDOUT) {
			err = HC_ERR_TIMEOUT;
			snprintf(errstr, errlen, "timed out after %ld ms", f->timeout_ms);
		} else if (b.over) {
			err = HC_ERR_RANGE;
			snprintf(errstr, errlen, "answer larger than %zu bytes", b.max);
		} else
			snprintf(errstr, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status) != CURLE_OK)
		f->status = 0;
	f->body = b.p;
	f->len = b.len;
	b.p = NULL;
	err = HC_OK;
	goto out;
nomem:
	err = HC_ERR_NOMEM;
	snprintf(errstr, errlen, "out of memory");
out:
	/* The token and the stack buffers must not outlive this call in the handle. */
	curl_easy_reset(c);
	curl_slist_free_all(hdr);
	free(ct);
	free(auth);
	free(b.p);
	return err;
}

enum hc_err
hc_fetch_get(CURL **curlp, struct hc_fetch *f, char *errstr, size_t errlen)
{
	return hc_fetch_do(curlp, f, NULL, NULL, 0, errstr, errlen);
}

enum hc_err
hc_fetch_post(CURL **curlp, struct hc_fetch *f, const char *ctype, const char *body,
    size_t len, char *errstr, size_t errlen)
{
	return hc_fetch_do(curlp, f, ctype, body != NULL ? body : "", len, errstr, errlen);
}

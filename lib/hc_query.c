/* hc_query: percent-decoding and parsing of URL query strings. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_query.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* More pairs than any route declares: refuse rather than grow without bound. */
#define HC_QUERY_MAXPAIRS	256

static int
hc_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
hc_query_pct_decode(char *dst, const char *src, size_t len, int plus)
{
	size_t	 i, n = 0;
	int	 hi, lo;
	unsigned char c;

	if (len > LONG_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c == '%') {
			if (len - i < 3 ||
			    (hi = hc_hex((unsigned char)src[i + 1])) == -1 ||
			    (lo = hc_hex((unsigned char)src[i + 2])) == -1)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		/* a NUL would silently cut the value short for every C caller */
		if (c == '\0')
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return (long)n;
}

/* Decodes src[0..len) into a new string; NULL on bad encoding or no memory. */
static char *
hc_query_dup(const char *src, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	if (hc_query_pct_decode(s, src, len, 1) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

int
hc_query_parse(struct hc_query *q, const char *qs)
{
	const char	*p, *amp, *eq;
	size_t		 n = 0, len;
	struct hc_kv	*kv = NULL;

	q->kv = NULL;
	q->n = 0;
	if (qs == NULL || *qs == '\0')
		return 0;
	/* count first, so that one allocation serves and the cap is cheap */
	for (p = qs; ; p = amp + 1) {
		amp = strchr(p, '&');
		len = amp == NULL ? strlen(p) : (size_t)(amp - p);
		if (len > 0 && ++n > HC_QUERY_MAXPAIRS)
			return -1;
		if (amp == NULL)
			break;
	}
	if (n == 0)
		return 0;
	if ((kv = calloc(n, sizeof(*kv))) == NULL)
		return -1;
	q->kv = kv;
	for (p = qs; ; p = amp + 1) {
		amp = strchr(p, '&');
		len = amp == NULL ? strlen(p) : (size_t)(amp - p);
		if (len > 0) {
			eq = memchr(p, '=', len);
			if (eq == NULL) {
				kv[q->n].key = hc_query_dup(p, len);
				kv[q->n].val = hc_query_dup("", 0);
			} else {
				kv[q->n].key = hc_query_dup(p, (size_t)(eq - p));
				kv[q->n].val = hc_query_dup(eq + 1,
				    len - (size_t)(eq + 1 - p));
			}
			q->n++;
			if (kv[q->n - 1].key == NULL || kv[q->n - 1].val == NULL)
				goto fail;
		}
		if (amp == NULL)
			break;
	}
	return 0;
fail:
	hc_query_free(q);
	return -1;
}

const char *
hc_query_get(const struct hc_query *q, const char *key)
{
	size_t	 i;

	if (q == NULL || key == NULL)
		return NULL;
	for (i = 0; i < q->n; i++)
		if (strcmp(q->kv[i].key, key) == 0)
			return q->kv[i].val;
	return NULL;
}

size_t
hc_query_count(const struct hc_query *q, const char *key)
{
	size_t	 i, n = 0;

	if (q == NULL || key == NULL)
		return 0;
	for (i = 0; i < q->n; i++)
		if (strcmp(q->kv[i].key, key) == 0)
			n++;
	return n;
}

void
hc_query_free(struct hc_query *q)
{
	size_t	 i;

	if (q == NULL)
		return;
	for (i = 0; i < q->n; i++) {
		free(q->kv[i].key);
		free(q->kv[i].val);
	}
	free(q->kv);
	q->kv = NULL;
	q->n = 0;
}

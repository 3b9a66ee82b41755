/* hc_query: query strings and percent-decoding. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_QUERY_H
#define HC_QUERY_H

#include <stddef.h>

struct hc_kv {
	char	*key;
	char	*val;	/* "" for "?flag" */
};

struct hc_query {
	struct hc_kv	*kv;	/* in order of appearance; keys may repeat */
	size_t		 n;
};

/*
 * Decodes src[0..len) into dst (room for len + 1), "+" as space when
 * plus is set.  Returns the decoded length, or -1 on a bad %XX or a
 * decoded NUL byte.
 */
long	 hc_query_pct_decode(char *dst, const char *src, size_t len, int plus);

/*
 * Parses "a=1&b=x%20y&a=2" into q (empty pairs skipped).  Returns 0, or
 * -1 on bad encoding or more than 256 pairs (q is then empty).
 */
int	 hc_query_parse(struct hc_query *q, const char *qs);

/* First value of key, or NULL. */
const char *hc_query_get(const struct hc_query *q, const char *key);

/* How many times key appears. */
size_t	 hc_query_count(const struct hc_query *q, const char *key);

/* NULL-safe; leaves q empty. */
void	 hc_query_free(struct hc_query *q);

#endif

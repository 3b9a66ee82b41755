/* hc_route: matches a method and a raw path against a route table. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_query.h"

/*
 * Matches one pattern; on success stores up to maxcap raw (still
 * encoded) capture spans.  Returns the capture count, or -1.
 */
static int
hc_pattern_match(const char *pat, const char *path, const char **cs,
    size_t *cl, size_t maxcap)
{
	size_t	 n = 0;
	const char *e;

	while (*pat != '\0') {
		if (*pat == '{') {
			if ((pat = strchr(pat, '}')) == NULL)
				return -1;
			pat++;
			e = strchr(path, '/');
			if (e == NULL)
				e = path + strlen(path);
			if (e == path || n >= maxcap)
				return -1;
			cs[n] = path;
			cl[n] = (size_t)(e - path);
			n++;
			path = e;
			continue;
		}
		if (*pat != *path)
			return -1;
		pat++;
		path++;
	}
	return *path == '\0' ? (int)n : -1;
}

static void
hc_allow_add(char *allow, size_t allowlen, const char *method)
{
	size_t	 len = strlen(allow), mlen = strlen(method);
	const char *p = allow;

	/* skip duplicates ("GET" listed by two patterns) */
	while ((p = strstr(p, method)) != NULL) {
		if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
			return;
		p += mlen;
	}
	snprintf(allow + len, allowlen - len, "%s%s", len ? ", " : "", method);
}

enum hc_match
hc_route_match(const struct hc_route *table, const char *method,
    const char *path, const struct hc_route **out, char **caps,
    size_t maxcap, size_t *ncap, char *allow, size_t allowlen)
{
	const struct hc_route *r;
	const struct hc_route *first = NULL;
	const char *cs[8];
	size_t	 cl[8], i, j;
	int	 n;
	long	 dl;
	int	 head = strcmp(method, "HEAD") == 0;

	*ncap = 0;
	*out = NULL;
	if (allowlen > 0)
		allow[0] = '\0';
	if (maxcap > 8)
		maxcap = 8;
	for (r = table; r->method != NULL; r++) {
		if ((n = hc_pattern_match(r->pattern, path, cs, cl, maxcap)) < 0)
			continue;
		if (first == NULL)
			first = r;
		hc_allow_add(allow, allowlen, r->method);
		if (strcmp(r->method, "GET") == 0)
			hc_allow_add(allow, allowlen, "HEAD");
		if (*out != NULL || (strcmp(r->method, method) != 0 &&
		    !(head && strcmp(r->method, "GET") == 0)))
			continue;
		for (i = 0; i < (size_t)n; i++) {
			if ((caps[i] = malloc(cl[i] + 1)) == NULL ||
			    (dl = hc_query_pct_decode(caps[i], cs[i], cl[i], 0)) < 0 ||
			    strchr(caps[i], '/') != NULL) {
				for (j = 0; j <= i; j++) {
					free(caps[j]);
					caps[j] = NULL;
				}
				return HC_MATCH_NOT_FOUND;
			}
		}
		*ncap = (size_t)n;
		*out = r;
	}
	if (*out != NULL)
		return HC_MATCH_OK;
	/* the path is known: its pattern names the route in logs and metrics */
	*out = first;
	return first != NULL ? HC_MATCH_METHOD : HC_MATCH_NOT_FOUND;
}

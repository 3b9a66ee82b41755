/* hc_route: method + path-pattern tables with {param} captures. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_ROUTE_H
#define HC_ROUTE_H

#include <stddef.h>

struct hc_req;
struct hc_ctx;

typedef void (*hc_handler)(struct hc_req *req, struct hc_ctx *ctx);

/*
 * One route: "GET" "/api/v1/flags/{name}".  A {param} matches one
 * non-empty path segment.  auth is a set of HC_ROLE_* bits (hc_jwt.h),
 * HC_AUTH_NONE for public routes.  Tables end with a NULL method.
 */
struct hc_route {
	const char	*method;
	const char	*pattern;
	unsigned	 auth;
	hc_handler	 fn;
};

enum hc_match {
	HC_MATCH_OK,
	HC_MATCH_NOT_FOUND,
	HC_MATCH_METHOD,	/* path known, method not: see allow */
	HC_MATCH_MAX
};

/*
 * Matches method and path (raw, still percent-encoded) against table.
 * HEAD matches GET routes.  On HC_MATCH_OK *out is the route and caps
 * hold its {param} values, percent-decoded and malloc'd (the caller
 * frees them; *ncap tells how many).  On HC_MATCH_METHOD allow holds
 * "GET, PUT" for the Allow header and *out the first route whose pattern
 * matched (for logs and metrics; its handler must not run).  A capture that fails to decode
 * makes the path not found.
 */
enum hc_match hc_route_match(const struct hc_route *table, const char *method,
	    const char *path, const struct hc_route **out, char **caps,
	    size_t maxcap, size_t *ncap, char *allow, size_t allowlen);

#endif

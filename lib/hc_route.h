/* hc_route: method + path-pattern tables with {param} captures. */
#ifndef HC_ROUTE_H
#define HC_ROUTE_H

#include <stddef.h>

struct hc_req;
struct hc_ctx;
struct hc_param;

typedef void (*hc_handler)(struct hc_req *req, struct hc_ctx *ctx);

/*
 * One route: "GET" "/api/v1/flags/{name}".  A {param} matches one
 * non-empty path segment.  auth is a set of HC_ROLE_* bits (hc_jwt.h),
 * HC_AUTH_NONE for public routes.  params declares every input the
 * handler takes (hc_param.h; NULL: none, so any query key is a 400);
 * the pipeline checks it after auth and hands the handler req->val[i]
 * for params[i].  The members after fn are optional: tables leave them
 * out when not needed.  Tables end with a NULL method ({ 0 }).
 */
struct hc_route {
	const char	*method;
	const char	*pattern;
	unsigned	 auth;
	hc_handler	 fn;
	const struct hc_param *params;
	/*
	 * Answers a 400 for input that broke params in the route's own
	 * format (OFREP), instead of problem+json.  field is the parameter
	 * or query key, "" for the body as a whole; why is the sentence
	 * naming it and the rule.  NULL: problem+json with why as detail.
	 */
	void		(*bad_input)(struct hc_req *req, const char *field,
			    const char *why);
	/*
	 * Auth that depends on the request (metrics: an allowlisted address
	 * needs no token), run where auth is checked, in its place.  Returns
	 * 0 to go on, or the status of the problem it answered.
	 */
	int		(*authorize)(struct hc_req *req, struct hc_ctx *ctx);
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

/* test_route: route matching, captures, 404 and 405 with Allow. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_route.h"

#include <stdlib.h>
#include <string.h>

#include "hc_http.h"
#include "hc_jwt.h"
#include "tap.h"

static void h(struct hc_req *r, struct hc_ctx *c) { (void)r; (void)c; }

static const struct hc_route routes[] = {
	{ "GET", "/api/v1/flags", HC_AUTH_USER, h },
	{ "GET", "/api/v1/flags/", HC_AUTH_USER, h },
	{ "GET", "/api/v1/flags/{name}", HC_AUTH_USER, h },
	{ "PUT", "/api/v1/flags/{name}", HC_AUTH_ADMIN, h },
	{ "DELETE", "/api/v1/flags/{name}", HC_AUTH_ADMIN, h },
	{ "POST", "/api/v1/instances/heartbeat", HC_AUTH_FLEET, h },
	{ "DELETE", "/api/v1/instances/{id}", HC_AUTH_FLEET, h },
	{ "GET", "/a/{x}/b/{y}", HC_AUTH_NONE, h },
	{ NULL, NULL, 0, NULL }
};

struct tcase {
	const char	*method, *path;
	enum hc_match	 want;
	const char	*pattern;	/* on OK */
	const char	*cap0, *cap1;
	const char	*allow;		/* on METHOD */
};

static const struct tcase cases[] = {
	{ "GET", "/api/v1/flags", HC_MATCH_OK, "/api/v1/flags", NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/", HC_MATCH_OK, "/api/v1/flags/", NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/checkout.new_flow", HC_MATCH_OK, "/api/v1/flags/{name}", "checkout.new_flow", NULL, NULL },
	{ "HEAD", "/api/v1/flags/x", HC_MATCH_OK, "/api/v1/flags/{name}", "x", NULL, NULL },
	{ "PUT", "/api/v1/flags/a%20b", HC_MATCH_OK, "/api/v1/flags/{name}", "a b", NULL, NULL },
	{ "DELETE", "/api/v1/instances/backend-1", HC_MATCH_OK, "/api/v1/instances/{id}", "backend-1", NULL, NULL },
	{ "GET", "/a/1/b/2", HC_MATCH_OK, "/a/{x}/b/{y}", "1", "2", NULL },
	{ "POST", "/api/v1/flags/x", HC_MATCH_METHOD, NULL, NULL, NULL, "GET, HEAD, PUT, DELETE" },
	{ "GET", "/api/v1/instances/heartbeat", HC_MATCH_METHOD, NULL, NULL, NULL, "POST, DELETE" },
	{ "PATCH", "/api/v1/flags", HC_MATCH_METHOD, NULL, NULL, NULL, "GET, HEAD" },
	{ "GET", "/api/v1/flags/a/b", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/api/v1/flag", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/api/v1/flagsx", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/a//b/2", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/%zz", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/a%2Fb", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/a%00b", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
	{ "GET", "/", HC_MATCH_NOT_FOUND, NULL, NULL, NULL, NULL },
};

int
main(void)
{
	size_t	 i, j, ncap;
	char	*caps[HC_ROUTE_MAXCAP], allow[128];
	const struct hc_route *r;
	enum hc_match m;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		memset(caps, 0, sizeof(caps));
		m = hc_route_match(routes, c->method, c->path, &r, caps,
		    HC_ROUTE_MAXCAP, &ncap, allow, sizeof(allow));
		tap_is_int(m, c->want, "%s %s: match result", c->method, c->path);
		if (c->want == HC_MATCH_OK) {
			tap_is_str(r ? r->pattern : NULL, c->pattern, "%s %s: pattern", c->method, c->path);
			tap_is_str(ncap > 0 ? caps[0] : NULL, c->cap0, "%s %s: first capture", c->method, c->path);
			tap_is_str(ncap > 1 ? caps[1] : NULL, c->cap1, "%s %s: second capture", c->method, c->path);
		} else if (c->want == HC_MATCH_METHOD) {
			tap_ok(r != NULL && ncap == 0, "%s %s: a route names the path, no captures", c->method, c->path);
		} else {
			tap_ok(r == NULL && ncap == 0, "%s %s: no route, no captures", c->method, c->path);
		}
		if (c->want == HC_MATCH_METHOD)
			tap_is_str(allow, c->allow, "%s %s: Allow", c->method, c->path);
		for (j = 0; j < ncap; j++)
			free(caps[j]);
	}
	return tap_done();
}

/* fuzz_route: the route matcher on every program's table, with raw percent-encoded paths (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_jwt.h"
#include "hc_http.h"
#include "hc_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
nop(struct hc_req *req, struct hc_ctx *ctx)
{
	(void)req;
	(void)ctx;
}

/* The patterns of the programs' route tables (cgi/), in one table. */
static const struct hc_route routes[] = {
	{ "GET", "/api/v1/health/live", HC_AUTH_NONE, nop },
	{ "GET", "/api/v1/health/ready", HC_AUTH_NONE, nop },
	{ "GET", "/api/v1/health/detailed", HC_AUTH_USER, nop },
	{ "POST", "/api/v1/instances/heartbeat", HC_AUTH_FLEET, nop },
	{ "DELETE", "/api/v1/instances/{id}", HC_AUTH_FLEET, nop },
	{ "GET", "/api/v1/health/instances", HC_AUTH_USER, nop },
	{ "GET", "/api/v1/monitoring/replicas", HC_AUTH_USER, nop },
	{ "POST", "/api/v1/monitoring/replicas/refresh", HC_AUTH_OWNER, nop },
	{ "GET", "/api/v1/monitoring/deployments", HC_AUTH_OWNER, nop },
	{ "GET", "/api/v1/monitoring/metrics", HC_AUTH_OWNER, nop },
	{ "GET", "/api/v1/flags", HC_AUTH_USER, nop },
	{ "GET", "/api/v1/flags/{name}", HC_AUTH_USER, nop },
	{ "PUT", "/api/v1/flags/{name}", HC_AUTH_ADMIN, nop },
	{ "DELETE", "/api/v1/flags/{name}", HC_AUTH_ADMIN, nop },
	{ "POST", "/ofrep/v1/evaluate/flags/{key}", HC_AUTH_NONE, nop },
	{ "GET", "/api/v1/{a}/{b}/{c}/{d}", HC_AUTH_NONE, nop },
	{ "GET", "/metrics", HC_AUTH_NONE, nop },
	{ NULL, NULL, 0, NULL }
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hc_route *r = NULL;
	char		*buf, *path, *caps[HC_ROUTE_MAXCAP], allow[128];
	const char	*method = "GET";
	size_t		 ncap = 0, i;
	enum hc_match	 m;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	path = buf;
	if ((path = memchr(buf, '\n', size)) != NULL) {
		*path++ = '\0';
		method = buf;
	} else
		path = buf;
	m = hc_route_match(routes, method, path, &r, caps, HC_ROUTE_MAXCAP, &ncap,
	    allow, sizeof(allow));
	if (m == HC_MATCH_OK) {
		if (r == NULL || ncap > HC_ROUTE_MAXCAP)
			abort();
		for (i = 0; i < ncap; i++) {
			if (caps[i] == NULL || caps[i][0] == '\0')
				abort();	/* a {param} matches a non-empty segment */
			free(caps[i]);
		}
	} else if (m == HC_MATCH_METHOD && (r == NULL || allow[0] == '\0'))
		abort();
	free(buf);
	return 0;
}

/* hc_app_pipeline: the one request pipeline (route, method, auth, input, handler, log, metrics). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_app.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_param.h"
#include "hc_redis.h"
#include "hc_settings.h"
#include "hc_time.h"

int
hc_app_authorize(struct hc_req *req, const struct hc_ctx *ctx, unsigned mask)
{
	static const char bearer[] = "WWW-Authenticate: Bearer realm=\"headcount\"\r\n";
	static const char invalid[] =
	    "WWW-Authenticate: Bearer realm=\"headcount\", error=\"invalid_token\"\r\n";
	const char	*h = req->authorization, *tok;
	char		 why[128];

	if (h == NULL || *h == '\0') {
		hc_http_resp_problem(req, 401, bearer, "a bearer token is required");
		return 401;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		hc_http_resp_problem(req, 401, invalid,
		    "the Authorization header must be \"Bearer <token>\"");
		return 401;
	}
	for (tok = h + 7; *tok == ' '; tok++)
		continue;
	if (hc_jwt_verify_cached(tok, ctx->settings->jwt_secret, time(NULL),
	    &req->claims, why, sizeof(why)) == -1) {
		hc_http_resp_problem(req, 401, invalid, "invalid token: %s", why);
		return 401;
	}
	if ((req->claims.role & mask) == 0) {
		hc_http_resp_problem(req, 403, NULL, "role \"%s\" may not do this",
		    hc_jwt_role_name(req->claims.role));
		return 403;
	}
	req->authed = 1;
	return 0;
}

/*
 * Reads what is left of the request body.  An answer given before the
 * body was read (413, 401, 404...) leaves the rest on the connection, and
 * libfcgi, finding body records where the next request should begin,
 * closes it while nginx may be reusing it: a 502 for the next request.
 */
static void
hc_drain_body(const struct hc_io *io)
{
	char	 sink[4096];

	while (io->read(io->ctx, sink, sizeof(sink)) > 0)
		continue;
}

static int
hc_has_body(const struct hc_req *req)
{
	return req->content_length > 0 || strcmp(req->method, "POST") == 0 ||
	    strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0;
}

/* The 400 for input that broke the route's table, in the route's format. */
static void
hc_bad_input(struct hc_req *req, const struct hc_route *route,
    const char *field, const char *why)
{
	if (route->bad_input != NULL)
		route->bad_input(req, field, why);
	else
		hc_http_resp_problem(req, 400, NULL, "%s", why);
}

/*
 * Parses the body when the route declares body fields (an empty body
 * stands for none unless one is required), then checks the declared
 * input.  Returns 0, or the status it answered.
 */
static int
hc_app_input(struct hc_req *req, const struct hc_route *route)
{
	struct hc_param_in	 in;
	struct hc_param_err	 pe;
	char			 why[256];

	if (hc_param_wants_body(route->params) &&
	    (req->body_len > 0 || hc_param_needs_body(route->params))) {
		if ((req->json = hc_http_req_json(req, why, sizeof(why))) == NULL) {
			hc_bad_input(req, route, "", why);
			return 400;
		}
		if (!json_object_is_type(req->json, json_type_object)) {
			hc_bad_input(req, route, "", "the body must be a JSON object");
			return 400;
		}
	}
	memset(&in, 0, sizeof(in));
	in.pattern = route->pattern;
	in.cap = req->cap;
	in.ncap = req->ncap;
	in.query = &req->query;
	in.body = req->json;
	switch (hc_param_check(route->params, &in, req->val, HC_PARAM_MAXN, &pe)) {
	case HC_OK:
		return 0;
	case HC_ERR_INVALID:
		hc_bad_input(req, route, pe.field, pe.errstr);
		return 400;
	default:
		/* the table itself is wrong: the program's fault, never the client's */
		hc_log(HC_LOG_ERROR, "input table of %s %s: %s", route->method,
		    route->pattern, pe.errstr);
		hc_http_resp_problem(req, 500, NULL, "the route's input table is invalid");
		return 500;
	}
}

enum hc_err
hc_app_routes_check(const struct hc_app *app, char *err, size_t errlen)
{
	const struct hc_route *r;
	char		 why[256];
	enum hc_err	 rc;

	for (r = app->routes; r->method != NULL; r++)
		if ((rc = hc_param_table_check(r->params, r->pattern, why,
		    sizeof(why))) != HC_OK) {
			snprintf(err, errlen, "input table of %s %s: %s", r->method,
			    r->pattern, why);
			return rc;
		}
	return HC_OK;
}

void
hc_app_handle(const struct hc_app *app, struct hc_ctx *ctx, const struct hc_io *io)
{
	const struct hc_route	*route = NULL;
	struct hc_req		 req;
	struct hc_access	 acc;
	char			 allow[128], extra[160];
	unsigned long		 nerr;
	double			 dur_ms;
	enum hc_err		 berr;

	hc_metrics_worker_busy(1);
	if (hc_http_req_init(&req, io) == -1) {
		hc_http_resp_problem(&req, 500, NULL, "out of memory");
		goto done;
	}
	switch (hc_route_match(app->routes, req.method, req.path, &route,
	    req.cap, HC_ROUTE_MAXCAP, &req.ncap, allow, sizeof(allow))) {
	case HC_MATCH_OK:
		break;
	case HC_MATCH_METHOD:
		req.route = route->pattern;
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
		hc_http_resp_problem(&req, 405, extra, "method %s is not allowed here; allowed: %s",
		    req.method, allow);
		goto done;
	default:
		hc_http_resp_problem(&req, 404, NULL, "no resource at %s", req.path);
		goto done;
	}
	req.route = route->pattern;
	if (route->authorize != NULL) {
		if (route->authorize(&req, ctx) != 0)
			goto done;
	} else if (route->auth != HC_AUTH_NONE &&
	    hc_app_authorize(&req, ctx, route->auth) != 0)
		goto done;
	if (!req.query_ok) {
		hc_bad_input(&req, route, "", "malformed query string");
		goto done;
	}
	if (hc_has_body(&req) && (berr = hc_http_req_read_body(&req,
	    HC_BODY_MAX)) != HC_OK) {
		if (berr == HC_ERR_RANGE)
			hc_http_resp_problem(&req, 413, NULL,
			    "request body is larger than %d bytes", HC_BODY_MAX);
		else if (berr == HC_ERR_IO)
			hc_http_resp_problem(&req, 400, NULL, "request body ended early");
		else
			hc_http_resp_problem(&req, 500, NULL, "could not read the request body");
		goto done;
	}
	if (hc_app_input(&req, route) != 0)
		goto done;
	route->fn(&req, ctx);
	if (!req.headers_sent) {
		hc_log(HC_LOG_ERROR, "handler for %s %s gave no answer", req.method, route->pattern);
		hc_http_resp_problem(&req, 500, NULL, "the handler gave no answer");
	}
done:
	if (hc_has_body(&req))	/* GETs carry none: nothing to read */
		hc_drain_body(io);
	dur_ms = hc_time_mono_ms() - req.start_ms;
	if (ctx->settings->access_log) {
		memset(&acc, 0, sizeof(acc));
		acc.request_id = req.request_id;
		acc.method = req.method;
		acc.route = req.route;
		acc.path = req.path;
		acc.remote_addr = req.remote_addr;
		acc.status = req.status;
		acc.duration_ms = dur_ms;
		hc_log_access(&acc);
	}
	/* the one metrics record of this request */
	hc_metrics_request(req.method, req.route, req.status, dur_ms / 1e3);
	if (ctx->redis != NULL &&
	    (nerr = hc_redis_errors(ctx->redis)) != ctx->redis_errors) {
		hc_metrics_count(HC_METRIC_REDIS_ERRORS, nerr - ctx->redis_errors);
		ctx->redis_errors = nerr;
	}
	hc_metrics_worker_busy(0);
	hc_http_req_cleanup(&req);
}

/* hc_app: what every headcount FastCGI program shares around its route table. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_APP_H
#define HC_APP_H

#include <time.h>

#include "hc_err.h"
#include "hc_route.h"

struct hc_settings;
struct hc_redis;
struct hc_io;

/* Per-worker context handed to every handler.  Handlers never change it. */
struct hc_ctx {
	const char		*program;
	const struct hc_settings *settings;
	struct hc_redis		*redis;		/* per worker, connected lazily */
	time_t			 started_at;	/* when the program started */
	void			*state;		/* the program's own, from init */
	unsigned long		 redis_errors;	/* the pipeline's: hc_redis_errors() already counted */
	void			*shared;	/* app->shared_size bytes shared by every process, zeroed */
};

struct hc_app {
	const char		*name;		/* "health": logs, metrics label */
	const struct hc_route	*routes;	/* NULL-method terminated */
	/* After fork in each worker; may set ctx->state.  0, or -1 to stop. */
	int			(*worker_init)(struct hc_ctx *ctx);
	/* Before a worker exits; NULL-safe on state. */
	void			(*worker_fini)(struct hc_ctx *ctx);
	unsigned		 flags;		/* HC_APP_* */
	/*
	 * Optional work kept off the request path: run once in the master
	 * before the workers fork, then in a helper process (with its own
	 * worker_init) again after the delay in ms it returns.  It talks to
	 * the workers through ctx->shared.
	 */
	long			(*helper)(struct hc_ctx *ctx);
	size_t			 shared_size;
};

/* libcurl is set up once before the workers fork (programs that call providers). */
#define HC_APP_CURL	0x01u

/*
 * The whole main() of a program: parses the command line (hc_cli:
 * --listen, --workers, --socket-mode, --socket-owner, --user, --config,
 * --print-settings, --help, --version), loads the settings (one line and
 * exit 2 when invalid), refuses to run as root without --user (exit 1),
 * starts logging and runs the process model: bind, open the metrics
 * segment, drop to --user with no new privileges, no core dumps and the
 * seccomp filter (hc_priv), fork; every request goes to hc_app_handle.
 * Returns the process exit status.
 */
int	 hc_app_main(int argc, char **argv, const struct hc_app *app);

/*
 * Checks every route's input table (hc_param_table_check) against its
 * pattern.  Returns HC_OK, or the error with the route and the fault in
 * err.  hc_app_main refuses to start on one.
 */
enum hc_err hc_app_routes_check(const struct hc_app *app, char *err,
	    size_t errlen);

/*
 * Answers one request read through io, in the API's order of checks:
 * route match (404, 405 with Allow), auth (the route's authorize, else
 * its role set: 401 with WWW-Authenticate: Bearer, 403), a malformed
 * query (400), the body limit (413), the declared input (route->params:
 * 400 naming the field and the rule, or route->bad_input), the handler,
 * a 500 problem if the handler answered nothing; then what is left of
 * the body is read, and one access line (when ctx->settings->access_log)
 * and one metrics record are written.  ctx->redis may be NULL.
 */
void	 hc_app_handle(const struct hc_app *app, struct hc_ctx *ctx,
	    const struct hc_io *io);

/*
 * Checks the request's bearer token against the role set mask (see
 * HC_AUTH_* in hc_jwt.h), as the pipeline does for routes with auth set.
 * Returns 0 with req->claims filled, or the status of the problem it has
 * already answered (401 with WWW-Authenticate: Bearer, or 403).
 */
int	 hc_app_authorize(struct hc_req *req, const struct hc_ctx *ctx,
	    unsigned mask);

/*
 * The one place a library error becomes an HTTP status, for a handler
 * whose lib/ call failed (hc_app_err.c): answers the problem with the
 * formatted detail and returns the status.  HC_ERR_NOMEM 500;
 * HC_ERR_REDIS and HC_ERR_SQLITE 503 with Retry-After: 1;
 * HC_ERR_UNAVAILABLE 503; HC_ERR_HTTP, _TIMEOUT, _AUTH and _PARSE 502
 * (an upstream failed or answered nonsense); HC_ERR_NOTFOUND 404;
 * HC_ERR_INVALID and _RANGE 400; anything else 500.  Nothing is written
 * once headers went out (the status is still returned).
 */
int	 hc_app_error(struct hc_req *req, enum hc_err err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The status hc_app_error answers for err. */
int	 hc_app_status(enum hc_err err);

#endif

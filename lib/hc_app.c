/* hc_app: main() of every program: command line, settings, logs, the process model (requests: hc_app_pipeline.c). */
#include "config.h"
#include "hc_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "hc_cli.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_priv.h"
#include "hc_redis.h"
#include "hc_server.h"
#include "hc_settings.h"
#include "hc_time.h"

struct hc_appstate {
	const struct hc_app	*app;
	struct hc_ctx		 ctx;
	struct hc_priv		 priv;		/* --user, resolved before the socket is bound */
};

static const char *hc_usage_prog = "headcount";

static const char *
hc_fcgx_getenv(void *ctx, const char *name)
{
	FCGX_Request *rq = ctx;

	return FCGX_GetParam(name, rq->envp);
}

static long
hc_fcgx_read(void *ctx, char *buf, size_t len)
{
	FCGX_Request *rq = ctx;
	int	 n;

	if (len > 1 << 30)
		len = 1 << 30;
	n = FCGX_GetStr(buf, (int)len, rq->in);
	return n < 0 ? -1 : n;
}

static int
hc_fcgx_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Request *rq = ctx;

	return FCGX_PutStr(buf, (int)len, rq->out) == (int)len ? 0 : -1;
}

static int
hc_fcgx_flush(void *ctx)
{
	FCGX_Request *rq = ctx;

	return FCGX_FFlush(rq->out) == 0 ? 0 : -1;
}

static void
hc_app_request(void *fcgx, void *ud)
{
	struct hc_appstate	*st = ud;
	struct hc_io		 io = { hc_fcgx_getenv, hc_fcgx_read,
				    hc_fcgx_write, hc_fcgx_flush, fcgx };

	hc_app_handle(st->app, &st->ctx, &io);
}

static int
hc_app_worker_init(void *ud)
{
	struct hc_appstate *st = ud;
	char	 err[256];

	st->ctx.redis = hc_redis_open(st->ctx.settings, err, sizeof(err));
	if (st->ctx.redis == NULL) {
		hc_log(HC_LOG_ERROR, "REDIS_URL: %s", err);
		return -1;
	}
	if (hc_server_worker_slot() >= 0)	/* the helper is no worker */
		hc_metrics_worker_start();
	if (st->app->worker_init != NULL && st->app->worker_init(&st->ctx) == -1)
		return -1;
	return 0;
}

static void
hc_app_worker_fini(void *ud)
{
	struct hc_appstate *st = ud;

	if (st->app->worker_fini != NULL)
		st->app->worker_fini(&st->ctx);
	hc_redis_free(st->ctx.redis);
	st->ctx.redis = NULL;
	hc_metrics_close();
}

static void
hc_app_reopen(void *ud)
{
	(void)ud;
	if (hc_log_reopen() == -1)
		hc_log(HC_LOG_ERROR, "reopening the log file failed");
}

static long
hc_app_helper(void *ud)
{
	struct hc_appstate *st = ud;

	return st->app->helper(&st->ctx);
}

/*
 * In the master, the socket bound: open the metrics segment, give up
 * root and the rest (hc_priv), install the seccomp filter every worker
 * inherits, then run the helper once so the workers start with its
 * results.
 */
static int
hc_app_prefork(void *ud)
{
	struct hc_appstate *st = ud;
	char	 err[512];

	if (hc_metrics_open(st->ctx.settings->metrics_shm, st->app->name, err,
	    sizeof(err)) == -1)
		hc_log(HC_LOG_ERROR, "HEADCOUNT_METRICS_SHM: %s; running without metrics", err);
	hc_metrics_config(st->ctx.settings->metrics_enabled, st->ctx.settings->slow_ms);
	if (hc_priv_drop(&st->priv, err, sizeof(err)) == -1 ||
	    hc_priv_seccomp(err, sizeof(err)) == -1) {
		hc_log(HC_LOG_ERROR, "%s", err);
		return -1;
	}
	if (st->priv.drop)
		hc_log(HC_LOG_INFO, "running as %s", st->priv.user);
	if (st->app->helper != NULL) {
		st->ctx.redis = hc_redis_open(st->ctx.settings, err, sizeof(err));
		if (st->ctx.redis == NULL) {
			hc_log(HC_LOG_ERROR, "REDIS_URL: %s", err);
			return -1;
		}
		st->app->helper(&st->ctx);
		/* the children make their own: no connection shared across fork */
		hc_redis_free(st->ctx.redis);
		st->ctx.redis = NULL;
	}
	return 0;
}

static void
hc_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [--listen unix:PATH|HOST:PORT] [--workers N] [--user USER[:GROUP]]\n"
	    "       [--socket-mode MODE] [--socket-owner USER[:GROUP]] [--config FILE]\n"
	    "       [--print-settings] [--help] [--version]\n"
	    "Without --listen the listening socket is inherited on fd 0 (spawn-fcgi,\n"
	    "mod_fcgid) or from systemd (LISTEN_FDS).  Started as root it needs --user:\n"
	    "it binds, then runs as that user.  Settings: %s (or\n"
	    "HEADCOUNT_CONFIG, or --config), then the environment.\n",
	    hc_usage_prog, hc_settings_default_path());
}

int
hc_app_main(int argc, char **argv, const struct hc_app *app)
{
	struct hc_server_opts	 so;
	struct hc_server_cb	 cb;
	struct hc_settings	 settings;
	struct hc_appstate	 st;
	struct hc_cli		 cli;
	char			 prog[64], err[512];
	void			*shared = NULL;
	int			 rc;

	snprintf(prog, sizeof(prog), "headcount-%s", app->name);
	hc_usage_prog = prog;
	/* a wrong input table is the program's bug: no start, rather than a 500 per request */
	if (hc_app_routes_check(app, err, sizeof(err)) != HC_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	memset(&cli, 0, sizeof(cli));
	cli.prog = prog;
	cli.flags = HC_CLI_SERVER | HC_CLI_USER | HC_CLI_PRINT;
	cli.usage = hc_usage;
	if ((rc = hc_cli_parse(&cli, argc, argv)) != HC_CLI_GO ||
	    (rc = hc_cli_settings(&cli, &settings)) != HC_CLI_GO)
		return rc;
	memset(&st, 0, sizeof(st));
	if (hc_priv_resolve(&st.priv, cli.user, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", prog, err);
		hc_settings_free(&settings);
		return 1;
	}
	if (hc_log_init(app->name, settings.log_file, settings.log_level) == -1)
		fprintf(stderr, "%s: HEADCOUNT_LOG_FILE %s: %s; logging to stderr\n",
		    prog, settings.log_file, strerror(errno));

	/* libcurl's global state is not safe to build after the fork */
	if ((app->flags & HC_APP_CURL) && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "%s: curl_global_init failed\n", prog);
		hc_settings_free(&settings);
		return 1;
	}
	if (app->shared_size > 0 && (shared = mmap(NULL, app->shared_size,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		fprintf(stderr, "%s: mmap(%zu): %s\n", prog, app->shared_size, strerror(errno));
		hc_settings_free(&settings);
		return 1;
	}
	memset(&so, 0, sizeof(so));
	so.listen = cli.listen;
	so.workers = cli.workers;
	so.socket_mode = cli.socket_mode;
	/* a socket bound by root for --user belongs to that user, unless told otherwise */
	so.socket_owner = cli.socket_owner != NULL ? cli.socket_owner :
	    st.priv.drop ? cli.user : NULL;
	so.backlog = 1024;
	so.conn_timeout_ms = settings.conn_timeout_ms;
	st.app = app;
	st.ctx.program = app->name;
	st.ctx.settings = &settings;
	st.ctx.started_at = time(NULL);
	st.ctx.shared = shared;
	memset(&cb, 0, sizeof(cb));
	cb.prefork = hc_app_prefork;
	cb.worker_init = hc_app_worker_init;
	cb.request = hc_app_request;
	cb.worker_fini = hc_app_worker_fini;
	cb.reopen = hc_app_reopen;
	cb.helper = app->helper != NULL ? hc_app_helper : NULL;
	cb.ud = &st;
	rc = hc_server_run(&so, &cb);
	hc_metrics_close();
	if (app->flags & HC_APP_CURL)
		curl_global_cleanup();
	if (shared != NULL)
		munmap(shared, app->shared_size);
	hc_settings_free(&settings);
	return rc;
}

/* hc_app: main() of every program: command line, settings, logs, the process model (requests: hc_app_pipeline.c). */
#include "config.h"
#include "hc_app.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_redis.h"
#include "hc_server.h"
#include "hc_settings.h"
#include "hc_time.h"

struct hc_appstate {
	const struct hc_app	*app;
	const struct hc_app_companion *comp;	/* NULL when none */
	struct hc_ctx		 ctx;
};

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
hc_app_companion(void *ud)
{
	struct hc_appstate *st = ud;

	st->comp->run(&st->ctx);
}

static void
hc_app_reopen(void *ud)
{
	(void)ud;
	if (hc_log_reopen() == -1)
		hc_log(HC_LOG_ERROR, "reopening the log file failed");
}

static void
hc_usage(FILE *fp, const char *name)
{
	fprintf(fp,
	    "usage: headcount-%s [--listen unix:PATH|HOST:PORT] [--workers N]\n"
	    "       [--socket-mode MODE] [--socket-owner USER[:GROUP]] [--config FILE]\n"
	    "       [--print-settings] [--help] [--version]\n"
	    "Without --listen the listening socket is inherited on fd 0 (spawn-fcgi,\n"
	    "mod_fcgid) or from systemd (LISTEN_FDS).  Settings: %s, then the environment.\n",
	    name, hc_settings_default_path());
}

static int
hc_optlong(const char *opt, const char *v, int base, long lo, long hi, long *out)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(v, &end, base);
	if (*v == '\0' || *end != '\0' || errno != 0 || l < lo || l > hi) {
		fprintf(stderr, "%s: not a number in [%ld, %ld]: \"%s\"\n", opt, lo, hi, v);
		return -1;
	}
	*out = l;
	return 0;
}

int
hc_app_main(int argc, char **argv, const struct hc_app *app)
{
	return hc_app_main_with(argc, argv, app, NULL);
}

int
hc_app_main_with(int argc, char **argv, const struct hc_app *app,
    const struct hc_app_companion *comp)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "socket-owner", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "print-settings", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct hc_server_opts	 so = { NULL, 0660, NULL, 4, 1024 };
	struct hc_server_cb	 cb;
	struct hc_settings	 settings;
	struct hc_appstate	 st;
	const char		*config = NULL;
	char			 err[512];
	int			 ch, print = 0, rc;

	while ((ch = getopt_long(argc, argv, "l:w:c:hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'l':
			so.listen = optarg;
			break;
		case 'w':
			if (hc_optlong("--workers", optarg, 10, 1, 1024, &so.workers) == -1)
				return 2;
			break;
		case 'm':
			if (hc_optlong("--socket-mode", optarg, 8, 0, 07777, &so.socket_mode) == -1)
				return 2;
			break;
		case 'o':
			so.socket_owner = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'P':
			print = 1;
			break;
		case 'h':
			hc_usage(stdout, app->name);
			return 0;
		case 'V':
			printf("headcount-%s %s\n", app->name, PACKAGE_VERSION);
			return 0;
		default:
			hc_usage(stderr, app->name);
			return 2;
		}
	if (optind != argc) {
		hc_usage(stderr, app->name);
		return 2;
	}
	if (config == NULL && (config = getenv("HEADCOUNT_CONFIG")) != NULL &&
	    *config == '\0')
		config = NULL;
	if (hc_settings_load(&settings, config ? config : hc_settings_default_path(),
	    config != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "headcount-%s: %s\n", app->name, err);
		return 2;
	}
	if (print) {
		rc = hc_settings_print(&settings, stdout) == 0 ? 0 : 1;
		hc_settings_free(&settings);
		return rc;
	}
	if (hc_log_init(app->name, settings.log_file, settings.log_level) == -1)
		fprintf(stderr, "headcount-%s: HEADCOUNT_LOG_FILE %s: %s; logging to stderr\n",
		    app->name, settings.log_file, strerror(errno));

	/* libcurl's global state is not safe to build after the fork */
	if ((app->flags & HC_APP_CURL) && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "headcount-%s: curl_global_init failed\n", app->name);
		hc_settings_free(&settings);
		return 1;
	}
	/* before the fork: every worker inherits the mapping */
	if (hc_metrics_open(settings.metrics_shm, app->name, err, sizeof(err)) == -1)
		hc_log(HC_LOG_ERROR, "HEADCOUNT_METRICS_SHM: %s; running without metrics", err);
	hc_metrics_config(settings.metrics_enabled, settings.slow_ms);
	memset(&st, 0, sizeof(st));
	st.app = app;
	st.comp = comp;
	st.ctx.program = app->name;
	st.ctx.settings = &settings;
	st.ctx.started_at = time(NULL);
	memset(&cb, 0, sizeof(cb));
	cb.worker_init = hc_app_worker_init;
	cb.request = hc_app_request;
	cb.worker_fini = hc_app_worker_fini;
	cb.reopen = hc_app_reopen;
	cb.companion = comp != NULL && comp->run != NULL ? hc_app_companion : NULL;
	cb.ud = &st;
	if (comp != NULL && comp->master_init != NULL && comp->master_init(&st.ctx) == -1) {
		hc_log(HC_LOG_ERROR, "start-up of %s failed", app->name);
		rc = 1;
		goto out;
	}
	rc = hc_server_run(&so, &cb);
	if (comp != NULL && comp->master_fini != NULL)
		comp->master_fini(&st.ctx);
out:
	hc_metrics_close();
	if (app->flags & HC_APP_CURL)
		curl_global_cleanup();
	hc_settings_free(&settings);
	return rc;
}

/* headcount-health: liveness, readiness and the detailed health report of this node. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "hc_app.h"
#include "hc_http.h"
#include "hc_json.h"
#include "hc_jwt.h"
#include "hc_redis.h"
#include "hc_settings.h"
#include "hc_sys.h"
#include "hc_time.h"

#define HC_HISTORY_DB	"history.db"
#define HC_CPU_WINDOW_MS 100.0	/* shortest span a CPU percentage is measured over */

struct health_state {
	struct hc_cpu_sample	 cpu;
	double			 cpu_at;	/* hc_mono_ms() of cpu */
};

static json_object *
health_check(int ok, double ms, const char *error)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(ok ? "pass" : "fail"));
	json_object_object_add(o, "latency_ms", hc_json_double(ms, 3));
	if (!ok)
		json_object_object_add(o, "error", json_object_new_string(error));
	return o;
}

static int
health_redis(struct hc_ctx *ctx, json_object *checks)
{
	double	 ms;
	int	 ok = hc_redis_ping(ctx->redis, &ms) == 0;

	json_object_object_add(checks, "redis",
	    health_check(ok, ms, ok ? NULL : hc_redis_errstr(ctx->redis)));
	return ok;
}

/*
 * The history directory must be a writable directory; when the history
 * file exists it must open and answer a query.  Nothing is created here:
 * the node's agent owns that file.
 */
static int
health_sqlite(struct hc_ctx *ctx, json_object *checks)
{
	const char	*dir = ctx->settings->data_dir;
	char		 path[4096], err[4608] = "";
	double		 t0 = hc_mono_ms();
	struct stat	 st;
	sqlite3		*db = NULL;
	sqlite3_stmt	*stmt = NULL;
	int		 ok = 0;

	if (stat(dir, &st) == -1)
		snprintf(err, sizeof(err), "stat(%s): %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(err, sizeof(err), "%s: not a directory", dir);
	else if (access(dir, W_OK | X_OK) == -1)
		snprintf(err, sizeof(err), "access(%s): %s", dir, strerror(errno));
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, HC_HISTORY_DB) >= sizeof(path))
		snprintf(err, sizeof(err), "%s: path too long", dir);
	else if (access(path, F_OK) == -1)
		ok = 1;
	else if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		snprintf(err, sizeof(err), "sqlite3_open(%s): %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
	else if (sqlite3_busy_timeout(db, 200) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		snprintf(err, sizeof(err), "sqlite(%s): %s", path, sqlite3_errmsg(db));
	else
		ok = 1;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	json_object_object_add(checks, "sqlite", health_check(ok, hc_mono_ms() - t0, err));
	return ok;
}

static void
health_live(struct hc_req *req, struct hc_ctx *ctx)
{
	json_object *o = json_object_new_object();

	(void)ctx;
	json_object_object_add(o, "status", json_object_new_string("alive"));
	hc_resp_json(req, 200, o);
	json_object_put(o);
}

static void
health_ready(struct hc_req *req, struct hc_ctx *ctx)
{
	json_object *o = json_object_new_object(), *checks = json_object_new_object();
	int	 ok;

	ok = health_redis(ctx, checks);
	ok &= health_sqlite(ctx, checks);
	json_object_object_add(o, "status", json_object_new_string(ok ? "ready" : "not_ready"));
	json_object_object_add(o, "checks", checks);
	hc_resp_json(req, ok ? 200 : 503, o);
	json_object_put(o);
}

static json_object *
health_optstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
health_instance(struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	json_object	*o = json_object_new_object(), *d = json_object_new_object();
	char		 host[256], when[HC_TIME_BUFSZ];
	time_t		 now = time(NULL);

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "%s", s->instance_id);
	host[sizeof(host) - 1] = '\0';
	json_object_object_add(o, "id", json_object_new_string(s->instance_id));
	json_object_object_add(o, "hostname", json_object_new_string(host));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "started_at",
	    json_object_new_string(hc_time_fmt(ctx->started_at, when)));
	json_object_object_add(o, "uptime_seconds",
	    json_object_new_int64(now > ctx->started_at ? (int64_t)(now - ctx->started_at) : 0));
	json_object_object_add(d, "app_id", health_optstr(s->do_app_id));
	json_object_object_add(d, "region", health_optstr(s->do_region));
	json_object_object_add(d, "deployment_id", health_optstr(s->do_deployment_id));
	json_object_object_add(d, "component", health_optstr(s->do_component_name));
	json_object_object_add(o, "digitalocean", d);
	return o;
}

static json_object *
health_system(struct health_state *hs)
{
	json_object		*o = json_object_new_object(), *mem, *load;
	struct hc_cpu_sample	 now;
	struct hc_meminfo	 mi;
	double			 la[3], t, wait;
	size_t			 i;

	/* CPU use is measured since the last report, over at least HC_CPU_WINDOW_MS. */
	t = hc_mono_ms();
	if ((wait = hs->cpu_at + HC_CPU_WINDOW_MS - t) > 0) {
		struct timespec ts = { 0, (long)(wait * 1e6) };

		nanosleep(&ts, NULL);
	}
	if (hc_sys_cpu_sample(&now) == 0) {
		json_object_object_add(o, "cpu_percent", hc_json_double(
		    hc_sys_cpu_percent(&hs->cpu, &now), 1));
		hs->cpu = now;
		hs->cpu_at = hc_mono_ms();
	} else
		json_object_object_add(o, "cpu_percent", NULL);
	if (hc_sys_loadavg(la) == 0) {
		load = json_object_new_array();
		for (i = 0; i < 3; i++)
			json_object_array_add(load, hc_json_double(la[i], 2));
		json_object_object_add(o, "load_average", load);
	} else
		json_object_object_add(o, "load_average", NULL);
	if (hc_sys_meminfo(&mi) == 0) {
		mem = json_object_new_object();
		json_object_object_add(mem, "percent",
		    hc_json_double(mi.percent, 1));
		json_object_object_add(mem, "total_bytes", json_object_new_int64((int64_t)mi.total_bytes));
		json_object_object_add(mem, "available_bytes",
		    json_object_new_int64((int64_t)mi.available_bytes));
		json_object_object_add(o, "memory", mem);
	} else
		json_object_object_add(o, "memory", NULL);
	return o;
}

/*
 * healthy: every check passes; unhealthy: Redis (the live state every
 * answer needs) fails; degraded: only the history store fails.
 */
static void
health_detailed(struct hc_req *req, struct hc_ctx *ctx)
{
	json_object	*o = json_object_new_object(), *checks = json_object_new_object();
	int		 redis_ok, sqlite_ok;

	redis_ok = health_redis(ctx, checks);
	sqlite_ok = health_sqlite(ctx, checks);
	json_object_object_add(o, "status", json_object_new_string(
	    !redis_ok ? "unhealthy" : !sqlite_ok ? "degraded" : "healthy"));
	json_object_object_add(o, "instance", health_instance(ctx));
	json_object_object_add(o, "system", health_system(ctx->state));
	json_object_object_add(o, "checks", checks);
	hc_resp_json(req, 200, o);
	json_object_put(o);
}

static int
health_init(struct hc_ctx *ctx)
{
	struct health_state *hs;

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return -1;
	if (hc_sys_cpu_sample(&hs->cpu) == 0)
		hs->cpu_at = hc_mono_ms();
	ctx->state = hs;
	return 0;
}

static void
health_fini(struct hc_ctx *ctx)
{
	free(ctx->state);
	ctx->state = NULL;
}

/* None takes input (params NULL): any query key is a 400. */
static const struct hc_route health_routes[] = {
	{ "GET", "/api/v1/health/live", HC_AUTH_NONE, health_live },
	{ "GET", "/api/v1/health/ready", HC_AUTH_NONE, health_ready },
	{ "GET", "/api/v1/health/detailed", HC_AUTH_USER, health_detailed },
	{ 0 }
};

static const struct hc_app health_app = {
	"health", health_routes, health_init, health_fini, 0
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &health_app);
}

/* headcount-health: liveness, readiness and the detailed health report of this node. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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
#define HC_DATA_MIN_FREE (16 * 1024)	/* bytes: below this the history cannot grow */
#define HC_CPU_WINDOW_MS 100L	/* the first CPU percentage is measured over this span */

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

/*
 * Redis and SQLite are checked by the program's helper process every
 * HEALTH_CHECK_MS, never by the workers: a worker in a PING to a hung
 * Redis would hold every connection it serves, /health/live among them.
 * ready and detailed read the last result from memory shared with the
 * helper (a sequence lock: odd while the helper writes).  The helper
 * also measures the node's CPU use between two of its runs, so that no
 * worker ever waits for a measuring window to pass.
 */
#define HEALTH_CHECK_MS	500L

struct health_result {
	int	 ok;
	double	 ms;
	char	 error[4608];	/* as long as a path in an error can make it */
};

struct health_shared {
	unsigned		 seq;
	double			 checked_at;	/* hc_time_mono_ms() of the last check, 0: none yet */
	struct health_result	 redis, sqlite;
	double			 cpu_percent;	/* < 0: not measured */
};

/*
 * The agent's own word on its history writes: it keeps
 * <prefix>history:failing:<instance id> in Redis while they fail (the
 * data directory full, read-only, ...).  Returns 1 with why filled.
 */
static int
health_history_failing(struct hc_ctx *ctx, char *why, size_t len)
{
	redisReply	*rep;
	int		 failing = 0;

	if ((rep = hc_redis_cmd(ctx->redis, "GET %shistory:failing:%s",
	    ctx->settings->key_prefix, ctx->settings->instance_id)) == NULL)
		return 0;	/* Redis has its own check */
	if (rep->type == REDIS_REPLY_STRING) {
		snprintf(why, len, "the agent cannot write the history: %.400s", rep->str);
		failing = 1;
	}
	freeReplyObject(rep);
	return failing;
}

/*
 * The history directory must be a writable directory with room left;
 * when the history file exists it must open and answer a query, and the
 * agent must not be reporting failed writes.  Nothing is created here:
 * the node's agent owns that file.
 */
static void
health_sqlite(struct hc_ctx *ctx, int redis_ok, struct health_result *res)
{
	const char	*dir = ctx->settings->data_dir;
	char		 path[4096], *err = res->error;
	size_t		 errlen = sizeof(res->error);
	double		 t0 = hc_time_mono_ms();
	struct stat	 st;
	struct statvfs	 vfs;
	sqlite3		*db = NULL;
	sqlite3_stmt	*stmt = NULL;
	int		 ok = 0;

	err[0] = '\0';
	if (stat(dir, &st) == -1)
		snprintf(err, errlen, "stat(%s): %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(err, errlen, "%s: not a directory", dir);
	else if (access(dir, W_OK | X_OK) == -1)
		snprintf(err, errlen, "access(%s): %s", dir, strerror(errno));
	else if (statvfs(dir, &vfs) == 0 && (unsigned long long)vfs.f_bavail * vfs.f_frsize <
	    HC_DATA_MIN_FREE)
		snprintf(err, errlen, "%s: no space left (%llu bytes free)", dir,
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize);
	else if (redis_ok && health_history_failing(ctx, err, errlen))
		;	/* (a hung Redis is not asked twice per check) */
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, HC_HISTORY_DB) >= sizeof(path))
		snprintf(err, errlen, "%s: path too long", dir);
	else if (access(path, F_OK) == -1)
		ok = 1;
	else if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		snprintf(err, errlen, "sqlite3_open(%s): %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
	else if (sqlite3_busy_timeout(db, 200) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		snprintf(err, errlen, "sqlite(%s): %s", path, sqlite3_errmsg(db));
	else
		ok = 1;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	res->ok = ok;
	res->ms = hc_time_mono_ms() - t0;
}

/* The helper's job (also run once in the master before the workers fork). */
static long
health_helper(struct hc_ctx *ctx)
{
	static struct hc_cpu_sample	 last;
	static int			 have_last;
	struct health_shared		*sh = ctx->shared;
	struct health_result		 redis, sqlite;
	struct hc_cpu_sample		 cpu;
	double				 cpu_percent = -1.0;

	if (!have_last && hc_sys_cpu_sample(&last) == 0) {
		/* the first run (in the master, before any worker): one short window */
		struct timespec ts = { 0, HC_CPU_WINDOW_MS * 1000000L };

		have_last = 1;
		nanosleep(&ts, NULL);
	}
	if (have_last && hc_sys_cpu_sample(&cpu) == 0) {
		cpu_percent = hc_sys_cpu_percent(&last, &cpu);
		last = cpu;
	}
	memset(&redis, 0, sizeof(redis));
	redis.ok = hc_redis_ping(ctx->redis, &redis.ms) == 0;
	if (!redis.ok)
		snprintf(redis.error, sizeof(redis.error), "%s", hc_redis_errstr(ctx->redis));
	health_sqlite(ctx, redis.ok, &sqlite);
	__atomic_add_fetch(&sh->seq, 1, __ATOMIC_SEQ_CST);
	sh->redis = redis;
	sh->sqlite = sqlite;
	sh->cpu_percent = cpu_percent;
	sh->checked_at = hc_time_mono_ms();
	__atomic_add_fetch(&sh->seq, 1, __ATOMIC_SEQ_CST);
	return HEALTH_CHECK_MS;
}

/* The last results; a helper that stopped finishing checks fails both. */
static void
health_results(struct hc_ctx *ctx, struct health_result *redis, struct health_result *sqlite,
    double *cpu_percent)
{
	const struct health_shared *sh = ctx->shared;
	double	 at = 0, age, limit;
	unsigned s1, s2, tries = 0;

	do {
		s1 = __atomic_load_n(&sh->seq, __ATOMIC_SEQ_CST);
		*redis = sh->redis;
		*sqlite = sh->sqlite;
		*cpu_percent = sh->cpu_percent;
		at = sh->checked_at;
		s2 = __atomic_load_n(&sh->seq, __ATOMIC_SEQ_CST);
	} while (((s1 & 1) != 0 || s1 != s2) && ++tries < 10000);
	/* a check in hand may take the whole Redis timeout */
	limit = 2.0 * HEALTH_CHECK_MS + (double)ctx->settings->redis_timeout_ms + 1000.0;
	age = hc_time_mono_ms() - at;
	if (at <= 0 || age > limit) {
		redis->ok = sqlite->ok = 0;
		snprintf(redis->error, sizeof(redis->error), at <= 0 ?
		    "no check has finished yet" : "no check finished in the last %.0f ms", age);
		snprintf(sqlite->error, sizeof(sqlite->error), "%s", redis->error);
		*cpu_percent = -1.0;
	}
}

static int
health_add(json_object *checks, const char *name, const struct health_result *r)
{
	json_object_object_add(checks, name, health_check(r->ok, r->ms, r->error));
	return r->ok;
}

/*
 * The same bytes every time: json-c writes them once per process (the
 * first request), then they are sent as they are, no object per request.
 */
static void
health_live(struct hc_req *req, struct hc_ctx *ctx)
{
	static char	*body;
	static size_t	 len;
	json_object	*o;
	const char	*s;

	(void)ctx;
	if (body == NULL && (o = json_object_new_object()) != NULL) {
		if (json_object_object_add(o, "status", json_object_new_string("alive")) == 0 &&
		    json_object_object_get(o, "status") != NULL &&
		    (s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len)) != NULL)
			body = strdup(s);
		json_object_put(o);
	}
	if (body == NULL) {
		hc_http_resp_problem(req, 500, NULL, "out of memory");
		return;
	}
	hc_http_resp_text(req, 200, "application/json", body, len);
}

static void
health_ready(struct hc_req *req, struct hc_ctx *ctx)
{
	json_object *o = json_object_new_object(), *checks = json_object_new_object();
	struct health_result redis, sqlite;
	double	 cpu;
	int	 ok;

	health_results(ctx, &redis, &sqlite, &cpu);
	ok = health_add(checks, "redis", &redis);
	ok &= health_add(checks, "sqlite", &sqlite);
	json_object_object_add(o, "status", json_object_new_string(ok ? "ready" : "not_ready"));
	json_object_object_add(o, "checks", checks);
	hc_http_resp_json(req, ok ? 200 : 503, o);
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
health_system(double cpu_percent)
{
	json_object		*o = json_object_new_object(), *mem, *load;
	struct hc_meminfo	 mi;
	double			 la[3];
	size_t			 i;

	json_object_object_add(o, "cpu_percent", cpu_percent < 0 ? NULL :
	    hc_json_double(cpu_percent, 1));
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
	struct health_result redis, sqlite;
	double		 cpu;
	int		 redis_ok, sqlite_ok;

	health_results(ctx, &redis, &sqlite, &cpu);
	redis_ok = health_add(checks, "redis", &redis);
	sqlite_ok = health_add(checks, "sqlite", &sqlite);
	json_object_object_add(o, "status", json_object_new_string(
	    !redis_ok ? "unhealthy" : !sqlite_ok ? "degraded" : "healthy"));
	json_object_object_add(o, "instance", health_instance(ctx));
	json_object_object_add(o, "system", health_system(cpu));
	json_object_object_add(o, "checks", checks);
	hc_http_resp_json(req, 200, o);
	json_object_put(o);
}

/* None takes input (params NULL): any query key is a 400. */
static const struct hc_route health_routes[] = {
	{ "GET", "/api/v1/health/live", HC_AUTH_NONE, health_live },
	{ "GET", "/api/v1/health/ready", HC_AUTH_NONE, health_ready },
	{ "GET", "/api/v1/health/detailed", HC_AUTH_USER, health_detailed },
	{ 0 }
};

static const struct hc_app health_app = {
	"health", health_routes, NULL, NULL, 0,
	health_helper, sizeof(struct health_shared)
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &health_app);
}

/* headcount-metrics: the node's metrics in the Prometheus text format (GET /metrics). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "hc_app.h"
#include "hc_cidr.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_redis.h"
#include "hc_settings.h"
#include "hc_sys.h"

#define METRICS_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_state {
	struct hc_cidr_list	 allow;
	char			 keys[3][512];	/* instances, self_preservation, replicas:status */
	char			 ttl_ms[32];
};

/*
 * The fleet's gauges in one round trip.  The layout is the registry's
 * (lib/hc_registry.h): an instance is stale once its last heartbeat (ms,
 * Redis clock) is more than the TTL old, as hc_registry_summary counts.
 * KEYS: instances, self_preservation, replicas:status.  ARGV: ttl_ms.
 */
static const char metrics_lua[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local total = redis.call('ZCARD', KEYS[1])\n"
	"local stale = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. string.format('%d', now - tonumber(ARGV[1])))\n"
	"local d = redis.call('HGET', KEYS[3], 'desired')\n"
	"return {total, stale, redis.call('EXISTS', KEYS[2]), d or false}\n";

struct fleet {
	int		 up;
	long long	 total, stale, preserving, desired;	/* desired -1: unknown */
};

static int
reply_ll(const redisReply *r, long long *out)
{
	char	*end;

	if (r->type == REDIS_REPLY_INTEGER) {
		*out = r->integer;
		return 0;
	}
	if (r->type == REDIS_REPLY_STRING && r->len > 0) {
		*out = strtoll(r->str, &end, 10);
		return *end == '\0' ? 0 : -1;
	}
	return -1;
}

static void
fleet_read(struct hc_ctx *ctx, struct fleet *f)
{
	struct metrics_state *ms = ctx->state;
	const char	*argv[] = { "EVAL", metrics_lua, "3", ms->keys[0],
			    ms->keys[1], ms->keys[2], ms->ttl_ms };
	redisReply	*r;

	memset(f, 0, sizeof(*f));
	f->desired = -1;
	if ((r = hc_redis_cmdargv(ctx->redis, 7, argv, NULL)) == NULL) {
		hc_log(HC_LOG_WARN, "metrics: %s", hc_redis_errstr(ctx->redis));
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    reply_ll(r->element[0], &f->total) == -1 ||
	    reply_ll(r->element[1], &f->stale) == -1 ||
	    reply_ll(r->element[2], &f->preserving) == -1) {
		hc_log(HC_LOG_WARN, "metrics: EVAL(fleet gauges): %.200s",
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return;
	}
	if (reply_ll(r->element[3], &f->desired) == -1 || f->desired < 0)
		f->desired = -1;
	f->up = 1;
	freeReplyObject(r);
	/* no status stored yet (no agent ran): the static setting is the answer */
	if (f->desired < 0 && ctx->settings->desired_replicas >= 0)
		f->desired = ctx->settings->desired_replicas;
}

/* Appends printf output to a malloc'd text; -1 without memory. */
static int __attribute__((format(printf, 4, 5)))
text_add(char **p, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list	 ap;
	char	*np;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*p + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		if ((np = realloc(*p, *cap * 2 + (size_t)n)) == NULL)
			return -1;
		*p = np;
		*cap = *cap * 2 + (size_t)n;
	}
}

static int
fleet_render(const struct fleet *f, char **p, size_t *len, size_t *cap)
{
	int	 rc = 0;

	/* with Redis down the gauges have no sample: an alert must not see 0 */
	rc |= text_add(p, len, cap,
	    "# HELP headcount_instances_active Registered instances whose last heartbeat is within HEADCOUNT_TTL.\n"
	    "# TYPE headcount_instances_active gauge\n");
	if (f->up)
		rc |= text_add(p, len, cap, "headcount_instances_active %lld\n",
		    f->total - f->stale);
	rc |= text_add(p, len, cap,
	    "# HELP headcount_instances_stale Registered instances whose last heartbeat is older than HEADCOUNT_TTL.\n"
	    "# TYPE headcount_instances_stale gauge\n");
	if (f->up)
		rc |= text_add(p, len, cap, "headcount_instances_stale %lld\n", f->stale);
	rc |= text_add(p, len, cap,
	    "# HELP headcount_instances_desired Configured replica count (provider, else DESIRED_REPLICAS).\n"
	    "# TYPE headcount_instances_desired gauge\n");
	if (f->up && f->desired >= 0)
		rc |= text_add(p, len, cap, "headcount_instances_desired %lld\n", f->desired);
	rc |= text_add(p, len, cap,
	    "# HELP headcount_self_preservation 1 while automatic pruning is suspended.\n"
	    "# TYPE headcount_self_preservation gauge\n");
	if (f->up)
		rc |= text_add(p, len, cap, "headcount_self_preservation %d\n",
		    f->preserving ? 1 : 0);
	rc |= text_add(p, len, cap,
	    "# HELP headcount_redis_up 1 when this node's metrics program reached Redis for this scrape.\n"
	    "# TYPE headcount_redis_up gauge\n"
	    "headcount_redis_up %d\n", f->up);
	return rc;
}

/* A number from the first token of a small file (cgroup limits); -1 when none. */
static double
file_number(const char *path, int field)
{
	char	 buf[128], *p = buf, *end;
	double	 v;

	if (hc_sys_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	while (field-- > 0 && (p = strchr(p, ' ')) != NULL)
		p++;
	if (p == NULL)
		return -1;
	v = strtod(p, &end);
	return end == p ? -1 : v;
}

/*
 * What this node may use, for the CPU and memory alerts: the cgroup's
 * limits (v2, else v1) when the programs run in a limited container, else
 * the machine's CPUs and memory.
 */
static int
limits_render(char **p, size_t *len, size_t *cap)
{
	struct hc_meminfo mi;
	double	 mem, quota, period, cpus;
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	cpus = n > 0 ? (double)n : 1;
	quota = file_number("/sys/fs/cgroup/cpu.max", 0);
	period = file_number("/sys/fs/cgroup/cpu.max", 1);
	if (quota <= 0 || period <= 0) {
		quota = file_number("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", 0);
		period = file_number("/sys/fs/cgroup/cpu/cpu.cfs_period_us", 0);
	}
	if (quota > 0 && period > 0 && quota / period < cpus)
		cpus = quota / period;
	mem = hc_sys_meminfo(&mi) == 0 ? (double)mi.total_bytes : -1;
	quota = file_number("/sys/fs/cgroup/memory.max", 0);	/* "max": none */
	if (quota <= 0)
		quota = file_number("/sys/fs/cgroup/memory/memory.limit_in_bytes", 0);
	if (quota > 0 && (mem <= 0 || quota < mem))
		mem = quota;
	if (text_add(p, len, cap,
	    "# HELP headcount_cpu_limit_cores CPUs this node's programs may use (cgroup quota, else online CPUs).\n"
	    "# TYPE headcount_cpu_limit_cores gauge\n"
	    "headcount_cpu_limit_cores %.3f\n"
	    "# HELP headcount_memory_limit_bytes Memory this node's programs may use (cgroup limit, else MemTotal).\n"
	    "# TYPE headcount_memory_limit_bytes gauge\n", cpus) == -1)
		return -1;
	if (mem > 0 && text_add(p, len, cap, "headcount_memory_limit_bytes %.0f\n", mem) == -1)
		return -1;
	return 0;
}

/* The allowlist needs no token; any other address any valid one (API.md). */
static int
metrics_authorize(struct hc_req *req, struct hc_ctx *ctx)
{
	struct metrics_state *ms = ctx->state;

	if (req->remote_addr != NULL &&
	    hc_cidr_list_match(&ms->allow, req->remote_addr))
		return 0;
	return hc_app_authorize(req, ctx, HC_AUTH_ANY);
}

static void
metrics_get(struct hc_req *req, struct hc_ctx *ctx)
{
	struct fleet	 f;
	char		*text;
	size_t		 len = 0, cap;

	fleet_read(ctx, &f);
	if ((text = hc_metrics_render(&len)) == NULL) {
		hc_resp_problem(req, 503, NULL, "the metrics segment is not "
		    "available (HEADCOUNT_METRICS_SHM, see the program's log)");
		return;
	}
	cap = len + 1;
	if (fleet_render(&f, &text, &len, &cap) != 0 ||
	    limits_render(&text, &len, &cap) != 0) {
		free(text);
		hc_resp_problem(req, 500, NULL, "out of memory");
		return;
	}
	hc_resp_text(req, 200, METRICS_CTYPE, text, len);
	free(text);
}

static int
metrics_init(struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	struct metrics_state *ms;
	char	 err[256];

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return -1;
	if (hc_cidr_list_parse(&ms->allow, s->metrics_allow, err, sizeof(err)) == -1) {
		hc_log(HC_LOG_ERROR, "HEADCOUNT_METRICS_ALLOW: %s", err);
		free(ms);
		return -1;
	}
	snprintf(ms->keys[0], sizeof(ms->keys[0]), "%sinstances", s->key_prefix);
	snprintf(ms->keys[1], sizeof(ms->keys[1]), "%sself_preservation", s->key_prefix);
	snprintf(ms->keys[2], sizeof(ms->keys[2]), "%sreplicas:status", s->key_prefix);
	snprintf(ms->ttl_ms, sizeof(ms->ttl_ms), "%lld", (long long)s->ttl * 1000);
	ctx->state = ms;
	return 0;
}

static void
metrics_fini(struct hc_ctx *ctx)
{
	struct metrics_state *ms = ctx->state;

	if (ms != NULL)
		hc_cidr_list_free(&ms->allow);
	free(ms);
	ctx->state = NULL;
}

static const struct hc_route metrics_routes[] = {
	/* no input: any query key is a 400 */
	{ "GET", "/metrics", HC_AUTH_NONE, metrics_get, NULL, NULL, metrics_authorize },
	{ 0 }
};

static const struct hc_app metrics_app = {
	"metrics", metrics_routes, metrics_init, metrics_fini, 0, NULL, 0
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &metrics_app);
}

/* headcount-metrics: the node's metrics in the Prometheus text format (GET /metrics). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_app.h"
#include "hc_buf.h"
#include "hc_cidr.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_registry.h"
#include "hc_settings.h"
#include "hc_sys.h"

#define METRICS_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_state {
	struct hc_cidr_list	 allow;
	struct hc_registry	*reg;
};

struct fleet {
	int		 up;
	long long	 total, stale, preserving, desired;	/* desired -1: unknown */
};

/* The fleet's gauges: the registry's summary, one round trip. */
static void
fleet_read(struct hc_ctx *ctx, struct fleet *f)
{
	struct metrics_state *ms = ctx->state;
	struct hc_registry_summary sum;

	memset(f, 0, sizeof(*f));
	f->desired = -1;
	if (hc_registry_summary(ms->reg, &sum) != HC_OK) {
		hc_log(HC_LOG_WARN, "metrics: %s", hc_registry_errstr(ms->reg));
		return;
	}
	f->up = 1;
	f->total = sum.total;
	f->stale = sum.stale;
	f->preserving = sum.self_preservation;
	f->desired = sum.desired;
	/* no status stored yet (no agent ran): the static setting is the answer */
	if (f->desired < 0 && ctx->settings->desired_replicas >= 0)
		f->desired = ctx->settings->desired_replicas;
}

static void
fleet_render(const struct fleet *f, struct hc_buf *b)
{
	/* with Redis down the gauges have no sample: an alert must not see 0 */
	HC_BUF_LIT(b,
	    "# HELP headcount_instances_active Registered instances whose last heartbeat is within HEADCOUNT_TTL.\n"
	    "# TYPE headcount_instances_active gauge\n");
	if (f->up)
		hc_buf_printf(b, "headcount_instances_active %lld\n",
		    f->total - f->stale);
	HC_BUF_LIT(b,
	    "# HELP headcount_instances_stale Registered instances whose last heartbeat is older than HEADCOUNT_TTL.\n"
	    "# TYPE headcount_instances_stale gauge\n");
	if (f->up)
		hc_buf_printf(b, "headcount_instances_stale %lld\n", f->stale);
	HC_BUF_LIT(b,
	    "# HELP headcount_instances_desired Configured replica count (provider, else DESIRED_REPLICAS).\n"
	    "# TYPE headcount_instances_desired gauge\n");
	if (f->up && f->desired >= 0)
		hc_buf_printf(b, "headcount_instances_desired %lld\n", f->desired);
	HC_BUF_LIT(b,
	    "# HELP headcount_self_preservation 1 while automatic pruning is suspended.\n"
	    "# TYPE headcount_self_preservation gauge\n");
	if (f->up)
		hc_buf_printf(b, "headcount_self_preservation %d\n",
		    f->preserving ? 1 : 0);
	hc_buf_printf(b,
	    "# HELP headcount_redis_up 1 when this node's metrics program reached Redis for this scrape.\n"
	    "# TYPE headcount_redis_up gauge\n"
	    "headcount_redis_up %d\n", f->up);
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
static void
limits_render(struct hc_buf *b)
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
	hc_buf_printf(b,
	    "# HELP headcount_cpu_limit_cores CPUs this node's programs may use (cgroup quota, else online CPUs).\n"
	    "# TYPE headcount_cpu_limit_cores gauge\n"
	    "headcount_cpu_limit_cores %.3f\n"
	    "# HELP headcount_memory_limit_bytes Memory this node's programs may use (cgroup limit, else MemTotal).\n"
	    "# TYPE headcount_memory_limit_bytes gauge\n", cpus);
	if (mem > 0)
		hc_buf_printf(b, "headcount_memory_limit_bytes %.0f\n", mem);
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
	struct hc_buf	 b = HC_BUF_INIT;

	fleet_read(ctx, &f);
	if (hc_metrics_render(&b) == HC_ERR_NOTFOUND) {
		hc_http_resp_problem(req, 503, NULL, "the metrics segment is not "
		    "available (HEADCOUNT_METRICS_SHM, see the program's log)");
		return;
	}
	fleet_render(&f, &b);
	limits_render(&b);
	if (b.err != HC_OK)
		hc_http_resp_problem(req, 500, NULL, "out of memory");
	else
		hc_http_resp_text(req, 200, METRICS_CTYPE, b.p, b.len);
	hc_buf_free(&b);
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
	if ((ms->reg = hc_registry_new(ctx->redis, s)) == NULL) {
		hc_log(HC_LOG_ERROR, "metrics: out of memory");
		hc_cidr_list_free(&ms->allow);
		free(ms);
		return -1;
	}
	ctx->state = ms;
	return 0;
}

static void
metrics_fini(struct hc_ctx *ctx)
{
	struct metrics_state *ms = ctx->state;

	if (ms != NULL) {
		hc_cidr_list_free(&ms->allow);
		hc_registry_free(ms->reg);
	}
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

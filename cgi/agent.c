/* headcount-agent: the node daemon that heartbeats this node, watches staleness, prunes, keeps the replica status, samples history and sends webhooks. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "hc_cli.h"
#include "agent.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_priv.h"
#include "hc_provider.h"
#include "hc_redis.h"
#include "hc_registry.h"
#include "hc_settings.h"
#include "hc_time.h"

/* After a failed heartbeat, retry this soon (re-register quickly after a Redis restart). */
#define AGENT_RETRY_MS		1000.0
#define AGENT_CHECK_TIMEOUT_MS	2000L
#define AGENT_LOG_IDS		20	/* ids named per pass in the log */


/*
 * One periodic job.  run returns the delay in ms until its next run.
 * history (agent_history.c) and webhooks (agent_webhook.c) are two more.
 */
struct agent_task {
	const char	*name;
	double		 (*run)(struct agent *a);
	double		 next;		/* hc_mono_ms() when due */
};

static double	agent_heartbeat(struct agent *a);
static double	agent_maintain(struct agent *a);

static struct agent_task agent_tasks[] = {
	{ "heartbeat", agent_heartbeat, 0 },
	{ "maintain", agent_maintain, 0 },
	{ "history", agent_history, 0 },
	{ "webhooks", agent_webhooks, 0 },
	{ NULL, NULL, 0 }
};

static double
agent_interval_ms(const struct agent *a)
{
	return (double)a->s.heartbeat_interval * 1000.0;
}

static void
agent_redis_state(struct agent *a, int ok, const char *what)
{
	if (ok && !a->redis_ok)
		hc_log(HC_LOG_INFO, "Redis reachable again");
	else if (!ok && a->redis_ok)
		hc_log(HC_LOG_ERROR, "%s: %s", what, hc_registry_errstr(a->reg));
	if (!ok)
		hc_metrics_count(HC_METRIC_REDIS_ERRORS, 1);
	a->redis_ok = ok;
}

static size_t
agent_discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

/* 1 when the checked URL answers 2xx (or no URL is checked), else 0. */
static int
agent_check(struct agent *a)
{
	CURLcode rc;
	long	 code = 0;
	int	 ok;

	if (a->check_url == NULL)
		return 1;
	if (a->curl == NULL && (a->curl = curl_easy_init()) == NULL) {
		hc_log(HC_LOG_ERROR, "curl_easy_init failed");
		return 0;
	}
	curl_easy_reset(a->curl);
	if (curl_easy_setopt(a->curl, CURLOPT_URL, a->check_url) != CURLE_OK ||
	    curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, a->check_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, a->check_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, agent_discard) != CURLE_OK ||
	    curl_easy_setopt(a->curl, CURLOPT_USERAGENT, "headcount-agent/" PACKAGE_VERSION) != CURLE_OK) {
		hc_log(HC_LOG_ERROR, "curl_easy_setopt failed");
		return 0;
	}
	rc = curl_easy_perform(a->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &code);
	ok = rc == CURLE_OK && code >= 200 && code < 300;
	if (ok != a->check_ok) {
		if (ok)
			hc_log(HC_LOG_INFO, "check %s: healthy, heartbeats resume", a->check_url);
		else if (rc != CURLE_OK)
			hc_log(HC_LOG_WARN, "check %s: %s; heartbeats stop", a->check_url,
			    curl_easy_strerror(rc));
		else
			hc_log(HC_LOG_WARN, "check %s: HTTP %ld; heartbeats stop",
			    a->check_url, code);
	}
	a->check_ok = ok;
	return ok;
}

static double
agent_heartbeat(struct agent *a)
{
	json_object	*meta;
	int		 registered = 0;
	enum hc_err	 rc;

	if (!agent_check(a)) {
		a->registered = 0;
		return agent_interval_ms(a);
	}
	if ((meta = json_object_new_object()) == NULL)
		return AGENT_RETRY_MS;
	json_object_object_add(meta, "agent", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(meta, "mode",
	    json_object_new_string(a->check_url ? "sidecar" : "node"));
	rc = hc_registry_heartbeat(a->reg, a->s.instance_id, a->hostname, meta,
	    &registered, NULL);
	json_object_put(meta);
	agent_redis_state(a, rc == HC_OK, "heartbeat");
	if (rc != HC_OK) {
		a->registered = 0;
		return AGENT_RETRY_MS;
	}
	hc_metrics_count(HC_METRIC_HEARTBEATS, 1);
	if (registered)
		hc_log(HC_LOG_INFO, "registered as %s", a->s.instance_id);
	a->registered = 1;
	return agent_interval_ms(a);
}

/*
 * Staleness, pruning and the replica status: atomic in Redis, so every
 * node's agent may run it and each transition is still announced once.
 */
static double
agent_maintain(struct agent *a)
{
	struct hc_registry_tick	 t;
	struct hc_desired	 d;
	double			 next;
	size_t			 i;
	enum hc_err		 rc;

	/* Often enough that "stale" goes out within a third of the TTL. */
	next = (double)a->s.ttl * 1000.0 / 3.0;
	if (next > agent_interval_ms(a))
		next = agent_interval_ms(a);
	if (next < 500.0)
		next = 500.0;
	rc = hc_registry_maintain(a->reg, &t);
	agent_redis_state(a, rc == HC_OK, "maintain");
	if (rc != HC_OK) {
		hc_registry_tick_free(&t);
		return AGENT_RETRY_MS > next ? next : AGENT_RETRY_MS;
	}
	/* A mass event names a few and counts the rest: the events carry every id. */
	for (i = 0; i < t.nnewly_stale && i < AGENT_LOG_IDS; i++)
		hc_log(HC_LOG_WARN, "instance %s went stale", t.newly_stale[i]);
	if (t.nnewly_stale > AGENT_LOG_IDS)
		hc_log(HC_LOG_WARN, "... and %zu more went stale",
		    t.nnewly_stale - AGENT_LOG_IDS);
	for (i = 0; i < t.npruned && i < AGENT_LOG_IDS; i++)
		hc_log(HC_LOG_INFO, "instance %s pruned", t.pruned[i]);
	if (t.npruned > AGENT_LOG_IDS)
		hc_log(HC_LOG_INFO, "... and %zu more pruned", t.npruned - AGENT_LOG_IDS);
	if (t.entered_preservation)
		hc_log(HC_LOG_WARN, "self-preservation on: %ld of %ld instances "
		    "went stale at once; automatic pruning suspended",
		    t.summary.stale, t.summary.total);
	if (t.left_preservation)
		hc_log(HC_LOG_INFO, "self-preservation off: heartbeats recovered");
	hc_provider_desired(a->prov, a->redis, 0, &d);
	if (hc_registry_status_update(a->reg, d.desired, t.summary.active,
	    NULL) != HC_OK)
		hc_log(HC_LOG_ERROR, "%s", hc_registry_errstr(a->reg));
	hc_registry_tick_free(&t);
	return next;
}

/* --prune: the owner's refresh from a shell.  Returns the exit status. */
static int
agent_prune(struct agent *a)
{
	struct hc_registry_tick t;
	size_t	 i;
	int	 rc = 1;

	if (hc_registry_prune_stale(a->reg, &t) != HC_OK)
		hc_log(HC_LOG_ERROR, "%s", hc_registry_errstr(a->reg));
	else {
		for (i = 0; i < t.npruned; i++)
			printf("%s\n", t.pruned[i]);
		hc_log(HC_LOG_INFO, "pruned %zu stale instance(s)", t.npruned);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	hc_registry_tick_free(&t);
	return rc;
}

static void
agent_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: headcount-agent [--config FILE] [--user USER[:GROUP]] [--check URL]\n"
	    "       [--check-timeout MS] [--once] [--prune] [--print-settings] [--help]\n"
	    "       [--version]\n"
	    "Heartbeats this node as HEADCOUNT_INSTANCE_ID every HEADCOUNT_HEARTBEAT_INTERVAL\n"
	    "seconds, announces stale instances, prunes, keeps the replica status,\n"
	    "samples the history into HEADCOUNT_DATA_DIR/history.db every\n"
	    "HEADCOUNT_HISTORY_INTERVAL seconds and sends the webhooks.\n"
	    "--check URL: a sidecar that heartbeats only while URL answers 2xx.\n"
	    "--once: one heartbeat and one maintenance pass, then exit (no deregistration).\n"
	    "--prune: prune every stale instance now, as an owner's refresh does (also\n"
	    "         during self-preservation), print their ids and exit.\n"
	    "SIGTERM/SIGINT: deregister and exit 0.  SIGHUP: reopen the log file.\n"
	    "Started as root it needs --user: it opens the metrics segment, then runs\n"
	    "as that user.  Settings: %s (or HEADCOUNT_CONFIG, or\n"
	    "--config), then the environment.\n", hc_settings_default_path());
}

static int
agent_setup(struct agent *a, int metrics)
{
	char	 err[256];

	if (gethostname(a->hostname, sizeof(a->hostname)) == -1 || a->hostname[0] == '\0')
		snprintf(a->hostname, sizeof(a->hostname), "%s", a->s.instance_id);
	a->hostname[sizeof(a->hostname) - 1] = '\0';
	if ((a->redis = hc_redis_open(&a->s, err, sizeof(err))) == NULL) {
		hc_log(HC_LOG_ERROR, "REDIS_URL: %s", err);
		return -1;
	}
	if ((a->reg = hc_registry_new(a->redis, &a->s)) == NULL) {
		hc_log(HC_LOG_ERROR, "out of memory");
		return -1;
	}
	if ((a->prov = hc_provider_new(&a->s, err, sizeof(err))) == NULL) {
		hc_log(HC_LOG_ERROR, "provider: %s", err);
		return -1;
	}
	if (agent_webhooks_start(a) == -1) {
		hc_log(HC_LOG_ERROR, "out of memory");
		return -1;
	}
	if (metrics && a->s.metrics_enabled) {
		hc_metrics_config(1, a->s.slow_ms);
		if (hc_metrics_open(a->s.metrics_shm, "agent", err, sizeof(err)) == -1)
			hc_log(HC_LOG_WARN, "metrics off: %s", err);
	}
	return 0;
}

static void
agent_teardown(struct agent *a)
{
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	agent_history_stop(a);
	agent_webhooks_stop(a);
	hc_provider_free(a->prov);
	hc_registry_free(a->reg);
	hc_redis_free(a->redis);
	hc_metrics_close();
}

/* Runs due tasks, then sleeps in sigtimedwait until the next one or a signal. */
static int
agent_loop(struct agent *a, const sigset_t *sigs, int once)
{
	struct agent_task *t;
	struct timespec	 ts;
	double		 now, next;
	int		 sig;

	for (t = agent_tasks; t->name != NULL; t++)
		t->next = hc_mono_ms();
	for (;;) {
		now = hc_mono_ms();
		next = now + 3600e3;
		for (t = agent_tasks; t->name != NULL; t++) {
			if (t->next <= now) {
				t->next = hc_mono_ms() + t->run(a);
			}
			if (t->next < next)
				next = t->next;
		}
		if (once)
			return 0;
		now = hc_mono_ms();
		if (next < now)
			next = now;
		ts.tv_sec = (time_t)((next - now) / 1000.0);
		ts.tv_nsec = (long)((next - now - (double)ts.tv_sec * 1000.0) * 1e6);
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_nsec = 999999999L;
		if (ts.tv_nsec < 0)
			ts.tv_nsec = 0;
		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGHUP) {
			if (hc_log_reopen() == -1)
				hc_log(HC_LOG_ERROR, "reopening the log file failed");
		} else if (sig == SIGTERM || sig == SIGINT) {
			hc_log(HC_LOG_INFO, "%s: deregistering and exiting",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return 0;
		} else if (sig == -1 && errno != EAGAIN && errno != EINTR) {
			hc_log(HC_LOG_ERROR, "sigtimedwait: %s", strerror(errno));
			return 1;
		}
	}
}

enum { OPT_CHECK = 256, OPT_CHECK_TIMEOUT, OPT_ONCE, OPT_PRUNE };

struct agent_args {
	struct agent	*a;
	int		 once, prune;
};

static int
agent_opt(int key, const char *arg, void *ud)
{
	struct agent_args *g = ud;
	char	*end;

	switch (key) {
	case OPT_CHECK:
		if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0) {
			fprintf(stderr, "headcount-agent: --check: not an http(s) URL: \"%s\"\n",
			    arg);
			return -1;
		}
		g->a->check_url = arg;
		return 0;
	case OPT_CHECK_TIMEOUT:
		errno = 0;
		g->a->check_timeout_ms = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno != 0 ||
		    g->a->check_timeout_ms < 10 || g->a->check_timeout_ms > 60000) {
			fprintf(stderr, "headcount-agent: --check-timeout: not a number "
			    "in [10, 60000]: \"%s\"\n", arg);
			return -1;
		}
		return 0;
	case OPT_ONCE:
		g->once = 1;
		return 0;
	case OPT_PRUNE:
		g->prune = 1;
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct hc_cli_opt opts[] = {
		{ "check", 1, OPT_CHECK },
		{ "check-timeout", 1, OPT_CHECK_TIMEOUT },
		{ "once", 0, OPT_ONCE },
		{ "prune", 0, OPT_PRUNE },
		{ NULL, 0, 0 }
	};
	struct agent	 a;
	struct agent_args g;
	struct hc_cli	 cli;
	struct hc_priv	 priv;
	char		 err[512];
	sigset_t	 sigs;
	int		 rc = 1;
	enum hc_err	 drc;

	memset(&a, 0, sizeof(a));
	memset(&g, 0, sizeof(g));
	a.check_timeout_ms = AGENT_CHECK_TIMEOUT_MS;
	a.redis_ok = 1;
	a.check_ok = 1;
	g.a = &a;
	memset(&cli, 0, sizeof(cli));
	cli.prog = "headcount-agent";
	cli.flags = HC_CLI_USER | HC_CLI_PRINT;
	cli.usage = agent_usage;
	cli.opts = opts;
	cli.fn = agent_opt;
	cli.ud = &g;
	if ((rc = hc_cli_parse(&cli, argc, argv)) != HC_CLI_GO ||
	    (rc = hc_cli_settings(&cli, &a.s)) != HC_CLI_GO)
		return rc;
	rc = 1;
	if (hc_priv_resolve(&priv, cli.user, err, sizeof(err)) == -1) {
		fprintf(stderr, "headcount-agent: %s\n", err);
		hc_settings_free(&a.s);
		return 1;
	}
	if (hc_log_init("agent", a.s.log_file, a.s.log_level) == -1)
		fprintf(stderr, "headcount-agent: HEADCOUNT_LOG_FILE %s: %s; logging to stderr\n",
		    a.s.log_file, strerror(errno));
	/* Signals are taken synchronously in the loop: nothing runs in a handler. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) == -1) {
		hc_log(HC_LOG_ERROR, "sigprocmask: %s", strerror(errno));
		hc_settings_free(&a.s);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		hc_log(HC_LOG_ERROR, "curl_global_init failed");
		hc_settings_free(&a.s);
		return 1;
	}
	if (agent_setup(&a, !g.prune) == -1)
		goto out;
	/* the metrics segment is open: give up root and the rest */
	if (hc_priv_drop(&priv, err, sizeof(err)) == -1 ||
	    hc_priv_seccomp(err, sizeof(err)) == -1) {
		hc_log(HC_LOG_ERROR, "%s", err);
		goto out;
	}
	if (g.prune) {
		rc = agent_prune(&a);
		goto out;
	}
	hc_log(HC_LOG_INFO, "agent %s: instance %s, every %ld s%s%s%s%s", PACKAGE_VERSION,
	    a.s.instance_id, a.s.heartbeat_interval, a.check_url ? ", checking " : "",
	    a.check_url ? a.check_url : "", priv.drop ? ", as " : "", priv.drop ? priv.user : "");
	agent_history_start(&a);
	rc = agent_loop(&a, &sigs, g.once);
	if (!g.once) {
		drc = hc_registry_remove(a.reg, a.s.instance_id);
		if (drc == HC_OK)
			hc_log(HC_LOG_INFO, "deregistered %s", a.s.instance_id);
		else if (drc != HC_ERR_NOTFOUND)
			hc_log(HC_LOG_ERROR, "deregistering %s: %s", a.s.instance_id,
			    hc_registry_errstr(a.reg));
	}
out:
	agent_teardown(&a);
	curl_global_cleanup();
	hc_settings_free(&a.s);
	return rc;
}

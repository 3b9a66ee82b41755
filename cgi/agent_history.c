/* agent_history: the agent's history sampler (Redis state -> shared stream -> this node's SQLite file). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "agent.h"
#include "hc_history.h"
#include "hc_log.h"
#include "hc_provider.h"
#include "hc_redis.h"
#include "hc_registry.h"
#include "hc_replicas.h"
#include "hc_sampler.h"
#include "hc_time.h"

#define AGENT_SYNC_BATCH	1000	/* stream entries per transaction */
#define AGENT_PRUNE_EVERY_MS	3600e3
#define AGENT_SLACK_MS		100.0	/* sample a little after the boundary */

/* Tells /health (on this node) that the history file is failing, or no longer. */
static void
agent_history_mark(struct agent *a, const char *why)
{
	char		 key[512], ttl[24];
	redisReply	*rep;

	snprintf(key, sizeof(key), "%shistory:failing:%s", a->s.key_prefix, a->s.instance_id);
	if (why != NULL) {
		/* Outlives a few intervals, so a dead agent's mark goes away by itself. */
		snprintf(ttl, sizeof(ttl), "%ld", 3 * a->s.history_interval + 30);
		rep = hc_redis_cmd(a->redis, "SET %s %s EX %s", key, why, ttl);
	} else
		rep = hc_redis_cmd(a->redis, "DEL %s", key);
	if (rep != NULL)
		freeReplyObject(rep);
}

/* Opens the file; a corrupt one is moved aside (only at start: check set). */
static int
agent_history_open(struct agent *a, int check)
{
	char		 err[512], moved[4200], why[512];
	enum hc_err	 e;

	if (a->hist != NULL)
		return 0;
	a->hist = hc_history_open(a->s.data_dir, check ? HC_HISTORY_CHECK : 0, &e,
	    err, sizeof(err));
	if (a->hist == NULL && e == HC_ERR_PARSE && check) {
		if (hc_history_quarantine(a->s.data_dir, moved, sizeof(moved), why,
		    sizeof(why)) == -1) {
			hc_log(HC_LOG_ERROR, "history: %s is corrupt (%s) and cannot be moved "
			    "aside: %s", HC_HISTORY_FILE, err, why);
			return -1;
		}
		hc_log(HC_LOG_WARN, "history: %s/%s is corrupt (%s); moved aside to %s, "
		    "starting a new one (filled from the recent samples in Redis)",
		    a->s.data_dir, HC_HISTORY_FILE, err, moved);
		a->hist = hc_history_open(a->s.data_dir, 0, &e, err, sizeof(err));
	}
	if (a->hist == NULL) {
		if (a->hist_failures++ == 0)
			hc_log(HC_LOG_ERROR, "history: %s; sampling goes on into Redis, "
			    "logging again when the file is writable", err);
		agent_history_mark(a, err);
		return -1;
	}
	return 0;
}

void
agent_history_start(struct agent *a)
{
	(void)agent_history_open(a, 1);
}

void
agent_history_stop(struct agent *a)
{
	hc_history_close(a->hist);
	a->hist = NULL;
}

/* A write failed: log once per burst, drop the handle so the next interval reopens it. */
static void
agent_history_failed(struct agent *a)
{
	const char	*why = a->hist != NULL ? hc_history_errstr(a->hist) : "not open";

	if (a->hist_failures++ == 0)
		hc_log(HC_LOG_ERROR, "history: %s; sampling goes on into Redis, logging "
		    "again when writes resume", why);
	agent_history_mark(a, why);
	agent_history_stop(a);
}

/* Copies every stream entry newer than the file's newest sample.  0 or -1. */
static int
agent_history_sync(struct agent *a, long *copied)
{
	struct hc_sample *v = NULL;
	size_t		 n, i;
	long long	 last;
	char		 err[256];
	enum hc_err	 e;

	*copied = 0;
	if (agent_history_open(a, 0) == -1)
		return -1;
	if (hc_history_last(a->hist, &last) != HC_OK) {
		agent_history_failed(a);
		return -1;
	}
	for (;;) {
		e = hc_sampler_fetch(a->redis, a->s.key_prefix, last, AGENT_SYNC_BATCH, &v,
		    &n, err, sizeof(err));
		if (e == HC_ERR_PARSE)
			hc_log(HC_LOG_WARN, "history: %s", err);
		else if (e != HC_OK) {
			if (!a->hist_redis_failing)
				hc_log(HC_LOG_ERROR, "history: reading the shared samples: %s", err);
			a->hist_redis_failing = 1;
			free(v);
			return 0;
		}
		if (n == 0) {
			free(v);
			return 0;
		}
		if (hc_history_begin(a->hist) != HC_OK)
			goto fail;
		for (i = 0; i < n; i++)
			if (hc_history_insert(a->hist, &v[i], NULL) != HC_OK)
				goto fail;
		if (hc_history_commit(a->hist) != HC_OK)
			goto fail;
		*copied += (long)n;
		last = v[n - 1].t;
		free(v);
		v = NULL;
		if (n < AGENT_SYNC_BATCH)
			return 0;
	}
fail:
	free(v);
	if (a->hist != NULL)
		hc_history_rollback(a->hist);
	agent_history_failed(a);
	return -1;
}

/* Takes the cluster-wide state now; 0, or -1 when Redis is unreachable. */
static int
agent_history_take(struct agent *a, struct hc_sample *s)
{
	struct hc_registry_summary sum;
	struct hc_replica_status rs;
	struct hc_desired	 d;
	long long		 now;

	memset(s, 0, sizeof(*s));
	if (hc_registry_summary(a->reg, &sum) != HC_OK)
		return -1;
	hc_provider_desired(a->prov, a->redis, 0, &d);
	if (hc_replicas_status_update(a->reg, d.desired, sum.active, &rs) != HC_OK)
		return -1;
	now = sum.now_ms / 1000;
	s->t = now - now % a->s.history_interval;
	s->desired = d.desired;
	snprintf(s->source, sizeof(s->source), "%s", hc_provider_source_name(d.source));
	s->active = sum.active;
	s->stale = sum.stale;
	snprintf(s->status, sizeof(s->status), "%s", hc_replicas_name(rs.status));
	s->self_preservation = sum.self_preservation;
	s->mismatch_since = rs.mismatch_since_ms > 0 ? rs.mismatch_since_ms / 1000 : 0;
	return 0;
}

static double
agent_history_next(const struct agent *a)
{
	double	 now = hc_time_wall(), iv = (double)a->s.history_interval;
	double	 next = (double)((long long)(now / iv) + 1) * iv;

	return (next - now) * 1000.0 + AGENT_SLACK_MS;
}

double
agent_history(struct agent *a)
{
	struct hc_sample s;
	double		 t0 = hc_time_mono_ms();
	char		 err[256];
	long		 copied = 0, dropped;
	int		 added = 0;

	if (agent_history_take(a, &s) == -1 ||
	    hc_sampler_publish(a->redis, a->s.key_prefix, &s, a->s.history_stream_len,
	    &added, err, sizeof(err)) != HC_OK) {
		if (!a->hist_redis_failing)
			hc_log(HC_LOG_ERROR, "history: no sample: Redis: %s; sampling resumes "
			    "with Redis", hc_registry_errstr(a->reg));
		a->hist_redis_failing = 1;
		return agent_history_next(a);
	}
	if (a->hist_redis_failing)
		hc_log(HC_LOG_INFO, "history: Redis reachable again, sampling resumes");
	a->hist_redis_failing = 0;
	if (agent_history_sync(a, &copied) == 0 && a->hist != NULL) {
		if (a->hist_failures > 0) {
			hc_log(HC_LOG_INFO, "history: writes resume after %ld failed "
			    "interval(s); %ld sample(s) copied from Redis", a->hist_failures, copied);
			agent_history_mark(a, NULL);
		}
		a->hist_failures = 0;
		if (a->hist_pruned_at == 0.0 || hc_time_mono_ms() - a->hist_pruned_at >= AGENT_PRUNE_EVERY_MS) {
			a->hist_pruned_at = hc_time_mono_ms();
			if (hc_history_prune(a->hist, (long long)time(NULL) -
			    a->s.history_retention_days * 86400LL, &dropped) != HC_OK)
				agent_history_failed(a);
			else {
				if (dropped > 0)
					hc_log(HC_LOG_INFO, "history: dropped %ld sample(s) older "
					    "than %ld days", dropped, a->s.history_retention_days);
				/* Hourly: the WAL back into the file (a busy reader: next hour). */
				(void)hc_history_checkpoint(a->hist);
			}
		}
	}
	/*
	 * Between samples nothing of the data directory is open: it can be
	 * remounted, backed up or replaced (a restart then checks it).
	 */
	agent_history_stop(a);
	hc_log(HC_LOG_DEBUG, "history: interval %lld %s, %ld copied, %.3f ms", s.t,
	    added == 1 ? "sampled" : added == 0 ? "sampled by another node" : "skipped (late)",
	    copied, hc_time_mono_ms() - t0);
	return agent_history_next(a);
}

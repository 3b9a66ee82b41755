/* agent_webhook: the agent's webhook task: finds events in the shared state, fires each once, delivers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent.h"
#include "hc_log.h"
#include "hc_provider.h"
#include "hc_registry.h"
#include "hc_replicas.h"
#include "hc_time.h"
#include "hc_webhook.h"

#define AGENT_WEBHOOK_TICK_MS	1000.0
#define AGENT_WEBHOOK_BATCH	20

int
agent_webhooks_start(struct agent *a)
{
	if ((a->wh = hc_webhook_new(&a->s, a->redis)) == NULL)
		return -1;
	if (hc_webhook_nurls(a->wh) > 0)
		hc_log(HC_LOG_INFO, "webhooks: %zu URL(s), mismatch after %ld s, retries for %ld s%s",
		    hc_webhook_nurls(a->wh), a->s.webhook_after, a->s.webhook_retry_seconds,
		    a->s.webhook_secret[0] ? ", signed" : "");
	return 0;
}

void
agent_webhooks_stop(struct agent *a)
{
	hc_webhook_free(a->wh);
	a->wh = NULL;
}

/* "45s", "12m", "3h05m", "2d4h". */
static const char *
agent_dur(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, len, "%lldd%lldh", s / 86400, (s % 86400) / 3600);
	return buf;
}

/* What the events speak about: the provider's component, else "cluster". */
static const char *
agent_component(const struct agent *a, const struct hc_desired *d)
{
	if (d->component[0] != '\0')
		return d->component;
	if (a->s.do_component_name != NULL)
		return a->s.do_component_name;
	return "cluster";
}

/* The one line for people (Slack's and Mattermost's "text"). */
static void
agent_text(const struct agent *a, const char *event, long long since_ms, long long now_ms,
    const struct hc_desired *d, const struct hc_replicas_view *v, json_object *recs,
    char *buf, size_t len)
{
	const char	*comp = agent_component(a, d), *rec = "";
	char		 dur[32];

	if (json_object_array_length(recs) > 0)
		rec = json_object_get_string(json_object_array_get_idx(recs, 0));
	agent_dur((now_ms - since_ms) / 1000, dur, sizeof(dur));
	if (strcmp(event, "mismatch_started") == 0)
		snprintf(buf, len, "headcount: %s %s for %s (%ld of %ld running) - %s", comp,
		    v->status == HC_REPLICAS_OVER ? "over-replicated" : "under-replicated",
		    dur, v->active, d->desired, rec);
	else if (strcmp(event, "mismatch_resolved") == 0 && d->desired >= 0)
		snprintf(buf, len, "headcount: %s back to %ld of %ld running after %s "
		    "(mismatch resolved)", comp, v->active, d->desired, dur);
	else if (strcmp(event, "mismatch_resolved") == 0)
		snprintf(buf, len, "headcount: %s mismatch ended after %s (desired count "
		    "unknown now)", comp, dur);
	else if (strcmp(event, "self_preservation_started") == 0)
		snprintf(buf, len, "headcount: %s self-preservation on: %ld of %ld instances "
		    "went stale at once; automatic pruning suspended - %s", comp, v->stale,
		    v->stale + v->active, rec);
	else if (strcmp(event, "self_preservation_ended") == 0)
		snprintf(buf, len, "headcount: %s self-preservation off after %s: heartbeats "
		    "recovered, automatic pruning resumes", comp, dur);
	else if (strcmp(event, "provider_failing") == 0)
		snprintf(buf, len, "headcount: %s desired-count provider %s failing (%s); "
		    "using %s", comp, hc_source_label(d->configured), d->error,
		    d->source == HC_SOURCE_ENV ? "DESIRED_REPLICAS" : "no desired count");
	else
		snprintf(buf, len, "headcount: %s desired-count provider %s answering again "
		    "after %s", comp, hc_source_label(d->configured), dur);
}

/* The stale ids of l, for the view (malloc'd array of pointers into l). */
static const char **
agent_stale_ids(const struct hc_registry_list *l, char ***owned, size_t *n)
{
	size_t	 i;

	*n = 0;
	*owned = NULL;
	if (l->stale == 0 || (*owned = calloc(l->stale, sizeof(char *))) == NULL)
		return NULL;
	for (i = 0; i < l->n && *n < l->stale; i++)
		if (l->v[i].stale && ((*owned)[*n] = strndup(l->v[i].id, l->v[i].id_len)) != NULL)
			(*n)++;
	return (const char **)*owned;
}

/* Builds the event's JSON and queues it for every URL. */
static void
agent_fire(struct agent *a, const char *event, long long since_ms, const struct hc_desired *d)
{
	struct hc_registry_list	 l;
	struct hc_replica_status rs;
	struct hc_replicas_view	 v;
	json_object		*o = NULL, *summary = NULL, *recs = NULL;
	char			 text[1024], at[HC_TIME_BUFSZ], **ids = NULL;
	size_t			 nids = 0, i;

	memset(&l, 0, sizeof(l));
	if (hc_registry_list(a->reg, &l) != HC_OK ||
	    hc_registry_status_get(a->reg, &rs) != HC_OK) {
		hc_log(HC_LOG_ERROR, "webhook %s: reading the state: %s; not sent", event,
		    hc_registry_errstr(a->reg));
		goto out;
	}
	memset(&v, 0, sizeof(v));
	v.desired = d;
	v.status = hc_replicas_of(d->desired, (long)l.active);
	v.active = (long)l.active;
	v.stale = (long)l.stale;
	v.stale_ids = (const char *const *)agent_stale_ids(&l, &ids, &nids);
	v.nstale_ids = nids;
	v.self_preservation = l.self_preservation;
	v.mismatch_since_ms = rs.mismatch_since_ms;
	v.now_ms = l.now_ms;
	v.ttl = a->s.ttl;
	v.prune_after = a->s.prune_after;
	v.stuck_after = a->s.deploy_stuck_seconds;
	v.do_app_id = a->s.do_app_id;
	if ((summary = hc_replicas_summary_json(&v)) == NULL ||
	    (recs = hc_replicas_recommend(&v)) == NULL || (o = json_object_new_object()) == NULL)
		goto nomem;
	agent_text(a, event, since_ms, l.now_ms, d, &v, recs, text, sizeof(text));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "at", json_object_new_string(hc_time_fmt(
	    (time_t)(l.now_ms / 1000), at)));
	json_object_object_add(o, "summary", summary);
	summary = NULL;
	json_object_object_add(o, "recommendations", recs);
	recs = NULL;
	json_object_object_add(o, "text", json_object_new_string(text));
	hc_log(HC_LOG_INFO, "webhook %s: %s", event, text);
	if (hc_webhook_enqueue(a->wh, event, since_ms,
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    (long long)(hc_wall() * 1000.0)) != HC_OK)
		hc_log(HC_LOG_ERROR, "webhook %s: queueing: %s; not sent", event,
		    hc_webhook_errstr(a->wh));
	goto out;
nomem:
	hc_log(HC_LOG_ERROR, "webhook %s: out of memory; not sent", event);
out:
	json_object_put(o);
	json_object_put(summary);
	json_object_put(recs);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	hc_registry_list_free(&l);
}

static int
agent_edge(struct agent *a, enum hc_webhook_kind k, enum hc_webhook_state st,
    long long since_ms, long long now_ms, const struct hc_desired *d)
{
	struct hc_webhook_fired	 f[2];
	size_t			 n, i;

	if (hc_webhook_edge(a->wh, k, st, since_ms, now_ms, f, &n) != HC_OK)
		return -1;
	for (i = 0; i < n; i++)
		agent_fire(a, f[i].event, f[i].since_ms, d);
	return 0;
}

double
agent_webhooks(struct agent *a)
{
	struct hc_registry_summary sum;
	struct hc_replica_status rs;
	struct hc_desired	 d;
	enum hc_webhook_state	 mst;
	size_t			 sent;
	int			 ok;

	if (hc_webhook_nurls(a->wh) == 0)
		return 3600e3;
	ok = hc_registry_summary(a->reg, &sum) == HC_OK &&
	    hc_registry_status_get(a->reg, &rs) == HC_OK;
	if (ok) {
		hc_provider_desired(a->prov, a->redis, 0, &d);
		mst = HC_WEBHOOK_OFF;
		if (rs.status == HC_REPLICAS_UNDER || rs.status == HC_REPLICAS_OVER)
			mst = sum.now_ms - rs.mismatch_since_ms >= a->s.webhook_after * 1000LL ?
			    HC_WEBHOOK_ON : HC_WEBHOOK_HOLD;
		ok = agent_edge(a, HC_WEBHOOK_MISMATCH, mst, rs.mismatch_since_ms,
		    sum.now_ms, &d) == 0 &&
		    agent_edge(a, HC_WEBHOOK_SELF_PRESERVATION, sum.self_preservation ?
		    HC_WEBHOOK_ON : HC_WEBHOOK_OFF, sum.self_preservation_since_ms,
		    sum.now_ms, &d) == 0 &&
		    agent_edge(a, HC_WEBHOOK_PROVIDER, d.failed ? HC_WEBHOOK_ON :
		    HC_WEBHOOK_OFF, 0, sum.now_ms, &d) == 0;
	}
	if (ok)
		ok = hc_webhook_deliver(a->wh, (long long)(hc_wall() * 1000.0),
		    AGENT_WEBHOOK_BATCH, &sent) == HC_OK;
	if (!ok && !a->wh_failing)
		hc_log(HC_LOG_ERROR, "webhooks: Redis: %s; pending deliveries wait in Redis",
		    hc_webhook_errstr(a->wh)[0] ? hc_webhook_errstr(a->wh) :
		    hc_registry_errstr(a->reg));
	else if (ok && a->wh_failing)
		hc_log(HC_LOG_INFO, "webhooks: Redis reachable again");
	a->wh_failing = !ok;
	return AGENT_WEBHOOK_TICK_MS;
}

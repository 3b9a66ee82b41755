/* hc_replicas: the stored replica status, the replicas summary and the sentences that tell an operator what to do. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_replicas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_redis.h"
#include "hc_script.h"
#include "hc_time.h"

/* Stale ids named in one sentence; the rest are counted. */
#define HC_REPLICAS_NAMED	10

static void
hc_say(json_object *arr, int *fail, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends one sentence to arr; sets *fail without memory. */
static void
hc_say(json_object *arr, int *fail, const char *fmt, ...)
{
	char		 buf[1536];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (hc_json_append(arr, json_object_new_string(buf)) != 0)
		*fail = 1;
}

static const char *
hc_ms_fmt(long long ms, char buf[HC_TIME_BUFSZ])
{
	return hc_time_fmt((time_t)(ms / 1000), buf);
}

/* "a, b and 3 more" from the named stale ids. */
static const char *
hc_names(const struct hc_replicas_view *v, char *buf, size_t len)
{
	size_t	 i, n, off = 0;
	int	 w;

	buf[0] = '\0';
	n = v->nstale_ids < HC_REPLICAS_NAMED ? v->nstale_ids : HC_REPLICAS_NAMED;
	for (i = 0; i < n && off < len; i++) {
		w = snprintf(buf + off, len - off, "%s%.128s",
		    i == 0 ? "" : (i + 1 == n && (long)n == v->stale) ? " and " : ", ",
		    v->stale_ids[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off < len && v->stale > (long)n)
		snprintf(buf + off, len - off, "%s%ld more", n ? " and " : "",
		    v->stale - (long)n);
	return buf;
}

/* What to check when a provider failed, by the kind of failure. */
static const char *
hc_provider_hint(const struct hc_desired *d)
{
	if (d->configured == HC_SOURCE_DO) {
		switch (d->err) {
		case HC_ERR_AUTH:
			return "check that DO_API_TOKEN is valid and can read the app DO_APP_ID";
		case HC_ERR_PARSE:
			return "check DO_APP_ID and DO_COMPONENT_NAME against the app spec";
		case HC_ERR_TIMEOUT:
			return "check DigitalOcean's status page and the network path to DO_API_URL, or raise HEADCOUNT_PROVIDER_TIMEOUT_MS";
		default:
			return "check DO_APP_ID, DO_API_URL and DigitalOcean's status page";
		}
	}
	switch (d->err) {
	case HC_ERR_AUTH:
		return "check the service-account token (HEADCOUNT_K8S_TOKEN_FILE) and that its role may get deployments in that namespace";
	case HC_ERR_PARSE:
		return "check HEADCOUNT_K8S_DEPLOYMENT";
	case HC_ERR_TIMEOUT:
		return "check the API server at HEADCOUNT_K8S_API_URL, or raise HEADCOUNT_PROVIDER_TIMEOUT_MS";
	default:
		return "check HEADCOUNT_K8S_DEPLOYMENT, HEADCOUNT_K8S_API_URL and HEADCOUNT_K8S_CA_FILE";
	}
}

static void
hc_rec_provider(const struct hc_replicas_view *v, json_object *arr, int *fail)
{
	const struct hc_desired *d = v->desired;
	const char	*who = hc_provider_source_label(d->configured);

	if (d->configured == HC_SOURCE_NONE) {
		hc_say(arr, fail, "No desired replica count is configured - set "
		    "DESIRED_REPLICAS, or DO_API_TOKEN and DO_APP_ID, or "
		    "HEADCOUNT_K8S_DEPLOYMENT, so that headcount can compare "
		    "the running instances with it");
		return;
	}
	if (!d->failed)
		return;
	if (d->source == HC_SOURCE_ENV)
		hc_say(arr, fail, "The %s provider failed (%s); using DESIRED_REPLICAS=%ld "
		    "as the desired count until it answers again - %s",
		    who, d->error, d->desired, hc_provider_hint(d));
	else
		hc_say(arr, fail, "The %s provider failed (%s) and DESIRED_REPLICAS is "
		    "not set as a fallback, so no desired count is known - %s, "
		    "or set DESIRED_REPLICAS", who, d->error, hc_provider_hint(d));
}

static void
hc_rec_stale(const struct hc_replicas_view *v, json_object *arr, int *fail)
{
	char	 names[1024];

	if (v->self_preservation) {
		hc_say(arr, fail, "Self-preservation is active: %ld of %ld registered "
		    "instances stopped heartbeating within one TTL, so automatic "
		    "pruning is suspended until heartbeats recover - check the "
		    "network and Redis between the nodes first; if %s really gone, "
		    "an owner prunes them with POST /api/v1/monitoring/replicas/refresh",
		    v->stale, v->active + v->stale,
		    v->stale == 1 ? "that instance is" : "those instances are");
		if (v->stale > 0)
			hc_say(arr, fail, "Stale instances kept by self-preservation: %s",
			    hc_names(v, names, sizeof(names)));
		return;
	}
	if (v->stale <= 0)
		return;
	hc_say(arr, fail, "Prune %ld stale instance%s that stopped heartbeating more "
	    "than %ld s ago: %s - %s removed automatically after "
	    "HEADCOUNT_PRUNE_AFTER=%ld s, or at once by an owner with "
	    "POST /api/v1/monitoring/replicas/refresh", v->stale,
	    v->stale == 1 ? "" : "s", v->ttl, hc_names(v, names, sizeof(names)),
	    v->stale == 1 ? "it is" : "they are", v->prune_after);
}

/* Returns 1 when a rollout in progress explains a mismatch. */
static int
hc_rec_rollout(const struct hc_replicas_view *v, json_object *arr, int *fail)
{
	const struct hc_desired *d = v->desired;
	char		 t1[HC_TIME_BUFSZ], t2[HC_TIME_BUFSZ], dur[32];
	long long	 age;
	const char	*app = v->do_app_id != NULL ? v->do_app_id : "<app-id>";
	const char	*dep = d->component;
	const char	*slash = strchr(dep, '/');
	int		 nslen = slash != NULL ? (int)(slash - dep) : 0;
	const char	*name = slash != NULL ? slash + 1 : dep;

	if (d->failed || d->source != d->configured)
		return 0;
	age = d->rollout_since > 0 ? v->now_ms / 1000 - (long long)d->rollout_since : -1;
	switch (d->rollout) {
	case HC_ROLLOUT_FAILED:
		if (d->configured == HC_SOURCE_DO)
			hc_say(arr, fail, "The latest DigitalOcean deployment %s ended "
			    "in %s%s%s: the app keeps running the previous deployment - "
			    "read its logs (doctl apps logs %s --deployment %s), fix "
			    "the cause and redeploy",
			    d->rollout_id, d->rollout_phase,
			    d->rollout_updated ? " at " : "",
			    d->rollout_updated ? hc_time_fmt(d->rollout_updated, t1) : "",
			    app, d->rollout_id);
		else
			hc_say(arr, fail, "The Kubernetes rollout of %s (%s) failed: "
			    "%s - inspect it with kubectl -n %.*s rollout status "
			    "deployment/%s and kubectl -n %.*s describe deployment/%s, "
			    "then fix the cause or kubectl -n %.*s rollout undo "
			    "deployment/%s", dep, d->rollout_id, d->rollout_phase,
			    nslen, dep, name, nslen, dep, name, nslen, dep, name);
		return 0;
	case HC_ROLLOUT_PROGRESS:
		if (age >= 0 && v->stuck_after > 0 && age > v->stuck_after) {
			if (d->configured == HC_SOURCE_DO)
				hc_say(arr, fail, "DigitalOcean deployment %s has been %s "
				    "for %s (since %s), longer than %s - it looks stuck: "
				    "check it with doctl apps get-deployment %s %s and in "
				    "the dashboard's activity tab, and cancel and redeploy "
				    "if it does not move", d->rollout_id, d->rollout_phase,
				    hc_time_dur(age, HC_DUR_WORDS, dur, sizeof(dur)),
				    hc_time_fmt(d->rollout_since, t1),
				    hc_time_dur(v->stuck_after, HC_DUR_WORDS, t2, sizeof(t2)), app,
				    d->rollout_id);
			else
				hc_say(arr, fail, "The Kubernetes rollout of %s (%s) has "
				    "been in progress for %s, longer than %s - it looks "
				    "stuck: check kubectl -n %.*s rollout status "
				    "deployment/%s and the new pods' events", dep,
				    d->rollout_id, hc_time_dur(age, HC_DUR_WORDS, dur, sizeof(dur)),
				    hc_time_dur(v->stuck_after, HC_DUR_WORDS, t1, sizeof(t1)), nslen, dep,
				    name);
			return 0;
		}
		hc_say(arr, fail, "%s %s is in progress (%s%s%s): a difference "
		    "between desired and active instances is expected until it "
		    "finishes - no action needed",
		    d->configured == HC_SOURCE_DO ? "DigitalOcean deployment" :
		    "Kubernetes rollout of", d->configured == HC_SOURCE_DO ?
		    d->rollout_id : dep, d->rollout_phase,
		    d->rollout_since ? " since " : "",
		    d->rollout_since ? hc_time_fmt(d->rollout_since, t1) : "");
		return 1;
	default:
		return 0;
	}
}

static void
hc_rec_mismatch(const struct hc_replicas_view *v, json_object *arr, int *fail)
{
	const struct hc_desired *d = v->desired;
	char		 t[HC_TIME_BUFSZ], dur[32];
	const char	*since = "", *who = hc_provider_source_label(d->source);
	char		 sbuf[128];
	long		 up;

	if (v->mismatch_since_ms > 0) {
		snprintf(sbuf, sizeof(sbuf), " since %s (%s)",
		    hc_ms_fmt(v->mismatch_since_ms, t),
		    hc_time_dur((v->now_ms - v->mismatch_since_ms) / 1000,
		    HC_DUR_WORDS, dur, sizeof(dur)));
		since = sbuf;
	}
	if (v->status == HC_REPLICAS_UNDER)
		hc_say(arr, fail, "Under-replicated%s: %ld of %ld desired instances "
		    "are active - if the platform shows %ld running, the missing "
		    "ones are not heartbeating (agent stopped or Redis unreachable "
		    "from them); otherwise scale it up to %ld", since, v->active,
		    d->desired, d->desired, d->desired);
	else
		hc_say(arr, fail, "Over-replicated%s: %ld instances are active but "
		    "%ld are desired (%s) - instances of an old deployment may "
		    "still be heartbeating, or %s is out of date; scale down to "
		    "%ld or correct the desired count", since, v->active,
		    d->desired, who, d->source == HC_SOURCE_ENV ?
		    "DESIRED_REPLICAS" : "the provider's count", d->desired);
	/*
	 * The provider's own view disagreeing with the heartbeats is the
	 * case for the scale reset: make the platform reconcile its replicas.
	 */
	if (d->source != d->configured || d->ready < 0 || d->ready == v->active)
		return;
	up = d->desired + 1;
	if (d->configured == HC_SOURCE_DO)
		hc_say(arr, fail, "DigitalOcean reports %ld of %ld replicas of %s "
		    "ready but %ld instances heartbeat: if its dashboard keeps "
		    "disagreeing, reset the scale - set %s's instance count to %ld "
		    "(dashboard or doctl apps update %s --spec), wait until %ld "
		    "instances are active here, set it back to %ld, then prune the "
		    "leftovers with POST /api/v1/monitoring/replicas/refresh",
		    d->ready, d->desired, d->component, v->active, d->component,
		    up, v->do_app_id != NULL ? v->do_app_id : "<app-id>", up,
		    d->desired);
	else if (d->configured == HC_SOURCE_K8S) {
		const char *slash = strchr(d->component, '/');
		int nslen = slash != NULL ? (int)(slash - d->component) : 0;
		const char *name = slash != NULL ? slash + 1 : d->component;

		hc_say(arr, fail, "Kubernetes reports %ld of %ld replicas of %s "
		    "ready but %ld instances heartbeat: if it keeps disagreeing, "
		    "reset the scale - kubectl -n %.*s scale deployment/%s "
		    "--replicas=%ld, wait until %ld instances are active here, "
		    "scale back to --replicas=%ld, then prune the leftovers with "
		    "POST /api/v1/monitoring/replicas/refresh", d->ready,
		    d->desired, d->component, v->active, nslen, d->component,
		    name, up, up, d->desired);
	}
}

json_object *
hc_replicas_recommend(const struct hc_replicas_view *v)
{
	json_object	*arr;
	int		 fail = 0, expected;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	hc_rec_provider(v, arr, &fail);
	expected = hc_rec_rollout(v, arr, &fail);
	hc_rec_stale(v, arr, &fail);
	if (!expected && (v->status == HC_REPLICAS_UNDER ||
	    v->status == HC_REPLICAS_OVER))
		hc_rec_mismatch(v, arr, &fail);
	if (!fail && json_object_array_length(arr) == 0)
		hc_say(arr, &fail, "%s", HC_REPLICAS_ALL_GOOD);
	if (fail) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

json_object *
hc_replicas_summary_json(const struct hc_replicas_view *v)
{
	json_object	*o;
	char		 t[HC_TIME_BUFSZ];
	const struct hc_desired *d = v->desired;
	int		 bad = 0;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	/* A null is added as such; a constructor's NULL is a failure (hc_json_add). */
	bad |= d->desired >= 0 ? hc_json_add(o, "configured_replicas",
	    json_object_new_int64(d->desired)) != HC_OK :
	    json_object_object_add(o, "configured_replicas", NULL) != 0;
	bad |= hc_json_add(o, "configured_source",
	    json_object_new_string(hc_provider_source_name(d->source)));
	bad |= hc_json_add(o, "active_instances", json_object_new_int64(v->active));
	bad |= hc_json_add(o, "stale_instances", json_object_new_int64(v->stale));
	bad |= hc_json_add(o, "status",
	    json_object_new_string(hc_replicas_name(v->status)));
	bad |= v->mismatch_since_ms > 0 ? hc_json_add(o, "mismatch_since",
	    json_object_new_string(hc_ms_fmt(v->mismatch_since_ms, t))) != HC_OK :
	    json_object_object_add(o, "mismatch_since", NULL) != 0;
	bad |= hc_json_add(o, "self_preservation",
	    json_object_new_boolean(v->self_preservation));
	bad |= hc_json_add(o, "checked_at",
	    json_object_new_string(hc_ms_fmt(v->now_ms, t)));
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---------------------------------------------------------------- status */

static const char *const hc_replicas_names[HC_REPLICAS_MAX] = {
	"unknown", "healthy", "under_replicated", "over_replicated"
};

const char *
hc_replicas_name(enum hc_replicas st)
{
	if ((unsigned)st >= HC_REPLICAS_MAX)
		return "?";
	return hc_replicas_names[st];
}

enum hc_replicas
hc_replicas_of(long desired, long active)
{
	if (desired < 0)
		return HC_REPLICAS_UNKNOWN;
	if (active == desired)
		return HC_REPLICAS_HEALTHY;
	return active < desired ? HC_REPLICAS_UNDER : HC_REPLICAS_OVER;
}

static enum hc_replicas
hc_replicas_parse(const char *s)
{
	int	 i;

	for (i = 0; i < HC_REPLICAS_MAX; i++)
		if (strcmp(s, hc_replicas_names[i]) == 0)
			return (enum hc_replicas)i;
	return HC_REPLICAS_UNKNOWN;
}

/* KEYS: status.  ARGV: status, desired, active, mismatch (1/0). */
static const char hc_replicas_lua[] = HC_SCRIPT_LUA_NOW
	"local since = redis.call('HGET', KEYS[1], 'mismatch_since')\n"
	"if ARGV[4] == '1' then\n"
	"  if not since then since = nows; redis.call('HSET', KEYS[1], 'mismatch_since', since) end\n"
	"else\n"
	"  if since then redis.call('HDEL', KEYS[1], 'mismatch_since') end\n"
	"  since = false\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'status', ARGV[1], 'desired', ARGV[2], 'active', ARGV[3], 'updated_at', nows)\n"
	"return {nows, since}\n";

enum hc_err
hc_replicas_status_update(struct hc_registry *reg, long desired, long active,
    struct hc_replica_status *out)
{
	static struct hc_script script;
	const char	*keys[1], *args[4];
	char		 d[32], a[32];
	enum hc_replicas st = hc_replicas_of(desired, active);
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	if (script.name == NULL)
		hc_script_init(&script, "status", hc_replicas_lua);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	keys[0] = hc_registry_key(reg, HC_REGISTRY_KEY_STATUS);
	snprintf(d, sizeof(d), "%ld", desired < 0 ? -1 : desired);
	snprintf(a, sizeof(a), "%ld", active);
	args[0] = hc_replicas_name(st);
	args[1] = d;
	args[2] = a;
	args[3] = st == HC_REPLICAS_UNDER || st == HC_REPLICAS_OVER ? "1" : "0";
	if (hc_registry_run(reg, &script, 1, keys, 4, args, NULL, &rep) != HC_OK)
		return HC_ERR_REDIS;
	if (!hc_script_is_array(rep, 1))
		hc_registry_seterr(reg, HC_ERR_REDIS,
		    "status: unexpected reply from Redis");
	else {
		if (out != NULL) {
			out->status = st;
			out->desired = desired < 0 ? -1 : desired;
			out->active = active;
			out->updated_ms = hc_script_int(rep->element[0]);
			if (rep->elements > 1 && hc_script_is_string(rep->element[1]))
				out->mismatch_since_ms = hc_script_int(rep->element[1]);
		}
		rc = HC_OK;
	}
	freeReplyObject(rep);
	return rc;
}

enum hc_err
hc_replicas_status_get(struct hc_registry *reg, struct hc_replica_status *out)
{
	const char	*key = hc_registry_key(reg, HC_REGISTRY_KEY_STATUS);
	struct hc_redis	*r = hc_registry_redis(reg);
	redisReply	*rep;

	memset(out, 0, sizeof(*out));
	out->desired = -1;
	if ((rep = hc_redis_cmd(r, "HMGET %s status desired active "
	    "mismatch_since updated_at", key)) == NULL)
		return hc_registry_seterr(reg, HC_ERR_REDIS, "HMGET(%s): %s", key,
		    hc_redis_errstr(r));
	if (rep->type == REDIS_REPLY_ERROR) {
		hc_registry_seterr(reg, HC_ERR_REDIS, "HMGET(%s): %.160s", key,
		    rep->str);
		freeReplyObject(rep);
		return HC_ERR_REDIS;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 5) {
		if (hc_script_is_string(rep->element[0]))
			out->status = hc_replicas_parse(rep->element[0]->str);
		if (hc_script_is_string(rep->element[1]))
			out->desired = (long)hc_script_int(rep->element[1]);
		out->active = (long)hc_script_int(rep->element[2]);
		out->mismatch_since_ms = hc_script_int(rep->element[3]);
		out->updated_ms = hc_script_int(rep->element[4]);
	}
	freeReplyObject(rep);
	return HC_OK;
}

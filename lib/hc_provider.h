/* hc_provider: the desired replica count (DigitalOcean, Kubernetes, DESIRED_REPLICAS), cached in Redis. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_PROVIDER_H
#define HC_PROVIDER_H

#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#include "hc_err.h"

struct hc_settings;
struct hc_redis;

/* Where a desired count comes from; the order is the order of preference. */
enum hc_source {
	HC_SOURCE_NONE,
	HC_SOURCE_ENV,		/* DESIRED_REPLICAS */
	HC_SOURCE_DO,		/* DigitalOcean Apps API */
	HC_SOURCE_K8S,		/* Kubernetes apps/v1 Deployment */
	HC_SOURCE_MAX
};

/* State of the provider's latest rollout (deployment). */
enum hc_rollout {
	HC_ROLLOUT_UNKNOWN,	/* none known (env source, or not read) */
	HC_ROLLOUT_DONE,	/* ACTIVE / complete */
	HC_ROLLOUT_PROGRESS,	/* building or deploying */
	HC_ROLLOUT_FAILED,	/* ERROR, CANCELED, progress deadline exceeded */
	HC_ROLLOUT_MAX
};

/* Cache lifetimes in Redis, seconds. */
#define HC_PROVIDER_TTL_DESIRED	60
#define HC_PROVIDER_TTL_DEPLOY	30
#define HC_PROVIDER_TTL_METRICS	30
#define HC_PROVIDER_TTL_FAILURE	10

/* Flags for hc_provider_desired. */
#define HC_PROVIDER_FRESH	0x01	/* bypass the cache (the answer is cached again) */
#define HC_PROVIDER_ROLLOUT	0x02	/* also read the latest rollout (DO: deployments) */

struct hc_desired {
	enum hc_source	 configured;	/* first configured source */
	enum hc_source	 source;	/* where desired came from: configured, ENV after a fallback, or NONE */
	long		 desired;	/* -1 when unknown */
	long		 ready;		/* ready replicas as the provider sees them, -1 unknown */
	long		 min, max;	/* autoscaling bounds, -1 when not autoscaled */
	char		 component[160];/* DO service name, or k8s "ns/name"; "" for env */
	int		 failed;	/* the configured provider failed (see error) */
	int		 cached;	/* the provider's answer came from the Redis cache */
	enum hc_err	 err;		/* HC_OK, or what kind of failure (HC_ERR_AUTH, _TIMEOUT, _HTTP, _PARSE) */
	char		 error[256];	/* why it failed, "" otherwise */
	enum hc_rollout	 rollout;
	char		 rollout_id[128];	/* DO deployment id, k8s "generation N" */
	char		 rollout_phase[48];	/* DO phase ("DEPLOYING"), k8s condition reason */
	time_t		 rollout_since;		/* created_at of that rollout, 0 unknown */
	time_t		 rollout_updated;	/* its last update, 0 unknown */
};

struct hc_provider;

/* "none", "env", "digitalocean", "kubernetes" (as configured_source). */
const char	*hc_provider_source_name(enum hc_source s);

/* For sentences: "DESIRED_REPLICAS", "DigitalOcean", "Kubernetes", "none". */
const char	*hc_provider_source_label(enum hc_source s);

/* The first configured source of s (DO needs DO_API_TOKEN and DO_APP_ID). */
enum hc_source	 hc_provider_configured(const struct hc_settings *s);

/*
 * A provider for settings s (borrowed; must outlive it).  Holds one
 * libcurl handle that keeps connections open between requests; call
 * curl_global_init once per process before.  Returns NULL (reason in
 * err) on no memory.  Free with hc_provider_free.
 */
struct hc_provider *hc_provider_new(const struct hc_settings *s, char *err,
	    size_t errlen);

/* NULL-safe. */
void		 hc_provider_free(struct hc_provider *p);

/*
 * Fills *out with the desired count.  The provider's answer is read
 * from the Redis cache (r may be NULL, or unreachable: no caching) unless
 * flags has HC_PROVIDER_FRESH; answers are cached 60 s, failures 10 s.
 * When the configured provider fails, out->failed is set, out->error
 * says why and DESIRED_REPLICAS (if set) is used: out->source is then
 * HC_SOURCE_ENV, else HC_SOURCE_NONE.  Never fails otherwise; every
 * call is bounded by HEADCOUNT_PROVIDER_TIMEOUT_MS per HTTP request.
 */
void		 hc_provider_desired(struct hc_provider *p, struct hc_redis *r,
		    int flags, struct hc_desired *out);

/*
 * GET /api/v1/monitoring/deployments and /metrics answers, built from
 * DigitalOcean (cached 30 s; failures 10 s).  Return a new object the
 * caller puts, or NULL with hc_provider_err(p): HC_ERR_UNAVAILABLE when
 * DigitalOcean is not configured (the errstr names the missing setting),
 * HC_ERR_HTTP, HC_ERR_TIMEOUT, HC_ERR_AUTH or HC_ERR_PARSE when
 * DigitalOcean failed, HC_ERR_NOMEM.  The errstr is safe to show to an
 * owner.
 */
json_object	*hc_provider_deployments(struct hc_provider *p, struct hc_redis *r,
		    int flags);
json_object	*hc_provider_metrics(struct hc_provider *p, struct hc_redis *r,
		    int flags);

/* The kind and the words of the handle's last failure (HC_OK, "" when none). */
enum hc_err	 hc_provider_err(const struct hc_provider *p);
const char	*hc_provider_errstr(const struct hc_provider *p);

/*
 * Parsers of provider answers (exported for the unit tests).  Each
 * returns 0, or -1 with the reason in err; nothing to free in *out.
 */
/* GET /v2/apps/{id}: service (or worker) named component, else the first service. */
int		 hc_provider_parse_do_app(const char *body, const char *component,
		    struct hc_desired *out, char *err, size_t errlen);
/* GET /v2/apps/{id}/health: replicas_desired/ready of out->component. */
int		 hc_provider_parse_do_health(const char *body,
		    struct hc_desired *out, char *err, size_t errlen);
/* GET apis/apps/v1/.../deployments/{name}: spec.replicas, status, conditions. */
int		 hc_provider_parse_k8s(const char *body, struct hc_desired *out,
		    char *err, size_t errlen);
/*
 * GET /v2/apps/{id}/deployments -> a new array of {id, phase, cause,
 * created_at, updated_at} newest first, or NULL (reason in err).
 */
json_object	*hc_provider_parse_do_deployments(const char *body, char *err,
		    size_t errlen);
/*
 * A DigitalOcean metrics answer (Prometheus matrix) -> a new array of
 * {t, value} sorted by t, series averaged per timestamp; NULL on error.
 */
json_object	*hc_provider_parse_do_metrics(const char *body, char *err,
		    size_t errlen);
/* Sets out->rollout* from the newest entry of a parsed deployments array. */
void		 hc_provider_rollout_from(json_object *deployments,
		    struct hc_desired *out);

#endif

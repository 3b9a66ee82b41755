/* hc_provider_int: what the provider modules share (private to hc_provider*.c). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_PROVIDER_INT_H
#define HC_PROVIDER_INT_H

#include <stddef.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "hc_err.h"
#include "hc_provider.h"

struct hc_redis;
struct hc_settings;

/* No provider answer we read is anywhere near this; more is refused. */
#define HC_PROVIDER_BODY_MAX	((size_t)8 * 1024 * 1024)
/* The window of /monitoring/metrics. */
#define HC_PROVIDER_METRICS_WINDOW 3600

struct hc_provider {
	const struct hc_settings *s;
	CURL			*curl;		/* made lazily: a program without providers never needs libcurl */
	enum hc_err		 err;		/* the last failure of a call on the handle */
	char			 errstr[HC_ERRSTR_MAX];
};

/* ------------------------------------------------ hc_provider.c: HTTP */

/*
 * GETs url with a bearer token (may be NULL) and returns the 200 body
 * (caller frees), or NULL with *err and errstr naming the provider and
 * the call (what: the path without ids or query).  Timeouts from
 * HEADCOUNT_PROVIDER_TIMEOUT_MS.
 */
char	*hc_provider_get(struct hc_provider *p, const char *who, const char *url,
	    const char *what, const char *bearer, const char *cafile,
	    enum hc_err *err, char *errstr, size_t errlen);

/* base + path with a path-escaped id (may be NULL) and a tail (may be NULL); malloc'd, NULL without memory. */
char	*hc_provider_url(struct hc_provider *p, const char *base, const char *path,
	    const char *id, const char *tail);

/* prefix + "provider:" + the formatted rest, malloc'd; NULL without memory. */
char	*hc_provider_key(const struct hc_settings *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Makes p->curl when missing.  0, or -1 with *err and errstr set. */
int	 hc_provider_curl(struct hc_provider *p, enum hc_err *err, char *errstr,
	    size_t errlen);

/* ------------------------------------------------ hc_provider_cache.c */

/*
 * Looks key up in Redis (r may be NULL: a miss).  Returns 1 with *val (a
 * new reference) for an answer, 1 with *val NULL and *err/errstr for a
 * cached failure, 0 on a miss.
 */
int	 hc_provider_cache_lookup(struct hc_redis *r, const char *key,
	    json_object **val, enum hc_err *err, char *errstr, size_t errlen);

/* The same, where an entry of another type than want is a miss. */
int	 hc_provider_cache_lookup_type(struct hc_redis *r, const char *key,
	    json_type want, json_object **val, enum hc_err *err, char *errstr,
	    size_t errlen);

/* Stores {"ok":val} for ttl seconds (val is not consumed); best effort. */
void	 hc_provider_cache_ok(struct hc_redis *r, const char *key,
	    json_object *val, int ttl);

/* Stores a failure for HC_PROVIDER_TTL_FAILURE seconds; best effort. */
void	 hc_provider_cache_fail(struct hc_redis *r, const char *key,
	    enum hc_err code, const char *why);

/* ------------------------------------------------ hc_provider_do.c */

/* The desired count from DigitalOcean into d.  0, or -1 with *err and errstr. */
int	 hc_provider_do_fetch(struct hc_provider *p, struct hc_desired *d,
	    enum hc_err *err, char *errstr, size_t errlen);

/* The deployments array (new reference) from cache or DigitalOcean; NULL with *err and errstr. */
json_object *hc_provider_do_list(struct hc_provider *p, struct hc_redis *r,
	    int flags, enum hc_err *err, char *errstr, size_t errlen);

/* ------------------------------------------------ hc_provider_k8s.c */

/* The desired count from the Kubernetes Deployment into d.  0, or -1 with *err and errstr. */
int	 hc_provider_k8s_fetch(struct hc_provider *p, struct hc_desired *d,
	    enum hc_err *err, char *errstr, size_t errlen);

#endif

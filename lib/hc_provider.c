/* hc_provider: reads desired counts, deployments and metrics over libcurl and caches them in Redis. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_provider.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "hc_fetch.h"
#include "hc_redis.h"
#include "hc_settings.h"
#include "hc_time.h"

/* No provider answer we read is anywhere near this; more is refused. */
#define HC_PROVIDER_BODY_MAX	((size_t)8 * 1024 * 1024)
/* The window of /monitoring/metrics. */
#define HC_PROVIDER_METRICS_WINDOW 3600

struct hc_provider {
	const struct hc_settings *s;
	CURL			*curl;
};

static const char *const hc_source_names[HC_SOURCE_MAX] = {
	"none", "env", "digitalocean", "kubernetes"
};
static const char *const hc_source_labels[HC_SOURCE_MAX] = {
	"none", "DESIRED_REPLICAS", "DigitalOcean", "Kubernetes"
};

const char *
hc_provider_source_name(enum hc_source s)
{
	return (unsigned)s < HC_SOURCE_MAX ? hc_source_names[s] : "none";
}

const char *
hc_provider_source_label(enum hc_source s)
{
	return (unsigned)s < HC_SOURCE_MAX ? hc_source_labels[s] : "none";
}

enum hc_source
hc_provider_configured(const struct hc_settings *s)
{
	if (s->do_api_token != NULL && s->do_app_id != NULL)
		return HC_SOURCE_DO;
	if (s->k8s_deployment != NULL)
		return HC_SOURCE_K8S;
	if (s->desired_replicas >= 0)
		return HC_SOURCE_ENV;
	return HC_SOURCE_NONE;
}

struct hc_provider *
hc_provider_new(const struct hc_settings *s, char *err, size_t errlen)
{
	struct hc_provider	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "calloc: out of memory");
		return NULL;
	}
	p->s = s;
	/* Made lazily: a program without providers never needs libcurl. */
	return p;
}

void
hc_provider_free(struct hc_provider *p)
{
	if (p == NULL)
		return;
	if (p->curl != NULL)
		curl_easy_cleanup(p->curl);
	free(p);
}

static void
hc_fail(enum hc_err *err, enum hc_err code, char *errstr, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
hc_fail(enum hc_err *err, enum hc_err code, char *errstr, size_t errlen,
    const char *fmt, ...)
{
	va_list	 ap;

	*err = code;
	va_start(ap, fmt);
	vsnprintf(errstr, errlen, fmt, ap);
	va_end(ap);
}

/* The "message" of an API error answer, made printable, into buf; "" if none. */
static void
hc_api_message(const char *body, char *buf, size_t len)
{
	json_object	*o, *m;
	const char	*s;
	size_t		 i, j = 0;

	buf[0] = '\0';
	if (body == NULL || (o = json_tokener_parse(body)) == NULL)
		return;
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string)) {
		s = json_object_get_string(m);
		for (i = 0; s[i] != '\0' && j + 1 < len && i < 160; i++)
			buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : ' ';
		buf[j] = '\0';
	}
	json_object_put(o);
}

/*
 * GETs url with a bearer token (may be NULL) and returns the 200 body
 * (caller frees), or NULL with *err and errstr naming the provider and
 * the call (what: the path without ids or query).  Timeouts from
 * HEADCOUNT_PROVIDER_TIMEOUT_MS.
 */
static char *
hc_get(struct hc_provider *p, const char *who, const char *url,
    const char *what, const char *bearer, const char *cafile,
    enum hc_err *err, char *errstr, size_t errlen)
{
	struct hc_fetch	 f;
	char		 why[CURL_ERROR_SIZE + 64], msg[192];
	enum hc_err	 e;

	memset(&f, 0, sizeof(f));
	f.url = url;
	f.bearer = bearer;
	f.cafile = cafile;
	f.timeout_ms = p->s->provider_timeout_ms;
	f.max_body = HC_PROVIDER_BODY_MAX;
	if ((e = hc_fetch_get(&p->curl, &f, why, sizeof(why))) != HC_OK) {
		hc_fail(err, e == HC_ERR_RANGE ? HC_ERR_HTTP : e, errstr, errlen,
		    "%s: GET %s: %s", who, what, why);
		return NULL;
	}
	if (f.status != 200) {
		hc_api_message(f.body, msg, sizeof(msg));
		hc_fail(err, f.status == 401 || f.status == 403 ? HC_ERR_AUTH :
		    HC_ERR_HTTP, errstr, errlen, "%s: GET %s answered HTTP %ld%s%s%s",
		    who, what, f.status, msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
		free(f.body);
		return NULL;
	}
	if (f.body == NULL) {
		hc_fail(err, HC_ERR_PARSE, errstr, errlen, "%s: GET %s: empty answer",
		    who, what);
		return NULL;
	}
	*err = HC_OK;
	return f.body;
}

/* ---------------------------------------------------------------- cache */

/*
 * Entries are JSON: {"ok":<answer>} for 60/30 s, or
 * {"error":"...","code":<enum hc_err>} for 10 s, under one key so that a
 * fresh read replaces either.
 */
static json_object *
hc_cache_get(struct hc_redis *r, const char *key)
{
	redisReply	*rep;
	json_object	*o = NULL;

	if (r == NULL || (rep = hc_redis_cmd(r, "GET %s", key)) == NULL)
		return NULL;
	if (rep->type == REDIS_REPLY_STRING &&
	    (o = json_tokener_parse(rep->str)) != NULL &&
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	freeReplyObject(rep);
	return o;
}

static void
hc_cache_put(struct hc_redis *r, const char *key, json_object *entry, int ttl)
{
	redisReply	*rep;
	const char	*s;

	if (r == NULL || entry == NULL)
		return;
	s = json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN);
	if (s != NULL && (rep = hc_redis_cmd(r, "SET %s %s EX %d", key, s, ttl)) != NULL)
		freeReplyObject(rep);
}

/* Stores a failure for HC_PROVIDER_TTL_FAILURE seconds. */
static void
hc_cache_fail(struct hc_redis *r, const char *key, enum hc_err code, const char *why)
{
	json_object	*e;

	if (r == NULL || (e = json_object_new_object()) == NULL)
		return;
	if (json_object_object_add(e, "error", json_object_new_string(why)) == 0 &&
	    json_object_object_add(e, "code", json_object_new_int((int)code)) == 0)
		hc_cache_put(r, key, e, HC_PROVIDER_TTL_FAILURE);
	json_object_put(e);
}

/* Stores {"ok":val} (val is not consumed). */
static void
hc_cache_ok(struct hc_redis *r, const char *key, json_object *val, int ttl)
{
	json_object	*e;

	if (r == NULL || (e = json_object_new_object()) == NULL)
		return;
	json_object_get(val);
	if (json_object_object_add(e, "ok", val) == 0)
		hc_cache_put(r, key, e, ttl);
	else
		json_object_put(val);
	json_object_put(e);
}

/*
 * Looks key up.  Returns 1 with *val (new reference) for an answer,
 * 1 with *val NULL and *err/errstr for a cached failure, 0 on a miss.
 */
static int
hc_cache_lookup(struct hc_redis *r, const char *key, json_object **val,
    enum hc_err *err, char *errstr, size_t errlen)
{
	json_object	*e, *v;
	int		 found = 0;

	*val = NULL;
	if ((e = hc_cache_get(r, key)) == NULL)
		return 0;
	if (json_object_object_get_ex(e, "ok", &v) && v != NULL) {
		*val = json_object_get(v);
		found = 1;
	} else if (json_object_object_get_ex(e, "error", &v) &&
	    json_object_is_type(v, json_type_string)) {
		json_object *c;
		int code = HC_ERR_HTTP;

		if (json_object_object_get_ex(e, "code", &c) &&
		    json_object_is_type(c, json_type_int))
			code = json_object_get_int(c);
		if (code <= HC_OK || code >= HC_ERR_MAX)
			code = HC_ERR_HTTP;
		*err = (enum hc_err)code;
		snprintf(errstr, errlen, "%s", json_object_get_string(v));
		found = 1;
	}
	json_object_put(e);
	return found;
}

/* hc_cache_lookup, where an entry of another type than want is a miss. */
static int
hc_cache_lookup_type(struct hc_redis *r, const char *key, json_type want,
    json_object **val, enum hc_err *err, char *errstr, size_t errlen)
{
	if (!hc_cache_lookup(r, key, val, err, errstr, errlen))
		return 0;
	if (*val != NULL && !json_object_is_type(*val, want)) {
		json_object_put(*val);
		*val = NULL;
		return 0;
	}
	return 1;
}

/* prefix + "provider:" + rest, malloc'd. */
static char *
hc_key(const struct hc_settings *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
hc_key(const struct hc_settings *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*k;
	size_t	 plen = strlen(s->key_prefix) + sizeof("provider:") - 1;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (k = malloc(plen + (size_t)n + 1)) == NULL)
		return NULL;
	snprintf(k, plen + 1, "%sprovider:", s->key_prefix);
	va_start(ap, fmt);
	vsnprintf(k + plen, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return k;
}

/* ---------------------------------------------------------------- fetch */

/* base + path with a path-escaped id and an optional tail. */
static char *
hc_url(struct hc_provider *p, const char *base, const char *path,
    const char *id, const char *tail)
{
	char	*eid = NULL, *u;
	size_t	 len, blen;

	if (id != NULL && (eid = curl_easy_escape(p->curl, id, 0)) == NULL)
		return NULL;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	len = blen + strlen(path) + (eid ? strlen(eid) : 0) +
	    (tail ? strlen(tail) : 0) + 1;
	if ((u = malloc(len)) != NULL)
		snprintf(u, len, "%.*s%s%s%s", (int)blen, base, path,
		    eid ? eid : "", tail ? tail : "");
	curl_free(eid);
	return u;
}

static int
hc_ensure_curl(struct hc_provider *p, enum hc_err *err, char *errstr, size_t errlen)
{
	if (p->curl == NULL && (p->curl = curl_easy_init()) == NULL) {
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "curl_easy_init failed");
		return -1;
	}
	return 0;
}

/* The DigitalOcean part of struct hc_desired as JSON (for the cache). */
static json_object *
hc_desired_json(const struct hc_desired *d)
{
	json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "desired", json_object_new_int64(d->desired));
	json_object_object_add(o, "ready", json_object_new_int64(d->ready));
	json_object_object_add(o, "min", json_object_new_int64(d->min));
	json_object_object_add(o, "max", json_object_new_int64(d->max));
	json_object_object_add(o, "component", json_object_new_string(d->component));
	json_object_object_add(o, "rollout", json_object_new_int((int)d->rollout));
	json_object_object_add(o, "rollout_id", json_object_new_string(d->rollout_id));
	json_object_object_add(o, "rollout_phase", json_object_new_string(d->rollout_phase));
	json_object_object_add(o, "rollout_since", json_object_new_int64((int64_t)d->rollout_since));
	json_object_object_add(o, "rollout_updated", json_object_new_int64((int64_t)d->rollout_updated));
	return o;
}

static int64_t
hc_jint(json_object *o, const char *key, int64_t def)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

static const char *
hc_jstr(json_object *o, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int
hc_desired_from(json_object *o, struct hc_desired *d)
{
	int64_t	 r;

	if (!json_object_is_type(o, json_type_object) ||
	    (d->desired = (long)hc_jint(o, "desired", -1)) < 0)
		return -1;
	d->ready = (long)hc_jint(o, "ready", -1);
	d->min = (long)hc_jint(o, "min", -1);
	d->max = (long)hc_jint(o, "max", -1);
	snprintf(d->component, sizeof(d->component), "%s", hc_jstr(o, "component"));
	r = hc_jint(o, "rollout", HC_ROLLOUT_UNKNOWN);
	d->rollout = r >= 0 && r < HC_ROLLOUT_MAX ? (enum hc_rollout)r : HC_ROLLOUT_UNKNOWN;
	snprintf(d->rollout_id, sizeof(d->rollout_id), "%s", hc_jstr(o, "rollout_id"));
	snprintf(d->rollout_phase, sizeof(d->rollout_phase), "%s", hc_jstr(o, "rollout_phase"));
	d->rollout_since = (time_t)hc_jint(o, "rollout_since", 0);
	d->rollout_updated = (time_t)hc_jint(o, "rollout_updated", 0);
	return 0;
}

static int
hc_do_fetch(struct hc_provider *p, struct hc_desired *d, enum hc_err *err,
    char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	char		*url = NULL, *body = NULL, perr[160];
	int		 rc = -1, autoscaled;
	enum hc_err	 herr;
	char		 hstr[256];

	if ((url = hc_url(p, s->do_api_url, "/v2/apps/", s->do_app_id, NULL)) == NULL)
		goto nomem;
	if ((body = hc_get(p, "DigitalOcean", url, "/v2/apps/{DO_APP_ID}",
	    s->do_api_token, NULL, err, errstr, errlen)) == NULL)
		goto out;
	if (hc_provider_parse_do_app(body, s->do_component_name, d, perr,
	    sizeof(perr)) != 0) {
		hc_fail(err, HC_ERR_PARSE, errstr, errlen, "DigitalOcean: %s", perr);
		goto out;
	}
	free(body);
	free(url);
	body = NULL;
	autoscaled = d->min >= 0 || d->desired < 0;
	if ((url = hc_url(p, s->do_api_url, "/v2/apps/", s->do_app_id, "/health")) == NULL)
		goto nomem;
	/*
	 * The health answer gives what the platform runs (replicas_ready);
	 * it is needed only for an autoscaled component's desired count.
	 */
	body = hc_get(p, "DigitalOcean", url, "/v2/apps/{DO_APP_ID}/health",
	    s->do_api_token, NULL, &herr, hstr, sizeof(hstr));
	if (body == NULL || hc_provider_parse_do_health(body, d, perr,
	    sizeof(perr)) != 0) {
		d->ready = -1;
		if (autoscaled) {
			if (body == NULL)
				hc_fail(err, herr, errstr, errlen, "%s", hstr);
			else
				hc_fail(err, HC_ERR_PARSE, errstr, errlen,
				    "DigitalOcean: %s", perr);
			goto out;
		}
	}
	rc = 0;
	goto out;
nomem:
	hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "DigitalOcean: out of memory");
out:
	free(body);
	free(url);
	return rc;
}

/* The service-account token, trimmed; NULL with errstr when unreadable. */
static char *
hc_read_token(const char *path, enum hc_err *err, char *errstr, size_t errlen)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		hc_fail(err, HC_ERR_AUTH, errstr, errlen,
		    "Kubernetes: cannot read HEADCOUNT_K8S_TOKEN_FILE %s: %s",
		    path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(16384)) == NULL) {
		fclose(fp);
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "Kubernetes: out of memory");
		return NULL;
	}
	n = fread(buf, 1, 16383, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0 || strpbrk(buf, "\r\n") != NULL) {
		free(buf);
		hc_fail(err, HC_ERR_AUTH, errstr, errlen,
		    "Kubernetes: HEADCOUNT_K8S_TOKEN_FILE %s holds no token", path);
		return NULL;
	}
	return buf;
}

static int
hc_k8s_fetch(struct hc_provider *p, struct hc_desired *d, enum hc_err *err,
    char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	char		*url = NULL, *body = NULL, *token = NULL, *ens = NULL,
			*ename = NULL, *ns = NULL, *slash, perr[160];
	size_t		 len, blen;
	int		 rc = -1;

	/* An empty token file setting means no token (kubectl proxy). */
	if (*s->k8s_token_file != '\0' &&
	    (token = hc_read_token(s->k8s_token_file, err, errstr, errlen)) == NULL)
		return -1;
	if ((ns = strdup(s->k8s_deployment)) == NULL ||
	    (slash = strchr(ns, '/')) == NULL)
		goto nomem;
	*slash = '\0';
	if ((ens = curl_easy_escape(p->curl, ns, 0)) == NULL ||
	    (ename = curl_easy_escape(p->curl, slash + 1, 0)) == NULL)
		goto nomem;
	blen = strlen(s->k8s_api_url);
	while (blen > 0 && s->k8s_api_url[blen - 1] == '/')
		blen--;
	len = blen + strlen(ens) + strlen(ename) + sizeof("/apis/apps/v1/namespaces//deployments/");
	if ((url = malloc(len)) == NULL)
		goto nomem;
	snprintf(url, len, "%.*s/apis/apps/v1/namespaces/%s/deployments/%s",
	    (int)blen, s->k8s_api_url, ens, ename);
	if ((body = hc_get(p, "Kubernetes", url,
	    "/apis/apps/v1/namespaces/{ns}/deployments/{name}", token,
	    s->k8s_ca_file, err, errstr, errlen)) == NULL)
		goto out;
	if (hc_provider_parse_k8s(body, d, perr, sizeof(perr)) != 0) {
		hc_fail(err, HC_ERR_PARSE, errstr, errlen, "Kubernetes: %s", perr);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "Kubernetes: out of memory");
out:
	curl_free(ens);
	curl_free(ename);
	free(ns);
	free(url);
	free(body);
	free(token);
	return rc;
}

/* ---------------------------------------------------------------- DO lists */

static int
hc_do_check(const struct hc_settings *s, enum hc_err *err, char *errstr, size_t errlen)
{
	if (s->do_api_token == NULL && s->do_app_id == NULL)
		hc_fail(err, HC_ERR_INVALID, errstr, errlen,
		    "DigitalOcean is not configured: DO_API_TOKEN and DO_APP_ID are not set");
	else if (s->do_api_token == NULL)
		hc_fail(err, HC_ERR_INVALID, errstr, errlen,
		    "DigitalOcean is not configured: DO_API_TOKEN is not set");
	else if (s->do_app_id == NULL)
		hc_fail(err, HC_ERR_INVALID, errstr, errlen,
		    "DigitalOcean is not configured: DO_APP_ID is not set");
	else
		return 0;
	return -1;
}

/* The deployments array (new reference) from cache or DigitalOcean. */
static json_object *
hc_do_deployments(struct hc_provider *p, struct hc_redis *r, int flags,
    enum hc_err *err, char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	json_object	*arr = NULL;
	char		*key = NULL, *url = NULL, *body = NULL, perr[160];

	if (hc_do_check(s, err, errstr, errlen) != 0 ||
	    hc_ensure_curl(p, err, errstr, errlen) != 0)
		return NULL;
	if ((key = hc_key(s, "digitalocean:%s:deployments", s->do_app_id)) == NULL) {
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
		return NULL;
	}
	if (!(flags & HC_PROVIDER_FRESH) &&
	    hc_cache_lookup_type(r, key, json_type_array, &arr, err, errstr, errlen))
		goto out;
	if ((url = hc_url(p, s->do_api_url, "/v2/apps/", s->do_app_id,
	    "/deployments?page=1&per_page=20")) == NULL) {
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
		goto out;
	}
	if ((body = hc_get(p, "DigitalOcean", url, "/v2/apps/{DO_APP_ID}/deployments",
	    s->do_api_token, NULL, err, errstr, errlen)) == NULL) {
		hc_cache_fail(r, key, *err, errstr);
		goto out;
	}
	if ((arr = hc_provider_parse_do_deployments(body, perr, sizeof(perr))) == NULL) {
		hc_fail(err, HC_ERR_PARSE, errstr, errlen, "DigitalOcean: %s", perr);
		hc_cache_fail(r, key, *err, errstr);
		goto out;
	}
	hc_cache_ok(r, key, arr, HC_PROVIDER_TTL_DEPLOY);
out:
	free(body);
	free(url);
	free(key);
	return arr;
}

json_object *
hc_provider_deployments(struct hc_provider *p, struct hc_redis *r, int flags,
    enum hc_err *err, char *errstr, size_t errlen)
{
	json_object	*arr, *o;

	if ((arr = hc_do_deployments(p, r, flags, err, errstr, errlen)) == NULL)
		return NULL;
	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "source", json_object_new_string("digitalocean")) != 0 ||
	    json_object_object_add(o, "deployments", arr) != 0) {
		json_object_put(o);
		json_object_put(arr);
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
		return NULL;
	}
	return o;
}

/* One metric series over the last hour; a new array or NULL. */
static json_object *
hc_do_series(struct hc_provider *p, const char *metric, time_t now,
    enum hc_err *err, char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	char		*url = NULL, *body = NULL, *eapp = NULL, *ecomp = NULL,
			 path[96], tail[512], perr[160];
	json_object	*arr = NULL;

	if ((eapp = curl_easy_escape(p->curl, s->do_app_id, 0)) == NULL ||
	    (s->do_component_name != NULL &&
	    (ecomp = curl_easy_escape(p->curl, s->do_component_name, 0)) == NULL)) {
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/v2/monitoring/metrics/apps/%s", metric);
	if ((size_t)snprintf(tail, sizeof(tail), "?app_id=%s%s%s&start=%lld&end=%lld",
	    eapp, ecomp ? "&app_component=" : "", ecomp ? ecomp : "",
	    (long long)(now - HC_PROVIDER_METRICS_WINDOW), (long long)now) >= sizeof(tail)) {
		hc_fail(err, HC_ERR_INVALID, errstr, errlen,
		    "DigitalOcean: DO_APP_ID or DO_COMPONENT_NAME too long");
		goto out;
	}
	if ((url = hc_url(p, s->do_api_url, path, NULL, tail)) == NULL) {
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
		goto out;
	}
	if ((body = hc_get(p, "DigitalOcean", url, path, s->do_api_token, NULL,
	    err, errstr, errlen)) == NULL)
		goto out;
	if ((arr = hc_provider_parse_do_metrics(body, perr, sizeof(perr))) == NULL)
		hc_fail(err, HC_ERR_PARSE, errstr, errlen, "DigitalOcean: %s: %s",
		    metric, perr);
out:
	curl_free(eapp);
	curl_free(ecomp);
	free(url);
	free(body);
	return arr;
}

json_object *
hc_provider_metrics(struct hc_provider *p, struct hc_redis *r, int flags,
    enum hc_err *err, char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	json_object	*o = NULL, *cpu = NULL, *mem = NULL;
	char		*key = NULL;
	time_t		 now = time(NULL);

	if (hc_do_check(s, err, errstr, errlen) != 0 ||
	    hc_ensure_curl(p, err, errstr, errlen) != 0)
		return NULL;
	if ((key = hc_key(s, "digitalocean:%s/%s:metrics", s->do_app_id,
	    s->do_component_name ? s->do_component_name : "")) == NULL) {
		hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
		return NULL;
	}
	if (!(flags & HC_PROVIDER_FRESH) &&
	    hc_cache_lookup_type(r, key, json_type_object, &o, err, errstr, errlen))
		goto out;
	if ((cpu = hc_do_series(p, "cpu_percentage", now, err, errstr, errlen)) == NULL ||
	    (mem = hc_do_series(p, "memory_percentage", now, err, errstr, errlen)) == NULL) {
		hc_cache_fail(r, key, *err, errstr);
		goto out;
	}
	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "source", json_object_new_string("digitalocean")) != 0 ||
	    json_object_object_add(o, "cpu_percent", cpu) != 0)
		goto nomem;
	cpu = NULL;
	if (json_object_object_add(o, "memory_percent", mem) != 0)
		goto nomem;
	mem = NULL;
	hc_cache_ok(r, key, o, HC_PROVIDER_TTL_METRICS);
	goto out;
nomem:
	json_object_put(o);
	o = NULL;
	hc_fail(err, HC_ERR_NOMEM, errstr, errlen, "out of memory");
out:
	json_object_put(cpu);
	json_object_put(mem);
	free(key);
	return o;
}

/* ---------------------------------------------------------------- desired */

void
hc_provider_desired(struct hc_provider *p, struct hc_redis *r, int flags,
    struct hc_desired *out)
{
	const struct hc_settings *s = p->s;
	json_object	*cached = NULL, *val, *deps;
	char		*key = NULL, derr[256];
	enum hc_err	 err = HC_OK, e2;
	int		 ok = 0, hit;

	memset(out, 0, sizeof(*out));
	out->desired = out->ready = out->min = out->max = -1;
	out->configured = hc_provider_configured(s);
	out->source = out->configured;
	switch (out->configured) {
	case HC_SOURCE_ENV:
		out->desired = s->desired_replicas;
		return;
	case HC_SOURCE_DO:
	case HC_SOURCE_K8S:
		break;
	default:
		return;
	}
	if (hc_ensure_curl(p, &err, out->error, sizeof(out->error)) != 0)
		goto fallback;
	if (out->configured == HC_SOURCE_DO)
		key = hc_key(s, "digitalocean:%s/%s:desired", s->do_app_id,
		    s->do_component_name ? s->do_component_name : "");
	else
		key = hc_key(s, "kubernetes:%s:desired", s->k8s_deployment);
	if (key == NULL) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		goto fallback;
	}
	hit = !(flags & HC_PROVIDER_FRESH) &&
	    hc_cache_lookup(r, key, &cached, &err, out->error, sizeof(out->error));
	if (hit) {
		out->cached = 1;
		ok = cached != NULL && hc_desired_from(cached, out) == 0;
		if (cached != NULL && !ok)
			hit = 0;	/* an entry we cannot read: ask again */
	}
	if (!hit) {
		out->cached = 0;
		ok = (out->configured == HC_SOURCE_DO ?
		    hc_do_fetch(p, out, &err, out->error, sizeof(out->error)) :
		    hc_k8s_fetch(p, out, &err, out->error, sizeof(out->error))) == 0;
		if (ok) {
			if ((val = hc_desired_json(out)) != NULL)
				hc_cache_ok(r, key, val, HC_PROVIDER_TTL_DESIRED);
			json_object_put(val);
		} else
			hc_cache_fail(r, key, err, out->error);
	}
	if (!ok)
		goto fallback;
	out->error[0] = '\0';
	if (out->configured == HC_SOURCE_DO && (flags & HC_PROVIDER_ROLLOUT)) {
		/* Without the deployments the count still stands: the rollout stays unknown. */
		if ((deps = hc_do_deployments(p, r, flags, &e2, derr, sizeof(derr))) != NULL) {
			hc_provider_rollout_from(deps, out);
			json_object_put(deps);
		}
	}
	goto out;
fallback:
	out->failed = 1;
	out->err = err != HC_OK ? err : HC_ERR_HTTP;
	if (out->error[0] == '\0')
		snprintf(out->error, sizeof(out->error), "%s: failed",
		    hc_provider_source_label(out->configured));
	out->desired = out->ready = out->min = out->max = -1;
	out->rollout = HC_ROLLOUT_UNKNOWN;
	out->rollout_id[0] = out->rollout_phase[0] = '\0';
	out->rollout_since = out->rollout_updated = 0;
	if (s->desired_replicas >= 0) {
		out->source = HC_SOURCE_ENV;
		out->desired = s->desired_replicas;
	} else
		out->source = HC_SOURCE_NONE;
out:
	json_object_put(cached);
	free(key);
}

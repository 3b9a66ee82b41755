/* hc_provider: the desired count from the configured source, and the HTTP and keys the sources share. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "hc_fetch.h"
#include "hc_json.h"
#include "hc_provider_int.h"
#include "hc_settings.h"

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

enum hc_err
hc_provider_err(const struct hc_provider *p)
{
	return p->err;
}

const char *
hc_provider_errstr(const struct hc_provider *p)
{
	return p->errstr;
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

/* The "message" of an API error answer, made printable, into buf; "" if none. */
static void
hc_provider_api_message(const char *body, char *buf, size_t len)
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
char *
hc_provider_get(struct hc_provider *p, const char *who, const char *url,
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
		hc_err_set(err, errstr, errlen, e == HC_ERR_RANGE ? HC_ERR_HTTP : e,
		    "%s: GET %s: %s", who, what, why);
		return NULL;
	}
	if (f.status != 200) {
		hc_provider_api_message(f.body, msg, sizeof(msg));
		hc_err_set(err, errstr, errlen, f.status == 401 || f.status == 403 ? HC_ERR_AUTH :
		    HC_ERR_HTTP, "%s: GET %s answered HTTP %ld%s%s%s",
		    who, what, f.status, msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
		free(f.body);
		return NULL;
	}
	if (f.body == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_PARSE, "%s: GET %s: empty answer",
		    who, what);
		return NULL;
	}
	*err = HC_OK;
	return f.body;
}

char *
hc_provider_key(const struct hc_settings *s, const char *fmt, ...)
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

char *
hc_provider_url(struct hc_provider *p, const char *base, const char *path,
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

int
hc_provider_curl(struct hc_provider *p, enum hc_err *err, char *errstr, size_t errlen)
{
	if (p->curl == NULL && (p->curl = curl_easy_init()) == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "curl_easy_init failed");
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
	if (hc_json_add(o, "desired", json_object_new_int64(d->desired)) != 0 ||
	    hc_json_add(o, "ready", json_object_new_int64(d->ready)) != 0 ||
	    hc_json_add(o, "min", json_object_new_int64(d->min)) != 0 ||
	    hc_json_add(o, "max", json_object_new_int64(d->max)) != 0 ||
	    hc_json_add(o, "component", json_object_new_string(d->component)) != 0 ||
	    hc_json_add(o, "rollout", json_object_new_int((int)d->rollout)) != 0 ||
	    hc_json_add(o, "rollout_id", json_object_new_string(d->rollout_id)) != 0 ||
	    hc_json_add(o, "rollout_phase",
	    json_object_new_string(d->rollout_phase)) != 0 ||
	    hc_json_add(o, "rollout_since",
	    json_object_new_int64((int64_t)d->rollout_since)) != 0 ||
	    hc_json_add(o, "rollout_updated",
	    json_object_new_int64((int64_t)d->rollout_updated)) != 0) {
		json_object_put(o);
		return NULL;	/* not cached: the next call asks again */
	}
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
	if (hc_provider_curl(p, &err, out->error, sizeof(out->error)) != 0)
		goto fallback;
	if (out->configured == HC_SOURCE_DO)
		key = hc_provider_key(s, "digitalocean:%s/%s:desired", s->do_app_id,
		    s->do_component_name ? s->do_component_name : "");
	else
		key = hc_provider_key(s, "kubernetes:%s:desired", s->k8s_deployment);
	if (key == NULL) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		goto fallback;
	}
	hit = !(flags & HC_PROVIDER_FRESH) &&
	    hc_provider_cache_lookup(r, key, &cached, &err, out->error, sizeof(out->error));
	if (hit) {
		out->cached = 1;
		ok = cached != NULL && hc_desired_from(cached, out) == 0;
		if (cached != NULL && !ok)
			hit = 0;	/* an entry we cannot read: ask again */
	}
	if (!hit) {
		out->cached = 0;
		ok = (out->configured == HC_SOURCE_DO ?
		    hc_provider_do_fetch(p, out, &err, out->error, sizeof(out->error)) :
		    hc_provider_k8s_fetch(p, out, &err, out->error, sizeof(out->error))) == 0;
		if (ok) {
			if ((val = hc_desired_json(out)) != NULL)
				hc_provider_cache_ok(r, key, val, HC_PROVIDER_TTL_DESIRED);
			json_object_put(val);
		} else
			hc_provider_cache_fail(r, key, err, out->error);
	}
	if (!ok)
		goto fallback;
	out->error[0] = '\0';
	if (out->configured == HC_SOURCE_DO && (flags & HC_PROVIDER_ROLLOUT)) {
		/* Without the deployments the count still stands: the rollout stays unknown. */
		if ((deps = hc_provider_do_list(p, r, flags, &e2, derr, sizeof(derr))) != NULL) {
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

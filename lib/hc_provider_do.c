/* hc_provider_do: the DigitalOcean Apps API: desired count, deployments and metrics. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "hc_json.h"
#include "hc_provider_int.h"
#include "hc_settings.h"

int
hc_provider_do_fetch(struct hc_provider *p, struct hc_desired *d, enum hc_err *err,
    char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	char		*url = NULL, *body = NULL, perr[160];
	int		 rc = -1, autoscaled;
	enum hc_err	 herr;
	char		 hstr[256];

	if ((url = hc_provider_url(p, s->do_api_url, "/v2/apps/", s->do_app_id, NULL)) == NULL)
		goto nomem;
	if ((body = hc_provider_get(p, "DigitalOcean", url, "/v2/apps/{DO_APP_ID}",
	    s->do_api_token, NULL, err, errstr, errlen)) == NULL)
		goto out;
	if (hc_provider_parse_do_app(body, s->do_component_name, d, perr,
	    sizeof(perr)) != 0) {
		hc_err_set(err, errstr, errlen, HC_ERR_PARSE, "DigitalOcean: %s", perr);
		goto out;
	}
	free(body);
	free(url);
	body = NULL;
	autoscaled = d->min >= 0 || d->desired < 0;
	if ((url = hc_provider_url(p, s->do_api_url, "/v2/apps/", s->do_app_id, "/health")) == NULL)
		goto nomem;
	/*
	 * The health answer gives what the platform runs (replicas_ready);
	 * it is needed only for an autoscaled component's desired count.
	 */
	body = hc_provider_get(p, "DigitalOcean", url, "/v2/apps/{DO_APP_ID}/health",
	    s->do_api_token, NULL, &herr, hstr, sizeof(hstr));
	if (body == NULL || hc_provider_parse_do_health(body, d, perr,
	    sizeof(perr)) != 0) {
		d->ready = -1;
		if (autoscaled) {
			if (body == NULL)
				hc_err_set(err, errstr, errlen, herr, "%s", hstr);
			else
				hc_err_set(err, errstr, errlen, HC_ERR_PARSE,
				    "DigitalOcean: %s", perr);
			goto out;
		}
	}
	rc = 0;
	goto out;
nomem:
	hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "DigitalOcean: out of memory");
out:
	free(body);
	free(url);
	return rc;
}

/* ---------------------------------------------------------------- DO lists */

static int
hc_provider_do_check(const struct hc_settings *s, enum hc_err *err, char *errstr, size_t errlen)
{
	if (s->do_api_token == NULL && s->do_app_id == NULL)
		hc_err_set(err, errstr, errlen, HC_ERR_UNAVAILABLE,
		    "DigitalOcean is not configured: DO_API_TOKEN and DO_APP_ID are not set");
	else if (s->do_api_token == NULL)
		hc_err_set(err, errstr, errlen, HC_ERR_UNAVAILABLE,
		    "DigitalOcean is not configured: DO_API_TOKEN is not set");
	else if (s->do_app_id == NULL)
		hc_err_set(err, errstr, errlen, HC_ERR_UNAVAILABLE,
		    "DigitalOcean is not configured: DO_APP_ID is not set");
	else
		return 0;
	return -1;
}

/*
 * What every cached DigitalOcean answer starts with: the settings and
 * libcurl checked, then the cache looked up under key (made by the
 * caller, NULL without memory; *keyp takes it, the caller frees it).
 * Returns 1 when the call is answered: *val from the cache, or NULL with
 * *err set; 0 to go on and ask DigitalOcean.
 */
static int
hc_provider_do_begin(struct hc_provider *p, struct hc_redis *r, int flags,
    char *key, json_type want, char **keyp, json_object **val,
    enum hc_err *err, char *errstr, size_t errlen)
{
	*keyp = key;
	*val = NULL;
	if (hc_provider_do_check(p->s, err, errstr, errlen) != 0 ||
	    hc_provider_curl(p, err, errstr, errlen) != 0)
		return 1;
	if (key == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "out of memory");
		return 1;
	}
	return !(flags & HC_PROVIDER_FRESH) &&
	    hc_provider_cache_lookup_type(r, key, want, val, err, errstr, errlen);
}

/* The deployments array (new reference) from cache or DigitalOcean. */
json_object *
hc_provider_do_list(struct hc_provider *p, struct hc_redis *r, int flags,
    enum hc_err *err, char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	json_object	*arr = NULL;
	char		*key = NULL, *url = NULL, *body = NULL, perr[160];

	if (hc_provider_do_begin(p, r, flags, hc_provider_key(s,
	    "digitalocean:%s:deployments", s->do_app_id), json_type_array, &key,
	    &arr, err, errstr, errlen))
		goto out;
	if ((url = hc_provider_url(p, s->do_api_url, "/v2/apps/", s->do_app_id,
	    "/deployments?page=1&per_page=20")) == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((body = hc_provider_get(p, "DigitalOcean", url, "/v2/apps/{DO_APP_ID}/deployments",
	    s->do_api_token, NULL, err, errstr, errlen)) == NULL) {
		hc_provider_cache_fail(r, key, *err, errstr);
		goto out;
	}
	if ((arr = hc_provider_parse_do_deployments(body, perr, sizeof(perr))) == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_PARSE, "DigitalOcean: %s", perr);
		hc_provider_cache_fail(r, key, *err, errstr);
		goto out;
	}
	hc_provider_cache_ok(r, key, arr, HC_PROVIDER_TTL_DEPLOY);
out:
	free(body);
	free(url);
	free(key);
	return arr;
}

json_object *
hc_provider_deployments(struct hc_provider *p, struct hc_redis *r, int flags)
{
	json_object	*arr, *o;

	p->err = HC_OK;
	p->errstr[0] = '\0';
	if ((arr = hc_provider_do_list(p, r, flags, &p->err, p->errstr,
	    sizeof(p->errstr))) == NULL)
		return NULL;
	if ((o = json_object_new_object()) == NULL ||
	    hc_json_add(o, "source", json_object_new_string("digitalocean")) != 0 ||
	    hc_json_add(o, "deployments", arr) != 0) {
		if (o == NULL)
			json_object_put(arr);
		json_object_put(o);
		hc_err_set(&p->err, p->errstr, sizeof(p->errstr), HC_ERR_NOMEM,
		    "out of memory");
		return NULL;
	}
	return o;
}

/* One metric series over the last hour; a new array or NULL. */
static json_object *
hc_provider_do_series(struct hc_provider *p, const char *metric, time_t now,
    enum hc_err *err, char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	char		*url = NULL, *body = NULL, *eapp = NULL, *ecomp = NULL,
			 path[96], tail[512], perr[160];
	json_object	*arr = NULL;

	if ((eapp = curl_easy_escape(p->curl, s->do_app_id, 0)) == NULL ||
	    (s->do_component_name != NULL &&
	    (ecomp = curl_easy_escape(p->curl, s->do_component_name, 0)) == NULL)) {
		hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/v2/monitoring/metrics/apps/%s", metric);
	if ((size_t)snprintf(tail, sizeof(tail), "?app_id=%s%s%s&start=%lld&end=%lld",
	    eapp, ecomp ? "&app_component=" : "", ecomp ? ecomp : "",
	    (long long)(now - HC_PROVIDER_METRICS_WINDOW), (long long)now) >= sizeof(tail)) {
		hc_err_set(err, errstr, errlen, HC_ERR_UNAVAILABLE,
		    "DigitalOcean: DO_APP_ID or DO_COMPONENT_NAME too long");
		goto out;
	}
	if ((url = hc_provider_url(p, s->do_api_url, path, NULL, tail)) == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((body = hc_provider_get(p, "DigitalOcean", url, path, s->do_api_token, NULL,
	    err, errstr, errlen)) == NULL)
		goto out;
	if ((arr = hc_provider_parse_do_metrics(body, perr, sizeof(perr))) == NULL)
		hc_err_set(err, errstr, errlen, HC_ERR_PARSE, "DigitalOcean: %s: %s",
		    metric, perr);
out:
	curl_free(eapp);
	curl_free(ecomp);
	free(url);
	free(body);
	return arr;
}

json_object *
hc_provider_metrics(struct hc_provider *p, struct hc_redis *r, int flags)
{
	const struct hc_settings *s = p->s;
	json_object	*o = NULL, *cpu = NULL, *mem = NULL;
	char		*key = NULL, *errstr = p->errstr;
	enum hc_err	*err = &p->err;
	size_t		 errlen = sizeof(p->errstr);
	time_t		 now = time(NULL);

	p->err = HC_OK;
	p->errstr[0] = '\0';
	if (hc_provider_do_begin(p, r, flags, hc_provider_key(s,
	    "digitalocean:%s/%s:metrics", s->do_app_id,
	    s->do_component_name ? s->do_component_name : ""), json_type_object,
	    &key, &o, err, errstr, errlen))
		goto out;
	if ((cpu = hc_provider_do_series(p, "cpu_percentage", now, err, errstr, errlen)) == NULL ||
	    (mem = hc_provider_do_series(p, "memory_percentage", now, err, errstr, errlen)) == NULL) {
		hc_provider_cache_fail(r, key, *err, errstr);
		goto out;
	}
	/* hc_json_add consumes cpu and mem, added or not. */
	if ((o = json_object_new_object()) == NULL ||
	    hc_json_add(o, "source", json_object_new_string("digitalocean")) != 0)
		goto nomem;
	if (hc_json_add(o, "cpu_percent", cpu) != 0) {
		cpu = NULL;
		goto nomem;
	}
	cpu = NULL;
	if (hc_json_add(o, "memory_percent", mem) != 0) {
		mem = NULL;
		goto nomem;
	}
	mem = NULL;
	hc_provider_cache_ok(r, key, o, HC_PROVIDER_TTL_METRICS);
	goto out;
nomem:
	json_object_put(o);
	o = NULL;
	hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "out of memory");
out:
	json_object_put(cpu);
	json_object_put(mem);
	free(key);
	return o;
}


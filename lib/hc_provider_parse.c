/* hc_provider_parse: turns DigitalOcean and Kubernetes API answers into desired counts, rollouts and series. */
#include "config.h"
#include "hc_provider.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_time.h"

/* Deeper than any answer we read; guards json-c's recursion. */
#define HC_PP_DEPTH	64

static int
hc_pp_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
hc_pp_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A whole body as one strict JSON value (hc_json_parse), or NULL (reason in err). */
static json_object *
hc_pp_parse(const char *body, char *err, size_t errlen)
{
	json_object	*o = NULL;
	char		 why[256];

	if (body == NULL || *body == '\0') {
		hc_pp_fail(err, errlen, "empty answer");
		return NULL;
	}
	if (hc_json_parse(body, strlen(body), HC_PP_DEPTH, &o, why, sizeof(why)) != HC_OK) {
		hc_pp_fail(err, errlen, "answer is not JSON: %s", why);
		return NULL;
	}
	if (o == NULL)
		hc_pp_fail(err, errlen, "answer is the JSON null");
	return o;
}

static json_object *
hc_pp_get(json_object *o, const char *key, json_type type)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, type))
		return NULL;
	return v;
}

/* An integer member in [0, 1e9] (numbers only), or def when absent/invalid. */
static long
hc_pp_count(json_object *o, const char *key, long def)
{
	json_object	*v;
	int64_t		 n;

	if ((v = hc_pp_get(o, key, json_type_int)) == NULL)
		return def;
	n = json_object_get_int64(v);
	if (n < 0 || n > 1000000000)
		return def;
	return (long)n;
}

static const char *
hc_pp_str(json_object *o, const char *key)
{
	json_object	*v;

	if ((v = hc_pp_get(o, key, json_type_string)) == NULL)
		return NULL;
	return json_object_get_string(v);
}

static void
hc_pp_copy(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src == NULL ? "" : src);
}

/* An RFC 3339 member as time_t, 0 when absent or invalid. */
static time_t
hc_pp_time(json_object *o, const char *key)
{
	const char	*s;
	time_t		 t;

	if ((s = hc_pp_str(o, key)) == NULL || hc_time_parse(s, &t) != 0)
		return 0;
	return t;
}

/* The component named name in arr (array of objects with "name"), or NULL. */
static json_object *
hc_pp_named(json_object *arr, const char *name)
{
	size_t		 i, n;
	json_object	*c;
	const char	*cn;

	if (arr == NULL)
		return NULL;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(arr, i);
		if ((cn = hc_pp_str(c, "name")) != NULL && strcmp(cn, name) == 0)
			return c;
	}
	return NULL;
}

int
hc_provider_parse_do_app(const char *body, const char *component,
    struct hc_desired *out, char *err, size_t errlen)
{
	json_object	*root, *app, *spec, *svcs, *workers, *svc = NULL, *as;
	const char	*name;
	int		 rc = -1;

	if ((root = hc_pp_parse(body, err, errlen)) == NULL)
		return -1;
	app = hc_pp_get(root, "app", json_type_object);
	spec = hc_pp_get(app, "spec", json_type_object);
	if (spec == NULL) {
		hc_pp_fail(err, errlen, "app answer has no app.spec");
		goto out;
	}
	svcs = hc_pp_get(spec, "services", json_type_array);
	workers = hc_pp_get(spec, "workers", json_type_array);
	if (component != NULL && *component != '\0') {
		if ((svc = hc_pp_named(svcs, component)) == NULL &&
		    (svc = hc_pp_named(workers, component)) == NULL) {
			hc_pp_fail(err, errlen, "app spec has no service or "
			    "worker named \"%.64s\" (DO_COMPONENT_NAME)", component);
			goto out;
		}
	} else if (svcs != NULL && json_object_array_length(svcs) > 0)
		svc = json_object_array_get_idx(svcs, 0);
	else if (workers != NULL && json_object_array_length(workers) > 0)
		svc = json_object_array_get_idx(workers, 0);
	if (svc == NULL || (name = hc_pp_str(svc, "name")) == NULL) {
		hc_pp_fail(err, errlen, "app spec has no services");
		goto out;
	}
	hc_pp_copy(out->component, sizeof(out->component), name);
	out->min = out->max = -1;
	if ((as = hc_pp_get(svc, "autoscaling", json_type_object)) != NULL) {
		out->min = hc_pp_count(as, "min_instance_count", -1);
		out->max = hc_pp_count(as, "max_instance_count", -1);
	}
	/*
	 * An autoscaled component has no fixed count: the health answer's
	 * replicas_desired tells.  Without either, App Platform runs one.
	 */
	out->desired = hc_pp_count(svc, "instance_count", -1);
	if (out->desired < 0 && out->min < 0)
		out->desired = 1;
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

int
hc_provider_parse_do_health(const char *body, struct hc_desired *out,
    char *err, size_t errlen)
{
	json_object	*root, *comps, *c, *ah;
	long		 want, ready;
	int		 rc = -1;

	if ((root = hc_pp_parse(body, err, errlen)) == NULL)
		return -1;
	/* The API answers {"components":[...]}; some versions wrap it in app_health. */
	if ((comps = hc_pp_get(root, "components", json_type_array)) == NULL &&
	    (ah = hc_pp_get(root, "app_health", json_type_object)) != NULL)
		comps = hc_pp_get(ah, "components", json_type_array);
	if (comps == NULL) {
		hc_pp_fail(err, errlen, "health answer has no components");
		goto out;
	}
	if ((c = hc_pp_named(comps, out->component)) == NULL) {
		hc_pp_fail(err, errlen, "health answer has no component \"%.64s\"",
		    out->component);
		goto out;
	}
	want = hc_pp_count(c, "replicas_desired", -1);
	ready = hc_pp_count(c, "replicas_ready", -1);
	out->ready = ready;
	if (out->desired < 0 || out->min >= 0) {
		if (want < 0) {
			hc_pp_fail(err, errlen, "health answer has no "
			    "replicas_desired for \"%.64s\"", out->component);
			goto out;
		}
		out->desired = want;
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

int
hc_provider_parse_k8s(const char *body, struct hc_desired *out, char *err,
    size_t errlen)
{
	json_object	*root, *meta, *spec, *status, *conds, *c, *prog = NULL;
	const char	*ns, *name, *type, *reason;
	long		 replicas, cur, updated, available, gen, ogen;
	size_t		 i, n;
	int		 rc = -1;

	if ((root = hc_pp_parse(body, err, errlen)) == NULL)
		return -1;
	meta = hc_pp_get(root, "metadata", json_type_object);
	spec = hc_pp_get(root, "spec", json_type_object);
	status = hc_pp_get(root, "status", json_type_object);
	if (meta == NULL || spec == NULL) {
		hc_pp_fail(err, errlen, "deployment answer has no metadata or spec");
		goto out;
	}
	ns = hc_pp_str(meta, "namespace");
	name = hc_pp_str(meta, "name");
	if (name != NULL)
		snprintf(out->component, sizeof(out->component), "%.60s%s%.90s",
		    ns != NULL ? ns : "", ns != NULL ? "/" : "", name);
	/* The API server defaults spec.replicas to 1; zero-valued status fields are omitted. */
	replicas = hc_pp_count(spec, "replicas", 1);
	cur = hc_pp_count(status, "replicas", 0);
	updated = hc_pp_count(status, "updatedReplicas", 0);
	available = hc_pp_count(status, "availableReplicas", 0);
	gen = hc_pp_count(meta, "generation", 0);
	ogen = hc_pp_count(status, "observedGeneration", 0);
	out->desired = replicas;
	out->ready = hc_pp_count(status, "readyReplicas", 0);
	out->min = out->max = -1;
	snprintf(out->rollout_id, sizeof(out->rollout_id), "generation %ld", gen);

	conds = hc_pp_get(status, "conditions", json_type_array);
	n = conds != NULL ? json_object_array_length(conds) : 0;
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(conds, i);
		if ((type = hc_pp_str(c, "type")) != NULL &&
		    strcmp(type, "Progressing") == 0)
			prog = c;
	}
	reason = hc_pp_str(prog, "reason");
	hc_pp_copy(out->rollout_phase, sizeof(out->rollout_phase),
	    reason != NULL ? reason : "");
	out->rollout_since = hc_pp_time(prog, "lastTransitionTime");
	out->rollout_updated = hc_pp_time(prog, "lastUpdateTime");
	/* The same tests as `kubectl rollout status`. */
	if (reason != NULL && strcmp(reason, "ProgressDeadlineExceeded") == 0)
		out->rollout = HC_ROLLOUT_FAILED;
	else if (ogen < gen || updated < replicas || cur > updated ||
	    available < updated)
		out->rollout = HC_ROLLOUT_PROGRESS;
	else
		out->rollout = HC_ROLLOUT_DONE;
	if (out->rollout_phase[0] == '\0')
		hc_pp_copy(out->rollout_phase, sizeof(out->rollout_phase),
		    out->rollout == HC_ROLLOUT_PROGRESS ? "Progressing" : "Complete");
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* Adds key as an RFC 3339 string (normalised to seconds, UTC) or null. */
static int
hc_pp_add_time(json_object *dst, const char *key, json_object *src)
{
	char		 buf[HC_TIME_BUFSZ];
	time_t		 t;
	json_object	*v = NULL;

	if ((t = hc_pp_time(src, key)) != 0 &&
	    (v = json_object_new_string(hc_time_fmt(t, buf))) == NULL)
		return -1;
	return json_object_object_add(dst, key, v);
}

static int
hc_pp_add_str(json_object *dst, const char *key, json_object *src)
{
	const char	*s;
	json_object	*v = NULL;

	if ((s = hc_pp_str(src, key)) != NULL &&
	    (v = json_object_new_string(s)) == NULL)
		return -1;
	return json_object_object_add(dst, key, v);
}

static int
hc_pp_by_created_desc(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;
	const char	*sx, *sy;
	time_t		 tx = 0, ty = 0;

	if ((sx = hc_pp_str(*x, "created_at")) != NULL)
		hc_time_parse(sx, &tx);
	if ((sy = hc_pp_str(*y, "created_at")) != NULL)
		hc_time_parse(sy, &ty);
	return tx < ty ? 1 : tx > ty ? -1 : 0;
}

json_object *
hc_provider_parse_do_deployments(const char *body, char *err, size_t errlen)
{
	json_object	*root, *deps, *arr = NULL, *d, *o;
	size_t		 i, n;

	if ((root = hc_pp_parse(body, err, errlen)) == NULL)
		return NULL;
	if ((deps = hc_pp_get(root, "deployments", json_type_array)) == NULL) {
		/* An app never deployed answers {} or "deployments": null. */
		if (json_object_is_type(root, json_type_object)) {
			json_object_put(root);
			if ((arr = json_object_new_array()) == NULL)
				hc_pp_fail(err, errlen, "out of memory");
			return arr;
		}
		hc_pp_fail(err, errlen, "deployments answer is not an object");
		goto out;
	}
	if ((arr = json_object_new_array()) == NULL)
		goto nomem;
	n = json_object_array_length(deps);
	for (i = 0; i < n; i++) {
		d = json_object_array_get_idx(deps, i);
		if (hc_pp_str(d, "id") == NULL)
			continue;
		if ((o = json_object_new_object()) == NULL)
			goto nomem;
		if (json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			goto nomem;
		}
		if (hc_pp_add_str(o, "id", d) != 0 ||
		    hc_pp_add_str(o, "phase", d) != 0 ||
		    hc_pp_add_str(o, "cause", d) != 0 ||
		    hc_pp_add_time(o, "created_at", d) != 0 ||
		    hc_pp_add_time(o, "updated_at", d) != 0)
			goto nomem;
	}
	json_object_array_sort(arr, hc_pp_by_created_desc);
	goto out;
nomem:
	hc_pp_fail(err, errlen, "out of memory");
	json_object_put(arr);
	arr = NULL;
out:
	json_object_put(root);
	return arr;
}

void
hc_provider_rollout_from(json_object *deps, struct hc_desired *out)
{
	json_object	*d;
	const char	*phase, *id;

	out->rollout = HC_ROLLOUT_UNKNOWN;
	if (deps == NULL || !json_object_is_type(deps, json_type_array) ||
	    json_object_array_length(deps) == 0)
		return;
	d = json_object_array_get_idx(deps, 0);
	id = hc_pp_str(d, "id");
	phase = hc_pp_str(d, "phase");
	hc_pp_copy(out->rollout_id, sizeof(out->rollout_id), id);
	hc_pp_copy(out->rollout_phase, sizeof(out->rollout_phase), phase);
	out->rollout_since = hc_pp_time(d, "created_at");
	out->rollout_updated = hc_pp_time(d, "updated_at");
	if (phase == NULL)
		return;
	if (strcmp(phase, "ACTIVE") == 0 || strcmp(phase, "SUPERSEDED") == 0)
		out->rollout = HC_ROLLOUT_DONE;
	else if (strcmp(phase, "ERROR") == 0 || strcmp(phase, "CANCELED") == 0)
		out->rollout = HC_ROLLOUT_FAILED;
	else if (strcmp(phase, "PENDING_BUILD") == 0 ||
	    strcmp(phase, "BUILDING") == 0 ||
	    strcmp(phase, "PENDING_DEPLOY") == 0 ||
	    strcmp(phase, "DEPLOYING") == 0)
		out->rollout = HC_ROLLOUT_PROGRESS;
}

struct hc_pp_point {
	double	 t;
	double	 v;
};

static int
hc_pp_by_t(const void *a, const void *b)
{
	const struct hc_pp_point *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t ? 1 : 0;
}

/* A sample value: DO sends strings ("5.0166"), tolerate numbers. */
static int
hc_pp_number(json_object *v, double *out)
{
	const char	*s;
	char		*end;

	if (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)) {
		*out = json_object_get_double(v);
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		errno = 0;
		*out = strtod(s, &end);
		if (end == s || *end != '\0' || errno != 0)
			return -1;
	} else
		return -1;
	return isfinite(*out) ? 0 : -1;
}

json_object *
hc_provider_parse_do_metrics(const char *body, char *err, size_t errlen)
{
	json_object		*root, *data, *res, *vals, *pair, *arr = NULL, *o;
	struct hc_pp_point	*pts = NULL, *np;
	size_t			 npts = 0, cap = 0, i, j, k, ns, nv;
	const char		*st;
	char			 buf[HC_TIME_BUFSZ];
	double			 sum, t;

	if ((root = hc_pp_parse(body, err, errlen)) == NULL)
		return NULL;
	if ((st = hc_pp_str(root, "status")) != NULL && strcmp(st, "success") != 0) {
		hc_pp_fail(err, errlen, "metrics answer has status \"%.32s\"", st);
		goto out;
	}
	data = hc_pp_get(root, "data", json_type_object);
	if ((res = hc_pp_get(data, "result", json_type_array)) == NULL) {
		hc_pp_fail(err, errlen, "metrics answer has no data.result");
		goto out;
	}
	ns = json_object_array_length(res);
	for (i = 0; i < ns; i++) {
		vals = hc_pp_get(json_object_array_get_idx(res, i), "values",
		    json_type_array);
		nv = vals != NULL ? json_object_array_length(vals) : 0;
		for (j = 0; j < nv; j++) {
			struct hc_pp_point p;

			pair = json_object_array_get_idx(vals, j);
			if (!json_object_is_type(pair, json_type_array) ||
			    json_object_array_length(pair) != 2 ||
			    hc_pp_number(json_object_array_get_idx(pair, 0), &p.t) != 0 ||
			    hc_pp_number(json_object_array_get_idx(pair, 1), &p.v) != 0 ||
			    p.t < 0 || p.t > 253402300799.0)
				continue;
			p.t = floor(p.t);
			if (npts == cap) {
				cap = cap ? cap * 2 : 64;
				if ((np = realloc(pts, cap * sizeof(*pts))) == NULL)
					goto nomem;
				pts = np;
			}
			pts[npts++] = p;
		}
	}
	if (npts > 0)
		qsort(pts, npts, sizeof(*pts), hc_pp_by_t);
	if ((arr = json_object_new_array()) == NULL)
		goto nomem;
	/* Several series (one per instance) become one: their mean at each t. */
	for (i = 0; i < npts; i = k) {
		t = pts[i].t;
		sum = 0;
		for (k = i; k < npts && pts[k].t == t; k++)
			sum += pts[k].v;
		if ((o = json_object_new_object()) == NULL)
			goto nomem;
		if (json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			goto nomem;
		}
		if (json_object_object_add(o, "t", json_object_new_string(
		    hc_time_fmt((time_t)t, buf))) != 0 ||
		    json_object_object_add(o, "value",
		    hc_json_double(sum / (double)(k - i), 3)) != 0)
			goto nomem;
	}
	goto out;
nomem:
	hc_pp_fail(err, errlen, "out of memory");
	json_object_put(arr);
	arr = NULL;
out:
	free(pts);
	json_object_put(root);
	return arr;
}

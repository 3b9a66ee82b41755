/* headcount-instances: heartbeats, deregistration and the instance list of the fleet. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_app.h"
#include "hc_fleet.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_provider.h"
#include "hc_registry.h"
#include "hc_settings.h"

static struct hc_fleet *
instances_state(struct hc_ctx *ctx)
{
	return ctx->state;
}

/* A Redis failure is the server's problem, never the client's: 503, logged once here (the pipeline counts it). */
static void
instances_unavailable(struct hc_req *req, struct hc_ctx *ctx)
{
	hc_log(HC_LOG_ERROR, "%s", hc_registry_errstr(instances_state(ctx)->reg));
	hc_resp_problem(req, 503, "Retry-After: 1\r\n",
	    "the instance registry (Redis) is unavailable");
}

/*
 * The body of a heartbeat, checked field by field: instance_id (required),
 * hostname (optional string), meta (optional flat object).  Returns 0
 * with the fields pointing into body, or -1 with a client-safe reason.
 */
static int
instances_parse(json_object *body, const char **id, const char **hostname,
    json_object **meta, char *why, size_t whylen)
{
	json_object	*v;

	*id = *hostname = NULL;
	*meta = NULL;
	if (!json_object_is_type(body, json_type_object)) {
		snprintf(why, whylen, "the body must be a JSON object");
		return -1;
	}
	if (!json_object_object_get_ex(body, "instance_id", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(why, whylen, "instance_id (a string) is required");
		return -1;
	}
	*id = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(*id) ||
	    !hc_registry_id_valid(*id)) {
		snprintf(why, whylen, "instance_id must match "
		    "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
		return -1;
	}
	if (json_object_object_get_ex(body, "hostname", &v)) {
		size_t len = (size_t)json_object_get_string_len(v);

		if (!json_object_is_type(v, json_type_string) || len == 0 ||
		    len > HC_HOSTNAME_MAX ||
		    strlen(json_object_get_string(v)) != len) {
			snprintf(why, whylen, "hostname must be a string of 1 to %d bytes",
			    HC_HOSTNAME_MAX);
			return -1;
		}
		*hostname = json_object_get_string(v);
	}
	if (json_object_object_get_ex(body, "meta", &v)) {
		/* "meta": null is a meta that is not an object, not an absent one. */
		if (v == NULL) {
			snprintf(why, whylen, "meta must be a JSON object");
			return -1;
		}
		if (!hc_registry_meta_valid(v, why, whylen))
			return -1;
		*meta = v;
	}
	return 0;
}

static void
instances_heartbeat(struct hc_req *req, struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	json_object	*body, *o = NULL;
	json_object	*meta;
	const char	*id, *hostname;
	char		 why[256];
	int		 registered = 0;

	if ((body = hc_req_json(req, why, sizeof(why))) == NULL) {
		hc_resp_problem(req, 400, NULL, "malformed JSON: %s", why);
		return;
	}
	if (instances_parse(body, &id, &hostname, &meta, why, sizeof(why)) == -1) {
		hc_resp_problem(req, 400, NULL, "%s", why);
		goto out;
	}
	switch (hc_registry_heartbeat(instances_state(ctx)->reg, id, hostname,
	    meta, &registered, NULL)) {
	case HC_OK:
		break;
	case HC_ERR_INVALID:
		hc_resp_problem(req, 400, NULL, "invalid heartbeat");
		goto out;
	case HC_ERR_NOMEM:
		hc_resp_problem(req, 500, NULL, "out of memory");
		goto out;
	default:
		instances_unavailable(req, ctx);
		goto out;
	}
	hc_metrics_count(HC_METRIC_HEARTBEATS, 1);
	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "instance_id", json_object_new_string(id)) ||
	    json_object_object_add(o, "registered", json_object_new_boolean(registered)) ||
	    json_object_object_add(o, "ttl_seconds", json_object_new_int64(s->ttl)) ||
	    json_object_object_add(o, "heartbeat_interval_seconds",
	    json_object_new_int64(s->ttl / 3 > 1 ? s->ttl / 3 : 1)) ||
	    hc_resp_json(req, 200, o) == -1) {
		if (!req->headers_sent)
			hc_resp_problem(req, 500, NULL, "out of memory");
	}
out:
	json_object_put(o);
	json_object_put(body);
}

static void
instances_delete(struct hc_req *req, struct hc_ctx *ctx)
{
	const char	*id = req->ncap > 0 ? req->cap[0] : "";

	/* An instance token speaks for itself only (API.md, Auth). */
	if (req->claims.role == HC_ROLE_INSTANCE && strcmp(req->claims.sub, id) != 0) {
		hc_resp_problem(req, 403, NULL, "an instance token may deregister "
		    "only its own id (\"%.128s\")", req->claims.sub);
		return;
	}
	switch (hc_registry_remove(instances_state(ctx)->reg, id)) {
	case HC_OK:
		hc_resp_empty(req, 204, NULL);
		break;
	case HC_ERR_NOTFOUND:
		hc_resp_problem(req, 404, NULL, "no registered instance \"%.128s\"",
		    hc_registry_id_valid(id) ? id : "(invalid id)");
		break;
	default:
		instances_unavailable(req, ctx);
		break;
	}
}

/* The desired count: DESIRED_REPLICAS, or the provider's answer cached in Redis. */
static long
instances_desired(struct hc_ctx *ctx)
{
	struct hc_fleet *st = instances_state(ctx);
	struct hc_desired d;

	/* DESIRED_REPLICAS is answered without I/O; a remote source from its cache */
	hc_provider_desired(st->prov, ctx->redis, 0, &d);
	return d.desired;
}

static void
instances_list(struct hc_req *req, struct hc_ctx *ctx)
{
	struct hc_registry_list l;
	json_object	*o = NULL, *a = NULL;
	long		 desired;

	if (hc_registry_list(instances_state(ctx)->reg, &l) != HC_OK) {
		hc_registry_list_free(&l);
		instances_unavailable(req, ctx);
		return;
	}
	desired = instances_desired(ctx);
	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "desired_replicas",
	    desired < 0 ? NULL : json_object_new_int64(desired)) ||
	    json_object_object_add(o, "active_instances",
	    json_object_new_int64((int64_t)l.active)) ||
	    json_object_object_add(o, "stale_instances",
	    json_object_new_int64((int64_t)l.stale)) ||
	    (a = hc_registry_list_json(&l)) == NULL)
		goto fail;
	if (json_object_object_add(o, "registered_instances", a)) {
		json_object_put(a);
		goto fail;
	}
	if (hc_resp_json(req, 200, o) == -1 && !req->headers_sent)
		hc_resp_problem(req, 500, NULL, "could not write the answer");
	goto out;
fail:
	hc_resp_problem(req, 500, NULL, "out of memory");
out:
	json_object_put(o);
	hc_registry_list_free(&l);
}

static const struct hc_route routes[] = {
	{ "POST", "/api/v1/instances/heartbeat", HC_AUTH_FLEET, instances_heartbeat },
	{ "DELETE", "/api/v1/instances/{id}", HC_AUTH_FLEET, instances_delete },
	{ "GET", "/api/v1/health/instances", HC_AUTH_USER, instances_list },
	{ NULL, NULL, 0, NULL }
};

static const struct hc_app app = {
	"instances", routes, hc_fleet_init, hc_fleet_fini, HC_APP_CURL, NULL, 0
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &app);
}

/* headcount-instances: heartbeats, deregistration and the instance list of the fleet. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_app.h"
#include "hc_fleet.h"
#include "hc_http.h"
#include "hc_json.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_param.h"
#include "hc_provider.h"
#include "hc_registry.h"
#include "hc_settings.h"
#include "hc_valid.h"

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

/* The heartbeat's body, declared once: the pipeline checks it before the handler. */
enum { HB_INSTANCE_ID, HB_HOSTNAME, HB_META };
static const struct hc_param heartbeat_params[] = {
	[HB_INSTANCE_ID] = { .in = HC_IN_BODY, .name = "instance_id", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_valid_instance_id,
	    .rule = HC_VALID_INSTANCE_ID_RULE },
	[HB_HOSTNAME] = { .in = HC_IN_BODY, .name = "hostname", .type = HC_PT_STR,
	    .min = 1, .max = HC_HOSTNAME_MAX },
	[HB_META] = { .in = HC_IN_BODY, .name = "meta", .type = HC_PT_OBJECT,
	    .flags = HC_PARAM_FLAT, .min = 0, .max = HC_META_MAX_KEYS },
	{ 0 }
};

static void
instances_heartbeat(struct hc_req *req, struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	const char	*id = req->val[HB_INSTANCE_ID].s;
	json_object	*o = NULL;
	int		 registered = 0;

	switch (hc_registry_heartbeat(instances_state(ctx)->reg, id,
	    req->val[HB_HOSTNAME].s, req->val[HB_META].o, &registered, NULL)) {
	case HC_OK:
		break;
	case HC_ERR_NOMEM:
		hc_resp_problem(req, 500, NULL, "out of memory");
		return;
	default:
		instances_unavailable(req, ctx);
		return;
	}
	hc_metrics_count(HC_METRIC_HEARTBEATS, 1);
	if ((o = json_object_new_object()) == NULL ||
	    hc_json_add(o, "instance_id", json_object_new_string(id)) ||
	    hc_json_add(o, "registered", json_object_new_boolean(registered)) ||
	    hc_json_add(o, "ttl_seconds", json_object_new_int64(s->ttl)) ||
	    hc_json_add(o, "heartbeat_interval_seconds",
	    json_object_new_int64(s->ttl / 3 > 1 ? s->ttl / 3 : 1)) ||
	    hc_resp_json(req, 200, o) == -1) {
		if (!req->headers_sent)
			hc_resp_problem(req, 500, NULL, "out of memory");
	}
	json_object_put(o);
}

enum { DEL_ID };
static const struct hc_param delete_params[] = {
	[DEL_ID] = { .in = HC_IN_PATH, .name = "id", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_valid_instance_id,
	    .rule = HC_VALID_INSTANCE_ID_RULE },
	{ 0 }
};

static void
instances_delete(struct hc_req *req, struct hc_ctx *ctx)
{
	const char	*id = req->val[DEL_ID].s;

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
		hc_resp_problem(req, 404, NULL, "no registered instance \"%s\"", id);
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
	json_object	*o = NULL;
	long		 desired;

	if (hc_registry_list(instances_state(ctx)->reg, &l) != HC_OK) {
		hc_registry_list_free(&l);
		instances_unavailable(req, ctx);
		return;
	}
	desired = instances_desired(ctx);
	/* hc_json_add puts a value it could not add: nothing leaks */
	if ((o = json_object_new_object()) == NULL ||
	    (desired < 0 ? json_object_object_add(o, "desired_replicas", NULL) != 0 :
	    hc_json_add(o, "desired_replicas", json_object_new_int64(desired)) != HC_OK) ||
	    hc_json_add(o, "active_instances", json_object_new_int64((int64_t)l.active)) ||
	    hc_json_add(o, "stale_instances", json_object_new_int64((int64_t)l.stale)) ||
	    hc_json_add(o, "registered_instances", hc_registry_list_json(&l)))
		goto fail;
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
	{ "POST", "/api/v1/instances/heartbeat", HC_AUTH_FLEET, instances_heartbeat,
	    heartbeat_params },
	{ "DELETE", "/api/v1/instances/{id}", HC_AUTH_FLEET, instances_delete,
	    delete_params },
	{ "GET", "/api/v1/health/instances", HC_AUTH_USER, instances_list },
	{ 0 }
};

static const struct hc_app app = {
	"instances", routes, hc_fleet_init, hc_fleet_fini, HC_APP_CURL, NULL, 0
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &app);
}

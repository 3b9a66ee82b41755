/* headcount-monitoring: the replicas summary and recommendations, refresh, DigitalOcean deployments and metrics, and the history report. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "hc_app.h"
#include "hc_fleet.h"
#include "hc_history.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_param.h"
#include "hc_provider.h"
#include "hc_redis.h"
#include "hc_registry.h"
#include "hc_replicas.h"
#include "hc_settings.h"
#include "hc_time.h"

/* The ids of the stale instances of l, malloc'd (free with monitoring_ids_free). */
struct monitoring_ids {
	char		**v;
	size_t		 n;
};

static void
monitoring_ids_free(struct monitoring_ids *ids)
{
	size_t	 i;

	for (i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
	ids->v = NULL;
	ids->n = 0;
}

static int
monitoring_stale_ids(const struct hc_registry_list *l, struct monitoring_ids *ids)
{
	size_t	 i;

	ids->v = NULL;
	ids->n = 0;
	if (l->stale == 0)
		return 0;
	if ((ids->v = calloc(l->stale, sizeof(*ids->v))) == NULL)
		return -1;
	for (i = 0; i < l->n && ids->n < l->stale; i++) {
		if (!l->v[i].stale)
			continue;
		if ((ids->v[ids->n] = strndup(l->v[i].id, l->v[i].id_len)) == NULL) {
			monitoring_ids_free(ids);
			return -1;
		}
		ids->n++;
	}
	return 0;
}

/* A Redis failure is the server's problem: 503, logged here (the pipeline counts it). */
static void
monitoring_unavailable(struct hc_req *req, struct hc_fleet *st)
{
	hc_log(HC_LOG_ERROR, "%s", hc_registry_errstr(st->reg));
	hc_resp_problem(req, 503, "Retry-After: 1\r\n",
	    "the instance registry (Redis) is unavailable");
}

/*
 * Reads the registry and the desired count and stores the status (so
 * that mismatch_since is the same on every node).  On success *summary
 * is the summary object and, when want_full, *instances and *recs are
 * set too; the caller puts them.  Returns 0, 503 or 500 (answered here).
 */
static int
monitoring_build(struct hc_req *req, struct hc_ctx *ctx, int flags,
    int want_full, json_object **summary, json_object **instances,
    json_object **recs)
{
	struct hc_fleet	*st = ctx->state;
	struct hc_registry_list	 l;
	struct hc_replica_status rs;
	struct hc_desired	 d;
	struct hc_replicas_view	 v;
	struct monitoring_ids	 ids = { NULL, 0 };
	int			 rc = 500;

	*summary = NULL;
	if (instances != NULL)
		*instances = NULL;
	if (recs != NULL)
		*recs = NULL;
	memset(&l, 0, sizeof(l));
	if (hc_registry_list(st->reg, &l) != HC_OK) {
		monitoring_unavailable(req, st);
		rc = 503;
		goto out;
	}
	hc_provider_desired(st->prov, ctx->redis, flags | HC_PROVIDER_ROLLOUT, &d);
	if (d.failed)
		hc_log(HC_LOG_WARN, "desired count: %s (using %s)", d.error,
		    hc_source_name(d.source));
	if (hc_registry_status_update(st->reg, d.desired, (long)l.active, &rs) != HC_OK) {
		monitoring_unavailable(req, st);
		rc = 503;
		goto out;
	}
	if (monitoring_stale_ids(&l, &ids) != 0)
		goto nomem;
	memset(&v, 0, sizeof(v));
	v.desired = &d;
	v.status = rs.status;
	v.active = (long)l.active;
	v.stale = (long)l.stale;
	v.stale_ids = (const char *const *)ids.v;
	v.nstale_ids = ids.n;
	v.self_preservation = l.self_preservation;
	v.mismatch_since_ms = rs.mismatch_since_ms;
	v.now_ms = l.now_ms;
	v.ttl = ctx->settings->ttl;
	v.prune_after = ctx->settings->prune_after;
	v.stuck_after = ctx->settings->deploy_stuck_seconds;
	v.do_app_id = ctx->settings->do_app_id;
	if ((*summary = hc_replicas_summary_json(&v)) == NULL)
		goto nomem;
	if (want_full && ((*instances = hc_registry_list_json(&l)) == NULL ||
	    (*recs = hc_replicas_recommend(&v)) == NULL))
		goto nomem;
	rc = 0;
	goto out;
nomem:
	hc_resp_problem(req, 500, NULL, "out of memory");
	json_object_put(*summary);
	*summary = NULL;
	if (instances != NULL) {
		json_object_put(*instances);
		*instances = NULL;
	}
out:
	monitoring_ids_free(&ids);
	hc_registry_list_free(&l);
	return rc;
}

/* One member of an answer object, for monitoring_answer. */
struct monitoring_member {
	const char	*key;
	json_object	*val;
};

/*
 * Answers 200 with an object of the n members m; takes every m[i].val
 * (put here, whatever happens) and answers 500 when short of memory.
 */
static void
monitoring_answer(struct hc_req *req, struct monitoring_member *m, size_t n)
{
	json_object	*o;
	size_t		 i;

	/* Each value moves into o once added; until then it is ours to put. */
	if ((o = json_object_new_object()) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (json_object_object_add(o, m[i].key, m[i].val) != 0)
			goto fail;
		m[i].val = NULL;
	}
	if (hc_resp_json(req, 200, o) == -1 && !req->headers_sent)
		goto fail;
	goto out;
fail:
	hc_resp_problem(req, 500, NULL, "out of memory");
out:
	for (i = 0; i < n; i++)
		json_object_put(m[i].val);
	json_object_put(o);
}

static void
monitoring_replicas(struct hc_req *req, struct hc_ctx *ctx)
{
	struct monitoring_member m[3];

	if (monitoring_build(req, ctx, 0, 1, &m[0].val, &m[1].val, &m[2].val) != 0)
		return;
	m[0].key = "summary";
	m[1].key = "instances";
	m[2].key = "recommendations";
	monitoring_answer(req, m, 3);
}

static void
monitoring_refresh(struct hc_req *req, struct hc_ctx *ctx)
{
	struct hc_fleet	*st = ctx->state;
	struct hc_registry_tick	 t;
	struct monitoring_member m[2];
	json_object		*pruned = NULL, *s;
	size_t			 i;

	memset(&t, 0, sizeof(t));
	/* An owner's word overrides self-preservation: every stale instance goes. */
	if (hc_registry_prune_stale(st->reg, &t) != HC_OK) {
		hc_registry_tick_free(&t);
		monitoring_unavailable(req, st);
		return;
	}
	if (t.npruned > 0)
		hc_log(HC_LOG_INFO, "refresh by %s pruned %zu stale instance%s",
		    req->claims.sub, t.npruned, t.npruned == 1 ? "" : "s");
	if ((pruned = json_object_new_array()) == NULL)
		goto fail;
	for (i = 0; i < t.npruned; i++) {
		if ((s = json_object_new_string(t.pruned[i])) == NULL)
			goto fail;
		if (json_object_array_add(pruned, s) != 0) {
			json_object_put(s);
			goto fail;
		}
	}
	if (monitoring_build(req, ctx, HC_PROVIDER_FRESH, 0, &m[1].val, NULL, NULL) != 0)
		goto out;
	m[0].key = "pruned";
	m[0].val = pruned;
	pruned = NULL;
	m[1].key = "summary";
	monitoring_answer(req, m, 2);
	goto out;
fail:
	hc_resp_problem(req, 500, NULL, "out of memory");
out:
	json_object_put(pruned);
	hc_registry_tick_free(&t);
}

/* The provider's DigitalOcean calls (deployments, metrics). */
typedef json_object *(*monitoring_do_fn)(struct hc_provider *, struct hc_redis *,
    int, enum hc_err *, char *, size_t);

/* Answers a DigitalOcean list from fn, or the problem for why there is none. */
static void
monitoring_do_answer(struct hc_req *req, struct hc_ctx *ctx, monitoring_do_fn fn)
{
	struct hc_fleet	*st = ctx->state;
	enum hc_err		 err = HC_OK;
	char			 errstr[256] = "";
	json_object		*o;

	if ((o = fn(st->prov, ctx->redis, 0, &err, errstr, sizeof(errstr))) != NULL) {
		if (hc_resp_json(req, 200, o) == -1 && !req->headers_sent)
			hc_resp_problem(req, 500, NULL, "could not write the answer");
		json_object_put(o);
		return;
	}
	switch (err) {
	case HC_ERR_INVALID:
		hc_resp_problem(req, 503, NULL, "%s", errstr);
		break;
	case HC_ERR_NOMEM:
		hc_resp_problem(req, 500, NULL, "out of memory");
		break;
	default:
		/* Unreachable, refusing or answering nonsense: a bad gateway. */
		hc_log(HC_LOG_WARN, "%s", errstr);
		hc_resp_problem(req, 502, NULL, "%s", errstr);
		break;
	}
}

static void
monitoring_deployments(struct hc_req *req, struct hc_ctx *ctx)
{
	monitoring_do_answer(req, ctx, hc_provider_deployments);
}

static void
monitoring_metrics(struct hc_req *req, struct hc_ctx *ctx)
{
	monitoring_do_answer(req, ctx, hc_provider_metrics);
}

/* ------------------------------------------------------------------ history */

/* The report's input, declared: the pipeline answers every 400 of API.md but "from after to" and the point limit. */
enum history_param { HQ_FROM, HQ_TO, HQ_STEP, HQ_FORMAT, HQ_MAX };
static const struct hc_param history_params[] = {
	[HQ_FROM] = { .in = HC_IN_QUERY, .name = "from", .type = HC_PT_TIME },
	[HQ_TO] = { .in = HC_IN_QUERY, .name = "to", .type = HC_PT_TIME },
	[HQ_STEP] = { .in = HC_IN_QUERY, .name = "step", .type = HC_PT_INT,
	    .min = 1, .max = HC_HISTORY_MAX_STEP, .def = "300" },
	[HQ_FORMAT] = { .in = HC_IN_QUERY, .name = "format", .type = HC_PT_ENUM,
	    .def = "json", .choices = "json|csv" },
	{ 0 }
};

/* The declared values as a range (to: now, from: 24 h before to, when absent). */
static int
history_range(const struct hc_req *req, struct hc_history_range *r, char *why,
    size_t whylen)
{
	long long	 now = (long long)time(NULL), to, from;

	to = req->val[HQ_TO].set == HC_PVAL_GIVEN ? req->val[HQ_TO].t : now;
	from = req->val[HQ_FROM].set == HC_PVAL_GIVEN ? req->val[HQ_FROM].t : to - 86400;
	return hc_history_range_make(from, to, (long)req->val[HQ_STEP].i, now, r, why, whylen);
}

/*
 * A read-only handle on the local history file for one request.  Held
 * only while a report is read: between requests nothing of the data
 * directory is open, so it can be remounted, backed up or replaced.
 * Returns 0 with *h set, NULL when the agent has written no file yet (an
 * empty history: every bucket is without samples), or -1 answered (503).
 */
static int
history_open(struct hc_req *req, struct hc_ctx *ctx, struct hc_history **h)
{
	char		 err[512];
	enum hc_err	 e;

	if ((*h = hc_history_open(ctx->settings->data_dir, HC_HISTORY_RDONLY, &e, err,
	    sizeof(err))) != NULL || e == HC_ERR_NOTFOUND)
		return 0;
	hc_log(HC_LOG_ERROR, "history: %s", err);
	hc_resp_problem(req, 503, "Retry-After: 10\r\n", "the history file cannot be read");
	return -1;
}

/* A read failed: say so, unless the answer is already under way (then it is cut short). */
static void
history_failed(struct hc_req *req, struct hc_history *h)
{
	hc_log(HC_LOG_ERROR, "history: %s", hc_history_errstr(h));
	if (!req->headers_sent)
		hc_resp_problem(req, 503, "Retry-After: 10\r\n", "the history file cannot be read");
}

/* CSV rows go out as they are read: the headers with the first chunk. */
static int
history_csv_write(void *ud, const char *buf, size_t len)
{
	struct hc_req	*req = ud;

	if (!req->headers_sent && hc_resp_start(req, 200, "text/csv; charset=utf-8",
	    "Content-Disposition: attachment; filename=\"headcount-history.csv\"\r\n") == -1)
		return -1;
	return hc_resp_write(req, buf, len);
}

static void
monitoring_history(struct hc_req *req, struct hc_ctx *ctx)
{
	struct hc_history_range	 r;
	struct hc_history	*h;
	json_object		*o;
	char			 why[256];
	enum hc_err		 e;
	int			 csv = req->val[HQ_FORMAT].i == 1;

	if (history_range(req, &r, why, sizeof(why)) == -1) {
		hc_resp_problem(req, 400, NULL, "%s", why);
		return;
	}
	if (history_open(req, ctx, &h) == -1)
		return;
	if (csv) {
		e = hc_history_report_csv(h, &r, history_csv_write, req);
		if (e == HC_ERR_SQLITE)
			history_failed(req, h);
		else if (e == HC_ERR_NOMEM && !req->headers_sent)
			hc_resp_problem(req, 500, NULL, "out of memory");
		hc_history_close(h);
		return;
	}
	if ((o = hc_history_report_json(h, &r, &e)) == NULL) {
		if (e == HC_ERR_SQLITE)
			history_failed(req, h);
		else
			hc_resp_problem(req, 500, NULL, "out of memory");
	} else if (hc_resp_json(req, 200, o) == -1 && !req->headers_sent)
		hc_resp_problem(req, 500, NULL, "could not write the answer");
	json_object_put(o);
	hc_history_close(h);
}

/* The others take no input (params NULL): any query key is a 400. */
static const struct hc_route monitoring_routes[] = {
	{ "GET", "/api/v1/monitoring/replicas", HC_AUTH_USER, monitoring_replicas },
	{ "POST", "/api/v1/monitoring/replicas/refresh", HC_AUTH_OWNER, monitoring_refresh },
	{ "GET", "/api/v1/monitoring/deployments", HC_AUTH_OWNER, monitoring_deployments },
	{ "GET", "/api/v1/monitoring/metrics", HC_AUTH_OWNER, monitoring_metrics },
	{ "GET", "/api/v1/monitoring/history", HC_AUTH_USER, monitoring_history,
	    history_params },
	{ 0 }
};

static const struct hc_app monitoring_app = {
	"monitoring", monitoring_routes, hc_fleet_init, hc_fleet_fini, HC_APP_CURL, NULL, 0
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &monitoring_app);
}

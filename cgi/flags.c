/* headcount-flags: feature flags (REST and OpenFeature OFREP) answered from the node's in-memory copy. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_app.h"
#include "hc_flagcache.h"
#include "hc_flags.h"
#include "hc_hash.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_param.h"
#include "hc_redis.h"
#include "hc_server.h"
#include "hc_settings.h"

#define FLAGS_WRITE_WAIT_MS	100	/* a write waits this long for its node to show it */

/* A handle on the shared copy, made in the master before the fork: every process has it. */
static struct hc_flagcache *flags_cache;

struct flags_state {
	struct hc_flagview	*view;
	struct hc_flagwatch	*watch;		/* the helper's only */
	struct hc_redis		*sub;		/* the helper's subscription */
};

/* ------------------------------------------------------------ reading the node's copy */

static enum hc_flagstate
flags_sync(struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	struct flags_state *st = ctx->state;

	/*
	 * Stale when the watcher says Redis is down, or (a watcher stuck or
	 * being replaced) when it has not read the hash for two polls and a
	 * timeout.
	 */
	return hc_flagview_sync(st->view, s->redis_timeout_ms + 250,
	    2 * s->flags_poll_ms + s->redis_timeout_ms + 1000);
}

static const struct hc_flag *
flags_find(struct hc_ctx *ctx, const char *name)
{
	return hc_flagview_find(((struct flags_state *)ctx->state)->view, name);
}

/* The ETag of the node's copy as answered now (a stale answer is another representation). */
static void
flags_etag(struct hc_ctx *ctx, int stale, char *buf, size_t len)
{
	struct flags_state *st = ctx->state;

	snprintf(buf, len, "\"%016" PRIx64 "%s\"", hc_flagview_hash(st->view),
	    stale ? "-cached" : "");
}

/* 1 when an If-None-Match header names etag (or is "*"). */
static int
flags_etag_matches(const struct hc_req *req, const char *etag)
{
	const char	*h = hc_http_req_env(req, "HTTP_IF_NONE_MATCH"), *p, *e;
	size_t		 elen = strlen(etag), n;

	if (h == NULL)
		return 0;
	for (p = h; *p != '\0'; p = *e ? e + 1 : e) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return 1;
		if (n > 2 && strncmp(p, "W/", 2) == 0) {	/* weak comparison */
			p += 2;
			n -= 2;
		}
		if (n == elen && memcmp(p, etag, n) == 0)
			return 1;
	}
	return 0;
}

/* obj as application/json with extra headers (not consumed); 0 or -1. */
static int
flags_send(struct hc_req *req, int status, json_object *obj, const char *extra)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL || hc_http_resp_start(req, status, "application/json", extra) == -1)
		return -1;
	return hc_http_resp_write(req, s, len);
}

static void
flags_nomem(struct hc_req *req)
{
	if (!req->headers_sent)
		hc_http_resp_problem(req, 500, NULL, "out of memory");
}

/* ------------------------------------------------------------ input, declared */

/* {name} of every REST route on one flag. */
enum { NAME_NAME };
static const struct hc_param name_params[] = {
	[NAME_NAME] = { .in = HC_IN_PATH, .name = "name", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_flags_name_valid,
	    .rule = HC_FLAGS_NAME_RULE },
	{ 0 }
};

/* PUT: the value as ?enabled=true|false or as the body {"enabled":bool} (the handler wants exactly one). */
enum { PUT_NAME, PUT_QUERY, PUT_BODY };
static const struct hc_param put_params[] = {
	[PUT_NAME] = { .in = HC_IN_PATH, .name = "name", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_flags_name_valid,
	    .rule = HC_FLAGS_NAME_RULE },
	[PUT_QUERY] = { .in = HC_IN_QUERY, .name = "enabled", .type = HC_PT_BOOL },
	[PUT_BODY] = { .in = HC_IN_BODY, .name = "enabled", .type = HC_PT_BOOL },
	{ 0 }
};

/* OFREP single evaluation: {key} and an optional body {"context":{...}}. */
enum { EV_KEY, EV_CONTEXT };
static const struct hc_param eval_params[] = {
	[EV_KEY] = { .in = HC_IN_PATH, .name = "key", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_flags_name_valid,
	    .rule = HC_FLAGS_NAME_RULE },
	[EV_CONTEXT] = { .in = HC_IN_BODY, .name = "context", .type = HC_PT_OBJECT },
	{ 0 }
};

/* OFREP bulk evaluation: the context, and the query keys OFREP adds on a re-fetch after a change notice. */
enum { BULK_CONTEXT, BULK_ETAG, BULK_LASTMOD };
static const struct hc_param bulk_params[] = {
	[BULK_CONTEXT] = { .in = HC_IN_BODY, .name = "context", .type = HC_PT_OBJECT },
	[BULK_ETAG] = { .in = HC_IN_QUERY, .name = "flagConfigEtag", .type = HC_PT_STR,
	    .max = 256 },
	[BULK_LASTMOD] = { .in = HC_IN_QUERY, .name = "flagConfigLastModified",
	    .type = HC_PT_STR, .max = 64 },
	{ 0 }
};

/* ------------------------------------------------------------ REST */

static void
flags_unavailable_read(struct hc_req *req)
{
	hc_http_resp_problem(req, 503, "Retry-After: 1\r\n", "no flag values were read yet "
	    "and Redis (REDIS_URL) is unreachable");
}

static void
flags_unavailable_write(struct hc_req *req, struct hc_ctx *ctx)
{
	hc_log(HC_LOG_ERROR, "flags: %s", hc_redis_errstr(ctx->redis));
	hc_http_resp_problem(req, 503, "Retry-After: 1\r\n", "the flag store (Redis) is "
	    "unavailable; the change was not made");
}

static void
flags_list(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	enum hc_flagstate fs;
	json_object	*o = NULL, *m;
	const struct hc_flag *f;
	size_t		 i;

	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		flags_unavailable_read(req);
		return;
	}
	if ((o = json_object_new_object()) == NULL || (m = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "flags", m) != 0)
		goto fail;
	for (i = 0; (f = hc_flagview_at(st->view, i)) != NULL; i++)
		if (json_object_object_add(m, f->name, json_object_new_boolean(f->enabled)) != 0)
			goto fail;
	if (fs == HC_FLAGS_STALE &&
	    json_object_object_add(o, "stale", json_object_new_boolean(1)) != 0)
		goto fail;
	if (flags_send(req, 200, o, NULL) == -1)
		goto fail;
	json_object_put(o);
	return;
fail:
	json_object_put(o);
	flags_nomem(req);
}

/* {"name","enabled"} (+ "previous" when prev >= -1, + "stale" when stale). */
static json_object *
flags_object(const char *name, int enabled, int withprev, int prev, int stale)
{
	json_object *o = json_object_new_object();

	if (o == NULL ||
	    json_object_object_add(o, "name", json_object_new_string(name)) != 0 ||
	    json_object_object_add(o, "enabled", json_object_new_boolean(enabled)) != 0 ||
	    (withprev && json_object_object_add(o, "previous",
	    prev < 0 ? NULL : json_object_new_boolean(prev)) != 0) ||
	    (stale && json_object_object_add(o, "stale", json_object_new_boolean(1)) != 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
flags_get(struct hc_req *req, struct hc_ctx *ctx)
{
	const char	*name = req->val[NAME_NAME].s;
	enum hc_flagstate fs;
	const struct hc_flag *f;
	json_object	*o;

	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		flags_unavailable_read(req);
		return;
	}
	if ((f = flags_find(ctx, name)) == NULL) {
		hc_http_resp_problem(req, 404, NULL, "no flag \"%s\"", name);
		return;
	}
	if ((o = flags_object(f->name, f->enabled, 0, 0, fs == HC_FLAGS_STALE)) == NULL ||
	    flags_send(req, 200, o, NULL) == -1)
		flags_nomem(req);
	json_object_put(o);
}

static void
flags_put(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	const char	*name = req->val[PUT_NAME].s;
	const struct hc_pval *q = &req->val[PUT_QUERY], *b = &req->val[PUT_BODY];
	json_object	*o = NULL;
	int		 enabled, prev, changed;

	/* the one rule a table cannot say: the value given exactly once */
	if (q->set && b->set) {
		hc_http_resp_problem(req, 400, NULL, "enabled given both in the query and in "
		    "the body; give it once");
		return;
	}
	if (!q->set && !b->set) {
		hc_http_resp_problem(req, 400, NULL, "enabled is required: ?enabled=true|false "
		    "or the body {\"enabled\":true|false}");
		return;
	}
	enabled = q->set ? q->b : b->b;
	switch (hc_flags_set(ctx->redis, ctx->settings->flags_key, name, enabled,
	    &prev, &changed)) {
	case HC_OK:
		break;
	case HC_ERR_NOMEM:
		flags_nomem(req);
		return;
	default:
		flags_unavailable_write(req, ctx);
		return;
	}
	if (changed) {
		hc_metrics_count(HC_METRIC_FLAG_CHANGES, 1);
		hc_flagview_wait(st->view, name, enabled, FLAGS_WRITE_WAIT_MS);
	}
	if ((o = flags_object(name, enabled, 1, prev, 0)) == NULL ||
	    flags_send(req, 200, o, NULL) == -1)
		flags_nomem(req);
	json_object_put(o);
}

static void
flags_delete(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	const char	*name = req->val[NAME_NAME].s;
	int		 prev;

	switch (hc_flags_delete(ctx->redis, ctx->settings->flags_key, name, &prev)) {
	case HC_OK:
		hc_metrics_count(HC_METRIC_FLAG_CHANGES, 1);
		hc_flagview_wait(st->view, name, -1, FLAGS_WRITE_WAIT_MS);
		hc_http_resp_empty(req, 204, NULL);
		break;
	case HC_ERR_NOTFOUND:
		hc_http_resp_problem(req, 404, NULL, "no flag \"%s\"", name);
		break;
	case HC_ERR_NOMEM:
		flags_nomem(req);
		break;
	default:
		flags_unavailable_write(req, ctx);
		break;
	}
}

/* ------------------------------------------------------------ OFREP */

/* {"key"?,"errorCode","errorDetails"} as OFREP's SDKs parse it. */
static void
ofrep_error(struct hc_req *req, int status, const char *key, const char *code,
    const char *details)
{
	json_object *o = json_object_new_object();

	if (o == NULL ||
	    (key != NULL && json_object_object_add(o, "key", json_object_new_string(key)) != 0) ||
	    (code != NULL && json_object_object_add(o, "errorCode",
	    json_object_new_string(code)) != 0) ||
	    json_object_object_add(o, "errorDetails", json_object_new_string(details)) != 0 ||
	    flags_send(req, status, o, NULL) == -1)
		flags_nomem(req);
	json_object_put(o);
}

/* The key of a request whose key may break the rule: shown only when printable and short. */
static const char *
ofrep_key_echo(const struct hc_req *req)
{
	const char	*k = req->ncap > 0 ? req->cap[0] : "";
	size_t		 i;

	for (i = 0; k[i] != '\0'; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] >= 0x7f || i >= 128)
			return "";
	return k;
}

/*
 * The 400 of the OFREP routes, in OFREP's shape (the pipeline calls it for
 * input that broke their tables): a context that is not an object is
 * INVALID_CONTEXT, anything else (the body, the key, a query key) a
 * PARSE_ERROR.  The single evaluation names its key.
 */
static void
ofrep_bad(struct hc_req *req, const char *field, const char *why, int withkey)
{
	ofrep_error(req, 400, withkey ? ofrep_key_echo(req) : NULL,
	    strcmp(field, "context") == 0 ? "INVALID_CONTEXT" : "PARSE_ERROR", why);
}

static void
ofrep_bad_key(struct hc_req *req, const char *field, const char *why)
{
	ofrep_bad(req, field, why, 1);
}

static void
ofrep_bad_nokey(struct hc_req *req, const char *field, const char *why)
{
	ofrep_bad(req, field, why, 0);
}

static void
ofrep_none(struct hc_req *req)
{
	ofrep_error(req, 500, NULL, NULL, "no flag values were read yet and Redis "
	    "(REDIS_URL) is unreachable");
}

static json_object *
ofrep_eval(const struct hc_flag *f, int stale)
{
	json_object *o = json_object_new_object();

	if (o == NULL ||
	    json_object_object_add(o, "key", json_object_new_string(f->name)) != 0 ||
	    json_object_object_add(o, "value", json_object_new_boolean(f->enabled)) != 0 ||
	    json_object_object_add(o, "reason",
	    json_object_new_string(stale ? "CACHED" : "STATIC")) != 0 ||
	    json_object_object_add(o, "variant",
	    json_object_new_string(f->enabled ? "on" : "off")) != 0 ||
	    json_object_object_add(o, "metadata", json_object_new_object()) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
ofrep_evaluate(struct hc_req *req, struct hc_ctx *ctx)
{
	const char	*key = req->val[EV_KEY].s;
	enum hc_flagstate fs;
	const struct hc_flag *f;
	json_object	*o = NULL;
	char		 why[160];

	/* the context is checked (an object) but not used: every flag is static */
	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		ofrep_none(req);
		return;
	}
	if ((f = flags_find(ctx, key)) == NULL) {
		snprintf(why, sizeof(why), "flag \"%s\" was not found", key);
		ofrep_error(req, 404, key, "FLAG_NOT_FOUND", why);
		return;
	}
	if ((o = ofrep_eval(f, fs == HC_FLAGS_STALE)) == NULL ||
	    flags_send(req, 200, o, NULL) == -1)
		flags_nomem(req);
	json_object_put(o);
}

static void
ofrep_bulk(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	enum hc_flagstate fs;
	const struct hc_flag *f;
	json_object	*o = NULL, *a, *e;
	char		 etag[64], extra[160];
	size_t		 i;

	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		ofrep_none(req);
		goto out;
	}
	flags_etag(ctx, fs == HC_FLAGS_STALE, etag, sizeof(etag));
	snprintf(extra, sizeof(extra), "ETag: %s\r\nCache-Control: no-cache\r\n", etag);
	if (flags_etag_matches(req, etag)) {
		hc_http_resp_empty(req, 304, extra);
		goto out;
	}
	if ((o = json_object_new_object()) == NULL || (a = json_object_new_array()) == NULL ||
	    json_object_object_add(o, "flags", a) != 0)
		goto fail;
	for (i = 0; (f = hc_flagview_at(st->view, i)) != NULL; i++) {
		if ((e = ofrep_eval(f, fs == HC_FLAGS_STALE)) == NULL)
			goto fail;
		if (json_object_array_add(a, e) != 0) {
			json_object_put(e);
			goto fail;
		}
	}
	if (flags_send(req, 200, o, extra) == -1)
		goto fail;
	goto out;
fail:
	flags_nomem(req);
out:
	json_object_put(o);
}

static void
ofrep_configuration(struct hc_req *req, struct hc_ctx *ctx)
{
	json_object	*o = NULL, *caps, *ci, *poll, *fe, *types;
	const char	*s;
	size_t		 len;
	char		 etag[64], extra[160];

	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "name", json_object_new_string("headcount")) != 0 ||
	    (caps = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "capabilities", caps) != 0 ||
	    (ci = json_object_new_object()) == NULL ||
	    json_object_object_add(caps, "cacheInvalidation", ci) != 0 ||
	    (poll = json_object_new_object()) == NULL ||
	    json_object_object_add(ci, "polling", poll) != 0 ||
	    json_object_object_add(poll, "enabled", json_object_new_boolean(1)) != 0 ||
	    json_object_object_add(poll, "minPollingIntervalMs",
	    json_object_new_int64(ctx->settings->flags_poll_ms)) != 0 ||
	    (fe = json_object_new_object()) == NULL ||
	    json_object_object_add(caps, "flagEvaluation", fe) != 0 ||
	    (types = json_object_new_array()) == NULL ||
	    json_object_object_add(fe, "supportedTypes", types) != 0 ||
	    json_object_array_add(types, json_object_new_string("boolean")) != 0 ||
	    (s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len)) == NULL) {
		flags_nomem(req);
		json_object_put(o);
		return;
	}
	/* the answer's own hash: the same on every node with the same settings */
	snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"", hc_hash64(HC_HASH_INIT, s, len));
	snprintf(extra, sizeof(extra), "ETag: %s\r\n", etag);
	if (flags_etag_matches(req, etag))
		hc_http_resp_empty(req, 304, extra);
	else if (hc_http_resp_start(req, 200, "application/json", extra) == 0)
		hc_http_resp_write(req, s, len);
	json_object_put(o);
}

/* ------------------------------------------------------------ the program */

/*
 * The helper process is the node's watcher; its first run, in the master
 * before the fork, opens the shared copy and reads the hash once so that
 * the workers start warm.
 */
static long
flags_helper(struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	char	 err[256];

	if (st == NULL) {	/* the master */
		if (flags_cache == NULL && (flags_cache = hc_flagcache_open(ctx->shared,
		    HC_FLAGCACHE_SEGMENT, err, sizeof(err))) == NULL) {
			hc_log(HC_LOG_ERROR, "%s", err);
			return 1000;
		}
		hc_flagcache_sync(flags_cache, ctx->redis, ctx->settings->flags_key);
		return 0;
	}
	return hc_flagwatch_step(st->watch, 250);
}

static int
flags_init(struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	struct flags_state *st;
	char	 err[256];

	if (flags_cache == NULL) {
		hc_log(HC_LOG_ERROR, "flags: no shared copy (see the master's log)");
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->view = hc_flagview_new(flags_cache)) == NULL)
		goto fail;
	if (hc_server_worker_slot() < 0) {	/* the helper: the watcher, with a connection to subscribe on */
		if ((st->sub = hc_redis_open(s, err, sizeof(err))) == NULL) {
			hc_log(HC_LOG_ERROR, "REDIS_URL: %s", err);
			goto fail;
		}
		if ((st->watch = hc_flagwatch_new(flags_cache, st->sub, ctx->redis,
		    s->flags_key, s->flags_poll_ms)) == NULL)
			goto fail;
	}
	ctx->state = st;
	return 0;
fail:
	if (st != NULL) {
		hc_flagview_free(st->view);
		hc_redis_free(st->sub);
		free(st);
	}
	return -1;
}

static void
flags_fini(struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;

	if (st != NULL) {
		hc_flagwatch_free(st->watch);
		hc_redis_free(st->sub);
		hc_flagview_free(st->view);
		free(st);
	}
	ctx->state = NULL;
}

static const struct hc_route routes[] = {
	{ "GET", "/api/v1/flags", HC_AUTH_USER, flags_list, NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/", HC_AUTH_USER, flags_list, NULL, NULL, NULL },
	{ "GET", "/api/v1/flags/{name}", HC_AUTH_USER, flags_get, name_params, NULL, NULL },
	{ "PUT", "/api/v1/flags/{name}", HC_AUTH_ADMIN, flags_put, put_params, NULL, NULL },
	{ "DELETE", "/api/v1/flags/{name}", HC_AUTH_ADMIN, flags_delete, name_params,
	    NULL, NULL },
	{ "POST", "/ofrep/v1/evaluate/flags/{key}", HC_AUTH_USER, ofrep_evaluate,
	    eval_params, ofrep_bad_key, NULL },
	{ "POST", "/ofrep/v1/evaluate/flags", HC_AUTH_USER, ofrep_bulk, bulk_params,
	    ofrep_bad_nokey, NULL },
	{ "GET", "/ofrep/v1/configuration", HC_AUTH_USER, ofrep_configuration, NULL,
	    ofrep_bad_nokey, NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL }
};

static const struct hc_app app = {
	"flags", routes, flags_init, flags_fini, 0, flags_helper, HC_FLAGCACHE_SEGMENT
};

int
main(int argc, char **argv)
{
	return hc_app_main(argc, argv, &app);
}

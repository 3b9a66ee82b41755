/* headcount-flags: feature flags (REST and OpenFeature OFREP) answered from the node's in-memory copy. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_app.h"
#include "hc_flagcache.h"
#include "hc_flags.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_redis.h"
#include "hc_settings.h"

#define FLAGS_WRITE_WAIT_MS	100	/* a write waits this long for its node to show it */

/* Made in the master before the fork: the watcher and every worker share it. */
static struct hc_flagcache *flags_cache;

struct flags_state {
	struct hc_flagview	*view;
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
	const char	*h = hc_req_env(req, "HTTP_IF_NONE_MATCH"), *p, *e;
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
	if (s == NULL || hc_resp_start(req, status, "application/json", extra) == -1)
		return -1;
	return hc_resp_write(req, s, len);
}

static void
flags_nomem(struct hc_req *req)
{
	if (!req->headers_sent)
		hc_resp_problem(req, 500, NULL, "out of memory");
}

/* ------------------------------------------------------------ input, checked in one place */

struct flags_in {
	const char	*name;		/* the {name} or {key} capture */
	int		 enabled;	/* PUT: 0/1 */
	json_object	*body;		/* parsed body, or NULL; the caller puts it */
	const char	*field;		/* what broke a rule, for OFREP's key */
	const char	*code;		/* OFREP errorCode of the failure */
	char		 why[300];
};

/* Query keys: only those in allowed ('|'-separated, "" none), each at most once. */
static int
flags_check_query(const struct hc_req *req, const char *allowed, struct flags_in *in)
{
	size_t	 i, klen;
	const char *k, *a;

	for (i = 0; i < req->query.n; i++) {
		k = req->query.kv[i].key;
		klen = strlen(k);
		for (a = allowed; *a != '\0'; a += *a == '|') {
			if (strncmp(a, k, klen) == 0 && (a[klen] == '|' || a[klen] == '\0'))
				break;
			a += strcspn(a, "|");
		}
		if (*a == '\0') {
			snprintf(in->why, sizeof(in->why), "unknown query parameter \"%.64s\"%s%s",
			    k, *allowed ? "; allowed: " : "", allowed);
			return -1;
		}
		if (hc_query_count(&req->query, k) > 1) {
			snprintf(in->why, sizeof(in->why),
			    "query parameter \"%.64s\" given more than once", k);
			return -1;
		}
	}
	return 0;
}

static int
flags_check_name(const struct hc_req *req, struct flags_in *in, const char *what)
{
	in->name = req->ncap > 0 ? req->cap[0] : "";
	if (!hc_flags_name_valid(in->name)) {
		snprintf(in->why, sizeof(in->why), "%s must match %s", what, HC_FLAGS_NAME_RULE);
		return -1;
	}
	return 0;
}

/* A JSON body when one was sent; -1 when it does not parse or is not an object. */
static int
flags_check_body(struct hc_req *req, struct flags_in *in)
{
	char	 err[200];

	if (req->body == NULL || req->body_len == 0)
		return 0;
	if ((in->body = hc_req_json(req, err, sizeof(err))) == NULL) {
		snprintf(in->why, sizeof(in->why), "malformed JSON body: %s", err);
		return -1;
	}
	if (!json_object_is_type(in->body, json_type_object)) {
		snprintf(in->why, sizeof(in->why), "the body must be a JSON object");
		return -1;
	}
	return 0;
}

/* PUT: {name}, then enabled from ?enabled=true|false or the body {"enabled":bool}, not both. */
static int
flags_put_input(struct hc_req *req, struct flags_in *in)
{
	const char	*q;
	json_object	*v = NULL;
	int		 inbody = 0;

	if (flags_check_name(req, in, "the flag name") == -1 ||
	    flags_check_query(req, "enabled", in) == -1 ||
	    flags_check_body(req, in) == -1)
		return -1;
	/* other top-level fields are ignored, as in every body of the API */
	if (in->body != NULL && json_object_object_get_ex(in->body, "enabled", &v))
		inbody = 1;
	q = hc_query_get(&req->query, "enabled");
	if (q != NULL && inbody) {
		snprintf(in->why, sizeof(in->why),
		    "enabled given both in the query and in the body; give it once");
		return -1;
	}
	if (q != NULL) {
		if (strcmp(q, "true") == 0)
			in->enabled = 1;
		else if (strcmp(q, "false") == 0)
			in->enabled = 0;
		else {
			snprintf(in->why, sizeof(in->why),
			    "enabled must be true or false, not \"%.32s\"", q);
			return -1;
		}
		return 0;
	}
	if (inbody) {
		if (v == NULL || !json_object_is_type(v, json_type_boolean)) {
			snprintf(in->why, sizeof(in->why), "enabled in the body must be true or false");
			return -1;
		}
		in->enabled = json_object_get_boolean(v);
		return 0;
	}
	snprintf(in->why, sizeof(in->why), "enabled is required: ?enabled=true|false "
	    "or the body {\"enabled\":true|false}");
	return -1;
}

/*
 * OFREP: {key} (single evaluation), query keys allowed, and a body that
 * is absent or an object whose optional "context" is an object.  Other
 * top-level fields are ignored, as the protocol may add some.
 */
static int
flags_ofrep_input(struct hc_req *req, struct flags_in *in, int haskey, const char *query)
{
	json_object	*ctxo;

	in->code = "PARSE_ERROR";
	if (haskey && flags_check_name(req, in, "the flag key") == -1)
		return -1;
	if (flags_check_query(req, query, in) == -1 || flags_check_body(req, in) == -1)
		return -1;
	if (in->body != NULL && json_object_object_get_ex(in->body, "context", &ctxo) &&
	    !json_object_is_type(ctxo, json_type_object)) {
		in->code = "INVALID_CONTEXT";
		snprintf(in->why, sizeof(in->why), "context must be a JSON object");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ REST */

static void
flags_unavailable_read(struct hc_req *req)
{
	hc_resp_problem(req, 503, "Retry-After: 1\r\n", "no flag values were read yet "
	    "and Redis (REDIS_URL) is unreachable");
}

static void
flags_unavailable_write(struct hc_req *req, struct hc_ctx *ctx)
{
	hc_log(HC_LOG_ERROR, "flags: %s", hc_redis_errstr(ctx->redis));
	hc_resp_problem(req, 503, "Retry-After: 1\r\n", "the flag store (Redis) is "
	    "unavailable; the change was not made");
}

static void
flags_list(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	struct flags_in	 in;
	enum hc_flagstate fs;
	json_object	*o = NULL, *m;
	const struct hc_flag *f;
	size_t		 i;

	memset(&in, 0, sizeof(in));
	if (flags_check_query(req, "", &in) == -1) {
		hc_resp_problem(req, 400, NULL, "%s", in.why);
		return;
	}
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
	struct flags_in	 in;
	enum hc_flagstate fs;
	const struct hc_flag *f;
	json_object	*o;

	memset(&in, 0, sizeof(in));
	if (flags_check_name(req, &in, "the flag name") == -1 ||
	    flags_check_query(req, "", &in) == -1) {
		hc_resp_problem(req, 400, NULL, "%s", in.why);
		return;
	}
	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		flags_unavailable_read(req);
		return;
	}
	if ((f = flags_find(ctx, in.name)) == NULL) {
		hc_resp_problem(req, 404, NULL, "no flag \"%s\"", in.name);
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
	struct flags_in	 in;
	json_object	*o = NULL;
	int		 prev, changed;

	memset(&in, 0, sizeof(in));
	if (flags_put_input(req, &in) == -1) {
		hc_resp_problem(req, 400, NULL, "%s", in.why);
		goto out;
	}
	switch (hc_flags_set(ctx->redis, ctx->settings->flags_key, in.name, in.enabled,
	    &prev, &changed)) {
	case HC_OK:
		break;
	case HC_ERR_NOMEM:
		flags_nomem(req);
		goto out;
	default:
		flags_unavailable_write(req, ctx);
		goto out;
	}
	if (changed) {
		hc_metrics_count(HC_METRIC_FLAG_CHANGES, 1);
		hc_flagview_wait(st->view, in.name, in.enabled, FLAGS_WRITE_WAIT_MS);
	}
	if ((o = flags_object(in.name, in.enabled, 1, prev, 0)) == NULL ||
	    flags_send(req, 200, o, NULL) == -1)
		flags_nomem(req);
out:
	json_object_put(o);
	json_object_put(in.body);
}

static void
flags_delete(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	struct flags_in	 in;
	int		 prev;

	memset(&in, 0, sizeof(in));
	if (flags_check_name(req, &in, "the flag name") == -1 ||
	    flags_check_query(req, "", &in) == -1) {
		hc_resp_problem(req, 400, NULL, "%s", in.why);
		return;
	}
	switch (hc_flags_delete(ctx->redis, ctx->settings->flags_key, in.name, &prev)) {
	case HC_OK:
		hc_metrics_count(HC_METRIC_FLAG_CHANGES, 1);
		hc_flagview_wait(st->view, in.name, -1, FLAGS_WRITE_WAIT_MS);
		hc_resp_empty(req, 204, NULL);
		break;
	case HC_ERR_NOTFOUND:
		hc_resp_problem(req, 404, NULL, "no flag \"%s\"", in.name);
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
	struct flags_in	 in;
	enum hc_flagstate fs;
	const struct hc_flag *f;
	json_object	*o = NULL;
	char		 why[160];

	memset(&in, 0, sizeof(in));
	if (flags_ofrep_input(req, &in, 1, "") == -1) {
		ofrep_error(req, 400, ofrep_key_echo(req), in.code, in.why);
		goto out;
	}
	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		ofrep_none(req);
		goto out;
	}
	if ((f = flags_find(ctx, in.name)) == NULL) {
		snprintf(why, sizeof(why), "flag \"%s\" was not found", in.name);
		ofrep_error(req, 404, in.name, "FLAG_NOT_FOUND", why);
		goto out;
	}
	if ((o = ofrep_eval(f, fs == HC_FLAGS_STALE)) == NULL ||
	    flags_send(req, 200, o, NULL) == -1)
		flags_nomem(req);
out:
	json_object_put(o);
	json_object_put(in.body);
}

static void
ofrep_bulk(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;
	struct flags_in	 in;
	enum hc_flagstate fs;
	const struct hc_flag *f;
	json_object	*o = NULL, *a, *e;
	char		 etag[64], extra[160];
	size_t		 i;

	memset(&in, 0, sizeof(in));
	/* the two query keys OFREP adds on a re-fetch after a change notice */
	if (flags_ofrep_input(req, &in, 0, "flagConfigEtag|flagConfigLastModified") == -1) {
		ofrep_error(req, 400, NULL, in.code, in.why);
		goto out;
	}
	if ((fs = flags_sync(ctx)) == HC_FLAGS_NONE) {
		ofrep_none(req);
		goto out;
	}
	flags_etag(ctx, fs == HC_FLAGS_STALE, etag, sizeof(etag));
	snprintf(extra, sizeof(extra), "ETag: %s\r\nCache-Control: no-cache\r\n", etag);
	if (flags_etag_matches(req, etag)) {
		hc_resp_empty(req, 304, extra);
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
	json_object_put(in.body);
}

static void
ofrep_configuration(struct hc_req *req, struct hc_ctx *ctx)
{
	struct flags_in	 in;
	json_object	*o = NULL, *caps, *ci, *poll, *fe, *types;
	const char	*s;
	size_t		 len;
	char		 etag[64], extra[160];

	memset(&in, 0, sizeof(in));
	if (flags_check_query(req, "", &in) == -1) {
		ofrep_error(req, 400, NULL, "PARSE_ERROR", in.why);
		return;
	}
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
	{
		/* the same FNV-1a the flag copy uses, over the answer itself */
		uint64_t h = 1469598103934665603ULL;
		size_t	 i;

		for (i = 0; i < len; i++) {
			h ^= (unsigned char)s[i];
			h *= 1099511628211ULL;
		}
		snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"", h);
	}
	snprintf(extra, sizeof(extra), "ETag: %s\r\n", etag);
	if (flags_etag_matches(req, etag))
		hc_resp_empty(req, 304, extra);
	else if (hc_resp_start(req, 200, "application/json", extra) == 0)
		hc_resp_write(req, s, len);
	json_object_put(o);
}

/* ------------------------------------------------------------ the program */

static int
flags_master_init(struct hc_ctx *ctx)
{
	char	 err[256];

	if (ctx->settings->flags_key[0] == '\0') {
		hc_log(HC_LOG_ERROR, "HEADCOUNT_FLAGS_KEY: must not be empty");
		return -1;
	}
	if ((flags_cache = hc_flagcache_new(0, err, sizeof(err))) == NULL) {
		hc_log(HC_LOG_ERROR, "flags cache: %s", err);
		return -1;
	}
	return 0;
}

static void
flags_master_fini(struct hc_ctx *ctx)
{
	(void)ctx;
	hc_flagcache_free(flags_cache);
	flags_cache = NULL;
}

static void
flags_watch(struct hc_ctx *ctx)
{
	const struct hc_settings *s = ctx->settings;
	struct hc_flagwatch w = { s->redis_url, s->redis_timeout_ms, s->flags_key,
	    s->flags_poll_ms };

	hc_flagcache_watch(flags_cache, &w);
}

static int
flags_init(struct hc_ctx *ctx)
{
	struct flags_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->view = hc_flagview_new(flags_cache)) == NULL) {
		free(st);
		return -1;
	}
	ctx->state = st;
	return 0;
}

static void
flags_fini(struct hc_ctx *ctx)
{
	struct flags_state *st = ctx->state;

	if (st != NULL) {
		hc_flagview_free(st->view);
		free(st);
	}
	ctx->state = NULL;
}

static const struct hc_route routes[] = {
	{ "GET", "/api/v1/flags", HC_AUTH_USER, flags_list },
	{ "GET", "/api/v1/flags/", HC_AUTH_USER, flags_list },
	{ "GET", "/api/v1/flags/{name}", HC_AUTH_USER, flags_get },
	{ "PUT", "/api/v1/flags/{name}", HC_AUTH_ADMIN, flags_put },
	{ "DELETE", "/api/v1/flags/{name}", HC_AUTH_ADMIN, flags_delete },
	{ "POST", "/ofrep/v1/evaluate/flags/{key}", HC_AUTH_USER, ofrep_evaluate },
	{ "POST", "/ofrep/v1/evaluate/flags", HC_AUTH_USER, ofrep_bulk },
	{ "GET", "/ofrep/v1/configuration", HC_AUTH_USER, ofrep_configuration },
	{ NULL, NULL, 0, NULL }
};

static const struct hc_app app = {
	"flags", routes, flags_init, flags_fini, 0
};

static const struct hc_app_companion watcher = {
	flags_master_init, flags_watch, flags_master_fini
};

int
main(int argc, char **argv)
{
	return hc_app_main_with(argc, argv, &app, &watcher);
}

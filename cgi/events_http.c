/* events_http: the web side of headcount-events: each request checked in API.md's order, answered or started. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "hc_events.h"
#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_param.h"
#include "hc_query.h"
#include "hc_settings.h"
#include "hc_time.h"

#define EV_RETRY_FULL	"5"	/* Retry-After of a 503 (node full) */
#define EV_RETRY_SUBJ	"10"	/* Retry-After of a 429 (subject at its limit) */
#define EV_TOKEN_MAX	4096

/* ------------------------------------------------------------------ answers */

/*
 * Writes a whole problem+json answer (RFC 9457); hdrs is a NULL-ended
 * list of name, value pairs ("allow:", "GET").  Returns 0 or -1.
 */
static int __attribute__((format(printf, 4, 5)))
ev_problem(struct lws *wsi, int status, const char *const *hdrs,
    const char *fmt, ...)
{
	unsigned char	 buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start,
			*end = buf + sizeof(buf) - 1;
	json_object	*o;
	const char	*body;
	char		 detail[512];
	size_t		 blen;
	va_list		 ap;
	int		 rc = -1;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if ((o = hc_http_problem(status, detail)) == NULL)
		return -1;
	body = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &blen);
	if (body == NULL ||
	    lws_add_http_header_status(wsi, (unsigned)status, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)"application/problem+json", 24, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	    (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_add_http_header_content_length(wsi, (lws_filepos_t)blen + 1, &p, end))
		goto out;
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)hdrs[0],
		    (const unsigned char *)hdrs[1], (int)strlen(hdrs[1]), &p, end))
			goto out;
	if (lws_finalize_http_header(wsi, &p, end) || (size_t)(end - p) < blen + 1)
		goto out;
	memcpy(p, body, blen);
	p += blen;
	*p++ = '\n';
	if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP) ==
	    (int)(p - start))
		rc = 0;
out:
	json_object_put(o);
	return rc;
}

static const char *
ev_method(struct lws *wsi)
{
	static const struct { enum lws_token_indexes t; const char *name; } m[] = {
		{ WSI_TOKEN_GET_URI, "GET" }, { WSI_TOKEN_POST_URI, "POST" },
		{ WSI_TOKEN_PUT_URI, "PUT" }, { WSI_TOKEN_PATCH_URI, "PATCH" },
		{ WSI_TOKEN_DELETE_URI, "DELETE" }, { WSI_TOKEN_OPTIONS_URI, "OPTIONS" },
		{ WSI_TOKEN_HEAD_URI, "HEAD" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (lws_hdr_total_length(wsi, m[i].t) > 0)
			return m[i].name;
	return "other";
}

/* One access line and one metrics record per stream request; never the query (tokens). */
static void
ev_account(struct lws *wsi, const char *route, const char *path, int status,
    double t0)
{
	const char *method = ev_method(wsi);
	struct hc_access a;
	char	 addr[64] = "";
	double	 ms = hc_time_mono_ms() - t0;

	if (lws_hdr_custom_length(wsi, "x-real-ip:", 10) > 0)
		lws_hdr_custom_copy(wsi, addr, sizeof(addr), "x-real-ip:", 10);
	memset(&a, 0, sizeof(a));
	a.method = method;
	a.route = route;
	a.path = path;
	a.remote_addr = addr[0] ? addr : NULL;
	a.status = status;
	a.duration_ms = ms;
	if (ev_conf.s->access_log)
		hc_log_access(&a);
	hc_metrics_request(method, route, status, ms / 1000.0);
}

/* ------------------------------------------------------------------ request checks */

struct ev_req {
	enum ev_kind	 kind;
	const char	*route;
	char		 path[256];
	struct hc_claims claims;
	char		 token[EV_TOKEN_MAX + 48];
	char		 channels[2048];
	int		 has_channels;
	char		 last_id[128];
	/* the answer when the stream is refused */
	int		 status;
	const char	*hdrs[7];
	char		 detail[300];
};

static void __attribute__((format(printf, 3, 4)))
ev_refuse(struct ev_req *r, int status, const char *fmt, ...)
{
	va_list	 ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

enum { EVQ_ACCESS_TOKEN, EVQ_CHANNELS, EVQ_MAX };
static const struct hc_param ev_query_params[] = {
	{ HC_IN_QUERY, "access_token", HC_PT_STR, 0, 1, EV_TOKEN_MAX, NULL,
	    "a bearer token (JWT)", NULL, NULL },
	{ HC_IN_QUERY, "channels", HC_PT_STR, 0, 1, 2047, NULL,
	    "a comma-separated list of channel names", NULL, NULL },
	{ 0 }
};

/*
 * The query string, as lws split and decoded it, checked against
 * ev_query_params (unknown keys, repeats, bounds).  Returns 0 with
 * r->channels set when given, or -1 with the 400 in r.
 */
static int
ev_query(struct lws *wsi, struct ev_req *r, struct ev_client *c)
{
	struct hc_kv	 kv[64];
	struct hc_query	 q = { kv, 0 };
	struct hc_param_in in;
	struct hc_param_err pe;
	struct hc_pval	 val[EVQ_MAX];
	char		*frag[64], *eq;
	int		 i, flen, rc = -1;

	(void)c;
	memset(frag, 0, sizeof(frag));
	for (i = 0;; i++) {
		if ((flen = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i)) <= 0)
			break;
		if (i >= 64) {
			ev_refuse(r, 400, "too many query parameters");
			goto out;
		}
		if ((frag[i] = malloc((size_t)flen + 1)) == NULL) {
			ev_refuse(r, 503, "out of memory");
			goto out;
		}
		lws_hdr_copy_fragment(wsi, frag[i], flen + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
		kv[q.n].key = frag[i];
		if ((eq = strchr(frag[i], '=')) != NULL) {
			*eq = '\0';
			kv[q.n].val = eq + 1;
		} else
			kv[q.n].val = frag[i] + strlen(frag[i]);
		q.n++;
	}
	memset(&in, 0, sizeof(in));
	in.query = &q;
	if (hc_param_check(ev_query_params, &in, val, EVQ_MAX, &pe) != HC_OK) {
		ev_refuse(r, 400, "%s", pe.errstr);
		goto out;
	}
	if (val[EVQ_CHANNELS].set == HC_PVAL_GIVEN) {
		snprintf(r->channels, sizeof(r->channels), "%s", val[EVQ_CHANNELS].s);
		r->has_channels = 1;
	}
	rc = 0;
out:
	for (i = 0; i < 64; i++)
		if (frag[i] != NULL) {
			explicit_bzero(frag[i], strlen(frag[i]));	/* a token may be there */
			free(frag[i]);
		}
	return rc;
}

/*
 * Every check of API.md's order: path (404), method (405), token (401,
 * 403), query (400), the kind of request (400, 426), the limits (503,
 * 429).  Returns 0 with r filled and c admitted, or -1 with r->status.
 * The query is read once, here: one place to turn into a parameter table.
 */
static int
ev_check(struct lws *wsi, int upgrade, struct ev_req *r, struct ev_client *c)
{
	static const char *const bearer[] = { "www-authenticate:",
	    "Bearer realm=\"headcount\"", NULL };
	static const char *const invalid[] = { "www-authenticate:",
	    "Bearer realm=\"headcount\", error=\"invalid_token\"", NULL };
	char	 frag[EV_TOKEN_MAX + 32], auth[EV_TOKEN_MAX + 16], why[200];
	char	*uri;
	int	 uri_len, n, i, ntok = 0, flen, method;
	const char *tok;

	memset(r, 0, sizeof(*r));
	method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
	if (method < 0 || uri_len <= 0 || (size_t)uri_len >= sizeof(r->path)) {
		ev_refuse(r, 404, "No API endpoint at this path");
		return -1;
	}
	memcpy(r->path, uri, (size_t)uri_len);
	r->path[uri_len] = '\0';
	if (strcmp(r->path, EV_PATH_SSE) == 0) {
		r->kind = EV_SSE;
		r->route = EV_PATH_SSE;
	} else if (strcmp(r->path, EV_PATH_WS) == 0) {
		r->kind = EV_WS;
		r->route = EV_PATH_WS;
	} else {
		ev_refuse(r, 404, "No API endpoint at this path");
		return -1;
	}
	if (!lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) {
		r->hdrs[0] = "allow:";
		r->hdrs[1] = "GET";
		ev_refuse(r, 405, "Only GET is allowed here");
		return -1;
	}

	/* the token: the header, or ?access_token= for browsers (RFC 6750 2.3) */
	for (i = 0; i < 64; i++) {
		if ((flen = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i)) <= 0)
			break;
		if ((size_t)flen >= sizeof(frag)) {
			if (i == 63)
				break;
			continue;	/* judged with the other parameters below */
		}
		lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (strncmp(frag, "access_token=", 13) == 0) {
			if (++ntok == 1)
				snprintf(r->token, sizeof(r->token), "%s", frag + 13);
		}
	}
	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 0) {
		if (n >= (int)sizeof(auth) ||
		    lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) < 0) {
			memcpy(r->hdrs, invalid, sizeof(invalid));
			ev_refuse(r, 401, "invalid token: too long");
			return -1;
		}
		if (ntok > 0) {
			ev_refuse(r, 400, "give the token once: in the Authorization "
			    "header or as access_token, not both");
			return -1;
		}
		if (strncasecmp(auth, "Bearer ", 7) != 0) {
			memcpy(r->hdrs, invalid, sizeof(invalid));
			ev_refuse(r, 401, "the Authorization header must be \"Bearer <token>\"");
			return -1;
		}
		for (tok = auth + 7; *tok == ' '; tok++)
			continue;
		snprintf(r->token, sizeof(r->token), "%s", tok);
	} else if (ntok > 1) {
		ev_refuse(r, 400, "access_token: given more than once");
		return -1;
	} else if (ntok == 0) {
		memcpy(r->hdrs, bearer, sizeof(bearer));
		ev_refuse(r, 401, "a bearer token is required (Authorization header, "
		    "or access_token for browsers)");
		return -1;
	}
	if (hc_jwt_verify(r->token, ev_conf.s->jwt_secret, time(NULL), &r->claims,
	    why, sizeof(why)) == -1) {
		memcpy(r->hdrs, invalid, sizeof(invalid));
		ev_refuse(r, 401, "invalid token: %s", why);
		return -1;
	}
	explicit_bzero(r->token, sizeof(r->token));
	if ((r->claims.role & HC_AUTH_USER) == 0) {
		ev_refuse(r, 403, "role \"%s\" may not read the event streams",
		    hc_jwt_role_name(r->claims.role));
		return -1;
	}

	/* the query, declared: access_token and channels, each at most once */
	if ((n = ev_query(wsi, r, c)) != 0)
		return -1;
	c->kind = r->kind;
	if (r->has_channels) {
		n = hc_events_filter(r->channels, ev_conf.patterns, ev_conf.npatterns,
		    &c->chstore, c->channels, sizeof(c->channels) / sizeof(c->channels[0]),
		    why, sizeof(why));
		if (n < 0) {
			ev_refuse(r, 400, "%s", why);
			return -1;
		}
		c->nchannels = (size_t)n;
	}
	if (r->kind == EV_WS && !upgrade) {
		r->hdrs[0] = "upgrade:";
		r->hdrs[1] = "websocket";
		ev_refuse(r, 426, "this path speaks WebSocket: send Upgrade: websocket "
		    "(Server-Sent Events are at " EV_PATH_SSE ")");
		return -1;
	}
	if (r->kind == EV_SSE && upgrade) {
		ev_refuse(r, 400, "this path serves Server-Sent Events; WebSocket "
		    "is at " EV_PATH_WS);
		return -1;
	}
	if (r->kind == EV_SSE && lws_hdr_custom_length(wsi, "last-event-id:", 14) > 0 &&
	    lws_hdr_custom_copy(wsi, r->last_id, sizeof(r->last_id),
	    "last-event-id:", 14) < 0)
		r->last_id[0] = '\0';	/* too long to be ours: a reset */

	switch (ev_hub_admit(ev_conf.hub, c, r->claims.sub)) {
	case 0:
		return 0;
	case 503:
		r->hdrs[0] = "retry-after:";
		r->hdrs[1] = EV_RETRY_FULL;
		ev_refuse(r, 503, "this node holds its limit of %ld streams "
		    "(HEADCOUNT_EVENTS_MAX_CLIENTS)", ev_conf.s->events_max_clients);
		return -1;
	default:
		r->hdrs[0] = "retry-after:";
		r->hdrs[1] = EV_RETRY_SUBJ;
		ev_refuse(r, 429, "subject \"%.64s\" holds its limit of %ld streams "
		    "(HEADCOUNT_EVENTS_MAX_PER_SUBJECT)", r->claims.sub,
		    ev_conf.s->events_max_per_subject);
		return -1;
	}
}

static struct ev_client *
ev_client_new(struct lws *wsi)
{
	struct ev_client *c;

	if ((c = calloc(1, sizeof(*c))) != NULL)
		c->wsi = wsi;
	return c;
}

/* LWS_CALLBACK_HTTP: an SSE stream, or an answer. */
int
ev_http(struct lws *wsi, struct ev_pss *pss)
{
	unsigned char	 buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
			*end = buf + sizeof(buf) - 1;
	struct ev_req	 r;
	struct ev_client *c;
	double		 t0 = hc_time_mono_ms();

	if ((c = ev_client_new(wsi)) == NULL)
		return -1;
	if (ev_check(wsi, 0, &r, c) == -1) {
		ev_hub_leave(ev_conf.hub, c);
		free(c);
		ev_account(wsi, r.status == 404 ? NULL : r.route, r.path, r.status, t0);
		if (ev_problem(wsi, r.status, r.hdrs, "%s", r.detail) == -1)
			return -1;
		/* a body still to come is read (and ignored) before the next request */
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
		    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
			if (pss != NULL)
				pss->answered = 1;
			return 0;
		}
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	ev_hub_resume(ev_conf.hub, c, r.last_id);
	lws_set_opaque_user_data(wsi, c);
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
	    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	    (const unsigned char *)"no-cache", 8, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-accel-buffering:",
	    (const unsigned char *)"no", 2, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	/* an endless answer: no timeout, and the header storage goes back to the pool */
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	ev_account(wsi, r.route, r.path, 200, t0);
	lws_http_headers_detach(wsi);
	ev_hub_join(ev_conf.hub, c);
	return 0;
}

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: >0 after answering ourselves, 0 to upgrade. */
int
ev_upgrade(struct lws *wsi, const char *proto)
{
	struct ev_req	 r;
	struct ev_client *c;
	double		 t0 = hc_time_mono_ms();

	if (proto == NULL || strcasecmp(proto, "websocket") != 0) {
		if (ev_problem(wsi, 400, NULL, "only WebSocket upgrades are served") == -1)
			return -1;
		return 1;
	}
	if ((c = ev_client_new(wsi)) == NULL)
		return -1;
	if (ev_check(wsi, 1, &r, c) == -1) {
		ev_hub_leave(ev_conf.hub, c);
		free(c);
		ev_account(wsi, r.status == 404 ? NULL : r.route, r.path, r.status, t0);
		return ev_problem(wsi, r.status, r.hdrs, "%s", r.detail) == -1 ? -1 : 1;
	}
	lws_set_opaque_user_data(wsi, c);
	ev_account(wsi, r.route, r.path, 101, t0);
	return 0;
}


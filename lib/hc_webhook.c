/* hc_webhook: claims webhook events once across agents, queues deliveries in Redis, POSTs them signed. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "hc_fetch.h"
#include "hc_log.h"
#include "hc_redis.h"
#include "hc_script.h"
#include "hc_settings.h"

#define HC_WEBHOOK_MAX_URLS	16
#define HC_WEBHOOK_TIMEOUT_MS	5000L
#define HC_WEBHOOK_LEASE_MS	30000LL		/* > the timeout: one sender per attempt */
#define HC_WEBHOOK_MAX_PAUSE_S	300LL

static const char *const hc_kind_names[HC_WEBHOOK_KIND_MAX] = {
	"mismatch", "self_preservation", "provider"
};
static const char *const hc_started_names[HC_WEBHOOK_KIND_MAX] = {
	"mismatch_started", "self_preservation_started", "provider_failing"
};
static const char *const hc_ended_names[HC_WEBHOOK_KIND_MAX] = {
	"mismatch_resolved", "self_preservation_ended", "provider_recovered"
};

/*
 * KEYS[1] state key.  ARGV: [1] state off|on|hold, [2] since ("" = keep
 * or now), [3] now, [4] claim key prefix, [5] started, [6] ended,
 * [7] claim ttl (s).  Returns {event, since, ...} this caller claimed.
 */
static const char hc_edge_lua[] =
	"local cur = redis.call('GET', KEYS[1])\n"
	"local out = {}\n"
	"local function claim(ev, since)\n"
	"  if redis.call('SET', ARGV[4] .. ev .. ':' .. since, '1', 'NX', 'EX', ARGV[7]) then\n"
	"    out[#out + 1] = ev; out[#out + 1] = since end\n"
	"end\n"
	"local since = ARGV[2]\n"
	"if ARGV[1] == 'on' and since == '' then since = cur or ARGV[3] end\n"
	"if cur and (ARGV[1] == 'off' or cur ~= since) then\n"
	"  redis.call('DEL', KEYS[1]); claim(ARGV[6], cur); cur = false\n"
	"end\n"
	"if ARGV[1] == 'on' and not cur then\n"
	"  redis.call('SET', KEYS[1], since); claim(ARGV[5], since)\n"
	"end\n"
	"return out\n";

/* KEYS[1] queue.  ARGV: [1] now, [2] lease ms, [3] delivery key prefix. */
static const char hc_take_lua[] =
	"local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)\n"
	"if #ids == 0 then return false end\n"
	"redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ids[1])\n"
	"return {ids[1], redis.call('HGETALL', ARGV[3] .. ids[1])}\n";

struct hc_webhook {
	const struct hc_settings *s;
	struct hc_redis	*r;
	char		*urls[HC_WEBHOOK_MAX_URLS];
	size_t		 nurls;
	CURL		*curl;
	char		 errstr[256];
};

struct hc_webhook *
hc_webhook_new(const struct hc_settings *s, struct hc_redis *r)
{
	struct hc_webhook *w;
	const char	*p, *e;
	size_t		 n;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->s = s;
	w->r = r;
	for (p = s->webhook_urls; p != NULL && *p != '\0' && w->nurls < HC_WEBHOOK_MAX_URLS; ) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0 && (w->urls[w->nurls++] = strndup(p, n)) == NULL) {
			hc_webhook_free(w);
			return NULL;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return w;
}

void
hc_webhook_free(struct hc_webhook *w)
{
	size_t	 i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nurls; i++)
		free(w->urls[i]);
	if (w->curl != NULL)
		curl_easy_cleanup(w->curl);
	free(w);
}

size_t
hc_webhook_nurls(const struct hc_webhook *w)
{
	return w != NULL ? w->nurls : 0;
}

const char *
hc_webhook_started(enum hc_webhook_kind k)
{
	return k < HC_WEBHOOK_KIND_MAX ? hc_started_names[k] : "?";
}

const char *
hc_webhook_ended(enum hc_webhook_kind k)
{
	return k < HC_WEBHOOK_KIND_MAX ? hc_ended_names[k] : "?";
}

const char *
hc_webhook_errstr(const struct hc_webhook *w)
{
	return w->errstr;
}

static void
hc_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hc_webhook_sign(const char *secret, const char *body, size_t len, char *buf, size_t buflen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (buflen < 7 + 2 * 32 + 1 ||
	    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body,
	    len, md, &mdlen) == NULL || mdlen != 32)
		return -1;
	memcpy(buf, "sha256=", 7);
	hc_hex(md, mdlen, buf + 7);
	return 0;
}

void
hc_webhook_delivery_id(const char *event, long long since_ms, const char *url, char buf[33])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 in[4096];
	int		 n;

	n = snprintf(in, sizeof(in), "%s:%lld\n%s", event, since_ms, url);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(in))
		n = (int)sizeof(in) - 1;
	SHA256((const unsigned char *)in, (size_t)n, md);
	hc_hex(md, 16, buf);
}

/* The event name as one of ours (the reply's string may not outlive it). */
static const char *
hc_event_static(const char *s)
{
	size_t	 k;

	for (k = 0; k < HC_WEBHOOK_KIND_MAX; k++) {
		if (strcmp(s, hc_started_names[k]) == 0)
			return hc_started_names[k];
		if (strcmp(s, hc_ended_names[k]) == 0)
			return hc_ended_names[k];
	}
	return NULL;
}

enum hc_err
hc_webhook_edge(struct hc_webhook *w, enum hc_webhook_kind k, enum hc_webhook_state state,
    long long since_ms, long long now_ms, struct hc_webhook_fired fired[2], size_t *nfired)
{
	char		 key[256], claim[256], since[32], now[32], ttl[32];
	static struct hc_script script;
	const char	*keys[1], *args[7];
	redisReply	*rep;
	size_t		 i;

	*nfired = 0;
	if (script.name == NULL)
		hc_script_init(&script, "webhook edge", hc_edge_lua);
	snprintf(key, sizeof(key), "%swebhook:state:%s", w->s->key_prefix, hc_kind_names[k]);
	snprintf(claim, sizeof(claim), "%swebhook:claim:", w->s->key_prefix);
	if (since_ms > 0)
		snprintf(since, sizeof(since), "%lld", since_ms);
	else
		since[0] = '\0';
	snprintf(now, sizeof(now), "%lld", now_ms);
	/* A claim outlives every retry of what it fired. */
	snprintf(ttl, sizeof(ttl), "%ld", w->s->webhook_retry_seconds + 86400L);
	keys[0] = key;
	args[0] = state == HC_WEBHOOK_ON ? "on" : state == HC_WEBHOOK_HOLD ? "hold" : "off";
	args[1] = since;
	args[2] = now;
	args[3] = claim;
	args[4] = hc_started_names[k];
	args[5] = hc_ended_names[k];
	args[6] = ttl;
	if (hc_script_run(w->r, &script, 1, keys, 7, args, NULL, &rep, w->errstr,
	    sizeof(w->errstr)) != HC_OK)
		return HC_ERR_REDIS;
	if (rep->type != REDIS_REPLY_ARRAY) {
		snprintf(w->errstr, sizeof(w->errstr), "webhook edge: unexpected reply");
		freeReplyObject(rep);
		return HC_ERR_REDIS;
	}
	for (i = 0; i + 1 < rep->elements && *nfired < 2; i += 2) {
		if (rep->element[i]->type != REDIS_REPLY_STRING ||
		    rep->element[i + 1]->type != REDIS_REPLY_STRING ||
		    (fired[*nfired].event = hc_event_static(rep->element[i]->str)) == NULL)
			continue;
		fired[*nfired].since_ms = strtoll(rep->element[i + 1]->str, NULL, 10);
		(*nfired)++;
	}
	freeReplyObject(rep);
	return HC_OK;
}

/* Runs one command and checks it did not fail; 0 or -1 (errstr set). */
static int
hc_wh_cmd(struct hc_webhook *w, int argc, const char **argv, const size_t *lens)
{
	redisReply	*rep;
	int		 rc = 0;

	if ((rep = hc_redis_cmdargv(w->r, argc, argv, lens)) == NULL) {
		snprintf(w->errstr, sizeof(w->errstr), "%s", hc_redis_errstr(w->r));
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(w->errstr, sizeof(w->errstr), "%s: %.160s", argv[0], rep->str);
		rc = -1;
	}
	freeReplyObject(rep);
	return rc;
}

enum hc_err
hc_webhook_enqueue(struct hc_webhook *w, const char *event, long long since_ms,
    const char *body, long long now_ms)
{
	char		 id[33], dkey[256], qkey[256], now[32];
	const char	*argv[13];
	size_t		 lens[13], i;

	snprintf(qkey, sizeof(qkey), "%swebhook:queue", w->s->key_prefix);
	snprintf(now, sizeof(now), "%lld", now_ms);
	for (i = 0; i < w->nurls; i++) {
		hc_webhook_delivery_id(event, since_ms, w->urls[i], id);
		snprintf(dkey, sizeof(dkey), "%swebhook:delivery:%s", w->s->key_prefix, id);
		argv[0] = "HSET";
		argv[1] = dkey;
		argv[2] = "url";
		argv[3] = w->urls[i];
		argv[4] = "event";
		argv[5] = event;
		argv[6] = "body";
		argv[7] = body;
		argv[8] = "attempts";
		argv[9] = "0";
		argv[10] = "first";
		argv[11] = now;
		for (size_t j = 0; j < 12; j++)
			lens[j] = strlen(argv[j]);
		if (hc_wh_cmd(w, 12, argv, lens) == -1)
			return HC_ERR_REDIS;
		argv[0] = "ZADD";
		argv[1] = qkey;
		argv[2] = "NX";
		argv[3] = now;
		argv[4] = id;
		if (hc_wh_cmd(w, 5, argv, NULL) == -1)
			return HC_ERR_REDIS;
		hc_log(HC_LOG_INFO, "webhook %s: delivery %s queued", event, id);
	}
	return HC_OK;
}

/* "https://hooks.example.com" of a URL: the path may hold a secret token. */
static void
hc_url_origin(const char *url, char *buf, size_t len)
{
	const char	*p = strstr(url, "://"), *e;

	e = p != NULL ? strchr(p + 3, '/') : NULL;
	snprintf(buf, len, "%.*s", e != NULL ? (int)(e - url) : (int)strlen(url), url);
}

/* One field of an HGETALL reply, or NULL. */
static const char *
hc_field(const redisReply *h, const char *name, size_t *len)
{
	size_t	 i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0 &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING) {
			if (len != NULL)
				*len = h->element[i + 1]->len;
			return h->element[i + 1]->str;
		}
	return NULL;
}

/* Drops a delivery from the queue and its record. */
static void
hc_wh_forget(struct hc_webhook *w, const char *qkey, const char *dkey, const char *id)
{
	const char	*argv[3];

	argv[0] = "ZREM";
	argv[1] = qkey;
	argv[2] = id;
	(void)hc_wh_cmd(w, 3, argv, NULL);
	argv[0] = "DEL";
	argv[1] = dkey;
	(void)hc_wh_cmd(w, 2, argv, NULL);
}

/* One POST; 1 delivered, 0 failed (why says how). */
static int
hc_wh_post(struct hc_webhook *w, const char *url, const char *event, const char *id,
    const char *body, size_t blen, char *why, size_t whylen)
{
	struct hc_fetch	 f;
	char		 hev[96], hid[96], hsig[128], sig[80];
	const char	*hdr[4];
	size_t		 n = 0;
	enum hc_err	 e;
	int		 ok;

	snprintf(hev, sizeof(hev), "X-Headcount-Event: %s", event);
	snprintf(hid, sizeof(hid), "X-Headcount-Delivery: %s", id);
	hdr[n++] = hev;
	hdr[n++] = hid;
	if (w->s->webhook_secret[0] != '\0' &&
	    hc_webhook_sign(w->s->webhook_secret, body, blen, sig, sizeof(sig)) == 0) {
		snprintf(hsig, sizeof(hsig), "X-Headcount-Signature: %s", sig);
		hdr[n++] = hsig;
	}
	hdr[n] = NULL;
	memset(&f, 0, sizeof(f));
	f.url = url;
	f.timeout_ms = HC_WEBHOOK_TIMEOUT_MS;
	f.max_body = 64 * 1024;
	f.headers = hdr;
	if ((e = hc_fetch_post(&w->curl, &f, "application/json", body, blen, why,
	    whylen)) != HC_OK)
		return 0;
	free(f.body);
	ok = f.status >= 200 && f.status < 300;
	snprintf(why, whylen, "HTTP %ld", f.status);
	return ok;
}

enum hc_err
hc_webhook_deliver(struct hc_webhook *w, long long now_ms, size_t max, size_t *sent)
{
	static struct hc_script take;
	char		 qkey[256], dprefix[256], dkey[320], now[32], lease[32], due[32];
	char		 id[64], why[CURL_ERROR_SIZE + 64], origin[256], att[24];
	const char	*url, *event, *body, *v;
	redisReply	*rep;
	size_t		 blen;
	long long	 attempts, first, pause;
	enum hc_err	 rc = HC_OK;

	*sent = 0;
	snprintf(qkey, sizeof(qkey), "%swebhook:queue", w->s->key_prefix);
	snprintf(dprefix, sizeof(dprefix), "%swebhook:delivery:", w->s->key_prefix);
	snprintf(lease, sizeof(lease), "%lld", HC_WEBHOOK_LEASE_MS);
	if (take.name == NULL)
		hc_script_init(&take, "webhook take", hc_take_lua);
	while (*sent < max) {
		const char *keys[1] = { qkey }, *args[3] = { now, lease, dprefix };

		snprintf(now, sizeof(now), "%lld", now_ms);
		if (hc_script_run(w->r, &take, 1, keys, 3, args, NULL, &rep, w->errstr,
		    sizeof(w->errstr)) != HC_OK)
			return HC_ERR_REDIS;
		if (rep->type == REDIS_REPLY_NIL) {
			freeReplyObject(rep);
			break;
		}
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			snprintf(w->errstr, sizeof(w->errstr), "webhook take: unexpected reply");
			freeReplyObject(rep);
			return HC_ERR_REDIS;
		}
		snprintf(id, sizeof(id), "%s", rep->element[0]->str);
		snprintf(dkey, sizeof(dkey), "%s%s", dprefix, id);
		url = hc_field(rep->element[1], "url", NULL);
		event = hc_field(rep->element[1], "event", NULL);
		body = hc_field(rep->element[1], "body", &blen);
		if (url == NULL || event == NULL || body == NULL) {
			hc_log(HC_LOG_WARN, "webhook delivery %s: record missing or incomplete; dropped", id);
			hc_wh_forget(w, qkey, dkey, id);
			freeReplyObject(rep);
			continue;
		}
		attempts = (v = hc_field(rep->element[1], "attempts", NULL)) ? strtoll(v, NULL, 10) : 0;
		first = (v = hc_field(rep->element[1], "first", NULL)) ? strtoll(v, NULL, 10) : now_ms;
		attempts++;
		(*sent)++;
		hc_url_origin(url, origin, sizeof(origin));
		if (hc_wh_post(w, url, event, id, body, blen, why, sizeof(why))) {
			hc_log(HC_LOG_INFO, "webhook %s: delivery %s to %s: delivered (%s, attempt %lld)",
			    event, id, origin, why, attempts);
			hc_wh_forget(w, qkey, dkey, id);
		} else if (now_ms - first >= w->s->webhook_retry_seconds * 1000LL) {
			hc_log(HC_LOG_ERROR, "webhook %s: delivery %s to %s: %s (attempt %lld); "
			    "giving up after %lld s (HEADCOUNT_WEBHOOK_RETRY_SECONDS)", event, id,
			    origin, why, attempts, (now_ms - first) / 1000);
			hc_wh_forget(w, qkey, dkey, id);
		} else {
			/* 1 s, 2 s, 4 s ... at most 5 min between attempts. */
			pause = attempts >= 10 ? HC_WEBHOOK_MAX_PAUSE_S : 1LL << (attempts - 1);
			if (pause > HC_WEBHOOK_MAX_PAUSE_S)
				pause = HC_WEBHOOK_MAX_PAUSE_S;
			hc_log(HC_LOG_WARN, "webhook %s: delivery %s to %s: %s (attempt %lld); "
			    "retrying in %lld s", event, id, origin, why, attempts, pause);
			snprintf(att, sizeof(att), "%lld", attempts);
			snprintf(due, sizeof(due), "%lld", now_ms + pause * 1000);
			{
				const char *h[6] = { "HSET", dkey, "attempts", att, "last_error", why };
				const char *z[4] = { "ZADD", qkey, due, id };

				if (hc_wh_cmd(w, 6, h, NULL) == -1 || hc_wh_cmd(w, 4, z, NULL) == -1)
					rc = HC_ERR_REDIS;
			}
		}
		freeReplyObject(rep);
		if (rc != HC_OK)
			return rc;
	}
	return rc;
}

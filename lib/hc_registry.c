/* hc_registry: the instance registry and self-preservation in Redis. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_registry.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_record.h"
#include "hc_redis.h"
#include "hc_registry_lua.h"
#include "hc_script.h"
#include "hc_settings.h"
#include "hc_time.h"

#define HC_EVENTS_CHANNEL	"events:instances"

static const char *const hc_key_suffix[HC_REGISTRY_KEY_MAX] = {
	"instances", "instance:data", "instances:stale", "self_preservation",
	"replicas:status"
};

struct hc_registry {
	struct hc_redis		*redis;
	long long		 ttl_ms;
	long long		 prune_ms;
	double			 ratio;
	char			*key[HC_REGISTRY_KEY_MAX];
	struct hc_script	 script[HC_REGISTRY_LUA_MAX];
	enum hc_err		 err;
	char			 errstr[HC_ERRSTR_MAX];
};

enum hc_err
hc_registry_seterr(struct hc_registry *reg, enum hc_err code, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	hc_err_vset(&reg->err, reg->errstr, sizeof(reg->errstr), code, fmt, ap);
	va_end(ap);
	return code;
}

struct hc_registry *
hc_registry_new(struct hc_redis *redis, const struct hc_settings *s)
{
	struct hc_registry *reg;
	size_t	 plen, i;

	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return NULL;
	reg->redis = redis;
	reg->ttl_ms = (long long)s->ttl * 1000;
	reg->prune_ms = (long long)s->prune_after * 1000;
	reg->ratio = s->preserve_ratio;
	plen = strlen(s->key_prefix);
	for (i = 0; i < HC_REGISTRY_KEY_MAX; i++) {
		size_t len = plen + strlen(hc_key_suffix[i]) + 1;

		if ((reg->key[i] = malloc(len)) == NULL)
			goto fail;
		snprintf(reg->key[i], len, "%s%s", s->key_prefix, hc_key_suffix[i]);
	}
	for (i = 0; i < HC_REGISTRY_LUA_MAX; i++)
		hc_script_init(&reg->script[i], hc_registry_lua[i].name,
		    hc_registry_lua[i].body);
	return reg;
fail:
	hc_registry_free(reg);
	return NULL;
}

void
hc_registry_free(struct hc_registry *reg)
{
	size_t	 i;

	if (reg == NULL)
		return;
	for (i = 0; i < HC_REGISTRY_KEY_MAX; i++)
		free(reg->key[i]);
	free(reg);
}

const char *
hc_registry_errstr(const struct hc_registry *reg)
{
	return reg->errstr[0] ? reg->errstr : "no error";
}

enum hc_err
hc_registry_err(const struct hc_registry *reg)
{
	return reg->err;
}

const char *
hc_registry_key(const struct hc_registry *reg, enum hc_registry_key k)
{
	return (unsigned)k < HC_REGISTRY_KEY_MAX ? reg->key[k] : "";
}

struct hc_redis *
hc_registry_redis(const struct hc_registry *reg)
{
	return reg->redis;
}

enum hc_err
hc_registry_run(struct hc_registry *reg, const struct hc_script *s, int nkeys,
    const char *const *keys, int nargs, const char *const *args,
    const size_t *arglens, redisReply **out)
{
	enum hc_err	 rc;

	if ((rc = hc_script_run(reg->redis, s, nkeys, keys, nargs, args, arglens,
	    out, reg->errstr, sizeof(reg->errstr))) != HC_OK)
		reg->err = rc;
	return rc;
}

/* Runs the registry's script s; NULL with the handle's error set. */
static redisReply *
hc_reg_script(struct hc_registry *reg, enum hc_registry_lua s, int nkeys,
    const char *const *keys, int nargs, const char *const *args,
    const size_t *arglens)
{
	redisReply	*rep;

	if (hc_registry_run(reg, &reg->script[s], nkeys, keys, nargs, args,
	    arglens, &rep) != HC_OK)
		return NULL;
	return rep;
}

/* Checks that rep is an array of at least n elements. */
static int
hc_reply_array(struct hc_registry *reg, const redisReply *rep, size_t n,
    const char *what)
{
	if (!hc_script_is_array(rep, n)) {
		hc_registry_seterr(reg, HC_ERR_REDIS,
		    "%s: unexpected reply from Redis", what);
		return 0;
	}
	return 1;
}

/*
 * The event {"event","instance_id","at"}: a new object (the caller puts
 * it) with its text in *s, or NULL without memory.
 */
static json_object *
hc_reg_event(const char *event, const char *id, const char *at, const char **s)
{
	json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (hc_json_add(o, "event", json_object_new_string(event)) != 0 ||
	    hc_json_add(o, "instance_id", json_object_new_string(id)) != 0 ||
	    hc_json_add(o, "at", json_object_new_string(at)) != 0 ||
	    (*s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

enum hc_err
hc_registry_publish(struct hc_registry *reg, const char *event, const char *id,
    long long at_ms)
{
	json_object	*o;
	const char	*s;
	char		 at[HC_TIME_BUFSZ];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_NOMEM;

	hc_time_fmt((time_t)(at_ms / 1000), at);
	if ((o = hc_reg_event(event, id, at, &s)) == NULL)
		return hc_registry_seterr(reg, HC_ERR_NOMEM, "publish: out of memory");
	rc = HC_ERR_REDIS;
	if ((rep = hc_redis_cmd(reg->redis, "PUBLISH %s %s", HC_EVENTS_CHANNEL,
	    s)) == NULL) {
		hc_registry_seterr(reg, HC_ERR_REDIS, "PUBLISH(%s): %s", HC_EVENTS_CHANNEL,
		    hc_redis_errstr(reg->redis));
		goto out;
	}
	if (rep->type == REDIS_REPLY_ERROR)
		hc_registry_seterr(reg, HC_ERR_REDIS, "PUBLISH(%s): %.160s", HC_EVENTS_CHANNEL, rep->str);
	else
		rc = HC_OK;
	freeReplyObject(rep);
out:
	json_object_put(o);
	return rc;
}

/*
 * Publishes one event per id, pipelined (a prune of thousands is one
 * round trip, not thousands).  Best effort: returns HC_OK or the first
 * failure.
 */
static enum hc_err
hc_reg_publish_many(struct hc_registry *reg, const char *event,
    char *const *ids, size_t n, long long at_ms)
{
	json_object	*o = NULL;
	const char	*argv[3], *s;
	char		 at[HC_TIME_BUFSZ];
	size_t		 i, queued = 0;
	redisReply	*rep;
	enum hc_err	 rc = HC_OK;

	if (n == 0)
		return HC_OK;
	hc_time_fmt((time_t)(at_ms / 1000), at);
	for (i = 0; i < n; i++) {
		if ((o = hc_reg_event(event, ids[i], at, &s)) == NULL) {
			rc = HC_ERR_NOMEM;
			break;
		}
		argv[0] = "PUBLISH";
		argv[1] = HC_EVENTS_CHANNEL;
		argv[2] = s;
		if (hc_redis_appendargv(reg->redis, 3, argv, NULL) == -1) {
			rc = HC_ERR_REDIS;
			break;
		}
		queued++;
		json_object_put(o);
		o = NULL;
	}
	json_object_put(o);
	while (queued-- > 0) {
		if ((rep = hc_redis_reply(reg->redis)) == NULL) {
			hc_registry_seterr(reg, HC_ERR_REDIS, "PUBLISH(%s): %s", HC_EVENTS_CHANNEL,
			    hc_redis_errstr(reg->redis));
			return HC_ERR_REDIS;
		}
		freeReplyObject(rep);
	}
	if (rc == HC_ERR_REDIS)
		hc_registry_seterr(reg, HC_ERR_REDIS, "PUBLISH(%s): %s", HC_EVENTS_CHANNEL,
		    hc_redis_errstr(reg->redis));
	return rc;
}

enum hc_err
hc_registry_heartbeat(struct hc_registry *reg, const char *id,
    const char *hostname, json_object *meta, int *registered, long long *now_ms)
{
	const char	*keys[3], *args[2];
	size_t		 lens[2];
	redisReply	*rep = NULL;
	char		*payload = NULL;
	size_t		 plen;
	long long	 now;
	enum hc_err	 rc = HC_ERR_NOMEM;

	if (hc_record_payload(hostname != NULL ? hostname : id, meta, &payload,
	    &plen) != HC_OK)
		return hc_registry_seterr(reg, HC_ERR_NOMEM,
		    "heartbeat: out of memory");
	keys[0] = reg->key[HC_REGISTRY_KEY_INSTANCES];
	keys[1] = reg->key[HC_REGISTRY_KEY_DATA];
	keys[2] = reg->key[HC_REGISTRY_KEY_STALE];
	args[0] = id;
	lens[0] = strlen(id);
	args[1] = payload;
	lens[1] = plen;
	rc = HC_ERR_REDIS;
	if ((rep = hc_reg_script(reg, HC_REGISTRY_LUA_HEARTBEAT, 3, keys, 2, args,
	    lens)) == NULL || !hc_reply_array(reg, rep, 2, "heartbeat"))
		goto out;
	now = hc_script_int(rep->element[1]);
	if (registered != NULL)
		*registered = hc_script_int(rep->element[0]) == 1;
	if (now_ms != NULL)
		*now_ms = now;
	rc = HC_OK;
	/* The heartbeat stands even if the event cannot go out. */
	if (hc_script_int(rep->element[0]) == 1)
		(void)hc_registry_publish(reg, "registered", id, now);
out:
	freeReplyObject(rep);
	free(payload);
	return rc;
}

enum hc_err
hc_registry_remove(struct hc_registry *reg, const char *id)
{
	const char	*keys[3], *args[1];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	keys[0] = reg->key[HC_REGISTRY_KEY_INSTANCES];
	keys[1] = reg->key[HC_REGISTRY_KEY_DATA];
	keys[2] = reg->key[HC_REGISTRY_KEY_STALE];
	args[0] = id;
	if ((rep = hc_reg_script(reg, HC_REGISTRY_LUA_REMOVE, 3, keys, 1, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (hc_reply_array(reg, rep, 2, "remove")) {
		if (hc_script_int(rep->element[0]) == 1) {
			rc = HC_OK;
			(void)hc_registry_publish(reg, "removed", id,
			    hc_script_int(rep->element[1]));
		} else
			rc = HC_ERR_NOTFOUND;
	}
	freeReplyObject(rep);
	return rc;
}

/*
 * Byte order of the ids.  The first 16 bytes are compared as two
 * integers kept in the entry (ids hold no NUL, so zero padding sorts a
 * shorter id first, as memcmp would): sorting 10,000 ids then rarely
 * reads the ids themselves, scattered through the Redis reply.
 */
static void
hc_inst_key(struct hc_instance *in)
{
	size_t	 i, j;

	in->key[0] = in->key[1] = 0;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 8; j++)
			in->key[i] = in->key[i] << 8 |
			    (i * 8 + j < in->id_len ? (unsigned char)in->id[i * 8 + j] : 0);
}

static int
hc_inst_cmp(const void *a, const void *b)
{
	const struct hc_instance *x = a, *y = b;
	size_t	 n;
	int	 c;

	if (x->key[0] != y->key[0])
		return x->key[0] < y->key[0] ? -1 : 1;
	if (x->key[1] != y->key[1])
		return x->key[1] < y->key[1] ? -1 : 1;
	n = x->id_len < y->id_len ? x->id_len : y->id_len;
	if (n > 16 && (c = memcmp(x->id + 16, y->id + 16, n - 16)) != 0)
		return c;
	return (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

/*
 * Reads the whole registry in one round trip: MULTI TIME HGETALL EXISTS
 * EXEC written at once and answered at once.  Native commands, not a
 * script: converting 20,000 values into and out of Lua costs Redis about
 * 20 ms at 10,000 instances, HGETALL about 5.  The sorted set is not
 * read: each value carries its last heartbeat (the script writes both),
 * which spares formatting and parsing 10,000 scores.
 */
static enum hc_err hc_reg_list(struct hc_registry *, struct hc_registry_list *,
	    int *);

enum hc_err
hc_registry_list(struct hc_registry *reg, struct hc_registry_list *out)
{
	enum hc_err	 rc;
	int		 broken = 0;

	/* Once more after a broken connection, as hc_reg_script does. */
	if ((rc = hc_reg_list(reg, out, &broken)) == HC_ERR_REDIS && broken) {
		hc_registry_list_free(out);
		rc = hc_reg_list(reg, out, &broken);
	}
	return rc;
}

static enum hc_err
hc_reg_list(struct hc_registry *reg, struct hc_registry_list *out, int *broken)
{
	redisReply	*rep = NULL, *h, *t;
	size_t		 i, n;
	int		 queued = 0, bad = 0;

	memset(out, 0, sizeof(*out));
	if (hc_redis_append(reg->redis, "MULTI") == 0 && ++queued &&
	    hc_redis_append(reg->redis, "TIME") == 0 && ++queued &&
	    hc_redis_append(reg->redis, "HGETALL %s", reg->key[HC_REGISTRY_KEY_DATA]) == 0 &&
	    ++queued &&
	    hc_redis_append(reg->redis, "EXISTS %s", reg->key[HC_REGISTRY_KEY_PRESERVE]) == 0 &&
	    ++queued &&
	    hc_redis_append(reg->redis, "EXEC") == 0)
		queued++;
	/* Read every queued answer, whatever happens, to keep the connection in step. */
	for (i = 0; i < (size_t)queued; i++) {
		redisReply *r = hc_redis_reply(reg->redis);

		if (r == NULL) {
			bad = 1;
			break;
		}
		if (r->type == REDIS_REPLY_ERROR && !bad) {
			hc_registry_seterr(reg, HC_ERR_REDIS, "list(%s): %.160s", i == 0 ? "MULTI" :
			    i == 4 ? "EXEC" : "queue", r->str);
			bad = 2;
		}
		if (i == 4)
			rep = r;
		else
			freeReplyObject(r);
	}
	if (bad == 1 || queued < 5) {
		hc_registry_seterr(reg, HC_ERR_REDIS, "list: %s", hc_redis_errstr(reg->redis));
		*broken = 1;
		goto fail;
	}
	if (bad || rep == NULL || !hc_reply_array(reg, rep, 3, "list"))
		goto fail;
	out->reply = rep;
	t = rep->element[0];
	h = rep->element[1];
	if (t->type != REDIS_REPLY_ARRAY || t->elements != 2 ||
	    h->type != REDIS_REPLY_ARRAY || h->elements % 2 != 0) {
		hc_registry_seterr(reg, HC_ERR_REDIS, "list: unexpected reply from Redis");
		return HC_ERR_REDIS;
	}
	out->now_ms = hc_script_int(t->element[0]) * 1000 +
	    hc_script_int(t->element[1]) / 1000;
	out->self_preservation = hc_script_int(rep->element[2]) == 1;
	n = h->elements / 2;
	if (n > 0 && (out->v = calloc(n, sizeof(*out->v))) == NULL) {
		hc_registry_seterr(reg, HC_ERR_NOMEM, "list: out of memory");
		return HC_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct hc_instance *in = &out->v[i];
		const redisReply *k = h->element[2 * i], *v = h->element[2 * i + 1];

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
			hc_registry_seterr(reg, HC_ERR_REDIS, "list: unexpected reply from Redis");
			return HC_ERR_REDIS;
		}
		in->id = k->str;
		in->id_len = k->len;
		hc_inst_key(in);
		in->data = v->str;
		in->data_len = v->len;
		in->last_ms = hc_record_last(v->str, v->len);
		in->stale = out->now_ms - in->last_ms > reg->ttl_ms;
		if (in->stale)
			out->stale++;
		else
			out->active++;
	}
	out->n = n;
	if (n > 1)
		qsort(out->v, n, sizeof(*out->v), hc_inst_cmp);
	return HC_OK;
fail:
	if (rep != NULL)
		freeReplyObject(rep);
	return HC_ERR_REDIS;
}

void
hc_registry_list_free(struct hc_registry_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	if (l->reply != NULL)
		freeReplyObject(l->reply);
	memset(l, 0, sizeof(*l));
}

enum hc_err
hc_registry_summary(struct hc_registry *reg, struct hc_registry_summary *out)
{
	const char	*keys[3], *args[1];
	char		 ttl[32];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;
	long long	 d;

	memset(out, 0, sizeof(*out));
	out->desired = -1;
	keys[0] = reg->key[HC_REGISTRY_KEY_INSTANCES];
	keys[1] = reg->key[HC_REGISTRY_KEY_PRESERVE];
	keys[2] = reg->key[HC_REGISTRY_KEY_STATUS];
	snprintf(ttl, sizeof(ttl), "%lld", reg->ttl_ms);
	args[0] = ttl;
	if ((rep = hc_reg_script(reg, HC_REGISTRY_LUA_SUMMARY, 3, keys, 1, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (hc_reply_array(reg, rep, 3, "summary")) {
		out->now_ms = hc_script_int(rep->element[0]);
		out->total = (long)hc_script_int(rep->element[1]);
		out->stale = (long)hc_script_int(rep->element[2]);
		out->active = out->total - out->stale;
		if (rep->elements > 3 && hc_script_is_string(rep->element[3])) {
			out->self_preservation = 1;
			out->self_preservation_since_ms = hc_script_int(rep->element[3]);
		}
		if (rep->elements > 4 &&
		    hc_script_int_strict(rep->element[4], &d) == 0 && d >= 0)
			out->desired = (long)d;
		rc = HC_OK;
	}
	freeReplyObject(rep);
	return rc;
}

void
hc_registry_tick_free(struct hc_registry_tick *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nnewly_stale; i++)
		free(t->newly_stale[i]);
	free(t->newly_stale);
	for (i = 0; i < t->npruned; i++)
		free(t->pruned[i]);
	free(t->pruned);
	memset(t, 0, sizeof(*t));
}

static int
hc_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum hc_err
hc_reg_maintain(struct hc_registry *reg, int force, struct hc_registry_tick *out)
{
	const char	*keys[4], *args[4];
	char		 ttl[32], prune[32], ratio[32];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS, prc;

	memset(out, 0, sizeof(*out));
	keys[0] = reg->key[HC_REGISTRY_KEY_INSTANCES];
	keys[1] = reg->key[HC_REGISTRY_KEY_DATA];
	keys[2] = reg->key[HC_REGISTRY_KEY_STALE];
	keys[3] = reg->key[HC_REGISTRY_KEY_PRESERVE];
	snprintf(ttl, sizeof(ttl), "%lld", reg->ttl_ms);
	snprintf(prune, sizeof(prune), "%lld", reg->prune_ms);
	snprintf(ratio, sizeof(ratio), "%.6f", reg->ratio);
	args[0] = ttl;
	args[1] = prune;
	args[2] = ratio;
	args[3] = force ? "1" : "0";
	if ((rep = hc_reg_script(reg, HC_REGISTRY_LUA_MAINTAIN, 4, keys, 4, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (!hc_reply_array(reg, rep, 8, "maintain"))
		goto out;
	out->summary.now_ms = hc_script_int(rep->element[0]);
	out->summary.total = (long)hc_script_int(rep->element[1]);
	out->summary.stale = (long)hc_script_int(rep->element[2]);
	out->summary.active = out->summary.total - out->summary.stale;
	if (rep->element[3]->type == REDIS_REPLY_STRING) {
		out->summary.self_preservation = 1;
		out->summary.self_preservation_since_ms = hc_script_int(rep->element[3]);
	}
	out->entered_preservation = hc_script_int(rep->element[6]) == 1;
	out->left_preservation = hc_script_int(rep->element[7]) == 1;
	rc = HC_ERR_NOMEM;
	if (hc_script_strv(rep->element[4], &out->newly_stale, &out->nnewly_stale) == -1 ||
	    hc_script_strv(rep->element[5], &out->pruned, &out->npruned) == -1) {
		hc_registry_seterr(reg, HC_ERR_NOMEM, "maintain: out of memory");
		goto out;
	}
	if (out->npruned > 1)
		qsort(out->pruned, out->npruned, sizeof(char *), hc_str_cmp);
	rc = HC_OK;
	/* Events are best effort: the registry has changed either way. */
	prc = hc_reg_publish_many(reg, "stale", out->newly_stale,
	    out->nnewly_stale, out->summary.now_ms);
	if (prc == HC_OK)
		(void)hc_reg_publish_many(reg, "removed", out->pruned,
		    out->npruned, out->summary.now_ms);
out:
	freeReplyObject(rep);
	return rc;
}

enum hc_err
hc_registry_maintain(struct hc_registry *reg, struct hc_registry_tick *out)
{
	return hc_reg_maintain(reg, 0, out);
}

enum hc_err
hc_registry_prune_stale(struct hc_registry *reg, struct hc_registry_tick *out)
{
	return hc_reg_maintain(reg, 1, out);
}

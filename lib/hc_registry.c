/* hc_registry: the instance registry, self-preservation and replica status in Redis. */
#include "config.h"
#include "hc_registry.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hc_json.h"
#include "hc_redis.h"
#include "hc_registry_lua.h"
#include "hc_settings.h"
#include "hc_time.h"

#define HC_EVENTS_CHANNEL	"events:instances"

enum hc_key {
	HC_KEY_INSTANCES,
	HC_KEY_DATA,
	HC_KEY_STALE,
	HC_KEY_PRESERVE,
	HC_KEY_STATUS,
	HC_KEY_MAX
};

static const char *const hc_key_suffix[HC_KEY_MAX] = {
	"instances", "instance:data", "instances:stale", "self_preservation",
	"replicas:status"
};

struct hc_registry {
	struct hc_redis		*redis;
	long long		 ttl_ms;
	long long		 prune_ms;
	double			 ratio;
	char			*key[HC_KEY_MAX];
	char			 sha[HC_SCRIPT_MAX][41];
	char			 errstr[256];
};

static void __attribute__((format(printf, 2, 3)))
hc_reg_err(struct hc_registry *reg, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(reg->errstr, sizeof(reg->errstr), fmt, ap);
	va_end(ap);
}

static int
hc_sha1_hex(const char *s, char out[41])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
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
	for (i = 0; i < HC_KEY_MAX; i++) {
		size_t len = plen + strlen(hc_key_suffix[i]) + 1;

		if ((reg->key[i] = malloc(len)) == NULL)
			goto fail;
		snprintf(reg->key[i], len, "%s%s", s->key_prefix, hc_key_suffix[i]);
	}
	for (i = 0; i < HC_SCRIPT_MAX; i++)
		if (hc_sha1_hex(hc_registry_scripts[i].body, reg->sha[i]) == -1)
			reg->sha[i][0] = '\0';	/* always EVAL then */
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
	for (i = 0; i < HC_KEY_MAX; i++)
		free(reg->key[i]);
	free(reg);
}

const char *
hc_registry_errstr(const struct hc_registry *reg)
{
	return reg->errstr[0] ? reg->errstr : "no error";
}

/*
 * Runs script s with keys and args (lens may be NULL).  EVALSHA first;
 * after NOSCRIPT (a restarted or flushed Redis) the body itself with
 * EVAL, which also caches it again.  Returns a non-error reply the
 * caller frees, or NULL with errstr set.
 */
static redisReply *
hc_reg_script(struct hc_registry *reg, enum hc_script s, int nkeys,
    const char *const *keys, int nargs, const char *const *args,
    const size_t *arglens)
{
	const char	*argv[16];
	size_t		 lens[16];
	char		 nk[16];
	redisReply	*rep;
	int		 argc = 0, i, pass;

	if (3 + nkeys + nargs > 16) {
		hc_reg_err(reg, "%s: too many arguments", hc_registry_scripts[s].name);
		return NULL;
	}
	snprintf(nk, sizeof(nk), "%d", nkeys);
	for (pass = reg->sha[s][0] ? 0 : 1; pass < 2; pass++) {
		argc = 0;
		argv[argc] = pass == 0 ? "EVALSHA" : "EVAL";
		lens[argc] = strlen(argv[argc]);
		argc++;
		argv[argc] = pass == 0 ? reg->sha[s] : hc_registry_scripts[s].body;
		lens[argc] = strlen(argv[argc]);
		argc++;
		argv[argc] = nk;
		lens[argc] = strlen(nk);
		argc++;
		for (i = 0; i < nkeys; i++, argc++) {
			argv[argc] = keys[i];
			lens[argc] = strlen(keys[i]);
		}
		for (i = 0; i < nargs; i++, argc++) {
			argv[argc] = args[i];
			lens[argc] = arglens != NULL ? arglens[i] : strlen(args[i]);
		}
		/*
		 * One call: hc_redis sends it again itself when a connection
		 * that had worked broke (a restarted Redis), and never after a
		 * timeout (a hung Redis costs one timeout, not two).
		 */
		if ((rep = hc_redis_cmdargv(reg->redis, argc, argv, lens)) == NULL) {
			hc_reg_err(reg, "%s(%s): %s", argv[0], hc_registry_scripts[s].name,
			    hc_redis_errstr(reg->redis));
			return NULL;
		}
		if (rep->type != REDIS_REPLY_ERROR)
			return rep;
		if (pass == 0 && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
			freeReplyObject(rep);
			continue;
		}
		hc_reg_err(reg, "%s(%s): %.160s", argv[0], hc_registry_scripts[s].name,
		    rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return NULL;
}

/* An integer element of a script's answer (Lua numbers come as integers, ours as strings). */
static long long
hc_reply_ll(const redisReply *r)
{
	if (r == NULL)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		return strtoll(r->str, NULL, 10);
	return 0;
}

/* Checks that rep is an array of at least n elements. */
static int
hc_reply_array(struct hc_registry *reg, const redisReply *rep, size_t n,
    const char *what)
{
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < n) {
		hc_reg_err(reg, "%s: unexpected reply from Redis", what);
		return 0;
	}
	return 1;
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

	if ((o = json_object_new_object()) == NULL)
		return HC_ERR_NOMEM;
	hc_time_fmt((time_t)(at_ms / 1000), at);
	if (json_object_object_add(o, "event", json_object_new_string(event)) ||
	    json_object_object_add(o, "instance_id", json_object_new_string(id)) ||
	    json_object_object_add(o, "at", json_object_new_string(at)) ||
	    (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL)
		goto out;
	rc = HC_ERR_REDIS;
	if ((rep = hc_redis_cmd(reg->redis, "PUBLISH %s %s", HC_EVENTS_CHANNEL,
	    s)) == NULL) {
		hc_reg_err(reg, "PUBLISH(%s): %s", HC_EVENTS_CHANNEL,
		    hc_redis_errstr(reg->redis));
		goto out;
	}
	if (rep->type == REDIS_REPLY_ERROR)
		hc_reg_err(reg, "PUBLISH(%s): %.160s", HC_EVENTS_CHANNEL, rep->str);
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
		if ((o = json_object_new_object()) == NULL ||
		    json_object_object_add(o, "event", json_object_new_string(event)) ||
		    json_object_object_add(o, "instance_id", json_object_new_string(ids[i])) ||
		    json_object_object_add(o, "at", json_object_new_string(at)) ||
		    (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
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
			hc_reg_err(reg, "PUBLISH(%s): %s", HC_EVENTS_CHANNEL,
			    hc_redis_errstr(reg->redis));
			return HC_ERR_REDIS;
		}
		freeReplyObject(rep);
	}
	if (rc == HC_ERR_REDIS)
		hc_reg_err(reg, "PUBLISH(%s): %s", HC_EVENTS_CHANNEL,
		    hc_redis_errstr(reg->redis));
	return rc;
}

enum hc_err
hc_registry_heartbeat(struct hc_registry *reg, const char *id,
    const char *hostname, json_object *meta, int *registered, long long *now_ms)
{
	const char	*keys[3], *args[2];
	size_t		 lens[2];
	json_object	*p;
	redisReply	*rep = NULL;
	const char	*payload;
	size_t		 plen;
	long long	 now;
	enum hc_err	 rc = HC_ERR_NOMEM;

	if ((p = json_object_new_object()) == NULL)
		return HC_ERR_NOMEM;
	/* hostname first: the script splices started_at in front of it. */
	if (hc_json_add(p, "hostname",
	    json_object_new_string(hostname != NULL ? hostname : id)) != HC_OK ||
	    hc_json_add(p, "meta", meta != NULL ? json_object_get(meta) :
	    json_object_new_object()) != HC_OK)
		goto out;
	if ((payload = json_object_to_json_string_length(p,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &plen)) == NULL)
		goto out;
	keys[0] = reg->key[HC_KEY_INSTANCES];
	keys[1] = reg->key[HC_KEY_DATA];
	keys[2] = reg->key[HC_KEY_STALE];
	args[0] = id;
	lens[0] = strlen(id);
	args[1] = payload;
	lens[1] = plen;
	rc = HC_ERR_REDIS;
	if ((rep = hc_reg_script(reg, HC_SCRIPT_HEARTBEAT, 3, keys, 2, args,
	    lens)) == NULL || !hc_reply_array(reg, rep, 2, "heartbeat"))
		goto out;
	now = hc_reply_ll(rep->element[1]);
	if (registered != NULL)
		*registered = hc_reply_ll(rep->element[0]) == 1;
	if (now_ms != NULL)
		*now_ms = now;
	rc = HC_OK;
	/* The heartbeat stands even if the event cannot go out. */
	if (hc_reply_ll(rep->element[0]) == 1)
		(void)hc_registry_publish(reg, "registered", id, now);
out:
	freeReplyObject(rep);
	json_object_put(p);
	return rc;
}

enum hc_err
hc_registry_remove(struct hc_registry *reg, const char *id)
{
	const char	*keys[3], *args[1];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	keys[0] = reg->key[HC_KEY_INSTANCES];
	keys[1] = reg->key[HC_KEY_DATA];
	keys[2] = reg->key[HC_KEY_STALE];
	args[0] = id;
	if ((rep = hc_reg_script(reg, HC_SCRIPT_REMOVE, 3, keys, 1, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (hc_reply_array(reg, rep, 2, "remove")) {
		if (hc_reply_ll(rep->element[0]) == 1) {
			rc = HC_OK;
			(void)hc_registry_publish(reg, "removed", id,
			    hc_reply_ll(rep->element[1]));
		} else
			rc = HC_ERR_NOTFOUND;
	}
	freeReplyObject(rep);
	return rc;
}

static int
hc_inst_cmp(const void *a, const void *b)
{
	const struct hc_instance *x = a, *y = b;
	size_t	 n = x->id_len < y->id_len ? x->id_len : y->id_len;
	int	 c = memcmp(x->id, y->id, n);

	if (c != 0)
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
	    hc_redis_append(reg->redis, "HGETALL %s", reg->key[HC_KEY_DATA]) == 0 &&
	    ++queued &&
	    hc_redis_append(reg->redis, "EXISTS %s", reg->key[HC_KEY_PRESERVE]) == 0 &&
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
			hc_reg_err(reg, "list(%s): %.160s", i == 0 ? "MULTI" :
			    i == 4 ? "EXEC" : "queue", r->str);
			bad = 2;
		}
		if (i == 4)
			rep = r;
		else
			freeReplyObject(r);
	}
	if (bad == 1 || queued < 5) {
		hc_reg_err(reg, "list: %s", hc_redis_errstr(reg->redis));
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
		hc_reg_err(reg, "list: unexpected reply from Redis");
		return HC_ERR_REDIS;
	}
	out->now_ms = hc_reply_ll(t->element[0]) * 1000 +
	    hc_reply_ll(t->element[1]) / 1000;
	out->self_preservation = hc_reply_ll(rep->element[2]) == 1;
	n = h->elements / 2;
	if (n > 0 && (out->v = calloc(n, sizeof(*out->v))) == NULL) {
		hc_reg_err(reg, "list: out of memory");
		return HC_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct hc_instance *in = &out->v[i];
		const redisReply *k = h->element[2 * i], *v = h->element[2 * i + 1];

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
			hc_reg_err(reg, "list: unexpected reply from Redis");
			return HC_ERR_REDIS;
		}
		in->id = k->str;
		in->id_len = k->len;
		in->data = v->str;
		in->data_len = v->len;
		in->last_ms = hc_registry_data_last(v->str, v->len);
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
	const char	*keys[2], *args[1];
	char		 ttl[32];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	memset(out, 0, sizeof(*out));
	keys[0] = reg->key[HC_KEY_INSTANCES];
	keys[1] = reg->key[HC_KEY_PRESERVE];
	snprintf(ttl, sizeof(ttl), "%lld", reg->ttl_ms);
	args[0] = ttl;
	if ((rep = hc_reg_script(reg, HC_SCRIPT_SUMMARY, 2, keys, 1, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (hc_reply_array(reg, rep, 3, "summary")) {
		out->now_ms = hc_reply_ll(rep->element[0]);
		out->total = (long)hc_reply_ll(rep->element[1]);
		out->stale = (long)hc_reply_ll(rep->element[2]);
		out->active = out->total - out->stale;
		if (rep->elements > 3 && rep->element[3]->type == REDIS_REPLY_STRING) {
			out->self_preservation = 1;
			out->self_preservation_since_ms = hc_reply_ll(rep->element[3]);
		}
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

/* Copies the strings of array a into a new vector; -1 without memory. */
static int
hc_strv(const redisReply *a, char ***v, size_t *n)
{
	size_t	 i;

	*v = NULL;
	*n = 0;
	if (a->type != REDIS_REPLY_ARRAY || a->elements == 0)
		return 0;
	if ((*v = calloc(a->elements, sizeof(**v))) == NULL)
		return -1;
	for (i = 0; i < a->elements; i++) {
		if (a->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if (((*v)[*n] = strndup(a->element[i]->str, a->element[i]->len)) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
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
	keys[0] = reg->key[HC_KEY_INSTANCES];
	keys[1] = reg->key[HC_KEY_DATA];
	keys[2] = reg->key[HC_KEY_STALE];
	keys[3] = reg->key[HC_KEY_PRESERVE];
	snprintf(ttl, sizeof(ttl), "%lld", reg->ttl_ms);
	snprintf(prune, sizeof(prune), "%lld", reg->prune_ms);
	snprintf(ratio, sizeof(ratio), "%.6f", reg->ratio);
	args[0] = ttl;
	args[1] = prune;
	args[2] = ratio;
	args[3] = force ? "1" : "0";
	if ((rep = hc_reg_script(reg, HC_SCRIPT_MAINTAIN, 4, keys, 4, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (!hc_reply_array(reg, rep, 8, "maintain"))
		goto out;
	out->summary.now_ms = hc_reply_ll(rep->element[0]);
	out->summary.total = (long)hc_reply_ll(rep->element[1]);
	out->summary.stale = (long)hc_reply_ll(rep->element[2]);
	out->summary.active = out->summary.total - out->summary.stale;
	if (rep->element[3]->type == REDIS_REPLY_STRING) {
		out->summary.self_preservation = 1;
		out->summary.self_preservation_since_ms = hc_reply_ll(rep->element[3]);
	}
	out->entered_preservation = hc_reply_ll(rep->element[6]) == 1;
	out->left_preservation = hc_reply_ll(rep->element[7]) == 1;
	rc = HC_ERR_NOMEM;
	if (hc_strv(rep->element[4], &out->newly_stale, &out->nnewly_stale) == -1 ||
	    hc_strv(rep->element[5], &out->pruned, &out->npruned) == -1) {
		hc_reg_err(reg, "maintain: out of memory");
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

static const char *const hc_replicas_names[HC_REPLICAS_MAX] = {
	"unknown", "healthy", "under_replicated", "over_replicated"
};

const char *
hc_replicas_name(enum hc_replicas st)
{
	if ((unsigned)st >= HC_REPLICAS_MAX)
		return "?";
	return hc_replicas_names[st];
}

enum hc_replicas
hc_replicas_of(long desired, long active)
{
	if (desired < 0)
		return HC_REPLICAS_UNKNOWN;
	if (active == desired)
		return HC_REPLICAS_HEALTHY;
	return active < desired ? HC_REPLICAS_UNDER : HC_REPLICAS_OVER;
}

static enum hc_replicas
hc_replicas_parse(const char *s)
{
	int	 i;

	for (i = 0; i < HC_REPLICAS_MAX; i++)
		if (strcmp(s, hc_replicas_names[i]) == 0)
			return (enum hc_replicas)i;
	return HC_REPLICAS_UNKNOWN;
}

enum hc_err
hc_registry_status_update(struct hc_registry *reg, long desired, long active,
    struct hc_replica_status *out)
{
	const char	*keys[1], *args[4];
	char		 d[32], a[32];
	enum hc_replicas st = hc_replicas_of(desired, active);
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	keys[0] = reg->key[HC_KEY_STATUS];
	snprintf(d, sizeof(d), "%ld", desired < 0 ? -1 : desired);
	snprintf(a, sizeof(a), "%ld", active);
	args[0] = hc_replicas_name(st);
	args[1] = d;
	args[2] = a;
	args[3] = st == HC_REPLICAS_UNDER || st == HC_REPLICAS_OVER ? "1" : "0";
	if ((rep = hc_reg_script(reg, HC_SCRIPT_STATUS, 1, keys, 4, args,
	    NULL)) == NULL)
		return HC_ERR_REDIS;
	if (hc_reply_array(reg, rep, 1, "status")) {
		if (out != NULL) {
			out->status = st;
			out->desired = desired < 0 ? -1 : desired;
			out->active = active;
			out->updated_ms = hc_reply_ll(rep->element[0]);
			if (rep->elements > 1 &&
			    rep->element[1]->type == REDIS_REPLY_STRING)
				out->mismatch_since_ms = hc_reply_ll(rep->element[1]);
		}
		rc = HC_OK;
	}
	freeReplyObject(rep);
	return rc;
}

enum hc_err
hc_registry_status_get(struct hc_registry *reg, struct hc_replica_status *out)
{
	redisReply	*rep, *e;

	memset(out, 0, sizeof(*out));
	out->desired = -1;
	if ((rep = hc_redis_cmd(reg->redis, "HMGET %s status desired active "
	    "mismatch_since updated_at", reg->key[HC_KEY_STATUS])) == NULL) {
		hc_reg_err(reg, "HMGET(%s): %s", reg->key[HC_KEY_STATUS],
		    hc_redis_errstr(reg->redis));
		return HC_ERR_REDIS;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		hc_reg_err(reg, "HMGET(%s): %.160s", reg->key[HC_KEY_STATUS], rep->str);
		freeReplyObject(rep);
		return HC_ERR_REDIS;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 5) {
		e = rep->element[0];
		if (e->type == REDIS_REPLY_STRING)
			out->status = hc_replicas_parse(e->str);
		if (rep->element[1]->type == REDIS_REPLY_STRING)
			out->desired = (long)hc_reply_ll(rep->element[1]);
		out->active = (long)hc_reply_ll(rep->element[2]);
		out->mismatch_since_ms = hc_reply_ll(rep->element[3]);
		out->updated_ms = hc_reply_ll(rep->element[4]);
	}
	freeReplyObject(rep);
	return HC_OK;
}

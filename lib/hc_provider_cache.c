/* hc_provider_cache: provider answers and failures cached in Redis under one key each. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_provider_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "hc_json.h"
#include "hc_redis.h"

/*
 * Entries are JSON: {"ok":<answer>} for 60/30 s, or
 * {"error":"...","code":<enum hc_err>} for 10 s, under one key so that a
 * fresh read replaces either.
 */
static json_object *
hc_provider_cache_get(struct hc_redis *r, const char *key)
{
	redisReply	*rep;
	json_object	*o = NULL;

	if (r == NULL || (rep = hc_redis_cmd(r, "GET %s", key)) == NULL)
		return NULL;
	if (rep->type == REDIS_REPLY_STRING &&
	    (o = json_tokener_parse(rep->str)) != NULL &&
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	freeReplyObject(rep);
	return o;
}

static void
hc_provider_cache_put(struct hc_redis *r, const char *key, json_object *entry, int ttl)
{
	redisReply	*rep;
	const char	*s;

	if (r == NULL || entry == NULL)
		return;
	s = json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN);
	if (s != NULL && (rep = hc_redis_cmd(r, "SET %s %s EX %d", key, s, ttl)) != NULL)
		freeReplyObject(rep);
}

/* Stores a failure for HC_PROVIDER_TTL_FAILURE seconds. */
void
hc_provider_cache_fail(struct hc_redis *r, const char *key, enum hc_err code, const char *why)
{
	json_object	*e;

	if (r == NULL || (e = json_object_new_object()) == NULL)
		return;
	if (hc_json_add(e, "error", json_object_new_string(why)) == 0 &&
	    hc_json_add(e, "code", json_object_new_int((int)code)) == 0)
		hc_provider_cache_put(r, key, e, HC_PROVIDER_TTL_FAILURE);
	json_object_put(e);
}

/* Stores {"ok":val} (val is not consumed). */
void
hc_provider_cache_ok(struct hc_redis *r, const char *key, json_object *val, int ttl)
{
	json_object	*e;

	if (r == NULL || (e = json_object_new_object()) == NULL)
		return;
	if (hc_json_add(e, "ok", json_object_get(val)) == 0)
		hc_provider_cache_put(r, key, e, ttl);
	json_object_put(e);
}

/*
 * Looks key up.  Returns 1 with *val (new reference) for an answer,
 * 1 with *val NULL and *err/errstr for a cached failure, 0 on a miss.
 */
int
hc_provider_cache_lookup(struct hc_redis *r, const char *key, json_object **val,
    enum hc_err *err, char *errstr, size_t errlen)
{
	json_object	*e, *v;
	int		 found = 0;

	*val = NULL;
	if ((e = hc_provider_cache_get(r, key)) == NULL)
		return 0;
	if (json_object_object_get_ex(e, "ok", &v) && v != NULL) {
		*val = json_object_get(v);
		found = 1;
	} else if (json_object_object_get_ex(e, "error", &v) &&
	    json_object_is_type(v, json_type_string)) {
		json_object *c;
		int code = HC_ERR_HTTP;

		if (json_object_object_get_ex(e, "code", &c) &&
		    json_object_is_type(c, json_type_int))
			code = json_object_get_int(c);
		if (code <= HC_OK || code >= HC_ERR_MAX)
			code = HC_ERR_HTTP;
		*err = (enum hc_err)code;
		snprintf(errstr, errlen, "%s", json_object_get_string(v));
		found = 1;
	}
	json_object_put(e);
	return found;
}

/* hc_cache_lookup, where an entry of another type than want is a miss. */
int
hc_provider_cache_lookup_type(struct hc_redis *r, const char *key, json_type want,
    json_object **val, enum hc_err *err, char *errstr, size_t errlen)
{
	if (!hc_provider_cache_lookup(r, key, val, err, errstr, errlen))
		return 0;
	if (*val != NULL && !json_object_is_type(*val, want)) {
		json_object_put(*val);
		*val = NULL;
		return 0;
	}
	return 1;
}


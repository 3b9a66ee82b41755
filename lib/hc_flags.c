/* hc_flags: the flag-name rule, how stored values read, and the atomic write scripts. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_flags.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_log.h"
#include "hc_redis.h"
#include "hc_script.h"
#include "hc_time.h"

int
hc_flags_name_valid_len(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > HC_FLAG_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

int
hc_flags_name_valid(const char *s)
{
	return s != NULL && hc_flags_name_valid_len(s, strlen(s));
}

enum hc_flag_value
hc_flags_value(const char *v, size_t len)
{
	if (len == 1 && v[0] == '1')
		return HC_FLAG_ON;
	if (len == 1 && v[0] == '0')
		return HC_FLAG_OFF;
	return HC_FLAG_OTHER;
}

char *
hc_flags_event(const char *event, const char *name, int enabled, time_t at)
{
	json_object	*o;
	char		 when[HC_TIME_BUFSZ], *out = NULL;
	const char	*s;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_object_add(o, "event", json_object_new_string(event)) == 0 &&
	    json_object_object_add(o, "name", json_object_new_string(name)) == 0 &&
	    json_object_object_add(o, "enabled", json_object_new_boolean(enabled)) == 0 &&
	    json_object_object_add(o, "at",
	    json_object_new_string(hc_time_fmt(at, when))) == 0 &&
	    (s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) != NULL)
		out = strdup(s);
	json_object_put(o);
	return out;
}

/*
 * KEYS: the hash.  ARGV: name, new value, message, channel.  Publishes
 * only when the stored value changes, so a repeated PUT is no event.
 */
static const char hc_lua_set[] =
	"local p = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if p == ARGV[2] then return {p, 0} end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
	"redis.call('PUBLISH', ARGV[4], ARGV[3])\n"
	"return {p, 1}\n";

/* KEYS: the hash.  ARGV: name, message, channel. */
static const char hc_lua_delete[] =
	"local p = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if not p then return false end\n"
	"redis.call('HDEL', KEYS[1], ARGV[1])\n"
	"redis.call('PUBLISH', ARGV[3], ARGV[2])\n"
	"return p\n";

/* What a previous value (a bulk string or nil) read as: -1 absent, else 0/1. */
static int
hc_flags_prev(const redisReply *p)
{
	if (p == NULL || p->type != REDIS_REPLY_STRING)
		return -1;
	return hc_flags_value(p->str, p->len) == HC_FLAG_ON;
}

enum hc_err
hc_flags_set(struct hc_redis *r, const char *key, const char *name, int enabled,
    int *previous, int *changed)
{
	static struct hc_script script;
	const char	*args[4];
	char		*msg, err[256];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	*previous = -1;
	*changed = 0;
	if (script.name == NULL)
		hc_script_init(&script, "flag set", hc_lua_set);
	if ((msg = hc_flags_event("changed", name, enabled, time(NULL))) == NULL)
		return HC_ERR_NOMEM;
	args[0] = name;
	args[1] = enabled ? "1" : "0";
	args[2] = msg;
	args[3] = HC_FLAGS_CHANNEL;
	rc = hc_script_run(r, &script, 1, &key, 4, args, NULL, &rep, err, sizeof(err));
	free(msg);
	if (rc != HC_OK) {
		hc_log(HC_LOG_ERROR, "setting flag %s in %s: %s", name, key, err);
		return rc;
	}
	rc = HC_ERR_REDIS;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_INTEGER) {
		*previous = hc_flags_prev(rep->element[0]);
		*changed = rep->element[1]->integer == 1;
		rc = HC_OK;
	} else
		hc_log(HC_LOG_ERROR, "setting flag %s in %s: unexpected reply", name, key);
	freeReplyObject(rep);
	return rc;
}

enum hc_err
hc_flags_delete(struct hc_redis *r, const char *key, const char *name,
    int *previous)
{
	static struct hc_script script;
	const char	*args[3];
	char		*msg, err[256];
	redisReply	*rep;
	enum hc_err	 rc = HC_ERR_REDIS;

	*previous = -1;
	if (script.name == NULL)
		hc_script_init(&script, "flag delete", hc_lua_delete);
	if ((msg = hc_flags_event("deleted", name, 0, time(NULL))) == NULL)
		return HC_ERR_NOMEM;
	args[0] = name;
	args[1] = msg;
	args[2] = HC_FLAGS_CHANNEL;
	rc = hc_script_run(r, &script, 1, &key, 3, args, NULL, &rep, err, sizeof(err));
	free(msg);
	if (rc != HC_OK) {
		hc_log(HC_LOG_ERROR, "deleting flag %s from %s: %s", name, key, err);
		return rc;
	}
	rc = HC_ERR_REDIS;
	if (rep->type == REDIS_REPLY_NIL) {
		rc = HC_ERR_NOTFOUND;
	} else if (rep->type == REDIS_REPLY_STRING) {
		*previous = hc_flags_prev(rep);
		rc = HC_OK;
	} else
		hc_log(HC_LOG_ERROR, "deleting flag %s from %s: unexpected reply", name, key);
	freeReplyObject(rep);
	return rc;
}

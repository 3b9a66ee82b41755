/* hc_script: Lua scripts run on Redis (EVALSHA, then EVAL after NOSCRIPT) and their replies. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_SCRIPT_H
#define HC_SCRIPT_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "hc_err.h"

struct hc_redis;

/*
 * Every script starts from the Redis clock: now (ms) and nows (its text).
 * replicate_commands makes writes after TIME legal on Redis < 5 (a no-op
 * later).
 */
#define HC_SCRIPT_LUA_NOW \
	"if redis.replicate_commands then redis.replicate_commands() end\n" \
	"local t = redis.call('TIME')\n" \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
	"local nows = string.format('%d', now)\n"

/* One script: its name (for errors), its body and the body's SHA-1. */
struct hc_script {
	const char	*name;
	const char	*body;
	char		 sha[41];	/* set by hc_script_init; "" means EVAL only */
};

/* Fills s->sha from body (both borrowed, must outlive s). */
void	 hc_script_init(struct hc_script *s, const char *name, const char *body);

/*
 * Runs s on r with nkeys keys and nargs arguments (arglens may be NULL
 * for C strings; nkeys + nargs at most 13).  EVALSHA first; after
 * NOSCRIPT (a restarted or flushed Redis) the body with EVAL, which
 * caches it again.  Returns HC_OK with *out a non-error reply the caller
 * frees with freeReplyObject, or HC_ERR_REDIS (HC_ERR_INVALID for too
 * many arguments) with *out NULL and errstr naming the call
 * ("EVALSHA(heartbeat): ...").
 */
enum hc_err hc_script_run(struct hc_redis *r, const struct hc_script *s,
	    int nkeys, const char *const *keys, int nargs,
	    const char *const *args, const size_t *arglens, redisReply **out,
	    char *errstr, size_t errlen);

/* An integer element of a reply (Lua numbers come as integers, ours as strings); 0 else. */
long long hc_script_int(const redisReply *r);

/* The same, strictly: 0 with *out, or -1 when r is no integer nor all digits. */
int	 hc_script_int_strict(const redisReply *r, long long *out);

/* 1 when r is an array of at least n elements, else 0. */
int	 hc_script_is_array(const redisReply *r, size_t n);

/* 1 when r is a bulk string (a Lua string; false comes as nil). */
int	 hc_script_is_string(const redisReply *r);

/*
 * Copies the strings of array a into a new vector (*v, *n; NULL, 0 when
 * a is no array or empty); the caller frees each and the vector, also
 * after a failure.  Returns 0, or -1 without memory.
 */
int	 hc_script_strv(const redisReply *a, char ***v, size_t *n);

#endif

/* hc_sampler: appends history samples to the shared Redis stream and reads them back. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_sampler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "hc_redis.h"
#include "hc_script.h"

/* Atomic, so that two nodes sampling the same interval leave one entry. */
static const char hc_sampler_lua[] =
	"local id = ARGV[1]\n"
	"if #redis.call('XRANGE', KEYS[1], id, id) > 0 then return 0 end\n"
	"local r = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], id,\n"
	"  'desired', ARGV[3], 'source', ARGV[4], 'active', ARGV[5], 'stale', ARGV[6],\n"
	"  'status', ARGV[7], 'sp', ARGV[8], 'since', ARGV[9])\n"
	"if type(r) == 'table' and r.err then return -1 end\n"
	"return 1\n";

static void
hc_stream_key(char *buf, size_t len, const char *prefix)
{
	snprintf(buf, len, "%shistory:samples", prefix);
}

enum hc_err
hc_sampler_publish(struct hc_redis *r, const char *prefix, const struct hc_sample *s,
    long maxlen, int *added, char *errstr, size_t errlen)
{
	char		 key[256], id[32], ml[24], des[24], act[24], st[24], sp[4], since[24];
	static struct hc_script script;
	const char	*args[9], *keys[1];
	redisReply	*rep;
	enum hc_err	 rc;

	*added = 0;
	if (script.name == NULL)
		hc_script_init(&script, "history publish", hc_sampler_lua);
	hc_stream_key(key, sizeof(key), prefix);
	snprintf(id, sizeof(id), "%lld-0", s->t * 1000);
	snprintf(ml, sizeof(ml), "%ld", maxlen);
	snprintf(des, sizeof(des), "%ld", s->desired < 0 ? -1L : s->desired);
	snprintf(act, sizeof(act), "%ld", s->active);
	snprintf(st, sizeof(st), "%ld", s->stale);
	snprintf(sp, sizeof(sp), "%d", s->self_preservation != 0);
	snprintf(since, sizeof(since), "%lld", s->mismatch_since);
	keys[0] = key;
	args[0] = id;
	args[1] = ml;
	args[2] = des;
	args[3] = s->source;
	args[4] = act;
	args[5] = st;
	args[6] = s->status;
	args[7] = sp;
	args[8] = since;
	if ((rc = hc_script_run(r, &script, 1, keys, 9, args, NULL, &rep, errstr, errlen)) != HC_OK)
		return rc;
	if (rep->type == REDIS_REPLY_INTEGER)
		*added = (int)rep->integer;
	else {
		snprintf(errstr, errlen, "history publish: unexpected reply");
		rc = HC_ERR_REDIS;
	}
	freeReplyObject(rep);
	return rc;
}

static int
hc_parse_ll(const char *v, long long *out)
{
	char		*end;
	long long	 l;

	errno = 0;
	l = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0)
		return -1;
	*out = l;
	return 0;
}

/* One XRANGE entry [id, [f1, v1, ...]] into s; -1 when it is not a sample. */
static int
hc_sampler_entry(const redisReply *e, struct hc_sample *s)
{
	const redisReply *f;
	long long	 v, ms;
	size_t		 i;
	int		 seen = 0;

	memset(s, 0, sizeof(*s));
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	if (sscanf(e->element[0]->str, "%lld-", &ms) != 1 || ms < 0)
		return -1;
	s->t = ms / 1000;
	f = e->element[1];
	for (i = 0; i + 1 < f->elements; i += 2) {
		const char *k = f->element[i]->str, *val = f->element[i + 1]->str;

		if (f->element[i]->type != REDIS_REPLY_STRING ||
		    f->element[i + 1]->type != REDIS_REPLY_STRING)
			return -1;
		if (strcmp(k, "source") == 0) {
			snprintf(s->source, sizeof(s->source), "%s", val);
			seen |= 1;
			continue;
		}
		if (strcmp(k, "status") == 0) {
			snprintf(s->status, sizeof(s->status), "%s", val);
			seen |= 2;
			continue;
		}
		if (hc_parse_ll(val, &v) == -1)
			return -1;
		if (strcmp(k, "desired") == 0)
			s->desired = v < 0 ? -1 : (long)v, seen |= 4;
		else if (strcmp(k, "active") == 0 && v >= 0)
			s->active = (long)v, seen |= 8;
		else if (strcmp(k, "stale") == 0 && v >= 0)
			s->stale = (long)v, seen |= 16;
		else if (strcmp(k, "sp") == 0)
			s->self_preservation = v != 0, seen |= 32;
		else if (strcmp(k, "since") == 0 && v >= 0)
			s->mismatch_since = v, seen |= 64;
	}
	return seen == 127 ? 0 : -1;
}

enum hc_err
hc_sampler_fetch(struct hc_redis *r, const char *prefix, long long after_t, size_t max,
    struct hc_sample **out, size_t *n, char *errstr, size_t errlen)
{
	char		 key[256], start[32], count[24];
	const char	*argv[6];
	redisReply	*rep;
	enum hc_err	 rc = HC_OK;
	size_t		 i;

	*out = NULL;
	*n = 0;
	hc_stream_key(key, sizeof(key), prefix);
	/* The first id after interval after_t's own. */
	snprintf(start, sizeof(start), "%lld", after_t > 0 ? after_t * 1000 + 1 : 0LL);
	snprintf(count, sizeof(count), "%zu", max);
	argv[0] = "XRANGE";
	argv[1] = key;
	argv[2] = start;
	argv[3] = "+";
	argv[4] = "COUNT";
	argv[5] = count;
	if ((rep = hc_redis_cmdargv(r, 6, argv, NULL)) == NULL) {
		snprintf(errstr, errlen, "%s", hc_redis_errstr(r));
		return HC_ERR_REDIS;
	}
	if (rep->type != REDIS_REPLY_ARRAY) {
		snprintf(errstr, errlen, "XRANGE(%s): %.160s", key,
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		freeReplyObject(rep);
		return HC_ERR_REDIS;
	}
	if (rep->elements > 0 && (*out = calloc(rep->elements, sizeof(**out))) == NULL) {
		freeReplyObject(rep);
		snprintf(errstr, errlen, "out of memory");
		return HC_ERR_NOMEM;
	}
	for (i = 0; i < rep->elements; i++) {
		if (hc_sampler_entry(rep->element[i], &(*out)[*n]) == -1) {
			snprintf(errstr, errlen, "XRANGE(%s): entry %zu is not a sample", key, i);
			rc = HC_ERR_PARSE;
			continue;
		}
		(*n)++;
	}
	freeReplyObject(rep);
	return rc;
}

/* hc_script: runs Lua scripts on Redis by SHA-1, falling back to the body, and reads their replies. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hc_redis.h"

#define HC_SCRIPT_ARGV	16

void
hc_script_init(struct hc_script *s, const char *name, const char *body)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	s->name = name;
	s->body = body;
	s->sha[0] = '\0';
	if (EVP_Digest(body, strlen(body), md, &n, EVP_sha1(), NULL) != 1 ||
	    n != 20)
		return;		/* always EVAL then */
	for (i = 0; i < n; i++)
		snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
}

enum hc_err
hc_script_run(struct hc_redis *r, const struct hc_script *s, int nkeys,
    const char *const *keys, int nargs, const char *const *args,
    const size_t *arglens, redisReply **out, char *errstr, size_t errlen)
{
	const char	*argv[HC_SCRIPT_ARGV];
	size_t		 lens[HC_SCRIPT_ARGV];
	char		 nk[16];
	redisReply	*rep;
	int		 argc, i, pass;

	*out = NULL;
	if (nkeys < 0 || nargs < 0 || 3 + nkeys + nargs > HC_SCRIPT_ARGV) {
		snprintf(errstr, errlen, "%s: too many arguments", s->name);
		return HC_ERR_INVALID;
	}
	snprintf(nk, sizeof(nk), "%d", nkeys);
	for (pass = s->sha[0] ? 0 : 1; pass < 2; pass++) {
		argc = 0;
		argv[argc] = pass == 0 ? "EVALSHA" : "EVAL";
		lens[argc] = strlen(argv[argc]);
		argc++;
		argv[argc] = pass == 0 ? s->sha : s->body;
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
		if ((rep = hc_redis_cmdargv(r, argc, argv, lens)) == NULL) {
			snprintf(errstr, errlen, "%s(%s): %s", argv[0], s->name,
			    hc_redis_errstr(r));
			return HC_ERR_REDIS;
		}
		if (rep->type != REDIS_REPLY_ERROR) {
			*out = rep;
			return HC_OK;
		}
		if (pass == 0 && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
			freeReplyObject(rep);
			continue;
		}
		snprintf(errstr, errlen, "%s(%s): %.160s", argv[0], s->name,
		    rep->str);
		freeReplyObject(rep);
		return HC_ERR_REDIS;
	}
	snprintf(errstr, errlen, "%s: no answer", s->name);
	return HC_ERR_REDIS;
}

long long
hc_script_int(const redisReply *r)
{
	if (r == NULL)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		return strtoll(r->str, NULL, 10);
	return 0;
}

int
hc_script_int_strict(const redisReply *r, long long *out)
{
	char	*end;

	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER) {
		*out = r->integer;
		return 0;
	}
	if (r->type == REDIS_REPLY_STRING && r->len > 0) {
		*out = strtoll(r->str, &end, 10);
		return *end == '\0' ? 0 : -1;
	}
	return -1;
}

int
hc_script_is_array(const redisReply *r, size_t n)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= n;
}

int
hc_script_is_string(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_STRING;
}

int
hc_script_strv(const redisReply *a, char ***v, size_t *n)
{
	size_t	 i;

	*v = NULL;
	*n = 0;
	if (a == NULL || a->type != REDIS_REPLY_ARRAY || a->elements == 0)
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

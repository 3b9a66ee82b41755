/* test_script: unit tests of hc_script against a private redis-server (EVALSHA, NOSCRIPT, EVAL, replies). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_script.h"

#include <stdlib.h>
#include <string.h>

#include "hc_redis.h"
#include "redis_fixture.h"
#include "tap.h"

static struct redis_fixture redis = { "", "", "", -1 };

static const char echo_lua[] = HC_SCRIPT_LUA_NOW
	"return {KEYS[1], ARGV[1], nows, 42, false, {'a', 'b'}}\n";

/* Whether Redis has the script of sha cached. */
static int
cached(struct hc_redis *r, const char *sha)
{
	redisReply	*rep = hc_redis_cmd(r, "SCRIPT EXISTS %s", sha);
	int		 yes = 0;

	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1)
		yes = rep->element[0]->integer == 1;
	freeReplyObject(rep);
	return yes;
}

static void
test_replies(void)
{
	redisReply	 i = { 0 }, s = { 0 }, bad = { 0 }, arr = { 0 }, *el[3];
	char		**v;
	size_t		 n;
	long long	 x = 0;

	i.type = REDIS_REPLY_INTEGER;
	i.integer = -7;
	s.type = REDIS_REPLY_STRING;
	s.str = (char *)"1234";
	s.len = 4;
	bad.type = REDIS_REPLY_STRING;
	bad.str = (char *)"12x";
	bad.len = 3;
	tap_ok(hc_script_int(&i) == -7 && hc_script_int(&s) == 1234 &&
	    hc_script_int(NULL) == 0, "int: integer, digits, NULL");
	tap_ok(hc_script_int_strict(&s, &x) == 0 && x == 1234, "strict: digits");
	tap_ok(hc_script_int_strict(&bad, &x) == -1, "strict: 12x refused");
	tap_ok(hc_script_int_strict(NULL, &x) == -1, "strict: NULL refused");
	el[0] = &s;
	el[1] = &i;
	el[2] = &bad;
	arr.type = REDIS_REPLY_ARRAY;
	arr.elements = 3;
	arr.element = el;
	tap_ok(hc_script_is_array(&arr, 3) && !hc_script_is_array(&arr, 4) &&
	    !hc_script_is_array(&s, 0) && !hc_script_is_array(NULL, 0), "is_array");
	tap_ok(hc_script_is_string(&s) && !hc_script_is_string(&i) &&
	    !hc_script_is_string(NULL), "is_string");
	tap_is_int(hc_script_strv(&arr, &v, &n), 0, "strv");
	tap_ok(n == 2 && strcmp(v[0], "1234") == 0 && strcmp(v[1], "12x") == 0,
	    "strv keeps the strings only");
	free(v[0]);
	free(v[1]);
	free(v);
	tap_ok(hc_script_strv(&i, &v, &n) == 0 && v == NULL && n == 0, "strv of a non-array: empty");
}

int
main(void)
{
	struct hc_script s, broken;
	struct hc_redis	*r;
	redisReply	*rep;
	const char	*keys[1] = { "k" }, *args[1] = { "v\0w" }, *many[14];
	size_t		 lens[1] = { 3 };
	char		 err[256], errstr[HC_ERRSTR_MAX];
	int		 i;

	test_replies();
	hc_script_init(&s, "echo", echo_lua);
	tap_ok(strlen(s.sha) == 40 && strspn(s.sha, "0123456789abcdef") == 40,
	    "init: a 40-digit SHA-1");
	if (redis_fixture_start(&redis) == -1) {
		redis_fixture_cleanup(&redis);
		return redis_fixture_missing("Redis tests") == 1 ? 1 : tap_done();
	}
	if ((r = hc_redis_new(redis.url, 2000, err, sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		redis_fixture_cleanup(&redis);
		return 1;
	}
	/* the SHA Redis computes for the body is ours */
	rep = hc_redis_cmd(r, "SCRIPT LOAD %s", echo_lua);
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STRING &&
	    strcmp(rep->str, s.sha) == 0, "Redis's SHA-1 of the body matches");
	freeReplyObject(rep);
	freeReplyObject(hc_redis_cmd(r, "SCRIPT FLUSH"));
	tap_ok(!cached(r, s.sha), "flushed: not cached");

	/* NOSCRIPT: EVAL with the body, which caches it again */
	tap_is_int(hc_script_run(r, &s, 1, keys, 1, args, lens, &rep, errstr,
	    sizeof(errstr)), HC_OK, "run after a flush (NOSCRIPT, then EVAL)");
	tap_ok(hc_script_is_array(rep, 6), "an array of 6");
	if (hc_script_is_array(rep, 6)) {
		tap_ok(rep->element[0]->len == 1 && rep->element[0]->str[0] == 'k', "KEYS[1]");
		tap_ok(rep->element[1]->len == 3 && memcmp(rep->element[1]->str, "v\0w", 3) == 0,
		    "ARGV[1] with its length (an embedded NUL kept)");
		tap_ok(hc_script_int(rep->element[2]) > 1700000000000LL, "nows: ms on the Redis clock");
		tap_ok(hc_script_int(rep->element[3]) == 42, "a Lua number is an integer");
		tap_ok(rep->element[4]->type == REDIS_REPLY_NIL, "false is nil");
		tap_ok(hc_script_is_array(rep->element[5], 2), "a nested table");
	}
	freeReplyObject(rep);
	tap_ok(cached(r, s.sha), "cached again by the EVAL");
	tap_is_int(hc_script_run(r, &s, 1, keys, 1, args, lens, &rep, errstr,
	    sizeof(errstr)), HC_OK, "run by SHA");
	freeReplyObject(rep);

	/* a script that fails names the call */
	hc_script_init(&broken, "broken", "return redis.call('NOSUCHCOMMAND')");
	tap_is_int(hc_script_run(r, &broken, 0, NULL, 0, NULL, NULL, &rep, errstr,
	    sizeof(errstr)), HC_ERR_REDIS, "a failing script: HC_ERR_REDIS");
	tap_ok(rep == NULL && strstr(errstr, "EVAL(broken)") != NULL,
	    "errstr names the call: %s", errstr);

	/* no SHA (as when hashing failed): EVAL straight away */
	s.sha[0] = '\0';
	tap_is_int(hc_script_run(r, &s, 1, keys, 1, args, NULL, &rep, errstr,
	    sizeof(errstr)), HC_OK, "run without a SHA (EVAL only)");
	freeReplyObject(rep);

	for (i = 0; i < 14; i++)
		many[i] = "x";
	tap_is_int(hc_script_run(r, &s, 7, many, 7, many, NULL, &rep, errstr,
	    sizeof(errstr)), HC_ERR_INVALID, "14 keys and arguments: refused");
	tap_ok(rep == NULL && strstr(errstr, "too many") != NULL, "and says so: %s", errstr);

	/* Redis gone: HC_ERR_REDIS naming the call, never a crash */
	hc_script_init(&s, "echo", echo_lua);
	redis_fixture_stop(&redis);
	tap_is_int(hc_script_run(r, &s, 1, keys, 1, args, NULL, &rep, errstr,
	    sizeof(errstr)), HC_ERR_REDIS, "Redis down: HC_ERR_REDIS");
	tap_ok(rep == NULL && strstr(errstr, "EVALSHA(echo)") != NULL,
	    "Redis down: errstr names the call: %s", errstr);
	hc_redis_free(r);
	redis_fixture_cleanup(&redis);
	return tap_done();
}

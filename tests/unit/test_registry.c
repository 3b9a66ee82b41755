/* test_registry: unit tests of hc_registry against a private redis-server on a unix socket. */
#include "config.h"
#include "hc_registry.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hc_json.h"
#include "hc_redis.h"
#include "hc_settings.h"
#include "tap.h"

extern char **environ;

static const struct stcase {
	long		 desired, active;
	enum hc_replicas want;
} stcases[] = {
	{ -1, 0, HC_REPLICAS_UNKNOWN },
	{ -1, 5, HC_REPLICAS_UNKNOWN },
	{ 0, 0, HC_REPLICAS_HEALTHY },
	{ 2, 2, HC_REPLICAS_HEALTHY },
	{ 3, 2, HC_REPLICAS_UNDER },
	{ 2, 3, HC_REPLICAS_OVER },
	{ 0, 1, HC_REPLICAS_OVER },
};

static char	 tmpdir[] = "/tmp/test_registry.XXXXXX";
static char	 sock[256];
static pid_t	 redis_pid = -1;

static int
redis_start(void)
{
	char	 opt_sock[300], opt_dir[300];
	char	*argv[] = { "redis-server", "--port", "0", "--unixsocket", opt_sock,
		    "--save", "", "--appendonly", "no", "--dir", opt_dir,
		    "--logfile", "/dev/null", NULL };
	struct timespec ts = { 0, 20 * 1000000L };
	struct stat st;
	int	 i;

	snprintf(sock, sizeof(sock), "%s/redis.sock", tmpdir);
	snprintf(opt_sock, sizeof(opt_sock), "%s", sock);
	snprintf(opt_dir, sizeof(opt_dir), "%s", tmpdir);
	if (posix_spawnp(&redis_pid, "redis-server", NULL, NULL, argv, environ) != 0) {
		redis_pid = -1;
		return -1;
	}
	for (i = 0; i < 250; i++) {
		if (stat(sock, &st) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void
redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
		redis_pid = -1;
	}
}

static void
cleanup(void)
{
	char	 p[300];

	redis_stop();
	snprintf(p, sizeof(p), "%s/redis.sock", tmpdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dump.rdb", tmpdir);
	unlink(p);
	rmdir(tmpdir);
}

/* Sets id's last heartbeat (score and stored "last") to age_ms before the Redis clock. */
static void
age(struct hc_redis *r, const char *prefix, const char *id, long long age_ms)
{
	static const char lua[] =
	    "local t = redis.call('TIME')\n"
	    "local v = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[2])\n"
	    "local vs = string.format('%d', v)\n"
	    "redis.call('ZADD', KEYS[1], 'XX', vs, ARGV[1])\n"
	    "local d = redis.call('HGET', KEYS[2], ARGV[1])\n"
	    "if d then redis.call('HSET', KEYS[2], ARGV[1], (string.gsub(d, '\"last\":%d+', '\"last\":' .. vs, 1))) end\n"
	    "return 1\n";
	redisReply *rep;

	rep = hc_redis_cmd(r, "EVAL %s 2 %sinstances %sinstance:data %s %lld", lua,
	    prefix, prefix, id, age_ms);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
		printf("# age(%s): %s\n", id, rep ? rep->str : "no reply");
	freeReplyObject(rep);
}

static long long
rint_cmd(struct hc_redis *r, const char *fmt, const char *a)
{
	redisReply *rep = hc_redis_cmd(r, fmt, a);
	long long v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	freeReplyObject(rep);
	return v;
}

/* The list array as a client sees it: serialised, then parsed (consumes a). */
static json_object *
reparse(json_object *a)
{
	json_object *b = a ? json_tokener_parse(json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN)) : NULL;

	json_object_put(a);
	return b;
}

/*
 * Stored data is input too: hand-written times far from now (INT64_MIN
 * among them) are shown at the bound RFC 3339 can write, with no overflow
 * (the sanitizer build checks the arithmetic).
 */
static const struct tcase {
	const char	*data;		/* the stored value */
	long long	 last_ms;	/* the list's last heartbeat; LLONG_MIN+1: from data */
	const char	*started, *last;
	long long	 since;
} tcases[] = {
	{ "{\"started_at\":1795341600000,\"last\":1795341601000,\"hostname\":\"h\",\"meta\":{}}",
	  1795341601000LL, "2026-11-22T10:00:00Z", "2026-11-22T10:00:01Z", 9 },
	{ "{\"started_at\":-9223372036854775808,\"last\":-9223372036854775808,\"hostname\":\"h\",\"meta\":{}}",
	  LLONG_MIN + 1, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 1795341610 },
	{ "{\"started_at\":9223372036854775807,\"last\":9223372036854775807,\"meta\":{}}",
	  LLONG_MIN + 1, "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", 0 },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{}}",
	  LLONG_MIN, "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z", 1795341610 },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{}}",
	  LLONG_MAX, "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", 0 },
	{ "{\"started_at\":999999999999999999,\"last\":999999999999999999,\"hostname\":\"h\",\"meta\":{}}",
	  LLONG_MIN + 1, "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", 0 },
	{ "{\"started_at\":-1,\"last\":-1001,\"hostname\":\"h\",\"meta\":{}}",
	  -1001, "1970-01-01T00:00:00Z", "1969-12-31T23:59:58Z", 1795341610 },
};

/* The list of one instance id (5 bytes) with stored data, as the API renders it; NULL without memory. */
static json_object *
list_of_one(const char *id, const char *data, long long last_ms, long long now_ms)
{
	struct hc_registry_list l;
	struct hc_instance in;

	memset(&l, 0, sizeof(l));
	memset(&in, 0, sizeof(in));
	in.id = id;
	in.id_len = strlen(id);
	in.data = data;
	in.data_len = strlen(data);
	in.last_ms = last_ms;
	l.now_ms = now_ms;
	l.n = 1;
	l.v = &in;
	return hc_registry_list_json(&l);
}

static void
test_times(void)
{
	json_object	*a, *o, *v;
	const char	*js;
	size_t		 i;

	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const char *d = tcases[i].data;

		a = list_of_one("web-t", d, tcases[i].last_ms == LLONG_MIN + 1 ?
		    hc_registry_data_last(d, strlen(d)) : tcases[i].last_ms, 1795341610000LL);
		if (a == NULL || (js = json_object_to_json_string(a)) == NULL ||
		    (o = json_tokener_parse(js)) == NULL) {
			tap_ok(0, "time case %zu: the list renders as JSON", i);
			json_object_put(a);
			continue;
		}
		v = json_object_array_get_idx(o, 0);
		tap_is_str(json_object_get_string(json_object_object_get(v, "started_at")),
		    tcases[i].started, "time case %zu: started_at", i);
		tap_is_str(json_object_get_string(json_object_object_get(v, "last_heartbeat")),
		    tcases[i].last, "time case %zu: last_heartbeat", i);
		tap_is_int(json_object_get_int64(json_object_object_get(v,
		    "seconds_since_heartbeat")), tcases[i].since,
		    "time case %zu: seconds_since_heartbeat", i);
		json_object_put(o);
		json_object_put(a);
	}
}

/* Stored meta with NaN or Infinity (written before heartbeats refused them, or by hand). */
static const struct ncase {
	const char	*data;
	const char	*want;		/* the instance's hostname and meta as listed */
} ncases[] = {
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{\"x\":NaN}}",
	  "\"hostname\":\"web-n\",\"started_at\":\"1970-01-01T00:00:00Z\"" },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{\"x\":-Infinity,\"y\":1}}",
	  "\"meta\":{}" },
	{ "{\"started_at\":1,\"last\":2,\"meta\":{\"x\":Infinity}}", "\"meta\":{}" },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{\"x\":\"NaN Infinity\"}}",
	  "\"hostname\":\"h\"" },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{\"N\\\"I\":1}}",
	  "\"meta\":{\"N\\\"I\":1}" },
};

static void
test_stored_nan(void)
{
	json_object	*a, *o;
	const char	*js;
	char		 err[128];
	size_t		 i;

	for (i = 0; i < sizeof(ncases) / sizeof(ncases[0]); i++) {
		a = list_of_one("web-n", ncases[i].data, 2, 3000);
		js = a ? json_object_to_json_string(a) : "";
		o = NULL;
		tap_is_int(hc_json_parse(js, strlen(js), 0, &o, err, sizeof(err)), HC_OK,
		    "stored NaN case %zu: the list is strict JSON (%s)", i, err);
		if (!tap_ok(strstr(js, ncases[i].want) != NULL, "stored NaN case %zu: %s", i,
		    ncases[i].want))
			printf("#   got: %s\n", js);
		json_object_put(o);
		json_object_put(a);
	}
}

static void
test_pure(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(stcases) / sizeof(stcases[0]); i++)
		tap_is_int(hc_replicas_of(stcases[i].desired, stcases[i].active),
		    stcases[i].want, "replicas_of(%ld, %ld)", stcases[i].desired,
		    stcases[i].active);
	tap_is_str(hc_replicas_name(HC_REPLICAS_UNDER), "under_replicated", "name under");
	tap_is_str(hc_replicas_name(HC_REPLICAS_MAX), "?", "name out of range");
}

static void
test_heartbeat_list(struct hc_registry *reg, struct hc_redis *r)
{
	struct hc_registry_list l;
	json_object	*meta, *a, *o, *v;
	int		 reg1 = -1, reg2 = -1;
	long long	 now = 0;
	const char	*ids[] = { "web-2", "Web-1", "web-10", "web-1" };
	size_t		 i;
	char		 started[64];

	meta = json_tokener_parse("{\"zone\":\"lon1\",\"n\":3,\"big\":12345678901234567,\"f\":1.25,\"ok\":true}");
	tap_is_int(hc_registry_heartbeat(reg, "web-1", "host-a", meta, &reg1, &now),
	    HC_OK, "heartbeat new");
	tap_is_int(reg1, 1, "registered on first heartbeat");
	tap_ok(now > 1700000000000LL, "now_ms from Redis (%lld)", now);
	tap_is_int(hc_registry_heartbeat(reg, "web-1", NULL, NULL, &reg2, NULL),
	    HC_OK, "heartbeat renew");
	tap_is_int(reg2, 0, "not registered on renewal");
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		tap_is_int(hc_registry_heartbeat(reg, ids[i], NULL, i == 3 ? meta : NULL,
		    NULL, NULL), HC_OK, "heartbeat %s", ids[i]);
	json_object_put(meta);

	tap_is_int(hc_registry_list(reg, &l), HC_OK, "list");
	tap_is_int(l.n, 4, "4 instances");
	tap_is_int(l.active, 4, "4 active");
	tap_is_int(l.stale, 0, "0 stale");
	if (l.n == 4) {
		tap_ok(memcmp(l.v[0].id, "Web-1", 5) == 0, "byte order: Web-1 first");
		tap_ok(memcmp(l.v[1].id, "web-1", 5) == 0 && l.v[1].id_len == 5, "then web-1");
		tap_ok(memcmp(l.v[2].id, "web-10", 6) == 0, "then web-10");
		tap_ok(memcmp(l.v[3].id, "web-2", 5) == 0, "then web-2");
	}
	a = reparse(hc_registry_list_json(&l));
	tap_ok(a != NULL && json_object_array_length(a) == 4, "list json");
	o = a ? json_object_array_get_idx(a, 1) : NULL;
	tap_is_str(o && json_object_object_get_ex(o, "instance_id", &v) ?
	    json_object_get_string(v) : NULL, "web-1", "instance_id");
	tap_is_str(o && json_object_object_get_ex(o, "hostname", &v) ?
	    json_object_get_string(v) : NULL, "web-1", "hostname follows the latest heartbeat");
	tap_is_str(o && json_object_object_get_ex(o, "meta", &v) ?
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : NULL,
	    "{\"zone\":\"lon1\",\"n\":3,\"big\":12345678901234567,\"f\":1.25,\"ok\":true}",
	    "meta returned as given");
	snprintf(started, sizeof(started), "%s", o && json_object_object_get_ex(o,
	    "started_at", &v) ? json_object_get_string(v) : "");
	tap_ok(strlen(started) == 20 && started[10] == 'T' && started[19] == 'Z',
	    "started_at is RFC 3339 (%s)", started);
	tap_ok(o && json_object_object_get_ex(o, "is_stale", &v) &&
	    !json_object_get_boolean(v), "is_stale false");
	tap_ok(o && json_object_object_get_ex(o, "seconds_since_heartbeat", &v) &&
	    json_object_get_int(v) == 0, "seconds_since_heartbeat 0");
	o = a ? json_object_array_get_idx(a, 0) : NULL;
	tap_is_str(o && json_object_object_get_ex(o, "meta", &v) ?
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : NULL,
	    "{}", "meta defaults to {}");
	json_object_put(a);
	hc_registry_list_free(&l);

	/* started_at survives renewals, is_stale follows the Redis clock */
	age(r, "t:", "web-2", 5000);
	tap_is_int(hc_registry_list(reg, &l), HC_OK, "list again");
	tap_is_int(l.stale, 1, "web-2 stale after 5 s (TTL 2)");
	tap_is_int(l.active, 3, "3 active");
	a = reparse(hc_registry_list_json(&l));
	o = a ? json_object_array_get_idx(a, 3) : NULL;
	tap_ok(o && json_object_object_get_ex(o, "is_stale", &v) &&
	    json_object_get_boolean(v), "web-2 is_stale");
	tap_ok(o && json_object_object_get_ex(o, "seconds_since_heartbeat", &v) &&
	    json_object_get_int(v) == 5, "web-2 seconds_since_heartbeat 5");
	json_object_put(a);
	hc_registry_list_free(&l);

	/* remove */
	tap_is_int(hc_registry_remove(reg, "web-10"), HC_OK, "remove web-10");
	tap_is_int(hc_registry_remove(reg, "web-10"), HC_ERR_NOTFOUND, "remove again: not found");
	tap_is_int(hc_registry_remove(reg, "bad id"), HC_ERR_NOTFOUND, "remove bad id: not found");
	tap_is_int(rint_cmd(r, "HEXISTS t:instance:data %s", "web-10"), 0, "data removed");
}

static void
test_maintain(struct hc_registry *reg, struct hc_redis *r)
{
	struct hc_registry_tick t;
	struct hc_registry_summary sum;
	char	 id[16];
	int	 i;

	freeReplyObject(hc_redis_cmd(r, "FLUSHALL"));
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		hc_registry_heartbeat(reg, id, NULL, NULL, NULL, NULL);
	}
	/* gradual loss: 3 instances stale, each more than a TTL apart */
	age(r, "t:", "n0", 3000);
	age(r, "t:", "n1", 6000);
	age(r, "t:", "n2", 9000);
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain");
	tap_is_int(t.nnewly_stale, 3, "3 newly stale");
	tap_is_int(t.npruned, 1, "n2 pruned (older than 8 s)");
	tap_is_str(t.npruned ? t.pruned[0] : NULL, "n2", "pruned n2");
	tap_is_int(t.summary.self_preservation, 0, "no self-preservation");
	tap_is_int(t.summary.total, 9, "9 left");
	tap_is_int(t.summary.stale, 2, "2 stale");
	hc_registry_tick_free(&t);
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain again");
	tap_is_int(t.nnewly_stale, 0, "stale announced once");
	hc_registry_tick_free(&t);
	hc_registry_heartbeat(reg, "n0", NULL, NULL, NULL, NULL);
	age(r, "t:", "n0", 3000);
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain after recovery");
	tap_is_int(t.nnewly_stale, 1, "announced again after a heartbeat");
	hc_registry_tick_free(&t);
	hc_registry_remove(reg, "n0");
	hc_registry_remove(reg, "n1");
	hc_registry_heartbeat(reg, "n2", NULL, NULL, NULL, NULL);

	/* burst: 6 of 10 within one TTL window */
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		hc_registry_heartbeat(reg, id, NULL, NULL, NULL, NULL);
		age(r, "t:", id, 2500 + i * 100);
	}
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain (burst)");
	tap_is_int(t.entered_preservation, 1, "self-preservation entered");
	tap_is_int(t.summary.self_preservation, 1, "summary says so");
	tap_is_int(t.npruned, 0, "nothing pruned");
	hc_registry_tick_free(&t);
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		age(r, "t:", id, 20000 + i * 100);
	}
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain (past prune age)");
	tap_is_int(t.npruned, 0, "still nothing pruned");
	tap_is_int(t.summary.stale, 6, "6 stale");
	hc_registry_tick_free(&t);
	tap_is_int(hc_registry_summary(reg, &sum), HC_OK, "summary");
	tap_is_int(sum.total, 10, "summary total 10");
	tap_is_int(sum.active, 4, "summary active 4");
	tap_is_int(sum.stale, 6, "summary stale 6");
	tap_is_int(sum.self_preservation, 1, "summary self_preservation");
	tap_ok(sum.self_preservation_since_ms > 0, "self_preservation since");
	tap_is_int(hc_registry_prune_stale(reg, &t), HC_OK, "owner refresh");
	tap_is_int(t.npruned, 6, "6 pruned");
	tap_is_str(t.npruned ? t.pruned[0] : NULL, "n0", "pruned sorted");
	tap_is_int(t.summary.self_preservation, 0, "self-preservation over");
	tap_is_int(t.left_preservation, 1, "left self-preservation");
	tap_is_int(t.summary.total, 4, "4 left");
	hc_registry_tick_free(&t);

	/* recovery: a burst, then heartbeats come back */
	for (i = 4; i < 9; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		hc_registry_heartbeat(reg, id, NULL, NULL, NULL, NULL);
	}
	for (i = 0; i < 9; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		if (i >= 6)
			continue;
		hc_registry_heartbeat(reg, id, NULL, NULL, NULL, NULL);
		age(r, "t:", id, 3000);
	}
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain (burst 2)");
	tap_is_int(t.summary.self_preservation, 1, "self-preservation again");
	hc_registry_tick_free(&t);
	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		hc_registry_heartbeat(reg, id, NULL, NULL, NULL, NULL);
	}
	tap_is_int(hc_registry_maintain(reg, &t), HC_OK, "maintain (recovered)");
	tap_is_int(t.summary.self_preservation, 0, "self-preservation ends with heartbeats");
	tap_is_int(t.left_preservation, 1, "left");
	hc_registry_tick_free(&t);
}

static void
test_status(struct hc_registry *reg, struct hc_redis *r)
{
	struct hc_replica_status st, st2;
	struct timespec ts = { 0, 20 * 1000000L };

	tap_is_int(hc_registry_status_get(reg, &st), HC_OK, "status_get (none)");
	tap_is_int(st.updated_ms, 0, "never written");
	tap_is_int(st.desired, -1, "desired unknown");
	tap_is_int(hc_registry_status_update(reg, 3, 2, &st), HC_OK, "under");
	tap_is_int(st.status, HC_REPLICAS_UNDER, "under_replicated");
	tap_ok(st.mismatch_since_ms > 0, "mismatch_since set");
	nanosleep(&ts, NULL);
	tap_is_int(hc_registry_status_update(reg, 1, 2, &st2), HC_OK, "over");
	tap_is_int(st2.mismatch_since_ms, st.mismatch_since_ms, "mismatch_since kept");
	tap_is_int(hc_registry_status_get(reg, &st2), HC_OK, "status_get");
	tap_is_int(st2.status, HC_REPLICAS_OVER, "stored over_replicated");
	tap_is_int(st2.desired, 1, "stored desired");
	tap_is_int(st2.active, 2, "stored active");
	tap_is_int(st2.mismatch_since_ms, st.mismatch_since_ms, "stored mismatch_since");
	tap_is_int(hc_registry_status_update(reg, 2, 2, &st), HC_OK, "healthy");
	tap_is_int(st.mismatch_since_ms, 0, "mismatch_since cleared");
	tap_is_int(hc_registry_status_update(reg, -1, 2, &st), HC_OK, "unknown");
	tap_is_int(hc_registry_status_get(reg, &st2), HC_OK, "status_get");
	tap_is_int(st2.status, HC_REPLICAS_UNKNOWN, "stored unknown");
	tap_is_int(st2.desired, -1, "stored desired -1");
	tap_is_int(st2.mismatch_since_ms, 0, "no mismatch when unknown");
	(void)r;
}

static void
test_noscript_and_down(struct hc_registry *reg, struct hc_redis *r)
{
	struct hc_registry_list l;
	int	 registered = -1;

	freeReplyObject(hc_redis_cmd(r, "SCRIPT FLUSH"));
	tap_is_int(hc_registry_heartbeat(reg, "after-flush", NULL, NULL, &registered,
	    NULL), HC_OK, "heartbeat after SCRIPT FLUSH (EVAL fallback)");
	tap_is_int(registered, 1, "registered");
	redis_stop();
	tap_is_int(hc_registry_heartbeat(reg, "down", NULL, NULL, NULL, NULL),
	    HC_ERR_REDIS, "heartbeat with Redis down");
	tap_ok(strstr(hc_registry_errstr(reg), "heartbeat") != NULL,
	    "errstr names the script: %s", hc_registry_errstr(reg));
	tap_is_int(hc_registry_list(reg, &l), HC_ERR_REDIS, "list with Redis down");
	hc_registry_list_free(&l);
	hc_registry_list_free(&l);	/* idempotent */
	hc_registry_list_free(NULL);
	hc_registry_tick_free(NULL);
}

int
main(void)
{
	struct hc_settings s;
	struct hc_redis	*r;
	struct hc_registry *reg;
	char	 url[300], err[256];

	signal(SIGPIPE, SIG_IGN);	/* writes to the stopped Redis must fail, not kill */
	test_pure();
	test_times();
	test_stored_nan();
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (redis_start() == -1) {
		cleanup();
		if (getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0) {
			printf("Bail out! redis-server missing (CI must install it)\n");
			return 1;
		}
		printf("# SKIP no redis-server: Redis tests skipped\n");
		return tap_done();
	}
	memset(&s, 0, sizeof(s));
	s.key_prefix = "t:";
	s.ttl = 2;
	s.prune_after = 8;
	s.preserve_ratio = 0.5;
	snprintf(url, sizeof(url), "unix://%s", sock);
	r = hc_redis_new(url, 2000, err, sizeof(err));
	reg = r ? hc_registry_new(r, &s) : NULL;
	if (reg == NULL) {
		printf("Bail out! %s\n", r ? "hc_registry_new" : err);
		hc_redis_free(r);
		cleanup();
		return 1;
	}
	test_heartbeat_list(reg, r);
	test_maintain(reg, r);
	test_status(reg, r);
	test_noscript_and_down(reg, r);
	hc_registry_free(reg);
	hc_registry_free(NULL);
	hc_redis_free(r);
	cleanup();
	return tap_done();
}

/* hc_events_sub: one Redis PSUBSCRIBE per process, on a libuv loop, resubscribed after every loss. */
#include "config.h"
#include "hc_events_sub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wstrict-prototypes"
#pragma clang diagnostic ignored "-Wmissing-prototypes"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#endif
#include <hiredis/adapters/libuv.h>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "hc_log.h"
#include "hc_redis.h"
#include "hc_sentinel.h"

#define HC_SUB_RETRY_MIN_MS	100
#define HC_SUB_RETRY_MAX_MS	2000


struct hc_events_sub {
	uv_loop_t		*loop;
	char			*url;
	char			*sentinel_password;	/* NULL: none */
	long			 timeout_ms;
	char			**patterns;
	size_t			 n;
	hc_events_sub_msg	 on_msg;
	hc_events_sub_state	 on_state;
	void			*ud;
	redisAsyncContext	*ac;		/* NULL while disconnected */
	uv_timer_t		 retry;		/* next connect */
	uv_timer_t		 deadline;	/* connect timeout */
	int			 timers;	/* timers still open (freed when 0) */
	int			 closing;
	int			 up;		/* PSUBSCRIBE confirmed */
	size_t			 confirmed;	/* patterns confirmed on this connection */
	int			 down_logged;	/* the loss was logged, recovery is next */
	uint64_t		 retry_ms;
	unsigned long		 errors;
	char			 where[300];	/* the address tried, for logs */
};

static void	hc_sub_connect(struct hc_events_sub *s);

/*
 * The one place that turns REDIS_URL into the address to connect to,
 * asked again before every (re)connect: with redis+sentinel:// the
 * sentinels name the master of now (a failover ends the subscription's
 * connection, and the next try finds the new master).  It blocks for at
 * most twice the timeout, only while no subscription is up.
 */
static int
hc_sub_master(const struct hc_events_sub *s, struct hc_redis_url *u, char *err,
    size_t errlen)
{
	return hc_sentinel_resolve(s->url, s->sentinel_password, s->timeout_ms, u,
	    err, errlen);
}

static void
hc_sub_set_up(struct hc_events_sub *s, int up)
{
	if (s->up == up)
		return;
	s->up = up;
	if (s->on_state != NULL)
		s->on_state(s->ud, up);
}

static void
hc_sub_retry_cb(uv_timer_t *t)
{
	hc_sub_connect(t->data);
}

/* Logs a failure once per outage and schedules the next try. */
static void
hc_sub_lost(struct hc_events_sub *s, const char *why)
{
	s->errors++;
	hc_sub_set_up(s, 0);
	if (!s->down_logged) {
		hc_log(HC_LOG_ERROR, "redis subscriber (%s): %s; streams stay open, "
		    "retrying", s->where, why);
		s->down_logged = 1;
	}
	if (s->closing)
		return;
	uv_timer_stop(&s->deadline);
	uv_timer_start(&s->retry, hc_sub_retry_cb, s->retry_ms, 0);
	s->retry_ms *= 2;
	if (s->retry_ms > HC_SUB_RETRY_MAX_MS)
		s->retry_ms = HC_SUB_RETRY_MAX_MS;
}

static void
hc_sub_on_message(redisAsyncContext *ac, void *r, void *priv)
{
	struct hc_events_sub *s = priv;
	redisReply *rep = r;

	if (rep == NULL || ac != s->ac)
		return;		/* the context is going away */
	if (rep->type == REDIS_REPLY_ERROR) {
		hc_log(HC_LOG_ERROR, "redis subscriber: PSUBSCRIBE: %s", rep->str);
		redisAsyncDisconnect(ac);
		return;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
	    rep->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(rep->element[0]->str, "pmessage") == 0 && rep->elements == 4 &&
	    rep->element[2]->type == REDIS_REPLY_STRING &&
	    rep->element[3]->type == REDIS_REPLY_STRING) {
		s->on_msg(s->ud, rep->element[2]->str, rep->element[2]->len,
		    rep->element[3]->str, rep->element[3]->len);
		return;
	}
	if (strcmp(rep->element[0]->str, "psubscribe") == 0 &&
	    ++s->confirmed == s->n) {
		if (s->down_logged)
			hc_log(HC_LOG_INFO, "redis subscriber (%s): subscribed again",
			    s->where);
		s->down_logged = 0;
		s->retry_ms = HC_SUB_RETRY_MIN_MS;
		hc_sub_set_up(s, 1);
	}
}

static void
hc_sub_on_auth(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *rep = r;

	(void)priv;
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
		hc_log(HC_LOG_ERROR, "redis subscriber: AUTH: %s", rep->str);
		redisAsyncDisconnect(ac);
	}
}

static void
hc_sub_on_connect(const redisAsyncContext *ac, int status)
{
	struct hc_events_sub *s = ac->data;

	if (s == NULL || ac != s->ac)
		return;
	uv_timer_stop(&s->deadline);
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		char	 why[160];

		snprintf(why, sizeof(why), "connect: %s", ac->errstr);
		s->ac = NULL;
		hc_sub_lost(s, why);
		return;
	}
	if (ac->c.connection_type == REDIS_CONN_TCP)
		redisEnableKeepAlive((redisContext *)&ac->c);
}

static void
hc_sub_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct hc_events_sub *s = ac->data;
	char	 why[160];

	if (s == NULL || ac != s->ac)
		return;
	s->ac = NULL;
	snprintf(why, sizeof(why), "connection lost: %s",
	    status == REDIS_OK ? "closed" : ac->errstr);
	hc_sub_lost(s, why);
}

static void
hc_sub_deadline_cb(uv_timer_t *t)
{
	struct hc_events_sub *s = t->data;
	redisAsyncContext *ac = s->ac;

	if (ac == NULL)
		return;
	/* not connected in time: no disconnect callback comes for this one */
	s->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
	hc_sub_lost(s, "connect: timed out");
}

static void
hc_sub_connect(struct hc_events_sub *s)
{
	struct hc_redis_url u;
	redisAsyncContext *ac;
	const char	**argv = NULL;
	char		 err[256];
	size_t		 i;

	if (s->closing || s->ac != NULL)
		return;
	s->confirmed = 0;
	if (hc_sub_master(s, &u, err, sizeof(err)) == -1) {
		hc_sub_lost(s, err);
		return;
	}
	if (u.path[0] != '\0') {
		snprintf(s->where, sizeof(s->where), "unix:%s", u.path);
		ac = redisAsyncConnectUnix(u.path);
	} else {
		snprintf(s->where, sizeof(s->where), "%s:%d", u.host, u.port);
		ac = redisAsyncConnect(u.host, u.port);
	}
	if (ac == NULL) {
		hc_sub_lost(s, "connect: out of memory");
		return;
	}
	if (ac->err) {
		snprintf(err, sizeof(err), "connect: %s", ac->errstr);
		redisAsyncFree(ac);
		hc_sub_lost(s, err);
		return;
	}
	ac->data = s;
	if (redisLibuvAttach(ac, s->loop) != REDIS_OK) {
		redisAsyncFree(ac);
		hc_sub_lost(s, "libuv attach failed");
		return;
	}
	redisAsyncSetConnectCallback(ac, hc_sub_on_connect);
	redisAsyncSetDisconnectCallback(ac, hc_sub_on_disconnect);
	s->ac = ac;
	/* Queued now, sent once connected; pub/sub ignores the database number. */
	if (u.password[0] != '\0') {
		if (u.username[0] != '\0')
			redisAsyncCommand(ac, hc_sub_on_auth, s, "AUTH %s %s",
			    u.username, u.password);
		else
			redisAsyncCommand(ac, hc_sub_on_auth, s, "AUTH %s", u.password);
	}
	if ((argv = calloc(s->n + 1, sizeof(*argv))) == NULL) {
		s->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
		hc_sub_lost(s, "out of memory");
		return;
	}
	argv[0] = "PSUBSCRIBE";
	for (i = 0; i < s->n; i++)
		argv[i + 1] = s->patterns[i];
	/* one command for every pattern: one subscription per process */
	redisAsyncCommandArgv(ac, hc_sub_on_message, s, (int)s->n + 1, argv, NULL);
	free(argv);
	uv_timer_start(&s->deadline, hc_sub_deadline_cb, (uint64_t)s->timeout_ms, 0);
}

struct hc_events_sub *
hc_events_sub_new(uv_loop_t *loop, const char *url, const char *sentinel_password,
    long timeout_ms, const char *const *patterns, size_t n,
    hc_events_sub_msg on_msg, hc_events_sub_state on_state, void *ud, char *err,
    size_t errlen)
{
	struct hc_events_sub *s;
	struct hc_redis_url u;
	size_t	 i;

	if (n == 0) {
		snprintf(err, errlen, "no channel pattern");
		return NULL;
	}
	if (!hc_sentinel_url_is(url) && hc_redis_url_parse(url, &u, err, errlen) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->url = strdup(url)) == NULL ||
	    (sentinel_password != NULL && *sentinel_password != '\0' &&
	    (s->sentinel_password = strdup(sentinel_password)) == NULL) ||
	    (s->patterns = calloc(n, sizeof(*s->patterns))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((s->patterns[s->n++] = strdup(patterns[i])) == NULL)
			goto nomem;
	s->loop = loop;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 500;
	s->on_msg = on_msg;
	s->on_state = on_state;
	s->ud = ud;
	s->retry_ms = HC_SUB_RETRY_MIN_MS;
	uv_timer_init(loop, &s->retry);
	uv_timer_init(loop, &s->deadline);
	s->retry.data = s;
	s->deadline.data = s;
	s->timers = 2;
	return s;
nomem:
	snprintf(err, errlen, "out of memory");
	if (s != NULL) {
		for (i = 0; i < s->n; i++)
			free(s->patterns[i]);
		free(s->patterns);
		free(s->url);
		free(s->sentinel_password);
		free(s);
	}
	return NULL;
}

void
hc_events_sub_start(struct hc_events_sub *s)
{
	hc_sub_connect(s);
}

int
hc_events_sub_up(const struct hc_events_sub *s)
{
	return s != NULL && s->up;
}

unsigned long
hc_events_sub_errors(const struct hc_events_sub *s)
{
	return s != NULL ? s->errors : 0;
}

static void
hc_sub_timer_closed(uv_handle_t *h)
{
	struct hc_events_sub *s = h->data;
	size_t	 i;

	if (--s->timers > 0)
		return;
	for (i = 0; i < s->n; i++)
		free(s->patterns[i]);
	free(s->patterns);
	free(s->url);
	free(s->sentinel_password);
	free(s);
}

void
hc_events_sub_free(struct hc_events_sub *s)
{
	redisAsyncContext *ac;

	if (s == NULL)
		return;
	s->closing = 1;
	if ((ac = s->ac) != NULL) {
		s->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	uv_timer_stop(&s->retry);
	uv_timer_stop(&s->deadline);
	uv_close((uv_handle_t *)&s->retry, hc_sub_timer_closed);
	uv_close((uv_handle_t *)&s->deadline, hc_sub_timer_closed);
}

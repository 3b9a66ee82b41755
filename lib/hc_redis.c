/* hc_redis: a hiredis connection that reconnects lazily and never blocks past its timeout. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_redis.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "hc_sentinel.h"
#include "hc_settings.h"
#include "hc_time.h"
#include "hc_valid.h"

struct hc_redis {
	struct hc_redis_url	 url;
	long			 timeout_ms;
	redisContext		*c;
	int			 pending;	/* appended, unread replies */
	int			 fresh;		/* connected by the current call */
	int			 timedout;	/* the last failure was a timeout */
	double			 retry_at;	/* mono ms before which no reconnect is tried */
	double			 used_at;	/* mono ms of the last command */
	unsigned long		 errors;
	char			 errstr[768];
	struct hc_sentinel_url	*sentinel;	/* redis+sentinel://: asked at every connect */
	char			 sentinel_pw[256];
	int			 stale;		/* READONLY seen: reconnect once replies are read */
};

/*
 * After a refused connect or a timeout, wait this long before the next
 * try: bounded load on a dead Redis, and a caller that retries at once
 * fails at once instead of waiting out a second timeout.
 */
#define HC_REDIS_BACKOFF_MS 100.0
/* A connection idle this long is checked for a close by the server before use. */
#define HC_REDIS_PROBE_MS 50.0

static int
hc_url_fail(char *err, size_t errlen, const char *url, const char *why)
{
	snprintf(err, errlen, "%s: %s", why, url);
	return -1;
}



int
hc_redis_url_parse(const char *url, struct hc_redis_url *u, char *err, size_t errlen)
{
	const char *p, *at, *colon, *slash, *q, *hend;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(url, "unix://", 7) == 0) {
		p = url + 7;
		q = strchr(p, '?');
		if (*p != '/' || hc_valid_copy_span(u->path, sizeof(u->path), p,
		    q ? (size_t)(q - p) : strlen(p)) == -1 || u->path[1] == '\0')
			return hc_url_fail(err, errlen, url, "bad unix socket path in REDIS_URL");
		if (q != NULL) {
			if (strncmp(q, "?db=", 4) != 0 ||
			    hc_valid_int_span(q + 4, strlen(q + 4), 0, 1000000, &u->db) == -1)
				return hc_url_fail(err, errlen, url, "bad ?db= in REDIS_URL");
		}
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		return hc_url_fail(err, errlen, url, "REDIS_URL must start with redis:// or unix://");
	p = url + 8;
	slash = strchr(p, '/');
	hend = slash ? slash : p + strlen(p);
	if ((at = memrchr(p, '@', (size_t)(hend - p))) != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon == NULL)	/* redis://password@host is common enough to accept */
			colon = p - 1;
		if (hc_valid_copy_span(u->username, sizeof(u->username), p,
		    colon >= p ? (size_t)(colon - p) : 0) == -1 ||
		    hc_valid_copy_span(u->password, sizeof(u->password), colon + 1,
		    (size_t)(at - colon - 1)) == -1)
			return hc_url_fail(err, errlen, url, "credentials too long in REDIS_URL");
		p = at + 1;
	}
	if (*p == '[') {	/* [ipv6]:port */
		const char *rb = memchr(p, ']', (size_t)(hend - p));

		if (rb == NULL || hc_valid_copy_span(u->host, sizeof(u->host), p + 1,
		    (size_t)(rb - p - 1)) == -1)
			return hc_url_fail(err, errlen, url, "bad IPv6 host in REDIS_URL");
		colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < hend && colon == NULL)
			return hc_url_fail(err, errlen, url, "bad host in REDIS_URL");
	} else {
		colon = memchr(p, ':', (size_t)(hend - p));
		if (hc_valid_copy_span(u->host, sizeof(u->host), p,
		    colon ? (size_t)(colon - p) : (size_t)(hend - p)) == -1)
			return hc_url_fail(err, errlen, url, "host too long in REDIS_URL");
	}
	if (u->host[0] == '\0')
		return hc_url_fail(err, errlen, url, "no host in REDIS_URL");
	if (colon != NULL && hc_valid_int_span(colon + 1, (size_t)(hend - colon - 1),
	    1, 65535, &u->port) == -1)
		return hc_url_fail(err, errlen, url, "bad port in REDIS_URL");
	if (slash != NULL && slash[1] != '\0' &&
	    hc_valid_int_span(slash + 1, strlen(slash + 1), 0, 1000000, &u->db) == -1)
		return hc_url_fail(err, errlen, url, "bad database number in REDIS_URL");
	return 0;
}

struct hc_redis *
hc_redis_new(const char *url, long timeout_ms, char *err, size_t errlen)
{
	struct hc_redis *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (hc_sentinel_url_is(url)) {
		if ((r->sentinel = malloc(sizeof(*r->sentinel))) == NULL ||
		    hc_sentinel_url_parse(url, r->sentinel, err, errlen) == -1) {
			hc_redis_free(r);
			return NULL;
		}
		snprintf(r->url.username, sizeof(r->url.username), "%s", r->sentinel->username);
		snprintf(r->url.password, sizeof(r->url.password), "%s", r->sentinel->password);
		r->url.db = r->sentinel->db;
	} else if (hc_redis_url_parse(url, &r->url, err, errlen) == -1) {
		free(r);
		return NULL;
	}
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : 500;
	return r;
}

void
hc_redis_free(struct hc_redis *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		redisFree(r->c);
	free(r->sentinel);
	free(r);
}

struct hc_redis *
hc_redis_open(const struct hc_settings *s, char *err, size_t errlen)
{
	struct hc_redis *r;

	if ((r = hc_redis_new(s->redis_url, s->redis_timeout_ms, err, errlen)) != NULL &&
	    s->redis_sentinel_password != NULL)
		snprintf(r->sentinel_pw, sizeof(r->sentinel_pw), "%s",
		    s->redis_sentinel_password);
	return r;
}

void
hc_redis_drop(struct hc_redis *r)
{
	if (r->c != NULL) {
		redisFree(r->c);
		r->c = NULL;
	}
	r->pending = 0;
	r->stale = 0;
}

static void
hc_redis_fail(struct hc_redis *r, const char *call)
{
	int	 e = errno;
	char	 tmo[64];
	const char *why = r->c != NULL && r->c->err ? r->c->errstr :
	    errno ? strerror(errno) : "unknown error";

	/* hiredis 0.14 reports SO_RCVTIMEO/SO_SNDTIMEO as REDIS_ERR_IO with EAGAIN */
	r->timedout = r->c != NULL && r->c->err == REDIS_ERR_IO &&
	    (e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT || e == EINPROGRESS);
	if (r->timedout) {
		snprintf(tmo, sizeof(tmo), "no answer within %ld ms", r->timeout_ms);
		why = tmo;
	}
	if (r->url.path[0] != '\0')
		snprintf(r->errstr, sizeof(r->errstr), "%s(redis %s): %s", call,
		    r->url.path, why);
	else
		snprintf(r->errstr, sizeof(r->errstr), "%s(redis %s:%d): %s", call,
		    r->url.host, r->url.port, why);
	r->errors++;
	hc_redis_drop(r);
	if (r->timedout)
		r->retry_at = hc_time_mono_ms() + HC_REDIS_BACKOFF_MS;
}

/*
 * 1 when the server closed a connection we had idle (a restarted Redis):
 * it reads as EOF (or holds unexpected bytes) before we send anything.
 */
static int
hc_redis_idle_closed(struct hc_redis *r, double now)
{
	struct pollfd pfd;

	if (r->pending > 0 || now - r->used_at < HC_REDIS_PROBE_MS)
		return 0;
	pfd.fd = r->c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1;
}

/* Runs AUTH and SELECT on a fresh connection; 0 or -1. */
static int
hc_redis_handshake(struct hc_redis *r)
{
	redisReply *rep;

	if (r->url.password[0] != '\0' && r->sentinel == NULL) {	/* hc_sentinel_connect did AUTH */
		if (r->url.username[0] != '\0')
			rep = redisCommand(r->c, "AUTH %s %s", r->url.username, r->url.password);
		else
			rep = redisCommand(r->c, "AUTH %s", r->url.password);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			snprintf(r->errstr, sizeof(r->errstr), "AUTH(redis): %s",
			    rep ? rep->str : r->c->errstr);
			freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	if (r->url.db != 0) {
		rep = redisCommand(r->c, "SELECT %d", r->url.db);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			snprintf(r->errstr, sizeof(r->errstr), "SELECT(redis): %s",
			    rep ? rep->str : r->c->errstr);
			freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	return 0;
}

static int
hc_redis_connect(struct hc_redis *r)
{
	struct timeval	 tv;
	double		 now;

	if (r->c != NULL && r->stale && r->pending == 0)
		hc_redis_drop(r);	/* a replica now: ask the sentinels again */
	now = hc_time_mono_ms();
	r->fresh = 0;
	if (r->c != NULL && !hc_redis_idle_closed(r, now)) {
		r->used_at = now;
		return 0;
	}
	hc_redis_drop(r);
	if (now < r->retry_at) {
		r->errors++;
		return -1;	/* errstr still says why the last try failed */
	}
	r->fresh = 1;
	r->used_at = now;
	tv.tv_sec = r->timeout_ms / 1000;
	tv.tv_usec = (r->timeout_ms % 1000) * 1000;
	errno = 0;
	if (r->sentinel != NULL) {
		char	 why[512];

		if ((r->c = hc_sentinel_connect(r->sentinel, r->sentinel_pw, tv,
		    r->url.host, sizeof(r->url.host), &r->url.port, why,
		    sizeof(why))) == NULL) {
			snprintf(r->errstr, sizeof(r->errstr),
			    "connect(redis master %s via sentinel): %s", r->sentinel->master, why);
			r->errors++;
			r->retry_at = now + HC_REDIS_BACKOFF_MS;
			return -1;
		}
	} else if (r->url.path[0] != '\0')
		r->c = redisConnectUnixWithTimeout(r->url.path, tv);
	else
		r->c = redisConnectWithTimeout(r->url.host, r->url.port, tv);
	if (r->c == NULL || r->c->err) {
		hc_redis_fail(r, "connect");
		r->retry_at = now + HC_REDIS_BACKOFF_MS;
		return -1;
	}
	if (redisSetTimeout(r->c, tv) != REDIS_OK) {
		hc_redis_fail(r, "setsockopt");
		return -1;
	}
	if (hc_redis_handshake(r) == -1) {
		r->errors++;
		hc_redis_drop(r);
		r->retry_at = now + HC_REDIS_BACKOFF_MS;
		return -1;
	}
	r->retry_at = 0;
	return 0;
}

redisContext *
hc_redis_context(struct hc_redis *r)
{
	return hc_redis_connect(r) == 0 ? r->c : NULL;
}

/* Behind Sentinel, a READONLY answer means the master became a replica (a failover). */
static void
hc_redis_check_readonly(struct hc_redis *r, const redisReply *rep)
{
	if (rep->type == REDIS_REPLY_ERROR && rep->str != NULL &&
	    strstr(rep->str, "READONLY") != NULL) {
		snprintf(r->errstr, sizeof(r->errstr), "command(redis %s:%d): %s",
		    r->url.host, r->url.port, rep->str);
		r->stale = 1;
	}
}

static redisReply *
hc_redis_done(struct hc_redis *r, redisReply *rep, const char *call)
{
	if (rep == NULL)
		hc_redis_fail(r, call);
	else if (r->sentinel != NULL)
		hc_redis_check_readonly(r, rep);
	return rep;
}

/*
 * A command is tried a second time only when a connection that had
 * worked broke under it (EOF, reset), never after a timeout: a hung
 * Redis costs one timeout per command, not two.
 */
static int
hc_redis_again(const struct hc_redis *r, int fresh)
{
	return !fresh && !r->timedout;
}

redisReply *
hc_redis_cmd(struct hc_redis *r, const char *fmt, ...)
{
	va_list		 ap;
	redisReply	*rep;
	int		 try, fresh;

	for (try = 0; try < 2; try++) {
		if (hc_redis_connect(r) == -1)
			return NULL;
		fresh = r->fresh;
		va_start(ap, fmt);
		rep = redisvCommand(r->c, fmt, ap);
		va_end(ap);
		if (hc_redis_done(r, rep, "command") != NULL || !hc_redis_again(r, fresh))
			break;
	}
	return rep;
}

redisReply *
hc_redis_cmdargv(struct hc_redis *r, int argc, const char **argv, const size_t *lens)
{
	redisReply	*rep;
	int		 try, fresh;

	for (try = 0; try < 2; try++) {
		if (hc_redis_connect(r) == -1)
			return NULL;
		fresh = r->fresh;
		rep = hc_redis_done(r, redisCommandArgv(r->c, argc, argv, lens), "command");
		if (rep != NULL || !hc_redis_again(r, fresh))
			break;
	}
	return rep;
}

int
hc_redis_append(struct hc_redis *r, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	if (hc_redis_connect(r) == -1)
		return -1;
	va_start(ap, fmt);
	rc = redisvAppendCommand(r->c, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		hc_redis_fail(r, "append");
		return -1;
	}
	r->pending++;
	return 0;
}

int
hc_redis_appendargv(struct hc_redis *r, int argc, const char **argv, const size_t *lens)
{
	if (hc_redis_connect(r) == -1)
		return -1;
	if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK) {
		hc_redis_fail(r, "append");
		return -1;
	}
	r->pending++;
	return 0;
}

redisReply *
hc_redis_reply(struct hc_redis *r)
{
	void	*rep = NULL;

	if (r->c == NULL || r->pending <= 0) {
		snprintf(r->errstr, sizeof(r->errstr), "reply(redis): no pending command");
		return NULL;
	}
	if (redisGetReply(r->c, &rep) != REDIS_OK) {
		hc_redis_fail(r, "reply");
		return NULL;
	}
	r->pending--;
	if (r->sentinel != NULL)
		hc_redis_check_readonly(r, rep);
	return rep;
}

int
hc_redis_ping(struct hc_redis *r, double *ms)
{
	double		 t0 = hc_time_mono_ms();
	redisReply	*rep;
	int		 rc = -1;

	if ((rep = hc_redis_cmd(r, "PING")) == NULL)
		goto out;
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(r->errstr, sizeof(r->errstr), "PING(redis): %s", rep->str);
		r->errors++;
	} else if (rep->type == REDIS_REPLY_STATUS)
		rc = 0;
	freeReplyObject(rep);
out:
	if (ms != NULL)
		*ms = hc_time_mono_ms() - t0;
	return rc;
}

const char *
hc_redis_errstr(const struct hc_redis *r)
{
	return r->errstr[0] != '\0' ? r->errstr : "no error";
}

unsigned long
hc_redis_errors(const struct hc_redis *r)
{
	return r->errors;
}

int
hc_redis_db(const struct hc_redis *r)
{
	return r->url.db;
}

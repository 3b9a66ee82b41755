/* hc_sentinel: asks Redis Sentinel for the master, connects to it and checks it with ROLE. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_sentinel.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_time.h"
#include "hc_valid.h"

static int __attribute__((format(printf, 3, 4)))
hc_sn_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}



int
hc_sentinel_url_is(const char *url)
{
	return url != NULL && strncmp(url, HC_SENTINEL_SCHEME,
	    sizeof(HC_SENTINEL_SCHEME) - 1) == 0;
}

/* One "host:port", "[v6]:port" or "host" of the list, in s[0..len). */
static int
hc_sn_node(const char *s, size_t len, struct hc_sentinel_node *n)
{
	const char *end = s + len, *colon;

	n->port = HC_SENTINEL_PORT;
	if (len > 0 && *s == '[') {
		const char *rb = memchr(s, ']', len);

		if (rb == NULL || rb == s + 1 ||
		    hc_valid_copy_span(n->host, sizeof(n->host), s + 1, (size_t)(rb - s - 1)) == -1)
			return -1;
		if (rb + 1 == end)
			return 0;
		if (rb[1] != ':')
			return -1;
		colon = rb + 1;
	} else {
		colon = memchr(s, ':', len);
		if (hc_valid_copy_span(n->host, sizeof(n->host), s,
		    colon ? (size_t)(colon - s) : len) == -1)
			return -1;
		if (n->host[0] == '\0')
			return -1;
		if (colon == NULL)
			return 0;
	}
	return hc_valid_int_span(colon + 1, (size_t)(end - colon - 1), 1, 65535, &n->port);
}

int
hc_sentinel_url_parse(const char *url, struct hc_sentinel_url *u, char *err,
    size_t errlen)
{
	const char *p, *slash, *at, *colon, *comma, *name, *nend;
	size_t	 i;

	memset(u, 0, sizeof(*u));
	if (!hc_sentinel_url_is(url))
		return hc_sn_fail(err, errlen, "not a redis+sentinel:// URL: %s", url);
	p = url + sizeof(HC_SENTINEL_SCHEME) - 1;
	if ((slash = strchr(p, '/')) == NULL)
		return hc_sn_fail(err, errlen, "no /<master-name> in REDIS_URL: %s", url);
	if ((at = memrchr(p, '@', (size_t)(slash - p))) != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon == NULL)	/* redis+sentinel://password@... as redis:// takes it */
			colon = p - 1;
		if (hc_valid_copy_span(u->username, sizeof(u->username), p,
		    colon >= p ? (size_t)(colon - p) : 0) == -1 ||
		    hc_valid_copy_span(u->password, sizeof(u->password), colon + 1,
		    (size_t)(at - colon - 1)) == -1)
			return hc_sn_fail(err, errlen, "credentials too long in REDIS_URL: %s", url);
		p = at + 1;
	}
	while (p < slash) {
		if (u->n == HC_SENTINEL_MAX)
			return hc_sn_fail(err, errlen, "more than %d sentinels in REDIS_URL: %s",
			    HC_SENTINEL_MAX, url);
		comma = memchr(p, ',', (size_t)(slash - p));
		if (comma == NULL)
			comma = slash;
		if (hc_sn_node(p, (size_t)(comma - p), &u->node[u->n]) == -1)
			return hc_sn_fail(err, errlen, "bad sentinel address \"%.*s\" in REDIS_URL: %s",
			    (int)(comma - p), p, url);
		u->n++;
		p = comma == slash ? slash : comma + 1;
		if (comma != slash && p == slash)
			return hc_sn_fail(err, errlen, "empty sentinel address in REDIS_URL: %s", url);
	}
	if (u->n == 0)
		return hc_sn_fail(err, errlen, "no sentinel in REDIS_URL: %s", url);
	name = slash + 1;
	nend = strchr(name, '/');
	if (nend == NULL)
		nend = name + strlen(name);
	if (nend == name || hc_valid_copy_span(u->master, sizeof(u->master), name,
	    (size_t)(nend - name)) == -1)
		return hc_sn_fail(err, errlen, "no master name (1 to %zu bytes) in REDIS_URL: %s",
		    sizeof(u->master) - 1, url);
	for (i = 0; u->master[i] != '\0'; i++)
		if (!isalnum((unsigned char)u->master[i]) && strchr("._-", u->master[i]) == NULL)
			return hc_sn_fail(err, errlen, "master name must be [A-Za-z0-9._-]: %s", url);
	if (*nend == '/' && nend[1] != '\0' &&
	    hc_valid_int_span(nend + 1, strlen(nend + 1), 0, 1000000, &u->db) == -1)
		return hc_sn_fail(err, errlen, "bad database number in REDIS_URL: %s", url);
	return 0;
}

int
hc_sentinel_parse_addr(const redisReply *rep, char *host, size_t hostlen,
    int *port, char *err, size_t errlen)
{
	const redisReply *h, *p;

	if (rep == NULL)
		return hc_sn_fail(err, errlen, "no answer");
	if (rep->type == REDIS_REPLY_ERROR)
		return hc_sn_fail(err, errlen, "%.200s", rep->str);
	if (rep->type == REDIS_REPLY_NIL)
		return hc_sn_fail(err, errlen, "no such master");
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2)
		return hc_sn_fail(err, errlen, "not an [address, port] answer");
	h = rep->element[0];
	p = rep->element[1];
	if (h == NULL || p == NULL || h->type != REDIS_REPLY_STRING ||
	    p->type != REDIS_REPLY_STRING)
		return hc_sn_fail(err, errlen, "not an [address, port] answer");
	if (h->len == 0 || memchr(h->str, '\0', h->len) != NULL ||
	    hc_valid_copy_span(host, hostlen, h->str, h->len) == -1)
		return hc_sn_fail(err, errlen, "bad master address");
	if (hc_valid_int_span(p->str, p->len, 1, 65535, port) == -1)
		return hc_sn_fail(err, errlen, "bad master port");
	return 0;
}

int
hc_sentinel_parse_role(const redisReply *rep, char *err, size_t errlen)
{
	const redisReply *r;

	if (rep == NULL) {
		hc_sn_fail(err, errlen, "no answer to ROLE");
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		hc_sn_fail(err, errlen, "ROLE: %.200s", rep->str);
		return -1;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    (r = rep->element[0]) == NULL || r->type != REDIS_REPLY_STRING) {
		hc_sn_fail(err, errlen, "malformed answer to ROLE");
		return -1;
	}
	if (r->len == 6 && memcmp(r->str, "master", 6) == 0)
		return 1;
	hc_sn_fail(err, errlen, "ROLE is \"%.*s\", not master",
	    r->len > 32 ? 32 : (int)r->len, r->str);
	return 0;
}

/* The time left until deadline (mono ms), at most tv, at least 1 ms. */
static struct timeval
hc_sn_left(double deadline, struct timeval tv)
{
	double		 left = deadline - hc_time_mono_ms();
	double		 cap = (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
	struct timeval	 out;

	if (left > cap)
		left = cap;
	if (left < 1.0)
		left = 1.0;
	out.tv_sec = (time_t)(left / 1000.0);
	out.tv_usec = (suseconds_t)((left - (double)out.tv_sec * 1000.0) * 1000.0);
	return out;
}

static redisContext *
hc_sn_open(const char *host, int port, struct timeval tv, char *err, size_t errlen)
{
	redisContext *c;

	errno = 0;
	c = redisConnectWithTimeout(host, port, tv);
	if (c == NULL || c->err) {
		hc_sn_fail(err, errlen, "connect: %s", c != NULL ? c->errstr :
		    errno ? strerror(errno) : "out of memory");
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		hc_sn_fail(err, errlen, "setsockopt: %s", c->errstr);
		redisFree(c);
		return NULL;
	}
	return c;
}

/* AUTH [user] password when a password is set; 0 or -1. */
static int
hc_sn_auth(redisContext *c, const char *user, const char *pass, char *err, size_t errlen)
{
	redisReply *rep;
	int	 rc = 0;

	if (pass == NULL || *pass == '\0')
		return 0;
	if (user != NULL && *user != '\0')
		rep = redisCommand(c, "AUTH %s %s", user, pass);
	else
		rep = redisCommand(c, "AUTH %s", pass);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
		rc = hc_sn_fail(err, errlen, "AUTH: %.200s", rep ? rep->str : c->errstr);
	freeReplyObject(rep);
	return rc;
}

/* Asks one sentinel; 0 with host/port, or -1. */
static int
hc_sn_ask(const struct hc_sentinel_node *n, const char *master, const char *pass,
    struct timeval tv, char *host, size_t hostlen, int *port, char *err, size_t errlen)
{
	redisContext	*c;
	redisReply	*rep;
	int		 rc = -1;

	if ((c = hc_sn_open(n->host, n->port, tv, err, errlen)) == NULL)
		return -1;
	if (hc_sn_auth(c, NULL, pass, err, errlen) == -1)
		goto out;
	rep = redisCommand(c, "SENTINEL get-master-addr-by-name %s", master);
	if (rep == NULL)
		hc_sn_fail(err, errlen, "SENTINEL get-master-addr-by-name: %s", c->errstr);
	else
		rc = hc_sentinel_parse_addr(rep, host, hostlen, port, err, errlen);
	freeReplyObject(rep);
out:
	redisFree(c);
	return rc;
}

redisContext *
hc_sentinel_connect(const struct hc_sentinel_url *u, const char *sentinel_password,
    struct timeval tv, char *host, size_t hostlen, int *port, char *err,
    size_t errlen)
{
	double		 deadline;
	redisContext	*c;
	redisReply	*rep;
	char		 why[512];
	size_t		 i;
	int		 role;

	deadline = hc_time_mono_ms() + 2.0 * ((double)tv.tv_sec * 1000.0 +
	    (double)tv.tv_usec / 1000.0);
	hc_sn_fail(err, errlen, "no sentinel in the URL");
	for (i = 0; i < u->n; i++) {
		const struct hc_sentinel_node *n = &u->node[i];

		if (i > 0 && hc_time_mono_ms() >= deadline)
			break;
		if (hc_sn_ask(n, u->master, sentinel_password, hc_sn_left(deadline, tv),
		    host, hostlen, port, why, sizeof(why)) == -1) {
			hc_sn_fail(err, errlen, "sentinel %s:%d: %s", n->host, n->port, why);
			continue;
		}
		if ((c = hc_sn_open(host, *port, hc_sn_left(deadline, tv), why,
		    sizeof(why))) == NULL) {
			hc_sn_fail(err, errlen, "master %s:%d (from sentinel %s:%d): %s",
			    host, *port, n->host, n->port, why);
			continue;
		}
		if (redisSetTimeout(c, tv) != REDIS_OK ||
		    hc_sn_auth(c, u->username, u->password, why, sizeof(why)) == -1) {
			hc_sn_fail(err, errlen, "master %s:%d: %s", host, *port,
			    c->err ? c->errstr : why);
			redisFree(c);
			continue;
		}
		rep = redisCommand(c, "ROLE");
		role = rep == NULL ? -1 : hc_sentinel_parse_role(rep, why, sizeof(why));
		if (rep == NULL)
			snprintf(why, sizeof(why), "ROLE: %s", c->errstr);
		freeReplyObject(rep);
		if (role == 1)
			return c;
		/* Right after a failover a sentinel may still name the old master. */
		hc_sn_fail(err, errlen, "master %s:%d (from sentinel %s:%d): %s",
		    host, *port, n->host, n->port, why);
		redisFree(c);
	}
	return NULL;
}

int
hc_sentinel_resolve(const char *url, const char *sentinel_password,
    long timeout_ms, struct hc_redis_url *out, char *err, size_t errlen)
{
	struct hc_sentinel_url *u;
	redisContext	*c;
	struct timeval	 tv;
	int		 rc = -1;

	if (!hc_sentinel_url_is(url))
		return hc_redis_url_parse(url, out, err, errlen);
	memset(out, 0, sizeof(*out));
	if ((u = malloc(sizeof(*u))) == NULL)
		return hc_sn_fail(err, errlen, "out of memory");
	if (hc_sentinel_url_parse(url, u, err, errlen) == -1)
		goto out;
	if (timeout_ms <= 0)
		timeout_ms = 500;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	c = hc_sentinel_connect(u, sentinel_password, tv, out->host, sizeof(out->host),
	    &out->port, err, errlen);
	if (c == NULL)
		goto out;
	redisFree(c);
	snprintf(out->username, sizeof(out->username), "%s", u->username);
	snprintf(out->password, sizeof(out->password), "%s", u->password);
	out->db = u->db;
	rc = 0;
out:
	free(u);
	return rc;
}

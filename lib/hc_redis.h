/* hc_redis: one lazily (re)connected hiredis connection with timeouts. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_REDIS_H
#define HC_REDIS_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct hc_redis_url {
	char	 host[256];	/* "" for a unix socket */
	int	 port;
	char	 path[256];	/* unix socket path, "" for TCP */
	char	 password[256];	/* "" when none */
	char	 username[128];	/* "" when none (ACL user) */
	int	 db;
};

/*
 * Parses redis://[[user]:password@]host[:port][/db] and
 * unix:///path[?db=N] (redis+sentinel:// is hc_sentinel_url_parse's).  Returns 0, or -1 with the reason in err.
 */
int	 hc_redis_url_parse(const char *url, struct hc_redis_url *out,
	    char *err, size_t errlen);

struct hc_redis;

/*
 * Makes a handle for url; nothing is connected until the first command.
 * timeout_ms bounds connect and each command.  Returns NULL on a bad URL
 * (reason in err) or no memory.  Free with hc_redis_free.
 */
struct hc_redis *hc_redis_new(const char *url, long timeout_ms, char *err,
	    size_t errlen);

/*
 * hc_redis_new for a program's settings: REDIS_URL (plain, unix or
 * redis+sentinel://, see hc_sentinel.h), HEADCOUNT_REDIS_TIMEOUT_MS and
 * HEADCOUNT_REDIS_SENTINEL_PASSWORD.  Behind Sentinel every (re)connect
 * asks the sentinels for the master and checks it with ROLE; a READONLY
 * answer drops the connection once its replies are read.
 */
struct hc_settings;
struct hc_redis *hc_redis_open(const struct hc_settings *s, char *err,
	    size_t errlen);

/* NULL-safe. */
void	 hc_redis_free(struct hc_redis *r);

/*
 * Runs one command (printf-like, as redisCommand).  Returns the reply,
 * which the caller frees with freeReplyObject, or NULL when Redis could
 * not be reached or the connection broke (hc_redis_errstr tells why; the
 * connection is dropped and reopened by the next call).  An error reply
 * (REDIS_REPLY_ERROR) is returned as a reply, not NULL.
 */
redisReply *hc_redis_cmd(struct hc_redis *r, const char *fmt, ...);

/* The same with an argument vector (lens may be NULL for C strings). */
redisReply *hc_redis_cmdargv(struct hc_redis *r, int argc, const char **argv,
	    const size_t *lens);

/*
 * Pipelining: hc_redis_append queues a command (returns 0 or -1);
 * hc_redis_reply reads the next reply (NULL as for hc_redis_cmd).
 */
int	 hc_redis_append(struct hc_redis *r, const char *fmt, ...);
int	 hc_redis_appendargv(struct hc_redis *r, int argc, const char **argv,
	    const size_t *lens);
redisReply *hc_redis_reply(struct hc_redis *r);

/*
 * The raw context, connected if needed (NULL when Redis is unreachable);
 * for subscribers that need blocking reads.  Owned by r.
 */
redisContext *hc_redis_context(struct hc_redis *r);

/* Marks the connection broken: the next call reconnects. */
void	 hc_redis_drop(struct hc_redis *r);

/* PING; returns 0 with the round trip in *ms, or -1 (see hc_redis_errstr). */
int	 hc_redis_ping(struct hc_redis *r, double *ms);

/* Last failure, naming the call ("connect(redis 127.0.0.1:6379): Connection refused"). */
const char *hc_redis_errstr(const struct hc_redis *r);

/* The database number the connection selects (for keyspace channel names). */
int	 hc_redis_db(const struct hc_redis *r);

/* Counts of failures since start (for headcount_redis_errors_total). */
unsigned long hc_redis_errors(const struct hc_redis *r);

#endif

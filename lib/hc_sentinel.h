/* hc_sentinel: finds the current Redis master through Redis Sentinel (hiredis has none). */
#ifndef HC_SENTINEL_H
#define HC_SENTINEL_H

#include <stddef.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>

#include "hc_redis.h"

#define HC_SENTINEL_MAX		16	/* sentinels in one URL */
#define HC_SENTINEL_PORT	26379	/* when a sentinel is given without a port */
#define HC_SENTINEL_SCHEME	"redis+sentinel://"

struct hc_sentinel_node {
	char	 host[256];
	int	 port;
};

struct hc_sentinel_url {
	struct hc_sentinel_node	 node[HC_SENTINEL_MAX];
	size_t			 n;
	char			 master[128];	/* the name the sentinels monitor */
	char			 username[128];	/* for the master and its replicas, "" none */
	char			 password[256];	/* "" none */
	int			 db;
};

/* 1 when url starts with redis+sentinel://, else 0. */
int	 hc_sentinel_url_is(const char *url);

/*
 * Parses redis+sentinel://[[user]:password@]host:port[,host:port...]/<master-name>[/db]
 * (a host may be [IPv6]; a missing port is 26379; a master name is
 * [A-Za-z0-9._-]{1,127}).  Returns 0, or -1 with the reason in err.
 */
int	 hc_sentinel_url_parse(const char *url, struct hc_sentinel_url *out,
	    char *err, size_t errlen);

/*
 * The answer to SENTINEL get-master-addr-by-name: an array of two
 * strings, an address and a port.  Returns 0 with host and *port, or -1
 * with the reason in err (a nil answer: the sentinel knows no such
 * master; an error reply; anything else malformed).
 */
int	 hc_sentinel_parse_addr(const redisReply *rep, char *host, size_t hostlen,
	    int *port, char *err, size_t errlen);

/*
 * The answer to ROLE.  Returns 1 when it names a master, 0 for a replica
 * or a sentinel (err says which), -1 when malformed (err says why).
 */
int	 hc_sentinel_parse_role(const redisReply *rep, char *err, size_t errlen);

/*
 * Asks the sentinels, in order, for the master's address, connects to it,
 * authenticates with the URL's credentials and checks with ROLE that it is
 * the master; a sentinel that is down, hung, knows no such master or
 * names a node that is not a master is skipped for the next one.
 * sentinel_password (NULL or "" for none) is sent with AUTH to each
 * sentinel.  Every step is bounded by tv; the whole by twice tv.
 * Returns a connected context with tv as its command timeout (the caller
 * frees it with redisFree; SELECT is the caller's) and the master's
 * address in host and *port, or NULL with the reason of the last failure in
 * err ("sentinel 127.0.0.1:26379: ...").
 */
redisContext *hc_sentinel_connect(const struct hc_sentinel_url *u,
	    const char *sentinel_password, struct timeval tv, char *host,
	    size_t hostlen, int *port, char *err, size_t errlen);

/*
 * The address of the current Redis master for any REDIS_URL (for
 * programs with their own connection, such as an async hiredis client):
 * redis:// and unix:// as hc_redis_url_parse; redis+sentinel:// asked of
 * the sentinels and checked with ROLE as hc_sentinel_connect does, then
 * the checking connection is closed.  out gets host/port (or path),
 * credentials and db.  Call it again after every lost connection, a
 * READONLY answer or a timeout: nothing is cached.  Returns 0, or -1 with
 * the reason in err.
 */
int	 hc_sentinel_resolve(const char *url, const char *sentinel_password,
	    long timeout_ms, struct hc_redis_url *out, char *err, size_t errlen);

#endif

/* test_sentinel: redis+sentinel:// URLs, Sentinel replies, and real redis-sentinel processes: lookup, ROLE, READONLY, failover. */
#include "config.h"
#include "hc_sentinel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_redis.h"
#include "hc_settings.h"
#include "hc_time.h"
#include "tap.h"

/* ------------------------------------------------------------ URL parsing */
struct ucase {
	const char	*url;
	int		 ok;
	size_t		 n;
	const char	*host0, *hostlast;
	int		 port0, portlast;
	const char	*master, *user, *pass;
	int		 db;
};

static const struct ucase ucases[] = {
	{ "redis+sentinel://127.0.0.1:26379/mymaster", 1, 1, "127.0.0.1", "127.0.0.1",
	    26379, 26379, "mymaster", "", "", 0 },
	{ "redis+sentinel://a:1,b:2,c:3/m/5", 1, 3, "a", "c", 1, 3, "m", "", "", 5 },
	{ "redis+sentinel://:pw@h:7000/m", 1, 1, "h", "h", 7000, 7000, "m", "", "pw", 0 },
	{ "redis+sentinel://user:pw@h:1,i:2/m.x-y_z/0", 1, 2, "h", "i", 1, 2, "m.x-y_z",
	    "user", "pw", 0 },
	{ "redis+sentinel://secret@h:1/m", 1, 1, "h", "h", 1, 1, "m", "", "secret", 0 },
	{ "redis+sentinel://h/m", 1, 1, "h", "h", 26379, 26379, "m", "", "", 0 },
	{ "redis+sentinel://[::1]:5000,[fe80::1]/m/2", 1, 2, "::1", "fe80::1", 5000, 26379,
	    "m", "", "", 2 },
	{ "redis+sentinel://h:1/m/", 1, 1, "h", "h", 1, 1, "m", "", "", 0 },
	{ "redis+sentinel://u:p@ss@h:1/m", 1, 1, "h", "h", 1, 1, "m", "u", "p@ss", 0 },
	{ "redis+sentinel://1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16/m", 1, 16, "1", "16",
	    26379, 26379, "m", "", "", 0 },
	/* refused */
	{ "redis+sentinel://1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis://h:1/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel:///m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:0/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:65536/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:x/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:+1/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1,/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://,h:1/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1,,i:2/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://[::1/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://[]:1/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://[::1]x/m", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/m/x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/m/-1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/m/1/2", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/m y", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/m\r\nFLUSHALL", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "redis+sentinel://h:1/"
	  "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
	  "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

/* The text with control characters as '?', for one-line TAP descriptions. */
static const char *
printable(const char *s)
{
	static char	 buf[600];
	size_t		 i;

	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void
test_urls(void)
{
	struct hc_sentinel_url u;
	char	 err[512];
	size_t	 i;

	for (i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		const struct ucase *c = &ucases[i];
		int	 rc = hc_sentinel_url_parse(c->url, &u, err, sizeof(err));

		tap_is_int(rc, c->ok ? 0 : -1, "parse %.60s", printable(c->url));
		if (!c->ok) {
			tap_ok(rc == -1 && err[0] != '\0', "  with a reason (%s)", printable(err));
			continue;
		}
		if (rc != 0)
			continue;
		tap_ok(u.n == c->n && strcmp(u.node[0].host, c->host0) == 0 &&
		    strcmp(u.node[u.n - 1].host, c->hostlast) == 0 &&
		    u.node[0].port == c->port0 && u.node[u.n - 1].port == c->portlast &&
		    strcmp(u.master, c->master) == 0 && strcmp(u.username, c->user) == 0 &&
		    strcmp(u.password, c->pass) == 0 && u.db == c->db,
		    "  fields of %.60s (n %zu, %s:%d .. %s:%d, master %s, db %d)", c->url,
		    u.n, u.node[0].host, u.node[0].port, u.node[u.n ? u.n - 1 : 0].host,
		    u.node[u.n ? u.n - 1 : 0].port, u.master, u.db);
	}
	tap_ok(hc_sentinel_url_is("redis+sentinel://h/m") && !hc_sentinel_url_is("redis://h") &&
	    !hc_sentinel_url_is(NULL), "hc_sentinel_url_is tells the forms apart");
}

/* ------------------------------------------------------------ replies */
static redisReply *
resp(const char *bytes)
{
	redisReader	*rd = redisReaderCreate();
	void		*rep = NULL;

	redisReaderFeed(rd, bytes, strlen(bytes));
	if (redisReaderGetReply(rd, &rep) != REDIS_OK)
		rep = NULL;
	redisReaderFree(rd);
	return rep;
}

struct rcase {
	const char	*resp;
	int		 want;		/* addr: 0 / -1; role: 1 / 0 / -1 */
	const char	*host;
	int		 port;
};

static const struct rcase addrcases[] = {
	{ "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n", 0, "127.0.0.1", 6380 },
	{ "*2\r\n$3\r\n::1\r\n$5\r\n65535\r\n", 0, "::1", 65535 },
	{ "*-1\r\n", -1, NULL, 0 },
	{ "$-1\r\n", -1, NULL, 0 },
	{ "-ERR No such master with that name\r\n", -1, NULL, 0 },
	{ "-NOAUTH Authentication required.\r\n", -1, NULL, 0 },
	{ "*1\r\n$1\r\nh\r\n", -1, NULL, 0 },
	{ "*3\r\n$1\r\nh\r\n$1\r\n1\r\n$1\r\n2\r\n", -1, NULL, 0 },
	{ "*2\r\n$1\r\nh\r\n:6379\r\n", -1, NULL, 0 },
	{ "*2\r\n$0\r\n\r\n$4\r\n6379\r\n", -1, NULL, 0 },
	{ "*2\r\n$3\r\na\0b\r\n$4\r\n6379\r\n", -1, NULL, 0 },
	{ "*2\r\n$1\r\nh\r\n$1\r\n0\r\n", -1, NULL, 0 },
	{ "*2\r\n$1\r\nh\r\n$5\r\n65536\r\n", -1, NULL, 0 },
	{ "*2\r\n$1\r\nh\r\n$2\r\n-1\r\n", -1, NULL, 0 },
	{ "*2\r\n$1\r\nh\r\n$3\r\n1 2\r\n", -1, NULL, 0 },
	{ "+OK\r\n", -1, NULL, 0 },
};

static const struct rcase rolecases[] = {
	{ "*3\r\n$6\r\nmaster\r\n:100\r\n*0\r\n", 1, NULL, 0 },
	{ "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:1\r\n", 0, NULL, 0 },
	{ "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n", 0, NULL, 0 },
	{ "*1\r\n$7\r\nmasterx\r\n", 0, NULL, 0 },
	{ "*0\r\n", -1, NULL, 0 },
	{ "*1\r\n:1\r\n", -1, NULL, 0 },
	{ "-LOADING Redis is loading the dataset in memory\r\n", -1, NULL, 0 },
	{ "$6\r\nmaster\r\n", -1, NULL, 0 },
	{ "*-1\r\n", -1, NULL, 0 },
};

static void
test_replies(void)
{
	char		 host[256], err[256];
	int		 port, rc;
	size_t		 i;
	redisReply	*rep;

	for (i = 0; i < sizeof(addrcases) / sizeof(addrcases[0]); i++) {
		const struct rcase *c = &addrcases[i];

		/* the one case with an embedded NUL needs its real length */
		if (strstr(c->resp, "$3\r\na") != NULL) {
			static const char raw[] = "*2\r\n$3\r\na\0b\r\n$4\r\n6379\r\n";
			redisReader *rd = redisReaderCreate();
			void	*r = NULL;

			redisReaderFeed(rd, raw, sizeof(raw) - 1);
			redisReaderGetReply(rd, &r);
			redisReaderFree(rd);
			rep = r;
		} else
			rep = resp(c->resp);
		err[0] = '\0';
		port = 0;
		rc = hc_sentinel_parse_addr(rep, host, sizeof(host), &port, err, sizeof(err));
		tap_is_int(rc, c->want, "get-master-addr-by-name answer %zu%s%s", i,
		    rc ? ": " : "", rc ? err : "");
		if (c->want == 0 && rc == 0)
			tap_ok(strcmp(host, c->host) == 0 && port == c->port,
			    "  address %s:%d", host, port);
		freeReplyObject(rep);
	}
	tap_is_int(hc_sentinel_parse_addr(NULL, host, 2, &port, err, sizeof(err)), -1,
	    "no answer at all");
	rep = resp("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n");
	tap_is_int(hc_sentinel_parse_addr(rep, host, 4, &port, err, sizeof(err)), -1,
	    "an address longer than the buffer is refused, not cut");
	freeReplyObject(rep);

	for (i = 0; i < sizeof(rolecases) / sizeof(rolecases[0]); i++) {
		rep = resp(rolecases[i].resp);
		err[0] = '\0';
		rc = hc_sentinel_parse_role(rep, err, sizeof(err));
		tap_is_int(rc, rolecases[i].want, "ROLE answer %zu (%s)", i,
		    rc == 1 ? "master" : err);
		freeReplyObject(rep);
	}
	tap_is_int(hc_sentinel_parse_role(NULL, err, sizeof(err)), -1, "ROLE: no answer");
}

/* ------------------------------------------------------------ live servers */
#define MASTER_PW	"master-pw"
#define SENTINEL_PW	"sentinel-pw"

static char	 dir[64];
static pid_t	 pids[6];	/* master, replica, 3 sentinels, a lone master */
static int	 ports[6];
static int	 deadport;

static int
freeport(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static pid_t
spawn(const char *const argv[], const char *log)
{
	pid_t	 pid;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (freopen(log, "a", stdout) == NULL || dup2(fileno(stdout), 2) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static pid_t
start_data(int i, int replica_of)
{
	char	 port[16], log[128], rof[64];
	const char *argv[24];
	int	 n = 0;

	snprintf(port, sizeof(port), "%d", ports[i]);
	snprintf(log, sizeof(log), "%s/redis-%d.log", dir, i);
	snprintf(rof, sizeof(rof), "127.0.0.1 %d", replica_of);
	argv[n++] = "redis-server";
	argv[n++] = "--port"; argv[n++] = port;
	argv[n++] = "--bind"; argv[n++] = "127.0.0.1";
	argv[n++] = "--save"; argv[n++] = "";
	argv[n++] = "--appendonly"; argv[n++] = "no";
	argv[n++] = "--repl-diskless-sync-delay"; argv[n++] = "0";
	argv[n++] = "--dir"; argv[n++] = dir;
	argv[n++] = "--requirepass"; argv[n++] = MASTER_PW;
	argv[n++] = "--masterauth"; argv[n++] = MASTER_PW;
	if (replica_of > 0) {
		argv[n++] = "--replicaof";
		argv[n++] = rof;
	}
	argv[n] = NULL;
	return spawn(argv, log);
}

static pid_t
start_sentinel(int i)
{
	char	 conf[128], log[128];
	FILE	*fp;
	const char *argv[3];

	snprintf(conf, sizeof(conf), "%s/sentinel-%d.conf", dir, i);
	snprintf(log, sizeof(log), "%s/sentinel-%d.log", dir, i);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
	    "requirepass " SENTINEL_PW "\n"
	    "sentinel monitor mymaster 127.0.0.1 %d 2\n"
	    "sentinel auth-pass mymaster " MASTER_PW "\n"
	    "sentinel down-after-milliseconds mymaster 2000\n"
	    "sentinel failover-timeout mymaster 4000\n"
	    "sentinel parallel-syncs mymaster 1\n"
	    /* a master without replicas: the sentinels cannot fail it over */
	    "sentinel monitor lone 127.0.0.1 %d 2\n"
	    "sentinel auth-pass lone " MASTER_PW "\n"
	    "sentinel down-after-milliseconds lone 2000\n", ports[i], dir, ports[0], ports[5]);
	fclose(fp);
	argv[0] = "redis-sentinel";
	argv[1] = conf;
	argv[2] = NULL;
	return spawn(argv, log);
}

/* redis-cli-like one-shot command with a password; a new reply or NULL. */
static redisReply *
cmd(int port, const char *pw, const char *fmt, ...)
{
	struct timeval	 tv = { 1, 0 };
	redisContext	*c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply	*rep = NULL;
	va_list		 ap;

	if (c == NULL || c->err)
		goto out;
	redisSetTimeout(c, tv);
	if (pw != NULL) {
		rep = redisCommand(c, "AUTH %s", pw);
		freeReplyObject(rep);
	}
	va_start(ap, fmt);
	rep = redisvCommand(c, fmt, ap);
	va_end(ap);
out:
	redisFree(c);
	return rep;
}

/* A sentinel's count of the other sentinels and replicas it knows. */
static int
sentinel_sees_all(int port)
{
	redisReply	*rep = cmd(port, SENTINEL_PW, "SENTINEL master mymaster");
	size_t		 i;
	int		 others = -1, slaves = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY)
		for (i = 0; i + 1 < rep->elements; i += 2) {
			if (rep->element[i]->type != REDIS_REPLY_STRING ||
			    rep->element[i + 1]->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(rep->element[i]->str, "num-other-sentinels") == 0)
				others = atoi(rep->element[i + 1]->str);
			else if (strcmp(rep->element[i]->str, "num-slaves") == 0)
				slaves = atoi(rep->element[i + 1]->str);
		}
	freeReplyObject(rep);
	return others == 2 && slaves == 1;
}

static int
wait_for(int (*fn)(void *), void *arg, double ms)
{
	double	 deadline = hc_mono_ms() + ms;

	while (hc_mono_ms() < deadline) {
		if (fn(arg))
			return 1;
		usleep(50000);
	}
	return fn(arg);
}

static int
all_see_all(void *arg)
{
	(void)arg;
	return sentinel_sees_all(ports[2]) && sentinel_sees_all(ports[3]) &&
	    sentinel_sees_all(ports[4]);
}

static int
data_up(void *arg)
{
	redisReply *rep = cmd(*(int *)arg, MASTER_PW, "PING");
	int	 up = rep != NULL && rep->type == REDIS_REPLY_STATUS;

	freeReplyObject(rep);
	return up;
}

static int
replica_synced(void *arg)
{
	redisReply *rep = cmd(*(int *)arg, MASTER_PW, "INFO replication");
	int	 ok = rep != NULL && rep->type == REDIS_REPLY_STRING &&
	    strstr(rep->str, "master_link_status:up") != NULL;

	freeReplyObject(rep);
	return ok;
}

static int	 want_port;
static struct hc_redis *handle;

static int
handle_on_port(void *arg)
{
	struct hc_redis_url u;
	char	 err[512];

	(void)arg;
	return hc_sentinel_resolve(*(const char **)arg, SENTINEL_PW, 300, &u, err,
	    sizeof(err)) == 0 && u.port == want_port;
}

static int
handle_pings(void *arg)
{
	(void)arg;
	return hc_redis_ping(handle, NULL) == 0;
}

/* Every sentinel names the same node, which says master, and the other node is in sync. */
static int	 master_idx;

static int
settled(void *arg)
{
	struct hc_sentinel_url u;
	char		 host[256], err[256];
	redisReply	*rep;
	int		 i, port, agreed = -1, ok;

	(void)arg;
	memset(&u, 0, sizeof(u));
	for (i = 2; i < 5; i++) {
		rep = cmd(ports[i], SENTINEL_PW, "SENTINEL get-master-addr-by-name mymaster");
		ok = hc_sentinel_parse_addr(rep, host, sizeof(host), &port, err, sizeof(err)) == 0;
		freeReplyObject(rep);
		if (!ok || (agreed != -1 && port != agreed))
			return 0;
		agreed = port;
	}
	master_idx = agreed == ports[0] ? 0 : agreed == ports[1] ? 1 : -1;
	if (master_idx < 0)
		return 0;
	rep = cmd(agreed, MASTER_PW, "ROLE");
	ok = hc_sentinel_parse_role(rep, err, sizeof(err)) == 1;
	freeReplyObject(rep);
	return ok && replica_synced(&ports[1 - master_idx]);
}

/* Every sentinel names want_port as the master. */
static int
agree(void *arg)
{
	char		 host[256], err[256];
	redisReply	*rep;
	int		 i, port, ok;

	(void)arg;
	for (i = 2; i < 5; i++) {
		rep = cmd(ports[i], SENTINEL_PW, "SENTINEL get-master-addr-by-name mymaster");
		ok = hc_sentinel_parse_addr(rep, host, sizeof(host), &port, err, sizeof(err)) == 0;
		freeReplyObject(rep);
		if (!ok || port != want_port)
			return 0;
	}
	return 1;
}

static void
stop_all(void)
{
	int	 i;

	for (i = 5; i >= 0; i--)
		if (pids[i] > 0) {
			kill(pids[i], SIGCONT);
			kill(pids[i], SIGTERM);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
}

static void
test_live(void)
{
	char		 url[512], nopw[512], err[768], cmdline[160];
	struct hc_redis_url u;
	struct hc_settings s;
	redisReply	*rep;
	const char	*urlp = url;
	double		 t0;
	int		 i, m, r;
	struct hc_redis	*lone;

	snprintf(dir, sizeof(dir), "/tmp/hc-test-sentinel.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return;
	}
	for (i = 0; i < 6; i++)
		ports[i] = freeport();
	deadport = freeport();
	pids[0] = start_data(0, 0);
	tap_ok(wait_for(data_up, &ports[0], 10000), "master redis-server up on %d", ports[0]);
	pids[5] = start_data(5, 0);
	tap_ok(wait_for(data_up, &ports[5], 10000), "a lone master on %d", ports[5]);
	pids[1] = start_data(1, ports[0]);
	tap_ok(wait_for(replica_synced, &ports[1], 10000), "replica on %d in sync", ports[1]);
	for (i = 2; i < 5; i++)
		pids[i] = start_sentinel(i);
	tap_ok(wait_for(all_see_all, NULL, 20000),
	    "three redis-sentinels (%d %d %d) see each other and the replica",
	    ports[2], ports[3], ports[4]);

	/* the first sentinel listed is down: the next that answers is used */
	snprintf(url, sizeof(url), "redis+sentinel://:" MASTER_PW "@127.0.0.1:%d,127.0.0.1:%d,"
	    "127.0.0.1:%d,127.0.0.1:%d/mymaster/2", deadport, ports[2], ports[3], ports[4]);
	tap_is_int(hc_sentinel_resolve(url, SENTINEL_PW, 500, &u, err, sizeof(err)), 0,
	    "resolve through the sentinels (first one down)");
	tap_ok(strcmp(u.host, "127.0.0.1") == 0 && u.port == ports[0] && u.db == 2 &&
	    strcmp(u.password, MASTER_PW) == 0, "  the master's address, db and password (%s:%d)",
	    u.host, u.port);
	tap_is_int(hc_sentinel_resolve(url, NULL, 500, &u, err, sizeof(err)), -1,
	    "without HEADCOUNT_REDIS_SENTINEL_PASSWORD the sentinels refuse");
	tap_ok(strstr(err, "NOAUTH") != NULL || strstr(err, "auth") != NULL,
	    "  and the reason names authentication (%s)", err);
	snprintf(nopw, sizeof(nopw), "redis+sentinel://127.0.0.1:%d/mymaster", ports[2]);
	tap_is_int(hc_sentinel_resolve(nopw, SENTINEL_PW, 500, &u, err, sizeof(err)), -1,
	    "without the master's password in the URL the master refuses");
	snprintf(nopw, sizeof(nopw), "redis+sentinel://:" MASTER_PW "@127.0.0.1:%d/othermaster",
	    ports[2]);
	tap_is_int(hc_sentinel_resolve(nopw, SENTINEL_PW, 500, &u, err, sizeof(err)), -1,
	    "an unknown master name fails");
	tap_ok(strstr(err, "no such master") != NULL, "  saying so (%s)", err);
	snprintf(nopw, sizeof(nopw), "redis+sentinel://127.0.0.1:%d,127.0.0.1:%d/m", deadport,
	    deadport);
	t0 = hc_mono_ms();
	tap_is_int(hc_sentinel_resolve(nopw, NULL, 300, &u, err, sizeof(err)), -1,
	    "no sentinel answering fails");
	tap_ok(hc_mono_ms() - t0 < 700 && strstr(err, "sentinel 127.0.0.1:") != NULL,
	    "  fast, naming the last sentinel tried (%s)", err);
	tap_is_int(hc_sentinel_resolve("redis://h:1/3", NULL, 300, &u, err, sizeof(err)), 0,
	    "a plain redis:// URL resolves to itself");
	tap_ok(strcmp(u.host, "h") == 0 && u.port == 1 && u.db == 3, "  unchanged");

	/* the handle every program uses: settings -> hc_redis_open */
	setenv("REDIS_URL", url, 1);
	setenv("HEADCOUNT_REDIS_SENTINEL_PASSWORD", SENTINEL_PW, 1);
	setenv("HEADCOUNT_REDIS_TIMEOUT_MS", "500", 1);
	tap_is_int(hc_settings_load(&s, NULL, 0, err, sizeof(err)), 0,
	    "settings take a redis+sentinel:// REDIS_URL");
	handle = hc_redis_open(&s, err, sizeof(err));
	hc_settings_free(&s);
	tap_ok(handle != NULL, "hc_redis_open");
	rep = hc_redis_cmd(handle, "SET %s %s", "sentinel-test", "1");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STATUS, "SET through the sentinels");
	freeReplyObject(rep);
	rep = cmd(ports[0], MASTER_PW, "SELECT 2");
	freeReplyObject(rep);
	rep = hc_redis_cmd(handle, "CLIENT INFO");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STRING && strstr(rep->str, " db=2 ") != NULL,
	    "the connection is on db 2");
	freeReplyObject(rep);
	setenv("REDIS_URL", "redis+sentinel://h:1,,/m", 1);
	tap_is_int(hc_settings_load(&s, NULL, 0, err, sizeof(err)), -1,
	    "a malformed sentinel list stops start-up");
	tap_ok(strncmp(err, "REDIS_URL: ", 11) == 0, "  naming the key (%s)", err);
	unsetenv("REDIS_URL");
	unsetenv("HEADCOUNT_REDIS_SENTINEL_PASSWORD");
	unsetenv("HEADCOUNT_REDIS_TIMEOUT_MS");

	/* a master turned replica behind Sentinel's back: READONLY, then ROLE refuses it */
	snprintf(nopw, sizeof(nopw), "redis+sentinel://:" MASTER_PW "@127.0.0.1:%d,127.0.0.1:%d,"
	    "127.0.0.1:%d/lone", ports[2], ports[3], ports[4]);
	setenv("REDIS_URL", nopw, 1);
	setenv("HEADCOUNT_REDIS_SENTINEL_PASSWORD", SENTINEL_PW, 1);
	lone = NULL;
	if (hc_settings_load(&s, NULL, 0, err, sizeof(err)) == 0) {
		lone = hc_redis_open(&s, err, sizeof(err));
		hc_settings_free(&s);
	}
	hc_redis_free(handle);
	handle = lone;
	tap_is_int(hc_redis_ping(handle, NULL), 0, "a second master name, through the same sentinels");
	snprintf(cmdline, sizeof(cmdline), "%d", deadport);
	rep = cmd(ports[5], MASTER_PW, "REPLICAOF 127.0.0.1 %s", cmdline);
	freeReplyObject(rep);
	rep = hc_redis_cmd(handle, "SET %s %s", "sentinel-test", "2");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "READONLY"),
	    "a write to the demoted master answers READONLY");
	freeReplyObject(rep);
	tap_ok(strstr(hc_redis_errstr(handle), "READONLY") != NULL, "  errstr says so (%s)",
	    hc_redis_errstr(handle));
	usleep(150000);	/* past the reconnect back-off */
	tap_is_int(hc_redis_ping(handle, NULL), -1,
	    "the next command asks the sentinels again, and ROLE refuses the replica");
	tap_ok(strstr(hc_redis_errstr(handle), "not master") != NULL, "  (%s)",
	    hc_redis_errstr(handle));
	rep = cmd(ports[5], MASTER_PW, "REPLICAOF NO ONE");
	freeReplyObject(rep);
	tap_ok(wait_for(handle_pings, NULL, 3000), "master again: the same handle works");
	hc_redis_free(handle);
	setenv("REDIS_URL", url, 1);
	setenv("HEADCOUNT_REDIS_SENTINEL_PASSWORD", SENTINEL_PW, 1);
	tap_is_int(hc_settings_load(&s, NULL, 0, err, sizeof(err)), 0, "settings again");
	handle = hc_redis_open(&s, err, sizeof(err));
	hc_settings_free(&s);
	unsetenv("REDIS_URL");
	unsetenv("HEADCOUNT_REDIS_SENTINEL_PASSWORD");

	/*
	 * A real failover: the master is killed.  The sentinels may have
	 * failed over already when the master said it was a replica above:
	 * first find which node they agree is the master now.
	 */
	tap_ok(wait_for(settled, NULL, 30000), "the sentinels agree on a master with a replica in sync");
	m = master_idx;
	r = 1 - m;
	printf("# master now on %d, replica on %d\n", ports[m], ports[r]);
	rep = hc_redis_cmd(handle, "SET %s %s", "before-failover", "kept");
	freeReplyObject(rep);
	tap_ok(wait_for(replica_synced, &ports[r], 10000), "replica in sync before the failover");
	kill(pids[m], SIGKILL);
	waitpid(pids[m], NULL, 0);
	pids[m] = 0;
	t0 = hc_mono_ms();
	tap_is_int(hc_redis_ping(handle, NULL), -1, "with the master dead, a command fails");
	want_port = ports[r];
	i = wait_for(handle_on_port, &urlp, 30000);
	tap_ok(i, "the sentinels name the replica (%d) within 30 s (took %.1f s)", ports[r],
	    (hc_mono_ms() - t0) / 1000.0);
	tap_ok(wait_for(agree, NULL, 30000), "  every sentinel agrees, before the old master is back");
	tap_ok(wait_for(handle_pings, NULL, 5000), "the same handle follows to the new master");
	rep = hc_redis_cmd(handle, "GET %s", "before-failover");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "kept") == 0,
	    "what was written before the failover is there");
	freeReplyObject(rep);
	rep = hc_redis_cmd(handle, "SET %s %s", "after-failover", "1");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STATUS, "writes go to the new master");
	freeReplyObject(rep);

	/* the old master comes back: the sentinels make it a replica; nothing follows it */
	pids[m] = start_data(m, 0);
	tap_ok(wait_for(replica_synced, &ports[m], 30000),
	    "the old master comes back as a replica of the new one");
	rep = hc_redis_cmd(handle, "SET %s %s", "after-return", "1");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STATUS, "writes still succeed");
	freeReplyObject(rep);
	tap_is_int(hc_sentinel_resolve(url, SENTINEL_PW, 500, &u, err, sizeof(err)), 0,
	    "resolve again");
	tap_is_int(u.port, ports[r], "  still the new master");
	rep = cmd(ports[m], MASTER_PW, "INFO errorstats");
	tap_ok(rep != NULL && rep->type == REDIS_REPLY_STRING && strstr(rep->str, "READONLY") == NULL,
	    "no write was tried on the returned old master");
	freeReplyObject(rep);
	hc_redis_free(handle);
	handle = NULL;
	stop_all();
}

int
main(void)
{
	int	 in_ci = getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0;
	char	 rm[128];

	signal(SIGPIPE, SIG_IGN);
	test_urls();
	test_replies();
	if (system("command -v redis-sentinel >/dev/null 2>&1 && "
	    "command -v redis-server >/dev/null 2>&1") != 0) {
		if (in_ci)
			tap_ok(0, "redis-server and redis-sentinel are installed");
		else
			printf("# redis-sentinel missing: live tests skipped\n");
		return tap_done();
	}
	test_live();
	stop_all();
	if (getenv("HC_KEEP_TMP") == NULL) {
		snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
		if (system(rm) != 0)
			printf("# could not remove %s\n", dir);
	} else
		printf("# kept %s\n", dir);
	return tap_done();
}

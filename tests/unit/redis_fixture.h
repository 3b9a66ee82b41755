/* redis_fixture: one private redis-server on a unix socket for the unit tests that need Redis. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef REDIS_FIXTURE_H
#define REDIS_FIXTURE_H

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

extern char **environ;

struct redis_fixture {
	char	 dir[64];	/* a fresh temporary directory */
	char	 sock[128];	/* <dir>/redis.sock */
	char	 url[160];	/* unix://<sock> */
	pid_t	 pid;
};

/* Whether Redis answers PING on f->sock now. */
static int
redis_fixture_ping(const struct redis_fixture *f)
{
	struct timeval	 tv = { 0, 200 * 1000 };
	redisContext	*c = redisConnectUnixWithTimeout(f->sock, tv);
	redisReply	*r;
	int		 ok = 0;

	if (c == NULL)
		return 0;
	if (c->err == 0 && (r = redisCommand(c, "PING")) != NULL) {
		ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
		freeReplyObject(r);
	}
	redisFree(c);
	return ok;
}

/*
 * Starts (or, after redis_fixture_stop, restarts) redis-server in f's
 * directory, made on the first call, and waits until it answers PING, not
 * merely until the socket file exists (it is made before Redis accepts).
 * Returns 0, or -1 (not installed, or no answer within 5 s).
 */
static int
redis_fixture_start(struct redis_fixture *f)
{
	char	*argv[] = { "redis-server", "--port", "0", "--unixsocket", f->sock,
		    "--save", "", "--appendonly", "no", "--dir", f->dir,
		    "--logfile", "/dev/null", NULL };
	struct timespec ts = { 0, 10 * 1000000L };
	int	 i;

	signal(SIGPIPE, SIG_IGN);	/* writes to a stopped Redis must fail, not kill */
	if (f->dir[0] == '\0') {
		snprintf(f->dir, sizeof(f->dir), "/tmp/hc_redis.XXXXXX");
		if (mkdtemp(f->dir) == NULL) {
			f->dir[0] = '\0';
			return -1;
		}
		snprintf(f->sock, sizeof(f->sock), "%s/redis.sock", f->dir);
		snprintf(f->url, sizeof(f->url), "unix://%s", f->sock);
	}
	if (posix_spawnp(&f->pid, "redis-server", NULL, NULL, argv, environ) != 0) {
		f->pid = -1;
		return -1;
	}
	for (i = 0; i < 500; i++) {	/* 5 s */
		if (redis_fixture_ping(f))
			return 0;
		if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
			f->pid = -1;	/* exited: not installed, or refused to start */
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Stops the server by its pid (the directory stays for a restart). */
static void
redis_fixture_stop(struct redis_fixture *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = -1;
	}
	if (f->sock[0] != '\0')
		unlink(f->sock);
}

/* Stops the server and removes its directory. */
static void
redis_fixture_cleanup(struct redis_fixture *f)
{
	char	 p[160];

	redis_fixture_stop(f);
	if (f->dir[0] == '\0')
		return;
	snprintf(p, sizeof(p), "%s/dump.rdb", f->dir);
	unlink(p);
	rmdir(f->dir);
	f->dir[0] = '\0';
}

/*
 * What a test does without Redis: in CI a missing redis-server is a
 * failure ("Bail out!"), elsewhere the Redis tests are skipped.  Returns
 * the exit status for main.
 */
static int
redis_fixture_missing(const char *what)
{
	const char *ci = getenv("CI");

	if (ci != NULL && strcmp(ci, "true") == 0) {
		printf("Bail out! redis-server missing or not answering (CI must install it)\n");
		return 1;
	}
	printf("# SKIP no redis-server: %s skipped\n", what);
	return -1;
}

#endif

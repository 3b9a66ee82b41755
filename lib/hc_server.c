/* hc_server: listen or inherit a socket, prefork workers (their connections: hc_conn.c), replace the dead, drain on SIGTERM. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "hc_conn.h"
#include "hc_log.h"
#include "hc_time.h"

#define HC_DRAIN_SECONDS	30	/* a worker still busy after this is killed */
#define HC_RESPAWN_DELAY_MS	1000	/* a worker that died young is replaced after this */

static volatile sig_atomic_t hc_stop;
static volatile sig_atomic_t hc_hup;
static int	 hc_slot = -1;
static long	 hc_nworkers;

int
hc_server_stopping(void)
{
	return hc_stop != 0;
}

int
hc_server_worker_slot(void)
{
	return hc_slot;
}

long
hc_server_workers(void)
{
	return hc_nworkers;
}

static void
hc_on_term(int sig)
{
	(void)sig;
	hc_stop = 1;
	FCGX_ShutdownPending();
}

static void
hc_on_hup(int sig)
{
	(void)sig;
	hc_hup = 1;
}

/* Applies "user[:group]" to path; 0 or -1 (logged). */
static int
hc_chown(const char *path, const char *owner)
{
	char		 user[256], *colon;
	struct passwd	*pw = NULL;
	struct group	*gr = NULL;
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;

	snprintf(user, sizeof(user), "%s", owner);
	if ((colon = strchr(user, ':')) != NULL)
		*colon++ = '\0';
	if (user[0] != '\0') {
		if ((pw = getpwnam(user)) == NULL) {
			hc_log(HC_LOG_ERROR, "--socket-owner: no such user \"%s\"", user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (colon != NULL && *colon != '\0') {
		if ((gr = getgrnam(colon)) == NULL) {
			hc_log(HC_LOG_ERROR, "--socket-owner: no such group \"%s\"", colon);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (chown(path, uid, gid) == -1) {
		hc_log(HC_LOG_ERROR, "chown(%s): %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
hc_listen_unix(const char *path, const struct hc_server_opts *o)
{
	struct sockaddr_un sun;
	struct stat	 st;
	int		 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		hc_log(HC_LOG_ERROR, "--listen unix:%s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			hc_log(HC_LOG_ERROR, "--listen unix:%s: exists and is not a socket", path);
			return -1;
		}
		/* A live peer means another copy is running; a dead one is stale. */
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
			if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
				close(probe);
				hc_log(HC_LOG_ERROR, "--listen unix:%s: another process is listening there", path);
				return -1;
			}
			close(probe);
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		hc_log(HC_LOG_ERROR, "socket(unix): %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		hc_log(HC_LOG_ERROR, "bind(unix:%s): %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, (mode_t)o->socket_mode) == -1) {
		hc_log(HC_LOG_ERROR, "chmod(%s, %04lo): %s", path, o->socket_mode, strerror(errno));
		goto fail;
	}
	if (o->socket_owner != NULL && hc_chown(path, o->socket_owner) == -1)
		goto fail;
	if (listen(fd, (int)o->backlog) == -1) {
		hc_log(HC_LOG_ERROR, "listen(unix:%s): %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlink(path);
	return -1;
}

static int
hc_listen_tcp(const char *spec, const struct hc_server_opts *o)
{
	char		 host[256];
	const char	*colon;
	struct addrinfo	 hints, *res = NULL, *ai;
	int		 fd = -1, one = 1, rc;
	size_t		 hlen;

	if ((colon = strrchr(spec, ':')) == NULL || colon[1] == '\0') {
		hc_log(HC_LOG_ERROR, "--listen %s: expected unix:PATH or HOST:PORT", spec);
		return -1;
	}
	hlen = (size_t)(colon - spec);
	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		spec++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		hc_log(HC_LOG_ERROR, "--listen %s: host too long", spec);
		return -1;
	}
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(hlen ? host : NULL, colon + 1, &hints, &res)) != 0) {
		hc_log(HC_LOG_ERROR, "--listen %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, (int)o->backlog) == 0)
			break;
		hc_log(HC_LOG_ERROR, "bind/listen(%s): %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* The socket spawn-fcgi or mod_fcgid hand over on fd 0, or systemd's on fd 3. */
static int
hc_listen_inherited(void)
{
	const char	*pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	int		 fd = 0, acc = 0;
	socklen_t	 len = sizeof(acc);

	if (pid != NULL && n != NULL && strtol(pid, NULL, 10) == (long)getpid() &&
	    strtol(n, NULL, 10) >= 1)
		fd = 3;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 || !acc) {
		hc_log(HC_LOG_ERROR, "no --listen given and fd %d is not a listening socket "
		    "(use --listen unix:PATH or HOST:PORT, or start under spawn-fcgi/systemd)", fd);
		return -1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}


/* The helper: cb->helper now and after each delay it asks for, until told to stop. */
static void
hc_helper(const struct hc_server_cb *cb)
{
	struct pollfd	 pfd;
	sigset_t	 sigs;
	long		 ms;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_NAME, "hc-helper");	/* told apart from the workers in ps */
	if (getppid() == 1)
		_exit(0);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if ((pfd.fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		hc_log(HC_LOG_ERROR, "signalfd: %s", strerror(errno));
		_exit(1);
	}
	pfd.events = POLLIN;
	if (cb->worker_init != NULL && cb->worker_init(cb->ud) == -1)
		_exit(1);
	while (!hc_stop) {
		ms = cb->helper(cb->ud);
		hc_conn_signals(pfd.fd, &hc_stop, &hc_hup);
		if (hc_stop)
			break;
		if (poll(&pfd, 1, ms > 0 ? (int)ms : 1000) == 1)
			hc_conn_signals(pfd.fd, &hc_stop, &hc_hup);
		if (hc_hup) {
			hc_hup = 0;
			if (cb->reopen != NULL)
				cb->reopen(cb->ud);
		}
	}
	if (cb->worker_fini != NULL)
		cb->worker_fini(cb->ud);
	exit(0);
}

/* slot == hc_nworkers is the helper */
static pid_t
hc_spawn(int slot, int lfd, const struct hc_server_cb *cb, long timeout_ms)
{
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		hc_log(HC_LOG_ERROR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (slot == hc_nworkers) {
			if (lfd > 0)
				close(lfd);	/* the helper serves no connection */
			hc_conn_handoff_close();
			hc_helper(cb);
		}
		hc_slot = slot;
		hc_conn_worker(lfd, cb, timeout_ms, &hc_stop, &hc_hup);
	}
	return pid;
}

static double
hc_now_ms(void)
{
	return hc_time_mono_ms();
}

/* As many descriptors as the hard limit allows: each worker holds many connections. */
static void
hc_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
hc_server_run(const struct hc_server_opts *o, const struct hc_server_cb *cb)
{
	struct sigaction sa;
	sigset_t	 all;
	pid_t		*pids = NULL, pid;
	double		*born = NULL, *due = NULL, now, deadline = 0;
	const char	*unix_path = NULL;
	int		 lfd = -1, status, sig, alive, rc = 1;
	long		 i, n = o->workers > 0 ? o->workers : 1, nproc;
	long		 tmo = o->conn_timeout_ms > 0 ? o->conn_timeout_ms : 5000;
	struct timespec	 tick = { 0, 100 * 1000 * 1000 };
	siginfo_t	 si;

	hc_nworkers = n;
	nproc = n + (cb->helper != NULL);
	hc_raise_nofile();
	if (FCGX_Init() != 0) {
		hc_log(HC_LOG_ERROR, "FCGX_Init failed");
		return 1;
	}
	if (o->listen == NULL)
		lfd = hc_listen_inherited();
	else if (strncmp(o->listen, "unix:", 5) == 0) {
		unix_path = o->listen + 5;
		lfd = hc_listen_unix(unix_path, o);
	} else
		lfd = hc_listen_tcp(o->listen, o);
	if (lfd == -1)
		return 1;
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) == -1) {
		hc_log(HC_LOG_ERROR, "fcntl(O_NONBLOCK): %s", strerror(errno));
		goto out;
	}

	/* Signals are handled, never delivered asynchronously into work. */
	sigemptyset(&all);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGCHLD);
	sigprocmask(SIG_BLOCK, &all, NULL);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = hc_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = hc_on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((pids = calloc((size_t)nproc, sizeof(*pids))) == NULL ||
	    (born = calloc((size_t)nproc, sizeof(*born))) == NULL ||
	    (due = calloc((size_t)nproc, sizeof(*due))) == NULL) {
		hc_log(HC_LOG_ERROR, "out of memory");
		goto out;
	}
	if (cb->prefork != NULL && cb->prefork(cb->ud) == -1)
		goto out;
	/* one worker has nobody to hand a waiting request to */
	if (n > 1 && hc_conn_handoff_init(n) == -1)
		goto out;
	for (i = 0; i < nproc; i++) {
		pids[i] = hc_spawn((int)i, lfd, cb, tmo);
		born[i] = hc_now_ms();
	}
	hc_log(HC_LOG_INFO, "listening on %s with %ld worker%s",
	    o->listen ? o->listen : "inherited socket", n, n == 1 ? "" : "s");

	for (;;) {
		sig = sigtimedwait(&all, &si, &tick);
		now = hc_now_ms();
		if (sig == SIGTERM || sig == SIGINT) {
			if (!hc_stop) {
				hc_stop = 1;
				deadline = now + HC_DRAIN_SECONDS * 1000.0;
				hc_log(HC_LOG_INFO, "draining %ld workers", n);
				for (i = 0; i < nproc; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGTERM);
			}
		} else if (sig == SIGHUP) {
			hc_log_reopen();
			for (i = 0; i < nproc; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGHUP);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < nproc; i++) {
				if (pids[i] != pid)
					continue;
				pids[i] = 0;
				if (i < n)
					hc_conn_handoff_forget((int)i);
				if (hc_stop)
					break;
				if (WIFSIGNALED(status))
					hc_log(HC_LOG_WARN, "%s %ld (pid %ld) killed by signal %d; replacing it",
					    i == n ? "helper" : "worker", i, (long)pid, WTERMSIG(status));
				else
					hc_log(HC_LOG_WARN, "%s %ld (pid %ld) exited with %d; replacing it",
					    i == n ? "helper" : "worker", i, (long)pid, WEXITSTATUS(status));
				due[i] = now - born[i] < HC_RESPAWN_DELAY_MS ?
				    now + HC_RESPAWN_DELAY_MS : now;
			}
		alive = 0;
		for (i = 0; i < nproc; i++) {
			if (pids[i] > 0) {
				alive++;
				continue;
			}
			if (!hc_stop && now >= due[i]) {
				pids[i] = hc_spawn((int)i, lfd, cb, tmo);
				born[i] = now;
				alive += pids[i] > 0;
			}
		}
		if (hc_stop && alive == 0)
			break;
		if (hc_stop && now > deadline) {
			hc_log(HC_LOG_WARN, "drain took over %d s; killing %d workers",
			    HC_DRAIN_SECONDS, alive);
			for (i = 0; i < nproc; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGKILL);
			deadline = now + 5000.0;
		}
	}
	hc_log(HC_LOG_INFO, "stopped");
	rc = 0;
out:
	free(pids);
	free(born);
	free(due);
	if (lfd > 0)
		close(lfd);
	hc_conn_handoff_close();
	if (unix_path != NULL)
		unlink(unix_path);
	return rc;
}

int
hc_server_listen(const struct hc_server_opts *o)
{
	if (o->listen == NULL)
		return hc_listen_inherited();
	if (strncmp(o->listen, "unix:", 5) == 0)
		return hc_listen_unix(o->listen + 5, o);
	return hc_listen_tcp(o->listen, o);
}

/* hc_server: listen or inherit a socket, prefork workers that never wait on a silent connection, replace the dead, drain on SIGTERM. */
#include "config.h"
#include "hc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

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

/*
 * A worker.  Every signal stays blocked for good; a signalfd in the
 * epoll set tells the loop about TERM, INT and HUP, so a request in hand
 * is never interrupted and a stop is seen at the next turn of the loop,
 * however busy the worker is (one request per turn).
 *
 * The worker accepts connections itself (the listening socket is
 * non-blocking: a race lost to another worker is EAGAIN) and holds up
 * to HC_CONN_CAP of them.  libfcgi would read a connection with blocking
 * reads from the first byte: one client that connects and sends nothing,
 * or half a record, would hold the worker and every connection it holds.
 * So a connection is only handed to FCGX_Accept_r once a peek
 * (MSG_PEEK, nothing consumed) shows the whole request there: the begin
 * record, every parameter and the end of stdin (or a full peek buffer:
 * the rest of a large body is read under SO_RCVTIMEO).  Connections are
 * in epoll edge-triggered, so data that is there but incomplete does not
 * wake the loop again until more arrives.
 *
 * Deadlines: a new connection must deliver a whole request within
 * conn_timeout_ms of its accept, a kept one within conn_timeout_ms of
 * the first byte of its next request; an idle kept connection (the web
 * server parks it between requests) is closed after HC_KEPT_IDLE_MS,
 * above nginx's default upstream keepalive_timeout (60 s), so nginx
 * normally ends it first and never reuses one we are closing.  Reads and
 * writes inside a request are bounded by SO_RCVTIMEO/SO_SNDTIMEO.
 * With the table full, the oldest connection that has not yet sent a
 * request makes room (else the longest idle kept one).
 */
#define HC_CONN_CAP	512		/* connections one worker holds at most */
#define HC_KEPT_IDLE_MS	120000.0
#define HC_PEEK_MAX	32768
#define HC_EVENTS	64
#define HC_EV_LISTEN	0
#define HC_EV_SIGNAL	1
#define HC_EV_CONN	2		/* + slot */

enum hc_cstate { HC_C_FREE, HC_C_NEW, HC_C_KEPT };

struct hc_conn {
	int		 fd;
	enum hc_cstate	 state;
	int		 queued;	/* a whole request waits: in the ready ring */
	int		 partial;	/* KEPT: part of the next request is there */
	double		 since;		/* NEW: accepted; KEPT: last activity */
	double		 deadline;
};

struct hc_worker {
	const struct hc_server_cb *cb;
	int		 lfd, ep, sfd, tcp;
	int		 listening;	/* lfd is in the epoll set */
	double		 timeout_ms;
	struct timeval	 iotimeout;
	struct hc_conn	*c;
	int		 cap, hi, n;	/* slots [0, hi) may be used, n are */
	int		*ring;
	int		 rhead, rlen;
	double		 next_deadline;
	double		 pause_until, backoff;	/* accept failures */
	unsigned long	 fails;
	double		 fail_since;
	FCGX_Request	 rq;
};

static unsigned char hc_peekbuf[HC_PEEK_MAX];

static int
hc_be16(const unsigned char *p)
{
	return p[0] << 8 | p[1];
}

int
hc_server_request_ready(const unsigned char *b, size_t len, size_t cap)
{
	size_t	 off = 0, end;
	int	 params = 0;

	while (off + 8 <= len) {
		if (b[off] != 1)	/* FCGI_VERSION_1 */
			return -1;
		end = off + 8 + (size_t)hc_be16(b + off + 4) + b[off + 6];
		if (end > len)
			break;
		switch (b[off + 1]) {
		case 1:		/* FCGI_BEGIN_REQUEST */
			break;
		case 4:		/* FCGI_PARAMS */
			if (hc_be16(b + off + 4) == 0)
				params = 1;
			break;
		case 5:		/* FCGI_STDIN */
			if (hc_be16(b + off + 4) == 0 && params)
				return 1;
			break;
		default:	/* management records, ABORT, DATA: libfcgi answers them */
			return 1;
		}
		off = end;
	}
	return len >= cap ? 1 : 0;
}

static void
hc_conn_close(struct hc_worker *w, int slot, int doclose)
{
	struct hc_conn *c = &w->c[slot];

	if (doclose)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->state = HC_C_FREE;
	c->queued = 0;
	w->n--;
	while (w->hi > 0 && w->c[w->hi - 1].state == HC_C_FREE)
		w->hi--;
}

static void
hc_listen_set(struct hc_worker *w, int on)
{
	struct epoll_event ev;

	if (on == w->listening)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = HC_EV_LISTEN;
	if (epoll_ctl(w->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->lfd, &ev) == -1) {
		hc_log(HC_LOG_ERROR, "epoll_ctl(listen): %s", strerror(errno));
		return;
	}
	w->listening = on;
}

static void
hc_deadline(struct hc_worker *w, double d)
{
	if (d < w->next_deadline)
		w->next_deadline = d;
}

/* Looks at what a connection has delivered; queues it when a whole request is there. */
static void
hc_conn_check(struct hc_worker *w, int slot, double now)
{
	struct hc_conn	*c = &w->c[slot];
	ssize_t		 got;
	int		 r;

	if (c->state == HC_C_FREE || c->queued)
		return;
	got = recv(c->fd, hc_peekbuf, sizeof(hc_peekbuf), MSG_PEEK | MSG_DONTWAIT);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		hc_conn_close(w, slot, 1);	/* the peer closed it, or it broke */
		return;
	}
	if (got < 0)
		return;
	if ((r = hc_server_request_ready(hc_peekbuf, (size_t)got, sizeof(hc_peekbuf))) == -1) {
		hc_log(HC_LOG_WARN, "closing a connection that does not speak FastCGI");
		hc_conn_close(w, slot, 1);
		return;
	}
	if (r == 1) {
		c->queued = 1;
		w->ring[(w->rhead + w->rlen++) % w->cap] = slot;
		return;
	}
	if (c->state == HC_C_KEPT && !c->partial) {
		/* the next request has begun: it gets conn_timeout_ms to arrive whole */
		c->partial = 1;
		c->deadline = now + w->timeout_ms;
		hc_deadline(w, c->deadline);
	}
}

/* Frees one slot when the table is full; 0, or -1 when nothing may go. */
static int
hc_evict(struct hc_worker *w)
{
	int	 i, best = -1, kept = -1;

	for (i = 0; i < w->hi; i++) {
		struct hc_conn *c = &w->c[i];

		if (c->state == HC_C_FREE || c->queued)
			continue;
		if (c->state == HC_C_NEW || c->partial) {
			if (best == -1 || c->since < w->c[best].since)
				best = i;
		} else if (kept == -1 || c->since < w->c[kept].since)
			kept = i;
	}
	if (best == -1)
		best = kept;
	if (best == -1)
		return -1;
	hc_conn_close(w, best, 1);
	return 0;
}

static void
hc_accept_failed(struct hc_worker *w, double now, int err)
{
	if (w->fails++ == 0) {
		w->fail_since = now;
		hc_log(HC_LOG_ERROR, "accept: %s; pausing new connections "
		    "(logged once until accept works again)", strerror(err));
	}
	w->backoff = w->backoff > 0 ? w->backoff * 2 : 10.0;
	if (w->backoff > 1000.0)
		w->backoff = 1000.0;
	w->pause_until = now + w->backoff;
	hc_listen_set(w, 0);
}

/*
 * One connection per turn, and only by a worker with no request waiting:
 * a worker that took several at once would serve them one after another
 * while its siblings sit idle.
 */
static void
hc_accept_one(struct hc_worker *w, double now)
{
	struct epoll_event ev;
	struct hc_conn	*c;
	int		 fd, i, slot, one = 1;

	for (i = 0; i < 4; i++) {	/* retries after ECONNABORTED and the like */
		if (w->n >= w->cap && hc_evict(w) == -1) {
			hc_listen_set(w, 0);	/* back when a slot frees */
			return;
		}
		/* blocking, as libfcgi's reads expect; bounded by the timeouts below */
		if ((fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;		/* another worker took it */
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			hc_accept_failed(w, now, errno);
			return;
		}
		if (w->fails > 0) {
			hc_log(HC_LOG_INFO, "accept works again after %lu failures in %.0f ms",
			    w->fails, now - w->fail_since);
			w->fails = 0;
			w->backoff = 0;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &w->iotimeout, sizeof(w->iotimeout));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &w->iotimeout, sizeof(w->iotimeout));
		if (w->tcp)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (slot = 0; slot < w->cap && w->c[slot].state != HC_C_FREE; slot++)
			continue;
		c = &w->c[slot];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->state = HC_C_NEW;
		c->since = now;
		c->deadline = now + w->timeout_ms;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.u64 = HC_EV_CONN + (uint64_t)slot;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			hc_log(HC_LOG_ERROR, "epoll_ctl(connection): %s", strerror(errno));
			close(fd);
			continue;
		}
		w->n++;
		if (slot >= w->hi)
			w->hi = slot + 1;
		hc_deadline(w, c->deadline);
		/* the web server usually wrote the request right after connecting */
		hc_conn_check(w, slot, now);
		return;
	}
}

/* Closes connections past their deadline; recomputes the next one. */
static void
hc_expire(struct hc_worker *w, double now)
{
	int	 i, late = 0;

	w->next_deadline = INFINITY;
	for (i = 0; i < w->hi; i++) {
		struct hc_conn *c = &w->c[i];

		if (c->state == HC_C_FREE || c->queued)
			continue;
		if (now >= c->deadline) {
			late += c->state == HC_C_NEW || c->partial;
			hc_conn_close(w, i, 1);
		} else
			hc_deadline(w, c->deadline);
	}
	if (late > 0)	/* one line per pass, however many there were */
		hc_log(HC_LOG_INFO, "closed %d connection%s that sent no whole request "
		    "within %.0f ms", late, late == 1 ? "" : "s", w->timeout_ms);
}

/* Serves the request waiting on slot, then keeps or forgets the connection. */
static void
hc_serve(struct hc_worker *w, int slot)
{
	struct hc_conn	*c = &w->c[slot];

	c->queued = 0;
	w->rq.ipcFd = c->fd;
	w->rq.keepConnection = 1;	/* so the finish inside Accept leaves it open */
	if (FCGX_Accept_r(&w->rq) >= 0) {
		w->cb->request(&w->rq, w->cb->ud);
		FCGX_Finish_r(&w->rq);
	}
	if (w->rq.ipcFd < 0) {
		/* libfcgi closed it: no keep-conn, an error, or the peer went away */
		hc_conn_close(w, slot, 0);
	} else {
		c->state = HC_C_KEPT;
		c->partial = 0;
		c->since = hc_mono_ms();
		c->deadline = c->since + HC_KEPT_IDLE_MS;
		hc_deadline(w, c->deadline);
	}
	w->rq.ipcFd = -1;
}

static int
hc_worker_setup(struct hc_worker *w, int lfd, const struct hc_server_cb *cb,
    long timeout_ms)
{
	struct epoll_event ev;
	struct sockaddr_storage ss;
	socklen_t	 sl = sizeof(ss);
	struct rlimit	 rl;
	sigset_t	 sigs;

	memset(w, 0, sizeof(*w));
	w->cb = cb;
	w->lfd = lfd;
	w->timeout_ms = (double)timeout_ms;
	w->iotimeout.tv_sec = timeout_ms / 1000;
	w->iotimeout.tv_usec = (timeout_ms % 1000) * 1000;
	w->next_deadline = INFINITY;
	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0)
		w->tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
	w->cap = HC_CONN_CAP;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)w->cap + 64 > rl.rlim_cur)
		w->cap = rl.rlim_cur > 128 ? (int)rl.rlim_cur - 64 : 64;
	if ((w->c = calloc((size_t)w->cap, sizeof(*w->c))) == NULL ||
	    (w->ring = calloc((size_t)w->cap, sizeof(*w->ring))) == NULL) {
		hc_log(HC_LOG_ERROR, "out of memory");
		return -1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if ((w->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		hc_log(HC_LOG_ERROR, "signalfd/epoll_create1: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = HC_EV_SIGNAL;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sfd, &ev) == -1) {
		hc_log(HC_LOG_ERROR, "epoll_ctl(signalfd): %s", strerror(errno));
		return -1;
	}
	hc_listen_set(w, 1);
	/* listen_sock -1: libfcgi must never accept (nor block) on its own */
	if (FCGX_InitRequest(&w->rq, -1, 0) != 0) {
		hc_log(HC_LOG_ERROR, "FCGX_InitRequest failed");
		return -1;
	}
	return 0;
}

/* Reads pending signals: TERM/INT stop, HUP reopens. */
static void
hc_signals(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			hc_stop = 1;
		else if (si.ssi_signo == SIGHUP)
			hc_hup = 1;
	}
}

static void
hc_worker(int lfd, const struct hc_server_cb *cb, long timeout_ms)
{
	struct hc_worker w;
	struct epoll_event ev[HC_EVENTS];
	double		 now, wait;
	int		 i, n, tmo, accept;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	if (hc_worker_setup(&w, lfd, cb, timeout_ms) == -1)
		_exit(1);
	if (cb->worker_init != NULL && cb->worker_init(cb->ud) == -1)
		_exit(1);
	while (!hc_stop) {
		if (hc_hup) {
			hc_hup = 0;
			if (cb->reopen != NULL)
				cb->reopen(cb->ud);
		}
		now = hc_mono_ms();
		if (w.rlen > 0)
			tmo = 0;
		else {
			wait = w.next_deadline;
			if (!w.listening && w.pause_until > now && w.pause_until < wait)
				wait = w.pause_until;
			tmo = isinf(wait) ? -1 : wait <= now ? 0 : (int)(wait - now) + 1;
		}
		n = epoll_wait(w.ep, ev, HC_EVENTS, tmo);
		if (n == -1 && errno != EINTR) {
			hc_log(HC_LOG_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		now = hc_mono_ms();
		accept = 0;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == HC_EV_SIGNAL)
				hc_signals(w.sfd);
			else if (ev[i].data.u64 == HC_EV_LISTEN)
				accept = 1;	/* level-triggered: asked again next turn */
			else
				hc_conn_check(&w, (int)(ev[i].data.u64 - HC_EV_CONN), now);
		}
		if (accept && w.rlen == 0 && !hc_stop)
			hc_accept_one(&w, now);
		if (hc_stop)
			break;		/* told to stop: take no new request */
		if (!w.listening && now >= w.pause_until && w.n < w.cap)
			hc_listen_set(&w, 1);
		if (now >= w.next_deadline)
			hc_expire(&w, now);
		/* one request per turn: signals and new connections are looked at in between */
		while (w.rlen > 0) {
			int slot = w.ring[w.rhead];

			w.rhead = (w.rhead + 1) % w.cap;
			w.rlen--;
			if (w.c[slot].state != HC_C_FREE && w.c[slot].queued) {
				hc_serve(&w, slot);
				break;
			}
		}
	}
	/* between requests: close every held connection plainly */
	for (i = 0; i < w.hi; i++)
		if (w.c[i].state != HC_C_FREE)
			close(w.c[i].fd);
	FCGX_Free(&w.rq, 0);
	if (cb->worker_fini != NULL)
		cb->worker_fini(cb->ud);
	exit(0);
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
		hc_signals(pfd.fd);
		if (hc_stop)
			break;
		if (poll(&pfd, 1, ms > 0 ? (int)ms : 1000) == 1)
			hc_signals(pfd.fd);
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
			hc_helper(cb);
		}
		hc_slot = slot;
		hc_worker(lfd, cb, timeout_ms);
	}
	return pid;
}

static double
hc_now_ms(void)
{
	return hc_mono_ms();
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

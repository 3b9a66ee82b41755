/* hc_conn: one worker's connection set: epoll, accept with back-off, whole-request peek, deadlines, hand-over to libfcgi. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_conn.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_server.h"
#include "hc_time.h"

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
 *
 * Hand-over (no request waits behind another connection's request): a
 * worker serves one request at a time, and the web server may send the
 * next request on any of the connections it keeps, held by any worker.
 * So each worker has a second thread, the watcher, which sleeps on a
 * timer armed while a request is in hand.  When a request has taken
 * HC_HANDOFF_MS and is still going (a list of 10,000 instances, a Redis
 * that hangs), the watcher takes the worker's table (the main thread
 * leaves it alone inside a request) and hands every other connection on
 * which a whole request waits, now or until the request in hand ends, to
 * the program's hand-over queue: a SOCK_SEQPACKET socket pair the master
 * made before forking, one descriptor a message (SCM_RIGHTS).  Every idle
 * worker has the queue in its epoll set (EPOLLEXCLUSIVE: one is woken)
 * and takes one connection a turn, as if it had accepted it, so the
 * waiting request goes to the first worker that is free.  Requests that
 * end within HC_HANDOFF_MS cost nothing but an atomic store each and one
 * timer call per HC_HANDOFF_MS of steady work; a connection is only
 * ever read by one thread, the one whose table holds it.
 */
#define HC_CONN_CAP	512		/* connections one worker holds at most */
#define HC_KEPT_IDLE_MS	120000.0
#define HC_PEEK_MAX	32768
#define HC_EVENTS	64
#ifndef HC_HANDOFF_MS
#define HC_HANDOFF_MS	2		/* a request in hand longer than this: waiting ones move */
#endif
#define HC_EV_LISTEN	0
#define HC_EV_SIGNAL	1
#define HC_EV_HANDOFF	2
#define HC_EV_WAKE	3		/* the watcher's own set: the request in hand ended */
#define HC_EV_CONN	4		/* + slot */

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
	int		*ring;		/* 2 x cap: a slot handed over while queued leaves a stale entry */
	int		 rhead, rlen;
	double		 next_deadline;
	double		 pause_until, backoff;	/* accept failures */
	unsigned long	 fails;
	double		 fail_since;
	FCGX_Request	 rq;
	/* hand-over (see above); hsend == -1: none (one worker) */
	int		 hsend, hrecv;
	int		 tfd, efd, wep;	/* watcher: its timer, "request ended", its epoll set */
	pthread_t	 watcher;
	int		 have_watcher;
	pthread_mutex_t	 mu;		/* the table; the main thread drops it inside a request */
	int		 serving;	/* slot of the request in hand, -1 none */
	int		 busy, armed, watching, quit;	/* __atomic */
	long long	 busy_since;	/* __atomic: hc_time_mono_ms() * 1000 at the request's start */
	unsigned long	 handed, taken;
};

static unsigned char hc_peekbuf[HC_PEEK_MAX];	/* under hc_worker.mu */

/*
 * The program's hand-over queue, and which workers are idle: a flag per
 * worker slot in shared memory, one cache line each (the master clears a
 * dead worker's, so a worker killed while idle is not counted for ever).
 */
#define HC_IDLE_STRIDE	16	/* ints: 64 bytes */
static int	 hc_hq[2] = { -1, -1 };
static int	*hc_idle;
static long	 hc_idle_n;

int
hc_conn_handoff_init(long workers)
{
	void	*p;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, hc_hq) == -1) {
		hc_log(HC_LOG_ERROR, "socketpair: %s", strerror(errno));
		return -1;
	}
	hc_idle_n = workers;
	if ((p = mmap(NULL, (size_t)workers * HC_IDLE_STRIDE * sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		hc_log(HC_LOG_ERROR, "mmap: %s", strerror(errno));
		hc_conn_handoff_close();
		return -1;
	}
	hc_idle = p;
	return 0;
}

void
hc_conn_handoff_close(void)
{
	if (hc_hq[0] >= 0) {
		close(hc_hq[0]);
		close(hc_hq[1]);
		hc_hq[0] = hc_hq[1] = -1;
	}
	if (hc_idle != NULL) {
		munmap(hc_idle, (size_t)hc_idle_n * HC_IDLE_STRIDE * sizeof(int));
		hc_idle = NULL;
	}
}

void
hc_conn_handoff_forget(int slot)
{
	if (hc_idle != NULL && slot >= 0 && slot < hc_idle_n)
		__atomic_store_n(&hc_idle[slot * HC_IDLE_STRIDE], 0, __ATOMIC_SEQ_CST);
}

/* Whether some worker of the program waits with nothing in hand. */
static int
hc_someone_idle(void)
{
	long	 i;

	for (i = 0; i < hc_idle_n; i++)
		if (__atomic_load_n(&hc_idle[i * HC_IDLE_STRIDE], __ATOMIC_SEQ_CST))
			return 1;
	return 0;
}

static int
hc_be16(const unsigned char *p)
{
	return p[0] << 8 | p[1];
}

int
hc_conn_request_ready(const unsigned char *b, size_t len, size_t cap)
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

/*
 * Peeks at what a connection has delivered: 1 when a whole request is
 * there, 0 when not yet, -1 when it was closed here (the peer closed it,
 * it broke, or it does not speak FastCGI).
 */
static int
hc_conn_peek(struct hc_worker *w, int slot, int main_thread)
{
	struct hc_conn	*c = &w->c[slot];
	ssize_t		 got;
	int		 r;

	got = recv(c->fd, hc_peekbuf, sizeof(hc_peekbuf), MSG_PEEK | MSG_DONTWAIT);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		hc_conn_close(w, slot, 1);
		return -1;
	}
	if (got < 0)
		return 0;
	if ((r = hc_conn_request_ready(hc_peekbuf, (size_t)got, sizeof(hc_peekbuf))) == -1) {
		if (main_thread)	/* (the watcher keeps no log objects of its own) */
			hc_log(HC_LOG_WARN, "closing a connection that does not speak FastCGI");
		hc_conn_close(w, slot, 1);
	}
	return r;
}

/* Looks at what a connection has delivered; queues it when a whole request is there. */
static void
hc_conn_check(struct hc_worker *w, int slot, double now)
{
	struct hc_conn	*c = &w->c[slot];
	int		 r;

	if (c->state == HC_C_FREE || c->queued)
		return;
	if ((r = hc_conn_peek(w, slot, 1)) == -1)
		return;
	if (r == 1) {
		c->queued = 1;
		w->ring[(w->rhead + w->rlen++) % (2 * w->cap)] = slot;
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

/* Puts fd in a free slot (there is one) and in the epoll set; the slot or -1 (fd closed). */
static int
hc_conn_add(struct hc_worker *w, int fd, enum hc_cstate state, double now)
{
	struct epoll_event ev;
	struct hc_conn	*c;
	int		 slot;

	for (slot = 0; slot < w->cap && w->c[slot].state != HC_C_FREE; slot++)
		continue;
	c = &w->c[slot];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->state = state;
	c->since = now;
	c->deadline = now + (state == HC_C_NEW ? w->timeout_ms : HC_KEPT_IDLE_MS);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = HC_EV_CONN + (uint64_t)slot;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		hc_log(HC_LOG_ERROR, "epoll_ctl(connection): %s", strerror(errno));
		close(fd);
		c->state = HC_C_FREE;
		return -1;
	}
	w->n++;
	if (slot >= w->hi)
		w->hi = slot + 1;
	hc_deadline(w, c->deadline);
	return slot;
}

/*
 * One connection per turn, also by a worker with requests waiting: with
 * kept connections under steady load no worker ever runs dry, and a new
 * connection would wait in the backlog until one did (heartbeats at 64
 * connections through upstream keepalive 32: p99 344 ms when only idle
 * workers accepted, 9.5 ms now).  One per turn, so no worker takes a
 * burst it would serve one after another; what waits on a worker busy
 * with a long request moves on through the hand-over queue.
 */
static void
hc_accept_one(struct hc_worker *w, double now)
{
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
		if ((slot = hc_conn_add(w, fd, HC_C_NEW, now)) == -1)
			continue;
		/* the web server usually wrote the request right after connecting */
		hc_conn_check(w, slot, now);
		return;
	}
}

/* One message of the hand-over queue: a byte and one descriptor. */
struct hc_fdmsg {
	struct msghdr	 msg;
	struct iovec	 iov;
	char		 b;
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} u;
};

static void
hc_fdmsg_init(struct hc_fdmsg *m)
{
	memset(m, 0, sizeof(*m));
	m->b = 'c';
	m->iov.iov_base = &m->b;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
}

/* Takes one connection from the hand-over queue, if one waits; its request is whole. */
static void
hc_take_one(struct hc_worker *w, double now)
{
	struct hc_fdmsg	 m;
	struct cmsghdr	*cm;
	int		 fd = -1, slot;

	if (w->n >= w->cap && hc_evict(w) == -1)
		return;
	hc_fdmsg_init(&m);
	if (recvmsg(w->hrecv, &m.msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
		return;		/* another worker took it */
	for (cm = CMSG_FIRSTHDR(&m.msg); cm != NULL; cm = CMSG_NXTHDR(&m.msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0)
		return;
	if ((slot = hc_conn_add(w, fd, HC_C_KEPT, now)) == -1)
		return;
	w->taken++;
	hc_conn_check(w, slot, now);
	if (w->c[slot].queued && w->rlen > 1) {
		/* it has waited already: it goes before this worker's own */
		w->rhead = (w->rhead + 2 * w->cap - 1) % (2 * w->cap);
		w->ring[w->rhead] = slot;
	}
}

/*
 * Watcher side, under mu: sends slot's connection to the hand-over
 * queue and forgets it; 0, or -1 when the queue is full (it stays).
 */
static int
hc_hand_over(struct hc_worker *w, int slot)
{
	struct hc_fdmsg	 m;
	struct cmsghdr	*cm;
	int		 fd = w->c[slot].fd;

	/* with every sibling busy too, it would only change queues */
	if (!hc_someone_idle())
		return -1;
	hc_fdmsg_init(&m);
	cm = CMSG_FIRSTHDR(&m.msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(w->hsend, &m.msg, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
		return -1;
	/* the file lives on in the message: leave both epoll sets by hand */
	epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
	epoll_ctl(w->wep, EPOLL_CTL_DEL, fd, NULL);
	hc_conn_close(w, slot, 1);
	w->handed++;
	hc_metrics_handed_over();
	return 0;
}

static void
hc_timer_arm(struct hc_worker *w, long long us)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (us < 1)
		us = 1;
	its.it_value.tv_sec = us / 1000000;
	its.it_value.tv_nsec = (us % 1000000) * 1000;
	timerfd_settime(w->tfd, 0, &its, NULL);
}

static long long
hc_now_us(void)
{
	return (long long)(hc_time_mono_ms() * 1000.0);
}

/* Hands over what waits whole; how many could not go. */
static int
hc_watch_pass(struct hc_worker *w)
{
	int	 i, left = 0;

	for (i = 0; i < w->hi; i++) {
		if (i == w->serving || w->c[i].state == HC_C_FREE)
			continue;
		if ((w->c[i].queued || hc_conn_peek(w, i, 0) == 1) && hc_hand_over(w, i) == -1)
			left++;
	}
	return left;
}

/*
 * The request in hand has run HC_HANDOFF_MS: hands over every other
 * connection with a whole request, then watches the rest until the
 * request ends (main writes efd).  Takes and gives back mu.
 */
static void
hc_watch(struct hc_worker *w)
{
	struct epoll_event ev, evs[HC_EVENTS];
	uint64_t	 x;
	int		 i, n, pending, done = 0;

	pthread_mutex_lock(&w->mu);
	__atomic_store_n(&w->watching, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&w->busy, __ATOMIC_SEQ_CST) ||
	    hc_now_us() - __atomic_load_n(&w->busy_since, __ATOMIC_SEQ_CST) <
	    HC_HANDOFF_MS * 1000LL) {
		/* it ended (main waits for mu), or a new one began: nothing to do */
		__atomic_store_n(&w->watching, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&w->mu);
		return;
	}
	/*
	 * A wake-up left from an earlier request would end this watch at
	 * once: drop it, then look again, since main clears busy before it
	 * writes (a write for this request is then seen as busy == 0).
	 */
	while (read(w->efd, &x, sizeof(x)) == (ssize_t)sizeof(x))
		continue;
	if (!__atomic_load_n(&w->busy, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&w->watching, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&w->mu);
		return;
	}
	for (i = 0; i < w->hi; i++) {
		if (i == w->serving || w->c[i].state == HC_C_FREE)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.u64 = HC_EV_CONN + (uint64_t)i;
		epoll_ctl(w->wep, EPOLL_CTL_ADD, w->c[i].fd, &ev);
	}
	/* waiting requests go while a sibling is idle; with none, looked at again shortly */
	pending = hc_watch_pass(w);
	while (!done) {
		if ((n = epoll_wait(w->wep, evs, HC_EVENTS, pending ? HC_HANDOFF_MS : -1)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++)
			if (evs[i].data.u64 == HC_EV_WAKE)
				done = 1;
		if (!done)
			pending = hc_watch_pass(w);
	}
	/* what stays is the main thread's again (its own set saw the same data) */
	for (i = 0; i < w->hi; i++)
		if (i != w->serving && w->c[i].state != HC_C_FREE)
			epoll_ctl(w->wep, EPOLL_CTL_DEL, w->c[i].fd, NULL);
	while (read(w->efd, &x, sizeof(x)) == (ssize_t)sizeof(x))
		continue;
	__atomic_store_n(&w->watching, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&w->mu);
}

static void *
hc_watcher(void *arg)
{
	struct hc_worker *w = arg;
	uint64_t	 x;
	long long	 left;
	sigset_t	 all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		if (read(w->tfd, &x, sizeof(x)) != (ssize_t)sizeof(x) && errno != EINTR)
			break;
		if (__atomic_load_n(&w->quit, __ATOMIC_SEQ_CST))
			break;
		if (!__atomic_load_n(&w->busy, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&w->armed, 0, __ATOMIC_SEQ_CST);
			/* a request that began meanwhile saw armed set and left it to us */
			if (__atomic_load_n(&w->busy, __ATOMIC_SEQ_CST) &&
			    !__atomic_exchange_n(&w->armed, 1, __ATOMIC_SEQ_CST))
				hc_timer_arm(w, HC_HANDOFF_MS * 1000LL);
			continue;
		}
		left = __atomic_load_n(&w->busy_since, __ATOMIC_SEQ_CST) +
		    HC_HANDOFF_MS * 1000LL - hc_now_us();
		if (left <= 0) {
			hc_watch(w);
			left = HC_HANDOFF_MS * 1000LL;
		}
		hc_timer_arm(w, left);	/* armed stays set: idle or not, the next firing decides */
	}
	return NULL;
}

/* The main thread, as a request begins and ends. */
static void
hc_busy_begin(struct hc_worker *w, int slot)
{
	w->serving = slot;
	if (!w->have_watcher)
		return;
	__atomic_store_n(&w->busy_since, hc_now_us(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->busy, 1, __ATOMIC_SEQ_CST);
	if (w->n > 1 && !__atomic_exchange_n(&w->armed, 1, __ATOMIC_SEQ_CST))
		hc_timer_arm(w, HC_HANDOFF_MS * 1000LL);
	pthread_mutex_unlock(&w->mu);
}

static void
hc_busy_end(struct hc_worker *w)
{
	uint64_t one = 1;

	if (w->have_watcher) {
		__atomic_store_n(&w->busy, 0, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&w->watching, __ATOMIC_SEQ_CST) &&
		    write(w->efd, &one, sizeof(one)) == -1)
			hc_log(HC_LOG_ERROR, "write(eventfd): %s", strerror(errno));
		pthread_mutex_lock(&w->mu);
	}
	w->serving = -1;
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
	hc_busy_begin(w, slot);
	if (FCGX_Accept_r(&w->rq) >= 0) {
		w->cb->request(&w->rq, w->cb->ud);
		FCGX_Finish_r(&w->rq);
	}
	hc_busy_end(w);
	if (w->rq.ipcFd < 0) {
		/* libfcgi closed it: no keep-conn, an error, or the peer went away */
		hc_conn_close(w, slot, 0);
	} else {
		c->state = HC_C_KEPT;
		c->partial = 0;
		c->since = hc_time_mono_ms();
		c->deadline = c->since + HC_KEPT_IDLE_MS;
		hc_deadline(w, c->deadline);
	}
	w->rq.ipcFd = -1;
}

/* The hand-over queue in the epoll set and the watcher thread; 0 or -1. */
static int
hc_handoff_setup(struct hc_worker *w)
{
	struct epoll_event ev;

	w->hsend = w->hrecv = w->tfd = w->efd = w->wep = -1;
	w->serving = -1;
	if (hc_hq[0] < 0)
		return 0;
	w->hsend = hc_hq[0];
	w->hrecv = hc_hq[1];
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.u64 = HC_EV_HANDOFF;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->hrecv, &ev) == -1 ||
	    (w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) == -1 ||
	    (w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (w->wep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		hc_log(HC_LOG_ERROR, "hand-over set-up: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = HC_EV_WAKE;
	if (epoll_ctl(w->wep, EPOLL_CTL_ADD, w->efd, &ev) == -1 ||
	    pthread_mutex_init(&w->mu, NULL) != 0) {
		hc_log(HC_LOG_ERROR, "hand-over set-up: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&w->mu);
	if ((errno = pthread_create(&w->watcher, NULL, hc_watcher, w)) != 0) {
		hc_log(HC_LOG_ERROR, "pthread_create: %s", strerror(errno));
		return -1;
	}
	w->have_watcher = 1;
	return 0;
}

static void
hc_handoff_stop(struct hc_worker *w)
{
	if (!w->have_watcher)
		return;
	__atomic_store_n(&w->quit, 1, __ATOMIC_SEQ_CST);
	hc_timer_arm(w, 1);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->watcher, NULL);
	pthread_mutex_destroy(&w->mu);
	w->have_watcher = 0;
	if (w->handed > 0 || w->taken > 0)
		hc_log(HC_LOG_DEBUG, "handed over %lu connections, took %lu", w->handed, w->taken);
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
	    (w->ring = calloc(2 * (size_t)w->cap, sizeof(*w->ring))) == NULL) {
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

/* Reads pending signals from sfd: TERM/INT set *stop, HUP sets *hup. */
void
hc_conn_signals(int sfd, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			*stop = 1;
		else if (si.ssi_signo == SIGHUP)
			*hup = 1;
	}
}

void
hc_conn_worker(int lfd, const struct hc_server_cb *cb, long timeout_ms,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *hup)
{
	struct hc_worker w;
	struct epoll_event ev[HC_EVENTS];
	double		 now, wait;
	int		 i, n, tmo, accept, take, *idle = NULL;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	if (hc_worker_setup(&w, lfd, cb, timeout_ms) == -1 || hc_handoff_setup(&w) == -1)
		_exit(1);
	if (w.have_watcher && hc_server_worker_slot() >= 0 && hc_server_worker_slot() < hc_idle_n)
		idle = &hc_idle[hc_server_worker_slot() * HC_IDLE_STRIDE];
	if (cb->worker_init != NULL && cb->worker_init(cb->ud) == -1)
		_exit(1);
	while (!*stop) {
		if (*hup) {
			*hup = 0;
			if (cb->reopen != NULL)
				cb->reopen(cb->ud);
		}
		now = hc_time_mono_ms();
		if (w.rlen > 0)
			tmo = 0;
		else {
			wait = w.next_deadline;
			if (!w.listening && w.pause_until > now && w.pause_until < wait)
				wait = w.pause_until;
			tmo = isinf(wait) ? -1 : wait <= now ? 0 : (int)(wait - now) + 1;
		}
		/* idle: blocking with nothing in hand; a busy sibling may hand over to us */
		if (tmo != 0 && idle != NULL)
			__atomic_store_n(idle, 1, __ATOMIC_SEQ_CST);
		n = epoll_wait(w.ep, ev, HC_EVENTS, tmo);
		if (tmo != 0 && idle != NULL)
			__atomic_store_n(idle, 0, __ATOMIC_SEQ_CST);
		if (n == -1 && errno != EINTR) {
			hc_log(HC_LOG_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		now = hc_time_mono_ms();
		accept = take = 0;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == HC_EV_SIGNAL)
				hc_conn_signals(w.sfd, stop, hup);
			else if (ev[i].data.u64 == HC_EV_LISTEN)
				accept = 1;	/* level-triggered: asked again next turn */
			else if (ev[i].data.u64 == HC_EV_HANDOFF)
				take = 1;	/* level-triggered too */
			else
				hc_conn_check(&w, (int)(ev[i].data.u64 - HC_EV_CONN), now);
		}
		/* a handed-over request has waited already: it is taken even by a worker with work */
		if (take && !*stop)
			hc_take_one(&w, now);
		if (accept && !*stop)
			hc_accept_one(&w, now);
		if (*stop)
			break;		/* told to stop: take no new request */
		if (!w.listening && now >= w.pause_until && w.n < w.cap)
			hc_listen_set(&w, 1);
		if (now >= w.next_deadline)
			hc_expire(&w, now);
		/* one request per turn: signals and new connections are looked at in between */
		while (w.rlen > 0) {
			int slot = w.ring[w.rhead];

			w.rhead = (w.rhead + 1) % (2 * w.cap);
			w.rlen--;
			if (w.c[slot].state != HC_C_FREE && w.c[slot].queued) {
				hc_serve(&w, slot);
				break;
			}
		}
	}
	hc_handoff_stop(&w);
	/* between requests: close every held connection plainly */
	for (i = 0; i < w.hi; i++)
		if (w.c[i].state != HC_C_FREE)
			close(w.c[i].fd);
	FCGX_Free(&w.rq, 0);
	if (cb->worker_fini != NULL)
		cb->worker_fini(cb->ud);
	exit(0);
}

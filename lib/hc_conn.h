/* hc_conn: one worker's connection set (epoll, accept back-off, whole-request peek, deadlines, libfcgi hand-over). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_CONN_H
#define HC_CONN_H

#include <signal.h>
#include <stddef.h>

struct hc_server_cb;

/*
 * The body of one worker process (hc_server forks it): accepts on lfd
 * (non-blocking), holds connections until a whole request is there or
 * timeout_ms has passed, and hands each whole one to cb->request through
 * libfcgi.  After hc_conn_handoff_init, a request that waits on a
 * connection of a worker busy for more than a moment moves to a free
 * worker.  *stop and *hup are hc_server's flags, set from the worker's
 * signalfd.  Calls cb->worker_init and cb->worker_fini; never returns.
 */
void	 hc_conn_worker(int lfd, const struct hc_server_cb *cb, long timeout_ms,
	    volatile sig_atomic_t *stop, volatile sig_atomic_t *hup);

/*
 * The master, before forking two or more workers: the program's
 * hand-over queue (a SOCK_SEQPACKET pair) and a flag per worker slot
 * saying it is idle (shared memory).  0, or -1 logged.  _forget clears a
 * dead worker's flag; _close undoes it all (the helper process, the
 * master at exit).
 */
int	 hc_conn_handoff_init(long workers);
void	 hc_conn_handoff_forget(int slot);
void	 hc_conn_handoff_close(void);

/* Reads pending signals from the signalfd sfd: TERM/INT set *stop, HUP sets *hup. */
void	 hc_conn_signals(int sfd, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup);

/*
 * For a FastCGI record stream peeked from a connection: 1 when buf holds
 * a whole request (begin, every parameter through the empty PARAMS
 * record, stdin through its empty record) or is full, 0 when more must
 * come, -1 when it is not FastCGI.  Exported for the unit test.
 */
int	 hc_conn_request_ready(const unsigned char *buf, size_t len, size_t cap);

#endif

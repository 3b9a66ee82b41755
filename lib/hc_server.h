/* hc_server: the FastCGI process model (listen, prefork, deadlines, drain, reopen). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_SERVER_H
#define HC_SERVER_H

#include <stddef.h>

struct hc_server_opts {
	const char	*listen;	/* "unix:PATH", "HOST:PORT" or NULL for fd 0 / systemd */
	long		 socket_mode;	/* unix socket mode, default 0660 */
	const char	*socket_owner;	/* "user[:group]" for the unix socket, or NULL */
	long		 workers;	/* prefork count, >= 1 */
	long		 backlog;
	long		 conn_timeout_ms; /* HEADCOUNT_CONN_TIMEOUT_MS; <= 0: 5000 */
};

/* Callbacks; all but prefork run in the child processes. */
struct hc_server_cb {
	/*
	 * In the master once the socket is set up, before any fork (open
	 * what must be opened with privileges, then drop them).  0, or -1:
	 * hc_server_run returns 1.
	 */
	int	(*prefork)(void *ud);
	int	(*worker_init)(void *ud);		/* 0, or -1: worker exits 1 */
	/* One request; fcgx is an FCGX_Request *.  Called between accept and finish. */
	void	(*request)(void *fcgx, void *ud);
	void	(*worker_fini)(void *ud);
	void	(*reopen)(void *ud);			/* after SIGHUP, outside a request */
	/*
	 * Optional: run in one more child (supervised like a worker, serving
	 * no connection) at start and then again after the delay in ms it
	 * returns, until the program stops.  Work that must stay off the
	 * request path (health's Redis and SQLite checks) lives here.
	 */
	long	(*helper)(void *ud);
	void	*ud;
};

/*
 * Opens (or inherits) the listening socket, calls cb->prefork, forks
 * opts->workers workers (and the helper), replaces any that die, and on
 * SIGTERM/SIGINT lets each finish the request in hand and exits.  SIGHUP
 * reopens logs in all processes.  A connection that has not delivered a
 * whole request within opts->conn_timeout_ms is closed, and no worker
 * ever waits on one.  Returns the exit status for main (0 after a clean
 * drain, 1 when the socket could not be set up, with the reason logged).
 */
int	 hc_server_run(const struct hc_server_opts *opts, const struct hc_server_cb *cb);

/*
 * Only the listening socket, as hc_server_run opens it (--listen unix:PATH
 * with socket_mode/socket_owner, HOST:PORT, or inherited from fd 0 or
 * systemd's fd 3), for a program with its own event loop.  Returns the
 * fd (blocking, close-on-exec), or -1 with the reason logged.
 */
int	 hc_server_listen(const struct hc_server_opts *opts);

/* 1 once this process was asked to stop (for long-lived responses such as SSE). */
int	 hc_server_stopping(void);

/* This worker's index in [0, workers), -1 in the master and the helper. */
int	 hc_server_worker_slot(void);

/* Number of workers the master keeps (for per-program gauges). */
long	 hc_server_workers(void);

#endif

/* hc_server: the FastCGI process model (listen, prefork, drain, reopen). */
#ifndef HC_SERVER_H
#define HC_SERVER_H

#include <stddef.h>

struct hc_server_opts {
	const char	*listen;	/* "unix:PATH", "HOST:PORT" or NULL for fd 0 / systemd */
	long		 socket_mode;	/* unix socket mode, default 0660 */
	const char	*socket_owner;	/* "user[:group]" for the unix socket, or NULL */
	long		 workers;	/* prefork count, >= 1 */
	long		 backlog;
};

/* Callbacks run in each worker process. */
struct hc_server_cb {
	int	(*worker_init)(void *ud);		/* 0, or -1: worker exits 1 */
	/* One request; fcgx is an FCGX_Request *.  Called between accept and finish. */
	void	(*request)(void *fcgx, void *ud);
	void	(*worker_fini)(void *ud);
	void	(*reopen)(void *ud);			/* after SIGHUP, outside a request */
	void	*ud;
	/*
	 * When set, one more process runs this beside the workers (a
	 * per-node watcher, say), replaced when it dies like a worker and
	 * told to stop with them.  It waits only in hc_server_poll and
	 * returns once hc_server_stopping() is 1.
	 */
	void	(*companion)(void *ud);
};

/*
 * Opens (or inherits) the listening socket, forks opts->workers workers,
 * replaces any that die, and on SIGTERM/SIGINT lets each finish the
 * request in hand and exits.  SIGHUP reopens logs in all processes.
 * Returns the exit status for main (0 after a clean drain, 1 when the
 * socket could not be set up, with the reason logged).
 */
int	 hc_server_run(const struct hc_server_opts *opts, const struct hc_server_cb *cb);

/* 1 once this worker was asked to stop (for long-lived responses such as SSE). */
int	 hc_server_stopping(void);

/* This worker's index in [0, workers), -1 in the master. */
int	 hc_server_worker_slot(void);

/*
 * For the companion process: poll(2) on fds for at most timeout_ms (-1
 * forever) with SIGTERM, SIGINT and SIGHUP let in only while it waits
 * (a SIGHUP reopens the log).  Returns as poll; -1 with EINTR after a
 * signal (then check hc_server_stopping()).
 */
struct pollfd;
int	 hc_server_poll(struct pollfd *fds, unsigned long nfds, int timeout_ms);

/* Number of workers the master keeps (for per-program gauges). */
long	 hc_server_workers(void);

#endif

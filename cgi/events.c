/* headcount-events: one event loop holding every SSE and WebSocket stream of the node, relaying Redis pub/sub. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "hc_cli.h"
#include "hc_events.h"
#include "hc_events_sub.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_priv.h"
#include "hc_server.h"
#include "hc_settings.h"
#include "hc_time.h"

#define EV_LISTEN_MAX	2

struct ev_listener {
	int		 fd;
	uv_poll_t	 poll;
	int		 polling;
	const char	*spec;
	char		*unix_path;	/* unlinked at exit */
};

struct ev {
	struct hc_settings	 s;
	const char		*patterns[HC_EVENTS_PATTERNS_MAX];
	size_t			 npatterns;
	char			*patstore;
	uv_loop_t		 loop;
	struct lws_context	*ctx;
	struct lws_vhost	*vh;
	struct ev_listener	 l[EV_LISTEN_MAX];
	size_t			 nl;
	uv_timer_t		 ka_timer, sweep_timer, accept_pause;
	uv_signal_t		 sig_term, sig_int, sig_hup;
	struct ev_hub		*hub;
	struct hc_events_sub	*sub;
	lws_retry_bo_t		 retry;		/* all zero: no lws pings (the hub's) */
	double			 hangup_ms;	/* a WebSocket without a pong this long is closed */
	int			 stopping;
	int			 handles;	/* the uv handles above are initialised */
	unsigned		 fd_limit;	/* descriptors lws makes room for */
};

static struct ev	 ev;
struct ev_conf		 ev_conf;

static int
ev_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct ev_client *c;
	struct ev_pss	*pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (pss != NULL)
			pss->answered = 0;
		return ev_http(wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss != NULL && pss->answered) {
			pss->answered = 0;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return ev_upgrade(wsi, in);
	case LWS_CALLBACK_ESTABLISHED:
		if ((c = lws_get_opaque_user_data(wsi)) == NULL)
			return -1;
		ev_hub_join(ev.hub, c);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if ((c = lws_get_opaque_user_data(wsi)) == NULL)
			return 0;
		return ev_hub_write(ev.hub, c);
	case LWS_CALLBACK_RECEIVE:
		return 0;	/* nothing is read from clients but pongs */
	case LWS_CALLBACK_RECEIVE_PONG:
		if ((c = lws_get_opaque_user_data(wsi)) != NULL)
			ev_hub_pong(c);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if ((c = lws_get_opaque_user_data(wsi)) != NULL) {
			lws_set_opaque_user_data(wsi, NULL);
			ev_hub_leave(ev.hub, c);
			free(c);
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols ev_protocols[] = {
	{ "headcount-events", ev_callback, sizeof(struct ev_pss), 512, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ------------------------------------------------------------------ loop */

static void
ev_on_message(void *ud, const char *channel, size_t chlen, const char *payload,
    size_t plen)
{
	(void)ud;
	ev_hub_publish(ev.hub, channel, chlen, payload, plen);
}

static void
ev_on_state(void *ud, int up)
{
	(void)ud;
	hc_metrics_gauge(HC_GAUGE_EVENTS_SUBSCRIBED, up);
	if (!up)
		hc_metrics_count(HC_METRIC_REDIS_ERRORS, 1);
}

static void
ev_ka_cb(uv_timer_t *t)
{
	(void)t;
	ev_hub_keepalive(ev.hub);
}

static void
ev_sweep_cb(uv_timer_t *t)
{
	(void)t;
	ev_hub_sweep(ev.hub, hc_time_mono_ms(), ev.hangup_ms);
}

static void ev_accept_cb(uv_poll_t *p, int status, int events);

static void
ev_accept_resume(uv_timer_t *t)
{
	size_t	 i;

	(void)t;
	for (i = 0; i < ev.nl && !ev.stopping; i++)
		if (!ev.l[i].polling) {
			uv_poll_start(&ev.l[i].poll, UV_READABLE, ev_accept_cb);
			ev.l[i].polling = 1;
		}
}

static void
ev_accept_cb(uv_poll_t *p, int status, int events)
{
	struct ev_listener *l = p->data;
	static int warned;
	int	 fd, i;

	(void)events;
	if (status < 0 || ev.stopping)
		return;
	for (i = 0; i < 64; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* out of descriptors: pause accepting instead of spinning */
				if (!warned++)
					hc_log(HC_LOG_ERROR, "accept(%s): %s; pausing "
					    "accepts for 100 ms (raise ulimit -n?)", l->spec,
					    strerror(errno));
				uv_poll_stop(&l->poll);
				l->polling = 0;
				uv_timer_start(&ev.accept_pause, ev_accept_resume, 100, 0);
			}
			return;
		}
		if (lws_adopt_socket_vhost(ev.vh, fd) == NULL)
			hc_log(HC_LOG_WARN, "lws_adopt_socket_vhost failed (%ld streams open)",
			    ev_hub_count(ev.hub, EV_SSE) + ev_hub_count(ev.hub, EV_WS));
	}
}

static void
ev_closed(uv_handle_t *h)
{
	(void)h;
}

static void
ev_stop(void)
{
	size_t	 i;

	if (ev.stopping || !ev.handles)
		return;
	ev.stopping = 1;
	hc_log(HC_LOG_INFO, "stopping: closing %ld SSE and %ld WebSocket streams",
	    ev_hub_count(ev.hub, EV_SSE), ev_hub_count(ev.hub, EV_WS));
	for (i = 0; i < ev.nl; i++) {
		uv_poll_stop(&ev.l[i].poll);
		uv_close((uv_handle_t *)&ev.l[i].poll, ev_closed);
	}
	ev_hub_close_all(ev.hub);
	hc_events_sub_free(ev.sub);
	ev.sub = NULL;
	uv_timer_stop(&ev.ka_timer);
	uv_close((uv_handle_t *)&ev.ka_timer, ev_closed);
	uv_timer_stop(&ev.sweep_timer);
	uv_close((uv_handle_t *)&ev.sweep_timer, ev_closed);
	uv_timer_stop(&ev.accept_pause);
	uv_close((uv_handle_t *)&ev.accept_pause, ev_closed);
	uv_signal_stop(&ev.sig_term);
	uv_signal_stop(&ev.sig_int);
	uv_signal_stop(&ev.sig_hup);
	uv_close((uv_handle_t *)&ev.sig_term, ev_closed);
	uv_close((uv_handle_t *)&ev.sig_int, ev_closed);
	uv_close((uv_handle_t *)&ev.sig_hup, ev_closed);
	/* with a foreign loop lws closes its handles as the loop runs on */
	if (ev.ctx != NULL)
		lws_context_destroy(ev.ctx);
}

static void
ev_signal(uv_signal_t *h, int sig)
{
	(void)h;
	if (sig == SIGHUP) {
		if (hc_log_reopen() == -1)
			hc_log(HC_LOG_ERROR, "reopening the log file failed");
		return;
	}
	hc_log(HC_LOG_INFO, "%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	ev_stop();
}

/* lws's own lines, into the JSON log (errors and warnings only). */
static void
ev_lws_log(int level, const char *line)
{
	char	 buf[512];
	size_t	 n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* lws never sees a token in a line it logs, but be sure */
	if (strstr(buf, "access_token") != NULL)
		return;
	hc_log(level == LLL_ERR ? HC_LOG_ERROR : HC_LOG_WARN, "lws: %s", buf);
}

/*
 * Room for every stream plus the process's own descriptors: the soft limit
 * is set to exactly that (raised, or lowered), up to the hard limit.  lws
 * 4.1 sizes its table of connections from the limit; given a smaller
 * fd_limit_per_thread it finds the connection of each ready socket by a
 * linear search of the table (wsi_from_fd), and above 10,000,000 it falls
 * back to 2,560 descriptors.  With the two equal the lookup is an index.
 */
static unsigned
ev_fd_limit(void)
{
	struct rlimit	 rl;
	rlim_t		 want = (rlim_t)ev.s.events_max_clients + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur != want) {
			rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
			    rl.rlim_max : want;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				hc_log(HC_LOG_WARN, "setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < want)
			hc_log(HC_LOG_WARN, "ulimit -n is %llu: fewer than the %ld streams "
			    "of HEADCOUNT_EVENTS_MAX_CLIENTS fit", (unsigned long long)rl.rlim_cur,
			    ev.s.events_max_clients);
		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
			want = rl.rlim_cur;
	}
	return want > 0x7fffffff ? 0x7fffffff : (unsigned)want;
}

static int
ev_setup(void)
{
	struct lws_context_creation_info info;
	void	*loops[1];
	char	 err[256];
	size_t	 i;
	int	 n;

	if ((n = hc_events_patterns(ev.s.event_channels, &ev.patstore, ev.patterns,
	    HC_EVENTS_PATTERNS_MAX, err, sizeof(err))) < 0) {
		hc_log(HC_LOG_ERROR, "HEADCOUNT_EVENT_CHANNELS: %s", err);
		return -1;
	}
	ev.npatterns = (size_t)n;
	ev_conf.s = &ev.s;
	ev_conf.patterns = ev.patterns;
	ev_conf.npatterns = ev.npatterns;
	if ((ev_conf.hub = ev.hub = ev_hub_new((size_t)ev.s.events_replay, ev.s.events_max_clients,
	    ev.s.events_max_per_subject)) == NULL) {
		hc_log(HC_LOG_ERROR, "out of memory");
		return -1;
	}
	if (uv_loop_init(&ev.loop) != 0) {
		hc_log(HC_LOG_ERROR, "uv_loop_init failed");
		return -1;
	}
	uv_timer_init(&ev.loop, &ev.accept_pause);
	uv_timer_init(&ev.loop, &ev.ka_timer);
	uv_timer_init(&ev.loop, &ev.sweep_timer);
	uv_signal_init(&ev.loop, &ev.sig_term);
	uv_signal_init(&ev.loop, &ev.sig_int);
	uv_signal_init(&ev.loop, &ev.sig_hup);
	for (i = 0; i < ev.nl; i++) {
		uv_poll_init(&ev.loop, &ev.l[i].poll, ev.l[i].fd);
		ev.l[i].poll.data = &ev.l[i];
	}
	ev.handles = 1;
	lws_set_log_level(LLL_ERR | LLL_WARN, ev_lws_log);
	/*
	 * Ping every keep-alive seconds (ev_hub_keepalive), hang up on a
	 * WebSocket without a pong for twice that (15 s, 30 s), leaving a
	 * pong at least 3 s to come back when the interval is short (tests
	 * use 1 s); checked every second.  ev.retry stays all zero: lws
	 * schedules no validity timers of its own.
	 */
	ev.hangup_ms = 1000.0 * (double)(ev.s.events_keepalive * 2 <
	    ev.s.events_keepalive + 3 ? ev.s.events_keepalive + 3 :
	    ev.s.events_keepalive * 2);
	memset(&info, 0, sizeof(info));
	loops[0] = &ev.loop;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	info.pcontext = &ev.ctx;
	info.fd_limit_per_thread = ev.fd_limit;
	info.max_http_header_pool = 256;	/* only handshakes hold one */
	info.max_http_header_data = 8192;
	info.timeout_secs = 10;			/* a handshake's deadline */
	info.keepalive_timeout = 10;
	if ((ev.ctx = lws_create_context(&info)) == NULL) {
		hc_log(HC_LOG_ERROR, "lws_create_context failed");
		return -1;
	}
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;	/* we accept, lws serves */
	info.protocols = ev_protocols;
	info.vhost_name = "headcount-events";
	info.retry_and_idle_policy = &ev.retry;
	if ((ev.vh = lws_create_vhost(ev.ctx, &info)) == NULL) {
		hc_log(HC_LOG_ERROR, "lws_create_vhost failed");
		return -1;
	}
	for (i = 0; i < ev.nl; i++) {
		uv_poll_start(&ev.l[i].poll, UV_READABLE, ev_accept_cb);
		ev.l[i].polling = 1;
	}
	uv_timer_start(&ev.ka_timer, ev_ka_cb, (uint64_t)ev.s.events_keepalive * 1000,
	    (uint64_t)ev.s.events_keepalive * 1000);
	uv_timer_start(&ev.sweep_timer, ev_sweep_cb, 1000, 1000);
	uv_signal_start(&ev.sig_term, ev_signal, SIGTERM);
	uv_signal_start(&ev.sig_int, ev_signal, SIGINT);
	uv_signal_start(&ev.sig_hup, ev_signal, SIGHUP);
	if ((ev.sub = hc_events_sub_new(&ev.loop, ev.s.redis_url,
	    ev.s.redis_sentinel_password, ev.s.redis_timeout_ms,
	    ev.patterns, ev.npatterns, ev_on_message, ev_on_state, NULL, err,
	    sizeof(err))) == NULL) {
		hc_log(HC_LOG_ERROR, "REDIS_URL: %s", err);
		return -1;
	}
	hc_metrics_gauge(HC_GAUGE_EVENTS_SSE, 0);
	hc_metrics_gauge(HC_GAUGE_EVENTS_WS, 0);
	hc_metrics_gauge(HC_GAUGE_EVENTS_SUBSCRIBED, 0);
	hc_events_sub_start(ev.sub);
	return 0;
}

static void
ev_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: headcount-events [--listen unix:PATH|HOST:PORT] [--also-listen HOST:PORT]\n"
	    "       [--socket-mode MODE] [--socket-owner USER[:GROUP]] [--user USER[:GROUP]]\n"
	    "       [--config FILE] [--print-settings] [--help] [--version]\n"
	    "Serves GET " EV_PATH_SSE " (Server-Sent Events) and GET " EV_PATH_WS "\n"
	    "(WebSocket) over HTTP/1.1 for a reverse proxy, relaying the Redis channels of\n"
	    "HEADCOUNT_EVENT_CHANNELS.  One process, one event loop, one Redis subscription\n"
	    "(--workers is accepted and ignored).  --also-listen: a second socket (e.g.\n"
	    "127.0.0.1:PORT beside nginx's unix socket).  Without --listen the socket is\n"
	    "inherited on fd 0 or from systemd (fd 3).  Started as root it needs --user.\n"
	    "SIGTERM/SIGINT: close the streams and exit 0.  SIGHUP: reopen the log file.\n"
	    "Settings: %s, then the environment.\n", hc_settings_default_path());
}

#define EV_OPT_ALSO	256

static const struct hc_cli_opt ev_opts[] = {
	{ "also-listen", 1, EV_OPT_ALSO },
	{ NULL, 0, 0 }
};

static int
ev_opt(int key, const char *arg, void *ud)
{
	const char **also = ud;

	if (key == EV_OPT_ALSO) {
		if (*also != NULL) {
			fprintf(stderr, "headcount-events: --also-listen: at most once\n");
			return -1;
		}
		*also = arg;
	}
	return 0;
}

/* Binds every listener (before privileges go).  0, or -1 (logged). */
static int
ev_listen(const struct hc_cli *cli, const struct hc_priv *priv, const char *also)
{
	struct hc_server_opts so;
	const char *spec[EV_LISTEN_MAX] = { cli->listen, also };
	size_t	 i, n = also != NULL ? 2 : 1;

	memset(&so, 0, sizeof(so));
	so.socket_mode = cli->socket_mode;
	so.socket_owner = cli->socket_owner != NULL ? cli->socket_owner :
	    priv->drop ? cli->user : NULL;
	so.backlog = 4096;
	for (i = 0; i < n; i++) {
		so.listen = spec[i];
		if ((ev.l[i].fd = hc_server_listen(&so)) == -1)
			return -1;
		ev.nl++;
		ev.l[i].spec = spec[i] ? spec[i] : "inherited socket";
		if (spec[i] != NULL && strncmp(spec[i], "unix:", 5) == 0)
			ev.l[i].unix_path = strdup(spec[i] + 5);
		if (fcntl(ev.l[i].fd, F_SETFL, fcntl(ev.l[i].fd, F_GETFL) | O_NONBLOCK) == -1) {
			hc_log(HC_LOG_ERROR, "fcntl(O_NONBLOCK): %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct hc_cli	 cli;
	struct hc_priv	 priv;
	const char	*also = NULL;
	char		 err[512];
	size_t		 i;
	int		 rc;

	memset(&ev, 0, sizeof(ev));
	memset(&cli, 0, sizeof(cli));
	cli.prog = "headcount-events";
	cli.flags = HC_CLI_SERVER | HC_CLI_USER | HC_CLI_PRINT;
	cli.usage = ev_usage;
	cli.opts = ev_opts;
	cli.fn = ev_opt;
	cli.ud = &also;
	if ((rc = hc_cli_parse(&cli, argc, argv)) != HC_CLI_GO ||
	    (rc = hc_cli_settings(&cli, &ev.s)) != HC_CLI_GO)
		return rc;
	rc = 1;
	if (hc_priv_resolve(&priv, cli.user, err, sizeof(err)) == -1) {
		fprintf(stderr, "headcount-events: %s\n", err);
		hc_settings_free(&ev.s);
		return 1;
	}
	if (hc_log_init("events", ev.s.log_file, ev.s.log_level) == -1)
		fprintf(stderr, "headcount-events: HEADCOUNT_LOG_FILE %s: %s; logging to stderr\n",
		    ev.s.log_file, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if (hc_metrics_open(ev.s.metrics_shm, "events", err, sizeof(err)) == -1)
		hc_log(HC_LOG_ERROR, "HEADCOUNT_METRICS_SHM: %s; running without metrics", err);
	hc_metrics_config(ev.s.metrics_enabled, ev.s.slow_ms);
	if (ev_listen(&cli, &priv, also) == -1)
		goto out;
	ev.fd_limit = ev_fd_limit();
	if (hc_priv_drop(&priv, err, sizeof(err)) == -1) {
		hc_log(HC_LOG_ERROR, "%s", err);
		goto out;
	}
	if (priv.drop)
		hc_log(HC_LOG_INFO, "running as %s", priv.user);
	if (ev_setup() == -1)
		goto out;
	/* after lws has loaded its event-library plugin */
	if (hc_priv_seccomp(err, sizeof(err)) == -1) {
		hc_log(HC_LOG_ERROR, "%s", err);
		goto out;
	}
	hc_log(HC_LOG_INFO, "events %s: %zu listener(s), channels %s, at most %ld "
	    "streams (%ld per subject), replay %ld, keep-alive %ld s", PACKAGE_VERSION,
	    ev.nl, ev.s.event_channels, ev.s.events_max_clients,
	    ev.s.events_max_per_subject, ev.s.events_replay, ev.s.events_keepalive);
	uv_run(&ev.loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	if (ev.handles) {
		ev_stop();
		uv_run(&ev.loop, UV_RUN_DEFAULT);
		if (ev.ctx != NULL)
			lws_context_destroy(ev.ctx);
		uv_run(&ev.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&ev.loop) != 0)
			hc_log(HC_LOG_WARN, "the event loop still had open handles at exit");
	}
	for (i = 0; i < ev.nl; i++) {
		close(ev.l[i].fd);
		if (ev.l[i].unix_path != NULL) {
			unlink(ev.l[i].unix_path);
			free(ev.l[i].unix_path);
		}
	}
	ev_hub_free(ev.hub);
	free(ev.patstore);
	hc_metrics_close();
	hc_settings_free(&ev.s);
	return rc;
}

/* events-load: N SSE and WebSocket subscribers and a steady publisher on one libwebsockets client loop (bench-events.sh). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <json-c/json.h>
#include <libwebsockets.h>

/*
 * One process, one libev loop: lws opens the streams (WebSocket framing,
 * HTTP and chunked decoding are lws's), this file splits SSE lines, parses
 * each message with json-c and times it.  A message is the relay's
 * {"channel":C,"data":{"seq":I,"t":MS}} with t the wall-clock time in ms
 * taken just before the PUBLISH, so every delivery at every stream gives
 * one PUBLISH-to-receipt delay; seq tells which a stream missed.
 */

#define EL_BUCKET_MS	0.1		/* delay histogram: 0.1 ms steps */
#define EL_NBUCKETS	300000		/* up to 30 s; later ones in the last */
#define EL_LINE_MAX	2048		/* an SSE line; a longer one is an error */
#define EL_WSMSG_MAX	65536		/* a WebSocket message */

enum el_kind { EL_SSE, EL_WS };
enum el_state { EL_IDLE, EL_CONNECTING, EL_OPEN, EL_FAILED, EL_CLOSED };
enum el_phase { EL_QUIET, EL_LOADED };	/* outside / inside a SIGUSR2 window */

struct el_stream {
	struct lws	*wsi;
	enum el_kind	 kind;
	enum el_state	 state;
	uint32_t	 got;		/* distinct messages of this run */
	uint8_t		*bits;		/* which seqs arrived */
	char		*line;		/* SSE: the line being read */
	size_t		 linelen;
	char		*data;		/* SSE: the event's data so far / WS: the message */
	size_t		 datalen;
	int		 hasdata;
};

struct el_hist {
	uint32_t	*b;
	uint64_t	 n;
	double		 max;
};

struct el_opts {
	const char	*host, *sse_path, *ws_path, *token, *redis, *channel, *unix_path;
	const char	*ready, *done;
	int		 port, n, wait_go, filter;
	double		 sse_share, rate, seconds, connect_rate, ramp_max, drain_max;
	int		 inflight;
};

static struct {
	struct el_opts	 o;
	struct ev_loop	*loop;
	struct lws_context *ctx;
	lws_retry_bo_t	 retry;
	ev_timer	 t_connect, t_pub, t_drain, t_lag;
	ev_signal	 s_go, s_phase, s_term, s_int;
	struct el_stream *st;
	char		*sse_uri, *ws_uri;
	int		 next, inflight, connected, failed, closed, settled, ready;
	int		 go_asked, publishing, finished, phase;
	long		 total, published, pub_errors;
	long long	 subscribers;	/* PUBLISH's answers summed */
	uint8_t		*phase_of;	/* per seq */
	double		*first, *last;	/* per seq: earliest and latest delay */
	double		 t_start, t_ready, t_go, t_pubend, t_end, connect_credit;
	uint64_t	 pub_t0;	/* el_mono_ns() of the first PUBLISH */
	redisAsyncContext *redis;	/* on the same loop: a slow answer never stalls the reading */
	double		*pub_sent;	/* per seq: when the PUBLISH went out (monotonic ms) */
	struct el_hist	 pub_rtt;	/* PUBLISH to Redis's answer */
	json_tokener	*tok;
	struct el_hist	 h[2][2];	/* [kind][phase] */
	struct el_hist	 lag;		/* this loop's own lateness */
	uint64_t	 lag_due;
	uint64_t	 received, duplicates, foreign, bad, resets;
	uint64_t	 last_received;
	uint64_t	 first_window;	/* received from the go to the first SIGUSR2 */
	int		 usr2_seen;
	double		 quiet_since;
	int		 open_at_go;
	struct rusage	 ru_ready, ru_go, ru_pubend;
	char		 firsterr[256];
	int		 nerr_logged;
} g;

/* ------------------------------------------------------------------ time, histograms */

static double
el_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t
el_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
el_mono_ms(void)
{
	return (double)el_mono_ns() / 1e6;
}

static int
el_hist_init(struct el_hist *h)
{
	h->b = calloc(EL_NBUCKETS + 1, sizeof(*h->b));
	return h->b == NULL ? -1 : 0;
}

static void
el_hist_add(struct el_hist *h, double ms)
{
	double	 b = ms < 0 ? 0 : ms / EL_BUCKET_MS;

	h->b[b >= EL_NBUCKETS ? EL_NBUCKETS : (size_t)(b + 0.5)]++;
	h->n++;
	if (ms > h->max)
		h->max = ms;
}

/* The q-quantile of the sum of hs[0..n), in ms; -1 when empty. */
static double
el_hist_q(struct el_hist *const *hs, size_t n, double q)
{
	uint64_t total = 0, want, seen = 0;
	size_t	 i, b;

	for (i = 0; i < n; i++)
		total += hs[i]->n;
	if (total == 0)
		return -1;
	want = (uint64_t)ceil((double)total * q);
	if (want == 0)
		want = 1;
	for (b = 0; b <= EL_NBUCKETS; b++) {
		for (i = 0; i < n; i++)
			seen += hs[i]->b[b];
		if (seen >= want)
			return (double)b * EL_BUCKET_MS;
	}
	return (double)EL_NBUCKETS * EL_BUCKET_MS;
}

static int
el_cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ messages */

static double
el_round(double v, double step)
{
	return round(v / step) * step;
}

/* One message (a WebSocket text frame or an SSE event's data). */
static void
el_message(struct el_stream *s, const char *text, size_t len)
{
	json_object	*o, *data, *ch, *seqo, *to;
	double		 now = el_now_ms(), d;
	int64_t		 seq;
	const char	*chs;

	json_tokener_reset(g.tok);
	if ((o = json_tokener_parse_ex(g.tok, text, (int)len)) == NULL) {
		g.bad++;
		return;
	}
	if (!json_object_object_get_ex(o, "data", &data) ||
	    !json_object_is_type(data, json_type_object) ||
	    !json_object_object_get_ex(o, "channel", &ch) ||
	    (chs = json_object_get_string(ch)) == NULL ||
	    strcmp(chs, g.o.channel) != 0 ||
	    !json_object_object_get_ex(data, "seq", &seqo) ||
	    !json_object_object_get_ex(data, "t", &to) ||
	    !json_object_is_type(seqo, json_type_int)) {
		g.foreign++;	/* another channel's, or not the bench's shape */
		json_object_put(o);
		return;
	}
	seq = json_object_get_int64(seqo);
	d = now - json_object_get_double(to);
	json_object_put(o);
	if (seq < 0 || seq >= g.published) {
		g.foreign++;
		return;
	}
	if (s->bits[seq / 8] & (1u << (seq % 8))) {
		g.duplicates++;
		return;
	}
	s->bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
	s->got++;
	g.received++;
	if (g.publishing && !g.usr2_seen)
		g.first_window++;
	el_hist_add(&g.h[s->kind][g.phase_of[seq]], d);
	if (isnan(g.first[seq]) || d < g.first[seq])
		g.first[seq] = d;
	if (isnan(g.last[seq]) || d > g.last[seq])
		g.last[seq] = d;
}

/* An SSE line without its end: fields id, event, data; a blank line ends an event. */
static void
el_sse_line(struct el_stream *s, const char *l, size_t n)
{
	const char *v;
	size_t	 vn;

	if (n > 0 && l[n - 1] == '\r')
		n--;
	if (n == 0) {
		if (s->hasdata)
			el_message(s, s->data, s->datalen);
		s->datalen = 0;
		s->hasdata = 0;
		return;
	}
	if (l[0] == ':')
		return;		/* a keep-alive comment */
	if ((v = memchr(l, ':', n)) == NULL) {
		v = l + n;
		vn = 0;
	} else {
		vn = n - (size_t)(v - l) - 1;
		v++;
		if (vn > 0 && *v == ' ') {
			v++;
			vn--;
		}
	}
	if ((size_t)(v - l) >= 5 && strncmp(l, "data:", 5) == 0) {
		if (s->datalen + vn + 2 > EL_LINE_MAX) {
			g.bad++;
			return;
		}
		if (s->hasdata)
			s->data[s->datalen++] = '\n';
		memcpy(s->data + s->datalen, v, vn);
		s->datalen += vn;
		s->data[s->datalen] = '\0';
		s->hasdata = 1;
	} else if (strncmp(l, "event:", 6) == 0 && vn == 5 && memcmp(v, "reset", 5) == 0)
		g.resets++;
	/* id: and retry: need nothing here */
}

static void
el_sse_bytes(struct el_stream *s, const char *p, size_t n)
{
	const char *nl;
	size_t	 k;

	while (n > 0) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			if (s->linelen + n > EL_LINE_MAX) {
				g.bad++;
				s->linelen = 0;
				return;
			}
			memcpy(s->line + s->linelen, p, n);
			s->linelen += n;
			return;
		}
		k = (size_t)(nl - p);
		if (s->linelen == 0)
			el_sse_line(s, p, k);
		else if (s->linelen + k <= EL_LINE_MAX) {
			memcpy(s->line + s->linelen, p, k);
			el_sse_line(s, s->line, s->linelen + k);
			s->linelen = 0;
		} else {
			g.bad++;
			s->linelen = 0;
		}
		p += k + 1;
		n -= k + 1;
	}
}

/* ------------------------------------------------------------------ streams */

static void el_settle(struct el_stream *s, enum el_state to, const char *why);

static void
el_logerr(const struct el_stream *s, const char *why)
{
	if (g.firsterr[0] == '\0')
		snprintf(g.firsterr, sizeof(g.firsterr), "%s: %s",
		    s->kind == EL_WS ? "ws" : "sse", why ? why : "?");
	if (g.nerr_logged++ < 5)
		fprintf(stderr, "events-load: stream %ld (%s): %s\n", (long)(s - g.st),
		    s->kind == EL_WS ? "ws" : "sse", why ? why : "?");
}

static int
el_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct el_stream *s = lws_get_opaque_user_data(wsi);
	char	 buf[LWS_PRE + 4096], *p;
	int	 n, status;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (s != NULL) {
			el_settle(s, EL_FAILED, in != NULL ? (const char *)in : "connection error");
			s->wsi = NULL;
			lws_set_opaque_user_data(wsi, NULL);
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		if (s == NULL || s->kind != EL_SSE)
			return 0;	/* a WebSocket's 101 comes the same way */
		status = (int)lws_http_client_http_response(wsi);
		if (status != 200) {
			snprintf(buf, sizeof(buf), "HTTP %d", status);
			el_settle(s, EL_FAILED, buf);
			return -1;
		}
		el_settle(s, EL_OPEN, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (s != NULL)
			el_settle(s, EL_OPEN, NULL);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		p = buf + LWS_PRE;
		n = (int)sizeof(buf) - LWS_PRE;
		if (lws_http_client_read(wsi, &p, &n) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (s != NULL && s->state == EL_OPEN)
			el_sse_bytes(s, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (s == NULL)
			return 0;
		if (lws_is_first_fragment(wsi))
			s->datalen = 0;
		if (s->datalen + len > EL_WSMSG_MAX) {
			g.bad++;
			s->datalen = EL_WSMSG_MAX + 1;	/* skipped up to its end */
		} else if (s->datalen <= EL_WSMSG_MAX) {
			memcpy(s->data + s->datalen, in, len);
			s->datalen += len;
		}
		if (lws_is_final_fragment(wsi) && s->datalen <= EL_WSMSG_MAX)
			el_message(s, s->data, s->datalen);
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (s != NULL) {
			if (s->state == EL_CONNECTING)
				el_settle(s, EL_FAILED, "closed before it was open");
			else if (s->state == EL_OPEN) {
				s->state = EL_CLOSED;
				if (!g.finished) {
					g.closed++;
					el_logerr(s, "closed by the server");
				}
			}
			s->wsi = NULL;
			lws_set_opaque_user_data(wsi, NULL);
		}
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (s != NULL) {
			if (s->state == EL_CONNECTING)
				el_settle(s, EL_FAILED, "gone before it was open");
			s->wsi = NULL;
			lws_set_opaque_user_data(wsi, NULL);
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols el_protocols[] = {
	{ "events-load", el_callback, 0, 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void el_start_ready(void);

/* A connecting stream is open or has failed: counts it, and maybe the ramp is over. */
static void
el_settle(struct el_stream *s, enum el_state to, const char *why)
{
	if (s->state != EL_CONNECTING)
		return;
	s->state = to;
	g.inflight--;
	g.settled++;
	if (to == EL_OPEN)
		g.connected++;
	else {
		g.failed++;
		el_logerr(s, why);
	}
	if (g.settled == g.o.n)
		el_start_ready();
}

static int
el_connect_one(struct el_stream *s)
{
	struct lws_client_connect_info ci;
	char	 host[300], addr[300];

	memset(&ci, 0, sizeof(ci));
	snprintf(host, sizeof(host), "%s:%d", g.o.host, g.o.port);
	ci.context = g.ctx;
	ci.address = g.o.host;
	ci.port = g.o.port;
	if (g.o.unix_path != NULL) {	/* lws: "+PATH" is a unix socket */
		snprintf(addr, sizeof(addr), "+%s", g.o.unix_path);
		ci.address = addr;
	}
	ci.host = host;
	ci.origin = host;
	ci.local_protocol_name = "events-load";
	ci.opaque_user_data = s;
	ci.retry_and_idle_policy = &g.retry;
	ci.pwsi = &s->wsi;
	if (s->kind == EL_SSE) {
		ci.path = g.sse_uri;
		ci.method = "GET";
	} else {
		ci.path = g.ws_uri;
		ci.ietf_version_or_minus_one = -1;
	}
	s->state = EL_CONNECTING;
	g.inflight++;
	if (lws_client_connect_via_info(&ci) == NULL) {
		/* lws may have reported CONNECTION_ERROR already */
		if (s->state == EL_CONNECTING)
			el_settle(s, EL_FAILED, "lws_client_connect_via_info failed");
		return -1;
	}
	return 0;
}

/* Every 10 ms: up to connect_rate/100 more handshakes, at most `inflight` at once. */
static void
el_connect_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	if (el_mono_ms() - g.t_start > g.o.ramp_max * 1000 && !g.ready) {
		fprintf(stderr, "events-load: %d of %d streams settled after %.0f s; going on\n",
		    g.settled, g.o.n, g.o.ramp_max);
		ev_timer_stop(g.loop, &g.t_connect);
		el_start_ready();
		return;
	}
	g.connect_credit += g.o.connect_rate / 100;
	if (g.connect_credit > g.o.connect_rate)
		g.connect_credit = g.o.connect_rate;
	while (g.next < g.o.n && g.connect_credit >= 1 && g.inflight < g.o.inflight) {
		g.connect_credit -= 1;
		el_connect_one(&g.st[g.next++]);
	}
	if (g.next == g.o.n)
		ev_timer_stop(g.loop, &g.t_connect);
}

/* ------------------------------------------------------------------ publishing */

static void el_finish(void);
static void el_pub_tick(struct ev_loop *loop, ev_timer *t, int revents);
static json_object *el_fixed(double v, int decimals);

static int
el_write_file(const char *path)
{
	FILE	*fp;
	char	 tmp[4096];

	if (path == NULL)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%d\n", g.connected) < 0 ||
	    fclose(fp) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "events-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
el_publish_start(void)
{
	long	 i;

	if (g.publishing || g.finished)
		return;
	g.publishing = 1;
	g.t_go = el_mono_ms();
	getrusage(RUSAGE_SELF, &g.ru_go);
	g.open_at_go = 0;
	for (i = 0; i < g.o.n; i++)
		if (g.st[i].state == EL_OPEN)
			g.open_at_go++;
	g.pub_t0 = el_mono_ns();
	ev_timer_set(&g.t_pub, 0, 0);
	ev_timer_start(g.loop, &g.t_pub);
}

/* All streams are open or failed (or the ramp ran out of time). */
static void
el_start_ready(void)
{
	if (g.ready)
		return;
	g.ready = 1;
	g.t_ready = el_mono_ms();
	getrusage(RUSAGE_SELF, &g.ru_ready);
	ev_timer_stop(g.loop, &g.t_connect);
	fprintf(stderr, "events-load: %d of %d streams open (%d failed) in %.1f s\n",
	    g.connected, g.o.n, g.failed, (g.t_ready - g.t_start) / 1000);
	el_write_file(g.o.ready);
	if (!g.o.wait_go || g.go_asked)
		el_publish_start();
}

static void el_drain_tick(struct ev_loop *loop, ev_timer *t, int revents);

static void
el_pub_reply(redisAsyncContext *ac, void *reply, void *ud)
{
	redisReply *r = reply;
	long	 seq = (long)(intptr_t)ud;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		if (!g.finished)
			g.pub_errors++;
		return;
	}
	g.subscribers += r->integer;
	if (seq >= 0 && seq < g.total)
		el_hist_add(&g.pub_rtt, el_mono_ms() - g.pub_sent[seq]);
}

static void
el_publish_one(void)
{
	json_object	*o = json_object_new_object(), *v;
	const char	*text;
	double		 t;
	size_t		 len;

	if (o == NULL || (v = json_object_new_int64(g.published)) == NULL ||
	    json_object_object_add(o, "seq", v) != 0) {
		json_object_put(o);
		g.pub_errors++;
		return;
	}
	/* the publish time in ms, to the µs */
	t = el_now_ms();
	if ((v = el_fixed(t, 3)) == NULL || json_object_object_add(o, "t", v) != 0) {
		json_object_put(o);
		g.pub_errors++;
		return;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	/* seq is counted before the answer: a delivery may be read before it */
	g.phase_of[g.published] = (uint8_t)g.phase;
	g.pub_sent[g.published] = el_mono_ms();
	if (redisAsyncCommand(g.redis, el_pub_reply, (void *)(intptr_t)g.published,
	    "PUBLISH %s %b", g.o.channel, text, len) != REDIS_OK) {
		fprintf(stderr, "events-load: PUBLISH: %s\n", g.redis->errstr);
		g.pub_errors++;
	}
	g.published++;
	json_object_put(o);
}

static void
el_pub_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	uint64_t now, due;

	(void)t;
	(void)revents;
	now = el_mono_ns();
	while (g.published < g.total) {
		due = g.pub_t0 + (uint64_t)((double)g.published * 1e9 / g.o.rate);
		if (due > now) {
			ev_timer_set(&g.t_pub, (double)(due - now) / 1e9, 0);
			ev_timer_start(loop, &g.t_pub);
			return;
		}
		el_publish_one();
		now = el_mono_ns();
	}
	g.t_pubend = el_mono_ms();
	getrusage(RUSAGE_SELF, &g.ru_pubend);
	el_write_file(g.o.done);
	g.quiet_since = g.t_pubend;
	g.last_received = g.received;
	ev_timer_set(&g.t_drain, 0.1, 0.1);
	ev_timer_start(loop, &g.t_drain);
}

/* After the last PUBLISH: until every open stream has everything, or deliveries stop. */
static void
el_drain_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	uint64_t want = 0;
	long	 i;
	double	 now = el_mono_ms();

	(void)loop;
	(void)t;
	(void)revents;
	for (i = 0; i < g.o.n; i++)
		if (g.st[i].state == EL_OPEN)
			want += (uint64_t)g.published;
	if (g.received != g.last_received) {
		g.last_received = g.received;
		g.quiet_since = now;
	}
	if (g.received >= want || now - g.quiet_since > 2000 ||
	    now - g.t_pubend > g.o.drain_max * 1000)
		el_finish();
}

/* ------------------------------------------------------------------ the report */

static double
el_cpu_ms(const struct rusage *a, const struct rusage *b)
{
	return (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec) * 1e3 +
	    (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec) / 1e3 +
	    (double)(b->ru_stime.tv_sec - a->ru_stime.tv_sec) * 1e3 +
	    (double)(b->ru_stime.tv_usec - a->ru_stime.tv_usec) / 1e3;
}

static void
el_add(json_object *o, const char *k, json_object *v)
{
	if (v != NULL && json_object_object_add(o, k, v) != 0)
		json_object_put(v);
}

/* v >= 0 as a JSON number with `decimals` digits after the point (NULL for v < 0). */
static json_object *
el_fixed(double v, int decimals)
{
	char	 buf[64];

	if (v < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static json_object *
el_num(double v, double step)
{
	return el_fixed(el_round(v, step), step >= 1 ? 0 : step >= 0.1 ? 1 : 3);
}

/* {"n","p50_ms","p99_ms","max_ms"} of the sum of hs[0..n). */
static json_object *
el_delays(struct el_hist *const *hs, size_t n)
{
	json_object *o = json_object_new_object();
	uint64_t total = 0;
	double	 max = 0;
	size_t	 i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		total += hs[i]->n;
		if (hs[i]->max > max)
			max = hs[i]->max;
	}
	el_add(o, "n", json_object_new_int64((int64_t)total));
	if (total > 0) {
		el_add(o, "p50_ms", el_num(el_hist_q(hs, n, 0.5), 0.1));
		el_add(o, "p99_ms", el_num(el_hist_q(hs, n, 0.99), 0.1));
		el_add(o, "max_ms", el_num(max, 0.1));
	}
	return o;
}

/* Over the messages: the median and max of the first and of the last stream's delay. */
static json_object *
el_spread(void)
{
	json_object *o = json_object_new_object();
	double	*a;
	long	 i, n = 0;
	int	 k;

	if (o == NULL || g.published == 0 || (a = malloc((size_t)g.published * sizeof(*a))) == NULL)
		return o;
	for (k = 0; k < 2; k++) {
		const double *src = k == 0 ? g.first : g.last;

		for (i = 0, n = 0; i < g.published; i++)
			if (!isnan(src[i]))
				a[n++] = src[i];
		if (n == 0)
			continue;
		qsort(a, (size_t)n, sizeof(*a), el_cmp_double);
		el_add(o, k == 0 ? "first_p50_ms" : "last_p50_ms", el_num(a[(n - 1) / 2], 0.1));
		el_add(o, k == 0 ? "first_max_ms" : "last_max_ms", el_num(a[n - 1], 0.1));
	}
	free(a);
	return o;
}

static void
el_report(void)
{
	json_object	*o = json_object_new_object();
	struct el_hist	*all[4] = { &g.h[0][0], &g.h[0][1], &g.h[1][0], &g.h[1][1] };
	struct el_hist	*quiet[2] = { &g.h[0][0], &g.h[1][0] };
	struct el_hist	*loaded[2] = { &g.h[0][1], &g.h[1][1] };
	struct el_hist	*sse[2] = { &g.h[0][0], &g.h[0][1] };
	struct el_hist	*ws[2] = { &g.h[1][0], &g.h[1][1] };
	struct el_hist	*lag[1] = { &g.lag };
	struct el_hist	*rtt[1] = { &g.pub_rtt };
	struct rusage	 now;
	uint64_t	 lost = 0;
	long		 i, lossy = 0, open_end = 0;
	double		 pubms;

	if (o == NULL)
		return;
	getrusage(RUSAGE_SELF, &now);
	for (i = 0; i < g.o.n; i++) {
		struct el_stream *s = &g.st[i];

		if (s->state == EL_OPEN)
			open_end++;
		if (s->state == EL_OPEN || s->state == EL_CLOSED) {
			lost += (uint64_t)(g.published - s->got);
			if (s->got < g.published)
				lossy++;
		}
	}
	el_add(o, "count", json_object_new_int(g.o.n));
	el_add(o, "connected", json_object_new_int(g.connected));
	el_add(o, "errors", json_object_new_int(g.failed));
	el_add(o, "closed", json_object_new_int(g.closed));
	el_add(o, "open_at_end", json_object_new_int64(open_end));
	el_add(o, "published", json_object_new_int64(g.published));
	el_add(o, "publish_errors", json_object_new_int64(g.pub_errors));
	el_add(o, "expected", json_object_new_int64((int64_t)g.published * g.connected));
	el_add(o, "received", json_object_new_int64((int64_t)g.received));
	el_add(o, "received_before_usr2", json_object_new_int64((int64_t)g.first_window));
	el_add(o, "lost", json_object_new_int64((int64_t)lost));
	el_add(o, "streams_missing_some", json_object_new_int64(lossy));
	el_add(o, "duplicates", json_object_new_int64((int64_t)g.duplicates));
	el_add(o, "foreign", json_object_new_int64((int64_t)g.foreign));
	el_add(o, "bad", json_object_new_int64((int64_t)g.bad));
	el_add(o, "resets", json_object_new_int64((int64_t)g.resets));
	el_add(o, "p50_ms", el_num(el_hist_q(all, 4, 0.5), 0.1));
	el_add(o, "p99_ms", el_num(el_hist_q(all, 4, 0.99), 0.1));
	el_add(o, "max_ms", el_num(fmax(fmax(g.h[0][0].max, g.h[0][1].max),
	    fmax(g.h[1][0].max, g.h[1][1].max)), 0.1));
	el_add(o, "quiet", el_delays(quiet, 2));
	el_add(o, "loaded", el_delays(loaded, 2));
	el_add(o, "sse", el_delays(sse, 2));
	el_add(o, "ws", el_delays(ws, 2));
	el_add(o, "per_message", el_spread());
	el_add(o, "loop_lag", el_delays(lag, 1));
	el_add(o, "publish_rtt", el_delays(rtt, 1));
	el_add(o, "ramp_ms", el_num((g.ready ? g.t_ready : g.t_end) - g.t_start, 1));
	if (g.publishing && g.t_pubend > 0) {
		pubms = g.t_pubend - g.t_go;
		el_add(o, "publish_ms", el_num(pubms, 1));
		el_add(o, "drain_ms", el_num(g.t_end - g.t_pubend, 1));
		el_add(o, "cpu_publishing_pct", el_num(pubms > 0 ?
		    100 * el_cpu_ms(&g.ru_go, &g.ru_pubend) / pubms : 0, 0.1));
	}
	if (g.ready && g.publishing && g.t_go > g.t_ready + 500)
		el_add(o, "cpu_idle_pct", el_num(100 * el_cpu_ms(&g.ru_ready, &g.ru_go) /
		    (g.t_go - g.t_ready), 0.1));
	el_add(o, "rss_max_kb", json_object_new_int64(now.ru_maxrss));
	if (g.firsterr[0] != '\0')
		el_add(o, "first_error", json_object_new_string(g.firsterr));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static void
el_finish(void)
{
	if (g.finished)
		return;
	g.finished = 1;
	g.t_end = el_mono_ms();
	el_report();
	ev_timer_stop(g.loop, &g.t_connect);
	ev_timer_stop(g.loop, &g.t_pub);
	ev_timer_stop(g.loop, &g.t_drain);
	ev_timer_stop(g.loop, &g.t_lag);
	ev_signal_stop(g.loop, &g.s_go);
	ev_signal_stop(g.loop, &g.s_phase);
	ev_signal_stop(g.loop, &g.s_term);
	ev_signal_stop(g.loop, &g.s_int);
	redisAsyncDisconnect(g.redis);
	/* the streams close with the context; then the loop has nothing left */
	lws_context_destroy(g.ctx);
	g.ctx = NULL;
	ev_break(g.loop, EVBREAK_ALL);
}

/* ------------------------------------------------------------------ signals, lag */

static void
el_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGUSR1:	/* go: publish (once the streams are open) */
		g.go_asked = 1;
		if (g.ready)
			el_publish_start();
		break;
	case SIGUSR2:	/* a measurement beside us starts or ends */
		g.phase = g.phase == EL_QUIET ? EL_LOADED : EL_QUIET;
		g.usr2_seen = 1;
		break;
	default:	/* SIGTERM, SIGINT: report what there is */
		fprintf(stderr, "events-load: signal %d: reporting now\n", w->signum);
		el_finish();
		break;
	}
}

/* Every 10 ms: how late this loop runs the timer (the client's own share of a delay). */
static void
el_lag_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	uint64_t now = el_mono_ns();

	(void)loop;
	(void)t;
	(void)revents;
	if (g.lag_due != 0 && g.publishing && !g.finished)
		el_hist_add(&g.lag, now > g.lag_due ? (double)(now - g.lag_due) / 1e6 : 0);
	g.lag_due = now + 10000000u;
}

/* ------------------------------------------------------------------ set-up */

/* PATH?access_token=T[&channels=C], the query's values percent-encoded. */
static char *
el_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *parts[2] = { g.o.token, g.o.filter ? g.o.channel : NULL };
	const char *names[2] = { "access_token=", "channels=" };
	size_t	 cap = strlen(path) + 64 + 3 * (strlen(g.o.token) + strlen(g.o.channel));
	char	*u = malloc(cap), *p;
	const unsigned char *v;
	int	 i;

	if (u == NULL)
		return NULL;
	p = u + snprintf(u, cap, "%s", path);
	for (i = 0; i < 2; i++) {
		if (parts[i] == NULL)
			continue;
		p += snprintf(p, cap - (size_t)(p - u), "%c%s", i == 0 ? '?' : '&', names[i]);
		for (v = (const unsigned char *)parts[i]; *v != '\0'; v++)
			if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
			    (*v >= '0' && *v <= '9') || strchr("-._~", *v) != NULL)
				*p++ = (char)*v;
			else {
				*p++ = '%';
				*p++ = hex[*v >> 4];
				*p++ = hex[*v & 15];
			}
		*p = '\0';
	}
	return u;
}

/*
 * Sets the soft descriptor limit to want (or the hard limit, if lower) and
 * returns it.  lws sizes its tables from the limit; a smaller
 * fd_limit_per_thread than the limit would make it find each ready socket's
 * connection by a linear search of the table (lws 4.1: wsi_from_fd), so
 * the two are made the same.
 */
static unsigned
el_fd_limit(rlim_t want)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fprintf(stderr, "events-load: setrlimit(RLIMIT_NOFILE, %llu): %s\n",
			    (unsigned long long)want, strerror(errno));
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			want = rl.rlim_cur;
	}
	if (want < (rlim_t)g.o.n + 16)
		fprintf(stderr, "events-load: ulimit -n allows %llu descriptors: fewer than "
		    "%d streams fit\n", (unsigned long long)want, g.o.n);
	return want > 0x7fffffff ? 0x7fffffff : (unsigned)want;
}

static void
el_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: events-load --port PORT --n N --token JWT --redis UNIX_SOCKET\n"
	    "       [--host 127.0.0.1] [--unix PATH] [--sse-share 0.5] [--sse-path /api/v1/realtime/events]\n"
	    "       [--ws-path /api/v1/realtime/ws] [--channel events:bench] [--no-filter]\n"
	    "       [--rate 10] [--seconds 20] [--connect-rate 400] [--inflight 64]\n"
	    "       [--ramp-max 300] [--drain-max 30] [--ready FILE] [--done FILE] [--wait-go]\n"
	    "Opens N streams (a share SSE, the rest WebSocket) at a bounded rate on one\n"
	    "libwebsockets client loop (to HOST:PORT, or the web server's unix socket PATH\n"
	    "with Host: HOST:PORT), writes FILE (--ready) once every stream is open or\n"
	    "failed, then (at once, or on SIGUSR1 with --wait-go) PUBLISHes RATE messages/s\n"
	    "{\"seq\":I,\"t\":MS} for SECONDS, writes --done FILE, waits for the stragglers and\n"
	    "prints one JSON line: streams connected/failed/closed, messages received and\n"
	    "lost (by seq, per stream), PUBLISH-to-receipt delay p50/p99/max over every\n"
	    "delivery (also split: sse/ws, quiet/loaded), its own CPU and loop lag.\n"
	    "SIGUSR2 toggles 'loaded' (a measurement running beside it; received_before_usr2\n"
	    "counts the deliveries from the go to the first one); SIGTERM reports now.\n");
}

static int
el_num_opt(const char *name, const char *arg, double lo, double hi, double *out)
{
	char	*end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(*out >= lo && *out <= hi)) {
		fprintf(stderr, "events-load: --%s %s: a number from %g to %g\n", name, arg, lo, hi);
		return -1;
	}
	return 0;
}

static int
el_parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", 1, NULL, 'H' }, { "port", 1, NULL, 'p' }, { "n", 1, NULL, 'n' },
		{ "unix", 1, NULL, 'u' },
		{ "token", 1, NULL, 'T' }, { "redis", 1, NULL, 'r' },
		{ "sse-share", 1, NULL, 's' }, { "sse-path", 1, NULL, 'S' },
		{ "ws-path", 1, NULL, 'W' }, { "channel", 1, NULL, 'c' },
		{ "no-filter", 0, NULL, 'F' }, { "rate", 1, NULL, 'R' },
		{ "seconds", 1, NULL, 'd' }, { "connect-rate", 1, NULL, 'C' },
		{ "inflight", 1, NULL, 'i' }, { "ramp-max", 1, NULL, 'm' },
		{ "drain-max", 1, NULL, 'D' }, { "ready", 1, NULL, 'y' },
		{ "done", 1, NULL, 'e' }, { "wait-go", 0, NULL, 'g' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	double	 v;
	int	 c;

	g.o.host = "127.0.0.1";
	g.o.sse_path = "/api/v1/realtime/events";
	g.o.ws_path = "/api/v1/realtime/ws";
	g.o.channel = "events:bench";
	g.o.filter = 1;
	g.o.sse_share = 0.5;
	g.o.rate = 10;
	g.o.seconds = 20;
	g.o.connect_rate = 400;
	g.o.inflight = 64;
	g.o.ramp_max = 300;
	g.o.drain_max = 30;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'H': g.o.host = optarg; break;
		case 'u': g.o.unix_path = optarg; break;
		case 'T': g.o.token = optarg; break;
		case 'r': g.o.redis = optarg; break;
		case 'S': g.o.sse_path = optarg; break;
		case 'W': g.o.ws_path = optarg; break;
		case 'c': g.o.channel = optarg; break;
		case 'F': g.o.filter = 0; break;
		case 'y': g.o.ready = optarg; break;
		case 'e': g.o.done = optarg; break;
		case 'g': g.o.wait_go = 1; break;
		case 'p':
			if (el_num_opt("port", optarg, 1, 65535, &v) == -1)
				return -1;
			g.o.port = (int)v;
			break;
		case 'n':
			if (el_num_opt("n", optarg, 1, 1000000, &v) == -1)
				return -1;
			g.o.n = (int)v;
			break;
		case 'i':
			if (el_num_opt("inflight", optarg, 1, 100000, &v) == -1)
				return -1;
			g.o.inflight = (int)v;
			break;
		case 's': if (el_num_opt("sse-share", optarg, 0, 1, &g.o.sse_share)) return -1; break;
		case 'R': if (el_num_opt("rate", optarg, 0.01, 100000, &g.o.rate)) return -1; break;
		case 'd': if (el_num_opt("seconds", optarg, 0.01, 86400, &g.o.seconds)) return -1; break;
		case 'C': if (el_num_opt("connect-rate", optarg, 1, 1e6, &g.o.connect_rate)) return -1; break;
		case 'm': if (el_num_opt("ramp-max", optarg, 1, 86400, &g.o.ramp_max)) return -1; break;
		case 'D': if (el_num_opt("drain-max", optarg, 0, 86400, &g.o.drain_max)) return -1; break;
		case 'h':
			el_usage(stdout);
			exit(0);
		default:
			el_usage(stderr);
			return -1;
		}
	}
	if (optind != argc || g.o.port == 0 || g.o.n == 0 || g.o.token == NULL ||
	    g.o.redis == NULL) {
		el_usage(stderr);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	void	*loops[1];
	long	 i, nsse;
	size_t	 nbits;
	int	 k, ph;

	if (el_parse(argc, argv) == -1)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	g.total = lround(g.o.rate * g.o.seconds);
	if (g.total < 1)
		g.total = 1;
	nbits = ((size_t)g.total + 7) / 8;
	if ((g.st = calloc((size_t)g.o.n, sizeof(*g.st))) == NULL ||
	    (g.phase_of = calloc((size_t)g.total, 1)) == NULL ||
	    (g.first = malloc((size_t)g.total * sizeof(double))) == NULL ||
	    (g.last = malloc((size_t)g.total * sizeof(double))) == NULL ||
	    (g.pub_sent = calloc((size_t)g.total, sizeof(double))) == NULL ||
	    el_hist_init(&g.pub_rtt) == -1 ||
	    (g.tok = json_tokener_new()) == NULL ||
	    (g.sse_uri = el_uri(g.o.sse_path)) == NULL ||
	    (g.ws_uri = el_uri(g.o.ws_path)) == NULL ||
	    el_hist_init(&g.lag) == -1) {
		fprintf(stderr, "events-load: out of memory\n");
		return 1;
	}
	for (k = 0; k < 2; k++)
		for (ph = 0; ph < 2; ph++)
			if (el_hist_init(&g.h[k][ph]) == -1) {
				fprintf(stderr, "events-load: out of memory\n");
				return 1;
			}
	for (i = 0; i < g.total; i++)
		g.first[i] = g.last[i] = NAN;
	/* SSE and WebSocket interleaved, so a partial ramp holds both kinds */
	nsse = 0;
	for (i = 0; i < g.o.n; i++) {
		struct el_stream *s = &g.st[i];

		s->kind = (double)(nsse + 1) <= g.o.sse_share * (double)(i + 1) + 1e-9 ?
		    EL_SSE : EL_WS;
		if (s->kind == EL_SSE)
			nsse++;
		if ((s->bits = calloc(nbits, 1)) == NULL ||
		    (s->data = malloc(s->kind == EL_WS ? EL_WSMSG_MAX + 1 : EL_LINE_MAX + 1)) == NULL ||
		    (s->kind == EL_SSE && (s->line = malloc(EL_LINE_MAX + 1)) == NULL)) {
			fprintf(stderr, "events-load: out of memory\n");
			return 1;
		}
	}
	/* libev, not libuv: lws turns a reading HTTP client's POLLIN off and on
	 * again for every read; libev applies only the net change at the next
	 * poll (none), libuv made that three epoll_ctl calls per SSE message
	 * (strace -c: more calls than the reads themselves) */
	if ((g.loop = ev_default_loop(EVBACKEND_EPOLL)) == NULL) {
		fprintf(stderr, "events-load: ev_default_loop(EVBACKEND_EPOLL) failed\n");
		return 1;
	}
	if ((g.redis = redisAsyncConnectUnix(g.o.redis)) == NULL || g.redis->err ||
	    redisLibevAttach(g.loop, g.redis) != REDIS_OK) {
		fprintf(stderr, "events-load: redis %s: %s\n", g.o.redis,
		    g.redis != NULL ? g.redis->errstr : "out of memory");
		return 1;
	}
	ev_timer_init(&g.t_connect, el_connect_tick, 0, 0.01);
	ev_timer_init(&g.t_pub, el_pub_tick, 0, 0);
	ev_timer_init(&g.t_drain, el_drain_tick, 0.1, 0.1);
	ev_timer_init(&g.t_lag, el_lag_tick, 0.01, 0.01);
	ev_signal_init(&g.s_go, el_signal, SIGUSR1);
	ev_signal_init(&g.s_phase, el_signal, SIGUSR2);
	ev_signal_init(&g.s_term, el_signal, SIGTERM);
	ev_signal_init(&g.s_int, el_signal, SIGINT);
	ev_signal_start(g.loop, &g.s_go);
	ev_signal_start(g.loop, &g.s_phase);
	ev_signal_start(g.loop, &g.s_term);
	ev_signal_start(g.loop, &g.s_int);

	lws_set_log_level(LLL_ERR, NULL);
	/* no pings of our own and no idle hang-up within a run: the servers ping */
	g.retry.secs_since_valid_ping = 3000;
	g.retry.secs_since_valid_hangup = 3600;
	memset(&info, 0, sizeof(info));
	loops[0] = g.loop;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = el_protocols;
	info.fd_limit_per_thread = el_fd_limit((rlim_t)g.o.n + 256);
	info.max_http_header_pool = (unsigned short)(g.o.n + 64 > 65535 ? 65535 : g.o.n + 64);
	info.max_http_header_data = 4096;
	info.timeout_secs = 30;		/* a handshake's deadline */
	info.retry_and_idle_policy = &g.retry;
	if ((g.ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, "events-load: lws_create_context failed\n");
		return 1;
	}
	g.t_start = el_mono_ms();
	ev_timer_start(g.loop, &g.t_connect);
	ev_timer_start(g.loop, &g.t_lag);
	ev_run(g.loop, 0);
	if (!g.finished)	/* the loop ran dry */
		el_finish();
	ev_loop_destroy(g.loop);
	json_tokener_free(g.tok);
	for (i = 0; i < g.o.n; i++) {
		free(g.st[i].bits);
		free(g.st[i].data);
		free(g.st[i].line);
	}
	for (k = 0; k < 2; k++)
		for (ph = 0; ph < 2; ph++)
			free(g.h[k][ph].b);
	free(g.lag.b);
	free(g.pub_rtt.b);
	free(g.pub_sent);
	free(g.st);
	free(g.phase_of);
	free(g.first);
	free(g.last);
	free(g.sse_uri);
	free(g.ws_uri);
	return g.connected > 0 ? 0 : 1;
}

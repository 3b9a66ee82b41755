/* events_hub: every open stream of the node, the replay buffer, the limits and the slow-client rule. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <json-c/json.h>

#include "hc_events.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_time.h"

#define EV_SUBJ_BUCKETS	4096

struct ev_subject {
	struct ev_subject	*next;
	long			 n;
	char			 sub[];
};

struct ev_hub {
	struct ev_client	*head;		/* every live stream */
	long			 nkind[2];
	long			 nclients;
	long			 max_clients, max_per_subject;
	struct ev_subject	*subj[EV_SUBJ_BUCKETS];
	struct ev_msg		**ring;		/* the last `cap` messages, oldest at start */
	size_t			 cap, start, n;
	uint64_t		 seq;		/* of the newest message */
	char			 epoch[24];
};

/* ------------------------------------------------------------------ messages */

static void
ev_msg_unref(struct ev_msg *m)
{
	if (m != NULL && --m->refs == 0)
		free(m);
}

/* One allocation: the struct, then [LWS_PRE][ws text], [LWS_PRE][sse frame], the channel. */
static struct ev_msg *
ev_msg_new(struct ev_hub *h, const char *channel, size_t chlen,
    const char *payload, size_t plen)
{
	struct ev_msg	*m = NULL;
	char		*json = NULL, *evname = NULL, *chan = NULL, id[48];
	size_t		 jl, el, cl, il, sl, size;
	unsigned char	*p;

	if ((json = hc_events_message(channel, chlen, payload, plen, &jl)) == NULL ||
	    (evname = hc_events_clean(channel, chlen, 1, &el)) == NULL ||
	    (chan = hc_events_clean(channel, chlen, 0, &cl)) == NULL)
		goto out;
	il = (size_t)snprintf(id, sizeof(id), "%s%" PRIu64, h->epoch, h->seq + 1);
	sl = 4 + il + 8 + el + 7 + jl + 2;	/* "id: " "\nevent: " "\ndata: " "\n\n" */
	size = sizeof(*m) + LWS_PRE + jl + 1 + LWS_PRE + sl + 1 + cl + 1;
	if ((m = malloc(size)) == NULL)
		goto out;
	m->refs = 1;
	m->seq = ++h->seq;
	p = (unsigned char *)(m + 1);
	m->ws = p + LWS_PRE;
	memcpy(m->ws, json, jl + 1);
	m->ws_len = jl;
	p = m->ws + jl + 1;
	m->sse = p + LWS_PRE;
	m->sse_len = sl;
	snprintf((char *)m->sse, sl + 1, "id: %s\nevent: %s\ndata: %s\n\n", id,
	    evname, json);
	m->channel = (char *)m->sse + sl + 1;
	memcpy(m->channel, chan, cl + 1);
out:
	free(json);
	free(evname);
	free(chan);
	return m;
}

/* ------------------------------------------------------------------ hub */

struct ev_hub *
ev_hub_new(size_t replay, long max_clients, long max_per_subject)
{
	struct ev_hub	*h;
	struct timeval	 tv;
	uint64_t	 t;
	char		 tmp[16];
	size_t		 i = sizeof(tmp);

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if (replay > 0 && (h->ring = calloc(replay, sizeof(*h->ring))) == NULL) {
		free(h);
		return NULL;
	}
	h->cap = replay;
	h->max_clients = max_clients;
	h->max_per_subject = max_per_subject;
	/* The start time in microseconds tells this process's ids from any other's. */
	gettimeofday(&tv, NULL);
	t = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	do {
		tmp[--i] = "0123456789abcdefghijklmnopqrstuvwxyz"[t % 36];
		t /= 36;
	} while (t != 0);
	snprintf(h->epoch, sizeof(h->epoch), "%.*s-", (int)(sizeof(tmp) - i), tmp + i);
	return h;
}

void
ev_hub_free(struct ev_hub *h)
{
	struct ev_subject *s, *next;
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		ev_msg_unref(h->ring[(h->start + i) % h->cap]);
	free(h->ring);
	for (i = 0; i < EV_SUBJ_BUCKETS; i++)
		for (s = h->subj[i]; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
	free(h);
}

const char *
ev_hub_epoch(const struct ev_hub *h)
{
	return h->epoch;
}

long
ev_hub_count(const struct ev_hub *h, enum ev_kind k)
{
	return h->nkind[k];
}

static void
ev_hub_gauges(const struct ev_hub *h)
{
	hc_metrics_gauge(HC_GAUGE_EVENTS_SSE, h->nkind[EV_SSE]);
	hc_metrics_gauge(HC_GAUGE_EVENTS_WS, h->nkind[EV_WS]);
}

static struct ev_subject **
ev_subj_slot(struct ev_hub *h, const char *sub)
{
	struct ev_subject **sp;
	uint32_t hash = 2166136261u;
	const char *p;

	for (p = sub; *p != '\0'; p++) {
		hash ^= (unsigned char)*p;
		hash *= 16777619u;
	}
	for (sp = &h->subj[hash % EV_SUBJ_BUCKETS]; *sp != NULL; sp = &(*sp)->next)
		if (strcmp((*sp)->sub, sub) == 0)
			break;
	return sp;
}

int
ev_hub_admit(struct ev_hub *h, struct ev_client *c, const char *sub)
{
	struct ev_subject **sp, *s;
	size_t	 len;

	if (h->nclients >= h->max_clients)
		return 503;
	sp = ev_subj_slot(h, sub);
	if ((s = *sp) != NULL && s->n >= h->max_per_subject)
		return 429;
	if (s == NULL) {
		len = strlen(sub);
		if ((s = calloc(1, sizeof(*s) + len + 1)) == NULL)
			return 503;
		memcpy(s->sub, sub, len + 1);
		*sp = s;
	}
	s->n++;
	c->subj = s;
	h->nclients++;
	h->nkind[c->kind]++;
	c->live = 1;
	ev_hub_gauges(h);
	return 0;
}

static void
ev_q_clear(struct ev_client *c)
{
	size_t	 i;

	for (i = 0; i < c->qlen; i++)
		ev_msg_unref(c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
	c->q = NULL;
	c->qhead = c->qlen = c->qcap = c->qbytes = 0;
}

void
ev_hub_leave(struct ev_hub *h, struct ev_client *c)
{
	struct ev_subject **sp, *s;

	if (c->live) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else if (h->head == c)
			h->head = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		c->prev = c->next = NULL;
		h->nclients--;
		h->nkind[c->kind]--;
		if ((s = c->subj) != NULL && --s->n == 0) {
			sp = ev_subj_slot(h, s->sub);
			if (*sp == s) {
				*sp = s->next;
				free(s);
			}
		}
		c->subj = NULL;
		c->live = 0;
		ev_hub_gauges(h);
	}
	ev_q_clear(c);
	free(c->pre);
	c->pre = NULL;
	free(c->chstore);
	c->chstore = NULL;
}

static int
ev_wants(const struct ev_client *c, const struct ev_msg *m)
{
	size_t	 i;

	if (c->nchannels == 0)
		return 1;
	for (i = 0; i < c->nchannels; i++)
		if (strcmp(c->channels[i], m->channel) == 0)
			return 1;
	return 0;
}

static void
ev_drop(struct ev_client *c, size_t len)
{
	c->dropping = 1;
	hc_log(HC_LOG_WARN, "%s stream of \"%s\" disconnected: %zu bytes queued "
	    "and %zu more to come (limit %d): the client does not keep up",
	    c->kind == EV_WS ? "WebSocket" : "SSE",
	    c->subj != NULL ? c->subj->sub : "?", c->qbytes, len, EV_QUEUE_MAX);
	ev_q_clear(c);
	hc_metrics_count(HC_METRIC_EVENTS_SLOW, 1);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
}

/*
 * Writes m to c at once when nothing is queued before it: the common
 * case, which then costs one send instead of a round of the event loop
 * (arming POLLOUT, the callback, disarming).  lws still owns the
 * connection: what the socket did not take stays in lws's own buffer
 * (one frame at most), and lws_partial_buffered() is true until it is
 * out, so the next messages queue here and count toward the limit.
 * That check reads a flag; lws_send_pipe_choked() would be a poll()
 * per stream per message, as many system calls as the sends themselves
 * (bench-events.sh, strace -c).  Returns 1 when written, 0 to queue,
 * -1 on error.
 */
static int
ev_write_now(struct ev_client *c, struct ev_msg *m)
{
	int	 n;

	if (c->qlen > 0 || c->pre != NULL || c->ka_due || !c->joined ||
	    lws_partial_buffered(c->wsi))
		return 0;
	if (c->kind == EV_WS)
		n = lws_write(c->wsi, m->ws, m->ws_len, LWS_WRITE_TEXT);
	else
		n = lws_write(c->wsi, m->sse, m->sse_len, LWS_WRITE_HTTP);
	if (n < 0)
		return -1;
	hc_metrics_count(HC_METRIC_EVENTS_SENT, 1);
	return 1;
}

/* Queues m for c; check: drop c rather than queue past EV_QUEUE_MAX. */
static void
ev_enqueue(struct ev_client *c, struct ev_msg *m, int check)
{
	size_t	 len = c->kind == EV_WS ? m->ws_len : m->sse_len, ncap, i;
	struct ev_msg **nq;

	if (c->dropping)
		return;
	if (check) {
		switch (ev_write_now(c, m)) {
		case 1:
			return;
		case -1:
			c->dropping = 1;
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE,
			    LWS_TO_KILL_ASYNC);
			return;
		default:
			break;
		}
	}
	if (check && c->qbytes + len > EV_QUEUE_MAX) {
		ev_drop(c, len);
		return;
	}
	if (c->qlen == c->qcap) {
		ncap = c->qcap ? c->qcap * 2 : 4;
		if ((nq = malloc(ncap * sizeof(*nq))) == NULL) {
			ev_drop(c, len);
			return;
		}
		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qhead = 0;
		c->qcap = ncap;
	}
	c->q[(c->qhead + c->qlen) % c->qcap] = m;
	c->qlen++;
	c->qbytes += len;
	m->refs++;
	lws_callback_on_writable(c->wsi);
}

void
ev_hub_resume(const struct ev_hub *h, struct ev_client *c, const char *id)
{
	size_t	 el = strlen(h->epoch);
	uint64_t seq, oldest;
	char	*end;

	c->replay = 2;
	if (id == NULL || *id == '\0') {
		c->replay = 0;
		return;
	}
	/* another process's id (a restart, another node): it may have missed any */
	if (strncmp(id, h->epoch, el) != 0 || id[el] < '0' || id[el] > '9')
		return;
	errno = 0;
	seq = strtoull(id + el, &end, 10);
	if (errno != 0 || *end != '\0' || seq > h->seq)
		return;
	oldest = h->n > 0 ? h->ring[h->start]->seq : h->seq + 1;
	if (seq + 1 >= oldest) {
		c->replay = 1;
		c->after = seq;
	}
}

/* The reset event's data, written by json-c once per process; NULL without memory. */
static const char *
ev_reset_data(void)
{
	static char	*data;
	json_object	*o, *ev, *why;

	if (data != NULL || (o = json_object_new_object()) == NULL)
		return data;
	ev = json_object_new_string("reset");
	why = json_object_new_string("Last-Event-ID is not in this node's buffer: messages were missed");
	if (ev != NULL && why != NULL && json_object_object_add(o, "event", ev) == 0) {
		ev = NULL;
		if (json_object_object_add(o, "reason", why) == 0) {
			why = NULL;
			data = strdup(json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		}
	}
	json_object_put(ev);
	json_object_put(why);
	json_object_put(o);
	return data;
}

void
ev_hub_join(struct ev_hub *h, struct ev_client *c)
{
	static const char retry[] = "retry: 2000\n\n";
	struct ev_msg	*m;
	uint64_t	 before;
	size_t		 i, cap;
	const char	*reset = NULL;
	char		*p;

	c->next = h->head;
	if (h->head != NULL)
		h->head->prev = c;
	h->head = c;
	c->joined = 1;
	c->last_pong = hc_time_mono_ms();
	if (c->kind != EV_SSE)
		return;
	/* How soon a browser reconnects, then "reset" when it missed some. */
	if (c->replay == 2 && (reset = ev_reset_data()) == NULL) {
		ev_drop(c, 0);
		return;
	}
	cap = LWS_PRE + sizeof(retry) + 96 + (reset ? strlen(reset) : 0);
	if ((c->pre = malloc(cap)) == NULL) {
		ev_drop(c, 0);
		return;
	}
	p = (char *)c->pre + LWS_PRE;
	before = h->n > 0 ? h->ring[h->start]->seq - 1 : h->seq;
	if (c->replay == 2)
		c->prelen = (size_t)snprintf(p, cap - LWS_PRE, "%sid: %s%" PRIu64
		    "\nevent: reset\ndata: %s\n\n", retry, h->epoch, before, reset);
	else
		c->prelen = (size_t)snprintf(p, cap - LWS_PRE, "%s", retry);
	lws_callback_on_writable(c->wsi);
	if (c->replay == 0)
		return;
	for (i = 0; i < h->n; i++) {
		m = h->ring[(h->start + i) % h->cap];
		if ((c->replay == 2 || m->seq > c->after) && ev_wants(c, m))
			ev_enqueue(c, m, 0);	/* bounded by the buffer */
	}
}

void
ev_hub_publish(struct ev_hub *h, const char *channel, size_t chlen,
    const char *payload, size_t plen)
{
	struct ev_client *c, *next;
	struct ev_msg	*m;

	if ((m = ev_msg_new(h, channel, chlen, payload, plen)) == NULL) {
		hc_log(HC_LOG_ERROR, "out of memory: a message on a channel of %zu "
		    "bytes was not relayed", chlen);
		return;
	}
	hc_metrics_count(HC_METRIC_EVENTS_RECEIVED, 1);
	if (m->sse_len > EV_QUEUE_MAX) {
		hc_log(HC_LOG_WARN, "message %" PRIu64 " on %.80s not relayed: %zu "
		    "bytes is more than a stream may have queued (%d)", m->seq,
		    m->channel, m->sse_len, EV_QUEUE_MAX);
		ev_msg_unref(m);
		return;
	}
	for (c = h->head; c != NULL; c = next) {
		next = c->next;
		if (ev_wants(c, m))
			ev_enqueue(c, m, 1);
	}
	if (h->cap > 0) {
		if (h->n == h->cap) {
			ev_msg_unref(h->ring[h->start]);
			h->start = (h->start + 1) % h->cap;
			h->n--;
		}
		h->ring[(h->start + h->n) % h->cap] = m;
		h->n++;
	} else
		ev_msg_unref(m);
}

/*
 * The pings are the hub's, not lws's retry_and_idle_policy: lws keeps one
 * timer per connection in a sorted list and moves it for every pong, a
 * walk of the whole list (lws_dll2_add_sorted was 41% of an idle relay's
 * CPU with 5,000 streams pinged every 5 s).  One pass over the streams
 * per interval costs a few microseconds per thousand.
 */
void
ev_hub_keepalive(struct ev_hub *h)
{
	struct ev_client *c;

	for (c = h->head; c != NULL; c = c->next) {
		if (c->dropping)
			continue;
		if (c->kind == EV_SSE)
			c->ka_due = 1;
		else
			c->ping_due = 1;
		lws_callback_on_writable(c->wsi);
	}
}

void
ev_hub_sweep(struct ev_hub *h, double now_ms, double hangup_ms)
{
	struct ev_client *c;

	for (c = h->head; c != NULL; c = c->next)
		if (c->kind == EV_WS && !c->dropping && now_ms - c->last_pong > hangup_ms) {
			c->dropping = 1;
			hc_log(HC_LOG_INFO, "WebSocket stream of \"%s\" closed: no pong for %.0f s",
			    c->subj != NULL ? c->subj->sub : "?", (now_ms - c->last_pong) / 1000);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE, LWS_TO_KILL_ASYNC);
		}
}

void
ev_hub_pong(struct ev_client *c)
{
	c->last_pong = hc_time_mono_ms();
}

void
ev_hub_close_all(struct ev_hub *h)
{
	struct ev_client *c;

	for (c = h->head; c != NULL; c = c->next)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_REASON_BASE,
		    LWS_TO_KILL_ASYNC);
}

int
ev_hub_write(struct ev_hub *h, struct ev_client *c)
{
	static unsigned char ka[LWS_PRE + 16];
	struct ev_msg	*m;
	size_t		 len;

	(void)h;
	if (c->dropping)
		return -1;
	if (c->pre != NULL) {
		if (lws_write(c->wsi, c->pre + LWS_PRE, c->prelen, LWS_WRITE_HTTP) < 0)
			return -1;
		free(c->pre);
		c->pre = NULL;
	} else if (c->ka_due) {
		memcpy(ka + LWS_PRE, ": keep-alive\n\n", 14);
		if (lws_write(c->wsi, ka + LWS_PRE, 14, LWS_WRITE_HTTP) < 0)
			return -1;
		c->ka_due = 0;
	} else if (c->ping_due) {
		/* with a payload: lws passes an empty pong to no callback */
		memcpy(ka + LWS_PRE, "hc", 2);
		if (lws_write(c->wsi, ka + LWS_PRE, 2, LWS_WRITE_PING) < 0)
			return -1;
		c->ping_due = 0;
	} else if (c->qlen > 0) {
		m = c->q[c->qhead];
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
		if (c->kind == EV_WS) {
			len = m->ws_len;
			if (lws_write(c->wsi, m->ws, len, LWS_WRITE_TEXT) < 0) {
				ev_msg_unref(m);
				return -1;
			}
		} else {
			len = m->sse_len;
			if (lws_write(c->wsi, m->sse, len, LWS_WRITE_HTTP) < 0) {
				ev_msg_unref(m);
				return -1;
			}
		}
		c->qbytes -= len;
		ev_msg_unref(m);
		hc_metrics_count(HC_METRIC_EVENTS_SENT, 1);
	}
	if (c->qlen > 0 || c->ka_due || c->ping_due)
		lws_callback_on_writable(c->wsi);
	return 0;
}

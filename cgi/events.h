/* events.h: what the two files of headcount-events share (the hub of streams and the web side). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#define EV_QUEUE_MAX	(1024 * 1024)	/* bytes queued for one stream before it is dropped */
#define EV_PATH_SSE	"/api/v1/realtime/events"
#define EV_PATH_WS	"/api/v1/realtime/ws"

enum ev_kind { EV_SSE, EV_WS };

/* One relayed message, shared by every stream it is queued for. */
struct ev_msg {
	unsigned	 refs;
	uint64_t	 seq;
	char		*channel;	/* valid UTF-8 */
	unsigned char	*ws;		/* {"channel":...,"data":...}, LWS_PRE bytes before it */
	size_t		 ws_len;
	unsigned char	*sse;		/* "id: ..\nevent: ..\ndata: ..\n\n", LWS_PRE before it */
	size_t		 sse_len;
};

struct ev_subject;

/* One open stream (SSE or WebSocket), attached to its wsi as opaque user data. */
struct ev_client {
	struct lws		*wsi;
	enum ev_kind		 kind;
	int			 live;		/* counted and in the hub's list */
	int			 dropping;	/* being disconnected */
	int			 ka_due;	/* a keep-alive comment is owed (SSE) */
	int			 ping_due;	/* a ping is owed (WebSocket) */
	double			 last_pong;	/* monotonic ms: the last pong, or the join (WebSocket) */
	int			 joined;	/* headers (SSE) or handshake (WS) are out */
	struct ev_client	*prev, *next;
	struct ev_subject	*subj;
	char			*chstore;	/* the filter's channels, or NULL: all */
	const char		*channels[32];
	size_t			 nchannels;
	struct ev_msg		**q;		/* queue of messages to write */
	size_t			 qhead, qlen, qcap, qbytes;
	unsigned char		*pre;		/* bytes to write before the queue (SSE) */
	size_t			 prelen;
	uint64_t		 after;		/* replay: messages after this seq */
	int			 replay;	/* 0 none, 1 after `after`, 2 reset + all */
};

/* The hub of the process: every stream, the replay buffer, the limits. */
struct ev_hub;

struct ev_hub	*ev_hub_new(size_t replay, long max_clients, long max_per_subject);
void		 ev_hub_free(struct ev_hub *h);

/* The id prefix of this process's messages ("<start time base 36>-"). */
const char	*ev_hub_epoch(const struct ev_hub *h);

/*
 * Admission of a new stream for subject sub: 0, 503 (node full) or 429
 * (too many for sub).  On 0 the client is counted (ev_hub_leave undoes it).
 */
int		 ev_hub_admit(struct ev_hub *h, struct ev_client *c, const char *sub);

/* The stream starts: joins the broadcast list (replay first when asked). */
void		 ev_hub_join(struct ev_hub *h, struct ev_client *c);

/* Removes c from everything and frees what it holds (not c itself). */
void		 ev_hub_leave(struct ev_hub *h, struct ev_client *c);

/* A message from Redis: into the buffer and every matching stream's queue. */
void		 ev_hub_publish(struct ev_hub *h, const char *channel, size_t chlen,
		    const char *payload, size_t plen);

/* Owes every SSE stream a keep-alive comment and every WebSocket a ping. */
void		 ev_hub_keepalive(struct ev_hub *h);

/*
 * Closes every WebSocket whose last pong (or handshake) is more than
 * hangup_ms before now_ms.  O(streams); run about once a second.
 */
void		 ev_hub_sweep(struct ev_hub *h, double now_ms, double hangup_ms);

/* A pong from c (WebSocket). */
void		 ev_hub_pong(struct ev_client *c);

/* Closes every stream (shutdown). */
void		 ev_hub_close_all(struct ev_hub *h);

/* Writes what c is owed next; returns 0, or -1 to close it. */
int		 ev_hub_write(struct ev_hub *h, struct ev_client *c);

/* Parses a Last-Event-ID for c: sets c->replay and c->after. */
void		 ev_hub_resume(const struct ev_hub *h, struct ev_client *c, const char *id);

/* Open streams by kind. */
long		 ev_hub_count(const struct ev_hub *h, enum ev_kind k);

/* ------------------------------------------------------------------ the web side (events_http.c) */

struct hc_settings;

/* What the request checks read; set once by main before the loop runs. */
struct ev_conf {
	const struct hc_settings *s;
	const char *const	*patterns;	/* HEADCOUNT_EVENT_CHANNELS */
	size_t			 npatterns;
	struct ev_hub		*hub;
};
extern struct ev_conf	 ev_conf;

/* Per HTTP transaction: an answer given before the request body was read. */
struct ev_pss {
	int	 answered;
};

/* LWS_CALLBACK_HTTP: starts an SSE stream or answers; 0, or -1 to close. */
int		 ev_http(struct lws *wsi, struct ev_pss *pss);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: 0 to upgrade, 1 answered, -1 hang up. */
int		 ev_upgrade(struct lws *wsi, const char *proto);

#endif

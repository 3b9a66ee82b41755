/* hc_events_sub: one Redis PSUBSCRIBE per process, on a libuv loop, resubscribed after every loss. */
#ifndef HC_EVENTS_SUB_H
#define HC_EVENTS_SUB_H

#include <stddef.h>
#include <uv.h>

struct hc_events_sub;

/* A message published on a channel matching one of the patterns. */
typedef void	(*hc_events_sub_msg)(void *ud, const char *channel, size_t chlen,
		    const char *payload, size_t plen);
/* The subscription became active (up 1) or was lost (up 0). */
typedef void	(*hc_events_sub_state)(void *ud, int up);

/*
 * A subscriber of the n patterns (copied) on loop, for REDIS_URL url
 * (resolved to the master's address at every (re)connect, through the
 * sentinels for redis+sentinel://, which sentinel_password, NULL for
 * none, authenticates to), with timeout_ms bounding each connect.  Nothing is connected until
 * hc_events_sub_start.  Returns NULL on a bad URL (reason in err) or no
 * memory.
 */
struct hc_events_sub *hc_events_sub_new(uv_loop_t *loop, const char *url,
	    const char *sentinel_password, long timeout_ms, const char *const *patterns, size_t n,
	    hc_events_sub_msg on_msg, hc_events_sub_state on_state, void *ud,
	    char *err, size_t errlen);

/* Connects and subscribes; after a loss retries with a growing pause (100 ms to 2 s). */
void	 hc_events_sub_start(struct hc_events_sub *s);

/* 1 while the PSUBSCRIBE is confirmed on a live connection. */
int	 hc_events_sub_up(const struct hc_events_sub *s);

/* Failures (lost connections, refused connects) since start. */
unsigned long hc_events_sub_errors(const struct hc_events_sub *s);

/*
 * Disconnects and closes the timers; the memory goes once the loop has
 * run the handles' close callbacks (run it until it has no handles left).
 * NULL-safe.
 */
void	 hc_events_sub_free(struct hc_events_sub *s);

#endif

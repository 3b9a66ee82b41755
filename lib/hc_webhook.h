/* hc_webhook: webhook events claimed once across all agents, a persistent delivery queue in Redis, signed POSTs. */
#ifndef HC_WEBHOOK_H
#define HC_WEBHOOK_H

#include <stddef.h>

#include "hc_err.h"

struct hc_redis;
struct hc_settings;

/*
 * Redis layout (under HEADCOUNT_KEY_PREFIX <p>):
 *   <p>webhook:state:<kind>     STRING since (ms) of the announced condition
 *   <p>webhook:claim:<event>:<since>  STRING, SET NX: the one agent that fires it
 *   <p>webhook:queue            ZSET delivery id -> when due (ms)
 *   <p>webhook:delivery:<id>    HASH url, event, body, attempts, first (ms), last_error
 * A delivery id is hex of SHA-256("<event>:<since>\n<url>")[0..16): the same
 * on every retry and on every node, unique per event and URL.
 */

/* The conditions that have a start and an end event. */
enum hc_webhook_kind {
	HC_WEBHOOK_MISMATCH,		/* mismatch_started / mismatch_resolved */
	HC_WEBHOOK_SELF_PRESERVATION,	/* self_preservation_started / _ended */
	HC_WEBHOOK_PROVIDER,		/* provider_failing / provider_recovered */
	HC_WEBHOOK_KIND_MAX
};

/* What an agent sees of a condition at one tick. */
enum hc_webhook_state {
	HC_WEBHOOK_OFF,		/* not present: end the announced one */
	HC_WEBHOOK_ON,		/* present and to be announced */
	HC_WEBHOOK_HOLD		/* present, not announced yet (too young): end an older one only */
};

/* An event this agent won the claim for (at most two per edge). */
struct hc_webhook_fired {
	const char	*event;		/* static name */
	long long	 since_ms;	/* identifies the occurrence */
};

struct hc_webhook;

/*
 * A webhook sender over r (borrowed) for the URLs and secret of s
 * (borrowed).  Returns NULL without memory.  Free with hc_webhook_free.
 * libcurl must be initialised (curl_global_init) by the program.
 */
struct hc_webhook *hc_webhook_new(const struct hc_settings *s, struct hc_redis *r);

/* NULL-safe. */
void	 hc_webhook_free(struct hc_webhook *w);

/* How many URLs are configured (0: webhooks are off). */
size_t	 hc_webhook_nurls(const struct hc_webhook *w);

/* The events of kind: start and end names. */
const char *hc_webhook_started(enum hc_webhook_kind k);
const char *hc_webhook_ended(enum hc_webhook_kind k);

/*
 * Moves kind's announced state to state (since_ms: when the condition
 * began; 0 for "now" with ON), atomically in Redis so that each
 * transition is seen by one agent, and claims (SET NX) the events it
 * implies.  fired[0..*nfired) gets the events this caller must send.
 * Returns HC_OK or HC_ERR_REDIS.
 */
enum hc_err hc_webhook_edge(struct hc_webhook *w, enum hc_webhook_kind k,
	    enum hc_webhook_state state, long long since_ms, long long now_ms,
	    struct hc_webhook_fired fired[2], size_t *nfired);

/*
 * Queues body (the event's JSON) for every URL, due now.  Idempotent per
 * delivery id.  Returns HC_OK or HC_ERR_REDIS.
 */
enum hc_err hc_webhook_enqueue(struct hc_webhook *w, const char *event,
	    long long since_ms, const char *body, long long now_ms);

/*
 * Sends up to max due deliveries (each leased in Redis while it is in
 * flight, so no two agents send it at once), logs every attempt and
 * outcome, reschedules failures with growing pauses (1 s, 2 s, 4 s ...
 * at most 300 s) until HEADCOUNT_WEBHOOK_RETRY_SECONDS after the first
 * attempt.  *sent counts the attempts made.  Returns HC_OK or HC_ERR_REDIS.
 */
enum hc_err hc_webhook_deliver(struct hc_webhook *w, long long now_ms, size_t max,
	    size_t *sent);

/* The last failure, naming the call. */
const char *hc_webhook_errstr(const struct hc_webhook *w);

/*
 * "sha256=<hex>" of HMAC-SHA256(secret, body) into buf (at least 72
 * bytes).  Returns 0 or -1.
 */
int	 hc_webhook_sign(const char *secret, const char *body, size_t len,
	    char *buf, size_t buflen);

/* The delivery id of an event occurrence for url into buf (33 bytes). */
void	 hc_webhook_delivery_id(const char *event, long long since_ms,
	    const char *url, char buf[33]);

#endif

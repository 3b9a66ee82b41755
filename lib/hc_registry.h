/* hc_registry: the instance registry and self-preservation in Redis. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_REGISTRY_H
#define HC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "hc_err.h"

struct hc_redis;
struct hc_script;
struct redisReply;
struct hc_settings;

/*
 * Redis layout, every key under HEADCOUNT_KEY_PREFIX (<p>, "headcount:"):
 *   <p>instances          ZSET  id -> last heartbeat, ms on the Redis clock
 *   <p>instance:data      HASH  id -> the record (hc_record.h: started_at,
 *                               last = the score, hostname, meta)
 *   <p>instances:stale    SET   ids already announced stale (one event each)
 *   <p>self_preservation  STRING ms when self-preservation began (absent: off)
 *   <p>replicas:status    HASH  status, desired, active, mismatch_since (ms,
 *                               absent when none), updated_at (ms); written
 *                               by hc_replicas_status_update
 * Channel (no prefix, per API.md): events:instances.
 * Every write is one Lua script (EVALSHA, EVAL after NOSCRIPT): one round
 * trip, times from the Redis server's clock.  The list is one pipelined
 * MULTI/TIME/HGETALL/EXISTS/EXEC: one round trip too.
 */

#define HC_HOSTNAME_MAX		255	/* bytes */
#define HC_META_MAX_KEYS	32

struct hc_registry;

/*
 * Makes a registry over redis (borrowed, must outlive it) with the key
 * prefix, TTL, prune age and preserve ratio of s (borrowed too).
 * Returns NULL only without memory.  Free with hc_registry_free.
 */
struct hc_registry *hc_registry_new(struct hc_redis *redis,
	    const struct hc_settings *s);

/* NULL-safe. */
void	 hc_registry_free(struct hc_registry *reg);

/* The last failure, naming the call ("EVALSHA(heartbeat): ..."). */
const char *hc_registry_errstr(const struct hc_registry *reg);

/* The kind of the last failure (HC_OK when none). */
enum hc_err hc_registry_err(const struct hc_registry *reg);

/*
 * The one setter of the handle's err and errstr (for the modules that
 * keep their data beside the registry's, as hc_replicas).  Returns code.
 */
enum hc_err hc_registry_seterr(struct hc_registry *reg, enum hc_err code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The keys of the layout above, prefixed. */
enum hc_registry_key {
	HC_REGISTRY_KEY_INSTANCES,
	HC_REGISTRY_KEY_DATA,
	HC_REGISTRY_KEY_STALE,
	HC_REGISTRY_KEY_PRESERVE,
	HC_REGISTRY_KEY_STATUS,
	HC_REGISTRY_KEY_MAX
};

/* The full name of key k (owned by reg). */
const char *hc_registry_key(const struct hc_registry *reg,
	    enum hc_registry_key k);

/* The Redis connection reg works on (borrowed). */
struct hc_redis *hc_registry_redis(const struct hc_registry *reg);

/*
 * Runs script s as hc_script_run does, recording a failure on the
 * handle.  Returns HC_OK with *out (the caller frees), or HC_ERR_REDIS.
 */
enum hc_err hc_registry_run(struct hc_registry *reg, const struct hc_script *s,
	    int nkeys, const char *const *keys, int nargs,
	    const char *const *args, const size_t *arglens,
	    struct redisReply **out);

/*
 * Registers or renews id with hostname (NULL: the id) and meta (NULL:
 * {}; not consumed).  The caller has checked them (the instances route's
 * input table, hc_valid_instance_id for the agent's own id): nothing is
 * checked again here.  started_at is kept across renewals.  On
 * HC_OK *registered is 1 when id was not registered before and *now_ms
 * (may be NULL) is the Redis time of the heartbeat.  Publishes the
 * "registered" event itself when new.  Returns HC_OK, HC_ERR_NOMEM or
 * HC_ERR_REDIS (see errstr).
 */
enum hc_err hc_registry_heartbeat(struct hc_registry *reg, const char *id,
	    const char *hostname, json_object *meta, int *registered,
	    long long *now_ms);

/*
 * Deregisters id and publishes "removed".  Returns HC_OK,
 * HC_ERR_NOTFOUND when id was not registered, or HC_ERR_REDIS.
 */
enum hc_err hc_registry_remove(struct hc_registry *reg, const char *id);

/* One registered instance in a list (pointers into the list's reply). */
struct hc_instance {
	const char	*id;
	size_t		 id_len;
	const char	*data;		/* stored JSON, NULL when missing */
	size_t		 data_len;
	long long	 last_ms;	/* last heartbeat, Redis clock */
	int		 stale;		/* now_ms - last_ms > TTL */
	uint64_t	 key[2];	/* the id's first 16 bytes, big-endian, zero-padded: the sort's */
};

/* Every registered instance at one moment, sorted by id (byte order). */
struct hc_registry_list {
	long long	 now_ms;	/* Redis TIME when read */
	size_t		 n, active, stale;
	int		 self_preservation;
	struct hc_instance *v;
	void		*reply;		/* private */
};

/*
 * Reads every instance in one round trip (a pipelined MULTI/EXEC), whatever N.
 * Returns HC_OK with out filled (free with hc_registry_list_free even on
 * failure), HC_ERR_NOMEM or HC_ERR_REDIS.
 */
enum hc_err hc_registry_list(struct hc_registry *reg,
	    struct hc_registry_list *out);

/* NULL-safe; leaves l empty. */
void	 hc_registry_list_free(struct hc_registry_list *l);

/*
 * The API.md array of instance objects ({"instance_id","hostname",
 * "started_at","last_heartbeat","seconds_since_heartbeat","is_stale",
 * "meta"}) for l, rendered in one pass.  Returns a new array the caller
 * puts, or NULL without memory.  For speed it holds no element objects:
 * its serialiser writes the rendered text (add it to a response object;
 * walk l->v to inspect instances).  It does not refer to l afterwards.
 */
json_object *hc_registry_list_json(const struct hc_registry_list *l);

/* Counts at one moment, from one script. */
struct hc_registry_summary {
	long long	 now_ms;
	long		 total;		/* registered */
	long		 active;
	long		 stale;
	int		 self_preservation;
	long long	 self_preservation_since_ms;	/* 0 when off */
	long		 desired;	/* as last stored in replicas:status, -1 when none */
};

/* Returns HC_OK with *out filled, or HC_ERR_REDIS. */
enum hc_err hc_registry_summary(struct hc_registry *reg,
	    struct hc_registry_summary *out);

/* Result of a maintenance pass or a forced prune; free with _free. */
struct hc_registry_tick {
	struct hc_registry_summary summary;	/* after the pass */
	char		**newly_stale;	/* ids that went stale since the last pass */
	size_t		 nnewly_stale;
	char		**pruned;	/* ids removed by this pass */
	size_t		 npruned;
	int		 entered_preservation;	/* 1 when this pass turned it on */
	int		 left_preservation;	/* 1 when this pass turned it off */
};

/* NULL-safe; leaves t empty. */
void	 hc_registry_tick_free(struct hc_registry_tick *t);

/*
 * The agent's periodic pass, atomic in one script: announces instances
 * that went stale (each once, across all nodes), enters self-preservation
 * when more than preserve_ratio of the registered instances went stale
 * within one TTL window, leaves it when no more than that ratio is stale,
 * and otherwise prunes instances older than prune_after.  Publishes the
 * "stale" and "removed" events.  Returns HC_OK with *out filled (free
 * with hc_registry_tick_free even on failure), HC_ERR_NOMEM or HC_ERR_REDIS.
 */
enum hc_err hc_registry_maintain(struct hc_registry *reg,
	    struct hc_registry_tick *out);

/*
 * The owner's refresh: prunes every stale instance whatever
 * self-preservation says (and so ends it), publishes "removed" for each.
 * Same contract as hc_registry_maintain; out->pruned lists the ids in
 * byte order.
 */
enum hc_err hc_registry_prune_stale(struct hc_registry *reg,
	    struct hc_registry_tick *out);

/*
 * Publishes {"event":event,"instance_id":id,"at":RFC 3339 of at_ms} on
 * events:instances.  Returns HC_OK, HC_ERR_NOMEM or HC_ERR_REDIS.
 */
enum hc_err hc_registry_publish(struct hc_registry *reg, const char *event,
	    const char *id, long long at_ms);

#endif

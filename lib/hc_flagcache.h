/* hc_flagcache: the node's copy of the flags in shared memory, kept by one watcher, read by every worker without Redis. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_FLAGCACHE_H
#define HC_FLAGCACHE_H

#include <stddef.h>
#include <stdint.h>

struct hc_redis;

#define HC_FLAGCACHE_BYTES	(4u << 20)	/* room for the encoded flags (~60,000 names) */
#define HC_FLAGCACHE_RETRY_MS	250		/* a watcher that lost Redis retries this often */

struct hc_flagcache;

/* Bytes of the shared segment a program maps for hc_flagcache_open (struct hc_app's shared_size). */
#define HC_FLAGCACHE_SEGMENT	(HC_FLAGCACHE_BYTES + 4096)

/*
 * A handle on the shared segment mem of len bytes (zero-filled when
 * first used, MAP_SHARED so that every process forked after sees the
 * same copy).  The handle is the calling process's; made before fork it
 * serves the children too.  Returns NULL (reason in err) when len is too
 * small for the header.  hc_flagcache_free frees the handle only.
 */
struct hc_flagcache *hc_flagcache_open(void *mem, size_t len, char *err, size_t errlen);

/*
 * The same over a segment of its own (capacity bytes for the flags, 0:
 * HC_FLAGCACHE_BYTES), mapped here and unmapped by hc_flagcache_free (for
 * tests and programs without a shared segment).
 */
struct hc_flagcache *hc_flagcache_new(size_t capacity, char *err, size_t errlen);

/* NULL-safe. */
void	 hc_flagcache_free(struct hc_flagcache *fc);

/*
 * The watcher's side.  hc_flagcache_store replaces the node's copy with
 * the n name/value pairs given (in any order; names that break the flag
 * rule are skipped and logged, values other than "1"/"0" read as off and
 * are logged when the copy changes).  Returns 0, or -1 when they do not
 * fit (the copy is then left as it was, and that is logged).
 */
int	 hc_flagcache_store(struct hc_flagcache *fc, const char *const *names,
	    const size_t *nlens, const char *const *vals, const size_t *vlens,
	    size_t n);

/* Tells the workers whether the watcher can reach Redis (down 1: not). */
void	 hc_flagcache_set_down(struct hc_flagcache *fc, int down);

/*
 * One HGETALL of key through r, stored.  Returns 0, or -1 when Redis
 * failed (the copy is then marked down).
 */
int	 hc_flagcache_sync(struct hc_flagcache *fc, struct hc_redis *r, const char *key);

/*
 * The watcher (one per node, in the program's helper process): a
 * subscription to HC_FLAGS_CHANNEL (and to the hash's keyspace channel,
 * used when the server sends keyspace notifications) on sub, and an
 * HGETALL through cmd at start, after each message and every poll_ms.
 * With Redis unreachable it marks the copy down and retries every
 * HC_FLAGCACHE_RETRY_MS.  Both connections are the caller's.
 */
struct hc_flagwatch;

struct hc_flagwatch *hc_flagwatch_new(struct hc_flagcache *fc, struct hc_redis *sub,
	    struct hc_redis *cmd, const char *key, long poll_ms);

/* NULL-safe; the connections stay the caller's. */
void	 hc_flagwatch_free(struct hc_flagwatch *w);

/*
 * Does what is due and waits for news at most budget_ms (news is read
 * as it comes).  Returns how many ms the caller may wait before the next
 * call (short: the watcher does its own waiting).
 */
long	 hc_flagwatch_step(struct hc_flagwatch *w, long budget_ms);

/* The worker's side: a private copy, refreshed when the node's changed. */
struct hc_flag {
	const char	*name;
	int		 enabled;
	int		 other;		/* the stored value was neither "1" nor "0" */
};

enum hc_flagstate {
	HC_FLAGS_FRESH,		/* the copy follows Redis */
	HC_FLAGS_STALE,		/* Redis is unreachable: the last values seen */
	HC_FLAGS_NONE,		/* nothing was ever read */
	HC_FLAGS_MAX
};

struct hc_flagview;

/* A view of fc for one process; NULL with no memory.  Free with hc_flagview_free. */
struct hc_flagview *hc_flagview_new(struct hc_flagcache *fc);

/* NULL-safe. */
void	 hc_flagview_free(struct hc_flagview *v);

/*
 * Brings the view up to date from memory (no Redis command).  Before the
 * watcher's first try it waits at most first_wait_ms for it.  The copy is
 * stale when the watcher says Redis is down or has not read it for
 * stale_after_ms.  Returns the state; with HC_FLAGS_NONE the view is
 * empty.  A failure to allocate keeps the previous copy.
 */
enum hc_flagstate hc_flagview_sync(struct hc_flagview *v, long first_wait_ms,
	    long stale_after_ms);

/* Flags in byte order of their names (valid until the next sync). */
size_t	 hc_flagview_count(const struct hc_flagview *v);
const struct hc_flag *hc_flagview_at(const struct hc_flagview *v, size_t i);

/* The flag called name, or NULL. */
const struct hc_flag *hc_flagview_find(const struct hc_flagview *v, const char *name);

/* A hash of the copy's content, the same on every node holding the same flags. */
uint64_t hc_flagview_hash(const struct hc_flagview *v);

/*
 * After this process wrote name (want: 1 on, 0 off, -1 deleted): waits
 * at most max_ms until the node's copy shows it, so that every worker of
 * the node answers the new value from then on (read your writes).
 * Returns 0, or -1 when the deadline passed first.
 */
int	 hc_flagview_wait(struct hc_flagview *v, const char *name, int want,
	    long max_ms);

#endif

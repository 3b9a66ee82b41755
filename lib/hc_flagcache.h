/* hc_flagcache: the node's copy of the flags in shared memory, kept by one watcher, read by every worker without Redis. */
#ifndef HC_FLAGCACHE_H
#define HC_FLAGCACHE_H

#include <stddef.h>
#include <stdint.h>

#define HC_FLAGCACHE_BYTES	(4u << 20)	/* room for the encoded flags (~60,000 names) */
#define HC_FLAGCACHE_RETRY_MS	250		/* a watcher that lost Redis retries this often */

struct hc_flagcache;

/*
 * Maps an anonymous shared segment of capacity bytes (0:
 * HC_FLAGCACHE_BYTES) in the calling process: made before fork, every
 * child sees the same copy.  Returns NULL with the failing call in err.
 * Free with hc_flagcache_free.
 */
struct hc_flagcache *hc_flagcache_new(size_t capacity, char *err, size_t errlen);

/* NULL-safe; unmaps the segment in the calling process. */
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

struct hc_flagwatch {
	const char	*redis_url;
	long		 timeout_ms;
	const char	*key;		/* the hash, "feature:flags" */
	long		 poll_ms;	/* HGETALL this often even without news */
};

/*
 * The watcher process's whole loop: subscribes to HC_FLAGS_CHANNEL (and
 * the hash's keyspace channel, used when the server sends keyspace
 * notifications), reads the hash with one HGETALL at start, after each
 * message and every poll_ms, and stores it.  With Redis unreachable it
 * marks the copy down and retries every HC_FLAGCACHE_RETRY_MS.  Waits
 * only in hc_server_poll; returns once hc_server_stopping() is 1.
 */
void	 hc_flagcache_watch(struct hc_flagcache *fc, const struct hc_flagwatch *w);

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

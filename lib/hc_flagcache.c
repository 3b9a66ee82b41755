/* hc_flagcache: a seqlock'd shared copy of the flags hash, its watcher (one per node) and the workers' views. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_flagcache.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "hc_flags.h"
#include "hc_hash.h"
#include "hc_log.h"
#include "hc_redis.h"
#include "hc_time.h"

/*
 * The segment.  One writer (the watcher) and many readers (the workers):
 * the writer makes seq odd, writes, then makes it even again; a reader
 * copies while seq stays the same even number.  Readers copy only when
 * gen moved, so a warm read costs a few atomic loads.
 *
 * The encoded flags, sorted by name: per flag one byte of value (the
 * enum hc_flag_value), one byte of name length, the name, a NUL.
 */
struct hc_flagshm {
	_Atomic uint64_t seq;
	_Atomic uint64_t gen;		/* moves when the content changes */
	_Atomic int	 tried;		/* the watcher tried once (either way) */
	_Atomic int	 loaded;	/* content was read at least once */
	_Atomic int	 down;		/* the watcher cannot reach Redis */
	_Atomic int64_t	 synced_ms;	/* hc_time_mono_ms() of the last good sync */
	uint64_t	 hash;		/* of data[0..len), under seq */
	uint32_t	 len;
	uint32_t	 count;
	char		 data[];
};

struct hc_flagcache {
	struct hc_flagshm	*shm;
	size_t			 cap;		/* bytes of data[] */
	size_t			 maplen;	/* mapped here (hc_flagcache_new), 0: the caller's */
	/* the watcher's own (private) scratch */
	char			*scratch;
	size_t			 scratchcap;
	uint64_t		 oddhash;	/* of what was last logged as odd */
};

struct hc_flagview {
	struct hc_flagcache	*fc;
	uint64_t		 gen;		/* of the copy held, 0 none */
	uint64_t		 hash;
	char			*buf;
	size_t			 bufcap;
	struct hc_flag		*flags;
	size_t			 n, ncap;
};

struct hc_flagcache *
hc_flagcache_open(void *mem, size_t len, char *err, size_t errlen)
{
	struct hc_flagcache *fc;

	if (mem == NULL || len <= sizeof(struct hc_flagshm)) {
		snprintf(err, errlen, "flags cache: a segment of %zu bytes is too small", len);
		return NULL;
	}
	if ((fc = calloc(1, sizeof(*fc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fc->shm = mem;
	fc->cap = len - sizeof(struct hc_flagshm);
	return fc;
}

struct hc_flagcache *
hc_flagcache_new(size_t capacity, char *err, size_t errlen)
{
	struct hc_flagcache *fc;
	size_t	 len;
	void	*p;

	if (capacity == 0)
		capacity = HC_FLAGCACHE_BYTES;
	len = sizeof(struct hc_flagshm) + capacity;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mmap(%zu bytes, shared): %s", len, strerror(errno));
		return NULL;
	}
	if ((fc = hc_flagcache_open(p, len, err, errlen)) == NULL) {
		munmap(p, len);
		return NULL;
	}
	fc->maplen = len;
	return fc;
}

void
hc_flagcache_free(struct hc_flagcache *fc)
{
	if (fc == NULL)
		return;
	if (fc->maplen > 0)
		munmap(fc->shm, fc->maplen);
	free(fc->scratch);
	free(fc);
}

/* ------------------------------------------------------------ the writer */

struct hc_pair {
	const char	*name;
	size_t		 nlen;
	const char	*val;
	size_t		 vlen;
};

static int
hc_pair_cmp(const void *a, const void *b)
{
	const struct hc_pair *x = a, *y = b;
	size_t	 n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int	 c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

/* A stored value for the log: printable ASCII kept, other bytes as \xNN, at most 40 bytes. */
static void
hc_printable(char *dst, size_t dstlen, const char *s, size_t len)
{
	size_t	 i, o = 0;

	for (i = 0; i < len && i < 40 && o + 5 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

int
hc_flagcache_store(struct hc_flagcache *fc, const char *const *names,
    const size_t *nlens, const char *const *vals, const size_t *vlens, size_t n)
{
	struct hc_flagshm *sh = fc->shm;
	struct hc_pair	*p = NULL;
	size_t		 i, k = 0, len = 0, need;
	uint64_t	 s, h, oh;
	char		 shown[200], *o;
	int		 rc = -1;

	if (n > 0 && (p = calloc(n, sizeof(*p))) == NULL) {
		hc_log(HC_LOG_ERROR, "flags: out of memory reading %zu flags", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!hc_flags_name_valid_len(names[i], nlens[i]) ||
		    memchr(names[i], '\0', nlens[i]) != NULL)
			continue;
		p[k].name = names[i];
		p[k].nlen = nlens[i];
		p[k].val = vals[i];
		p[k].vlen = vlens[i];
		k++;
	}
	if (k > 0)
		qsort(p, k, sizeof(*p), hc_pair_cmp);
	for (i = 0; i < k; i++)
		len += 3 + p[i].nlen;
	if (len > fc->cap) {
		hc_log(HC_LOG_ERROR, "flags: %zu flags need %zu bytes, more than the "
		    "cache's %zu; keeping the previous copy", k, len, fc->cap);
		goto out;
	}
	need = len > 0 ? len : 1;
	if (fc->scratchcap < need) {
		if ((o = realloc(fc->scratch, need)) == NULL)
			goto out;
		fc->scratch = o;
		fc->scratchcap = need;
	}
	for (i = 0, o = fc->scratch; i < k; i++) {
		*o++ = (char)hc_flags_value(p[i].val, p[i].vlen);
		*o++ = (char)p[i].nlen;
		memcpy(o, p[i].name, p[i].nlen);
		o += p[i].nlen;
		*o++ = '\0';
	}
	h = hc_hash64(HC_HASH_INIT, fc->scratch, len);
	rc = 0;
	atomic_store(&sh->synced_ms, (int64_t)hc_time_mono_ms());
	if (atomic_load(&sh->loaded) && h == sh->hash && len == sh->len)
		goto out;	/* unchanged: readers keep their copies */
	/*
	 * Say what another app wrote that is not ours to read, once for each
	 * new set of such entries (not again on every unrelated change).
	 */
	oh = HC_HASH_INIT;
	for (i = 0; i < n; i++)
		if (!hc_flags_name_valid_len(names[i], nlens[i]) ||
		    memchr(names[i], '\0', nlens[i]) != NULL ||
		    hc_flags_value(vals[i], vlens[i]) == HC_FLAG_OTHER)
			oh = hc_hash64(hc_hash64(oh, names[i], nlens[i]), vals[i], vlens[i]);
	if (oh == fc->oddhash)
		goto publish;
	fc->oddhash = oh;
	for (i = 0; i < n; i++)
		if (!hc_flags_name_valid_len(names[i], nlens[i]) ||
		    memchr(names[i], '\0', nlens[i]) != NULL) {
			hc_printable(shown, sizeof(shown), names[i], nlens[i]);
			hc_log(HC_LOG_WARN, "flags: ignoring \"%s\" in the hash: not a flag "
			    "name (%s)", shown, HC_FLAGS_NAME_RULE);
		}
	for (i = 0; i < k; i++)
		if (hc_flags_value(p[i].val, p[i].vlen) == HC_FLAG_OTHER) {
			hc_printable(shown, sizeof(shown), p[i].val, p[i].vlen);
			hc_log(HC_LOG_WARN, "flags: %.*s has the value \"%s\", neither 1 "
			    "nor 0: read as false", (int)p[i].nlen, p[i].name, shown);
		}
publish:
	s = atomic_load_explicit(&sh->seq, memory_order_relaxed);
	atomic_store_explicit(&sh->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(sh->data, fc->scratch, len);
	sh->len = (uint32_t)len;
	sh->count = (uint32_t)k;
	sh->hash = h;
	atomic_fetch_add_explicit(&sh->gen, 1, memory_order_relaxed);
	atomic_store_explicit(&sh->seq, s + 2, memory_order_release);
	atomic_store(&sh->loaded, 1);
out:
	free(p);
	return rc;
}

void
hc_flagcache_set_down(struct hc_flagcache *fc, int down)
{
	if (atomic_exchange(&fc->shm->down, down) != down)
		hc_log(down ? HC_LOG_WARN : HC_LOG_INFO, down ?
		    "flags: Redis unreachable; workers answer the last values seen, marked stale" :
		    "flags: Redis reachable again; answers are fresh");
}

/* ------------------------------------------------------------ the watcher */

int
hc_flagcache_sync(struct hc_flagcache *fc, struct hc_redis *r, const char *key)
{
	struct hc_flagshm *sh = fc->shm;
	redisReply	*rep;
	const char	**names = NULL, **vals = NULL;
	size_t		*nlens = NULL, *vlens = NULL, i, n;
	int		 rc = -1;

	if ((rep = hc_redis_cmd(r, "HGETALL %s", key)) == NULL) {
		if (!atomic_load(&sh->down))
			hc_log(HC_LOG_ERROR, "flags: %s", hc_redis_errstr(r));
		goto out;
	}
	if (rep->type != REDIS_REPLY_ARRAY) {
		hc_log(HC_LOG_ERROR, "flags: HGETALL %s: %s", key,
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "not a hash");
		goto out;
	}
	n = rep->elements / 2;
	hc_log(HC_LOG_DEBUG, "flags: read %zu fields of %s", n, key);
	if (n > 0 && ((names = calloc(n, sizeof(*names))) == NULL ||
	    (vals = calloc(n, sizeof(*vals))) == NULL ||
	    (nlens = calloc(n, sizeof(*nlens))) == NULL ||
	    (vlens = calloc(n, sizeof(*vlens))) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		const redisReply *k = rep->element[2 * i], *v = rep->element[2 * i + 1];

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			goto out;
		names[i] = k->str;
		nlens[i] = k->len;
		vals[i] = v->str;
		vlens[i] = v->len;
	}
	hc_flagcache_store(fc, names, nlens, vals, vlens, n);
	rc = 0;
out:
	/* an error reply (say WRONGTYPE) is no outage: the copy stays as it was */
	hc_flagcache_set_down(fc, rc == -1 && rep == NULL);
	atomic_store(&sh->tried, 1);
	freeReplyObject(rep);
	free(names);
	free(vals);
	free(nlens);
	free(vlens);
	return rc;
}

struct hc_flagwatch {
	struct hc_flagcache	*fc;
	struct hc_redis		*sub, *cmd;
	const char		*key;
	long			 poll_ms;
	char			 ks[512];	/* the hash's keyspace channel */
	/*
	 * The subscribed connection, read directly: through hc_redis a
	 * connection idle for a while with bytes waiting counts as closed by
	 * the server, and a subscriber's waiting bytes are its messages.
	 */
	redisContext		*c;
	int			 subscribed;
	double			 next_sync;	/* hc_time_mono_ms() when an HGETALL is due */
	double			 retry_at;	/* when to try subscribing again */
};

struct hc_flagwatch *
hc_flagwatch_new(struct hc_flagcache *fc, struct hc_redis *sub, struct hc_redis *cmd,
    const char *key, long poll_ms)
{
	struct hc_flagwatch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fc = fc;
	w->sub = sub;
	w->cmd = cmd;
	w->key = key;
	w->poll_ms = poll_ms > 0 ? poll_ms : 1000;
	snprintf(w->ks, sizeof(w->ks), "__keyspace@%d__:%s", hc_redis_db(sub), key);
	return w;
}

void
hc_flagwatch_free(struct hc_flagwatch *w)
{
	free(w);
}

/* SUBSCRIBE on the watcher's own connection; 0, or -1 (connection dropped). */
static int
hc_watch_subscribe(struct hc_flagwatch *w)
{
	redisContext	*c;
	redisReply	*rep;

	if ((c = hc_redis_context(w->sub)) == NULL)
		return -1;
	rep = redisCommand(c, "SUBSCRIBE %s %s", HC_FLAGS_CHANNEL, w->ks);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		hc_redis_drop(w->sub);
		return -1;
	}
	freeReplyObject(rep);
	w->c = c;
	return 0;
}

/* Reads what the subscription has; 1 when a message came, 0 none, -1 connection lost. */
static int
hc_watch_read(redisContext *c)
{
	redisReply	*r;
	void		*rep;
	int		 news = 0;

	if (c == NULL || redisBufferRead(c) != REDIS_OK)
		return -1;
	for (;;) {
		rep = NULL;
		if (redisGetReplyFromReader(c, &rep) != REDIS_OK)
			return -1;
		if (rep == NULL)
			break;
		r = rep;
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[0]->str, "message") == 0)
			news = 1;
		freeReplyObject(rep);
	}
	return news;
}

long
hc_flagwatch_step(struct hc_flagwatch *w, long budget_ms)
{
	struct pollfd	 pfd;
	double		 now, end = hc_time_mono_ms() + (double)budget_ms, wake;
	int		 timeout;

	for (;;) {
		now = hc_time_mono_ms();
		if (!w->subscribed && now >= w->retry_at) {
			if (hc_watch_subscribe(w) == 0) {
				w->subscribed = 1;
				w->next_sync = now;	/* what changed while we were away */
			} else {
				hc_flagcache_set_down(w->fc, 1);
				atomic_store(&w->fc->shm->tried, 1);
				w->retry_at = now + HC_FLAGCACHE_RETRY_MS;
			}
		}
		if (now >= w->next_sync)
			w->next_sync = now + (hc_flagcache_sync(w->fc, w->cmd, w->key) == 0 ?
			    (double)w->poll_ms : HC_FLAGCACHE_RETRY_MS);
		now = hc_time_mono_ms();
		if (now >= end)
			return 1;
		wake = w->next_sync;
		if (!w->subscribed && w->retry_at < wake)
			wake = w->retry_at;
		if (end < wake)
			wake = end;
		timeout = wake > now ? (int)(wake - now) + 1 : 0;
		pfd.fd = -1;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (w->subscribed)
			pfd.fd = w->c->fd;
		if (poll(&pfd, 1, timeout) <= 0 || pfd.revents == 0)
			continue;
		switch (hc_watch_read(w->c)) {
		case 1:
			w->next_sync = 0;	/* a change: read it now (messages read together count once) */
			break;
		case 0:
			break;
		default:
			/* lost the subscription: find out at once whether Redis is gone */
			hc_redis_drop(w->sub);
			w->c = NULL;
			w->subscribed = 0;
			w->retry_at = 0;
			w->next_sync = 0;
			break;
		}
	}
}

/* ------------------------------------------------------------ the readers */

struct hc_flagview *
hc_flagview_new(struct hc_flagcache *fc)
{
	struct hc_flagview *v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->fc = fc;
	return v;
}

void
hc_flagview_free(struct hc_flagview *v)
{
	if (v == NULL)
		return;
	free(v->buf);
	free(v->flags);
	free(v);
}

/* Copies the segment under the seqlock; 0, or -1 with no memory. */
static int
hc_flagview_copy(struct hc_flagview *v)
{
	struct hc_flagshm *sh = v->fc->shm;
	uint64_t	 s1, s2, gen, hash;
	size_t		 len, count, i;
	char		*p, *end;

	for (;;) {
		s1 = atomic_load_explicit(&sh->seq, memory_order_acquire);
		if (s1 & 1) {
			sched_yield();
			continue;
		}
		len = sh->len;
		count = sh->count;
		hash = sh->hash;
		gen = atomic_load_explicit(&sh->gen, memory_order_relaxed);
		if (len > v->fc->cap)
			continue;	/* torn: the check below would catch it too */
		if (v->bufcap < len + 1) {
			if ((p = realloc(v->buf, len + 1)) == NULL)
				return -1;
			v->buf = p;
			v->bufcap = len + 1;
		}
		memcpy(v->buf, sh->data, len);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&sh->seq, memory_order_relaxed);
		if (s1 == s2)
			break;
	}
	if (v->ncap < count) {
		struct hc_flag *f = realloc(v->flags, count * sizeof(*f));

		if (f == NULL)
			return -1;
		v->flags = f;
		v->ncap = count;
	}
	v->n = 0;
	for (p = v->buf, end = v->buf + len, i = 0; i < count && p + 3 <= end; i++) {
		size_t nlen = (unsigned char)p[1];

		if (p + 3 + nlen > end)
			break;
		v->flags[i].enabled = p[0] == HC_FLAG_ON;
		v->flags[i].other = p[0] == HC_FLAG_OTHER;
		v->flags[i].name = p + 2;
		v->n++;
		p += 3 + nlen;
	}
	v->gen = gen;
	v->hash = hash;
	return 0;
}

enum hc_flagstate
hc_flagview_sync(struct hc_flagview *v, long first_wait_ms, long stale_after_ms)
{
	struct hc_flagshm *sh = v->fc->shm;
	struct timespec	 ts = { 0, 1000 * 1000 };
	double		 deadline;

	if (!atomic_load(&sh->loaded)) {
		deadline = hc_time_mono_ms() + (double)first_wait_ms;
		while (!atomic_load(&sh->tried) && hc_time_mono_ms() < deadline)
			nanosleep(&ts, NULL);
		if (!atomic_load(&sh->loaded)) {
			v->n = 0;
			return HC_FLAGS_NONE;
		}
	}
	if (atomic_load_explicit(&sh->gen, memory_order_acquire) != v->gen)
		hc_flagview_copy(v);
	if (v->gen == 0)
		return HC_FLAGS_NONE;
	if (atomic_load(&sh->down) ||
	    hc_time_mono_ms() - (double)atomic_load(&sh->synced_ms) > (double)stale_after_ms)
		return HC_FLAGS_STALE;
	return HC_FLAGS_FRESH;
}

size_t
hc_flagview_count(const struct hc_flagview *v)
{
	return v->n;
}

const struct hc_flag *
hc_flagview_at(const struct hc_flagview *v, size_t i)
{
	return i < v->n ? &v->flags[i] : NULL;
}

const struct hc_flag *
hc_flagview_find(const struct hc_flagview *v, const char *name)
{
	size_t	 lo = 0, hi = v->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(name, v->flags[mid].name)) == 0)
			return &v->flags[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

uint64_t
hc_flagview_hash(const struct hc_flagview *v)
{
	return v->hash;
}

int
hc_flagview_wait(struct hc_flagview *v, const char *name, int want, long max_ms)
{
	const struct hc_flag *f;
	struct timespec	 ts = { 0, 200 * 1000 };
	double		 deadline = hc_time_mono_ms() + (double)max_ms;

	for (;;) {
		hc_flagview_sync(v, 0, 1L << 30);
		f = hc_flagview_find(v, name);
		if (want == -1 ? f == NULL : f != NULL && !f->other && f->enabled == want)
			return 0;
		if (hc_time_mono_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
	}
}

/* hc_metrics: request counters, histograms and worker gauges shared by every process of a node. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_log.h"
#include "hc_metrics_seg.h"
#include "hc_sys.h"

const double hc_metrics_buckets[HC_METRICS_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10
};
static const uint64_t hc_bucket_ns[HC_METRICS_NBUCKETS] = {
	500000ull, 1000000ull, 2500000ull, 5000000ull, 10000000ull,
	25000000ull, 50000000ull, 100000000ull, 250000000ull, 500000000ull,
	1000000000ull, 2500000000ull, 5000000000ull, 10000000000ull
};

/* Per process: set by hc_metrics_open/_config/_worker_start, never by handlers. */
static struct hc_seg	*hc_seg;
static struct hc_mprog	*hc_prog;
static struct hc_mproc	*hc_proc;	/* this process's slot, or NULL */
static pid_t		 hc_proc_pid;	/* the pid hc_proc belongs to */
static char		 hc_progname[HC_METRICS_NAMELEN];
static uint32_t		 hc_proghash;	/* FNV-1a of hc_progname, the start of every key hash */
static int		 hc_enabled = 1;
static uint64_t		 hc_slow_ns = 1000000000ull;
static long		 hc_slow_ms = 1000;
static int		 hc_warned_full, hc_warned_procs;

/* ------------------------------------------------------------------ helpers */

static void
hc_copy(char *dst, size_t len, const char *src)
{
	size_t	 n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	memset(dst + n, 0, len - n);	/* the whole key is compared */
}

static uint32_t
hc_fnv(uint32_t h, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Waits for a slot being claimed by another process; gives up on a dead claimer. */
static uint32_t
hc_wait_ready(_Atomic uint32_t *state)
{
	uint32_t st;
	int	 i;

	for (i = 0; i < 100000; i++) {
		st = atomic_load_explicit(state, memory_order_acquire);
		if (st != HC_SLOT_CLAIMED)
			return st;
		if (i > 100)
			sched_yield();
	}
	return HC_SLOT_CLAIMED;
}

static const char *
hc_method_name(const char *m)
{
	static const char *const known[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"
	};
	size_t	 i;

	/* Clients choose methods freely: a fixed set keeps the series bounded. */
	for (i = 0; m != NULL && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return "other";
}

/* Finds or creates the series of this key; NULL when the table is full. */
static struct hc_mseries *
hc_series(uint16_t kind, const char *method, const char *route, int status)
{
	struct hc_mseries *s;
	char	 mbuf[HC_METHODLEN], rbuf[HC_METRICS_ROUTELEN];
	uint32_t h, st, exp;
	uint16_t code = (uint16_t)(status < 0 || status > 999 ? 0 : status);
	size_t	 i;

	hc_copy(mbuf, sizeof(mbuf), method);
	hc_copy(rbuf, sizeof(rbuf), route);
	h = hc_fnv(hc_proghash, (const char *)&kind, sizeof(kind));
	h = hc_fnv(h, mbuf, strlen(mbuf));
	h = hc_fnv(h, rbuf, strlen(rbuf));
	h = hc_fnv(h, (const char *)&code, sizeof(code));
	/* FNV's low bits cluster: mix them before they pick the slot */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;

	/*
	 * Linear probing over slots that are never freed: two processes
	 * creating the same key meet at the same first free slot, where the
	 * CAS picks one and the other waits for its key.  A free slot also
	 * proves the key is new.  Twice as many slots as series keep the
	 * probe sequences short when the series are all taken.
	 */
	for (i = 0; i < HC_METRICS_SLOTS; i++) {
		s = &hc_seg->series[(h + i) & (HC_METRICS_SLOTS - 1)];
		st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == HC_SLOT_FREE) {
			if (atomic_fetch_add_explicit(&hc_seg->hdr.nused, 1,
			    memory_order_relaxed) >= HC_METRICS_SERIES) {
				atomic_fetch_sub_explicit(&hc_seg->hdr.nused, 1,
				    memory_order_relaxed);
				break;
			}
			exp = HC_SLOT_FREE;
			if (atomic_compare_exchange_strong_explicit(&s->state,
			    &exp, HC_SLOT_CLAIMED, memory_order_acq_rel,
			    memory_order_acquire)) {
				s->hash = h;
				s->kind = kind;
				s->status = code;
				memcpy(s->program, hc_progname, sizeof(s->program));
				memcpy(s->method, mbuf, sizeof(s->method));
				memcpy(s->route, rbuf, sizeof(s->route));
				atomic_store_explicit(&s->state, HC_SLOT_READY,
				    memory_order_release);
				return s;
			}
			atomic_fetch_sub_explicit(&hc_seg->hdr.nused, 1,
			    memory_order_relaxed);
			st = exp;
		}
		if (st == HC_SLOT_CLAIMED)
			st = hc_wait_ready(&s->state);
		if (st == HC_SLOT_READY && s->hash == h && s->kind == kind &&
		    s->status == code &&
		    memcmp(s->program, hc_progname, sizeof(s->program)) == 0 &&
		    memcmp(s->method, mbuf, sizeof(mbuf)) == 0 &&
		    memcmp(s->route, rbuf, sizeof(rbuf)) == 0)
			return s;
	}
	atomic_fetch_add_explicit(&hc_seg->hdr.dropped, 1, memory_order_relaxed);
	if (!hc_warned_full) {
		hc_warned_full = 1;
		hc_log(HC_LOG_ERROR, "metrics: the segment is full (%d series): "
		    "new series are dropped and counted in "
		    "headcount_metrics_dropped_total", HC_METRICS_SERIES);
	}
	return NULL;
}

static struct hc_mprog *
hc_program_slot(struct hc_seg *seg, const char *name)
{
	struct hc_mprog *p;
	char	 key[HC_METRICS_NAMELEN];
	uint32_t st, exp;
	size_t	 i;

	hc_copy(key, sizeof(key), name);
	for (i = 0; i < HC_METRICS_PROGRAMS; i++) {
		p = &seg->progs[i];
		st = atomic_load_explicit(&p->state, memory_order_acquire);
		if (st == HC_SLOT_FREE) {
			exp = HC_SLOT_FREE;
			if (atomic_compare_exchange_strong_explicit(&p->state,
			    &exp, HC_SLOT_CLAIMED, memory_order_acq_rel,
			    memory_order_acquire)) {
				memcpy(p->name, key, sizeof(p->name));
				atomic_store_explicit(&p->state, HC_SLOT_READY,
				    memory_order_release);
				return p;
			}
			st = exp;
		}
		if (st == HC_SLOT_CLAIMED)
			st = hc_wait_ready(&p->state);
		if (st == HC_SLOT_READY && memcmp(p->name, key, sizeof(key)) == 0)
			return p;
	}
	return NULL;
}

/* Claims a process slot for the caller; NULL when the table is full. */
static struct hc_mproc *
hc_proc_claim(int worker)
{
	struct hc_procinfo pi;
	struct hc_mproc *q;
	uint32_t exp;
	size_t	 i;

	if (hc_sys_proc(0, &pi) == -1)
		memset(&pi, 0, sizeof(pi));
	for (i = 0; i < HC_METRICS_PROCS; i++) {
		q = &hc_seg->procs[i];
		exp = HC_SLOT_FREE;
		if (!atomic_compare_exchange_strong_explicit(&q->state, &exp,
		    HC_SLOT_CLAIMED, memory_order_acq_rel, memory_order_relaxed))
			continue;
		q->prog = (uint32_t)(hc_prog - hc_seg->progs);
		q->pid = (int32_t)getpid();
		q->worker = (uint32_t)worker;
		q->start_time = pi.start_time;
		atomic_store_explicit(&q->busy, 0, memory_order_relaxed);
		atomic_store_explicit(&q->cpu_us,
		    (uint64_t)(pi.cpu_seconds * 1e6), memory_order_relaxed);
		if (worker)
			atomic_fetch_add_explicit(&hc_prog->workers, 1,
			    memory_order_relaxed);
		atomic_store_explicit(&q->state, HC_SLOT_READY,
		    memory_order_release);
		return q;
	}
	if (!hc_warned_procs) {
		hc_warned_procs = 1;
		hc_log(HC_LOG_ERROR, "metrics: the process table is full (%d): "
		    "pid %ld is not in the worker gauges", HC_METRICS_PROCS,
		    (long)getpid());
	}
	return NULL;
}

struct hc_seg *
hc_metrics_seg(void)
{
	return hc_seg;
}

void
hc_metrics_proc_retire(struct hc_seg *seg, struct hc_mproc *q, uint64_t final_us)
{
	struct hc_mprog *p;
	uint32_t exp = HC_SLOT_READY;
	uint64_t cpu;

	if (!atomic_compare_exchange_strong_explicit(&q->state, &exp,
	    HC_SLOT_CLAIMED, memory_order_acq_rel, memory_order_relaxed))
		return;
	if (q->prog < HC_METRICS_PROGRAMS) {
		p = &seg->progs[q->prog];
		cpu = atomic_load_explicit(&q->cpu_us, memory_order_relaxed);
		if (final_us > cpu)
			cpu = final_us;
		atomic_fetch_add_explicit(&p->cpu_gone_us, cpu,
		    memory_order_relaxed);
		if (q->worker) {
			atomic_fetch_sub_explicit(&p->workers, 1,
			    memory_order_relaxed);
			if (atomic_exchange_explicit(&q->busy, 0,
			    memory_order_relaxed))
				atomic_fetch_sub_explicit(&p->busy, 1,
				    memory_order_relaxed);
		}
	}
	atomic_store_explicit(&q->state, HC_SLOT_FREE, memory_order_release);
}

/* ------------------------------------------------------------------ open / close */

static int
hc_header_ok(const struct hc_mhdr *h)
{
	return memcmp(h->magic, HC_SEG_MAGIC, sizeof(h->magic)) == 0 &&
	    h->version == HC_SEG_VERSION && h->nseries == HC_METRICS_SERIES &&
	    h->nslots == HC_METRICS_SLOTS &&
	    h->nprogs == HC_METRICS_PROGRAMS && h->nprocs == HC_METRICS_PROCS &&
	    h->nbuckets == HC_METRICS_NBUCKETS &&
	    h->namelen == HC_METRICS_NAMELEN &&
	    h->routelen == HC_METRICS_ROUTELEN && h->size == sizeof(struct hc_seg);
}

static int
hc_header_blank(const struct hc_mhdr *h)
{
	static const char zero[sizeof(h->magic)];

	return memcmp(h->magic, zero, sizeof(zero)) == 0;
}

/* Maps path; 0, -1 on error, 1 when the file holds another layout. */
static int
hc_map(const char *path, struct hc_seg **out, char *err, size_t errlen)
{
	struct hc_seg *seg = MAP_FAILED;
	struct stat st;
	int	 fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) == -1) {
		snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
		return -1;
	}
	/* Only creation is serialised; the counters never take this lock. */
	if (flock(fd, LOCK_EX) == -1) {
		snprintf(err, errlen, "flock(%s): %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat(%s): %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size != 0 && st.st_size != (off_t)sizeof(struct hc_seg)) {
		rc = 1;
		goto out;
	}
	if (st.st_size == 0 && ftruncate(fd, (off_t)sizeof(struct hc_seg)) == -1) {
		snprintf(err, errlen, "ftruncate(%s, %zu): %s", path,
		    sizeof(struct hc_seg), strerror(errno));
		goto out;
	}
	seg = mmap(NULL, sizeof(struct hc_seg), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (seg == MAP_FAILED) {
		snprintf(err, errlen, "mmap(%s): %s", path, strerror(errno));
		goto out;
	}
	if (hc_header_blank(&seg->hdr)) {
		/* a new file is all zeros: every slot is already free */
		seg->hdr.version = HC_SEG_VERSION;
		seg->hdr.nseries = HC_METRICS_SERIES;
		seg->hdr.nslots = HC_METRICS_SLOTS;
		seg->hdr.nprogs = HC_METRICS_PROGRAMS;
		seg->hdr.nprocs = HC_METRICS_PROCS;
		seg->hdr.nbuckets = HC_METRICS_NBUCKETS;
		seg->hdr.namelen = HC_METRICS_NAMELEN;
		seg->hdr.routelen = HC_METRICS_ROUTELEN;
		seg->hdr.size = sizeof(struct hc_seg);
		atomic_thread_fence(memory_order_release);
		memcpy(seg->hdr.magic, HC_SEG_MAGIC, sizeof(seg->hdr.magic));
	} else if (!hc_header_ok(&seg->hdr)) {
		rc = 1;
		goto out;
	}
	*out = seg;
	seg = MAP_FAILED;
	rc = 0;
out:
	if (seg != MAP_FAILED)
		munmap(seg, sizeof(struct hc_seg));
	/* explicitly: the mapping holds the open file, so close alone keeps the lock */
	flock(fd, LOCK_UN);
	close(fd);
	return rc;
}

int
hc_metrics_open(const char *path, const char *program, char *err, size_t errlen)
{
	struct hc_seg *seg = NULL;
	int	 rc;

	hc_metrics_close();
	if (path == NULL || *path == '\0' || program == NULL || *program == '\0') {
		snprintf(err, errlen, "hc_metrics_open: no path or program name");
		return -1;
	}
	if ((rc = hc_map(path, &seg, err, errlen)) == 1) {
		/*
		 * Another build's layout: processes still using it keep their
		 * mapping of the old file, new ones share a fresh file.
		 */
		hc_log(HC_LOG_WARN, "metrics: %s has another layout: replaced", path);
		if (unlink(path) == -1 && errno != ENOENT) {
			snprintf(err, errlen, "unlink(%s): %s", path, strerror(errno));
			return -1;
		}
		if ((rc = hc_map(path, &seg, err, errlen)) == 1)
			snprintf(err, errlen, "%s: replaced by another layout meanwhile", path);
	}
	if (rc != 0)
		return -1;
	hc_seg = seg;
	hc_copy(hc_progname, sizeof(hc_progname), program);
	hc_proghash = hc_fnv(2166136261u, hc_progname, strlen(hc_progname));
	if ((hc_prog = hc_program_slot(seg, hc_progname)) == NULL) {
		snprintf(err, errlen, "metrics: more than %d programs share %s",
		    HC_METRICS_PROGRAMS, path);
		munmap(seg, sizeof(*seg));
		hc_seg = NULL;
		return -1;
	}
	hc_proc = hc_proc_claim(0);
	hc_proc_pid = getpid();
	return 0;
}

void
hc_metrics_config(int enabled, long slow_ms)
{
	hc_enabled = enabled != 0;
	if (slow_ms > 0) {
		hc_slow_ms = slow_ms;
		hc_slow_ns = (uint64_t)slow_ms * 1000000ull;
	}
}

int
hc_metrics_worker_start(void)
{
	if (hc_seg == NULL)
		return -1;
	/* the slot inherited across fork is the parent's */
	hc_proc = hc_proc_claim(1);
	hc_proc_pid = getpid();
	return hc_proc == NULL ? -1 : 0;
}

void
hc_metrics_close(void)
{
	struct hc_procinfo pi;
	uint64_t cpu = 0;

	if (hc_seg == NULL)
		return;
	if (hc_proc != NULL && hc_proc_pid == getpid()) {
		if (hc_sys_proc(0, &pi) == 0)
			cpu = (uint64_t)(pi.cpu_seconds * 1e6);
		hc_metrics_proc_retire(hc_seg, hc_proc, cpu);
	}
	munmap(hc_seg, sizeof(*hc_seg));
	hc_seg = NULL;
	hc_prog = NULL;
	hc_proc = NULL;
	hc_proc_pid = 0;
}

/* ------------------------------------------------------------------ recording */

void
hc_metrics_worker_busy(int busy)
{
	int64_t	 n;

	/* hc_proc is this process's own: worker_start replaced the parent's */
	if (hc_seg == NULL || !hc_enabled || hc_proc == NULL)
		return;
	if (busy) {
		if (atomic_exchange_explicit(&hc_proc->busy, 1, memory_order_relaxed))
			return;
		atomic_fetch_add_explicit(&hc_prog->accepted, 1, memory_order_relaxed);
		n = atomic_fetch_add_explicit(&hc_prog->busy, 1,
		    memory_order_relaxed) + 1;
		if (n >= atomic_load_explicit(&hc_prog->workers, memory_order_relaxed))
			atomic_fetch_add_explicit(&hc_prog->all_busy, 1,
			    memory_order_relaxed);
	} else if (atomic_exchange_explicit(&hc_proc->busy, 0, memory_order_relaxed))
		atomic_fetch_sub_explicit(&hc_prog->busy, 1, memory_order_relaxed);
}

void
hc_metrics_handed_over(void)
{
	if (hc_seg == NULL || !hc_enabled || hc_prog == NULL)
		return;
	atomic_fetch_add_explicit(&hc_prog->handed_over, 1, memory_order_relaxed);
}

void
hc_metrics_request(const char *method, const char *route, int status,
    double seconds)
{
	struct hc_mseries *s;
	uint64_t ns;
	size_t	 b;

	if (hc_seg == NULL || !hc_enabled)
		return;
	if (route == NULL)
		route = "unmatched";
	/* NaN and negative durations count as 0; beyond ~584 years as +Inf */
	if (!(seconds > 0))
		ns = 0;
	else if (seconds >= 1.8e10)
		ns = UINT64_MAX / 2;
	else
		ns = (uint64_t)(seconds * 1e9 + 0.5);

	if ((s = hc_series(HC_KIND_COUNTER, hc_method_name(method), route,
	    status)) != NULL)
		atomic_fetch_add_explicit(&s->v[0], 1, memory_order_relaxed);
	if ((s = hc_series(HC_KIND_HISTOGRAM, "", route, 0)) != NULL) {
		for (b = 0; b < HC_METRICS_NBUCKETS && ns > hc_bucket_ns[b]; b++)
			continue;
		atomic_fetch_add_explicit(&s->v[b], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->v[HC_V_SUM], ns, memory_order_relaxed);
	}
	if (ns > hc_slow_ns) {
		atomic_fetch_add_explicit(&hc_prog->slow, 1, memory_order_relaxed);
		hc_log(HC_LOG_WARN, "slow request: %s %s status %d took %.1f ms "
		    "(HEADCOUNT_SLOW_MS=%ld)", hc_method_name(method), route,
		    status, (double)ns / 1e6, hc_slow_ms);
	}
}

void
hc_metrics_count(enum hc_metric m, uint64_t n)
{
	if (hc_seg == NULL || !hc_enabled || (unsigned)m >= HC_METRIC_MAX)
		return;
	atomic_fetch_add_explicit(&hc_prog->ev[m], n, memory_order_relaxed);
}

void
hc_metrics_gauge(enum hc_gauge g, int64_t v)
{
	if (hc_seg == NULL || !hc_enabled || (unsigned)g >= HC_GAUGE_MAX)
		return;
	atomic_store_explicit(&hc_prog->gauge[g], v, memory_order_relaxed);
	atomic_fetch_or_explicit(&hc_prog->gauges_set, 1u << g, memory_order_relaxed);
}

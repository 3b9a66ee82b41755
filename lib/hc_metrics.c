/* hc_metrics: request counters, histograms and worker gauges shared by every process of a node. */
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
#include "hc_sys.h"

/*
 * The segment is shared by processes that never trust each other's
 * progress: every field another process may write concurrently is a
 * lock-free atomic, and a slot's key is written once, before its state
 * word is published (release) and read only after it was seen (acquire).
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "process-shared atomics must be lock-free");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "process-shared atomics must be lock-free");
_Static_assert((HC_METRICS_SERIES & (HC_METRICS_SERIES - 1)) == 0, "series capacity is a power of two");

#define HC_SEG_MAGIC	"HCMETRIC"
#define HC_SEG_VERSION	1u

enum { HC_SLOT_FREE, HC_SLOT_CLAIMED, HC_SLOT_READY };
enum { HC_KIND_COUNTER = 1, HC_KIND_HISTOGRAM = 2 };

/* v[] of a histogram: one count per bucket, the +Inf overflow, the sum in ns. */
#define HC_V_INF	HC_METRICS_NBUCKETS
#define HC_V_SUM	(HC_METRICS_NBUCKETS + 1)
#define HC_V_MAX	(HC_METRICS_NBUCKETS + 2)

#define HC_METHODLEN	8

struct hc_mseries {
	_Atomic uint32_t state;
	uint32_t	 hash;
	uint16_t	 kind;
	uint16_t	 status;
	uint32_t	 pad;
	char		 program[HC_METRICS_NAMELEN];
	char		 method[HC_METHODLEN];
	char		 route[HC_METRICS_ROUTELEN];
	_Atomic uint64_t v[HC_V_MAX];
};

struct hc_mprog {
	_Atomic uint32_t state;
	uint32_t	 pad;
	char		 name[HC_METRICS_NAMELEN];
	_Atomic uint64_t ev[HC_METRIC_MAX];
	_Atomic uint64_t accepted;
	_Atomic uint64_t all_busy;	/* times a request found every worker busy */
	_Atomic uint64_t slow;
	_Atomic int64_t	 busy;		/* tallies for the all-busy test only */
	_Atomic int64_t	 workers;
	_Atomic uint64_t cpu_gone_us;	/* CPU time of processes that are gone */
	_Atomic uint64_t cpu_shown_us;	/* highest total rendered: keeps it monotonic */
};

struct hc_mproc {
	_Atomic uint32_t state;
	uint32_t	 prog;
	int32_t		 pid;
	uint32_t	 worker;
	double		 start_time;	/* tells a reused pid from the process */
	_Atomic uint32_t busy;
	uint32_t	 pad;
	_Atomic uint64_t cpu_us;	/* last CPU reading seen */
};

struct hc_mhdr {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 nseries, nprogs, nprocs, nbuckets, namelen, routelen;
	uint32_t	 pad;
	uint64_t	 size;
	_Atomic uint64_t dropped;
	_Atomic uint64_t nused;		/* series slots taken */
};

struct hc_seg {
	struct hc_mhdr	 hdr;
	struct hc_mprog	 progs[HC_METRICS_PROGRAMS];
	struct hc_mproc	 procs[HC_METRICS_PROCS];
	struct hc_mseries series[HC_METRICS_SERIES];
};

const double hc_metrics_buckets[HC_METRICS_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10
};
static const uint64_t hc_bucket_ns[HC_METRICS_NBUCKETS] = {
	500000ull, 1000000ull, 2500000ull, 5000000ull, 10000000ull,
	25000000ull, 50000000ull, 100000000ull, 250000000ull, 500000000ull,
	1000000000ull, 2500000000ull, 5000000000ull, 10000000000ull
};
static const char *const hc_bucket_le[HC_METRICS_NBUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10"
};

/* Per process: set by hc_metrics_open/_config/_worker_start, never by handlers. */
static struct hc_seg	*hc_seg;
static struct hc_mprog	*hc_prog;
static struct hc_mproc	*hc_proc;	/* this process's slot, or NULL */
static pid_t		 hc_proc_pid;	/* the pid hc_proc belongs to */
static char		 hc_progname[HC_METRICS_NAMELEN];
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
	h = hc_fnv(2166136261u, (const char *)&kind, sizeof(kind));
	h = hc_fnv(h, hc_progname, sizeof(hc_progname));
	h = hc_fnv(h, mbuf, sizeof(mbuf));
	h = hc_fnv(h, rbuf, strlen(rbuf));
	h = hc_fnv(h, (const char *)&code, sizeof(code));

	/*
	 * Linear probing over slots that are never freed: two processes
	 * creating the same key meet at the same first free slot, where the
	 * CAS picks one and the other waits for its key.
	 */
	for (i = 0; i < HC_METRICS_SERIES; i++) {
		s = &hc_seg->series[(h + i) & (HC_METRICS_SERIES - 1)];
		st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == HC_SLOT_FREE) {
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
				atomic_fetch_add_explicit(&hc_seg->hdr.nused, 1,
				    memory_order_relaxed);
				return s;
			}
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

/*
 * Frees a READY process slot, once, whoever calls: its last CPU reading
 * (cpu_us, or final_us when larger) moves to the program's total.
 */
static void
hc_proc_retire(struct hc_seg *seg, struct hc_mproc *q, uint64_t final_us)
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
		hc_proc_retire(hc_seg, hc_proc, cpu);
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

	if (hc_seg == NULL || !hc_enabled || hc_proc == NULL ||
	    hc_proc_pid != getpid())
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

/* ------------------------------------------------------------------ rendering */

struct hc_buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static int
hc_grow(char **p, size_t *len, size_t *cap, size_t more)
{
	size_t	 ncap;
	char	*np;

	if (*len + more + 1 <= *cap)
		return 0;
	ncap = *cap ? *cap : 4096;
	while (ncap < *len + more + 1)
		ncap *= 2;
	if ((np = realloc(*p, ncap)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static void
hc_put(struct hc_buf *b, const char *s, size_t n)
{
	if (b->oom || hc_grow(&b->p, &b->len, &b->cap, n) == -1) {
		b->oom = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
hc_puts(struct hc_buf *b, const char *s)
{
	hc_put(b, s, strlen(s));
}

static void
hc_put_u64(struct hc_buf *b, uint64_t v)
{
	char	 tmp[24];
	size_t	 i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	hc_put(b, tmp + i, sizeof(tmp) - i);
}

static void
hc_put_i64(struct hc_buf *b, int64_t v)
{
	if (v < 0) {
		hc_put(b, "-", 1);
		hc_put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else
		hc_put_u64(b, (uint64_t)v);
}

/* A fixed-point amount (v / 10^digits) without a trailing zero. */
static void
hc_put_fixed(struct hc_buf *b, uint64_t v, unsigned digits)
{
	uint64_t scale = 1, frac;
	char	 tmp[24];
	unsigned i;
	size_t	 n;

	for (i = 0; i < digits; i++)
		scale *= 10;
	hc_put_u64(b, v / scale);
	if ((frac = v % scale) == 0)
		return;
	for (i = digits; i > 0; i--) {
		tmp[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	tmp[0] = '.';
	n = digits + 1;
	while (tmp[n - 1] == '0')
		n--;
	hc_put(b, tmp, n);
}

int
hc_metrics_escape(char **buf, size_t *len, size_t *cap, const char *s,
    int quote_too)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && quote_too)
			rep = "\\\"";
		else
			continue;
		if (hc_grow(buf, len, cap, (size_t)(s - run) + 2) == -1)
			return -1;
		memcpy(*buf + *len, run, (size_t)(s - run));
		*len += (size_t)(s - run);
		memcpy(*buf + *len, rep, 2);
		*len += 2;
		run = s + 1;
	}
	if (hc_grow(buf, len, cap, (size_t)(s - run)) == -1)
		return -1;
	memcpy(*buf + *len, run, (size_t)(s - run));
	*len += (size_t)(s - run);
	(*buf)[*len] = '\0';
	return 0;
}

static void
hc_put_label(struct hc_buf *b, const char *s)
{
	if (!b->oom && hc_metrics_escape(&b->p, &b->len, &b->cap, s, 1) == -1)
		b->oom = 1;
}

static void
hc_family(struct hc_buf *b, const char *name, const char *type, const char *help)
{
	hc_puts(b, "# HELP ");
	hc_puts(b, name);
	hc_puts(b, " ");
	hc_puts(b, help);	/* constant texts: nothing to escape */
	hc_puts(b, "\n# TYPE ");
	hc_puts(b, name);
	hc_puts(b, " ");
	hc_puts(b, type);
	hc_puts(b, "\n");
}

/* name{program="p"} */
static void
hc_prog_sample(struct hc_buf *b, const char *name, const char *prog)
{
	hc_puts(b, name);
	hc_puts(b, "{program=\"");
	hc_put_label(b, prog);
	hc_puts(b, "\"} ");
}

struct hc_progview {
	int		 used;
	const char	*name;
	uint64_t	 rss, cpu_us;
	int64_t		 fds;
	double		 start;
	uint64_t	 busy, idle, procs;
};

/* Reads /proc for every registered process; retires the ones that are gone. */
static void
hc_sweep(struct hc_seg *seg, struct hc_progview *pv)
{
	struct hc_procinfo pi;
	struct hc_mproc *q;
	struct hc_progview *v;
	uint64_t cpu, seen, shown;
	size_t	 i;

	for (i = 0; i < HC_METRICS_PROGRAMS; i++) {
		v = &pv[i];
		memset(v, 0, sizeof(*v));
		if (atomic_load_explicit(&seg->progs[i].state,
		    memory_order_acquire) != HC_SLOT_READY)
			continue;
		v->used = 1;
		v->name = seg->progs[i].name;
		/* read before the processes: a retirement in between shows late, never twice */
		v->cpu_us = atomic_load_explicit(&seg->progs[i].cpu_gone_us,
		    memory_order_acquire);
	}
	for (i = 0; i < HC_METRICS_PROCS; i++) {
		q = &seg->procs[i];
		if (atomic_load_explicit(&q->state, memory_order_acquire) !=
		    HC_SLOT_READY || q->prog >= HC_METRICS_PROGRAMS ||
		    !pv[q->prog].used)
			continue;
		if (hc_sys_proc((pid_t)q->pid, &pi) == -1 ||
		    (q->start_time != 0 && (pi.start_time > q->start_time + 0.5 ||
		    pi.start_time < q->start_time - 0.5))) {
			hc_proc_retire(seg, q, 0);	/* gone, or its pid reused */
			continue;
		}
		v = &pv[q->prog];
		cpu = (uint64_t)(pi.cpu_seconds * 1e6);
		seen = atomic_load_explicit(&q->cpu_us, memory_order_relaxed);
		while (cpu > seen && !atomic_compare_exchange_weak_explicit(
		    &q->cpu_us, &seen, cpu, memory_order_relaxed,
		    memory_order_relaxed))
			continue;
		v->cpu_us += cpu > seen ? cpu : seen;
		v->rss += pi.rss_bytes;
		if (pi.open_fds > 0)
			v->fds += pi.open_fds;
		if (v->start == 0 || (pi.start_time > 0 && pi.start_time < v->start))
			v->start = pi.start_time;
		v->procs++;
		if (q->worker) {
			if (atomic_load_explicit(&q->busy, memory_order_relaxed))
				v->busy++;
			else
				v->idle++;
		}
	}
	/* a process that exits between two scrapes must not make the total dip */
	for (i = 0; i < HC_METRICS_PROGRAMS; i++) {
		if (!pv[i].used)
			continue;
		shown = atomic_load_explicit(&seg->progs[i].cpu_shown_us,
		    memory_order_relaxed);
		while (pv[i].cpu_us > shown &&
		    !atomic_compare_exchange_weak_explicit(
		    &seg->progs[i].cpu_shown_us, &shown, pv[i].cpu_us,
		    memory_order_relaxed, memory_order_relaxed))
			continue;
		if (shown > pv[i].cpu_us)
			pv[i].cpu_us = shown;
	}
}

static void
hc_render_requests(struct hc_buf *b, struct hc_seg *seg)
{
	struct hc_mseries *s;
	char	 code[8];
	size_t	 i;

	hc_family(b, "http_requests_total", "counter",
	    "HTTP requests answered, by program, method, route pattern and status.");
	for (i = 0; i < HC_METRICS_SERIES && !b->oom; i++) {
		s = &seg->series[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) !=
		    HC_SLOT_READY || s->kind != HC_KIND_COUNTER)
			continue;
		snprintf(code, sizeof(code), "%u", (unsigned)s->status);
		hc_puts(b, "http_requests_total{program=\"");
		hc_put_label(b, s->program);
		hc_puts(b, "\",method=\"");
		hc_put_label(b, s->method);
		hc_puts(b, "\",route=\"");
		hc_put_label(b, s->route);
		hc_puts(b, "\",status=\"");
		hc_puts(b, code);
		hc_puts(b, "\"} ");
		hc_put_u64(b, atomic_load_explicit(&s->v[0], memory_order_relaxed));
		hc_puts(b, "\n");
	}
}

static void
hc_render_durations(struct hc_buf *b, struct hc_seg *seg)
{
	static const char name[] = "http_request_duration_seconds";
	struct hc_mseries *s;
	uint64_t v[HC_V_MAX], cum;
	size_t	 i, k, lab0, lablen;
	char	*labels;

	hc_family(b, name, "histogram",
	    "Time from accepting a request to its last byte, by program and route pattern.");
	for (i = 0; i < HC_METRICS_SERIES && !b->oom; i++) {
		s = &seg->series[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) !=
		    HC_SLOT_READY || s->kind != HC_KIND_HISTOGRAM)
			continue;
		/* one snapshot: +Inf and _count come from the same numbers */
		for (k = 0; k < HC_V_MAX; k++)
			v[k] = atomic_load_explicit(&s->v[k], memory_order_relaxed);
		/* the escaped labels, written once and copied for each line */
		lab0 = b->len;
		hc_puts(b, "program=\"");
		hc_put_label(b, s->program);
		hc_puts(b, "\",route=\"");
		hc_put_label(b, s->route);
		hc_puts(b, "\"");
		if (b->oom)
			break;
		lablen = b->len - lab0;
		if ((labels = malloc(lablen)) == NULL) {
			b->oom = 1;
			break;
		}
		memcpy(labels, b->p + lab0, lablen);
		b->len = lab0;
		for (cum = 0, k = 0; k <= HC_METRICS_NBUCKETS; k++) {
			cum += v[k];
			hc_puts(b, name);
			hc_puts(b, "_bucket{");
			hc_put(b, labels, lablen);
			hc_puts(b, ",le=\"");
			hc_puts(b, k < HC_METRICS_NBUCKETS ? hc_bucket_le[k] : "+Inf");
			hc_puts(b, "\"} ");
			hc_put_u64(b, cum);
			hc_puts(b, "\n");
		}
		hc_puts(b, name);
		hc_puts(b, "_sum{");
		hc_put(b, labels, lablen);
		hc_puts(b, "} ");
		hc_put_fixed(b, v[HC_V_SUM], 9);
		hc_puts(b, "\n");
		hc_puts(b, name);
		hc_puts(b, "_count{");
		hc_put(b, labels, lablen);
		hc_puts(b, "} ");
		hc_put_u64(b, cum);
		hc_puts(b, "\n");
		free(labels);
	}
}

/* One family with a sample per program (every registered one, or only live ones). */
enum hc_pfield {
	HC_PF_EV, HC_PF_ACCEPTED, HC_PF_ALLBUSY, HC_PF_SLOW, HC_PF_BUSY,
	HC_PF_IDLE, HC_PF_RSS, HC_PF_CPU, HC_PF_FDS, HC_PF_START
};

static void
hc_render_per_program(struct hc_buf *b, struct hc_seg *seg,
    const struct hc_progview *pv, const char *name, const char *type,
    const char *help, enum hc_pfield f, int ev)
{
	const struct hc_mprog *p;
	size_t	 i;

	hc_family(b, name, type, help);
	for (i = 0; i < HC_METRICS_PROGRAMS; i++) {
		if (!pv[i].used)
			continue;
		p = &seg->progs[i];
		if ((f == HC_PF_RSS || f == HC_PF_FDS || f == HC_PF_START) &&
		    pv[i].procs == 0)
			continue;	/* nothing of it runs */
		hc_prog_sample(b, name, pv[i].name);
		switch (f) {
		case HC_PF_EV:
			hc_put_u64(b, atomic_load_explicit(&p->ev[ev],
			    memory_order_relaxed));
			break;
		case HC_PF_ACCEPTED:
			hc_put_u64(b, atomic_load_explicit(&p->accepted,
			    memory_order_relaxed));
			break;
		case HC_PF_ALLBUSY:
			hc_put_u64(b, atomic_load_explicit(&p->all_busy,
			    memory_order_relaxed));
			break;
		case HC_PF_SLOW:
			hc_put_u64(b, atomic_load_explicit(&p->slow,
			    memory_order_relaxed));
			break;
		case HC_PF_BUSY:
			hc_put_u64(b, pv[i].busy);
			break;
		case HC_PF_IDLE:
			hc_put_u64(b, pv[i].idle);
			break;
		case HC_PF_RSS:
			hc_put_u64(b, pv[i].rss);
			break;
		case HC_PF_CPU:
			hc_put_fixed(b, pv[i].cpu_us, 6);
			break;
		case HC_PF_FDS:
			hc_put_i64(b, pv[i].fds);
			break;
		case HC_PF_START:
			hc_put_fixed(b, (uint64_t)(pv[i].start * 100 + 0.5), 2);
			break;
		}
		hc_puts(b, "\n");
	}
}

char *
hc_metrics_render(size_t *len)
{
	static const char *const evname[HC_METRIC_MAX] = {
		"headcount_heartbeats_total",
		"headcount_flag_changes_total",
		"headcount_redis_errors_total",
	};
	static const char *const evhelp[HC_METRIC_MAX] = {
		"Instance heartbeats registered or renewed.",
		"Feature flag changes and deletions.",
		"Redis commands that failed or found Redis unreachable.",
	};
	struct hc_progview pv[HC_METRICS_PROGRAMS];
	struct hc_buf b = { NULL, 0, 0, 0 };
	size_t	 e;

	if (hc_seg == NULL)
		return NULL;
	hc_sweep(hc_seg, pv);
	hc_render_requests(&b, hc_seg);
	hc_render_durations(&b, hc_seg);
	for (e = 0; e < HC_METRIC_MAX; e++)
		hc_render_per_program(&b, hc_seg, pv, evname[e], "counter",
		    evhelp[e], HC_PF_EV, (int)e);
	hc_render_per_program(&b, hc_seg, pv, "headcount_requests_accepted_total",
	    "counter", "Requests taken by a worker.", HC_PF_ACCEPTED, 0);
	hc_render_per_program(&b, hc_seg, pv, "headcount_workers_busy", "gauge",
	    "Workers handling a request now.", HC_PF_BUSY, 0);
	hc_render_per_program(&b, hc_seg, pv, "headcount_workers_idle", "gauge",
	    "Workers waiting for a request now.", HC_PF_IDLE, 0);
	hc_render_per_program(&b, hc_seg, pv, "headcount_workers_all_busy_total",
	    "counter", "Requests that found every worker of the program busy "
	    "(php-fpm's max children reached).", HC_PF_ALLBUSY, 0);
	hc_render_per_program(&b, hc_seg, pv, "headcount_slow_requests_total",
	    "counter", "Requests slower than HEADCOUNT_SLOW_MS.", HC_PF_SLOW, 0);
	hc_render_per_program(&b, hc_seg, pv, "process_resident_memory_bytes",
	    "gauge", "Resident memory of the program's live processes, summed.",
	    HC_PF_RSS, 0);
	hc_render_per_program(&b, hc_seg, pv, "process_cpu_seconds_total",
	    "counter", "User and system CPU time of the program's processes, "
	    "including those that exited.", HC_PF_CPU, 0);
	hc_render_per_program(&b, hc_seg, pv, "process_open_fds", "gauge",
	    "Open file descriptors of the program's live processes, summed.",
	    HC_PF_FDS, 0);
	hc_render_per_program(&b, hc_seg, pv, "process_start_time_seconds",
	    "gauge", "Start time of the program's oldest live process, in "
	    "seconds since the epoch.", HC_PF_START, 0);
	hc_family(&b, "headcount_metrics_dropped_total", "counter",
	    "Requests not recorded because the metrics segment was full.");
	hc_puts(&b, "headcount_metrics_dropped_total ");
	hc_put_u64(&b, atomic_load_explicit(&hc_seg->hdr.dropped,
	    memory_order_relaxed));
	hc_puts(&b, "\n");
	hc_family(&b, "headcount_metrics_series", "gauge",
	    "Series slots in use in the metrics segment.");
	hc_puts(&b, "headcount_metrics_series ");
	hc_put_u64(&b, atomic_load_explicit(&hc_seg->hdr.nused,
	    memory_order_relaxed));
	hc_puts(&b, "\n");
	hc_family(&b, "headcount_metrics_series_capacity", "gauge",
	    "Series slots in the metrics segment.");
	hc_puts(&b, "headcount_metrics_series_capacity ");
	hc_put_u64(&b, HC_METRICS_SERIES);
	hc_puts(&b, "\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	return b.p;
}

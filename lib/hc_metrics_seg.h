/* hc_metrics_seg: layout of the shared metrics segment, private to hc_metrics.c and hc_metrics_render.c. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_METRICS_SEG_H
#define HC_METRICS_SEG_H

#include <stdatomic.h>
#include <stdint.h>

#include "hc_metrics.h"

/*
 * The segment is shared by processes that never trust each other's
 * progress: every field another process may write concurrently is a
 * lock-free atomic, and a slot's key is written once, before its state
 * word is published (release) and read only after it was seen (acquire).
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "process-shared atomics must be lock-free");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "process-shared atomics must be lock-free");
/* Slots of the series table: twice the series, a power of two. */
#define HC_METRICS_SLOTS	(2 * HC_METRICS_SERIES)
_Static_assert((HC_METRICS_SLOTS & (HC_METRICS_SLOTS - 1)) == 0, "series slots are a power of two");

#define HC_SEG_MAGIC	"HCMETRIC"
#define HC_SEG_VERSION	4u

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
	_Atomic uint64_t handed_over;	/* requests moved from a busy worker to an idle one */
	_Atomic int64_t	 busy;		/* tallies for the all-busy test only */
	_Atomic int64_t	 workers;
	_Atomic uint64_t cpu_gone_us;	/* CPU time of processes that are gone */
	_Atomic uint64_t cpu_shown_us;	/* highest total rendered: keeps it monotonic */
	_Atomic int64_t	 gauge[HC_GAUGE_MAX];
	_Atomic uint32_t gauges_set;	/* bit g: gauge g was ever set */
	uint32_t	 pad2;
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
	uint32_t	 nseries, nslots, nprogs, nprocs, nbuckets, namelen, routelen;
	uint64_t	 size;
	_Atomic uint64_t dropped;
	_Atomic uint64_t nused;		/* series taken, at most HC_METRICS_SERIES */
};

struct hc_seg {
	struct hc_mhdr	 hdr;
	struct hc_mprog	 progs[HC_METRICS_PROGRAMS];
	struct hc_mproc	 procs[HC_METRICS_PROCS];
	struct hc_mseries series[HC_METRICS_SLOTS];
};

/* The mapping of this process, or NULL. */
struct hc_seg	*hc_metrics_seg(void);

/*
 * Frees a READY process slot, once, whoever calls: its last CPU reading
 * (cpu_us, or final_us when larger) moves to the program's total.
 */
void	 hc_metrics_proc_retire(struct hc_seg *seg, struct hc_mproc *q,
	    uint64_t final_us);

#endif

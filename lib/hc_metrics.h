/* hc_metrics: request counters, histograms and worker gauges shared by every process of a node. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_METRICS_H
#define HC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hc_err.h"

struct hc_buf;

/*
 * Capacities of the segment (a file mapped MAP_SHARED by every process).
 * They are part of the file's layout: a segment made with other values
 * is replaced at the next hc_metrics_open.
 */
#define HC_METRICS_SERIES	4096	/* counter + histogram series */
#define HC_METRICS_PROGRAMS	32	/* distinct program names */
#define HC_METRICS_PROCS	1024	/* live processes (masters, workers, agent) */
#define HC_METRICS_NAMELEN	32	/* program name, NUL included */
#define HC_METRICS_ROUTELEN	112	/* route pattern, NUL included */
#define HC_METRICS_NBUCKETS	14	/* histogram buckets below +Inf */

/* Domain events counted per program (hc_metrics_count). */
enum hc_metric {
	HC_METRIC_HEARTBEATS,		/* headcount_heartbeats_total */
	HC_METRIC_FLAG_CHANGES,		/* headcount_flag_changes_total */
	HC_METRIC_REDIS_ERRORS,		/* headcount_redis_errors_total */
	/* the events program */
	HC_METRIC_EVENTS_RECEIVED,	/* headcount_events_messages_total */
	HC_METRIC_EVENTS_SENT,		/* headcount_events_deliveries_total */
	HC_METRIC_EVENTS_SLOW,		/* headcount_events_slow_clients_total */
	HC_METRIC_MAX
};

/* Gauges a program sets (hc_metrics_gauge); shown while one of its processes lives. */
enum hc_gauge {
	HC_GAUGE_EVENTS_SSE,		/* headcount_events_streams{protocol="sse"} */
	HC_GAUGE_EVENTS_WS,		/* headcount_events_streams{protocol="ws"} */
	HC_GAUGE_EVENTS_SUBSCRIBED,	/* headcount_events_redis_subscribed */
	HC_GAUGE_MAX
};

/* Upper bounds (seconds) of the duration buckets: 0.5 ms .. 10 s. */
extern const double hc_metrics_buckets[HC_METRICS_NBUCKETS];

/*
 * Maps the segment at path (created 0660 and initialised when missing or
 * of another layout) and registers program (truncated to
 * HC_METRICS_NAMELEN - 1 bytes) and the calling process.  Call once per
 * program before forking: workers inherit the mapping.  Returns 0, or -1
 * with the failing call in err; every other function is then a no-op, so
 * a program may run on without metrics.  Closes a previous mapping.
 */
int	 hc_metrics_open(const char *path, const char *program, char *err,
	    size_t errlen);

/*
 * enabled 0 turns every recording call below into a no-op (the
 * HEADCOUNT_METRICS=off setting); slow_ms is HEADCOUNT_SLOW_MS.
 * Defaults: enabled, 1000 ms.
 */
void	 hc_metrics_config(int enabled, long slow_ms);

/*
 * In a worker after fork: registers this pid as a worker of the program
 * (the busy/idle gauges count it).  Returns 0, or -1 when the process
 * table is full (logged once) or nothing is mapped.
 */
int	 hc_metrics_worker_start(void);

/* A worker took (1) or finished (0) a request. */
void	 hc_metrics_worker_busy(int busy);

/* A waiting request left a busy worker for an idle one (any thread). */
void	 hc_metrics_handed_over(void);

/*
 * Records one finished request: method (anything not a standard method
 * counts as "other"), route pattern (NULL counts as "unmatched"; never
 * pass the raw path), status, duration in seconds.  Slower than
 * HEADCOUNT_SLOW_MS: counted as slow and logged with route and duration.
 * Lock-free except the first time a series is seen.  When the segment is
 * full the request is counted in headcount_metrics_dropped_total and one
 * line is logged per process.
 */
void	 hc_metrics_request(const char *method, const char *route, int status,
	    double seconds);

/* Adds n to a domain counter of this program. */
void	 hc_metrics_count(enum hc_metric m, uint64_t n);

/* Sets a gauge of this program to v (one process per program sets it). */
void	 hc_metrics_gauge(enum hc_gauge g, int64_t v);

/*
 * Renders every family kept in the segment in the Prometheus text format
 * 0.0.4, after dropping processes that no longer exist (their CPU time is
 * kept in the program's total).  Reads /proc/<pid> of each registered
 * process.  Appends the text to b.  Returns HC_OK, HC_ERR_NOTFOUND when
 * nothing is mapped (b unchanged), or HC_ERR_NOMEM (b->err).
 */
enum hc_err hc_metrics_render(struct hc_buf *b);

/*
 * Appends s to b escaped as a label value (quote_too set: \\ \" \n) or
 * as HELP text (\\ \n).  Returns b->err.
 */
enum hc_err hc_metrics_escape(struct hc_buf *b, const char *s, int quote_too);

/*
 * Unregisters this process (its CPU time is kept in the program's total)
 * and unmaps the segment.  Safe to call when nothing is mapped.
 */
void	 hc_metrics_close(void);

#endif

/* hc_metrics_render: the shared metrics segment in the Prometheus text format 0.0.4. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "hc_buf.h"
#include "hc_metrics_seg.h"
#include "hc_sys.h"

static const char *const hc_bucket_le[HC_METRICS_NBUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10"
};


enum hc_err
hc_metrics_escape(struct hc_buf *b, const char *s, int quote_too)
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
		hc_buf_add(b, run, (size_t)(s - run));
		hc_buf_add(b, rep, 2);
		run = s + 1;
	}
	return hc_buf_add(b, run, (size_t)(s - run));
}

#define hc_put_label(b, s)	hc_metrics_escape((b), (s), 1)

static void
hc_family(struct hc_buf *b, const char *name, const char *type, const char *help)
{
	hc_buf_puts(b, "# HELP ");
	hc_buf_puts(b, name);
	hc_buf_puts(b, " ");
	hc_buf_puts(b, help);	/* constant texts: nothing to escape */
	hc_buf_puts(b, "\n# TYPE ");
	hc_buf_puts(b, name);
	hc_buf_puts(b, " ");
	hc_buf_puts(b, type);
	hc_buf_puts(b, "\n");
}

/* name{program="p"} */
static void
hc_prog_sample(struct hc_buf *b, const char *name, const char *prog)
{
	hc_buf_puts(b, name);
	hc_buf_puts(b, "{program=\"");
	hc_put_label(b, prog);
	hc_buf_puts(b, "\"} ");
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
			hc_metrics_proc_retire(seg, q, 0);	/* gone, or its pid reused */
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
	for (i = 0; i < HC_METRICS_SLOTS && b->err == HC_OK; i++) {
		s = &seg->series[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) !=
		    HC_SLOT_READY || s->kind != HC_KIND_COUNTER)
			continue;
		snprintf(code, sizeof(code), "%u", (unsigned)s->status);
		hc_buf_puts(b, "http_requests_total{program=\"");
		hc_put_label(b, s->program);
		hc_buf_puts(b, "\",method=\"");
		hc_put_label(b, s->method);
		hc_buf_puts(b, "\",route=\"");
		hc_put_label(b, s->route);
		hc_buf_puts(b, "\",status=\"");
		hc_buf_puts(b, code);
		hc_buf_puts(b, "\"} ");
		hc_buf_u64(b, atomic_load_explicit(&s->v[0], memory_order_relaxed));
		hc_buf_puts(b, "\n");
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
	for (i = 0; i < HC_METRICS_SLOTS && b->err == HC_OK; i++) {
		s = &seg->series[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) !=
		    HC_SLOT_READY || s->kind != HC_KIND_HISTOGRAM)
			continue;
		/* one snapshot: +Inf and _count come from the same numbers */
		for (k = 0; k < HC_V_MAX; k++)
			v[k] = atomic_load_explicit(&s->v[k], memory_order_relaxed);
		/* the escaped labels, written once and copied for each line */
		lab0 = b->len;
		hc_buf_puts(b, "program=\"");
		hc_put_label(b, s->program);
		hc_buf_puts(b, "\",route=\"");
		hc_put_label(b, s->route);
		hc_buf_puts(b, "\"");
		if (b->err != HC_OK)
			break;
		lablen = b->len - lab0;
		if ((labels = malloc(lablen)) == NULL) {
			b->err = HC_ERR_NOMEM;
			break;
		}
		memcpy(labels, b->p + lab0, lablen);
		b->len = lab0;
		for (cum = 0, k = 0; k <= HC_METRICS_NBUCKETS; k++) {
			cum += v[k];
			hc_buf_puts(b, name);
			hc_buf_puts(b, "_bucket{");
			hc_buf_add(b, labels, lablen);
			hc_buf_puts(b, ",le=\"");
			hc_buf_puts(b, k < HC_METRICS_NBUCKETS ? hc_bucket_le[k] : "+Inf");
			hc_buf_puts(b, "\"} ");
			hc_buf_u64(b, cum);
			hc_buf_puts(b, "\n");
		}
		hc_buf_puts(b, name);
		hc_buf_puts(b, "_sum{");
		hc_buf_add(b, labels, lablen);
		hc_buf_puts(b, "} ");
		hc_buf_fixed(b, v[HC_V_SUM], 9);
		hc_buf_puts(b, "\n");
		hc_buf_puts(b, name);
		hc_buf_puts(b, "_count{");
		hc_buf_add(b, labels, lablen);
		hc_buf_puts(b, "} ");
		hc_buf_u64(b, cum);
		hc_buf_puts(b, "\n");
		free(labels);
	}
}

/* One family with a sample per program (every registered one, or only live ones). */
enum hc_pfield {
	HC_PF_EV, HC_PF_ACCEPTED, HC_PF_ALLBUSY, HC_PF_SLOW, HC_PF_HANDED, HC_PF_BUSY,
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
			hc_buf_u64(b, atomic_load_explicit(&p->ev[ev],
			    memory_order_relaxed));
			break;
		case HC_PF_ACCEPTED:
			hc_buf_u64(b, atomic_load_explicit(&p->accepted,
			    memory_order_relaxed));
			break;
		case HC_PF_ALLBUSY:
			hc_buf_u64(b, atomic_load_explicit(&p->all_busy,
			    memory_order_relaxed));
			break;
		case HC_PF_SLOW:
			hc_buf_u64(b, atomic_load_explicit(&p->slow,
			    memory_order_relaxed));
			break;
		case HC_PF_HANDED:
			hc_buf_u64(b, atomic_load_explicit(&p->handed_over,
			    memory_order_relaxed));
			break;
		case HC_PF_BUSY:
			hc_buf_u64(b, pv[i].busy);
			break;
		case HC_PF_IDLE:
			hc_buf_u64(b, pv[i].idle);
			break;
		case HC_PF_RSS:
			hc_buf_u64(b, pv[i].rss);
			break;
		case HC_PF_CPU:
			hc_buf_fixed(b, pv[i].cpu_us, 6);
			break;
		case HC_PF_FDS:
			hc_buf_i64(b, pv[i].fds);
			break;
		case HC_PF_START:
			hc_buf_fixed(b, (uint64_t)(pv[i].start * 100 + 0.5), 2);
			break;
		}
		hc_buf_puts(b, "\n");
	}
}

/* The gauges programs set, for the programs that set them and still run. */
static void
hc_render_gauges(struct hc_buf *b, struct hc_seg *seg, const struct hc_progview *pv)
{
	static const struct {
		const char	*name, *label, *help;
	} g[HC_GAUGE_MAX] = {
		{ "headcount_events_streams", "sse",
		    "Open realtime streams, by protocol." },
		{ "headcount_events_streams", "ws", NULL },
		{ "headcount_events_redis_subscribed", NULL,
		    "1 while the events program's Redis subscription is active." },
	};
	const struct hc_mprog *p;
	uint32_t set;
	size_t	 i, k;

	for (k = 0; k < HC_GAUGE_MAX; k++) {
		if (g[k].help != NULL)
			hc_family(b, g[k].name, "gauge", g[k].help);
		for (i = 0; i < HC_METRICS_PROGRAMS; i++) {
			if (!pv[i].used || pv[i].procs == 0)
				continue;
			p = &seg->progs[i];
			set = atomic_load_explicit(&p->gauges_set, memory_order_relaxed);
			if ((set & (1u << k)) == 0)
				continue;
			hc_buf_puts(b, g[k].name);
			hc_buf_puts(b, "{program=\"");
			hc_put_label(b, pv[i].name);
			if (g[k].label != NULL) {
				hc_buf_puts(b, "\",protocol=\"");
				hc_buf_puts(b, g[k].label);
			}
			hc_buf_puts(b, "\"} ");
			hc_buf_i64(b, atomic_load_explicit(&p->gauge[k],
			    memory_order_relaxed));
			hc_buf_puts(b, "\n");
		}
	}
}

enum hc_err
hc_metrics_render(struct hc_buf *b)
{
	static const char *const evname[HC_METRIC_MAX] = {
		"headcount_heartbeats_total",
		"headcount_flag_changes_total",
		"headcount_redis_errors_total",
		"headcount_events_messages_total",
		"headcount_events_deliveries_total",
		"headcount_events_slow_clients_total",
	};
	static const char *const evhelp[HC_METRIC_MAX] = {
		"Instance heartbeats registered or renewed.",
		"Feature flag changes and deletions.",
		"Redis commands that failed or found Redis unreachable.",
		"Messages received from Redis pub/sub and relayed to the streams.",
		"Messages written to SSE and WebSocket streams.",
		"Streams disconnected for having more than 1 MiB queued.",
	};
	struct hc_progview pv[HC_METRICS_PROGRAMS];
	struct hc_seg *seg = hc_metrics_seg();
	size_t	 e;

	if (seg == NULL)
		return HC_ERR_NOTFOUND;
	hc_sweep(seg, pv);
	hc_render_requests(b, seg);
	hc_render_durations(b, seg);
	for (e = 0; e < HC_METRIC_MAX; e++)
		hc_render_per_program(b, seg, pv, evname[e], "counter",
		    evhelp[e], HC_PF_EV, (int)e);
	hc_render_gauges(b, seg, pv);
	hc_render_per_program(b, seg, pv, "headcount_requests_accepted_total",
	    "counter", "Requests taken by a worker.", HC_PF_ACCEPTED, 0);
	hc_render_per_program(b, seg, pv, "headcount_workers_busy", "gauge",
	    "Workers handling a request now.", HC_PF_BUSY, 0);
	hc_render_per_program(b, seg, pv, "headcount_workers_idle", "gauge",
	    "Workers waiting for a request now.", HC_PF_IDLE, 0);
	hc_render_per_program(b, seg, pv, "headcount_workers_all_busy_total",
	    "counter", "Requests that found every worker of the program busy "
	    "(php-fpm's max children reached).", HC_PF_ALLBUSY, 0);
	hc_render_per_program(b, seg, pv, "headcount_slow_requests_total",
	    "counter", "Requests slower than HEADCOUNT_SLOW_MS.", HC_PF_SLOW, 0);
	hc_render_per_program(b, seg, pv, "headcount_requests_handed_over_total",
	    "counter", "Requests that waited on a worker busy with a long request "
	    "and went to an idle worker instead.", HC_PF_HANDED, 0);
	hc_render_per_program(b, seg, pv, "process_resident_memory_bytes",
	    "gauge", "Resident memory of the program's live processes, summed.",
	    HC_PF_RSS, 0);
	hc_render_per_program(b, seg, pv, "process_cpu_seconds_total",
	    "counter", "User and system CPU time of the program's processes, "
	    "including those that exited.", HC_PF_CPU, 0);
	hc_render_per_program(b, seg, pv, "process_open_fds", "gauge",
	    "Open file descriptors of the program's live processes, summed.",
	    HC_PF_FDS, 0);
	hc_render_per_program(b, seg, pv, "process_start_time_seconds",
	    "gauge", "Start time of the program's oldest live process, in "
	    "seconds since the epoch.", HC_PF_START, 0);
	hc_family(b, "headcount_metrics_dropped_total", "counter",
	    "Requests not recorded because the metrics segment was full.");
	hc_buf_puts(b, "headcount_metrics_dropped_total ");
	hc_buf_u64(b, atomic_load_explicit(&seg->hdr.dropped,
	    memory_order_relaxed));
	hc_buf_puts(b, "\n");
	hc_family(b, "headcount_metrics_series", "gauge",
	    "Series slots in use in the metrics segment.");
	hc_buf_puts(b, "headcount_metrics_series ");
	hc_buf_u64(b, atomic_load_explicit(&seg->hdr.nused,
	    memory_order_relaxed));
	hc_buf_puts(b, "\n");
	hc_family(b, "headcount_metrics_series_capacity", "gauge",
	    "Series slots in the metrics segment.");
	hc_buf_puts(b, "headcount_metrics_series_capacity ");
	hc_buf_u64(b, HC_METRICS_SERIES);
	hc_buf_puts(b, "\n");
	return b->err;
}

/* hc_history: this node's SQLite history of the cluster's replica counts (samples, rollups, reports). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_HISTORY_H
#define HC_HISTORY_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "hc_err.h"

/*
 * The file HEADCOUNT_DATA_DIR/history.db (WAL mode), written only by the
 * node's agent:
 *   samples(t INTEGER PRIMARY KEY, ...)   one row per aligned interval
 *   rollup(step, t, ...)                  per-hour and per-day aggregates
 *                                         of samples, kept by each insert
 *   mismatches(since INTEGER PRIMARY KEY, first_t, last_t, desired,
 *              active_min)                one row per mismatch period
 * Every report reads index ranges of these, never a whole table.
 */
#define HC_HISTORY_FILE		"history.db"
#define HC_HISTORY_MAX_POINTS	10000L
#define HC_HISTORY_MAX_STEP	(10L * 366 * 86400)

/* One sample of the cluster-wide state for one interval. */
struct hc_sample {
	long long	 t;		/* start of the aligned interval, s since the epoch */
	long		 desired;	/* -1 when unknown */
	char		 source[16];	/* hc_provider_source_name */
	long		 active;
	long		 stale;
	char		 status[24];	/* hc_replicas_name */
	int		 self_preservation;
	long long	 mismatch_since;	/* s, 0 when no mismatch */
};

struct hc_history;

#define HC_HISTORY_RDONLY	0x01	/* read-only (the report readers) */
#define HC_HISTORY_CHECK	0x02	/* run PRAGMA quick_check at open (the agent's start) */

/*
 * Opens dir/history.db; read-write opens create the file and the schema.
 * Returns the handle, or NULL with *err set and the reason in errstr:
 * HC_ERR_PARSE when the file is not a database or fails its check
 * (corrupt: see hc_history_quarantine), HC_ERR_NOTFOUND when a
 * read-only open finds no file, HC_ERR_SQLITE otherwise (disk full,
 * read-only file system, permissions).  Close with hc_history_close.
 */
struct hc_history *hc_history_open(const char *dir, int flags, enum hc_err *err,
	    char *errstr, size_t errlen);

/* NULL-safe. */
void	 hc_history_close(struct hc_history *h);

/* The last failure, naming the call ("INSERT samples: database or disk is full"). */
const char *hc_history_errstr(const struct hc_history *h);

/*
 * Moves a corrupt dir/history.db (and its -wal and -shm) aside to
 * history.db.corrupt-<YYYYmmddTHHMMSSZ>; *moved_to gets the new name.
 * Returns 0, or -1 with the reason in errstr.
 */
int	 hc_history_quarantine(const char *dir, char *moved_to, size_t movedlen,
	    char *errstr, size_t errlen);

/* Transactions around several inserts (the gap fill, the bench loader). */
enum hc_err hc_history_begin(struct hc_history *h);
enum hc_err hc_history_commit(struct hc_history *h);
void	 hc_history_rollback(struct hc_history *h);

/*
 * Stores s unless a sample for s->t is stored already (idempotent);
 * keeps the rollups and the mismatch periods.  *inserted (may be NULL)
 * is 1 when the row is new.  Returns HC_OK or HC_ERR_SQLITE.
 */
enum hc_err hc_history_insert(struct hc_history *h, const struct hc_sample *s,
	    int *inserted);

/* The newest stored sample's t in *t (0 when empty).  HC_OK or HC_ERR_SQLITE. */
enum hc_err hc_history_last(struct hc_history *h, long long *t);

/*
 * Drops everything older than cutoff (rounded down to a UTC day, so the
 * rollups stay whole).  *deleted (may be NULL) counts the samples
 * dropped.  Returns HC_OK or HC_ERR_SQLITE.
 */
enum hc_err hc_history_prune(struct hc_history *h, long long cutoff, long *deleted);

/*
 * Copies the WAL into the file and empties it (after a retention pass or
 * a bulk load; otherwise SQLite checkpoints at 1000 pages of WAL and keeps
 * it under 4 MiB).  Returns HC_OK or HC_ERR_SQLITE (a reader in the way:
 * harmless, the next one succeeds).
 */
enum hc_err hc_history_checkpoint(struct hc_history *h);

/* ------------------------------------------------------------------ reports */

/* A report's range: [from, to) aligned to step. */
struct hc_history_range {
	long long	 from, to;
	long		 step;
	long long	 now;		/* for the duration of a running mismatch */
};

/*
 * Aligns from down and to up to step (1..HC_HISTORY_MAX_STEP) into out.
 * Returns 0, or -1 with a client-safe reason in why: from after to, or
 * more than HC_HISTORY_MAX_POINTS buckets (exactly that many is allowed).
 */
int	 hc_history_range_make(long long from, long long to, long step, long long now,
	    struct hc_history_range *out, char *why, size_t whylen);

/*
 * The report's input rules (API.md), shared by the monitoring program
 * and headcount-history: from and to RFC 3339 (NULL: to is now, from
 * 24 h before to), step a positive integer of seconds (NULL: 300),
 * format "json" or "csv" (NULL: json; *csv set for csv).  Returns 0 with
 * *r aligned, or -1 with a client-safe reason in why.
 */
int	 hc_history_parse(const char *from, const char *to, const char *step,
	    const char *format, long long now, struct hc_history_range *r, int *csv,
	    char *why, size_t whylen);

/* One bucket with samples. */
struct hc_history_point {
	long long	 t;
	long		 samples;
	long		 desired;	/* the latest sample's; -1 unknown */
	long		 active_min, active_max;
	double		 active_avg;
	long		 stale_max;
};

/* One mismatch period. */
struct hc_history_period {
	long long	 start;		/* when the mismatch began */
	long long	 end;		/* first sample without it; 0 while it runs */
	long		 desired;	/* its latest sample's; -1 unknown */
	long		 active_min;
};

typedef int (*hc_history_point_fn)(void *ud, const struct hc_history_point *p);
typedef int (*hc_history_period_fn)(void *ud, const struct hc_history_period *p);

/*
 * Calls fn for each bucket of r with samples, in time order (a callback
 * returning non-zero stops the walk: HC_ERR_IO).  Reads the hourly or
 * daily rollups when step is a multiple of them, else the samples.
 * h may be NULL (no file yet): no buckets, in every report function.
 * Returns HC_OK, HC_ERR_IO or HC_ERR_SQLITE.
 */
enum hc_err hc_history_points(struct hc_history *h, const struct hc_history_range *r,
	    hc_history_point_fn fn, void *ud);

/* The same for the mismatch periods overlapping r, oldest first. */
enum hc_err hc_history_periods(struct hc_history *h, const struct hc_history_range *r,
	    hc_history_period_fn fn, void *ud);

/*
 * The API.md report {"from","to","step","points":[...],"mismatch_periods":
 * [...]} of r, read in one transaction.  Returns a new object the caller
 * puts, or NULL with *err (HC_ERR_NOMEM, HC_ERR_SQLITE).
 */
json_object *hc_history_report_json(struct hc_history *h,
	    const struct hc_history_range *r, enum hc_err *err);

/* A writer for streamed output: 0, or -1 to stop. */
typedef int (*hc_history_write_fn)(void *ud, const char *buf, size_t len);

/*
 * The CSV report of r (header, then one row per point), streamed
 * through write in chunks of a few KiB.  Returns HC_OK, HC_ERR_IO (the
 * writer failed) or HC_ERR_SQLITE (before anything was written, or in
 * the middle: the caller can then only cut the answer short).
 */
enum hc_err hc_history_report_csv(struct hc_history *h,
	    const struct hc_history_range *r, hc_history_write_fn write, void *ud);

/* Writes EXPLAIN QUERY PLAN of each query a report of r runs to fp. */
enum hc_err hc_history_explain(struct hc_history *h, const struct hc_history_range *r,
	    FILE *fp);

#endif

/* hc_history_report: the history report (buckets and mismatch periods) in JSON and streamed CSV. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hc_buf.h"
#include "hc_history_int.h"
#include "hc_time.h"

int
hc_history_range_make(long long from, long long to, long step, long long now,
    struct hc_history_range *out, char *why, size_t whylen)
{
	long long	 n;

	if (step < 1 || step > HC_HISTORY_MAX_STEP) {
		snprintf(why, whylen, "step must be an integer in [1, %ld]", HC_HISTORY_MAX_STEP);
		return -1;
	}
	if (from < 0 || to < 0) {
		snprintf(why, whylen, "from and to must not be before 1970");
		return -1;
	}
	if (from > to) {
		snprintf(why, whylen, "from is after to");
		return -1;
	}
	out->step = step;
	out->from = from - from % step;
	out->to = to % step == 0 ? to : to - to % step + step;
	out->now = now;
	n = (out->to - out->from) / step;
	if (n > HC_HISTORY_MAX_POINTS) {
		snprintf(why, whylen, "%lld points of %ld s between from and to: at most %ld "
		    "are allowed (use a larger step or a shorter range)", n, step,
		    HC_HISTORY_MAX_POINTS);
		return -1;
	}
	return 0;
}

int
hc_history_parse(const char *from, const char *to, const char *step, const char *format,
    long long now, struct hc_history_range *r, int *csv, char *why, size_t whylen)
{
	time_t		 f = 0, t = 0;
	long long	 st = 300;
	char		*end;

	*csv = 0;
	if (step != NULL) {
		errno = 0;
		st = strtoll(step, &end, 10);
		if (*step < '0' || *step > '9' || *end != '\0' || errno != 0 ||
		    st < 1 || st > HC_HISTORY_MAX_STEP) {
			snprintf(why, whylen, "step: not a positive integer of seconds in "
			    "[1, %ld]", HC_HISTORY_MAX_STEP);
			return -1;
		}
	}
	if (format != NULL) {
		if (strcmp(format, "csv") == 0)
			*csv = 1;
		else if (strcmp(format, "json") != 0) {
			snprintf(why, whylen, "format: not one of json, csv");
			return -1;
		}
	}
	if (from != NULL && hc_time_parse(from, &f) == -1) {
		snprintf(why, whylen, "from: not an RFC 3339 date-time (2026-11-22T10:00:00Z)");
		return -1;
	}
	if (to != NULL && hc_time_parse(to, &t) == -1) {
		snprintf(why, whylen, "to: not an RFC 3339 date-time (2026-11-22T10:00:00Z)");
		return -1;
	}
	if (to == NULL)
		t = (time_t)now;
	if (from == NULL)
		f = t - 86400;
	return hc_history_range_make((long long)f, (long long)t, (long)st, now, r, why, whylen);
}

/* The rollup a step can be built from (3600 or 86400), or 0 for the samples. */
static long
hc_history_rollup_of(long step)
{
	if (step % 86400 == 0)
		return 86400;
	if (step % 3600 == 0)
		return 3600;
	return 0;
}

static long
hc_col_long(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
	    (long)sqlite3_column_int64(st, i);
}

enum hc_err
hc_history_points(struct hc_history *h, const struct hc_history_range *r,
    hc_history_point_fn fn, void *ud)
{
	struct hc_history_point	 p;
	sqlite3_stmt		*st;
	long long		 t, bucket, sum = 0;
	long			 roll = hc_history_rollup_of(r->step), amin, amax;
	int			 rc, open = 0;
	enum hc_err		 err = HC_OK;

	if (h == NULL)
		return HC_OK;
	if ((st = hc_history_stmt(h, roll ? HC_HQ_ROLLED : HC_HQ_RAW)) == NULL)
		return HC_ERR_SQLITE;
	if (roll) {
		sqlite3_bind_int64(st, 1, roll);
		sqlite3_bind_int64(st, 2, r->from);
		sqlite3_bind_int64(st, 3, r->to);
	} else {
		sqlite3_bind_int64(st, 1, r->from);
		sqlite3_bind_int64(st, 2, r->to);
	}
	memset(&p, 0, sizeof(p));
	/* Rows come in time order: a bucket is done when the next row is past it. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = sqlite3_column_int64(st, 0);
		bucket = t - t % r->step;
		if (open && bucket != p.t) {
			p.active_avg = (double)sum / (double)p.samples;
			if (fn(ud, &p) != 0) {
				err = HC_ERR_IO;
				goto out;
			}
			open = 0;
		}
		amin = (long)sqlite3_column_int64(st, 3);
		amax = (long)sqlite3_column_int64(st, 4);
		if (!open) {
			memset(&p, 0, sizeof(p));
			p.t = bucket;
			p.active_min = amin;
			p.active_max = amax;
			sum = 0;
			open = 1;
		}
		p.samples += (long)sqlite3_column_int64(st, 1);
		p.desired = hc_col_long(st, 2);	/* the latest row's */
		if (amin < p.active_min)
			p.active_min = amin;
		if (amax > p.active_max)
			p.active_max = amax;
		sum += sqlite3_column_int64(st, 5);
		if ((long)sqlite3_column_int64(st, 6) > p.stale_max)
			p.stale_max = (long)sqlite3_column_int64(st, 6);
	}
	if (rc != SQLITE_DONE) {
		hc_history_seterr(h, "SELECT points");
		err = HC_ERR_SQLITE;
		goto out;
	}
	if (open && p.samples > 0) {
		p.active_avg = (double)sum / (double)p.samples;
		if (fn(ud, &p) != 0)
			err = HC_ERR_IO;
	}
out:
	sqlite3_reset(st);
	return err;
}

enum hc_err
hc_history_periods(struct hc_history *h, const struct hc_history_range *r,
    hc_history_period_fn fn, void *ud)
{
	struct hc_history_period p;
	sqlite3_stmt		*st, *nx;
	long long		 last;
	int			 rc, nrc;
	enum hc_err		 err = HC_OK;

	if (h == NULL)
		return HC_OK;
	if ((st = hc_history_stmt(h, HC_HQ_PERIODS)) == NULL)
		return HC_ERR_SQLITE;
	sqlite3_bind_int64(st, 1, r->from);
	sqlite3_bind_int64(st, 2, r->to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		p.start = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
		p.desired = hc_col_long(st, 2);
		p.active_min = (long)sqlite3_column_int64(st, 3);
		/* It ended with the first sample after its last one; none yet: running. */
		if ((nx = hc_history_stmt(h, HC_HQ_NEXT)) == NULL) {
			err = HC_ERR_SQLITE;
			goto out;
		}
		sqlite3_bind_int64(nx, 1, last);
		nrc = sqlite3_step(nx);
		if (nrc == SQLITE_ROW)
			p.end = sqlite3_column_int64(nx, 0);
		sqlite3_reset(nx);
		if (nrc != SQLITE_ROW && nrc != SQLITE_DONE) {
			hc_history_seterr(h, "SELECT next sample");
			err = HC_ERR_SQLITE;
			goto out;
		}
		if (fn(ud, &p) != 0) {
			err = HC_ERR_IO;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		hc_history_seterr(h, "SELECT mismatches");
		err = HC_ERR_SQLITE;
	}
out:
	sqlite3_reset(st);
	return err;
}

static json_object *
hc_time_json(long long t)
{
	char	 buf[HC_TIME_BUFSZ];

	return json_object_new_string(hc_time_fmt((time_t)t, buf));
}

static json_object *
hc_count_json(long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

/* Adds v under the constant, new key (no copy, no lookup: thousands of points). */
static int
hc_add(json_object *o, const char *key, json_object *v, int nullable)
{
	if (v == NULL && !nullable)
		return -1;
	if (json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* active_avg as the report writes it: two decimals, trailing zeros cut ("2.5", "3.0"). */
static const char *
hc_avg_text(double v, char buf[32])
{
	size_t	 n;

	snprintf(buf, 32, "%.2f", v);
	n = strlen(buf);
	while (n > 3 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	return buf;
}

/* One point as a CSV row (not JSON: numbers and RFC 3339 times, nothing to quote). */
static int
hc_point_csv_row(struct hc_buf *t, const struct hc_history_point *p)
{
	char	 ts[HC_TIME_BUFSZ], d[24], avg[32];
	int	 n;

	if (hc_buf_reserve(t, 256) != HC_OK)
		return -1;
	hc_time_fmt((time_t)p->t, ts);
	hc_avg_text(p->active_avg, avg);
	if (p->desired >= 0)
		snprintf(d, sizeof(d), "%ld", p->desired);
	else
		d[0] = '\0';
	n = snprintf(t->p + t->len, t->cap - t->len, "%s,%ld,%s,%ld,%ld,%s,%ld\n",
	    ts, p->samples, d, p->active_min, p->active_max, avg, p->stale_max);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		return -1;
	t->len += (size_t)n;
	return 0;
}

/*
 * The JSON points: json-c writes each, from one object per report made
 * with all its keys, whose members are updated in place (10,000 new
 * objects would cost more than the report's budget) and serialised into
 * its reused printbuf; the points are joined into one array text.
 * active_avg is a json-c double printed "%.2f" and written with
 * JSON_C_TO_STRING_NOZERO: trailing zeros cut, one kept ("2.5", "3.0").
 * desired is switched between its number and null in its slot.  The
 * integers are json-c ints written as their text (json_object_userdata_
 * to_json_string), formatted only when the value changes: json-c's own
 * int serializer is a snprintf per member per point, and consecutive
 * points mostly repeat samples, desired, active_min/max and stale_max.
 */
enum hc_pk { HC_PK_T, HC_PK_SAMPLES, HC_PK_DESIRED, HC_PK_AMIN, HC_PK_AMAX, HC_PK_AVG,
	HC_PK_STALE, HC_PK_MAX };

struct hc_pnum {
	long long	 v;
	char		 text[24];
};

struct hc_points {
	struct hc_buf	 t;
	json_object	*o;
	json_object	*v[HC_PK_MAX];
	struct hc_pnum	 num[HC_PK_MAX];	/* the integers' text */
	int		 desired_null;
};

#define HC_POINT_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOZERO)

static char	 hc_avg_format[] = "%.2f";

static void
hc_points_free(struct hc_points *ps)
{
	size_t	 i;

	json_object_put(ps->o);
	for (i = 0; i < HC_PK_MAX; i++)
		json_object_put(ps->v[i]);
	free(ps->t.p);
}

static int
hc_points_make(struct hc_points *ps)
{
	static const char *const keys[HC_PK_MAX] = { "t", "samples", "desired", "active_min",
		"active_max", "active_avg", "stale_max" };
	json_object	**v = ps->v;
	size_t		 i;

	memset(ps, 0, sizeof(*ps));
	v[HC_PK_T] = json_object_new_string("1970-01-01T00:00:00Z");
	v[HC_PK_SAMPLES] = json_object_new_int64(0);
	v[HC_PK_DESIRED] = json_object_new_int64(0);
	v[HC_PK_AMIN] = json_object_new_int64(0);
	v[HC_PK_AMAX] = json_object_new_int64(0);
	v[HC_PK_AVG] = json_object_new_double(0);
	v[HC_PK_STALE] = json_object_new_int64(0);
	if ((ps->o = json_object_new_object()) == NULL)
		return -1;
	for (i = 0; i < HC_PK_MAX; i++)
		if (v[i] == NULL || json_object_object_add_ex(ps->o, keys[i], json_object_get(v[i]),
		    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0)
			return -1;
	json_object_set_serializer(v[HC_PK_AVG], json_object_double_to_json_string,
	    hc_avg_format, NULL);
	for (i = 0; i < HC_PK_MAX; i++)
		if (json_object_is_type(v[i], json_type_int)) {
			snprintf(ps->num[i].text, sizeof(ps->num[i].text), "0");
			json_object_set_serializer(v[i], json_object_userdata_to_json_string,
			    ps->num[i].text, NULL);
		}
	return 0;
}

static void
hc_pnum_set(struct hc_points *ps, enum hc_pk k, long long v)
{
	struct hc_pnum	*n = &ps->num[k];

	if (n->v == v)
		return;
	n->v = v;
	snprintf(n->text, sizeof(n->text), "%lld", v);
	json_object_set_int64(ps->v[k], v);
}

static int
hc_point_json(void *ud, const struct hc_history_point *p)
{
	struct hc_points *ps = ud;
	json_object	**v = ps->v;
	const char	*s;
	char		 ts[HC_TIME_BUFSZ];
	size_t		 len;

	json_object_set_string(v[HC_PK_T], hc_time_fmt((time_t)p->t, ts));
	hc_pnum_set(ps, HC_PK_SAMPLES, p->samples);
	if (p->desired >= 0)
		hc_pnum_set(ps, HC_PK_DESIRED, p->desired);
	if (ps->desired_null != (p->desired < 0)) {
		/* in place: the object lets go of (or takes back) its reference */
		if (json_object_object_add(ps->o, "desired",
		    p->desired < 0 ? NULL : json_object_get(v[HC_PK_DESIRED])) != 0)
			return -1;
		ps->desired_null = p->desired < 0;
	}
	hc_pnum_set(ps, HC_PK_AMIN, p->active_min);
	hc_pnum_set(ps, HC_PK_AMAX, p->active_max);
	json_object_set_double(v[HC_PK_AVG], p->active_avg);
	hc_pnum_set(ps, HC_PK_STALE, p->stale_max);
	if ((s = json_object_to_json_string_length(ps->o, HC_POINT_FLAGS, &len)) == NULL ||
	    hc_buf_reserve(&ps->t, len + 1) != HC_OK)
		return -1;
	if (ps->t.len > 1)
		ps->t.p[ps->t.len++] = ',';
	memcpy(ps->t.p + ps->t.len, s, len);
	ps->t.len += len;
	return 0;
}

struct hc_period_ctx {
	json_object	*arr;
	long long	 now;
};

static int
hc_period_json(void *ud, const struct hc_history_period *p)
{
	struct hc_period_ctx *c = ud;
	json_object	*o;
	long long	 dur = (p->end ? p->end : c->now) - p->start;

	if ((o = json_object_new_object()) == NULL)
		return -1;
	if (hc_add(o, "start", hc_time_json(p->start), 0) == -1 ||
	    hc_add(o, "end", p->end ? hc_time_json(p->end) : NULL, 1) == -1 ||
	    hc_add(o, "duration_seconds", json_object_new_int64(dur > 0 ? dur : 0), 0) == -1 ||
	    hc_add(o, "desired", hc_count_json(p->desired), 1) == -1 ||
	    hc_add(o, "active_min", json_object_new_int64(p->active_min), 0) == -1 ||
	    json_object_array_add(c->arr, o) != 0) {
		json_object_put(o);
		return -1;
	}
	return 0;
}

/* A read transaction, so that points and periods see the same samples. */
static enum hc_err
hc_history_read_begin(struct hc_history *h)
{
	if (h == NULL)
		return HC_OK;
	if (sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		hc_history_seterr(h, "BEGIN");
		return HC_ERR_SQLITE;
	}
	return HC_OK;
}

static void
hc_history_read_end(struct hc_history *h)
{
	if (h != NULL && !sqlite3_get_autocommit(h->db))
		(void)sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
}

json_object *
hc_history_report_json(struct hc_history *h, const struct hc_history_range *r,
    enum hc_err *err)
{
	struct hc_period_ctx	 pc;
	struct hc_points	 ps;
	json_object		*o = NULL, *pts = NULL;
	enum hc_err		 e;

	pc.arr = NULL;
	pc.now = r->now;
	*err = HC_ERR_NOMEM;
	if (hc_points_make(&ps) == -1 ||
	    (o = json_object_new_object()) == NULL ||
	    hc_add(o, "from", hc_time_json(r->from), 0) == -1 ||
	    hc_add(o, "to", hc_time_json(r->to), 0) == -1 ||
	    hc_add(o, "step", json_object_new_int64(r->step), 0) == -1 ||
	    (pts = json_object_new_array()) == NULL ||
	    (pc.arr = json_object_new_array()) == NULL ||
	    hc_buf_reserve(&ps.t, 1) != HC_OK)
		goto fail;
	ps.t.p[ps.t.len++] = '[';
	if ((e = hc_history_read_begin(h)) != HC_OK) {
		*err = e;
		goto fail;
	}
	e = hc_history_points(h, r, hc_point_json, &ps);
	if (e == HC_OK)
		e = hc_history_periods(h, r, hc_period_json, &pc);
	hc_history_read_end(h);
	if (e != HC_OK) {
		*err = e == HC_ERR_IO ? HC_ERR_NOMEM : e;
		goto fail;
	}
	if (hc_buf_reserve(&ps.t, 1) != HC_OK)
		goto fail;
	ps.t.p[ps.t.len++] = ']';
	ps.t.p[ps.t.len] = '\0';
	/* The array's serialiser writes the points' text (it owns the buffer now). */
	json_object_set_serializer(pts, json_object_userdata_to_json_string, ps.t.p,
	    json_object_free_userdata);
	ps.t.p = NULL;
	if (json_object_object_add(o, "points", pts) != 0)
		goto fail;
	pts = NULL;
	if (json_object_object_add(o, "mismatch_periods", pc.arr) != 0)
		goto fail;
	hc_points_free(&ps);
	*err = HC_OK;
	return o;
fail:
	hc_points_free(&ps);
	json_object_put(pts);
	json_object_put(pc.arr);
	json_object_put(o);
	return NULL;
}

struct hc_csv {
	hc_history_write_fn	 write;
	void			*ud;
	struct hc_buf		 t;
	int			 failed;
};

#define HC_CSV_CHUNK	16384

static int
hc_csv_flush(struct hc_csv *c)
{
	if (c->t.len > 0 && c->write(c->ud, c->t.p, c->t.len) != 0)
		c->failed = 1;
	c->t.len = 0;
	return c->failed ? -1 : 0;
}

static int
hc_csv_point(void *ud, const struct hc_history_point *p)
{
	struct hc_csv	*c = ud;

	if (hc_point_csv_row(&c->t, p) == -1)
		return -1;
	return c->t.len >= HC_CSV_CHUNK ? hc_csv_flush(c) : 0;
}

enum hc_err
hc_history_report_csv(struct hc_history *h, const struct hc_history_range *r,
    hc_history_write_fn write, void *ud)
{
	static const char head[] = "t,samples,desired,active_min,active_max,active_avg,stale_max\n";
	struct hc_csv	 c;
	enum hc_err	 e;

	memset(&c, 0, sizeof(c));
	c.write = write;
	c.ud = ud;
	if (hc_buf_reserve(&c.t, HC_CSV_CHUNK + 256) != HC_OK)
		return HC_ERR_NOMEM;
	memcpy(c.t.p, head, sizeof(head) - 1);
	c.t.len = sizeof(head) - 1;
	if ((e = hc_history_read_begin(h)) == HC_OK) {
		e = hc_history_points(h, r, hc_csv_point, &c);
		hc_history_read_end(h);
	}
	if (e == HC_OK && hc_csv_flush(&c) == -1)
		e = HC_ERR_IO;
	if (e == HC_ERR_IO && !c.failed)
		e = HC_ERR_NOMEM;
	free(c.t.p);
	return e;
}

static enum hc_err
hc_explain_one(struct hc_history *h, enum hc_hq q, FILE *fp)
{
	sqlite3_stmt	*st = NULL;
	char		 sql[1024];
	int		 rc;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", hc_history_query_text(q));
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		hc_history_seterr(h, "EXPLAIN");
		return HC_ERR_SQLITE;
	}
	fprintf(fp, "query: %s\n", hc_history_query_text(q));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fprintf(fp, "plan: %s\n", (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		hc_history_seterr(h, "EXPLAIN");
		return HC_ERR_SQLITE;
	}
	return HC_OK;
}

enum hc_err
hc_history_explain(struct hc_history *h, const struct hc_history_range *r, FILE *fp)
{
	enum hc_err	 e;

	if ((e = hc_explain_one(h, hc_history_rollup_of(r->step) ? HC_HQ_ROLLED : HC_HQ_RAW,
	    fp)) != HC_OK ||
	    (e = hc_explain_one(h, HC_HQ_PERIODS, fp)) != HC_OK ||
	    (e = hc_explain_one(h, HC_HQ_NEXT, fp)) != HC_OK)
		return e;
	return HC_OK;
}

/* hc_log: JSON-lines logging, serialised by json-c from objects made once per thread; one write(2) per line so workers never interleave. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <json-c/json.h>

static const char *const hc_levels[HC_LOG_MAX] = { "debug", "info", "warn", "error" };

static char	 hc_prog[64] = "headcount";
static unsigned	 hc_prog_gen = 1;	/* bumped when hc_prog changes */
static char	 hc_path[4096];
static int	 hc_fd = STDERR_FILENO;
static enum hc_log_level hc_min = HC_LOG_INFO;
static pid_t	 hc_pid;	/* getpid() is a system call: once per process */

const char *
hc_log_level_name(enum hc_log_level level)
{
	return (unsigned)level < HC_LOG_MAX ? hc_levels[level] : "?";
}

static int
hc_log_open(void)
{
	int	 fd;

	if (hc_path[0] == '\0')
		return 0;
	fd = open(hc_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (hc_fd != STDERR_FILENO)
		close(hc_fd);
	hc_fd = fd;
	return 0;
}

static void
hc_log_forked(void)
{
	hc_pid = getpid();
}

int
hc_log_init(const char *program, const char *path, const char *level)
{
	static int	 atfork;
	size_t		 i;

	if (!atfork) {
		/* every fork (the workers) logs its own pid */
		pthread_atfork(NULL, NULL, hc_log_forked);
		atfork = 1;
	}
	hc_log_forked();

	snprintf(hc_prog, sizeof(hc_prog), "%s", program);
	hc_prog_gen++;
	for (i = 0; level != NULL && i < HC_LOG_MAX; i++)
		if (strcmp(level, hc_levels[i]) == 0)
			hc_min = (enum hc_log_level)i;
	hc_path[0] = '\0';
	if (path == NULL || *path == '\0')
		return 0;
	snprintf(hc_path, sizeof(hc_path), "%s", path);
	return hc_log_open();
}

int
hc_log_reopen(void)
{
	return hc_log_open();
}

/*
 * Every line is json-c's (JSON_C_TO_STRING_PLAIN | NOSLASHESCAPE), but
 * not a new object per line: a dozen allocations per request.  The
 * objects are made once per thread (nothing logs from another thread
 * today; this keeps it safe if something does) with all their keys; a
 * line updates the values in place and serialises the object into its
 * own reused printbuf.  The value objects are shared: the access line
 * has four containers, one per presence of request_id and remote_addr
 * (json-c appends a key it adds, so adding one back would move it),
 * each holding references to the same values; "route" is switched
 * between the string and null in place, in its slot, only when that
 * changes.
 */
#define HC_LINE_MAX	8192	/* a line, newline included, is at most this */
#define HC_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

enum hc_lk {
	HC_LK_TIME, HC_LK_LEVEL, HC_LK_PROGRAM, HC_LK_PID, HC_LK_MSG,
	/* the access line's own */
	HC_LK_ALEVEL, HC_LK_AMSG, HC_LK_REQUEST_ID, HC_LK_METHOD, HC_LK_ROUTE,
	HC_LK_PATH, HC_LK_REMOTE_ADDR, HC_LK_STATUS, HC_LK_DURATION,
	HC_LK_MAX
};

#define HC_ACC_RID	1	/* request_id present */
#define HC_ACC_ADDR	2	/* remote_addr present */

/*
 * An integer member whose text is kept with it: json-c writes that text
 * (json_object_userdata_to_json_string), formatted only when the value
 * changes -- json-c's own int serializer costs a snprintf per line, ~800
 * instructions, for a pid that never changes and a status that rarely does.
 */
struct hc_num {
	long long	 v;
	char		 text[24];
};

struct hc_logobj {
	json_object	*v[HC_LK_MAX];		/* the values */
	json_object	*line;			/* hc_log's */
	json_object	*acc[4];		/* hc_log_access's, by HC_ACC_* */
	int		 route_null[4];
	unsigned	 gen;			/* hc_prog_gen of v[PROGRAM] */
	pid_t		 pid;			/* of v[PID] */
	int		 level;			/* of v[LEVEL], -1 none */
	time_t		 sec;			/* of stamp */
	char		 stamp[32];		/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	char		 ms[32];		/* v[DURATION]'s text, "0.033" */
	struct hc_num	 pid_text, status_text;	/* v[PID]'s, v[STATUS]'s */
};

static _Thread_local struct hc_logobj hc_lo;

static void
hc_num_init(json_object *o, struct hc_num *n)
{
	n->v = 0;
	snprintf(n->text, sizeof(n->text), "0");
	json_object_set_serializer(o, json_object_userdata_to_json_string, n->text, NULL);
}

static void
hc_num_set(json_object *o, struct hc_num *n, long long v)
{
	if (n->v == v)
		return;
	n->v = v;
	snprintf(n->text, sizeof(n->text), "%lld", v);
	json_object_set_int64(o, v);
}

static int
hc_add(json_object *o, const char *key, json_object *v)
{
	/* the container takes a reference of its own; the values stay shared */
	return json_object_object_add_ex(o, key, json_object_get(v),
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

static void
hc_logobj_free(struct hc_logobj *l)
{
	size_t	 i;

	json_object_put(l->line);
	for (i = 0; i < 4; i++)
		json_object_put(l->acc[i]);
	for (i = 0; i < HC_LK_MAX; i++)
		json_object_put(l->v[i]);
	memset(l, 0, sizeof(*l));
}

static int
hc_logobj_make(struct hc_logobj *l)
{
	json_object	**v = l->v, *o;
	unsigned	 m;
	int		 rc = 0;

	memset(l, 0, sizeof(*l));
	v[HC_LK_TIME] = json_object_new_string("1970-01-01T00:00:00.000Z");
	v[HC_LK_LEVEL] = json_object_new_string("debug");
	v[HC_LK_PROGRAM] = json_object_new_string(hc_prog);
	v[HC_LK_PID] = json_object_new_int(0);
	v[HC_LK_MSG] = json_object_new_string("");
	v[HC_LK_ALEVEL] = json_object_new_string("info");
	v[HC_LK_AMSG] = json_object_new_string("request");
	v[HC_LK_REQUEST_ID] = json_object_new_string("");
	v[HC_LK_METHOD] = json_object_new_string("GET");
	v[HC_LK_ROUTE] = json_object_new_string("");
	v[HC_LK_PATH] = json_object_new_string("");
	v[HC_LK_REMOTE_ADDR] = json_object_new_string("");
	v[HC_LK_STATUS] = json_object_new_int(0);
	v[HC_LK_DURATION] = json_object_new_double(0);
	for (m = 0; m < HC_LK_MAX; m++)
		if (v[m] == NULL)
			goto fail;
	/*
	 * duration_ms: a json-c double written as its text, three decimals
	 * (0.033, not 0.033000000000000002), as json_object_new_double_s
	 * does, but kept: the text is updated with the value.  (The "%.3f"
	 * format serializer cost more than the rest of the line.)
	 */
	hc_num_init(v[HC_LK_PID], &l->pid_text);
	hc_num_init(v[HC_LK_STATUS], &l->status_text);
	snprintf(l->ms, sizeof(l->ms), "0.000");
	json_object_set_serializer(v[HC_LK_DURATION], json_object_userdata_to_json_string,
	    l->ms, NULL);

	if ((o = l->line = json_object_new_object()) == NULL)
		goto fail;
	rc |= hc_add(o, "time", v[HC_LK_TIME]);
	rc |= hc_add(o, "level", v[HC_LK_LEVEL]);
	rc |= hc_add(o, "program", v[HC_LK_PROGRAM]);
	rc |= hc_add(o, "pid", v[HC_LK_PID]);
	rc |= hc_add(o, "msg", v[HC_LK_MSG]);
	for (m = 0; m < 4; m++) {
		if ((o = l->acc[m] = json_object_new_object()) == NULL)
			goto fail;
		rc |= hc_add(o, "time", v[HC_LK_TIME]);
		rc |= hc_add(o, "level", v[HC_LK_ALEVEL]);
		rc |= hc_add(o, "program", v[HC_LK_PROGRAM]);
		rc |= hc_add(o, "pid", v[HC_LK_PID]);
		rc |= hc_add(o, "msg", v[HC_LK_AMSG]);
		if (m & HC_ACC_RID)
			rc |= hc_add(o, "request_id", v[HC_LK_REQUEST_ID]);
		rc |= hc_add(o, "method", v[HC_LK_METHOD]);
		rc |= hc_add(o, "route", v[HC_LK_ROUTE]);
		rc |= hc_add(o, "path", v[HC_LK_PATH]);
		if (m & HC_ACC_ADDR)
			rc |= hc_add(o, "remote_addr", v[HC_LK_REMOTE_ADDR]);
		rc |= hc_add(o, "status", v[HC_LK_STATUS]);
		rc |= hc_add(o, "duration_ms", v[HC_LK_DURATION]);
	}
	if (rc != 0)
		goto fail;
	l->gen = hc_prog_gen;
	l->level = -1;
	l->sec = (time_t)-1;
	return 0;
fail:
	hc_logobj_free(l);
	return -1;
}

/* This thread's objects with time, program and pid brought up to date; NULL without memory. */
static struct hc_logobj *
hc_logobj_get(void)
{
	struct hc_logobj *l = &hc_lo;
	struct timespec	 ts;
	struct tm	 tm;
	unsigned	 ms;

	if (l->line == NULL && hc_logobj_make(l) == -1)
		return NULL;
	if (l->gen != hc_prog_gen) {
		json_object_set_string(l->v[HC_LK_PROGRAM], hc_prog);
		l->gen = hc_prog_gen;
	}
	if (hc_pid == 0)
		hc_pid = getpid();
	if (l->pid != hc_pid) {
		hc_num_set(l->v[HC_LK_PID], &l->pid_text, (long long)hc_pid);
		l->pid = hc_pid;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != l->sec) {
		/* the calendar once a second, not per line */
		gmtime_r(&ts.tv_sec, &tm);
		if (strftime(l->stamp, sizeof(l->stamp), "%Y-%m-%dT%H:%M:%S.000Z", &tm) != 24)
			return NULL;
		l->sec = ts.tv_sec;
	}
	ms = (unsigned)(ts.tv_nsec / 1000000);
	l->stamp[20] = (char)('0' + ms / 100);
	l->stamp[21] = (char)('0' + ms / 10 % 10);
	l->stamp[22] = (char)('0' + ms % 10);
	json_object_set_string_len(l->v[HC_LK_TIME], l->stamp, 24);
	return l;
}

/* us as milliseconds with three decimals, "12.345" */
static void
hc_ms_text(char buf[32], long long us)
{
	char		 d[32];
	int		 i = (int)sizeof(d), n;
	unsigned long long v = us > 0 ? (unsigned long long)us : 0;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
		if (i == (int)sizeof(d) - 3)
			d[--i] = '.';
	} while (v > 0 || i > (int)sizeof(d) - 5);
	n = (int)sizeof(d) - i;
	memcpy(buf, d + i, (size_t)n);
	buf[n] = '\0';
}

/* A string member that may be cut to keep the line under HC_LINE_MAX. */
struct hc_cut {
	json_object	*v;
	const char	*s;	/* the whole value */
	size_t		 len;	/* how much of it is set */
};

static void
hc_cut_set(struct hc_cut *c, json_object *v, const char *s)
{
	c->v = v;
	c->s = s;
	c->len = strlen(s);
	json_object_set_string_len(v, s, (int)c->len);
}

/*
 * Serialises o; when the line would pass HC_LINE_MAX, the longest of the
 * strings in cut is shortened and o serialised again: by the share of
 * its JSON (as json-c writes it alone) that is too much, at least a byte,
 * never inside a UTF-8 sequence.  NULL without memory.
 */
static const char *
hc_serialise(json_object *o, struct hc_cut *cut, size_t ncut, size_t *len)
{
	struct hc_cut	*c;
	const char	*s;
	size_t		 i, excess, vlen, n;

	for (;;) {
		if ((s = json_object_to_json_string_length(o, HC_JSON_FLAGS, len)) == NULL)
			return NULL;
		if (*len + 1 <= HC_LINE_MAX)
			return s;
		excess = *len + 1 - HC_LINE_MAX;
		for (c = cut, i = 1; i < ncut; i++)
			if (cut[i].len > c->len)
				c = &cut[i];
		if (ncut == 0 || c->len == 0)
			return NULL;	/* cannot happen: the keys and numbers are short */
		if (json_object_to_json_string_length(c->v, HC_JSON_FLAGS, &vlen) == NULL)
			return NULL;
		vlen = vlen > 2 ? vlen - 2 : 0;		/* without the quotes */
		n = vlen > excess ? c->len * (vlen - excess) / vlen : 0;
		if (n >= c->len)
			n = c->len - 1;
		while (n > 0 && ((unsigned char)c->s[n] & 0xc0) == 0x80)
			n--;
		c->len = n;
		json_object_set_string_len(c->v, c->s, (int)n);
	}
}

static void
hc_log_emit(const char *s, size_t len)
{
	char	 buf[HC_LINE_MAX];
	ssize_t	 w;

	/* one write(2) for the line and its newline: lines of workers never interleave */
	memcpy(buf, s, len);
	buf[len++] = '\n';
	do
		w = write(hc_fd, buf, len);
	while (w == -1 && errno == EINTR);
}

void
hc_log(enum hc_log_level level, const char *fmt, ...)
{
	struct hc_logobj *l;
	struct hc_cut	 cut;
	const char	*s;
	char		 msg[2048];
	size_t		 len;
	va_list		 ap;
	int		 saved = errno;

	if (level < hc_min || (unsigned)level >= HC_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((l = hc_logobj_get()) != NULL) {
		if (l->level != (int)level) {
			json_object_set_string(l->v[HC_LK_LEVEL], hc_levels[level]);
			l->level = (int)level;
		}
		hc_cut_set(&cut, l->v[HC_LK_MSG], msg);
		if ((s = hc_serialise(l->line, &cut, 1, &len)) != NULL)
			hc_log_emit(s, len);
	}
	errno = saved;
}

void
hc_log_access(const struct hc_access *a)
{
	struct hc_logobj *l;
	struct hc_cut	 cut[5];
	json_object	*o;
	const char	*s;
	size_t		 len, n = 0;
	long long	 us;
	unsigned	 m = 0;
	int		 saved = errno;

	if (hc_min > HC_LOG_INFO || (l = hc_logobj_get()) == NULL)
		return;
	if (a->request_id != NULL) {
		m |= HC_ACC_RID;
		hc_cut_set(&cut[n++], l->v[HC_LK_REQUEST_ID], a->request_id);
	}
	if (a->remote_addr != NULL) {
		m |= HC_ACC_ADDR;
		hc_cut_set(&cut[n++], l->v[HC_LK_REMOTE_ADDR], a->remote_addr);
	}
	o = l->acc[m];
	hc_cut_set(&cut[n++], l->v[HC_LK_METHOD], a->method ? a->method : "");
	hc_cut_set(&cut[n++], l->v[HC_LK_PATH], a->path ? a->path : "");
	if (a->route != NULL)
		hc_cut_set(&cut[n++], l->v[HC_LK_ROUTE], a->route);
	if (l->route_null[m] != (a->route == NULL)) {
		/* in place, in its slot: the container lets go of (or takes) its reference */
		if (json_object_object_add(o, "route",
		    a->route == NULL ? NULL : json_object_get(l->v[HC_LK_ROUTE])) != 0) {
			errno = saved;
			return;
		}
		l->route_null[m] = a->route == NULL;
	}
	hc_num_set(l->v[HC_LK_STATUS], &l->status_text, a->status);
	/* whole microseconds, as milliseconds with three decimals */
	us = a->duration_ms > 0 ? (long long)(a->duration_ms * 1000.0) : 0;
	hc_ms_text(l->ms, us);
	json_object_set_double(l->v[HC_LK_DURATION], (double)us / 1000.0);
	if ((s = hc_serialise(o, cut, n, &len)) != NULL)
		hc_log_emit(s, len);
	errno = saved;
}

/* hc_log: JSON-lines logging, written by hand into one buffer; one write(2) per line so workers never interleave. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

static const char *const hc_levels[HC_LOG_MAX] = { "debug", "info", "warn", "error" };

static char	 hc_prog[64] = "headcount";
static char	 hc_path[4096];
static int	 hc_fd = STDERR_FILENO;
static enum hc_log_level hc_min = HC_LOG_INFO;

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

static void hc_log_forked(void);

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
 * The line is written by hand into a stack buffer: a json-c object per
 * line cost a dozen allocations, strftime and a getpid() per request.
 * Strings are escaped as json-c escapes them (JSON_C_TO_STRING_PLAIN |
 * NOSLASHESCAPE), so the lines read the same.
 */
#define HC_LINE_MAX	8192
#define HC_TAIL_ROOM	512	/* kept free for the fields after a long path */

struct hc_line {
	char	 buf[HC_LINE_MAX];
	size_t	 len;
};

static void
hc_put(struct hc_line *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - 1 - l->len)
		n = sizeof(l->buf) - 1 - l->len;	/* one byte kept for the newline */
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

#define HC_PUTS(l, lit)	hc_put((l), (lit), sizeof(lit) - 1)

/* A JSON string; cut (still well-formed) where it would pass limit bytes of line. */
static void
hc_put_str(struct hc_line *l, const char *s, size_t limit)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char	 esc[6];
	size_t	 run;

	if (limit > sizeof(l->buf) - 2)
		limit = sizeof(l->buf) - 2;
	HC_PUTS(l, "\"");
	while (*p != '\0') {
		for (run = 0; p[run] >= 0x20 && p[run] != '"' && p[run] != '\\'; run++)
			continue;
		if (run > 0) {
			if (l->len + run + 1 > limit)
				run = limit > l->len + 1 ? limit - l->len - 1 : 0;
			hc_put(l, (const char *)p, run);
			p += run;
			if (*p != '\0' && *p >= 0x20 && *p != '"' && *p != '\\')
				break;		/* cut at the limit */
			continue;
		}
		if (*p == '\0')
			break;
		esc[0] = '\\';
		switch (*p) {
		case '"': esc[1] = '"'; run = 2; break;
		case '\\': esc[1] = '\\'; run = 2; break;
		case '\b': esc[1] = 'b'; run = 2; break;
		case '\f': esc[1] = 'f'; run = 2; break;
		case '\n': esc[1] = 'n'; run = 2; break;
		case '\r': esc[1] = 'r'; run = 2; break;
		case '\t': esc[1] = 't'; run = 2; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			run = 6;
		}
		if (l->len + run + 1 > limit)
			break;
		hc_put(l, esc, run);
		p++;
	}
	HC_PUTS(l, "\"");
}

static void
hc_put_uint(struct hc_line *l, unsigned long long v, int mindigits)
{
	char	 d[24];
	int	 i = (int)sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
		mindigits--;
	} while ((v > 0 || mindigits > 0) && i > 0);
	hc_put(l, d + i, sizeof(d) - (size_t)i);
}

static void
hc_put_int(struct hc_line *l, long long v)
{
	if (v < 0) {
		HC_PUTS(l, "-");
		hc_put_uint(l, 0ULL - (unsigned long long)v, 1);
	} else
		hc_put_uint(l, (unsigned long long)v, 1);
}

static pid_t	 hc_pid;	/* getpid() is a system call: once per process */

static void
hc_log_forked(void)
{
	hc_pid = getpid();
}

/* {"time":"2026-12-01T10:00:00.123Z","level":...,"program":...,"pid":N, */
static void
hc_log_stamp(struct hc_line *l, const char *level)
{
	static time_t	 sec = (time_t)-1;
	static char	 day[20];	/* "YYYY-MM-DDTHH:MM:SS" of sec */
	struct timespec	 ts;
	struct tm	 tm;
	struct hc_line	 t;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != sec) {
		/* the calendar once a second, not per line */
		gmtime_r(&ts.tv_sec, &tm);
		t.len = 0;
		hc_put_uint(&t, (unsigned long long)tm.tm_year + 1900, 4);
		HC_PUTS(&t, "-");
		hc_put_uint(&t, (unsigned long long)tm.tm_mon + 1, 2);
		HC_PUTS(&t, "-");
		hc_put_uint(&t, (unsigned long long)tm.tm_mday, 2);
		HC_PUTS(&t, "T");
		hc_put_uint(&t, (unsigned long long)tm.tm_hour, 2);
		HC_PUTS(&t, ":");
		hc_put_uint(&t, (unsigned long long)tm.tm_min, 2);
		HC_PUTS(&t, ":");
		hc_put_uint(&t, (unsigned long long)tm.tm_sec, 2);
		if (t.len < sizeof(day)) {
			memcpy(day, t.buf, t.len);
			day[t.len] = '\0';
			sec = ts.tv_sec;
		}
	}
	if (hc_pid == 0)
		hc_pid = getpid();
	HC_PUTS(l, "{\"time\":\"");
	hc_put(l, day, strlen(day));
	HC_PUTS(l, ".");
	hc_put_uint(l, (unsigned long long)(ts.tv_nsec / 1000000), 3);
	HC_PUTS(l, "Z\",\"level\":");
	hc_put_str(l, level, sizeof(l->buf));
	HC_PUTS(l, ",\"program\":");
	hc_put_str(l, hc_prog, sizeof(l->buf));
	HC_PUTS(l, ",\"pid\":");
	hc_put_int(l, (long long)hc_pid);
}

static void
hc_log_emit(struct hc_line *l)
{
	ssize_t	 w;

	l->buf[l->len++] = '\n';	/* hc_put always leaves room for it */
	do
		w = write(hc_fd, l->buf, l->len);
	while (w == -1 && errno == EINTR);
}

void
hc_log(enum hc_log_level level, const char *fmt, ...)
{
	struct hc_line	 l;
	char		 msg[2048];
	va_list		 ap;
	int		 saved = errno;

	if (level < hc_min || (unsigned)level >= HC_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l.len = 0;
	hc_log_stamp(&l, hc_levels[level]);
	HC_PUTS(&l, ",\"msg\":");
	hc_put_str(&l, msg, sizeof(l.buf) - 2);
	HC_PUTS(&l, "}");
	hc_log_emit(&l);
	errno = saved;
}

void
hc_log_access(const struct hc_access *a)
{
	struct hc_line	 l;
	long long	 us;

	if (hc_min > HC_LOG_INFO)
		return;
	l.len = 0;
	hc_log_stamp(&l, "info");
	HC_PUTS(&l, ",\"msg\":\"request\"");
	if (a->request_id != NULL) {
		HC_PUTS(&l, ",\"request_id\":");
		hc_put_str(&l, a->request_id, sizeof(l.buf) - HC_TAIL_ROOM);
	}
	HC_PUTS(&l, ",\"method\":");
	hc_put_str(&l, a->method ? a->method : "", sizeof(l.buf) - HC_TAIL_ROOM);
	HC_PUTS(&l, ",\"route\":");
	if (a->route != NULL)
		hc_put_str(&l, a->route, sizeof(l.buf) - HC_TAIL_ROOM);
	else
		HC_PUTS(&l, "null");
	HC_PUTS(&l, ",\"path\":");
	hc_put_str(&l, a->path ? a->path : "", sizeof(l.buf) - HC_TAIL_ROOM);
	if (a->remote_addr != NULL) {
		HC_PUTS(&l, ",\"remote_addr\":");
		hc_put_str(&l, a->remote_addr, sizeof(l.buf) - 64);
	}
	HC_PUTS(&l, ",\"status\":");
	hc_put_int(&l, a->status);
	/* whole microseconds, printed as milliseconds with three decimals */
	us = a->duration_ms > 0 ? (long long)(a->duration_ms * 1000.0) : 0;
	HC_PUTS(&l, ",\"duration_ms\":");
	hc_put_int(&l, us / 1000);
	HC_PUTS(&l, ".");
	hc_put_uint(&l, (unsigned long long)(us % 1000), 3);
	HC_PUTS(&l, "}");
	hc_log_emit(&l);
}

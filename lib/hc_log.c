/* hc_log: JSON-lines logging; one write(2) per line so workers never interleave. */
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

#include <json-c/json.h>

#include "hc_json.h"

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

int
hc_log_init(const char *program, const char *path, const char *level)
{
	size_t	 i;

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

static void
hc_log_stamp(json_object *o, const char *level)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 buf[40];
	time_t		 t;

	gettimeofday(&tv, NULL);
	t = tv.tv_sec;
	gmtime_r(&t, &tm);
	strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, sizeof(buf) - 19, ".%03ldZ", (long)(tv.tv_usec / 1000));
	hc_json_add(o, "time", json_object_new_string(buf));
	hc_json_add(o, "level", json_object_new_string(level));
	hc_json_add(o, "program", json_object_new_string(hc_prog));
	hc_json_add(o, "pid", json_object_new_int((int)getpid()));
}

static void
hc_log_emit(json_object *o)
{
	size_t		 len;
	const char	*s;
	char		 line[8192];
	ssize_t		 w;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	memcpy(line, s, len);
	line[len++] = '\n';
	do
		w = write(hc_fd, line, len);
	while (w == -1 && errno == EINTR);
}

void
hc_log(enum hc_log_level level, const char *fmt, ...)
{
	json_object	*o;
	char		 msg[2048];
	va_list		 ap;
	int		 saved = errno;

	if (level < hc_min || (unsigned)level >= HC_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((o = json_object_new_object()) == NULL)
		return;
	hc_log_stamp(o, hc_levels[level]);
	hc_json_add(o, "msg", json_object_new_string(msg));
	hc_log_emit(o);
	json_object_put(o);
	errno = saved;
}

void
hc_log_access(const struct hc_access *a)
{
	json_object	*o;

	if (hc_min > HC_LOG_INFO || (o = json_object_new_object()) == NULL)
		return;
	hc_log_stamp(o, "info");
	hc_json_add(o, "msg", json_object_new_string("request"));
	if (a->request_id != NULL)
		hc_json_add(o, "request_id", json_object_new_string(a->request_id));
	hc_json_add(o, "method", json_object_new_string(a->method ? a->method : ""));
	if (a->route != NULL)
		hc_json_add(o, "route", json_object_new_string(a->route));
	else
		json_object_object_add(o, "route", NULL);	/* no route matched: null */
	hc_json_add(o, "path", json_object_new_string(a->path ? a->path : ""));
	if (a->remote_addr != NULL)
		hc_json_add(o, "remote_addr", json_object_new_string(a->remote_addr));
	hc_json_add(o, "status", json_object_new_int(a->status));
	hc_json_add(o, "duration_ms",
	    json_object_new_double((double)(long long)(a->duration_ms * 1000.0) / 1000.0));
	hc_log_emit(o);
	json_object_put(o);
}

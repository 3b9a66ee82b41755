/* test_log: the JSON lines (json-c's, from objects reused per line) read back as JSON, fields intact and in order, strings escaped, long paths cut cleanly. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "tap.h"

static char	 dir[] = "/tmp/test_log.XXXXXX";
static char	 path[64];

/* The last line of the log file, parsed; NULL when it is not JSON. */
static json_object *
last_line(char *raw, size_t rawlen)
{
	FILE	*fp = fopen(path, "r");
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	raw[0] = '\0';
	if (fp == NULL)
		return NULL;
	while ((n = getline(&line, &cap, fp)) > 0)
		snprintf(raw, rawlen, "%s", line);
	free(line);
	fclose(fp);
	return json_tokener_parse(raw);
}

static const char *
str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static const struct { const char *path, *why; } paths[] = {
	{ "/api/v1/health/live", "plain" },
	{ "/a\"b\\c", "quote and backslash" },
	{ "/tab\there/nl\nhere/cr\r/bs\b/ff\f", "short escapes" },
	{ "/ctl\x01\x1f\x7f", "other control bytes" },
	{ "/caf\xc3\xa9/\xe2\x82\xac", "UTF-8 passes" },
	{ "/slash/not/escaped", "slashes" },
	{ NULL, NULL }
};

int
main(void)
{
	static char	 raw[16384], longpath[12001];
	struct hc_access a;
	json_object	*o, *v;
	size_t		 i;
	pid_t		 pid;
	int		 st;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/log", dir);
	tap_is_int(hc_log_init("test", path, "info"), 0, "log to a file");

	for (i = 0; paths[i].path != NULL; i++) {
		memset(&a, 0, sizeof(a));
		a.request_id = "r-1";
		a.method = "GET";
		a.route = i == 0 ? "/api/v1/health/live" : NULL;
		a.path = paths[i].path;
		a.remote_addr = "127.0.0.1";
		a.status = 200 + (int)i;
		a.duration_ms = 0.033;
		hc_log_access(&a);
		o = last_line(raw, sizeof(raw));
		tap_ok(o != NULL, "%s: the line is JSON", paths[i].why);
		tap_is_str(str(o, "path"), paths[i].path, "%s: path read back", paths[i].why);
		json_object_put(o);
		if (i == 3)
			tap_ok(strstr(raw, "\\u0001\\u001f\x7f") != NULL,
			    "control bytes as \\u00XX, DEL as is (as json-c)");
		if (i == 5)
			tap_ok(strstr(raw, "\"/slash/not/escaped\"") != NULL, "no \\/ (as json-c with NOSLASHESCAPE)");
	}
	o = last_line(raw, sizeof(raw));
	tap_ok(raw[strlen(raw) - 1] == '\n' && strchr(raw, '\n') == raw + strlen(raw) - 1,
	    "one line, ending in a newline");
	tap_is_str(str(o, "msg"), "request", "msg");
	tap_is_str(str(o, "level"), "info", "level");
	tap_is_str(str(o, "program"), "test", "program");
	tap_is_str(str(o, "method"), "GET", "method");
	tap_is_str(str(o, "request_id"), "r-1", "request_id");
	tap_is_str(str(o, "remote_addr"), "127.0.0.1", "remote_addr");
	tap_ok(json_object_object_get_ex(o, "route", &v) && v == NULL, "route null when none matched");
	tap_ok(json_object_object_get_ex(o, "status", &v) && json_object_get_int(v) == 205, "status");
	tap_ok(json_object_object_get_ex(o, "pid", &v) && json_object_get_int(v) == (int)getpid(), "pid");
	tap_ok(strstr(raw, "\"duration_ms\":0.033}") != NULL, "duration_ms 0.033, not 0.033000000000000002");
	tap_ok(str(o, "time") != NULL && strlen(str(o, "time")) == 24 && str(o, "time")[10] == 'T' &&
	    str(o, "time")[23] == 'Z' && str(o, "time")[19] == '.', "time is RFC 3339 with milliseconds (%s)",
	    str(o, "time") ? str(o, "time") : "?");
	json_object_put(o);

	/* a path longer than a line: cut, and the line stays JSON with every field */
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[100] = '"';
	memset(&a, 0, sizeof(a));
	a.method = "GET";
	a.path = longpath;
	a.status = 404;
	a.duration_ms = 1.5;
	hc_log_access(&a);
	o = last_line(raw, sizeof(raw));
	tap_ok(o != NULL && strlen(raw) <= 8192, "a 12,000-byte path: the line is JSON, at most 8 KiB (%zu)",
	    strlen(raw));
	tap_ok(str(o, "path") != NULL && strncmp(str(o, "path"), longpath, 1000) == 0, "…the path's start kept");
	tap_ok(json_object_object_get_ex(o, "status", &v) && json_object_get_int(v) == 404, "…the status kept");
	tap_ok(strstr(raw, "\"duration_ms\":1.500}") != NULL, "…and the duration");
	json_object_put(o);

	hc_log(HC_LOG_WARN, "a \"quoted\" message %d", 7);
	o = last_line(raw, sizeof(raw));
	tap_is_str(str(o, "msg"), "a \"quoted\" message 7", "hc_log: msg");
	tap_is_str(str(o, "level"), "warn", "hc_log: level");
	json_object_put(o);
	hc_log(HC_LOG_DEBUG, "below the level");
	o = last_line(raw, sizeof(raw));
	tap_is_str(str(o, "msg"), "a \"quoted\" message 7", "below the level: nothing written");
	json_object_put(o);

	/* the line as json-c writes it, key order kept; request_id and remote_addr absent, route back */
	memset(&a, 0, sizeof(a));
	a.method = "GET";
	a.route = "/api/v1/health/live";
	a.path = "/api/v1/health/live";
	a.status = 200;
	a.duration_ms = 12.3456;
	hc_log_access(&a);
	json_object_put(last_line(raw, sizeof(raw)));
	snprintf(longpath, sizeof(longpath), "\",\"level\":\"info\",\"program\":\"test\",\"pid\":%d,"
	    "\"msg\":\"request\",\"method\":\"GET\",\"route\":\"/api/v1/health/live\","
	    "\"path\":\"/api/v1/health/live\",\"status\":200,\"duration_ms\":12.345}\n", (int)getpid());
	tap_ok(strncmp(raw, "{\"time\":\"", 9) == 0 && strlen(raw) > 33 && strcmp(raw + 33, longpath) == 0,
	    "no request_id nor remote_addr: the keys in order, route a string again (%s)", raw);
	a.request_id = "r-2";
	a.route = NULL;
	hc_log_access(&a);
	o = last_line(raw, sizeof(raw));
	tap_ok(strstr(raw, "\"msg\":\"request\",\"request_id\":\"r-2\",\"method\":\"GET\",\"route\":null,"
	    "\"path\":\"/api/v1/health/live\",\"status\":200,") != NULL, "request_id in its place, route null");
	tap_ok(!json_object_object_get_ex(o, "remote_addr", NULL), "no remote_addr key when there is none");
	json_object_put(o);

	/* a message of control bytes (six bytes of JSON each): cut, JSON, not emptied */
	memset(longpath, '\x01', 2000);
	longpath[2000] = '\0';
	hc_log(HC_LOG_WARN, "%s", longpath);
	o = last_line(raw, sizeof(raw));
	tap_ok(o != NULL && strlen(raw) <= 8192 && str(o, "msg") != NULL && strlen(str(o, "msg")) > 1000,
	    "a message escaping to 12 KiB: JSON, at most 8 KiB (%zu), %zu bytes of it kept", strlen(raw),
	    o != NULL && str(o, "msg") != NULL ? strlen(str(o, "msg")) : 0);
	json_object_put(o);

	/* a forked child logs its own pid, without asking the kernel per line */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		hc_log(HC_LOG_INFO, "child");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	o = last_line(raw, sizeof(raw));
	tap_ok(json_object_object_get_ex(o, "pid", &v) && json_object_get_int(v) == (int)pid,
	    "a forked child logs its own pid");
	json_object_put(o);
	unlink(path);
	rmdir(dir);
	return tap_done();
}

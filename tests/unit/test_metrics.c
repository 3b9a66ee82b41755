/* test_metrics: the shared-memory metrics segment, its recording and its text format. */
#include "config.h"
#include "hc_metrics.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "promtext.h"
#include "tap.h"

static char	 dir[] = "/tmp/test_metrics.XXXXXX";

static char *
seg_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int
has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t	 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static char *
render(void)
{
	char	*t = hc_metrics_render(NULL);

	return t != NULL ? t : strdup("");
}

/*
 * The format rules promtool also checks: HELP then TYPE once per family,
 * before its samples, samples of a family contiguous, no sample line
 * twice, histogram buckets cumulative with +Inf == _count.
 */
static int
format_ok(const char *text, char *why, size_t whylen)
{
	char	 fam[128] = "", typ[16] = "", seen[64][128];
	char	 line[1024], name[128], prev[1024] = "";
	const char *p = text, *nl;
	size_t	 nseen = 0, i, len;
	double	 last_bucket = -1, v;

	while (*p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL) {
			snprintf(why, whylen, "no final newline");
			return 0;
		}
		len = (size_t)(nl - p);
		if (len >= sizeof(line)) {
			snprintf(why, whylen, "line too long");
			return 0;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			sscanf(line + 7, "%127s", fam);
			for (i = 0; i < nseen; i++)
				if (strcmp(seen[i], fam) == 0) {
					snprintf(why, whylen, "family %.100s twice", fam);
					return 0;
				}
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", fam);
			typ[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			sscanf(line + 7, "%127s %15s", name, typ);
			if (strcmp(name, fam) != 0) {
				snprintf(why, whylen, "TYPE %.60s after HELP %.60s", name, fam);
				return 0;
			}
			last_bucket = -1;
			continue;
		}
		len = strcspn(line, "{ ");
		snprintf(name, sizeof(name), "%.*s", (int)len, line);
		if (typ[0] == '\0') {
			snprintf(why, whylen, "sample %.100s before its TYPE", name);
			return 0;
		}
		if (strcmp(typ, "histogram") == 0) {
			size_t fl = strlen(fam);
			if (strncmp(name, fam, fl) != 0 ||
			    (strcmp(name + fl, "_bucket") != 0 &&
			    strcmp(name + fl, "_sum") != 0 &&
			    strcmp(name + fl, "_count") != 0)) {
				snprintf(why, whylen, "%.60s inside histogram %.60s", name, fam);
				return 0;
			}
			v = strtod(strrchr(line, ' ') + 1, NULL);
			if (strcmp(name + fl, "_bucket") == 0) {
				if (v < last_bucket) {
					snprintf(why, whylen, "bucket not cumulative: %.150s", line);
					return 0;
				}
				last_bucket = strstr(line, "le=\"+Inf\"") ? -2 - v : v;
			} else if (strcmp(name + fl, "_count") == 0) {
				if (last_bucket > -2 || -2 - last_bucket != v) {
					snprintf(why, whylen, "+Inf != _count at %.150s", line);
					return 0;
				}
				last_bucket = -1;
			}
		} else if (strcmp(name, fam) != 0) {
			snprintf(why, whylen, "%.60s inside family %.60s", name, fam);
			return 0;
		}
		len = strrchr(line, ' ') - line;
		if (strncmp(prev, line, len) == 0 && prev[len] == ' ') {
			snprintf(why, whylen, "series twice: %.150s", line);
			return 0;
		}
		snprintf(prev, sizeof(prev), "%s", line);
	}
	return 1;
}

static void
test_unmapped(void)
{
	char	 err[256] = "";
	size_t	 len = 1;

	tap_ok(hc_metrics_open(seg_path("no/such/dir/m.shm"), "t", err,
	    sizeof(err)) == -1, "open in a missing directory fails");
	tap_ok(strstr(err, "open(") != NULL, "and names the call: %s", err);
	tap_ok(hc_metrics_open(seg_path("x"), "", err, sizeof(err)) == -1,
	    "an empty program name is refused");
	/* everything else is a no-op */
	hc_metrics_request("GET", "/x", 200, 0.1);
	hc_metrics_worker_busy(1);
	hc_metrics_count(HC_METRIC_HEARTBEATS, 1);
	tap_ok(hc_metrics_worker_start() == -1, "worker_start without a segment: -1");
	tap_ok(hc_metrics_render(&len) == NULL, "render without a segment: NULL");
	hc_metrics_close();
}

static void
test_record(void)
{
	char	 err[256] = "", why[256] = "", *t;
	size_t	 len = 0;

	tap_ok(hc_metrics_open(seg_path("a.shm"), "test", err, sizeof(err)) == 0,
	    "open a new segment: %s", err);
	hc_metrics_config(1, 1000);
	hc_metrics_request("GET", "/api/v1/flags/{name}", 200, 0.0004);
	hc_metrics_request("GET", "/api/v1/flags/{name}", 200, 0.0005);
	hc_metrics_request("GET", "/api/v1/flags/{name}", 200, 0.003);
	hc_metrics_request("PUT", "/api/v1/flags/{name}", 400, 20.0);
	hc_metrics_request("BREW", NULL, 405, 0.001);
	hc_metrics_request(NULL, NULL, 404, -1.0);
	hc_metrics_request("GET", "/weird\"route\\x\ny", 500, 0.0 / 0.0);
	hc_metrics_count(HC_METRIC_HEARTBEATS, 5);
	hc_metrics_count(HC_METRIC_FLAG_CHANGES, 2);
	hc_metrics_count(HC_METRIC_MAX, 9);	/* ignored */

	t = hc_metrics_render(&len);
	tap_ok(t != NULL && len == strlen(t), "render answers text of the said length");
	if (t == NULL)
		return;
	tap_is_int(prom_sample(t, "http_requests_total{program=\"test\",method=\"GET\","
	    "route=\"/api/v1/flags/{name}\",status=\"200\"}"), 3, "GET 200 counted 3 times");
	tap_is_int(prom_sample(t, "http_requests_total{program=\"test\",method=\"PUT\","
	    "route=\"/api/v1/flags/{name}\",status=\"400\"}"), 1, "PUT 400 counted once");
	tap_is_int(prom_sample(t, "http_requests_total{program=\"test\",method=\"other\","
	    "route=\"unmatched\",status=\"405\"}"), 1, "unknown method: other, no route: unmatched");
	tap_is_int(prom_sample(t, "http_requests_total{program=\"test\",method=\"other\","
	    "route=\"unmatched\",status=\"404\"}"), 1, "NULL method counted as other");
	tap_is_int(prom_sample(t, "http_requests_total{program=\"test\",method=\"GET\","
	    "route=\"/weird\\\"route\\\\x\\ny\",status=\"500\"}"), 1,
	    "label values escaped (quote, backslash, newline)");
#define H "http_request_duration_seconds"
#define L "{program=\"test\",route=\"/api/v1/flags/{name}\""
	tap_is_int(prom_sample(t, H "_bucket" L ",le=\"0.0005\"}"), 2, "le is inclusive: 0.4 ms and 0.5 ms in 0.0005");
	tap_is_int(prom_sample(t, H "_bucket" L ",le=\"0.0025\"}"), 2, "0.0025 bucket cumulative");
	tap_is_int(prom_sample(t, H "_bucket" L ",le=\"0.005\"}"), 3, "3 ms in 0.005");
	tap_is_int(prom_sample(t, H "_bucket" L ",le=\"10\"}"), 3, "20 s above 10");
	tap_is_int(prom_sample(t, H "_bucket" L ",le=\"+Inf\"}"), 4, "+Inf has all four");
	tap_is_int(prom_sample(t, H "_count" L "}"), 4, "_count equals +Inf");
	tap_ok(has_line(t, H "_sum" L "} 20.0039"), "_sum is exact in seconds");
	tap_ok(has_line(t, H "_sum{program=\"test\",route=\"unmatched\"} 0.001"),
	    "negative duration counts as 0");
#undef H
#undef L
	tap_is_int(prom_sample(t, "headcount_heartbeats_total{program=\"test\"}"), 5, "heartbeats counted");
	tap_is_int(prom_sample(t, "headcount_flag_changes_total{program=\"test\"}"), 2, "flag changes counted");
	tap_is_int(prom_sample(t, "headcount_redis_errors_total{program=\"test\"}"), 0, "redis errors present at 0");
	tap_is_int(prom_sample(t, "headcount_slow_requests_total{program=\"test\"}"), 1, "one request over 1000 ms");
	tap_ok(prom_sample(t, "process_resident_memory_bytes{program=\"test\"}") > 0, "RSS of this process");
	tap_ok(prom_sample(t, "process_open_fds{program=\"test\"}") > 0, "open fds of this process");
	tap_ok(prom_sample(t, "process_start_time_seconds{program=\"test\"}") > 1e9, "start time is an epoch time");
	tap_ok(prom_sample(t, "process_cpu_seconds_total{program=\"test\"}") >= 0, "cpu seconds present");
	tap_is_int(prom_sample(t, "headcount_metrics_dropped_total"), 0, "nothing dropped");
	tap_is_int(prom_sample(t, "headcount_metrics_series"), 8, "8 series in use");
	tap_ok(has_line(t, "# TYPE http_request_duration_seconds histogram"), "histogram TYPE");
	tap_ok(has_line(t, "# TYPE process_cpu_seconds_total counter"), "cpu is a counter");
	tap_ok(format_ok(t, why, sizeof(why)), "text format rules hold %s", why);
	free(t);

	/* disabled: nothing more is recorded */
	hc_metrics_config(0, 1000);
	hc_metrics_request("GET", "/api/v1/flags/{name}", 200, 0.1);
	hc_metrics_count(HC_METRIC_HEARTBEATS, 5);
	t = render();
	tap_is_int(prom_sample(t, "http_requests_total{program=\"test\",method=\"GET\","
	    "route=\"/api/v1/flags/{name}\",status=\"200\"}"), 3, "disabled: request not counted");
	tap_is_int(prom_sample(t, "headcount_heartbeats_total{program=\"test\"}"), 5, "disabled: event not counted");
	free(t);

	/* slow threshold */
	hc_metrics_config(1, 5);
	hc_metrics_request("GET", "/slow", 200, 0.006);
	hc_metrics_request("GET", "/slow", 200, 0.004);
	t = render();
	tap_is_int(prom_sample(t, "headcount_slow_requests_total{program=\"test\"}"), 2, "HEADCOUNT_SLOW_MS=5: one more slow");
	free(t);
	hc_metrics_config(1, 1000);
	hc_metrics_close();
	tap_ok(hc_metrics_render(NULL) == NULL, "closed: nothing mapped");
}

static void
child_loop(const char *program, int n, int reopen)
{
	char	 err[256], route[32];
	int	 i;

	if (reopen && hc_metrics_open(seg_path("b.shm"), program, err,
	    sizeof(err)) == -1)
		_exit(3);
	if (hc_metrics_worker_start() == -1)
		_exit(4);
	for (i = 0; i < n; i++) {
		hc_metrics_worker_busy(1);
		/* every child creates the same new series at the same time */
		snprintf(route, sizeof(route), "/race/%d", i % 100);
		hc_metrics_request("POST", route, 201, 0.002);
		hc_metrics_request("GET", "/shared", 200, 0.001);
		hc_metrics_worker_busy(0);
	}
	hc_metrics_close();
	_exit(0);
}

static void
test_processes(void)
{
	char	 err[256], why[256], *t, key[160];
	pid_t	 pid[4], victim;
	int	 i, st, okc = 1, ready[2];
	long	 total = 0;
	char	 c;

	tap_ok(hc_metrics_open(seg_path("b.shm"), "multi", err, sizeof(err)) == 0,
	    "parent opens the segment");
	fflush(stdout);	/* a child must not print our TAP lines again */
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0)
			child_loop("multi", 5000, 0);
	for (i = 0; i < 4; i++)
		okc &= waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0;
	tap_ok(okc, "4 forked workers recorded 5000 requests each");
	t = render();
	tap_is_int(prom_sample(t, "http_requests_total{program=\"multi\",method=\"GET\","
	    "route=\"/shared\",status=\"200\"}"), 20000, "no increment lost across processes");
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "http_requests_total{program=\"multi\","
		    "method=\"POST\",route=\"/race/%d\",status=\"201\"}", i);
		total += (long)prom_sample(t, key);
	}
	tap_is_int(total, 20000, "series created concurrently: each once, none lost");
	tap_is_int(prom_sample(t, "headcount_metrics_series"), 202, "202 series, no duplicate");
	tap_is_int(prom_sample(t, "headcount_requests_accepted_total{program=\"multi\"}"), 20000, "accepted counts every request");
	tap_ok(prom_sample(t, "headcount_workers_all_busy_total{program=\"multi\"}") >= 0, "all-busy counter present");
	tap_is_int(prom_sample(t, "headcount_workers_busy{program=\"multi\"}"), 0, "exited workers are not busy");
	tap_is_int(prom_sample(t, "headcount_workers_idle{program=\"multi\"}"), 0, "exited workers are gone");
	tap_ok(format_ok(t, why, sizeof(why)), "format rules hold after concurrency %s", why);
	free(t);

	/* a worker killed mid-request: what it counted stays, it leaves the gauges */
	if (pipe(ready) == -1)
		return;
	fflush(stdout);
	if ((victim = fork()) == 0) {
		close(ready[0]);
		hc_metrics_worker_start();
		for (i = 0; i < 7; i++)
			hc_metrics_request("GET", "/victim", 200, 0.001);
		hc_metrics_worker_busy(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	tap_ok(read(ready[0], &c, 1) == 1, "victim worker is in a request");
	close(ready[0]);
	t = render();
	tap_is_int(prom_sample(t, "headcount_workers_busy{program=\"multi\"}"), 1, "busy gauge sees the victim");
	free(t);
	kill(victim, SIGKILL);
	waitpid(victim, &st, 0);
	t = render();
	tap_is_int(prom_sample(t, "http_requests_total{program=\"multi\",method=\"GET\","
	    "route=\"/victim\",status=\"200\"}"), 7, "counts survive SIGKILL of the worker");
	tap_is_int(prom_sample(t, "headcount_workers_busy{program=\"multi\"}"), 0, "dead worker left the busy gauge");
	free(t);

	/* an idle live worker, and a second program in the same segment */
	if (pipe(ready) == -1)
		return;
	fflush(stdout);
	if ((victim = fork()) == 0) {
		close(ready[0]);
		if (hc_metrics_open(seg_path("b.shm"), "other", err, sizeof(err)) == -1)
			_exit(1);
		hc_metrics_worker_start();
		hc_metrics_request("DELETE", "/o/{id}", 204, 0.01);
		hc_metrics_count(HC_METRIC_REDIS_ERRORS, 3);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	tap_ok(read(ready[0], &c, 1) == 1, "second program recorded");
	close(ready[0]);
	t = render();
	tap_is_int(prom_sample(t, "headcount_workers_idle{program=\"other\"}"), 1, "idle worker of the other program");
	tap_is_int(prom_sample(t, "headcount_redis_errors_total{program=\"other\"}"), 3, "events are per program");
	tap_is_int(prom_sample(t, "http_requests_total{program=\"other\",method=\"DELETE\","
	    "route=\"/o/{id}\",status=\"204\"}"), 1, "the other program's requests");
	tap_ok(format_ok(t, why, sizeof(why)), "format rules hold with two programs %s", why);
	free(t);
	kill(victim, SIGTERM);
	waitpid(victim, &st, 0);
	t = render();
	tap_ok(prom_sample(t, "process_resident_memory_bytes{program=\"other\"}") == -1,
	    "a program with no live process has no RSS sample");
	tap_is_int(prom_sample(t, "headcount_redis_errors_total{program=\"other\"}"), 3, "its counters stay");
	free(t);
	hc_metrics_close();
}

static void
test_full(void)
{
	char	 err[256], route[32], *t;
	int	 i;

	tap_ok(hc_metrics_open(seg_path("c.shm"), "full", err, sizeof(err)) == 0,
	    "open a segment to fill");
	/* each request takes two series: a counter and a histogram */
	for (i = 0; i < HC_METRICS_SERIES / 2 + 5; i++) {
		snprintf(route, sizeof(route), "/r/%d", i);
		hc_metrics_request("GET", route, 200, 0.001);
	}
	t = render();
	tap_is_int(prom_sample(t, "headcount_metrics_series"), HC_METRICS_SERIES, "the table filled up");
	tap_is_int(prom_sample(t, "headcount_metrics_dropped_total"), 10, "10 series dropped, counted");
	tap_is_int(prom_sample(t, "http_requests_total{program=\"full\",method=\"GET\","
	    "route=\"/r/1\",status=\"200\"}"), 1, "existing series still count");
	hc_metrics_request("GET", "/r/1", 200, 0.001);
	free(t);
	t = render();
	tap_is_int(prom_sample(t, "http_requests_total{program=\"full\",method=\"GET\","
	    "route=\"/r/1\",status=\"200\"}"), 2, "and keep counting when full");
	free(t);
	hc_metrics_close();
}

static void
test_layout(void)
{
	char	 err[256], *t;
	FILE	*fp;

	if ((fp = fopen(seg_path("d.shm"), "w")) != NULL) {
		fputs("not a metrics segment", fp);
		fclose(fp);
	}
	tap_ok(hc_metrics_open(seg_path("d.shm"), "lay", err, sizeof(err)) == 0,
	    "a file of another layout is replaced");
	hc_metrics_request("GET", "/x", 200, 0.001);
	t = render();
	tap_is_int(prom_sample(t, "http_requests_total{program=\"lay\",method=\"GET\","
	    "route=\"/x\",status=\"200\"}"), 1, "and works");
	free(t);
	/* reopening keeps what was counted */
	tap_ok(hc_metrics_open(seg_path("d.shm"), "lay", err, sizeof(err)) == 0, "reopen");
	t = render();
	tap_is_int(prom_sample(t, "http_requests_total{program=\"lay\",method=\"GET\","
	    "route=\"/x\",status=\"200\"}"), 1, "counts persist across opens");
	free(t);
	hc_metrics_close();
	hc_metrics_close();	/* twice is fine */
}

static void
test_escape(void)
{
	static const struct {
		const char *in;
		int	 quote;
		const char *out;
	} v[] = {
		{ "plain", 1, "plain" },
		{ "", 1, "" },
		{ "a\"b", 1, "a\\\"b" },
		{ "a\"b", 0, "a\"b" },
		{ "back\\slash", 0, "back\\\\slash" },
		{ "line\nbreak\n", 1, "line\\nbreak\\n" },
		{ "\\\"\n", 1, "\\\\\\\"\\n" },
	};
	size_t	 i, len, cap;
	char	*buf;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf = NULL;
		len = cap = 0;
		tap_ok(hc_metrics_escape(&buf, &len, &cap, v[i].in, v[i].quote) == 0,
		    "escape case %zu", i);
		tap_is_str(buf, v[i].out, "escape case %zu text", i);
		free(buf);
	}
}

int
main(void)
{
	char	 cmd[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_escape();
	test_unmapped();
	test_record();
	test_processes();
	test_full();
	test_layout();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}

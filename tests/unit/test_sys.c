/* test_sys: /proc parsers on fixed texts, and live readings of this process. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_sys.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

int
main(void)
{
	struct hc_cpu_sample a, b;
	struct hc_meminfo m;
	struct hc_procinfo p;
	double	 la[3];
	void	*blob;

	tap_is_int(hc_sys_parse_stat("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n", &a), 0, "stat parses");
	tap_is_int(a.total, 1000, "stat total");
	tap_is_int(a.busy, 200, "stat busy excludes idle and iowait");
	tap_is_int(hc_sys_parse_stat("cpu  150 0 150 900 100 0 0 0\n", &b), 0, "second sample parses");
	tap_ok(fabs(hc_sys_cpu_percent(&a, &b) - 33.3333) < 0.01, "cpu percent over the interval");
	tap_ok(hc_sys_cpu_percent(&b, &a) == 0.0, "cpu percent of a backwards interval is 0");
	tap_ok(hc_sys_cpu_percent(&a, &a) == 0.0, "cpu percent of no time is 0");
	tap_is_int(hc_sys_parse_stat("intr 1 2 3\n", &a), -1, "stat without cpu line fails");
	tap_is_int(hc_sys_parse_stat("cpu  1 2\n", &a), -1, "stat with too few fields fails");

	tap_is_int(hc_sys_parse_meminfo("MemTotal:       1000 kB\nMemFree:  100 kB\nMemAvailable:    250 kB\n", &m), 0, "meminfo parses");
	tap_is_int(m.total_bytes, 1024000, "meminfo total in bytes");
	tap_is_int(m.available_bytes, 256000, "meminfo available in bytes");
	tap_ok(fabs(m.percent - 75.0) < 1e-9, "meminfo used percent");
	tap_is_int(hc_sys_parse_meminfo("MemTotal: 1000 kB\nMemFree: 400 kB\n", &m), 0, "meminfo without MemAvailable uses MemFree");
	tap_ok(fabs(m.percent - 60.0) < 1e-9, "meminfo percent from MemFree");
	tap_is_int(hc_sys_parse_meminfo("MemFree: 400 kB\n", &m), -1, "meminfo without MemTotal fails");
	tap_is_int(hc_sys_parse_meminfo("MemTotal: 0 kB\nMemFree: 0 kB\n", &m), -1, "meminfo with zero total fails");

	tap_is_int(hc_sys_parse_loadavg("0.10 0.20 0.30 1/100 1234\n", la), 0, "loadavg parses");
	tap_ok(la[0] == 0.10 && la[1] == 0.20 && la[2] == 0.30, "loadavg values");
	tap_is_int(hc_sys_parse_loadavg("garbage", la), -1, "bad loadavg fails");

	/* live readings */
	tap_is_int(hc_sys_cpu_sample(&a), 0, "live cpu sample");
	tap_is_int(hc_sys_meminfo(&m), 0, "live meminfo");
	tap_ok(m.total_bytes > 0 && m.percent >= 0 && m.percent <= 100, "live meminfo is sane");
	tap_is_int(hc_sys_loadavg(la), 0, "live loadavg");
	blob = malloc(8 << 20);
	if (blob != NULL)
		for (size_t i = 0; i < (8u << 20); i += 4096)
			((char *)blob)[i] = 1;
	tap_is_int(hc_sys_proc(0, &p), 0, "own process readings");
	tap_ok(p.rss_bytes >= (8u << 20), "rss counts touched memory (%llu)", p.rss_bytes);
	tap_ok(p.open_fds >= 3, "open fds counts stdio (%ld)", p.open_fds);
	tap_ok(fabs(p.start_time - (double)time(NULL)) < 60.0, "start time is now-ish");
	tap_ok(p.cpu_seconds >= 0.0, "cpu seconds non-negative");
	tap_is_int(hc_sys_proc(getpid(), &p), 0, "readings by pid");
	tap_is_int(hc_sys_proc(999999999, &p), -1, "readings of a missing pid fail");
	free(blob);
	return tap_done();
}

/* hc_sys: CPU, memory, load and per-process readings parsed from /proc. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

long
hc_sys_read_file(const char *path, char *buf, size_t len)
{
	int	 fd;
	ssize_t	 n;
	size_t	 got = 0;

	if (len == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

int
hc_sys_parse_stat(const char *text, struct hc_cpu_sample *out)
{
	unsigned long long v[8] = { 0 };
	int	 n;

	if (strncmp(text, "cpu ", 4) != 0)
		return -1;
	n = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu",
	    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (n < 4)
		return -1;
	/* user nice system idle iowait irq softirq steal */
	out->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	out->busy = out->total - v[3] - v[4];
	return 0;
}

static int
hc_meminfo_field(const char *text, const char *key, unsigned long long *kb)
{
	const char *p = text;
	size_t	 klen = strlen(key);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return sscanf(p + klen + 1, "%llu", kb) == 1 ? 0 : -1;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

int
hc_sys_parse_meminfo(const char *text, struct hc_meminfo *out)
{
	unsigned long long total, avail;

	if (hc_meminfo_field(text, "MemTotal", &total) == -1 || total == 0)
		return -1;
	if (hc_meminfo_field(text, "MemAvailable", &avail) == -1 &&
	    hc_meminfo_field(text, "MemFree", &avail) == -1)
		return -1;
	if (avail > total)
		avail = total;
	out->total_bytes = total * 1024ULL;
	out->available_bytes = avail * 1024ULL;
	out->percent = 100.0 * (double)(total - avail) / (double)total;
	return 0;
}

int
hc_sys_parse_loadavg(const char *text, double load[3])
{
	return sscanf(text, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3 ? 0 : -1;
}

int
hc_sys_cpu_sample(struct hc_cpu_sample *out)
{
	char	 buf[4096];

	if (hc_sys_read_file("/proc/stat", buf, sizeof(buf)) <= 0)
		return -1;
	return hc_sys_parse_stat(buf, out);
}

int
hc_sys_meminfo(struct hc_meminfo *out)
{
	char	 buf[8192];

	if (hc_sys_read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	return hc_sys_parse_meminfo(buf, out);
}

int
hc_sys_loadavg(double load[3])
{
	char	 buf[256];

	if (hc_sys_read_file("/proc/loadavg", buf, sizeof(buf)) <= 0)
		return -1;
	return hc_sys_parse_loadavg(buf, load);
}

double
hc_sys_cpu_percent(const struct hc_cpu_sample *a, const struct hc_cpu_sample *b)
{
	unsigned long long dt, db;

	if (b->total <= a->total || b->busy < a->busy)
		return 0.0;
	dt = b->total - a->total;
	db = b->busy - a->busy;
	return db >= dt ? 100.0 : 100.0 * (double)db / (double)dt;
}

/* Boot time from /proc/stat's btime line. */
static double
hc_boot_time(void)
{
	char	 buf[8192], *p;

	if (hc_sys_read_file("/proc/stat", buf, sizeof(buf)) <= 0 ||
	    (p = strstr(buf, "\nbtime ")) == NULL)
		return 0.0;
	return strtod(p + 7, NULL);
}

int
hc_sys_proc(pid_t pid, struct hc_procinfo *out)
{
	char	 path[64], buf[2048], *p;
	unsigned long long utime, stime, start, rss_pages;
	long	 hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	DIR	*d;
	struct dirent *de;

	memset(out, 0, sizeof(*out));
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/stat");
	else
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (hc_sys_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* the command name may hold spaces and parentheses: parse after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %llu",
	    &utime, &stime, &start, &rss_pages) != 4)
		return -1;
	if (hz <= 0)
		hz = 100;
	out->cpu_seconds = (double)(utime + stime) / (double)hz;
	out->start_time = hc_boot_time() + (double)start / (double)hz;
	out->rss_bytes = rss_pages * (unsigned long long)(page > 0 ? page : 4096);

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/fd");
	else
		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				out->open_fds++;
		closedir(d);
		if (pid == 0)
			out->open_fds--;	/* the directory stream itself */
	} else
		out->open_fds = -1;
	return 0;
}

/* hc_sys: system and process readings from /proc. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_SYS_H
#define HC_SYS_H

#include <stddef.h>
#include <sys/types.h>

struct hc_cpu_sample {
	unsigned long long busy;	/* jiffies not idle/iowait */
	unsigned long long total;
};

struct hc_meminfo {
	unsigned long long total_bytes;
	unsigned long long available_bytes;
	double		   percent;	/* used share of total, 0..100 */
};

struct hc_procinfo {
	unsigned long long rss_bytes;
	double		   cpu_seconds;	/* user + system */
	double		   start_time;	/* seconds since the epoch */
	long		   open_fds;
};

/* Parsers over file text, for tests and for the readers below: 0 or -1. */
int	 hc_sys_parse_stat(const char *text, struct hc_cpu_sample *out);
int	 hc_sys_parse_meminfo(const char *text, struct hc_meminfo *out);
int	 hc_sys_parse_loadavg(const char *text, double load[3]);

/* Readers of the live system: 0 or -1 (errno set). */
int	 hc_sys_cpu_sample(struct hc_cpu_sample *out);
int	 hc_sys_meminfo(struct hc_meminfo *out);
int	 hc_sys_loadavg(double load[3]);

/* CPU use between two samples in percent (0..100), 0 when no time passed. */
double	 hc_sys_cpu_percent(const struct hc_cpu_sample *a,
	    const struct hc_cpu_sample *b);

/* Readings of process pid (0 = self): 0 or -1. */
int	 hc_sys_proc(pid_t pid, struct hc_procinfo *out);

/* Reads a small /proc file into buf (NUL-terminated); bytes or -1. */
long	 hc_sys_read_file(const char *path, char *buf, size_t len);

#endif

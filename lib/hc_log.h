/* hc_log: JSON-lines logging on stderr (or a file reopened on SIGHUP). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_LOG_H
#define HC_LOG_H

enum hc_log_level {
	HC_LOG_DEBUG,
	HC_LOG_INFO,
	HC_LOG_WARN,
	HC_LOG_ERROR,
	HC_LOG_MAX
};

/*
 * Sets the program name and the minimum level ("debug".."error"); path
 * NULL logs to stderr, else the file is opened for appending (and
 * reopened by hc_log_reopen).  Returns 0, or -1 when the file cannot be
 * opened (logging then goes to stderr).
 */
int	 hc_log_init(const char *program, const char *path, const char *level);

/* Reopens the log file after rotation; a no-op for stderr.  0 or -1. */
int	 hc_log_reopen(void);

/* Emits {"time","level","program","pid","msg"} as one line. */
void	 hc_log(enum hc_log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* One access line, written once per request by the process model. */
struct hc_access {
	const char	*request_id;
	const char	*method;
	const char	*route;		/* the pattern, or NULL when none matched */
	const char	*path;
	const char	*remote_addr;
	int		 status;
	double		 duration_ms;
};

void	 hc_log_access(const struct hc_access *a);

/* Name of a level ("info"), or "?" */
const char *hc_log_level_name(enum hc_log_level level);

#endif

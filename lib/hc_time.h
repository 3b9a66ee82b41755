/* hc_time: RFC 3339 times and monotonic clocks. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_TIME_H
#define HC_TIME_H

#include <stddef.h>
#include <time.h>

#define HC_TIME_BUFSZ 32	/* room for "2026-11-22T10:00:00Z" and more */

/*
 * Writes t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf; returns buf.  A time
 * before year 0 or after 9999 is written as that bound.
 */
char	*hc_time_fmt(time_t t, char buf[HC_TIME_BUFSZ]);

/*
 * Parses an RFC 3339 date-time ("2026-11-22T10:00:00Z", fractional
 * seconds and a +hh:mm offset allowed; 't'/'z' lower case too) into *out.
 * Returns 0, or -1 when s is not one (nothing written).
 */
int	 hc_time_parse(const char *s, time_t *out);

/* Styles of hc_time_dur. */
#define HC_DUR_WORDS	0	/* for sentences: "90 s", "12 min", "3 h 05 min", "2 d 4 h" */
#define HC_DUR_COMPACT	1	/* for short texts: "45s", "12m", "3h05m", "2d4h" */

/*
 * A duration of s seconds (negative: 0) for people, into buf; returns
 * buf.  Words keep seconds up to 2 min and minutes up to 2 h, compact
 * up to 1 min and 1 h; both show hours and minutes up to 2 days, then
 * days and hours.
 */
char	*hc_time_dur(long long s, int style, char *buf, size_t len);

/* Milliseconds on CLOCK_MONOTONIC. */
double	 hc_time_mono_ms(void);

/* Seconds since the epoch on CLOCK_REALTIME, with fraction. */
double	 hc_time_wall(void);

#endif

/* hc_time: RFC 3339 times and monotonic clocks. */
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

/* Milliseconds on CLOCK_MONOTONIC. */
double	 hc_mono_ms(void);

/* Seconds since the epoch on CLOCK_REALTIME, with fraction. */
double	 hc_wall(void);

#endif

/* hc_time: RFC 3339 formatting and parsing, clocks. */
#include "config.h"
#include "hc_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what RFC 3339 can write */
#define HC_TIME_MIN	(-62167219200LL)
#define HC_TIME_MAX	253402300799LL

char *
hc_time_fmt(time_t t, char buf[HC_TIME_BUFSZ])
{
	struct tm tm;

	/* stored data is input too: a time far from now shows its bound */
	if ((long long)t < HC_TIME_MIN)
		t = (time_t)HC_TIME_MIN;
	else if ((long long)t > HC_TIME_MAX)
		t = (time_t)HC_TIME_MAX;

	/* %Y would write year 0 as "0": four digits always */
	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, HC_TIME_BUFSZ, "1970-01-01T00:00:00Z");
	else
		snprintf(buf, HC_TIME_BUFSZ, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		    (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_mon % 12u + 1u,
		    (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u,
		    (unsigned)tm.tm_min % 60u, (unsigned)tm.tm_sec % 61u);
	return buf;
}

static int
hc_digits(const char *s, int n, int *out)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
hc_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
hc_time_parse(const char *s, time_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0, dim;
	long long days, t;
	int	 y;

	if (s == NULL || strlen(s) < 20)
		return -1;
	if (hc_digits(s, 4, &Y) || s[4] != '-' || hc_digits(s + 5, 2, &M) ||
	    s[7] != '-' || hc_digits(s + 8, 2, &D) ||
	    (s[10] != 'T' && s[10] != 't') || hc_digits(s + 11, 2, &h) ||
	    s[13] != ':' || hc_digits(s + 14, 2, &m) || s[16] != ':' ||
	    hc_digits(s + 17, 2, &sec))
		return -1;
	s += 19;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (hc_digits(s + 1, 2, &oh) || s[3] != ':' ||
		    hc_digits(s + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		s += 6;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	if (Y < 1970 || M < 1 || M > 12 || h > 23 || m > 59 || sec > 60)
		return -1;
	dim = mdays[M - 1] + (M == 2 && hc_leap(Y));
	if (D < 1 || D > dim)
		return -1;
	days = 0;
	for (y = 1970; y < Y; y++)
		days += 365 + hc_leap(y);
	for (y = 0; y < M - 1; y++)
		days += mdays[y] + (y == 1 && hc_leap(Y));
	days += D - 1;
	t = days * 86400LL + h * 3600LL + m * 60LL + (sec == 60 ? 59 : sec);
	t -= (long long)sign * (oh * 3600LL + om * 60LL);
	*out = (time_t)t;
	return 0;
}

double
hc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double
hc_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

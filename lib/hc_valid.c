/* hc_valid: name rules shared by the request tables, the registry and the settings. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_valid.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int
hc_valid_alnum(unsigned char c)
{
	/* ASCII only: isalnum() follows the locale */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

int
hc_valid_instance_id(const char *s)
{
	size_t	 i;

	if (s == NULL || !hc_valid_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= HC_VALID_INSTANCE_ID_MAX)
			return 0;
		if (!hc_valid_alnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != ':' && s[i] != '-')
			return 0;
	}
	return 1;
}

int
hc_valid_int_span(const char *s, size_t len, long lo, long hi, int *out)
{
	char	 buf[16], *end;
	long	 v;

	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int
hc_valid_copy_span(char *dst, size_t dstlen, const char *s, size_t len)
{
	if (len >= dstlen)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* hc_valid: the syntax rules of names the API and the settings share (one copy each). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_VALID_H
#define HC_VALID_H

#include <stddef.h>

#define HC_VALID_INSTANCE_ID_MAX	128	/* bytes, per API.md */
#define HC_VALID_INSTANCE_ID_RULE	"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"

/*
 * 1 when s is an instance id (HC_VALID_INSTANCE_ID_RULE: heartbeats,
 * DELETE /api/v1/instances/{id}, HEADCOUNT_INSTANCE_ID), else 0 (NULL
 * too).  The signature fits struct hc_param's valid.
 */
int	 hc_valid_instance_id(const char *s);

/*
 * The decimal number in s[0..len) (digits only, no sign or space) into
 * *out when it lies in [lo, hi].  Returns 0, or -1 leaving *out alone.
 * Used for the ports and db numbers of REDIS_URL in every form.
 */
int	 hc_valid_int_span(const char *s, size_t len, long lo, long hi, int *out);

/*
 * Copies s[0..len) into dst as a C string when it fits in dstlen.
 * Returns 0, or -1 (dst untouched) when it does not.
 */
int	 hc_valid_copy_span(char *dst, size_t dstlen, const char *s, size_t len);

#endif

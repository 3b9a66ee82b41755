/* hc_flags: feature flags in the shared Redis hash: the name rule, stored values, atomic writes. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_FLAGS_H
#define HC_FLAGS_H

#include <stddef.h>
#include <time.h>

#include "hc_err.h"

#define HC_FLAG_NAME_MAX	64		/* bytes of a flag name */
#define HC_FLAGS_CHANNEL	"events:flags"	/* where every change is published */
#define HC_FLAGS_NAME_RULE	"[a-z0-9][a-z0-9._-]{0,63}"

struct hc_redis;

/* 1 when s (NUL-terminated) matches HC_FLAGS_NAME_RULE, else 0. */
int	 hc_flags_name_valid(const char *s);

/* The same for len bytes that need not end in NUL. */
int	 hc_flags_name_valid_len(const char *s, size_t len);

/* How a stored hash value reads: "1" on, "0" off, anything else off (and logged by the reader). */
enum hc_flag_value {
	HC_FLAG_OFF,
	HC_FLAG_ON,
	HC_FLAG_OTHER,
	HC_FLAG_MAX
};

enum hc_flag_value hc_flags_value(const char *v, size_t len);

/*
 * The message published on HC_FLAGS_CHANNEL for a change:
 * {"event":"changed"|"deleted","name":..,"enabled":..,"at":RFC 3339}
 * (a deleted flag says enabled false: it now reads as off).  Returns a
 * malloc'd string the caller frees, or NULL with no memory.
 */
char	*hc_flags_event(const char *event, const char *name, int enabled,
	    time_t at);

/*
 * Sets name in the hash key to enabled ("1"/"0") and, when the stored
 * value changed, publishes the event on HC_FLAGS_CHANNEL, in one atomic
 * script.  *previous: -1 when the flag did not exist, else what the old
 * value read as (0/1); *changed: 1 when the stored value changed.
 * Returns HC_OK, or HC_ERR_REDIS (hc_redis_errstr(r) tells why).
 */
enum hc_err hc_flags_set(struct hc_redis *r, const char *key, const char *name,
	    int enabled, int *previous, int *changed);

/*
 * Deletes name from the hash key and publishes the "deleted" event, in
 * one atomic script.  *previous as for hc_flags_set.  Returns HC_OK,
 * HC_ERR_NOTFOUND when there was no such flag (nothing published), or
 * HC_ERR_REDIS.
 */
enum hc_err hc_flags_delete(struct hc_redis *r, const char *key,
	    const char *name, int *previous);

#endif

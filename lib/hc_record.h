/* hc_record: the stored instance record (<p>instance:data values): its one encoder and decoder. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_RECORD_H
#define HC_RECORD_H

#include <stddef.h>
#include <json-c/json.h>

#include "hc_err.h"

/*
 * A record is the text {"started_at":<ms>,"last":<ms>,"hostname":"..",
 * "meta":{..}}, times on the Redis clock, in that order: C encodes the
 * payload {"hostname","meta"} with json-c, the heartbeat script puts the
 * times in front (HC_RECORD_LUA), and the readers below take the fields
 * at their places without parsing, falling back to json-c for a record
 * of another shape (written by hand, or damaged).  Nothing else knows
 * this layout.
 */
#define HC_RECORD_STARTED	"{\"started_at\":"
#define HC_RECORD_LAST		",\"last\":"

/*
 * Lua for the heartbeat script: hc_record(started, last, payload) is the
 * record text for a payload made by hc_record_payload, and
 * hc_record_started(record) the started_at digits of a stored record
 * (nil when it has none).
 */
#define HC_RECORD_LUA \
	"local function hc_record(started, last, payload)\n" \
	"  return '" HC_RECORD_STARTED "' .. started .. '" HC_RECORD_LAST "' .. last .. ',' .. string.sub(payload, 2)\n" \
	"end\n" \
	"local function hc_record_started(rec)\n" \
	"  return string.match(rec, '^" HC_RECORD_STARTED "(%d+),')\n" \
	"end\n"

/*
 * The payload for a heartbeat of hostname (not NULL) and meta (NULL: {};
 * not consumed): *out is a new text the caller frees, *len its length.
 * Returns HC_OK or HC_ERR_NOMEM.
 */
enum hc_err	 hc_record_payload(const char *hostname, json_object *meta,
		    char **out, size_t *len);

/* A record taken apart in place (pointers into the record's text). */
struct hc_record {
	long long	 started_ms;
	long long	 last_ms;
	const char	*host;		/* the hostname as a JSON string token, quotes included */
	size_t		 hostlen;
	const char	*meta;		/* the meta object's JSON text */
	size_t		 metalen;
};

/*
 * Takes a record of the layout above apart without parsing (host and
 * meta are json-c's own output, so valid JSON).  Returns 0, or -1 when
 * d has another shape, or its meta holds a NaN or an Infinity stored
 * before heartbeats refused them (then use hc_record_parse).
 */
int		 hc_record_split(const char *d, size_t len, struct hc_record *out);

/*
 * The last heartbeat (ms) of a record, whatever its shape; 0 when it has
 * none.  Read the careful way it is clamped as hc_record_ms does.
 */
long long	 hc_record_last(const char *d, size_t len);

/* 9999-12-31T23:59:59.999Z: the last time RFC 3339 can write. */
#define HC_RECORD_MS_MAX	253402300799999LL

/*
 * A stored time (ms) as readers may compute with it: stored data is input
 * too, and a hand-written value far from now must not overflow the
 * arithmetic on it.  Before the epoch reads as the epoch, after year 9999
 * as its end.
 */
long long	 hc_record_ms(long long ms);

/*
 * Reads a record of any shape strictly (hc_json_parse: NaN or Infinity
 * in a stored meta make it unreadable, so the defaults show).  *started
 * is left alone unless the record has an integer started_at; *host (a
 * string) and *meta (an object) are new references, NULL when missing
 * or of another type.  Returns 0, or -1 when d is no JSON object
 * (nothing set).
 */
int		 hc_record_parse(const char *d, size_t len, long long *started,
		    json_object **host, json_object **meta);

#endif

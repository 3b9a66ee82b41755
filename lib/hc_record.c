/* hc_record: encodes the heartbeat payload and reads stored instance records, fast or careful. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_record.h"

#include <stdlib.h>
#include <string.h>

#include "hc_json.h"

enum hc_err
hc_record_payload(const char *hostname, json_object *meta, char **out,
    size_t *len)
{
	json_object	*p, *m;
	const char	*s;
	size_t		 n;
	enum hc_err	 rc = HC_ERR_NOMEM;

	*out = NULL;
	*len = 0;
	if ((p = json_object_new_object()) == NULL)
		return HC_ERR_NOMEM;
	m = meta != NULL ? json_object_get(meta) : json_object_new_object();
	/* hostname first: the script splices the times in front of it. */
	if (hc_json_add(p, "hostname", json_object_new_string(hostname)) != 0 ||
	    hc_json_add(p, "meta", m) != 0)
		goto out;
	if ((s = json_object_to_json_string_length(p, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &n)) == NULL ||
	    (*out = malloc(n + 1)) == NULL)
		goto out;
	memcpy(*out, s, n + 1);
	*len = n;
	rc = HC_OK;
out:
	json_object_put(p);
	return rc;
}

/* Reads digits at *p (at most 18), advancing it; -1 when there are none. */
static long long
hc_record_digits(const char **p, const char *end)
{
	long long v = 0;
	int	 n = 0;

	while (*p < end && **p >= '0' && **p <= '9' && n < 18) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n > 0 ? v : -1;
}

/* The two times at the front; a pointer just past "<last>,", or NULL for another shape. */
static const char *
hc_record_times(const char *d, size_t len, long long *started, long long *last)
{
	static const char p1[] = HC_RECORD_STARTED, p2[] = HC_RECORD_LAST;
	const char *p = d, *end = d + len;

	if (len < sizeof(p1) + sizeof(p2) || memcmp(p, p1, sizeof(p1) - 1) != 0)
		return NULL;
	p += sizeof(p1) - 1;
	if ((*started = hc_record_digits(&p, end)) < 0 ||
	    (size_t)(end - p) < sizeof(p2) || memcmp(p, p2, sizeof(p2) - 1) != 0)
		return NULL;
	p += sizeof(p2) - 1;
	if ((*last = hc_record_digits(&p, end)) < 0 || p >= end || *p != ',')
		return NULL;
	return p + 1;
}

int
hc_record_split(const char *d, size_t len, struct hc_record *out)
{
	static const char p2[] = "\"hostname\":\"", p3[] = ",\"meta\":{";
	const char *p, *end = d + len, *h;

	if ((p = hc_record_times(d, len, &out->started_ms, &out->last_ms)) == NULL ||
	    (size_t)(end - p) < sizeof(p2) + sizeof(p3) ||
	    memcmp(p, p2, sizeof(p2) - 1) != 0)
		return -1;
	h = p + sizeof(p2) - 2;		/* the opening quote */
	for (p = h + 1; p < end && *p != '"'; p++)
		if (*p == '\\' && ++p >= end)
			return -1;
	if (p >= end)
		return -1;
	p++;				/* past the closing quote */
	if ((size_t)(end - p) < sizeof(p3) || memcmp(p, p3, sizeof(p3) - 1) != 0 ||
	    end[-1] != '}' || end[-2] != '}')
		return -1;
	out->host = h;
	out->hostlen = (size_t)(p - h);
	out->meta = p + sizeof(p3) - 2;	/* the opening brace */
	out->metalen = (size_t)(end - 1 - out->meta);
	/* a NaN stored before heartbeats refused it would break the answer */
	if (!hc_json_text_finite(out->meta, out->metalen))
		return -1;
	return 0;
}

long long
hc_record_ms(long long ms)
{
	return ms < 0 ? 0 : ms > HC_RECORD_MS_MAX ? HC_RECORD_MS_MAX : ms;
}

long long
hc_record_last(const char *d, size_t len)
{
	json_object	*o = NULL, *v;
	long long	 started, last = 0;
	char		 why[128];

	if (hc_record_times(d, len, &started, &last) != NULL)
		return last;
	/* Another shape (written by hand?): the careful way. */
	if (hc_json_parse(d, len, 0, &o, why, sizeof(why)) != HC_OK || o == NULL)
		return 0;
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "last", &v) &&
	    json_object_is_type(v, json_type_int))
		last = hc_record_ms(json_object_get_int64(v));
	json_object_put(o);
	return last;
}

int
hc_record_parse(const char *d, size_t len, long long *started,
    json_object **host, json_object **meta)
{
	json_object	*o = NULL, *v;
	char		 why[128];

	*host = *meta = NULL;
	if (hc_json_parse(d, len, 0, &o, why, sizeof(why)) != HC_OK || o == NULL)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "hostname", &v) &&
	    json_object_is_type(v, json_type_string))
		*host = json_object_get(v);
	if (json_object_object_get_ex(o, "meta", &v) &&
	    json_object_is_type(v, json_type_object))
		*meta = json_object_get(v);
	if (json_object_object_get_ex(o, "started_at", &v) &&
	    json_object_is_type(v, json_type_int))
		*started = json_object_get_int64(v);
	json_object_put(o);
	return 0;
}

/* hc_registry_json: the instance list as API.md shows it, rendered in one pass. */
#include "config.h"
#include "hc_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_time.h"

/* 9999-12-31T23:59:59.999Z: the last time RFC 3339 can write. */
#define HC_MS_MAX	253402300799999LL

/*
 * A stored time (ms) as the list may use it: stored data is input too, and
 * a hand-written value far from now must not overflow the arithmetic on
 * it.  Before the epoch reads as the epoch, after year 9999 as its end.
 */
static long long
hc_ms_clamp(long long ms)
{
	return ms < 0 ? 0 : ms > HC_MS_MAX ? HC_MS_MAX : ms;
}

/* Reads digits at *p (at most 18), advancing it; -1 when there are none. */
static long long
hc_digits_at(const char **p, const char *end)
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

/*
 * The times at the front of a stored value, {"started_at":N,"last":M,...}
 * as the heartbeat script writes it.  Returns a pointer just past
 * "M,", or NULL when data has another shape.
 */
static const char *
hc_data_times(const char *d, size_t len, long long *started, long long *last)
{
	static const char p1[] = "{\"started_at\":", p2[] = ",\"last\":";
	const char *p = d, *end = d + len;

	if (len < sizeof(p1) + sizeof(p2) || memcmp(p, p1, sizeof(p1) - 1) != 0)
		return NULL;
	p += sizeof(p1) - 1;
	if ((*started = hc_digits_at(&p, end)) < 0 ||
	    (size_t)(end - p) < sizeof(p2) || memcmp(p, p2, sizeof(p2) - 1) != 0)
		return NULL;
	p += sizeof(p2) - 1;
	if ((*last = hc_digits_at(&p, end)) < 0 || p >= end || *p != ',')
		return NULL;
	return p + 1;
}

long long
hc_registry_data_last(const char *d, size_t len)
{
	json_object	*o = NULL, *v;
	long long	 started, last = 0;
	char		 why[128];

	if (hc_data_times(d, len, &started, &last) != NULL)
		return last;
	/* Another shape (written by hand?): the careful way. */
	if (hc_json_parse(d, len, 0, &o, why, sizeof(why)) != HC_OK || o == NULL)
		return 0;
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "last", &v) &&
	    json_object_is_type(v, json_type_int))
		last = hc_ms_clamp(json_object_get_int64(v));
	json_object_put(o);
	return last;
}

/*
 * RFC 3339 of ms (UTC), without gmtime_r/strftime: a list of 10,000
 * instances formats 20,000 times, and this is several times faster.
 * Days to civil date after Howard Hinnant's algorithm.
 */
static void
hc_fmt_ms(long long ms, char buf[HC_TIME_BUFSZ])
{
	/* floor division that cannot overflow (ms - 999 would near INT64_MIN) */
	long long s = ms / 1000 - (ms % 1000 < 0);
	long long days = s / 86400 - (s % 86400 < 0);
	long long sod = s - days * 86400, z, era, y;
	unsigned doe, yoe, doy, mp, d, m, hh, mi, ss, i;
	char	 *p = buf;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* RFC 3339 has four-digit years: a time outside them shows its bound */
	if (y < 0) {
		memcpy(buf, "0000-01-01T00:00:00Z", 21);
		return;
	}
	if (y > 9999) {
		memcpy(buf, "9999-12-31T23:59:59Z", 21);
		return;
	}
	hh = (unsigned)(sod / 3600);
	mi = (unsigned)(sod % 3600 / 60);
	ss = (unsigned)(sod % 60);
	for (i = 0; i < 4; i++)
		p[3 - i] = (char)('0' + (y / (i == 0 ? 1 : i == 1 ? 10 : i == 2 ? 100 : 1000)) % 10);
	p[4] = '-';
	p[5] = (char)('0' + m / 10);
	p[6] = (char)('0' + m % 10);
	p[7] = '-';
	p[8] = (char)('0' + d / 10);
	p[9] = (char)('0' + d % 10);
	p[10] = 'T';
	p[11] = (char)('0' + hh / 10);
	p[12] = (char)('0' + hh % 10);
	p[13] = ':';
	p[14] = (char)('0' + mi / 10);
	p[15] = (char)('0' + mi % 10);
	p[16] = ':';
	p[17] = (char)('0' + ss / 10);
	p[18] = (char)('0' + ss % 10);
	p[19] = 'Z';
	p[20] = '\0';
}

/* One instance object; NULL without memory. */
static json_object *
hc_inst_json(const struct hc_registry_list *l, const struct hc_instance *in)
{
	json_object	*o, *data = NULL, *host = NULL, *meta = NULL, *sa;
	long long	 started = in->last_ms, since;
	char		 buf[HC_TIME_BUFSZ], why[128];

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (in->data != NULL) {
		/* strict: NaN or Infinity in stored meta shows the defaults */
		if (hc_json_parse(in->data, in->data_len, 0, &data, why, sizeof(why)) != HC_OK)
			data = NULL;
		if (data != NULL && !json_object_is_type(data, json_type_object)) {
			json_object_put(data);
			data = NULL;
		}
	}
	/* Missing or damaged data (written by hand?) shows defaults, never fails. */
	if (data != NULL) {
		if (json_object_object_get_ex(data, "hostname", &host) &&
		    json_object_is_type(host, json_type_string))
			json_object_get(host);
		else
			host = NULL;
		if (json_object_object_get_ex(data, "meta", &meta) &&
		    json_object_is_type(meta, json_type_object))
			json_object_get(meta);
		else
			meta = NULL;
		if (json_object_object_get_ex(data, "started_at", &sa) &&
		    json_object_is_type(sa, json_type_int))
			started = hc_ms_clamp(json_object_get_int64(sa));
		json_object_put(data);
	}
	since = (l->now_ms - hc_ms_clamp(in->last_ms)) / 1000;
	if (since < 0)
		since = 0;
	if (json_object_object_add(o, "instance_id",
	    json_object_new_string_len(in->id, (int)in->id_len)))
		goto fail;
	if (host == NULL)
		host = json_object_new_string_len(in->id, (int)in->id_len);
	if (json_object_object_add(o, "hostname", host)) {
		host = NULL;
		goto fail;
	}
	host = NULL;
	hc_fmt_ms(started, buf);
	if (json_object_object_add(o, "started_at", json_object_new_string(buf)))
		goto fail;
	hc_fmt_ms(in->last_ms, buf);
	if (json_object_object_add(o, "last_heartbeat", json_object_new_string(buf)) ||
	    json_object_object_add(o, "seconds_since_heartbeat",
	    json_object_new_int64(since)) ||
	    json_object_object_add(o, "is_stale", json_object_new_boolean(in->stale)))
		goto fail;
	if (meta == NULL && (meta = json_object_new_object()) == NULL)
		goto fail;
	if (json_object_object_add(o, "meta", meta)) {
		meta = NULL;
		goto fail;
	}
	return o;
fail:
	json_object_put(host);
	json_object_put(meta);
	json_object_put(o);
	return NULL;
}

/* A growing text buffer for the list. */
struct hc_text {
	char	*buf;
	size_t	 len, cap;
	int	 oom;
};

static void
hc_text_add(struct hc_text *t, const char *s, size_t len)
{
	char	*nb;
	size_t	 ncap;

	if (t->oom)
		return;
	if (t->len + len + 1 > t->cap) {
		ncap = t->cap ? t->cap : 4096;
		while (t->len + len + 1 > ncap)
			ncap *= 2;
		if ((nb = realloc(t->buf, ncap)) == NULL) {
			t->oom = 1;
			return;
		}
		t->buf = nb;
		t->cap = ncap;
	}
	memcpy(t->buf + t->len, s, len);
	t->len += len;
	t->buf[t->len] = '\0';
}

#define HC_TEXT_LIT(t, lit) hc_text_add((t), (lit), sizeof(lit) - 1)

/* Whether s needs no JSON escaping (ids almost always: they were validated). */
static int
hc_plain(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\' ||
		    (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Finds the hostname string token and the meta object text in data as
 * hc_registry_heartbeat stores it: {"started_at":N,"last":M,"hostname":
 * "...","meta":{...}} (json-c's own output, so both are valid JSON).  Returns
 * 0, or -1 when data has another shape (the caller then parses it).
 */
static int
hc_data_split(const char *d, size_t len, long long *started, const char **host,
    size_t *hostlen, const char **meta, size_t *metalen)
{
	static const char p2[] = "\"hostname\":\"", p3[] = ",\"meta\":{";
	const char *p, *end = d + len, *h;
	long long last;

	if ((p = hc_data_times(d, len, started, &last)) == NULL ||
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
	*host = h;
	*hostlen = (size_t)(p - h);
	*meta = p + sizeof(p3) - 2;	/* the opening brace */
	*metalen = (size_t)(end - 1 - *meta);
	/* a NaN stored before heartbeats refused it would break the answer */
	if (!hc_json_text_finite(*meta, *metalen))
		return -1;
	return 0;
}

/* Appends s as a JSON string, escaped by json-c. */
static void
hc_text_jstr(struct hc_text *t, const char *s, size_t len)
{
	json_object	*o;
	const char	*js;
	size_t		 jl;

	if (hc_plain(s, len)) {
		HC_TEXT_LIT(t, "\"");
		hc_text_add(t, s, len);
		HC_TEXT_LIT(t, "\"");
		return;
	}
	if ((o = json_object_new_string_len(s, (int)len)) == NULL ||
	    (js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &jl)) == NULL)
		t->oom = 1;
	else
		hc_text_add(t, js, jl);
	json_object_put(o);
}

/* One instance object, by splicing the stored JSON (no parse, no object per field). */
static void
hc_text_inst(struct hc_text *t, const struct hc_registry_list *l,
    const struct hc_instance *in)
{
	const char	*host, *meta;
	size_t		 hostlen, metalen, jl;
	long long	 started, since;
	char		 buf[HC_TIME_BUFSZ + 32];
	json_object	*o;
	const char	*js;

	if (in->data == NULL || hc_data_split(in->data, in->data_len, &started,
	    &host, &hostlen, &meta, &metalen) == -1) {
		/* Written by someone else, or damaged: the careful way. */
		if ((o = hc_inst_json(l, in)) == NULL ||
		    (js = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &jl)) == NULL)
			t->oom = 1;
		else
			hc_text_add(t, js, jl);
		json_object_put(o);
		return;
	}
	HC_TEXT_LIT(t, "{\"instance_id\":");
	hc_text_jstr(t, in->id, in->id_len);
	HC_TEXT_LIT(t, ",\"hostname\":");
	hc_text_add(t, host, hostlen);
	HC_TEXT_LIT(t, ",\"started_at\":\"");
	hc_fmt_ms(started, buf);
	hc_text_add(t, buf, 20);
	HC_TEXT_LIT(t, "\",\"last_heartbeat\":\"");
	hc_fmt_ms(in->last_ms, buf);
	hc_text_add(t, buf, 20);
	since = (l->now_ms - hc_ms_clamp(in->last_ms)) / 1000;
	if (since < 0)
		since = 0;
	jl = (size_t)snprintf(buf, sizeof(buf), "\",\"seconds_since_heartbeat\":%lld", since);
	hc_text_add(t, buf, jl);
	if (in->stale)
		HC_TEXT_LIT(t, ",\"is_stale\":true,\"meta\":");
	else
		HC_TEXT_LIT(t, ",\"is_stale\":false,\"meta\":");
	hc_text_add(t, meta, metalen);
	HC_TEXT_LIT(t, "}");
}

/*
 * json-c objects for 10,000 instances (eight fields each) cost ~40 ms to
 * build, ~20 to serialise and ~30 to free on this machine: ten times the
 * budget of the whole request.  So the array is rendered in one pass into
 * one buffer, splicing the hostname and meta that json-c itself wrote at
 * heartbeat time, and handed out as a json-c array whose serialiser emits
 * that text (json-c's userdata serialiser).
 */
json_object *
hc_registry_list_json(const struct hc_registry_list *l)
{
	struct hc_text	 t = { NULL, 0, 0, 0 };
	json_object	*a;
	size_t		 i;

	HC_TEXT_LIT(&t, "[");
	for (i = 0; i < l->n && !t.oom; i++) {
		if (i > 0)
			HC_TEXT_LIT(&t, ",");
		hc_text_inst(&t, l, &l->v[i]);
	}
	HC_TEXT_LIT(&t, "]");
	if (t.oom || (a = json_object_new_array()) == NULL) {
		free(t.buf);
		return NULL;
	}
	json_object_set_serializer(a, json_object_userdata_to_json_string, t.buf,
	    json_object_free_userdata);
	return a;
}


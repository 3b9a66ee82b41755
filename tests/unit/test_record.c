/* test_record: unit tests of hc_record (the stored instance record: payload, split, last, parse). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_record.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* What the heartbeat script makes of a payload (HC_RECORD_LUA's hc_record). */
static char *
record(const char *started, const char *last, const char *payload)
{
	size_t	 n = strlen(started) + strlen(last) + strlen(payload) + 64;
	char	*r = malloc(n);

	snprintf(r, n, HC_RECORD_STARTED "%s" HC_RECORD_LAST "%s,%s", started,
	    last, payload + 1);
	return r;
}

static const struct scase {
	const char	*rec;
	int		 split;		/* hc_record_split answers 0 */
	long long	 last;		/* hc_record_last */
	int		 parse;		/* hc_record_parse's answer */
	long long	 started;	/* what it leaves in started (from 0) */
	const char	*host;		/* parsed hostname, NULL none */
} cases[] = {
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{}}", 1, 2, 0, 1, "h" },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"a\\\"b\",\"meta\":{\"k\":\"}\"}}", 1, 2, 0, 1, "a\"b" },
	/* another order: not split, read the careful way */
	{ "{\"last\":5,\"started_at\":3,\"hostname\":\"h\",\"meta\":{}}", 0, 5, 0, 3, "h" },
	{ "{\"started_at\":1,\"last\":2}", 0, 2, 0, 1, NULL },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":[]}", 0, 2, 0, 1, "h" },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{}", 0, 2, -1, 0, NULL },	/* cut short */
	{ "{\"started_at\":-1,\"last\":2,\"hostname\":\"h\",\"meta\":{}}", 0, 2, 0, -1, "h" },
	{ "[1,2]", 0, 0, -1, 0, NULL },
	{ "", 0, 0, -1, 0, NULL },
	{ "not json", 0, 0, -1, 0, NULL },
	{ "{\"last\":\"7\"}", 0, 0, 0, 0, NULL },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":7,\"meta\":{}}", 0, 2, 0, 1, NULL },
	/* stored data is input too: a NaN written before heartbeats refused it */
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{\"x\":NaN}}", 0, 2, -1, 0, NULL },
	{ "{\"started_at\":1,\"last\":2,\"hostname\":\"h\",\"meta\":{\"x\":\"NaN\"}}", 1, 2, 0, 1, "h" },
	/* a hand-written last far from now is clamped (no overflow downstream) */
	{ "{\"last\":-9223372036854775807}", 0, 0, 0, 0, NULL },
	{ "{\"last\":9223372036854775807}", 0, HC_RECORD_MS_MAX, 0, 0, NULL },
};

int
main(void)
{
	struct hc_record rec;
	json_object	*meta, *host, *m2;
	char		*p, *r;
	size_t		 len, i;
	long long	 started;

	/* payload -> record -> split: the round trip the registry makes */
	meta = json_tokener_parse("{\"zone\":\"a\\\"b\",\"n\":1}");
	tap_is_int(hc_record_payload("web-1", meta, &p, &len), HC_OK, "payload");
	tap_is_str(p, "{\"hostname\":\"web-1\",\"meta\":{\"zone\":\"a\\\"b\",\"n\":1}}",
	    "payload: hostname first, then meta");
	tap_ok(len == strlen(p), "payload length");
	r = record("1700000000000", "1700000005000", p);
	tap_is_int(hc_record_split(r, strlen(r), &rec), 0, "split a fresh record");
	tap_ok(rec.started_ms == 1700000000000LL && rec.last_ms == 1700000005000LL,
	    "split: the times");
	tap_ok(rec.hostlen == 7 && memcmp(rec.host, "\"web-1\"", 7) == 0,
	    "split: the hostname token, quotes included");
	tap_ok(rec.metalen == strlen("{\"zone\":\"a\\\"b\",\"n\":1}") &&
	    memcmp(rec.meta, "{\"zone\"", 7) == 0, "split: the meta object text");
	tap_ok(hc_record_last(r, strlen(r)) == 1700000005000LL, "last of a fresh record");
	started = 0;
	tap_is_int(hc_record_parse(r, strlen(r), &started, &host, &m2), 0, "parse");
	tap_ok(started == 1700000000000LL && host != NULL &&
	    strcmp(json_object_get_string(host), "web-1") == 0 && m2 != NULL &&
	    json_object_object_length(m2) == 2, "parse: started, hostname, meta");
	json_object_put(host);
	json_object_put(m2);
	free(r);
	free(p);
	json_object_put(meta);

	tap_is_int(hc_record_payload("h", NULL, &p, &len), HC_OK, "payload without meta");
	tap_is_str(p, "{\"hostname\":\"h\",\"meta\":{}}", "payload without meta: {}");
	free(p);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *d = cases[i].rec;
		int	 rc;

		tap_is_int(hc_record_split(d, strlen(d), &rec) == 0, cases[i].split,
		    "case %zu: split", i);
		tap_ok(hc_record_last(d, strlen(d)) == cases[i].last, "case %zu: last", i);
		started = 0;
		rc = hc_record_parse(d, strlen(d), &started, &host, &m2);
		tap_is_int(rc, cases[i].parse, "case %zu: parse", i);
		tap_ok(started == cases[i].started, "case %zu: parse started %lld", i, started);
		if (cases[i].host != NULL)
			tap_ok(host != NULL && strcmp(json_object_get_string(host),
			    cases[i].host) == 0, "case %zu: parse hostname", i);
		else
			tap_ok(host == NULL, "case %zu: no hostname", i);
		json_object_put(host);
		json_object_put(m2);
	}
	tap_ok(hc_record_ms(-5) == 0 && hc_record_ms(LLONG_MIN) == 0 &&
	    hc_record_ms(LLONG_MAX) == HC_RECORD_MS_MAX && hc_record_ms(1234) == 1234,
	    "hc_record_ms clamps to [epoch, year 9999]");
	return tap_done();
}

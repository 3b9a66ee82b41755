/* test_query: unit tests of hc_query (percent-decoding, query strings). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const struct dcase {
	const char	*in;
	int		 plus;
	long		 rc;
	const char	*out;
} dcases[] = {
	{ "", 0, 0, "" },
	{ "plain", 0, 5, "plain" },
	{ "a%20b", 0, 3, "a b" },
	{ "%2f%2F", 0, 2, "//" },
	{ "%41%62%7e", 0, 3, "Ab~" },
	{ "%e2%82%AC", 0, 3, "\xe2\x82\xac" },
	{ "a+b", 1, 3, "a b" },
	{ "a+b", 0, 3, "a+b" },
	{ "%2B", 1, 1, "+" },
	{ "100%25", 0, 4, "100%" },
	{ "%", 0, -1, NULL },
	{ "%4", 0, -1, NULL },
	{ "abc%", 0, -1, NULL },
	{ "%g0", 0, -1, NULL },
	{ "%0g", 0, -1, NULL },
	{ "% 41", 0, -1, NULL },
	{ "%-1", 0, -1, NULL },
	{ "%00", 0, -1, NULL },
	{ "a%00b", 1, -1, NULL },
};

struct pair {
	const char	*key, *val;
};

static const struct pcase {
	const char	*qs;
	int		 rc;
	size_t		 n;
	struct pair	 kv[4];
} pcases[] = {
	{ NULL, 0, 0, { { NULL, NULL } } },
	{ "", 0, 0, { { NULL, NULL } } },
	{ "&&&", 0, 0, { { NULL, NULL } } },
	{ "a=1", 0, 1, { { "a", "1" } } },
	{ "a=1&b=x%20y&a=2", 0, 3, { { "a", "1" }, { "b", "x y" }, { "a", "2" } } },
	{ "flag", 0, 1, { { "flag", "" } } },
	{ "flag&x=", 0, 2, { { "flag", "" }, { "x", "" } } },
	{ "&a=1&&b=2&", 0, 2, { { "a", "1" }, { "b", "2" } } },
	{ "q=a+b+c", 0, 1, { { "q", "a b c" } } },
	{ "k%20ey=v", 0, 1, { { "k ey", "v" } } },
	{ "a+b=c", 0, 1, { { "a b", "c" } } },
	{ "eq=a=b", 0, 1, { { "eq", "a=b" } } },
	{ "from=2026-11-22T10%3A00%3A00Z", 0, 1, { { "from", "2026-11-22T10:00:00Z" } } },
	{ "=v", 0, 1, { { "", "v" } } },
	{ "a=%zz", -1, 0, { { NULL, NULL } } },
	{ "ok=1&a=%", -1, 0, { { NULL, NULL } } },
	{ "a%00=1", -1, 0, { { NULL, NULL } } },
	{ "a=1%00", -1, 0, { { NULL, NULL } } },
};

static void
check_decode(void)
{
	char	 dst[64];
	long	 rc;
	size_t	 i;

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		memset(dst, 'Z', sizeof(dst));
		rc = hc_query_pct_decode(dst, dcases[i].in, strlen(dcases[i].in), dcases[i].plus);
		tap_is_int(rc, dcases[i].rc, "decode \"%s\" plus=%d: rc",
		    dcases[i].in, dcases[i].plus);
		if (dcases[i].rc >= 0)
			tap_is_str(dst, dcases[i].out, "decode \"%s\" plus=%d: text",
			    dcases[i].in, dcases[i].plus);
	}
	/* only len bytes are read: the '%' after them is not seen */
	tap_is_int(hc_query_pct_decode(dst, "ab%", 2, 0), 2, "decode honours len");
	tap_is_str(dst, "ab", "decode honours len: text");
	tap_is_int(hc_query_pct_decode(dst, "a%4", 3, 0), -1, "decode: %%XX cut by len");
	tap_is_int(hc_query_pct_decode(dst, "a\0b", 3, 0), -1, "decode: raw NUL refused");
}

static void
check_parse(void)
{
	struct hc_query q;
	size_t	 i, j;
	int	 rc, same;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		const char *name = c->qs ? c->qs : "NULL";

		q.kv = (struct hc_kv *)&q;	/* garbage the parser must overwrite */
		q.n = 99;
		rc = hc_query_parse(&q, c->qs);
		tap_is_int(rc, c->rc, "parse \"%s\": rc", name);
		tap_is_int(q.n, c->n, "parse \"%s\": pairs", name);
		if (rc == -1)
			tap_ok(q.kv == NULL, "parse \"%s\": empty on failure", name);
		same = q.n == c->n;
		for (j = 0; same && j < q.n; j++)
			same = strcmp(q.kv[j].key, c->kv[j].key) == 0 &&
			    strcmp(q.kv[j].val, c->kv[j].val) == 0;
		if (!tap_ok(same, "parse \"%s\": pairs in order", name))
			for (j = 0; j < q.n; j++)
				printf("#   [%zu] \"%s\" = \"%s\"\n", j, q.kv[j].key, q.kv[j].val);
		hc_query_free(&q);
		tap_ok(q.kv == NULL && q.n == 0, "parse \"%s\": free leaves it empty", name);
	}
}

static void
check_lookup(void)
{
	struct hc_query q;

	tap_is_int(hc_query_parse(&q, "a=1&b=&a=2&c&a=3"), 0, "lookup: parse");
	tap_is_str(hc_query_get(&q, "a"), "1", "get: first of repeated key");
	tap_is_str(hc_query_get(&q, "b"), "", "get: empty value");
	tap_is_str(hc_query_get(&q, "c"), "", "get: bare flag");
	tap_ok(hc_query_get(&q, "d") == NULL, "get: absent key is NULL");
	tap_ok(hc_query_get(&q, "A") == NULL, "get: keys are case-sensitive");
	tap_ok(hc_query_get(&q, NULL) == NULL, "get: NULL key");
	tap_is_int(hc_query_count(&q, "a"), 3, "count: repeated key");
	tap_is_int(hc_query_count(&q, "b"), 1, "count: single key");
	tap_is_int(hc_query_count(&q, "zz"), 0, "count: absent key");
	hc_query_free(&q);
	tap_ok(hc_query_get(&q, "a") == NULL, "get after free");
	hc_query_free(&q);
	hc_query_free(NULL);
	tap_ok(1, "free is NULL-safe and idempotent");
}

static void
check_cap(void)
{
	struct hc_query q;
	char	 qs[256 * 8 + 64], *p;
	size_t	 i;

	p = qs;
	for (i = 0; i < 256; i++)
		p += snprintf(p, sizeof(qs) - (size_t)(p - qs), "k%zu=%zu&", i, i);
	tap_is_int(hc_query_parse(&q, qs), 0, "cap: 256 pairs accepted");
	tap_is_int(q.n, 256, "cap: 256 pairs kept");
	tap_is_str(q.n == 256 ? q.kv[255].val : NULL, "255", "cap: last pair in place");
	hc_query_free(&q);
	/* trailing and doubled '&' do not count as pairs */
	snprintf(p, sizeof(qs) - (size_t)(p - qs), "&&");
	tap_is_int(hc_query_parse(&q, qs), 0, "cap: empty pairs are not counted");
	hc_query_free(&q);
	snprintf(p, sizeof(qs) - (size_t)(p - qs), "one=more");
	tap_is_int(hc_query_parse(&q, qs), -1, "cap: 257 pairs refused");
	tap_ok(q.n == 0 && q.kv == NULL, "cap: empty after refusal");
	hc_query_free(&q);
}

int
main(void)
{
	check_decode();
	check_parse();
	check_lookup();
	check_cap();
	return tap_done();
}

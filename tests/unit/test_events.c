/* test_events: unit tests of hc_events (glob, channel lists, filters, the message format). */
#include "config.h"
#include "hc_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const struct gcase {
	const char	*pat, *s;
	int		 match;
} gcases[] = {
	{ "events:*", "events:orders", 1 },
	{ "events:*", "events:", 1 },
	{ "events:*", "event:orders", 0 },
	{ "events:*", "xevents:orders", 0 },
	{ "*", "", 1 },
	{ "*", "anything", 1 },
	{ "a?c", "abc", 1 },
	{ "a?c", "ac", 0 },
	{ "a[bc]d", "acd", 1 },
	{ "a[bc]d", "add", 0 },
	{ "a[^bc]d", "add", 1 },
	{ "a[^bc]d", "abd", 0 },
	{ "a[a-c]d", "abd", 1 },
	{ "a[c-a]d", "abd", 1 },
	{ "a[a-c]d", "aed", 0 },
	{ "a\\*b", "a*b", 1 },
	{ "a\\*b", "axb", 0 },
	{ "*:flags", "events:flags", 1 },
	{ "*:flags", "events:flagsx", 0 },
	{ "e*s:*s", "events:orders", 1 },
	{ "e*s:*x", "events:orders", 0 },
	{ "**a", "bbba", 1 },
	{ "events:flags", "events:flags", 1 },
	{ "events:flags", "events:flag", 0 },
	{ "a[", "a", 0 },
	{ "a\\", "a\\", 1 },
};

static void
test_glob(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(gcases) / sizeof(gcases[0]); i++)
		tap_is_int(hc_events_glob(gcases[i].pat, strlen(gcases[i].pat),
		    gcases[i].s, strlen(gcases[i].s)), gcases[i].match,
		    "glob \"%s\" on \"%s\"", gcases[i].pat, gcases[i].s);
	/* a hostile pattern stays fast: no exponential backtracking */
	tap_is_int(hc_events_glob("*a*a*a*a*a*a*a*a*a*a*b", 22,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 62), 0,
	    "many stars do not blow up");
}

static void
test_patterns(void)
{
	static const struct { const char *list; int n; } cases[] = {
		{ "events:*", 1 }, { "events:*,app:*", 2 }, { "a,b,c", 3 },
		{ "", -1 }, { ",", -1 }, { "a,", -1 }, { "a b", -1 }, { "a,,b", -1 },
		{ "tab\there", -1 }, { "\xc3\xa9", -1 },
	};
	const char *out[HC_EVENTS_PATTERNS_MAX];
	char	*store, err[256], big[40 * 3];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = hc_events_patterns(cases[i].list, &store, out,
		    HC_EVENTS_PATTERNS_MAX, err, sizeof(err));
		tap_is_int(n, cases[i].n, "patterns \"%s\"", cases[i].list);
		if (n == -1)
			tap_ok(store == NULL && err[0] != '\0', "  ... with a reason, nothing to free");
		free(store);
	}
	n = hc_events_patterns("a:*,b", &store, out, HC_EVENTS_PATTERNS_MAX, err, sizeof(err));
	tap_ok(n == 2 && strcmp(out[0], "a:*") == 0 && strcmp(out[1], "b") == 0,
	    "patterns split in order");
	free(store);
	for (i = 0; i < 33; i++)
		memcpy(big + i * 2, "x,", 2);
	big[33 * 2 - 1] = '\0';
	tap_is_int(hc_events_patterns(big, &store, out, HC_EVENTS_PATTERNS_MAX, err,
	    sizeof(err)), -1, "33 patterns are too many");
}

static void
test_filter(void)
{
	static const char *const pats[] = { "events:*", "app:orders" };
	static const struct { const char *v; int n; } cases[] = {
		{ "events:flags", 1 }, { "events:flags,events:orders", 2 },
		{ "events:flags,events:flags", 1 }, { "app:orders", 1 },
		{ "app:other", -1 }, { "other", -1 }, { "", -1 }, { ",", -1 },
		{ "events:flags,", -1 }, { "events:*", -1 }, { "events:a?", -1 },
		{ "events:[a]", -1 }, { "events: x", -1 }, { "events:\\x", -1 },
	};
	const char *out[HC_EVENTS_FILTER_MAX];
	char	*store, why[256];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = hc_events_filter(cases[i].v, pats, 2, &store, out,
		    HC_EVENTS_FILTER_MAX, why, sizeof(why));
		tap_is_int(n, cases[i].n, "filter \"%s\"", cases[i].v);
		free(store);
	}
	n = hc_events_filter("other", pats, 2, &store, out, HC_EVENTS_FILTER_MAX,
	    why, sizeof(why));
	tap_ok(n == -1 && strstr(why, "not relayed") != NULL, "outside the patterns says so: %s", why);
	n = hc_events_filter("a b", pats, 2, &store, out, HC_EVENTS_FILTER_MAX,
	    why, sizeof(why));
	tap_ok(n == -1 && strstr(why, "comma-separated") != NULL, "malformed says so: %s", why);
}

static void
test_message(void)
{
	static const struct { const char *ch, *payload, *want; size_t plen; } cases[] = {
		{ "events:flags", "{\"name\":\"x\",\"enabled\":true}",
		    "{\"channel\":\"events:flags\",\"data\":{\"name\":\"x\",\"enabled\":true}}", 0 },
		{ "events:orders", "hello", "{\"channel\":\"events:orders\",\"data\":\"hello\"}", 0 },
		{ "events:orders", "[1,2]", "{\"channel\":\"events:orders\",\"data\":\"[1,2]\"}", 0 },
		{ "events:orders", "42", "{\"channel\":\"events:orders\",\"data\":\"42\"}", 0 },
		{ "events:orders", "{\"a\":1} x", "{\"channel\":\"events:orders\",\"data\":\"{\\\"a\\\":1} x\"}", 0 },
		{ "events:orders", " {\"a\":1}\n", "{\"channel\":\"events:orders\",\"data\":{\"a\":1}}", 0 },
		{ "events:orders", "{\n  \"a\": \"b/c\"\n}", "{\"channel\":\"events:orders\",\"data\":{\"a\":\"b/c\"}}", 0 },
		{ "events:orders", "{bad", "{\"channel\":\"events:orders\",\"data\":\"{bad\"}", 0 },
		{ "events:orders", "line1\nline2", "{\"channel\":\"events:orders\",\"data\":\"line1\\nline2\"}", 0 },
		{ "events:orders", "bad\xff", "{\"channel\":\"events:orders\",\"data\":\"bad\xef\xbf\xbd\"}", 0 },
		{ "events:orders", "", "{\"channel\":\"events:orders\",\"data\":\"\"}", 0 },
		{ "events:orders", "a\0b", "{\"channel\":\"events:orders\",\"data\":\"a\\u0000b\"}", 3 },
	};
	char	*m;
	size_t	 i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = hc_events_message(cases[i].ch, strlen(cases[i].ch), cases[i].payload,
		    cases[i].plen ? cases[i].plen : strlen(cases[i].payload), &len);
		tap_is_str(m, cases[i].want, "message %zu", i);
		tap_ok(m != NULL && len == strlen(m) && strchr(m, '\n') == NULL,
		    "  ... one line, length right");
		free(m);
	}
}

static void
test_clean(void)
{
	char	*c;
	size_t	 len;

	c = hc_events_clean("a\nb\x01\xc3\xa9\xed\xa0\x80", 9, 1, &len);
	tap_is_str(c, "a?b?\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "control and surrogate bytes replaced");
	free(c);
	c = hc_events_clean("\xf0\x9f\x98\x80\xc0\xaf", 6, 0, &len);
	tap_is_str(c, "\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd", "4-byte kept, overlong refused");
	free(c);
}

int
main(void)
{
	test_glob();
	test_patterns();
	test_filter();
	test_message();
	test_clean();
	return tap_done();
}

/* test_buf: unit tests of hc_buf (growth, numbers, the sticky failure, handing over). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const struct ncase {
	uint64_t	 v;
	unsigned	 digits;
	const char	*want;
} fixed[] = {
	{ 0, 0, "0" },
	{ 0, 6, "0" },
	{ 1500, 3, "1.5" },
	{ 1500000, 6, "1.5" },
	{ 1, 9, "0.000000001" },
	{ 123456789, 9, "0.123456789" },
	{ 1000000000, 9, "1" },
	{ 12345, 2, "123.45" },
	{ UINT64_MAX, 0, "18446744073709551615" },
	{ 7, 30, "0.000000000000000007" },	/* digits capped at 18 */
};

static const struct icase {
	int64_t		 v;
	const char	*want;
} ints[] = {
	{ 0, "0" },
	{ 42, "42" },
	{ -1, "-1" },
	{ INT64_MAX, "9223372036854775807" },
	{ INT64_MIN, "-9223372036854775808" },
};

/* The text so far, "(null)" when none. */
static const char *
txt(const struct hc_buf *b)
{
	return b->p != NULL ? b->p : "(null)";
}

int
main(void)
{
	struct hc_buf	 b = HC_BUF_INIT;
	char		*t, big[10000];
	size_t		 i, len;

	/* empty */
	tap_ok(hc_buf_take(&b, &len) == NULL && len == 0, "take of an empty buffer: NULL, 0");
	tap_is_int(hc_buf_add(&b, "", 0), HC_OK, "adding nothing");
	tap_ok(b.p != NULL && b.p[0] == '\0' && b.len == 0, "adding nothing leaves \"\"");
	hc_buf_free(&b);
	tap_ok(b.p == NULL && b.len == 0 && b.cap == 0, "free leaves it empty");

	/* growth past the first allocation keeps every byte and the NUL */
	memset(big, 'x', sizeof(big));
	for (i = 0; i < 50; i++)
		hc_buf_add(&b, big, sizeof(big));
	tap_is_int(b.err, HC_OK, "500,000 bytes added");
	tap_ok(b.len == 50 * sizeof(big) && b.cap > b.len && b.p[b.len] == '\0',
	    "length %zu, capacity %zu, terminated", b.len, b.cap);
	tap_ok(b.p[0] == 'x' && b.p[b.len - 1] == 'x' &&
	    strspn(b.p, "x") == b.len, "contents kept across growth");
	hc_buf_free(&b);

	HC_BUF_LIT(&b, "a=");
	hc_buf_puts(&b, "b");
	hc_buf_printf(&b, " %d %s %.2f", 7, "seven", 0.5);
	hc_buf_printf(&b, "%s", "");
	tap_is_str(txt(&b), "a=b 7 seven 0.50", "literal, string and printf");
	t = hc_buf_take(&b, &len);
	tap_ok(t != NULL && len == strlen("a=b 7 seven 0.50"), "take: the text and its length");
	tap_ok(b.p == NULL && b.len == 0, "take leaves the buffer empty");
	free(t);

	/* printf longer than the first allocation */
	hc_buf_printf(&b, "%s%s", "<", "");
	hc_buf_printf(&b, "%.*s", 9000, big);
	tap_ok(b.err == HC_OK && b.len == 9001 && b.p[9001] == '\0', "printf grows the buffer");
	hc_buf_free(&b);

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		hc_buf_fixed(&b, fixed[i].v, fixed[i].digits);
		tap_is_str(txt(&b), fixed[i].want, "fixed %llu/10^%u",
		    (unsigned long long)fixed[i].v, fixed[i].digits);
		hc_buf_free(&b);
	}
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		hc_buf_i64(&b, ints[i].v);
		tap_is_str(txt(&b), ints[i].want, "i64 case %zu", i);
		hc_buf_free(&b);
	}
	hc_buf_u64(&b, UINT64_MAX);
	tap_is_str(txt(&b), "18446744073709551615", "u64 max");
	hc_buf_free(&b);

	/* a failure is sticky: later adds do nothing, take frees and answers NULL */
	HC_BUF_LIT(&b, "kept");
	tap_is_int(hc_buf_reserve(&b, SIZE_MAX - 8), HC_ERR_NOMEM, "an impossible size fails");
	tap_is_int(hc_buf_add(&b, "more", 4), HC_ERR_NOMEM, "adds after a failure fail");
	tap_is_int(hc_buf_printf(&b, "%d", 1), HC_ERR_NOMEM, "printf after a failure fails");
	tap_ok(b.len == 4, "nothing added after the failure");
	tap_ok(hc_buf_take(&b, &len) == NULL && len == 0, "take after a failure: NULL");
	tap_is_int(b.err, HC_OK, "take resets the error");
	hc_buf_free(NULL);
	tap_ok(1, "free(NULL) is safe");
	return tap_done();
}

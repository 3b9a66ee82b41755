/* test_cidr: unit tests of hc_cidr (CIDR allowlists). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_cidr.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

static const struct pcase {
	const char	*text;
	int		 rc;
	size_t		 n;
	const char	*errpart;	/* on failure, err must contain this */
} pcases[] = {
	{ "127.0.0.0/8,::1/128", 0, 2, NULL },
	{ " 10.0.0.0/8 , 192.168.1.1 ", 0, 2, NULL },
	{ "\t10.0.0.0/8\t", 0, 1, NULL },
	{ "", 0, 0, NULL },
	{ ",,", 0, 0, NULL },
	{ "10.0.0.0/8,", 0, 1, NULL },
	{ "0.0.0.0/0", 0, 1, NULL },
	{ "::/0", 0, 1, NULL },
	{ "2001:db8::/32,fe80::/10,::ffff:0:0/96", 0, 3, NULL },
	{ "10.0.0.0/33", -1, 0, "/33" },
	{ "::1/129", -1, 0, "/129" },
	{ "10.0.0.0/", -1, 0, "prefix" },
	{ "10.0.0.0/-1", -1, 0, "/-1" },
	{ "10.0.0.0/abc", -1, 0, "/abc" },
	{ "10.0.0.0/8x", -1, 0, "/8x" },
	{ "10.0.0.0/ 8", -1, 0, "prefix" },
	{ "10.0.0.0/+8", -1, 0, "prefix" },
	{ "1.2.3.4/8/8", -1, 0, "prefix" },
	{ "foo", -1, 0, "foo" },
	{ "10.0.0.256/8", -1, 0, "10.0.0.256" },
	{ "127.0.0.0/8,localhost", -1, 0, "localhost" },
	{ "10.0.0.0 /8", -1, 0, "10.0.0.0 " },
	{ "/8", -1, 0, "address" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", -1, 0, "CIDR" },
	{ "0000000000000000000000000000000000000000000000000000000000000/8", -1, 0, "CIDR" },
};

static const struct mcase {
	const char	*list;
	const char	*addr;
	int		 match;
} mcases[] = {
	{ "127.0.0.0/8,::1/128", "127.0.0.1", 1 },
	{ "127.0.0.0/8,::1/128", "127.255.255.255", 1 },
	{ "127.0.0.0/8,::1/128", "128.0.0.1", 0 },
	{ "127.0.0.0/8,::1/128", "::1", 1 },
	{ "127.0.0.0/8,::1/128", "::2", 0 },
	{ "127.0.0.0/8,::1/128", "::ffff:127.0.0.1", 1 },
	{ "127.0.0.0/8,::1/128", "::ffff:10.0.0.1", 0 },
	{ "127.0.0.0/8,::1/128", "localhost", 0 },
	{ "127.0.0.0/8,::1/128", "", 0 },
	{ "127.0.0.0/8,::1/128", "127.0.0.1 ", 0 },
	{ "172.16.0.0/12", "172.16.0.0", 1 },
	{ "172.16.0.0/12", "172.31.255.255", 1 },
	{ "172.16.0.0/12", "172.32.0.0", 0 },
	{ "172.16.0.0/12", "172.15.255.255", 0 },
	{ "10.1.2.3", "10.1.2.3", 1 },
	{ "10.1.2.3", "10.1.2.4", 0 },
	{ "10.1.2.3/31", "10.1.2.2", 1 },
	{ "10.1.2.3/31", "10.1.2.4", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "::/0", "2001:db8::1", 1 },
	{ "::/0", "192.0.2.1", 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "", "127.0.0.1", 0 },
};

static void
check_parse(void)
{
	struct hc_cidr_list l;
	char	 err[160];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];

		snprintf(err, sizeof(err), "untouched");
		l.v = (struct hc_cidr *)&l;
		l.n = 42;
		rc = hc_cidr_list_parse(&l, c->text, err, sizeof(err));
		tap_is_int(rc, c->rc, "parse \"%s\": rc", c->text);
		tap_is_int(l.n, c->n, "parse \"%s\": blocks", c->text);
		if (c->rc == -1) {
			tap_ok(l.v == NULL, "parse \"%s\": list empty on failure", c->text);
			if (!tap_ok(strstr(err, c->errpart) != NULL,
			    "parse \"%s\": err names \"%s\"", c->text, c->errpart))
				printf("#   err: %s\n", err);
		}
		hc_cidr_list_free(&l);
		tap_is_int(hc_cidr_list_check(c->text, err, sizeof(err)), c->rc,
		    "check \"%s\" agrees with parse", c->text);
	}
}

static void
check_blocks(void)
{
	struct hc_cidr_list l;
	char	 err[160];
	static const unsigned char v6one[16] = { [15] = 1 };

	if (hc_cidr_list_parse(&l, "10.20.30.40/12, ::1", err, sizeof(err)) == -1) {
		tap_ok(0, "blocks: parse");
		return;
	}
	tap_is_int(l.n, 2, "blocks: two");
	tap_ok(l.v[0].addr[0] == 10 && l.v[0].addr[1] == 20 && l.v[0].addr[3] == 40,
	    "blocks: IPv4 address bytes");
	tap_is_int(l.v[0].bits, 12, "blocks: IPv4 prefix");
	tap_is_int(l.v[1].bits, 128, "blocks: bare IPv6 address is /128");
	tap_ok(memcmp(l.v[1].addr, v6one, 16) == 0, "blocks: IPv6 address bytes");
	tap_ok(l.v[0].family != l.v[1].family, "blocks: families differ");
	hc_cidr_list_free(&l);
	tap_ok(l.v == NULL && l.n == 0, "blocks: free empties the list");
	hc_cidr_list_free(&l);
	hc_cidr_list_free(NULL);
	tap_ok(1, "blocks: free is NULL-safe and idempotent");
}

static void
check_match(void)
{
	struct hc_cidr_list l;
	char	 err[160];
	size_t	 i;

	for (i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		const struct mcase *c = &mcases[i];

		if (!tap_ok(hc_cidr_list_parse(&l, c->list, err, sizeof(err)) == 0,
		    "match: parse \"%s\"", c->list))
			continue;
		tap_is_int(hc_cidr_list_match(&l, c->addr), c->match,
		    "\"%s\" in \"%s\"", c->addr, c->list);
		hc_cidr_list_free(&l);
	}
	if (hc_cidr_list_parse(&l, "0.0.0.0/0", err, sizeof(err)) == 0) {
		tap_is_int(hc_cidr_list_match(&l, NULL), 0, "match: NULL address");
		hc_cidr_list_free(&l);
	}
	tap_is_int(hc_cidr_list_match(NULL, "127.0.0.1"), 0, "match: NULL list");
}

int
main(void)
{
	check_parse();
	check_blocks();
	check_match();
	return tap_done();
}

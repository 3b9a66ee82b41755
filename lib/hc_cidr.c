/* hc_cidr: parsing and matching of CIDR allowlists. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int
hc_cidr_parse1(struct hc_cidr *c, const char *tok, size_t len, char *err,
    size_t errlen)
{
	char	 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long	 bits;
	unsigned max;

	if (len == 0 || len >= sizeof(buf)) {
		snprintf(err, errlen, "bad CIDR block \"%.*s\"", (int)(len > 64 ? 64 : len), tok);
		return -1;
	}
	memcpy(buf, tok, len);
	buf[len] = '\0';
	memset(c, 0, sizeof(*c));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "bad address \"%s\" in CIDR list", buf);
		return -1;
	}
	c->bits = max;
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		/* strtol alone would take "/ 8" and "/+8" */
		if (!isdigit((unsigned char)*slash) || *end != '\0' ||
		    errno != 0 || bits < 0 ||
		    bits > (long)max) {
			snprintf(err, errlen, "bad prefix length \"/%s\" in CIDR list", slash);
			return -1;
		}
		c->bits = (unsigned)bits;
	}
	return 0;
}

int
hc_cidr_list_parse(struct hc_cidr_list *list, const char *text, char *err,
    size_t errlen)
{
	const char *p = text, *e;
	size_t	 n = 1, len;
	struct hc_cidr *v;

	list->v = NULL;
	list->n = 0;
	for (e = text; *e != '\0'; e++)
		if (*e == ',')
			n++;
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, ',');
		len = e == NULL ? strlen(p) : (size_t)(e - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0 && hc_cidr_parse1(&v[n++], p, len, err, errlen) == -1) {
			free(v);
			return -1;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	list->v = v;
	list->n = n;
	return 0;
}

int
hc_cidr_list_check(const char *text, char *err, size_t errlen)
{
	struct hc_cidr_list l;

	if (hc_cidr_list_parse(&l, text, err, errlen) == -1)
		return -1;
	hc_cidr_list_free(&l);
	return 0;
}

static int
hc_prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned	 full = bits / 8, rest = bits % 8;
	unsigned char	 mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int
hc_cidr_list_match(const struct hc_cidr_list *list, const char *addr)
{
	unsigned char	 a[16];
	int		 fam;
	size_t		 i;
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (addr == NULL || list == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		fam = AF_INET6;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memmove(a, a + 12, 4);
			fam = AF_INET;
		}
	} else
		return 0;
	for (i = 0; i < list->n; i++)
		if (list->v[i].family == fam &&
		    hc_prefix_eq(a, list->v[i].addr, list->v[i].bits))
			return 1;
	return 0;
}

void
hc_cidr_list_free(struct hc_cidr_list *list)
{
	if (list == NULL)
		return;
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

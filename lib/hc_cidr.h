/* hc_cidr: address allowlists written as comma-separated CIDR blocks. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_CIDR_H
#define HC_CIDR_H

#include <stddef.h>

struct hc_cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	unsigned	 bits;
};

struct hc_cidr_list {
	struct hc_cidr	*v;
	size_t		 n;
};

/*
 * Parses "127.0.0.0/8,::1/128" (spaces allowed; a bare address means the
 * whole address).  Returns 0, or -1 with the reason in err; list is empty
 * on failure.  Free with hc_cidr_list_free.
 */
int	 hc_cidr_list_parse(struct hc_cidr_list *list, const char *text,
	    char *err, size_t errlen);

/* Validates text as hc_cidr_list_parse does, keeping nothing. */
int	 hc_cidr_list_check(const char *text, char *err, size_t errlen);

/*
 * Returns 1 when addr (textual IPv4 or IPv6, as REMOTE_ADDR gives it;
 * IPv4-mapped IPv6 is matched as IPv4) is inside a block of list, else 0.
 */
int	 hc_cidr_list_match(const struct hc_cidr_list *list, const char *addr);

/* NULL-safe. */
void	 hc_cidr_list_free(struct hc_cidr_list *list);

#endif

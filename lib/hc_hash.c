/* hc_hash: FNV-1a 64, the hash behind the flag cache's ETags and the token memo's slots. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_hash.h"

uint64_t
hc_hash64(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t	 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

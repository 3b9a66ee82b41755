/* hc_hash: one non-cryptographic 64-bit hash (FNV-1a) for cache keys and ETags. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_HASH_H
#define HC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HC_HASH_INIT	14695981039346656037ULL	/* the FNV-1a 64 offset basis */

/* FNV-1a 64 of len bytes at p, continuing from h (HC_HASH_INIT to start). */
uint64_t hc_hash64(uint64_t h, const void *p, size_t len);

#endif

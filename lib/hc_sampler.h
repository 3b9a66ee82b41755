/* hc_sampler: the capped Redis stream of recent history samples that every node's agent shares. */
#ifndef HC_SAMPLER_H
#define HC_SAMPLER_H

#include <stddef.h>

#include "hc_err.h"
#include "hc_history.h"

struct hc_redis;

/*
 * Stream <prefix>history:samples, one entry per interval with the id
 * "<t * 1000>-0" and the fields desired (-1 unknown), source, active,
 * stale, status, sp (0/1), since (s, 0 none).  The first node to sample
 * an interval writes it; every node copies the stream into its own file,
 * so the files agree and a node that was down fills its gap.
 */

/*
 * Appends s unless its interval is in the stream already, trimming the
 * stream to about maxlen entries.  *added: 1 appended, 0 present, -1
 * older than the newest entry (another node is ahead; s is dropped).
 * Returns HC_OK or HC_ERR_REDIS with the reason in errstr.
 */
enum hc_err hc_sampler_publish(struct hc_redis *r, const char *prefix,
	    const struct hc_sample *s, long maxlen, int *added, char *errstr,
	    size_t errlen);

/*
 * The entries after interval after_t (0: from the oldest), at most max,
 * oldest first, into the malloc'd *out (the caller frees; *n of them).
 * Returns HC_OK, HC_ERR_NOMEM, HC_ERR_PARSE (an entry that is not a
 * sample: skipped, the rest are returned) or HC_ERR_REDIS (errstr).
 */
enum hc_err hc_sampler_fetch(struct hc_redis *r, const char *prefix,
	    long long after_t, size_t max, struct hc_sample **out, size_t *n,
	    char *errstr, size_t errlen);

#endif

/* hc_events: channel patterns, stream filters and the relayed message format of the events program. */
#ifndef HC_EVENTS_H
#define HC_EVENTS_H

#include <stddef.h>

#define HC_EVENTS_PATTERNS_MAX	32	/* patterns in HEADCOUNT_EVENT_CHANNELS */
#define HC_EVENTS_FILTER_MAX	32	/* channels in one ?channels= */
#define HC_EVENTS_NAME_MAX	256	/* bytes of one pattern or channel */

/*
 * Redis's glob (as PSUBSCRIBE matches): * any run, ? one byte, [abc],
 * [^a], [a-z], \x a literal x.  Returns 1 when s[0..slen) matches
 * pat[0..plen), else 0.
 */
int	 hc_events_glob(const char *pat, size_t plen, const char *s, size_t slen);

/*
 * The patterns of HEADCOUNT_EVENT_CHANNELS: a comma-separated list of 1 to
 * HC_EVENTS_PATTERNS_MAX patterns, each 1 to HC_EVENTS_NAME_MAX printable
 * ASCII bytes without spaces or commas.  Returns the count (>= 1) with up
 * to max pointers into a malloc'd copy in *store (the caller frees
 * *store, NULL on failure), or -1 with the reason in err.
 */
int	 hc_events_patterns(const char *list, char **store, const char **out,
	    size_t max, char *err, size_t errlen);

/*
 * A stream's ?channels= value: 1 to HC_EVENTS_FILTER_MAX channel names,
 * comma-separated, each 1 to HC_EVENTS_NAME_MAX printable ASCII bytes
 * without spaces or the glob characters * ? [ ] \, each matching one of
 * the n patterns; duplicates count once.  Returns the number of distinct
 * channels with pointers into a malloc'd copy in *store (the caller frees
 * it), or -1 with a reason for the 400 in why.
 */
int	 hc_events_filter(const char *value, const char *const *patterns,
	    size_t n, char **store, const char **out, size_t max, char *why,
	    size_t whylen);

/*
 * The relayed message {"channel":channel,"data":...} built with json-c:
 * a payload that is a JSON object is embedded as an object, anything else
 * as a string (invalid UTF-8 in either replaced by U+FFFD).  Returns a
 * malloc'd NUL-terminated line without a newline (its length in *len), or
 * NULL without memory.
 */
char	*hc_events_message(const char *channel, size_t chlen,
	    const char *payload, size_t plen, size_t *len);

/*
 * Copies s[0..len) into a malloc'd NUL-terminated string with every
 * invalid UTF-8 sequence replaced by U+FFFD and, when no_ctl is set, every
 * control character by '?' (for a line of the event-stream).  Returns it
 * (its length in *outlen when not NULL), or NULL without memory.
 */
char	*hc_events_clean(const char *s, size_t len, int no_ctl, size_t *outlen);

#endif

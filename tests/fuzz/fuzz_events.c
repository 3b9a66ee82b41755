/* fuzz_events: the events program's channel globs, HEADCOUNT_EVENT_CHANNELS, ?channels= filters and relayed messages (libFuzzer). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pats[] = { "events:*", "app:[a-c]?", "x\\*y" };
	const char	*out[HC_EVENTS_FILTER_MAX + 1];
	char		*buf, *nl, *store = NULL, *msg, err[256];
	size_t		 len, n, i;
	int		 k;
	json_object	*o;

	if (size < 1 || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	n = size - 1;
	nl = memchr(buf, '\n', n);
	switch (data[0] % 5) {
	case 0:
		if (nl != NULL)
			(void)hc_events_glob(buf, (size_t)(nl - buf), nl + 1,
			    n - (size_t)(nl - buf) - 1);
		break;
	case 1:
		k = hc_events_patterns(buf, &store, out, HC_EVENTS_PATTERNS_MAX, err, sizeof(err));
		if (k > HC_EVENTS_PATTERNS_MAX || (k == -1 && store != NULL))
			abort();
		break;
	case 2:
		k = hc_events_filter(buf, pats, 3, &store, out, HC_EVENTS_FILTER_MAX, err,
		    sizeof(err));
		if (k > HC_EVENTS_FILTER_MAX)
			abort();
		for (i = 0; k > 0 && i < (size_t)k; i++)	/* each accepted channel matches a pattern */
			if (!hc_events_glob(pats[0], strlen(pats[0]), out[i], strlen(out[i])) &&
			    !hc_events_glob(pats[1], strlen(pats[1]), out[i], strlen(out[i])) &&
			    !hc_events_glob(pats[2], strlen(pats[2]), out[i], strlen(out[i])))
				abort();
		break;
	case 3:
		if (nl == NULL)
			break;
		if ((msg = hc_events_message(buf, (size_t)(nl - buf), nl + 1,
		    n - (size_t)(nl - buf) - 1, &len)) != NULL) {
			/* always one valid JSON line */
			if (memchr(msg, '\n', len) != NULL || (o = json_tokener_parse(msg)) == NULL)
				abort();
			json_object_put(o);
			free(msg);
		}
		break;
	default:
		free(hc_events_clean(buf, n, data[0] & 8, NULL));
		break;
	}
	free(store);
	free(buf);
	return 0;
}

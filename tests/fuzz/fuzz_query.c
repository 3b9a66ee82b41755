/* fuzz_query: the query string parser and percent-decoding (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_query	 q;
	char		*s, *dst;
	size_t		 i;

	if ((s = malloc(size + 1)) == NULL || (dst = malloc(size + 1)) == NULL) {
		free(s);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	hc_pct_decode(dst, (const char *)data, size, 0);
	hc_pct_decode(dst, (const char *)data, size, 1);
	if (hc_query_parse(&q, s) == 0) {
		for (i = 0; i < q.n; i++) {
			if (hc_query_get(&q, q.kv[i].key) == NULL)
				abort();	/* a parsed key must be found again */
			if (hc_query_count(&q, q.kv[i].key) == 0)
				abort();
		}
		hc_query_free(&q);
	} else if (q.n != 0)
		abort();	/* documented: q is empty on failure */
	free(dst);
	free(s);
	return 0;
}

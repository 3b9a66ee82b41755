/* fuzz_sentinel: Sentinel and ROLE replies, as RESP bytes through hiredis's reader (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_sentinel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * hiredis (0.14) allocates an array's element vector as soon as it reads
 * the count: "*2000000000" is an allocation failure inside hiredis, not
 * in the code under test; such inputs are skipped.
 */
static int
huge_aggregate(const uint8_t *d, size_t n)
{
	size_t	 i, digits;

	for (i = 0; i < n; i++) {
		if (d[i] != '*' && d[i] != '%' && d[i] != '~' && d[i] != '>' && d[i] != '|')
			continue;
		for (digits = 0; i + 1 + digits < n && d[i + 1 + digits] >= '0' &&
		    d[i + 1 + digits] <= '9'; digits++)
			continue;
		if (digits > 5)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader	*rd;
	void		*rep = NULL;
	char		 host[256], err[256];
	int		 port, n = 0;

	if (huge_aggregate(data, size) || (rd = redisReaderCreate()) == NULL)
		return 0;
	if (redisReaderFeed(rd, (const char *)data, size) == REDIS_OK)
		while (n++ < 8 && redisReaderGetReply(rd, &rep) == REDIS_OK && rep != NULL) {
			if (hc_sentinel_parse_addr(rep, host, sizeof(host), &port, err,
			    sizeof(err)) == 0 && (port < 1 || port > 65535 || host[0] == '\0'))
				abort();
			(void)hc_sentinel_parse_role(rep, err, sizeof(err));
			freeReplyObject(rep);
			rep = NULL;
		}
	redisReaderFree(rd);
	return 0;
}

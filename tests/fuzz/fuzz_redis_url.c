/* fuzz_redis_url: REDIS_URL in every form (redis://, unix://, redis+sentinel://) (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_redis.h"
#include "hc_sentinel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hc_sentinel_url su;
	struct hc_redis_url u;
	char		*buf, err[1024];
	size_t		 i;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (hc_redis_url_parse(buf, &u, err, sizeof(err)) == 0) {
		if ((u.path[0] == '\0') == (u.host[0] == '\0'))
			abort();	/* TCP or a socket, never both or neither */
		if (u.port < 1 || u.port > 65535)
			abort();
	}
	if (hc_sentinel_url_parse(buf, &su, err, sizeof(err)) == 0) {
		if (su.n < 1 || su.n > HC_SENTINEL_MAX || su.master[0] == '\0')
			abort();
		for (i = 0; i < su.n; i++)
			if (su.node[i].host[0] == '\0' || su.node[i].port < 1 ||
			    su.node[i].port > 65535)
				abort();
	}
	/* a handle is made without connecting */
	hc_redis_free(hc_redis_new(buf, 100, err, sizeof(err)));
	free(buf);
	return 0;
}

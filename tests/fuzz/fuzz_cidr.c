/* fuzz_cidr: the CIDR allowlist (HEADCOUNT_METRICS_ALLOW) and the address match (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_cidr_list l;
	char		*buf, *addr, err[256];
	int		 ok, chk;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((addr = strchr(buf, '\n')) != NULL)
		*addr++ = '\0';
	else
		addr = "127.0.0.1";
	ok = hc_cidr_list_parse(&l, buf, err, sizeof(err)) == 0;
	chk = hc_cidr_list_check(buf, err, sizeof(err)) == 0;
	if (ok != chk)
		abort();	/* check and parse agree */
	if (ok) {
		(void)hc_cidr_list_match(&l, addr);
		(void)hc_cidr_list_match(&l, "::ffff:10.0.0.1");
	} else if (l.n != 0)
		abort();
	hc_cidr_list_free(&l);
	free(buf);
	return 0;
}

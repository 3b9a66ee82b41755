/* promtext.h: reading samples back from the Prometheus text format in the unit tests. */
#ifndef HC_PROMTEXT_H
#define HC_PROMTEXT_H

#include <stdlib.h>
#include <string.h>

/* The value of the sample line that starts with prefix (name{labels} ), or -1. */
static double __attribute__((unused))
prom_sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t	 n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

#endif

/* hc_valid: name rules shared by the request tables, the registry and the settings. */
#include "config.h"
#include "hc_valid.h"

#include <stddef.h>

static int
hc_valid_alnum(unsigned char c)
{
	/* ASCII only: isalnum() follows the locale */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

int
hc_valid_instance_id(const char *s)
{
	size_t	 i;

	if (s == NULL || !hc_valid_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= HC_VALID_INSTANCE_ID_MAX)
			return 0;
		if (!hc_valid_alnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != ':' && s[i] != '-')
			return 0;
	}
	return 1;
}

/* hc_json: json-c helpers (numbers serialised at a fixed precision). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *
hc_json_double(double v, int decimals)
{
	char	 buf[64];
	size_t	 n;

	if (!isfinite(v))
		return NULL;
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	/* drop trailing zeros, keep at least one digit after the point */
	if (strchr(buf, '.') != NULL) {
		n = strlen(buf);
		while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
			buf[--n] = '\0';
	}
	if (strcmp(buf, "-0.0") == 0)
		snprintf(buf, sizeof(buf), "0.0");
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

int
hc_json_add(json_object *o, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (o == NULL || json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

int
hc_json_append(json_object *a, json_object *val)
{
	if (val == NULL)
		return -1;
	if (a == NULL || json_object_array_add(a, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

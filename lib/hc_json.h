/* hc_json: small json-c helpers shared by the programs. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_JSON_H
#define HC_JSON_H

#include <json-c/json.h>

/*
 * A JSON number rounded to decimals places and serialised that way
 * ("0.59", not "0.58999999999999997").  Returns a new object or NULL.
 */
json_object	*hc_json_double(double v, int decimals);

/*
 * Adds val under key to the object o, consuming val whatever happens:
 * when val is NULL (a constructor that ran out of memory) or the add
 * fails, nothing is added and val is put.  So a chain of adds cleans up
 * after itself; for a JSON null add NULL with json_object_object_add.
 * Returns 0, or -1.
 */
int		 hc_json_add(json_object *o, const char *key, json_object *val);

/* The same for appending val to the array a.  Returns 0, or -1. */
int		 hc_json_append(json_object *a, json_object *val);

#endif

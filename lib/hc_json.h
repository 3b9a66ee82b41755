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

#endif

/* hc_json: small json-c helpers shared by the programs. */
#ifndef HC_JSON_H
#define HC_JSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "hc_err.h"

/*
 * Adds val (taken) as member key of o.  Returns HC_OK (0, so that adds
 * chain with ||), or HC_ERR_NOMEM when val is NULL (a json_object_new_*
 * that failed) or the add failed, val then put: nothing leaks and no
 * member silently becomes null.  (A JSON null is added with
 * json_object_object_add(o, key, NULL), its int checked.)
 */
enum hc_err	 hc_json_add(json_object *o, const char *key, json_object *val);

/*
 * A JSON number rounded to decimals places and serialised that way
 * ("0.59", not "0.58999999999999997").  Returns a new object or NULL.
 */
json_object	*hc_json_double(double v, int decimals);

/*
 * Parses s[0..len) as one strict JSON text (RFC 8259): UTF-8, double
 * quotes only, no \u0000 in keys, no NaN or Infinity, nothing after the
 * value but white space, nesting at most depth deep (0: 32, as for a
 * request body).  Returns HC_OK with *out a new value the caller
 * puts (NULL for the text "null"), or HC_ERR_PARSE (HC_ERR_NOMEM,
 * HC_ERR_RANGE) with the reason in err ("unexpected end of data";
 * client-safe).
 */
enum hc_err	 hc_json_parse(const char *s, size_t len, int depth,
		    json_object **out, char *err, size_t errlen);

/*
 * 1 when the JSON text s[0..len) (well-formed, as json-c writes it)
 * holds no NaN, Infinity or -Infinity outside its strings, else 0.  For
 * stored JSON spliced into an answer without a parse.
 */
int		 hc_json_text_finite(const char *s, size_t len);

#endif

/* hc_json: strict JSON text in, and numbers serialised at a fixed precision. */
#include "config.h"
#include "hc_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum hc_err
hc_json_add(json_object *o, const char *key, json_object *val)
{
	if (val == NULL)
		return HC_ERR_NOMEM;
	if (o == NULL || json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		return HC_ERR_NOMEM;
	}
	return HC_OK;
}

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

/*
 * json-c accepts 'single-quoted' strings even in strict mode; valid JSON
 * has a single quote only inside a double-quoted string.
 */
static int
hc_json_quotes_ok(const char *s, size_t len)
{
	size_t	 i;
	int	 in = 0;

	for (i = 0; i < len; i++) {
		if (in && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in = !in;
		else if (!in && s[i] == '\'')
			return 0;
	}
	return 1;
}

/*
 * Whether s is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  JSON text must be (RFC 8259), and
 * json-c keeps string bytes as they came: what passed here would be
 * echoed back raw by the answers that return it (hostname, meta).
 */
static int
hc_utf8_ok(const unsigned char *s, size_t len)
{
	size_t	 i = 0, n, k;
	unsigned c, lo, hi;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return 0;
		if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Whether an object key holds a \u0000 escape.  json-c keeps keys as C
 * strings: "a\u0000b" would become "a", colliding with another key (33
 * meta keys would pass as 32) and never be returned as given.
 */
static int
hc_json_key_nul(const char *s, size_t len)
{
	size_t	 i, j;
	int	 nul;

	for (i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		nul = 0;
		for (i++; i < len && s[i] != '"'; i++)
			if (s[i] == '\\' && i + 1 < len) {
				if (s[i + 1] == 'u' && len - i >= 6 &&
				    memcmp(s + i + 2, "0000", 4) == 0)
					nul = 1;
				i++;
			}
		if (!nul)
			continue;
		for (j = i + 1; j < len && (s[j] == ' ' || s[j] == '\t' ||
		    s[j] == '\r' || s[j] == '\n'); j++)
			continue;
		if (j < len && s[j] == ':')
			return 1;
	}
	return 0;
}

#define HC_JSON_DEPTH	32	/* default nesting accepted (a request body) */

/*
 * json-c takes NaN, Infinity and -Infinity even in strict mode, and makes
 * 1e999 an infinity: none is JSON, and once stored and echoed (meta) they
 * make every later answer unreadable for a strict parser.
 */
static int
hc_json_finite(json_object *o)
{
	size_t	 i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!hc_json_finite(json_object_array_get_idx(o, i)))
				return 0;
		return 1;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (!hc_json_finite(val))
				return 0;
		}
		return 1;
	}
	default:
		return 1;
	}
}

/*
 * One strict json-c parse of s[0..len).  A bare number or literal ("5",
 * "null") may go on as far as json-c knows: the end of the text ends it.
 * Returns the value (NULL for null or on error), *jerr and in *end where
 * the parse stopped; -1 in *end without memory.
 */
static json_object *
hc_json_run(const char *s, size_t len, int depth, enum json_tokener_error *jerr,
    long *end)
{
	json_tokener	*tok;
	json_object	*obj;

	if ((tok = json_tokener_new_ex(depth)) == NULL) {
		*end = -1;
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	*end = (long)json_tokener_get_parse_end(tok);
	if ((*jerr = json_tokener_get_error(tok)) == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, " ", 1);
		*jerr = json_tokener_get_error(tok);
		*end = (long)len;
	}
	json_tokener_free(tok);
	return obj;
}

enum hc_err
hc_json_parse(const char *s, size_t len, int depth, json_object **out,
    char *err, size_t errlen)
{
	json_object	*obj = NULL, *pre;
	enum json_tokener_error jerr, perr;
	long		 end, pend;
	size_t		 i;

	*out = NULL;
	if (depth <= 0)
		depth = HC_JSON_DEPTH;
	if (len > 0x7ffffffe) {
		snprintf(err, errlen, "too long");
		return HC_ERR_RANGE;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty text");
		return HC_ERR_PARSE;
	}
	if (memchr(s, '\0', len) != NULL) {
		snprintf(err, errlen, "a NUL byte in the text");
		return HC_ERR_PARSE;
	}
	if (!hc_utf8_ok((const unsigned char *)s, len)) {
		snprintf(err, errlen, "not valid UTF-8");
		return HC_ERR_PARSE;
	}
	if (!hc_json_quotes_ok(s, len)) {
		snprintf(err, errlen, "strings must use double quotes");
		return HC_ERR_PARSE;
	}
	if (hc_json_key_nul(s, len)) {
		snprintf(err, errlen, "an object key contains \\u0000");
		return HC_ERR_PARSE;
	}
	obj = hc_json_run(s, len, depth, &jerr, &end);
	if (end < 0) {
		snprintf(err, errlen, "out of memory");
		return HC_ERR_NOMEM;
	}
	if (jerr == json_tokener_error_parse_unexpected && end > 0 && (size_t)end < len) {
		/* strict json-c stops at bytes after a whole value: say so */
		pre = hc_json_run(s, (size_t)end, depth, &perr, &pend);
		json_object_put(pre);
		if (perr == json_tokener_success) {
			snprintf(err, errlen, "trailing data after the value");
			goto fail;
		}
	}
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "%s", json_tokener_error_desc(
		    jerr == json_tokener_continue ? json_tokener_error_parse_eof : jerr));
		goto fail;
	}
	for (i = (size_t)end; i < len; i++)
		if (strchr(" \t\r\n", s[i]) == NULL) {
			snprintf(err, errlen, "trailing data after the value");
			goto fail;
		}
	if (!hc_json_finite(obj)) {
		snprintf(err, errlen, "NaN, Infinity and numbers out of range are not JSON numbers");
		goto fail;
	}
	*out = obj;
	return HC_OK;
fail:
	json_object_put(obj);
	return HC_ERR_PARSE;
}

int
hc_json_text_finite(const char *s, size_t len)
{
	size_t	 i;
	int	 in = 0;

	/* outside strings, JSON's only letters are those of true, false, null and exponents */
	for (i = 0; i < len; i++) {
		if (in) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in = 0;
		} else if (s[i] == '"')
			in = 1;
		else if (s[i] == 'N' || s[i] == 'I')
			return 0;
	}
	return 1;
}

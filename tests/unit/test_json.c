/* test_json: unit tests of hc_json (the one strict JSON reader, fixed-precision numbers, leak-free adds). */
#include "config.h"
#include "hc_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static const struct pcase {
	const char	*text;
	int		 depth;
	enum hc_err	 rc;
	const char	*type;		/* json_type_to_name of the value, "null" for NULL */
	const char	*why;		/* a fragment of the reason */
} pcases[] = {
	{ "{}", 0, HC_OK, "object", NULL },
	{ " {\"a\":[1,2.5,\"x\",true,null]} \r\n\t", 0, HC_OK, "object", NULL },
	{ "null", 0, HC_OK, "null", NULL },
	{ "null\n", 0, HC_OK, "null", NULL },
	{ "5", 0, HC_OK, "int", NULL },
	{ "-0.5e3", 0, HC_OK, "double", NULL },
	{ "true", 0, HC_OK, "boolean", NULL },
	{ "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", 0, HC_OK, "string", NULL },
	{ "{\"a\":\"it's\"}", 0, HC_OK, "object", NULL },
	{ "{\"v\":1.7976931348623157e308}", 0, HC_OK, "object", NULL },
	{ "", 0, HC_ERR_PARSE, NULL, "empty text" },
	{ "{", 0, HC_ERR_PARSE, NULL, "unexpected end of data" },
	{ "{\"a\":1} x", 0, HC_ERR_PARSE, NULL, "trailing data after the value" },
	{ "[1] [2]", 0, HC_ERR_PARSE, NULL, "trailing data after the value" },
	{ "5 6", 0, HC_ERR_PARSE, NULL, "trailing data" },
	{ "{\"a\":1}}", 0, HC_ERR_PARSE, NULL, "trailing data" },
	{ "{\"a\":1,}", 0, HC_ERR_PARSE, NULL, "unexpected character" },
	{ "{'a':1}", 0, HC_ERR_PARSE, NULL, "double quotes" },
	{ "\"\xc3\x28\"", 0, HC_ERR_PARSE, NULL, "UTF-8" },
	{ "\"\xed\xa0\x80\"", 0, HC_ERR_PARSE, NULL, "UTF-8" },
	{ "{\"a\\u0000b\":1}", 0, HC_ERR_PARSE, NULL, "\\u0000" },
	{ "[NaN]", 0, HC_ERR_PARSE, NULL, "NaN, Infinity" },
	{ "{\"m\":{\"x\":Infinity}}", 0, HC_ERR_PARSE, NULL, "NaN, Infinity" },
	{ "[-Infinity]", 0, HC_ERR_PARSE, NULL, "NaN, Infinity" },
	{ "NaN", 0, HC_ERR_PARSE, NULL, "NaN, Infinity" },
	{ "[1e999]", 0, HC_ERR_PARSE, NULL, "out of range" },
	{ "[-1e400]", 0, HC_ERR_PARSE, NULL, "out of range" },
	{ "[nan]", 0, HC_ERR_PARSE, NULL, "" },
	{ "[[1]]", 3, HC_OK, "array", NULL },
	{ "[[[1]]]", 3, HC_ERR_PARSE, NULL, "too deep" },	/* json-c counts the value itself */
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0, HC_OK, "array", NULL },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0, HC_ERR_PARSE, NULL,
	  "too deep" },	/* a request body: 31 levels, as before */
};

static void
test_parse(void)
{
	json_object	*o;
	char		 err[256];
	size_t		 i;
	enum hc_err	 rc;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];

		err[0] = '\0';
		o = (json_object *)1;
		rc = hc_json_parse(c->text, strlen(c->text), c->depth, &o, err, sizeof(err));
		tap_is_int(rc, c->rc, "parse %zu (%.30s): rc (%s)", i, c->text, err);
		if (c->rc == HC_OK)
			tap_is_str(o == NULL ? "null" : json_type_to_name(json_object_get_type(o)),
			    c->type, "parse %zu: the value's type", i);
		else {
			tap_ok(o == NULL, "parse %zu: no value on failure", i);
			tap_ok(err[0] != '\0' && strstr(err, c->why) != NULL,
			    "parse %zu: the reason (%s) says %s", i, err, c->why);
			tap_ok(strncmp(err, "malformed JSON", 14) != 0,
			    "parse %zu: the reason is bare (callers prefix it)", i);
		}
		json_object_put(o == (json_object *)1 ? NULL : o);
	}
	/* the length is what counts, not a NUL */
	tap_is_int(hc_json_parse("{}\0{}", 5, 0, &o, err, sizeof(err)), HC_ERR_PARSE,
	    "an embedded NUL byte");
	tap_is_int(hc_json_parse("{\"a\":1}xyz", 7, 0, &o, err, sizeof(err)), HC_OK,
	    "only len bytes are read");
	json_object_put(o);
}

static void
test_add(void)
{
	json_object	*o = json_object_new_object(), *v;

	tap_is_int(hc_json_add(o, "a", json_object_new_int(1)), HC_OK, "add: HC_OK");
	tap_is_int(hc_json_add(o, "b", NULL), HC_ERR_NOMEM, "add of a failed value: HC_ERR_NOMEM");
	tap_ok(!json_object_object_get_ex(o, "b", &v), "...and no null member");
	tap_is_int(hc_json_add(NULL, "c", json_object_new_string("x")), HC_ERR_NOMEM,
	    "add to no object: refused, the value put (valgrind/ASan see no leak)");
	tap_is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{\"a\":1}",
	    "the object");
	json_object_put(o);
}

static void
test_double(void)
{
	json_object	*o;

	o = hc_json_double(0.58999999999999997, 2);
	tap_is_str(json_object_to_json_string(o), "0.59", "double at 2 decimals");
	json_object_put(o);
	o = hc_json_double(-0.0001, 1);
	tap_is_str(json_object_to_json_string(o), "0.0", "no negative zero");
	json_object_put(o);
	tap_ok(hc_json_double(1.0 / 0.0, 2) == NULL, "no infinity");
}

int
main(void)
{
	test_parse();
	test_add();
	test_double();
	return tap_done();
}

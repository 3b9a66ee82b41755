/* test_param: unit tests of hc_param (declared input) and hc_valid (the shared name rules). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_param.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hc_json.h"
#include "hc_query.h"
#include "hc_valid.h"
#include "tap.h"

static const struct idcase {
	const char	*id;
	int		 ok;
} idcases[] = {
	{ "a", 1 },
	{ "backend-abc123", 1 },
	{ "A0._:-z", 1 },
	{ "9", 1 },
	{ "x123456789012345678901234567890123456789012345678901234567890123"
	  "4567890123456789012345678901234567890123456789012345678901234567", 1 },	/* 128 */
	{ "x123456789012345678901234567890123456789012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345678", 0 },	/* 129 */
	{ "", 0 },
	{ "-a", 0 },
	{ ".a", 0 },
	{ "_a", 0 },
	{ ":a", 0 },
	{ "a b", 0 },
	{ "a/b", 0 },
	{ "a%2f", 0 },
	{ "\xc3\xa9", 0 },
	{ "a\n", 0 },
	{ "a+b", 0 },
};

/* A table with one of each kind, as a route would declare it. */
enum { P_ID, P_STEP, P_FORMAT, P_FROM, P_ON, P_TAG, P_NAME, P_N, P_META, P_OK };
static const struct hc_param table[] = {
	[P_ID] = { .in = HC_IN_PATH, .name = "id", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_valid_instance_id,
	    .rule = HC_VALID_INSTANCE_ID_RULE },
	[P_STEP] = { .in = HC_IN_QUERY, .name = "step", .type = HC_PT_INT,
	    .min = 1, .max = 86400, .def = "300" },
	[P_FORMAT] = { .in = HC_IN_QUERY, .name = "format", .type = HC_PT_ENUM,
	    .def = "json", .choices = "json|csv" },
	[P_FROM] = { .in = HC_IN_QUERY, .name = "from", .type = HC_PT_TIME },
	[P_ON] = { .in = HC_IN_QUERY, .name = "on", .type = HC_PT_BOOL },
	[P_TAG] = { .in = HC_IN_QUERY, .name = "tag", .type = HC_PT_STR,
	    .flags = HC_PARAM_MULTI, .min = 1, .max = 8 },
	[P_NAME] = { .in = HC_IN_BODY, .name = "name", .type = HC_PT_STR,
	    .min = 1, .max = 255 },
	[P_N] = { .in = HC_IN_BODY, .name = "n", .type = HC_PT_INT, .min = -5, .max = 5 },
	[P_META] = { .in = HC_IN_BODY, .name = "meta", .type = HC_PT_OBJECT,
	    .flags = HC_PARAM_FLAT, .max = 3 },
	[P_OK] = { .in = HC_IN_BODY, .name = "ok", .type = HC_PT_BOOL },
	{ 0 }
};

static const char *const ID129 =
    "x123456789012345678901234567890123456789012345678901234567890123"
    "45678901234567890123456789012345678901234567890123456789012345678";

static const struct ccase {
	const char	*cap;		/* the {id} capture, NULL: none */
	const char	*qs;		/* query string */
	const char	*body;		/* JSON body, NULL: none */
	int		 ok;
	const char	*field;		/* the field named on failure */
	const char	*why;		/* a fragment of the sentence */
} ccases[] = {
	/* valid, with defaults */
	{ "web-1", "", NULL, 1, "", "" },
	{ "web-1", "step=60&format=csv&from=2026-11-22T10:00:00Z&on=true", NULL, 1, "", "" },
	{ "web-1", "tag=a&tag=b&tag=c", NULL, 1, "", "" },
	{ "web-1", "", "{\"name\":\"h\",\"n\":-5,\"meta\":{\"a\":1,\"b\":\"x\",\"c\":true},\"ok\":false}",
	  1, "", "" },
	{ "web-1", "", "{\"other\":[1,2]}", 1, "", "" },		/* undeclared body fields: ignored */
	/* path */
	{ NULL, "", NULL, 0, "id", "path segment {id} is required" },
	{ "-web", "", NULL, 0, "id", "path segment {id} must match [A-Za-z0-9]" },
	{ "x123456789012345678901234567890123456789012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345678", "", NULL, 0, "id",
	  "must match " HC_VALID_INSTANCE_ID_RULE },
	/* query keys */
	{ "web-1", "nope=1", NULL, 0, "nope", "query parameter \"nope\" is not accepted here" },
	{ "web-1", "step=1&step=2", NULL, 0, "step", "takes one value and was given 2" },
	{ "web-1", "format=csv&format=csv", NULL, 0, "format", "takes one value" },
	{ "web-1", "=x", NULL, 0, "", "query parameter \"\" is not accepted" },
	{ "web-1", "%ff%0a%22k=1", NULL, 0, "???k", "query parameter \"???k\" is not accepted" },
	{ "web-1", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk=1",
	  NULL, 0, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
	  "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\" is not" },
	{ "web-1", "tag=ok&tag=waytoolong", NULL, 0, "tag", "must be 1 to 8 bytes long" },
	{ "web-1", "tag=", NULL, 0, "tag", "must be 1 to 8 bytes long" },
	/* INT */
	{ "web-1", "step=0", NULL, 0, "step", "query parameter \"step\" must be an integer in [1, 86400]" },
	{ "web-1", "step=86401", NULL, 0, "step", "in [1, 86400]" },
	{ "web-1", "step=", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=%205", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=+5", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=5x", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=1.5", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=1e3", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=-", NULL, 0, "step", "must be an integer" },
	{ "web-1", "step=99999999999999999999", NULL, 0, "step", "must be an integer" },
	/* ENUM, TIME, BOOL */
	{ "web-1", "format=xml", NULL, 0, "format", "must be one of json|csv" },
	{ "web-1", "format=JSON", NULL, 0, "format", "must be one of json|csv" },
	{ "web-1", "format=", NULL, 0, "format", "must be one of" },
	{ "web-1", "from=yesterday", NULL, 0, "from", "must be an RFC 3339 time" },
	{ "web-1", "from=2026-13-01T00:00:00Z", NULL, 0, "from", "RFC 3339" },
	{ "web-1", "on=1", NULL, 0, "on", "query parameter \"on\" must be true or false" },
	{ "web-1", "on=TRUE", NULL, 0, "on", "must be true or false" },
	{ "web-1", "on", NULL, 0, "on", "must be true or false" },
	/* body */
	{ "web-1", "", "{\"name\":\"\"}", 0, "name", "body field \"name\" must be 1 to 255 bytes long" },
	{ "web-1", "", "{\"name\":null}", 0, "name", "body field \"name\" must be a string" },
	{ "web-1", "", "{\"name\":1}", 0, "name", "must be a string" },
	{ "web-1", "", "{\"name\":\"a\\u0000b\"}", 0, "name", "must not contain \\u0000" },
	{ "web-1", "", "{\"n\":6}", 0, "n", "body field \"n\" must be an integer in [-5, 5]" },
	{ "web-1", "", "{\"n\":1.0}", 0, "n", "must be an integer" },
	{ "web-1", "", "{\"n\":\"1\"}", 0, "n", "must be an integer" },
	{ "web-1", "", "{\"ok\":\"true\"}", 0, "ok", "must be true or false" },
	{ "web-1", "", "{\"ok\":1}", 0, "ok", "must be true or false" },
	{ "web-1", "", "{\"meta\":[]}", 0, "meta", "body field \"meta\" must be a JSON object" },
	{ "web-1", "", "{\"meta\":null}", 0, "meta", "must be a JSON object" },
	{ "web-1", "", "{\"meta\":{\"a\":null}}", 0, "meta", "meta\".a must be a string, number or boolean" },
	{ "web-1", "", "{\"meta\":{\"a\":{}}}", 0, "meta", "must be a string, number or boolean" },
	{ "web-1", "", "{\"meta\":{\"a\":[1]}}", 0, "meta", "must be a string, number or boolean" },
	{ "web-1", "", "{\"meta\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4}}", 0, "meta",
	  "must have 0 to 3 keys" },
	/* the query is checked before the body */
	{ "web-1", "x=1", "{\"n\":6}", 0, "x", "not accepted" },
};

static void
test_valid(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(idcases) / sizeof(idcases[0]); i++)
		tap_is_int(hc_valid_instance_id(idcases[i].id), idcases[i].ok,
		    "instance id case %zu (%.20s)", i, idcases[i].id);
	tap_is_int(hc_valid_instance_id(NULL), 0, "instance id NULL");
	tap_is_int(hc_valid_instance_id(ID129 + 1), 1, "instance id of 128 bytes");
}

static void
test_check(void)
{
	struct hc_query	 q;
	struct hc_param_in in;
	struct hc_param_err pe;
	struct hc_pval	 val[HC_PARAM_MAXN];
	json_object	*body;
	char		*cap[1], err[256];
	size_t		 i;
	enum hc_err	 rc;

	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *c = &ccases[i];

		body = NULL;
		if (c->body != NULL && hc_json_parse(c->body, strlen(c->body), 0, &body,
		    err, sizeof(err)) != HC_OK) {
			tap_ok(0, "case %zu: body parses: %s", i, err);
			continue;
		}
		if (hc_query_parse(&q, c->qs) == -1) {
			tap_ok(0, "case %zu: query parses", i);
			json_object_put(body);
			continue;
		}
		cap[0] = (char *)c->cap;
		memset(&in, 0, sizeof(in));
		in.pattern = "/api/v1/things/{id}";
		in.cap = cap;
		in.ncap = c->cap != NULL;
		in.query = &q;
		in.body = body;
		rc = hc_param_check(table, &in, val, HC_PARAM_MAXN, &pe);
		tap_is_int(rc, c->ok ? HC_OK : HC_ERR_INVALID, "case %zu (%s ?%s %s): rc",
		    i, c->cap ? c->cap : "-", c->qs, c->body ? c->body : "-");
		if (!c->ok) {
			tap_is_str(pe.field, c->field, "case %zu: names the field", i);
			if (!tap_ok(strstr(pe.errstr, c->why) != NULL,
			    "case %zu: the sentence names the rule", i))
				printf("#   got: \"%s\"\n#  want: \"...%s...\"\n", pe.errstr, c->why);
		}
		json_object_put(body);
		hc_query_free(&q);
	}
}

/* The values a handler gets. */
static void
test_values(void)
{
	struct hc_query	 q;
	struct hc_param_in in;
	struct hc_param_err pe;
	struct hc_pval	 val[HC_PARAM_MAXN];
	json_object	*body;
	char		*cap[1] = { "web-1" }, err[256];
	const char	*b = "{\"name\":\"host\",\"n\":-3,\"meta\":{\"k\":1.5},\"ok\":true}";

	tap_ok(hc_json_parse(b, strlen(b), 0, &body, err, sizeof(err)) == HC_OK, "body parses");
	hc_query_parse(&q, "format=csv&from=2026-11-22T10:00:00Z&on=false&tag=a&tag=b");
	memset(&in, 0, sizeof(in));
	in.pattern = "/api/v1/things/{id}";
	in.cap = cap;
	in.ncap = 1;
	in.query = &q;
	in.body = body;
	tap_is_int(hc_param_check(table, &in, val, HC_PARAM_MAXN, &pe), HC_OK, "check: ok");
	tap_is_str(val[P_ID].s, "web-1", "path value");
	tap_is_int(val[P_ID].set, HC_PVAL_GIVEN, "path value given");
	tap_is_int(val[P_STEP].set, HC_PVAL_DEFAULT, "step from its default");
	tap_is_int(val[P_STEP].i, 300, "step default 300");
	tap_is_str(val[P_FORMAT].s, "csv", "format csv");
	tap_is_int(val[P_FORMAT].i, 1, "format: index of the choice");
	tap_is_int(val[P_FROM].t, 1795341600LL, "from as epoch seconds");
	tap_is_int(val[P_ON].set, HC_PVAL_GIVEN, "on given");
	tap_is_int(val[P_ON].b, 0, "on false");
	tap_is_str(val[P_TAG].s, "a", "a repeated key: the first value");
	tap_is_str(val[P_NAME].s, "host", "body string");
	tap_is_int(val[P_N].i, -3, "body integer");
	tap_ok(val[P_META].o != NULL && json_object_is_type(val[P_META].o, json_type_object),
	    "body object, borrowed from the body");
	tap_is_int(val[P_OK].b, 1, "body boolean");
	json_object_put(body);
	hc_query_free(&q);

	/* nothing given: absent, or defaults */
	hc_query_parse(&q, "");
	in.query = &q;
	in.body = NULL;
	tap_is_int(hc_param_check(table, &in, val, HC_PARAM_MAXN, &pe), HC_OK, "only the path");
	tap_is_int(val[P_FROM].set, 0, "from absent");
	tap_is_int(val[P_NAME].set, 0, "name absent");
	tap_ok(val[P_META].o == NULL, "meta absent: NULL");
	tap_is_str(val[P_FORMAT].s, "json", "format default json");
	tap_is_int(val[P_FORMAT].set, HC_PVAL_DEFAULT, "format from its default");
	in.query = NULL;
	tap_is_int(hc_param_check(table, &in, val, HC_PARAM_MAXN, &pe), HC_OK, "no query at all");
	hc_query_free(&q);
}

/* A route without a table takes no query key; a table too long or a bad default is the program's fault. */
static void
test_tables(void)
{
	static const struct hc_param baddef[] = {
		{ .in = HC_IN_QUERY, .name = "step", .type = HC_PT_INT, .min = 1, .max = 9,
		    .def = "10" },
		{ 0 }
	};
	static const struct hc_param body_opt[] = {
		{ .in = HC_IN_BODY, .name = "enabled", .type = HC_PT_BOOL },
		{ .in = HC_IN_QUERY, .name = "enabled", .type = HC_PT_BOOL },
		{ 0 }
	};
	static const struct hc_param body_req[] = {
		{ .in = HC_IN_BODY, .name = "instance_id", .type = HC_PT_STR,
		    .flags = HC_PARAM_REQUIRED },
		{ 0 }
	};
	struct hc_param	 big[HC_PARAM_MAXN + 2];
	struct hc_query	 q;
	struct hc_param_in in;
	struct hc_param_err pe;
	struct hc_pval	 val[HC_PARAM_MAXN];
	size_t		 i;

	memset(&in, 0, sizeof(in));
	hc_query_parse(&q, "");
	in.query = &q;
	tap_is_int(hc_param_check(NULL, &in, val, HC_PARAM_MAXN, &pe), HC_OK,
	    "no table, no query: ok");
	hc_query_free(&q);
	hc_query_parse(&q, "x=1");
	tap_is_int(hc_param_check(NULL, &in, val, HC_PARAM_MAXN, &pe), HC_ERR_INVALID,
	    "no table, a query key: refused");
	tap_is_str(pe.field, "x", "no table: names the key");
	hc_query_free(&q);
	hc_query_parse(&q, "");
	tap_is_int(hc_param_check(baddef, &in, val, HC_PARAM_MAXN, &pe), HC_ERR_RANGE,
	    "a default that breaks its own rule: the table's error");
	memset(big, 0, sizeof(big));
	for (i = 0; i < HC_PARAM_MAXN + 1; i++) {
		big[i].in = HC_IN_QUERY;
		big[i].name = "k";
	}
	tap_is_int(hc_param_check(big, &in, val, HC_PARAM_MAXN, &pe), HC_ERR_RANGE,
	    "a table longer than HC_PARAM_MAXN: refused");
	hc_query_free(&q);
	tap_is_int(hc_param_wants_body(NULL), 0, "no table: no body");
	tap_is_int(hc_param_wants_body(table), 1, "body fields: wants the body");
	tap_is_int(hc_param_needs_body(table), 0, "no required body field: body optional");
	tap_is_int(hc_param_wants_body(body_opt), 1, "flags-like table wants a body");
	tap_is_int(hc_param_needs_body(body_opt), 0, "...but not a required one");
	tap_is_int(hc_param_needs_body(body_req), 1, "a required body field needs the body");
	tap_is_int(hc_param_check(body_req, &in, val, HC_PARAM_MAXN, &pe), HC_ERR_INVALID,
	    "a required body field without a body");
	tap_is_str(pe.errstr, "body field \"instance_id\" is required", "...is required");
}

/* Tables checked for the program's own faults, as hc_app_main does at start-up. */
static int v_any(const char *s) { return s != NULL; }

static const struct lcase {
	struct hc_param	 p[3];
	const char	*pattern;
	int		 ok;
	const char	*why;
} lcases[] = {
	{ { { .in = HC_IN_PATH, .name = "id", .type = HC_PT_STR }, { 0 } }, "/x/{id}", 1, NULL },
	{ { { 0 } }, "/x", 1, NULL },
	{ { { .in = HC_IN_PATH, .name = "name", .type = HC_PT_STR }, { 0 } }, "/x/{id}", 0,
	  "no such capture" },
	{ { { .in = HC_IN_PATH, .name = "id", .type = HC_PT_STR }, { 0 } }, NULL, 0,
	  "no such capture" },
	{ { { .in = HC_IN_QUERY, .name = "o", .type = HC_PT_OBJECT }, { 0 } }, "/x", 0,
	  "body field only" },
	{ { { .in = HC_IN_QUERY, .name = "f", .type = HC_PT_ENUM }, { 0 } }, "/x", 0,
	  "without choices" },
	{ { { .in = HC_IN_BODY, .name = "t", .type = HC_PT_STR, .flags = HC_PARAM_MULTI }, { 0 } },
	  "/x", 0, "only a query key may repeat" },
	{ { { .in = HC_IN_QUERY, .name = "n", .type = HC_PT_INT, .valid = v_any }, { 0 } }, "/x", 0,
	  "a rule for a non-string" },
	{ { { .in = HC_IN_QUERY, .name = "n", .type = HC_PT_INT, .min = 5, .max = 1 }, { 0 } },
	  "/x", 0, "min above max" },
	{ { { .in = HC_IN_QUERY, .name = "n", .type = HC_PT_INT, .flags = HC_PARAM_REQUIRED,
	    .def = "1" }, { 0 } }, "/x", 0, "required and defaulted" },
	{ { { .in = HC_IN_QUERY, .name = "n", .type = HC_PT_INT, .min = 1, .max = 9,
	    .def = "10" }, { 0 } }, "/x", 0, "breaks its own rule" },
	{ { { .in = HC_IN_QUERY, .name = "f", .type = HC_PT_ENUM, .choices = "json|csv",
	    .def = "xml" }, { 0 } }, "/x", 0, "breaks its own rule" },
	{ { { .in = HC_IN_QUERY, .name = "a", .type = HC_PT_STR },
	    { .in = HC_IN_QUERY, .name = "a", .type = HC_PT_INT }, { 0 } }, "/x", 0,
	  "declared twice" },
	{ { { .in = HC_IN_QUERY, .name = "a", .type = HC_PT_BOOL },
	    { .in = HC_IN_BODY, .name = "a", .type = HC_PT_BOOL }, { 0 } }, "/x", 1, NULL },
	{ { { .in = HC_IN_MAX, .name = "a", .type = HC_PT_STR }, { 0 } }, "/x", 0, "unknown" },
};

static void
test_lint(void)
{
	struct hc_param	 big[HC_PARAM_MAXN + 2];
	char		 err[256], names[HC_PARAM_MAXN + 1][8];
	size_t		 i;
	enum hc_err	 rc;

	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		err[0] = '\0';
		rc = hc_param_table_check(lcases[i].p, lcases[i].pattern, err, sizeof(err));
		tap_is_int(rc == HC_OK, lcases[i].ok, "table %zu: %s", i,
		    lcases[i].ok ? "accepted" : "refused");
		if (!lcases[i].ok && !tap_ok(strstr(err, lcases[i].why) != NULL,
		    "table %zu: says %s", i, lcases[i].why))
			printf("#   got: \"%s\"\n", err);
	}
	tap_is_int(hc_param_table_check(table, "/api/v1/things/{id}", err, sizeof(err)), HC_OK,
	    "the test table itself is sound");
	memset(big, 0, sizeof(big));
	for (i = 0; i < HC_PARAM_MAXN + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "k%zu", i);
		big[i].in = HC_IN_QUERY;
		big[i].name = names[i];
	}
	tap_is_int(hc_param_table_check(big, "/x", err, sizeof(err)), HC_ERR_RANGE,
	    "a table of more than HC_PARAM_MAXN entries");
}

int
main(void)
{
	test_valid();
	test_check();
	test_values();
	test_tables();
	test_lint();
	return tap_done();
}

/* hc_param: a route's input declared in a table (path, query, JSON body), checked before its handler. */
#ifndef HC_PARAM_H
#define HC_PARAM_H

#include <stddef.h>
#include <json-c/json.h>

#include "hc_err.h"

struct hc_query;

enum hc_ptype {
	HC_PT_STR,
	HC_PT_INT,
	HC_PT_BOOL,	/* query/path "true" or "false"; body a JSON boolean */
	HC_PT_TIME,	/* RFC 3339 (hc_time_parse) */
	HC_PT_ENUM,	/* one of the '|'-separated choices */
	HC_PT_OBJECT,	/* body only: a JSON object */
	HC_PT_MAX
};

enum hc_pin {
	HC_IN_PATH,	/* a {name} capture of the route's pattern */
	HC_IN_QUERY,	/* a query-string key */
	HC_IN_BODY,	/* a top-level field of a JSON object body */
	HC_IN_MAX
};

#define HC_PARAM_REQUIRED	0x01u	/* absent -> 400 */
#define HC_PARAM_MULTI		0x02u	/* a query key that may repeat */
#define HC_PARAM_FLAT		0x04u	/* OBJECT: values are strings, numbers, booleans */

#define HC_PARAM_MAXN		16	/* entries of one table, end excluded */

/*
 * One input of a route.  Bounds apply unless min and max are both 0:
 * INT value bounds, STR length bounds (bytes), OBJECT key-count bounds.
 * Tables end with an entry whose name is NULL ({ 0 }).
 */
struct hc_param {
	enum hc_pin	 in;
	const char	*name;		/* "id" ({id}), "step", "instance_id" */
	enum hc_ptype	 type;
	unsigned	 flags;		/* HC_PARAM_* */
	long long	 min, max;
	int		(*valid)(const char *s);	/* extra STR rule, NULL none */
	const char	*rule;		/* the rule in words for the 400 */
	const char	*def;		/* default as text (not for OBJECT), NULL none */
	const char	*choices;	/* ENUM: "json|csv" */
};

/*
 * A checked value, val[i] for table[i].  set: 0 absent, 1 given, 2 the
 * default.  s: STR, ENUM and TIME text (borrowed from the request: valid
 * while it is); i: INT, and the choice's index for ENUM; b: BOOL; t:
 * TIME as seconds since the epoch; o: OBJECT (borrowed from the body).
 */
struct hc_pval {
	int		 set;
	const char	*s;
	long long	 i;
	int		 b;
	long long	 t;
	struct json_object *o;
};

#define HC_PVAL_GIVEN	1
#define HC_PVAL_DEFAULT	2

/* What one request brought, for hc_param_check. */
struct hc_param_in {
	const char		*pattern;	/* route pattern naming the captures, NULL none */
	char *const		*cap;		/* decoded {name} values, in pattern order */
	size_t			 ncap;
	const struct hc_query	*query;		/* NULL: no query */
	json_object		*body;		/* the parsed body object, NULL: none */
};

/* The handle of a check: why it failed. */
struct hc_param_err {
	enum hc_err	 err;		/* HC_OK, HC_ERR_INVALID (the client's), HC_ERR_RANGE (the table's) */
	char		 field[64];	/* the field or query key that broke a rule */
	char		 errstr[256];	/* the sentence for the 400, naming field and rule */
};

/*
 * Checks in against table: every query key must be declared (as
 * HC_IN_QUERY), once unless HC_PARAM_MULTI; then each entry in order is
 * looked up, type-checked, bounded, validated, or defaulted.  Fills
 * val[0..n) for a table of n entries (nval must be at least n).
 * Returns HC_OK, or HC_ERR_INVALID with pe->field and pe->errstr saying
 * which rule the client broke, or HC_ERR_RANGE for a table longer than
 * nval (a programming error).  Nothing is allocated.
 */
enum hc_err hc_param_check(const struct hc_param *table,
	    const struct hc_param_in *in, struct hc_pval *val, size_t nval,
	    struct hc_param_err *pe);

/*
 * Checks a table itself, for the route pattern it serves (a program's
 * bug, found at start-up rather than as a 500 per request): a path
 * entry names a capture, an object is a body field, an enum has
 * choices, only query keys repeat, a rule is for a string, bounds are
 * ordered, a default obeys its own rule and is not on a required entry,
 * no name twice in one place, at most HC_PARAM_MAXN entries.  Returns
 * HC_OK, or HC_ERR_INVALID / HC_ERR_RANGE with the entry and the fault
 * in err.
 */
enum hc_err hc_param_table_check(const struct hc_param *table,
	    const char *pattern, char *err, size_t errlen);

/* 1 when table has an HC_IN_BODY entry (the body is then parsed as JSON). */
int	 hc_param_wants_body(const struct hc_param *table);

/* 1 when table has a required HC_IN_BODY entry (an empty body is then refused). */
int	 hc_param_needs_body(const struct hc_param *table);

#endif

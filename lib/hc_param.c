/* hc_param: checks a request's path captures, query and JSON body against a route's table. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_param.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_query.h"
#include "hc_time.h"

/* One setter for the handle, so that every refusal reads the same. */
static enum hc_err __attribute__((format(printf, 4, 5)))
hc_param_fail(struct hc_param_err *pe, enum hc_err err, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;

	pe->err = err;
	snprintf(pe->field, sizeof(pe->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(pe->errstr, sizeof(pe->errstr), fmt, ap);
	va_end(ap);
	return err;
}

/* "query parameter \"step\"", as the 400 names the field. */
static const char *
hc_param_where(const struct hc_param *p, char *buf, size_t len)
{
	switch (p->in) {
	case HC_IN_PATH:
		snprintf(buf, len, "path segment {%s}", p->name);
		break;
	case HC_IN_QUERY:
		snprintf(buf, len, "query parameter \"%s\"", p->name);
		break;
	default:
		snprintf(buf, len, "body field \"%s\"", p->name);
		break;
	}
	return buf;
}

/* The index of {name} among the pattern's captures, or -1. */
static int
hc_param_capture(const char *pattern, const char *name)
{
	const char *p, *e;
	size_t	 n = strlen(name);
	int	 i = 0;

	if (pattern == NULL)
		return -1;
	for (p = pattern; (p = strchr(p, '{')) != NULL; p = e + 1, i++) {
		if ((e = strchr(p, '}')) == NULL)
			return -1;
		if ((size_t)(e - p - 1) == n && memcmp(p + 1, name, n) == 0)
			return i;
	}
	return -1;
}

static int
hc_param_bounded(const struct hc_param *p)
{
	return p->min != 0 || p->max != 0;
}

/* Index of s among the '|'-separated choices, or -1. */
static long long
hc_param_choice(const char *choices, const char *s)
{
	const char *p = choices, *e;
	size_t	 n = strlen(s);
	long long i = 0;

	if (choices == NULL)
		return -1;
	for (;; i++) {
		e = strchr(p, '|');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, s, n) == 0)
			return i;
		if (*e == '\0')
			return -1;
		p = e + 1;
	}
}

/* The STR rules (length, then the validator) on s. */
static enum hc_err
hc_param_str(const struct hc_param *p, const char *s, const char *where,
    struct hc_pval *v, struct hc_param_err *pe)
{
	size_t	 len = strlen(s);

	if (hc_param_bounded(p) && ((long long)len < p->min || (long long)len > p->max))
		return hc_param_fail(pe, HC_ERR_INVALID, p->name,
		    "%s must be %lld to %lld bytes long", where, p->min, p->max);
	if (p->valid != NULL && !p->valid(s))
		return hc_param_fail(pe, HC_ERR_INVALID, p->name, "%s must match %s",
		    where, p->rule != NULL ? p->rule : "its rule");
	v->s = s;
	return HC_OK;
}

/* A value given as text (path, query, default), converted by type. */
static enum hc_err
hc_param_text(const struct hc_param *p, const char *s, const char *where,
    struct hc_pval *v, struct hc_param_err *pe)
{
	char	*end;
	long long n = 0;
	time_t	 t;

	switch (p->type) {
	case HC_PT_STR:
		return hc_param_str(p, s, where, v, pe);
	case HC_PT_INT:
		/* strtoll alone would take " 5", "+5" and "" */
		end = NULL;
		errno = 0;
		if ((s[0] >= '0' && s[0] <= '9') ||
		    (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
			n = strtoll(s, &end, 10);
		if (end == NULL || *end != '\0' || errno == ERANGE ||
		    (hc_param_bounded(p) && (n < p->min || n > p->max))) {
			if (hc_param_bounded(p))
				return hc_param_fail(pe, HC_ERR_INVALID, p->name,
				    "%s must be an integer in [%lld, %lld]", where,
				    p->min, p->max);
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be an integer", where);
		}
		v->i = n;
		return HC_OK;
	case HC_PT_BOOL:
		if (strcmp(s, "true") == 0)
			v->b = 1;
		else if (strcmp(s, "false") == 0)
			v->b = 0;
		else
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be true or false", where);
		return HC_OK;
	case HC_PT_TIME:
		if (hc_time_parse(s, &t) == -1)
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be an RFC 3339 time (2026-11-22T10:00:00Z)", where);
		v->s = s;
		v->t = (long long)t;
		return HC_OK;
	case HC_PT_ENUM:
		if ((v->i = hc_param_choice(p->choices, s)) < 0)
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be one of %s", where, p->choices ? p->choices : "(none)");
		v->s = s;
		return HC_OK;
	default:
		return hc_param_fail(pe, HC_ERR_INVALID, p->name,
		    "%s must be a JSON object in the body", where);
	}
}

/* Whether every member of o is a string, a number or a boolean. */
static const char *
hc_param_flat(json_object *o)
{
	json_object_object_foreach(o, key, val) {
		switch (json_object_get_type(val)) {
		case json_type_string:
		case json_type_int:
		case json_type_double:
		case json_type_boolean:
			break;
		default:
			return key;
		}
	}
	return NULL;
}

/* A value given as a JSON member of the body (j may be NULL: JSON null). */
static enum hc_err
hc_param_json(const struct hc_param *p, json_object *j, const char *where,
    struct hc_pval *v, struct hc_param_err *pe)
{
	const char *s, *bad;
	long long n;
	int	 len;

	switch (p->type) {
	case HC_PT_STR:
	case HC_PT_TIME:
	case HC_PT_ENUM:
		if (!json_object_is_type(j, json_type_string))
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be a string", where);
		s = json_object_get_string(j);
		len = json_object_get_string_len(j);
		/* a \u0000 inside would cut the value short for every C caller */
		if (len < 0 || strlen(s) != (size_t)len)
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must not contain \\u0000", where);
		return hc_param_text(p, s, where, v, pe);
	case HC_PT_INT:
		if (!json_object_is_type(j, json_type_int))
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be an integer", where);
		n = (long long)json_object_get_int64(j);
		if (hc_param_bounded(p) && (n < p->min || n > p->max))
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be an integer in [%lld, %lld]", where, p->min, p->max);
		v->i = n;
		return HC_OK;
	case HC_PT_BOOL:
		if (!json_object_is_type(j, json_type_boolean))
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be true or false", where);
		v->b = json_object_get_boolean(j) ? 1 : 0;
		return HC_OK;
	case HC_PT_OBJECT:
		if (!json_object_is_type(j, json_type_object))
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must be a JSON object", where);
		n = json_object_object_length(j);
		if (hc_param_bounded(p) && (n < p->min || n > p->max))
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s must have %lld to %lld keys", where, p->min, p->max);
		if ((p->flags & HC_PARAM_FLAT) && (bad = hc_param_flat(j)) != NULL)
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "%s.%.64s must be a string, number or boolean", where, bad);
		v->o = j;
		return HC_OK;
	default:
		return hc_param_fail(pe, HC_ERR_RANGE, p->name, "%s: unknown type", where);
	}
}

/*
 * A client's key as a 400 may quote it: printable ASCII but quotes and
 * backslashes, at most 64 bytes, anything else as '?' (a raw byte would
 * make the problem invalid UTF-8).
 */
static const char *
hc_param_shown(const char *key, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; key[i] != '\0' && i + 1 < len && i < 64; i++)
		buf[i] = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' &&
		    key[i] != '\\' ? key[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* Every query key declared, and given once unless it may repeat. */
static enum hc_err
hc_param_keys(const struct hc_param *table, const struct hc_query *q,
    struct hc_param_err *pe)
{
	const struct hc_param *p;
	char	 shown[65];
	size_t	 i;

	if (q == NULL)
		return HC_OK;
	for (i = 0; i < q->n; i++) {
		for (p = table; p != NULL && p->name != NULL; p++)
			if (p->in == HC_IN_QUERY && strcmp(p->name, q->kv[i].key) == 0)
				break;
		if (p == NULL || p->name == NULL) {
			hc_param_shown(q->kv[i].key, shown, sizeof(shown));
			return hc_param_fail(pe, HC_ERR_INVALID, shown,
			    "query parameter \"%s\" is not accepted here", shown);
		}
		if (!(p->flags & HC_PARAM_MULTI) && hc_query_count(q, p->name) > 1)
			return hc_param_fail(pe, HC_ERR_INVALID, p->name,
			    "query parameter \"%s\" takes one value and was given %zu",
			    p->name, hc_query_count(q, p->name));
	}
	return HC_OK;
}

enum hc_err
hc_param_check(const struct hc_param *table, const struct hc_param_in *in,
    struct hc_pval *val, size_t nval, struct hc_param_err *pe)
{
	const struct hc_param *p;
	struct hc_pval	*v;
	json_object	*j;
	const char	*s;
	char		 where[96];
	size_t		 i, k;
	int		 c;
	enum hc_err	 rc;

	pe->err = HC_OK;
	pe->field[0] = pe->errstr[0] = '\0';
	if ((rc = hc_param_keys(table, in->query, pe)) != HC_OK)
		return rc;
	for (i = 0, p = table; p != NULL && p->name != NULL; i++, p++) {
		if (i >= nval)
			return hc_param_fail(pe, HC_ERR_RANGE, p->name,
			    "more than %zu parameters declared", nval);
		v = &val[i];
		memset(v, 0, sizeof(*v));
		hc_param_where(p, where, sizeof(where));
		s = NULL;
		j = NULL;
		switch (p->in) {
		case HC_IN_PATH:
			c = hc_param_capture(in->pattern, p->name);
			if (c >= 0 && (size_t)c < in->ncap)
				s = in->cap[c];
			break;
		case HC_IN_QUERY:
			if (in->query == NULL)
				break;
			/* each value of a repeated key obeys the rule too */
			for (k = 0; k < in->query->n; k++) {
				if (strcmp(in->query->kv[k].key, p->name) != 0)
					continue;
				if (s == NULL)
					s = in->query->kv[k].val;
				else if ((rc = hc_param_text(p, in->query->kv[k].val,
				    where, v, pe)) != HC_OK)
					return rc;
			}
			break;
		case HC_IN_BODY:
			if (in->body != NULL && json_object_object_get_ex(in->body,
			    p->name, &j)) {
				/* present: "field": null is a value of the wrong type */
				v->set = HC_PVAL_GIVEN;
				if ((rc = hc_param_json(p, j, where, v, pe)) != HC_OK)
					return rc;
				continue;
			}
			break;
		default:
			return hc_param_fail(pe, HC_ERR_RANGE, p->name,
			    "%s: unknown place", where);
		}
		if (s != NULL) {
			v->set = HC_PVAL_GIVEN;
			if ((rc = hc_param_text(p, s, where, v, pe)) != HC_OK)
				return rc;
			continue;
		}
		if (p->flags & HC_PARAM_REQUIRED)
			return hc_param_fail(pe, HC_ERR_INVALID, p->name, "%s is required",
			    where);
		if (p->def != NULL) {
			if ((rc = hc_param_text(p, p->def, where, v, pe)) != HC_OK) {
				pe->err = HC_ERR_RANGE;		/* the table's own default */
				return HC_ERR_RANGE;
			}
			v->set = HC_PVAL_DEFAULT;
		}
	}
	return HC_OK;
}

int
hc_param_wants_body(const struct hc_param *table)
{
	const struct hc_param *p;

	for (p = table; p != NULL && p->name != NULL; p++)
		if (p->in == HC_IN_BODY)
			return 1;
	return 0;
}

int
hc_param_needs_body(const struct hc_param *table)
{
	const struct hc_param *p;

	for (p = table; p != NULL && p->name != NULL; p++)
		if (p->in == HC_IN_BODY && (p->flags & HC_PARAM_REQUIRED))
			return 1;
	return 0;
}

enum hc_err
hc_param_table_check(const struct hc_param *table, const char *pattern,
    char *err, size_t errlen)
{
	const struct hc_param *p, *q;
	struct hc_param_err pe;
	struct hc_pval	 v;
	char		 where[96];
	size_t		 n = 0;

	for (p = table; p != NULL && p->name != NULL; p++, n++) {
		if (n >= HC_PARAM_MAXN) {
			snprintf(err, errlen, "more than %d parameters", HC_PARAM_MAXN);
			return HC_ERR_RANGE;
		}
		if ((unsigned)p->in >= HC_IN_MAX || (unsigned)p->type >= HC_PT_MAX) {
			snprintf(err, errlen, "\"%s\": unknown place or type", p->name);
			return HC_ERR_INVALID;
		}
		hc_param_where(p, where, sizeof(where));
#define HC_PT_BAD(cond, why) do { if (cond) { \
	snprintf(err, errlen, "%s: %s", where, why); return HC_ERR_INVALID; } } while (0)
		HC_PT_BAD(p->in == HC_IN_PATH && hc_param_capture(pattern, p->name) < 0,
		    "the pattern has no such capture");
		HC_PT_BAD(p->type == HC_PT_OBJECT && p->in != HC_IN_BODY,
		    "an object is a body field only");
		HC_PT_BAD(p->type == HC_PT_ENUM && (p->choices == NULL || *p->choices == '\0'),
		    "an enum without choices");
		HC_PT_BAD((p->flags & HC_PARAM_MULTI) && p->in != HC_IN_QUERY,
		    "only a query key may repeat");
		HC_PT_BAD(p->valid != NULL && p->type != HC_PT_STR, "a rule for a non-string");
		HC_PT_BAD(hc_param_bounded(p) && p->min > p->max, "min above max");
		HC_PT_BAD(p->def != NULL && (p->flags & HC_PARAM_REQUIRED),
		    "required and defaulted");
		HC_PT_BAD(p->def != NULL && p->type == HC_PT_OBJECT, "an object default");
		HC_PT_BAD(p->def != NULL && hc_param_text(p, p->def, where, &v, &pe) != HC_OK,
		    "the default breaks its own rule");
		for (q = table; q < p; q++)
			HC_PT_BAD(q->in == p->in && strcmp(q->name, p->name) == 0,
			    "declared twice");
#undef HC_PT_BAD
	}
	return HC_OK;
}

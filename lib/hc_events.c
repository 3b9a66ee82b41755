/* hc_events: channel patterns, stream filters and the relayed message format of the events program. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* One [...] class at pat[*pi] (just after '['); advances *pi past ']'. */
static int
hc_glob_class(const char *pat, size_t plen, size_t *pi, unsigned char c)
{
	size_t	 i = *pi;
	int	 neg = 0, hit = 0;
	unsigned char lo, hi;

	if (i < plen && pat[i] == '^') {
		neg = 1;
		i++;
	}
	for (; i < plen && pat[i] != ']'; i++) {
		if (pat[i] == '\\' && i + 1 < plen) {
			if ((unsigned char)pat[++i] == c)
				hit = 1;
		} else if (i + 2 < plen && pat[i + 1] == '-' && pat[i + 2] != ']') {
			lo = (unsigned char)pat[i];
			hi = (unsigned char)pat[i + 2];
			if (lo > hi) {
				unsigned char t = lo;

				lo = hi;
				hi = t;
			}
			if (c >= lo && c <= hi)
				hit = 1;
			i += 2;
		} else if ((unsigned char)pat[i] == c)
			hit = 1;
	}
	/* an unclosed class ends with the pattern, as in Redis */
	*pi = i < plen ? i + 1 : i;
	return neg ? !hit : hit;
}

int
hc_events_glob(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t	 pi = 0, si = 0, star_p = (size_t)-1, star_s = 0, np;

	/*
	 * Iterative with one backtrack point: on a mismatch after a '*',
	 * retry with the star eating one more byte.  Linear-ish, and no
	 * recursion a hostile pattern could deepen.
	 */
	while (si < slen) {
		if (pi < plen) {
			switch (pat[pi]) {
			case '*':
				while (pi < plen && pat[pi] == '*')
					pi++;
				if (pi == plen)
					return 1;
				star_p = pi;
				star_s = si;
				continue;
			case '?':
				pi++;
				si++;
				continue;
			case '[':
				np = pi + 1;
				if (hc_glob_class(pat, plen, &np, (unsigned char)s[si])) {
					pi = np;
					si++;
					continue;
				}
				break;
			default:
				/* \x is a literal x; a trailing backslash a literal one */
				np = pat[pi] == '\\' && pi + 1 < plen ? pi + 1 : pi;
				if (pat[np] == s[si]) {
					pi = np + 1;
					si++;
					continue;
				}
				break;
			}
		}
		if (star_p == (size_t)-1)
			return 0;
		pi = star_p;
		si = ++star_s;
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

static int
hc_name_ok(const char *s, size_t len, const char *forbid)
{
	size_t	 i;

	if (len == 0 || len > HC_EVENTS_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == ',' || strchr(forbid, s[i]) != NULL)
			return 0;
	return 1;
}

/* Splits a malloc'd copy of list at commas; -1 for an empty element or too many. */
static int
hc_split(const char *list, char **store, const char **out, size_t max)
{
	char	*copy, *p, *comma;
	size_t	 n = 0;

	*store = NULL;
	if ((copy = strdup(list)) == NULL)
		return -2;
	for (p = copy;; p = comma + 1) {
		if (n == max) {
			free(copy);
			return -1;
		}
		out[n++] = p;
		if ((comma = strchr(p, ',')) == NULL)
			break;
		*comma = '\0';
	}
	*store = copy;
	return (int)n;
}

int
hc_events_patterns(const char *list, char **store, const char **out,
    size_t max, char *err, size_t errlen)
{
	int	 n, i;

	if (max > HC_EVENTS_PATTERNS_MAX)
		max = HC_EVENTS_PATTERNS_MAX;
	if ((n = hc_split(list, store, out, max)) == -2) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (n == -1) {
		snprintf(err, errlen, "more than %zu patterns: \"%s\"", max, list);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!hc_name_ok(out[i], strlen(out[i]), "")) {
			snprintf(err, errlen, "not a comma-separated list of channel "
			    "patterns (1 to %d printable characters each, no spaces): "
			    "\"%s\"", HC_EVENTS_NAME_MAX, list);
			free(*store);
			*store = NULL;
			return -1;
		}
	return n;
}

int
hc_events_filter(const char *value, const char *const *patterns, size_t np,
    char **store, const char **out, size_t max, char *why, size_t whylen)
{
	const char *tmp[HC_EVENTS_FILTER_MAX];
	size_t	 i, j, k, n, len;
	int	 rc;

	if (max > HC_EVENTS_FILTER_MAX)
		max = HC_EVENTS_FILTER_MAX;
	if ((rc = hc_split(value, store, tmp, max)) == -2) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (rc == -1) {
		snprintf(why, whylen, "channels: more than %zu channels", max);
		return -1;
	}
	n = (size_t)rc;
	for (i = 0, k = 0; i < n; i++) {
		len = strlen(tmp[i]);
		if (!hc_name_ok(tmp[i], len, "*?[]\\")) {
			snprintf(why, whylen, "channels: not a comma-separated list of "
			    "channel names (1 to %d printable characters each, no "
			    "spaces or * ? [ ] \\)", HC_EVENTS_NAME_MAX);
			goto fail;
		}
		for (j = 0; j < np; j++)
			if (hc_events_glob(patterns[j], strlen(patterns[j]), tmp[i], len))
				break;
		if (j == np) {
			snprintf(why, whylen, "channels: \"%.*s\" is not relayed here "
			    "(HEADCOUNT_EVENT_CHANNELS)", (int)(len > 80 ? 80 : len), tmp[i]);
			goto fail;
		}
		for (j = 0; j < k; j++)
			if (strcmp(out[j], tmp[i]) == 0)
				break;
		if (j == k)
			out[k++] = tmp[i];
	}
	return (int)k;
fail:
	free(*store);
	*store = NULL;
	return -1;
}

/* Length of the valid UTF-8 sequence at s (of n bytes left), or 0. */
static size_t
hc_utf8_seq(const unsigned char *s, size_t n)
{
	size_t	 len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

char *
hc_events_clean(const char *s, size_t len, int no_ctl, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	char	*out, *o;
	size_t	 i, n;

	/* U+FFFD is 3 bytes for at most 1 bad byte: 3x is always enough */
	if (len > ((size_t)-1) / 3 - 1 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i += n) {
		if ((n = hc_utf8_seq(u + i, len - i)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else if (no_ctl && n == 1 && (u[i] < 0x20 || u[i] == 0x7f))
			*o++ = '?';
		else {
			memcpy(o, s + i, n);
			o += n;
		}
	}
	*o = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return out;
}

char *
hc_events_message(const char *channel, size_t chlen, const char *payload,
    size_t plen, size_t *len)
{
	json_tokener	*tok = NULL;
	json_object	*o = NULL, *data = NULL;
	char		*ch = NULL, *pl = NULL, *out = NULL;
	const char	*s;
	size_t		 cl, pll, sl;

	if ((ch = hc_events_clean(channel, chlen, 0, &cl)) == NULL ||
	    (pl = hc_events_clean(payload, plen, 0, &pll)) == NULL)
		goto out;
	/* a payload that is exactly one JSON object is embedded as one */
	if (pll > 0 && pll < 0x7fffffff && memchr(pl, '{', pll) != NULL &&
	    (tok = json_tokener_new()) != NULL) {
		data = json_tokener_parse_ex(tok, pl, (int)pll);
		if (data != NULL) {
			size_t	 off = json_tokener_get_parse_end(tok);

			/* after the object only blanks may follow */
			while (off < pll && memchr(" \t\r\n", pl[off], 4) != NULL)
				off++;
			if (json_tokener_get_error(tok) != json_tokener_success ||
			    off != pll || !json_object_is_type(data, json_type_object)) {
				json_object_put(data);
				data = NULL;
			}
		}
	}
	if (data == NULL && (data = json_object_new_string_len(pl, (int)pll)) == NULL)
		goto out;
	if ((o = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(o, "channel", json_object_new_string_len(ch, (int)cl));
	json_object_object_add(o, "data", data);
	data = NULL;
	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &sl);
	if (s != NULL && (out = malloc(sl + 1)) != NULL) {
		memcpy(out, s, sl + 1);
		*len = sl;
	}
out:
	if (tok != NULL)
		json_tokener_free(tok);
	json_object_put(data);
	json_object_put(o);
	free(ch);
	free(pl);
	return out;
}

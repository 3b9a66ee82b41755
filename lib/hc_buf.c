/* hc_buf: a growable, always-terminated text buffer with a sticky allocation failure. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HC_BUF_FIRST	4096

enum hc_err
hc_buf_reserve(struct hc_buf *b, size_t more)
{
	size_t	 ncap;
	char	*np;

	if (b->err != HC_OK)
		return b->err;
	if (more > SIZE_MAX / 2 - b->len - 1)
		return b->err = HC_ERR_NOMEM;
	if (b->len + more + 1 <= b->cap)
		return HC_OK;
	ncap = b->cap ? b->cap : HC_BUF_FIRST;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		return b->err = HC_ERR_NOMEM;
	b->p = np;
	b->cap = ncap;
	return HC_OK;
}

enum hc_err
hc_buf_add(struct hc_buf *b, const char *s, size_t n)
{
	if (hc_buf_reserve(b, n) != HC_OK)
		return b->err;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return HC_OK;
}

enum hc_err
hc_buf_puts(struct hc_buf *b, const char *s)
{
	return hc_buf_add(b, s, strlen(s));
}

enum hc_err
hc_buf_printf(struct hc_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (b->err != HC_OK)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || hc_buf_reserve(b, (size_t)n) != HC_OK)
		return b->err = HC_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return HC_OK;
}

enum hc_err
hc_buf_u64(struct hc_buf *b, uint64_t v)
{
	char	 tmp[24];
	size_t	 i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return hc_buf_add(b, tmp + i, sizeof(tmp) - i);
}

enum hc_err
hc_buf_i64(struct hc_buf *b, int64_t v)
{
	if (v >= 0)
		return hc_buf_u64(b, (uint64_t)v);
	hc_buf_add(b, "-", 1);
	return hc_buf_u64(b, (uint64_t)0 - (uint64_t)v);
}

enum hc_err
hc_buf_fixed(struct hc_buf *b, uint64_t v, unsigned digits)
{
	uint64_t scale = 1, frac;
	char	 tmp[24];
	unsigned i;
	size_t	 n;

	if (digits > 18)
		digits = 18;
	for (i = 0; i < digits; i++)
		scale *= 10;
	hc_buf_u64(b, v / scale);
	if ((frac = v % scale) == 0)
		return b->err;
	for (i = digits; i > 0; i--) {
		tmp[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	tmp[0] = '.';
	n = digits + 1;
	while (tmp[n - 1] == '0')
		n--;
	return hc_buf_add(b, tmp, n);
}

char *
hc_buf_take(struct hc_buf *b, size_t *len)
{
	char	*p = b->p;

	if (b->err != HC_OK) {
		free(p);
		p = NULL;
	}
	if (len != NULL)
		*len = p != NULL ? b->len : 0;
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = HC_OK;
	return p;
}

void
hc_buf_free(struct hc_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = HC_OK;
}

/* hc_buf: the one growable text buffer (responses, rendered lists, fetched bodies). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_BUF_H
#define HC_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "hc_err.h"

/*
 * Text that grows by doubling, always NUL-terminated once anything was
 * added.  A failed allocation is sticky: err becomes HC_ERR_NOMEM, every
 * later add is a no-op, and the owner checks err once at the end (as
 * the text is built by many small adds).  Start from HC_BUF_INIT.
 */
struct hc_buf {
	char		*p;
	size_t		 len, cap;
	enum hc_err	 err;
};

#define HC_BUF_INIT	{ NULL, 0, 0, HC_OK }

/* Appends n bytes of s.  Returns b->err. */
enum hc_err	 hc_buf_add(struct hc_buf *b, const char *s, size_t n);

/* Appends the C string s.  Returns b->err. */
enum hc_err	 hc_buf_puts(struct hc_buf *b, const char *s);

/* Appends a string literal (its size known at compile time). */
#define HC_BUF_LIT(b, lit)	hc_buf_add((b), (lit), sizeof(lit) - 1)

/* Appends printf output.  Returns b->err. */
enum hc_err	 hc_buf_printf(struct hc_buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Appends v in decimal, without printf (hot paths).  Return b->err. */
enum hc_err	 hc_buf_u64(struct hc_buf *b, uint64_t v);
enum hc_err	 hc_buf_i64(struct hc_buf *b, int64_t v);

/* Appends v / 10^digits (digits <= 18) without trailing zeros: 1500,3 -> "1.5". */
enum hc_err	 hc_buf_fixed(struct hc_buf *b, uint64_t v, unsigned digits);

/* Makes room for more bytes (and the NUL) at b->p + b->len.  Returns b->err. */
enum hc_err	 hc_buf_reserve(struct hc_buf *b, size_t more);

/*
 * Hands the text over: returns it (the caller frees; NULL when nothing
 * was added) with its length in *len (may be NULL), and leaves b empty.
 * After a failed add returns NULL and frees what there was.
 */
char		*hc_buf_take(struct hc_buf *b, size_t *len);

/* Frees the text and leaves b empty (HC_BUF_INIT); NULL-safe. */
void		 hc_buf_free(struct hc_buf *b);

#endif

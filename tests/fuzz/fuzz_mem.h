/* fuzz_mem.h: an in-memory FastCGI stream for the harnesses (CGI parameters and a body). */
#ifndef HC_FUZZ_MEM_H
#define HC_FUZZ_MEM_H

#include <stddef.h>
#include <string.h>

#include "hc_http.h"

#define FUZZ_MAXENV	64

struct fuzz_mem {
	char		*env[2 * FUZZ_MAXENV + 1];	/* NAME, VALUE, ..., NULL */
	const char	*in;
	size_t		 inlen, inpos;
	size_t		 outlen;
};

static __attribute__((unused)) const char *
fuzz_getenv(void *ctx, const char *name)
{
	struct fuzz_mem *m = ctx;
	size_t	 i;

	for (i = 0; m->env[i] != NULL; i += 2)
		if (strcmp(m->env[i], name) == 0)
			return m->env[i + 1];
	return NULL;
}

static __attribute__((unused)) long
fuzz_read(void *ctx, char *buf, size_t len)
{
	struct fuzz_mem *m = ctx;
	size_t	 n = m->inlen - m->inpos;

	if (n > len)
		n = len;
	if (n > 700)	/* short reads, as a socket gives them */
		n = 700;
	memcpy(buf, m->in + m->inpos, n);
	m->inpos += n;
	return (long)n;
}

static __attribute__((unused)) int
fuzz_write(void *ctx, const char *buf, size_t len)
{
	struct fuzz_mem *m = ctx;

	(void)buf;
	m->outlen += len;
	return 0;
}

static __attribute__((unused)) int
fuzz_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * Splits buf (modified: NULs written) into "NAME=VALUE\n" lines up to a
 * blank line (the CGI parameters), the rest being the body.
 */
static __attribute__((unused)) void
fuzz_mem_setup(struct fuzz_mem *m, struct hc_io *io, char *buf, size_t len)
{
	char	*p = buf, *end = buf + len, *nl, *eq;
	size_t	 n = 0;

	memset(m, 0, sizeof(*m));
	while (p < end && n < FUZZ_MAXENV) {
		if (*p == '\n') {	/* blank line: the body follows */
			p++;
			break;
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';	/* the byte after buf is a NUL the caller put there */
		if ((eq = strchr(p, '=')) != NULL) {
			*eq = '\0';
			m->env[2 * n] = p;
			m->env[2 * n + 1] = eq + 1;
			n++;
		}
		p = nl + 1;
	}
	if (p > end)
		p = end;
	m->env[2 * n] = NULL;
	m->in = p;
	m->inlen = (size_t)(end - p);
	io->getenv = fuzz_getenv;
	io->read = fuzz_read;
	io->write = fuzz_write;
	io->flush = fuzz_flush;
	io->ctx = m;
}

#endif

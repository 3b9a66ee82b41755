/* memio.h: an in-memory FastCGI stream (struct hc_io) for the unit tests of requests. */
#ifndef HC_MEMIO_H
#define HC_MEMIO_H

#include <string.h>

#include "hc_http.h"

struct memio {
	const char	**env;		/* NAME, VALUE, ..., NULL */
	const char	 *in;		/* the request body as it arrives */
	size_t		  inlen, inpos;
	char		  out[128 * 1024];
	size_t		  outlen;
	int		  fail_write;
};

static const char *
memio_getenv(void *ctx, const char *name)
{
	struct memio *m = ctx;
	size_t	 i;

	for (i = 0; m->env[i] != NULL; i += 2)
		if (strcmp(m->env[i], name) == 0)
			return m->env[i + 1];
	return NULL;
}

static long
memio_read(void *ctx, char *buf, size_t len)
{
	struct memio *m = ctx;
	size_t	 n = m->inlen - m->inpos;

	if (n > len)
		n = len;
	if (n > 1000)	/* short reads, as a socket gives them */
		n = 1000;
	memcpy(buf, m->in + m->inpos, n);
	m->inpos += n;
	return (long)n;
}

static int
memio_write(void *ctx, const char *buf, size_t len)
{
	struct memio *m = ctx;

	if (m->fail_write || m->outlen + len >= sizeof(m->out))
		return -1;
	memcpy(m->out + m->outlen, buf, len);
	m->outlen += len;
	m->out[m->outlen] = '\0';
	return 0;
}

static int
memio_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

/* Empties m and points io at it: env (pairs), body (NULL: none) of inlen bytes. */
static void __attribute__((unused))
memio_setup(struct hc_io *io, struct memio *m, const char **env, const char *body,
    size_t inlen)
{
	memset(m, 0, sizeof(*m));
	m->env = env;
	m->in = body ? body : "";
	m->inlen = inlen;
	io->getenv = memio_getenv;
	io->read = memio_read;
	io->write = memio_write;
	io->flush = memio_flush;
	io->ctx = m;
}

#endif

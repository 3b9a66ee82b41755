/* hc_http: one request and its response, over an abstract FastCGI stream. */
#ifndef HC_HTTP_H
#define HC_HTTP_H

#include <stddef.h>
#include <json-c/json.h>

#include "hc_jwt.h"
#include "hc_param.h"
#include "hc_query.h"

#define HC_BODY_MAX	(64 * 1024)	/* request bodies above this get 413 */
#define HC_ROUTE_MAXCAP	4		/* {param} captures per route */

/*
 * Where a request comes from and its answer goes: libfcgi in the
 * programs (hc_server), a memory buffer in the unit tests.
 */
struct hc_io {
	const char	*(*getenv)(void *ctx, const char *name);
	long		 (*read)(void *ctx, char *buf, size_t len);	/* bytes, 0 EOF, -1 error */
	int		 (*write)(void *ctx, const char *buf, size_t len);	/* 0 or -1 */
	int		 (*flush)(void *ctx);				/* 0 or -1 */
	void		*ctx;
};

struct hc_req {
	const struct hc_io *io;
	const char	*method;	/* REQUEST_METHOD, never NULL */
	char		*path;		/* raw path of REQUEST_URI, owned */
	const char	*query_string;	/* never NULL */
	const char	*remote_addr;	/* may be NULL */
	const char	*authorization;	/* HTTP_AUTHORIZATION or NULL */
	const char	*content_type;	/* may be NULL */
	long long	 content_length; /* -1 when absent */
	struct hc_query	 query;
	int		 query_ok;	/* 0 when the query string was malformed */
	char		*body;		/* NUL-terminated, owned; NULL until read */
	size_t		 body_len;
	const char	*route;		/* matched pattern, NULL when none */
	char		*cap[HC_ROUTE_MAXCAP];	/* decoded {param} values, owned */
	size_t		 ncap;
	json_object	*json;		/* the parsed body when the route declares body fields, owned */
	struct hc_pval	 val[HC_PARAM_MAXN];	/* checked input, val[i] for the route's params[i] */
	struct hc_claims claims;	/* valid when authed */
	int		 authed;
	char		 request_id[64];
	int		 status;	/* 0 until a response began */
	int		 headers_sent;
	double		 start_ms;	/* hc_mono_ms() at start */
};

/*
 * Reads the CGI parameters through io.  Returns 0, or -1 with no memory.
 * Free with hc_req_cleanup.
 */
int	 hc_req_init(struct hc_req *req, const struct hc_io *io);

/* Frees what req owns; NULL-safe. */
void	 hc_req_cleanup(struct hc_req *req);

/* A CGI parameter ("HTTP_X_FORWARDED_FOR"), or NULL. */
const char *hc_req_env(const struct hc_req *req, const char *name);

/*
 * Reads the body (at most max bytes).  Returns 0, 413 when it is larger
 * (by CONTENT_LENGTH or by what arrives), or 400 when it is short.
 */
int	 hc_req_read_body(struct hc_req *req, size_t max);

/*
 * Parses the body (read first) as JSON (hc_json_parse).  Returns a new
 * value the caller puts, or NULL with a client-safe reason in err
 * (always written: empty body, the JSON null, bad JSON, trailing bytes).
 */
json_object *hc_req_json(struct hc_req *req, char *err, size_t errlen);

/* Reason phrase for status ("Not Found"), "Unknown" otherwise. */
const char *hc_http_reason(int status);

/*
 * Starts the response: "Status: 200 OK", Content-Type (NULL for none),
 * X-Request-Id, then extra (already "Name: value\r\n" lines, may be
 * NULL), then the blank line.  Returns 0, or -1 when headers were
 * already sent or the write failed.
 */
int	 hc_resp_start(struct hc_req *req, int status, const char *ctype,
	    const char *extra);

/* Writes body bytes after hc_resp_start; 0 or -1. */
int	 hc_resp_write(struct hc_req *req, const char *buf, size_t len);

/* A whole JSON response (obj is not consumed); 0 or -1. */
int	 hc_resp_json(struct hc_req *req, int status, json_object *obj);

/* A whole response with the given type and body; 0 or -1. */
int	 hc_resp_text(struct hc_req *req, int status, const char *ctype,
	    const char *body, size_t len);

/* 204/304-style response without a body; 0 or -1. */
int	 hc_resp_empty(struct hc_req *req, int status, const char *extra);

/*
 * An RFC 9457 problem: {"type":"about:blank","title":reason,"status",
 * "detail"} as application/problem+json; extra as for hc_resp_start.
 * 0 or -1.
 */
int	 hc_resp_problem(struct hc_req *req, int status, const char *extra,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

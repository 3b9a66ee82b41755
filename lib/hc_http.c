/* hc_http: CGI parameters in, exact status lines, JSON and problem+json out. */
#include "config.h"
#include "hc_http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_json.h"
#include "hc_time.h"

struct hc_reason {
	int		 status;
	const char	*text;
};

static const struct hc_reason hc_reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 301, "Moved Permanently" }, { 302, "Found" },
	{ 304, "Not Modified" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 408, "Request Timeout" }, { 409, "Conflict" },
	{ 411, "Length Required" }, { 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
	{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	{ 0, NULL }
};

const char *
hc_http_reason(int status)
{
	const struct hc_reason *r;

	for (r = hc_reasons; r->text != NULL; r++)
		if (r->status == status)
			return r->text;
	return "Unknown";
}

const char *
hc_req_env(const struct hc_req *req, const char *name)
{
	return req->io->getenv(req->io->ctx, name);
}

/* v in lower-case hex at out (at most 16 digits, no NUL); returns the digits written. */
static size_t
hc_req_hex(char *out, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char	 d[16];
	size_t	 n = 0, i;

	do
		d[n++] = hex[v & 0xf];
	while ((v >>= 4) != 0 && n < sizeof(d));
	for (i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	return n;
}

/* A client's X-Request-Id is kept when it is short and plain, else one is made. */
static void
hc_req_id(struct hc_req *req)
{
	static unsigned long long seq, pid;
	const char *v = hc_req_env(req, "HTTP_X_REQUEST_ID");
	size_t	 i, n;

	if (v != NULL && (n = strlen(v)) > 0 && n < sizeof(req->request_id)) {
		for (i = 0; i < n; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			    (v[i] >= '0' && v[i] <= '9') || strchr("-_.:", v[i]) != NULL))
				break;
		if (i == n) {
			memcpy(req->request_id, v, n + 1);
			return;
		}
	}
	/*
	 * "pid-ms-seq" in hex, written by hand: no printf, and getpid()
	 * once per worker (ids are only made in workers, after the fork).
	 */
	if (pid == 0)
		pid = (unsigned long long)getpid();
	n = hc_req_hex(req->request_id, pid);
	req->request_id[n++] = '-';
	n += hc_req_hex(req->request_id + n, (unsigned long long)(hc_wall() * 1000.0));
	req->request_id[n++] = '-';
	n += hc_req_hex(req->request_id + n, ++seq);
	req->request_id[n] = '\0';
}

int
hc_req_init(struct hc_req *req, const struct hc_io *io)
{
	const char *uri, *q, *v;
	char	*end;
	size_t	 plen;
	long long cl;

	memset(req, 0, sizeof(*req));
	req->io = io;
	req->start_ms = hc_mono_ms();
	req->content_length = -1;
	if ((req->method = hc_req_env(req, "REQUEST_METHOD")) == NULL)
		req->method = "GET";
	if ((req->query_string = hc_req_env(req, "QUERY_STRING")) == NULL)
		req->query_string = "";
	req->remote_addr = hc_req_env(req, "REMOTE_ADDR");
	req->authorization = hc_req_env(req, "HTTP_AUTHORIZATION");
	req->content_type = hc_req_env(req, "CONTENT_TYPE");
	if ((v = hc_req_env(req, "CONTENT_LENGTH")) != NULL && *v != '\0') {
		errno = 0;
		cl = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && cl >= 0)
			req->content_length = cl;
	}
	/* REQUEST_URI keeps the encoding the client sent; DOCUMENT_URI is a fallback. */
	if ((uri = hc_req_env(req, "REQUEST_URI")) == NULL &&
	    (uri = hc_req_env(req, "DOCUMENT_URI")) == NULL &&
	    (uri = hc_req_env(req, "SCRIPT_NAME")) == NULL)
		uri = "/";
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if ((req->path = strndup(uri, plen)) == NULL)
		return -1;
	req->query_ok = hc_query_parse(&req->query, req->query_string) == 0;
	hc_req_id(req);
	return 0;
}

void
hc_req_cleanup(struct hc_req *req)
{
	size_t	 i;

	if (req == NULL)
		return;
	free(req->path);
	free(req->body);
	for (i = 0; i < req->ncap; i++)
		free(req->cap[i]);
	hc_query_free(&req->query);
	json_object_put(req->json);
	memset(req, 0, sizeof(*req));
}

int
hc_req_read_body(struct hc_req *req, size_t max)
{
	size_t	 want, got = 0;
	long	 n;
	char	 sink[4096];

	if (req->body != NULL)
		return 0;
	if (req->content_length > (long long)max)
		return 413;
	want = req->content_length > 0 ? (size_t)req->content_length : 0;
	if ((req->body = malloc(want + 1)) == NULL)
		return 500;
	while (got < want) {
		n = req->io->read(req->io->ctx, req->body + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got < want)
		return 400;
	/* Without a length (chunked bodies end at EOF), refuse what overflows. */
	if (req->content_length < 0 &&
	    (n = req->io->read(req->io->ctx, sink, sizeof(sink))) > 0)
		return 413;
	return 0;
}

json_object *
hc_req_json(struct hc_req *req, char *err, size_t errlen)
{
	json_object	*obj = NULL;
	char		 why[256];

	if (req->body == NULL || req->body_len == 0) {
		snprintf(err, errlen, "request body is empty; a JSON object is expected");
		return NULL;
	}
	if (hc_json_parse(req->body, req->body_len, 0, &obj, why, sizeof(why)) != HC_OK) {
		snprintf(err, errlen, "malformed JSON: %s", why);
		return NULL;
	}
	if (obj == NULL)
		snprintf(err, errlen, "request body is JSON null; a JSON object is expected");
	return obj;
}

static int
hc_puts(struct hc_req *req, const char *s, size_t len)
{
	return req->io->write(req->io->ctx, s, len);
}

int
hc_resp_start(struct hc_req *req, int status, const char *ctype, const char *extra)
{
	char	 head[512];
	int	 n;

	if (req->headers_sent)
		return -1;
	req->headers_sent = 1;
	req->status = status;
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n%s%s%sX-Request-Id: %s\r\n",
	    status, hc_http_reason(status),
	    ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "", req->request_id);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (hc_puts(req, head, (size_t)n) == -1)
		return -1;
	if (extra != NULL && hc_puts(req, extra, strlen(extra)) == -1)
		return -1;
	return hc_puts(req, "\r\n", 2);
}

int
hc_resp_write(struct hc_req *req, const char *buf, size_t len)
{
	if (!req->headers_sent)
		return -1;
	/* HEAD gets the headers only; the web server would drop the body anyway. */
	if (strcmp(req->method, "HEAD") == 0)
		return 0;
	return hc_puts(req, buf, len);
}

int
hc_resp_text(struct hc_req *req, int status, const char *ctype,
    const char *body, size_t len)
{
	if (hc_resp_start(req, status, ctype, NULL) == -1)
		return -1;
	return hc_resp_write(req, body, len);
}

int
hc_resp_json(struct hc_req *req, int status, json_object *obj)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return -1;
	return hc_resp_text(req, status, "application/json", s, len);
}

int
hc_resp_empty(struct hc_req *req, int status, const char *extra)
{
	return hc_resp_start(req, status, NULL, extra);
}

int
hc_resp_problem(struct hc_req *req, int status, const char *extra,
    const char *fmt, ...)
{
	json_object	*o;
	const char	*s;
	size_t		 len;
	char		 detail[1024];
	va_list		 ap;
	int		 rc = -1;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if ((o = json_object_new_object()) == NULL)
		return -1;
	json_object_object_add(o, "type", json_object_new_string("about:blank"));
	json_object_object_add(o, "title", json_object_new_string(hc_http_reason(status)));
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s != NULL && hc_resp_start(req, status, "application/problem+json", extra) == 0)
		rc = hc_resp_write(req, s, len);
	json_object_put(o);
	return rc;
}

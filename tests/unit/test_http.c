/* test_http: request parsing and exact responses over an in-memory stream. */
#include "config.h"
#include "hc_http.h"

#include <stdlib.h>
#include <string.h>

#include "memio.h"
#include "tap.h"

static void
setup(struct hc_req *req, struct hc_io *io, struct memio *m, const char **env,
    const char *body)
{
	memio_setup(io, m, env, body, body ? strlen(body) : 0);
	hc_req_init(req, io);
}

static const char *
body_of(const struct memio *m)
{
	const char *p = strstr(m->out, "\r\n\r\n");

	return p ? p + 4 : "";
}

int
main(void)
{
	struct hc_req	 req;
	struct hc_io	 io;
	struct memio	 m;
	json_object	*o, *v;
	char		 err[256], *big;

	/* request line pieces */
	{
		const char *env[] = { "REQUEST_METHOD", "PUT", "REQUEST_URI",
		    "/api/v1/flags/x%20y?enabled=true&a=1&a=2", "QUERY_STRING",
		    "enabled=true&a=1&a=2", "REMOTE_ADDR", "127.0.0.1",
		    "HTTP_AUTHORIZATION", "Bearer abc", "CONTENT_LENGTH", "17",
		    "HTTP_X_REQUEST_ID", "trace-123", NULL };

		setup(&req, &io, &m, env, "{\"enabled\":true} ");
		tap_is_str(req.method, "PUT", "method");
		tap_is_str(req.path, "/api/v1/flags/x%20y", "path keeps encoding, drops query");
		tap_is_str(hc_query_get(&req.query, "enabled"), "true", "query value");
		tap_is_int(hc_query_count(&req.query, "a"), 2, "repeated query keys kept");
		tap_is_str(req.authorization, "Bearer abc", "authorization");
		tap_is_int(req.content_length, 17, "content length");
		tap_is_str(req.request_id, "trace-123", "plain X-Request-Id is kept");
		tap_is_int(hc_req_read_body(&req, HC_BODY_MAX), 0, "body read");
		tap_is_int(req.body_len, 17, "body length");
		o = hc_req_json(&req, err, sizeof(err));
		tap_ok(o != NULL && json_object_object_get_ex(o, "enabled", &v) &&
		    json_object_get_boolean(v), "body parsed as JSON with trailing space");
		json_object_put(o);
		hc_req_cleanup(&req);
	}
	/* defaults and a hostile request id */
	{
		const char *env[] = { "HTTP_X_REQUEST_ID", "bad id\r\nX: y", NULL };

		setup(&req, &io, &m, env, NULL);
		tap_is_str(req.method, "GET", "missing method defaults to GET");
		tap_is_str(req.path, "/", "missing URI defaults to /");
		tap_is_str(req.query_string, "", "missing query string is empty");
		tap_is_int(req.content_length, -1, "missing content length is -1");
		tap_ok(strchr(req.request_id, ' ') == NULL && strchr(req.request_id, '\n') == NULL &&
		    req.request_id[0] != '\0', "unsafe X-Request-Id replaced (%s)", req.request_id);
		hc_req_cleanup(&req);
	}
	/* body limits */
	{
		const char *env[] = { "REQUEST_METHOD", "POST", "CONTENT_LENGTH", "65537", NULL };

		setup(&req, &io, &m, env, "x");
		tap_is_int(hc_req_read_body(&req, HC_BODY_MAX), 413, "declared length over 64 KiB -> 413");
		hc_req_cleanup(&req);
	}
	{
		const char *env[] = { "REQUEST_METHOD", "POST", "CONTENT_LENGTH", "10", NULL };

		setup(&req, &io, &m, env, "short");
		tap_is_int(hc_req_read_body(&req, HC_BODY_MAX), 400, "body shorter than declared -> 400");
		hc_req_cleanup(&req);
	}
	{
		const char *env[] = { "REQUEST_METHOD", "POST", NULL };

		big = malloc(HC_BODY_MAX + 2);
		memset(big, 'x', HC_BODY_MAX + 1);
		big[HC_BODY_MAX + 1] = '\0';
		setup(&req, &io, &m, env, big);
		tap_is_int(hc_req_read_body(&req, HC_BODY_MAX), 413, "undeclared body over the limit -> 413");
		hc_req_cleanup(&req);
		free(big);
	}
	{
		const char *env[] = { "REQUEST_METHOD", "POST", "CONTENT_LENGTH", "65536", NULL };

		big = malloc(HC_BODY_MAX + 1);
		memset(big, ' ', HC_BODY_MAX);
		big[0] = '[';
		big[HC_BODY_MAX - 1] = ']';
		big[HC_BODY_MAX] = '\0';
		setup(&req, &io, &m, env, big);
		tap_is_int(hc_req_read_body(&req, HC_BODY_MAX), 0, "exactly 64 KiB is accepted");
		o = hc_req_json(&req, err, sizeof(err));
		tap_ok(o != NULL && json_object_is_type(o, json_type_array), "64 KiB JSON parses");
		json_object_put(o);
		hc_req_cleanup(&req);
		free(big);
	}
	/* malformed JSON bodies */
	{
		static const char *bad[] = { "", "{", "{\"a\":1}x", "{'a':1}", "[1,]",
		    "{\"a\":1}{\"b\":2}", "nul",
		    "{\"a\":\"\xff\"}",			/* not UTF-8 */
		    "{\"a\":\"\xc0\xaf\"}",		/* overlong */
		    "{\"a\":\"\xed\xa0\x80\"}",		/* surrogate */
		    "{\"a\\u0000b\":1}",			/* NUL in a key */
		    "null", "null\n", " null ",		/* JSON null: NULL, and why is written */
		    "[NaN]", "{\"m\":{\"x\":Infinity}}", "[-Infinity]", "[1e999]",
		    NULL };
		size_t i;

		for (i = 0; bad[i] != NULL; i++) {
			char	 len[32];
			const char *env[] = { "REQUEST_METHOD", "POST", "CONTENT_LENGTH", len, NULL };

			snprintf(len, sizeof(len), "%zu", strlen(bad[i]));
			setup(&req, &io, &m, env, bad[i]);
			hc_req_read_body(&req, HC_BODY_MAX);
			/* whatever the stack held must not survive as the reason */
			memset(err, 'Z', sizeof(err) - 1);
			err[sizeof(err) - 1] = '\0';
			o = hc_req_json(&req, err, sizeof(err));
			tap_ok(o == NULL && err[0] != '\0' && err[0] != 'Z',
			    "malformed body \"%s\" refused (%s)", bad[i], err);
			tap_ok(strstr(err, "malformed JSON: malformed JSON") == NULL,
			    "malformed body \"%s\": the reason is said once", bad[i]);
			json_object_put(o);
			hc_req_cleanup(&req);
		}
	}
	/* what must still parse: NUL in a value, escaped backslash before u0000, 4-byte UTF-8 */
	{
		static const char *good[] = { "{\"a\":\"x\\u0000y\"}",
		    "{\"a\\\\u0000\":1}", "{\"a\":\"\xf0\x9f\x98\x80 \xc3\xa9\"}", NULL };
		size_t i;

		for (i = 0; good[i] != NULL; i++) {
			char	 len[32];
			const char *env[] = { "REQUEST_METHOD", "POST", "CONTENT_LENGTH", len, NULL };

			snprintf(len, sizeof(len), "%zu", strlen(good[i]));
			setup(&req, &io, &m, env, good[i]);
			hc_req_read_body(&req, HC_BODY_MAX);
			o = hc_req_json(&req, err, sizeof(err));
			tap_ok(o != NULL, "valid body %zu parses", i);
			json_object_put(o);
			hc_req_cleanup(&req);
		}
	}
	/* responses */
	{
		const char *env[] = { "REQUEST_METHOD", "GET", "HTTP_X_REQUEST_ID", "r1", NULL };

		setup(&req, &io, &m, env, NULL);
		o = json_object_new_object();
		json_object_object_add(o, "status", json_object_new_string("alive"));
		tap_is_int(hc_resp_json(&req, 200, o), 0, "json response written");
		json_object_put(o);
		tap_is_str(m.out, "Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "X-Request-Id: r1\r\n\r\n{\"status\":\"alive\"}", "exact JSON response");
		tap_is_int(hc_resp_json(&req, 500, NULL), -1, "second response refused");
		tap_is_int(req.status, 200, "status recorded");
		hc_req_cleanup(&req);

		setup(&req, &io, &m, env, NULL);
		hc_resp_problem(&req, 405, "Allow: GET, HEAD\r\n", "method %s is not allowed", "POST");
		tap_ok(strncmp(m.out, "Status: 405 Method Not Allowed\r\nContent-Type: application/problem+json\r\n", 72) == 0,
		    "problem status line and type");
		tap_ok(strstr(m.out, "\r\nAllow: GET, HEAD\r\n\r\n") != NULL, "extra header before the blank line");
		o = json_tokener_parse(body_of(&m));
		tap_ok(o != NULL, "problem body is JSON");
		tap_ok(json_object_object_get_ex(o, "type", &v) && strcmp(json_object_get_string(v), "about:blank") == 0, "problem type");
		tap_ok(json_object_object_get_ex(o, "title", &v) && strcmp(json_object_get_string(v), "Method Not Allowed") == 0, "problem title");
		tap_ok(json_object_object_get_ex(o, "status", &v) && json_object_get_int(v) == 405, "problem status");
		tap_ok(json_object_object_get_ex(o, "detail", &v) && strcmp(json_object_get_string(v), "method POST is not allowed") == 0, "problem detail");
		json_object_put(o);
		hc_req_cleanup(&req);

		setup(&req, &io, &m, env, NULL);
		hc_resp_problem(&req, 404, NULL, "no resource at %s", "/x\"</script>\n");
		o = json_tokener_parse(body_of(&m));
		tap_ok(o != NULL && json_object_object_get_ex(o, "detail", &v) &&
		    strcmp(json_object_get_string(v), "no resource at /x\"</script>\n") == 0,
		    "problem detail with quotes and newline stays valid JSON");
		json_object_put(o);
		hc_req_cleanup(&req);

		setup(&req, &io, &m, env, NULL);
		hc_resp_empty(&req, 204, NULL);
		tap_is_str(m.out, "Status: 204 No Content\r\nX-Request-Id: r1\r\n\r\n", "exact 204");
		hc_req_cleanup(&req);

		setup(&req, &io, &m, env, NULL);
		m.fail_write = 1;
		tap_is_int(hc_resp_text(&req, 200, "text/plain", "x", 1), -1, "write failure reported");
		hc_req_cleanup(&req);
	}
	{
		const char *env[] = { "REQUEST_METHOD", "HEAD", NULL };

		setup(&req, &io, &m, env, NULL);
		hc_resp_text(&req, 200, "text/plain", "body", 4);
		tap_ok(strstr(m.out, "body") == NULL && strstr(m.out, "200 OK") != NULL, "HEAD gets headers only");
		hc_req_cleanup(&req);
	}
	{
		static const struct { int s; const char *t; } reasons[] = {
			{ 200, "OK" }, { 204, "No Content" }, { 400, "Bad Request" },
			{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
			{ 405, "Method Not Allowed" }, { 413, "Content Too Large" },
			{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
			{ 503, "Service Unavailable" }, { 599, "Unknown" }, { -1, "Unknown" } };
		size_t i;

		for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			tap_is_str(hc_http_reason(reasons[i].s), reasons[i].t, "reason for %d", reasons[i].s);
	}
	{
		const char *env[] = { "QUERY_STRING", "a=%zz", NULL };

		setup(&req, &io, &m, env, NULL);
		tap_is_int(req.query_ok, 0, "malformed query string flagged");
		hc_req_cleanup(&req);
	}
	return tap_done();
}

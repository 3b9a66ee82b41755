/* test_app: the request pipeline (hc_app_handle) over an in-memory stream: order of checks, access line, metrics record. */
#include "config.h"
#include "hc_app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hc_http.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_metrics.h"
#include "hc_param.h"
#include "hc_settings.h"
#include "hc_valid.h"
#include "memio.h"
#include "promtext.h"
#include "tap.h"

#define SECRET	"test-secret-of-the-pipeline"

/* ------------------------------------------------------------ the program under test */
static int	 handler_runs;

static void
h_live(struct hc_req *req, struct hc_ctx *ctx)
{
	handler_runs++;
	hc_resp_text(req, 200, "application/json", "{\"status\":\"alive\"}", 18);
}

enum { T_ID, T_N };
static const struct hc_param thing_params[] = {
	[T_ID] = { .in = HC_IN_PATH, .name = "id", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_valid_instance_id,
	    .rule = HC_VALID_INSTANCE_ID_RULE },
	[T_N] = { .in = HC_IN_QUERY, .name = "n", .type = HC_PT_INT, .min = 1, .max = 10,
	    .def = "5" },
	{ 0 }
};

/* A handler's 200: counts the run, answers the JSON that fmt makes. */
static void __attribute__((format(printf, 2, 3)))
answer(struct hc_req *req, const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	int	 n;

	handler_runs++;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hc_resp_text(req, 200, "application/json", buf, (size_t)n);
}

static void
h_thing(struct hc_req *req, struct hc_ctx *ctx)
{
	answer(req, "{\"id\":\"%s\",\"n\":%lld,\"sub\":\"%s\"}", req->val[T_ID].s,
	    req->val[T_N].i, req->claims.sub);
}

enum { P_INSTANCE_ID, P_META };
static const struct hc_param post_params[] = {
	[P_INSTANCE_ID] = { .in = HC_IN_BODY, .name = "instance_id", .type = HC_PT_STR,
	    .flags = HC_PARAM_REQUIRED, .valid = hc_valid_instance_id,
	    .rule = HC_VALID_INSTANCE_ID_RULE },
	[P_META] = { .in = HC_IN_BODY, .name = "meta", .type = HC_PT_OBJECT,
	    .flags = HC_PARAM_FLAT, .max = 32 },
	{ 0 }
};

static void
h_post(struct hc_req *req, struct hc_ctx *ctx)
{
	answer(req, "{\"instance_id\":\"%s\",\"meta_keys\":%d}",
	    req->val[P_INSTANCE_ID].s,
	    req->val[P_META].o ? json_object_object_length(req->val[P_META].o) : -1);
}

static void
h_silent(struct hc_req *req, struct hc_ctx *ctx)
{
	handler_runs++;
}

/* A route with its own 400 format, as OFREP has. */
enum { O_KEY, O_CONTEXT };
static const struct hc_param ofrep_params[] = {
	[O_KEY] = { .in = HC_IN_PATH, .name = "key", .type = HC_PT_STR, .min = 1, .max = 8 },
	[O_CONTEXT] = { .in = HC_IN_BODY, .name = "context", .type = HC_PT_OBJECT },
	{ 0 }
};

static void
ofrep_bad(struct hc_req *req, const char *field, const char *why)
{
	char	 buf[512];
	int	 n;

	n = snprintf(buf, sizeof(buf), "{\"errorCode\":\"%s\",\"field\":\"%s\"}",
	    *field == '\0' ? "PARSE_ERROR" : "INVALID_CONTEXT", field);
	hc_resp_text(req, 400, "application/json", buf, (size_t)n);
}

static void
h_ofrep(struct hc_req *req, struct hc_ctx *ctx)
{
	handler_runs++;
	hc_resp_text(req, 200, "application/json", "{\"value\":true}", 14);
}

/* Auth that depends on the address, as /metrics has. */
static int
open_authorize(struct hc_req *req, struct hc_ctx *ctx)
{
	if (req->remote_addr != NULL && strcmp(req->remote_addr, "127.0.0.1") == 0)
		return 0;
	return hc_app_authorize(req, ctx, HC_AUTH_ANY);
}

static const struct hc_route routes[] = {
	{ "GET", "/t/live", HC_AUTH_NONE, h_live },
	{ "GET", "/t/things/{id}", HC_AUTH_USER, h_thing, thing_params },
	{ "DELETE", "/t/things/{id}", HC_AUTH_OWNER, h_thing, thing_params },
	{ "POST", "/t/things", HC_AUTH_OWNER, h_post, post_params },
	{ "GET", "/t/silent", HC_AUTH_NONE, h_silent },
	{ "POST", "/t/ofrep/{key}", HC_AUTH_USER, h_ofrep, ofrep_params, ofrep_bad },
	{ "GET", "/t/open", HC_AUTH_NONE, h_live, NULL, NULL, open_authorize },
	{ 0 }
};

static const struct hc_app app = { "apptest", routes, NULL, NULL, 0 };

/* ------------------------------------------------------------ the cases */
enum tok { T_NONE, T_USER, T_OWNER, T_BAD, T_NOTBEARER };

static const struct pcase {
	const char	*method;
	const char	*uri;		/* path?query as the client sent it */
	enum tok	 tok;
	const char	*body;		/* NULL: none */
	long		 clen;		/* CONTENT_LENGTH; -1: the body's length, -2: none */
	const char	*remote;	/* REMOTE_ADDR, NULL: 10.0.0.9 */
	int		 status;
	int		 runs;		/* whether the handler ran */
	const char	*head;		/* a fragment of the headers, NULL: none */
	const char	*text;		/* a fragment of the body, NULL: none */
} pcases[] = {
	/* 404 first, whatever else is wrong */
	{ "GET", "/t/nope", T_NONE, NULL, -2, NULL, 404, 0, "application/problem+json",
	  "\"detail\":\"no resource at /t/nope\"" },
	{ "POST", "/t/nope?%zz", T_BAD, "{", -1, NULL, 404, 0, NULL, "\"status\":404" },
	{ "GET", "/t/things/a%2Fb", T_USER, NULL, -2, NULL, 404, 0, NULL, NULL },
	/* then 405 with Allow, before auth */
	{ "POST", "/t/live", T_NONE, "{}", -1, NULL, 405, 0, "Allow: GET, HEAD\r\n", "\"status\":405" },
	{ "PATCH", "/t/things/web-1", T_NONE, NULL, -2, NULL, 405, 0,
	  "Allow: GET, HEAD, DELETE\r\n", "method PATCH is not allowed here" },
	/* then auth: 401 with WWW-Authenticate, 403 */
	{ "GET", "/t/things/web-1", T_NONE, NULL, -2, NULL, 401, 0,
	  "WWW-Authenticate: Bearer realm=\"headcount\"\r\n", "a bearer token is required" },
	{ "GET", "/t/things/web-1", T_BAD, NULL, -2, NULL, 401, 0, "error=\"invalid_token\"",
	  "invalid token" },
	{ "GET", "/t/things/web-1", T_NOTBEARER, NULL, -2, NULL, 401, 0, "WWW-Authenticate: Bearer",
	  "must be \\\"Bearer <token>\\\"" },
	{ "POST", "/t/things", T_USER, "{\"instance_id\":\"a\"}", -1, NULL, 403, 0, NULL,
	  "role \\\"user\\\" may not do this" },
	{ "DELETE", "/t/things/web-1", T_USER, NULL, -2, NULL, 403, 0, NULL, NULL },
	/* auth before input: a bad id, query or body without a token is a 401 */
	{ "GET", "/t/things/-bad?n=0&x=1", T_NONE, NULL, -2, NULL, 401, 0, NULL, NULL },
	{ "POST", "/t/things?%zz", T_NONE, "{", -1, NULL, 401, 0, NULL, NULL },
	{ "POST", "/t/things", T_USER, NULL, 70000, NULL, 403, 0, NULL, NULL },
	/* then input: malformed query 400, body 413, declared input 400 */
	{ "GET", "/t/things/web-1?%zz", T_USER, NULL, -2, NULL, 400, 0, NULL,
	  "malformed query string" },
	{ "POST", "/t/things?%zz", T_OWNER, NULL, 70000, NULL, 400, 0, NULL, "malformed query" },
	{ "POST", "/t/things", T_OWNER, NULL, 70000, NULL, 413, 0, NULL,
	  "request body is larger than 65536 bytes" },
	{ "POST", "/t/things?x=1", T_OWNER, NULL, 70000, NULL, 413, 0, NULL, NULL },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":\"a\"}", 100, NULL, 400, 0, NULL,
	  "request body ended early" },
	{ "GET", "/t/things/-bad", T_USER, NULL, -2, NULL, 400, 0, "application/problem+json",
	  "path segment {id} must match [A-Za-z0-9][A-Za-z0-9._:-]{0,127}" },
	{ "GET", "/t/things/web-1?n=0", T_USER, NULL, -2, NULL, 400, 0, NULL,
	  "query parameter \\\"n\\\" must be an integer in [1, 10]" },
	{ "GET", "/t/things/web-1?n=1&n=2", T_USER, NULL, -2, NULL, 400, 0, NULL,
	  "takes one value and was given 2" },
	{ "GET", "/t/things/web-1?x=1", T_USER, NULL, -2, NULL, 400, 0, NULL,
	  "query parameter \\\"x\\\" is not accepted here" },
	{ "GET", "/t/live?x=1", T_NONE, NULL, -2, NULL, 400, 0, NULL, "\\\"x\\\" is not accepted" },
	{ "POST", "/t/things", T_OWNER, "", -1, NULL, 400, 0, NULL,
	  "request body is empty; a JSON object is expected" },
	{ "POST", "/t/things", T_OWNER, "null", -1, NULL, 400, 0, NULL,
	  "\"detail\":\"request body is JSON null; a JSON object is expected\"" },
	{ "POST", "/t/things", T_OWNER, "null\n", -1, NULL, 400, 0, NULL, "is JSON null" },
	{ "POST", "/t/things", T_OWNER, "[1]", -1, NULL, 400, 0, NULL,
	  "the body must be a JSON object" },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":", -1, NULL, 400, 0, NULL,
	  "\"detail\":\"malformed JSON: unexpected end of data\"" },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":\"a\"} x", -1, NULL, 400, 0, NULL,
	  "\"detail\":\"malformed JSON: trailing data after the value\"" },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":\"a\",\"meta\":{\"x\":NaN}}", -1, NULL,
	  400, 0, NULL, "NaN, Infinity" },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":\"a\",\"o\":[-Infinity]}", -1, NULL,
	  400, 0, NULL, "NaN, Infinity" },
	{ "POST", "/t/things", T_OWNER, "{\"meta\":{}}", -1, NULL, 400, 0, NULL,
	  "body field \\\"instance_id\\\" is required" },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":\"a\",\"meta\":{\"k\":[]}}", -1, NULL,
	  400, 0, NULL, "meta\\\".k must be a string, number or boolean" },
	/* the route's own 400 format */
	{ "POST", "/t/ofrep/k", T_USER, "{\"context\":[]}", -1, NULL, 400, 0,
	  "Content-Type: application/json\r\n", "{\"errorCode\":\"INVALID_CONTEXT\",\"field\":\"context\"}" },
	{ "POST", "/t/ofrep/k", T_USER, "{", -1, NULL, 400, 0, NULL,
	  "{\"errorCode\":\"PARSE_ERROR\",\"field\":\"\"}" },
	{ "POST", "/t/ofrep/toolongkey", T_USER, NULL, -2, NULL, 400, 0, NULL,
	  "\"field\":\"key\"" },
	{ "POST", "/t/ofrep/k", T_USER, NULL, -2, NULL, 200, 1, NULL, "{\"value\":true}" },
	/* the handler, with checked values */
	{ "GET", "/t/things/web-1?n=3", T_USER, NULL, -2, NULL, 200, 1,
	  "Content-Type: application/json\r\n", "{\"id\":\"web-1\",\"n\":3,\"sub\":\"alice\"}" },
	{ "GET", "/t/things/web%2D1", T_USER, NULL, -2, NULL, 200, 1, NULL,
	  "{\"id\":\"web-1\",\"n\":5," },
	{ "HEAD", "/t/things/web-1", T_USER, NULL, -2, NULL, 200, 1, NULL, NULL },
	{ "POST", "/t/things?", T_OWNER, "{\"instance_id\":\"web-2\",\"meta\":{\"a\":1},\"x\":null}",
	  -1, NULL, 200, 1, NULL, "{\"instance_id\":\"web-2\",\"meta_keys\":1}" },
	{ "POST", "/t/things", T_OWNER, "{\"instance_id\":\"web-2\"}", -1, NULL, 200, 1, NULL,
	  "\"meta_keys\":-1" },
	/* a route's own auth */
	{ "GET", "/t/open", T_NONE, NULL, -2, "127.0.0.1", 200, 1, NULL, NULL },
	{ "GET", "/t/open", T_NONE, NULL, -2, NULL, 401, 0, "WWW-Authenticate: Bearer", NULL },
	{ "GET", "/t/open", T_USER, NULL, -2, NULL, 200, 1, NULL, NULL },
	{ "GET", "/t/open?x=1", T_NONE, NULL, -2, NULL, 401, 0, NULL, NULL },
	{ "GET", "/t/open?x=1", T_NONE, NULL, -2, "127.0.0.1", 400, 0, NULL, NULL },
	/* a handler that answers nothing: 500 */
	{ "GET", "/t/silent", T_NONE, NULL, -2, NULL, 500, 1, "application/problem+json",
	  "the handler gave no answer" },
};

static char	*tok_user, *tok_owner;
static char	 logpath[] = "/tmp/test_app.XXXXXX";

/* The last line of the log file, parsed. */
static json_object *
last_log_line(void)
{
	FILE	*fp;
	char	 line[4096], last[4096] = "";

	if ((fp = fopen(logpath, "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), fp) != NULL)
		memcpy(last, line, sizeof(last));
	fclose(fp);
	return json_tokener_parse(last);
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "(absent)";
	return v == NULL ? "(null)" : json_object_get_string(v);
}

/* Runs one request; fills m. */
static void
run(struct hc_ctx *ctx, struct memio *m, const struct pcase *c)
{
	static char big[70001];
	static char val[6][2048];
	static const char *env[16];
	const char *q = strchr(c->uri, '?'), *body = c->body;
	struct hc_io io;
	size_t	 e = 0, inlen = c->body ? strlen(c->body) : 0;

	snprintf(val[0], sizeof(val[0]), "%s", q ? q + 1 : "");
	env[e++] = "REQUEST_METHOD";
	env[e++] = c->method;
	env[e++] = "REQUEST_URI";
	env[e++] = c->uri;
	env[e++] = "QUERY_STRING";
	env[e++] = val[0];
	env[e++] = "REMOTE_ADDR";
	env[e++] = c->remote ? c->remote : "10.0.0.9";
	if (c->clen >= 0 || c->body != NULL) {
		if (c->body == NULL) {	/* a big body of that length */
			memset(big, ' ', sizeof(big) - 1);
			body = big;
			inlen = (size_t)c->clen;
		}
		snprintf(val[1], sizeof(val[1]), "%ld", c->clen >= 0 ? c->clen : (long)inlen);
		env[e++] = "CONTENT_LENGTH";
		env[e++] = val[1];
	}
	val[2][0] = '\0';
	switch (c->tok) {
	case T_USER:
		snprintf(val[2], sizeof(val[2]), "Bearer %s", tok_user);
		break;
	case T_OWNER:
		snprintf(val[2], sizeof(val[2]), "Bearer %s", tok_owner);
		break;
	case T_BAD:
		snprintf(val[2], sizeof(val[2]), "Bearer a.b.c");
		break;
	case T_NOTBEARER:
		snprintf(val[2], sizeof(val[2]), "Basic dXNlcjpwYXNz");
		break;
	default:
		break;
	}
	if (val[2][0] != '\0') {
		env[e++] = "HTTP_AUTHORIZATION";
		env[e++] = val[2];
	}
	env[e] = NULL;
	memio_setup(&io, m, env, body, inlen);
	hc_app_handle(&app, ctx, &io);
}

static void
test_cases(struct hc_ctx *ctx)
{
	static struct memio m;
	char	 want[16], *sep;
	size_t	 i;
	int	 runs;
	json_object *log;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];

		runs = handler_runs;
		run(ctx, &m, c);
		snprintf(want, sizeof(want), "Status: %d ", c->status);
		if (!tap_ok(strncmp(m.out, want, strlen(want)) == 0, "%s %s: %d", c->method,
		    c->uri, c->status))
			printf("#   got: \"%.300s\"\n", m.out);
		tap_is_int(handler_runs - runs, c->runs, "%s %s: the handler %s", c->method,
		    c->uri, c->runs ? "ran" : "did not run");
		sep = strstr(m.out, "\r\n\r\n");
		if (c->head != NULL && !tap_ok(sep != NULL && strstr(m.out, c->head) != NULL &&
		    strstr(m.out, c->head) < sep, "%s %s: header %s", c->method, c->uri, c->head))
			printf("#   got: \"%.300s\"\n", m.out);
		if (c->text != NULL && !tap_ok(sep != NULL && strstr(sep, c->text) != NULL,
		    "%s %s: body has %s", c->method, c->uri, c->text))
			printf("#   got: \"%.600s\"\n", m.out);
		if (c->status >= 400 && strncmp(c->uri, "/t/ofrep/", 9) != 0)
			tap_ok(strstr(m.out, "Content-Type: application/problem+json\r\n") != NULL,
			    "%s %s: problem+json", c->method, c->uri);
		if (strcmp(c->method, "HEAD") == 0)
			tap_ok(sep != NULL && sep[4] == '\0', "HEAD: no body");
		/* what was sent is read to the end: the kept connection stays in step */
		tap_is_int(m.inpos, m.inlen, "%s %s: the body was read to its end", c->method,
		    c->uri);
		/* one access line per request */
		log = last_log_line();
		tap_is_int(json_object_get_int(json_object_object_get(log, "status")), c->status,
		    "%s %s: access line status", c->method, c->uri);
		tap_is_str(jstr(log, "method"), c->method, "%s %s: access line method",
		    c->method, c->uri);
		json_object_put(log);
	}
}

/* The access line names the route by its pattern, the path as sent. */
static void
test_access(struct hc_ctx *ctx)
{
	static struct memio m;
	static const struct pcase c1 = { "GET", "/t/things/web-7?n=2", T_USER, NULL, -2,
	    "192.0.2.1", 200, 1, NULL, NULL };
	static const struct pcase c2 = { "GET", "/t/zzz", T_NONE, NULL, -2, NULL, 404, 0,
	    NULL, NULL };
	json_object *log;
	FILE	*fp;
	long	 before, after;

	fp = fopen(logpath, "r");
	fseek(fp, 0, SEEK_END);
	before = ftell(fp);
	fclose(fp);
	run(ctx, &m, &c1);
	fp = fopen(logpath, "r");
	fseek(fp, 0, SEEK_END);
	after = ftell(fp);
	fclose(fp);
	log = last_log_line();
	tap_ok(after > before, "one request, one access line");
	tap_is_str(jstr(log, "msg"), "request", "access line: msg");
	tap_is_str(jstr(log, "route"), "/t/things/{id}", "access line: the route pattern");
	tap_is_str(jstr(log, "path"), "/t/things/web-7", "access line: the path, without the query");
	tap_is_str(jstr(log, "remote_addr"), "192.0.2.1", "access line: remote_addr");
	tap_is_str(jstr(log, "program"), "apptest", "access line: program");
	tap_ok(strlen(jstr(log, "request_id")) > 0, "access line: request_id");
	tap_ok(strstr(m.out, jstr(log, "request_id")) != NULL,
	    "the answer's X-Request-Id is the access line's");
	tap_ok(json_object_is_type(json_object_object_get(log, "duration_ms"), json_type_double),
	    "access line: duration_ms");
	json_object_put(log);
	run(ctx, &m, &c2);
	log = last_log_line();
	tap_is_str(jstr(log, "route"), "(null)", "no route matched: route null");
	json_object_put(log);
	/* a token never reaches the log */
	fp = fopen(logpath, "r");
	{
		char	 buf[65536];
		size_t	 n = fread(buf, 1, sizeof(buf) - 1, fp);

		buf[n] = '\0';
		tap_ok(strstr(buf, tok_user) == NULL && strstr(buf, "Bearer") == NULL,
		    "no token in the log");
	}
	fclose(fp);
}

static double
count_of(const char *method, const char *route, int status)
{
	const struct pcase *c;
	size_t	 i;
	double	 n = 0;

	/* what the table sent, by the label set the pipeline records */
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		c = &pcases[i];
		if (strcmp(c->method, method) == 0 && c->status == status &&
		    strncmp(c->uri, route, strlen(route)) == 0)
			n++;
	}
	return n;
}

static void
test_metrics(void)
{
	char	*t = hc_metrics_render(NULL);

	if (!tap_ok(t != NULL, "metrics render"))
		return;
	tap_is_int((long long)prom_sample(t, "http_requests_total{program=\"apptest\",method=\"GET\","
	    "route=\"/t/silent\",status=\"500\"}"), 1, "metrics: the 500 counted once");
	tap_is_int((long long)prom_sample(t, "http_requests_total{program=\"apptest\",method=\"GET\","
	    "route=\"/t/things/{id}\",status=\"400\"}"),
	    (long long)count_of("GET", "/t/things/", 400), "metrics: GET 400s by pattern");
	tap_is_int((long long)prom_sample(t, "http_requests_total{program=\"apptest\",method=\"POST\","
	    "route=\"/t/things\",status=\"413\"}"),
	    (long long)count_of("POST", "/t/things", 413), "metrics: 413s");
	tap_is_int((long long)prom_sample(t, "http_requests_total{program=\"apptest\",method=\"PATCH\","
	    "route=\"/t/things/{id}\",status=\"405\"}"), 1, "metrics: a 405 under the path's pattern");
	tap_ok(prom_sample(t, "http_requests_total{program=\"apptest\",method=\"GET\","
	    "route=\"unmatched\",status=\"404\"}") >= 2, "metrics: 404s as unmatched");
	tap_ok(strstr(t, "web-1") == NULL && strstr(t, "/t/nope") == NULL,
	    "metrics: never a raw path");
	tap_ok(prom_sample(t, "http_request_duration_seconds_count{program=\"apptest\","
	    "route=\"/t/silent\"}") == 1, "metrics: the duration histogram counted it");
	free(t);
}

int
main(void)
{
	struct hc_settings settings;
	struct hc_ctx	 ctx;
	char		 seg[64], err[256];
	int		 fd;

	if ((fd = mkstemp(logpath)) == -1) {
		printf("Bail out! mkstemp\n");
		return 1;
	}
	close(fd);
	snprintf(seg, sizeof(seg), "%s.shm", logpath);
	if (hc_log_init("apptest", logpath, "info") == -1 ||
	    hc_metrics_open(seg, "apptest", err, sizeof(err)) == -1) {
		printf("Bail out! log or metrics: %s\n", err);
		return 1;
	}
	hc_metrics_config(1, 10000);
	hc_metrics_worker_start();
	tok_user = hc_jwt_sign(SECRET, "alice", "user", time(NULL), time(NULL) + 600);
	tok_owner = hc_jwt_sign(SECRET, "bob", "owner", time(NULL), time(NULL) + 600);
	memset(&settings, 0, sizeof(settings));
	settings.jwt_secret = SECRET;
	settings.access_log = 1;
	memset(&ctx, 0, sizeof(ctx));
	ctx.program = "apptest";
	ctx.settings = &settings;
	ctx.started_at = time(NULL);

	{
		static const struct hc_param bad[] = {
			{ .in = HC_IN_PATH, .name = "name", .type = HC_PT_STR },
			{ 0 }
		};
		static const struct hc_route badroutes[] = {
			{ "GET", "/t/live", HC_AUTH_NONE, h_live },
			{ "GET", "/t/{id}", HC_AUTH_NONE, h_live, bad },
			{ 0 }
		};
		static const struct hc_app badapp = { "bad", badroutes, NULL, NULL, 0 };

		tap_is_int(hc_app_routes_check(&app, err, sizeof(err)), HC_OK,
		    "the test program's tables are sound");
		tap_is_int(hc_app_routes_check(&badapp, err, sizeof(err)), HC_ERR_INVALID,
		    "a table naming a capture its pattern lacks: refused");
		tap_is_str(err, "input table of GET /t/{id}: path segment {name}: "
		    "the pattern has no such capture", "...naming the route and the fault");
	}
	test_cases(&ctx);
	test_access(&ctx);
	test_metrics();

	hc_metrics_close();
	unlink(seg);
	unlink(logpath);
	free(tok_user);
	free(tok_owner);
	return tap_done();
}

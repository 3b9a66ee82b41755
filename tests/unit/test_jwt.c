/* test_jwt: unit tests of hc_jwt (HS256 verify and sign, role names). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_jwt.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tap.h"

#define NOW	1800000000LL
#define SECRET	"s3cret-for-tests"

enum sigmode {
	SIG_HS256,	/* HMAC-SHA256 with the row's secret */
	SIG_HS512,	/* HMAC-SHA512 with the row's secret */
	SIG_EMPTY,	/* "h.p." */
	SIG_PADDED,	/* HS256, then "=" appended */
	SIG_BITS,	/* HS256, last character respelled with non-zero unused bits */
	SIG_FLIP	/* HS256, one signature character changed */
};

/* Encodes src as unpadded base64url, with OpenSSL's encoder (not the module's). */
static char *
b64url(const void *src, size_t len)
{
	char	*out, *p;
	size_t	 n;

	if ((out = malloc(len / 3 * 4 + 8)) == NULL)
		abort();
	EVP_EncodeBlock((unsigned char *)out, src, (int)len);
	for (p = out; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	n = strlen(out);
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	return out;
}

/* JSON text through json-c, so a typo in a table row shows up as a failure. */
static char *
json_seg(const char *json, int raw)
{
	json_object	*o;
	const char	*text;
	char		*r;

	if (raw)
		return b64url(json, strlen(json));
	if ((o = json_tokener_parse(json)) == NULL) {
		tap_ok(0, "test data is JSON: %s", json);
		return b64url(json, strlen(json));
	}
	/* json-c keeps a parsed double's own spelling, so 60.0 stays 60.0 */
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r = b64url(text, strlen(text));
	json_object_put(o);
	return r;
}

static char *
make_token(const char *hdr, const char *pl, int raw, enum sigmode mode,
    const char *secret)
{
	char		*h, *p, *s, *tok;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	size_t		 n;

	h = json_seg(hdr, raw);
	p = json_seg(pl, raw);
	n = strlen(h) + strlen(p) + 2;
	if ((tok = malloc(n + 200)) == NULL)
		abort();
	snprintf(tok, n, "%s.%s", h, p);
	HMAC(mode == SIG_HS512 ? EVP_sha512() : EVP_sha256(), secret,
	    (int)strlen(secret), (unsigned char *)tok, strlen(tok), mac, &maclen);
	s = b64url(mac, maclen);
	if (mode == SIG_FLIP)
		s[10] = s[10] == 'A' ? 'B' : 'A';
	if (mode == SIG_BITS) {
		/* 32 bytes leave 2 unused bits in the 43rd character */
		char	*q = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", s[42]);

		s[42] = q[1] != '\0' ? q[1] : 'A';
	}
	snprintf(tok + strlen(tok), 200, ".%s%s", mode == SIG_EMPTY ? "" : s,
	    mode == SIG_PADDED ? "=" : "");
	free(h);
	free(p);
	free(s);
	return tok;
}

#define HS	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define PL(extra) "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":1800000060" extra "}"

static const struct vcase {
	const char	*name;
	const char	*hdr;
	const char	*pl;
	int		 raw;		/* segments are not JSON-checked */
	enum sigmode	 mode;
	const char	*sign_secret;
	const char	*verify_secret;
	int		 rc;
	const char	*why;
	const char	*sub;		/* expected on success */
	unsigned	 role;
} vcases[] = {
	{ "valid user", HS, "{\"sub\":\"u1\",\"role\":\"user\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, 0, "", "u1", HC_ROLE_USER },
	{ "valid admin", HS, PL(""), 0, SIG_HS256, SECRET, SECRET, 0, "", "alice", HC_ROLE_ADMIN },
	{ "valid owner", HS, "{\"sub\":\"boss\",\"role\":\"owner\",\"exp\":1800000060,\"iat\":1799999000}", 0, SIG_HS256, SECRET, SECRET, 0, "", "boss", HC_ROLE_OWNER },
	{ "valid instance", HS, "{\"sub\":\"backend-abc123\",\"role\":\"instance\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, 0, "", "backend-abc123", HC_ROLE_INSTANCE },
	{ "header without typ", "{\"alg\":\"HS256\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, 0, "", "alice", HC_ROLE_ADMIN },
	{ "exp as integral double", HS, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":1800000060.0}", 0, SIG_HS256, SECRET, SECRET, 0, "", "alice", HC_ROLE_ADMIN },
	{ "nbf in the past", HS, PL(",\"nbf\":1799999000"), 0, SIG_HS256, SECRET, SECRET, 0, "", "alice", HC_ROLE_ADMIN },
	{ "nbf == now", HS, PL(",\"nbf\":1800000000"), 0, SIG_HS256, SECRET, SECRET, 0, "", "alice", HC_ROLE_ADMIN },
	{ "extra claims ignored", HS, PL(",\"aud\":\"x\",\"jti\":\"1\""), 0, SIG_HS256, SECRET, SECRET, 0, "", "alice", HC_ROLE_ADMIN },

	{ "expired", HS, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":1799999999}", 0, SIG_HS256, SECRET, SECRET, -1, "token expired", NULL, 0 },
	{ "exp == now is expired", HS, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":1800000000}", 0, SIG_HS256, SECRET, SECRET, -1, "token expired", NULL, 0 },
	{ "nbf in the future", HS, PL(",\"nbf\":1800000001"), 0, SIG_HS256, SECRET, SECRET, -1, "token not yet valid", NULL, 0 },
	{ "nbf not a number", HS, PL(",\"nbf\":\"soon\""), 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "alg none, no signature", "{\"alg\":\"none\",\"typ\":\"JWT\"}", PL(""), 0, SIG_EMPTY, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "alg none, with signature", "{\"alg\":\"none\",\"typ\":\"JWT\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "alg HS512", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", PL(""), 0, SIG_HS512, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "alg hs256 (case)", "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "alg missing", "{\"typ\":\"JWT\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "alg not a string", "{\"alg\":256,\"typ\":\"JWT\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "alg with embedded NUL", "{\"alg\":\"HS256\\u0000x\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "unsupported alg", NULL, 0 },
	{ "crit header", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "unsupported header", NULL, 0 },
	{ "typ not JWT", "{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", PL(""), 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "HS256 header, HS512 signature", HS, PL(""), 0, SIG_HS512, SECRET, SECRET, -1, "bad signature", NULL, 0 },
	{ "wrong secret", HS, PL(""), 0, SIG_HS256, "another-secret", SECRET, -1, "bad signature", NULL, 0 },
	{ "signature altered", HS, PL(""), 0, SIG_FLIP, SECRET, SECRET, -1, "bad signature", NULL, 0 },
	{ "signature respelled (unused bits)", HS, PL(""), 0, SIG_BITS, SECRET, SECRET, -1, "bad signature", NULL, 0 },
	{ "signature padded", HS, PL(""), 0, SIG_PADDED, SECRET, SECRET, -1, "bad signature", NULL, 0 },
	{ "empty signature", HS, PL(""), 0, SIG_EMPTY, SECRET, SECRET, -1, "bad signature", NULL, 0 },
	{ "missing exp", HS, "{\"sub\":\"alice\",\"role\":\"admin\"}", 0, SIG_HS256, SECRET, SECRET, -1, "missing exp", NULL, 0 },
	{ "exp a string", HS, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":\"1800000060\"}", 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "exp with a fraction", HS, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":1800000060.5}", 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "exp null", HS, "{\"sub\":\"alice\",\"role\":\"admin\",\"exp\":null}", 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "sub not a string", HS, "{\"sub\":42,\"role\":\"admin\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "sub missing", HS, "{\"role\":\"admin\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "missing sub", NULL, 0 },
	{ "sub empty", HS, "{\"sub\":\"\",\"role\":\"admin\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "sub with NUL", HS, "{\"sub\":\"a\\u0000b\",\"role\":\"instance\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "unknown role", HS, "{\"sub\":\"alice\",\"role\":\"root\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "unknown role", NULL, 0 },
	{ "role case", HS, "{\"sub\":\"alice\",\"role\":\"Admin\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "unknown role", NULL, 0 },
	{ "role missing", HS, "{\"sub\":\"alice\",\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "unknown role", NULL, 0 },
	{ "role not a string", HS, "{\"sub\":\"alice\",\"role\":2,\"exp\":1800000060}", 0, SIG_HS256, SECRET, SECRET, -1, "unknown role", NULL, 0 },
	{ "empty secret", HS, PL(""), 0, SIG_HS256, "", "", -1, "no secret configured", NULL, 0 },
	{ "header not JSON", "alg=HS256", PL(""), 1, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "header a JSON array", "[\"HS256\"]", PL(""), 1, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "header with trailing garbage", HS "x", PL(""), 1, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "payload not JSON", HS, "sub=alice", 1, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
	{ "payload a string", HS, "\"alice\"", 1, SIG_HS256, SECRET, SECRET, -1, "malformed token", NULL, 0 },
};

/* Tokens that are broken as text rather than as content. */
static const struct scase {
	const char	*name;
	const char	*token;
	const char	*why;
} scases[] = {
	{ "empty string", "", "malformed token" },
	{ "one segment", "eyJhbGciOiJIUzI1NiJ9", "malformed token" },
	{ "two segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0", "malformed token" },
	{ "four segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln.c2ln", "malformed token" },
	{ "bad base64 char in header", "eyJhbGciOiJIUzI1NiJ9*.eyJzdWIiOiJhIn0.c2ln", "malformed token" },
	{ "padding in header", "eyJhbGciOiJIUzI1NiJ9==.eyJzdWIiOiJhIn0.c2ln", "malformed token" },
	{ "standard base64 alphabet", "eyJhbGciOiJIUzI1NiJ9+/.eyJzdWIiOiJhIn0.c2ln", "malformed token" },
	{ "impossible base64 length", "eyJhbGciOiJIUzI1NiJ9A.eyJzdWIiOiJhIn0.c2ln", "malformed token" },
	{ "empty header", ".eyJzdWIiOiJhIn0.c2ln", "malformed token" },
	{ "whitespace", "eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiJhIn0.c2ln", "malformed token" },
};

static void
check_case(const struct vcase *c)
{
	struct hc_claims cl;
	char		 why[64] = "untouched", *tok;
	int		 rc;

	tok = make_token(c->hdr, c->pl, c->raw, c->mode, c->sign_secret);
	memset(&cl, 0xa5, sizeof(cl));
	rc = hc_jwt_verify(tok, c->verify_secret, (time_t)NOW, &cl, why, sizeof(why));
	tap_is_int(rc, c->rc, "%s: rc", c->name);
	if (c->rc == -1)
		tap_is_str(why, c->why, "%s: why", c->name);
	else {
		tap_is_str(cl.sub, c->sub, "%s: sub", c->name);
		tap_is_int(cl.role, c->role, "%s: role", c->name);
		tap_is_int(cl.exp, NOW + 60, "%s: exp", c->name);
	}
	free(tok);
}

static void
check_tampered(void)
{
	char	*good, *other, *tok, *d1, *d2, *o1, *o2;
	size_t	 n;
	char	 why[64];

	good = make_token(HS, "{\"sub\":\"alice\",\"role\":\"user\",\"exp\":1800000060}", 0, SIG_HS256, SECRET);
	other = make_token(HS, "{\"sub\":\"alice\",\"role\":\"owner\",\"exp\":1800000060}", 0, SIG_HS256, "x");
	d1 = strchr(good, '.');
	d2 = strchr(d1 + 1, '.');
	o1 = strchr(other, '.');
	o2 = strchr(o1 + 1, '.');
	/* the owner payload with the user token's header and signature */
	n = strlen(good) + strlen(other) + 1;
	if ((tok = malloc(n)) == NULL)
		abort();
	snprintf(tok, n, "%.*s%.*s%s", (int)(d1 - good), good, (int)(o2 - o1),
	    o1, d2);
	tap_is_int(hc_jwt_verify(good, SECRET, (time_t)NOW, NULL, why, sizeof(why)),
	    0, "tamper: the original verifies (NULL out allowed)");
	tap_is_int(hc_jwt_verify(tok, SECRET, (time_t)NOW, NULL, why, sizeof(why)),
	    -1, "tamper: role raised in payload is refused");
	tap_is_str(why, "bad signature", "tamper: why");
	free(good);
	free(other);
	free(tok);
}

static void
check_sub_len(void)
{
	static const struct {
		size_t	 len;
		int	 rc;
	} t[] = { { 1, 0 }, { 254, 0 }, { 255, 0 }, { 256, -1 }, { 1000, -1 } };
	struct hc_claims cl;
	char	 sub[1001], pl[1200], why[64], *tok;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(sub, 'x', t[i].len);
		sub[t[i].len] = '\0';
		snprintf(pl, sizeof(pl), "{\"sub\":\"%s\",\"role\":\"user\",\"exp\":1800000060}", sub);
		tok = make_token(HS, pl, 0, SIG_HS256, SECRET);
		tap_is_int(hc_jwt_verify(tok, SECRET, (time_t)NOW, &cl, why, sizeof(why)),
		    t[i].rc, "sub of %zu bytes", t[i].len);
		if (t[i].rc == 0)
			tap_is_int(strlen(cl.sub), t[i].len, "sub of %zu bytes kept whole", t[i].len);
		else
			tap_is_str(why, "malformed token", "sub of %zu bytes: why", t[i].len);
		free(tok);
	}
}

static void
check_size(void)
{
	char	 pl[9000], why[64], *tok;
	size_t	 len;
	int	 pad;

	/* the largest padding claim that keeps the token within 8 KiB */
	for (pad = 6100; pad > 5000; pad--) {
		snprintf(pl, sizeof(pl), "{\"sub\":\"a\",\"role\":\"user\",\"exp\":1800000060,\"pad\":\"%0*d\"}", pad, 0);
		tok = make_token(HS, pl, 1, SIG_HS256, SECRET);
		len = strlen(tok);
		if (len <= 8192) {
			tap_ok(len > 8180, "size: near-cap token is %zu bytes", len);
			tap_is_int(hc_jwt_verify(tok, SECRET, (time_t)NOW, NULL, why,
			    sizeof(why)), 0, "size: token of %zu bytes accepted", len);
			free(tok);
			break;
		}
		free(tok);
	}
	snprintf(pl, sizeof(pl), "{\"sub\":\"a\",\"role\":\"user\",\"exp\":1800000060,\"pad\":\"%0*d\"}", 6200, 0);
	tok = make_token(HS, pl, 1, SIG_HS256, SECRET);
	tap_ok(strlen(tok) > 8192, "size: oversized token is %zu bytes", strlen(tok));
	tap_is_int(hc_jwt_verify(tok, SECRET, (time_t)NOW, NULL, why, sizeof(why)),
	    -1, "size: oversized token refused");
	tap_is_str(why, "token too long", "size: why");
	free(tok);
}

static void
check_sign(void)
{
	static const char *const roles[] = { "user", "admin", "owner", "instance" };
	static const unsigned bits[] = { HC_ROLE_USER, HC_ROLE_ADMIN, HC_ROLE_OWNER, HC_ROLE_INSTANCE };
	struct hc_claims cl;
	char		 why[64], *tok, *d1, *hdr;
	unsigned char	 raw[128];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		tok = hc_jwt_sign(SECRET, "some/one \"quoted\"", roles[i], NOW - 10, NOW + 3600);
		if (!tap_ok(tok != NULL, "sign %s", roles[i]))
			continue;
		tap_is_int(hc_jwt_verify(tok, SECRET, (time_t)NOW, &cl, why, sizeof(why)), 0,
		    "round trip %s: verifies", roles[i]);
		tap_is_str(cl.sub, "some/one \"quoted\"", "round trip %s: sub", roles[i]);
		tap_is_int(cl.role, bits[i], "round trip %s: role", roles[i]);
		tap_is_int(cl.iat, NOW - 10, "round trip %s: iat", roles[i]);
		tap_is_int(cl.exp, NOW + 3600, "round trip %s: exp", roles[i]);
		tap_is_int(cl.nbf, 0, "round trip %s: nbf absent", roles[i]);
		tap_is_int(hc_jwt_verify(tok, SECRET, (time_t)(NOW + 3600), &cl, why, sizeof(why)), -1,
		    "round trip %s: expires", roles[i]);
		tap_is_int(hc_jwt_verify(tok, "other", (time_t)NOW, &cl, why, sizeof(why)), -1,
		    "round trip %s: other secret refused", roles[i]);
		if (i == 0) {
			d1 = strchr(tok, '.');
			n = EVP_DecodeBlock(raw, (unsigned char *)tok, (int)(d1 - tok) + (4 - (int)(d1 - tok) % 4) % 4);
			hdr = b64url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
			tap_ok(strncmp(tok, hdr, (size_t)(d1 - tok)) == 0 && n > 0,
			    "sign: header is {\"alg\":\"HS256\",\"typ\":\"JWT\"}");
			free(hdr);
		}
		free(tok);
	}
	tap_ok(hc_jwt_sign("", "a", "user", NOW, NOW + 1) == NULL, "sign: empty secret refused");
	tap_ok(hc_jwt_sign(NULL, "a", "user", NOW, NOW + 1) == NULL, "sign: NULL secret refused");
	tap_ok(hc_jwt_sign(SECRET, "a", "root", NOW, NOW + 1) == NULL, "sign: unknown role refused");
	tap_ok(hc_jwt_sign(SECRET, "a", NULL, NOW, NOW + 1) == NULL, "sign: NULL role refused");
	tap_ok(hc_jwt_sign(SECRET, "", "user", NOW, NOW + 1) == NULL, "sign: empty sub refused");
}

static void
check_roles(void)
{
	static const struct {
		const char	*name;
		int		 rc;
		unsigned	 role;
	} t[] = {
		{ "user", 0, HC_ROLE_USER },
		{ "admin", 0, HC_ROLE_ADMIN },
		{ "owner", 0, HC_ROLE_OWNER },
		{ "instance", 0, HC_ROLE_INSTANCE },
		{ "", -1, 0 },
		{ "root", -1, 0 },
		{ "USER", -1, 0 },
		{ "user ", -1, 0 },
		{ NULL, -1, 0 },
	};
	unsigned r;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *name = t[i].name ? t[i].name : "NULL";

		r = 0xdead;
		tap_is_int(hc_jwt_role_parse(t[i].name, &r), t[i].rc, "role_parse(%s)", name);
		if (t[i].rc == 0) {
			tap_is_int(r, t[i].role, "role_parse(%s) bit", name);
			tap_is_str(hc_jwt_role_name(r), name, "role_name round trip %s", name);
		} else
			tap_is_int(r, 0xdead, "role_parse(%s) leaves role alone", name);
	}
	tap_is_str(hc_jwt_role_name(0), "?", "role_name(0)");
	tap_is_str(hc_jwt_role_name(HC_ROLE_USER | HC_ROLE_ADMIN), "?", "role_name(two bits)");
	tap_ok((HC_AUTH_ADMIN & HC_ROLE_USER) == 0 && (HC_AUTH_USER & HC_ROLE_OWNER) != 0 &&
	    (HC_AUTH_FLEET & HC_ROLE_ADMIN) == 0, "role sets nest as documented");
}

/* The memo answers only what hc_jwt_verify would: same token, same secret, still in its time window. */
static void
check_cached(void)
{
	struct hc_claims c;
	char	 why[64], *tok, *other, *late;
	static const char secret2[] = "another-secret";

	tok = hc_jwt_sign(SECRET, "cached", "admin", NOW - 10, NOW + 100);
	other = hc_jwt_sign(secret2, "cached", "admin", NOW - 10, NOW + 100);
	late = hc_jwt_sign(SECRET, "late", "user", NOW - 10, NOW + 5000);
	tap_ok(tok && other && late, "cached: tokens signed");
	if (!tok || !other || !late)
		goto out;
	memset(&c, 0, sizeof(c));
	tap_is_int(hc_jwt_verify_cached(tok, SECRET, (time_t)NOW, &c, why, sizeof(why)), 0,
	    "cached: first verify");
	memset(&c, 0, sizeof(c));
	tap_is_int(hc_jwt_verify_cached(tok, SECRET, (time_t)NOW, &c, why, sizeof(why)), 0,
	    "cached: second verify (from the memo)");
	tap_is_str(c.sub, "cached", "cached: claims from the memo");
	tap_is_int((long long)c.role, (long long)HC_ROLE_ADMIN, "cached: role from the memo");
	tap_is_int(hc_jwt_verify_cached(tok, SECRET, (time_t)(NOW + 100), &c, why, sizeof(why)), -1,
	    "cached: expired by now is refused");
	tap_is_str(why, "token expired", "cached: with the usual reason");
	tap_is_int(hc_jwt_verify_cached(tok, secret2, (time_t)NOW, &c, why, sizeof(why)), -1,
	    "cached: another secret is refused");
	tap_is_int(hc_jwt_verify_cached(other, SECRET, (time_t)NOW, &c, why, sizeof(why)), -1,
	    "cached: a token of another secret is refused");
	tok[strlen(tok) - 1] ^= 1;
	tap_is_int(hc_jwt_verify_cached(tok, SECRET, (time_t)NOW, &c, why, sizeof(why)), -1,
	    "cached: one byte changed is refused");
	tap_is_int(hc_jwt_verify_cached(late, SECRET, (time_t)NOW, &c, why, sizeof(why)), 0,
	    "cached: a second token");
	tap_is_str(c.sub, "late", "cached: its own claims");
	tap_is_int(hc_jwt_verify_cached(NULL, SECRET, (time_t)NOW, &c, why, sizeof(why)), -1,
	    "cached: NULL token refused");
out:
	free(tok);
	free(other);
	free(late);
}

int
main(void)
{
	char	 why[64];
	size_t	 i;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
		check_case(&vcases[i]);
	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		snprintf(why, sizeof(why), "untouched");
		tap_is_int(hc_jwt_verify(scases[i].token, SECRET, (time_t)NOW, NULL,
		    why, sizeof(why)), -1, "%s: refused", scases[i].name);
		tap_is_str(why, scases[i].why, "%s: why", scases[i].name);
	}
	tap_is_int(hc_jwt_verify(NULL, SECRET, (time_t)NOW, NULL, why, sizeof(why)),
	    -1, "NULL token refused");
	tap_is_int(hc_jwt_verify("a.b.c", NULL, (time_t)NOW, NULL, NULL, 0),
	    -1, "NULL secret refused, NULL why allowed");
	check_tampered();
	check_sub_len();
	check_size();
	check_sign();
	check_roles();
	check_cached();
	return tap_done();
}

/* hc_jwt: HS256 JSON Web Token verification and signing, and the role names. */
#include "config.h"
#include "hc_jwt.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hc_hash.h"

/* A bearer token longer than this is refused before any decoding. */
#define HC_JWT_MAXLEN	8192
/* Room for one decoded segment of a token at the cap, plus a NUL. */
#define HC_JWT_SEGMAX	(HC_JWT_MAXLEN / 4 * 3 + 4)
#define HC_JWT_SIGLEN	32	/* HMAC-SHA256 */
#define HC_JWT_SIG64	43	/* its base64url length without padding */

static const struct {
	const char	*name;
	unsigned	 role;
} hc_roles[] = {
	{ "user", HC_ROLE_USER },
	{ "admin", HC_ROLE_ADMIN },
	{ "owner", HC_ROLE_OWNER },
	{ "instance", HC_ROLE_INSTANCE },
	{ NULL, 0 }
};

int
hc_role_parse(const char *name, unsigned *role)
{
	size_t	 i;

	if (name == NULL)
		return -1;
	for (i = 0; hc_roles[i].name != NULL; i++)
		if (strcmp(name, hc_roles[i].name) == 0) {
			*role = hc_roles[i].role;
			return 0;
		}
	return -1;
}

const char *
hc_role_name(unsigned role)
{
	size_t	 i;

	for (i = 0; hc_roles[i].name != NULL; i++)
		if (role == hc_roles[i].role)
			return hc_roles[i].name;
	return "?";
}

static int
hc_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;	/* '=', '+', '/', whitespace and the rest */
}

/*
 * Decodes unpadded base64url src[0..len) into dst (room for len / 4 * 3 + 2).
 * Refuses padding, foreign characters, an impossible length and unused
 * trailing bits that are not zero: every byte string then has exactly one
 * accepted spelling, so a signature cannot be respelled.
 */
static int
hc_b64url_decode(const char *src, size_t len, unsigned char *dst,
    size_t *outlen)
{
	uint32_t acc = 0;
	size_t	 i, n = 0;
	int	 v, bits = 0;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = hc_b64_val((unsigned char)src[i])) == -1)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* Encodes src[0..len) as unpadded base64url into dst (room for len / 3 * 4 + 5). */
static size_t
hc_b64url_encode(const unsigned char *src, size_t len, char *dst)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t	 i, n = 0;
	int	 bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | src[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			dst[n++] = tab[(acc >> bits) & 0x3f];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		dst[n++] = tab[(acc << (6 - bits)) & 0x3f];
	dst[n] = '\0';
	return n;
}

static int
hc_hmac(const char *secret, const char *msg, size_t msglen,
    unsigned char mac[HC_JWT_SIGLEN])
{
	size_t		 klen = strlen(secret);
	unsigned int	 maclen = 0;

	if (klen > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), secret, (int)klen, (const unsigned char *)msg,
	    msglen, mac, &maclen) == NULL || maclen != HC_JWT_SIGLEN)
		return -1;
	return 0;
}

/*
 * Decodes one segment and parses it as a JSON object, all of it.
 * Returns the object (caller puts it) or NULL.
 */
static json_object *
hc_jwt_segment(const char *src, size_t len)
{
	unsigned char	 buf[HC_JWT_SEGMAX];
	size_t		 n, end;
	json_tokener	*tok;
	json_object	*obj = NULL;

	if (len == 0 || hc_b64url_decode(src, len, buf, &n) == -1)
		return NULL;
	/* json-c would stop at a NUL and call the rest trailing garbage anyway */
	if (memchr(buf, '\0', n) != NULL)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)buf, (int)n);
	end = json_tokener_get_parse_end(tok);
	while (end < n && strchr(" \t\r\n", buf[end]) != NULL)
		end++;
	if (json_tokener_get_error(tok) != json_tokener_success || end != n ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/*
 * A NumericDate: an integer, or a JSON number without a fraction.
 * Returns 1 with *out set, 0 when absent, -1 when of the wrong kind.
 */
static int
hc_jwt_date(json_object *payload, const char *key, long long *out)
{
	json_object	*v;
	double		 d;

	if (!json_object_object_get_ex(payload, key, &v))
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_int:
		*out = (long long)json_object_get_int64(v);
		return 1;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d) || floor(d) != d || d < -9.2e18 || d > 9.2e18)
			return -1;
		*out = (long long)d;
		return 1;
	default:
		return -1;
	}
}

static void
hc_why(char *why, size_t whylen, const char *text)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", text);
}

int
hc_jwt_verify(const char *token, const char *secret, time_t now,
    struct hc_claims *out, char *why, size_t whylen)
{
	const char	*d1, *d2, *sig, *reason = "malformed token", *s;
	size_t		 len, siglen, n;
	unsigned char	 mac[HC_JWT_SIGLEN], got[HC_JWT_SIGLEN + 1];
	json_object	*hdr = NULL, *pl = NULL, *v;
	struct hc_claims c;
	int		 rc = -1, r;

	memset(&c, 0, sizeof(c));
	if (secret == NULL || *secret == '\0') {
		/* an unset secret must never mean "anything goes" */
		reason = "no secret configured";
		goto out;
	}
	if (token == NULL)
		goto out;
	if ((len = strnlen(token, HC_JWT_MAXLEN + 1)) > HC_JWT_MAXLEN) {
		reason = "token too long";
		goto out;
	}
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		goto out;
	sig = d2 + 1;
	siglen = len - (size_t)(sig - token);

	/* the header first: an alg we do not speak is named as such */
	if ((hdr = hc_jwt_segment(token, (size_t)(d1 - token))) == NULL)
		goto out;
	if (!json_object_object_get_ex(hdr, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != 5 ||
	    strcmp(json_object_get_string(v), "HS256") != 0) {
		reason = "unsupported alg";
		goto out;
	}
	if (json_object_object_get_ex(hdr, "typ", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "JWT") != 0))
		goto out;
	/* RFC 7515 4.1.11: extensions we do not understand must be refused */
	if (json_object_object_get_ex(hdr, "crit", NULL)) {
		reason = "unsupported header";
		goto out;
	}

	/* the signature before anything in the payload is believed */
	if (hc_hmac(secret, token, (size_t)(d2 - token), mac) == -1) {
		reason = "bad signature";
		goto out;
	}
	if (siglen != HC_JWT_SIG64 ||
	    hc_b64url_decode(sig, siglen, got, &n) == -1 || n != HC_JWT_SIGLEN ||
	    CRYPTO_memcmp(mac, got, HC_JWT_SIGLEN) != 0) {
		reason = "bad signature";
		goto out;
	}

	if ((pl = hc_jwt_segment(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		goto out;
	if ((r = hc_jwt_date(pl, "exp", &c.exp)) == 0) {
		reason = "missing exp";
		goto out;
	} else if (r == -1)
		goto out;
	if (hc_jwt_date(pl, "nbf", &c.nbf) == -1 ||
	    hc_jwt_date(pl, "iat", &c.iat) == -1)
		goto out;
	if (c.exp <= (long long)now) {
		reason = "token expired";
		goto out;
	}
	if (json_object_object_get_ex(pl, "nbf", NULL) && c.nbf > (long long)now) {
		reason = "token not yet valid";
		goto out;
	}
	if (!json_object_object_get_ex(pl, "sub", &v)) {
		reason = "missing sub";
		goto out;
	}
	/* an embedded NUL would let "a\u0000b" pass as the instance "a" */
	if (!json_object_is_type(v, json_type_string) ||
	    (n = (size_t)json_object_get_string_len(v)) == 0 ||
	    n >= sizeof(c.sub) ||
	    memchr(s = json_object_get_string(v), '\0', n) != NULL)
		goto out;
	memcpy(c.sub, s, n);
	c.sub[n] = '\0';
	/* the same for the role: "owner\u0000x" is no role */
	if (!json_object_object_get_ex(pl, "role", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v) ||
	    hc_role_parse(json_object_get_string(v), &c.role) == -1) {
		reason = "unknown role";
		goto out;
	}
	if (out != NULL)
		*out = c;
	reason = "";
	rc = 0;
out:
	json_object_put(hdr);
	json_object_put(pl);
	OPENSSL_cleanse(mac, sizeof(mac));
	hc_why(why, whylen, reason);
	return rc;
}

/* Appends the base64url of obj's plain JSON text at dst; returns its length. */
static size_t
hc_jwt_put(json_object *obj, char *dst, size_t room)
{
	const char	*text;
	size_t		 n;

	text = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || (n = strlen(text)) / 3 * 4 + 5 > room)
		return 0;
	return hc_b64url_encode((const unsigned char *)text, n, dst);
}

char *
hc_jwt_sign(const char *secret, const char *sub, const char *role,
    long long iat, long long exp)
{
	json_object	*hdr = NULL, *pl = NULL;
	unsigned char	 mac[HC_JWT_SIGLEN];
	unsigned	 r;
	char		*tok = NULL, *ret = NULL;
	size_t		 n, m, room;

	if (secret == NULL || *secret == '\0' || sub == NULL || *sub == '\0' ||
	    strlen(sub) > 255 || hc_role_parse(role, &r) == -1)
		return NULL;
	if ((hdr = json_object_new_object()) == NULL ||
	    (pl = json_object_new_object()) == NULL)
		goto out;
	if (json_object_object_add(hdr, "alg", json_object_new_string("HS256")) ||
	    json_object_object_add(hdr, "typ", json_object_new_string("JWT")) ||
	    json_object_object_add(pl, "sub", json_object_new_string(sub)) ||
	    json_object_object_add(pl, "role", json_object_new_string(role)) ||
	    json_object_object_add(pl, "iat", json_object_new_int64(iat)) ||
	    json_object_object_add(pl, "exp", json_object_new_int64(exp)))
		goto out;
	/* a sub of 255 bytes, each escaped as \u00XX, stays far below this */
	room = HC_JWT_MAXLEN;
	if ((tok = malloc(room)) == NULL)
		goto out;
	if ((n = hc_jwt_put(hdr, tok, room)) == 0)
		goto out;
	tok[n++] = '.';
	if ((m = hc_jwt_put(pl, tok + n, room - n)) == 0)
		goto out;
	n += m;
	if (room - n < HC_JWT_SIG64 + 2 || hc_hmac(secret, tok, n, mac) == -1)
		goto out;
	tok[n++] = '.';
	hc_b64url_encode(mac, sizeof(mac), tok + n);
	ret = tok;
	tok = NULL;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	free(tok);
	json_object_put(hdr);
	json_object_put(pl);
	return ret;
}

/*
 * The memo of hc_jwt_verify_cached: a few slots picked by a hash of the
 * token (clients reuse one token for many requests, so a handful covers
 * a worker's traffic).  It holds only tokens that verified.
 */
#define HC_JWT_MEMO_SLOTS	8
#define HC_JWT_MEMO_MAXLEN	2048

struct hc_jwt_memo {
	size_t		 len;		/* 0: empty */
	uint64_t	 hash;
	const char	*secret;	/* the settings' string: same pointer, same hash */
	uint64_t	 secret_hash;
	struct hc_claims c;
	char		 tok[HC_JWT_MEMO_MAXLEN];
};

static struct hc_jwt_memo hc_jwt_memo[HC_JWT_MEMO_SLOTS];

int
hc_jwt_verify_cached(const char *token, const char *secret, time_t now,
    struct hc_claims *out, char *why, size_t whylen)
{
	struct hc_jwt_memo *m;
	size_t		 len;
	uint64_t	 h, sh;

	if (token == NULL || out == NULL)
		return hc_jwt_verify(token, secret, now, out, why, whylen);
	len = strlen(token);
	if (len == 0 || len >= HC_JWT_MEMO_MAXLEN || secret == NULL || *secret == '\0')
		return hc_jwt_verify(token, secret, now, out, why, whylen);
	h = hc_hash64(HC_HASH_INIT, token, len);
	sh = hc_hash64(HC_HASH_INIT, secret, strlen(secret));
	m = &hc_jwt_memo[h % HC_JWT_MEMO_SLOTS];
	if (m->len == len && m->hash == h && m->secret == secret && m->secret_hash == sh &&
	    CRYPTO_memcmp(m->tok, token, len) == 0 &&
	    m->c.exp > (long long)now && m->c.nbf <= (long long)now) {
		*out = m->c;
		return 0;
	}
	if (hc_jwt_verify(token, secret, now, out, why, whylen) == -1)
		return -1;
	m->len = len;
	m->hash = h;
	m->secret = secret;
	m->secret_hash = sh;
	m->c = *out;
	memcpy(m->tok, token, len);
	return 0;
}

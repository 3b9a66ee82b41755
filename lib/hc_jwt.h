/* hc_jwt: HS256 JSON Web Tokens and the roles they carry. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_JWT_H
#define HC_JWT_H

#include <stddef.h>
#include <time.h>

/* Roles are bits so that a route can accept a set of them. */
#define HC_ROLE_USER		0x01u
#define HC_ROLE_ADMIN		0x02u
#define HC_ROLE_OWNER		0x04u
#define HC_ROLE_INSTANCE	0x08u

/* Sets a route accepts: user < admin < owner, each including the ones before. */
#define HC_AUTH_NONE	0u	/* public */
#define HC_AUTH_USER	(HC_ROLE_USER | HC_ROLE_ADMIN | HC_ROLE_OWNER)
#define HC_AUTH_ADMIN	(HC_ROLE_ADMIN | HC_ROLE_OWNER)
#define HC_AUTH_OWNER	(HC_ROLE_OWNER)
#define HC_AUTH_FLEET	(HC_ROLE_INSTANCE | HC_ROLE_OWNER)
#define HC_AUTH_ANY	(HC_AUTH_USER | HC_ROLE_INSTANCE)

struct hc_claims {
	char		 sub[256];
	unsigned	 role;		/* one HC_ROLE_* bit */
	long long	 exp;
	long long	 nbf;		/* 0 when absent */
	long long	 iat;		/* 0 when absent */
};

/*
 * Verifies token ("h.p.s", base64url without padding) against secret at
 * time now: header alg must be exactly "HS256" (typ, if present, "JWT");
 * the HMAC-SHA256 is compared in constant time; exp is required and must
 * be > now; nbf, if present, must be <= now; sub must be a string; role
 * one of user, admin, owner, instance.  An empty secret refuses every
 * token.  Returns 0 with *out filled, or -1 with a short reason in why
 * ("token expired") that is safe to show to the client.
 */
int	 hc_jwt_verify(const char *token, const char *secret, time_t now,
	    struct hc_claims *out, char *why, size_t whylen);

/*
 * hc_jwt_verify with a small per-process memo of tokens it accepted: a
 * token seen before (the same bytes, compared in constant time, under the
 * same secret) is answered without the HMAC and the JSON parse, its exp
 * and nbf checked against now again.  Anything else, and every refusal,
 * goes through hc_jwt_verify.  Same contract.
 */
int	 hc_jwt_verify_cached(const char *token, const char *secret, time_t now,
	    struct hc_claims *out, char *why, size_t whylen);

/*
 * Signs {"sub","role","iat","exp"} with HS256.  Returns a malloc'd token
 * the caller frees, or NULL (bad role, no memory, empty secret).
 */
char	*hc_jwt_sign(const char *secret, const char *sub, const char *role,
	    long long iat, long long exp);

/* "user" -> HC_ROLE_USER ...; returns 0, or -1 for an unknown name. */
int	 hc_jwt_role_parse(const char *name, unsigned *role);

/* HC_ROLE_USER -> "user"; "?" for anything else. */
const char *hc_jwt_role_name(unsigned role);

#endif

/* fuzz_jwt: the bearer-token check, raw and with fuzzed header/claims under a valid signature (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hc_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET	"fuzz-secret-0123456789abcdef0123456789abcdef"

static size_t
b64url(char *out, const unsigned char *in, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t	 i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = tab[in[i] >> 2];
		out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = tab[in[i + 2] & 63];
	}
	if (n - i == 1) {
		out[o++] = tab[in[i] >> 2];
		out[o++] = tab[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		out[o++] = tab[in[i] >> 2];
		out[o++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = tab[(in[i + 1] & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_claims c;
	char		 why[128], *tok;
	const uint8_t	*nl;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned	 maclen = 0;
	size_t		 hl, o;
	unsigned	 role;

	if (size < 1)
		return 0;
	if ((tok = malloc(2 * size + 128)) == NULL)
		return 0;
	if (data[0] & 1) {
		/* raw token bytes */
		memcpy(tok, data + 1, size - 1);
		tok[size - 1] = '\0';
	} else {
		/* header JSON \n claims JSON, signed: the claim checks get reached */
		data++;
		size--;
		nl = memchr(data, '\n', size);
		hl = nl != NULL ? (size_t)(nl - data) : size;
		o = b64url(tok, data, hl);
		tok[o++] = '.';
		if (nl != NULL)
			o += b64url(tok + o, nl + 1, size - hl - 1);
		HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)tok, o,
		    mac, &maclen);
		tok[o++] = '.';
		b64url(tok + o, mac, maclen);
	}
	if (hc_jwt_verify(tok, SECRET, 1800000000, &c, why, sizeof(why)) == 0) {
		if (hc_role_parse(hc_role_name(c.role), &role) != 0 || role != c.role)
			abort();	/* an accepted token carries a known role */
		if (memchr(c.sub, '\0', sizeof(c.sub)) == NULL)
			abort();
	}
	(void)hc_jwt_verify(tok, "", 1800000000, &c, why, sizeof(why));
	free(tok);
	return 0;
}

#!/bin/sh
# auth.sh: every rule of API.md's Auth section, with tokens crafted here (openssl + base64url).
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need redis-server nginx curl jq openssl
hc_need_program health token

hc_start_redis
hc_start_program health
have_monitoring=0
if [ -x "$top_builddir/cgi/headcount-monitoring" ]; then
	hc_start_program monitoring
	have_monitoring=1
fi
hc_start_nginx

NOW=$(date +%s)
H256='{"alg":"HS256","typ":"JWT"}'
URL=/api/v1/health/detailed	# needs role user

claims() {	# claims ROLE [EXTRA JSON MEMBERS]
	printf '{"sub":"alice","role":"%s","exp":%d%s}' "$1" $((NOW + 3600)) "${2:+,$2}"
}
sign512() {	# sign512 HEADER PAYLOAD: HS512 with the right secret
	local h p s
	h=$(printf '%s' "$1" | hc_b64url)
	p=$(printf '%s' "$2" | hc_b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha512 -hmac "$HEADCOUNT_JWT_SECRET" -binary | hc_b64url)
	printf '%s.%s.%s\n' "$h" "$p" "$s"
}
problem() {	# problem STATUS DESC
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json '[.type, .status, (.title | type), (.detail | type)] | map(tostring) | join(" ")')" \
		"about:blank $1 string string" "$2: problem body"
}
rejected() {	# rejected DESC CURL ARGS...: 401 problem with WWW-Authenticate: Bearer
	local desc=$1
	shift
	hc_req GET "$URL" "$@"
	problem 401 "$desc"
	hc_like "$(hc_header WWW-Authenticate || true)" '^Bearer' "$desc: WWW-Authenticate: Bearer"
}
bearer() { printf 'Authorization: Bearer %s' "$1"; }

# ------------------------------------------------------------ our crafting is right
good=$(hc_jwt_sign "$H256" "$(claims user)")
hc_req GET "$URL" -H "$(bearer "$good")"
hc_is "$HC_STATUS" 200 "a token crafted here with HS256 is accepted"
hc_req GET "$URL" -H "$(bearer "$(hc_jwt_sign "$H256" "$(claims user "\"nbf\":$((NOW - 60))")")")"
hc_is "$HC_STATUS" 200 "nbf in the past is accepted"
hc_req GET "$URL" -H "$(bearer "$(hc_token user)")"
hc_is "$HC_STATUS" 200 "a headcount-token token is accepted"

# ------------------------------------------------------------ 401
rejected "no Authorization header"
rejected "empty Authorization" -H 'Authorization;'
rejected "Basic scheme" -H 'Authorization: Basic YWxpY2U6c2VjcmV0'
rejected "Bearer without a token" -H 'Authorization: Bearer '
rejected "Bearer with garbage" -H 'Authorization: Bearer not-a-jwt'
rejected "two segments" -H "$(bearer "${good%.*}")"
rejected "four segments" -H "$(bearer "$good.x")"
rejected "bad base64 in the payload" -H "$(bearer "${good%%.*}.@@@.${good##*.}")"
payload_nojson=$(printf 'not json' | hc_b64url)
rejected "payload not JSON (signed)" \
	-H "$(bearer "$(printf '%s' "$H256" | hc_b64url).$payload_nojson.$(printf '%s' "$(printf '%s' "$H256" | hc_b64url).$payload_nojson" | openssl dgst -sha256 -hmac "$HEADCOUNT_JWT_SECRET" -binary | hc_b64url)")"
rejected "expired" -H "$(bearer "$(hc_jwt_sign "$H256" "{\"sub\":\"alice\",\"role\":\"user\",\"exp\":$((NOW - 60))}")")"
rejected "exp missing" -H "$(bearer "$(hc_jwt_sign "$H256" '{"sub":"alice","role":"user"}')")"
rejected "exp not a number" -H "$(bearer "$(hc_jwt_sign "$H256" '{"sub":"alice","role":"user","exp":"never"}')")"
rejected "bad signature (other secret)" \
	-H "$(bearer "$(hc_jwt_sign "$H256" "$(claims user)" not-the-secret)")"
tampered="${good%%.*}.$(claims owner | hc_b64url).${good##*.}"
rejected "payload changed after signing" -H "$(bearer "$tampered")"
rejected "signature stripped" -H "$(bearer "${good%.*}.")"
none_h=$(printf '%s' '{"alg":"none","typ":"JWT"}' | hc_b64url)
none_p=$(claims owner | hc_b64url)
rejected "alg none, no signature" -H "$(bearer "$none_h.$none_p.")"
rejected "alg none, HS256 signature" \
	-H "$(bearer "$(hc_jwt_sign '{"alg":"none","typ":"JWT"}' "$(claims owner)")")"
rejected "alg HS512" -H "$(bearer "$(sign512 '{"alg":"HS512","typ":"JWT"}' "$(claims owner)")")"
rejected "alg HS384 header with an HS256 signature" \
	-H "$(bearer "$(hc_jwt_sign '{"alg":"HS384","typ":"JWT"}' "$(claims owner)")")"
rejected "alg RS256" -H "$(bearer "$(hc_jwt_sign '{"alg":"RS256","typ":"JWT"}' "$(claims owner)")")"
rejected "no alg" -H "$(bearer "$(hc_jwt_sign '{"typ":"JWT"}' "$(claims owner)")")"
rejected "nbf in the future" \
	-H "$(bearer "$(hc_jwt_sign "$H256" "$(claims user "\"nbf\":$((NOW + 600))")")")"

# ------------------------------------------------------------ 403
hc_req GET "$URL" -H "$(bearer "$(hc_jwt_sign "$H256" "$(claims instance)")")"
problem 403 "instance role on a user route"
hc_req GET "$URL" -H "$(bearer "$(hc_token instance web-1)")"
problem 403 "instance token (headcount-token) on a user route"
hc_req GET "$URL" -H "$(bearer "$(hc_jwt_sign "$H256" "$(claims root)")")"
hc_like "$HC_STATUS" '^40[13]$' "unknown role: 401 or 403"
hc_is "$HC_CTYPE" application/problem+json "unknown role: problem+json"
if [ "$have_monitoring" = 1 ]; then
	for r in user admin instance; do
		hc_req GET /api/v1/monitoring/deployments -H "$(bearer "$(hc_token $r)")"
		problem 403 "$r on an owner route"
	done
	hc_req GET /api/v1/monitoring/deployments
	problem 401 "owner route without a token"
	hc_req GET /api/v1/monitoring/deployments -H "$(bearer "$(hc_token owner)")"
	hc_like "$HC_STATUS" '^(200|50[23])$' "owner passes auth on an owner route"
	hc_req GET /api/v1/monitoring/replicas -H "$(bearer "$(hc_token admin)")"
	hc_is "$HC_STATUS" 200 "admin includes user"
else
	hc_skip "role order on owner routes" "cgi/headcount-monitoring not built"
fi

# ------------------------------------------------------------ public routes ignore tokens
hc_req GET /api/v1/health/live -H 'Authorization: Bearer not-a-jwt'
hc_is "$HC_STATUS" 200 "live ignores a bad token"

hc_done

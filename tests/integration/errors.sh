#!/bin/sh
# errors.sh: 404/405/413/400 and nginx's own 413/502 are all RFC 9457 problem+json, in the API's check order.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need redis-server nginx curl jq head
hc_need_program health instances token

hc_start_redis
hc_start_program health
hc_start_program instances
hc_start_nginx

OWNER=$(hc_token owner boss)
USER=$(hc_token user viewer)

problem() {	# problem STATUS DESC: STATUS with a complete problem+json body
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json '[.type, .status, (.title | type), (.detail | type)] | map(tostring) | join(" ")')" \
		"about:blank $1 string string" "$2: type, title, status, detail"
	hc_like "$(hc_json .title)" '^[A-Z][A-Za-z ]+$' "$2: title is a reason phrase"
}

# ------------------------------------------------------------ 404
for p in /api/v1/nope /api/v1/ /api/ /api/v2/health/live /api/v1/nope.html /api/v1/nope.json \
	/api/v1/health/nope /api/v1/health/live/x /api/v1/instances/ /api/v1/healthz; do
	hc_req GET "$p"
	problem 404 "GET $p"
done
hc_req GET /api/v1/nope -H "Authorization: Bearer $OWNER"
problem 404 "unknown path with a token"
hc_req POST /api/v1/nope --data-binary '{}'
problem 404 "POST to an unknown path"
hc_req GET '/api/v1/health/live%00'
hc_like "$HC_STATUS" '^4[0-9][0-9]$' "NUL in the path: 4xx"

# ------------------------------------------------------------ 405 (before auth)
hc_req POST /api/v1/health/live
problem 405 "POST on live"
hc_like "$(hc_header Allow)" 'GET' "POST on live: Allow names GET"
hc_req DELETE /api/v1/health/detailed
problem 405 "DELETE on detailed without a token (405 before 401)"
hc_like "$(hc_header Allow)" 'GET' "DELETE on detailed: Allow names GET"
hc_req GET /api/v1/instances/heartbeat
problem 405 "GET on heartbeat without a token"
hc_like "$(hc_header Allow)" 'POST' "GET on heartbeat: Allow names POST"

# ------------------------------------------------------------ 401/403 before body checks
big=$HC_TMP/big.json	# 70 KiB of valid JSON
{ printf '{"instance_id":"web-1","meta":{"k":"'; head -c 71680 /dev/zero | tr '\0' a; printf '"}}'; } >"$big"
hc_req POST /api/v1/instances/heartbeat -H 'Content-Type: application/json' --data-binary "@$big"
problem 401 "70 KiB body without a token: 401 first"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $USER" \
	-H 'Content-Type: application/json' --data-binary "@$big"
problem 403 "70 KiB body with a user token: 403 first"

# ------------------------------------------------------------ 413 / 400 (after auth)
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary "@$big"
problem 413 "70 KiB body after auth"
head -c 65537 /dev/zero | tr '\0' ' ' >"$HC_TMP/just-over"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary "@$HC_TMP/just-over"
problem 413 "64 KiB + 1 byte"
{ printf '{"instance_id":"web-1"}'; head -c $((65536 - 23)) /dev/zero | tr '\0' ' '; } >"$HC_TMP/exactly"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary "@$HC_TMP/exactly"
hc_is "$HC_STATUS" 200 "exactly 64 KiB (JSON + spaces) is accepted"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$big"
problem 413 "70 KiB chunked body after auth"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary '{"instance_id":'
problem 400 "malformed JSON"

# nginx's own limit (client_max_body_size 1m) answers problem+json too.
head -c 2000000 /dev/zero >"$HC_TMP/2m"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" --data-binary "@$HC_TMP/2m"
problem 413 "2 MB body: nginx's own 413"
hc_req POST /api/v1/nope --data-binary "@$HC_TMP/2m"
hc_like "$HC_STATUS" '^(413|404)$' "2 MB body to an unknown path: 404 or 413"
hc_is "$HC_CTYPE" application/problem+json "2 MB body to an unknown path: problem+json"

# ------------------------------------------------------------ nginx's own 502
hc_stop_program health
hc_req GET /api/v1/health/live
problem 502 "health down: nginx's 502"
hc_req GET /api/v1/health/ready
problem 502 "health down: ready 502"
hc_req GET /api/v1/monitoring/replicas	# never started here
problem 502 "monitoring not running: 502"
hc_req GET /metrics
problem 502 "metrics not running: 502"
hc_start_program health
hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "health back: 200"

# ------------------------------------------------------------ static pages stay static
hc_req GET /no-such-page.html
hc_is "$HC_STATUS" 404 "unknown static page: 404"
hc_req GET /api
hc_like "$HC_STATUS" '^(301|404)$' "/api without a slash is not routed to a program"

hc_done

#!/bin/sh
# apache.sh: the same programs behind Apache 2.4 with conf/apache (mod_proxy_fcgi): routing, auth, problem+json.
. "$(dirname "$0")/setup.sh"

hc_need apache2 redis-server curl jq
hc_need_program health instances token

hc_start_redis
hc_start_program health
hc_start_program instances
hc_start_apache

USER=$(hc_token user viewer)
OWNER=$(hc_token owner boss)
problem() {	# problem STATUS DESC
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json '[.type, .status, (.title | type), (.detail | type)] | map(tostring) | join(" ")')" \
		"about:blank $1 string string" "$2: problem body"
}

hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "live: 200"
hc_like "$HC_CTYPE" '^application/json' "live: application/json"
hc_is "$HC_BODY" '{"status":"alive"}' "live: body"
hc_req GET '/api/v1/health/live?x=1'
problem 400 "live with a query key it does not take"
hc_like "$(hc_json .detail)" '"x" is not accepted' "the query reaches the program: the 400 names the key"
hc_req GET '/api/v1/health/live?'
hc_is "$HC_STATUS" 200 "live with an empty query string: 200"
hc_req GET /api/v1/health/ready
hc_is "$(hc_json .status)" ready "ready: ready"

hc_req GET /api/v1/health/detailed
problem 401 "detailed without a token"
hc_like "$(hc_header WWW-Authenticate || true)" '^Bearer' "WWW-Authenticate: Bearer passes through"
hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "Authorization reaches the program (CGIPassAuth On)"

hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "/api/v1/health/instances goes to instances"
hc_is "$(hc_json '.registered_instances | type')" array "…and answers the instance list"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary '{"instance_id":"web-1"}'
hc_is "$HC_STATUS" 200 "POST heartbeat through Apache: 200"

hc_req POST /api/v1/health/live
problem 405 "POST on live"
hc_like "$(hc_header Allow || true)" GET "405 keeps the program's Allow"
for p in /api/v1/nope /api/v1/ /api/x.html; do
	hc_req GET "$p"
	problem 404 "GET $p (Apache's own 404)"
done
hc_req GET /api/v1/health/nope
problem 404 "unknown path inside a program"

head -c 70000 /dev/zero | tr '\0' ' ' >"$HC_TMP/70k"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary "@$HC_TMP/70k"
problem 413 "70 KiB body after auth"
head -c 2000000 /dev/zero >"$HC_TMP/2m"
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" --data-binary "@$HC_TMP/2m"
problem 413 "2 MB body"

hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $USER"
hc_like "$HC_STATUS" '^50[23]$' "monitoring not running: 502/503"
hc_is "$HC_CTYPE" application/problem+json "monitoring not running: problem+json"
hc_req GET /metrics
hc_like "$HC_STATUS" '^50[23]$' "metrics not running: 502/503"
hc_is "$HC_CTYPE" application/problem+json "metrics not running: problem+json"

hc_stop_redis
# ready answers from the health program's last check (every 500 ms)
ready_503() { hc_req GET /api/v1/health/ready; [ "$HC_STATUS" = 503 ]; }
hc_wait_until 3 ready_503 || true
hc_is "$HC_STATUS" 503 "ready 503 without Redis"
hc_like "$HC_CTYPE" '^application/json' "the program's own 503 stays application/json"
hc_is "$(hc_json .status)" not_ready "…with its body"

if [ -f "$top_srcdir/www/index.html" ]; then
	hc_req GET /
	hc_is "$HC_STATUS" 200 "status page served"
	hc_like "$HC_CTYPE" '^text/html' "status page is text/html"
else
	hc_skip "status page" "www/index.html missing"
fi

hc_done

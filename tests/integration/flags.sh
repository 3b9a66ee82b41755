#!/bin/sh
# flags.sh: the feature-flag API through nginx (and its main rows through Apache) with a real
# Redis: roles, validation, events, metrics, the shared hash, a second node, Redis outages.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl
hc_need_program flags metrics token

hc_start_redis
hc_start_program flags
hc_start_program metrics
hc_start_nginx

USER=$(hc_token user viewer)
ADMIN=$(hc_token admin adm)
OWNER=$(hc_token owner boss)
INST=$(hc_token instance web-1)
NOW=$(date +%s)
EXPIRED=$(hc_jwt_sign '{"alg":"HS256","typ":"JWT"}' \
	"{\"sub\":\"old\",\"role\":\"admin\",\"iat\":$((NOW - 7200)),\"exp\":$((NOW - 3600))}")

# Every event on events:flags, one JSON per line.
hc_redis SUBSCRIBE events:flags >"$HC_TMP/events.out" 2>&1 &
hc__track subscriber $!
hc_wait_until 5 sh -c "grep -q subscribe '$HC_TMP/events.out'" || hc_bail "subscriber did not start"

problem() {	# problem STATUS DESC: the last answer is STATUS as problem+json
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json .status)" "$1" "$2: status in body"
}
get() {	# get PATH [TOKEN]
	hc_req GET "$1" -H "Authorization: Bearer ${2:-$USER}"
}
put() {	# put NAME QUERY [BODY [TOKEN]]
	if [ -n "${3:-}" ]; then
		hc_req PUT "/api/v1/flags/$1$2" -H "Authorization: Bearer ${4:-$ADMIN}" \
			-H 'Content-Type: application/json' --data-binary "$3"
	else
		hc_req PUT "/api/v1/flags/$1$2" -H "Authorization: Bearer ${4:-$ADMIN}"
	fi
}
del() {	# del NAME [TOKEN]
	hc_req DELETE "/api/v1/flags/$1" -H "Authorization: Bearer ${2:-$ADMIN}"
}
hash_dump() {	# the whole hash, sorted, one "name=value" per line
	hc_redis HGETALL feature:flags | awk 'NR % 2 { k = $0; next } { print k "=" $0 }' | sort
}
events() {	# events NAME: the events seen for NAME, one per line
	grep -F "\"name\":\"$1\"" "$HC_TMP/events.out" || true
}
answers() {	# answers URL NAME WANT: node at URL answers enabled WANT for NAME (WANT 404: unknown)
	local b
	b=$(curl -s --max-time 2 -w ' %{http_code}' -H "Authorization: Bearer $USER" "$1/api/v1/flags/$2") || return 1
	case $3 in
	404) [ "${b##* }" = 404 ] ;;
	*) [ "${b##* }" = 200 ] && [ "$(printf '%s' "${b% *}" | jq -r .enabled)" = "$3" ] ;;
	esac
}
json_true() {	# json_true URL PATH FILTER: the JSON answer at URL PATH satisfies FILTER (empty fails)
	local b
	b=$(curl -fsS --max-time 2 -H "Authorization: Bearer $USER" "$1$2") && [ -n "$b" ] &&
		printf '%s' "$b" | jq -e "$3" >/dev/null
}
changes_total() {	# headcount_flag_changes_total of the flags program
	curl -fsS --max-time 5 "$HC_URL/metrics" |
		awk '$1 ~ /^headcount_flag_changes_total\{.*program="flags"/ { print $2 }'
}

# ------------------------------------------------------------ routing and auth
hc_req GET /api/v1/flags
problem 401 "list without a token"
hc_like "$(hc_header WWW-Authenticate)" '^Bearer' "WWW-Authenticate: Bearer"
get /api/v1/flags "$EXPIRED"
problem 401 "list with an expired token"
get /api/v1/flags "$INST"
problem 403 "list with an instance token"
get /api/v1/flags/a "$INST"
problem 403 "get with an instance token"
put a '?enabled=true' '' "$USER"
problem 403 "PUT with a user token"
del a "$USER"
problem 403 "DELETE with a user token"
put a '?enabled=true' '' "$INST"
problem 403 "PUT with an instance token"
hc_req PUT /api/v1/flags/a?enabled=true
problem 401 "PUT without a token"
hc_req POST /api/v1/flags/a -H "Authorization: Bearer $ADMIN"
problem 405 "POST on a flag"
hc_like "$(hc_header Allow)" 'GET.*PUT.*DELETE|GET, PUT, DELETE' "Allow names GET, PUT, DELETE"
hc_req DELETE /api/v1/flags -H "Authorization: Bearer $ADMIN"
problem 405 "DELETE on the list"
hc_req POST /api/v1/flags/ -H "Authorization: Bearer $ADMIN"
problem 405 "POST on the list (with the slash)"
get /api/v1/flags/a/b
problem 404 "a path below a flag"
get /api/v1/flagsx
problem 404 "a path that only starts like /api/v1/flags"
hc_is "$(hash_dump)" "" "nothing refused changed the hash"

# ------------------------------------------------------------ list, empty
get /api/v1/flags
hc_is "$HC_STATUS" 200 "empty list -> 200"
hc_is "$HC_CTYPE" application/json "list: application/json"
hc_is "$HC_BODY" '{"flags":{}}' "empty list body"
get /api/v1/flags/
hc_is "$HC_BODY" '{"flags":{}}' "the list with the slash too"
get /api/v1/flags/checkout.new_flow
problem 404 "unknown flag"
hc_like "$(hc_json .detail)" checkout.new_flow "404 names the flag"

# ------------------------------------------------------------ set, change, read
put checkout.new_flow '?enabled=true'
hc_is "$HC_STATUS" 200 "PUT ?enabled=true (admin) -> 200"
hc_is "$HC_CTYPE" application/json "PUT: application/json"
hc_is "$HC_BODY" '{"name":"checkout.new_flow","enabled":true,"previous":null}' "PUT answer: previous null"
hc_is "$(hc_redis HGET feature:flags checkout.new_flow)" 1 "stored as 1 in feature:flags"
get /api/v1/flags/checkout.new_flow
hc_is "$HC_BODY" '{"name":"checkout.new_flow","enabled":true}' "GET right after the PUT sees it"
put checkout.new_flow '?enabled=false' '' "$OWNER"
hc_is "$HC_BODY" '{"name":"checkout.new_flow","enabled":false,"previous":true}' "PUT false (owner): previous true"
hc_is "$(hc_redis HGET feature:flags checkout.new_flow)" 0 "stored as 0"
put checkout.new_flow '' '{"enabled":true}'
hc_is "$HC_BODY" '{"name":"checkout.new_flow","enabled":true,"previous":false}' "PUT body {enabled:true}: previous false"
put checkout.new_flow '' '{"enabled":true,"note":"ignored"}'
hc_is "$HC_BODY" '{"name":"checkout.new_flow","enabled":true,"previous":true}' "same value again: 200, previous true"
put dark-mode '' '{"enabled":false}'
hc_is "$HC_STATUS" 200 "PUT dark-mode false"
name64="a$(printf 'b%.0s' $(seq 63))"
put "$name64" '?enabled=true'
hc_is "$HC_STATUS" 200 "a name of 64 characters -> 200"
put 0 '?enabled=true'
hc_is "$HC_STATUS" 200 "a name of one digit -> 200"
get /api/v1/flags
hc_is "$HC_BODY" "{\"flags\":{\"0\":true,\"$name64\":true,\"checkout.new_flow\":true,\"dark-mode\":false}}" \
	"list: every flag, byte order"
hc_is "$(hc_json '.stale // "absent"')" absent "no stale field while Redis is up"
hc_req HEAD /api/v1/flags/dark-mode -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "HEAD on a flag -> 200"

# ------------------------------------------------------------ validation: 400, nothing changed
before=$(hash_dump)
nevents=$(wc -l <"$HC_TMP/events.out")
for bad in Upper -a .a _a 'a%20b' 'a:b' 'caf%C3%A9' 'a%09b' "a$(printf 'b%.0s' $(seq 64))"; do
	put "$bad" '?enabled=true'
	hc_is "$HC_STATUS" 400 "PUT name '$bad' -> 400"
	get "/api/v1/flags/$bad"
	hc_is "$HC_STATUS" 400 "GET name '$bad' -> 400"
	del "$bad"
	hc_is "$HC_STATUS" 400 "DELETE name '$bad' -> 400"
done
hc_like "$(hc_json .detail)" 'a-z0-9' "the 400 states the name rule"
hc_is "$HC_CTYPE" application/problem+json "bad name: problem+json"
# the router refuses what cannot be one path segment (a NUL, an encoded slash): 4xx, never 5xx
for bad in '%00' 'a%2Fb' '%ZZ'; do
	put "$bad" '?enabled=true'
	hc_like "$HC_STATUS" '^4' "PUT name '$bad' -> 4xx ($HC_STATUS)"
done
put x ''
problem 400 "PUT without a value"
hc_like "$(hc_json .detail)" enabled "detail names enabled"
for q in '?enabled=yes' '?enabled=1' '?enabled=TRUE' '?enabled=' '?enabled' '?enabled=true&enabled=true' \
	'?enabled=true&enabled=false' '?enabled=true&x=1' '?value=true' '?enabled=%ZZ'; do
	put x "$q"
	problem 400 "PUT $q"
done
for b in '{"enabled":' '[]' '"x"' 'null' '{"enabled":"true"}' '{"enabled":1}' '{"enabled":null}' \
	'{"enabled":{}}' '{}' '{"enabled":true} x' '{"on":true}'; do
	put x '' "$b"
	problem 400 "PUT body $b"
done
put x '?enabled=true' '{"enabled":true}'
problem 400 "PUT with enabled both in the query and the body"
big=$(head -c 70000 /dev/zero | tr '\0' ' ')
put x '' "{\"enabled\":true$big}"
problem 413 "PUT body over 64 KiB"
get '/api/v1/flags?x=1'
problem 400 "list with an unknown query parameter"
get '/api/v1/flags/dark-mode?enabled=true'
problem 400 "GET with a query parameter"
hc_req DELETE '/api/v1/flags/dark-mode?force=1' -H "Authorization: Bearer $ADMIN"
problem 400 "DELETE with a query parameter"
hc_is "$(hash_dump)" "$before" "no refused request changed the hash"
hc_is "$(wc -l <"$HC_TMP/events.out")" "$nevents" "no refused request published an event"

# ------------------------------------------------------------ hostile input: never a 5xx
before=$(hash_dump)
fivexx=0
n=0
for path in /api/v1/flags/x /api/v1/flags/%ff%fe /api/v1/flags/..%2f.. "/api/v1/flags/$(printf 'a%.0s' $(seq 300))" \
	'/api/v1/flags/x?enabled=%00' '/api/v1/flags/x?enabled=true%00' '/api/v1/flags/x?%3d=1' '/api/v1/flags?;=' \
	/ofrep/v1/evaluate/flags/x '/ofrep/v1/evaluate/flags?flagConfigEtag=%ff' /ofrep/v1/evaluate/flags/%ff \
	'/ofrep/v1/configuration?a'; do
	for body in '' '{' '{"enabled":tru}' '{"enabled":true,"enabled":false}' '{"context":{"a":NaN}}' \
		'{"context":[' '\u0000' '{"enabled":1e999}' "{\"context\":{\"k\":\"$(printf '\\ud800')\"}}" \
		'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'; do
		for m in GET PUT POST DELETE PATCH; do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$m" -H "Authorization: Bearer $USER" \
				-H 'Content-Type: application/json' --data-binary "$body" "$HC_URL$path")
			n=$((n + 1))
			case $code in 5*|000) fivexx=$((fivexx + 1)); hc_diag "$m $path <$body>: $code" ;; esac
		done
	done
done
hc_is "$fivexx" 0 "$n hostile requests (user token): no 5xx"
hc_is "$(hash_dump)" "$before" "and the hash is unchanged"

# ------------------------------------------------------------ delete
del dark-mode
hc_is "$HC_STATUS" 204 "DELETE -> 204"
hc_is "$HC_BODY" "" "204 has no body"
hc_is "$(hc_redis HEXISTS feature:flags dark-mode)" 0 "gone from the hash"
get /api/v1/flags/dark-mode
problem 404 "deleted flag: GET 404 right after"
del dark-mode
problem 404 "DELETE again -> 404"
del never-was
problem 404 "DELETE unknown -> 404"

# ------------------------------------------------------------ events and metrics
hc_ok "events arrived" hc_wait_until 5 sh -c "grep -qF '\"deleted\"' '$HC_TMP/events.out'"
hc_is "$(events checkout.new_flow | jq -r .enabled | tr '\n' ' ')" "true false true " \
	"events for checkout.new_flow: one per change, none for the repeat"
hc_like "$(events checkout.new_flow | head -n 1)" \
	'^\{"event":"changed","name":"checkout.new_flow","enabled":true,"at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"\}$' \
	"changed event JSON shape"
hc_like "$(events dark-mode | tail -n 1)" '^\{"event":"deleted","name":"dark-mode","enabled":false,"at":"[^"]+Z"\}$' \
	"deleted event JSON shape"
hc_is "$(events dark-mode | wc -l)" 2 "dark-mode: set and deleted, no event for the refused or the 404"
# changes: checkout x3 (true, false, true), dark-mode set, name64, 0, dark-mode deleted
changes_are() { [ "$(changes_total)" = "$1" ]; }
hc_ok "headcount_flag_changes_total counts 7 changes" hc_wait_until 5 changes_are 7
hc_diag "headcount_flag_changes_total = $(changes_total)"

# ------------------------------------------------------------ the shared hash, written by another app
hc_redis HSET feature:flags legacy.app 1 >/dev/null
t0=$(date +%s%N)
hc_ok "a raw HSET by another app is seen within 2 s" hc_wait_until 2 answers "$HC_URL" legacy.app true
hc_diag "raw HSET seen after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
hc_redis HSET feature:flags odd.value yes 'Not A Name' 1 >/dev/null
hc_ok "a value other than 1/0 is seen within 2 s" hc_wait_until 2 answers "$HC_URL" odd.value false
get /api/v1/flags/odd.value
hc_is "$HC_BODY" '{"name":"odd.value","enabled":false}' "a value other than 1/0 reads as false"
hc_ok "and is logged as a warning" grep -q '"level":"warn".*odd.value has the value \\"yes\\"' "$HC_TMP/flags.log"
get /api/v1/flags
hc_is "$(hc_json '.flags | has("Not A Name")')" false "a hash field that is not a flag name is not listed"
hc_is "$(hc_json '.flags["odd.value"]')" false "odd.value false in the list"
put odd.value '?enabled=true'
hc_is "$HC_BODY" '{"name":"odd.value","enabled":true,"previous":false}' "PUT over an odd value: previous false"
hc_redis HDEL feature:flags legacy.app >/dev/null
hc_ok "a raw HDEL is seen within 2 s" hc_wait_until 2 answers "$HC_URL" legacy.app 404
# keyspace notifications, when the server sends them, make raw writes quick too
hc_redis CONFIG SET notify-keyspace-events Kh >/dev/null
hc_redis HSET feature:flags ks.flag 1 >/dev/null
hc_ok "with keyspace notifications on, a raw HSET is seen (deadline 2 s)" hc_wait_until 2 answers "$HC_URL" ks.flag true
hc_redis CONFIG SET notify-keyspace-events '' >/dev/null

# ------------------------------------------------------------ a second node
# A second flags program on its own socket behind its own nginx: its own copy.
mkdir -p "$HC_TMP/node2"
chmod 755 "$HC_TMP/node2"
[ "$(id -u)" = 0 ] && chown "$HC_RUN_UID" "$HC_TMP/node2"
PORT2=$("$top_builddir/tests/freeport")
cat >"$HC_TMP/node2/nginx.conf" <<EOF
worker_processes 1;
pid $HC_TMP/node2/nginx.pid;
${NGINX_USER:-}
events { worker_connections 64; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$PORT2;
		location / {
			include $HC_TMP/fastcgi_params;
			fastcgi_pass unix:$HC_TMP/node2/flags.sock;
		}
	}
}
EOF
[ "$(id -u)" = 0 ] && sed -i '3s/.*/user www-data;/' "$HC_TMP/node2/nginx.conf"
"$top_builddir/cgi/headcount-flags" --config "$HC_TMP/settings.conf" --listen "unix:$HC_TMP/node2/flags.sock" \
	$HC_SOCKET_ARGS $HC_USER_ARGS --workers 2 </dev/null >>"$HC_TMP/flags2.log" 2>&1 &
hc_track flags2 $!
hc_wait_until 10 test -S "$HC_TMP/node2/flags.sock" || hc_bail "second flags program did not start"
nginx -p "$HC_TMP/node2/" -e "$HC_TMP/node2/error.log" -c "$HC_TMP/node2/nginx.conf" \
	-g 'daemon off;' </dev/null >>"$HC_TMP/nginx2.log" 2>&1 &
hc_track nginx2 $!
URL2=http://127.0.0.1:$PORT2
hc_wait_until 10 sh -c "curl -s -o /dev/null -H 'Authorization: Bearer $USER' '$URL2/api/v1/flags'" ||
	hc_bail "second nginx did not answer"
hc_ok "node 2 reads the same flags" hc_wait_until 5 answers "$URL2" checkout.new_flow true
# Polled with a deadline, in one process (python3: no process start per poll): the PUT through
# node 1, then node 2 asked again and again until it answers the new value or 100 ms passed.
cat >"$HC_TMP/propagate.py" <<'PY'
import http.client, json, sys, time
port1, port2, admin, user, want = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
c1 = http.client.HTTPConnection("127.0.0.1", port1, timeout=5)
c2 = http.client.HTTPConnection("127.0.0.1", port2, timeout=5)
c1.request("PUT", "/api/v1/flags/checkout.new_flow?enabled=" + want, headers={"Authorization": "Bearer " + admin})
r = c1.getresponse(); r.read()
if r.status != 200:
    print("PUT %d" % r.status); sys.exit(1)
t0 = time.monotonic(); polls = 0
while True:
    sent = (time.monotonic() - t0) * 1000
    if sent > 100:
        print("not seen within 100 ms (%d polls)" % polls); sys.exit(1)
    c2.request("GET", "/api/v1/flags/checkout.new_flow", headers={"Authorization": "Bearer " + user})
    b = json.loads(c2.getresponse().read()); polls += 1
    if b.get("enabled") == (want == "true"):
        print("seen by poll %d, sent %.1f ms, answered %.1f ms after the PUT" % (polls, sent, (time.monotonic() - t0) * 1000))
        sys.exit(0)
PY
hc_need python3
for round in 1 2 3 4 5 6; do
	want=$([ $((round % 2)) = 1 ] && echo false || echo true)
	out=$(python3 "$HC_TMP/propagate.py" "$HC_PORT" "$PORT2" "$ADMIN" "$USER" "$want" 2>&1) && rc=0 || rc=$?
	hc_is "$rc" 0 "round $round: a PUT through node 1 is seen through node 2 within 100 ms ($out)"
done
put node2.only '?enabled=true'
del node2.only
hc_ok "a DELETE through node 1 is seen through node 2 within 100 ms" sh -c '
	t0=$(date +%s%N)
	while [ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $2" "$1/api/v1/flags/node2.only")" != 404 ]; do
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 100 ] || exit 1
	done' _ "$URL2" "$USER"

# ------------------------------------------------------------ zero Redis reads per flag read
hc_redis CONFIG RESETSTAT >/dev/null
for i in $(seq 50); do
	curl -fsS -o /dev/null -H "Authorization: Bearer $USER" "$HC_URL/api/v1/flags/checkout.new_flow"
done
cmds=$(hc_redis INFO commandstats | tr -d '\r' | grep -v -e '^#' -e '^$' -e cmdstat_info \
	-e cmdstat_config | sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\).*/\1=\2/p' | tr '\n' ' ')
hc_diag "Redis commands during 50 flag reads (the watchers' polls of two nodes included): ${cmds:-none}"
calls=$(hc_redis INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\).*/\1 \2/p' |
	awk '$1 !~ /^(hgetall|info|config)/ { n += $2 } END { print n + 0 }')
hc_is "$calls" 0 "50 flag reads cost no Redis command besides the watchers' HGETALL polls"

# ------------------------------------------------------------ Redis down: stale reads, writes 503
hc_stop_redis
hc_ok "Redis stopped: the list turns stale" hc_wait_until 3 json_true "$HC_URL" /api/v1/flags '.stale == true'
get /api/v1/flags
hc_is "$HC_STATUS" 200 "stale list -> 200"
hc_is "$(hc_json '.flags["checkout.new_flow"]')" true "stale list keeps the last values"
get /api/v1/flags/checkout.new_flow
hc_is "$HC_BODY" '{"name":"checkout.new_flow","enabled":true,"stale":true}' "stale flag: last value, stale true"
get /api/v1/flags/never.seen
problem 404 "unknown flag while stale: 404"
put checkout.new_flow '?enabled=false'
problem 503 "PUT while Redis is down"
hc_is "$(hc_header Retry-After)" 1 "503 with Retry-After"
del checkout.new_flow
problem 503 "DELETE while Redis is down"
hc_ok "Retry-After on the DELETE too" hc_header Retry-After
put 'BAD' '?enabled=true'
problem 400 "bad input while Redis is down is still 400"
hc_ok "node 2 is stale too" hc_wait_until 3 json_true "$URL2" /api/v1/flags/checkout.new_flow '.stale == true'

# A program started while Redis is down has seen nothing: 503.
hc_stop_program flags
hc_start_program flags
get /api/v1/flags
problem 503 "nothing seen and Redis down: list 503"
hc_ok "503 with Retry-After" hc_header Retry-After
get /api/v1/flags/checkout.new_flow
problem 503 "nothing seen and Redis down: GET 503"

# Redis back (empty, as a fresh server): fresh within 2 s, no restart.
hc_start_redis
hc_redis HSET feature:flags after.restart 1 >/dev/null
FRESH='(.stale | not) and .flags["after.restart"] == true'
hc_ok "Redis back: fresh answers within 2 s (the restarted program)" hc_wait_until 2 json_true "$HC_URL" /api/v1/flags "$FRESH"
hc_ok "Redis back: fresh answers within 2 s (node 2, never restarted)" hc_wait_until 2 json_true "$URL2" /api/v1/flags "$FRESH"
put checkout.new_flow '?enabled=true'
hc_is "$HC_STATUS" 200 "writes work again"

# ------------------------------------------------------------ the main rows through Apache
hc_stop nginx2
hc_stop flags2
hc_stop_nginx
if command -v apache2 >/dev/null 2>&1; then
	hc_start_apache
	get /api/v1/flags
	hc_is "$HC_STATUS" 200 "Apache: list -> 200"
	hc_is "$(hc_json '.flags["checkout.new_flow"]')" true "Apache: list content"
	get /api/v1/flags/
	hc_is "$HC_STATUS" 200 "Apache: list with the slash -> 200"
	put apache.flag '?enabled=true'
	hc_is "$HC_BODY" '{"name":"apache.flag","enabled":true,"previous":null}' "Apache: PUT ?enabled=true"
	put apache.flag '' '{"enabled":false}'
	hc_is "$HC_BODY" '{"name":"apache.flag","enabled":false,"previous":true}' "Apache: PUT with a body"
	get /api/v1/flags/apache.flag
	hc_is "$HC_BODY" '{"name":"apache.flag","enabled":false}' "Apache: GET"
	del apache.flag
	hc_is "$HC_STATUS" 204 "Apache: DELETE -> 204"
	get /api/v1/flags/apache.flag
	problem 404 "Apache: unknown flag"
	hc_req GET /api/v1/flags
	problem 401 "Apache: no token"
	put x '?enabled=true' '' "$USER"
	problem 403 "Apache: PUT with a user token"
	put Bad '?enabled=true'
	problem 400 "Apache: bad name"
	put x '?enabled=maybe'
	problem 400 "Apache: bad value"
	hc_req POST /ofrep/v1/evaluate/flags/checkout.new_flow -H "Authorization: Bearer $USER" \
		-H 'Content-Type: application/json' --data-binary '{"context":{"targetingKey":"u1"}}'
	hc_is "$HC_BODY" '{"key":"checkout.new_flow","value":true,"reason":"STATIC","variant":"on","metadata":{}}' \
		"Apache: OFREP evaluate"
	hc_req POST /ofrep/v1/evaluate/flags/nope -H "Authorization: Bearer $USER" --data-binary '{}'
	hc_is "$HC_STATUS $(hc_json .errorCode)" "404 FLAG_NOT_FOUND" "Apache: OFREP unknown flag"
	hc_req POST /ofrep/v1/evaluate/flags -H "Authorization: Bearer $USER" --data-binary '{}'
	hc_is "$HC_STATUS" 200 "Apache: OFREP bulk"
	etag=$(hc_header ETag)
	hc_req POST /ofrep/v1/evaluate/flags -H "Authorization: Bearer $USER" -H "If-None-Match: $etag" --data-binary '{}'
	hc_is "$HC_STATUS" 304 "Apache: OFREP bulk with If-None-Match -> 304"
	hc_req GET /ofrep/v1/configuration -H "Authorization: Bearer $USER"
	hc_is "$(hc_json .name)" headcount "Apache: OFREP configuration"
	hc_stop_apache
else
	hc_skip "Apache rows" "apache2 not installed"
fi

hc_done

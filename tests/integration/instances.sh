#!/bin/sh
# instances.sh: heartbeats, deregistration and /health/instances through nginx and a real Redis.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl
hc_need_program instances token

export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=4
hc_start_redis
hc_start_program instances
hc_start_nginx

OWNER=$(hc_token owner boss)
USER=$(hc_token user viewer)
ADMIN=$(hc_token admin adm)
INST=$(hc_token instance web-1)

# Every event on events:instances, one JSON per line.
hc_redis SUBSCRIBE events:instances >"$HC_TMP/events.out" 2>&1 &
hc__track subscriber $!
hc_wait_until 5 sh -c "grep -q subscribe '$HC_TMP/events.out'" || hc_bail "subscriber did not start"

hb() {	# hb TOKEN BODY
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' --data-binary "$2"
}
problem() {	# problem STATUS DESC: the last answer is STATUS as problem+json
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json .status)" "$1" "$2: status in body"
}
event_seen() {	# event_seen EVENT ID
	grep -F "\"instance_id\":\"$2\"" "$HC_TMP/events.out" | grep -qF "\"event\":\"$1\""
}

# ------------------------------------------------------------ routing and auth
hc_req GET /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER"
problem 405 "GET on heartbeat"
hc_like "$(hc_header Allow)" POST "Allow names POST"
hc_req POST /api/v1/instances/web-1 -H "Authorization: Bearer $OWNER"
problem 405 "POST on an instance"
hc_req GET /api/v1/instances/ -H "Authorization: Bearer $OWNER"
problem 404 "unknown path under /api/v1/instances/"

hc_req POST /api/v1/instances/heartbeat --data-binary '{"instance_id":"web-1"}'
problem 401 "heartbeat without a token"
hc_like "$(hc_header WWW-Authenticate)" '^Bearer' "WWW-Authenticate: Bearer"
hb "$USER" '{"instance_id":"web-1"}'
problem 403 "heartbeat with a user token"
hb "$ADMIN" '{"instance_id":"web-1"}'
problem 403 "heartbeat with an admin token"
hc_req GET /api/v1/health/instances
problem 401 "list without a token"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $INST"
problem 403 "list with an instance token"

# ------------------------------------------------------------ validation
hb "$OWNER" '{"instance_id":'
problem 400 "malformed JSON"
hb "$OWNER" ''
problem 400 "empty body"
hb "$OWNER" '["web-1"]'
problem 400 "body not an object"
hb "$OWNER" '{"instance_id":"web-1"} x'
problem 400 "trailing bytes"
# The JSON null (with and without a newline after it) is a value, not an object: its
# 400 says so, and no stack bytes reach the client.
for body in 'null' 'null
' ' null ' '5' 'true' '"x"'; do
	hb "$OWNER" "$body"
	problem 400 "body $(printf '%s' "$body" | tr '\n' ' ')"
	hc_is "$(hc_json .detail)" "$(case $body in *null*) echo 'request body is JSON null; a JSON object is expected';;
		*) echo 'the body must be a JSON object';; esac)" "body $(printf '%s' "$body" | tr '\n' ' '): the detail says why"
done
hb "$OWNER" '{"instance_id":'
hc_like "$(hc_json .detail)" '^malformed JSON: [a-z]' "malformed JSON: the detail starts with the reason"
hc_is "$(hc_json .detail | grep -c 'malformed JSON: malformed JSON')" 0 "malformed JSON: not said twice"
# NaN and Infinity are not JSON: json-c takes them, the API must not (one bad
# heartbeat would make every later list unreadable for a strict parser).
for num in NaN Infinity -Infinity 1e999 -1e999; do
	hb "$OWNER" "{\"instance_id\":\"web-nan\",\"meta\":{\"x\":$num}}"
	problem 400 "meta with $num"
	hb "$OWNER" "{\"instance_id\":\"web-nan\",\"x\":[$num]}"
	problem 400 "$num in an ignored field"
done
hb "$OWNER" '{"hostname":"h"}'
problem 400 "instance_id missing"
hc_like "$(hc_json .detail)" instance_id "detail names instance_id"
for bad in '""' '"-web"' '".web"' '"web 1"' '"web/1"' '"wéb"' '12' 'null' '["a"]' \
	"\"a$(printf '%0128d' 0)\"" '"a\u0000b"'; do
	hb "$OWNER" "{\"instance_id\":$bad}"
	hc_is "$HC_STATUS" 400 "instance_id $bad -> 400"
done
id128="a$(printf '%0127d' 0)"
hb "$OWNER" "{\"instance_id\":\"$id128\"}"
hc_is "$HC_STATUS" 200 "instance_id of 128 characters -> 200"
for bad in '1' 'null' '""' '{}' "\"$(printf '%0256d' 0)\""; do
	hb "$OWNER" "{\"instance_id\":\"web-9\",\"hostname\":$bad}"
	hc_is "$HC_STATUS" 400 "hostname ${bad:0:20} -> 400"
done
for bad in '[]' '"x"' '1' 'null' '{"a":{}}' '{"a":[1]}' '{"a":null}'; do
	hb "$OWNER" "{\"instance_id\":\"web-9\",\"meta\":$bad}"
	problem 400 "meta $bad"
done
meta32=$(jq -cn '[range(32)] | map({key: "k\(.)", value: .}) | from_entries')
meta33=$(jq -cn '[range(33)] | map({key: "k\(.)", value: .}) | from_entries')
hb "$OWNER" "{\"instance_id\":\"web-9\",\"meta\":$meta33}"
problem 400 "meta with 33 keys"
hb "$OWNER" "{\"instance_id\":\"web-32\",\"meta\":$meta32}"
hc_is "$HC_STATUS" 200 "meta with 32 keys -> 200"
big=$(head -c 70000 /dev/zero | tr '\0' 'x')
hb "$OWNER" "{\"instance_id\":\"web-9\",\"hostname\":\"$big\"}"
problem 413 "body over 64 KiB"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$(hc_json '[.registered_instances[].instance_id] | map(select(. == "web-9" or . == "web-nan")) | length')" 0 \
	"no rejected heartbeat registered anything"

# ------------------------------------------------------------ heartbeats
hb "$OWNER" '{"instance_id":"web-1","hostname":"host-a","meta":{"zone":"lon1","n":3,"f":1.5,"big":12345678901234567,"ok":true}}'
hc_is "$HC_STATUS" 200 "heartbeat -> 200"
hc_is "$HC_CTYPE" application/json "heartbeat: application/json"
hc_is "$(printf '%s' "$HC_BODY" | jq -c .)" \
	'{"instance_id":"web-1","registered":true,"ttl_seconds":2,"heartbeat_interval_seconds":1}' \
	"heartbeat answer (new)"
hb "$INST" '{"instance_id":"web-1","hostname":"host-a","meta":{"zone":"lon1","n":3,"f":1.5,"big":12345678901234567,"ok":true}}'
hc_is "$(hc_json .registered)" false "renewal by an instance token: registered false"
hb "$INST" '{"instance_id":"web-2"}'
hc_is "$HC_STATUS" 200 "an instance token may heartbeat any id"
hc_is "$(hc_json .registered)" true "web-2 registered"
hb "$OWNER" '{"instance_id":"Web-3","extra":"ignored"}'
hc_is "$HC_STATUS" 200 "unknown top-level fields are ignored"
hc_ok "registered event published" hc_wait_until 5 event_seen registered web-1
hc_ok "registered event for web-2" hc_wait_until 5 event_seen registered web-2
hc_like "$(grep -F '"instance_id":"web-1"' "$HC_TMP/events.out" | head -n1)" \
	'^\{"event":"registered","instance_id":"web-1","at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"\}$' \
	"event JSON shape"
hc_is "$(grep -c '"instance_id":"web-1"' "$HC_TMP/events.out")" 1 "no event on renewal"

# ------------------------------------------------------------ list
# Renew the others first: with TTL 2 a slow (sanitizer) build could see them stale.
for id in "$id128" web-32 Web-3 web-2; do hb "$OWNER" "{\"instance_id\":\"$id\"}"; done
hb "$OWNER" '{"instance_id":"web-1","hostname":"host-a","meta":{"zone":"lon1","n":3,"f":1.5,"big":12345678901234567,"ok":true}}'
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "list -> 200"
hc_is "$HC_CTYPE" application/json "list: application/json"
hc_is "$(hc_json '[.registered_instances[].instance_id] | join(",")')" \
	"Web-3,$id128,web-1,web-2,web-32" "sorted by instance_id, byte order"
hc_is "$(hc_json .desired_replicas)" null "desired_replicas null without DESIRED_REPLICAS"
hc_is "$(hc_json .active_instances)" 5 "active_instances"
hc_is "$(hc_json .stale_instances)" 0 "stale_instances"
w1='.registered_instances[] | select(.instance_id == "web-1")'
hc_is "$(hc_json "$w1 | keys | join(\",\")")" \
	"hostname,instance_id,is_stale,last_heartbeat,meta,seconds_since_heartbeat,started_at" \
	"instance fields"
hc_is "$(hc_json "$w1.hostname")" host-a "hostname"
# (raw body: jq 1.6 would round the big integer)
hc_like "$HC_BODY" '"meta":\{"zone":"lon1","n":3,"f":1.5,"big":12345678901234567,"ok":true\}' \
	"meta returned as given"
hc_is "$(hc_json '.registered_instances[] | select(.instance_id == "web-2") | .hostname')" \
	web-2 "hostname defaults to instance_id"
hc_is "$(hc_json '.registered_instances[] | select(.instance_id == "web-2") | .meta | tojson')" \
	'{}' "meta defaults to {}"
hc_like "$(hc_json "$w1.started_at")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "started_at RFC 3339"
hc_like "$(hc_json "$w1.last_heartbeat")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "last_heartbeat RFC 3339"
hc_is "$(hc_json "$w1.is_stale")" false "is_stale false"
hc_like "$(hc_json "$w1.seconds_since_heartbeat")" '^[0-9]+$' "seconds_since_heartbeat integer"

# started_at stays across renewals; last_heartbeat moves (Redis clock)
started=$(hc_json "$w1.started_at")
last=$(hc_json "$w1.last_heartbeat")
lastsecond() { hb "$OWNER" '{"instance_id":"web-1"}'; hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"; [ "$(hc_json "$w1.last_heartbeat")" != "$last" ]; }
hc_ok "last_heartbeat moves on renewal" hc_wait_until 3 lastsecond
hc_is "$(hc_json "$w1.started_at")" "$started" "started_at kept across renewals"

# staleness from the Redis clock: TTL 2
stale_web2() { hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"; [ "$(hc_json '.registered_instances[] | select(.instance_id == "web-2") | .is_stale')" = true ]; }
hc_ok "web-2 stale after TTL" hc_wait_until 6 stale_web2
hc_like "$(hc_json '.registered_instances[] | select(.instance_id == "web-2") | .seconds_since_heartbeat')" \
	'^([2-9]|[1-9][0-9]+)$' "seconds_since_heartbeat > TTL"
hc_ok "stale_instances counts it" test "$(hc_json .stale_instances)" -ge 1
hc_is "$(( $(hc_json .stale_instances) + $(hc_json .active_instances) ))" \
	"$(hc_json '.registered_instances | length')" "active + stale = registered"
hc_ok "no agent: nothing pruned by the program" test "$(hc_redis ZSCORE headcount:instances web-2)" != ""

# ------------------------------------------------------------ DELETE
hc_req DELETE /api/v1/instances/web-2 -H "Authorization: Bearer $INST"
problem 403 "instance token deleting another id"
hc_req DELETE /api/v1/instances/web-2 -H "Authorization: Bearer $USER"
problem 403 "user token deleting"
hc_req DELETE /api/v1/instances/web-2 -H "Authorization: Bearer $ADMIN"
problem 403 "admin token deleting"
hc_req DELETE /api/v1/instances/web-2
problem 401 "deleting without a token"
hc_req DELETE /api/v1/instances/web-1 -H "Authorization: Bearer $INST"
hc_is "$HC_STATUS" 204 "instance token deletes its own id: 204"
hc_is "$HC_BODY" "" "204 without a body"
hc_req DELETE /api/v1/instances/web-1 -H "Authorization: Bearer $INST"
problem 404 "deleting it again"
hc_req DELETE /api/v1/instances/web-2 -H "Authorization: Bearer $OWNER"
hc_is "$HC_STATUS" 204 "owner deletes any id: 204"
hc_req DELETE /api/v1/instances/nope -H "Authorization: Bearer $OWNER"
problem 404 "unknown id"
# An id that breaks the rule is a 400 (API.md), checked before the handler: 129 characters too.
hc_req DELETE "/api/v1/instances/bad%20id" -H "Authorization: Bearer $OWNER"
problem 400 "invalid id"
hc_like "$(hc_json .detail)" '\{id\} must match \[A-Za-z0-9\]' "invalid id: detail names {id} and the rule"
hc_req DELETE "/api/v1/instances/a$(printf '%0128d' 0)" -H "Authorization: Bearer $OWNER"
problem 400 "id of 129 characters"
hc_req DELETE "/api/v1/instances/a$(printf '%0127d' 0)x" -H "Authorization: Bearer $OWNER"
problem 400 "id of 129 characters ending in a letter"
hc_req DELETE "/api/v1/instances/b$(printf '%0127d' 0)" -H "Authorization: Bearer $OWNER"
problem 404 "unknown id of 128 characters"
hc_req DELETE "/api/v1/instances/bad%20id" -H "Authorization: Bearer $INST"
problem 400 "invalid id with an instance token: 400 before the handler's 403"
hc_req DELETE "/api/v1/instances/Web-3?force=1" -H "Authorization: Bearer $OWNER"
problem 400 "DELETE with a query key it does not take"
hc_like "$(hc_json .detail)" '"force" is not accepted' "the 400 names the key"
hc_req DELETE "/api/v1/instances/Web-3?%ff%C3=1" -H "Authorization: Bearer $OWNER"
problem 400 "a query key of raw bytes"
hc_ok "...answered as UTF-8 JSON, the key shown as ??" python3 -c \
	'import json, sys; d = json.loads(sys.argv[1].encode("utf-8", "surrogateescape").decode("utf-8"))["detail"]; sys.exit(0 if "\"??\"" in d else 1)' "$HC_BODY"
hc_ok "removed event published" hc_wait_until 5 event_seen removed web-1
hc_ok "removed event for web-2" hc_wait_until 5 event_seen removed web-2
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$(hc_json '[.registered_instances[].instance_id] | join(",")')" \
	"Web-3,$id128,web-32" "deleted instances are gone"
hc_is "$(hc_redis HEXISTS headcount:instance:data web-1)" 0 "their data too"

# Stored data is input too: hand-written times at the ends of int64 are shown
# at the bounds RFC 3339 can write, never a 9-digit year (hc_fmt_ms overflowed).
hc_redis HSET headcount:instance:data web-min \
	'{"started_at":-9223372036854775808,"last":-9223372036854775808,"hostname":"h","meta":{}}' >/dev/null
hc_redis HSET headcount:instance:data web-max \
	'{"started_at":9223372036854775807,"last":999999999999999999,"hostname":"h","meta":{}}' >/dev/null
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "hand-written extreme times: list 200"
hc_is "$(hc_json '.registered_instances[] | select(.instance_id == "web-min") | [.started_at, .last_heartbeat, .is_stale] | map(tostring) | join(" ")')" \
	"1970-01-01T00:00:00Z 1970-01-01T00:00:00Z true" "INT64_MIN times: the epoch, stale"
hc_is "$(hc_json '.registered_instances[] | select(.instance_id == "web-max") | [.started_at, .last_heartbeat, .seconds_since_heartbeat] | map(tostring) | join(" ")')" \
	"9999-12-31T23:59:59Z 9999-12-31T23:59:59Z 0" "far-future times: the end of year 9999"
hc_redis HDEL headcount:instance:data web-min web-max >/dev/null
# A NaN stored before heartbeats refused it (or by hand) never reaches the list.
hc_redis HSET headcount:instance:data web-nan \
	'{"started_at":1795341600000,"last":1795341600000,"hostname":"h","meta":{"x":NaN,"y":Infinity}}' >/dev/null
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_ok "stored NaN: the list is strict JSON" python3 -c \
	'import json, sys; json.loads(sys.argv[1], parse_constant=lambda c: 1 / 0)' "$HC_BODY"
hc_is "$(hc_json '.registered_instances[] | select(.instance_id == "web-nan") | .meta | tojson')" '{}' \
	"stored NaN: the damaged record shows its defaults"
hc_redis HDEL headcount:instance:data web-nan >/dev/null

# ------------------------------------------------------------ Redis down, then back
hc_stop_redis
hb "$OWNER" '{"instance_id":"web-1"}'
problem 503 "heartbeat with Redis down"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
problem 503 "list with Redis down"
hc_start_redis
hb_ok() { hb "$OWNER" '{"instance_id":"web-1"}'; [ "$HC_STATUS" = 200 ]; }
hc_ok "heartbeats work again after Redis is back, no restart" hc_wait_until 5 hb_ok
hc_is "$(hc_json .registered)" true "registered again in the new Redis"

# ------------------------------------------------------------ settings in the answers
hc_stop_program instances
HEADCOUNT_TTL=30 HEADCOUNT_PRUNE_AFTER=300 DESIRED_REPLICAS=3 HEADCOUNT_KEY_PREFIX=other: \
	hc_start_program instances
hb "$OWNER" '{"instance_id":"web-1"}'
hc_is "$(hc_json .ttl_seconds),$(hc_json .heartbeat_interval_seconds)" 30,10 \
	"ttl_seconds 30, heartbeat_interval_seconds 10"
hc_is "$(hc_json .registered)" true "another key prefix is another registry"
hc_is "$(hc_redis EXISTS other:instances)" 1 "keys under HEADCOUNT_KEY_PREFIX"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$(hc_json .desired_replicas)" 3 "desired_replicas from DESIRED_REPLICAS"

# byte order where ids first differ after 16 bytes, at 16, and by length (the
# list compares the first 16 bytes as integers, the rest with memcmp)
ids="node-aaaaaaaaaaa-2 node-aaaaaaaaaaa-10 node-aaaaaaaaaaa node-aaaaaaaaaaa-1 node-aaaaaaaaaaaZ
node-aaaaaaaaaaaa node-aaaaaaaaaaa-10-b node-aaaaaaaaaaa-1- web-1"
for id in $ids; do hb "$OWNER" "{\"instance_id\":\"$id\"}"; done
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$(hc_json '[.registered_instances[].instance_id] | join(" ")')" \
	"$(printf '%s\n' $ids | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//')" \
	"long ids sharing 16 and more bytes: byte order"

hc_done

#!/bin/sh
# health.sh: /api/v1/health/{live,ready,detailed} through nginx, with a real Redis that comes and goes.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need redis-server redis-cli nginx curl jq
hc_need_program health token

hc_start_redis
hc_start_program health
hc_start_nginx

USER=$(hc_token user viewer)
ADMIN=$(hc_token admin adm)
OWNER=$(hc_token owner boss)
INST=$(hc_token instance web-1)

problem() {	# problem STATUS DESC: the last answer is STATUS as problem+json
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json '[.type, .title, .status, (.detail | type)] | @tsv' | cut -f1,3,4)" \
		"about:blank	$1	string" "$2: type, status, detail in the body"
	hc_like "$(hc_json .title)" '^[A-Z]' "$2: title"
}
ready_is() {	# ready_is STATUS: for hc_wait_until
	hc_req GET /api/v1/health/ready
	[ "$HC_STATUS" = "$1" ]
}
workers() {	# the health master and its workers, sorted
	local m
	m=$(hc_pid health)
	printf '%s ' "$m" $(pgrep -P "$m" | sort -n)
}

# ------------------------------------------------------------ live
hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "live: 200"
hc_like "$HC_CTYPE" '^application/json' "live: application/json"
hc_is "$HC_BODY" '{"status":"alive"}' "live: body"
hc_req HEAD /api/v1/health/live
hc_is "$HC_STATUS" 200 "live: HEAD 200"

# ------------------------------------------------------------ ready
hc_req GET /api/v1/health/ready
hc_is "$HC_STATUS" 200 "ready: 200"
hc_like "$HC_CTYPE" '^application/json' "ready: application/json"
hc_is "$(hc_json .status)" ready "ready: status ready"
for dep in redis sqlite; do
	hc_is "$(hc_json ".checks.$dep.status")" pass "ready: checks.$dep pass"
	hc_is "$(hc_json ".checks.$dep.latency_ms | type")" number "ready: checks.$dep.latency_ms is a number"
	hc_is "$(hc_json ".checks.$dep | has(\"error\")")" false "ready: checks.$dep has no error"
done

# ------------------------------------------------------------ detailed: auth
hc_req GET /api/v1/health/detailed
problem 401 "detailed without a token"
hc_like "$(hc_header WWW-Authenticate)" '^Bearer' "detailed without a token: WWW-Authenticate: Bearer"
for t in USER ADMIN OWNER; do
	eval "tok=\$$t"
	hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $tok"
	hc_is "$HC_STATUS" 200 "detailed with a $t token: 200"
done
hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $INST"
problem 403 "detailed with an instance token"

# ------------------------------------------------------------ detailed: fields
rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $USER"
hc_like "$HC_CTYPE" '^application/json' "detailed: application/json"
hc_like "$(hc_json .status)" '^(healthy|degraded|unhealthy)$' "detailed: status"
hc_is "$(hc_json .status)" healthy "detailed: healthy with Redis and SQLite up"
hc_is "$(hc_json '.instance.id | type')" string "detailed: instance.id"
hc_is "$(hc_json '.instance.hostname | type')" string "detailed: instance.hostname"
hc_like "$(hc_json .instance.version)" '^[0-9]+\.[0-9]+\.[0-9]+' "detailed: instance.version"
hc_like "$(hc_json .instance.started_at)" "$rfc3339" "detailed: instance.started_at is RFC 3339 UTC"
hc_like "$(hc_json .instance.uptime_seconds)" '^[0-9]+$' "detailed: instance.uptime_seconds"
hc_is "$(hc_json '.instance.digitalocean | [.app_id, .region, .deployment_id, .component] | map(. == null) | all')" \
	true "detailed: digitalocean fields null when DO_* unset"
hc_is "$(hc_json '.instance.digitalocean | keys | join(",")')" app_id,component,deployment_id,region \
	"detailed: digitalocean has app_id, region, deployment_id, component"
hc_is "$(hc_json '.system.cpu_percent | type')" number "detailed: system.cpu_percent"
hc_is "$(hc_json '.system.load_average | map(type) | join(",")')" number,number,number \
	"detailed: system.load_average is 3 numbers"
hc_is "$(hc_json '.system.memory | [.percent, .total_bytes, .available_bytes] | map(type) | join(",")')" \
	number,number,number "detailed: system.memory percent, total_bytes, available_bytes"
hc_is "$(hc_json '.system.memory.total_bytes > 0')" true "detailed: total_bytes > 0"
hc_is "$(hc_json '[.checks.redis.status, .checks.sqlite.status] | join(",")')" pass,pass \
	"detailed: checks redis and sqlite pass"

# DO_* settings show up in .instance.digitalocean.
hc_stop_program health
hc_is "$HC_EXIT" 0 "health exits 0 on SIGTERM"
export DO_APP_ID=app-123 DO_REGION=lon1 DO_DEPLOYMENT_ID=dep-456 DO_COMPONENT_NAME=backend
hc_start_program health
unset DO_APP_ID DO_REGION DO_DEPLOYMENT_ID DO_COMPONENT_NAME
hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "detailed with DO_* set: 200"
hc_is "$(hc_json '.instance.digitalocean | [.app_id, .region, .deployment_id, .component] | join(",")')" \
	app-123,lon1,dep-456,backend "detailed: digitalocean fields from DO_*"

# ------------------------------------------------------------ Redis goes away
before=$(workers)
hc_stop_redis
hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "Redis down: live still 200"
hc_is "$HC_BODY" '{"status":"alive"}' "Redis down: live body"
hc_ok "Redis down: ready turns 503 within 1 s" hc_wait_until 1 ready_is 503
hc_req GET /api/v1/health/ready
hc_is "$HC_STATUS" 503 "Redis down: ready 503"
hc_like "$HC_CTYPE" '^application/json' "Redis down: ready is application/json"
hc_is "$(hc_json .status)" not_ready "Redis down: status not_ready"
hc_is "$(hc_json .checks.redis.status)" fail "Redis down: checks.redis fail"
hc_is "$(hc_json '.checks.redis.error | type')" string "Redis down: checks.redis.error is a string"
hc_like "$(hc_json .checks.redis.error)" '.' "Redis down: checks.redis.error not empty"
hc_is "$(hc_json '.checks.redis.latency_ms | type')" number "Redis down: checks.redis.latency_ms"
hc_is "$(hc_json .checks.sqlite.status)" pass "Redis down: checks.sqlite still pass"
hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "Redis down: detailed still answers 200"
hc_like "$(hc_json .status)" '^(degraded|unhealthy)$' "Redis down: detailed not healthy"

hc_start_redis
hc_ok "Redis back: ready 200 within 2 s" hc_wait_until 2 ready_is 200
hc_is "$(hc_json .checks.redis.status)" pass "Redis back: checks.redis pass"
hc_is "$(workers)" "$before" "no program or worker restarted (same PIDs)"

hc_done

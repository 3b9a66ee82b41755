#!/bin/sh
# redis-restart.sh (drill): Redis stopped and started again under load through nginx.
#
# While Redis is down every heartbeat, list and readiness probe answers 503
# (with Retry-After for the API) at once, never a hang or another 5xx; once it
# is back the same workers reconnect (no restart), heartbeats succeed and
# nothing registered is lost (Redis keeps its data in an append-only file, as
# a production Redis does; the registry itself survives the restart).
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$top_srcdir/tests/drills/drill.sh"

hc_need redis-server redis-cli nginx curl jq python3
hc_need_program health instances monitoring metrics agent token
export HEADCOUNT_TTL=30 HEADCOUNT_PRUNE_AFTER=60 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_REDIS_TIMEOUT_MS=500 HEADCOUNT_INSTANCE_ID=drill-node DESIRED_REPLICAS=21
export HC_WORKERS=3
IDS=20

hb_is() {
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $DRILL_TOKEN" \
		-H 'Content-Type: application/json' --data-binary '{"instance_id":"probe-1"}'
	[ "$HC_STATUS" = "$1" ]
}

# an append-only file, so that a restart keeps the data
hc_start_redis --appendonly yes --appendfsync always
for p in health instances monitoring metrics; do hc_start_program "$p"; done
drill_start_events
hc_start_agent
hc_start_nginx
DRILL_TOKEN=$(hc_token owner drill-load 7200)
hc_ok "ready" hc_wait_until 10 drill_ready_is 200
drill_start_load --ids "$IDS" --prefix rr --grow 0.5 --events "unix:$HC_TMP/redis.sock" \
	--get /api/v1/monitoring/replicas "${DRILL_SSE[@]}"
all_listed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json '[.registered_instances[].instance_id | select(startswith("rr-"))] | length')" = "$IDS" ]
}
hc_ok "all $IDS instances registered under load" hc_wait_until 20 all_listed
declare -A master
for p in health instances monitoring metrics; do master[$p]=$(hc_pid "$p"); done

# ------------------------------------------------------------------ Redis stops
t_stop=$(date +%s.%N)
hc_stop_redis
hc_diag "redis-server stopped at $t_stop"
hc_ok "a heartbeat answers 503 at once while Redis is down" hc_wait_until 5 hb_is 503
hc_like "$(hc_header Retry-After)" '^[0-9]+$' "  with Retry-After"
hc_is "$HC_CTYPE" application/problem+json "  as problem+json"
hc_ok "ready answers 503 while Redis is down" hc_wait_until 5 drill_ready_is 503
# keep it down for 3 s of load (the fault's length, not a wait for a result)
sleep 3
# ------------------------------------------------------------------ and starts again
# an append-only file, so that a restart keeps the data
hc_start_redis --appendonly yes --appendfsync always
t_start=$(date +%s.%N)
hc_ok "ready answers 200 again within 10 s, no program restarted" hc_wait_until 10 drill_ready_is 200
hc_ok "heartbeats succeed again" hc_wait_until 10 hb_is 200
renewed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json "[.registered_instances[] | select(.last_heartbeat >= \"$(date -u -d "@${t_start%.*}" +%Y-%m-%dT%H:%M:%SZ)\")] | length")" -ge "$IDS" ]
}
hc_ok "every instance renewed after the restart" hc_wait_until 15 renewed
drill_stop_load
for p in health instances monitoring metrics; do
	hc_is "$(hc_pid "$p")" "${master[$p]}" "headcount-$p: the same master (no restart)"
done

drill_report "Redis stopped for 3 s and started again"
drill_goal "503"
hc_diag "while down: $(drill_q '[.fail_window | to_entries[] | "\(.key) \(.value[0] - ('"$t_stop"') | . * 10 | round / 10)..\(.value[1] - ('"$t_stop"') | . * 10 | round / 10) s"] | join(", ")') after the stop; restarted at +$(awk -v a="$t_stop" -v b="$t_start" 'BEGIN { printf "%.1f", b - a }') s"
hc_ok "no request failed before the stop" \
	awk -v f="$(drill_q '[.fail_window[][0]] | min // 1e12')" -v s="$t_stop" 'BEGIN { exit !(f >= s - 0.2) }'
hc_ok "every request answered within 2 s (no hang)" \
	test "$(drill_q '[.max_ms[]] | max | floor')" -lt 2000

hc_done

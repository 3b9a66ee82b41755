#!/bin/sh
# redis-hang.sh (drill): Redis hung (SIGSTOP, then SIGCONT) under load through nginx.
#
# A hung Redis accepts connections and answers nothing: every request must
# still be answered within HEADCOUNT_REDIS_TIMEOUT_MS (plus a margin for
# nginx and the client), as a 503 with Retry-After, never a hang; after
# SIGCONT everything succeeds again and nothing registered is lost.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$top_srcdir/tests/drills/drill.sh"

hc_need redis-server redis-cli nginx curl jq python3
hc_need_program health instances monitoring metrics token
TIMEOUT_MS=1000
MARGIN_MS=500	# nginx, the client and a busy 2-core machine
export HEADCOUNT_TTL=30 HEADCOUNT_PRUNE_AFTER=60 HEADCOUNT_REDIS_TIMEOUT_MS=$TIMEOUT_MS
export DESIRED_REPLICAS=20 HC_WORKERS=4
IDS=20

hc_start_redis
for p in health instances monitoring metrics; do hc_start_program "$p"; done
hc_start_nginx
DRILL_TOKEN=$(hc_token owner drill-load 7200)
hc_ok "ready" hc_wait_until 10 drill_ready_is 200
drill_start_load --ids "$IDS" --prefix rh --slow-ms "$((TIMEOUT_MS + MARGIN_MS))" \
	--get /api/v1/monitoring/replicas --timeout 15
all_listed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json '[.registered_instances[].instance_id | select(startswith("rh-"))] | length')" = "$IDS" ]
}
hc_ok "all $IDS instances registered under load" hc_wait_until 20 all_listed

t_stop=$(date +%s.%N)
kill -STOP "$(hc_pid redis)"
hc_diag "redis-server SIGSTOP at $t_stop"
# ready answers from health's last check (every 500 ms, off the request
# path): it turns 503 once a check has waited out the timeout, each
# answer itself immediate.
# (polled with a deadline: how soon is the helper's timeout plus its
# period, measured by the request bound below, not by this poll)
hc_wait_until $(( (TIMEOUT_MS + 500 + MARGIN_MS + 999) / 1000 + 3 )) drill_ready_is 503 || true
hc_is "$HC_STATUS" 503 "ready answers 503 while Redis hangs"
# hung for 4 s of load (the fault's length)
sleep 4
kill -CONT "$(hc_pid redis)"
t_cont=$(date +%s.%N)
hc_ok "ready answers 200 after SIGCONT" hc_wait_until 10 drill_ready_is 200
renewed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json "[.registered_instances[] | select(.last_heartbeat > \"$(date -u -d "@${t_cont%.*}" +%Y-%m-%dT%H:%M:%SZ)\")] | length")" -ge "$IDS" ]
}
hc_ok "every instance renewed after SIGCONT" hc_wait_until 15 renewed
drill_stop_load

drill_report "Redis hung (SIGSTOP) for 4 s, then SIGCONT"
drill_goal "503"
slow=$(drill_q '.slow | length')
hc_is "$slow" 0 "no request took longer than HEADCOUNT_REDIS_TIMEOUT_MS + $MARGIN_MS ms"
if [ "$slow" != 0 ]; then
	hc_diag "slow requests (start, kind, ms): $(drill_q '[.slow[:12][] | "\(.[1]) \(.[2])"] | join(", ")')"
fi
hc_is "$(drill_q '[.counts[]["0"] // 0] | add')" 0 "every request was answered (none timed out at the client)"

hc_done

#!/bin/sh
# sentinel.sh (drill): a Redis Sentinel failover under heartbeat and list load through nginx.
#
# One master, one replica, three redis-sentinel processes; the programs and the
# agent reach Redis through REDIS_URL=redis+sentinel://...  The master is
# killed (SIGKILL): heartbeats and /health/ready answer 503 with Retry-After
# only until the sentinels have chosen the new master, then succeed against it
# with no restart; every instance goes stale during the gap (TTL 2 s) and none
# is pruned or lost; the old master comes back as a replica and no program
# connects to it or writes to it.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$top_srcdir/tests/drills/drill.sh"

hc_need redis-server redis-sentinel redis-cli nginx curl jq python3
hc_need_program health instances agent token

# The gap of a failover (down-after 2 s + an election, ~3.5 s) outlasts the
# TTL: every instance goes stale and the agent's first pass afterwards may
# enter self-preservation.  HEADCOUNT_PRUNE_AFTER stays above the gap: with
# a prune age shorter than the outage, the first pass after it prunes the
# instances whose next heartbeat has not come yet (the others are already
# renewed, so self-preservation does not engage): see README, Sentinel.
export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=10 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_REDIS_TIMEOUT_MS=500 HEADCOUNT_INSTANCE_ID=drill-node
export HC_WORKERS=3
IDS=20

hc_start_sentinel_setup headcount
hc_like "$REDIS_URL" '^redis\+sentinel://127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+/headcount$' \
	"REDIS_URL names three sentinels and the master"
hc_is "$(hc_sentinel_master_node)" a "the sentinels agree: redis-a is the master"
hc_start_program health
hc_start_program instances
drill_start_events
hc_start_agent
hc_start_nginx

hc_ok "ready answers 200 through the sentinels" hc_wait_until 10 drill_ready_is 200

drill_start_load --ids "$IDS" --prefix fo --grow 0.5 --events "sentinel:$HC_SENTINEL_NODES/$HC_SENTINEL_NAME" "${DRILL_SSE[@]}"
all_listed() {	# every load id and the agent's node are listed, none stale
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json '[.registered_instances[] | select(.is_stale == false)] | length')" -ge $((IDS + 1)) ]
}
hc_ok "all $IDS instances and the agent's node registered under load" hc_wait_until 20 all_listed

# ------------------------------------------------------------------ the failover
old=$(hc_sentinel_master_node)
new=b
[ "$old" = a ] || new=a
t_kill=$(date +%s.%N)
kill -KILL "$(hc_pid "redis-$old")"
wait "$(hc_pid "redis-$old")" 2>/dev/null || true
hc__untrack "redis-$old"
hc_diag "killed the master redis-$old at $t_kill"

promoted() { [ "$(hc_sentinel_master_node)" = "$new" ] && [ "$(hc_sentinel_role "$new")" = master ]; }
hc_ok "the sentinels promote redis-$new within 30 s" hc_wait_until 30 promoted
t_new=$(date +%s.%N)
hc_diag "redis-$new is the master at $t_new ($(awk -v a="$t_kill" -v b="$t_new" 'BEGIN { printf "%.1f", b - a }') s after the kill)"
hc_ok "ready answers 200 again, with no program restarted" hc_wait_until 15 drill_ready_is 200
renewed_after() {	# every instance has a heartbeat newer than the promotion
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json "[.registered_instances[] | select(.last_heartbeat >= \"$(date -u -d "@${t_new%.*}" +%Y-%m-%dT%H:%M:%SZ)\")] | length")" -ge $((IDS + 1)) ]
}
hc_ok "every instance renewed against the new master" hc_wait_until 15 renewed_after

# ------------------------------------------------------------------ the old master returns
t_return=$(date +%s.%N)
hc_start_sentinel_node "$old"
as_replica() { [ "$(hc_sentinel_role "$old")" = slave ] && hc__sentinel_synced "$(hc_sentinel_node_port "$old")"; }
hc_ok "the old master redis-$old comes back as a replica of redis-$new" hc_wait_until 40 as_replica
hc_sentinel_cli "$old" config resetstat >/dev/null
# a few more seconds of load with both nodes up: wait for 200 more list answers
lists_before=$(hc_sentinel_cli "$new" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p')
more_load() {
	local now
	now=$(hc_sentinel_cli "$new" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p')
	[ "${now:-0}" -ge $(( ${lists_before:-0} + 200 )) ]
}
hc_ok "the load goes on against redis-$new" hc_wait_until 20 more_load
drill_stop_load

writes_old=$(hc_sentinel_cli "$old" info errorstats | tr -d '\r' | grep -c '^errorstat_READONLY' || true)
hc_is "$writes_old" 0 "no write was tried on the old master once it is a replica (no READONLY refusal)"
# (the sentinels' own connections, the replication link from the master and this redis-cli aside)
clients_old=$(hc_sentinel_cli "$old" client list | tr -d '\r' | grep -v ' name=sentinel-' |
	grep -v ' flags=M ' | grep -vc ' cmd=client|list' || true)
hc_is "$clients_old" 0 "no program holds a connection to the old master"
[ "$clients_old" = 0 ] || hc_diag "$(hc_sentinel_cli "$old" client list | grep -v ' name=sentinel-')"

# ------------------------------------------------------------------ what was lost
drill_report "Sentinel failover (kill -9 of the master under load)"
drill_goal "503"
first_fail=$(drill_q '.fail_window.heartbeat[0] // empty')
if [ -n "$first_fail" ]; then
	late=$(jq --argjson a "$t_new" --argjson b "$t_return" \
		'[.fail_times.heartbeat[]? | select(. > $a + 2 and . < $b)] | length' "$DRILL_OUT")
	after=$(jq --argjson b "$t_return" '[.fail_times.heartbeat[]? | select(. >= $b)] | length' "$DRILL_OUT")
	hc_diag "heartbeats failed from $first_fail (kill $t_kill, promotion seen $t_new, old master back $t_return)"
	hc_diag "heartbeats failed after the old master came back: $after (a 503 for a Redis timeout, e.g. while the new master syncs it on a busy machine)"
	hc_ok "heartbeats failed only after the kill" \
		awk -v f="$first_fail" -v k="$t_kill" 'BEGIN { exit !(f >= k - 0.5) }'
	hc_is "$late" 0 "and only until the new master was chosen (+2 s for the sentinels to tell)"
else
	hc_skip "heartbeats failed only after the kill" "no heartbeat failed"
	hc_skip "and only until the new master was chosen" "no heartbeat failed"
fi
hc_ok "/health/ready answered 503 during the gap" \
	test "$(drill_q '[.ready[] | select(.[1] == 503)] | length')" -ge 1
hc_is "$(drill_q '.ready[-1][1]')" 200 "/health/ready answers 200 after it"
hc_is "$(grep -c ' pruned' "$HC_TMP/agent.log" || true)" 0 "self-preservation: the agent pruned nothing"
hc_is "$(drill_listed | grep -c '^fo-')" "$IDS" "every load instance is still registered"
hc_diag "agent: $(grep -oE 'self-preservation (on|off)[^"]*' "$HC_TMP/agent.log" | head -n 2 | tr '\n' ';')" \
	"agent: $(grep -c 'went stale' "$HC_TMP/agent.log" || true) \"went stale\" lines, $(grep -c ' pruned' "$HC_TMP/agent.log" || true) \"pruned\""

hc_done

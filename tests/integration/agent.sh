#!/bin/sh
# agent.sh: headcount-agent against real Redis and nginx: self-registration, staleness, pruning,
# self-preservation, replica status, SIGTERM deregistration, Redis restart, --check sidecar.
. "$(dirname "$0")/setup.sh"

hc_need jq curl python3
hc_need_program instances agent token

export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=4 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_INSTANCE_ID=node-a DESIRED_REPLICAS=1
hc_start_redis
hc_start_program instances
MONITORING=no
if [ -x "$top_builddir/cgi/headcount-monitoring" ]; then
	hc_start_program monitoring
	MONITORING=yes
fi
hc_start_nginx

OWNER=$(hc_token owner boss)
USER=$(hc_token user viewer)

hc_redis SUBSCRIBE events:instances >"$HC_TMP/events.out" 2>&1 &
hc__track subscriber $!
hc_wait_until 5 sh -c "grep -q subscribe '$HC_TMP/events.out'" || hc_bail "subscriber did not start"

event_seen() {	# event_seen EVENT ID
	grep -F "\"instance_id\":\"$2\"" "$HC_TMP/events.out" | grep -qF "\"event\":\"$1\""
}
event_count() {	# event_count EVENT ID
	grep -F "\"instance_id\":\"$2\"" "$HC_TMP/events.out" | grep -cF "\"event\":\"$1\"" || true
}
list() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
}
field() {	# field ID JQ-PATH: prints .registered_instances[ID]PATH of a fresh list
	list
	hc_json ".registered_instances[] | select(.instance_id == \"$1\") | $2"
}
active() { [ "$(field "$1" .is_stale)" = false ]; }
stale() { [ "$(field "$1" .is_stale)" = true ]; }
absent() { list; [ "$HC_STATUS" = 200 ] && [ -z "$(hc_json ".registered_instances[] | select(.instance_id == \"$1\") | .instance_id")" ]; }
status_is() { [ "$(hc_redis HGET headcount:replicas:status status)" = "$1" ]; }
hb() {	# hb ID: one heartbeat through nginx
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $OWNER" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"instance_id\":\"$1\"}" "$HC_URL/api/v1/instances/heartbeat"
}
beat_loop() {	# beat_loop IDS...: heartbeats them every 0.4 s until killed
	while :; do
		for id in "$@"; do hb "$id"; done
		sleep 0.4
	done
}

# ------------------------------------------------------------ self-registration
hc_start_agent
hc_ok "the agent registers the node within one interval" hc_wait_until 2 active node-a
hc_is "$(field node-a .meta.mode)" node "meta.mode node"
hc_is "$(field node-a .hostname)" "$(hostname)" "hostname is the node's"
hc_ok "registered event" hc_wait_until 3 event_seen registered node-a
hc_ok "status healthy (DESIRED_REPLICAS=1, node-a)" hc_wait_until 3 status_is healthy
hc_is "$(hc_redis HEXISTS headcount:replicas:status mismatch_since)" 0 "no mismatch_since while healthy"
renewed() { t=$(field node-a .last_heartbeat); [ -n "$first" ] && [ "$t" != "$first" ]; }
first=$(field node-a .last_heartbeat)
hc_ok "last_heartbeat advances" hc_wait_until 3 renewed

# ------------------------------------------------------------ mismatch, staleness, pruning
hb web-x
hc_ok "over_replicated with a second instance" hc_wait_until 3 status_is over_replicated
since=$(hc_redis HGET headcount:replicas:status mismatch_since)
hc_like "$since" '^[0-9]{13}$' "mismatch_since set (Redis ms)"
upd=$(hc_redis HGET headcount:replicas:status updated_at)
updated() { [ "$(hc_redis HGET headcount:replicas:status updated_at)" != "$upd" ]; }
hc_wait_until 3 updated || true
if status_is over_replicated; then
	hc_is "$(hc_redis HGET headcount:replicas:status mismatch_since)" "$since" "mismatch_since kept while the mismatch lasts"
else
	hc_skip "mismatch_since kept while the mismatch lasts" "web-x went stale first"
fi
hc_ok "web-x goes stale after TTL" hc_wait_until 5 stale web-x
hc_ok "stale event published" hc_wait_until 3 event_seen stale web-x
hc_ok "healthy again once web-x is stale" hc_wait_until 3 status_is healthy
hc_is "$(hc_redis HEXISTS headcount:replicas:status mismatch_since)" 0 "mismatch_since cleared"
hc_ok "web-x pruned after HEADCOUNT_PRUNE_AFTER" hc_wait_until 6 absent web-x
hc_ok "removed event published" hc_wait_until 3 event_seen removed web-x
hc_is "$(event_count stale web-x)" 1 "stale announced once"
hc_is "$(hc_redis HEXISTS headcount:instance:data web-x)" 0 "its data pruned too"

# ------------------------------------------------------------ self-preservation
beat_loop p0 p1 p2 p3 &
hc__track loopA $!
beat_loop p4 p5 p6 p7 p8 p9 &
hc__track loopB $!
all_active() { list; [ "$(hc_json '[.registered_instances[] | select(.is_stale == false)] | length')" = 11 ]; }
hc_ok "11 active (10 + node-a)" hc_wait_until 5 all_active
preserving() { [ "$(hc_redis EXISTS headcount:self_preservation)" = 1 ]; }
not_preserving() { ! preserving; }
hc_ok "not preserving while all beat" not_preserving
hc_stop loopB	# 6 of 11 stop at once
hc_ok "self-preservation on when 6 of 11 stop at once" hc_wait_until 6 preserving
hc_ok "stale events for the six" hc_wait_until 3 event_seen stale p9
old_enough() { s=$(field p4 .seconds_since_heartbeat); [ -n "$s" ] && [ "$s" -ge $((HEADCOUNT_PRUNE_AFTER + 2)) ]; }
hc_ok "the six outlive HEADCOUNT_PRUNE_AFTER" hc_wait_until 12 old_enough
list
hc_is "$(hc_json '[.registered_instances[] | select(.is_stale)] | map(.instance_id) | join(",")')" \
	"p4,p5,p6,p7,p8,p9" "nothing pruned during self-preservation"
hc_is "$(hc_redis ZCARD headcount:instances)" 11 "all 11 still registered"
if [ "$MONITORING" = yes ]; then
	hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $USER"
	hc_is "$(hc_json .summary.self_preservation)" true "/monitoring/replicas: self_preservation true"
else
	hc_skip "/monitoring/replicas: self_preservation true" "headcount-monitoring not built"
fi

beat_loop p4 p5 p6 p7 p8 p9 &
hc__track loopB $!
hc_ok "self-preservation ends when heartbeats recover" hc_wait_until 5 not_preserving
hc_ok "all active again" hc_wait_until 5 all_active
hc_stop loopB
hc_ok "self-preservation on again" hc_wait_until 6 preserving
if [ "$MONITORING" = yes ]; then
	hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"
	hc_is "$HC_STATUS" 200 "owner refresh -> 200"
	pruned=$(hc_json '.pruned | join(",")')
else
	pruned=$("$top_builddir/cgi/headcount-agent" --config "$HC_TMP/settings.conf" $HC_USER_ARGS --prune 2>>"$HC_TMP/agent.log" | paste -sd, -)
fi
hc_is "$pruned" "p4,p5,p6,p7,p8,p9" "the owner's refresh prunes the six"
hc_is "$(hc_redis EXISTS headcount:self_preservation)" 0 "and ends self-preservation"
hc_is "$(hc_redis ZCARD headcount:instances)" 5 "5 left"
hc_ok "removed events for the six" hc_wait_until 3 event_seen removed p9

# ------------------------------------------------------------ SIGTERM
hc_stop agent
hc_is "$HC_EXIT" 0 "SIGTERM: the agent exits 0"
hc_ok "SIGTERM: deregistered at once" absent node-a
hc_ok "removed event for node-a" hc_wait_until 3 event_seen removed node-a
hc_stop loopA

# ------------------------------------------------------------ Redis restart under the agent
HEADCOUNT_HEARTBEAT_INTERVAL=2 hc_start_agent
hc_ok "registered (interval 2 s)" hc_wait_until 3 active node-a
apid=$(hc_pid agent)
hc_restart_redis
hc_ok "registered again within one heartbeat interval of the Redis restart" hc_wait_until 2.5 active node-a
hc_ok "the same agent process (no restart)" kill -0 "$apid"
list
hc_is "$HC_STATUS" 200 "the instances program answers after the restart (no restart)"
hc_stop agent
hc_is "$HC_EXIT" 0 "agent exits 0"

# ------------------------------------------------------------ --check sidecar
mkdir -p "$HC_TMP/app"
: >"$HC_TMP/app/ok"
APORT=$("$top_builddir/tests/freeport")
python3 -m http.server "$APORT" --bind 127.0.0.1 --directory "$HC_TMP/app" \
	>>"$HC_TMP/app.log" 2>&1 </dev/null &
hc__track app $!
app_up() { curl -sf -o /dev/null "http://127.0.0.1:$APORT/ok"; }
hc_wait_until 10 app_up || hc_bail "python3 http.server did not start"
HEADCOUNT_INSTANCE_ID=app-1 hc_start_agent_as sidecar --check "http://127.0.0.1:$APORT/ok" --check-timeout 500
hc_ok "sidecar registers while the app answers 2xx" hc_wait_until 3 active app-1
hc_is "$(field app-1 .meta.mode)" sidecar "meta.mode sidecar"
rm -f "$HC_TMP/app/ok"
hc_ok "app answers 404: heartbeats stop, app-1 goes stale" hc_wait_until 6 stale app-1
: >"$HC_TMP/app/ok"
hc_ok "app healthy again: app-1 active" hc_wait_until 4 active app-1
hc_stop app
hc_ok "app down: app-1 goes stale" hc_wait_until 6 stale app-1
hc_stop sidecar
hc_is "$HC_EXIT" 0 "sidecar exits 0 on SIGTERM"
hc_ok "sidecar deregistered" absent app-1

hc_done

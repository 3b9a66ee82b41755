#!/bin/sh
# monitoring.sh: /api/v1/monitoring/replicas and refresh through nginx and a real Redis
# (DESIRED_REPLICAS as the source): auth, status transitions, mismatch_since,
# stale instances, self-preservation, and deployments/metrics without DigitalOcean.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl
hc_need_program instances monitoring agent token

export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=4 HEADCOUNT_HEARTBEAT_INTERVAL=1
export DESIRED_REPLICAS=2
hc_start_redis
hc_start_program instances
hc_start_program monitoring
hc_start_nginx

OWNER=$(hc_token owner boss)
ADMIN=$(hc_token admin adm)
USER=$(hc_token user viewer)
INST=$(hc_token instance web-1)
ALL_GOOD='Instance count matches configuration - no action needed'

hb() {	# hb ID...: one heartbeat per id (owner token)
	local id
	for id in "$@"; do
		hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
			-H 'Content-Type: application/json' --data-binary "{\"instance_id\":\"$id\"}"
		[ "$HC_STATUS" = 200 ] || return 1
	done
}
replicas() {	# GET /monitoring/replicas as a user
	hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $USER"
}
problem() {	# problem STATUS DESC
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json .status)" "$1" "$2: status in body"
}
recs() { hc_json '.recommendations | join(" | ")'; }
stale_is() {	# stale_is N: the summary shows N stale instances
	replicas
	[ "$(hc_json .summary.stale_instances)" = "$1" ]
}

# ------------------------------------------------------------ routing and auth
hc_req GET /api/v1/monitoring/replicas
problem 401 "replicas without a token"
hc_like "$(hc_header WWW-Authenticate)" '^Bearer' "replicas: WWW-Authenticate: Bearer"
hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $INST"
problem 403 "replicas with an instance token"
hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer not.a.token"
problem 401 "replicas with a malformed token"
hc_req DELETE /api/v1/monitoring/replicas -H "Authorization: Bearer $OWNER"
problem 405 "DELETE on replicas"
hc_like "$(hc_header Allow)" GET "replicas: Allow names GET"
hc_req GET /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"
problem 405 "GET on refresh"
hc_like "$(hc_header Allow)" POST "refresh: Allow names POST"
hc_req GET /api/v1/monitoring/nope -H "Authorization: Bearer $OWNER"
problem 404 "unknown monitoring path"
hc_req POST /api/v1/monitoring/replicas/refresh
problem 401 "refresh without a token"
for role in USER ADMIN INST; do
	eval "tok=\$$role"
	hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $tok"
	problem 403 "refresh with a $role token"
	hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $tok"
	problem 403 "deployments with a $role token"
	hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $tok"
	problem 403 "metrics with a $role token"
done
hc_req GET /api/v1/monitoring/deployments
problem 401 "deployments without a token"

# ------------------------------------------------------------ without DigitalOcean
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
problem 503 "deployments without DigitalOcean"
hc_like "$(hc_json .detail)" 'DO_API_TOKEN' "deployments 503 names DO_API_TOKEN"
hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $OWNER"
problem 503 "metrics without DigitalOcean"
hc_like "$(hc_json .detail)" 'DO_API_TOKEN and DO_APP_ID' "metrics 503 names both settings"

# ------------------------------------------------------------ status transitions
replicas
hc_is "$HC_STATUS" 200 "replicas as a user: 200"
hc_is "$HC_CTYPE" application/json "replicas: application/json"
hc_is "$(hc_json '.summary | keys_unsorted | join(",")')" \
	"configured_replicas,configured_source,active_instances,stale_instances,status,mismatch_since,self_preservation,checked_at" \
	"summary has exactly the API.md fields"
hc_is "$(hc_json '[.summary.configured_replicas, .summary.configured_source, .summary.active_instances, .summary.status] | join(",")')" \
	"2,env,0,under_replicated" "no instances, DESIRED_REPLICAS=2: under_replicated from env"
hc_like "$(hc_json .summary.checked_at)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "checked_at is RFC 3339 UTC"
SINCE1=$(hc_json .summary.mismatch_since)
hc_like "$SINCE1" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "mismatch_since set"
hc_is "$(hc_json '.instances | length')" 0 "instances: empty array"
hc_like "$(recs)" 'Under-replicated since .*0 of 2 desired instances' "under-replicated recommendation"
hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $ADMIN"
hc_is "$HC_STATUS" 200 "replicas as an admin: 200"
hc_is "$(hc_json .summary.mismatch_since)" "$SINCE1" "mismatch_since stays while the mismatch lasts"
stored=$(hc_redis HGET headcount:replicas:status mismatch_since)
hc_is "$(date -u -d "@$((stored / 1000))" +%Y-%m-%dT%H:%M:%SZ)" "$SINCE1" "mismatch_since comes from the shared state in Redis"

hc_ok "heartbeats web-1 web-2" hb web-1 web-2
replicas
hc_is "$(hc_json '[.summary.active_instances, .summary.status, .summary.mismatch_since] | map(tostring) | join(",")')" \
	"2,healthy,null" "two active: healthy, mismatch_since null"
hc_is "$(hc_json '.recommendations | length')" 1 "healthy: one recommendation"
hc_is "$(hc_json '.recommendations[0]')" "$ALL_GOOD" "healthy: the all-good sentence"
hc_is "$(hc_json '[.instances[].instance_id] | join(",")')" "web-1,web-2" "instances listed, sorted"
hc_is "$(hc_json '.instances[0] | keys_unsorted | join(",")')" \
	"instance_id,hostname,started_at,last_heartbeat,seconds_since_heartbeat,is_stale,meta" \
	"instances: the /health/instances objects"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$(hc_json '[.registered_instances[].instance_id] | join(",")')" "web-1,web-2" "same instances as /health/instances"

hc_ok "heartbeat web-3" hb web-1 web-2 web-3
replicas
hc_is "$(hc_json .summary.status)" over_replicated "three active: over_replicated"
SINCE2=$(hc_json .summary.mismatch_since)
hc_like "$SINCE2" '^[0-9]{4}-' "over: mismatch_since set again"
hc_like "$(recs)" 'Over-replicated since .*3 instances are active but 2 are desired' "over-replicated recommendation"

# ------------------------------------------------------------ stale instances and refresh
# web-3 stops; web-1 and web-2 keep beating until web-3 is stale.
beat_and_stale() { hb web-1 web-2 && stale_is 1; }
hc_ok "web-3 goes stale after HEADCOUNT_TTL" hc_wait_until 10 beat_and_stale
hc_is "$(hc_json '[.summary.active_instances, .summary.status] | map(tostring) | join(",")')" "2,healthy" "stale one not counted as active"
hc_like "$(recs)" 'Prune 1 stale instance .*: web-3 .*POST /api/v1/monitoring/replicas/refresh' "recommendation names the stale instance"
hc_is "$(hc_json '[.instances[] | select(.is_stale) | .instance_id] | join(",")')" web-3 "web-3 listed as stale"
hb web-1 web-2
hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"
hc_is "$HC_STATUS" 200 "refresh as owner: 200"
hc_is "$(hc_json '.pruned | join(",")')" web-3 "refresh pruned web-3"
hc_is "$(hc_json '.summary | [.stale_instances, .active_instances, .status] | map(tostring) | join(",")')" "0,2,healthy" "refresh answers the new summary"
hc_is "$(hc_json 'keys_unsorted | join(",")')" "pruned,summary" "refresh body: pruned and summary"
hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"
hc_is "$(hc_json '.pruned | length')" 0 "second refresh prunes nothing"

# ------------------------------------------------------------ self-preservation
# Ten instances; the agent (this node, one more instance) runs the maintenance pass.
hc_redis DEL headcount:instances headcount:instance:data headcount:instances:stale >/dev/null
export HEADCOUNT_INSTANCE_ID=node-agent
hc_start_agent
IDS="i-00 i-01 i-02 i-03 i-04 i-05 i-06 i-07 i-08 i-09"
hc_ok "ten instances heartbeat" hb $IDS
agent_registered() { replicas; [ "$(hc_json .summary.active_instances)" = 11 ]; }
hc_ok "the agent registered its node" hc_wait_until 10 agent_registered
# i-04..i-09 (6 of 11) stop at once; i-00..i-03 keep beating.
preserving() { hb i-00 i-01 i-02 i-03 && replicas && [ "$(hc_json .summary.self_preservation)" = true ]; }
hc_ok "6 of 11 stop: self-preservation turns on" hc_wait_until 15 preserving
# Past HEADCOUNT_PRUNE_AFTER (4 s) the agent would have pruned them without it.
past_prune() { hb i-00 i-01 i-02 i-03 && replicas && [ "$(hc_json '[.instances[] | select(.is_stale)] | map(.seconds_since_heartbeat) | min')" -gt 6 ]; }
hc_ok "the stale ones grow older than HEADCOUNT_PRUNE_AFTER" hc_wait_until 20 past_prune
hc_is "$(hc_json '[.summary.stale_instances, .summary.self_preservation] | map(tostring) | join(",")')" "6,true" "nothing pruned, self_preservation true"
hc_like "$(recs)" 'Self-preservation is active: 6 of 11 registered instances' "self-preservation recommendation"
hc_like "$(recs)" 'kept by self-preservation: i-04, i-05, i-06, i-07, i-08 and i-09' "stale ones named"
hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"
hc_is "$HC_STATUS" 200 "owner refresh under self-preservation: 200"
hc_is "$(hc_json '.pruned | join(",")')" "i-04,i-05,i-06,i-07,i-08,i-09" "owner refresh prunes the six"
hc_is "$(hc_json '.summary | [.stale_instances, .active_instances, .self_preservation] | map(tostring) | join(",")')" "0,5,false" "self-preservation ends with the refresh"
hc_stop_agent
unset HEADCOUNT_INSTANCE_ID

# ------------------------------------------------------------ no source, Redis down
hc_stop_program monitoring
unset DESIRED_REPLICAS
hc_start_program monitoring
replicas
hc_is "$(hc_json '[.summary.configured_replicas, .summary.configured_source, .summary.status, .summary.mismatch_since] | map(tostring) | join(",")')" \
	"null,none,unknown,null" "nothing configured: none, unknown"
hc_like "$(recs)" '^No desired replica count is configured - set DESIRED_REPLICAS' "nothing configured: says what to set"

hc_stop_redis
replicas
problem 503 "replicas while Redis is down"
hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"
problem 503 "refresh while Redis is down"
hc_start_redis
up_again() { replicas; [ "$HC_STATUS" = 200 ]; }
hc_ok "replicas answer again once Redis is back (no restart)" hc_wait_until 10 up_again

hc_done

#!/bin/sh
# webhooks.sh: webhooks from two agents on one Redis to two local receivers (tests/fakes/fake_webhook.py):
# one mismatch_started per URL after HEADCOUNT_WEBHOOK_AFTER and one mismatch_resolved, payload and
# headers, HMAC signatures, retries under the same delivery id, a pending delivery across kill -9.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl python3
hc_need_program instances agent token
own() {	# own PATH...: hand files made by this (root) shell to the user the programs run as
	[ "$(id -u)" != 0 ] || chown -R "$HC_RUN_UID" "$@"
}

SECRET=webhook-test-secret
export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=600 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_HISTORY_INTERVAL=1 DESIRED_REPLICAS=2
export HEADCOUNT_WEBHOOK_AFTER=2 HEADCOUNT_WEBHOOK_SECRET=$SECRET
hc_start_redis
hc_start_program instances
hc_start_nginx
hc_start_fake webhook --secret "$SECRET"
R1=$HC_FAKE_URL
hc_start_fake webhook --secret "$SECRET"
R2=$HC_FAKE_URL
# Slack-style URLs: the path carries a secret (the logs name only the origin).
export HEADCOUNT_WEBHOOK_URLS="$R1/services/T000/B000/one-secret-path,$R2/hooks/two?x=1"

OWNER=$(hc_token owner boss)

hb() {
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' \
		--data-binary "{\"instance_id\":\"$1\"}" "$HC_URL/api/v1/instances/heartbeat"
}
status_is() { [ "$(hc_redis HGET headcount:replicas:status status)" = "$1" ]; }
received() { curl -fsS --max-time 5 "$1/_received"; }
count() {	# count RECEIVER EVENT [STATUS]: deliveries of EVENT (answered STATUS)
	received "$1" | jq --arg e "$2" --arg s "${3:-}" \
		'[.[] | select(.event == $e and ($s == "" or (.status | tostring) == $s))] | length'
}
has() {	# has RECEIVER EVENT N [STATUS]: at least N deliveries
	[ "$(count "$1" "$2" "${4:-}")" -ge "$3" ]
}

mkdir -p "$HC_TMP/b"
own "$HC_TMP/b"
HEADCOUNT_INSTANCE_ID=node-a hc_start_agent_as agent-a
HEADCOUNT_INSTANCE_ID=node-b HEADCOUNT_DATA_DIR=$HC_TMP/b hc_start_agent_as agent-b
hc_ok "two agents: healthy" hc_wait_until 10 status_is healthy
# A slow start (node b registering more than HEADCOUNT_WEBHOOK_AFTER after node a)
# is a mismatch of its own: let it be announced and resolved, then start counting.
settled() {
	[ "$(redis-cli -s "$HC_TMP/redis.sock" ZCARD headcount:webhook:queue)" = 0 ] &&
	[ "$(count "$R1" mismatch_started)" = "$(count "$R1" mismatch_resolved)" ] &&
	[ "$(count "$R2" mismatch_started)" = "$(count "$R2" mismatch_resolved)" ]
}
hc_ok "nothing left to deliver from the start" hc_wait_until 15 settled
hc_fake_reset "$R1"
hc_fake_reset "$R2"

# ------------------------------------------------------------ one mismatch past HEADCOUNT_WEBHOOK_AFTER
( while :; do hb web-x; sleep 0.4; done ) &
hc_track beat $!
hc_ok "a third instance: over-replicated" hc_wait_until 10 status_is over_replicated
hc_is "$(count "$R1" mismatch_started)" 0 "nothing is sent before HEADCOUNT_WEBHOOK_AFTER"
hc_ok "receiver 1 gets mismatch_started" hc_wait_until 15 has "$R1" mismatch_started 1
hc_ok "receiver 2 gets mismatch_started" hc_wait_until 15 has "$R2" mismatch_started 1
hc_stop beat
hc_ok "web-x goes stale: healthy" hc_wait_until 10 status_is healthy
hc_ok "receiver 1 gets mismatch_resolved" hc_wait_until 15 has "$R1" mismatch_resolved 1
hc_ok "receiver 2 gets mismatch_resolved" hc_wait_until 15 has "$R2" mismatch_resolved 1
for r in "$R1" "$R2"; do
	hc_is "$(count "$r" mismatch_started):$(count "$r" mismatch_resolved)" "1:1" \
		"exactly one mismatch_started and one mismatch_resolved at ${r##*:} (two agents)"
done
D=$(received "$R1" | jq -c '[.[] | select(.event == "mismatch_started")][0]')
hc_is "$(printf '%s' "$D" | jq -r .path)" /services/T000/B000/one-secret-path "posted to the URL's path"
hc_is "$(printf '%s' "$D" | jq -r .content_type)" application/json "Content-Type: application/json"
hc_like "$(printf '%s' "$D" | jq -r .user_agent)" '^headcount/[0-9]' "User-Agent: headcount/<version>"
hc_like "$(printf '%s' "$D" | jq -r .delivery)" '^[0-9a-f]{32}$' "X-Headcount-Delivery"
hc_is "$(printf '%s' "$D" | jq -r .signature_ok)" true "X-Headcount-Signature: the body's HMAC-SHA256"
hc_is "$(printf '%s' "$D" | jq -r '.body | keys | join(",")')" "at,event,recommendations,summary,text" \
	"payload: event, at, summary, recommendations, text"
hc_is "$(printf '%s' "$D" | jq -r .body.event)" mismatch_started "payload event"
hc_like "$(printf '%s' "$D" | jq -r .body.at)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "payload at: RFC 3339"
hc_is "$(printf '%s' "$D" | jq -r '.body.summary | [.status,.configured_replicas,.active_instances] | map(tostring) | join(" ")')" \
	"over_replicated 2 3" "payload summary as in /monitoring/replicas"
hc_like "$(printf '%s' "$D" | jq -r .body.text)" '^headcount: cluster over-replicated for [0-9]+s \(3 of 2 running\) - ' \
	"text: one line for people (Slack)"
hc_ok "recommendations: sentences" test "$(printf '%s' "$D" | jq '.body.recommendations | length')" -ge 1
D2=$(received "$R2" | jq -c '[.[] | select(.event == "mismatch_started")][0]')
hc_ok "delivery ids differ per URL" test "$(printf '%s' "$D" | jq -r .delivery)" != "$(printf '%s' "$D2" | jq -r .delivery)"
hc_is "$(printf '%s' "$D2" | jq -r .body.text)" "$(printf '%s' "$D" | jq -r .body.text)" "the same event to both URLs"
RES=$(received "$R1" | jq -c '[.[] | select(.event == "mismatch_resolved")][0]')
hc_like "$(printf '%s' "$RES" | jq -r .body.text)" '^headcount: cluster back to 2 of 2 running after ' "resolved text"
hc_ok "deliveries are logged with their outcome" grep -q 'mismatch_started: delivery [0-9a-f]* to http://127.0.0.1:[0-9]*: delivered (HTTP 200' \
	"$HC_TMP/agent-a.log" "$HC_TMP/agent-b.log"
hc_ok "the logs never show the URL's secret path" sh -c "! grep -q one-secret-path '$HC_TMP/agent-a.log' '$HC_TMP/agent-b.log'"

# ------------------------------------------------------------ a receiver failing three times
hc_fake_control "$R1" '{"fail_next": 3}'
( while :; do hb web-y; sleep 0.4; done ) &
hc_track beat $!
hc_ok "another mismatch is announced at receiver 2" hc_wait_until 15 has "$R2" mismatch_started 2
hc_ok "receiver 1: three failures, then a success" hc_wait_until 20 has "$R1" mismatch_started 2 200
TRIES=$(received "$R1" | jq -c '[.[] | select(.event == "mismatch_started")] | .[1:]')
hc_is "$(printf '%s' "$TRIES" | jq -c '[.[].status]')" "[500,500,500,200]" "four attempts: 500, 500, 500, 200"
hc_is "$(printf '%s' "$TRIES" | jq -r '[.[].delivery] | unique | length')" 1 "the same delivery id on every retry"
hc_is "$(printf '%s' "$TRIES" | jq -r '[.[].signature_ok] | all')" true "a valid signature on every attempt"
hc_is "$(printf '%s' "$TRIES" | jq -r '[.[].body] | unique | length')" 1 "the same body on every attempt"
hc_is "$(count "$R1" mismatch_started 200)" 2 "the event arrives once more (and once only)"
PAUSES=$(printf '%s' "$TRIES" | jq -c '[range(1; length) as $i | (.[$i].at - .[$i - 1].at) * 10 | round / 10]')
hc_diag "pauses between attempts (s): $PAUSES"
hc_ok "growing pauses between attempts" sh -c "printf '%s' '$PAUSES' | jq -e '.[0] >= 0.8 and .[1] >= .[0] and .[2] > .[0]' >/dev/null"
hc_ok "failed attempts are logged with the retry" grep -q 'HTTP 500 (attempt 1); retrying in 1 s' \
	"$HC_TMP/agent-a.log" "$HC_TMP/agent-b.log"

# ------------------------------------------------------------ kill -9 with a delivery pending
hc_stop agent-b
hc_fake_control "$R1" '{"fail_next": -1}'
hc_stop beat
hc_ok "web-y stale: resolved to receiver 2" hc_wait_until 15 has "$R2" mismatch_resolved 2
hc_ok "receiver 1 refuses the resolution" hc_wait_until 10 has "$R1" mismatch_resolved 1 500
PENDING=$(received "$R1" | jq -r '[.[] | select(.event == "mismatch_resolved" and .status == 500)][0].delivery')
kill -KILL "$(hc_pid agent-a)"
hc_stop agent-a
hc_ok "the delivery is pending in Redis" sh -c "[ \"\$(redis-cli -s '$HC_TMP/redis.sock' ZSCORE headcount:webhook:queue '$PENDING')\" != '' ]"
hc_fake_control "$R1" '{"fail_next": 0}'
HEADCOUNT_INSTANCE_ID=node-a hc_start_agent_as agent-a
delivered() {
	[ "$(received "$R1" | jq --arg d "$PENDING" '[.[] | select(.delivery == $d and .status == 200)] | length')" = 1 ]
}
hc_ok "after the restart it is delivered, same delivery id" hc_wait_until 40 delivered
hc_ok "and it leaves the queue" hc_wait_until 5 sh -c "[ \"\$(redis-cli -s '$HC_TMP/redis.sock' ZSCORE headcount:webhook:queue '$PENDING')\" = '' ]"

# ------------------------------------------------------------ self-preservation
hc_fake_reset "$R1"
hc_fake_reset "$R2"
( while :; do for i in 1 2 3 4; do hb "sp-$i"; done; sleep 0.4; done ) &
hc_track beat $!
hc_ok "four more instances active" hc_wait_until 10 sh -c "[ \"\$(redis-cli -s '$HC_TMP/redis.sock' ZCARD headcount:instances)\" -ge 5 ]"
sleep 1	# one heartbeat round more, so all four are fresh when they stop together
hc_stop beat
hc_ok "four of five stale at once: self_preservation_started" hc_wait_until 15 has "$R1" self_preservation_started 1 200
SP=$(received "$R1" | jq -c '[.[] | select(.event == "self_preservation_started")][0]')
hc_is "$(printf '%s' "$SP" | jq -r .body.summary.self_preservation)" true "its summary says self_preservation"
hc_like "$(printf '%s' "$SP" | jq -r .body.text)" 'self-preservation on' "its text"
( while :; do for i in 1 2 3 4; do hb "sp-$i"; done; sleep 0.4; done ) &
hc_track beat $!
hc_ok "heartbeats back: self_preservation_ended" hc_wait_until 15 has "$R1" self_preservation_ended 1 200
hc_stop beat
hc_is "$(count "$R2" self_preservation_started):$(count "$R2" self_preservation_ended)" "1:1" \
	"receiver 2: one start, one end"

# ------------------------------------------------------------ the desired-count provider
hc_start_fake do --token do-test-token --app-id app-1
DO=$HC_FAKE_URL
hc_fake_control "$DO" '{"mode":"fail"}'
hc_stop agent-a
DO_API_TOKEN=do-test-token DO_APP_ID=app-1 DO_API_URL=$DO HEADCOUNT_INSTANCE_ID=node-a \
	hc_start_agent_as agent-a
hc_ok "DigitalOcean failing: provider_failing" hc_wait_until 15 has "$R1" provider_failing 1 200
PF=$(received "$R1" | jq -c '[.[] | select(.event == "provider_failing")][0]')
hc_like "$(printf '%s' "$PF" | jq -r .body.text)" 'provider DigitalOcean failing .*; using DESIRED_REPLICAS' "its text names the provider and the fallback"
hc_fake_control "$DO" '{"mode":"ok"}'
hc_ok "DigitalOcean answering again: provider_recovered" hc_wait_until 30 has "$R1" provider_recovered 1 200
hc_is "$(count "$R2" provider_failing):$(count "$R2" provider_recovered)" "1:1" "receiver 2: one failing, one recovered"

hc_done

#!/bin/sh
# sigterm.sh (drill): SIGTERM to each program under load through nginx, and to the agent.
#
# A program that gets SIGTERM finishes the requests in hand and exits 0; nginx
# answers 502 only for requests that arrive while it is down; once started
# again it answers; nothing registered is lost.  The agent deregisters its
# node on SIGTERM.  Requests in hand: slow refreshes against a slow
# DigitalOcean fake (2 s) are in the monitoring program when it gets SIGTERM.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$top_srcdir/tests/drills/drill.sh"

hc_need redis-server nginx curl jq python3 pgrep
hc_need_program health instances monitoring metrics agent token
export HEADCOUNT_TTL=30 HEADCOUNT_PRUNE_AFTER=60 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_INSTANCE_ID=drill-node HC_WORKERS=3 HEADCOUNT_PROVIDER_TIMEOUT_MS=5000
PROGRAMS="health instances monitoring metrics"
IDS=20

hc_start_redis
hc_start_fake do
FAKE=$HC_FAKE_URL
export DO_API_TOKEN=do-test-token DO_APP_ID=$(curl -s "$FAKE/_stats" >/dev/null; echo drill-app)
export DO_API_URL=$FAKE DESIRED_REPLICAS=21
for p in $PROGRAMS; do hc_start_program "$p"; done
hc_start_agent
hc_start_nginx
DRILL_TOKEN=$(hc_token owner drill-load 7200)
drill_start_load --ids "$IDS" --prefix st --get /metrics
listed() {	# listed ID: is in the instance list
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	hc_json '.registered_instances[].instance_id' | grep -qx "$1"
}
all_listed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json '[.registered_instances[].instance_id | select(startswith("st-"))] | length')" = "$IDS" ]
}
hc_ok "all $IDS instances registered under load" hc_wait_until 20 all_listed
hc_ok "the agent registered its node" hc_wait_until 10 listed drill-node
probe() {
	case $1 in
	health) hc_req GET /api/v1/health/ready ;;
	instances) hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN" ;;
	monitoring) hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $DRILL_TOKEN" ;;
	metrics) hc_req GET /metrics ;;
	esac
	[ "$HC_STATUS" = 200 ]
}

sigs=""
for p in $PROGRAMS; do
	inhand=0
	if [ "$p" = monitoring ]; then
		# two slow refreshes in hand: the fake holds each for 2 s
		hc_fake_control "$FAKE" '{"mode":"slow","slow_seconds":2}'
		seen=$(hc_fake_requests "$FAKE")
		curls=""
		for i in 1 2; do
			curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 -X POST \
				-H "Authorization: Bearer $DRILL_TOKEN" \
				"$HC_URL/api/v1/monitoring/replicas/refresh" >"$HC_TMP/inhand-$i" 2>&1 &
			curls="$curls $!"
		done
		inhand() { [ "$(hc_fake_requests "$FAKE")" -ge $((seen + 2)) ]; }
		hc_ok "two refreshes are in hand (the fake holds them)" hc_wait_until 10 inhand
		inhand=1
	fi
	t=$(date +%s.%N)
	sigs="$sigs $p:$t"
	t0=$(date +%s%N)
	hc_stop "$p"	# SIGTERM, then waits for the exit
	hc_is "$HC_EXIT" 0 "headcount-$p: SIGTERM under load, exit 0 after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	if [ "$inhand" = 1 ]; then
		for c in $curls; do wait "$c" || true; done
		hc_is "$(cat "$HC_TMP/inhand-1") $(cat "$HC_TMP/inhand-2")" "200 200" \
			"headcount-$p: the requests in hand finished (200) before it exited"
		hc_fake_control "$FAKE" '{"mode":"ok"}'
	fi
	hc_start_program "$p"
	hc_ok "headcount-$p: started again, it answers" hc_wait_until 10 probe "$p"
done

# the events program (one event loop, no workers): SIGTERM closes its open streams and exits 0
if [ -x "$top_builddir/cgi/headcount-events" ]; then
	hc_start_program events
	ev_open() {
		hc_req GET "/api/v1/realtime/events?channels=events:instances" \
			-H "Authorization: Bearer $DRILL_TOKEN" --max-time 1
		grep -q '^HTTP/1.1 200' "$HC_TMP/.headers"
	}
	hc_ok "headcount-events: a stream opens through nginx" hc_wait_until 10 ev_open
	curl -s -N --max-time 30 -H "Authorization: Bearer $DRILL_TOKEN" \
		"$HC_URL/api/v1/realtime/events?channels=events:instances" >"$HC_TMP/sse.out" 2>&1 &
	sse=$!
	streaming() { [ -s "$HC_TMP/sse.out" ]; }
	hc_ok "headcount-events: a stream in hand" hc_wait_until 10 streaming
	t0=$(date +%s%N)
	hc_stop events
	hc_is "$HC_EXIT" 0 "headcount-events: SIGTERM with a stream open, exit 0 after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	rc=0
	wait "$sse" || rc=$?
	hc_is "$rc" 0 "headcount-events: the open stream was closed cleanly (curl exit 0, not a timeout)"
fi

# the agent: SIGTERM deregisters its node
hc_stop agent
hc_is "$HC_EXIT" 0 "headcount-agent: SIGTERM, exit 0"
gone() { ! listed drill-node && [ "$HC_STATUS" = 200 ]; }
hc_ok "headcount-agent: its node drill-node is deregistered" hc_wait_until 5 gone
drill_stop_load

drill_report "SIGTERM to each program ($PROGRAMS$([ -x "$top_builddir/cgi/headcount-events" ] && echo " events")) and the agent, under load"
drill_goal "502"
# a 502 for a request sent well before the SIGTERM means a request in hand was dropped
kindprog='{"heartbeat":"instances","list":"instances","ready":"health","/metrics":"metrics"}'
dropped=0
for e in $sigs; do
	p=${e%%:*} t=${e#*:}
	n=$(jq -r --argjson m "$kindprog" --arg p "$p" --argjson t "$t" \
		'[.failures[] | select(.[2] == 502 and $m[.[1]] == $p and .[0] < $t - 0.05)] | length' "$DRILL_OUT")
	dropped=$((dropped + n))
done
hc_is "$dropped" 0 "no 502 for a request sent before its program got SIGTERM (requests in hand finish)"

hc_done

#!/bin/sh
# worker-kill.sh (drill): kill -9 of one worker of each program under load through nginx.
#
# The master replaces the worker; the requests after it succeed; the only
# failures are nginx's 502 for a request the dead worker had in hand; the
# counters in /metrics keep what the dead worker had counted (they live in
# shared memory, not in the worker).
. "$(dirname "$0")/../integration/setup.sh"
. "$top_srcdir/tests/drills/drill.sh"

hc_need redis-server nginx curl jq python3 pgrep
hc_need_program health instances monitoring metrics token
export HEADCOUNT_TTL=30 HEADCOUNT_PRUNE_AFTER=60 DESIRED_REPLICAS=20 HC_WORKERS=3
PROGRAMS="health instances monitoring metrics"
[ -x "$top_builddir/cgi/headcount-flags" ] && PROGRAMS="$PROGRAMS flags"
IDS=20

counter() {	# counter PROGRAM: its http_requests_total summed over every label set
	curl -s --max-time 5 "$HC_URL/metrics" |
		awk -v p="program=\"$1\"" 'index($0, "http_requests_total{") && index($0, p) { s += $NF } END { printf "%d\n", s }'
}
heartbeats() {
	curl -s --max-time 5 "$HC_URL/metrics" | awk 'index($1, "headcount_heartbeats_total") == 1 { s += $NF } END { printf "%d\n", s }'
}
probe() {	# probe PROGRAM: one request it answers, 200
	case $1 in
	health) hc_req GET /api/v1/health/ready ;;
	instances) hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN" ;;
	monitoring) hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $DRILL_TOKEN" ;;
	metrics) hc_req GET /metrics ;;
	flags) hc_req GET /api/v1/flags -H "Authorization: Bearer $DRILL_TOKEN" ;;
	esac
	[ "$HC_STATUS" = 200 ]
}

hc_start_redis
for p in $PROGRAMS; do hc_start_program "$p"; done
hc_start_nginx
DRILL_TOKEN=$(hc_token owner drill-load 7200)
extra=()
[ -x "$top_builddir/cgi/headcount-flags" ] && extra=(--get /api/v1/flags)
drill_start_load --ids "$IDS" --prefix wk --get /api/v1/monitoring/replicas --get /metrics "${extra[@]}"
all_listed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	[ "$(hc_json '[.registered_instances[].instance_id | select(startswith("wk-"))] | length')" = "$IDS" ]
}
hc_ok "all $IDS instances registered under load" hc_wait_until 20 all_listed
declare -A before
for p in $PROGRAMS; do before[$p]=$(counter "$p"); done
hb_before=$(heartbeats)

for p in $PROGRAMS; do
	master=$(hc_pid "$p")
	victim=$(drill_workers "$master" | awk '{ print $1 }')
	n=$(drill_workers "$master" | wc -w)
	kill -KILL "$victim"
	replaced() {
		local now
		now=$(drill_workers "$master")
		[ "$(printf '%s' "$now" | wc -w)" = "$n" ] && ! printf ' %s ' "$now" | grep -q " $victim "
	}
	hc_ok "headcount-$p: worker $victim killed (-9) and replaced" hc_wait_until 10 replaced
	hc_ok "headcount-$p: the requests after it succeed" hc_wait_until 5 probe "$p"
	hc_ok "headcount-$p: /metrics kept what was counted (${before[$p]} before, $(counter "$p") after)" \
		test "$(counter "$p")" -ge "${before[$p]}"
done
hc_ok "headcount_heartbeats_total kept its count ($hb_before before, $(heartbeats) after)" \
	test "$(heartbeats)" -ge "$hb_before"
# load after the last kill: 100 more heartbeats counted
hb_kill=$(heartbeats)
more() { [ "$(heartbeats)" -ge $((hb_kill + 100)) ]; }
hc_ok "the load goes on after the kills" hc_wait_until 15 more
drill_stop_load

drill_report "kill -9 of one worker of each program ($PROGRAMS)"
drill_goal "502"
n502=$(drill_q '[.counts[]["502"] // 0] | add')
hc_ok "at most one 502 per killed worker's requests in hand ($n502 for $(printf '%s' "$PROGRAMS" | wc -w) kills)" \
	test "$n502" -le $(( $(printf '%s' "$PROGRAMS" | wc -w) * 2 ))
hc_is "$(grep -chE 'killed by signal 9|signal 9' "$HC_TMP"/{health,instances,monitoring,metrics}.log | awk '{ s += $1 } END { print (s > 0) }')" 1 \
	"the masters logged the dead workers"

hc_done

#!/bin/sh
# history.sh: GET /api/v1/monitoring/history through nginx (every rule of API.md), headcount-history,
# the index plans, and two agents on one Redis: same report from both files, no gap after a stop,
# a running mismatch (end null), retention.
. "$(dirname "$0")/setup.sh"

hc_need jq curl
hc_need_program instances monitoring agent token history
FILL=$top_builddir/tests/bench/history-fill
HIST=$top_builddir/cgi/headcount-history
[ -x "$FILL" ] || hc_bail "tests/bench/history-fill is not built"
own() {	# own PATH...: hand files made by this (root) shell to the user the programs run as
	[ "$(id -u)" != 0 ] || chown -R "$HC_RUN_UID" "$@"
}

export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=600 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_HISTORY_INTERVAL=1 DESIRED_REPLICAS=2
hc_start_redis
hc_start_program instances
hc_start_program monitoring
hc_start_nginx

OWNER=$(hc_token owner boss)
USER=$(hc_token user viewer)
INST=$(hc_token instance web-1)

report() {	# report QUERY [TOKEN]: GET the report as a user
	hc_req GET "/api/v1/monitoring/history${1:+?$1}" -H "Authorization: Bearer ${2:-$USER}"
}
problem() {	# problem STATUS DESC
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json .status)" "$1" "$2: status in body"
}
bad() {	# bad QUERY DETAIL-REGEX DESC: a 400 naming the rule
	report "$1"
	problem 400 "$3"
	hc_like "$(hc_json .detail)" "$2" "$3: the detail names the rule"
}

# ------------------------------------------------------------ before any history exists
report ""
hc_is "$HC_STATUS:$(hc_json '.points | length'):$(hc_json '.mismatch_periods | length')" "200:0:0" \
	"no history file on this node yet: an empty report"
report "format=csv"
hc_is "$HC_STATUS:$HC_BODY" "200:t,samples,desired,active_min,active_max,active_avg,stale_max" \
	"no history file yet: a CSV of the header alone"

# 600 per-minute samples up to 2026-11-22T06:00:00Z; 04:00-04:20 under-replicated.
END=$(date -u -d 2026-11-22T06:00:00Z +%s)
hc_ok "loader fills 600 samples" "$FILL" "$HC_TMP/data" 600 "$END"
own "$HC_TMP/data"

# ------------------------------------------------------------ routing and auth
report "" none
problem 401 "history with a bad token"
hc_req GET /api/v1/monitoring/history
problem 401 "history without a token"
report "" "$INST"
problem 403 "history with an instance token"
hc_req POST /api/v1/monitoring/history -H "Authorization: Bearer $OWNER"
problem 405 "POST on history"
hc_like "$(hc_header Allow)" GET "history: Allow names GET"

# ------------------------------------------------------------ defaults
report ""
hc_is "$HC_STATUS" 200 "default report: 200"
hc_like "$HC_CTYPE" '^application/json' "default report: JSON"
hc_is "$(hc_json .step)" 300 "default step 300"
F=$(date -u -d "$(hc_json .from)" +%s 2>/dev/null || echo 0)
T=$(date -u -d "$(hc_json .to)" +%s 2>/dev/null || echo 0)
NOW=$(date +%s)
hc_ok "default range: the last 24 h, aligned to 300 s" test $((T - F)) -ge 86400 -a $((T - F)) -le 86700 \
	-a $((F % 300)) = 0 -a $((T % 300)) = 0 -a "$T" -ge "$NOW" -a $((T - NOW)) -lt 600
hc_is "$(hc_json '.points | length')" 0 "no samples in the last 24 h: no points"
hc_is "$(hc_json '.mismatch_periods | length')" 0 "and no periods"

# ------------------------------------------------------------ hourly buckets of the loaded day
report "from=2026-11-22T00:00:00Z&to=2026-11-22T06:00:00Z&step=3600"
hc_is "$HC_STATUS" 200 "hourly report: 200"
hc_is "$(hc_json '[.from,.to,.step] | join(" ")')" "2026-11-22T00:00:00Z 2026-11-22T06:00:00Z 3600" \
	"hourly report: from, to, step echoed"
hc_is "$(hc_json '.points | length')" 6 "six hourly points (the 06:00 sample is past to)"
hc_is "$(hc_json '.points[0] | [.t,.samples,.desired,.active_min,.active_max,.active_avg,.stale_max] | map(tostring) | join(" ")')" \
	"2026-11-22T00:00:00Z 60 3 3 3 3 0" "a healthy hour"
hc_is "$(hc_json '.points[4] | [.t,.samples,.desired,.active_min,.active_max,.active_avg,.stale_max] | map(tostring) | join(" ")')" \
	"2026-11-22T04:00:00Z 60 3 2 3 2.67 1" "the hour with the mismatch"
hc_is "$(hc_json '.mismatch_periods | length')" 1 "one mismatch period"
hc_is "$(hc_json '.mismatch_periods[0] | [.start,.end,.duration_seconds,.desired,.active_min] | map(tostring) | join(" ")')" \
	"2026-11-22T03:59:55Z 2026-11-22T04:20:00Z 1205 3 2" "the period: start, end, duration, desired, active_min"
HOURLY=$HC_BODY

# The same buckets from the samples (step 1800 is no rollup) agree.
report "from=2026-11-22T00:00:00Z&to=2026-11-22T06:00:00Z&step=1800"
hc_is "$(hc_json '[.points[] | .samples] | add')" 360 "half-hour buckets hold the same 360 samples"
hc_is "$(hc_json '.points[8].active_avg')" 2.33 "04:00-04:30 from the raw samples: (10*3+20*2)/30"

# ------------------------------------------------------------ alignment, offsets, omitted buckets
report "from=2026-11-22T00:10:00Z&to=2026-11-22T05:50:00Z&step=3600"
hc_is "$(hc_json '[.from,.to] | join(" ")')" "2026-11-22T00:00:00Z 2026-11-22T06:00:00Z" \
	"from and to are echoed aligned to the step"
report "from=2026-11-22T01:00:00%2B01:00&to=2026-11-22T08:00:00%2B02:00&step=3600"
hc_is "$HC_BODY" "$HOURLY" "an offset time is the same instant"
report "from=2026-11-21T18:00:00Z&to=2026-11-22T09:00:00Z&step=3600"
hc_is "$(hc_json '[.points[].t] | join(" ")' | wc -w)" 11 \
	"buckets without samples are omitted (20:00 to 06:00: 11 of 15)"
hc_is "$(hc_json '.points[0].t')" "2026-11-21T20:00:00Z" "the first bucket with samples"
hc_is "$(hc_json '.points[0].samples')" 59 "the first hour is partial (20:01 on)"
report "from=2026-11-22T04:00:00Z&to=2026-11-22T04:10:00Z&step=60"
hc_is "$(hc_json '.points | length')" 10 "a per-minute report: 10 points"
hc_is "$(hc_json '.mismatch_periods[0].start')" "2026-11-22T03:59:55Z" \
	"a period that began before the range is listed with its real start"
report "from=2026-11-22T00:00:00Z&to=2026-11-22T01:00:00Z&step=60"
hc_is "$(hc_json '.mismatch_periods | length')" 0 "a range without a mismatch has no periods"
report "from=2026-11-22T04:00:00Z&to=2026-11-22T04:00:00Z"
hc_is "$HC_STATUS:$(hc_json '.points | length')" "200:0" "from equal to to: an empty report"

# ------------------------------------------------------------ the 10,000 points limit
report "from=2026-11-22T00:00:00Z&to=2026-11-28T22:40:00Z&step=60"
hc_is "$HC_STATUS" 200 "exactly 10,000 points is allowed"
bad "from=2026-11-22T00:00:00Z&to=2026-11-28T22:41:00Z&step=60" '10001 points' "10,001 points"
bad "from=2026-01-01T00:00:00Z&to=2026-11-22T00:00:00Z&step=1" 'points' "a year at step 1"
bad "step=1" 'points' "the default day at step 1 is 86,400 points"

# ------------------------------------------------------------ every 400 rule
for s in 0 -1 abc 1.5 '' 1e3 99999999999999999999 '%205' '5%20' 0x10; do
	bad "step=$s" '"step" must be an integer in \[1, ' "step=$s"
done
for f in xml JSON '' csv%20; do
	bad "format=$f" '"format" must be one of json\|csv' "format=$f"
done
for t in yesterday 2026-13-40T99:99:99Z 2026-11-22 '' 1795341600 2026-11-22T10:00:00; do
	bad "from=$t" '"from" must be an RFC 3339 time' "from=$t"
	bad "to=$t" '"to" must be an RFC 3339 time' "to=$t"
done
bad "from=2026-11-22T06:00:00Z&to=2026-11-22T05:00:00Z" 'from is after to' "from after to"
bad "from=9999-12-31T23:59:59Z" 'from is after to' "from in the future (to defaults to now)"
bad "step=300&step=300" 'takes one value' "step given twice"
bad "format=json&format=csv" 'takes one value' "format given twice"
bad "from=2026-11-22T00:00:00Z&from=2026-11-22T01:00:00Z" 'takes one value' "from given twice"
bad "limit=5" '"limit" is not accepted' "an undeclared key"
bad "step=%zz" 'query' "a malformed query string"

# ------------------------------------------------------------ CSV
report "from=2026-11-22T00:00:00Z&to=2026-11-22T06:00:00Z&step=3600&format=csv"
hc_is "$HC_STATUS" 200 "CSV report: 200"
hc_like "$HC_CTYPE" '^text/csv' "CSV report: text/csv"
hc_is "$(printf '%s\n' "$HC_BODY" | head -n 1)" "t,samples,desired,active_min,active_max,active_avg,stale_max" \
	"CSV header"
hc_is "$(printf '%s\n' "$HC_BODY" | sed -n 6p)" "2026-11-22T04:00:00Z,60,3,2,3,2.67,1" "a CSV row"
CSV_ROWS=$(printf '%s\n' "$HC_BODY" | tail -n +2 | jq -R -s -c 'split("\n") | map(select(length > 0) | split(",") | [.[0]] + (.[1:] | map(tonumber)))')
JSON_ROWS=$(printf '%s' "$HOURLY" | jq -c '[.points[] | [.t,.samples,.desired,.active_min,.active_max,.active_avg,.stale_max]]')
hc_is "$CSV_ROWS" "$JSON_ROWS" "one CSV row per JSON point, the same values"
report "from=2026-11-21T20:00:00Z&to=2026-11-22T06:01:00Z&step=60&format=csv"
hc_is "$(printf '%s\n' "$HC_BODY" | tail -n +2 | wc -l)" 600 "a per-minute CSV: 600 rows"

# ------------------------------------------------------------ headcount-history and the plans
OUT=$("$HIST" --config "$HC_TMP/settings.conf" --from 2026-11-22T00:00:00Z --to 2026-11-22T06:00:00Z --step 3600)
hc_is "$(printf '%s' "$OUT" | jq -S -c .)" "$(printf '%s' "$HOURLY" | jq -S -c .)" \
	"headcount-history prints the same report as the API"
OUT=$("$HIST" --config "$HC_TMP/settings.conf" --from 2026-11-22T00:00:00Z --to 2026-11-22T06:00:00Z --step 3600 --format csv)
report "from=2026-11-22T00:00:00Z&to=2026-11-22T06:00:00Z&step=3600&format=csv"
hc_is "$OUT" "$HC_BODY" "headcount-history --format csv: the same CSV"
rc=0; "$HIST" --config "$HC_TMP/settings.conf" --step 0 >/dev/null 2>"$HC_TMP/hist.err" || rc=$?
hc_is "$rc" 2 "headcount-history --step 0: exit 2"
hc_like "$(cat "$HC_TMP/hist.err")" 'step' "and says why"
rc=0; OUT=$("$HIST" --data-dir "$HC_TMP/nowhere" 2>"$HC_TMP/hist.err") || rc=$?
hc_is "$rc:$(printf '%s' "$OUT" | jq -c .points)" "0:[]" "headcount-history without a file: an empty report"
hc_like "$(cat "$HC_TMP/hist.err")" 'no samples' "and says why on stderr"
mkdir -p "$HC_TMP/junk" && head -c 4096 /dev/urandom >"$HC_TMP/junk/history.db"
rc=0; "$HIST" --data-dir "$HC_TMP/junk" >/dev/null 2>&1 || rc=$?
hc_is "$rc" 1 "headcount-history on a damaged file: exit 1"
for q in "--step 60 --from 2026-11-21T06:00:00Z --to 2026-11-22T06:00:00Z" \
	"--step 3600 --from 2025-11-22T00:00:00Z --to 2026-11-22T00:00:00Z" \
	"--step 86400 --from 2025-11-22T00:00:00Z --to 2026-11-22T00:00:00Z"; do
	# shellcheck disable=SC2086
	PLAN=$("$HIST" --data-dir "$HC_TMP/data" --explain $q)
	hc_like "$PLAN" 'plan: SEARCH' "plans for $q: an index range"
	hc_ok "plans for $q: no table scan" sh -c "! printf '%s' '$PLAN' | grep -q 'plan: SCAN'"
done

# ------------------------------------------------------------ two agents on one Redis
mkdir -p "$HC_TMP/b"
own "$HC_TMP/b"
T_START=$(date +%s)
HEADCOUNT_INSTANCE_ID=node-a hc_start_agent_as agent-a
HEADCOUNT_INSTANCE_ID=node-b HEADCOUNT_DATA_DIR=$HC_TMP/b hc_start_agent_as agent-b

hb() {	# hb ID: one heartbeat through nginx
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' \
		--data-binary "{\"instance_id\":\"$1\"}" "$HC_URL/api/v1/instances/heartbeat"
}
status_is() { [ "$(hc_redis HGET headcount:replicas:status status)" = "$1" ]; }
hc_ok "both agents registered: healthy (2 of 2)" hc_wait_until 10 status_is healthy

# A third instance for a few seconds: over-replicated, then healthy again when it goes stale.
( while :; do hb web-x; sleep 0.4; done ) &
hc_track beat $!
hc_ok "a third instance: over-replicated" hc_wait_until 10 status_is over_replicated
sleep 3	# a mismatch several intervals long (what is measured, not a wait for state)
hc_stop beat
hc_ok "web-x goes stale: healthy again" hc_wait_until 10 status_is healthy

# Node b stops for several intervals (node-b deregisters: under-replicated meanwhile).
hc_stop agent-b
B_DOWN=$(date +%s)
hc_ok "node b stopped: under-replicated" hc_wait_until 10 status_is under_replicated
hc_ok "node a samples on meanwhile" hc_wait_until 10 sh -c "[ \$(date +%s) -ge $((B_DOWN + 5)) ]"
B_UP=$(date +%s)
HEADCOUNT_INSTANCE_ID=node-b HEADCOUNT_DATA_DIR=$HC_TMP/b hc_start_agent_as agent-b
hc_ok "node b back: healthy" hc_wait_until 10 status_is healthy
sleep 2
T_END=$(date +%s)
Q="--from $(date -u -d @"$T_START" +%FT%TZ) --to $(date -u -d @"$T_END" +%FT%TZ) --step 1"
same_reports() {
	# shellcheck disable=SC2086
	A=$("$HIST" --data-dir "$HC_TMP/data" $Q) && B=$("$HIST" --data-dir "$HC_TMP/b" $Q) && [ "$A" = "$B" ]
}
hc_ok "both files give the same report" hc_wait_until 10 same_reports
hc_diag "report over the run: $(printf '%s' "$A" | jq -c '{points: (.points | length), periods: .mismatch_periods}')"
hc_ok "the run has samples" test "$(printf '%s' "$A" | jq '.points | length')" -ge $((T_END - T_START - 3))
hc_like "$(printf '%s' "$A" | jq -c '[.mismatch_periods[] | .end != null]')" '^\[true,true' \
	"the over- and under-replicated periods are in both, ended"
GAP=$(printf '%s' "$B" | jq --argjson a "$B_DOWN" --argjson b "$B_UP" \
	'[.points[] | (.t | fromdateiso8601) | select(. > $a and . < $b)] | length')
hc_ok "node b has the intervals it was down for ($GAP of $((B_UP - B_DOWN - 1)))" \
	test "$GAP" -ge $((B_UP - B_DOWN - 2))
STEPS=$(printf '%s' "$B" | jq '[.points[].t | fromdateiso8601] | [range(1; length) as $i | .[$i] - .[$i - 1]] | max')
hc_ok "no gap in node b's file (largest step between samples: ${STEPS}s)" test "$STEPS" -le 2

# ------------------------------------------------------------ a running mismatch: end null
( while :; do hb web-y; sleep 0.4; done ) &
hc_track beat $!
hc_ok "another instance: over-replicated" hc_wait_until 10 status_is over_replicated
running() {
	report "from=$(date -u -d @"$T_START" +%FT%TZ)&step=1"
	[ "$(hc_json '.mismatch_periods[-1].end')" = null ]
}
hc_ok "the running mismatch has end null (through nginx)" hc_wait_until 10 running
hc_ok "and a duration so far" test "$(hc_json '.mismatch_periods[-1].duration_seconds')" -ge 0
hc_stop beat

# ------------------------------------------------------------ retention
hc_stop agent-a
HEADCOUNT_INSTANCE_ID=node-a HEADCOUNT_HISTORY_RETENTION_DAYS=5 hc_start_agent_as agent-a
hc_ok "retention drops the samples older than 5 days" hc_wait_until 10 \
	grep -q 'dropped 600 sample' "$HC_TMP/agent-a.log"
report "from=2026-11-21T00:00:00Z&to=2026-11-23T00:00:00Z&step=3600"
hc_is "$(hc_json '.points | length'):$(hc_json '.mismatch_periods | length')" "0:0" \
	"the old day is gone from the report"
report "from=$(date -u -d @"$T_START" +%FT%TZ)&step=1"
hc_ok "the recent samples stay" test "$(hc_json '.points | length')" -ge 5

hc_done

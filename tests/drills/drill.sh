# drill.sh: what the fault drills share (sourced after tests/integration/setup.sh):
# load through the web server (load.py), the report of what was lost, the goal.
#
#   drill_start_load [LOAD.PY ARGS...]   start load.py in the background; returns once it runs
#   drill_stop_load                      stop it; $DRILL_OUT holds its JSON summary
#   drill_report TITLE                   print what was lost (TAP comments), set DRILL_* counts
#   drill_goal ALLOWED                   assert the goal; ALLOWED: space-separated statuses
#                                        accepted as documented failures (e.g. "503 502")
#   drill_ready_is STATUS                /api/v1/health/ready answers STATUS (hc_wait_until)
#   drill_start_events                   headcount-events if built; DRILL_SSE: load.py's --sse
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.

DRILL_OUT=$HC_TMP/load.json
DRILL_STOP=$HC_TMP/load.stop
DRILL_TOKEN=""

# drill_ready_is STATUS: /api/v1/health/ready answers STATUS (for hc_wait_until)
drill_ready_is() {
	hc_req GET /api/v1/health/ready
	[ "$HC_STATUS" = "$1" ]
}

# drill_start_events: headcount-events when it is built; DRILL_SSE holds the
# load generator's options for one SSE stream of events:instances through nginx
# (empty without the program).  Call before hc_start_nginx.
DRILL_SSE=()
drill_start_events() {
	if [ -x "$top_builddir/cgi/headcount-events" ]; then
		hc_start_program events
		DRILL_SSE=(--sse "/api/v1/realtime/events?channels=events:instances")
	fi
}

drill_start_load() {
	local pid
	hc_need python3 jq
	[ -n "$DRILL_TOKEN" ] || DRILL_TOKEN=$(hc_token owner drill-load 7200)
	rm -f "$DRILL_STOP" "$DRILL_OUT" "$HC_TMP/load.started"
	python3 "$top_srcdir/tests/drills/load.py" --port "$HC_PORT" --token "$DRILL_TOKEN" \
		--stop-file "$DRILL_STOP" --started-file "$HC_TMP/load.started" \
		--out "$DRILL_OUT" "$@" </dev/null >>"$HC_TMP/load.log" 2>&1 &
	pid=$!
	hc_track load "$pid"
	hc_wait_until 20 test -f "$HC_TMP/load.started" || hc_bail "load.py did not start"
}

drill_stop_load() {
	local pid
	pid=$(hc_pid load) || return 0
	touch "$DRILL_STOP"
	hc_wait_until 30 test -f "$DRILL_OUT" || hc_diag "load.py wrote no summary"
	wait "$pid" 2>/dev/null || true
	hc__untrack load
}

# drill_q FILTER: jq over the load summary.
drill_q() {
	jq -r "$1" "$DRILL_OUT" 2>/dev/null
}

# drill_listed: the ids the instance list shows now, one a line (sorted).
drill_listed() {
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $DRILL_TOKEN"
	hc_json '.registered_instances[].instance_id' | LC_ALL=C sort
}

drill_report() {
	local title=$1 listed
	DRILL_TOTAL=$(drill_q '[.counts[][]] | add // 0')
	DRILL_FAILED=$(drill_q '.nfail')
	listed=$(drill_listed)
	DRILL_LISTED_STATUS=$HC_STATUS
	DRILL_LOST_IDS=$(LC_ALL=C comm -23 <(drill_q '.ok_ids[]' | LC_ALL=C sort) <(printf '%s\n' "$listed"))
	DRILL_LOST_REG=$(printf '%s' "$DRILL_LOST_IDS" | grep -c . || true)
	DRILL_OK_IDS=$(drill_q '.ok_ids | length')
	if [ "$(drill_q .events_on)" = true ]; then
		DRILL_LOST_EVENTS=$(LC_ALL=C comm -23 <(drill_q '.registered[]' | LC_ALL=C sort) \
			<(drill_q '.events[]' | LC_ALL=C sort) | grep -c . || true)
		events="$DRILL_LOST_EVENTS of $(drill_q '.registered | length') \"registered\" events"
	else
		DRILL_LOST_EVENTS=0
		events="not counted"
	fi
	{
		printf '=== drill: %s\n' "$title"
		printf 'requests: %s, failed: %s\n' "$DRILL_TOTAL" "$DRILL_FAILED"
		drill_q '.counts | to_entries[] | "  \(.key): " + ([.value | to_entries[] | "\(.key)=\(.value)"] | join(" "))'
		printf 'failed by status: %s\n' "$(drill_q '[.counts[] | to_entries[] | select(.key != "200" and .key != "204")] | group_by(.key) | map("\(.[0].key)=\(map(.value) | add)") | join(" ") | if . == "" then "none" else . end')"
		drill_q '.fail_window | to_entries[] | "  \(.key) failed from \(.value[0]) to \(.value[1]) (\(.value[1] - .value[0] | . * 10 | round / 10) s)"'
		printf 'slowest (ms): %s\n' "$(drill_q '.max_ms | to_entries | map("\(.key) \(.value)") | join(", ")')"
		printf '503 without Retry-After: %s\n' "$(drill_q .no_retry_after)"
		printf 'registrations lost: %s of %s ids that had a 200 heartbeat%s\n' "$DRILL_LOST_REG" \
			"$DRILL_OK_IDS" "${DRILL_LOST_IDS:+ ($(printf '%s' "$DRILL_LOST_IDS" | tr '\n' ' '))}"
		printf 'events lost: %s\n' "$events"
		if [ "$(drill_q .sse_on)" = true ]; then
			printf 'events lost through headcount-events (SSE, nginx): %s of %s (stream resumed %s times)\n' \
				"$(LC_ALL=C comm -23 <(drill_q '.registered[]' | LC_ALL=C sort) \
				<(drill_q '.sse_events[]' | LC_ALL=C sort) | grep -c . || true)" \
				"$(drill_q '.registered | length')" "$(drill_q .sse_reconnects)"
		fi
	} >"$HC_TMP/report.txt"
	hc_diag "$(cat "$HC_TMP/report.txt")"
	if [ -n "${DRILL_REPORT_DIR:-}" ]; then
		cp "$HC_TMP/report.txt" "$DRILL_REPORT_DIR/$(basename "$0" .sh).txt"
	fi
}

# drill_goal "ALLOWED": no registration lost, every failure one of ALLOWED,
# every 503 with Retry-After, no request unanswered (status 0).
drill_goal() {
	local allowed=$1 bad
	hc_is "$DRILL_LISTED_STATUS" 200 "the instance list answers after the drill"
	hc_is "$DRILL_LOST_REG" 0 "no registration lost"
	bad=$(drill_q "[.counts[] | to_entries[] | select(.key != \"200\" and .key != \"204\") | select(.key as \$s | \"$allowed\" | split(\" \") | index(\$s) | not) | .value] | add // 0")
	hc_is "$bad" 0 "no failure other than the documented ones ($allowed)"
	if [ "$bad" != 0 ]; then
		hc_diag "$(drill_q "[.failures[] | select((.[2] | tostring) as \$s | \"$allowed\" | split(\" \") | index(\$s) | not)] | .[:10][] | tostring")"
	fi
	hc_is "$(drill_q .no_retry_after)" 0 "every 503 of the API carries Retry-After"
	hc_ok "load.py ran requests" test "$DRILL_TOTAL" -gt 0
}

# drill_workers PID: the PIDs of a master's children, sorted, on one line.
drill_workers() {
	pgrep -P "$1" | sort -n | tr '\n' ' '
}

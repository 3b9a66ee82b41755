#!/bin/sh
# fuzz.sh: ~3,000 seeded hostile requests (fuzz.py) through nginx: no 5xx, problem+json, no crash, nothing changed.
#
# FUZZ_SEED=N picks another seed (default in fuzz.py), FUZZ_COUNT=N another count.
. "$(dirname "$0")/setup.sh"

hc_need redis-server nginx curl jq python3
hc_need_program health instances monitoring metrics token

# Nothing may go stale (and be pruned by a fuzzed refresh) during the run.
export HEADCOUNT_TTL=3600 HEADCOUNT_PRUNE_AFTER=7200
export HC_WORKERS=2
PROGRAMS="health instances monitoring metrics"

hc_start_redis
for p in $PROGRAMS; do
	hc_start_program "$p"
done
hc_start_nginx
# The history report reads this node's file (headcount-agent writes it): a small
# one, so that fuzzed reports are answered 200 or 400, not "no history yet" (503).
if [ -x "$top_builddir/tests/bench/history-fill" ]; then
	hc_ok "a history file of 60 samples" "$top_builddir/tests/bench/history-fill" \
		"$HEADCOUNT_DATA_DIR" 60 "$(date -u +%s)"
fi

OWNER=$(hc_token owner fuzz-setup)
USER=$(hc_token user fuzz-viewer)
KNOWN1=fuzz-known-1
KNOWN2=fuzz-known-2:8080

workers() {	# workers PID: the PIDs of its children, sorted, on one line
	pgrep -P "$1" | sort -n | tr '\n' ' '
}
known_state() {	# the fields of the known instances that no fuzz request may change
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
	hc_json "[.registered_instances[] | select(.instance_id == \"$KNOWN1\" or .instance_id == \"$KNOWN2\")
		| [.instance_id, .hostname, .started_at, .last_heartbeat, (.meta | tojson)] | join(\" \")] | join(\"; \")"
}

# ------------------------------------------------------------ before
for id in "$KNOWN1" "$KNOWN2"; do
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $OWNER" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"instance_id\":\"$id\",\"hostname\":\"host-$id\",\"meta\":{\"probe\":\"$id\",\"n\":1}}"
	hc_is "$HC_STATUS" 200 "heartbeat of the known instance $id"
done
sleep 1.1	# a renewal by mistake would show in last_heartbeat (seconds precision)
before=$(known_state)
hc_like "$before" "^$KNOWN1 host-$KNOWN1 .*; $KNOWN2 host-$KNOWN2 " "both known instances are listed"

declare -A master workers_before
have_pgrep=0
if command -v pgrep >/dev/null 2>&1; then
	have_pgrep=1
fi
for p in $PROGRAMS; do
	master[$p]=$(hc_pid "$p")
	if [ "$have_pgrep" = 1 ]; then
		workers_before[$p]=$(workers "${master[$p]}")
	fi
done

# ------------------------------------------------------------ the fuzzing
rc=0
python3 "$top_srcdir/tests/integration/fuzz.py" --port "$HC_PORT" \
	--count "${FUZZ_COUNT:-3000}" --known "$KNOWN1,$KNOWN2" \
	--ids-out "$HC_TMP/fuzz-ids" >"$HC_TMP/fuzz.out" 2>&1 || rc=$?
hc_diag "$(cat "$HC_TMP/fuzz.out")"
summary=$(grep '^fuzz: ' "$HC_TMP/fuzz.out" || true)
kind() {	# kind NAME: the count of unexpected answers of that kind in the summary
	printf '%s\n' "$summary" | sed -n "s/.*unexpected by kind.* $1=\([0-9]*\).*/\1/p"
}
hc_like "$summary" "^fuzz: ${FUZZ_COUNT:-3000} requests, " "fuzz.py ran every request"
hc_is "$(kind 5xx)" 0 "no 5xx for any request (but 503 from DigitalOcean routes without DigitalOcean)"
hc_is "$(kind problem)" 0 "every 4xx/5xx is problem+json with type, title, status = HTTP status, detail"
hc_is "$(kind header)" 0 "every 401 has WWW-Authenticate: Bearer, every 405 an Allow header"
hc_is "$(kind json)" 0 "every 2xx JSON answer is valid UTF-8 JSON"
hc_is "$(kind status)" 0 "requests with a status fixed by the contract got it"
hc_is "$(kind noanswer)" 0 "every request got an answer"
hc_is "$(kind nginx)" 0 "requests nginx refuses while parsing get a 4xx"
hc_is "$(kind generator)" 0 "fuzz.py never sent a known id in a body the server may accept"
hc_is "$(kind conf413)" 0 "no HTML 413 page from nginx for /metrics"
hc_is "$rc" 0 "fuzz.py exits 0"

# nginx's own 413 for /metrics is problem+json too.
head -c 1100000 /dev/zero >"$HC_TMP/1m"
hc_req POST /metrics --data-binary "@$HC_TMP/1m"
hc_is "$HC_STATUS" 413 "a 1.1 MB body to /metrics: nginx's 413"
hc_is "$HC_CTYPE" application/problem+json "nginx's own 413 for /metrics is problem+json"

# ------------------------------------------------------------ nothing crashed
for p in $PROGRAMS; do
	hc_is "$(hc_pid "$p")" "${master[$p]}" "headcount-$p: the same master"
	hc_ok "headcount-$p: master alive" kill -0 "${master[$p]}"
	if [ "$have_pgrep" = 1 ]; then
		hc_is "$(workers "${master[$p]}")" "${workers_before[$p]}" "headcount-$p: the same workers"
	fi
done
hc_ok "nginx alive" kill -0 "$(hc_pid nginx)"
hc_ok "redis alive" kill -0 "$(hc_pid redis)"
replaced=$(grep -lE 'killed by signal|exited with' "$HC_TMP"/*.log 2>/dev/null || true)
hc_is "$replaced" "" "no program log tells of a worker replaced"
if [ -n "$replaced" ]; then
	hc_diag "$(grep -hE 'killed by signal|exited with' $replaced | head -n 20)"
fi
hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "live still answers 200"
hc_req GET /api/v1/health/ready
hc_is "$HC_STATUS" 200 "ready still answers 200"

# ------------------------------------------------------------ bad input changed nothing
after=$(known_state)
hc_is "$after" "$before" "the known instances are unchanged (hostname, times, meta)"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "the instance list answers 200"
hc_json '.registered_instances[].instance_id' | LC_ALL=C sort >"$HC_TMP/listed"
{ printf '%s\n%s\n' "$KNOWN1" "$KNOWN2"; cat "$HC_TMP/fuzz-ids" 2>/dev/null; } | LC_ALL=C sort -u >"$HC_TMP/allowed"
extra=$(LC_ALL=C comm -23 "$HC_TMP/listed" "$HC_TMP/allowed")
hc_is "$extra" "" "every listed id is a known one or came from a valid fuzz heartbeat"
hc_diag "$(wc -l <"$HC_TMP/listed") ids listed, $(wc -l <"$HC_TMP/allowed") allowed"

hc_done

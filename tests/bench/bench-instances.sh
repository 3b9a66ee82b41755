#!/usr/bin/env bash
# bench-instances.sh: heartbeats/s and /health/instances latency (100, 1,000, 10,000 instances) through nginx, with Redis round trips counted.
#
# Uses what build/ (or $top_builddir) already holds: cgi/headcount-instances,
# cgi/headcount-token, tests/bench/bare, tests/freeport.  Not a pass/fail
# test: prints requests/s, p50 and p99 and the heartbeats' ratio to nginx's
# own return 200 and to the bare libfcgi responder measured in the same
# run, then the Redis commands one list costs (INFO commandstats delta and
# a MONITOR capture).  The Fastify peer
# (tests/bench/peer.sh) lists the same Redis keys behind the same nginx and
# is measured beside headcount; the PSS of the whole suite (every program
# that is built, with its workers, and nginx) is printed idle and after the
# 10,000-instance phase next to the peer's.
#
#   BENCH_SECONDS   wrk duration per target (10)
#   BENCH_WORKERS   FastCGI workers of headcount-instances (4)
#   BENCH_CONNS     wrk connections for the heartbeat run (64)
#   BENCH_IDS       distinct instance ids the heartbeat run cycles through (1000)
#   BENCH_LIST_CONNS wrk connections of the loaded list runs, headcount and peer (16)
# The heartbeat run is repeated with upstream keepalive 1 (the default
# before keepalive 32 was shipped) and the ratio printed.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$(dirname "$0")/peer.sh"

hc_need wrk nginx curl redis-server redis-cli jq
hc_need_program instances token
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WORKERS=${BENCH_WORKERS:-4}
BENCH_CONNS=${BENCH_CONNS:-64}
BENCH_IDS=${BENCH_IDS:-1000}
BENCH_LIST_CONNS=${BENCH_LIST_CONNS:-16}

bench_refs_start "$BENCH_WORKERS"

hc_start_redis
HEADCOUNT_ACCESS_LOG=off hc_start_program instances --workers "$BENCH_WORKERS"
# the rest of the suite, idle, so that its memory is the whole suite's
for p in health monitoring metrics flags events; do
	[ -x "$top_builddir/cgi/headcount-$p" ] &&
		HEADCOUNT_ACCESS_LOG=off hc_start_program "$p" --workers "$BENCH_WORKERS"
done
bench_peer_start
hc_start_nginx
OWNER=$(hc_token owner bench)
USER=$(hc_token user bench)
[ "$BENCH_PEER" = 1 ] && echo "# peer: Fastify $(node -p 'require(process.argv[1] + "/node_modules/fastify/package.json").version' "$BENCH_PEER_DIR"), node $(node -p process.versions.node), $BENCH_PEER_WORKERS processes, nginx proxy keepalive $BENCH_PEER_KEEPALIVE"
hc_wait_until 5 curl -fs -o /dev/null "$HC_URL/api/v1/health/live" || true
bench_memory "idle"

# ---------------------------------------------------------------- heartbeats
cat >"$HC_TMP/heartbeat.lua" <<EOF
-- POSTs heartbeats for BENCH_IDS distinct ids, each connection its own sequence.
local ids = $BENCH_IDS
local n = 0
local headers = {
  ["Authorization"] = "Bearer $OWNER",
  ["Content-Type"] = "application/json",
}
request = function()
  n = n + 1
  local body = '{"instance_id":"bench-' .. (n % ids) .. '","hostname":"bench-host","meta":{"zone":"lon1","version":"1.2.3"}}'
  return wrk.format("POST", "/api/v1/instances/heartbeat", headers, body)
end
EOF

echo "# wrk -t1 -d${BENCH_SECONDS}s --latency; nginx 2 workers; instances --workers $BENCH_WORKERS"
ref=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency "$HC_URL/nginx-200" | hc_wrk_summary "nginx-200 (c$BENCH_CONNS)")
printf '%s\n' "$ref"
bare=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency "$HC_URL/bare/" | hc_wrk_summary "bare live (c$BENCH_CONNS)")
printf '%s\n' "$bare"
hb=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency -s "$HC_TMP/heartbeat.lua" \
	"$HC_URL" | hc_wrk_summary "heartbeat (c$BENCH_CONNS)")
printf '%s\n' "$hb"
printf '%s\n%s\n' "$ref" "$hb" | awk '{ r[NR] = $3 } END { if (r[1] > 0) printf "%-24s %.2f\n", "heartbeat / nginx-200", r[2] / r[1] }'
printf '%s\n%s\n' "$bare" "$hb" | awk 'NR == 1 { b = $4 } NR == 2 { if (b > 0) printf "%-24s %.2f\n", "heartbeat / bare live", $3 / b }'
# the same with the upstream keepalive headcount shipped before (1), same run
shipped=$(bench_shipped_keepalive)
if [ "$shipped" != 1 ]; then
	bench_nginx_keepalive 1
	hb1=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency -s "$HC_TMP/heartbeat.lua" \
		"$HC_URL" | hc_wrk_summary "heartbeat, keepalive 1 (c$BENCH_CONNS)")
	printf '%s\n' "$hb1"
	printf '%s\n%s\n' "$hb1" "$hb" | awk '{ for (i = 2; i <= NF; i++) if ($i == "req/s") r[NR] = $(i - 1) } END { if (r[1] > 0) printf "%-24s %.2f\n", "heartbeat keepalive '"$shipped"' / 1", r[2] / r[1] }'
	bench_nginx_keepalive "$shipped"
fi
echo "# registered after the run: $(hc_redis ZCARD headcount:instances) (ids cycled: $BENCH_IDS)"

# ---------------------------------------------------------------- listing
# fill N: bench_fill (tests/bench/peer.sh)
fill() { bench_fill "$@"; }

# same N: the peer's answer is headcount's, but for seconds_since_heartbeat (timing)
same() {
	local a b f='del(.registered_instances[].seconds_since_heartbeat)'
	a=$(printf '%s' "$HC_BODY" | jq -S "$f")
	b=$(curl -s --max-time 30 -H "Authorization: Bearer $USER" "$HC_URL/peer/api/v1/health/instances" | jq -S "$f")
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# list NAME CONNS PATH: one wrk run over the list (30 s timeout: a slow peer is measured, not dropped)
list() {
	wrk -t1 -c"$2" -d"${BENCH_SECONDS}s" --timeout 30s --latency -H "Authorization: Bearer $USER" \
		"$HC_URL$3" | hc_wrk_summary "$1"
}

echo
echo "# GET /api/v1/health/instances, wrk -t1 -c1 (one request at a time: p50 is the latency), -c4, -c$BENCH_LIST_CONNS"
lists=""
for n in 100 1000 10000; do
	fill "$n"
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
	got=$(hc_json '.registered_instances | length')
	bytes=${#HC_BODY}
	if [ "$BENCH_PEER" = 1 ]; then
		if same; then eq="the peer answers the same"; else eq="THE PEER ANSWERS OTHERWISE"; fi
	else
		eq="no peer"
	fi
	out=$(list "list $n (c1)" 1 /api/v1/health/instances)
	printf '%s  [%s listed, %s bytes; %s]\n' "$out" "$got" "$bytes" "$eq"
	list "list $n (c4)" 4 /api/v1/health/instances
	out=$(list "list $n (c$BENCH_LIST_CONNS)" "$BENCH_LIST_CONNS" /api/v1/health/instances)
	printf '%s\n' "$out"
	lists="$lists$out"$'\n'
	if [ "$BENCH_PEER" = 1 ]; then
		out=$(list "peer $n (c$BENCH_LIST_CONNS)" "$BENCH_LIST_CONNS" /peer/api/v1/health/instances)
		printf '%s\n' "$out"
		lists="$lists$out"$'\n'
	fi
done
printf '%s' "$lists" | awk '
	{ rps[$1 " " $2] = $4; p50[$1 " " $2] = $7; p99[$1 " " $2] = $10 }
	END {
		for (n = 100; n <= 10000; n *= 10) {
			h = "list " n; p = "peer " n
			if (p50[h] > 0)
				printf "%-34s %.2f\n", h " p99 / p50", p99[h] / p50[h]
			if (rps[h] > 0 && rps[p] > 0)
				printf "%-34s %.2f\n", h " / " p " (req/s)", rps[h] / rps[p]
		}
	}'
bench_memory "after the 10,000-instance phase"

# ---------------------------------------------------------------- round trips
echo
echo "# Redis cost of one GET /api/v1/health/instances with 10,000 instances"
reads() { hc_redis INFO stats | tr -d '\r' | sed -n 's/^total_reads_processed://p'; }
hc_redis CONFIG RESETSTAT >/dev/null
# Baseline: what asking costs by itself (INFO's own read, redis-cli's EOF).
r0=$(reads); r1=$(reads); base=$(( r1 - r0 ))
r0=$(reads)
for i in 1 2 3 4 5 6 7 8 9 10; do
	hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
done
r1=$(reads)
echo "# round trips: Redis read $(( r1 - r0 - base )) request batches from the program for 10 GETs" \
	"(INFO stats total_reads_processed, baseline $base subtracted): one round trip per GET"
echo "# INFO commandstats after 10 GETs (one pipelined MULTI..EXEC each):"
hc_redis INFO commandstats | tr -d '\r' | grep '^cmdstat_' | grep -v 'cmdstat_config\|cmdstat_info' |
	sed 's/,rejected_calls.*//; s/^/#   /'
hc_redis MONITOR >"$HC_TMP/monitor.out" 2>&1 &
hc__track monitor $!
hc_wait_until 5 test -s "$HC_TMP/monitor.out" || true
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_wait_until 5 grep -q '"EXEC"' "$HC_TMP/monitor.out" || true
hc_stop monitor
echo "# MONITOR during one GET (the five arrive in one write; timestamps are execution times):"
grep -v '^OK$' "$HC_TMP/monitor.out" | cut -c1-110 | sed 's/^/#   /'

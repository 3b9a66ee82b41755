#!/usr/bin/env bash
# bench-events.sh: 1,000 and 10,000 concurrent subscribers through nginx (half SSE, half WebSocket),
# a steady publish rate, and a Node ws relay beside headcount-events, in one run.
#
# Per run: PUBLISH-to-receipt delay at every client (p50, p99, max), messages lost,
# the relay process's RSS and CPU, and /api/v1/health/live requests/s with the
# streams open against without them (same nginx, same run).  Not a pass/fail test:
# it prints the figures and the goals next to them.  Uses build/ (or $top_builddir):
# cgi/headcount-events, cgi/headcount-health, cgi/headcount-token, tests/freeport;
# npm-installs ws and ioredis into tests/bench/events on first use.
#
#   BENCH_COUNTS   subscriber counts (default "1000 10000")
#   BENCH_RATE     messages per second (10)
#   BENCH_SECONDS  publishing time per run (20)
#   BENCH_PROCS    client processes (4)
#   BENCH_PEER     1: also measure the Node ws relay at the largest count (1)
#   BENCH_SSE_SHARE the share of SSE streams for headcount (0.5)
#   BENCH_SAMPLE   share of the streams read and timed live (1); the others read
#                  all at the end (counted for "lost", not timed): the load
#                  generator shares the machine, and 10,000 streams x 10 msg/s
#                  read live cost it more CPU than the relay and nginx together.
#                  Below 1 the keep-alive/ping interval is raised to 120 s so
#                  that streams not reading are not closed for a missing pong.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"

hc_need nginx curl redis-server node npm wrk
hc_need_program events health token
BENCH_COUNTS=${BENCH_COUNTS:-1000 10000}
BENCH_RATE=${BENCH_RATE:-10}
BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_PROCS=${BENCH_PROCS:-4}
BENCH_PEER=${BENCH_PEER:-1}
DIR=$top_srcdir/tests/bench/events
if [ ! -d "$DIR/node_modules/ws" ] || [ ! -d "$DIR/node_modules/ioredis" ]; then
	(cd "$DIR" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >&2 ||
		{ echo "bench: npm install in $DIR failed" >&2; exit 1; }
fi
# 10,000 streams: a descriptor each in the relay, two in nginx, one in the clients
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
	echo "bench: ulimit -n is $(ulimit -n); 10,000 streams need 12,000 or more" >&2
fi

max=0
for n in $BENCH_COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
BENCH_SAMPLE=${BENCH_SAMPLE:-1}
export HEADCOUNT_ACCESS_LOG=off HEADCOUNT_EVENTS_MAX_CLIENTS=$((max + 1000)) \
	HEADCOUNT_EVENTS_MAX_PER_SUBJECT=$((max + 1000))
if [ "$BENCH_SAMPLE" != 1 ]; then
	export HEADCOUNT_EVENTS_KEEPALIVE=120 BENCH_PEER_PING_MS=120000
fi
hc_start_redis
hc_start_program events
HC_WORKERS=4 hc_start_program health
# the peer behind the same nginx, at /peer/ws
cat >"$HC_TMP/local-server-bench.conf" <<EOF
location /peer/ {
	proxy_pass http://unix:$HC_TMP/peer.sock:/;
	proxy_http_version 1.1;
	proxy_set_header Upgrade \$http_upgrade;
	proxy_set_header Connection \$headcount_connection_upgrade;
	proxy_buffering off;
	proxy_read_timeout 1h;
}
EOF
hc_start_nginx
TOKEN=$(hc_token user bench 7200)

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() {	# tree_ticks PID: utime+stime of PID and every descendant
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
		{ pid = $1; sub(/^[^)]*\) /, ""); par[pid] = $2; tk[pid] = $12 + $13 }
		END {
			for (p in par) { q = p; while (q != root && (q in par) && q > 1) q = par[q]; if (q == root) s += tk[p] }
			print s + 0
		}'
}
live() {	# live SECONDS: /health/live requests/s through nginx
	wrk -t1 -c32 -d"${1}s" "$HC_URL/api/v1/health/live" 2>/dev/null | awk '/^Requests\/sec:/ { printf "%d", $2 }'
}

# run NAME N SSE_SHARE SSE_PATH WS_PATH PID: one measured run; prints a line
run() {
	local name=$1 n=$2 share=$3 sse=$4 ws=$5 pid=$6 ready=$HC_TMP/ready.$1.$2 out rss=0 r c0 c1 t0 t1 lv=""
	local g0 g1
	rm -f "$ready"
	node "$DIR/events-bench.mjs" --base "$HC_URL" --sse "$sse" --ws "$ws" --n "$n" \
		--sse-share "$share" --token "$TOKEN" --procs "$BENCH_PROCS" --rate "$BENCH_RATE" \
		--seconds "$BENCH_SECONDS" --redis "$HC_TMP/redis.sock" --channel events:bench \
		--ready "$ready" --sample "$BENCH_SAMPLE" >"$HC_TMP/bench.$name.$n.json" 2>"$HC_TMP/bench.$name.$n.err" &
	local bpid=$!
	while [ ! -f "$ready" ] && kill -0 "$bpid" 2>/dev/null; do sleep 0.2; done
	c0=$(cpu_ticks "$pid")
	g0=$(tree_ticks "$(hc_pid nginx)")
	t0=$(date +%s%N)
	# /health/live while the streams are open and messages flow (the middle of the run)
	if [ "$n" = "$max" ]; then
		sleep 2
		lv=$(live 5)
	fi
	while kill -0 "$bpid" 2>/dev/null; do
		r=$(rss_kb "$pid")
		[ "$r" -gt "$rss" ] && rss=$r
		sleep 0.5
	done
	c1=$(cpu_ticks "$pid")
	g1=$(tree_ticks "$(hc_pid nginx)")
	t1=$(date +%s%N)
	wait "$bpid" || true
	out=$(cat "$HC_TMP/bench.$name.$n.json")
	[ -n "$out" ] || { echo "bench: $name $n: $(tail -n 3 "$HC_TMP/bench.$name.$n.err")" >&2; return 0; }
	pct() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", t / hz / (ns / 1e9) * 100 }'; }
	printf '%-10s %6d streams  %s  rss_max %d MiB  cpu %s%% of a core (nginx %s%%)%s\n' "$name" "$n" \
		"$(printf '%s' "$out" | jq -r '"open \(.streams) failed \(.failed) closed \(.closed) published \(.published) lost \(.lost) delay p50 \(.p50_ms) ms p99 \(.p99_ms) ms max \(.max_ms) ms ramp \(.ramp_ms / 1000) s drain \(.drain_ms / 1000) s"')" \
		$((rss / 1024)) "$(pct $((c1 - c0)))" "$(pct $((g1 - g0)))" "${lv:+  live with streams $lv req/s}"
	echo "           load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	[ -n "$lv" ] && printf '%s\n' "$lv" >"$HC_TMP/live.$name"
	return 0
}

echo "# $(nproc) cores; nginx 2 workers; ${BENCH_RATE} msg/s for ${BENCH_SECONDS} s; clients in $BENCH_PROCS node processes; ulimit -n $(ulimit -n); streams timed live: $BENCH_SAMPLE"
echo "# goals at 10,000 streams: p99 <= 100 ms, none lost, RSS <= 128 MiB, live with streams >= 90% of without"
LIVE0=$(live 5)
echo "live without streams: $LIVE0 req/s (wrk -t1 -c32 -d5s)"
EPID=$(hc_pid events)
for n in $BENCH_COUNTS; do
	run headcount "$n" "${BENCH_SSE_SHARE:-0.5}" /api/v1/realtime/events /api/v1/realtime/ws "$EPID"
done
if [ "$BENCH_PEER" = 1 ]; then
	node "$DIR/ws-relay.mjs" "$HC_TMP/peer.sock" "$HC_TMP/redis.sock" 'events:*' \
		</dev/null >>"$HC_TMP/peer.log" 2>&1 &
	hc_track peer $!
	hc_wait_until 10 test -S "$HC_TMP/peer.sock" || { echo "bench: the peer did not start" >&2; exit 1; }
	run node-ws "$max" 0 /peer/none /peer/ws "$(hc_pid peer)"
fi
LIVE1=$(cat "$HC_TMP/live.headcount" 2>/dev/null || echo 0)
echo "live with $max headcount streams: $LIVE1 req/s = $(awk -v a="$LIVE1" -v b="$LIVE0" 'BEGIN { printf "%.0f", b ? 100 * a / b : 0 }')% of without"
if [ -f "$HC_TMP/live.node-ws" ]; then
	LIVE2=$(cat "$HC_TMP/live.node-ws")
	echo "live with $max node-ws streams: $LIVE2 req/s = $(awk -v a="$LIVE2" -v b="$LIVE0" 'BEGIN { printf "%.0f", b ? 100 * a / b : 0 }')% of without"
fi
HC_N=0
hc_done >/dev/null

#!/usr/bin/env bash
# bench-events.sh: 1,000 and 10,000 concurrent subscribers through nginx (half SSE, half WebSocket),
# a steady publish rate, and a Node ws relay beside headcount-events, in one run.
#
# Per count: the streams are opened at a bounded rate, then three phases, each
# with /api/v1/health/live requests/s through the same nginx (wrk -t1 -c32):
#   no streams  before the client starts (the reference of the ratios);
#   idle        every stream open, nothing published (keep-alives and pings only);
#   publishing  BENCH_RATE messages/s for BENCH_SECONDS: CPU of the relay, of
#               nginx (master and workers) and of the client over the first half
#               (no wrk running), also as µs of CPU per delivery against what
#               the cores hold at that rate; wrk in the second half.
# The client times every delivery at every stream, PUBLISH to receipt (p50, p99,
# max; also split into the quiet part and the part with wrk running), and counts
# what each stream missed by sequence number.  Also the relay's RSS, and the
# client's own loop lag (how much of a delay is the client's).  Not a pass/fail
# test: it prints the figures and the goals next to them.
#
# The client is tests/bench/events-load (C: libwebsockets' client for both kinds
# of stream on one libev loop, json-c, hiredis publishing to Redis's unix socket;
# built here when missing).  BENCH_CLIENT=node uses the older Node client
# (events/events-bench.mjs, several processes) instead.  The peer, a Node ws
# relay (events/ws-relay.mjs, WebSocket only), is measured with the same client
# at the largest count.  Uses build/ (or $top_builddir): cgi/headcount-events,
# -health, -token, tests/freeport; npm-installs ws and ioredis into
# tests/bench/events for the peer and the Node client.
#
# Pinning: nothing is pinned by default.  The C client and wrk pinned to one
# core (BENCH_PIN=1: taskset -c 1) did not help on the 2-core box: 2,000
# streams, p99 without wrk 56 vs 66 ms (unpinned vs pinned), with wrk 100 vs
# 271 ms, /health/live while publishing 63% vs 41% of without streams.
# nginx and the relay are never pinned.
#
#   BENCH_COUNTS   subscriber counts (default "1000 10000")
#   BENCH_RATE     messages per second (10)
#   BENCH_SECONDS  publishing time per count (20)
#   BENCH_LIVE_SECONDS length of each wrk measurement (5)
#   BENCH_IDLE_SECONDS CPU window with the streams open and idle (3)
#   BENCH_CONNECT_RATE new streams per second (400), BENCH_INFLIGHT handshakes at once (64)
#   BENCH_PEER     1: also measure the Node ws relay at the largest count (1)
#   BENCH_SSE_SHARE the share of SSE streams for headcount (0.5)
#   BENCH_CLIENT   c (default) or node; BENCH_LOAD another events-load binary to use
#   BENCH_PIN      1: the C client and wrk on core 1 (taskset), 0 (default)
#   BENCH_CLIENT_SOCKET tcp (default: 127.0.0.1, as remote clients come) or unix
#                  (the C client through a unix socket nginx also listens on;
#                  at 3,000 streams nginx spent the same CPU per delivery)
#   BENCH_PROCS    node client processes (4), BENCH_SAMPLE node client: share of
#                  the streams read live (1); below 1 the keep-alive/ping interval
#                  is raised to 120 s so that streams not reading are not closed.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"

hc_need nginx curl redis-server wrk jq
hc_need_program events health token
BENCH_COUNTS=${BENCH_COUNTS:-1000 10000}
BENCH_RATE=${BENCH_RATE:-10}
BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_LIVE_SECONDS=${BENCH_LIVE_SECONDS:-5}
BENCH_IDLE_SECONDS=${BENCH_IDLE_SECONDS:-3}
BENCH_CONNECT_RATE=${BENCH_CONNECT_RATE:-400}
BENCH_INFLIGHT=${BENCH_INFLIGHT:-64}
BENCH_PROCS=${BENCH_PROCS:-4}
BENCH_PEER=${BENCH_PEER:-1}
BENCH_CLIENT=${BENCH_CLIENT:-c}
BENCH_PIN=${BENCH_PIN:-0}
BENCH_SAMPLE=${BENCH_SAMPLE:-1}
DIR=$top_srcdir/tests/bench/events
LOAD=${BENCH_LOAD:-$top_builddir/tests/bench/events-load}
PIN=""
UNIX=""
BENCH_CLIENT_SOCKET=${BENCH_CLIENT_SOCKET:-tcp}
[ "$BENCH_PIN" = 1 ] && PIN="taskset -c 1"
case $BENCH_CLIENT in
c)
	if [ ! -x "$LOAD" ]; then
		make -C "$top_builddir" tests/bench/events-load >/dev/null ||
			{ echo "bench: building tests/bench/events-load failed" >&2; exit 1; }
	fi
	[ "$BENCH_SAMPLE" = 1 ] || echo "bench: BENCH_SAMPLE is for the node client; the C client reads every stream" >&2
	BENCH_SAMPLE=1
	;;
node) ;;
*) echo "bench: BENCH_CLIENT is c or node" >&2; exit 1 ;;
esac
if [ "$BENCH_CLIENT" = node ] || [ "$BENCH_PEER" = 1 ]; then
	hc_need node npm
	if [ ! -d "$DIR/node_modules/ws" ] || [ ! -d "$DIR/node_modules/ioredis" ]; then
		(cd "$DIR" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >&2 ||
			{ echo "bench: npm install in $DIR failed" >&2; exit 1; }
	fi
fi
# 10,000 streams: a descriptor each in the relay, two in nginx, one in the client
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
	echo "bench: ulimit -n is $(ulimit -n); 10,000 streams need 12,000 or more" >&2
fi

max=0
for n in $BENCH_COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
export HEADCOUNT_ACCESS_LOG=off HEADCOUNT_EVENTS_MAX_CLIENTS=$((max + 1000)) \
	HEADCOUNT_EVENTS_MAX_PER_SUBJECT=$((max + 1000))
if [ "$BENCH_SAMPLE" != 1 ]; then
	export HEADCOUNT_EVENTS_KEEPALIVE=120 BENCH_PEER_PING_MS=120000
fi
hc_start_redis
hc_start_program events
HC_WORKERS=4 hc_start_program health
# the peer behind the same nginx, at /peer/ws; and a unix socket listener for BENCH_CLIENT_SOCKET=unix
cat >"$HC_TMP/local-server-bench.conf" <<EOF
listen unix:$HC_TMP/nginx-bench.sock;
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
if [ "$BENCH_CLIENT_SOCKET" = unix ]; then UNIX="--unix $HC_TMP/nginx-bench.sock"; fi
TOKEN=$(hc_token user bench 7200)
HZ=$(getconf CLK_TCK)

rss_kb() { awk -v k="${2:-VmRSS}:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() {	# tree_ticks PID: utime+stime of PID and every descendant
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
		{ pid = $1; sub(/^[^)]*\) /, ""); par[pid] = $2; tk[pid] = $12 + $13 }
		END {
			for (p in par) { q = p; while (q != root && (q in par) && q > 1) q = par[q]; if (q == root) s += tk[p] }
			print s + 0
		}'
}
now_ns() { date +%s%N; }
live() {	# live: /health/live requests/s through nginx for BENCH_LIVE_SECONDS
	$PIN wrk -t1 -c32 -d"${BENCH_LIVE_SECONDS}s" "$HC_URL/api/v1/health/live" 2>/dev/null |
		awk '/^Requests\/sec:/ { printf "%d", $2 }'
}
pct() {	# pct TICKS NS: CPU % of one core
	awk -v t="$1" -v hz="$HZ" -v ns="$2" 'BEGIN { printf "%.1f", (ns > 0 ? t / hz / (ns / 1e9) * 100 : 0) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", b ? 100 * a / b : 0 }'; }
# sample: CPU ticks of the relay, the nginx tree and the client's (the Node one forks), then the time
sample() { printf '%s %s %s %s\n' "$(cpu_ticks "$RELAY")" "$(tree_ticks "$NGINX")" "$(tree_ticks "$CLIENT")" "$(now_ns)"; }
cpus() {	# cpus "SAMPLE0" "SAMPLE1": relay, nginx, client CPU % over the window
	local a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	printf 'relay %s%%  nginx %s%%  client %s%%' "$(pct $((b[0] - a[0])) $((b[3] - a[3])))" \
		"$(pct $((b[1] - a[1])) $((b[3] - a[3])))" "$(pct $((b[2] - a[2])) $((b[3] - a[3])))"
}

per_delivery() {	# per_delivery "SAMPLE0" "SAMPLE1" STREAMS DELIVERIES: µs of CPU per delivery
	local a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	awk -v r=$((b[0] - a[0])) -v g=$((b[1] - a[1])) -v c=$((b[2] - a[2])) -v hz="$HZ" \
		-v ns=$((b[3] - a[3])) -v n="$3" -v d="$4" -v rate="$BENCH_RATE" 'BEGIN {
		if (d == "" || d == "null") d = n * rate * ns / 1e9	# the node client: as published
		if (d <= 0) exit
		printf "relay %.1f  nginx %.1f  client %.1f  (sum %.1f over %d deliveries in %.1f s; 2 cores give %.1f at %d/s)",
			r / hz * 1e6 / d, g / hz * 1e6 / d, c / hz * 1e6 / d, (r + g + c) / hz * 1e6 / d,
			d, ns / 1e9, 2e6 / (n * rate), n * rate
	}'
}

# run NAME N SSE_SHARE SSE_PATH WS_PATH RELAY_PID: one measured count; prints its block
run() {
	local name=$1 n=$2 share=$3 sse=$4 ws=$5 ready=$HC_TMP/ready.$1.$2 done=$HC_TMP/done.$1.$2
	local go=$HC_TMP/go.$1.$2 out=$HC_TMP/bench.$1.$2.json err=$HC_TMP/bench.$1.$2.err
	local l0 l1 l2 s0 s1 i0 i1 rss=0 r t_go half
	RELAY=$6
	NGINX=$(hc_pid nginx)
	rm -f "$ready" "$done" "$go"
	l0=$(live)
	if [ "$BENCH_CLIENT" = c ]; then
		$PIN "$LOAD" --port "$HC_PORT" --n "$n" --sse-share "$share" --sse-path "$sse" \
			--ws-path "$ws" --token "$TOKEN" --redis "$HC_TMP/redis.sock" \
			--channel events:bench --rate "$BENCH_RATE" --seconds "$BENCH_SECONDS" \
			--connect-rate "$BENCH_CONNECT_RATE" --inflight "$BENCH_INFLIGHT" $UNIX \
			--ready "$ready" --done "$done" --wait-go >"$out" 2>"$err" &
	else
		node "$DIR/events-bench.mjs" --base "$HC_URL" --sse "$sse" --ws "$ws" --n "$n" \
			--sse-share "$share" --token "$TOKEN" --procs "$BENCH_PROCS" --rate "$BENCH_RATE" \
			--seconds "$BENCH_SECONDS" --redis "$HC_TMP/redis.sock" --channel events:bench \
			--ready "$ready" --go "$go" --done "$done" --sample "$BENCH_SAMPLE" >"$out" 2>"$err" &
	fi
	CLIENT=$!
	while [ ! -f "$ready" ] && kill -0 "$CLIENT" 2>/dev/null; do sleep 0.2; done
	if [ ! -f "$ready" ]; then
		echo "bench: $name $n: the client exited: $(tail -n 3 "$err")" >&2
		return 0
	fi
	# idle: every stream open, nothing published
	sleep 1
	i0=$(sample)
	sleep "$BENCH_IDLE_SECONDS"
	i1=$(sample)
	l1=$(live)
	# publishing: CPU over the first half, wrk in the second
	if [ "$BENCH_CLIENT" = c ]; then kill -USR1 "$CLIENT"; else : >"$go"; fi
	t_go=$(now_ns)
	s0=$(sample)
	half=$(awk -v s="$BENCH_SECONDS" 'BEGIN { printf "%.1f", s / 2 }')
	sleep "$half"
	s1=$(sample)
	r=$(rss_kb "$RELAY")
	if [ "$BENCH_CLIENT" = c ]; then kill -USR2 "$CLIENT" 2>/dev/null || true; fi
	l2=$(live)
	if [ "$BENCH_CLIENT" = c ]; then kill -USR2 "$CLIENT" 2>/dev/null || true; fi
	[ $(( ($(now_ns) - t_go) / 1000000 )) -le $((BENCH_SECONDS * 1000)) ] ||
		echo "bench: the wrk run outlasted publishing (BENCH_SECONDS / 2 < BENCH_LIVE_SECONDS)" >&2
	rss=${r:-0}
	while kill -0 "$CLIENT" 2>/dev/null; do
		r=$(rss_kb "$RELAY")
		if [ "${r:-0}" -gt "$rss" ]; then rss=$r; fi
		sleep 0.5
	done
	wait "$CLIENT" || true
	[ -s "$out" ] || { echo "bench: $name $n: $(tail -n 3 "$err")" >&2; return 0; }
	jq -r --arg name "$name" --argjson n "$n" --arg share "$share" '
		def ms(x): if x == null then "-" else "\(x)" end;
		def d(o): "p50 \(ms(o.p50_ms)) ms  p99 \(ms(o.p99_ms)) ms  max \(ms(o.max_ms)) ms";
		"\($name) \($n) streams (SSE share \($share)): open \(.connected // .streams), failed \(.errors // .failed), closed by the server \(.closed); ramp \((.ramp_ms / 100 | floor) / 10) s",
		"  published \(.published), deliveries \(.received // .deliveries) of \(.expected), lost \(.lost)\(if .streams_missing_some then " (\(.streams_missing_some) streams missed some)" else "" end)",
		"  delay PUBLISH->receipt, every delivery: \(d(.))",
		(if .quiet then "    without wrk: \(d(.quiet));  with wrk: \(d(.loaded))" else empty end),
		(if .sse and .sse.n > 0 then "    SSE: \(d(.sse));  WebSocket: \(d(.ws))" else empty end),
		(if .per_message then "    per message, first stream: p50 \(ms(.per_message.first_p50_ms)) ms; last stream: p50 \(ms(.per_message.last_p50_ms)) ms, max \(ms(.per_message.last_max_ms)) ms" else empty end),
		(if .loop_lag then "    the client loop ran late by p50 \(ms(.loop_lag.p50_ms)) ms, p99 \(ms(.loop_lag.p99_ms)) ms, max \(ms(.loop_lag.max_ms)) ms while publishing; PUBLISH answered in p99 \(ms(.publish_rtt.p99_ms)) ms, max \(ms(.publish_rtt.max_ms)) ms" else empty end)
	' "$out"
	printf '  CPU (%% of one core)  idle: %s\n' "$(cpus "$i0" "$i1")"
	printf '                 publishing: %s   (first %s s, no wrk)\n' "$(cpus "$s0" "$s1")" "$half"
	printf '  CPU µs per delivery: %s\n' "$(per_delivery "$s0" "$s1" "$(jq '.connected // .streams' "$out")" \
		"$(jq '.received_before_usr2' "$out")")"
	printf '  relay RSS %d MiB (peak %d MiB)\n' $((rss / 1024)) $(( $(rss_kb "$RELAY" VmHWM) / 1024 ))
	printf '  live req/s: no streams %s;  streams idle %s (%s);  publishing %s (%s)\n' \
		"$l0" "$l1" "$(ratio "$l1" "$l0")" "$l2" "$(ratio "$l2" "$l0")"
	echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	return 0
}

echo "# $(nproc) cores; nginx 2 workers, health 4 workers; ${BENCH_RATE} msg/s for ${BENCH_SECONDS} s; client: $BENCH_CLIENT$( [ "$BENCH_CLIENT" = node ] && echo " ($BENCH_PROCS processes, streams timed live: $BENCH_SAMPLE)")${PIN:+, pinned: $PIN}; client to nginx over $BENCH_CLIENT_SOCKET; streams opened at $BENCH_CONNECT_RATE/s; ulimit -n $(ulimit -n)"
echo "# goals at 10,000 streams and 10 msg/s: p99 <= 100 ms, none lost, relay RSS <= 128 MiB, live with streams >= 90% of without"
for n in $BENCH_COUNTS; do
	run headcount "$n" "${BENCH_SSE_SHARE:-0.5}" /api/v1/realtime/events /api/v1/realtime/ws "$(hc_pid events)"
done
if [ "$BENCH_PEER" = 1 ]; then
	node "$DIR/ws-relay.mjs" "$HC_TMP/peer.sock" "$HC_TMP/redis.sock" 'events:*' \
		</dev/null >>"$HC_TMP/peer.log" 2>&1 &
	hc_track peer $!
	hc_wait_until 10 test -S "$HC_TMP/peer.sock" || { echo "bench: the peer did not start" >&2; exit 1; }
	run node-ws "$max" 0 /peer/none /peer/ws "$(hc_pid peer)"
fi
HC_N=0
hc_done >/dev/null

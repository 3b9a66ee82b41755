#!/usr/bin/env bash
# bench-metrics.sh: the cost of metrics recording on /api/v1/health/live, and /metrics render time with 2,000+ series.
#
# Not a pass/fail test: prints figures.  In one run, through one nginx:
#  1. /api/v1/health/live served by two identical health programs, one with
#     HEADCOUNT_METRICS=on and one with off, measured in alternating wrk
#     rounds (medians), and the on/off ratio;
#  2. the render time of a segment holding 2,000 series, in process
#     (median of hc_metrics_render) and as GET /metrics through nginx
#     (median curl time_total), and the same with 4,000 series.
#
#   BENCH_SECONDS  wrk duration per round (5)     BENCH_ROUNDS  rounds per side (5)
#   BENCH_WORKERS  FastCGI workers (4)            BENCH_CONNS   wrk connections (64)
. "$(dirname "$0")/../integration/setup.sh"

hc_need wrk nginx curl redis-server
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
BENCH_WORKERS=${BENCH_WORKERS:-4}
BENCH_CONNS=${BENCH_CONNS:-64}
fill=$top_builddir/tests/bench/metrics-fill
health=$top_builddir/cgi/headcount-health
for f in "$fill" "$health" "$top_builddir/cgi/headcount-metrics"; do
	[ -x "$f" ] || { echo "bench: $f is not built (make check TESTS=)" >&2; exit 1; }
done

cat >"$HC_TMP/local-http-bench.conf" <<EOF
upstream bench_health_off {
	server unix:$HC_TMP/health-off.sock;
	keepalive 1;
}
EOF
cat >"$HC_TMP/local-server-bench.conf" <<'EOF'
location = /live-metrics-off {
	# first: libfcgi answers the first of duplicate parameters
	fastcgi_param REQUEST_URI /api/v1/health/live;
	include fastcgi_params;
	fastcgi_keep_conn on;
	fastcgi_pass bench_health_off;
}
EOF

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }

hc_start_redis
HEADCOUNT_ACCESS_LOG=off HEADCOUNT_METRICS=on hc_start_program health --workers "$BENCH_WORKERS"
HEADCOUNT_ACCESS_LOG=off HEADCOUNT_METRICS=off "$health" --config "$HC_TMP/settings.conf" $HC_USER_ARGS $HC_SOCKET_ARGS \
	--listen "unix:$HC_TMP/health-off.sock" --workers "$BENCH_WORKERS" \
	</dev/null >>"$HC_TMP/health-off.log" 2>&1 &
hc_track health-off $!
hc_wait_until 10 test -S "$HC_TMP/health-off.sock" || { echo "bench: health-off did not start" >&2; exit 1; }
HEADCOUNT_ACCESS_LOG=off hc_start_program metrics
hc_start_nginx

rps() {	# rps PATH: requests/s of one wrk round
	wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" "$HC_URL$1" |
		awk '$1 == "Requests/sec:" { print $2 } /Non-2xx|Socket errors/ { print "bench: " $0 > "/dev/stderr" }'
}
for p in /api/v1/health/live /live-metrics-off; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$HC_URL$p")
	[ "$code" = 200 ] || { echo "bench: $p answers $code" >&2; exit 1; }
done

echo "# 1. /api/v1/health/live, metrics on vs off: wrk -t1 -c$BENCH_CONNS -d${BENCH_SECONDS}s x $BENCH_ROUNDS alternating rounds, $BENCH_WORKERS workers each"
: >"$HC_TMP/on.txt"
: >"$HC_TMP/off.txt"
for r in $(seq 1 "$BENCH_ROUNDS"); do
	# alternate which side goes first so drift hits both alike
	if [ $((r % 2)) = 1 ]; then
		on=$(rps /api/v1/health/live); off=$(rps /live-metrics-off)
	else
		off=$(rps /live-metrics-off); on=$(rps /api/v1/health/live)
	fi
	echo "$on" >>"$HC_TMP/on.txt"
	echo "$off" >>"$HC_TMP/off.txt"
	printf 'round %d: on %10.0f req/s   off %10.0f req/s\n' "$r" "$on" "$off"
done
on=$(median <"$HC_TMP/on.txt")
off=$(median <"$HC_TMP/off.txt")
awk -v on="$on" -v off="$off" 'BEGIN {
	printf "median: metrics on %.0f req/s, off %.0f req/s, on/off %.3f (cost %.1f %%)\n",
	    on, off, on / off, (1 - on / off) * 100 }'
counted=$(curl -s "$HC_URL/metrics" | awk '/^http_requests_total\{program="health",method="GET",route="\/api\/v1\/health\/live",status="200"\}/ { print $2 }')
echo "requests counted by the on side: $counted"

echo "# 2. render time"
render() {	# render NCOUNTERS NHISTOGRAMS
	local shm=$HC_TMP/render-$1-$2.shm t
	"$fill" "$shm" "$1" "$2" 101 1000000 | awk -v c="$1" -v h="$2" '
		$1 == "render_ms_median" { ms = $2 } $1 == "render_bytes" { b = $2 } $1 == "record_ns" { r = $2 }
		END { printf "in process:  %d counter + %d histogram series: median %.2f ms, %d bytes; recording one request (busy, request, idle) %.0f ns\n", c, h, ms, b, r }'
	# the same segment behind nginx: a metrics program of its own
	hc_stop_program metrics
	HEADCOUNT_METRICS_SHM=$shm HEADCOUNT_ACCESS_LOG=off hc_start_program metrics
	curl -s -o "$HC_TMP/render.txt" "$HC_URL/metrics"
	for i in $(seq 1 51); do
		curl -s -o /dev/null -w '%{time_total}\n' "$HC_URL/metrics"
	done | median | awk -v c="$1" -v h="$2" -v n="$(grep -c '^[a-z]' "$HC_TMP/render.txt")" '
		{ printf "via nginx:   %d counter + %d histogram series (%d sample lines): median GET /metrics %.2f ms\n", c, h, n, $1 * 1000 }'
}
render 1500 500
render 2000 2000


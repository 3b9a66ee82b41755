#!/usr/bin/env bash
# bench-live.sh: /api/v1/health/live vs a bare libfcgi responder vs nginx's own return 200 vs a Fastify peer, one nginx, one run.
#
# Uses what build/ (or $top_builddir) already holds: cgi/headcount-health,
# tests/bench/bare, tests/freeport; the peer (tests/bench/peer, Fastify,
# 2 node cluster processes behind the same nginx as a reverse proxy with
# upstream keepalive) is npm-installed into its folder on first use.  Not a
# pass/fail test: it prints requests/s, p50 and p99 for each target and the
# ratios between them, then the PSS of headcount and of the peer.
#
#   BENCH_SECONDS   wrk duration per target (10)
#   BENCH_WORKERS   FastCGI workers for health and bare alike (4)
#   BENCH_KEEPALIVE upstream keepalive of health (what conf/nginx ships)
#   BENCH_BARE_KEEPALIVE upstream keepalive of bare-keepconn (1): a plain
#                   libfcgi responder pins a worker per kept connection, so
#                   it must stay below BENCH_WORKERS / 2 nginx workers
#   BENCH_CONNS     wrk connections (64)
#   BENCH_PEER_WORKERS, BENCH_PEER_KEEPALIVE: the peer's processes (2) and
#                   its upstream keepalive (32), tests/bench/peer.sh
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$(dirname "$0")/peer.sh"

hc_need wrk nginx curl redis-server
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WORKERS=${BENCH_WORKERS:-4}
BENCH_KEEPALIVE=${BENCH_KEEPALIVE:-$(bench_shipped_keepalive)}
BENCH_CONNS=${BENCH_CONNS:-64}

# nginx worker_processes is 2 in the standalone conf: bare needs the rule.
if [ $((BENCH_BARE_KEEPALIVE * 2)) -ge "$BENCH_WORKERS" ]; then
	echo "bench: bare's keepalive $BENCH_BARE_KEEPALIVE x 2 nginx workers must stay below $BENCH_WORKERS FastCGI workers" >&2
	exit 1
fi

# A second server without keep-conn, so both modes are measured in one nginx.
NOKEEP_PORT=$("$top_builddir/tests/freeport")
cat >"$HC_TMP/local-http-bench.conf" <<EOF
server {
	listen 127.0.0.1:$NOKEEP_PORT;
	location /bare/ {
		include fastcgi_params;
		fastcgi_pass unix:$HC_TMP/bare.sock;
	}
	location /api/v1/health/ {
		include fastcgi_params;
		fastcgi_pass unix:$HC_TMP/health.sock;
	}
}
EOF
bench_refs_start "$BENCH_WORKERS"

have_health=0
hc_start_redis
if [ -x "$top_builddir/cgi/headcount-health" ]; then
	HEADCOUNT_ACCESS_LOG=off hc_start_program health --workers "$BENCH_WORKERS"
	have_health=1
fi
bench_peer_start
hc_start_nginx
if [ "$BENCH_KEEPALIVE" != "$(bench_shipped_keepalive)" ]; then
	bench_nginx_keepalive "$BENCH_KEEPALIVE"
fi

# bench NAME PATH: prints "NAME rps p50_ms p99_ms ..." and the CPU the
# target's processes spent per request (utime+stime from /proc, over the run;
# the nginx in front is the same for every target and not counted, except for
# nginx-200 where it is the target).
bench() {
	local name=$1 url=$2 out code pids t0 t1 n
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
	if [ "$code" != 200 ]; then
		echo "bench: $url answers $code, skipped" >&2
		return 0
	fi
	case $name in
	bare-*) pids=$(bench_tree "$(hc_pid bare)") ;;
	health-*) pids=$(bench_tree "$(hc_pid health)") ;;
	peer-*) pids=$(bench_tree "$(hc_pid peer)") ;;
	*) pids=$(bench_tree "$(hc_pid nginx)") ;;
	esac
	# shellcheck disable=SC2086
	t0=$(bench_cpu_ticks $pids)
	out=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency "$url")
	# shellcheck disable=SC2086
	t1=$(bench_cpu_ticks $pids)
	printf '%s\n' "$out" >"$HC_TMP/wrk-$name.txt"
	n=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
	printf '%s  cpu %s us/req\n' "$(printf '%s\n' "$out" | hc_wrk_summary "$name")" \
		"$(awk -v t=$((t1 - t0)) -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else printf "-" }')"
}

echo "# wrk -t1 -c$BENCH_CONNS -d${BENCH_SECONDS}s --latency; nginx 2 workers; FastCGI workers $BENCH_WORKERS; keepalive: health $BENCH_KEEPALIVE (shipped $(bench_shipped_keepalive)), bare $BENCH_BARE_KEEPALIVE"
[ "$BENCH_PEER" = 1 ] && echo "# peer: Fastify $(node -p 'require(process.argv[1] + "/node_modules/fastify/package.json").version' "$BENCH_PEER_DIR"), node $(node -p process.versions.node), $BENCH_PEER_WORKERS processes, nginx proxy keepalive $BENCH_PEER_KEEPALIVE"
results=$(
	nokeep=http://127.0.0.1:$NOKEEP_PORT
	bench nginx-200 "$HC_URL/nginx-200"
	bench bare-keepconn "$HC_URL/bare/"
	bench bare-nokeep "$nokeep/bare/"
	if [ "$have_health" = 1 ]; then
		bench health-keepconn "$HC_URL/api/v1/health/live"
		bench health-nokeep "$nokeep/api/v1/health/live"
	fi
	if [ "$BENCH_PEER" = 1 ]; then
		bench peer-fastify "$HC_URL/peer/api/v1/health/live"
	fi
)
printf '%s\n' "$results"
printf '%s\n' "$results" | awk '
	{ rps[$1] = $2 }
	function ratio(a, b) {
		if (rps[a] > 0 && rps[b] > 0)
			printf "%-34s %.2f\n", a " / " b, rps[a] / rps[b]
	}
	END {
		ratio("health-keepconn", "bare-keepconn")
		ratio("health-nokeep", "bare-nokeep")
		ratio("bare-keepconn", "nginx-200")
		ratio("bare-nokeep", "nginx-200")
		ratio("bare-keepconn", "bare-nokeep")
		ratio("health-keepconn", "health-nokeep")
		ratio("health-keepconn", "peer-fastify")
		ratio("health-nokeep", "peer-fastify")
		ratio("peer-fastify", "nginx-200")
		ratio("health-keepconn", "nginx-200")
	}'

# Memory of the health workers after the load (the goal: under 4 MiB each).
if [ "$have_health" = 1 ]; then
	master=$(hc_pid health)
	for w in $(bench_workers "$master"); do
		awk -v pid="$w" '/^VmRSS/ { printf "health worker %s RSS %.2f MiB\n", pid, $2 / 1024 }' "/proc/$w/status"
	done
fi
bench_memory "after the load"

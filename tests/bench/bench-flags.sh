#!/usr/bin/env bash
# bench-flags.sh: a flag read and an OFREP evaluation against /health/live, through one nginx, one run.
#
# Uses what build/ (or $top_builddir) already holds: cgi/headcount-health,
# cgi/headcount-flags, cgi/headcount-token, tests/freeport.  Not a pass/fail
# test: it prints requests/s, p50 and p99 of
#   live        GET  /api/v1/health/live                 (no auth, no Redis: the reference)
#   flag-read   GET  /api/v1/flags/{name}                (user token, answered from the node's copy)
#   ofrep-eval  POST /ofrep/v1/evaluate/flags/{key}      (user token, a JSON context in the body)
# their ratios to live, and the Redis commands each phase cost (INFO
# commandstats before and after), per request.  The flags program's watcher
# reads the hash once a second (HEADCOUNT_FLAGS_POLL_MS) whatever the load:
# those HGETALLs are shown apart.  health gets a Redis of its own (its
# helper PINGs twice a second), so the counts are the flags program's.
#
#   BENCH_SECONDS   wrk duration per target (10)
#   BENCH_WORKERS   FastCGI workers for health and flags alike (4)
#   BENCH_CONNS     wrk connections (64)
#   BENCH_FLAGS     flags in the hash (100)
#   BENCH_ROUNDS    rounds of the three targets, interleaved so that load from
#                   elsewhere on the machine hits all three alike (3)
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"

hc_need wrk nginx curl redis-server jq
hc_need_program health flags token
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WORKERS=${BENCH_WORKERS:-4}
BENCH_CONNS=${BENCH_CONNS:-64}
BENCH_FLAGS=${BENCH_FLAGS:-100}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}

hc_start_redis
args=()
for i in $(seq "$BENCH_FLAGS"); do args+=("bench.flag-$i" $((i % 2))); done
hc_redis HSET feature:flags "${args[@]}" checkout.new_flow 1 >/dev/null
# health's helper PINGs its Redis twice a second: a Redis of its own keeps
# the flags Redis's commandstats to what the flags program sends
redis-server --port 0 --unixsocket "$HC_TMP/redis-health.sock" --unixsocketperm 777 --save '' \
	--appendonly no --daemonize no --dir "$HC_TMP" --logfile '' </dev/null >>"$HC_TMP/redis-health.log" 2>&1 &
hc_track redis-health $!
hc_wait_until 10 test -S "$HC_TMP/redis-health.sock" || { echo "bench: second redis did not start" >&2; exit 1; }
REDIS_URL=unix://$HC_TMP/redis-health.sock HEADCOUNT_ACCESS_LOG=off hc_start_program health --workers "$BENCH_WORKERS"
HEADCOUNT_ACCESS_LOG=off hc_start_program flags --workers "$BENCH_WORKERS"
hc_start_nginx
USER=$(hc_token user bench 86400)
AUTH="Authorization: Bearer $USER"
curl -fsS -o /dev/null -H "$AUTH" "$HC_URL/api/v1/flags/checkout.new_flow" || {
	echo "bench: the flag read fails" >&2; exit 1; }

cat >"$HC_TMP/ofrep.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"context":{"targetingKey":"user-123","plan":"pro"}}'
wrk.headers["Content-Type"] = "application/json"
EOF

cmdstats() {	# "name calls" per Redis command
	hc_redis INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\).*/\1 \2/p'
}
cputicks() {	# PROGRAM: utime+stime (clock ticks) of the program's master and children
	local m
	m=$(hc_pid "$1")
	for p in $m $(pgrep -P "$m"); do cat "/proc/$p/stat" 2>/dev/null; done |
		awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
# bench NAME PROGRAM URL [WRK ARGS...]: prints "NAME rps p50 p99 | cpu | redis: ..." for one wrk run.
bench() {
	local name=$1 prog=$2 url=$3 out before after reqs c0 c1
	shift 3
	before=$(cmdstats)
	c0=$(cputicks "$prog")
	out=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --latency "$@" "$url")
	c1=$(cputicks "$prog")
	after=$(cmdstats)
	printf '%s\n' "$out" >"$HC_TMP/wrk-$name.txt"
	reqs=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
	printf '%s\n' "$out" | hc_wrk_summary "$name" | tr -d '\n'
	# CPU of the program's processes per request: less sensitive than req/s to load from elsewhere
	awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v n="$reqs" \
		'BEGIN { printf "  | %s cpu %.1f us/req", "'"$prog"'", (n > 0 ? t / hz * 1e6 / n : 0) }'
	# commands during the run, less the INFO calls of this script
	awk -v reqs="$reqs" -v secs="$BENCH_SECONDS" 'NR == FNR { b[$1] = $2; next }
		{ d = $2 - b[$1]; if ($1 == "info") d -= 1; if (d <= 0) next
		  if ($1 == "hgetall") poll += d; else { other += d; names = names " " $1 "=" d } }
		END { printf "  | redis: %d HGETALL (the watcher, %.1f/s), %d other%s = %.6f per request besides the watcher\n", poll, poll / secs, other, names, (reqs > 0 ? other / reqs : 0) }' \
		<(printf '%s\n' "$before") <(printf '%s\n' "$after")
}

echo "# wrk -t1 -c$BENCH_CONNS -d${BENCH_SECONDS}s --latency; nginx 2 workers; FastCGI workers $BENCH_WORKERS; keepalive 1; $((BENCH_FLAGS + 1)) flags"
results=$(
	for r in $(seq "$BENCH_ROUNDS"); do
		bench live health "$HC_URL/api/v1/health/live"
		bench flag-read flags "$HC_URL/api/v1/flags/checkout.new_flow" -H "$AUTH"
		bench ofrep-eval flags "$HC_URL/ofrep/v1/evaluate/flags/checkout.new_flow" -H "$AUTH" -s "$HC_TMP/ofrep.lua"
	done
)
printf '%s\n' "$results"
# per round, the ratio to the live run just before it; then the median over the rounds
printf '%s\n' "$results" | awk '
	{ for (i = 1; i < NF; i++) if ($i == "cpu") cpu = $(i + 1) }
	$1 == "live" { live = $2; lcpu = cpu }
	$1 != "live" && live > 0 { n[$1]++; r[$1, n[$1]] = $2 / live; c[$1, n[$1]] = lcpu > 0 ? cpu / lcpu : 0 }
	function median(k,   i, j, t, a, m) {
		m = n[k]; for (i = 1; i <= m; i++) a[i] = r[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		for (k in n) {
			s = ""; for (i = 1; i <= n[k]; i++) s = s sprintf(" %.2f", r[k, i])
			printf "%-12s / live: req/s median %.2f (rounds:%s)\n", k, median(k), s
			s = ""; for (i = 1; i <= n[k]; i++) { s = s sprintf(" %.2f", c[k, i]); r[k, i] = c[k, i] }
			printf "%-12s / live: CPU per request median %.2f (rounds:%s)\n", k, median(k), s
		}
	}' | sort
for f in live flag-read ofrep-eval; do
	grep -q 'Non-2xx' "$HC_TMP/wrk-$f.txt" && echo "bench: $f had non-2xx answers" >&2
done
printf 'redis clients of the flags program at rest: %s (the watcher: one subscriber, one for HGETALL; workers connect only to write)\n' \
	"$(hc_redis CLIENT LIST | grep -vc 'cmd=client')"
hc_done >/dev/null

#!/usr/bin/env bash
# bench-mixes.sh: three request mixes over a grid of --workers x nginx upstream keepalive, to choose the defaults from.
#
# Not a pass/fail test.  One Redis, one nginx (2 workers, the shipped
# conf with every headcount upstream's keepalive rewritten per cell); for
# each --workers W the programs restart with W workers, for each keepalive
# K nginx reloads, then each mix runs wrk -t1 -c$BENCH_CONNS for
# BENCH_SECONDS and prints requests/s, p50 and p99:
#
#   live        GET /api/v1/health/live (headcount-health)
#   hb+lists    POST heartbeats over BENCH_MIX_INSTANCES ids, and one in
#               BENCH_MIX_LIST_EVERY requests a GET /api/v1/health/instances
#               of those instances (headcount-instances): the tail of this
#               mix is where a request waits behind another's list
#   flags       GET /api/v1/flags/bench.flag (headcount-flags), skipped with
#               a note when cgi/headcount-flags is not built
#
# Run time is about |workers| x |keepalive| x mixes x BENCH_SECONDS (+ ~2 s
# per cell): 9 cells x 3 mixes x 3 s = 1.5 min with the defaults.
#
#   BENCH_SECONDS          wrk duration per cell and mix (3)
#   BENCH_CONNS            wrk connections (64)
#   BENCH_GRID_WORKERS     --workers values ("2 4 8")
#   BENCH_GRID_KEEPALIVE   upstream keepalive values ("1 8 32")
#   BENCH_GRID_BACKLOG     listen backlogs to try, e.g. "16 1024": a third
#                          grid axis, for programs that take --backlog N
#                          (empty, the default: the programs' own backlog)
#   BENCH_MIX_INSTANCES    registered instances in hb+lists (1000)
#   BENCH_MIX_LIST_EVERY   one list per this many requests in hb+lists (20)
. "$(dirname "$0")/../integration/setup.sh"
. "$(dirname "$0")/peer.sh"

hc_need wrk nginx curl redis-server redis-cli
hc_need_program health instances token
BENCH_SECONDS=${BENCH_SECONDS:-3}
BENCH_CONNS=${BENCH_CONNS:-64}
BENCH_GRID_WORKERS=${BENCH_GRID_WORKERS:-2 4 8}
BENCH_GRID_KEEPALIVE=${BENCH_GRID_KEEPALIVE:-1 8 32}
BENCH_MIX_INSTANCES=${BENCH_MIX_INSTANCES:-1000}
BENCH_MIX_LIST_EVERY=${BENCH_MIX_LIST_EVERY:-20}
BENCH_GRID_BACKLOG=${BENCH_GRID_BACKLOG:-}
if [ -n "$BENCH_GRID_BACKLOG" ] &&
    ! "$top_builddir/cgi/headcount-health" --help 2>&1 | grep -q -- --backlog; then
	echo "bench: BENCH_GRID_BACKLOG given, but the programs take no --backlog" >&2
	exit 1
fi

have_flags=0
[ -x "$top_builddir/cgi/headcount-flags" ] && have_flags=1
programs="health instances"
[ "$have_flags" = 1 ] && programs="$programs flags"

hc_start_redis
for p in $programs; do
	HEADCOUNT_ACCESS_LOG=off hc_start_program "$p" --workers 1
done
hc_start_nginx
OWNER=$(hc_token owner bench)
USER=$(hc_token user bench)

cat >"$HC_TMP/mix-hb-lists.lua" <<EOF
-- heartbeats over $BENCH_MIX_INSTANCES ids; every ${BENCH_MIX_LIST_EVERY}th request lists them all
local ids, every, n = $BENCH_MIX_INSTANCES, $BENCH_MIX_LIST_EVERY, 0
local hb = { ["Authorization"] = "Bearer $OWNER", ["Content-Type"] = "application/json" }
local list = nil	-- formatted on first use: wrk.headers.Host is not known when the script loads
request = function()
  n = n + 1
  if n % every == 0 then
    list = list or wrk.format("GET", "/api/v1/health/instances", { ["Authorization"] = "Bearer $USER" })
    return list
  end
  local body = '{"instance_id":"backend-' .. string.format("%05d", n % ids) .. '","hostname":"bench-host","meta":{"zone":"lon1","version":"1.2.3"}}'
  return wrk.format("POST", "/api/v1/instances/heartbeat", hb, body)
end
EOF

# restart PROGRAM W [B]: the program again with W workers (and backlog B)
restart() {
	hc_stop_program "$1"
	HEADCOUNT_ACCESS_LOG=off hc_start_program "$1" --workers "$2" ${3:+--backlog "$3"}
}
# mix W K NAME [WRK ARGS...] URL: one line (the backlog, when varied, is in W: "4/b16")
mix() {
	local w=$1 k=$2 name=$3 out
	shift 3
	out=$(wrk -t1 -c"$BENCH_CONNS" -d"${BENCH_SECONDS}s" --timeout 10s --latency "$@" |
		hc_wrk_summary "$name")
	printf 'workers %-2s keepalive %-3s %s\n' "$w" "$k" "$out"
}

echo "# wrk -t1 -c$BENCH_CONNS -d${BENCH_SECONDS}s --latency; nginx 2 workers; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# hb+lists: $BENCH_MIX_INSTANCES instances, one list in $BENCH_MIX_LIST_EVERY requests"
[ "$have_flags" = 1 ] || echo "# flags: cgi/headcount-flags is not built: that mix is skipped"
if [ "$have_flags" = 1 ]; then
	hc_redis HSET feature:flags bench.flag 1 >/dev/null
fi
start=$(date +%s)
results=""
for cell in $(for w in $BENCH_GRID_WORKERS; do
		if [ -n "$BENCH_GRID_BACKLOG" ]; then
			for b in $BENCH_GRID_BACKLOG; do echo "$w/b$b"; done
		else
			echo "$w"
		fi
	done); do
	w=$cell
	b=""
	case $cell in */b*) b=${cell#*/b}; w=${cell%%/*} ;; esac
	for p in $programs; do restart "$p" "$w" "$b"; done
	w=$cell
	for k in $BENCH_GRID_KEEPALIVE; do
		bench_nginx_keepalive "$k"
		bench_fill "$BENCH_MIX_INSTANCES"
		[ "$have_flags" = 1 ] && hc_redis HSET feature:flags bench.flag 1 >/dev/null
		line=$(mix "$w" "$k" live "$HC_URL/api/v1/health/live"); printf '%s\n' "$line"
		results="$results$line"$'\n'
		line=$(mix "$w" "$k" hb+lists -s "$HC_TMP/mix-hb-lists.lua" "$HC_URL"); printf '%s\n' "$line"
		results="$results$line"$'\n'
		if [ "$have_flags" = 1 ]; then
			line=$(mix "$w" "$k" flags -H "Authorization: Bearer $USER" \
				"$HC_URL/api/v1/flags/bench.flag"); printf '%s\n' "$line"
			results="$results$line"$'\n'
		fi
	done
done

# the best cell per mix, by requests/s and by p99
echo
echo "# per mix: the cell with the most requests/s, and the one with the lowest p99"
printf '%s' "$results" | awk '
	{ w = $2; k = $4; m = $5; rps = $6; p99 = $12
	  if (!(m in best) || rps > best[m]) { best[m] = rps; bw[m] = w " x " k }
	  if (!(m in low) || p99 < low[m]) { low[m] = p99; lw[m] = w " x " k } }
	END { for (m in best)
		printf "%-10s most req/s: workers x keepalive %-7s (%.0f req/s); lowest p99: %-7s (%.2f ms)\n",
		    m, bw[m], best[m], lw[m], low[m] }'
echo "# $(( $(date +%s) - start )) s"

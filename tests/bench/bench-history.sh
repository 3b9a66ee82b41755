#!/usr/bin/env bash
# bench-history.sh: the history report over a year of per-minute samples, through nginx.
#
# Not a pass/fail test: prints figures.  In one run:
#  1. 525,600 per-minute samples (a year) loaded by tests/bench/history-fill
#     (one transaction, through hc_history_insert: rollups and periods too);
#  2. the median time_total of curl through nginx for GET /monitoring/history:
#     one year at step 3600, one year at step 86400, one day at step 60 (goal:
#     each under 100 ms), and for comparison a year at step 5400 (no rollup:
#     read from the samples) and the year at step 3600 as CSV; each also as a
#     ratio to GET /api/v1/health/live measured in the same run;
#  3. the size of history.db;
#  4. the sampler's cost per interval: the agent sampling every second into
#     that file (Redis state, the stream, the SQLite insert), from its debug log.
#
#   BENCH_ROWS  samples loaded (525600)   BENCH_REQS  requests per query (21)
#   BENCH_SAMPLES  sampler intervals measured (15)
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"

hc_need nginx curl redis-server jq
BENCH_ROWS=${BENCH_ROWS:-525600}
BENCH_REQS=${BENCH_REQS:-21}
BENCH_SAMPLES=${BENCH_SAMPLES:-15}
fill=$top_builddir/tests/bench/history-fill
for f in "$fill" "$top_builddir/cgi/headcount-monitoring" "$top_builddir/cgi/headcount-health" \
	"$top_builddir/cgi/headcount-agent"; do
	[ -x "$f" ] || { echo "bench: $f is not built (make check TESTS=)" >&2; exit 1; }
done
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
own() {	# own PATH...: hand files made by this (root) shell to the user the programs run as
	[ "$(id -u)" != 0 ] || chown -R "$HC_RUN_UID" "$@"
}
pct() {	# pct P: the P-th percentile of stdin
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; if (NR) print v[i]; else print 0 }'
}

END=$(date +%s)
END=$((END - END % 60))
echo "# 1. load: $BENCH_ROWS per-minute samples ending $(date -u -d @"$END" +%FT%TZ)"
"$fill" "$HC_TMP/data" "$BENCH_ROWS" "$END"
own "$HC_TMP/data"

export HEADCOUNT_ACCESS_LOG=off
hc_start_redis
hc_start_program health --workers 2
hc_start_program monitoring --workers 2
hc_start_nginx
USER=$(hc_token user bench)

ms() {	# ms PATH: median time_total (ms) of BENCH_REQS GETs, after one warm-up
	local i code
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $USER" "$HC_URL$1")
	[ "$code" = 200 ] || { echo "bench: $1 answers $code" >&2; exit 1; }
	for i in $(seq 1 "$BENCH_REQS"); do
		curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $USER" "$HC_URL$1"
	done | awk '{ printf "%.3f\n", $1 * 1000 }' | median
}
iso() { date -u -d @"$1" +%FT%TZ; }
YEAR="from=$(iso $((END - 365 * 86400)))&to=$(iso "$END")"
DAY="from=$(iso $((END - 86400)))&to=$(iso "$END")"
H=/api/v1/monitoring/history

echo "# 2. median of $BENCH_REQS requests through nginx (curl time_total), ratio to /health/live"
ref=$(ms /api/v1/health/live)
row() {	# row NAME PATH
	local t n
	t=$(ms "$2")
	n=$(curl -s -H "Authorization: Bearer $USER" "$HC_URL$2" | { case $2 in
		*format=csv*) tail -n +2 | wc -l ;;
		*) jq '.points | length' ;;
		esac; })
	awk -v name="$1" -v t="$t" -v r="$ref" -v n="$n" \
		'BEGIN { printf "%-38s %8.2f ms  %6.1fx live  (%s points)\n", name, t, (r > 0 ? t / r : 0), n }'
}
printf '%-38s %8.2f ms\n' "reference: GET /api/v1/health/live" "$ref"
row "one year, step 3600 (JSON)" "$H?$YEAR&step=3600"
row "one year, step 86400 (JSON)" "$H?$YEAR&step=86400"
row "one day, step 60 (JSON)" "$H?$DAY&step=60"
row "one year, step 3600 (CSV)" "$H?$YEAR&step=3600&format=csv"
row "one year, step 5400 (samples, no rollup)" "$H?$YEAR&step=5400"

echo "# 3. file size"
ls -l "$HC_TMP/data"/history.db* | awk '{ printf "%-12s %12d bytes\n", $NF, $5 }' | sed "s|$HC_TMP/data/||"
awk -v b="$(stat -c %s "$HC_TMP/data/history.db")" -v n="$BENCH_ROWS" \
	'BEGIN { printf "%.1f MiB, %.0f bytes per sample (samples, rollups, periods, indexes)\n", b / 1048576, b / n }'

echo "# 4. sampler cost per interval (agent, HEADCOUNT_HISTORY_INTERVAL=1, into this file)"
HEADCOUNT_LOG_LEVEL=debug HEADCOUNT_HISTORY_INTERVAL=1 DESIRED_REPLICAS=2 \
	HEADCOUNT_INSTANCE_ID=bench-node hc_start_agent
sampled() { [ "$(grep -c '"history: interval' "$HC_TMP/agent.log" || true)" -ge $((BENCH_SAMPLES + 1)) ]; }
hc_wait_until $((BENCH_SAMPLES + 20)) sampled || { echo "bench: the agent did not sample" >&2; exit 1; }
# The first interval (the agent's start) is left out.
grep '"history: interval' "$HC_TMP/agent.log" | sed 1d | head -n "$BENCH_SAMPLES" |
	sed -n 's/.*copied, \([0-9.]*\) ms.*/\1/p' >"$HC_TMP/sampler.txt"
ping=$(for i in $(seq 1 21); do
	s=$(date +%s%N); hc_redis PING >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 ))
done | median)
awk -v m="$(median <"$HC_TMP/sampler.txt")" -v p="$(pct 90 <"$HC_TMP/sampler.txt")" -v n="$BENCH_SAMPLES" \
	'BEGIN { printf "sampler: median %.3f ms, p90 %.3f ms per interval (%d intervals)\n", m, p, n }'
echo "(for scale: one redis-cli PING from the shell, process start included: $((ping / 1000)).$(printf '%03d' $((ping % 1000))) ms)"
hc_stop_agent
rows=$(redis-cli -s "$HC_TMP/redis.sock" XLEN headcount:history:samples)
echo "stream: $rows sample(s) in Redis (capped at HEADCOUNT_HISTORY_STREAM_LEN)"

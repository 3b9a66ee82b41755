#!/usr/bin/env bash
# bench-profile.sh: instructions per /health/live request (callgrind) of a headcount worker vs the bare libfcgi responder, and where they go.
#
# Not a pass/fail test.  Instruction counts do not depend on what else the
# machine runs, unlike wall-clock figures: this is the stable before/after
# measure of the per-request cost.  One worker each, under valgrind
# --tool=callgrind, behind the bench's nginx (keep-conn, keepalive as
# conf/nginx ships it for health, BENCH_BARE_KEEPALIVE for bare); after a
# warm-up, callgrind_control dumps and zeroes the worker's counters, then
# BENCH_PROFILE_REQUESTS requests go through nginx one after the other and
# a second dump holds exactly their cost.  Prints instructions per request
# for both, the ratio, the worker's self cost by function per request, and
# the inclusive cost of headcount's own functions (the access line, the
# pipeline, the handler...), highest first; the dumps stay in the kept temp directory with
# HC_KEEP_TMP=1 (callgrind_annotate, kcachegrind).
#
#   BENCH_PROFILE_REQUESTS  requests measured per target (2000)
#   BENCH_PROFILE_TOP       functions listed (20)
#   BENCH_ACCESS_LOG        HEADCOUNT_ACCESS_LOG for health (unset: the
#                           program's default, as shipped)
. "$(dirname "$0")/../integration/setup.sh"
. "$(dirname "$0")/peer.sh"

hc_need valgrind callgrind_control callgrind_annotate nginx curl redis-server
hc_need_program health
if grep -q '^#define HC_SANITIZED 1' "$top_builddir/config.h" 2>/dev/null; then
	echo "bench: valgrind cannot run a sanitizer build" >&2
	exit 1
fi
N=${BENCH_PROFILE_REQUESTS:-2000}
TOP=${BENCH_PROFILE_TOP:-20}
[ -n "${BENCH_ACCESS_LOG:-}" ] && export HEADCOUNT_ACCESS_LOG=$BENCH_ACCESS_LOG

cg() {	# cg NAME: the valgrind wrapper writing $HC_TMP/cg-NAME.PID.out
	printf 'valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=%s/cg-%s.%%p.out' "$HC_TMP" "$1"
}

hc_start_redis
BENCH_BARE_WRAP=$(cg bare) bench_refs_start 1
hc_wait_until 30 bash -c "pgrep -P $(hc_pid bare) >/dev/null"
HC_WRAP=$(cg health) HC_WORKERS=1 hc_start_program health
hc_start_nginx

# requests URL N: N GETs on one curl (one kept connection to nginx); prints how many answered 200
requests() {
	local url=$1 n=$2 i
	for i in $(seq "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$HC_TMP/curl.cfg"
	curl -s --max-time 600 -w '%{http_code}\n' -K "$HC_TMP/curl.cfg" | grep -c '^200$' || true
}

# ir FILE: the Ir total of a callgrind dump
ir() {
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

# profile NAME URL: prints "NAME Ir/request" after measuring the single worker of NAME
profile() {
	local name=$1 url=$2 w n before dump
	w=$(pgrep -P "$(hc_pid "$name")" | head -n 1)
	[ -n "$w" ] || { echo "bench: $name has no worker" >&2; exit 1; }
	n=$(requests "$url" 200)
	[ "$n" = 200 ] || { echo "bench: $url: $n of 200 warm-up requests answered 200" >&2; exit 1; }
	callgrind_control -d "$w" >/dev/null 2>&1
	before=$(ls "$HC_TMP"/cg-"$name"."$w".out.* 2>/dev/null | wc -l)
	n=$(requests "$url" "$N")
	callgrind_control -d "$w" >/dev/null 2>&1
	dump=$HC_TMP/cg-$name.$w.out.$((before + 1))
	hc_wait_until 30 test -s "$dump" || { echo "bench: no dump $dump" >&2; exit 1; }
	[ "$n" = "$N" ] || echo "bench: $url: only $n of $N answered 200" >&2
	printf '%s %s %s\n' "$name" "$(ir "$dump")" "$n" >>"$HC_TMP/profile.txt"
	printf '%s\n' "$dump" >"$HC_TMP/dump-$name"
}

: >"$HC_TMP/profile.txt"
profile bare "$HC_URL/bare/"
profile health "$HC_URL/api/v1/health/live"

echo "# callgrind, one worker each behind nginx (keep-conn), $N GET requests one after another;" \
	"health keepalive $(bench_shipped_keepalive), bare $BENCH_BARE_KEEPALIVE; access log ${HEADCOUNT_ACCESS_LOG:-as shipped}"
awk '{ per[$1] = $2 / $3; printf "%-16s %10.0f instructions/request  (%s Ir over %s requests)\n", $1 " live", $2 / $3, $2, $3 }
	END { if (per["bare"] > 0) printf "%-16s %10.2f\n", "health / bare", per["health"] / per["bare"] }' \
	"$HC_TMP/profile.txt"

echo
echo "# the health worker's self cost per request, by function (callgrind_annotate, highest first)"
total=$(ir "$(cat "$HC_TMP/dump-health")")
callgrind_annotate --inclusive=no --threshold=100 --auto=no "$(cat "$HC_TMP/dump-health")" 2>/dev/null |
	sed -n -E 's/^ *([0-9,]+) \( *([0-9.]+)%\)  ([^ ]+)( \[(.*)\])?$/\1|\2|\3|\5/p' |
	awk -F'|' -v n="$N" -v top="$TOP" -v total="$total" '
		{
			ir = $1; gsub(",", "", ir)
			if (ir + 0 >= total + 0) next		# the call chain down to the loop, not a cost
			fn = $3; file = fn
			sub(/:[^:]*$/, "", file); sub(/^.*:/, "", fn); sub(/^.*\//, "", file)
			lib = $4; sub(/^.*\//, "", lib)
			where = (file == "???") ? lib : file
			if (shown++ < top) printf "  %9.1f  %5.2f%%  %s (%s)\n", ir / n, $2, fn, where
		}'

echo
echo "# the health worker's own functions (lib/, cgi/), inclusive cost per request, highest first"
callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$(cat "$HC_TMP/dump-health")" 2>/dev/null |
	sed -n -E 's/^ *([0-9,]+) \( *([0-9.]+)%\)  ([^ ]+)( \[(.*)\])?$/\1|\2|\3|\5/p' |
	awk -F'|' -v n="$N" -v top="$TOP" -v total="$total" '
		$3 ~ /\/(lib|cgi)\/[^\/]*:/ {
			ir = $1; gsub(",", "", ir)
			if (ir + 0 >= total + 0) next
			fn = $3; file = fn
			sub(/:[^:]*$/, "", file); sub(/^.*:/, "", fn); sub(/^.*\//, "", file)
			if (seen[fn]++) next		# listed once per caller object
			if (shown++ < top) printf "  %9.1f  %5.2f%%  %s (%s)\n", ir / n, $2, fn, file
		}'

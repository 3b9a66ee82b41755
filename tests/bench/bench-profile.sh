#!/usr/bin/env bash
# bench-profile.sh: instructions per /health/live request (callgrind) of a headcount worker vs the bare libfcgi responder, and where they go.
#
# Not a pass/fail test.  Instruction counts do not depend on what else the
# machine runs, unlike wall-clock figures: this is the stable before/after
# measure of the per-request cost.  One worker each, under valgrind
# --tool=callgrind, behind the bench's nginx (keep-conn, keepalive as
# conf/nginx ships it for health, BENCH_BARE_KEEPALIVE for bare).  Each
# target runs twice: W warm-up requests then stop, and W + N requests then
# stop; the worker's callgrind totals at exit, second minus first, divided
# by N, are its cost per request, start-up and exit cancelling out (no
# callgrind_control: vgdb cannot reach a worker that dropped root).  Prints
# instructions per request for both, the ratio, the worker's self cost by
# function per request, and the inclusive cost of headcount's own
# functions (the access line, the pipeline, the handler...), highest
# first.  HC_KEEP_TMP=1 keeps the dumps (callgrind_annotate, kcachegrind).
#
#   BENCH_PROFILE_REQUESTS  N, requests measured per target (2000)
#   BENCH_PROFILE_WARMUP    W (200)
#   BENCH_PROFILE_TOP       functions listed (20)
#   BENCH_ACCESS_LOG        HEADCOUNT_ACCESS_LOG for health (unset: the
#                           program's default, as shipped)
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/../integration/setup.sh"
. "$(dirname "$0")/peer.sh"

hc_need valgrind callgrind_annotate nginx curl redis-server
hc_need_program health
if grep -q '^#define HC_SANITIZED 1' "$top_builddir/config.h" 2>/dev/null; then
	echo "bench: valgrind cannot run a sanitizer build" >&2
	exit 1
fi
N=${BENCH_PROFILE_REQUESTS:-2000}
W=${BENCH_PROFILE_WARMUP:-200}
TOP=${BENCH_PROFILE_TOP:-20}
[ -n "${BENCH_ACCESS_LOG:-}" ] && export HEADCOUNT_ACCESS_LOG=$BENCH_ACCESS_LOG

# the dumps: written at exit by workers that may have dropped root (--user)
mkdir -p "$HC_TMP/cg"
chmod 1777 "$HC_TMP/cg"
cg() {	# cg NAME: the valgrind wrapper writing $HC_TMP/cg/cg-NAME.PID.out
	printf 'valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=%s/cg/cg-%s.%%p.out' "$HC_TMP" "$1"
}
start() {	# start NAME: one worker under callgrind
	case $1 in
	bare)	BENCH_BARE_WRAP=$(cg bare) bench_refs_start 1 ;;
	*)	HC_WRAP=$(cg "$1") HC_WORKERS=1 hc_start_program "$1" ;;
	esac
	hc_wait_until 30 pgrep -P "$(hc_pid "$1")" ||
		{ echo "bench: $1 has no worker" >&2; exit 1; }
}

hc_start_redis
start bare
start health
hc_start_nginx

# requests URL N: N GETs on one curl (one kept connection to nginx); prints how many answered 200
requests() {
	local url=$1 n=$2
	for _ in $(seq "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$HC_TMP/curl.cfg"
	curl -s --max-time 900 -w '%{http_code}\n' -K "$HC_TMP/curl.cfg" | grep -c '^200$' || true
}

# ir FILE: the Ir total of a callgrind dump
ir() {
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

# run NAME URL COUNT: COUNT requests to a fresh worker, then stop it (in this
# shell, not a $(...): hc_stop must untrack it); RUN_DUMP, RUN_OK: its dump
# and how many requests answered 200
run() {
	local name=$1 url=$2 count=$3 w
	w=$(bench_workers "$(hc_pid "$name")" | head -n 1)
	requests "$url" 5 >/dev/null	# nginx finds the fresh socket (its kept connection died)
	RUN_OK=$(requests "$url" "$count")
	[ "$RUN_OK" = "$count" ] || echo "bench: $url: $RUN_OK of $count answered 200" >&2
	hc_stop "$name"
	RUN_DUMP=$HC_TMP/cg/cg-$name.$w.out
	hc_wait_until 30 test -s "$RUN_DUMP" ||
		{ echo "bench: no callgrind dump from $name's worker $w" >&2; exit 1; }
}

# profile NAME URL: two runs; "NAME Ir_per_request Ir requests" into profile.txt
profile() {
	local name=$1 url=$2 a na
	run "$name" "$url" "$W"
	a=$RUN_DUMP na=$RUN_OK
	start "$name"
	run "$name" "$url" $((W + N))
	printf '%s %s %s\n' "$a" "$RUN_DUMP" $((RUN_OK - na)) >"$HC_TMP/dumps-$name"
	awk -v n="$name" -v a="$(ir "$a")" -v b="$(ir "$RUN_DUMP")" -v r=$((RUN_OK - na)) \
		'BEGIN { if (r > 0) printf "%s %.1f %s %s\n", n, (b - a) / r, b - a, r }' >>"$HC_TMP/profile.txt"
}

# per_function INCLUSIVE(yes|no): "function|where|Ir per request" of the health
# worker, the difference of the two runs, highest first
per_function() {
	local f a b n
	read -r a b n <"$HC_TMP/dumps-health"
	for f in "$a" "$b"; do
		echo "== $f"
		callgrind_annotate --inclusive="$1" --threshold=100 --auto=no "$f" 2>/dev/null |
			sed -n -E 's/^ *([0-9,]+) \( *([0-9.]+)%\)  ([^ ]+)( \[(.*)\])?$/\1|\3|\5/p'
	done | awk -F'|' -v n="$n" '
		/^== / { run++; next }
		{
			ir = $1; gsub(",", "", ir)
			fn = $2; file = fn
			sub(/:[^:]*$/, "", file); sub(/^.*:/, "", fn); sub(/^.*\//, "", file)
			lib = $3; sub(/^.*\//, "", lib)
			where = (file == "???") ? lib : file
			own = ($2 ~ /\/(lib|cgi)\/[^\/]*:/) ? 1 : 0
			k = fn "|" where "|" own
			if (run == 1) { if (!(k in a)) a[k] = ir } else if (!(k in b)) b[k] = ir
		}
		END { for (k in b) printf "%s|%.1f\n", k, (b[k] - a[k]) / n }' | sort -t'|' -k4 -g -r
}

: >"$HC_TMP/profile.txt"
profile bare "$HC_URL/bare/"
profile health "$HC_URL/api/v1/health/live"

echo "# callgrind, one worker each behind nginx (keep-conn), $N GET requests one after another" \
	"(runs of $W and $W + $N, subtracted); health keepalive $(bench_shipped_keepalive), bare $BENCH_BARE_KEEPALIVE;" \
	"access log ${HEADCOUNT_ACCESS_LOG:-as shipped}"
awk '{ per[$1] = $2; printf "%-16s %10.0f instructions/request  (%s Ir for %s requests)\n", $1 " live", $2, $3, $4 }
	END { if (per["bare"] > 0) printf "%-16s %10.2f\n", "health / bare", per["health"] / per["bare"] }' \
	"$HC_TMP/profile.txt"
total=$(awk '$1 == "health" { print $2 }' "$HC_TMP/profile.txt")

echo
echo "# the health worker's self cost per request, by function (callgrind_annotate, highest first)"
per_function no | awk -F'|' -v top="$TOP" -v t="$total" '$4 > 0 && shown++ < top {
	printf "  %9.1f  %5.1f%%  %s (%s)\n", $4, 100 * $4 / t, $1, $2 }'

echo
echo "# the health worker's own functions (lib/, cgi/), inclusive cost per request, highest first"
per_function yes | awk -F'|' -v top="$TOP" -v t="$total" '
	$3 == 1 && $4 > 0 && $4 < t * 0.999 && shown++ < top {
	printf "  %9.1f  %5.1f%%  %s (%s)\n", $4, 100 * $4 / t, $1, $2 }'

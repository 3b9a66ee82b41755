#!/bin/sh
# run.sh: runs every libFuzzer harness of tests/fuzz on its seed corpus; TAP, one line per harness.
#
#   FUZZ_SECONDS=N   time per harness (default 3, as make check runs it)
#   FUZZ_RUNS=N      executions per harness instead of a time (-runs=N)
#   FUZZ_MAX_SECONDS=N  with FUZZ_RUNS: stop a harness after N s all the same
#   FUZZ_ONLY="a b"  only these harnesses (names without fuzz_)
#   FUZZ_KEEP=1      keep the work directory (new inputs, logs)
# The seed corpus (tests/fuzz/corpus/<name>) is read, never written: new
# inputs go to a work directory; a crash is copied next to the log and
# named in the TAP line, to be fixed and added to the corpus as a regression case.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
HARNESSES="query request instances monitoring health jwt route settings cidr redis_url provider sentinel events flags"
[ -n "${FUZZ_ONLY:-}" ] && HARNESSES=$FUZZ_ONLY
work=$(mktemp -d "${TMPDIR:-/tmp}/headcount-fuzz.XXXXXX")
n=0 failed=0
for h in $HARNESSES; do
	n=$((n + 1))
	bin=$top_builddir/tests/fuzz/fuzz_$h
	seeds=$top_srcdir/tests/fuzz/corpus/$h
	if [ ! -x "$bin" ]; then
		printf 'not ok %d - fuzz_%s: not built (./configure --enable-fuzzing)\n' "$n" "$h"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work/$h"
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit="-runs=$FUZZ_RUNS${FUZZ_MAX_SECONDS:+ -max_total_time=$FUZZ_MAX_SECONDS}"
	else
		limit="-max_total_time=${FUZZ_SECONDS:-3}"
	fi
	t0=$(date +%s)
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$bin" $limit -max_len="${FUZZ_MAX_LEN:-8192}" -rss_limit_mb=1024 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$work/$h-" \
		"$work/$h" "$seeds" >"$work/$h.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$h.log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/$h.log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		printf 'ok %d - fuzz_%s: %s execs in %s s (%s/s), %s, no crash, leak or UB\n' \
			"$n" "$h" "${execs:-?}" "$secs" "${speed:-?}" "${cov:-cov ?}"
	else
		failed=$((failed + 1))
		printf 'not ok %d - fuzz_%s: exit %s after %s execs; artifact %s\n' "$n" "$h" "$rc" \
			"${execs:-?}" "$(ls "$work/$h-"* 2>/dev/null | head -n 1)"
		grep -m 30 -E 'ERROR|runtime error|SUMMARY|#[0-9]+ 0x' "$work/$h.log" | sed 's/^/# /'
		FUZZ_KEEP=1
	fi
done
printf '1..%d\n' "$n"
if [ -n "${FUZZ_KEEP:-}" ]; then
	printf '# kept %s\n' "$work"
else
	rm -rf "$work"
fi
[ "$failed" = 0 ]

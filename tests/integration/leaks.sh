#!/usr/bin/env bash
# leaks.sh: a health worker under valgrind serves 10,000 mixed requests through nginx, then drains: no leak, no error.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need valgrind wrk redis-server nginx curl
if grep -q '^#define HC_SANITIZED 1' "$top_builddir/config.h" 2>/dev/null; then
	# valgrind cannot run AddressSanitizer binaries; LeakSanitizer covers this build.
	printf '1..0 # SKIP valgrind cannot run a sanitizer build\n'
	exit 0
fi

hc_start_redis
HC_WRAP="valgrind --quiet --trace-children=yes --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=$HC_TMP/vg.%p.log" \
HC_WORKERS=1 HEADCOUNT_ACCESS_LOG=off hc_start_program health
hc_start_nginx

user=$(hc_token user)
# Every kind of answer the pipeline gives: 200, 503-free ready, 401, 403, 404, 405, 413.
cat >"$HC_TMP/mix.lua" <<LUA
local i = 0
local big = string.rep("x", 70000)
local reqs = {
  wrk.format("GET", "/api/v1/health/live"),
  wrk.format("GET", "/api/v1/health/ready"),
  wrk.format("GET", "/api/v1/health/detailed", { ["Authorization"] = "Bearer $user" }),
  wrk.format("GET", "/api/v1/health/detailed", { ["Authorization"] = "Bearer x.y.z" }),
  wrk.format("GET", "/api/v1/health/detailed"),
  wrk.format("GET", "/api/v1/health/nope?a=%zz"),
  wrk.format("DELETE", "/api/v1/health/live"),
  wrk.format("POST", "/api/v1/health/live", nil, big),
  wrk.format("GET", "/api/v1/health/live?x=1&x=2&y=%41"),
}
request = function()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
LUA

total=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	n=$(wrk -t1 -c4 -d5s -s "$HC_TMP/mix.lua" "$HC_URL" 2>/dev/null |
		awk '/requests in/ { print $1 }')
	total=$((total + ${n:-0}))
	[ "$total" -ge 10000 ] && break
done
hc_ok "at least 10,000 requests served under valgrind ($total)" test "$total" -ge 10000
hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "the worker still answers after the load"

hc_stop_program health
hc_is "$HC_EXIT" 0 "the program drained and exited 0 under valgrind"
logs=$(ls "$HC_TMP"/vg.*.log 2>/dev/null | wc -l)
hc_ok "valgrind wrote a report for the master and the worker ($logs)" test "$logs" -ge 2
leaks=$(cat "$HC_TMP"/vg.*.log | grep -E 'definitely lost|indirectly lost|Invalid (read|write)|uninitialised|ERROR SUMMARY: [1-9]' || true)
hc_is "$leaks" "" "no leak and no memory error in any process"
hc_done

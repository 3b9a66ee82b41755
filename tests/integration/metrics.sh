#!/bin/sh
# metrics.sh: /metrics through nginx: families, counts across workers and programs, worker death, Redis down, access rule.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need curl promtool
hc_need_program health metrics token

# keep-conn pins one FastCGI worker per nginx worker: 3 leaves one free
export HC_WORKERS=3
export DESIRED_REPLICAS=3
hc_start_redis
hc_start_program health
hc_start_program metrics
hc_start_nginx

MAUTH=""	# an Authorization header for scrapes, once the allowlist excludes us
metrics() {	# fetches /metrics into $HC_TMP/metrics.txt; 0 when 200
	hc_req GET /metrics ${MAUTH:+-H "$MAUTH"} "$@"
	printf '%s\n' "$HC_BODY" >"$HC_TMP/metrics.txt"
	[ "$HC_STATUS" = 200 ]
}
val() {		# val 'name{labels}': the sample's value in the last scrape, or "none"
	awk -v k="$1" 'index($0, k " ") == 1 { print $NF; f = 1; exit } END { if (!f) print "none" }' \
		"$HC_TMP/metrics.txt"
}
live_count() {	# the live 200 count as /metrics reports it now
	metrics >/dev/null 2>&1 || true
	val 'http_requests_total{program="health",method="GET",route="/api/v1/health/live",status="200"}'
}
count_is() {	# count_is N: for hc_wait_until
	[ "$(live_count)" = "$1" ]
}

# ------------------------------------------------------------ traffic and counts
for i in $(seq 1 25); do hc_req GET /api/v1/health/live; done
hc_is "$HC_STATUS" 200 "live answers"
for i in 1 2 3; do hc_req GET "/api/v1/health/no-such-$i"; done
hc_is "$HC_STATUS" 404 "unknown path: 404"
hc_req POST /api/v1/health/live
hc_is "$HC_STATUS" 405 "wrong method: 405"

hc_ok "GET /metrics answers 200" metrics
hc_like "$HC_CTYPE" '^text/plain; version=0\.0\.4' "content type of the text format 0.0.4"
hc_is "$(live_count)" 25 "25 live requests counted over all workers"
hc_is "$(val 'http_requests_total{program="health",method="GET",route="unmatched",status="404"}')" 3 \
	"unknown paths count under route=\"unmatched\""
hc_is "$(val 'http_requests_total{program="health",method="POST",route="/api/v1/health/live",status="405"}')" 1 \
	"405 counted under the pattern of the known path"
if grep -q 'no-such' "$HC_TMP/metrics.txt"; then
	hc_ok "raw paths never become labels" false
else
	hc_ok "raw paths never become labels" true
fi
hc_is "$(val 'http_request_duration_seconds_count{program="health",route="/api/v1/health/live"}')" 26 \
	"histogram _count of live (25 GETs and the 405)"
hc_is "$(val 'http_request_duration_seconds_bucket{program="health",route="/api/v1/health/live",le="+Inf"}')" 26 \
	"+Inf bucket equals _count"
hc_like "$(val 'http_requests_total{program="metrics",method="GET",route="/metrics",status="200"}')" '^[1-9]' \
	"the metrics program counts its own earlier scrapes"

for fam in http_requests_total http_request_duration_seconds headcount_instances_active \
	headcount_instances_stale headcount_instances_desired headcount_heartbeats_total \
	headcount_flag_changes_total headcount_redis_up headcount_redis_errors_total \
	process_resident_memory_bytes process_cpu_seconds_total process_start_time_seconds \
	process_open_fds headcount_workers_busy headcount_workers_idle \
	headcount_requests_accepted_total headcount_workers_all_busy_total \
	headcount_slow_requests_total headcount_requests_handed_over_total \
	headcount_metrics_dropped_total; do
	hc_is "$(grep -c "^# TYPE $fam " "$HC_TMP/metrics.txt")" 1 "family $fam: one TYPE line"
done
for fam in process_resident_memory_bytes process_cpu_seconds_total process_start_time_seconds process_open_fds; do
	hc_like "$(val "$fam{program=\"health\"}")" '^[0-9.e+]+$' "$fam{program=\"health\"} has a value"
done
hc_is "$(val 'headcount_workers_idle{program="health"}')" 3 "3 idle health workers"
hc_is "$(val 'headcount_workers_busy{program="metrics"}')" 1 "the scraping worker is busy"
hc_is "$(val headcount_redis_up)" 1 "redis up"
hc_is "$(val headcount_instances_desired)" 3 "desired from DESIRED_REPLICAS while no status is stored"
hc_is "$(val headcount_instances_active)" 0 "no instance registered"

out=$(promtool check metrics <"$HC_TMP/metrics.txt" 2>&1) && rc=0 || rc=$?
hc_is "$rc:$out" "0:" "promtool check metrics reports nothing"

# ------------------------------------------------------------ fleet gauges from Redis
now_ms=$(( $(hc_redis TIME | head -1) * 1000 ))
hc_redis ZADD headcount:instances "$now_ms" fresh-1 "$now_ms" fresh-2 $((now_ms - 3600000)) old-1 >/dev/null
hc_redis HSET headcount:replicas:status desired 2 status over_replicated >/dev/null
hc_redis SET headcount:self_preservation "$now_ms" >/dev/null
metrics || true
hc_is "$(val headcount_instances_active)" 2 "active instances from the registry"
hc_is "$(val headcount_instances_stale)" 1 "stale instances from the registry"
hc_is "$(val headcount_instances_desired)" 2 "desired from the stored replica status"
hc_is "$(val headcount_self_preservation)" 1 "self-preservation flag"

# ------------------------------------------------------------ a worker's death loses nothing
master=$(hc_pid health)
workers=$(hc_workers "$master" | tr '\n' ' ')
hc_like "$workers" '^[0-9]+ [0-9]+ [0-9]+ $' "three health workers: $workers"
for w in $workers; do kill -KILL "$w"; done
hc_diag "SIGKILLed every health worker: $workers"
new_workers() { [ "$(hc_workers "$master" | wc -l)" = 3 ] && ! hc_workers "$master" | grep -qx "${workers%% *}"; }
hc_ok "the master replaced them" hc_wait_until 10 new_workers
hc_is "$(live_count)" 25 "the 25 counts survive the SIGKILL of the workers that made them"
idle_is() { metrics && [ "$(val 'headcount_workers_idle{program="health"}')" = "$1" ]; }
hc_ok "dead workers leave the gauges: 3 idle again" hc_wait_until 10 idle_is 3
hc_req GET /api/v1/health/live
hc_is "$(live_count)" 26 "new workers add to the same counter"

# ------------------------------------------------------------ Redis down: still 200, redis_up 0
hc_stop_redis
hc_ok "GET /metrics with Redis down answers 200" metrics
hc_is "$(val headcount_redis_up)" 0 "headcount_redis_up 0"
hc_is "$(val headcount_instances_active)" none "no active sample while Redis is down"
hc_is "$(val headcount_instances_desired)" none "no desired sample while Redis is down"
redis_errors_counted() { metrics && [ "$(val 'headcount_redis_errors_total{program="metrics"}')" -ge 1 ]; }
hc_ok "the failed read is counted in headcount_redis_errors_total" hc_wait_until 5 redis_errors_counted
out=$(promtool check metrics <"$HC_TMP/metrics.txt" 2>&1) && rc=0 || rc=$?
hc_is "$rc:$out" "0:" "promtool check metrics clean with Redis down"
hc_start_redis
redis_back() { metrics && [ "$(val headcount_redis_up)" = 1 ]; }
hc_ok "headcount_redis_up 1 once Redis is back" hc_wait_until 5 redis_back

# /metrics takes no query key: from the allowlist a stray one is a 400 too
hc_req GET '/metrics?name[]=x'
hc_is "$HC_STATUS" 400 "a query key on /metrics: 400"
hc_is "$HC_CTYPE" application/problem+json "…as problem+json"

# ------------------------------------------------------------ access rule outside the allowlist
hc_stop_program metrics
HEADCOUNT_METRICS_ALLOW=192.0.2.0/24 hc_start_program metrics
metrics || true
hc_is "$HC_STATUS" 401 "outside the allowlist without a token: 401"
hc_is "$HC_CTYPE" application/problem+json "401 is problem+json"
hc_like "$(hc_header WWW-Authenticate)" '^Bearer' "401 carries WWW-Authenticate: Bearer"
metrics -H "Authorization: Bearer not.a.token" || true
hc_is "$HC_STATUS" 401 "a malformed token: 401"
bad=$(hc_jwt_sign '{"alg":"none","typ":"JWT"}' '{"sub":"x","role":"owner","exp":9999999999}')
metrics -H "Authorization: Bearer $bad" || true
hc_is "$HC_STATUS" 401 "alg none: 401"
hc_req GET '/metrics?x=1'
hc_is "$HC_STATUS" 401 "outside the allowlist, a query key, no token: 401 (auth before input)"
hc_req GET '/metrics?x=1' -H "Authorization: Bearer $(hc_token user)"
hc_is "$HC_STATUS" 400 "with a token, a query key /metrics does not take: 400"
hc_like "$(hc_json .detail)" '"x" is not accepted' "the 400 names the key"
for role in user admin owner instance; do
	metrics -H "Authorization: Bearer $(hc_token "$role")" || true
	hc_is "$HC_STATUS" 200 "a valid $role token may read /metrics"
done
MAUTH="Authorization: Bearer $(hc_token user)"
hc_req POST /metrics
hc_is "$HC_STATUS" 405 "POST /metrics: 405"
hc_like "$(hc_header Allow)" GET "Allow names GET"

# ------------------------------------------------------------ HEADCOUNT_METRICS=off records nothing
hc_stop_program health
HEADCOUNT_METRICS=off hc_start_program health
before=$(live_count)
for i in 1 2 3; do hc_req GET /api/v1/health/live; done
hc_is "$HC_STATUS" 200 "live still answers with metrics off"
metrics || true
hc_is "$(val 'http_requests_total{program="health",method="GET",route="/api/v1/health/live",status="200"}')" "$before" \
	"HEADCOUNT_METRICS=off: not counted"

hc_done

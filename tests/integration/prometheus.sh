#!/bin/sh
# prometheus.sh: a real Prometheus scrapes the suite behind nginx; counts, every dashboard and alert expression, worker death.
. "$(dirname "$0")/setup.sh"

hc_need prometheus promtool jq curl
hc_need_program health metrics token

export HC_WORKERS=3
hc_start_redis
hc_start_program health
hc_start_program metrics
hc_start_nginx

# ------------------------------------------------------------ Prometheus on a free loopback port
PPORT=$("$top_builddir/tests/freeport")
PROM=http://127.0.0.1:$PPORT
mkdir -p "$HC_TMP/prom/data"
cat >"$HC_TMP/prom/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $top_srcdir/conf/prometheus/alerts.yml
scrape_configs:
  - job_name: headcount
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:$HC_PORT"]
EOC
prometheus --config.file="$HC_TMP/prom/prometheus.yml" --storage.tsdb.path="$HC_TMP/prom/data" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn \
	</dev/null >>"$HC_TMP/prometheus.log" 2>&1 &
hc_track prometheus $!
prom_ready() { curl -sf --max-time 1 "$PROM/-/ready" >/dev/null; }
hc_wait_until 30 prom_ready || hc_bail "prometheus did not become ready on $PROM within 30 s"

# q EXPR: the instant query's JSON answer (status, data) in $HC_TMP/q.json
q() {
	curl -s --max-time 5 -G "$PROM/api/v1/query" --data-urlencode "query=$1" >"$HC_TMP/q.json" || true
}
# qv EXPR: the first sample's value, or "none"
qv() {
	q "$1"
	jq -r 'if .status == "success" and (.data.result | length) > 0 then .data.result[0].value[1] else "none" end' \
		"$HC_TMP/q.json" 2>/dev/null || echo none
}
qv_is() { [ "$(qv "$1")" = "$2" ]; }	# qv_is EXPR VALUE: for hc_wait_until

hc_ok "Prometheus scrapes /metrics through nginx (up == 1)" \
	hc_wait_until 20 qv_is 'up{job="headcount"}' 1

# ------------------------------------------------------------ the counts it reports match the requests sent
LIVE='http_requests_total{job="headcount",program="health",method="GET",route="/api/v1/health/live",status="200"}'
for i in $(seq 1 40); do hc_req GET /api/v1/health/live; done
hc_is "$HC_STATUS" 200 "40 GET /api/v1/health/live sent"
for i in $(seq 1 5); do hc_req GET "/api/v1/health/x$i"; done
hc_is "$HC_STATUS" 404 "5 GET of unknown paths sent"
hc_ok "Prometheus reports 40 live requests" hc_wait_until 20 qv_is "$LIVE" 40
hc_ok "Prometheus reports 5 unmatched 404s" hc_wait_until 20 qv_is \
	'http_requests_total{program="health",route="unmatched",status="404"}' 5
hc_ok "histogram _count matches: 40" hc_wait_until 20 qv_is \
	'http_request_duration_seconds_count{program="health",route="/api/v1/health/live"}' 40
hc_ok "+Inf bucket matches: 40" hc_wait_until 20 qv_is \
	'http_request_duration_seconds_bucket{program="health",route="/api/v1/health/live",le="+Inf"}' 40
hc_is "$(qv 'count(http_requests_total{route=~".*/x[0-9]"})')" none "no raw path became a route label"

# ------------------------------------------------------------ a count survives the death of the worker that made it
master=$(hc_pid health)
workers=$(hc_workers "$master" | tr '\n' ' ')
for w in $workers; do kill -KILL "$w"; done
hc_diag "SIGKILLed every health worker (the ones that served the 40): $workers"
replaced() { [ "$(hc_workers "$master" | wc -l)" = 3 ]; }
hc_ok "the master replaced the workers" hc_wait_until 10 replaced
for i in $(seq 1 10); do hc_req GET /api/v1/health/live; done
hc_ok "after the SIGKILL, Prometheus reports 40 + 10 = 50" hc_wait_until 20 qv_is "$LIVE" 50
hc_is "$(qv "resets(${LIVE}[10m])")" 0 "the counter never reset across the workers' death"

# ------------------------------------------------------------ the seeds' PromQL, unchanged
hc_wait_until 10 qv_is 'count(rate(http_requests_total[5m]) > 0) > 0' 1 >/dev/null || true
for e in 'rate(http_requests_total[5m])' \
	'histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m]))'; do
	q "$e"
	hc_is "$(jq -r '.status + ":" + ((.data.result | length) > 0 | tostring)' "$HC_TMP/q.json")" \
		"success:true" "seed query gives data: $e"
done
# no 5xx was sent: the seed's error percentage is an empty vector, but valid
e='sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) * 100'
q "$e"
hc_is "$(jq -r .status "$HC_TMP/q.json")" success "seed query evaluates: $e"
q 'sum(rate(http_requests_total{status=~"4.."}[5m])) / sum(rate(http_requests_total[5m])) * 100'
hc_like "$(jq -r '.data.result[0].value[1] // "none"' "$HC_TMP/q.json")" '^[0-9.]+$' \
	"the same form over 4xx gives a percentage"

# ------------------------------------------------------------ every dashboard expression evaluates
n=0
while IFS= read -r e; do
	n=$((n + 1))
	q "$e"
	hc_is "$(jq -r .status "$HC_TMP/q.json" 2>/dev/null)" success "dashboard expr evaluates: $e"
done < <(jq -r '.. | .expr? // empty' "$top_srcdir/conf/grafana/dashboards/headcount.json")
hc_ok "the dashboard has expressions ($n)" test "$n" -gt 10

# ------------------------------------------------------------ every alert rule evaluates
rules_evaluated() {
	curl -s --max-time 5 "$PROM/api/v1/rules" >"$HC_TMP/rules.json" &&
	jq -e '[.data.groups[].rules[]] | length > 0 and all(.lastEvaluation | startswith("0001") | not)' \
		"$HC_TMP/rules.json" >/dev/null
}
hc_ok "Prometheus evaluated every rule of alerts.yml" hc_wait_until 20 rules_evaluated
hc_is "$(jq '[.data.groups[].rules[]] | length' "$HC_TMP/rules.json")" \
	"$(grep -c '^ *- alert: ' "$top_srcdir/conf/prometheus/alerts.yml")" "all alerts loaded"
while IFS=$'\t' read -r name health err; do
	hc_is "$health${err:+ $err}" ok "alert $name evaluates without error"
done < <(jq -r '.data.groups[].rules[] | [.name, .health, (.lastError // "")] | @tsv' "$HC_TMP/rules.json")
while IFS= read -r e; do
	q "$e"
	hc_is "$(jq -r .status "$HC_TMP/q.json" 2>/dev/null)" success "alert expr by /api/v1/query: ${e:0:70}"
done < <(jq -r '.data.groups[].rules[].query' "$HC_TMP/rules.json")
hc_is "$(qv 'headcount_redis_up{job="headcount"}')" 1 "headcount_redis_up through Prometheus"
hc_is "$(qv 'ALERTS{alertname="HeadcountRedisDown"}')" none "no Redis alert while Redis is up"

# ------------------------------------------------------------ promtool on the live output
hc_req GET /metrics
hc_is "$HC_STATUS" 200 "live /metrics"
printf '%s\n' "$HC_BODY" >"$HC_TMP/live.txt"
out=$(promtool check metrics <"$HC_TMP/live.txt" 2>&1) && rc=0 || rc=$?
hc_is "$rc:$out" "0:" "promtool check metrics reports nothing on the live output"

hc_done

#!/bin/sh
# promtool.sh: the shipped Prometheus rules, their unit tests, the scrape example and the dashboard JSON.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need promtool jq

P=$top_srcdir/conf/prometheus
G=$top_srcdir/conf/grafana
q() {	# q CMD...: runs CMD quietly, shows its output only when it fails
	local out
	out=$("$@" 2>&1) || { hc_diag "$out"; return 1; }
}

hc_ok "promtool check rules conf/prometheus/alerts.yml" q promtool check rules "$P/alerts.yml"
hc_ok "promtool test rules conf/prometheus/alerts_test.yml" q promtool test rules "$P/alerts_test.yml"
hc_ok "promtool check config --syntax-only conf/prometheus/prometheus.yml" \
	q promtool check config --syntax-only "$P/prometheus.yml"

for a in HeadcountReplicaMismatch HeadcountStaleInstances HeadcountSelfPreservation \
	HeadcountAPIDown HeadcountRedisDown HeadcountHighErrorRate HeadcountHighLatency \
	HeadcountHighCPU HeadcountMemoryOverLimit; do
	hc_ok "alert $a is defined" grep -q "alert: $a\$" "$P/alerts.yml"
	hc_ok "alert $a has a unit test" grep -q "alertname: $a\$" "$P/alerts_test.yml"
done
# each rule carries severity, summary and description
n_rules=$(grep -c '^ *- alert: ' "$P/alerts.yml")
hc_is "$(grep -c '^ *severity: ' "$P/alerts.yml")" "$n_rules" "every alert has a severity"
hc_is "$(grep -c '^ *summary: ' "$P/alerts.yml")" "$n_rules" "every alert has a summary"
hc_is "$(grep -c '^ *description: ' "$P/alerts.yml")" "$n_rules" "every alert has a description"

hc_ok "the dashboard is JSON" q jq -e . "$G/dashboards/headcount.json"
for title in "Request rate per route" "Error rate (5xx, %)" "Latency p50 / p95 / p99" \
	"Active vs desired vs stale instances" "Busy workers" "Flag changes"; do
	hc_ok "dashboard panel: $title" q jq -e --arg t "$title" 'any(.panels[]; .title == $t)' \
		"$G/dashboards/headcount.json"
done
hc_is "$(jq '[.panels[].id] | length == (unique | length)' "$G/dashboards/headcount.json")" true \
	"panel ids are unique"

hc_done

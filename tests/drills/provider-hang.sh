#!/bin/sh
# provider-hang.sh (drill): a DigitalOcean API that accepts the connection and never answers.
#
# /monitoring/replicas stays 200 under load: the first request waits at most
# HEADCOUNT_PROVIDER_TIMEOUT_MS, the failure is cached (10 s), so the next
# ones do not wait at all, and the fallback (DESIRED_REPLICAS) is served and
# named in the recommendations.
. "$(dirname "$0")/../integration/setup.sh"
. "$top_srcdir/tests/drills/drill.sh"

hc_need redis-server nginx curl jq python3
hc_need_program health instances monitoring metrics token
TIMEOUT_MS=800
MARGIN_MS=700
export HEADCOUNT_TTL=30 HEADCOUNT_PRUNE_AFTER=60 HEADCOUNT_PROVIDER_TIMEOUT_MS=$TIMEOUT_MS
export HC_WORKERS=2 DESIRED_REPLICAS=3 DO_API_TOKEN=do-test-token DO_APP_ID=drill-app
IDS=20

port=$("$top_builddir/tests/freeport")
python3 "$top_srcdir/tests/drills/blackhole.py" --port "$port" --count-file "$HC_TMP/bh.count" \
	</dev/null >>"$HC_TMP/blackhole.log" 2>&1 &
hc_track blackhole "$!"
hc_wait_until 10 test -f "$HC_TMP/bh.count" || hc_bail "blackhole.py did not start"
export DO_API_URL=http://127.0.0.1:$port
conns() { cat "$HC_TMP/bh.count"; }

hc_start_redis
for p in health instances monitoring; do hc_start_program "$p"; done
hc_start_nginx
DRILL_TOKEN=$(hc_token owner drill-load 7200)
t0=$(date +%s%N)
hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $DRILL_TOKEN"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
hc_is "$HC_STATUS" 200 "replicas answers 200 with the provider hung"
hc_ok "  within the provider timeout ($ms ms <= $TIMEOUT_MS + $MARGIN_MS)" test "$ms" -le $((TIMEOUT_MS + MARGIN_MS))
hc_is "$(hc_json .summary.configured_replicas)" 3 "  the fallback DESIRED_REPLICAS=3 is served"
hc_like "$(hc_json '.recommendations | join(" ")')" 'DESIRED_REPLICAS' "  and the recommendations name the fallback"
hc_ok "the provider saw the connection" test "$(conns)" -ge 1

t_start=$(date +%s)
drill_start_load --ids "$IDS" --prefix ph --get /api/v1/monitoring/replicas \
	--get /api/v1/monitoring/replicas --slow-ms $((TIMEOUT_MS + MARGIN_MS))
# run until the cached failure expired once and the provider was asked again
asked_again() { [ "$(conns)" -ge 2 ] && [ $(( $(date +%s) - t_start )) -ge 11 ]; }
hc_ok "the provider is asked again once the cached failure expires" hc_wait_until 25 asked_again
drill_stop_load
elapsed=$(( $(date +%s) - t_start ))

drill_report "a provider that accepts and never answers (DigitalOcean, ${TIMEOUT_MS} ms timeout)"
drill_goal ""
served=$(drill_q '.counts["/api/v1/monitoring/replicas"]["200"] // 0')
hc_diag "/monitoring/replicas: $served answers (200) in ${elapsed} s, $(conns) connections to the provider"
hc_ok "the failure is cached: $(conns) connections for $served answers in ${elapsed} s" \
	test "$(conns)" -le $(( (2 + elapsed / 10) * 2 ))
hc_is "$(drill_q '.slow | length')" 0 "no request took longer than the provider timeout + $MARGIN_MS ms"

hc_done

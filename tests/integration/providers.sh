#!/bin/sh
# providers.sh: the DigitalOcean and Kubernetes desired-count sources through nginx, with
# local fakes reached by DO_API_URL / HEADCOUNT_K8S_API_URL: success, caching, refresh,
# failure (500, timeout, 401), fallback to DESIRED_REPLICAS, negative cache,
# rollouts in the recommendations, and /monitoring/deployments and /metrics.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl python3 openssl
hc_need_program monitoring token

APP=5ec1a7e5-0000-4000-8000-00000000a99b
hc_start_redis
hc_start_fake do --token do-test-token --app-id "$APP"
DO_URL=$HC_FAKE_URL
hc_start_fake k8s --token k8s-test-token --deployment prod/web
K8S_URL=$HC_FAKE_URL
hc_start_nginx

OWNER=$(hc_token owner boss)
USER=$(hc_token user viewer)

replicas() { hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $USER"; }
refresh() { hc_req POST /api/v1/monitoring/replicas/refresh -H "Authorization: Bearer $OWNER"; }
recs() { hc_json '.recommendations | join(" | ")'; }
src() { hc_json '[.summary.configured_replicas, .summary.configured_source] | map(tostring) | join(",")'; }
problem() {	# problem STATUS DESC
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json .status)" "$1" "$2: status in body"
}
# restart_with VAR=VALUE...: the monitoring program with these settings (others unset).
restart_with() {
	hc_stop_program monitoring
	unset DO_API_TOKEN DO_APP_ID DO_API_URL DO_COMPONENT_NAME DESIRED_REPLICAS \
		HEADCOUNT_K8S_DEPLOYMENT HEADCOUNT_K8S_API_URL HEADCOUNT_K8S_TOKEN_FILE \
		HEADCOUNT_K8S_CA_FILE
	export HEADCOUNT_PROVIDER_TIMEOUT_MS=1000 "$@"
	hc_redis FLUSHALL >/dev/null
	hc_start_program monitoring
}

# ================================================================ DigitalOcean
restart_with DO_API_TOKEN=do-test-token DO_APP_ID=$APP DO_API_URL=$DO_URL DESIRED_REPLICAS=4
hc_fake_reset "$DO_URL"

replicas
hc_is "$HC_STATUS" 200 "do: replicas 200"
hc_is "$(src)" "2,digitalocean" "do: instance_count of the first service"
hc_is "$(hc_json .summary.status)" under_replicated "do: no instances -> under_replicated"
hc_like "$(recs)" 'DigitalOcean reports 2 of 2 replicas of web ready but 0 instances heartbeat.*reset the scale - set web.s instance count to 3.*doctl apps update' \
	"do: dashboard disagrees -> scale-reset procedure"
hc_is "$(hc_json '.recommendations | map(select(test("provider failed"))) | length')" 0 "do: no failure sentence"
n1=$(hc_fake_requests "$DO_URL")
hc_is "$n1" 3 "do: app, health and deployments read once"
replicas
replicas
hc_is "$(hc_fake_requests "$DO_URL")" "$n1" "do: answers cached (no new request within the TTL)"
hc_ok "do: desired count cached for 60 s in Redis" sh -c \
	"t=\$(redis-cli -s '$HC_TMP/redis.sock' TTL 'headcount:provider:digitalocean:$APP/:desired'); [ \"\$t\" -gt 50 ] && [ \"\$t\" -le 60 ]"
hc_ok "do: deployments cached for 30 s" sh -c \
	"t=\$(redis-cli -s '$HC_TMP/redis.sock' TTL 'headcount:provider:digitalocean:$APP:deployments'); [ \"\$t\" -gt 20 ] && [ \"\$t\" -le 30 ]"

hc_fake_control "$DO_URL" '{"services":[{"name":"web","instance_count":3},{"name":"api","instance_count":5}]}'
replicas
hc_is "$(src)" "2,digitalocean" "do: a changed count is not seen while cached"
refresh
hc_is "$HC_STATUS" 200 "do: refresh 200"
hc_is "$(hc_json '.summary.configured_replicas')" 3 "do: refresh bypasses the cache"
hc_is "$(hc_fake_requests "$DO_URL")" "$((n1 + 3))" "do: refresh asked DigitalOcean again"
replicas
hc_is "$(src)" "3,digitalocean" "do: the refreshed answer is cached for the next reads"

# autoscaled: the desired count comes from the health answer
hc_fake_control "$DO_URL" '{"services":[{"name":"web","autoscaling":{"min_instance_count":2,"max_instance_count":6}}],"health":{"web":[5,5]}}'
refresh
hc_is "$(hc_json .summary.configured_replicas)" 5 "do: autoscaled -> replicas_desired of the health answer"

# deployment phases
hc_fake_control "$DO_URL" '{"services":[{"name":"web","instance_count":2}],"health":{},"phase":"DEPLOYING","phase_age":60,"deployment_id":"dep-0003"}'
refresh
replicas
hc_like "$(recs)" '^DigitalOcean deployment dep-0003 is in progress \(DEPLOYING since [0-9TZ:-]+\).*expected.*no action needed' \
	"do: deployment in progress -> mismatch expected, no alarm"
hc_is "$(hc_json '.recommendations | map(select(test("Under-replicated"))) | length')" 0 "do: in progress -> no under-replicated alarm"
hc_fake_control "$DO_URL" '{"phase":"DEPLOYING","phase_age":7200}'
refresh
replicas
hc_like "$(recs)" 'DigitalOcean deployment dep-0003 has been DEPLOYING for 2 h 00 min .*looks stuck.*doctl apps get-deployment' \
	"do: deploying for too long -> stuck"
hc_fake_control "$DO_URL" '{"phase":"ERROR","phase_age":300}'
refresh
replicas
hc_like "$(recs)" 'The latest DigitalOcean deployment dep-0003 ended in ERROR.*doctl apps logs' "do: ERROR -> failed deployment"
hc_fake_control "$DO_URL" '{"phase":"CANCELED"}'
refresh
replicas
hc_like "$(recs)" 'dep-0003 ended in CANCELED' "do: CANCELED -> failed deployment"
hc_fake_control "$DO_URL" '{"phase":"ACTIVE"}'

# /monitoring/deployments and /metrics
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
hc_is "$HC_STATUS" 200 "do: deployments 200"
hc_is "$(hc_json .source)" digitalocean "do: deployments source"
hc_is "$(hc_json '.deployments[0] | keys_unsorted | join(",")')" "id,phase,cause,created_at,updated_at" "do: deployment fields"
hc_is "$(hc_json '[.deployments[].id] | join(",")')" "dep-0003,dep-0001" "do: newest first"
hc_like "$(hc_json '.deployments[0].created_at')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "do: created_at RFC 3339"
n=$(hc_fake_requests "$DO_URL")
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
hc_is "$(hc_fake_requests "$DO_URL")" "$n" "do: deployments cached"
hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $OWNER"
hc_is "$HC_STATUS" 200 "do: metrics 200"
hc_is "$(hc_json 'keys_unsorted | join(",")')" "source,cpu_percent,memory_percent" "do: metrics fields"
hc_ok "do: cpu series of {t,value}" test "$(hc_json '[.cpu_percent[] | select((.t|test("^[0-9-]+T[0-9:]+Z$")) and (.value|type=="number"))] | length')" -gt 30
hc_ok "do: memory series" test "$(hc_json '.memory_percent | length')" -gt 30
hc_is "$(hc_json '.cpu_percent | map(.t) == (map(.t) | sort)')" true "do: series sorted by time"
n=$(hc_fake_requests "$DO_URL")
hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $OWNER"
hc_is "$(hc_fake_requests "$DO_URL")" "$n" "do: metrics cached"

# failure 500: fallback, negative cache, refresh still 200
hc_fake_control "$DO_URL" '{"mode":"fail"}'
refresh
hc_is "$HC_STATUS" 200 "do 500: refresh still 200"
hc_is "$(hc_json '.summary | [.configured_replicas, .configured_source] | map(tostring) | join(",")')" "4,env" "do 500: falls back to DESIRED_REPLICAS"
replicas
hc_like "$(recs)" '^The DigitalOcean provider failed \(DigitalOcean: GET /v2/apps/\{DO_APP_ID\} answered HTTP 500.*\); using DESIRED_REPLICAS=4' \
	"do 500: recommendation names DigitalOcean and DESIRED_REPLICAS"
n=$(hc_fake_requests "$DO_URL")
replicas
replicas
hc_is "$(hc_fake_requests "$DO_URL")" "$n" "do 500: failure cached (DigitalOcean not hammered)"
hc_ok "do 500: failure cached for 10 s" sh -c \
	"t=\$(redis-cli -s '$HC_TMP/redis.sock' TTL 'headcount:provider:digitalocean:$APP/:desired'); [ \"\$t\" -gt 0 ] && [ \"\$t\" -le 10 ]"
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
hc_is "$HC_STATUS" 200 "do 500: deployments still served from their cache"
hc_redis DEL "headcount:provider:digitalocean:$APP:deployments" "headcount:provider:digitalocean:$APP/:metrics" >/dev/null
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
problem 502 "do 500: deployments"
hc_like "$(hc_json .detail)" 'HTTP 500' "do 500: deployments detail says why"
hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $OWNER"
problem 502 "do 500: metrics"
n=$(hc_fake_requests "$DO_URL")
hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $OWNER"
problem 502 "do 500: metrics failure cached"
hc_is "$(hc_fake_requests "$DO_URL")" "$n" "do 500: the cached failure asked nothing"
hc_fake_control "$DO_URL" '{"mode":"ok"}'
recovered() { replicas; [ "$(hc_json .summary.configured_source)" = digitalocean ]; }
hc_ok "do: recovers once the failure expires (10 s)" hc_wait_until 15 recovered

# timeout
hc_fake_control "$DO_URL" '{"mode":"slow","slow_seconds":4}'
refresh
hc_is "$HC_STATUS" 200 "do timeout: refresh still 200"
hc_is "$(hc_json '.summary | [.configured_replicas, .configured_source] | map(tostring) | join(",")')" "4,env" "do timeout: fallback"
replicas
hc_like "$(recs)" 'DigitalOcean provider failed \(.*timed out after 1000 ms\); using DESIRED_REPLICAS=4.*HEADCOUNT_PROVIDER_TIMEOUT_MS' "do timeout: said so"
hc_fake_control "$DO_URL" '{"mode":"ok"}'

# an answer that is not JSON
hc_fake_control "$DO_URL" '{"mode":"garbage"}'
refresh
hc_is "$(hc_json '.summary | [.configured_replicas, .configured_source] | map(tostring) | join(",")')" "4,env" "do garbage: fallback"
replicas
hc_like "$(recs)" 'DigitalOcean provider failed \(DigitalOcean: answer is not JSON' "do garbage: said so"
hc_redis DEL "headcount:provider:digitalocean:$APP:deployments" >/dev/null
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
problem 502 "do garbage: deployments"
hc_fake_control "$DO_URL" '{"mode":"ok"}'

# a bad token: 401
restart_with DO_API_TOKEN=wrong-token DO_APP_ID=$APP DO_API_URL=$DO_URL DESIRED_REPLICAS=4
replicas
hc_is "$(src)" "4,env" "do 401: fallback"
hc_like "$(recs)" 'answered HTTP 401 \(Unable to authenticate you.\)\); using DESIRED_REPLICAS=4 .*check that DO_API_TOKEN is valid' "do 401: says to check DO_API_TOKEN"
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
problem 502 "do 401: deployments"
hc_like "$(hc_json .detail)" 'HTTP 401' "do 401: deployments detail"

# no fallback: nothing known
restart_with DO_API_TOKEN=wrong-token DO_APP_ID=$APP DO_API_URL=$DO_URL
replicas
hc_is "$(hc_json '[.summary.configured_replicas, .summary.configured_source, .summary.status] | map(tostring) | join(",")')" "null,none,unknown" "do 401 without DESIRED_REPLICAS: unknown"
hc_like "$(recs)" 'DESIRED_REPLICAS is not set as a fallback' "do 401 without DESIRED_REPLICAS: said so"

# DO_COMPONENT_NAME picks the service; a wrong one is an error
restart_with DO_API_TOKEN=do-test-token DO_APP_ID=$APP DO_API_URL=$DO_URL DO_COMPONENT_NAME=api
hc_fake_reset "$DO_URL"
replicas
hc_is "$(src)" "5,digitalocean" "do: DO_COMPONENT_NAME=api -> its instance_count"
restart_with DO_API_TOKEN=do-test-token DO_APP_ID=$APP DO_API_URL=$DO_URL DO_COMPONENT_NAME=nope DESIRED_REPLICAS=1
replicas
hc_like "$(recs)" 'no service or worker named "nope" \(DO_COMPONENT_NAME\)' "do: unknown DO_COMPONENT_NAME named"

# unreachable
restart_with DO_API_TOKEN=do-test-token DO_APP_ID=$APP DO_API_URL=http://127.0.0.1:1 DESIRED_REPLICAS=2
replicas
hc_is "$(src)" "2,env" "do unreachable: fallback"
hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
problem 502 "do unreachable: deployments"
hc_req GET /api/v1/monitoring/metrics -H "Authorization: Bearer $OWNER"
problem 502 "do unreachable: metrics"

# ================================================================ Kubernetes
printf 'k8s-test-token\n' >"$HC_TMP/k8s-token"
restart_with HEADCOUNT_K8S_DEPLOYMENT=prod/web HEADCOUNT_K8S_API_URL=$K8S_URL \
	HEADCOUNT_K8S_TOKEN_FILE=$HC_TMP/k8s-token HEADCOUNT_K8S_CA_FILE=$HC_TMP/none.crt DESIRED_REPLICAS=1
hc_fake_reset "$K8S_URL"
replicas
hc_is "$HC_STATUS" 200 "k8s: replicas 200"
hc_is "$(src)" "3,kubernetes" "k8s: spec.replicas"
hc_like "$(recs)" 'Kubernetes reports 3 of 3 replicas of prod/web ready but 0 instances heartbeat.*kubectl -n prod scale deployment/web --replicas=4' \
	"k8s: readyReplicas disagree -> scale reset with kubectl"
n1=$(hc_fake_requests "$K8S_URL")
hc_is "$n1" 1 "k8s: one request"
replicas
hc_is "$(hc_fake_requests "$K8S_URL")" 1 "k8s: cached"
hc_fake_control "$K8S_URL" '{"replicas":5}'
replicas
hc_is "$(src)" "3,kubernetes" "k8s: change not seen while cached"
refresh
hc_is "$(hc_json .summary.configured_replicas)" 5 "k8s: refresh bypasses the cache"
hc_is "$(hc_fake_requests "$K8S_URL")" 2 "k8s: refresh asked again"
hc_fake_control "$K8S_URL" '{"rollout":"progressing","rollout_age":30}'
refresh
replicas
hc_like "$(recs)" '^Kubernetes rollout of prod/web is in progress.*no action needed' "k8s: rollout in progress"
hc_fake_control "$K8S_URL" '{"rollout":"deadline"}'
refresh
replicas
hc_like "$(recs)" 'rollout of prod/web \(generation 7\) failed: ProgressDeadlineExceeded.*kubectl -n prod rollout undo deployment/web' "k8s: progress deadline exceeded"
hc_fake_control "$K8S_URL" '{"rollout":"complete"}'

hc_req GET /api/v1/monitoring/deployments -H "Authorization: Bearer $OWNER"
problem 503 "k8s only: deployments need DigitalOcean"

hc_fake_control "$K8S_URL" '{"mode":"fail"}'
refresh
hc_is "$HC_STATUS" 200 "k8s 500: refresh 200"
hc_is "$(hc_json '.summary | [.configured_replicas, .configured_source] | map(tostring) | join(",")')" "1,env" "k8s 500: fallback"
replicas
hc_like "$(recs)" '^The Kubernetes provider failed \(Kubernetes: GET .* answered HTTP 500.*\); using DESIRED_REPLICAS=1' "k8s 500: said so"
n=$(hc_fake_requests "$K8S_URL")
replicas
hc_is "$(hc_fake_requests "$K8S_URL")" "$n" "k8s 500: failure cached"
hc_fake_control "$K8S_URL" '{"mode":"slow","slow_seconds":4}'
refresh
hc_is "$(hc_json '.summary | [.configured_replicas, .configured_source] | map(tostring) | join(",")')" "1,env" "k8s timeout: fallback"
replicas
hc_like "$(recs)" 'timed out after 1000 ms' "k8s timeout: said so"
hc_fake_control "$K8S_URL" '{"mode":"ok"}'
printf 'stolen-token\n' >"$HC_TMP/k8s-token"
refresh
replicas
hc_like "$(recs)" 'answered HTTP 401 \(Unauthorized\)\); using DESIRED_REPLICAS=1 .*HEADCOUNT_K8S_TOKEN_FILE' "k8s 401: token named"
rm -f "$HC_TMP/k8s-token"
refresh
replicas
hc_like "$(recs)" 'cannot read HEADCOUNT_K8S_TOKEN_FILE' "k8s: missing token file named"
printf 'k8s-test-token\n' >"$HC_TMP/k8s-token"
refresh
hc_is "$(hc_json '.summary.configured_source')" kubernetes "k8s: token re-read after rotation"

# HTTPS with the cluster CA
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$HC_TMP/k8s.key" -out "$HC_TMP/k8s.crt" >/dev/null 2>&1 \
	|| hc_bail "openssl could not make a test certificate"
hc_start_fake k8s --token k8s-test-token --deployment prod/web --cert "$HC_TMP/k8s.crt" --key "$HC_TMP/k8s.key"
K8S_TLS=$HC_FAKE_URL
restart_with HEADCOUNT_K8S_DEPLOYMENT=prod/web HEADCOUNT_K8S_API_URL=$K8S_TLS \
	HEADCOUNT_K8S_TOKEN_FILE=$HC_TMP/k8s-token HEADCOUNT_K8S_CA_FILE=$HC_TMP/k8s.crt DESIRED_REPLICAS=1
replicas
hc_is "$(src)" "3,kubernetes" "k8s https: verified with HEADCOUNT_K8S_CA_FILE"
restart_with HEADCOUNT_K8S_DEPLOYMENT=prod/web HEADCOUNT_K8S_API_URL=$K8S_TLS \
	HEADCOUNT_K8S_TOKEN_FILE=$HC_TMP/k8s-token HEADCOUNT_K8S_CA_FILE=$HC_TMP/none.crt DESIRED_REPLICAS=1
replicas
hc_is "$(src)" "1,env" "k8s https: an unknown CA is refused (fallback)"
hc_like "$(recs)" 'Kubernetes provider failed \(Kubernetes: GET .*(certificate|SSL)' "k8s https: certificate problem named"

# DigitalOcean wins over Kubernetes when both are set
restart_with DO_API_TOKEN=do-test-token DO_APP_ID=$APP DO_API_URL=$DO_URL \
	HEADCOUNT_K8S_DEPLOYMENT=prod/web HEADCOUNT_K8S_API_URL=$K8S_URL \
	HEADCOUNT_K8S_TOKEN_FILE=$HC_TMP/k8s-token DESIRED_REPLICAS=9
hc_fake_reset "$DO_URL"
replicas
hc_is "$(src)" "2,digitalocean" "both configured: DigitalOcean first"

hc_done

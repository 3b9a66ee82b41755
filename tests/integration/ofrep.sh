#!/bin/sh
# ofrep.sh: OpenFeature remote evaluation (OFREP) through nginx: every row and error of API.md's
# OFREP section with curl, then the real OpenFeature SDKs from npm: the server SDK with its OFREP
# provider in Node, and the web SDK with its OFREP web provider in headless Chromium (bulk
# evaluation, ETag polling with 304), bundled by esbuild into the test's own web root.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl
hc_need_program flags token

hc_start_redis
hc_redis HSET feature:flags ofrep.on 1 ofrep.off 0 ofrep.odd maybe ofrep.flip 0 >/dev/null

# The browser page and its bundle are served by the same nginx, from the test's own directory.
mkdir -p "$HC_TMP/ofrep-web"
cat >"$HC_TMP/local-server-ofrep.conf" <<EOF
location /_ofrep/ {
	alias $HC_TMP/ofrep-web/;
}
EOF
hc_start_program flags
hc_start_nginx

USER=$(hc_token user viewer)
ADMIN=$(hc_token admin adm)
INST=$(hc_token instance web-1)

ev() {	# ev KEY [BODY [TOKEN [CURL ARGS...]]]: POST /ofrep/v1/evaluate/flags/KEY
	local key=$1 body=${2-'{"context":{"targetingKey":"u1"}}'} tok=${3:-$USER}
	shift $(( $# < 3 ? $# : 3 ))
	hc_req POST "/ofrep/v1/evaluate/flags/$key" -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' --data-binary "$body" "$@"
}
bulk() {	# bulk [BODY [CURL ARGS...]]: POST /ofrep/v1/evaluate/flags
	local body=${1-'{"context":{"targetingKey":"u1"}}'}
	shift $(( $# < 1 ? $# : 1 ))
	hc_req POST /ofrep/v1/evaluate/flags -H "Authorization: Bearer $USER" \
		-H 'Content-Type: application/json' --data-binary "$body" "$@"
}
ofrep_error() {	# ofrep_error STATUS CODE DESC: the last answer is an OFREP error body
	hc_is "$HC_STATUS" "$1" "$3: $1"
	hc_is "$HC_CTYPE" application/json "$3: application/json (OFREP's error shape)"
	hc_is "$(hc_json .errorCode)" "$2" "$3: errorCode $2"
	hc_like "$(hc_json .errorDetails)" '.' "$3: errorDetails set"
}

# ------------------------------------------------------------ single evaluation
ev ofrep.on
hc_is "$HC_STATUS" 200 "evaluate a true flag -> 200"
hc_is "$HC_CTYPE" application/json "evaluate: application/json"
hc_is "$HC_BODY" '{"key":"ofrep.on","value":true,"reason":"STATIC","variant":"on","metadata":{}}' "evaluate true"
ev ofrep.off
hc_is "$HC_BODY" '{"key":"ofrep.off","value":false,"reason":"STATIC","variant":"off","metadata":{}}' "evaluate false"
ev ofrep.odd
hc_is "$(hc_json '[.value, .variant] | join(",")')" "false,off" "a stored value other than 1/0 evaluates false"
ev ofrep.on ''
hc_is "$HC_STATUS" 200 "no body at all -> 200 (context is optional)"
ev ofrep.on '{}'
hc_is "$HC_STATUS" 200 "body {} -> 200"
ev ofrep.on '{"context":{}}'
hc_is "$HC_STATUS" 200 "empty context -> 200"
ev ofrep.on '{"context":{"targetingKey":"u1","email":"a@b.c","n":3,"nested":{"x":[1,2]}},"future":1}'
hc_is "$HC_STATUS" 200 "any context attributes, unknown top-level fields ignored -> 200"
ev ofrep.missing
ofrep_error 404 FLAG_NOT_FOUND "unknown flag"
hc_is "$(hc_json .key)" ofrep.missing "404 names the key"
ev 'Bad.Key'
ofrep_error 400 PARSE_ERROR "key breaking the name rule"
hc_is "$(hc_json .key)" Bad.Key "400 echoes the key"
ev "a$(printf 'b%.0s' $(seq 64))"
ofrep_error 400 PARSE_ERROR "key of 65 characters"
for b in '{"context":' 'nope' '[]' '"x"' '1' 'null' '{"context":{}} x'; do
	ev ofrep.on "$b"
	ofrep_error 400 PARSE_ERROR "body $b"
	hc_is "$(hc_json .key)" ofrep.on "body $b: the key is named"
done
for c in '"x"' '[]' '1' 'null' 'true'; do
	ev ofrep.on "{\"context\":$c}"
	ofrep_error 400 INVALID_CONTEXT "context $c"
done
ev 'ofrep.on?x=1' '{"context":{}}'
ofrep_error 400 PARSE_ERROR "an unknown query parameter"
hc_req POST /ofrep/v1/evaluate/flags/ofrep.on -H 'Content-Type: application/json' --data-binary '{}'
hc_is "$HC_STATUS" 401 "no token -> 401"
hc_like "$(hc_header WWW-Authenticate)" '^Bearer' "401 carries WWW-Authenticate: Bearer"
ev ofrep.on '{}' "$INST"
hc_is "$HC_STATUS" 403 "an instance token -> 403"
ev ofrep.on '{}' garbage
hc_is "$HC_STATUS" 401 "a garbage token -> 401"
hc_req GET /ofrep/v1/evaluate/flags/ofrep.on -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 405 "GET on an evaluation -> 405"
hc_like "$(hc_header Allow)" POST "Allow names POST"
big=$(head -c 70000 /dev/zero | tr '\0' ' ')
ev ofrep.on "{\"context\":{}$big}"
hc_is "$HC_STATUS" 413 "body over 64 KiB -> 413"
hc_req POST /ofrep/v1/nothing -H "Authorization: Bearer $USER" --data-binary '{}'
hc_is "$HC_STATUS" 404 "unknown path under /ofrep/v1/ -> 404"

# ------------------------------------------------------------ bulk evaluation and its ETag
bulk
hc_is "$HC_STATUS" 200 "bulk -> 200"
hc_is "$HC_CTYPE" application/json "bulk: application/json"
hc_is "$(hc_json '[.flags[] | "\(.key)=\(.value)/\(.reason)/\(.variant)"] | join(" ")')" \
	"ofrep.flip=false/STATIC/off ofrep.odd=false/STATIC/off ofrep.off=false/STATIC/off ofrep.on=true/STATIC/on" \
	"bulk: every flag, sorted by key"
ETAG=$(hc_header ETag)
hc_like "$ETAG" '^"[0-9a-f]{16}"$' "bulk: a strong ETag ($ETAG)"
bulk '' -H "If-None-Match: $ETAG"
hc_is "$HC_STATUS" 304 "If-None-Match with the current ETag -> 304"
hc_is "$HC_BODY" "" "304 has no body"
hc_is "$(hc_header ETag)" "$ETAG" "304 repeats the ETag"
bulk '{}' -H "If-None-Match: \"other\", W/$ETAG"
hc_is "$HC_STATUS" 304 "a list holding the weak form of the ETag -> 304"
bulk '{}' -H 'If-None-Match: *'
hc_is "$HC_STATUS" 304 "If-None-Match: * -> 304"
bulk '{}' -H 'If-None-Match: "0000000000000000"'
hc_is "$HC_STATUS" 200 "another ETag -> 200"
bulkq() {	# bulkq QUERY: bulk evaluation with a query string
	hc_req POST "/ofrep/v1/evaluate/flags?$1" -H "Authorization: Bearer $USER" \
		-H 'Content-Type: application/json' --data-binary '{"context":{"targetingKey":"u1"}}'
}
bulkq "flagConfigEtag=abc123&flagConfigLastModified=1771622898"
hc_is "$HC_STATUS" 200 "OFREP's re-fetch query keys are accepted"
bulkq 'flagConfigEtag=a&flagConfigEtag=b'
ofrep_error 400 PARSE_ERROR "bulk: a query key twice"
bulkq 'x=1'
ofrep_error 400 PARSE_ERROR "bulk: an unknown query key"
bulk '{"context":"x"}'
ofrep_error 400 INVALID_CONTEXT "bulk: context not an object"
hc_is "$(hc_json 'has("key")')" false "bulk errors carry no key"
bulk '{"context":'
ofrep_error 400 PARSE_ERROR "bulk: malformed JSON"
hc_req POST /ofrep/v1/evaluate/flags --data-binary '{}'
hc_is "$HC_STATUS" 401 "bulk without a token -> 401"
curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $ADMIN" "$HC_URL/api/v1/flags/ofrep.new?enabled=true"
bulk '{}' -H "If-None-Match: $ETAG"
hc_is "$HC_STATUS" 200 "after a change the old ETag -> 200"
hc_ok "the new answer has the new flag" sh -c "printf '%s' \"\$1\" | jq -e '.flags | map(.key) | index(\"ofrep.new\")' >/dev/null" _ "$HC_BODY"
hc_ok "and another ETag" test "$(hc_header ETag)" != "$ETAG"
ETAG=$(hc_header ETag)

# ------------------------------------------------------------ configuration
hc_req GET /ofrep/v1/configuration -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 200 "configuration -> 200"
hc_is "$HC_BODY" '{"name":"headcount","capabilities":{"cacheInvalidation":{"polling":{"enabled":true,"minPollingIntervalMs":1000}},"flagEvaluation":{"supportedTypes":["boolean"]}}}' \
	"configuration body"
CETAG=$(hc_header ETag)
hc_like "$CETAG" '^"[0-9a-f]{16}"$' "configuration: an ETag"
hc_req GET /ofrep/v1/configuration -H "Authorization: Bearer $USER" -H "If-None-Match: $CETAG"
hc_is "$HC_STATUS" 304 "configuration with If-None-Match -> 304"
hc_req GET /ofrep/v1/configuration
hc_is "$HC_STATUS" 401 "configuration without a token -> 401"
hc_req GET '/ofrep/v1/configuration?x=1' -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 400 "configuration with a query -> 400"
hc_req POST /ofrep/v1/configuration -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 405 "POST on configuration -> 405"

# ------------------------------------------------------------ the real SDKs from npm
CLIENTS=$top_srcdir/tests/clients/openfeature
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	if [ ! -w "$CLIENTS" ]; then	# a read-only source tree (distcheck): install beside the test
		mkdir -p "$HC_TMP/clients"
		cp "$CLIENTS"/package.json "$CLIENTS"/package-lock.json "$CLIENTS"/*.mjs "$CLIENTS"/*.js \
			"$CLIENTS"/*.html "$HC_TMP/clients/"
		CLIENTS=$HC_TMP/clients
	fi
	if [ ! -f "$CLIENTS/node_modules/.package-lock.json" ] ||
	    [ "$CLIENTS/package-lock.json" -nt "$CLIENTS/node_modules/.package-lock.json" ]; then
		if ! timeout 300 npm ci --prefix "$CLIENTS" --no-audit --no-fund --loglevel=error \
		    >"$HC_TMP/npm.log" 2>&1; then
			hc_diag "$(tail -n 20 "$HC_TMP/npm.log")"
			[ "${CI:-}" = true ] && hc_bail "npm ci of tests/clients/openfeature failed"
			CLIENTS=""
		fi
	fi
else
	[ "${CI:-}" = true ] && hc_bail "node and npm are needed for the OpenFeature client tests"
	CLIENTS=""
fi

if [ -n "$CLIENTS" ]; then
	OUT=$(OFREP_URL=$HC_URL USER_TOKEN=$USER ADMIN_TOKEN=$ADMIN timeout 60 node "$CLIENTS/node-ofrep.mjs" 2>"$HC_TMP/node.err" || true)
	hc_diag "node: $OUT"
	nj() { printf '%s' "$OUT" | jq -r "$1" 2>/dev/null || true; }
	hc_is "$(nj '.error // "none"')" none "Node SDK: no error"
	hc_is "$(nj '[.on.value, .on.reason, .on.variant] | join(",")')" "true,STATIC,on" "Node SDK: a true flag"
	hc_is "$(nj '[.off.value, .off.reason, .off.variant] | join(",")')" "false,STATIC,off" "Node SDK: a false flag (default true not used)"
	hc_is "$(nj '[.missing.value, .missing.reason, .missing.errorCode] | join(",")')" "true,ERROR,FLAG_NOT_FOUND" \
		"Node SDK: a missing flag gives the default value and FLAG_NOT_FOUND"
	hc_is "$(nj '.missing_false_default.value')" false "Node SDK: the default is whatever the caller gave"
	hc_is "$(nj '.value_on')" true "Node SDK: getBooleanValue"
	hc_is "$(nj '.before.value')" false "Node SDK: ofrep.flip false before the change"
	hc_is "$(nj '.put_status')" 200 "Node: the change through the REST API"
	hc_is "$(nj '[.changed.value, .changed.variant] | join(",")')" "true,on" "Node SDK: sees the change at once"

	if command -v chromium >/dev/null 2>&1; then
		"$CLIENTS/node_modules/.bin/esbuild" "$CLIENTS/web-entry.js" --bundle --format=iife \
			--log-level=warning --outfile="$HC_TMP/ofrep-web/ofrep.js" 2>"$HC_TMP/esbuild.err" ||
			hc_diag "esbuild: $(cat "$HC_TMP/esbuild.err")"
		cp "$CLIENTS/ofrep-web.html" "$HC_TMP/ofrep-web/index.html"
		chmod -R a+rX "$HC_TMP/ofrep-web"
		hc_req GET /_ofrep/ofrep.js
		hc_is "$HC_STATUS" 200 "the web bundle is served from the test's web root"
		prof=$(mktemp -d "$HC_TMP/chrome.XXXXXX")
		WEB=$(timeout --kill-after=5 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --disable-dev-shm-usage --user-data-dir="$prof" \
			--virtual-time-budget=20000 --dump-dom "$HC_URL/_ofrep/index.html#user=$USER&admin=$ADMIN" \
			2>"$HC_TMP/chromium.err" </dev/null | tr '\n' ' ' |
			sed -n 's/.*<pre id="out">\([^<]*\)<\/pre>.*/\1/p' | sed 's/&amp;/\&/g; s/&quot;/"/g') || true
		rm -rf "$prof"
		hc_diag "browser: ${WEB:0:1500}"
		wj() { printf '%s' "$WEB" | jq -r "$1" 2>/dev/null || true; }
		hc_is "$(wj '.error // "none"')" none "web SDK: no error"
		hc_is "$(wj '[.on.value, .on.reason, .on.variant] | join(",")')" "true,STATIC,on" "web SDK: a true flag"
		hc_is "$(wj '[.off.value, .off.variant] | join(",")')" "false,off" "web SDK: a false flag"
		hc_is "$(wj '[.missing.value, .missing.errorCode] | join(",")')" "true,FLAG_NOT_FOUND" \
			"web SDK: a missing flag gives the default and FLAG_NOT_FOUND"
		hc_is "$(wj '.fetches[0].status')" 200 "web SDK: its first bulk evaluation is a 200"
		hc_like "$(wj '.fetches[0].etag')" '^"[0-9a-f]{16}"$' "web SDK: which carries an ETag"
		hc_ok "web SDK: polls send If-None-Match and get 304" sh -c \
			"printf '%s' \"\$1\" | jq -e '[.fetches[] | select(.inm != null and .status == 304)] | length > 0' >/dev/null" _ "$WEB"
		hc_is "$(wj '.put_status')" 200 "web: the change through the REST API"
		hc_is "$(wj '.event')" true "web SDK: ConfigurationChanged after the change"
		hc_is "$(wj '[.changed.value, .changed.variant] | join(",")')" "true,on" "web SDK: sees the change"
		hc_ok "web SDK: the change came as a 200 to a request with the old ETag" sh -c \
			"printf '%s' \"\$1\" | jq -e '[.fetches[] | select(.inm != null and .status == 200)] | length > 0' >/dev/null" _ "$WEB"
	else
		[ "${CI:-}" = true ] && hc_bail "chromium is needed for the web SDK test"
		hc_skip "web SDK in Chromium" "chromium not installed"
	fi
else
	hc_skip "OpenFeature SDKs from npm" "node/npm missing or npm ci failed"
fi

# ------------------------------------------------------------ Redis down: CACHED, then 500
bulk
ETAG=$(hc_header ETag)
hc_stop_redis
cached() { curl -s -H "Authorization: Bearer $USER" -H 'Content-Type: application/json' --data-binary '{}' \
	"$HC_URL/ofrep/v1/evaluate/flags/ofrep.on" | grep -q '"reason":"CACHED"'; }
hc_ok "Redis stopped: evaluations answer the last values with reason CACHED" hc_wait_until 3 cached
ev ofrep.on
hc_is "$HC_BODY" '{"key":"ofrep.on","value":true,"reason":"CACHED","variant":"on","metadata":{}}' "CACHED evaluation"
bulk '{}' -H "If-None-Match: $ETAG"
hc_is "$HC_STATUS" 200 "a cached bulk answer is another representation: the fresh ETag -> 200"
hc_is "$(hc_json '[.flags[].reason] | unique | join(",")')" CACHED "bulk: every reason CACHED"
CACHED_ETAG=$(hc_header ETag)
hc_like "$CACHED_ETAG" '-cached"$' "the cached bulk answer has its own ETag"
bulk '{}' -H "If-None-Match: $CACHED_ETAG"
hc_is "$HC_STATUS" 304 "and it validates too"
ev ofrep.missing
ofrep_error 404 FLAG_NOT_FOUND "unknown flag while Redis is down"
hc_stop_program flags
hc_start_program flags
ev ofrep.on
hc_is "$HC_STATUS" 500 "nothing seen and Redis down: 500"
hc_is "$HC_CTYPE" application/json "500: application/json"
hc_like "$(hc_json .errorDetails)" Redis "500: errorDetails names Redis"
bulk
hc_is "$HC_STATUS" 500 "bulk, nothing seen: 500"
hc_start_redis
hc_redis HSET feature:flags ofrep.on 1 >/dev/null
fresh() { curl -s -H "Authorization: Bearer $USER" --data-binary '{}' \
	"$HC_URL/ofrep/v1/evaluate/flags/ofrep.on" | grep -q '"reason":"STATIC"'; }
hc_ok "Redis back: STATIC answers within 2 s" hc_wait_until 2 fresh

# ------------------------------------------------------------ nginx's own errors on /ofrep/ are OFREP-shaped
hc_stop_program flags
bulk
hc_is "$HC_STATUS" 502 "program stopped: nginx 502"
hc_is "$HC_CTYPE" application/json "nginx's 502 under /ofrep/: application/json"
hc_is "$(hc_json .errorCode)" GENERAL "nginx's 502 under /ofrep/: errorCode GENERAL"

hc_done

#!/bin/sh
# events.sh: headcount-events through real nginx (and Apache): every rule of API.md's Realtime events
# section, with npm's eventsource and ws clients and Chromium's own EventSource and WebSocket.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl node npm python3 timeout
hc_need_program events instances monitoring metrics token

# ------------------------------------------------------------ the npm clients (tests/clients)
CLIENTS=$top_srcdir/tests/clients
if [ ! -d "$CLIENTS/node_modules/eventsource" ] || [ ! -d "$CLIENTS/node_modules/ws" ]; then
	(cd "$CLIENTS" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >&2 ||
		hc_bail "npm install in tests/clients failed"
fi
CLIENT=$CLIENTS/events-client.mjs

# Keep-alive (and the WebSocket ping) every second so the tests need not wait 15 s.
export HEADCOUNT_EVENTS_KEEPALIVE=1 HEADCOUNT_EVENTS_REPLAY=5

ms() { date +%s%3N; }
# ev_client NAME MODE PATH [ARGS...]: a node client in the background, output $HC_TMP/NAME.jsonl
ev_client() {
	local name=$1 mode=$2 path=$3 pid
	shift 3
	: >"$HC_TMP/$name.jsonl"
	node "$CLIENT" "$mode" "$HC_URL$path" --out "$HC_TMP/$name.jsonl" "$@" \
		</dev/null >>"$HC_TMP/clients.log" 2>&1 &
	pid=$!
	hc_track "$name" "$pid"
}
ev_has() {	# ev_has NAME JQ-CONDITION: some line of NAME's output satisfies it
	jq -e -s "map(select($2)) | length > 0" "$HC_TMP/$1.jsonl" >/dev/null 2>&1
}
ev_open() { ev_has "$1" '.type == "open"'; }
ev_marker() {	# ev_marker NAME MARKER: at (ms) of the first message whose data has .marker == MARKER
	jq -r -s --arg m "$2" 'map(select(.type == "message" and (.data.data.marker? // "") == $m)) | .[0].at // empty' \
		"$HC_TMP/$1.jsonl" 2>/dev/null
}
publish() {	# publish CHANNEL PAYLOAD: with plain redis-cli; prints the time sent (ms)
	local t
	t=$(ms)
	hc_redis PUBLISH "$1" "$2" >/dev/null
	printf '%s\n' "$t"
}
ev_got() { [ -n "$(ev_marker "$1" "$2")" ]; }	# ev_got NAME MARKER
within() {	# within CLIENT MARKER T0 MS DESC: the message arrived, at most MS after T0
	local at
	hc_wait_until 5 ev_got "$1" "$2" || true
	at=$(ev_marker "$1" "$2")
	if [ -n "$at" ] && [ $((at - $3)) -le "$4" ]; then
		hc__result 0 "$5 ($((at - $3)) ms)"
	else
		hc__result 1 "$5"
		hc_diag "marker $2 at '${at:-never}', sent at $3" "$(tail -n 5 "$HC_TMP/$1.jsonl")"
	fi
}
problem() {	# problem STATUS DESC
	hc_is "$HC_STATUS" "$1" "$2: $1"
	hc_is "$HC_CTYPE" application/problem+json "$2: problem+json"
	hc_is "$(hc_json '[.type, .status, (.title | type), (.detail | type)] | map(tostring) | join(" ")')" \
		"about:blank $1 string string" "$2: problem body"
}
metric() {	# metric NAME-AND-LABELS: its value in /metrics (through nginx)
	curl -s --max-time 5 "$HC_URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}

hc_start_redis
hc_start_program events
hc_start_program instances
hc_start_program monitoring
hc_start_program metrics
hc_start_nginx
NGINX_URL=$HC_URL

USER=$(hc_token user viewer)
ADMIN=$(hc_token admin boss)
INST=$(hc_token instance web-1)
NOW=$(date +%s)
EXPIRED=$(hc_jwt_sign '{"alg":"HS256","typ":"JWT"}' \
	"{\"sub\":\"old\",\"role\":\"user\",\"iat\":$((NOW - 7200)),\"exp\":$((NOW - 3600))}")
NONE=$(printf '%s.%s.' "$(printf '{"alg":"none"}' | hc_b64url)" \
	"$(printf '{"sub":"x","role":"user","exp":%d}' $((NOW + 600)) | hc_b64url)")
SSE=/api/v1/realtime/events
WS=/api/v1/realtime/ws

# ------------------------------------------------------------ errors before the stream starts
for p in $SSE $WS; do
	hc_req GET "$p"
	problem 401 "$p without a token"
	hc_like "$(hc_header WWW-Authenticate || true)" '^Bearer' "$p: WWW-Authenticate: Bearer"
	hc_req GET "$p" -H "Authorization: Bearer $EXPIRED"
	problem 401 "$p with an expired token"
	hc_req GET "$p?access_token=$NONE"
	problem 401 "$p with alg none"
	hc_req GET "$p" -H "Authorization: Bearer $INST"
	problem 403 "$p with role instance"
	hc_req POST "$p" -H "Authorization: Bearer $USER" --data-binary '{"x":1}'
	problem 405 "POST $p"
	hc_is "$(hc_header Allow || true)" GET "POST $p: Allow: GET"
	hc_req GET "$p?channels=app:orders" -H "Authorization: Bearer $USER"
	problem 400 "$p: a channel outside HEADCOUNT_EVENT_CHANNELS"
	hc_like "$(hc_json .detail)" 'app:orders' "$p: the 400 names the channel"
	for bad in 'events:a%20b' 'events:*' ',' 'events:a,' ''; do
		hc_req GET "$p?channels=$bad" -H "Authorization: Bearer $USER"
		problem 400 "$p: malformed channels '$bad'"
	done
	hc_req GET "$p?channels=events:a&channels=events:b" -H "Authorization: Bearer $USER"
	problem 400 "$p: channels twice"
	hc_req GET "$p?since=1" -H "Authorization: Bearer $USER"
	problem 400 "$p: an unknown query parameter"
	hc_req GET "$p?access_token=$USER" -H "Authorization: Bearer $USER"
	problem 400 "$p: a token both ways"
done
hc_req GET /api/v1/realtime/nope -H "Authorization: Bearer $USER"
problem 404 "an unknown path under /api/v1/realtime/"
hc_req GET "$WS?access_token=$USER"
problem 426 "the WebSocket path without an upgrade"

# ------------------------------------------------------------ an SSE stream, raw (curl)
curl -s -N --max-time 60 -D "$HC_TMP/sse-raw.headers" "$HC_URL$SSE?access_token=$USER&channels=events:orders" \
	>"$HC_TMP/sse-raw.out" 2>/dev/null &
hc_track sse-raw $!
hc_ok "curl's stream starts" hc_wait_until 5 grep -q '^retry:' "$HC_TMP/sse-raw.out"
hc_like "$(tr -d '\r' <"$HC_TMP/sse-raw.headers" | tr '[:upper:]' '[:lower:]')" 'content-type: text/event-stream' \
	"SSE: Content-Type: text/event-stream"
hc_ok "keep-alive comments arrive (every HEADCOUNT_EVENTS_KEEPALIVE=1 s)" \
	hc_wait_until 5 sh -c "[ \$(grep -c '^: keep-alive' '$HC_TMP/sse-raw.out') -ge 2 ]"
publish events:other '{"marker":"not-for-raw"}' >/dev/null
publish events:orders '{"marker":"raw-1","n":1}' >/dev/null
hc_ok "a published message arrives" hc_wait_until 5 grep -q 'raw-1' "$HC_TMP/sse-raw.out"
FRAME=$(awk '/^id: /{id=$0} /^event: /{ev=$0} /^data: .*raw-1/{print id "|" ev "|" $0; exit}' "$HC_TMP/sse-raw.out")
hc_like "$FRAME" '^id: [0-9a-z]+-[0-9]+\|event: events:orders\|data: \{"channel":"events:orders","data":\{"marker":"raw-1","n":1\}\}$' \
	"SSE frame: id:, event: <channel>, data: {channel, data as an object}"
hc_ok "the filter keeps events:other out" sh -c "! grep -q not-for-raw '$HC_TMP/sse-raw.out'"
publish events:orders 'plain text' >/dev/null
hc_ok "a non-JSON payload arrives as a string" hc_wait_until 5 grep -q '^data: {"channel":"events:orders","data":"plain text"}$' "$HC_TMP/sse-raw.out"
hc_ok "every message carries an id" sh -c "[ \$(grep -c '^id: ' '$HC_TMP/sse-raw.out') = \$(grep -c '^data: ' '$HC_TMP/sse-raw.out') ]"

# ------------------------------------------------------------ Last-Event-ID
LAST=$(grep '^id: ' "$HC_TMP/sse-raw.out" | head -n 1 | cut -c5-)
for i in 2 3; do publish events:orders "{\"marker\":\"raw-$i\"}" >/dev/null; done
hc_wait_until 5 grep -q raw-3 "$HC_TMP/sse-raw.out" || true
curl -s -N --max-time 3 -H "Last-Event-ID: $LAST" "$HC_URL$SSE?access_token=$USER&channels=events:orders" \
	>"$HC_TMP/resume.out" 2>/dev/null || true
hc_is "$(grep -o '"marker":"raw-[0-9]"' "$HC_TMP/resume.out" | tr '\n' ' ')" '"marker":"raw-2" "marker":"raw-3" ' \
	"Last-Event-ID: the missed messages are replayed, in order, without the one seen"
hc_ok "...and no reset" sh -c "! grep -q '^event: reset' '$HC_TMP/resume.out'"
for i in 4 5 6 7 8 9; do publish events:orders "{\"marker\":\"raw-$i\"}" >/dev/null; done
hc_wait_until 5 grep -q raw-9 "$HC_TMP/sse-raw.out" || true
curl -s -N --max-time 3 -H "Last-Event-ID: $LAST" "$HC_URL$SSE?access_token=$USER&channels=events:orders" \
	>"$HC_TMP/reset.out" 2>/dev/null || true
hc_is "$(grep -m 1 -E '^(event|data): ' "$HC_TMP/reset.out")" "event: reset" \
	"an id older than the buffer (HEADCOUNT_EVENTS_REPLAY=5): event: reset first"
hc_is "$(grep -o '"marker":"raw-[0-9]"' "$HC_TMP/reset.out" | tr '\n' ' ')" \
	'"marker":"raw-5" "marker":"raw-6" "marker":"raw-7" "marker":"raw-8" "marker":"raw-9" ' \
	"...then what the buffer still holds"
hc_ok "...the reset has an id too" sh -c "awk '/^id: /{id=1} /^event: reset/{exit !id}' '$HC_TMP/reset.out'"
hc_is "$(grep -m 1 -A 1 '^event: reset' "$HC_TMP/reset.out" | sed -n 's/^data: //p' | jq -r '.event + "|" + .reason')" \
	"reset|Last-Event-ID is not in this node's buffer: messages were missed" "...its data: JSON (json-c's), event and reason"
curl -s -N --max-time 2 -H "Last-Event-ID: someone-elses-7" "$HC_URL$SSE?access_token=$USER" \
	>"$HC_TMP/foreign.out" 2>/dev/null || true
hc_ok "an id of another node or process: event: reset" grep -q '^event: reset' "$HC_TMP/foreign.out"

# ------------------------------------------------------------ npm clients: eventsource and ws
ev_client es-q sse "$SSE" --token "$USER"
ev_client es-h sse "$SSE" --token "$USER" --header --channels events:orders,events:flags,events:instances
ev_client ws-q ws "$WS" --token "$USER"
ev_client ws-h ws "$WS" --token "$USER" --header --channels events:orders,events:flags,events:instances
for c in es-q es-h ws-q ws-h; do
	hc_ok "$c: open" hc_wait_until 20 ev_open "$c"
done
T0=$(publish events:orders '{"marker":"order-1"}')
for c in es-q es-h ws-q ws-h; do
	within "$c" order-1 "$T0" 1000 "$c: redis-cli PUBLISH on events:orders arrives within 1 s"
done
# a flag change, as the flags program announces it (or through it when it is built)
if [ -x "$top_builddir/cgi/headcount-flags" ]; then
	hc_start_program flags
	T0=$(ms)
	hc_req PUT '/api/v1/flags/checkout.new_flow?enabled=true' -H "Authorization: Bearer $ADMIN"
	FLAGSRC="through the flags program"
else
	hc_redis HSET feature:flags checkout.new_flow 1 >/dev/null
	T0=$(publish events:flags "{\"event\":\"changed\",\"name\":\"checkout.new_flow\",\"enabled\":true,\"at\":\"$(date -u +%FT%TZ)\"}")
	FLAGSRC="HSET + PUBLISH as the flags program does"
fi
for c in es-q es-h ws-q ws-h; do
	hc_ok "$c: a flag change arrives within 1 s ($FLAGSRC)" hc_wait_until 5 \
		ev_has "$c" ".type == \"message\" and .data.channel == \"events:flags\" and .data.data.name == \"checkout.new_flow\" and .at - $T0 <= 1000"
done
T0=$(ms)
hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $INST" -H 'Content-Type: application/json' \
	--data-binary '{"instance_id":"web-new-1"}'
hc_is "$(hc_json .registered)" true "a new instance registers"
for c in es-q es-h ws-q ws-h; do
	hc_ok "$c: the instance registration arrives within 1 s" hc_wait_until 5 \
		ev_has "$c" ".type == \"message\" and .data.channel == \"events:instances\" and .data.data.event == \"registered\" and .data.data.instance_id == \"web-new-1\" and .at - $T0 <= 1000"
done
publish events:test '{"marker":"filtered"}' >/dev/null
T0=$(publish events:orders '{"marker":"after-filtered"}')
within ws-h after-filtered "$T0" 1000 "ws-h: a later message arrives"
hc_ok "ws-h and es-h: a channel outside ?channels= is not sent" sh -c \
	"! grep -q '\"marker\":\"filtered\"' '$HC_TMP/ws-h.jsonl' && ! grep -q '\"marker\":\"filtered\"' '$HC_TMP/es-h.jsonl'"
hc_ok "es-q without a filter gets events:test" hc_wait_until 5 grep -q '"marker":"filtered"' "$HC_TMP/es-q.jsonl"

# ------------------------------------------------------------ WebSocket ping/pong
ev_client ws-mute ws "$WS" --token "$USER" --no-pong
hc_ok "ws-mute: open" hc_wait_until 20 ev_open ws-mute
hc_ok "the server pings (every HEADCOUNT_EVENTS_KEEPALIVE s)" hc_wait_until 5 ev_has ws-q '.type == "ping"'
hc_ok "a client that never answers a ping is closed (2 x the interval, at least +3 s)" hc_wait_until 10 ev_has ws-mute '.type == "close"'
hc_ok "the clients that answer stay open" sh -c "! grep -q '\"type\":\"close\"' '$HC_TMP/ws-q.jsonl'"

# ------------------------------------------------------------ metrics
hc_ok "/metrics: headcount_events_streams counts the open SSE streams" hc_wait_until 5 sh -c \
	"[ \"\$(curl -s '$HC_URL/metrics' | awk '\$1 == \"headcount_events_streams{program=\\\"events\\\",protocol=\\\"sse\\\"}\" { print \$2 }')\" -ge 3 ]"
hc_ok "/metrics: headcount_events_streams counts the open WebSocket streams" sh -c \
	"[ \"\$(curl -s '$HC_URL/metrics' | awk '\$1 == \"headcount_events_streams{program=\\\"events\\\",protocol=\\\"ws\\\"}\" { print \$2 }')\" -ge 2 ]"
RELAYED=$(metric 'headcount_events_messages_total{program="events"}')
hc_ok "/metrics: messages relayed ($RELAYED)" test "${RELAYED:-0}" -ge 10
hc_is "$(metric 'headcount_events_redis_subscribed{program="events"}')" 1 "/metrics: the subscription is up"

# ------------------------------------------------------------ Redis stopped for 10 s
KA0=$(grep -c '^: keep-alive' "$HC_TMP/sse-raw.out")
hc_stop_redis
T_DOWN=$(ms)
hc_ok "Redis down: the subscription is reported down" hc_wait_until 5 sh -c \
	"curl -s '$HC_URL/metrics' | grep -q '^headcount_events_redis_subscribed{program=\"events\"} 0'"
# the outage lasts 10 s by design: watch the streams through it
while [ $(( $(ms) - T_DOWN )) -lt 10000 ]; do sleep 0.5; done
KA1=$(grep -c '^: keep-alive' "$HC_TMP/sse-raw.out")
hc_ok "Redis down 10 s: keep-alive comments went on ($((KA1 - KA0)) of them)" test $((KA1 - KA0)) -ge 7
for c in es-q es-h ws-q ws-h; do
	hc_ok "Redis down 10 s: $c still open" sh -c "! grep -q -E '\"type\":\"(close|error)\"' '$HC_TMP/$c.jsonl'"
done
hc_ok "Redis down 10 s: curl's stream still open" kill -0 "$(hc_pid sse-raw)"
hc_start_redis
hc_ok "Redis back: the relay resubscribes by itself" hc_wait_until 10 sh -c \
	"[ \"\$(redis-cli -s '$HC_TMP/redis.sock' PUBSUB NUMPAT)\" -ge 1 ]"
T0=$(publish events:orders '{"marker":"after-outage"}')
for c in es-q es-h ws-q ws-h; do
	within "$c" after-outage "$T0" 1000 "Redis back: a new PUBLISH reaches $c (no restart)"
done
hc_ok "Redis back: and curl's stream" hc_wait_until 5 grep -q after-outage "$HC_TMP/sse-raw.out"

# ------------------------------------------------------------ a client that stops reading
# (the clients without a filter would get the burst below too: they leave first)
hc_stop es-q
hc_stop ws-q
ev_client stall stall "$SSE" --token "$USER" --channels events:bulk
hc_ok "stall: open" hc_wait_until 20 ev_open stall
SLOW0=$(metric 'headcount_events_slow_clients_total{program="events"}')
# 240 messages of 64 KiB (15 MiB) for the stalled one only, one every 25 ms, while
# the others get small ones: the stalled stream's queue passes 1 MiB, theirs do not
python3 - "$HC_TMP/redis.sock" >"$HC_TMP/bulk.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = b'{"marker":"bulk","pad":"' + b'x' * 65500 + b'"}'
cmd = b'*3\r\n$7\r\nPUBLISH\r\n$11\r\nevents:bulk\r\n$%d\r\n%s\r\n' % (len(body), body)
for i in range(240):
    s.sendall(cmd)
    time.sleep(0.025)
s.settimeout(5)
got = b''
while got.count(b'\r\n') < 240:
    got += s.recv(65536)
print('published 240')
PY
BULK=$!
LATE=0
for i in $(seq 1 20); do
	T0=$(publish events:orders "{\"marker\":\"during-$i\"}")
	for c in es-h ws-h; do
		hc_wait_until 2 ev_got "$c" "during-$i" || true
		at=$(ev_marker "$c" "during-$i")
		if [ -z "$at" ] || [ $((at - T0)) -gt 1000 ]; then
			LATE=$((LATE + 1))
			hc_diag "$c: during-$i at '${at:-never}', sent $T0"
		fi
	done
	sleep 0.05
done
wait "$BULK" || true
hc_is "$LATE" 0 "while one client stalls under 15 MiB, the others get every message within 1 s"
hc_ok "the stalled client is dropped once more than 1 MiB is queued for it" hc_wait_until 10 sh -c \
	"[ \"\$(curl -s '$HC_URL/metrics' | awk '\$1 == \"headcount_events_slow_clients_total{program=\\\"events\\\"}\" { print \$2 }')\" -gt ${SLOW0:-0} ]"
hc_ok "the drop is logged" grep -q 'disconnected: .* bytes queued' "$HC_TMP/events.log"
kill -USR1 "$(hc_pid stall)"
hc_ok "the stalled client, reading again, finds its stream ended" hc_wait_until 30 ev_has stall '.type == "close"'
T0=$(publish events:orders '{"marker":"after-stall"}')
for c in es-h ws-h; do
	within "$c" after-stall "$T0" 1000 "$c: still served after the drop"
done

# ------------------------------------------------------------ Chromium's own EventSource and WebSocket
if command -v chromium >/dev/null 2>&1; then
	mkdir -p "$HC_TMP/probe"
	cat >"$HC_TMP/probe/rt.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>realtime probe</title></head><body>
<script>
"use strict";
// Reports every message to /_report (logged by nginx), so the shell sees when it arrived.
const tok = new URLSearchParams(location.hash.slice(1)).get("token") || "";
// d: <channel without "events:">_<marker, flag name or instance id>: nothing to escape
const key = (m) => (m && m.data && (m.data.marker || m.data.name || m.data.instance_id)) || "-";
const report = (what, d) => fetch("/_report?" + new URLSearchParams({ what, at: Date.now(), d }));
const es = new EventSource("/api/v1/realtime/events?access_token=" + encodeURIComponent(tok));
es.onopen = () => report("es-open", "-");
for (const ch of ["events:orders", "events:flags", "events:instances"])
	es.addEventListener(ch, (ev) => report("es", ch.slice(7) + "_" + key(JSON.parse(ev.data))));
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host +
	"/api/v1/realtime/ws?access_token=" + encodeURIComponent(tok));
ws.onopen = () => report("ws-open", "-");
ws.onmessage = (ev) => { const m = JSON.parse(ev.data); report("ws", String(m.channel).slice(7) + "_" + key(m)); };
</script></body></html>
EOF
	chmod -R a+rX "$HC_TMP/probe"
	: >"$HC_TMP/report.log"
	chmod 666 "$HC_TMP/report.log"
	cat >"$HC_TMP/local-server-probe.conf" <<EOF
location /_probe/ { alias $HC_TMP/probe/; }
location = /_report { access_log $HC_TMP/report.log headcount_report; return 204; }
EOF
	cat >"$HC_TMP/local-http-probe.conf" <<'EOF'
log_format headcount_report '$arg_what $arg_at $arg_d';
EOF
	hc_stop_nginx
	hc_start_nginx
	NGINX_URL=$HC_URL
	prof=$(mktemp -d "$HC_TMP/chrome.XXXXXX")
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --user-data-dir="$prof" \
		"$HC_URL/_probe/rt.html#token=$USER" </dev/null >"$HC_TMP/chromium.log" 2>&1 &
	hc_track chromium $!
	hc_ok "Chromium: EventSource and WebSocket open" hc_wait_until 30 sh -c \
		"grep -q '^es-open' '$HC_TMP/report.log' && grep -q '^ws-open' '$HC_TMP/report.log'"
	rep_at() {	# rep_at KIND KEY: at (ms) of the first report of KIND for KEY
		awk -v k="$1" -v d="$2" '$1 == k && $3 == d { print $2; exit }' "$HC_TMP/report.log"
	}
	rep_got() { [ -n "$(rep_at "$1" "$2")" ]; }
	chrome_within() {	# chrome_within T0 KEY DESC: reported by both, within 1 s of T0
		local k at
		for k in es ws; do
			hc_wait_until 5 rep_got "$k" "$2" || true
			at=$(rep_at "$k" "$2")
			if [ -n "$at" ] && [ $((at - $1)) -le 1000 ]; then
				hc__result 0 "Chromium $k: $3 within 1 s ($((at - $1)) ms)"
			else
				hc__result 1 "Chromium $k: $3 within 1 s"
				hc_diag "at '${at:-never}', sent $1" "$(tail -n 5 "$HC_TMP/report.log")"
			fi
		done
	}
	T0=$(publish events:orders '{"marker":"chromium-1"}')
	chrome_within "$T0" orders_chromium-1 "redis-cli PUBLISH on events:orders"
	T0=$(publish events:flags "{\"event\":\"changed\",\"name\":\"chromium.flag\",\"enabled\":false,\"at\":\"$(date -u +%FT%TZ)\"}")
	chrome_within "$T0" flags_chromium.flag "a flag change"
	T0=$(ms)
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $INST" -H 'Content-Type: application/json' \
		--data-binary '{"instance_id":"web-chromium"}'
	chrome_within "$T0" instances_web-chromium "an instance registration"
	hc_stop chromium
	rm -rf "$prof"

	# -------------------------------------------------------- the status page, live (www/)
	cat >"$HC_TMP/probe/live.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>live probe</title></head>
<body><iframe id="f" width="1000" height="700"></iframe>
<script>
"use strict";
// Watches the real status page in the iframe and reports what appears on it, when.
const tok = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const report = (what, d) => fetch("/_report?" + new URLSearchParams({ what, at: Date.now(), d }));
const seen = new Set();
const once = (what, d) => { if (!seen.has(what + d)) { seen.add(what + d); report(what, d); } };
const f = document.getElementById("f");
f.addEventListener("load", () => {
	const d = f.contentDocument;
	setInterval(() => {
		if (d.body.dataset.live === "on") once("page-live", "on");
		for (const tr of d.querySelectorAll("#instances-body tr[data-instance-id]"))
			once("page-row", tr.dataset.instanceId);
		const le = d.getElementById("last-event");
		if (le.dataset.channel === "events:flags" && le.dataset.name)
			once("page-flag", le.dataset.name + "_" + le.dataset.enabled);
		if (le.dataset.channel === "reset") once("page-reset", "reset");
	}, 20);
}, { once: true });
f.src = "/#token=" + tok;
</script></body></html>
EOF
	chmod -R a+rX "$HC_TMP/probe"
	prof=$(mktemp -d "$HC_TMP/chrome.XXXXXX")
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --user-data-dir="$prof" \
		"$HC_URL/_probe/live.html#token=$USER" </dev/null >>"$HC_TMP/chromium.log" 2>&1 &
	hc_track chromium $!
	hc_ok "status page: connected to the stream" hc_wait_until 30 rep_got page-live on
	T0=$(ms)
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $INST" -H 'Content-Type: application/json' \
		--data-binary '{"instance_id":"web-live"}'
	hc_ok "status page: a heartbeat's new instance appears without a reload" hc_wait_until 10 rep_got page-row web-live
	at=$(rep_at page-row web-live)
	hc_diag "status page: web-live shown $((at - T0)) ms after the heartbeat"
	hc_redis HSET feature:flags checkout.live 1 >/dev/null
	T0=$(publish events:flags "{\"event\":\"changed\",\"name\":\"checkout.live\",\"enabled\":true,\"at\":\"$(date -u +%FT%TZ)\"}")
	hc_ok "status page: a flag change appears without a reload" hc_wait_until 10 rep_got page-flag checkout.live_true
	at=$(rep_at page-flag checkout.live_true)
	hc_diag "status page: the flag change shown $((at - T0)) ms after the PUBLISH"
	reads() {	# state reads the page made so far (access lines of the programs)
		cat "$HC_TMP/monitoring.log" "$HC_TMP/instances.log" 2>/dev/null |
			grep -c -E '"path":"/api/v1/(monitoring/replicas|health/instances)"' || true
	}
	sleep 1	# the read the flag change asked for (150 ms coalescing) is done
	R0=$(reads)
	sleep 3	# an idle window, watched: a polling page would read the state in it
	hc_is "$(reads)" "$R0" "status page: no polling (no state read while nothing changes)"
	# the stream is lost (the program restarts): the page reconnects with Last-Event-ID
	# (answered "reset" by the new process), then reads the state again
	hc_stop_program events
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $INST" -H 'Content-Type: application/json' \
		--data-binary '{"instance_id":"web-missed"}'
	hc_start_program events
	hc_ok "status page: the lost stream resumes with Last-Event-ID (reset from the new process)" \
		hc_wait_until 20 rep_got page-reset reset
	hc_ok "status page: what happened meanwhile shows after the reset" hc_wait_until 10 rep_got page-row web-missed
	hc_stop chromium
	rm -rf "$prof"
else
	hc_skip "Chromium's EventSource and WebSocket" "no chromium"
fi

# ------------------------------------------------------------ the access token is never logged
hc_ok "the access_token appears in no log" sh -c "! grep -r -l -F -- '$USER' '$HC_TMP'/*.log"

# ------------------------------------------------------------ limits
for c in es-q es-h ws-q ws-h ws-mute stall sse-raw; do hc_stop "$c"; done
hc_stop_program events
HEADCOUNT_EVENTS_MAX_CLIENTS=3 HEADCOUNT_EVENTS_MAX_PER_SUBJECT=2 HEADCOUNT_EVENTS_KEEPALIVE=5 \
	hc_start_program events
A=$(hc_token user alice)
B=$(hc_token user bob)
C=$(hc_token user carol)
ev_client a1 sse "$SSE" --token "$A"
ev_client a2 ws "$WS" --token "$A"
hc_ok "alice: two streams open" hc_wait_until 5 sh -c "grep -q open '$HC_TMP/a1.jsonl' && grep -q open '$HC_TMP/a2.jsonl'"
upgrade_req() {	# upgrade_req PATH: a WebSocket handshake with curl (the answer is all we look at)
	hc_req GET "$1" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='
}
hc_req GET "$SSE?access_token=$A"
problem 429 "$SSE: a third stream of one subject (HEADCOUNT_EVENTS_MAX_PER_SUBJECT=2)"
hc_like "$(hc_header Retry-After || true)" '^[0-9]+$' "$SSE: 429 with Retry-After"
upgrade_req "$WS?access_token=$A"
problem 429 "$WS: a third stream of one subject"
hc_like "$(hc_header Retry-After || true)" '^[0-9]+$' "$WS: 429 with Retry-After"
ev_client b1 sse "$SSE" --token "$B"
hc_ok "bob: a stream of another subject opens" hc_wait_until 20 ev_open b1
hc_req GET "$SSE?access_token=$C"
problem 503 "$SSE: one stream more than HEADCOUNT_EVENTS_MAX_CLIENTS=3"
hc_like "$(hc_header Retry-After || true)" '^[0-9]+$' "$SSE: 503 with Retry-After"
upgrade_req "$WS?access_token=$C"
problem 503 "$WS: one stream more than HEADCOUNT_EVENTS_MAX_CLIENTS=3"
hc_like "$(hc_header Retry-After || true)" '^[0-9]+$' "$WS: 503 with Retry-After"
hc_stop a1
hc_ok "a closed stream frees its place" hc_wait_until 5 sh -c \
	"curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$HC_URL$SSE?access_token=$C' | grep -q 200"
for c in a2 b1; do hc_stop "$c"; done
hc_stop_program events
HEADCOUNT_EVENTS_KEEPALIVE=2 hc_start_program events

# ------------------------------------------------------------ Apache: SSE and WebSocket
if command -v apache2 >/dev/null 2>&1 && [ -f /usr/lib/apache2/modules/mod_proxy_wstunnel.so ]; then
	hc_start_apache
	hc_req GET "$SSE"
	problem 401 "Apache: $SSE without a token"
	hc_like "$(hc_header WWW-Authenticate || true)" '^Bearer' "Apache: WWW-Authenticate: Bearer"
	hc_req GET "$SSE?channels=app:x" -H "Authorization: Bearer $USER"
	problem 400 "Apache: a channel outside HEADCOUNT_EVENT_CHANNELS"
	ev_client ap-es sse "$SSE" --token "$USER"
	ev_client ap-ws ws "$WS" --token "$USER"
	ev_client ap-wsh ws "$WS" --token "$USER" --header
	for c in ap-es ap-ws ap-wsh; do hc_ok "Apache: $c open" hc_wait_until 20 ev_open "$c"; done
	T0=$(publish events:orders '{"marker":"apache-1"}')
	for c in ap-es ap-ws ap-wsh; do
		within "$c" apache-1 "$T0" 1000 "Apache: $c gets a redis-cli PUBLISH within 1 s"
	done
	curl -s -N --max-time 4 "$HC_URL$SSE?access_token=$USER" >"$HC_TMP/ap-raw.out" 2>/dev/null || true
	hc_ok "Apache: keep-alive comments pass (flushed)" grep -q '^: keep-alive' "$HC_TMP/ap-raw.out"
	for c in ap-es ap-ws ap-wsh; do hc_stop "$c"; done
	hc_stop_apache
else
	hc_skip "SSE and WebSocket through Apache" "no apache2 with mod_proxy_wstunnel"
fi

hc_done

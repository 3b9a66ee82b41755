#!/bin/sh
# www.sh: the static status page (www/) in a real headless browser (Debian's chromium) through
# nginx: token from #token=, counts and instances rendered, token form, refused-token and 5xx
# banners, owner-only prune button (clicked for real), fallback to /health/instances, escaping.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl timeout chromium
hc_need_program health instances monitoring token

# Short TTL so one instance can go stale quickly; a long prune delay keeps it listed.
export HEADCOUNT_TTL=3 HEADCOUNT_PRUNE_AFTER=600 DESIRED_REPLICAS=3

# A test-only page on the same origin that loads the real page in an iframe and
# reports what a user could not see in --dump-dom: the address after load, the
# sessionStorage copy, and the result of clicking "Prune stale instances".
hc_probe_page probe.html <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body><pre id="out">pending</pre><iframe id="f" width="1000" height="700"></iframe>
<script src="probe-until.js"></script>
<script>
"use strict";
const tok = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const f = document.getElementById("f");
f.addEventListener("load", async () => {
	const r = {};
	try {
		const w = f.contentWindow, d = f.contentDocument;
		r.href = w.location.href;
		r.stored = w.sessionStorage.getItem("headcount.token") === tok;
		await until(() => d.body.dataset.auth === "ok", 5000);
		r.auth = d.body.dataset.auth;
		r.prune_visible = !d.getElementById("owner-actions").hidden &&
			d.getElementById("prune").getClientRects().length > 0;
		r.stale_before = d.getElementById("stale").textContent;
		d.getElementById("prune").click();
		await until(() => /Pruned|No stale/.test(d.getElementById("prune-result").textContent), 5000);
		r.prune_result = d.getElementById("prune-result").textContent;
		await until(() => d.getElementById("stale").textContent === "0", 8000);
		r.stale_after = d.getElementById("stale").textContent;
		r.rows = Array.from(d.querySelectorAll("#instances-body tr[data-instance-id]"),
			(tr) => tr.dataset.instanceId).join(",");
	} catch (e) {
		r.error = String(e);
	}
	document.getElementById("out").textContent = JSON.stringify(r);
}, { once: true });
f.src = "/#token=" + tok;
</script>
</body></html>
EOF

hc_start_redis
hc_start_program health
hc_start_program instances
hc_start_program monitoring
hc_start_nginx

OWNER=$(hc_token owner boss)
USER=$(hc_token user viewer)
INST=$(hc_token instance web-1)
NOW=$(date +%s)
EXPIRED=$(hc_jwt_sign '{"alg":"HS256","typ":"JWT"}' \
	"{\"sub\":\"old\",\"role\":\"owner\",\"iat\":$((NOW - 7200)),\"exp\":$((NOW - 3600))}")

# ------------------------------------------------------------ helpers
hb() {	# hb ID [META_JSON]: one heartbeat with the owner token (plain curl: usable in the background)
	curl -fsS --max-time 5 -o /dev/null -H "Authorization: Bearer $OWNER" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"instance_id\":\"$1\",\"hostname\":\"host-$1\",\"meta\":${2:-{\}}}" \
		"$HC_URL/api/v1/instances/heartbeat"
}
browser() {	# browser ARGS...: headless chromium with a fresh profile; DOM/output on stdout
	local prof rc=0
	prof=$(mktemp -d "$HC_TMP/chrome.XXXXXX")
	timeout --kill-after=5 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$prof" \
		--virtual-time-budget=8000 "$@" 2>"$HC_TMP/chromium.err" </dev/null || rc=$?
	rm -rf "$prof"
	if [ "$rc" != 0 ]; then
		# Its stderr is mostly dbus noise in containers: show the rest.
		hc_diag "chromium exited $rc:" "$(grep -v -e dbus -e '^$' "$HC_TMP/chromium.err" | tail -n 15)"
	fi
	return "$rc"
}
dom() {	# dom URL: sets DOM to the rendered page, one line
	DOM=$(browser --dump-dom "$1" | tr '\n' ' ') || true
}
tag_of() {	# tag_of ID: the opening tag of the element with that id in $DOM
	printf '%s' "$DOM" | grep -o "<[a-z][a-z0-9]* \([^>]* \)\{0,1\}id=\"$1\"[^>]*>" | head -n 1
}
HIDDEN_RE='[[:space:]]hidden(=|[[:space:]]|>)'
shown() {	# shown ID: the element exists and has no hidden attribute
	local t
	t=$(tag_of "$1")
	[ -n "$t" ] && ! [[ $t =~ $HIDDEN_RE ]]
}
hidden() {	# hidden ID: the element exists and has the hidden attribute
	local t
	t=$(tag_of "$1")
	[ -n "$t" ] && [[ $t =~ $HIDDEN_RE ]]
}
text_of() {	# text_of ID: the text of a leaf element in $DOM
	printf '%s' "$DOM" | grep -o " id=\"$1\"[^>]*>[^<]*<" | head -n 1 | sed 's/^[^>]*>//; s/<$//'
}
body_attr() {	# body_attr NAME: data-NAME of <body>
	printf '%s' "$DOM" | grep -o '<body[^>]*>' | head -n 1 | sed -n "s/.* data-$1=\"\([^\"]*\)\".*/\1/p"
}
html_text() {	# html_text STRING: STRING as the serializer writes a text node
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}
has() {	# has STRING: $DOM contains STRING literally
	[[ $DOM == *"$1"* ]]
}

# ------------------------------------------------------------ static files
hc_req GET /
hc_is "$HC_STATUS" 200 "GET / is served"
hc_like "$HC_CTYPE" '^text/html' "GET /: text/html"
hc_req GET /headcount.js
hc_is "$HC_STATUS" 200 "GET /headcount.js is served"
hc_like "$HC_CTYPE" 'javascript' "headcount.js: a JavaScript type"
hc_req GET /headcount.css
hc_is "$HC_STATUS" 200 "GET /headcount.css is served"
hc_like "$HC_CTYPE" '^text/css' "headcount.css: text/css"
hc_ok "index.html loads no external resource" \
	sh -c "! grep -Eiq '(src|href)=\"(https?:)?//' '$top_srcdir/www/index.html'"
hc_ok "headcount.js never uses innerHTML/outerHTML/insertAdjacentHTML/document.write" \
	sh -c "! grep -Eq '\\.(innerHTML|outerHTML)|insertAdjacentHTML|document\\.write' '$top_srcdir/www/headcount.js'"

# ------------------------------------------------------------ instances: 1 stale, 2 active
hc_ok "heartbeat web-old" hb web-old
hc_ok "web-old goes stale" hc_wait_until 10 sh -c \
	"curl -fsS -H 'Authorization: Bearer $USER' '$HC_URL/api/v1/health/instances' | jq -e '.stale_instances == 1' >/dev/null"
hc_ok "heartbeat web-1 (meta with markup)" hb web-1 '{"zone":"<img src=x onerror=alert(1)>","weight":2}'
hc_ok "heartbeat web-2" hb web-2 '{"zone":"lon1"}'
# Keep web-1 and web-2 active while browsers run.
( while :; do
	hb web-1 '{"zone":"<img src=x onerror=alert(1)>","weight":2}' || true
	hb web-2 '{"zone":"lon1"}' || true
	sleep 1
done ) >/dev/null 2>&1 &
hc__track heartbeats $!

hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $USER"
hc_is "$(hc_json '[.summary.configured_replicas, .summary.active_instances, .summary.stale_instances, .summary.status] | join(" ")')" \
	"3 2 1 under_replicated" "API: 3 configured, 2 active, 1 stale, under_replicated"
REC1=$(hc_json '.recommendations[0] // ""')

# ------------------------------------------------------------ owner link with #token=
dom "$HC_URL/#token=$OWNER"
hc_is "$(body_attr auth)" ok "owner link: token accepted"
hc_is "$(body_attr view)" monitoring "owner link: data from /monitoring/replicas"
hc_is "$(text_of configured)" 3 "owner link: configured replicas 3"
hc_like "$(text_of configured-source)" 'source: env' "owner link: configured source shown"
hc_is "$(text_of active)" 2 "owner link: 2 active"
hc_is "$(text_of stale)" 1 "owner link: 1 stale"
hc_is "$(text_of status)" Under-replicated "owner link: status label"
hc_ok "owner link: status colour class" has 'class="status status-under_replicated"'
hc_like "$(printf '%s' "$DOM" | grep -o ' id="mismatch-since"[^>]*><time datetime="[^"]*"' || true)" \
	'datetime="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "owner link: mismatch_since shown"
hc_like "$(printf '%s' "$DOM" | grep -o ' id="checked-at"[^>]*><time datetime="[^"]*"' || true)" \
	'datetime="[0-9]{4}-' "owner link: checked_at shown"
for id in web-1 web-2 web-old; do
	hc_ok "owner link: row for $id" has "data-instance-id=\"$id\""
	hc_ok "owner link: hostname of $id" has ">host-$id<"
done
hc_ok "owner link: web-old has the stale badge" \
	sh -c "printf '%s' \"\$1\" | grep -Eq 'data-instance-id=\"web-old\"[^>]*>.{0,800}>stale</span>'" _ "$DOM"
hc_ok "owner link: meta shown" has 'zone=</span>lon1'
hc_ok "owner link: meta markup shown as text" has '&lt;img src=x onerror=alert(1)&gt;'
hc_ok "owner link: meta markup not parsed into an element" \
	sh -c "! printf '%s' \"\$1\" | grep -q '<img'" _ "$DOM"
if [ -n "$REC1" ]; then
	hc_ok "owner link: first recommendation shown" has "$(html_text "$REC1")"
else
	hc_skip "owner link: first recommendation shown" "the API answered no recommendation"
fi
hc_ok "owner link: prune button shown" shown owner-actions
hc_ok "owner link: role shown" has 'class="role" id="role">owner<'
hc_ok "owner link: no token form" hidden token-section
hc_ok "owner link: no error banner" hidden error
hc_ok "owner link: node checks (redis pass)" \
	sh -c "printf '%s' \"\$1\" | grep -Eq '<th scope=\"row\">redis</th><td[^>]*><span class=\"badge badge-ok\">pass<'" _ "$DOM"
hc_is "$(text_of node-status)" "(ready)" "owner link: node ready"
hc_ok "owner link: last updated set" sh -c "[ \"\$1\" != never ] && [ -n \"\$1\" ]" _ "$(text_of updated)"
hc_ok "owner link: token not written into the page" sh -c "! printf '%s' \"\$1\" | grep -qF \"\$2\"" _ "$DOM" "$OWNER"

# One picture for a human (and CI artifacts): desktop and phone widths.
rm -f "$HC_TMP/page.png" "$HC_TMP/page-phone.png"
browser --screenshot="$HC_TMP/page.png" --window-size=1280,900 "$HC_URL/#token=$OWNER" >/dev/null || true
browser --screenshot="$HC_TMP/page-phone.png" --window-size=390,1400 "$HC_URL/#token=$OWNER" >/dev/null || true
hc_ok "screenshot is a PNG" sh -c "[ \"\$(head -c 4 '$HC_TMP/page.png' | od -An -c | tr -d ' ')\" = '211PNG' ]"
if [ -n "${HC_SCREENSHOT_DIR:-}" ]; then
	cp "$HC_TMP/page.png" "$HC_TMP/page-phone.png" "$HC_SCREENSHOT_DIR/" 2>/dev/null || true
fi

# ------------------------------------------------------------ user: no prune button
dom "$HC_URL/#token=$USER"
hc_is "$(body_attr auth)" ok "user link: token accepted"
hc_is "$(text_of active)" 2 "user link: 2 active"
hc_ok "user link: prune button not shown" hidden owner-actions
hc_ok "user link: role shown" has 'class="role" id="role">user<'

# ------------------------------------------------------------ no token: asks for one
dom "$HC_URL/"
hc_is "$(body_attr auth)" none "no token: state none"
hc_ok "no token: token form shown" shown token-section
hc_ok "no token: asks for a token" has 'Paste a bearer token'
hc_ok "no token: password field" has 'id="token-input" name="token" type="password"'
hc_ok "no token: no instances shown" sh -c "! printf '%s' \"\$1\" | grep -q 'data-instance-id='" _ "$DOM"
hc_ok "no token: prune button not shown" hidden owner-actions
hc_ok "no token: node health still shown" has '<th scope="row">redis</th>'

# ------------------------------------------------------------ refused tokens
dom "$HC_URL/#token=$EXPIRED"
hc_is "$(body_attr auth)" refused "expired token: refused"
hc_ok "expired token: error banner shown" shown error
hc_is "$(text_of error-title)" "Token refused." "expired token: banner title"
hc_like "$(text_of error-detail)" 'HTTP 401.*Paste a new token' "expired token: banner names 401 and asks for a new token"
hc_ok "expired token: token form shown" shown token-section
hc_ok "expired token: header says expired" has '(expired)'
hc_ok "expired token: prune button not shown" hidden owner-actions

if [ -n "${HC_SCREENSHOT_DIR:-}" ]; then	# for a human: the refused state
	browser --screenshot="$HC_SCREENSHOT_DIR/page-refused.png" --window-size=1280,900 \
		"$HC_URL/#token=$EXPIRED" >/dev/null || true
fi

dom "$HC_URL/#token=garbage"
hc_is "$(body_attr auth)" refused "garbage token: refused"
hc_ok "garbage token: error banner shown" shown error
hc_like "$(text_of error-detail)" 'HTTP 401' "garbage token: banner names 401"

dom "$HC_URL/#token=$INST"
hc_is "$(body_attr auth)" forbidden "instance token: forbidden"
hc_ok "instance token: error banner shown" shown error
hc_is "$(text_of error-title)" "Insufficient role." "instance token: banner title"
hc_like "$(text_of error-detail)" 'role instance.*HTTP 403' "instance token: banner names the role and 403"
hc_ok "instance token: token form shown" shown token-section

# ------------------------------------------------------------ probe: address, storage, prune click
PROBE=$(browser --dump-dom "$HC_URL/_probe/probe.html#token=$OWNER" | tr '\n' ' ' |
	sed -n 's/.*<pre id="out">\([^<]*\)<\/pre>.*/\1/p' | sed 's/&amp;/\&/g')
hc_diag "probe: $PROBE"
pj() { printf '%s' "$PROBE" | jq -r "$1" 2>/dev/null || true; }
hc_is "$(pj .href)" "$HC_URL/" "the #token= fragment is removed from the address"
hc_is "$(pj .stored)" true "the token is kept in sessionStorage"
hc_is "$(pj .auth)" ok "probe: token accepted"
hc_is "$(pj .prune_visible)" true "probe: owner sees the prune button"
hc_is "$(pj .stale_before)" 1 "probe: 1 stale before pruning"
hc_is "$(pj .prune_result)" "Pruned 1: web-old" "clicking prune reports the pruned id"
hc_is "$(pj .stale_after)" 0 "after pruning the page shows 0 stale"
hc_is "$(pj .rows)" "web-1,web-2" "after pruning the table lists web-1 and web-2"
hc_req GET /api/v1/health/instances -H "Authorization: Bearer $USER"
hc_is "$(hc_json '[.registered_instances[].instance_id] | join(",")')" "web-1,web-2" "web-old is gone from the API too"

# ------------------------------------------------------------ monitoring down: fallback
hc_stop_program monitoring
hc_req GET /api/v1/monitoring/replicas -H "Authorization: Bearer $USER"
hc_is "$HC_STATUS" 502 "monitoring stopped: nginx answers 502"
dom "$HC_URL/#token=$USER"
hc_is "$(body_attr auth)" ok "fallback: token accepted"
hc_is "$(body_attr view)" fallback "fallback: data from /health/instances"
hc_ok "fallback: notice shown" shown fallback
hc_is "$(text_of configured)" 3 "fallback: configured 3"
hc_is "$(text_of active)" 2 "fallback: 2 active"
hc_is "$(text_of status)" Under-replicated "fallback: status worked out by the page"
hc_ok "fallback: rows for web-1 and web-2" sh -c \
	"printf '%s' \"\$1\" | grep -q 'data-instance-id=\"web-1\"' && printf '%s' \"\$1\" | grep -q 'data-instance-id=\"web-2\"'" _ "$DOM"
hc_ok "fallback: no error banner" hidden error

# ------------------------------------------------------------ instances down too: 5xx banner with detail
hc_stop heartbeats
hc_stop_program instances
dom "$HC_URL/#token=$USER"
hc_ok "both down: error banner shown" shown error
hc_is "$(text_of error-title)" "The API answered with an error." "both down: banner title"
hc_like "$(text_of error-detail)" '^HTTP 502 Bad Gateway: The headcount program for this path is not reachable' \
	"both down: banner shows the problem detail"
hc_ok "both down: token form not shown (the token is fine)" hidden token-section
hc_ok "both down: node health still shown" has '<th scope="row">redis</th>'

hc_done

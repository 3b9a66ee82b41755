#!/bin/sh
# history-www.sh: /history.html in headless Chromium through nginx: the chart has one point per
# bucket of the report, the mismatch table one row per period (a running one says so), the range and
# step live in the address, the token in sessionStorage, the CSV download, a screenshot kept.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl timeout chromium
hc_need_program monitoring agent token
FILL=$top_builddir/tests/bench/history-fill
[ -x "$FILL" ] || hc_bail "tests/bench/history-fill is not built"
own() {	# own PATH...: hand files made by this (root) shell to the user the programs run as
	[ "$(id -u)" != 0 ] || chown -R "$HC_RUN_UID" "$@"
}
SHOTS=${HC_SCREENSHOT_DIR:-$top_builddir/tests/integration}
mkdir -p "$SHOTS"

# The same-origin probe (as in www.sh): loads the real page in an iframe and reports what
# --dump-dom cannot show: the address after load, sessionStorage, a click on "Download CSV"
# and on the "24 h" preset.
hc_probe_page probe.html <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body><pre id="out">pending</pre><iframe id="f" width="1000" height="700"></iframe>
<script src="probe-until.js"></script>
<script>
"use strict";
const q = new URLSearchParams(location.hash.slice(1));
const tok = q.get("token") || "";
const f = document.getElementById("f");
f.addEventListener("load", async () => {
	const r = {};
	try {
		const w = f.contentWindow, d = f.contentDocument;
		await until(() => d.body.dataset.state === "ok", 5000);
		r.state = d.body.dataset.state;
		r.href = w.location.pathname + w.location.search + w.location.hash;
		r.stored = w.sessionStorage.getItem("headcount.token") === tok;
		r.points = d.querySelectorAll("#chart circle.pt").length;
		r.from_input = d.getElementById("from").value;
		d.getElementById("csv").click();
		await until(() => /Downloaded/.test(d.getElementById("csv-result").textContent), 5000);
		r.csv = d.getElementById("csv-result").textContent;
		d.querySelector('.presets button[data-span="86400"]').click();
		await until(() => /step=300/.test(w.location.search), 5000);
		await until(() => d.body.dataset.state === "ok", 5000);
		r.preset_search = w.location.search;
	} catch (e) {
		r.error = String(e);
	}
	document.getElementById("out").textContent = JSON.stringify(r);
}, { once: true });
f.src = "/history.html" + q.get("query") + "#token=" + tok;
</script>
</body></html>
EOF

export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=600 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_HISTORY_INTERVAL=1 DESIRED_REPLICAS=3 HEADCOUNT_INSTANCE_ID=node-a
hc_start_redis
hc_start_program monitoring
hc_start_nginx
USER=$(hc_token user viewer)

browser() {	# browser ARGS...: headless chromium with a fresh profile; output on stdout
	local prof rc=0
	prof=$(mktemp -d "$HC_TMP/chrome.XXXXXX")
	timeout --kill-after=5 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$prof" \
		--virtual-time-budget=8000 "$@" 2>"$HC_TMP/chromium.err" </dev/null || rc=$?
	rm -rf "$prof"
	if [ "$rc" != 0 ]; then
		hc_diag "chromium exited $rc:" "$(grep -v -e dbus -e '^$' "$HC_TMP/chromium.err" | tail -n 15)"
	fi
	return "$rc"
}
dom() { DOM=$(browser --dump-dom "$1" | tr '\n' ' ') || true; }
body_attr() {	# body_attr NAME: data-NAME of <body>
	printf '%s' "$DOM" | grep -o '<body[^>]*>' | head -n 1 | sed -n "s/.* data-$1=\"\([^\"]*\)\".*/\1/p"
}
count_of() { printf '%s' "$DOM" | grep -o "$1" | wc -l; }

hc_ok "the page loads no external resource" \
	sh -c "! grep -Eiq '(src|href)=\"(https?:)?//' '$top_srcdir/www/history.html'"
hc_ok "history.js never uses innerHTML/outerHTML/insertAdjacentHTML/document.write" \
	sh -c "! grep -Eq '\\.(innerHTML|outerHTML)|insertAdjacentHTML|document\\.write' '$top_srcdir/www/history.js'"
hc_req GET /history.html
hc_is "$HC_STATUS" 200 "GET /history.html is served"
hc_req GET /history.js
hc_like "$HC_CTYPE" javascript "history.js: a JavaScript type"

END=$(date -u -d 2026-11-22T06:00:00Z +%s)
hc_ok "loader fills 600 samples" "$FILL" "$HC_TMP/data" 600 "$END"
own "$HC_TMP/data"

# ------------------------------------------------------------ hourly view of the loaded day
Q="?from=2026-11-22T00:00:00Z&to=2026-11-22T06:00:00Z&step=3600"
hc_req GET "/api/v1/monitoring/history$Q" -H "Authorization: Bearer $USER"
WANT_P=$(hc_json '.points | length')
WANT_M=$(hc_json '.mismatch_periods | length')
dom "$HC_URL/history.html$Q#token=$USER"
hc_is "$(body_attr state)" ok "hourly view: loaded"
hc_is "$(body_attr points)" "$WANT_P" "hourly view: the page has the report's $WANT_P points"
hc_is "$(count_of '<circle class="pt"')" "$WANT_P" "hourly view: one dot per point in the SVG"
hc_is "$(count_of '<tr data-start=')" "$WANT_M" "hourly view: one table row per mismatch period"
hc_ok "hourly view: the period's start is shown" sh -c "printf '%s' \"\$1\" | grep -q '2026-11-22T03:59:55Z'" _ "$DOM"
hc_is "$(count_of 'class="line-desired"')" 1 "hourly view: the desired line"
hc_is "$(count_of 'class="line-active"')" 1 "hourly view: the active line"
hc_ok "hourly view: the mismatch is shaded" test "$(count_of '<rect class="mismatch"')" -ge 1
hc_ok "hourly view: the token is not written into the page" sh -c "! printf '%s' \"\$1\" | grep -qF \"\$2\"" _ "$DOM" "$USER"
browser --screenshot="$SHOTS/history-www.png" --window-size=1280,1100 "$HC_URL/history.html$Q#token=$USER" >/dev/null || true
hc_ok "a screenshot is kept ($SHOTS/history-www.png)" sh -c "[ \"\$(head -c 4 '$SHOTS/history-www.png' | od -An -c | tr -d ' ')\" = '211PNG' ]"

# ------------------------------------------------------------ per-minute view of the mismatch
Q2="?from=2026-11-22T03:30:00Z&to=2026-11-22T05:00:00Z&step=60"
dom "$HC_URL/history.html$Q2#token=$USER"
hc_is "$(body_attr points)" 90 "per-minute view: 90 points"
hc_is "$(count_of '<circle class="pt"')" 90 "per-minute view: 90 dots"
hc_is "$(body_attr periods)" 1 "per-minute view: 1 period"

# ------------------------------------------------------------ address, storage, CSV, presets
PROBE=$(browser --dump-dom "$HC_URL/_probe/probe.html#token=$USER&query=$(printf '%s' "$Q" | jq -sRr @uri)" |
	tr '\n' ' ' | sed -n 's/.*<pre id="out">\([^<]*\)<.*/\1/p' | sed 's/&quot;/"/g; s/&amp;/\&/g')
pj() { printf '%s' "$PROBE" | jq -r "$1" 2>/dev/null; }
hc_diag "probe: $PROBE"
hc_is "$(pj .state)" ok "probe: the page loaded"
hc_is "$(pj .href)" "/history.html$Q" "the range stays in the address, the token leaves it"
hc_is "$(pj .stored)" true "the token is kept in sessionStorage"
hc_is "$(pj .from_input)" 2026-11-22T00:00:00Z "the form shows the range of the address"
hc_is "$(pj .points)" "$WANT_P" "probe: the chart's points"
hc_is "$(pj .csv)" "Downloaded $WANT_P row(s)." "the CSV download fetches one row per point"
hc_like "$(pj .preset_search)" '^\?from=[0-9T:-]+Z&step=300$' "the 24 h preset writes its range into the address"

# ------------------------------------------------------------ a running mismatch
T_START=$(date -u +%FT%TZ)
hc_start_agent
has_running() {
	hc_req GET "/api/v1/monitoring/history?from=$T_START&step=1" -H "Authorization: Bearer $USER"
	[ "$(hc_json '.mismatch_periods[-1].end')" = null ] && [ "$(hc_json '.points | length')" -ge 3 ]
}
hc_ok "one agent of three desired: a running mismatch" hc_wait_until 15 has_running
dom "$HC_URL/history.html?from=$T_START&step=1#token=$USER"
hc_ok "running view: points drawn" test "$(body_attr points)" -ge 3
hc_is "$(count_of '<tr class="running"')" 1 "running view: the running period is marked"
hc_ok "running view: it says still running" sh -c "printf '%s' \"\$1\" | grep -q 'still running'" _ "$DOM"

hc_done

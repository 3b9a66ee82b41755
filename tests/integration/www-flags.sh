#!/bin/sh
# www-flags.sh: the flags section of the status page in headless Chromium through nginx: the
# list with each state, read-only for a user, toggles for an admin (clicked for real, the change
# checked through the API), the stale notice and a failed change showing the problem's detail.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need jq curl timeout chromium
hc_need_program health instances flags token

# A same-origin probe page: loads the real page in an iframe, clicks the toggle of one flag and
# reports what a user would see (the badge before and after, the result line, the buttons).
hc_probe_page flags.html <<'PROBE'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body><pre id="out">pending</pre><iframe id="f" width="1000" height="900"></iframe>
<script src="probe-until.js"></script>
<script>
"use strict";
const p = new URLSearchParams(location.hash.slice(1));
const f = document.getElementById("f");
f.addEventListener("load", async () => {
	const r = {};
	try {
		const d = f.contentDocument;
		const row = () => d.querySelector('#flags-list li[data-flag="' + p.get("flag") + '"]');
		await until(() => row() !== null, 8000);
		r.before = row() ? row().dataset.enabled : null;
		r.badge_before = row() ? row().querySelector(".badge").textContent : null;
		r.buttons = d.querySelectorAll("#flags-list button.flag-toggle").length;
		r.flags_state = d.body.dataset.flags;
		r.note = d.getElementById("flags-note").hidden ? "" : d.getElementById("flags-note").textContent;
		const btn = row() ? row().querySelector("button.flag-toggle") : null;
		r.clicked = !!btn;
		if (btn) {
			btn.click();
			await until(() => /is now|failed/.test(d.getElementById("flags-result").textContent), 8000);
			r.result = d.getElementById("flags-result").textContent;
			r.result_error = d.getElementById("flags-result").classList.contains("is-error");
			await until(() => row() && row().dataset.enabled !== r.before, 3000);
			r.after = row() ? row().dataset.enabled : null;
			r.badge_after = row() ? row().querySelector(".badge").textContent : null;
		}
	} catch (e) {
		r.error = String(e);
	}
	document.getElementById("out").textContent = JSON.stringify(r);
}, { once: true });
f.src = "/#token=" + p.get("token");
</script>
</body></html>
PROBE

hc_start_redis
hc_redis HSET feature:flags checkout.new_flow 1 dark-mode 0 '<b>x</b>' 1 >/dev/null
hc_start_program health
hc_start_program instances
hc_start_program flags
hc_start_nginx

USER=$(hc_token user viewer)
ADMIN=$(hc_token admin adm)
OWNER=$(hc_token owner boss)

browser() {	# browser ARGS...: headless chromium with a fresh profile; DOM on stdout
	local prof rc=0
	prof=$(mktemp -d "$HC_TMP/chrome.XXXXXX")
	timeout --kill-after=5 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$prof" \
		--virtual-time-budget=8000 "$@" 2>"$HC_TMP/chromium.err" </dev/null || rc=$?
	rm -rf "$prof"
	[ "$rc" = 0 ] || hc_diag "chromium exited $rc: $(grep -v -e dbus -e '^$' "$HC_TMP/chromium.err" | tail -n 5)"
	return "$rc"
}
dom() { DOM=$(browser --dump-dom "$1" | tr '\n' ' ') || true; }
has() { [[ $DOM == *"$1"* ]]; }
probe() {	# probe TOKEN FLAG: sets PROBE to the probe's JSON
	PROBE=$(browser --dump-dom "$HC_URL/_probe/flags.html#token=$1&flag=$2" | tr '\n' ' ' |
		sed -n 's/.*<pre id="out">\([^<]*\)<\/pre>.*/\1/p' | sed 's/&amp;/\&/g; s/&quot;/"/g') || true
	hc_diag "probe: $PROBE"
}
pj() { printf '%s' "$PROBE" | jq -r "$1" 2>/dev/null || true; }
flag_is() {	# flag_is NAME WANT: the API answers enabled WANT
	[ "$(curl -s -H "Authorization: Bearer $USER" "$HC_URL/api/v1/flags/$1" | jq -r .enabled)" = "$2" ]
}

# ------------------------------------------------------------ a user: the list, read-only
dom "$HC_URL/#token=$USER"
hc_ok "user: the flags section is on the page" has 'id="flags-section"'
hc_ok "user: checkout.new_flow listed as on" sh -c \
	"printf '%s' \"\$1\" | grep -Eq 'data-flag=\"checkout.new_flow\" data-enabled=\"true\"'" _ "$DOM"
hc_ok "user: dark-mode listed as off" sh -c \
	"printf '%s' \"\$1\" | grep -Eq 'data-flag=\"dark-mode\" data-enabled=\"false\"'" _ "$DOM"
hc_ok "user: state shown as a badge" has '<span class="badge badge-ok">on</span>'
hc_ok "user: count shown (a hash field that is no flag name is not listed)" has 'id="flags-count">(2)<'
hc_ok "user: no toggle buttons" sh -c "! printf '%s' \"\$1\" | grep -q 'flag-toggle'" _ "$DOM"
hc_ok "user: markup in the hash never reaches the page" sh -c "! printf '%s' \"\$1\" | grep -q -e '<b>x</b>' -e '&lt;b&gt;'" _ "$DOM"
hc_ok "user: no stale notice" sh -c "printf '%s' \"\$1\" | grep -Eq 'id=\"flags-note\"[^>]*hidden'" _ "$DOM"

# ------------------------------------------------------------ an admin: toggles
dom "$HC_URL/#token=$ADMIN"
hc_ok "admin: a toggle per flag (2)" sh -c "[ \"\$(printf '%s' \"\$1\" | grep -o 'class=\"flag-toggle\"' | wc -l)\" = 2 ]" _ "$DOM"
hc_ok "admin: the toggle says what it does" has 'aria-label="Turn on dark-mode"'
probe "$ADMIN" dark-mode
hc_is "$(pj .before)" false "admin probe: dark-mode off before"
hc_is "$(pj .clicked)" true "admin probe: clicked its toggle"
hc_is "$(pj .result)" "dark-mode is now on." "admin probe: the result line"
hc_is "$(pj .result_error)" false "admin probe: not an error"
hc_is "$(pj .after)" true "admin probe: the row shows on afterwards"
hc_is "$(pj .badge_after)" on "admin probe: the badge says on"
hc_ok "the API sees dark-mode on" flag_is dark-mode true
probe "$OWNER" checkout.new_flow
hc_is "$(pj .result)" "checkout.new_flow is now off." "owner probe: turns a flag off"
hc_ok "the API sees checkout.new_flow off" flag_is checkout.new_flow false
probe "$USER" dark-mode
hc_is "$(pj .buttons)" 0 "user probe: no toggles"
hc_is "$(pj .clicked)" false "user probe: nothing to click"

# ------------------------------------------------------------ Redis down: stale list, a failed change shows the detail
hc_stop_redis
hc_ok "the API turns stale" hc_wait_until 3 sh -c \
	"curl -s -H 'Authorization: Bearer $USER' '$HC_URL/api/v1/flags' | grep -q '\"stale\":true'"
probe "$ADMIN" dark-mode
hc_is "$(pj .flags_state)" stale "stale: the page knows"
hc_like "$(pj .note)" 'last values seen' "stale: the notice says the values are the last seen"
hc_is "$(pj .before)" true "stale: dark-mode still shown on"
hc_is "$(pj .result_error)" true "failed change: shown as an error"
hc_like "$(pj .result)" '^Change failed: HTTP 503 Service Unavailable: the flag store \(Redis\) is unavailable' \
	"failed change: the problem's detail"
hc_is "$(pj .after)" true "failed change: the row keeps its state"

# ------------------------------------------------------------ flags program down: the rest of the page still works
hc_start_redis
hc_stop_program flags
dom "$HC_URL/#token=$USER"
hc_ok "flags down: the section says unavailable with the problem" has 'Flags unavailable: HTTP 502'
hc_ok "flags down: the page itself still renders (token accepted)" sh -c \
	"printf '%s' \"\$1\" | grep -Eq '<body[^>]*data-auth=\"ok\"'" _ "$DOM"

if [ -n "${HC_SCREENSHOT_DIR:-}" ]; then
	hc_start_program flags
	browser --screenshot="$HC_SCREENSHOT_DIR/page-flags.png" --window-size=1280,1400 \
		"$HC_URL/#token=$ADMIN" >/dev/null || true
fi
hc_done

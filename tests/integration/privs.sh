#!/bin/sh
# privs.sh: every headcount process runs as the --user given, without new privileges, core dumps or execve; root without --user refuses; one settings loader.
. "$(dirname "$0")/setup.sh"

hc_need redis-server nginx curl
hc_need_program health

hc_start_redis
started=""
for p in health instances monitoring metrics; do
	if [ -x "$top_builddir/cgi/headcount-$p" ]; then
		hc_start_program "$p"
		started="$started $p"
	fi
done
if [ -x "$top_builddir/cgi/headcount-agent" ]; then
	hc_start_agent
	started="$started agent"
fi
hc_start_nginx
hc_req GET /api/v1/health/live
hc_is "$HC_STATUS" 200 "live through nginx with every program under --user"

field() {	# field PID NAME: a line of /proc/PID/status, tabs squeezed
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null | tr -s '\t ' ' '
}
uid=$HC_RUN_UID
for p in $started; do
	master=$(hc_pid "$p")
	[ "$p" = agent ] || hc_wait_until 5 sh -c "pgrep -P $master >/dev/null" || true
	procs="$master $(pgrep -P "$master" | tr '\n' ' ')"
	bad=""
	for pid in $procs; do
		[ "$(field "$pid" Uid)" = "$uid $uid $uid $uid" ] || bad="$bad $pid:uid=$(field "$pid" Uid)"
		[ "$(field "$pid" NoNewPrivs)" = 1 ] || bad="$bad $pid:nnp"
		[ "$(field "$pid" Seccomp)" = 2 ] || bad="$bad $pid:seccomp=$(field "$pid" Seccomp)"
		grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" || bad="$bad $pid:core"
	done
	hc_is "${bad:-none}" none "$p: all $(echo $procs | wc -w) processes run as uid $uid, no new privileges, seccomp filter, no core dumps"
done
if [ "$(id -u)" = 0 ]; then
	sock=$HC_TMP/health.sock
	hc_is "$(stat -c %a:%U:%G "$sock")" "660:$HC_RUN_USER:www-data" "socket 0660, owner the --user, group www-data"
	# started as root without --user: one line, exit 1, nothing bound
	rc=0; out=$("$top_builddir/cgi/headcount-health" --config "$HC_TMP/settings.conf" \
		--listen "unix:$HC_TMP/root.sock" 2>&1 </dev/null) || rc=$?
	hc_is "$rc" 1 "headcount-health as root without --user: exit 1"
	hc_like "$out" "^headcount-health: refusing to run as root" "…saying why, in one line"
	hc_is "$(printf '%s\n' "$out" | wc -l)" 1 "…one line only"
	hc_ok "…and nothing was bound" test ! -e "$HC_TMP/root.sock"
	rc=0; out=$("$top_builddir/cgi/headcount-health" --config "$HC_TMP/settings.conf" --user root \
		--listen "unix:$HC_TMP/root.sock" 2>&1 </dev/null) || rc=$?
	hc_is "$rc" 1 "--user root: refused"
	if [ -x "$top_builddir/cgi/headcount-agent" ]; then
		rc=0; out=$("$top_builddir/cgi/headcount-agent" --config "$HC_TMP/settings.conf" --once 2>&1 </dev/null) || rc=$?
		hc_is "$rc" 1 "headcount-agent as root without --user: exit 1"
		hc_like "$out" "^headcount-agent: refusing to run as root" "…saying why"
	fi
	rc=0; out=$("$top_builddir/cgi/headcount-health" --config "$HC_TMP/settings.conf" --user no-such-user-hc \
		--listen "unix:$HC_TMP/root.sock" 2>&1 </dev/null) || rc=$?
	hc_like "$rc:$out" "^1:headcount-health: --user: no such user" "--user naming no user: refused"
else
	rc=0; out=$("$top_builddir/cgi/headcount-health" --config "$HC_TMP/settings.conf" --user root \
		--listen "unix:$HC_TMP/other.sock" 2>&1 </dev/null) || rc=$?
	hc_is "$rc" 1 "not root: --user naming another user is refused"
fi

# ------------------------------------------------------------ one settings loader
tok=$top_builddir/cgi/headcount-token
printf 'HEADCOUNT_JWT_SECRET=from-the-alternative-file\n' >"$HC_TMP/alt.conf"
rc=0; t=$(env -u HEADCOUNT_JWT_SECRET HEADCOUNT_CONFIG="$HC_TMP/alt.conf" "$tok" --role user 2>&1) || rc=$?
hc_is "$rc" 0 "HEADCOUNT_CONFIG=alt.conf headcount-token --role user: a token"
sig=$(printf '%s' "${t%.*}" | openssl dgst -sha256 -hmac from-the-alternative-file -binary | hc_b64url)
hc_is "${t##*.}" "$sig" "…signed with the secret of that file"
rc=0; out=$(env -u HEADCOUNT_JWT_SECRET HEADCOUNT_CONFIG="$HC_TMP/absent.conf" "$tok" --role user 2>&1) || rc=$?
hc_like "$rc:$out" "^[12]:.*absent.conf" "HEADCOUNT_CONFIG naming a missing file: refused, naming it"
rc=0; out=$(env -u HEADCOUNT_JWT_SECRET HEADCOUNT_CONFIG="$HC_TMP/alt.conf" \
	"$top_builddir/cgi/headcount-health" --print-settings 2>&1 | grep '^HEADCOUNT_JWT_SECRET=')
hc_ok "the servers read HEADCOUNT_CONFIG the same way" test -n "$out"
out=$(HEADCOUNT_CONFIG="$HC_TMP/absent.conf" "$top_builddir/cgi/headcount-health" --print-settings 2>&1) || rc=$?
hc_like "$rc:$out" "^2:.*absent.conf" "…and refuse a missing one the same way"

hc_done

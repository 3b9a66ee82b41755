#!/bin/sh
# process.sh: the process model for real: socket mode, SIGTERM drain, dead workers, SIGHUP, inherited sockets.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need redis-server nginx curl jq python3 stat pgrep
hc_need_program health

hc_start_redis
hc_start_program health
hc_start_nginx

bin=$top_builddir/cgi/headcount-health
sock=$HC_TMP/health.sock
workers_of() { hc_workers "$1"; }
nworkers() { workers_of "$1" | wc -l; }
live_200() {
	hc_req GET /api/v1/health/live
	[ "$HC_STATUS" = 200 ]
}
all_live() {	# all_live N: N requests in a row answer 200
	local i ok=0
	for i in $(seq "$1"); do
		live_200 && ok=$((ok + 1))
	done
	[ "$ok" = "$1" ] || { hc_diag "$ok of $1 answered 200"; return 1; }
}

# ------------------------------------------------------------ socket mode
hc_is "$(stat -c %a "$sock")" 660 "the socket is 0660"
if [ "$(id -u)" = 0 ]; then
	hc_is "$(stat -c %U:%G "$sock")" "$HC_RUN_USER:www-data" "owned by the --user, group www-data"
fi
hc_ok "requests through nginx (www-data) succeed on the 0660 socket" live_200
hc_stop_program health
hc_start_program health --socket-mode 0600
hc_is "$(stat -c %a "$sock")" 600 "--socket-mode 0600 honoured"
if [ "$(id -u)" = 0 ]; then
	hc_req GET /api/v1/health/live
	hc_is "$HC_STATUS" 502 "nginx workers (www-data) cannot use a root 0600 socket: 502"
fi

# ------------------------------------------------------------ SIGTERM
master=$(hc_pid health)
hc_stop_program health
hc_is "$HC_EXIT" 0 "SIGTERM: exit status 0"
hc_ok "SIGTERM: socket removed" test ! -e "$sock"
hc_is "$(nworkers "$master")" 0 "SIGTERM: no worker left"

# ------------------------------------------------------------ a killed worker is replaced
hc_start_program health
master=$(hc_pid health)
hc_ok "warm-up requests" all_live 10
hc_is "$(nworkers "$master")" "${HC_WORKERS:-3}" "--workers ${HC_WORKERS:-3} workers running"
victim=$(workers_of "$master" | head -n 1)
kill -KILL "$victim"
replaced() {
	[ "$(nworkers "$master")" = "${HC_WORKERS:-3}" ] && ! workers_of "$master" | grep -qx "$victim"
}
hc_ok "SIGKILLed worker replaced within 5 s" hc_wait_until 5 replaced
hc_ok "requests keep succeeding after a worker died" all_live 30
for v in $(workers_of "$master"); do kill -KILL "$v"; done
hc_ok "all workers killed: replaced within 5 s" hc_wait_until 5 replaced
hc_ok "requests succeed again" all_live 10
hc_ok "the master logged the replacement" grep -q 'replacing it' "$HC_TMP/health.log"
hc_stop_program health
hc_is "$HC_EXIT" 0 "exit 0 after workers were replaced"

# ------------------------------------------------------------ SIGHUP reopens the log file
logf=$HC_TMP/health-file.log
HEADCOUNT_LOG_FILE=$logf hc_start_program health
master=$(hc_pid health)
live_200 || true
hc_ok "HEADCOUNT_LOG_FILE receives the log" hc_wait_until 3 grep -q '"msg":"request"' "$logf"
mv "$logf" "$logf.1"
kill -HUP "$master"
reopened() {
	live_200 || true
	grep -q '"msg":"request"' "$logf"
}
hc_ok "after mv + SIGHUP a new log file gets the requests" hc_wait_until 5 reopened
hc_ok "every line in the new file is JSON" sh -c "jq -e . \"\$1\" >/dev/null" sh "$logf"
n1=$(wc -l <"$logf.1")
all_live 5 || true
hc_is "$(wc -l <"$logf.1")" "$n1" "the rotated file no longer grows"
hc_is "$(kill -0 "$master" 2>/dev/null && echo alive)" alive "SIGHUP does not stop the program"
hc_stop_program health
hc_is "$HC_EXIT" 0 "exit 0 after SIGHUP"

# ------------------------------------------------------------ SIGTERM drains the request in hand
# A heartbeat held in Redis (CLIENT PAUSE holds every write for 3 s) is in
# hand when the program is told to stop: it is finished, then the program exits.
if [ -x "$top_builddir/cgi/headcount-instances" ]; then
	HEADCOUNT_REDIS_TIMEOUT_MS=10000 hc_start_program instances
	inst=$(hc_token instance drain-node)
	hc_req POST /api/v1/instances/heartbeat -H "Authorization: Bearer $inst" -d '{"instance_id":"drain-node"}'
	hc_is "$HC_STATUS" 200 "a heartbeat before the pause"
	hc_redis CLIENT PAUSE 3000 WRITE >/dev/null
	curl -s -o "$HC_TMP/drain.body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $inst" \
		-d '{"instance_id":"drain-node"}' "$HC_URL/api/v1/instances/heartbeat" \
		>"$HC_TMP/drain.code" 2>/dev/null &
	curl_pid=$!
	held() { [ "$(hc_redis INFO clients | tr -d '\r' | sed -n 's/^blocked_clients://p')" -ge 1 ]; }
	hc_ok "the heartbeat is held in Redis (blocked_clients)" hc_wait_until 5 held
	hc_stop_program instances	# SIGTERM while the write is pending
	hc_is "$HC_EXIT" 0 "SIGTERM during a request: exit 0"
	wait "$curl_pid" || true
	hc_is "$(cat "$HC_TMP/drain.code")" 200 "the request in hand was finished (200)"
	hc_is "$(jq -r .instance_id "$HC_TMP/drain.body" 2>/dev/null)" drain-node "…with its answer"
	hc_ok "socket removed after the drain" test ! -e "$HC_TMP/instances.sock"
else
	hc_skip "SIGTERM drains the request in hand" "headcount-instances not built"
fi

# ------------------------------------------------------------ inherited socket on fd 0 (spawn-fcgi)
if command -v spawn-fcgi >/dev/null 2>&1; then
	rm -f "$sock"
	# -n: spawn-fcgi binds, then execs the program in the same process (PID kept).
	# shellcheck disable=SC2086
	spawn_owner=()
	[ "$(id -u)" = 0 ] && spawn_owner=(-U "$HC_RUN_USER" -G www-data)
	spawn-fcgi -n -s "$sock" -M 0660 "${spawn_owner[@]}" -- "$bin" --config "$HC_TMP/settings.conf" --workers 3 $HC_USER_ARGS \
		</dev/null >>"$HC_TMP/spawn.log" 2>&1 &
	hc__track health $!
	hc_ok "spawn-fcgi: socket created" hc_wait_until 5 test -S "$sock"
	hc_ok "spawn-fcgi: requests succeed" hc_wait_until 5 live_200
	hc_ok "spawn-fcgi: all requests succeed" all_live 10
	hc_ok "spawn-fcgi: the program says it inherited the socket" \
		hc_wait_until 3 grep -q 'inherited socket' "$HC_TMP/spawn.log"
	hc_stop_program health
	hc_is "$HC_EXIT" 0 "spawn-fcgi: SIGTERM exit 0"
elif [ "${CI:-}" = true ]; then
	hc_ok "spawn-fcgi installed in CI" false
else
	hc_skip "inherited socket via spawn-fcgi" "spawn-fcgi missing"
fi

# ------------------------------------------------------------ systemd socket activation (LISTEN_FDS, fd 3)
if command -v systemd-socket-activate >/dev/null 2>&1; then
	rm -f "$sock"
	# shellcheck disable=SC2086
	systemd-socket-activate -l "$sock" -- "$bin" --config "$HC_TMP/settings.conf" --workers 3 $HC_USER_ARGS \
		</dev/null >>"$HC_TMP/activate.log" 2>&1 &
	hc__track health $!
	hc_ok "socket activation: socket created" hc_wait_until 5 test -S "$sock"
	chmod 0660 "$sock"	# systemd would apply SocketMode= and SocketGroup=
	[ "$(id -u)" != 0 ] || chgrp www-data "$sock"
	hc_ok "socket activation: first request starts the program and succeeds" hc_wait_until 5 live_200
	hc_ok "socket activation: all requests succeed" all_live 10
	hc_stop_program health
	hc_is "$HC_EXIT" 0 "socket activation: SIGTERM exit 0"
else
	hc_skip "systemd socket activation" "systemd-socket-activate missing"
fi

# ------------------------------------------------------------ idle kept connections never pin a worker
# nginx (2 worker processes, the shipped upstream keepalive each) may park
# many idle connections; one FastCGI worker must still answer a burst of
# parallel new requests, also after a wrk run with more connections than
# that parks up to keepalive x 2 of them.
rm -f "$sock"
HC_WORKERS=1 hc_start_program health
burst() {	# burst N: N parallel requests, all 200 within 5 s each
	local i codes
	codes=$(for i in $(seq "$1"); do
		curl -s -m 5 -o /dev/null -w '%{http_code}\n' "$HC_URL/api/v1/health/live" &
	done; wait)
	[ "$(printf '%s\n' "$codes" | grep -c '^200$')" = "$1" ] ||
		{ hc_diag "codes: $(printf '%s' "$codes" | tr '\n' ' ')"; return 1; }
}
hc_ok "one worker: a burst of 8 parallel requests succeeds" burst 8
if command -v wrk >/dev/null 2>&1; then
	wrk -t1 -c64 -d1s "$HC_URL/api/v1/health/live" >/dev/null 2>&1 || true
fi
hc_ok "one worker after a load that leaves kept connections parked: 8 more succeed" burst 8
hc_ok "and again" burst 8
hc_stop_program health
hc_is "$HC_EXIT" 0 "one worker: SIGTERM exit 0"

hc_done

#!/bin/sh
# faults.sh: fault drills through nginx: a hung Redis, a Redis that drops its clients, SIGTERM under load, 2,500 clients.
. "$(dirname "$0")/setup.sh"

hc_need redis-server redis-cli nginx curl python3 wrk
hc_need_program health instances

hc_start_redis
hc_start_nginx
code_of() {	# code_of PATH [CURL ARGS...]: the status, 000 when curl gave up (2 s)
	local path=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$HC_URL$path" 2>/dev/null || true
}
cmdstat() {	# cmdstat NAME: how often Redis ran command NAME since the last CONFIG RESETSTAT
	hc_redis INFO commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" |
		awk '{ n += $1 } END { print n + 0 }'
}

# ------------------------------------------------------------ a hung Redis costs one timeout, not two
# Redis stopped (SIGSTOP) takes the commands into its socket buffer and
# runs them once it continues: counting them shows how often a heartbeat
# was sent.  Before the fix the registry retried at once after the timeout.
HEADCOUNT_REDIS_TIMEOUT_MS=1000 hc_start_program instances
inst=$(hc_token instance hung-node)
hb() { code_of /api/v1/instances/heartbeat -X POST -H "Authorization: Bearer $inst" \
	-d '{"instance_id":"hung-node"}'; }
hc_is "$(hb)" 200 "a heartbeat with Redis up"
hc_redis CONFIG RESETSTAT >/dev/null
kill -STOP "$(hc_pid redis)"
hc_is "$(hb)" 503 "Redis stopped: the heartbeat is answered 503 (after one timeout)"
kill -CONT "$(hc_pid redis)"
hc_ok "Redis answers again" hc_wait_until 5 hc__redis_pong
sent() { [ "$(( $(cmdstat evalsha) + $(cmdstat eval) ))" -ge 1 ]; }
hc_wait_until 3 sent || true
hc_is "$(( $(cmdstat evalsha) + $(cmdstat eval) ))" 1 "the heartbeat reached Redis once: no retry after a timeout"
hb_ok() { [ "$(hb)" = 200 ]; }
hc_ok "heartbeats work again (after the 100 ms back-off that follows a timeout)" hc_wait_until 3 hb_ok
hc_stop_program instances

# ------------------------------------------------------------ live never waits behind a Redis call
# One health worker.  Redis holds every command for 3 s (CLIENT PAUSE);
# a ready request goes first, then live must still be answered at once.
HC_WORKERS=1 HEADCOUNT_REDIS_TIMEOUT_MS=5000 hc_start_program health
hc_is "$(code_of /api/v1/health/ready)" 200 "ready with Redis up"
hc_redis CLIENT PAUSE 3000 ALL >/dev/null
curl -s -o /dev/null --max-time 10 "$HC_URL/api/v1/health/ready" 2>/dev/null &
ready_pid=$!
lives() {	# five in a row, each within 2 s
	local i
	for i in 1 2 3 4 5; do
		[ "$(code_of /api/v1/health/live)" = 200 ] || return 1
	done
}
hc_ok "Redis paused, a ready request in flight: live answered, five times in a row, each within 2 s" lives
wait "$ready_pid" || true
hc_ok "Redis answers after the pause" hc_wait_until 5 hc__redis_pong

# ------------------------------------------------------------ ready after Redis dropped its clients
# CLIENT KILL closes every connection Redis has, as a quick restart does,
# without any time Redis is away: no ready may answer 503 for it.
hc_ok "ready 200 before" hc_wait_until 5 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$HC_URL/api/v1/health/ready')\" = 200 ]"
hc_redis CLIENT KILL TYPE normal >/dev/null
codes=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	codes="$codes $(code_of /api/v1/health/ready)"
	sleep 0.15	# spread over more than one of the helper's checks
done
hc_is "$codes" " 200 200 200 200 200 200 200 200 200 200" "after CLIENT KILL every ready answers 200"
hc_restart_redis
hc_ok "after a quick restart of Redis ready answers 200 again" hc_wait_until 3 \
	sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$HC_URL/api/v1/health/ready')\" = 200 ]"
hc_stop_program health

# ------------------------------------------------------------ SIGTERM under steady load
# One worker, always behind: 8 clients ask for the detailed report (it
# measures CPU use over 100 ms), so a request is always waiting.  The stop
# is taken after the request in hand, not when the load ends (before the
# fix: only when ppoll found nothing ready, here after wrk's 30 s).
HC_WORKERS=1 hc_start_program health
master=$(hc_pid health)
user=$(hc_token user)
wrk -t1 -c8 -d30s -H "Authorization: Bearer $user" "$HC_URL/api/v1/health/detailed" \
	>/dev/null 2>&1 &
wrk_pid=$!
hc_track wrk "$wrk_pid"
busy() { [ "$(grep -c '"msg":"request"' "$HC_TMP/health.log")" -ge 10 ]; }
hc_ok "the worker is under load" hc_wait_until 10 busy
kill -TERM "$master"
gone() { ! kill -0 "$master" 2>/dev/null; }
hc_ok "under load, SIGTERM stops the program within 5 s (not when the load ends)" hc_wait_until 5 gone
wait "$master" 2>/dev/null; rc=$?
hc__untrack health
hc_is "$rc" 0 "exit status 0"
hc_ok "no worker had to be killed" sh -c "! grep -q 'drain took over' '$HC_TMP/health.log'"
hc_stop wrk

# ------------------------------------------------------------ 2,500 clients at once on nginx
# The standalone conf once had worker_connections 1024: 2,000 clients were dropped.
cat >"$HC_TMP/many.py" <<'EOF'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    socks.append(s)
ok = 0
for s in socks:
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
for s in socks:
    try:
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            ok += 1
    except OSError:
        pass
print(ok)
EOF
many=$( (ulimit -n 8192 2>/dev/null || true; python3 "$HC_TMP/many.py" "$HC_PORT" 2500) 2>>"$HC_TMP/many.log" || echo 0)
hc_is "$many" 2500 "2,500 clients held open at once are all answered"
hc_ok "nginx logged no shortage of connections" sh -c "! grep -q 'worker_connections are not enough' '$HC_TMP/nginx-error.log'"

hc_done

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
workers_of() { pgrep -P "$1" | sort -n; }
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
hc_is "$(stat -c %a "$sock")" 666 "--socket-mode 0666 honoured"
hc_ok "requests through nginx (www-data) succeed on a 0666 socket" live_200
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
# A fake Redis that answers PING after 1.5 s holds a /ready request inside a worker.
cat >"$HC_TMP/slow-redis.py" <<'EOF'
import os, socket, sys, threading, time
path, log, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o777)
srv.listen(16)
def serve(c):
    f = c.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            return
        if line.startswith(b"*"):
            args = []
            for _ in range(int(line[1:])):
                n = int(f.readline()[1:])
                args.append(f.read(n + 2)[:-2])
        else:
            args = line.split()
        cmd = args[0].upper() if args else b""
        with open(log, "a") as out:
            out.write(cmd.decode(errors="replace") + "\n")
        if cmd == b"PING":
            time.sleep(delay)
            c.sendall(b"+PONG\r\n")
        else:
            c.sendall(b"+OK\r\n")
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
EOF
python3 "$HC_TMP/slow-redis.py" "$HC_TMP/slow-redis.sock" "$HC_TMP/slow-redis.cmds" 1.5 \
	</dev/null >>"$HC_TMP/slow-redis.log" 2>&1 &
hc__track slow-redis $!
hc_wait_until 5 test -S "$HC_TMP/slow-redis.sock" || hc_bail "fake slow Redis did not start"
REDIS_URL=unix://$HC_TMP/slow-redis.sock HEADCOUNT_REDIS_TIMEOUT_MS=10000 hc_start_program health
curl -s -o "$HC_TMP/drain.body" -w '%{http_code}' --max-time 10 "$HC_URL/api/v1/health/ready" \
	>"$HC_TMP/drain.code" 2>/dev/null &
curl_pid=$!
hc_ok "the slow request reached Redis (PING seen)" hc_wait_until 5 grep -qx PING "$HC_TMP/slow-redis.cmds"
hc_stop_program health	# SIGTERM while the PING is pending
hc_is "$HC_EXIT" 0 "SIGTERM during a request: exit 0"
wait "$curl_pid" || true
hc_is "$(cat "$HC_TMP/drain.code")" 200 "the request in hand was finished (200)"
hc_is "$(jq -r .checks.redis.status "$HC_TMP/drain.body" 2>/dev/null)" pass "…with its Redis answer"
hc_ok "socket removed after the drain" test ! -e "$sock"
hc_stop slow-redis

# ------------------------------------------------------------ inherited socket on fd 0 (spawn-fcgi)
if command -v spawn-fcgi >/dev/null 2>&1; then
	rm -f "$sock"
	# -n: spawn-fcgi binds, then execs the program in the same process (PID kept).
	spawn-fcgi -n -s "$sock" -M 0666 -- "$bin" --config "$HC_TMP/settings.conf" --workers 3 \
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
	systemd-socket-activate -l "$sock" -- "$bin" --config "$HC_TMP/settings.conf" --workers 3 \
		</dev/null >>"$HC_TMP/activate.log" 2>&1 &
	hc__track health $!
	hc_ok "socket activation: socket created" hc_wait_until 5 test -S "$sock"
	chmod 0666 "$sock"	# systemd would apply SocketMode=
	hc_ok "socket activation: first request starts the program and succeeds" hc_wait_until 5 live_200
	hc_ok "socket activation: all requests succeed" all_live 10
	hc_stop_program health
	hc_is "$HC_EXIT" 0 "socket activation: SIGTERM exit 0"
else
	hc_skip "systemd socket activation" "systemd-socket-activate missing"
fi

# ------------------------------------------------------------ idle kept connections never pin a worker
# nginx (2 worker processes, keepalive 1 each) may park two idle connections;
# one FastCGI worker must still answer a burst of parallel new requests.
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
	wrk -t1 -c8 -d1s "$HC_URL/api/v1/health/live" >/dev/null 2>&1 || true
fi
hc_ok "one worker after a load that leaves kept connections parked: 8 more succeed" burst 8
hc_ok "and again" burst 8
hc_stop_program health
hc_is "$HC_EXIT" 0 "one worker: SIGTERM exit 0"

hc_done

#!/bin/sh
# silent.sh: clients that connect and send nothing, or half a record, never delay anyone; each is closed at its deadline; a failing accept backs off.
. "$(dirname "$0")/setup.sh"

hc_need redis-server nginx curl python3
hc_need_program health

TIMEOUT_MS=2000
hc_start_redis
# One worker each: any connection it waited on would stall every request.
HC_WORKERS=1 HEADCOUNT_CONN_TIMEOUT_MS=$TIMEOUT_MS hc_start_program health

# The same program on a TCP listener, behind a second nginx server.
TCP_PORT=$("$top_builddir/tests/freeport")
NGX2_PORT=$("$top_builddir/tests/freeport")
HEADCOUNT_CONN_TIMEOUT_MS=$TIMEOUT_MS "$top_builddir/cgi/headcount-health" \
	--config "$HC_TMP/settings.conf" --listen "127.0.0.1:$TCP_PORT" --workers 1 $HC_USER_ARGS \
	</dev/null >>"$HC_TMP/health-tcp.log" 2>&1 &
hc_track health-tcp $!
cat >"$HC_TMP/local-http-silent.conf" <<EOF
server {
	listen 127.0.0.1:$NGX2_PORT;
	location /api/v1/health/ {
		include fastcgi_params;
		fastcgi_pass 127.0.0.1:$TCP_PORT;
	}
}
EOF
hc_start_nginx
TCP_URL=http://127.0.0.1:$NGX2_PORT
hc_ok "the TCP listener answers through nginx" hc_wait_until 10 \
	sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 '$TCP_URL/api/v1/health/live')\" = 200 ]"

# holder.py ADDR...: opens 50 connections to each address (unix:PATH or
# HOST:PORT): 20 send nothing, 20 the first 4 bytes of a begin record, 10
# a begin record and half a PARAMS record.  Writes "ready" to the flag
# file once all are open, then waits (at most 15 s) for the server to
# close each one and prints "ADDR closed N of 50, first after X ms".
cat >"$HC_TMP/holder.py" <<'EOF'
import os, select, socket, struct, sys, time
flag = sys.argv[1]
begin = struct.pack(">BBHHBB", 1, 1, 1, 8, 0, 0) + struct.pack(">HB5x", 1, 1)
half_params = struct.pack(">BBHHBB", 1, 4, 1, 100, 0, 0) + b"\x0bSCRIPT_NAME"
conns = []
for addr in sys.argv[2:]:
    for i in range(50):
        if addr.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(addr[5:])
        else:
            host, port = addr.rsplit(":", 1)
            s = socket.create_connection((host, int(port)))
        if 20 <= i < 40:
            s.sendall(begin[:4])
        elif i >= 40:
            s.sendall(begin + half_params)
        conns.append((addr, s, time.monotonic()))
open(flag, "w").write("ready\n")
closed = {}
left = {s.fileno(): (addr, s, t0) for addr, s, t0 in conns}
deadline = time.monotonic() + 15
while left and time.monotonic() < deadline:
    r, _, _ = select.select([v[1] for v in left.values()], [], [], 0.2)
    for s in r:
        addr, _, t0 = left[s.fileno()]
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            continue
        closed.setdefault(addr, []).append((time.monotonic() - t0) * 1000)
        del left[s.fileno()]
        s.close()
for addr in sys.argv[2:]:
    t = closed.get(addr, [])
    print("%s closed %d of 50, first after %d ms" % (addr, len(t), min(t) if t else -1))
EOF
python3 "$HC_TMP/holder.py" "$HC_TMP/holder.flag" "unix:$HC_TMP/health.sock" \
	"127.0.0.1:$TCP_PORT" >"$HC_TMP/holder.out" 2>>"$HC_TMP/holder.log" &
holder=$!
hc_track holder "$holder"
hc_ok "100 silent or half-sent connections are open" hc_wait_until 10 test -s "$HC_TMP/holder.flag"

answered() {	# URL N: N requests in a row answer 200 within 2 s each
	local i ok=0 code
	for i in $(seq "$2"); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/api/v1/health/live")
		[ "$code" = 200 ] && ok=$((ok + 1))
	done
	[ "$ok" = "$2" ] || { hc_diag "$ok of $2 answered 200"; return 1; }
}
hc_ok "unix socket: requests through nginx are answered while 50 connections sit silent" \
	answered "$HC_URL" 20
hc_ok "TCP listener: requests through nginx are answered while 50 connections sit silent" \
	answered "$TCP_URL" 20
hc_ok "ready is answered too" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 '$HC_URL/api/v1/health/ready')\" = 200 ]"

wait "$holder" || true
hc__untrack holder
out=$(cat "$HC_TMP/holder.out")
hc_diag "$out"
hc_like "$out" "unix:[^ ]* closed 50 of 50" "unix socket: the server closed all 50"
hc_like "$out" "127.0.0.1:[0-9]+ closed 50 of 50" "TCP listener: the server closed all 50"
first_unix=$(printf '%s\n' "$out" | sed -n 's/^unix:.* first after \([0-9-]*\) ms/\1/p')
first_tcp=$(printf '%s\n' "$out" | sed -n 's/^127.*first after \([0-9-]*\) ms/\1/p')
hc_ok "unix socket: none closed before the deadline ($first_unix ms >= $TIMEOUT_MS)" \
	test "${first_unix:--1}" -ge $((TIMEOUT_MS - 100))
hc_ok "TCP listener: none closed before the deadline ($first_tcp ms >= $TIMEOUT_MS)" \
	test "${first_tcp:--1}" -ge $((TIMEOUT_MS - 100))
hc_ok "the close is logged" grep -q 'sent no whole request within' "$HC_TMP/health.log"
hc_ok "still answering afterwards" answered "$HC_URL" 5
hc_stop health-tcp

# ------------------------------------------------------------ accept failing with EMFILE
# 20 descriptors: the worker runs out long before its table is full.
hc_stop_program health
(ulimit -n 20 && exec "$top_builddir/cgi/headcount-health" --config "$HC_TMP/settings.conf" \
	--listen "unix:$HC_TMP/health.sock" $HC_SOCKET_ARGS --workers 1 $HC_USER_ARGS \
	</dev/null >>"$HC_TMP/health-emfile.log" 2>&1) &
hc_track health-emfile $!
hc_wait_until 10 test -S "$HC_TMP/health.sock" || hc_bail "headcount-health (20 fds) did not start"
worker=""
hc_wait_until 5 sh -c "pgrep -P $(hc_pid health-emfile) >/dev/null" && worker=$(pgrep -P "$(hc_pid health-emfile)" | head -n 1)
cat >"$HC_TMP/flood.py" <<'EOF'
import socket, sys, time
held = []
for i in range(80):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(float(sys.argv[2]))
EOF
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
c0=$(cpu "$worker")
python3 "$HC_TMP/flood.py" "$HC_TMP/health.sock" 3 2>>"$HC_TMP/flood.log" || true
c1=$(cpu "$worker")
hc_ok "EMFILE: the failure is logged" grep -q 'accept: Too many open files; pausing' "$HC_TMP/health-emfile.log"
hc_is "$(grep -c 'accept: .*pausing new connections' "$HC_TMP/health-emfile.log")" 1 \
	"EMFILE: logged once for the whole burst"
hc_diag "worker CPU during 3 s of EMFILE: $((c1 - c0)) ticks"
hc_ok "EMFILE: the worker does not spin (CPU $((c1 - c0)) ticks in 3 s, < 100)" test $((c1 - c0)) -lt 100
hc_ok "after the burst requests are answered again" hc_wait_until 10 answered "$HC_URL" 3
hc_ok "the recovery is logged" hc_wait_until 5 grep -q 'accept works again after' "$HC_TMP/health-emfile.log"
hc_stop health-emfile
hc_is "$HC_EXIT" 0 "exit 0 after the EMFILE burst"

hc_done

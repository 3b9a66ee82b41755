#!/bin/sh
# hol.sh: one slow request held on a worker (Redis stopped) does not hold other requests to the same program.
#
# headcount-instances runs with 2 workers and a 20 s Redis timeout.  With
# Redis SIGSTOPped, a heartbeat holds the worker that took it (waiting for
# Redis).  Meanwhile requests to the same program that need no Redis (401
# without a token, 400 for a heartbeat with a bad id) and to another program must all be
# answered, by the other worker, within a deadline far below the Redis
# timeout (HOL_DEADLINE, 5 s: generous, not a timing goal).  Then Redis
# resumes and the held heartbeat answers 200.
#
# Twice: through the shipped nginx configuration (upstream keepalive as
# conf/nginx ships it), and through a second server whose upstream keeps
# HOL_KEEPALIVE (8) connections per nginx worker, primed so that both
# workers hold kept connections when the heartbeat arrives: the case where
# a request can queue behind another connection's request on the same
# worker.  Each HOL_ROUNDS (3) times, since where nginx parks its kept
# connections differs from round to round.  At the end /metrics must show
# requests handed over (headcount_requests_handed_over_total): the answers
# came from the hand-over, not from luck in where nginx sent them.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need redis-server redis-cli nginx curl ss
hc_need_program instances health metrics token

HOL_DEADLINE=${HOL_DEADLINE:-5}
HOL_KEEPALIVE=${HOL_KEEPALIVE:-8}
HOL_WORKERS=${HOL_WORKERS:-2}
HOL_PARALLEL=${HOL_PARALLEL:-16}
HOL_ROUNDS=${HOL_ROUNDS:-3}

hc_start_redis
rpid=$(hc_pid redis)
# a stopped Redis ignores SIGTERM: resume it whatever happens
hol_cleanup() {
	local rc=$?
	set +e	# or the (exit) below would end the shell before hc_cleanup
	kill -CONT "$rpid" 2>/dev/null
	(exit "$rc")
	hc_cleanup
}
trap hol_cleanup EXIT

HEADCOUNT_REDIS_TIMEOUT_MS=20000 HC_WORKERS=$HOL_WORKERS hc_start_program instances
hc_start_program health
hc_start_program metrics

KEEP_PORT=$("$top_builddir/tests/freeport")
cat >"$HC_TMP/local-http-hol.conf" <<EOF
upstream hol_instances {
	server unix:$HC_TMP/instances.sock;
	keepalive $HOL_KEEPALIVE;
}
server {
	listen 127.0.0.1:$KEEP_PORT;
	location /api/v1/health/live {
		include fastcgi_params;
		fastcgi_keep_conn on;
		fastcgi_pass headcount_health;
	}
	location /api/ {
		include fastcgi_params;
		fastcgi_keep_conn on;
		fastcgi_read_timeout 60s;
		fastcgi_pass hol_instances;
	}
}
EOF
hc_start_nginx
OWNER=$(hc_token owner hol)
shipped=$(sed -n 's/^[[:space:]]*keepalive \([0-9]*\);.*/\1/p' "$HC_TMP/headcount-upstreams.conf" | head -n 1)

hb_body='{"instance_id":"hol-1","hostname":"hol-host"}'
heartbeat() {	# URL OUTFILE: one heartbeat, its status into OUTFILE
	curl -s --max-time 60 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' \
		-d "$hb_body" "$1/api/v1/instances/heartbeat" >"$2" 2>/dev/null || true
}

# parallel URL N PATH [CURL ARGS...]: N requests at once; prints their statuses, sorted
parallel() {
	local url=$1 n=$2 path=$3 i pids=""
	shift 3
	for i in $(seq "$n"); do
		curl -s --max-time "$HOL_DEADLINE" -o /dev/null -w '%{http_code}\n' "$@" \
			"$url$path" 2>/dev/null &
		pids="$pids $!"
	done
	for i in $pids; do
		wait "$i" 2>/dev/null || true	# curl prints 000 itself when it got no answer
	done
}

# Redis holds a request (or a connection) it has not read: the worker waits on it.
redis_has_unread() {
	ss -xan | awk -v s="$HC_TMP/redis.sock" '$5 == s && $3 > 0 { f = 1 } END { exit !f }'
}

count() {	# count WORD LINES: how many lines are WORD
	printf '%s\n' "$2" | grep -cx "$1" || true
}

round() {	# round NAME URL: one hold and what must be answered meanwhile
	local name=$1 url=$2 out st hbpid i n
	# every worker holds kept connections: bursts, several times
	for i in 1 2 3; do
		parallel "$url" "$HOL_PARALLEL" /api/v1/health/instances >/dev/null
	done
	heartbeat "$url" "$HC_TMP/hb0.status"
	hc_is "$(cat "$HC_TMP/hb0.status")" 200 "$name: a heartbeat answers 200 while Redis runs"

	kill -STOP "$rpid"
	heartbeat "$url" "$HC_TMP/hb.status" &
	hbpid=$!
	hc_ok "$name: the heartbeat reached Redis (stopped) and waits there" \
		hc_wait_until 10 redis_has_unread

	out=$(parallel "$url" "$HOL_PARALLEL" /api/v1/health/instances)
	n=$(count 401 "$out")
	hc_is "$n" "$HOL_PARALLEL" "$name: $HOL_PARALLEL parallel requests to the same program answered (401, no Redis needed) while one heartbeat is held"
	[ "$n" = "$HOL_PARALLEL" ] || hc_diag "statuses (000: no answer within $HOL_DEADLINE s):" $out
	out=""
	for i in $(seq 8); do
		st=$(curl -s --max-time "$HOL_DEADLINE" -o /dev/null -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' \
			-d '{"instance_id":"bad!id"}' "$url/api/v1/instances/heartbeat" 2>/dev/null)
		out="$out$st"$'\n'
	done
	n=$(count 400 "$out")
	hc_is "$n" 8 "$name: 8 requests in a row to the same program answered (400 bad id, no Redis needed) while one heartbeat is held"
	[ "$n" = 8 ] || hc_diag "statuses:" $out
	out=$(parallel "$url" 4 /api/v1/health/live)
	hc_is "$(count 200 "$out")" 4 "$name: another program answers meanwhile"
	hc_ok "$name: the heartbeat was still held all along" kill -0 "$hbpid"

	kill -CONT "$rpid"
	hc_ok "$name: Redis resumed: the held heartbeat finishes" hc_wait_until 30 bash -c "! kill -0 $hbpid"
	wait "$hbpid" 2>/dev/null || true
	hc_is "$(cat "$HC_TMP/hb.status")" 200 "$name: ... with 200"
}

phase() {	# phase NAME URL: HOL_ROUNDS rounds (where kept connections sit differs each time)
	local r
	for r in $(seq "$HOL_ROUNDS"); do
		round "$1, round $r" "$2"
	done
}

handed() {	# the instances program's headcount_requests_handed_over_total
	hc_req GET /metrics
	printf '%s\n' "$HC_BODY" | awk 'index($0, "headcount_requests_handed_over_total{program=\"instances\"} ") == 1 { print $NF; f = 1 } END { if (!f) print "none" }'
}

hc_diag "instances --workers $HOL_WORKERS; nginx worker_processes 2; deadline $HOL_DEADLINE s per request"
h0=$(handed)
hc_like "$h0" '^[0-9]+$' "/metrics counts requests handed over ($h0 before the rounds)"
phase "shipped keepalive $shipped" "$HC_URL"
phase "keepalive $HOL_KEEPALIVE" "http://127.0.0.1:$KEEP_PORT"
h1=$(handed)
hc_ok "requests waiting on the held worker's connections were handed to the other ($h0 -> $h1)" \
	test "${h1:-0}" -gt "${h0:-0}"

hc_done

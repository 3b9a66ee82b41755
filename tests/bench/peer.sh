# peer.sh: the references and the Fastify peer (tests/bench/peer/) behind the benchmark's nginx, PSS and CPU sums.
# shellcheck shell=bash
#
# Sourced by the bench scripts after tests/integration/setup.sh:
#
#   bench_peer_start     before hc_start_nginx: npm installs tests/bench/peer
#                        (into that folder), starts server.js (node cluster,
#                        BENCH_PEER_WORKERS processes, 2) on $HC_TMP/peer.sock
#                        and drops the nginx snippets that proxy /peer/ to it
#                        (upstream keepalive BENCH_PEER_KEEPALIVE, 32).
#                        BENCH_PEER=1 when it runs; 0 (and a note why) when
#                        node >= 20 / npm are missing or npm install failed.
#                        Requires REDIS_URL (hc_start_redis first).
#   bench_refs_start W   before hc_start_nginx: /nginx-200 (nginx's own
#                        return 200) and /bare/ (tests/bench/bare, W workers)
#   bench_tree PID...    the PIDs and all their descendants
#   bench_workers MASTER a program's workers (without its hc-helper child)
#   bench_pss_kib PID... the summed Pss (KiB) of /proc/PID/smaps_rollup
#   bench_fill N         N instances straight into Redis (registry layout)
#   bench_cpu_ticks PID... summed utime+stime of the PIDs (clock ticks)
#   bench_shipped_keepalive  the upstream keepalive conf/nginx ships
#   bench_nginx_keepalive K  every headcount upstream keeps K (nginx reloaded)
#   bench_memory LABEL   one line each for headcount's programs (every
#                        process hc_start_program started, with its workers),
#                        the peer's node processes and the nginx both sit
#                        behind, then the totals side by side.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.

BENCH_PEER=0
BENCH_PEER_WORKERS=${BENCH_PEER_WORKERS:-2}
BENCH_PEER_KEEPALIVE=${BENCH_PEER_KEEPALIVE:-32}
BENCH_PEER_DIR=$top_srcdir/tests/bench/peer

bench__peer_npm() {
	local dir=$BENCH_PEER_DIR
	# install once per lock file change; npm ci when the lock is there
	if [ -d "$dir/node_modules" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] &&
	    [ "$dir/node_modules/.package-lock.json" -nt "$dir/package.json" ]; then
		return 0
	fi
	if [ -f "$dir/package-lock.json" ]; then
		npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >"$HC_TMP/npm.log" 2>&1
	else
		npm install --prefix "$dir" --no-audit --no-fund --loglevel=error >"$HC_TMP/npm.log" 2>&1
	fi
}

bench_peer_start() {
	local major pid
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		echo "bench: no node/npm: the Fastify peer is skipped" >&2
		return 0
	fi
	major=$(node -p 'process.versions.node.split(".")[0]')
	if [ "$major" -lt 20 ]; then
		echo "bench: node $major < 20 (Fastify 5 needs 20): the peer is skipped" >&2
		return 0
	fi
	if ! bench__peer_npm; then
		echo "bench: npm install in tests/bench/peer failed, the peer is skipped:" >&2
		tail -n 5 "$HC_TMP/npm.log" >&2
		return 0
	fi
	cat >"$HC_TMP/local-http-peer.conf" <<-CONF
	upstream bench_peer {
		server unix:$HC_TMP/peer.sock;
		keepalive $BENCH_PEER_KEEPALIVE;
	}
	CONF
	cat >"$HC_TMP/local-server-peer.conf" <<-'CONF'
	location /peer/ {
		proxy_pass http://bench_peer/;
		proxy_http_version 1.1;
		proxy_set_header Connection "";
		proxy_set_header Host $host;
		# the same in-memory buffers as the FastCGI instance list
		proxy_buffers 64 64k;
		proxy_busy_buffers_size 128k;
	}
	CONF
	rm -f "$HC_TMP/peer.sock"
	PEER_SOCKET=$HC_TMP/peer.sock PEER_WORKERS=$BENCH_PEER_WORKERS NODE_ENV=production \
		node "$BENCH_PEER_DIR/server.js" </dev/null >>"$HC_TMP/peer.log" 2>&1 &
	pid=$!
	hc__track peer "$pid"
	if ! hc_wait_until 20 hc__socket_up "$HC_TMP/peer.sock" "$pid" || ! kill -0 "$pid" 2>/dev/null; then
		echo "bench: the peer did not start (peer.log):" >&2
		tail -n 5 "$HC_TMP/peer.log" >&2
		rm -f "$HC_TMP/local-http-peer.conf" "$HC_TMP/local-server-peer.conf"
		hc_stop peer
		return 0
	fi
	# every cluster worker listening (the socket appears with the first)
	hc_wait_until 20 bench__peer_ready "$pid" || true
	BENCH_PEER=1
}
bench__peer_ready() {	# PID: all workers forked and the socket answers
	[ "$(pgrep -c -P "$1")" -ge "$BENCH_PEER_WORKERS" ] &&
	    curl -fs --max-time 1 --unix-socket "$HC_TMP/peer.sock" -o /dev/null http://peer/api/v1/health/live
}

bench_tree() {
	local p
	for p in "$@"; do
		printf '%s\n' "$p"
		# shellcheck disable=SC2046
		bench_tree $(pgrep -P "$p" 2>/dev/null || true)
	done
}

bench_pss_kib() {
	local p sum=0 kib
	for p in "$@"; do
		kib=$(awk '/^Pss:/ { print $2; exit }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
		sum=$((sum + ${kib:-0}))
	done
	printf '%s\n' "$sum"
}

bench_memory() {
	local label=$1 e name hc="" ng peer="" hck ngk pk nhc npeer nng
	for e in $HC_PIDS; do
		name=${e%%:*}
		case $name in
		redis|nginx|peer|bare|monitor) ;;
		*) [ -x "$top_builddir/cgi/headcount-$name" ] && hc="$hc ${e#*:}" ;;
		esac
	done
	# shellcheck disable=SC2086
	hc=$(bench_tree $hc)
	ng=$(bench_tree "$(hc_pid nginx)")
	[ "$BENCH_PEER" = 1 ] && peer=$(bench_tree "$(hc_pid peer)")
	# shellcheck disable=SC2086
	hck=$(bench_pss_kib $hc); ngk=$(bench_pss_kib $ng); pk=$(bench_pss_kib $peer)
	# shellcheck disable=SC2086
	nhc=$(set -- $hc; echo $#); nng=$(set -- $ng; echo $#); npeer=$(set -- $peer; echo $#)
	awk -v l="$label" -v hck="$hck" -v ngk="$ngk" -v pk="$pk" -v nhc="$nhc" -v nng="$nng" \
	    -v npeer="$npeer" -v peer="$BENCH_PEER" 'BEGIN {
		printf "# PSS %s: headcount %.1f MiB (%d processes) + nginx %.1f MiB (%d) = %.1f MiB", \
		    l, hck / 1024, nhc, ngk / 1024, nng, (hck + ngk) / 1024
		if (peer == 1)
			printf "; peer %.1f MiB (%d node processes) + nginx = %.1f MiB; peer/headcount %.2f", \
			    pk / 1024, npeer, (pk + ngk) / 1024, (pk + ngk) / (hck + ngk)
		printf "\n"
	}'
}

# bench_fill N [PREFIX]: N instances (ids PREFIX00000.., "backend-") written
# straight into the layout hc_registry keeps and the peer reads (RESP through
# redis-cli --pipe: 10,000 heartbeats over HTTP would measure curl).  Flushes
# Redis first.
bench_fill() {
	local n=$1 pfx=${2:-backend-} now
	hc_redis FLUSHALL >/dev/null
	now=$(hc_redis TIME | awk 'NR == 1 { s = $1 } NR == 2 { printf "%d", s * 1000 + int($1 / 1000) }')
	awk -v n="$n" -v now="$now" -v pfx="$pfx" '
		function cmd(a, b, c, d,    s) {
			s = "*4\r\n$" length(a) "\r\n" a "\r\n$" length(b) "\r\n" b "\r\n$" length(c) "\r\n" c "\r\n$" length(d) "\r\n" d "\r\n"
			printf "%s", s
		}
		BEGIN {
			for (i = 0; i < n; i++) {
				id = sprintf("%s%05d", pfx, i)
				# a tenth are stale (TTL 30 s)
				score = (i % 10 == 0) ? now - 60000 : now - (i % 20) * 100
				cmd("ZADD", "headcount:instances", score, id)
				data = "{\"started_at\":" (now - 3600000) ",\"last\":" score ",\"hostname\":\"" id ".internal\",\"meta\":{\"zone\":\"lon1\",\"version\":\"1.2.3\",\"slot\":" i "}}"
				cmd("HSET", "headcount:instance:data", id, data)
			}
		}' | hc_redis --pipe >/dev/null
	[ "$(hc_redis ZCARD headcount:instances)" = "$n" ] || { echo "bench: fill $n failed" >&2; exit 1; }
}

# bench_cpu_ticks PID...: the summed utime+stime (clock ticks) of the PIDs
bench_cpu_ticks() {
	local p sum=0 t
	for p in "$@"; do
		t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || true)
		sum=$((sum + ${t:-0}))
	done
	printf '%s\n' "$sum"
}

# bench_shipped_keepalive: the upstream keepalive conf/nginx ships for the programs
bench_shipped_keepalive() {
	sed -n 's/^[[:space:]]*keepalive \([0-9]*\);.*/\1/p' \
		"$top_srcdir/conf/nginx/headcount-upstreams.conf.in" | head -n 1
}

# bench_nginx_keepalive K: every headcount upstream that keeps connections
# keeps K; nginx reloads, and this returns once only new workers are left.
bench_nginx_keepalive() {
	sed -i "s/^\([[:space:]]*keepalive\) [0-9]*;/\1 $1;/" "$HC_TMP/headcount-upstreams.conf"
	nginx -p "$HC_TMP/" -e "$HC_TMP/nginx-error.log" -c "$HC_TMP/nginx.conf" -s reload
	hc_wait_until 30 bench__nginx_settled "$(hc_pid nginx)" ||
		echo "bench: old nginx workers still draining" >&2
}
bench__nginx_settled() {	# MASTER: 2 workers, none shutting down
	[ "$(pgrep -c -P "$1")" = 2 ] &&
	    ! ps -o args= --ppid "$1" | grep -q 'shutting down'
}

# bench_refs_start WORKERS: before hc_start_nginx, the references every
# bench measures against: nginx's own return 200 at /nginx-200, and the bare
# libfcgi responder (tests/bench/bare, WORKERS workers) at /bare/ through
# upstream bench_bare_keep (keep-conn, keepalive BENCH_BARE_KEEPALIVE, 1: a
# plain libfcgi worker is pinned by each kept connection).  BENCH_BARE_WRAP
# runs it under a wrapper (valgrind ...).
BENCH_BARE_KEEPALIVE=${BENCH_BARE_KEEPALIVE:-1}
bench_refs_start() {
	local bare=$top_builddir/tests/bench/bare
	[ -x "$bare" ] || { echo "bench: $bare is not built (make -C build check TESTS=)" >&2; exit 1; }
	cat >"$HC_TMP/local-http-refs.conf" <<-CONF
	upstream bench_bare_keep {
		server unix:$HC_TMP/bare.sock;
		keepalive $BENCH_BARE_KEEPALIVE;
	}
	CONF
	cat >"$HC_TMP/local-server-refs.conf" <<-'CONF'
	location = /nginx-200 {
		default_type application/json;
		return 200 '{"status":"alive"}';
	}
	location /bare/ {
		include fastcgi_params;
		fastcgi_keep_conn on;
		fastcgi_pass bench_bare_keep;
	}
	CONF
	${BENCH_BARE_WRAP:-} "$bare" --listen "unix:$HC_TMP/bare.sock" --socket-mode 0666 --workers "$1" \
		</dev/null >>"$HC_TMP/bare.log" 2>&1 &
	hc__track bare $!
	hc_wait_until 10 test -S "$HC_TMP/bare.sock" || { echo "bench: bare did not start" >&2; exit 1; }
}

# bench_workers MASTER: the master's worker processes (not its hc-helper child)
bench_workers() {
	local p
	for p in $(pgrep -P "$1" 2>/dev/null || true); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = hc-helper ] || printf '%s\n' "$p"
	done
}

# setup.sh: the shared harness every integration test sources (real redis, nginx, programs; TAP out).
#
# Usage in a test:   . "$(dirname "$0")/setup.sh"
# Function names here are a contract other tests rely on: keep them stable.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.

# make check runs tests with $(SHELL), which may be dash: re-run under bash.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

set -eu

# ----------------------------------------------------------------- where things are
HC_SETUP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$HC_SETUP_DIR/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	# Outside make check: prefer the quickstart's VPATH build, else in-tree.
	if [ -f "$top_srcdir/build/Makefile" ]; then
		top_builddir=$top_srcdir/build
	else
		top_builddir=$top_srcdir
	fi
fi
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

HC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/headcount-test.XXXXXX")
chmod 755 "$HC_TMP"	# nginx workers (www-data) must reach the sockets
mkdir -p "$HC_TMP/data"
: >"$HC_TMP/settings.conf"	# an empty settings file: no host config leaks in
export HC_TMP

# A hermetic environment: nothing from the caller's shell steers the programs.
unset DO_API_TOKEN DO_APP_ID DO_COMPONENT_NAME DO_REGION DO_DEPLOYMENT_ID DO_API_URL \
	DESIRED_REPLICAS HEADCOUNT_K8S_DEPLOYMENT HEADCOUNT_LOG_FILE HEADCOUNT_KEY_PREFIX \
	HEADCOUNT_INSTANCE_ID REDIS_URL 2>/dev/null || true
: "${HEADCOUNT_JWT_SECRET:=headcount-test-secret-do-not-use-0123456789abcdef}"
HEADCOUNT_DATA_DIR=$HC_TMP/data
HEADCOUNT_METRICS_SHM=$HC_TMP/metrics.shm
export HEADCOUNT_JWT_SECRET HEADCOUNT_DATA_DIR HEADCOUNT_METRICS_SHM

# ----------------------------------------------------------------- who the programs run as
# As root (CI), no headcount process runs as root: each is given --user
# (HC_RUN_USER, a system user made when missing), and its socket is 0660
# with the web server's group (nginx's and Apache's workers run as www-data).
HC_USER_ARGS=""
HC_SOCKET_ARGS="--socket-mode 0660"
HC_RUN_UID=$(id -u)
if [ "$(id -u)" = 0 ]; then
	: "${HC_RUN_USER:=headcount}"
	if ! id -u "$HC_RUN_USER" >/dev/null 2>&1; then
		# tests run in parallel: another one may be adding it right now
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$HC_RUN_USER" >/dev/null 2>&1 ||
			id -u "$HC_RUN_USER" >/dev/null 2>&1 || sleep 1
	fi
	HC_RUN_UID=$(id -u "$HC_RUN_USER")
	chown "$HC_RUN_USER" "$HC_TMP" "$HC_TMP/data"	# logs reopened, sockets removed, history
	HC_USER_ARGS="--user $HC_RUN_USER"
	HC_SOCKET_ARGS="--socket-mode 0660 --socket-owner $HC_RUN_USER:www-data"
fi
export HC_USER_ARGS HC_SOCKET_ARGS HC_RUN_UID

HC_N=0			# TAP tests run so far
HC_FAILED=0		# of which failed
HC_PIDS=""		# "name:pid" entries, in start order
HC_EXIT=0		# exit status of the last process stopped
HC_STATUS="" HC_BODY="" HC_HEADERS="" HC_HEADERS_LC="" HC_CTYPE=""
HC_URL=""
HC_PORT=""

# ----------------------------------------------------------------- TAP
hc_diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

hc__result() {	# hc__result OK(0|1) DESC
	HC_N=$((HC_N + 1))
	if [ "$1" = 0 ]; then
		printf 'ok %d - %s\n' "$HC_N" "$2"
	else
		HC_FAILED=$((HC_FAILED + 1))
		printf 'not ok %d - %s\n' "$HC_N" "$2"
	fi
}

# hc_ok DESC CMD...: passes when CMD exits 0 (its stdout goes to stderr, off the TAP stream).
hc_ok() {
	local desc=$1 rc=0
	shift
	"$@" >&2 || rc=$?
	if [ "$rc" = 0 ]; then
		hc__result 0 "$desc"
	else
		hc__result 1 "$desc"
		hc_diag "  command failed (exit $rc): $*"
	fi
}

# hc_is GOT WANT DESC
hc_is() {
	if [ "$1" = "$2" ]; then
		hc__result 0 "$3"
	else
		hc__result 1 "$3"
		hc_diag "       got: '$1'" "  expected: '$2'"
	fi
}

# hc_like GOT REGEX DESC (bash extended regex)
hc_like() {
	if [[ $1 =~ $2 ]]; then
		hc__result 0 "$3"
	else
		hc__result 1 "$3"
		hc_diag "       got: '$1'" "  expected to match: /$2/"
	fi
}

# hc_skip DESC REASON: one skipped test.
hc_skip() {
	HC_N=$((HC_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$HC_N" "$1" "$2"
}

# hc_bail MSG: stop the whole test (tap-driver reports an error).
hc_bail() {
	hc__dump_logs	# first: tap-driver stops reading at "Bail out!"
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# hc_done: the plan, then exit 1 if anything failed.
hc_done() {
	local e list="" reports
	# Stop everything first, so what sanitizers report at exit is in the logs too.
	for e in $HC_PIDS; do list="$e $list"; done	# reverse start order
	for e in $list; do
		hc__stop_pid "${e#*:}"
	done
	HC_PIDS=""
	reports=$(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		"$HC_TMP"/*.log 2>/dev/null || true)
	if [ -n "$reports" ]; then
		hc__result 1 "no sanitizer report in any program log"
		for e in $reports; do hc_diag "$e:"; hc_diag "$(grep -m 20 -A 12 -E 'ERROR: |runtime error:' "$e")"; done
	else
		hc__result 0 "no sanitizer report in any program log"
	fi
	printf '1..%d\n' "$HC_N"
	if [ "$HC_FAILED" -gt 0 ]; then
		hc_diag "$HC_FAILED of $HC_N failed"
		hc__dump_logs
		exit 1
	fi
	exit 0
}

hc__dump_logs() {
	local f
	for f in "$HC_TMP"/*.log; do
		[ -f "$f" ] || continue
		hc_diag "--- last lines of ${f##*/}"
		hc_diag "$(tail -n 15 "$f")"
	done
}

# ----------------------------------------------------------------- prerequisites
# hc__skip_all REASON: the whole test skips: "1..0 # SKIP", exit 77 (by hand)
# or 0 under make check's tap-driver, which would call 77 an error.
hc__skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	HC_SKIPPED=1
	if [ -n "${HC_TAP_DRIVER:-}" ]; then
		exit 0
	fi
	exit 77
}

# hc_need CMD...: skip (exit 77) when a command is missing; in CI, fail.
hc_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		if [ "${CI:-}" = true ]; then
			printf 'Bail out! missing %s (CI must install it)\n' "$c"
			exit 1
		fi
		hc__skip_all "missing $c"
	done
}

# hc_need_program NAME...: the same for cgi/headcount-NAME in the build tree.
hc_need_program() {
	local n
	for n in "$@"; do
		[ -x "$top_builddir/cgi/headcount-$n" ] && continue
		if [ "${CI:-}" = true ]; then
			printf 'Bail out! cgi/headcount-%s not built\n' "$n"
			exit 1
		fi
		hc__skip_all "cgi/headcount-$n not built"
	done
}

# ----------------------------------------------------------------- polling
# hc_wait_until SECONDS CMD...: polls CMD every 0.1 s; 1 when the deadline passes.
hc_wait_until() {
	local deadline
	deadline=$(( $(date +%s%N) / 1000000 + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }') ))
	shift
	while :; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		[ "$(( $(date +%s%N) / 1000000 ))" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ----------------------------------------------------------------- processes
hc__track() { HC_PIDS="$HC_PIDS $1:$2"; }	# NAME PID
hc__untrack() {					# NAME
	local e out=""
	for e in $HC_PIDS; do
		[ "${e%%:*}" = "$1" ] || out="$out $e"
	done
	HC_PIDS=$out
}
# hc_track NAME PID: a background process the test started itself; hc_cleanup
# stops it (TERM, then KILL) and hc_stop NAME / hc_pid NAME know it.
hc_track() { hc__track "$1" "$2"; }
# hc_pid NAME: prints the PID of a process this harness started.
hc_pid() {
	local e
	for e in $HC_PIDS; do
		if [ "${e%%:*}" = "$1" ]; then
			printf '%s\n' "${e#*:}"
			return 0
		fi
	done
	return 1
}

# hc__stop_pid PID: TERM, wait (deadline HC_STOP_SECONDS, 10), then KILL; HC_EXIT = status.
hc__stop_pid() {
	local pid=$1 i=0 n=$(( ${HC_STOP_SECONDS:-10} * 10 ))
	HC_EXIT=0
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		hc_diag "pid $pid ignored SIGTERM for ${HC_STOP_SECONDS:-10} s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || HC_EXIT=$?
}

# hc_stop NAME: stops a tracked process by PID; HC_EXIT holds its exit status.
hc_stop() {
	local pid
	HC_EXIT=0
	pid=$(hc_pid "$1") || return 0
	hc__stop_pid "$pid"
	hc__untrack "$1"
}

hc_cleanup() {
	local rc=$? e list="" 
	set +e
	for e in $HC_PIDS; do list="$e $list"; done	# reverse start order
	for e in $list; do
		hc__stop_pid "${e#*:}"
	done
	HC_PIDS=""
	if [ -n "${HC_KEEP_TMP:-}" ]; then
		printf '# kept %s\n' "$HC_TMP"
	else
		rm -rf "$HC_TMP"
	fi
	exit "$rc"
}
# set -e stops a test silently: say which top-level command failed, and where.
hc__on_err() {	# STATUS LINE COMMAND
	[ "$BASHPID" = "$HC_MAIN_PID" ] || return 0
	hc__dump_logs
	printf 'Bail out! line %s: "%s" failed with status %s (set -e)\n' "$2" "$3" "$1"
}
HC_MAIN_PID=$BASHPID
trap hc_cleanup EXIT
trap 'hc__on_err $? $LINENO "$BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# ----------------------------------------------------------------- redis
# hc_start_redis [OPTION...]: a private redis-server on $HC_TMP/redis.sock; exports
# REDIS_URL.  Options go after the defaults, so they win ("--appendonly yes").
hc_start_redis() {
	local pid
	hc_need redis-server redis-cli
	rm -f "$HC_TMP/redis.sock"
	redis-server --port 0 --unixsocket "$HC_TMP/redis.sock" --unixsocketperm 777 \
		--save '' --appendonly no --daemonize no --dir "$HC_TMP" \
		--logfile '' "$@" </dev/null >>"$HC_TMP/redis.log" 2>&1 &
	pid=$!
	hc__track redis "$pid"
	REDIS_URL=unix://$HC_TMP/redis.sock
	export REDIS_URL
	if ! hc_wait_until 10 hc__redis_pong "$pid"; then
		hc_bail "redis-server did not answer PING within 10 s"
	fi
	kill -0 "$pid" 2>/dev/null || hc_bail "redis-server exited at start-up"
}
hc__redis_pong() {	# [PID]: PONG, or the server died (stop polling)
	if [ -n "${1:-}" ] && ! kill -0 "$1" 2>/dev/null; then
		return 0
	fi
	[ "$(redis-cli -s "$HC_TMP/redis.sock" ping 2>/dev/null)" = PONG ]
}

# hc_probe_page FILE: the browser tests' same-origin probe page, read from stdin
# into $HC_TMP/probe/FILE beside probe-until.js (its until() poll), served by
# the test nginx at /_probe/ (call before hc_start_nginx).
hc_probe_page() {
	mkdir -p "$HC_TMP/probe"
	cp "$top_srcdir/tests/integration/probe-until.js" "$HC_TMP/probe/"
	cat >"$HC_TMP/probe/$1"
	printf 'location /_probe/ {\n\talias %s/probe/;\n}\n' "$HC_TMP" >"$HC_TMP/local-server-probe.conf"
	chmod -R a+rX "$HC_TMP/probe"
}
# hc_redis ARGS...: redis-cli against the private server.
hc_redis() {
	redis-cli -s "$HC_TMP/redis.sock" "$@"
}
hc_stop_redis() {
	hc_stop redis
	rm -f "$HC_TMP/redis.sock"
}
hc_restart_redis() {
	hc_stop_redis
	hc_start_redis
}

# ----------------------------------------------------------------- programs
# hc_start_program NAME [ARGS...]: cgi/headcount-NAME on unix:$HC_TMP/NAME.sock.
hc_start_program() {
	local name=$1 bin pid sock
	shift
	bin=$top_builddir/cgi/headcount-$name
	sock=$HC_TMP/$name.sock
	[ -x "$bin" ] || hc_bail "$bin is not built"
	rm -f "$sock"
	# shellcheck disable=SC2086
	${HC_WRAP:-} "$bin" --config "$HC_TMP/settings.conf" --listen "unix:$sock" $HC_SOCKET_ARGS \
		$HC_USER_ARGS --workers "${HC_WORKERS:-3}" "$@" </dev/null >>"$HC_TMP/$name.log" 2>&1 &
	pid=$!
	hc__track "$name" "$pid"
	if ! hc_wait_until 10 hc__socket_up "$sock" "$pid"; then
		kill -0 "$pid" 2>/dev/null || hc_bail "headcount-$name exited at start-up"
		hc_bail "headcount-$name: no socket $sock within 10 s"
	fi
	kill -0 "$pid" 2>/dev/null || hc_bail "headcount-$name exited at start-up"
}
hc__socket_up() {	# SOCK PID: the socket exists, or the program died (stop polling)
	[ -S "$1" ] || ! kill -0 "$2" 2>/dev/null
}
# hc_workers MASTER: the PIDs of a program's workers, one a line (its
# children but the helper, "hc-helper" in ps, that health runs its checks in).
hc_workers() {
	local p
	for p in $(pgrep -P "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = hc-helper ] || echo "$p"
	done | sort -n
}
# hc_stop_program NAME: SIGTERM, wait; HC_EXIT holds the exit status.
hc_stop_program() {
	hc_stop "$1"
}

# As root the agent runs as HC_RUN_USER: its history directory (and any file
# a test put there first) must be that user's.
hc__own_data() {
	[ -n "$HC_USER_ARGS" ] || return 0
	chown -R "$HC_RUN_USER" "${HEADCOUNT_DATA_DIR:-$HC_TMP/data}" 2>/dev/null || true
}

# hc_start_agent [ARGS...]: cgi/headcount-agent in the background (no socket to poll).
hc_start_agent() {
	local bin=$top_builddir/cgi/headcount-agent pid
	[ -x "$bin" ] || hc_bail "$bin is not built"
	hc__own_data
	# shellcheck disable=SC2086
	"$bin" --config "$HC_TMP/settings.conf" $HC_USER_ARGS "$@" </dev/null >>"$HC_TMP/agent.log" 2>&1 &
	pid=$!
	hc__track agent "$pid"
}
hc_stop_agent() {
	hc_stop agent
}
# hc_start_agent_as NAME [ARGS...]: one more agent (a sidecar, a second node),
# tracked as NAME (hc_stop NAME), logging to $HC_TMP/NAME.log.
hc_start_agent_as() {
	local name=$1 bin=$top_builddir/cgi/headcount-agent pid
	shift
	[ -x "$bin" ] || hc_bail "$bin is not built"
	hc__own_data
	# shellcheck disable=SC2086
	"$bin" --config "$HC_TMP/settings.conf" $HC_USER_ARGS "$@" </dev/null >>"$HC_TMP/$name.log" 2>&1 &
	pid=$!
	hc__track "$name" "$pid"
}

# ----------------------------------------------------------------- nginx
# hc_nginx_conf PORT: writes $HC_TMP/nginx.conf (+ snippets) from conf/nginx/*.in.
# Extra directives: drop files $HC_TMP/local-http*.conf / local-server*.conf first.
hc_nginx_conf() {
	local port=$1 www=$top_srcdir/www ngxconf user="" f
	# nginx resolves relative includes (fastcgi_params, mime.types) next to nginx.conf.
	ngxconf=$(nginx -V 2>&1 | sed -n 's/.*--conf-path=\([^ ]*\).*/\1/p')
	ngxconf=$(dirname "${ngxconf:-/etc/nginx/nginx.conf}")
	for f in fastcgi_params mime.types; do
		[ -f "$ngxconf/$f" ] || hc_bail "nginx: no $ngxconf/$f"
		cp "$ngxconf/$f" "$HC_TMP/$f"
	done
	if [ "$(id -u)" = 0 ]; then
		# Root master, unprivileged workers: they must read www/ and reach sockets.
		user="user www-data;"
		if [ -d "$www" ] && ! runuser -u www-data -- test -r "$www/." -a -x "$www/." 2>/dev/null; then
			rm -rf "$HC_TMP/www"
			cp -R "$www" "$HC_TMP/www"
			chmod -R a+rX "$HC_TMP/www"
			www=$HC_TMP/www
		fi
	fi
	for f in nginx-standalone headcount-upstreams headcount; do
		sed -e "s|@PORT@|$port|g" -e "s|@RUNDIR@|$HC_TMP|g" -e "s|@WWWDIR@|$www|g" \
			-e "s|@USER@|$user|g" -e "s|@NGINXDIR@||g" \
			"$top_srcdir/conf/nginx/$f.conf.in" >"$HC_TMP/$f.conf"
	done
	mv "$HC_TMP/nginx-standalone.conf" "$HC_TMP/nginx.conf"
}

# hc_start_nginx: nginx with the project's conf on a free port; exports HC_URL, HC_PORT.
hc_start_nginx() {
	local pid
	hc_need nginx curl
	[ -x "$top_builddir/tests/freeport" ] || hc_bail "tests/freeport is not built"
	HC_PORT=$("$top_builddir/tests/freeport")
	hc_nginx_conf "$HC_PORT"
	# the conf's worker_rlimit_nofile (45000): root may raise the hard limit for it
	(ulimit -n 45056 2>/dev/null || true
	 exec nginx -p "$HC_TMP/" -e "$HC_TMP/nginx-error.log" -c "$HC_TMP/nginx.conf" \
		-g 'daemon off;') </dev/null >>"$HC_TMP/nginx.log" 2>&1 &
	pid=$!
	hc__track nginx "$pid"
	HC_URL=http://127.0.0.1:$HC_PORT
	export HC_URL HC_PORT
	if ! hc_wait_until 10 hc__nginx_up "$pid"; then
		hc_bail "nginx did not answer on $HC_URL within 10 s"
	fi
	kill -0 "$pid" 2>/dev/null || hc_bail "nginx exited at start-up"
}
hc__nginx_up() {
	! kill -0 "$1" 2>/dev/null && return 0	# died: stop polling
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$HC_URL/" 2>/dev/null)" != 000 ]
}
hc_stop_nginx() {
	hc_stop nginx
}

# ----------------------------------------------------------------- Apache
# hc_start_apache: Apache 2.4 with conf/apache on a free port; exports HC_URL, HC_PORT.
hc_start_apache() {
	local pid f mods=/usr/lib/apache2/modules www=$top_srcdir/www
	local -a def=()
	hc_need apache2 curl
	[ -x "$top_builddir/tests/freeport" ] || hc_bail "tests/freeport is not built"
	[ -f "$mods/mod_proxy_fcgi.so" ] || hc_bail "no $mods/mod_proxy_fcgi.so"
	HC_PORT=$("$top_builddir/tests/freeport")
	if [ "$(id -u)" = 0 ]; then
		def=(-DHEADCOUNT_AS_ROOT)	# children drop to www-data
		if [ -d "$www" ] && ! runuser -u www-data -- test -r "$www/." -a -x "$www/." 2>/dev/null; then
			rm -rf "$HC_TMP/www"
			cp -R "$www" "$HC_TMP/www"
			chmod -R a+rX "$HC_TMP/www"
			www=$HC_TMP/www
		fi
	fi
	for f in apache-standalone:apache headcount:headcount-apache; do
		sed -e "s|@PORT@|$HC_PORT|g" -e "s|@RUNDIR@|$HC_TMP|g" -e "s|@WWWDIR@|$www|g" \
			-e "s|@APACHE_MODULES@|$mods|g" \
			-e "s|@APACHE_SNIPPET@|$HC_TMP/headcount-apache.conf|g" \
			"$top_srcdir/conf/apache/${f%%:*}.conf.in" >"$HC_TMP/${f#*:}.conf"
	done
	apache2 -d "$HC_TMP" -f "$HC_TMP/apache.conf" -DFOREGROUND "${def[@]}" \
		</dev/null >>"$HC_TMP/apache.log" 2>&1 &
	pid=$!
	hc__track apache "$pid"
	HC_URL=http://127.0.0.1:$HC_PORT
	export HC_URL HC_PORT
	if ! hc_wait_until 10 hc__nginx_up "$pid"; then
		hc_bail "apache2 did not answer on $HC_URL within 10 s"
	fi
	kill -0 "$pid" 2>/dev/null || hc_bail "apache2 exited at start-up"
}
hc_stop_apache() {
	hc_stop apache
}

# ----------------------------------------------------------------- HTTP
# hc_req METHOD PATH [CURL ARGS...]: sets HC_STATUS, HC_BODY, HC_HEADERS (CRs
# stripped), HC_HEADERS_LC (lower case), HC_CTYPE.  Never fails; 000 when curl did.
hc_req() {
	local method=$1 path=$2 out
	shift 2
	local -a m=(-X "$method")
	[ "$method" = HEAD ] && m=(--head)
	rm -f "$HC_TMP/.body" "$HC_TMP/.headers"
	out=$(curl -sS --max-time 10 -H 'Expect:' "${m[@]}" -o "$HC_TMP/.body" \
		-D "$HC_TMP/.headers" -w '%{http_code} %{content_type}' "$@" \
		"$HC_URL$path" 2>"$HC_TMP/.curlerr") || true
	HC_STATUS=${out%% *}
	HC_CTYPE=${out#* }
	[ -n "$HC_STATUS" ] || HC_STATUS=000
	[ "$HC_CTYPE" != "$out" ] || HC_CTYPE=""
	HC_BODY=$(cat "$HC_TMP/.body" 2>/dev/null || true)
	HC_HEADERS=$(tr -d '\r' <"$HC_TMP/.headers" 2>/dev/null || true)
	HC_HEADERS_LC=$(printf '%s' "$HC_HEADERS" | tr '[:upper:]' '[:lower:]')
	if [ "$HC_STATUS" = 000 ]; then
		hc_diag "curl $method $path: $(cat "$HC_TMP/.curlerr" 2>/dev/null)"
	fi
	return 0
}

# hc_header NAME: prints the value of a header of the last response (name case-insensitive).
hc_header() {
	local want line
	want=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
	while IFS= read -r line; do
		if [ "$(printf '%s' "${line%%:*}" | tr '[:upper:]' '[:lower:]')" = "$want" ]; then
			line=${line#*:}
			printf '%s\n' "${line# }"
			return 0
		fi
	done <<<"$HC_HEADERS"
	return 1
}

# hc_json FILTER: jq over the last body (prints nothing when it is not JSON).
hc_json() {
	printf '%s' "$HC_BODY" | jq -r "$1" 2>/dev/null || true
}

# ----------------------------------------------------------------- tokens
# hc_token ROLE [SUB] [TTL]: a valid token from cgi/headcount-token.
hc_token() {
	"$top_builddir/cgi/headcount-token" --role "$1" --sub "${2:-test-$1}" --ttl "${3:-3600}"
}

# hc_b64url: base64url without padding of stdin.
hc_b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# hc_jwt_sign HEADER_JSON PAYLOAD_JSON [SECRET]: an HS256-signed token with any header.
hc_jwt_sign() {
	local h p s
	h=$(printf '%s' "$1" | hc_b64url)
	p=$(printf '%s' "$2" | hc_b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "${3:-$HEADCOUNT_JWT_SECRET}" -binary | hc_b64url)
	printf '%s.%s.%s\n' "$h" "$p" "$s"
}

# ----------------------------------------------------------------- provider fakes
# hc_start_fake NAME [ARGS...]: tests/fakes/fake_NAME.py (do, k8s) on a free port;
# sets HC_FAKE_URL (https when ARGS has --cert).  Stop with hc_stop fake_NAME.
hc_start_fake() {
	local name=$1 pid port scheme=http a
	shift
	hc_need python3
	for a in "$@"; do [ "$a" = --cert ] && scheme=https; done
	[ -x "$top_builddir/tests/freeport" ] || hc_bail "tests/freeport is not built"
	port=$("$top_builddir/tests/freeport")
	python3 "$top_srcdir/tests/fakes/fake_$name.py" --port "$port" "$@" \
		</dev/null >>"$HC_TMP/fake_$name.log" 2>&1 &
	pid=$!
	hc__track "fake_$name" "$pid"
	HC_FAKE_URL=$scheme://127.0.0.1:$port
	if ! hc_wait_until 10 hc__fake_up "$HC_FAKE_URL" "$pid"; then
		hc_bail "fake_$name did not answer on $HC_FAKE_URL within 10 s"
	fi
	kill -0 "$pid" 2>/dev/null || hc_bail "fake_$name exited at start-up"
}
hc__fake_up() {	# URL PID
	! kill -0 "$2" 2>/dev/null && return 0
	curl -fsk --max-time 1 -o /dev/null "$1/_stats"
}
# hc_fake_control URL JSON: changes a fake's mode or data (POST /_control).
hc_fake_control() {
	curl -fsk --max-time 5 -o /dev/null -H 'Content-Type: application/json' \
		-d "$2" "$1/_control"
}
# hc_fake_reset URL: the fake's start-up state, counters at zero.
hc_fake_reset() {
	curl -fsk --max-time 5 -o /dev/null -X POST "$1/_reset"
}
# hc_fake_requests URL: prints how many API requests the fake has served.
hc_fake_requests() {
	curl -fsk --max-time 5 "$1/_stats" | jq -r .requests
}

# hc_wrk_summary NAME: reads wrk --latency output on stdin, prints one line (benchmarks).
hc_wrk_summary() {
	awk -v name="$1" '
		function ms(v) {
			if (v ~ /us$/) return v * 0.001
			if (v ~ /ms$/) return v + 0
			if (v ~ /s$/) return v * 1000
			return v + 0
		}
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		$1 == "Requests/sec:" { rps = $2 }
		/Non-2xx|Socket errors/ { err = err " [" $0 "]" }
		END { printf "%-24s %9.0f req/s  p50 %8.2f ms  p99 %8.2f ms%s\n", name, rps, p50, p99, err }'
}

# ----------------------------------------------------------------- Redis Sentinel (issue 11)
# hc_start_sentinel_setup [MASTER_NAME]: one master (redis-a), one replica
# (redis-b) and three redis-sentinel processes (sentinel-1..3) on free
# loopback ports; down-after-milliseconds $HC_SENTINEL_DOWN_MS (2000),
# failover-timeout $HC_SENTINEL_FAILOVER_MS (6000).  Exports REDIS_URL=
# redis+sentinel://127.0.0.1:P1,...,/NAME and HC_SENTINEL_NODES (h:p,h:p,h:p).
# Returns once every sentinel knows the two others and the replica.
HC_SENTINEL_NAME=headcount
hc_start_sentinel_setup() {
	local i port ports=""
	hc_need redis-server redis-sentinel redis-cli
	[ -x "$top_builddir/tests/freeport" ] || hc_bail "tests/freeport is not built"
	HC_SENTINEL_NAME=${1:-headcount}
	HC_REDIS_A_PORT=$("$top_builddir/tests/freeport")
	HC_REDIS_B_PORT=$("$top_builddir/tests/freeport")
	while [ "$HC_REDIS_B_PORT" = "$HC_REDIS_A_PORT" ]; do
		HC_REDIS_B_PORT=$("$top_builddir/tests/freeport")
	done
	export HC_REDIS_A_PORT HC_REDIS_B_PORT
	hc_start_sentinel_node a
	hc_start_sentinel_node b "$HC_REDIS_A_PORT"
	hc_wait_until 15 hc__sentinel_synced "$HC_REDIS_B_PORT" || hc_bail "redis-b did not sync with redis-a"
	for i in 1 2 3; do
		port=$("$top_builddir/tests/freeport")
		mkdir -p "$HC_TMP/sentinel-$i"
		cat >"$HC_TMP/sentinel-$i/sentinel.conf" <<EOS
port $port
bind 127.0.0.1
daemonize no
dir $HC_TMP/sentinel-$i
logfile ""
sentinel monitor $HC_SENTINEL_NAME 127.0.0.1 $HC_REDIS_A_PORT 2
sentinel down-after-milliseconds $HC_SENTINEL_NAME ${HC_SENTINEL_DOWN_MS:-2000}
sentinel failover-timeout $HC_SENTINEL_NAME ${HC_SENTINEL_FAILOVER_MS:-6000}
sentinel parallel-syncs $HC_SENTINEL_NAME 1
EOS
		redis-sentinel "$HC_TMP/sentinel-$i/sentinel.conf" </dev/null \
			>>"$HC_TMP/sentinel-$i.log" 2>&1 &
		hc__track "sentinel-$i" "$!"
		ports="$ports${ports:+,}127.0.0.1:$port"
		eval "HC_SENTINEL_${i}_PORT=$port"
	done
	HC_SENTINEL_NODES=$ports
	REDIS_URL=redis+sentinel://$ports/$HC_SENTINEL_NAME
	export REDIS_URL HC_SENTINEL_NODES HC_SENTINEL_NAME
	hc_wait_until 30 hc__sentinels_complete || hc_bail "the sentinels did not find each other and the replica within 30 s"
}
# hc_start_sentinel_node a|b [MASTER_PORT]: one data node (again), replica of MASTER_PORT if given.
hc_start_sentinel_node() {
	local n=$1 port pid
	port=$(hc_sentinel_node_port "$n")
	mkdir -p "$HC_TMP/redis-$n"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--repl-diskless-sync-delay 0 --dir "$HC_TMP/redis-$n" --logfile '' \
		${2:+--replicaof 127.0.0.1 "$2"} </dev/null >>"$HC_TMP/redis-$n.log" 2>&1 &
	pid=$!
	hc__track "redis-$n" "$pid"
	hc_wait_until 10 hc__port_pong "$port" "$pid" || hc_bail "redis-$n did not answer on $port"
}
hc_sentinel_node_port() {	# a|b
	if [ "$1" = a ]; then printf '%s\n' "$HC_REDIS_A_PORT"; else printf '%s\n' "$HC_REDIS_B_PORT"; fi
}
hc__port_pong() {	# PORT [PID]
	if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
		return 0
	fi
	[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]
}
hc__sentinel_synced() {	# PORT: a replica whose link to its master is up
	redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null | tr -d '\r' |
		grep -qx 'master_link_status:up'
}
hc__sentinels_complete() {
	local i port info
	for i in 1 2 3; do
		eval "port=\$HC_SENTINEL_${i}_PORT"
		info=$(redis-cli -h 127.0.0.1 -p "$port" sentinel master "$HC_SENTINEL_NAME" 2>/dev/null) || return 1
		printf '%s\n' "$info" | grep -A1 -x 'num-other-sentinels' | tail -n 1 | grep -qx 2 || return 1
		printf '%s\n' "$info" | grep -A1 -x 'num-slaves' | tail -n 1 | grep -qx 1 || return 1
	done
}
# hc_sentinel_master_port [SENTINEL_INDEX]: the master's port as that sentinel (1) names it.
hc_sentinel_master_port() {
	local port
	eval "port=\$HC_SENTINEL_${1:-1}_PORT"
	redis-cli -h 127.0.0.1 -p "$port" sentinel get-master-addr-by-name "$HC_SENTINEL_NAME" 2>/dev/null |
		sed -n 2p
}
# hc_sentinel_master_node: a or b, the node every sentinel names master (fails when they disagree).
hc_sentinel_master_node() {
	local p1 p2 p3
	p1=$(hc_sentinel_master_port 1) p2=$(hc_sentinel_master_port 2) p3=$(hc_sentinel_master_port 3)
	[ -n "$p1" ] && [ "$p1" = "$p2" ] && [ "$p2" = "$p3" ] || return 1
	if [ "$p1" = "$HC_REDIS_A_PORT" ]; then echo a; elif [ "$p1" = "$HC_REDIS_B_PORT" ]; then echo b; else return 1; fi
}
# hc_sentinel_role a|b: master, slave or down.
hc_sentinel_role() {
	redis-cli -h 127.0.0.1 -p "$(hc_sentinel_node_port "$1")" role 2>/dev/null | head -n 1 | grep . || echo down
}
# hc_sentinel_cli a|b ARGS...: redis-cli against one data node.
hc_sentinel_cli() {
	local n=$1
	shift
	redis-cli -h 127.0.0.1 -p "$(hc_sentinel_node_port "$n")" "$@"
}

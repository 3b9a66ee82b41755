#!/bin/sh
# history-disk.sh: disk trouble under the history sampler, on a small tmpfs as HEADCOUNT_DATA_DIR:
# full, then read-only: the agent logs once per burst and goes on, /health/ready's sqlite check
# fails and /health/detailed says degraded, nothing crashes, sampling resumes without a gap when
# the disk is back; a corrupt history.db at start is moved aside and a new one filled from Redis.
. "$(dirname "$0")/setup.sh"

hc_need jq curl mount umount dd
hc_need_program health monitoring agent token history
if [ "$(id -u)" != 0 ]; then
	hc__skip_all "mounting a small tmpfs needs root"
fi
HIST=$top_builddir/cgi/headcount-history
own() {	# own PATH...: hand files made by this (root) shell to the user the programs run as
	[ "$(id -u)" != 0 ] || chown -R "$HC_RUN_UID" "$@"
}

DATA=$HC_TMP/data
mount -t tmpfs -o size=8m,mode=0755 headcount-test "$DATA" || hc_bail "cannot mount a tmpfs on $DATA"
own "$DATA"
trap 'rc=$?; for p in $HC_PIDS; do kill -KILL "${p#*:}" 2>/dev/null; done; umount -l "$DATA" 2>/dev/null; (exit $rc); hc_cleanup' EXIT

export HEADCOUNT_TTL=2 HEADCOUNT_PRUNE_AFTER=600 HEADCOUNT_HEARTBEAT_INTERVAL=1
export HEADCOUNT_HISTORY_INTERVAL=1 DESIRED_REPLICAS=1 HEADCOUNT_INSTANCE_ID=node-a
hc_start_redis
hc_start_program health
hc_start_program monitoring
hc_start_nginx
USER=$(hc_token user viewer)
T_START=$(date -u +%FT%TZ)
hc_start_agent

samples() {	# samples: how many samples the local file has since T_START
	"$HIST" --data-dir "$DATA" --from "$T_START" --step 1 2>/dev/null | jq '.points | length'
}
has_samples() { [ "$(samples)" -ge "$1" ]; }
xlen() { hc_redis XLEN headcount:history:samples; }
stream_grew() {	# stream_grew FROM N: the shared stream has N more samples than FROM
	[ "$(xlen)" -ge $(($1 + $2)) ]
}
ready() {
	hc_req GET /api/v1/health/ready
	[ "$HC_STATUS" = "$1" ]
}
detailed() {
	hc_req GET /api/v1/health/detailed -H "Authorization: Bearer $USER"
	[ "$(hc_json .status)" = "$1" ]
}
bursts() { grep -c 'sampling goes on into Redis' "$HC_TMP/agent.log" || true; }
resumed() { grep -c 'writes resume after' "$HC_TMP/agent.log" || true; }
alive() {
	local n
	for n in agent health monitoring; do
		kill -0 "$(hc_pid "$n")" 2>/dev/null || return 1
	done
}
no_gap() {	# no_gap: the samples since T_START are one interval apart
	local max
	max=$("$HIST" --data-dir "$DATA" --from "$T_START" --step 1 |
		jq '[.points[].t | fromdateiso8601] | [range(1; length) as $i | .[$i] - .[$i - 1]] | max // 0')
	hc_diag "largest step between samples: ${max}s"
	[ "$max" -le 2 ]
}

hc_ok "the agent samples into the tmpfs" hc_wait_until 10 has_samples 3
hc_ok "ready: 200" ready 200
hc_ok "detailed: healthy" detailed healthy

# ------------------------------------------------------------ the data directory fills up
dd if=/dev/zero of="$DATA/filler" bs=64k >/dev/null 2>&1 || true
hc_ok "the disk is full" sh -c "[ \$(df --output=avail -B1 '$DATA' | tail -n 1) -lt 65536 ]"
hc_ok "the sampler logs the failure" hc_wait_until 15 sh -c "grep -q 'sampling goes on into Redis' '$HC_TMP/agent.log'"
hc_like "$(grep 'sampling goes on' "$HC_TMP/agent.log" | head -n 1)" 'full|space|disk' "the log line says the disk is full"
N=$(xlen)
hc_ok "sampling goes on into Redis meanwhile" hc_wait_until 10 stream_grew "$N" 4
hc_is "$(bursts)" 1 "one log line for the whole burst"
hc_ok "ready: 503 while the disk is full" ready 503
hc_is "$(hc_json .checks.sqlite.status)" fail "ready: the sqlite check fails"
hc_like "$(hc_json .checks.sqlite.error)" 'space|full' "ready: and says why"
hc_is "$(hc_json .checks.redis.status)" pass "ready: redis still passes"
hc_ok "detailed: degraded" detailed degraded
report() {
	hc_req GET "/api/v1/monitoring/history?from=$T_START&step=1" -H "Authorization: Bearer $USER"
	[ "$HC_STATUS" = 200 ]
}
hc_ok "the report still answers from what is on disk" report
hc_ok "nothing crashed" alive

rm -f "$DATA/filler"
hc_ok "space is back: writes resume" hc_wait_until 15 sh -c "grep -q 'writes resume after' '$HC_TMP/agent.log'"
hc_ok "ready: 200 again" hc_wait_until 10 ready 200
hc_ok "detailed: healthy again" hc_wait_until 10 detailed healthy
hc_ok "the intervals of the full disk were filled from Redis" no_gap

# ------------------------------------------------------------ the data directory turns read-only
# Nothing holds the file open between samples and reports: the remount goes through.
hc_ok "the data directory is remounted read-only" hc_wait_until 10 mount -o remount,ro "$DATA"
hc_ok "read-only: the sampler logs a second burst" hc_wait_until 15 sh -c "[ \$(grep -c 'sampling goes on into Redis' '$HC_TMP/agent.log') -ge 2 ]"
N=$(xlen)
hc_ok "sampling goes on into Redis" hc_wait_until 10 stream_grew "$N" 3
hc_is "$(bursts)" 2 "one line per burst"
hc_ok "ready: 503 on a read-only data directory" ready 503
hc_is "$(hc_json .checks.sqlite.status)" fail "ready: sqlite fails"
hc_ok "detailed: degraded" detailed degraded
hc_ok "nothing crashed" alive
mount -o remount,rw "$DATA"
hc_ok "read-write again: writes resume" hc_wait_until 15 sh -c "[ \$(grep -c 'writes resume after' '$HC_TMP/agent.log') -ge 2 ]"
hc_ok "ready: 200" hc_wait_until 10 ready 200
hc_ok "no gap after the read-only spell" no_gap

# ------------------------------------------------------------ a corrupt file at start
BEFORE=$(samples)
hc_stop_agent
rm -f "$DATA/history.db-wal" "$DATA/history.db-shm"
head -c 65536 /dev/urandom >"$DATA/history.db"
own "$DATA/history.db"
hc_start_agent
hc_ok "the corrupt file is logged and moved aside" hc_wait_until 10 sh -c "grep -q 'is corrupt' '$HC_TMP/agent.log'"
hc_like "$(grep 'is corrupt' "$HC_TMP/agent.log")" 'moved aside to .*history\.db\.corrupt-' "the log names where it went"
hc_ok "the damaged file is kept beside" sh -c "ls '$DATA' | grep -q '^history\.db\.corrupt-'"
hc_ok "the new file is filled from the recent samples" hc_wait_until 10 has_samples "$BEFORE"
hc_ok "no gap in the new file" no_gap
hc_ok "the report answers from the new file" hc_wait_until 10 report
hc_ok "nothing crashed" alive

hc_done

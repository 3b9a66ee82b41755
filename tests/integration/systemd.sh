#!/bin/sh
# systemd.sh: the systemd units, as this build substitutes them, are clean under systemd-analyze verify.
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
. "$(dirname "$0")/setup.sh"

hc_need systemd-analyze
hc_need_program health

# The units the build made name $(sbindir); verify needs programs that
# exist, so the same substitution points at this build tree.
unit_dir=$HC_TMP/units
mkdir -p "$unit_dir"
for f in headcount@.service headcount@.socket headcount-agent.service; do
	hc_ok "the build made $f" test -f "$top_builddir/conf/systemd/$f"
	sed -e "s|@SBINDIR@|$top_builddir/cgi|g" -e 's|@RUNDIR@|/run/headcount|g' \
		-e "s|@SYSCONFDIR@|$HC_TMP|g" "$top_srcdir/conf/systemd/$f.in" >"$unit_dir/$f"
done
hc_ok "the installed unit runs \$(sbindir)/headcount-%i" \
	grep -qx 'ExecStart=/.*/headcount-%i' "$top_builddir/conf/systemd/headcount@.service"
units=""
for p in health instances monitoring metrics; do
	[ -x "$top_builddir/cgi/headcount-$p" ] && units="$units $unit_dir/headcount@$p.service $unit_dir/headcount@$p.socket"
done
rc=0
# shellcheck disable=SC2086
out=$(systemd-analyze verify $units "$unit_dir/headcount-agent.service" 2>&1) || rc=$?
hc_is "$rc" 0 "systemd-analyze verify: exit 0"
hc_is "$out" "" "systemd-analyze verify: nothing to say"
for key in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	PrivateDevices=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	SystemCallFilter=@system-service MemoryDenyWriteExecute=yes CapabilityBoundingSet= \
	LimitCORE=0 User=headcount; do
	for f in headcount@.service headcount-agent.service; do
		hc_ok "$f: $key" grep -qx "$key" "$unit_dir/$f"
	done
done
hc_done

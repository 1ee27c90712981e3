#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: how long fabrics of ibvmig-topogen take to come up under stock OpenSM, at 500 and
# 2000 HCAs in both models (plain hosts; vSwitch hypervisors with a PF and 4 VFs each), one
# fabric at a time. For each: the time from ibsim's start to SUBNET UP (start_s; OpenSM's part
# of it is osm_up_s), then a SIGHUP to OpenSM and the time to the heavy sweep's SUBNET UP
# (hup_s), then topogen_check_fabric (every node's LID in guid2lid and in its PortInfo, the
# links the table's; check_s, mostly ibnetdiscover). A fabric that fails its check fails the
# benchmark. The last line printed is one JSON object.
#
# usage: topogen-up.sh [FABRIC...]  (default: plain500 vsw500 plain2000 vsw2000; also
#                                   three2000; needs top_srcdir, top_builddir)
set -u
. "$top_srcdir/test-fabric/fabric.sh" || exit 1
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
: "${FABRIC_UP_TIMEOUT:=300}"
: "${FABRIC_RUN_TIMEOUT:=600}"
export FABRIC_UP_TIMEOUT FABRIC_RUN_TIMEOUT

# secs_since T0: seconds (3 decimals) since EPOCHREALTIME T0.
secs_since() {
	printf '%.3f' "$(echo "$EPOCHREALTIME - $1" | bc)"
}

# one NAME: prints one JSON object for fabric NAME; non-zero if it did not come up right.
one() {
	local name=$1 base t0 start hup check osm hcas switches opts rc
	local -a args
	read -ra args <<<"$(topogen_shape "$name")" || { echo "bench: no fabric $name" >&2; return 1; }
	fabric_init "topogen-$name" || return 1
	base=$FABRIC_DIR/$name
	topogen_generate "$base" "${args[@]}" && topogen_check_list "$base.list" || return 1
	hcas=$(grep -cE '^node (sm|host|pf|vf) ' "$base.list")
	switches=$(grep -cE '^node (vsw|leaf|spine|core) ' "$base.list")
	opts=$(topogen_ibsim_opts "$base.net")
	t0=$EPOCHREALTIME
	topogen_start "$base.net" 2>"$FABRIC_DIR/start.err"
	rc=$?
	start=$(secs_since "$t0")
	cat "$FABRIC_DIR/start.err" >&2
	[ "$rc" = 0 ] || return 1
	# the harness's own line: "SUBNET UP 1.23s after OpenSM (re)start"
	osm=$(sed -n 's/.*SUBNET UP \([0-9.]*\)s after OpenSM.*/\1/p' "$FABRIC_DIR/start.err")
	fabric_sm_mark
	t0=$EPOCHREALTIME
	fabric_sm_signal HUP && fabric_sm_wait_up || rc=1
	hup=$(secs_since "$t0")
	t0=$EPOCHREALTIME
	topogen_check_fabric "$base.list" || rc=1
	check=$(secs_since "$t0")
	fabric_cleanup || rc=1
	echo "bench: $name: $hcas HCAs, $switches switches, ibsim-opts \"$opts\": SUBNET UP" \
		"${start}s after ibsim start (${osm:-?}s after OpenSM start), HUP heavy sweep" \
		"${hup}s, check ${check}s" >&2
	printf '{"name":"%s","options":"%s","hcas":%d,"switches":%d,"ibsim_opts":"%s",' \
		"$name" "${args[*]}" "$hcas" "$switches" "$opts"
	printf '"start_s":%s,"osm_up_s":%s,"hup_s":%s,"check_s":%s,"ok":%s}\n' "$start" \
		"${osm:-null}" "$hup" "$check" "$([ "$rc" = 0 ] && echo true || echo false)"
	return "$rc"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(plain500 vsw500 plain2000 vsw2000)
topogen_bench_run topogen-up one "${names[@]}"

# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Peer-tool parity (test-fabric/tests/parity-*.test): the same fabric, the same alias
# GUIDs, stock OpenSM with the ibvmig plugin loaded and without it; what the peer tools
# see must be the same. doc/simulator.md, "Peer-Tool Parity", lists what is compared, each
# flow left out and each intended difference, with the reasons.
. "$top_srcdir/test-fabric/lib/plugin-lib.sh"

PARITY_VGUID=0x0002c903abcd0007

# parity_start MODE NAME: a fabric of small.net, MODE stock or plugin, and the same alias
# story in both: a VM's vGUID set on hosta, then moved to hostc (a migration under the
# plugin; two plain SA requests under stock OpenSM).
parity_start() {
	local mode=$1
	fabric_init "parity-$2-$mode" || return 1
	if [ "$mode" = plugin ]; then
		start_fabric || return 1
	else
		fabric_start small || return 1
	fi
	on hosta alias-set --vguid $PARITY_VGUID >/dev/null &&
		on hosta alias-delete --vguid $PARITY_VGUID &&
		on hostc alias-set --vguid $PARITY_VGUID >/dev/null
}

# parity_run OUT NODE CMD...: CMD as a client of NODE; OUT gets its output and its status,
# the PIDs in the diags' warnings ("ibwarn: [PID] ...") left out.
parity_run() {
	local out=$1 rc
	shift
	fabric_run "$@" >"$out.raw" 2>&1
	rc=$?
	sed -E 's/^(ib(warn|error|panic): )\[[0-9]+\]/\1[pid]/' "$out.raw" >"$out"
	rm -f "$out.raw"
	echo "exit status $rc" >>"$out"
}

# parity_diff WHAT DIR_A DIR_B: a check that the two directories hold the same files, with
# the same contents (a short diff when not).
parity_diff() {
	local d
	if d=$(diff -r "$2" "$3"); then
		pass "$1: the same with the plugin and without"
	else
		fail "$1 differ with the plugin and without:"
		printf '%s\n' "$d" | head -n 40 | sed 's/^/    /'
	fi
}

# parity_flows MODE DIR FLOW...: osmtest's result of each flow ("-f m -M2", say) in MODE's
# fabric, one file per flow in DIR: its exit status and its "OSMTEST: TEST ..." verdict.
# Each flow runs from the inventory (-f c) of that fabric. A flow gets 300 s (two cores
# shared by many builds); each finished within 60 s here (doc/simulator.md).
parity_flows() {
	local mode=$1 dir=$2 flow name rc t0
	shift 2
	mkdir -p "$dir"
	parity_start "$mode" flows || return 1
	fabric_osmtest_inventory hostb "$dir/inventory" >/dev/null 2>&1 ||
		{ fail "$mode: osmtest -f c"; return 1; }
	for flow in "$@"; do
		name=${flow//[ -]/}
		t0=$SECONDS
		# shellcheck disable=SC2086 # a flow is several words
		FABRIC_RUN_TIMEOUT=300 fabric_run hostb "$FABRIC_OSMTEST" -f $flow \
			-i "$dir/inventory" -l "$FABRIC_DIR/osmtest-$name.log" \
			>"$FABRIC_DIR/osmtest-$name.out" 2>&1
		rc=$?
		{
			echo "exit status $rc"
			grep -a '^OSMTEST: TEST' "$FABRIC_DIR/osmtest-$name.out"
		} >"$dir/$name"
		echo "$mode: osmtest -f $flow: $(tail -n 1 "$dir/$name"), exit $rc, $((SECONDS - t0)) s"
	done
	fabric_cleanup
}

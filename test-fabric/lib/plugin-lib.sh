# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the plugin's end-to-end tests: stock OpenSM with the real plugin on
# ibsim, hosts driven through the SA with ibvmig-sa, the plugin inspected with
# ibvmig.  Source it after the automake harness has set top_srcdir/top_builddir.
. "$top_srcdir/test-fabric/fabric.sh" || exit 1

SA=$top_builddir/test-fabric/ibvmig-sa
CLI=$top_builddir/cli/ibvmig
fails=0

pass() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; fails=$((fails + 1)); }
# check DESCRIPTION CMD...: passes when CMD succeeds.
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
# check_eq DESCRIPTION GOT WANT
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got '$2', wanted '$3')"; fi; }
finish() { echo "$fails failed"; exit $((fails > 0)); }

# plugin_conf [OPTION VALUE]...: a plugin configuration in $FABRIC_DIR with its
# own admin socket and state directory; prints its path.
plugin_conf() {
	local conf=$FABRIC_DIR/ibvmig.conf
	{
		echo "admin_socket $FABRIC_DIR/admin.sock"
		echo "state_dir $FABRIC_DIR/state"
		echo "log_level verbose"
		while [ $# -ge 2 ]; do echo "$1 $2"; shift 2; done
	} >"$conf"
	echo "$conf"
}

# start_fabric [OPTION VALUE]...: small.net, OpenSM with the plugin so configured.
start_fabric() {
	local conf
	conf=$(plugin_conf "$@") || return 1
	fabric_start small --plugin "$conf" ${FABRIC_EXTRA:-}
}

admin() { "$CLI" -S "$FABRIC_DIR/admin.sock" "$@"; }

# admin_value status|stats NAME: one number that `ibvmig status` or `stats` prints.
admin_value() { admin --json "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

# counter NAME: one counter of `ibvmig stats`.
counter() { admin_value stats "$1"; }

# wait_saved: until every alias change is in the state file (5 s at most).  A
# count of saves would not do: the save of an earlier change can land after the
# change being waited for.
wait_saved() {
	local i
	for i in $(seq 50); do
		[ "$(admin_value status unsaved_changes)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# listen NODE NAME: a subscriber to traps 68 and 69 on NODE, output in NAME.out.
listen() {
	fabric_spawn "$1" "$2" "$SA" --sim listen --traps 68,69 --duration 600000 >/dev/null &&
		fabric_wait_for "$FABRIC_DIR/$2.out" "listening" 20
}

# notices NAME TRAP [REASON]: how many notices the listener NAME got.
notices() {
	local re="\"trap\":$2"
	[ -n "${3:-}" ] && re="$re,\"reason\":\"$3\""
	grep -c "$re" "$FABRIC_DIR/$1.out" 2>/dev/null || true
}

# wait_notices NAME TRAP N: until NAME has N notices of TRAP (10 s at most).
wait_notices() {
	local i
	for i in $(seq 100); do
		[ "$(notices "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# last_notice NAME TRAP: the last JSON line of TRAP that NAME received.
last_notice() { grep "\"trap\":$2" "$FABRIC_DIR/$1.out" | tail -n 1; }

# field JSON NAME: a field of a one-line JSON object (numbers and strings).
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }

# on NODE COMMAND...: ibvmig-sa on NODE.
on() { local node=$1; shift; fabric_run "$node" "$SA" "$@"; }

# lid_of NODE: the node's LID, from the SA (asked once per fabric: OpenSM keeps
# LIDs across its restarts in its guid2lid cache).
lid_of() {
	local cache=$FABRIC_DIR/lid.$1
	[ -s "$cache" ] || fabric_node_lid "$1" >"$cache"
	cat "$cache"
}

# dlid_from NODE VGUID: the DLID of a PathRecord from NODE to VGUID.
dlid_from() { on "$1" path --vguid "$2" | sed -n 's/^dlid=\([0-9]*\) .*/\1/p'; }

# settle: long enough for a notice that is coming to have come.
settle() { sleep 1; }

# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the host side's end-to-end tests, its demo and its benchmark:
# stock OpenSM with the real plugin on ibsim (plugin-lib.sh), one ibvmigd per
# hypervisor node, driven with ibvmig-host, and ibvmig-vm processes as VMs.
#
# Agents are ibsim clients (fabric_spawn: one slot each, 10 per fabric with
# OpenSM); VMs are not (they only talk to their agent's Unix socket), so they
# are started here, from their own scratch directories, and stopped by PID in
# fabric_cleanup_hook - before the agents, which the harness stops. A VM also
# exits by itself when its agent goes, or after --lifetime.
. "$top_srcdir/osm-plugin/tests/plugin-lib.sh"

AGENT=$top_builddir/host/ibvmigd
HOSTCLI=$top_builddir/host/ibvmig-host
VMBIN=$top_builddir/host/ibvmig-vm
: "${AGENT_CHECK_MS:=500}"

# agent_start NODE [OPTION]...: ibvmigd on NODE (client "agent-NODE"), its sockets in
# $FABRIC_DIR; returns once it is subscribed.
agent_start() {
	local node=$1
	shift
	fabric_spawn "$node" "agent-$node" "$AGENT" --sim -v --check-interval "$AGENT_CHECK_MS" \
		-s "$FABRIC_DIR/vm-$node.sock" -S "$FABRIC_DIR/host-$node.sock" "$@" >/dev/null &&
		fabric_wait_for "$FABRIC_DIR/agent-$node.out" "subscribed:" 20
}

# agent_stop NODE: TERM, as an operator would; returns the agent's exit status.
agent_stop() { fabric_stop_client "agent-$1" TERM; }

# hcli NODE ARGS...: ibvmig-host against NODE's agent.
hcli() {
	local node=$1
	shift
	"$HOSTCLI" -S "$FABRIC_DIR/host-$node.sock" "$@"
}

# agent_stat NODE NAME: one number of NODE's agent status.
agent_stat() { field "$(hcli "$1" --json status)" "$2"; }

# vm_start NAME NODE [OPTION]...: an ibvmig-vm named NAME talking to NODE's agent, its
# events in NAME.out and its cache in NAME.state; returns once the agent said hello.
vm_start() {
	local name=$1 node=$2 dir=$FABRIC_DIR/vm-$1
	shift 2
	mkdir -p "$dir" || return 1
	# An earlier VM of this name (removed at its old host) may still be writing
	# its "gone" line: it must have ended before its output is emptied, or the
	# wait below reads that line as this VM's (seen under load in host-migrate).
	vm_stop "$name"
	# Emptied here, not by the background redirection: the wait below must not
	# read the "gone" line of an earlier VM of the same name.
	: >"$FABRIC_DIR/$name.out" || return 1
	(cd "$dir" && exec "$VMBIN" -S "$FABRIC_DIR/vm-$node.sock" -n "$name" \
		--state "$FABRIC_DIR/$name.state" --lifetime 900 "$@") \
		>>"$FABRIC_DIR/$name.out" 2>&1 &
	echo "$! $name" >>"$FABRIC_DIR/vms.pids"
	fabric_wait_for "$FABRIC_DIR/$name.out" '"event":"(ready|gone)"' 10 &&
		! grep -q '"event":"gone"' "$FABRIC_DIR/$name.out"
}

# vm_pid NAME: the PID of VM NAME (started by vm_start).
vm_pid() { sed -n "s/^\([0-9]*\) $1\$/\1/p" "$FABRIC_DIR/vms.pids" | tail -n 1; }

# vm_alive PID: true while PID is one of our ibvmig-vm processes (not a reused PID).
vm_alive() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q "^$VMBIN "; }

# vm_stop NAME [SIGNAL]: stops VM NAME by its PID (TERM, KILL after 5 s).
vm_stop() {
	local pid
	pid=$(vm_pid "$1")
	[ -n "$pid" ] && vm_alive "$pid" || return 0
	kill -s "${2:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq 50); do vm_alive "$pid" || return 0; sleep 0.1; done
	kill -s KILL "$pid" 2>/dev/null
}

# Stops every VM still running, before the harness stops the agents.
fabric_cleanup_hook() {
	local pid name
	[ -f "$FABRIC_DIR/vms.pids" ] || return 0
	while read -r pid name; do
		vm_alive "$pid" && kill -s CONT "$pid" 2>/dev/null && kill -s TERM "$pid" 2>/dev/null
	done <"$FABRIC_DIR/vms.pids"
	while read -r pid name; do vm_stop "$name"; done <"$FABRIC_DIR/vms.pids"
}

# vm_dlid NAME VGUID: the DLID VM NAME's cache holds for VGUID ("" if none).
vm_dlid() {
	sed -n "s/.*\"vguid\":\"$2\",\"dlid\":\([0-9]*\).*/\1/p" "$FABRIC_DIR/$1.state" 2>/dev/null
}

# vm_path_state NAME VGUID: active, suspended or aged ("" if not cached).
vm_path_state() {
	sed -n "s/.*\"vguid\":\"$2\",\"dlid\":[0-9]*,\"state\":\"\([a-z]*\)\".*/\1/p" \
		"$FABRIC_DIR/$1.state" 2>/dev/null
}

# vm_count NAME KEY: a counter of VM NAME's state (notices, applied, stale, uncached).
vm_count() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$FABRIC_DIR/$1.state" 2>/dev/null; }

# wait_until TIMEOUT_S CMD...: until CMD succeeds (every 0.1 s); false on timeout.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# dlid_is NAME VGUID LID: VM NAME's cache holds LID for VGUID.
dlid_is() { [ "$(vm_dlid "$1" "$2")" = "$3" ]; }

# migrate VGUID NAME FROM TO: the VM's vGUID moves from FROM's port to TO's: detach at
# the source and forget the VM there, then register and attach it at the destination.
migrate() {
	hcli "$3" detach --vguid "$1" >/dev/null &&
		hcli "$3" vm remove "$2" >/dev/null &&
		hcli "$4" vm add "$2" --vguid "$1" >/dev/null &&
		hcli "$4" attach --vguid "$1" --vm "$2" >/dev/null
}

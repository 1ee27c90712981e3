# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the LID escrow's end-to-end tests (doc/escrow-protocol.md): stock
# OpenSM with the plugin's escrow on, requests sent with ibvmig-sa escrow-*,
# the ports' LIDs and P_Keys read from the ports themselves with smpquery.
# Source after plugin-lib.sh.

# escrow_wait_bound: until the plugin has bound the escrow's class.  Under
# umad2sim a MAD of a class OpenSM never registered kills it
# (doc/simulator.md, "umad2sim Reads and Polls"): no escrow MAD before this.
escrow_wait_bound() {
	fabric_wait_for "$(fabric_sm_log)" "escrow: bound management class 0x09" 20
}

# esc NODE COMMAND [ARGS...]: one escrow request from NODE; the answer line on stdout.
esc() { local node=$1; shift; fabric_run "$node" "$SA" "$@" 2>&1; }

# ans_field LINE NAME: a field of an escrow answer line ("name=value ...").
ans_field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p; s/^$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }

# own_lid NODE: the LID in NODE's own PortInfo (a directed-route SMP from NODE to
# itself: what the port holds, whatever OpenSM's tables say).
own_lid() {
	fabric_smpquery "$1" -D portinfo 0 2>/dev/null | sed -n 's/^Lid:\.*\([0-9]*\)$/\1/p'
}

# wait_own_lid NODE LID: until NODE's own PortInfo shows LID (60 s at most: a liveness
# bound; a move under a loaded machine's heavy sweep took over 20 s).
wait_own_lid() {
	local i
	for i in $(seq 300); do
		[ "$(own_lid "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_lid_changes NODE OLD: until NODE's LID is not OLD (60 s); prints the new one.
wait_lid_changes() {
	local i lid
	for i in $(seq 300); do
		lid=$(own_lid "$1")
		if [ -n "$lid" ] && [ "$lid" != "$2" ]; then
			echo "$lid"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# wait_g2l NODE LID: until OpenSM's guid2lid file in $FABRIC_DIR/cache maps NODE's port
# to LID (20 s).  OpenSM writes that file at the end of a heavy sweep, after the
# port's PortInfo already shows the new LID: an SM killed in between leaves the
# old mapping for its successor (doc/simulator.md, "LIDs").
wait_g2l() {
	local guid i g min rest
	guid=$(fabric_smpquery "$1" -D nodeinfo 0 2>/dev/null | sed -n 's/^PortGuid:\.*//p')
	[ -n "$guid" ] || return 1
	for i in $(seq 100); do
		if [ -r "$FABRIC_DIR/cache/guid2lid" ]; then
			while read -r g min rest; do
				[ "$((g))" = "$((guid))" ] && [ "$((min))" = "$2" ] && return 0
			done <"$FABRIC_DIR/cache/guid2lid"
		fi
		sleep 0.2
	done
	return 1
}

# pkeys NODE: the non-zero P_Keys of NODE's port table, one line, from NODE itself.
pkeys() {
	fabric_smpquery "$1" -D pkeys 0 2>/dev/null |
		sed -n 's/^ *[0-9]*: //p' | tr ' ' '\n' | grep -v '^0x0000$' | sort | tr '\n' ' '
}

# heavy_sweep: a HUP (OpenSM re-reads its configuration and sweeps) and its SUBNET UP.
heavy_sweep() {
	fabric_sm_mark && fabric_sm_signal HUP && fabric_sm_wait_up 30 >/dev/null 2>&1
}

# sm_log_count REGEX: lines of the current OpenSM log matching REGEX.
sm_log_count() { grep -acE -- "$1" "$(fabric_sm_log)" || true; }

# ---- the fast move (doc/fast-move.md) ----------------------------------------------------------

# lft_dump NODE SWITCH_GUID: SWITCH's LFT as ibroute reads it from the switch, "LID PORT" lines
# (LIDs in decimal; entries forwarded nowhere are not listed).
lft_dump() {
	local lid port rest
	fabric_run "$1" "${FABRIC_IBNETDISCOVER%/*}/ibroute" -G "$2" 2>/dev/null |
		while read -r lid port rest; do
			[[ $lid == 0x* && $port =~ ^[0-9]+$ && $rest == :* ]] || continue
			echo "$((lid)) $((10#$port))"
		done
}

# lft_dumps NODE DIR SWITCH_GUID...: one lft_dump per switch into DIR/GUID.
lft_dumps() {
	local node=$1 dir=$2 sw
	shift 2
	mkdir -p "$dir"
	for sw in "$@"; do lft_dump "$node" "$sw" >"$dir/$sw"; done
}

# changed_blocks DIR1 DIR2: how many (switch, 64-LID block) pairs differ between two lft_dumps.
changed_blocks() {
	local f n=0 sw
	for f in "$1"/*; do
		sw=${f##*/}
		n=$((n + $(diff <(sort "$f") <(sort "$2/$sw") | awk '/^[<>]/ { print int($2 / 64) }' |
			sort -u | wc -l)))
	done
	echo "$n"
}

# fast_field LID NAME: a field of the plugin's last "fast move of LID LID live" line.
fast_field() {
	grep -a "escrow: fast move of LID $1 live" "$(fabric_sm_log)" | tail -n 1 |
		sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

# lid_owner NODE LID: the port GUID that answers a LID-routed NodeInfo at LID, asked from NODE.
lid_owner() {
	fabric_smpquery "$1" nodeinfo "$2" 2>/dev/null | sed -n 's/^PortGuid:\.*\(0x[0-9a-f]*\)$/\1/p'
}

# ---- the vSwitch model (test-fabric/topologies/vswitch.net) -----------------------------------

# topogen's GUIDs: vswN 0x0002c940 0000NN00, pfN port 0x0002c904 0000NN01, vfN-K port
# 0x0002c905 00NNKK01.  vf1-1 (behind hypervisor 1) and vf3-2 (hypervisor 3, the other leaf)
# are the VFs the escrow moves a LID between.
VF11=0x0002c90500010101
VF32=0x0002c90500030201

# vswitch_conf [OPTION VALUE]...: plugin_conf with the escrow on and vswitch.net's four
# hypervisors declared ("vswitch vswN pf pfN": pfN may ask for the VFs behind vswN), then
# the options given; prints its path.
vswitch_conf() {
	local n decl=()
	for n in 1 2 3 4; do
		decl+=(vswitch "$(printf '0x0002c940%06d00 pf 0x0002c904%06d01' "$n" "$n")")
	done
	plugin_conf escrow TRUE "${decl[@]}" "$@"
}

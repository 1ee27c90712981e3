#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh: re-checks the simulator facts of doc/simulator.md on private fabrics.
#
#	doc/simulator-checks/run.sh [-b BUILDDIR] [CHECK...]
#
# Each CHECK starts its own small fabric (test-fabric/fabric.sh on small.net), prints one line
# per fact, "ok - FACT [section]" when the simulator still behaves as the doc says and
# "DIFFERS - FACT [section]: what was seen" when not, and cleans up. The last line is
# "N ok, N differ". Without CHECK: all but failover-default (one minute).
#
# Needs a configured and built tree (BUILDDIR, default ./build: `./check.sh` or
# build-aux/setup.sh make one) for the harness's tool paths, test-fabric/ibvmig-sa and
# cli/ibvmig; builds simprobe.c (libibumad only) into a scratch directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$top_srcdir/build
if [ "${1:-}" = -b ]; then
	top_builddir=$(cd "$2" && pwd) || exit 1
	shift 2
fi
export top_srcdir top_builddir
all="probe slots sysfs gir traps issm flap errors tools limits failover"
[ $# -gt 0 ] || set -- $all

# shellcheck source=/dev/null
. "$top_srcdir/test-fabric/fabric.sh" || exit 1
SA=$top_builddir/test-fabric/ibvmig-sa
CLI=$top_builddir/cli/ibvmig
work=$(mktemp -d "${TMPDIR:-/tmp}/simchecks.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
# simprobe is built with the tree (its warnings are errors there); the ASan copy shows
# umad2sim's read past its buffer.
P=$top_builddir/doc/simulator-checks/simprobe
[ -x "$P" ] || { echo "run.sh: $P is not built: make in $top_builddir first" >&2; exit 1; }
cc -std=c11 -O1 -g -fsanitize=address -o "$work/simprobe-asan" "$here/simprobe.c" -libumad \
	2>/dev/null || rm -f "$work/simprobe-asan"

n_ok=0
n_diff=0
# verdict COND_RC SECTION FACT [SEEN]: one line per fact.
verdict() {
	if [ "$1" = 0 ]; then
		echo "ok - $3 [$2]"
		n_ok=$((n_ok + 1))
	else
		echo "DIFFERS - $3 [$2]: ${4:-}"
		n_diff=$((n_diff + 1))
	fi
}
# expect SECTION FACT SEEN PATTERN: the fact holds when SEEN matches the regex PATTERN.
expect() {
	[[ $3 =~ $4 ]]
	verdict $? "$1" "$2" "$3"
}
ms_since() { echo "($EPOCHREALTIME - $1) * 1000 / 1" | bc; }
up() { fabric_init "simchk-$1" && fabric_start small "${@:2}" >/dev/null 2>&1; }
down() { fabric_cleanup; }

# ---- umad2sim: sizes, reads, TIDs, poll, unregistered classes ----------------------------------
check_probe() {
	local out lb ls
	up probe --console || return
	out=$(fabric_run hosta "$P" sizes)
	expect "umad2sim Reads and Polls" "umad_size() is 56 before umad_open_port(), 64 after" \
		"$out" 'before_open=56 umad_size_after_open=64'
	out=$(fabric_run hosta "$P" echo)
	expect "umad2sim Reads and Polls" "a read() delivers bytes 0-223 of a 256-byte MAD" \
		"$out" 'intact_bytes=224 first_bad_offset=224'
	expect "TIDs" "umad2sim writes the agent id into TID bits 32-47, ibsim the client slot into 48-63" \
		"$out" 'agent=1 .*tid_sent=0x1111222233334444 tid_received=0x0001000133334444'
	if [ -x "$work/simprobe-asan" ]; then
		out=$(ASAN_OPTIONS=verify_asan_link_order=0 fabric_run hostb "$work/simprobe-asan" echo 2>&1)
		expect "umad2sim Reads and Polls" "AddressSanitizer flags umad2sim's read() (over-read)" \
			"$out" 'heap-buffer-overflow.*READ of size 320'
		fabric_reap_slots >/dev/null
	fi
	out=$(fabric_run hostc "$P" poll 1000)
	expect "umad2sim Reads and Polls" "poll() on the umad fd ignores a readable pipe and SIGALRM" \
		"$out" 'umad_and_pipe: umad_fd=[0-9]+ rc=0 errno=0 umad_revents=0x0 pipe_revents=0x0 elapsed_ms=(99[0-9]|10[0-9][0-9])'
	ls=$(fabric_node_lid spare hostb)
	fabric_spawn spare victim "$P" listen 69 60 >/dev/null
	fabric_wait_for "$FABRIC_DIR/victim.out" subscribed 10
	fabric_run hostb "$P" echo "$ls" >/dev/null
	sleep 1
	out=$(cat "$FABRIC_DIR/run/c.victim.rc" 2>/dev/null || echo running)
	expect "umad2sim Reads and Polls" "a MAD of a class the client never registered kills it (SIGSEGV)" \
		"$out" '^139$'
	down
}

# ---- slots --------------------------------------------------------------------------------------
check_slots() {
	local out pid i r
	up slots --console || return
	fabric_spawn hostd victim "$P" port 60 >/dev/null
	sleep 0.5
	pid=$(fabric_client_pid victim)
	kill -KILL "$pid"
	sleep 2
	out=$(fabric_console Attached)
	expect "Client Slots" "a client killed by a signal keeps its slot" "$out" "pid $pid connected"
	fabric_reap_slots >/dev/null
	out=$(fabric_console Attached)
	[[ $out != *"pid $pid "* ]]
	verdict $? "Client Slots" "X <n> frees it" "$out"
	# OpenSM killed, restarted without the harness's slot clean-up.
	kill -KILL "$(fabric_sm_pid)"
	sleep 0.5
	fabric__free_sm_slot() { :; }
	fabric_sm_start && fabric_sm_wait_up 30 2>/dev/null
	out=
	for i in 1 2; do
		t0=$EPOCHREALTIME
		if fabric_saquery hostb -t 2000 NR 1 >/dev/null 2>&1; then r=ok; else r=fail; fi
		out="$out #$i:$r/$(ms_since "$t0")ms"
	done
	expect "Client Slots" "a killed OpenSM's slot takes the first SA request after a restart (fails at once)" \
		"$out" '#1:fail/[0-9]{1,3}ms #2:ok'
	down
}

# ---- sysfs snapshot -----------------------------------------------------------------------------
check_sysfs() {
	local out fresh la lb lsm
	up sysfs || return
	la=$(fabric_node_lid hosta) lb=$(fabric_node_lid hostb) lsm=$(fabric_node_lid sm)
	fabric_spawn hosta long "$P" port 30 >/dev/null
	sleep 1.5
	fabric_sm_stop
	# shellcheck disable=SC2034 # the harness's: where fabric_sm_start runs OpenSM
	FABRIC_SM_NODE=hostb
	fabric_sm_start && fabric_sm_wait_up 30 2>/dev/null
	fabric_sm_stop
	sed -i 's/^0x0002c90300000021 .*/0x0002c90300000021 0x0028 0x0028/' "$FABRIC_DIR/cache/guid2lid"
	fabric_sm_start && fabric_sm_wait_up 30 2>/dev/null
	sleep 1.5
	fresh=$(fabric_run hosta "$P" port 1)
	out=$(tail -n 1 "$FABRIC_DIR/long.out")
	expect "LIDs" "OpenSM restarted with an edited guid2lid gives the port that LID" "$fresh" \
		"lid=40 sm_lid=$lb\$"
	expect "umad2sim Port Snapshot" "a running client's umad_get_port() keeps its start LID and SM LID" \
		"$out" "lid=$la sm_lid=$lsm\$"
	fabric_stop_client long >/dev/null
	down
}

# ---- alias GUIDs --------------------------------------------------------------------------------
check_gir() {
	local la lc ls lb out V=0x0002c903abcd0001 W=0x0002c903abcd0002
	up gir || return
	la=$(fabric_node_lid hosta) lc=$(fabric_node_lid hostc) ls=$(fabric_node_lid spare)
	lb=$(fabric_node_lid hostb)
	fabric_run hosta "$P" gir set "$la" 1 $V >/dev/null
	fabric_run hostc "$P" gir set "$lc" 2 $W >/dev/null
	out=$(fabric_run hostc "$P" gir set "$lc" 2 $V)
	expect "Alias GUIDs through the SA" "a duplicate Set answers status 0 with the port's own block" \
		"$out" "status=0x0000 .* g2=$W "
	expect "Alias GUIDs through the SA" "OpenSM logs the duplicate as ERR 5108" \
		"$(grep -c 'ERR 5108' "$(fabric_sm_log)")" '^1$'
	out=$(fabric_run hostc "$P" gir delete "$lc" 2 0xdead)
	expect "Alias GUIDs through the SA" "a Delete clears the index whatever GUID it names" \
		"$out" 'status=0x0000 method=0x95 .* g2=0x0000000000000000'
	out=$(fabric_run spare "$P" gir delete "$ls" 1 $V)
	expect "Alias GUIDs through the SA" "a Delete on a port that never had an alias echoes the request" \
		"$out" "g0=0x0000000000000000 g1=$V"
	out=$(fabric_run hosta "$P" gir get "$la" 32 0)
	expect "ibsim Limits" "GUIDCap is 32: block 4 is 'no records'" "$out" 'status=0x0300'
	out=$(fabric_run hostb "$P" gir set "$lb" 1 0)
	expect "Alias GUIDs through the SA" "a Set of GUID 0 makes OpenSM invent an alias" \
		"$out" 'g1=0x001405'
	out=$(fabric_run hostb "$P" gir set "$la" 5 $W)
	expect "Alias GUIDs through the SA" "any port sharing a P_Key may set another port's aliases" \
		"$out" "status=0x0000 .* g5=$W"
	expect "MAD Delivery in ibsim" "ibsim's SMA refuses GUIDInfo Set (ERR 3111, status 0x8)" \
		"$(grep -c 'ERR 3111: Received MAD with error status = 0x8' "$(fabric_sm_log)")" '^[1-9]'
	down
}

# ---- traps and Reports --------------------------------------------------------------------------
check_traps() {
	local sm out first
	up traps || return
	sm=$(fabric_node_lid sm hostc)
	fabric_spawn hostb lis "$P" listen 69 120 >/dev/null
	fabric_wait_for "$FABRIC_DIR/lis.out" subscribed 10
	fabric_run hostc "$P" trap 12 "$sm" 0x1234 >/dev/null
	sleep 1
	out=$(grep -c '^report' "$FABRIC_DIR/lis.out")
	expect "Trap Forwarding" "12 identical traps at 50 ms intervals: OpenSM forwards 10" "$out" '^10$'
	sleep 5.5
	fabric_run hostc "$P" trap 1 "$sm" 0x1234 >/dev/null
	sleep 1
	out=$(grep -c '^report' "$FABRIC_DIR/lis.out")
	expect "Trap Forwarding" "after 5 s of silence the same trap is forwarded again" "$out" '^11$'
	out=$(grep -m1 '^report' "$FABRIC_DIR/lis.out")
	expect "Trap Forwarding" "the Report's issuer GID is the sender's port, the issuer LID as sent" \
		"$out" 'issuer_lid=4660 issuer_gid=0xfe80000000000000:0x0002c90300000041'
	first=$(sed -n 's/^report n=1 tid=0x[0-9a-f]\{8\}\([0-9a-f]\{8\}\) .*/\1/p' "$FABRIC_DIR/lis.out")
	fabric_stop_client lis >/dev/null
	fabric_sm_stop
	fabric_sm_start && fabric_sm_wait_up 30 2>/dev/null
	fabric_spawn hostb lis2 "$P" listen 69 60 >/dev/null
	fabric_wait_for "$FABRIC_DIR/lis2.out" subscribed 10
	fabric_run hostc "$P" trap 1 "$sm" 0x1234 >/dev/null
	sleep 1
	out=$(sed -n 's/^report n=1 tid=0x[0-9a-f]\{8\}\([0-9a-f]\{8\}\) .*/\1/p' "$FABRIC_DIR/lis2.out")
	expect "Reports and Subscriptions" "a restarted OpenSM numbers its Reports from the same TID" \
		"first run $first, second run $out" "^first run 02dab001, second run 02dab001\$"
	fabric_stop_client lis2 >/dev/null
	down
}

# ---- issm ---------------------------------------------------------------------------------------
check_issm() {
	local ls out
	up issm --console || return
	ls=$(fabric_node_lid spare hostb)
	capm() { fabric_smpquery hostb portinfo "$ls" 1 | sed -n 's/^CapMask:\.*//p'; }
	fabric_spawn spare l "$P" listen 69 30 >/dev/null
	fabric_wait_for "$FABRIC_DIR/l.out" subscribed 10
	out="holding $(capm)"
	fabric_stop_client l >/dev/null
	out="$out closed $(capm)"
	fabric_run spare env SIM_SET_ISSM=1 "$P" sizes >/dev/null
	out="$out SIM_SET_ISSM-exited $(capm)"
	expect "issm and Reports" "IsSM (CapMask 0x2) while issm is open, cleared by close, left by SIM_SET_ISSM=1" \
		"$out" '^holding 0x[0-9a-f]*[2367abef] closed 0x[0-9a-f]*[014589cd] SIM_SET_ISSM-exited 0x[0-9a-f]*[2367abef]$'
	# That client had no SM agents: an SMInfo Get may have killed it and stalled the sweep.
	fabric_sm_stop
	fabric_sm_start
	fabric_sm_wait_up 15 2>/dev/null
	verdict $? "issm and Reports" "a restarted OpenSM comes up although spare's IsSM bit is stale"
	# A plain subscriber (no issm) gets no Report: ibsim has no one to give it to.
	fabric_spawn hostd plain "$SA" listen --traps 69 --timeout 60 >/dev/null
	fabric_wait_for "$FABRIC_DIR/plain.out" listening 10
	fabric_run hostc "$P" trap 1 "$(fabric_node_lid sm hostc)" 1 >/dev/null
	sleep 1
	out="$(grep -c '"trap":69' "$FABRIC_DIR/plain.out") reports; $(grep -c 'no one to handle pkt: class 0x3, attr 0x2' "$FABRIC_DIR/ibsim.out") unhandled"
	expect "issm and Reports" "a subscriber without issm gets no Report (ibsim: no one to handle pkt)" \
		"$out" '^0 reports; [1-9]'
	kill -KILL "$(fabric_client_pid plain)"
	sleep 0.5
	out=$(fabric_saquery hostc IIR fe80::2:c903:0:51 2>/dev/null | grep -c SubscriberGID)
	expect "Reports and Subscriptions" "subscriptions outlive a killed subscriber" "$out" '^1$'
	fabric_reap_slots >/dev/null
	# An issm client that answers SMInfo: heavy sweeps and restarts go on.
	fabric_spawn spare good "$P" listen 69 60 >/dev/null
	fabric_wait_for "$FABRIC_DIR/good.out" subscribed 10
	fabric_sm_mark
	fabric_sm_signal HUP
	fabric_sm_wait_up 15 2>/dev/null && out=hup-up || out=hup-stuck
	fabric_sm_stop
	fabric_sm_start
	fabric_sm_wait_up 15 2>/dev/null && out="$out restart-up" || out="$out restart-stuck"
	fabric_stop_client good >/dev/null
	expect "issm and Reports" "with an issm client that answers SMInfo, HUP and restart reach SUBNET UP" \
		"$out" '^hup-up restart-up$'
	expect "Reports and Subscriptions" "the restarted OpenSM forgot the subscription: its unsubscribe is ERR 4307" \
		"$(grep -c 'ERR 4307' "$(fabric_sm_log)")" '^1$'
	# One that ignores SMInfo: OpenSM's next heavy sweep never ends, not even once it left.
	fabric_spawn spare deaf "$P" listen 69 60 deaf >/dev/null
	fabric_wait_for "$FABRIC_DIR/deaf.out" subscribed 10
	sleep 1
	fabric_sm_mark
	fabric_sm_signal HUP
	fabric_sm_wait_up 10 2>/dev/null && out=hup-up || out=hup-stuck
	fabric_stop_client deaf >/dev/null
	fabric_sm_mark
	fabric_sm_signal HUP
	fabric_sm_wait_up 10 2>/dev/null && out="$out gone-up" || out="$out gone-stuck"
	out="$out SA:$(fabric_saquery hostb -t 500 NR 1 2>/dev/null | grep -c NodeDesc)"
	expect "OpenSM Transactions Under umad2sim" \
		"an issm client that ignores SMInfo stalls every later heavy sweep (the SA still answers)" \
		"$out" '^hup-stuck gone-stuck SA:1$'
	down
}

# ---- link flap ----------------------------------------------------------------------------------
check_flap() {
	local conf lc out n0 V=0x0002c903abcd0001
	fabric_init simchk-flap || return
	conf=$FABRIC_DIR/ibvmig.conf
	printf 'admin_socket %s\nstate_dir %s\n' "$FABRIC_DIR/admin.sock" "$FABRIC_DIR/state" >"$conf"
	fabric_start small --console --plugin "$conf" >/dev/null 2>&1 || return
	lc=$(fabric_node_lid hostc hostd)
	fabric_run hostc "$SA" alias-set --vguid $V >/dev/null
	fabric_spawn hostc lis "$SA" --sim listen --traps 68,69 --timeout 120 >/dev/null
	fabric_wait_for "$FABRIC_DIR/lis.out" listening 10
	fabric_sm_mark
	fabric_console 'Unlink "hostc"[1]' >/dev/null
	fabric_sm_wait_up 20 2>/dev/null
	out="NR:$(fabric_saquery hostd NR "$lc" 2>/dev/null | grep -c NodeDesc)"
	out="$out subscribers:$("$CLI" -S "$FABRIC_DIR/admin.sock" subscribers | grep -c 0x0002c90300000041)"
	out="$out IIR:$(fabric_saquery hostd IIR fe80::2:c903:0:41 2>/dev/null | grep -c SubscriberGID)"
	expect "Link Flaps: Unlink and Link" "Unlink: the SA forgets the node, OpenSM keeps its 2 subscriptions (IIR hides them)" \
		"$out" '^NR:0 subscribers:2 IIR:0$'
	fabric_sm_mark
	fabric_console 'Link "hostc"[1] "sw2"[1]' >/dev/null
	fabric_sm_wait_up 20 2>/dev/null
	out="lid:$(fabric_node_lid hostc hostd)/$lc aliases:$(fabric_run hostc "$SA" aliases | wc -l)"
	out="$out IIR:$(fabric_saquery hostd IIR fe80::2:c903:0:41 2>/dev/null | grep -c SubscriberGID)"
	n0=$(grep -c '"trap":69' "$FABRIC_DIR/lis.out")
	fabric_run hostd "$P" trap 1 "$(fabric_node_lid sm hostd)" 1 >/dev/null
	sleep 1
	out="$out reports:$(($(grep -c '"trap":69' "$FABRIC_DIR/lis.out") - n0))"
	expect "Link Flaps: Unlink and Link" "Link: same LID, alias gone, subscriptions still deliver" \
		"$out" "^lid:$lc/$lc aliases:1 IIR:2 reports:1\$"
	fabric_stop_client lis >/dev/null
	down
}

# ---- Error (packet loss) ------------------------------------------------------------------------
check_errors() {
	local sm lc out
	up errors --console || return
	sm=$(fabric_node_lid sm hostb) lc=$(fabric_node_lid hostc hostb)
	fabric_spawn hostb lis "$P" listen 69 120 >/dev/null
	fabric_wait_for "$FABRIC_DIR/lis.out" subscribed 10
	# row: SA from hostc, SMP hostb->hostc, trap hostc->SM (1 = got through)
	row() {
		local a b c n
		fabric_saquery hostc -t 300 NR 1 >/dev/null 2>&1 && a=1 || a=0
		fabric_smpquery hostb -t 300 nodeinfo "$lc" >/dev/null 2>&1 && b=1 || b=0
		n=$(grep -c '^report' "$FABRIC_DIR/lis.out")
		fabric_run hostc "$P" trap 1 "$sm" "$sm" >/dev/null
		sleep 0.5
		c=$(($(grep -c '^report' "$FABRIC_DIR/lis.out") - n))
		echo "sa=$a smp=$b trap=$c"
	}
	fabric_console 'Error "hostc"[1] 100' >/dev/null
	out=$(row)
	fabric_console 'Error "hostc"[1] 0' >/dev/null
	expect "Packet Loss: the Error Command" "Error on an HCA port drops what arrives there, not what it sends" \
		"$out" '^sa=0 smp=0 trap=1$'
	fabric_console 'Error "sw2"[1] 100' >/dev/null
	out=$(row)
	fabric_console 'Error "sw2"[1] 0' >/dev/null
	expect "Packet Loss: the Error Command" "Error on the switch port facing it drops what the HCA sends" \
		"$out" '^sa=0 smp=0 trap=0$'
	fabric_console 'Error "hostc"[1] 100 17' >/dev/null
	out="$(row) portinfo=$(fabric_smpquery hostb -t 300 portinfo "$lc" 1 >/dev/null 2>&1 && echo 1 || echo 0)"
	fabric_console 'Error "hostc"[1] 0' >/dev/null
	expect "Packet Loss: the Error Command" "with an attribute, only SMA requests of that attribute are dropped" \
		"$out" '^sa=1 smp=0 trap=1 portinfo=1$'
	t0=$EPOCHREALTIME
	fabric_console 'Error "hostc"[1] 100' >/dev/null
	fabric_smpquery hostb -t 2000 nodeinfo "$lc" >/dev/null 2>&1
	out=$(ms_since "$t0")
	sleep 6
	out="$out ms; SA still knows hostc: $(fabric_saquery hostb NR "$lc" 2>/dev/null | grep -c NodeDesc)"
	fabric_console 'Error "hostc"[1] 0' >/dev/null
	expect "Packet Loss: the Error Command" "a dropped request fails at once (bounced), and OpenSM keeps the port" \
		"$out" '^[0-9]{1,3} ms; SA still knows hostc: 1$'
	fabric_stop_client lis >/dev/null
	down
}

# ---- peer tools, RMPP, sweeps -------------------------------------------------------------------
check_tools() {
	local out rc
	up tools || return
	out=$(fabric_saquery hostb NR hosta 2>&1)
	rc=$?
	expect "Peer Tools" "saquery NR <node name> fails" "rc=$rc $out" '^rc=[1-9][0-9]* .*Failed to find lid'
	out=$(fabric_saquery hostb NR 99 2>&1)
	rc=$?
	expect "Peer Tools" "saquery for a record that does not exist prints nothing and exits 0" \
		"rc=$rc [$out]" '^rc=0 \[\]$'
	out=$(fabric_saquery hostb 2>/dev/null | grep -c NodeDescription)
	expect "RMPP" "a multi-record answer arrives truncated (1 of 8 NodeRecords)" "$out" '^1$'
	fabric_osmtest_inventory spare "$FABRIC_DIR/inv" >/dev/null 2>&1
	out=$(grep -c '^DEFINE_NODE' "$FABRIC_DIR/inv")
	expect "RMPP" "osmtest -f c passes with 1 of 8 nodes in its inventory" "$out" '^1$'
	fabric_sm_mark
	fabric_sm_signal HUP
	fabric_sm_wait_up 20 2>/dev/null
	verdict $? "OpenSM Sweeps and Traps" "OpenSM logs SUBNET UP again after each heavy sweep (HUP)"
	down
}

# ---- ibsim limits -------------------------------------------------------------------------------
check_limits() {
	local out i
	fabric_init simchk-limits || return
	fabric_start small --console --ibsim-opt -N --ibsim-opt 4096 --ibsim-opt -S \
		--ibsim-opt 512 >/dev/null 2>&1 || return
	out=$(grep -E '^Max(NetNodes|NetSwitches|NetPorts)' "$FABRIC_DIR/ibsim.out" | tr -s ' \n' ' ')
	expect "ibsim Limits" "-N/-S raise nodes and switches, not ports (-P is separate)" "$out" \
		'MaxNetNodes = 4096 MaxNetSwitches = 512 MaxNetPorts = 13312'
	for i in $(seq 9); do fabric_spawn hostd "p$i" "$P" port 30 >/dev/null; done
	sleep 1
	fabric_run hostc "$P" sizes >/dev/null 2>&1
	i=$?
	out="$(fabric_console Attached | grep -c Client) attached, 11th rc=$i"
	expect "ibsim Limits" "10 clients at once; the 11th cannot attach" "$out" '^10 attached, 11th rc=[1-9]'
	for i in $(seq 9); do fabric_stop_client "p$i" >/dev/null; done
	down
	out=$(cd "$work" && IBSIM_SOCKNAME=simchk-spin-$$ /usr/bin/time -f '%U %S' timeout 2 \
		"$FABRIC_IBSIM" -s "$top_srcdir/test-fabric/topologies/small.net" </dev/null 2>&1 \
		>/dev/null | tail -n 1)
	out=$(echo "$out" | awk '{ print ($1 + $2 > 1) ? "spins" : "idle" }')
	expect "Running a Fabric" "ibsim without -n spins on its console's end of file" "$out" '^spins$'
}

# ---- failover -----------------------------------------------------------------------------------
failover() {
	local t=$1 n=$2 opts=() t0 s
	fabric_init "simchk-failover" || return
	[ "$t" = default ] || opts=(--osm-opt "sminfo_polling_timeout $t" --osm-opt "polling_retry_number $n")
	fabric_start small --console "${opts[@]}" >/dev/null 2>&1 || return
	sed -e "s|^log_file .*|log_file $FABRIC_DIR/osm2.log|" "$FABRIC_DIR/opensm.conf" >"$FABRIC_DIR/osm2.conf"
	mkdir -p "$FABRIC_DIR/c2"
	fabric_spawn hostb osm2 env OSM_TMP_DIR="$FABRIC_DIR/c2" OSM_CACHE_DIR="$FABRIC_DIR/c2" \
		"$FABRIC_OPENSM" -F "$FABRIC_DIR/osm2.conf" >/dev/null
	fabric_wait_for "$FABRIC_DIR/osm2.log" 'Entering STANDBY state' 30 || return
	sleep 2
	t0=$EPOCHREALTIME
	fabric_sm_stop KILL
	fabric_wait_for "$FABRIC_DIR/osm2.log" 'SUBNET UP' 200 || return
	s=$(echo "($EPOCHREALTIME - $t0) / 1" | bc -l | cut -c1-5)
	fabric_stop_client osm2 >/dev/null
	down
	echo "$s"
}
check_failover() {
	local s
	s=$(failover 1000 2)
	expect "SM Failover" "sminfo_polling_timeout 1000, polling_retry_number 2: the standby takes over in 3-4 s" \
		"${s:-?} s" '^(3\.|4\.0)'
}
check_failover-default() {
	local s
	s=$(failover default 4)
	expect "SM Failover" "defaults (10 s, 4 retries): the standby takes over in 50-60 s" \
		"${s:-?} s" '^5[0-9]\.'
}

for c in "$@"; do
	if ! declare -F "check_$c" >/dev/null; then
		echo "run.sh: no check \"$c\" (checks: $all failover-default)" >&2
		exit 1
	fi
	echo "== $c"
	"check_$c"
done
echo "$n_ok ok, $n_diff differ"
[ "$n_diff" -eq 0 ]

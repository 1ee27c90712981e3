#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the standalone SM extension (ibvmig-smx) against the plugin, side by side in one
# run on the same fabric, at each size asked for (6 hosts: small.net; 500 and 2000: fat trees
# of ibvmig-topogen), one fabric at a time:
#  1. plugin: OpenSM with the plugin, agents on hosts A and C (no --extension), a subscriber
#     on L; N migrations A <-> C through the agents (ibvmig-host detach, attach): the time from
#     just before the destination's `ibvmig-host attach` to the RePath Report at L;
#  2. told: the same OpenSM restarted without the plugin, the extension on X (its default poll
#     budget, A and C trusted), the agents started again with --extension: the same N
#     migrations, the same clock;
#  3. poll: the agents stopped, P migrations made with ibvmig-sa (no agent, nobody tells),
#     found by the poll alone (the RePath goes out: A and C are trusted);
#  4. the poll's cost: the SA requests per second the extension made and OpenSM's CPU share
#     (/proc/PID/stat utime+stime over a window without migrations), against OpenSM's share
#     idle before the extension started;
#  5. what a trap costs OpenSM: K RePath traps from L (smx-forge traps, 100 ms apart: each
#     starts its own light sweep), forwarded to the subscriber, OpenSM's CPU per trap beyond
#     idle, with sweep_on_trap TRUE (the default: a light sweep per trap) and FALSE.
# OpenSM sweeps every 10 s (its default) here, not every 3 s as in the tests.  The last line
# printed is one JSON object.
#
# usage: smx-bench.sh [SIZE...]   (default: 6 500 2000; needs top_srcdir, top_builddir)
# env: SMX_BENCH_N (migrations of 1 and 2, default 50), SMX_BENCH_POLL (of 3, default 5),
#      SMX_BENCH_WINDOW (seconds of 4, default 30), SMX_BENCH_TRAPS (of 5, default 50),
#      SMX_BENCH_SWEEP_ON_TRAP (OpenSM's sweep_on_trap in 1-4, default TRUE)
set -u
. "$top_srcdir/sm-extension/tests/smx-lib.sh"
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
: "${SMX_BENCH_N:=50}" "${SMX_BENCH_POLL:=5}" "${SMX_BENCH_WINDOW:=30}" "${SMX_BENCH_TRAPS:=50}"
: "${SMX_BENCH_SWEEP_ON_TRAP:=TRUE}"
export FABRIC_UP_TIMEOUT=300 FABRIC_RUN_TIMEOUT=600
AGENT_CHECK_MS=5000		# the agents' own default canary period
VM=0x0002c903abcd0f10
keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT

bench_msg() { echo "bench: $*" >&2; }
# share TICKS SECONDS: percent of one core.
share() { awk -v t="$1" -v s="$2" 'BEGIN { printf "%.2f", (s > 0 ? t / s : 0) }'; }
# stats: median and p99 (nearest rank) of the numbers on stdin, as "M P" (null null if none).
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "null null"; exit }
		printf "%.3f %.3f\n", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)] }'
}
lid_on() { fabric_run "$1" "$SA" info | sed -n 's/.* lid=\([0-9]*\) .*/\1/p'; }
osm_conf_plugin() { # osm_conf_plugin on|off: OpenSM's conf with or without the plugin
	sed -i '/^event_plugin_name /d; /^event_plugin_options /d' "$FABRIC_DIR/opensm.conf"
	[ "$1" = off ] || printf 'event_plugin_name ibvmig\nevent_plugin_options %s\n' \
		"$FABRIC_DIR/ibvmig.conf" >>"$FABRIC_DIR/opensm.conf"
}
sm_restart() { # sm_restart: OpenSM again with what opensm.conf says now
	fabric_sm_stop TERM && fabric_sm_start && fabric_sm_wait_up 300
}

# migrations HOW N OUT: N migrations of $VM from $AT to the other of A and C and back, HOW
# agents (ibvmig-host detach, then attach at the destination) or sa (ibvmig-sa alias-delete,
# then alias-set: no agent); appends "t0 t1" per RePath (seconds) to OUT; $AT follows.
migrations() {
	local how=$1 n=$2 out=$3 i dst t0 got want
	got=$(notices sub 69)
	for ((i = 1; i <= n; i++)); do
		if [ "$AT" = "$A" ]; then dst=$C; else dst=$A; fi
		if [ "$how" = agents ]; then
			hcli "$AT" detach --vguid $VM >/dev/null && hcli "$AT" vm remove mig >/dev/null &&
				hcli "$dst" vm add mig --vguid $VM >/dev/null || return 1
			t0=$EPOCHREALTIME
			hcli "$dst" attach --vguid $VM >/dev/null || return 1
		else
			on "$AT" alias-delete --vguid $VM >/dev/null || return 1
			t0=$EPOCHREALTIME
			on "$dst" alias-set --vguid $VM >/dev/null || return 1
		fi
		AT=$dst
		want=$((got + i))
		wait_until 300 wait_repath "$want" || { bench_msg "RePath $i missing"; return 1; }
		echo "$t0 $(grep '"trap":69' "$FABRIC_DIR/sub.out" | sed -n "${want}p" |
			sed 's/.*"time":\([0-9.]*\).*/\1/')" >>"$out"
	done
}
wait_repath() { [ "$(notices sub 69)" -ge "$1" ]; }
latencies_ms() { awk '{ printf "%.3f\n", ($2 - $1) * 1000 }' "$1" | stats; }

# The fabric of SIZE: its net file and the nodes A, C (agents), L (subscriber), X (extension).
pick_fabric() {
	local -a hosts
	if [ "$1" = 6 ]; then
		NET=small A=hosta C=hostc L=hostb X=spare
		GA=$GUID_A GC=$GUID_C
		return 0
	fi
	case $1 in
	500) set -- --hosts-per-leaf 25 --leaves 20 --spines 4 ;;
	2000) set -- --hosts-per-leaf 40 --leaves 50 --spines 8 ;;
	*) bench_msg "no fabric of $1 hosts"; return 1 ;;
	esac
	topogen_generate "$FABRIC_DIR/big" "$@" || return 1
	NET=$FABRIC_DIR/big.net
	mapfile -t hosts < <(sed -n 's/^Hca[^"]*"\(host[0-9]*\)".*/\1/p' "$NET")
	A=${hosts[1]} C=${hosts[${#hosts[@]} - 2]} L=${hosts[2]} X=${hosts[3]}
	GA=$(printf '0x0002c901%06d01' "${A#host}") GC=$(printf '0x0002c901%06d01' "${C#host}")
}

start_with_plugin() {
	local conf
	conf=$(plugin_conf log_level info) || return 1
	set -- --console --plugin "$conf" --osm-opt "sweep_interval 10" \
		--osm-opt "sweep_on_trap $SMX_BENCH_SWEEP_ON_TRAP"
	if [ "$NET" = small ]; then
		fabric_start small "$@"
	else
		topogen_start "$NET" "$@"
	fi
}

agents() { # agents [OPTION]...: the agents on A and C, and VM mig at $AT holding $VM
	local n
	for n in "$A" "$C"; do
		agent_start "$n" "$@" || return 1
	done
	vm_start mig "$AT" -g $VM && hcli "$AT" attach --vguid $VM --vm mig >/dev/null
}
agents_stop() {
	vm_stop mig
	fabric_stop_client "agent-$A" >/dev/null
	fabric_stop_client "agent-$C" >/dev/null
}

one() {
	local size=$1 pid t0 c0 c1 q0 q1 idle_ticks idle_s poll_ticks poll_s rps ext_lid
	local on off hosts cycle pm pp tm tp qm qp
	fabric_init "smx-bench-$size" || return 1
	pick_fabric "$size" || return 1
	SMX_NODE=$X
	start_with_plugin >/dev/null 2>"$FABRIC_DIR/start.err" ||
		{ cat "$FABRIC_DIR/start.err" >&2; return 1; }
	hosts=$(grep -c '^Hca' "$FABRIC_NETFILE")
	AT=$A

	# 1. The plugin.
	listen "$L" sub && agents || return 1
	: >"$keep/plugin.$size"
	migrations agents "$SMX_BENCH_N" "$keep/plugin.$size" || return 1
	bench_msg "$size hosts: plugin done"

	# 2. Told: OpenSM without the plugin, the extension, the agents telling it.
	agents_stop
	fabric_stop_client sub >/dev/null
	osm_conf_plugin off
	sm_restart >/dev/null 2>&1 || return 1
	pid=$(fabric_sm_pid)
	sleep 5
	c0=$(fabric_cpu_ticks "$pid") t0=$EPOCHREALTIME
	sleep "$SMX_BENCH_WINDOW"
	c1=$(fabric_cpu_ticks "$pid")
	idle_ticks=$((c1 - c0)) idle_s=$(echo "$EPOCHREALTIME - $t0" | bc)
	smx_conf log_level info trusted_port "$GA,$GC"
	sed -i '/^poll_rate /d; /^poll_interval_ms /d; /^check_interval_ms /d' "$FABRIC_DIR/smx.conf"
	fabric_spawn "$X" smx "$SMX" --sim -c "$FABRIC_DIR/smx.conf" >/dev/null &&
		fabric_wait_for "$FABRIC_DIR/smx.out" "LID scan 1 done" 600 || return 1
	ext_lid=$(smx_value status port_lid)
	# shellcheck disable=SC2046
	listen "$L" sub && agents --extension "$ext_lid" $(trust_opts) || return 1
	: >"$keep/told.$size"
	migrations agents "$SMX_BENCH_N" "$keep/told.$size" || return 1
	bench_msg "$size hosts: told done"

	# 4. The poll's cost (no agent, no migration), then 3. the poll alone.
	agents_stop
	fabric_wait_for "$FABRIC_DIR/smx.out" "poll cycle 1:" 600 || return 1
	q0=$(smx_counter poll_requests) c0=$(fabric_cpu_ticks "$pid") t0=$EPOCHREALTIME
	sleep "$SMX_BENCH_WINDOW"
	q1=$(smx_counter poll_requests) c1=$(fabric_cpu_ticks "$pid")
	poll_ticks=$((c1 - c0)) poll_s=$(echo "$EPOCHREALTIME - $t0" | bc)
	rps=$(awk -v q=$((q1 - q0)) -v s="$poll_s" 'BEGIN { printf "%.1f", q / s }')
	: >"$keep/poll.$size"
	migrations sa "$SMX_BENCH_POLL" "$keep/poll.$size" || return 1
	cycle=$(smx_value status poll_cycle_ms)
	bench_msg "$size hosts: poll done"

	# 5. A trap's cost, with and without sweep_on_trap (the subscriber still subscribed).
	fabric_stop_client smx >/dev/null
	sed -i '/^sweep_on_trap /d' "$FABRIC_DIR/opensm.conf"
	echo "sweep_on_trap TRUE" >>"$FABRIC_DIR/opensm.conf"
	fabric_stop_client sub >/dev/null
	sm_restart >/dev/null 2>&1 && listen "$L" sub || return 1
	on=$(trap_cost "$(fabric_sm_pid)" "$idle_ticks" "$idle_s") || return 1
	sed -i '/^sweep_on_trap /d' "$FABRIC_DIR/opensm.conf"
	echo "sweep_on_trap FALSE" >>"$FABRIC_DIR/opensm.conf"
	fabric_stop_client sub >/dev/null
	sm_restart >/dev/null 2>&1 && listen "$L" sub || return 1
	off=$(trap_cost "$(fabric_sm_pid)" "$idle_ticks" "$idle_s") || return 1

	read -r pm pp < <(latencies_ms "$keep/plugin.$size")
	read -r tm tp < <(latencies_ms "$keep/told.$size")
	read -r qm qp < <(awk '{ printf "%.3f\n", $2 - $1 }' "$keep/poll.$size" | stats)
	printf '{"hosts":%s,"set_to_repath_ms_plugin":{"median":%s,"p99":%s},' "$hosts" "$pm" "$pp"
	printf '"set_to_repath_ms_told":{"median":%s,"p99":%s},' "$tm" "$tp"
	printf '"set_to_repath_s_poll":{"median":%s,"max":%s,"n":%s},' "$qm" "$qp" "$SMX_BENCH_POLL"
	printf '"poll_cycle_ms":%s,"poll_requests_per_s":%s,' "${cycle:-null}" "$rps"
	printf '"osm_cpu_pct_idle":%s,"osm_cpu_pct_poll":%s,' "$(share "$idle_ticks" "$idle_s")" \
		"$(share "$poll_ticks" "$poll_s")"
	printf '"osm_cpu_ms_per_trap_sweep_on_trap":%s,"osm_cpu_ms_per_trap_no_sweep":%s,' "$on" "$off"
	printf '"sweep_on_trap":"%s"}' "$SMX_BENCH_SWEEP_ON_TRAP"
	fabric_cleanup >/dev/null 2>&1
}

# trap_cost PID IDLE_TICKS IDLE_S: OpenSM's CPU ms per trap beyond idle, K traps from L.
trap_cost() {
	local pid=$1 c0 c1 t0 dt
	sleep 3
	c0=$(fabric_cpu_ticks "$pid") t0=$EPOCHREALTIME
	fabric_run "$L" "$FORGE" --sim traps --count "$SMX_BENCH_TRAPS" --interval 100 >/dev/null ||
		return 1
	sleep 3		# the last sweeps end
	c1=$(fabric_cpu_ticks "$pid")
	dt=$(echo "$EPOCHREALTIME - $t0" | bc)
	awk -v c=$((c1 - c0)) -v it="$2" -v is="$3" -v dt="$dt" -v k="$SMX_BENCH_TRAPS" \
		'BEGIN { x = (c - it / is * dt) * 10 / k; printf "%.3f", (x > 0 ? x : 0) }'
}

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(6 500 2000)
results=
for s in "${sizes[@]}"; do
	r=$(one "$s") || { bench_msg "$s hosts failed"; fabric_cleanup >/dev/null 2>&1; exit 1; }
	echo "smx-bench: $r"
	results=${results:+$results,}$r
done
printf '{"bench":"smx","date":"%s","fabrics":[%s]}\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$results"

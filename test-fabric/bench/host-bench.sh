#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: what one VM migration costs the fabric and the hosts, with the
# agents' per-port subscription (this design) against a per-VM subscription
# baseline (each agent subscribes once per VM, ibvmigd --subscribe per-vm),
# for m = 1, 8 and 31 VMs per host (an ibsim port holds 31 aliases).
#
# Fabric: test-fabric/bench/hosts8.net, stock OpenSM with the plugin and eight
# live hypervisors h1-h8, each with its agent (ibsim's 10 slots: OpenSM, 8
# agents, one spare) and one ibvmig-vm process playing its m VMs, every VM's
# vGUID attached. VM "mig" (one of h1's m) migrates h1 -> h8 -> h1 ...: detach
# and vm remove at the source, vm add and attach (the Set) at the destination.
# On every host the first ceil(m/2) resident VMs hold a path to mig.
#
# Per migration: the Reports the SM sent (counted where they arrive: the sum
# of the agents' "reports"), the notices the plugin sent, the local forwards
# (the agents' "notices_forwarded"), and the time from the destination's Set
# (the agent's clock, in its attach answer) to the last interested VM's cache
# update (its event line for the RePath): median and p99 over the migrations.
# The last line printed is one JSON object.
#
# usage: host-bench.sh [MIGRATIONS]  (default 20 per configuration, per port at m = 31
#        HOST_BENCH_P99_MIGRATIONS (500) if more; needs
#        top_srcdir and top_builddir, as `make bench` sets them; HOST_BENCH_VMS="31" and
#        HOST_BENCH_MODES="per-port" run one configuration, as the >= 500-migration
#        figure of doc/benchmarks.md does)
set -u
R=${1:-${HOST_BENCH_MIGRATIONS:-20}}
# Benchmark 2 of doc/benchmarks.md (p99 over >= 500 migrations) is per port at m = 31: that
# configuration runs at least this many (about 25 s on an idle machine).
R_P99=${HOST_BENCH_P99_MIGRATIONS:-500}
VMS_PER_HOST=${HOST_BENCH_VMS:-1 8 31}
MODES=${HOST_BENCH_MODES:-per-port per-vm}
. "$top_srcdir/test-fabric/lib/host-lib.sh"
AGENT_CHECK_MS=5000		# the SM does not restart here: keep the SA checks rare
NET=$top_srcdir/test-fabric/bench/hosts8.net
HOSTS=(h1 h2 h3 h4 h5 h6 h7 h8)
X=0x0002c903b0000001		# mig's vGUID

# resident_vguid HOST_INDEX: the first vGUID of host i's residents (then +1, +2 ...).
resident_vguid() { printf '0x0002c903b0%02x0001' "$1"; }

# ready_count NAME: how many of process NAME's VMs the agent said hello to.
ready_count() { grep -c '"event":"ready"' "$FABRIC_DIR/$1.out" 2>/dev/null; }

# on_lid LID: interested VMs whose cache holds LID for mig.
on_lid() { cat "$FABRIC_DIR"/r*.state 2>/dev/null | grep -c "\"vguid\":\"$X\",\"dlid\":$1,"; }
all_on() { [ "$(on_lid "$1")" = "$INTERESTED" ]; }

# sum_stat NAME: a status number summed over the eight agents.
sum_stat() {
	local h n=0
	for h in "${HOSTS[@]}"; do n=$((n + $(agent_stat "$h" "$1"))); done
	echo "$n"
}

# residents I M: host I's resident VMs (M, or M-1 on h1 and h8, which share mig's alias
# slot), in one process, their vGUIDs attached at indices 1..n.
residents() {
	local i=$1 m=$2 n k base h=${HOSTS[$(($1 - 1))]}
	n=$m
	[ "$i" = 1 ] || [ "$i" = 8 ] && n=$((m - 1))
	[ "$n" -gt 0 ] || return 0
	base=$(resident_vguid "$i")
	vm_start "r$i" "$h" --count "$n" -g "$base" -p "$X" --interested $(((m + 1) / 2)) \
		--retry 200 || return 1
	wait_until 30 test "$(ready_count "r$i")" = "$n" || return 1
	for ((k = 1; k <= n; k++)); do
		hcli "$h" attach --vguid "$(printf '0x%016x' $((base + k - 1)))" --vm "r$i-$k" \
			--index "$k" >/dev/null || return 1
	done
	INTERESTED=$((INTERESTED + ((m + 1) / 2 < n ? (m + 1) / 2 : n)))
}

# setup MODE M: a fresh fabric, eight agents, the VMs, mig on h1.
setup() {
	local mode=$1 m=$2 i
	INTERESTED=0
	fabric_init "bench-host-$mode-$m" || return 1
	fabric_start "$NET" --plugin "$(plugin_conf log_level error)" >/dev/null 2>&1 || return 1
	for i in "${HOSTS[@]}"; do
		agent_start "$i" --subscribe "$mode" ${HOST_BENCH_AGENT_OPTS:-} || return 1
	done
	LID1=$(lid_of h1) LID8=$(lid_of h8)
	hcli h1 vm add mig --vguid "$X" >/dev/null &&
		hcli h1 attach --vguid "$X" --vm mig --index "$m" >/dev/null || return 1
	for i in 1 2 3 4 5 6 7 8; do
		residents "$i" "$m" || return 1
	done
	wait_until 60 all_on "$LID1"
}

# migrate_once SRC DST DST_LID M: mig moves; prints the Set's time, as the destination's
# agent took it (the attach answer's set_us: no ibvmig-host start in the figure).
migrate_once() {
	local out us
	hcli "$1" detach --vguid "$X" >/dev/null && hcli "$1" vm remove mig >/dev/null &&
		hcli "$2" vm add mig --vguid "$X" >/dev/null || return 1
	out=$(hcli "$2" -j attach --vguid "$X" --vm mig --index "$4") || return 1
	us=$(field "$out" set_us)
	[ -n "$us" ] && [ "$us" != 0 ] || return 1
	wait_until 60 all_on "$3" || return 1
	printf '%d.%06d\n' $((us / 1000000)) $((us % 1000000))
}

# latencies T0_FILE: per migration, ms from its Set to the last applied RePath after it.
latencies() {
	cat "$FABRIC_DIR"/r*.out | grep '"trap":69' | grep '"result":"applied"' |
		sed 's/^{"t":\([0-9.]*\),.*/\1 u/' | cat - <(sed 's/$/ s/' "$1") | sort -g |
		awk '$2 == "s" { if (t0) print (last - t0) * 1000; t0 = $1; last = $1; next }
		     { last = $1 } END { if (t0) print (last - t0) * 1000 }'
}

# quantile P: the nearest-rank P-quantile of the numbers on stdin.
quantile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p * NR); if (i < p * NR) i++; printf "%.1f", NR ? v[i] : -1 }'; }

# run MODE M: one configuration; prints its JSON object.
run() {
	local mode=$1 m=$2 r src dst lid t0s rep0 fwd0 ntc0 rep fwd ntc lat med p99 R=$R
	[ "$mode $m" = "per-port 31" ] && [ "$R_P99" -gt "$R" ] && R=$R_P99
	setup "$mode" "$m" || { echo "bench: set-up of $mode m=$m failed" >&2; return 1; }
	t0s=$FABRIC_DIR/t0
	rep0=$(sum_stat reports) fwd0=$(sum_stat notices_forwarded)
	ntc0=$(($(counter unpath_sent) + $(counter repath_sent)))
	for ((r = 1; r <= R; r++)); do
		if ((r % 2)); then src=h1 dst=h8 lid=$LID8; else src=h8 dst=h1 lid=$LID1; fi
		migrate_once "$src" "$dst" "$lid" "$m" >>"$t0s" ||
			{ echo "bench: migration $r of $mode m=$m failed" >&2; return 1; }
	done
	settle
	rep=$(($(sum_stat reports) - rep0)) fwd=$(($(sum_stat notices_forwarded) - fwd0))
	ntc=$(($(counter unpath_sent) + $(counter repath_sent) - ntc0))
	lat=$(latencies "$t0s")
	med=$(quantile 0.5 <<<"$lat") p99=$(quantile 0.99 <<<"$lat")
	echo "$mode m=$m: $INTERESTED interested VMs; per migration $(awk -v a="$rep" -v r="$R" 'BEGIN { print a / r }') Reports," \
		"$(awk -v a="$fwd" -v r="$R" 'BEGIN { print a / r }') forwards ($((ntc / R)) notices);" \
		"Set -> last cache update median $med ms, p99 $p99 ms" >&2
	printf '{"subscribe":"%s","vms_per_host":%d,"interested_vms":%d,"migrations":%d,' \
		"$mode" "$m" "$INTERESTED" "$R"
	printf '"notices_per_migration":%s,"reports_per_migration":%s,"forwards_per_migration":%s,' \
		"$(awk -v a="$ntc" -v r="$R" 'BEGIN { print a / r }')" \
		"$(awk -v a="$rep" -v r="$R" 'BEGIN { print a / r }')" \
		"$(awk -v a="$fwd" -v r="$R" 'BEGIN { print a / r }')"
	printf '"set_to_last_update_median_ms":%s,"set_to_last_update_p99_ms":%s}' "$med" "$p99"
	fabric_cleanup >/dev/null 2>&1
}

results=
for m in $VMS_PER_HOST; do
	for mode in $MODES; do
		one=$(run "$mode" "$m") || exit 1
		results="$results${results:+,}$one"
	done
done
printf '{"bench":"host_fanout","hosts":%d,"migrations_per_config":%d,"configs":[%s]}\n' \
	"${#HOSTS[@]}" "$R" "$results"

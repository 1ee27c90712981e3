#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the alias burst every fabric sees after an SM restart or a cluster boot.  A
# fabric of ibvmig-topogen (HOSTS hosts, 32 per leaf; plus the SM's HCA) comes up under stock
# OpenSM; then every host sets its own 31 alias GUIDs (`ibvmig-sa batch`, indexes 1-31, one
# client per host, WORKERS at a time: ibsim serves 10 clients, OpenSM is one).  Measured over
# the burst, from the first Set sent to the plugin's last save (or, without the plugin, the
# last host done): OpenSM's CPU time (user + system, /proc/PID/stat) and, with the plugin,
# the bytes its saves wrote into the state directory (`ibvmig stats` saved_bytes; the
# number of saves and compactions beside it), and what OpenSM wrote to storage in all
# (/proc/PID/io write_bytes: its log, its own cache files and the state directory).  RUNS
# runs with and RUNS without the plugin, alternating, each on a fabric of its own.  Then the
# tail: TAIL hosts delete one alias each, a few changes on the full table, and its bytes.
# ALIAS_BURST_OLD=DIR adds a third mode, "old": the plugin built in DIR (an osm-plugin/.libs
# of an earlier version, for comparison; it may not count saved_bytes).  The last line
# printed is one JSON object.
#
# usage: alias-burst.sh [HOSTS [RUNS [WORKERS]]]   (default 2048 2 8; needs top_srcdir,
#                                                 top_builddir)
set -u
. "$top_srcdir/osm-plugin/tests/plugin-lib.sh" || exit 1
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
HOSTS=${1:-2048}
RUNS=${2:-2}
WORKERS=${3:-8}
ALIASES=31
TAIL=16
: "${FABRIC_UP_TIMEOUT:=600}"
: "${FABRIC_RUN_TIMEOUT:=600}"
export FABRIC_UP_TIMEOUT FABRIC_RUN_TIMEOUT

# io_written PID: bytes PID caused to be written to storage so far.
io_written() {
	sed -n 's/^write_bytes: //p' "/proc/$1/io"
}

# stat_of NAME: one counter of `ibvmig stats` (the plugin's; 0 if it has none such).
stat_of() {
	local v
	v=$(counter "$1")
	echo "${v:-0}"
}

# batches LIST DIR: one batch file per host of LIST in DIR (31 Sets of vGUIDs its own).
batches() {
	local h=0 name i
	mkdir -p "$2" || return 1
	while read -r _ role name _; do
		[ "$role" = host ] || continue
		h=$((h + 1))
		for i in $(seq "$ALIASES"); do
			printf 'set 0x%04x%06x%06x %d\n' 0x0002 "$h" "$i" "$i"
		done >"$2/$name"
	done <"$1"
}

# host_burst NAME DIR: NAME sets its aliases.
host_burst() {
	fabric_run "$1" "$SA" batch <"$2/$1" >/dev/null 2>&1
}

# tails DIR TAILDIR: the first TAIL hosts of DIR delete their last alias.
tails() {
	local name
	mkdir -p "$2" || return 1
	for name in $(ls "$1" | head -n "$TAIL"); do
		tail -n 1 "$1/$name" | sed 's/^set /delete /' >"$2/$name"
	done
}

# burst DIR: every host of DIR, WORKERS at a time; non-zero if one failed.
burst() {
	local n=0 rc=0 name pids=()
	for name in $(ls "$1"); do
		host_burst "$name" "$1" &
		pids+=($!)
		n=$((n + 1))
		if [ "$n" -ge "$WORKERS" ]; then
			wait "${pids[0]}" || rc=1
			pids=("${pids[@]:1}")
			n=$((n - 1))
		fi
	done
	for name in "${pids[@]}"; do wait "$name" || rc=1; done
	return "$rc"
}

# one MODE RUN: prints one JSON object (MODE plugin or stock).
one() {
	local mode=$1 run=$2 base conf pid t0 c0 c1 wall rc=0 bytes=null saves=null comp=null
	local load live=null w0 w1 e0 e1 hook=null recs=null
	fabric_init "alias-burst-$mode-$run" || return 1
	base=$FABRIC_DIR/burst
	topogen_generate "$base" --hosts-per-leaf 32 --leaves $(((HOSTS + 31) / 32)) \
		--spines $((HOSTS >= 1024 ? 8 : 4)) || return 1
	batches "$base.list" "$FABRIC_DIR/batches" || return 1
	local -a plug=()
	if [ "$mode" != stock ]; then
		conf=$FABRIC_DIR/ibvmig.conf
		printf 'admin_socket %s\nstate_dir %s\n' "$FABRIC_DIR/admin.sock" \
			"$FABRIC_DIR/state" >"$conf"
		plug=(--plugin "$conf")
	fi
	local plugdir=$FABRIC_PLUGIN_DIR
	[ "$mode" = old ] && plugdir=$ALIAS_BURST_OLD
	FABRIC_PLUGIN_DIR=$plugdir topogen_start "$base.net" "${plug[@]}" 2>"$FABRIC_DIR/start.err" || {
		cat "$FABRIC_DIR/start.err" >&2
		return 1
	}
	pid=$(fabric_sm_pid)
	sleep 2		# the first sweeps' tail
	load=$(cut -d' ' -f1 /proc/loadavg)
	if [ "$mode" != stock ]; then
		b0=$(stat_of saved_bytes) s0=$(stat_of saves) k0=$(stat_of compactions)
		h0=$(stat_of hook_ns) r0=$(stat_of reconciles)
	fi
	c0=$(fabric_cpu_ticks "$pid")
	e0=$(fabric_thread_ticks "$pid" ibvmig-engine)
	w0=$(io_written "$pid")
	t0=$EPOCHREALTIME
	burst "$FABRIC_DIR/batches" || rc=1
	if [ "$mode" != stock ]; then
		wait_saved || rc=1
		bytes=$(($(stat_of saved_bytes) - b0))
		saves=$(($(stat_of saves) - s0))
		comp=$(($(stat_of compactions) - k0))
		live=$(admin_value status live_aliases)
		hook=$(($(stat_of hook_ns) - h0))
		recs=$(($(stat_of reconciles) - r0))
	fi
	c1=$(fabric_cpu_ticks "$pid")
	e1=$(fabric_thread_ticks "$pid" ibvmig-engine)
	w1=$(io_written "$pid")
	wall=$(printf '%.2f' "$(echo "$EPOCHREALTIME - $t0" | bc)")
	# The tail: a few changes on the full table.
	local tb=null tw
	tails "$FABRIC_DIR/batches" "$FABRIC_DIR/tails" || rc=1
	[ "$mode" != stock ] && b0=$(stat_of saved_bytes)
	burst "$FABRIC_DIR/tails" || rc=1
	if [ "$mode" != stock ]; then
		wait_saved || rc=1
		tb=$(($(stat_of saved_bytes) - b0))
	fi
	tw=$(($(io_written "$pid") - w1))
	fabric_cleanup || rc=1
	local cpu ecpu
	cpu=$(printf '%.2f' "$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)")
	ecpu=$(printf '%.2f' "$(echo "($e1 - $e0) / $(getconf CLK_TCK)" | bc -l)")
	echo "bench: $mode run $run: $HOSTS hosts x $ALIASES aliases in ${wall}s, OpenSM CPU" \
		"${cpu}s (engine thread ${ecpu}s), state bytes $bytes ($saves saves, $comp compactions), storage writes" \
		"$((w1 - w0)), plugin hook ${hook} ns, $recs reconciles, load $load; tail of $TAIL" \
		"deletes: state bytes $tb, storage writes $tw" >&2
	printf '{"mode":"%s","run":%d,"wall_s":%s,"opensm_cpu_s":%s,"engine_thread_cpu_s":%s,' \
		"$mode" "$run" "$wall" "$cpu" "$ecpu"
	printf '"state_bytes":%s,' "$bytes"
	printf '"saves":%s,"compactions":%s,"io_write_bytes":%d,"live_aliases":%s,"load1":%s,' \
		"$saves" "$comp" "$((w1 - w0))" "${live:-null}" "$load"
	printf '"hook_ns":%s,"reconciles":%s,"tail_changes":%d,"tail_state_bytes":%s,' "$hook" \
		"$recs" "$TAIL" "$tb"
	printf '"tail_io_write_bytes":%d,"ok":%s}\n' "$tw" "$([ "$rc" = 0 ] && echo true || echo false)"
	return "$rc"
}

json=
failed=0
for run in $(seq "$RUNS"); do
	for mode in plugin stock ${ALIAS_BURST_OLD:+old}; do
		obj=$(one "$mode" "$run") || failed=1
		[ -n "$obj" ] || obj="{\"mode\":\"$mode\",\"run\":$run,\"ok\":false}"
		json=${json:+$json,}$obj
	done
done
printf '{"benchmark":"alias-burst","date":"%s","cpus":%d,"hosts":%d,"aliases_per_host":%d,' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$HOSTS" "$ALIASES"
printf '"workers":%d,"runs":[%s]}\n' "$WORKERS" "$json"
exit "$failed"

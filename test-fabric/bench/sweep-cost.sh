#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the plugin's cost on the SM (the issue's benchmark 4). On a generated fabric
# (default plain500 and plain2000, test-fabric/topogen.sh's shapes), stock OpenSM without
# the plugin and stock OpenSM with it, each on a fabric of its own, both kept up through the
# run: every host's port gets A aliases (SWEEP_ALIASES, default 31: ibsim's alias table), set
# through the SA by the SM node's port as a management node would (ibvmig-sa batch "set G I
# LID"; the plugin's alias guard allows that port), one heavy sweep (SIGHUP) that is not
# counted, then SWEEP_ROUNDS rounds (default 1) of K heavy sweeps (SWEEP_COUNT, default 5)
# per mode, alternating: stock, plugin, stock, plugin... so that the machine's drift (other
# work on it) falls on both modes alike. Each fabric runs in a subshell of its own that
# sweeps when the main shell asks (a FIFO each way).
#
# Per sweep, from the SIGHUP:
# - wall time: to the SUBNET UP line's own time stamp in OpenSM's log (microseconds; the
#   harness's 50 ms polling is not in it). Under ibsim it varies 2-3x between sweeps;
# - OpenSM's CPU time (user + system of all its threads, /proc/PID/stat) to SUBNET UP plus
#   SWEEP_SETTLE seconds (default 0.5), so that the plugin's reconcile after the sweep counts;
# - with the plugin, the CPU time of its engine thread ("ibvmig-engine") over the same span.
# CPU time is counted in clock ticks (10 ms): one sweep's engine time is coarse, its totals
# and averages over all sweeps are the figures. With the plugin, its stats show the
# reconciles the sweeps asked for (each one lists every alias under OpenSM's lock).
# Figures per mode: wall median and range, OpenSM CPU median and mean per sweep, the engine
# thread's CPU total and its share of OpenSM's CPU per sweep (average and maximum); the
# plugin's overhead in per cent of stock, by wall median, CPU median and CPU mean; and per
# round, each mode's wall median and CPU mean (drift between rounds against the difference
# between the modes). The last line printed is one JSON object.
#
# usage: sweep-cost.sh [FABRIC...]  (needs top_srcdir, top_builddir)
set -u
. "$top_srcdir/test-fabric/lib/plugin-lib.sh" || exit 1
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
A=${SWEEP_ALIASES:-31}
K=${SWEEP_COUNT:-5}
R=${SWEEP_ROUNDS:-1}
SETTLE=${SWEEP_SETTLE:-0.5}
ENGINE=ibvmig-engine
HZ=$(getconf CLK_TCK)
: "${FABRIC_UP_TIMEOUT:=300}"
: "${FABRIC_RUN_TIMEOUT:=900}"
export FABRIC_UP_TIMEOUT FABRIC_RUN_TIMEOUT
keep=$(mktemp -d "${TMPDIR:-/tmp}/sweep-cost.XXXXXX") || exit 1
# The mode subshells and their fabrics end when their command FIFOs close (when one() ends).
trap 'rm -rf "$keep"' EXIT

# log_secs LINE: the time of an OpenSM log line ("Dec 02 06:26:50 960981 [...] ...") in
# seconds since the epoch, to the microsecond (OpenSM writes local time without a year).
log_secs() {
	local mon day hms us
	read -r mon day hms us _ <<<"$1"
	printf '%s.%06d' "$(date -d "$mon $day $hms" +%s)" "$((10#$us))"
}

# alias_lines LIST: "set G I LID" for every host of the table, A aliases each, the LIDs
# from OpenSM's guid2lid file (GUID LID LID, hexadecimal).
alias_lines() {
	awk -v a="$A" 'function hex(s,   i, v) {
			v = 0
			s = tolower(s)
			sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		FNR == NR { lid[$1] = hex($2); next }
		$1 == "node" && $2 == "host" && ($5 in lid) {
			h++
			for (i = 1; i <= a; i++)
				printf "set 0x0002c9ee%06x%02x %d %d\n", h, i, i, lid[$5]
		}' "$FABRIC_DIR/cache/guid2lid" "$1"
}

# sweep_once PID: one SIGHUP and its heavy sweep of OpenSM PID; prints "WALL_S CPU ENGINE",
# the CPU figures in clock ticks.
sweep_once() {
	local pid=$1 t0 c0 e0 c1 e1 line
	fabric_sm_mark
	c0=$(fabric_cpu_ticks "$pid") || return 1
	e0=$(fabric_thread_ticks "$pid" "$ENGINE")
	t0=$EPOCHREALTIME
	fabric_sm_signal HUP && fabric_sm_wait_up >/dev/null || return 1
	sleep "$SETTLE"
	c1=$(fabric_cpu_ticks "$pid") || return 1
	e1=$(fabric_thread_ticks "$pid" "$ENGINE")
	line=$(grep -a 'SUBNET UP' "$(fabric_sm_log)" | tail -n 1)
	printf '%s %d %d\n' "$(echo "$(log_secs "$line") - $t0" | bc | sed 's/^\./0./')" \
		$((c1 - c0)) $((e1 - e0))
}

# mode_up NAME MODE: the fabric NAME up with MODE (stock or plugin), aliases set, the first
# sweep after the Sets done (not counted). Writes the Sets' counts to $keep/MODE.sets.
mode_up() {
	local name=$1 mode=$2 base conf sm_guid set ok t
	local -a args start=()
	read -ra args <<<"$(topogen_shape "$name")" || return 1
	fabric_init "sweep-$name-$mode" || return 1
	base=$FABRIC_DIR/$name
	topogen_generate "$base" "${args[@]}" || return 1
	sm_guid=$(awk '$1 == "node" && $2 == "sm" { print $5 }' "$base.list")
	if [ "$mode" = plugin ]; then
		conf=$(plugin_conf log_level error alias_guard_allow "$sm_guid") || return 1
		start=(--plugin "$conf")
	fi
	t=$EPOCHREALTIME
	topogen_start "$base.net" "${start[@]}" >/dev/null 2>"$FABRIC_DIR/start.err" || {
		cat "$FABRIC_DIR/start.err" >&2
		return 1
	}
	echo "bench: $name $mode: up in $(echo "$EPOCHREALTIME - $t" | bc) s" >&2
	alias_lines "$base.list" >"$FABRIC_DIR/aliases"
	set=$(wc -l <"$FABRIC_DIR/aliases")
	t=$EPOCHREALTIME
	fabric_run sm "$SA" batch <"$FABRIC_DIR/aliases" >"$FABRIC_DIR/batch.out" 2>&1
	ok=$(grep -c ' rc=0 ' "$FABRIC_DIR/batch.out")
	echo "bench: $name $mode: $ok of $set alias Sets done in $(echo "$EPOCHREALTIME - $t" |
		bc) s" >&2
	echo "$ok $set" >"$keep/$mode.sets"
	sweep_once "$(fabric_sm_pid)" >/dev/null
}

# mode_server NAME MODE: in a subshell of its own (fabric_init's owner), the fabric of MODE up,
# then one line on $keep/MODE.res for each command read on $keep/MODE.cmd: "sweep" does K
# sweeps, appending their lines to $keep/MODE.sweeps, and answers "ok"; "stats" writes the
# plugin's counters to $keep/MODE.stats and answers "ok"; anything else or EOF ends it. Any
# failure answers "fail" and ends it. The fabric is cleaned up on the way out.
mode_server() {
	local name=$1 mode=$2 c i pid
	# The other mode's FIFOs are not ours to hold open: its end would never see EOF.
	[ -n "$cmd_stock" ] && exec {cmd_stock}>&- {res_stock}<&-
	exec 3<"$keep/$mode.cmd" 4>"$keep/$mode.res"
	# Nor are ours the fabric's (ibsim, OpenSM, the watchdog live on after a failure).
	if ! mode_up "$name" "$mode" 3<&- 4>&-; then
		echo fail >&4
		fabric_cleanup >/dev/null 2>&1
		return 1
	fi
	echo ok >&4
	pid=$(fabric_sm_pid)
	while read -r c <&3; do
		case $c in
		sweep)
			for ((i = 0; i < K; i++)); do
				sweep_once "$pid" >>"$keep/$mode.sweeps" || break
			done
			if [ "$i" != "$K" ]; then
				echo fail >&4
				break
			fi
			echo ok >&4
			;;
		stats)
			printf '%s %s\n' "$(counter reconciles)" \
				"$(admin_value status live_aliases)" >"$keep/$mode.stats"
			echo ok >&4
			;;
		*) break ;;
		esac
	done
	fabric_cleanup >/dev/null 2>&1
}

# ask MODE COMMAND: sends COMMAND to MODE's subshell; true if it answers "ok".
ask() {
	local c r a
	eval "c=\$cmd_$1 r=\$res_$1"
	# A subshell gone: EPIPE, not a SIGPIPE that would end this shell.
	(trap '' PIPE; echo "$2" >&"$c") 2>/dev/null || return 1
	read -r a <&"$r" || return 1
	[ "$a" = ok ]
}

# start_server NAME MODE: MODE's subshell started, its FIFOs opened, and it up; true if so.
start_server() {
	local name=$1 mode=$2 a
	rm -f "$keep/$mode".*
	mkfifo "$keep/$mode.cmd" "$keep/$mode.res" || return 1
	mode_server "$name" "$mode" </dev/null >/dev/null &
	servers+=("$!")
	case $mode in
	stock) exec {cmd_stock}>"$keep/$mode.cmd" {res_stock}<"$keep/$mode.res" ;;
	plugin) exec {cmd_plugin}>"$keep/$mode.cmd" {res_plugin}<"$keep/$mode.res" ;;
	esac
	eval "read -r a <&\$res_$mode" || return 1
	[ "$a" = ok ]
}

# stop_servers: both subshells told to end (EOF on their command FIFO), and waited for.
stop_servers() {
	local p
	[ -n "$cmd_stock" ] && exec {cmd_stock}>&-
	[ -n "$cmd_plugin" ] && exec {cmd_plugin}>&-
	[ -n "$res_stock" ] && exec {res_stock}<&-
	[ -n "$res_plugin" ] && exec {res_plugin}<&-
	cmd_stock='' cmd_plugin='' res_stock='' res_plugin=''
	for p in "${servers[@]}"; do wait "$p" 2>/dev/null; done
	servers=()
}

# mode_json MODE: the figures of MODE's sweeps ($keep/MODE.sweeps: "WALL CPU ENGINE" ticks),
# as '"MODE":{...}'; its human line on stderr.
mode_json() {
	local mode=$1 ok set recs live
	read -r ok set <"$keep/$mode.sets"
	awk -v mode="$mode" -v hz="$HZ" -v ok="$ok" -v set="$set" -v name="$NAME" -v k="$K" '
		function med(a, n,   b, i, j, t) {
			for (i = 1; i <= n; i++) b[i] = a[i]
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && b[j - 1] > b[j]; j--) {
					t = b[j]; b[j] = b[j - 1]; b[j - 1] = t
				}
			return b[int((n + 1) / 2)]
		}
		{
			n++; w[n] = $1; c[n] = $2 / hz; e[n] = $3 / hz
			r = int((n - 1) / k) + 1; rn[r]++; rw[r, rn[r]] = $1; rc[r] += $2
			cs += $2; es += $3
			if (n == 1 || $1 < wmin) wmin = $1
			if (n == 1 || $1 > wmax) wmax = $1
			if ($2 > 0) {
				sh = $3 / $2; shs += sh; shn++
				if (sh > shmax) shmax = sh
			}
			ws = ws (n > 1 ? "," : "") $1
			css = css (n > 1 ? "," : "") sprintf("%.2f", $2 / hz)
			ess = ess (n > 1 ? "," : "") sprintf("%.2f", $3 / hz)
		}
		END {
			if (n == 0) exit 1
			# Per round: the wall median and the CPU mean, to tell drift from the modes.
			for (i = 1; i in rn; i++) {
				for (j = 1; j <= rn[i]; j++) t[j] = rw[i, j]
				rws = rws (i > 1 ? "," : "") sprintf("%.6f", med(t, rn[i]))
				rcs = rcs (i > 1 ? "," : "") sprintf("%.4f", rc[i] / hz / rn[i])
			}
			shavg = shn ? shs / shn * 100 : 0
			printf "bench: %s %s: %d sweeps, wall median %.3f s [%.3f-%.3f], " \
				"OpenSM CPU median %.2f s, mean %.3f s (total %.2f s)", name, mode, n,
				med(w, n), wmin, wmax, med(c, n), cs / hz / n, cs / hz > "/dev/stderr"
			if (mode == "plugin")
				printf "; engine thread CPU total %.2f s, %.3f s per sweep, share of " \
					"OpenSM CPU per sweep avg %.1f %%, max %.1f %%", es / hz,
					es / hz / n, shavg, shmax * 100 > "/dev/stderr"
			printf "\nbench: %s %s: per round, wall median [%s] s, OpenSM CPU mean [%s] s\n",
				name, mode, rws, rcs > "/dev/stderr"
			printf "\"%s\":{\"aliases_set\":%d,\"aliases_asked\":%d,\"sweeps\":%d," \
				"\"wall_s\":[%s],\"wall_median_s\":%.6f,\"wall_min_s\":%.6f," \
				"\"wall_max_s\":%.6f,\"cpu_s\":[%s],\"cpu_median_s\":%.2f," \
				"\"cpu_mean_s\":%.4f,\"cpu_total_s\":%.2f,\"round_wall_median_s\":[%s]," \
				"\"round_cpu_mean_s\":[%s]", mode, ok, set, n, ws, med(w, n), wmin, wmax,
				css, med(c, n), cs / hz / n, cs / hz, rws, rcs
			if (mode == "plugin")
				printf ",\"engine_cpu_s\":[%s],\"engine_cpu_total_s\":%.2f," \
					"\"engine_cpu_mean_s\":%.4f,\"engine_share_avg_pct\":%.1f," \
					"\"engine_share_max_pct\":%.1f", ess, es / hz, es / hz / n,
					shavg, shmax * 100
		}' "$keep/$mode.sweeps" || return 1
	if [ "$mode" = plugin ]; then
		read -r recs live <"$keep/$mode.stats"
		printf ',"reconciles":%s,"live_aliases":%s' "${recs:-null}" "${live:-null}"
	fi
	printf '}'
}

# field JSON KEY: one number of a mode's object.
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }
# pct P S: (P - S) / S in per cent.
pct() { awk -v p="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? (p - s) * 100 / s : 0) }'; }

# one NAME: both modes on fabric NAME, R alternating rounds; prints one JSON object.
one() {
	local r m stock plugin ow oc om
	NAME=$1
	cmd_stock='' cmd_plugin='' res_stock='' res_plugin='' servers=()
	if ! start_server "$NAME" stock || ! start_server "$NAME" plugin; then
		stop_servers
		return 1
	fi
	for ((r = 1; r <= R; r++)); do
		for m in stock plugin; do
			ask "$m" sweep && continue
			echo "bench: $NAME $m: round $r failed" >&2
			stop_servers
			return 1
		done
		echo "bench: $NAME: round $r of $R done" >&2
	done
	ask plugin stats || echo "bench: $NAME: no plugin stats" >&2
	stop_servers
	stock=$(mode_json stock) && plugin=$(mode_json plugin) || return 1
	ow=$(pct "$(field "$plugin" wall_median_s)" "$(field "$stock" wall_median_s)")
	oc=$(pct "$(field "$plugin" cpu_median_s)" "$(field "$stock" cpu_median_s)")
	om=$(pct "$(field "$plugin" cpu_mean_s)" "$(field "$stock" cpu_mean_s)")
	echo "bench: $NAME: the plugin's overhead: wall median ${ow} %, OpenSM CPU median ${oc} %," \
		"CPU mean ${om} %" >&2
	printf '{"name":"%s","aliases_per_host":%d,"rounds":%d,%s,%s,"overhead_pct":%s,' \
		"$NAME" "$A" "$R" "$stock" "$plugin" "$ow"
	printf '"cpu_median_overhead_pct":%s,"cpu_mean_overhead_pct":%s}' "$oc" "$om"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(plain500 plain2000)
json=
failed=0
for n in "${names[@]}"; do
	obj=$(one "$n") || { failed=1; obj="{\"name\":\"$n\",\"ok\":false}"; }
	json=${json:+$json,}$obj
done
printf '{"benchmark":"sweep-cost","date":"%s","cpus":%d,"sweeps":%d,"rounds":%d,' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$K" "$R"
printf '"settle_s":%s,"fabrics":[%s]}\n' "$SETTLE" "$json"
exit "$failed"

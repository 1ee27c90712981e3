#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the plugin's cost on the SM (the issue's benchmark 4). On a generated fabric
# (default plain500 and plain2000, test-fabric/topogen.sh's shapes), stock OpenSM without
# the plugin, then with it, in one run: every host's port gets A aliases (SWEEP_ALIASES,
# default 31: ibsim's alias table), set through the SA by the SM node's port as a
# management node would (ibvmig-sa batch "set G I LID"; the plugin's alias guard allows
# that port), then K heavy sweeps (SWEEP_COUNT, default 5) are asked with SIGHUP. A sweep's
# time is from the signal to the SUBNET UP line's own time stamp in OpenSM's log
# (microseconds; the harness's 50 ms polling is not in it). With the plugin, its stats show
# the reconciles the sweeps asked for (each one lists every alias under OpenSM's lock).
# Figures: each mode's sweep times and medians, and the plugin's overhead in per cent of
# the stock median. The last line printed is one JSON object.
#
# usage: sweep-cost.sh [FABRIC...]  (needs top_srcdir, top_builddir)
set -u
. "$top_srcdir/test-fabric/lib/plugin-lib.sh" || exit 1
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
A=${SWEEP_ALIASES:-31}
K=${SWEEP_COUNT:-5}
: "${FABRIC_UP_TIMEOUT:=300}"
: "${FABRIC_RUN_TIMEOUT:=900}"
export FABRIC_UP_TIMEOUT FABRIC_RUN_TIMEOUT

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

# sweep_once: one SIGHUP and its heavy sweep; prints its time in seconds.
sweep_once() {
	local t0 line
	fabric_sm_mark
	t0=$EPOCHREALTIME
	fabric_sm_signal HUP && fabric_sm_wait_up >/dev/null || return 1
	line=$(grep -a 'SUBNET UP' "$(fabric_sm_log)" | tail -n 1)
	echo "$(log_secs "$line") - $t0" | bc | sed 's/^\./0./'
}

# median V...: the middle value (the lower of the two middle ones).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one_mode NAME MODE: the fabric NAME up with MODE (stock or plugin), aliases set, K sweeps;
# prints '"MODE":{...}'.
one_mode() {
	local name=$1 mode=$2 base conf sm_guid set ok t times=() i
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
	topogen_start "$base.net" "${start[@]}" >/dev/null 2>"$FABRIC_DIR/start.err" || {
		cat "$FABRIC_DIR/start.err" >&2
		return 1
	}
	alias_lines "$base.list" >"$FABRIC_DIR/aliases"
	set=$(wc -l <"$FABRIC_DIR/aliases")
	t=$EPOCHREALTIME
	fabric_run sm "$SA" batch <"$FABRIC_DIR/aliases" >"$FABRIC_DIR/batch.out" 2>&1
	ok=$(grep -c ' rc=0 ' "$FABRIC_DIR/batch.out")
	echo "bench: $name $mode: $ok of $set alias Sets done in $(echo "$EPOCHREALTIME - $t" |
		bc) s" >&2
	sweep_once >/dev/null || return 1	# the first after the Sets: not counted
	for ((i = 0; i < K; i++)); do
		t=$(sweep_once) || return 1
		times+=("$t")
	done
	printf '"%s":{"aliases_set":%d,"aliases_asked":%d,"sweeps_s":[%s],"median_s":%s' \
		"$mode" "$ok" "$set" "$(IFS=,; echo "${times[*]}")" "$(median "${times[@]}")"
	[ "$mode" = plugin ] && printf ',"reconciles":%s,"live_aliases":%s' \
		"$(counter reconciles)" "$(admin_value status live_aliases)"
	printf '}'
	fabric_cleanup >/dev/null 2>&1
}

# one NAME: both modes on fabric NAME, side by side; prints one JSON object.
one() {
	local name=$1 stock plugin s p
	stock=$(one_mode "$name" stock) || { fabric_cleanup >/dev/null 2>&1; return 1; }
	plugin=$(one_mode "$name" plugin) || { fabric_cleanup >/dev/null 2>&1; return 1; }
	s=$(sed -n 's/.*"median_s":\([0-9.]*\).*/\1/p' <<<"$stock")
	p=$(sed -n 's/.*"median_s":\([0-9.]*\).*/\1/p' <<<"$plugin")
	echo "bench: $name: heavy sweep median ${s}s stock, ${p}s with the plugin" >&2
	printf '{"name":"%s","aliases_per_host":%d,%s,%s,"overhead_pct":%s}' "$name" "$A" \
		"$stock" "$plugin" "$(echo "scale=1; ($p - $s) * 100 / $s" | bc)"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(plain500 plain2000)
json=
failed=0
for n in "${names[@]}"; do
	obj=$(one "$n") || { failed=1; obj="{\"name\":\"$n\",\"ok\":false}"; }
	json=${json:+$json,}$obj
done
printf '{"benchmark":"sweep-cost","date":"%s","cpus":%d,"sweeps":%d,"fabrics":[%s]}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$K" "$json"
exit "$failed"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the escrow's fast LID move (doc/fast-move.md) on ibvmig-topogen's 2-level fat
# trees, dedicated ports (plain500, plain2000: one HCA per host) and vSwitch hypervisors
# (vsw500, vsw2000: a PF and 4 VFs each), one fabric at a time. For each:
# - MOVES moves of one LID L along a chain of ports spread over the leaves: the holder
#   releases (its port gets a fresh LID), the next port claims. From the plugin's log line of
#   each fast move: LFT blocks sent, the minimum (the (switch, block) pairs whose contents
#   differ between OpenSM's stored tables before and after), the LFT Sets OpenSM saw
#   acknowledged (LFT_CHANGE events), and the time from the CLAIM's arrival to L live (the
#   PortInfo Set and every changed block acknowledged): median and p99.
# - For the first move, the minimum counted again from the switches themselves: every
#   switch's LFT read with ibroute before the release, after it and after the claim.
# - Forced heavy sweeps (HUP) before and after the moves: their time (HEAVY_SWEEP_START to
#   SUBNET_UP, from the plugin) and their LFT blocks; the first after the moves is the one
#   the issue asks about.
# - SAFE moves with escrow_fast_move FALSE (OpenSM restarted): the heavy sweep per move, its
#   LFT blocks and the CLAIM's time to live.
# The last line printed is one JSON object.
#
# usage: escrow-fast.sh [FABRIC...]  (default: plain500 vsw500 plain2000 vsw2000)
#        MOVES (default 50), SAFE (default 5), DUMP=0 skips the ibroute count (skipped
#        anyway beyond 200 switches),
#        OSM_OPT="key value" adds a line to opensm.conf (e.g. "max_wire_smps 32").
set -u
. "$top_srcdir/osm-plugin/tests/plugin-lib.sh" || exit 1
. "$top_srcdir/osm-plugin/tests/escrow-lib.sh" || exit 1
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
: "${FABRIC_UP_TIMEOUT:=300}"
: "${FABRIC_RUN_TIMEOUT:=600}"
: "${MOVES:=50}" "${SAFE:=5}" "${DUMP:=1}" "${OSM_OPT:=}"
export FABRIC_UP_TIMEOUT FABRIC_RUN_TIMEOUT

bmsg() { echo "bench: $*" >&2; }

# stats: "median p99 max" of the numbers on stdin (nearest rank).
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "null null null"; exit }
		m = v[int((NR + 1) / 2)]; r = int(NR * 0.99 + 0.999); if (r > NR) r = NR
		print m, v[r], v[NR] }'
}

# sum_eq FILE A B: 1 if columns A and B are equal on every line of FILE, else 0.
all_eq() { awk -v a="$2" -v b="$3" '$a != $b { bad = 1 } END { print bad ? 0 : 1 }' "$1"; }

# field LINE NAME: NAME=value in LINE.
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }

# forced_sweep: a HUP and its SUBNET UP; prints "sweep_us lft_acked" from the plugin's line.
forced_sweep() {
	local n
	n=$(sm_log_count 'escrow: heavy sweep: ')
	heavy_sweep || return 1
	fabric_wait_for "$(fabric_sm_log)" "escrow: heavy sweep: " 10 || return 1
	local i
	for i in $(seq 50); do
		[ "$(sm_log_count 'escrow: heavy sweep: ')" -gt "$n" ] && break
		sleep 0.1
	done
	grep -a 'escrow: heavy sweep: ' "$(fabric_sm_log)" | tail -n 1 |
		sed -n 's/.*sweep_us=\([0-9]*\) lft_acked=\([0-9]*\) smps=\([0-9]*\).*/\1 \2 \3/p'
}

# switches LIST: the switches' node GUIDs of a --list table.
switches() { awk '$1 == "node" && $2 ~ /^(vsw|leaf|spine)$/ { print $4 }' "$1"; }

# chain LIST N: N+1 end ports (hosts or VFs) spread over the fabric, one a line.
chain() {
	local kind=host
	grep -q '^node vf ' "$1" && kind=vf
	awk -v k="$kind" '$1 == "node" && $2 == k { print $3 }' "$1" >"$FABRIC_DIR/ends"
	awk -v n="$2" '{ e[NR] = $1 } END {
		step = int(NR / (n + 1)); if (step < 1) step = 1
		for (i = 0; i <= n; i++) print e[(i * step + i) % NR + 1] }' "$FABRIC_DIR/ends"
}

# one_move FROM TO: L (held by FROM) released and claimed by TO, waited live.  Prints nothing.
one_move() {
	local out token i
	out=$(esc "$1" escrow-release) || return 1
	token=$(ans_field "$out" token)
	[ "$(ans_field "$out" status)" = ok ] || { bmsg "release by $1: $out"; return 1; }
	# The release's own move live first, so that the claim is timed alone.
	for i in $(seq 100); do
		[ "$(sm_log_count "escrow [0-9]+: LID $L held;")" -gt "$held" ] && break
		sleep 0.05
	done
	held=$((held + 1))
	out=$(esc "$2" escrow-claim --token "$token")
	[ "$(ans_field "$out" status)" = ok ] || { bmsg "claim by $2: $out"; return 1; }
	out=$(esc "$2" escrow-query --token "$token" --until live)
	[ "$(ans_field "$out" state)" = live ] || { bmsg "not live at $2: $out"; return 1; }
}

one() {
	local name=$1 base hcas nsw conf log rc=0 i from to L held=0
	local pre_us=null pre_lft=null post_us=null post_lft=null post2_us=null post2_lft=null
	local pre_smps=null post_smps=null post2_smps=null
	local -a args ends sws
	read -ra args <<<"$(topogen_shape "$name")" || { bmsg "no fabric $name"; return 1; }
	fabric_init "escrow-fast-$name" || return 1
	base=$FABRIC_DIR/$name
	topogen_generate "$base" "${args[@]}" || return 1
	hcas=$(grep -cE '^node (sm|host|pf|vf) ' "$base.list")
	mapfile -t sws < <(switches "$base.list")
	nsw=${#sws[@]}
	# Reading hundreds of switches' LFTs twice takes minutes under umad2sim: 200 at most.
	local dump=$DUMP
	[ "$nsw" -le 200 ] || dump=0
	conf=$(plugin_conf escrow TRUE escrow_ttl 3600)
	local -a osm=()
	[ -z "$OSM_OPT" ] || osm=(--osm-opt "$OSM_OPT")
	topogen_start "$base.net" --plugin "$conf" "${osm[@]}" 2>"$FABRIC_DIR/start.err" || {
		cat "$FABRIC_DIR/start.err" >&2; return 1; }
	escrow_wait_bound >&2 || return 1
	fabric_wait_for "$(fabric_sm_log)" "escrow: heavy sweep: " 60 >&2 || return 1
	log=$(fabric_sm_log)
	read -r pre_us pre_lft pre_smps <<<"$(forced_sweep)"
	bmsg "$name: $hcas HCAs, $nsw switches; forced heavy sweep ${pre_us}us, $pre_lft LFT blocks"
	mapfile -t ends < <(chain "$base.list" "$MOVES")
	from=${ends[0]}
	L=$(own_lid "$from")
	# The first move with the switches' own tables read around it.
	if [ "$dump" = 1 ]; then
		lft_dumps "$from" "$FABRIC_DIR/d0" "${sws[@]}"
	fi
	for i in $(seq 1 "$MOVES"); do
		to=${ends[$i]}
		one_move "$from" "$to" || { rc=1; break; }
		if [ "$dump" = 1 ] && [ "$i" = 1 ]; then
			lft_dumps "$to" "$FABRIC_DIR/d2" "${sws[@]}"
		fi
		from=$to
	done
	# Each move: a release line (LID F, the fresh one) then a claim line (LID L).
	grep -a "escrow: fast move of LID $L live:" "$log" |
		sed -n 's/.* lft_blocks=\([0-9]*\) minimum=\([0-9]*\) lft_acked=\([0-9]*\) .*rx_to_live_us=\([0-9]*\).*/\1 \2 \3 \4/p' \
		>"$FABRIC_DIR/claims"
	grep -a "escrow: fast move of LID [0-9]* live:" "$log" | grep -av "of LID $L live:" |
		sed -n 's/.* lft_blocks=\([0-9]*\) minimum=\([0-9]*\) lft_acked=\([0-9]*\) .*rx_to_live_us=\([0-9]*\).*/\1 \2 \3 \4/p' \
		>"$FABRIC_DIR/releases"
	local nclaims nrel dump_min=null fallbacks
	nclaims=$(wc -l <"$FABRIC_DIR/claims")
	nrel=$(wc -l <"$FABRIC_DIR/releases")
	fallbacks=$(grep -ac 'ERR DF0' "$log" || :)
	if [ "$dump" = 1 ] && [ -d "$FABRIC_DIR/d2" ]; then
		dump_min=$(changed_blocks "$FABRIC_DIR/d0" "$FABRIC_DIR/d2")
	fi
	read -r post_us post_lft post_smps <<<"$(forced_sweep)"
	read -r post2_us post2_lft post2_smps <<<"$(forced_sweep)"
	bmsg "$name: $nclaims fast claims, $nrel fast releases, $fallbacks fallbacks; first move's" \
		"blocks from ibroute $dump_min; heavy sweeps after: ${post_us}us $post_lft blocks," \
		"${post2_us}us $post2_lft blocks"
	local c_med c_p99 c_max r_med r_p99 r_max cb rb
	read -r c_med c_p99 c_max <<<"$(awk '{ print $4 }' "$FABRIC_DIR/claims" | stats)"
	read -r r_med r_p99 r_max <<<"$(awk '{ print $4 }' "$FABRIC_DIR/releases" | stats)"
	cb=$(awk '{ print $1 }' "$FABRIC_DIR/claims" | stats)
	rb=$(awk '{ print $1 }' "$FABRIC_DIR/releases" | stats)
	# The safe path beside it: OpenSM restarted with escrow_fast_move FALSE.
	local safe_json='[]' s
	if [ "$SAFE" -gt 0 ] && [ "$rc" = 0 ]; then
		echo "escrow_fast_move FALSE" >>"$conf"
		fabric_sm_stop >&2 && fabric_sm_start >&2 && fabric_sm_wait_up >&2 &&
			escrow_wait_bound >&2 || rc=1
		log=$(fabric_sm_log)
		fabric_wait_for "$log" "escrow: heavy sweep: " 60 >&2 || rc=1
		held=0
		for i in $(seq 1 "$SAFE"); do
			[ "$rc" = 0 ] || break
			to=${ends[$((MOVES - i))]}
			one_move "$from" "$to" || { rc=1; break; }
			from=$to
		done
		grep -aE "live: port .* has LID $L[,;].*rx_to_live_us=" "$log" |
			sed -n 's/.*rx_to_live_us=\([0-9]*\).*/\1/p' >"$FABRIC_DIR/safe"
		grep -a "escrow: heavy sweep: " "$log" | tail -n +2 |
			sed -n 's/.*sweep_us=\([0-9]*\) lft_acked=\([0-9]*\) smps=\([0-9]*\).*/\1 \2 \3/p' \
			>"$FABRIC_DIR/safe-sweeps"
		s=$(stats <"$FABRIC_DIR/safe")
		safe_json=$(printf '{"moves":%d,"claim_to_live_us":{"median":%s,"max":%s},' \
			"$(wc -l <"$FABRIC_DIR/safe")" "$(cut -d' ' -f1 <<<"$s")" "$(cut -d' ' -f3 <<<"$s")")
		safe_json+=$(printf '"sweeps":%d,"sweep_us_median":%s,"sweep_smps_median":%s,' \
			"$(wc -l <"$FABRIC_DIR/safe-sweeps")" \
			"$(awk '{ print $1 }' "$FABRIC_DIR/safe-sweeps" | stats | cut -d' ' -f1)" \
			"$(awk '{ print $3 }' "$FABRIC_DIR/safe-sweeps" | stats | cut -d' ' -f1)")
		safe_json+=$(printf '"sweep_lft_blocks":{"median":%s,"max":%s}}' \
			"$(awk '{ print $2 }' "$FABRIC_DIR/safe-sweeps" | stats | cut -d' ' -f1)" \
			"$(awk '{ print $2 }' "$FABRIC_DIR/safe-sweeps" | stats | cut -d' ' -f3)")
	fi
	local c_eq c_ack r_eq
	c_eq=$(all_eq "$FABRIC_DIR/claims" 1 2)
	c_ack=$(all_eq "$FABRIC_DIR/claims" 1 3)
	r_eq=$(all_eq "$FABRIC_DIR/releases" 1 2)
	# The plugin's lines, for doc/benchmarks.md (the fabric's directory goes with it).
	cat "$FABRIC_DIR"/opensm.log* 2>/dev/null | grep -a 'ibvmig: escrow' \
		>"${top_builddir}/escrow-fast-$name.log" || :
	fabric_cleanup || rc=1
	printf '{"name":"%s","hcas":%d,"switches":%d,"moves":%d,' "$name" "$hcas" "$nsw" "$MOVES"
	printf '"claim":{"fast":%d,"lft_blocks":{"median":%s,"max":%s},"sent_eq_minimum":%s,' \
		"$nclaims" "$(cut -d' ' -f1 <<<"$cb")" "$(cut -d' ' -f3 <<<"$cb")" \
		"$c_eq"
	printf '"acked_eq_sent":%s,"rx_to_live_us":{"median":%s,"p99":%s,"max":%s}},' \
		"$c_ack" "$c_med" "$c_p99" "$c_max"
	printf '"release":{"fast":%d,"lft_blocks":{"median":%s,"max":%s},"sent_eq_minimum":%s,' \
		"$nrel" "$(cut -d' ' -f1 <<<"$rb")" "$(cut -d' ' -f3 <<<"$rb")" \
		"$r_eq"
	printf '"rx_to_live_us":{"median":%s,"p99":%s,"max":%s}},' "$r_med" "$r_p99" "$r_max"
	printf '"first_move_blocks_from_ibroute":%s,"fallbacks":%d,' "$dump_min" "$fallbacks"
	printf '"forced_heavy_sweep":{"before_us":%s,"before_lft_blocks":%s,"before_smps":%s,' \
		"$pre_us" "$pre_lft" "$pre_smps"
	printf '"after_moves_us":%s,"after_moves_lft_blocks":%s,"after_moves_smps":%s,' \
		"$post_us" "$post_lft" "$post_smps"
	printf '"second_after_us":%s,"second_after_lft_blocks":%s,"second_after_smps":%s},' \
		"$post2_us" "$post2_lft" "$post2_smps"
	printf '"safe":%s,"ok":%s}\n' "$safe_json" "$([ "$rc" = 0 ] && echo true || echo false)"
	return "$rc"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(plain500 vsw500 plain2000 vsw2000)
topogen_bench_run escrow-fast one "${names[@]}"

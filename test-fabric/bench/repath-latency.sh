#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the time from the destination's GUIDInfoRecord Set to the RePath
# Report's arrival at a subscriber, over N migrations (hosta <-> hostc), and
# what the plugin adds to each SA Set: the Set's round trip with the plugin
# against stock OpenSM, and the plugin's own accounting (ibvmig stats
# hook_ns / hook_calls).  The last line printed is one JSON object.
#
# usage: repath-latency.sh [N]  (default 200; needs top_srcdir, top_builddir)
set -u
N=${1:-200}
. "$top_srcdir/test-fabric/lib/plugin-lib.sh"
VM=0x0002c903abcd0f00

# mover NODE NAME: an ibvmig-sa batch client on NODE fed through a FIFO on fd 7/8.
mover() {
	mkfifo "$FABRIC_DIR/$2.in"
	fabric_spawn "$1" "$2" sh -c 'exec "$0" batch <"$1"' "$SA" "$FABRIC_DIR/$2.in" >/dev/null
}

# ask NAME FD LINE: send LINE to a mover and wait for its answer number $count.
ask() {
	local name=$1 fd=$2 want=$3 line=$4 i
	echo "$line" >&"$fd"
	for i in $(seq 1000); do
		[ "$(grep -c "rc=" "$FABRIC_DIR/$name.out")" -ge "$want" ] && return 0
		sleep 0.005
	done
	echo "bench: $name did not answer \"$line\"" >&2
	return 1
}

# migrations WITH_LISTENER: N migrations of $VM between hosta and hostc.
migrations() {
	local i src dst fds fdd na=0 nc=0
	mover hosta movera && mover hostc moverc || return 1
	exec 7>"$FABRIC_DIR/movera.in" 8>"$FABRIC_DIR/moverc.in"
	fabric_wait_for "$FABRIC_DIR/movera.out" ready 20 && fabric_wait_for "$FABRIC_DIR/moverc.out" ready 20 || return 1
	ask movera 7 1 "set $VM 1" && na=1
	for ((i = 1; i <= N; i++)); do
		if ((i % 2)); then
			ask movera 7 $((++na)) "delete $VM 1" && ask moverc 8 $((++nc)) "set $VM 1" || return 1
		else
			ask moverc 8 $((++nc)) "delete $VM 1" && ask movera 7 $((++na)) "set $VM 1" || return 1
		fi
		if [ "$1" = listener ]; then
			wait_notices sub 69 "$i" || { echo "bench: RePath $i missing" >&2; return 1; }
		fi
	done
	exec 7>&- 8>&-
}

# set_lines: the "set" answers of both movers, migrations only, in time order.
set_lines() {
	cat "$FABRIC_DIR/movera.out" "$FABRIC_DIR/moverc.out" | grep '^set .* rc=0 ' |
		sed 's/.* t0=\([0-9]*\) t1=\([0-9]*\).*/\1 \2/' | sort -n | tail -n "$N"
}

# stats_us: median and p99 (by nearest rank) of the numbers on stdin, in us.
stats_us() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "null null"; exit }
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]
		printf "%.1f %.1f\n", m, p }'
}

keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT

# 1. Stock OpenSM: the Set round trip without the plugin.
fabric_init bench-stock
fabric_start small >/dev/null 2>&1 || exit 1
migrations none || exit 1
set_lines >"$keep/stock.sets"
fabric_cleanup >/dev/null 2>&1

# 2. With the plugin and one subscriber.
fabric_init bench-plugin
start_fabric log_level info >/dev/null 2>&1 || exit 1
listen hostb sub || exit 1
migrations listener || exit 1
set_lines >"$keep/plugin.sets"
grep '"trap":69' "$FABRIC_DIR/sub.out" | grep '"reason":"migrated"' |
	sed 's/.*"time":\([0-9.]*\).*/\1/' >"$keep/reports"
hook_calls=$(counter hook_calls)
hook_ns=$(counter hook_ns)
hook_max_ns=$(counter hook_max_ns)
fabric_cleanup >/dev/null 2>&1

read -r lat_med lat_p99 < <(paste -d' ' "$keep/plugin.sets" "$keep/reports" |
	awk '{ printf "%.3f\n", ($3 * 1e9 - $1) / 1000 }' | stats_us)
read -r rtt_plugin _ < <(awk '{ print ($2 - $1) / 1000 }' "$keep/plugin.sets" | stats_us)
read -r rtt_stock _ < <(awk '{ print ($2 - $1) / 1000 }' "$keep/stock.sets" | stats_us)
reports=$(wc -l <"$keep/reports")
echo "repath latency: $reports migrations; Set -> Report median ${lat_med} us, p99 ${lat_p99} us;" \
	"Set round trip median ${rtt_stock} us stock, ${rtt_plugin} us with the plugin"
printf '{"bench":"repath_latency","migrations":%d,"reports":%d,"set_to_report_median_us":%s,' \
	"$N" "$reports" "$lat_med"
printf '"set_to_report_p99_us":%s,"set_rtt_median_us_stock":%s,"set_rtt_median_us_plugin":%s,' \
	"$lat_p99" "$rtt_stock" "$rtt_plugin"
printf '"plugin_own_mean_us_per_set_or_delete":%s,"plugin_own_max_us":%s,"hook_calls":%s}\n' \
	"$(awk -v n="$hook_ns" -v c="$hook_calls" 'BEGIN { printf "%.1f", c ? n / c / 1000 : 0 }')" \
	"$(awk -v n="$hook_max_ns" 'BEGIN { printf "%.1f", n / 1000 }')" "$hook_calls"

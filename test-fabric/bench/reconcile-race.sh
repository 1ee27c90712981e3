#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Stress: the post-sweep reconcile against the SA hook.  One host sets and
# deletes one alias N times as fast as the SA answers, while OpenSM runs a
# heavy sweep every 50 ms (SIGHUP) and the plugin reconciles after each.  A
# reconcile that applies a list made before a Set or Delete that landed
# while it was being made would undo that change: a "port-gone" UnPath for a
# live vGUID, a "restarted" RePath for a deleted one - changes only a
# reconcile found (stats reconcile_events), where this fabric has none.  The
# plugin counts the vGUIDs it left to such an SA change (reconcile_spared).
# The last line printed is one JSON object.
#
# usage: reconcile-race.sh [N]  (default 20000 pairs; needs top_srcdir, top_builddir)
set -u
N=${1:-20000}
. "$top_srcdir/test-fabric/lib/plugin-lib.sh"
VM=0x0002c903abcd0f10
export FABRIC_RUN_TIMEOUT=0

fabric_init bench-reconcile-race
start_fabric log_level error >/dev/null 2>&1 || exit 1
{
	echo "set $VM 1"
	for ((i = 0; i < N; i++)); do echo "delete $VM 1"; echo "set $VM 1"; done
} >"$FABRIC_DIR/pairs"

# The sweeper: ours, stopped by its PID.
(
	trap 'exit 0' TERM
	while :; do fabric_sm_signal HUP 2>/dev/null; sleep 0.05; done
) &
sweeper=$!
t0=$(date +%s%N)
on hosta batch <"$FABRIC_DIR/pairs" >"$FABRIC_DIR/pairs.out"
t1=$(date +%s%N)
kill "$sweeper"
wait "$sweeper" 2>/dev/null
sleep 1

ok=$(grep -c ' rc=0 ' "$FABRIC_DIR/pairs.out")
reconciles=$(counter reconciles)
events=$(counter reconcile_events)
spared=$(counter reconcile_spared)
unpath=$(counter unpath_sent)
repath=$(counter repath_sent)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "reconcile race: $N set/delete pairs in $secs s ($ok of $((2 * N + 1)) SA requests applied)," \
	"$reconciles reconciles; $events changes only a reconcile found (spurious), $spared vGUIDs" \
	"left to the SA; notices: $unpath UnPath, $repath RePath (expected $N each)"
printf '{"bench":"reconcile_race","pairs":%d,"seconds":%s,"applied":%d,"reconciles":%s,' \
	"$N" "$secs" "$ok" "${reconciles:-null}"
printf '"spurious":%s,"spared":%s,"unpath_sent":%s,"repath_sent":%s}\n' "${events:-null}" \
	"${spared:-null}" "${unpath:-null}" "${repath:-null}"

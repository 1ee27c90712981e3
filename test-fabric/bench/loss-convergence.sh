#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: delivery on a lossy fabric.  With LOSS % of the packets entering
# hostb's port dropped (doc/simulator.md, "Packet Loss: the Error Command":
# the Reports to hostb, and the SA's answers to its agent), vGUID X migrates
# N times between hosta and hostc, and for each migration we measure the time
# from the destination's attach to the moment every interested VM's cache
# holds the new LID (3 VMs on hostb, behind the loss; 1 on hostd, without):
# from the VMs' own event lines (notice applied, path-update pushed, path
# asked again), the first one after the attach that shows the new LID.
# The agents re-validate every REVALIDATE ms, and at once when the notice
# numbers show a gap (an SM that numbers its notices, doc/notice-details.md).
# A gap shows at the next notice, and the next migration waits for this one:
# with BACKGROUND ms (> 0), another vGUID on hostd reboots every BACKGROUND
# ms meanwhile, the other notices of a busy fabric.
# The last line printed is one JSON object.
#
# usage: loss-convergence.sh [N [LOSS [REVALIDATE [BACKGROUND]]]]
#        (defaults 60, 30, 2000, 0;
#        needs top_srcdir and top_builddir, as `make bench` gives them).  A
#        migration not converged within LOSS_WAIT_S seconds (default 5 periods
#        and 20 s) counts as not converged.  host/tests/host-loss.test runs it.
set -u
N=${1:-60}
LOSS=${2:-30}
REVALIDATE=${3:-2000}
BACKGROUND=${4:-0}
. "$top_srcdir/host/tests/host-lib.sh"
X=0x0002c903abcd0001
Y=0x0002c903abcd00d1		# the background's vGUID
WAIT_S=${LOSS_WAIT_S:-$((REVALIDATE * 5 / 1000 + 20))}

fabric_init bench-loss
FABRIC_EXTRA=--console
start_fabric log_level info >/dev/null 2>&1 || exit 1
for n in hosta hostc hostd; do agent_start $n --revalidate "$REVALIDATE" || exit 1; done
# The lossy side asks the SA with a short timeout (a lost answer costs one attempt) and
# checks for an SM reset less often: every MAD whose answer is lost holds its SA thread
# for a timeout, and Reports that come meanwhile wait for it.
agent_start hostb --revalidate "$REVALIDATE" -t 200 -r 5 --check-interval 2000 || exit 1
lid_a=$(lid_of hosta) lid_c=$(lid_of hostc)
check "attach at hosta" hcli hosta vm add mig --vguid $X >/dev/null
check "...the vGUID" hcli hosta attach --vguid $X --vm mig >/dev/null
vm_start b hostb -c 3 -p $X --retry 200 || exit 1
vm_start d hostd -p $X --retry 200 || exit 1

# at_lid LID: every interested VM's cache holds LID, active.
at_lid() {
	[ "$(cat "$FABRIC_DIR/b.state" "$FABRIC_DIR/d.state" 2>/dev/null |
		grep -c "\"vguid\":\"$X\",\"dlid\":$1,\"state\":\"active\"")" = 4 ]
}
check "every VM has hosta's LID" wait_until 20 at_lid "$lid_a" || exit 1

# converged_ms T0 LID: from the event lines, when the last VM first showed LID after T0.
converged_ms() {
	cat "$FABRIC_DIR/b.out" "$FABRIC_DIR/d.out" | awk -v t0="$1" -v lid="$2" -v x="$X" '
		function num(k,   v) { v = $0; if (!sub(".*\"" k "\":", "", v)) return ""
			sub("[,}].*", "", v); gsub("\"", "", v); return v }
		{ t = num("t") + 0; if (t < t0) next
		  ev = num("event"); vm = num("vm")
		  if (num("vguid") != x || num("dlid") != lid) next
		  if (ev == "notice" && num("state") != "active") next
		  if (ev != "notice" && ev != "path-update" && ev != "path") next
		  if (!(vm in first)) { first[vm] = t; n++ } }
		END { if (n < 4) { print "none"; exit }
		      for (v in first) if (first[v] > m) m = first[v]
		      printf "%.1f\n", (m - t0) * 1000 }'
}

# background: Y reboots on hostd every BACKGROUND ms, in a subshell stopped at the end.
bg_pid=
eval "vm_cleanup() $(declare -f fabric_cleanup_hook | tail -n +2)"
fabric_cleanup_hook() {
	[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null && wait "$bg_pid" 2>/dev/null
	vm_cleanup
}
if [ "$BACKGROUND" -gt 0 ]; then
	hcli hostd vm add bg --vguid $Y >/dev/null && hcli hostd attach --vguid $Y --vm bg \
		>/dev/null || exit 1
	pause=$(awk -v b="$BACKGROUND" 'BEGIN { print b / 1000 }')
	(while hcli hostd detach --vguid $Y >/dev/null && hcli hostd attach --vguid $Y --vm bg \
		>/dev/null; do sleep "$pause"; done) &
	bg_pid=$!
fi

fabric_console "Error \"hostb\"[1] $LOSS" >/dev/null || exit 1
src=hosta dst=hostc lid=$lid_c
: >"$FABRIC_DIR/times"
for ((i = 1; i <= N; i++)); do
	hcli $src detach --vguid $X >/dev/null && hcli $src vm remove mig >/dev/null &&
		hcli $dst vm add mig --vguid $X >/dev/null || exit 1
	t0=$(date +%s.%N)
	hcli $dst attach --vguid $X --vm mig >/dev/null || exit 1
	if wait_until "$WAIT_S" at_lid "$lid"; then
		converged_ms "$t0" "$lid" >>"$FABRIC_DIR/times"
	else
		echo "none" >>"$FABRIC_DIR/times"
		echo "# migration $i to $dst: not converged within ${WAIT_S} s" >&2
	fi
	if [ $src = hosta ]; then src=hostc dst=hosta lid=$lid_a; else src=hosta dst=hostc lid=$lid_c; fi
done
fabric_console "Error \"hostb\"[1] 0" >/dev/null
if [ -n "$bg_pid" ]; then
	kill "$bg_pid" 2>/dev/null
	wait "$bg_pid" 2>/dev/null
	bg_pid=
fi

echo "# per migration, ms: $(tr '\n' ' ' <"$FABRIC_DIR/times")"
ok=$(grep -vc none "$FABRIC_DIR/times")
stats=$(grep -v none "$FABRIC_DIR/times" | sort -n | awk '{ v[NR] = $1 } END {
	if (!NR) { print "null null null"; exit }
	printf "%s %s %s\n", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)], v[NR] }')
read -r median p99 max <<<"$stats"
bounced=$(grep -c 'ERR 1A06: .*SubnAdmReport(Notice)' "$(fabric_sm_log)")
echo "# $N migrations with $LOSS % loss into hostb's port, re-validation every $REVALIDATE ms" \
	"(background notices every $BACKGROUND ms, 0: none):" \
	"$ok converged; median $median ms, p99 $p99 ms, max $max ms;" \
	"OpenSM saw $bounced Reports bounced; hostb's agent counted" \
	"$(agent_stat hostb notices_lost) lost by number, ran $(agent_stat hostb revalidations)" \
	"rounds, pushed $(agent_stat hostb paths_pushed) paths"
printf '{"bench":"loss-convergence","migrations":%d,"loss_pct":%d,"revalidate_ms":%d,' \
	"$N" "$LOSS" "$REVALIDATE"
printf '"background_ms":%d,' "$BACKGROUND"
printf '"interested_vms":4,"converged":%d,"median_ms":%s,"p99_ms":%s,"max_ms":%s,' \
	"$ok" "$median" "$p99" "$max"
printf '"reports_bounced":%d,"notices_lost_by_number":%s,"revalidations":%s}\n' "$bounced" \
	"$(agent_stat hostb notices_lost)" "$(agent_stat hostb revalidations)"

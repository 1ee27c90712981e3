#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo's fabric part: stock OpenSM with the ibvmig plugin on a simulated
# fabric, two hypervisors subscribed to RePath/UnPath, a VM created, rebooted
# and migrated; prints what the SA did, what each subscriber received and what
# `ibvmig` shows.  Needs top_srcdir and top_builddir (demo.sh sets them).
set -u
. "$top_srcdir/test-fabric/lib/plugin-lib.sh"
VM=0x0002c903abcd0001

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# show_new NAME: the notices NAME received since the last call, one line each.
declare -A shown
show_new() {
	local name=$1 out=$FABRIC_DIR/$1.out n line
	n=${shown[$name]:-0}
	tail -n +"$((n + 1))" "$out" | grep '"trap"' | while IFS= read -r line; do
		local kind=RePath to="LID $(field "$line" new_lid)"
		if [ "$(field "$line" trap)" = 68 ]; then kind=UnPath to="paused"; fi
		printf '   %-6s got trap %s %s %-10s vGUID %s  LID %s -> %-7s (epoch %s seq %s)\n' \
			"$name" "$(field "$line" trap)" "$kind" "$(field "$line" reason)" \
			"$(field "$line" vguid)" "$(field "$line" old_lid)" "$to" \
			"$(field "$line" epoch)" "$(field "$line" seq)"
	done
	shown[$name]=$(wc -l <"$out")
}
show_all() { settle; show_new hostb; show_new hostd; }

fabric_init demo
say "Starting a simulated fabric (ibsim, 2 switches, 6 HCAs) and stock OpenSM with the ibvmig plugin"
start_fabric >/dev/null 2>&1 || { echo "demo: the fabric did not come up"; exit 1; }
grep -a "ibvmig 0.1.0 loaded" "$(fabric_sm_log)" | sed 's/.*-> /   OpenSM log: /'
printf '   hosts: hosta LID %s, hostb LID %s, hostc LID %s, hostd LID %s\n' \
	"$(lid_of hosta)" "$(lid_of hostb)" "$(lid_of hostc)" "$(lid_of hostd)"

say "Hypervisors hostb and hostd subscribe once each (InformInfo for traps 68 and 69)"
listen hostb hostb && listen hostd hostd || exit 1
admin subscribers | sed 's/^/   /'

say "VM $VM boots on hosta: GUIDInfoRecord Set (a creation: no notice)"
on hosta alias-set --vguid $VM | sed 's/^/   alias index /'
printf '   a peer on hostb resolves the vGID: %s\n' "$(on hostb path --vguid $VM | cut -d' ' -f1-2)"
show_all
echo "   (no notice: nobody held a path to a new VM)"

say "The VM reboots on hosta: Delete, then Set on the same port"
on hosta alias-delete --vguid $VM >/dev/null
on hosta alias-set --vguid $VM >/dev/null
show_all

say "The VM migrates hosta -> hostc: Delete on hosta, Set on hostc"
on hosta alias-delete --vguid $VM >/dev/null
printf '   between the two, the trap table remembers the old path:\n'
admin traps | sed 's/^/   /'
on hostc alias-set --vguid $VM >/dev/null
show_all
printf '   a peer on hostb now resolves the vGID: %s\n' "$(on hostb path --vguid $VM | cut -d' ' -f1-2)"

say "What the plugin counted (ibvmig stats)"
admin stats | grep -E '^(created|restarted|migrated|unpath_sent|repath_sent|guard_refused) ' |
	sed 's/^/   /'
fabric_stop_client hostb TERM
fabric_stop_client hostd TERM
say "Done: every process stopped, the scratch fabric removed"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo's SM extension part: the migration of plugin-demo.sh again, on the same simulated
# fabric, but under stock OpenSM WITHOUT the plugin, with ibvmig-smx on the node "spare" and
# the agents of hosta and hostc telling it of their Sets and Deletes (ibvmigd --extension).
# hostb and hostd subscribe as before; their RePath/UnPath Reports come from the SM, which
# forwards the extension's traps, issued by the extension's port.  Prints what each
# subscriber received and what `ibvmig -S` shows of the extension.
# Needs top_srcdir and top_builddir (demo.sh sets them); run it alone with
#   top_srcdir=$PWD top_builddir=$PWD/build bash test-fabric/scenarios/smx-demo.sh
set -u
. "$top_srcdir/sm-extension/tests/smx-lib.sh"
VM=0x0002c903abcd0001

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# reports NAME: the Reports subscriber NAME got since the last call, one line each, with
# the port that issued them.
declare -A seen
reports() {
	local out=$FABRIC_DIR/$1.out line what
	tail -n +"$((${seen[$1]:-0} + 1))" "$out" | grep '"trap"' | while IFS= read -r line; do
		what="RePath $(field "$line" reason), LID $(field "$line" old_lid) -> $(field "$line" new_lid)"
		[ "$(field "$line" trap)" = 68 ] && what="UnPath, LID $(field "$line" old_lid) paused"
		printf '   %s got trap %s: %s; issuer %s\n' "$1" "$(field "$line" trap)" "$what" \
			"$(field "$line" issuer_gid)"
	done
	seen[$1]=$(wc -l <"$out")
}
both_reports() { settle; reports hostb; reports hostd; }
quiet() { "$@" >/dev/null 2>&1; }

fabric_init smx-demo
say "A simulated fabric (ibsim, 2 switches, 6 HCAs) and stock OpenSM WITHOUT the plugin"
quiet stock_fabric || { echo "demo: the fabric did not come up"; exit 1; }
grep -q '^event_plugin_name' "$FABRIC_DIR/opensm.conf" && { echo "demo: a plugin"; exit 1; }
echo "   opensm.conf names no event plugin"

say "ibvmig-smx on node spare (LID $(lid_of spare)), an ordinary MAD client"
smx_conf log_level info
quiet smx_start || { echo "demo: the extension did not start"; exit 1; }
grep -oE '(subscribed to traps .*|LID scan 1 done.*)' "$FABRIC_DIR/smx.out" | sed 's/^/   /'

say "Hypervisors hostb and hostd subscribe (traps 68, 69); hosta and hostc run agents"
quiet listen hostb hostb && quiet listen hostd hostd || exit 1
for n in hosta hostc; do
	quiet xagent_start $n || { echo "demo: the agent on $n did not start"; exit 1; }
	echo "   agent on $n: ibvmigd --extension $(lid_of spare) --trust-issuer $SMX_GUID"
done

say "VM $VM boots on hosta: its agent sets the vGUID and tells the extension"
quiet hcli hosta vm add mig --vguid $VM && quiet hcli hosta attach --vguid $VM --vm mig || exit 1
created() { [ "$(smx_counter created)" = 1 ]; }
wait_until 20 created || echo "demo: the extension did not see the creation"
both_reports
echo "   (a creation: no notice)"

say "The VM migrates hosta -> hostc: detach at hosta, attach at hostc, each told"
quiet hcli hosta detach --vguid $VM && quiet hcli hosta vm remove mig || exit 1
unpath() { [ "$(smx_counter unpath_sent)" = 1 ]; }
wait_until 20 unpath
echo "   between the two, the extension's trap table remembers the old path:"
sadmin traps | sed 's/^/   /'
quiet hcli hostc vm add mig --vguid $VM && quiet hcli hostc attach --vguid $VM --vm mig || exit 1
wait_notices hostd 69 1
both_reports
printf '   (the extension is port %s; a peer on hostb now resolves the vGID: %s)\n' \
	"$SMX_GUID" "$(on hostb path --vguid $VM | cut -d' ' -f1-2)"

say "What the extension counted (ibvmig -S smx.sock stats)"
sadmin stats | grep -E '^(created|migrated|unpath_sent|repath_sent|tells|tell_reads|traps_sent|poll_requests) ' |
	sed 's/^/   /'
fabric_stop_client hostb TERM
fabric_stop_client hostd TERM
say "Done: every process stopped, the scratch fabric removed"

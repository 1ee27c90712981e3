#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo's host part: three hypervisors, each with its agent (ibvmigd) and VMs
# (ibvmig-vm processes with a path cache). VM "web" runs on hosta; VMs on hostb
# and hostc hold paths to it, one VM on hostb does not. web migrates to hostc:
# each agent gets one Report per notice and forwards it to the VMs that need
# it, whose caches follow. Then OpenSM is killed and restarted: the agents
# notice, subscribe again and set their vGUIDs again, and web migrates back.
# Last, web migrates to hostc while OpenSM is down: the plugin saved the live
# aliases, and tells the peers when web is set again at hostc.
# Needs top_srcdir and top_builddir (demo.sh sets them).
set -u
. "$top_srcdir/test-fabric/lib/host-lib.sh"
WEB=0x0002c903abcd0e0b

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '   $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/     /'; }

# show_cache VM: what VM's cache holds for web, and the notices it got.
show_cache() {
	local lid path="none (not interested)"
	lid=$(vm_dlid "$1" $WEB)
	[ -z "$lid" ] || path="LID $lid, $(vm_path_state "$1" $WEB)"
	printf '   %-7s %-7s path to web: %-22s notices received: %s\n' "$1" "($2)" "$path" \
		"$(vm_count "$1" notices)"
}
show_caches() {
	show_cache db1 hostb
	show_cache idle hostb
	show_cache cache1 hostc
}
# show_notices VM: the notices VM received since the last call, one line each.
declare -A shown
show_notices() {
	local out=$FABRIC_DIR/$1.out
	tail -n +"$((${shown[$1]:-0} + 1))" "$out" | grep '"event":"notice"' | while IFS= read -r l; do
		printf '   %-7s got %s %-9s web LID %s -> %s: %s, cache now LID %s %s\n' "$1" \
			"$(field "$l" trap)" "$(field "$l" reason)" "$(field "$l" old_lid)" \
			"$(field "$l" new_lid)" "$(field "$l" result)" "$(field "$l" dlid)" \
			"$(field "$l" state)"
	done
	shown[$1]=$(wc -l <"$out")
}
show_counters() {
	local n
	for n in hosta hostb hostc; do
		printf '   %s agent: %s Reports from the SM, %s notices forwarded to its VMs\n' "$n" \
			"$(agent_stat $n reports)" "$(agent_stat $n notices_forwarded)"
	done
}
# move FROM TO: web's live migration, as the hypervisors do it.
move() {
	run hcli "$1" detach --vguid $WEB
	run hcli "$1" vm remove web
	run hcli "$2" vm add web --vguid $WEB
	run hcli "$2" attach --vguid $WEB --vm web
	wait_until 10 dlid_is db1 $WEB "$(lid_of "$2")" && wait_until 10 dlid_is cache1 $WEB "$(lid_of "$2")"
	settle
}

fabric_init host-demo
say "A simulated fabric (ibsim) with stock OpenSM and the ibvmig plugin; an agent per hypervisor"
start_fabric >/dev/null 2>&1 || { echo "demo: the fabric did not come up"; exit 1; }
for n in hosta hostb hostc; do
	agent_start $n >/dev/null 2>&1 || { echo "demo: the agent on $n did not start"; exit 1; }
	printf '   %s (LID %s): %s\n' $n "$(lid_of $n)" \
		"$(grep -o 'subscribed: .*' "$FABRIC_DIR/agent-$n.out")"
done
echo "   the SM's subscriber list: $(admin subscribers | tail -n 1) (68, 69 and a canary per agent)"

say "VM web boots on hosta: the host attaches its vGUID (GUIDInfoRecord Set through the agent)"
run hcli hosta vm add web --vguid $WEB
run hcli hosta attach --vguid $WEB --vm web

say "VMs on hostb and hostc ask their agents for a path to web; idle on hostb does not"
vm_start db1 hostb -p $WEB && vm_start idle hostb && vm_start cache1 hostc -p $WEB ||
	{ echo "demo: a VM did not start"; exit 1; }
wait_until 10 dlid_is db1 $WEB "$(lid_of hosta)" && wait_until 10 dlid_is cache1 $WEB "$(lid_of hosta)"
show_caches
for v in db1 idle cache1; do shown[$v]=$(wc -l <"$FABRIC_DIR/$v.out"); done

say "web migrates hosta -> hostc: detach at the source, then attach at the destination"
printf '   (the other order fails: '
hcli hostc attach --vguid $WEB 2>&1 | sed 's/^ibvmig-host: //' | tr -d '\n'
printf ')\n'
move hosta hostc
say "What the VMs received (UnPath pauses the path, RePath moves it), and their caches"
show_notices db1
show_notices cache1
show_notices idle
show_caches
show_counters

# sm_back N: OpenSM started again, until every agent has noticed its N-th reset.
resets_seen() { [ "$(grep -c "vGUIDs again after the SM reset" "$FABRIC_DIR/agent-$1.out")" -ge "$2" ]; }
sm_back() {
	local n
	fabric_sm_start >/dev/null 2>&1 && fabric_sm_wait_up 30 >/dev/null 2>&1 || exit 1
	for n in hosta hostb hostc; do wait_until 30 resets_seen $n "$1"; done
}

say "OpenSM dies and restarts: it forgets subscriptions and alias GUIDs"
fabric_sm_stop KILL >/dev/null 2>&1
sm_back 1
for n in hosta hostb hostc; do
	grep -E "forgotten|subscribed:|vGUIDs again" "$FABRIC_DIR/agent-$n.out" | tail -n 3 |
		sed "s/^\([0-9:.]*\) ibvmigd\[[^]]*\]: /   $n \1: /"
done
printf '   a PathRecord to web from hostb now: LID %s (hostc)\n' "$(dlid_from hostb $WEB)"

say "web migrates back hostc -> hosta under the new SM"
move hostc hosta
show_notices db1
show_notices cache1
show_caches
show_counters

say "web migrates hosta -> hostc while OpenSM is down: the detach cannot reach the SA"
fabric_sm_stop KILL >/dev/null 2>&1
run hcli hosta detach --vguid $WEB
run hcli hosta vm remove web
run hcli hostc vm add web --vguid $WEB
say "OpenSM is back; it forgot web, but the plugin saved where web was live"
sm_back 2
run hcli hostc attach --vguid $WEB --vm web
wait_until 10 dlid_is db1 $WEB "$(lid_of hostc)" && wait_until 10 dlid_is cache1 $WEB "$(lid_of hostc)"
settle
show_notices db1
show_notices cache1
show_caches
echo "   ibvmig stats: migrated_while_down $(counter migrated_while_down) (a RePath, no UnPath)"
say "Done: every process stopped, the scratch fabric removed"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo's vSwitch part: the LID escrow where every VF has a LID of its own (vswitch.net,
# each hypervisor a switch vswN with its PF pfN and VFs vfN-K).  ibvmig-sim places VMs on
# dedicated ports only, so this is told with the programs themselves: stock OpenSM with the
# plugin (escrow on, the four "vswitch ... pf ..." lines, the fast move), the hypervisors'
# agents on their PFs, a peer VM on pf2 holding a path to vf1-1's GID.  pf1's agent releases
# vf1-1's LID for vf3-2 (migrate-out), pf3's agent claims it (migrate-in); the peer's DLID
# stays and it gets no notice.  Prints the LIDs, the peer's cache, `ibvmig escrow list` and a
# refused request; never the token.  The same steps as host/tests/host-escrow-vswitch.test.
# Needs top_srcdir and top_builddir (demo.sh sets them); run it alone with
#   top_srcdir=$PWD top_builddir=$PWD/build bash test-fabric/scenarios/escrow-vswitch-demo.sh
set -u
. "$top_srcdir/test-fabric/lib/host-lib.sh"
. "$top_srcdir/osm-plugin/tests/escrow-lib.sh"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
quiet() { "$@" >/dev/null 2>&1; }
die() { echo "demo: $*"; exit 1; }
lids() { printf '   vf1-1 has LID %s, vf3-2 has LID %s (each port'"'"'s own PortInfo)\n' \
	"$(own_lid vf1-1)" "$(own_lid vf3-2)"; }
# answer OUTPUT: the state and LID of an ibvmig-host escrow answer, on one line.
answer() { sed -n 's/^\(state\|lid\)  *\([a-z0-9]*\)$/\1 \2/p' <<<"$1" | paste -sd, - | sed 's/,/, /'; }
peer() {
	printf '   the peer caches DLID %s for vf1-1'"'"'s GID and got %s notices\n' \
		"$(vm_dlid peer $VF11)" "$(vm_count peer notices)"
}

fabric_init escrow-vswitch-demo
say "vswitch.net: 4 hypervisors, each a vSwitch with a PF and 2 VFs, stock OpenSM with the plugin"
conf=$(vswitch_conf) || exit 1
quiet fabric_start vswitch --plugin "$conf" || die "the fabric did not come up"
quiet escrow_wait_bound || die "the escrow did not start"
echo "   the plugin's escrow is on; pf1..pf4 may ask for the VFs behind their own vSwitch"
for n in pf1 pf2 pf3; do quiet agent_start $n || die "the agent on $n did not start"; done
echo "   agents run on pf1, pf2 and pf3"
L=$(own_lid vf1-1)
lids

say "A peer VM on hypervisor 2 (pf2) holds a path to the VM on vf1-1"
quiet vm_start peer pf2 -p $VF11 || die "the peer did not start"
wait_until 10 dlid_is peer $VF11 "$L" || die "the peer has no path to vf1-1"
peer

say "A hypervisor that is not vf1-1's asks to release its LID: refused"
out=$(hcli pf2 release --port-guid $VF11 2>&1)
echo "   pf2's ibvmig-host release --port-guid $VF11: exit $?"
sed 's/^/   /' <<<"$out"

say "The VM moves from vf1-1 to vf3-2 (hypervisor 3, the other leaf), its LID $L with it"
token=$FABRIC_DIR/token
out=$(hcli pf1 migrate-out --port-guid $VF11 --dest $VF32 --token-file "$token" 2>&1) ||
	die "migrate-out failed: $out"
echo "   pf1: ibvmig-host migrate-out --port-guid $VF11 --dest $VF32: $(answer "$out")"
out=$(hcli pf3 migrate-in --port-guid $VF32 --token-file "$token" 2>&1) ||
	die "migrate-in failed: $out"
echo "   pf3: ibvmig-host migrate-in --port-guid $VF32: $(answer "$out")"
echo "   (the token went through a file of mode $(stat -c %a "$token"); it is never printed)"
wait_own_lid vf3-2 "$L" || die "vf3-2 did not get LID $L"
wait_lid_changes vf1-1 "$L" >/dev/null || die "vf1-1 kept LID $L"
lids
echo "   LID $L now reaches port $(lid_owner pf2 "$L") (vf3-2)"

say "The peer: the same DLID, no notice - nobody had to re-path"
settle
peer

say "What the plugin keeps (ibvmig -S admin.sock escrow list)"
admin escrow list | sed 's/^/   /'
say "Done: every process stopped, the scratch fabric removed"

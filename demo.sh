#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job of ibvmig, shown: installs what is missing, builds, plays a scripted day of VM
# events through the trap table, then tells one story on a simulated fabric with the real
# programs: hypervisors come up, VMs are created, one reboots, one migrates (its peers'
# caches follow the RePath), one migrates with escrow (its LID follows it), a host is
# evacuated, and the master SM dies and its standby takes over; then the escrow in the
# vSwitch model, where each VF has a LID of its own; then the same migration under an
# OpenSM without the plugin, with ibvmig-smx beside it. ibvmig-sim (doc/scenarios.md) runs
# the stories (test-fabric/scenarios/demo.scn, escrow-vswitch.scn, demo-extension.scn) and
# prints their timelines.
set -u
src=$(cd "$(dirname "$0")" && pwd)
. "$src/build-aux/setup.sh"
ibvmig_install_packages || exit 1
ibvmig_build "$src" "$src/build" || { echo "demo: build failed" >&2; exit 1; }

cat <<'END'
ibvmig makes the live migration of SR-IOV InfiniBand VMs invisible to their peers. A VM's
virtual GUID (vGUID) is an alias of its hypervisor's port and shares that port's LID; when
the VM moves, the SM's plugin sees the alias leave one port and appear on another, tells a
migration from a reboot or a creation with its trap table, and sends RePath/UnPath notices
to the hypervisors, whose agents pass them to the VMs that hold a path to the moved one.

== 1. The trap table alone: a day of VM events (TTL one hour)

END
"$src/build/trap-table/tt_replay" --ttl 3600 "$src/test-fabric/scenarios/day-of-vms.events" ||
	exit 1

cat <<'END'

== 2. The whole system on a simulated fabric (ibsim, stock OpenSM with the plugin, a standby
   OpenSM, four hypervisor agents, five VMs). Each line: seconds since the start, then what
   happened; "x got RePath ..." is VM x's path cache applying a notice its agent forwarded.
   The last line is the run's summary as JSON.

END
rc=0
"$src/build/test-fabric/ibvmig-sim" -B "$src/build" "$src/test-fabric/scenarios/demo.scn" || rc=1

cat <<'END'

== 3. The escrow in the vSwitch model: each hypervisor a switch with its PF and VFs, each VF
   a LID of its own (vswitch.net). There a VM's VF cannot keep its port GUID's LID when it
   moves, except through the escrow: the source PF's agent releases the VF's LID for the
   destination VF, the destination PF's agent claims it. Its peers' paths stay as they are.

END
"$src/build/test-fabric/ibvmig-sim" -B "$src/build" \
	"$src/test-fabric/scenarios/escrow-vswitch.scn" || rc=1

cat <<'END'

== 4. The same migration beside an SM that cannot load the plugin: stock OpenSM without it,
   and ibvmig-smx, the standalone SM extension, on another node (doc/scenarios.md).

END
"$src/build/test-fabric/ibvmig-sim" -B "$src/build" "$src/test-fabric/scenarios/demo-extension.scn" ||
	rc=1
exit $rc

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job of ibvmig, shown: installs what is missing, builds, plays a
# scripted day of VM events through the trap table, then runs the plugin in
# stock OpenSM on a simulated fabric and migrates a VM under the eyes of two
# subscribed hypervisors, and hypervisor agents keep their VMs' path caches
# right through a migration.
set -u
src=$(cd "$(dirname "$0")" && pwd)
. "$src/build-aux/setup.sh"
ibvmig_install_packages || exit 1
ibvmig_build "$src" "$src/build" || { echo "demo: build failed" >&2; exit 1; }

echo "== 1. A day of VM events through the trap table (Algorithm 1, TTL one hour)"
echo
"$src/build/trap-table/tt_replay" --ttl 3600 "$src/test-fabric/scenarios/day-of-vms.events" || exit 1

echo
echo "== 2. The plugin in OpenSM on a simulated fabric"
top_srcdir=$src top_builddir=$src/build \
	bash "$src/test-fabric/scenarios/plugin-demo.sh"

echo
echo "== 3. Hypervisor agents forward the notices to the VMs that hold paths; their caches follow"
top_srcdir=$src top_builddir=$src/build \
	bash "$src/test-fabric/scenarios/host-demo.sh"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job of ibvmig, shown: installs what is missing, builds, and plays a
# scripted day of VM events through the trap table, printing each verdict.
set -u
src=$(cd "$(dirname "$0")" && pwd)
. "$src/build-aux/setup.sh"
ibvmig_install_packages || exit 1
ibvmig_build "$src" "$src/build" || { echo "demo: build failed" >&2; exit 1; }

echo "A day of VM events through the trap table (TTL one hour):"
echo
"$src/build/trap-table/tt_replay" --ttl 3600 "$src/test-fabric/scenarios/day-of-vms.events"

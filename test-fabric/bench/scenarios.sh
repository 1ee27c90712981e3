#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the bench scenarios (test-fabric/scenarios/bench-*.scn, doc/scenarios.md) run by
# ibvmig-sim on the build's programs, one after the other (two cores: one fabric at a time).
# Each run's JSON line is printed as it ends; the last line is one JSON object with each
# scenario's latency (the destination's Set -> RePath at each interested VM: median, p99,
# max, samples), its Reports per migration (median), each evacuation's first Set -> last
# RePath at an interested VM and its Reports, and whether its expectations held.
# Needs top_srcdir and top_builddir, as `make bench` sets them.
set -u
SIM=$top_builddir/test-fabric/ibvmig-sim
summary=
rc=0
for scn in "$top_srcdir"/test-fabric/scenarios/bench-*.scn; do
	name=$(basename "$scn" .scn)
	line=$("$SIM" -B "$top_builddir" --json "$scn" | tail -n 1) || rc=1
	echo "$name: $line"
	# The figures of one run, from its JSON line (flat enough for sed).
	lat=$(sed -n 's/.*"latency_ms":\({[^}]*}\).*/\1/p' <<<"$line")
	rpm=$(sed -n 's/.*"reports_per_migration":\[\([^]]*\)\].*/\1/p' <<<"$line" |
		tr ',' '\n' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
	res=$(sed -n 's/.*"result":"\([a-z]*\)".*/\1/p' <<<"$line")
	evac=$(sed -n 's/.*"evacuations":\(\[[^]]*\]\).*/\1/p' <<<"$line")
	one="\"result\":\"${res:-none}\",\"latency_ms\":${lat:-null}"
	one="$one,\"reports_per_migration_median\":${rpm:-0},\"evacuations\":${evac:-[]}"
	summary="$summary${summary:+,}\"$name\":{$one}"
done
echo "{\"benchmark\":\"scenarios\",$summary}"
exit "$rc"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test of ibvmig from a fresh clone on Debian 12: installs what is
# missing, builds, runs `make check` (unit, CLI and end-to-end tests on the
# simulated fabric), then rebuilds with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the unit and CLI tests again.
# The last line is "N passed, N failed"; the exit status is non-zero when
# anything failed.
set -u
src=$(cd "$(dirname "$0")" && pwd)
. "$src/build-aux/setup.sh"

passed=0
failed=0

# count_results BUILDDIR: add up the automake test harness's .trs verdicts.
count_results()
{
	local trs p f
	p=0 f=0
	while IFS= read -r -d '' trs; do
		p=$((p + $(grep -c '^:test-result: PASS' "$trs")))
		f=$((f + $(grep -Ec '^:test-result: (FAIL|ERROR|XPASS)' "$trs")))
	done < <(find "$1" -name '*.trs' -print0)
	passed=$((passed + p))
	failed=$((failed + f))
}

# show_failures BUILDDIR: name each failed test and the lines of its log that
# say why, so that a CI transcript alone explains a red run.
show_failures()
{
	local trs log
	while IFS= read -r -d '' trs; do
		grep -Eq '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || continue
		log=${trs%.trs}.log
		echo "-- ${log#"$1"/}"
		grep -E 'FAILED|ERROR|Assertion|error:|Sanitizer' "$log" | head -n 20
		tail -n 5 "$log"
	done < <(find "$1" -name '*.trs' -print0)
}

# run_suite NAME BUILDDIR [configure args...]
run_suite()
{
	local name=$1 build=$2
	shift 2
	echo "== $name build"
	if ! ibvmig_build "$src" "$build" "$@"; then
		echo "$name: build failed"
		failed=$((failed + 1))
		return
	fi
	find "$build" -name '*.trs' -delete
	echo "== $name tests"
	if ! make -C "$build" -s -j"$(nproc)" check >/dev/null 2>&1; then
		show_failures "$build"
		echo "$name: see $build/test-suite.log"
	fi
	count_results "$build"
}

if ! ibvmig_install_packages; then
	echo "0 passed, 1 failed"
	exit 1
fi

run_suite normal "$src/build"
sanitize="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
run_suite sanitized "$src/build-asan" --disable-fabric-tests \
	CFLAGS="$sanitize" LDFLAGS="-fsanitize=address,undefined"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

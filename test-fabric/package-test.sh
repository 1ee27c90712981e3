#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# package-test.sh: CI's packaging step, after ./check.sh (which ran every test and left
# a configured build/).  Builds the Debian packages from a copy of the committed tree
# (the package build's own tests off: check.sh ran them), checks them with lintian,
# installs them, runs a migration on ibsim with nothing of ibvmig but the installed
# files (tests/installed-migration.sh), and removes the packages again, so that an
# installed plugin never shadows the built one in later tests.  Prints one line per
# step; exits non-zero when one fails.
#
#	bash test-fabric/package-test.sh [BUILDDIR]     (default: ./build)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd) || exit 1
. "$src/build-aux/setup.sh"
IBVMIG_PACKAGES="debhelper lintian pkg-config build-essential"
PACKAGES="ibvmig-opensm-plugin ibvmig-host ibvmig-smx ibvmig-admin libibvmig-guest0 libibvmig-guest-dev"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ibvmig-packages.XXXXXX") || exit 1
installed=0

remove_packages() {
	[ "$installed" = 1 ] || return 0
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $PACKAGES >"$scratch/purge.log" 2>&1
}
cleanup() {
	remove_packages
	rm -rf "$scratch"
}
trap cleanup EXIT
step() { # step NAME CMD...: runs CMD, its output in $scratch/NAME.log
	local name=$1 t0=$SECONDS
	shift
	if "$@" >"$scratch/$name.log" 2>&1; then
		echo "package: ok: $name ($((SECONDS - t0)) s)"
		return 0
	fi
	echo "package: FAILED: $name; the end of its log:"
	tail -n 30 "$scratch/$name.log" | sed 's/^/    /'
	exit 1
}

copy_tree() {
	mkdir "$scratch/src" &&
		git -C "$src" archive --format=tar HEAD | tar -x -C "$scratch/src"
}
build_packages() {
	(cd "$scratch/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b)
}
run_lintian() {
	lintian --fail-on error --tag-display-limit 0 "$scratch"/ibvmig_*.changes
}
install_packages() {
	local debs=() p
	for p in $PACKAGES; do
		debs+=("$scratch/${p}_"*.deb)
	done
	installed=1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}"
}
installed_files() {
	local la
	test -f /usr/sbin/ibvmigd && test -f /usr/bin/ibvmig-host && test -f /usr/bin/ibvmig &&
		test -f /lib/systemd/system/ibvmigd@.service &&
		test -f /usr/sbin/ibvmig-smx && test -f /lib/systemd/system/ibvmig-smx.service &&
		test -f /usr/include/ibvmig/ibvmig_guest.h &&
		pkg-config --exists ibvmig-guest || return 1
	# OpenSM dlopens libibvmig.so: no libtool archive may lie beside it, nor any other.
	la=$(find /usr/lib -name 'libibvmig*.la')
	[ -z "$la" ] || { echo "installed: $la"; return 1; }
}
migration() {
	top_srcdir=$src top_builddir=$build bash "$src/test-fabric/tests/installed-migration.sh"
}
removed() {
	remove_packages || return 1
	installed=0
	! ldconfig -p | grep -q 'libibvmig\.so ' && [ ! -e /usr/sbin/ibvmigd ]
}

if ! ibvmig_install_packages; then
	echo "package: FAILED: the packaging tools could not be installed"
	exit 1
fi
step copy copy_tree
step dpkg-buildpackage build_packages
step lintian run_lintian
step install install_packages
step installed-files installed_files
step installed-migration migration
step remove removed
echo "package: every step passed"

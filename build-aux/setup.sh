# SPDX-License-Identifier: BSD-2-Clause
# Sourced by check.sh and demo.sh: installs what a fresh Debian 12 machine
# lacks, then autoreconf, configure and make in a build directory.

IBVMIG_PACKAGES="opensm libopensm-dev libibumad-dev libibmad-dev ibsim-utils libumad2sim0
infiniband-diags libcunit1-dev autoconf automake libtool pkg-config build-essential valgrind"

ibvmig_missing_packages()
{
	local p missing=
	for p in $IBVMIG_PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing="$missing $p"
	done
	echo $missing
}

ibvmig_install_packages()
{
	local missing
	missing=$(ibvmig_missing_packages)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
		return 1
	fi
	echo "setup: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$missing >/dev/null
}

# ibvmig_build SRCDIR BUILDDIR [configure args...]: configure once, make always.
ibvmig_build()
{
	local src=$1 build=$2
	shift 2
	if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ]; then
		(cd "$src" && { autoreconf -fi >/dev/null 2>&1 || autoreconf -fi; }) || return 1
	fi
	mkdir -p "$build" || return 1
	if [ ! -f "$build/Makefile" ] || [ "$src/configure" -nt "$build/Makefile" ]; then
		(cd "$build" && "$src/configure" -q "$@") || return 1
	fi
	make -C "$build" -s -j"$(nproc)" >/dev/null
}

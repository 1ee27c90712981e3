#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A migration on ibsim with nothing of ibvmig but its installed packages: stock
# OpenSM finds the plugin in the library path (no LD_LIBRARY_PATH), each agent
# runs as ibvmigd@.service's ExecStart would start it (with /etc/default/ibvmigd's
# options), the host CLI and the admin CLI are the installed ones, and the guest is
# the example program of libibvmig-guest-dev, built with pkg-config against the
# installed library.  Run by test-fabric/package-test.sh after installing them;
# not a make check test (the packages are not installed then).
#
#	top_srcdir=SRC top_builddir=BUILD bash test-fabric/tests/installed-migration.sh
#
# The harness (test-fabric/fabric.sh) and its configured tool paths come from the
# source and build trees; ibvmig's programs, plugin and library do not.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
export FABRIC_PLUGIN_DIR=
. "$top_srcdir/test-fabric/fabric.sh" || exit 1

UNIT=/lib/systemd/system/ibvmigd@.service
EXAMPLE=/usr/share/doc/libibvmig-guest-dev/examples/guest-example.c
V=0x0002c903abcd0777
fails=0
ok() { echo "ok: $*"; }
fail() {
	echo "FAILED: $*"
	fails=$((fails + 1))
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# agent NODE: ibvmigd on NODE as ibvmigd@ibsim0-1.service would start it: its unit's
# ExecStart with %i expanded and $IBVMIGD_OPTS split as systemd splits it, plus this
# test's options (the simulator mode; sockets in the fabric directory, since every
# simulated node's CA is ibsim0 port 1).
agent() {
	local node=$1 exec opts
	exec=$(sed -n 's/^ExecStart=//p' "$UNIT")
	exec=${exec//%i/ibsim0-1}
	# shellcheck source=/dev/null
	IBVMIGD_OPTS= && . /etc/default/ibvmigd
	opts="$IBVMIGD_OPTS --sim --check-interval 500 -s $FABRIC_DIR/vm-$node.sock"
	opts="$opts -S $FABRIC_DIR/host-$node.sock"
	exec=${exec//\$IBVMIGD_OPTS/$opts}
	# shellcheck disable=SC2086
	fabric_spawn "$node" "agent-$node" $exec >/dev/null &&
		fabric_wait_for "$FABRIC_DIR/agent-$node.out" "subscribed:" 20
}
hcli() {
	local node=$1
	shift
	/usr/bin/ibvmig-host -S "$FABRIC_DIR/host-$node.sock" "$@"
}
guest_says() { grep -Eq -- "$1" "$FABRIC_DIR/guest.out"; }

fabric_init installed || exit 1
check "the plugin is installed in the library path" test -f "$(ldconfig -p |
	sed -n 's/.*libibvmig\.so (.*) => \(.*\)$/\1/p' | head -n 1)"
fabric_start small --plugin-default || exit 1
check "OpenSM loaded the installed plugin" grep -q 'ibvmig: ibvmig .* loaded' "$FABRIC_DIR/opensm.log"
for n in hosta hostb hostc; do
	check "ibvmigd on $n, started as its unit starts it" agent "$n"
done

# The guest: the -dev package's example, built against the installed library.
check "the example builds with pkg-config" cc -o "$FABRIC_DIR/guest-example" "$EXAMPLE" \
	$(pkg-config --cflags --libs ibvmig-guest)
fabric_spawn hostb guest stdbuf -oL "$FABRIC_DIR/guest-example" -S "$FABRIC_DIR/vm-hostb.sock" \
	peer "$V" >/dev/null
lid_a=$(fabric_node_lid hosta)
lid_c=$(fabric_node_lid hostc)
check "attach at hosta (installed ibvmig-host)" hcli hosta attach --vguid $V
check "the guest's path is hosta's LID $lid_a" \
	fabric_wait_for "$FABRIC_DIR/guest.out" "^path to $V: LID $lid_a\$" 15
check "detach at hosta" hcli hosta detach --vguid $V
check "attach at hostc" hcli hostc attach --vguid $V
check "the guest applies the RePath" \
	fabric_wait_for "$FABRIC_DIR/guest.out" "^RePath for $V \\(migrated\\): applied\$" 15
check "the guest now sends to hostc's LID $lid_c" \
	fabric_wait_for "$FABRIC_DIR/guest.out" "^send to LID $lid_c\$" 15

# The admin CLI against the installed plugin.
status=$(/usr/bin/ibvmig --json status)
check "ibvmig status: the plugin's version" grep -q '"plugin_version":"ibvmig 0.1.0"' <<<"$status"
check "ibvmig status: the OpenSM it was built for" grep -q '"opensm_version":"OpenSM 3.3.23"' \
	<<<"$status"
check "ibvmig stats: one migration" grep -q '"migrated":1[,}]' <<<"$(/usr/bin/ibvmig --json stats)"
check "ibvmig -V" grep -q '^ibvmig (ibvmig) 0.1.0$' <<<"$(/usr/bin/ibvmig -V)"

fabric_stop_client guest TERM >/dev/null 2>&1
for n in hosta hostb hostc; do
	fabric_stop_client "agent-$n" TERM
	check "ibvmigd on $n exits 0 on TERM" test "$?" = 0
done
[ "$fails" = 0 ] || guest_says . || :
echo "installed-migration: $fails failed"
exit $((fails > 0))

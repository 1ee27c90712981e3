# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the SM extension's end-to-end tests: stock OpenSM WITHOUT the plugin on ibsim,
# ibvmig-smx on the node "spare" (never the SM's: under ibsim a vendor MAD to OpenSM's node
# kills it, doc/simulator.md), hypervisor agents started with --extension and VMs
# (host/tests/host-lib.sh), hosts without an agent driven with ibvmig-sa, the extension
# inspected with ibvmig -S.
. "$top_srcdir/host/tests/host-lib.sh"

SMX=$top_builddir/sm-extension/ibvmig-smx
FORGE=$top_builddir/sm-extension/tests/smx-forge
SMX_NODE=spare
SMX_GUID=0x0002c90300000061	# spare's port (test-fabric/topologies/small.net)
GUID_A=0x0002c90300000021 GUID_B=0x0002c90300000031 GUID_C=0x0002c90300000041
GUID_D=0x0002c90300000051

# smx_conf [KEY VALUE]...: the extension's configuration in $FABRIC_DIR/smx.conf: its own
# socket and state directory, a quick poll for six ports, a canary check every second.
smx_conf() {
	{
		echo "admin_socket $FABRIC_DIR/smx.sock"
		echo "state_dir $FABRIC_DIR/smx-state"
		echo "log_level verbose"
		echo "poll_rate 200"
		echo "poll_interval_ms 300"
		echo "check_interval_ms 1000"
		while [ $# -ge 2 ]; do echo "$1 $2"; shift 2; done
	} >"$FABRIC_DIR/smx.conf"
}

# stock_fabric: small.net under stock OpenSM, no plugin, with the console (slots of killed
# clients freed).
stock_fabric() { fabric_start small --console ${FABRIC_EXTRA:-}; }

# smx_start [OPTION]...: ibvmig-smx on $SMX_NODE (client "smx") with $FABRIC_DIR/smx.conf;
# returns once it has subscribed and learnt the ports.
smx_start() {
	local n=1
	# A restart keeps the earlier log as smx.out.N.
	if [ -f "$FABRIC_DIR/smx.out" ]; then
		while [ -e "$FABRIC_DIR/smx.out.$n" ]; do n=$((n + 1)); done
		mv "$FABRIC_DIR/smx.out" "$FABRIC_DIR/smx.out.$n"
	fi
	fabric_spawn "$SMX_NODE" smx "$SMX" --sim -c "$FABRIC_DIR/smx.conf" "$@" >/dev/null &&
		fabric_wait_for "$FABRIC_DIR/smx.out" "subscribed to traps 64, 65, 68, 69" 20 &&
		fabric_wait_for "$FABRIC_DIR/smx.out" "LID scan 1 done" 20
}

# smx_stop [SIGNAL]: stops the extension (TERM by default); its exit status.
smx_stop() { fabric_stop_client smx "${1:-TERM}"; }

sadmin() { "$CLI" -S "$FABRIC_DIR/smx.sock" "$@"; }
# smx_value status|stats NAME: one number (or word) of `ibvmig status` or `stats`.
smx_value() { sadmin --json "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
smx_counter() { smx_value stats "$1"; }
smx_is() { [ "$(smx_value "$1" "$2")" = "$3" ]; }

# trust_opts: the agent's option to believe the extension's notices, once it has one
# (--trust-issuer, the agents' trust of Reports); nothing before: such agents believe any.
trust_opts() {
	if "$AGENT" -h 2>/dev/null | grep -q -- --trust-issuer; then
		echo "--trust-issuer $SMX_GUID"
	fi
}
agents_trust() { "$AGENT" -h 2>/dev/null | grep -q -- --trust-issuer; }

# xagent_start NODE [OPTION]...: an agent on NODE that tells the extension.
xagent_start() {
	local node=$1
	shift
	# shellcheck disable=SC2046
	agent_start "$node" --extension "$(lid_of "$SMX_NODE")" $(trust_opts) "$@"
}

# smx_logged REGEX: how many lines of the extension's current log match.
smx_logged() { grep -cE -- "$1" "$FABRIC_DIR/smx.out" 2>/dev/null || true; }

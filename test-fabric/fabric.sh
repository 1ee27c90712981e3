# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# fabric.sh: the simulated-fabric harness every end-to-end test of ibvmig sources.
#
#	. "$top_srcdir/test-fabric/fabric.sh" || exit 1
#	fabric_init smoke                   # scratch dir, own ibsim socket name, cleanup traps
#	fabric_start small || exit 1        # ibsim + stock opensm on "sm", waits for SUBNET UP
#	fabric_saquery hosta NR 1           # a client attached to node hosta
#	# fabric_cleanup runs from the EXIT/INT/TERM/HUP traps (or call it yourself)
#
# The fabric is ibsim (one simulator process per fabric) plus stock OpenSM and the test's own
# clients, each attached to a simulated node through umad2sim (LD_PRELOAD of libumad2sim.so):
#
# - A client names its node with SIM_HOST=<node>: the node id, i.e. the quoted name in the net
#   file's record header (Hca 1 "hosta"); ibsim falls back to the node description, which our
#   topologies leave equal to the id. A client without SIM_HOST lands on the first port in the
#   file.
#   Node ids and GUIDs of each topology are listed at the top of test-fabric/topologies/*.net.
# - IBSIM_SOCKNAME names ibsim's abstract unix sockets ("<name>:ctl", "<name>:out<n>", and the
#   clients' "<name>:in<pid>"): fabric_init exports one unique per fabric, so fabrics of tests
#   run in parallel (make -j) never meet.
# - umad2sim creates ./sys-<pid> in the client's working directory: every client runs from its
#   own scratch directory under $FABRIC_DIR (node-<NODE>/ for fabric_run, spawn-<NAME>/ for
#   fabric_spawn, sm/ for OpenSM, ibsim/ for ibsim). Give clients absolute paths.
# - ibsim serves at most 10 clients at once; OpenSM is one. A client leaves its slot only when it
#   exits normally (umad2sim detaches from an atexit handler): one killed by a signal it does not
#   handle keeps the slot until ibsim next fails to write to it. Make clients exit() on SIGTERM.
#   With --console the harness frees such slots itself (fabric_reap_slots, "X <n>").
# - SA answers of more than one record (RMPP) arrive truncated under ibsim: ask single-record
#   questions (saquery NR <lid>, PathRecord by SGID and DGID). fabric_node_lid finds a node's LID
#   that way.
#
# Processes: every process the harness starts runs under a small supervisor subshell, disowned
# by the test shell (so a bare `wait` in a test never waits for harness processes), which
# records the process's PID with its start time (/proc/<pid>/stat field 22) in $FABRIC_DIR/run/
# and, when it ends, its exit status. The harness signals a process only by that PID and only
# while the start time still matches (no PID reuse accident), never by name. A watchdog process
# per fabric cleans up if the test shell dies without running its traps (SIGKILL).
#
# The library does not change the caller's shell options; it works under set -e, set -u and
# set -o pipefail. Messages go to stderr, prefixed "fabric: ". Functions return non-zero (with
# a message) when something fails. Tunables (environment): FABRIC_UP_TIMEOUT (30 s, SUBNET UP),
# FABRIC_RUN_TIMEOUT (60 s, each fabric_run; 0 = none), FABRIC_STOP_GRACE (5 s between TERM and
# KILL), FABRIC_WAIT_TIMEOUT (30 s, fabric_wait_for), FABRIC_CONSOLE_TIMEOUT (10 s),
# KEEP_FABRIC=1 (keep $FABRIC_DIR after cleanup), FABRIC_PLUGIN_DIR (where OpenSM finds the
# plugin; empty: the installed one), FABRIC_<TOOL> (see fabric-config.sh.in).
#
# API (other files rely on these names and meanings):
#   fabric_init NAME
#   fabric_start TOPOLOGY [--plugin CONF | --plugin-default] [--console] [--sm-node NODE]
#                [--osm-opt "key value"]... [--ibsim-opt ARG]...
#   fabric_sm_start | fabric_sm_stop [SIGNAL] | fabric_sm_wait_up [TIMEOUT_S] | fabric_sm_mark
#   fabric_sm_signal SIGNAL | fabric_sm_log | fabric_sm_pid
#   fabric_run NODE CMD... | fabric_spawn NODE NAME CMD... | fabric_stop_client NAME [SIGNAL]
#   fabric_client_pid NAME | fabric_wait_for FILE REGEX [TIMEOUT_S]
#   fabric_console "COMMAND" | fabric_reap_slots
#   fabric_saquery NODE ARGS... | fabric_smpquery NODE ARGS... | fabric_osmtest_inventory NODE OUT
#   fabric_nodes | fabric_node_record NODE [FROM] | fabric_node_lid NODE [FROM]
#   fabric_port_guid NODE [FROM] | fabric_pids | fabric_cleanup
#   fabric_cpu_ticks PID | fabric_thread_ticks PID NAME
# Each is described where it is defined.

# ---- where things are ------------------------------------------------------------------------

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
if [ -z "${top_builddir:-}" ]; then
	if [ -f "$PWD/test-fabric/fabric-config.sh" ]; then
		top_builddir=$PWD
	else
		top_builddir=$top_srcdir
	fi
fi
if [ ! -f "$top_builddir/test-fabric/fabric-config.sh" ]; then
	echo "fabric: $top_builddir/test-fabric/fabric-config.sh is missing: run configure" >&2
	return 1
fi
# shellcheck source=/dev/null
. "$top_builddir/test-fabric/fabric-config.sh"

: "${FABRIC_UP_TIMEOUT:=30}"
: "${FABRIC_RUN_TIMEOUT:=60}"
: "${FABRIC_STOP_GRACE:=5}"
: "${FABRIC_WAIT_TIMEOUT:=30}"
: "${FABRIC_CONSOLE_TIMEOUT:=10}"
# Where OpenSM finds the plugin: the build tree's, or with FABRIC_PLUGIN_DIR empty the
# installed one (OpenSM's dlopen searches the library path: the packages' test).
: "${FABRIC_PLUGIN_DIR=$top_builddir/osm-plugin/.libs}"

# ---- small helpers (internal: fabric__*) -----------------------------------------------------

fabric__msg()
{
	printf 'fabric: %s\n' "$*" >&2
}

# fabric__now: milliseconds since the epoch into FABRIC__NOW (no fork).
fabric__now()
{
	local t=${EPOCHREALTIME//[!0-9]/}
	FABRIC__NOW=$((10#$t / 1000))
}

# fabric__secs MS: prints MS milliseconds as seconds with two decimals.
fabric__secs()
{
	printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10))
}

# fabric__need_init: fails unless fabric_init made a fabric that is not cleaned up yet.
fabric__need_init()
{
	if [ -z "${FABRIC_DIR:-}" ] || [ ! -d "$FABRIC_DIR/run" ] ||
		[ -e "$FABRIC_DIR/run/cleaned" ]; then
		fabric__msg "${FUNCNAME[1]}: no fabric: call fabric_init first"
		return 1
	fi
	return 0
}

# fabric__abspath PATH: PATH made absolute against the caller's working directory.
fabric__abspath()
{
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

# fabric__tail FILE [N]: the last N lines of FILE on stderr, indented, if it exists.
fabric__tail()
{
	[ -s "$1" ] || return 0
	fabric__msg "--- last ${2:-15} lines of $1:"
	tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/    /' >&2 || :
	return 0
}

# ---- process records --------------------------------------------------------------------------
# $FABRIC_DIR/run/TAG.pid holds "PID STARTTIME" of a process the harness started, TAG.sup.pid
# the same for its supervisor, TAG.rc its exit status once it has ended. Tags: ibsim, opensm,
# watchdog, c.NAME (clients of fabric_spawn).

# fabric__stat FILE: the fields of a /proc stat file (proc(5)) from field 3, the state, on
# into the array FABRIC__STAT (FABRIC__STAT[0] is field 3). Field 2, the name, may hold
# spaces: the fields are counted from its closing parenthesis.
fabric__stat()
{
	local stat
	FABRIC__STAT=()
	{ read -r stat <"$1"; } 2>/dev/null || return 1
	read -ra FABRIC__STAT <<<"${stat##*) }"
}

# fabric__starttime PID: start time of a live (not zombie) process into FABRIC__ST.
fabric__starttime()
{
	FABRIC__ST=
	fabric__stat "/proc/$1/stat" || return 1
	case ${FABRIC__STAT[0]} in
	Z | X | x) return 1 ;;
	esac
	FABRIC__ST=${FABRIC__STAT[19]}	# field 22
	return 0
}

# fabric__record TAG PID: remember PID (and its start time) under TAG.
fabric__record()
{
	local f=$FABRIC_DIR/run/$1.pid
	fabric__starttime "$2" || FABRIC__ST=-
	printf '%s %s\n' "$2" "$FABRIC__ST" >"$f.new" && mv -f "$f.new" "$f"
}

# fabric__pid TAG: prints the recorded PID of TAG.
fabric__pid()
{
	local pid st
	[ -n "${FABRIC_DIR:-}" ] && [ -f "$FABRIC_DIR/run/$1.pid" ] || return 1
	read -r pid st <"$FABRIC_DIR/run/$1.pid" || return 1
	printf '%s\n' "$pid"
}

# fabric__alive TAG: true while the process recorded under TAG runs (same PID, same start time).
fabric__alive()
{
	local pid st
	[ -n "${FABRIC_DIR:-}" ] && [ -f "$FABRIC_DIR/run/$1.pid" ] || return 1
	read -r pid st <"$FABRIC_DIR/run/$1.pid" 2>/dev/null || return 1
	fabric__starttime "$pid" || return 1
	[ "$FABRIC__ST" = "$st" ]
}

# fabric__wait_gone TAG TIMEOUT_S: waits until TAG's process has ended; false on timeout.
fabric__wait_gone()
{
	local deadline
	fabric__now
	deadline=$((FABRIC__NOW + $2 * 1000))
	while fabric__alive "$1"; do
		fabric__now
		[ "$FABRIC__NOW" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	return 0
}

# fabric__wait_file FILE TIMEOUT_S: waits until FILE exists and is not empty.
fabric__wait_file()
{
	local deadline
	fabric__now
	deadline=$((FABRIC__NOW + $2 * 1000))
	until [ -s "$1" ]; do
		fabric__now
		[ "$FABRIC__NOW" -lt "$deadline" ] || return 1
		sleep 0.02
	done
	return 0
}

# fabric__supervise TAG DIR OUT IN CMD...: runs in the background, detached from the test
# shell: starts CMD in DIR (stdin IN, stdout+stderr OUT), records its PID, waits for it and
# records its exit status.
fabric__supervise()
{
	local tag=$1 dir=$2 out=$3 in=$4 run=$FABRIC_DIR/run pid rc
	shift 4
	# A Ctrl-C or a hang-up reaches the whole process group: the supervisor outlives it to
	# record the status (a handler, not SIG_IGN, so that CMD starts with the default action).
	trap - EXIT TERM
	trap ':' INT HUP
	set +e
	# The console FIFO's write end belongs to the test shell alone.
	if [ -n "${FABRIC__CONSOLE_FD:-}" ]; then
		exec {FABRIC__CONSOLE_FD}>&-
	fi
	fabric__record "$tag.sup" "$BASHPID"
	if ! cd "$dir"; then
		echo 126 >"$run/$tag.rc"
		return
	fi
	"$@" <"$in" >"$out" 2>&1 &
	pid=$!
	fabric__record "$tag" "$pid"
	wait "$pid"
	rc=$?
	# A trapped signal interrupts wait (status > 128) while CMD still runs.
	while [ "$rc" -gt 128 ] && fabric__starttime "$pid"; do
		wait "$pid"
		rc=$?
	done
	if [ "$rc" -gt 128 ]; then
		wait "$pid" 2>/dev/null
		pid=$?
		[ "$pid" = 127 ] || rc=$pid
	fi
	printf '%s\n' "$rc" >"$run/$tag.rc.new" && mv -f "$run/$tag.rc.new" "$run/$tag.rc"
}

# fabric__launch TAG DIR OUT IN CMD...: starts CMD under a supervisor; returns once its PID is
# recorded.
fabric__launch()
{
	local tag=$1 run=$FABRIC_DIR/run
	rm -f "$run/$tag.pid" "$run/$tag.rc" "$run/$tag.sup.pid"
	# Disowned: a bare `wait` in a test does not wait for it; bash still reaps it when it ends.
	fabric__supervise "$@" </dev/null >/dev/null 2>&1 &
	disown "$!"
	if ! fabric__wait_file "$run/$tag.pid" 10; then
		fabric__msg "could not start $tag ($5)"
		return 1
	fi
	return 0
}

# fabric__stop TAG [SIGNAL [GRACE_S]]: sends SIGNAL (default TERM) to TAG's process, KILL after
# GRACE_S seconds, waits for it; returns its exit status (255 if unknown, 127 if TAG never ran).
fabric__stop()
{
	local tag=$1 sig=${2:-TERM} grace=${3:-$FABRIC_STOP_GRACE} pid rc run=$FABRIC_DIR/run
	sig=${sig#SIG}
	pid=$(fabric__pid "$tag") || return 127
	if fabric__alive "$tag"; then
		kill -s "$sig" "$pid" 2>/dev/null || :
		if ! fabric__wait_gone "$tag" "$grace" && [ "$sig" != KILL ] && [ "$sig" != 9 ]; then
			fabric__msg "$tag (pid $pid) still runs ${grace}s after SIG$sig: sending KILL"
			if fabric__alive "$tag"; then
				kill -s KILL "$pid" 2>/dev/null || :
			fi
			fabric__wait_gone "$tag" 5 || :
		fi
	fi
	if fabric__alive "$tag"; then
		fabric__msg "$tag (pid $pid) could not be stopped"
		return 255
	fi
	# The supervisor writes the status right after reaping the process.
	if [ -f "$run/$tag.sup.pid" ]; then
		fabric__wait_gone "$tag.sup" 5 || :
	fi
	rc=255
	if [ -f "$run/$tag.rc" ]; then
		read -r rc <"$run/$tag.rc" || rc=255
	fi
	return "$rc"
}

# ---- the watchdog -----------------------------------------------------------------------------

# fabric__watchdog OWNER OWNER_START: runs detached; if the shell that ran fabric_init dies
# without cleaning up (SIGKILL), stops the fabric's processes and removes $FABRIC_DIR.
fabric__watchdog()
{
	local owner=$1 owner_st=$2 fifo=$FABRIC_DIR/run/watchdog.fifo fd
	trap - EXIT
	trap ':' INT HUP
	trap 'exit 0' TERM
	set +e
	fabric__record watchdog "$BASHPID"
	# read -t on a FIFO nobody writes: a one-second sleep that TERM interrupts, without a fork.
	mkfifo "$fifo" && exec {fd}<>"$fifo" && rm -f "$fifo" || return
	while [ -d "$FABRIC_DIR/run" ] && [ ! -e "$FABRIC_DIR/run/cleaned" ]; do
		if ! fabric__starttime "$owner" || [ "$FABRIC__ST" != "$owner_st" ]; then
			fabric__stop_all nowatchdog
			[ -d "$FABRIC_DIR/run" ] && : >"$FABRIC_DIR/run/cleaned"
			[ "${KEEP_FABRIC:-0}" = 1 ] || rm -rf "$FABRIC_DIR"
			return
		fi
		read -r -t 1 -u "$fd" _
	done
}

# ---- set-up -----------------------------------------------------------------------------------

# fabric_init NAME: creates the scratch directory $FABRIC_DIR (exported), exports a unique
# IBSIM_SOCKNAME, and installs EXIT/INT/TERM/HUP traps that call fabric_cleanup. An EXIT trap
# the script set before still runs, after the clean-up (not in a subshell: there it is lost);
# one set after fabric_init replaces the harness's (define fabric_cleanup_hook instead: it runs
# before the clean-up). One fabric at a time per shell: fabric_cleanup, then fabric_init again,
# or run a second fabric in a subshell.
fabric_init()
{
	local name=${1:-fabric} owner_st prev
	if [ -n "${FABRIC_DIR:-}" ] && [ -d "$FABRIC_DIR/run" ] &&
		[ ! -e "$FABRIC_DIR/run/cleaned" ] && [ "${FABRIC__OWNER:-}" = "$BASHPID" ]; then
		fabric__msg "fabric_init: $FABRIC_DIR is still in use: fabric_cleanup first"
		return 1
	fi
	name=${name//[^A-Za-z0-9_-]/_}
	name=${name:0:40}
	FABRIC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ibvmig-$name.XXXXXX") || {
		fabric__msg "fabric_init: mktemp failed"
		return 1
	}
	mkdir "$FABRIC_DIR/run" || return 1
	export FABRIC_DIR
	FABRIC_NAME=$name
	export IBSIM_SOCKNAME="ibvmig-$name-${FABRIC_DIR##*.}-$BASHPID"
	FABRIC__OWNER=$BASHPID
	FABRIC__CONSOLE_FD=
	FABRIC__PLUGIN=0
	FABRIC__NODES=
	FABRIC_SM_NODE=
	FABRIC_NETFILE=
	# Chain the caller's EXIT trap (not our own, from an earlier fabric of this shell). Only in
	# the script's own shell: a subshell lists its parent's traps, which it does not run.
	if [ "$BASHPID" = "$$" ]; then
		prev=$(trap -p EXIT)
		if [ -n "$prev" ]; then
			eval "set -- $prev"
			[ "$3" = fabric__on_exit ] || FABRIC__PREV_EXIT=$3
		fi
	else
		FABRIC__PREV_EXIT=
	fi
	trap 'fabric__on_exit' EXIT
	trap 'fabric__msg "SIGINT: cleaning up"; exit 130' INT
	trap 'fabric__msg "SIGTERM: cleaning up"; exit 143' TERM
	trap 'fabric__msg "SIGHUP: cleaning up"; exit 129' HUP
	fabric__starttime "$BASHPID" || return 1
	owner_st=$FABRIC__ST
	fabric__watchdog "$FABRIC__OWNER" "$owner_st" </dev/null >/dev/null 2>&1 &
	disown "$!"
	if ! fabric__wait_file "$FABRIC_DIR/run/watchdog.pid" 10; then
		fabric__msg "fabric_init: the watchdog did not start"
		return 1
	fi
	return 0
}

# fabric_nodes: the node ids of the current topology, one per line (Switch/Hca/Ca/Rt records;
# "include"d files are not followed).
fabric_nodes()
{
	fabric__need_init || return 1
	[ -n "$FABRIC_NETFILE" ] || {
		fabric__msg "fabric_nodes: no topology: fabric_start first"
		return 1
	}
	sed -n 's/^\(Switch\|Hca\|Ca\|Rt\)[^"]*"\([^"]*\)".*/\2/p' "$FABRIC_NETFILE"
}

# fabric__check_node NODE: fails with a message unless NODE is a node of the topology.
fabric__check_node()
{
	[ -n "$FABRIC__NODES" ] || return 0
	case " $FABRIC__NODES " in
	*" $1 "*) return 0 ;;
	esac
	fabric__msg "${FUNCNAME[1]}: no node \"$1\" in $FABRIC_NETFILE (nodes:$FABRIC__NODES)"
	return 1
}

# fabric__unix_bound NAME: true once an abstract unix socket NAME is bound.
fabric__unix_bound()
{
	grep -qE "[[:space:]]@$1@?\$" /proc/net/unix
}

# fabric_start TOPOLOGY [options]: starts ibsim on TOPOLOGY (a name under
# test-fabric/topologies/ without .net, or a path to a net file), writes
# $FABRIC_DIR/opensm.conf, starts stock OpenSM on the SM node and waits for SUBNET UP.
#   --plugin CONF      load ibvmig's event plugin from $FABRIC_PLUGIN_DIR (the build tree's
#                      osm-plugin/.libs; empty: the installed one) with
#                      event_plugin_options CONF (made absolute)
#   --plugin-default   load the plugin without an options file
#   --console          ibsim keeps its console, read from a FIFO (see fabric_console)
#   --sm-node NODE     OpenSM's node (default: the topology's "# fabric-sm: NODE" line, else a
#                      node named sm, else the first HCA)
#   --osm-opt "k v"    a line appended to opensm.conf (a later line overrides an earlier one)
#   --ibsim-opt ARG    an extra ibsim argument, e.g. --ibsim-opt -N --ibsim-opt 4096
fabric_start()
{
	local topo='' console=0 plugin=0 plugin_conf='' sm='' a netfile libdir
	local -a osm_opts=() ibsim_args=()
	fabric__need_init || return 1
	if fabric__alive ibsim; then
		fabric__msg "fabric_start: this fabric is already started"
		return 1
	fi
	while [ $# -gt 0 ]; do
		case $1 in
		--plugin)
			[ $# -ge 2 ] || { fabric__msg "fabric_start: --plugin needs a file"; return 1; }
			plugin=1
			plugin_conf=$(fabric__abspath "$2")
			shift
			;;
		--plugin-default) plugin=1 plugin_conf= ;;
		--console) console=1 ;;
		--sm-node)
			[ $# -ge 2 ] || { fabric__msg "fabric_start: --sm-node needs a node"; return 1; }
			sm=$2
			shift
			;;
		--osm-opt)
			[ $# -ge 2 ] || { fabric__msg "fabric_start: --osm-opt needs \"key value\""; return 1; }
			osm_opts+=("$2")
			shift
			;;
		--ibsim-opt)
			[ $# -ge 2 ] || { fabric__msg "fabric_start: --ibsim-opt needs an argument"; return 1; }
			ibsim_args+=("$2")
			shift
			;;
		-*)
			fabric__msg "fabric_start: unknown option $1"
			return 1
			;;
		*)
			[ -z "$topo" ] || { fabric__msg "fabric_start: two topologies: $topo, $1"; return 1; }
			topo=$1
			;;
		esac
		shift
	done
	[ -n "$topo" ] || { fabric__msg "fabric_start: no topology given"; return 1; }

	# The topology.
	if [[ $topo != */* ]] && [ -f "$top_srcdir/test-fabric/topologies/$topo.net" ]; then
		netfile=$top_srcdir/test-fabric/topologies/$topo.net
	elif [ -f "$topo" ]; then
		netfile=$(fabric__abspath "$topo")
	else
		fabric__msg "fabric_start: no topology \"$topo\" (neither a file nor one of:" \
			"$(cd "$top_srcdir/test-fabric/topologies" 2>/dev/null &&
				for a in *.net; do printf '%s ' "${a%.net}"; done))"
		return 1
	fi
	FABRIC_NETFILE=$netfile
	FABRIC__NODES=" $(fabric_nodes | tr '\n' ' ')"
	FABRIC__NODES=${FABRIC__NODES% }
	if [ -z "$sm" ]; then
		sm=$(sed -n 's/^#[[:space:]]*fabric-sm:[[:space:]]*\([^[:space:]]*\).*/\1/p;T;q' \
			"$netfile")
	fi
	if [ -z "$sm" ]; then
		case " $FABRIC__NODES " in
		*" sm "*) sm=sm ;;
		*) sm=$(sed -n 's/^\(Hca\|Ca\)[^"]*"\([^"]*\)".*/\2/p;T;q' "$netfile") ;;
		esac
	fi
	[ -n "$sm" ] || { fabric__msg "fabric_start: no SM node in $netfile"; return 1; }
	fabric__check_node "$sm" || return 1
	FABRIC_SM_NODE=$sm

	# The plugin.
	FABRIC__PLUGIN=$plugin
	if [ "$plugin" = 1 ] && [ -n "$FABRIC_PLUGIN_DIR" ]; then
		libdir=$FABRIC_PLUGIN_DIR
		if [ ! -f "$libdir/libibvmig.so" ]; then
			fabric__msg "fabric_start: $libdir/libibvmig.so is not built"
			return 1
		fi
	fi

	fabric__now
	FABRIC__T0=$FABRIC__NOW
	fabric__start_ibsim "$netfile" "$console" "${ibsim_args[@]}" || return 1

	# OpenSM's configuration: everything it writes stays in $FABRIC_DIR; nothing is read
	# from /etc/opensm.
	{
		echo "# written by test-fabric/fabric.sh for $FABRIC_NAME"
		echo "log_file $FABRIC_DIR/opensm.log"
		echo "force_log_flush TRUE"
		echo "accum_log_file TRUE"
		echo "dump_files_dir $FABRIC_DIR/"
		echo "partition_config_file $FABRIC_DIR/partitions.conf"
		echo "per_module_logging_file $FABRIC_DIR/per-module-logging.conf"
		echo "qos_policy_file $FABRIC_DIR/qos-policy.conf"
		echo "prefix_routes_file $FABRIC_DIR/prefix-routes.conf"
		echo "torus_config $FABRIC_DIR/torus-2QoS.conf"
		# A light sweep every 3 s catches a change whose trap got lost; traps (port up/down,
		# trap 128) start a heavy sweep at once.
		echo "sweep_interval 3"
		echo "sweep_on_trap TRUE"
		if [ "$plugin" = 1 ]; then
			echo "event_plugin_name ibvmig"
			[ -z "$plugin_conf" ] || echo "event_plugin_options $plugin_conf"
		fi
		for a in "${osm_opts[@]}"; do
			printf '%s\n' "$a"
		done
	} >"$FABRIC_DIR/opensm.conf"

	fabric_sm_start || return 1
	fabric_sm_wait_up "$FABRIC_UP_TIMEOUT" || return 1
	fabric__now
	a="without plugin"
	[ "$plugin" = 0 ] || a="with plugin${plugin_conf:+ $plugin_conf}"
	fabric__msg "$FABRIC_NAME: ${netfile##*/} up $(fabric__secs $((FABRIC__NOW - FABRIC__T0)))s" \
		"after ibsim start (OpenSM on $sm, $a)"
	return 0
}

# fabric__start_ibsim NETFILE CONSOLE [ARGS...]
fabric__start_ibsim()
{
	local netfile=$1 console=$2 in=/dev/null deadline
	local -a args=(-s)
	shift 2
	mkdir -p "$FABRIC_DIR/ibsim" || return 1
	if [ "$console" = 1 ]; then
		mkfifo "$FABRIC_DIR/ibsim.fifo" || return 1
		# Read-write: opening never blocks, and the FIFO never reaches end of file while this
		# shell lives (ibsim spins at 100% CPU on EOF of its console).
		exec {FABRIC__CONSOLE_FD}<>"$FABRIC_DIR/ibsim.fifo" || return 1
		in=$FABRIC_DIR/ibsim.fifo
	else
		args+=(-n)
	fi
	args+=("$@" "$netfile")
	fabric__launch ibsim "$FABRIC_DIR/ibsim" "$FABRIC_DIR/ibsim.out" "$in" \
		"$FABRIC_IBSIM" "${args[@]}" || return 1
	# ibsim binds "<name>:ctl" just before it serves: a client may attach from then on.
	fabric__now
	deadline=$((FABRIC__NOW + 10000))
	until fabric__unix_bound "$IBSIM_SOCKNAME:ctl"; do
		if ! fabric__alive ibsim; then
			fabric__msg "ibsim exited at start ($FABRIC_IBSIM ${args[*]})"
			fabric__tail "$FABRIC_DIR/ibsim.out"
			return 1
		fi
		fabric__now
		if [ "$FABRIC__NOW" -ge "$deadline" ]; then
			fabric__msg "ibsim did not bind @$IBSIM_SOCKNAME:ctl within 10s"
			fabric__tail "$FABRIC_DIR/ibsim.out"
			return 1
		fi
		sleep 0.02
	done
	return 0
}

# ---- clients ----------------------------------------------------------------------------------

# fabric__as_client NODE CMD...: in a subshell or a child: attaches the environment of an ibsim
# client of NODE and runs CMD (exec for a program, so that the PID stays CMD's).
fabric__as_client()
{
	local node=$1
	shift
	export LD_PRELOAD="$FABRIC_UMAD2SIM${LD_PRELOAD:+ $LD_PRELOAD}" SIM_HOST=$node IBSIM_SOCKNAME
	unset SIM_SET_ISSM IBSIM_SERVER_NAME IBSIM_SERVER_PORT
	if declare -F -- "$1" >/dev/null; then
		"$@"
		return
	fi
	exec "$@"
}

# fabric_run NODE CMD...: runs CMD in the foreground as a client attached to NODE, from
# $FABRIC_DIR/node-NODE; returns CMD's exit status (124 if FABRIC_RUN_TIMEOUT ran out). CMD may
# be a program or a shell function (functions get no timeout).
fabric_run()
{
	local node=${1:-}
	fabric__need_init || return 1
	[ $# -ge 2 ] || { fabric__msg "usage: fabric_run NODE CMD..."; return 1; }
	fabric__check_node "$node" || return 1
	shift
	mkdir -p "$FABRIC_DIR/node-$node" || return 1
	(
		cd "$FABRIC_DIR/node-$node" || exit 1
		if [ -n "${FABRIC__CONSOLE_FD:-}" ]; then
			exec {FABRIC__CONSOLE_FD}>&-
		fi
		if ! declare -F -- "$1" >/dev/null && [ "$FABRIC_RUN_TIMEOUT" != 0 ]; then
			fabric__as_client "$node" timeout --foreground -k 5 "$FABRIC_RUN_TIMEOUT" "$@"
		else
			fabric__as_client "$node" "$@"
		fi
	)
	local rc=$?
	if [ "$rc" = 124 ] && [ "$FABRIC_RUN_TIMEOUT" != 0 ]; then
		fabric__msg "fabric_run $node $1: no end within ${FABRIC_RUN_TIMEOUT}s (killed)"
	fi
	return "$rc"
}

# fabric_spawn NODE NAME CMD...: starts CMD in the background as a client attached to NODE, from
# $FABRIC_DIR/spawn-NAME, stdout+stderr to $FABRIC_DIR/NAME.out; prints its PID. NAME
# ([A-Za-z0-9_.-], not ibsim or opensm) is how fabric_stop_client refers to it.
fabric_spawn()
{
	local node=${1:-} name=${2:-} n=0 f
	fabric__need_init || return 1
	[ $# -ge 3 ] || { fabric__msg "usage: fabric_spawn NODE NAME CMD..."; return 1; }
	shift 2
	fabric__check_node "$node" || return 1
	case $name in
	'' | *[!A-Za-z0-9_.-]* | ibsim | opensm | .*)
		fabric__msg "fabric_spawn: bad client name \"$name\""
		return 1
		;;
	esac
	if fabric__alive "c.$name"; then
		fabric__msg "fabric_spawn: a client named $name is running"
		return 1
	fi
	# ibsim serves 10 clients; OpenSM is one of them.
	for f in "$FABRIC_DIR"/run/c.*.pid "$FABRIC_DIR/run/opensm.pid"; do
		f=${f##*/}
		f=${f%.pid}
		case $f in *.sup) continue ;; esac
		if fabric__alive "$f"; then
			n=$((n + 1))
		fi
	done
	if [ "$n" -ge 10 ]; then
		fabric__msg "fabric_spawn: $n clients attached already (ibsim serves 10)"
		return 1
	fi
	mkdir -p "$FABRIC_DIR/spawn-$name" || return 1
	fabric__launch "c.$name" "$FABRIC_DIR/spawn-$name" "$FABRIC_DIR/$name.out" /dev/null \
		fabric__as_client "$node" "$@" || return 1
	fabric__pid "c.$name"
}

# fabric_client_pid NAME: prints the PID of spawned client NAME.
fabric_client_pid()
{
	fabric__need_init || return 1
	fabric__pid "c.${1:-}" || {
		fabric__msg "fabric_client_pid: no client named ${1:-}"
		return 1
	}
}

# fabric_stop_client NAME [SIGNAL]: stops spawned client NAME (SIGNAL, default TERM; KILL after
# FABRIC_STOP_GRACE seconds) and waits for it; returns its exit status (128+n if a signal n
# ended it). A client that had already ended just gives its status.
fabric_stop_client()
{
	local name=${1:-} rc
	fabric__need_init || return 1
	if [ ! -f "$FABRIC_DIR/run/c.$name.pid" ]; then
		fabric__msg "fabric_stop_client: no client named $name"
		return 127
	fi
	fabric__stop "c.$name" "${2:-TERM}"
	rc=$?
	if [ -n "$FABRIC__CONSOLE_FD" ]; then
		fabric_reap_slots >/dev/null || :
	fi
	return "$rc"
}

# fabric_wait_for FILE REGEX [TIMEOUT_S]: waits until a line of FILE matches REGEX (grep -E);
# non-zero with a message (and FILE's tail) on timeout.
fabric_wait_for()
{
	local file=${1:-} re=${2:-} timeout=${3:-$FABRIC_WAIT_TIMEOUT} deadline
	if [ -z "$file" ] || [ -z "$re" ]; then
		fabric__msg "usage: fabric_wait_for FILE REGEX [TIMEOUT_S]"
		return 1
	fi
	fabric__now
	deadline=$((FABRIC__NOW + timeout * 1000))
	until grep -qE -- "$re" "$file" 2>/dev/null; do
		fabric__now
		if [ "$FABRIC__NOW" -ge "$deadline" ]; then
			fabric__msg "no line matching /$re/ in $file within ${timeout}s"
			fabric__tail "$file" 10
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# ---- OpenSM -----------------------------------------------------------------------------------

# fabric_sm_start: (re)starts OpenSM on the SM node with $FABRIC_DIR/opensm.conf; does not wait
# for SUBNET UP (fabric_sm_wait_up does). The previous log moves to opensm.log.N (N = 1, 2...);
# the current log is always $FABRIC_DIR/opensm.log. OSM_CACHE_DIR ($FABRIC_DIR/cache, guid2lid)
# survives restarts.
fabric_sm_start()
{
	local n=1 env
	fabric__need_init || return 1
	if [ ! -f "$FABRIC_DIR/opensm.conf" ]; then
		fabric__msg "fabric_sm_start: no opensm.conf: fabric_start first"
		return 1
	fi
	if fabric__alive opensm; then
		fabric__msg "fabric_sm_start: OpenSM runs already (pid $(fabric__pid opensm))"
		return 1
	fi
	if [ -e "$FABRIC_DIR/opensm.log" ] || [ -e "$FABRIC_DIR/opensm.out" ]; then
		while [ -e "$FABRIC_DIR/opensm.log.$n" ] || [ -e "$FABRIC_DIR/opensm.out.$n" ]; do
			n=$((n + 1))
		done
		[ ! -e "$FABRIC_DIR/opensm.log" ] || mv "$FABRIC_DIR/opensm.log" "$FABRIC_DIR/opensm.log.$n"
		[ ! -e "$FABRIC_DIR/opensm.out" ] || mv "$FABRIC_DIR/opensm.out" "$FABRIC_DIR/opensm.out.$n"
	fi
	fabric__free_sm_slot
	echo 0 >"$FABRIC_DIR/run/sm.mark"
	mkdir -p "$FABRIC_DIR/sm" "$FABRIC_DIR/cache" || return 1
	env=(OSM_TMP_DIR="$FABRIC_DIR" OSM_CACHE_DIR="$FABRIC_DIR/cache")
	if [ "$FABRIC__PLUGIN" = 1 ] && [ -n "$FABRIC_PLUGIN_DIR" ]; then
		env+=(LD_LIBRARY_PATH="$FABRIC_PLUGIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
	fi
	fabric__now
	echo "$FABRIC__NOW start" >"$FABRIC_DIR/run/sm.t0"
	fabric__launch opensm "$FABRIC_DIR/sm" "$FABRIC_DIR/opensm.out" /dev/null \
		fabric__as_client "$FABRIC_SM_NODE" env "${env[@]}" \
		"$FABRIC_OPENSM" -F "$FABRIC_DIR/opensm.conf"
}

# fabric__free_sm_slot: an OpenSM that a signal ended (SIGKILL, a crash) never detached from
# ibsim: its slot stays, still marked SM, and ibsim hands the next SA request for the SM node to
# that dead client (ibsim bounces it: saquery fails at once, whatever its -t) before it notices
# and frees the slot (doc/simulator.md, "Client Slots"). Free it before a new OpenSM starts:
# with the console, "X <n>"; without, one throwaway SA query that ibsim fails to deliver.
fabric__free_sm_slot()
{
	local rc=0
	[ -f "$FABRIC_DIR/run/opensm.pid" ] || return 0
	[ ! -f "$FABRIC_DIR/run/opensm.rc" ] || read -r rc <"$FABRIC_DIR/run/opensm.rc" || rc=0
	[ "$rc" -ge 128 ] || return 0
	if [ -n "$FABRIC__CONSOLE_FD" ]; then
		fabric_reap_slots >/dev/null || :
	else
		FABRIC_RUN_TIMEOUT=10 fabric_run "$FABRIC_SM_NODE" "$FABRIC_SAQUERY" -t 100 NR 1 \
			>/dev/null 2>&1 || :
	fi
	return 0
}

# fabric_sm_mark: from now on fabric_sm_wait_up waits for a SUBNET UP logged after this call
# (e.g. the heavy sweep after a HUP or a link change).
fabric_sm_mark()
{
	local n
	fabric__need_init || return 1
	n=$(grep -c 'SUBNET UP' "$FABRIC_DIR/opensm.log" 2>/dev/null || :)
	echo "${n:-0}" >"$FABRIC_DIR/run/sm.mark"
	fabric__now
	echo "$FABRIC__NOW mark" >"$FABRIC_DIR/run/sm.t0"
}

# fabric_sm_wait_up [TIMEOUT_S]: waits until the current OpenSM log shows a SUBNET UP logged
# since the last (re)start (or fabric_sm_mark). Fails at once if OpenSM exits, and if the
# plugin was asked for but OpenSM could not load it.
fabric_sm_wait_up()
{
	local timeout=${1:-$FABRIC_UP_TIMEOUT} log mark=0 n t0 since deadline rc
	fabric__need_init || return 1
	log=$FABRIC_DIR/opensm.log
	read -r mark <"$FABRIC_DIR/run/sm.mark" 2>/dev/null || mark=0
	fabric__now
	deadline=$((FABRIC__NOW + timeout * 1000))
	while :; do
		n=$(grep -c 'SUBNET UP' "$log" 2>/dev/null || :)
		[ "${n:-0}" -le "$mark" ] || break
		if ! fabric__alive opensm; then
			rc='?'
			[ ! -f "$FABRIC_DIR/run/opensm.rc" ] || read -r rc <"$FABRIC_DIR/run/opensm.rc"
			fabric__msg "OpenSM is not running (exit status $rc) and logged no new SUBNET UP"
			fabric__tail "$FABRIC_DIR/opensm.out"
			fabric__tail "$log"
			return 1
		fi
		fabric__now
		if [ "$FABRIC__NOW" -ge "$deadline" ]; then
			fabric__msg "no SUBNET UP in $log within ${timeout}s"
			fabric__tail "$log"
			return 1
		fi
		sleep 0.05
	done
	if [ "$FABRIC__PLUGIN" = 1 ] && grep -qE \
		'Failed to open event plugin|Failed to find "osm_event_plugin"|Error loading plugin' \
		"$log"; then
		fabric__msg "OpenSM did not load the ibvmig plugin:"
		grep -E 'event plugin|Error loading plugin' "$log" | sed 's/^/    /' >&2 || :
		return 1
	fi
	read -r t0 since <"$FABRIC_DIR/run/sm.t0" 2>/dev/null || t0=$FABRIC__NOW
	case $since in
	mark) since=fabric_sm_mark ;;
	*) since="OpenSM (re)start" ;;
	esac
	fabric__now
	fabric__msg "SUBNET UP $(fabric__secs $((FABRIC__NOW - t0)))s after $since" \
		"(pid $(fabric__pid opensm || :))"
	return 0
}

# fabric_sm_stop [SIGNAL]: stops OpenSM (SIGNAL default TERM, KILL allowed; KILL after
# FABRIC_STOP_GRACE s) by its PID and waits for it. Returns 0 once it is gone, 1 if it was not
# running; its exit status is left in FABRIC_SM_STATUS.
fabric_sm_stop()
{
	fabric__need_init || return 1
	if ! fabric__alive opensm; then
		fabric__msg "fabric_sm_stop: OpenSM is not running"
		return 1
	fi
	fabric__stop opensm "${1:-TERM}" 10
	# shellcheck disable=SC2034 # for the caller
	FABRIC_SM_STATUS=$?
	if fabric__alive opensm; then
		return 1
	fi
	if [ -n "$FABRIC__CONSOLE_FD" ]; then
		fabric_reap_slots >/dev/null || :
	fi
	return 0
}

# fabric_sm_signal SIGNAL: sends SIGNAL (e.g. HUP: re-read the configuration, heavy sweep) to
# OpenSM.
fabric_sm_signal()
{
	fabric__need_init || return 1
	fabric__alive opensm || { fabric__msg "fabric_sm_signal: OpenSM is not running"; return 1; }
	kill -s "${1#SIG}" "$(fabric__pid opensm)"
}

# fabric_sm_log: the path of the current OpenSM log.
fabric_sm_log()
{
	fabric__need_init || return 1
	printf '%s\n' "$FABRIC_DIR/opensm.log"
}

# fabric_sm_pid: OpenSM's PID (the last one started).
fabric_sm_pid()
{
	fabric__need_init || return 1
	fabric__pid opensm || { fabric__msg "fabric_sm_pid: OpenSM never started"; return 1; }
}

# ---- CPU time of a process -------------------------------------------------------------------
# proc(5): /proc/PID/stat fields 14 and 15 are utime and stime, in clock ticks (USER_HZ,
# getconf CLK_TCK: 100 a second); the process's file sums all its threads, a thread's own file
# /proc/PID/task/TID/stat counts that thread alone.

# fabric__stat_ticks FILE: utime + stime of a stat file into FABRIC__TICKS.
fabric__stat_ticks()
{
	FABRIC__TICKS=
	fabric__stat "$1" || return 1
	FABRIC__TICKS=$((FABRIC__STAT[11] + FABRIC__STAT[12]))
}

# fabric_cpu_ticks PID: the clock ticks of CPU (user + system) PID has used so far, all its
# threads. Non-zero if PID is gone.
fabric_cpu_ticks()
{
	fabric__stat_ticks "/proc/${1:-}/stat" || {
		fabric__msg "fabric_cpu_ticks: no process ${1:-}"
		return 1
	}
	echo "$FABRIC__TICKS"
}

# fabric_thread_ticks PID NAME: the clock ticks of CPU (user + system) the threads of PID
# named NAME (/proc/PID/task/TID/comm, pthread_setname_np) have used so far; 0 if it has none
# such (no plugin loaded, or the thread ended).
fabric_thread_ticks()
{
	local t comm n=0
	for t in /proc/"${1:-}"/task/*; do
		{ read -r comm <"$t/comm"; } 2>/dev/null || continue
		[ "$comm" = "${2:-}" ] || continue
		fabric__stat_ticks "$t/stat" || continue
		n=$((n + FABRIC__TICKS))
	done
	echo "$n"
}

# ---- the ibsim console ------------------------------------------------------------------------

# fabric_console "COMMAND": sends one line to ibsim's console (fabric_start --console) and waits
# until ibsim has run it; prints what the command printed. Non-zero if ibsim reported an error
# ("# ..." lines, unknown command). Examples: 'Unlink "hostc"[1]', 'Link "hostc"[1] "sw2"[1]',
# 'ReLink "hostc"', 'Attached'.
fabric_console()
{
	local cmd=${1:-} out size new deadline
	fabric__need_init || return 1
	if [ -z "${FABRIC__CONSOLE_FD:-}" ]; then
		fabric__msg "fabric_console: ibsim has no console (fabric_start --console)"
		return 1
	fi
	fabric__alive ibsim || { fabric__msg "fabric_console: ibsim is not running"; return 1; }
	out=$FABRIC_DIR/ibsim.out
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	printf '%s\n' "$cmd" >&"$FABRIC__CONSOLE_FD" || return 1
	# ibsim prints its prompt "sim> " once it has run the command.
	fabric__now
	deadline=$((FABRIC__NOW + FABRIC_CONSOLE_TIMEOUT * 1000))
	while :; do
		new=$(tail -c +$((size + 1)) "$out" 2>/dev/null || :)
		[[ $new != *"sim> "* ]] || break
		fabric__now
		if [ "$FABRIC__NOW" -ge "$deadline" ] || ! fabric__alive ibsim; then
			fabric__msg "fabric_console: ibsim did not finish \"$cmd\""
			fabric__tail "$out" 5
			return 1
		fi
		sleep 0.02
	done
	new=${new%"sim> "*}
	while [[ $new == *$'\n' ]]; do
		new=${new%$'\n'}
	done
	[ -z "$new" ] || printf '%s\n' "$new"
	case $cmd in
	'#'*) return 0 ;;
	esac
	if [[ $'\n'$new == *$'\n# '* || $new == *"unknown - skipped"* || $new == *"bad param"* ]]; then
		fabric__msg "fabric_console: ibsim refused \"$cmd\""
		return 1
	fi
	return 0
}

# fabric_reap_slots: (console only) frees the ibsim client slots of processes that died without
# detaching ("X <n>" for each "Attached" client whose PID is gone); prints how many.
fabric_reap_slots()
{
	local line id pid n=0 list
	fabric__need_init || return 1
	list=$(fabric_console Attached) || return 1
	while IFS= read -r line; do
		[[ $line =~ Client\ ([0-9]+):\ pid\ ([0-9]+) ]] || continue
		id=${BASH_REMATCH[1]}
		pid=${BASH_REMATCH[2]}
		if ! fabric__starttime "$pid"; then
			fabric_console "X $id" >/dev/null || return 1
			n=$((n + 1))
		fi
	done <<<"$list"
	echo "$n"
}

# ---- peer tools -------------------------------------------------------------------------------

# fabric_saquery NODE ARGS...: saquery as a client of NODE.
fabric_saquery()
{
	local node=${1:-}
	shift || :
	fabric_run "$node" "$FABRIC_SAQUERY" "$@"
}

# fabric_smpquery NODE ARGS...: smpquery as a client of NODE.
fabric_smpquery()
{
	local node=${1:-}
	shift || :
	fabric_run "$node" "$FABRIC_SMPQUERY" "$@"
}

# fabric_osmtest_inventory NODE OUTFILE: osmtest -f c (create an inventory of the SA's records)
# as a client of NODE, logging to $FABRIC_DIR/osmtest.N.log. Note: under ibsim the inventory
# holds only the first record of each multi-record answer (the RMPP truncation).
fabric_osmtest_inventory()
{
	local node=${1:-} out n=1
	fabric__need_init || return 1
	[ $# -eq 2 ] || { fabric__msg "usage: fabric_osmtest_inventory NODE OUTFILE"; return 1; }
	out=$(fabric__abspath "$2")
	while [ -e "$FABRIC_DIR/osmtest.$n.log" ]; do
		n=$((n + 1))
	done
	fabric_run "$node" "$FABRIC_OSMTEST" -f c -i "$out" -l "$FABRIC_DIR/osmtest.$n.log"
}

# fabric_node_record NODE [FROM]: prints the SA's NodeRecord of NODE (matched on its node
# description), asked from FROM (default: the SM node) one LID at a time, since a multi-record
# answer would be truncated under ibsim. Scans LIDs 1..FABRIC_LID_SCAN (default 64).
fabric_node_record()
{
	local node=${1:-} from=${2:-} lid rec
	fabric__need_init || return 1
	[ -n "$node" ] || { fabric__msg "usage: fabric_node_record NODE [FROM]"; return 1; }
	from=${from:-$FABRIC_SM_NODE}
	for ((lid = 1; lid <= ${FABRIC_LID_SCAN:-64}; lid++)); do
		rec=$(fabric_saquery "$from" NR "$lid" 2>/dev/null) || continue
		if [[ $rec =~ NodeDescription\.+([^$'\n']*) ]] &&
			[ "${BASH_REMATCH[1]}" = "$node" ]; then
			printf '%s\n' "$rec"
			return 0
		fi
	done
	fabric__msg "fabric_node_record: the SA knows no node \"$node\" (LIDs 1-${FABRIC_LID_SCAN:-64})"
	return 1
}

# fabric_node_lid NODE [FROM]: prints NODE's LID (decimal) as the SA has it.
fabric_node_lid()
{
	local rec
	rec=$(fabric_node_record "$@") || return 1
	[[ $rec =~ lid\.+([0-9]+) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# fabric_port_guid NODE [FROM]: prints NODE's port GUID (0x%016x) as the SA has it.
fabric_port_guid()
{
	local rec
	rec=$(fabric_node_record "$@") || return 1
	[[ $rec =~ port_guid\.+(0x[0-9a-fA-F]+) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# ---- clean-up ---------------------------------------------------------------------------------

# fabric_pids: "TAG PID" for every process the harness started and recorded (ibsim, opensm,
# clients c.NAME, their supervisors TAG.sup, the watchdog), alive or not.
fabric_pids()
{
	local f tag pid st
	fabric__need_init || return 1
	for f in "$FABRIC_DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		tag=${f##*/}
		tag=${tag%.pid}
		read -r pid st <"$f" || continue
		printf '%s %s\n' "$tag" "$pid"
	done
}

# fabric__stop_all [nowatchdog]: stops clients, then OpenSM, then ibsim, then the watchdog.
fabric__stop_all()
{
	local f tag rc=0
	for f in "$FABRIC_DIR"/run/c.*.pid; do
		[ -f "$f" ] || continue
		tag=${f##*/}
		tag=${tag%.pid}
		case $tag in *.sup) continue ;; esac
		fabric__stop "$tag" TERM || :
	done
	fabric__stop opensm TERM 10 || :
	fabric__stop ibsim TERM || :
	if [ "${1:-}" != nowatchdog ]; then
		fabric__stop watchdog TERM 2 || :
	fi
	for f in "$FABRIC_DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		tag=${f##*/}
		tag=${tag%.pid}
		[ "$tag" != watchdog ] || [ "${1:-}" != nowatchdog ] || continue
		if fabric__alive "$tag"; then
			fabric__msg "$tag (pid $(fabric__pid "$tag")) is still running"
			rc=1
		fi
	done
	return "$rc"
}

# fabric_cleanup: stops every process the harness started, by PID (clients, OpenSM, ibsim),
# closes the console FIFO and removes $FABRIC_DIR, or keeps it (and says where) if KEEP_FABRIC=1.
# Idempotent; the traps of fabric_init call it. A function fabric_cleanup_hook, if defined, runs
# first (the fabric still up).
fabric_cleanup()
{
	local rc=0
	[ -n "${FABRIC_DIR:-}" ] && [ -d "$FABRIC_DIR/run" ] || return 0
	[ ! -e "$FABRIC_DIR/run/cleaned" ] || return 0
	if declare -F fabric_cleanup_hook >/dev/null; then
		fabric_cleanup_hook || :
	fi
	fabric__stop_all || rc=1
	if [ -n "${FABRIC__CONSOLE_FD:-}" ]; then
		exec {FABRIC__CONSOLE_FD}>&-
		FABRIC__CONSOLE_FD=
	fi
	: >"$FABRIC_DIR/run/cleaned"
	if [ "${KEEP_FABRIC:-0}" = 1 ]; then
		fabric__msg "KEEP_FABRIC=1: the fabric's files are in $FABRIC_DIR"
	else
		rm -rf "$FABRIC_DIR" || rc=1
	fi
	return "$rc"
}

# fabric__on_exit: the EXIT trap. On a failure, shows the ends of the logs before they go.
fabric__on_exit()
{
	local rc=$? f
	[ "$BASHPID" = "${FABRIC__OWNER:-}" ] || return "$rc"
	if [ "$rc" != 0 ] && [ -n "${FABRIC_DIR:-}" ] && [ -d "$FABRIC_DIR/run" ] &&
		[ ! -e "$FABRIC_DIR/run/cleaned" ]; then
		fabric__msg "exit status $rc: the end of the fabric's logs ($FABRIC_DIR)"
		fabric__tail "$FABRIC_DIR/opensm.log"
		fabric__tail "$FABRIC_DIR/opensm.out" 5
		fabric__tail "$FABRIC_DIR/ibsim.out" 5
		for f in "$FABRIC_DIR"/*.out; do
			case ${f##*/} in opensm.out | ibsim.out) continue ;; esac
			fabric__tail "$f" 5
		done
	fi
	fabric_cleanup || :
	if [ -n "${FABRIC__PREV_EXIT:-}" ]; then
		eval "$FABRIC__PREV_EXIT"
	fi
	return "$rc"
}

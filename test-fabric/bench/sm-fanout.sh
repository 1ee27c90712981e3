#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark: the SM side of Reports per migration at fabric sizes ibsim cannot serve live
# clients for (the issue's benchmark 1). ibsim serves 10 live clients, so the n subscribers
# are short-lived ones: on each of the first n hosts of a generated fabric (plain500,
# plain2000), `ibvmig-sa listen --leave` subscribes to traps 68 and 69 (per port: 2
# subscriptions a host; per VM with m VMs: --per-vm-range m, 2m) and exits without
# unsubscribing, as a client that died would; OpenSM keeps them. Then R migrations of one
# vGUID between two hosts, set and deleted through the SA by the SM node's port
# (ibvmig-sa batch "set/delete G I LID"), each 2 notices. The Reports the SM sent are
# counted where they leave: the SM port's PortXmitPkts (perfquery, the SM node's own port)
# before and after, less the MADs the migrations themselves cost the SM port (measured
# the same way without subscribers), and cross-checked with the plugin's notice counters
# times the subscriptions each notice matches.
#
# OpenSM waits for each Report's ReportResp (none comes from a dead port) and resends it;
# OSM_UMAD_MAX_PENDING (exported here, FANOUT_MAX_PENDING, default 20000) is raised above
# the subscriptions' number. Keep 2nm <= 16,000.
#
# A notice to s dead subscribers puts s Reports (and their resends) on OpenSM's AF_UNIX
# datagram socket to ibsim at once; with Linux's default send buffer (net.core.wmem_default,
# 212,992 bytes: about 250 such datagrams) a notice to 251 or more wedged ibsim and OpenSM
# both (doc/benchmarks.md, benchmark 1). Run as root, the script raises wmem_default for
# its run to FANOUT_WMEM (default 4096 bytes per subscription, at least the current value)
# and sets it back when it exits; otherwise it says that sizes above 250 may wedge.
# Without arguments (make bench) it runs 250 hosts per port and 25 x 8 per VM on plain500,
# then n = 2000 per port (4,000 subscriptions) and 2000 x 4 per VM (16,000, the issue's
# bound) on plain2000 (about 4 minutes more).
#
# usage: sm-fanout.sh [FABRIC N M MODE [R]]   (MODE per-port or per-vm; R round trips,
#        default 5; needs top_srcdir, top_builddir). The last line printed is one JSON object.
set -u
if [ $# -eq 0 ]; then
	runs=
	for a in "plain500 250 1 per-port 2" "plain500 25 8 per-vm 2" \
		"plain2000 2000 1 per-port 2" "plain2000 2000 4 per-vm 2"; do
		# shellcheck disable=SC2086
		one=$(bash "$0" $a | tail -n 1) || one="{\"args\":\"$a\",\"ok\":false}"
		runs=${runs:+$runs,}$one
	done
	echo "{\"bench\":\"sm_fanout\",\"runs\":[$runs]}"
	exit 0
fi
. "$top_srcdir/test-fabric/lib/plugin-lib.sh" || exit 1
. "$top_srcdir/test-fabric/topogen.sh" || exit 1
NAME=${1:?usage: sm-fanout.sh FABRIC N M MODE [R]} N=${2:?} M=${3:?} MODE=${4:?} R=${5:-5}
VG=0x0002c9ee0f000001
PERFQUERY=$(command -v perfquery || echo /usr/sbin/perfquery)
export OSM_UMAD_MAX_PENDING=${FANOUT_MAX_PENDING:-20000}
: "${FABRIC_UP_TIMEOUT:=300}"
: "${FABRIC_RUN_TIMEOUT:=900}"
export FABRIC_UP_TIMEOUT FABRIC_RUN_TIMEOUT
case $MODE in per-port | per-vm) ;; *) echo "sm-fanout: MODE per-port or per-vm" >&2; exit 2 ;; esac

# raise_wmem SUBSCRIPTIONS: the socket send buffer for the run (see above), set back on exit.
WMEM_SYSCTL=/proc/sys/net/core/wmem_default
raise_wmem() {
	local old want
	old=$(cat "$WMEM_SYSCTL" 2>/dev/null) || return 0
	want=${FANOUT_WMEM:-$((4096 * $1))}
	[ "$want" -gt "$old" ] || return 0
	if ! echo "$want" 2>/dev/null >"$WMEM_SYSCTL"; then
		echo "sm-fanout: cannot raise net.core.wmem_default ($old bytes; not root?):" \
			"more than about 250 dead subscribers per trap may wedge ibsim" >&2
		return 0
	fi
	# shellcheck disable=SC2064
	trap "echo $old >$WMEM_SYSCTL" EXIT
	echo "bench: net.core.wmem_default $old -> $want bytes for this run" >&2
}
raise_wmem $((2 * N * M))

# lid_of GUID: its LID from OpenSM's guid2lid file (decimal).
lid_of() { printf '%d' "$(awk -v g="$1" '$1 == g { print $2 }' "$FABRIC_DIR/cache/guid2lid")"; }

# xmit: the SM port's PortXmitPkts, read by the SM node from its own port.
xmit() {
	fabric_run sm "$PERFQUERY" "$SM_LID" 1 2>/dev/null |
		sed -n 's/^PortXmitPkts:\.*\([0-9]*\)$/\1/p'
}

# migrations K: K round trips of VG between host1 and host2 (Delete, then Set elsewhere).
migrations() {
	local i
	{
		echo "set $VG 1 $L1"
		for ((i = 0; i < $1; i++)); do
			echo "delete $VG 1 $L1"
			echo "set $VG 1 $L2"
			echo "delete $VG 1 $L2"
			echo "set $VG 1 $L1"
		done
	} | fabric_run sm "$SA" batch >>"$FABRIC_DIR/batch.out" 2>&1
}

# notices_sent: the plugin's UnPath + RePath count; nothing if it does not answer.
notices_sent() {
	local u r
	u=$(timeout 10 "$CLI" -S "$FABRIC_DIR/admin.sock" --json stats 2>/dev/null) || return 1
	r=$(sed -n 's/.*"repath_sent":\([0-9]*\).*/\1/p' <<<"$u")
	u=$(sed -n 's/.*"unpath_sent":\([0-9]*\).*/\1/p' <<<"$u")
	[ -n "$u" ] && [ -n "$r" ] && echo $((u + r))
}

# settle: until the SM port's counter stops moving (resends of unanswered Reports end).
settle() {
	local a b
	b=$(xmit)
	for ((i = 0; i < 60; i++)); do
		sleep 1
		a=$(xmit)
		[ "$a" = "$b" ] && break
		b=$a
	done
	echo "$a"
}

fabric_init "fanout-$NAME-$MODE-$N-$M" || exit 1
read -ra args <<<"$(topogen_shape "$NAME")" || exit 2
base=$FABRIC_DIR/$NAME
topogen_generate "$base" "${args[@]}" || exit 1
sm_guid=$(awk '$1 == "node" && $2 == "sm" { print $5 }' "$base.list")
mapfile -t hosts < <(awk '$1 == "node" && $2 == "host" { print $3 }' "$base.list")
[ "$N" -le "${#hosts[@]}" ] || { echo "sm-fanout: $NAME has ${#hosts[@]} hosts" >&2; exit 2; }
conf=$(plugin_conf log_level error alias_guard_allow "$sm_guid") || exit 1
# No light sweeps: their SMPs would be counted with the Reports at the SM port.
topogen_start "$base.net" --plugin "$conf" --osm-opt "sweep_interval 0" >/dev/null 2>&1 ||
	exit 1
SM_LID=$(lid_of "$sm_guid")
L1=$(lid_of "$(awk -v h="${hosts[0]}" '$3 == h { print $5 }' "$base.list")")
L2=$(lid_of "$(awk -v h="${hosts[1]}" '$3 == h { print $5 }' "$base.list")")

# The migrations' own cost at the SM port, with no subscriber yet.
x0=$(settle)
migrations "$R"
x1=$(settle)
n0=$(notices_sent) || { echo "sm-fanout: the plugin does not answer" >&2; exit 1; }
base_pkts=$((x1 - x0))

per=$([ "$MODE" = per-vm ] && echo "--per-vm-range $M")
# subscribe_dead HOST: HOST's subscriptions, left behind.
subscribe_dead() {
	# shellcheck disable=SC2086
	fabric_run "$1" "$SA" listen --leave --duration 1 $per >/dev/null 2>&1 ||
		echo "sm-fanout: $1: listen failed" >&2
}
t0=$EPOCHREALTIME
# Six at a time: ibsim's 10 slots hold OpenSM and them.
for ((h = 0; h < N; h++)); do
	subscribe_dead "${hosts[h]}" &
	(((h + 1) % 6)) || wait
done
wait
subs_s=$(echo "$EPOCHREALTIME - $t0" | bc)
subs=$(admin subscribers | sed -n 's/^\([0-9]*\) subscriptions$/\1/p')
echo "bench: $N hosts subscribed in ${subs_s}s; the plugin lists $subs subscriptions" >&2

x2=$(settle)
t0=$EPOCHREALTIME
migrations "$R"
x3=$(settle)
mig_s=$(echo "$EPOCHREALTIME - $t0" | bc)
# A wedged OpenSM answers nothing: say so rather than count.
if n1=$(notices_sent); then
	answering=true
	notices=$((n1 - n0))
else
	answering=false
	notices=0
fi
failed_sa=$(grep -c 'rc=-' "$FABRIC_DIR/batch.out")
# perfquery is a new ibsim client: a wedged fabric may not answer it either (then no count,
# rather than a difference taken with a missing reading).
if [ -n "$x2" ] && [ -n "$x3" ]; then
	reports=$((x3 - x2 - base_pkts)) perfquery=true
	per_mig=$(echo "scale=1; $reports / (2 * $R)" | bc)
else
	reports=null perfquery=false per_mig=null
fi
# What OpenSM should send: each notice to every subscription of its trap (per VM: m each).
expected=$((notices * N * M))
alive=$(kill -0 "$(fabric_sm_pid)" 2>/dev/null && echo true || echo false)
# per migration: 2 notices; a migration round trip above is 2 migrations.
printf '{"bench":"sm_fanout_run","fabric":"%s","hosts":%d,"vms_per_host":%d,"mode":"%s",' \
	"$NAME" "$N" "$M" "$MODE"
printf '"subscriptions_listed":%d,"migrations":%d,"notices":%d,"sm_xmit_reports":%s,' \
	"$subs" "$((2 * R))" "$notices" "$reports"
printf '"expected_reports":%d,"subscribe_s":%s,"sa_requests_failed":%d,' "$expected" \
	"$subs_s" "$failed_sa"
printf '"reports_per_migration":%s,"seconds_for_migrations":%s,"opensm_alive":%s,' \
	"$per_mig" "$mig_s" "$alive"
printf '"plugin_answering":%s,"perfquery_answering":%s}\n' "$answering" "$perfquery"
fabric_cleanup >/dev/null 2>&1

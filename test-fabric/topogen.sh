# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# topogen.sh: shell functions for the fabrics of ibvmig-topogen (test-fabric/topogen.c).
#
#	. "$top_srcdir/test-fabric/fabric.sh" || exit 1
#	. "$top_srcdir/test-fabric/topogen.sh" || exit 1
#	fabric_init big
#	topogen_generate "$FABRIC_DIR/big" --hosts-per-leaf 8 --leaves 8 --spines 4 || exit 1
#	topogen_check_list "$FABRIC_DIR/big.list" || exit 1    # the fat tree asked for
#	topogen_start "$FABRIC_DIR/big.net" || exit 1          # fabric_start + its ibsim-opts
#	topogen_check_fabric "$FABRIC_DIR/big.list" || exit 1  # the running fabric is the table
#
# topogen_generate and topogen_check_list need neither fabric.sh nor a fabric: the generator's
# own tests use them without ibsim. Messages go to stderr, prefixed "topogen: ".
#
# How topogen_check_fabric knows that every port has its LID (under ibsim an SA answer of more
# than one record comes back truncated, so no saquery of all NodeRecords):
# - OpenSM's view: the guid2lid file in OSM_CACHE_DIR ($FABRIC_DIR/cache). OpenSM rewrites it
#   (a new file renamed over the old) at the end of the LID manager's pass of every heavy
#   sweep, before that sweep's SUBNET UP; the harness gives every fabric a new cache
#   directory, so it holds exactly this fabric's ports.
# - The ports' view: ibnetdiscover -p from a client node, which walks the fabric with
#   directed-route SMPs and reads every port's PortInfo from the port itself, i.e. the LID
#   ibsim holds for it once OpenSM's PortInfo Set has arrived. It also shows every link.
# Every node of the --list table must be in both, with one non-zero LID, the same in both and
# unique, no other node may be in either, the links ibnetdiscover sees must be the table's, and
# every node's NodeDescription its name. Then a LID-routed SMP each way between the SM node and
# the table's last HCA shows that the switches' LFTs route their LIDs.

: "${TOPOGEN:=${top_builddir:-.}/test-fabric/ibvmig-topogen}"

topogen__msg()
{
	printf 'topogen: %s\n' "$*" >&2
}

# topogen_bench_run BENCHMARK FN NAME...: FN NAME for each fabric NAME (FN prints one JSON
# object), then the benchmark's last line: one JSON object with them all, the date, the CPUs,
# the load average and OpenSM's version. Non-zero if any FN failed.
topogen_bench_run()
{
	local bench=$1 fn=$2 n obj json= failed=0
	shift 2
	for n in "$@"; do
		obj=$("$fn" "$n") || failed=1
		[ -n "$obj" ] || obj="{\"name\":\"$n\",\"ok\":false}"
		json=${json:+$json,}$obj
	done
	printf '{"benchmark":"%s","date":"%s","cpus":%d,"load1":%s,"opensm":"%s","fabrics":[%s]}\n' \
		"$bench" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" \
		"$("$FABRIC_OPENSM" --version 2>&1 | sed -n 's/^\(OpenSM [0-9.]*\)$/\1/p' | head -n 1)" \
		"$json"
	return "$failed"
}

# topogen_generate BASE ARGS...: writes BASE.net and BASE.list (the --list table) with
# ibvmig-topogen ARGS.
topogen_generate()
{
	local base=${1:-}
	shift || :
	[ -n "$base" ] || { topogen__msg "usage: topogen_generate BASE ARGS..."; return 1; }
	"$TOPOGEN" "$@" -o "$base.net" || return 1
	"$TOPOGEN" "$@" --list -o "$base.list"
}

# topogen_ibsim_opts NETFILE: prints the words of the file's "# ibsim-opts:" line.
topogen_ibsim_opts()
{
	sed -n 's/^# ibsim-opts:[[:space:]]*//p;T;q' "$1"
}

# topogen_start NETFILE [fabric_start options...]: fabric_start NETFILE, with every word of its
# "# ibsim-opts:" line as one --ibsim-opt. Waits FABRIC_UP_TIMEOUT for SUBNET UP, as
# fabric_start does (raise it for thousands of nodes).
topogen_start()
{
	local net=${1:-} w
	local -a args=()
	shift || :
	[ -f "$net" ] || { topogen__msg "topogen_start: no net file \"$net\""; return 1; }
	for w in $(topogen_ibsim_opts "$net"); do
		args+=(--ibsim-opt "$w")
	done
	fabric_start "$net" "${args[@]}" "$@"
}

# topogen_discover NODE OUTFILE: ibnetdiscover -p as a client of NODE into OUTFILE.
topogen_discover()
{
	local tool=$FABRIC_IBNETDISCOVER
	fabric_run "$1" "$tool" -p >"$2" 2>"$2.err"
}

# topogen_check_fabric LIST [NODE]: checks the running fabric against the generator's --list
# table LIST (see the top of this file); ibnetdiscover runs as a client of NODE (default: the
# SM node, which SUBNET UP shows linked). Leaves guid2lid.copy and discovered(.err) in
# $FABRIC_DIR.
topogen_check_fabric()
{
	local list=${1:-} node=${2:-$FABRIC_SM_NODE} g2l=$FABRIC_DIR/cache/guid2lid
	[ -f "$list" ] || { topogen__msg "topogen_check_fabric: no table \"$list\""; return 1; }
	[ -s "$g2l" ] || { topogen__msg "OpenSM wrote no $g2l"; return 1; }
	# A copy: the next heavy sweep may replace the file while awk reads it.
	cp "$g2l" "$FABRIC_DIR/guid2lid.copy" || return 1
	if ! topogen_discover "$node" "$FABRIC_DIR/discovered"; then
		topogen__msg "ibnetdiscover -p from $node failed:"
		sed 's/^/    /' "$FABRIC_DIR/discovered.err" >&2
		return 1
	fi
	awk -f - "$list" "$FABRIC_DIR/guid2lid.copy" "$FABRIC_DIR/discovered" <<'EOF' || return 1
# file 1: the table; 2: guid2lid ("0xGUID 0xMINLID 0xMAXLID" and blank lines); 3: ibnetdiscover
# -p ("CA|SW LID PORT GUID WIDTH SPEED - CA|SW LID PORT GUID ( 'desc' - 'desc' )").
function hex(s,    i, v) {
	v = 0
	s = tolower(s)
	for (i = 3; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function bad(msg) {
	if (++errors <= 20)
		print "topogen: " msg > "/dev/stderr"
}
function key(a, pa, b, pb) {
	return a < b ? a " " pa " " b " " pb : b " " pb " " a " " pa
}
FNR == 1 { file++ }
file == 1 && $1 == "node" { name[$5] = $3; nodes++ }
file == 1 && $1 == "link" { want[key($2, $3, $4, $5)] = 1; nwant++ }
file == 2 && NF >= 2 {
	if ($2 != $3)
		bad("guid2lid: " $1 " has LIDs " $2 "-" $3 " (LMC 0 expected)")
	smlid[tolower($1)] = hex($2)
}
file == 3 && $7 == "-" && ($1 == "CA" || $1 == "SW") {
	g = tolower($4)
	if (g in dlid && dlid[g] != $2)
		bad("ibnetdiscover: " g " shows LIDs " dlid[g] " and " $2)
	dlid[g] = $2
	if (!(g in name) || !(tolower($11) in name)) {
		bad("ibnetdiscover: a link to a node the table does not have: " $0)
		next
	}
	got[key(name[g], $3, name[tolower($11)], $10)] = 1
	# the NodeDescriptions: ( 'desc' - 'peer desc' )
	if (match($0, /\( '.*' - '.*' \)$/)) {
		d = substr($0, RSTART + 3, RLENGTH - 6)
		i = index(d, "' - '")
		if (substr(d, 1, i - 1) != name[g])
			bad(name[g] " (" g "): NodeDescription '" substr(d, 1, i - 1) "'")
	} else {
		bad("ibnetdiscover: no NodeDescriptions in " $0)
	}
}
END {
	for (g in name) {
		n = name[g]
		if (!(g in smlid))
			bad(n " (" g "): not in OpenSM's guid2lid")
		else if (smlid[g] == 0)
			bad(n " (" g "): LID 0 in guid2lid")
		else if (smlid[g] in owner)
			bad(n " and " owner[smlid[g]] ": both have LID " smlid[g] " in guid2lid")
		else
			owner[smlid[g]] = n
		if (!(g in dlid))
			bad(n " (" g "): not discovered by ibnetdiscover (no active link)")
		else if (dlid[g] + 0 != smlid[g])
			bad(n " (" g "): its PortInfo has LID " dlid[g] ", guid2lid " smlid[g])
	}
	for (g in smlid)
		if (!(g in name))
			bad("guid2lid has " g ", which is no node of the table")
	for (g in dlid)
		if (!(g in name))
			bad("ibnetdiscover found " g ", which is no node of the table")
	for (k in want)
		if (!(k in got))
			bad("link " k ": in the table, not in the running fabric")
	for (k in got) {
		ngot++
		if (!(k in want))
			bad("link " k ": in the running fabric, not in the table")
	}
	if (errors) {
		print "topogen: " errors " problem(s)" > "/dev/stderr"
		exit 1
	}
	printf "topogen: %d nodes, each with its own LID (guid2lid = PortInfo), %d links as " \
	       "the table has them\n", nodes, ngot > "/dev/stderr"
}
EOF
	topogen__check_routes "$list" "$FABRIC_DIR/guid2lid.copy"
}

# topogen__check_routes LIST GUID2LID: LID-routed NodeInfo Gets between the SM node and the
# last HCA of LIST (a VF in the vSwitch model), both ways: each answer carries the port GUID of
# the node at that LID, so the LFTs of every switch on the way route it.
topogen__check_routes()
{
	local sm_guid last last_guid sm_lid last_lid got
	read -r sm_guid last last_guid < <(awk '$1 == "node" && $2 == "sm" { s = $5 }
		$1 == "node" && $2 ~ /^(host|pf|vf)$/ { n = $3; g = $5 }
		END { print s, n, g }' "$1")
	sm_lid=$(awk -v g="$sm_guid" '$1 == g { print $2 + 0 }' "$2")
	last_lid=$(awk -v g="$last_guid" '$1 == g { print $2 }' "$2")
	last_lid=$((last_lid))
	got=$(fabric_smpquery "$FABRIC_SM_NODE" nodeinfo "$last_lid" 2>&1 |
		sed -n 's/^PortGuid:\.*//p')
	if [ "$got" != "$last_guid" ]; then
		topogen__msg "NodeInfo from $FABRIC_SM_NODE to LID $last_lid ($last): port GUID" \
			"\"$got\", expected $last_guid"
		return 1
	fi
	got=$(fabric_smpquery "$last" nodeinfo "$((sm_lid))" 2>&1 | sed -n 's/^PortGuid:\.*//p')
	if [ "$got" != "$sm_guid" ]; then
		topogen__msg "NodeInfo from $last to LID $((sm_lid)) ($FABRIC_SM_NODE): port GUID" \
			"\"$got\", expected $sm_guid"
		return 1
	fi
	topogen__msg "LID-routed NodeInfo $FABRIC_SM_NODE <-> $last (LIDs $((sm_lid)), $last_lid)"
}

# topogen_check_list LIST: checks the generator's --list table LIST against the fat tree its
# "# generated by:" line asks for, by rules written independently of the generator: the node
# count of each kind, unique names, GUIDs as the scheme says, every port at most once and
# within its node, every link between the nodes and ports the net file's header documents, and
# every node's number of links. Together these admit exactly one fabric.
topogen_check_list()
{
	local list=${1:-}
	[ -f "$list" ] || { topogen__msg "topogen_check_list: no table \"$list\""; return 1; }
	awk -f - "$list" <<'EOF'
function bad(msg) {
	if (++errors <= 20)
		print "topogen: " msg > "/dev/stderr"
}
function ceil_div(a, b) { return int((a + b - 1) / b) }
# kind, number and VF number of a node name (the SM's HCA: kind sm)
function parse(n,    parts) {
	if (n == smname) { K = "sm"; N = 1; V = 0; return }
	if (match(n, /^vf[0-9]+-[0-9]+$/)) {
		split(substr(n, 3), parts, "-")
		K = "vf"; N = parts[1] + 0; V = parts[2] + 0
		return
	}
	match(n, /[0-9]+$/)
	K = substr(n, 1, RSTART - 1); N = substr(n, RSTART) + 0; V = 0
}
function guid_of(k, n, v,    d) {
	d = k == "vf" ? sprintf("%04d%02d", n, v) : sprintf("%06d", n)
	return sprintf("0x0002c9%s%s00", byte[k], d)
}
# the expected number of links of a node
function degree(k, n) {
	if (k == "sm" || k == "host" || k == "pf" || k == "vf") return 1
	if (k == "vsw") return VFS + 2
	if (k == "leaf") return H + S + (n == 1)
	if (k == "spine") return L + G
	return P
}
# "" if port pa of a (kind ka, number na, vf va) may link to port pb of b, else why not
function rule(ka, na, va, pa, kb, nb, vb, pb) {
	if (ka == "sm")
		return kb == "leaf" && nb == 1 && pa == 1 && pb == H + 1 ? "" : \
			"sm goes to leaf1[" H + 1 "]"
	if (ka == "host" || (ka == "vsw" && kb == "leaf"))
		return kb == "leaf" && nb == ceil_div(na, H) && pa == 1 && \
			pb == (na - 1) % H + 1 ? "" : \
			"goes to leaf" ceil_div(na, H) "[" (na - 1) % H + 1 "]"
	if (ka == "pf")
		return kb == "vsw" && nb == na && pa == 1 && pb == 2 ? "" : "goes to vsw" na "[2]"
	if (ka == "vf")
		return kb == "vsw" && nb == na && pa == 1 && pb == 2 + va ? "" : \
			"goes to vsw" na "[" 2 + va "]"
	if (ka == "leaf" && kb == "spine")
		return ceil_div(na, L) == ceil_div(nb, S) && pa == H + 1 + (nb - 1) % S + 1 && \
			pb == (na - 1) % L + 1 ? "" : "leaf-spine: wrong pod or ports"
	if (ka == "spine" && kb == "core")
		return LEVELS == 3 && ceil_div(nb, G) == (na - 1) % S + 1 && \
			pa == L + (nb - 1) % G + 1 && pb == ceil_div(na, S) ? "" : \
			"spine-core: wrong group or ports"
	return "no such link in the fat tree"
}
# the end of a link that is lower in the tree comes first
function rank(k) {
	return k == "sm" || k == "host" || k == "pf" || k == "vf" ? 0 : \
		k == "vsw" ? 1 : k == "leaf" ? 2 : k == "spine" ? 3 : 4
}
BEGIN {
	split("sm 02 host 01 pf 04 vf 05 vsw 40 leaf 10 spine 20 core 30", pairs, " ")
	for (i = 1; i < 16; i += 2)
		byte[pairs[i]] = pairs[i + 1]
	LEVELS = 2; H = 4; L = 2; S = 1; P = 1; C = 0; VSW = 0; VFS = 0; smname = "sm"
}
/^# generated by: / {
	for (i = 4; i <= NF; i++) {
		if ($i == "--levels") LEVELS = $(i + 1)
		if ($i == "--hosts-per-leaf") H = $(i + 1)
		if ($i == "--leaves") L = $(i + 1)
		if ($i == "--spines") S = $(i + 1)
		if ($i == "--pods") P = $(i + 1)
		if ($i == "--cores") C = $(i + 1)
		if ($i == "--vswitch") VSW = 1
		if ($i == "--vfs") VFS = $(i + 1)
		if ($i == "--sm-node") smname = $(i + 1)
	}
	G = LEVELS == 3 ? C / S : 0
	hyp = P * L * H
	want["sm"] = 1; want["host"] = VSW ? 0 : hyp; want["pf"] = VSW ? hyp : 0
	want["vf"] = VSW ? hyp * VFS : 0; want["vsw"] = VSW ? hyp : 0; want["leaf"] = P * L
	want["spine"] = P * S; want["core"] = LEVELS == 3 ? C : 0
}
$1 == "node" && !("sm" in want) {
	bad("no \"# generated by:\" line before the nodes")
	aborted = 1
	exit 1
}
$1 == "node" {
	if ($3 in nports)
		bad("two nodes named " $3)
	nports[$3] = $6
	parse($3)
	if (K != $2)
		bad($3 ": kind " $2 ", its name says " K)
	count[$2]++
	g = guid_of(K, N, V)
	if ($4 != g)
		bad($3 ": node GUID " $4 ", the scheme gives " g)
	if (rank(K) == 0)
		sub(/00$/, "01", g)
	if ($5 != g)
		bad($3 ": port GUID " $5 ", the scheme gives " g)
	if (N < 1 || N > (K == "vf" ? hyp : want[K]) || (K == "vf" && (V < 1 || V > VFS)))
		bad($3 ": number out of range")
}
$1 == "link" {
	for (e = 0; e < 2; e++) {
		n = $(2 + 2 * e); p = $(3 + 2 * e)
		if (!(n in nports))
			bad($0 ": no node " n)
		else if (p < 1 || p > nports[n])
			bad($0 ": " n " has no port " p)
		if ((n, p) in used)
			bad($0 ": " n "[" p "] is used twice")
		used[n, p] = 1
		links[n]++
	}
	parse($2); ka = K; na = N; va = V; a = $2; pa = $3
	parse($4); kb = K; nb = N; vb = V; b = $4; pb = $5
	if (rank(ka) > rank(kb)) {
		t = ka; ka = kb; kb = t; t = na; na = nb; nb = t; t = va; va = vb; vb = t
		t = a; a = b; b = t; t = pa; pa = pb; pb = t
	}
	why = rule(ka, na, va, pa, kb, nb, vb, pb)
	if (why != "")
		bad("link " a "[" pa "] - " b "[" pb "]: " why)
}
END {
	if (aborted)
		exit 1
	if (!("sm" in want))
		bad("no \"# generated by:\" line")
	for (k in want)
		if (count[k] + 0 != want[k])
			bad(count[k] + 0 " nodes of kind " k ", expected " want[k])
	for (k in count)
		if (!(k in want))
			bad(count[k] " nodes of unknown kind " k)
	for (n in nports) {
		parse(n)
		if (links[n] + 0 != degree(K, N))
			bad(n ": " links[n] + 0 " links, expected " degree(K, N))
	}
	if (errors) {
		print "topogen: " errors " problem(s) in the table" > "/dev/stderr"
		exit 1
	}
}
EOF
}

# topogen_check_net NETFILE LIST: the net file says what the --list table LIST says (the same
# nodes, GUIDs, port counts, links, both ends of each link in the records of both nodes), and
# its "# ibsim-opts:" line raises exactly the ibsim limits (0.10's defaults: 2048 nodes, 256
# switches, 13312 ports; ibsim counts a switch's port 0) that the fabric exceeds.
topogen_check_net()
{
	local net=${1:-} list=${2:-}
	if [ ! -f "$net" ] || [ ! -f "$list" ]; then
		topogen__msg "usage: topogen_check_net NETFILE LIST"
		return 1
	fi
	awk -f - "$list" "$net" <<'EOF'
function bad(msg) {
	if (++errors <= 20)
		print "topogen: " msg > "/dev/stderr"
}
FNR == 1 { file++ }
file == 1 && $1 == "node" { want["node " $3 " " $4 " " $6] = 1 }
file == 1 && $1 == "link" { want[$2 " " $3 " " $4 " " $5] = 1; want[$4 " " $5 " " $2 " " $3] = 1 }
file == 2 && /^# ibsim-opts:/ {
	for (i = 3; i < NF; i += 2)
		opt[$i] = $(i + 1)
	nopts = (NF - 2) / 2
}
file == 2 && /^(hcaguids|switchguid)=/ { split($0, kv, "="); guid = kv[2] }
file == 2 && /^(Hca|Switch)\t/ {
	match($0, /"[^"]*"/)
	cur = substr($0, RSTART + 1, RLENGTH - 2)
	got["node " cur " " guid " " $2] = 1
	nodes++
	if ($1 == "Switch")
		switches++
	ports += $2 + ($1 == "Switch")
}
file == 2 && /^\[[0-9]+\]\t"/ {
	p = substr($1, 2, length($1) - 2)
	match($2, /"[^"]*"/)
	peer = substr($2, RSTART + 1, RLENGTH - 2)
	q = substr($2, RSTART + RLENGTH + 1)
	sub(/\]$/, "", q)
	got[cur " " p " " peer " " q] = 1
}
END {
	for (k in want)
		if (!(k in got))
			bad("in the table, not in the net file: " k)
	for (k in got)
		if (!(k in want))
			bad("in the net file, not in the table: " k)
	need["-N"] = nodes > 2048 ? nodes : ""
	need["-S"] = switches > 256 ? switches : ""
	need["-P"] = ports > 13312 ? ports : ""
	n = 0
	for (o in need) {
		n += need[o] != ""
		if (need[o] != opt[o])
			bad("ibsim-opts: " o " \"" opt[o] "\", the fabric needs \"" need[o] "\" (" \
			    nodes " nodes, " switches " switches, " ports " ports)")
	}
	if (n != nopts)
		bad("ibsim-opts: " nopts " options, expected " n)
	if (errors) {
		print "topogen: " errors " difference(s) between net file and table" > "/dev/stderr"
		exit 1
	}
}
EOF
}

# topogen_shape NAME: the generator's options for the benchmarks' fabric NAME (plain500,
# plain2000, vsw500, vsw2000, three2000: doc/benchmarks.md).
topogen_shape() {
	case $1 in
	plain500) echo --hosts-per-leaf 25 --leaves 20 --spines 4 ;;
	plain2000) echo --hosts-per-leaf 40 --leaves 50 --spines 8 ;;
	vsw500) echo --hosts-per-leaf 20 --leaves 5 --spines 4 --vswitch --vfs 4 ;;
	vsw2000) echo --hosts-per-leaf 20 --leaves 20 --spines 4 --vswitch --vfs 4 ;;
	three2000) echo --levels 3 --pods 5 --leaves 10 --spines 4 --cores 8 --hosts-per-leaf 40 ;;
	*) return 1 ;;
	esac
}

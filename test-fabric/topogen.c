// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-topogen - writes an ibsim net file of a two- or three-level fat tree for the
 * simulated test fabric: plain hosts (one one-port HCA each) or vSwitch hypervisors (a small
 * switch per hypervisor with its PF and its VFs as one-port HCAs behind it, so that OpenSM gives
 * every VF its own LID), plus one HCA for OpenSM on the first leaf.
 *
 * The fabric is a model first (nodes, ports, links: both ends of each link set by one call that
 * refuses a port already in use), then printed: as a net file, or with --list as a table of
 * nodes and links that tests compare with what the running fabric shows.
 *
 * Everything the generated file's header documents (wiring, names, the GUID scheme, ibsim's
 * limits) is decided here; -h gives the options. Exit status: 0 success, 1 the output could not
 * be written (or out of memory, or a bug: a link the model refuses), 2 usage error (one line on
 * stderr). The checks are test-fabric/topogen.sh's, used by tests/topogen*.test and
 * bench/topogen-up.sh.
 */
#include "ibvmig_cli.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "ibvmig-topogen"

/*
 * Limits. IB ports of a switch are numbered 1-254 (NodeInfo NumPorts, IBA 14.2.5.3; OpenSM's
 * IB_NODE_NUM_PORTS_MAX). Every node takes one LID (LMC 0), and ibsim 0.10's switches forward
 * only LIDs below their LinearFDBCap of 30720 (its MAXLINEARCAP). The GUID scheme holds six
 * decimal digits per node number, four for a hypervisor and two for a VF.
 */
#define MAX_SWITCH_PORTS 254
#define MAX_NODES	 30719
#define MAX_COUNT	 999999
#define MAX_HYPERVISORS	 9999
#define MAX_VFS		 99
#define MAX_SM_NAME	 32

/* ibsim 0.10's compiled-in fabric limits (sim.h); -N, -S and -P raise them. */
#define IBSIM_NODES    2048
#define IBSIM_SWITCHES 256
#define IBSIM_PORTS    (IBSIM_SWITCHES * 36 + IBSIM_NODES * 2)

#define GUID_OUI 0x0002c9ULL /* the top 24 bits of every GUID */

enum kind { K_SM, K_HOST, K_PF, K_VF, K_VSW, K_LEAF, K_SPINE, K_CORE, K_KINDS };

static const struct kind_desc {
	const char *name;  /* the node name's prefix, and the kind in --list */
	uint8_t guid_kind; /* GUID bits 39-32 */
	bool sw;
} kinds[K_KINDS] = {
	[K_SM] = { "sm", 0x02, false },
	[K_HOST] = { "host", 0x01, false },
	[K_PF] = { "pf", 0x04, false },
	[K_VF] = { "vf", 0x05, false },
	[K_VSW] = { "vsw", 0x40, true },
	[K_LEAF] = { "leaf", 0x10, true },
	[K_SPINE] = { "spine", 0x20, true },
	[K_CORE] = { "core", 0x30, true },
};

struct params {
	unsigned levels;
	unsigned hosts_per_leaf; /* hosts, or hypervisors with --vswitch */
	unsigned leaves;	 /* 3 levels: per pod */
	unsigned spines;	 /* 3 levels: per pod */
	unsigned pods;		 /* 3 levels only */
	unsigned cores;		 /* 3 levels only */
	bool vswitch;
	unsigned vfs;
	const char *sm_name;
	const char *out;
	bool list;
	bool given_pods, given_cores, given_vfs;
};

struct port {
	unsigned peer; /* node index + 1; 0: not connected */
	unsigned peer_port;
};

struct node {
	enum kind kind;
	unsigned num; /* 1-based within its kind; a VF: its hypervisor's number */
	unsigned sub; /* a VF's number behind its hypervisor (1-based) */
	unsigned nports;
	struct port *ports; /* ports[1..nports]; ports[0] unused */
};

/* The fabric's model; owns nodes[] and the ports they point into. */
struct topo {
	struct params p;
	unsigned n_hyp;	     /* hosts or hypervisors */
	unsigned n_leaves;   /* in the fabric */
	unsigned n_spines;   /* in the fabric */
	unsigned leaf_ports; /* every leaf has the same radix */
	unsigned spine_ports;
	unsigned n_nodes, n_hcas, n_switches;
	unsigned long ibsim_ports; /* as ibsim counts them: a switch's port 0 too */
	struct node *nodes;
	struct port *port_pool;
	unsigned n_used; /* nodes added so far */
	unsigned long pool_size, pool_used;
	/* the index of the first node of each kind */
	unsigned first_ca, first_vsw, first_leaf, first_spine, first_core;
};

/* ---- errors -------------------------------------------------------------------------------- */

static const struct cli_tool tool;	/* with the options below */

/* A broken invariant of the model is a bug of this program, not of its user. */
static void die(const char *what)
{
	fprintf(stderr, PROG ": internal error: %s\n", what);
	exit(IBVMIG_EXIT_FAILED);
}

/* ---- options ------------------------------------------------------------------------------- */

#define HELP                                                                                       \
	"Writes an ibsim net file of a fat tree for ibvmig's simulated fabric.\n"                  \
	"  --levels 2|3          fat-tree levels (default 2)\n"                                    \
	"  --hosts-per-leaf N    hosts (with --vswitch: hypervisors) per leaf (default 4)\n"       \
	"  --leaves N            leaves; 3 levels: leaves per pod (default 2)\n"                   \
	"  --spines N            spines, each linked to every leaf once; 3 levels: spines\n"       \
	"                        per pod, linked to every leaf of the pod (default 1)\n"           \
	"  --pods N              3 levels: pods (default 2)\n"                                     \
	"  --cores N             3 levels: core switches, a multiple of --spines (default\n"       \
	"                        --spines); spine s of every pod links to core group s\n"          \
	"  --vswitch             hypervisors: a switch vswN, pfN and vfN-1..vfN-V behind it\n"     \
	"  --vfs V               VFs per hypervisor, 0-99 (default 2; needs --vswitch)\n"          \
	"  --sm-node NAME        the name of OpenSM's HCA on leaf1 (default sm)\n"                 \
	"  -o, --output FILE     write to FILE (default: standard output)\n"                       \
	"  --list                write a table of nodes and links, not the net file:\n"            \
	"                        \"node KIND NAME NODE_GUID PORT_GUID NPORTS\" and\n"              \
	"                        \"link NAME PORT NAME PORT\" lines (each link once)\n"            \
	"The file's header documents the wiring, the node names, the GUID scheme, the\n"           \
	"\"# fabric-sm: NAME\" line test-fabric/fabric.sh reads, and an \"# ibsim-opts:\"\n"       \
	"line: the ibsim options (-N/-S/-P) this size needs, one fabric_start --ibsim-opt\n"       \
	"per word.  Exit status 1: the output could not be written.\n"

enum {
	OPT_LEVELS = 256,
	OPT_HOSTS,
	OPT_LEAVES,
	OPT_SPINES,
	OPT_PODS,
	OPT_CORES,
	OPT_VSWITCH,
	OPT_VFS,
	OPT_SM,
	OPT_LIST,
};

static const struct option long_opts[] = {
	{ "levels", required_argument, NULL, OPT_LEVELS },
	{ "hosts-per-leaf", required_argument, NULL, OPT_HOSTS },
	{ "leaves", required_argument, NULL, OPT_LEAVES },
	{ "spines", required_argument, NULL, OPT_SPINES },
	{ "pods", required_argument, NULL, OPT_PODS },
	{ "cores", required_argument, NULL, OPT_CORES },
	{ "vswitch", no_argument, NULL, OPT_VSWITCH },
	{ "vfs", required_argument, NULL, OPT_VFS },
	{ "sm-node", required_argument, NULL, OPT_SM },
	{ "output", required_argument, NULL, 'o' },
	{ "list", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* A decimal count from @min to @max (util_parse_uint: nothing but the digits). */
static bool parse_count(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;

	if (util_parse_uint(s, 10, min, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* Returns 0, or -1 if @arg is not a valid value for option @c. */
static int parse_opt(int c, const char *arg, void *ctx)
{
	struct params *p = ctx;

	switch (c) {
	case OPT_LEVELS:
		return parse_count(arg, 2, 3, &p->levels) ? 0 : -1;
	case OPT_HOSTS:
		return parse_count(arg, 1, MAX_COUNT, &p->hosts_per_leaf) ? 0 : -1;
	case OPT_LEAVES:
		return parse_count(arg, 1, MAX_COUNT, &p->leaves) ? 0 : -1;
	case OPT_SPINES:
		return parse_count(arg, 1, MAX_COUNT, &p->spines) ? 0 : -1;
	case OPT_PODS:
		p->given_pods = true;
		return parse_count(arg, 1, MAX_COUNT, &p->pods) ? 0 : -1;
	case OPT_CORES:
		p->given_cores = true;
		return parse_count(arg, 1, MAX_COUNT, &p->cores) ? 0 : -1;
	case OPT_VSWITCH:
		p->vswitch = true;
		return 0;
	case OPT_VFS:
		p->given_vfs = true;
		return parse_count(arg, 0, MAX_VFS, &p->vfs) ? 0 : -1;
	case OPT_SM:
		p->sm_name = arg;
		return 0;
	case 'o':
		p->out = arg;
		return *arg ? 0 : -1;
	case OPT_LIST:
		p->list = true;
		return 0;
	default:
		return -1;
	}
}

static struct params params;

static const struct cli_tool tool = {
	.prog = PROG,
	.synopsis = "[options]",
	.help = HELP,
	.shortopts = "o:",
	.longopts = long_opts,
	.opt = parse_opt,
	.ctx = &params,
};

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct params *p)
{
	struct cli_common c = { 0 };
	int first, code;

	*p = (struct params){ .levels = 2,
			      .hosts_per_leaf = 4,
			      .leaves = 2,
			      .spines = 1,
			      .pods = 2,
			      .vfs = 2,
			      .sm_name = "sm" };
	code = cli_parse(&tool, argc, argv, &c, &first);
	if (code >= 0)
		return code;
	if (first < argc)
		return cli_usage_error(&tool, "unexpected argument: %s", argv[first]);
	return -1;
}

/* ---- validation ---------------------------------------------------------------------------- */

/* True if @name is one the generator gives to a node of its own. */
static bool generated_name(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz"), d;
	int k;

	for (k = K_HOST; k < K_KINDS; k++) {
		if (n != strlen(kinds[k].name) || strncmp(name, kinds[k].name, n))
			continue;
		d = strspn(name + n, "0123456789");
		if (d && !name[n + d])
			return true;
		if (k == K_VF && d && name[n + d] == '-')
			return true;
	}
	return false;
}

/*
 * ibsim reserves '#' and '@' in node ids, and a net file quotes them: a short name of letters,
 * digits, '-', '_' and '.' that no generated node has.
 */
static int check_sm_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > MAX_SM_NAME ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
		len)
		return cli_usage_error(&tool,
				       "bad --sm-node %s: 1-%d letters, digits, '-', '_', '.'",
				       name, MAX_SM_NAME);
	if (generated_name(name))
		return cli_usage_error(&tool, "--sm-node %s: a generated node may have that name",
				       name);
	return -1;
}

static int check_options(const struct params *p)
{
	if (p->levels == 2 && p->given_pods)
		return cli_usage_error(&tool, "--pods needs --levels 3");
	if (p->levels == 2 && p->given_cores)
		return cli_usage_error(&tool, "--cores needs --levels 3");
	if (p->given_vfs && !p->vswitch)
		return cli_usage_error(&tool, "--vfs needs --vswitch");
	if (p->levels == 3 && p->cores % p->spines)
		return cli_usage_error(&tool, "--cores %u is not a multiple of --spines %u",
				       p->cores, p->spines);
	return check_sm_name(p->sm_name);
}

static int check_radix(const char *what, uint64_t ports)
{
	if (ports > MAX_SWITCH_PORTS)
		return cli_usage_error(
		    &tool, "a %s would need %" PRIu64 " ports (a switch has at most %d)", what,
		    ports, MAX_SWITCH_PORTS);
	return -1;
}

/* Sizes every part of the fabric into @t from @t->p; returns -1 if it fits, else 2. */
static int size_fabric(struct topo *t)
{
	const struct params *p = &t->p;
	uint64_t pods = p->levels == 3 ? p->pods : 1;
	uint64_t leaves = pods * p->leaves, spines = pods * p->spines;
	uint64_t hyp = leaves * p->hosts_per_leaf, per_hyp = p->vswitch ? 1 + p->vfs : 1;
	uint64_t cores = p->levels == 3 ? p->cores : 0, hcas = 1 + hyp * per_hyp;
	uint64_t vsw = p->vswitch ? hyp : 0, switches = leaves + spines + cores + vsw;
	uint64_t up = p->levels == 3 ? p->cores / p->spines : 0;
	int rc;

	/* leaf: hosts, the SM's port (used on leaf1), one uplink per spine */
	if ((rc = check_radix("leaf", (uint64_t)p->hosts_per_leaf + 1 + p->spines)) >= 0 ||
	    (rc = check_radix("spine", (uint64_t)p->leaves + up)) >= 0 ||
	    (rc = check_radix("core", pods)) >= 0 ||
	    (rc = check_radix("vsw", 2 + (uint64_t)p->vfs)) >= 0)
		return rc;
	if (hcas + switches > MAX_NODES)
		return cli_usage_error(&tool,
				       "%" PRIu64
				       " nodes: at most %d (each needs a LID below ibsim's "
				       "LinearFDBCap)",
				       hcas + switches, MAX_NODES);
	if (hyp > MAX_COUNT || (p->vswitch && hyp > MAX_HYPERVISORS))
		return cli_usage_error(&tool, "%" PRIu64 " %s: at most %d", hyp,
				   p->vswitch ? "hypervisors" : "hosts",
				   p->vswitch ? MAX_HYPERVISORS : MAX_COUNT);
	t->n_hyp = (unsigned)hyp;
	t->n_leaves = (unsigned)leaves;
	t->n_spines = (unsigned)spines;
	t->leaf_ports = p->hosts_per_leaf + 1 + p->spines;
	t->spine_ports = p->leaves + (unsigned)up;
	t->n_hcas = (unsigned)hcas;
	t->n_switches = (unsigned)switches;
	t->n_nodes = (unsigned)(hcas + switches);
	/* ibsim gives a switch its port 0 as well */
	t->ibsim_ports = hcas + leaves * (t->leaf_ports + 1) + spines * (t->spine_ports + 1) +
			 cores * (pods + 1) + vsw * (p->vfs + 3);
	return -1;
}

/* ---- the model ----------------------------------------------------------------------------- */

static unsigned add_node(struct topo *t, enum kind kind, unsigned num, unsigned sub,
			 unsigned nports)
{
	struct node *n;

	if (t->n_used >= t->n_nodes)
		die("more nodes than sized");
	n = &t->nodes[t->n_used];
	*n = (struct node){.kind = kind, .num = num, .sub = sub, .nports = nports};
	if (t->pool_used + nports + 1 > t->pool_size)
		die("more ports than sized");
	n->ports = t->port_pool + t->pool_used;
	t->pool_used += nports + 1;
	return t->n_used++;
}

/* Links port @pa of node @a and port @pb of node @b: both ends, or neither. */
static void link_ports(struct topo *t, unsigned a, unsigned pa, unsigned b, unsigned pb)
{
	struct node *na = &t->nodes[a], *nb = &t->nodes[b];

	if (a == b || !pa || !pb || pa > na->nports || pb > nb->nports)
		die("link to a port that does not exist");
	if (na->ports[pa].peer || nb->ports[pb].peer)
		die("link to a port already in use");
	na->ports[pa] = (struct port){.peer = b + 1, .peer_port = pb};
	nb->ports[pb] = (struct port){.peer = a + 1, .peer_port = pa};
}

/* Node indexes (0-based) of the numbered (1-based) nodes of each kind. */
static unsigned leaf_ix(const struct topo *t, unsigned leaf)
{
	return t->first_leaf + leaf - 1;
}

static unsigned spine_ix(const struct topo *t, unsigned spine)
{
	return t->first_spine + spine - 1;
}

/* The CA of host @h, or the PF of hypervisor @h (its VF k follows at + k). */
static unsigned ca_ix(const struct topo *t, unsigned h)
{
	return t->first_ca + (h - 1) * (t->p.vswitch ? 1 + t->p.vfs : 1);
}

/* Adds every node in the order of the file: the SM's HCA first, then the other HCAs. */
static void add_nodes(struct topo *t)
{
	const struct params *p = &t->p;
	unsigned h, k, i, pods = p->levels == 3 ? p->pods : 1;

	add_node(t, K_SM, 1, 0, 1);
	t->first_ca = t->n_used;
	for (h = 1; h <= t->n_hyp; h++) {
		add_node(t, p->vswitch ? K_PF : K_HOST, h, 0, 1);
		for (k = 1; p->vswitch && k <= p->vfs; k++)
			add_node(t, K_VF, h, k, 1);
	}
	t->first_vsw = t->n_used;
	for (h = 1; p->vswitch && h <= t->n_hyp; h++)
		add_node(t, K_VSW, h, 0, 2 + p->vfs);
	t->first_leaf = t->n_used;
	for (i = 1; i <= t->n_leaves; i++)
		add_node(t, K_LEAF, i, 0, t->leaf_ports);
	t->first_spine = t->n_used;
	for (i = 1; i <= t->n_spines; i++)
		add_node(t, K_SPINE, i, 0, t->spine_ports);
	t->first_core = t->n_used;
	for (i = 1; p->levels == 3 && i <= p->cores; i++)
		add_node(t, K_CORE, i, 0, pods);
	if (t->n_used != t->n_nodes)
		die("fewer nodes than sized");
}

/*
 * Leaf l, port h: host (or vswitch) (l-1)*H + h. A vswitch: port 1 its leaf, port 2 its PF,
 * port 2+k its VF k. The SM's HCA: leaf1's port H+1.
 */
static void wire_edge(struct topo *t)
{
	const struct params *p = &t->p;
	unsigned h, k, leaf, port, below;

	for (h = 1; h <= t->n_hyp; h++) {
		leaf = leaf_ix(t, (h - 1) / p->hosts_per_leaf + 1);
		port = (h - 1) % p->hosts_per_leaf + 1;
		if (!p->vswitch) {
			link_ports(t, ca_ix(t, h), 1, leaf, port);
			continue;
		}
		below = t->first_vsw + h - 1;
		link_ports(t, below, 1, leaf, port);
		link_ports(t, ca_ix(t, h), 1, below, 2);
		for (k = 1; k <= p->vfs; k++)
			link_ports(t, ca_ix(t, h) + k, 1, below, 2 + k);
	}
	link_ports(t, 0, 1, leaf_ix(t, 1), p->hosts_per_leaf + 1);
}

/*
 * Leaf l of pod q (2 levels: one pod) and spine s of the same pod: the leaf's port H+1+s, the
 * spine's port l (both numbered within the pod).
 */
static void wire_pods(struct topo *t)
{
	const struct params *p = &t->p;
	unsigned q, l, s, pods = p->levels == 3 ? p->pods : 1;

	for (q = 0; q < pods; q++)
		for (l = 1; l <= p->leaves; l++)
			for (s = 1; s <= p->spines; s++)
				link_ports(t, leaf_ix(t, q * p->leaves + l),
					   p->hosts_per_leaf + 1 + s,
					   spine_ix(t, q * p->spines + s), l);
}

/*
 * 3 levels: G = cores/spines cores per group; spine s of pod q, port L+g, links to core
 * (s-1)*G + g, port q: every core has one spine of each pod.
 */
static void wire_cores(struct topo *t)
{
	const struct params *p = &t->p;
	unsigned q, s, g, grp = p->cores / p->spines;

	for (q = 1; q <= p->pods; q++)
		for (s = 1; s <= p->spines; s++)
			for (g = 1; g <= grp; g++)
				link_ports(t, spine_ix(t, (q - 1) * p->spines + s), p->leaves + g,
					   t->first_core + (s - 1) * grp + g - 1, q);
}

/* Builds the model of @t (sized); exits on memory shortage. */
static void build(struct topo *t)
{
	t->nodes = calloc(t->n_nodes, sizeof(*t->nodes));
	/* ibsim's count has a switch's port 0; add an HCA's unused ports[0] */
	t->pool_size = t->ibsim_ports + t->n_hcas;
	t->port_pool = calloc(t->pool_size, sizeof(*t->port_pool));
	if (!t->nodes || !t->port_pool)
		die("out of memory");
	add_nodes(t);
	wire_edge(t);
	wire_pods(t);
	if (t->p.levels == 3)
		wire_cores(t);
}

static void topo_free(struct topo *t)
{
	free(t->nodes);
	free(t->port_pool);
}

/* ---- names and GUIDs ----------------------------------------------------------------------- */

static const char *node_name(const struct topo *t, const struct node *n, char *buf, size_t len)
{
	if (n->kind == K_SM)
		return t->p.sm_name;
	if (n->kind == K_VF)
		snprintf(buf, len, "vf%u-%u", n->num, n->sub);
	else
		snprintf(buf, len, "%s%u", kinds[n->kind].name, n->num);
	return buf;
}

/* @v (at most 999999) with each decimal digit in a nibble: 1703 -> 0x001703. */
static uint64_t decimal_nibbles(unsigned v)
{
	uint64_t r = 0;
	unsigned shift;

	for (shift = 0; v; shift += 4, v /= 10)
		r |= (uint64_t)(v % 10) << shift;
	return r;
}

/* 0x0002c9 KK DDDDDD 00: see the header of the generated file. */
static uint64_t node_guid(const struct node *n)
{
	unsigned number = n->kind == K_VF ? n->num * 100 + n->sub : n->num;

	return GUID_OUI << 40 | (uint64_t)kinds[n->kind].guid_kind << 32 |
	       decimal_nibbles(number) << 8;
}

/* ibsim: an HCA's port p has the node GUID + p; a switch's port 0 has the node GUID. */
static uint64_t port_guid(const struct node *n)
{
	return kinds[n->kind].sw ? node_guid(n) : node_guid(n) + 1;
}

/* vswN, pfN and its VFs are one device: they share vswN's node GUID as system image GUID. */
static uint64_t sysimg_guid(const struct node *n)
{
	struct node vsw = {.kind = K_VSW, .num = n->num};

	return node_guid(&vsw);
}

/* ---- the net file -------------------------------------------------------------------------- */

static void print_command(FILE *f, const struct params *p)
{
	fprintf(f,
		"# generated by: " PROG " --levels %u --hosts-per-leaf %u --leaves %u --spines %u",
		p->levels, p->hosts_per_leaf, p->leaves, p->spines);
	if (p->levels == 3)
		fprintf(f, " --pods %u --cores %u", p->pods, p->cores);
	if (p->vswitch)
		fprintf(f, " --vswitch --vfs %u", p->vfs);
	if (strcmp(p->sm_name, "sm"))
		fprintf(f, " --sm-node %s", p->sm_name);
	fputc('\n', f);
}

static void print_shape(FILE *f, const struct topo *t)
{
	const struct params *p = &t->p;
	const char *h = p->vswitch ? "hypervisors" : "hosts";

	if (p->levels == 2)
		fprintf(f,
			"# 2-level fat tree: %u leaves x %u %s, %u spines linked once to every "
			"leaf.\n",
			p->leaves, p->hosts_per_leaf, h, p->spines);
	else
		fprintf(f,
			"# 3-level fat tree: %u pods of %u leaves x %u %s and %u spines (each "
			"linked once to\n# every leaf of its pod), %u cores in %u groups.\n",
			p->pods, p->leaves, p->hosts_per_leaf, h, p->spines, p->cores, p->spines);
	if (p->vswitch)
		fprintf(f,
			"# Hypervisor N: a %u-port switch vswN, its PF pfN (the agent's HCA) "
			"and VFs vfN-1..vfN-%u,\n# each a one-port HCA with a LID of its own.\n",
			p->vfs + 2, p->vfs);
	fprintf(f,
		"# %u HCAs (%u %s + %s), %u switches: %u nodes, %lu ports as ibsim counts "
		"them.\n",
		t->n_hcas, p->vswitch ? t->n_hyp * (1 + p->vfs) : t->n_hyp,
		p->vswitch ? "PFs and VFs" : "hosts", p->sm_name, t->n_switches, t->n_nodes,
		t->ibsim_ports);
}

static void print_wiring(FILE *f, const struct topo *t)
{
	const struct params *p = &t->p;
	unsigned H = p->hosts_per_leaf, S = p->spines, L = p->leaves, G = p->cores / S;

	fprintf(f, "#\n# Wiring, [port] of each switch (numbers count from 1):\n");
	fprintf(f,
		"#   leafL   [1-%u] %s, N = (L-1)*%u + port; [%u] %s (leaf1 only, unused "
		"elsewhere)\n",
		H, p->vswitch ? "vswN" : "hostN", H, H + 1, p->sm_name);
	if (p->levels == 2) {
		fprintf(f, "#           [%u+S] spineS, S = 1-%u\n#   spineS  [L] leafL, L = 1-%u\n",
			H + 1, S, L);
	} else {
		fprintf(f,
			"#           [%u+s] spine (P-1)*%u + s, s = 1-%u: the spines of its "
			"pod P\n",
			H + 1, S, S);
		fprintf(f,
			"#   spine (P-1)*%u + s: [l] leaf (P-1)*%u + l, l = 1-%u; [%u+g] core "
			"(s-1)*%u + g, g = 1-%u\n#   coreC   [P] the spine of pod P that links to "
			"it\n",
			S, L, L, L, G, G);
	}
	if (p->vswitch)
		fprintf(f, "#   vswN    [1] its leaf, [2] pfN, [2+K] vfN-K\n");
}

static void print_names(FILE *f, const struct topo *t)
{
	fprintf(f,
		"#\n# Names: hostN, vswN, pfN, vfN-K, leafN, spineN, coreN, numbered from 1 "
		"across the fabric;\n# %s runs OpenSM. NodeDescription = name; a client "
		"attaches with SIM_HOST=<name>.\n",
		t->p.sm_name);
	fprintf(f,
		"# GUIDs: node GUID 0x0002c9KKDDDDDD00, KK the kind (01 host, 02 %s, 04 pf, "
		"05 vf, 10 leaf,\n# 20 spine, 30 core, 40 vsw), DDDDDD the node's number in "
		"decimal digits (vfN-K: NNNNKK).\n",
		t->p.sm_name);
	fprintf(f,
		"# An HCA's port 1 GUID is its node GUID + 1, a switch's port 0 GUID its node "
		"GUID (ibsim).\n# E.g. host17 0x0002c90100001700 (port 0x0002c90100001701), "
		"vf17-3 0x0002c90500170300,\n# leaf2 0x0002c91000000200; %s 0x0002c90200000100. "
		"vswN, pfN and vfN-K share\n# vswN's GUID as system image GUID.\n",
		t->p.sm_name);
	fprintf(f, "# LIDs are OpenSM's choice (guid2lid in its cache directory).\n");
}

/* The ibsim options beyond its defaults; every word is one fabric_start --ibsim-opt. */
static void print_ibsim(FILE *f, const struct topo *t)
{
	fprintf(f,
		"#\n# ibsim limits: this fabric needs %u nodes, %u switches, %lu ports "
		"(ibsim 0.10's defaults:\n# %d, %d, %d); the line below raises the ones "
		"exceeded (empty if none).\n",
		t->n_nodes, t->n_switches, t->ibsim_ports, IBSIM_NODES, IBSIM_SWITCHES,
		IBSIM_PORTS);
	fprintf(f, "# ibsim-opts:");
	if (t->n_nodes > IBSIM_NODES)
		fprintf(f, " -N %u", t->n_nodes);
	if (t->n_switches > IBSIM_SWITCHES)
		fprintf(f, " -S %u", t->n_switches);
	if (t->ibsim_ports > IBSIM_PORTS)
		fprintf(f, " -P %lu", t->ibsim_ports);
	fprintf(f, "\n#\n# fabric-sm: %s\n", t->p.sm_name);
}

static void print_header(FILE *f, const struct topo *t)
{
	fprintf(f, "# ibvmig's simulated test fabric (ibsim net-file format), written by " PROG
		   "\n# (test-fabric/topogen.c).\n");
	print_command(f, &t->p);
	fprintf(f, "#\n");
	print_shape(f, t);
	print_wiring(f, t);
	print_names(f, t);
	print_ibsim(f, t);
}

static void print_node(FILE *f, const struct topo *t, const struct node *n)
{
	char name[48], peer[48];
	unsigned i;

	fputc('\n', f);
	if (n->kind == K_VSW || n->kind == K_PF || n->kind == K_VF)
		fprintf(f, "sysimgguid=0x%016" PRIx64 "\n", sysimg_guid(n));
	fprintf(f, "%s=0x%016" PRIx64 "\n", kinds[n->kind].sw ? "switchguid" : "hcaguids",
		node_guid(n));
	fprintf(f, "%s\t%u \"%s\"\n", kinds[n->kind].sw ? "Switch" : "Hca", n->nports,
		node_name(t, n, name, sizeof(name)));
	for (i = 1; i <= n->nports; i++) {
		if (!n->ports[i].peer)
			continue;
		fprintf(f, "[%u]\t\"%s\"[%u]\n", i,
			node_name(t, &t->nodes[n->ports[i].peer - 1], peer, sizeof(peer)),
			n->ports[i].peer_port);
	}
}

static void print_net(FILE *f, const struct topo *t)
{
	unsigned i;

	print_header(f, t);
	for (i = 0; i < t->n_nodes; i++)
		print_node(f, t, &t->nodes[i]);
}

/* ---- the table of --list ------------------------------------------------------------------- */

static void print_list(FILE *f, const struct topo *t)
{
	char name[48], peer[48];
	const struct node *n;
	unsigned i, j;

	print_command(f, &t->p);
	fprintf(f, "# node KIND NAME NODE_GUID PORT_GUID NPORTS / link NAME PORT NAME PORT\n");
	for (i = 0; i < t->n_nodes; i++) {
		n = &t->nodes[i];
		fprintf(f, "node %s %s 0x%016" PRIx64 " 0x%016" PRIx64 " %u\n", kinds[n->kind].name,
			node_name(t, n, name, sizeof(name)), node_guid(n), port_guid(n), n->nports);
	}
	for (i = 0; i < t->n_nodes; i++) {
		n = &t->nodes[i];
		for (j = 1; j <= n->nports; j++) {
			/* each link once: from its end with the lower node index */
			if (!n->ports[j].peer || n->ports[j].peer - 1 < i)
				continue;
			fprintf(f, "link %s %u %s %u\n", node_name(t, n, name, sizeof(name)), j,
				node_name(t, &t->nodes[n->ports[j].peer - 1], peer, sizeof(peer)),
				n->ports[j].peer_port);
		}
	}
}

/* ---- main ---------------------------------------------------------------------------------- */

static int write_output(const struct topo *t)
{
	FILE *f = stdout;

	if (t->p.out && !(f = fopen(t->p.out, "w"))) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", t->p.out, strerror(errno));
		return IBVMIG_EXIT_FAILED;
	}
	if (t->p.list)
		print_list(f, t);
	else
		print_net(f, t);
	if (ferror(f) | (f != stdout ? fclose(f) : fflush(f))) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", t->p.out ? t->p.out : "output",
			strerror(errno));
		if (t->p.out)
			remove(t->p.out);
		return IBVMIG_EXIT_FAILED;
	}
	return IBVMIG_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct topo t = {0};
	int rc;

	if ((rc = parse_args(argc, argv, &params)) >= 0)
		return rc;
	t.p = params;
	if (t.p.levels == 3 && !t.p.given_cores)
		t.p.cores = t.p.spines;
	if ((rc = check_options(&t.p)) >= 0 || (rc = size_fabric(&t)) >= 0)
		return rc;
	build(&t);
	rc = write_output(&t);
	topo_free(&t);
	return rc;
}

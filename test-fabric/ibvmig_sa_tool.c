// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-sa - the command-line face of libibvmig-sa, for tests and for hands:
 * show the own port, set/delete/list its alias GUIDs, ask for a PathRecord,
 * listen for Reports (one JSON object per line), and speak the LID escrow's
 * MADs (RELEASE/CLAIM/CANCEL/QUERY, and malformed ones) through its codec.
 * See doc/ibvmig-sa.md.
 */
#include "ibvmig_cli.h"
#include "ibvmig_escrow.h"
#include "ibvmig_sa.h"
#include "ibvmig_util.h"
#include "sa_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "ibvmig-sa"

#define MAX_TRAPS	16
#define LISTEN_SLICE_MS 200 /* how soon a TERM is noticed under umad2sim */

struct args {
	struct ibvmig_sa_opts opts;
	const char *cmd;
	uint64_t vguid;
	int index;
	uint16_t traps[MAX_TRAPS];
	unsigned n_traps;
	unsigned long count;
	uint64_t listen_ms;		/* listen --duration; 0: until --count or a signal */
	unsigned per_vm;
	unsigned long repeat;
	uint16_t lid;		/* --lid: another port's LID, 0 = the own port */
	bool stats;
	/* trap, report: what the forged notice says, when given */
	struct {
		bool epoch, seq, number, new_lid, issuer;
	} set;
	uint32_t epoch, number;
	uint64_t seq, issuer_guid;
	uint16_t new_lid;
	/* escrow-* */
	uint64_t guid;		/* --guid: the port a request names; 0 = the own port */
	uint64_t dest;		/* --dest */
	uint8_t token[IBVMIG_ESC_TOKEN_LEN];	/* --token */
	bool have_token;
	const char *until;	/* --until STATE: escrow-query polls until then */
	const char *mcase;	/* --case: escrow-raw */
	uint64_t tid;		/* --tid: vendor-forge */
};

static volatile sig_atomic_t stop_signal;

#define HELP                                                                                       \
	"The command-line face of libibvmig-sa, for tests and for hands (doc/ibvmig-sa.md).\n"     \
	"commands:\n"                                                                              \
	"  info                          own port: GUID, LID, subnet prefix, SM LID/SL\n"          \
	"  alias-set --vguid G [--index I]\n"                                                      \
	"                                add vGUID G as an alias of the own port; prints\n"        \
	"                                the index used (the one holding G, else the\n"            \
	"                                first free one, unless --index)\n"                        \
	"  alias-delete --vguid G [--index I]\n"                                                   \
	"                                remove vGUID G from the own port\n"                       \
	"      (both: --lid L --index I act on the port of LID L instead, as a\n"                  \
	"       management node would; the plugin's alias guard refuses others)\n"                 \
	"  aliases                       list the own port's GUID table (index=I guid=G)\n"        \
	"  path --vguid G [--repeat N]   PathRecord from the own port to prefix:G, one\n"          \
	"                                line: dlid=N slid=N sl=N mtu=N rate=N pkey=N ...\n"       \
	"  listen [--traps 68,69] [--count N] [--duration MS] [--per-vm-range N]\n"                \
	"                                subscribe, print one JSON object per Report,\n"           \
	"                                stop after N Reports, MS milliseconds, TERM or\n"         \
	"                                INT, then unsubscribe\n"                                  \
	"  batch                         read \"set G I\", \"delete G I\" or \"path G\"\n"         \
	"                                lines on stdin; for each print \"<op> G rc=N\n"           \
	"                                t0=NS t1=NS [dlid=N]\" (CLOCK_REALTIME ns around\n"       \
	"                                the SA exchange), for benchmarks\n"                       \
	"  portinfo [--repeat N]         the own port's PortInfo (directed route, hop 0)\n"        \
	"  trap --vguid G [--traps 68,69] [--lid L] [NOTICE]\n"                                    \
	"                                a Trap(Notice) 68/69 about G to the SM (or L)\n"          \
	"  report --lid L --vguid G [--traps 68,69] [--issuer-guid P] [NOTICE]\n"                 \
	"                                an SA Report(Notice) straight to port L, as only\n"      \
	"                                the SA should send (issuer: the SM's port, or P)\n"      \
	"      NOTICE: [--epoch E] [--seq S] [--number N] [--new-lid L] what it says\n"           \
	"  vendor-serve [--repeat K] [--count N]\n"                                                \
	"                                answer class 0x09 requests at their K-th copy\n"          \
	"  vendor-request --lid L [--vguid G]\n"                                                   \
	"                                one class 0x09 request to L, resent with one TID\n"       \
	"  vendor-forge --lid L --tid T  a class 0x09 GetResp to L with TID T, as a hostile\n"    \
	"                                port answers a request it saw (data \"forged\")\n"        \
	"  escrow-release [--guid P] [--dest D]\n"                                                 \
	"                                RELEASE port P (default the own port) into escrow;\n"     \
	"                                prints the answer, its token included\n"                  \
	"  escrow-claim --token T [--guid Q]   CLAIM escrow T on port Q\n"                         \
	"  escrow-cancel --token T [--guid P]  CANCEL escrow T\n"                                  \
	"  escrow-query --token T [--guid N] [--until STATE]\n"                                    \
	"                                QUERY escrow T (asking about port N); --until:\n"         \
	"                                again every 200 ms until STATE, 30 s at most\n"           \
	"  escrow-raw --case C [--guid P] [--token T]\n"                                           \
	"                                one malformed escrow MAD (doc/ibvmig-sa.md): prints\n"    \
	"                                the answer's MAD status\n"                                \
	"options (anywhere on the line):\n"                                                        \
	"  -t MS                 SA request timeout per attempt (default 1000)\n"                  \
	"  -r, --retries N       resends after a timeout (default 3)\n"                            \
	"      --sim             ibsim/umad2sim mode: hold the issm device while\n"                \
	"                        subscribed and answer SMInfo (never on real hardware)\n"          \
	"      --stats           at the end, \"ibvmig-sa: stats {counters as JSON}\" on stderr\n"

/* A libibvmig-sa error as the exit status of ibvmig(7). */
static int exit_code(int rc)
{
	switch (rc) {
	case 0:
		return IBVMIG_EXIT_OK;
	case -ETIMEDOUT:
	case -ENODEV:
	case -ENETDOWN:
		return IBVMIG_EXIT_UNREACHABLE;
	case -ENOENT:
		return IBVMIG_EXIT_NOT_FOUND;
	case -EEXIST:
		return IBVMIG_EXIT_HELD;
	case -ENOSPC:
		return IBVMIG_EXIT_FULL;
	case -EACCES:
		return IBVMIG_EXIT_DENIED;
	default:
		return IBVMIG_EXIT_FAILED;	/* the SA refused, or anything else */
	}
}

static const struct cli_tool tool;	/* defined with the options below */

static int sa_fail(const char *what, int rc)
{
	return cli_fail(&tool, exit_code(rc), "%s: %s", what, ibvmig_sa_strerror(rc));
}

/* ---- argument parsing ---------------------------------------------------- */

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (util_parse_uint(s, 0, 0, max, &v))
		return false;
	*out = (unsigned long)v;
	return true;
}

static bool parse_traps(const char *s, struct args *a)
{
	char *copy = strdup(s), *tok, *save = NULL;
	unsigned long v;
	bool ok = copy != NULL;

	a->n_traps = 0;
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; ok && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		ok = a->n_traps < MAX_TRAPS && parse_ulong(tok, 0xFFFF, &v);
		if (ok)
			a->traps[a->n_traps++] = (uint16_t)v;
	}
	free(copy);
	return ok && a->n_traps;
}

enum {
	OPT_SIM = 256,
	OPT_STATS,
	OPT_VGUID,
	OPT_INDEX,
	OPT_TRAPS,
	OPT_COUNT,
	OPT_PER_VM,
	OPT_REPEAT,
	OPT_LID,
	OPT_DURATION,
	OPT_EPOCH,
	OPT_SEQ,
	OPT_NUMBER,
	OPT_NEW_LID,
	OPT_ISSUER,
	OPT_GUID,
	OPT_DEST,
	OPT_TOKEN,
	OPT_UNTIL,
	OPT_CASE,
	OPT_TID,
};

static const struct option long_opts[] = {
	{ "retries", required_argument, NULL, 'r' },
	{ "sim", no_argument, NULL, OPT_SIM },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "vguid", required_argument, NULL, OPT_VGUID },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "traps", required_argument, NULL, OPT_TRAPS },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "per-vm-range", required_argument, NULL, OPT_PER_VM },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "lid", required_argument, NULL, OPT_LID },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "number", required_argument, NULL, OPT_NUMBER },
	{ "new-lid", required_argument, NULL, OPT_NEW_LID },
	{ "issuer-guid", required_argument, NULL, OPT_ISSUER },
	{ "guid", required_argument, NULL, OPT_GUID },
	{ "dest", required_argument, NULL, OPT_DEST },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "tid", required_argument, NULL, OPT_TID },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(int c, const char *arg, void *ctx);
static struct args args;

static const struct cli_tool tool = {
	.prog = PROG,
	.synopsis = "[options] COMMAND [options]",
	.help = HELP,
	.common = CLI_OPT_CA | CLI_OPT_PORT | CLI_OPT_TIMEOUT,
	.shortopts = "r:",
	.longopts = long_opts,
	.opt = parse_opt,
	.ctx = &args,
	.permute = true,
};

/* The options that say what a forged notice holds (trap, report). */
static int parse_notice_opt(int c, const char *arg, struct args *a)
{
	uint64_t v;

	switch (c) {
	case OPT_EPOCH:
		a->set.epoch = true;
		return util_parse_uint(arg, 0, 0, UINT32_MAX, &v) ? -1 : (a->epoch = (uint32_t)v, 0);
	case OPT_SEQ:
		a->set.seq = true;
		return util_parse_uint(arg, 0, 0, UINT64_MAX, &a->seq) ? -1 : 0;
	case OPT_NUMBER:
		a->set.number = true;
		return util_parse_uint(arg, 0, 0, UINT32_MAX, &v) ? -1 : (a->number = (uint32_t)v, 0);
	case OPT_NEW_LID:
		a->set.new_lid = true;
		return util_parse_uint(arg, 0, 0, 0xFFFF, &v) ? -1 : (a->new_lid = (uint16_t)v, 0);
	case OPT_ISSUER:
		a->set.issuer = true;
		return util_parse_guid(arg, &a->issuer_guid) ? -1 : 0;
	default:
		return -1;
	}
}

static int parse_opt(int c, const char *arg, void *ctx)
{
	struct args *a = ctx;
	unsigned long v;

	if (c == OPT_EPOCH || c == OPT_SEQ || c == OPT_NUMBER || c == OPT_NEW_LID || c == OPT_ISSUER)
		return parse_notice_opt(c, arg, a);
	switch (c) {
	case 'r':
		return parse_ulong(arg, 1000, &v) ? (a->opts.retries = (int)v, 0) : -1;
	case OPT_SIM:
		a->opts.simulator = true;
		return 0;
	case OPT_STATS:
		a->stats = true;
		return 0;
	case OPT_VGUID:
		return util_parse_guid(arg, &a->vguid) ? -1 : 0;
	case OPT_INDEX:
		return parse_ulong(arg, 2047, &v) && v ? (a->index = (int)v, 0) : -1;
	case OPT_TRAPS:
		return parse_traps(arg, a) ? 0 : -1;
	case OPT_COUNT:
		return parse_ulong(arg, ~0UL, &a->count) ? 0 : -1;
	case OPT_PER_VM:
		return parse_ulong(arg, 0xBFFE, &v) && v ? (a->per_vm = (unsigned)v, 0) : -1;
	case OPT_LID:
		return parse_ulong(arg, 0xBFFF, &v) && v ? (a->lid = (uint16_t)v, 0) : -1;
	case OPT_REPEAT:
		return parse_ulong(arg, 100000000, &a->repeat) && a->repeat ? 0 : -1;
	case OPT_DURATION:
		return parse_ulong(arg, 86400000, &v) ? (a->listen_ms = v, 0) : -1;
	case OPT_GUID:
		return util_parse_guid(arg, &a->guid) ? -1 : 0;
	case OPT_DEST:
		return util_parse_guid(arg, &a->dest) ? -1 : 0;
	case OPT_TOKEN:
		return util_parse_hex(arg, a->token, sizeof(a->token)) ? -1 : (a->have_token = true, 0);
	case OPT_TID:
		return util_parse_uint(arg, 0, 1, UINT64_MAX, &a->tid) ? -1 : 0;
	case OPT_UNTIL:
		a->until = arg;
		return 0;
	case OPT_CASE:
		a->mcase = arg;
		return 0;
	default:
		return -1;
	}
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	struct cli_common c = { 0 };
	int first, code;

	ibvmig_sa_opts_init(&a->opts);
	a->index = -1;
	a->traps[0] = IBVMIG_TRAP_UNPATH;
	a->traps[1] = IBVMIG_TRAP_REPATH;
	a->n_traps = 2;
	a->repeat = 1;
	c.timeout_ms = a->opts.timeout_ms;
	code = cli_parse(&tool, argc, argv, &c, &first);
	if (code >= 0)
		return code;
	a->opts.ca = c.ca;
	a->opts.port = c.port;
	a->opts.timeout_ms = c.timeout_ms;
	if (first >= argc)
		return cli_usage_error(&tool, "no command");
	a->cmd = argv[first];
	if (first + 1 < argc)
		return cli_usage_error(&tool, "%s: unexpected argument %s", a->cmd,
				       argv[first + 1]);
	return -1;
}

/* ---- commands ----------------------------------------------------------- */

static int cmd_info(struct ibvmig_sa *sa, const struct args *a)
{
	const struct ibvmig_sa_port *p = ibvmig_sa_port(sa);

	(void)a;
	printf("ca=%s port=%d guid=0x%016" PRIx64 " lid=%u lmc=%u prefix=0x%016" PRIx64
	       " sm_lid=%u sm_sl=%u\n",
	       p->ca, p->portnum, p->port_guid, p->lid, p->lmc, p->subnet_prefix, p->sm_lid,
	       p->sm_sl);
	return IBVMIG_EXIT_OK;
}

static int need_vguid(const struct args *a)
{
	return a->vguid ? -1 : cli_usage_error(&tool, "%s: --vguid is required", a->cmd);
}

static int cmd_alias_set(struct ibvmig_sa *sa, const struct args *a)
{
	int index = a->index, held, free_index, rc;
	char what[64];

	snprintf(what, sizeof(what), "alias-set 0x%016" PRIx64, a->vguid);
	if (a->lid) {
		if (index < 0)
			return cli_usage_error(&tool, "alias-set: --lid needs --index");
		rc = ibvmig_sa_alias_set_at(sa, a->lid, a->vguid, index);
		return rc ? sa_fail(what, rc) : (printf("%d\n", index), IBVMIG_EXIT_OK);
	}
	if (index < 0) {
		rc = ibvmig_sa_alias_find(sa, a->vguid, &held, &free_index);
		if (rc)
			return sa_fail(what, rc);
		index = held >= 0 ? held : free_index;
		if (index < 0)
			return sa_fail(what, -ENOSPC);
	}
	rc = ibvmig_sa_alias_set(sa, a->vguid, index);
	if (rc)
		return sa_fail(what, rc);
	printf("%d\n", index);
	return IBVMIG_EXIT_OK;
}

static int cmd_alias_delete(struct ibvmig_sa *sa, const struct args *a)
{
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "alias-delete 0x%016" PRIx64, a->vguid);
	if (a->lid && a->index < 0)
		return cli_usage_error(&tool, "alias-delete: --lid needs --index");
	rc = a->lid ? ibvmig_sa_alias_delete_at(sa, a->lid, a->vguid, a->index)
		    : ibvmig_sa_alias_delete(sa, a->vguid, a->index);
	return rc ? sa_fail(what, rc) : IBVMIG_EXIT_OK;
}

static int cmd_aliases(struct ibvmig_sa *sa, const struct args *a)
{
	struct ibvmig_sa_guid_block b;
	int block, i, rc;

	(void)a;
	for (block = 0; block < 256; block++) {
		rc = ibvmig_sa_guid_block(sa, (uint8_t)block, &b);
		if (rc == -ENOENT && block > 0)
			break;
		if (rc)
			return sa_fail("aliases", rc);
		for (i = 0; i < IBVMIG_SA_GUIDS_PER_BLOCK; i++)
			if (b.guid[i])
				printf("index=%d guid=0x%016" PRIx64 "\n",
				       block * IBVMIG_SA_GUIDS_PER_BLOCK + i, b.guid[i]);
	}
	return IBVMIG_EXIT_OK;
}

static double mono_us(void)
{
	return (double)util_mono_ns() / 1e3;
}

static int cmd_path(struct ibvmig_sa *sa, const struct args *a)
{
	double t, dt, sum = 0, min = 0, max = 0;
	struct ibvmig_sa_path p;
	unsigned long i;
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "path 0x%016" PRIx64, a->vguid);
	for (i = 0; i < a->repeat; i++) {
		t = mono_us();
		rc = ibvmig_sa_path_by_guid(sa, a->vguid, &p);
		dt = mono_us() - t;
		if (rc)
			return sa_fail(what, rc);
		sum += dt;
		min = i && min < dt ? min : dt;
		max = max > dt ? max : dt;
	}
	printf("dlid=%u slid=%u sl=%u mtu=%u rate=%s pkey=0x%04x hop_limit=%u tclass=%u "
	       "flow_label=%u reversible=%d pkt_life=%u dgid=0x%016" PRIx64 ":0x%016" PRIx64
	       " sgid=0x%016" PRIx64 ":0x%016" PRIx64 "\n",
	       p.dlid, p.slid, p.sl, ibvmig_sa_mtu_bytes(p.mtu), ibvmig_sa_rate_str(p.rate), p.pkey,
	       p.hop_limit, p.tclass, p.flow_label, p.reversible, p.pkt_life, p.dgid_prefix,
	       p.dgid_guid, p.sgid_prefix, p.sgid_guid);
	if (a->repeat > 1)
		fprintf(stderr,
			PROG ": path: %lu requests, round trip avg %.0f us, "
			     "min %.0f us, max %.0f us\n",
			a->repeat, sum / a->repeat, min, max);
	return IBVMIG_EXIT_OK;
}

/* ---- batch -------------------------------------------------------------- */

/* One batch line: "set G I", "delete G I" or "path G". */
static void batch_line(struct ibvmig_sa *sa, const char *line)
{
	struct ibvmig_sa_path p = { 0 };
	char op[16];
	unsigned long long guid;
	int index = -1, n, rc;
	uint64_t t0, t1;

	n = sscanf(line, "%15s %llx %d", op, &guid, &index);
	if (n < 2) {
		printf("? rc=%d\n", -EINVAL);
		return;
	}
	t0 = util_wall_ns();
	if (!strcmp(op, "set"))
		rc = ibvmig_sa_alias_set(sa, guid, index);
	else if (!strcmp(op, "delete"))
		rc = ibvmig_sa_alias_delete(sa, guid, index);
	else if (!strcmp(op, "path"))
		rc = ibvmig_sa_path_by_guid(sa, guid, &p);
	else
		rc = -EINVAL;
	t1 = util_wall_ns();
	printf("%s 0x%016llx rc=%d t0=%" PRIu64 " t1=%" PRIu64 " dlid=%u\n", op, guid, rc, t0, t1,
	       p.dlid);
}

static int cmd_batch(struct ibvmig_sa *sa, const struct args *a)
{
	char line[128];

	(void)a;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* the driver reads each answer at once */
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin))
		batch_line(sa, line);
	return IBVMIG_EXIT_OK;
}

/* ---- listen ------------------------------------------------------------- */

struct listen_state {
	unsigned long reports;
};

/* The IssuerGID as "0xPREFIX:0xGUID" (the 16 bytes are network order, IBA 4.1.1). */
static void print_issuer_gid(const uint8_t gid[16])
{
	int i;

	printf(",\"issuer_gid\":\"0x");
	for (i = 0; i < 16; i++)
		printf(i == 8 ? ":0x%02x" : "%02x", gid[i]);
	printf("\"");
}

static void print_report(const struct ibvmig_sa_report *r, void *ctx)
{
	struct listen_state *st = ctx;
	const struct ibvmig_path_notice *n = &r->path;

	printf("{\"trap\":%d", r->trap);
	if (r->path_rc == IBVMIG_TRAP_UNPATH || r->path_rc == IBVMIG_TRAP_REPATH)
		printf(",\"reason\":\"%s\",\"vguid\":\"0x%016" PRIx64 "\",\"new_lid\":%u,"
		       "\"old_lid\":%u,\"new_port_guid\":\"0x%016" PRIx64 "\","
		       "\"old_port_guid\":\"0x%016" PRIx64 "\",\"epoch\":%" PRIu32
		       ",\"seq\":%" PRIu64 ",\"number\":%" PRIu32,
		       ibvmig_reason_name(n->reason), n->vguid, n->new_lid, n->old_lid,
		       n->new_port_guid, n->old_port_guid, n->epoch, n->seq, n->number);
	else if (r->trap == IBVMIG_TRAP_UNPATH || r->trap == IBVMIG_TRAP_REPATH)
		printf(",\"error\":\"%s\"", ibvmig_sa_strerror(r->path_rc));
	if (r->gid_prefix || r->gid_guid)
		printf(",\"gid\":\"0x%016" PRIx64 ":0x%016" PRIx64 "\"", r->gid_prefix,
		       r->gid_guid);
	printf(",\"issuer_lid\":%u", r->notice.issuer_lid);
	print_issuer_gid(r->notice.issuer_gid);
	printf(",\"slid\":%u,\"time\":%lld.%06ld}\n", r->slid, (long long)r->received.tv_sec,
	       r->received.tv_nsec / 1000);
	fflush(stdout);
	st->reports++;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a real poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Subscription k of trap t: the plain one, or per-VM range k. */
static int subscribe_one(struct ibvmig_sa *sa, uint16_t trap, unsigned k, bool per_vm, bool on)
{
	uint16_t begin, end;
	int rc;

	if (!per_vm)
		return ibvmig_sa_subscribe(sa, trap, on);
	rc = ibvmig_sa_per_vm_range(sa, k, &begin, &end);
	return rc ? rc : ibvmig_sa_subscribe_range(sa, trap, on, begin, end);
}

static int unsubscribe_all(struct ibvmig_sa *sa, const struct args *a)
{
	unsigned t, k, per = a->per_vm ? a->per_vm : 1;
	int rc, first = 0;

	for (t = 0; t < a->n_traps; t++)
		for (k = 0; k < per; k++) {
			rc = subscribe_one(sa, a->traps[t], k, a->per_vm, false);
			if (rc && !first && rc != -EBADR)
				first = rc;
		}
	return first;
}

static void traps_str(const struct args *a, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < a->n_traps && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u", i ? "," : "", a->traps[i]);
}

static int cmd_listen(struct ibvmig_sa *sa, const struct args *a)
{
	struct listen_state st = {0};
	unsigned t, k, per = a->per_vm ? a->per_vm : 1;
	double deadline = a->listen_ms ? mono_us() + (double)a->listen_ms * 1e3 : 0;
	char traps[MAX_TRAPS * 6 + 1];
	int rc = 0, code = IBVMIG_EXIT_OK;

	catch_signals();
	traps_str(a, traps, sizeof(traps));
	for (t = 0; t < a->n_traps && !rc; t++)
		for (k = 0; k < per && !rc; k++)
			rc = subscribe_one(sa, a->traps[t], k, a->per_vm, true);
	if (rc) {
		code = sa_fail("listen: subscribe", rc);
		unsubscribe_all(sa, a);
		return code;
	}
	fprintf(stderr, PROG ": listening on lid %u for traps %s (%u subscriptions)\n",
		ibvmig_sa_port(sa)->lid, traps, ibvmig_sa_subscriptions(sa));
	while (!stop_signal && (!a->count || st.reports < a->count)) {
		int slice = LISTEN_SLICE_MS;

		if (deadline) {
			double left_ms = (deadline - mono_us()) / 1e3;

			if (left_ms <= 0)
				break;
			slice = left_ms < slice ? (int)left_ms + 1 : slice;
		}
		rc = ibvmig_sa_process(sa, slice, print_report, &st);
		if (rc < 0 && rc != -EINTR) {
			code = sa_fail("listen", rc);
			break;
		}
	}
	if (code == IBVMIG_EXIT_OK && a->count && st.reports < a->count && !stop_signal)
		code =
		    cli_fail(&tool, IBVMIG_EXIT_UNREACHABLE,
			     "listen: %lu of %lu Reports before the timeout", st.reports, a->count);
	rc = unsubscribe_all(sa, a);
	if (rc && code == IBVMIG_EXIT_OK)
		code = sa_fail("listen: unsubscribe", rc);
	return code;
}

static void print_stats(const struct ibvmig_sa *sa)
{
	struct ibvmig_sa_counters c;

	ibvmig_sa_get_counters(sa, &c);
	fprintf(stderr,
		PROG ": stats {\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"responses\":%" PRIu64
		     ",\"timeouts\":%" PRIu64 ",\"retries\":%" PRIu64 ",\"sa_errors\":%" PRIu64
		     ",\"reports\":%" PRIu64 ",\"report_dups\":%" PRIu64 ",\"bad_notices\":%" PRIu64
		     ",\"acks\":%" PRIu64 ",\"sminfo\":%" PRIu64 ",\"stale\":%" PRIu64
		     ",\"malformed\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"send_errors\":%" PRIu64
		     ",\"queue_overflow\":%" PRIu64 ",\"portinfo_queries\":%" PRIu64
		     ",\"portinfo_fallbacks\":%" PRIu64 ",\"traps_sent\":%" PRIu64
		     ",\"trap_represses\":%" PRIu64 ",\"busy\":%" PRIu64 ",\"requests_in\":%" PRIu64
		     ",\"requests_resent\":%" PRIu64 ",\"requests_overflow\":%" PRIu64
		     ",\"responses_sent\":%" PRIu64 ",\"wrong_source\":%" PRIu64 "}\n",
		c.sent, c.received, c.responses, c.timeouts, c.retries, c.sa_errors, c.reports,
		c.report_dups, c.bad_notices, c.acks, c.sminfo, c.stale, c.malformed, c.dropped,
		c.send_errors, c.queue_overflow, c.portinfo_queries, c.portinfo_fallbacks,
		c.traps_sent, c.trap_represses, c.busy, c.requests_in, c.requests_resent,
		c.requests_overflow, c.responses_sent, c.wrong_source);
}

/* ---- SMPs: the local PortInfo query, Traps -------------------------------- */

#define PORTINFO_PERIOD_MS 200

static int portinfo_line(struct ibvmig_sa *sa, const struct ibvmig_sa_port *start)
{
	const struct ibvmig_sa_port *p;
	struct ibvmig_sa_portinfo pi;
	int rc;

	rc = ibvmig_sa_query_portinfo(sa, &pi);
	if (rc)
		return sa_fail("portinfo", rc);
	rc = ibvmig_sa_refresh(sa);
	if (rc)
		return sa_fail("portinfo: refresh", rc);
	p = ibvmig_sa_port(sa);
	printf("lid=%u lmc=%u sm_lid=%u sm_sl=%u state=%u phys_state=%u capmask=0x%08x"
	       " prefix=0x%016" PRIx64 " local_port=%u refresh=%s refresh_lid=%u"
	       " refresh_sm_lid=%u start_lid=%u start_sm_lid=%u\n",
	       pi.lid, pi.lmc, pi.sm_lid, pi.sm_sl, pi.port_state, pi.phys_state, pi.cap_mask,
	       pi.gid_prefix, pi.local_port, p->from_portinfo ? "portinfo" : "umad", p->lid,
	       p->sm_lid, start->lid, start->sm_lid);
	fflush(stdout);
	return IBVMIG_EXIT_OK;
}

/*
 * portinfo [--repeat N]: N local PortInfo queries (and refreshes), one line
 * each, PORTINFO_PERIOD_MS apart; start_* is the handle's view at open.
 */
static int cmd_portinfo(struct ibvmig_sa *sa, const struct args *a)
{
	struct timespec pause = {0, PORTINFO_PERIOD_MS * 1000000L};
	struct ibvmig_sa_port start = *ibvmig_sa_port(sa);
	unsigned long i;
	int code = IBVMIG_EXIT_OK;

	catch_signals();
	for (i = 0; i < a->repeat && !stop_signal && code == IBVMIG_EXIT_OK; i++) {
		if (i)
			nanosleep(&pause, NULL);
		code = portinfo_line(sa, &start);
	}
	return code;
}

/*
 * A MAD sent just before the process detaches can be lost under ibsim (the
 * client leaves before ibsim reads its packet): stay a moment after the
 * last send of a command that does not wait for an answer.
 */
static void linger(struct ibvmig_sa *sa)
{
	ibvmig_sa_process(sa, LISTEN_SLICE_MS, NULL, NULL);
}

/*
 * One RePath/UnPath notice about a->vguid, as the SM would word it: a RePath
 * to this port (a->new_lid if given), epoch, sequence and number from @a when
 * given; the @k-th of a command's notices.
 */
static void trap_notice(const struct ibvmig_sa_port *p, const struct args *a, unsigned k,
			struct ibvmig_notice *n)
{
	uint16_t trap = a->traps[k];
	bool repath = trap == IBVMIG_TRAP_REPATH;
	struct ibvmig_path_notice pn = {
	    .reason = repath ? IBVMIG_REASON_MIGRATED : IBVMIG_REASON_DELETED,
	    .new_lid = !repath ? 0 : a->set.new_lid ? a->new_lid : p->lid,
	    .subnet_prefix = p->subnet_prefix,
	    .vguid = a->vguid,
	    .new_port_guid = repath ? p->port_guid : 0,
	    .epoch = a->set.epoch ? a->epoch : (uint32_t)getpid(),
	    /* A new sequence per trap: OpenSM suppresses identical traps past 10. */
	    .seq = (a->set.seq ? a->seq : util_wall_ns()) + k,
	    .number = a->set.number && a->number ? a->number + k : 0,
	};

	memset(n, 0, sizeof(*n));
	n->generic = true;
	n->type = IBVMIG_NOTICE_TYPE_INFO;
	n->producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR;
	n->trap_or_device = trap;
	n->issuer_lid = p->lid;
	ibvmig_details_encode(&pn, n->details);
}

/*
 * trap --vguid G [--traps 68,69] [--lid L]: one Trap(Notice) per trap number
 * to the SM (PortInfo's SM LID) or L.  Waits for each TrapRepress; with
 * --sim sends one copy and does not wait (ibsim drops TrapRepresses).
 */
static int cmd_trap(struct ibvmig_sa *sa, const struct args *a)
{
	unsigned flags = a->opts.simulator ? IBVMIG_SA_TRAP_NO_REPRESS : 0;
	const struct ibvmig_sa_port *p;
	struct ibvmig_notice n;
	unsigned t;
	int rc;

	rc = ibvmig_sa_refresh(sa);
	if (rc)
		return sa_fail("trap: refresh", rc);
	p = ibvmig_sa_port(sa);
	for (t = 0; t < a->n_traps; t++) {
		trap_notice(p, a, t, &n);
		rc = ibvmig_sa_send_trap(sa, a->lid, &n, flags);
		if (rc)
			return sa_fail("trap", rc);
		printf("trap=%u dlid=%u vguid=0x%016" PRIx64 " issuer_lid=%u repressed=%s\n",
		       a->traps[t], a->lid ? a->lid : p->sm_lid, a->vguid, n.issuer_lid,
		       flags ? "not-waited" : "yes");
	}
	if (flags)
		linger(sa);
	return IBVMIG_EXIT_OK;
}

/* The issuer GUID a forged Report claims: --issuer-guid, else the master SM's port. */
static int report_issuer(struct ibvmig_sa *sa, const struct args *a, uint64_t *guid)
{
	struct ibvmig_sa_node node;
	int rc;

	if (a->set.issuer) {
		*guid = a->issuer_guid;
		return 0;
	}
	rc = ibvmig_sa_node_by_lid(sa, ibvmig_sa_port(sa)->sm_lid, &node);
	*guid = node.port_guid;
	return rc;
}

/*
 * report --lid L --vguid G [--traps 68,69] [--issuer-guid P] [NOTICE]: one SA
 * Report(Notice) per trap number straight to port L (QP1), as only the SA
 * should send one, with IssuerLID = the SM's LID and IssuerGID = the SM's
 * port (or P): the forgery an agent must refuse by the Report's source.
 * Waits for each ReportResp.
 */
static int cmd_report(struct ibvmig_sa *sa, const struct args *a)
{
	const struct ibvmig_sa_port *p;
	struct ibvmig_notice n;
	uint64_t issuer;
	unsigned t;
	int rc;

	if (!a->lid)
		return cli_usage_error(&tool, "report: --lid is required");
	rc = ibvmig_sa_refresh(sa);
	if (!rc)
		rc = report_issuer(sa, a, &issuer);
	if (rc)
		return sa_fail("report: the SM's port", rc);
	p = ibvmig_sa_port(sa);
	for (t = 0; t < a->n_traps; t++) {
		trap_notice(p, a, t, &n);
		n.issuer_lid = p->sm_lid;
		ibvmig_notice_set_issuer(&n, p->subnet_prefix, issuer);
		rc = ibvmig_sa_send_report(sa, a->lid, &n);
		if (rc)
			return sa_fail("report", rc);
		printf("report=%u dlid=%u vguid=0x%016" PRIx64 " issuer_lid=%u "
		       "issuer_guid=0x%016" PRIx64 " acked=yes\n",
		       a->traps[t], a->lid, a->vguid, n.issuer_lid, issuer);
	}
	return IBVMIG_EXIT_OK;
}

/* ---- vendor class 0x09: an echo service for the tests -------------------- */

#define TEST_VENDOR_CLASS   0x09
#define TEST_VENDOR_VERSION 1
#define TEST_VENDOR_ATTR    0xFF01 /* vendor-specific attribute range */
#define SERVE_SLOTS	    64

struct serve_state {
	unsigned long want_copy; /* answer a request at its want_copy-th copy */
	unsigned long answered;
	struct {
		uint64_t tid;
		uint16_t slid;
		unsigned long copies;
	} seen[SERVE_SLOTS];
	unsigned next;
	int rc;
};

/* How many copies of this request came so far, this one included. */
static unsigned long serve_copies(struct serve_state *st, const struct ibvmig_sa_request *req)
{
	unsigned i;

	for (i = 0; i < SERVE_SLOTS; i++)
		if (st->seen[i].copies && st->seen[i].tid == req->mad.tid &&
		    st->seen[i].slid == req->slid)
			return ++st->seen[i].copies;
	i = st->next++ % SERVE_SLOTS;
	st->seen[i].tid = req->mad.tid;
	st->seen[i].slid = req->slid;
	st->seen[i].copies = 1;
	return 1;
}

static void serve_request(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req, void *ctx)
{
	struct serve_state *st = ctx;
	unsigned long copy = serve_copies(st, req);
	bool answer = copy >= st->want_copy;
	int rc = 0;

	/* The echo: the request's data back, and its attribute modifier. */
	if (answer)
		rc = ibvmig_sa_respond(sa, req, 0, req->mad.attr_mod, req->mad.data,
				       sizeof(req->mad.data));
	printf("{\"slid\":%u,\"qpn\":%u,\"tid\":\"0x%016" PRIx64 "\",\"method\":%u,"
	       "\"attr\":%u,\"attr_mod\":%u,\"copy\":%lu,\"resent\":%s,\"answered\":%s}\n",
	       req->slid, req->qpn, req->mad.tid, req->mad.method, req->mad.attr_id,
	       req->mad.attr_mod, copy, req->resent ? "true" : "false",
	       answer && !rc ? "true" : "false");
	fflush(stdout);
	if (answer && !rc)
		st->answered++;
	if (rc)
		st->rc = rc;
}

/*
 * vendor-serve [--repeat K] [--count N]: class 0x09 responder; answers each
 * request at its K-th copy (earlier copies are ignored; later ones answered
 * again), one JSON line per request; stops after N answers, TERM or INT.
 */
static int cmd_vendor_serve(struct ibvmig_sa *sa, const struct args *a)
{
	struct serve_state st = {.want_copy = a->repeat};
	int rc;

	catch_signals();
	rc = ibvmig_sa_register_class(sa, TEST_VENDOR_CLASS, TEST_VENDOR_VERSION, serve_request,
				      &st);
	if (rc)
		return sa_fail("vendor-serve: register class 0x09", rc);
	fprintf(stderr, PROG ": serving class 0x%02x on lid %u\n", TEST_VENDOR_CLASS,
		ibvmig_sa_port(sa)->lid);
	while (!stop_signal && (!a->count || st.answered < a->count) && !st.rc) {
		rc = ibvmig_sa_process(sa, LISTEN_SLICE_MS, NULL, NULL);
		if (rc < 0 && rc != -EINTR)
			return sa_fail("vendor-serve", rc);
	}
	if (st.answered)
		linger(sa);
	return st.rc ? sa_fail("vendor-serve: respond", st.rc) : IBVMIG_EXIT_OK;
}

/*
 * vendor-request --lid L [--vguid G]: one class 0x09 Get of the echo
 * attribute to L, with "echo G" as its data; prints the answer.
 */
static int cmd_vendor_request(struct ibvmig_sa *sa, const struct args *a)
{
	struct ibvmig_sa_vendor_mad req = {
	    .mgmt_class = TEST_VENDOR_CLASS,
	    .method = 0x01, /* Get */
	    .attr_id = TEST_VENDOR_ATTR,
	    .attr_mod = (uint32_t)getpid(),
	}, resp;
	int rc;

	if (!a->lid)
		return cli_usage_error(&tool, "vendor-request: --lid is required");
	snprintf((char *)req.data, sizeof(req.data), "echo 0x%016" PRIx64, a->vguid);
	rc = ibvmig_sa_register_class(sa, TEST_VENDOR_CLASS, TEST_VENDOR_VERSION, NULL, NULL);
	if (rc)
		return sa_fail("vendor-request: register class 0x09", rc);
	rc = ibvmig_sa_vendor_request(sa, a->lid, &req, NULL, &resp);
	if (rc)
		return sa_fail("vendor-request", rc);
	resp.data[sizeof(resp.data) - 1] = '\0';
	printf("status=0x%04x method=0x%02x attr=0x%04x attr_mod=%u echo=%s tid=0x%016" PRIx64
	       "\n",
	       resp.status, resp.method, resp.attr_id, resp.attr_mod,
	       resp.attr_mod == req.attr_mod && !strcmp((char *)resp.data, (char *)req.data)
		   ? "ok"
		   : "wrong",
	       resp.tid);
	return resp.status ? cli_fail(&tool, IBVMIG_EXIT_FAILED, "vendor-request: status 0x%04x",
				    resp.status)
			   : IBVMIG_EXIT_OK;
}

/*
 * vendor-forge --lid L --tid T: the echo attribute's GetResp to L with TID T
 * (all 64 bits, as a responder saw the request: ibsim routes a response by
 * them), from this port, which L never asked: what any port of a hostile
 * fabric can send.  The requester must take only its responder's answer.
 */
static int cmd_vendor_forge(struct ibvmig_sa *sa, const struct args *a)
{
	struct ibvmig_sa_request req = {
	    .slid = a->lid, .qpn = 1,
	    .mad = { .mgmt_class = TEST_VENDOR_CLASS, .class_version = TEST_VENDOR_VERSION,
		     .method = 0x01, .tid = a->tid, .attr_id = TEST_VENDOR_ATTR },
	};
	int rc;

	if (!a->lid || !a->tid)
		return cli_usage_error(&tool, "vendor-forge: --lid and --tid are required");
	rc = ibvmig_sa_register_class(sa, TEST_VENDOR_CLASS, TEST_VENDOR_VERSION, NULL, NULL);
	if (rc)
		return sa_fail("vendor-forge: register class 0x09", rc);
	rc = ibvmig_sa_respond(sa, &req, 0, 0, "forged", sizeof("forged"));
	return rc ? sa_fail("vendor-forge", rc) : IBVMIG_EXIT_OK;
}

/* ---- the LID escrow (doc/escrow-protocol.md), through its codec ------------- */

#define ESCROW_UNTIL_MS	 30000
#define ESCROW_POLL_MS	 200

/* One answer, one line: what the tests grep. */
static void print_escrow_answer(uint16_t mad_status, const struct ibvmig_esc_resp *r)
{
	unsigned i;

	printf("status=%s mad_status=0x%04x", ibvmig_esc_status_name(r->status), mad_status);
	if (r->status == IBVMIG_ESC_OK) {
		printf(" state=%s lid=%u mtu=%u rate=%u source=0x%016" PRIx64 " dest=0x%016" PRIx64
		       " claimant=0x%016" PRIx64 " expires_in_ms=%u keys=",
		       ibvmig_esc_state_name(r->state), r->lid, r->mtu, r->rate, r->source_guid,
		       r->dest_guid, r->claimant_guid, r->expires_in_ms);
		for (i = 0; i < r->nkeys; i++)
			printf("%s0x%04x", i ? "," : "", r->keys[i]);
		if (!r->nkeys)
			printf("-");
		if (memcmp(r->token, (uint8_t[IBVMIG_ESC_TOKEN_LEN]){ 0 }, sizeof(r->token))) {
			char hex[2 * IBVMIG_ESC_TOKEN_LEN + 1];

			util_format_hex(r->token, sizeof(r->token), hex);
			printf(" token=%s", hex);	/* RELEASE's answer only */
		}
	}
	if (r->retry_after_ms)
		printf(" retry_after_ms=%u", r->retry_after_ms);
	printf("\n");
	fflush(stdout);
}

static const struct escrow_op {
	const char *name;
	enum ibvmig_esc_msg msg;
	bool token;
} escrow_ops[] = {
	{ "escrow-release", IBVMIG_ESC_RELEASE_REQ, false },
	{ "escrow-claim", IBVMIG_ESC_CLAIM_REQ, true },
	{ "escrow-cancel", IBVMIG_ESC_CANCEL_REQ, true },
	{ "escrow-query", IBVMIG_ESC_QUERY_REQ, true },
};

static const struct escrow_op *escrow_op_of(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(escrow_ops) / sizeof(escrow_ops[0]); i++)
		if (!strcmp(escrow_ops[i].name, cmd))
			return &escrow_ops[i];
	return NULL;
}

/* One request of @op; *@resp the decoded answer.  Returns an exit code, or -1 to go on. */
static int escrow_once(struct ibvmig_sa *sa, const struct args *a, const struct escrow_op *op,
		       struct ibvmig_esc_resp *resp, uint16_t *mad_status)
{
	struct ibvmig_esc_req r = { .port_guid = a->guid ? a->guid : ibvmig_sa_port(sa)->port_guid,
				    .dest_guid = a->dest };
	struct ibvmig_sa_escrow_answer ans;
	int rc;

	if (op->token)
		memcpy(r.token, a->token, sizeof(r.token));
	rc = ibvmig_sa_escrow(sa, op->msg, &r, NULL, &ans);
	*mad_status = ans.mad_status;
	*resp = ans.resp;
	if (rc == -EINVAL && ans.err)
		return cli_fail(&tool, IBVMIG_EXIT_USAGE, "%s: %s", op->name,
				ibvmig_esc_strerror(ans.err));
	if (rc == -EPROTO) {
		printf("status=mad-error mad_status=0x%04x\n", *mad_status);
		return IBVMIG_EXIT_FAILED;
	}
	if (rc == -EBADMSG)
		return cli_fail(&tool, IBVMIG_EXIT_PROTOCOL, "%s: the SM's answer: %s", op->name,
				ibvmig_esc_strerror(ans.err));
	return rc ? sa_fail(op->name, rc) : -1;
}

/* escrow-release/-claim/-cancel/-query: one request, one line (--until: polled). */
static int cmd_escrow(struct ibvmig_sa *sa, const struct args *a)
{
	const struct escrow_op *op = escrow_op_of(a->cmd);
	uint64_t deadline = util_mono_ms() + ESCROW_UNTIL_MS;
	struct timespec pause = { 0, ESCROW_POLL_MS * 1000000L };
	struct ibvmig_esc_resp resp;
	uint16_t mad_status = 0;
	int code;

	if (op->token && !a->have_token)
		return cli_usage_error(&tool, "%s: --token is required", a->cmd);
	for (;;) {
		code = escrow_once(sa, a, op, &resp, &mad_status);
		if (code >= 0)
			return code;
		if (!a->until || (resp.status == IBVMIG_ESC_OK &&
				  !strcmp(ibvmig_esc_state_name(resp.state), a->until)))
			break;
		if (util_mono_ms() > deadline) {
			print_escrow_answer(mad_status, &resp);
			return cli_fail(&tool, IBVMIG_EXIT_UNREACHABLE, "%s: not %s within %d s",
					a->cmd, a->until, ESCROW_UNTIL_MS / 1000);
		}
		nanosleep(&pause, NULL);
	}
	print_escrow_answer(mad_status, &resp);
	return resp.status == IBVMIG_ESC_OK ? IBVMIG_EXIT_OK : IBVMIG_EXIT_FAILED;
}

/*
 * escrow-raw --case C: an escrow MAD that is wrong in one way, made from a
 * well-formed one by changing bytes at the offsets doc/escrow-protocol.md
 * gives ("The MAD"); prints the MAD status of the answer (and its escrow
 * status when it decodes).  Cases:
 *   unknown-attribute  attribute 0x0014 (no such message)      -> 0x000C
 *   wrong-method       RELEASE as a Get                        -> 0x000C
 *   attribute-modifier RELEASE with modifier 1                 -> 0x001C
 *   payload-version    RELEASE with payload version 2          -> 0x001C
 *   zero-port          RELEASE of port GUID 0                  -> 0x001C
 *   release-token      RELEASE carrying a token                -> 0x001C
 *   zero-token         CLAIM with an all-zero token            -> 0x001C
 *   tail               QUERY with bytes 224-255 set: never read -> an answer
 */
static int cmd_escrow_raw(struct ibvmig_sa *sa, const struct args *a)
{
	struct ibvmig_esc_req r = { .port_guid = a->guid ? a->guid : ibvmig_sa_port(sa)->port_guid };
	uint8_t mad[IBVMIG_ESC_MAD_LEN], answer[IBVMIG_ESC_MAD_LEN];
	const char *c = a->mcase ? a->mcase : "";
	struct ibvmig_esc_resp resp;
	uint16_t mad_status = 0;
	int rc;

	memcpy(r.token, a->token, sizeof(r.token));
	if (!a->have_token)
		memset(r.token, 0x5A, sizeof(r.token));
	if (!strcmp(c, "zero-token") || !strcmp(c, "tail"))
		(!strcmp(c, "tail") ? ibvmig_esc_query_req_encode : ibvmig_esc_claim_req_encode)(
			0, &r, mad);
	else
		ibvmig_esc_release_req_encode(0, &r, mad);
	if (!strcmp(c, "unknown-attribute"))
		mad[17] = 0x14;			/* AttributeID, bytes 16-17 */
	else if (!strcmp(c, "wrong-method"))
		mad[3] = IBVMIG_ESC_METHOD_GET;	/* Method, byte 3 */
	else if (!strcmp(c, "attribute-modifier"))
		mad[23] = 1;			/* AttributeModifier, bytes 20-23 */
	else if (!strcmp(c, "payload-version"))
		mad[24] = 2;
	else if (!strcmp(c, "zero-port"))
		memset(mad + 32, 0, 8);		/* port GUID, bytes 32-39 */
	else if (!strcmp(c, "release-token"))
		mad[64] = 1;			/* token, bytes 64-79 */
	else if (!strcmp(c, "zero-token"))
		memset(mad + 64, 0, 16);
	else if (!strcmp(c, "tail"))
		memset(mad + 224, 0xA5, IBVMIG_ESC_MAD_LEN - 224);
	else
		return cli_usage_error(&tool, "escrow-raw: unknown --case \"%s\"", c);
	rc = ibvmig_sa_escrow_exchange(sa, mad, NULL, answer, &mad_status, NULL);
	if (rc)
		return sa_fail("escrow-raw", rc);
	if (!(mad_status & IBVMIG_ESC_MAD_STATUS_COMMON) &&
	    !ibvmig_esc_query_resp_decode(answer, IBVMIG_ESC_MAD_LEN, NULL, &resp)) {
		print_escrow_answer(mad_status, &resp);
		return IBVMIG_EXIT_OK;
	}
	printf("status=mad-error mad_status=0x%04x\n", mad_status);
	return IBVMIG_EXIT_OK;
}

struct command {
	const char *name;
	int (*run)(struct ibvmig_sa *sa, const struct args *a);
	bool vguid;
};

static const struct command commands[] = {
    {"info", cmd_info, false},
    {"alias-set", cmd_alias_set, true},
    {"alias-delete", cmd_alias_delete, true},
    {"aliases", cmd_aliases, false},
    {"path", cmd_path, true},
    {"listen", cmd_listen, false},
    {"batch", cmd_batch, false},
    {"portinfo", cmd_portinfo, false},
    {"trap", cmd_trap, true},
    {"report", cmd_report, true},
    {"vendor-serve", cmd_vendor_serve, false},
    {"vendor-request", cmd_vendor_request, false},
    {"vendor-forge", cmd_vendor_forge, false},
    {"escrow-release", cmd_escrow, false},
    {"escrow-claim", cmd_escrow, false},
    {"escrow-cancel", cmd_escrow, false},
    {"escrow-query", cmd_escrow, false},
    {"escrow-raw", cmd_escrow_raw, false},
};

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct ibvmig_sa *sa;
		size_t i;
	int code, rc;

	code = parse_args(argc, argv, &args);
	if (code >= 0)
		return code;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(args.cmd, commands[i].name))
			cmd = &commands[i];
	if (!cmd)
		return cli_usage_error(&tool, "unknown command %s", args.cmd);
	if (cmd->vguid && (code = need_vguid(&args)) >= 0)
		return code;
	rc = ibvmig_sa_open(&args.opts, &sa);
	if (rc)
		return cli_fail(&tool, rc == -EINVAL ? IBVMIG_EXIT_USAGE : IBVMIG_EXIT_UNREACHABLE,
				"cannot open %s port %d: %s",
				args.opts.ca ? args.opts.ca : "the first CA", args.opts.port,
				ibvmig_sa_strerror(rc));
	code = cmd->run(sa, &args);
	if (args.stats)
		print_stats(sa);
	ibvmig_sa_close(sa);
	return code;
}

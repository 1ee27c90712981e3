// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-vm - the VM side of ibvmig for the test fabric: one process plays
 * one VM (or --count of them, for the benchmark), each with its own VM
 * channel connection to the local agent and its own path cache
 * (libibvmig-guest, doc/guest.md).
 *
 * Each VM says hello, registers its peers as interests, asks the agent for
 * a path to each (a MISS asks again, every --retry ms), and applies the
 * RePath/UnPath notices the agent forwards.  What happens is printed as one
 * JSON object per line on stdout ("event": ready, path, notice, error, gone),
 * and, with --state, the cache of every VM is rewritten to a file after each
 * change (one JSON object per VM and line) for tests to read.
 *
 * These processes are not ibsim clients (only the agent touches the port),
 * so the test fabric may run hundreds of them.  A VM exits when its agent
 * goes (end of stream), on TERM or INT, or after --lifetime seconds: nothing
 * outlives its test.
 */
#include "ibvmig_cli.h"
#include "ibvmig_guest.h"
#include "ibvmig_util.h"
#include "ibvmig_vmchan.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ibvmig-vm"
#define MAX_PEERS 64
#define MAX_VMS 256
#define TICK_MS 100
/* Names go into JSON lines unescaped: keep them to these. */
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

struct options {
	const char *socket;
	const char *name;
	uint64_t vguid;
	uint64_t peers[MAX_PEERS];
	unsigned n_peers;
	unsigned count;			/* VMs in this process */
	bool counted;			/* --count given: names NAME-1 .. NAME-N */
	unsigned interested;		/* of which the first n hold the peers */
	const char *state;
	uint64_t suspend_limit_ms, max_age_ms;
	int retry_ms;
	int lifetime_s;
	int connect_s;
	bool no_read;
};

struct vm {
	char name[IBVMIG_VMC_NAME_MAX + 1];
	uint64_t vguid;
	struct ibvmig_guest *g;		/* NULL once gone */
	bool gone;
	unsigned n_peers;		/* the first n of opt->peers */
	uint64_t notices, applied, stale, uncached;
	uint64_t pushed;		/* path-update and path-gone received */
};

static volatile sig_atomic_t stop_signal;
static const struct options *opt;

/* ---- output ------------------------------------------------------------------------------ */

/* One event line: {"t":...,"vm":"...","event":"...", then @fmt's fields}. */
static void event(const struct vm *v, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void event(const struct vm *v, const char *what, const char *fmt, ...)
{
	uint64_t us = util_wall_us();
	va_list ap;

	printf("{\"t\":%llu.%06llu,\"vm\":\"%s\",\"event\":\"%s\"",
	       (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000), v->name,
	       what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

/* The entry of @guid as the cache holds it now (a snapshot: no side effect on the LRU). */
static int entry_of(const struct vm *v, uint64_t guid, struct ibvmig_pc_entry_view *out)
{
	struct ibvmig_pc_entry_view *all;
	uint64_t prefix = ibvmig_guest_subnet_prefix(v->g);
	size_t n, i;
	int rc = ibvmig_pc_snapshot(ibvmig_guest_cache(v->g), util_mono_ms(), &all, &n);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (i = 0; i < n; i++)
		if (all[i].path.dgid_guid == guid && all[i].path.dgid_prefix == prefix) {
			*out = all[i];
			rc = 0;
		}
	free(all);
	return rc;
}

static void write_vm_state(FILE *f, const struct vm *v)
{
	struct ibvmig_pc_entry_view e;
	unsigned i, n = 0;

	fprintf(f, "{\"vm\":\"%s\",\"vguid\":\"0x%016" PRIx64 "\",\"connected\":%s,"
		"\"notices\":%" PRIu64 ",\"applied\":%" PRIu64 ",\"stale\":%" PRIu64
		",\"uncached\":%" PRIu64 ",\"pushed\":%" PRIu64 ",\"paths\":[", v->name, v->vguid,
		v->g && !v->gone ? "true" : "false", v->notices, v->applied, v->stale,
		v->uncached, v->pushed);
	for (i = 0; v->g && i < v->n_peers; i++) {
		if (entry_of(v, opt->peers[i], &e))
			continue;
		fprintf(f, "%s{\"vguid\":\"0x%016" PRIx64 "\",\"dlid\":%u,\"state\":\"%s\","
			"\"epoch\":%" PRIu32 ",\"seq\":%" PRIu64 "}", n++ ? "," : "",
			opt->peers[i], e.path.dlid, ibvmig_pc_state_name(e.state), e.stamp.epoch,
			e.stamp.seq);
	}
	fprintf(f, "]}\n");
}

/* Rewrites --state whole (a rename: a reader never sees half a file). */
static void write_state(const struct vm *vms, unsigned n)
{
	char tmp[4096];
	unsigned i;
	FILE *f;

	if (!opt->state)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt->state);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", tmp, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++)
		write_vm_state(f, &vms[i]);
	if (fclose(f) || rename(tmp, opt->state))
		fprintf(stderr, PROG ": %s: %s\n", opt->state, strerror(errno));
}

/* ---- what the guest library tells --------------------------------------------------------- */

static void on_notice(struct vm *v, const struct ibvmig_guest_event *ev)
{
	const struct ibvmig_path_notice *n = ev->notice;
	struct ibvmig_pc_entry_view e;
	bool have = !entry_of(v, n->vguid, &e);

	v->notices++;
	v->applied += ev->result == IBVMIG_PC_APPLIED;
	v->stale += ev->result == IBVMIG_PC_STALE;
	v->uncached += ev->result == IBVMIG_PC_UNCACHED;
	event(v, "notice", ",\"trap\":%u,\"reason\":\"%s\",\"vguid\":\"0x%016" PRIx64
	      "\",\"new_lid\":%u,\"old_lid\":%u,\"epoch\":%" PRIu32 ",\"seq\":%" PRIu64
	      ",\"result\":\"%s\",\"dlid\":%u,\"state\":\"%s\"", ev->trap,
	      ibvmig_reason_name(n->reason), n->vguid, n->new_lid, n->old_lid, n->epoch, n->seq,
	      ev->result < 0 ? "refused" : ibvmig_pc_notice_result_name(ev->result),
	      have ? e.path.dlid : 0, have ? ibvmig_pc_state_name(e.state) : "none");
}

static void on_error(struct vm *v, const struct ibvmig_guest_event *ev)
{
	if (ev->request && ev->peer && ev->status)
		event(v, "error", ",\"request\":\"%s\",\"vguid\":\"0x%016" PRIx64
		      "\",\"status\":%u,\"text\":\"%s\"", ev->request, ev->peer, ev->status,
		      ev->text);
	else if (ev->request && ev->status)
		event(v, "error", ",\"request\":\"%s\",\"status\":%u,\"text\":\"%s\"",
		      ev->request, ev->status, ev->text);
	else if (ev->request)
		event(v, "error", ",\"request\":\"%s\",\"text\":\"%s\"", ev->request, ev->text);
	else
		event(v, "error", ",\"text\":\"%s\"", ev->text);
}

static void on_event(void *ctx, const struct ibvmig_guest_event *ev)
{
	struct vm *v = ctx;

	switch (ev->type) {
	case IBVMIG_GUEST_READY:
		event(v, "ready", ",\"agent_lid\":%u,\"port_guid\":\"0x%016" PRIx64 "\"",
		      ev->agent_lid, ev->agent_port_guid);
		break;
	case IBVMIG_GUEST_PATH:
		event(v, "path", ",\"vguid\":\"0x%016" PRIx64 "\",\"dlid\":%u,\"stamped\":%s",
		      ev->peer, ev->path->dlid, ev->stamped ? "true" : "false");
		break;
	case IBVMIG_GUEST_NOTICE:
		on_notice(v, ev);
		break;
	case IBVMIG_GUEST_ERROR:
		on_error(v, ev);
		break;
	case IBVMIG_GUEST_GONE:
		v->gone = true;
		event(v, "gone", ",\"why\":\"%s\"", ev->text);
		break;
	case IBVMIG_GUEST_PATH_PUSHED:
		v->pushed++;
		event(v, "path-update", ",\"vguid\":\"0x%016" PRIx64 "\",\"dlid\":%u,\"stamped\":%s",
		      ev->peer, ev->path->dlid, ev->stamped ? "true" : "false");
		break;
	case IBVMIG_GUEST_PATH_GONE:
		v->pushed++;
		event(v, "path-gone", ",\"vguid\":\"0x%016" PRIx64 "\"", ev->peer);
		break;
	}
}

/* ---- set-up --------------------------------------------------------------------------------- */

static int vm_init(struct vm *v, unsigned k)
{
	struct ibvmig_guest_config cfg = {
		.socket = opt->socket,
		.cache = { .capacity = 1024, .max_age_ms = opt->max_age_ms,
			   .suspend_limit_ms = opt->suspend_limit_ms },
		.retry_ms = (unsigned)opt->retry_ms,
		.connect_timeout_ms = (unsigned)opt->connect_s * 1000,
	};
	unsigned i;
	int rc;

	memset(v, 0, sizeof(*v));
	if (!opt->counted)
		snprintf(v->name, sizeof(v->name), "%s", opt->name);
	else
		snprintf(v->name, sizeof(v->name), "%.50s-%u", opt->name, k + 1);
	v->vguid = opt->vguid ? opt->vguid + k : 0;
	cfg.name = v->name;
	cfg.vguid = v->vguid;
	rc = ibvmig_guest_open(&cfg, on_event, v, &v->g);
	if (rc) {
		fprintf(stderr, PROG ": %s: cannot reach the agent at %s: %s\n", v->name,
			opt->socket, strerror(-rc));
		return rc;
	}
	v->n_peers = k < opt->interested ? opt->n_peers : 0;
	for (i = 0; i < v->n_peers && !rc; i++)
		rc = ibvmig_guest_want(v->g, opt->peers[i]);
	return rc;
}

/* ---- options and the loop ------------------------------------------------------------------ */

#define HELP                                                                                       \
	"A VM for the test fabric: talks to the agent's VM socket (-S), keeps a path cache.\n"     \
	"  -n, --name NAME          the VM's name (with --count: NAME-1 .. NAME-N)\n"              \
	"  -g, --vguid G            the vGUID it owns (with --count: G, G+1, ...)\n"               \
	"  -p, --peer G             a peer vGUID it holds a path to (repeatable)\n"                \
	"  -c, --count N            play N VMs (default 1)\n"                                      \
	"      --interested K       with --count: only the first K hold the peers\n"               \
	"      --state FILE         rewrite every VM's cache to FILE after each change\n"          \
	"      --suspend-limit MS   drop a path suspended this long (default 0: never)\n"          \
	"      --max-age MS         a path older than this is a miss (default 0: never)\n"         \
	"      --retry MS           ask again for a missing path every MS (default 1000)\n"        \
	"      --lifetime S         exit after S seconds (default 3600)\n"                         \
	"      --connect-timeout S  wait S seconds for the agent's socket (default 10)\n"          \
	"      --no-read            once set up, never read again (a stuck VM, for tests)\n"

enum {
	OPT_INTERESTED = 256, OPT_STATE, OPT_SUSPEND, OPT_AGE, OPT_RETRY, OPT_LIFE, OPT_CONN,
	OPT_NO_READ,
};

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return !util_parse_uint(s, 0, 0, max, out);
}

static bool parse_opt(int c, const char *arg, struct options *o)
{
	uint64_t v;

	switch (c) {
	case 'n':
		o->name = arg;
		return strlen(arg) <= 50 && *arg && !arg[strspn(arg, NAME_CHARS)];
	case 'g':
		return parse_u64(arg, UINT64_MAX - MAX_VMS, &o->vguid) && o->vguid;
	case 'p':
		if (o->n_peers == MAX_PEERS || !parse_u64(arg, UINT64_MAX, &v) || !v)
			return false;
		o->peers[o->n_peers++] = v;
		return true;
	case 'c':
		o->counted = true;
		return parse_u64(arg, MAX_VMS, &v) && v && (o->count = (unsigned)v, true);
	case OPT_INTERESTED:
		return parse_u64(arg, MAX_VMS, &v) && (o->interested = (unsigned)v, true);
	case OPT_STATE:
		o->state = arg;
		return true;
	case OPT_SUSPEND:
		return parse_u64(arg, 1ULL << 40, &o->suspend_limit_ms);
	case OPT_AGE:
		return parse_u64(arg, 1ULL << 40, &o->max_age_ms);
	case OPT_RETRY:
		return parse_u64(arg, 600000, &v) && v && (o->retry_ms = (int)v, true);
	case OPT_LIFE:
		return parse_u64(arg, 86400, &v) && v && (o->lifetime_s = (int)v, true);
	case OPT_CONN:
		return parse_u64(arg, 600, &v) && (o->connect_s = (int)v, true);
	case OPT_NO_READ:
		o->no_read = true;
		return true;
	default:
		return false;
	}
}

static int take_opt(int c, const char *arg, void *ctx)
{
	return parse_opt(c, arg, ctx) ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "vguid", required_argument, NULL, 'g' },
		{ "peer", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "interested", required_argument, NULL, OPT_INTERESTED },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "suspend-limit", required_argument, NULL, OPT_SUSPEND },
		{ "max-age", required_argument, NULL, OPT_AGE },
		{ "retry", required_argument, NULL, OPT_RETRY },
		{ "lifetime", required_argument, NULL, OPT_LIFE },
		{ "connect-timeout", required_argument, NULL, OPT_CONN },
		{ "no-read", no_argument, NULL, OPT_NO_READ },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_tool tool = {
		.prog = PROG,
		.synopsis = "-S SOCKET -n NAME [options]",
		.help = HELP,
		.common = CLI_OPT_SOCKET,
		.shortopts = "n:g:p:c:",
		.longopts = longopts,
		.opt = take_opt,
		.ctx = o,
	};
	struct cli_common c = { 0 };
	int first, code;

	*o = (struct options){ .count = 1, .interested = MAX_VMS, .retry_ms = 1000,
			       .lifetime_s = 3600, .connect_s = 10 };
	code = cli_parse(&tool, argc, argv, &c, &first);
	if (code >= 0)
		return code;
	o->socket = c.socket;
	if (first < argc)
		return cli_usage_error(&tool, "unexpected argument %s", argv[first]);
	if (!o->socket || !o->name)
		return cli_usage_error(&tool, "--socket and --name are required");
	return -1;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* One poll round over every live VM; returns how many are still connected. */
static unsigned poll_round(struct vm *vms, unsigned n, struct pollfd *p, int *map)
{
	unsigned i, k = 0, live = 0;
	uint64_t now;

	for (i = 0; i < n; i++) {
		if (vms[i].gone)
			continue;
		live++;
		/* --no-read: a VM that hangs once it is set up (its interests registered). */
		if (!(opt->no_read && ibvmig_guest_ready(vms[i].g))) {
			p[k] = (struct pollfd){ .fd = ibvmig_guest_fd(vms[i].g), .events = POLLIN };
			map[k++] = (int)i;
		}
	}
	if (!live)
		return 0;
	poll(p, k, TICK_MS);
	now = util_mono_ms();
	for (i = 0; i < k; i++)
		ibvmig_guest_process(vms[map[i]].g, now);
	write_state(vms, n);
	return live;
}

int main(int argc, char **argv)
{
	static struct options o;
	struct vm *vms;
	struct pollfd p[MAX_VMS];
	int map[MAX_VMS], code;
	unsigned i, n = 0;
	int64_t end;

	code = parse_args(argc, argv, &o);
	if (code >= 0)
		return code;
	opt = &o;
	catch_signals();
	vms = calloc(o.count, sizeof(*vms));
	if (!vms)
		return IBVMIG_EXIT_FAILED;
	code = IBVMIG_EXIT_OK;
	for (n = 0; n < o.count && !code; n++)
		code = vm_init(&vms[n], n) ? IBVMIG_EXIT_UNREACHABLE : IBVMIG_EXIT_OK;
	end = (int64_t)util_mono_ms() + (int64_t)o.lifetime_s * 1000;
	while (!code && !stop_signal && (int64_t)util_mono_ms() < end)
		if (!poll_round(vms, n, p, map)) {
			code = IBVMIG_EXIT_UNREACHABLE;	/* the agent went away */
			break;
		}
	write_state(vms, n);
	for (i = 0; i < n; i++)
		ibvmig_guest_close(vms[i].g);	/* says bye */
	free(vms);
	return code;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-vm - the VM side of ibvmig for the test fabric: one process plays
 * one VM (or --count of them, for the benchmark), each with its own VM
 * channel connection to the local agent and its own path cache
 * (libibvmig-cache, doc/path-cache.md).
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
#include "ibvmig_vmchan.h"
#include "ibvmig_util.h"
#include "ibvmig_sa.h"
#include "ibvmig_path_cache.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
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

/* A path the VM wants: one per peer. */
struct want {
	uint64_t guid;
	uint32_t query_id;		/* outstanding PATH_QUERY, 0: none */
	int64_t next_query_ms;
};

struct vm {
	char name[IBVMIG_VMC_NAME_MAX + 1];
	uint64_t vguid;
	int fd;				/* -1 once gone */
	bool ready;			/* hello answered */
	uint64_t prefix;		/* the subnet's, from the hello reply */
	struct ibvmig_pc_cache *cache;
	struct want wants[MAX_PEERS];
	unsigned n_wants;
	uint32_t next_id;
	uint8_t in[IBVMIG_VMC_MSG_MAX];
	size_t in_len;
	uint64_t notices, applied, stale, uncached;
};

static volatile sig_atomic_t stop_signal;
static const struct options *opt;

/* ---- output ------------------------------------------------------------------------------ */

/* One event line: {"t":...,"vm":"...","event":"...", then @fmt's fields}. */
static void event(const struct vm *v, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void event(const struct vm *v, const char *what, const char *fmt, ...)
{
	uint64_t us = util_wall_ns() / 1000;
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

/* The entry of @guid as the cache holds it now (ibvmig_pc_snapshot: no side effect on the LRU). */
static int entry_of(const struct vm *v, uint64_t guid, struct ibvmig_pc_entry_view *out)
{
	struct ibvmig_pc_entry_view *all;
	size_t n, i;
	int rc = ibvmig_pc_snapshot(v->cache, (uint64_t)(int64_t)util_mono_ms(), &all, &n);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (i = 0; i < n; i++)
		if (all[i].path.dgid_guid == guid && all[i].path.dgid_prefix == v->prefix) {
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
		",\"uncached\":%" PRIu64 ",\"paths\":[", v->name, v->vguid,
		v->fd >= 0 ? "true" : "false", v->notices, v->applied, v->stale, v->uncached);
	for (i = 0; i < v->n_wants; i++) {
		if (entry_of(v, v->wants[i].guid, &e))
			continue;
		fprintf(f, "%s{\"vguid\":\"0x%016" PRIx64 "\",\"dlid\":%u,\"state\":\"%s\","
			"\"epoch\":%" PRIu32 ",\"seq\":%" PRIu64 "}", n++ ? "," : "",
			v->wants[i].guid, e.path.dlid, ibvmig_pc_state_name(e.state), e.stamp.epoch,
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

/* ---- talking to the agent ------------------------------------------------------------------ */

static void vm_gone(struct vm *v, const char *why)
{
	if (v->fd < 0)
		return;
	close(v->fd);
	v->fd = -1;
	event(v, "gone", ",\"why\":\"%s\"", why);
}

/* Blocking send of a whole message; the agent reads promptly (it never blocks on us). */
static void send_msg(struct vm *v, const struct ibvmig_vmc_msg *m, struct ibvmig_vmc_writer *w)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (v->fd < 0)
		return;
	rc = w ? ibvmig_vmc_writer_finish(w, &buf, &len) : ibvmig_vmc_encode(m, &buf, &len);
	if (!rc) {
		rc = util_write_all(v->fd, buf, len, 5000);
		free(buf);
	}
	if (rc)
		vm_gone(v, strerror(-rc));
}

static void send_hello(struct vm *v)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_HELLO, .id = ++v->next_id };

	snprintf(m.hello.name, sizeof(m.hello.name), "%s", v->name);
	m.hello.vguid = v->vguid;
	send_msg(v, &m, NULL);
}

static void send_interests(struct vm *v)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_INTEREST_ADD, .id = ++v->next_id };
	struct ibvmig_vmc_writer w;
	struct ibvmig_vmc_gid g;
	unsigned i;

	if (!v->n_wants)
		return;
	ibvmig_vmc_writer_init(&w, &m);
	for (i = 0; i < v->n_wants; i++) {
		g = (struct ibvmig_vmc_gid){ v->prefix, v->wants[i].guid };
		ibvmig_vmc_put_gid(&w, &g);
	}
	send_msg(v, &m, &w);
}

static void send_query(struct vm *v, struct want *w)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_PATH_QUERY, .id = ++v->next_id };

	m.query = (struct ibvmig_vmc_gid){ v->prefix, w->guid };
	w->query_id = m.id;
	w->next_query_ms = (int64_t)util_mono_ms() + opt->retry_ms;
	send_msg(v, &m, NULL);
}

/* Every peer whose lookup is a MISS is asked for again (not while a query is out). */
static void ask_missing(struct vm *v, int64_t now)
{
	struct want *w;
	unsigned i;

	if (!v->ready || v->fd < 0)
		return;
	for (i = 0; i < v->n_wants; i++) {
		w = &v->wants[i];
		if (w->query_id || now < w->next_query_ms)
			continue;
		if (ibvmig_pc_lookup(v->cache, v->prefix, w->guid, (uint64_t)now, NULL) ==
		    IBVMIG_PC_MISS)
			send_query(v, w);
	}
}

/* ---- what the agent says -------------------------------------------------------------------- */

static void on_welcome(struct vm *v, const struct ibvmig_vmc_msg *m)
{
	v->ready = true;
	v->prefix = m->welcome.subnet_prefix;
	event(v, "ready", ",\"agent_lid\":%u,\"port_guid\":\"0x%016" PRIx64 "\"", m->welcome.lid,
	      m->welcome.port_guid);
	send_interests(v);
	ask_missing(v, (int64_t)util_mono_ms());
}

static struct want *want_of_query(struct vm *v, uint32_t id)
{
	unsigned i;

	for (i = 0; i < v->n_wants; i++)
		if (v->wants[i].query_id == id)
			return &v->wants[i];
	return NULL;
}

static void on_path(struct vm *v, const struct ibvmig_vmc_msg *m)
{
	struct want *w = want_of_query(v, m->id);
	struct ibvmig_sa_path p;
	struct ibvmig_pc_stamp s = { m->path.epoch, m->path.seq };

	if (!w)
		return;
	w->query_id = 0;
	if (m->status) {
		event(v, "error", ",\"request\":\"path-query\",\"vguid\":\"0x%016" PRIx64
		      "\",\"status\":%u,\"text\":\"%s\"", w->guid, m->status, m->text);
		return;
	}
	if (ibvmig_vmc_get_path(m, &p) ||
	    ibvmig_pc_insert(v->cache, &p, m->path.stamped ? &s : NULL,
			     (uint64_t)(int64_t)util_mono_ms())) {
		event(v, "error", ",\"request\":\"path-query\",\"text\":\"bad path record\"");
		return;
	}
	event(v, "path", ",\"vguid\":\"0x%016" PRIx64 "\",\"dlid\":%u,\"stamped\":%s", w->guid,
	      p.dlid, m->path.stamped ? "true" : "false");
}

static void on_notice(struct vm *v, const struct ibvmig_vmc_msg *m)
{
	const struct ibvmig_path_notice *n = &m->notice.n;
	struct ibvmig_pc_entry_view e;
	int rc =
	    ibvmig_pc_apply_notice(v->cache, m->notice.trap, n, (uint64_t)(int64_t)util_mono_ms());
	bool have = !entry_of(v, n->vguid, &e);

	v->notices++;
	v->applied += rc == IBVMIG_PC_APPLIED;
	v->stale += rc == IBVMIG_PC_STALE;
	v->uncached += rc == IBVMIG_PC_UNCACHED;
	event(v, "notice", ",\"trap\":%u,\"reason\":\"%s\",\"vguid\":\"0x%016" PRIx64
	      "\",\"new_lid\":%u,\"old_lid\":%u,\"epoch\":%" PRIu32 ",\"seq\":%" PRIu64
	      ",\"result\":\"%s\",\"dlid\":%u,\"state\":\"%s\"", m->notice.trap,
	      ibvmig_reason_name(n->reason), n->vguid, n->new_lid, n->old_lid, n->epoch, n->seq,
	      rc < 0 ? "refused" : ibvmig_pc_notice_result_name(rc), have ? e.path.dlid : 0,
	      have ? ibvmig_pc_state_name(e.state) : "none");
}

static void on_message(struct vm *v, const struct ibvmig_vmc_msg *m)
{
	if (m->type == IBVMIG_VMC_NOTICE)
		on_notice(v, m);
	else if (m->type == (IBVMIG_VMC_PATH_QUERY | IBVMIG_VMC_REPLY))
		on_path(v, m);
	else if (m->status) {
		event(v, "error", ",\"request\":\"%s\",\"status\":%u,\"text\":\"%s\"",
		      ibvmig_vmc_type_name(m->type) ?: "?", m->status, m->text);
		if (m->type == (IBVMIG_VMC_HELLO | IBVMIG_VMC_REPLY))
			vm_gone(v, "hello refused");
	} else if (m->type == (IBVMIG_VMC_HELLO | IBVMIG_VMC_REPLY)) {
		on_welcome(v, m);
	}
}

/* Reads what is there and handles every whole message; false when the stream ended. */
static bool read_vm(struct vm *v)
{
	struct ibvmig_vmc_msg m;
	size_t need, used = 0;
	ssize_t n = read(v->fd, v->in + v->in_len, sizeof(v->in) - v->in_len);
	int len;

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return true;
		vm_gone(v, n ? strerror(errno) : "the agent closed the channel");
		return false;
	}
	v->in_len += (size_t)n;
	while ((len = ibvmig_vmc_frame(v->in + used, v->in_len - used, &need)) > 0) {
		if (ibvmig_vmc_decode(v->in + used, (size_t)len, &m) == 0)
			on_message(v, &m);
		else
			event(v, "error", ",\"text\":\"undecodable message from the agent\"");
		used += (size_t)len;
	}
	memmove(v->in, v->in + used, v->in_len - used);
	v->in_len -= used;
	if (len < 0)
		vm_gone(v, "the agent's stream is not a VM channel");
	return len >= 0;
}

/* ---- set-up --------------------------------------------------------------------------------- */

/* Connects to the agent, waiting up to --connect-timeout for its socket to appear. */
static int connect_agent(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = (int64_t)util_mono_ms() + (int64_t)opt->connect_s * 1000;
	struct timespec pause = { 0, 50 * 1000000L };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", opt->socket);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			return fd;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    (int64_t)util_mono_ms() >= deadline || stop_signal)
			return -errno;
		nanosleep(&pause, NULL);
	}
}

static int vm_init(struct vm *v, unsigned k)
{
	struct ibvmig_pc_config cfg = { .capacity = 1024, .max_age_ms = opt->max_age_ms,
				 .suspend_limit_ms = opt->suspend_limit_ms };
	unsigned i;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	if (!opt->counted)
		snprintf(v->name, sizeof(v->name), "%s", opt->name);
	else
		snprintf(v->name, sizeof(v->name), "%.50s-%u", opt->name, k + 1);
	v->vguid = opt->vguid ? opt->vguid + k : 0;
	v->cache = ibvmig_pc_create(&cfg);
	if (!v->cache)
		return -errno;
	if (k < opt->interested)
		for (i = 0; i < opt->n_peers; i++)
			v->wants[v->n_wants++].guid = opt->peers[i];
	v->fd = connect_agent();
	if (v->fd < 0) {
		fprintf(stderr, PROG ": %s: cannot reach the agent at %s: %s\n", v->name,
			opt->socket, strerror(-v->fd));
		return v->fd;
	}
	send_hello(v);
	return 0;
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
	bool changed = false;
	int64_t now;

	for (i = 0; i < n; i++) {
		live += vms[i].fd >= 0;
		/* --no-read: a VM that hangs once it is set up (its interests registered). */
		if (vms[i].fd >= 0 && !(opt->no_read && vms[i].ready)) {
			p[k] = (struct pollfd){ .fd = vms[i].fd, .events = POLLIN };
			map[k++] = (int)i;
		}
	}
	if (!live)
		return 0;
	if (poll(p, k, TICK_MS) > 0)
		for (i = 0; i < k; i++)
			if (p[i].revents) {
				read_vm(&vms[map[i]]);
				changed = true;
			}
	now = (int64_t)util_mono_ms();
	for (i = 0; i < n; i++)
		ask_missing(&vms[i], now);
	if (changed)
		write_state(vms, n);
	return live;
}

static void say_bye(struct vm *vms, unsigned n)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_BYE };
	unsigned i;

	for (i = 0; i < n; i++) {
		if (vms[i].fd < 0)
			continue;
		m.id = ++vms[i].next_id;
		send_msg(&vms[i], &m, NULL);
		close(vms[i].fd);
		vms[i].fd = -1;
	}
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
	say_bye(vms, n);
	for (i = 0; i < n; i++)
		ibvmig_pc_destroy(vms[i].cache);
	free(vms);
	return code;
}

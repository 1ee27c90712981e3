// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_main.c - ibvmigd's main thread: options, logging, start-up and
 * shutdown.  Signals are blocked in every thread from the first line of
 * main() on (umad2sim starts a thread of its own when the port opens, and it
 * must not take TERM either): the main thread alone takes them, in
 * sigwait(), so that TERM and INT always end in a clean exit - the
 * subscriptions dropped and, under ibsim, the client's slot given back
 * (doc/simulator.md, "Client Slots").  See doc/ibvmigd.8.
 */
#include "agent.h"
#include "ibvmig_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct util_signals signals;

void agent_stop(struct agent *a)
{
	atomic_store(&a->stop, true);
	util_signals_wake(&signals);	/* ends the main thread's wait */
}

/* ---- options ---------------------------------------------------------------------------- */

#define STR(x) #x
#define XSTR(x) STR(x)

static const char help[] =
	"The hypervisor agent of ibvmig: one per hypervisor port (ibvmigd(8)).\n"
	"  -C, -P                      the CA and port (default: the first active port)\n"
	"      --instance CA-PORT      the same, as systemd's ibvmigd@CA-PORT.service names it\n"
	"  -t MS                       SA request timeout per attempt (default "
	XSTR(IBVMIG_SA_DEFAULT_TIMEOUT_MS) ")\n"
	"  -r, --retries N             SA request resends (default " XSTR(IBVMIG_SA_DEFAULT_RETRIES) ")\n"
	"      --sim                   ibsim/umad2sim only: hold the issm device and\n"
	"                              answer SMInfo so that Reports arrive (never on\n"
	"                              hardware)\n"
	"      --extension LID         tell the SM extension (ibvmig-smx(8)) at LID of\n"
	"                              every alias Set and Delete; take its notices\n"
	"  -s, --vm-socket PATH        the VMs' Unix socket (default " IBVMIG_RUN_DIR
	"/CA-PORT/vm.sock)\n"
	"  -S, --admin-socket PATH     the host CLI's socket (default " IBVMIG_RUN_DIR "/CA-PORT/\n"
	"                              ibvmigd.sock)\n"
	"      --socket-mode MODE      of both sockets, octal (default 0600: root only)\n"
	"      --vsock PORT            also serve VMs on AF_VSOCK port PORT\n"
	"      --forward interest|all  to which VMs a notice goes (default interest)\n"
	"      --subscribe per-port|per-vm\n"
	"                              one subscription per trap (default), or one per VM\n"
	"                              and trap (the benchmark's baseline)\n"
	"      --check-interval MS     SA check for an SM reset or a port flap every MS\n"
	"                              (default 5000; 0: never)\n"
	"      --revalidate MS         ask the SA again for every path the VMs hold every\n"
	"                              MS (default 30000; 0: only when notices were lost)\n"
	"      --trust-issuer GUID     also believe notices issued by this port (the\n"
	"                              standalone SM extension's; repeatable, up to "
	XSTR(TRUST_ISSUERS_MAX) ")\n"
	"      --backoff MIN,MAX       subscription retry backoff, ms (default 100,5000)\n"
	"      --slice MS              longest wait on the port between jobs (default 5)\n"
	"      --vm-queue BYTES        most bytes queued per connection (default 262144)\n"
	"      --vm-sndbuf BYTES       SO_SNDBUF of accepted connections (default: the\n"
	"                              system's)\n"
	"      --max-vms N             VMs at most (default 256)\n"
	"      --max-interests N       interests per VM at most (default 4096)\n"
	"  -v                          more log lines (twice: debug)\n";

enum {
	OPT_SIM = 256, OPT_MODE, OPT_VSOCK, OPT_FORWARD, OPT_SUBSCRIBE, OPT_CHECK, OPT_BACKOFF,
	OPT_SLICE, OPT_QUEUE, OPT_SNDBUF, OPT_MAX_VMS, OPT_MAX_INTERESTS, OPT_INSTANCE,
	OPT_REVALIDATE, OPT_TRUST,
};

/* --instance CA-PORT, as a systemd instance name carries them. */
static char instance_ca[64];
static int instance_port;

static bool parse_instance(const char *s)
{
	const char *dash = strrchr(s, '-');
	uint64_t port;

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(instance_ca) ||
	    memchr(s, '/', (size_t)(dash - s)) || util_parse_uint(dash + 1, 10, 1, 254, &port))
		return false;
	memcpy(instance_ca, s, (size_t)(dash - s));
	instance_ca[dash - s] = '\0';
	instance_port = (int)port;
	return true;
}

static const struct option long_opts[] = {
	{ "extension", required_argument, NULL, AGENT_OPT_EXTENSION },
	{ "retries", required_argument, NULL, 'r' },
	{ "sim", no_argument, NULL, OPT_SIM },
	{ "vm-socket", required_argument, NULL, 's' },
	{ "admin-socket", required_argument, NULL, 'S' },
	{ "socket-mode", required_argument, NULL, OPT_MODE },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "subscribe", required_argument, NULL, OPT_SUBSCRIBE },
	{ "check-interval", required_argument, NULL, OPT_CHECK },
	{ "backoff", required_argument, NULL, OPT_BACKOFF },
	{ "slice", required_argument, NULL, OPT_SLICE },
	{ "vm-queue", required_argument, NULL, OPT_QUEUE },
	{ "vm-sndbuf", required_argument, NULL, OPT_SNDBUF },
	{ "max-vms", required_argument, NULL, OPT_MAX_VMS },
	{ "max-interests", required_argument, NULL, OPT_MAX_INTERESTS },
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "revalidate", required_argument, NULL, OPT_REVALIDATE },
	{ "trust-issuer", required_argument, NULL, OPT_TRUST },
	{ NULL, 0, NULL, 0 },
};

/* A whole number in [min, max] (util_parse_uint), as a long. */
static bool number(const char *s, int base, uint64_t min, uint64_t max, long *out)
{
	uint64_t v;

	if (util_parse_uint(s, base, min, max, &v))
		return false;
	*out = (long)v;
	return true;
}

static bool path_opt(char *dst, size_t len, const char *src)
{
	return snprintf(dst, len, "%s", src) < (int)len && *src;
}

static bool parse_backoff(const char *s, struct agent_opts *o)
{
	long min, max;
	char buf[64], *comma;

	if (!path_opt(buf, sizeof(buf), s) || !(comma = strchr(buf, ',')))
		return false;
	*comma = '\0';
	if (!number(buf, 10, 1, 600000, &min) || !number(comma + 1, 10, min, 600000, &max))
		return false;
	o->backoff_min_ms = (int)min;
	o->backoff_max_ms = (int)max;
	return true;
}

/* --trust-issuer GUID: a port whose notices are believed (through the SM) besides the SM's. */
static bool parse_issuer(const char *s, struct agent_opts *o)
{
	uint64_t guid;
	unsigned i;

	if (util_parse_guid(s, &guid) || !guid || o->n_trust_issuers == TRUST_ISSUERS_MAX)
		return false;
	for (i = 0; i < o->n_trust_issuers; i++)
		if (o->trust_issuers[i] == guid)
			return true;
	o->trust_issuers[o->n_trust_issuers++] = guid;
	return true;
}

static bool parse_word(const char *s, const char *w0, const char *w1, int *out)
{
	if (!strcmp(s, w0))
		*out = 0;
	else if (!strcmp(s, w1))
		*out = 1;
	else
		return false;
	return true;
}

static bool parse_own(int c, const char *arg, struct agent_opts *o)
{
	long v;
	int w;

	switch (c) {
	case 'r':
		return number(arg, 10, 0, 100, &v) && (o->sa.retries = (int)v, true);
	case OPT_SIM:
		o->sa.simulator = true;
		return true;
	case OPT_INSTANCE:
		return parse_instance(arg);
	case AGENT_OPT_EXTENSION:
		return agent_tell_parse(arg, o);
	case 's':
		return path_opt(o->vm_socket, sizeof(o->vm_socket), arg);
	case 'S':
		return path_opt(o->admin_socket, sizeof(o->admin_socket), arg);
	case OPT_MODE:
		return number(arg, 8, 0, 0777, &v) && (o->socket_mode = (unsigned)v, true);
	case OPT_VSOCK:
		return number(arg, 10, 1, 0x7FFFFFFF, &v) && (o->vsock_port = (int)v, true);
	case OPT_FORWARD:
		return parse_word(arg, "interest", "all", &w) &&
		       (o->forward = (enum at_mode)w, true);
	case OPT_SUBSCRIBE:
		return parse_word(arg, "per-port", "per-vm", &w) &&
		       (o->subscribe = (enum agent_subscribe_mode)w, true);
	case OPT_CHECK:
		return number(arg, 10, 0, 3600000, &v) && (o->check_ms = (int)v, true);
	case OPT_REVALIDATE:
		return number(arg, 10, 0, 3600000, &v) && (o->revalidate_ms = (int)v, true);
	case OPT_TRUST:
		return parse_issuer(arg, o);
	case OPT_BACKOFF:
		return parse_backoff(arg, o);
	case OPT_SLICE:
		return number(arg, 10, 1, 1000, &v) && (o->slice_ms = (int)v, true);
	case OPT_QUEUE:
		return number(arg, 10, 4096, 1L << 30, &v) &&
		       (o->vm_queue = (size_t)v, true);
	case OPT_SNDBUF:
		return number(arg, 10, 1, 1L << 30, &v) && (o->vm_sndbuf = (int)v, true);
	case OPT_MAX_VMS:
		return number(arg, 10, 1, AT_VMS_MAX, &v) &&
		       (o->limits.max_vms = (unsigned)v, true);
	case OPT_MAX_INTERESTS:
		return number(arg, 10, 1, 1L << 20, &v) &&
		       (o->limits.max_interests = (unsigned)v, true);
	default:
		return false;
	}
}

static int parse_opt(int c, const char *arg, void *ctx)
{
	return parse_own(c, arg, ctx) ? 0 : -1;
}

/* Returns -1 to run, else the exit status. */
static int parse_args(int argc, char **argv, struct agent_opts *o)
{
	const struct cli_tool tool = {
		.prog = AGENT_PROG,
		.synopsis = "[options]",
		.help = help,
		.common = CLI_OPT_CA | CLI_OPT_PORT | CLI_OPT_TIMEOUT | CLI_OPT_VERBOSE,
		.shortopts = "r:s:S:",
		.longopts = long_opts,
		.opt = parse_opt,
		.ctx = o,
	};
	struct cli_common c = { 0 };
	int first, code;

	memset(o, 0, sizeof(*o));
	ibvmig_sa_opts_init(&o->sa);
	o->socket_mode = 0600;
	o->vsock_port = -1;
	o->check_ms = 5000;
	o->revalidate_ms = 30000;
	o->backoff_min_ms = 100;
	o->backoff_max_ms = 5000;
	o->slice_ms = 5;
	o->vm_queue = 256 * 1024;
	o->limits = (struct at_limits){ .max_vms = 256, .max_interests = 4096 };
	c.timeout_ms = o->sa.timeout_ms;
	code = cli_parse(&tool, argc, argv, &c, &first);
	if (code >= 0)
		return code;
	if (first < argc)
		return cli_usage_error(&tool, "unexpected argument %s", argv[first]);
	if (instance_port && (c.ca || c.port))
		return cli_usage_error(&tool, "--instance names the CA and port: no -C or -P with it");
	o->sa.ca = instance_port ? instance_ca : c.ca;
	o->sa.port = instance_port ? instance_port : c.port;
	o->sa.timeout_ms = c.timeout_ms;
	o->verbose = c.verbose;
	return -1;
}

/* Default socket paths name the port the agent serves: several agents per host. */
static int default_paths(struct agent_opts *o, const struct ibvmig_sa_port *p)
{
	bool need = !o->vm_socket[0] || !o->admin_socket[0];
	char dir[64];

	if (!need)
		return 0;
	snprintf(dir, sizeof(dir), IBVMIG_AGENT_DIR_FMT, p->ca, p->portnum);
	/* Under systemd the unit's RuntimeDirectory made both already. */
	if ((mkdir(IBVMIG_RUN_DIR, 0755) && errno != EEXIST) ||
	    (mkdir(dir, 0755) && errno != EEXIST)) {
		util_log(UTIL_LOG_ERROR, "ERR E801: cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!o->vm_socket[0])
		snprintf(o->vm_socket, sizeof(o->vm_socket), "%s/" IBVMIG_AGENT_VM_SOCKET, dir);
	if (!o->admin_socket[0])
		snprintf(o->admin_socket, sizeof(o->admin_socket), "%s/" IBVMIG_AGENT_HOST_SOCKET,
			 dir);
	return 0;
}

/* ---- start and stop ------------------------------------------------------------------- */

static int make_wake_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
		util_log(UTIL_LOG_ERROR, "ERR E802: pipe: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_port(struct agent *a)
{
	const struct ibvmig_sa_port *p;
	int rc = ibvmig_sa_open(&a->opts.sa, &a->sa);
	char tag[48];

	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E803: cannot open %s port %d: %s",
			 a->opts.sa.ca ? a->opts.sa.ca : "the first CA", a->opts.sa.port,
			 ibvmig_sa_strerror(rc));
		return rc;
	}
	p = ibvmig_sa_port(a->sa);
	snprintf(tag, sizeof(tag), AGENT_PROG "[%s:%d]", p->ca, p->portnum);
	util_log_init(tag, util_log_level());
	a->sa_status.port = *p;
	util_log(UTIL_LOG_INFO, "port %s:%d guid 0x%016" PRIx64 " lid %u sm_lid %u%s", p->ca,
		 p->portnum, p->port_guid, p->lid, p->sm_lid,
		 a->opts.sa.simulator ? " (simulator mode)" : "");
	return 0;
}

static int agent_init(struct agent *a)
{
	int rc;

	a->vm_fd = a->admin_fd = a->vsock_fd = -1;
	a->wake[0] = a->wake[1] = -1;
	a->started_ms = (int64_t)util_mono_ms();
	rc = pthread_mutex_init(&a->status_lock, NULL);
	if (rc)
		return -rc;
	rc = make_wake_pipe(a->wake);
	if (!rc)
		rc = agent_queue_init(&a->jobs, -1);
	if (!rc)
		rc = agent_queue_init(&a->events, a->wake[1]);
	if (!rc)
		rc = open_port(a);
	if (!rc)
		rc = default_paths(&a->opts, ibvmig_sa_port(a->sa));
	if (!rc)
		rc = agent_chan_listen(a);
	return rc;
}

static void agent_fini(struct agent *a)
{
	agent_chan_close_listeners(a);
	ibvmig_sa_close(a->sa);		/* NULL once the SA thread closed it */
	agent_queue_destroy(&a->jobs);
	agent_queue_destroy(&a->events);
	if (a->wake[0] >= 0)
		close(a->wake[0]);
	if (a->wake[1] >= 0)
		close(a->wake[1]);
	pthread_mutex_destroy(&a->status_lock);
}

/* Waits for TERM or INT (or an agent_stop()); HUP is ignored (nothing to re-read). */
static int run(struct agent *a)
{
	pthread_t sa_tid, chan_tid;
	int sig, rc;

	rc = pthread_create(&sa_tid, NULL, agent_sa_thread, a);
	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E804: cannot start the SA thread: %s", strerror(rc));
		return 1;
	}
	rc = pthread_create(&chan_tid, NULL, agent_chan_thread, a);
	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E805: cannot start the channel thread: %s",
			 strerror(rc));
		agent_stop(a);
		pthread_join(sa_tid, NULL);
		return 1;
	}
	util_log(UTIL_LOG_INFO, "ready: VMs on %s%s, host CLI on %s", a->opts.vm_socket,
		 a->vsock_fd >= 0 ? " and AF_VSOCK" : "", a->opts.admin_socket);
	sig = util_signals_wait(&signals, &a->stop);
	util_log(UTIL_LOG_INFO, "%s: stopping", sig == SIGUSR2 ? "internal error" : strsignal(sig));
	atomic_store(&a->stop, true);
	(void)!write(a->wake[1], "", 1);
	pthread_join(chan_tid, NULL);
	pthread_join(sa_tid, NULL);
	return sig == SIGUSR2 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct agent a;
	int code;

	/* Before anything starts a thread (umad2sim does, in the port's open). */
	util_signals_block(&signals);
	code = parse_args(argc, argv, &a.opts);
	if (code >= 0)
		return code;
	util_log_init(AGENT_PROG, UTIL_LOG_INFO + a.opts.verbose);
	if (agent_init(&a)) {
		agent_fini(&a);
		return 1;
	}
	code = run(&a);
	agent_fini(&a);
	util_log(UTIL_LOG_INFO, "stopped");
	return code;
}

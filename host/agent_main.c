// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_main.c - ibvmigd's main thread: options, logging, start-up and
 * shutdown.  Signals are blocked in every thread from the first line of
 * main() on (umad2sim starts a thread of its own when the port opens, and it
 * must not take TERM either): the main thread alone takes them, in
 * sigwait(), so that TERM and INT always end in a clean exit - the
 * subscriptions dropped and, under ibsim, the client's slot given back
 * (FABRIC-NOTES).  See doc/ibvmigd.8.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_t main_thread;

void agent_stop(struct agent *a)
{
	atomic_store(&a->stop, true);
	pthread_kill(main_thread, SIGUSR2);	/* ends the main thread's sigwait() */
}

/* ---- options ---------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " AGENT_PROG " [options]\n"
		"The hypervisor agent of ibvmig: one per hypervisor port (see ibvmigd(8)).\n"
		"  -C, --Ca CA                 CA name (default: the first)\n"
		"  -P, --Port PORT             port number (default: the first active)\n"
		"  -t, --timeout MS            SA request timeout per attempt (default %d)\n"
		"  -r, --retries N             SA request resends (default %d)\n"
		"      --sim                   ibsim/umad2sim only: hold the issm device and\n"
		"                              answer SMInfo so that Reports arrive (never on\n"
		"                              hardware)\n"
		"  -s, --vm-socket PATH        the VMs' Unix socket (default " IBVMIG_RUN_DIR
		"/vm.CA.PORT.sock)\n"
		"  -S, --admin-socket PATH     the host CLI's socket (default " IBVMIG_RUN_DIR
		"/ibvmigd.CA.PORT.sock)\n"
		"      --socket-mode MODE      of both sockets, octal (default 0600: root only)\n"
		"      --vsock PORT            also serve VMs on AF_VSOCK port PORT\n"
		"      --forward interest|all  to which VMs a notice goes (default interest)\n"
		"      --subscribe per-port|per-vm\n"
		"                              one subscription per trap (default), or one per VM\n"
		"                              and trap (the benchmark's baseline)\n"
		"      --check-interval MS     SA check for an SM reset every MS (default 5000;\n"
		"                              0: never)\n"
		"      --backoff MIN,MAX       subscription retry backoff, ms (default 100,5000)\n"
		"      --slice MS              longest wait on the port between jobs (default 5)\n"
		"      --vm-queue BYTES        most bytes queued per connection (default 262144)\n"
		"      --vm-sndbuf BYTES       SO_SNDBUF of accepted connections (default: the\n"
		"                              system's)\n"
		"      --max-vms N             VMs at most (default 256)\n"
		"      --max-interests N       interests per VM at most (default 4096)\n"
		"  -v, --verbose               more log lines (twice: debug)\n"
		"  -h, --help                  this text\n",
		IBVMIG_SA_DEFAULT_TIMEOUT_MS, IBVMIG_SA_DEFAULT_RETRIES);
}

enum {
	OPT_SIM = 256, OPT_MODE, OPT_VSOCK, OPT_FORWARD, OPT_SUBSCRIBE, OPT_CHECK, OPT_BACKOFF,
	OPT_SLICE, OPT_QUEUE, OPT_SNDBUF, OPT_MAX_VMS, OPT_MAX_INTERESTS,
};

static const struct option long_opts[] = {
	{ "Ca", required_argument, NULL, 'C' },
	{ "Port", required_argument, NULL, 'P' },
	{ "timeout", required_argument, NULL, 't' },
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
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A number in [min, max], in base @base (0: C rules). */
static bool number(const char *s, int base, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, base);
	return *s && !*end && !errno && *out >= min && *out <= max;
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

static bool parse_opt(int c, const char *arg, struct agent_opts *o)
{
	long v;
	int w;

	switch (c) {
	case 'C':
		o->sa.ca = arg;
		return true;
	case 'P':
		return number(arg, 10, 1, 254, &v) && (o->sa.port = (int)v, true);
	case 't':
		return number(arg, 10, 1, 600000, &v) && (o->sa.timeout_ms = (int)v, true);
	case 'r':
		return number(arg, 10, 0, 100, &v) && (o->sa.retries = (int)v, true);
	case OPT_SIM:
		o->sa.simulator = true;
		return true;
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
	case 'v':
		o->verbose++;
		return true;
	default:
		return false;
	}
}

/* Returns -1 to run, else the exit status. */
static int parse_args(int argc, char **argv, struct agent_opts *o)
{
	int c, li = -1;

	memset(o, 0, sizeof(*o));
	ibvmig_sa_opts_init(&o->sa);
	o->socket_mode = 0600;
	o->vsock_port = -1;
	o->check_ms = 5000;
	o->backoff_min_ms = 100;
	o->backoff_max_ms = 5000;
	o->slice_ms = 5;
	o->vm_queue = 256 * 1024;
	o->limits = (struct at_limits){ .max_vms = 256, .max_interests = 4096 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":C:P:t:r:s:S:vh", long_opts, &li)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?' || c == ':' || !parse_opt(c, optarg, o)) {
			fprintf(stderr, AGENT_PROG ": bad option or value: %s (try -h)\n",
				argv[optind - 1]);
			return 2;
		}
		li = -1;
	}
	(void)li;
	if (optind < argc) {
		fprintf(stderr, AGENT_PROG ": unexpected argument %s (try -h)\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* Default socket paths name the port the agent serves: several agents per host. */
static int default_paths(struct agent_opts *o, const struct ibvmig_sa_port *p)
{
	bool need = !o->vm_socket[0] || !o->admin_socket[0];

	if (!need)
		return 0;
	if (mkdir(IBVMIG_RUN_DIR, 0755) && errno != EEXIST) {
		util_log(UTIL_LOG_ERROR, "ERR E801: cannot create " IBVMIG_RUN_DIR ": %s",
			 strerror(errno));
		return -errno;
	}
	if (!o->vm_socket[0])
		snprintf(o->vm_socket, sizeof(o->vm_socket), IBVMIG_RUN_DIR "/vm.%s.%d.sock",
			 p->ca, p->portnum);
	if (!o->admin_socket[0])
		snprintf(o->admin_socket, sizeof(o->admin_socket),
			 IBVMIG_RUN_DIR "/ibvmigd.%s.%d.sock", p->ca, p->portnum);
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
static int wait_for_end(struct agent *a, const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig))
			continue;
		if (sig == SIGHUP)
			continue;
		if (sig != SIGUSR2 || atomic_load(&a->stop))
			return sig;
	}
}

static int run(struct agent *a, const sigset_t *set)
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
	sig = wait_for_end(a, set);
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
	sigset_t set;
	int code;

	/* Before anything starts a thread (umad2sim does, in the port's open). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a VM gone mid-write is an EPIPE, not a death */
	main_thread = pthread_self();
	code = parse_args(argc, argv, &a.opts);
	if (code >= 0)
		return code;
	util_log_init(AGENT_PROG, UTIL_LOG_INFO + a.opts.verbose);
	if (agent_init(&a)) {
		agent_fini(&a);
		return 1;
	}
	code = run(&a, &set);
	agent_fini(&a);
	util_log(UTIL_LOG_INFO, "stopped");
	return code;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_main.c - ibvmig-smx's main thread: options, the configuration file,
 * logging, the services started in order and stopped in reverse, and the
 * wait for TERM or INT (ibvmig-smx(8)).
 *
 * It runs in the foreground and never forks: systemd (ibvmig-smx.service)
 * or an operator's shell supervises it, its lines go to stderr (the journal),
 * and everything it must remember is in its state files.  Signals are blocked
 * in every thread from the first line of main() on (umad2sim starts a thread
 * of its own at the port's open); this thread takes them in sigwait(), so
 * that TERM and INT always end in a clean exit - subscriptions dropped, the
 * state saved and, under ibsim, the client's slot given back (doc/simulator.md,
 * "Client Slots").
 * Log codes of this file: E0xx (doc/log-codes.md).
 */
#include "smx.h"
#include "ibvmig_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STR(x) #x
#define XSTR(x) STR(x)

static struct util_signals signals;

void smx_request_stop(struct smx *s)
{
	atomic_store(&s->stop, true);
	util_signals_wake(&signals);	/* ends the main thread's wait */
}

/* ---- options --------------------------------------------------------------------------- */

static const char help[] =
	"The standalone SM extension of ibvmig: RePath/UnPath notices beside a subnet\n"
	"manager that cannot load the ibvmig plugin (ibvmig-smx(8)).  Runs in the\n"
	"foreground; TERM or INT stops it.\n"
	"  -C, -P                      the CA and port (default: the first active port)\n"
	"  -c, --config FILE           the configuration (default " SMX_CONF_DEFAULT ",\n"
	"                              if it exists; ibvmig-smx(8), CONFIGURATION)\n"
	"  -t MS                       SA request timeout per attempt (default "
	XSTR(IBVMIG_SA_DEFAULT_TIMEOUT_MS) ")\n"
	"  -r, --retries N             SA request resends (default "
	XSTR(IBVMIG_SA_DEFAULT_RETRIES) ")\n"
	"      --sim                   ibsim/umad2sim only: hold the issm device and answer\n"
	"                              SMInfo so that Reports and tells arrive (never on\n"
	"                              hardware)\n"
	"      --check-config          read the configuration, print what it sets, exit\n"
	"  -v                          more log lines (twice: debug)\n";

enum { OPT_SIM = 256, OPT_CHECK };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "retries", required_argument, NULL, 'r' },
	{ "sim", no_argument, NULL, OPT_SIM },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(int c, const char *arg, void *ctx)
{
	struct smx_opts *o = ctx;
	uint64_t v;

	switch (c) {
	case 'c':
		o->conf_path = arg;
		o->conf_given = true;
		return *arg ? 0 : -1;
	case 'r':
		if (util_parse_uint(arg, 10, 0, 100, &v))
			return -1;
		o->sa.retries = (int)v;
		return 0;
	case OPT_SIM:
		o->sa.simulator = true;
		return 0;
	case OPT_CHECK:
		o->check_only = true;
		return 0;
	default:
		return -1;
	}
}

static const struct cli_tool tool = {
	.prog = SMX_PROG,
	.synopsis = "[options]",
	.help = help,
	.common = CLI_OPT_CA | CLI_OPT_PORT | CLI_OPT_TIMEOUT | CLI_OPT_VERBOSE,
	.shortopts = "c:r:",
	.longopts = long_opts,
	.opt = parse_opt,
};

/* Returns -1 to run, else the exit status. */
static int parse_args(int argc, char **argv, struct smx_opts *o)
{
	struct cli_tool t = tool;
	struct cli_common c = { 0 };
	int first, code;

	memset(o, 0, sizeof(*o));
	ibvmig_sa_opts_init(&o->sa);
	t.ctx = o;
	c.timeout_ms = o->sa.timeout_ms;
	code = cli_parse(&t, argc, argv, &c, &first);
	if (code >= 0)
		return code;
	if (first < argc)
		return cli_usage_error(&t, "unexpected argument %s", argv[first]);
	o->sa.ca = c.ca;
	o->sa.port = c.port;
	o->sa.timeout_ms = c.timeout_ms;
	o->verbose = c.verbose;
	return -1;
}

/* The default file may be missing (the defaults then); a named one may not. */
static int load_conf(struct smx *s)
{
	const char *path = s->opts.conf_path ? s->opts.conf_path : SMX_CONF_DEFAULT;
	char err[512];
	int rc = smx_conf_load(path, &s->conf, err, sizeof(err));

	if (rc == -ENOENT && !s->opts.conf_given)
		return 0;
	if (!rc)
		return 0;
	return cli_fail(&tool, IBVMIG_EXIT_USAGE, "%s", err);
}

static void print_conf(const struct smx *s)
{
	const struct smx_conf *c = &s->conf;
	unsigned i;

	printf("trap_ttl %llu\ntrap_capacity %u\nunpath %s\nstate_dir %s\nadmin_socket %s\n"
	       "admin_socket_mode %o\nlog_level %d\nsave_delay_ms %u\n",
	       (unsigned long long)(c->base.trap_ttl_ms / 1000), c->base.trap_capacity,
	       c->base.unpath ? "on" : "off",
	       c->base.state_dir[0] ? c->base.state_dir : SMX_STATE_DIR_DEFAULT,
	       c->base.admin_socket, c->base.admin_socket_mode, (int)c->base.log_level,
	       c->base.save_delay_ms);
	printf("poll_rate %u\npoll_interval_ms %u\npoll_full_every %u\npoll_batch %u\n"
	       "learn_interval %u\nlearn_gap %u\ncheck_interval_ms %u\nagent_timeout %u\n"
	       "delivery %s\n", c->poll_rate, c->poll_interval_ms, c->poll_full_every,
	       c->poll_batch, c->learn_interval_s,
	       c->learn_gap, c->check_ms, c->agent_timeout_s, smx_delivery_name(c->delivery));
	for (i = 0; i < c->n_trusted; i++)
		printf("trusted_port 0x%016" PRIx64 "\n", c->trusted[i]);
}

/* ---- the services, in the order main() starts them ----------------------------------- */

static int start_port(void *ctx)
{
	return smx_mad_open(ctx);
}

static void stop_port(void *ctx)
{
	smx_mad_close(ctx);
}

static int start_engine(void *ctx)
{
	struct smx *s = ctx;
	uint64_t prefix = ibvmig_sa_port(s->sa)->subnet_prefix;
	struct eng_config cfg = {
		.conf = s->conf.base,
		.host_version = SMX_VERSION,
		.sm_version = "any (seen through the SA)",
		.default_state_dir = SMX_STATE_DIR_DEFAULT,
		/* IBA 4.1.1: the default GID prefix, until the port has one of its own. */
		.subnet_prefix = prefix ? prefix : 0xfe80000000000000ULL,
		.max_aliases = 1u << 20,
	};

	/* Only the plugin can guard the SA's Sets: without it, trust decides (smx_conf.c). */
	cfg.conf.alias_guard = false;
	s->eng = eng_create(&cfg, &smx_eng_ops, s);
	return s->eng ? 0 : -errno;
}

static void stop_engine(void *ctx)
{
	struct smx *s = ctx;

	eng_destroy(s->eng);
	s->eng = NULL;
}

static int start_state(void *ctx)
{
	return eng_state_start(((struct smx *)ctx)->eng);
}

static void stop_state(void *ctx)
{
	eng_state_stop(((struct smx *)ctx)->eng);
}

static int start_worker(void *ctx)
{
	return eng_worker_start(((struct smx *)ctx)->eng);
}

static void stop_worker(void *ctx)
{
	eng_worker_stop(((struct smx *)ctx)->eng);
}

static int start_mad(void *ctx)
{
	return smx_mad_start(ctx);
}

static void stop_mad(void *ctx)
{
	smx_mad_stop(ctx);
}

/* Started in order, stopped in reverse; a failed start undoes the rows before it. */
static const struct eng_service services[] = {
	{ "the port", start_port, stop_port },
	{ "the trap table", start_engine, stop_engine },
	{ "the saved state", start_state, stop_state },
	{ "the worker", start_worker, stop_worker },
	{ "the MAD thread", start_mad, stop_mad },
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

/* Waits for TERM or INT (or an internal stop); HUP is ignored. */
/* Run by hand, not by ibvmig-smx.service: the default socket's directory is ours to make. */
static void default_socket_dir(const struct smx *s)
{
	char dir[sizeof(s->conf.base.admin_socket)], *slash;

	if (strcmp(s->conf.base.admin_socket, SMX_ADMIN_SOCKET_DEFAULT))
		return;
	snprintf(dir, sizeof(dir), "%s", SMX_ADMIN_SOCKET_DEFAULT);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		util_log(UTIL_LOG_ERROR, "ERR E002: cannot create %s: %s", dir, strerror(errno));
}

static int run(struct smx *s)
{
	size_t failed = 0;
	int sig, rc;

	default_socket_dir(s);
	rc = eng_services_start(services, N_SERVICES, s, &failed);
	if (rc) {
		util_log(UTIL_LOG_ERROR, "ERR E001: %s did not start (%s)", services[failed].name,
			 strerror(-rc));
		return failed == 0 ? IBVMIG_EXIT_UNREACHABLE : IBVMIG_EXIT_FAILED;
	}
	eng_log_loaded(s->eng);
	util_log(UTIL_LOG_INFO, "ready: poll budget %u SA requests/s, delivery %s, %u trusted "
		 "ports", s->conf.poll_rate, smx_delivery_name(s->conf.delivery),
		 s->conf.n_trusted);
	sig = util_signals_wait(&signals, &s->stop);
	util_log(UTIL_LOG_INFO, "%s: stopping", sig == SIGUSR2 ? "internal error" : strsignal(sig));
	eng_services_stop(services, N_SERVICES, s);
	util_log(UTIL_LOG_INFO, "stopped");
	return sig == SIGUSR2 ? IBVMIG_EXIT_FAILED : IBVMIG_EXIT_OK;
}

int main(int argc, char **argv)
{
	static struct smx s;
	int code;

	/* Before anything starts a thread (umad2sim does, in the port's open). */
	util_signals_block(&signals);
	code = parse_args(argc, argv, &s.opts);
	if (code >= 0)
		return code;
	code = load_conf(&s);
	if (code)
		return code;
	if (s.opts.check_only) {
		print_conf(&s);
		return IBVMIG_EXIT_OK;
	}
	util_log_init(SMX_PROG, (int)s.conf.base.log_level + s.opts.verbose);
	pthread_mutex_init(&s.lock, NULL);
	code = run(&s);
	pthread_mutex_destroy(&s.lock);
	return code;
}

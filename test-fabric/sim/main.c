// SPDX-License-Identifier: BSD-2-Clause
/*
 * ibvmig-sim - the scenario runner of ibvmig's simulated fabric
 * (ibvmig-sim(1), doc/scenarios.md).  One command: a private fabric (ibsim
 * with its console, stock OpenSM with the plugin or without it, agents and
 * VM processes on the scenario's nodes), the scenario's steps and
 * expectations, everything stopped, a report, and a JSON line last.
 */
#include "sim.h"

#include "ibvmig_cli.h"
#include "ibvmig_util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCENARIO_MAX (1 << 20)

/* ---- small shared helpers (sim.h) --------------------------------------------------------- */

int sim_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

void sim_words_init(struct sim_words *w)
{
	memset(w->v, 0, sizeof(w->v));
	w->n = 0;
	w->used = 0;
}

void sim_words_add(struct sim_words *w, const char *fmt, ...)
{
	size_t room = sizeof(w->buf) - w->used;
	va_list ap;
	int n;

	if (w->n + 1 >= sizeof(w->v) / sizeof(w->v[0])) {
		w->used = sizeof(w->buf) + 1;	/* remembered: sim_words_ok() */
		return;
	}
	if (w->used > sizeof(w->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		w->used = sizeof(w->buf) + 1;
		return;
	}
	w->v[w->n++] = w->buf + w->used;
	w->v[w->n] = NULL;
	w->used += (size_t)n + 1;
}

bool sim_words_ok(const struct sim_words *w)
{
	return w->used <= sizeof(w->buf);
}

void sim_path(const struct sim *sim, char *buf, size_t len, const char *fmt, ...)
{
	char name[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	/* Under mkdtemp's directory or -d's: short enough, or every open says so. */
	sim_fmt(buf, len, "%s/%s", sim->dir, name);
}

const char *sim_node_name(const struct sim *sim, int node)
{
	return node >= 0 && (size_t)node < sim->scn->n_nodes ? sim->scn->nodes[node] : "?";
}

static void vsay(struct sim *sim, const char *indent, const char *fmt, va_list ap)
{
	uint64_t ms = util_mono_ms() - sim->t0_ms;

	fprintf(sim->out, "%+8.3fs  %s", (double)ms / 1000.0, indent);
	vfprintf(sim->out, fmt, ap);
	fputc('\n', sim->out);
	fflush(sim->out);
}

void sim_say(struct sim *sim, const char *fmt, ...)
{
	va_list ap;

	if (sim->opt.quiet)
		return;
	va_start(ap, fmt);
	vsay(sim, "", fmt, ap);
	va_end(ap);
}

void sim_detail(struct sim *sim, const char *fmt, ...)
{
	va_list ap;

	if (!sim->opt.verbose || sim->opt.quiet)
		return;
	va_start(ap, fmt);
	vsay(sim, "    . ", fmt, ap);
	va_end(ap);
}

int sim_fatal(struct sim *sim, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, SIM_PROG ": %s\n", msg);
	sim_say(sim, "ERROR: %s", msg);
	if (!sim->code)
		sim->code = code;
	return -1;
}

bool sim_wait_for(struct sim *sim, bool (*done)(struct sim *, void *), void *ctx,
		  uint64_t timeout_ms)
{
	uint64_t end = util_mono_ms() + timeout_ms, now;

	for (;;) {
		if (done && done(sim, ctx))
			return true;
		now = util_mono_ms();
		if (now >= end)
			return !done;
		if (sup_pump(&sim->sup, (int)(end - now < 100 ? end - now : 100)) == -EINTR)
			return false;
	}
}

/* ---- where the programs are --------------------------------------------------------------- */

static void tool(char *dst, const char *env, const char *configured, const char *fallback)
{
	const char *v = getenv(env);

	snprintf(dst, PATH_MAX, "%s", v && *v ? v : *configured ? configured : fallback);
}

static void find_umad2sim(char *dst)
{
	glob_t g;

	tool(dst, "FABRIC_UMAD2SIM", SIM_UMAD2SIM, "");
	if (*dst)
		return;
	/* Where Debian's libumad2sim0 puts it, whatever the architecture. */
	if (!glob("/usr/lib/*/umad2sim/libumad2sim.so", 0, NULL, &g) && g.gl_pathc)
		snprintf(dst, PATH_MAX, "%s", g.gl_pathv[0]);
	globfree(&g);
}

/* True if `PROG -h` mentions @word (a command it has). */
static bool help_mentions(struct sim *sim, const char *prog, const char *word)
{
	char *argv[] = { (char *)prog, "-h", NULL }, *out = NULL;
	bool yes;

	if (access(prog, X_OK))
		return false;
	yes = hosts_run(sim, "help", argv, &out) == 0 && out && strstr(out, word);
	free(out);
	return yes;
}

static int find_tools(struct sim *sim)
{
	struct sim_tools *t = &sim->tools;
	const char *b = sim->opt.builddir;
	char plugin[PATH_MAX + 16];
	ssize_t n;

	tool(t->ibsim, "FABRIC_IBSIM", SIM_IBSIM, "ibsim");
	tool(t->opensm, "FABRIC_OPENSM", SIM_OPENSM, "/usr/sbin/opensm");
	find_umad2sim(t->umad2sim);
	if (b) {
		snprintf(t->agent, PATH_MAX, "%s/host/ibvmigd", b);
		snprintf(t->vm, PATH_MAX, "%s/host/ibvmig-vm", b);
		snprintf(t->host_cli, PATH_MAX, "%s/host/ibvmig-host", b);
		snprintf(t->cli, PATH_MAX, "%s/cli/ibvmig", b);
		snprintf(t->sa, PATH_MAX, "%s/test-fabric/ibvmig-sa", b);
		snprintf(t->smx, PATH_MAX, "%s/sm-extension/ibvmig-smx", b);
		snprintf(t->plugin_dir, PATH_MAX, "%s/osm-plugin/.libs", b);
	} else {
		snprintf(t->agent, PATH_MAX, "%s/ibvmigd", SIM_SBINDIR);
		snprintf(t->vm, PATH_MAX, "%s/ibvmig-vm", SIM_PKGLIBEXECDIR);
		snprintf(t->host_cli, PATH_MAX, "%s/ibvmig-host", SIM_BINDIR);
		snprintf(t->cli, PATH_MAX, "%s/ibvmig", SIM_BINDIR);
		snprintf(t->sa, PATH_MAX, "%s/ibvmig-sa", SIM_PKGLIBEXECDIR);
		snprintf(t->smx, PATH_MAX, "%s/ibvmig-smx", SIM_SBINDIR);
		t->plugin_dir[0] = '\0';	/* OpenSM's dlopen finds the installed one */
	}
	n = readlink("/proc/self/exe", t->self, PATH_MAX - 1);
	if (n <= 0)
		return sim_fatal(sim, 3, "/proc/self/exe: %s", strerror(errno));
	t->self[n] = '\0';
	t->have_smx = !access(t->smx, X_OK);
	snprintf(plugin, sizeof(plugin), "%s/libibvmig.so", t->plugin_dir);
	t->have_plugin = !b || !access(plugin, R_OK);
	/*
	 * The escrow's requests go through the agents (ibvmig-host migrate-out/migrate-in)
	 * where they have them, else through ibvmig-sa's escrow-* (the MADs of the plugin's
	 * tests); its views through ibvmig.
	 */
	t->escrow_agent = help_mentions(sim, t->host_cli, "migrate-out");
	t->have_escrow = (t->escrow_agent || !access(t->sa, X_OK)) &&
			 help_mentions(sim, t->cli, "escrow");
	if (!*t->umad2sim)
		return sim_fatal(sim, 3, "libumad2sim.so not found: install the Debian package "
				 "libumad2sim0 (or set FABRIC_UMAD2SIM)");
	return 0;
}

/* Each program a scenario needs must be there before anything starts. */
static int check_tools(struct sim *sim)
{
	const struct sim_tools *t = &sim->tools;
	const char *need[] = { t->agent, t->vm, t->host_cli, t->cli };
	unsigned i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (access(need[i], X_OK))
			return sim_fatal(sim, 3, "%s: %s%s", need[i], strerror(errno),
					 sim->opt.builddir ? " (is the tree built?)" :
					 " (installed? -B BUILDDIR runs a build tree's)");
	if (sim->scn->sm == SCN_SM_PLUGIN && !t->have_plugin)
		return sim_fatal(sim, 3, "%s/libibvmig.so is not built", t->plugin_dir);
	return 0;
}

/* ---- options ------------------------------------------------------------------------------ */

enum { OPT_KEEP = 256, OPT_KEEP_FAILED, OPT_MIN_WITHIN, OPT_SKIP };

static char build_dir[PATH_MAX];

static int take_opt(int c, const char *arg, void *ctx)
{
	struct sim_opts *o = ctx;
	uint64_t v;

	switch (c) {
	case 'B':
		/* Absolute: the children run in directories of their own. */
		o->builddir = realpath(arg, build_dir);
		return o->builddir ? 0 : -1;
	case 'd':
		o->workdir = arg;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case OPT_KEEP:
		o->keep = true;
		return 0;
	case OPT_KEEP_FAILED:
		o->keep_failed = true;
		return 0;
	case OPT_MIN_WITHIN:
		if (util_parse_uint(arg, 10, 0, 3600000, &v))
			return -1;
		o->min_within_ms = v;
		return 0;
	case OPT_SKIP:
		o->skip_unsupported = true;
		return 0;
	default:
		return -1;
	}
}

static const struct option longopts[] = {
	{ "build", required_argument, NULL, 'B' },
	{ "dir", required_argument, NULL, 'd' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "keep-failed", no_argument, NULL, OPT_KEEP_FAILED },
	{ "min-within", required_argument, NULL, OPT_MIN_WITHIN },
	{ "skip-unsupported", no_argument, NULL, OPT_SKIP },
	{ NULL, 0, NULL, 0 },
};

static struct sim the_sim;

static const struct cli_tool sim_tool = {
	.prog = SIM_PROG,
	.synopsis = "[options] SCENARIO",
	.help = "Runs a scenario on a private simulated fabric (ibvmig-sim(1), "
		"doc/scenarios.md):\n"
		"ibsim, stock OpenSM with or without the plugin, agents and VMs; checks its\n"
		"expectations, stops everything, prints a report and a JSON line last.\n"
		"  -B, --build DIR        the programs of build tree DIR (default: the installed)\n"
		"  -d, --dir DIR          keep the fabric's files in DIR (default: a temporary\n"
		"                         directory, removed at the end)\n"
		"      --keep             keep the temporary directory\n"
		"      --keep-failed      keep it when the run does not pass (make check)\n"
		"  -q, --quiet            no timeline, the summary only\n"
		"      --min-within MS    refuse a scenario with a \"within\" below MS (make check:\n"
		"                         5000, a liveness bound)\n"
		"      --skip-unsupported a step that needs what is not built yet says so and is\n"
		"                         skipped (the demo); otherwise the run stops with exit 9\n"
		"exit, besides ibvmig(7)'s: 1 an expectation failed, 3 the fabric did not come\n"
		"up, 9 a step is not supported yet, 130 interrupted\n",
	.common = CLI_OPT_VERBOSE | CLI_OPT_JSON,
	.shortopts = "B:d:q",
	.longopts = longopts,
	.opt = take_opt,
	.ctx = &the_sim.opt,
	.permute = true,
};

/* ---- the scenario file -------------------------------------------------------------------- */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(SCENARIO_MAX + 1);
	n = buf ? fread(buf, 1, SCENARIO_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > SCENARIO_MAX) {
		free(buf);
		errno = buf ? EFBIG : ENOMEM;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int load_scenario(struct sim *sim)
{
	const char *path = sim->opt.scenario;
	char *text = read_file(path), *slash;
	size_t i;
	int rc;

	if (!text)
		return cli_fail(&sim_tool, IBVMIG_EXIT_USAGE, "%s: %s", path, strerror(errno));
	rc = scn_parse(text, &sim->scn);
	free(text);
	if (rc == -ENOMEM)
		return cli_fail(&sim_tool, IBVMIG_EXIT_FAILED, "out of memory");
	if (rc)
		return cli_fail(&sim_tool, IBVMIG_EXIT_USAGE, "%s:%u: %s", path, sim->scn->err_line,
				sim->scn->err);
	for (i = 0; i < sim->scn->n_steps; i++) {
		const struct scn_step *st = &sim->scn->steps[i];

		if (st->within && st->ms < sim->opt.min_within_ms)
			return cli_fail(&sim_tool, IBVMIG_EXIT_USAGE, "%s:%u: within %" PRIu64
					" ms is below --min-within %" PRIu64 " ms (a liveness bound "
					"here; speed goals belong in make bench)", path, st->line,
					st->ms, sim->opt.min_within_ms);
	}
	if (!realpath(path, sim->scn_dir))
		snprintf(sim->scn_dir, sizeof(sim->scn_dir), "%s", path);
	slash = strrchr(sim->scn_dir, '/');
	if (slash)
		*slash = '\0';
	return -1;
}

/* ---- the run ------------------------------------------------------------------------------ */

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	errno = EEXIST;
	return empty;
}

static int make_dir(struct sim *sim)
{
	const char *tmp = getenv("TMPDIR");

	if (sim->opt.workdir) {
		if (mkdir(sim->opt.workdir, 0755) && (errno != EEXIST || !dir_empty(sim->opt.workdir)))
			return sim_fatal(sim, IBVMIG_EXIT_USAGE, "-d %s: %s", sim->opt.workdir,
					 errno == EEXIST ? "not empty (a run's files would mix with "
					 "another's)" : strerror(errno));
		if (!realpath(sim->opt.workdir, sim->dir))
			return sim_fatal(sim, 3, "%s: %s", sim->opt.workdir, strerror(errno));
		return 0;
	}
	snprintf(sim->dir, sizeof(sim->dir), "%s/ibvmig-sim.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sim->dir))
		return sim_fatal(sim, 3, "mkdtemp %s: %s", sim->dir, strerror(errno));
	sim->dir_made = true;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int setup(struct sim *sim)
{
	struct scn *s = sim->scn;
	size_t i, agents = 0;

	for (i = 0; i < s->n_nodes; i++)
		agents += s->agent[i];
	if (fabric_load(sim) || make_dir(sim))
		return -1;
	snprintf(sim->sockname, sizeof(sim->sockname), "ibvmig-sim-%d-%s", (int)getpid(),
		 strrchr(sim->dir, '/') + 1);
	sim_say(sim, "%s: %s, OpenSM %s%s%s, %zu agents, %zu VMs, %zu steps (files in %s)",
		sim->opt.scenario, strrchr(sim->netfile, '/') + 1, scn_sm_name(s->sm),
		s->standby >= 0 ? ", standby on " : "", s->standby >= 0 ?
		sim_node_name(sim, s->standby) : "", agents, s->n_vms, s->n_steps, sim->dir);
	if (fabric_start(sim))
		return -1;
	for (i = 0; i < s->n_nodes; i++)
		if (s->agent[i] && hosts_agent_start(sim, (int)i))
			return -1;
	for (i = 0; i < s->n_nodes; i++)
		if (s->agent[i])
			sim_say(sim, "agent on %s (LID %u): subscribed to traps 68 and 69",
				sim_node_name(sim, (int)i), sim->agents[i].lid);
	return 0;
}

/* The runner's view of each node and VM, before anything runs (the report reads them). */
static int alloc_state(struct sim *sim)
{
	struct scn *s = sim->scn;
	size_t i;

	/* One more node than the scenario names: fabric_load() may add the SM's. */
	sim->agents = calloc(s->n_nodes + 1, sizeof(*sim->agents));
	sim->vms = calloc(s->n_vms ? s->n_vms : 1, sizeof(*sim->vms));
	if (!sim->agents || !sim->vms)
		return sim_fatal(sim, 1, "out of memory");
	for (i = 0; i < s->n_vms; i++) {
		/* A VF's VM is its VF's port, there from the start (no process of its own). */
		sim->vms[i].node = s->vms[i].vf ? s->vms[i].node : -1;
		sim->vms[i].mig = -1;
		sim->vms[i].esc_from = -1;
	}
	return 0;
}

static int run(struct sim *sim)
{
	bool unsupported;
	int rc;

	if (alloc_state(sim) || find_tools(sim) || check_tools(sim))
		return sim->code;
	steps_check_unsupported(sim, &unsupported);
	if (unsupported)
		return sim->code = SIM_EXIT_UNSUPPORTED;
	if (!setup(sim)) {
		rc = steps_run(sim);
		if (rc && !sim->code)
			sim->code = rc;
	}
	if (!sim->sup.interrupted)
		report_collect(sim);
	sim_say(sim, "stopping every process the run started");
	sup_stop_all(&sim->sup, SIM_END_GRACE_MS);
	fabric_stop(sim);
	if (sim->sup.interrupted && !sim->code)
		sim->code = SIM_EXIT_INTERRUPTED;
	return sim->code;
}

static void finish(struct sim *sim)
{
	size_t i;

	sup_fini(&sim->sup);
	if (sim->dir_made && !sim->opt.keep && sim->dir[0])
		nftw(sim->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < sim->n_failures; i++)
		free(sim->failures[i]);
	free(sim->failures);
	free(sim->agents);
	free(sim->vms);
	free(sim->migs);
	free(sim->lat);
	free(sim->nodes);
	free(sim->topo);
	scn_free(sim->scn);
}

int main(int argc, char **argv)
{
	struct sim *sim = &the_sim;
	struct cli_common c = { 0 };
	int first, code;

	/* The injector: the runner itself as an ibsim client (inject.c). */
	if (argc >= 2 && !strcmp(argv[1], "--inject"))
		return inject_main(argc - 1, argv + 1);
	sim->console = sim->inotify = -1;
	sim->out = stdout;
	code = cli_parse(&sim_tool, argc, argv, &c, &first);
	if (code >= 0)
		return code;
	sim->opt.verbose = c.verbose;
	sim->opt.json = c.json;
	if (first != argc - 1)
		return cli_usage_error(&sim_tool, "one scenario file, please");
	sim->opt.scenario = argv[first];
	code = load_scenario(sim);
	if (code >= 0) {
		scn_free(sim->scn);
		return code;
	}
	if (sim->opt.json)
		sim->out = fopen("/dev/null", "we");
	if (!sim->out)
		return IBVMIG_EXIT_FAILED;
	sim->t0_ms = util_mono_ms();
	if (sup_init(&sim->sup)) {
		fprintf(stderr, SIM_PROG ": cannot supervise: %s\n", strerror(errno));
		return IBVMIG_EXIT_FAILED;
	}
	code = run(sim);
	if (!code && sim->failed)
		code = sim->code = IBVMIG_EXIT_FAILED;
	if (code && sim->opt.keep_failed)
		sim->opt.keep = true;
	report_summary(sim);
	report_json(sim);
	finish(sim);
	if (sim->out != stdout)
		fclose(sim->out);
	return code;
}

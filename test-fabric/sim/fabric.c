// SPDX-License-Identifier: BSD-2-Clause
/*
 * fabric.c - ibvmig-sim's fabric: the net file, ibsim with its console on a
 * FIFO, stock OpenSM (the master-to-be and a standby) with or without the
 * plugin, and the standalone extension.  The facts it relies on are
 * doc/simulator.md's; each is cited where it matters.
 *
 * Why in C and not through test-fabric/fabric.sh: the runner holds the
 * console FIFO, kills and restarts OpenSM mid-story and must know at once
 * when either exits; behind the harness's bash supervisors it would know
 * them only by PID files.  What this file writes into opensm.conf is the
 * harness's set-up (fabric_start), so a scenario and a shell test see the
 * same OpenSM.
 */
#include "sim.h"

#include "ibvmig_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONSOLE_MS 10000
/*
 * SM failover under test: a standby polls the master every 500 ms and takes
 * over after 2 unanswered polls, about 1.5-2 s after the master died instead
 * of 50-60 s with the defaults (doc/simulator.md, "SM Failover").  A test
 * setting, never a production one.
 */
#define FAILOVER_POLL_MS 500
#define FAILOVER_RETRIES 2

/* ---- the net file ------------------------------------------------------------------------ */

static int topo_find(const struct sim *sim, const char *name)
{
	size_t i;

	for (i = 0; i < sim->n_nodes; i++)
		if (!strcmp(sim->nodes[i].name, name))
			return (int)i;
	return -1;
}

/* The net file named by the scenario: a path (relative to the scenario), or a name. */
static int find_netfile(struct sim *sim)
{
	const char *t = sim->scn->topology;
	char dirs[4][PATH_MAX];
	unsigned i, n = 0;

	if (strchr(t, '/')) {
		if (sim_fmt(sim->netfile, sizeof(sim->netfile), "%s%s%s", *t == '/' ? "" :
			    sim->scn_dir, *t == '/' ? "" : "/", t))
			return -ENAMETOOLONG;
		return access(sim->netfile, R_OK) ? -errno : 0;
	}
	/* A name: beside the scenario, in ../topologies, in the source tree, installed. */
	sim_fmt(dirs[n++], PATH_MAX, "%s", sim->scn_dir);
	sim_fmt(dirs[n++], PATH_MAX, "%s/../topologies", sim->scn_dir);
	if (sim->opt.builddir)
		sim_fmt(dirs[n++], PATH_MAX, "%s/test-fabric/topologies", SIM_SRCDIR);
	sim_fmt(dirs[n++], PATH_MAX, "%s/topologies", SIM_PKGDATADIR);
	for (i = 0; i < n; i++)
		if (!sim_fmt(sim->netfile, sizeof(sim->netfile), "%s/%s.net", dirs[i], t) &&
		    !access(sim->netfile, R_OK))
			return 0;
	return -ENOENT;
}

static int add_node(struct sim *sim, const char *name, bool hca, uint64_t guid)
{
	struct sim_node *n = realloc(sim->nodes, (sim->n_nodes + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	sim->nodes = n;
	n = &n[sim->n_nodes++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->hca = hca;
	n->guid = guid;
	return 0;
}

/* One line of the net file: a node's header, one of its ports, or a header comment. */
static int net_line(struct sim *sim, const char *l, char *sm_line, uint64_t *guid)
{
	char kind[16], name[SCN_NAME_MAX + 1];
	unsigned nports, port, pport;
	struct sim_node *cur;
	uint64_t g;
	int rc;

	if (sscanf(l, "# fabric-sm: %50s", name) == 1) {
		snprintf(sm_line, SCN_NAME_MAX + 1, "%s", name);
		return 0;
	}
	if (!strncmp(l, "# ibsim-opts:", 13))
		return sim_fmt(sim->ibsim_opts, sizeof(sim->ibsim_opts), "%s", l + 13);
	/* ibsim's GUID lines come before the node they name. */
	if (sscanf(l, "hcaguids=%" SCNx64, &g) == 1 || sscanf(l, "caguids=%" SCNx64, &g) == 1 ||
	    sscanf(l, "switchguid=%" SCNx64, &g) == 1) {
		*guid = g;
		return 0;
	}
	if (sscanf(l, "%15s %u \"%50[^\"]\"", kind, &nports, name) == 3 &&
	    (!strcmp(kind, "Hca") || !strcmp(kind, "Ca") || !strcmp(kind, "Switch"))) {
		rc = add_node(sim, name, strcmp(kind, "Switch"), *guid);
		*guid = 0;
		return rc;
	}
	if (sim->n_nodes && sscanf(l, " [%u] \"%50[^\"]\"[%u]", &port, name, &pport) == 3 &&
	    port && port <= SIM_PORTS_MAX) {
		cur = &sim->nodes[sim->n_nodes - 1];
		snprintf(cur->port[port].peer, sizeof(cur->port[port].peer), "%s", name);
		cur->port[port].peer_port = pport;
	}
	return 0;
}

static int pick_sm_node(struct sim *sim, char *sm_line)
{
	size_t i;
	int k;

	if (sim->scn->sm_node >= 0)
		return sim->scn->sm_node;
	/* The harness's rule: the file's "fabric-sm:" line, a node named sm, the first HCA. */
	for (i = 0; i < sim->n_nodes && !*sm_line; i++)
		if (sim->nodes[i].hca && !strcmp(sim->nodes[i].name, "sm"))
			snprintf(sm_line, SCN_NAME_MAX + 1, "%s", sim->nodes[i].name);
	for (i = 0; i < sim->n_nodes && !*sm_line; i++)
		if (sim->nodes[i].hca)
			snprintf(sm_line, SCN_NAME_MAX + 1, "%s", sim->nodes[i].name);
	k = scn_node_find(sim->scn, sm_line);
	if (k >= 0)
		return k;
	/* Not mentioned by the scenario: add it to the scenario's node table. */
	return scn_node_add(sim->scn, sm_line);
}

uint64_t fabric_port_guid(const struct sim *sim, int node)
{
	const struct sim_node *n = &sim->nodes[sim->topo[node]];

	return n->guid && n->hca ? n->guid + 1 : n->guid;
}

int fabric_vf_pf(const struct sim *sim, int vf)
{
	const struct scn_vswitch *vs;
	int sw = scn_node_find(sim->scn, sim->nodes[sim->topo[vf]].port[1].peer);

	vs = sw >= 0 ? scn_vswitch_of(sim->scn, sw) : NULL;
	/* The PF hangs on its vSwitch too, and its LID is its agent's: no VF. */
	return vs && vs->pf != vf ? vs->pf : -1;
}

/* "vswitch" lines name a switch and an HCA with GUIDs (the plugin's lines take GUIDs). */
static int check_vswitch(struct sim *sim, const struct scn_vswitch *vs)
{
	const struct sim_node *sw = &sim->nodes[sim->topo[vs->sw]];
	const struct sim_node *pf = &sim->nodes[sim->topo[vs->pf]];

	if (sw->hca || !pf->hca || !sw->guid || !pf->guid)
		return sim_fatal(sim, IBVMIG_EXIT_USAGE, "%s:%u: vswitch %s pf %s: a switch and "
				 "an HCA of %s with their GUIDs", sim->opt.scenario, vs->line,
				 sw->name, pf->name, sim->netfile);
	return 0;
}

/* A VF's VM is its VF's port: its GUID is that port's, its agent the vSwitch's PF's. */
static int place_vf_vm(struct sim *sim, struct scn_vm *v)
{
	const char *vf = sim_node_name(sim, v->node);

	if (!sim->nodes[sim->topo[v->node]].hca || fabric_vf_pf(sim, v->node) < 0)
		return sim_fatal(sim, IBVMIG_EXIT_USAGE, "%s:%u: vm %s at %s: not an HCA behind "
				 "a switch of a \"vswitch\" line, nor its PF", sim->opt.scenario, v->line,
				 v->name, vf);
	v->vguid = fabric_port_guid(sim, v->node);
	return v->vguid ? 0 : sim_fatal(sim, IBVMIG_EXIT_USAGE, "%s: no GUID for %s",
					sim->netfile, vf);
}

static int load_vswitches(struct sim *sim)
{
	struct scn *s = sim->scn;
	size_t i;

	for (i = 0; i < s->n_vswitches; i++)
		if (check_vswitch(sim, &s->vswitches[i]))
			return -1;
	for (i = 0; i < s->n_vms; i++)
		if (s->vms[i].vf && place_vf_vm(sim, &s->vms[i]))
			return -1;
	return 0;
}

int fabric_load(struct sim *sim)
{
	char line[1024], sm_line[SCN_NAME_MAX + 1] = "";
	struct scn *s = sim->scn;
	uint64_t guid = 0;
	size_t i;
	FILE *f;
	int rc, k;

	if (find_netfile(sim))
		return sim_fatal(sim, IBVMIG_EXIT_USAGE, "no topology \"%s\" (a net file, or a "
				 "name under test-fabric/topologies)", s->topology);
	f = fopen(sim->netfile, "re");
	if (!f)
		return sim_fatal(sim, IBVMIG_EXIT_USAGE, "%s: %s", sim->netfile,
				 strerror(errno));
	while (fgets(line, sizeof(line), f))
		if ((rc = net_line(sim, line, sm_line, &guid))) {
			fclose(f);
			return sim_fatal(sim, 1, "%s: %s", sim->netfile, strerror(-rc));
		}
	fclose(f);
	if (!sim->n_nodes)
		return sim_fatal(sim, IBVMIG_EXIT_USAGE, "%s: no node", sim->netfile);
	k = pick_sm_node(sim, sm_line);
	if (k < 0)
		return sim_fatal(sim, 1, "out of memory");
	sim->sm_node = k;
	sim->topo = calloc(s->n_nodes, sizeof(*sim->topo));
	if (!sim->topo)
		return sim_fatal(sim, 1, "out of memory");
	for (i = 0; i < s->n_nodes; i++) {
		sim->topo[i] = topo_find(sim, s->nodes[i]);
		if (sim->topo[i] < 0)
			return sim_fatal(sim, IBVMIG_EXIT_USAGE, "%s: no node \"%s\" in %s",
					 sim->opt.scenario, s->nodes[i], sim->netfile);
		if (s->agent[i] && !sim->nodes[sim->topo[i]].hca)
			return sim_fatal(sim, IBVMIG_EXIT_USAGE, "agent %s: a switch",
					 s->nodes[i]);
	}
	/* Two SM clients on one node: ibsim hands requests to the lower slot only. */
	if (s->agent[sim->sm_node] || (s->standby >= 0 && s->agent[s->standby]) ||
	    s->standby == sim->sm_node)
		return sim_fatal(sim, IBVMIG_EXIT_USAGE, "an agent or the standby on the SM "
				 "node, or an agent on the standby's: one SM client per node "
				 "(doc/simulator.md, \"Client Slots\")");
	return load_vswitches(sim);
}

/* ---- clients ----------------------------------------------------------------------------- */

void fabric_client_env(struct sim *sim, int node, struct sim_words *env)
{
	sim_words_add(env, "LD_PRELOAD=%s", sim->tools.umad2sim);
	sim_words_add(env, "SIM_HOST=%s", sim_node_name(sim, node));
	sim_words_add(env, "IBSIM_SOCKNAME=%s", sim->sockname);
	/* doc/simulator.md, "Running a Fabric": no stale issm bit, no remote ibsim. */
	sim_words_add(env, "SIM_SET_ISSM");
	sim_words_add(env, "IBSIM_SERVER_NAME");
	sim_words_add(env, "IBSIM_SERVER_PORT");
}

/* ---- ibsim and its console ------------------------------------------------------------------ */

static bool prompt_seen(struct sim *sim, void *ctx)
{
	(void)ctx;
	return !sup_running(sim->ibsim) || (sim->ibsim->buf && strstr(sim->ibsim->buf, "sim> "));
}

static bool socket_bound(const char *name)
{
	char line[512], want[128];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "re");
	size_t n;

	if (!f)
		return false;
	n = (size_t)snprintf(want, sizeof(want), "@%s:ctl", name);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");

		/* An abstract name's padding NULs show as trailing '@'s. */
		while (len > n && line[len - 1] == '@')
			len--;
		line[len] = '\0';
		found = len >= n && !strcmp(line + len - n, want);
	}
	fclose(f);
	return found;
}

static bool ctl_bound(struct sim *sim, void *ctx)
{
	(void)ctx;
	if (!sup_running(sim->ibsim) || socket_bound(sim->sockname))
		return true;
	/* Nothing to wake the poll: look again in 10 ms. */
	sup_pump(&sim->sup, 10);
	return false;
}

static int ibsim_start(struct sim *sim)
{
	char fifo[PATH_MAX + 16], dir[PATH_MAX + 16], log[PATH_MAX + 16], *opt, *save;
	char opts[sizeof(sim->ibsim_opts)];
	struct sim_words argv, env;
	struct sup_spawn sp = { 0 };
	int in, rc;

	sim_path(sim, fifo, sizeof(fifo), "ibsim.fifo");
	sim_path(sim, dir, sizeof(dir), "ibsim");
	sim_path(sim, log, sizeof(log), "ibsim.out");
	if (mkfifo(fifo, 0600))
		return sim_fatal(sim, 3, "mkfifo %s: %s", fifo, strerror(errno));
	/*
	 * Read-write: the open never blocks, and the FIFO never reaches end of file while the
	 * runner lives (ibsim spins at 100% CPU at end of file: doc/simulator.md, "Running a
	 * Fabric").  ibsim gets a read-only descriptor of its own.
	 */
	sim->console = open(fifo, O_RDWR | O_CLOEXEC);
	in = sim->console < 0 ? -1 : open(fifo, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return sim_fatal(sim, 3, "%s: %s", fifo, strerror(errno));
	sim_words_init(&argv);
	sim_words_add(&argv, "%s", sim->tools.ibsim);
	sim_words_add(&argv, "-s");
	snprintf(opts, sizeof(opts), "%s", sim->ibsim_opts);
	for (opt = strtok_r(opts, " \t\n", &save); opt; opt = strtok_r(NULL, " \t\n", &save))
		sim_words_add(&argv, "%s", opt);
	sim_words_add(&argv, "%s", sim->netfile);
	sim_words_init(&env);
	sim_words_add(&env, "IBSIM_SOCKNAME=%s", sim->sockname);
	sim_words_add(&env, "LD_PRELOAD");
	sp = (struct sup_spawn){ .name = "ibsim", .rank = RANK_IBSIM, .dir = dir, .argv = argv.v,
				 .env = env.v, .stdin_fd = in, .log_path = log, .capture = true };
	rc = sup_spawn(&sim->sup, &sp, &sim->ibsim);
	close(in);
	if (rc)
		return sim_fatal(sim, 3, "cannot start %s: %s", sim->tools.ibsim, strerror(-rc));
	/*
	 * ibsim prints its first prompt, then binds "<name>:ctl" and serves; it says nothing when
	 * it has bound, so that last part is looked for in /proc/net/unix (doc/simulator.md,
	 * "Running a Fabric").
	 */
	if (!sim_wait_for(sim, prompt_seen, NULL, CONSOLE_MS) ||
	    !sim_wait_for(sim, ctl_bound, NULL, CONSOLE_MS) || !sup_running(sim->ibsim))
		return sim_fatal(sim, 3, "ibsim did not start (see %s)", log);
	return 0;
}

int fabric_console(struct sim *sim, const char *fmt, ...)
{
	char cmd[512], *out;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (!sup_running(sim->ibsim))
		return -ESRCH;
	if (sim->ibsim->buf)
		sim->ibsim->len = 0, sim->ibsim->buf[0] = '\0';
	n = strlen(cmd);
	cmd[n++] = '\n';
	/* One line is far below PIPE_BUF: one write, never partial. */
	if (write(sim->console, cmd, n) != (ssize_t)n)
		return -EIO;
	cmd[n - 1] = '\0';
	if (!sim_wait_for(sim, prompt_seen, NULL, CONSOLE_MS) || !sup_running(sim->ibsim)) {
		sim_detail(sim, "ibsim did not finish \"%s\"", cmd);
		return -ETIMEDOUT;
	}
	out = sim->ibsim->buf;
	*strstr(out, "sim> ") = '\0';
	if (sim->opt.verbose > 1)
		sim_detail(sim, "console: %s -> %s", cmd, out);
	/* ibsim's refusals (sim_cmd.c): "# ..." lines, "unknown - skipped", "bad param". */
	if (!strncmp(out, "# ", 2) || strstr(out, "\n# ") || strstr(out, "unknown - skipped") ||
	    strstr(out, "bad param")) {
		sim_detail(sim, "ibsim refused \"%s\": %s", cmd, out);
		return -EINVAL;
	}
	return 0;
}

static bool pid_dead(struct sim *sim, pid_t pid)
{
	struct sup_proc *p;

	for (p = sim->sup.procs; p; p = p->next)
		if (p->pid == pid)
			return p->exited;
	return kill(pid, 0) && errno == ESRCH;
}

/*
 * A client that died by a signal keeps its ibsim slot, and one that held issm keeps taking
 * its node's requests, until ibsim fails to write to it (doc/simulator.md, "Client Slots"):
 * free the slots of the dead at once.
 */
int fabric_reap_slots(struct sim *sim)
{
	char *list, *l, *save;
	unsigned id, pid, n = 0, ids[16];
	unsigned i, k = 0;
	int rc = fabric_console(sim, "Attached");

	if (rc)
		return rc;
	list = strdup(sim->ibsim->buf);
	if (!list)
		return -ENOMEM;
	for (l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (sscanf(l, "Client %u: pid %u", &id, &pid) == 2 && pid_dead(sim, (pid_t)pid) &&
		    k < 16)
			ids[k++] = id;
	free(list);
	for (i = 0; i < k; i++)
		if (!fabric_console(sim, "X %u", ids[i]))
			n++;
	if (n)
		sim_detail(sim, "freed %u ibsim slots of dead clients", n);
	return (int)n;
}

int fabric_link(struct sim *sim, int node, unsigned port, bool up)
{
	const struct sim_node *n = &sim->nodes[sim->topo[node]];

	if (port > SIM_PORTS_MAX || !n->port[port].peer[0])
		return -ENOENT;
	if (!up)
		return fabric_console(sim, "Unlink \"%s\"[%u]", n->name, port);
	return fabric_console(sim, "Link \"%s\"[%u] \"%s\"[%u]", n->name, port, n->port[port].peer,
			      n->port[port].peer_port);
}

/* ---- OpenSM ------------------------------------------------------------------------------ */

static void sm_lines(struct sim *sim, struct sim_sm *sm, char *text)
{
	char *l, *save;

	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, "SUBNET UP")) {
			sm->ups++;
			if (sim->opt.verbose)
				sim_detail(sim, "%s (%s): SUBNET UP", sm->role,
					   sim_node_name(sim, sm->node));
		} else if (strcasestr(l, "Entering MASTER state")) {
			sm->master = true;
			sim_say(sim, "OpenSM on %s (%s) enters MASTER state", sim_node_name(sim,
				sm->node), sm->role);
			/* A new master knows no subscription and no alias of any agent. */
			steps_master_changed(sim);
		} else if (strstr(l, "escrow: bound management class 0x09")) {
			/* Before it, an escrow MAD kills OpenSM (doc/escrow-protocol.md). */
			sm->escrow_bound = true;
		} else if (strcasestr(l, "Entering STANDBY state")) {
			sm->standby_seen = true;
			if (sm->master || sm->starts == 1 || sim->opt.verbose)
				sim_say(sim, "OpenSM on %s (%s) enters STANDBY state",
					sim_node_name(sim, sm->node), sm->role);
			sm->master = false;
		}
	}
}

/* Reads what OpenSM added to its log; only whole lines. */
static void sm_read_log(struct sim *sim, struct sim_sm *sm)
{
	char buf[65536];
	ssize_t n;
	char *end;
	int fd = open(sm->log, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	for (;;) {
		n = pread(fd, buf, sizeof(buf) - 1, sm->log_off);
		if (n <= 0)
			break;
		buf[n] = '\0';
		end = strrchr(buf, '\n');
		if (!end)
			break;
		end[1] = '\0';
		sm->log_off += end + 1 - buf;
		sm_lines(sim, sm, buf);
	}
	close(fd);
}

static void on_inotify(void *ctx, int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct sim *sim = ctx;
	unsigned i;

	/* Which SM wrote does not matter: both logs are read from where they were. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	for (i = 0; i < 2; i++)
		if (sim->sm[i].role)
			sm_read_log(sim, &sim->sm[i]);
}

static int write_plugin_conf(struct sim *sim, struct sim_sm *sm, const char *path)
{
	FILE *f = fopen(path, "we");
	size_t i;

	if (!f)
		return -errno;
	fprintf(f, "# written by ibvmig-sim for the OpenSM on %s\n", sim_node_name(sim, sm->node));
	fprintf(f, "admin_socket %s\n", sm->admin);
	fprintf(f, "state_dir %s/state\n", sm->dir);
	fprintf(f, "log_level verbose\n");
	/* The escrow's service only where a step needs it: it takes over the partition file. */
	if (steps_need_escrow(sim))
		fprintf(f, "escrow TRUE\n");
	/* The plugin's vSwitch lines: which PF's agent may ask for the VFs behind which switch. */
	for (i = 0; i < sim->scn->n_vswitches; i++)
		fprintf(f, "vswitch 0x%016" PRIx64 " pf 0x%016" PRIx64 "\n",
			fabric_port_guid(sim, sim->scn->vswitches[i].sw),
			fabric_port_guid(sim, sim->scn->vswitches[i].pf));
	return fclose(f) ? -errno : 0;
}

/* The harness's opensm.conf (test-fabric/fabric.sh, fabric_start): every file in sm->dir. */
static int write_osm_conf(struct sim *sim, struct sim_sm *sm, const char *path)
{
	const char *d = sm->dir;
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "# written by ibvmig-sim for %s\n", sim->opt.scenario);
	fprintf(f, "log_file %s\nforce_log_flush TRUE\naccum_log_file TRUE\n", sm->log);
	fprintf(f, "dump_files_dir %s/\n", d);
	fprintf(f, "partition_config_file %s/partitions.conf\n", d);
	fprintf(f, "per_module_logging_file %s/per-module-logging.conf\n", d);
	fprintf(f, "qos_policy_file %s/qos-policy.conf\n", d);
	fprintf(f, "prefix_routes_file %s/prefix-routes.conf\n", d);
	fprintf(f, "torus_config %s/torus-2QoS.conf\n", d);
	/* A light sweep every 3 s catches a lost trap; traps start a heavy sweep at once. */
	fprintf(f, "sweep_interval 3\nsweep_on_trap TRUE\n");
	if (sim->scn->standby >= 0)
		/*
		 * The SM node's OpenSM is the preferred master: back from a fault it takes the
		 * fabric over again (a handover), so who is master never depends on GUIDs.
		 */
		fprintf(f, "# test settings: failover in about 2 s (doc/scenarios.md)\n"
			"sminfo_polling_timeout %d\npolling_retry_number %d\nsm_priority %d\n",
			FAILOVER_POLL_MS, FAILOVER_RETRIES, sm == &sim->sm[0] ? 1 : 0);
	if (sim->scn->sm == SCN_SM_PLUGIN)
		fprintf(f, "event_plugin_name ibvmig\nevent_plugin_options %s/ibvmig.conf\n", d);
	return fclose(f) ? -errno : 0;
}

int fabric_sm_start(struct sim *sim, struct sim_sm *sm)
{
	char conf[PATH_MAX + 32], pconf[PATH_MAX + 32], old[PATH_MAX + 32], cache[PATH_MAX + 16];
	char out[PATH_MAX + 16];
	struct sim_words argv, env;
	struct sup_spawn sp;
	int rc;

	if (sup_running(sm->proc))
		return -EALREADY;
	sup_release(&sim->sup, sm->proc);
	sm->proc = NULL;
	snprintf(conf, sizeof(conf), "%s/opensm.conf", sm->dir);
	snprintf(pconf, sizeof(pconf), "%s/ibvmig.conf", sm->dir);
	snprintf(cache, sizeof(cache), "%s/cache", sm->dir);
	snprintf(out, sizeof(out), "%s/opensm.out", sm->dir);
	if (!sm->starts) {
		rc = write_osm_conf(sim, sm, conf);
		if (!rc && sim->scn->sm == SCN_SM_PLUGIN)
			rc = write_plugin_conf(sim, sm, pconf);
		if (rc)
			return rc;
		mkdir(cache, 0755);
	} else {
		/* One log per start: opensm.log.1 is the first OpenSM's. */
		snprintf(old, sizeof(old), "%s.%u", sm->log, sm->starts);
		rename(sm->log, old);
	}
	/* A killed OpenSM's slot would take the first request to its node (doc/simulator.md). */
	fabric_reap_slots(sim);
	sm->log_off = 0;
	sm->ups = 0;
	sm->master = sm->standby_seen = sm->escrow_bound = false;
	sim_words_init(&argv);
	sim_words_add(&argv, "%s", sim->tools.opensm);
	sim_words_add(&argv, "-F");
	sim_words_add(&argv, "%s", conf);
	sim_words_init(&env);
	fabric_client_env(sim, sm->node, &env);
	sim_words_add(&env, "OSM_TMP_DIR=%s", sm->dir);
	sim_words_add(&env, "OSM_CACHE_DIR=%s", cache);
	if (sim->scn->sm == SCN_SM_PLUGIN && sim->tools.plugin_dir[0])
		sim_words_add(&env, "LD_LIBRARY_PATH=%s", sim->tools.plugin_dir);
	sp = (struct sup_spawn){ .name = sm->role, .rank = RANK_SM, .dir = sm->dir, .argv = argv.v,
				 .env = env.v, .stdin_fd = -1, .log_path = out };
	rc = sup_spawn(&sim->sup, &sp, &sm->proc);
	if (rc)
		return rc;
	sm->starts++;
	return 0;
}

static bool sm_ready(struct sim *sim, void *ctx)
{
	struct sim_sm *sm = ctx;

	(void)sim;
	return !sup_running(sm->proc) || sm->ups > 0;
}

static bool plugin_refused(struct sim_sm *sm)
{
	char buf[65536];
	ssize_t n;
	int fd = open(sm->log, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "Failed to open event plugin") ||
	       strstr(buf, "Failed to find \"osm_event_plugin\"") ||
	       strstr(buf, "Error loading plugin");
}

bool fabric_sm_wait_up(struct sim *sim, struct sim_sm *sm, uint64_t timeout_ms)
{
	uint64_t t0 = util_mono_ms();

	if (!sim_wait_for(sim, sm_ready, sm, timeout_ms) || !sup_running(sm->proc))
		return false;
	if (sim->scn->sm == SCN_SM_PLUGIN && plugin_refused(sm)) {
		sim_fatal(sim, 3, "OpenSM on %s did not load the ibvmig plugin (see %s)",
			  sim_node_name(sim, sm->node), sm->log);
		return false;
	}
	sim_detail(sim, "%s on %s: SUBNET UP %.2f s after its start", sm->role,
		   sim_node_name(sim, sm->node), (double)(util_mono_ms() - t0) / 1000);
	return true;
}

static bool standby_ready(struct sim *sim, void *ctx)
{
	struct sim_sm *sm = ctx;

	(void)sim;
	return !sup_running(sm->proc) || sm->standby_seen;
}

int fabric_sm_kill(struct sim *sim, struct sim_sm *sm)
{
	if (!sup_running(sm->proc))
		return -ESRCH;
	/* Its counters die with it: keep the last ones. */
	fabric_notices_total(sim);
	sm->notices_prev += sm->notices_last;
	sm->notices_last = 0;
	sup_stop(&sim->sup, sm->proc, SIGKILL, 0);
	sm->master = false;
	fabric_reap_slots(sim);
	return 0;
}

struct sim_sm *fabric_master(struct sim *sim)
{
	struct sim_sm *best = NULL;
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct sim_sm *sm = &sim->sm[i];

		if (sm->role && sup_running(sm->proc) && sm->master && sm->ups &&
		    (!best || sm->proc->start_ms > best->proc->start_ms))
			best = sm;
	}
	return best;
}

const char *fabric_admin(struct sim *sim)
{
	struct sim_sm *m;

	if (sim->scn->sm == SCN_SM_EXTENSION)
		return sup_running(sim->smx) ? sim->smx_admin : NULL;
	if (sim->scn->sm != SCN_SM_PLUGIN)
		return NULL;
	m = fabric_master(sim);
	return m ? m->admin : NULL;
}

/* ---- the standalone extension ---------------------------------------------------------------- */

/*
 * ibvmig-smx beside stock OpenSM without the plugin (ibvmig-smx(8)): a client of the
 * scenario's "extension NODE", never the SM's (under ibsim a vendor MAD to OpenSM's node
 * kills OpenSM: sm-extension/tests/smx-lib.sh), its admin socket speaking the plugin's
 * admin protocol.  Its poll settings are its own tests' (six ports, quick); ibvmig-sim
 * refuses extension scenarios while no ibvmig-smx is built (exit 9).
 */
static void smx_line(void *ctx, struct sup_proc *p, char *line)
{
	struct sim *sim = ctx;

	(void)p;
	if (strstr(line, "subscribed to traps 64, 65, 68, 69"))
		sim->smx_subscribed = true;
	else if (strstr(line, "LID scan 1 done"))
		sim->smx_scanned = true;
	if (sim->opt.verbose)
		sim_detail(sim, "ibvmig-smx: %s", line);
}

static bool smx_ready(struct sim *sim, void *ctx)
{
	(void)ctx;
	return !sup_running(sim->smx) || (sim->smx_subscribed && sim->smx_scanned);
}

int fabric_ext_start(struct sim *sim)
{
	char dir[PATH_MAX + 16], conf[PATH_MAX + 32], out[PATH_MAX + 16];
	struct sim_words argv, env;
	struct sup_spawn sp;
	FILE *f;
	int rc;

	if (sup_running(sim->smx))
		return -EALREADY;
	sup_release(&sim->sup, sim->smx);
	sim->smx = NULL;
	sim_path(sim, dir, sizeof(dir), "smx");
	mkdir(dir, 0755);
	if (sim_fmt(conf, sizeof(conf), "%s/ibvmig.conf", dir) ||
	    sim_fmt(out, sizeof(out), "%s/smx.out", dir) ||
	    sim_fmt(sim->smx_admin, sizeof(sim->smx_admin), "%s/admin.sock", dir))
		return -ENAMETOOLONG;
	f = fopen(conf, "we");
	if (!f)
		return -errno;
	fprintf(f, "admin_socket %s\nstate_dir %s/state\nlog_level verbose\n", sim->smx_admin,
		dir);
	fprintf(f, "poll_rate 200\npoll_interval_ms 300\ncheck_interval_ms 1000\n");
	if (fclose(f))
		return -errno;
	fabric_reap_slots(sim);
	sim_words_init(&argv);
	sim_words_add(&argv, "%s", sim->tools.smx);
	sim_words_add(&argv, "--sim");
	sim_words_add(&argv, "-c");
	sim_words_add(&argv, "%s", conf);
	sim_words_init(&env);
	fabric_client_env(sim, sim->scn->ext_node, &env);
	sim->smx_subscribed = sim->smx_scanned = false;
	sp = (struct sup_spawn){ .name = "ibvmig-smx", .rank = RANK_EXT, .dir = dir,
				 .argv = argv.v, .env = env.v, .stdin_fd = -1, .log_path = out,
				 .on_line = smx_line, .ctx = sim };
	rc = sup_spawn(&sim->sup, &sp, &sim->smx);
	if (rc)
		return rc;
	/* Subscribed and its first LID scan done: before that it knows no port. */
	if (!sim_wait_for(sim, smx_ready, NULL, SIM_UP_MS) || !sup_running(sim->smx))
		return -ETIMEDOUT;
	return 0;
}

int fabric_ext_kill(struct sim *sim)
{
	if (!sup_running(sim->smx))
		return -ESRCH;
	fabric_notices_total(sim);
	sim->smx_notices_prev += sim->smx_notices_last;
	sim->smx_notices_last = 0;
	sup_stop(&sim->sup, sim->smx, SIGKILL, 0);
	fabric_reap_slots(sim);
	return 0;
}

/* ---- the whole ----------------------------------------------------------------------------- */

/* The notices an SM side's admin socket says it sent, into *@last; unchanged if it cannot. */
static void ask_notices(struct sim *sim, const char *admin, uint64_t *last)
{
	uint64_t un = 0, re = 0;
	char *out = NULL;

	if (!hosts_admin_at(sim, admin, &out, "--json", "stats", NULL) &&
	    !hosts_json_u64(out, "unpath_sent", &un) && !hosts_json_u64(out, "repath_sent", &re))
		*last = un + re;
	free(out);
}

uint64_t fabric_notices_total(struct sim *sim)
{
	unsigned i;
	uint64_t sum;

	/* Each live one: a standby's plugin counts too, from the moment it became master. */
	if (sim->scn->sm == SCN_SM_EXTENSION && sup_running(sim->smx))
		ask_notices(sim, sim->smx_admin, &sim->smx_notices_last);
	for (i = 0; sim->scn->sm == SCN_SM_PLUGIN && i < 2; i++)
		if (sim->sm[i].role && sup_running(sim->sm[i].proc))
			ask_notices(sim, sim->sm[i].admin, &sim->sm[i].notices_last);
	sum = sim->smx_notices_prev + sim->smx_notices_last;
	for (i = 0; i < 2; i++)
		sum += sim->sm[i].notices_prev + sim->sm[i].notices_last;
	return sum;
}

static int sm_init(struct sim *sim, struct sim_sm *sm, const char *role, int node)
{
	sm->role = role;
	sm->node = node;
	sim_path(sim, sm->dir, sizeof(sm->dir), "%s", role);
	snprintf(sm->log, sizeof(sm->log), "%s/opensm.log", sm->dir);
	snprintf(sm->admin, sizeof(sm->admin), "%s/admin.sock", sm->dir);
	if (mkdir(sm->dir, 0755) && errno != EEXIST)
		return -errno;
	sm->wd = inotify_add_watch(sim->inotify, sm->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO);
	return sm->wd < 0 ? -errno : 0;
}

/* ibvmig-smx up on its node, and that node's port known for the agents. */
static int ext_up(struct sim *sim)
{
	int n = sim->scn->ext_node, rc;

	if (n == sim->sm_node)
		return sim_fatal(sim, 2, "extension %s: the SM's node; ibvmig-smx runs on another "
				 "(a vendor MAD to OpenSM's node kills it under ibsim)",
				 sim_node_name(sim, n));
	if (hosts_port_info(sim, n, &sim->smx_lid, &sim->smx_guid))
		return sim_fatal(sim, 3, "the port of %s cannot be read (ibvmig-sa info)",
				 sim_node_name(sim, n));
	rc = fabric_ext_start(sim);
	if (rc)
		return sim_fatal(sim, 3, "%s on %s did not come up (subscribed, first LID scan): "
				 "%s (see smx/smx.out)", sim->tools.smx, sim_node_name(sim, n),
				 strerror(-rc));
	sim_say(sim, "ibvmig-smx on %s (LID %u) up: subscribed to traps 64, 65, 68, 69, its "
		"first LID scan done", sim_node_name(sim, n), sim->smx_lid);
	return 0;
}

int fabric_start(struct sim *sim)
{
	struct scn *s = sim->scn;
	uint64_t t0 = util_mono_ms();
	int rc;

	sim->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sim->inotify < 0 || sup_watch(&sim->sup, sim->inotify, on_inotify, sim))
		return sim_fatal(sim, 3, "inotify: %s", strerror(errno));
	rc = ibsim_start(sim);
	if (rc)
		return rc;
	if (sm_init(sim, &sim->sm[0], "sm", sim->sm_node) ||
	    (s->standby >= 0 && sm_init(sim, &sim->sm[1], "standby", s->standby)))
		return sim_fatal(sim, 3, "%s: %s", sim->dir, strerror(errno));
	rc = fabric_sm_start(sim, &sim->sm[0]);
	if (rc)
		return sim_fatal(sim, 3, "cannot start %s: %s", sim->tools.opensm, strerror(-rc));
	if (!fabric_sm_wait_up(sim, &sim->sm[0], SIM_UP_MS))
		return sim->code ? sim->code : sim_fatal(sim, 3, "OpenSM did not reach SUBNET UP "
							 "(see %s)", sim->sm[0].log);
	sim_say(sim, "fabric %s up in %.2f s: ibsim, OpenSM on %s (%s)",
		strrchr(sim->netfile, '/') + 1, (double)(util_mono_ms() - t0) / 1000,
		sim_node_name(sim, sim->sm_node),
		s->sm == SCN_SM_PLUGIN ? "with the ibvmig plugin" :
		s->sm == SCN_SM_EXTENSION ? "stock, with ibvmig-smx beside it" : "stock");
	if (s->standby >= 0) {
		rc = fabric_sm_start(sim, &sim->sm[1]);
		if (rc || !sim_wait_for(sim, standby_ready, &sim->sm[1], SIM_UP_MS) ||
		    !sup_running(sim->sm[1].proc))
			return sim_fatal(sim, 3, "the standby OpenSM on %s did not enter STANDBY "
					 "(see %s)", sim_node_name(sim, s->standby),
					 sim->sm[1].log);
	}
	if (s->sm == SCN_SM_EXTENSION)
		return ext_up(sim);
	return 0;
}

void fabric_stop(struct sim *sim)
{
	if (sim->console >= 0)
		close(sim->console);
	sim->console = -1;
	if (sim->inotify >= 0) {
		sup_unwatch(&sim->sup, sim->inotify);
		close(sim->inotify);
	}
	sim->inotify = -1;
}

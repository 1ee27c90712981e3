// SPDX-License-Identifier: BSD-2-Clause
/*
 * steps.c - what each step of a scenario does, and each expectation checks
 * (doc/scenarios.md, "Steps").
 *
 * A migration is what the hypervisors do (README, "On the hypervisors"):
 * detach at the source, the VM leaves the source's agent, its process
 * starts at the destination, attach there.  The runner stamps the
 * destination's Set (the attach) with its own clock; the VMs' RePath events
 * carry theirs: the difference is the migration's latency at each peer.
 *
 * Reports per migration: the Reports every agent received from the moment
 * a migration starts until the next step that can cause notices (another
 * migration, a create, a reboot, a fault) or an expectation of them; an
 * evacuation's window is shared by its VMs.
 */
#include "sim.h"

#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POLL_CLI_MS 100		/* counters asked through a command line: this often */
#define SETTLE_MS 2000		/* a window's Reports: the longest wait for the late ones */

/* ---- windows of Reports ------------------------------------------------------------------ */

/* The Reports a window should bring: each notice the SM side sent meanwhile, to each agent. */
static uint64_t window_due(struct sim *sim)
{
	uint64_t notices = fabric_notices_total(sim) - sim->window_notices, agents = 0;
	size_t i;

	for (i = 0; i < sim->scn->n_nodes; i++)
		agents += sim->scn->agent[i] && sup_running(sim->agents[i].proc);
	return notices * agents;
}

void steps_close_window(struct sim *sim)
{
	uint64_t now, start, due, end = util_mono_ms() + SETTLE_MS;
	size_t i, group;

	if (!sim->window_open)
		return;
	sim->window_open = false;
	/* A window whose migration failed before it began has nothing to count. */
	if (sim->window_first == sim->n_migs)
		return;
	start = sim->migs[sim->window_first].reports_start;
	/*
	 * Back-to-back migrations: the last Reports of this one may still be on their way.
	 * Wait (a little) until every notice sent has reached every agent; under loss some
	 * never do, and the window closes with what came.
	 */
	due = window_due(sim);
	hosts_refresh(sim);
	while (hosts_reports_total(sim) - start < due && util_mono_ms() < end &&
	       !sim->sup.interrupted) {
		sim_wait_for(sim, NULL, NULL, 20);
		hosts_refresh(sim);
	}
	now = hosts_reports_total(sim);
	group = sim->n_migs - sim->window_first;
	for (i = sim->window_first; i < sim->n_migs; i++) {
		struct sim_mig *m = &sim->migs[i];

		m->closed = true;
		m->reports = (double)(now - m->reports_start) / (double)group;
		sim->vms[m->vm].mig = -1;
	}
}

static void open_window(struct sim *sim)
{
	steps_close_window(sim);
	hosts_refresh(sim);
	sim->window_notices = fabric_notices_total(sim);
	sim->window_open = true;
	sim->window_first = sim->n_migs;
}

/* A new migration of VM @v in the open window. */
static struct sim_mig *new_mig(struct sim *sim, int v, int from, int to)
{
	struct sim_mig *m;

	if (sim->n_migs == sim->migs_size) {
		size_t size = sim->migs_size ? sim->migs_size * 2 : 16;

		m = realloc(sim->migs, size * sizeof(*m));
		if (!m)
			return NULL;
		sim->migs = m;
		sim->migs_size = size;
	}
	m = &sim->migs[sim->n_migs];
	memset(m, 0, sizeof(*m));
	m->vm = v;
	m->from = from;
	m->to = to;
	m->reports_start = hosts_reports_total(sim);
	m->first = sim->window_first;
	sim->vms[v].mig = (int)sim->n_migs++;
	return m;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static const char *vm_name(const struct sim *sim, int v)
{
	return sim->scn->vms[v].name;
}

static const char *vguid_str(const struct sim *sim, int v, char *buf)
{
	snprintf(buf, 24, "0x%016" PRIx64, sim->scn->vms[v].vguid);
	return buf;
}

/* One command line that must succeed; says why it did not. */
static int must(struct sim *sim, int rc, char *out, const char *what)
{
	if (rc) {
		if (out)
			out[strcspn(out, "\n")] = '\0';
		report_fail(sim, "%s: exit %d%s%s", what, rc, out && *out ? ": " : "",
			out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* A command started with hosts_cli_spawn() that must succeed. */
static int finish(struct sim *sim, struct sup_proc *p, const char *what)
{
	char *out;
	int rc = hosts_cli_finish(sim, p, &out);

	return must(sim, rc, out, what);
}

/* With @stamp (a migration's), the agent's time of the Set starts @v's latency samples. */
static int attach_as(struct sim *sim, int v, int node, bool stamp)
{
	char g[24], what[128], *out;
	int rc = hosts_cli(sim, node, &out, "attach", "--vguid", vguid_str(sim, v, g), "--vm",
			   vm_name(sim, v), stamp ? "-j" : NULL, NULL);

	if (!rc && stamp)
		hosts_stamp_sets(sim, out, (size_t)sim->vms[v].mig);
	snprintf(what, sizeof(what), "attach %s at %s", vm_name(sim, v), sim_node_name(sim, node));
	return must(sim, rc, out, what);
}

static int attach(struct sim *sim, int v, int node)
{
	return attach_as(sim, v, node, false);
}

/* Detach at @node; with @forget, the agent also forgets the VM (it leaves the host). */
static int detach(struct sim *sim, int v, int node, bool forget)
{
	char g[24], what[128], *out;
	int rc = hosts_cli(sim, node, &out, "detach", "--vguid", vguid_str(sim, v, g), NULL);

	snprintf(what, sizeof(what), "detach %s at %s", vm_name(sim, v), sim_node_name(sim, node));
	if (must(sim, rc, out, what))
		return -1;
	if (!forget)
		return 0;
	rc = hosts_cli(sim, node, &out, "vm", "remove", vm_name(sim, v), NULL);
	snprintf(what, sizeof(what), "vm remove %s at %s", vm_name(sim, v),
		 sim_node_name(sim, node));
	if (must(sim, rc, out, what))
		return -1;
	/* The agent closes the removed VM's channel: its process ends by itself. */
	return hosts_vm_gone(sim, v);
}

static int vm_up(struct sim *sim, int v, int node)
{
	if (hosts_vm_start(sim, v, node)) {
		report_fail(sim, "VM %s did not start at %s (see %s.out)", vm_name(sim, v),
			sim_node_name(sim, node), vm_name(sim, v));
		return -1;
	}
	return 0;
}

/* ---- the life of a VM --------------------------------------------------------------------- */

static int do_create(struct sim *sim, const struct scn_step *st)
{
	int node = st->node >= 0 ? st->node : sim->scn->vms[st->vm].node;
	bool again = sim->vms[st->vm].starts > 0;
	char g[24];

	if (sim->vms[st->vm].node >= 0) {
		report_fail(sim, "create %s: it exists already (on %s)", vm_name(sim, st->vm),
			sim_node_name(sim, sim->vms[st->vm].node));
		return -1;
	}
	steps_close_window(sim);
	if (vm_up(sim, st->vm, node) || attach(sim, st->vm, node))
		return -1;
	sim->n_create++;
	if (again)
		sim_say(sim, "%s started again on %s: vGUID %s attached (the trap table decides: a "
			"migration, a reboot, or after the entry expired a creation)",
			vm_name(sim, st->vm), sim_node_name(sim, node), vguid_str(sim, st->vm, g));
	else
		sim_say(sim, "%s created on %s: vGUID %s attached (a creation: no notice)",
			vm_name(sim, st->vm), sim_node_name(sim, node), vguid_str(sim, st->vm, g));
	return 0;
}

static int do_stop(struct sim *sim, const struct scn_step *st)
{
	int v = st->vm, node = sim->vms[v].node;

	if (node < 0) {
		report_fail(sim, "stop %s: not created", vm_name(sim, v));
		return -1;
	}
	steps_close_window(sim);
	if (detach(sim, v, node, true))
		return -1;
	sim->vms[v].node = -1;
	sim_say(sim, "%s stopped on %s: vGUID deleted, the VM gone from its host",
		vm_name(sim, v), sim_node_name(sim, node));
	return 0;
}

static int created(struct sim *sim, const struct scn_step *st, const char *what)
{
	if (sim->vms[st->vm].node >= 0)
		return 0;
	report_fail(sim, "%s %s: not created", what, vm_name(sim, st->vm));
	return -1;
}

static int do_reboot(struct sim *sim, const struct scn_step *st)
{
	int v = st->vm, node = sim->vms[v].node;

	if (created(sim, st, "reboot"))
		return -1;
	steps_close_window(sim);
	if (detach(sim, v, node, false))
		return -1;
	hosts_vm_stop(sim, v);
	if (vm_up(sim, v, node) || attach(sim, v, node))
		return -1;
	sim->n_reboot++;
	sim_say(sim, "%s rebooted on %s: Delete, then Set on the same port", vm_name(sim, v),
		sim_node_name(sim, node));
	return 0;
}

/* With escrow, by the agents (ibvmig-host migrate-out, migrate-in): they detach and attach. */
static int migrate_by_agents(struct sim *sim, int v, int to)
{
	int from = sim->vms[v].node;
	struct sim_mig *m;

	if (escrow_agent_out(sim, v) || vm_up(sim, v, to))
		return -1;
	m = new_mig(sim, v, from, to);
	if (!m)
		return sim_fatal(sim, 1, "out of memory");
	m->group = 1;
	/* The Set comes at migrate-in's end, after the claim and the move: latencies include it. */
	m->set_us = util_wall_us();
	return escrow_agent_in(sim, v, from, to);
}

/* @v leaves @from (detached, gone from its agent); with @escrow its port's LID goes to @to. */
static int migrate_one(struct sim *sim, int v, int to, bool escrow)
{
	int from = sim->vms[v].node;
	struct sim_mig *m;

	if (escrow && sim->tools.escrow_agent)
		return migrate_by_agents(sim, v, to);
	if (detach(sim, v, from, true) || (escrow && escrow_move(sim, from, to)) ||
	    vm_up(sim, v, to))
		return -1;
	m = new_mig(sim, v, from, to);
	if (!m)
		return sim_fatal(sim, 1, "out of memory");
	m->group = 1;
	m->set_us = util_wall_us();	/* until the agent's answer says when it set */
	return attach_as(sim, v, to, true);
}

static const char *escrow_missing(const struct sim *sim)
{
	if (access(sim->tools.sa, X_OK))
		return "neither ibvmig-host migrate-out/migrate-in nor ibvmig-sa is there";
	return "this ibvmig has no escrow commands";
}

bool steps_need_escrow(const struct sim *sim)
{
	size_t i;

	for (i = 0; i < sim->scn->n_steps; i++)
		if ((sim->scn->steps[i].op == SCN_MIGRATE && sim->scn->steps[i].flag) ||
		    sim->scn->steps[i].op == SCN_EXPECT_REFUSED)
			return sim->tools.have_escrow;
	return false;
}

/* The vSwitch model: nothing detached or attached, so no notice and no window to count. */
static int migrate_vf(struct sim *sim, int v, int to)
{
	sim_say(sim, "%s migrates %s -> %s with escrow (vSwitch model): the PFs' agents move the "
		"VF's LID, its peers' paths stay", vm_name(sim, v),
		sim_node_name(sim, sim->vms[v].node), sim_node_name(sim, to));
	if (escrow_vf_move(sim, v, to))
		return -1;
	sim->n_migrate++;
	return 0;
}

static int do_migrate(struct sim *sim, const struct scn_step *st)
{
	int v = st->vm, from = sim->vms[v].node;

	if (created(sim, st, "migrate"))
		return -1;
	if (st->flag && !sim->tools.have_escrow) {
		/* Only with --skip-unsupported: steps_check_unsupported() stopped the others. */
		sim->n_unsupported++;
		sim_say(sim, "(escrow: coming) migrate %s to %s with escrow: not supported here "
			"(%s); step skipped", vm_name(sim, v), sim_node_name(sim, st->node),
			escrow_missing(sim));
		return 0;
	}
	if (from == st->node) {
		report_fail(sim, "migrate %s: it is on %s already", vm_name(sim, v),
			sim_node_name(sim, from));
		return -1;
	}
	if (st->flag && escrow_check(sim, v, st->node))
		return -1;
	if (sim->scn->vms[v].vf)
		return migrate_vf(sim, v, st->node);
	open_window(sim);
	if (st->flag)
		sim_say(sim, "%s migrates %s -> %s with escrow: detach at the source, its LID "
			"through the escrow, attach at the destination", vm_name(sim, v),
			sim_node_name(sim, from), sim_node_name(sim, st->node));
	else
		sim_say(sim, "%s migrates %s -> %s: detach at the source, attach at the "
			"destination", vm_name(sim, v), sim_node_name(sim, from),
			sim_node_name(sim, st->node));
	if (migrate_one(sim, v, st->node, st->flag))
		return -1;
	sim->n_migrate++;
	return 0;
}

#define EVAC_CHUNK 32	/* VMs per command line: ibvmig-host sends 32 requests ahead */

/*
 * "detach" or "attach" of the @k VMs @vs at @node, one command line per
 * EVAC_CHUNK of them, as a hypervisor's tooling sends an evacuation: the agent
 * sets what arrives together with one Set per GUID block.  An attach's answer
 * carries the agent's time of each Set: the evacuation is timed from there.
 */
static int evac_cli(struct sim *sim, int node, const char *cmd, const int *vs, size_t k,
		    size_t first_mig)
{
	bool attach = cmd[0] == 'a';
	char g[EVAC_CHUNK][24], *args[2 + 4 * EVAC_CHUNK], what[96], *out;
	size_t i, j;
	unsigned n;
	int rc = 0, c;

	for (i = 0; i < k; i += EVAC_CHUNK) {
		n = 0;
		if (attach)
			args[n++] = "-j";	/* the answers with the Sets' times */
		args[n++] = (char *)cmd;
		for (j = i; j < k && j < i + EVAC_CHUNK; j++) {
			args[n++] = "--vguid";
			vguid_str(sim, vs[j], g[j - i]);
			args[n++] = g[j - i];
			if (attach) {
				args[n++] = "--vm";
				args[n++] = (char *)vm_name(sim, vs[j]);
			}
		}
		c = hosts_cli_finish(sim, hosts_cli_spawnv(sim, node, args, n), &out);
		if (!c && attach)
			hosts_stamp_sets(sim, out, first_mig);
		snprintf(what, sizeof(what), "evacuate: %s of %zu VMs at %s", cmd, j - i,
			 sim_node_name(sim, node));
		rc |= must(sim, c, out, what);
	}
	return rc;
}

/* Every VM of a node at once: all detaches, then all VM processes, then all attaches. */
static int do_evacuate(struct sim *sim, const struct scn_step *st)
{
	size_t n = sim->scn->n_vms, i, k = 0, first = sim->n_migs;
	struct sup_proc **p = calloc(n ? n : 1, sizeof(*p));
	int *vs = calloc(n ? n : 1, sizeof(*vs));
	int rc = 0;

	if (!p || !vs) {
		free(p);
		free(vs);
		return sim_fatal(sim, 1, "out of memory");
	}
	for (i = 0; i < n; i++)
		if (sim->vms[i].node == st->node)
			vs[k++] = (int)i;
	open_window(sim);
	sim_say(sim, "%s is evacuated to %s: %zu VMs at once", sim_node_name(sim, st->node),
		sim_node_name(sim, st->node2), k);
	rc |= evac_cli(sim, st->node, "detach", vs, k, first);
	for (i = 0; i < k; i++)
		p[i] = hosts_cli_spawn(sim, st->node, "vm", "remove", vm_name(sim, vs[i]), NULL);
	for (i = 0; i < k; i++)
		rc |= finish(sim, p[i], "evacuate: vm remove");
	for (i = 0; i < k; i++)
		hosts_vm_gone(sim, vs[i]);
	for (i = 0; i < k; i++)
		rc |= hosts_vm_spawn(sim, vs[i], st->node2);
	for (i = 0; i < k; i++)
		rc |= hosts_vm_wait_ready(sim, vs[i]);
	for (i = 0; i < k; i++) {
		struct sim_mig *m = new_mig(sim, vs[i], st->node, st->node2);

		if (m) {
			m->group = (unsigned)k;
			m->set_us = util_wall_us();	/* until the agent's answer */
		}
	}
	rc |= evac_cli(sim, st->node2, "attach", vs, k, first);
	sim->n_evacuate++;
	sim->n_migrate += (unsigned)k;
	free(p);
	free(vs);
	if (rc) {
		report_fail(sim, "evacuate %s: not every VM moved", sim_node_name(sim, st->node));
	}
	return rc ? -1 : 0;
}

/* ---- expectations ------------------------------------------------------------------------ */

struct expect {
	const struct scn_step *st;
	int k;			/* expect path: the peer's index among the VM's */
	unsigned lid;
	uint64_t next_poll;	/* counters through a command line: not more often than this */
	uint64_t seen;
};

static int peer_index(const struct sim *sim, const struct scn_step *st)
{
	const struct scn_vm *v = &sim->scn->vms[st->vm];
	unsigned i;

	for (i = 0; i < v->n_peers; i++)
		if (v->peers[i] == st->peer)
			return (int)i;
	return -1;
}

static bool path_ok(struct sim *sim, void *ctx)
{
	struct expect *e = ctx;
	const struct sim_path *p = &sim->vms[e->st->vm].path[e->k];

	return p->dlid == e->lid && !strcmp(p->state, "active");
}

static bool notices_ok(struct sim *sim, void *ctx)
{
	struct expect *e = ctx;
	struct sim_agent *a = &sim->agents[e->st->node];
	uint64_t now = util_mono_ms();
	char *out = NULL;

	if (now < e->next_poll)
		return false;
	e->next_poll = now + POLL_CLI_MS;
	if (sup_running(a->proc) && !hosts_cli(sim, a->node, &out, "--json", "status", NULL))
		hosts_json_u64(out, "reports", &a->reports_last);
	free(out);
	e->seen = a->reports_last;
	/* More than asked for is a failure that waiting cannot mend. */
	return e->seen >= e->st->n;
}

static bool vm_notices_ok(struct sim *sim, void *ctx)
{
	struct expect *e = ctx;

	e->seen = sim->vms[e->st->vm].notices;
	return e->seen >= e->st->n;
}

static bool master_ok(struct sim *sim, void *ctx)
{
	struct expect *e = ctx;
	struct sim_sm *m = fabric_master(sim);

	return m && m->node == e->st->node;
}

/* Pumps until @ok or the bound; a bound of 0 checks once. */
static bool wait_ok(struct sim *sim, bool (*ok)(struct sim *, void *), struct expect *e)
{
	if (ok(sim, e))
		return true;
	return e->st->ms && sim_wait_for(sim, ok, e, e->st->ms);
}

static void expect_path(struct sim *sim, const struct scn_step *st, const char *what)
{
	struct expect e = { .st = st, .k = peer_index(sim, st) };
	const struct sim_path *p;

	e.lid = st->node >= 0 ? sim->agents[st->node].lid : (unsigned)st->n;
	/* A VF's LID is its own: its port tells it, no agent runs there. */
	if (st->node >= 0 && !sim->scn->agent[st->node] && fabric_vf_pf(sim, st->node) >= 0)
		e.lid = hosts_port_lid(sim, st->node);
	else if (st->node >= 0 && !sim->scn->agent[st->node]) {
		report_expect(sim, false, what, "no agent on %s tells its LID",
			      sim_node_name(sim, st->node));
		return;
	}
	if (wait_ok(sim, path_ok, &e)) {
		report_expect(sim, true, what, "LID %u, active", e.lid);
		return;
	}
	p = &sim->vms[st->vm].path[e.k];
	report_expect(sim, false, what, "saw LID %u %s, wanted LID %u active", p->dlid,
		      p->state[0] ? p->state : "(no path yet)", e.lid);
}

static void expect_counted(struct sim *sim, const struct scn_step *st, const char *what)
{
	struct expect e = { .st = st };
	bool agent = st->op == SCN_EXPECT_NOTICES;
	bool ok = wait_ok(sim, agent ? notices_ok : vm_notices_ok, &e);

	/* At least as many within the bound; exactly as many once it is there. */
	report_expect(sim, ok && e.seen == st->n, what, "%" PRIu64 " %s", e.seen,
		      agent ? "Reports received" : "notices received");
}

static void expect_rpm(struct sim *sim, const struct scn_step *st, const char *what)
{
	char seen[512] = "";
	size_t i, len = 0;
	bool ok = true;

	steps_close_window(sim);
	for (i = 0; i < sim->n_migs; i++) {
		const struct sim_mig *m = &sim->migs[i];

		ok &= m->reports == (double)st->n;
		if (len < sizeof(seen) - 16)
			len += (size_t)snprintf(seen + len, sizeof(seen) - len, "%s%g",
						i ? " " : "", m->reports);
	}
	report_expect(sim, ok && sim->n_migs, what, "%zu migrations: %s", sim->n_migs,
		      sim->n_migs ? seen : "none");
}

static void expect_master(struct sim *sim, const struct scn_step *st, const char *what)
{
	struct expect e = { .st = st };
	struct sim_sm *m;

	if (wait_ok(sim, master_ok, &e)) {
		report_expect(sim, true, what, "the OpenSM on %s is master",
			      sim_node_name(sim, st->node));
		return;
	}
	m = fabric_master(sim);
	report_expect(sim, false, what, "the master is %s", m ? sim_node_name(sim, m->node) :
		      "nobody");
}

static bool resync_ok(struct sim *sim, void *ctx)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sim->scn->n_nodes; i++)
		if (sim->scn->agent[i] && sup_running(sim->agents[i].proc) &&
		    sim->agents[i].resync_wanted)
			return false;
	return true;
}

static void expect_resync(struct sim *sim, const struct scn_step *st, const char *what)
{
	struct expect e = { .st = st };
	char late[256] = "";
	size_t i, len = 0;

	if (wait_ok(sim, resync_ok, &e)) {
		report_expect(sim, true, what, "every agent subscribed and set its vGUIDs again");
		return;
	}
	for (i = 0; i < sim->scn->n_nodes && len < sizeof(late) - 64; i++)
		if (sim->scn->agent[i] && sup_running(sim->agents[i].proc) &&
		    sim->agents[i].resync_wanted)
			len += (size_t)snprintf(late + len, sizeof(late) - len, " %s",
						sim_node_name(sim, (int)i));
	report_expect(sim, false, what, "not yet:%s", late);
}

/* A new master: every running agent must notice it and set its vGUIDs again. */
void steps_master_changed(struct sim *sim)
{
	size_t i;

	for (i = 0; i < sim->scn->n_nodes; i++)
		if (sim->scn->agent[i] && sup_running(sim->agents[i].proc))
			sim->agents[i].resync_wanted = true;
}

static bool saved_ok(struct sim *sim, void *ctx)
{
	struct expect *e = ctx;
	uint64_t now = util_mono_ms(), unsaved = 1;
	char *out = NULL;

	if (now < e->next_poll)
		return false;
	e->next_poll = now + POLL_CLI_MS;
	if (!hosts_admin(sim, &out, "--json", "status", NULL))
		hosts_json_u64(out, "unsaved_changes", &unsaved);
	free(out);
	e->seen = unsaved;
	return !unsaved;
}

static void expect_saved(struct sim *sim, const struct scn_step *st, const char *what)
{
	struct expect e = { .st = st, .seen = 1 };

	if (wait_ok(sim, saved_ok, &e))
		report_expect(sim, true, what, "every alias change is in the state file");
	else
		report_expect(sim, false, what, "%" PRIu64 " changes not saved yet", e.seen);
}

static void do_expect(struct sim *sim, const struct scn_step *st)
{
	char what[256];

	scn_step_str(sim->scn, st, what, sizeof(what));
	switch (st->op) {
	case SCN_EXPECT_PATH:
		expect_path(sim, st, what);
		break;
	case SCN_EXPECT_NOTICES:
	case SCN_EXPECT_VM_NOTICES:
		expect_counted(sim, st, what);
		break;
	case SCN_EXPECT_RPM:
		expect_rpm(sim, st, what);
		break;
	case SCN_EXPECT_MASTER:
		expect_master(sim, st, what);
		break;
	case SCN_EXPECT_RESYNC:
		expect_resync(sim, st, what);
		break;
	case SCN_EXPECT_SAVED:
		expect_saved(sim, st, what);
		break;
	case SCN_EXPECT_LID_KEPT:
		escrow_expect_kept(sim, st, what);
		break;
	case SCN_EXPECT_REFUSED:
		escrow_expect_refused(sim, st, what);
		break;
	default:
		break;
	}
}

/* ---- faults ------------------------------------------------------------------------------ */

static struct sim_sm *sm_of(struct sim *sim, enum scn_target t)
{
	return &sim->sm[t == SCN_TARGET_STANDBY ? 1 : 0];
}

/*
 * Back from a fault, the SM node's OpenSM becomes master (alone, or by a handover: it has
 * the higher priority); the standby stays a standby beside a live master.
 */
static bool back(struct sim *sim, void *ctx)
{
	struct sim_sm *sm = ctx;
	bool master = sm == &sim->sm[0] || !fabric_master(sim);

	return !sup_running(sm->proc) || (master ? sm->master && sm->ups : sm->standby_seen);
}

/*
 * Not master (or standby) yet, long after a start that takes well under a second: under
 * ibsim an SMP that a live client never answers never times out, and the sweep waits for
 * it for ever (doc/simulator.md, "OpenSM Transactions Under umad2sim").  Seen in about 1
 * run in 5 of failover.scn, where the SM node's OpenSM comes back beside the standby that
 * took over: stuck in DISCOVERING, or master after the handover with no SUBNET UP, the
 * unanswered SMP evicted only when OpenSM exits.
 */
static bool start_stalled(const struct sim_sm *sm)
{
	return sup_running(sm->proc);
}

static int sm_start(struct sim *sim, struct sim_sm *sm)
{
	int rc;

	if (sup_running(sm->proc))
		fabric_sm_kill(sim, sm);
	rc = fabric_sm_start(sim, sm);
	if (rc)
		return sim_fatal(sim, 3, "cannot start OpenSM on %s: %s",
				 sim_node_name(sim, sm->node), strerror(-rc));
	return 0;
}

static int sm_restart(struct sim *sim, struct sim_sm *sm)
{
	const char *nd = sim_node_name(sim, sm->node);

	if (sm_start(sim, sm))
		return -1;
	/* Beside a live master it comes up as a standby; alone, as the master. */
	if (!sim_wait_for(sim, back, sm, SIM_STALL_MS) && start_stalled(sm)) {
		sim_say(sim, "OpenSM on %s is not up after %d s (%s): its sweep waits for an SMP "
			"that got no answer, which ibsim never times out (doc/simulator.md): "
			"started once more", nd, SIM_STALL_MS / 1000,
			sm->master ? "master, no SUBNET UP" : "not master");
		if (sm_start(sim, sm))
			return -1;
	}
	if (!sim_wait_for(sim, back, sm, SIM_UP_MS) || !sup_running(sm->proc))
		return sim_fatal(sim, 3, "OpenSM on %s did not come back (see %s)", nd, sm->log);
	sim_say(sim, "OpenSM on %s (%s) is back: %s", nd, sm->role, sm->master ? "master" :
		"standby");
	return 0;
}

static void restart_vms_of(struct sim *sim, int node)
{
	size_t i;

	/* Their processes ended with the agent's channel; the VMs themselves ran on. */
	for (i = 0; i < sim->scn->n_vms; i++)
		if (sim->vms[i].node == node && !sup_running(sim->vms[i].proc) &&
		    !vm_up(sim, (int)i, node))
			attach(sim, (int)i, node);
}

static int fault_proc(struct sim *sim, const struct scn_step *st)
{
	const char *nd = st->node >= 0 ? sim_node_name(sim, st->node) : "";
	struct sim_sm *sm;
	int rc;

	switch (st->target) {
	case SCN_TARGET_SM:
	case SCN_TARGET_STANDBY:
		sm = sm_of(sim, st->target);
		/* The master dies: until a new one, no SM knows the agents (a restart tells). */
		if (sm->master)
			steps_master_changed(sim);
		if (st->flag)
			return sm_restart(sim, sm);
		if (fabric_sm_kill(sim, sm))
			sim_say(sim, "(OpenSM on %s was not running)", sim_node_name(sim, sm->node));
		else
			sim_say(sim, "OpenSM on %s (%s) killed (SIGKILL)",
				sim_node_name(sim, sm->node), sm->role);
		return 0;
	case SCN_TARGET_EXTENSION:
		fabric_ext_kill(sim);
		if (!st->flag) {
			sim_say(sim, "ibvmig-smx killed (SIGKILL)");
			return 0;
		}
		rc = fabric_ext_start(sim);
		if (rc)
			return sim_fatal(sim, 3, "cannot start ibvmig-smx: %s", strerror(-rc));
		sim_say(sim, "ibvmig-smx started again");
		return 0;
	case SCN_TARGET_AGENT:
		hosts_agent_kill(sim, st->node);
		if (!st->flag) {
			sim_say(sim, "the agent on %s killed (SIGKILL): its VMs' channels end", nd);
			return 0;
		}
		rc = hosts_agent_start(sim, st->node);
		if (rc)
			return rc;
		sim_say(sim, "the agent on %s started again, subscribed; its VMs connect again",
			nd);
		restart_vms_of(sim, st->node);
		return 0;
	}
	return 0;
}

static int do_fault(struct sim *sim, const struct scn_step *st)
{
	const char *nd = st->node >= 0 ? sim_node_name(sim, st->node) : "";
	int rc = 0;

	steps_close_window(sim);
	sim->n_fault++;
	switch (st->op) {
	case SCN_FAULT_PROC:
		return fault_proc(sim, st);
	case SCN_FAULT_LOSS:
		/* doc/simulator.md, "Packet Loss": every packet entering that port. */
		rc = fabric_console(sim, "Error \"%s\"[%u] %" PRIu64, nd, st->port, st->n);
		if (!rc)
			sim_say(sim, "%" PRIu64 " %% loss into %s[%u]%s", st->n, nd, st->port,
				st->n ? "" : " (ended)");
		break;
	case SCN_FAULT_LINK:
		rc = fabric_link(sim, st->node, st->port, st->flag);
		if (!rc)
			sim_say(sim, "link %s[%u] %s", nd, st->port, st->flag ? "up" : "down");
		break;
	case SCN_FAULT_MALFORMED:
		return steps_inject(sim, st->node);
	default:
		break;
	}
	if (rc)
		return sim_fatal(sim, 3, "the console refused the fault on %s[%u]: %s", nd,
				 st->port, strerror(-rc));
	return 0;
}

/* ---- views ------------------------------------------------------------------------------- */

static void show_lines(struct sim *sim, const char *text)
{
	char *copy = strdup(text ? text : ""), *l, *save;

	for (l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		fprintf(sim->out, "             | %s\n", l);
	free(copy);
}

static void show_caches(struct sim *sim)
{
	size_t i;
	unsigned k;

	for (i = 0; i < sim->scn->n_vms; i++) {
		const struct scn_vm *sv = &sim->scn->vms[i];
		const struct sim_vm *vm = &sim->vms[i];
		char line[1024];
		size_t len;

		if (vm->node < 0)
			continue;
		len = (size_t)snprintf(line, sizeof(line), "%-10s on %-8s %3" PRIu64 " notices",
				       sv->name, sim_node_name(sim, vm->node), vm->notices_total);
		for (k = 0; k < sv->n_peers && len < sizeof(line) - 64; k++)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						"%s %s: LID %u %s", k ? "," : "; paths:",
						sim->scn->vms[sv->peers[k]].name, vm->path[k].dlid,
						vm->path[k].state[0] ? vm->path[k].state : "-");
		show_lines(sim, line);
	}
}

static void show_agents(struct sim *sim)
{
	char line[256];
	size_t i;

	hosts_refresh(sim);
	for (i = 0; i < sim->scn->n_nodes; i++) {
		const struct sim_agent *a = &sim->agents[i];

		if (!sim->scn->agent[i])
			continue;
		snprintf(line, sizeof(line), "agent %-8s LID %-3u %s, %" PRIu64 " Reports received, "
			 "%" PRIu64 " notices forwarded to its VMs", sim_node_name(sim, (int)i),
			 a->lid, sup_running(a->proc) ? "running" : "stopped",
			 a->reports_prev + a->reports_last, a->fwd_prev + a->fwd_last);
		show_lines(sim, line);
	}
}

/* What the SM side saw, in words: its counters of alias changes and of notices. */
static void show_sm(struct sim *sim)
{
	static const char *const keys[] = { "sets", "deletes", "created", "restarted", "migrated",
					    "expired", "unpath_sent", "repath_sent" };
	uint64_t v[8] = { 0 };
	struct sim_sm *m = fabric_master(sim);
	char line[512], *out = NULL;
	unsigned i;

	if (hosts_admin(sim, &out, "--json", "stats", NULL)) {
		free(out);
		return show_lines(sim, "(no SM side to ask: no plugin or extension running)");
	}
	for (i = 0; i < 8; i++)
		hosts_json_u64(out, keys[i], &v[i]);
	free(out);
	snprintf(line, sizeof(line), "the %s on %s saw %" PRIu64 " alias Sets and %" PRIu64
		 " Deletes: %" PRIu64 " creations, %" PRIu64 " reboots, %" PRIu64 " migrations, %"
		 PRIu64 " expiries; it sent %" PRIu64 " UnPath and %" PRIu64 " RePath notices",
		 sim->scn->sm == SCN_SM_EXTENSION ? "extension" : "plugin in the master OpenSM",
		 sim->scn->sm == SCN_SM_EXTENSION ? sim_node_name(sim, sim->scn->ext_node) :
		 m ? sim_node_name(sim, m->node) : "?", v[0], v[1], v[2], v[3], v[4], v[5], v[6],
		 v[7]);
	show_lines(sim, line);
}

static void do_show(struct sim *sim, const struct scn_step *st)
{
	const char *what = st->text;
	char *out = NULL;
	int rc;

	if (sim->opt.json || sim->opt.quiet)
		return;
	sim_say(sim, "show %s:", what);
	if (!strcmp(what, "caches"))
		return show_caches(sim);
	if (!strcmp(what, "agents"))
		return show_agents(sim);
	if (!strcmp(what, "sm"))
		return show_sm(sim);
	if (!strcmp(what, "escrow")) {
		if (!sim->tools.have_escrow)
			return show_lines(sim, "(no escrow here: ibvmig has no escrow commands)");
		rc = hosts_admin(sim, &out, "escrow", "list", NULL);
	} else {
		rc = hosts_admin(sim, &out, what, NULL);
	}
	if (rc == -ENOTCONN)
		show_lines(sim, "(no SM side to ask: no plugin or extension running)");
	else
		show_lines(sim, out);
	free(out);
}

/* ---- the whole --------------------------------------------------------------------------- */

void steps_check_unsupported(struct sim *sim, bool *fatal)
{
	size_t i;

	*fatal = false;
	if (sim->scn->sm == SCN_SM_EXTENSION && !sim->tools.have_smx) {
		sim_say(sim, "not supported yet: \"fabric ... extension\" needs ibvmig-smx, the "
			"standalone SM extension, which is not built (%s)", sim->tools.smx);
		*fatal = true;
	}
	for (i = 0; i < sim->scn->n_steps; i++) {
		const struct scn_step *st = &sim->scn->steps[i];

		if (st->op != SCN_MIGRATE || !st->flag || sim->tools.have_escrow)
			continue;
		sim_say(sim, "%s: line %u: migrate %s to %s with escrow: not supported here (%s)%s",
			sim->opt.scenario, st->line, vm_name(sim, st->vm),
			sim->scn->nodes[st->node], escrow_missing(sim),
			sim->opt.skip_unsupported ? "; skipped (--skip-unsupported)" : "");
		*fatal |= !sim->opt.skip_unsupported;
	}
}

static int run_step(struct sim *sim, const struct scn_step *st)
{
	switch (st->op) {
	case SCN_CREATE:
		return do_create(sim, st);
	case SCN_REBOOT:
		return do_reboot(sim, st);
	case SCN_STOP:
		return do_stop(sim, st);
	case SCN_MIGRATE:
		return do_migrate(sim, st);
	case SCN_EVACUATE:
		return do_evacuate(sim, st);
	case SCN_WAIT:
		sim_wait_for(sim, NULL, NULL, st->ms);
		return 0;
	case SCN_EXPECT_PATH:
	case SCN_EXPECT_NOTICES:
	case SCN_EXPECT_VM_NOTICES:
	case SCN_EXPECT_RPM:
	case SCN_EXPECT_MASTER:
	case SCN_EXPECT_RESYNC:
	case SCN_EXPECT_SAVED:
	case SCN_EXPECT_LID_KEPT:
	case SCN_EXPECT_REFUSED:
		do_expect(sim, st);
		return 0;
	case SCN_FAULT_PROC:
	case SCN_FAULT_LOSS:
	case SCN_FAULT_LINK:
	case SCN_FAULT_MALFORMED:
		return do_fault(sim, st);
	case SCN_SAY:
		sim_say(sim, "== %s", st->text);
		return 0;
	case SCN_SHOW:
		do_show(sim, st);
		return 0;
	}
	return 0;
}

int steps_run(struct sim *sim)
{
	size_t i;

	for (i = 0; i < sim->scn->n_steps && !sim->sup.interrupted; i++) {
		run_step(sim, &sim->scn->steps[i]);
		/* A fabric that broke (exit 3) ends the story; a failed step does not. */
		if (sim->code && sim->code != IBVMIG_EXIT_FAILED)
			return sim->code;
	}
	steps_close_window(sim);
	return sim->sup.interrupted ? SIM_EXIT_INTERRUPTED : 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * hosts.c - ibvmig-sim's hypervisors: one agent (ibvmigd --sim) per node
 * that has one, the VM processes (ibvmig-vm) talking to it, and the command
 * lines the runner calls (ibvmig-host against an agent, ibvmig against the
 * SM side).
 *
 * Agents are ibsim clients (one slot each: doc/simulator.md, "ibsim
 * Limits"); VMs are not, they only talk to their agent's Unix socket.  What
 * a VM prints (one JSON event per line, with its own time "t") is read as it
 * comes: the runner keeps each VM's view of its peers' paths from it, and
 * takes the latency of each migration from the RePath events' times.
 */
#include "sim.h"

#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define AGENT_CHECK_MS 500	/* the canary check: an SM reset seen within half a second */
#define VM_RETRY_MS 200		/* a VM asks again for a missing path this often */
#define VM_READY_MS 10000
#define VM_GONE_MS 5000

/* ---- JSON of our own tools: flat objects, one per line ---------------------------------- */

static const char *json_value(const char *json, const char *key)
{
	char want[64];
	const char *p;
	size_t n = (size_t)snprintf(want, sizeof(want), "\"%s\":", key);

	p = json ? strstr(json, want) : NULL;
	return p ? p + n : NULL;
}

int hosts_json_u64(const char *json, const char *key, uint64_t *v)
{
	const char *p = json_value(json, key);
	char *end;

	if (!p || *p < '0' || *p > '9')
		return -ENOENT;
	*v = strtoull(p, &end, 10);
	return 0;
}

static int json_str(const char *json, const char *key, char *buf, size_t len)
{
	const char *p = json_value(json, key);
	size_t n;

	if (!p || *p != '"')
		return -ENOENT;
	n = strcspn(++p, "\"");
	snprintf(buf, len, "%.*s", (int)n, p);
	return 0;
}

/* "t":1796188018.354216 in microseconds. */
static int json_time_us(const char *json, uint64_t *us)
{
	const char *p = json_value(json, "t");
	uint64_t s, frac = 0, scale = 1000000;
	char *end;

	if (!p || *p < '0' || *p > '9')
		return -ENOENT;
	s = strtoull(p, &end, 10);
	if (*end == '.')
		for (p = end + 1; *p >= '0' && *p <= '9' && scale > 1; p++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	*us = s * 1000000 + frac;
	return 0;
}

/* ---- command lines ----------------------------------------------------------------------- */

static void cli_line(void *ctx, struct sup_proc *p, char *line)
{
	struct sim *sim = ctx;

	if (sim->opt.verbose > 1)
		sim_detail(sim, "%s: %s", p->name, line);
}

static int cli_status(int status)
{
	if (status < 0)
		return status;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* A command line whose output is kept; @env and @dir (may be NULL) as sup_spawn() takes them. */
static struct sup_proc *cli_spawn_in(struct sim *sim, const char *name, char **argv, char **env,
				     const char *dir)
{
	char log[PATH_MAX + 16];
	struct sup_spawn sp = { .name = name, .rank = RANK_CLI, .argv = argv, .stdin_fd = -1,
				.env = env, .dir = dir, .log_path = log, .capture = true,
				.on_line = cli_line, .ctx = sim };
	struct sup_proc *p;
	int rc;

	sim_path(sim, log, sizeof(log), "cli.log");
	rc = sup_spawn(&sim->sup, &sp, &p);
	if (rc) {
		sim_detail(sim, "cannot start %s: %s", argv[0], strerror(-rc));
		return NULL;
	}
	return p;
}

/* Waits for a command started by cli_spawn(); its status, its output in *@out. */
static int cli_finish(struct sim *sim, struct sup_proc *p, char **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!p)
		return -ECHILD;
	rc = sup_wait(&sim->sup, p, SIM_CLI_MS);
	if (rc && !p->exited) {
		sim_detail(sim, "%s did not end within %d s: killed", p->name, SIM_CLI_MS / 1000);
		sup_stop(&sim->sup, p, SIGKILL, 0);
	}
	rc = cli_status(p->exited ? p->status : -ETIMEDOUT);
	if (out) {
		*out = p->buf;
		p->buf = NULL;
	}
	sup_release(&sim->sup, p);
	return rc;
}

static struct sup_proc *cli_spawn(struct sim *sim, const char *name, char **argv)
{
	return cli_spawn_in(sim, name, argv, NULL, NULL);
}

int hosts_run(struct sim *sim, char *name, char **argv, char **out)
{
	return cli_finish(sim, cli_spawn(sim, name, argv), out);
}

int hosts_port_info(struct sim *sim, int node, unsigned *lid, uint64_t *guid)
{
	struct sim_words w;
	char *out = NULL, *g, *l;
	int rc;

	sim_words_init(&w);
	sim_words_add(&w, "%s", sim->tools.sa);
	sim_words_add(&w, "info");
	rc = hosts_client_run(sim, node, "ibvmig-sa", w.v, &out);
	g = out ? strstr(out, " guid=") : NULL;
	l = out ? strstr(out, " lid=") : NULL;
	rc = rc || !g || !l || sscanf(g, " guid=%" SCNx64, guid) != 1 ||
	     sscanf(l, " lid=%u", lid) != 1 ? -1 : 0;
	free(out);
	return rc;
}

unsigned hosts_port_lid(struct sim *sim, int node)
{
	uint64_t guid;
	unsigned lid;

	return hosts_port_info(sim, node, &lid, &guid) ? 0 : lid;
}

int hosts_client_run(struct sim *sim, int node, char *name, char **argv, char **out)
{
	struct sim_words env;
	char dir[PATH_MAX + 16];

	/* An ibsim client of its own, from a scratch directory (umad2sim writes there). */
	sim_path(sim, dir, sizeof(dir), "%s-%s", name, sim_node_name(sim, node));
	sim_words_init(&env);
	fabric_client_env(sim, node, &env);
	fabric_reap_slots(sim);
	return cli_finish(sim, cli_spawn_in(sim, name, argv, env.v, dir), out);
}

static void words_va(struct sim_words *w, va_list ap)
{
	const char *a;

	while ((a = va_arg(ap, const char *)))
		sim_words_add(w, "%s", a);
}

/* "ibvmig-host -S SOCKET" of @node's agent: the start of every host command line. */
static void host_cli_words(struct sim *sim, int node, struct sim_words *w)
{
	sim_words_init(w);
	sim_words_add(w, "%s", sim->tools.host_cli);
	sim_words_add(w, "-S");
	sim_words_add(w, "%s", sim->agents[node].host_sock);
}

int hosts_cli(struct sim *sim, int node, char **out, ...)
{
	struct sim_words w;
	va_list ap;

	host_cli_words(sim, node, &w);
	va_start(ap, out);
	words_va(&w, ap);
	va_end(ap);
	return hosts_run(sim, "ibvmig-host", w.v, out);
}

static int admin_va(struct sim *sim, const char *admin, char **out, va_list ap)
{
	struct sim_words w;

	if (out)
		*out = NULL;
	if (!admin)
		return -ENOTCONN;
	sim_words_init(&w);
	sim_words_add(&w, "%s", sim->tools.cli);
	sim_words_add(&w, "-S");
	sim_words_add(&w, "%s", admin);
	words_va(&w, ap);
	return hosts_run(sim, "ibvmig", w.v, out);
}

int hosts_admin_at(struct sim *sim, const char *admin, char **out, ...)
{
	va_list ap;
	int rc;

	va_start(ap, out);
	rc = admin_va(sim, admin, out, ap);
	va_end(ap);
	return rc;
}

int hosts_admin(struct sim *sim, char **out, ...)
{
	va_list ap;
	int rc;

	va_start(ap, out);
	rc = admin_va(sim, fabric_admin(sim), out, ap);
	va_end(ap);
	return rc;
}

/* ---- agents ------------------------------------------------------------------------------ */

static void agent_line(void *ctx, struct sup_proc *p, char *line)
{
	(void)p;
	struct sim_agent *a = ctx;
	struct sim *sim = a->sim;
	const char *text = strstr(line, "]: ");
	unsigned lid;

	text = text ? text + 3 : line;
	if (sscanf(text, "port %*s guid %*s lid %u", &lid) == 1)
		a->lid = lid;
	else if (!strncmp(text, "subscribed:", 11))
		a->subscribed = true;
	if (strstr(text, "vGUIDs again after the SM reset"))
		a->resync_wanted = false;
	if (strstr(text, "has forgotten this port's subscriptions") ||
	    strstr(text, "vGUIDs again after the SM reset"))
		sim_say(sim, "  agent %s: %s", sim_node_name(sim, a->node), text);
	else if (!strncmp(text, "RePath ", 7) || !strncmp(text, "UnPath ", 7))
		sim_detail(sim, "agent %s received %s", sim_node_name(sim, a->node), text);
	else if (strstr(text, "ERR ") && sim->opt.verbose)
		sim_detail(sim, "agent %s: %s", sim_node_name(sim, a->node), text);
}

static bool agent_up(struct sim *sim, void *ctx)
{
	struct sim_agent *a = ctx;

	(void)sim;
	return !sup_running(a->proc) || a->subscribed;
}

int hosts_agent_start(struct sim *sim, int node)
{
	struct sim_agent *a = &sim->agents[node];
	char dir[PATH_MAX + 16], log[PATH_MAX + 16], name[80];
	const char *nd = sim_node_name(sim, node);
	struct sim_words argv, env;
	struct sup_spawn sp;
	int rc;

	if (sup_running(a->proc))
		return -EALREADY;
	sup_release(&sim->sup, a->proc);
	a->proc = NULL;
	a->node = node;
	a->sim = sim;
	sim_path(sim, dir, sizeof(dir), "agent-%s", nd);
	sim_path(sim, log, sizeof(log), "agent-%s.out", nd);
	sim_path(sim, a->vm_sock, sizeof(a->vm_sock), "vm-%s.sock", nd);
	sim_path(sim, a->host_sock, sizeof(a->host_sock), "host-%s.sock", nd);
	snprintf(name, sizeof(name), "agent-%s", nd);
	fabric_reap_slots(sim);
	sim_words_init(&argv);
	sim_words_add(&argv, "%s", sim->tools.agent);
	sim_words_add(&argv, "--sim");
	sim_words_add(&argv, "-v");
	sim_words_add(&argv, "--check-interval");
	sim_words_add(&argv, "%d", AGENT_CHECK_MS);
	sim_words_add(&argv, "-s");
	sim_words_add(&argv, "%s", a->vm_sock);
	sim_words_add(&argv, "-S");
	sim_words_add(&argv, "%s", a->host_sock);
	if (sim->scn->sm == SCN_SM_EXTENSION) {
		/* Alias changes told to the extension, its notices believed (ibvmigd(8)). */
		sim_words_add(&argv, "--extension");
		sim_words_add(&argv, "%u", sim->smx_lid);
		sim_words_add(&argv, "--trust-issuer");
		sim_words_add(&argv, "0x%016" PRIx64, sim->smx_guid);
	}
	sim_words_init(&env);
	fabric_client_env(sim, node, &env);
	a->subscribed = a->resync_wanted = false;
	a->reports_last = a->fwd_last = 0;
	sp = (struct sup_spawn){ .name = name, .rank = RANK_AGENT, .dir = dir, .argv = argv.v,
				 .env = env.v, .stdin_fd = -1, .log_path = log,
				 .on_line = agent_line, .ctx = a };
	rc = sup_spawn(&sim->sup, &sp, &a->proc);
	if (rc)
		return rc;
	a->starts++;
	if (!sim_wait_for(sim, agent_up, a, SIM_UP_MS) || !a->subscribed)
		return sim_fatal(sim, 3, "the agent on %s did not subscribe (see %s)", nd, log);
	a->sent_base = fabric_notices_total(sim);
	return 0;
}

static void agent_refresh(struct sim *sim, struct sim_agent *a)
{
	char *out = NULL;

	if (sup_running(a->proc) && !hosts_cli(sim, a->node, &out, "--json", "status", NULL)) {
		hosts_json_u64(out, "reports", &a->reports_last);
		hosts_json_u64(out, "notices_forwarded", &a->fwd_last);
	}
	free(out);
}

void hosts_refresh(struct sim *sim)
{
	size_t i;

	for (i = 0; i < sim->scn->n_nodes; i++)
		if (sim->scn->agent[i])
			agent_refresh(sim, &sim->agents[i]);
}

uint64_t hosts_reports_total(struct sim *sim)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < sim->scn->n_nodes; i++)
		if (sim->scn->agent[i])
			sum += sim->agents[i].reports_prev + sim->agents[i].reports_last;
	return sum;
}

int hosts_agent_kill(struct sim *sim, int node)
{
	struct sim_agent *a = &sim->agents[node];

	if (!sup_running(a->proc))
		return -ESRCH;
	/* Its counters die with it: the last ones are what it received. */
	agent_refresh(sim, a);
	a->reports_prev += a->reports_last;
	a->fwd_prev += a->fwd_last;
	a->reports_last = a->fwd_last = 0;
	a->sent_prev += fabric_notices_total(sim) - a->sent_base;
	sup_stop(&sim->sup, a->proc, SIGKILL, 0);
	a->subscribed = false;
	fabric_reap_slots(sim);
	return 0;
}

/* ---- VMs --------------------------------------------------------------------------------- */

/* The index of @vguid among VM @v's peers, or -1. */
static int peer_of(const struct sim *sim, int v, uint64_t vguid)
{
	const struct scn_vm *sv = &sim->scn->vms[v];
	unsigned i;

	for (i = 0; i < sv->n_peers; i++)
		if (sim->scn->vms[sv->peers[i]].vguid == vguid)
			return (int)i;
	return -1;
}

static int vm_by_vguid(const struct sim *sim, uint64_t vguid)
{
	size_t i;

	for (i = 0; i < sim->scn->n_vms; i++)
		if (sim->scn->vms[i].vguid == vguid)
			return (int)i;
	return -1;
}

/* What a VM's cache now says of a peer's path; a DLID that moves is counted (lid-kept). */
static void path_set(struct sim_path *pa, unsigned dlid, const char *state)
{
	if (pa->dlid && dlid != pa->dlid)
		pa->changes++;
	pa->dlid = dlid;
	snprintf(pa->state, sizeof(pa->state), "%s", state);
}

/* A RePath "migrated" about a VM whose migration is open: one latency sample. */
static void latency(struct sim *sim, int observer, int k, int moved, const char *line)
{
	struct sim_path *pa = &sim->vms[observer].path[k];
	int m = sim->vms[moved].mig;
	uint64_t t;

	if (m < 0 || pa->lat_mig == m + 1 || json_time_us(line, &t))
		return;
	pa->lat_mig = m + 1;
	sim->migs[m].samples++;
	if (t > sim->migs[m].last_us)
		sim->migs[m].last_us = t;
	report_latency(sim, (size_t)m, t);
}

static void vm_notice(struct sim *sim, int v, const char *line)
{
	const char *name = sim->scn->vms[v].name;
	char vg[32] = "", reason[32] = "", state[16] = "", result[16] = "";
	uint64_t vguid = 0, trap = 0, dlid = 0, old = 0, nl = 0;
	int k, moved;

	json_str(line, "vguid", vg, sizeof(vg));
	json_str(line, "reason", reason, sizeof(reason));
	json_str(line, "state", state, sizeof(state));
	json_str(line, "result", result, sizeof(result));
	hosts_json_u64(line, "trap", &trap);
	hosts_json_u64(line, "dlid", &dlid);
	hosts_json_u64(line, "old_lid", &old);
	hosts_json_u64(line, "new_lid", &nl);
	util_parse_guid(vg, &vguid);
	sim->vms[v].notices++;
	sim->vms[v].notices_total++;
	moved = vm_by_vguid(sim, vguid);
	sim_say(sim, "  %s got %s %s about %s (LID %" PRIu64 " -> %" PRIu64 "): %s, path now LID "
		"%" PRIu64 " %s", name, trap == 68 ? "UnPath" : "RePath", reason,
		moved >= 0 ? sim->scn->vms[moved].name : vg, old, nl, result, dlid, state);
	k = peer_of(sim, v, vguid);
	if (k < 0)
		return;
	sim->vms[v].path[k].notices++;
	path_set(&sim->vms[v].path[k], (unsigned)dlid, state);
	if (trap == 69 && !strcmp(reason, "migrated") && moved >= 0)
		latency(sim, v, k, moved, line);
}

static void vm_line(void *ctx, struct sup_proc *p, char *line)
{
	struct sim_vm *vm = ctx;
	struct sim *sim = vm->sim;
	int v = vm->idx;
	char event[16] = "", vg[32] = "";
	uint64_t vguid = 0, dlid = 0;
	int k;

	(void)p;
	if (json_str(line, "event", event, sizeof(event))) {
		if (sim->opt.verbose)
			sim_detail(sim, "%s: %s", sim->scn->vms[v].name, line);
		return;
	}
	if (!strcmp(event, "ready")) {
		sim->vms[v].ready = true;
	} else if (!strcmp(event, "path")) {
		json_str(line, "vguid", vg, sizeof(vg));
		hosts_json_u64(line, "dlid", &dlid);
		if (!util_parse_guid(vg, &vguid) && (k = peer_of(sim, v, vguid)) >= 0)
			path_set(&sim->vms[v].path[k], (unsigned)dlid, "active");
	} else if (!strcmp(event, "notice")) {
		vm_notice(sim, v, line);
	} else if (!strcmp(event, "gone")) {
		sim->vms[v].ready = false;
		if (sim->opt.verbose)
			sim_detail(sim, "%s: %s", sim->scn->vms[v].name, line);
	} else if (!strcmp(event, "error") && sim->opt.verbose) {
		sim_detail(sim, "%s: %s", sim->scn->vms[v].name, line);
	}
}

static bool vm_ready(struct sim *sim, void *ctx)
{
	struct sim_vm *vm = &sim->vms[(intptr_t)ctx];

	return !sup_running(vm->proc) || vm->ready;
}

/* Starts VM @v's process on @node without waiting for its hello's answer. */
static int vm_spawn(struct sim *sim, int v, int node)
{
	const struct scn_vm *sv = &sim->scn->vms[v];
	struct sim_vm *vm = &sim->vms[v];
	char dir[PATH_MAX + 16], log[PATH_MAX + 16], name[80];
	struct sim_words argv;
	struct sup_spawn sp;
	unsigned i;
	int rc;

	if (sup_running(vm->proc))
		return -EALREADY;
	sup_release(&sim->sup, vm->proc);
	vm->proc = NULL;
	sim_path(sim, dir, sizeof(dir), "vm-%s", sv->name);
	sim_path(sim, log, sizeof(log), "%s.out", sv->name);
	snprintf(name, sizeof(name), "vm-%s", sv->name);
	sim_words_init(&argv);
	sim_words_add(&argv, "%s", sim->tools.vm);
	sim_words_add(&argv, "-S");
	sim_words_add(&argv, "%s", sim->agents[node].vm_sock);
	sim_words_add(&argv, "-n");
	sim_words_add(&argv, "%s", sv->name);
	sim_words_add(&argv, "-g");
	sim_words_add(&argv, "0x%016" PRIx64, sv->vguid);
	for (i = 0; i < sv->n_peers; i++) {
		sim_words_add(&argv, "-p");
		sim_words_add(&argv, "0x%016" PRIx64, sim->scn->vms[sv->peers[i]].vguid);
	}
	sim_words_add(&argv, "--retry");
	sim_words_add(&argv, "%d", VM_RETRY_MS);
	if (!sim_words_ok(&argv))
		return -E2BIG;
	memset(vm->path, 0, sizeof(vm->path));
	vm->ready = false;
	vm->notices = 0;
	vm->node = node;
	sp = (struct sup_spawn){ .name = name, .rank = RANK_VM, .dir = dir, .argv = argv.v,
				 .stdin_fd = -1, .log_path = log, .on_line = vm_line, .ctx = vm };
	vm->sim = sim;
	vm->idx = v;
	rc = sup_spawn(&sim->sup, &sp, &vm->proc);
	if (rc)
		return rc;
	vm->starts++;
	return 0;
}

int hosts_vm_start(struct sim *sim, int v, int node)
{
	int rc = vm_spawn(sim, v, node);

	if (rc)
		return rc;
	return hosts_vm_wait_ready(sim, v);
}

int hosts_vm_spawn(struct sim *sim, int v, int node)
{
	return vm_spawn(sim, v, node);
}

int hosts_vm_wait_ready(struct sim *sim, int v)
{
	if (!sim_wait_for(sim, vm_ready, (void *)(intptr_t)v, VM_READY_MS) || !sim->vms[v].ready)
		return -ETIMEDOUT;
	return 0;
}

static bool vm_ended(struct sim *sim, void *ctx)
{
	return !sup_running(sim->vms[(intptr_t)ctx].proc);
}

/* Waits for a VM whose agent let it go (vm remove, the agent's death) to end; TERM if not. */
int hosts_vm_gone(struct sim *sim, int v)
{
	if (!sim_wait_for(sim, vm_ended, (void *)(intptr_t)v, VM_GONE_MS))
		return hosts_vm_stop(sim, v);
	return 0;
}

int hosts_vm_stop(struct sim *sim, int v)
{
	struct sim_vm *vm = &sim->vms[v];

	if (!sup_running(vm->proc))
		return 0;
	sup_stop(&sim->sup, vm->proc, SIGTERM, SIM_STOP_GRACE_MS);
	vm->ready = false;
	return 0;
}

/* ---- asynchronous command lines, for evacuations ------------------------------------------ */

struct sup_proc *hosts_cli_spawn(struct sim *sim, int node, ...)
{
	struct sim_words w;
	va_list ap;

	host_cli_words(sim, node, &w);
	va_start(ap, node);
	words_va(&w, ap);
	va_end(ap);
	return cli_spawn(sim, "ibvmig-host", w.v);
}

struct sup_proc *hosts_cli_spawnv(struct sim *sim, int node, char *const *args, unsigned n)
{
	struct sim_words w;
	unsigned i;

	host_cli_words(sim, node, &w);
	for (i = 0; i < n; i++)
		sim_words_add(&w, "%s", args[i]);
	if (!sim_words_ok(&w)) {
		sim_detail(sim, "ibvmig-host: %u words are too many for one command line", n);
		return NULL;
	}
	return cli_spawn(sim, "ibvmig-host", w.v);
}

void hosts_stamp_sets(struct sim *sim, const char *out, size_t first)
{
	const char *line;
	char vg[24];
	uint64_t vguid, set_us;
	int v, m;

	for (line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (json_str(line, "vguid", vg, sizeof(vg)) || util_parse_guid(vg, &vguid) ||
		    hosts_json_u64(line, "set_us", &set_us) || !set_us)
			continue;
		v = vm_by_vguid(sim, vguid);
		m = v >= 0 ? sim->vms[v].mig : -1;
		if (m >= 0 && (size_t)m >= first)
			sim->migs[m].set_us = set_us;
	}
}

int hosts_cli_finish(struct sim *sim, struct sup_proc *p, char **out)
{
	return cli_finish(sim, p, out);
}

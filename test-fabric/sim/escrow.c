// SPDX-License-Identifier: BSD-2-Clause
/*
 * escrow.c - "migrate NAME to NODE with escrow": the migration in which the
 * VM takes its LID along (doc/escrow-protocol.md), in two models.  The
 * dedicated-port model: the VM is alone on its hypervisor's port, and the
 * port's LID is the VM's.  The vSwitch model ("vm NAME at VF"): each
 * hypervisor is a switch with its PF and VFs, each VF has a LID of its own
 * and is the VM's port; the agent on the PF of the VF's vSwitch acts for it
 * (the plugin's "vswitch SWITCH pf NODE" lines), nobody attaches anything,
 * and the peers' paths to the VF's GID never change (escrow_vf_move).
 *
 * The hypervisors' side is what doc/escrow-protocol.md, "The agent's side",
 * asks of an agent: the VM's vGUID deleted at the source (a port holding an
 * alias is refused), RELEASE from the source port (the token), the VM's
 * process at the destination, CLAIM there with the token, QUERY until live,
 * then the vGUID set at the destination, whose port now has the LID.  Where
 * ibvmig-host has migrate-out/migrate-in (ibvmig-host(8)), the agents do it
 * (escrow_agent_out/_in); else the requests are ibvmig-sa's escrow-* (the
 * MADs the plugin's escrow tests send), run as ibsim clients of the two
 * hosts (escrow_move).
 *
 * The token is the VM's LID: it stays in the runner's memory and its scratch
 * files (cli.log), never on the report.
 */
#include "sim.h"

#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_HEX 32		/* 128 bits */

/* What one escrow answer line says ("status=ok ... lid=5 ... token=..."). */
struct esc_answer {
	char status[32], state[16];
	char token[TOKEN_HEX + 1];
	unsigned lid;
};

static void answer_field(const char *line, const char *key, char *buf, size_t len)
{
	char want[32];
	const char *p;
	size_t n;

	snprintf(want, sizeof(want), "%s=", key);
	buf[0] = '\0';
	for (p = strstr(line, want); p; p = strstr(p + 1, want))
		if (p == line || p[-1] == ' ')
			break;
	if (!p)
		return;
	p += strlen(want);
	n = strcspn(p, " \n");
	if (n >= len)
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static void answer_parse(const char *out, struct esc_answer *a)
{
	char lid[16];

	memset(a, 0, sizeof(*a));
	if (!out)
		return;
	answer_field(out, "status", a->status, sizeof(a->status));
	answer_field(out, "state", a->state, sizeof(a->state));
	answer_field(out, "token", a->token, sizeof(a->token));
	answer_field(out, "lid", lid, sizeof(lid));
	a->lid = (unsigned)strtoul(lid, NULL, 10);
}

/* One escrow request from @node: "escrow-release", "escrow-claim" ...; 0 if answered ok. */
static int esc_request(struct sim *sim, int node, struct esc_answer *a, const char *cmd,
		       const char *token, const char *until)
{
	struct sim_words w;
	char *out = NULL;
	int rc;

	sim_words_init(&w);
	sim_words_add(&w, "%s", sim->tools.sa);
	sim_words_add(&w, "%s", cmd);
	if (token) {
		sim_words_add(&w, "--token");
		sim_words_add(&w, "%s", token);
	}
	if (until) {
		sim_words_add(&w, "--until");
		sim_words_add(&w, "%s", until);
	}
	rc = hosts_client_run(sim, node, "ibvmig-sa", w.v, &out);
	answer_parse(out, a);
	if (rc || strcmp(a->status, "ok")) {
		if (out)
			out[strcspn(out, "\n")] = '\0';
		/* A refusal's line never holds a token (only RELEASE's ok answer does). */
		report_fail(sim, "%s from %s: exit %d: %s", cmd, sim_node_name(sim, node), rc,
			    out && *out ? out : "no answer");
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* @node's LID in its own PortInfo (what the port holds), 0 if it cannot be read. */
static unsigned own_lid(struct sim *sim, int node)
{
	struct sim_words w;
	char *out = NULL, lid[16];

	sim_words_init(&w);
	sim_words_add(&w, "%s", sim->tools.sa);
	sim_words_add(&w, "portinfo");
	if (hosts_client_run(sim, node, "ibvmig-sa", w.v, &out)) {
		free(out);
		return 0;
	}
	answer_field(out ? out : "", "lid", lid, sizeof(lid));
	free(out);
	return (unsigned)strtoul(lid, NULL, 10);
}

static bool bound(struct sim *sim, void *ctx)
{
	struct sim_sm *m = fabric_master(sim);

	(void)ctx;
	return m && m->escrow_bound;
}

/* The VMs on @node other than @v, named into @buf; how many. */
static unsigned others_on(const struct sim *sim, int node, int v, char *buf, size_t len)
{
	size_t i, used = 0;
	unsigned n = 0;

	buf[0] = '\0';
	for (i = 0; i < sim->scn->n_vms; i++) {
		if ((int)i == v || sim->vms[i].node != node)
			continue;
		n++;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", n > 1 ? " " : "",
						 sim->scn->vms[i].name);
	}
	return n;
}

/* Nobody at the destination: its port's LID becomes the VM's. */
static int free_port(struct sim *sim, int v, int to)
{
	char names[256];

	if (others_on(sim, to, v, names, sizeof(names))) {
		report_fail(sim, "migrate %s with escrow: %s's port gets the VM's LID, and VMs "
			    "there (%s) would lose theirs", sim->scn->vms[v].name,
			    sim_node_name(sim, to), names);
		return -1;
	}
	return 0;
}

/* The dedicated-port model: the VM alone at the source, nobody at the destination. */
static int dedicated_ports(struct sim *sim, int v, int from, int to)
{
	char names[256];

	if (others_on(sim, from, v, names, sizeof(names))) {
		report_fail(sim, "migrate %s with escrow: it takes %s's LID along, and %s holds "
			    "other VMs (%s); a VM with escrow has its port to itself",
			    sim->scn->vms[v].name, sim_node_name(sim, from), sim_node_name(sim, from),
			    names);
		return -1;
	}
	return free_port(sim, v, to);
}

/* The vSwitch model has no fallback: only the agents act for a VF (--port-guid). */
static int vf_ports(struct sim *sim, int v, int to)
{
	if (!sim->tools.escrow_agent) {
		report_fail(sim, "migrate %s with escrow: a VF's LID moves through the agents, and "
			    "this ibvmig-host has no migrate-out", sim->scn->vms[v].name);
		return -1;
	}
	return free_port(sim, v, to);
}

int escrow_check(struct sim *sim, int v, int to)
{
	int from = sim->vms[v].node;

	if (sim->scn->vms[v].vf ? vf_ports(sim, v, to) : dedicated_ports(sim, v, from, to))
		return -1;
	/* What expect lid-kept compares with: the port's own word, not the SM's tables. */
	sim->vms[v].lid_before = hosts_port_lid(sim, from);
	sim->vms[v].esc_from = from;
	/* The class is bound at the master's first heavy sweep; before it no escrow MAD. */
	if (bound(sim, NULL) || sim_wait_for(sim, bound, NULL, SIM_UP_MS))
		return 0;
	report_fail(sim, "migrate %s with escrow: no master SM has bound the escrow's class "
		    "within %d s", sim->scn->vms[v].name, SIM_UP_MS / 1000);
	return -1;
}

int escrow_move(struct sim *sim, int from, int to)
{
	const char *src = sim_node_name(sim, from), *dst = sim_node_name(sim, to);
	uint64_t t0 = util_mono_ms();
	struct esc_answer rel, ans;
	unsigned fresh;

	if (esc_request(sim, from, &rel, "escrow-release", NULL, NULL))
		return -1;
	sim_say(sim, "%s RELEASEs its port's LID %u into escrow (%s): the SM keeps it for the VM "
		"and gives %s's port a fresh LID; the token goes to %s (not shown)", src, rel.lid,
		rel.state, src, dst);
	if (esc_request(sim, to, &ans, "escrow-claim", rel.token, NULL)) {
		/* The protocol's abort: the LID back to the source rather than held to expiry. */
		if (!esc_request(sim, from, &ans, "escrow-cancel", rel.token, NULL))
			sim_say(sim, "%s CANCELs the escrow: LID %u goes back to its port (%s)", src,
				rel.lid, ans.state);
		return -1;
	}
	sim_say(sim, "%s CLAIMs LID %u with the token: %s", dst, rel.lid, ans.state);
	if (esc_request(sim, to, &ans, "escrow-query", rel.token, "live"))
		return -1;
	fresh = own_lid(sim, from);
	sim_say(sim, "the escrow is live after %" PRIu64 " ms: %s's port has LID %u, %s's has "
		"LID %u", util_mono_ms() - t0, dst, rel.lid, src, fresh);
	/* Where the VM's LID is now: what "lid-of" means from here on. */
	sim->agents[to].lid = rel.lid;
	if (fresh)
		sim->agents[from].lid = fresh;
	sim->n_escrow++;
	return 0;
}

/* ---- through the agents: ibvmig-host migrate-out, migrate-in ------------------------------ */

static void token_file(const struct sim *sim, int v, char *buf, size_t len)
{
	sim_path(sim, buf, len, "%s.token", sim->scn->vms[v].name);
}

/* An agent command that must succeed: 0, or the failure reported and -1. */
static int agent_ok(struct sim *sim, int rc, char *out, const char *what, int v, int node)
{
	if (!rc)
		return 0;
	if (out)
		out[strcspn(out, "\n")] = '\0';
	report_fail(sim, "%s of %s at %s: exit %d: %s", what, sim->scn->vms[v].name,
		    sim_node_name(sim, node), rc, out && *out ? out : "no output");
	return -1;
}

/* The "lid N" line of an escrow answer as ibvmig-host prints it; 0 if none. */
static unsigned answer_lid(const char *out)
{
	const char *l;
	unsigned lid;

	for (l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (sscanf(l, " lid %u", &lid) == 1)
			return lid;
	return 0;
}

int escrow_agent_out(struct sim *sim, int v)
{
	int from = sim->vms[v].node;
	char g[24], tf[PATH_MAX + 16], *out = NULL;
	int rc;

	snprintf(g, sizeof(g), "0x%016" PRIx64, sim->scn->vms[v].vguid);
	token_file(sim, v, tf, sizeof(tf));
	rc = hosts_cli(sim, from, &out, "migrate-out", "--vguid", g, "--token-file", tf, NULL);
	sim->vms[v].esc_lid = out ? answer_lid(out) : 0;
	if (agent_ok(sim, rc, out, "migrate-out", v, from)) {
		free(out);
		return -1;
	}
	free(out);
	sim_say(sim, "%s RELEASEs its port's LID %u into escrow (ibvmig-host migrate-out: the vGUID "
		"detached first; the token in a file of mode 0600, not shown)",
		sim_node_name(sim, from), sim->vms[v].esc_lid);
	rc = hosts_cli(sim, from, &out, "vm", "remove", sim->scn->vms[v].name, NULL);
	if (agent_ok(sim, rc, out, "vm remove", v, from)) {
		free(out);
		return -1;
	}
	free(out);
	/* The agent closes the removed VM's channel: its process ends by itself. */
	return hosts_vm_gone(sim, v);
}

int escrow_agent_in(struct sim *sim, int v, int from, int to)
{
	char g[24], tf[PATH_MAX + 16], *out = NULL;
	uint64_t t0 = util_mono_ms(), guid;
	unsigned fresh = 0, lid = sim->vms[v].esc_lid;
	int rc;

	snprintf(g, sizeof(g), "0x%016" PRIx64, sim->scn->vms[v].vguid);
	token_file(sim, v, tf, sizeof(tf));
	rc = hosts_cli(sim, to, &out, "migrate-in", "--token-file", tf, "--vguid", g, "--vm",
		       sim->scn->vms[v].name, NULL);
	unlink(tf);	/* the VM's LID: kept no longer than the migration */
	if (agent_ok(sim, rc, out, "migrate-in", v, to)) {
		free(out);
		return -1;
	}
	free(out);
	if (hosts_port_info(sim, from, &fresh, &guid))
		fresh = 0;
	sim_say(sim, "%s CLAIMs LID %u (ibvmig-host migrate-in): live, and the vGUID attached, "
		"after %" PRIu64 " ms; %s's port has LID %u", sim_node_name(sim, to), lid,
		util_mono_ms() - t0, sim_node_name(sim, from), fresh);
	if (lid)
		sim->agents[to].lid = lid;
	if (fresh)
		sim->agents[from].lid = fresh;
	sim->n_escrow++;
	return 0;
}

/* ---- the vSwitch model: a VF's own LID, moved by its vSwitches' PFs' agents -------------- */

#define PORT_LID_POLL_MS 200

static void guid_str(uint64_t guid, char *buf, size_t len)
{
	snprintf(buf, len, "0x%016" PRIx64, guid);
}

/* The node whose agent acts for VF @vf, or -1 (reported). */
static int vf_agent(struct sim *sim, int v, int vf)
{
	int pf = fabric_vf_pf(sim, vf);

	if (pf < 0) {
		report_fail(sim, "migrate %s with escrow: %s is no VF behind a vSwitch of a "
			    "\"vswitch\" line", sim->scn->vms[v].name, sim_node_name(sim, vf));
		return -1;
	}
	if (!sim->scn->agent[pf] || !sup_running(sim->agents[pf].proc)) {
		report_fail(sim, "migrate %s with escrow: no agent runs on %s, the PF that acts "
			    "for %s", sim->scn->vms[v].name, sim_node_name(sim, pf),
			    sim_node_name(sim, vf));
		return -1;
	}
	return pf;
}

/* Until @node's own PortInfo shows @lid: live means the SM has set it, not that we read it. */
static bool wait_port_lid(struct sim *sim, int node, unsigned lid)
{
	uint64_t end = util_mono_ms() + SIM_UP_MS;

	while (hosts_port_lid(sim, node) != lid) {
		if (util_mono_ms() >= end)
			return false;
		sim_wait_for(sim, NULL, NULL, PORT_LID_POLL_MS);
	}
	return true;
}

/* migrate-out at the source's PF: RELEASE of the VF's LID for the destination VF. */
static int vf_release(struct sim *sim, int v, int pf, int to, const char *tf)
{
	int from = sim->vms[v].node, rc;
	char pg[24], dg[24], *out = NULL;

	guid_str(fabric_port_guid(sim, from), pg, sizeof(pg));
	guid_str(fabric_port_guid(sim, to), dg, sizeof(dg));
	rc = hosts_cli(sim, pf, &out, "migrate-out", "--port-guid", pg, "--dest", dg,
		       "--token-file", tf, NULL);
	sim->vms[v].esc_lid = out ? answer_lid(out) : 0;
	rc = agent_ok(sim, rc, out, "migrate-out", v, pf);
	free(out);
	if (rc)
		return -1;
	sim_say(sim, "%s RELEASEs %s's LID %u into escrow for %s (ibvmig-host migrate-out "
		"--port-guid %s --dest %s; the token in a file of mode 0600, not shown)",
		sim_node_name(sim, pf), sim_node_name(sim, from), sim->vms[v].esc_lid,
		sim_node_name(sim, to), pg, dg);
	return 0;
}

/* migrate-in at the destination's PF: CLAIM for the destination VF, until live. */
static int vf_claim(struct sim *sim, int v, int pf, int to, const char *tf)
{
	char dg[24], *out = NULL;
	int rc;

	guid_str(fabric_port_guid(sim, to), dg, sizeof(dg));
	rc = hosts_cli(sim, pf, &out, "migrate-in", "--token-file", tf, "--port-guid", dg, NULL);
	rc = agent_ok(sim, rc, out, "migrate-in", v, pf);
	free(out);
	return rc;
}

int escrow_vf_move(struct sim *sim, int v, int to)
{
	int from = sim->vms[v].node, src = vf_agent(sim, v, from), dst = vf_agent(sim, v, to);
	uint64_t t0 = util_mono_ms();
	char tf[PATH_MAX + 16];
	unsigned lid;
	int rc;

	if (src < 0 || dst < 0)
		return -1;
	token_file(sim, v, tf, sizeof(tf));
	rc = vf_release(sim, v, src, to, tf);
	if (!rc)
		rc = vf_claim(sim, v, dst, to, tf);
	unlink(tf);	/* the VM's LID: kept no longer than the migration */
	if (rc)
		return -1;
	lid = sim->vms[v].esc_lid;
	if (!wait_port_lid(sim, to, lid)) {
		report_fail(sim, "migrate %s with escrow: %s's port does not show LID %u within "
			    "%d s", sim->scn->vms[v].name, sim_node_name(sim, to), lid,
			    SIM_UP_MS / 1000);
		return -1;
	}
	sim_say(sim, "%s CLAIMs LID %u for %s (ibvmig-host migrate-in --port-guid): live after "
		"%" PRIu64 " ms; %s's port has LID %u, %s's LID %u (a fresh one)",
		sim_node_name(sim, dst), lid, sim_node_name(sim, to), util_mono_ms() - t0,
		sim_node_name(sim, to), lid, sim_node_name(sim, from), hosts_port_lid(sim, from));
	sim->vms[v].node = to;
	sim->n_escrow++;
	return 0;
}

/* Every VM holding a path to @v: its DLID the kept LID throughout, no notice about @v. */
static bool peers_untouched(struct sim *sim, int v, unsigned lid, char *buf, size_t len)
{
	size_t i, used = 0;
	bool ok = true;
	unsigned k;

	buf[0] = '\0';
	for (i = 0; i < sim->scn->n_vms; i++) {
		const struct scn_vm *sv = &sim->scn->vms[i];
		const struct sim_path *pa;

		for (k = 0; k < sv->n_peers && sv->peers[k] != v; k++)
			;
		if (k == sv->n_peers || !sup_running(sim->vms[i].proc))
			continue;
		pa = &sim->vms[i].path[k];
		ok = ok && pa->dlid == lid && !pa->changes && !pa->notices;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "; %s: DLID %u (%u changes), "
						 "%u notices", sv->name, pa->dlid, pa->changes,
						 pa->notices);
	}
	return ok;
}

void escrow_expect_kept(struct sim *sim, const struct scn_step *st, const char *what)
{
	const struct sim_vm *vm = &sim->vms[st->vm];
	unsigned now;
	char peers[512];
	bool ok;

	if (vm->esc_from < 0) {
		report_expect(sim, false, what, "%s has not migrated with escrow",
			      sim->scn->vms[st->vm].name);
		return;
	}
	now = hosts_port_lid(sim, vm->node);
	ok = peers_untouched(sim, st->vm, vm->lid_before, peers, sizeof(peers));
	report_expect(sim, ok && now == vm->lid_before, what, "%s's port has LID %u, %s's had "
		      "LID %u before%s", sim_node_name(sim, vm->node), now,
		      sim_node_name(sim, vm->esc_from), vm->lid_before,
		      *peers ? peers : "; no VM holds a path to it");
}

/* A release the SM granted after all: given back at once, so that the story can go on. */
static void cancel_granted(struct sim *sim, int node, const char *pg, const char *tf)
{
	char *out = NULL;

	if (hosts_cli(sim, node, &out, "cancel", "--token-file", tf, "--port-guid", pg, NULL))
		sim_detail(sim, "cancel of that release failed: %s", out ? out : "no output");
	free(out);
}

void escrow_expect_refused(struct sim *sim, const struct scn_step *st, const char *what)
{
	static const char refused[] = "refused by the SM: ";
	const char *who = sim_node_name(sim, st->node), *r;
	char pg[24], tf[PATH_MAX + 16], *out = NULL;
	int rc;

	guid_str(fabric_port_guid(sim, sim->vms[st->vm].node), pg, sizeof(pg));
	sim_path(sim, tf, sizeof(tf), "%s.refused.token", sim->scn->vms[st->vm].name);
	rc = hosts_cli(sim, st->node, &out, "release", "--port-guid", pg, "--token-file", tf,
		       NULL);
	if (!rc) {
		cancel_granted(sim, st->node, pg, tf);
		report_expect(sim, false, what, "%s's release --port-guid %s was granted (exit 0; "
			      "cancelled again)", who, pg);
	} else if (out && (r = strstr(out, refused))) {
		report_expect(sim, true, what, "%s's release --port-guid %s: exit %d, %.*s", who,
			      pg, rc, (int)strcspn(r, "\n"), r);
	} else {
		report_expect(sim, false, what, "%s's release --port-guid %s: exit %d, not the "
			      "SM's refusal: %.*s", who, pg, rc, out ? (int)strcspn(out, "\n") : 0,
			      out ? out : "");
	}
	unlink(tf);
	free(out);
}

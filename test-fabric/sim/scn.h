/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * scn.h - the scenario language of ibvmig-sim (doc/scenarios.md): a text in,
 * a plain description out - the fabric, the hypervisor agents, the VMs and
 * their interests, and the steps of the story with their expectations.
 *
 * The parser knows nothing of processes, files or fabrics: node names are
 * kept as written, and the runner checks them against the topology once it
 * has read the net file.  What the parser can check it does: every VM is
 * declared once, lives on a node with an agent, every interest and step
 * names declared VMs, durations and counts are in range, and the set-up
 * (fabric, sm, agent, vswitch, vm, interest) comes before the first step.
 * Which VF is behind which switch only the net file says: the runner checks.
 *
 * ERRORS: scn_parse() returns 0, -ENOMEM, or -EINVAL with the line and the
 * reason in the result's err/err_line (the result is still to be freed).
 * THREAD SAFETY: none needed; a struct scn is owned by its caller.
 */
#ifndef IBVMIG_SIM_SCN_H
#define IBVMIG_SIM_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_NAME_MAX 50		/* VM and node names: ibvmig-vm takes up to 50 */
#define SCN_PEERS_MAX 64	/* interests per VM: ibvmig-vm's --peer limit */
#define SCN_ERR_MAX 256
/* The first automatic vGUID; VM k (0-based) without "vguid G" gets this + k + 1. */
#define SCN_VGUID_BASE 0x0002c903abcd0000ULL

enum scn_sm {
	SCN_SM_PLUGIN,		/* stock OpenSM with libibvmig.so */
	SCN_SM_EXTENSION,	/* stock OpenSM without it, and ibvmig-smx beside it */
	SCN_SM_NONE,		/* stock OpenSM alone: nobody sends notices */
};

enum scn_op {
	SCN_CREATE,		/* vm (at node, or its own): start its process, attach its vGUID */
	SCN_STOP,		/* vm: detach, leave its host: it is gone until created again */
	SCN_REBOOT,		/* vm: detach, a new process, attach at the same node */
	SCN_MIGRATE,		/* vm to node (flag: with escrow) */
	SCN_EVACUATE,		/* node to node2: every VM of node at once */
	SCN_WAIT,		/* ms */
	SCN_EXPECT_PATH,	/* vm's cache holds peer at lid-of node (node >= 0) or lid n */
	SCN_EXPECT_NOTICES,	/* node's agent received n Reports since it (re)started */
	SCN_EXPECT_VM_NOTICES,	/* vm received n notices since its process started */
	SCN_EXPECT_RPM,		/* every migration so far brought n Reports */
	SCN_EXPECT_MASTER,	/* the OpenSM on node is the master */
	SCN_EXPECT_RESYNC,	/* every agent has set its vGUIDs again since the last SM fault */
	SCN_EXPECT_SAVED,	/* the SM side has saved every alias change (before a kill) */
	SCN_EXPECT_LID_KEPT,	/* vm's port has the LID it had before its escrow; peers untouched */
	SCN_EXPECT_REFUSED,	/* node's agent asks to release vm's LID: the SM refuses */
	SCN_FAULT_PROC,		/* target (sm, standby, extension, agent on node), flag: restart */
	SCN_FAULT_LOSS,		/* node, port, n percent */
	SCN_FAULT_LINK,		/* node, port, flag: up */
	SCN_FAULT_MALFORMED,	/* node sends malformed MADs to the SM */
	SCN_SAY,		/* text: a line of narration */
	SCN_SHOW,		/* text: traps, subscribers, stats, status, escrow, caches */
};

enum scn_target {
	SCN_TARGET_SM,
	SCN_TARGET_STANDBY,
	SCN_TARGET_EXTENSION,
	SCN_TARGET_AGENT,
};

struct scn_step {
	enum scn_op op;
	unsigned line;		/* in the scenario file, for messages */
	int vm, peer;		/* indexes into scn.vms, -1 if none */
	int node, node2;	/* indexes into scn.nodes, -1 if none */
	unsigned port;
	uint64_t n;
	bool flag;
	enum scn_target target;
	uint64_t ms;		/* SCN_WAIT: the wait; expectations: "within" (0: check once) */
	bool within;		/* "within T" was written */
	char *text;		/* SCN_SAY, SCN_SHOW */
};

struct scn_vm {
	char name[SCN_NAME_MAX + 1];
	int node;		/* where it is created; a VF's VM: its VF */
	bool vf;		/* "vm NAME at VF": the VF's port GUID is its GUID, no process */
	uint64_t vguid;		/* a VF's VM: 0 until the runner reads the net file */
	bool vguid_given;
	unsigned line;
	unsigned n_peers;
	int peers[SCN_PEERS_MAX];	/* indexes into scn.vms */
};

/* "vswitch SWITCH pf NODE": the agent on NODE may ask for the VFs behind SWITCH. */
struct scn_vswitch {
	int sw, pf;		/* indexes into scn.nodes */
	unsigned line;
};

struct scn {
	char *topology;		/* as written: a name or a path */
	enum scn_sm sm;
	int sm_node;		/* "sm NODE", -1: the topology's */
	int standby;		/* "standby NODE", -1: none */
	int ext_node;		/* "extension NODE": where ibvmig-smx runs, -1: none */
	char **nodes;		/* every node name mentioned, once each */
	size_t n_nodes;
	bool *agent;		/* per node: an agent runs there */
	struct scn_vm *vms;
	size_t n_vms;
	struct scn_vswitch *vswitches;
	size_t n_vswitches;
	struct scn_step *steps;
	size_t n_steps;
	unsigned err_line;
	char err[SCN_ERR_MAX];
};

/* Parses @text (NUL-terminated); *@out is set whenever it returns 0 or -EINVAL. */
int scn_parse(const char *text, struct scn **out);
void scn_free(struct scn *s);

const char *scn_sm_name(enum scn_sm sm);
/* The VM index of @name, or -1. */
int scn_vm_find(const struct scn *s, const char *name);
/* The vswitch line of switch node @sw, or NULL. */
const struct scn_vswitch *scn_vswitch_of(const struct scn *s, int sw);
/* The node index of @name, or -1. */
int scn_node_find(const struct scn *s, const char *name);
/* Adds node @name (no agent; the caller checked the name): its index, or -ENOMEM. */
int scn_node_add(struct scn *s, const char *name);
/* The step as one line, for the report: "migrate web to hostc". */
void scn_step_str(const struct scn *s, const struct scn_step *st, char *buf, size_t len);
/* "10s", "250ms", "1.5s": parses a duration into *ms; 0 or -EINVAL. */
int scn_parse_duration(const char *word, uint64_t *ms);

#endif /* IBVMIG_SIM_SCN_H */

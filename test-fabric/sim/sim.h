/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sim.h - the inside of ibvmig-sim, the scenario runner (ibvmig-sim(1),
 * doc/scenarios.md): one struct sim holds the run, and the files share it:
 *
 *   main.c    options, where the programs are, the run from start to end
 *   fabric.c  the net file, ibsim and its console, OpenSM (master, standby),
 *             the standalone extension
 *   hosts.c   the agents, the VM processes and what they print, CLI calls
 *   steps.c   the steps and the expectations of a scenario
 *   report.c  the timeline, the figures, the JSON summary
 *   escrow.c  the migrations with escrow
 *   inject.c  the malformed MADs (run as an ibsim client: ibvmig-sim --inject)
 *
 * THREAD SAFETY: one thread; everything waits in sup_pump().
 */
#ifndef IBVMIG_SIM_H
#define IBVMIG_SIM_H

#include "ibvmig_cli.h"
#include "scn.h"
#include "sup.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_PROG "ibvmig-sim"
/*
 * ibvmig-sim's exit status beyond ibvmig(7)'s codes (0 all held, 1 an
 * expectation failed, 2 usage or a scenario's syntax, 3 the fabric or a
 * process did not come up): a step needs a part of ibvmig not built yet.
 */
#define SIM_EXIT_UNSUPPORTED 9
#define SIM_EXIT_INTERRUPTED 130

/* Ranks for sup_stop_all(): the higher stops first (VMs before agents before OpenSM...). */
enum { RANK_IBSIM = 1, RANK_SM, RANK_EXT, RANK_CLIENT, RANK_AGENT, RANK_VM, RANK_CLI };

/* How long a fabric part may take to come up: liveness bounds, not speed goals. */
#define SIM_UP_MS 30000
#define SIM_STALL_MS 10000	/* a master whose first sweep has not ended by then is stuck */
#define SIM_CLI_MS 30000
#define SIM_STOP_GRACE_MS 5000
/* At the end everything goes: an agent still unsubscribing from a dead SM need not finish. */
#define SIM_END_GRACE_MS 2000

struct sim_opts {
	const char *builddir;	/* -B: the programs of a build tree; NULL: the installed ones */
	const char *scenario;
	const char *workdir;	/* -d: everything goes there, kept; NULL: a temporary one */
	bool keep;		/* --keep: keep the temporary directory */
	bool keep_failed;	/* --keep-failed: ... when the run did not pass */
	bool json;		/* --json: only the JSON line on stdout */
	int verbose;
	uint64_t min_within_ms;	/* --min-within: refuse smaller "within" bounds */
	bool skip_unsupported;	/* --skip-unsupported: say "coming" and go on */
	bool quiet;		/* -q: no timeline, the summary only */
};

struct sim_tools {
	char ibsim[PATH_MAX], opensm[PATH_MAX], umad2sim[PATH_MAX];
	char agent[PATH_MAX], vm[PATH_MAX], host_cli[PATH_MAX], cli[PATH_MAX];
	char smx[PATH_MAX], plugin_dir[PATH_MAX], self[PATH_MAX];
	char sa[PATH_MAX];	/* ibvmig-sa: the escrow's client until the agents speak it */
	bool have_plugin, have_smx, have_escrow;
	bool escrow_agent;	/* ibvmig-host has migrate-out/migrate-in: the agents do it */
};

/* One node of the net file: its ports' peers, for "Link" after an "Unlink". */
#define SIM_PORTS_MAX 64
struct sim_node {
	char name[SCN_NAME_MAX + 1];
	bool hca;
	uint64_t guid;		/* its node GUID (hcaguids=, switchguid=); 0 if the file gives none */
	struct {
		char peer[SCN_NAME_MAX + 1];	/* "" if not linked */
		unsigned peer_port;
	} port[SIM_PORTS_MAX + 1];
};

/* One OpenSM: the master-to-be on the SM node, or the standby. */
struct sim_sm {
	const char *role;	/* "sm" or "standby" */
	int node;		/* scn node index */
	struct sup_proc *proc;
	char dir[PATH_MAX];	/* its conf, log, cache, state, admin socket */
	char log[PATH_MAX + 16];
	char admin[PATH_MAX + 16];
	long log_off;		/* how much of the log is read */
	int wd;			/* inotify watch of dir */
	unsigned starts;
	unsigned ups;		/* SUBNET UP lines since the last start */
	bool master;		/* its last state line: MASTER (true) or STANDBY */
	bool standby_seen;	/* it entered STANDBY since its start */
	bool escrow_bound;	/* its plugin bound the escrow's class: escrow MADs may come */
	uint64_t notices_prev;	/* notices sent by earlier incarnations (last known) */
	uint64_t notices_last;	/* ... and by this one, when last asked */
};

struct sim_agent {
	struct sim *sim;
	int node;
	struct sup_proc *proc;
	char vm_sock[PATH_MAX + 16], host_sock[PATH_MAX + 16];
	unsigned lid;		/* from its start line; kept after it stops */
	bool subscribed;
	bool resync_wanted;	/* an SM fault since, and it has not set its vGUIDs again yet */
	unsigned starts;
	uint64_t reports_prev, reports_last;	/* Reports: earlier incarnations, this one */
	uint64_t fwd_prev, fwd_last;		/* notices forwarded to VMs, the same */
	uint64_t sent_prev;	/* SM notices sent while earlier incarnations lived */
	uint64_t sent_base;	/* the SM's notice total when this incarnation started */
	uint64_t sent_final;	/* all of them, at the end of the run */
};

struct sim_path {
	unsigned dlid;
	char state[16];		/* "active", "suspended"...; "" before any answer */
	int lat_mig;		/* 1 + the migration whose RePath gave a latency sample */
	unsigned changes;	/* times the DLID became another one (this process) */
	unsigned notices;	/* notices about this peer (this process) */
};

struct sim_vm {
	struct sim *sim;
	int idx;		/* its scn VM */
	int node;		/* where it is; -1 before create */
	struct sup_proc *proc;
	bool ready;
	unsigned starts;
	uint64_t notices;	/* notice events of the current process */
	uint64_t notices_total;
	struct sim_path path[SCN_PEERS_MAX];	/* by its scn peers' order */
	int mig;		/* its open migration (index into sim.migs), -1 if none */
	unsigned esc_lid;	/* the LID its migrate-out released, for the migrate-in */
	unsigned lid_before;	/* its port's LID before its last migration with escrow */
	int esc_from;		/* ... and that port's node (-1: none yet) */
};

/* One migration: its Set's time and the Reports its window brought. */
struct sim_mig {
	int vm, from, to;
	uint64_t set_us;	/* wall clock: the destination agent's Set, else before its attach */
	unsigned group;		/* VMs moved in the same window (evacuate: all of a node) */
	uint64_t reports_start;
	bool closed;
	double reports;		/* the window's Reports / group */
	unsigned samples;	/* latency samples it gave */
	size_t first;		/* its window's first migration (an evacuation's group) */
	uint64_t last_us;	/* the latest RePath about it at an interested VM, wall clock */
};

/*
 * One RePath at a peer: a latency sample of migration @mig.  Kept as seen and
 * computed when reported, as the Set's time (the agent's, in the attach's
 * answer) may come after the RePath does.
 */
struct sim_sample {
	size_t mig;
	uint64_t t_us;		/* the VM's clock, wall */
};

struct sim {
	struct sim_opts opt;
	struct sim_tools tools;
	struct sup sup;
	struct scn *scn;
	char scn_dir[PATH_MAX];		/* the scenario file's directory */
	char dir[PATH_MAX];		/* the run's scratch directory */
	bool dir_made;			/* a temporary one: removed at the end */
	char sockname[96];		/* IBSIM_SOCKNAME */
	char netfile[PATH_MAX];
	char ibsim_opts[256];		/* the net file's "# ibsim-opts:" words */
	struct sim_node *nodes;
	size_t n_nodes;
	int *topo;			/* scn node -> sim node */
	int sm_node;			/* scn node of OpenSM */
	struct sup_proc *ibsim;
	int console;			/* the FIFO, read-write */
	int inotify;
	struct sim_sm sm[2];
	struct sup_proc *smx;
	char smx_admin[PATH_MAX + 16];
	bool smx_subscribed, smx_scanned;	/* its lines since its last start */
	unsigned smx_lid;		/* its node's port: what the agents tell and trust */
	uint64_t smx_guid;
	uint64_t smx_notices_prev, smx_notices_last;
	struct sim_agent *agents;	/* per scn node (used where scn->agent[i]) */
	struct sim_vm *vms;		/* per scn VM */
	struct sim_mig *migs;
	size_t n_migs, migs_size;
	bool window_open;
	size_t window_first;		/* the open window's first migration */
	uint64_t window_notices;	/* the SM side's notice total when it opened */
	struct sim_sample *lat;		/* latency samples, as seen: ms once the Sets are known */
	size_t n_lat, lat_size;
	uint64_t t0_ms;
	unsigned passed, failed;
	char **failures;
	size_t n_failures;
	unsigned n_create, n_reboot, n_migrate, n_evacuate, n_fault, n_escrow, n_unsupported;
	unsigned n_inject;
	int code;			/* the exit status so far */
	FILE *out;			/* the report: stdout, or /dev/null under --json */
};

/* An argv or an environment being built: words copied into buf. */
struct sim_words {
	char *v[160];	/* an evacuation's attach: 5 + 4 per VM, 32 VMs a command */
	unsigned n;
	char buf[16384];
	size_t used;
};

/* ---- main.c ---------------------------------------------------------------------------------- */
/* snprintf that says whether it all fit: 0 or -ENAMETOOLONG (the text is cut then). */
int sim_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sim_words_init(struct sim_words *w);
/* Adds one word (printf-made); words past the room are dropped, and sim_words_ok() says so. */
void sim_words_add(struct sim_words *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sim_words_ok(const struct sim_words *w);
/* "+12.345s  text" on the report. */
void sim_say(struct sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An indented detail line under the last one (-v shows more of them). */
void sim_detail(struct sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A problem the run cannot go on from: says it, sets the exit status. */
int sim_fatal(struct sim *sim, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pumps until @done(ctx) or @timeout_ms: true if done. */
bool sim_wait_for(struct sim *sim, bool (*done)(struct sim *, void *), void *ctx,
		  uint64_t timeout_ms);
/* The scratch path @name under the run's directory. */
void sim_path(const struct sim *sim, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *sim_node_name(const struct sim *sim, int node);

/* ---- fabric.c -------------------------------------------------------------------------------- */
int fabric_load(struct sim *sim);		/* the net file; node names checked */
int fabric_start(struct sim *sim);		/* ibsim, OpenSM (and standby, extension) up */
int fabric_console(struct sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fabric_reap_slots(struct sim *sim);		/* "X n" for clients that died */
int fabric_sm_start(struct sim *sim, struct sim_sm *sm);
int fabric_sm_kill(struct sim *sim, struct sim_sm *sm);
bool fabric_sm_wait_up(struct sim *sim, struct sim_sm *sm, uint64_t timeout_ms);
struct sim_sm *fabric_master(struct sim *sim);	/* the live master, or NULL */
const char *fabric_admin(struct sim *sim);	/* the master's (or extension's) admin socket */
int fabric_ext_start(struct sim *sim);
int fabric_ext_kill(struct sim *sim);
/* Adds the environment of an ibsim client of scn node @node (LD_PRELOAD, SIM_HOST...). */
void fabric_client_env(struct sim *sim, int node, struct sim_words *env);
int fabric_link(struct sim *sim, int node, unsigned port, bool up);
/* @node's port GUID as the net file gives it (ibsim: an HCA's port 1 is its node GUID + 1). */
uint64_t fabric_port_guid(const struct sim *sim, int node);
/*
 * The node of the PF whose agent acts for VF @vf (the "vswitch" line of the switch its port
 * is linked to), or -1: @vf is no VF (behind no declared vSwitch, or that vSwitch's PF).
 */
int fabric_vf_pf(const struct sim *sim, int vf);
/* Notices sent by every SM-side incarnation so far (asks the live one). */
uint64_t fabric_notices_total(struct sim *sim);
void fabric_stop(struct sim *sim);

/* ---- hosts.c --------------------------------------------------------------------------------- */
int hosts_agent_start(struct sim *sim, int node);
int hosts_agent_kill(struct sim *sim, int node);
int hosts_vm_start(struct sim *sim, int vm, int node);	/* and waits for its hello's answer */
int hosts_vm_spawn(struct sim *sim, int vm, int node);	/* does not wait */
int hosts_vm_wait_ready(struct sim *sim, int vm);
int hosts_vm_gone(struct sim *sim, int vm);	/* its agent let it go: waits for its end */
int hosts_vm_stop(struct sim *sim, int vm);
/* ibvmig-host ARGS... against @node's agent, not waited for; NULL if it cannot start. */
struct sup_proc *hosts_cli_spawn(struct sim *sim, int node, ...) __attribute__((sentinel));
/* The same with @n words in @args (an evacuation's many --vguid). */
struct sup_proc *hosts_cli_spawnv(struct sim *sim, int node, char *const *args, unsigned n);
/*
 * The Sets' times in an "ibvmig-host -j attach" answer @out, as the agent took
 * them: into the open migrations from @first on of the VMs it names.
 */
void hosts_stamp_sets(struct sim *sim, const char *out, size_t first);
int hosts_cli_finish(struct sim *sim, struct sup_proc *p, char **out);
/*
 * Runs a program to its end, its output captured: the exit status (or -errno); *@out (may be
 * NULL) gets the output, to be freed.
 */
int hosts_run(struct sim *sim, char *out_name, char **argv, char **out);
/* The same, run as an ibsim client of scn node @node (ibvmig-sa, say). */
int hosts_client_run(struct sim *sim, int node, char *name, char **argv, char **out);
/* @node's port as it says itself (ibvmig-sa info): 0, or -1 if it cannot be read. */
int hosts_port_info(struct sim *sim, int node, unsigned *lid, uint64_t *guid);
/* @node's LID as its port says it (ibvmig-sa info), 0 if it cannot be read. */
unsigned hosts_port_lid(struct sim *sim, int node);
/* ibvmig-host ARGS... against @node's agent. */
int hosts_cli(struct sim *sim, int node, char **out, ...) __attribute__((sentinel));
/* ibvmig ARGS... against the SM side's admin socket (the master's); -ENOTCONN if none. */
int hosts_admin(struct sim *sim, char **out, ...) __attribute__((sentinel));
/* The same against @admin. */
int hosts_admin_at(struct sim *sim, const char *admin, char **out, ...)
	__attribute__((sentinel));
/* A number of a one-line JSON object: "reports":12 -> 12; -ENOENT if absent. */
int hosts_json_u64(const char *json, const char *key, uint64_t *v);
/* Asks every live agent for its counters (status). */
void hosts_refresh(struct sim *sim);
uint64_t hosts_reports_total(struct sim *sim);

/* ---- steps.c --------------------------------------------------------------------------------- */
int steps_run(struct sim *sim);
void steps_check_unsupported(struct sim *sim, bool *fatal);
void steps_close_window(struct sim *sim);
/* An OpenSM became master: every running agent must set its vGUIDs again. */
void steps_master_changed(struct sim *sim);
/* The scenario has a migration with escrow: the plugin runs the escrow's service. */
bool steps_need_escrow(const struct sim *sim);

/* ---- escrow.c -------------------------------------------------------------------------------- */
/* A migration of VM @v to @to with escrow may start: dedicated ports, the class bound. */
int escrow_check(struct sim *sim, int v, int to);
/* RELEASE at @from, CLAIM at @to, until live; the agents' LIDs follow. The VM is detached. */
int escrow_move(struct sim *sim, int from, int to);
/* Through the agents: migrate-out at the VM's node (detach, RELEASE; the VM leaves it). */
int escrow_agent_out(struct sim *sim, int v);
/* ... and migrate-in at @to (CLAIM, until live, attach), the VM's process there. */
int escrow_agent_in(struct sim *sim, int v, int from, int to);
/* The vSwitch model: VF VM @v's LID to VF @to, by the agents of the two vSwitches' PFs. */
int escrow_vf_move(struct sim *sim, int v, int to);
/* expect lid-kept: the VF VM's port has its old LID; its peers' paths never moved. */
void escrow_expect_kept(struct sim *sim, const struct scn_step *st, const char *what);
/* expect release-refused: the agent on the step's node asks for the VM's LID, in vain. */
void escrow_expect_refused(struct sim *sim, const struct scn_step *st, const char *what);

/* ---- report.c -------------------------------------------------------------------------------- */
void report_expect(struct sim *sim, bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A step that failed: said, counted, listed in the JSON line. */
void report_fail(struct sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_latency(struct sim *sim, size_t mig, uint64_t t_us);
void report_collect(struct sim *sim);	/* the figures, while everything still runs */
void report_summary(struct sim *sim);
void report_json(struct sim *sim);

/* ---- inject.c -------------------------------------------------------------------------------- */
/* ibvmig-sim --inject: run as an ibsim client; the exit status. */
int inject_main(int argc, char **argv);
/* The step: NODE sends them; the SM must still be running afterwards. */
int steps_inject(struct sim *sim, int node);

#endif /* IBVMIG_SIM_H */

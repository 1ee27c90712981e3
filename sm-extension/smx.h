/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smx.h - private to ibvmig-smx, the standalone SM extension: the second host
 * of libibvmig-engine (engine/engine.h), for fabrics whose subnet manager
 * cannot load the ibvmig plugin.  An ordinary libibumad client on any node
 * but the SM's (ibvmig-smx(8)).  What it does besides MAD I/O, polling and
 * pacing is the engine's: which read may take an alias away, which move is
 * believed, when to stay quiet.
 *
 * How it learns of alias changes (the SM tells nobody: doc/simulator.md,
 * "Trap Forwarding"):
 *  - TOLD: each hypervisor agent started with --extension tells it of every
 *    GUIDInfoRecord Set/Delete it made (vendor class 0x0A, doc/tell-protocol.md);
 *    the extension reads that block of that port itself (one SA Get) before it
 *    feeds the engine, and answers the tell after (smx_tell.c);
 *  - POLLED: a paced reconcile poll reads every block of every port whose
 *    GUIDCap allows aliases, one SA Get at a time, under a budget of SA
 *    requests per second (smx_poll.c, smx_pace.c), after learning the CA
 *    ports by LID and again on traps 64/65 (smx_ports.c).
 * How it tells: Trap(Notice) 68/69 to the SM, which forwards them as Reports
 * to the hosts' InformInfo subscriptions, and/or "direct": vendor-class
 * PathNotice MADs to the agents that said hello (smx_ops.c).
 * What it watches of the SM (smx_sm.c): its LID (PortInfo) and port GUID (a
 * NodeRecord), a canary subscription that an SM restart forgets, and the
 * Reports of 68/69 that show a plugin on the SM (the engine turns passive).
 *
 * THREADS.  Three, for the reason ibvmigd has two (doc/simulator.md, "umad2sim
 * Reads and Polls": a poll() holding the umad descriptor waits on it alone):
 *  - the MAD thread (smx_mad.c) owns the libibvmig-sa handle and everything
 *    that goes through it: tells, the poll, the SM's view, Reports, and the
 *    engine's send_notice op, which the engine calls only from the thread that
 *    fed it - this one (the extension never asks the engine for a reconcile,
 *    so the worker sends nothing);
 *  - the engine's worker (admin socket, saves) calls sm_view,
 *    list_subscribers and host_fields, which read what the MAD thread
 *    published under smx.lock;
 *  - the main thread (smx_main.c) waits for TERM/INT in sigwait().
 *
 * ERRORS: calls return 0 (or a count) or a negative errno; each error is logged
 * where it happens, with a code of this folder's (doc/log-codes.md), and nothing
 * exits but main().
 *
 * LOCKS.  smx.lock guards smx.pub (the published view and counters) and the
 * agents' table (written by the MAD thread alone);
 * it is held only to copy, never across a call into the engine or a MAD.
 * The engine's locks (engine.h, LOCKS) are taken by the engine itself; the
 * MAD thread holds none of ours when it calls into the engine.
 */
#ifndef IBVMIG_SMX_H
#define IBVMIG_SMX_H

#include "engine.h"
#include "ibvmig_conf.h"
#include "ibvmig_sa.h"
#include "ibvmig_tell.h"
#include "ibvmig_util.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SMX_PROG "ibvmig-smx"
#define SMX_VERSION "ibvmig-smx 0.1.0"
#define SMX_CONF_DEFAULT "/etc/ibvmig/smx.conf"
#define SMX_STATE_DIR_DEFAULT "/var/lib/ibvmig-smx"		/* systemd's StateDirectory */
#define SMX_ADMIN_SOCKET_DEFAULT "/run/ibvmig-smx/admin.sock"	/* ...and RuntimeDirectory */

#define SMX_TRUSTED_MAX 64
#define SMX_LID_TOP 0xBFFF		/* IBA 4.1.3: above are multicast LIDs */
#define SMX_AGENTS_MAX 4096
#define SMX_TELL_QUEUE 256
#define SMX_DIRECT_QUEUE 1024

/* ---- configuration (smx_conf.c) ----------------------------------------------- */

enum smx_delivery {
	SMX_DELIVER_TRAP = 1,		/* Trap(Notice) to the SM, which forwards them */
	SMX_DELIVER_DIRECT = 2,		/* PathNotice MADs to the agents that said hello */
	SMX_DELIVER_BOTH = 3,
};

/* The file (ibvmig-smx(8), FILES): the keys of ibvmig.conf(5) and these. */
struct smx_conf {
	struct ibvmig_conf base;
	unsigned poll_rate;		/* poll_rate: SA requests/s, the poll's and learning's */
	unsigned poll_interval_ms;	/* poll_interval_ms: a cycle starts at most this often */
	unsigned poll_full_every;	/* poll_full_every: every block read one cycle in N */
	unsigned poll_batch;		/* poll_batch: requests sent back to back */
	unsigned learn_interval_s;	/* learn_interval: a full LID scan again; 0: never */
	unsigned learn_gap;		/* learn_gap: LIDs without a port that end a scan */
	unsigned check_ms;		/* check_interval_ms: the SM canary */
	unsigned agent_timeout_s;	/* agent_timeout: an agent not heard from is forgotten */
	enum smx_delivery delivery;	/* delivery */
	uint64_t trusted[SMX_TRUSTED_MAX];	/* trusted_port */
	unsigned n_trusted;
};

void smx_conf_defaults(struct smx_conf *c);
/*
 * Reads @path (NULL: the defaults).  0, or -errno with "FILE:LINE: what" in
 * @err; *@c holds the defaults then.  A missing file is -ENOENT.
 */
int smx_conf_load(const char *path, struct smx_conf *c, char *err, size_t errlen);
bool smx_conf_trusts(const struct smx_conf *c, uint64_t port_guid);
const char *smx_delivery_name(enum smx_delivery d);

/* ---- pacing (smx_pace.c: pure, unit-tested) -------------------------------------- */

/*
 * A token bucket of @rate requests per second spent in batches of @batch
 * back-to-back requests (smx_pace.c says why), one batch saved up at most.
 */
struct smx_pace {
	double rate, tokens;
	unsigned batch, left;		/* left: of the batch under way */
	uint64_t last_ns;
	uint64_t taken;
};

void smx_pace_init(struct smx_pace *p, unsigned rate, unsigned batch, uint64_t now_ns);
/*
 * One request may go now: true, and it is charged; false when the next batch
 * has not saved up yet.
 */
bool smx_pace_take(struct smx_pace *p, uint64_t now_ns);
/* Charges @n requests more, into debt if need be: a request made costs what it costs. */
void smx_pace_charge(struct smx_pace *p, unsigned n, uint64_t now_ns);
/* Milliseconds until smx_pace_take() says true (0: now), rounded up. */
int smx_pace_wait_ms(struct smx_pace *p, uint64_t now_ns);

/* ---- the ports (smx_ports.c) ------------------------------------------------------- */

struct smx_port {
	uint64_t guid;
	uint16_t lid;
	uint8_t guid_cap;		/* PortInfo GUIDCap; 0 until learnt */
	bool trusted;			/* trusted_port */
	bool read;			/* table holds a read (else never read) */
	bool gone;			/* its LID answered no port: out of the poll */
	uint64_t *table;		/* guid_cap GUIDs as last read; [0] the port's own */
};

struct smx_ports {
	struct smx_port *p;		/* n used of cap, in the order learnt */
	uint32_t n, cap;
	uint32_t *by_lid;		/* SMX_LID_TOP + 1 entries: index + 1, 0 for none */
	/* The LID scan (smx_ports_learn_step). */
	uint16_t scan_lid;		/* next LID to ask; 0: no scan running */
	uint16_t scan_top;		/* highest LID seen with a port */
	unsigned scan_misses;		/* LIDs without a port in a row */
	unsigned prepaid;		/* learning requests paid for already */
	uint64_t scans;			/* scans finished */
	uint64_t next_scan_ms;		/* monotonic */
	/* Ports announced by traps 64 (GUIDs whose LID to learn) and 65 (to read). */
	uint64_t pending_guids[64];
	unsigned n_pending_guids;
	uint16_t urgent_lids[64];
	unsigned n_urgent_lids;
};

struct smx;
int smx_ports_init(struct smx_ports *t);
void smx_ports_free(struct smx_ports *t);
struct smx_port *smx_port_by_lid(struct smx_ports *t, uint16_t lid);
struct smx_port *smx_port_by_guid(struct smx_ports *t, uint64_t guid);
/* Alias-capable: a CA port whose GUIDCap holds one alias at least. */
bool smx_port_pollable(const struct smx_port *p);
/*
 * One learning request if one is due and a token is there: 1 when it made
 * one, 0 when nothing was due.  MAD thread.
 */
int smx_ports_learn_step(struct smx *s, uint64_t now_ms);
/* Learns the port of @lid now (a tell from a LID not known yet): 0 or -errno. */
int smx_ports_learn_lid(struct smx *s, uint16_t lid);
/* Trap 64/65 for @guid (the GID of the notice). */
void smx_ports_trap(struct smx *s, uint16_t trap, uint64_t guid);
/* A full scan from LID 1, now. */
void smx_ports_rescan(struct smx *s);

/*
 * @p's table as a snapshot (zeroed when never read) and as it would be with
 * block @block replaced by @b (@b NULL: no port at the LID any more).
 */
void smx_port_snapshot(const struct smx_port *p, struct eng_port_snapshot *s);
void smx_port_apply_block(const struct smx_port *p, uint8_t block,
			  const struct ibvmig_sa_guid_block *b, struct eng_port_snapshot *s);
/* Keeps @s (what was fed) as the port's last read. */
void smx_port_keep(struct smx_port *p, const struct eng_port_snapshot *s);

/* ---- reading a port, for the poll and for tells (smx_poll.c) ---------------------- */

/*
 * Reads block @block of @p (one SA Get) and feeds the engine what changed,
 * @told the vGUID a tell named (0: none).  A read that would take an alias
 * away that @told does not name is fed only once the SM's canary shows it
 * did not just restart (smx_sm_check(): the Get first, the check after).
 * *@seen, if not NULL, is the GUID at @told_index after the read.  0, or
 * -errno (nothing fed, the port's last read kept).  MAD thread.
 */
int smx_read_block(struct smx *s, struct smx_port *p, uint8_t block, uint64_t told,
		   int told_index, uint64_t *seen);
/*
 * @p's LID answers no port, or another one: its aliases left with it (no Get;
 * fed through the same canary gate).  0 or -errno (nothing fed).
 */
int smx_read_left(struct smx *s, struct smx_port *p);
/* One poll request if one is due and a token is there: 1 when it made one. */
int smx_poll_step(struct smx *s, uint64_t now_ms);

/* ---- the SM (smx_sm.c) ----------------------------------------------------------------- */

/* Subscriptions, the canary, the SM's LID and port: what is due now. MAD thread. */
void smx_sm_step(struct smx *s, uint64_t now_ms);
/*
 * The canary now: 0 the SM still knows this port's subscriptions, 1 it
 * forgot them (restart or new master: the engine was told, subscriptions
 * are made again), or -errno (no answer: nothing known).
 */
int smx_sm_check(struct smx *s);
/* ibvmig_sa_process()'s Report callback. */
void smx_sm_on_report(const struct ibvmig_sa_report *r, void *ctx);
/* Milliseconds until smx_sm_step has something to do. */
int smx_sm_timeout(struct smx *s, uint64_t now_ms);

/* ---- tells and agents (smx_tell.c) -------------------------------------------------- */

/* A notice waiting for direct delivery. */
struct smx_direct {
	uint8_t data[IBVMIG_TELL_DATA_LEN];	/* the PathNotice, encoded */
	uint32_t number;
};

struct smx_agent {
	uint64_t guid;
	uint16_t lid;
	uint32_t qpn;
	uint8_t flags;			/* IBVMIG_TELL_F_* of its last tell */
	uint64_t seen_ms;		/* monotonic */
};

/* ibvmig_sa_register_class()'s callback: queues the request. */
void smx_tell_on_request(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req, void *ctx);
/* Handles the queued requests: 1 when it handled any. MAD thread. */
int smx_tell_step(struct smx *s);
/*
 * Queues @n for every agent that takes PathNotices: 0, or -ENOBUFS when the
 * queue is full.  smx_tell_direct_step() delivers them, one agent at a time,
 * between tells: an agent waiting for a tell's answer cannot answer a
 * PathNotice, so the extension must not wait for one while it holds a tell.
 */
int smx_tell_direct(struct smx *s, uint16_t trap, const struct ibvmig_path_notice *n);
/* One PathNotice delivery if one is queued: 1 when it made one. */
int smx_tell_direct_step(struct smx *s);
/* Forgets agents not heard from for agent_timeout. */
void smx_tell_expire(struct smx *s, uint64_t now_ms);

/* ---- the engine's ops (smx_ops.c) ---------------------------------------------------- */

extern const struct eng_ops smx_eng_ops;

/* ---- the daemon --------------------------------------------------------------------- */

/* The MAD thread's counters, published under smx.lock (ibvmig stats). */
struct smx_counters {
	uint64_t poll_requests, poll_errors, poll_cycles, learn_requests;
	uint64_t tells, tells_refused, tell_reads;
	uint64_t canary_checks, sm_changes, deferred_reads;
	uint64_t traps_sent, trap_errors, direct_sent, direct_errors;
	uint64_t reports_refused, sa_timeouts;
};

/* What the worker's ops read, copied in by the MAD thread under smx.lock. */
struct smx_published {
	struct eng_sm_view view;
	uint16_t own_lid;
	uint32_t poll_ports;
	uint64_t last_cycle_ms;
	struct smx_counters cnt;
};

struct smx_opts {
	struct ibvmig_sa_opts sa;	/* -C, -P, -t, -r, --sim */
	const char *conf_path;		/* -c; NULL: SMX_CONF_DEFAULT if it exists */
	bool conf_given;
	bool check_only;		/* --check-config */
	int verbose;
};

struct smx {
	struct smx_opts opts;
	struct smx_conf conf;
	struct eng_engine *eng;
	struct ibvmig_sa *sa;		/* the MAD thread's once it runs */
	atomic_bool stop;
	pthread_t mad_thread;
	bool mad_started;

	/* The MAD thread's own. */
	struct smx_ports ports;
	struct smx_pace pace;
	struct smx_counters cnt;
	/* Written by the MAD thread under lock; read by it without, by the worker under lock. */
	struct smx_agent agents[SMX_AGENTS_MAX];
	unsigned n_agents;
	struct ibvmig_sa_request tells[SMX_TELL_QUEUE];	/* a ring */
	unsigned t_head, t_len;
	struct smx_direct *direct;	/* PathNotices to deliver: a ring of SMX_DIRECT_QUEUE */
	unsigned d_head, d_len, d_agent;	/* d_agent: the next agent of the head's */
	uint64_t tells_overflow;
	/* The SM as last learnt. */
	uint16_t sm_lid;
	uint64_t sm_guid;		/* its port, learnt from a NodeRecord of sm_lid */
	bool sm_known;			/* sm_guid is sm_lid's */
	uint64_t subnet_prefix;
	bool subscribed;		/* 64, 65, 68, 69 and the canary acknowledged */
	unsigned canary_turn;		/* which of the two canaries is held */
	uint64_t next_sub_ms, next_check_ms, next_view_ms;
	int backoff_ms;
	/* The poll. */
	uint32_t poll_port;		/* cursor: index into ports.p */
	uint8_t poll_block;
	uint64_t cycle_start_ms, next_cycle_ms, last_cycle_ms;
	bool cycle_running;
	uint64_t next_publish_ms;

	pthread_mutex_t lock;		/* guards pub and agents */
	struct smx_published pub;
};

/* smx_mad.c */
int smx_mad_open(struct smx *s);
int smx_mad_start(struct smx *s);
void smx_mad_stop(struct smx *s);
/* Closes the port (dropping the subscriptions) and forgets the ports. */
void smx_mad_close(struct smx *s);
/* Copies what the worker's ops read into s->pub, every 20 ms at most (MAD thread). */
void smx_publish(struct smx *s);
/* True on the MAD thread, the only one that may use the port. */
bool smx_on_mad_thread(void);

/* smx_main.c: asks the main thread to stop (from any thread). */
void smx_request_stop(struct smx *s);

#endif /* IBVMIG_SMX_H */

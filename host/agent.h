/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agent.h - private to ibvmigd, the hypervisor agent: one per hypervisor port,
 * the host's only MAD client (shared-port model), serving its VMs and the host
 * CLI over the VM channel (doc/vm-channel.md).  See doc/ibvmigd.8.
 *
 * THREADS (why two): under umad2sim a poll() whose set holds the umad fd waits
 * on that fd alone and no signal interrupts it (doc/simulator.md, "umad2sim
 * Reads and Polls"), so the SA port and the sockets cannot share one poll loop.
 *
 *  - The SA thread (agent_sa.c) owns the libibvmig-sa handle: subscriptions
 *    and their periodic check, alias Set/Delete, PathRecords, Reports.  It
 *    waits on the port in bounded slices (opts.slice_ms) and, between them,
 *    runs the jobs the channel thread queued.
 *  - The channel thread (agent_chan.c, agent_dispatch.c) owns the sockets,
 *    the connections and the mapping table (agent_table.h); it never touches
 *    the port.  It polls real descriptors only, one of them the wake pipe.
 *  - The main thread (agent_main.c) starts both, waits for TERM/INT in
 *    sigwait(), then stops and joins them: every thread has the signals
 *    blocked, so no system call of theirs is interrupted.
 *
 * HAND-OFF: two queues of struct agent_item.  Jobs go channel -> SA (the SA
 * thread looks at its queue after each slice: no descriptor can wake it);
 * events (Reports, job results) go SA -> channel, each push
 * writing a byte to the wake pipe.  An item belongs to whoever popped it and
 * is freed with free().  The SA thread publishes its counters in
 * agent.sa_status under agent.status_lock; nothing else is shared.
 */
#ifndef IBVMIG_AGENT_H
#define IBVMIG_AGENT_H

#include "agent_table.h"
#include "agent_trust.h"
#include "ibvmig_vmchan.h"
#include "ibvmig_sa.h"
#include "ibvmig_util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AGENT_PROG "ibvmigd"

enum agent_subscribe_mode {
	AGENT_SUB_PER_PORT = 0,		/* this design: one subscription per trap */
	AGENT_SUB_PER_VM = 1,		/* the baseline: one per VM per trap */
};

struct agent_opts {
	struct ibvmig_sa_opts sa;	/* -C, -P, -t, -r, --sim */
	char vm_socket[108];		/* sun_path size; "" = none */
	char admin_socket[108];
	unsigned socket_mode;		/* of both Unix sockets */
	int vsock_port;			/* -1: no AF_VSOCK listener */
	enum at_mode forward;
	enum agent_subscribe_mode subscribe;
	int check_ms;			/* the periodic SA check; 0: never */
	int revalidate_ms;		/* the periodic re-validation; 0: never */
	uint64_t trust_issuers[TRUST_ISSUERS_MAX];	/* --trust-issuer port GUIDs */
	unsigned n_trust_issuers;
	int backoff_min_ms, backoff_max_ms;
	int slice_ms;			/* the SA thread's longest wait on the port */
	size_t vm_queue;		/* bytes queued for one connection at most */
	int vm_sndbuf;			/* SO_SNDBUF of accepted connections; 0: default */
	struct at_limits limits;
	int verbose;			/* -v count: 0 errors and events, 1 every notice, 2 debug */
	uint16_t extension_lid;		/* --extension: the SM extension to tell; 0: none */
};

/* What the SA thread publishes (under agent.status_lock). */
struct agent_sa_status {
	struct ibvmig_sa_port port;
	bool subscribed;		/* every subscription acknowledged */
	unsigned subscriptions;		/* InformInfo subscriptions held */
	unsigned aliases;		/* vGUIDs this port holds through us */
	uint64_t reports;		/* Reports received (and acknowledged) */
	uint64_t bad_reports;		/* Reports that were not a valid RePath/UnPath */
	uint64_t sa_errors;		/* SA operations that failed: timeouts, refusals */
	uint64_t path_queries;		/* PathRecords asked for VMs */
	uint64_t subscribe_attempts;	/* subscription rounds tried */
	uint64_t sm_resets;		/* checks that found the SM had forgotten us */
	uint64_t reattached;		/* vGUIDs set again after a reset */
	uint64_t checks;		/* periodic checks run */
	uint64_t rejected_source;	/* Reports not from the master SM's LID */
	uint64_t rejected_issuer;	/* ...from it, issued by a port not trusted */
	uint64_t notices_lost;		/* numbers missing between believed notices */
	uint64_t revalidations;		/* re-validation rounds started */
	uint64_t aliases_restored;	/* vGUIDs set again that the SM had dropped */
	uint64_t port_downs;		/* times the port was seen down */
	uint64_t sm_port_guid;		/* the master SM's port (SA NodeRecord); 0 unknown */
};

enum agent_item_kind {
	/* jobs: channel -> SA */
	AGENT_JOB_PATH,			/* PathRecord to gid */
	AGENT_JOB_ATTACH,		/* alias Set of vguid at index (0: first free) */
	AGENT_JOB_DETACH,		/* alias Delete of vguid */
	AGENT_JOB_SUBSCRIPTIONS,	/* per-VM mode: hold n_subs subscriptions per trap */
	AGENT_JOB_REVALIDATE,		/* one PathRecord of a re-validation round */
	AGENT_JOB_ESCROW,		/* one LID escrow request to the master SM */
	/* events: SA -> channel */
	AGENT_EV_REPLY,			/* a job's result: rc and path or alias */
	AGENT_EV_NOTICE,		/* a RePath/UnPath Report */
	AGENT_EV_REVALIDATE,		/* notices may be lost: re-validate every interest */
	AGENT_EV_REVALIDATED,		/* the SA's answer for one interest of the round */
};

/* Who waits for a job's reply: the connection (by its unique number) and request. */
struct agent_reply_to {
	uint64_t conn;			/* 0: nobody waits for a reply */
	uint32_t req_id;
	uint8_t req_type;		/* the VM channel request it answers */
};

/* AGENT_JOB_PATH: a PathRecord to @gid. */
struct agent_job_path {
	struct ibvmig_vmc_gid gid;
};

/* AGENT_JOB_ATTACH, AGENT_JOB_DETACH; also what the reply to either carries. */
struct agent_job_alias {
	uint64_t vguid;
	uint32_t index;			/* 0: ATTACH takes the first free, DETACH looks */
	char name[AT_NAME_MAX + 1];	/* ATTACH: the VM to give the vGUID to, or "" */
};

/* AGENT_JOB_SUBSCRIPTIONS: per-VM mode, hold @n_subs subscriptions per trap. */
struct agent_job_subs {
	unsigned n_subs;
};

/* AGENT_JOB_REVALIDATE: the PathRecord to @gid, for the VMs interested in it. */
struct agent_job_revalidate {
	struct ibvmig_vmc_gid gid;	/* guid 0: nothing to ask (a round without interests) */
	bool last;			/* the round's last job: the SA thread may start another */
};

/*
 * AGENT_JOB_ESCROW: @type is the host CLI's request (IBVMIG_VMC_ESC_*), @esc
 * its fields; the reply carries the SM's answer in the same struct.
 */
struct agent_job_escrow {
	uint8_t type;
	struct ibvmig_vmc_escrow esc;
};

/* AGENT_EV_REVALIDATED: what the SA answered for @gid, stamped as a path-query reply. */
struct agent_ev_revalidated {
	struct ibvmig_vmc_gid gid;
	int rc;				/* 0: @path; -ENOENT: no path; else the SA failed */
	struct ibvmig_sa_path path;
	bool stamped;
	uint32_t epoch;
	uint64_t seq;
};

/* AGENT_EV_REPLY: a job's result. */
struct agent_ev_reply {
	enum agent_item_kind job;	/* the job it answers */
	int rc;				/* 0 or a negative errno */
	char text[IBVMIG_VMC_TEXT_MAX + 1];	/* what failed, or "" */
	union {
		struct {		/* job AGENT_JOB_PATH */
			struct ibvmig_sa_path path;
			bool stamped;	/* ...with the newest notice stamp of the DGID */
			uint32_t epoch;
			uint64_t seq;
		} path;
		struct agent_job_alias alias;	/* jobs AGENT_JOB_ATTACH, AGENT_JOB_DETACH */
		struct agent_job_escrow esc;	/* job AGENT_JOB_ESCROW */
	};
	uint64_t set_us;		/* ATTACH: wall clock when its Set went out, 0: none */
};

/* AGENT_EV_NOTICE: a RePath/UnPath Report. */
struct agent_ev_notice {
	uint16_t trap;
	struct ibvmig_path_notice notice;
	struct timespec received;	/* CLOCK_REALTIME when read */
};

/*
 * One job or event: @kind says which member of the union is valid (the
 * comment of each kind above).  A new kind adds a member, not fields to every
 * item.  @to is where the reply of a job goes, copied into its EV_REPLY.
 */
struct agent_item {
	struct agent_item *next;
	enum agent_item_kind kind;
	struct agent_reply_to to;	/* jobs and EV_REPLY */
	union {
		struct agent_job_path path;	/* AGENT_JOB_PATH */
		struct agent_job_alias alias;	/* AGENT_JOB_ATTACH, AGENT_JOB_DETACH */
		struct agent_job_subs subs;	/* AGENT_JOB_SUBSCRIPTIONS */
		struct agent_job_revalidate reval;	/* AGENT_JOB_REVALIDATE */
		struct agent_job_escrow esc;	/* AGENT_JOB_ESCROW */
		struct agent_ev_reply reply;	/* AGENT_EV_REPLY */
		struct agent_ev_notice notice;	/* AGENT_EV_NOTICE */
		struct agent_ev_revalidated revalidated;	/* AGENT_EV_REVALIDATED */
	};	/* AGENT_EV_REVALIDATE: none */
};

/* A FIFO between two threads; @wake_fd (or -1) gets a byte per push. */
struct agent_queue {
	pthread_mutex_t lock;
	struct agent_item *head, *tail;
	int wake_fd;
};

struct agent {
	struct agent_opts opts;
	struct ibvmig_sa *sa;		/* the SA thread's alone once it runs */
	struct agent_queue jobs;	/* to the SA thread */
	struct agent_queue events;	/* to the channel thread */
	int wake[2];			/* the events' pipe: read end polled by the channel */
	atomic_bool stop;
	pthread_mutex_t status_lock;
	struct agent_sa_status sa_status;
	int64_t started_ms;		/* CLOCK_MONOTONIC */
	int vm_fd, admin_fd, vsock_fd;	/* listeners, -1 when absent */
	struct agent_tell *tell;	/* the SA thread's (agent_tell.c); NULL: no extension */
};

/* agent_main.c */
/* Asks every thread to end (from any thread): the main thread then joins them. */
void agent_stop(struct agent *a);

/* agent_queue.c */
int agent_queue_init(struct agent_queue *q, int wake_fd);
void agent_queue_destroy(struct agent_queue *q);
void agent_queue_push(struct agent_queue *q, struct agent_item *it);
/* Takes every queued item, oldest first (a list through ->next), or NULL. */
struct agent_item *agent_queue_take(struct agent_queue *q);
/* A zeroed item of @kind; NULL when out of memory (logged). */
struct agent_item *agent_item_new(enum agent_item_kind kind);
void agent_items_free(struct agent_item *list);

/* agent_sa.c: the SA thread's body. */
void *agent_sa_thread(void *arg);
void agent_sa_status_get(struct agent *a, struct agent_sa_status *out);

/*
 * agent_escrow.c: runs an escrow job on the SA thread's handle @sa (the SA
 * thread only); the answer, or why none came, into @r.  The token is never
 * logged.  Returns what the answer means for this agent's own port.
 */
enum agent_escrow_window {
	AGENT_ESC_NONE,			/* the own port's LID stays */
	AGENT_ESC_OPEN,			/* the own port's LID moves: the SM readdressed its
					 * subscriptions, and the port takes the LID later */
	AGENT_ESC_CLOSE,		/* the move the own port was part of is over */
};
enum agent_escrow_window agent_escrow_job(struct ibvmig_sa *sa, const struct agent_job_escrow *job,
					  struct agent_ev_reply *r);
/*
 * The rule (pure, for the tests): answer @a to request @type, asked by the
 * port @own.  OPEN: an OK RELEASE, CLAIM or CANCEL of @own, or a QUERY of
 * @own that says moving; CLOSE: a QUERY of @own that says live, cancelled or
 * expired; NONE otherwise (a refusal, another port such as a VF, a held
 * escrow).
 */
enum agent_escrow_window agent_escrow_window(uint8_t type, uint64_t own,
					     const struct ibvmig_vmc_escrow *a);

/*
 * agent_tell.c: tells the standalone SM extension, ibvmig-smx(8), of every
 * alias Set and Delete (doc/tell-protocol.md), and takes its direct
 * PathNotices.  All on the SA thread; no-ops without --extension.
 */
#define AGENT_OPT_EXTENSION 0x200	/* --extension's option value */
bool agent_tell_parse(const char *arg, struct agent_opts *o);
int agent_tell_start(struct agent *a, struct ibvmig_sa *sa);
void agent_tell_stop(struct agent *a);
/* A Set or Delete (IBVMIG_TELL_SET, _DELETE) the SA answered @rc; @index <= 0: not known. */
void agent_tell_alias(struct agent *a, uint8_t op, uint64_t vguid, int index, int rc);
/* Sends what is queued (and a hello when due), after the jobs of a slice. */
void agent_tell_step(struct agent *a, struct ibvmig_sa *sa);

/* agent_chan.c: the channel thread's body and its listeners. */
int agent_chan_listen(struct agent *a);
void agent_chan_close_listeners(struct agent *a);
void *agent_chan_thread(void *arg);

#endif /* IBVMIG_AGENT_H */

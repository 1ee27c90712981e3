/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * escrow.h - private to the plugin: the SM service of the LID/P_Key escrow
 * (doc/escrow-protocol.md).  The escrow core (lid-escrow/lid_escrow.h)
 * decides and journals; this service gives it OpenSM's facts and performs
 * its side effects on OpenSM's tables:
 *
 *   escrow_mad.c      the vendor class 0x09 bind on the SM port, the receive
 *                     callback that queues requests, the answers' sends;
 *   escrow_service.c  the worker thread: mastership, the journal and its
 *                     writer lock, the requests, the side effects, expiry,
 *                     the admin answers;
 *   lid_reserve.c     OpenSM's LID tables: the reservation placeholder, the
 *                     one LID move function, the port facts, the rewrite of
 *                     subscriptions' report addresses;
 *   lid_fast.c        the fast move (doc/fast-move.md): the PortInfo Set and
 *                     the changed LFT blocks sent through OpenSM's request
 *                     path, their acknowledgements, the fallback;
 *   partitions.c      the derived partition file OpenSM reads.
 *
 * LOCKS, in the order taken (never the reverse):
 *   svc->lock        the service mutex: the escrow, its journal, the overlay,
 *                    the tickets; held by the worker and the admin answers
 *                    (never by an OpenSM thread: it is held across fsyncs);
 *   the notice hold  (notices.c) its own mutex;
 *   osm->lock        OpenSM's.
 * svc->q_lock (the request queue and the wake-ups) is a leaf: taken alone,
 * by OpenSM's MAD receive thread and its state manager too, never across
 * anything that blocks.
 *
 * THREADS.  OpenSM's umad receiver thread calls the receive callback, which
 * only copies the MAD into the queue.  OpenSM's state manager reports the
 * sweep events (report(), without osm->lock), which only set counters and
 * wake the worker - and bind the class at HEAVY_SWEEP_START until bound.
 * Everything else runs on the worker: no fsync, file write or LID move
 * delays an SM MAD.  The fast move's SMPs are OpenSM's own requests (its
 * VL15 poller sends them, its receivers store the answers); the worker only
 * posts them and polls OpenSM's stored copies, every millisecond while one
 * is in flight.  LFT_CHANGE events only count (lft_events).
 */
#ifndef IBVMIG_ESCROW_SVC_H
#define IBVMIG_ESCROW_SVC_H

#include "plugin.h"

#include <opensm/osm_madw.h>
#include <vendor/osm_vendor_api.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "esc_prtn.h"
#include "ibvmig_escrow.h"
#include "ibvmig_journal.h"
#include "lid_escrow.h"

#define ESC_SVC_QUEUE 64		/* requests waiting for the worker */
#define ESC_SVC_TICKETS 256		/* LID moves waiting to be seen live */
#define ESC_SVC_DEFERRED 256		/* moves waiting for a LID's old holder to let go */

/* One request, as the receive callback copied it. */
struct esc_svc_mad {
	uint8_t mad[IBVMIG_ESC_MAD_LEN];
	size_t len;
	osm_mad_addr_t addr;
	uint64_t rx_ns;			/* when the receive callback queued it (util_mono_ns) */
};

struct ibvmig_fast;			/* lid_fast.c */

/*
 * What a LID move must show before it is live (lid_reserve.c): @to holds
 * @lid in its PortInfo, @from does not, and a heavy sweep that started after
 * the move has ended (its LFTs route @lid to @to).
 */
struct ibvmig_lid_ticket {
	uint16_t lid;
	uint64_t from;			/* the port losing @lid; 0: the placeholder */
	uint16_t from_new_lid;		/* the LID @from was given */
	uint64_t to;			/* the port getting @lid; 0: the placeholder */
	uint16_t to_old_lid;		/* @to's LID before, freed once live; 0: none */
	uint64_t sweep;			/* heavy sweeps started before the move */
	struct ibvmig_fast *fast;	/* the fast move in flight, owned here; NULL: a sweep's */
};

enum esc_ticket_kind { ESC_TICKET_RESERVE = 1, ESC_TICKET_MOVE = 2 };

struct esc_ticket {
	bool used;
	enum esc_ticket_kind kind;
	uint64_t id;			/* the escrow's */
	struct ibvmig_lid_ticket t;
	uint64_t asked_ms;		/* when a heavy sweep was last asked for it */
	uint64_t rx_ns;			/* when its request came (util_mono_ns); 0: none */
};

struct ibvmig_escrow {
	struct ibvmig_plugin *p;

	/* Set at start, read-only after. */
	char journal_path[PATH_MAX + 32];
	char derived_path[PATH_MAX + 32];	/* the partition file OpenSM is pointed at */
	char operator_path[PATH_MAX];	/* the operator's, never written */

	/* The MAD side (escrow_mad.c). */
	osm_bind_handle_t bind;
	atomic_bool bound;

	/* q_lock: the queue and the wake-ups. */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct esc_svc_mad queue[ESC_SVC_QUEUE];
	unsigned q_head, q_count;
	uint64_t q_dropped;
	bool wake;
	bool stopping;

	/* Set by OpenSM's events (report()), read by the worker. */
	atomic_uint_fast64_t sweeps_started;	/* HEAVY_SWEEP_START */
	atomic_uint_fast64_t sweep_up_of;	/* sweeps_started as of the last SUBNET_UP */
	atomic_uint_fast64_t sweeps_up;		/* SUBNET_UPs */
	atomic_uint_fast64_t lft_events;	/* LFT_CHANGE: LFT blocks acknowledged */
	atomic_uint_fast64_t sweep_start_ns;	/* the last HEAVY_SWEEP_START (util_mono_ns) */
	atomic_uint_fast64_t sweep_lft_at_start;	/* lft_events then */
	atomic_uint_fast64_t last_sweep_ns;	/* the last heavy sweep, start to SUBNET_UP */
	atomic_uint_fast64_t last_sweep_lft;	/* LFT blocks it had acknowledged */
	atomic_uint_fast64_t sweep_smps_at_start;	/* OpenSM's QP0 MADs sent then */
	atomic_uint_fast64_t last_sweep_smps;	/* QP0 MADs the last heavy sweep sent */

	pthread_t thread;
	bool thread_started;

	/* lock: everything below. */
	pthread_mutex_t lock;
	struct jnl *jnl;		/* NULL while not the master's */
	struct esc *esc;		/* NULL while not the master's */
	struct esc_overlay *overlay;	/* the service's own records, in the same journal */
	struct esc_prtn_file *prtn;	/* the operator's file as last read; NULL: none */
	char *prtn_raw;			/* its text (passed on as is when OpenSM cannot read it) */
	char *derived;			/* what was last written to derived_path; NULL: no file */
	bool derived_valid;		/* derived says what the file holds */
	struct timespec prtn_mtime;
	off_t prtn_size;
	ino_t prtn_ino;
	bool prtn_seen;			/* the operator's file existed at the last look */
	bool owner_failed_logged;
	struct esc_ticket tickets[ESC_SVC_TICKETS];
	struct esc_action deferred[ESC_SVC_DEFERRED];
	unsigned ndeferred;
	uint64_t sweep_due_ms;		/* a heavy sweep to ask for then (monotonic); 0: none */
	uint64_t sweep_up_at_start;	/* sweeps_up when the service started */
	uint64_t rx_ns;			/* the request being handled: when it came; 0: none */
	bool fast_busy;			/* a fast move in flight: the worker polls every ms */
	uint64_t requests, answered, mad_errors, moves_live, sweeps_asked;
};

/* ---- escrow_service.c: the service row (plugin.c) and the events --------------------- */

int ibvmig_escrow_start(void *plugin);
void ibvmig_escrow_stop(void *plugin);
/* From report(), without osm->lock: lock-free but for q_lock. */
void ibvmig_escrow_event(struct ibvmig_plugin *p, osm_epi_event_id_t id, const void *data);
/* An admin request for the escrow (engine's admin op): 0 or -errno. */
int ibvmig_escrow_admin(void *plugin, const struct ibvmig_admin_request *req,
			struct ibvmig_rec_writer *w, uint16_t *status);
/* escrow_service.c, for escrow_mad.c: a request queued (q_lock not held). */
void ibvmig_escrow_queue(struct ibvmig_escrow *svc, const void *mad, size_t len,
			 const osm_mad_addr_t *addr);

/* ---- escrow_mad.c -------------------------------------------------------------------- */

/* Binds class 0x09 on the SM port if it has one: true once bound.  State manager thread. */
bool ibvmig_escrow_bind(struct ibvmig_escrow *svc);
void ibvmig_escrow_unbind(struct ibvmig_escrow *svc);
/* Sends one 256-byte answer to @addr (the request's): 0 or -errno.  The worker. */
int ibvmig_escrow_send(struct ibvmig_escrow *svc, const uint8_t mad[IBVMIG_ESC_MAD_LEN],
		       const osm_mad_addr_t *addr);

/* ---- lid_reserve.c: OpenSM's LID tables ---------------------------------------------- */

/* The GUID of the guid2lid entry that keeps @lid out of OpenSM's free pool. */
uint64_t ibvmig_lid_placeholder(uint16_t lid);
bool ibvmig_lid_is_placeholder(uint64_t guid);

/*
 * THE LID move: @lid goes from @from to @to, where either is a port GUID or
 * 0 for the reservation placeholder.  The port losing @lid gets a fresh LID,
 * the port getting it keeps its old one until the move is live (then
 * ibvmig_lid_move_finish frees it).  OpenSM's LID tables (guid2lid,
 * used_lids) are changed under osm->lock, the subscriptions of both ports
 * are readdressed in the same locked step, and the plugin's notices are held
 * until the ticket is live.  Then, by default, @t->fast is the fast move
 * (lid_fast.c: one PortInfo Set and the changed LFT blocks, started by
 * ibvmig_lid_move_done); with @t->fast NULL (the safe path, or a fast move
 * that failed) the caller asks for a heavy sweep, in which OpenSM's LID
 * manager sends the PortInfo Sets and its routing the LFTs.
 * 0 with @t filled; -EAGAIN when another port still holds @lid in its
 * PortInfo (a heavy sweep was asked for it to let go: call again after it);
 * -EADDRINUSE when the tables give @lid to a third port; -ERANGE when no LID
 * is free.  Takes osm->lock (svc->lock held, as everywhere in the service).
 */
int ibvmig_lid_move(struct ibvmig_escrow *svc, uint16_t lid, uint64_t from, uint64_t to,
		    uint16_t to_old_lid, struct ibvmig_lid_ticket *t);
/*
 * 1 once @t is live, 0 not yet, -EIO when its fast move failed: @t then
 * waits for a heavy sweep, which the caller asks for.  Starts @t's fast move
 * the first time (after the request's answer has left: the answer goes to the
 * LID that changes).  Takes osm->lock.
 */
int ibvmig_lid_move_done(struct ibvmig_escrow *svc, struct ibvmig_lid_ticket *t);
/* Frees what @t owns (a fast move not finished).  No lock. */
void ibvmig_lid_ticket_drop(struct ibvmig_lid_ticket *t);
/* After a live move: @t's to_old_lid back to the free pool.  Takes osm->lock. */
void ibvmig_lid_move_finish(struct ibvmig_escrow *svc, const struct ibvmig_lid_ticket *t);
/* @lid back to the free pool (an expiry): the placeholder goes.  Takes osm->lock. */
void ibvmig_lid_free(struct ibvmig_escrow *svc, uint16_t lid);
/*
 * At start, before OpenSM assigns a LID: @lid of a held or moving escrow stays
 * out of the free pool whatever the guid2lid file said, and @source (if it
 * still has @lid there) is given another.  @claimant: the escrow's, whose
 * entry may hold @lid already.  Takes osm->lock.
 */
void ibvmig_lid_keep(struct ibvmig_escrow *svc, uint16_t lid, uint64_t source, uint64_t claimant);
/* Drops the placeholders of LIDs no escrow holds (left by an expiry before a crash). */
unsigned ibvmig_lid_drop_stale(struct ibvmig_escrow *svc);
/* The core's lid_holder callback: the port OpenSM has @lid assigned to, 0 for none. */
uint64_t ibvmig_lid_holder(void *svc, uint16_t lid);
/* Asks OpenSM for a heavy sweep now (no lock held but svc->lock). */
void ibvmig_lid_sweep(struct ibvmig_escrow *svc);

/*
 * What OpenSM knows of port @guid (struct esc_port, lid_escrow.h): LID, MTU,
 * rate, aliases, the switch it hangs off, and (when @keys) its memberships
 * with their source in the partition file @prtn.  -ENOENT: no such port.
 * Takes osm->lock shared.
 */
int ibvmig_port_facts(struct ibvmig_escrow *svc, uint64_t guid, struct esc_port *out,
		      struct esc_key *keys, size_t max_keys);
/* The port GUID behind a MAD's source address, 0 if OpenSM knows none. */
uint64_t ibvmig_requester(struct ibvmig_escrow *svc, const osm_mad_addr_t *addr);
/* This SM's state now, IB_SMINFO_STATE_* (osm->lock shared). */
uint8_t ibvmig_sm_state(struct ibvmig_plugin *p);

/* ---- lid_fast.c: the fast move (doc/fast-move.md) -------------------------------------- */

/*
 * A fast move for @t (just made by ibvmig_lid_move: its LID tables changed),
 * or NULL when it takes the safe path (the reason logged).  @rx_ns: when the
 * request came (0: none).  osm->lock held.
 */
struct ibvmig_fast *ibvmig_fast_plan(struct ibvmig_escrow *svc, const struct ibvmig_lid_ticket *t,
				     uint64_t rx_ns);
/*
 * Starts the move the first time (its SMPs through OpenSM's request path),
 * then: 1 every SMP acknowledged (live), 0 not yet, -errno failed (logged; a
 * heavy sweep must follow).  Takes osm->lock.
 */
int ibvmig_fast_poll(struct ibvmig_escrow *svc, struct ibvmig_fast *f);
void ibvmig_fast_free(struct ibvmig_fast *f);

/* ---- partitions.c ---------------------------------------------------------------------- */

/* Points OpenSM at the derived file; remembers the operator's path.  At start. */
int ibvmig_prtn_setup(struct ibvmig_escrow *svc);
/* Re-reads the operator's file if it changed (or @force): true if it did. */
bool ibvmig_prtn_reload(struct ibvmig_escrow *svc, bool force);
/* Whether the derived file (the operator's with the overlay) names @guid in @pkey. */
bool ibvmig_prtn_names(struct ibvmig_escrow *svc, uint16_t pkey, uint64_t guid);
/* Writes the derived file if its text changed: 1 written, 0 unchanged, -errno. */
int ibvmig_prtn_write(struct ibvmig_escrow *svc);
void ibvmig_prtn_cleanup(struct ibvmig_escrow *svc);

/* ---- notices.c: the plugin's own notices held during a LID move ------------------------ */

void ibvmig_notices_hold(struct ibvmig_plugin *p);
/* Ends the hold and sends what it kept, in order: how many.  Takes osm->lock. */
unsigned ibvmig_notices_release(struct ibvmig_plugin *p);
void ibvmig_notices_init(struct ibvmig_plugin *p);
void ibvmig_notices_destroy(struct ibvmig_plugin *p);

#endif /* IBVMIG_ESCROW_SVC_H */

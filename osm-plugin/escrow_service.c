// SPDX-License-Identifier: BSD-2-Clause
/*
 * escrow_service.c - the SM service of the LID/P_Key escrow: a service row of
 * the plugin (plugin.c) and its worker thread.
 *
 * The worker owns everything that blocks: the journal's fsyncs (every escrow
 * change is durable before its answer leaves, lid-escrow/lid_escrow.h), the
 * derived partition file, the LID moves.  OpenSM's MAD receive thread only
 * queues requests (escrow_mad.c) and its state manager only counts sweeps
 * (ibvmig_escrow_event), so neither an fsync nor a move delays any other MAD
 * of the SM.
 *
 * Mastership.  OpenSM 3.3.23 reports no event when it becomes master
 * (doc/simulator.md, "The Event Plugin Interface"): the worker reads
 * subn.sm_state under osm->lock after each HEAVY_SWEEP_DONE and SUBNET_UP and
 * on every request.  Only the master writes the journal, under its writer
 * lock (ibvmig_journal.h): a standby waits for it (jnl_trylock each second
 * once it is master, while the old master may still be letting go) and the
 * master drops it, with everything it held in memory, when OpenSM enters
 * STANDBY.  At start the service takes the lock if it is free, before
 * OpenSM's first sweep, so that a restarted SM keeps every escrowed LID out
 * of its first LID assignment; a standby's first master sweep has the
 * reservations from the shared guid2lid file (honor_guid2lid_file TRUE).
 *
 * A request: peek and decode (ibvmig_escrow.h), the requester found behind
 * the MAD's source LID, the named port's facts from OpenSM, the core's
 * verdict (durable when it returns), the side effects it queued performed
 * (the LID tables changed in one locked step, the partition overlay made
 * durable and written out), then the answer.  The move itself happens in the
 * heavy sweep asked for escrow_sweep_delay_ms later (so that moves asked
 * together share a sweep), and becomes live when OpenSM has acknowledged the
 * PortInfo Sets and routed the LID (a ticket, lid_reserve.c); QUERY says so.
 *
 * LOCKS/THREADS: escrow.h.  Log codes of this file: DBxx (doc/log-codes.md).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_event_plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escrow.h"
#include "ibvmig_admin.h"

#define WAKE_MS 1000			/* the worker's longest sleep: expiry, the partition file */
#define TICKET_RESWEEP_MS 5000		/* a move not live this long after its sweep: ask again */
#define JOURNAL_COMPACT_FACTOR 4

static const char *const op_names[] = { "", "RELEASE", "", "CLAIM", "", "CANCEL", "", "QUERY" };

/* ---- the queue and the wake-ups (q_lock) -------------------------------------------- */

static void wake(struct ibvmig_escrow *svc)
{
	pthread_mutex_lock(&svc->q_lock);
	svc->wake = true;
	pthread_cond_signal(&svc->q_cond);
	pthread_mutex_unlock(&svc->q_lock);
}

void ibvmig_escrow_queue(struct ibvmig_escrow *svc, const void *mad, size_t len,
			 const osm_mad_addr_t *addr)
{
	struct esc_svc_mad *m;

	pthread_mutex_lock(&svc->q_lock);
	if (svc->q_count == ESC_SVC_QUEUE) {
		/* The requester resends with the same TID (ibvmig_sa.h): it loses a try, no more. */
		svc->q_dropped++;
	} else {
		m = &svc->queue[(svc->q_head + svc->q_count++) % ESC_SVC_QUEUE];
		memset(m->mad, 0, sizeof(m->mad));
		memcpy(m->mad, mad, len < sizeof(m->mad) ? len : sizeof(m->mad));
		m->len = len;	/* the decoder refuses any length but 256 */
		m->addr = *addr;
		m->rx_ns = util_mono_ns();
		svc->wake = true;
		pthread_cond_signal(&svc->q_cond);
	}
	pthread_mutex_unlock(&svc->q_lock);
}

/* Waits up to @ms for work; takes the queued requests.  False when stopping. */
static bool wait_work(struct ibvmig_escrow *svc, unsigned ms, struct esc_svc_mad *batch,
		      unsigned *n)
{
	struct timespec ts;
	bool go;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&svc->q_lock);
	while (!svc->wake && !svc->q_count && !svc->stopping)
		if (pthread_cond_timedwait(&svc->q_cond, &svc->q_lock, &ts))
			break;
	for (*n = 0; svc->q_count; svc->q_count--, (*n)++) {
		batch[*n] = svc->queue[svc->q_head];
		svc->q_head = (svc->q_head + 1) % ESC_SVC_QUEUE;
	}
	svc->wake = false;
	go = !svc->stopping;
	pthread_mutex_unlock(&svc->q_lock);
	return go;
}

/* ---- OpenSM's events ---------------------------------------------------------------- */

void ibvmig_escrow_event(struct ibvmig_plugin *p, osm_epi_event_id_t id, const void *data)
{
	const osm_epi_lft_change_event_t *lft = data;

	struct ibvmig_escrow *svc = p->escrow;

	if (!svc)
		return;
	switch (id) {
	case OSM_EVENT_ID_LFT_CHANGE:
		/*
		 * One per LFT block OpenSM stored from a switch's answer
		 * (osm_lft_rcv_process()); a LinearFDBTop change comes as one too.
		 */
		if (lft && (lft->flags & LFT_CHANGED_BLOCK))
			atomic_fetch_add(&svc->lft_events, 1);
		break;
	case OSM_EVENT_ID_HEAVY_SWEEP_START:
		atomic_store(&svc->sweep_start_ns, util_mono_ns());
		atomic_store(&svc->sweep_lft_at_start, atomic_load(&svc->lft_events));
		atomic_store(&svc->sweep_smps_at_start, (uint32_t)p->osm->stats.qp0_mads_sent);
		atomic_fetch_add(&svc->sweeps_started, 1);
		/* OpenSM has bound its port by its first sweep; we bind as soon as it has. */
		ibvmig_escrow_bind(svc);
		wake(svc);
		break;
	case OSM_EVENT_ID_SUBNET_UP:
		atomic_store(&svc->last_sweep_ns, util_mono_ns() - atomic_load(&svc->sweep_start_ns));
		atomic_store(&svc->last_sweep_lft,
			     atomic_load(&svc->lft_events) - atomic_load(&svc->sweep_lft_at_start));
		/* OpenSM's counter is 32 bits: the difference modulo 2^32. */
		atomic_store(&svc->last_sweep_smps,
			     (uint32_t)((uint32_t)p->osm->stats.qp0_mads_sent -
					(uint32_t)atomic_load(&svc->sweep_smps_at_start)));
		atomic_store(&svc->sweep_up_of, atomic_load(&svc->sweeps_started));
		atomic_fetch_add(&svc->sweeps_up, 1);
		wake(svc);
		break;
	case OSM_EVENT_ID_HEAVY_SWEEP_DONE:
	case OSM_EVENT_ID_STATE_CHANGE:
		wake(svc);	/* the worker reads sm_state */
		break;
	default:
		break;
	}
}

/* ---- the journal and its owner (svc->lock held) ---------------------------------------- */

static int apply_record(void *ctx, const struct jnl_record *rec)
{
	struct ibvmig_escrow *svc = ctx;
	struct esc_ovl_entry e;

	if (rec->type >= JNL_TYPE_ESCROW_MIN && rec->type <= JNL_TYPE_ESCROW_MAX)
		return esc_journal_apply(svc->esc, rec);
	if (rec->type < JNL_TYPE_SERVICE_MIN || rec->type > JNL_TYPE_SERVICE_MAX)
		return 0;	/* another owner's */
	/* A record that cannot be right stops the service, as the escrow's own do. */
	if (rec->type != ESC_JREC_OVERLAY || esc_ovl_jrec_decode(rec->data, rec->len, &e))
		return -EBADMSG;
	return esc_overlay_put(svc->overlay, &e) == -ENOMEM ? -ENOMEM : 0;
}

static int snapshot(void *ctx, struct jnl_snap *snap)
{
	struct ibvmig_escrow *svc = ctx;
	uint8_t rec[ESC_OVL_JREC_LEN];
	struct esc_ovl_entry *list;
	size_t n, i;
	int rc;

	rc = esc_journal_snapshot(svc->esc, snap);
	if (!rc)
		rc = esc_overlay_list(svc->overlay, &list, &n);
	for (i = 0; !rc && i < n; i++) {
		esc_ovl_jrec_encode(&list[i], rec);
		rc = jnl_snap_put(snap, ESC_JREC_OVERLAY, rec, sizeof(rec));
	}
	if (!rc)
		free(list);
	return rc;
}

static struct esc *new_escrow(struct ibvmig_escrow *svc, struct jnl *j)
{
	const struct ibvmig_conf *c = &svc->p->conf;
	struct esc_vswitch vsw[IBVMIG_CONF_VSWITCH_MAX];
	struct esc_config ec;
	unsigned i;

	for (i = 0; i < c->vswitch_count; i++) {
		vsw[i].switch_guid = c->vswitch[i].switch_guid;
		vsw[i].pf_guid = c->vswitch[i].pf_guid;
	}
	memset(&ec, 0, sizeof(ec));
	ec.journal = j;
	ec.compact = false;		/* the journal is shared with the overlay: we compact */
	ec.capacity = c->escrow_capacity;
	ec.ttl_ms = c->escrow_ttl_ms;
	ec.vswitches = vsw;
	ec.nvswitches = c->vswitch_count;
	ec.lid_holder = ibvmig_lid_holder;
	ec.lid_holder_ctx = svc;
	return esc_create(&ec);
}

/* OpenSM keeps each held or moving escrow's LID where it keeps LIDs (lid_reserve.c). */
static void keep_reserved(struct ibvmig_escrow *svc)
{
	struct esc_view *v;
	size_t n, i;
	unsigned stale;

	if (esc_list(svc->esc, &v, &n))
		return;
	for (i = 0; i < n; i++) {
		if (v[i].state == ESC_HELD)
			ibvmig_lid_keep(svc, v[i].lid, v[i].source, 0);
		else if (v[i].state == ESC_MOVING)
			ibvmig_lid_keep(svc, v[i].lid, v[i].source,
					v[i].to_source ? v[i].source : v[i].claimant);
	}
	free(v);
	stale = ibvmig_lid_drop_stale(svc);
	if (stale)
		IBVMIG_INFO(svc->p, "escrow: %u reservations no escrow holds any more dropped "
			    "from guid2lid", stale);
}

/* Takes the journal's writer lock and replays it: 0, -EWOULDBLOCK (another SM has it). */
static int own(struct ibvmig_escrow *svc)
{
	struct jnl_config jc = { .path = svc->journal_path,
				 .compact_factor = JOURNAL_COMPACT_FACTOR };
	struct jnl_report rep;
	struct esc_stats st;
	struct jnl *j;
	struct esc *e = NULL;
	int rc;

	j = jnl_new(&jc);
	if (!j)
		return -errno;
	rc = jnl_trylock(j);
	if (rc)
		goto fail;
	e = new_escrow(svc, j);
	if (!e) {
		rc = -errno;
		goto fail;
	}
	svc->esc = e;
	memset(&rep, 0, sizeof(rep));
	rc = jnl_open(j, apply_record, svc, &rep);
	if (!rc)
		rc = esc_start(e, util_wall_ms());
	if (rc) {
		IBVMIG_ERROR(svc->p, "ERR DB01: escrow journal %s: %s (%s): the escrow does not "
			     "answer until it can be read (every reserved LID would be forgotten)",
			     svc->journal_path, strerror(-rc),
			     *esc_why(e) ? esc_why(e) : rep.why ? rep.why : jnl_why(j));
		goto fail;
	}
	svc->jnl = j;
	esc_get_stats(e, &st);
	IBVMIG_INFO(svc->p, "escrow: journal %s open%s (%" PRIu64 " records replayed: %u held, "
		    "%u moving, %u finished; %zu overlay entries)%s", svc->journal_path,
		    rep.created ? ", new" : "", st.replayed, st.held, st.moving, st.finished,
		    esc_overlay_count(svc->overlay), rep.torn ? "; a torn last write dropped" : "");
	keep_reserved(svc);
	ibvmig_prtn_write(svc);
	svc->owner_failed_logged = false;
	return 0;
fail:
	esc_destroy(e);
	svc->esc = NULL;
	jnl_free(j);
	/* Whatever was replayed into the overlay goes with the failed journal. */
	esc_overlay_free(svc->overlay);
	svc->overlay = esc_overlay_new();
	return rc;
}

static void drop_tickets(struct ibvmig_escrow *svc)
{
	unsigned i;

	for (i = 0; i < ESC_SVC_TICKETS; i++)
		ibvmig_lid_ticket_drop(&svc->tickets[i].t);
	memset(svc->tickets, 0, sizeof(svc->tickets));
}

static void disown(struct ibvmig_escrow *svc, const char *why)
{
	if (!svc->esc)
		return;
	esc_destroy(svc->esc);
	svc->esc = NULL;
	jnl_free(svc->jnl);		/* closes it and drops the writer lock */
	svc->jnl = NULL;
	esc_overlay_free(svc->overlay);
	svc->overlay = esc_overlay_new();
	drop_tickets(svc);
	svc->ndeferred = 0;
	svc->sweep_due_ms = 0;
	ibvmig_notices_release(svc->p);
	IBVMIG_INFO(svc->p, "escrow: %s: journal %s released for the next master", why,
		    svc->journal_path);
}

/* The journal follows the mastership (see the top of this file). */
static void follow_mastership(struct ibvmig_escrow *svc)
{
	uint8_t state = ibvmig_sm_state(svc->p);
	int rc;

	if (state != IB_SMINFO_STATE_MASTER) {
		/* DISCOVERING may yet become MASTER: only STANDBY and NOTACTIVE let go. */
		if (state == IB_SMINFO_STATE_STANDBY || state == IB_SMINFO_STATE_NOTACTIVE)
			disown(svc, "this SM is not master any more");
		return;
	}
	if (svc->esc)
		return;
	rc = own(svc);
	if (rc && !svc->owner_failed_logged) {
		IBVMIG_ERROR(svc->p, "ERR DB02: master, but the escrow journal %s is not ours yet "
			     "(%s): escrow requests are answered \"journal unavailable\" until it is",
			     svc->journal_path, rc == -EWOULDBLOCK ? "another SM holds its lock" :
			     strerror(-rc));
		svc->owner_failed_logged = true;
	}
}

/* ---- side effects ---------------------------------------------------------------------- */

static void sweep_soon(struct ibvmig_escrow *svc)
{
	if (!svc->sweep_due_ms)
		svc->sweep_due_ms = util_mono_ms() + svc->p->conf.escrow_sweep_delay_ms;
}

/* The memberships @a moves, durable before the derived file shows them: 0, or -EIO. */
static int overlay_apply(struct ibvmig_escrow *svc, const struct esc_action *a)
{
	struct esc_ovl_entry e[ESC_OVL_ACTION_MAX];
	uint8_t recs[ESC_OVL_ACTION_MAX][ESC_OVL_JREC_LEN];
	struct jnl_entry ent[ESC_OVL_ACTION_MAX];
	size_t n, i;
	int rc;

	esc_overlay_action(svc->overlay, svc->prtn, a, e, &n);
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		esc_ovl_jrec_encode(&e[i], recs[i]);
		ent[i] = (struct jnl_entry){ ESC_JREC_OVERLAY, recs[i], ESC_OVL_JREC_LEN };
	}
	rc = jnl_append_batch(svc->jnl, ent, n, NULL);
	if (rc) {
		IBVMIG_ERROR(svc->p, "ERR DB03: escrow %" PRIu64 ": its memberships cannot be made "
			     "durable (%s): the move waits", a->id, jnl_why(svc->jnl));
		return -EIO;
	}
	for (i = 0; i < n; i++)
		esc_overlay_put(svc->overlay, &e[i]);
	if (ibvmig_prtn_write(svc) > 0)
		sweep_soon(svc);
	return 0;
}

static struct esc_ticket *new_ticket(struct ibvmig_escrow *svc)
{
	unsigned i;

	for (i = 0; i < ESC_SVC_TICKETS; i++)
		if (!svc->tickets[i].used)
			return &svc->tickets[i];
	return NULL;
}

static bool reserve_pending(const struct ibvmig_escrow *svc, uint16_t lid)
{
	unsigned i;

	for (i = 0; i < ESC_SVC_TICKETS; i++)
		if (svc->tickets[i].used && svc->tickets[i].t.lid == lid)
			return true;
	return false;
}

/* One side effect: 0 done (or for good undoable), -EAGAIN to be tried again later. */
static int do_action(struct ibvmig_escrow *svc, const struct esc_action *a)
{
	struct ibvmig_lid_ticket t;
	struct esc_ticket *tk;
	const char *when;
	int rc;

	if (a->type == ESC_ACT_FREE) {
		ibvmig_lid_free(svc, a->lid);
		IBVMIG_INFO(svc->p, "escrow %" PRIu64 ": over; LID %u back to the free pool, its "
			    "memberships to nobody", a->id, a->lid);
		return 0;
	}
	/*
	 * A move waits for the port that had L to let go, and, after a start, for
	 * a sweep to show which ports hold what (OpenSM knows no PortInfo yet).
	 */
	if (a->type == ESC_ACT_MOVE &&
	    (atomic_load(&svc->sweeps_up) == svc->sweep_up_at_start || reserve_pending(svc, a->lid)))
		return -EAGAIN;
	tk = new_ticket(svc);
	if (!tk || overlay_apply(svc, a))
		return -EAGAIN;
	if (a->type == ESC_ACT_RESERVE)
		rc = ibvmig_lid_move(svc, a->lid, a->source, 0, 0, &t);
	else
		rc = ibvmig_lid_move(svc, a->lid, 0, a->port, a->old_lid, &t);
	if (rc) {
		if (rc == -EAGAIN)
			sweep_soon(svc);	/* the old holder was given another LID */
		return -EAGAIN;
	}
	*tk = (struct esc_ticket){ .used = true, .id = a->id, .t = t, .asked_ms = util_mono_ms(),
				   .rx_ns = svc->rx_ns, .kind = a->type == ESC_ACT_RESERVE ? ESC_TICKET_RESERVE
								      : ESC_TICKET_MOVE };
	/* A fast move needs no sweep (lid_fast.c); it starts once the answer has left. */
	if (t.fast)
		svc->fast_busy = true;
	else
		sweep_soon(svc);
	when = t.fast ? "now, without a sweep" : "at the next sweep";
	if (a->type == ESC_ACT_RESERVE)
		IBVMIG_INFO(svc->p, "escrow %" PRIu64 ": LID %u reserved; port 0x%016" PRIx64
			    " gets LID %u %s", a->id, a->lid, a->source, t.from_new_lid, when);
	else
		IBVMIG_INFO(svc->p, "escrow %" PRIu64 ": LID %u moves to port 0x%016" PRIx64
			    "%s %s", a->id, a->lid, a->port,
			    a->to_source ? " (back to its source)" : "", when);
	return 0;
}

static void defer(struct ibvmig_escrow *svc, const struct esc_action *a)
{
	if (svc->ndeferred == ESC_SVC_DEFERRED) {
		IBVMIG_ERROR(svc->p, "ERR DB04: escrow %" PRIu64 ": too many moves waiting: its "
			     "LID %u waits for the next restart", a->id, a->lid);
		return;
	}
	svc->deferred[svc->ndeferred++] = *a;
}

/* The deferred side effects, then every one the core queued since. */
static void apply_actions(struct ibvmig_escrow *svc)
{
	struct esc_action a;
	unsigned i, n = svc->ndeferred;

	if (!svc->esc)
		return;
	svc->ndeferred = 0;
	for (i = 0; i < n; i++) {
		a = svc->deferred[i];
		if (do_action(svc, &a) == -EAGAIN)
			defer(svc, &a);
	}
	while (esc_next_action(svc->esc, &a) == 0)
		if (do_action(svc, &a) == -EAGAIN)
			defer(svc, &a);
}

static void ticket_live(struct ibvmig_escrow *svc, struct esc_ticket *tk)
{
	/* From the request to live, for the benchmark (doc/fast-move.md): 0 if none. */
	uint64_t us = tk->rx_ns ? (util_mono_ns() - tk->rx_ns) / 1000 : 0;
	int rc;

	if (tk->kind == ESC_TICKET_MOVE) {
		rc = esc_move_live(svc->esc, tk->id, util_wall_ms());
		if (rc == -EIO) {
			IBVMIG_ERROR(svc->p, "ERR DB05: escrow %" PRIu64 ": live, but the journal "
				     "cannot say so (%s): tried again", tk->id, jnl_why(svc->jnl));
			return;
		}
		ibvmig_lid_move_finish(svc, &tk->t);
		svc->moves_live++;
		IBVMIG_INFO(svc->p, "escrow %" PRIu64 ": live: port 0x%016" PRIx64 " has LID %u"
			    "%s; rx_to_live_us=%" PRIu64, tk->id, tk->t.to, tk->t.lid,
			    tk->t.to_old_lid ? ", its old LID back to the free pool" : "", us);
	} else {
		IBVMIG_INFO(svc->p, "escrow %" PRIu64 ": LID %u held; port 0x%016" PRIx64
			    " has LID %u; rx_to_live_us=%" PRIu64, tk->id, tk->t.lid, tk->t.from,
			    tk->t.from_new_lid, us);
	}
	tk->used = false;
}

static void check_tickets(struct ibvmig_escrow *svc)
{
	uint64_t now = util_mono_ms();
	unsigned i, left = 0, sent, live = 0;
	int rc;

	svc->fast_busy = false;
	for (i = 0; i < ESC_SVC_TICKETS; i++) {
		struct esc_ticket *tk = &svc->tickets[i];

		if (!tk->used)
			continue;
		rc = ibvmig_lid_move_done(svc, &tk->t);
		if (rc == 1) {
			ticket_live(svc, tk);
			live++;
		} else if (rc == -EIO) {
			/* The fast move failed (lid_fast.c logged why): a heavy sweep does it. */
			tk->asked_ms = now;
			sweep_soon(svc);
		} else if (now - tk->asked_ms > TICKET_RESWEEP_MS) {
			/* A sweep can end early (a transaction failed): ask for another. */
			tk->asked_ms = now;
			sweep_soon(svc);
		}
		left += tk->used;
		svc->fast_busy |= tk->used && tk->t.fast;
	}
	/* A move that waited for this LID's reservation to be live goes now, not at a sweep. */
	if (live && svc->ndeferred) {
		apply_actions(svc);
		left++;		/* its ticket is new: the notices wait for the next look */
	}
	if (left || svc->ndeferred || !svc->p->holding)
		return;
	sent = ibvmig_notices_release(svc->p);
	if (sent)
		IBVMIG_INFO(svc->p, "escrow: %u notices held during the LID move sent", sent);
}

/* ---- requests -------------------------------------------------------------------------- */

static void send_mad_error(struct ibvmig_escrow *svc, const struct esc_svc_mad *m,
			   const struct ibvmig_esc_hdr *hdr, uint16_t status)
{
	uint8_t out[IBVMIG_ESC_MAD_LEN];

	ibvmig_esc_encode_mad_error(hdr, status, out);
	svc->mad_errors++;
	ibvmig_escrow_send(svc, out, &m->addr);
}

static enum ibvmig_esc_err decode_request(enum ibvmig_esc_msg msg, const struct esc_svc_mad *m,
					  struct ibvmig_esc_hdr *hdr, struct ibvmig_esc_req *r)
{
	switch (msg) {
	case IBVMIG_ESC_RELEASE_REQ:
		return ibvmig_esc_release_req_decode(m->mad, m->len, hdr, r);
	case IBVMIG_ESC_CLAIM_REQ:
		return ibvmig_esc_claim_req_decode(m->mad, m->len, hdr, r);
	case IBVMIG_ESC_CANCEL_REQ:
		return ibvmig_esc_cancel_req_decode(m->mad, m->len, hdr, r);
	default:
		return ibvmig_esc_query_req_decode(m->mad, m->len, hdr, r);
	}
}

static enum ibvmig_esc_err encode_answer(enum ibvmig_esc_msg msg, uint64_t tid,
					 const struct ibvmig_esc_resp *r,
					 uint8_t out[IBVMIG_ESC_MAD_LEN])
{
	switch (msg) {
	case IBVMIG_ESC_RELEASE_REQ:
		return ibvmig_esc_release_resp_encode(tid, r, out);
	case IBVMIG_ESC_CLAIM_REQ:
		return ibvmig_esc_claim_resp_encode(tid, r, out);
	case IBVMIG_ESC_CANCEL_REQ:
		return ibvmig_esc_cancel_resp_encode(tid, r, out);
	default:
		return ibvmig_esc_query_resp_encode(tid, r, out);
	}
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The core's answer as the wire carries it. */
static void answer_fields(enum ibvmig_esc_msg msg, const struct esc_request *r,
			  const struct esc_answer *a, uint64_t now, struct ibvmig_esc_resp *out)
{
	const struct esc_view *v = &a->view;

	memset(out, 0, sizeof(*out));
	out->status = (uint8_t)a->status;
	out->port_guid = r->port.guid;
	if (a->status != ESC_OK) {
		if (a->status == ESC_E_RATE_LIMITED)
			out->retry_after_ms = clamp32(a->retry_after_ms);
		return;
	}
	out->state = (uint8_t)v->state;
	out->lid = v->lid;
	out->mtu = v->mtu;
	out->rate = v->rate;
	out->dest_guid = v->dest;
	out->source_guid = v->source;
	if (v->state != ESC_HELD && v->state != ESC_EXPIRED)
		out->claimant_guid = v->claimant;
	if (msg == IBVMIG_ESC_RELEASE_REQ)
		memcpy(out->token, a->token, IBVMIG_ESC_TOKEN_LEN);
	out->created_ms = v->created_ms;
	out->changed_ms = v->changed_ms;
	if (v->state == ESC_HELD && v->expires_ms > now)
		out->expires_in_ms = clamp32(v->expires_ms - now);
	out->nkeys = (uint8_t)v->nkeys;
	memcpy(out->keys, v->keys, v->nkeys * sizeof(v->keys[0]));
}

/* The facts of the port a request names; RELEASE with its memberships. */
static void request_of(struct ibvmig_escrow *svc, enum ibvmig_esc_msg msg,
		       const struct esc_svc_mad *m, const struct ibvmig_esc_hdr *hdr,
		       const struct ibvmig_esc_req *in, struct esc_key *keys,
		       struct esc_request *r)
{
	memset(r, 0, sizeof(*r));
	r->requester = ibvmig_requester(svc, &m->addr);
	r->tid = hdr->tid;
	r->master = ibvmig_sm_state(svc->p) == IB_SMINFO_STATE_MASTER;
	r->now_ms = util_wall_ms();
	r->dest = in->dest_guid;
	memcpy(r->token, in->token, ESC_TOKEN_LEN);
	/* An unknown port keeps only its GUID: the core judges what that means. */
	ibvmig_port_facts(svc, in->port_guid, &r->port, msg == IBVMIG_ESC_RELEASE_REQ ? keys : NULL,
			  ESC_KEYS_MAX + 1);
}

static enum esc_status judge(struct ibvmig_escrow *svc, enum ibvmig_esc_msg msg,
			     const struct esc_request *r, struct esc_answer *a)
{
	if (!svc->esc) {
		memset(a, 0, sizeof(*a));
		a->status = r->master ? ESC_E_JOURNAL : ESC_E_NOT_MASTER;
		return a->status;
	}
	switch (msg) {
	case IBVMIG_ESC_RELEASE_REQ:
		return esc_release(svc->esc, r, a);
	case IBVMIG_ESC_CLAIM_REQ:
		return esc_claim(svc->esc, r, a);
	case IBVMIG_ESC_CANCEL_REQ:
		return esc_cancel(svc->esc, r, a);
	default:
		return esc_query(svc->esc, r, a);
	}
}

/* Every operation logged with who asked - never the token. */
static void log_request(struct ibvmig_escrow *svc, enum ibvmig_esc_msg msg,
			const struct esc_request *r, const struct esc_answer *a)
{
	char dest[40] = "", what[96];

	if (msg == IBVMIG_ESC_RELEASE_REQ)
		snprintf(dest, sizeof(dest), " for 0x%016" PRIx64, r->dest);
	if (msg == IBVMIG_ESC_RELEASE_REQ && !r->dest)
		snprintf(dest, sizeof(dest), " for any port");
	if (a->status == ESC_OK)
		snprintf(what, sizeof(what), "escrow %" PRIu64 " %s, LID %u%s", a->view.id,
			 esc_state_name(a->view.state), a->view.lid,
			 a->retransmit ? " (a retransmission: the first answer again)" : "");
	else
		snprintf(what, sizeof(what), "refused: %s", esc_strerror(a->status));
	IBVMIG_INFO(svc->p, "escrow: %s of port 0x%016" PRIx64 " (LID %u)%s asked by port "
		    "0x%016" PRIx64 ": %s", op_names[msg], r->port.guid, r->port.lid, dest,
		    r->requester, what);
}

static void handle_request(struct ibvmig_escrow *svc, const struct esc_svc_mad *m)
{
	struct esc_key keys[ESC_KEYS_MAX + 1];
	uint8_t out[IBVMIG_ESC_MAD_LEN];
	struct ibvmig_esc_resp resp;
	struct ibvmig_esc_hdr hdr;
	struct ibvmig_esc_req in;
	enum ibvmig_esc_msg msg;
	enum ibvmig_esc_err err;
	struct esc_request r;
	struct esc_answer a;
	uint64_t from;

	svc->requests++;
	memset(&hdr, 0, sizeof(hdr));
	err = ibvmig_esc_peek(m->mad, m->len, &msg, &hdr);
	from = ibvmig_requester(svc, &m->addr);
	if (err == IBVMIG_ESC_E_METHOD || err == IBVMIG_ESC_E_ATTR) {
		/* IBA vol 1, 13.4.7: unsupported method/attribute combination. */
		IBVMIG_INFO(svc->p, "escrow: a MAD from port 0x%016" PRIx64 " (LID %u) refused: %s",
			    from, cl_ntoh16(m->addr.dest_lid), ibvmig_esc_strerror(err));
		send_mad_error(svc, m, &hdr, 0x000C);
		return;
	}
	if (err || !(msg == IBVMIG_ESC_RELEASE_REQ || msg == IBVMIG_ESC_CLAIM_REQ ||
		     msg == IBVMIG_ESC_CANCEL_REQ || msg == IBVMIG_ESC_QUERY_REQ)) {
		/* Not a request of ours at all (a wrong length, an answer): never answered. */
		IBVMIG_INFO(svc->p, "escrow: a MAD from port 0x%016" PRIx64 " dropped: %s", from,
			    err ? ibvmig_esc_strerror(err) : "an answer, and we ask nothing");
		return;
	}
	err = decode_request(msg, m, &hdr, &in);
	if (err) {
		/* 13.4.7: invalid field value; the codec's reason in the log. */
		IBVMIG_INFO(svc->p, "escrow: a %s from port 0x%016" PRIx64 " refused as malformed: "
			    "%s", op_names[msg], from, ibvmig_esc_strerror(err));
		send_mad_error(svc, m, &hdr, 0x001C);
		return;
	}
	request_of(svc, msg, m, &hdr, &in, keys, &r);
	judge(svc, msg, &r, &a);
	log_request(svc, msg, &r, &a);
	/* The side effects go into OpenSM's tables before the answer leaves. */
	svc->rx_ns = m->rx_ns;
	apply_actions(svc);
	svc->rx_ns = 0;
	answer_fields(msg, &r, &a, r.now_ms, &resp);
	explicit_bzero(&a, sizeof(a));
	err = encode_answer(msg, hdr.tid, &resp, out);
	explicit_bzero(&resp, sizeof(resp));
	if (err) {
		IBVMIG_ERROR(svc->p, "ERR DB06: an escrow answer could not be encoded (%s): a bug; "
			     "the requester gets \"invalid field\"", ibvmig_esc_strerror(err));
		send_mad_error(svc, m, &hdr, 0x001C);
		return;
	}
	if (!ibvmig_escrow_send(svc, out, &m->addr))
		svc->answered++;
	explicit_bzero(out, sizeof(out));
}

/* ---- the worker ------------------------------------------------------------------------- */

static unsigned sleep_ms(const struct ibvmig_escrow *svc)
{
	uint64_t now = util_mono_ms();

	/* A fast move in flight: its answers come within milliseconds (lid_fast.c). */
	if (svc->fast_busy)
		return 1;
	if (!svc->sweep_due_ms)
		return WAKE_MS;
	if (svc->sweep_due_ms <= now)
		return 0;
	return svc->sweep_due_ms - now < WAKE_MS ? (unsigned)(svc->sweep_due_ms - now) : WAKE_MS;
}

static void housekeeping(struct ibvmig_escrow *svc, uint64_t *next_prtn_ms)
{
	uint64_t now = util_mono_ms();

	if (svc->esc && esc_expire(svc->esc, util_wall_ms()) > 0)
		apply_actions(svc);
	if (now >= *next_prtn_ms) {
		*next_prtn_ms = now + WAKE_MS;
		if (ibvmig_prtn_reload(svc, false) && svc->esc && ibvmig_prtn_write(svc) > 0)
			sweep_soon(svc);
	}
	if (svc->sweep_due_ms && now >= svc->sweep_due_ms) {
		svc->sweep_due_ms = 0;
		svc->sweeps_asked++;
		ibvmig_lid_sweep(svc);
	}
	if (svc->jnl && jnl_compact_due(svc->jnl) && jnl_compact(svc->jnl, snapshot, svc))
		IBVMIG_ERROR(svc->p, "ERR DB07: escrow journal %s: compaction failed (%s): it "
			     "keeps growing until one works", svc->journal_path, jnl_why(svc->jnl));
}

/* What the last heavy sweep cost: the fast move's yardstick (doc/fast-move.md). */
static void log_sweep(struct ibvmig_escrow *svc)
{
	if (!svc->esc)
		return;
	IBVMIG_INFO(svc->p, "escrow: heavy sweep: sweep_us=%" PRIu64 " lft_acked=%" PRIu64
		    " smps=%" PRIu64, (uint64_t)atomic_load(&svc->last_sweep_ns) / 1000,
		    (uint64_t)atomic_load(&svc->last_sweep_lft),
		    (uint64_t)atomic_load(&svc->last_sweep_smps));
}

static void *worker(void *arg)
{
	struct ibvmig_escrow *svc = arg;
	struct esc_svc_mad *batch = malloc(sizeof(*batch) * ESC_SVC_QUEUE);
	uint64_t next_prtn_ms = 0, seen_up = 0;
	unsigned n = 0, i;

	if (!batch)
		return NULL;
	while (wait_work(svc, sleep_ms(svc), batch, &n)) {
		uint64_t up = atomic_load(&svc->sweeps_up);

		pthread_mutex_lock(&svc->lock);
		follow_mastership(svc);
		for (i = 0; i < n; i++)
			handle_request(svc, &batch[i]);
		if (up != seen_up) {
			seen_up = up;
			log_sweep(svc);
			apply_actions(svc);	/* moves waiting for a sweep */
		}
		check_tickets(svc);
		housekeeping(svc, &next_prtn_ms);
		pthread_mutex_unlock(&svc->lock);
	}
	free(batch);
	return NULL;
}

/* ---- the service row ---------------------------------------------------------------------- */

static bool refused(struct ibvmig_plugin *p)
{
	const osm_subn_opt_t *opt = &p->osm->subn.opt;

	if (opt->reassign_lids) {
		IBVMIG_ERROR(p, "ERR DB08: the escrow does not run with reassign_lids TRUE: OpenSM "
			     "then gives every port a new LID at its first sweep, escrowed or not; "
			     "set it FALSE (the rest of the plugin runs)");
		return true;
	}
	if (opt->lmc) {
		IBVMIG_ERROR(p, "ERR DB09: the escrow moves one LID per port and does not run with "
			     "lmc %u (the rest of the plugin runs)", opt->lmc);
		return true;
	}
	/* Not an error for a lone SM, whose restarts read guid2lid whatever it says. */
	if (!opt->honor_guid2lid_file)
		IBVMIG_INFO(p, "escrow: honor_guid2lid_file is FALSE: where a standby runs, set it "
			    "TRUE, or the standby forgets OpenSM's guid2lid file, escrowed LIDs "
			    "included, for its first sweep as master");
	return false;
}

static void paths(struct ibvmig_escrow *svc)
{
	const struct ibvmig_conf *c = &svc->p->conf;
	const char *dir = c->state_dir[0] ? c->state_dir : svc->p->state_dir;

	if (c->escrow_journal[0])
		snprintf(svc->journal_path, sizeof(svc->journal_path), "%s", c->escrow_journal);
	else
		snprintf(svc->journal_path, sizeof(svc->journal_path), "%s/escrow-journal", dir);
	if (c->escrow_partitions[0])
		snprintf(svc->derived_path, sizeof(svc->derived_path), "%s", c->escrow_partitions);
	else
		snprintf(svc->derived_path, sizeof(svc->derived_path), "%s/partitions.conf", dir);
}

static void free_service(struct ibvmig_escrow *svc)
{
	disown(svc, "stopping");
	ibvmig_prtn_cleanup(svc);
	esc_overlay_free(svc->overlay);
	pthread_cond_destroy(&svc->q_cond);
	pthread_mutex_destroy(&svc->q_lock);
	pthread_mutex_destroy(&svc->lock);
	free(svc);
}

int ibvmig_escrow_start(void *plugin)
{
	struct ibvmig_plugin *p = plugin;
	struct ibvmig_escrow *svc;
	pthread_condattr_t ca;
	int rc;

	if (!p->conf.escrow || refused(p))
		return 0;
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	svc->p = p;
	paths(svc);
	pthread_mutex_init(&svc->lock, NULL);
	pthread_mutex_init(&svc->q_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&svc->q_cond, &ca);
	pthread_condattr_destroy(&ca);
	svc->overlay = esc_overlay_new();
	if (!svc->overlay || ibvmig_prtn_setup(svc)) {
		free_service(svc);
		return 0;	/* logged: the rest of the plugin runs */
	}
	pthread_mutex_lock(&svc->lock);
	ibvmig_prtn_reload(svc, true);
	/* Before OpenSM's first sweep: a restarted master keeps its reservations. */
	rc = own(svc);
	if (rc == -EWOULDBLOCK)
		IBVMIG_INFO(p, "escrow: journal %s held by another SM: this one takes it over "
			    "when it becomes master", svc->journal_path);
	/* A standby reads the master's file (shared directory); one of its own if none. */
	if (rc && access(svc->derived_path, F_OK))
		ibvmig_prtn_write(svc);
	pthread_mutex_unlock(&svc->lock);
	p->escrow = svc;
	rc = pthread_create(&svc->thread, NULL, worker, svc);
	if (rc) {
		p->escrow = NULL;
		free_service(svc);
		return -rc;
	}
	svc->thread_started = true;
	IBVMIG_INFO(p, "escrow: on (TTL %" PRIu64 " s, capacity %u, %u vSwitches, journal %s)",
		    p->conf.escrow_ttl_ms / 1000, p->conf.escrow_capacity, p->conf.vswitch_count,
		    svc->journal_path);
	return 0;
}

void ibvmig_escrow_stop(void *plugin)
{
	struct ibvmig_plugin *p = plugin;
	struct ibvmig_escrow *svc = p->escrow;

	if (svc) {
		pthread_mutex_lock(&svc->q_lock);
		svc->stopping = true;
		pthread_cond_signal(&svc->q_cond);
		pthread_mutex_unlock(&svc->q_lock);
		if (svc->thread_started)
			pthread_join(svc->thread, NULL);
		ibvmig_escrow_unbind(svc);
		p->escrow = NULL;
		free_service(svc);
	}
}

/* ---- the admin socket: ibvmig escrow list|show|cancel ------------------------------------ */

static void put_view(struct ibvmig_rec_writer *w, const struct esc_view *v, uint64_t now)
{
	char keys[ESC_KEYS_MAX * 7 + 1] = "";
	size_t off = 0;
	uint16_t i;

	for (i = 0; i < v->nkeys; i++)
		off += (size_t)snprintf(keys + off, sizeof(keys) - off, "%s0x%04x", i ? "," : "",
					v->keys[i]);
	ibvmig_rec_begin(w);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ESCROW_ID, v->id);
	ibvmig_rec_put_str(w, IBVMIG_TAG_ESCROW_STATE, esc_state_name(v->state));
	ibvmig_rec_put_uint(w, IBVMIG_TAG_LID, v->lid);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_SOURCE_GUID, v->source);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_DEST_GUID, v->dest);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_CLAIMANT_GUID, v->claimant);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_CREATED_MS, v->created_ms);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_CHANGED_MS, v->changed_ms);
	if (v->state == ESC_HELD)
		ibvmig_rec_put_uint(w, IBVMIG_TAG_EXPIRES_IN_MS,
				    v->expires_ms > now ? v->expires_ms - now : 0);
	ibvmig_rec_put_str(w, IBVMIG_TAG_PKEYS, keys);
}

int ibvmig_escrow_admin(void *plugin, const struct ibvmig_admin_request *req,
			struct ibvmig_rec_writer *w, uint16_t *status)
{
	struct ibvmig_plugin *p = plugin;
	struct ibvmig_escrow *svc = p->escrow;
	uint64_t now = util_wall_ms();
	struct esc_view *v = NULL, one;
	size_t n = 0, i;
	int rc = 0;

	*status = IBVMIG_ADMIN_OK;
	if (!svc) {
		*status = IBVMIG_ADMIN_E_NOT_READY;	/* the escrow is off */
		return 0;
	}
	pthread_mutex_lock(&svc->lock);
	if (!svc->esc) {
		*status = IBVMIG_ADMIN_E_NOT_READY;	/* not this SM's: a standby */
		goto out;
	}
	switch (req->op) {
	case IBVMIG_ADMIN_ESCROW_LIST:
		rc = esc_list(svc->esc, &v, &n);
		for (i = 0; !rc && i < n; i++)
			put_view(w, &v[i], now);
		free(v);
		break;
	case IBVMIG_ADMIN_ESCROW_SHOW:
		if (esc_get(svc->esc, req->escrow_id, &one))
			*status = IBVMIG_ADMIN_E_NOT_FOUND;
		else
			put_view(w, &one, now);
		break;
	case IBVMIG_ADMIN_ESCROW_CANCEL:
		rc = esc_end(svc->esc, req->escrow_id, now);
		if (rc == -ENOENT || rc == -EBUSY) {
			*status = rc == -ENOENT ? IBVMIG_ADMIN_E_NOT_FOUND : IBVMIG_ADMIN_E_STATE;
			rc = 0;
			break;
		}
		if (rc)
			break;
		IBVMIG_INFO(p, "escrow %" PRIu64 ": ended by the operator (ibvmig escrow cancel)",
			    req->escrow_id);
		apply_actions(svc);
		if (!esc_get(svc->esc, req->escrow_id, &one))
			put_view(w, &one, now);
		break;
	default:
		*status = IBVMIG_ADMIN_E_OP;
		break;
	}
out:
	pthread_mutex_unlock(&svc->lock);
	return rc;
}

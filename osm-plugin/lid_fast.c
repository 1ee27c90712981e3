// SPDX-License-Identifier: BSD-2-Clause
/*
 * lid_fast.c - the fast LID move (doc/fast-move.md): after ibvmig_lid_move
 * has changed OpenSM's LID tables as the safe path does, the wire is brought
 * to the same state without a sweep: one PortInfo Set gives the port its new
 * LID, and each switch gets only the LinearForwardingTable blocks whose
 * contents change (the edits and blocks are lid-escrow/esc_lft.h's).
 *
 * Everything is sent through OpenSM's own request path (osm_req_set(), as its
 * LID manager and unicast manager send), so that OpenSM's own receivers take
 * the answers in: the LFT receiver stores each acknowledged block in the
 * switch's lft[] (osm_lft_rcv_process()), the PortInfo receiver the port's
 * acknowledged PortInfo (pi_rcv_process_set()), the SwitchInfo receiver the
 * LinearFDBTop.  Before sending, each block's stored copy is zeroed as
 * set_lft_block() does, and the port's stored base LID as
 * lid_mgr_set_physp_pi() does: a block or port whose answer never comes is
 * then resent by the next heavy sweep.  new_lft[], the hop table, the port's
 * LID and port_lid_tbl get the move at once, so that OpenSM's next light
 * sweep finds nothing to change and its SA answers with the new LIDs.
 *
 * Live: the port's stored base LID is the new one and every sent block's
 * stored copy is what was sent.  Failed: a switch or the port gone, a heavy
 * sweep started meanwhile (it does the move itself), OpenSM with no QP0
 * request outstanding while something is still unacknowledged (under ibsim
 * a dropped or undeliverable SMP fails at once: doc/simulator.md, "MAD
 * Delivery in ibsim"), or FAST_DEADLINE_MS.  Then the caller forces a heavy
 * sweep: the LID tables already say where every LID goes, as on the safe
 * path.
 *
 * LOCKS: every function takes osm->lock itself (exclusive to send, shared to
 * poll), with svc->lock held by the caller.  Log codes of this file: DFxx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_db.h>
#include <opensm/osm_madw.h>
#include <opensm/osm_node.h>
#include <opensm/osm_opensm.h>
#include <opensm/osm_port.h>
#include <opensm/osm_sm.h>
#include <opensm/osm_subnet.h>
#include <opensm/osm_switch.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escrow.h"
#include "esc_lft.h"

#define FAST_DEADLINE_MS 2000	/* no answer under load this long: the heavy sweep's turn */

struct fast_block {
	uint64_t sw;				/* node GUID */
	uint16_t block;
	uint8_t want[ESC_LFT_BLOCK];
};

struct fast_top {
	uint64_t sw;
	uint16_t top;
};

struct ibvmig_fast {
	bool started;
	uint64_t port;				/* the CA port whose LID changes */
	uint16_t old_lid, new_lid;
	struct esc_lft_edit e[ESC_LFT_EDITS];
	size_t ne;
	struct fast_block *blocks;
	size_t nblocks, nblocks_max;
	struct fast_top *tops;			/* SwitchInfo Sets: LinearFDBTop raised */
	size_t ntops;
	unsigned switches;			/* switches with a block to change */
	uint64_t sweeps_at_start;
	uint64_t lft_events_at_start;
	uint64_t start_ns, deadline_ms;
	uint64_t rx_ns;				/* the request received; 0: none */
};

/* ---- the decision (osm->lock held) ---------------------------------------------------- */

static const char *refusal(struct ibvmig_escrow *svc)
{
	osm_opensm_t *osm = svc->p->osm;
	const struct osm_routing_engine *r = osm->routing_engine_used;

	if (!svc->p->conf.escrow_fast_move)
		return "escrow_fast_move is FALSE";
	if (osm->subn.opt.use_ucast_cache)
		return "use_ucast_cache is TRUE (the unicast cache would not know the move)";
	if (atomic_load(&svc->sweeps_started) != atomic_load(&svc->sweep_up_of))
		return "a heavy sweep is under way";
	return esc_lft_refusal(r ? osm_routing_engine_type_str(r->type) : NULL, osm->subn.opt.lmc);
}

struct ibvmig_fast *ibvmig_fast_plan(struct ibvmig_escrow *svc, const struct ibvmig_lid_ticket *t,
				     uint64_t rx_ns)
{
	struct ibvmig_fast *f;
	const char *why = refusal(svc);

	if (why) {
		IBVMIG_INFO(svc->p, "escrow: LID %u moves with a heavy sweep: %s", t->lid, why);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->rx_ns = rx_ns;
	if (t->to) {
		f->port = t->to;
		f->old_lid = t->to_old_lid;
		f->new_lid = t->lid;
		f->ne = esc_lft_claim_edits(t->lid, t->to_old_lid, f->e);
	} else {
		f->port = t->from;
		f->old_lid = t->lid;
		f->new_lid = t->from_new_lid;
		f->ne = esc_lft_release_edits(t->lid, t->from_new_lid, f->e);
	}
	if (!f->ne || !f->port) {
		/* Nobody's LID changes on the wire (an absent source): the sweep's. */
		free(f);
		return NULL;
	}
	return f;
}

void ibvmig_fast_free(struct ibvmig_fast *f)
{
	if (!f)
		return;
	free(f->blocks);
	free(f->tops);
	free(f);
}

/* ---- OpenSM's tables (osm->lock exclusive) --------------------------------------------- */

/* Room for @lid in @sw's tables, grown as osm_switch_prepare_path_rebuild() grows them. */
static int grow(osm_switch_t *sw, uint16_t lid)
{
	uint16_t size = (uint16_t)((lid / ESC_LFT_BLOCK + 1) * ESC_LFT_BLOCK);
	uint8_t *p;

	if (lid > IB_LID_UCAST_END_HO)
		return -ERANGE;
	if (size > sw->lft_size) {
		p = realloc(sw->lft, size);
		if (!p)
			return -ENOMEM;
		memset(p + sw->lft_size, OSM_NO_PATH, size - sw->lft_size);
		sw->lft = p;
		p = realloc(sw->new_lft, size);
		if (!p)
			return -ENOMEM;
		memset(p + sw->lft_size, OSM_NO_PATH, size - sw->lft_size);
		sw->new_lft = p;
		sw->lft_size = size;
	}
	if (lid >= sw->num_hops) {
		uint8_t **h = realloc(sw->hops, ((size_t)lid + 1) * sizeof(*h));

		if (!h)
			return -ENOMEM;
		memset(h + sw->num_hops, 0, ((size_t)lid + 1 - sw->num_hops) * sizeof(*h));
		sw->hops = h;
		sw->num_hops = lid + 1;
	}
	return 0;
}

/* The hop counts follow the entries (the SA and the next routing read them). */
static int copy_hops(osm_switch_t *sw, const struct esc_lft_edit *e)
{
	uint8_t *src = e->like && e->like < sw->num_hops ? sw->hops[e->like] : NULL;

	if (!src) {
		if (sw->hops[e->lid])
			memset(sw->hops[e->lid], OSM_NO_PATH, sw->num_ports);
		return 0;
	}
	if (!sw->hops[e->lid]) {
		sw->hops[e->lid] = malloc(sw->num_ports);
		if (!sw->hops[e->lid])
			return -ENOMEM;
	}
	memcpy(sw->hops[e->lid], src, sw->num_ports);
	return 0;
}

static int add_block(struct ibvmig_fast *f, uint64_t sw, uint16_t block, const uint8_t *want)
{
	if (f->nblocks == f->nblocks_max) {
		size_t n = f->nblocks_max ? f->nblocks_max * 2 : 64;
		struct fast_block *b = realloc(f->blocks, n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		f->blocks = b;
		f->nblocks_max = n;
	}
	f->blocks[f->nblocks].sw = sw;
	f->blocks[f->nblocks].block = block;
	memcpy(f->blocks[f->nblocks].want, want, ESC_LFT_BLOCK);
	f->nblocks++;
	return 0;
}

/*
 * One switch: the edits applied to what it has acknowledged (lft[]), the
 * blocks that differ noted and written into new_lft[].  0, or -errno.
 */
static int plan_switch(struct ibvmig_fast *f, osm_switch_t *sw, uint8_t *after, bool *top)
{
	uint16_t blocks[ESC_LFT_EDITS];
	uint64_t guid = cl_ntoh64(osm_node_get_node_guid(sw->p_node));
	size_t i, n;
	int rc;

	for (i = 0; i < f->ne; i++)
		if ((rc = grow(sw, f->e[i].lid)) || (rc = grow(sw, f->e[i].like)))
			return rc;
	rc = esc_lft_apply(sw->lft, after, sw->lft_size, f->e, f->ne);
	if (rc)
		return rc;
	n = esc_lft_changed_blocks(sw->lft, after, sw->lft_size, blocks, ESC_LFT_EDITS);
	for (i = 0; i < n; i++) {
		size_t off = (size_t)blocks[i] * ESC_LFT_BLOCK;

		rc = add_block(f, guid, blocks[i], after + off);
		if (rc)
			return rc;
		memcpy(sw->new_lft + off, after + off, ESC_LFT_BLOCK);
	}
	for (i = 0; i < f->ne; i++)
		if ((rc = copy_hops(sw, &f->e[i])))
			return rc;
	f->switches += n > 0;
	*top = esc_lft_top(f->e, f->ne) > cl_ntoh16(sw->switch_info.lin_top) &&
	       after[esc_lft_top(f->e, f->ne)] != OSM_NO_PATH;
	return 0;
}

static int plan_switches(struct ibvmig_escrow *svc, struct ibvmig_fast *f)
{
	cl_qmap_t *tbl = &svc->p->osm->subn.sw_guid_tbl;
	cl_map_item_t *item;
	uint8_t *after = NULL;
	int rc = 0;

	f->tops = calloc(cl_qmap_count(tbl) + 1, sizeof(*f->tops));
	if (!f->tops)
		return -ENOMEM;
	/* Room for any table: grow() never makes one beyond the unicast LIDs. */
	after = malloc(IB_LID_UCAST_END_HO + 1);
	if (!after)
		return -ENOMEM;
	for (item = cl_qmap_head(tbl); item != cl_qmap_end(tbl) && !rc; item = cl_qmap_next(item)) {
		osm_switch_t *sw = (osm_switch_t *)item;
		bool top = false;

		if (!sw->lft || !sw->new_lft) {
			rc = -ENODATA;	/* never routed: nothing to copy from */
			break;
		}
		rc = plan_switch(f, sw, after, &top);
		if (!rc && top)
			f->tops[f->ntops++] = (struct fast_top){
				cl_ntoh64(osm_node_get_node_guid(sw->p_node)), esc_lft_top(f->e, f->ne) };
	}
	free(after);
	return rc;
}

/* The port's LID in OpenSM's port objects and LID table, as its LID manager keeps them. */
static void move_port_lid(osm_subn_t *subn, osm_port_t *port, uint16_t old, uint16_t lid)
{
	if (old < cl_ptr_vector_get_size(&subn->port_lid_tbl) &&
	    cl_ptr_vector_get(&subn->port_lid_tbl, old) == port)
		cl_ptr_vector_set(&subn->port_lid_tbl, old, NULL);
	cl_ptr_vector_set(&subn->port_lid_tbl, lid, port);
	port->lid = cl_hton16(lid);
	if (lid > subn->max_ucast_lid_ho)
		subn->max_ucast_lid_ho = lid;
}

/* ---- the SMPs (osm->lock exclusive) ----------------------------------------------------- */

static osm_physp_t *switch_port0(osm_subn_t *subn, uint64_t guid, osm_switch_t **out)
{
	osm_switch_t *sw = osm_get_switch_by_guid(subn, cl_hton64(guid));

	*out = sw;
	return sw ? osm_node_get_physp_ptr(sw->p_node, 0) : NULL;
}

/* One SubnSet on OpenSM's directed route to @physp, its answer to OpenSM's receiver (@ctx). */
static int set_smp(osm_opensm_t *osm, osm_physp_t *physp, ib_net16_t attr, uint32_t mod,
		   const void *payload, size_t len, const osm_madw_context_t *ctx)
{
	if (osm_req_set(&osm->sm, osm_physp_get_dr_path_ptr(physp), payload, len, attr,
			cl_hton32(mod), FALSE, ib_port_info_get_m_key(&physp->port_info), 0,
			CL_DISP_MSGID_NONE, ctx) != IB_SUCCESS)
		return -EIO;
	return 0;
}

static int send_block(osm_opensm_t *osm, const struct fast_block *b)
{
	osm_madw_context_t ctx;
	osm_physp_t *p0;
	osm_switch_t *sw;

	p0 = switch_port0(&osm->subn, b->sw, &sw);
	if (!p0)
		return -ENODEV;
	memset(&ctx, 0, sizeof(ctx));
	ctx.lft_context.node_guid = osm_node_get_node_guid(sw->p_node);
	ctx.lft_context.set_method = TRUE;
	/* As set_lft_block(): an answer that never comes leaves it for the next sweep. */
	memset(sw->lft + (size_t)b->block * ESC_LFT_BLOCK, 0, ESC_LFT_BLOCK);
	return set_smp(osm, p0, IB_MAD_ATTR_LIN_FWD_TBL, b->block, b->want, ESC_LFT_BLOCK, &ctx);
}

static int send_top(osm_opensm_t *osm, const struct fast_top *t)
{
	osm_madw_context_t ctx;
	ib_switch_info_t si;
	osm_physp_t *p0;
	osm_switch_t *sw;

	p0 = switch_port0(&osm->subn, t->sw, &sw);
	if (!p0)
		return -ENODEV;
	/* ibsim, like a switch, forwards no LID above LinearFDBTop (IBA 14.2.5.4). */
	si = sw->switch_info;
	si.lin_top = cl_hton16(t->top);
	if (t->top > sw->max_lid_ho)
		sw->max_lid_ho = t->top;
	memset(&ctx, 0, sizeof(ctx));
	ctx.si_context.node_guid = osm_node_get_node_guid(sw->p_node);
	ctx.si_context.set_method = TRUE;
	ctx.si_context.lft_top_change = TRUE;
	return set_smp(osm, p0, IB_MAD_ATTR_SWITCH_INFO, 0, &si, sizeof(si), &ctx);
}

/* The port's PortInfo with the new LID and nothing else changed, as lid_mgr_set_physp_pi(). */
static int send_portinfo(osm_opensm_t *osm, osm_port_t *port, uint16_t lid)
{
	uint8_t payload[IB_SMP_DATA_SIZE];
	ib_port_info_t *pi = (ib_port_info_t *)payload;
	osm_physp_t *physp = port->p_physp;
	osm_madw_context_t ctx;

	memset(payload, 0, sizeof(payload));
	memcpy(payload, &physp->port_info, sizeof(ib_port_info_t));
	pi->state_info2 = 0x02;		/* physical state: no change; link down default: polling */
	ib_port_info_set_port_state(pi, IB_LINK_NO_CHANGE);
	ib_port_info_set_client_rereg(pi, 0);
	pi->base_lid = cl_hton16(lid);
	memset(&ctx, 0, sizeof(ctx));
	ctx.pi_context.node_guid = osm_node_get_node_guid(port->p_node);
	ctx.pi_context.port_guid = osm_physp_get_port_guid(physp);
	ctx.pi_context.set_method = TRUE;
	/* The stored base LID says what the port has acknowledged (doc/simulator.md, "LIDs"). */
	osm_physp_set_base_lid(physp, 0);
	return set_smp(osm, physp, IB_MAD_ATTR_PORT_INFO, osm_physp_get_port_num(physp), payload,
		       sizeof(payload), &ctx);
}

static int send_all(struct ibvmig_escrow *svc, struct ibvmig_fast *f, osm_port_t *port)
{
	osm_opensm_t *osm = svc->p->osm;
	size_t i;
	int rc;

	/* The tops first: a block above LinearFDBTop would forward nothing. */
	for (i = 0; i < f->ntops; i++)
		if ((rc = send_top(osm, &f->tops[i])))
			return rc;
	for (i = 0; i < f->nblocks; i++)
		if ((rc = send_block(osm, &f->blocks[i])))
			return rc;
	return send_portinfo(osm, port, f->new_lid);
}

static int start(struct ibvmig_escrow *svc, struct ibvmig_fast *f)
{
	osm_opensm_t *osm = svc->p->osm;
	osm_port_t *port;
	const char *why;
	int rc;

	CL_PLOCK_EXCL_ACQUIRE(&osm->lock);
	why = refusal(svc);
	port = osm_get_port_by_guid(&osm->subn, cl_hton64(f->port));
	if (why || !port || !port->p_physp) {
		CL_PLOCK_RELEASE(&osm->lock);
		IBVMIG_INFO(svc->p, "escrow: LID %u: the fast move cannot start: %s", f->new_lid,
			    why ? why : "the port is gone");
		return -ENODEV;
	}
	f->started = true;
	f->start_ns = util_mono_ns();
	f->deadline_ms = util_mono_ms() + FAST_DEADLINE_MS;
	f->sweeps_at_start = atomic_load(&svc->sweeps_started);
	f->lft_events_at_start = atomic_load(&svc->lft_events);
	rc = plan_switches(svc, f);
	if (!rc) {
		move_port_lid(&osm->subn, port, f->old_lid, f->new_lid);
		rc = send_all(svc, f, port);
	}
	/*
	 * OpenSM writes its guid2lid file only in a heavy sweep's LID pass: the
	 * file says what the tables say now, as it would after that pass.
	 */
	if (osm_db_store(osm->sm.lid_mgr.p_g2l, osm->subn.opt.fsync_high_avail_files))
		IBVMIG_ERROR(svc->p, "ERR DF03: LID %u: OpenSM's guid2lid file could not be "
			     "written: it says so at the next heavy sweep", f->new_lid);
	CL_PLOCK_RELEASE(&osm->lock);
	if (rc)
		IBVMIG_ERROR(svc->p, "ERR DF01: LID %u: the fast move failed to start (%s)",
			     f->new_lid, strerror(-rc));
	return rc;
}

/* ---- the answers (osm->lock shared) ------------------------------------------------------ */

/* 1 all acknowledged, 0 not yet, -errno failed. */
static int acked(struct ibvmig_escrow *svc, const struct ibvmig_fast *f)
{
	osm_subn_t *subn = &svc->p->osm->subn;
	const osm_port_t *port = osm_get_port_by_guid(subn, cl_hton64(f->port));
	size_t i;

	if (!port || !port->p_physp)
		return -ENODEV;
	for (i = 0; i < f->ntops; i++) {
		osm_switch_t *sw = osm_get_switch_by_guid(subn, cl_hton64(f->tops[i].sw));

		if (!sw)
			return -ENODEV;
		if (cl_ntoh16(sw->switch_info.lin_top) < f->tops[i].top)
			return 0;
	}
	for (i = 0; i < f->nblocks; i++) {
		osm_switch_t *sw = osm_get_switch_by_guid(subn, cl_hton64(f->blocks[i].sw));

		if (!sw || sw->lft_size < (f->blocks[i].block + 1) * ESC_LFT_BLOCK)
			return -ENODEV;
		if (memcmp(sw->lft + (size_t)f->blocks[i].block * ESC_LFT_BLOCK,
			   f->blocks[i].want, ESC_LFT_BLOCK))
			return 0;
	}
	return cl_ntoh16(osm_physp_get_base_lid(port->p_physp)) == f->new_lid;
}

static void log_live(struct ibvmig_escrow *svc, const struct ibvmig_fast *f)
{
	uint64_t now = util_mono_ns();
	uint64_t events = atomic_load(&svc->lft_events) - f->lft_events_at_start;

	IBVMIG_INFO(svc->p, "escrow: fast move of LID %u live: port 0x%016" PRIx64 " LID %u -> %u;"
		    " lft_blocks=%zu minimum=%zu lft_acked=%" PRIu64 " switches=%u top_sets=%zu"
		    " portinfo_sets=1 start_to_live_us=%" PRIu64 " rx_to_live_us=%" PRIu64,
		    f->e[0].lid, f->port, f->old_lid, f->new_lid, f->nblocks, f->nblocks, events,
		    f->switches, f->ntops, (now - f->start_ns) / 1000,
		    f->rx_ns ? (now - f->rx_ns) / 1000 : 0);
}

int ibvmig_fast_poll(struct ibvmig_escrow *svc, struct ibvmig_fast *f)
{
	osm_opensm_t *osm = svc->p->osm;
	const char *why = NULL;
	int rc;

	if (!f->started) {
		rc = start(svc, f);
		if (rc)
			return rc;
	}
	CL_PLOCK_ACQUIRE(&osm->lock);
	rc = acked(svc, f);
	if (!rc && atomic_load(&svc->sweeps_started) != f->sweeps_at_start)
		why = "a heavy sweep started";
	else if (!rc && !osm->stats.qp0_mads_outstanding)
		why = "an SMP failed (OpenSM has none outstanding)";
	else if (!rc && util_mono_ms() > f->deadline_ms)
		why = "no answer in time";
	else if (rc < 0)
		why = "a switch or the port is gone";
	CL_PLOCK_RELEASE(&osm->lock);
	if (rc == 1) {
		log_live(svc, f);
		return 1;
	}
	if (why) {
		IBVMIG_ERROR(svc->p, "ERR DF02: LID %u: the fast move failed (%s): a heavy sweep "
			     "moves it", f->new_lid, why);
		return -EIO;
	}
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * lid_reserve.c - the escrow's hands on OpenSM's LID tables: the reservation
 * placeholder, the one LID move function, the facts of a port, and the
 * readdressing of subscriptions.
 *
 * Where OpenSM keeps LIDs (doc/simulator.md, "LIDs"): its LID manager gives
 * a port the LID of its guid2lid entry (lid_mgr.p_g2l, the file guid2lid in
 * OSM_CACHE_DIR, written at the end of every heavy sweep's LID pass) and
 * picks fresh LIDs only among those used_lids[] does not mark.  used_lids[]
 * is kept across sweeps, is rebuilt from the guid2lid file when OpenSM
 * starts and when it comes out of standby (with honor_guid2lid_file TRUE;
 * lid_mgr_init_sweep()), with no plugin event in between.  So a reserved LID
 * lives where OpenSM itself keeps LIDs: a guid2lid entry of a placeholder
 * GUID no port has (ibvmig_lid_placeholder), which OpenSM marks used, stores
 * in its file and restores at every start and takeover, as it does any
 * absent port's.  The escrow's journal is the truth; the placeholder makes
 * OpenSM agree with it even before the plugin has said a word.
 *
 * LMC 0 only (ibvmig_escrow_start refuses another): one LID per port.
 * Every function here takes osm->lock itself, with svc->lock held by its
 * caller (escrow.h, LOCKS).  Log codes of this file: DDxx (doc/log-codes.md).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_db_pack.h>
#include <opensm/osm_inform.h>
#include <opensm/osm_node.h>
#include <opensm/osm_partition.h>
#include <opensm/osm_port.h>
#include <opensm/osm_subnet.h>
#include <opensm/osm_switch.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escrow.h"

/*
 * 02:65:73:63 ("\x02esc"): the U/L bit of the first octet set, an EUI-64
 * that is locally administered (IEEE EUI-64 guidelines), which no HCA's
 * burnt-in GUID is; the low 16 bits are the LID it keeps.
 */
#define PLACEHOLDER_BASE 0x0265736300000000ULL
#define PLACEHOLDER_MASK 0xFFFFFFFFFFFF0000ULL

uint64_t ibvmig_lid_placeholder(uint16_t lid)
{
	return PLACEHOLDER_BASE | lid;
}

bool ibvmig_lid_is_placeholder(uint64_t guid)
{
	return (guid & PLACEHOLDER_MASK) == PLACEHOLDER_BASE;
}

/* ---- guid2lid and used_lids (osm->lock held, exclusive for the setters) ------------- */

static osm_db_domain_t *g2l(struct ibvmig_escrow *svc)
{
	return svc->p->osm->sm.lid_mgr.p_g2l;
}

static uint8_t *used_lids(struct ibvmig_escrow *svc)
{
	return svc->p->osm->sm.lid_mgr.used_lids;
}

/* The LID of @guid's entry, 0 for none. */
static uint16_t g2l_lid(struct ibvmig_escrow *svc, uint64_t guid)
{
	uint16_t min = 0, max = 0;

	if (osm_db_guid2lid_get(g2l(svc), guid, &min, &max))
		return 0;
	return min;
}

static void g2l_set(struct ibvmig_escrow *svc, uint64_t guid, uint16_t lid)
{
	osm_db_guid2lid_set(g2l(svc), guid, lid, lid);
	used_lids(svc)[lid] = 1;
}

/* The GUID whose entry holds @lid other than @except (and placeholders if !@ph): 0 none. */
static uint64_t g2l_owner(struct ibvmig_escrow *svc, uint16_t lid, uint64_t except, bool ph)
{
	osm_db_guid_elem_t *item;
	uint64_t found = 0;
	cl_qlist_t guids;

	cl_qlist_init(&guids);
	if (osm_db_guid2lid_guids(g2l(svc), &guids))
		return 0;
	while ((item = (osm_db_guid_elem_t *)cl_qlist_remove_head(&guids)) !=
	       (osm_db_guid_elem_t *)cl_qlist_end(&guids)) {
		if (!found && item->guid != except && (ph || !ibvmig_lid_is_placeholder(item->guid)) &&
		    g2l_lid(svc, item->guid) == lid)
			found = item->guid;
		free(item);
	}
	return found;
}

/* The port whose PortInfo (as last acknowledged) has @lid, other than @except: NULL none. */
static osm_port_t *holder_of(struct ibvmig_escrow *svc, uint16_t lid, uint64_t except)
{
	const cl_qmap_t *ports = &svc->p->osm->subn.port_guid_tbl;
	cl_map_item_t *item;

	for (item = cl_qmap_head(ports); item != cl_qmap_end(ports); item = cl_qmap_next(item)) {
		osm_port_t *port = (osm_port_t *)item;

		if (cl_ntoh64(port->guid) != except && port->p_physp &&
		    cl_ntoh16(osm_physp_get_base_lid(port->p_physp)) == lid)
			return port;
	}
	return NULL;
}

/*
 * A LID nobody has or will have: not marked used (every guid2lid entry is),
 * in no port's PortInfo, not in OpenSM's port table, not an escrow's.  The
 * lowest, as OpenSM's own LID manager would pick.  0 when none is left.
 */
static uint16_t fresh_lid(struct ibvmig_escrow *svc)
{
	const osm_subn_t *subn = &svc->p->osm->subn;
	uint16_t max = subn->max_ucast_lid_ho, lid;
	const cl_qmap_t *ports = &subn->port_guid_tbl;
	const cl_map_item_t *item;
	uint8_t *taken = calloc((size_t)max + 1, 1);

	if (!taken)
		return 0;
	for (item = cl_qmap_head(ports); item != cl_qmap_end(ports); item = cl_qmap_next(item)) {
		const osm_port_t *port = (const osm_port_t *)item;
		uint16_t l = port->p_physp ? cl_ntoh16(osm_physp_get_base_lid(port->p_physp)) : 0;

		if (l && l <= max)
			taken[l] = 1;
	}
	for (lid = ESC_LID_MIN; lid <= max; lid++) {
		if (used_lids(svc)[lid] || taken[lid] || esc_lid_reserved(svc->esc, lid))
			continue;
		if (lid < cl_ptr_vector_get_size(&subn->port_lid_tbl) &&
		    cl_ptr_vector_get(&subn->port_lid_tbl, lid))
			continue;
		break;
	}
	free(taken);
	return lid <= max ? lid : 0;
}

/* ---- subscriptions -------------------------------------------------------------------- */

/*
 * OpenSM keys an InformInfo subscription by its report address (match_inf_rec()
 * compares it byte for byte) and finds the subscriber by that LID when it
 * sends (is_access_permitted()): a port whose LID changes would have its
 * Reports sent to its old LID, and its next subscription taken for another
 * one.  So every subscription of @guid follows it to @lid here, in the step
 * that changes its LID.  Returns how many.  osm->lock held exclusive.
 */
static unsigned readdress(struct ibvmig_escrow *svc, uint64_t guid, uint16_t lid)
{
	cl_qlist_t *list = &svc->p->osm->subn.sa_infr_list;
	cl_list_item_t *item;
	unsigned n = 0;

	for (item = cl_qlist_head(list); item != cl_qlist_end(list); item = cl_qlist_next(item)) {
		osm_infr_t *infr = (osm_infr_t *)item;

		if (cl_ntoh64(infr->inform_record.subscriber_gid.unicast.interface_id) != guid)
			continue;
		infr->report_addr.dest_lid = cl_hton16(lid);
		n++;
	}
	return n;
}

/* ---- the move ----------------------------------------------------------------------- */

/* @guid loses its LID for a fresh one (osm->lock exclusive): the new LID, or 0. */
static uint16_t give_fresh(struct ibvmig_escrow *svc, uint64_t guid, unsigned *subs)
{
	uint16_t lid = fresh_lid(svc);

	if (!lid)
		return 0;
	g2l_set(svc, guid, lid);
	*subs += readdress(svc, guid, lid);
	return lid;
}

static int move_to_placeholder(struct ibvmig_escrow *svc, uint16_t lid, uint64_t from,
			       struct ibvmig_lid_ticket *t, unsigned *subs)
{
	uint16_t now = from ? g2l_lid(svc, from) : 0;
	osm_port_t *port = from ? osm_get_port_by_guid(&svc->p->osm->subn, cl_hton64(from)) : NULL;
	bool holds = port && port->p_physp && cl_ntoh16(osm_physp_get_base_lid(port->p_physp)) == lid;
	uint64_t other = g2l_owner(svc, lid, from, false);

	if (other) {
		IBVMIG_ERROR(svc->p, "ERR DD01: LID %u: OpenSM gives it to port 0x%016" PRIx64
			     " as well: the reservation cannot be made", lid, other);
		return -EADDRINUSE;
	}
	g2l_set(svc, ibvmig_lid_placeholder(lid), lid);
	/* The source leaves L now, unless its entry already took it elsewhere (a replay). */
	if (from && (now == lid || (!now && holds))) {
		now = give_fresh(svc, from, subs);
		if (!now)
			return -ERANGE;
	}
	t->from = from;
	t->from_new_lid = now;
	return 0;
}

static int move_to_port(struct ibvmig_escrow *svc, uint16_t lid, uint64_t to,
			uint16_t to_old_lid, struct ibvmig_lid_ticket *t, unsigned *subs)
{
	osm_port_t *x = holder_of(svc, lid, to);
	uint64_t other;

	/* At no moment may two ports hold one LID: the old holder lets go first. */
	if (x) {
		uint64_t xg = cl_ntoh64(x->guid);

		if (g2l_lid(svc, xg) == lid && !give_fresh(svc, xg, subs))
			return -ERANGE;
		return -EAGAIN;
	}
	other = g2l_owner(svc, lid, to, false);
	if (other) {
		IBVMIG_ERROR(svc->p, "ERR DD02: LID %u: OpenSM gives it to port 0x%016" PRIx64
			     ", not to 0x%016" PRIx64 ": the move waits", lid, other, to);
		return -EADDRINUSE;
	}
	osm_db_guid2lid_delete(g2l(svc), ibvmig_lid_placeholder(lid));
	g2l_set(svc, to, lid);
	*subs += readdress(svc, to, lid);
	t->to = to;
	t->to_old_lid = to_old_lid != lid ? to_old_lid : 0;
	return 0;
}

int ibvmig_lid_move(struct ibvmig_escrow *svc, uint16_t lid, uint64_t from, uint64_t to,
		    uint16_t to_old_lid, struct ibvmig_lid_ticket *t)
{
	osm_opensm_t *osm = svc->p->osm;
	unsigned subs = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	t->lid = lid;
	t->sweep = atomic_load(&svc->sweeps_started);
	/*
	 * The hold first, and outside osm->lock (the send path takes the hold's
	 * lock, then osm->lock): no notice of ours is sent between the readdress
	 * and the end of the move.  The service ends it when no move is left.
	 */
	ibvmig_notices_hold(svc->p);
	CL_PLOCK_EXCL_ACQUIRE(&osm->lock);
	rc = to ? move_to_port(svc, lid, to, to_old_lid, t, &subs)
		: move_to_placeholder(svc, lid, from, t, &subs);
	if (!rc)
		t->fast = ibvmig_fast_plan(svc, t, svc->rx_ns);
	CL_PLOCK_RELEASE(&osm->lock);
	if (subs)
		IBVMIG_INFO(svc->p, "escrow: LID %u: %u subscriptions readdressed", lid, subs);
	return rc;
}

void ibvmig_lid_ticket_drop(struct ibvmig_lid_ticket *t)
{
	ibvmig_fast_free(t->fast);
	t->fast = NULL;
}

/* The fast move's turn: live, not yet, or failed and left to a heavy sweep. */
static int fast_done(struct ibvmig_escrow *svc, struct ibvmig_lid_ticket *t)
{
	int rc = ibvmig_fast_poll(svc, t->fast);

	if (!rc)
		return 0;
	ibvmig_lid_ticket_drop(t);
	if (rc == 1)
		return 1;
	/* A sweep that starts from now on moves it: the tables already say where. */
	t->sweep = atomic_load(&svc->sweeps_started);
	return -EIO;
}

/*
 * Every switch has acknowledged its entry for @lid as OpenSM routed it: a
 * sweep whose LFT Set failed (ERR 3119) ends with SUBNET UP all the same
 * (doc/simulator.md, "The Event Plugin Interface"), and set_lft_block() left
 * that block zeroed.  osm->lock held.
 */
static bool lft_acked(osm_subn_t *subn, uint16_t lid)
{
	const cl_qmap_t *tbl = &subn->sw_guid_tbl;
	const cl_map_item_t *item;

	for (item = cl_qmap_head(tbl); item != cl_qmap_end(tbl); item = cl_qmap_next(item)) {
		const osm_switch_t *sw = (const osm_switch_t *)item;

		if (sw->lft && sw->new_lft && lid < sw->lft_size && sw->lft[lid] != sw->new_lft[lid])
			return false;
	}
	return true;
}

int ibvmig_lid_move_done(struct ibvmig_escrow *svc, struct ibvmig_lid_ticket *t)
{
	osm_subn_t *subn = &svc->p->osm->subn;
	const osm_port_t *port;
	int done = 1;

	if (t->fast)
		return fast_done(svc, t);

	/* A heavy sweep that started after the move has ended: the LFTs route L. */
	if (atomic_load(&svc->sweep_up_of) <= t->sweep)
		return 0;
	CL_PLOCK_ACQUIRE(&svc->p->osm->lock);
	if (t->to) {
		port = osm_get_port_by_guid(subn, cl_hton64(t->to));
		if (port && port->p_physp && cl_ntoh16(osm_physp_get_base_lid(port->p_physp)) != t->lid)
			done = 0;
	}
	if (t->from) {
		port = osm_get_port_by_guid(subn, cl_hton64(t->from));
		if (port && port->p_physp && cl_ntoh16(osm_physp_get_base_lid(port->p_physp)) == t->lid)
			done = 0;
	}
	if (t->to && !lft_acked(subn, t->lid))
		done = 0;
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
	return done;
}

/* @lid back to the pool if nobody has it (osm->lock exclusive). */
static void unmark(struct ibvmig_escrow *svc, uint16_t lid)
{
	if (!lid || g2l_owner(svc, lid, 0, true) || holder_of(svc, lid, 0) ||
	    esc_lid_reserved(svc->esc, lid))
		return;
	used_lids(svc)[lid] = 0;
}

void ibvmig_lid_move_finish(struct ibvmig_escrow *svc, const struct ibvmig_lid_ticket *t)
{
	if (!t->to_old_lid)
		return;
	CL_PLOCK_EXCL_ACQUIRE(&svc->p->osm->lock);
	unmark(svc, t->to_old_lid);
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
}

void ibvmig_lid_free(struct ibvmig_escrow *svc, uint16_t lid)
{
	CL_PLOCK_EXCL_ACQUIRE(&svc->p->osm->lock);
	osm_db_guid2lid_delete(g2l(svc), ibvmig_lid_placeholder(lid));
	unmark(svc, lid);
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
}

void ibvmig_lid_keep(struct ibvmig_escrow *svc, uint16_t lid, uint64_t source, uint64_t claimant)
{
	uint64_t owner;
	unsigned subs = 0;

	CL_PLOCK_EXCL_ACQUIRE(&svc->p->osm->lock);
	owner = g2l_owner(svc, lid, ibvmig_lid_placeholder(lid), true);
	if (owner && owner == claimant) {
		/* The move had reached OpenSM's tables: the claimant keeps L. */
	} else if (owner && owner != source) {
		IBVMIG_ERROR(svc->p, "ERR DD03: LID %u of an escrow: the guid2lid file gives it to "
			     "port 0x%016" PRIx64 ", which keeps it", lid, owner);
	} else {
		g2l_set(svc, ibvmig_lid_placeholder(lid), lid);
		if (owner && !give_fresh(svc, owner, &subs))
			IBVMIG_ERROR(svc->p, "ERR DD04: no free LID for port 0x%016" PRIx64
				     ", which keeps LID %u in OpenSM's tables", owner, lid);
	}
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
}

unsigned ibvmig_lid_drop_stale(struct ibvmig_escrow *svc)
{
	osm_db_guid_elem_t *item;
	cl_qlist_t guids;
	unsigned n = 0;

	cl_qlist_init(&guids);
	CL_PLOCK_EXCL_ACQUIRE(&svc->p->osm->lock);
	if (!osm_db_guid2lid_guids(g2l(svc), &guids)) {
		while ((item = (osm_db_guid_elem_t *)cl_qlist_remove_head(&guids)) !=
		       (osm_db_guid_elem_t *)cl_qlist_end(&guids)) {
			uint16_t lid = (uint16_t)(item->guid & 0xFFFF);

			if (ibvmig_lid_is_placeholder(item->guid) && !esc_lid_reserved(svc->esc, lid)) {
				osm_db_guid2lid_delete(g2l(svc), item->guid);
				unmark(svc, lid);
				n++;
			}
			free(item);
		}
	}
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
	return n;
}

uint64_t ibvmig_lid_holder(void *arg, uint16_t lid)
{
	struct ibvmig_escrow *svc = arg;
	const osm_port_t *port;
	uint64_t guid;

	CL_PLOCK_ACQUIRE(&svc->p->osm->lock);
	guid = g2l_owner(svc, lid, 0, false);
	if (!guid) {
		port = holder_of(svc, lid, 0);
		guid = port ? cl_ntoh64(port->guid) : 0;
	}
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
	return guid;
}

void ibvmig_lid_sweep(struct ibvmig_escrow *svc)
{
	osm_opensm_t *osm = svc->p->osm;

	CL_PLOCK_EXCL_ACQUIRE(&osm->lock);
	osm->subn.force_heavy_sweep = TRUE;
	CL_PLOCK_RELEASE(&osm->lock);
	/* osm_sm_signal takes the state manager's own lock: never under osm->lock. */
	osm_sm_signal(&osm->sm, OSM_SIGNAL_SWEEP);
}

/* ---- what OpenSM knows of a port -------------------------------------------------------- */

static bool has_aliases(const osm_physp_t *physp)
{
	unsigned i;

	if (!physp->p_guids)
		return false;
	/* Index 0 is the port's own GUID (IBA 14.2.5.5). */
	for (i = 1; i < physp->port_info.guid_cap; i++)
		if ((*physp->p_guids)[i])
			return true;
	return false;
}

/* The memberships of @port in OpenSM's partitions (rebuilt on every heavy sweep). */
static size_t port_keys(struct ibvmig_escrow *svc, const osm_port_t *port, struct esc_key *keys,
			size_t max)
{
	const cl_qmap_t *tbl = &svc->p->osm->subn.prtn_pkey_tbl;
	const cl_map_item_t *item;
	uint64_t guid = cl_ntoh64(port->guid);
	size_t n = 0;

	for (item = cl_qmap_head(tbl); item != cl_qmap_end(tbl) && n < max;
	     item = cl_qmap_next(item)) {
		const osm_prtn_t *prtn = (const osm_prtn_t *)item;
		uint16_t base = cl_ntoh16(prtn->pkey) & ESC_PKEY_BASE_MASK;
		bool full = cl_map_get(&prtn->full_guid_tbl, port->guid) != NULL;

		if (base == ESC_PKEY_DEFAULT)
			continue;
		if (!full && !cl_map_get(&prtn->part_guid_tbl, port->guid))
			continue;
		keys[n].pkey = base | (full ? ESC_PKEY_FULL : 0);
		keys[n].source = ibvmig_prtn_names(svc, base, guid) ? ESC_KEY_EXPLICIT
								    : ESC_KEY_GROUP;
		n++;
	}
	return n;
}

int ibvmig_port_facts(struct ibvmig_escrow *svc, uint64_t guid, struct esc_port *out,
		      struct esc_key *keys, size_t max_keys)
{
	const osm_port_t *port;
	const osm_physp_t *physp, *remote;
	const ib_port_info_t *pi;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->guid = guid;
	CL_PLOCK_ACQUIRE(&svc->p->osm->lock);
	port = osm_get_port_by_guid(&svc->p->osm->subn, cl_hton64(guid));
	physp = port ? port->p_physp : NULL;
	if (!physp) {
		rc = -ENOENT;
		goto out;
	}
	pi = &physp->port_info;
	out->lid = cl_ntoh16(osm_physp_get_base_lid(physp));
	/* While its PortInfo Set is in flight OpenSM zeroes its copy: its entry says where. */
	if (!out->lid)
		out->lid = g2l_lid(svc, guid);
	out->has_aliases = has_aliases(physp);
	out->mtu = ib_port_info_get_mtu_cap(pi);
	out->rate = ib_port_info_compute_rate(pi, pi->capability_mask & IB_PORT_CAP_HAS_EXT_SPEEDS);
	remote = osm_physp_get_remote(physp);
	if (remote && remote->p_node && osm_node_get_type(remote->p_node) == IB_NODE_TYPE_SWITCH)
		out->vswitch = cl_ntoh64(osm_node_get_node_guid(remote->p_node));
	if (keys) {
		out->keys = keys;
		out->nkeys = port_keys(svc, port, keys, max_keys);
	}
out:
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
	return rc;
}

uint64_t ibvmig_requester(struct ibvmig_escrow *svc, const osm_mad_addr_t *addr)
{
	osm_physp_t *physp;
	uint64_t guid = 0;

	CL_PLOCK_ACQUIRE(&svc->p->osm->lock);
	physp = osm_get_physp_by_mad_addr(&svc->p->osm->log, &svc->p->osm->subn,
					  (osm_mad_addr_t *)addr);
	if (physp)
		guid = cl_ntoh64(osm_physp_get_port_guid(physp));
	CL_PLOCK_RELEASE(&svc->p->osm->lock);
	return guid;
}

uint8_t ibvmig_sm_state(struct ibvmig_plugin *p)
{
	uint8_t state;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	state = p->osm->subn.sm_state;
	CL_PLOCK_RELEASE(&p->osm->lock);
	return state;
}

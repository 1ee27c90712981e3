// SPDX-License-Identifier: BSD-2-Clause
/*
 * notices.c - the engine's send_notice op: RePath/UnPath notices through
 * OpenSM's own InformInfo machinery, osm_report_notice(), which sends one
 * Report to each port subscribed to the trap, however many VMs that port
 * hosts.  Log codes of this file: none (the engine logs the failures).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_inform.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escrow.h"
#include "plugin.h"

/* Notices held at most: far beyond what a sweep's time can bring. */
#define HELD_MAX 65536

struct ibvmig_held_notice {
	uint16_t trap;
	struct ibvmig_path_notice n;
};

/* An IBA generic notice of the SM's, as OpenSM builds its traps 64-67. */
static void build_notice(const osm_subn_t *subn, uint16_t trap,
			 const struct ibvmig_path_notice *n, ib_mad_notice_attr_t *ntc)
{
	memset(ntc, 0, sizeof(*ntc));
	ntc->generic_type = 0x80 | IB_NOTICE_TYPE_INFO;
	ib_notice_set_prod_type_ho(ntc, IBVMIG_NOTICE_PRODUCER_CLASS_MGR);
	ntc->g_or_v.generic.trap_num = cl_hton16(trap);
	ntc->issuer_lid = subn->sm_base_lid;
	/* The issuer must be a real port: OpenSM drops notices from unknown GIDs. */
	ntc->issuer_gid.unicast.prefix = subn->opt.subnet_prefix;
	ntc->issuer_gid.unicast.interface_id = subn->sm_port_guid;
	ibvmig_details_encode(n, ntc->data_details.raw_data.details);
}

/*
 * Called with the engine's send lock, without its engine lock (engine.h,
 * LOCKS); takes osm->lock.  osm_report_notice() fails only while OpenSM's
 * InformInfo list is not initialised; otherwise it has queued one Report per
 * matching subscription and returns success, and what becomes of each Report
 * it does not tell: a Report lost on the way is not resent, and one that
 * failed locally leaves only an ERR 1A06 line in OpenSM's log
 * (doc/simulator.md, "OpenSM Transactions Under umad2sim").  So success is
 * "sent" here, and receivers find their losses by the notice numbers.
 */
static int report(struct ibvmig_plugin *p, uint16_t trap, const struct ibvmig_path_notice *n)
{
	ib_mad_notice_attr_t ntc;
	int rc = 0;

	CL_PLOCK_EXCL_ACQUIRE(&p->osm->lock);
	if (!p->osm->subn.sm_port_guid) {
		rc = -EAGAIN;	/* no port yet to issue it from: it never reaches OpenSM */
	} else {
		build_notice(&p->osm->subn, trap, n, &ntc);
		if (osm_report_notice(&p->osm->log, &p->osm->subn, &ntc) != IB_SUCCESS)
			rc = -EIO;
	}
	CL_PLOCK_RELEASE(&p->osm->lock);
	return rc;
}

/* hold_lock held: keeps @n for the end of the hold; false when it cannot. */
static bool keep(struct ibvmig_plugin *p, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct ibvmig_held_notice *items;

	if (p->nheld == p->held_cap) {
		size_t cap = p->held_cap ? p->held_cap * 2 : 16;

		items = cap <= HELD_MAX ? reallocarray(p->held, cap, sizeof(*items)) : NULL;
		if (!items)
			return false;
		p->held = items;
		p->held_cap = cap;
	}
	p->held[p->nheld].trap = trap;
	p->held[p->nheld].n = *n;
	p->nheld++;
	return true;
}

/*
 * The engine's op, called with its send lock; takes hold_lock, then
 * osm->lock.  A held notice counts as sent: OpenSM gets it when the hold
 * ends (and its Reports cannot be followed further anyway, see above).
 */
int ibvmig_send_notice(void *plugin, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct ibvmig_plugin *p = plugin;
	int rc;

	pthread_mutex_lock(&p->hold_lock);
	if (p->holding || p->nheld) {
		rc = keep(p, trap, n) ? 0 : -EAGAIN;
		if (rc)
			p->held_dropped++;
	} else {
		rc = report(p, trap, n);
	}
	pthread_mutex_unlock(&p->hold_lock);
	return rc;
}

void ibvmig_notices_init(struct ibvmig_plugin *p)
{
	pthread_mutex_init(&p->hold_lock, NULL);
}

void ibvmig_notices_destroy(struct ibvmig_plugin *p)
{
	free(p->held);
	p->held = NULL;
	p->nheld = p->held_cap = 0;
	pthread_mutex_destroy(&p->hold_lock);
}

void ibvmig_notices_hold(struct ibvmig_plugin *p)
{
	pthread_mutex_lock(&p->hold_lock);
	p->holding = true;
	pthread_mutex_unlock(&p->hold_lock);
}

unsigned ibvmig_notices_release(struct ibvmig_plugin *p)
{
	unsigned sent = 0, failed = 0;
	size_t i;

	pthread_mutex_lock(&p->hold_lock);
	p->holding = false;
	for (i = 0; i < p->nheld; i++) {
		if (report(p, p->held[i].trap, &p->held[i].n))
			failed++;
		else
			sent++;
	}
	p->nheld = 0;
	pthread_mutex_unlock(&p->hold_lock);
	if (failed)
		IBVMIG_ERROR(p, "ERR DA01: %u notices held during a LID move could not be sent: "
			     "receivers will see their numbers missing", failed);
	return sent;
}

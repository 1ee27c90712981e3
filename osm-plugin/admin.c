// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin.c - what the engine's admin answers need from OpenSM (its sm_view
 * and list_subscribers ops): the SM's state, port and LID, and the
 * InformInfo subscriptions.  Both copy out under osm->lock and run on the
 * engine's worker, without the engine lock.
 * Log codes of this file: none (the engine logs the failures).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_helper.h>
#include <opensm/osm_inform.h>

#include <stdio.h>

#include "escrow.h"
#include "plugin.h"

int ibvmig_sm_view(void *plugin, struct eng_sm_view *v)
{
	struct ibvmig_plugin *p = plugin;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	snprintf(v->state, sizeof(v->state), "%s", osm_get_sm_mgr_state_str(p->osm->subn.sm_state));
	v->port_guid = cl_ntoh64(p->osm->subn.sm_port_guid);
	v->subnet_prefix = cl_ntoh64(p->osm->subn.opt.subnet_prefix);
	v->lid = cl_ntoh16(p->osm->subn.sm_base_lid);
	CL_PLOCK_RELEASE(&p->osm->lock);
	return 0;
}

static void subscriber_of(const osm_infr_t *infr, struct eng_subscriber *s)
{
	const ib_inform_info_t *ii = &infr->inform_record.inform_info;

	s->guid = cl_ntoh64(infr->inform_record.subscriber_gid.unicast.interface_id);
	s->lid = cl_ntoh16(infr->report_addr.dest_lid);
	s->qpn = cl_ntoh32(infr->report_addr.addr_type.gsi.remote_qp);
	s->trap = cl_ntoh16(ii->g_or_v.generic.trap_num);
	s->range_begin = cl_ntoh16(ii->lid_range_begin);
	s->range_end = cl_ntoh16(ii->lid_range_end);
}

/* The escrow's admin ops (escrow_service.c); any other is unknown. */
int ibvmig_admin_extra(void *plugin, const struct ibvmig_admin_request *req,
		       struct ibvmig_rec_writer *w, uint16_t *status)
{
	switch (req->op) {
	case IBVMIG_ADMIN_ESCROW_LIST:
	case IBVMIG_ADMIN_ESCROW_SHOW:
	case IBVMIG_ADMIN_ESCROW_CANCEL:
		return ibvmig_escrow_admin(plugin, req, w, status);
	default:
		*status = IBVMIG_ADMIN_E_OP;
		return 0;
	}
}

int ibvmig_list_subscribers(void *plugin, struct eng_subscribers *out)
{
	struct ibvmig_plugin *p = plugin;
	const cl_qlist_t *list = &p->osm->subn.sa_infr_list;
	const cl_list_item_t *item;
	struct eng_subscriber s;
	int rc = 0;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	for (item = cl_qlist_head(list); item != cl_qlist_end(list) && !rc;
	     item = cl_qlist_next(item)) {
		const osm_infr_t *infr = (const osm_infr_t *)item;

		/* Vendor-specific subscriptions have no trap number. */
		if (!infr->inform_record.inform_info.is_generic)
			continue;
		subscriber_of(infr, &s);
		rc = eng_subscribers_add(out, &s);
	}
	CL_PLOCK_RELEASE(&p->osm->lock);
	return rc;
}

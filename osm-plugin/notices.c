// SPDX-License-Identifier: BSD-2-Clause
/*
 * notices.c - RePath/UnPath notices through OpenSM's own InformInfo
 * machinery: osm_report_notice() sends one Report to each port subscribed to
 * the trap, however many VMs that port hosts.
 * Log codes of this file: 03xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_inform.h>

#include <stdlib.h>
#include <string.h>

#include "plugin.h"

/* The watcher's callback: runs under p->lock, must not send. */
void ibvmig_outbox_add(void *plugin, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct ibvmig_plugin *p = plugin;
	struct ibvmig_outbox *box = &p->outbox;

	if (box->count == box->cap) {
		size_t cap = box->cap ? box->cap * 2 : 16;
		struct ibvmig_outbox_item *items = realloc(box->items, cap * sizeof(*items));

		if (!items) {
			box->dropped++;
			return;
		}
		box->items = items;
		box->cap = cap;
	}
	box->items[box->count].trap = trap;
	box->items[box->count].notice = *n;
	box->count++;
}

/* Move the queued notices to @out (p->lock held); the plugin's box is empty after. */
void ibvmig_outbox_take(struct ibvmig_plugin *p, struct ibvmig_outbox *out)
{
	*out = p->outbox;
	memset(&p->outbox, 0, sizeof(p->outbox));
	p->counters.notices_failed += out->dropped;
	out->dropped = 0;
}

void ibvmig_outbox_free(struct ibvmig_outbox *out)
{
	free(out->items);
	memset(out, 0, sizeof(*out));
}

/* An IBA generic notice of the SM's, as OpenSM builds its traps 64-67. */
static void build_notice(const osm_subn_t *subn, const struct ibvmig_outbox_item *item,
			 ib_mad_notice_attr_t *ntc)
{
	memset(ntc, 0, sizeof(*ntc));
	ntc->generic_type = 0x80 | IB_NOTICE_TYPE_INFO;
	ib_notice_set_prod_type_ho(ntc, IBVMIG_NOTICE_PRODUCER_CLASS_MGR);
	ntc->g_or_v.generic.trap_num = cl_hton16(item->trap);
	ntc->issuer_lid = subn->sm_base_lid;
	/* The issuer must be a real port: OpenSM drops notices from unknown GIDs. */
	ntc->issuer_gid.unicast.prefix = subn->opt.subnet_prefix;
	ntc->issuer_gid.unicast.interface_id = subn->sm_port_guid;
	ibvmig_details_encode(&item->notice, ntc->data_details.raw_data.details);
}

/* Sends and frees @out; p->lock must NOT be held (takes osm->lock). */
void ibvmig_outbox_send(struct ibvmig_plugin *p, struct ibvmig_outbox *out)
{
	uint64_t unpath = 0, repath = 0, failed = 0;
	ib_mad_notice_attr_t ntc;
	size_t i;

	if (!out->count)
		goto out;
	CL_PLOCK_EXCL_ACQUIRE(&p->osm->lock);
	for (i = 0; i < out->count; i++) {
		const struct ibvmig_outbox_item *item = &out->items[i];

		if (!p->osm->subn.sm_port_guid) {
			failed++;
			continue;
		}
		build_notice(&p->osm->subn, item, &ntc);
		if (osm_report_notice(&p->osm->log, &p->osm->subn, &ntc) != IB_SUCCESS)
			failed++;
		else if (item->trap == IBVMIG_TRAP_UNPATH)
			unpath++;
		else
			repath++;
	}
	CL_PLOCK_RELEASE(&p->osm->lock);
	if (failed)
		IBVMIG_ERROR(p, "ERR 0301: %llu notices could not be reported (SM not up?)\n",
			     (unsigned long long)failed);
	pthread_mutex_lock(&p->lock);
	p->counters.unpath_sent += unpath;
	p->counters.repath_sent += repath;
	p->counters.notices_failed += failed;
	pthread_mutex_unlock(&p->lock);
out:
	ibvmig_outbox_free(out);
}

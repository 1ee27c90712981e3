// SPDX-License-Identifier: BSD-2-Clause
/*
 * reconcile.c - after each heavy sweep, compare every live alias the SM holds
 * with what the watcher believes: a port that dropped with its aliases, an
 * alias that moved between two observations, a base port whose LID changed.
 * Runs on the worker thread.  Log codes of this file: 04xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_port.h>
#include <opensm/osm_subnet.h>

#include <stdlib.h>

#include "plugin.h"

struct alias_list {
	struct aw_alias *items;
	size_t count, cap;
};

static int list_add(struct alias_list *l, uint64_t vguid, uint64_t port_guid, uint16_t lid)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct aw_alias *items = realloc(l->items, cap * sizeof(*items));

		if (!items)
			return -1;
		l->items = items;
		l->cap = cap;
	}
	l->items[l->count++] = (struct aw_alias){ vguid, port_guid, lid };
	return 0;
}

static int collect_port(struct alias_list *l, const osm_port_t *port)
{
	const osm_physp_t *physp = port->p_physp;
	unsigned i;

	if (!physp || !physp->p_guids)
		return 0;
	/* Index 0 is the base GUID. */
	for (i = 1; i < physp->port_info.guid_cap; i++) {
		uint64_t guid = cl_ntoh64((*physp->p_guids)[i]);

		if (guid && list_add(l, guid, cl_ntoh64(port->guid),
				     cl_ntoh16(osm_port_get_base_lid(port))))
			return -1;
	}
	return 0;
}

/* Copy every live alias out of the SM, holding osm->lock as briefly as that. */
static int collect_aliases(struct ibvmig_plugin *p, struct alias_list *l)
{
	const cl_qmap_t *ports = &p->osm->subn.port_guid_tbl;
	const cl_map_item_t *item;
	int rc = 0;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	for (item = cl_qmap_head(ports); item != cl_qmap_end(ports) && !rc;
	     item = cl_qmap_next(item))
		rc = collect_port(l, (const osm_port_t *)item);
	CL_PLOCK_RELEASE(&p->osm->lock);
	return rc;
}

void ibvmig_reconcile(struct ibvmig_plugin *p)
{
	struct alias_list seen = { 0 };
	struct ibvmig_outbox out;
	int changes;

	if (collect_aliases(p, &seen)) {
		IBVMIG_ERROR(p, "ERR 0401: out of memory collecting aliases; reconcile skipped\n");
		free(seen.items);
		return;
	}
	pthread_mutex_lock(&p->lock);
	changes = aw_reconcile(p->watch, seen.items, seen.count, util_wall_ms());
	if (changes > 0)
		ibvmig_table_changed(p);
	ibvmig_outbox_take(p, &out);
	pthread_mutex_unlock(&p->lock);
	free(seen.items);
	if (changes < 0)
		IBVMIG_ERROR(p, "ERR 0402: reconcile failed: out of memory\n");
	else if (changes)
		IBVMIG_INFO(p, "reconcile: %d alias changes the SA did not show (%zu live)\n",
			    changes, seen.count);
	ibvmig_outbox_send(p, &out);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * reconcile.c - the engine's list_aliases op: every live alias in OpenSM's
 * port table, for the reconcile the engine runs after each heavy sweep.
 * Log codes of this file: none (the engine logs the failures).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_port.h>
#include <opensm/osm_subnet.h>

#include "plugin.h"

static int collect_port(struct eng_aliases *l, const osm_port_t *port)
{
	const osm_physp_t *physp = port->p_physp;
	unsigned i;
	int rc;

	if (!physp || !physp->p_guids)
		return 0;
	/* Index 0 is the base GUID. */
	for (i = 1; i < physp->port_info.guid_cap; i++) {
		uint64_t guid = cl_ntoh64((*physp->p_guids)[i]);

		if (!guid)
			continue;
		rc = eng_aliases_add(l, guid, cl_ntoh64(port->guid),
				     cl_ntoh16(osm_port_get_base_lid(port)));
		if (rc)
			return rc;
	}
	return 0;
}

/* Called without the engine lock; holds osm->lock as briefly as the copy. */
int ibvmig_list_aliases(void *plugin, struct eng_aliases *out)
{
	struct ibvmig_plugin *p = plugin;
	const cl_qmap_t *ports = &p->osm->subn.port_guid_tbl;
	const cl_map_item_t *item;
	int rc = 0;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	for (item = cl_qmap_head(ports); item != cl_qmap_end(ports) && !rc;
	     item = cl_qmap_next(item))
		rc = collect_port(out, (const osm_port_t *)item);
	CL_PLOCK_RELEASE(&p->osm->lock);
	return rc;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * gir_hook.c - sees every alias GUID Set and Delete the moment the SA applies
 * it, and guards who may make them.
 *
 * OpenSM has no event for GUIDInfoRecord: we take its dispatcher slot for
 * OSM_MSG_MAD_GUIDINFO_RECORD, snapshot the target port's GUID table around a
 * call to OpenSM's own handler (osm_gir_rcv_process, exported by the opensm
 * executable but declared in no header) and feed the difference to the
 * watcher.  OpenSM's handler keeps every rule of the SA (component mask,
 * duplicates, P_Key); we only add the alias guard in front of it.
 * Log codes of this file: 02xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_helper.h>
#include <opensm/osm_madw.h>
#include <opensm/osm_port.h>
#include <opensm/osm_sa.h>
#include <opensm/osm_subnet.h>

#include <inttypes.h>
#include <string.h>

#include "plugin.h"

void osm_gir_rcv_process(void *ctx, void *data);

/* PortInfo:GUIDCap is 8 bits: a port's table has at most 256 entries. */
#define GIR_TABLE_MAX 256

/* One port's alias table as the SA holds it at one moment. */
struct gir_snapshot {
	uint64_t port_guid;	/* 0: no port has the LID */
	uint16_t lid;
	unsigned entries;
	uint64_t guids[GIR_TABLE_MAX];
};

/* Takes osm->lock shared. */
static void gir_snapshot(struct ibvmig_plugin *p, ib_net16_t lid, struct gir_snapshot *s)
{
	osm_port_t *port;
	unsigned i;

	memset(s, 0, sizeof(*s));
	CL_PLOCK_ACQUIRE(&p->osm->lock);
	port = osm_get_port_by_lid(&p->osm->subn, lid);
	if (port && port->p_physp) {
		s->port_guid = cl_ntoh64(port->guid);
		s->lid = cl_ntoh16(osm_port_get_base_lid(port));
		if (port->p_physp->p_guids) {
			s->entries = port->p_physp->port_info.guid_cap;
			if (s->entries > GIR_TABLE_MAX)
				s->entries = GIR_TABLE_MAX;
			for (i = 0; i < s->entries; i++)
				s->guids[i] = cl_ntoh64((*port->p_physp->p_guids)[i]);
		}
	}
	CL_PLOCK_RELEASE(&p->osm->lock);
}

static void gir_feed_error(struct ibvmig_plugin *p, const char *what, uint64_t vguid, int rc)
{
	p->counters.hook_errors++;
	IBVMIG_ERROR(p, "ERR 0201: alias 0x%016" PRIx64 " %s not followed: %s\n", vguid, what,
		     strerror(-rc));
}

/* Feeds what changed between two snapshots; p->lock held. */
static void gir_feed_diff(struct ibvmig_plugin *p, const struct gir_snapshot *before,
			  const struct gir_snapshot *after)
{
	uint64_t now = util_wall_ms();
	unsigned i, n = before->entries > after->entries ? before->entries : after->entries;
	int rc;

	if (!before->port_guid || before->port_guid != after->port_guid)
		return;	/* the port changed under us: the next reconcile sorts it out */
	/* Index 0 is the base port GUID, read-only for the SA. */
	for (i = 1; i < n; i++) {
		uint64_t was = i < before->entries ? before->guids[i] : 0;
		uint64_t now_guid = i < after->entries ? after->guids[i] : 0;

		if (was == now_guid)
			continue;
		ibvmig_table_changed(p);
		if (was) {
			rc = aw_alias_deleted(p->watch, was, before->port_guid, before->lid, now);
			if (rc)
				gir_feed_error(p, "delete", was, rc);
			IBVMIG_VERBOSE(p, "alias 0x%016" PRIx64 " deleted from port 0x%016" PRIx64
				       " LID %u index %u\n", was, before->port_guid, before->lid, i);
		}
		if (now_guid) {
			rc = aw_alias_set(p->watch, now_guid, after->port_guid, after->lid, now);
			if (rc)
				gir_feed_error(p, "set", now_guid, rc);
			IBVMIG_VERBOSE(p, "alias 0x%016" PRIx64 " set on port 0x%016" PRIx64
				       " LID %u index %u\n", now_guid, after->port_guid, after->lid,
				       i);
		}
	}
}

static bool guard_allows_port(const struct ibvmig_plugin *p, uint64_t guid)
{
	unsigned i;

	for (i = 0; i < p->conf.guard_allow_count; i++)
		if (p->conf.guard_allow[i] == guid)
			return true;
	return false;
}

/*
 * Stock OpenSM lets any port that shares a P_Key with the target change its
 * aliases; in the shared-port model only the hypervisor owning the port
 * (or a port the operator named) may.  Takes osm->lock shared.
 */
static bool gir_guard_allows(struct ibvmig_plugin *p, osm_madw_t *madw,
			     const ib_guidinfo_record_t *rec)
{
	uint64_t requester = 0, target = 0;
	osm_physp_t *req_physp;
	osm_port_t *port;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	req_physp = osm_get_physp_by_mad_addr(&p->osm->log, &p->osm->subn,
					      osm_madw_get_mad_addr_ptr(madw));
	port = osm_get_port_by_lid(&p->osm->subn, rec->lid);
	if (req_physp)
		requester = cl_ntoh64(osm_physp_get_port_guid(req_physp));
	if (port)
		target = cl_ntoh64(port->guid);
	CL_PLOCK_RELEASE(&p->osm->lock);
	/* No such requester or target: OpenSM's handler answers with its own error. */
	if (!requester || !target || requester == target)
		return true;
	if (guard_allows_port(p, requester))
		return true;
	IBVMIG_ERROR(p, "ERR 0202: alias guard: port 0x%016" PRIx64 " may not change the alias "
		     "GUIDs of port 0x%016" PRIx64 " (LID %u): request refused\n", requester,
		     target, cl_ntoh16(rec->lid));
	return false;
}

/* What the plugin itself added to one Set/Delete: the benchmark reads it. */
static void gir_account(struct ibvmig_plugin *p, uint64_t own_ns)
{
	pthread_mutex_lock(&p->lock);
	p->counters.hook_calls++;
	p->counters.hook_ns += own_ns;
	if (own_ns > p->counters.hook_max_ns)
		p->counters.hook_max_ns = own_ns;
	pthread_mutex_unlock(&p->lock);
}

static void gir_handler(void *context, void *data)
{
	struct ibvmig_plugin *p = context;
	osm_madw_t *madw = data;
	ib_sa_mad_t *sa_mad = osm_madw_get_sa_mad_ptr(madw);
	const ib_guidinfo_record_t *rec = ib_sa_mad_get_payload_ptr(sa_mad);
	struct gir_snapshot before, after;
	uint64_t t0, osm_start, osm_ns;
	struct ibvmig_outbox out;
	bool was_dirty;

	if (sa_mad->method != IB_MAD_METHOD_SET && sa_mad->method != IB_MAD_METHOD_DELETE) {
		osm_gir_rcv_process(&p->osm->sa, madw);
		return;
	}
	if (p->conf.alias_guard && !gir_guard_allows(p, madw, rec)) {
		pthread_mutex_lock(&p->lock);
		p->counters.guard_refused++;
		pthread_mutex_unlock(&p->lock);
		osm_sa_send_error(&p->osm->sa, madw, IB_SA_MAD_STATUS_DENIED);
		return;
	}
	/* p->lock across the call: a reconcile must not slip between the snapshots. */
	t0 = util_mono_ns();
	pthread_mutex_lock(&p->lock);
	gir_snapshot(p, rec->lid, &before);
	osm_start = util_mono_ns();
	osm_gir_rcv_process(&p->osm->sa, madw);
	osm_ns = util_mono_ns() - osm_start;
	gir_snapshot(p, rec->lid, &after);
	was_dirty = ibvmig_unsaved_changes(p) != 0;
	gir_feed_diff(p, &before, &after);
	ibvmig_outbox_take(p, &out);
	pthread_mutex_unlock(&p->lock);
	ibvmig_outbox_send(p, &out);
	/* The first change since a save starts the save timer; later ones ride on it. */
	if (!was_dirty)
		ibvmig_worker_wake(p);
	gir_account(p, util_mono_ns() - t0 - osm_ns);
}

int ibvmig_gir_hook_install(struct ibvmig_plugin *p)
{
	osm_sa_t *sa = &p->osm->sa;
	cl_disp_reg_handle_t h;

	/* Set/Delete run on the SA Set dispatcher, or on the main one with single_thread. */
	if (sa->p_set_disp) {
		p->gir_disp = sa->p_set_disp;
		p->gir_handle = &sa->gir_set_disp_h;
	} else {
		p->gir_disp = sa->p_disp;
		p->gir_handle = &sa->gir_disp_h;
	}
	/* create() runs before OpenSM binds its port: no MAD can fall in the gap. */
	cl_disp_unregister(*p->gir_handle);
	h = cl_disp_register(p->gir_disp, OSM_MSG_MAD_GUIDINFO_RECORD, gir_handler, p);
	if (h == CL_DISP_INVALID_HANDLE) {
		IBVMIG_ERROR(p, "ERR 0203: cannot hook GUIDInfoRecord processing\n");
		*p->gir_handle = cl_disp_register(p->gir_disp, OSM_MSG_MAD_GUIDINFO_RECORD,
						  osm_gir_rcv_process, sa);
		return -1;
	}
	*p->gir_handle = h;
	p->hooked = true;
	return 0;
}

void ibvmig_gir_hook_remove(struct ibvmig_plugin *p)
{
	if (!p->hooked)
		return;
	p->hooked = false;
	/*
	 * When OpenSM exits, osm_sa_shutdown() has already unregistered the handle
	 * it finds in its field - ours - before it deletes plugins.
	 */
	if (osm_exit_flag)
		return;
	cl_disp_unregister(*p->gir_handle);
	*p->gir_handle = cl_disp_register(p->gir_disp, OSM_MSG_MAD_GUIDINFO_RECORD,
					  osm_gir_rcv_process, &p->osm->sa);
	if (*p->gir_handle == CL_DISP_INVALID_HANDLE)
		IBVMIG_ERROR(p, "ERR 0204: cannot give GUIDInfoRecord back to OpenSM\n");
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * gir_hook.c - sees every alias GUID Set and Delete the moment the SA applies
 * it, and guards who may make them.
 *
 * OpenSM has no event for GUIDInfoRecord: we take its dispatcher slot for
 * OSM_MSG_MAD_GUIDINFO_RECORD, and inside eng_port_change() (engine lock
 * held) snapshot the target port's GUID table around a call to OpenSM's own
 * handler (osm_gir_rcv_process, exported by the opensm executable but
 * declared in no header); the engine feeds the difference to its watcher.
 * OpenSM's handler keeps every rule of the SA (component mask, duplicates,
 * P_Key); we only add the alias guard in front of it.
 * Log codes of this file: D9xx (doc/log-codes.md).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_helper.h>
#include <opensm/osm_madw.h>
#include <opensm/osm_port.h>
#include <opensm/osm_sa.h>
#include <opensm/osm_subnet.h>

#include <errno.h>
#include <inttypes.h>

#include "plugin.h"

void osm_gir_rcv_process(void *ctx, void *data);

/* Fills @s (zeroed by the engine); takes osm->lock shared. */
static void gir_snapshot(struct ibvmig_plugin *p, ib_net16_t lid, struct eng_port_snapshot *s)
{
	const osm_physp_t *physp;
	osm_port_t *port;
	unsigned i;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	port = osm_get_port_by_lid(&p->osm->subn, lid);
	physp = port ? port->p_physp : NULL;
	if (physp) {
		s->port_guid = cl_ntoh64(port->guid);
		s->lid = cl_ntoh16(osm_port_get_base_lid(port));
		if (physp->p_guids) {
			s->entries = physp->port_info.guid_cap;
			if (s->entries > ENG_PORT_GUIDS_MAX)
				s->entries = ENG_PORT_GUIDS_MAX;
			for (i = 0; i < s->entries; i++)
				s->guids[i] = cl_ntoh64((*physp->p_guids)[i]);
		}
	}
	CL_PLOCK_RELEASE(&p->osm->lock);
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
	IBVMIG_ERROR(p, "ERR D901: alias guard: port 0x%016" PRIx64 " may not change the alias "
		     "GUIDs of port 0x%016" PRIx64 " (LID %u): request refused", requester,
		     target, cl_ntoh16(rec->lid));
	return false;
}

/* One Set/Delete as eng_port_change() applies it. */
struct gir_request {
	struct ibvmig_plugin *p;
	osm_madw_t *madw;
	ib_net16_t lid;
};

/* Engine lock held: the snapshots and OpenSM's handler, which takes osm->lock itself. */
static uint64_t gir_apply(void *arg, struct eng_port_snapshot *before,
			  struct eng_port_snapshot *after)
{
	struct gir_request *r = arg;
	uint64_t t0, osm_ns;

	gir_snapshot(r->p, r->lid, before);
	t0 = util_mono_ns();
	osm_gir_rcv_process(&r->p->osm->sa, r->madw);
	osm_ns = util_mono_ns() - t0;
	gir_snapshot(r->p, r->lid, after);
	return osm_ns;
}

static void gir_handler(void *context, void *data)
{
	struct ibvmig_plugin *p = context;
	osm_madw_t *madw = data;
	ib_sa_mad_t *sa_mad = osm_madw_get_sa_mad_ptr(madw);
	const ib_guidinfo_record_t *rec = ib_sa_mad_get_payload_ptr(sa_mad);
	struct gir_request r = { .p = p, .madw = madw, .lid = rec->lid };

	if (sa_mad->method != IB_MAD_METHOD_SET && sa_mad->method != IB_MAD_METHOD_DELETE) {
		osm_gir_rcv_process(&p->osm->sa, madw);
		return;
	}
	if (p->conf.alias_guard && !gir_guard_allows(p, madw, rec)) {
		eng_count_guard_refused(p->eng);
		osm_sa_send_error(&p->osm->sa, madw, IB_SA_MAD_STATUS_DENIED);
		return;
	}
	eng_port_change(p->eng, gir_apply, &r);
}

int ibvmig_gir_hook_start(void *plugin)
{
	struct ibvmig_plugin *p = plugin;
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
		IBVMIG_ERROR(p, "ERR D902: cannot hook GUIDInfoRecord processing");
		*p->gir_handle = cl_disp_register(p->gir_disp, OSM_MSG_MAD_GUIDINFO_RECORD,
						  osm_gir_rcv_process, sa);
		return -EBUSY;
	}
	*p->gir_handle = h;
	p->hooked = true;
	return 0;
}

void ibvmig_gir_hook_stop(void *plugin)
{
	struct ibvmig_plugin *p = plugin;

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
		IBVMIG_ERROR(p, "ERR D903: cannot give GUIDInfoRecord back to OpenSM");
}

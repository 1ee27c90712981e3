// SPDX-License-Identifier: BSD-2-Clause
/*
 * escrow_mad.c - the escrow's MADs on the SM port: vendor class 0x09
 * (vendor-specific range 1, no OUI: IBA vol 1, 13.4.4), version 1, bound
 * through OpenSM's own vendor layer as a responder for Get and Set.
 *
 * When: OpenSM binds its port after it created the plugins (create() runs in
 * osm_opensm_init, before osm_opensm_bind: doc/simulator.md, "The Event Plugin
 * Interface"), so the bind is tried at each HEAVY_SWEEP_START until the SM
 * port is known and it succeeds.  Until then a request would reach OpenSM's
 * umad client with no agent for its class, which under umad2sim kills the
 * process (doc/simulator.md, "umad2sim Reads and Polls"): senders wait for
 * the "bound" line.  Once bound, requests are answered "not master" until
 * this SM is master (escrow_service.c).
 *
 * The receive callback runs on OpenSM's umad receiver thread, which calls
 * every bind's callback, OpenSM's own SA and SM included (doc/simulator.md,
 * "Vendor-Class MADs"): it only copies the MAD and its address into the
 * service's queue and gives the wrapper back.  Answers are sent from the
 * worker.  Log codes of this file: DCxx (doc/log-codes.md).
 */
#include <opensm/osm_config.h>
#include <opensm/osm_helper.h>
#include <opensm/osm_mad_pool.h>
#include <opensm/osm_madw.h>
#include <vendor/osm_vendor_api.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "escrow.h"

static void recv_cb(osm_madw_t *madw, void *ctx, osm_madw_t *req_madw)
{
	struct ibvmig_escrow *svc = ctx;
	const ib_mad_t *mad = osm_madw_get_mad_ptr(madw);

	(void)req_madw;
	/* We send no requests: a response is nobody's. */
	if (!ib_mad_is_response(mad))
		ibvmig_escrow_queue(svc, mad, madw->mad_size, osm_madw_get_mad_addr_ptr(madw));
	osm_mad_pool_put(&svc->p->osm->mad_pool, madw);
}

/* Only a send expecting an answer comes back here; ours expect none.  Free it. */
static void send_err_cb(void *ctx, osm_madw_t *madw)
{
	struct ibvmig_escrow *svc = ctx;

	osm_mad_pool_put(&svc->p->osm->mad_pool, madw);
}

bool ibvmig_escrow_bind(struct ibvmig_escrow *svc)
{
	osm_opensm_t *osm = svc->p->osm;
	osm_bind_info_t info;
	osm_bind_handle_t h;

	if (atomic_load(&svc->bound))
		return true;
	if (!osm->subn.sm_port_guid || !osm->p_vendor)
		return false;
	memset(&info, 0, sizeof(info));
	info.port_guid = osm->subn.sm_port_guid;
	info.mad_class = IBVMIG_ESC_MGMT_CLASS;
	info.class_version = IBVMIG_ESC_CLASS_VERSION;
	info.is_responder = TRUE;
	info.recv_q_size = ESC_SVC_QUEUE;
	info.send_q_size = ESC_SVC_QUEUE;
	h = osm_vendor_bind(osm->p_vendor, &info, &osm->mad_pool, recv_cb, send_err_cb, svc);
	if (h == OSM_BIND_INVALID_HANDLE) {
		IBVMIG_ERROR(svc->p, "ERR DC01: cannot bind management class 0x%02x on port "
			     "0x%016" PRIx64 ": escrow requests go unanswered; tried again at the "
			     "next heavy sweep", IBVMIG_ESC_MGMT_CLASS,
			     cl_ntoh64(osm->subn.sm_port_guid));
		return false;
	}
	svc->bind = h;
	atomic_store(&svc->bound, true);
	IBVMIG_INFO(svc->p, "escrow: bound management class 0x%02x on port 0x%016" PRIx64
		    ": escrow requests are answered", IBVMIG_ESC_MGMT_CLASS,
		    cl_ntoh64(osm->subn.sm_port_guid));
	return true;
}

/*
 * OpenSM's unbind only swaps the callbacks for dummies under its callback
 * mutex: the agent stays registered, so a late MAD of the class is still
 * taken (and dropped) rather than killing the process under umad2sim.
 */
void ibvmig_escrow_unbind(struct ibvmig_escrow *svc)
{
	if (!atomic_load(&svc->bound))
		return;
	osm_vendor_unbind(svc->bind);
	atomic_store(&svc->bound, false);
}

int ibvmig_escrow_send(struct ibvmig_escrow *svc, const uint8_t mad[IBVMIG_ESC_MAD_LEN],
		       const osm_mad_addr_t *addr)
{
	osm_madw_t *madw;

	if (!atomic_load(&svc->bound))
		return -ENOTCONN;
	madw = osm_mad_pool_get(&svc->p->osm->mad_pool, svc->bind, IBVMIG_ESC_MAD_LEN, addr);
	if (!madw)
		return -ENOMEM;
	memcpy(osm_madw_get_mad_ptr(madw), mad, IBVMIG_ESC_MAD_LEN);
	/* No answer expected: the vendor layer gives the wrapper back once sent. */
	if (osm_vendor_send(svc->bind, madw, FALSE) != IB_SUCCESS) {
		IBVMIG_ERROR(svc->p, "ERR DC02: an escrow answer to LID %u could not be sent",
			     cl_ntoh16(addr->dest_lid));
		return -EIO;
	}
	return 0;
}

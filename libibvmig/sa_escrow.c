// SPDX-License-Identifier: BSD-2-Clause
/*
 * sa_escrow.c - the LID escrow's requester (doc/escrow-protocol.md, "The
 * agent's side"): one request to the master SM through the MAD client,
 * encoded and its answer decoded by the one escrow codec (ibvmig_escrow.h).
 * The agent ibvmigd and the test fabric's ibvmig-sa both ask through here.
 */
#include "ibvmig_sa.h"
#include "sa_codec.h"

#include <errno.h>
#include <string.h>

int ibvmig_sa_escrow_exchange(struct ibvmig_sa *sa, const uint8_t mad[IBVMIG_ESC_MAD_LEN],
			      const struct ibvmig_sa_call *call,
			      uint8_t answer[IBVMIG_ESC_MAD_LEN], uint16_t *mad_status,
			      uint16_t *sm_lid)
{
	struct ibvmig_sa_vendor_mad req, resp;
	uint16_t lid;
	int rc;

	rc = ibvmig_sa_refresh(sa);	/* the master's LID: it moves on a failover */
	if (rc)
		return rc;
	lid = ibvmig_sa_port(sa)->sm_lid;
	if (sm_lid)
		*sm_lid = lid;
	rc = ibvmig_sa_vendor_decode(mad, IBVMIG_ESC_MAD_LEN, &req);
	if (rc)
		return -EINVAL;
	/* Requester only: no escrow request may reach this process (umad2sim). */
	rc = ibvmig_sa_register_class(sa, IBVMIG_ESC_MGMT_CLASS, IBVMIG_ESC_CLASS_VERSION, NULL,
				      NULL);
	if (rc && rc != -EEXIST)
		return rc;
	rc = ibvmig_sa_vendor_request(sa, lid, &req, call, &resp);
	if (rc)
		return rc;
	ibvmig_sa_vendor_encode(answer, &resp);
	*mad_status = resp.status;
	return 0;
}

int ibvmig_sa_escrow(struct ibvmig_sa *sa, enum ibvmig_esc_msg msg,
		     const struct ibvmig_esc_req *r, const struct ibvmig_sa_call *call,
		     struct ibvmig_sa_escrow_answer *out)
{
	uint8_t mad[IBVMIG_ESC_MAD_LEN], answer[IBVMIG_ESC_MAD_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	/* The TID is the MAD client's: it keeps it for every resend of this request. */
	out->err = ibvmig_esc_req_encode(msg, 0, r, mad);
	if (out->err)
		return -EINVAL;
	rc = ibvmig_sa_escrow_exchange(sa, mad, call, answer, &out->mad_status, &out->sm_lid);
	if (rc)
		return rc;
	if (out->mad_status & IBVMIG_ESC_MAD_STATUS_COMMON)
		return -EPROTO;	/* the SM could not read the request at all */
	out->err = ibvmig_esc_answer_decode(msg, answer, IBVMIG_ESC_MAD_LEN, NULL, &out->resp);
	return out->err ? -EBADMSG : 0;
}

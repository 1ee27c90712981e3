// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_escrow.c - the LID escrow's requester in ibvmigd, the host's only
 * MAD client (doc/escrow-protocol.md, "The agent's side"): the host CLI's
 * escrow-release/-claim/-cancel/-query become one request each to the master
 * SM, sent from this agent's port.  In the vSwitch model the agent runs on
 * the PF and names a VF's port; the SM decides whether this PF may ask.
 *
 * THREADS: the SA thread only (it owns the handle).  The MAD client resends
 * with the same TID, and only an answer from the SM LID asked counts.
 *
 * When this agent's own port is the one whose LID moves, the SM readdresses
 * its subscriptions at once, but the port takes the new LID only with the
 * heavy sweep: in between, the canary check (asked from the old LID) would
 * find nothing and subscribe again from the LID being left, and a notice
 * would then come twice.  agent_escrow_window() tells the SA thread when
 * that window opens and closes (agent_sa.c holds the check meanwhile).
 *
 * The token is the VM's LID: it goes from the SM's answer to the CLI's reply
 * and nowhere else - no log line here names it.
 */
#include "agent.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/*
 * The SM fsyncs its journal before it answers: a second or more per attempt
 * (doc/escrow-protocol.md), and four attempts stay within the CLI's 10 s.
 */
#define ESCROW_TIMEOUT_MS 2000
#define ESCROW_RETRIES 3

static const struct {
	uint8_t type;			/* the VM channel's request */
	enum ibvmig_esc_msg msg;	/* the escrow MAD */
	const char *name;
} ops[] = {
	{ IBVMIG_VMC_ESC_RELEASE, IBVMIG_ESC_RELEASE_REQ, "release" },
	{ IBVMIG_VMC_ESC_CLAIM, IBVMIG_ESC_CLAIM_REQ, "claim" },
	{ IBVMIG_VMC_ESC_CANCEL, IBVMIG_ESC_CANCEL_REQ, "cancel" },
	{ IBVMIG_VMC_ESC_QUERY, IBVMIG_ESC_QUERY_REQ, "query" },
};

static int op_of(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].type == type)
			return (int)i;
	return -1;
}

/* The SM's answer, as the VM channel carries it (the token only in RELEASE's). */
static void answer_to(const struct ibvmig_sa_escrow_answer *ans, struct ibvmig_vmc_escrow *out)
{
	const struct ibvmig_esc_resp *a = &ans->resp;

	out->port_guid = a->port_guid;
	out->dest_guid = a->dest_guid;
	ibvmig_vmc_token_put(out->token, a->token);
	out->esc_status = a->status;
	out->state = a->state;
	out->lid = a->lid;
	out->source_guid = a->source_guid;
	out->claimant_guid = a->claimant_guid;
	out->expires_in_ms = a->expires_in_ms;
	out->retry_after_ms = a->retry_after_ms;
	out->keys = a->nkeys;
	out->sm_lid = ans->sm_lid;
}

/* Why no answer counts: the reply's text (the rc is the MAD client's). */
static void no_answer(struct agent_ev_reply *r, const char *op, uint64_t port,
		      const struct ibvmig_sa_escrow_answer *ans)
{
	if (r->rc == -EPROTO)
		snprintf(r->text, sizeof(r->text), "the SM could not read the %s request "
			 "(MAD status 0x%04x)", op, ans->mad_status);
	else if (r->rc == -EBADMSG || r->rc == -EINVAL)
		snprintf(r->text, sizeof(r->text), "%s: %s", r->rc == -EINVAL ? "the request" :
			 "the SM's answer", ibvmig_esc_strerror(ans->err));
	else if (r->rc == -ETIMEDOUT)
		snprintf(r->text, sizeof(r->text), "the SM (LID %u) did not answer the %s "
			 "request: is the plugin's escrow on?", ans->sm_lid, op);
	else
		snprintf(r->text, sizeof(r->text), "%s", ibvmig_sa_strerror(r->rc));
	util_log(UTIL_LOG_ERROR, "ERR EE01: escrow %s of port 0x%016" PRIx64 ": %s", op, port,
		 r->text);
}

enum agent_escrow_window agent_escrow_window(uint8_t type, uint64_t own,
					     const struct ibvmig_vmc_escrow *a)
{
	if (a->esc_status != IBVMIG_ESC_OK || !own || a->port_guid != own)
		return AGENT_ESC_NONE;
	if (type != IBVMIG_VMC_ESC_QUERY)
		return type == IBVMIG_VMC_ESC_RELEASE || type == IBVMIG_VMC_ESC_CLAIM ||
			       type == IBVMIG_VMC_ESC_CANCEL
			       ? AGENT_ESC_OPEN
			       : AGENT_ESC_NONE;
	if (a->state == IBVMIG_ESC_MOVING)
		return AGENT_ESC_OPEN;
	return a->state == IBVMIG_ESC_HELD ? AGENT_ESC_NONE : AGENT_ESC_CLOSE;
}

enum agent_escrow_window agent_escrow_job(struct ibvmig_sa *sa, const struct agent_job_escrow *job,
					  struct agent_ev_reply *r)
{
	const struct ibvmig_sa_call call = { ESCROW_TIMEOUT_MS, ESCROW_RETRIES };
	struct ibvmig_sa_escrow_answer ans;
	struct ibvmig_esc_req req = { .port_guid = job->esc.port_guid,
				      .dest_guid = job->esc.dest_guid };
	int op = op_of(job->type);

	r->esc.type = job->type;
	if (op < 0) {
		r->rc = -EOPNOTSUPP;
		return AGENT_ESC_NONE;
	}
	if (!req.port_guid)
		req.port_guid = ibvmig_sa_port(sa)->port_guid;
	ibvmig_vmc_token_get(job->esc.token, req.token);
	r->rc = ibvmig_sa_escrow(sa, ops[op].msg, &req, &call, &ans);
	if (r->rc) {
		no_answer(r, ops[op].name, req.port_guid, &ans);
		return AGENT_ESC_NONE;
	}
	answer_to(&ans, &r->esc.esc);
	util_log(UTIL_LOG_INFO,
		 "escrow %s of port 0x%016" PRIx64 " (SM LID %u): %s%s%s, LID %u",
		 ops[op].name, req.port_guid, ans.sm_lid, ibvmig_esc_status_name(ans.resp.status),
		 ans.resp.status ? "" : ", ",
		 ans.resp.status ? "" : ibvmig_esc_state_name(ans.resp.state), ans.resp.lid);
	return agent_escrow_window(job->type, ibvmig_sa_port(sa)->port_guid, &r->esc.esc);
}

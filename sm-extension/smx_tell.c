// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_tell.c - what the hypervisor agents tell the extension, and the direct
 * delivery of notices to them (doc/tell-protocol.md).
 *
 * A tell (AliasTold, vendor class 0x0A) says "this port set (or deleted)
 * this vGUID at this index, and the SA answered so".  The extension takes no
 * host's word alone: the tell must come from the port it names (its SLID is
 * the fabric's, written by the sending port's HCA, not by the sender), and
 * the block it names is read through the SA (one Get, smx_read_block) before
 * the engine is fed; the tell names the vGUID whose move that read may then
 * believe (engine.h, eng_port_read).  The answer goes back after the feed, so
 * an answered tell was followed: an agent resends an unanswered one (after
 * an extension restart too), and a resend is read again, which changes
 * nothing the first read changed.
 *
 * Every tell also refreshes the agent's entry: its LID, QPN and what it takes
 * (flags).  That table is what direct delivery sends to and what the admin
 * `subscribers` answer can show (the SM's own InformInfo table cannot be read
 * in one record, doc/simulator.md, "RMPP").
 * Log codes of this file: E5xx (doc/log-codes.md).
 */
#include "smx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/*
 * A PathNotice's answer is waited for this long, resent twice: longer than an
 * agent waits for a tell's answer (TELL_TIMEOUT_MS, host/agent_tell.c), so an
 * agent that was waiting for one when the PathNotice came answers it in time.
 */
#define DIRECT_TIMEOUT_MS 500
#define DIRECT_RETRIES 2

_Static_assert(IBVMIG_TELL_DATA_LEN == IBVMIG_SA_VENDOR_DATA_LEN,
	       "a tell fills a vendor MAD's data");

void smx_tell_on_request(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req, void *ctx)
{
	struct smx *s = ctx;

	(void)sa;
	/* Queued, not handled here: handling it makes requests of its own. */
	if (s->t_len == SMX_TELL_QUEUE) {
		s->tells_overflow++;	/* unanswered: the agent sends it again */
		return;
	}
	s->tells[(s->t_head + s->t_len++) % SMX_TELL_QUEUE] = *req;
}

static void answer(struct smx *s, const struct ibvmig_sa_request *req, uint16_t status,
		   const struct ibvmig_tell_answer *a)
{
	uint8_t data[IBVMIG_TELL_DATA_LEN];
	int rc;

	if (a)
		ibvmig_tell_answer_encode(a, data);
	rc = ibvmig_sa_respond(s->sa, req, status, 0, a ? data : NULL, a ? sizeof(data) : 0);
	if (rc)
		util_log(UTIL_LOG_VERBOSE, "ERR E501: answer to LID %u not sent: %s", req->slid,
			 ibvmig_sa_strerror(rc));
}

/* ---- the agents ----------------------------------------------------------------------- */

static struct smx_agent *agent_find(struct smx *s, uint64_t guid)
{
	unsigned i;

	for (i = 0; i < s->n_agents; i++)
		if (s->agents[i].guid == guid)
			return &s->agents[i];
	return NULL;
}

static void agent_note(struct smx *s, const struct ibvmig_sa_request *req,
		       const struct ibvmig_tell *t)
{
	struct smx_agent *a = agent_find(s, t->port_guid);

	pthread_mutex_lock(&s->lock);
	if (!a && s->n_agents < SMX_AGENTS_MAX) {
		a = &s->agents[s->n_agents++];
		util_log(UTIL_LOG_INFO, "agent of port 0x%016" PRIx64 " at LID %u%s", t->port_guid,
			 req->slid,
			 t->flags & IBVMIG_TELL_F_DIRECT ? " (takes direct notices)" : "");
	}
	if (a)
		*a = (struct smx_agent){ t->port_guid, req->slid, req->qpn, t->flags,
					 util_mono_ms() };
	pthread_mutex_unlock(&s->lock);
}

void smx_tell_expire(struct smx *s, uint64_t now_ms)
{
	uint64_t ttl = s->conf.agent_timeout_s * 1000ULL;
	unsigned i = 0;

	pthread_mutex_lock(&s->lock);
	while (i < s->n_agents) {
		if (now_ms - s->agents[i].seen_ms <= ttl) {
			i++;
			continue;
		}
		util_log(UTIL_LOG_INFO, "agent of port 0x%016" PRIx64 " silent for %u s: forgotten",
			 s->agents[i].guid, s->conf.agent_timeout_s);
		s->agents[i] = s->agents[--s->n_agents];
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- tells ----------------------------------------------------------------------------- */

/* The port the tell comes from, learnt now if need be; NULL if it is not the one it names. */
static struct smx_port *teller_port(struct smx *s, uint16_t slid, uint64_t guid)
{
	struct smx_port *p = smx_port_by_lid(&s->ports, slid);

	if (!p || p->guid != guid) {
		s->ports.prepaid = 2;	/* a tell's, not the poll's: no token */
		smx_ports_learn_lid(s, slid);
		s->ports.prepaid = 0;
		p = smx_port_by_lid(&s->ports, slid);
	}
	return p && p->guid == guid ? p : NULL;
}

static void refuse(struct smx *s, const struct ibvmig_sa_request *req, const struct ibvmig_tell *t,
		   const char *why)
{
	s->cnt.tells_refused++;
	util_log(UTIL_LOG_ERROR, "ERR E502: a tell (%s of 0x%016" PRIx64 ") from LID %u for port "
		 "0x%016" PRIx64 " refused: %s", ibvmig_tell_op_name(t->op), t->vguid, req->slid,
		 t->port_guid, why);
	answer(s, req, IBVMIG_TELL_STATUS_REFUSED, NULL);
}

/*
 * The read a tell calls for: the block of its index, or every block when the
 * agent did not know the index (a Delete it looked up).  *@seen: the GUID at
 * the index after (for an unknown index: the vGUID if the port still holds it).
 */
static int read_told(struct smx *s, struct smx_port *p, const struct ibvmig_tell *t,
		     uint64_t *seen)
{
	unsigned b, blocks = (p->guid_cap + IBVMIG_SA_GUIDS_PER_BLOCK - 1) /
			     IBVMIG_SA_GUIDS_PER_BLOCK;
	uint64_t at = 0;
	int rc = 0, i;

	*seen = 0;
	if (t->index) {
		s->cnt.tell_reads++;
		return smx_read_block(s, p, (uint8_t)(t->index / IBVMIG_SA_GUIDS_PER_BLOCK),
				      t->vguid, t->index, seen);
	}
	for (b = 0; !rc && b < blocks; b++) {
		s->cnt.tell_reads++;
		rc = smx_read_block(s, p, (uint8_t)b, t->vguid, -1, NULL);
		for (i = 0; !rc && i < IBVMIG_SA_GUIDS_PER_BLOCK; i++)
			if (b * IBVMIG_SA_GUIDS_PER_BLOCK + i < p->guid_cap &&
			    p->table[b * IBVMIG_SA_GUIDS_PER_BLOCK + i] == t->vguid)
				at = t->vguid;
	}
	*seen = at;
	return rc;
}

static void handle_alias(struct smx *s, const struct ibvmig_sa_request *req)
{
	struct ibvmig_tell_answer a = { 0 };
	struct smx_port *p;
	struct ibvmig_tell t;
	uint64_t seen = 0;
	int rc = ibvmig_tell_decode(req->mad.data, sizeof(req->mad.data), &t);

	if (rc) {
		s->cnt.tells_refused++;
		answer(s, req, IBVMIG_TELL_STATUS_MALFORMED, NULL);
		return;
	}
	p = teller_port(s, req->slid, t.port_guid);
	if (!p) {
		refuse(s, req, &t, "that port does not have the LID it comes from");
		return;
	}
	agent_note(s, req, &t);
	if (t.op == IBVMIG_TELL_HELLO) {
		answer(s, req, IBVMIG_TELL_STATUS_OK, &a);
		return;
	}
	if (t.index >= p->guid_cap) {
		refuse(s, req, &t, "the index is past the port's GUIDCap");
		return;
	}
	rc = read_told(s, p, &t, &seen);
	if (rc) {
		/* Not followed: "later" makes the agent send it again. */
		answer(s, req, IBVMIG_TELL_STATUS_LATER, NULL);
		return;
	}
	a.seq = t.seq;
	a.seen = seen;
	a.confirmed = t.op == IBVMIG_TELL_SET ? seen == t.vguid : seen != t.vguid;
	util_log(UTIL_LOG_VERBOSE, "tell from LID %u: %s of 0x%016" PRIx64 " at index %u, the SA "
		 "said %d; read: %s", req->slid, ibvmig_tell_op_name(t.op), t.vguid, t.index,
		 t.result, a.confirmed ? "so" : "otherwise");
	answer(s, req, IBVMIG_TELL_STATUS_OK, &a);
}

static void handle_one(struct smx *s, const struct ibvmig_sa_request *req)
{
	s->cnt.tells++;
	if (req->mad.mgmt_class == IBVMIG_TELL_CLASS &&
	    req->mad.attr_id == IBVMIG_TELL_ATTR_ALIAS && req->mad.method == IBVMIG_TELL_METHOD) {
		handle_alias(s, req);
		return;
	}
	/* PathNotice goes the other way; the extension takes none. */
	s->cnt.tells_refused++;
	answer(s, req, IBVMIG_TELL_STATUS_REFUSED, NULL);
}

int smx_tell_step(struct smx *s)
{
	struct ibvmig_sa_request req;
	int n = 0;

	/* Bounded: tells that come while these are handled wait for the next step. */
	while (s->t_len && n < SMX_TELL_QUEUE) {
		req = s->tells[s->t_head];
		s->t_head = (s->t_head + 1) % SMX_TELL_QUEUE;
		s->t_len--;
		handle_one(s, &req);
		n++;
	}
	return n > 0;
}

/* ---- direct delivery -------------------------------------------------------------------- */

static int send_direct(struct smx *s, const struct smx_agent *a, const uint8_t *data)
{
	struct ibvmig_sa_vendor_mad req = {
		.mgmt_class = IBVMIG_TELL_CLASS,
		.method = IBVMIG_TELL_METHOD,
		.attr_id = IBVMIG_TELL_ATTR_NOTICE,
	}, resp;
	struct ibvmig_sa_call call = { DIRECT_TIMEOUT_MS, DIRECT_RETRIES };
	int rc;

	memcpy(req.data, data, sizeof(req.data));
	rc = ibvmig_sa_vendor_request(s->sa, a->lid, &req, &call, &resp);
	if (!rc && resp.status)
		rc = -EPROTO;
	return rc;
}

int smx_tell_direct(struct smx *s, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct ibvmig_direct_notice d = { trap, ibvmig_sa_port(s->sa)->port_guid, *n };
	struct smx_direct *q;

	if (!s->direct && !(s->direct = calloc(SMX_DIRECT_QUEUE, sizeof(*s->direct))))
		return -ENOMEM;
	if (s->d_len == SMX_DIRECT_QUEUE)
		return -ENOBUFS;
	q = &s->direct[(s->d_head + s->d_len++) % SMX_DIRECT_QUEUE];
	ibvmig_direct_notice_encode(&d, q->data);
	q->number = n->number;
	return 0;
}

int smx_tell_direct_step(struct smx *s)
{
	const struct smx_direct *q;
	struct smx_agent a;
	int rc;

	if (!s->d_len)
		return 0;
	q = &s->direct[s->d_head];
	/*
	 * Only agents that said they take PathNotices: under ibsim a vendor MAD to
	 * a process that did not register its class kills it (doc/simulator.md).
	 */
	while (s->d_agent < s->n_agents && !(s->agents[s->d_agent].flags & IBVMIG_TELL_F_DIRECT))
		s->d_agent++;
	if (s->d_agent == s->n_agents) {
		s->d_head = (s->d_head + 1) % SMX_DIRECT_QUEUE;
		s->d_len--;
		s->d_agent = 0;
		return 1;
	}
	a = s->agents[s->d_agent++];
	rc = send_direct(s, &a, q->data);
	if (rc) {
		s->cnt.direct_errors++;
		util_log(UTIL_LOG_VERBOSE, "ERR E503: PathNotice %u to LID %u: %s", q->number,
			 a.lid, ibvmig_sa_strerror(rc));
		return 1;
	}
	s->cnt.direct_sent++;
	return 1;
}

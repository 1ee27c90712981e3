// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_tell.c - ibvmigd's side of the standalone SM extension, ibvmig-smx
 * (doc/tell-protocol.md), with --extension LID: the SA thread tells the
 * extension of every GUIDInfoRecord Set and Delete it made and what the SA
 * answered, says hello every HELLO_MS, and takes the extension's direct
 * PathNotices.  Everything here runs on the SA thread (agent.h).
 *
 * Tells are queued where agent_sa.c completes a Set or Delete and sent by
 * agent_tell_step() after the jobs of the slice, so that no VM's reply waits
 * for the extension; each is a vendor request (class 0x0A) the extension
 * answers once it has read the port itself and followed the change.  An
 * unanswered tell (the extension restarting, a lost MAD) is sent again, same
 * seq, with a backoff, for TELL_MAX_AGE_MS at most: the extension reads the
 * port again, which changes nothing if it saw the change already, and a
 * RePath it held back for want of this tell goes out then.
 *
 * Direct PathNotices are believed only from the extension's LID (the SLID is
 * the fabric's, not the sender's word); anything else is counted, logged and
 * answered "refused".  A believed one goes to the VMs as a Report would.
 * Log codes of this file: EDxx (doc/log-codes.md).
 */
#include "agent.h"
#include "ibvmig_tell.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TELL_QUEUE 256
#define TELL_TIMEOUT_MS 250		/* one attempt per try: the backoff does the rest */
#define TELL_BACKOFF_MIN_MS 250
#define TELL_BACKOFF_MAX_MS 10000
#define TELL_MAX_AGE_MS (10 * 60 * 1000)
#define HELLO_MS 30000

struct pending_tell {
	struct ibvmig_tell t;
	uint64_t first_ms;
};

struct agent_tell {
	uint16_t lid;			/* the extension's */
	bool direct;			/* the class is registered: PathNotices are taken */
	struct pending_tell q[TELL_QUEUE];	/* a ring */
	unsigned head, len;
	uint32_t seq;
	uint64_t next_try_ms, next_hello_ms;
	int backoff_ms;
	uint8_t hello_flags;		/* flags of the last hello queued */
	uint64_t told, dropped, notices, refused;
};

bool agent_tell_parse(const char *arg, struct agent_opts *o)
{
	uint64_t lid;

	if (util_parse_uint(arg, 0, 1, 0xBFFF, &lid))	/* a unicast LID, IBA 4.1.3 */
		return false;
	o->extension_lid = (uint16_t)lid;
	return true;
}

/* ---- direct PathNotices ------------------------------------------------------------------ */

static void refuse_notice(struct agent_tell *t, struct ibvmig_sa *sa,
			  const struct ibvmig_sa_request *req, uint16_t status, const char *why)
{
	t->refused++;
	util_log(UTIL_LOG_ERROR, "ERR ED01: a PathNotice from LID %u refused: %s (%llu refused so "
		 "far)", req->slid, why, (unsigned long long)t->refused);
	ibvmig_sa_respond(sa, req, status, 0, NULL, 0);
}

static void on_request(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req, void *ctx)
{
	struct agent *a = ctx;
	struct agent_tell *t = a->tell;
	struct ibvmig_direct_notice d;
	struct agent_item *ev;

	if (req->mad.attr_id != IBVMIG_TELL_ATTR_NOTICE || req->mad.method != IBVMIG_TELL_METHOD) {
		refuse_notice(t, sa, req, IBVMIG_TELL_STATUS_REFUSED, "not a PathNotice");
		return;
	}
	if (req->slid != t->lid) {
		refuse_notice(t, sa, req, IBVMIG_TELL_STATUS_REFUSED,
			      "not from the extension's LID");
		return;
	}
	if (ibvmig_direct_notice_decode(req->mad.data, sizeof(req->mad.data), &d)) {
		refuse_notice(t, sa, req, IBVMIG_TELL_STATUS_MALFORMED, "malformed");
		return;
	}
	/* A resend of one answered late (IBA 13.4.2: the same TID): answered again, once taken. */
	ibvmig_sa_respond(sa, req, IBVMIG_TELL_STATUS_OK, 0, NULL, 0);
	if (req->resent)
		return;
	t->notices++;
	util_log(UTIL_LOG_VERBOSE, "PathNotice %u from the extension (trap %u)", d.notice.number,
		 d.trap);
	ev = agent_item_new(AGENT_EV_NOTICE);
	if (!ev)
		return;
	ev->notice.trap = d.trap;
	ev->notice.notice = d.notice;
	ev->notice.received = req->received;
	agent_queue_push(&a->events, ev);
}

/* ---- start and stop ---------------------------------------------------------------------- */

int agent_tell_start(struct agent *a, struct ibvmig_sa *sa)
{
	const struct ibvmig_sa_port *p = ibvmig_sa_port(sa);
	struct agent_tell *t;
	int rc;

	if (!a->opts.extension_lid)
		return 0;
	/* Under ibsim OpenSM dies of a vendor MAD (doc/simulator.md, "Vendor-Class MADs"). */
	if (a->opts.sa.simulator && a->opts.extension_lid == p->sm_lid) {
		util_log(UTIL_LOG_ERROR, "ERR ED02: --extension %u is the SM's LID: under ibsim a "
			 "tell would kill OpenSM; the extension is not told", p->sm_lid);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->lid = a->opts.extension_lid;
	t->backoff_ms = TELL_BACKOFF_MIN_MS;
	a->tell = t;
	rc = ibvmig_sa_register_class(sa, IBVMIG_TELL_CLASS, IBVMIG_TELL_CLASS_VERSION,
				      on_request, a);
	t->direct = !rc;
	if (rc)
		util_log(UTIL_LOG_ERROR, "ERR ED03: vendor class 0x%02x not registered (%s): the "
			 "extension is told, but cannot deliver notices directly",
			 IBVMIG_TELL_CLASS, ibvmig_sa_strerror(rc));
	util_log(UTIL_LOG_INFO, "telling the SM extension at LID %u", t->lid);
	return 0;
}

void agent_tell_stop(struct agent *a)
{
	struct agent_tell *t = a->tell;

	if (!t)
		return;
	if (t->len)
		util_log(UTIL_LOG_INFO, "%u tells to the extension never answered", t->len);
	free(t);
	a->tell = NULL;
}

/* ---- tells -------------------------------------------------------------------------------- */

static void queue(struct agent_tell *t, const struct ibvmig_tell *tell)
{
	struct pending_tell *p;

	if (t->len == TELL_QUEUE) {	/* the oldest gives way: the poll finds it */
		t->head = (t->head + 1) % TELL_QUEUE;
		t->len--;
		t->dropped++;
	}
	p = &t->q[(t->head + t->len++) % TELL_QUEUE];
	p->t = *tell;
	p->t.seq = ++t->seq;
	p->first_ms = util_mono_ms();
}

void agent_tell_alias(struct agent *a, uint8_t op, uint64_t vguid, int index, int rc)
{
	struct ibvmig_tell tell = {
		.op = op,
		.index = (uint16_t)(index > 0 ? index : 0),	/* 0: not known */
		.vguid = vguid,
		.result = rc,
	};

	if (!a->tell || !vguid)
		return;
	queue(a->tell, &tell);
}

static uint8_t flags_now(struct agent *a)
{
	bool subscribed;

	pthread_mutex_lock(&a->status_lock);
	subscribed = a->sa_status.subscribed;
	pthread_mutex_unlock(&a->status_lock);
	return (uint8_t)((a->tell->direct ? IBVMIG_TELL_F_DIRECT : 0) |
			 (subscribed ? IBVMIG_TELL_F_SUBSCRIBED : 0));
}

static void hello_if_due(struct agent *a, uint64_t now)
{
	struct agent_tell *t = a->tell;
	struct ibvmig_tell hello = { .op = IBVMIG_TELL_HELLO };

	hello.flags = flags_now(a);
	if (now < t->next_hello_ms && hello.flags == t->hello_flags)
		return;
	t->next_hello_ms = now + HELLO_MS;
	t->hello_flags = hello.flags;
	queue(t, &hello);
}

/* One tell: 0 answered (for good, whatever it said), or -errno (send it again later). */
static int send_tell(struct agent *a, struct ibvmig_sa *sa, struct ibvmig_tell *tell)
{
	struct ibvmig_sa_vendor_mad req = {
		.mgmt_class = IBVMIG_TELL_CLASS,
		.method = IBVMIG_TELL_METHOD,
		.attr_id = IBVMIG_TELL_ATTR_ALIAS,
	}, resp;
	struct ibvmig_sa_call call = { TELL_TIMEOUT_MS, 0 };
	int rc;

	tell->port_guid = ibvmig_sa_port(sa)->port_guid;
	tell->flags = flags_now(a);
	ibvmig_tell_encode(tell, req.data);
	rc = ibvmig_sa_vendor_request(sa, a->tell->lid, &req, &call, &resp);
	if (rc)
		return rc;
	if (resp.status == IBVMIG_TELL_STATUS_LATER)
		return -EAGAIN;
	if (resp.status)
		util_log(UTIL_LOG_ERROR, "ERR ED04: the extension refused a tell (%s of 0x%016"
			 PRIx64 "): status 0x%04x", ibvmig_tell_op_name(tell->op), tell->vguid,
			 resp.status);
	return 0;
}

void agent_tell_step(struct agent *a, struct ibvmig_sa *sa)
{
	struct agent_tell *t = a->tell;
	uint64_t now = util_mono_ms();
	struct pending_tell *p;
	int rc;

	if (!t)
		return;
	hello_if_due(a, now);
	if (now < t->next_try_ms)
		return;
	while (t->len) {
		p = &t->q[t->head];
		if (now - p->first_ms > TELL_MAX_AGE_MS) {
			t->dropped++;
		} else if ((rc = send_tell(a, sa, &p->t))) {
			util_log(t->backoff_ms == TELL_BACKOFF_MIN_MS ? UTIL_LOG_ERROR :
				 UTIL_LOG_VERBOSE, "ERR ED05: the extension at LID %u did not take "
				 "a tell (%s): %u waiting, again in %d ms", t->lid,
				 ibvmig_sa_strerror(rc), t->len, t->backoff_ms);
			t->next_try_ms = now + (uint64_t)t->backoff_ms;
			t->backoff_ms = t->backoff_ms >= TELL_BACKOFF_MAX_MS / 2 ?
					TELL_BACKOFF_MAX_MS : t->backoff_ms * 2;
			return;
		} else {
			t->told++;
		}
		t->head = (t->head + 1) % TELL_QUEUE;
		t->len--;
	}
	t->backoff_ms = TELL_BACKOFF_MIN_MS;
}

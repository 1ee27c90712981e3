// SPDX-License-Identifier: BSD-2-Clause
/*
 * sa_client.c - the libibumad side of libibvmig-sa: the handle, the one
 * blocking request loop every request goes through (SA, local PortInfo,
 * Trap, vendor classes), and the handling of unsolicited MADs (Reports,
 * vendor requests, and SMInfo in simulator mode).  Layouts live in
 * sa_codec.c; this file only moves MADs.
 */
#include "ibvmig_sa.h"
#include "ibvmig_util.h"
#include "sa_codec.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/umad.h>
#include <infiniband/umad_sa.h>
#include <infiniband/umad_types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPORT_QUEUE_LEN  1024 /* Reports kept while a request waits */
#define REQUEST_QUEUE_LEN 64   /* vendor requests kept while a request waits */
#define RECENT_REPORTS	  32   /* TIDs remembered to spot a resent Report */
#define RECENT_REQUESTS	  32   /* ...and a resent vendor request */
#define DRAIN_MAX	  64   /* MADs one process call handles after its wait */
#define SA_QPN		  1
#define GSI_QPN		  1
#define SMI_QPN		  0
#define N_VENDOR_CLASSES  (IBVMIG_SA_VENDOR_CLASS_LAST - IBVMIG_SA_VENDOR_CLASS_FIRST + 1)
#define MAX_GUID_BLOCKS	 256	/* BlockNum is 8 bits */
#define UNICAST_LID_TOP	 0xBFFF /* IBA 4.1.3: 0xC000 and up are multicast */

struct subscription {
	uint16_t trap, lid_begin, lid_end;
};

struct recent_report {
	uint64_t tid;
	uint16_t slid;
	bool used;
	uint8_t notice[IBVMIG_NOTICE_LEN];
};

struct recent_request {
	uint64_t tid;
	uint32_t qpn;
	uint16_t slid;
	uint8_t mgmt_class;
	bool used;
};

/* A registered vendor class; agent < 0 when free. */
struct vendor_class {
	int agent;
	uint8_t version;
	ibvmig_sa_request_fn fn; /* NULL: requester only */
	void *ctx;
};

/* Where a request goes and through which agent. */
struct mad_dest {
	int agent;
	uint16_t lid;
	uint32_t qpn;
	uint8_t sl;
	/*
	 * Only an answer whose source LID is @lid is the answer: any port can
	 * send any MAD, and a vendor class's answer carries what the requester
	 * acts on (the escrow's token, its LID).
	 */
	bool from_lid;
};

/* What a request waits for: the matcher says 1 (final), 2 (busy: resend later) or 0. */
typedef int (*match_fn)(const struct ibvmig_sa_mad_hdr *req, const struct ibvmig_sa_mad_hdr *h);

struct ibvmig_sa {
	struct ibvmig_sa_opts opts; /* opts.ca points at port.ca */
	struct ibvmig_sa_port port;
	int portid;		 /* umad_open_port() */
	int agent;		 /* SA class, requests and Reports */
	int smi_agent, dr_agent; /* SM classes 0x01/0x81: SMPs out; SMInfo in (simulator) */
	int issm_fd;		 /* open while subscribed or responding, simulator only */
	struct vendor_class vendor[N_VENDOR_CLASSES];
	unsigned n_responders;	 /* vendor classes with a callback */
	struct ibvmig_sa_request *requests; /* vendor requests read during a request: a ring */
	unsigned r_head, r_len;
	struct recent_request recent_req[RECENT_REQUESTS];
	unsigned recent_req_next;
	bool reports_ok;	 /* the SA agent got the Report method */
	bool umad_up;		 /* umad_init() done */
	uint32_t next_tid;
	uint16_t last_status;
	struct ibvmig_sa_counters cnt;
	/* Reports acknowledged during a blocking request: a ring. */
	struct ibvmig_sa_report *queue;
	unsigned q_head, q_len;
	struct recent_report recent[RECENT_REPORTS];
	unsigned recent_next;
	struct subscription *subs;
	unsigned n_subs, cap_subs;
	/* One umad (struct ib_user_mad + a MAD) to read into, one to send from. */
	void *rbuf, *sbuf;
};

static int64_t now_ms(void)
{
	return (int64_t)util_mono_ms();
}

void ibvmig_sa_opts_init(struct ibvmig_sa_opts *opts)
{
	*opts = (struct ibvmig_sa_opts){
	    .timeout_ms = IBVMIG_SA_DEFAULT_TIMEOUT_MS,
	    .retries = IBVMIG_SA_DEFAULT_RETRIES,
	};
}

/* ==== port and agents ==================================================== */

static int read_port(struct ibvmig_sa *sa, const char *ca, int portnum)
{
	umad_port_t up;
	int rc;

	memset(&up, 0, sizeof(up));
	rc = umad_get_port(ca, portnum, &up);
	if (rc < 0)
		return rc == -EINVAL ? -ENODEV : rc;
	memcpy(sa->port.ca, up.ca_name, sizeof(sa->port.ca));
	sa->port.ca[sizeof(sa->port.ca) - 1] = '\0';
	sa->port.portnum = up.portnum;
	sa->port.port_guid = be64toh(up.port_guid);
	sa->port.subnet_prefix = be64toh(up.gid_prefix);
	sa->port.lid = (uint16_t)up.base_lid;
	sa->port.lmc = (uint8_t)up.lmc;
	sa->port.sm_lid = (uint16_t)up.sm_lid;
	sa->port.sm_sl = (uint8_t)up.sm_sl;
	umad_release_port(&up);
	return 0;
}

static void mask_set(long mask[16 / sizeof(long)], unsigned method)
{
	mask[method / (8 * sizeof(long))] |= 1L << (method % (8 * sizeof(long)));
}

/*
 * The SM classes: requester agents for the local PortInfo query (0x81) and
 * Traps (0x01), which also receive the answers (a TrapRepress is routed by
 * TID like a response).  In simulator mode they also take SMInfo Gets.  A
 * port that refuses them (no QP0, as on some virtual functions) still opens
 * outside simulator mode: PortInfo and Traps then say -EOPNOTSUPP.
 */
static int register_smp_agents(struct ibvmig_sa *sa)
{
	long mask[16 / sizeof(long)] = {0};
	long *m = NULL;

	if (sa->opts.simulator) {
		/* umad2sim kills a client that receives a MAD of an unregistered class. */
		mask_set(mask, UMAD_METHOD_GET);
		mask_set(mask, UMAD_METHOD_SET);
		m = mask;
	}
	sa->smi_agent = umad_register(sa->portid, UMAD_CLASS_SUBN_LID_ROUTED,
				      IBVMIG_SA_SMP_CLASS_VERSION, 0, m);
	sa->dr_agent = umad_register(sa->portid, UMAD_CLASS_SUBN_DIRECTED_ROUTE,
				     IBVMIG_SA_SMP_CLASS_VERSION, 0, m);
	if (!sa->opts.simulator)
		return 0;
	if (sa->smi_agent < 0)
		return sa->smi_agent;
	return sa->dr_agent < 0 ? sa->dr_agent : 0;
}

static int register_agents(struct ibvmig_sa *sa)
{
	long mask[16 / sizeof(long)] = {0};

	/*
	 * On hardware, unsolicited Reports reach only an agent whose method mask
	 * holds Report; umad2sim ignores the mask (doc/simulator.md, "MAD Delivery
	 * in ibsim").
	 */
	mask_set(mask, UMAD_METHOD_REPORT);
	sa->agent = umad_register(sa->portid, UMAD_CLASS_SUBN_ADM, UMAD_SA_CLASS_VERSION, 0, mask);
	sa->reports_ok = sa->agent >= 0;
	if (sa->agent < 0)
		/* Another agent of this port owns Reports: requests still work. */
		sa->agent =
		    umad_register(sa->portid, UMAD_CLASS_SUBN_ADM, UMAD_SA_CLASS_VERSION, 0, NULL);
	if (sa->agent < 0)
		return sa->agent;
	return register_smp_agents(sa);
}

static int open_issm(struct ibvmig_sa *sa)
{
	char path[256];
	int rc;

	if (sa->issm_fd >= 0)
		return 0;
	rc = umad_get_issm_path(sa->port.ca, sa->port.portnum, path, sizeof(path));
	if (rc < 0)
		return rc;
	/* umad2sim turns this open into "this client is the node's SM". */
	sa->issm_fd = open(path, O_RDWR);
	return sa->issm_fd < 0 ? -errno : 0;
}

static void close_issm(struct ibvmig_sa *sa)
{
	/* Closing clears IsSM; SIM_SET_ISSM=1 would leave it set (doc/simulator.md, "issm and
	 * Reports"). */
	if (sa->issm_fd >= 0)
		close(sa->issm_fd);
	sa->issm_fd = -1;
}

/* Simulator mode holds issm while anything unsolicited is expected. */
static void issm_follow(struct ibvmig_sa *sa)
{
	if (!sa->n_subs && !sa->n_responders)
		close_issm(sa);
}

int ibvmig_sa_open(const struct ibvmig_sa_opts *opts, struct ibvmig_sa **out)
{
	struct ibvmig_sa_opts defaults;
	struct ibvmig_sa *sa;
	int i, rc;

	*out = NULL;
	if (!opts) {
		ibvmig_sa_opts_init(&defaults);
		opts = &defaults;
	}
	if (opts->timeout_ms <= 0 || opts->retries < 0 || opts->port < 0)
		return -EINVAL;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	sa->opts = *opts;
	sa->portid = sa->agent = sa->smi_agent = sa->dr_agent = sa->issm_fd = -1;
	for (i = 0; i < N_VENDOR_CLASSES; i++)
		sa->vendor[i].agent = -1;
	sa->queue = calloc(REPORT_QUEUE_LEN, sizeof(*sa->queue));
	sa->requests = calloc(REQUEST_QUEUE_LEN, sizeof(*sa->requests));
	rc = -ENOMEM;
	if (!sa->queue || !sa->requests)
		goto fail;
	if (umad_init() < 0) {
		rc = -ENODEV;
		goto fail;
	}
	sa->umad_up = true;
	rc = read_port(sa, opts->ca, opts->port);
	if (rc)
		goto fail;
	sa->opts.ca = sa->port.ca;
	sa->portid = umad_open_port(sa->port.ca, sa->port.portnum);
	if (sa->portid < 0) {
		rc = sa->portid;
		goto fail;
	}
	/* Only now: umad_size() grows by 8 bytes once a port of the new ABI is open. */
	sa->rbuf = umad_alloc(1, umad_size() + IBVMIG_SA_MAD_LEN);
	sa->sbuf = umad_alloc(1, umad_size() + IBVMIG_SA_MAD_LEN);
	rc = -ENOMEM;
	if (!sa->rbuf || !sa->sbuf)
		goto fail;
	rc = register_agents(sa);
	if (rc)
		goto fail;
	/* Any start will do: only the low 32 bits survive, and they must not repeat soon. */
	sa->next_tid = (uint32_t)getpid() << 16 ^ (uint32_t)now_ms();
	*out = sa;
	return 0;
fail:
	ibvmig_sa_close(sa);
	return rc;
}

const struct ibvmig_sa_port *ibvmig_sa_port(const struct ibvmig_sa *sa)
{
	return &sa->port;
}


void ibvmig_sa_get_counters(const struct ibvmig_sa *sa, struct ibvmig_sa_counters *out)
{
	*out = sa->cnt;
}

int ibvmig_sa_fd(const struct ibvmig_sa *sa)
{
	return umad_get_fd(sa->portid);
}

unsigned ibvmig_sa_subscriptions(const struct ibvmig_sa *sa)
{
	return sa->n_subs;
}

/* ==== moving MADs ======================================================== */

/* One MAD into sa->rbuf: 0, -ETIMEDOUT when none came, -EINTR, or an error. */
static int recv_mad(struct ibvmig_sa *sa, int timeout_ms, size_t *len)
{
	int length = IBVMIG_SA_MAD_LEN;
	int rc;

	rc = umad_recv(sa->portid, sa->rbuf, &length, timeout_ms);
	if (rc >= 0) {
		sa->cnt.received++;
		*len = length < 0		    ? 0
		       : length > IBVMIG_SA_MAD_LEN ? IBVMIG_SA_MAD_LEN
						    : (size_t)length;
		return 0;
	}
	/* umad2sim's read() returns -EWOULDBLOCK itself; the kernel's sets EAGAIN. */
	if (rc == -ETIMEDOUT || rc == -EWOULDBLOCK || rc == -EAGAIN)
		return -ETIMEDOUT;
	if (errno == EINTR)
		return -EINTR;
	return rc;
}

static int send_umad(struct ibvmig_sa *sa, int agent, int timeout_ms)
{
	int rc = umad_send(sa->portid, agent, sa->sbuf, IBVMIG_SA_MAD_LEN, timeout_ms, 0);

	if (rc < 0) {
		sa->cnt.send_errors++;
		return rc;
	}
	return 0;
}

/* Sends the 256-byte @mad through @agent back to @to, a received MAD's address. */
static int send_reply(struct ibvmig_sa *sa, int agent, const uint8_t *mad, const ib_mad_addr_t *to)
{
	ib_mad_addr_t *addr = umad_get_mad_addr(sa->sbuf);

	memset(sa->sbuf, 0, umad_size());
	memcpy(umad_get_mad(sa->sbuf), mad, IBVMIG_SA_MAD_LEN);
	*addr = *to;
	/* QP0 takes no Q_Key; QP1 the well-known one (umad2sim reports 0). */
	addr->qkey = to->qpn ? htobe32(UMAD_QKEY) : 0;
	return send_umad(sa, agent, 0);
}

/*
 * Sends @mad to @d.  A request keeps a kernel send outstanding for the
 * attempt's duration (@timeout_ms): on hardware the kernel drops a response
 * that matches none (umad2sim delivers it late instead: doc/simulator.md,
 * "MAD Delivery in ibsim"; the TID match below handles both).  A response (@timeout_ms 0) goes on
 * P_Key index @pkey_index.
 */
static int send_to(struct ibvmig_sa *sa, const struct mad_dest *d, const uint8_t *mad,
		   int timeout_ms, uint16_t pkey_index)
{
	memset(sa->sbuf, 0, umad_size());
	memcpy(umad_get_mad(sa->sbuf), mad, IBVMIG_SA_MAD_LEN);
	umad_set_addr(sa->sbuf, d->lid, (int)d->qpn, d->sl, d->qpn ? (int)UMAD_QKEY : 0);
	umad_set_pkey(sa->sbuf, pkey_index);
	return send_umad(sa, d->agent, timeout_ms);
}

static void queue_report(struct ibvmig_sa *sa, const struct ibvmig_sa_report *r)
{
	if (sa->q_len == REPORT_QUEUE_LEN) {
		sa->cnt.queue_overflow++;
		return;
	}
	sa->queue[(sa->q_head + sa->q_len++) % REPORT_QUEUE_LEN] = *r;
}

/*
 * True if this Report was seen already: OpenSM's MAD layer may resend it, with
 * the same TID and Notice.  The Notice counts too: a restarted OpenSM numbers
 * its TIDs from the same start again, so a TID alone would take the new SM's
 * first Reports for resends of the old one's.
 */
static bool report_seen(struct ibvmig_sa *sa, uint64_t tid, uint16_t slid, const uint8_t *notice)
{
	struct recent_report *rr;
	unsigned i;

	for (i = 0; i < RECENT_REPORTS; i++) {
		rr = &sa->recent[i];
		if (rr->used && rr->tid == tid && rr->slid == slid &&
		    !memcmp(rr->notice, notice, IBVMIG_NOTICE_LEN))
			return true;
	}
	rr = &sa->recent[sa->recent_next];
	*rr = (struct recent_report){.tid = tid, .slid = slid, .used = true};
	memcpy(rr->notice, notice, IBVMIG_NOTICE_LEN);
	sa->recent_next = (sa->recent_next + 1) % RECENT_REPORTS;
	return false;
}

/*
 * A Report: acknowledge first (OpenSM retires it on the ReportResp and drops
 * it for good on a timeout), then deliver to @fn, or queue when @queue.
 * Returns 1 when a Report was handled.
 */
static int handle_report(struct ibvmig_sa *sa, const uint8_t *mad, size_t len,
			 ibvmig_sa_report_fn fn, void *ctx, bool queue)
{
	const ib_mad_addr_t *from = umad_get_mad_addr(sa->rbuf);
	struct ibvmig_sa_report r;
	uint8_t ack[IBVMIG_SA_MAD_LEN];
	int rc;

	rc = ibvmig_sa_report_parse(mad, len, &r);
	if (rc == -EBADMSG) {
		sa->cnt.malformed++;
		return 0;
	}
	if (ibvmig_sa_report_ack(ack, mad, len) > 0 && send_reply(sa, sa->agent, ack, from) == 0)
		sa->cnt.acks++;
	if (rc) {
		/* A Report of an attribute other than Notice: acked, nothing to decode. */
		sa->cnt.dropped++;
		return 0;
	}
	r.slid = be16toh(from->lid);
	clock_gettime(CLOCK_REALTIME, &r.received);
	/* A parsed Notice Report holds the whole attribute at the SA data offset. */
	if (report_seen(sa, r.tid, r.slid, mad + IBVMIG_SA_SA_DATA_OFFS)) {
		sa->cnt.report_dups++;
		return 0;
	}
	sa->cnt.reports++;
	if (r.path_rc < 0)
		sa->cnt.bad_notices++;
	if (queue)
		queue_report(sa, &r);
	else if (fn)
		fn(&r, ctx);
	return 1;
}

static void handle_sminfo(struct ibvmig_sa *sa, const struct ibvmig_sa_mad_hdr *h,
			  const uint8_t *mad, size_t len)
{
	uint8_t reply[IBVMIG_SA_MAD_LEN];
	int agent = h->mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE ? sa->dr_agent : sa->smi_agent;

	if (ibvmig_sa_sminfo_reply(reply, mad, len, sa->port.port_guid) < 0) {
		sa->cnt.malformed++;
		return;
	}
	if (send_reply(sa, agent, reply, umad_get_mad_addr(sa->rbuf)) == 0)
		sa->cnt.sminfo++;
}

/* ---- vendor requests on a responder class ---- */

static struct vendor_class *vendor_of(struct ibvmig_sa *sa, uint8_t mgmt_class)
{
	if (mgmt_class < IBVMIG_SA_VENDOR_CLASS_FIRST || mgmt_class > IBVMIG_SA_VENDOR_CLASS_LAST)
		return NULL;
	return &sa->vendor[mgmt_class - IBVMIG_SA_VENDOR_CLASS_FIRST];
}

/* Methods a responder takes: requests, less those that only the SM/SA side sends. */
static bool is_request_method(uint8_t method)
{
	return !(method & UMAD_METHOD_RESP_MASK) && method && method != UMAD_METHOD_TRAP &&
	       method != UMAD_METHOD_REPORT && method != UMAD_METHOD_TRAP_REPRESS;
}

/* True if this request was seen among the last few (the requester resent it). */
static bool request_seen(struct ibvmig_sa *sa, const struct ibvmig_sa_request *r)
{
	struct recent_request *rr;
	unsigned i;

	for (i = 0; i < RECENT_REQUESTS; i++) {
		rr = &sa->recent_req[i];
		if (rr->used && rr->tid == r->mad.tid && rr->slid == r->slid &&
		    rr->qpn == r->qpn && rr->mgmt_class == r->mad.mgmt_class)
			return true;
	}
	sa->recent_req[sa->recent_req_next] = (struct recent_request){
	    .tid = r->mad.tid, .qpn = r->qpn, .slid = r->slid,
	    .mgmt_class = r->mad.mgmt_class, .used = true,
	};
	sa->recent_req_next = (sa->recent_req_next + 1) % RECENT_REQUESTS;
	return false;
}

static void queue_request(struct ibvmig_sa *sa, const struct ibvmig_sa_request *r)
{
	if (sa->r_len == REQUEST_QUEUE_LEN) {
		sa->cnt.requests_overflow++;	/* the requester resends it */
		return;
	}
	sa->requests[(sa->r_head + sa->r_len++) % REQUEST_QUEUE_LEN] = *r;
}

/* A MAD of a vendor class.  Returns 1 when a request was delivered or queued. */
static int handle_vendor(struct ibvmig_sa *sa, const struct ibvmig_sa_mad_hdr *h,
			 const uint8_t *mad, size_t len, bool queue)
{
	const ib_mad_addr_t *from = umad_get_mad_addr(sa->rbuf);
	struct vendor_class *vc = vendor_of(sa, h->mgmt_class);
	struct ibvmig_sa_request r;

	if (h->method & UMAD_METHOD_RESP_MASK) {
		sa->cnt.stale++;
		return 0;
	}
	if (!vc || vc->agent < 0 || !vc->fn || !is_request_method(h->method)) {
		sa->cnt.dropped++;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	ibvmig_sa_vendor_decode(mad, len, &r.mad);
	clock_gettime(CLOCK_REALTIME, &r.received);
	r.slid = be16toh(from->lid);
	r.qpn = be32toh(from->qpn) & 0xFFFFFF;
	r.sl = from->sl;
	r.pkey_index = from->pkey_index;
	r.resent = request_seen(sa, &r);
	sa->cnt.requests_in++;
	sa->cnt.requests_resent += r.resent;
	if (queue)
		queue_request(sa, &r);
	else
		vc->fn(sa, &r, vc->ctx);
	return 1;
}

/* Whatever no request waits for.  Returns 1 when it was a Report or a request handled. */
static int handle_unsolicited(struct ibvmig_sa *sa, size_t len, ibvmig_sa_report_fn fn, void *ctx,
			      bool queue)
{
	const uint8_t *mad = umad_get_mad(sa->rbuf);
	struct ibvmig_sa_mad_hdr h;

	/* A non-zero umad status is one of our sends coming back failed. */
	if (umad_status(sa->rbuf)) {
		sa->cnt.send_errors++;
		return 0;
	}
	if (ibvmig_sa_mad_hdr_decode(mad, len, &h)) {
		sa->cnt.malformed++;
		return 0;
	}
	if (h.mgmt_class == UMAD_CLASS_SUBN_ADM) {
		if (h.method == UMAD_METHOD_REPORT)
			return handle_report(sa, mad, len, fn, ctx, queue);
		if (h.method & UMAD_METHOD_RESP_MASK) {
			sa->cnt.stale++;
			return 0;
		}
	} else if (vendor_of(sa, h.mgmt_class)) {
		return handle_vendor(sa, &h, mad, len, queue);
	} else if (h.mgmt_class == UMAD_CLASS_SUBN_LID_ROUTED ||
		   h.mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE) {
		/* A late PortInfo answer or TrapRepress; SMInfo Gets in simulator mode. */
		if ((h.method & UMAD_METHOD_RESP_MASK) || h.method == UMAD_METHOD_TRAP_REPRESS) {
			sa->cnt.stale++;
			return 0;
		}
		if (sa->opts.simulator && h.method == UMAD_METHOD_GET &&
		    h.attr_id == IBVMIG_SA_ATTR_SMINFO) {
			handle_sminfo(sa, &h, mad, len);
			return 0;
		}
	}
	sa->cnt.dropped++;
	return 0;
}

/* ==== the one blocking request =========================================== */

struct attempts {
	int timeout_ms, retries;
};

static struct attempts handle_attempts(const struct ibvmig_sa *sa)
{
	return (struct attempts){sa->opts.timeout_ms, sa->opts.retries};
}

static uint32_t next_tid(struct ibvmig_sa *sa)
{
	if (!++sa->next_tid)
		++sa->next_tid;
	return sa->next_tid;
}

/*
 * Waits until @deadline for the answer to @req.  Returns 1 (answered, MAD
 * in @resp), 2 (a Busy answer came: resend), 0 (nothing), or an error.
 */
static int await_answer(struct ibvmig_sa *sa, const struct mad_dest *d,
			const struct ibvmig_sa_mad_hdr *req, match_fn match, int64_t deadline,
			uint8_t resp[IBVMIG_SA_MAD_LEN], size_t *resp_len)
{
	struct ibvmig_sa_mad_hdr h;
	int busy = 0, m, rc;
	size_t len;

	for (;;) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return busy;
		rc = recv_mad(sa, (int)left, &len);
		if (rc == -ETIMEDOUT)
			return busy;
		if (rc == -EINTR)
			continue; /* the caller looks at its signals afterwards */
		if (rc)
			return rc;
		m = umad_status(sa->rbuf) ||
			    ibvmig_sa_mad_hdr_decode(umad_get_mad(sa->rbuf), len, &h)
			? 0
			: match(req, &h);
		if (m && d->from_lid &&
		    !ibvmig_sa_answer_from(d->lid, be16toh(umad_get_mad_addr(sa->rbuf)->lid))) {
			sa->cnt.wrong_source++;
			continue;	/* a forgery, or a stray: the real answer may still come */
		}
		if (m == 2) {
			sa->cnt.busy++;
			busy = 2;
			continue;
		}
		if (m) {
			sa->cnt.responses++;
			memcpy(resp, umad_get_mad(sa->rbuf), len);
			memset(resp + len, 0, IBVMIG_SA_MAD_LEN - len);
			*resp_len = len;
			return 1;
		}
		handle_unsolicited(sa, len, NULL, NULL, true);
	}
}

/*
 * Sends the request @mad (its TID is set here) to @d and waits for the MAD
 * @match accepts into @resp: @at.timeout_ms per attempt, @at.retries resends
 * with the same TID (a late answer to an earlier attempt is as good).
 * Returns 0, -ETIMEDOUT, -EBUSY (the last attempt was answered Busy), or a
 * local error.
 */
static int mad_request(struct ibvmig_sa *sa, const struct mad_dest *d,
		       uint8_t mad[IBVMIG_SA_MAD_LEN], struct attempts at, match_fn match,
		       uint8_t resp[IBVMIG_SA_MAD_LEN], size_t *resp_len)
{
	struct ibvmig_sa_mad_hdr req;
	int attempt, rc = 0;

	ibvmig_sa_mad_hdr_decode(mad, IBVMIG_SA_MAD_LEN, &req);
	req.tid = next_tid(sa);
	ibvmig_sa_mad_hdr_encode(mad, &req);
	for (attempt = 0; attempt <= at.retries; attempt++) {
		if (attempt)
			sa->cnt.retries++;
		rc = send_to(sa, d, mad, at.timeout_ms, 0);
		if (rc)
			return rc;
		sa->cnt.sent++;
		rc = await_answer(sa, d, &req, match, now_ms() + at.timeout_ms, resp, resp_len);
		if (rc == 1)
			return 0;
		if (rc < 0)
			return rc;
		sa->cnt.timeouts++;
	}
	return rc == 2 ? -EBUSY : -ETIMEDOUT;
}

static int match_sa(const struct ibvmig_sa_mad_hdr *req, const struct ibvmig_sa_mad_hdr *h)
{
	return ibvmig_sa_is_response(h, req->method, req->attr_id, req->tid);
}

/*
 * An SA request: mad_request() to the SM's LID, QP1.  Returns 0, the errno
 * of a non-zero SA status, -ETIMEDOUT, -ENETDOWN, or a local error.
 */
static int sa_request(struct ibvmig_sa *sa, uint8_t mad[IBVMIG_SA_MAD_LEN],
		      uint8_t resp[IBVMIG_SA_MAD_LEN], size_t *resp_len)
{
	struct mad_dest d = {sa->agent, sa->port.sm_lid, SA_QPN, sa->port.sm_sl, false};
	struct ibvmig_sa_mad_hdr h;
	int rc;

	if (!sa->port.lid || !sa->port.sm_lid)
		return -ENETDOWN;
	sa->last_status = 0;
	rc = mad_request(sa, &d, mad, handle_attempts(sa), match_sa, resp, resp_len);
	if (rc)
		return rc;
	ibvmig_sa_mad_hdr_decode(resp, *resp_len, &h);
	sa->last_status = h.status;
	if (!h.status)
		return 0;
	sa->cnt.sa_errors++;
	return ibvmig_sa_status_errno(h.status);
}

/* ==== the own port: PortInfo ============================================= */

static int match_portinfo(const struct ibvmig_sa_mad_hdr *req, const struct ibvmig_sa_mad_hdr *h)
{
	return h->mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE &&
	       h->method == UMAD_METHOD_GET_RESP && h->attr_id == IBVMIG_SA_ATTR_PORT_INFO &&
	       (uint32_t)h->tid == (uint32_t)req->tid;
}

int ibvmig_sa_query_portinfo(struct ibvmig_sa *sa, struct ibvmig_sa_portinfo *out)
{
	/* Directed route to the permissive LID on QP0: the local SMA answers. */
	struct mad_dest d = {sa->dr_agent, IBVMIG_SA_PERMISSIVE_LID, SMI_QPN, 0, false};
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_smp smp;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sa->dr_agent < 0)
		return -EOPNOTSUPP;
	ibvmig_sa_build_local_portinfo_get(mad, 0);
	rc = mad_request(sa, &d, mad, handle_attempts(sa), match_portinfo, resp, &len);
	if (rc)
		return rc;
	if (ibvmig_sa_smp_decode(resp, len, &smp))
		return -EPROTO;
	/* A DR SMP's status is 15 bits of the common status (IBA 14.2.1.2). */
	if (smp.hdr.status)
		return ibvmig_sa_status_errno(smp.hdr.status);
	rc = ibvmig_sa_portinfo_decode(smp.data, sizeof(smp.data), out);
	if (rc)
		return -EPROTO;
	sa->cnt.portinfo_queries++;
	return 0;
}

int ibvmig_sa_refresh(struct ibvmig_sa *sa)
{
	struct ibvmig_sa_portinfo pi;
	int rc = ibvmig_sa_query_portinfo(sa, &pi);

	if (rc) {
		/* libibumad's view: live on hardware, a start-time snapshot under umad2sim. */
		sa->cnt.portinfo_fallbacks++;
		sa->port.from_portinfo = false;
		sa->port.portinfo_err = rc;
		return read_port(sa, sa->port.ca, sa->port.portnum);
	}
	if (pi.gid_prefix)
		sa->port.subnet_prefix = pi.gid_prefix;
	sa->port.lid = pi.lid;
	sa->port.lmc = pi.lmc;
	sa->port.sm_lid = pi.sm_lid;
	sa->port.sm_sl = pi.sm_sl;
	sa->port.port_state = pi.port_state;
	sa->port.from_portinfo = true;
	sa->port.portinfo_err = 0;
	return 0;
}

/* ==== Trap(Notice) ======================================================= */

static int match_repress(const struct ibvmig_sa_mad_hdr *req, const struct ibvmig_sa_mad_hdr *h)
{
	return ibvmig_sa_is_trap_repress(h, req->tid);
}

int ibvmig_sa_send_trap(struct ibvmig_sa *sa, uint16_t dlid, const struct ibvmig_notice *n,
			unsigned flags)
{
	struct mad_dest d = {sa->smi_agent, dlid ? dlid : sa->port.sm_lid, SMI_QPN, sa->port.sm_sl, false};
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	struct ibvmig_notice copy = *n;
	struct attempts at = handle_attempts(sa);
	uint64_t sent;
	size_t len;
	int rc;

	if (flags & ~IBVMIG_SA_TRAP_NO_REPRESS)
		return -EINVAL;
	if (sa->smi_agent < 0)
		return -EOPNOTSUPP;
	if (!d.lid || !sa->port.lid)
		return -ENETDOWN;
	if (!copy.issuer_lid)
		copy.issuer_lid = sa->port.lid;
	if (flags & IBVMIG_SA_TRAP_NO_REPRESS) {
		ibvmig_sa_build_trap(mad, next_tid(sa), &copy);
		rc = send_to(sa, &d, mad, 0, 0);
		sa->cnt.traps_sent += !rc;
		return rc;
	}
	ibvmig_sa_build_trap(mad, 0, &copy);
	sent = sa->cnt.sent;
	rc = mad_request(sa, &d, mad, at, match_repress, resp, &len);
	/* mad_request counted its copies as requests: they are Traps. */
	sa->cnt.traps_sent += sa->cnt.sent - sent;
	sa->cnt.sent = sent;
	if (!rc)
		sa->cnt.trap_represses++;
	return rc;
}

/* ==== Report(Notice) to a port (the tests' forger) ======================= */

static int match_report_resp(const struct ibvmig_sa_mad_hdr *req, const struct ibvmig_sa_mad_hdr *h)
{
	return ibvmig_sa_is_response(h, UMAD_METHOD_REPORT, IBVMIG_SA_ATTR_NOTICE, req->tid);
}

int ibvmig_sa_send_report(struct ibvmig_sa *sa, uint16_t dlid, const struct ibvmig_notice *n)
{
	struct mad_dest d = {sa->agent, dlid, GSI_QPN, 0, false};
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	size_t len;

	if (!dlid)
		return -EINVAL;
	if (!sa->port.lid)
		return -ENETDOWN;
	ibvmig_sa_build_report(mad, 0, n);
	return mad_request(sa, &d, mad, handle_attempts(sa), match_report_resp, resp, &len);
}

/* ==== vendor classes ===================================================== */

int ibvmig_sa_register_class(struct ibvmig_sa *sa, uint8_t mgmt_class, uint8_t class_version,
			     ibvmig_sa_request_fn fn, void *ctx)
{
	struct vendor_class *vc = vendor_of(sa, mgmt_class);
	long mask[16 / sizeof(long)] = {0};
	unsigned m;
	int agent, rc;

	if (!vc || !class_version)
		return -EINVAL;
	if (vc->agent >= 0)
		return -EEXIST;
	for (m = 1; fn && m < 0x80; m++)
		if (is_request_method((uint8_t)m))
			mask_set(mask, m);
	agent = umad_register(sa->portid, mgmt_class, class_version, 0, fn ? mask : NULL);
	if (agent < 0)
		return agent == -EINVAL && fn ? -EBUSY : agent;
	*vc = (struct vendor_class){agent, class_version, fn, ctx};
	if (!fn)
		return 0;
	sa->n_responders++;
	if (!sa->opts.simulator)
		return 0;
	/* ibsim hands unsolicited requests only to the node's "SM" client. */
	rc = open_issm(sa);
	if (rc)
		ibvmig_sa_unregister_class(sa, mgmt_class);
	return rc;
}

/* Drops queued requests of @mgmt_class (their callback is gone). */
static void unqueue_requests(struct ibvmig_sa *sa, uint8_t mgmt_class)
{
	unsigned i, kept = 0;

	for (i = 0; i < sa->r_len; i++) {
		struct ibvmig_sa_request *r = &sa->requests[(sa->r_head + i) % REQUEST_QUEUE_LEN];

		if (r->mad.mgmt_class != mgmt_class)
			sa->requests[(sa->r_head + kept++) % REQUEST_QUEUE_LEN] = *r;
	}
	sa->r_len = kept;
}

int ibvmig_sa_unregister_class(struct ibvmig_sa *sa, uint8_t mgmt_class)
{
	struct vendor_class *vc = vendor_of(sa, mgmt_class);

	if (!vc || vc->agent < 0)
		return -ENOENT;
	umad_unregister(sa->portid, vc->agent);
	if (vc->fn)
		sa->n_responders--;
	unqueue_requests(sa, mgmt_class);
	*vc = (struct vendor_class){.agent = -1};
	issm_follow(sa);
	return 0;
}

static int match_vendor(const struct ibvmig_sa_mad_hdr *req, const struct ibvmig_sa_mad_hdr *h)
{
	if (!ibvmig_sa_is_vendor_response(h, req->mgmt_class, req->method, req->attr_id, req->tid))
		return 0;
	/* Busy (IBA 13.4.7): the responder dropped the request; try again later. */
	return h->status & UMAD_STATUS_BUSY ? 2 : 1;
}

static struct attempts call_attempts(const struct ibvmig_sa *sa, const struct ibvmig_sa_call *call)
{
	struct attempts at = handle_attempts(sa);

	if (call && call->timeout_ms > 0)
		at.timeout_ms = call->timeout_ms;
	if (call && call->retries >= 0)
		at.retries = call->retries;
	return at;
}

int ibvmig_sa_vendor_request(struct ibvmig_sa *sa, uint16_t dlid,
			     const struct ibvmig_sa_vendor_mad *req,
			     const struct ibvmig_sa_call *call, struct ibvmig_sa_vendor_mad *resp)
{
	struct vendor_class *vc = vendor_of(sa, req->mgmt_class);
	uint8_t mad[IBVMIG_SA_MAD_LEN], in[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_vendor_mad v = *req;
	struct mad_dest d;
	size_t len;
	int rc;

	if (!vc || !is_request_method(req->method) || !dlid)
		return -EINVAL;
	if (vc->agent < 0)
		return -ENOENT;
	if (!sa->port.lid)
		return -ENETDOWN;
	d = (struct mad_dest){vc->agent, dlid, GSI_QPN, 0, true};
	v.class_version = vc->version;
	v.status = 0;
	ibvmig_sa_vendor_encode(mad, &v);
	rc = mad_request(sa, &d, mad, call_attempts(sa, call), match_vendor, in, &len);
	if (rc)
		return rc;
	return ibvmig_sa_vendor_decode(in, len, resp) ? -EPROTO : 0;
}

int ibvmig_sa_respond(struct ibvmig_sa *sa, const struct ibvmig_sa_request *req, uint16_t status,
		      uint32_t attr_mod, const void *data, size_t len)
{
	struct vendor_class *vc = vendor_of(sa, req->mad.mgmt_class);
	struct ibvmig_sa_vendor_mad out;
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	struct mad_dest d;
	int rc;

	if (!vc || vc->agent < 0)
		return -EINVAL;
	rc = ibvmig_sa_vendor_response(&out, &req->mad, status, attr_mod, data, len);
	if (rc)
		return rc;
	ibvmig_sa_vendor_encode(mad, &out);
	d = (struct mad_dest){vc->agent, req->slid, req->qpn, req->sl, false};
	rc = send_to(sa, &d, mad, 0, req->pkey_index);
	sa->cnt.responses_sent += !rc;
	return rc;
}

/* ==== alias GUIDs ======================================================== */

#define MAX_GUID_INDEX (MAX_GUID_BLOCKS * IBVMIG_SA_GUIDS_PER_BLOCK - 1)

/* One GUIDInfoRecord request for entries @entries of block @req; *@b is the record answered. */
static int gir_block_request(struct ibvmig_sa *sa, uint8_t method,
			     const struct ibvmig_sa_guid_block *req, uint8_t entries,
			     struct ibvmig_sa_guid_block *b)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	size_t len;
	int rc;

	ibvmig_sa_build_gir_block(mad, method, 0, req, entries);
	rc = sa_request(sa, mad, resp, &len);
	if (rc)
		return rc;
	if (len < IBVMIG_SA_SA_DATA_OFFS ||
	    ibvmig_sa_gir_decode(resp + IBVMIG_SA_SA_DATA_OFFS, len - IBVMIG_SA_SA_DATA_OFFS, b))
		return -EPROTO;
	if (b->lid != req->lid || b->block != req->block)
		return -EPROTO;
	return 0;
}

/* One GUIDInfoRecord request for @index of the port of @lid; *@b is the record answered. */
static int gir_request(struct ibvmig_sa *sa, uint8_t method, uint16_t lid, int index,
		       uint64_t guid, struct ibvmig_sa_guid_block *b)
{
	struct ibvmig_sa_guid_block req = {
	    .lid = lid,
	    .block = (uint8_t)(index / IBVMIG_SA_GUIDS_PER_BLOCK),
	};

	req.guid[index % IBVMIG_SA_GUIDS_PER_BLOCK] = guid;
	return gir_block_request(sa, method, &req,
				 (uint8_t)(1u << index % IBVMIG_SA_GUIDS_PER_BLOCK), b);
}

static int guid_block_of(struct ibvmig_sa *sa, uint16_t lid, uint8_t block,
			 struct ibvmig_sa_guid_block *out)
{
	return gir_request(sa, UMAD_METHOD_GET, lid, block * IBVMIG_SA_GUIDS_PER_BLOCK, 0, out);
}

int ibvmig_sa_guid_block(struct ibvmig_sa *sa, uint8_t block, struct ibvmig_sa_guid_block *out)
{
	return guid_block_of(sa, sa->port.lid, block, out);
}

int ibvmig_sa_guid_block_at(struct ibvmig_sa *sa, uint16_t lid, uint8_t block,
			    struct ibvmig_sa_guid_block *out)
{
	memset(out, 0, sizeof(*out));
	if (!lid)
		return -EINVAL;
	return guid_block_of(sa, lid, block, out);
}

int ibvmig_sa_alias_set(struct ibvmig_sa *sa, uint64_t vguid, int index)
{
	return ibvmig_sa_alias_set_at(sa, sa->port.lid, vguid, index);
}

int ibvmig_sa_alias_set_at(struct ibvmig_sa *sa, uint16_t lid, uint64_t vguid, int index)
{
	struct ibvmig_sa_guid_block b;
	int rc;

	if (!vguid || index <= 0 || index > MAX_GUID_INDEX)
		return -EINVAL;
	rc = gir_request(sa, UMAD_METHOD_SET, lid, index, vguid, &b);
	if (rc)
		return rc;
	/*
	 * OpenSM answers a duplicate (ERR 5108: the alias is held by another
	 * port, or by this one at another index) with status 0 and the port's
	 * unchanged block, where the index does not hold the vGUID.
	 */
	return b.guid[index % IBVMIG_SA_GUIDS_PER_BLOCK] == vguid ? 0 : -EEXIST;
}

int ibvmig_sa_alias_set_block(struct ibvmig_sa *sa, const struct ibvmig_sa_guid_block *want,
			      uint8_t entries, struct ibvmig_sa_guid_block *out)
{
	struct ibvmig_sa_guid_block req = *want;
	int i;

	memset(out, 0, sizeof(*out));
	if (!entries || (!req.block && (entries & 1)))
		return -EINVAL;	/* index 0 is the port GUID */
	for (i = 0; i < IBVMIG_SA_GUIDS_PER_BLOCK; i++)
		if ((entries & 1u << i) && !req.guid[i])
			return -EINVAL;
	req.lid = sa->port.lid;
	return gir_block_request(sa, UMAD_METHOD_SET, &req, entries, out);
}

int ibvmig_sa_guid_table(struct ibvmig_sa *sa, struct ibvmig_sa_guid_block *blocks,
			 unsigned max, unsigned *n)
{
	int rc = 0;

	for (*n = 0; *n < max && *n < MAX_GUID_BLOCKS; (*n)++) {
		rc = ibvmig_sa_guid_block(sa, (uint8_t)*n, &blocks[*n]);
		if (rc)
			break;
	}
	return rc == -ENOENT && *n ? 0 : rc;	/* past the port's GUIDCap: the table's end */
}

int ibvmig_sa_alias_find(struct ibvmig_sa *sa, uint64_t vguid, int *held, int *free_index)
{
	struct ibvmig_sa_guid_block b;
	int h = -1, f = -1;
	int block, i, idx, rc;

	for (block = 0; block < MAX_GUID_BLOCKS; block++) {
		rc = ibvmig_sa_guid_block(sa, (uint8_t)block, &b);
		if (rc == -ENOENT)
			break; /* past the port's GUIDCap */
		if (rc)
			return rc;
		for (i = 0; i < IBVMIG_SA_GUIDS_PER_BLOCK; i++) {
			idx = block * IBVMIG_SA_GUIDS_PER_BLOCK + i;
			if (idx == 0)
				continue; /* the port GUID, read-only */
			if (h < 0 && vguid && b.guid[i] == vguid)
				h = idx;
			if (f < 0 && !b.guid[i])
				f = idx;
		}
		if ((h >= 0 || !held) && (f >= 0 || !free_index))
			break;
	}
	if (held)
		*held = h;
	if (free_index)
		*free_index = f;
	return 0;
}

int ibvmig_sa_alias_delete(struct ibvmig_sa *sa, uint64_t vguid, int index)
{
	int rc;

	if (!vguid || index == 0 || index > MAX_GUID_INDEX)
		return -EINVAL;
	if (index < 0) {
		rc = ibvmig_sa_alias_find(sa, vguid, &index, NULL);
		if (rc)
			return rc;
		if (index < 0)
			return -ENOENT;
	}
	return ibvmig_sa_alias_delete_at(sa, sa->port.lid, vguid, index);
}

int ibvmig_sa_alias_delete_at(struct ibvmig_sa *sa, uint16_t lid, uint64_t vguid, int index)
{
	struct ibvmig_sa_guid_block b;
	int rc;

	if (!vguid || index <= 0 || index > MAX_GUID_INDEX)
		return -EINVAL;
	/* A Delete clears whatever the index holds: make sure it is ours first. */
	rc = guid_block_of(sa, lid, (uint8_t)(index / IBVMIG_SA_GUIDS_PER_BLOCK), &b);
	if (rc)
		return rc;
	if (b.guid[index % IBVMIG_SA_GUIDS_PER_BLOCK] != vguid)
		return -ENOENT;
	rc = gir_request(sa, UMAD_SA_METHOD_DELETE, lid, index, vguid, &b);
	if (rc)
		return rc;
	return b.guid[index % IBVMIG_SA_GUIDS_PER_BLOCK] ? -EPROTO : 0;
}

/* ==== NodeRecord ========================================================= */

int ibvmig_sa_node_by_lid(struct ibvmig_sa *sa, uint16_t lid, struct ibvmig_sa_node *out)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!lid)
		return -EINVAL;
	ibvmig_sa_build_node_get(mad, 0, lid);
	rc = sa_request(sa, mad, resp, &len);
	if (rc)
		return rc;
	if (len < IBVMIG_SA_SA_DATA_OFFS ||
	    ibvmig_sa_node_decode(resp + IBVMIG_SA_SA_DATA_OFFS, len - IBVMIG_SA_SA_DATA_OFFS, out))
		return -EPROTO;
	return out->lid == lid ? 0 : -EPROTO;
}

/* ==== PortInfoRecord ===================================================== */

int ibvmig_sa_portinfo_by_lid(struct ibvmig_sa *sa, uint16_t lid, struct ibvmig_sa_portinfo *out)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_portinfo_rec r;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!lid)
		return -EINVAL;
	ibvmig_sa_build_portinfo_rec_get(mad, 0, lid);
	rc = sa_request(sa, mad, resp, &len);
	if (rc)
		return rc;
	if (len < IBVMIG_SA_SA_DATA_OFFS ||
	    ibvmig_sa_portinfo_rec_decode(resp + IBVMIG_SA_SA_DATA_OFFS,
					  len - IBVMIG_SA_SA_DATA_OFFS, &r))
		return -EPROTO;
	if (r.lid != lid)
		return -EPROTO;
	*out = r.info;
	return 0;
}

/* ==== PathRecord ========================================================= */

int ibvmig_sa_path_by_guid(struct ibvmig_sa *sa, uint64_t vguid, struct ibvmig_sa_path *out)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	size_t len;
	int rc;

	if (!vguid)
		return -EINVAL;
	ibvmig_sa_build_path_get(mad, 0, sa->port.subnet_prefix, sa->port.port_guid,
			     sa->port.subnet_prefix, vguid);
	rc = sa_request(sa, mad, resp, &len);
	if (rc)
		return rc;
	if (len < IBVMIG_SA_SA_DATA_OFFS ||
	    ibvmig_sa_path_decode(resp + IBVMIG_SA_SA_DATA_OFFS, len - IBVMIG_SA_SA_DATA_OFFS, out))
		return -EPROTO;
	return 0;
}

unsigned ibvmig_sa_mtu_bytes(uint8_t mtu)
{
	return mtu >= 1 && mtu <= 5 ? 128u << mtu : 0;
}

const char *ibvmig_sa_rate_str(uint8_t rate)
{
	/* IBA 15.2.5.16 Rate codes (ib_path_rate_t). */
	static const char *const gbps[] = {
	    [2] = "2.5",  [3] = "10",	[4] = "30",   [5] = "5",    [6] = "20",	  [7] = "40",
	    [8] = "60",	  [9] = "80",	[10] = "120", [11] = "14",  [12] = "56",  [13] = "112",
	    [14] = "168", [15] = "25",	[16] = "100", [17] = "200", [18] = "300", [19] = "28",
	    [20] = "50",  [21] = "400", [22] = "600",
	};

	return rate < sizeof(gbps) / sizeof(gbps[0]) && gbps[rate] ? gbps[rate] : "?";
}

/* ==== subscriptions ====================================================== */

static int find_sub(const struct ibvmig_sa *sa, uint16_t trap, uint16_t begin, uint16_t end)
{
	unsigned i;

	for (i = 0; i < sa->n_subs; i++)
		if (sa->subs[i].trap == trap && sa->subs[i].lid_begin == begin &&
		    sa->subs[i].lid_end == end)
			return (int)i;
	return -1;
}

static int remember_sub(struct ibvmig_sa *sa, uint16_t trap, uint16_t begin, uint16_t end)
{
	struct subscription *subs;
	unsigned cap;

	if (find_sub(sa, trap, begin, end) >= 0)
		return 0;
	if (sa->n_subs == sa->cap_subs) {
		cap = sa->cap_subs ? 2 * sa->cap_subs : 8;
		subs = realloc(sa->subs, cap * sizeof(*subs));
		if (!subs)
			return -ENOMEM;
		sa->subs = subs;
		sa->cap_subs = cap;
	}
	sa->subs[sa->n_subs++] = (struct subscription){trap, begin, end};
	return 0;
}

static void forget_sub(struct ibvmig_sa *sa, uint16_t trap, uint16_t begin, uint16_t end)
{
	int i = find_sub(sa, trap, begin, end);

	if (i >= 0)
		sa->subs[i] = sa->subs[--sa->n_subs];
}

static int inform_set(struct ibvmig_sa *sa, uint16_t trap, bool subscribe, uint16_t begin,
		      uint16_t end)
{
	struct ibvmig_sa_inform ii = ibvmig_sa_inform_for_trap(trap, subscribe, begin, end);
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_inform got;
	size_t len;
	int rc;

	ibvmig_sa_build_inform_set(mad, 0, &ii);
	rc = sa_request(sa, mad, resp, &len);
	if (rc)
		return rc;
	/* o13-12.1.1: success is a copy of the request; a refusal clears Subscribe. */
	if (len < IBVMIG_SA_SA_DATA_OFFS ||
	    ibvmig_sa_inform_decode(resp + IBVMIG_SA_SA_DATA_OFFS, len - IBVMIG_SA_SA_DATA_OFFS,
				    &got) ||
	    got.subscribe != subscribe || got.trap != trap)
		return -EPROTO;
	return 0;
}

int ibvmig_sa_subscribe_range(struct ibvmig_sa *sa, uint16_t trap, bool subscribe,
			      uint16_t lid_begin, uint16_t lid_end)
{
	int rc;

	if (subscribe && !sa->reports_ok)
		return -EADDRINUSE;
	/* Open issm before the Set so that no Report can come before we hear. */
	if (subscribe && sa->opts.simulator) {
		rc = open_issm(sa);
		if (rc)
			return rc;
	}
	rc = inform_set(sa, trap, subscribe, lid_begin, lid_end);
	if (!rc && subscribe)
		rc = remember_sub(sa, trap, lid_begin, lid_end);
	/*
	 * An unsubscribe the SA answered, even with an error (ERR 4307: no such
	 * subscription, e.g. after an SM restart), leaves nothing to drop later;
	 * one that got no answer stays for ibvmig_sa_close() to retry.
	 */
	if (!subscribe && (!rc || sa->last_status))
		forget_sub(sa, trap, lid_begin, lid_end);
	issm_follow(sa);
	return rc;
}

int ibvmig_sa_subscribe(struct ibvmig_sa *sa, uint16_t trap, bool subscribe)
{
	/* LIDRangeBegin 0xFFFF: every issuer; OpenSM then ignores the end. */
	return ibvmig_sa_subscribe_range(sa, trap, subscribe, 0xFFFF, 0);
}

int ibvmig_sa_per_vm_range(const struct ibvmig_sa *sa, unsigned k, uint16_t *lid_begin,
			   uint16_t *lid_end)
{
	/*
	 * OpenSM checks LIDRangeBegin against its LID table size on Set
	 * (validate_ports_access_rights) but clamps only its copy of the end,
	 * and matches a notice when begin <= issuer LID <= end.
	 */
	if (k >= UNICAST_LID_TOP || UNICAST_LID_TOP - k < sa->port.sm_lid)
		return -ERANGE;
	*lid_begin = 1;
	*lid_end = (uint16_t)(UNICAST_LID_TOP - k);
	return 0;
}

/* ==== incoming ========================================================== */

static int deliver_queue(struct ibvmig_sa *sa, ibvmig_sa_report_fn fn, void *ctx)
{
	struct ibvmig_sa_report r;
	int n = 0;

	while (sa->q_len) {
		r = sa->queue[sa->q_head];
		sa->q_head = (sa->q_head + 1) % REPORT_QUEUE_LEN;
		sa->q_len--;
		if (fn)
			fn(&r, ctx);
		n++;
	}
	return n;
}

/* Queued vendor requests to their class's callback, oldest first. */
static int deliver_requests(struct ibvmig_sa *sa)
{
	struct ibvmig_sa_request r;
	struct vendor_class *vc;
	int n = 0;

	while (sa->r_len) {
		r = sa->requests[sa->r_head];
		sa->r_head = (sa->r_head + 1) % REQUEST_QUEUE_LEN;
		sa->r_len--;
		vc = vendor_of(sa, r.mad.mgmt_class);
		if (vc && vc->fn)
			vc->fn(sa, &r, vc->ctx);
		n++;
	}
	return n;
}

int ibvmig_sa_process(struct ibvmig_sa *sa, int timeout_ms, ibvmig_sa_report_fn fn, void *ctx)
{
	int n = deliver_queue(sa, fn, ctx) + deliver_requests(sa);
	size_t len;
	int i, rc;

	for (i = 0; i < DRAIN_MAX; i++) {
		/* Wait only for the first MAD, and not at all if Reports were due. */
		rc = recv_mad(sa, i || n ? 0 : timeout_ms, &len);
		if (rc == -ETIMEDOUT)
			break;
		if (rc)
			return n ? n : rc;
		n += handle_unsolicited(sa, len, fn, ctx, false);
	}
	return n;
}

/* ==== close ============================================================= */

void ibvmig_sa_close(struct ibvmig_sa *sa)
{
	int i;

	if (!sa)
		return;
	if (sa->n_subs && sa->portid >= 0) {
		/* Subscriptions outlive their client in OpenSM: drop ours, one try each. */
		sa->opts.retries = 0;
		while (sa->n_subs) {
			struct subscription s = sa->subs[sa->n_subs - 1];

			inform_set(sa, s.trap, false, s.lid_begin, s.lid_end);
			sa->n_subs--;
		}
	}
	close_issm(sa);
	if (sa->portid >= 0) {
		for (i = 0; i < N_VENDOR_CLASSES; i++)
			if (sa->vendor[i].agent >= 0)
				umad_unregister(sa->portid, sa->vendor[i].agent);
		if (sa->dr_agent >= 0)
			umad_unregister(sa->portid, sa->dr_agent);
		if (sa->smi_agent >= 0)
			umad_unregister(sa->portid, sa->smi_agent);
		if (sa->agent >= 0)
			umad_unregister(sa->portid, sa->agent);
		umad_close_port(sa->portid);
	}
	if (sa->umad_up)
		umad_done();
	if (sa->rbuf)
		umad_free(sa->rbuf);
	if (sa->sbuf)
		umad_free(sa->sbuf);
	free(sa->subs);
	free(sa->queue);
	free(sa->requests);
	free(sa);
}

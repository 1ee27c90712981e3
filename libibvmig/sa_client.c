// SPDX-License-Identifier: BSD-2-Clause
/*
 * sa_client.c - the libibumad side of libibvmig-sa: the handle, the one
 * blocking request loop every SA call goes through, and the handling of
 * unsolicited MADs (Reports, and SMInfo in simulator mode).  Layouts live in
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

#define REPORT_QUEUE_LEN 1024 /* Reports kept while a request waits */
#define RECENT_REPORTS	 32   /* TIDs remembered to spot a resent Report */
#define DRAIN_MAX	 64   /* MADs one process call handles after its wait */
#define SA_QPN		 1
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

struct ibvmig_sa {
	struct ibvmig_sa_opts opts; /* opts.ca points at port.ca */
	struct ibvmig_sa_port port;
	int portid;		 /* umad_open_port() */
	int agent;		 /* SA class, requests and Reports */
	int smi_agent, dr_agent; /* SM classes 0x01/0x81, simulator only */
	int issm_fd;		 /* open while subscribed, simulator only */
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

static int register_agents(struct ibvmig_sa *sa)
{
	long mask[16 / sizeof(long)] = {0};

	/* Unsolicited Reports reach only an agent whose method mask holds Report. */
	mask_set(mask, UMAD_METHOD_REPORT);
	sa->agent = umad_register(sa->portid, UMAD_CLASS_SUBN_ADM, UMAD_SA_CLASS_VERSION, 0, mask);
	sa->reports_ok = sa->agent >= 0;
	if (sa->agent < 0)
		/* Another agent of this port owns Reports: requests still work. */
		sa->agent =
		    umad_register(sa->portid, UMAD_CLASS_SUBN_ADM, UMAD_SA_CLASS_VERSION, 0, NULL);
	if (sa->agent < 0)
		return sa->agent;
	if (!sa->opts.simulator)
		return 0;
	/* umad2sim kills a client that receives a MAD of an unregistered class. */
	memset(mask, 0, sizeof(mask));
	mask_set(mask, UMAD_METHOD_GET);
	mask_set(mask, UMAD_METHOD_SET);
	sa->smi_agent = umad_register(sa->portid, UMAD_CLASS_SUBN_LID_ROUTED, 1, 0, mask);
	if (sa->smi_agent < 0)
		return sa->smi_agent;
	sa->dr_agent = umad_register(sa->portid, UMAD_CLASS_SUBN_DIRECTED_ROUTE, 1, 0, mask);
	return sa->dr_agent < 0 ? sa->dr_agent : 0;
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
	/* Closing clears IsSM; SIM_SET_ISSM=1 would leave it set (FABRIC-NOTES). */
	if (sa->issm_fd >= 0)
		close(sa->issm_fd);
	sa->issm_fd = -1;
}

int ibvmig_sa_open(const struct ibvmig_sa_opts *opts, struct ibvmig_sa **out)
{
	struct ibvmig_sa_opts defaults;
	struct ibvmig_sa *sa;
	int rc;

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
	sa->queue = calloc(REPORT_QUEUE_LEN, sizeof(*sa->queue));
	rc = -ENOMEM;
	if (!sa->queue)
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

int ibvmig_sa_refresh(struct ibvmig_sa *sa)
{
	return read_port(sa, sa->port.ca, sa->port.portnum);
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

/*
 * Sends the 256-byte @mad through @agent to @to (a received MAD's address, for
 * a response) or to the SA.  A request keeps a kernel send outstanding for
 * the attempt's duration: the kernel drops a response that matches none.
 */
static int send_mad(struct ibvmig_sa *sa, int agent, const uint8_t *mad, const ib_mad_addr_t *to)
{
	ib_mad_addr_t *addr = umad_get_mad_addr(sa->sbuf);
	int timeout_ms = 0;
	int rc;

	memset(sa->sbuf, 0, umad_size());
	memcpy(umad_get_mad(sa->sbuf), mad, IBVMIG_SA_MAD_LEN);
	if (to) {
		*addr = *to;
		/* QP0 takes no Q_Key; QP1 the well-known one (umad2sim reports 0). */
		addr->qkey = to->qpn ? htobe32(UMAD_QKEY) : 0;
	} else {
		umad_set_addr(sa->sbuf, sa->port.sm_lid, SA_QPN, sa->port.sm_sl, UMAD_QKEY);
		timeout_ms = sa->opts.timeout_ms;
	}
	rc = umad_send(sa->portid, agent, sa->sbuf, IBVMIG_SA_MAD_LEN, timeout_ms, 0);
	if (rc < 0) {
		sa->cnt.send_errors++;
		return rc;
	}
	return 0;
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
	if (ibvmig_sa_report_ack(ack, mad, len) > 0 && send_mad(sa, sa->agent, ack, from) == 0)
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
	if (send_mad(sa, agent, reply, umad_get_mad_addr(sa->rbuf)) == 0)
		sa->cnt.sminfo++;
}

/* Whatever no request waits for.  Returns 1 when it was a Report handled. */
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
	} else if (sa->opts.simulator && h.method == UMAD_METHOD_GET &&
		   h.attr_id == IBVMIG_SA_ATTR_SMINFO &&
		   (h.mgmt_class == UMAD_CLASS_SUBN_LID_ROUTED ||
		    h.mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE)) {
		handle_sminfo(sa, &h, mad, len);
		return 0;
	}
	sa->cnt.dropped++;
	return 0;
}

/* ==== the one blocking request =========================================== */

/*
 * Sends the SA request @mad (its TID is set here) and waits for its response
 * into @resp: opts.timeout_ms per attempt, opts.retries resends with the same
 * TID (a late answer to an earlier attempt is as good).  Returns 0, the
 * errno of a non-zero SA status, -ETIMEDOUT, or a local error.
 */
static int sa_request(struct ibvmig_sa *sa, uint8_t mad[IBVMIG_SA_MAD_LEN],
		      uint8_t resp[IBVMIG_SA_MAD_LEN], size_t *resp_len)
{
	struct ibvmig_sa_mad_hdr req, h;
	int attempt, rc;
	int64_t deadline;
	size_t len;

	if (!sa->port.lid || !sa->port.sm_lid)
		return -ENETDOWN;
	ibvmig_sa_mad_hdr_decode(mad, IBVMIG_SA_MAD_LEN, &req);
	if (!++sa->next_tid)
		++sa->next_tid;
	req.tid = sa->next_tid;
	ibvmig_sa_mad_hdr_encode(mad, &req);
	sa->last_status = 0;
	for (attempt = 0; attempt <= sa->opts.retries; attempt++) {
		if (attempt)
			sa->cnt.retries++;
		rc = send_mad(sa, sa->agent, mad, NULL);
		if (rc)
			return rc;
		sa->cnt.sent++;
		deadline = now_ms() + sa->opts.timeout_ms;
		for (;;) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				break;
			rc = recv_mad(sa, (int)left, &len);
			if (rc == -ETIMEDOUT)
				break;
			if (rc == -EINTR)
				continue; /* the caller looks at its signals afterwards */
			if (rc)
				return rc;
			if (!umad_status(sa->rbuf) &&
			    !ibvmig_sa_mad_hdr_decode(umad_get_mad(sa->rbuf), len, &h) &&
			    ibvmig_sa_is_response(&h, req.method, req.attr_id, req.tid)) {
				sa->cnt.responses++;
				memcpy(resp, umad_get_mad(sa->rbuf), len);
				memset(resp + len, 0, IBVMIG_SA_MAD_LEN - len);
				*resp_len = len;
				sa->last_status = h.status;
				if (!h.status)
					return 0;
				sa->cnt.sa_errors++;
				return ibvmig_sa_status_errno(h.status);
			}
			handle_unsolicited(sa, len, NULL, NULL, true);
		}
		sa->cnt.timeouts++;
	}
	return -ETIMEDOUT;
}

/* ==== alias GUIDs ======================================================== */

#define MAX_GUID_INDEX (MAX_GUID_BLOCKS * IBVMIG_SA_GUIDS_PER_BLOCK - 1)

/* One GUIDInfoRecord request for the port of @lid; *@b is the record answered. */
static int gir_request(struct ibvmig_sa *sa, uint8_t method, uint16_t lid, int index,
		       uint64_t guid, struct ibvmig_sa_guid_block *b)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN], resp[IBVMIG_SA_MAD_LEN];
	size_t len;
	int rc;

	ibvmig_sa_build_gir(mad, method, 0, lid, index, guid);
	rc = sa_request(sa, mad, resp, &len);
	if (rc)
		return rc;
	if (len < IBVMIG_SA_SA_DATA_OFFS ||
	    ibvmig_sa_gir_decode(resp + IBVMIG_SA_SA_DATA_OFFS, len - IBVMIG_SA_SA_DATA_OFFS, b))
		return -EPROTO;
	if (b->lid != lid || b->block != index / IBVMIG_SA_GUIDS_PER_BLOCK)
		return -EPROTO;
	return 0;
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
	if (!sa->n_subs)
		close_issm(sa);
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

int ibvmig_sa_process(struct ibvmig_sa *sa, int timeout_ms, ibvmig_sa_report_fn fn, void *ctx)
{
	int n = deliver_queue(sa, fn, ctx);
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
	free(sa);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * sa_codec.c - the MAD headers and SA records libibvmig-sa speaks, one
 * encoder and one decoder each.  Where libibmad's field table describes a
 * layout (MAD and SA headers, GUIDInfoRecord, SMInfo) its mad_*_field
 * accessors are used; PathRecord and InformInfo, which libibmad describes
 * only in part or not at all, are written in IBA table order through the
 * wire.h cursor.  No other file of the library knows an offset.
 */
#include "sa_codec.h"
#include "wire.h"

#include <errno.h>
#include <infiniband/mad.h>
#include <infiniband/umad_sa.h>
#include <infiniband/umad_types.h>
#include <string.h>

/* libibmad's accessors take non-const buffers even to read. */
#define MUT(p) ((void *)(uintptr_t)(p))

/* ==== common MAD header (IBA 13.4.2, DR SMP 14.2.1.2) ===================== */

void ibvmig_sa_mad_hdr_encode(uint8_t *mad, const struct ibvmig_sa_mad_hdr *h)
{
	memset(mad, 0, IBVMIG_SA_HDR_LEN);
	mad_set_field(mad, 0, IB_MAD_BASEVER_F, h->base_version);
	mad_set_field(mad, 0, IB_MAD_MGMTCLASS_F, h->mgmt_class);
	mad_set_field(mad, 0, IB_MAD_CLASSVER_F, h->class_version);
	mad_set_field(mad, 0, IB_MAD_METHOD_F, h->method & ~UMAD_METHOD_RESP_MASK);
	mad_set_field(mad, 0, IB_MAD_RESPONSE_F, !!(h->method & UMAD_METHOD_RESP_MASK));
	if (h->mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE) {
		mad_set_field(mad, 0, IB_DRSMP_DIRECTION_F, h->dr_direction);
		mad_set_field(mad, 0, IB_DRSMP_STATUS_F, h->status & 0x7FFF);
		mad_set_field(mad, 0, IB_DRSMP_HOPPTR_F, h->hop_ptr);
		mad_set_field(mad, 0, IB_DRSMP_HOPCNT_F, h->hop_cnt);
	} else {
		mad_set_field(mad, 0, IB_MAD_STATUS_F, h->status);
	}
	mad_set_field64(mad, 0, IB_MAD_TRID_F, h->tid);
	mad_set_field(mad, 0, IB_MAD_ATTRID_F, h->attr_id);
	mad_set_field(mad, 0, IB_MAD_ATTRMOD_F, h->attr_mod);
}

int ibvmig_sa_mad_hdr_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_mad_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len < IBVMIG_SA_HDR_LEN)
		return -EBADMSG;
	h->base_version = (uint8_t)mad_get_field(MUT(mad), 0, IB_MAD_BASEVER_F);
	h->mgmt_class = (uint8_t)mad_get_field(MUT(mad), 0, IB_MAD_MGMTCLASS_F);
	h->class_version = (uint8_t)mad_get_field(MUT(mad), 0, IB_MAD_CLASSVER_F);
	h->method =
	    (uint8_t)(mad_get_field(MUT(mad), 0, IB_MAD_METHOD_F) |
		      (mad_get_field(MUT(mad), 0, IB_MAD_RESPONSE_F) ? UMAD_METHOD_RESP_MASK : 0));
	if (h->mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE) {
		h->dr_direction = mad_get_field(MUT(mad), 0, IB_DRSMP_DIRECTION_F);
		h->status = (uint16_t)mad_get_field(MUT(mad), 0, IB_DRSMP_STATUS_F);
		h->hop_ptr = (uint8_t)mad_get_field(MUT(mad), 0, IB_DRSMP_HOPPTR_F);
		h->hop_cnt = (uint8_t)mad_get_field(MUT(mad), 0, IB_DRSMP_HOPCNT_F);
	} else {
		h->status = (uint16_t)mad_get_field(MUT(mad), 0, IB_MAD_STATUS_F);
	}
	h->tid = mad_get_field64(MUT(mad), 0, IB_MAD_TRID_F);
	h->attr_id = (uint16_t)mad_get_field(MUT(mad), 0, IB_MAD_ATTRID_F);
	h->attr_mod = mad_get_field(MUT(mad), 0, IB_MAD_ATTRMOD_F);
	return h->base_version == UMAD_BASE_VERSION ? 0 : -EBADMSG;
}

/* ==== SMP (IBA 14.2.1.1 LID-routed, 14.2.1.2 directed route) =============== */

#define SMP_LR_RESERVED	 32 /* bytes 32-63 of a LID-routed SMP */
#define SMP_DR_RESERVED	 28 /* bytes 36-63 of a directed-route SMP */
#define SMP_LR_TAIL	 128 /* bytes 128-255 of a LID-routed SMP, reserved */
#define SMP_LR_MIN_LEN	 (IBVMIG_SA_SMP_DATA_OFFS + IBVMIG_SA_SMP_DATA_LEN)

static bool is_smp_class(uint8_t mgmt_class)
{
	return mgmt_class == UMAD_CLASS_SUBN_LID_ROUTED ||
	       mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE;
}

void ibvmig_sa_smp_encode(uint8_t mad[IBVMIG_SA_MAD_LEN], const struct ibvmig_sa_smp *s)
{
	struct wire w = wire_at(mad + IBVMIG_SA_HDR_LEN, IBVMIG_SA_MAD_LEN - IBVMIG_SA_HDR_LEN);
	bool dr = s->hdr.mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE;

	ibvmig_sa_mad_hdr_encode(mad, &s->hdr);
	wire_put_u64(&w, s->m_key);
	if (dr) {
		wire_put_u16(&w, s->dr_slid);
		wire_put_u16(&w, s->dr_dlid);
		wire_put_zero(&w, SMP_DR_RESERVED);
	} else {
		wire_put_zero(&w, SMP_LR_RESERVED);
	}
	wire_put_bytes(&w, s->data, sizeof(s->data));
	if (dr) {
		wire_put_bytes(&w, s->initial_path, sizeof(s->initial_path));
		wire_put_bytes(&w, s->return_path, sizeof(s->return_path));
	} else {
		wire_put_zero(&w, SMP_LR_TAIL);
	}
}

int ibvmig_sa_smp_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_smp *s)
{
	struct wire w =
	    wire_at(MUT(mad) + IBVMIG_SA_HDR_LEN, IBVMIG_SA_MAD_LEN - IBVMIG_SA_HDR_LEN);
	bool dr;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = ibvmig_sa_mad_hdr_decode(mad, len, &s->hdr);
	if (rc)
		return rc;
	dr = s->hdr.mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE;
	if (!is_smp_class(s->hdr.mgmt_class) || len < (dr ? IBVMIG_SA_MAD_LEN : SMP_LR_MIN_LEN))
		return -EBADMSG;
	s->m_key = wire_get_u64(&w);
	if (dr) {
		s->dr_slid = wire_get_u16(&w);
		s->dr_dlid = wire_get_u16(&w);
		wire_skip(&w, SMP_DR_RESERVED);
	} else {
		wire_skip(&w, SMP_LR_RESERVED);
	}
	wire_get_bytes(&w, s->data, sizeof(s->data));
	if (dr) {
		wire_get_bytes(&w, s->initial_path, sizeof(s->initial_path));
		wire_get_bytes(&w, s->return_path, sizeof(s->return_path));
	}
	return 0;
}

/* ==== PortInfo (IBA 14.2.5.6, Table 146), through libibmad's field table === */

void ibvmig_sa_portinfo_encode(uint8_t data[IBVMIG_SA_PORTINFO_LEN],
			       const struct ibvmig_sa_portinfo *pi)
{
	memset(data, 0, IBVMIG_SA_PORTINFO_LEN);
	mad_set_field64(data, 0, IB_PORT_MKEY_F, pi->m_key);
	mad_set_field64(data, 0, IB_PORT_GID_PREFIX_F, pi->gid_prefix);
	mad_set_field(data, 0, IB_PORT_LID_F, pi->lid);
	mad_set_field(data, 0, IB_PORT_SMLID_F, pi->sm_lid);
	mad_set_field(data, 0, IB_PORT_CAPMASK_F, pi->cap_mask);
	mad_set_field(data, 0, IB_PORT_LOCAL_PORT_F, pi->local_port);
	mad_set_field(data, 0, IB_PORT_STATE_F, pi->port_state);
	mad_set_field(data, 0, IB_PORT_PHYS_STATE_F, pi->phys_state);
	mad_set_field(data, 0, IB_PORT_LMC_F, pi->lmc);
	mad_set_field(data, 0, IB_PORT_NEIGHBOR_MTU_F, pi->neighbor_mtu);
	mad_set_field(data, 0, IB_PORT_SMSL_F, pi->sm_sl);
	mad_set_field(data, 0, IB_PORT_CLIENT_REREG_F, pi->client_rereg);
	mad_set_field(data, 0, IB_PORT_GUID_CAP_F, pi->guid_cap);
}

int ibvmig_sa_portinfo_decode(const uint8_t *data, size_t len, struct ibvmig_sa_portinfo *pi)
{
	void *d = MUT(data);

	memset(pi, 0, sizeof(*pi));
	if (len < IBVMIG_SA_PORTINFO_LEN)
		return -EBADMSG;
	pi->m_key = mad_get_field64(d, 0, IB_PORT_MKEY_F);
	pi->gid_prefix = mad_get_field64(d, 0, IB_PORT_GID_PREFIX_F);
	pi->lid = (uint16_t)mad_get_field(d, 0, IB_PORT_LID_F);
	pi->sm_lid = (uint16_t)mad_get_field(d, 0, IB_PORT_SMLID_F);
	pi->cap_mask = mad_get_field(d, 0, IB_PORT_CAPMASK_F);
	pi->local_port = (uint8_t)mad_get_field(d, 0, IB_PORT_LOCAL_PORT_F);
	pi->port_state = (uint8_t)mad_get_field(d, 0, IB_PORT_STATE_F);
	pi->phys_state = (uint8_t)mad_get_field(d, 0, IB_PORT_PHYS_STATE_F);
	pi->lmc = (uint8_t)mad_get_field(d, 0, IB_PORT_LMC_F);
	pi->neighbor_mtu = (uint8_t)mad_get_field(d, 0, IB_PORT_NEIGHBOR_MTU_F);
	pi->sm_sl = (uint8_t)mad_get_field(d, 0, IB_PORT_SMSL_F);
	pi->client_rereg = mad_get_field(d, 0, IB_PORT_CLIENT_REREG_F);
	pi->guid_cap = (uint8_t)mad_get_field(d, 0, IB_PORT_GUID_CAP_F);
	return 0;
}

void ibvmig_sa_build_local_portinfo_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid)
{
	struct ibvmig_sa_smp s = {
	    .hdr = {
		.base_version = UMAD_BASE_VERSION,
		.mgmt_class = UMAD_CLASS_SUBN_DIRECTED_ROUTE,
		.class_version = IBVMIG_SA_SMP_CLASS_VERSION,
		.method = UMAD_METHOD_GET,
		.tid = tid,
		.attr_id = IBVMIG_SA_ATTR_PORT_INFO,
	    },
	    /* Hop count 0, both ends permissive: the SMP never leaves this port. */
	    .dr_slid = IBVMIG_SA_PERMISSIVE_LID,
	    .dr_dlid = IBVMIG_SA_PERMISSIVE_LID,
	};

	ibvmig_sa_smp_encode(mad, &s);
}

void ibvmig_sa_build_trap(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid,
			  const struct ibvmig_notice *n)
{
	struct ibvmig_sa_smp s = {
	    .hdr = {
		.base_version = UMAD_BASE_VERSION,
		.mgmt_class = UMAD_CLASS_SUBN_LID_ROUTED,
		.class_version = IBVMIG_SA_SMP_CLASS_VERSION,
		.method = UMAD_METHOD_TRAP,
		.tid = tid,
		.attr_id = IBVMIG_SA_ATTR_NOTICE,
	    },
	};
	uint8_t attr[IBVMIG_NOTICE_LEN];

	ibvmig_notice_encode(n, attr);
	/* The IssuerGID (the last 16 bytes) has no room: the SM fills it in. */
	memcpy(s.data, attr, sizeof(s.data));
	ibvmig_sa_smp_encode(mad, &s);
}

bool ibvmig_sa_is_trap_repress(const struct ibvmig_sa_mad_hdr *h, uint64_t tid)
{
	return h->mgmt_class == UMAD_CLASS_SUBN_LID_ROUTED &&
	       h->method == UMAD_METHOD_TRAP_REPRESS && h->attr_id == IBVMIG_SA_ATTR_NOTICE &&
	       (uint32_t)h->tid == (uint32_t)tid;
}

/* ==== vendor classes 0x09-0x0F (IBA 13.4.2 header, then 232 data bytes) ==== */

static bool is_vendor_class(uint8_t mgmt_class)
{
	return mgmt_class >= IBVMIG_SA_VENDOR_CLASS_FIRST &&
	       mgmt_class <= IBVMIG_SA_VENDOR_CLASS_LAST;
}

void ibvmig_sa_vendor_encode(uint8_t mad[IBVMIG_SA_MAD_LEN], const struct ibvmig_sa_vendor_mad *v)
{
	struct ibvmig_sa_mad_hdr h = {
	    .base_version = UMAD_BASE_VERSION,
	    .mgmt_class = v->mgmt_class,
	    .class_version = v->class_version,
	    .method = v->method,
	    .status = v->status,
	    .tid = v->tid,
	    .attr_id = v->attr_id,
	    .attr_mod = v->attr_mod,
	};

	ibvmig_sa_mad_hdr_encode(mad, &h);
	memcpy(mad + IBVMIG_SA_HDR_LEN, v->data, IBVMIG_SA_VENDOR_DATA_LEN);
}

int ibvmig_sa_vendor_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_vendor_mad *v)
{
	struct ibvmig_sa_mad_hdr h;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = ibvmig_sa_mad_hdr_decode(mad, len, &h);
	if (rc)
		return rc;
	if (!is_vendor_class(h.mgmt_class))
		return -ENOMSG;
	*v = (struct ibvmig_sa_vendor_mad){
	    .mgmt_class = h.mgmt_class,
	    .class_version = h.class_version,
	    .method = h.method,
	    .status = h.status,
	    .tid = h.tid,
	    .attr_id = h.attr_id,
	    .attr_mod = h.attr_mod,
	};
	/* A short MAD (umad2sim hands over what was sent) leaves the rest zero. */
	len = len > IBVMIG_SA_MAD_LEN ? IBVMIG_SA_MAD_LEN : len;
	memcpy(v->data, mad + IBVMIG_SA_HDR_LEN, len - IBVMIG_SA_HDR_LEN);
	return 0;
}

bool ibvmig_sa_is_vendor_response(const struct ibvmig_sa_mad_hdr *h, uint8_t mgmt_class,
				  uint8_t method, uint16_t attr_id, uint64_t tid)
{
	return h->mgmt_class == mgmt_class && h->method == ibvmig_sa_response_method(method) &&
	       h->attr_id == attr_id && (uint32_t)h->tid == (uint32_t)tid;
}

bool ibvmig_sa_answer_from(uint16_t dlid, uint16_t slid)
{
	return dlid && slid == dlid;
}

int ibvmig_sa_vendor_response(struct ibvmig_sa_vendor_mad *out,
			      const struct ibvmig_sa_vendor_mad *req, uint16_t status,
			      uint32_t attr_mod, const void *data, size_t len)
{
	if ((req->method & UMAD_METHOD_RESP_MASK) || len > IBVMIG_SA_VENDOR_DATA_LEN ||
	    (len && !data) || !is_vendor_class(req->mgmt_class))
		return -EINVAL;
	*out = *req;
	out->method = ibvmig_sa_response_method(req->method);
	out->status = status;
	out->attr_mod = attr_mod;
	memset(out->data, 0, sizeof(out->data));
	if (len)
		memcpy(out->data, data, len);
	return 0;
}

/* ==== SA header (IBA 15.2.1.1): RMPP header, SM_Key, offset, mask ========= */

void ibvmig_sa_class_hdr_encode(uint8_t *mad, const struct ibvmig_sa_class_hdr *s)
{
	/* The RMPP header (bytes 24-35) stays zero: our requests are single MADs. */
	memset(mad + IBVMIG_SA_HDR_LEN, 0, IBVMIG_SA_SA_DATA_OFFS - IBVMIG_SA_HDR_LEN);
	mad_set_field64(mad, 0, IB_SA_MKEY_F, s->sm_key);
	mad_set_field(mad, 0, IB_SA_ATTROFFS_F, s->attr_offset);
	mad_set_field64(mad, 0, IB_SA_COMPMASK_F, s->comp_mask);
}

int ibvmig_sa_class_hdr_decode(const uint8_t *mad, size_t len, struct ibvmig_sa_class_hdr *s)
{
	memset(s, 0, sizeof(*s));
	if (len < IBVMIG_SA_SA_DATA_OFFS)
		return -EBADMSG;
	s->sm_key = mad_get_field64(MUT(mad), 0, IB_SA_MKEY_F);
	s->attr_offset = (uint16_t)mad_get_field(MUT(mad), 0, IB_SA_ATTROFFS_F);
	s->comp_mask = mad_get_field64(MUT(mad), 0, IB_SA_COMPMASK_F);
	return 0;
}

/* ==== GUIDInfoRecord (IBA 15.2.5.18): LID, BlockNum, 4 reserved, 8 GUIDs === */

void ibvmig_sa_gir_encode(uint8_t *rec, const struct ibvmig_sa_guid_block *b)
{
	int i;

	memset(rec, 0, IBVMIG_SA_GIR_LEN);
	mad_set_field(rec, 0, IB_SA_GIR_LID_F, b->lid);
	mad_set_field(rec, 0, IB_SA_GIR_BLOCKNUM_F, b->block);
	for (i = 0; i < IBVMIG_SA_GUIDS_PER_BLOCK; i++)
		mad_set_field64(rec, 0, (enum MAD_FIELDS)(IB_SA_GIR_GUID0_F + i), b->guid[i]);
}

int ibvmig_sa_gir_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_guid_block *b)
{
	int i;

	memset(b, 0, sizeof(*b));
	if (len < IBVMIG_SA_GIR_LEN)
		return -EBADMSG;
	b->lid = (uint16_t)mad_get_field(MUT(rec), 0, IB_SA_GIR_LID_F);
	b->block = (uint8_t)mad_get_field(MUT(rec), 0, IB_SA_GIR_BLOCKNUM_F);
	for (i = 0; i < IBVMIG_SA_GUIDS_PER_BLOCK; i++)
		b->guid[i] = mad_get_field64(MUT(rec), 0, (enum MAD_FIELDS)(IB_SA_GIR_GUID0_F + i));
	return 0;
}

/* ==== NodeRecord (IBA 15.2.5.2): LID, reserved, NodeInfo, NodeDescription == */

void ibvmig_sa_node_encode(uint8_t *rec, const struct ibvmig_sa_node *n)
{
	memset(rec, 0, IBVMIG_SA_NODE_REC_LEN);
	mad_set_field(rec, 0, IB_SA_NR_LID_F, n->lid);
	mad_set_field(rec, 0, IB_SA_NR_TYPE_F, n->node_type);
	mad_set_field64(rec, 0, IB_SA_NR_GUID_F, n->node_guid);
	mad_set_field64(rec, 0, IB_SA_NR_PORT_GUID_F, n->port_guid);
}

int ibvmig_sa_node_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_node *n)
{
	memset(n, 0, sizeof(*n));
	if (len < IBVMIG_SA_NODE_REC_LEN)
		return -EBADMSG;
	n->lid = (uint16_t)mad_get_field(MUT(rec), 0, IB_SA_NR_LID_F);
	n->node_type = (uint8_t)mad_get_field(MUT(rec), 0, IB_SA_NR_TYPE_F);
	n->node_guid = mad_get_field64(MUT(rec), 0, IB_SA_NR_GUID_F);
	n->port_guid = mad_get_field64(MUT(rec), 0, IB_SA_NR_PORT_GUID_F);
	return 0;
}

/* ==== PortInfoRecord (IBA 15.2.5.3): EndportLID, PortNum, Options, PortInfo === */

#define PIR_INFO_OFFS 4	/* PortInfo follows EndportLID (2), PortNum (1), Options (1) */

void ibvmig_sa_portinfo_rec_encode(uint8_t *rec, const struct ibvmig_sa_portinfo_rec *r)
{
	struct wire w = wire_at(rec, PIR_INFO_OFFS);

	wire_put_u16(&w, r->lid);
	wire_put_u8(&w, r->port_num);
	wire_put_u8(&w, 0);
	ibvmig_sa_portinfo_encode(rec + PIR_INFO_OFFS, &r->info);
}

int ibvmig_sa_portinfo_rec_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_portinfo_rec *r)
{
	struct wire w;

	memset(r, 0, sizeof(*r));
	if (len < IBVMIG_SA_PORTINFO_REC_LEN)
		return -EBADMSG;
	w = wire_at((uint8_t *)rec, PIR_INFO_OFFS);
	r->lid = wire_get_u16(&w);
	r->port_num = wire_get_u8(&w);
	return ibvmig_sa_portinfo_decode(rec + PIR_INFO_OFFS, len - PIR_INFO_OFFS, &r->info);
}

/* ==== PathRecord (IBA 15.2.5.16, Table 207), in table order ============== */

/* Byte 44: RawTraffic(1) Reserved(3) FlowLabel(20) HopLimit(8). */
#define PR_RAW_SHIFT  31
#define PR_FLOW_SHIFT 8
#define PR_FLOW_MASK  0xFFFFFu
/* Byte 49: Reversible(1) NumbPath(7); bytes 52-53: QosClass(12) SL(4). */
#define PR_REVERSIBLE	  0x80
#define PR_NUMB_PATH_MASK 0x7F
#define PR_QOS_SHIFT	  4
#define PR_SL_MASK	  0xF
/* MTU, Rate, PacketLifeTime: Selector(2) Value(6) (umad_sa.h). */
#define PR_RESERVED_TAIL 6

static uint8_t selector_value(uint8_t selector, uint8_t value)
{
	return umad_sa_set_rate_mtu_or_life(selector, value);
}

void ibvmig_sa_path_encode(uint8_t *rec, const struct ibvmig_sa_path *p)
{
	struct wire w = wire_at(rec, IBVMIG_SA_PATH_LEN);

	wire_put_u64(&w, p->service_id);
	wire_put_u64(&w, p->dgid_prefix);
	wire_put_u64(&w, p->dgid_guid);
	wire_put_u64(&w, p->sgid_prefix);
	wire_put_u64(&w, p->sgid_guid);
	wire_put_u16(&w, p->dlid);
	wire_put_u16(&w, p->slid);
	wire_put_u32(&w, (uint32_t)p->raw_traffic << PR_RAW_SHIFT |
			     (p->flow_label & PR_FLOW_MASK) << PR_FLOW_SHIFT | p->hop_limit);
	wire_put_u8(&w, p->tclass);
	wire_put_u8(&w, (uint8_t)((p->reversible ? PR_REVERSIBLE : 0) |
				  (p->numb_path & PR_NUMB_PATH_MASK)));
	wire_put_u16(&w, p->pkey);
	wire_put_u16(&w, (uint16_t)(p->qos_class << PR_QOS_SHIFT | (p->sl & PR_SL_MASK)));
	wire_put_u8(&w, selector_value(p->mtu_selector, p->mtu));
	wire_put_u8(&w, selector_value(p->rate_selector, p->rate));
	wire_put_u8(&w, selector_value(p->pkt_life_selector, p->pkt_life));
	wire_put_u8(&w, p->preference);
	wire_put_zero(&w, PR_RESERVED_TAIL);
}

static void get_selector_value(struct wire *w, uint8_t *selector, uint8_t *value)
{
	uint8_t v = wire_get_u8(w);

	*selector = (v >> UMAD_SA_SELECTOR_SHIFT) & UMAD_SA_SELECTOR_MASK;
	*value = umad_sa_get_rate_mtu_or_life(v);
}

int ibvmig_sa_path_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_path *p)
{
	struct wire w = wire_at(MUT(rec), IBVMIG_SA_PATH_LEN);
	uint32_t hop_flow_raw;
	uint16_t qos_sl;
	uint8_t rev_numb;

	memset(p, 0, sizeof(*p));
	if (len < IBVMIG_SA_PATH_LEN)
		return -EBADMSG;
	p->service_id = wire_get_u64(&w);
	p->dgid_prefix = wire_get_u64(&w);
	p->dgid_guid = wire_get_u64(&w);
	p->sgid_prefix = wire_get_u64(&w);
	p->sgid_guid = wire_get_u64(&w);
	p->dlid = wire_get_u16(&w);
	p->slid = wire_get_u16(&w);
	hop_flow_raw = wire_get_u32(&w);
	p->raw_traffic = hop_flow_raw >> PR_RAW_SHIFT;
	p->flow_label = (hop_flow_raw >> PR_FLOW_SHIFT) & PR_FLOW_MASK;
	p->hop_limit = (uint8_t)hop_flow_raw;
	p->tclass = wire_get_u8(&w);
	rev_numb = wire_get_u8(&w);
	p->reversible = rev_numb & PR_REVERSIBLE;
	p->numb_path = rev_numb & PR_NUMB_PATH_MASK;
	p->pkey = wire_get_u16(&w);
	qos_sl = wire_get_u16(&w);
	p->qos_class = qos_sl >> PR_QOS_SHIFT;
	p->sl = qos_sl & PR_SL_MASK;
	get_selector_value(&w, &p->mtu_selector, &p->mtu);
	get_selector_value(&w, &p->rate_selector, &p->rate);
	get_selector_value(&w, &p->pkt_life_selector, &p->pkt_life);
	p->preference = wire_get_u8(&w);
	return 0;
}

/* ==== InformInfo (IBA 13.4.8.3, Table 197), in table order ================ */

/* Bytes 28-31: QPN(24) Reserved(3) RespTimeValue(5); 32-35: Reserved(8) Producer(24). */
#define II_QPN_SHIFT	  8
#define II_QPN_MASK	  0xFFFFFFu
#define II_RESP_TIME_MASK 0x1F
#define II_PRODUCER_MASK  0xFFFFFFu

void ibvmig_sa_inform_encode(uint8_t *rec, const struct ibvmig_sa_inform *ii)
{
	struct wire w = wire_at(rec, IBVMIG_SA_INFORM_LEN);

	wire_put_u64(&w, ii->gid_prefix);
	wire_put_u64(&w, ii->gid_guid);
	wire_put_u16(&w, ii->lid_begin);
	wire_put_u16(&w, ii->lid_end);
	wire_put_zero(&w, 2);
	wire_put_u8(&w, ii->generic);
	wire_put_u8(&w, ii->subscribe);
	wire_put_u16(&w, ii->type);
	wire_put_u16(&w, ii->trap);
	wire_put_u32(&w,
		     (ii->qpn & II_QPN_MASK) << II_QPN_SHIFT | (ii->resp_time & II_RESP_TIME_MASK));
	wire_put_u32(&w, ii->producer & II_PRODUCER_MASK);
}

int ibvmig_sa_inform_decode(const uint8_t *rec, size_t len, struct ibvmig_sa_inform *ii)
{
	struct wire w = wire_at(MUT(rec), IBVMIG_SA_INFORM_LEN);
	uint32_t qpn_resp;

	memset(ii, 0, sizeof(*ii));
	if (len < IBVMIG_SA_INFORM_LEN)
		return -EBADMSG;
	ii->gid_prefix = wire_get_u64(&w);
	ii->gid_guid = wire_get_u64(&w);
	ii->lid_begin = wire_get_u16(&w);
	ii->lid_end = wire_get_u16(&w);
	wire_skip(&w, 2);
	ii->generic = wire_get_u8(&w);
	ii->subscribe = wire_get_u8(&w);
	ii->type = wire_get_u16(&w);
	ii->trap = wire_get_u16(&w);
	qpn_resp = wire_get_u32(&w);
	ii->qpn = qpn_resp >> II_QPN_SHIFT;
	ii->resp_time = qpn_resp & II_RESP_TIME_MASK;
	ii->producer = wire_get_u32(&w) & II_PRODUCER_MASK;
	return 0;
}

/* ==== SMInfo (IBA 14.2.5.13): GUID, SM_Key, ActCount, Priority|SMState ==== */

void ibvmig_sa_sminfo_encode(uint8_t *data, const struct ibvmig_sa_sminfo *si)
{
	memset(data, 0, IBVMIG_SA_SMP_DATA_LEN);
	mad_set_field64(data, 0, IB_SMINFO_GUID_F, si->guid);
	mad_set_field64(data, 0, IB_SMINFO_KEY_F, si->sm_key);
	mad_set_field(data, 0, IB_SMINFO_ACT_F, si->act_count);
	mad_set_field(data, 0, IB_SMINFO_PRIO_F, si->priority);
	mad_set_field(data, 0, IB_SMINFO_STATE_F, si->state);
}

int ibvmig_sa_sminfo_decode(const uint8_t *data, size_t len, struct ibvmig_sa_sminfo *si)
{
	memset(si, 0, sizeof(*si));
	if (len < IBVMIG_SA_SMINFO_LEN)
		return -EBADMSG;
	si->guid = mad_get_field64(MUT(data), 0, IB_SMINFO_GUID_F);
	si->sm_key = mad_get_field64(MUT(data), 0, IB_SMINFO_KEY_F);
	si->act_count = mad_get_field(MUT(data), 0, IB_SMINFO_ACT_F);
	si->priority = (uint8_t)mad_get_field(MUT(data), 0, IB_SMINFO_PRIO_F);
	si->state = (uint8_t)mad_get_field(MUT(data), 0, IB_SMINFO_STATE_F);
	return 0;
}

/* ==== SA requests ======================================================== */

/* GUIDInfoRecord component mask bits (IBA 15.2.5.18; ib_types.h IB_GIR_COMPMASK_*). */
#define GIR_CM_LID	(1ULL << 0)
#define GIR_CM_BLOCKNUM (1ULL << 1)
#define GIR_CM_GID0_BIT 4
#define NR_CM_LID	(1ULL << 0)	/* NodeRecord: LID (IBA 15.2.5.2) */
#define PIR_CM_LID	(1ULL << 0)	/* PortInfoRecord: EndportLID (IBA 15.2.5.3) */
/* PathRecord component mask bits (IBA 15.2.5.16; ib_types.h IB_PR_COMPMASK_*). */
#define PR_CM_DGID     (1ULL << 2)
#define PR_CM_SGID     (1ULL << 3)
#define PR_CM_NUMBPATH (1ULL << 12)

static void build_sa_request(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t method, uint16_t attr_id,
			     uint64_t tid, uint64_t comp_mask)
{
	struct ibvmig_sa_mad_hdr h = {
	    .base_version = UMAD_BASE_VERSION,
	    .mgmt_class = UMAD_CLASS_SUBN_ADM,
	    .class_version = UMAD_SA_CLASS_VERSION,
	    .method = method,
	    .tid = tid,
	    .attr_id = attr_id,
	};
	struct ibvmig_sa_class_hdr s = {.comp_mask = comp_mask};

	memset(mad, 0, IBVMIG_SA_MAD_LEN);
	ibvmig_sa_mad_hdr_encode(mad, &h);
	ibvmig_sa_class_hdr_encode(mad, &s);
}

uint64_t ibvmig_sa_gir_comp_mask(int index)
{
	/*
	 * LID|BlockNum alone is accepted by OpenSM and changes nothing: the
	 * GIDn bit selects which entries of the block a Set/Delete touches.
	 */
	return GIR_CM_LID | GIR_CM_BLOCKNUM |
	       1ULL << (GIR_CM_GID0_BIT + index % IBVMIG_SA_GUIDS_PER_BLOCK);
}

void ibvmig_sa_build_gir_block(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t method, uint64_t tid,
			   const struct ibvmig_sa_guid_block *b, uint8_t entries)
{
	struct ibvmig_sa_guid_block out = { .lid = b->lid, .block = b->block };
	uint64_t mask = GIR_CM_LID | GIR_CM_BLOCKNUM;
	int i;

	for (i = 0; method != UMAD_METHOD_GET && i < IBVMIG_SA_GUIDS_PER_BLOCK; i++) {
		if (!(entries & 1u << i))
			continue;
		mask |= 1ULL << (GIR_CM_GID0_BIT + i);
		out.guid[i] = b->guid[i];	/* the others stay 0: not asked for */
	}
	build_sa_request(mad, method, IBVMIG_SA_ATTR_GUIDINFO_REC, tid, mask);
	ibvmig_sa_gir_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &out);
}

void ibvmig_sa_build_gir(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t method, uint64_t tid, uint16_t lid,
		     int index, uint64_t guid)
{
	struct ibvmig_sa_guid_block b = {
	    .lid = lid,
	    .block = (uint8_t)(index / IBVMIG_SA_GUIDS_PER_BLOCK),
	};

	b.guid[index % IBVMIG_SA_GUIDS_PER_BLOCK] = guid;
	ibvmig_sa_build_gir_block(mad, method, tid, &b,
				  (uint8_t)(1u << index % IBVMIG_SA_GUIDS_PER_BLOCK));
}

void ibvmig_sa_build_path_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid, uint64_t sgid_prefix,
			  uint64_t sgid_guid, uint64_t dgid_prefix, uint64_t dgid_guid)
{
	struct ibvmig_sa_path p = {
	    .dgid_prefix = dgid_prefix,
	    .dgid_guid = dgid_guid,
	    .sgid_prefix = sgid_prefix,
	    .sgid_guid = sgid_guid,
	    .numb_path = 1,
	};

	build_sa_request(mad, UMAD_METHOD_GET, IBVMIG_SA_ATTR_PATH_REC, tid,
			 PR_CM_DGID | PR_CM_SGID | PR_CM_NUMBPATH);
	ibvmig_sa_path_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &p);
}

void ibvmig_sa_build_node_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid, uint16_t lid)
{
	struct ibvmig_sa_node n = {.lid = lid};

	build_sa_request(mad, UMAD_METHOD_GET, IBVMIG_SA_ATTR_NODE_REC, tid, NR_CM_LID);
	ibvmig_sa_node_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &n);
}

void ibvmig_sa_build_portinfo_rec_get(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid, uint16_t lid)
{
	struct ibvmig_sa_portinfo_rec r = {.lid = lid};

	build_sa_request(mad, UMAD_METHOD_GET, IBVMIG_SA_ATTR_PORTINFO_REC, tid, PIR_CM_LID);
	ibvmig_sa_portinfo_rec_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &r);
}

void ibvmig_sa_build_inform_set(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid,
				const struct ibvmig_sa_inform *ii)
{
	build_sa_request(mad, UMAD_METHOD_SET, IBVMIG_SA_ATTR_INFORM_INFO, tid, 0);
	ibvmig_sa_inform_encode(mad + IBVMIG_SA_SA_DATA_OFFS, ii);
}

/* 4.096 us * 2^18 ~ 1 s: what the subscriber claims to need to answer a Report. */
#define II_RESP_TIME_VALUE 18
#define II_ANY_TYPE	   0xFFFF
#define II_ANY_PRODUCER	   0xFFFFFF
#define GSI_QPN		   1

struct ibvmig_sa_inform ibvmig_sa_inform_for_trap(uint16_t trap, bool subscribe, uint16_t lid_begin,
					  uint16_t lid_end)
{
	/*
	 * OpenSM stores the QPN the Set came from and compares QPN and
	 * RespTimeValue when matching an unsubscribe (match_inf_rec), so both
	 * directions send the same QPN (1, the GSI) and response time.
	 */
	return (struct ibvmig_sa_inform){
	    .lid_begin = lid_begin,
	    .lid_end = lid_end,
	    .generic = true,
	    .subscribe = subscribe,
	    .type = II_ANY_TYPE,
	    .trap = trap,
	    .qpn = GSI_QPN,
	    .resp_time = II_RESP_TIME_VALUE,
	    .producer = II_ANY_PRODUCER,
	};
}

/* ==== responses ========================================================= */

uint8_t ibvmig_sa_response_method(uint8_t method)
{
	/* SubnAdmSet is answered with SubnAdmGetResp (IBA 15.4.2, Table 213). */
	if (method == UMAD_METHOD_SET)
		method = UMAD_METHOD_GET;
	return method | UMAD_METHOD_RESP_MASK;
}

bool ibvmig_sa_is_response(const struct ibvmig_sa_mad_hdr *h, uint8_t method, uint16_t attr_id,
			   uint64_t tid)
{
	return h->mgmt_class == UMAD_CLASS_SUBN_ADM &&
	       h->method == ibvmig_sa_response_method(method) && h->attr_id == attr_id &&
	       (uint32_t)h->tid == (uint32_t)tid;
}

/* ==== unsolicited MADs =================================================== */

static size_t copy_request(uint8_t out[IBVMIG_SA_MAD_LEN], const uint8_t *req, size_t len)
{
	if (len > IBVMIG_SA_MAD_LEN)
		len = IBVMIG_SA_MAD_LEN;
	memcpy(out, req, len);
	memset(out + len, 0, IBVMIG_SA_MAD_LEN - len);
	return len;
}

int ibvmig_sa_sminfo_reply(uint8_t out[IBVMIG_SA_MAD_LEN], const uint8_t *req, size_t len,
		       uint64_t port_guid)
{
	struct ibvmig_sa_sminfo si = {.guid = port_guid, .state = IBVMIG_SA_SM_STATE_NOTACTIVE};
	struct ibvmig_sa_mad_hdr h;
	size_t need;
	int rc;

	rc = ibvmig_sa_mad_hdr_decode(req, len, &h);
	if (rc)
		return rc;
	if ((h.mgmt_class != UMAD_CLASS_SUBN_LID_ROUTED &&
	     h.mgmt_class != UMAD_CLASS_SUBN_DIRECTED_ROUTE) ||
	    h.method != UMAD_METHOD_GET || h.attr_id != IBVMIG_SA_ATTR_SMINFO)
		return -ENOMSG;
	/* A DR SMP must come back with its paths (bytes 128-255) intact. */
	need = h.mgmt_class == UMAD_CLASS_SUBN_DIRECTED_ROUTE
		   ? IBVMIG_SA_DR_PATH_END
		   : IBVMIG_SA_SMP_DATA_OFFS + IBVMIG_SA_SMP_DATA_LEN;
	if (len < need)
		return -EBADMSG;
	copy_request(out, req, len);
	h.method = UMAD_METHOD_GET_RESP;
	h.status = 0;
	/* ibsim checks D == response and HopPointer == 0: keep the request's. */
	h.dr_direction = true;
	ibvmig_sa_mad_hdr_encode(out, &h);
	ibvmig_sa_sminfo_encode(out + IBVMIG_SA_SMP_DATA_OFFS, &si);
	return IBVMIG_SA_MAD_LEN;
}

int ibvmig_sa_report_ack(uint8_t out[IBVMIG_SA_MAD_LEN], const uint8_t *req, size_t len)
{
	struct ibvmig_sa_mad_hdr h;
	int rc;

	rc = ibvmig_sa_mad_hdr_decode(req, len, &h);
	if (rc)
		return rc;
	if (h.mgmt_class != UMAD_CLASS_SUBN_ADM || h.method != UMAD_METHOD_REPORT)
		return -ENOMSG;
	if (len < IBVMIG_SA_SA_DATA_OFFS)
		return -EBADMSG;
	copy_request(out, req, len);
	h.method = UMAD_METHOD_REPORT_RESP;
	h.status = 0;
	ibvmig_sa_mad_hdr_encode(out, &h);
	return IBVMIG_SA_MAD_LEN;
}

void ibvmig_sa_build_report(uint8_t mad[IBVMIG_SA_MAD_LEN], uint64_t tid,
			    const struct ibvmig_notice *n)
{
	build_sa_request(mad, UMAD_METHOD_REPORT, IBVMIG_SA_ATTR_NOTICE, tid, 0);
	ibvmig_notice_encode(n, mad + IBVMIG_SA_SA_DATA_OFFS);
}

/* Traps 64-67 (IBA 14.2.5.1): DataDetails = Reserved(6 bytes) GID(16 bytes). */
#define TRAP_GID_FIRST 64
#define TRAP_GID_LAST  67
#define TRAP_GID_SKIP  6

static void notice_gid(struct ibvmig_sa_report *r)
{
	struct wire w = wire_at(r->notice.details, sizeof(r->notice.details));

	wire_skip(&w, TRAP_GID_SKIP);
	r->gid_prefix = wire_get_u64(&w);
	r->gid_guid = wire_get_u64(&w);
}

int ibvmig_sa_report_parse(const uint8_t *mad, size_t len, struct ibvmig_sa_report *r)
{
	const uint8_t *attr = mad + IBVMIG_SA_SA_DATA_OFFS;
	struct ibvmig_sa_mad_hdr h;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = ibvmig_sa_mad_hdr_decode(mad, len, &h);
	if (rc)
		return rc;
	if (h.mgmt_class != UMAD_CLASS_SUBN_ADM || h.method != UMAD_METHOD_REPORT ||
	    h.attr_id != IBVMIG_SA_ATTR_NOTICE)
		return -ENOMSG;
	if (len < IBVMIG_SA_SA_DATA_OFFS + IBVMIG_NOTICE_LEN)
		return -EBADMSG;
	r->tid = h.tid;
	ibvmig_notice_decode(attr, &r->notice);
	r->trap = r->notice.generic ? r->notice.trap_or_device : -1;
	r->path_rc = ibvmig_path_notice_decode(attr, &r->path);
	if (r->trap >= TRAP_GID_FIRST && r->trap <= TRAP_GID_LAST)
		notice_gid(r);
	return 0;
}

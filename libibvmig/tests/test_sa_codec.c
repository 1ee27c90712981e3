// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of libibvmig-sa's codecs and pure MAD logic: the byte layout of
 * every header and record against IBA (and against libibmad's field table
 * where it has one), round trips, refusal of short and foreign input, the
 * request builders' component masks, response matching on the low 32 TID
 * bits, the SMInfo and ReportResp builders, Report decoding, the status and
 * error mapping, and random input that must never crash a decoder.
 */
#include "ibvmig_sa.h"
#include "sa_codec.h"
#include "unit.h"

#include <errno.h>
#include <infiniband/mad.h>
#include <stdlib.h>
#include <string.h>

#define VGUID	  0x0002c903abcd0001ULL
#define PORT_GUID 0x0002c90300000021ULL
#define PREFIX	  0xfe80000000000000ULL

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* ---- MAD and SA headers -------------------------------------------------- */

static void test_mad_header_layout_is_iba_13_4_2(void)
{
	static const uint8_t want[IBVMIG_SA_HDR_LEN] = {
	    0x01, 0x03, 0x02, 0x81, 0x03, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67,
	    0x89, 0xab, 0xcd, 0xef, 0x00, 0x30, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
	};
	struct ibvmig_sa_mad_hdr h = {
	    .base_version = 1,
	    .mgmt_class = 3,
	    .class_version = 2,
	    .method = 0x81,
	    .status = 0x0300,
	    .tid = 0x0123456789abcdefULL,
	    .attr_id = 0x30,
	    .attr_mod = 0xdeadbeef,
	};
	uint8_t got[IBVMIG_SA_HDR_LEN];
	struct ibvmig_sa_mad_hdr back;

	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_mad_hdr_encode(got, &h);
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_mad_hdr_decode(got, sizeof(got), &back), 0);
	CU_ASSERT_EQUAL(back.method, 0x81);
	CU_ASSERT_EQUAL(back.status, 0x0300);
	CU_ASSERT_EQUAL(back.tid, h.tid);
	CU_ASSERT_EQUAL(back.attr_id, 0x30);
	CU_ASSERT_EQUAL(back.attr_mod, 0xdeadbeef);
}

static void test_dr_smp_header_has_d_bit_status_and_hops(void)
{
	struct ibvmig_sa_mad_hdr h = {
	    .base_version = 1,
	    .mgmt_class = 0x81,
	    .class_version = 1,
	    .method = 0x81,
	    .dr_direction = true,
	    .status = 0x1234,
	    .hop_ptr = 2,
	    .hop_cnt = 3,
	    .tid = 7,
	    .attr_id = 0x20,
	};
	uint8_t got[IBVMIG_SA_HDR_LEN];
	struct ibvmig_sa_mad_hdr back;

	ibvmig_sa_mad_hdr_encode(got, &h);
	/* IBA 14.2.1.2: D(1) Status(15) HopPointer(8) HopCount(8). */
	CU_ASSERT_EQUAL(got[4], 0x80 | 0x12);
	CU_ASSERT_EQUAL(got[5], 0x34);
	CU_ASSERT_EQUAL(got[6], 2);
	CU_ASSERT_EQUAL(got[7], 3);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_mad_hdr_decode(got, sizeof(got), &back), 0);
	CU_ASSERT_TRUE(back.dr_direction);
	CU_ASSERT_EQUAL(back.status, 0x1234);
	CU_ASSERT_EQUAL(back.hop_ptr, 2);
	CU_ASSERT_EQUAL(back.hop_cnt, 3);
}

static void test_short_or_foreign_header_is_refused(void)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN] = {0};
	struct ibvmig_sa_mad_hdr h = {.base_version = 1, .mgmt_class = 3, .class_version = 2};

	ibvmig_sa_mad_hdr_encode(mad, &h);
	CU_ASSERT_EQUAL(ibvmig_sa_mad_hdr_decode(mad, IBVMIG_SA_HDR_LEN - 1, &h), -EBADMSG);
	CU_ASSERT_EQUAL(ibvmig_sa_mad_hdr_decode(mad, 0, &h), -EBADMSG);
	mad[0] = 2;
	CU_ASSERT_EQUAL(ibvmig_sa_mad_hdr_decode(mad, sizeof(mad), &h), -EBADMSG);
}

static void test_sa_header_layout_is_iba_15_2_1_1(void)
{
	struct ibvmig_sa_class_hdr s = {
	    .sm_key = 0x1122334455667788ULL,
	    .attr_offset = 9,
	    .comp_mask = 0x0102030405060708ULL,
	};
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	uint8_t want[IBVMIG_SA_SA_DATA_OFFS] = {0};
	struct ibvmig_sa_class_hdr back;

	memset(mad, 0xEE, sizeof(mad));
	ibvmig_sa_class_hdr_encode(mad, &s);
	put_be(want + 36, s.sm_key, 8);
	put_be(want + 44, 9, 2);
	put_be(want + 48, s.comp_mask, 8);
	/* RMPP header 24-35 zero, reserved 46-47 zero. */
	CU_ASSERT_EQUAL(memcmp(mad + IBVMIG_SA_HDR_LEN, want + IBVMIG_SA_HDR_LEN,
			       IBVMIG_SA_SA_DATA_OFFS - IBVMIG_SA_HDR_LEN),
			0);
	CU_ASSERT_EQUAL(mad[IBVMIG_SA_SA_DATA_OFFS], 0xEE);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_class_hdr_decode(mad, sizeof(mad), &back), 0);
	CU_ASSERT_EQUAL(back.sm_key, s.sm_key);
	CU_ASSERT_EQUAL(back.attr_offset, 9);
	CU_ASSERT_EQUAL(back.comp_mask, s.comp_mask);
	CU_ASSERT_EQUAL(ibvmig_sa_class_hdr_decode(mad, IBVMIG_SA_SA_DATA_OFFS - 1, &back),
			-EBADMSG);
}

/* ---- GUIDInfoRecord ------------------------------------------------------ */

static const struct ibvmig_sa_guid_block sample_block = {
    .lid = 0x1234,
    .block = 3,
    .guid = {1, 0x0002c90300000021ULL, 0, VGUID, 5, 6, 7, 0xffffffffffffffffULL},
};

static void test_guidinfo_record_layout_is_iba_15_2_5_18(void)
{
	uint8_t got[IBVMIG_SA_GIR_LEN], want[IBVMIG_SA_GIR_LEN] = {0};
	int i;

	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_gir_encode(got, &sample_block);
	put_be(want, 0x1234, 2);
	want[2] = 3;
	for (i = 0; i < 8; i++)
		put_be(want + 8 + 8 * i, sample_block.guid[i], 8);
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
}

static void test_guidinfo_record_round_trip_and_short(void)
{
	struct ibvmig_sa_guid_block back;
	uint8_t buf[IBVMIG_SA_GIR_LEN];

	ibvmig_sa_gir_encode(buf, &sample_block);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_gir_decode(buf, sizeof(buf), &back), 0);
	CU_ASSERT_EQUAL(memcmp(&back, &sample_block, sizeof(back)), 0);
	CU_ASSERT_EQUAL(ibvmig_sa_gir_decode(buf, IBVMIG_SA_GIR_LEN - 1, &back), -EBADMSG);
}

static void test_guidinfo_mask_selects_the_index_gid_bit(void)
{
	/* LID | BlockNum | GIDn (bit 4 + n); LID|BlockNum alone changes nothing. */
	CU_ASSERT_EQUAL(ibvmig_sa_gir_comp_mask(1), 0x3ULL | 1ULL << 5);
	CU_ASSERT_EQUAL(ibvmig_sa_gir_comp_mask(8), 0x3ULL | 1ULL << 4);
	CU_ASSERT_EQUAL(ibvmig_sa_gir_comp_mask(13), 0x3ULL | 1ULL << 9);
	CU_ASSERT_EQUAL(ibvmig_sa_gir_comp_mask(31), 0x3ULL | 1ULL << 11);
}

static void check_sa_request(const uint8_t *mad, uint8_t method, uint16_t attr, uint64_t mask)
{
	struct ibvmig_sa_class_hdr s;
	struct ibvmig_sa_mad_hdr h;

	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_mad_hdr_decode(mad, IBVMIG_SA_MAD_LEN, &h), 0);
	CU_ASSERT_EQUAL(h.mgmt_class, 0x03);
	CU_ASSERT_EQUAL(h.class_version, 2);
	CU_ASSERT_EQUAL(h.method, method);
	CU_ASSERT_EQUAL(h.attr_id, attr);
	CU_ASSERT_EQUAL(h.status, 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_class_hdr_decode(mad, IBVMIG_SA_MAD_LEN, &s), 0);
	CU_ASSERT_EQUAL(s.comp_mask, mask);
	CU_ASSERT_EQUAL(s.sm_key, 0);
}

static void test_guidinfo_set_delete_get_requests(void)
{
	struct ibvmig_sa_guid_block b;
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	int i;

	ibvmig_sa_build_gir(mad, 0x02, 42, 7, 13, VGUID);
	check_sa_request(mad, 0x02, 0x30, 0x3ULL | 1ULL << 9);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_gir_decode(mad + 56, 200, &b), 0);
	CU_ASSERT_EQUAL(b.lid, 7);
	CU_ASSERT_EQUAL(b.block, 1);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(b.guid[i], i == 5 ? VGUID : 0);
	CU_ASSERT_TRUE(
	    all_zero(mad + 56 + IBVMIG_SA_GIR_LEN, IBVMIG_SA_MAD_LEN - 56 - IBVMIG_SA_GIR_LEN));

	ibvmig_sa_build_gir(mad, 0x15, 42, 7, 13, VGUID);
	check_sa_request(mad, 0x15, 0x30, 0x3ULL | 1ULL << 9);

	ibvmig_sa_build_gir(mad, 0x01, 42, 7, 16, 0);
	check_sa_request(mad, 0x01, 0x30, 0x3ULL);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_gir_decode(mad + 56, 200, &b), 0);
	CU_ASSERT_EQUAL(b.block, 2);
	CU_ASSERT_TRUE(all_zero(mad + 56 + 8, 64));
}

/* Several entries of one block in one Set: only the entries asked for, each with its GIDn bit. */
static void test_guidinfo_block_set_request(void)
{
	struct ibvmig_sa_guid_block want = { .lid = 9, .block = 3 }, b;
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	int i;

	for (i = 0; i < 8; i++)
		want.guid[i] = VGUID + (uint64_t)i;
	ibvmig_sa_build_gir_block(mad, 0x02, 43, &want, 0x85);	/* entries 0, 2 and 7 */
	check_sa_request(mad, 0x02, 0x30, 0x3ULL | 1ULL << 4 | 1ULL << 6 | 1ULL << 11);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_gir_decode(mad + 56, 200, &b), 0);
	CU_ASSERT_EQUAL(b.lid, 9);
	CU_ASSERT_EQUAL(b.block, 3);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(b.guid[i], (0x85 >> i & 1) ? VGUID + (uint64_t)i : 0);
	/* A Get carries no entries, whatever is asked. */
	ibvmig_sa_build_gir_block(mad, 0x01, 44, &want, 0xff);
	check_sa_request(mad, 0x01, 0x30, 0x3ULL);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_gir_decode(mad + 56, 200, &b), 0);
	CU_ASSERT_EQUAL(b.guid[0], 0);
}

/* ---- PathRecord ------------------------------------------------------------ */

static const struct ibvmig_sa_path sample_path = {
    .service_id = 0x1011121314151617ULL,
    .dgid_prefix = PREFIX,
    .dgid_guid = VGUID,
    .sgid_prefix = PREFIX,
    .sgid_guid = PORT_GUID,
    .dlid = 0x0102,
    .slid = 0x0304,
    .raw_traffic = true,
    .flow_label = 0xABCDE,
    .hop_limit = 0x42,
    .tclass = 0x55,
    .reversible = true,
    .numb_path = 0x7F,
    .pkey = 0xFFFF,
    .qos_class = 0xABC,
    .sl = 0xD,
    .mtu_selector = 2,
    .mtu = 4,
    .rate_selector = 1,
    .rate = 16,
    .pkt_life_selector = 3,
    .pkt_life = 0x12,
    .preference = 0x99,
};

static void test_path_record_layout_is_iba_15_2_5_16(void)
{
	uint8_t got[IBVMIG_SA_PATH_LEN], want[IBVMIG_SA_PATH_LEN] = {0};

	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_path_encode(got, &sample_path);
	put_be(want + 0, sample_path.service_id, 8);
	put_be(want + 8, PREFIX, 8);
	put_be(want + 16, VGUID, 8);
	put_be(want + 24, PREFIX, 8);
	put_be(want + 32, PORT_GUID, 8);
	put_be(want + 40, 0x0102, 2);
	put_be(want + 42, 0x0304, 2);
	put_be(want + 44, 0x80000000u | 0xABCDEu << 8 | 0x42, 4);
	want[48] = 0x55;
	want[49] = 0x80 | 0x7F;
	put_be(want + 50, 0xFFFF, 2);
	put_be(want + 52, 0xABCu << 4 | 0xD, 2);
	want[54] = 2 << 6 | 4;
	want[55] = 1 << 6 | 16;
	want[56] = 3 << 6 | 0x12;
	want[57] = 0x99;
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
}

static void test_path_record_agrees_with_libibmad(void)
{
	uint8_t rec[IBVMIG_SA_PATH_LEN];
	uint8_t gid[16];

	ibvmig_sa_path_encode(rec, &sample_path);
	CU_ASSERT_EQUAL(mad_get_field(rec, 0, IB_SA_PR_DLID_F), sample_path.dlid);
	CU_ASSERT_EQUAL(mad_get_field(rec, 0, IB_SA_PR_SLID_F), sample_path.slid);
	CU_ASSERT_EQUAL(mad_get_field(rec, 0, IB_SA_PR_NPATH_F), sample_path.numb_path);
	CU_ASSERT_EQUAL(mad_get_field(rec, 0, IB_SA_PR_SL_F), sample_path.sl);
	mad_get_array(rec, 0, IB_SA_PR_DGID_F, gid);
	CU_ASSERT_EQUAL(memcmp(gid, rec + 8, 16), 0);
	mad_get_array(rec, 0, IB_SA_PR_SGID_F, gid);
	CU_ASSERT_EQUAL(memcmp(gid, rec + 24, 16), 0);
}

static void test_path_record_round_trip_and_short(void)
{
	struct ibvmig_sa_path back;
	uint8_t buf[IBVMIG_SA_PATH_LEN];

	ibvmig_sa_path_encode(buf, &sample_path);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_path_decode(buf, sizeof(buf), &back), 0);
	CU_ASSERT_EQUAL(memcmp(&back, &sample_path, sizeof(back)), 0);
	CU_ASSERT_EQUAL(ibvmig_sa_path_decode(buf, IBVMIG_SA_PATH_LEN - 1, &back), -EBADMSG);
}

static void test_path_get_request(void)
{
	struct ibvmig_sa_path p;
	uint8_t mad[IBVMIG_SA_MAD_LEN];

	ibvmig_sa_build_path_get(mad, 1, PREFIX, PORT_GUID, PREFIX, VGUID);
	/* DGID (bit 2) | SGID (bit 3) | NumbPath (bit 12). */
	check_sa_request(mad, 0x01, 0x35, 0x100CULL);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_path_decode(mad + 56, 200, &p), 0);
	CU_ASSERT_EQUAL(p.dgid_guid, VGUID);
	CU_ASSERT_EQUAL(p.sgid_guid, PORT_GUID);
	CU_ASSERT_EQUAL(p.dgid_prefix, PREFIX);
	CU_ASSERT_EQUAL(p.numb_path, 1);
	CU_ASSERT_FALSE(p.reversible);
	CU_ASSERT_EQUAL(p.dlid, 0);
}

/* ---- NodeRecord ------------------------------------------------------------ */

static void test_node_record_layout_is_iba_15_2_5_2(void)
{
	struct ibvmig_sa_node n = {.lid = 0x0102, .node_type = 1, .node_guid = PORT_GUID - 1,
				   .port_guid = PORT_GUID}, back;
	uint8_t rec[IBVMIG_SA_NODE_REC_LEN], want[8];

	memset(rec, 0xEE, sizeof(rec));
	ibvmig_sa_node_encode(rec, &n);
	/* LID, 2 reserved, then NodeInfo: NodeType at 2, NodeGUID at 12, PortGUID at 20. */
	CU_ASSERT(rec[0] == 0x01 && rec[1] == 0x02 && rec[2] == 0 && rec[3] == 0);
	CU_ASSERT_EQUAL(rec[4 + 2], 1);
	put_be(want, PORT_GUID - 1, 8);
	CU_ASSERT_EQUAL(memcmp(rec + 4 + 12, want, 8), 0);
	put_be(want, PORT_GUID, 8);
	CU_ASSERT_EQUAL(memcmp(rec + 4 + 20, want, 8), 0);
	CU_ASSERT_EQUAL(mad_get_field64(rec, 0, IB_SA_NR_PORT_GUID_F), PORT_GUID);
	CU_ASSERT(all_zero(rec + 44, sizeof(rec) - 44));	/* NodeDescription */
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_node_decode(rec, sizeof(rec), &back), 0);
	CU_ASSERT(back.lid == n.lid && back.node_type == 1 && back.node_guid == n.node_guid &&
		  back.port_guid == PORT_GUID);
	CU_ASSERT_EQUAL(ibvmig_sa_node_decode(rec, sizeof(rec) - 1, &back), -EBADMSG);
}

static void test_node_get_asks_one_lid(void)
{
	struct ibvmig_sa_node n;
	uint8_t mad[IBVMIG_SA_MAD_LEN];

	ibvmig_sa_build_node_get(mad, 1, 7);
	check_sa_request(mad, 0x01, 0x11, 0x1ULL);	/* Get(NodeRecord), mask LID */
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_node_decode(mad + 56, 200, &n), 0);
	CU_ASSERT_EQUAL(n.lid, 7);
	CU_ASSERT_EQUAL(n.port_guid, 0);
}

/* ---- PortInfoRecord ------------------------------------------------------ */

static void portinfo_bytes(uint8_t d[IBVMIG_SA_PORTINFO_LEN]);	/* with PortInfo's tests */

static void test_portinfo_record_layout_is_iba_15_2_5_3(void)
{
	struct ibvmig_sa_portinfo_rec r;
	uint8_t rec[IBVMIG_SA_PORTINFO_REC_LEN], got[IBVMIG_SA_PORTINFO_REC_LEN];

	/* EndportLID, PortNum, Options, then the 64 bytes of PortInfo. */
	memset(rec, 0, sizeof(rec));
	put_be(rec, 0x0107, 2);
	rec[2] = 1;
	portinfo_bytes(rec + 4);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_portinfo_rec_decode(rec, sizeof(rec), &r), 0);
	CU_ASSERT_EQUAL(r.lid, 0x0107);
	CU_ASSERT_EQUAL(r.port_num, 1);
	CU_ASSERT_EQUAL(r.info.guid_cap, 32);
	CU_ASSERT_EQUAL(r.info.lid, 7);
	CU_ASSERT_EQUAL(mad_get_field(rec + 4, 0, IB_PORT_GUID_CAP_F), 32);
	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_portinfo_rec_encode(got, &r);
	CU_ASSERT(got[0] == 0x01 && got[1] == 0x07 && got[2] == 1 && got[3] == 0);
	CU_ASSERT_EQUAL(got[4 + 50], 32);
	CU_ASSERT_EQUAL(ibvmig_sa_portinfo_rec_decode(rec, sizeof(rec) - 1, &r), -EBADMSG);
}

static void test_portinfo_record_get_asks_one_end_port(void)
{
	struct ibvmig_sa_portinfo_rec r;
	uint8_t mad[IBVMIG_SA_MAD_LEN];

	ibvmig_sa_build_portinfo_rec_get(mad, 1, 9);
	check_sa_request(mad, 0x01, 0x12, 0x1ULL);	/* Get(PortInfoRecord), mask EndportLID */
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_portinfo_rec_decode(mad + 56, 200, &r), 0);
	CU_ASSERT_EQUAL(r.lid, 9);
	CU_ASSERT_EQUAL(r.port_num, 0);
}

/* ---- InformInfo ------------------------------------------------------------ */

/* Field by field: padding bytes of a struct on the stack are unspecified. */
static bool inform_equal(const struct ibvmig_sa_inform *a, const struct ibvmig_sa_inform *b)
{
	return a->gid_prefix == b->gid_prefix && a->gid_guid == b->gid_guid &&
	       a->lid_begin == b->lid_begin && a->lid_end == b->lid_end &&
	       a->generic == b->generic && a->subscribe == b->subscribe && a->type == b->type &&
	       a->trap == b->trap && a->qpn == b->qpn && a->resp_time == b->resp_time &&
	       a->producer == b->producer;
}

static void test_inform_info_layout_is_iba_13_4_8_3(void)
{
	struct ibvmig_sa_inform ii = {
	    .gid_prefix = PREFIX,
	    .gid_guid = PORT_GUID,
	    .lid_begin = 1,
	    .lid_end = 0xBFFF,
	    .generic = true,
	    .subscribe = true,
	    .type = 0xFFFF,
	    .trap = 69,
	    .qpn = 0xABCDEF,
	    .resp_time = 0x1F,
	    .producer = 0x123456,
	};
	uint8_t got[IBVMIG_SA_INFORM_LEN], want[IBVMIG_SA_INFORM_LEN] = {0};
	struct ibvmig_sa_inform back;

	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_inform_encode(got, &ii);
	put_be(want + 0, PREFIX, 8);
	put_be(want + 8, PORT_GUID, 8);
	put_be(want + 16, 1, 2);
	put_be(want + 18, 0xBFFF, 2);
	want[22] = 1;
	want[23] = 1;
	put_be(want + 24, 0xFFFF, 2);
	put_be(want + 26, 69, 2);
	put_be(want + 28, 0xABCDEFu << 8 | 0x1F, 4);
	put_be(want + 32, 0x123456, 4);
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);

	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_inform_decode(got, sizeof(got), &back), 0);
	CU_ASSERT_TRUE(inform_equal(&back, &ii));
	CU_ASSERT_EQUAL(ibvmig_sa_inform_decode(got, IBVMIG_SA_INFORM_LEN - 1, &back), -EBADMSG);
}

static void test_inform_for_trap_is_what_opensm_matches(void)
{
	struct ibvmig_sa_inform on = ibvmig_sa_inform_for_trap(69, true, 0xFFFF, 0);
	struct ibvmig_sa_inform off = ibvmig_sa_inform_for_trap(69, false, 0xFFFF, 0);
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_inform back;

	CU_ASSERT_EQUAL(on.gid_prefix | on.gid_guid, 0);
	CU_ASSERT_EQUAL(on.lid_begin, 0xFFFF);
	CU_ASSERT_TRUE(on.generic);
	CU_ASSERT_TRUE(on.subscribe);
	CU_ASSERT_EQUAL(on.type, 0xFFFF);
	CU_ASSERT_EQUAL(on.trap, 69);
	CU_ASSERT_EQUAL(on.qpn, 1);
	CU_ASSERT_EQUAL(on.producer, 0xFFFFFF);
	/* An unsubscribe must carry the same QPN and RespTimeValue (match_inf_rec). */
	CU_ASSERT_FALSE(off.subscribe);
	CU_ASSERT_EQUAL(off.qpn, on.qpn);
	CU_ASSERT_EQUAL(off.resp_time, on.resp_time);

	ibvmig_sa_build_inform_set(mad, 5, &on);
	check_sa_request(mad, 0x02, 0x03, 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_inform_decode(mad + 56, 200, &back), 0);
	CU_ASSERT_TRUE(inform_equal(&back, &on));
}

/* ---- SMInfo and its reply -------------------------------------------------- */

static void test_sminfo_layout_is_iba_14_2_5_13(void)
{
	struct ibvmig_sa_sminfo si = {
	    .guid = PORT_GUID,
	    .sm_key = 0x0102030405060708ULL,
	    .act_count = 0xAABBCCDD,
	    .priority = 0xE,
	    .state = 3,
	};
	uint8_t got[IBVMIG_SA_SMP_DATA_LEN], want[IBVMIG_SA_SMP_DATA_LEN] = {0};
	struct ibvmig_sa_sminfo back;

	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_sminfo_encode(got, &si);
	put_be(want, PORT_GUID, 8);
	put_be(want + 8, si.sm_key, 8);
	put_be(want + 16, 0xAABBCCDD, 4);
	want[20] = 0xE3;
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_sminfo_decode(got, sizeof(got), &back), 0);
	CU_ASSERT_EQUAL(back.guid, si.guid);
	CU_ASSERT_EQUAL(back.sm_key, si.sm_key);
	CU_ASSERT_EQUAL(back.act_count, si.act_count);
	CU_ASSERT_EQUAL(back.priority, si.priority);
	CU_ASSERT_EQUAL(back.state, si.state);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_decode(got, IBVMIG_SA_SMINFO_LEN - 1, &back), -EBADMSG);
}

static void smp_request(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t mgmt_class, uint8_t method,
			uint16_t attr)
{
	struct ibvmig_sa_mad_hdr h = {
	    .base_version = 1,
	    .mgmt_class = mgmt_class,
	    .class_version = 1,
	    .method = method,
	    .hop_cnt = 2,
	    .tid = 0xAAAA0000BBBBCCCCULL,
	    .attr_id = attr,
	};
	int i;

	for (i = 0; i < IBVMIG_SA_MAD_LEN; i++)
		mad[i] = (uint8_t)(i * 7 + 1);
	ibvmig_sa_mad_hdr_encode(mad, &h);
}

static void check_sminfo_data(const uint8_t *reply)
{
	struct ibvmig_sa_sminfo si;

	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_sminfo_decode(reply + 64, 64, &si), 0);
	CU_ASSERT_EQUAL(si.guid, PORT_GUID);
	CU_ASSERT_EQUAL(si.sm_key, 0);
	CU_ASSERT_EQUAL(si.priority, 0);
	CU_ASSERT_EQUAL(si.state, IBVMIG_SA_SM_STATE_NOTACTIVE);
	CU_ASSERT_TRUE(all_zero(reply + 64 + IBVMIG_SA_SMINFO_LEN, 64 - IBVMIG_SA_SMINFO_LEN));
}

static void test_sminfo_reply_lid_routed(void)
{
	uint8_t req[IBVMIG_SA_MAD_LEN], reply[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_mad_hdr h;

	smp_request(req, 0x01, 0x01, 0x20);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, sizeof(req), PORT_GUID),
			IBVMIG_SA_MAD_LEN);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_mad_hdr_decode(reply, sizeof(reply), &h), 0);
	CU_ASSERT_EQUAL(h.mgmt_class, 0x01);
	CU_ASSERT_EQUAL(h.method, 0x81);
	CU_ASSERT_EQUAL(h.status, 0);
	CU_ASSERT_EQUAL(h.tid, 0xAAAA0000BBBBCCCCULL);
	CU_ASSERT_EQUAL(h.attr_id, 0x20);
	check_sminfo_data(reply);
	/* M_Key and the rest of the SMP are the request's. */
	CU_ASSERT_EQUAL(memcmp(reply + 24, req + 24, 40), 0);
	CU_ASSERT_EQUAL(memcmp(reply + 128, req + 128, 128), 0);
}

static void test_sminfo_reply_directed_route_sets_d_bit(void)
{
	uint8_t req[IBVMIG_SA_MAD_LEN], reply[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_mad_hdr h;

	smp_request(req, 0x81, 0x01, 0x20);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, sizeof(req), PORT_GUID),
			IBVMIG_SA_MAD_LEN);
	CU_ASSERT_EQUAL(reply[3], 0x81);
	CU_ASSERT_EQUAL(reply[4] & 0x80, 0x80);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_mad_hdr_decode(reply, sizeof(reply), &h), 0);
	CU_ASSERT_TRUE(h.dr_direction);
	CU_ASSERT_EQUAL(h.status, 0);
	CU_ASSERT_EQUAL(h.hop_ptr, 0);
	CU_ASSERT_EQUAL(h.hop_cnt, 2);
	check_sminfo_data(reply);
	/* DrSLID/DrDLID, the initial and return paths go back untouched. */
	CU_ASSERT_EQUAL(memcmp(reply + 24, req + 24, 40), 0);
	CU_ASSERT_EQUAL(memcmp(reply + 128, req + 128, 128), 0);
}

static void test_sminfo_reply_refuses_anything_else(void)
{
	uint8_t req[IBVMIG_SA_MAD_LEN], reply[IBVMIG_SA_MAD_LEN];

	smp_request(req, 0x01, 0x02, 0x20); /* Set */
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, sizeof(req), 1), -ENOMSG);
	smp_request(req, 0x01, 0x01, 0x15); /* PortInfo */
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, sizeof(req), 1), -ENOMSG);
	smp_request(req, 0x03, 0x01, 0x20); /* SA class */
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, sizeof(req), 1), -ENOMSG);
	smp_request(req, 0x01, 0x81, 0x20); /* a response */
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, sizeof(req), 1), -ENOMSG);
	smp_request(req, 0x01, 0x01, 0x20);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, 127, 1), -EBADMSG);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, 128, 1), IBVMIG_SA_MAD_LEN);
	smp_request(req, 0x81, 0x01, 0x20);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, 255, 1), -EBADMSG);
	CU_ASSERT_EQUAL(ibvmig_sa_sminfo_reply(reply, req, 10, 1), -EBADMSG);
}

/* ---- Reports ----------------------------------------------------------------- */

static const struct ibvmig_path_notice sample_notice = {
    .reason = IBVMIG_REASON_MIGRATED,
    .new_lid = 9,
    .old_lid = 4,
    .subnet_prefix = PREFIX,
    .vguid = VGUID,
    .new_port_guid = 0x0002c90300000041ULL,
    .old_port_guid = PORT_GUID,
    .epoch = 77,
    .seq = 12345,
};

/* A Report(Notice) as OpenSM's send_report() builds it. */
static void report_mad(uint8_t mad[IBVMIG_SA_MAD_LEN], uint16_t trap, uint16_t attr)
{
	struct ibvmig_sa_mad_hdr h = {
	    .base_version = 1,
	    .mgmt_class = 3,
	    .class_version = 2,
	    .method = 0x06,
	    .tid = 0x0001000002DAB001ULL,
	    .attr_id = attr,
	};
	struct ibvmig_sa_class_hdr s = {0};
	struct ibvmig_notice n = {
	    .generic = true,
	    .type = IBVMIG_NOTICE_TYPE_INFO,
	    .producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR,
	    .trap_or_device = trap,
	    .issuer_lid = 1,
	};

	memset(mad, 0, IBVMIG_SA_MAD_LEN);
	ibvmig_sa_mad_hdr_encode(mad, &h);
	ibvmig_sa_class_hdr_encode(mad, &s);
	ibvmig_details_encode(&sample_notice, n.details);
	put_be(n.issuer_gid, PREFIX, 8);
	put_be(n.issuer_gid + 8, 0x0002c90300000011ULL, 8);
	ibvmig_notice_encode(&n, mad + 56);
}

static void test_report_ack_is_the_report_as_report_resp(void)
{
	uint8_t req[IBVMIG_SA_MAD_LEN], ack[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_mad_hdr h;

	report_mad(req, 69, 0x02);
	CU_ASSERT_EQUAL(ibvmig_sa_report_ack(ack, req, sizeof(req)), IBVMIG_SA_MAD_LEN);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_mad_hdr_decode(ack, sizeof(ack), &h), 0);
	CU_ASSERT_EQUAL(h.mgmt_class, 0x03);
	CU_ASSERT_EQUAL(h.method, 0x86);
	CU_ASSERT_EQUAL(h.status, 0);
	CU_ASSERT_EQUAL(h.tid, 0x0001000002DAB001ULL);
	CU_ASSERT_EQUAL(h.attr_id, 0x02);
	CU_ASSERT_EQUAL(memcmp(ack + 24, req + 24, IBVMIG_SA_MAD_LEN - 24), 0);
}

static void test_report_ack_refuses_non_reports(void)
{
	uint8_t req[IBVMIG_SA_MAD_LEN], ack[IBVMIG_SA_MAD_LEN];

	report_mad(req, 69, 0x02);
	CU_ASSERT_EQUAL(ibvmig_sa_report_ack(ack, req, IBVMIG_SA_SA_DATA_OFFS - 1), -EBADMSG);
	CU_ASSERT_EQUAL(ibvmig_sa_report_ack(ack, req, 3), -EBADMSG);
	req[3] = 0x81;
	CU_ASSERT_EQUAL(ibvmig_sa_report_ack(ack, req, sizeof(req)), -ENOMSG);
	report_mad(req, 69, 0x02);
	req[1] = 0x01;
	CU_ASSERT_EQUAL(ibvmig_sa_report_ack(ack, req, sizeof(req)), -ENOMSG);
}

static void test_report_parse_decodes_our_notice(void)
{
	struct ibvmig_sa_report r;
	uint8_t mad[IBVMIG_SA_MAD_LEN];

	report_mad(mad, 69, 0x02);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_report_parse(mad, sizeof(mad), &r), 0);
	CU_ASSERT_EQUAL(r.trap, 69);
	CU_ASSERT_EQUAL(r.path_rc, 69);
	CU_ASSERT_EQUAL(r.gid_guid, 0);
	CU_ASSERT_EQUAL(r.tid, 0x0001000002DAB001ULL);
	CU_ASSERT_EQUAL(r.notice.issuer_lid, 1);
	CU_ASSERT_EQUAL(r.path.reason, IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(r.path.vguid, VGUID);
	CU_ASSERT_EQUAL(r.path.new_lid, 9);
	CU_ASSERT_EQUAL(r.path.old_lid, 4);
	CU_ASSERT_EQUAL(r.path.epoch, 77);
	CU_ASSERT_EQUAL(r.path.seq, 12345);

	report_mad(mad, 68, 0x02);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_report_parse(mad, sizeof(mad), &r), 0);
	CU_ASSERT_EQUAL(r.path_rc, 68);
}

static void test_report_builder_is_what_report_parse_reads(void)
{
	struct ibvmig_notice n = {.generic = true, .type = IBVMIG_NOTICE_TYPE_INFO,
				  .producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR,
				  .trap_or_device = 69, .issuer_lid = 5};
	uint8_t mad[IBVMIG_SA_MAD_LEN], want[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_report r;

	ibvmig_details_encode(&sample_notice, n.details);
	put_be(n.issuer_gid, PREFIX, 8);
	put_be(n.issuer_gid + 8, 0x0002c90300000011ULL, 8);
	ibvmig_sa_build_report(mad, 0x0001000002DAB001ULL, &n);
	check_sa_request(mad, 0x06, 0x02, 0);
	/* OpenSM's Report but for the IssuerLID: details and IssuerGID at the same bytes. */
	report_mad(want, 69, 0x02);
	CU_ASSERT_EQUAL(memcmp(mad + 56, want + 56, 6), 0);
	CU_ASSERT_EQUAL(memcmp(mad + 56 + 8, want + 56 + 8, 72), 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_report_parse(mad, sizeof(mad), &r), 0);
	CU_ASSERT_EQUAL(r.path_rc, 69);
	CU_ASSERT_EQUAL(r.notice.issuer_lid, 5);
	CU_ASSERT_EQUAL(memcmp(r.notice.issuer_gid, n.issuer_gid, 16), 0);
	CU_ASSERT_EQUAL(r.path.vguid, VGUID);
}

static void test_report_parse_keeps_foreign_notices_and_refuses_short(void)
{
	struct ibvmig_sa_report r;
	uint8_t mad[IBVMIG_SA_MAD_LEN];

	report_mad(mad, 64, 0x02);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_report_parse(mad, sizeof(mad), &r), 0);
	CU_ASSERT_EQUAL(r.trap, 64);
	CU_ASSERT_EQUAL(r.path_rc, -ENOMSG);
	/* Traps 64-67 carry their GID at details offset 6, where ours has the vGID. */
	CU_ASSERT_EQUAL(r.gid_prefix, PREFIX);
	CU_ASSERT_EQUAL(r.gid_guid, VGUID);

	/* Our trap number with details of another version. */
	report_mad(mad, 69, 0x02);
	mad[56 + 10] = 99;
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_report_parse(mad, sizeof(mad), &r), 0);
	CU_ASSERT_EQUAL(r.path_rc, -EPROTONOSUPPORT);

	report_mad(mad, 69, 0x02);
	CU_ASSERT_EQUAL(ibvmig_sa_report_parse(mad, 56 + IBVMIG_NOTICE_LEN - 1, &r), -EBADMSG);
	CU_ASSERT_EQUAL(ibvmig_sa_report_parse(mad, 56 + IBVMIG_NOTICE_LEN, &r), 0);
	report_mad(mad, 69, 0x03);
	CU_ASSERT_EQUAL(ibvmig_sa_report_parse(mad, sizeof(mad), &r), -ENOMSG);
}

/* ---- response matching ------------------------------------------------------- */

static struct ibvmig_sa_mad_hdr response(uint8_t mgmt_class, uint8_t method, uint16_t attr,
					 uint64_t tid)
{
	return (struct ibvmig_sa_mad_hdr){.base_version = 1,
				  .mgmt_class = mgmt_class,
				  .class_version = 2,
				  .method = method,
				  .attr_id = attr,
				  .tid = tid};
}

static void test_response_matches_on_low_32_tid_bits(void)
{
	struct ibvmig_sa_mad_hdr h = response(3, 0x81, 0x35, 0xFFFF123400000042ULL);

	/* The kernel, umad2sim (bits 32-47) and ibsim (48-63) rewrite the top. */
	CU_ASSERT_TRUE(ibvmig_sa_is_response(&h, 0x01, 0x35, 0x42));
	CU_ASSERT_TRUE(ibvmig_sa_is_response(&h, 0x01, 0x35, 0x0000567800000042ULL));
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x01, 0x35, 0x43));
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x01, 0x30, 0x42));
	h = response(3, 0x01, 0x35, 0x42);
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x01, 0x35, 0x42));
	h = response(1, 0x81, 0x35, 0x42);
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x01, 0x35, 0x42));
}

static void test_response_method_per_request(void)
{
	struct ibvmig_sa_mad_hdr h;

	CU_ASSERT_EQUAL(ibvmig_sa_response_method(0x01), 0x81);
	CU_ASSERT_EQUAL(ibvmig_sa_response_method(0x02), 0x81); /* Set -> GetResp */
	CU_ASSERT_EQUAL(ibvmig_sa_response_method(0x15), 0x95);
	CU_ASSERT_EQUAL(ibvmig_sa_response_method(0x12), 0x92);
	h = response(3, 0x95, 0x30, 9);
	CU_ASSERT_TRUE(ibvmig_sa_is_response(&h, 0x15, 0x30, 9));
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x02, 0x30, 9));
	h = response(3, 0x81, 0x30, 9);
	CU_ASSERT_TRUE(ibvmig_sa_is_response(&h, 0x02, 0x30, 9));
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x15, 0x30, 9));
	h = response(3, 0x86, 0x02, 9);
	CU_ASSERT_FALSE(ibvmig_sa_is_response(&h, 0x01, 0x02, 9));
}

/* ---- SMPs: layout, local PortInfo, Trap --------------------------------------- */

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void test_lid_routed_smp_layout_is_iba_14_2_1_1(void)
{
	struct ibvmig_sa_smp s = {
	    .hdr = {.base_version = 1, .mgmt_class = 0x01, .class_version = 1, .method = 0x05,
		    .tid = 0x1122334455667788ULL, .attr_id = 0x0002, .attr_mod = 7},
	    .m_key = 0x0102030405060708ULL,
	    .dr_slid = 0xAAAA, /* ignored: LID-routed */
	};
	uint8_t mad[IBVMIG_SA_MAD_LEN], want_hdr[IBVMIG_SA_HDR_LEN];
	struct ibvmig_sa_mad_hdr h = s.hdr;
	struct ibvmig_sa_smp back;

	fill(s.data, sizeof(s.data), 0x40);
	fill(s.initial_path, sizeof(s.initial_path), 0x90); /* ignored: LID-routed */
	memset(mad, 0xEE, sizeof(mad));
	ibvmig_sa_smp_encode(mad, &s);
	ibvmig_sa_mad_hdr_encode(want_hdr, &h);
	CU_ASSERT_EQUAL(memcmp(mad, want_hdr, sizeof(want_hdr)), 0);
	/* M_Key at 24, reserved 32-63, data 64-127, reserved 128-255. */
	CU_ASSERT_EQUAL(mad[24], 0x01);
	CU_ASSERT_EQUAL(mad[31], 0x08);
	CU_ASSERT_TRUE(all_zero(mad + 32, 32));
	CU_ASSERT_EQUAL(memcmp(mad + 64, s.data, 64), 0);
	CU_ASSERT_TRUE(all_zero(mad + 128, 128));
	/* 128 bytes are enough to decode a LID-routed SMP. */
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_smp_decode(mad, 128, &back), 0);
	CU_ASSERT_EQUAL(back.m_key, s.m_key);
	CU_ASSERT_EQUAL(back.hdr.tid, s.hdr.tid);
	CU_ASSERT_EQUAL(back.dr_slid, 0);
	CU_ASSERT_EQUAL(memcmp(back.data, s.data, 64), 0);
	CU_ASSERT_EQUAL(ibvmig_sa_smp_decode(mad, 127, &back), -EBADMSG);
}

static void test_dr_smp_layout_is_iba_14_2_1_2(void)
{
	struct ibvmig_sa_smp s = {
	    .hdr = {.base_version = 1, .mgmt_class = 0x81, .class_version = 1, .method = 0x81,
		    .dr_direction = true, .hop_cnt = 2, .tid = 9, .attr_id = 0x0015},
	    .m_key = 0x0102030405060708ULL,
	    .dr_slid = 0x1234,
	    .dr_dlid = 0xFFFF,
	};
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_smp back;

	fill(s.data, sizeof(s.data), 0x40);
	fill(s.initial_path, sizeof(s.initial_path), 0x80);
	fill(s.return_path, sizeof(s.return_path), 0xC0);
	memset(mad, 0xEE, sizeof(mad));
	ibvmig_sa_smp_encode(mad, &s);
	CU_ASSERT_EQUAL(mad[4], 0x80); /* D bit, status 0 */
	CU_ASSERT_EQUAL(mad[7], 2);    /* hop count */
	CU_ASSERT_EQUAL(mad[24], 0x01);
	/* DrSLID 32-33, DrDLID 34-35, reserved 36-63, data, InitialPath, ReturnPath. */
	CU_ASSERT_EQUAL(mad[32], 0x12);
	CU_ASSERT_EQUAL(mad[33], 0x34);
	CU_ASSERT_EQUAL(mad[34], 0xFF);
	CU_ASSERT_EQUAL(mad[35], 0xFF);
	CU_ASSERT_TRUE(all_zero(mad + 36, 28));
	CU_ASSERT_EQUAL(memcmp(mad + 64, s.data, 64), 0);
	CU_ASSERT_EQUAL(memcmp(mad + 128, s.initial_path, 64), 0);
	CU_ASSERT_EQUAL(memcmp(mad + 192, s.return_path, 64), 0);
	/* libibmad's field table agrees on DrSLID/DrDLID. */
	CU_ASSERT_EQUAL(mad_get_field(mad, 0, IB_DRSMP_DRSLID_F), 0x1234);
	CU_ASSERT_EQUAL(mad_get_field(mad, 0, IB_DRSMP_DRDLID_F), 0xFFFF);
	/* A DR SMP carries its paths: all 256 bytes are needed. */
	CU_ASSERT_EQUAL(ibvmig_sa_smp_decode(mad, 255, &back), -EBADMSG);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_smp_decode(mad, 256, &back), 0);
	CU_ASSERT_TRUE(back.hdr.dr_direction);
	CU_ASSERT_EQUAL(back.hdr.hop_cnt, 2);
	CU_ASSERT_EQUAL(back.dr_slid, 0x1234);
	CU_ASSERT_EQUAL(back.dr_dlid, 0xFFFF);
	CU_ASSERT_EQUAL(memcmp(back.return_path, s.return_path, 64), 0);
	/* Not an SMP class. */
	mad[1] = 0x03;
	CU_ASSERT_EQUAL(ibvmig_sa_smp_decode(mad, 256, &back), -EBADMSG);
}

/* PortInfo bytes as IBA Table 146 lays them out, for the fields we read. */
static void portinfo_bytes(uint8_t d[IBVMIG_SA_PORTINFO_LEN])
{
	memset(d, 0, IBVMIG_SA_PORTINFO_LEN);
	put_be(d + 0, 0x0102030405060708ULL, 8); /* M_Key */
	put_be(d + 8, PREFIX, 8);		  /* GidPrefix */
	put_be(d + 16, 0x0007, 2);		  /* LID */
	put_be(d + 18, 0x0011, 2);		  /* MasterSMLID */
	put_be(d + 20, 0x0250C04A, 4);		  /* CapabilityMask */
	d[28] = 1;				  /* LocalPortNum */
	d[32] = 0x34;	/* LinkSpeedSupported 3 | PortState 4 (Active) */
	d[33] = 0x52;	/* PortPhysicalState 5 (LinkUp) | LinkDownDefaultState 2 */
	d[34] = 0x43;	/* M_KeyProtectBits 1 | LMC 3 */
	d[36] = 0x4A;	/* NeighborMTU 4 | MasterSMSL 10 */
	d[50] = 32;	/* GUIDCap */
	d[51] = 0x80;	/* ClientReregister */
}

static void test_portinfo_layout_is_iba_14_2_5_6(void)
{
	uint8_t want[IBVMIG_SA_PORTINFO_LEN], got[IBVMIG_SA_PORTINFO_LEN];
	struct ibvmig_sa_portinfo pi;

	portinfo_bytes(want);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_portinfo_decode(want, sizeof(want), &pi), 0);
	CU_ASSERT_EQUAL(pi.m_key, 0x0102030405060708ULL);
	CU_ASSERT_EQUAL(pi.gid_prefix, PREFIX);
	CU_ASSERT_EQUAL(pi.lid, 7);
	CU_ASSERT_EQUAL(pi.sm_lid, 0x11);
	CU_ASSERT_EQUAL(pi.cap_mask, 0x0250C04A);
	CU_ASSERT_EQUAL(pi.local_port, 1);
	CU_ASSERT_EQUAL(pi.port_state, 4);
	CU_ASSERT_EQUAL(pi.phys_state, 5);
	CU_ASSERT_EQUAL(pi.lmc, 3);
	CU_ASSERT_EQUAL(pi.neighbor_mtu, 4);
	CU_ASSERT_EQUAL(pi.sm_sl, 10);
	CU_ASSERT_TRUE(pi.client_rereg);
	CU_ASSERT_EQUAL(pi.guid_cap, 32);
	/* The encoder writes those fields and nothing else (the rest is zero). */
	want[32] &= 0x0F;	/* LinkSpeedSupported: not ours */
	want[33] &= 0xF0;	/* LinkDownDefaultState: not ours */
	want[34] &= 0x07;	/* M_KeyProtectBits: not ours */
	memset(got, 0xEE, sizeof(got));
	ibvmig_sa_portinfo_encode(got, &pi);
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(ibvmig_sa_portinfo_decode(want, sizeof(want) - 1, &pi), -EBADMSG);
	CU_ASSERT_EQUAL(pi.lid, 0);
}

static void test_local_portinfo_get_is_dr_hop_0_permissive(void)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_smp s;

	memset(mad, 0xEE, sizeof(mad));
	ibvmig_sa_build_local_portinfo_get(mad, 0xABCD);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_smp_decode(mad, sizeof(mad), &s), 0);
	CU_ASSERT_EQUAL(s.hdr.mgmt_class, 0x81);
	CU_ASSERT_EQUAL(s.hdr.class_version, 1);
	CU_ASSERT_EQUAL(s.hdr.method, 0x01);
	CU_ASSERT_EQUAL(s.hdr.attr_id, 0x0015);
	CU_ASSERT_EQUAL(s.hdr.attr_mod, 0);
	CU_ASSERT_EQUAL(s.hdr.tid, 0xABCD);
	/* ibsim refuses a DR SMP unless D = 0, hop pointer 0 and both ends permissive. */
	CU_ASSERT_FALSE(s.hdr.dr_direction);
	CU_ASSERT_EQUAL(s.hdr.hop_ptr, 0);
	CU_ASSERT_EQUAL(s.hdr.hop_cnt, 0);
	CU_ASSERT_EQUAL(s.dr_slid, 0xFFFF);
	CU_ASSERT_EQUAL(s.dr_dlid, 0xFFFF);
	CU_ASSERT_EQUAL(s.m_key, 0);
	CU_ASSERT_TRUE(all_zero(mad + 64, 192));
}

static void test_trap_carries_the_notice_but_its_issuer_gid(void)
{
	struct ibvmig_notice n = {
	    .generic = true,
	    .type = 4,
	    .producer_or_vendor = 4,
	    .trap_or_device = 69,
	    .issuer_lid = 6,
	};
	uint8_t mad[IBVMIG_SA_MAD_LEN], attr[IBVMIG_NOTICE_LEN];
	struct ibvmig_sa_smp s;

	fill(n.details, sizeof(n.details), 0x10);
	fill(n.issuer_gid, sizeof(n.issuer_gid), 0xA0);
	ibvmig_notice_encode(&n, attr);
	ibvmig_sa_build_trap(mad, 0x77, &n);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_smp_decode(mad, sizeof(mad), &s), 0);
	/* SubnTrap(Notice), LID-routed, version 1 (IBA 14.2.5.1). */
	CU_ASSERT_EQUAL(mad[1], 0x01);
	CU_ASSERT_EQUAL(mad[2], 0x01);
	CU_ASSERT_EQUAL(mad[3], 0x05);
	CU_ASSERT_EQUAL(s.hdr.attr_id, 0x0002);
	CU_ASSERT_EQUAL(s.hdr.tid, 0x77);
	CU_ASSERT_EQUAL(s.m_key, 0);
	/* Bytes 0-63 of the Notice fill the data; the IssuerGID is left to the SM. */
	CU_ASSERT_EQUAL(memcmp(mad + 64, attr, 64), 0);
	CU_ASSERT_EQUAL(mad[64 + 4], 0);
	CU_ASSERT_EQUAL(mad[64 + 5], 69);
	CU_ASSERT_TRUE(all_zero(mad + 128, 128));
}

static void test_trap_repress_matches_on_low_32_tid_bits(void)
{
	struct ibvmig_sa_mad_hdr h = response(0x01, 0x07, 0x0002, 0xFFFF000100000077ULL);

	CU_ASSERT_TRUE(ibvmig_sa_is_trap_repress(&h, 0x77));
	CU_ASSERT_FALSE(ibvmig_sa_is_trap_repress(&h, 0x78));
	h = response(0x01, 0x81, 0x0002, 0x77); /* a GetResp is no TrapRepress */
	CU_ASSERT_FALSE(ibvmig_sa_is_trap_repress(&h, 0x77));
	h = response(0x03, 0x07, 0x0002, 0x77);
	CU_ASSERT_FALSE(ibvmig_sa_is_trap_repress(&h, 0x77));
	h = response(0x01, 0x07, 0x0015, 0x77);
	CU_ASSERT_FALSE(ibvmig_sa_is_trap_repress(&h, 0x77));
}

/* ---- vendor classes 0x09-0x0F ------------------------------------------------- */

static void test_vendor_mad_layout_is_iba_13_4_2(void)
{
	struct ibvmig_sa_vendor_mad v = {
	    .mgmt_class = 0x09,
	    .class_version = 1,
	    .method = 0x02,
	    .status = 0x0100,
	    .tid = 0x0102030405060708ULL,
	    .attr_id = 0xFF01,
	    .attr_mod = 0xA1B2C3D4,
	}, back;
	static const uint8_t want_hdr[IBVMIG_SA_HDR_LEN] = {
	    0x01, 0x09, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04,
	    0x05, 0x06, 0x07, 0x08, 0xFF, 0x01, 0x00, 0x00, 0xA1, 0xB2, 0xC3, 0xD4,
	};
	uint8_t mad[IBVMIG_SA_MAD_LEN];

	fill(v.data, sizeof(v.data), 0x20);
	memset(mad, 0xEE, sizeof(mad));
	ibvmig_sa_vendor_encode(mad, &v);
	CU_ASSERT_EQUAL(memcmp(mad, want_hdr, sizeof(want_hdr)), 0);
	/* No RMPP header and no OUI in 0x09-0x0F: data from byte 24 to the end. */
	CU_ASSERT_EQUAL(memcmp(mad + 24, v.data, 232), 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_vendor_decode(mad, sizeof(mad), &back), 0);
	CU_ASSERT_EQUAL(memcmp(&back, &v, sizeof(v)), 0);
	/* A short MAD: what came, the rest zero. */
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_vendor_decode(mad, 30, &back), 0);
	CU_ASSERT_EQUAL(back.data[5], v.data[5]);
	CU_ASSERT_EQUAL(back.data[6], 0);
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_decode(mad, 23, &back), -EBADMSG);
	mad[1] = 0x03;
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_decode(mad, sizeof(mad), &back), -ENOMSG);
	mad[1] = 0x10;
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_decode(mad, sizeof(mad), &back), -ENOMSG);
	mad[1] = 0x0F;
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_decode(mad, sizeof(mad), &back), 0);
}

static void test_vendor_response_is_getresp_with_the_requests_tid(void)
{
	struct ibvmig_sa_vendor_mad req = {
	    .mgmt_class = 0x09, .class_version = 1, .method = 0x02,
	    .tid = 0x0003000200000042ULL, .attr_id = 0xFF01, .attr_mod = 5,
	}, out;
	const char answer[] = "granted";

	fill(req.data, sizeof(req.data), 1);
	CU_ASSERT_EQUAL_FATAL(ibvmig_sa_vendor_response(&out, &req, 0x0200, 9, answer,
							sizeof(answer)), 0);
	CU_ASSERT_EQUAL(out.method, 0x81); /* Set -> GetResp */
	CU_ASSERT_EQUAL(out.status, 0x0200);
	CU_ASSERT_EQUAL(out.tid, req.tid); /* all 64 bits: the requester's side routes by them */
	CU_ASSERT_EQUAL(out.attr_id, 0xFF01);
	CU_ASSERT_EQUAL(out.attr_mod, 9);
	CU_ASSERT_EQUAL(out.mgmt_class, 0x09);
	CU_ASSERT_STRING_EQUAL((const char *)out.data, answer);
	CU_ASSERT_TRUE(all_zero(out.data + sizeof(answer), sizeof(out.data) - sizeof(answer)));
	req.method = 0x03; /* Send: answered with its response method */
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_response(&out, &req, 0, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(out.method, 0x83);
	CU_ASSERT_TRUE(all_zero(out.data, sizeof(out.data)));
	/* Refused: a response, too much data, data missing, not a vendor class. */
	req.method = 0x81;
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_response(&out, &req, 0, 0, NULL, 0), -EINVAL);
	req.method = 0x01;
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_response(&out, &req, 0, 0, answer, 233), -EINVAL);
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_response(&out, &req, 0, 0, NULL, 1), -EINVAL);
	req.mgmt_class = 0x03;
	CU_ASSERT_EQUAL(ibvmig_sa_vendor_response(&out, &req, 0, 0, NULL, 0), -EINVAL);
}

static void test_vendor_response_matches_class_method_attr_low_tid(void)
{
	struct ibvmig_sa_mad_hdr h = response(0x09, 0x81, 0xFF01, 0xFFFF123400000042ULL);

	CU_ASSERT_TRUE(ibvmig_sa_is_vendor_response(&h, 0x09, 0x01, 0xFF01, 0x42));
	CU_ASSERT_TRUE(ibvmig_sa_is_vendor_response(&h, 0x09, 0x02, 0xFF01, 0x42));
	CU_ASSERT_FALSE(ibvmig_sa_is_vendor_response(&h, 0x0A, 0x01, 0xFF01, 0x42));
	CU_ASSERT_FALSE(ibvmig_sa_is_vendor_response(&h, 0x09, 0x01, 0xFF02, 0x42));
	CU_ASSERT_FALSE(ibvmig_sa_is_vendor_response(&h, 0x09, 0x01, 0xFF01, 0x43));
	CU_ASSERT_FALSE(ibvmig_sa_is_vendor_response(&h, 0x09, 0x03, 0xFF01, 0x42));
	h = response(0x09, 0x01, 0xFF01, 0x42); /* the request itself, looped back */
	CU_ASSERT_FALSE(ibvmig_sa_is_vendor_response(&h, 0x09, 0x01, 0xFF01, 0x42));
}

/* Any port can forge an answer with the right TID: only the LID asked answers. */
static void test_an_answer_from_another_lid_is_not_the_answer(void)
{
	CU_ASSERT_TRUE(ibvmig_sa_answer_from(1, 1));
	CU_ASSERT_TRUE(ibvmig_sa_answer_from(0xBFFF, 0xBFFF));
	CU_ASSERT_FALSE(ibvmig_sa_answer_from(1, 2));
	CU_ASSERT_FALSE(ibvmig_sa_answer_from(2, 1));
	CU_ASSERT_FALSE(ibvmig_sa_answer_from(1, 0));
	CU_ASSERT_FALSE(ibvmig_sa_answer_from(0, 0));	/* nothing was asked of LID 0 */
	CU_ASSERT_FALSE(ibvmig_sa_answer_from(0x0101, 0x0110));	/* byte order matters */
}

/* ---- status and errors -------------------------------------------------------- */

static void test_sa_status_maps_to_errno(void)
{
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0000), 0);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0100), -ENOBUFS);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0200), -EBADR);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0300), -ENOENT);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0400), -E2BIG);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0500), -EADDRNOTAVAIL);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0600), -EBADE);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0700), -EACCES);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0800), -EAGAIN);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0900), -EPROTO);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0001), -EBUSY);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0002), -EREMOTE);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0004), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0008), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x000C), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x001C), -EBADR);
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0010), -EPROTO);
	/* The class code wins over the common bits. */
	CU_ASSERT_EQUAL(ibvmig_sa_status_errno(0x0301), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(ibvmig_sa_status_str(0x0300), "no records (0x0300)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ibvmig_sa_status_str(0x0600), "component mask"));
	CU_ASSERT_STRING_EQUAL(ibvmig_sa_status_str(0), "success");
	CU_ASSERT_PTR_NOT_NULL(ibvmig_sa_status_str(0xFFFF));
}

static void test_strerror_speaks_of_the_sa(void)
{
	int rc;

	CU_ASSERT_PTR_NOT_NULL(strstr(ibvmig_sa_strerror(-EEXIST), "another port"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ibvmig_sa_strerror(-ETIMEDOUT), "no answer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ibvmig_sa_strerror(-ENOENT), "no records"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ibvmig_sa_strerror(-ENOMEM), "memory"));
	for (rc = -200; rc <= 1; rc++)
		CU_ASSERT_PTR_NOT_NULL(ibvmig_sa_strerror(rc));
}

static void test_mtu_and_rate_names(void)
{
	CU_ASSERT_EQUAL(ibvmig_sa_mtu_bytes(1), 256);
	CU_ASSERT_EQUAL(ibvmig_sa_mtu_bytes(4), 2048);
	CU_ASSERT_EQUAL(ibvmig_sa_mtu_bytes(5), 4096);
	CU_ASSERT_EQUAL(ibvmig_sa_mtu_bytes(0), 0);
	CU_ASSERT_EQUAL(ibvmig_sa_mtu_bytes(6), 0);
	CU_ASSERT_STRING_EQUAL(ibvmig_sa_rate_str(2), "2.5");
	CU_ASSERT_STRING_EQUAL(ibvmig_sa_rate_str(3), "10");
	CU_ASSERT_STRING_EQUAL(ibvmig_sa_rate_str(7), "40");
	CU_ASSERT_STRING_EQUAL(ibvmig_sa_rate_str(0), "?");
	CU_ASSERT_STRING_EQUAL(ibvmig_sa_rate_str(255), "?");
}

/* ---- random input ------------------------------------------------------------ */

static void test_random_input_never_crashes_a_decoder(void)
{
	uint8_t mad[IBVMIG_SA_MAD_LEN], out[IBVMIG_SA_MAD_LEN];
	struct ibvmig_sa_guid_block b;
	struct ibvmig_sa_node nr;
	struct ibvmig_sa_portinfo_rec pir;
	struct ibvmig_sa_report r;
	struct ibvmig_sa_path p;
	struct ibvmig_sa_inform ii;
	struct ibvmig_sa_sminfo si;
	struct ibvmig_sa_class_hdr s;
	struct ibvmig_sa_mad_hdr h;
	struct ibvmig_sa_smp smp;
	struct ibvmig_sa_portinfo pi;
	struct ibvmig_sa_vendor_mad v;
	unsigned i, j, seed = 12345;

	for (i = 0; i < 20000; i++) {
		/* Each buffer is exactly as long as claimed, so ASan sees overreads. */
		size_t len = (size_t)rand_r(&seed) % (IBVMIG_SA_MAD_LEN + 1);
		uint8_t *buf = malloc(len ? len : 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (len > 0 && i % 3 == 0)
			buf[0] = 1; /* a valid base version now and then */
		if (len > 3 && i % 2 == 0)
			buf[3] = 0x06; /* ... and a Report */
		if (len > 1 && i % 4 == 0)
			buf[1] = i % 8 ? 0x03 : 0x81;
		if (len > 1 && i % 5 == 0)
			buf[1] = i % 10 ? 0x01 : 0x09;
		(void)ibvmig_sa_mad_hdr_decode(buf, len, &h);
		(void)ibvmig_sa_class_hdr_decode(buf, len, &s);
		(void)ibvmig_sa_gir_decode(buf, len, &b);
		(void)ibvmig_sa_node_decode(buf, len, &nr);
		(void)ibvmig_sa_portinfo_rec_decode(buf, len, &pir);
		(void)ibvmig_sa_path_decode(buf, len, &p);
		(void)ibvmig_sa_inform_decode(buf, len, &ii);
		(void)ibvmig_sa_sminfo_decode(buf, len, &si);
		(void)ibvmig_sa_report_parse(buf, len, &r);
		(void)ibvmig_sa_report_ack(out, buf, len);
		(void)ibvmig_sa_sminfo_reply(out, buf, len, PORT_GUID);
		(void)ibvmig_sa_smp_decode(buf, len, &smp);
		(void)ibvmig_sa_portinfo_decode(buf, len, &pi);
		(void)ibvmig_sa_vendor_decode(buf, len, &v);
		free(buf);
	}
	memset(mad, 0xFF, sizeof(mad));
	CU_ASSERT_EQUAL(ibvmig_sa_mad_hdr_decode(mad, sizeof(mad), &h), -EBADMSG);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    UNIT_TEST(test_mad_header_layout_is_iba_13_4_2),
	    UNIT_TEST(test_dr_smp_header_has_d_bit_status_and_hops),
	    UNIT_TEST(test_short_or_foreign_header_is_refused),
	    UNIT_TEST(test_sa_header_layout_is_iba_15_2_1_1),
	    UNIT_TEST(test_guidinfo_record_layout_is_iba_15_2_5_18),
	    UNIT_TEST(test_guidinfo_record_round_trip_and_short),
	    UNIT_TEST(test_guidinfo_mask_selects_the_index_gid_bit),
	    UNIT_TEST(test_guidinfo_set_delete_get_requests),
	    UNIT_TEST(test_guidinfo_block_set_request),
	    UNIT_TEST(test_path_record_layout_is_iba_15_2_5_16),
	    UNIT_TEST(test_path_record_agrees_with_libibmad),
	    UNIT_TEST(test_path_record_round_trip_and_short),
	    UNIT_TEST(test_path_get_request),
	    UNIT_TEST(test_inform_info_layout_is_iba_13_4_8_3),
	    UNIT_TEST(test_inform_for_trap_is_what_opensm_matches),
	    UNIT_TEST(test_sminfo_layout_is_iba_14_2_5_13),
	    UNIT_TEST(test_sminfo_reply_lid_routed),
	    UNIT_TEST(test_sminfo_reply_directed_route_sets_d_bit),
	    UNIT_TEST(test_sminfo_reply_refuses_anything_else),
	    UNIT_TEST(test_report_ack_is_the_report_as_report_resp),
	    UNIT_TEST(test_report_ack_refuses_non_reports),
	    UNIT_TEST(test_report_parse_decodes_our_notice),
	    UNIT_TEST(test_report_parse_keeps_foreign_notices_and_refuses_short),
	    UNIT_TEST(test_response_matches_on_low_32_tid_bits),
	    UNIT_TEST(test_response_method_per_request),
	    UNIT_TEST(test_lid_routed_smp_layout_is_iba_14_2_1_1),
	    UNIT_TEST(test_dr_smp_layout_is_iba_14_2_1_2),
	    UNIT_TEST(test_portinfo_layout_is_iba_14_2_5_6),
	    UNIT_TEST(test_local_portinfo_get_is_dr_hop_0_permissive),
	    UNIT_TEST(test_trap_carries_the_notice_but_its_issuer_gid),
	    UNIT_TEST(test_node_record_layout_is_iba_15_2_5_2),
	    UNIT_TEST(test_node_get_asks_one_lid),
	    UNIT_TEST(test_portinfo_record_layout_is_iba_15_2_5_3),
	    UNIT_TEST(test_portinfo_record_get_asks_one_end_port),
	    UNIT_TEST(test_report_builder_is_what_report_parse_reads),
	    UNIT_TEST(test_trap_repress_matches_on_low_32_tid_bits),
	    UNIT_TEST(test_vendor_mad_layout_is_iba_13_4_2),
	    UNIT_TEST(test_vendor_response_is_getresp_with_the_requests_tid),
	    UNIT_TEST(test_vendor_response_matches_class_method_attr_low_tid),
	    UNIT_TEST(test_an_answer_from_another_lid_is_not_the_answer),
	    UNIT_TEST(test_sa_status_maps_to_errno),
	    UNIT_TEST(test_strerror_speaks_of_the_sa),
	    UNIT_TEST(test_mtu_and_rate_names),
	    UNIT_TEST(test_random_input_never_crashes_a_decoder),
	};

	return unit_run("sa-codec", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

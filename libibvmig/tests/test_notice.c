// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the notice codecs: the documented byte layout of the 54-byte
 * details, round trips, refusal of foreign versions and reasons, the IBA
 * Notice attribute, and the ordering rule receivers apply.
 */
#include "ibvmig_notice.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

static const struct ibvmig_path_notice sample = {
	.reason = IBVMIG_REASON_MIGRATED,
	.new_lid = 0x0102,
	.old_lid = 0x0304,
	.subnet_prefix = 0xfe80000000000000ULL,
	.vguid = 0x0002c903abcd0001ULL,
	.new_port_guid = 0x1112131415161718ULL,
	.old_port_guid = 0x2122232425262728ULL,
	.epoch = 0xa1b2c3d4,
	.seq = 0x0000000100000002ULL,
	.number = 0xe1e2e3e4,
};

static void test_details_layout_is_as_documented(void)
{
	static const uint8_t want[IBVMIG_NOTICE_DETAILS_LEN] = {
		0x01, 0x03, 0x01, 0x02, 0x03, 0x04,
		/* vGID at offset 6, as the GID of traps 64-67 */
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x02, 0xc9, 0x03, 0xab, 0xcd, 0x00, 0x01,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
		0xa1, 0xb2, 0xc3, 0xd4,
		0, 0, 0, 1, 0, 0, 0, 2,
		/* the notice number, in what version 1 first had as reserved */
		0xe1, 0xe2, 0xe3, 0xe4,
	};
	uint8_t got[IBVMIG_NOTICE_DETAILS_LEN];

	memset(got, 0xEE, sizeof(got));
	ibvmig_details_encode(&sample, got);
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
}

static void test_details_round_trip(void)
{
	uint8_t buf[IBVMIG_NOTICE_DETAILS_LEN];
	struct ibvmig_path_notice back;
	unsigned reason;

	for (reason = 0; reason <= IBVMIG_REASON_MAX; reason++) {
		struct ibvmig_path_notice n = sample;

		n.reason = (uint8_t)reason;
		ibvmig_details_encode(&n, buf);
		CU_ASSERT_EQUAL_FATAL(ibvmig_details_decode(buf, &back), 0);
		CU_ASSERT_EQUAL(back.version, IBVMIG_NOTICE_VERSION);
		CU_ASSERT_EQUAL(back.reason, reason);
		CU_ASSERT_EQUAL(back.new_lid, n.new_lid);
		CU_ASSERT_EQUAL(back.old_lid, n.old_lid);
		CU_ASSERT_EQUAL(back.subnet_prefix, n.subnet_prefix);
		CU_ASSERT_EQUAL(back.vguid, n.vguid);
		CU_ASSERT_EQUAL(back.new_port_guid, n.new_port_guid);
		CU_ASSERT_EQUAL(back.old_port_guid, n.old_port_guid);
		CU_ASSERT_EQUAL(back.epoch, n.epoch);
		CU_ASSERT_EQUAL(back.seq, n.seq);
		CU_ASSERT_EQUAL(back.number, n.number);
	}
}

static void test_foreign_version_and_reason_are_refused(void)
{
	uint8_t buf[IBVMIG_NOTICE_DETAILS_LEN];
	struct ibvmig_path_notice back;

	ibvmig_details_encode(&sample, buf);
	buf[0] = 2;
	CU_ASSERT_EQUAL(ibvmig_details_decode(buf, &back), -EPROTONOSUPPORT);
	buf[0] = 0;
	CU_ASSERT_EQUAL(ibvmig_details_decode(buf, &back), -EPROTONOSUPPORT);
	buf[0] = IBVMIG_NOTICE_VERSION;
	buf[1] = IBVMIG_REASON_MAX + 1;
	CU_ASSERT_EQUAL(ibvmig_details_decode(buf, &back), -EPROTO);
	buf[1] = 0xFF;
	CU_ASSERT_EQUAL(ibvmig_details_decode(buf, &back), -EPROTO);
}

static void test_an_old_senders_zeros_read_as_unnumbered(void)
{
	uint8_t buf[IBVMIG_NOTICE_DETAILS_LEN];
	struct ibvmig_path_notice back;

	ibvmig_details_encode(&sample, buf);
	memset(buf + 50, 0, 4);	/* what a sender from before the number sends */
	CU_ASSERT_EQUAL(ibvmig_details_decode(buf, &back), 0);
	CU_ASSERT_EQUAL(back.version, 1);
	CU_ASSERT_EQUAL(back.seq, sample.seq);
	CU_ASSERT_EQUAL(back.number, 0);
}

static struct ibvmig_notice repath_notice(void)
{
	struct ibvmig_notice n = {
		.generic = true,
		.type = IBVMIG_NOTICE_TYPE_INFO,
		.producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR,
		.trap_or_device = IBVMIG_TRAP_REPATH,
		.issuer_lid = 1,
		.toggle = true,
		.count = 0x1234,
	};

	ibvmig_details_encode(&sample, n.details);
	memset(n.issuer_gid, 0xAB, sizeof(n.issuer_gid));
	return n;
}

static void test_notice_attribute_layout(void)
{
	struct ibvmig_notice n = repath_notice(), back;
	uint8_t attr[IBVMIG_NOTICE_LEN];

	ibvmig_notice_encode(&n, attr);
	/* IsGeneric=1, Type=4 | ProducerType 4 | TrapNumber 69 | IssuerLID 1 */
	CU_ASSERT_EQUAL(attr[0], 0x84);
	CU_ASSERT_EQUAL(attr[1], 0);
	CU_ASSERT_EQUAL(attr[2], 0);
	CU_ASSERT_EQUAL(attr[3], 4);
	CU_ASSERT_EQUAL(attr[4], 0);
	CU_ASSERT_EQUAL(attr[5], 69);
	CU_ASSERT_EQUAL(attr[7], 1);
	/* NoticeToggle | NoticeCount */
	CU_ASSERT_EQUAL(attr[8], 0x92);
	CU_ASSERT_EQUAL(attr[9], 0x34);
	CU_ASSERT_EQUAL(memcmp(attr + 10, n.details, IBVMIG_NOTICE_DETAILS_LEN), 0);
	CU_ASSERT_EQUAL(attr[64], 0xAB);
	CU_ASSERT_EQUAL(attr[79], 0xAB);
	ibvmig_notice_decode(attr, &back);
	CU_ASSERT_EQUAL(back.generic, n.generic);
	CU_ASSERT_EQUAL(back.type, n.type);
	CU_ASSERT_EQUAL(back.producer_or_vendor, n.producer_or_vendor);
	CU_ASSERT_EQUAL(back.trap_or_device, n.trap_or_device);
	CU_ASSERT_EQUAL(back.issuer_lid, n.issuer_lid);
	CU_ASSERT_EQUAL(back.toggle, n.toggle);
	CU_ASSERT_EQUAL(back.count, n.count);
	CU_ASSERT_EQUAL(memcmp(back.details, n.details, sizeof(n.details)), 0);
	CU_ASSERT_EQUAL(memcmp(back.issuer_gid, n.issuer_gid, sizeof(n.issuer_gid)), 0);
}

static void test_path_notice_decode_accepts_only_ours(void)
{
	struct ibvmig_notice n = repath_notice();
	struct ibvmig_path_notice p;
	uint8_t attr[IBVMIG_NOTICE_LEN];

	ibvmig_notice_encode(&n, attr);
	CU_ASSERT_EQUAL(ibvmig_path_notice_decode(attr, &p), IBVMIG_TRAP_REPATH);
	CU_ASSERT_EQUAL(p.vguid, sample.vguid);
	n.trap_or_device = IBVMIG_TRAP_UNPATH;
	ibvmig_notice_encode(&n, attr);
	CU_ASSERT_EQUAL(ibvmig_path_notice_decode(attr, &p), IBVMIG_TRAP_UNPATH);
	n.trap_or_device = 64;
	ibvmig_notice_encode(&n, attr);
	CU_ASSERT_EQUAL(ibvmig_path_notice_decode(attr, &p), -ENOMSG);
	n.trap_or_device = IBVMIG_TRAP_REPATH;
	n.generic = false;	/* a vendor notice with device id 69 is not ours */
	ibvmig_notice_encode(&n, attr);
	CU_ASSERT_EQUAL(ibvmig_path_notice_decode(attr, &p), -ENOMSG);
	n.generic = true;
	n.details[0] = 9;
	ibvmig_notice_encode(&n, attr);
	CU_ASSERT_EQUAL(ibvmig_path_notice_decode(attr, &p), -EPROTONOSUPPORT);
}

static void test_issuer_gid_is_network_order(void)
{
	struct ibvmig_notice n = repath_notice();
	uint64_t prefix, guid;

	ibvmig_notice_set_issuer(&n, 0xfe80000000000001ULL, 0x0002c90300000011ULL);
	CU_ASSERT(n.issuer_gid[0] == 0xfe && n.issuer_gid[7] == 0x01);
	CU_ASSERT(n.issuer_gid[8] == 0x00 && n.issuer_gid[10] == 0xc9 && n.issuer_gid[15] == 0x11);
	ibvmig_notice_get_issuer(&n, &prefix, &guid);
	CU_ASSERT_EQUAL(prefix, 0xfe80000000000001ULL);
	CU_ASSERT_EQUAL(guid, 0x0002c90300000011ULL);
}

static void test_stamp_ordering(void)
{
	CU_ASSERT_TRUE(ibvmig_stamp_is_newer(7, 11, 7, 10));
	CU_ASSERT_FALSE(ibvmig_stamp_is_newer(7, 10, 7, 10));	/* a duplicate */
	CU_ASSERT_FALSE(ibvmig_stamp_is_newer(7, 9, 7, 10));	/* late, reordered */
	CU_ASSERT_TRUE(ibvmig_stamp_is_newer(8, 1, 7, 10));	/* the SM restarted */
}

static void test_reason_names(void)
{
	CU_ASSERT_STRING_EQUAL(ibvmig_reason_name(IBVMIG_REASON_MIGRATED), "migrated");
	CU_ASSERT_STRING_EQUAL(ibvmig_reason_name(IBVMIG_REASON_PORT_GONE), "port-gone");
	CU_ASSERT_STRING_EQUAL(ibvmig_reason_name(200), "unknown");
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_details_layout_is_as_documented),
		UNIT_TEST(test_details_round_trip),
		UNIT_TEST(test_foreign_version_and_reason_are_refused),
		UNIT_TEST(test_an_old_senders_zeros_read_as_unnumbered),
		UNIT_TEST(test_notice_attribute_layout),
		UNIT_TEST(test_path_notice_decode_accepts_only_ours),
		UNIT_TEST(test_issuer_gid_is_network_order),
		UNIT_TEST(test_stamp_ordering),
		UNIT_TEST(test_reason_names),
	};

	return unit_run("notice", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the agents' and the SM extension's messages
 * (ibvmig_tell.h, doc/tell-protocol.md): the byte layout of each against the
 * document, round trips, every refusal of the decoders, and random input
 * that must never crash one.
 */
#include "ibvmig_tell.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VGUID 0x0002c903abcd0001ULL
#define PORT  0x0002c90300000021ULL

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static const struct ibvmig_tell set_tell = {
	.op = IBVMIG_TELL_SET, .flags = IBVMIG_TELL_F_DIRECT, .index = 0x0123,
	.port_guid = PORT, .vguid = VGUID, .result = -17, .seq = 0x01020304,
};

static void test_alias_told_layout_is_the_documents(void)
{
	uint8_t d[IBVMIG_TELL_DATA_LEN];

	memset(d, 0xEE, sizeof(d));
	ibvmig_tell_encode(&set_tell, d);
	CU_ASSERT_EQUAL(d[0], 1);		/* version */
	CU_ASSERT_EQUAL(d[1], 2);		/* op: set */
	CU_ASSERT_EQUAL(d[2], 1);		/* flags */
	CU_ASSERT_EQUAL(d[3], 0);
	CU_ASSERT_EQUAL(get_be(d + 4, 2), 0x0123);
	CU_ASSERT_EQUAL(get_be(d + 6, 2), 0);
	CU_ASSERT_EQUAL(get_be(d + 8, 8), PORT);
	CU_ASSERT_EQUAL(get_be(d + 16, 8), VGUID);
	CU_ASSERT_EQUAL(get_be(d + 24, 4), 0xFFFFFFEFu);	/* -17 */
	CU_ASSERT_EQUAL(get_be(d + 28, 4), 0x01020304);
	CU_ASSERT(all_zero(d + 32, sizeof(d) - 32));
}

static void test_alias_told_round_trip(void)
{
	uint8_t d[IBVMIG_TELL_DATA_LEN];
	struct ibvmig_tell t;

	ibvmig_tell_encode(&set_tell, d);
	CU_ASSERT_EQUAL_FATAL(ibvmig_tell_decode(d, sizeof(d), &t), 0);
	CU_ASSERT_EQUAL(memcmp(&t, &set_tell, sizeof(t)), 0);
	/* Reserved bytes are ignored: a later version may use them. */
	d[3] = 0x55;
	d[200] = 0x66;
	CU_ASSERT_EQUAL(ibvmig_tell_decode(d, sizeof(d), &t), 0);
}

/* @t encoded, then decoded into *@t: the decoder's answer. */
static int tell_back(struct ibvmig_tell *t)
{
	uint8_t d[IBVMIG_TELL_DATA_LEN];

	ibvmig_tell_encode(t, d);
	return ibvmig_tell_decode(d, sizeof(d), t);
}

/* set_tell with one field changed, encoded and decoded: the decoder's answer. */
#define SET_TELL_WITH(field, value) \
	(t = set_tell, t.field = (value), tell_back(&t))

static void test_alias_told_refusals(void)
{
	uint8_t d[IBVMIG_TELL_DATA_LEN];
	struct ibvmig_tell t = set_tell;

	ibvmig_tell_encode(&t, d);
	CU_ASSERT_EQUAL(ibvmig_tell_decode(d, sizeof(d) - 1, &t), -EBADMSG);
	d[0] = 2;
	CU_ASSERT_EQUAL(ibvmig_tell_decode(d, sizeof(d), &t), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(SET_TELL_WITH(op, 4), -EPROTO);
	/* Index 0: not known, the extension reads the whole port. */
	CU_ASSERT_EQUAL(SET_TELL_WITH(index, 0), 0);
	CU_ASSERT_EQUAL(t.index, 0);
	CU_ASSERT_EQUAL(SET_TELL_WITH(index, 2048), -EPROTO);
	CU_ASSERT_EQUAL(SET_TELL_WITH(vguid, 0), -EPROTO);
	CU_ASSERT_EQUAL(SET_TELL_WITH(port_guid, 0), -EPROTO);
	t = (struct ibvmig_tell){ .op = IBVMIG_TELL_HELLO, .port_guid = PORT, .vguid = VGUID };
	CU_ASSERT_EQUAL(tell_back(&t), -EPROTO);
	t = (struct ibvmig_tell){ .op = IBVMIG_TELL_HELLO, .port_guid = PORT, .flags = 3 };
	CU_ASSERT_EQUAL(tell_back(&t), 0);
	CU_ASSERT_EQUAL(t.flags, 3);
}

static void test_answer_layout_and_round_trip(void)
{
	struct ibvmig_tell_answer a = { .seq = 7, .confirmed = true, .seen = VGUID }, b;
	uint8_t d[IBVMIG_TELL_DATA_LEN];

	memset(d, 0xEE, sizeof(d));
	ibvmig_tell_answer_encode(&a, d);
	CU_ASSERT(d[0] == 1 && d[1] == 1 && d[2] == 0 && d[3] == 0);
	CU_ASSERT_EQUAL(get_be(d + 4, 4), 7);
	CU_ASSERT_EQUAL(get_be(d + 8, 8), VGUID);
	CU_ASSERT(all_zero(d + 16, sizeof(d) - 16));
	CU_ASSERT_EQUAL_FATAL(ibvmig_tell_answer_decode(d, sizeof(d), &b), 0);
	CU_ASSERT(b.seq == 7 && b.confirmed && b.seen == VGUID);
	CU_ASSERT_EQUAL(ibvmig_tell_answer_decode(d, 10, &b), -EBADMSG);
	d[0] = 9;
	CU_ASSERT_EQUAL(ibvmig_tell_answer_decode(d, sizeof(d), &b), -EPROTONOSUPPORT);
}

static const struct ibvmig_direct_notice repath = {
	.trap = IBVMIG_TRAP_REPATH, .issuer_guid = 0x0002c90300000061ULL,
	.notice = { .version = 1, .reason = IBVMIG_REASON_MIGRATED, .new_lid = 6, .old_lid = 4,
		    .subnet_prefix = 0xfe80000000000000ULL, .vguid = VGUID,
		    .new_port_guid = 0x0002c90300000041ULL, .old_port_guid = PORT,
		    .epoch = 0x11223344, .seq = 99, .number = 5 },
};

static void test_path_notice_layout_carries_the_notice_details(void)
{
	uint8_t d[IBVMIG_TELL_DATA_LEN], details[IBVMIG_NOTICE_DETAILS_LEN];

	memset(d, 0xEE, sizeof(d));
	ibvmig_direct_notice_encode(&repath, d);
	CU_ASSERT(d[0] == 1 && d[1] == 0);
	CU_ASSERT_EQUAL(get_be(d + 2, 2), 69);
	CU_ASSERT(all_zero(d + 4, 4));
	CU_ASSERT_EQUAL(get_be(d + 8, 8), 0x0002c90300000061ULL);
	/* Bytes 16..69: exactly the trap's details (one codec, doc/notice-details.md). */
	ibvmig_details_encode(&repath.notice, details);
	CU_ASSERT_EQUAL(memcmp(d + 16, details, sizeof(details)), 0);
	CU_ASSERT(all_zero(d + 16 + sizeof(details), sizeof(d) - 16 - sizeof(details)));
}

/* @n encoded, then decoded into *@back: the decoder's answer. */
static int notice_back(const struct ibvmig_direct_notice *n, struct ibvmig_direct_notice *back)
{
	uint8_t d[IBVMIG_TELL_DATA_LEN];

	ibvmig_direct_notice_encode(n, d);
	return ibvmig_direct_notice_decode(d, sizeof(d), back);
}

/* repath with one field changed, encoded and decoded: the decoder's answer. */
#define REPATH_WITH(field, value) \
	(n = repath, n.field = (value), notice_back(&n, &back))

static void test_path_notice_round_trip_and_refusals(void)
{
	struct ibvmig_direct_notice n = repath, back;
	uint8_t d[IBVMIG_TELL_DATA_LEN];

	ibvmig_direct_notice_encode(&n, d);
	CU_ASSERT_EQUAL_FATAL(ibvmig_direct_notice_decode(d, sizeof(d), &back), 0);
	CU_ASSERT_EQUAL(back.trap, 69);
	CU_ASSERT_EQUAL(back.issuer_guid, repath.issuer_guid);
	CU_ASSERT_EQUAL(back.notice.vguid, VGUID);
	CU_ASSERT_EQUAL(back.notice.number, 5);
	CU_ASSERT_EQUAL(back.notice.reason, IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(ibvmig_direct_notice_decode(d, sizeof(d) - 1, &back), -EBADMSG);
	CU_ASSERT_EQUAL(REPATH_WITH(trap, 64), -EPROTO);
	CU_ASSERT_EQUAL(REPATH_WITH(issuer_guid, 0), -EPROTO);
	CU_ASSERT_EQUAL(REPATH_WITH(notice.reason, 200), -EPROTO);
	ibvmig_direct_notice_encode(&repath, d);
	d[16] = 2;			/* the details' own version */
	CU_ASSERT_EQUAL(ibvmig_direct_notice_decode(d, sizeof(d), &back), -EPROTONOSUPPORT);
	d[16] = 1;
	d[0] = 0;
	CU_ASSERT_EQUAL(ibvmig_direct_notice_decode(d, sizeof(d), &back), -EPROTONOSUPPORT);
}

static void test_op_names(void)
{
	CU_ASSERT_STRING_EQUAL(ibvmig_tell_op_name(IBVMIG_TELL_HELLO), "hello");
	CU_ASSERT_STRING_EQUAL(ibvmig_tell_op_name(IBVMIG_TELL_SET), "set");
	CU_ASSERT_STRING_EQUAL(ibvmig_tell_op_name(IBVMIG_TELL_DELETE), "delete");
	CU_ASSERT_STRING_EQUAL(ibvmig_tell_op_name(0), "?");
}

static void test_random_input_never_crashes_a_decoder(void)
{
	struct ibvmig_direct_notice n;
	struct ibvmig_tell_answer a;
	struct ibvmig_tell t;
	unsigned seed = 12345;
	uint8_t *buf;
	size_t len, i;
	int round;

	for (round = 0; round < 20000; round++) {
		len = (size_t)rand_r(&seed) % (IBVMIG_TELL_DATA_LEN + 8);
		buf = malloc(len ? len : 1);	/* exactly @len: ASan sees any over-read */
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		if (len)
			buf[0] = (uint8_t)(round % 3);	/* reach past the version check */
		(void)ibvmig_tell_decode(buf, len, &t);
		(void)ibvmig_tell_answer_decode(buf, len, &a);
		(void)ibvmig_direct_notice_decode(buf, len, &n);
		free(buf);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_alias_told_layout_is_the_documents),
		UNIT_TEST(test_alias_told_round_trip),
		UNIT_TEST(test_alias_told_refusals),
		UNIT_TEST(test_answer_layout_and_round_trip),
		UNIT_TEST(test_path_notice_layout_carries_the_notice_details),
		UNIT_TEST(test_path_notice_round_trip_and_refusals),
		UNIT_TEST(test_op_names),
		UNIT_TEST(test_random_input_never_crashes_a_decoder),
	};

	return unit_run("tell", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

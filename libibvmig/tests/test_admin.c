// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the admin protocol codec: frames, request validation,
 * response records, and refusal of every malformed body.
 */
#include "ibvmig_admin.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_request_round_trip(void)
{
	struct ibvmig_admin_request req = {.op = IBVMIG_ADMIN_FLUSH,
					   .vguid = 0x1122334455667788ULL};
	struct ibvmig_admin_request back;
	struct ibvmig_admin_header h;
	uint8_t buf[128];
	int len = ibvmig_admin_encode_request(&req, buf, sizeof(buf));

	CU_ASSERT_EQUAL_FATAL(len, IBVMIG_ADMIN_HEADER_LEN + 8);
	/* "IVMA", version 1, op, status 0, length 8, then the vGUID */
	CU_ASSERT_EQUAL(memcmp(buf, "IVMA\x01\x05\x00\x00\x00\x00\x00\x08", 12), 0);
	CU_ASSERT_EQUAL(buf[12], 0x11);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_header(buf, &h), 0);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_request(&h, buf + 12, &back), 0);
	CU_ASSERT_EQUAL(back.op, IBVMIG_ADMIN_FLUSH);
	CU_ASSERT_EQUAL(back.vguid, req.vguid);
}

static void test_every_op_encodes(void)
{
	struct ibvmig_admin_request req = { 0 }, back;
	struct ibvmig_admin_header h;
	uint8_t buf[128];
	int len;

	for (req.op = 1; req.op <= IBVMIG_ADMIN_OP_MAX; req.op++) {
		len = ibvmig_admin_encode_request(&req, buf, sizeof(buf));
		CU_ASSERT_FATAL(len >= IBVMIG_ADMIN_HEADER_LEN);
		CU_ASSERT_EQUAL(ibvmig_admin_decode_header(buf, &h), 0);
		CU_ASSERT_EQUAL(ibvmig_admin_decode_request(&h, buf + 12, &back), 0);
		CU_ASSERT_EQUAL(back.op, req.op);
	}
	req.op = 0;
	CU_ASSERT_EQUAL(ibvmig_admin_encode_request(&req, buf, sizeof(buf)), -EINVAL);
	req.op = IBVMIG_ADMIN_FLUSH;
	CU_ASSERT_EQUAL(ibvmig_admin_encode_request(&req, buf, 13), -ENOSPC);
}

static void test_bad_requests_get_their_status(void)
{
	struct ibvmig_admin_request req = { .op = IBVMIG_ADMIN_STATUS }, back;
	struct ibvmig_admin_header h;
	uint8_t buf[128];

	ibvmig_admin_encode_request(&req, buf, sizeof(buf));
	buf[0] = 'X';
	CU_ASSERT_EQUAL(ibvmig_admin_decode_header(buf, &h), IBVMIG_ADMIN_E_MAGIC);
	buf[0] = 'I';
	buf[4] = 9;
	CU_ASSERT_EQUAL(ibvmig_admin_decode_header(buf, &h), IBVMIG_ADMIN_E_VERSION);
	buf[4] = 1;
	buf[5] = 77;
	CU_ASSERT_EQUAL(ibvmig_admin_decode_header(buf, &h), 0);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_request(&h, buf + 12, &back), IBVMIG_ADMIN_E_OP);
	buf[5] = IBVMIG_ADMIN_STATUS;
	buf[11] = 3;	/* STATUS takes no body */
	CU_ASSERT_EQUAL(ibvmig_admin_decode_header(buf, &h), 0);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_request(&h, buf + 12, &back), IBVMIG_ADMIN_E_LENGTH);
	buf[5] = IBVMIG_ADMIN_FLUSH;	/* FLUSH takes exactly 8 */
	ibvmig_admin_decode_header(buf, &h);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_request(&h, buf + 12, &back), IBVMIG_ADMIN_E_LENGTH);
	buf[11] = 0;
	buf[7] = 1;	/* a request with a status set */
	ibvmig_admin_decode_header(buf, &h);
	buf[5] = IBVMIG_ADMIN_STATUS;
	ibvmig_admin_decode_header(buf, &h);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_request(&h, buf + 12, &back), IBVMIG_ADMIN_E_REQUEST);
}

/* Two records: a trap entry and a status-like one with every type. */
static void build_sample(uint8_t **msg, size_t *len)
{
	struct ibvmig_rec_writer w;

	ibvmig_admin_writer_init(&w);
	ibvmig_rec_begin(&w);
	ibvmig_rec_put_guid(&w, IBVMIG_TAG_VGUID, 0x0002c903abcd0001ULL);
	ibvmig_rec_put_uint(&w, IBVMIG_TAG_LID, 5);
	ibvmig_rec_begin(&w);
	ibvmig_rec_put_str(&w, IBVMIG_TAG_OSM_VERSION, "OpenSM 3.3.23");
	ibvmig_rec_put_bool(&w, IBVMIG_TAG_UNPATH, true);
	ibvmig_rec_put_str(&w, IBVMIG_TAG_STATE_FILE, "");
	CU_ASSERT_EQUAL_FATAL(
	    ibvmig_admin_writer_finish(&w, IBVMIG_ADMIN_TRAPS, IBVMIG_ADMIN_OK, msg, len), 0);
}

static void test_response_records_round_trip(void)
{
	struct ibvmig_rec_reader r;
	struct ibvmig_rec_field f;
	struct ibvmig_admin_header h;
	uint8_t *msg;
	size_t len;

	build_sample(&msg, &len);
	CU_ASSERT_EQUAL_FATAL(ibvmig_admin_decode_header(msg, &h), 0);
	CU_ASSERT_EQUAL(h.op, IBVMIG_ADMIN_TRAPS);
	CU_ASSERT_EQUAL(h.length, len - IBVMIG_ADMIN_HEADER_LEN);
	CU_ASSERT_EQUAL_FATAL(ibvmig_rec_reader_init(&r, msg + 12, h.length), 0);
	CU_ASSERT_EQUAL(ibvmig_rec_next(&r), 1);
	CU_ASSERT_EQUAL(ibvmig_rec_next_field(&r, &f), 1);
	CU_ASSERT_EQUAL(f.tag, IBVMIG_TAG_VGUID);
	CU_ASSERT_EQUAL(f.type, IBVMIG_REC_T_GUID);
	CU_ASSERT_EQUAL(f.value, 0x0002c903abcd0001ULL);
	/* The rest of a record may be skipped. */
	CU_ASSERT_EQUAL(ibvmig_rec_next(&r), 1);
	CU_ASSERT_EQUAL(ibvmig_rec_next_field(&r, &f), 1);
	CU_ASSERT_STRING_EQUAL(f.str, "OpenSM 3.3.23");
	CU_ASSERT_EQUAL(ibvmig_rec_next_field(&r, &f), 1);
	CU_ASSERT_EQUAL(f.type, IBVMIG_REC_T_BOOL);
	CU_ASSERT_EQUAL(f.value, 1);
	CU_ASSERT_EQUAL(ibvmig_rec_next_field(&r, &f), 1);
	CU_ASSERT_STRING_EQUAL(f.str, "");
	CU_ASSERT_EQUAL(ibvmig_rec_next_field(&r, &f), 0);
	CU_ASSERT_EQUAL(ibvmig_rec_next(&r), 0);
	free(msg);
}

static void test_every_truncated_body_is_refused(void)
{
	struct ibvmig_rec_reader r;
	uint8_t *msg;
	size_t len, cut;

	build_sample(&msg, &len);
	for (cut = 1; cut < len - IBVMIG_ADMIN_HEADER_LEN; cut++)
		CU_ASSERT_EQUAL(ibvmig_rec_reader_init(&r, msg + 12, cut), -EBADMSG);
	free(msg);
}

static void test_bad_field_types_are_refused(void)
{
	struct ibvmig_rec_reader r;
	uint8_t *msg;
	size_t len;

	build_sample(&msg, &len);
	/* body: count(4) fields(2) tag(2) type@8 len@9 */
	msg[12 + 8] = 9;
	CU_ASSERT_EQUAL(ibvmig_rec_reader_init(&r, msg + 12, len - 12), -EBADMSG);
	msg[12 + 8] = IBVMIG_REC_T_BOOL;	/* a bool of 8 bytes */
	CU_ASSERT_EQUAL(ibvmig_rec_reader_init(&r, msg + 12, len - 12), -EBADMSG);
	free(msg);
}

static void test_random_bodies_never_crash(void)
{
	struct ibvmig_rec_reader r;
	struct ibvmig_rec_field f;
	uint8_t body[64];
	unsigned i, j, seed = 12345;

	for (i = 0; i < 20000; i++) {
		size_t len = 1 + (size_t)(rand_r(&seed) % (int)sizeof(body));

		for (j = 0; j < len; j++)
			body[j] = (uint8_t)rand_r(&seed);
		body[0] = body[1] = 0;	/* plausible record counts */
		body[2] = 0;
		if (ibvmig_rec_reader_init(&r, body, len))
			continue;
		while (ibvmig_rec_next(&r) == 1)
			while (ibvmig_rec_next_field(&r, &f) == 1)
				CU_ASSERT(f.type >= IBVMIG_REC_T_UINT &&
					  f.type <= IBVMIG_REC_T_BOOL);
	}
}

static void test_error_reply_has_no_records(void)
{
	struct ibvmig_rec_writer w;
	struct ibvmig_admin_header h;
	struct ibvmig_rec_reader r;
	uint8_t *msg;
	size_t len;

	ibvmig_admin_writer_init(&w);
	ibvmig_rec_begin(&w);
	ibvmig_rec_put_uint(&w, IBVMIG_TAG_COUNT, 1);
	CU_ASSERT_EQUAL_FATAL(ibvmig_admin_writer_finish(&w, IBVMIG_ADMIN_FLUSH,
							 IBVMIG_ADMIN_E_NOT_FOUND, &msg, &len),
			      0);
	CU_ASSERT_EQUAL(len, IBVMIG_ADMIN_HEADER_LEN);
	CU_ASSERT_EQUAL(ibvmig_admin_decode_header(msg, &h), 0);
	CU_ASSERT_EQUAL(h.status, IBVMIG_ADMIN_E_NOT_FOUND);
	CU_ASSERT_EQUAL(ibvmig_rec_reader_init(&r, NULL, 0), 0);
	CU_ASSERT_EQUAL(ibvmig_rec_next(&r), 0);
	CU_ASSERT_STRING_EQUAL(ibvmig_admin_status_text(h.status), "not found");
	free(msg);
}

static void test_field_outside_record_fails_the_writer(void)
{
	struct ibvmig_rec_writer w;
	uint8_t *msg;
	size_t len;

	ibvmig_admin_writer_init(&w);
	ibvmig_rec_put_uint(&w, IBVMIG_TAG_COUNT, 1);
	CU_ASSERT_EQUAL(
	    ibvmig_admin_writer_finish(&w, IBVMIG_ADMIN_STATS, IBVMIG_ADMIN_OK, &msg, &len),
	    -ENOMEM);
}

static void test_many_records(void)
{
	struct ibvmig_rec_writer w;
	struct ibvmig_rec_reader r;
	struct ibvmig_rec_field f;
	uint8_t *msg;
	size_t len;
	uint64_t i, n = 0, sum = 0;

	ibvmig_admin_writer_init(&w);
	for (i = 0; i < 50000; i++) {
		ibvmig_rec_begin(&w);
		ibvmig_rec_put_uint(&w, IBVMIG_TAG_LID, i);
	}
	CU_ASSERT_EQUAL_FATAL(ibvmig_admin_writer_finish(&w, IBVMIG_ADMIN_TRAPS, 0, &msg, &len), 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_rec_reader_init(&r, msg + 12, len - 12), 0);
	while (ibvmig_rec_next(&r) == 1)
		while (ibvmig_rec_next_field(&r, &f) == 1) {
			sum += f.value;
			n++;
		}
	CU_ASSERT_EQUAL(n, 50000);
	CU_ASSERT_EQUAL(sum, 50000ULL * 49999 / 2);
	free(msg);
}

static void test_tag_names(void)
{
	uint16_t tag;

	for (tag = 1; tag <= IBVMIG_TAG_MAX; tag++)
		CU_ASSERT_PTR_NOT_NULL(ibvmig_admin_tag_name(tag));
	CU_ASSERT_PTR_NULL(ibvmig_admin_tag_name(0));
	CU_ASSERT_PTR_NULL(ibvmig_admin_tag_name(IBVMIG_TAG_MAX + 1));
	CU_ASSERT_STRING_EQUAL(ibvmig_admin_tag_name(IBVMIG_TAG_VGUID), "vguid");
}

static void test_call_to_nobody_fails_cleanly(void)
{
	struct ibvmig_admin_request req = { .op = IBVMIG_ADMIN_STATUS };
	struct ibvmig_admin_header h;
	uint8_t *body;
	size_t len;

	CU_ASSERT_EQUAL(ibvmig_admin_call("/nonexistent/ibvmig.sock", &req, 1000, &h, &body, &len),
			-ENOENT);
	CU_ASSERT_PTR_NULL(body);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_request_round_trip),
		UNIT_TEST(test_every_op_encodes),
		UNIT_TEST(test_bad_requests_get_their_status),
		UNIT_TEST(test_response_records_round_trip),
		UNIT_TEST(test_every_truncated_body_is_refused),
		UNIT_TEST(test_bad_field_types_are_refused),
		UNIT_TEST(test_random_bodies_never_crash),
		UNIT_TEST(test_error_reply_has_no_records),
		UNIT_TEST(test_field_outside_record_fails_the_writer),
		UNIT_TEST(test_many_records),
		UNIT_TEST(test_tag_names),
		UNIT_TEST(test_call_to_nobody_fails_cleanly),
	};

	return unit_run("admin", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the escrow MAD codec: the byte layout of doc/escrow-protocol.md
 * (offsets written here from the document, not from the codec), round trips
 * of all eight messages, every truncation, and every malformed field refused
 * with its own error.
 */
#include "ibvmig_escrow.h"
#include "unit.h"

#include <stdbool.h>
#include <string.h>

#define MAD IBVMIG_ESC_MAD_LEN

typedef enum ibvmig_esc_err (*req_enc_fn)(uint64_t, const struct ibvmig_esc_req *, uint8_t *);
typedef enum ibvmig_esc_err (*req_dec_fn)(const uint8_t *, size_t, struct ibvmig_esc_hdr *,
					  struct ibvmig_esc_req *);
typedef enum ibvmig_esc_err (*resp_enc_fn)(uint64_t, const struct ibvmig_esc_resp *, uint8_t *);
typedef enum ibvmig_esc_err (*resp_dec_fn)(const uint8_t *, size_t, struct ibvmig_esc_hdr *,
					   struct ibvmig_esc_resp *);

struct req_codec {
	enum ibvmig_esc_msg msg;
	uint8_t method;
	uint16_t attr;
	req_enc_fn enc;
	req_dec_fn dec;
};

struct resp_codec {
	enum ibvmig_esc_msg msg;
	uint16_t attr;
	resp_enc_fn enc;
	resp_dec_fn dec;
	uint8_t state;		/* a state this answer may carry */
};

static const struct req_codec reqs[] = {
	{ IBVMIG_ESC_RELEASE_REQ, 0x02, 0x0010, ibvmig_esc_release_req_encode,
	  ibvmig_esc_release_req_decode },
	{ IBVMIG_ESC_CLAIM_REQ, 0x02, 0x0011, ibvmig_esc_claim_req_encode,
	  ibvmig_esc_claim_req_decode },
	{ IBVMIG_ESC_CANCEL_REQ, 0x02, 0x0012, ibvmig_esc_cancel_req_encode,
	  ibvmig_esc_cancel_req_decode },
	{ IBVMIG_ESC_QUERY_REQ, 0x01, 0x0013, ibvmig_esc_query_req_encode,
	  ibvmig_esc_query_req_decode },
};

static const struct resp_codec resps[] = {
	{ IBVMIG_ESC_RELEASE_RESP, 0x0010, ibvmig_esc_release_resp_encode,
	  ibvmig_esc_release_resp_decode, IBVMIG_ESC_HELD },
	{ IBVMIG_ESC_CLAIM_RESP, 0x0011, ibvmig_esc_claim_resp_encode,
	  ibvmig_esc_claim_resp_decode, IBVMIG_ESC_MOVING },
	{ IBVMIG_ESC_CANCEL_RESP, 0x0012, ibvmig_esc_cancel_resp_encode,
	  ibvmig_esc_cancel_resp_decode, IBVMIG_ESC_MOVING },
	{ IBVMIG_ESC_QUERY_RESP, 0x0013, ibvmig_esc_query_resp_encode,
	  ibvmig_esc_query_resp_decode, IBVMIG_ESC_LIVE },
};

#define NREQ (sizeof(reqs) / sizeof(reqs[0]))
#define NRESP (sizeof(resps) / sizeof(resps[0]))

static const uint8_t token[16] = {
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
	0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
};

static void put(uint8_t *p, size_t off, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static struct ibvmig_esc_req request_of(enum ibvmig_esc_msg msg)
{
	struct ibvmig_esc_req r;

	memset(&r, 0, sizeof(r));
	r.port_guid = 0x0002c90300001111ULL;
	if (msg == IBVMIG_ESC_RELEASE_REQ)
		r.dest_guid = 0x0002c90300002222ULL;
	else
		memcpy(r.token, token, 16);
	return r;
}

static struct ibvmig_esc_resp answer_of(const struct resp_codec *c)
{
	struct ibvmig_esc_resp r;

	memset(&r, 0, sizeof(r));
	r.state = c->state;
	r.lid = 0x0123;
	r.mtu = 5;
	r.rate = 16;
	r.port_guid = 0x0002c90300001111ULL;
	r.dest_guid = 0x0002c90300002222ULL;
	r.source_guid = 0x0002c90300001111ULL;
	if (c->state != IBVMIG_ESC_HELD)
		r.claimant_guid = 0x0002c90300002222ULL;
	if (c->msg == IBVMIG_ESC_RELEASE_RESP) {
		memcpy(r.token, token, 16);
		r.expires_in_ms = 600000;
	}
	r.created_ms = 0x0000019a00000001ULL;
	r.changed_ms = 0x0000019a00000002ULL;
	r.nkeys = 3;
	r.keys[0] = 0x8001;
	r.keys[1] = 0x0002;
	r.keys[2] = 0xFFFE;
	return r;
}

/* ---- layouts ------------------------------------------------------------------ */

static void header_want(uint8_t *want, uint8_t method, uint16_t status, uint64_t tid,
			uint16_t attr)
{
	memset(want, 0, MAD);
	put(want, 0, 1, 1);		/* BaseVersion */
	put(want, 1, 0x09, 1);		/* MgmtClass */
	put(want, 2, 1, 1);		/* ClassVersion */
	put(want, 3, method, 1);
	put(want, 4, status, 2);
	put(want, 8, tid, 8);
	put(want, 16, attr, 2);
	put(want, 24, 1, 1);		/* payload version */
}

static void test_request_layouts_are_as_documented(void)
{
	uint8_t got[MAD], want[MAD];
	size_t i;

	for (i = 0; i < NREQ; i++) {
		struct ibvmig_esc_req r = request_of(reqs[i].msg);

		header_want(want, reqs[i].method, 0, 0x1122334455667788ULL, reqs[i].attr);
		put(want, 32, 0x0002c90300001111ULL, 8);	/* port GUID */
		if (reqs[i].msg == IBVMIG_ESC_RELEASE_REQ)
			put(want, 40, 0x0002c90300002222ULL, 8);	/* destination */
		else
			memcpy(want + 64, token, 16);
		memset(got, 0xEE, sizeof(got));
		CU_ASSERT_EQUAL(reqs[i].enc(0x1122334455667788ULL, &r, got), IBVMIG_ESC_E_NONE);
		CU_ASSERT_EQUAL(memcmp(got, want, MAD), 0);
	}
}

static void test_answer_layouts_are_as_documented(void)
{
	uint8_t got[MAD], want[MAD];
	size_t i;

	for (i = 0; i < NRESP; i++) {
		struct ibvmig_esc_resp r = answer_of(&resps[i]);

		header_want(want, 0x81, 0, 0x0102030405060708ULL, resps[i].attr);
		put(want, 26, resps[i].state, 1);
		put(want, 27, 3, 1);			/* key count */
		put(want, 28, 0x0123, 2);		/* LID */
		put(want, 30, 5, 1);			/* MTU 4096 */
		put(want, 31, 16, 1);			/* rate 100 Gb/s */
		put(want, 32, 0x0002c90300001111ULL, 8);
		put(want, 40, 0x0002c90300002222ULL, 8);
		put(want, 48, 0x0002c90300001111ULL, 8);	/* source */
		if (resps[i].state != IBVMIG_ESC_HELD)
			put(want, 56, 0x0002c90300002222ULL, 8);	/* claimant */
		if (resps[i].msg == IBVMIG_ESC_RELEASE_RESP) {
			memcpy(want + 64, token, 16);
			put(want, 96, 600000, 4);	/* expires in */
		}
		put(want, 80, 0x0000019a00000001ULL, 8);
		put(want, 88, 0x0000019a00000002ULL, 8);
		put(want, 104, 0x8001, 2);
		put(want, 106, 0x0002, 2);
		put(want, 108, 0xFFFE, 2);
		memset(got, 0xEE, sizeof(got));
		CU_ASSERT_EQUAL(resps[i].enc(0x0102030405060708ULL, &r, got), IBVMIG_ESC_E_NONE);
		CU_ASSERT_EQUAL(memcmp(got, want, MAD), 0);
	}
}

static void test_refusal_carries_its_status_in_the_mad_status(void)
{
	struct ibvmig_esc_resp r, back;
	struct ibvmig_esc_hdr hdr;
	uint8_t got[MAD], want[MAD];

	memset(&r, 0, sizeof(r));
	r.status = IBVMIG_ESC_RATE_LIMITED;
	r.port_guid = 0x0002c90300002222ULL;
	r.retry_after_ms = 45000;
	header_want(want, 0x81, 0x0D00, 7, 0x0011);
	put(want, 25, 13, 1);
	put(want, 32, 0x0002c90300002222ULL, 8);
	put(want, 100, 45000, 4);
	CU_ASSERT_EQUAL(ibvmig_esc_claim_resp_encode(7, &r, got), IBVMIG_ESC_E_NONE);
	CU_ASSERT_EQUAL(memcmp(got, want, MAD), 0);
	CU_ASSERT_EQUAL(ibvmig_esc_claim_resp_decode(got, MAD, &hdr, &back), IBVMIG_ESC_E_NONE);
	CU_ASSERT_EQUAL(hdr.status, 0x0D00);
	CU_ASSERT_EQUAL(back.status, IBVMIG_ESC_RATE_LIMITED);
	CU_ASSERT_EQUAL(back.retry_after_ms, 45000);
}

/* ---- round trips ---------------------------------------------------------------- */

static void test_every_message_round_trips(void)
{
	struct ibvmig_esc_hdr hdr;
	enum ibvmig_esc_msg msg;
	uint8_t buf[MAD];
	size_t i;

	for (i = 0; i < NREQ; i++) {
		struct ibvmig_esc_req r = request_of(reqs[i].msg), back;

		CU_ASSERT_EQUAL_FATAL(reqs[i].enc(42, &r, buf), 0);
		CU_ASSERT_EQUAL(ibvmig_esc_peek(buf, MAD, &msg, &hdr), 0);
		CU_ASSERT_EQUAL(msg, reqs[i].msg);
		CU_ASSERT_EQUAL(reqs[i].dec(buf, MAD, &hdr, &back), 0);
		CU_ASSERT_EQUAL(hdr.tid, 42);
		CU_ASSERT_EQUAL(hdr.method, reqs[i].method);
		CU_ASSERT_EQUAL(hdr.attr_id, reqs[i].attr);
		CU_ASSERT_EQUAL(memcmp(&back, &r, sizeof(r)), 0);
	}
	for (i = 0; i < NRESP; i++) {
		struct ibvmig_esc_resp r = answer_of(&resps[i]), back;

		CU_ASSERT_EQUAL_FATAL(resps[i].enc(43, &r, buf), 0);
		CU_ASSERT_EQUAL(ibvmig_esc_peek(buf, MAD, &msg, &hdr), 0);
		CU_ASSERT_EQUAL(msg, resps[i].msg);
		CU_ASSERT_EQUAL(resps[i].dec(buf, MAD, &hdr, &back), 0);
		CU_ASSERT_EQUAL(hdr.tid, 43);
		CU_ASSERT_EQUAL(memcmp(&back, &r, sizeof(r)), 0);
	}
}

static void test_every_state_a_query_answer_carries(void)
{
	struct ibvmig_esc_resp r = answer_of(&resps[3]), back;
	uint8_t buf[MAD];
	unsigned st;

	for (st = IBVMIG_ESC_HELD; st <= IBVMIG_ESC_STATE_MAX; st++) {
		r.state = (uint8_t)st;
		r.claimant_guid = st == IBVMIG_ESC_HELD || st == IBVMIG_ESC_EXPIRED ? 0 : 0x99;
		r.expires_in_ms = st == IBVMIG_ESC_HELD ? 1000 : 0;
		CU_ASSERT_EQUAL(ibvmig_esc_query_resp_encode(1, &r, buf), 0);
		CU_ASSERT_EQUAL(ibvmig_esc_query_resp_decode(buf, MAD, NULL, &back), 0);
		CU_ASSERT_EQUAL(back.state, st);
	}
}

/* ---- refusals -------------------------------------------------------------------- */

static void test_every_truncation_is_refused(void)
{
	struct ibvmig_esc_req rq;
	struct ibvmig_esc_resp rs;
	enum ibvmig_esc_msg msg;
	uint8_t buf[MAD + 1];
	size_t i, len;

	for (i = 0; i < NREQ; i++) {
		struct ibvmig_esc_req r = request_of(reqs[i].msg);

		CU_ASSERT_EQUAL_FATAL(reqs[i].enc(1, &r, buf), 0);
		for (len = 0; len < MAD; len++) {
			CU_ASSERT_EQUAL(reqs[i].dec(buf, len, NULL, &rq), IBVMIG_ESC_E_SHORT);
			CU_ASSERT_EQUAL(ibvmig_esc_peek(buf, len, &msg, NULL), IBVMIG_ESC_E_SHORT);
		}
		CU_ASSERT_EQUAL(reqs[i].dec(buf, MAD + 1, NULL, &rq), IBVMIG_ESC_E_LONG);
	}
	for (i = 0; i < NRESP; i++) {
		struct ibvmig_esc_resp r = answer_of(&resps[i]);

		CU_ASSERT_EQUAL_FATAL(resps[i].enc(1, &r, buf), 0);
		for (len = 0; len < MAD; len++)
			CU_ASSERT_EQUAL(resps[i].dec(buf, len, NULL, &rs), IBVMIG_ESC_E_SHORT);
		CU_ASSERT_EQUAL(resps[i].dec(buf, MAD + 1, NULL, &rs), IBVMIG_ESC_E_LONG);
	}
}

/* Decodes @buf as the CLAIM request after setting @n bytes at @off to @v. */
static enum ibvmig_esc_err claim_req_with(size_t off, uint64_t v, int n)
{
	struct ibvmig_esc_req r = request_of(IBVMIG_ESC_CLAIM_REQ), back;
	uint8_t buf[MAD];

	CU_ASSERT_EQUAL(ibvmig_esc_claim_req_encode(1, &r, buf), 0);
	put(buf, off, v, n);
	return ibvmig_esc_claim_req_decode(buf, MAD, NULL, &back);
}

static void test_bad_headers_are_refused(void)
{
	CU_ASSERT_EQUAL(claim_req_with(0, 2, 1), IBVMIG_ESC_E_BASE_VERSION);
	CU_ASSERT_EQUAL(claim_req_with(1, 0x0A, 1), IBVMIG_ESC_E_CLASS);
	CU_ASSERT_EQUAL(claim_req_with(1, 0x03, 1), IBVMIG_ESC_E_CLASS);	/* the SA's class */
	CU_ASSERT_EQUAL(claim_req_with(2, 2, 1), IBVMIG_ESC_E_CLASS_VERSION);
	CU_ASSERT_EQUAL(claim_req_with(3, 0x01, 1), IBVMIG_ESC_E_METHOD);	/* Get, not Set */
	CU_ASSERT_EQUAL(claim_req_with(3, 0x81, 1), IBVMIG_ESC_E_METHOD);
	CU_ASSERT_EQUAL(claim_req_with(4, 0x0100, 2), IBVMIG_ESC_E_MAD_STATUS);
	CU_ASSERT_EQUAL(claim_req_with(6, 1, 2), IBVMIG_ESC_E_HDR_RESERVED);
	CU_ASSERT_EQUAL(claim_req_with(16, 0x0010, 2), IBVMIG_ESC_E_ATTR);	/* RELEASE's */
	CU_ASSERT_EQUAL(claim_req_with(18, 1, 2), IBVMIG_ESC_E_HDR_RESERVED);
	CU_ASSERT_EQUAL(claim_req_with(20, 1, 4), IBVMIG_ESC_E_ATTR_MOD);
	CU_ASSERT_EQUAL(claim_req_with(24, 2, 1), IBVMIG_ESC_E_VERSION);
}

static void test_bad_request_fields_are_refused(void)
{
	size_t off;

	CU_ASSERT_EQUAL(claim_req_with(25, 1, 1), IBVMIG_ESC_E_STATUS);
	CU_ASSERT_EQUAL(claim_req_with(26, 1, 1), IBVMIG_ESC_E_STATE);
	CU_ASSERT_EQUAL(claim_req_with(32, 0, 8), IBVMIG_ESC_E_GUID);
	CU_ASSERT_EQUAL(claim_req_with(64, 0, 8), IBVMIG_ESC_E_NONE);	/* half a token is one */
	{
		struct ibvmig_esc_req r = request_of(IBVMIG_ESC_CLAIM_REQ), back;
		uint8_t buf[MAD];

		memset(r.token, 0, 16);
		CU_ASSERT_EQUAL(ibvmig_esc_claim_req_encode(1, &r, buf), IBVMIG_ESC_E_TOKEN);
		CU_ASSERT_EQUAL(ibvmig_esc_claim_req_decode(buf, MAD, NULL, &back),
				IBVMIG_ESC_E_TOKEN);
	}
	CU_ASSERT_EQUAL(claim_req_with(40, 5, 8), IBVMIG_ESC_E_UNUSED);	/* a destination */
	/* Every answer-only byte of the payload, and every reserved one. */
	for (off = 27; off < 32; off++)
		CU_ASSERT_EQUAL(claim_req_with(off, 1, 1), IBVMIG_ESC_E_UNUSED);
	for (off = 48; off < 64; off++)
		CU_ASSERT_EQUAL(claim_req_with(off, 1, 1), IBVMIG_ESC_E_UNUSED);
	for (off = 80; off < 224; off++)
		CU_ASSERT_EQUAL(claim_req_with(off, 1, 1), IBVMIG_ESC_E_UNUSED);
	/* The tail is never read: umad2sim delivers garbage there. */
	for (off = 224; off < MAD; off++)
		CU_ASSERT_EQUAL(claim_req_with(off, 0xA5, 1), IBVMIG_ESC_E_NONE);
}

static void test_release_request_rules(void)
{
	struct ibvmig_esc_req r = request_of(IBVMIG_ESC_RELEASE_REQ), back;
	uint8_t buf[MAD];

	r.dest_guid = 0;		/* any destination */
	CU_ASSERT_EQUAL(ibvmig_esc_release_req_encode(1, &r, buf), 0);
	CU_ASSERT_EQUAL(ibvmig_esc_release_req_decode(buf, MAD, NULL, &back), 0);
	r.dest_guid = r.port_guid;
	CU_ASSERT_EQUAL(ibvmig_esc_release_req_encode(1, &r, buf), IBVMIG_ESC_E_GUID);
	r.dest_guid = 0;
	r.token[3] = 1;			/* a release carries no token */
	CU_ASSERT_EQUAL(ibvmig_esc_release_req_encode(1, &r, buf), IBVMIG_ESC_E_UNUSED);
}

/* Decodes the CLAIM answer (or a refusal of it) after setting bytes, as above. */
static enum ibvmig_esc_err claim_resp_with(bool refusal, size_t off, uint64_t v, int n)
{
	struct ibvmig_esc_resp r = answer_of(&resps[1]), back;
	uint8_t buf[MAD];

	if (refusal) {
		memset(&r, 0, sizeof(r));
		r.status = IBVMIG_ESC_PATH_DIFFERS;
		r.port_guid = 0x77;
	}
	CU_ASSERT_EQUAL(ibvmig_esc_claim_resp_encode(1, &r, buf), 0);
	put(buf, off, v, n);
	return ibvmig_esc_claim_resp_decode(buf, MAD, NULL, &back);
}

static void test_bad_answer_fields_are_refused(void)
{
	size_t off;

	CU_ASSERT_EQUAL(claim_resp_with(false, 4, 0x0001, 2), IBVMIG_ESC_E_MAD_STATUS);
	CU_ASSERT_EQUAL(claim_resp_with(false, 4, 0x000C, 2), IBVMIG_ESC_E_MAD_STATUS);
	CU_ASSERT_EQUAL(claim_resp_with(false, 4, 0x0800, 2), IBVMIG_ESC_E_STATUS_MISMATCH);
	CU_ASSERT_EQUAL(claim_resp_with(false, 25, 16, 1), IBVMIG_ESC_E_STATUS);
	CU_ASSERT_EQUAL(claim_resp_with(false, 26, 0, 1), IBVMIG_ESC_E_STATE);
	CU_ASSERT_EQUAL(claim_resp_with(false, 26, IBVMIG_ESC_HELD, 1), IBVMIG_ESC_E_STATE);
	CU_ASSERT_EQUAL(claim_resp_with(false, 26, 6, 1), IBVMIG_ESC_E_STATE);
	CU_ASSERT_EQUAL(claim_resp_with(false, 27, 61, 1), IBVMIG_ESC_E_KEY_COUNT);
	CU_ASSERT_EQUAL(claim_resp_with(false, 27, 2, 1), IBVMIG_ESC_E_UNUSED);	/* key 3 left */
	CU_ASSERT_EQUAL(claim_resp_with(false, 28, 0, 2), IBVMIG_ESC_E_LID);
	CU_ASSERT_EQUAL(claim_resp_with(false, 28, 0xC000, 2), IBVMIG_ESC_E_LID);
	CU_ASSERT_EQUAL(claim_resp_with(false, 28, 0xBFFF, 2), IBVMIG_ESC_E_NONE);
	CU_ASSERT_EQUAL(claim_resp_with(false, 30, 0, 1), IBVMIG_ESC_E_MTU);
	CU_ASSERT_EQUAL(claim_resp_with(false, 30, 6, 1), IBVMIG_ESC_E_MTU);
	CU_ASSERT_EQUAL(claim_resp_with(false, 31, 1, 1), IBVMIG_ESC_E_RATE);
	CU_ASSERT_EQUAL(claim_resp_with(false, 31, 23, 1), IBVMIG_ESC_E_RATE);
	CU_ASSERT_EQUAL(claim_resp_with(false, 32, 0, 8), IBVMIG_ESC_E_GUID);
	CU_ASSERT_EQUAL(claim_resp_with(false, 48, 0, 8), IBVMIG_ESC_E_GUID);
	CU_ASSERT_EQUAL(claim_resp_with(false, 56, 0, 8), IBVMIG_ESC_E_GUID);
	CU_ASSERT_EQUAL(claim_resp_with(false, 40, 0x0002c90300001111ULL, 8), IBVMIG_ESC_E_GUID);
	CU_ASSERT_EQUAL(claim_resp_with(false, 64, 1, 1), IBVMIG_ESC_E_UNUSED);	/* a token */
	CU_ASSERT_EQUAL(claim_resp_with(false, 96, 1, 4), IBVMIG_ESC_E_UNUSED);	/* moving */
	CU_ASSERT_EQUAL(claim_resp_with(false, 100, 1, 4), IBVMIG_ESC_E_UNUSED);
	CU_ASSERT_EQUAL(claim_resp_with(false, 104, 0x0000, 2), IBVMIG_ESC_E_PKEY);
	CU_ASSERT_EQUAL(claim_resp_with(false, 104, 0x8000, 2), IBVMIG_ESC_E_PKEY);
	CU_ASSERT_EQUAL(claim_resp_with(false, 104, 0x7FFF, 2), IBVMIG_ESC_E_PKEY);
	CU_ASSERT_EQUAL(claim_resp_with(false, 104, 0xFFFF, 2), IBVMIG_ESC_E_PKEY);
	CU_ASSERT_EQUAL(claim_resp_with(false, 104, 0x0002, 2), IBVMIG_ESC_E_PKEY);	/* twice */
	CU_ASSERT_EQUAL(claim_resp_with(false, 110, 0x0005, 2), IBVMIG_ESC_E_UNUSED);
	for (off = 222; off < 224; off++)
		CU_ASSERT_EQUAL(claim_resp_with(false, off, 1, 1), IBVMIG_ESC_E_UNUSED);
	for (off = 224; off < MAD; off++)
		CU_ASSERT_EQUAL(claim_resp_with(false, off, 0xA5, 1), IBVMIG_ESC_E_NONE);
	/* A refusal carries nothing but its status, the port, and a retry time if limited. */
	CU_ASSERT_EQUAL(claim_resp_with(true, 26, 1, 1), IBVMIG_ESC_E_STATE);
	for (off = 27; off < 32; off++)
		CU_ASSERT_EQUAL(claim_resp_with(true, off, 1, 1), IBVMIG_ESC_E_UNUSED);
	for (off = 40; off < 224; off++)
		CU_ASSERT_EQUAL(claim_resp_with(true, off, 1, 1), IBVMIG_ESC_E_UNUSED);
	CU_ASSERT_EQUAL(claim_resp_with(true, 4, 0x0900, 2), IBVMIG_ESC_E_STATUS_MISMATCH);
}

static void test_release_answer_rules(void)
{
	struct ibvmig_esc_resp r = answer_of(&resps[0]);
	uint8_t buf[MAD];

	memset(r.token, 0, 16);
	CU_ASSERT_EQUAL(ibvmig_esc_release_resp_encode(1, &r, buf), IBVMIG_ESC_E_TOKEN);
	r = answer_of(&resps[0]);
	r.claimant_guid = 5;		/* held: nobody claimed it */
	CU_ASSERT_EQUAL(ibvmig_esc_release_resp_encode(1, &r, buf), IBVMIG_ESC_E_GUID);
	r = answer_of(&resps[0]);
	r.state = IBVMIG_ESC_MOVING;
	CU_ASSERT_EQUAL(ibvmig_esc_release_resp_encode(1, &r, buf), IBVMIG_ESC_E_STATE);
	r = answer_of(&resps[0]);
	r.nkeys = 65;
	CU_ASSERT_EQUAL(ibvmig_esc_release_resp_encode(1, &r, buf), IBVMIG_ESC_E_KEY_COUNT);
}

static void test_peek_tells_the_messages_apart(void)
{
	struct ibvmig_esc_req r = request_of(IBVMIG_ESC_QUERY_REQ);
	enum ibvmig_esc_msg msg;
	uint8_t buf[MAD];

	CU_ASSERT_EQUAL(ibvmig_esc_query_req_encode(1, &r, buf), 0);
	put(buf, 16, 0x0001, 2);	/* ClassPortInfo: not ours */
	CU_ASSERT_EQUAL(ibvmig_esc_peek(buf, MAD, &msg, NULL), IBVMIG_ESC_E_ATTR);
	put(buf, 16, 0x0013, 2);
	put(buf, 3, 0x02, 1);		/* a Set of QUERY */
	CU_ASSERT_EQUAL(ibvmig_esc_peek(buf, MAD, &msg, NULL), IBVMIG_ESC_E_METHOD);
	put(buf, 1, 0x04, 1);
	CU_ASSERT_EQUAL(ibvmig_esc_peek(buf, MAD, &msg, NULL), IBVMIG_ESC_E_CLASS);
}

static void test_mad_error_answer_echoes_the_request(void)
{
	struct ibvmig_esc_hdr req = { .method = 0x02, .tid = 99, .attr_id = 0x0042 };
	uint8_t got[MAD], want[MAD];

	header_want(want, 0x81, 0x000C, 99, 0x0042);
	want[24] = 0;			/* an all-zero payload */
	ibvmig_esc_encode_mad_error(&req, 0x000C, got);
	CU_ASSERT_EQUAL(memcmp(got, want, MAD), 0);
}

static void test_every_error_has_its_own_text(void)
{
	unsigned a, b;

	for (a = 0; a <= IBVMIG_ESC_E_MAX; a++) {
		CU_ASSERT_STRING_NOT_EQUAL(ibvmig_esc_strerror(a), "unknown error");
		for (b = 0; b < a; b++)
			CU_ASSERT_STRING_NOT_EQUAL(ibvmig_esc_strerror(a), ibvmig_esc_strerror(b));
	}
	CU_ASSERT_STRING_EQUAL(ibvmig_esc_strerror(IBVMIG_ESC_E_MAX + 1), "unknown error");
	for (a = 0; a <= IBVMIG_ESC_STATUS_MAX; a++)
		CU_ASSERT_STRING_NOT_EQUAL(ibvmig_esc_status_name(a), "unknown");
	CU_ASSERT_STRING_EQUAL(ibvmig_esc_status_name(IBVMIG_ESC_STATUS_MAX + 1), "unknown");
	CU_ASSERT_STRING_EQUAL(ibvmig_esc_state_name(IBVMIG_ESC_LIVE), "live");
	CU_ASSERT_STRING_EQUAL(ibvmig_esc_state_name(0), "unknown");
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_request_layouts_are_as_documented),
		UNIT_TEST(test_answer_layouts_are_as_documented),
		UNIT_TEST(test_refusal_carries_its_status_in_the_mad_status),
		UNIT_TEST(test_every_message_round_trips),
		UNIT_TEST(test_every_state_a_query_answer_carries),
		UNIT_TEST(test_every_truncation_is_refused),
		UNIT_TEST(test_bad_headers_are_refused),
		UNIT_TEST(test_bad_request_fields_are_refused),
		UNIT_TEST(test_release_request_rules),
		UNIT_TEST(test_bad_answer_fields_are_refused),
		UNIT_TEST(test_release_answer_rules),
		UNIT_TEST(test_peek_tells_the_messages_apart),
		UNIT_TEST(test_mad_error_answer_echoes_the_request),
		UNIT_TEST(test_every_error_has_its_own_text),
	};

	return unit_run("escrow_codec", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

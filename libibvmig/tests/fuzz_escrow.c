// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_escrow.c - libFuzzer harness of the LID escrow's MAD codec
 * (ibvmig_escrow.h, doc/escrow-protocol.md): requests the SM reads from any
 * port of the fabric, and answers an agent reads from what claims to be the
 * SM.  The input is the MAD, any length (a MAD is 256 bytes; the decoders
 * refuse every other length).
 *
 * Invariants: ibvmig_esc_peek() says which message the header makes, and no
 * decoder but that message's accepts it (at most one does); a refusal leaves
 * the decoded struct all zero and has a name; an accepted message re-encodes
 * with its encoder (the same TID) to the very bytes 0-223 of the input (every
 * byte there is a field or must be zero: the encoding is canonical; 224-255
 * are written zero and never read), and decode(encode(decode)) = decode; the
 * by-message entry points (ibvmig_esc_req_encode, ibvmig_esc_answer_decode)
 * agree with the named ones; a status or state decoded has a name; and the
 * MAD-error answer to an accepted request's header is a GetResp that no
 * answer decoder takes (its payload is all zero) but peek reads as the answer.
 */
#include "fuzz.h"
#include "ibvmig_escrow.h"

#include <stdbool.h>
#include <string.h>

#define MSGS 8
#define READ_LEN 224		/* bytes a receiver reads (doc/escrow-protocol.md) */

typedef enum ibvmig_esc_err (*req_decode_fn)(const uint8_t *, size_t, struct ibvmig_esc_hdr *,
					     struct ibvmig_esc_req *);
typedef enum ibvmig_esc_err (*req_encode_fn)(uint64_t, const struct ibvmig_esc_req *, uint8_t *);
typedef enum ibvmig_esc_err (*resp_decode_fn)(const uint8_t *, size_t, struct ibvmig_esc_hdr *,
					      struct ibvmig_esc_resp *);
typedef enum ibvmig_esc_err (*resp_encode_fn)(uint64_t, const struct ibvmig_esc_resp *,
					      uint8_t *);

static const struct {
	enum ibvmig_esc_msg msg;
	req_decode_fn req_decode;	/* requests: these two */
	req_encode_fn req_encode;
	resp_decode_fn resp_decode;	/* answers: these two */
	resp_encode_fn resp_encode;
} codecs[MSGS] = {
	{ IBVMIG_ESC_RELEASE_REQ, ibvmig_esc_release_req_decode, ibvmig_esc_release_req_encode, NULL,
	  NULL },
	{ IBVMIG_ESC_RELEASE_RESP, NULL, NULL, ibvmig_esc_release_resp_decode,
	  ibvmig_esc_release_resp_encode },
	{ IBVMIG_ESC_CLAIM_REQ, ibvmig_esc_claim_req_decode, ibvmig_esc_claim_req_encode, NULL,
	  NULL },
	{ IBVMIG_ESC_CLAIM_RESP, NULL, NULL, ibvmig_esc_claim_resp_decode,
	  ibvmig_esc_claim_resp_encode },
	{ IBVMIG_ESC_CANCEL_REQ, ibvmig_esc_cancel_req_decode, ibvmig_esc_cancel_req_encode, NULL,
	  NULL },
	{ IBVMIG_ESC_CANCEL_RESP, NULL, NULL, ibvmig_esc_cancel_resp_decode,
	  ibvmig_esc_cancel_resp_encode },
	{ IBVMIG_ESC_QUERY_REQ, ibvmig_esc_query_req_decode, ibvmig_esc_query_req_encode, NULL,
	  NULL },
	{ IBVMIG_ESC_QUERY_RESP, NULL, NULL, ibvmig_esc_query_resp_decode,
	  ibvmig_esc_query_resp_encode },
};

static bool same_hdr(const struct ibvmig_esc_hdr *a, const struct ibvmig_esc_hdr *b)
{
	return a->method == b->method && a->status == b->status && a->tid == b->tid &&
	       a->attr_id == b->attr_id;
}

static bool same_req(const struct ibvmig_esc_req *a, const struct ibvmig_esc_req *b)
{
	return a->port_guid == b->port_guid && a->dest_guid == b->dest_guid &&
	       !memcmp(a->token, b->token, sizeof(a->token));
}

/* Field by field: the struct has padding, which memcmp would compare. */
static bool same_resp(const struct ibvmig_esc_resp *a, const struct ibvmig_esc_resp *b)
{
	return a->status == b->status && a->state == b->state && a->lid == b->lid &&
	       a->mtu == b->mtu && a->rate == b->rate && a->port_guid == b->port_guid &&
	       a->dest_guid == b->dest_guid && a->source_guid == b->source_guid &&
	       a->claimant_guid == b->claimant_guid &&
	       !memcmp(a->token, b->token, sizeof(a->token)) && a->created_ms == b->created_ms &&
	       a->changed_ms == b->changed_ms && a->expires_in_ms == b->expires_in_ms &&
	       a->retry_after_ms == b->retry_after_ms && a->nkeys == b->nkeys &&
	       !memcmp(a->keys, b->keys, sizeof(a->keys));
}

static bool resp_zero(const struct ibvmig_esc_resp *r)
{
	static const struct ibvmig_esc_resp zero;

	return same_resp(r, &zero);
}

static void check_named(enum ibvmig_esc_err err)
{
	const char *s = ibvmig_esc_strerror(err);

	FUZZ_CHECK(s && *s);
}

/* An accepted request: canonical, a fixed point, the same by message. */
static void check_request(unsigned i, const uint8_t *mad, const struct ibvmig_esc_hdr *h,
			  const struct ibvmig_esc_req *r)
{
	uint8_t again[IBVMIG_ESC_MAD_LEN], by_msg[IBVMIG_ESC_MAD_LEN], err_mad[IBVMIG_ESC_MAD_LEN];
	struct ibvmig_esc_hdr h2;
	struct ibvmig_esc_req r2;
	struct ibvmig_esc_resp none;
	enum ibvmig_esc_msg m;

	FUZZ_CHECK(codecs[i].req_encode(h->tid, r, again) == IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(!memcmp(again, mad, READ_LEN));
	FUZZ_CHECK(fuzz_all_zero(again + READ_LEN, IBVMIG_ESC_MAD_LEN - READ_LEN));
	FUZZ_CHECK(codecs[i].req_decode(again, sizeof(again), &h2, &r2) == IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(same_hdr(h, &h2) && same_req(r, &r2));
	FUZZ_CHECK(ibvmig_esc_req_encode(codecs[i].msg, h->tid, r, by_msg) == IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(!memcmp(by_msg, again, sizeof(again)));
	/* The SM's answer to a request it cannot process: read as an answer, taken by none. */
	ibvmig_esc_encode_mad_error(h, 0x001C, err_mad);
	FUZZ_CHECK(ibvmig_esc_peek(err_mad, sizeof(err_mad), &m, NULL) == IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(m == codecs[i].msg + 1);
	FUZZ_CHECK(ibvmig_esc_answer_decode(codecs[i].msg, err_mad, sizeof(err_mad), NULL,
					    &none) != IBVMIG_ESC_E_NONE && resp_zero(&none));
}

/* An accepted answer: canonical, a fixed point, the same by message, named. */
static void check_answer(unsigned i, const uint8_t *mad, size_t len,
			 const struct ibvmig_esc_hdr *h, const struct ibvmig_esc_resp *r)
{
	uint8_t again[IBVMIG_ESC_MAD_LEN];
	struct ibvmig_esc_hdr h2;
	struct ibvmig_esc_resp r2;

	FUZZ_CHECK(ibvmig_esc_status_name(r->status) != NULL);
	FUZZ_CHECK(r->status || ibvmig_esc_state_name(r->state) != NULL);
	FUZZ_CHECK(h->status >> IBVMIG_ESC_MAD_STATUS_SHIFT == r->status);
	FUZZ_CHECK(r->nkeys <= IBVMIG_ESC_KEYS_MAX);
	FUZZ_CHECK(codecs[i].resp_encode(h->tid, r, again) == IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(!memcmp(again, mad, READ_LEN));
	FUZZ_CHECK(fuzz_all_zero(again + READ_LEN, IBVMIG_ESC_MAD_LEN - READ_LEN));
	FUZZ_CHECK(codecs[i].resp_decode(again, sizeof(again), &h2, &r2) == IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(same_hdr(h, &h2) && same_resp(r, &r2));
	FUZZ_CHECK(ibvmig_esc_answer_decode(codecs[i].msg - 1, mad, len, &h2, &r2) ==
		   IBVMIG_ESC_E_NONE);
	FUZZ_CHECK(same_hdr(h, &h2) && same_resp(r, &r2));
}

/* Decoder @i on the input: 1 if it accepted (and was checked), else 0. */
static int try_decoder(unsigned i, const uint8_t *mad, size_t len)
{
	struct ibvmig_esc_hdr h;
	struct ibvmig_esc_req q;
	struct ibvmig_esc_resp r;
	enum ibvmig_esc_err err;

	if (codecs[i].req_decode) {
		err = codecs[i].req_decode(mad, len, &h, &q);
		check_named(err);
		if (err) {
			FUZZ_CHECK(fuzz_all_zero(&q, sizeof(q)));
			return 0;
		}
		check_request(i, mad, &h, &q);
		return 1;
	}
	err = codecs[i].resp_decode(mad, len, &h, &r);
	check_named(err);
	if (err) {
		FUZZ_CHECK(resp_zero(&r));
		return 0;
	}
	check_answer(i, mad, len, &h, &r);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ibvmig_esc_msg peeked = 0;
	enum ibvmig_esc_err perr = ibvmig_esc_peek(data, size, &peeked, NULL);
	unsigned i, accepted = 0;

	check_named(perr);
	if (size < IBVMIG_ESC_MAD_LEN)
		FUZZ_CHECK(perr == IBVMIG_ESC_E_SHORT);
	else if (size > IBVMIG_ESC_MAD_LEN)
		FUZZ_CHECK(perr == IBVMIG_ESC_E_LONG);
	for (i = 0; i < MSGS; i++) {
		int ok = try_decoder(i, data, size);

		/* Only the message the header makes can decode. */
		FUZZ_CHECK(!ok || (perr == IBVMIG_ESC_E_NONE && peeked == codecs[i].msg));
		accepted += (unsigned)ok;
	}
	FUZZ_CHECK(accepted <= 1);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * escrow.c - the LID escrow's vendor-class MADs (doc/escrow-protocol.md).
 *
 * All eight messages share one payload layout; a table says each message's
 * method and attribute, and one validator per direction says which fields a
 * request or an answer carries.  The checks run in the order of the bytes
 * they look at, so that one malformed field gives one predictable error.
 */
#include "ibvmig_escrow.h"
#include "wire.h"

#include <stdbool.h>
#include <string.h>

/*
 * MAD bytes 224..255: written zero, never read.  umad2sim delivers only the
 * first 224 bytes of a MAD and fills the rest from beyond its buffer
 * (doc/simulator.md, "umad2sim Reads and Polls"), so no field may live there.
 */
#define PAYLOAD_TAIL 32
#define LID_MIN 0x0001			/* unicast LIDs, IBA vol 1, 4.1.3 */
#define LID_MAX 0xBFFF
#define PKEY_BASE_MASK 0x7FFF
#define PKEY_DEFAULT 0x7FFF		/* the default partition: never in an escrow */

struct msg_desc {
	uint8_t method;
	uint16_t attr;
	bool answer;
};

static const struct msg_desc msgs[] = {
	[IBVMIG_ESC_RELEASE_REQ] = { IBVMIG_ESC_METHOD_SET, IBVMIG_ESC_ATTR_RELEASE, false },
	[IBVMIG_ESC_RELEASE_RESP] = { IBVMIG_ESC_METHOD_GET_RESP, IBVMIG_ESC_ATTR_RELEASE, true },
	[IBVMIG_ESC_CLAIM_REQ] = { IBVMIG_ESC_METHOD_SET, IBVMIG_ESC_ATTR_CLAIM, false },
	[IBVMIG_ESC_CLAIM_RESP] = { IBVMIG_ESC_METHOD_GET_RESP, IBVMIG_ESC_ATTR_CLAIM, true },
	[IBVMIG_ESC_CANCEL_REQ] = { IBVMIG_ESC_METHOD_SET, IBVMIG_ESC_ATTR_CANCEL, false },
	[IBVMIG_ESC_CANCEL_RESP] = { IBVMIG_ESC_METHOD_GET_RESP, IBVMIG_ESC_ATTR_CANCEL, true },
	[IBVMIG_ESC_QUERY_REQ] = { IBVMIG_ESC_METHOD_GET, IBVMIG_ESC_ATTR_QUERY, false },
	[IBVMIG_ESC_QUERY_RESP] = { IBVMIG_ESC_METHOD_GET_RESP, IBVMIG_ESC_ATTR_QUERY, true },
};
#define MSG_COUNT (sizeof(msgs) / sizeof(msgs[0]))

/* The payload every message lays out the same way (MAD bytes 24..223). */
struct payload {
	uint8_t version;
	struct ibvmig_esc_resp f;	/* every field; a request uses port, dest, token */
};

/* ---- bytes ------------------------------------------------------------------ */

static void put_header(struct wire *w, uint8_t method, uint16_t status, uint64_t tid,
		       uint16_t attr)
{
	wire_put_u8(w, IBVMIG_ESC_BASE_VERSION);
	wire_put_u8(w, IBVMIG_ESC_MGMT_CLASS);
	wire_put_u8(w, IBVMIG_ESC_CLASS_VERSION);
	wire_put_u8(w, method);
	wire_put_u16(w, status);
	wire_put_u16(w, 0);		/* ClassSpecific */
	wire_put_u64(w, tid);
	wire_put_u16(w, attr);
	wire_put_u16(w, 0);		/* Reserved */
	wire_put_u32(w, 0);		/* AttributeModifier */
}

static void put_payload(struct wire *w, const struct ibvmig_esc_resp *f)
{
	int i;

	wire_put_u8(w, IBVMIG_ESC_PAYLOAD_VERSION);
	wire_put_u8(w, f->status);
	wire_put_u8(w, f->state);
	wire_put_u8(w, f->nkeys);
	wire_put_u16(w, f->lid);
	wire_put_u8(w, f->mtu);
	wire_put_u8(w, f->rate);
	wire_put_u64(w, f->port_guid);
	wire_put_u64(w, f->dest_guid);
	wire_put_u64(w, f->source_guid);
	wire_put_u64(w, f->claimant_guid);
	wire_put_bytes(w, f->token, IBVMIG_ESC_TOKEN_LEN);
	wire_put_u64(w, f->created_ms);
	wire_put_u64(w, f->changed_ms);
	wire_put_u32(w, f->expires_in_ms);
	wire_put_u32(w, f->retry_after_ms);
	/* Only the first nkeys slots carry keys: the rest are written zero. */
	for (i = 0; i < IBVMIG_ESC_KEYS_MAX; i++)
		wire_put_u16(w, i < f->nkeys ? f->keys[i] : 0);
	wire_put_zero(w, PAYLOAD_TAIL);
}

static void get_payload(struct wire *w, struct payload *p)
{
	struct ibvmig_esc_resp *f = &p->f;
	size_t i;

	p->version = wire_get_u8(w);
	f->status = wire_get_u8(w);
	f->state = wire_get_u8(w);
	f->nkeys = wire_get_u8(w);
	f->lid = wire_get_u16(w);
	f->mtu = wire_get_u8(w);
	f->rate = wire_get_u8(w);
	f->port_guid = wire_get_u64(w);
	f->dest_guid = wire_get_u64(w);
	f->source_guid = wire_get_u64(w);
	f->claimant_guid = wire_get_u64(w);
	wire_get_bytes(w, f->token, IBVMIG_ESC_TOKEN_LEN);
	f->created_ms = wire_get_u64(w);
	f->changed_ms = wire_get_u64(w);
	f->expires_in_ms = wire_get_u32(w);
	f->retry_after_ms = wire_get_u32(w);
	for (i = 0; i < IBVMIG_ESC_KEYS_MAX; i++)
		f->keys[i] = wire_get_u16(w);
	/* The tail (PAYLOAD_TAIL) is not read. */
}

/* ---- the checks ---------------------------------------------------------------- */

static bool token_zero(const uint8_t t[IBVMIG_ESC_TOKEN_LEN])
{
	uint8_t any = 0;
	int i;

	for (i = 0; i < IBVMIG_ESC_TOKEN_LEN; i++)
		any |= t[i];
	return !any;
}

static bool lid_ok(uint16_t lid)
{
	return lid >= LID_MIN && lid <= LID_MAX;
}

static bool mtu_ok(uint8_t mtu)
{
	return mtu >= 1 && mtu <= 5;	/* 256 .. 4096 (IBA vol 1, 14.2.5.6) */
}

static bool rate_ok(uint8_t rate)
{
	return rate >= 2 && rate <= 22;	/* 2.5 .. 600 Gb/s (IBA vol 1, 15.2.5.16) */
}

/* Key slots past the count must be zero; the counted ones valid and distinct. */
static enum ibvmig_esc_err check_keys(const struct ibvmig_esc_resp *f)
{
	int i, k;

	if (f->nkeys > IBVMIG_ESC_KEYS_MAX)
		return IBVMIG_ESC_E_KEY_COUNT;
	for (i = f->nkeys; i < IBVMIG_ESC_KEYS_MAX; i++)
		if (f->keys[i])
			return IBVMIG_ESC_E_UNUSED;
	for (i = 0; i < f->nkeys; i++) {
		uint16_t base = f->keys[i] & PKEY_BASE_MASK;

		if (!base || base == PKEY_DEFAULT)
			return IBVMIG_ESC_E_PKEY;
		for (k = 0; k < i; k++)
			if ((f->keys[k] & PKEY_BASE_MASK) == base)
				return IBVMIG_ESC_E_PKEY;
	}
	return IBVMIG_ESC_E_NONE;
}

/* Every field but port, dest and token, which a request alone never carries. */
static bool answer_fields_zero(const struct ibvmig_esc_resp *f)
{
	return !f->lid && !f->mtu && !f->rate && !f->source_guid && !f->claimant_guid &&
	       !f->created_ms && !f->changed_ms && !f->expires_in_ms && !f->retry_after_ms &&
	       !f->nkeys;
}

static enum ibvmig_esc_err check_request(enum ibvmig_esc_msg msg, const struct ibvmig_esc_resp *f)
{
	if (f->status)
		return IBVMIG_ESC_E_STATUS;
	if (f->state)
		return IBVMIG_ESC_E_STATE;
	if (!f->port_guid || (msg == IBVMIG_ESC_RELEASE_REQ && f->dest_guid == f->port_guid))
		return IBVMIG_ESC_E_GUID;
	if (msg != IBVMIG_ESC_RELEASE_REQ && token_zero(f->token))
		return IBVMIG_ESC_E_TOKEN;
	if (msg == IBVMIG_ESC_RELEASE_REQ ? !token_zero(f->token) : f->dest_guid != 0)
		return IBVMIG_ESC_E_UNUSED;
	return answer_fields_zero(f) ? check_keys(f) : IBVMIG_ESC_E_UNUSED;
}

static bool state_fits(enum ibvmig_esc_msg msg, uint8_t state)
{
	switch (msg) {
	case IBVMIG_ESC_RELEASE_RESP:
		return state == IBVMIG_ESC_HELD;
	case IBVMIG_ESC_CLAIM_RESP:
		return state == IBVMIG_ESC_MOVING || state == IBVMIG_ESC_LIVE;
	case IBVMIG_ESC_CANCEL_RESP:
		return state == IBVMIG_ESC_MOVING || state == IBVMIG_ESC_CANCELLED;
	default:
		return state >= IBVMIG_ESC_HELD && state <= IBVMIG_ESC_STATE_MAX;
	}
}

/* A refusal carries the status, the port asked about, and for a rate limit when to retry. */
static enum ibvmig_esc_err check_refusal(const struct ibvmig_esc_resp *f)
{
	if (f->state)
		return IBVMIG_ESC_E_STATE;
	if (f->dest_guid || !token_zero(f->token) ||
	    (f->retry_after_ms && f->status != IBVMIG_ESC_RATE_LIMITED))
		return IBVMIG_ESC_E_UNUSED;
	if (f->lid || f->mtu || f->rate || f->source_guid || f->claimant_guid || f->created_ms ||
	    f->changed_ms || f->expires_in_ms || f->nkeys)
		return IBVMIG_ESC_E_UNUSED;
	return check_keys(f);
}

static enum ibvmig_esc_err check_escrow(enum ibvmig_esc_msg msg, const struct ibvmig_esc_resp *f)
{
	bool claimed = f->state != IBVMIG_ESC_HELD && f->state != IBVMIG_ESC_EXPIRED;

	if (!state_fits(msg, f->state))
		return IBVMIG_ESC_E_STATE;
	if (!lid_ok(f->lid))
		return IBVMIG_ESC_E_LID;
	if (!mtu_ok(f->mtu))
		return IBVMIG_ESC_E_MTU;
	if (!rate_ok(f->rate))
		return IBVMIG_ESC_E_RATE;
	if (!f->source_guid || f->dest_guid == f->source_guid || claimed != !!f->claimant_guid)
		return IBVMIG_ESC_E_GUID;
	if (msg == IBVMIG_ESC_RELEASE_RESP && token_zero(f->token))
		return IBVMIG_ESC_E_TOKEN;
	if ((msg != IBVMIG_ESC_RELEASE_RESP && !token_zero(f->token)) || f->retry_after_ms ||
	    (f->expires_in_ms && f->state != IBVMIG_ESC_HELD))
		return IBVMIG_ESC_E_UNUSED;
	return check_keys(f);
}

static enum ibvmig_esc_err check_answer(enum ibvmig_esc_msg msg, const struct ibvmig_esc_resp *f)
{
	if (f->status > IBVMIG_ESC_STATUS_MAX)
		return IBVMIG_ESC_E_STATUS;
	if (!f->port_guid)
		return IBVMIG_ESC_E_GUID;
	return f->status == IBVMIG_ESC_OK ? check_escrow(msg, f) : check_refusal(f);
}

/* ---- the common header ------------------------------------------------------------ */

struct header {
	struct ibvmig_esc_hdr h;
	uint16_t class_specific;
	uint16_t reserved;
	uint32_t attr_mod;
};

static enum ibvmig_esc_err get_header(struct wire *w, size_t len, struct header *hd)
{
	if (len < IBVMIG_ESC_MAD_LEN)
		return IBVMIG_ESC_E_SHORT;
	if (len > IBVMIG_ESC_MAD_LEN)
		return IBVMIG_ESC_E_LONG;
	if (wire_get_u8(w) != IBVMIG_ESC_BASE_VERSION)
		return IBVMIG_ESC_E_BASE_VERSION;
	if (wire_get_u8(w) != IBVMIG_ESC_MGMT_CLASS)
		return IBVMIG_ESC_E_CLASS;
	if (wire_get_u8(w) != IBVMIG_ESC_CLASS_VERSION)
		return IBVMIG_ESC_E_CLASS_VERSION;
	hd->h.method = wire_get_u8(w);
	hd->h.status = wire_get_u16(w);
	hd->class_specific = wire_get_u16(w);
	hd->h.tid = wire_get_u64(w);
	hd->h.attr_id = wire_get_u16(w);
	hd->reserved = wire_get_u16(w);
	hd->attr_mod = wire_get_u32(w);
	return IBVMIG_ESC_E_NONE;
}

static enum ibvmig_esc_err check_header(enum ibvmig_esc_msg msg, const struct header *hd)
{
	const struct msg_desc *d = &msgs[msg];

	if (hd->h.method != d->method)
		return IBVMIG_ESC_E_METHOD;
	if (hd->h.attr_id != d->attr)
		return IBVMIG_ESC_E_ATTR;
	if (hd->attr_mod)
		return IBVMIG_ESC_E_ATTR_MOD;
	if (hd->class_specific || hd->reserved)
		return IBVMIG_ESC_E_HDR_RESERVED;
	if (d->answer ? (hd->h.status & IBVMIG_ESC_MAD_STATUS_COMMON) != 0 : hd->h.status != 0)
		return IBVMIG_ESC_E_MAD_STATUS;
	return IBVMIG_ESC_E_NONE;
}

enum ibvmig_esc_err ibvmig_esc_peek(const uint8_t *mad, size_t len, enum ibvmig_esc_msg *msg,
				    struct ibvmig_esc_hdr *hdr)
{
	struct wire w = wire_at((uint8_t *)mad, IBVMIG_ESC_MAD_LEN);
	enum ibvmig_esc_err err;
	struct header hd;
	size_t i;
	bool attr_known = false;

	err = get_header(&w, len, &hd);
	if (err)
		return err;
	if (hdr)
		*hdr = hd.h;
	for (i = 1; i < MSG_COUNT; i++) {
		if (msgs[i].attr != hd.h.attr_id)
			continue;
		attr_known = true;
		if (msgs[i].method == hd.h.method) {
			*msg = (enum ibvmig_esc_msg)i;
			return IBVMIG_ESC_E_NONE;
		}
	}
	return attr_known ? IBVMIG_ESC_E_METHOD : IBVMIG_ESC_E_ATTR;
}

/* ---- one encoder and one decoder per message, through these two ---------------------- */

static enum ibvmig_esc_err decode(enum ibvmig_esc_msg msg, const uint8_t *mad, size_t len,
				  struct ibvmig_esc_hdr *hdr, struct payload *p)
{
	struct wire w = wire_at((uint8_t *)mad, IBVMIG_ESC_MAD_LEN);
	enum ibvmig_esc_err err;
	struct header hd;

	memset(p, 0, sizeof(*p));
	err = get_header(&w, len, &hd);
	if (!err)
		err = check_header(msg, &hd);
	if (err)
		return err;
	get_payload(&w, p);
	if (hdr)
		*hdr = hd.h;
	if (p->version != IBVMIG_ESC_PAYLOAD_VERSION)
		return IBVMIG_ESC_E_VERSION;
	if (!msgs[msg].answer)
		return check_request(msg, &p->f);
	err = check_answer(msg, &p->f);
	if (!err && hd.h.status >> IBVMIG_ESC_MAD_STATUS_SHIFT != p->f.status)
		return IBVMIG_ESC_E_STATUS_MISMATCH;
	return err;
}

static enum ibvmig_esc_err encode(enum ibvmig_esc_msg msg, uint64_t tid,
				  const struct ibvmig_esc_resp *f, uint8_t mad[IBVMIG_ESC_MAD_LEN])
{
	struct wire w = wire_at(mad, IBVMIG_ESC_MAD_LEN);
	uint16_t status = 0;
	struct payload check;

	if (msgs[msg].answer)
		status = (uint16_t)(f->status << IBVMIG_ESC_MAD_STATUS_SHIFT);

	put_header(&w, msgs[msg].method, status, tid, msgs[msg].attr);
	put_payload(&w, f);
	/* An encoder writes nothing its decoder would refuse (a count over 64, say). */
	if (f->nkeys > IBVMIG_ESC_KEYS_MAX)
		return IBVMIG_ESC_E_KEY_COUNT;
	return decode(msg, mad, IBVMIG_ESC_MAD_LEN, NULL, &check);
}

static enum ibvmig_esc_err encode_req(enum ibvmig_esc_msg msg, uint64_t tid,
				      const struct ibvmig_esc_req *r,
				      uint8_t mad[IBVMIG_ESC_MAD_LEN])
{
	struct ibvmig_esc_resp f;

	memset(&f, 0, sizeof(f));
	f.port_guid = r->port_guid;
	f.dest_guid = r->dest_guid;
	memcpy(f.token, r->token, IBVMIG_ESC_TOKEN_LEN);
	return encode(msg, tid, &f, mad);
}

static enum ibvmig_esc_err decode_req(enum ibvmig_esc_msg msg, const uint8_t *mad, size_t len,
				      struct ibvmig_esc_hdr *hdr, struct ibvmig_esc_req *r)
{
	enum ibvmig_esc_err err;
	struct payload p;

	err = decode(msg, mad, len, hdr, &p);
	memset(r, 0, sizeof(*r));
	if (err)
		return err;
	r->port_guid = p.f.port_guid;
	r->dest_guid = p.f.dest_guid;
	memcpy(r->token, p.f.token, IBVMIG_ESC_TOKEN_LEN);
	return IBVMIG_ESC_E_NONE;
}

static enum ibvmig_esc_err decode_resp(enum ibvmig_esc_msg msg, const uint8_t *mad, size_t len,
				       struct ibvmig_esc_hdr *hdr, struct ibvmig_esc_resp *r)
{
	enum ibvmig_esc_err err;
	struct payload p;

	err = decode(msg, mad, len, hdr, &p);
	if (err) {
		memset(r, 0, sizeof(*r));
		return err;
	}
	*r = p.f;
	return IBVMIG_ESC_E_NONE;
}

#define REQUEST_CODEC(name, msg)                                                              \
	enum ibvmig_esc_err ibvmig_esc_##name##_req_encode(uint64_t tid,                       \
							   const struct ibvmig_esc_req *r,     \
							   uint8_t mad[IBVMIG_ESC_MAD_LEN])    \
	{                                                                                      \
		return encode_req(msg, tid, r, mad);                                           \
	}                                                                                      \
	enum ibvmig_esc_err ibvmig_esc_##name##_req_decode(const uint8_t *mad, size_t len,     \
							   struct ibvmig_esc_hdr *hdr,         \
							   struct ibvmig_esc_req *r)           \
	{                                                                                      \
		return decode_req(msg, mad, len, hdr, r);                                      \
	}

#define ANSWER_CODEC(name, msg)                                                               \
	enum ibvmig_esc_err ibvmig_esc_##name##_resp_encode(uint64_t tid,                      \
							    const struct ibvmig_esc_resp *r,   \
							    uint8_t mad[IBVMIG_ESC_MAD_LEN])   \
	{                                                                                      \
		return encode(msg, tid, r, mad);                                               \
	}                                                                                      \
	enum ibvmig_esc_err ibvmig_esc_##name##_resp_decode(const uint8_t *mad, size_t len,    \
							    struct ibvmig_esc_hdr *hdr,        \
							    struct ibvmig_esc_resp *r)         \
	{                                                                                      \
		return decode_resp(msg, mad, len, hdr, r);                                     \
	}

REQUEST_CODEC(release, IBVMIG_ESC_RELEASE_REQ)
REQUEST_CODEC(claim, IBVMIG_ESC_CLAIM_REQ)
REQUEST_CODEC(cancel, IBVMIG_ESC_CANCEL_REQ)
REQUEST_CODEC(query, IBVMIG_ESC_QUERY_REQ)
ANSWER_CODEC(release, IBVMIG_ESC_RELEASE_RESP)
ANSWER_CODEC(claim, IBVMIG_ESC_CLAIM_RESP)
ANSWER_CODEC(cancel, IBVMIG_ESC_CANCEL_RESP)
ANSWER_CODEC(query, IBVMIG_ESC_QUERY_RESP)

/* By message (a request's answer is the next message), for a requester choosing at run time. */
enum ibvmig_esc_err ibvmig_esc_req_encode(enum ibvmig_esc_msg msg, uint64_t tid,
					  const struct ibvmig_esc_req *r,
					  uint8_t mad[IBVMIG_ESC_MAD_LEN])
{
	if (msg < IBVMIG_ESC_RELEASE_REQ || msg > IBVMIG_ESC_QUERY_RESP || msgs[msg].answer)
		return IBVMIG_ESC_E_METHOD;
	return encode_req(msg, tid, r, mad);
}

enum ibvmig_esc_err ibvmig_esc_answer_decode(enum ibvmig_esc_msg req, const uint8_t *mad,
					     size_t len, struct ibvmig_esc_hdr *hdr,
					     struct ibvmig_esc_resp *r)
{
	if (req < IBVMIG_ESC_RELEASE_REQ || req >= IBVMIG_ESC_QUERY_RESP || msgs[req].answer) {
		memset(r, 0, sizeof(*r));
		return IBVMIG_ESC_E_METHOD;
	}
	return decode_resp((enum ibvmig_esc_msg)(req + 1), mad, len, hdr, r);
}

void ibvmig_esc_encode_mad_error(const struct ibvmig_esc_hdr *req, uint16_t mad_status,
				 uint8_t mad[IBVMIG_ESC_MAD_LEN])
{
	struct wire w = wire_at(mad, IBVMIG_ESC_MAD_LEN);

	put_header(&w, IBVMIG_ESC_METHOD_GET_RESP, mad_status, req->tid, req->attr_id);
	wire_put_zero(&w, IBVMIG_ESC_MAD_LEN - IBVMIG_ESC_HDR_LEN);
}

const char *ibvmig_esc_strerror(enum ibvmig_esc_err err)
{
	static const char *const text[] = {
		[IBVMIG_ESC_E_NONE] = "no error",
		[IBVMIG_ESC_E_SHORT] = "truncated: shorter than a MAD",
		[IBVMIG_ESC_E_LONG] = "longer than a MAD",
		[IBVMIG_ESC_E_BASE_VERSION] = "unknown MAD base version",
		[IBVMIG_ESC_E_CLASS] = "not the escrow's management class",
		[IBVMIG_ESC_E_CLASS_VERSION] = "unknown class version",
		[IBVMIG_ESC_E_METHOD] = "wrong method for the message",
		[IBVMIG_ESC_E_ATTR] = "wrong attribute for the message",
		[IBVMIG_ESC_E_ATTR_MOD] = "attribute modifier not zero",
		[IBVMIG_ESC_E_HDR_RESERVED] = "reserved header field not zero",
		[IBVMIG_ESC_E_MAD_STATUS] = "MAD status not allowed here",
		[IBVMIG_ESC_E_STATUS_MISMATCH] = "MAD status and payload status differ",
		[IBVMIG_ESC_E_VERSION] = "unknown payload version",
		[IBVMIG_ESC_E_STATUS] = "unknown or misplaced escrow status",
		[IBVMIG_ESC_E_STATE] = "unknown or misplaced escrow state",
		[IBVMIG_ESC_E_GUID] = "missing or inconsistent port GUID",
		[IBVMIG_ESC_E_TOKEN] = "missing token",
		[IBVMIG_ESC_E_LID] = "not a unicast LID",
		[IBVMIG_ESC_E_MTU] = "not an MTU code",
		[IBVMIG_ESC_E_RATE] = "not a rate code",
		[IBVMIG_ESC_E_KEY_COUNT] = "more memberships than a MAD holds",
		[IBVMIG_ESC_E_PKEY] = "invalid or repeated P_Key",
		[IBVMIG_ESC_E_UNUSED] = "a field the message does not carry is set",
	};

	return (unsigned)err < sizeof(text) / sizeof(text[0]) ? text[err] : "unknown error";
}

const char *ibvmig_esc_status_name(unsigned status)
{
	static const char *const names[] = {
		"ok", "malformed", "unknown-token", "expired-token", "used-token",
		"wrong-requester", "port-has-aliases", "port-in-escrow", "path-differs",
		"group-rule-key", "lid-busy", "not-master", "journal-unavailable",
		"rate-limited", "capacity", "internal",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "unknown";
}

const char *ibvmig_esc_state_name(unsigned state)
{
	static const char *const names[] = {
		[IBVMIG_ESC_HELD] = "held", [IBVMIG_ESC_MOVING] = "moving",
		[IBVMIG_ESC_LIVE] = "live", [IBVMIG_ESC_CANCELLED] = "cancelled",
		[IBVMIG_ESC_EXPIRED] = "expired",
	};

	return state >= IBVMIG_ESC_HELD && state <= IBVMIG_ESC_STATE_MAX ? names[state]
									   : "unknown";
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_escrow.h - the LID escrow's MADs (doc/escrow-protocol.md): a vendor
 * class (management class 0x09, class version 1) that a hypervisor agent
 * sends the SM to RELEASE a port's LID and P_Keys into escrow, CLAIM them on
 * another port with the token, CANCEL the escrow, or QUERY it.
 *
 * Every message is one 256-byte MAD: the 24-byte common MAD header (IBA
 * vol 1, 13.4.2) and one 232-byte payload layout shared by all eight
 * messages; each message says which fields it carries, and a field it does
 * not carry must be zero.  Bytes 224-255 are written zero and never read
 * (umad2sim delivers only 224 bytes of a MAD: doc/escrow-protocol.md).  Requests are Set (RELEASE, CLAIM, CANCEL) or Get
 * (QUERY); every answer is a GetResp carrying the request's TID and
 * attribute.  The escrow's status is in the payload and, when not OK, in the
 * class-specific bits 8-15 of the MAD status (13.4.7), so that a MAD trace
 * shows it too.
 *
 * One encoder and one decoder per message.  Structures hold host-order
 * values; byte order is handled only here.  Encoders write all 256 bytes and
 * check what they wrote with the decoder's rules, so that nothing is sent
 * that a peer would refuse; decoders never read beyond @len and refuse every
 * malformed input with its own error (ibvmig_esc_strerror).  Nothing
 * allocates, locks or keeps state: every function is safe from any thread.
 */
#ifndef IBVMIG_ESCROW_H
#define IBVMIG_ESCROW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IBVMIG_ESC_MAD_LEN 256
#define IBVMIG_ESC_HDR_LEN 24		/* the common MAD header */
#define IBVMIG_ESC_BASE_VERSION 1
#define IBVMIG_ESC_MGMT_CLASS 0x09	/* vendor-specific range 1: no OUI (13.4.4) */
#define IBVMIG_ESC_CLASS_VERSION 1
#define IBVMIG_ESC_PAYLOAD_VERSION 1
#define IBVMIG_ESC_METHOD_GET 0x01
#define IBVMIG_ESC_METHOD_SET 0x02
#define IBVMIG_ESC_METHOD_GET_RESP 0x81
#define IBVMIG_ESC_ATTR_RELEASE 0x0010
#define IBVMIG_ESC_ATTR_CLAIM 0x0011
#define IBVMIG_ESC_ATTR_CANCEL 0x0012
#define IBVMIG_ESC_ATTR_QUERY 0x0013
#define IBVMIG_ESC_TOKEN_LEN 16
/* Keys fill MAD bytes 104..223: umad2sim delivers no byte past 223 (escrow-protocol.md). */
#define IBVMIG_ESC_KEYS_MAX 60
#define IBVMIG_ESC_PKEY_FULL 0x8000	/* membership bit of a P_Key (IBA 10.9.1.2) */
/* MAD status (13.4.7): bits 0-7 common, 8-15 the class's own (the escrow status). */
#define IBVMIG_ESC_MAD_STATUS_COMMON 0x00FF
#define IBVMIG_ESC_MAD_STATUS_SHIFT 8

/* The escrow's status codes (the values of lid_escrow.h's enum esc_status). */
enum ibvmig_esc_status {
	IBVMIG_ESC_OK = 0,
	IBVMIG_ESC_MALFORMED = 1,
	IBVMIG_ESC_UNKNOWN_TOKEN = 2,
	IBVMIG_ESC_EXPIRED_TOKEN = 3,
	IBVMIG_ESC_USED_TOKEN = 4,
	IBVMIG_ESC_WRONG_REQUESTER = 5,
	IBVMIG_ESC_PORT_HAS_ALIASES = 6,
	IBVMIG_ESC_PORT_IN_ESCROW = 7,
	IBVMIG_ESC_PATH_DIFFERS = 8,
	IBVMIG_ESC_GROUP_RULE_KEY = 9,
	IBVMIG_ESC_LID_BUSY = 10,
	IBVMIG_ESC_NOT_MASTER = 11,
	IBVMIG_ESC_JOURNAL = 12,
	IBVMIG_ESC_RATE_LIMITED = 13,
	IBVMIG_ESC_CAPACITY = 14,
	IBVMIG_ESC_INTERNAL = 15,
};
#define IBVMIG_ESC_STATUS_MAX IBVMIG_ESC_INTERNAL

enum ibvmig_esc_state {
	IBVMIG_ESC_HELD = 1,
	IBVMIG_ESC_MOVING = 2,
	IBVMIG_ESC_LIVE = 3,
	IBVMIG_ESC_CANCELLED = 4,
	IBVMIG_ESC_EXPIRED = 5,
};
#define IBVMIG_ESC_STATE_MAX IBVMIG_ESC_EXPIRED

/* The eight messages. */
enum ibvmig_esc_msg {
	IBVMIG_ESC_RELEASE_REQ = 1,
	IBVMIG_ESC_RELEASE_RESP = 2,
	IBVMIG_ESC_CLAIM_REQ = 3,
	IBVMIG_ESC_CLAIM_RESP = 4,
	IBVMIG_ESC_CANCEL_REQ = 5,
	IBVMIG_ESC_CANCEL_RESP = 6,
	IBVMIG_ESC_QUERY_REQ = 7,
	IBVMIG_ESC_QUERY_RESP = 8,
};

/* Why a MAD was refused (0: it was not). */
enum ibvmig_esc_err {
	IBVMIG_ESC_E_NONE = 0,
	IBVMIG_ESC_E_SHORT,		/* fewer than 256 bytes: truncated */
	IBVMIG_ESC_E_LONG,		/* more than 256 bytes */
	IBVMIG_ESC_E_BASE_VERSION,
	IBVMIG_ESC_E_CLASS,		/* not management class 0x09 */
	IBVMIG_ESC_E_CLASS_VERSION,
	IBVMIG_ESC_E_METHOD,		/* not this message's method */
	IBVMIG_ESC_E_ATTR,		/* not this message's attribute */
	IBVMIG_ESC_E_ATTR_MOD,		/* attribute modifier not 0 */
	IBVMIG_ESC_E_HDR_RESERVED,	/* class-specific or reserved header field not 0 */
	IBVMIG_ESC_E_MAD_STATUS,	/* a request with a status; an answer with a common error */
	IBVMIG_ESC_E_STATUS_MISMATCH,	/* the MAD status does not carry the payload's status */
	IBVMIG_ESC_E_VERSION,		/* payload version not 1 */
	IBVMIG_ESC_E_STATUS,		/* unknown escrow status */
	IBVMIG_ESC_E_STATE,		/* unknown state, or one this message cannot carry */
	IBVMIG_ESC_E_GUID,		/* a required GUID is 0, or the destination is the port */
	IBVMIG_ESC_E_TOKEN,		/* a required token is all zero */
	IBVMIG_ESC_E_LID,		/* not a unicast LID */
	IBVMIG_ESC_E_MTU,
	IBVMIG_ESC_E_RATE,
	IBVMIG_ESC_E_KEY_COUNT,		/* more than 60 memberships */
	IBVMIG_ESC_E_PKEY,		/* a zero or default P_Key, or one twice */
	IBVMIG_ESC_E_UNUSED,		/* a field this message does not carry is not zero */
};
#define IBVMIG_ESC_E_MAX IBVMIG_ESC_E_UNUSED

/* The header fields a peer chooses. */
struct ibvmig_esc_hdr {
	uint8_t method;
	uint16_t status;		/* MAD status */
	uint64_t tid;
	uint16_t attr_id;
};

/* RELEASE: port_guid and (optional) dest_guid; CLAIM, CANCEL, QUERY: port_guid and token. */
struct ibvmig_esc_req {
	uint64_t port_guid;		/* RELEASE/CANCEL: the source; CLAIM: the claimant */
	uint64_t dest_guid;		/* RELEASE: the destination port named, 0: any */
	uint8_t token[IBVMIG_ESC_TOKEN_LEN];
};

/*
 * An answer.  Not OK: status, port_guid (the request's) and, when rate
 * limited, retry_after_ms; every other field zero.  OK: the escrow as it
 * stands (state, lid, mtu/rate of the source, the ports, times, keys); the
 * token only in RELEASE's answer.
 */
struct ibvmig_esc_resp {
	uint8_t status;			/* enum ibvmig_esc_status */
	uint8_t state;			/* enum ibvmig_esc_state */
	uint16_t lid;
	uint8_t mtu;			/* IBA MTU code */
	uint8_t rate;			/* IBA rate code */
	uint64_t port_guid;
	uint64_t dest_guid;
	uint64_t source_guid;
	uint64_t claimant_guid;
	uint8_t token[IBVMIG_ESC_TOKEN_LEN];
	uint64_t created_ms;		/* SM wall clock, ms since the Unix epoch */
	uint64_t changed_ms;
	uint32_t expires_in_ms;		/* held: time left; 0 otherwise */
	uint32_t retry_after_ms;
	uint8_t nkeys;
	uint16_t keys[IBVMIG_ESC_KEYS_MAX];	/* P_Key | IBVMIG_ESC_PKEY_FULL */
};

/*
 * Which message @mad is (by method and attribute) after the checks every
 * message shares (length, base version, class, class version): 0 with *@msg
 * set, or the error.  @hdr (may be NULL) gets the header.
 */
enum ibvmig_esc_err ibvmig_esc_peek(const uint8_t *mad, size_t len, enum ibvmig_esc_msg *msg,
				    struct ibvmig_esc_hdr *hdr);

/* Requests: @tid is the requester's TransactionID. */
enum ibvmig_esc_err ibvmig_esc_release_req_encode(uint64_t tid, const struct ibvmig_esc_req *r,
						  uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_release_req_decode(const uint8_t *mad, size_t len,
						  struct ibvmig_esc_hdr *hdr,
						  struct ibvmig_esc_req *r);
enum ibvmig_esc_err ibvmig_esc_claim_req_encode(uint64_t tid, const struct ibvmig_esc_req *r,
						uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_claim_req_decode(const uint8_t *mad, size_t len,
						struct ibvmig_esc_hdr *hdr,
						struct ibvmig_esc_req *r);
enum ibvmig_esc_err ibvmig_esc_cancel_req_encode(uint64_t tid, const struct ibvmig_esc_req *r,
						 uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_cancel_req_decode(const uint8_t *mad, size_t len,
						 struct ibvmig_esc_hdr *hdr,
						 struct ibvmig_esc_req *r);
enum ibvmig_esc_err ibvmig_esc_query_req_encode(uint64_t tid, const struct ibvmig_esc_req *r,
						uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_query_req_decode(const uint8_t *mad, size_t len,
						struct ibvmig_esc_hdr *hdr,
						struct ibvmig_esc_req *r);

/* Answers: @tid is the request's. */
enum ibvmig_esc_err ibvmig_esc_release_resp_encode(uint64_t tid, const struct ibvmig_esc_resp *r,
						   uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_release_resp_decode(const uint8_t *mad, size_t len,
						   struct ibvmig_esc_hdr *hdr,
						   struct ibvmig_esc_resp *r);
enum ibvmig_esc_err ibvmig_esc_claim_resp_encode(uint64_t tid, const struct ibvmig_esc_resp *r,
						 uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_claim_resp_decode(const uint8_t *mad, size_t len,
						 struct ibvmig_esc_hdr *hdr,
						 struct ibvmig_esc_resp *r);
enum ibvmig_esc_err ibvmig_esc_cancel_resp_encode(uint64_t tid, const struct ibvmig_esc_resp *r,
						  uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_cancel_resp_decode(const uint8_t *mad, size_t len,
						  struct ibvmig_esc_hdr *hdr,
						  struct ibvmig_esc_resp *r);
enum ibvmig_esc_err ibvmig_esc_query_resp_encode(uint64_t tid, const struct ibvmig_esc_resp *r,
						 uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_query_resp_decode(const uint8_t *mad, size_t len,
						 struct ibvmig_esc_hdr *hdr,
						 struct ibvmig_esc_resp *r);

/*
 * The same codecs chosen by message, for a requester that picks the
 * operation at run time: @msg (@req) one of the four requests; the answer's
 * decoder is the one of @req's answer.  IBVMIG_ESC_E_METHOD for a @msg that
 * is not a request (and *@r zeroed).
 */
enum ibvmig_esc_err ibvmig_esc_req_encode(enum ibvmig_esc_msg msg, uint64_t tid,
					  const struct ibvmig_esc_req *r,
					  uint8_t mad[IBVMIG_ESC_MAD_LEN]);
enum ibvmig_esc_err ibvmig_esc_answer_decode(enum ibvmig_esc_msg req, const uint8_t *mad,
					     size_t len, struct ibvmig_esc_hdr *hdr,
					     struct ibvmig_esc_resp *r);

/*
 * The answer to a request the SM cannot process at all (an attribute or
 * method it does not know, a malformed header): a GetResp with @mad_status
 * (e.g. 0x000C, unsupported method/attribute combination; 0x001C, invalid
 * field) that echoes @req's TID and attribute, with an all-zero payload.
 */
void ibvmig_esc_encode_mad_error(const struct ibvmig_esc_hdr *req, uint16_t mad_status,
				 uint8_t mad[IBVMIG_ESC_MAD_LEN]);

const char *ibvmig_esc_strerror(enum ibvmig_esc_err err);
const char *ibvmig_esc_status_name(unsigned status);
const char *ibvmig_esc_state_name(unsigned state);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_ESCROW_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_vmchan.h - the VM channel (doc/vm-channel.md): the stream between
 * the hypervisor agent and its VMs and host CLI.  Message bodies are record
 * lists (ibvmig_records.h); notices carry the RePath/UnPath details
 * (ibvmig_notice.h).
 */
#ifndef IBVMIG_VMCHAN_H
#define IBVMIG_VMCHAN_H

#include "ibvmig_notice.h"
#include "ibvmig_path.h"
#include "ibvmig_records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The stream between the hypervisor agent (ibvmigd, the host's only MAD
 * client) and its clients: the VMs (a Unix socket in the test fabric,
 * AF_VSOCK for real guests) and the host CLI.  Every message is a 16-byte
 * header and a body that is a record list as in the admin protocol: a head
 * record with the message's fields, then, for the messages that carry lists,
 * one item record per GID or VM.  Requests carry an id that the reply echoes,
 * so that a VM matches answers while notices arrive on the same stream.
 *
 * Encoders allocate the message (the caller frees it with free()); decoders
 * read the caller's buffer and never allocate.  Functions that can fail
 * return a negative errno value (ibvmig_vmc_status_from_errno() gives the
 * status that answers it); none prints or keeps state, so all may be called
 * from any thread; a writer or a decoded message belongs to one thread at a
 * time.  Each type's fields are in doc/vm-channel.md.
 */

#define IBVMIG_VMC_MAGIC 0x49564D43u	/* "IVMC" */
#define IBVMIG_VMC_VERSION 1
#define IBVMIG_VMC_HEADER_LEN 16
#define IBVMIG_VMC_MSG_MAX 65536u	/* a whole message, header included */
#define IBVMIG_VMC_ITEMS_MAX 256	/* item records in one message; always fit */
#define IBVMIG_VMC_NAME_MAX 63		/* VM names: 1..63 printable ASCII bytes */
#define IBVMIG_VMC_TEXT_MAX 255		/* error texts and status strings */
#define IBVMIG_VMC_REPLY 0x80		/* a reply's type: the request's | 0x80 */

enum ibvmig_vmc_type {
	/* VM -> agent */
	IBVMIG_VMC_HELLO = 0x01,	/* name, vGUID owned; first message */
	IBVMIG_VMC_INTEREST_ADD = 0x02,	/* items: remote vGIDs the VM holds paths to */
	IBVMIG_VMC_INTEREST_DEL = 0x03,	/* items: vGIDs it no longer holds */
	IBVMIG_VMC_PATH_QUERY = 0x04,	/* DGID -> a PathRecord */
	IBVMIG_VMC_BYE = 0x05,		/* the agent replies, then closes */
	/* host CLI -> agent */
	IBVMIG_VMC_ATTACH = 0x10,	/* GUIDInfoRecord Set of a vGUID */
	IBVMIG_VMC_DETACH = 0x11,	/* GUIDInfoRecord Delete */
	IBVMIG_VMC_VM_ADD = 0x12,
	IBVMIG_VMC_VM_DEL = 0x13,
	IBVMIG_VMC_VM_LIST = 0x14,	/* reply items: one per VM */
	IBVMIG_VMC_STATUS = 0x15,
	IBVMIG_VMC_ESC_RELEASE = 0x16,	/* the LID escrow (doc/escrow-protocol.md): RELEASE */
	IBVMIG_VMC_ESC_CLAIM = 0x17,	/* CLAIM with a token */
	IBVMIG_VMC_ESC_CANCEL = 0x18,	/* CANCEL with a token */
	IBVMIG_VMC_ESC_QUERY = 0x19,	/* QUERY with a token */
	/* agent -> VM, unsolicited (id 0, no reply) */
	IBVMIG_VMC_NOTICE = 0x40,	/* a forwarded RePath/UnPath */
	IBVMIG_VMC_PATH_UPDATE = 0x41,	/* a re-validated path: take it as an SA answer */
	IBVMIG_VMC_PATH_GONE = 0x42,	/* re-validation found no path: drop the entry */
};
#define IBVMIG_VMC_UNSOLICITED 0x40	/* 0x40-0x7F: agent -> VM, id 0, never answered */

/*
 * Reply statuses (requests and notices carry 0).  Each has an errno twin for
 * code that speaks errno: ibvmig_vmc_status_from_errno() and back.
 */
enum ibvmig_vmc_status {
	IBVMIG_VMC_OK = 0,
	IBVMIG_VMC_E_MAGIC = 1,		/* -EPROTO: not this protocol */
	IBVMIG_VMC_E_VERSION = 2,	/* -EPROTONOSUPPORT */
	IBVMIG_VMC_E_TYPE = 3,		/* -EOPNOTSUPP: unknown message type */
	IBVMIG_VMC_E_LENGTH = 4,	/* -EMSGSIZE: over the size or item limit */
	IBVMIG_VMC_E_MALFORMED = 5,	/* -EBADMSG: bad records, fields or values */
	IBVMIG_VMC_E_STATE = 6,		/* -ENOTCONN: hello first (or hello twice) */
	IBVMIG_VMC_E_DENIED = 7,	/* -EACCES: e.g. a host request from a VM */
	IBVMIG_VMC_E_NOT_FOUND = 8,	/* -ENOENT: no path, no such VM or alias */
	IBVMIG_VMC_E_SUSPENDED = 9,	/* -EAGAIN: an UnPath paused it, retry */
	IBVMIG_VMC_E_EXISTS = 10,	/* -EEXIST: name or vGUID taken */
	IBVMIG_VMC_E_FULL = 11,		/* -ENOSPC: a limit of the agent */
	IBVMIG_VMC_E_NOT_READY = 12,	/* -ENETDOWN: port or SM not up */
	IBVMIG_VMC_E_FAILED = 13,	/* -EIO and others: the reply's error field says */
	IBVMIG_VMC_E_INTERNAL = 14,	/* -ENOMEM: the agent could not answer */
};
#define IBVMIG_VMC_STATUS_MAX IBVMIG_VMC_E_INTERNAL

/*
 * Field tags: X(NAME, wire value, JSON key); doc/vm-channel.md has their
 * types.  1.. the messages' own fields, 32.. a PathRecord (IBA 15.2.5.16)
 * field by field, 64.. a RePath/UnPath notice, 80.. the agent's status.  The
 * enum and the names come from this one list.
 */
#define IBVMIG_VMC_TAGS(X) \
	X(NAME, 1, "name") \
	X(VGUID, 2, "vguid") \
	X(GID_PREFIX, 3, "gid_prefix") \
	X(GID_GUID, 4, "gid_guid") \
	X(ERROR, 5, "error") \
	X(TEXT, 6, "text") \
	X(COUNT, 7, "count") \
	X(INDEX, 8, "index") \
	X(CID, 9, "cid") \
	X(CONNECTED, 10, "connected") \
	X(INTERESTS, 11, "interests") \
	X(NOTICES, 12, "notices") \
	X(SUBNET_PREFIX, 13, "subnet_prefix") \
	X(PORT_GUID, 14, "port_guid") \
	X(LID, 15, "lid") \
	X(SM_LID, 16, "sm_lid") \
	X(CA, 17, "ca") \
	X(PORT, 18, "port") \
	X(VERSION, 19, "version") \
	X(DEST_GUID, 20, "dest_guid") \
	X(TOKEN_HI, 21, "token_hi") \
	X(TOKEN_LO, 22, "token_lo") \
	X(ESC_STATUS, 23, "escrow_status") \
	X(STATE, 24, "state") \
	X(SOURCE_GUID, 25, "source_guid") \
	X(CLAIMANT_GUID, 26, "claimant_guid") \
	X(EXPIRES_IN_MS, 27, "expires_in_ms") \
	X(RETRY_AFTER_MS, 28, "retry_after_ms") \
	X(KEYS, 29, "keys") \
	X(SET_US, 30, "set_us") \
	X(SERVICE_ID, 32, "service_id") \
	X(DGID_PREFIX, 33, "dgid_prefix") \
	X(DGID_GUID, 34, "dgid_guid") \
	X(SGID_PREFIX, 35, "sgid_prefix") \
	X(SGID_GUID, 36, "sgid_guid") \
	X(DLID, 37, "dlid") \
	X(SLID, 38, "slid") \
	X(RAW_TRAFFIC, 39, "raw_traffic") \
	X(FLOW_LABEL, 40, "flow_label") \
	X(HOP_LIMIT, 41, "hop_limit") \
	X(TCLASS, 42, "tclass") \
	X(REVERSIBLE, 43, "reversible") \
	X(NUMB_PATH, 44, "numb_path") \
	X(PKEY, 45, "pkey") \
	X(QOS_CLASS, 46, "qos_class") \
	X(SL, 47, "sl") \
	X(MTU_SELECTOR, 48, "mtu_selector") \
	X(MTU, 49, "mtu") \
	X(RATE_SELECTOR, 50, "rate_selector") \
	X(RATE, 51, "rate") \
	X(PKT_LIFE_SELECTOR, 52, "pkt_life_selector") \
	X(PKT_LIFE, 53, "pkt_life") \
	X(PREFERENCE, 54, "preference") \
	X(STAMPED, 55, "stamped") \
	X(EPOCH, 56, "epoch") \
	X(SEQ, 57, "seq") \
	X(TRAP, 64, "trap") \
	X(REASON, 65, "reason") \
	X(NEW_LID, 66, "new_lid") \
	X(OLD_LID, 67, "old_lid") \
	X(NEW_PORT_GUID, 68, "new_port_guid") \
	X(OLD_PORT_GUID, 69, "old_port_guid") \
	X(VMS, 80, "vms") \
	X(VMS_CONNECTED, 81, "vms_connected") \
	X(REPORTS, 82, "reports") \
	X(NOTICES_FORWARDED, 83, "notices_forwarded") \
	X(PATH_QUERIES, 84, "path_queries") \
	X(SA_ERRORS, 85, "sa_errors") \
	X(UPTIME_MS, 86, "uptime_ms") \
	X(SUBSCRIPTIONS, 87, "subscriptions") \
	X(SM_RESETS, 88, "sm_resets") \
	X(REATTACHED, 89, "reattached") \
	X(NOTICES_MISSED, 90, "notices_missed") \
	X(VMS_DROPPED, 91, "vms_dropped") \
	X(REJECTED_SOURCE, 92, "rejected_source") \
	X(REJECTED_ISSUER, 93, "rejected_issuer") \
	X(NOTICES_LOST, 94, "notices_lost") \
	X(REVALIDATIONS, 95, "revalidations") \
	X(PATHS_PUSHED, 96, "paths_pushed") \
	X(REPEATS, 97, "repeats") \
	X(ALIASES_RESTORED, 98, "aliases_restored") \
	X(PORT_DOWNS, 99, "port_downs") \
	X(SM_PORT_GUID, 100, "sm_port_guid")

#define IBVMIG_VMC_TAG_ENUM(name, value, key) IBVMIG_VMC_TAG_##name = value,
enum ibvmig_vmc_tag {
	IBVMIG_VMC_TAGS(IBVMIG_VMC_TAG_ENUM)
	IBVMIG_VMC_TAG_END,	/* one past the last: the list ends with the highest */
	IBVMIG_VMC_TAG_MAX = IBVMIG_VMC_TAG_END - 1
};
#undef IBVMIG_VMC_TAG_ENUM


/* A GID: an INTEREST_ADD/DEL item, a PATH_QUERY's DGID. */
struct ibvmig_vmc_gid {
	uint64_t prefix;
	uint64_t guid;			/* never 0 */
};

/* A VM as the agent knows it: VM_ADD, VM_DEL (name only), VM_LIST items. */
struct ibvmig_vmc_vm {
	char name[IBVMIG_VMC_NAME_MAX + 1];
	uint64_t vguid;			/* 0: none */
	uint32_t cid;			/* AF_VSOCK context id; 0: Unix socket */
	bool connected;			/* VM_LIST only, from here on */
	uint32_t interests;
	uint64_t notices;		/* notices forwarded to it */
};

/* The STATUS reply. */
struct ibvmig_vmc_agent {
	char version[IBVMIG_VMC_TEXT_MAX + 1];
	char ca[IBVMIG_VMC_NAME_MAX + 1];
	uint32_t port;
	uint64_t port_guid, subnet_prefix;
	uint16_t lid, sm_lid;
	uint32_t vms, vms_connected, interests;
	uint64_t reports;		/* SA Reports received */
	uint64_t notices_forwarded;
	uint64_t path_queries;
	uint64_t sa_errors;
	uint64_t uptime_ms;
	uint32_t subscriptions;		/* InformInfo subscriptions held */
	uint64_t sm_resets;		/* times the SM was found to have forgotten them */
	uint64_t reattached;		/* vGUIDs set again after those resets */
	uint64_t notices_missed;	/* notices for VMs that were not connected */
	uint64_t vms_dropped;		/* connections closed for reading too slowly */
	uint64_t rejected_source;	/* Reports not from the master SM's LID */
	uint64_t rejected_issuer;	/* ...from it, but issued by an untrusted port */
	uint64_t notices_lost;		/* numbers missing between trusted notices */
	uint64_t revalidations;		/* re-validation rounds run */
	uint64_t paths_pushed;		/* PATH_UPDATE and PATH_GONE messages queued to VMs */
	uint64_t repeats;		/* RePaths dropped as repeats of the last one */
	uint64_t aliases_restored;	/* vGUIDs set again after the SM lost them */
	uint64_t port_downs;		/* times the port was seen down */
	uint64_t sm_port_guid;		/* the master SM's port, as the SA names it; 0 unknown */
};

/*
 * An escrow request of the host CLI (ESC_RELEASE, ESC_CLAIM, ESC_CANCEL,
 * ESC_QUERY) and its reply: the agent asks the master SM
 * (doc/escrow-protocol.md) and says what it answered.  A reply with status
 * OK means the SM answered; its escrow status is @esc_status, and the
 * escrow's fields are set only when that is IBVMIG_ESC_OK.  The token is
 * secret: it is in an ESC_RELEASE reply and in the other requests only.
 */
struct ibvmig_vmc_escrow {
	uint64_t port_guid;		/* the port asked about; 0 in a request: the agent's */
	uint64_t dest_guid;		/* RELEASE: the destination named, 0: any */
	uint64_t token[2];		/* ibvmig_vmc_token_put()/_get(): the token's bytes */
	uint8_t esc_status;		/* reply: enum ibvmig_esc_status */
	uint8_t state;			/* reply: enum ibvmig_esc_state */
	uint16_t lid;			/* reply: the escrowed LID */
	uint64_t source_guid, claimant_guid;	/* reply */
	uint32_t expires_in_ms;		/* reply: a held escrow's time left */
	uint32_t retry_after_ms;	/* reply: rate limited, when to try again */
	uint8_t keys;			/* reply: memberships in the escrow */
	uint16_t sm_lid;		/* reply: the SM LID that answered */
};

/*
 * One message, decoded or to encode.  @type selects the member of the union
 * (and a reply with a non-zero @status uses none: it carries @error and
 * @text only):
 *
 *   HELLO              hello        HELLO|REPLY         welcome
 *   INTEREST_ADD/DEL   (items)      INTEREST_*|REPLY    count (interests held now)
 *   PATH_QUERY         query        PATH_QUERY|REPLY    path
 *   BYE, VM_LIST, STATUS (none)     BYE|REPLY, VM_ADD|REPLY, VM_DEL|REPLY (none)
 *   ATTACH, DETACH     alias        ATTACH|REPLY, DETACH|REPLY   alias
 *   VM_ADD, VM_DEL     vm           VM_LIST|REPLY       count (VMs in all) + items
 *   NOTICE             notice       STATUS|REPLY        agent
 *   PATH_UPDATE        path         PATH_GONE           gone
 *   ESC_* (requests and replies)    esc
 */
struct ibvmig_vmc_msg {
	uint8_t type;			/* enum ibvmig_vmc_type, | IBVMIG_VMC_REPLY */
	uint16_t status;		/* enum ibvmig_vmc_status; replies only */
	uint32_t id;			/* chosen by the requester, echoed; 0 in NOTICE */
	uint32_t error;			/* status != 0: a positive errno, 0 unknown */
	char text[IBVMIG_VMC_TEXT_MAX + 1];	/* status != 0: what failed, or "" */
	union {
		struct {
			char name[IBVMIG_VMC_NAME_MAX + 1];
			uint64_t vguid;	/* the vGUID the VM owns, 0: none */
		} hello;
		struct {
			uint64_t subnet_prefix, port_guid;	/* the agent's port */
			uint16_t lid, sm_lid;
		} welcome;
		uint32_t count;
		struct ibvmig_vmc_gid query;
		struct {
			/*
			 * Encoding: the path to send (not NULL).  Decoded
			 * messages leave it NULL: ibvmig_vmc_get_path() copies it.
			 */
			const struct ibvmig_sa_path *path;
			/*
			 * The newest notice stamp the agent had for the DGID
			 * when it asked the SA, for ibvmig_pc_insert() (ibvmig_path_cache.h).
			 */
			bool stamped;
			uint32_t epoch;
			uint64_t seq;
		} path;
		struct {
			uint64_t vguid;	/* never 0 */
			uint32_t index;	/* 1..255; 0 in a request: the agent chooses */
			char name[IBVMIG_VMC_NAME_MAX + 1];	/* ATTACH: for this VM, or "" */
			/*
			 * ATTACH|REPLY: the agent's wall clock (microseconds since
			 * the epoch) when it sent the Set that attached the vGUID;
			 * 0 when not known.  A benchmark times the migration from
			 * here, not from the start of the command that asked.
			 */
			uint64_t set_us;
		} alias;
		struct ibvmig_vmc_vm vm;
		struct ibvmig_vmc_agent agent;
		struct {
			uint16_t trap;	/* IBVMIG_TRAP_UNPATH or IBVMIG_TRAP_REPATH */
			struct ibvmig_path_notice n;
		} notice;
		struct ibvmig_vmc_escrow esc;
		struct {
			struct ibvmig_vmc_gid gid;	/* the DGID re-validated */
			bool stamped;	/* as in a PATH_QUERY reply */
			uint32_t epoch;
			uint64_t seq;
		} gone;
	};
	/* Decoded messages only: the item records, read with ibvmig_vmc_next_*(). */
	uint32_t n_items;
	struct ibvmig_rec_reader items;	/* private; points into the decoded buffer */
};

/*
 * Framing for a non-blocking reader: looks at the @have bytes received so
 * far at @buf (a message starts at @buf).  Returns L > 0 when a whole message
 * of L bytes is there (*@need = 0; what follows is the next message's), 0
 * when *@need more bytes are needed (the rest of the header, then exactly the
 * rest of the message), or, as soon as the bytes show they can never make a
 * message, -EPROTO (not our magic), -EPROTONOSUPPORT (another version) or
 * -EMSGSIZE (longer than IBVMIG_VMC_MSG_MAX).  A stream cannot be
 * resynchronised: answer with ibvmig_vmc_status_from_errno() and close it.
 */
int ibvmig_vmc_frame(const uint8_t *buf, size_t have, size_t *need);

/*
 * Decodes and validates one whole message (@len bytes, as framed).  Fills @m
 * (its path pointer NULL; @m->items points into @buf, which must outlive the
 * item reads).  Errors: those of ibvmig_vmc_frame(), -EMSGSIZE for @len not
 * the framed length or more than IBVMIG_VMC_ITEMS_MAX items, -EOPNOTSUPP for
 * an unknown type, -EBADMSG for anything else malformed (a body that is not a
 * record list, a missing required field, a field of the wrong type or twice,
 * a value out of range, a bad name, items the type does not take, a status in
 * a request).  Tags the type does not use are skipped (how fields are added
 * without a new version).  Every error leaves @m zeroed.
 */
int ibvmig_vmc_decode(const uint8_t *buf, size_t len, struct ibvmig_vmc_msg *m);
/*
 * The type and request id of a header that carries our magic, whatever its
 * version, length or body: what an agent needs to answer once a request that
 * the framing or the decoder refused.  0; -EMSGSIZE for fewer than
 * IBVMIG_VMC_HEADER_LEN bytes, -EPROTO for another magic.
 */
int ibvmig_vmc_peek(const uint8_t *buf, size_t len, uint8_t *type, uint32_t *id);
/*
 * The path of a decoded successful PATH_QUERY reply or PATH_UPDATE; -EINVAL
 * for another message.
 */
int ibvmig_vmc_get_path(const struct ibvmig_vmc_msg *m, struct ibvmig_sa_path *out);
/*
 * The next item of a decoded message: 1 and @out filled, 0 after the last,
 * -EINVAL when the message carries no items of that kind.
 */
int ibvmig_vmc_next_gid(struct ibvmig_vmc_msg *m, struct ibvmig_vmc_gid *out);
int ibvmig_vmc_next_vm(struct ibvmig_vmc_msg *m, struct ibvmig_vmc_vm *out);

/*
 * Encoding.  The writer owns a growing buffer until finish hands it to the
 * caller (who frees it with free()) or discard drops it.  Errors are sticky
 * and reported by finish (which then discards the writer): -EINVAL for an
 * unknown type, a value the decoder would refuse or items the type does not
 * take (or too few: INTEREST_ADD/DEL need one), -EMSGSIZE for more than
 * IBVMIG_VMC_ITEMS_MAX items, -ENOMEM.  A message within the item limit
 * always fits IBVMIG_VMC_MSG_MAX.
 */
struct ibvmig_vmc_writer {
	struct ibvmig_rec_writer rec;	/* private, all of it */
	uint8_t type;
	uint16_t status;
	uint32_t id;
	uint32_t n_items;
	uint8_t item_kind, min_items;
	int error;
};

void ibvmig_vmc_writer_init(struct ibvmig_vmc_writer *w, const struct ibvmig_vmc_msg *m);
void ibvmig_vmc_put_gid(struct ibvmig_vmc_writer *w, const struct ibvmig_vmc_gid *g);
void ibvmig_vmc_put_vm(struct ibvmig_vmc_writer *w, const struct ibvmig_vmc_vm *vm);
int ibvmig_vmc_writer_finish(struct ibvmig_vmc_writer *w, uint8_t **buf, size_t *len);
void ibvmig_vmc_writer_discard(struct ibvmig_vmc_writer *w);
/* A message without items in one call: init and finish. */
int ibvmig_vmc_encode(const struct ibvmig_vmc_msg *m, uint8_t **buf, size_t *len);

/* The escrow token's 16 bytes into and out of its two fields (big-endian halves). */
void ibvmig_vmc_token_put(uint64_t field[2], const uint8_t token[16]);
void ibvmig_vmc_token_get(const uint64_t field[2], uint8_t token[16]);

/* The status that answers a negative errno (0 for 0; unknown ones: E_FAILED). */
uint16_t ibvmig_vmc_status_from_errno(int err);
/* The negative errno of a status (0 for OK; -EIO for unknown statuses). */
int ibvmig_vmc_status_errno(uint16_t status);
const char *ibvmig_vmc_status_text(unsigned status);
/* True for the types the agent sends unasked (0x40-0x7F: NOTICE, PATH_UPDATE, ...). */
bool ibvmig_vmc_is_unsolicited(uint8_t type);
/* "hello", "path-query", ... ; a reply's name is its request's; NULL if unknown. */
const char *ibvmig_vmc_type_name(uint8_t type);
/* The JSON key of a tag, NULL for an unknown tag. */
const char *ibvmig_vmc_tag_name(uint16_t tag);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_VMCHAN_H */

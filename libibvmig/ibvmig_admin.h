/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_admin.h - the admin socket protocol (doc/admin-protocol.md) between
 * an SM-side host of the engine (the OpenSM plugin, the standalone
 * extension) and the admin CLI `ibvmig`: framed, versioned requests, and
 * responses whose bodies are record lists (ibvmig_records.h).  Pure codec
 * plus the client's one exchange; safe from any thread.
 */
#ifndef IBVMIG_ADMIN_H
#define IBVMIG_ADMIN_H

#include "ibvmig_records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IBVMIG_ADMIN_MAGIC 0x49564D41u	/* "IVMA" */
#define IBVMIG_ADMIN_VERSION 1
#define IBVMIG_ADMIN_HEADER_LEN 12
#define IBVMIG_ADMIN_REQUEST_BODY_MAX 64
#define IBVMIG_ADMIN_RESPONSE_MAX (64u << 20)

enum ibvmig_admin_op {
	IBVMIG_ADMIN_STATUS = 1,
	IBVMIG_ADMIN_TRAPS = 2,
	IBVMIG_ADMIN_SUBSCRIBERS = 3,
	IBVMIG_ADMIN_STATS = 4,
	IBVMIG_ADMIN_FLUSH = 5,		/* body: vGUID (u64), 0 = every entry */
	IBVMIG_ADMIN_ESCROW_LIST = 6,	/* the LID escrows (doc/escrow-protocol.md) */
	IBVMIG_ADMIN_ESCROW_SHOW = 7,	/* body: escrow id (u64) */
	IBVMIG_ADMIN_ESCROW_CANCEL = 8,	/* body: escrow id (u64): end a held escrow now */
};
#define IBVMIG_ADMIN_OP_MAX IBVMIG_ADMIN_ESCROW_CANCEL

/* Response status; requests carry 0. */
enum ibvmig_admin_status {
	IBVMIG_ADMIN_OK = 0,
	IBVMIG_ADMIN_E_MAGIC = 1,	/* not our protocol */
	IBVMIG_ADMIN_E_VERSION = 2,	/* a version the server does not speak */
	IBVMIG_ADMIN_E_OP = 3,		/* unknown operation */
	IBVMIG_ADMIN_E_LENGTH = 4,	/* body too long, or not what the op takes */
	IBVMIG_ADMIN_E_NOT_FOUND = 5,	/* e.g. flush of a vGUID not in the table */
	IBVMIG_ADMIN_E_INTERNAL = 6,	/* the plugin could not answer (memory...) */
	IBVMIG_ADMIN_E_REQUEST = 7,	/* malformed body */
	IBVMIG_ADMIN_E_NOT_READY = 8,	/* the SM is not up yet; no escrow here (off, standby) */
	IBVMIG_ADMIN_E_STATE = 9,	/* escrow cancel of an escrow that is not held */
};

struct ibvmig_admin_header {
	uint32_t magic;
	uint8_t version;
	uint8_t op;
	uint16_t status;
	uint32_t length;		/* of the body that follows */
};

struct ibvmig_admin_request {
	uint8_t op;			/* enum ibvmig_admin_op */
	uint64_t vguid;			/* IBVMIG_ADMIN_FLUSH only */
	uint64_t escrow_id;		/* IBVMIG_ADMIN_ESCROW_SHOW, _CANCEL */
};

/*
 * Every field tag the protocol knows: X(NAME, wire value, JSON key).  The
 * enum and the names come from this one list, so they cannot drift apart.
 */
#define IBVMIG_ADMIN_TAGS(X) \
	X(VGUID, 1, "vguid") \
	X(LID, 2, "lid") \
	X(PORT_GUID, 3, "port_guid") \
	X(DELETED_AT_MS, 4, "deleted_at_ms") \
	X(EXPIRES_IN_MS, 5, "expires_in_ms") \
	X(PLUGIN_VERSION, 6, "plugin_version") \
	X(OSM_VERSION, 7, "opensm_version") \
	X(SM_STATE, 8, "sm_state") \
	X(SM_PORT_GUID, 9, "sm_port_guid") \
	X(SM_LID, 10, "sm_lid") \
	X(SUBNET_PREFIX, 11, "subnet_prefix") \
	X(EPOCH, 12, "epoch") \
	X(SEQ, 13, "seq") \
	X(STARTED_AT_MS, 14, "started_at_ms") \
	X(UNPATH, 15, "unpath") \
	X(ALIAS_GUARD, 16, "alias_guard") \
	X(TTL_MS, 17, "ttl_ms") \
	X(CAPACITY, 18, "capacity") \
	X(ENTRIES, 19, "entries") \
	X(LIVE_ALIASES, 20, "live_aliases") \
	X(SUBSCRIBERS, 21, "subscribers") \
	X(STATE_FILE, 22, "state_file") \
	X(LAST_SAVE_MS, 23, "last_save_ms") \
	X(SUBSCRIBER_GUID, 24, "subscriber_guid") \
	X(QPN, 25, "qpn") \
	X(TRAP, 26, "trap") \
	X(LID_RANGE_BEGIN, 27, "lid_range_begin") \
	X(LID_RANGE_END, 28, "lid_range_end") \
	X(DELETES, 29, "deletes") \
	X(REPLACED, 30, "replaced") \
	X(SETS, 31, "sets") \
	X(CREATED, 32, "created") \
	X(RESTARTED, 33, "restarted") \
	X(MOVED_SAME_LID, 34, "moved_same_lid") \
	X(MIGRATED, 35, "migrated") \
	X(EXPIRED, 36, "expired") \
	X(EVICTED, 37, "evicted") \
	X(FLUSHED, 38, "flushed") \
	X(REJECTED, 39, "rejected") \
	X(RESTORED, 40, "restored") \
	X(UNPATH_SENT, 41, "unpath_sent") \
	X(REPATH_SENT, 42, "repath_sent") \
	X(NOTICES_FAILED, 43, "notices_failed") \
	X(GUARD_REFUSED, 44, "guard_refused") \
	X(RECONCILES, 45, "reconciles") \
	X(RECONCILE_EVENTS, 46, "reconcile_events") \
	X(SAVES, 47, "saves") \
	X(SAVE_ERRORS, 48, "save_errors") \
	X(ADMIN_REQUESTS, 49, "admin_requests") \
	X(ADMIN_ERRORS, 50, "admin_errors") \
	X(HOOK_ERRORS, 51, "hook_errors") \
	X(PORT_LID_CHANGES, 52, "port_lid_changes") \
	X(COUNT, 53, "count") \
	X(NOW_MS, 54, "now_ms") \
	X(HOOK_CALLS, 55, "hook_calls") \
	X(HOOK_NS, 56, "hook_ns") \
	X(HOOK_MAX_NS, 57, "hook_max_ns") \
	X(UNSAVED_CHANGES, 58, "unsaved_changes") \
	X(ALIASES_BEFORE_RESTART, 59, "aliases_before_restart") \
	X(MIGRATED_WHILE_DOWN, 60, "migrated_while_down") \
	X(NOTICES_UNSENT, 61, "notices_unsent") \
	X(NOTICES_REFUSED, 62, "notices_refused") \
	X(NOTICE_NUMBER, 63, "notice_number") \
	X(RECONCILE_SPARED, 64, "reconcile_spared") \
	X(ESCROW_ID, 65, "escrow_id") \
	X(ESCROW_STATE, 66, "state") \
	X(SOURCE_GUID, 67, "source_guid") \
	X(DEST_GUID, 68, "dest_guid") \
	X(CLAIMANT_GUID, 69, "claimant_guid") \
	X(CREATED_MS, 70, "created_ms") \
	X(CHANGED_MS, 71, "changed_ms") \
	X(PKEYS, 72, "pkeys") \
	X(PASSIVE, 73, "passive") \
	X(PORT_READS, 74, "port_reads") \
	X(UNTRUSTED_MOVES, 75, "untrusted_moves") \
	X(HELD_RELEASED, 76, "held_released") \
	X(HELD_DROPPED, 77, "held_dropped") \
	X(STALE_GONE, 78, "stale_gone") \
	X(SM_FORGETS, 79, "sm_forgets") \
	X(NOTICES_PASSIVE, 80, "notices_passive") \
	X(FOREIGN_NOTICES, 81, "foreign_notices") \
	X(DELIVERY, 82, "delivery") \
	X(PORT_LID, 83, "port_lid") \
	X(AGENTS, 84, "agents") \
	X(POLL_RATE, 85, "poll_rate") \
	X(POLL_PORTS, 86, "poll_ports") \
	X(POLL_CYCLES, 87, "poll_cycles") \
	X(POLL_CYCLE_MS, 88, "poll_cycle_ms") \
	X(POLL_REQUESTS, 89, "poll_requests") \
	X(POLL_ERRORS, 90, "poll_errors") \
	X(LEARN_REQUESTS, 91, "learn_requests") \
	X(TELLS, 92, "tells") \
	X(TELLS_REFUSED, 93, "tells_refused") \
	X(TELL_READS, 94, "tell_reads") \
	X(CANARY_CHECKS, 95, "canary_checks") \
	X(TRAPS_SENT, 96, "traps_sent") \
	X(TRAP_ERRORS, 97, "trap_errors") \
	X(DIRECT_SENT, 98, "direct_sent") \
	X(DIRECT_ERRORS, 99, "direct_errors") \
	X(REPORTS_REFUSED, 100, "reports_refused") \
	X(DEFERRED_READS, 101, "deferred_reads") \
	X(SM_CHANGES, 102, "sm_changes") \
	X(SA_TIMEOUTS, 103, "sa_timeouts")

#define IBVMIG_ADMIN_TAG_ENUM(name, value, key) IBVMIG_TAG_##name = value,
enum ibvmig_admin_tag {
	IBVMIG_ADMIN_TAGS(IBVMIG_ADMIN_TAG_ENUM)
	IBVMIG_TAG_END,	/* one past the last: the list ends with the highest */
	IBVMIG_TAG_MAX = IBVMIG_TAG_END - 1
};
#undef IBVMIG_ADMIN_TAG_ENUM

/* Name (JSON key) and type of a tag; NULL name for an unknown tag. */
const char *ibvmig_admin_tag_name(uint16_t tag);
const char *ibvmig_admin_status_text(unsigned status);

/* Frames: each returns the bytes written or -ENOSPC. */
int ibvmig_admin_encode_request(const struct ibvmig_admin_request *req, uint8_t *buf,
				size_t len);
void ibvmig_admin_encode_header(const struct ibvmig_admin_header *h,
				uint8_t buf[IBVMIG_ADMIN_HEADER_LEN]);
/* Decodes any header; returns 0 or the status a server answers with. */
int ibvmig_admin_decode_header(const uint8_t buf[IBVMIG_ADMIN_HEADER_LEN],
			       struct ibvmig_admin_header *h);
/* Validates a request body against its op; returns 0 or a status. */
int ibvmig_admin_decode_request(const struct ibvmig_admin_header *h, const uint8_t *body,
				struct ibvmig_admin_request *req);

/*
 * A response is an admin header and a record list (ibvmig_records.h):
 * ibvmig_admin_writer_init() starts one; ibvmig_admin_writer_finish() writes
 * the header for @op and @status and hands the message over (the caller frees
 * it).  An error response carries no records.  0 or -ENOMEM.
 */
void ibvmig_admin_writer_init(struct ibvmig_rec_writer *w);
int ibvmig_admin_writer_finish(struct ibvmig_rec_writer *w, uint8_t op, uint16_t status,
			       uint8_t **buf, size_t *len);

/*
 * The client side of one exchange: connect to @path, send @req, receive the
 * response.  Returns 0 with the header in @h and the body in *@body (malloc'ed,
 * the caller frees it; NULL when empty), or -errno for a transport failure
 * (-ENOENT/-ECONNREFUSED: nobody serves @path, -EACCES, -ETIMEDOUT,
 * -EBADMSG for a response that is not ours or is malformed).
 */
int ibvmig_admin_call(const char *path, const struct ibvmig_admin_request *req,
		      int timeout_ms, struct ibvmig_admin_header *h, uint8_t **body,
		      size_t *body_len);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_ADMIN_H */

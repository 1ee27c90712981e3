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
};
#define IBVMIG_ADMIN_OP_MAX IBVMIG_ADMIN_FLUSH

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
	IBVMIG_ADMIN_E_NOT_READY = 8,	/* the SM is not up yet */
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
};

/* Every field tag the protocol knows; names are the JSON keys. */
enum ibvmig_admin_tag {
	IBVMIG_TAG_VGUID = 1, IBVMIG_TAG_LID, IBVMIG_TAG_PORT_GUID, IBVMIG_TAG_DELETED_AT_MS,
	IBVMIG_TAG_EXPIRES_IN_MS, IBVMIG_TAG_PLUGIN_VERSION, IBVMIG_TAG_OSM_VERSION,
	IBVMIG_TAG_SM_STATE, IBVMIG_TAG_SM_PORT_GUID, IBVMIG_TAG_SM_LID,
	IBVMIG_TAG_SUBNET_PREFIX, IBVMIG_TAG_EPOCH, IBVMIG_TAG_SEQ, IBVMIG_TAG_STARTED_AT_MS,
	IBVMIG_TAG_UNPATH, IBVMIG_TAG_ALIAS_GUARD, IBVMIG_TAG_TTL_MS, IBVMIG_TAG_CAPACITY,
	IBVMIG_TAG_ENTRIES, IBVMIG_TAG_LIVE_ALIASES, IBVMIG_TAG_SUBSCRIBERS,
	IBVMIG_TAG_STATE_FILE, IBVMIG_TAG_LAST_SAVE_MS, IBVMIG_TAG_SUBSCRIBER_GUID,
	IBVMIG_TAG_QPN, IBVMIG_TAG_TRAP, IBVMIG_TAG_LID_RANGE_BEGIN, IBVMIG_TAG_LID_RANGE_END,
	IBVMIG_TAG_DELETES, IBVMIG_TAG_REPLACED, IBVMIG_TAG_SETS, IBVMIG_TAG_CREATED,
	IBVMIG_TAG_RESTARTED, IBVMIG_TAG_MOVED_SAME_LID, IBVMIG_TAG_MIGRATED,
	IBVMIG_TAG_EXPIRED, IBVMIG_TAG_EVICTED, IBVMIG_TAG_FLUSHED, IBVMIG_TAG_REJECTED,
	IBVMIG_TAG_RESTORED, IBVMIG_TAG_UNPATH_SENT, IBVMIG_TAG_REPATH_SENT,
	IBVMIG_TAG_NOTICES_FAILED, IBVMIG_TAG_GUARD_REFUSED, IBVMIG_TAG_RECONCILES,
	IBVMIG_TAG_RECONCILE_EVENTS, IBVMIG_TAG_SAVES, IBVMIG_TAG_SAVE_ERRORS,
	IBVMIG_TAG_ADMIN_REQUESTS, IBVMIG_TAG_ADMIN_ERRORS, IBVMIG_TAG_HOOK_ERRORS,
	IBVMIG_TAG_PORT_LID_CHANGES, IBVMIG_TAG_COUNT, IBVMIG_TAG_NOW_MS,
	IBVMIG_TAG_HOOK_CALLS, IBVMIG_TAG_HOOK_NS, IBVMIG_TAG_HOOK_MAX_NS,
	IBVMIG_TAG_UNSAVED_CHANGES, IBVMIG_TAG_ALIASES_BEFORE_RESTART,
	IBVMIG_TAG_MIGRATED_WHILE_DOWN,
	IBVMIG_TAG_MAX = IBVMIG_TAG_MIGRATED_WHILE_DOWN
};

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

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig.h - ibvmig's wire formats, each with one encoder and one decoder
 * that the plugin, the host tools, the CLIs and the tests all call:
 *
 *  - the data details of the RePath (69) and UnPath (68) notices
 *    (doc/notice-details.md), and the IBA Notice attribute that carries them;
 *  - the admin socket protocol between the plugin and `ibvmig`
 *    (doc/admin-protocol.md).
 *
 * Structures hold host-order values; byte order is handled only inside the
 * codecs.  Decoders validate and return 0 or a negative errno value.
 * Nothing here allocates, locks or keeps state: every function is safe to
 * call from any thread.
 */
#ifndef IBVMIG_H
#define IBVMIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== RePath / UnPath notices ============================================ */

/* IBA 1.3 vol 1, 14.2.5.1: traps 68/69 are defined, their details are not. */
#define IBVMIG_TRAP_UNPATH 68
#define IBVMIG_TRAP_REPATH 69

#define IBVMIG_NOTICE_VERSION 1
#define IBVMIG_NOTICE_DETAILS_LEN 54	/* Notice DataDetails, IBA 13.4.8.2 */
#define IBVMIG_NOTICE_LEN 80		/* the whole Notice attribute */

/* Notice type and producer the SM uses for its own traps 64-67 (IBA 13.4.8.2). */
#define IBVMIG_NOTICE_TYPE_INFO 4
#define IBVMIG_NOTICE_PRODUCER_CLASS_MGR 4

/*
 * Why a notice was sent.  0-3 are the trap table's verdicts (enum tt_verdict)
 * with the same values; 4-6 come from deletes and from the SM's sweeps.
 */
enum ibvmig_reason {
	IBVMIG_REASON_CREATED = 0,		/* never sent: nobody held a path */
	IBVMIG_REASON_RESTARTED = 1,		/* RePath: same LID, same port */
	IBVMIG_REASON_MOVED_SAME_LID = 2,	/* RePath: the LID moved with it */
	IBVMIG_REASON_MIGRATED = 3,		/* RePath: a new LID */
	IBVMIG_REASON_DELETED = 4,		/* UnPath: the vGUID left its port */
	IBVMIG_REASON_PORT_LID_CHANGED = 5,	/* RePath: its base port's LID changed */
	IBVMIG_REASON_PORT_GONE = 6,		/* UnPath: its base port left the fabric */
};
#define IBVMIG_REASON_MAX IBVMIG_REASON_PORT_GONE

/*
 * The 54 data-details bytes of traps 68 and 69.  The vGID sits at offset 6,
 * where traps 64-67 carry their GID, so a generic notice parser finds it.
 * For an UnPath, new_lid and new_port_guid are 0.
 */
struct ibvmig_path_notice {
	uint8_t version;		/* IBVMIG_NOTICE_VERSION when decoded */
	uint8_t reason;			/* enum ibvmig_reason */
	uint16_t new_lid;
	uint16_t old_lid;
	uint64_t subnet_prefix;		/* vGID = subnet_prefix : vguid */
	uint64_t vguid;
	uint64_t new_port_guid;
	uint64_t old_port_guid;
	uint32_t epoch;			/* the SM's trap-table epoch... */
	uint64_t seq;			/* ...and the event's place in it */
};

/* Encodes @n (its version field is ignored: the current one is written). */
void ibvmig_details_encode(const struct ibvmig_path_notice *n,
			   uint8_t details[IBVMIG_NOTICE_DETAILS_LEN]);
/* -EPROTONOSUPPORT for another version, -EPROTO for an unknown reason. */
int ibvmig_details_decode(const uint8_t details[IBVMIG_NOTICE_DETAILS_LEN],
			  struct ibvmig_path_notice *n);

/* The IBA Notice attribute (13.4.8.2), as a Report(Notice) carries it. */
struct ibvmig_notice {
	bool generic;
	uint8_t type;
	uint32_t producer_or_vendor;	/* 24 bits */
	uint16_t trap_or_device;	/* trap number when generic */
	uint16_t issuer_lid;
	bool toggle;
	uint16_t count;			/* 15 bits */
	uint8_t details[IBVMIG_NOTICE_DETAILS_LEN];
	uint8_t issuer_gid[16];
};

void ibvmig_notice_encode(const struct ibvmig_notice *n, uint8_t attr[IBVMIG_NOTICE_LEN]);
void ibvmig_notice_decode(const uint8_t attr[IBVMIG_NOTICE_LEN], struct ibvmig_notice *n);

/*
 * Decodes a Notice that must be one of ours: generic trap 68 or 69 with valid
 * details.  Returns the trap number (68/69), -ENOMSG for any other notice,
 * or the details decoder's error.
 */
int ibvmig_path_notice_decode(const uint8_t attr[IBVMIG_NOTICE_LEN],
			      struct ibvmig_path_notice *n);

/*
 * Ordering of notices about one vGUID (each SM start picks a new epoch):
 * true when (@epoch, @seq) should replace what a receiver holds from
 * (@held_epoch, @held_seq) - a higher sequence in the same epoch, or any
 * sequence of another epoch.
 */
bool ibvmig_stamp_is_newer(uint32_t epoch, uint64_t seq, uint32_t held_epoch,
			   uint64_t held_seq);

const char *ibvmig_reason_name(unsigned reason);

/* ==== admin socket protocol (doc/admin-protocol.md) ======================= */

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

/* Field types of response records. */
enum ibvmig_admin_type {
	IBVMIG_ADMIN_T_UINT = 1,	/* 8 bytes */
	IBVMIG_ADMIN_T_GUID = 2,	/* 8 bytes, shown as 0x%016x */
	IBVMIG_ADMIN_T_STR = 3,		/* 0..255 bytes, no NUL */
	IBVMIG_ADMIN_T_BOOL = 4,	/* 1 byte */
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
	IBVMIG_TAG_MAX = IBVMIG_TAG_HOOK_MAX_NS
};

struct ibvmig_admin_field {
	uint16_t tag;
	uint8_t type;			/* enum ibvmig_admin_type */
	uint64_t value;			/* UINT, GUID, BOOL */
	char str[256];			/* STR, NUL-terminated */
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
 * Building a response: header, then records of fields.  The writer owns a
 * growing buffer; after ibvmig_admin_writer_finish() the caller owns *buf and
 * frees it.  Memory failures are sticky and reported by finish (-ENOMEM).
 */
struct ibvmig_admin_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t record_at;	/* offset of the open record's field count */
	uint32_t records;
	uint16_t fields;
	uint8_t op;
	bool failed;
};

void ibvmig_admin_writer_init(struct ibvmig_admin_writer *w, uint8_t op);
void ibvmig_admin_begin_record(struct ibvmig_admin_writer *w);
void ibvmig_admin_put_uint(struct ibvmig_admin_writer *w, uint16_t tag, uint64_t v);
void ibvmig_admin_put_guid(struct ibvmig_admin_writer *w, uint16_t tag, uint64_t v);
void ibvmig_admin_put_bool(struct ibvmig_admin_writer *w, uint16_t tag, bool v);
void ibvmig_admin_put_str(struct ibvmig_admin_writer *w, uint16_t tag, const char *s);
int ibvmig_admin_writer_finish(struct ibvmig_admin_writer *w, uint16_t status, uint8_t **buf,
			       size_t *len);
void ibvmig_admin_writer_discard(struct ibvmig_admin_writer *w);

/* Reading a response body: records, then their fields. */
struct ibvmig_admin_reader {
	const uint8_t *body;
	size_t len, off;
	uint32_t records_left;
	uint16_t fields_left;
};

/* -EBADMSG when the body is not a well-formed record list. */
int ibvmig_admin_reader_init(struct ibvmig_admin_reader *r, const uint8_t *body, size_t len);
/* 1 and the next record started, 0 at the end, -EBADMSG. */
int ibvmig_admin_next_record(struct ibvmig_admin_reader *r);
/* 1 and @f filled, 0 at the end of the record, -EBADMSG. */
int ibvmig_admin_next_field(struct ibvmig_admin_reader *r, struct ibvmig_admin_field *f);

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

/* Blocking full-length I/O on a socket with a deadline; 0 or -errno. */
int ibvmig_io_write_all(int fd, const void *buf, size_t len, int timeout_ms);
int ibvmig_io_read_all(int fd, void *buf, size_t len, int timeout_ms);

/* ==== the plugin's configuration file (doc/ibvmig.conf.5) ================ */

#define IBVMIG_CONF_GUARD_ALLOW_MAX 32

enum ibvmig_log_level {
	IBVMIG_LOG_ERROR = 0,
	IBVMIG_LOG_INFO = 1,
	IBVMIG_LOG_VERBOSE = 2,
	IBVMIG_LOG_DEBUG = 3,
};

struct ibvmig_conf {
	uint64_t trap_ttl_ms;		/* trap_ttl (seconds); 0 = never expire */
	uint32_t trap_capacity;		/* trap_capacity */
	bool unpath;			/* unpath */
	char state_dir[256];		/* state_dir; "" = $OSM_CACHE_DIR/ibvmig */
	char admin_socket[108];		/* admin_socket (sun_path size) */
	uint32_t admin_socket_mode;	/* admin_socket_mode, octal */
	bool alias_guard;		/* alias_guard */
	uint64_t guard_allow[IBVMIG_CONF_GUARD_ALLOW_MAX];	/* alias_guard_allow */
	unsigned guard_allow_count;
	enum ibvmig_log_level log_level;	/* log_level */
	uint32_t save_delay_ms;		/* save_delay_ms */
};

void ibvmig_conf_defaults(struct ibvmig_conf *c);
/*
 * Reads "key value" lines ('#' starts a comment).  All or nothing: on any
 * error *@c holds the defaults, -EINVAL (or -errno of fopen) is returned and
 * @err says "FILE:LINE: what".  A NULL or empty @path gives the defaults.
 */
int ibvmig_conf_load(const char *path, struct ibvmig_conf *c, char *err, size_t errlen);
/* The same for a string, for tests and for `ibvmig` to check a file. */
int ibvmig_conf_parse(const char *text, const char *name, struct ibvmig_conf *c, char *err,
		      size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_H */

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
	IBVMIG_TAG_UNSAVED_CHANGES, IBVMIG_TAG_ALIASES_BEFORE_RESTART,
	IBVMIG_TAG_MIGRATED_WHILE_DOWN,
	IBVMIG_TAG_MAX = IBVMIG_TAG_MIGRATED_WHILE_DOWN
};

struct ibvmig_admin_field {
	uint16_t tag;
	uint8_t type;			/* enum ibvmig_admin_type */
	uint8_t len;			/* bytes on the wire (a STR may hold a NUL) */
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
 *
 * The record list is also the body of every VM channel message (see below):
 * ibvmig_admin_writer_init_frame() leaves room for another protocol's
 * @header_len-byte header and refuses to grow past @max bytes (a sticky
 * failure, like memory); ibvmig_admin_writer_take() closes the list, patches
 * its record count and hands the whole buffer over with the header bytes
 * left for the caller to write.  The reader below reads either protocol's
 * bodies.
 */
struct ibvmig_admin_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t header_len;	/* bytes before the record count */
	size_t max;		/* the most the buffer may hold */
	size_t record_at;	/* offset of the open record's field count */
	uint32_t records;
	uint16_t fields;
	uint8_t op;
	bool failed;
};

void ibvmig_admin_writer_init(struct ibvmig_admin_writer *w, uint8_t op);
void ibvmig_admin_writer_init_frame(struct ibvmig_admin_writer *w, size_t header_len,
				    size_t max);
/* 0, or -ENOMEM (memory or @max exceeded; the writer is then discarded). */
int ibvmig_admin_writer_take(struct ibvmig_admin_writer *w, uint8_t **buf, size_t *len);
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

/*
 * Listen on a Unix stream socket at @path with permissions @mode, non-blocking
 * and close-on-exec.  A stale socket left by a dead server is replaced; a
 * socket some process still serves (-EADDRINUSE) and a file that is not a
 * socket (-EEXIST) are left alone.  Returns the descriptor or -errno.
 */
int ibvmig_unix_listen(const char *path, unsigned mode, int backlog);

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

/* ==== VM channel (doc/vm-channel.md) ===================================== */

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
	/* agent -> VM, unsolicited (id 0, no reply) */
	IBVMIG_VMC_NOTICE = 0x40,	/* a forwarded RePath/UnPath */
};

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

/* Field tags (doc/vm-channel.md has their types); names are JSON keys. */
enum ibvmig_vmc_tag {
	IBVMIG_VMC_TAG_NAME = 1, IBVMIG_VMC_TAG_VGUID, IBVMIG_VMC_TAG_GID_PREFIX,
	IBVMIG_VMC_TAG_GID_GUID, IBVMIG_VMC_TAG_ERROR, IBVMIG_VMC_TAG_TEXT,
	IBVMIG_VMC_TAG_COUNT, IBVMIG_VMC_TAG_INDEX, IBVMIG_VMC_TAG_CID,
	IBVMIG_VMC_TAG_CONNECTED, IBVMIG_VMC_TAG_INTERESTS, IBVMIG_VMC_TAG_NOTICES,
	IBVMIG_VMC_TAG_SUBNET_PREFIX, IBVMIG_VMC_TAG_PORT_GUID, IBVMIG_VMC_TAG_LID,
	IBVMIG_VMC_TAG_SM_LID, IBVMIG_VMC_TAG_CA, IBVMIG_VMC_TAG_PORT,
	IBVMIG_VMC_TAG_VERSION,
	/* a PathRecord (IBA 15.2.5.16), field by field */
	IBVMIG_VMC_TAG_SERVICE_ID = 32, IBVMIG_VMC_TAG_DGID_PREFIX, IBVMIG_VMC_TAG_DGID_GUID,
	IBVMIG_VMC_TAG_SGID_PREFIX, IBVMIG_VMC_TAG_SGID_GUID, IBVMIG_VMC_TAG_DLID,
	IBVMIG_VMC_TAG_SLID, IBVMIG_VMC_TAG_RAW_TRAFFIC, IBVMIG_VMC_TAG_FLOW_LABEL,
	IBVMIG_VMC_TAG_HOP_LIMIT, IBVMIG_VMC_TAG_TCLASS, IBVMIG_VMC_TAG_REVERSIBLE,
	IBVMIG_VMC_TAG_NUMB_PATH, IBVMIG_VMC_TAG_PKEY, IBVMIG_VMC_TAG_QOS_CLASS,
	IBVMIG_VMC_TAG_SL, IBVMIG_VMC_TAG_MTU_SELECTOR, IBVMIG_VMC_TAG_MTU,
	IBVMIG_VMC_TAG_RATE_SELECTOR, IBVMIG_VMC_TAG_RATE, IBVMIG_VMC_TAG_PKT_LIFE_SELECTOR,
	IBVMIG_VMC_TAG_PKT_LIFE, IBVMIG_VMC_TAG_PREFERENCE, IBVMIG_VMC_TAG_STAMPED,
	IBVMIG_VMC_TAG_EPOCH, IBVMIG_VMC_TAG_SEQ,
	/* a RePath/UnPath notice (doc/notice-details.md) */
	IBVMIG_VMC_TAG_TRAP = 64, IBVMIG_VMC_TAG_REASON, IBVMIG_VMC_TAG_NEW_LID,
	IBVMIG_VMC_TAG_OLD_LID, IBVMIG_VMC_TAG_NEW_PORT_GUID, IBVMIG_VMC_TAG_OLD_PORT_GUID,
	/* the agent's status */
	IBVMIG_VMC_TAG_VMS = 80, IBVMIG_VMC_TAG_VMS_CONNECTED, IBVMIG_VMC_TAG_REPORTS,
	IBVMIG_VMC_TAG_NOTICES_FORWARDED, IBVMIG_VMC_TAG_PATH_QUERIES,
	IBVMIG_VMC_TAG_SA_ERRORS, IBVMIG_VMC_TAG_UPTIME_MS, IBVMIG_VMC_TAG_SUBSCRIPTIONS,
	IBVMIG_VMC_TAG_SM_RESETS, IBVMIG_VMC_TAG_REATTACHED, IBVMIG_VMC_TAG_NOTICES_MISSED,
	IBVMIG_VMC_TAG_VMS_DROPPED,
	IBVMIG_VMC_TAG_MAX = IBVMIG_VMC_TAG_VMS_DROPPED
};

struct ibvmig_sa_path;		/* ibvmig_sa.h; only pointed to here */

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
			 * when it asked the SA, for pc_insert() (path_cache.h).
			 */
			bool stamped;
			uint32_t epoch;
			uint64_t seq;
		} path;
		struct {
			uint64_t vguid;	/* never 0 */
			uint32_t index;	/* 1..255; 0 in a request: the agent chooses */
			char name[IBVMIG_VMC_NAME_MAX + 1];	/* ATTACH: for this VM, or "" */
		} alias;
		struct ibvmig_vmc_vm vm;
		struct ibvmig_vmc_agent agent;
		struct {
			uint16_t trap;	/* IBVMIG_TRAP_UNPATH or IBVMIG_TRAP_REPATH */
			struct ibvmig_path_notice n;
		} notice;
	};
	/* Decoded messages only: the item records, read with ibvmig_vmc_next_*(). */
	uint32_t n_items;
	struct ibvmig_admin_reader items;	/* private; points into the decoded buffer */
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
/* The path of a decoded successful PATH_QUERY reply; -EINVAL for another message. */
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
	struct ibvmig_admin_writer rec;	/* private, all of it */
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

/* The status that answers a negative errno (0 for 0; unknown ones: E_FAILED). */
uint16_t ibvmig_vmc_status_from_errno(int err);
/* The negative errno of a status (0 for OK; -EIO for unknown statuses). */
int ibvmig_vmc_status_errno(uint16_t status);
const char *ibvmig_vmc_status_text(unsigned status);
/* "hello", "path-query", ... ; a reply's name is its request's; NULL if unknown. */
const char *ibvmig_vmc_type_name(uint8_t type);
/* The JSON key of a tag, NULL for an unknown tag. */
const char *ibvmig_vmc_tag_name(uint16_t tag);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lid_escrow.h - libibvmig-escrow, the LID/P_Key escrow (after S. Sturm's
 * 2013 thesis, section 3.5.1): a VM with a LID of its own (a dedicated HCA
 * port, or a VF behind an HCA's vSwitch) takes its LID and its partition
 * memberships along when it migrates, so that no peer re-paths.
 *
 *   RELEASE P [dest D]  the SM keeps P's LID L reserved, gives P another
 *                       LID, takes P's memberships other than the default
 *                       into the escrow, and answers with a fresh 128-bit
 *                       token (shown once: only its hash is kept);
 *   CLAIM Q token       L and the memberships move to Q, Q's old LID is
 *                       freed;
 *   CANCEL P token      (before a claim) L and the memberships go back to P;
 *   QUERY token         held / moving / live / cancelled / expired;
 *   expiry              a held escrow not claimed within the TTL ends: L
 *                       returns to the free pool, the memberships to nobody.
 *
 * The core decides and records; it never touches the subnet.  Its caller
 * (the SM-side service) passes what the SM knows about the port a request
 * names (struct esc_port: aliases, LID, MTU, rate, memberships and where
 * each comes from), the port the request came from, the vSwitch -> PF map
 * of its configuration, whether the SM is master, and the time; it gets a
 * verdict back (struct esc_answer) and performs the side effects the core
 * queues (struct esc_action, esc_next_action), reporting a move's end with
 * esc_move_live().  Every change is written to the journal
 * (ibvmig_journal.h) and fsync'd before the call that made it returns, so
 * an answer never promises what a crash could undo.
 *
 * Who may ask: RELEASE, CLAIM and CANCEL only the port a request names, or
 * the PF port declared for the vSwitch that port sits behind ("vswitch
 * <switch node GUID> pf <port GUID>"); QUERY only those of the source, of a
 * named destination, or of the claimant.  Failed token requests are limited
 * per requester (fail_limit per fail_window_ms).  A retransmission (same
 * requester, same TID, same request) gets the first answer again.
 *
 * Time: milliseconds on the wall clock (a TTL must run across an SM
 * restart).  A time that goes back is clamped to the latest seen.
 *
 * THREAD SAFETY: a handle is not locked; the caller serialises every call
 * on it (the plugin service holds its own mutex), its journal's included.
 * The random and lid_holder callbacks are called from within the calls.
 *
 * ERRORS: the four requests return an enum esc_status (also in
 * answer->status); the other functions 0 or a negative errno value.  Nothing
 * here exits or prints.
 *
 * OWNERSHIP: the caller owns the journal handle (locked; opened by
 * esc_open, or by its owner when the journal is shared) and keeps it alive
 * while the escrow handle lives; esc_create copies the vSwitch map.  The
 * SM's LID allocator must skip every LID esc_lid_reserved() reports.
 */
#ifndef IBVMIG_LID_ESCROW_H
#define IBVMIG_LID_ESCROW_H

#include "ibvmig_journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESC_TOKEN_LEN 16
#define ESC_KEYS_MAX 60			/* memberships one escrow holds (the MAD's bound) */
#define ESC_LID_MIN 0x0001		/* unicast LIDs, IBA 1.3 vol 1, 4.1.3 */
#define ESC_LID_MAX 0xBFFF
#define ESC_CAPACITY_MAX (ESC_LID_MAX - ESC_LID_MIN + 1)	/* one LID each */
/* P_Keys (IBA 10.9.1.2): bit 15 is the membership type, the low 15 bits the key. */
#define ESC_PKEY_FULL 0x8000
#define ESC_PKEY_BASE_MASK 0x7FFF
#define ESC_PKEY_DEFAULT 0x7FFF		/* the default partition's base: never moved */

/* The escrow's journal record types (JNL_TYPE_ESCROW_MIN..MAX). */
#define ESC_JREC_META 0x0100
#define ESC_JREC_ESCROW 0x0101

/* Every verdict; the values are the escrow MADs' status codes (ibvmig_escrow.h). */
enum esc_status {
	ESC_OK = 0,
	ESC_E_MALFORMED = 1,		/* a field out of range, a TID reused for another request */
	ESC_E_UNKNOWN_TOKEN = 2,
	ESC_E_EXPIRED_TOKEN = 3,
	ESC_E_USED_TOKEN = 4,		/* claimed or cancelled already */
	ESC_E_WRONG_REQUESTER = 5,	/* not the port, not its PF, not the destination named */
	ESC_E_PORT_HAS_ALIASES = 6,
	ESC_E_PORT_IN_ESCROW = 7,	/* the port is already in an escrow that is not over */
	ESC_E_PATH_DIFFERS = 8,		/* the claimant's MTU or rate is below the source's */
	ESC_E_GROUP_RULE_KEY = 9,	/* a membership held only through a group rule */
	ESC_E_LID_BUSY = 10,		/* the LID is another port's or another escrow's */
	ESC_E_NOT_MASTER = 11,
	ESC_E_JOURNAL = 12,		/* journal unavailable: nothing could be made durable */
	ESC_E_RATE_LIMITED = 13,	/* too many failed token requests from this port */
	ESC_E_CAPACITY = 14,		/* escrows, memberships or pending actions at their bound */
	ESC_E_INTERNAL = 15,		/* the random source failed */
};
#define ESC_STATUS_MAX ESC_E_INTERNAL

enum esc_state {
	ESC_HELD = 1,			/* released, waiting for a claim */
	ESC_MOVING = 2,			/* claimed (or cancelled): the move is queued */
	ESC_LIVE = 3,			/* the claimant holds the LID and the keys */
	ESC_CANCELLED = 4,		/* the source holds them again */
	ESC_EXPIRED = 5,		/* the TTL passed: LID freed, keys to nobody */
};
#define ESC_STATE_MAX ESC_EXPIRED

/* Where a port's membership comes from in the SM's partition file. */
enum esc_key_source {
	ESC_KEY_EXPLICIT = 0,		/* the port is named (it may also match a group rule) */
	ESC_KEY_GROUP = 1,		/* only a group rule (ALL, ALL_CAS, ...) gives it */
};

struct esc_key {
	uint16_t pkey;			/* base | ESC_PKEY_FULL for a full member */
	uint8_t source;			/* enum esc_key_source */
};

/* What the SM knows of the port a request names. */
struct esc_port {
	uint64_t guid;
	uint64_t vswitch;		/* node GUID of the vSwitch it is behind; 0: none */
	bool has_aliases;		/* it holds alias GUIDs (vGUIDs) now */
	uint16_t lid;			/* its LID now (CLAIM: 0 if it has none yet) */
	uint8_t mtu;			/* IBA MTU code, 1 (256) .. 5 (4096) */
	uint8_t rate;			/* IBA rate code, 2..22 (esc_rate_mbps) */
	const struct esc_key *keys;	/* RELEASE: its memberships, the default included or not */
	size_t nkeys;
};

/*
 * One request.  Which port facts count: RELEASE all of them; CLAIM guid,
 * vswitch, has_aliases, lid, mtu, rate; CANCEL guid, vswitch, has_aliases,
 * lid; QUERY guid and vswitch.
 */
struct esc_request {
	uint64_t requester;		/* port GUID the MAD came from (the SM's lookup) */
	uint64_t tid;			/* the MAD's TransactionID */
	bool master;			/* the SM is master now */
	uint64_t now_ms;
	uint64_t dest;			/* RELEASE: the destination port named; 0: any */
	uint8_t token[ESC_TOKEN_LEN];	/* CLAIM, CANCEL, QUERY */
	struct esc_port port;		/* RELEASE/CANCEL: the source; CLAIM: the claimant */
};

/* An escrow as the core holds it (never its token). */
struct esc_view {
	uint64_t id;
	enum esc_state state;
	bool to_source;			/* MOVING back to the source (a cancel) */
	uint16_t lid;
	uint8_t mtu;			/* the source's, at the release */
	uint8_t rate;
	uint64_t source;
	uint64_t dest;			/* named at the release; 0: any */
	uint64_t claimant;		/* the port the LID moves (moved) to; 0 before a claim */
	uint16_t claimant_old_lid;	/* its LID before the move */
	uint64_t created_ms;
	uint64_t changed_ms;		/* of the last state change */
	uint64_t expires_ms;		/* when a held escrow expires */
	uint16_t nkeys;
	uint16_t keys[ESC_KEYS_MAX];	/* pkey | ESC_PKEY_FULL, in the order given */
};

struct esc_answer {
	enum esc_status status;
	bool retransmit;		/* the first answer to this (requester, TID) again */
	uint8_t token[ESC_TOKEN_LEN];	/* RELEASE answered ESC_OK only */
	struct esc_view view;		/* ESC_OK: the escrow; all zero otherwise */
	uint64_t retry_after_ms;	/* ESC_E_RATE_LIMITED: when the port may try again */
};

/*
 * The side effects the caller performs, in the order queued.  Each must be
 * idempotent on the SM's side: after a restart esc_start() queues again a
 * RESERVE for every held escrow and a MOVE for every moving one.
 */
enum esc_action_type {
	/* Keep .lid out of the free pool; .port (the source) gets another LID, loses .keys. */
	ESC_ACT_RESERVE = 1,
	/*
	 * Give .lid and .keys to .port (the claimant, or the source again when
	 * .to_source) and free the LID it held (.old_lid when known); then call
	 * esc_move_live(.id).  The source holds neither any longer unless .to_source.
	 */
	ESC_ACT_MOVE = 2,
	/* .lid returns to the free pool; the keys go to nobody. */
	ESC_ACT_FREE = 3,
};

struct esc_action {
	enum esc_action_type type;
	uint64_t id;
	uint16_t lid;
	uint64_t port;
	uint64_t source;
	bool to_source;
	uint16_t old_lid;
	uint16_t nkeys;
	uint16_t keys[ESC_KEYS_MAX];
};

/* The operator's "vswitch <switch node GUID> pf <port GUID>" lines. */
struct esc_vswitch {
	uint64_t switch_guid;
	uint64_t pf_guid;
};

/* Fills @buf with @len random bytes: 0 or -errno. */
typedef int (*esc_random_fn)(void *ctx, void *buf, size_t len);
/* The port the SM has assigned @lid to, 0 for none. */
typedef uint64_t (*esc_lid_holder_fn)(void *ctx, uint16_t lid);

struct esc_config {
	struct jnl *journal;		/* required: locked, opened by esc_open or by its owner */
	bool compact;			/* compact the journal when due (its only user) */
	uint32_t capacity;		/* escrows held or moving, 1..ESC_CAPACITY_MAX; 0: 1024 */
	uint32_t tomb_capacity;		/* finished escrows kept for QUERY; 0: capacity */
	uint64_t ttl_ms;		/* a held escrow's life; 0: 10 minutes */
	uint64_t tomb_ms;		/* how long a finished one is kept; 0: 1 hour */
	uint32_t fail_limit;		/* failed token requests per port per window; 0: 8 */
	uint64_t fail_window_ms;	/* 0: 60 s */
	uint32_t rate_capacity;		/* requester ports tracked; 0: 256 */
	uint32_t retrans_capacity;	/* answers kept for retransmissions; 0: 256 */
	uint64_t retrans_ms;		/* and for how long; 0: 30 s */
	const struct esc_vswitch *vswitches;
	size_t nvswitches;
	esc_random_fn random;		/* NULL: getrandom(2) */
	void *random_ctx;
	esc_lid_holder_fn lid_holder;	/* NULL: no LID is assigned elsewhere */
	void *lid_holder_ctx;
};

struct esc_stats {
	uint32_t held;
	uint32_t moving;
	uint32_t finished;		/* kept for QUERY */
	uint32_t capacity;
	uint32_t pending_actions;
	uint64_t requests[4];		/* release, claim, cancel, query */
	uint64_t status[ESC_STATUS_MAX + 1];	/* answers by status */
	uint64_t retransmits;
	uint64_t expired;
	uint64_t moves_live;
	uint64_t journal_errors;
	uint64_t compactions;
	uint64_t compaction_errors;
	uint64_t replayed;		/* journal records applied at the start */
};

/* NULL with errno (EINVAL: bad config, ENOMEM).  esc_destroy frees (NULL: no-op). */
struct esc *esc_create(const struct esc_config *cfg);
void esc_destroy(struct esc *e);

/*
 * Start-up.  esc_open() opens the journal (jnl_open, replaying its records
 * into the handle) and calls esc_start(): for a journal the escrow owns
 * alone.  A journal shared with other owners is opened by its owner with a
 * callback that passes the escrow's records (JNL_TYPE_ESCROW_MIN..MAX) to
 * esc_journal_apply (which ignores other types), then esc_start().
 * esc_start validates what was replayed, drops finished escrows past their
 * time and queues the recovery actions.  Until it succeeds every request is
 * answered ESC_E_JOURNAL.  Errors: -EBADMSG (a record that cannot be right:
 * the service must stop, not forget reserved LIDs), -ENOSPC (more escrows
 * than the capacity), the journal's errors.  After an error the handle must
 * be destroyed.
 */
int esc_open(struct esc *e, uint64_t now_ms, struct jnl_report *rep);
int esc_journal_apply(void *esc, const struct jnl_record *rec);
int esc_start(struct esc *e, uint64_t now_ms);
/* The escrow's part of a compaction (a jnl_snapshot_fn). */
int esc_journal_snapshot(void *esc, struct jnl_snap *snap);

/* The four requests: the verdict, also in @ans (which is always filled). */
enum esc_status esc_release(struct esc *e, const struct esc_request *req, struct esc_answer *ans);
enum esc_status esc_claim(struct esc *e, const struct esc_request *req, struct esc_answer *ans);
enum esc_status esc_cancel(struct esc *e, const struct esc_request *req, struct esc_answer *ans);
enum esc_status esc_query(struct esc *e, const struct esc_request *req, struct esc_answer *ans);

/*
 * The caller applied the MOVE of escrow @id: it becomes live (cancelled for
 * a move back to the source), durably.  0, -ENOENT (no such escrow moving),
 * -EIO (journal).
 */
int esc_move_live(struct esc *e, uint64_t id, uint64_t now_ms);

/* Ends every held escrow past its TTL (queues FREE actions): how many, or -EIO. */
int esc_expire(struct esc *e, uint64_t now_ms);

/*
 * The operator ends held escrow @id now, as its expiry would (`ibvmig escrow
 * cancel`): durably, L back to the free pool, the keys to nobody, a FREE
 * action queued; its token reads expired.  Nobody's token is needed, so
 * only the operator's socket may call this.  0, -ENOENT (no such escrow),
 * -EBUSY (not held: moving or over), -ENOSPC (the action queue is full),
 * -EIO (journal).
 */
int esc_end(struct esc *e, uint64_t id, uint64_t now_ms);

/* The oldest queued action: 0 and @act filled, or -ENOENT. */
int esc_next_action(struct esc *e, struct esc_action *act);

/* Whether @lid is held by an escrow (held or moving): the allocator must skip it. */
bool esc_lid_reserved(const struct esc *e, uint16_t lid);

/* One escrow (0 or -ENOENT); all of them, malloc'ed, oldest id first (0 or -ENOMEM). */
int esc_get(const struct esc *e, uint64_t id, struct esc_view *v);
int esc_list(const struct esc *e, struct esc_view **out, size_t *n);

/* Replaces the vSwitch -> PF map (a reloaded configuration): 0, -EINVAL, -ENOMEM. */
int esc_set_vswitches(struct esc *e, const struct esc_vswitch *v, size_t n);

void esc_get_stats(const struct esc *e, struct esc_stats *st);
/* What esc_start or esc_journal_apply refused, for the log line (static text; "" if nothing). */
const char *esc_why(const struct esc *e);

/* Mb/s of an IBA rate code (the PathRecord Rate encoding, IBA vol 1, 15.2.5.16); 0 if invalid. */
unsigned esc_rate_mbps(uint8_t rate);

const char *esc_strerror(enum esc_status s);
const char *esc_state_name(enum esc_state s);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_LID_ESCROW_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * esc_internal.h - private to libibvmig-escrow: the handle, the records and
 * the steps escrow.c (the requests) and escrow_journal.c (replay, snapshot,
 * start-up) share, so that a replayed record changes the state through the
 * very code a request uses.
 *
 * Not locked: the caller of the public API serialises every call.
 */
#ifndef IBVMIG_ESC_INTERNAL_H
#define IBVMIG_ESC_INTERNAL_H

#include "lid_escrow.h"
#include "esc_crypto.h"
#include "esc_map.h"

/* One escrow, live or finished; a free slot when !used. */
struct esc_rec {
	struct esc_view v;
	uint8_t hash[ESC_SHA256_LEN];	/* of the token (esc_token_hash) */
	uint32_t prev;			/* links in the held list, the finished list, or */
	uint32_t next;			/* (next only) the free list */
	bool used;
};

/* A list of slots in time order (held: by expiry; finished: by last change). */
struct esc_list {
	uint32_t head;
	uint32_t tail;
	uint32_t count;
};

/* One answer kept for a retransmission. */
struct esc_rt {
	uint64_t requester;
	uint64_t tid;
	uint64_t at_ms;
	uint64_t port;
	uint64_t dest;
	uint8_t token[ESC_TOKEN_LEN];
	uint8_t op;
	bool valid;
	struct esc_answer ans;
};

/* Failed token requests of one requester in its current window. */
struct esc_rl {
	uint64_t requester;
	uint64_t window_start;
	uint32_t fails;
	bool valid;
};

enum esc_op { ESC_OP_RELEASE = 0, ESC_OP_CLAIM = 1, ESC_OP_CANCEL = 2, ESC_OP_QUERY = 3 };

struct esc {
	struct jnl *jnl;
	bool compact;
	uint32_t capacity;
	uint32_t tomb_capacity;
	uint32_t nslots;
	uint64_t ttl_ms;
	uint64_t tomb_ms;
	uint32_t fail_limit;
	uint64_t fail_window_ms;
	uint64_t retrans_ms;
	esc_random_fn random;
	void *random_ctx;
	esc_lid_holder_fn lid_holder;
	void *lid_holder_ctx;
	struct esc_vswitch *vsw;	/* sorted by switch GUID */
	size_t nvsw;

	bool started;
	uint64_t next_id;
	uint64_t latest_ms;		/* the clock never goes back past this */
	const char *why;

	struct esc_rec *recs;		/* nslots = capacity + tomb_capacity */
	uint32_t free_head;
	struct esc_list held;
	struct esc_list done;		/* finished escrows, kept for QUERY */
	uint32_t nmoving;
	uint32_t *by_lid;		/* [ESC_LID_MAX + 1]: slot + 1 of the escrow holding it */
	struct esc_map by_token;	/* first 64 bits of the token hash -> slot */
	struct esc_map by_id;
	struct esc_map by_port;		/* source and claimant of escrows not over -> slot */

	struct esc_rt *rt;
	uint32_t rt_cap;
	uint32_t rt_next;
	struct esc_map rt_map;
	struct esc_rl *rl;
	uint32_t rl_cap;
	uint32_t rl_next;
	struct esc_map rl_map;

	struct esc_action *outbox;	/* a ring */
	uint32_t ob_cap;
	uint32_t ob_head;
	uint32_t ob_count;

	struct esc_stats st;
};

/* The clock of the handle: @now, or the latest time seen if it is later. */
uint64_t esc_clock(struct esc *e, uint64_t now);
void esc_token_hash(const uint8_t token[ESC_TOKEN_LEN], uint8_t hash[ESC_SHA256_LEN]);

uint32_t esc_find_id(const struct esc *e, uint64_t id);
bool esc_port_busy(const struct esc *e, uint64_t guid);
/* A free slot (evicting the oldest finished escrow if need be), or ESC_NIL. */
uint32_t esc_slot_alloc(struct esc *e);
void esc_slot_release(struct esc *e, uint32_t s);
/* Puts @v (hash @hash) in slot @s, or replaces what slot @s holds by @v. */
void esc_insert(struct esc *e, uint32_t s, const struct esc_view *v,
		const uint8_t hash[ESC_SHA256_LEN]);
void esc_commit(struct esc *e, uint32_t s, const struct esc_view *v);
/* Forgets finished escrows past tomb_ms. */
void esc_gc_done(struct esc *e, uint64_t now);
/* Ends held escrows past their TTL, @max at most: how many, or -EIO. */
#define ESC_EXPIRE_BATCH 32		/* escrows ended per journal write */
int esc_expire_due(struct esc *e, uint64_t now, uint32_t max);

/* The journal record of an escrow (escrow_journal.c). */
#define ESC_JREC_ESCROW_FIXED 100
#define ESC_JREC_ESCROW_MAX (ESC_JREC_ESCROW_FIXED + 2 * ESC_KEYS_MAX)
size_t esc_jrec_encode(const struct esc_view *v, const uint8_t hash[ESC_SHA256_LEN],
		       uint8_t buf[ESC_JREC_ESCROW_MAX]);

bool esc_mtu_valid(uint8_t mtu);
bool esc_pkey_valid(uint16_t pkey);

void esc_push_action(struct esc *e, enum esc_action_type type, const struct esc_view *v);
bool esc_outbox_room(const struct esc *e, uint32_t n);

#endif /* IBVMIG_ESC_INTERNAL_H */

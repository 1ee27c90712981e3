/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_path_cache.h - a VM's cache of path records, keyed by destination GID, that
 * RePath and UnPath notices keep right while peers migrate (Algorithm 3 of
 * US 2013/0254424 A1; doc/path-cache.md).
 *
 * A lookup answers:
 *   IBVMIG_PC_HIT        the cached path, safe to use;
 *   IBVMIG_PC_MISS       nothing usable: ask the SA (through the agent's PATH_QUERY)
 *                 and ibvmig_pc_insert() the answer;
 *   IBVMIG_PC_SUSPENDED  an UnPath paused this path: retry later, and do not use
 *                 the LID held (the peer is between two ports).
 *
 * RULES (doc/path-cache.md explains each one)
 *
 *  1. Ordering.  Each entry holds the stamp (epoch, seq) of the newest notice
 *     it applied.  A notice applies only when ibvmig_stamp_is_newer() says its
 *     stamp is newer than the held one (same epoch and a higher sequence, or
 *     another epoch); otherwise it is stale and dropped, so a late, reordered
 *     or duplicated notice never rolls a path back.  An entry that never saw
 *     a notice takes any.
 *  2. RePath: the entry's DLID becomes the notice's new LID (every other field
 *     of the cached record stays: a RePath carries only LID and port), and a
 *     suspended entry resumes.
 *  3. UnPath: the entry is suspended from now until a newer RePath, an insert,
 *     or the suspension limit (then the entry is dropped and the next lookup
 *     is a MISS).  A newer UnPath of a suspended entry restarts its clock.
 *  4. Notices for a GID that is not cached are ignored (counted): a RePath
 *     carries no SL, MTU, rate or P_Key, so it cannot make a usable entry,
 *     and remembering it would let notices, not use, fill the cache.
 *  5. An SA answer (ibvmig_pc_insert) is "now": it replaces the whole path, clears a
 *     suspension and restarts the entry's age, but it carries no SM stamp, so
 *     it leaves the held notice stamp alone (raised to the stamp the agent
 *     attached to the answer, if any and newer).  A notice newer than every
 *     notice seen still applies after it; one older does not.
 *  6. Epochs are random and unordered, and an SM that regains mastership
 *     keeps its epoch: a notice of another epoch always applies, also an old
 *     epoch's notice delayed past a new epoch's (it then wins until the next
 *     notice, the max age or ibvmig_pc_invalidate()).
 *  7. Capacity: at most cfg.capacity entries; inserting another evicts the
 *     least recently used one.  Lookups that find an entry (hit, suspended or
 *     aged) and inserts make it the most recently used; notices do not.
 *  8. Max age: an entry whose last insert is cfg.max_age_ms old or older is
 *     a MISS (counted as aged) but stays, with its stamp, until replaced.
 *  9. An SA "no path" (ibvmig_pc_suspend) is "now" too: it suspends the
 *     entry as an UnPath would, without the ordering test, and raises its
 *     stamp as an insert does; a newer RePath or an insert resumes it.
 *
 * Time is the caller's, in milliseconds, on a clock that does not jump (the
 * VM side uses CLOCK_MONOTONIC).  A time earlier than one already seen is
 * taken as the latest time seen.  Every call that takes a time first drops
 * the suspensions that have reached the limit.
 *
 * THREAD SAFETY: a cache is not locked.  Every call on one cache, ibvmig_pc_lookup,
 * ibvmig_pc_snapshot and ibvmig_pc_get_stats included, must be serialised by the caller.
 * The drop callback runs inside the call that drops and must not call the
 * cache.  Distinct caches are independent.
 *
 * ERRORS: functions return a result (>= 0) or a negative errno value; no
 * function exits or prints.  A call that fails with -EINVAL changes nothing
 * but the rejected counter.
 */
#ifndef IBVMIG_PATH_CACHE_H
#define IBVMIG_PATH_CACHE_H

#include "ibvmig_notice.h"
#include "ibvmig_path.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IBVMIG_PC_CAPACITY_MAX (1u << 20)

enum ibvmig_pc_lookup_result {
	IBVMIG_PC_HIT = 0,
	IBVMIG_PC_MISS = 1,
	IBVMIG_PC_SUSPENDED = 2,
};

enum ibvmig_pc_notice_result {
	IBVMIG_PC_APPLIED = 0,		/* the entry took the notice */
	IBVMIG_PC_STALE = 1,		/* not newer than the entry's stamp: dropped */
	IBVMIG_PC_UNCACHED = 2,	/* no entry for that GID: ignored (rule 4) */
};

/* Why an entry left the cache. */
enum ibvmig_pc_drop_reason {
	IBVMIG_PC_DROP_EVICTED = 0,		/* capacity (rule 7) */
	IBVMIG_PC_DROP_SUSPENSION_EXPIRED = 1,	/* no RePath within the limit (rule 3) */
	IBVMIG_PC_DROP_INVALIDATED = 2,	/* ibvmig_pc_invalidate() */
	IBVMIG_PC_DROP_FLUSHED = 3,		/* ibvmig_pc_flush() */
};

enum ibvmig_pc_state {
	IBVMIG_PC_STATE_ACTIVE = 0,
	IBVMIG_PC_STATE_SUSPENDED = 1,
	IBVMIG_PC_STATE_AGED = 2,		/* past the max age: the next lookup is a MISS */
};

/* The ordering stamp of a notice (doc/notice-details.md). */
struct ibvmig_pc_stamp {
	uint32_t epoch;
	uint64_t seq;
};

/* One entry, as snapshots and the drop callback show it. */
struct ibvmig_pc_entry_view {
	struct ibvmig_sa_path path;	/* the key is path.dgid_prefix : path.dgid_guid */
	enum ibvmig_pc_state state;
	bool stamped;			/* false: no notice or stamped answer seen yet */
	struct ibvmig_pc_stamp stamp;
	uint64_t inserted_at_ms;	/* the last insert */
	uint64_t suspended_at_ms;	/* when suspended; 0 when active */
};

typedef void (*ibvmig_pc_drop_cb)(void *ctx, const struct ibvmig_pc_entry_view *entry,
			   enum ibvmig_pc_drop_reason reason);

struct ibvmig_pc_config {
	uint32_t capacity;		/* 1..IBVMIG_PC_CAPACITY_MAX entries */
	uint64_t max_age_ms;		/* 0: a path never ages */
	uint64_t suspend_limit_ms;	/* 0: suspended until a RePath or an insert */
	ibvmig_pc_drop_cb on_drop;		/* optional; every drop but ibvmig_pc_destroy()'s */
	void *drop_ctx;
};

struct ibvmig_pc_stats {
	uint64_t hits;
	uint64_t misses;		/* aged lookups included */
	uint64_t aged;			/* lookups that found an entry past the max age */
	uint64_t suspended;		/* lookups answered IBVMIG_PC_SUSPENDED */
	uint64_t inserts;		/* accepted inserts, refreshes included */
	uint64_t refreshed;		/* inserts of a GID already cached */
	uint64_t resumed_by_insert;	/* inserts that cleared a suspension */
	uint64_t repaths;		/* RePaths applied */
	uint64_t unpaths;		/* UnPaths applied */
	uint64_t stale;			/* notices dropped by the ordering rule */
	uint64_t uncached;		/* notices for a GID not cached */
	uint64_t expired;		/* suspensions that reached the limit */
	uint64_t evicted;
	uint64_t invalidated;
	uint64_t flushed;
	uint64_t rejected;		/* calls refused with -EINVAL */
	uint32_t count;			/* entries now */
	uint32_t suspended_now;		/* of which suspended */
	uint32_t capacity;
	uint64_t max_age_ms, suspend_limit_ms;
};

/*
 * Creates a cache.  NULL with errno set (EINVAL for a NULL or bad config,
 * ENOMEM).  The caller owns it and frees it with ibvmig_pc_destroy() (NULL is fine;
 * the drop callback is not called for what it frees).
 */
struct ibvmig_pc_cache *ibvmig_pc_create(const struct ibvmig_pc_config *cfg);
void ibvmig_pc_destroy(struct ibvmig_pc_cache *c);

/*
 * Looks up the path to @prefix:@guid.  IBVMIG_PC_HIT fills @out (may be NULL);
 * IBVMIG_PC_MISS and IBVMIG_PC_SUSPENDED leave it untouched.  -EINVAL for a zero GUID.
 */
int ibvmig_pc_lookup(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid, uint64_t now_ms,
	      struct ibvmig_sa_path *out);

/*
 * Caches an SA answer (rule 5) under @p->dgid_prefix:@p->dgid_guid, evicting
 * the least recently used entry when the cache is full (rule 7).  @stamp is
 * the stamp the agent attached to the answer (a PATH_QUERY reply's), NULL if
 * none.  0, or -EINVAL for a zero DGID GUID or a DLID outside 1..0xBFFF.
 */
int ibvmig_pc_insert(struct ibvmig_pc_cache *c, const struct ibvmig_sa_path *p,
		     const struct ibvmig_pc_stamp *stamp, uint64_t now_ms);

/*
 * The SA has no path to @prefix:@guid now (the agent's path-gone, after a
 * re-validation, doc/vm-channel.md): an SA answer like an insert (rule 9), so
 * no ordering test; the entry is suspended as by an UnPath (its clock runs on
 * if it already was), and its stamp raised to @stamp (NULL: none) if newer,
 * so that a later RePath resumes it and an older notice stays stale.
 * IBVMIG_PC_APPLIED or IBVMIG_PC_UNCACHED (nothing cached: nothing to do);
 * -EINVAL for a zero GUID.
 */
int ibvmig_pc_suspend(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid,
		      const struct ibvmig_pc_stamp *stamp, uint64_t now_ms);

/*
 * Applies a RePath (@trap IBVMIG_TRAP_REPATH) or an UnPath
 * (IBVMIG_TRAP_UNPATH) about @n->subnet_prefix:@n->vguid (rules 1-4).
 * Returns an enum ibvmig_pc_notice_result, or -EINVAL for another trap, a zero vGUID
 * or a RePath whose new LID is outside 1..0xBFFF.
 */
int ibvmig_pc_apply_notice(struct ibvmig_pc_cache *c, int trap, const struct ibvmig_path_notice *n,
		    uint64_t now_ms);

/*
 * Drops the entry of @prefix:@guid (e.g. the VM's transport to it failed):
 * 0 or -ENOENT.  Its stamp goes with it.
 */
int ibvmig_pc_invalidate(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid);
/* Drops every entry; returns how many. */
size_t ibvmig_pc_flush(struct ibvmig_pc_cache *c);
/* Drops the suspensions that reached the limit at @now_ms; returns how many. */
size_t ibvmig_pc_expire(struct ibvmig_pc_cache *c, uint64_t now_ms);

/*
 * A copy of every entry, most recently used first, with its state at
 * @now_ms (nothing is dropped or reordered by it).  0 and a malloc'ed array in
 * *@out (the caller frees it; NULL when empty) of *@n entries, or -ENOMEM.
 */
int ibvmig_pc_snapshot(const struct ibvmig_pc_cache *c, uint64_t now_ms,
		       struct ibvmig_pc_entry_view **out, size_t *n);
void ibvmig_pc_get_stats(const struct ibvmig_pc_cache *c, struct ibvmig_pc_stats *st);

const char *ibvmig_pc_lookup_result_name(int r);
const char *ibvmig_pc_notice_result_name(int r);
const char *ibvmig_pc_drop_reason_name(enum ibvmig_pc_drop_reason r);
const char *ibvmig_pc_state_name(enum ibvmig_pc_state s);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_PATH_CACHE_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alias_watch.h - what the engine knows of live alias GUIDs, and the notices
 * their changes call for.  Private to libibvmig-engine: the engine feeds it
 * what the SA applied and what each heavy sweep saw, and sends the notices
 * it asks for through its host.
 *
 * Two feeds, each idempotent against the other so that nothing is reported
 * twice whichever sees a change first:
 *  - aw_alias_deleted / aw_alias_set: an SA GUIDInfoRecord Delete or Set was
 *    just applied (the base port and its LID at that moment);
 *  - aw_reconcile: a full list of the live aliases as a sweep found them.  It
 *    catches an alias whose port left the fabric, an alias that moved between
 *    two observations, and a base port whose LID changed (a RePath for each of
 *    its aliases).
 *
 * Notices (enum ibvmig_reason in ibvmig_notice.h):
 *   delete              -> UnPath (reason deleted), when unpath is on
 *   alias vanished      -> UnPath (reason port-gone), when unpath is on
 *   set, unpath on      -> RePath unless the verdict is "created"
 *   set, unpath off     -> RePath only for "migrated" (Algorithm 1 exactly)
 *   base LID changed    -> RePath (reason port-lid-changed), always
 *
 * A THIRD FEED, the standalone SM extension's (no hook in the SM: it reads
 * ports through the SA, one at a time, so a pass is no snapshot):
 *  - aw_alias_seen: a read of a port showed the alias there;
 *  - aw_alias_gone: a read of a port no longer showed it there.  Only the
 *    port the watcher holds it at can take it away: a read of the old port
 *    made after the alias was seen on its new one is stale and changes
 *    nothing, so an alias seen on two ports or on none during a migration
 *    never sends a notice that did not happen (an UnPath when it left, a
 *    RePath when it arrived).
 * Without the plugin's alias guard any port may set another's vGUID on
 * itself, so a move (a RePath "migrated" or "moved-same-lid") seen by an
 * untrusted feed is HELD: counted, not sent, and sent only if a trusted feed
 * (the new port's own agent told of the Set, confirmed by a read) sees the
 * alias there before it moves again or the trap table's TTL runs out.
 *
 * ACROSS SM RESTARTS.  OpenSM forgets every alias when it restarts and hosts
 * set them again.  The saved trap table tells a migration whose delete came
 * before the restart; the aliases live at the last save tell one whose delete
 * never reached the SM because it was down.  aw_restore_forgotten loads them
 * as "forgotten": the next set of one is compared with where it was, and only
 * a new LID sends a RePath (reason migrated).  No UnPath went out for them, so
 * no peer waits for a RePath: a set at the same place stays silent, and a
 * restart does not flood the fabric.  Forgotten aliases expire with the trap
 * table's TTL and are never live.
 *
 * THREAD SAFETY: none inside; the caller serialises every call on a watch.
 * The notify callback runs inside the call that caused the notice and must
 * not call back into the watch.
 */
#ifndef IBVMIG_ALIAS_WATCH_H
#define IBVMIG_ALIAS_WATCH_H

#include "ibvmig_notice.h"
#include "trap_table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aw_config {
	struct tt_config table;		/* the trap table's own settings */
	bool unpath;
	uint64_t subnet_prefix;		/* of the vGIDs in the notices */
	uint32_t max_aliases;		/* live aliases remembered, 1..TT_CAPACITY_MAX */
};

typedef void (*aw_notify_fn)(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n);

/* One live alias as a sweep saw it. */
struct aw_alias {
	uint64_t vguid;
	uint64_t port_guid;
	uint16_t lid;
};

struct aw_stats {
	uint64_t unpath;		/* UnPath notices asked for */
	uint64_t repath;		/* RePath notices asked for */
	uint64_t reconciles;
	uint64_t reconcile_events;	/* changes only a reconcile found */
	uint64_t reconcile_spared;	/* vGUIDs a reconcile left to a newer SA feed */
	uint64_t port_lid_changes;	/* aliases whose base LID changed */
	uint64_t ignored;		/* feeds that changed nothing (seen already) */
	uint64_t overflow;		/* aliases not tracked: max_aliases reached */
	uint64_t migrated_while_down;	/* RePaths for forgotten aliases set elsewhere */
	uint64_t untrusted_moves;	/* moves an untrusted feed saw: RePath held */
	uint64_t held_released;		/* ...sent later, a trusted feed confirming them */
	uint64_t held_dropped;		/* ...never sent: moved again, expired, no room */
	uint64_t stale_gone;		/* reads of a port the alias had left already */
	uint64_t forgets;		/* aw_forget_live calls (the SM forgot every alias) */
	uint32_t live;
	uint32_t forgotten;		/* aliases from before a restart, not set again */
};

/* NULL with errno (EINVAL, ENOMEM).  The caller owns the watch. */
struct aw_watch *aw_create(const struct aw_config *cfg, aw_notify_fn notify, void *ctx);
void aw_destroy(struct aw_watch *w);

/* The watch's trap table, for inspection, flushing and saving. */
struct tt_table *aw_table(struct aw_watch *w);

/* 0, or -EINVAL for a zero GUID or a LID outside the unicast range. */
int aw_alias_deleted(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		     uint64_t now_ms);
/* 0, -EINVAL as above, -ENOSPC when max_aliases are live, -ENOMEM. */
int aw_alias_set(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		 uint64_t now_ms);

/*
 * The extension's feed (see A THIRD FEED): the alias is on (port, lid) as a
 * read just showed; @trusted says whether a move onto that port is believed.
 * Returns 1 when that changed something, 0 when it was so already, -EINVAL
 * as above, -ENOSPC, -ENOMEM.
 */
int aw_alias_seen(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		  bool trusted, uint64_t now_ms);
/*
 * A read of (port, lid) no longer shows the alias: an UnPath with @reason
 * (IBVMIG_REASON_DELETED or IBVMIG_REASON_PORT_GONE) if the watcher holds it
 * at that port; nothing if it holds it at another (stats stale_gone) or not
 * at all.  Returns 1 when it departed, 0 when nothing changed, -EINVAL.
 */
int aw_alias_gone(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		  uint8_t reason, uint64_t now_ms);
/* True when the watcher holds @vguid live at @port_guid. */
bool aw_holds(const struct aw_watch *w, uint64_t vguid, uint64_t port_guid);
/*
 * A trusted feed saw the alias on @port_guid: the RePath held for that move,
 * if any, is sent now.  Returns 1 when one was sent, else 0.
 */
int aw_release_held(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint64_t now_ms);
/*
 * The SM forgot every alias (a restart, a new master): every live alias
 * becomes one from before the restart (see ACROSS SM RESTARTS), without a
 * notice; held RePaths are dropped.  Returns how many were live.
 */
uint32_t aw_forget_live(struct aw_watch *w, uint64_t now_ms);

/*
 * @seen lists every live alias a sweep found.  Invalid entries are skipped;
 * returns the number of changes it found (notices may be fewer: a set that is
 * a creation sends none), or -ENOMEM with nothing changed.
 *
 * @spare (@n_spare of them, ascending, duplicates allowed, NULL when none)
 * are the vGUIDs that an SA feed changed after the list was begun: the feed
 * is newer than the list for them, so the list's word on them is ignored -
 * an entry of @seen for one of them is skipped, and one that is live but
 * missing from @seen is not swept out.  The next reconcile looks at them
 * again.
 */
int aw_reconcile(struct aw_watch *w, const struct aw_alias *seen, size_t n, const uint64_t *spare,
		 size_t n_spare, uint64_t now_ms);

void aw_get_stats(const struct aw_watch *w, struct aw_stats *st);

/*
 * What aw_restore_forgotten takes after a restart: the forgotten aliases, then
 * the live ones (their deleted_at_ms is @now_ms), oldest first, at most
 * max_aliases (the oldest forgotten ones give way).  0 and a malloc'ed array
 * the caller frees (NULL when empty), or -ENOMEM.
 */
int aw_snapshot_live(const struct aw_watch *w, uint64_t now_ms, struct tt_entry_view **out,
		     size_t *n);

/* Into a watch that has none yet: 0, or tt_restore()'s errors. */
int aw_restore_forgotten(struct aw_watch *w, const struct tt_entry_view *entries, size_t n);

#endif /* IBVMIG_ALIAS_WATCH_H */

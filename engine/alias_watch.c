// SPDX-License-Identifier: BSD-2-Clause
/*
 * alias_watch.c - live aliases and the notices their changes call for.
 *
 * Live aliases are kept dense in an array (a removal moves the last entry
 * into the hole) and found through the GUID index; a reconcile marks the ones
 * it sees with the pass's generation and sweeps the unmarked ones out.
 */
#include "alias_watch.h"
#include "guid_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(IBVMIG_REASON_CREATED == (int)TT_CREATED &&
		       IBVMIG_REASON_RESTARTED == (int)TT_RESTARTED &&
		       IBVMIG_REASON_MOVED_SAME_LID == (int)TT_MOVED_SAME_LID &&
		       IBVMIG_REASON_MIGRATED == (int)TT_MIGRATED,
	       "notice reasons 0-3 are the trap table's verdicts");

struct aw_live {
	uint64_t vguid;
	uint64_t port_guid;
	uint32_t generation;	/* the last reconcile that saw it */
	uint16_t lid;
};

/* A RePath an untrusted feed asked for, held until a trusted one confirms it. */
struct aw_held {
	uint64_t port_guid;		/* where the move went */
	uint64_t at_ms;
	struct ibvmig_path_notice n;	/* n.vguid is the key */
};

/* Held RePaths at most: beyond, the oldest gives way (an attacker's flood costs only these). */
#define AW_HELD_MAX 1024

struct aw_watch {
	struct aw_config cfg;
	aw_notify_fn notify;
	void *ctx;
	struct tt_table *table;
	struct tt_table *forgotten;	/* live before a restart, not set again since */
	struct aw_live *live;	/* live_count used of live_cap */
	uint32_t live_count, live_cap;
	struct gi_index index;
	uint32_t generation;
	struct aw_held *held;	/* held_count used of held_cap, unordered */
	uint32_t held_count, held_cap;
	struct aw_stats st;
};

static uint64_t aw_key_of(const void *owner, uint32_t i)
{
	return ((const struct aw_watch *)owner)->live[i].vguid;
}

static uint32_t aw_find(const struct aw_watch *w, uint64_t vguid)
{
	return gi_find(&w->index, vguid, gi_hash(&w->index, vguid), aw_key_of, w);
}

static bool aw_valid(uint64_t vguid, uint64_t port_guid, uint16_t lid)
{
	return vguid && port_guid && lid >= TT_LID_MIN && lid <= TT_LID_MAX;
}

struct aw_watch *aw_create(const struct aw_config *cfg, aw_notify_fn notify, void *ctx)
{
	struct tt_config forgotten;
	struct aw_watch *w;

	if (!cfg || !notify || !cfg->max_aliases || cfg->max_aliases > TT_CAPACITY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->notify = notify;
	w->ctx = ctx;
	forgotten = (struct tt_config){ .capacity = cfg->max_aliases, .ttl_ms = cfg->table.ttl_ms };
	w->table = tt_create(&cfg->table);
	w->forgotten = w->table ? tt_create(&forgotten) : NULL;
	if (!w->forgotten) {
		int err = errno;	/* from tt_create */

		aw_destroy(w);
		errno = err;
		return NULL;
	}
	if (gi_init(&w->index)) {
		aw_destroy(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void aw_destroy(struct aw_watch *w)
{
	if (!w)
		return;
	tt_destroy(w->table);
	tt_destroy(w->forgotten);
	gi_destroy(&w->index);
	free(w->live);
	free(w->held);
	free(w);
}

struct tt_table *aw_table(struct aw_watch *w)
{
	return w->table;
}

/* ---- the live set ----------------------------------------------------- */

static int aw_live_reserve(struct aw_watch *w)
{
	uint32_t cap;
	struct aw_live *live;

	if (w->live_count == w->cfg.max_aliases)
		return -ENOSPC;
	if (gi_reserve(&w->index, w->live_count + 1))
		return -ENOMEM;
	if (w->live_count < w->live_cap)
		return 0;
	cap = w->live_cap ? w->live_cap * 2 : 64;
	if (cap > w->cfg.max_aliases)
		cap = w->cfg.max_aliases;
	live = realloc(w->live, cap * sizeof(*live));
	if (!live)
		return -ENOMEM;
	w->live = live;
	w->live_cap = cap;
	return 0;
}

static int aw_live_add(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid)
{
	struct aw_live *l;
	int rc = aw_live_reserve(w);

	if (rc) {
		w->st.overflow++;
		return rc;
	}
	l = &w->live[w->live_count];
	l->vguid = vguid;
	l->port_guid = port_guid;
	l->lid = lid;
	l->generation = w->generation;
	gi_put(&w->index, gi_hash(&w->index, vguid), w->live_count++);
	return 0;
}

/* Forget the live alias at index position @pos; the last one fills its place. */
static void aw_live_remove(struct aw_watch *w, uint32_t pos)
{
	uint32_t i = gi_entry(&w->index, pos), last = w->live_count - 1;

	gi_remove(&w->index, pos);
	if (i != last) {
		w->live[i] = w->live[last];
		gi_repoint(&w->index, aw_find(w, w->live[i].vguid), i);
	}
	w->live_count--;
}

/* ---- notices ----------------------------------------------------------- */

static void aw_fill(const struct aw_watch *w, struct ibvmig_path_notice *n, uint8_t reason,
		    uint64_t vguid, const struct tt_entry_view *old, uint16_t new_lid,
		    uint64_t new_port, const struct tt_stamp *stamp)
{
	*n = (struct ibvmig_path_notice){
		.version = IBVMIG_NOTICE_VERSION,
		.reason = reason,
		.new_lid = new_lid,
		.old_lid = old->lid,
		.subnet_prefix = w->cfg.subnet_prefix,
		.vguid = vguid,
		.new_port_guid = new_port,
		.old_port_guid = old->port_guid,
		.epoch = stamp->epoch,
		.seq = stamp->seq,
	};
}

static void aw_send(struct aw_watch *w, uint16_t trap, const struct ibvmig_path_notice *n)
{
	if (trap == IBVMIG_TRAP_UNPATH)
		w->st.unpath++;
	else
		w->st.repath++;
	w->notify(w->ctx, trap, n);
}

static void aw_notify(struct aw_watch *w, uint16_t trap, uint8_t reason, uint64_t vguid,
		      const struct tt_entry_view *old, uint16_t new_lid, uint64_t new_port,
		      const struct tt_stamp *stamp)
{
	struct ibvmig_path_notice n;

	aw_fill(w, &n, reason, vguid, old, new_lid, new_port, stamp);
	aw_send(w, trap, &n);
}

/* ---- held RePaths (untrusted moves) ------------------------------------------------ */

static int aw_held_find(const struct aw_watch *w, uint64_t vguid)
{
	uint32_t i;

	for (i = 0; i < w->held_count; i++)
		if (w->held[i].n.vguid == vguid)
			return (int)i;
	return -1;
}

static void aw_held_remove(struct aw_watch *w, int i)
{
	w->held[i] = w->held[--w->held_count];
}

/* The alias moved on (or left): a RePath held for where it was is never sent. */
static void aw_held_drop(struct aw_watch *w, uint64_t vguid)
{
	int i = aw_held_find(w, vguid);

	if (i < 0)
		return;
	aw_held_remove(w, i);
	w->st.held_dropped++;
}

static bool aw_held_room(struct aw_watch *w)
{
	uint32_t i, oldest = 0, cap;
	struct aw_held *held;

	if (w->held_count < w->held_cap)
		return true;
	if (w->held_cap < AW_HELD_MAX) {
		cap = w->held_cap ? w->held_cap * 2 : 16;
		held = realloc(w->held, cap * sizeof(*held));
		if (held) {
			w->held = held;
			w->held_cap = cap;
			return true;
		}
	}
	if (!w->held_count)
		return false;
	for (i = 1; i < w->held_count; i++)
		if (w->held[i].at_ms < w->held[oldest].at_ms)
			oldest = i;
	aw_held_remove(w, (int)oldest);
	w->st.held_dropped++;
	return true;
}

static void aw_hold(struct aw_watch *w, uint64_t port_guid, const struct ibvmig_path_notice *n,
		    uint64_t now_ms)
{
	w->st.untrusted_moves++;
	if (!aw_held_room(w)) {
		w->st.held_dropped++;
		return;
	}
	w->held[w->held_count++] = (struct aw_held){ port_guid, now_ms, *n };
}

/* A RePath for a move onto another port: what a port without the guard could fake. */
static bool aw_is_move(uint8_t reason)
{
	return reason == IBVMIG_REASON_MIGRATED || reason == IBVMIG_REASON_MOVED_SAME_LID;
}

int aw_release_held(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint64_t now_ms)
{
	int i = aw_held_find(w, vguid);
	struct aw_held h;

	if (i < 0 || w->held[i].port_guid != port_guid)
		return 0;
	h = w->held[i];
	aw_held_remove(w, i);
	/* As old as a trap table entry may get: its peers gave up waiting since. */
	if (w->cfg.table.ttl_ms && now_ms - h.at_ms > w->cfg.table.ttl_ms) {
		w->st.held_dropped++;
		return 0;
	}
	w->st.held_released++;
	aw_send(w, IBVMIG_TRAP_REPATH, &h.n);
	return 1;
}

/* The alias left (port, lid): remember it, and tell peers to pause. */
static int aw_departed(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		       uint8_t reason, uint64_t now_ms)
{
	struct tt_entry_view old = { .vguid = vguid, .port_guid = port_guid, .lid = lid };
	struct tt_stamp stamp;
	int rc = tt_delete(w->table, vguid, lid, port_guid, now_ms, &stamp);

	aw_held_drop(w, vguid);
	if (!rc && w->cfg.unpath)
		aw_notify(w, IBVMIG_TRAP_UNPATH, reason, vguid, &old, 0, 0, &stamp);
	return rc;
}

static bool aw_wants_repath(const struct aw_watch *w, enum tt_verdict v)
{
	if (v == TT_CREATED)
		return false;	/* nobody held a path, or it expired: nothing more */
	return w->cfg.unpath || v == TT_MIGRATED;
}

/*
 * The alias arrived at (port, lid): judge it and re-path peers if needed; a
 * move that an untrusted feed saw is held (see alias_watch.h).
 */
static int aw_arrived(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		      uint64_t now_ms, bool trusted)
{
	struct tt_set_result res, before_restart;
	const struct tt_entry_view *old = &res.old;
	struct ibvmig_path_notice n;
	uint8_t reason;
	int rc = aw_live_add(w, vguid, port_guid, lid);

	if (rc)
		return rc;
	rc = tt_set(w->table, vguid, lid, port_guid, now_ms, &res);
	if (rc)
		return rc;
	/* Always: a forgotten alias set again is forgotten no more. */
	tt_set(w->forgotten, vguid, lid, port_guid, now_ms, &before_restart);
	aw_held_drop(w, vguid);
	if (res.verdict == TT_CREATED && before_restart.verdict == TT_MIGRATED) {
		w->st.migrated_while_down++;
		reason = IBVMIG_REASON_MIGRATED;
		old = &before_restart.old;
	} else if (aw_wants_repath(w, res.verdict)) {
		reason = (uint8_t)res.verdict;
	} else {
		return 0;
	}
	aw_fill(w, &n, reason, vguid, old, lid, port_guid, &res.stamp);
	if (!trusted && aw_is_move(reason))
		aw_hold(w, port_guid, &n, now_ms);
	else
		aw_send(w, IBVMIG_TRAP_REPATH, &n);
	return 0;
}

static void aw_lid_changed(struct aw_watch *w, struct aw_live *l, uint16_t lid)
{
	struct tt_entry_view old = { .vguid = l->vguid, .port_guid = l->port_guid,
				     .lid = l->lid };
	struct tt_stamp stamp;

	tt_stamp(w->table, &stamp);
	l->lid = lid;
	w->st.port_lid_changes++;
	aw_notify(w, IBVMIG_TRAP_REPATH, IBVMIG_REASON_PORT_LID_CHANGED, l->vguid, &old, lid,
		  l->port_guid, &stamp);
}

/*
 * Bring one alias to (port, lid); returns 1 when that changed something,
 * 0 when it was already so, or a negative errno.
 */
static int aw_observe(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		      uint64_t now_ms, bool trusted)
{
	uint32_t pos = aw_find(w, vguid);
	struct aw_live *l;
	int rc;

	if (pos == w->index.size) {
		rc = aw_arrived(w, vguid, port_guid, lid, now_ms, trusted);
		return rc ? rc : 1;
	}
	l = &w->live[gi_entry(&w->index, pos)];
	l->generation = w->generation;
	if (l->port_guid == port_guid) {
		if (l->lid == lid)
			return 0;
		aw_lid_changed(w, l, lid);
		return 1;
	}
	/* It moved between two observations: a delete and a set we did not see. */
	rc = aw_departed(w, vguid, l->port_guid, l->lid, IBVMIG_REASON_DELETED, now_ms);
	aw_live_remove(w, pos);
	if (!rc)
		rc = aw_arrived(w, vguid, port_guid, lid, now_ms, trusted);
	return rc ? rc : 1;
}

/* ---- feeds ------------------------------------------------------------- */

int aw_alias_deleted(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		     uint64_t now_ms)
{
	uint32_t pos;

	if (!aw_valid(vguid, port_guid, lid))
		return -EINVAL;
	pos = aw_find(w, vguid);
	if (pos == w->index.size) {
		w->st.ignored++;	/* a reconcile saw it go first */
		return 0;
	}
	aw_live_remove(w, pos);
	return aw_departed(w, vguid, port_guid, lid, IBVMIG_REASON_DELETED, now_ms);
}

int aw_alias_set(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		 uint64_t now_ms)
{
	int rc;

	if (!aw_valid(vguid, port_guid, lid))
		return -EINVAL;
	rc = aw_observe(w, vguid, port_guid, lid, now_ms, true);
	if (!rc)
		w->st.ignored++;
	return rc < 0 ? rc : 0;
}

int aw_alias_seen(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		  bool trusted, uint64_t now_ms)
{
	if (!aw_valid(vguid, port_guid, lid))
		return -EINVAL;
	return aw_observe(w, vguid, port_guid, lid, now_ms, trusted);
}

bool aw_holds(const struct aw_watch *w, uint64_t vguid, uint64_t port_guid)
{
	uint32_t pos = aw_find(w, vguid);

	return pos != w->index.size && w->live[gi_entry(&w->index, pos)].port_guid == port_guid;
}

int aw_alias_gone(struct aw_watch *w, uint64_t vguid, uint64_t port_guid, uint16_t lid,
		  uint8_t reason, uint64_t now_ms)
{
	uint32_t pos;

	if (!aw_valid(vguid, port_guid, lid))
		return -EINVAL;
	pos = aw_find(w, vguid);
	if (pos == w->index.size)
		return 0;	/* gone already, or forgotten with the SM */
	if (w->live[gi_entry(&w->index, pos)].port_guid != port_guid) {
		w->st.stale_gone++;	/* seen on its new port first */
		return 0;
	}
	aw_live_remove(w, pos);
	aw_departed(w, vguid, port_guid, lid, reason, now_ms);
	return 1;
}

uint32_t aw_forget_live(struct aw_watch *w, uint64_t now_ms)
{
	uint32_t n = w->live_count;

	while (w->live_count) {
		struct aw_live l = w->live[w->live_count - 1];

		/* A full table gives its oldest entry way: the same rule as at a restore. */
		tt_delete(w->forgotten, l.vguid, l.lid, l.port_guid, now_ms, NULL);
		aw_live_remove(w, aw_find(w, l.vguid));
	}
	w->st.held_dropped += w->held_count;
	w->held_count = 0;
	w->st.forgets++;
	return n;
}

/* Every live alias the pass did not see has left with its port. */
static int aw_sweep_unseen(struct aw_watch *w, uint64_t now_ms)
{
	uint32_t i = w->live_count;
	int gone = 0;

	while (i--) {
		struct aw_live l = w->live[i];

		if (l.generation == w->generation)
			continue;
		aw_live_remove(w, aw_find(w, l.vguid));
		aw_departed(w, l.vguid, l.port_guid, l.lid, IBVMIG_REASON_PORT_GONE, now_ms);
		gone++;
	}
	return gone;
}

static int aw_cmp_guid(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool aw_spared(const uint64_t *spare, size_t n_spare, uint64_t vguid)
{
	return n_spare && bsearch(&vguid, spare, n_spare, sizeof(*spare), aw_cmp_guid);
}

/* A live alias the SA changed after the list was begun is seen, whatever the list says. */
static void aw_mark_spared(struct aw_watch *w, const uint64_t *spare, size_t n_spare)
{
	uint32_t pos;
	size_t i;

	for (i = 0; i < n_spare; i++) {
		if (i && spare[i] == spare[i - 1])
			continue;
		w->st.reconcile_spared++;
		pos = aw_find(w, spare[i]);
		if (pos != w->index.size)
			w->live[gi_entry(&w->index, pos)].generation = w->generation;
	}
}

int aw_reconcile(struct aw_watch *w, const struct aw_alias *seen, size_t n, const uint64_t *spare,
		 size_t n_spare, uint64_t now_ms)
{
	int changes = 0, rc;
	size_t i;

	/* A full pass can add every seen alias: reserve first, fail whole. */
	if (n > w->cfg.max_aliases)
		n = w->cfg.max_aliases;
	if (gi_reserve(&w->index, (uint32_t)n))
		return -ENOMEM;
	w->generation++;
	aw_mark_spared(w, spare, n_spare);
	for (i = 0; i < n; i++) {
		if (!aw_valid(seen[i].vguid, seen[i].port_guid, seen[i].lid) ||
		    aw_spared(spare, n_spare, seen[i].vguid))
			continue;
		rc = aw_observe(w, seen[i].vguid, seen[i].port_guid, seen[i].lid, now_ms, true);
		if (rc > 0)
			changes++;
	}
	changes += aw_sweep_unseen(w, now_ms);
	w->st.reconciles++;
	w->st.reconcile_events += (uint64_t)changes;
	return changes;
}

void aw_get_stats(const struct aw_watch *w, struct aw_stats *st)
{
	struct tt_stats forgotten;

	tt_get_stats(w->forgotten, &forgotten);
	*st = w->st;
	st->live = w->live_count;
	st->forgotten = forgotten.count;
}

/* ---- across SM restarts ------------------------------------------------ */

int aw_snapshot_live(const struct aw_watch *w, uint64_t now_ms, struct tt_entry_view **out,
		     size_t *n)
{
	struct tt_entry_view *old, *all;
	size_t n_old, skip, total, i;
	int rc = tt_snapshot(w->forgotten, &old, &n_old);

	if (rc)
		return rc;
	/* live_count <= max_aliases: only forgotten ones can be too many. */
	skip = n_old + w->live_count > w->cfg.max_aliases ?
		       n_old + w->live_count - w->cfg.max_aliases : 0;
	total = n_old - skip + w->live_count;
	all = total ? malloc(total * sizeof(*all)) : NULL;
	if (total && !all) {
		free(old);
		return -ENOMEM;
	}
	if (n_old > skip)
		memcpy(all, old + skip, (n_old - skip) * sizeof(*all));
	/* Oldest first, as tt_restore wants, even if the clock went back. */
	if (n_old && old[n_old - 1].deleted_at_ms > now_ms)
		now_ms = old[n_old - 1].deleted_at_ms;
	free(old);
	for (i = 0; i < w->live_count; i++)
		all[n_old - skip + i] = (struct tt_entry_view){
			.vguid = w->live[i].vguid,
			.port_guid = w->live[i].port_guid,
			.deleted_at_ms = now_ms,
			.lid = w->live[i].lid,
		};
	*out = all;
	*n = total;
	return 0;
}

int aw_restore_forgotten(struct aw_watch *w, const struct tt_entry_view *entries, size_t n)
{
	return tt_restore(w->forgotten, entries, n);
}

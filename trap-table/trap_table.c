// SPDX-License-Identifier: BSD-2-Clause
/*
 * trap_table.c - the repath trap table: a hash index over a slab of entries
 * that are also threaded on a list in age order.
 *
 * Layout, chosen for a table of a million remembered vGUIDs that must stay
 * under 64 bytes an entry and answer in one or two cache misses: entries of
 * 32 bytes live in fixed-size chunks that never move (an entry number stays
 * valid while the table grows), threaded oldest-to-newest through 32-bit
 * links so that expiry and eviction pop the head in O(1); a GUID hash index
 * (guid_index.h) finds them.
 */
#include "trap_table.h"
#include "guid_index.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define TT_NIL UINT32_MAX

#define TT_CHUNK_SHIFT 16	/* 2^16 entries of 32 bytes: one 2 MiB huge page */
#define TT_CHUNK_ENTRIES (1u << TT_CHUNK_SHIFT)
#define TT_CHUNK_MASK (TT_CHUNK_ENTRIES - 1)


/*
 * 32 bytes, so that an entry never straddles two cache lines.  The time and
 * the LID share a word: milliseconds below 2^48 reach the year 10889.
 */
struct tt_entry {
	uint64_t vguid;		/* 0 while the entry is on the free list */
	uint64_t port_guid;
	uint64_t time_lid;	/* deleted_at_ms << 16 | lid */
	uint32_t older;		/* age list; TT_NIL at the head */
	uint32_t newer;		/* age list, or next free entry */
};

#define TT_TIME_MAX ((1ULL << 48) - 1)

static uint64_t tt_time_lid(uint64_t time_ms, uint16_t lid)
{
	return time_ms << 16 | lid;
}

static uint64_t tt_entry_time(const struct tt_entry *e)
{
	return e->time_lid >> 16;
}

static uint16_t tt_entry_lid(const struct tt_entry *e)
{
	return (uint16_t)e->time_lid;
}

_Static_assert(sizeof(struct tt_entry) == 32, "entries must not straddle cache lines");

struct tt_table {
	struct tt_config cfg;

	struct tt_entry **chunks;	/* chunk_count of TT_CHUNK_ENTRIES each */
	uint32_t chunk_count;
	uint32_t chunk_slots;		/* length of the chunks array */
	uint32_t used_entries;		/* entries ever handed out (high mark) */
	uint32_t free_head;		/* free list through ->newer */
	uint64_t slab_bytes;		/* what the chunks hold */

	struct gi_index index;

	uint32_t oldest, newest;	/* age list ends, TT_NIL when empty */
	uint32_t count;
	uint64_t last_ms;		/* latest time seen: time never goes back */
	uint64_t seq;
	struct tt_stats st;
};

static struct tt_entry *tt_entry_at(const struct tt_table *t, uint32_t idx)
{
	return &t->chunks[idx >> TT_CHUNK_SHIFT][idx & TT_CHUNK_MASK];
}

static uint64_t tt_key_of(const void *owner, uint32_t idx)
{
	return tt_entry_at(owner, idx)->vguid;
}

/* Index position of @vguid, or index.size when it is not remembered. */
static uint32_t tt_find(const struct tt_table *t, uint64_t vguid, uint32_t hash)
{
	return gi_find(&t->index, vguid, hash, tt_key_of, t);
}

static bool tt_valid_path(uint64_t vguid, uint16_t lid, uint64_t port_guid)
{
	return vguid && port_guid && lid >= TT_LID_MIN && lid <= TT_LID_MAX;
}

/* ---- entries and the age list ---------------------------------------- */

static int tt_grow_slab(struct tt_table *t)
{
	/* Entries past the capacity are never handed out: the last chunk is cut short. */
	size_t entries = t->cfg.capacity - (size_t)t->chunk_count * TT_CHUNK_ENTRIES;
	struct tt_entry *chunk;

	if (entries > TT_CHUNK_ENTRIES)
		entries = TT_CHUNK_ENTRIES;
	if (t->chunk_count == t->chunk_slots) {
		uint32_t slots = t->chunk_slots ? t->chunk_slots * 2 : 4;
		struct tt_entry **chunks = realloc(t->chunks, slots * sizeof(*chunks));

		if (!chunks)
			return -ENOMEM;
		t->chunks = chunks;
		t->chunk_slots = slots;
	}
	chunk = gi_alloc_zeroed(entries * sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	t->chunks[t->chunk_count++] = chunk;
	t->slab_bytes += entries * sizeof(*chunk);
	return 0;
}

/* An unused entry, or TT_NIL on allocation failure.  Not yet linked. */
static uint32_t tt_alloc_entry(struct tt_table *t)
{
	uint32_t idx = t->free_head;

	if (idx != TT_NIL) {
		t->free_head = tt_entry_at(t, idx)->newer;
		return idx;
	}
	if (t->used_entries == t->chunk_count * TT_CHUNK_ENTRIES && tt_grow_slab(t))
		return TT_NIL;
	return t->used_entries++;
}

static void tt_free_entry(struct tt_table *t, uint32_t idx)
{
	struct tt_entry *e = tt_entry_at(t, idx);

	e->vguid = 0;
	e->newer = t->free_head;
	t->free_head = idx;
}

static void tt_link_newest(struct tt_table *t, uint32_t idx)
{
	struct tt_entry *e = tt_entry_at(t, idx);

	e->older = t->newest;
	e->newer = TT_NIL;
	if (t->newest != TT_NIL)
		tt_entry_at(t, t->newest)->newer = idx;
	else
		t->oldest = idx;
	t->newest = idx;
}

static void tt_unlink(struct tt_table *t, uint32_t idx)
{
	struct tt_entry *e = tt_entry_at(t, idx);

	if (e->older != TT_NIL)
		tt_entry_at(t, e->older)->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != TT_NIL)
		tt_entry_at(t, e->newer)->older = e->older;
	else
		t->newest = e->older;
}

static void tt_view(const struct tt_entry *e, struct tt_entry_view *v)
{
	v->vguid = e->vguid;
	v->port_guid = e->port_guid;
	v->deleted_at_ms = tt_entry_time(e);
	v->lid = tt_entry_lid(e);
}

/* Forget the entry found at index position @pos; @view receives it if set. */
static void tt_remove_at(struct tt_table *t, uint32_t pos, struct tt_entry_view *view)
{
	uint32_t idx = gi_entry(&t->index, pos);

	if (view)
		tt_view(tt_entry_at(t, idx), view);
	gi_remove(&t->index, pos);
	tt_unlink(t, idx);
	tt_free_entry(t, idx);
	t->count--;
}

/* Drop the oldest entry for @reason, telling the owner's callback. */
static void tt_drop_oldest(struct tt_table *t, enum tt_drop_reason reason)
{
	uint64_t vguid = tt_entry_at(t, t->oldest)->vguid;
	uint32_t pos = tt_find(t, vguid, gi_hash(&t->index, vguid));
	struct tt_entry_view view;

	tt_remove_at(t, pos, &view);
	if (t->cfg.on_drop)
		t->cfg.on_drop(t->cfg.drop_ctx, &view, reason);
}

/* ---- public ------------------------------------------------------------ */

static uint32_t tt_random_epoch(void)
{
	uint32_t epoch = 0;

	if (getrandom(&epoch, sizeof(epoch), 0) != sizeof(epoch))
		epoch = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return epoch ? epoch : 1;	/* 0 means "pick one" in the config */
}

struct tt_table *tt_create(const struct tt_config *cfg)
{
	struct tt_table *t;

	if (!cfg || !cfg->capacity || cfg->capacity > TT_CAPACITY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->free_head = t->oldest = t->newest = TT_NIL;
	/*
	 * The first chunk now, not at the first delete: the plugin calls in on
	 * OpenSM's SA thread, where a 2 MiB allocation and its page faults would
	 * delay that first request by milliseconds.
	 */
	if (gi_init(&t->index) || tt_grow_slab(t)) {
		tt_destroy(t);
		errno = ENOMEM;
		return NULL;
	}
	if (!t->cfg.epoch)
		t->cfg.epoch = tt_random_epoch();
	return t;
}

void tt_destroy(struct tt_table *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->chunk_count; i++)
		free(t->chunks[i]);
	free(t->chunks);
	gi_destroy(&t->index);
	free(t);
}

static uint64_t tt_advance_clock(struct tt_table *t, uint64_t now_ms)
{
	if (now_ms > TT_TIME_MAX)
		now_ms = TT_TIME_MAX;
	if (now_ms > t->last_ms)
		t->last_ms = now_ms;
	return t->last_ms;
}

static bool tt_is_expired(const struct tt_table *t, const struct tt_entry *e, uint64_t now)
{
	return t->cfg.ttl_ms && now - tt_entry_time(e) >= t->cfg.ttl_ms;
}

size_t tt_expire(struct tt_table *t, uint64_t now_ms)
{
	uint64_t now = tt_advance_clock(t, now_ms);
	size_t n = 0;

	while (t->oldest != TT_NIL && tt_is_expired(t, tt_entry_at(t, t->oldest), now)) {
		tt_drop_oldest(t, TT_DROP_EXPIRED);
		n++;
	}
	t->st.expired += n;
	return n;
}

static void tt_stamp_next(struct tt_table *t, struct tt_stamp *stamp)
{
	t->seq++;
	if (stamp) {
		stamp->epoch = t->cfg.epoch;
		stamp->seq = t->seq;
	}
}

void tt_stamp(struct tt_table *t, struct tt_stamp *stamp)
{
	tt_stamp_next(t, stamp);
}

/* Remember a new entry; the caller has checked that @vguid is absent. */
static int tt_insert(struct tt_table *t, uint64_t vguid, uint32_t hash, uint16_t lid,
		     uint64_t port_guid, uint64_t time_ms)
{
	struct tt_entry *e;
	uint32_t idx;
	int rc;

	rc = gi_reserve(&t->index, t->count + 1);
	if (rc)
		return rc;
	idx = tt_alloc_entry(t);
	if (idx == TT_NIL)
		return -ENOMEM;
	e = tt_entry_at(t, idx);
	e->vguid = vguid;
	e->port_guid = port_guid;
	e->time_lid = tt_time_lid(time_ms, lid);
	tt_link_newest(t, idx);
	gi_put(&t->index, hash, idx);
	t->count++;
	return 0;
}

int tt_delete(struct tt_table *t, uint64_t vguid, uint16_t lid, uint64_t port_guid,
	      uint64_t now_ms, struct tt_stamp *stamp)
{
	uint64_t now;
	uint32_t hash;
	uint32_t pos;
	int rc;

	if (!tt_valid_path(vguid, lid, port_guid)) {
		t->st.rejected++;
		return -EINVAL;
	}
	now = tt_advance_clock(t, now_ms);
	tt_expire(t, now);
	hash = gi_hash(&t->index, vguid);
	pos = tt_find(t, vguid, hash);
	if (pos != t->index.size) {
		/* A second delete without a set in between: the latest path wins. */
		uint32_t idx = gi_entry(&t->index, pos);
		struct tt_entry *e = tt_entry_at(t, idx);

		e->port_guid = port_guid;
		e->time_lid = tt_time_lid(now, lid);
		tt_unlink(t, idx);
		tt_link_newest(t, idx);
		t->st.replaced++;
	} else {
		if (t->count == t->cfg.capacity) {
			tt_drop_oldest(t, TT_DROP_EVICTED);
			t->st.evicted++;
		}
		rc = tt_insert(t, vguid, hash, lid, port_guid, now);
		if (rc)
			return rc;
	}
	t->st.deletes++;
	tt_stamp_next(t, stamp);
	return 0;
}

static enum tt_verdict tt_judge(const struct tt_entry_view *old, uint16_t lid,
				uint64_t port_guid)
{
	if (old->lid != lid)
		return TT_MIGRATED;
	if (old->port_guid == port_guid)
		return TT_RESTARTED;
	return TT_MOVED_SAME_LID;
}

int tt_set(struct tt_table *t, uint64_t vguid, uint16_t lid, uint64_t port_guid,
	   uint64_t now_ms, struct tt_set_result *res)
{
	uint64_t now;
	uint32_t pos;

	memset(res, 0, sizeof(*res));
	if (!tt_valid_path(vguid, lid, port_guid)) {
		t->st.rejected++;
		return -EINVAL;
	}
	now = tt_advance_clock(t, now_ms);
	tt_expire(t, now);
	pos = tt_find(t, vguid, gi_hash(&t->index, vguid));
	if (pos == t->index.size) {
		res->verdict = TT_CREATED;
	} else {
		tt_remove_at(t, pos, &res->old);
		res->verdict = tt_judge(&res->old, lid, port_guid);
	}
	t->st.sets++;
	t->st.verdicts[res->verdict]++;
	tt_stamp_next(t, &res->stamp);
	return 0;
}

/* Index position of @vguid, or index.size when it is not remembered (or 0). */
static uint32_t tt_position(const struct tt_table *t, uint64_t vguid)
{
	return vguid ? tt_find(t, vguid, gi_hash(&t->index, vguid)) : t->index.size;
}

int tt_lookup(const struct tt_table *t, uint64_t vguid, struct tt_entry_view *out)
{
	uint32_t pos = tt_position(t, vguid);

	if (pos == t->index.size)
		return -ENOENT;
	tt_view(tt_entry_at(t, gi_entry(&t->index, pos)), out);
	return 0;
}

int tt_flush(struct tt_table *t, uint64_t vguid)
{
	uint32_t pos = tt_position(t, vguid);
	struct tt_entry_view view;

	if (pos == t->index.size)
		return -ENOENT;
	tt_remove_at(t, pos, &view);
	t->st.flushed++;
	if (t->cfg.on_drop)
		t->cfg.on_drop(t->cfg.drop_ctx, &view, TT_DROP_FLUSHED);
	return 0;
}

size_t tt_flush_all(struct tt_table *t)
{
	size_t n = 0;

	while (t->oldest != TT_NIL) {
		tt_drop_oldest(t, TT_DROP_FLUSHED);
		n++;
	}
	t->st.flushed += n;
	return n;
}

int tt_snapshot(const struct tt_table *t, struct tt_entry_view **out, size_t *n)
{
	struct tt_entry_view *views = NULL;
	uint32_t idx;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!t->count)
		return 0;
	views = malloc((size_t)t->count * sizeof(*views));
	if (!views)
		return -ENOMEM;
	for (idx = t->oldest; idx != TT_NIL; idx = tt_entry_at(t, idx)->newer)
		tt_view(tt_entry_at(t, idx), &views[i++]);
	*out = views;
	*n = i;
	return 0;
}

void tt_get_stats(const struct tt_table *t, struct tt_stats *st)
{
	*st = t->st;
	st->count = t->count;
	st->capacity = t->cfg.capacity;
	st->ttl_ms = t->cfg.ttl_ms;
	st->epoch = t->cfg.epoch;
	st->seq = t->seq;
	st->bytes = sizeof(*t) + (uint64_t)t->chunk_slots * sizeof(*t->chunks) + t->slab_bytes +
		    gi_bytes(&t->index);
}

/* Remove everything without callbacks or counters (tt_restore's rollback). */
static void tt_clear_silently(struct tt_table *t)
{
	while (t->oldest != TT_NIL) {
		uint64_t vguid = tt_entry_at(t, t->oldest)->vguid;

		tt_remove_at(t, tt_find(t, vguid, gi_hash(&t->index, vguid)), NULL);
	}
}

static int tt_restore_one(struct tt_table *t, const struct tt_entry_view *v,
			  uint64_t prev_ms)
{
	uint32_t hash = gi_hash(&t->index, v->vguid);

	if (!tt_valid_path(v->vguid, v->lid, v->port_guid) || v->deleted_at_ms < prev_ms ||
	    v->deleted_at_ms > TT_TIME_MAX)
		return -EINVAL;
	if (tt_find(t, v->vguid, hash) != t->index.size)
		return -EINVAL;
	return tt_insert(t, v->vguid, hash, v->lid, v->port_guid, v->deleted_at_ms);
}

int tt_restore(struct tt_table *t, const struct tt_entry_view *entries, size_t n)
{
	uint64_t prev_ms = 0;
	size_t i;
	int rc;

	if (t->count)
		return -EBUSY;
	if (n > t->cfg.capacity)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		rc = tt_restore_one(t, &entries[i], prev_ms);
		if (rc) {
			tt_clear_silently(t);
			return rc;
		}
		prev_ms = entries[i].deleted_at_ms;
	}
	tt_advance_clock(t, prev_ms);
	t->st.restored += n;
	return 0;
}

const char *tt_verdict_name(enum tt_verdict v)
{
	static const char *const names[] = {
		[TT_CREATED] = "created",
		[TT_RESTARTED] = "restarted",
		[TT_MOVED_SAME_LID] = "moved-same-lid",
		[TT_MIGRATED] = "migrated",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

const char *tt_drop_reason_name(enum tt_drop_reason r)
{
	static const char *const names[] = {
		[TT_DROP_EXPIRED] = "expired",
		[TT_DROP_EVICTED] = "evicted",
		[TT_DROP_FLUSHED] = "flushed",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

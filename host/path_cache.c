// SPDX-License-Identifier: BSD-2-Clause
/*
 * path_cache.c - the VM path cache (ibvmig_path_cache.h, doc/path-cache.md).
 *
 * Entries live in one array addressed by 32-bit indices, grown on demand up
 * to the capacity, with a free list.  Each entry is on three chains: its hash
 * bucket's, the LRU list (head = most recently used) and, while suspended,
 * the suspension list (head = oldest suspension).  Times are clamped to never
 * go back, so the suspension list is in expiry order and expiry is O(expired).
 */
#include "ibvmig_path_cache.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define LID_UNICAST_MAX 0xBFFF	/* IBA 1.3 vol 1, 4.1.3 */

struct link {
	uint32_t prev, next;
};

struct entry {
	struct ibvmig_sa_path path;	/* key: path.dgid_prefix : path.dgid_guid */
	uint64_t inserted_at, suspended_at;
	struct ibvmig_pc_stamp stamp;
	bool stamped, suspended;
	uint32_t hnext;			/* bucket chain, or the free list */
	struct link lru, sus;
};

struct list {
	uint32_t head, tail;
	size_t off;			/* of the entry's struct link for this list */
};

struct ibvmig_pc_cache {
	struct ibvmig_pc_config cfg;
	struct entry *e;
	uint32_t allocated;		/* entries in e[] */
	uint32_t free_head;
	uint32_t *bucket;
	uint32_t mask;
	struct list lru, sus;
	uint64_t now;			/* the latest time seen */
	struct ibvmig_pc_stats st;
};

/* ---- lists ------------------------------------------------------------ */

static struct link *link_of(struct ibvmig_pc_cache *c, const struct list *l, uint32_t i)
{
	return (struct link *)((char *)&c->e[i] + l->off);
}

/* What follows @at (the list's head when @at is NIL) becomes @i. */
static void set_next(struct ibvmig_pc_cache *c, struct list *l, uint32_t at, uint32_t i)
{
	if (at == NIL)
		l->head = i;
	else
		link_of(c, l, at)->next = i;
}

/* What precedes @at (the list's tail when @at is NIL) becomes @i. */
static void set_prev(struct ibvmig_pc_cache *c, struct list *l, uint32_t at, uint32_t i)
{
	if (at == NIL)
		l->tail = i;
	else
		link_of(c, l, at)->prev = i;
}

static void list_unlink(struct ibvmig_pc_cache *c, struct list *l, uint32_t i)
{
	struct link *k = link_of(c, l, i);

	set_next(c, l, k->prev, k->next);
	set_prev(c, l, k->next, k->prev);
	k->prev = k->next = NIL;
}

/* Links @i between @prev and @next, neighbours in @l (NIL: an end). */
static void list_link(struct ibvmig_pc_cache *c, struct list *l, uint32_t i, uint32_t prev,
		      uint32_t next)
{
	struct link *k = link_of(c, l, i);

	k->prev = prev;
	k->next = next;
	set_next(c, l, prev, i);
	set_prev(c, l, next, i);
}

static void list_push_head(struct ibvmig_pc_cache *c, struct list *l, uint32_t i)
{
	list_link(c, l, i, NIL, l->head);
}

static void list_push_tail(struct ibvmig_pc_cache *c, struct list *l, uint32_t i)
{
	list_link(c, l, i, l->tail, NIL);
}

/* ---- the index -------------------------------------------------------- */

static uint32_t hash_gid(const struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid)
{
	/* splitmix64's finaliser over both halves of the GID */
	uint64_t z = guid ^ (prefix * 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (uint32_t)(z ^ (z >> 31)) & c->mask;
}

/* The slot that holds @prefix:@guid's index (or NIL at the end of its chain). */
static uint32_t *find_slot(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid)
{
	uint32_t *slot = &c->bucket[hash_gid(c, prefix, guid)];

	while (*slot != NIL) {
		const struct ibvmig_sa_path *p = &c->e[*slot].path;

		if (p->dgid_guid == guid && p->dgid_prefix == prefix)
			break;
		slot = &c->e[*slot].hnext;
	}
	return slot;
}

static uint32_t find(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid)
{
	return *find_slot(c, prefix, guid);
}

/* The entry of (@prefix, @guid) once every entry expired by @now_ms is gone; NIL if none. */
static uint32_t find_live(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid,
			  uint64_t now_ms)
{
	ibvmig_pc_expire(c, now_ms);
	return find(c, prefix, guid);
}

/* A free entry, growing the array up to the capacity; NIL when out of memory. */
static uint32_t entry_alloc(struct ibvmig_pc_cache *c)
{
	uint32_t i, n;
	struct entry *e;

	if (c->free_head == NIL) {
		n = c->allocated ? c->allocated * 2 : 16;
		if (n > c->cfg.capacity)
			n = c->cfg.capacity;
		e = realloc(c->e, (size_t)n * sizeof(*e));
		if (!e)
			return NIL;
		c->e = e;
		for (i = n; i-- > c->allocated;) {
			c->e[i].hnext = c->free_head;
			c->free_head = i;
		}
		c->allocated = n;
	}
	i = c->free_head;
	c->free_head = c->e[i].hnext;
	return i;
}

/* ---- entries ---------------------------------------------------------- */

static uint64_t tick(struct ibvmig_pc_cache *c, uint64_t now)
{
	if (now > c->now)
		c->now = now;
	return c->now;
}

static bool is_aged(const struct ibvmig_pc_cache *c, const struct entry *e, uint64_t now)
{
	return c->cfg.max_age_ms && now - e->inserted_at >= c->cfg.max_age_ms;
}

static void view_of(const struct ibvmig_pc_cache *c, const struct entry *e, uint64_t now,
		    struct ibvmig_pc_entry_view *v)
{
	memset(v, 0, sizeof(*v));
	v->path = e->path;
	v->state = e->suspended ? IBVMIG_PC_STATE_SUSPENDED
		   : is_aged(c, e, now) ? IBVMIG_PC_STATE_AGED : IBVMIG_PC_STATE_ACTIVE;
	v->stamped = e->stamped;
	v->stamp = e->stamp;
	v->inserted_at_ms = e->inserted_at;
	v->suspended_at_ms = e->suspended ? e->suspended_at : 0;
}

static void resume(struct ibvmig_pc_cache *c, uint32_t i)
{
	list_unlink(c, &c->sus, i);
	c->e[i].suspended = false;
	c->st.suspended_now--;
}

static void drop(struct ibvmig_pc_cache *c, uint32_t i, enum ibvmig_pc_drop_reason reason)
{
	struct entry *e = &c->e[i];
	uint32_t *slot = find_slot(c, e->path.dgid_prefix, e->path.dgid_guid);
	uint64_t *const counter[] = {
		[IBVMIG_PC_DROP_EVICTED] = &c->st.evicted,
		[IBVMIG_PC_DROP_SUSPENSION_EXPIRED] = &c->st.expired,
		[IBVMIG_PC_DROP_INVALIDATED] = &c->st.invalidated,
		[IBVMIG_PC_DROP_FLUSHED] = &c->st.flushed,
	};
	struct ibvmig_pc_entry_view v;

	view_of(c, e, c->now, &v);
	*slot = e->hnext;
	list_unlink(c, &c->lru, i);
	if (e->suspended)
		resume(c, i);
	e->hnext = c->free_head;
	c->free_head = i;
	c->st.count--;
	(*counter[reason])++;
	if (c->cfg.on_drop)
		c->cfg.on_drop(c->cfg.drop_ctx, &v, reason);
}

static void touch(struct ibvmig_pc_cache *c, uint32_t i)
{
	list_unlink(c, &c->lru, i);
	list_push_head(c, &c->lru, i);
}

static int reject(struct ibvmig_pc_cache *c)
{
	c->st.rejected++;
	return -EINVAL;
}

static bool lid_is_unicast(uint16_t lid)
{
	return lid >= 1 && lid <= LID_UNICAST_MAX;
}

/* ---- the API ------------------------------------------------------------ */

/* Buckets for @capacity entries: a power of two, at least 16, all empty. */
static uint32_t *buckets_for(uint32_t capacity, uint32_t *mask)
{
	uint32_t i, n = 16, *b;

	while (n < capacity)
		n *= 2;
	b = malloc((size_t)n * sizeof(*b));
	for (i = 0; b && i < n; i++)
		b[i] = NIL;
	*mask = n - 1;
	return b;
}

struct ibvmig_pc_cache *ibvmig_pc_create(const struct ibvmig_pc_config *cfg)
{
	struct ibvmig_pc_cache *c;

	if (!cfg || !cfg->capacity || cfg->capacity > IBVMIG_PC_CAPACITY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bucket = buckets_for(cfg->capacity, &c->mask))) {
		free(c);
		return NULL;
	}
	c->cfg = *cfg;
	c->free_head = NIL;
	c->lru = (struct list){ NIL, NIL, offsetof(struct entry, lru) };
	c->sus = (struct list){ NIL, NIL, offsetof(struct entry, sus) };
	c->st.capacity = cfg->capacity;
	c->st.max_age_ms = cfg->max_age_ms;
	c->st.suspend_limit_ms = cfg->suspend_limit_ms;
	return c;
}

void ibvmig_pc_destroy(struct ibvmig_pc_cache *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->bucket);
	free(c);
}

size_t ibvmig_pc_expire(struct ibvmig_pc_cache *c, uint64_t now_ms)
{
	uint64_t now = tick(c, now_ms), limit = c->cfg.suspend_limit_ms;
	size_t n = 0;

	while (limit && c->sus.head != NIL && now - c->e[c->sus.head].suspended_at >= limit) {
		drop(c, c->sus.head, IBVMIG_PC_DROP_SUSPENSION_EXPIRED);
		n++;
	}
	return n;
}

int ibvmig_pc_lookup(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid, uint64_t now_ms,
	      struct ibvmig_sa_path *out)
{
	uint32_t i;

	if (!guid)
		return reject(c);
	i = find_live(c, prefix, guid, now_ms);
	if (i == NIL) {
		c->st.misses++;
		return IBVMIG_PC_MISS;
	}
	touch(c, i);
	if (c->e[i].suspended) {
		c->st.suspended++;
		return IBVMIG_PC_SUSPENDED;
	}
	if (is_aged(c, &c->e[i], c->now)) {
		c->st.aged++;
		c->st.misses++;
		return IBVMIG_PC_MISS;
	}
	c->st.hits++;
	if (out)
		*out = c->e[i].path;
	return IBVMIG_PC_HIT;
}

/* An SA answer has no SM stamp: only the agent's may raise the held one. */
static void raise_stamp(struct entry *e, const struct ibvmig_pc_stamp *stamp)
{
	if (stamp && (!e->stamped || ibvmig_stamp_is_newer(stamp->epoch, stamp->seq,
							   e->stamp.epoch, e->stamp.seq))) {
		e->stamp = *stamp;
		e->stamped = true;
	}
}

int ibvmig_pc_insert(struct ibvmig_pc_cache *c, const struct ibvmig_sa_path *p,
		     const struct ibvmig_pc_stamp *stamp, uint64_t now_ms)
{
	struct entry *e;
	uint32_t i;

	if (!p || !p->dgid_guid || !lid_is_unicast(p->dlid))
		return reject(c);
	i = find_live(c, p->dgid_prefix, p->dgid_guid, now_ms);
	if (i != NIL) {
		c->st.refreshed++;
		if (c->e[i].suspended) {
			resume(c, i);
			c->st.resumed_by_insert++;
		}
	} else {
		/* Evicting first leaves a free entry: no allocation can fail then. */
		if (c->st.count == c->cfg.capacity)
			drop(c, c->lru.tail, IBVMIG_PC_DROP_EVICTED);
		i = entry_alloc(c);
		if (i == NIL)
			return -ENOMEM;
		e = &c->e[i];
		memset(e, 0, sizeof(*e));
		e->hnext = NIL;
		*find_slot(c, p->dgid_prefix, p->dgid_guid) = i;
		e->lru.prev = e->lru.next = e->sus.prev = e->sus.next = NIL;
		list_push_head(c, &c->lru, i);
		c->st.count++;
	}
	e = &c->e[i];
	e->path = *p;
	e->inserted_at = c->now;
	raise_stamp(e, stamp);
	touch(c, i);
	c->st.inserts++;
	return 0;
}

int ibvmig_pc_suspend(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid,
		      const struct ibvmig_pc_stamp *stamp, uint64_t now_ms)
{
	struct entry *e;
	uint32_t i;

	if (!guid)
		return reject(c);
	i = find_live(c, prefix, guid, now_ms);
	if (i == NIL) {
		c->st.uncached++;
		return IBVMIG_PC_UNCACHED;
	}
	e = &c->e[i];
	raise_stamp(e, stamp);
	/* Already suspended (by its UnPath): the clock runs from then. */
	if (e->suspended)
		return IBVMIG_PC_APPLIED;
	e->suspended = true;
	e->suspended_at = c->now;
	list_push_tail(c, &c->sus, i);
	c->st.suspended_now++;
	return IBVMIG_PC_APPLIED;
}

int ibvmig_pc_apply_notice(struct ibvmig_pc_cache *c, int trap, const struct ibvmig_path_notice *n,
		    uint64_t now_ms)
{
	struct entry *e;
	uint32_t i;

	if (!n || !n->vguid || (trap != IBVMIG_TRAP_REPATH && trap != IBVMIG_TRAP_UNPATH) ||
	    (trap == IBVMIG_TRAP_REPATH && !lid_is_unicast(n->new_lid)))
		return reject(c);
	i = find_live(c, n->subnet_prefix, n->vguid, now_ms);
	if (i == NIL) {
		c->st.uncached++;
		return IBVMIG_PC_UNCACHED;
	}
	e = &c->e[i];
	if (e->stamped && !ibvmig_stamp_is_newer(n->epoch, n->seq, e->stamp.epoch, e->stamp.seq)) {
		c->st.stale++;
		return IBVMIG_PC_STALE;
	}
	e->stamp = (struct ibvmig_pc_stamp){ n->epoch, n->seq };
	e->stamped = true;
	if (trap == IBVMIG_TRAP_REPATH) {
		e->path.dlid = n->new_lid;
		if (e->suspended)
			resume(c, i);
		c->st.repaths++;
		return IBVMIG_PC_APPLIED;
	}
	/* A newer UnPath restarts the clock: the entry goes to the list's end. */
	if (e->suspended)
		resume(c, i);
	e->suspended = true;
	e->suspended_at = c->now;
	list_push_tail(c, &c->sus, i);
	c->st.suspended_now++;
	c->st.unpaths++;
	return IBVMIG_PC_APPLIED;
}

int ibvmig_pc_invalidate(struct ibvmig_pc_cache *c, uint64_t prefix, uint64_t guid)
{
	uint32_t i = find(c, prefix, guid);

	if (i == NIL)
		return -ENOENT;
	drop(c, i, IBVMIG_PC_DROP_INVALIDATED);
	return 0;
}

size_t ibvmig_pc_flush(struct ibvmig_pc_cache *c)
{
	size_t n = 0;

	while (c->lru.head != NIL) {
		drop(c, c->lru.head, IBVMIG_PC_DROP_FLUSHED);
		n++;
	}
	return n;
}

int ibvmig_pc_snapshot(const struct ibvmig_pc_cache *c, uint64_t now_ms,
		       struct ibvmig_pc_entry_view **out, size_t *n)
{
	uint64_t now = now_ms > c->now ? now_ms : c->now;
	struct ibvmig_pc_entry_view *v;
	uint32_t i;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!c->st.count)
		return 0;
	v = malloc(c->st.count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = c->lru.head; i != NIL; i = c->e[i].lru.next)
		view_of(c, &c->e[i], now, &v[k++]);
	*out = v;
	*n = k;
	return 0;
}

void ibvmig_pc_get_stats(const struct ibvmig_pc_cache *c, struct ibvmig_pc_stats *st)
{
	*st = c->st;
}

/* @names[@i], or @other when @i is outside the table. */
static const char *name_in(const char *const *names, size_t n, int i, const char *other)
{
	return i >= 0 && (size_t)i < n ? names[i] : other;
}

#define NAME_IN(names, i, other) name_in(names, sizeof(names) / sizeof(names[0]), i, other)

static const char *const lookup_names[] = { "hit", "miss", "suspended" };
static const char *const notice_names[] = { "applied", "stale", "uncached" };
static const char *const drop_names[] = { "evicted", "suspension-expired", "invalidated",
					  "flushed" };
static const char *const state_names[] = { "active", "suspended", "aged" };

const char *ibvmig_pc_lookup_result_name(int r)
{
	return NAME_IN(lookup_names, r, "error");
}

const char *ibvmig_pc_notice_result_name(int r)
{
	return NAME_IN(notice_names, r, "error");
}

const char *ibvmig_pc_drop_reason_name(enum ibvmig_pc_drop_reason r)
{
	return NAME_IN(drop_names, (int)r, "unknown");
}

const char *ibvmig_pc_state_name(enum ibvmig_pc_state s)
{
	return NAME_IN(state_names, (int)s, "unknown");
}

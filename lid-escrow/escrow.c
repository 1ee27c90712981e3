// SPDX-License-Identifier: BSD-2-Clause
/*
 * escrow.c - the LID/P_Key escrow's handle, its records and its four
 * requests (lid_escrow.h).
 *
 * A request is judged in a fixed order, the same for every operation so
 * that a refusal never depends on what a later check would have found:
 * retransmission, malformed, not master, journal, rate limit, requester,
 * token, then the operation's own checks (doc/escrow-protocol.md lists them).
 * A change is built as a new image of the record, written to the journal,
 * and only once the journal holds it put in place and its side effect
 * queued; a failed write changes nothing.
 */
#include "esc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define ESC_DEF_CAPACITY 1024
#define ESC_DEF_TTL_MS (10 * 60 * 1000ull)
#define ESC_DEF_TOMB_MS (60 * 60 * 1000ull)
#define ESC_DEF_FAIL_LIMIT 8
#define ESC_DEF_FAIL_WINDOW_MS 60000
#define ESC_DEF_RATE_CAP 256
#define ESC_DEF_RETRANS_CAP 256
#define ESC_DEF_RETRANS_MS 30000
#define ESC_AUX_CAP_MAX (1u << 20)	/* bound of every other table */
#define ESC_TOKEN_TRIES 4

/* Hashed before the token, so that a token's hash is of no use elsewhere. */
static const char esc_token_domain[] = "ibvmig-escrow-token-v1";

/* ---- small helpers ------------------------------------------------------------ */

uint64_t esc_clock(struct esc *e, uint64_t now)
{
	if (now < e->latest_ms)
		return e->latest_ms;
	e->latest_ms = now;
	return now;
}

void esc_token_hash(const uint8_t token[ESC_TOKEN_LEN], uint8_t hash[ESC_SHA256_LEN])
{
	struct esc_sha256 s;

	esc_sha256_init(&s);
	esc_sha256_update(&s, esc_token_domain, sizeof(esc_token_domain) - 1);
	esc_sha256_update(&s, token, ESC_TOKEN_LEN);
	esc_sha256_final(&s, hash);
}

static uint64_t esc_hash_key(const uint8_t hash[ESC_SHA256_LEN])
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8; i++)
		k = k << 8 | hash[i];
	return k;
}

bool esc_mtu_valid(uint8_t mtu)
{
	return mtu >= 1 && mtu <= 5;	/* IBA vol 1, 14.2.5.6: 256 .. 4096 */
}

bool esc_pkey_valid(uint16_t pkey)
{
	uint16_t base = pkey & ESC_PKEY_BASE_MASK;

	return base && base != ESC_PKEY_DEFAULT;
}

unsigned esc_rate_mbps(uint8_t rate)
{
	/* The encoding is not monotonic (5 Gb/s came after 30): compare through this. */
	static const unsigned mbps[] = {
		[2] = 2500, [3] = 10000, [4] = 30000, [5] = 5000, [6] = 20000,
		[7] = 40000, [8] = 60000, [9] = 80000, [10] = 120000, [11] = 14000,
		[12] = 56000, [13] = 112000, [14] = 168000, [15] = 25000, [16] = 100000,
		[17] = 200000, [18] = 300000, [19] = 28000, [20] = 50000, [21] = 400000,
		[22] = 600000,
	};

	return rate < sizeof(mbps) / sizeof(mbps[0]) ? mbps[rate] : 0;
}

static int esc_getrandom(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)ctx;
	while (len) {
		ssize_t r = getrandom(p, len, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* ---- the lists and the indexes ------------------------------------------------------- */

typedef uint64_t (*esc_order_fn)(const struct esc_view *v);

static uint64_t esc_by_expiry(const struct esc_view *v)
{
	return v->expires_ms;
}

static uint64_t esc_by_change(const struct esc_view *v)
{
	return v->changed_ms;
}

/* Inserts @s after the last entry that is not later (time order, ties by arrival). */
static void esc_list_insert(struct esc *e, struct esc_list *l, uint32_t s, esc_order_fn key)
{
	uint32_t after = l->tail;
	struct esc_rec *r = &e->recs[s];

	while (after != ESC_NIL && key(&e->recs[after].v) > key(&r->v))
		after = e->recs[after].prev;
	r->prev = after;
	r->next = after == ESC_NIL ? l->head : e->recs[after].next;
	if (after == ESC_NIL)
		l->head = s;
	else
		e->recs[after].next = s;
	if (r->next == ESC_NIL)
		l->tail = s;
	else
		e->recs[r->next].prev = s;
	l->count++;
}

static void esc_list_remove(struct esc *e, struct esc_list *l, uint32_t s)
{
	struct esc_rec *r = &e->recs[s];

	if (r->prev == ESC_NIL)
		l->head = r->next;
	else
		e->recs[r->prev].next = r->next;
	if (r->next == ESC_NIL)
		l->tail = r->prev;
	else
		e->recs[r->next].prev = r->prev;
	r->prev = r->next = ESC_NIL;
	l->count--;
}

/* Enters slot @s in the structures of its state. */
static void esc_link(struct esc *e, uint32_t s)
{
	const struct esc_view *v = &e->recs[s].v;

	if (v->state == ESC_HELD) {
		esc_list_insert(e, &e->held, s, esc_by_expiry);
	} else if (v->state == ESC_MOVING) {
		e->nmoving++;
		if (!v->to_source)
			esc_map_put(&e->by_port, v->claimant, s);
	} else {
		esc_list_insert(e, &e->done, s, esc_by_change);
		return;
	}
	e->by_lid[v->lid] = s + 1;
	esc_map_put(&e->by_port, v->source, s);
}

static void esc_unlink(struct esc *e, uint32_t s)
{
	const struct esc_view *v = &e->recs[s].v;

	if (v->state == ESC_HELD) {
		esc_list_remove(e, &e->held, s);
	} else if (v->state == ESC_MOVING) {
		e->nmoving--;
		if (!v->to_source)
			esc_map_del(&e->by_port, v->claimant, s);
	} else {
		esc_list_remove(e, &e->done, s);
		return;
	}
	e->by_lid[v->lid] = 0;
	esc_map_del(&e->by_port, v->source, s);
}

/* Forgets slot @s entirely. */
static void esc_drop(struct esc *e, uint32_t s)
{
	struct esc_rec *r = &e->recs[s];

	esc_unlink(e, s);
	esc_map_del(&e->by_token, esc_hash_key(r->hash), s);
	esc_map_del(&e->by_id, r->v.id, s);
	esc_slot_release(e, s);
}

/* Keeps the finished escrows within their bound, oldest out first. */
static void esc_trim_done(struct esc *e)
{
	while (e->done.count > e->tomb_capacity)
		esc_drop(e, e->done.head);
}

void esc_gc_done(struct esc *e, uint64_t now)
{
	while (e->done.count && e->recs[e->done.head].v.changed_ms + e->tomb_ms <= now)
		esc_drop(e, e->done.head);
}

uint32_t esc_slot_alloc(struct esc *e)
{
	uint32_t s;

	if (e->free_head == ESC_NIL && e->done.count)
		esc_drop(e, e->done.head);
	s = e->free_head;
	if (s == ESC_NIL)
		return ESC_NIL;
	e->free_head = e->recs[s].next;
	memset(&e->recs[s], 0, sizeof(e->recs[s]));
	e->recs[s].prev = e->recs[s].next = ESC_NIL;
	e->recs[s].used = true;
	return s;
}

void esc_slot_release(struct esc *e, uint32_t s)
{
	explicit_bzero(&e->recs[s], sizeof(e->recs[s]));
	e->recs[s].prev = ESC_NIL;
	e->recs[s].next = e->free_head;
	e->free_head = s;
}

void esc_insert(struct esc *e, uint32_t s, const struct esc_view *v,
		const uint8_t hash[ESC_SHA256_LEN])
{
	struct esc_rec *r = &e->recs[s];

	r->v = *v;
	memcpy(r->hash, hash, ESC_SHA256_LEN);
	esc_map_put(&e->by_token, esc_hash_key(hash), s);
	esc_map_put(&e->by_id, v->id, s);
	esc_link(e, s);
	esc_trim_done(e);
}

void esc_commit(struct esc *e, uint32_t s, const struct esc_view *v)
{
	esc_unlink(e, s);
	e->recs[s].v = *v;
	esc_link(e, s);
	esc_trim_done(e);
}

uint32_t esc_find_id(const struct esc *e, uint64_t id)
{
	uint32_t pos = ESC_NIL, s;

	while ((s = esc_map_next(&e->by_id, id, &pos)) != ESC_NIL)
		if (e->recs[s].v.id == id)
			return s;
	return ESC_NIL;
}

/*
 * The slot whose token hash matches.  Every candidate is compared whole in
 * constant time; which candidates there are depends on the hash of the
 * token, not on the token's bytes an attacker could vary one at a time.
 */
static uint32_t esc_find_token(const struct esc *e, const uint8_t token[ESC_TOKEN_LEN])
{
	uint8_t hash[ESC_SHA256_LEN];
	uint32_t pos = ESC_NIL, s, found = ESC_NIL;

	esc_token_hash(token, hash);
	while ((s = esc_map_next(&e->by_token, esc_hash_key(hash), &pos)) != ESC_NIL)
		if (esc_ct_equal(e->recs[s].hash, hash, ESC_SHA256_LEN))
			found = s;
	explicit_bzero(hash, sizeof(hash));
	return found;
}

bool esc_port_busy(const struct esc *e, uint64_t guid)
{
	uint32_t pos = ESC_NIL, s;

	while ((s = esc_map_next(&e->by_port, guid, &pos)) != ESC_NIL)
		if (e->recs[s].v.source == guid || e->recs[s].v.claimant == guid)
			return true;
	return false;
}

/* ---- side effects --------------------------------------------------------------------- */

bool esc_outbox_room(const struct esc *e, uint32_t n)
{
	return e->ob_count + n <= e->ob_cap;
}

void esc_push_action(struct esc *e, enum esc_action_type type, const struct esc_view *v)
{
	struct esc_action *a = &e->outbox[(e->ob_head + e->ob_count) % e->ob_cap];

	memset(a, 0, sizeof(*a));
	a->type = type;
	a->id = v->id;
	a->lid = v->lid;
	a->source = v->source;
	a->port = v->source;
	if (type == ESC_ACT_MOVE) {
		a->to_source = v->to_source;
		a->port = v->to_source ? v->source : v->claimant;
		a->old_lid = v->claimant_old_lid;
	}
	if (type != ESC_ACT_FREE) {
		a->nkeys = v->nkeys;
		memcpy(a->keys, v->keys, v->nkeys * sizeof(v->keys[0]));
	}
	e->ob_count++;
}

int esc_next_action(struct esc *e, struct esc_action *act)
{
	if (!e->ob_count)
		return -ENOENT;
	*act = e->outbox[e->ob_head];
	e->ob_head = (e->ob_head + 1) % e->ob_cap;
	e->ob_count--;
	return 0;
}

/* ---- the journal of changes ------------------------------------------------------------- */

static void esc_after_append(struct esc *e)
{
	if (!e->compact || !jnl_compact_due(e->jnl))
		return;
	if (jnl_compact(e->jnl, esc_journal_snapshot, e))
		e->st.compaction_errors++;
	else
		e->st.compactions++;
}

static int esc_log(struct esc *e, const struct esc_view *v, const uint8_t hash[ESC_SHA256_LEN])
{
	uint8_t buf[ESC_JREC_ESCROW_MAX];
	size_t len = esc_jrec_encode(v, hash, buf);
	int rc;

	rc = jnl_append(e->jnl, ESC_JREC_ESCROW, buf, (uint32_t)len, NULL);
	if (rc)
		e->st.journal_errors++;
	return rc;
}

/* Ends the held escrows of @slots, in one durable write: 0 or -errno. */
static int esc_expire_slots(struct esc *e, const uint32_t *slots, uint32_t n, uint64_t now)
{
	uint8_t buf[ESC_EXPIRE_BATCH][ESC_JREC_ESCROW_MAX];
	struct jnl_entry ent[ESC_EXPIRE_BATCH] = { { 0 } };
	struct esc_view v[ESC_EXPIRE_BATCH];
	uint32_t i;
	int rc;

	for (i = 0; i < n; i++) {
		v[i] = e->recs[slots[i]].v;
		v[i].state = ESC_EXPIRED;
		v[i].changed_ms = now;
		ent[i].type = ESC_JREC_ESCROW;
		ent[i].data = buf[i];
		ent[i].len = (uint32_t)esc_jrec_encode(&v[i], e->recs[slots[i]].hash, buf[i]);
	}
	rc = jnl_append_batch(e->jnl, ent, n, NULL);
	if (rc) {
		e->st.journal_errors++;
		return rc;
	}
	for (i = 0; i < n; i++) {
		esc_commit(e, slots[i], &v[i]);
		esc_push_action(e, ESC_ACT_FREE, &v[i]);
	}
	e->st.expired += n;
	esc_after_append(e);
	return 0;
}

int esc_expire_due(struct esc *e, uint64_t now, uint32_t max)
{
	uint32_t slots[ESC_EXPIRE_BATCH], n, s, total = 0;
	int rc;

	for (;;) {
		n = 0;
		for (s = e->held.head; s != ESC_NIL && n < ESC_EXPIRE_BATCH && total + n < max;
		     s = e->recs[s].next) {
			if (e->recs[s].v.expires_ms > now || !esc_outbox_room(e, n + 1))
				break;
			slots[n++] = s;
		}
		if (!n)
			return (int)total;
		rc = esc_expire_slots(e, slots, n, now);
		if (rc)
			return total ? (int)total : -EIO;
		total += n;
	}
}

/*
 * Every operation's start: the clock read (never backwards), finished records
 * past their keep time dropped.  -EIO before esc_start().
 */
static int esc_begin(struct esc *e, uint64_t now_ms, uint64_t *now)
{
	if (!e->started)
		return -EIO;
	*now = esc_clock(e, now_ms);
	esc_gc_done(e, *now);
	return 0;
}

int esc_expire(struct esc *e, uint64_t now_ms)
{
	uint64_t now;

	if (esc_begin(e, now_ms, &now))
		return -EIO;
	return esc_expire_due(e, now, UINT32_MAX);
}

int esc_end(struct esc *e, uint64_t id, uint64_t now_ms)
{
	uint64_t now;
	uint32_t s;

	if (esc_begin(e, now_ms, &now))
		return -EIO;
	s = esc_find_id(e, id);
	if (s == ESC_NIL)
		return -ENOENT;
	if (e->recs[s].v.state != ESC_HELD)
		return -EBUSY;
	if (!esc_outbox_room(e, 1))
		return -ENOSPC;
	/* The same record an expiry writes: a replay cannot tell them apart, nor need to. */
	return esc_expire_slots(e, &s, 1, now) ? -EIO : 0;
}

int esc_move_live(struct esc *e, uint64_t id, uint64_t now_ms)
{
	struct esc_view v;
	uint64_t now;
	uint32_t s;

	if (esc_begin(e, now_ms, &now))
		return -EIO;
	s = esc_find_id(e, id);
	if (s == ESC_NIL || e->recs[s].v.state != ESC_MOVING)
		return -ENOENT;
	v = e->recs[s].v;
	v.state = v.to_source ? ESC_CANCELLED : ESC_LIVE;
	v.changed_ms = now;
	if (esc_log(e, &v, e->recs[s].hash))
		return -EIO;
	esc_commit(e, s, &v);
	e->st.moves_live++;
	esc_after_append(e);
	return 0;
}

/* ---- who may ask, and how often ------------------------------------------------------------ */

static uint64_t esc_pf_of(const struct esc *e, uint64_t vswitch)
{
	size_t lo = 0, hi = e->nvsw;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->vsw[mid].switch_guid == vswitch)
			return e->vsw[mid].pf_guid;
		if (e->vsw[mid].switch_guid < vswitch)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The port itself, or the PF declared for the vSwitch it sits behind. */
static bool esc_may_ask(const struct esc *e, uint64_t requester, const struct esc_port *p)
{
	if (requester == p->guid)
		return true;
	return p->vswitch && esc_pf_of(e, p->vswitch) == requester;
}

static bool esc_lid_free_for(const struct esc *e, uint16_t lid, uint64_t a, uint64_t b)
{
	uint64_t holder;

	if (!e->lid_holder)
		return true;
	holder = e->lid_holder(e->lid_holder_ctx, lid);
	return !holder || holder == a || holder == b;
}

static struct esc_rl *esc_rl_find(const struct esc *e, uint64_t requester)
{
	uint32_t pos = ESC_NIL, i;

	while ((i = esc_map_next(&e->rl_map, requester, &pos)) != ESC_NIL)
		if (e->rl[i].requester == requester)
			return &e->rl[i];
	return NULL;
}

static bool esc_limited(const struct esc *e, uint64_t requester, uint64_t now,
			struct esc_answer *ans)
{
	const struct esc_rl *r = esc_rl_find(e, requester);

	if (!r || now - r->window_start >= e->fail_window_ms || r->fails < e->fail_limit)
		return false;
	ans->retry_after_ms = r->window_start + e->fail_window_ms - now;
	return true;
}

/* A token request failed for a reason a guesser would meet: count it. */
static enum esc_status esc_failed(struct esc *e, const struct esc_request *req, uint64_t now,
				  enum esc_status st)
{
	struct esc_rl *r = esc_rl_find(e, req->requester);

	if (!r) {
		r = &e->rl[e->rl_next];
		if (r->valid)
			esc_map_del(&e->rl_map, r->requester, e->rl_next);
		*r = (struct esc_rl){ .requester = req->requester, .window_start = now,
				      .valid = true };
		esc_map_put(&e->rl_map, r->requester, e->rl_next);
		e->rl_next = (e->rl_next + 1) % e->rl_cap;
	}
	if (now - r->window_start >= e->fail_window_ms) {
		r->window_start = now;
		r->fails = 0;
	}
	r->fails++;
	return st;
}

/* ---- the retransmission cache --------------------------------------------------------------- */

static uint64_t esc_rt_key(uint64_t requester, uint64_t tid)
{
	return requester * 0x9E3779B97F4A7C15ULL ^ tid;
}

static void esc_rt_drop(struct esc *e, uint32_t i)
{
	struct esc_rt *c = &e->rt[i];

	esc_map_del(&e->rt_map, esc_rt_key(c->requester, c->tid), i);
	explicit_bzero(c, sizeof(*c));	/* a RELEASE's answer holds its token */
}

static bool esc_rt_same(const struct esc_rt *c, enum esc_op op, const struct esc_request *req)
{
	if (c->op != op || c->port != req->port.guid)
		return false;
	if (op == ESC_OP_RELEASE)
		return c->dest == req->dest;
	return esc_ct_equal(c->token, req->token, ESC_TOKEN_LEN);
}

/* 1: @ans is the first answer again; 0: not seen; -1: the TID was used for another request. */
static int esc_rt_find(struct esc *e, enum esc_op op, const struct esc_request *req,
		       uint64_t now, struct esc_answer *ans)
{
	uint64_t key = esc_rt_key(req->requester, req->tid);
	uint32_t pos = ESC_NIL, i;

	while ((i = esc_map_next(&e->rt_map, key, &pos)) != ESC_NIL) {
		struct esc_rt *c = &e->rt[i];

		if (c->requester != req->requester || c->tid != req->tid)
			continue;
		if (now - c->at_ms >= e->retrans_ms) {
			esc_rt_drop(e, i);
			return 0;
		}
		if (!esc_rt_same(c, op, req))
			return -1;
		*ans = c->ans;
		ans->retransmit = true;
		return 1;
	}
	return 0;
}

static void esc_rt_store(struct esc *e, enum esc_op op, const struct esc_request *req,
			 uint64_t now, const struct esc_answer *ans)
{
	struct esc_rt *c = &e->rt[e->rt_next];

	if (c->valid)
		esc_rt_drop(e, e->rt_next);
	c->requester = req->requester;
	c->tid = req->tid;
	c->at_ms = now;
	c->port = req->port.guid;
	c->dest = req->dest;
	memcpy(c->token, req->token, ESC_TOKEN_LEN);
	c->op = (uint8_t)op;
	c->ans = *ans;
	c->valid = true;
	esc_map_put(&e->rt_map, esc_rt_key(req->requester, req->tid), e->rt_next);
	e->rt_next = (e->rt_next + 1) % e->rt_cap;
}

/* ---- validation of what the caller passes ---------------------------------------------------- */

static bool esc_token_zero(const uint8_t token[ESC_TOKEN_LEN])
{
	uint8_t any = 0;
	int i;

	for (i = 0; i < ESC_TOKEN_LEN; i++)
		any |= token[i];
	return !any;
}

static bool esc_lid_valid(uint16_t lid)
{
	return lid >= ESC_LID_MIN && lid <= ESC_LID_MAX;
}

/* Facts about memberships that cannot be right: a zero key, an unknown source, a key twice. */
static bool esc_keys_malformed(const struct esc_port *p)
{
	uint8_t seen[(ESC_PKEY_BASE_MASK + 1) / 8];
	size_t i;

	if (p->nkeys && !p->keys)
		return true;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < p->nkeys; i++) {
		uint16_t base = p->keys[i].pkey & ESC_PKEY_BASE_MASK;

		if (!base || p->keys[i].source > ESC_KEY_GROUP || seen[base / 8] & (1u << base % 8))
			return true;
		seen[base / 8] |= (uint8_t)(1u << base % 8);
	}
	return false;
}

static bool esc_malformed(enum esc_op op, const struct esc_request *req)
{
	const struct esc_port *p = &req->port;

	if (!req->requester || !p->guid)
		return true;
	if (op != ESC_OP_RELEASE)
		return esc_token_zero(req->token) ||
		       (op == ESC_OP_CLAIM && (!esc_mtu_valid(p->mtu) || !esc_rate_mbps(p->rate) ||
					       (p->lid && !esc_lid_valid(p->lid))));
	return req->dest == p->guid || !esc_lid_valid(p->lid) || !esc_mtu_valid(p->mtu) ||
	       !esc_rate_mbps(p->rate) || esc_keys_malformed(p);
}

/* ---- the requests ---------------------------------------------------------------------------- */

/* Copies the memberships an escrow takes: every one but the default. */
static enum esc_status esc_take_keys(const struct esc_port *p, struct esc_view *v)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		if (esc_pkey_valid(p->keys[i].pkey) && p->keys[i].source == ESC_KEY_GROUP)
			return ESC_E_GROUP_RULE_KEY;
	for (i = 0; i < p->nkeys; i++) {
		if (!esc_pkey_valid(p->keys[i].pkey))
			continue;
		if (v->nkeys == ESC_KEYS_MAX)
			return ESC_E_CAPACITY;
		v->keys[v->nkeys++] = p->keys[i].pkey;
	}
	return ESC_OK;
}

static int esc_new_token(struct esc *e, uint8_t token[ESC_TOKEN_LEN])
{
	int tries, rc;

	for (tries = 0; tries < ESC_TOKEN_TRIES; tries++) {
		rc = e->random(e->random_ctx, token, ESC_TOKEN_LEN);
		if (rc)
			return rc;
		/* 2^-128 each, but a token must be unique and zero means "none". */
		if (!esc_token_zero(token) && esc_find_token(e, token) == ESC_NIL)
			return 0;
	}
	return -EAGAIN;
}

static uint32_t esc_active_count(const struct esc *e)
{
	return e->held.count + e->nmoving;
}

static enum esc_status esc_release_checks(struct esc *e, const struct esc_request *req,
					  struct esc_view *v)
{
	const struct esc_port *p = &req->port;
	enum esc_status st;

	if (!esc_may_ask(e, req->requester, p))
		return ESC_E_WRONG_REQUESTER;
	if (p->has_aliases)
		return ESC_E_PORT_HAS_ALIASES;
	if (esc_port_busy(e, p->guid))
		return ESC_E_PORT_IN_ESCROW;
	if (e->by_lid[p->lid] || !esc_lid_free_for(e, p->lid, p->guid, 0))
		return ESC_E_LID_BUSY;
	st = esc_take_keys(p, v);
	if (st)
		return st;
	if (esc_active_count(e) >= e->capacity || !esc_outbox_room(e, 1))
		return ESC_E_CAPACITY;
	return ESC_OK;
}

static enum esc_status esc_do_release(struct esc *e, const struct esc_request *req,
				      uint64_t now, struct esc_answer *ans)
{
	uint8_t token[ESC_TOKEN_LEN], hash[ESC_SHA256_LEN];
	enum esc_status st;
	struct esc_view v;
	uint32_t s;

	memset(&v, 0, sizeof(v));
	st = esc_release_checks(e, req, &v);
	if (st)
		return st;
	if (esc_new_token(e, token))
		return ESC_E_INTERNAL;
	esc_token_hash(token, hash);
	v.id = e->next_id;
	v.state = ESC_HELD;
	v.lid = req->port.lid;
	v.mtu = req->port.mtu;
	v.rate = req->port.rate;
	v.source = req->port.guid;
	v.dest = req->dest;
	v.created_ms = v.changed_ms = now;
	v.expires_ms = now + e->ttl_ms < now ? UINT64_MAX : now + e->ttl_ms;
	s = esc_slot_alloc(e);
	if (s == ESC_NIL) {
		st = ESC_E_CAPACITY;
	} else if (esc_log(e, &v, hash)) {
		esc_slot_release(e, s);
		st = ESC_E_JOURNAL;
	} else {
		e->next_id++;
		esc_insert(e, s, &v, hash);
		esc_push_action(e, ESC_ACT_RESERVE, &v);
		memcpy(ans->token, token, ESC_TOKEN_LEN);
		ans->view = v;
		esc_after_append(e);
	}
	explicit_bzero(token, sizeof(token));
	explicit_bzero(hash, sizeof(hash));
	return st;
}

/*
 * Whether the escrow in slot @s may still be claimed or cancelled; a held
 * one past its TTL is ended now (durably, if the journal and the queue
 * allow: otherwise the next esc_expire does it) and is expired either way.
 */
static enum esc_status esc_usable(struct esc *e, uint32_t s, uint64_t now)
{
	const struct esc_view *v = &e->recs[s].v;

	if (v->state == ESC_HELD && now >= v->expires_ms) {
		if (esc_outbox_room(e, 1))
			esc_expire_slots(e, &s, 1, now);
		return ESC_E_EXPIRED_TOKEN;
	}
	if (v->state == ESC_HELD)
		return ESC_OK;
	return v->state == ESC_EXPIRED ? ESC_E_EXPIRED_TOKEN : ESC_E_USED_TOKEN;
}

/* The checks CLAIM, CANCEL and QUERY share: the slot of the token, or ESC_NIL and *@st. */
static uint32_t esc_token_checks(struct esc *e, const struct esc_request *req, uint64_t now,
				 struct esc_answer *ans, enum esc_status *st)
{
	uint32_t s;

	*st = ESC_OK;
	if (esc_limited(e, req->requester, now, ans)) {
		*st = ESC_E_RATE_LIMITED;
		return ESC_NIL;
	}
	if (!esc_may_ask(e, req->requester, &req->port)) {
		*st = esc_failed(e, req, now, ESC_E_WRONG_REQUESTER);
		return ESC_NIL;
	}
	s = esc_find_token(e, req->token);
	if (s == ESC_NIL)
		*st = esc_failed(e, req, now, ESC_E_UNKNOWN_TOKEN);
	return s;
}

static enum esc_status esc_claim_checks(struct esc *e, const struct esc_request *req,
					uint64_t now, const struct esc_view *v)
{
	const struct esc_port *q = &req->port;

	if (v->dest && v->dest != q->guid)
		return esc_failed(e, req, now, ESC_E_WRONG_REQUESTER);
	if (q->has_aliases)
		return ESC_E_PORT_HAS_ALIASES;
	if (esc_port_busy(e, q->guid))
		return ESC_E_PORT_IN_ESCROW;
	if (q->mtu < v->mtu || esc_rate_mbps(q->rate) < esc_rate_mbps(v->rate))
		return ESC_E_PATH_DIFFERS;
	if (!esc_lid_free_for(e, v->lid, v->source, q->guid))
		return ESC_E_LID_BUSY;
	if (!esc_outbox_room(e, 1))
		return ESC_E_CAPACITY;
	return ESC_OK;
}

static enum esc_status esc_cancel_checks(struct esc *e, const struct esc_request *req,
					 uint64_t now, const struct esc_view *v)
{
	if (v->source != req->port.guid)
		return esc_failed(e, req, now, ESC_E_WRONG_REQUESTER);
	if (req->port.has_aliases)
		return ESC_E_PORT_HAS_ALIASES;
	if (!esc_lid_free_for(e, v->lid, v->source, 0))
		return ESC_E_LID_BUSY;
	if (!esc_outbox_room(e, 1))
		return ESC_E_CAPACITY;
	return ESC_OK;
}

/* CLAIM and CANCEL: the escrow starts moving, to the claimant or back to its source. */
static enum esc_status esc_do_move(struct esc *e, enum esc_op op, const struct esc_request *req,
				   uint64_t now, struct esc_answer *ans)
{
	enum esc_status st;
	struct esc_view v;
	uint32_t s;

	s = esc_token_checks(e, req, now, ans, &st);
	if (s == ESC_NIL)
		return st;
	st = esc_usable(e, s, now);
	if (st)
		return esc_failed(e, req, now, st);
	v = e->recs[s].v;
	st = op == ESC_OP_CLAIM ? esc_claim_checks(e, req, now, &v)
				: esc_cancel_checks(e, req, now, &v);
	if (st)
		return st;
	v.state = ESC_MOVING;
	v.to_source = op == ESC_OP_CANCEL;
	v.claimant = req->port.guid;
	v.claimant_old_lid = esc_lid_valid(req->port.lid) ? req->port.lid : 0;
	v.changed_ms = now;
	if (esc_log(e, &v, e->recs[s].hash))
		return ESC_E_JOURNAL;
	esc_commit(e, s, &v);
	esc_push_action(e, ESC_ACT_MOVE, &v);
	ans->view = v;
	esc_after_append(e);
	return ESC_OK;
}

static enum esc_status esc_do_query(struct esc *e, const struct esc_request *req, uint64_t now,
				    struct esc_answer *ans)
{
	uint64_t n = req->port.guid;
	enum esc_status st;
	struct esc_view v;
	uint32_t s;

	s = esc_token_checks(e, req, now, ans, &st);
	if (s == ESC_NIL)
		return st;
	esc_usable(e, s, now);		/* a held escrow past its TTL reads as expired */
	v = e->recs[s].v;
	if (v.state == ESC_HELD && now >= v.expires_ms)
		v.state = ESC_EXPIRED;
	if (n != v.source && (!v.dest || n != v.dest) && (!v.claimant || n != v.claimant))
		return esc_failed(e, req, now, ESC_E_WRONG_REQUESTER);
	ans->view = v;
	return ESC_OK;
}

static enum esc_status esc_judge(struct esc *e, enum esc_op op, const struct esc_request *req,
				 uint64_t now, struct esc_answer *ans)
{
	if (esc_malformed(op, req))
		return ESC_E_MALFORMED;
	if (!req->master)
		return ESC_E_NOT_MASTER;
	if (!e->started || (op != ESC_OP_QUERY && !jnl_writable(e->jnl)))
		return ESC_E_JOURNAL;
	switch (op) {
	case ESC_OP_RELEASE:
		return esc_do_release(e, req, now, ans);
	case ESC_OP_CLAIM:
	case ESC_OP_CANCEL:
		return esc_do_move(e, op, req, now, ans);
	default:
		return esc_do_query(e, req, now, ans);
	}
}

static enum esc_status esc_answer_request(struct esc *e, enum esc_op op,
					  const struct esc_request *req, struct esc_answer *ans)
{
	enum esc_status st;
	uint64_t now, retry;
	int seen;

	memset(ans, 0, sizeof(*ans));
	e->st.requests[op]++;
	now = esc_clock(e, req->now_ms);
	esc_gc_done(e, now);
	seen = req->requester ? esc_rt_find(e, op, req, now, ans) : 0;
	if (seen > 0) {
		e->st.retransmits++;
		return ans->status;
	}
	st = seen < 0 ? ESC_E_MALFORMED : esc_judge(e, op, req, now, ans);
	if (st != ESC_OK) {
		retry = st == ESC_E_RATE_LIMITED ? ans->retry_after_ms : 0;
		memset(ans, 0, sizeof(*ans));
		ans->retry_after_ms = retry;
	}
	ans->status = st;
	e->st.status[st]++;
	if (!seen && req->requester)
		esc_rt_store(e, op, req, now, ans);
	return st;
}

enum esc_status esc_release(struct esc *e, const struct esc_request *req, struct esc_answer *ans)
{
	return esc_answer_request(e, ESC_OP_RELEASE, req, ans);
}

enum esc_status esc_claim(struct esc *e, const struct esc_request *req, struct esc_answer *ans)
{
	return esc_answer_request(e, ESC_OP_CLAIM, req, ans);
}

enum esc_status esc_cancel(struct esc *e, const struct esc_request *req, struct esc_answer *ans)
{
	return esc_answer_request(e, ESC_OP_CANCEL, req, ans);
}

enum esc_status esc_query(struct esc *e, const struct esc_request *req, struct esc_answer *ans)
{
	return esc_answer_request(e, ESC_OP_QUERY, req, ans);
}

/* ---- the handle ------------------------------------------------------------------------------ */

static int esc_cmp_vswitch(const void *a, const void *b)
{
	const struct esc_vswitch *x = a, *y = b;

	return x->switch_guid < y->switch_guid ? -1 : x->switch_guid > y->switch_guid;
}

int esc_set_vswitches(struct esc *e, const struct esc_vswitch *v, size_t n)
{
	struct esc_vswitch *copy = NULL;
	size_t i;

	if (n > ESC_AUX_CAP_MAX || (n && !v))
		return -EINVAL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, v, n * sizeof(*copy));
		qsort(copy, n, sizeof(*copy), esc_cmp_vswitch);
	}
	for (i = 0; i < n; i++) {
		if (!copy[i].switch_guid || !copy[i].pf_guid ||
		    (i && copy[i].switch_guid == copy[i - 1].switch_guid)) {
			free(copy);
			return -EINVAL;
		}
	}
	free(e->vsw);
	e->vsw = copy;
	e->nvsw = n;
	return 0;
}

static uint64_t or_default(uint64_t v, uint64_t def)
{
	return v ? v : def;
}

static int esc_configure(struct esc *e, const struct esc_config *cfg)
{
	if (!cfg->journal || cfg->capacity > ESC_CAPACITY_MAX ||
	    cfg->tomb_capacity > ESC_AUX_CAP_MAX || cfg->rate_capacity > ESC_AUX_CAP_MAX ||
	    cfg->retrans_capacity > ESC_AUX_CAP_MAX)
		return -EINVAL;
	e->jnl = cfg->journal;
	e->compact = cfg->compact;
	e->capacity = (uint32_t)or_default(cfg->capacity, ESC_DEF_CAPACITY);
	e->tomb_capacity = (uint32_t)or_default(cfg->tomb_capacity, e->capacity);
	e->nslots = e->capacity + e->tomb_capacity;
	e->ttl_ms = or_default(cfg->ttl_ms, ESC_DEF_TTL_MS);
	e->tomb_ms = or_default(cfg->tomb_ms, ESC_DEF_TOMB_MS);
	e->fail_limit = (uint32_t)or_default(cfg->fail_limit, ESC_DEF_FAIL_LIMIT);
	e->fail_window_ms = or_default(cfg->fail_window_ms, ESC_DEF_FAIL_WINDOW_MS);
	e->rl_cap = (uint32_t)or_default(cfg->rate_capacity, ESC_DEF_RATE_CAP);
	e->rt_cap = (uint32_t)or_default(cfg->retrans_capacity, ESC_DEF_RETRANS_CAP);
	e->retrans_ms = or_default(cfg->retrans_ms, ESC_DEF_RETRANS_MS);
	e->ob_cap = 2 * e->capacity + 16;
	e->random = cfg->random ? cfg->random : esc_getrandom;
	e->random_ctx = cfg->random_ctx;
	e->lid_holder = cfg->lid_holder;
	e->lid_holder_ctx = cfg->lid_holder_ctx;
	return esc_set_vswitches(e, cfg->vswitches, cfg->nvswitches);
}

static int esc_alloc_tables(struct esc *e)
{
	uint64_t seed[5];
	uint32_t i;
	int rc;

	rc = e->random(e->random_ctx, seed, sizeof(seed));
	if (rc)
		return rc;
	e->recs = calloc(e->nslots, sizeof(*e->recs));
	e->by_lid = calloc(ESC_LID_MAX + 1, sizeof(*e->by_lid));
	e->rt = calloc(e->rt_cap, sizeof(*e->rt));
	e->rl = calloc(e->rl_cap, sizeof(*e->rl));
	e->outbox = calloc(e->ob_cap, sizeof(*e->outbox));
	if (!e->recs || !e->by_lid || !e->rt || !e->rl || !e->outbox ||
	    esc_map_init(&e->by_token, e->nslots, seed[0]) ||
	    esc_map_init(&e->by_id, e->nslots, seed[1]) ||
	    esc_map_init(&e->by_port, 2 * e->nslots, seed[2]) ||
	    esc_map_init(&e->rt_map, e->rt_cap, seed[3]) ||
	    esc_map_init(&e->rl_map, e->rl_cap, seed[4]))
		return -ENOMEM;
	for (i = 0; i < e->nslots; i++) {
		e->recs[i].prev = ESC_NIL;
		e->recs[i].next = i + 1 < e->nslots ? i + 1 : ESC_NIL;
	}
	e->free_head = 0;
	e->held = e->done = (struct esc_list){ .head = ESC_NIL, .tail = ESC_NIL };
	return 0;
}

struct esc *esc_create(const struct esc_config *cfg)
{
	struct esc *e;
	int rc;

	if (!cfg) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->next_id = 1;
	e->why = "";
	rc = esc_configure(e, cfg);
	if (!rc)
		rc = esc_alloc_tables(e);
	if (rc) {
		esc_destroy(e);
		errno = -rc;
		return NULL;
	}
	return e;
}

void esc_destroy(struct esc *e)
{
	if (!e)
		return;
	if (e->recs)
		explicit_bzero(e->recs, e->nslots * sizeof(*e->recs));
	if (e->rt)
		explicit_bzero(e->rt, e->rt_cap * sizeof(*e->rt));
	free(e->recs);
	free(e->by_lid);
	free(e->rt);
	free(e->rl);
	free(e->outbox);
	free(e->vsw);
	esc_map_free(&e->by_token);
	esc_map_free(&e->by_id);
	esc_map_free(&e->by_port);
	esc_map_free(&e->rt_map);
	esc_map_free(&e->rl_map);
	free(e);
}

/* ---- introspection --------------------------------------------------------------------------- */

bool esc_lid_reserved(const struct esc *e, uint16_t lid)
{
	return lid <= ESC_LID_MAX && e->by_lid[lid];
}

int esc_get(const struct esc *e, uint64_t id, struct esc_view *v)
{
	uint32_t s = esc_find_id(e, id);

	if (s == ESC_NIL)
		return -ENOENT;
	*v = e->recs[s].v;
	return 0;
}

static int esc_cmp_id(const void *a, const void *b)
{
	const struct esc_view *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int esc_list(const struct esc *e, struct esc_view **out, size_t *n)
{
	struct esc_view *v;
	size_t count = 0;
	uint32_t s;

	*out = NULL;
	*n = 0;
	v = malloc((e->nslots ? e->nslots : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (s = 0; s < e->nslots; s++)
		if (e->recs[s].used)
			v[count++] = e->recs[s].v;
	qsort(v, count, sizeof(*v), esc_cmp_id);
	if (!count) {
		free(v);
		return 0;
	}
	*out = v;
	*n = count;
	return 0;
}

void esc_get_stats(const struct esc *e, struct esc_stats *st)
{
	*st = e->st;
	st->held = e->held.count;
	st->moving = e->nmoving;
	st->finished = e->done.count;
	st->capacity = e->capacity;
	st->pending_actions = e->ob_count;
}

const char *esc_why(const struct esc *e)
{
	return e->why;
}

const char *esc_strerror(enum esc_status s)
{
	static const char *const names[] = {
		[ESC_OK] = "ok",
		[ESC_E_MALFORMED] = "malformed request",
		[ESC_E_UNKNOWN_TOKEN] = "unknown token",
		[ESC_E_EXPIRED_TOKEN] = "expired token",
		[ESC_E_USED_TOKEN] = "used token",
		[ESC_E_WRONG_REQUESTER] = "wrong requester",
		[ESC_E_PORT_HAS_ALIASES] = "port holds aliases",
		[ESC_E_PORT_IN_ESCROW] = "port already in escrow",
		[ESC_E_PATH_DIFFERS] = "path differs",
		[ESC_E_GROUP_RULE_KEY] = "group-rule key",
		[ESC_E_LID_BUSY] = "LID busy",
		[ESC_E_NOT_MASTER] = "not master",
		[ESC_E_JOURNAL] = "journal unavailable",
		[ESC_E_RATE_LIMITED] = "rate limited",
		[ESC_E_CAPACITY] = "capacity",
		[ESC_E_INTERNAL] = "internal error",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown status";
}

const char *esc_state_name(enum esc_state s)
{
	static const char *const names[] = {
		[ESC_HELD] = "held", [ESC_MOVING] = "moving", [ESC_LIVE] = "live",
		[ESC_CANCELLED] = "cancelled", [ESC_EXPIRED] = "expired",
	};

	return s >= ESC_HELD && s <= ESC_STATE_MAX ? names[s] : "unknown";
}

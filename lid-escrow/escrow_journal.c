// SPDX-License-Identifier: BSD-2-Clause
/*
 * escrow_journal.c - the escrow's records in the journal (doc/journal.md),
 * the replay that rebuilds the handle from them, the snapshot a compaction
 * writes, and the start-up that queues again what a restart interrupted.
 *
 * Every record is the whole new image of one escrow, so replaying is
 * putting images in place, through the same esc_insert/esc_commit the
 * requests use.  A replay checks that each image could follow the one
 * before it (a legal state change, nothing that cannot change changed, no
 * LID or port in two escrows at once): a journal that fails these checks
 * passed its CRCs but cannot be right, and the service stops rather than
 * guess which reserved LID to forget.
 */
#include "esc_internal.h"
#include "be_bytes.h"

#include <errno.h>
#include <string.h>

#define ESC_JREC_VERSION 1
#define ESC_JREC_META_LEN 24
#define ESC_FLAG_TO_SOURCE 0x01

/*
 * The escrow record, offsets in bytes:
 *   0 version  1 state  2 flags  3 nkeys  4 id:64  12 token hash[32]
 *  44 lid:16  46 mtu  47 rate  48 source:64  56 dest:64  64 claimant:64
 *  72 claimant_old_lid:16  74 reserved:16  76 created:64  84 changed:64
 *  92 expires:64  100 keys (2 bytes each)
 */
size_t esc_jrec_encode(const struct esc_view *v, const uint8_t hash[ESC_SHA256_LEN],
		       uint8_t buf[ESC_JREC_ESCROW_MAX])
{
	uint16_t i;

	buf[0] = ESC_JREC_VERSION;
	buf[1] = (uint8_t)v->state;
	buf[2] = v->to_source ? ESC_FLAG_TO_SOURCE : 0;
	buf[3] = (uint8_t)v->nkeys;
	be_put64(buf + 4, v->id);
	memcpy(buf + 12, hash, ESC_SHA256_LEN);
	be_put16(buf + 44, v->lid);
	buf[46] = v->mtu;
	buf[47] = v->rate;
	be_put64(buf + 48, v->source);
	be_put64(buf + 56, v->dest);
	be_put64(buf + 64, v->claimant);
	be_put16(buf + 72, v->claimant_old_lid);
	be_put16(buf + 74, 0);
	be_put64(buf + 76, v->created_ms);
	be_put64(buf + 84, v->changed_ms);
	be_put64(buf + 92, v->expires_ms);
	for (i = 0; i < v->nkeys; i++)
		be_put16(buf + ESC_JREC_ESCROW_FIXED + 2 * i, v->keys[i]);
	return ESC_JREC_ESCROW_FIXED + 2u * v->nkeys;
}

static const char *esc_jrec_check(const struct esc_view *v)
{
	uint16_t i;

	if (!v->id || v->state < ESC_HELD || v->state > ESC_STATE_MAX)
		return "escrow record: bad id or state";
	if (v->lid < ESC_LID_MIN || v->lid > ESC_LID_MAX || !esc_mtu_valid(v->mtu) ||
	    !esc_rate_mbps(v->rate) || !v->source || v->dest == v->source)
		return "escrow record: bad LID, MTU, rate or port";
	if ((v->state == ESC_HELD || v->state == ESC_EXPIRED) != !v->claimant ||
	    v->created_ms > v->changed_ms)
		return "escrow record: claimant or times do not fit its state";
	if (v->to_source && (v->state != ESC_MOVING && v->state != ESC_CANCELLED))
		return "escrow record: a move back to the source in a state without one";
	if (v->to_source && v->claimant != v->source)
		return "escrow record: a move back to the source names another port";
	for (i = 0; i < v->nkeys; i++)
		if (!esc_pkey_valid(v->keys[i]))
			return "escrow record: bad P_Key";
	return NULL;
}

static const char *esc_jrec_decode(const uint8_t *p, uint32_t len, struct esc_view *v,
				   uint8_t hash[ESC_SHA256_LEN])
{
	uint16_t i;

	if (len < ESC_JREC_ESCROW_FIXED || p[0] != ESC_JREC_VERSION)
		return "escrow record: short or of an unknown version";
	memset(v, 0, sizeof(*v));
	v->nkeys = p[3];
	if (v->nkeys > ESC_KEYS_MAX || len != ESC_JREC_ESCROW_FIXED + 2u * v->nkeys ||
	    (p[2] & ~ESC_FLAG_TO_SOURCE) || be_get16(p + 74))
		return "escrow record: bad length, flags or reserved field";
	v->state = p[1];
	v->to_source = p[2] & ESC_FLAG_TO_SOURCE;
	v->id = be_get64(p + 4);
	memcpy(hash, p + 12, ESC_SHA256_LEN);
	v->lid = be_get16(p + 44);
	v->mtu = p[46];
	v->rate = p[47];
	v->source = be_get64(p + 48);
	v->dest = be_get64(p + 56);
	v->claimant = be_get64(p + 64);
	v->claimant_old_lid = be_get16(p + 72);
	v->created_ms = be_get64(p + 76);
	v->changed_ms = be_get64(p + 84);
	v->expires_ms = be_get64(p + 92);
	for (i = 0; i < v->nkeys; i++)
		v->keys[i] = be_get16(p + ESC_JREC_ESCROW_FIXED + 2 * i);
	return esc_jrec_check(v);
}

/* The meta record: version, 7 reserved bytes, next id:64, latest time:64. */
static void esc_meta_encode(const struct esc *e, uint8_t buf[ESC_JREC_META_LEN])
{
	memset(buf, 0, ESC_JREC_META_LEN);
	buf[0] = ESC_JREC_VERSION;
	be_put64(buf + 8, e->next_id);
	be_put64(buf + 16, e->latest_ms);
}

static int esc_refuse(struct esc *e, const char *why)
{
	e->why = why;
	return -EBADMSG;
}

static int esc_apply_meta(struct esc *e, const struct jnl_record *rec)
{
	const uint8_t *p = rec->data;
	uint64_t next, latest;

	if (rec->len != ESC_JREC_META_LEN || p[0] != ESC_JREC_VERSION || !rec->snapshot)
		return esc_refuse(e, "escrow meta record: bad length or version, or in the log");
	next = be_get64(p + 8);
	latest = be_get64(p + 16);
	if (next > e->next_id)
		e->next_id = next;
	if (latest > e->latest_ms)
		e->latest_ms = latest;
	return 0;
}

/* Whether the active escrow @v may join: its LID and its ports in no other escrow. */
static const char *esc_fits(const struct esc *e, const struct esc_view *v, uint32_t self)
{
	uint32_t holder = e->by_lid[v->lid];

	if (v->state != ESC_HELD && v->state != ESC_MOVING)
		return NULL;
	if (holder && holder - 1 != self)
		return "escrow record: its LID is in another escrow";
	if (self == ESC_NIL && esc_port_busy(e, v->source))
		return "escrow record: its source is in another escrow";
	if (v->state == ESC_MOVING && !v->to_source && esc_port_busy(e, v->claimant))
		return "escrow record: its claimant is in another escrow";
	return NULL;
}

static bool esc_same_escrow(const struct esc_view *a, const struct esc_view *b)
{
	return a->lid == b->lid && a->mtu == b->mtu && a->rate == b->rate &&
	       a->source == b->source && a->dest == b->dest && a->created_ms == b->created_ms &&
	       a->expires_ms == b->expires_ms && a->nkeys == b->nkeys &&
	       !memcmp(a->keys, b->keys, a->nkeys * sizeof(a->keys[0]));
}

/* The state changes the requests make, and nothing else. */
static bool esc_may_follow(const struct esc_view *old, const struct esc_view *v)
{
	if (old->state == ESC_HELD)
		return v->state == ESC_MOVING || v->state == ESC_EXPIRED;
	if (old->state != ESC_MOVING || v->claimant != old->claimant ||
	    v->to_source != old->to_source ||
	    v->claimant_old_lid != old->claimant_old_lid)
		return false;
	return v->state == (old->to_source ? ESC_CANCELLED : ESC_LIVE);
}

static int esc_apply_change(struct esc *e, uint32_t s, const struct esc_view *v,
			    const uint8_t hash[ESC_SHA256_LEN], bool snapshot)
{
	const struct esc_rec *r = &e->recs[s];
	const char *why;

	if (snapshot)
		return esc_refuse(e, "escrow record: an escrow twice in the snapshot");
	if (memcmp(r->hash, hash, ESC_SHA256_LEN) || !esc_same_escrow(&r->v, v))
		return esc_refuse(e, "escrow record: a field that never changes changed");
	if (!esc_may_follow(&r->v, v) || v->changed_ms < r->v.changed_ms)
		return esc_refuse(e, "escrow record: a state change no request makes");
	if (v->state == ESC_MOVING && !v->to_source) {
		why = esc_fits(e, v, s);
		if (why)
			return esc_refuse(e, why);
	}
	esc_commit(e, s, v);
	return 0;
}

static int esc_apply_new(struct esc *e, const struct esc_view *v,
			 const uint8_t hash[ESC_SHA256_LEN], bool snapshot)
{
	const char *why;
	uint32_t s;

	if (!snapshot && v->state != ESC_HELD)
		return esc_refuse(e, "escrow record: the log's first record of an escrow "
				     "is not held");
	why = esc_fits(e, v, ESC_NIL);
	if (why)
		return esc_refuse(e, why);
	s = esc_slot_alloc(e);
	if (s == ESC_NIL) {
		e->why = "more escrows in the journal than the capacity holds";
		return -ENOSPC;
	}
	esc_insert(e, s, v, hash);
	return 0;
}

static int esc_apply_escrow(struct esc *e, const struct jnl_record *rec)
{
	uint8_t hash[ESC_SHA256_LEN];
	struct esc_view v;
	const char *why;
	uint32_t s;
	int rc;

	why = esc_jrec_decode(rec->data, rec->len, &v, hash);
	if (why)
		return esc_refuse(e, why);
	s = esc_find_id(e, v.id);
	if (s == ESC_NIL && v.id < e->next_id && !rec->snapshot)
		return esc_refuse(e, "escrow record: an escrow that already ended, or an old id");
	rc = s == ESC_NIL ? esc_apply_new(e, &v, hash, rec->snapshot)
			  : esc_apply_change(e, s, &v, hash, rec->snapshot);
	if (rc)
		return rc;
	if (v.id >= e->next_id)
		e->next_id = v.id + 1;
	if (v.changed_ms > e->latest_ms)
		e->latest_ms = v.changed_ms;
	return 0;
}

int esc_journal_apply(void *esc, const struct jnl_record *rec)
{
	struct esc *e = esc;
	int rc;

	if (rec->type < JNL_TYPE_ESCROW_MIN || rec->type > JNL_TYPE_ESCROW_MAX)
		return 0;
	if (e->started)
		return -EBUSY;
	if (rec->type == ESC_JREC_META)
		rc = esc_apply_meta(e, rec);
	else if (rec->type == ESC_JREC_ESCROW)
		rc = esc_apply_escrow(e, rec);
	else
		rc = esc_refuse(e, "escrow record of an unknown type (a newer version's journal?)");
	if (!rc)
		e->st.replayed++;
	return rc;
}

static int esc_snap_list(struct esc *e, struct jnl_snap *snap, uint32_t s)
{
	uint8_t buf[ESC_JREC_ESCROW_MAX];
	size_t len;
	int rc;

	for (; s != ESC_NIL; s = e->recs[s].next) {
		len = esc_jrec_encode(&e->recs[s].v, e->recs[s].hash, buf);
		rc = jnl_snap_put(snap, ESC_JREC_ESCROW, buf, (uint32_t)len);
		if (rc)
			return rc;
	}
	return 0;
}

int esc_journal_snapshot(void *esc, struct jnl_snap *snap)
{
	uint8_t meta[ESC_JREC_META_LEN], buf[ESC_JREC_ESCROW_MAX];
	struct esc *e = esc;
	size_t len;
	uint32_t s;
	int rc;

	esc_meta_encode(e, meta);
	rc = jnl_snap_put(snap, ESC_JREC_META, meta, sizeof(meta));
	if (!rc)
		rc = esc_snap_list(e, snap, e->done.head);
	if (!rc)
		rc = esc_snap_list(e, snap, e->held.head);
	for (s = 0; !rc && s < e->nslots; s++) {
		if (!e->recs[s].used || e->recs[s].v.state != ESC_MOVING)
			continue;
		len = esc_jrec_encode(&e->recs[s].v, e->recs[s].hash, buf);
		rc = jnl_snap_put(snap, ESC_JREC_ESCROW, buf, (uint32_t)len);
	}
	return rc;
}

/* After a restart: the SM must again keep every held LID and finish every move. */
static void esc_queue_recovery(struct esc *e)
{
	uint32_t s;

	for (s = e->held.head; s != ESC_NIL; s = e->recs[s].next)
		esc_push_action(e, ESC_ACT_RESERVE, &e->recs[s].v);
	for (s = 0; s < e->nslots; s++)
		if (e->recs[s].used && e->recs[s].v.state == ESC_MOVING)
			esc_push_action(e, ESC_ACT_MOVE, &e->recs[s].v);
}

int esc_start(struct esc *e, uint64_t now_ms)
{
	uint64_t now;
	int rc;

	if (e->started)
		return -EALREADY;
	if (e->held.count + e->nmoving > e->capacity) {
		e->why = "more escrows in the journal than the capacity holds";
		return -ENOSPC;
	}
	if (!jnl_writable(e->jnl)) {
		e->why = "the journal is not open";
		return -EBADF;
	}
	now = esc_clock(e, now_ms);
	esc_gc_done(e, now);
	rc = esc_expire_due(e, now, UINT32_MAX);
	if (rc < 0) {
		e->why = "the journal refused the expiry of escrows past their TTL";
		return rc;
	}
	esc_queue_recovery(e);
	e->started = true;
	return 0;
}

int esc_open(struct esc *e, uint64_t now_ms, struct jnl_report *rep)
{
	int rc = jnl_open(e->jnl, esc_journal_apply, e, rep);

	if (rc) {
		if (!*e->why)
			e->why = jnl_why(e->jnl);
		return rc;
	}
	return esc_start(e, now_ms);
}

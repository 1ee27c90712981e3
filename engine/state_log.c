// SPDX-License-Identifier: BSD-2-Clause
/*
 * state_log.c - the engine's journal records (state_log.h; the layouts in
 * doc/journal.md, "The engine's records").  Byte order is handled here only.
 */
#include "state_log.h"
#include "be_bytes.h"
#include "engine_int.h"	/* eng_grow */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SL_VERSION 1

/* A fact as replayed, with its place in the file: the later one wins. */
struct sl_seen {
	struct aw_fact f;
	size_t pos;
};

struct sl_replay {
	struct sl_seen *items;
	size_t count, cap;
	uint64_t mark_ms;
	uint64_t records;
	const char *why;
};

/* ---- encoding ------------------------------------------------------------- */

static void sl_put_fact(uint8_t *p, const struct aw_fact *f)
{
	memset(p, 0, SL_FACT_LEN);
	be_put64(p, f->vguid);
	be_put64(p + 8, f->port_guid);
	be_put64(p + 16, f->stamp_ms);
	be_put16(p + 24, f->lid);
	p[26] = f->what;
	p[27] = f->state;
}

static uint32_t sl_facts_len(size_t n)
{
	return (uint32_t)(SL_FACTS_HEADER_LEN + n * SL_FACT_LEN);
}

/* One FACTS payload of @n (<= SL_FACTS_PER_RECORD) facts into @buf. */
static void sl_encode_facts(uint8_t *buf, const struct aw_fact *facts, size_t n)
{
	size_t i;

	memset(buf, 0, SL_FACTS_HEADER_LEN);
	buf[0] = SL_VERSION;
	be_put32(buf + 4, (uint32_t)n);
	for (i = 0; i < n; i++)
		sl_put_fact(buf + SL_FACTS_HEADER_LEN + i * SL_FACT_LEN, &facts[i]);
}

static void sl_encode_mark(uint8_t buf[SL_MARK_LEN], uint64_t mark_ms)
{
	memset(buf, 0, SL_MARK_LEN);
	buf[0] = SL_VERSION;
	be_put64(buf + 8, mark_ms);
}

static size_t sl_chunks(size_t n)
{
	return (n + SL_FACTS_PER_RECORD - 1) / SL_FACTS_PER_RECORD;
}

static size_t sl_chunk_len(size_t n, size_t chunk)
{
	size_t left = n - chunk * SL_FACTS_PER_RECORD;

	return left < SL_FACTS_PER_RECORD ? left : SL_FACTS_PER_RECORD;
}

int sl_append(struct jnl *j, const struct aw_fact *facts, size_t n, uint64_t mark_ms)
{
	size_t chunks = sl_chunks(n), i, len;
	uint8_t mark[SL_MARK_LEN], *buf = NULL;
	struct jnl_entry *ent;
	int rc = -ENOMEM;

	if (chunks + 1 > JNL_BATCH_MAX)
		return -E2BIG;	/* a billion facts: the caller compacts instead */
	ent = calloc(chunks + 1, sizeof(*ent));
	buf = n ? malloc((size_t)sl_facts_len(0) * chunks + n * SL_FACT_LEN) : NULL;
	if (!ent || (n && !buf))
		goto out;
	for (i = 0, len = 0; i < chunks; i++) {
		size_t k = sl_chunk_len(n, i);

		sl_encode_facts(buf + len, facts + i * SL_FACTS_PER_RECORD, k);
		ent[i] = (struct jnl_entry){ SL_REC_FACTS, buf + len, sl_facts_len(k) };
		len += sl_facts_len(k);
	}
	sl_encode_mark(mark, mark_ms);
	ent[chunks] = (struct jnl_entry){ SL_REC_MARK, mark, SL_MARK_LEN };
	rc = jnl_append_batch(j, ent, chunks + 1, NULL);
out:
	free(ent);
	free(buf);
	return rc;
}

struct sl_snap_src {
	const struct aw_fact *facts;
	size_t n;
	uint64_t mark_ms;
};

static int sl_fill(void *ctx, struct jnl_snap *snap)
{
	const struct sl_snap_src *src = ctx;
	uint8_t mark[SL_MARK_LEN], *buf;
	size_t i;
	int rc = 0;

	buf = malloc(sl_facts_len(SL_FACTS_PER_RECORD));
	if (!buf)
		return -ENOMEM;
	for (i = 0; !rc && i < sl_chunks(src->n); i++) {
		size_t k = sl_chunk_len(src->n, i);

		sl_encode_facts(buf, src->facts + i * SL_FACTS_PER_RECORD, k);
		rc = jnl_snap_put(snap, SL_REC_FACTS, buf, sl_facts_len(k));
	}
	free(buf);
	sl_encode_mark(mark, src->mark_ms);
	return rc ? rc : jnl_snap_put(snap, SL_REC_MARK, mark, SL_MARK_LEN);
}

int sl_compact(struct jnl *j, const struct aw_fact *facts, size_t n, uint64_t mark_ms)
{
	struct sl_snap_src src = { facts, n, mark_ms };

	return jnl_compact(j, sl_fill, &src);
}

/* ---- decoding ------------------------------------------------------------- */

struct sl_replay *sl_replay_new(void)
{
	struct sl_replay *r = calloc(1, sizeof(*r));

	if (r)
		r->why = "";
	return r;
}

void sl_replay_free(struct sl_replay *r)
{
	if (!r)
		return;
	free(r->items);
	free(r);
}

const char *sl_replay_why(const struct sl_replay *r)
{
	return r->why;
}

static bool sl_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* NULL when the fact is one a save can write, else what is wrong with it. */
static const char *sl_fact_wrong(const struct aw_fact *f)
{
	uint8_t top = f->what == AW_FACT_ALIAS ? AW_FACT_FORGOTTEN : AW_FACT_PRESENT;

	if (!f->vguid)
		return "a fact of vGUID 0";
	if (f->what != AW_FACT_TRAP && f->what != AW_FACT_ALIAS)
		return "a fact of an unknown kind";
	if (f->state > top)
		return "a fact of an unknown state";
	if (f->state == AW_FACT_NONE)
		return f->port_guid || f->lid || f->stamp_ms ? "an absent fact with a place" : NULL;
	if (!f->port_guid || f->lid < TT_LID_MIN || f->lid > TT_LID_MAX)
		return "a fact without a port or a unicast LID";
	if (f->what == AW_FACT_ALIAS && f->state == AW_FACT_PRESENT && f->stamp_ms)
		return "a live alias with a stamp";
	return NULL;
}

static int sl_keep(struct sl_replay *r, const struct aw_fact *f)
{
	struct sl_seen *items = eng_grow(r->items, &r->cap, r->count, sizeof(*items), 1024);

	if (!items)
		return -ENOMEM;
	r->items = items;
	r->items[r->count] = (struct sl_seen){ *f, r->count };
	r->count++;
	return 0;
}

static int sl_refuse(struct sl_replay *r, const char *why)
{
	r->why = why;
	return -EBADMSG;
}

static int sl_apply_facts(struct sl_replay *r, const uint8_t *p, uint32_t len)
{
	uint32_t n, i;
	int rc;

	if (len < SL_FACTS_HEADER_LEN || p[0] != SL_VERSION || !sl_zero(p + 1, 3))
		return sl_refuse(r, "a facts record of another version");
	n = be_get32(p + 4);
	if (n > SL_FACTS_PER_RECORD || len != sl_facts_len(n))
		return sl_refuse(r, "a facts record whose count is not its length");
	for (i = 0; i < n; i++) {
		const uint8_t *q = p + SL_FACTS_HEADER_LEN + (size_t)i * SL_FACT_LEN;
		struct aw_fact f = { be_get64(q), be_get64(q + 8), be_get64(q + 16),
				     be_get16(q + 24), q[26], q[27] };
		const char *wrong = sl_zero(q + 28, 4) ? sl_fact_wrong(&f) : "reserved bytes set";

		if (wrong)
			return sl_refuse(r, wrong);
		rc = sl_keep(r, &f);
		if (rc)
			return rc;
	}
	return 0;
}

static int sl_apply_mark(struct sl_replay *r, const uint8_t *p, uint32_t len)
{
	uint64_t ms;

	if (len != SL_MARK_LEN || p[0] != SL_VERSION || !sl_zero(p + 1, 7))
		return sl_refuse(r, "a save mark of another version or length");
	ms = be_get64(p + 8);
	if (ms > r->mark_ms)
		r->mark_ms = ms;
	return 0;
}

int sl_replay_apply(void *ctx, const struct jnl_record *rec)
{
	struct sl_replay *r = ctx;

	if (rec->type < JNL_TYPE_ENGINE_MIN || rec->type > JNL_TYPE_ENGINE_MAX)
		return 0;	/* another owner's */
	r->records++;
	if (rec->type == SL_REC_FACTS)
		return sl_apply_facts(r, rec->data, rec->len);
	if (rec->type == SL_REC_MARK)
		return sl_apply_mark(r, rec->data, rec->len);
	return sl_refuse(r, "a record type of the engine's range this version does not know");
}

/* By side, then vGUID, then place in the file. */
static int sl_cmp_key(const void *a, const void *b)
{
	const struct sl_seen *x = a, *y = b;

	if (x->f.what != y->f.what)
		return x->f.what < y->f.what ? -1 : 1;
	if (x->f.vguid != y->f.vguid)
		return x->f.vguid < y->f.vguid ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Oldest first; among equal stamps, in file order. */
static int sl_cmp_age(const void *a, const void *b)
{
	const struct sl_seen *x = a, *y = b;

	if (x->f.stamp_ms != y->f.stamp_ms)
		return x->f.stamp_ms < y->f.stamp_ms ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The last fact of each side of each vGUID, absent ones dropped, in place; returns how many. */
static size_t sl_latest(struct sl_replay *r, uint64_t mark_ms)
{
	size_t i, kept = 0;

	if (r->count > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r->items, r->count, sizeof(*r->items), sl_cmp_key);
	for (i = 0; i < r->count; i++) {
		struct sl_seen *s = &r->items[i];
		bool last = i + 1 == r->count || r->items[i + 1].f.what != s->f.what ||
			    r->items[i + 1].f.vguid != s->f.vguid;

		if (!last || s->f.state == AW_FACT_NONE)
			continue;
		if (s->f.what == AW_FACT_ALIAS && s->f.state == AW_FACT_PRESENT)
			s->f.stamp_ms = mark_ms;	/* live at the last save */
		r->items[kept++] = *s;
	}
	r->count = kept;
	return kept;
}

static int sl_views(const struct sl_seen *s, size_t n, struct tt_entry_view **out)
{
	size_t i;

	*out = n ? malloc(n * sizeof(**out)) : NULL;
	if (n && !*out)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		(*out)[i] = (struct tt_entry_view){ s[i].f.vguid, s[i].f.port_guid,
						    s[i].f.stamp_ms, s[i].f.lid };
	return 0;
}

int sl_replay_finish(struct sl_replay *r, uint32_t max_aliases, struct sl_state *out)
{
	size_t n = sl_latest(r, r->mark_ms), n_traps = 0, n_aliases, skip;
	int rc;

	*out = (struct sl_state){ .mark_ms = r->mark_ms, .records = r->records };
	/* sl_cmp_key put the trap side first. */
	while (n_traps < n && r->items[n_traps].f.what == AW_FACT_TRAP)
		n_traps++;
	n_aliases = n - n_traps;
	if (n_traps > 1)
		qsort(r->items, n_traps, sizeof(*r->items), sl_cmp_age);
	if (n_aliases > 1)
		qsort(r->items + n_traps, n_aliases, sizeof(*r->items), sl_cmp_age);
	skip = n_aliases > max_aliases ? n_aliases - max_aliases : 0;
	rc = n ? sl_views(r->items, n_traps, &out->traps) : 0;	/* no items: NULL */
	if (!rc && n)
		rc = sl_views(r->items + n_traps + skip, n_aliases - skip, &out->aliases);
	if (rc) {
		sl_state_free(out);
		return rc;
	}
	out->n_traps = n_traps;
	out->n_aliases = n_aliases - skip;
	return 0;
}

void sl_state_free(struct sl_state *s)
{
	free(s->traps);
	free(s->aliases);
	s->traps = s->aliases = NULL;
	s->n_traps = s->n_aliases = 0;
}

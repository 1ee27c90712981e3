// SPDX-License-Identifier: BSD-2-Clause
/*
 * notices.c - the outbox: the watcher asks for notices while the engine lock
 * is held, and they are numbered and sent through the host once it is
 * released, since the host takes its SM lock to send (engine.h, LOCKS).
 *
 * Numbering (doc/notice-details.md, "Notice numbers"): every notice the
 * watcher asked for takes the next number of the epoch at the moment it is
 * handed to the host, under the send lock, so that numbers go out in the
 * order they are handed out whichever thread sends.  A notice that is not
 * sent keeps its number: receivers must see its gap, since something changed
 * that nobody was told about.
 * Log codes of this file: D1xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The watcher's callback: runs under e->lock, must not send. */
void eng_outbox_add(void *engine, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct eng_engine *e = engine;
	struct eng_outbox *box = &e->outbox;
	struct eng_outbox_item *items;

	items = eng_grow(box->items, &box->cap, box->count, sizeof(*items), 16);
	if (!items) {
		box->dropped++;
		return;
	}
	box->items = items;
	box->items[box->count].trap = trap;
	box->items[box->count].notice = *n;
	box->count++;
}

/* Move the queued notices to @out (e->lock held); the engine's box is empty after. */
void eng_outbox_take(struct eng_engine *e, struct eng_outbox *out)
{
	*out = e->outbox;
	memset(&e->outbox, 0, sizeof(e->outbox));
}

void eng_outbox_free(struct eng_outbox *out)
{
	free(out->items);
	memset(out, 0, sizeof(*out));
}

/* What one batch did, counted under e->lock once the send lock is released. */
struct send_tally {
	uint64_t unpath, repath, unsent, refused;
	uint32_t first_missed, last_missed;	/* numbers receivers will miss; 0: none */
};

/* The next number of the epoch, never 0 ("not numbered"); e->send_lock held. */
static uint32_t take_number(struct eng_engine *e)
{
	e->last_number = e->last_number == UINT32_MAX ? 1 : e->last_number + 1;
	atomic_store(&e->shown_number, e->last_number);
	return e->last_number;
}

static void missed(struct send_tally *t, uint32_t number)
{
	if (!t->first_missed)
		t->first_missed = number;
	t->last_missed = number;
}

/* e->send_lock held: the host's send op takes the SM lock inside it. */
static void send_one(struct eng_engine *e, struct eng_outbox_item *item, struct send_tally *t)
{
	int rc;

	item->notice.number = take_number(e);
	rc = e->ops.send_notice(e->ctx, item->trap, &item->notice);
	if (rc)
		missed(t, item->notice.number);
	if (rc == -EAGAIN)
		t->unsent++;
	else if (rc)
		t->refused++;
	else if (item->trap == IBVMIG_TRAP_UNPATH)
		t->unpath++;
	else
		t->repath++;
}

static void count_tally(struct eng_engine *e, const struct send_tally *t)
{
	if (t->unsent || t->refused)
		ENG_ERROR(e, "ERR D101: %llu notices not sent (%llu never reached the SM: no "
			  "memory, or the SM not up; %llu refused by it): receivers will miss "
			  "them, the first number %u, the last %u",
			  (unsigned long long)(t->unsent + t->refused),
			  (unsigned long long)t->unsent, (unsigned long long)t->refused,
			  t->first_missed, t->last_missed);
	pthread_mutex_lock(&e->lock);
	e->counters.unpath_sent += t->unpath;
	e->counters.repath_sent += t->repath;
	e->counters.notices_unsent += t->unsent;
	e->counters.notices_refused += t->refused;
	pthread_mutex_unlock(&e->lock);
}

/* Numbers, sends and frees @out; neither e->lock nor e->send_lock held. */
void eng_outbox_send(struct eng_engine *e, struct eng_outbox *out)
{
	struct send_tally t = { 0 };
	uint64_t i;

	if (!out->count && !out->dropped)
		goto out;
	/* A plugin on this SM sends them: not numbered, so receivers see no gap of ours. */
	if (atomic_load(&e->passive)) {
		pthread_mutex_lock(&e->lock);
		e->counters.notices_passive += out->count + out->dropped;
		pthread_mutex_unlock(&e->lock);
		goto out;
	}
	pthread_mutex_lock(&e->send_lock);
	/* A notice that could not even be queued keeps a number too. */
	for (i = 0; i < out->dropped; i++)
		missed(&t, take_number(e));
	t.unsent = out->dropped;
	for (i = 0; i < out->count; i++)
		send_one(e, &out->items[i], &t);
	pthread_mutex_unlock(&e->send_lock);
	count_tally(e, &t);
out:
	eng_outbox_free(out);
}

/* ---- another producer on the fabric (engine.h, THE SECOND HOST) ------------------------ */

uint32_t eng_epoch(struct eng_engine *e)
{
	struct tt_stats st;

	pthread_mutex_lock(&e->lock);
	tt_get_stats(aw_table(e->watch), &st);
	pthread_mutex_unlock(&e->lock);
	return st.epoch;
}

bool eng_passive(struct eng_engine *e)
{
	return atomic_load(&e->passive);
}

void eng_notice_seen(struct eng_engine *e, uint16_t trap, const struct ibvmig_path_notice *n,
		     bool issued_by_sm)
{
	uint64_t sm;

	if (n->epoch == eng_epoch(e))
		return;		/* one of ours, back from the SM */
	pthread_mutex_lock(&e->lock);
	e->counters.foreign_notices++;
	sm = e->sm_port_guid;
	pthread_mutex_unlock(&e->lock);
	/* Only the SM can issue with its own port's GID: a host's trap carries its own. */
	if (!issued_by_sm || atomic_exchange(&e->passive, true))
		return;
	ENG_INFO(e, "a %s of epoch 0x%08x issued by the master SM (port 0x%016" PRIx64 "): an "
		 "ibvmig plugin runs there; passive: every alias followed, no notice sent, until "
		 "the master SM changes", trap == IBVMIG_TRAP_UNPATH ? "UnPath" : "RePath",
		 n->epoch, sm);
}

void eng_sm_port(struct eng_engine *e, uint64_t sm_port_guid)
{
	uint64_t old;

	pthread_mutex_lock(&e->lock);
	old = e->sm_port_guid;
	e->sm_port_guid = sm_port_guid;
	pthread_mutex_unlock(&e->lock);
	if (!old || old == sm_port_guid || !sm_port_guid)
		return;
	if (atomic_exchange(&e->passive, false))
		ENG_INFO(e, "the master SM changed (port 0x%016" PRIx64 " -> 0x%016" PRIx64 "): "
			 "active again", old, sm_port_guid);
}

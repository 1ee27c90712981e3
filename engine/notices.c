// SPDX-License-Identifier: BSD-2-Clause
/*
 * notices.c - the outbox: the watcher asks for notices while the engine lock
 * is held, and they are sent through the host once it is released, since
 * the host takes its SM lock to send (engine.h, LOCKS).
 * Log codes of this file: D1xx (doc/log-codes.md).
 */
#include "engine_int.h"

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
	e->counters.notices_failed += out->dropped;
	out->dropped = 0;
}

void eng_outbox_free(struct eng_outbox *out)
{
	free(out->items);
	memset(out, 0, sizeof(*out));
}

/* Sends and frees @out; e->lock must NOT be held (the host takes its SM lock). */
void eng_outbox_send(struct eng_engine *e, struct eng_outbox *out)
{
	uint64_t unpath = 0, repath = 0, failed = 0;
	size_t i;

	if (!out->count)
		goto out;
	for (i = 0; i < out->count; i++) {
		const struct eng_outbox_item *item = &out->items[i];

		if (e->ops.send_notice(e->ctx, item->trap, &item->notice))
			failed++;
		else if (item->trap == IBVMIG_TRAP_UNPATH)
			unpath++;
		else
			repath++;
	}
	if (failed)
		ENG_ERROR(e, "ERR D101: %llu notices could not be reported (SM not up?)",
			  (unsigned long long)failed);
	pthread_mutex_lock(&e->lock);
	e->counters.unpath_sent += unpath;
	e->counters.repath_sent += repath;
	e->counters.notices_failed += failed;
	pthread_mutex_unlock(&e->lock);
out:
	eng_outbox_free(out);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * reconcile.c - after each heavy sweep, compare every live alias the SM holds
 * with what the watcher believes: a port that dropped with its aliases, an
 * alias that moved between two observations, a base port whose LID changed.
 * Runs on the worker.
 *
 * The list is made without the engine lock (the host holds its SM lock for
 * the copy) and applied under it, so an SA Set or Delete can land between
 * the two: applied blindly, a list made before a Set would call the new
 * alias gone (UnPath "port-gone" for a live vGUID), and one made before a
 * Delete would bring the deleted alias back (RePath "restarted" to a LID
 * where nothing is).  So every SA feed notes, under the engine lock, the
 * vGUIDs it changed while a list is being made, and the apply leaves those
 * to the feed, which is newer; the next reconcile looks at them again.
 * Log codes of this file: D6xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void eng_note_fed(struct eng_engine *e, uint64_t vguid)
{
	struct eng_fed *f = &e->fed;
	uint64_t *items;

	if (!f->open)
		return;
	items = eng_grow(f->items, &f->cap, f->count, sizeof(*items), 64);
	if (!items) {
		f->overflow = true;
		return;
	}
	f->items = items;
	f->items[f->count++] = vguid;
}

static void open_fed(struct eng_engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->fed.open = true;
	e->fed.overflow = false;
	e->fed.count = 0;
	pthread_mutex_unlock(&e->lock);
}

static int cmp_guid(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Closes the window (e->lock held): false when a feed could not be noted. */
static bool close_fed(struct eng_engine *e)
{
	e->fed.open = false;
	if (e->fed.overflow)
		return false;
	if (e->fed.count)	/* qsort wants an array, even of none */
		qsort(e->fed.items, e->fed.count, sizeof(*e->fed.items), cmp_guid);
	return true;
}

/* Applies @seen (e->lock held); returns the watcher's change count or -errno. */
static int apply(struct eng_engine *e, const struct eng_aliases *seen)
{
	int changes;

	if (!close_fed(e))
		return -EAGAIN;
	changes = aw_reconcile(e->watch, seen->items, seen->count, e->fed.items, e->fed.count,
			       util_wall_ms());
	if (changes > 0)
		eng_table_changed(e);
	return changes;
}

static void log_result(struct eng_engine *e, int changes, size_t live)
{
	if (changes == -EAGAIN)
		ENG_ERROR(e, "ERR D603: reconcile skipped: out of memory to note the SA changes "
			  "made while the aliases were listed");
	else if (changes < 0)
		ENG_ERROR(e, "ERR D602: reconcile failed: out of memory");
	else if (changes)
		ENG_INFO(e, "reconcile: %d alias changes the SA did not show (%zu live)", changes,
			 live);
}

void eng_reconcile(struct eng_engine *e)
{
	struct eng_aliases seen = { 0 };
	struct eng_outbox out;
	int changes, rc;

	pthread_mutex_lock(&e->reconcile_lock);
	open_fed(e);
	/* The host copies the aliases out holding its SM lock as briefly as that. */
	rc = e->ops.list_aliases(e->ctx, &seen);
	pthread_mutex_lock(&e->lock);
	if (rc) {
		e->fed.open = false;
		pthread_mutex_unlock(&e->lock);
		ENG_ERROR(e, "ERR D601: cannot list the live aliases: %s; reconcile skipped",
			  strerror(-rc));
		goto out;
	}
	changes = apply(e, &seen);
	eng_outbox_take(e, &out);
	pthread_mutex_unlock(&e->lock);
	log_result(e, changes, seen.count);
	eng_outbox_send(e, &out);
out:
	pthread_mutex_unlock(&e->reconcile_lock);
	free(seen.items);
}

/*
 * The second host's SM restart: no list to compare, the SM holds none; every
 * live alias waits to be set again (alias_watch.h, ACROSS SM RESTARTS).
 */
void eng_sm_forgot(struct eng_engine *e)
{
	uint32_t n;

	pthread_mutex_lock(&e->lock);
	n = aw_forget_live(e->watch, util_wall_ms());
	eng_table_changed(e);
	pthread_mutex_unlock(&e->lock);
	eng_wake(e);
	ENG_INFO(e, "the SM forgot every alias (a restart or a new master): %u live aliases wait "
		 "to be set again; one set again where it was sends nothing", n);
	/* A restarted SM may have come back without its plugin: its notices will say. */
	if (atomic_exchange(&e->passive, false))
		ENG_INFO(e, "active again: the SM restarted, with or without its plugin");
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * reconcile.c - after each heavy sweep, compare every live alias the SM holds
 * with what the watcher believes: a port that dropped with its aliases, an
 * alias that moved between two observations, a base port whose LID changed.
 * Runs on the worker.  Log codes of this file: D6xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

void eng_reconcile(struct eng_engine *e)
{
	struct eng_aliases seen = { 0 };
	struct eng_outbox out;
	int changes, rc;

	/* The host copies the aliases out holding its SM lock as briefly as that. */
	rc = e->ops.list_aliases(e->ctx, &seen);
	if (rc) {
		ENG_ERROR(e, "ERR D601: cannot list the live aliases: %s; reconcile skipped",
			  strerror(-rc));
		free(seen.items);
		return;
	}
	pthread_mutex_lock(&e->lock);
	changes = aw_reconcile(e->watch, seen.items, seen.count, util_wall_ms());
	if (changes > 0)
		eng_table_changed(e);
	eng_outbox_take(e, &out);
	pthread_mutex_unlock(&e->lock);
	free(seen.items);
	if (changes < 0)
		ENG_ERROR(e, "ERR D602: reconcile failed: out of memory");
	else if (changes)
		ENG_INFO(e, "reconcile: %d alias changes the SA did not show (%zu live)", changes,
			 seen.count);
	eng_outbox_send(e, &out);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * port_diff.c - one SA GUIDInfoRecord Set or Delete, followed the moment the
 * SM applies it: the host snapshots the port's GUID table before and after
 * the SM's own handler, with the engine lock held across all three so that
 * a reconcile cannot slip between the snapshots, and the difference is fed
 * to the watcher.  The SM's handler decides what is applied (component mask,
 * duplicates refused, a block of eight GUIDs per record): a diff of what it
 * did, rather than a reading of the request, follows exactly that.
 * Log codes of this file: D5xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <inttypes.h>
#include <string.h>

static void feed_error(struct eng_engine *e, const char *what, uint64_t vguid, int rc)
{
	e->counters.hook_errors++;
	ENG_ERROR(e, "ERR D501: alias 0x%016" PRIx64 " %s not followed: %s", vguid, what,
		  strerror(-rc));
}

static void feed_delete(struct eng_engine *e, const struct eng_port_snapshot *s, uint64_t vguid,
			unsigned i, uint64_t now)
{
	int rc = aw_alias_deleted(e->watch, vguid, s->port_guid, s->lid, now);

	if (rc)
		feed_error(e, "delete", vguid, rc);
	ENG_VERBOSE(e, "alias 0x%016" PRIx64 " deleted from port 0x%016" PRIx64 " LID %u index %u",
		    vguid, s->port_guid, s->lid, i);
}

static void feed_set(struct eng_engine *e, const struct eng_port_snapshot *s, uint64_t vguid,
		     unsigned i, uint64_t now)
{
	int rc = aw_alias_set(e->watch, vguid, s->port_guid, s->lid, now);

	if (rc)
		feed_error(e, "set", vguid, rc);
	ENG_VERBOSE(e, "alias 0x%016" PRIx64 " set on port 0x%016" PRIx64 " LID %u index %u",
		    vguid, s->port_guid, s->lid, i);
}

static unsigned entries_of(const struct eng_port_snapshot *s)
{
	return s->entries < ENG_PORT_GUIDS_MAX ? s->entries : ENG_PORT_GUIDS_MAX;
}

/* Feeds what changed between two snapshots of one port; e->lock held. */
static void feed_diff(struct eng_engine *e, const struct eng_port_snapshot *before,
		      const struct eng_port_snapshot *after)
{
	unsigned n_before = entries_of(before), n_after = entries_of(after);
	unsigned i, n = n_before > n_after ? n_before : n_after;
	uint64_t now = util_wall_ms();

	if (!before->port_guid || before->port_guid != after->port_guid)
		return;	/* the port changed under us: the next reconcile sorts it out */
	/* Index 0 is the base port GUID, read-only for the SA. */
	for (i = 1; i < n; i++) {
		uint64_t was = i < n_before ? before->guids[i] : 0;
		uint64_t now_guid = i < n_after ? after->guids[i] : 0;

		if (was == now_guid)
			continue;
		eng_table_changed(e);
		if (was) {
			eng_note_fed(e, was);
			feed_delete(e, before, was, i, now);
		}
		if (now_guid) {
			eng_note_fed(e, now_guid);
			feed_set(e, after, now_guid, i, now);
		}
	}
}

/* What the host itself added to one Set/Delete: the benchmark reads it. */
static void account(struct eng_engine *e, uint64_t own_ns)
{
	pthread_mutex_lock(&e->lock);
	e->counters.hook_calls++;
	e->counters.hook_ns += own_ns;
	if (own_ns > e->counters.hook_max_ns)
		e->counters.hook_max_ns = own_ns;
	pthread_mutex_unlock(&e->lock);
}

void eng_port_change(struct eng_engine *e, eng_port_apply_fn apply, void *arg)
{
	struct eng_port_snapshot before, after;
	uint64_t t0 = util_mono_ns(), sm_ns;
	struct eng_outbox out;
	bool was_dirty;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	pthread_mutex_lock(&e->lock);
	sm_ns = apply(arg, &before, &after);
	was_dirty = eng_unsaved_changes(e) != 0;
	feed_diff(e, &before, &after);
	eng_outbox_take(e, &out);
	pthread_mutex_unlock(&e->lock);
	eng_outbox_send(e, &out);
	/* The first change since a save starts the save timer; later ones ride on it. */
	if (!was_dirty)
		eng_wake(e);
	account(e, util_mono_ns() - t0 - sm_ns);
}

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

/* ---- the second host's reads (engine.h, THE SECOND HOST) ------------------------------ */

static bool holds(const struct eng_port_snapshot *s, uint64_t guid)
{
	unsigned i, n = entries_of(s);

	for (i = 1; i < n; i++)
		if (s->guids[i] == guid)
			return true;
	return false;
}

/* The read shows @before's port gone: no port at the LID, or another one. */
static bool port_left(const struct eng_port_snapshot *before, const struct eng_port_snapshot *after)
{
	return before->port_guid && before->port_guid != after->port_guid;
}

bool eng_port_read_drops(struct eng_engine *e, const struct eng_port_snapshot *before,
			 const struct eng_port_snapshot *after, uint64_t told)
{
	unsigned i, n = entries_of(before);
	bool left = port_left(before, after), drops = false;

	if (!before->port_guid)
		return false;
	pthread_mutex_lock(&e->lock);
	for (i = 1; i < n && !drops; i++) {
		uint64_t g = before->guids[i];

		drops = g && g != told && (left || !holds(after, g)) &&
			aw_holds(e->watch, g, before->port_guid);
	}
	pthread_mutex_unlock(&e->lock);
	return drops;
}

/* Counts and notes one change of a read; e->lock held. */
static void read_changed(struct eng_engine *e, uint64_t vguid, bool *changed)
{
	eng_table_changed(e);
	eng_note_fed(e, vguid);
	*changed = true;
}

static void read_gone(struct eng_engine *e, const struct eng_port_snapshot *before,
		      const struct eng_port_snapshot *after, uint64_t now, bool *changed)
{
	bool left = port_left(before, after);
	uint8_t reason = left ? IBVMIG_REASON_PORT_GONE : IBVMIG_REASON_DELETED;
	unsigned i, n = entries_of(before);
	int rc;

	for (i = 1; i < n; i++) {
		uint64_t g = before->guids[i];

		/* Present at another index of the same port: no alias left. */
		if (!g || (!left && holds(after, g)))
			continue;
		rc = aw_alias_gone(e->watch, g, before->port_guid, before->lid, reason, now);
		if (rc < 0)
			feed_error(e, "gone", g, rc);
		if (rc <= 0)
			continue;
		read_changed(e, g, changed);
		ENG_VERBOSE(e, "alias 0x%016" PRIx64 " gone from port 0x%016" PRIx64 " LID %u "
			    "index %u (%s)", g, before->port_guid, before->lid, i,
			    left ? "port gone" : "read");
	}
}

static void read_seen(struct eng_engine *e, const struct eng_port_snapshot *after, uint64_t told,
		      bool trusted, uint64_t now, bool *changed)
{
	unsigned i, n = entries_of(after);
	int rc;

	for (i = 1; i < n; i++) {
		uint64_t g = after->guids[i];

		if (!g)
			continue;
		rc = aw_alias_seen(e->watch, g, after->port_guid, after->lid, trusted || g == told,
				   now);
		if (rc < 0)
			feed_error(e, "seen", g, rc);
		if (rc <= 0)
			continue;
		read_changed(e, g, changed);
		ENG_VERBOSE(e, "alias 0x%016" PRIx64 " seen on port 0x%016" PRIx64 " LID %u "
			    "index %u%s", g, after->port_guid, after->lid, i,
			    trusted || g == told ? "" : " (untrusted)");
	}
	/* The port's own agent confirms a move an untrusted read saw first. */
	if (told && holds(after, told) && aw_release_held(e->watch, told, after->port_guid, now))
		read_changed(e, told, changed);
}

void eng_port_read(struct eng_engine *e, const struct eng_port_snapshot *before,
		   const struct eng_port_snapshot *after, uint64_t told, unsigned flags)
{
	uint64_t now = util_wall_ms();
	bool changed = false, was_dirty;
	struct eng_outbox out;

	pthread_mutex_lock(&e->lock);
	was_dirty = eng_unsaved_changes(e) != 0;
	e->counters.port_reads++;
	if (before->port_guid)
		read_gone(e, before, after, now, &changed);
	if (after->port_guid)
		read_seen(e, after, told, flags & ENG_READ_TRUSTED, now, &changed);
	eng_outbox_take(e, &out);
	pthread_mutex_unlock(&e->lock);
	eng_outbox_send(e, &out);
	if (changed && !was_dirty)
		eng_wake(e);
}

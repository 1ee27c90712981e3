// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin.c - the answers on the admin socket (doc/admin-protocol.md):
 * status, traps, subscribers, stats, flush.  Runs on the worker.  Data is
 * copied out under each lock and the records built after, so that a client
 * asking for a million trap entries holds neither the engine nor the SM.
 * Log codes of this file: D4xx (doc/log-codes.md).
 */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What the status answer shows of the engine, copied under e->lock. */
struct status_copy {
	struct tt_stats st;
	struct aw_stats aw;
	uint64_t last_save, unsaved;
};

/* The host's own fields at the end of a status or stats record. */
static int put_host_fields(struct eng_engine *e, uint8_t op, struct ibvmig_rec_writer *w)
{
	struct eng_host_fields *h;
	unsigned i;
	int rc;

	if (!e->ops.host_fields)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	rc = e->ops.host_fields(e->ctx, op, h);
	for (i = 0; !rc && i < h->count && i < ENG_HOST_FIELDS_MAX; i++) {
		if (h->f[i].is_str)
			ibvmig_rec_put_str(w, h->f[i].tag, h->f[i].str);
		else
			ibvmig_rec_put_uint(w, h->f[i].tag, h->f[i].value);
	}
	free(h);
	return rc;
}

static int answer_status(struct eng_engine *e, struct ibvmig_rec_writer *w)
{
	struct eng_subscribers subs = { 0 };
	struct eng_sm_view sm = { 0 };
	struct status_copy c;
	int rc;

	rc = e->ops.sm_view(e->ctx, &sm);
	if (!rc)
		rc = e->ops.list_subscribers(e->ctx, &subs);
	free(subs.items);
	if (rc)
		return rc;
	pthread_mutex_lock(&e->lock);
	tt_get_stats(aw_table(e->watch), &c.st);
	aw_get_stats(e->watch, &c.aw);
	c.last_save = e->last_save_ms;
	c.unsaved = eng_unsaved_changes(e);
	pthread_mutex_unlock(&e->lock);

	ibvmig_rec_begin(w);
	ibvmig_rec_put_str(w, IBVMIG_TAG_PLUGIN_VERSION, e->host_version);
	ibvmig_rec_put_str(w, IBVMIG_TAG_OSM_VERSION, e->sm_version);
	ibvmig_rec_put_str(w, IBVMIG_TAG_SM_STATE, sm.state);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_SM_PORT_GUID, sm.port_guid);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SM_LID, sm.lid);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_SUBNET_PREFIX, sm.subnet_prefix);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_EPOCH, c.st.epoch);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SEQ, c.st.seq);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_STARTED_AT_MS, e->started_at_ms);
	ibvmig_rec_put_bool(w, IBVMIG_TAG_UNPATH, e->conf.unpath);
	ibvmig_rec_put_bool(w, IBVMIG_TAG_ALIAS_GUARD, e->conf.alias_guard);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_TTL_MS, c.st.ttl_ms);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_CAPACITY, c.st.capacity);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ENTRIES, c.st.count);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_LIVE_ALIASES, c.aw.live);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ALIASES_BEFORE_RESTART, c.aw.forgotten);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SUBSCRIBERS, subs.count);
	ibvmig_rec_put_str(w, IBVMIG_TAG_STATE_FILE, e->state_file);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_LAST_SAVE_MS, c.last_save);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_UNSAVED_CHANGES, c.unsaved);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_NOTICE_NUMBER, atomic_load(&e->shown_number));
	ibvmig_rec_put_bool(w, IBVMIG_TAG_PASSIVE, atomic_load(&e->passive));
	return put_host_fields(e, IBVMIG_ADMIN_STATUS, w);
}

static int answer_traps(struct eng_engine *e, struct ibvmig_rec_writer *w)
{
	uint64_t now = util_wall_ms(), ttl = e->conf.trap_ttl_ms;
	struct tt_entry_view *v;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&e->lock);
	rc = tt_snapshot(aw_table(e->watch), &v, &n);
	pthread_mutex_unlock(&e->lock);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		uint64_t age = now > v[i].deleted_at_ms ? now - v[i].deleted_at_ms : 0;

		ibvmig_rec_begin(w);
		ibvmig_rec_put_guid(w, IBVMIG_TAG_VGUID, v[i].vguid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID, v[i].lid);
		ibvmig_rec_put_guid(w, IBVMIG_TAG_PORT_GUID, v[i].port_guid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_DELETED_AT_MS, v[i].deleted_at_ms);
		if (ttl)	/* no TTL, no expiry: the field is left out */
			ibvmig_rec_put_uint(w, IBVMIG_TAG_EXPIRES_IN_MS, age < ttl ? ttl - age : 0);
	}
	free(v);
	return 0;
}

static int answer_subscribers(struct eng_engine *e, struct ibvmig_rec_writer *w)
{
	struct eng_subscribers l = { 0 };
	size_t i;
	int rc = e->ops.list_subscribers(e->ctx, &l);

	for (i = 0; !rc && i < l.count; i++) {
		const struct eng_subscriber *s = &l.items[i];

		ibvmig_rec_begin(w);
		ibvmig_rec_put_guid(w, IBVMIG_TAG_SUBSCRIBER_GUID, s->guid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID, s->lid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_QPN, s->qpn);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_TRAP, s->trap);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID_RANGE_BEGIN, s->range_begin);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID_RANGE_END, s->range_end);
	}
	free(l.items);
	return rc;
}

static void put_table_stats(struct ibvmig_rec_writer *w, const struct tt_stats *st)
{
	ibvmig_rec_put_uint(w, IBVMIG_TAG_DELETES, st->deletes);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_REPLACED, st->replaced);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SETS, st->sets);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_CREATED, st->verdicts[TT_CREATED]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RESTARTED, st->verdicts[TT_RESTARTED]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_MOVED_SAME_LID, st->verdicts[TT_MOVED_SAME_LID]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_MIGRATED, st->verdicts[TT_MIGRATED]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_EXPIRED, st->expired);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_EVICTED, st->evicted);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_FLUSHED, st->flushed);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_REJECTED, st->rejected);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RESTORED, st->restored);
}

static int answer_stats(struct eng_engine *e, struct ibvmig_rec_writer *w)
{
	struct eng_counters c;
	struct tt_stats st;
	struct aw_stats aw;

	pthread_mutex_lock(&e->lock);
	tt_get_stats(aw_table(e->watch), &st);
	aw_get_stats(e->watch, &aw);
	c = e->counters;
	pthread_mutex_unlock(&e->lock);

	ibvmig_rec_begin(w);
	put_table_stats(w, &st);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_UNPATH_SENT, c.unpath_sent);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_REPATH_SENT, c.repath_sent);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_NOTICES_FAILED, c.notices_unsent + c.notices_refused);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_NOTICES_UNSENT, c.notices_unsent);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_NOTICES_REFUSED, c.notices_refused);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_GUARD_REFUSED, c.guard_refused);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RECONCILES, aw.reconciles);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RECONCILE_EVENTS, aw.reconcile_events);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RECONCILE_SPARED, aw.reconcile_spared);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_PORT_LID_CHANGES, aw.port_lid_changes);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_MIGRATED_WHILE_DOWN, aw.migrated_while_down);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SAVES, c.saves);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SAVE_ERRORS, c.save_errors);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ADMIN_REQUESTS, c.admin_requests);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ADMIN_ERRORS, c.admin_errors);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_HOOK_ERRORS, c.hook_errors);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_HOOK_CALLS, c.hook_calls);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_HOOK_NS, c.hook_ns);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_HOOK_MAX_NS, c.hook_max_ns);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_PORT_READS, c.port_reads);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_UNTRUSTED_MOVES, aw.untrusted_moves);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_HELD_RELEASED, aw.held_released);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_HELD_DROPPED, aw.held_dropped);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_STALE_GONE, aw.stale_gone);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SM_FORGETS, aw.forgets);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_NOTICES_PASSIVE, c.notices_passive);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_FOREIGN_NOTICES, c.foreign_notices);
	return put_host_fields(e, IBVMIG_ADMIN_STATS, w);
}

/* Returns an admin status. */
static uint16_t answer_flush(struct eng_engine *e, uint64_t vguid, struct ibvmig_rec_writer *w)
{
	size_t n = 0;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	if (vguid)
		rc = tt_flush(aw_table(e->watch), vguid);
	else
		n = tt_flush_all(aw_table(e->watch));
	if (!rc && (vguid || n))
		eng_table_changed(e);
	pthread_mutex_unlock(&e->lock);
	if (rc)
		return IBVMIG_ADMIN_E_NOT_FOUND;
	ENG_INFO(e, "trap table flushed by the admin: %zu entries", vguid ? 1 : n);
	ibvmig_rec_begin(w);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_COUNT, vguid ? 1 : n);
	return IBVMIG_ADMIN_OK;
}

int eng_admin_answer(struct eng_engine *e, const struct ibvmig_admin_request *req,
		     uint8_t **msg, size_t *len)
{
	struct ibvmig_rec_writer w;
	uint16_t status = IBVMIG_ADMIN_OK;
	int rc = 0;

	ibvmig_admin_writer_init(&w);
	switch (req->op) {
	case IBVMIG_ADMIN_STATUS:
		rc = answer_status(e, &w);
		break;
	case IBVMIG_ADMIN_TRAPS:
		rc = answer_traps(e, &w);
		break;
	case IBVMIG_ADMIN_SUBSCRIBERS:
		rc = answer_subscribers(e, &w);
		break;
	case IBVMIG_ADMIN_STATS:
		rc = answer_stats(e, &w);
		break;
	case IBVMIG_ADMIN_FLUSH:
		status = answer_flush(e, req->vguid, &w);
		break;
	default:
		if (e->ops.admin_extra)
			rc = e->ops.admin_extra(e->ctx, req, &w, &status);
		else
			status = IBVMIG_ADMIN_E_OP;
		break;
	}
	if (rc) {
		ibvmig_rec_writer_discard(&w);
		ENG_ERROR(e, "ERR D401: admin request %u failed: %s", req->op, strerror(-rc));
		return rc;
	}
	return ibvmig_admin_writer_finish(&w, req->op, status, msg, len);
}

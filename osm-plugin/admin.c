// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin.c - the plugin's answers on the admin socket (doc/admin-protocol.md):
 * status, traps, subscribers, stats, flush.  Runs on the worker.  Data is
 * copied out under each lock and the records built after, so that a client
 * asking for a million trap entries does not hold the SM.
 * Log codes of this file: 07xx.
 */
#include <opensm/osm_config.h>
#include <opensm/osm_helper.h>
#include <opensm/osm_inform.h>
#include <opensm/osm_version.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

/* What the SM says of itself, copied under osm->lock. */
struct sm_view {
	char state[32];
	uint64_t port_guid, prefix;
	uint16_t lid;
};

static bool subscribes_to_ours(const osm_infr_t *infr)
{
	const ib_inform_info_t *ii = &infr->inform_record.inform_info;
	uint16_t trap = cl_ntoh16(ii->g_or_v.generic.trap_num);

	return ii->is_generic && (trap == IBVMIG_TRAP_UNPATH || trap == IBVMIG_TRAP_REPATH ||
				  trap == 0xFFFF);
}

static void read_sm(struct ibvmig_plugin *p, struct sm_view *v)
{
	memset(v, 0, sizeof(*v));
	CL_PLOCK_ACQUIRE(&p->osm->lock);
	snprintf(v->state, sizeof(v->state), "%s", osm_get_sm_mgr_state_str(p->osm->subn.sm_state));
	v->port_guid = cl_ntoh64(p->osm->subn.sm_port_guid);
	v->prefix = cl_ntoh64(p->osm->subn.opt.subnet_prefix);
	v->lid = cl_ntoh16(p->osm->subn.sm_base_lid);
	CL_PLOCK_RELEASE(&p->osm->lock);
}

struct subscriber {
	uint64_t guid;
	uint16_t lid, trap, range_begin, range_end;
	uint32_t qpn;
};

static int copy_subscribers(struct ibvmig_plugin *p, struct subscriber **out, size_t *n)
{
	const cl_qlist_t *list = &p->osm->subn.sa_infr_list;
	const cl_list_item_t *item;
	struct subscriber *s;
	size_t count;

	CL_PLOCK_ACQUIRE(&p->osm->lock);
	count = cl_qlist_count(list);
	s = calloc(count ? count : 1, sizeof(*s));
	*n = 0;
	for (item = cl_qlist_head(list); s && item != cl_qlist_end(list);
	     item = cl_qlist_next(item)) {
		const osm_infr_t *infr = (const osm_infr_t *)item;
		const ib_inform_info_t *ii = &infr->inform_record.inform_info;

		if (!subscribes_to_ours(infr))
			continue;
		s[*n].guid = cl_ntoh64(infr->inform_record.subscriber_gid.unicast.interface_id);
		s[*n].lid = cl_ntoh16(infr->report_addr.dest_lid);
		s[*n].qpn = cl_ntoh32(infr->report_addr.addr_type.gsi.remote_qp);
		s[*n].trap = cl_ntoh16(ii->g_or_v.generic.trap_num);
		s[*n].range_begin = cl_ntoh16(ii->lid_range_begin);
		s[*n].range_end = cl_ntoh16(ii->lid_range_end);
		(*n)++;
	}
	CL_PLOCK_RELEASE(&p->osm->lock);
	*out = s;
	return s ? 0 : -ENOMEM;
}

static int answer_status(struct ibvmig_plugin *p, struct ibvmig_rec_writer *w)
{
	struct subscriber *subs;
	struct tt_stats st;
	struct aw_stats aw;
	struct sm_view sm;
	uint64_t last_save, unsaved;
	size_t n_subs;
	int rc;

	read_sm(p, &sm);
	rc = copy_subscribers(p, &subs, &n_subs);
	if (rc)
		return rc;
	free(subs);
	pthread_mutex_lock(&p->lock);
	tt_get_stats(aw_table(p->watch), &st);
	aw_get_stats(p->watch, &aw);
	last_save = p->last_save_ms;
	unsaved = ibvmig_unsaved_changes(p);
	pthread_mutex_unlock(&p->lock);

	ibvmig_rec_begin(w);
	ibvmig_rec_put_str(w, IBVMIG_TAG_PLUGIN_VERSION, IBVMIG_PLUGIN_VERSION);
	ibvmig_rec_put_str(w, IBVMIG_TAG_OSM_VERSION, OSM_VERSION);
	ibvmig_rec_put_str(w, IBVMIG_TAG_SM_STATE, sm.state);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_SM_PORT_GUID, sm.port_guid);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SM_LID, sm.lid);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_SUBNET_PREFIX, sm.prefix);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_EPOCH, st.epoch);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SEQ, st.seq);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_STARTED_AT_MS, p->started_at_ms);
	ibvmig_rec_put_bool(w, IBVMIG_TAG_UNPATH, p->conf.unpath);
	ibvmig_rec_put_bool(w, IBVMIG_TAG_ALIAS_GUARD, p->conf.alias_guard);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_TTL_MS, st.ttl_ms);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_CAPACITY, st.capacity);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ENTRIES, st.count);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_LIVE_ALIASES, aw.live);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_ALIASES_BEFORE_RESTART, aw.forgotten);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SUBSCRIBERS, n_subs);
	ibvmig_rec_put_str(w, IBVMIG_TAG_STATE_FILE, p->state_file);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_LAST_SAVE_MS, last_save);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_UNSAVED_CHANGES, unsaved);
	return 0;
}

static int answer_traps(struct ibvmig_plugin *p, struct ibvmig_rec_writer *w)
{
	struct tt_entry_view *e;
	uint64_t now = util_wall_ms(), ttl;
	size_t n, i;
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = tt_snapshot(aw_table(p->watch), &e, &n);
	ttl = p->conf.trap_ttl_ms;
	pthread_mutex_unlock(&p->lock);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		uint64_t age = now > e[i].deleted_at_ms ? now - e[i].deleted_at_ms : 0;

		ibvmig_rec_begin(w);
		ibvmig_rec_put_guid(w, IBVMIG_TAG_VGUID, e[i].vguid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID, e[i].lid);
		ibvmig_rec_put_guid(w, IBVMIG_TAG_PORT_GUID, e[i].port_guid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_DELETED_AT_MS, e[i].deleted_at_ms);
		if (ttl)	/* no TTL, no expiry: the field is left out */
			ibvmig_rec_put_uint(w, IBVMIG_TAG_EXPIRES_IN_MS, age < ttl ? ttl - age : 0);
	}
	free(e);
	return 0;
}

static int answer_subscribers(struct ibvmig_plugin *p, struct ibvmig_rec_writer *w)
{
	struct subscriber *s;
	size_t n, i;
	int rc = copy_subscribers(p, &s, &n);

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		ibvmig_rec_begin(w);
		ibvmig_rec_put_guid(w, IBVMIG_TAG_SUBSCRIBER_GUID, s[i].guid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID, s[i].lid);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_QPN, s[i].qpn);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_TRAP, s[i].trap);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID_RANGE_BEGIN, s[i].range_begin);
		ibvmig_rec_put_uint(w, IBVMIG_TAG_LID_RANGE_END, s[i].range_end);
	}
	free(s);
	return 0;
}

static void answer_stats(struct ibvmig_plugin *p, struct ibvmig_rec_writer *w)
{
	struct ibvmig_counters c;
	struct tt_stats st;
	struct aw_stats aw;

	pthread_mutex_lock(&p->lock);
	tt_get_stats(aw_table(p->watch), &st);
	aw_get_stats(p->watch, &aw);
	c = p->counters;
	pthread_mutex_unlock(&p->lock);

	ibvmig_rec_begin(w);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_DELETES, st.deletes);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_REPLACED, st.replaced);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SETS, st.sets);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_CREATED, st.verdicts[TT_CREATED]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RESTARTED, st.verdicts[TT_RESTARTED]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_MOVED_SAME_LID, st.verdicts[TT_MOVED_SAME_LID]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_MIGRATED, st.verdicts[TT_MIGRATED]);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_EXPIRED, st.expired);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_EVICTED, st.evicted);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_FLUSHED, st.flushed);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_REJECTED, st.rejected);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RESTORED, st.restored);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_UNPATH_SENT, c.unpath_sent);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_REPATH_SENT, c.repath_sent);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_NOTICES_FAILED, c.notices_failed);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_GUARD_REFUSED, c.guard_refused);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RECONCILES, aw.reconciles);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_RECONCILE_EVENTS, aw.reconcile_events);
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
}

/* Returns an admin status. */
static uint16_t answer_flush(struct ibvmig_plugin *p, uint64_t vguid,
			     struct ibvmig_rec_writer *w)
{
	size_t n = 0;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (vguid)
		rc = tt_flush(aw_table(p->watch), vguid);
	else
		n = tt_flush_all(aw_table(p->watch));
	if (!rc && (vguid || n))
		ibvmig_table_changed(p);
	pthread_mutex_unlock(&p->lock);
	if (rc)
		return IBVMIG_ADMIN_E_NOT_FOUND;
	IBVMIG_INFO(p, "trap table flushed by the admin: %zu entries\n", vguid ? 1 : n);
	ibvmig_rec_begin(w);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_COUNT, vguid ? 1 : n);
	return IBVMIG_ADMIN_OK;
}

int ibvmig_admin_answer(struct ibvmig_plugin *p, const struct ibvmig_admin_request *req,
			uint8_t **msg, size_t *len)
{
	struct ibvmig_rec_writer w;
	uint16_t status = IBVMIG_ADMIN_OK;
	int rc = 0;

	ibvmig_admin_writer_init(&w);
	switch (req->op) {
	case IBVMIG_ADMIN_STATUS:
		rc = answer_status(p, &w);
		break;
	case IBVMIG_ADMIN_TRAPS:
		rc = answer_traps(p, &w);
		break;
	case IBVMIG_ADMIN_SUBSCRIBERS:
		rc = answer_subscribers(p, &w);
		break;
	case IBVMIG_ADMIN_STATS:
		answer_stats(p, &w);
		break;
	case IBVMIG_ADMIN_FLUSH:
		status = answer_flush(p, req->vguid, &w);
		break;
	default:
		status = IBVMIG_ADMIN_E_OP;	/* decode_request lets none through */
		break;
	}
	if (rc) {
		ibvmig_rec_writer_discard(&w);
		IBVMIG_ERROR(p, "ERR 0701: admin request %u failed: %s\n", req->op, strerror(-rc));
		return rc;
	}
	return ibvmig_admin_writer_finish(&w, req->op, status, msg, len);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_sm.c - what the extension watches of the subnet manager.
 *
 *  - Its LID, from the own port's PortInfo (MasterSMLID, IBA 14.2.5.6; never
 *    from libibumad's view, which umad2sim freezes at attach: doc/simulator.md,
 *    "umad2sim Port Snapshot"), and its port GUID, from one NodeRecord of that
 *    LID.  The engine learns the port (eng_sm_port): a new master ends a
 *    passive spell.
 *  - Subscriptions (InformInfo, IBA 13.4.8.3) to traps 64 and 65 (ports in
 *    and out of service: the port table follows them) and 68 and 69 (the
 *    notices the SM forwards: a plugin's, issued by the SM's port, turn the
 *    engine passive; the extension's own come back too and are ignored).
 *  - A canary: an extra subscription with LID range [0, 0], which no notice
 *    matches, that an SM restart forgets as it forgets every alias (and every
 *    subscription: doc/simulator.md, "Reports and Subscriptions").  A check
 *    subscribes the other of two canaries, then unsubscribes the held one: an
 *    "invalid request" answer (ERR 4307, no such subscription) means the SM
 *    forgot this client since the last check - the way ibvmigd's check works,
 *    and for the same reason (subscribing first leaves no moment unseen).
 *  - Reports are believed only from the master SM's LID: a host can send a
 *    Report to any port (doc/simulator.md, "Trap Forwarding").
 * Log codes of this file: E2xx (doc/log-codes.md).
 */
#include "smx.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define VIEW_MS 2000		/* the SM's LID and port read again */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define NODE_CA 1

static const uint16_t sub_traps[] = { 64, 65, IBVMIG_TRAP_UNPATH, IBVMIG_TRAP_REPATH };
#define N_SUB_TRAPS (sizeof(sub_traps) / sizeof(sub_traps[0]))
/* The two canaries: traps 68 and 69 from issuer LIDs 0..0 (none has LID 0). */
static const uint16_t canary_traps[] = { IBVMIG_TRAP_UNPATH, IBVMIG_TRAP_REPATH };

static int canary(struct smx *s, unsigned turn, bool on)
{
	return ibvmig_sa_subscribe_range(s->sa, canary_traps[turn], on, 0, 0);
}

static int subscribe_all(struct smx *s)
{
	unsigned i;
	int rc = 0;

	for (i = 0; !rc && i < N_SUB_TRAPS; i++)
		rc = ibvmig_sa_subscribe(s->sa, sub_traps[i], true);
	if (!rc)
		rc = canary(s, s->canary_turn, true);
	return rc;
}

static void subscribe_round(struct smx *s, uint64_t now_ms)
{
	int rc = subscribe_all(s);

	if (rc) {
		util_log(s->backoff_ms == BACKOFF_MIN_MS ? UTIL_LOG_ERROR : UTIL_LOG_VERBOSE,
			 "ERR E201: subscriptions to traps 64, 65, 68, 69 not acknowledged: %s; "
			 "again in %d ms", ibvmig_sa_strerror(rc), s->backoff_ms);
		s->next_sub_ms = now_ms + (uint64_t)s->backoff_ms;
		s->backoff_ms = s->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS :
								       s->backoff_ms * 2;
		return;
	}
	s->subscribed = true;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->next_check_ms = now_ms + s->conf.check_ms;
	util_log(UTIL_LOG_INFO, "subscribed to traps 64, 65, 68, 69 and a canary at the SM "
		 "(LID %u)", s->sm_lid);
}

static void sm_forgot(struct smx *s, uint64_t now_ms)
{
	util_log(UTIL_LOG_INFO, "the SM forgot this port's subscriptions (a restart or a new "
		 "master): it forgot every alias too; subscribing again, LIDs learnt again");
	eng_sm_forgot(s->eng);
	s->subscribed = false;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->next_sub_ms = now_ms;
	smx_ports_rescan(s);	/* a new SM may have given other LIDs */
}

int smx_sm_check(struct smx *s)
{
	unsigned held = s->canary_turn, next = held ^ 1;
	int rc;

	if (!s->subscribed)
		return -EAGAIN;
	s->cnt.canary_checks++;
	rc = canary(s, next, true);
	if (!rc) {
		rc = canary(s, held, false);
		if (rc == -EBADR) {
			/* This SM holds the next one: the round takes it as it is. */
			s->canary_turn = next;
			sm_forgot(s, util_mono_ms());
			return 1;
		}
	}
	if (rc) {
		s->cnt.sa_timeouts += rc == -ETIMEDOUT;
		util_log(UTIL_LOG_VERBOSE, "ERR E202: SM canary check failed: %s",
			 ibvmig_sa_strerror(rc));
		return rc;
	}
	s->canary_turn = next;
	return 0;
}

/* The master SM's port, from a NodeRecord of its LID: 0 or -errno. */
static int learn_sm_port(struct smx *s, uint16_t sm_lid)
{
	struct ibvmig_sa_node node;
	int rc = ibvmig_sa_node_by_lid(s->sa, sm_lid, &node);

	if (rc)
		return rc;
	if (node.port_guid != s->sm_guid) {
		util_log(UTIL_LOG_INFO, "master SM: LID %u, port 0x%016" PRIx64, sm_lid,
			 node.port_guid);
		if (s->sm_guid)
			s->cnt.sm_changes++;
	}
	s->sm_guid = node.port_guid;
	s->sm_known = true;
	eng_sm_port(s->eng, s->sm_guid);
	return 0;
}

/*
 * Under ibsim, a vendor MAD to the SM's node reaches OpenSM, which never
 * registered the class and dies of it (doc/simulator.md, "Vendor-Class MADs"):
 * the agents' tells would kill it.  On hardware the SM's node is fine.
 */
static void refuse_sm_node(struct smx *s, const struct ibvmig_sa_port *port)
{
	if (!s->opts.sa.simulator || port->lid != s->sm_lid || !port->lid)
		return;
	util_log(UTIL_LOG_ERROR, "ERR E203: this port (LID %u) is the SM's: under ibsim the "
		 "agents' tells would reach OpenSM, which dies of a vendor MAD; run ibvmig-smx "
		 "on another node", port->lid);
	smx_request_stop(s);
}

static void refresh_view(struct smx *s, uint64_t now_ms)
{
	const struct ibvmig_sa_port *port;
	int rc;

	s->next_view_ms = now_ms + VIEW_MS;
	ibvmig_sa_refresh(s->sa);
	port = ibvmig_sa_port(s->sa);
	s->subnet_prefix = port->subnet_prefix;
	if (port->sm_lid != s->sm_lid) {
		if (s->sm_lid)
			util_log(UTIL_LOG_INFO, "the SM's LID is %u now (was %u)", port->sm_lid,
				 s->sm_lid);
		s->sm_lid = port->sm_lid;
		s->sm_known = false;	/* its port is learnt again */
		refuse_sm_node(s, port);
	}
	if (!s->sm_lid || !port->lid || s->sm_known)
		return;
	rc = learn_sm_port(s, s->sm_lid);
	if (rc)
		util_log(UTIL_LOG_VERBOSE, "ERR E204: the SM's port (LID %u) not learnt: %s",
			 s->sm_lid, ibvmig_sa_strerror(rc));
}

void smx_sm_step(struct smx *s, uint64_t now_ms)
{
	if (now_ms >= s->next_view_ms)
		refresh_view(s, now_ms);
	if (!s->sm_lid)
		return;
	if (!s->subscribed && now_ms >= s->next_sub_ms)
		subscribe_round(s, now_ms);
	else if (s->subscribed && now_ms >= s->next_check_ms) {
		s->next_check_ms = now_ms + s->conf.check_ms;
		smx_sm_check(s);
	}
	smx_tell_expire(s, now_ms);
}

int smx_sm_timeout(struct smx *s, uint64_t now_ms)
{
	uint64_t next = s->next_view_ms;

	if (s->sm_lid)
		next = s->subscribed ? (next < s->next_check_ms ? next : s->next_check_ms) :
				       (next < s->next_sub_ms ? next : s->next_sub_ms);
	return next > now_ms ? (int)(next - now_ms) : 0;
}

void smx_sm_on_report(const struct ibvmig_sa_report *r, void *ctx)
{
	struct smx *s = ctx;
	uint64_t prefix, issuer;

	/* The SA sends Reports from the master SM's LID; anything else is forged. */
	if (!s->sm_lid || r->slid != s->sm_lid) {
		s->cnt.reports_refused++;
		util_log(UTIL_LOG_VERBOSE, "ERR E205: a Report from LID %u, not the SM's (%u): "
			 "dropped", r->slid, s->sm_lid);
		return;
	}
	if (r->trap == 64 || r->trap == 65) {
		smx_ports_trap(s, (uint16_t)r->trap, r->gid_guid);
		return;
	}
	if (r->path_rc != IBVMIG_TRAP_UNPATH && r->path_rc != IBVMIG_TRAP_REPATH)
		return;
	ibvmig_notice_get_issuer(&r->notice, &prefix, &issuer);
	eng_notice_seen(s->eng, (uint16_t)r->path_rc, &r->path, s->sm_guid && issuer == s->sm_guid);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_ops.c - the engine's operations (engine.h, struct eng_ops) as the
 * extension provides them.
 *
 * send_notice: a Trap(Notice) SMP, trap 68 or 69, to the SM's LID (IBA
 * 14.2.5.1).  Stock OpenSM reports it to every subscriber of that trap, the
 * details as sent and the IssuerGID set to this port's (doc/simulator.md,
 * "Trap Forwarding"): the hosts keep their subscriptions and learn to trust
 * this issuer.  Every notice differs (its sequence and number), so OpenSM's
 * suppression of more than 10 identical traps in 5 s never applies.  With
 * sweep_on_trap (on by default) each trap also starts a light sweep
 * (ibvmig-smx(8), "The SM's cost").  Under ibsim no TrapRepress ever comes
 * back: one copy is sent.  In direct mode the notice goes to every agent
 * that takes PathNotices instead, or as well.
 * The engine calls it only on the thread that fed it: the MAD thread, the
 * only user of the port (smx.h, THREADS).
 *
 * sm_view, list_subscribers and host_fields run on the engine's worker and
 * read what the MAD thread published; list_aliases is never asked for (the
 * extension never asks for a reconcile: its poll is made of eng_port_read()s).
 * Log codes of this file: E6xx (doc/log-codes.md).
 */
#include "smx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void ops_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	util_log(level, "%s", msg);
}

static int send_trap(struct smx *s, uint16_t trap, const struct ibvmig_path_notice *n)
{
	const struct ibvmig_sa_port *port = ibvmig_sa_port(s->sa);
	struct ibvmig_notice ntc = {
		.generic = true,
		.type = IBVMIG_NOTICE_TYPE_INFO,
		.producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR,
		.trap_or_device = trap,
		.issuer_lid = port->lid,
	};
	unsigned flags = s->opts.sa.simulator ? IBVMIG_SA_TRAP_NO_REPRESS : 0;
	int rc;

	ibvmig_details_encode(n, ntc.details);
	rc = ibvmig_sa_send_trap(s->sa, s->sm_lid, &ntc, flags);
	if (rc) {
		s->cnt.trap_errors++;
		util_log(UTIL_LOG_ERROR, "ERR E601: trap %u (notice %u) to the SM at LID %u: %s",
			 trap, n->number, s->sm_lid, ibvmig_sa_strerror(rc));
		return rc;
	}
	s->cnt.traps_sent++;
	return 0;
}

static int ops_send_notice(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct smx *s = ctx;
	bool sent = false;

	if (!smx_on_mad_thread()) {
		util_log(UTIL_LOG_ERROR, "ERR E602: a notice to send off the MAD thread: not sent");
		return -EAGAIN;
	}
	if (!s->sm_lid || !ibvmig_sa_port(s->sa)->lid)
		return -EAGAIN;		/* no SM to send it through yet */
	if (s->conf.delivery & SMX_DELIVER_TRAP)
		sent = !send_trap(s, trap, n);
	/* Taken for delivery: smx_tell_direct_step() sends it between tells. */
	if (s->conf.delivery & SMX_DELIVER_DIRECT)
		sent = !smx_tell_direct(s, trap, n) || sent;
	return sent ? 0 : -EIO;
}

static int ops_list_aliases(void *ctx, struct eng_aliases *out)
{
	(void)ctx;
	(void)out;
	return -EOPNOTSUPP;	/* no reconcile is ever asked for: see above */
}

static int ops_sm_view(void *ctx, struct eng_sm_view *v)
{
	struct smx *s = ctx;

	pthread_mutex_lock(&s->lock);
	*v = s->pub.view;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/*
 * The agents that told the extension they hold their subscriptions to 68 and
 * 69 (flag SUBSCRIBED), one line per trap: best effort, since the SM's own
 * table (InformInfoRecord) comes back truncated under ibsim (doc/simulator.md,
 * "RMPP") and listeners without an agent never tell.
 */
static int ops_list_subscribers(void *ctx, struct eng_subscribers *out)
{
	static const uint16_t traps[] = { IBVMIG_TRAP_UNPATH, IBVMIG_TRAP_REPATH };
	struct smx *s = ctx;
	unsigned i, t;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; !rc && i < s->n_agents; i++) {
		const struct smx_agent *a = &s->agents[i];

		if (!(a->flags & IBVMIG_TELL_F_SUBSCRIBED))
			continue;
		for (t = 0; !rc && t < 2; t++) {
			struct eng_subscriber sub = { .guid = a->guid, .lid = a->lid, .qpn = a->qpn,
						      .trap = traps[t], .range_begin = 0xFFFF };

			rc = eng_subscribers_add(out, &sub);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void put_num(struct eng_host_fields *h, uint16_t tag, uint64_t v)
{
	if (h->count < ENG_HOST_FIELDS_MAX)
		h->f[h->count++] = (struct eng_host_field){ .tag = tag, .value = v };
}

static void put_str(struct eng_host_fields *h, uint16_t tag, const char *v)
{
	if (h->count == ENG_HOST_FIELDS_MAX)
		return;
	h->f[h->count] = (struct eng_host_field){ .tag = tag, .is_str = true };
	snprintf(h->f[h->count++].str, sizeof(h->f[0].str), "%s", v);
}

static void status_fields(struct smx *s, const struct smx_published *p,
			  struct eng_host_fields *h)
{
	put_str(h, IBVMIG_TAG_DELIVERY, smx_delivery_name(s->conf.delivery));
	put_num(h, IBVMIG_TAG_PORT_LID, p->own_lid);
	put_num(h, IBVMIG_TAG_AGENTS, s->n_agents);
	put_num(h, IBVMIG_TAG_POLL_RATE, s->conf.poll_rate);
	put_num(h, IBVMIG_TAG_POLL_PORTS, p->poll_ports);
	put_num(h, IBVMIG_TAG_POLL_CYCLE_MS, p->last_cycle_ms);
}

static void stats_fields(const struct smx_counters *c, struct eng_host_fields *h)
{
	put_num(h, IBVMIG_TAG_POLL_CYCLES, c->poll_cycles);
	put_num(h, IBVMIG_TAG_POLL_REQUESTS, c->poll_requests);
	put_num(h, IBVMIG_TAG_POLL_ERRORS, c->poll_errors);
	put_num(h, IBVMIG_TAG_LEARN_REQUESTS, c->learn_requests);
	put_num(h, IBVMIG_TAG_TELLS, c->tells);
	put_num(h, IBVMIG_TAG_TELLS_REFUSED, c->tells_refused);
	put_num(h, IBVMIG_TAG_TELL_READS, c->tell_reads);
	put_num(h, IBVMIG_TAG_DEFERRED_READS, c->deferred_reads);
	put_num(h, IBVMIG_TAG_CANARY_CHECKS, c->canary_checks);
	put_num(h, IBVMIG_TAG_SM_CHANGES, c->sm_changes);
	put_num(h, IBVMIG_TAG_TRAPS_SENT, c->traps_sent);
	put_num(h, IBVMIG_TAG_TRAP_ERRORS, c->trap_errors);
	put_num(h, IBVMIG_TAG_DIRECT_SENT, c->direct_sent);
	put_num(h, IBVMIG_TAG_DIRECT_ERRORS, c->direct_errors);
	put_num(h, IBVMIG_TAG_REPORTS_REFUSED, c->reports_refused);
	put_num(h, IBVMIG_TAG_SA_TIMEOUTS, c->sa_timeouts);
}

static int ops_host_fields(void *ctx, uint8_t op, struct eng_host_fields *h)
{
	struct smx *s = ctx;
	struct smx_published p;

	pthread_mutex_lock(&s->lock);
	p = s->pub;
	if (op == IBVMIG_ADMIN_STATUS)
		status_fields(s, &p, h);	/* n_agents is read under the lock */
	pthread_mutex_unlock(&s->lock);
	if (op == IBVMIG_ADMIN_STATS)
		stats_fields(&p.cnt, h);
	return 0;
}

const struct eng_ops smx_eng_ops = {
	.log = ops_log,
	.send_notice = ops_send_notice,
	.list_aliases = ops_list_aliases,
	.sm_view = ops_sm_view,
	.list_subscribers = ops_list_subscribers,
	.host_fields = ops_host_fields,
};

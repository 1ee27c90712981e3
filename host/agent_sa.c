// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_sa.c - ibvmigd's SA thread: the only user of the port (agent.h says
 * why it is a thread of its own).
 *
 * SUBSCRIPTIONS.  Per-port mode (the design): one InformInfo subscription per
 * trap, 68 and 69, from the physical port (doc/notice-details.md), so the SM
 * sends this host one Report per notice however many VMs it runs.  Per-VM
 * mode (the benchmark's baseline): one per VM and trap, with LID ranges that
 * OpenSM keeps apart (doc/simulator.md, "Reports and Subscriptions").  The
 * SA's GetResp is the registration acknowledgement: until every subscription
 * has one, the round
 * is tried again after a backoff that doubles from backoff_min_ms to
 * backoff_max_ms, with +-25% jitter so that hosts do not retry in step.
 *
 * SM RESETS.  OpenSM forgets subscriptions and alias GUIDs when it restarts,
 * and a new master never had them.  A port that drops and comes back keeps
 * its subscriptions (drop_event_subscriptions FALSE) but loses its aliases
 * (doc/simulator.md, "Link Flaps: Unlink and Link"): the canary cannot see
 * that.
 * On real hardware the client-reregister event says so; under ibsim nothing
 * does, so every check_ms the thread asks the SA about a canary: an extra
 * subscription whose LID range is LID 0, which no notice's issuer has.  Two
 * canaries (on trap 68 and on trap 69) take turns: the check subscribes the
 * next one, then unsubscribes the one it held.  OpenSM answers the
 * unsubscribe with success if it still holds that canary, and "invalid
 * request" (ERR 4307, no such subscription) if it forgot.  Subscribing before
 * unsubscribing leaves no moment at which a restart goes unseen: an SM that
 * comes up between the two MADs lacks the held canary, one that comes up
 * after them lacks the next - and unsubscribing first, then subscribing the
 * same canary again, would hand a new SM the very canary the next check asks
 * about.  Two small MADs per check, and the answer is exactly "does the SM
 * still know us".  A forgotten canary starts a new subscription round, after
 * which every vGUID this agent set is set again.
 *
 * FLAPS.  The canary survives a flap of the own port, the aliases do not.  So
 * each check also reads the own PortInfo (a local SMP: the port's state, and
 * the master SM's LID, which umad2sim's snapshot never updates:
 * doc/simulator.md, "umad2sim Port Snapshot") and the GUIDInfoRecord blocks
 * that hold this agent's vGUIDs, and sets again any the SM dropped.
 *
 * TRUST (agent_trust.h).  A Report is believed only from the master SM's LID
 * and with the SM's port (or a --trust-issuer port) as IssuerGID; the rest is
 * counted and logged (rate-limited) and goes nowhere, so it neither reaches a
 * VM nor moves a stamp or a notice number.  The SM's LID comes from
 * PortInfo and its port GUID from the SA (NodeRecord by that LID), learnt at
 * each subscription round and check, after SA timeouts, and when a Report
 * comes from another LID (at most once a second): never from a notice.
 *
 * DELIVERY.  Nobody resends a lost Report (doc/simulator.md, "OpenSM
 * Transactions Under umad2sim").  A gap in the numbers of the believed
 * notices, a new epoch, an SM reset, the port back from a flap, or the
 * --revalidate period start a re-validation round: the channel thread lists
 * every vGID a VM is interested in, this thread asks the SA for each path and
 * the channel thread pushes the answers to the interested VMs
 * (doc/vm-channel.md, path-update and path-gone).  One round runs at a time;
 * a cause that comes during one runs another after it.
 */
#include "agent.h"
#include "ibvmig_tell.h"
#include "ibvmig_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALIASES 256		/* GUIDCap is at most 256 per port in practice */
#define STAMP_SLOTS 4096	/* notice stamps remembered, direct-mapped */
#define JOBS_PER_SLICE 32	/* so that Reports are read between long job runs */
#define LEARN_GAP_MS 1000	/* a Report from an unknown LID asks the port at most this often */
#define LOG_GAP_MS 1000		/* one refusal line per kind and second at most */
#define ROUND_MAX_MS 120000	/* a re-validation round that never ended is given up */
#define SETTLE_MIN_MS 10000	/* after an SM change, "no path" says nothing for this long */
#define PORT_ACTIVE 4		/* PortInfo PortState (IBA 14.2.5.6) */
#define ESCROW_WINDOW_MS 60000	/* an escrow's LID move this port waits for at most */
#define BATCH_MAX 32		/* attaches taken together: a host's 31 VMs evacuated to it */
#define TABLE_BLOCKS (MAX_ALIASES / IBVMIG_SA_GUIDS_PER_BLOCK)

static const uint16_t traps[] = { IBVMIG_TRAP_UNPATH, IBVMIG_TRAP_REPATH };
#define N_TRAPS (sizeof(traps) / sizeof(traps[0]))

struct alias {
	uint64_t vguid;
	int index;
};

/* The newest notice stamp seen per vGUID: attached to PathRecord answers (ibvmig_pc_insert). */
struct stamp {
	uint64_t vguid;
	uint32_t epoch;
	uint64_t seq;
};

/* A log line at most every LOG_GAP_MS; the ones held back are counted in the next. */
struct rate_log {
	int64_t next_ms;
	unsigned held;
};

struct sa_ctx {
	struct agent *a;
	struct ibvmig_sa *sa;
	struct agent_sa_status st;	/* published after every slice */
	struct trust trust;		/* what is believed (agent_trust.h) */
	int64_t next_learn_ms;		/* a Report from an unknown LID may ask the port again */
	bool learn_soon;		/* an SA request timed out: the master may have moved */
	struct rate_log log_source, log_issuer;
	bool port_down;			/* the last check found the port not active */
	bool round_running, round_pending;	/* re-validation rounds */
	int64_t round_started_ms, next_round_ms;
	int64_t settle_until_ms;	/* an SM change: its SA may not know every vGUID yet */
	bool subscribed, ever_subscribed;
	bool reset_pending;		/* set the aliases again once subscribed */
	int64_t next_try_ms, next_check_ms;
	int backoff_ms;
	unsigned want_per_vm, held_per_vm;	/* per-VM mode: ranges 0..n-1 */
	bool canary;			/* a canary is subscribed: traps[canary_turn] */
	unsigned canary_turn;
	struct alias aliases[MAX_ALIASES];
	unsigned n_aliases;
	struct stamp *stamps;		/* STAMP_SLOTS of them */
	unsigned seed;
	/* An escrow moves this port's LID (agent_escrow.c): no canary check until it has. */
	int64_t escrow_until_ms;	/* 0: no move */
	uint16_t escrow_lid;		/* the port's LID when the move began */
};

/* ---- notice stamps ------------------------------------------------------------------------ */

static struct stamp *stamp_slot(struct sa_ctx *c, uint64_t vguid)
{
	return &c->stamps[(vguid * 0x9E3779B97F4A7C15ULL) >> 52 & (STAMP_SLOTS - 1)];
}

static void stamp_note(struct sa_ctx *c, const struct ibvmig_path_notice *n)
{
	struct stamp *s = stamp_slot(c, n->vguid);

	/* A collision forgets an older vGUID's stamp: its next answer goes unstamped. */
	if (s->vguid != n->vguid || ibvmig_stamp_is_newer(n->epoch, n->seq, s->epoch, s->seq))
		*s = (struct stamp){ n->vguid, n->epoch, n->seq };
}

/* ---- aliases ------------------------------------------------------------------------------ */

static int alias_find(const struct sa_ctx *c, uint64_t vguid)
{
	unsigned i;

	for (i = 0; i < c->n_aliases; i++)
		if (c->aliases[i].vguid == vguid)
			return (int)i;
	return -1;
}

static void alias_forget(struct sa_ctx *c, uint64_t vguid)
{
	int i = alias_find(c, vguid);

	if (i >= 0)
		c->aliases[i] = c->aliases[--c->n_aliases];
	c->st.aliases = c->n_aliases;
}

static int alias_remember(struct sa_ctx *c, uint64_t vguid, int index)
{
	int i = alias_find(c, vguid);

	if (i < 0) {
		if (c->n_aliases == MAX_ALIASES)
			return -ENOSPC;
		i = (int)c->n_aliases++;
	}
	c->aliases[i] = (struct alias){ vguid, index };
	c->st.aliases = c->n_aliases;
	return 0;
}

/* ---- the master SM ------------------------------------------------------------------------ */

/*
 * A new SM (restarted, or another master) knows a vGUID only once its agent
 * has set it again, up to a check interval of that agent later: until then
 * its "no path" proves nothing, and telling the VMs so would drop paths that
 * still work (the LID did not change).  Updates are pushed; path-gone waits.
 */
static void sm_changed(struct sa_ctx *c)
{
	int settle = 3 * c->a->opts.check_ms;

	c->settle_until_ms = (int64_t)util_mono_ms() + (settle > SETTLE_MIN_MS ? settle :
							      SETTLE_MIN_MS);
}

/*
 * The master SM as the own PortInfo (its MasterSMLID, IBA 14.2.5.6) and the
 * SA (the port GUID of that LID) say now.  The port is asked every time (a
 * local SMP); the SA only when the LID is new or its port not known yet.
 * A new master (a handover, or the first one learnt after another) starts a
 * re-validation: Reports sent while the agent still believed the old one
 * were refused.  0, or the error of the query that failed (the SM's port is
 * then unknown, and nothing is believed until a later call learns it).
 */
static void revalidate(struct sa_ctx *c, const char *why);

static int learn_sm(struct sa_ctx *c)
{
	const struct ibvmig_sa_port *p;
	struct ibvmig_sa_node node;
	uint64_t was = c->trust.sm_guid;
	int rc;

	c->learn_soon = false;
	rc = ibvmig_sa_refresh(c->sa);
	p = ibvmig_sa_port(c->sa);
	if (rc || !p->sm_lid)
		return rc ? rc : -ENETDOWN;
	if (p->sm_lid == c->trust.sm_lid && c->trust.sm_guid) {
		trust_set_sm(&c->trust, p->sm_lid, p->subnet_prefix, c->trust.sm_guid);
		return 0;
	}
	rc = ibvmig_sa_node_by_lid(c->sa, p->sm_lid, &node);
	trust_set_sm(&c->trust, p->sm_lid, p->subnet_prefix, rc ? 0 : node.port_guid);
	c->st.sm_port_guid = c->trust.sm_guid;
	if (rc) {
		c->st.sa_errors++;
		util_log(UTIL_LOG_ERROR,
			 "ERR E908: the master SM's port (LID %u) is not known: %s; no Report is "
			 "believed until it is", p->sm_lid, ibvmig_sa_strerror(rc));
		return rc;
	}
	util_log(UTIL_LOG_INFO, "master SM: LID %u, port 0x%016" PRIx64 "%s", p->sm_lid,
		 node.port_guid, was && was != node.port_guid ? " (a new master)" : "");
	if (was && was != node.port_guid) {
		sm_changed(c);
		revalidate(c, "a new master SM");
	}
	return 0;
}

/* learn_sm() out of turn (an SA timeout, a Report from another LID): once a second at most. */
static void learn_again(struct sa_ctx *c, int64_t now)
{
	c->next_learn_ms = now + LEARN_GAP_MS;
	learn_sm(c);
}

/* ---- re-validation ------------------------------------------------------------------------- */

/*
 * Starts a round (doc/vm-channel.md, path-update): the channel thread turns
 * the event into one AGENT_JOB_REVALIDATE per vGID of interest.  A cause that
 * comes while a round runs runs another once it ends: its notices may have
 * been lost after the round asked the SA.
 */
static void revalidate(struct sa_ctx *c, const char *why)
{
	int64_t now = (int64_t)util_mono_ms();
	struct agent_item *ev;

	if (c->round_running && now - c->round_started_ms < ROUND_MAX_MS) {
		c->round_pending = true;
		return;
	}
	ev = agent_item_new(AGENT_EV_REVALIDATE);
	if (!ev)
		return;
	c->round_running = true;
	c->round_pending = false;
	c->round_started_ms = now;
	if (c->a->opts.revalidate_ms > 0)
		c->next_round_ms = now + c->a->opts.revalidate_ms;
	c->st.revalidations++;
	util_log(UTIL_LOG_VERBOSE, "re-validating the paths the VMs hold: %s", why);
	agent_queue_push(&c->a->events, ev);
}

static void round_ended(struct sa_ctx *c)
{
	c->round_running = false;
	if (c->round_pending)
		revalidate(c, "notices lost during the last round");
}

/* ---- subscriptions ------------------------------------------------------------------------ */

static void backoff(struct sa_ctx *c, int64_t now)
{
	int jitter = c->backoff_ms / 4, max = c->a->opts.backoff_max_ms;

	c->next_try_ms = now + c->backoff_ms;
	if (jitter)
		c->next_try_ms += rand_r(&c->seed) % (2 * jitter + 1) - jitter;
	c->backoff_ms = c->backoff_ms > max / 2 ? max : c->backoff_ms * 2;
}

static int per_vm_set(struct sa_ctx *c, unsigned k, bool on)
{
	uint16_t begin, end;
	unsigned t;
	int rc = ibvmig_sa_per_vm_range(c->sa, k, &begin, &end);

	for (t = 0; !rc && t < N_TRAPS; t++)
		rc = ibvmig_sa_subscribe_range(c->sa, traps[t], on, begin, end);
	/* An unsubscribe the SA finds nothing to remove for (ERR 4307) is done too. */
	return !on && rc == -EBADR ? 0 : rc;
}

/* The real subscriptions of the mode: 0 once each is acknowledged. */
static int subscribe_traps(struct sa_ctx *c)
{
	unsigned t;
	int rc = 0;

	if (c->a->opts.subscribe == AGENT_SUB_PER_PORT) {
		for (t = 0; !rc && t < N_TRAPS; t++)
			rc = ibvmig_sa_subscribe(c->sa, traps[t], true);
		return rc;
	}
	/* After a reset the SM holds none: subscribe each range again. */
	if (c->reset_pending)
		c->held_per_vm = 0;
	while (!rc && c->held_per_vm < c->want_per_vm) {
		rc = per_vm_set(c, c->held_per_vm, true);
		if (!rc)
			c->held_per_vm++;
	}
	while (!rc && c->held_per_vm > c->want_per_vm) {
		rc = per_vm_set(c, c->held_per_vm - 1, false);
		if (!rc)
			c->held_per_vm--;
	}
	return rc;
}

/*
 * Canary @turn: a subscription to traps[turn] from issuer LIDs 0 to 0.  OpenSM
 * accepts the range (it is inside its LID table) and matches no notice with it.
 */
static int canary_set(struct sa_ctx *c, unsigned turn, bool on)
{
	return ibvmig_sa_subscribe_range(c->sa, traps[turn], on, 0, 0);
}

static void set_aliases_again(struct sa_ctx *c);

static void subscribe_round(struct sa_ctx *c, int64_t now)
{
	int rc;

	c->st.subscribe_attempts++;
	/* Before any Report can come: whose Reports to believe. */
	rc = learn_sm(c);
	if (!rc)
		rc = subscribe_traps(c);
	if (!rc && c->a->opts.check_ms > 0 && !c->canary) {
		rc = canary_set(c, c->canary_turn, true);
		c->canary = !rc;
	}
	c->st.subscriptions = ibvmig_sa_subscriptions(c->sa);
	if (rc) {
		c->st.sa_errors++;
		util_log(c->st.subscribe_attempts == 1 ? UTIL_LOG_ERROR : UTIL_LOG_VERBOSE,
			 "ERR E901: subscription not acknowledged: %s; again in %d ms",
			 ibvmig_sa_strerror(rc), c->backoff_ms);
		backoff(c, now);
		return;
	}
	if (!c->subscribed)
		util_log(!c->ever_subscribed || c->reset_pending ? UTIL_LOG_INFO : UTIL_LOG_VERBOSE,
			 "subscribed: %u subscriptions on lid %u (traps 68, 69%s)",
			 c->st.subscriptions, ibvmig_sa_port(c->sa)->lid,
			 c->canary ? ", canary" : "");
	c->subscribed = c->ever_subscribed = true;
	c->backoff_ms = c->a->opts.backoff_min_ms;
	c->next_check_ms = now + c->a->opts.check_ms;
	if (c->reset_pending)
		set_aliases_again(c);
}

/* The SM forgot the held canary: subscribe again, then set the vGUIDs again. */
static void sm_forgot_us(struct sa_ctx *c, unsigned next, int64_t now)
{
	c->st.sm_resets++;
	sm_changed(c);
	util_log(UTIL_LOG_INFO,
		 "the SM has forgotten this port's subscriptions (restart, handover or "
		 "port reset): subscribing again, then setting %u vGUIDs again",
		 c->n_aliases);
	/* The round subscribes the next canary again: a no-op if this SM took it. */
	c->canary_turn = next;
	c->canary = false;
	c->subscribed = false;
	c->reset_pending = true;
	c->backoff_ms = c->a->opts.backoff_min_ms;
	c->next_try_ms = now;
}

static uint64_t sa_retries(const struct sa_ctx *c)
{
	struct ibvmig_sa_counters cnt;

	ibvmig_sa_get_counters(c->sa, &cnt);
	return cnt.retries;
}

/*
 * Unsubscribes the held canary: 1 when the SM did not hold it (it forgot us),
 * 0 when it did, or the error.  A "no such subscription" to a resent
 * unsubscribe proves nothing: the first copy may have removed it and its
 * answer been lost (a lossy port); the next check asks again.
 */
static int canary_forgotten(struct sa_ctx *c, unsigned held)
{
	uint64_t retries = sa_retries(c);
	struct ibvmig_sa_node node;
	int rc = canary_set(c, held, false);

	if (rc != -EBADR)
		return rc;
	if (sa_retries(c) != retries) {
		util_log(UTIL_LOG_VERBOSE, "canary: a resent unsubscribe found nothing; taken as done");
		return 0;
	}
	/*
	 * OpenSM answers the same status when it does not know the subscriber's
	 * port yet (ERR 430D: a port back from a flap, before the SM's sweep found
	 * it; doc/simulator.md, "Link Flaps: Unlink and Link"): only an SM that knows
	 * this port and lacks the canary has forgotten us.  Otherwise the next
	 * check asks again.
	 */
	if (ibvmig_sa_node_by_lid(c->sa, ibvmig_sa_port(c->sa)->lid, &node))
		return -EAGAIN;
	return 1;
}

/* The check's look at the port: true when it is active (the SA reachable through it). */
static bool port_active(struct sa_ctx *c)
{
	const struct ibvmig_sa_port *p = ibvmig_sa_port(c->sa);
	bool active = !p->from_portinfo || p->port_state == PORT_ACTIVE;

	if (!active && !c->port_down) {
		c->st.port_downs++;
		util_log(UTIL_LOG_INFO, "the port is down (state %u): its vGUIDs are checked when "
			 "it is back", p->port_state);
	} else if (active && c->port_down) {
		util_log(UTIL_LOG_INFO, "the port is up again: checking its vGUIDs");
	}
	c->port_down = !active;
	return active;
}

static void check_aliases(struct sa_ctx *c);

/*
 * The canary half of a check: 1 when the SM forgot us (a new subscription
 * round is set up), 0 when it still knows us, or the error.
 */
static int check_canary(struct sa_ctx *c, int64_t now)
{
	unsigned held = c->canary_turn, next = held ^ 1;
	/* Only the unsubscribe's "no such subscription" tells; a refused subscribe does not. */
	int rc = canary_set(c, next, true);

	if (!rc)
		rc = canary_forgotten(c, held);
	if (rc == 1) {
		sm_forgot_us(c, next, now);
		return 1;
	}
	if (!rc) {
		c->canary_turn = next;
		return 0;
	}
	/*
	 * The SM may be down, or have moved; a later check tells.  The turn
	 * stays: subscribing the next canary again is a no-op for an SM that
	 * holds it already.
	 */
	c->st.sa_errors++;
	c->learn_soon = rc == -ETIMEDOUT;
	util_log(UTIL_LOG_VERBOSE, "ERR E902: SA check failed: %s", ibvmig_sa_strerror(rc));
	return rc;
}

/*
 * True while an escrow moves this port's LID and the port has not taken the
 * new one: the SM's subscriptions are at the new LID already, so a canary
 * asked from this one proves nothing.  The window ends when the LID changed,
 * when a QUERY said the move is over, or after ESCROW_WINDOW_MS.
 */
static bool escrow_moving(struct sa_ctx *c, int64_t now)
{
	uint16_t lid = ibvmig_sa_port(c->sa)->lid;

	if (!c->escrow_until_ms)
		return false;
	if (now < c->escrow_until_ms && lid == c->escrow_lid) {
		util_log(UTIL_LOG_DEBUG, "check: the escrow moves this port's LID %u: later", lid);
		return true;
	}
	util_log(UTIL_LOG_INFO, "the escrow's move of this port's LID is over: LID %u", lid);
	c->escrow_until_ms = 0;
	return false;
}

static void escrow_window(struct sa_ctx *c, enum agent_escrow_window w)
{
	if (w == AGENT_ESC_OPEN) {
		/* A QUERY saying "moving" keeps the LID the move began at. */
		if (!c->escrow_until_ms)
			c->escrow_lid = ibvmig_sa_port(c->sa)->lid;
		c->escrow_until_ms = (int64_t)util_mono_ms() + ESCROW_WINDOW_MS;
	} else if (w == AGENT_ESC_CLOSE && c->escrow_until_ms) {
		c->escrow_until_ms = 1;	/* the next check ends it, at the LID the port has */
	}
}

/* The periodic check: the port and the master SM, the held canary, the vGUIDs. */
static void check_sm(struct sa_ctx *c, int64_t now)
{
	bool was_down = c->port_down;
	int rc;

	c->next_check_ms = now + c->a->opts.check_ms;
	c->st.checks++;
	learn_sm(c);
	if (!port_active(c) || escrow_moving(c, now))
		return;
	rc = check_canary(c, now);
	if (rc == 1)
		return;		/* the new round sets every vGUID again */
	if (!rc || was_down)
		check_aliases(c);
	if (was_down)
		revalidate(c, "the port was down: Reports to it were lost");
}

/* ---- after a reset: set every vGUID again -------------------------------------------------- */

/*
 * After a reset the SA refused @vguid: lost, unless this port still holds it
 * at that index (the canary alone was gone, not the SM's memory).
 */
static bool alias_lost(struct sa_ctx *c, uint64_t vguid, int index, int rc)
{
	int held = -1;

	if (rc == -EEXIST && !ibvmig_sa_alias_find(c->sa, vguid, &held, NULL) && held == index)
		return false;
	util_log(UTIL_LOG_ERROR, "ERR E903: vGUID 0x%016" PRIx64 " not set again: %s", vguid,
		 rc == -EEXIST ? "another port holds it now" : ibvmig_sa_strerror(rc));
	alias_forget(c, vguid);
	return true;
}

static void set_aliases_again(struct sa_ctx *c)
{
	unsigned i = 0;
	int rc;

	while (i < c->n_aliases) {
		struct alias al = c->aliases[i];

		rc = ibvmig_sa_alias_set(c->sa, al.vguid, al.index);
		agent_tell_alias(c->a, IBVMIG_TELL_SET, al.vguid, al.index, rc);
		/* A lost one is forgotten and the last one swapped in: same i again. */
		if ((rc == -EEXIST || rc == -EINVAL) && alias_lost(c, al.vguid, al.index, rc))
			continue;
		if (rc == -EEXIST)
			rc = 0;		/* still ours */
		if (rc) {
			/* The SA is not answering yet: the next round tries again. */
			c->st.sa_errors++;
			util_log(UTIL_LOG_ERROR,
				 "ERR E904: vGUID 0x%016" PRIx64 " not set again yet: %s", al.vguid,
				 ibvmig_sa_strerror(rc));
			c->subscribed = false;
			backoff(c, (int64_t)util_mono_ms());
			return;
		}
		c->st.reattached++;
		i++;
	}
	util_log(UTIL_LOG_INFO, "set %u vGUIDs again after the SM reset", c->n_aliases);
	c->reset_pending = false;
	/* The forgetful SM may have sent notices before it knew us again. */
	revalidate(c, "the SM had forgotten this port");
}

/* ---- a flap: vGUIDs the SM dropped, the subscriptions kept ---------------------------------- */

/* The vGUIDs of GUID block @block that the SM no longer has there, added to @missing. */
static int block_missing(struct sa_ctx *c, int block, struct alias *missing, unsigned *n)
{
	struct ibvmig_sa_guid_block b;
	bool fetched = false;
	unsigned i;
	int rc;

	for (i = 0; i < c->n_aliases; i++) {
		struct alias al = c->aliases[i];

		if (al.index / IBVMIG_SA_GUIDS_PER_BLOCK != block)
			continue;
		if (!fetched) {
			rc = ibvmig_sa_guid_block(c->sa, (uint8_t)block, &b);
			if (rc)
				return rc;
			fetched = true;
		}
		if (b.guid[al.index % IBVMIG_SA_GUIDS_PER_BLOCK] != al.vguid)
			missing[(*n)++] = al;
	}
	return 0;
}

/* Sets @al again where it was: 1 when done, 0 when the next check is to try again. */
static int restore_alias(struct sa_ctx *c, struct alias al)
{
	int rc = ibvmig_sa_alias_set(c->sa, al.vguid, al.index);

	agent_tell_alias(c->a, IBVMIG_TELL_SET, al.vguid, al.index, rc);
	if ((rc == -EEXIST || rc == -EINVAL) && alias_lost(c, al.vguid, al.index, rc))
		return 0;
	if (rc == -EEXIST)
		return 0;	/* there after all: set meanwhile */
	if (rc) {
		c->st.sa_errors++;
		util_log(UTIL_LOG_VERBOSE, "ERR E909: vGUID 0x%016" PRIx64 " not set again yet: %s",
			 al.vguid, ibvmig_sa_strerror(rc));
		return 0;
	}
	c->st.aliases_restored++;
	util_log(UTIL_LOG_INFO,
		 "vGUID 0x%016" PRIx64 " was gone from index %d (the SM dropped it, as it "
		 "does when the port flaps): set again", al.vguid, al.index);
	return 1;
}

/*
 * Every vGUID this agent set, against the port's GUIDInfoRecord blocks (one
 * single-record Get per block that holds one of them).  A port that went down
 * and up lost its aliases in the SM but kept its subscriptions
 * (doc/simulator.md, "Link Flaps: Unlink and Link"), so the canary cannot
 * tell; peers got an UnPath "port-gone", and the Set makes the SM send the
 * RePath that lets them resume.
 */
static void check_aliases(struct sa_ctx *c)
{
	struct alias missing[MAX_ALIASES];
	unsigned n = 0, i, restored = 0;
	int block, last = -1, rc;

	for (i = 0; i < c->n_aliases; i++)
		if (c->aliases[i].index / IBVMIG_SA_GUIDS_PER_BLOCK > last)
			last = c->aliases[i].index / IBVMIG_SA_GUIDS_PER_BLOCK;
	for (block = 0; block <= last; block++) {
		rc = block_missing(c, block, missing, &n);
		if (rc) {
			c->st.sa_errors++;
			util_log(UTIL_LOG_VERBOSE, "ERR E910: the port's GUID block %d unread: %s",
				 block, ibvmig_sa_strerror(rc));
			return;
		}
	}
	for (i = 0; i < n; i++)
		restored += (unsigned)restore_alias(c, missing[i]);
	/* The port was down for the SM to drop them: Reports to it were lost. */
	if (restored)
		revalidate(c, "the SM had dropped this port's vGUIDs");
}

/* ---- jobs -------------------------------------------------------------------------------- */

static void reply_text(struct agent_ev_reply *r, const char *text)
{
	snprintf(r->text, sizeof(r->text), "%s", text);
}

static void job_path(struct sa_ctx *c, const struct agent_job_path *job, struct agent_ev_reply *r)
{
	const struct ibvmig_sa_port *p = ibvmig_sa_port(c->sa);
	struct stamp s = *stamp_slot(c, job->gid.guid);

	c->st.path_queries++;
	if (job->gid.prefix != p->subnet_prefix) {
		r->rc = -ENOENT;
		reply_text(r, "the GID is not on this port's subnet");
		return;
	}
	/* The stamp held when asking: a notice read during the request is newer. */
	if (s.vguid == job->gid.guid) {
		r->path.stamped = true;
		r->path.epoch = s.epoch;
		r->path.seq = s.seq;
	}
	r->rc = ibvmig_sa_path_by_guid(c->sa, job->gid.guid, &r->path.path);
	if (r->rc == -ENOENT)
		reply_text(r, "the SA knows no path to this GID");
	else if (r->rc)
		reply_text(r, ibvmig_sa_strerror(r->rc));
}

static int pick_index(struct sa_ctx *c, uint64_t vguid, int *index)
{
	int held, free_index, rc;

	rc = ibvmig_sa_alias_find(c->sa, vguid, &held, &free_index);
	if (rc)
		return rc;
	*index = held >= 0 ? held : free_index;
	return *index < 0 ? -ENOSPC : 0;
}

/*
 * The port's LID as PortInfo says now: an escrow may have given the port another since the
 * last check, and an alias change sent to the old LID would reach another port, or nobody.
 */
static void refresh_port(struct sa_ctx *c)
{
	if (ibvmig_sa_refresh(c->sa))
		c->st.sa_errors++;
}

/* The reply to an attach of @job->vguid at @index that ended with @rc (the Set's, or before). */
static void attach_answer(struct sa_ctx *c, const struct agent_job_alias *job, int index, int rc,
			  struct agent_ev_reply *r)
{
	if (!rc)
		rc = alias_remember(c, job->vguid, index);
	r->rc = rc;
	r->alias.index = (uint32_t)(index > 0 ? index : 0);
	if (rc == -EEXIST)
		reply_text(r, "the SA refused: another port (or another index of this port) "
			      "holds this vGUID; a migration is detach at the source, then attach "
			      "at the destination");
	else if (rc == -ENOSPC)
		reply_text(r, "no free alias index on this port");
	else if (rc)
		reply_text(r, ibvmig_sa_strerror(rc));
}

static void job_attach(struct sa_ctx *c, const struct agent_job_alias *job,
		       struct agent_ev_reply *r)
{
	int index = (int)job->index, rc = 0;

	refresh_port(c);
	if (!index)
		rc = pick_index(c, job->vguid, &index);
	if (!rc) {
		r->set_us = util_wall_us();
		rc = ibvmig_sa_alias_set(c->sa, job->vguid, index);
		agent_tell_alias(c->a, IBVMIG_TELL_SET, job->vguid, index, rc);
	}
	attach_answer(c, job, index, rc, r);
	if (!r->rc)
		util_log(UTIL_LOG_VERBOSE, "attached vGUID 0x%016" PRIx64 " at index %d",
			 job->vguid, index);
}

/*
 * A detach the SA did not answer still forgets the vGUID here: the VM is
 * leaving, and setting it again after an SM restart would take it from its
 * new host.  A restarted OpenSM has forgotten it anyway, and the plugin tells
 * peers where it went once it is set there; an SM that was only slow still
 * holds it, and the destination's attach says so.
 */
static bool sa_silent(int rc)
{
	return rc == -ETIMEDOUT || rc == -ENETDOWN;
}

static void job_detach(struct sa_ctx *c, const struct agent_job_alias *job,
		       struct agent_ev_reply *r)
{
	int i = alias_find(c, job->vguid);
	int index = job->index ? (int)job->index : i >= 0 ? c->aliases[i].index : -1;

	refresh_port(c);
	r->rc = ibvmig_sa_alias_delete(c->sa, job->vguid, index);
	if (r->rc == -ENOENT && index >= 0 && !job->index)	/* moved? look it up */
		r->rc = ibvmig_sa_alias_delete(c->sa, job->vguid, -1);
	agent_tell_alias(c->a, IBVMIG_TELL_DELETE, job->vguid, index, r->rc);
	if (!r->rc || r->rc == -ENOENT || sa_silent(r->rc))
		alias_forget(c, job->vguid);
	if (r->rc == -ENOENT)
		reply_text(r, "this port does not hold the vGUID");
	else if (sa_silent(r->rc))
		reply_text(r, "the SA did not answer (SM down?): forgotten here all the same, "
			      "so this port will not set it again when the SM is back");
	else if (r->rc)
		reply_text(r, ibvmig_sa_strerror(r->rc));
	else
		util_log(UTIL_LOG_VERBOSE, "detached vGUID 0x%016" PRIx64, job->vguid);
	r->alias.index = (uint32_t)(index > 0 ? index : 0);
}

/* Per-VM mode: hold @n subscriptions per trap, at once (a vm-add's reply waits for it). */
static void job_subscriptions(struct sa_ctx *c, unsigned n)
{
	c->want_per_vm = n;
	if (c->a->opts.subscribe != AGENT_SUB_PER_VM || c->want_per_vm == c->held_per_vm)
		return;
	c->subscribed = false;
	subscribe_round(c, (int64_t)util_mono_ms());
}

/*
 * One PathRecord of a re-validation round, stamped as a path-query answer is
 * (the newest stamp held when asking), for the VMs interested in @job->gid.
 */
static void job_revalidate(struct sa_ctx *c, const struct agent_job_revalidate *job)
{
	struct stamp s = *stamp_slot(c, job->gid.guid);
	struct agent_ev_revalidated *r;
	struct agent_item *ev;

	if (job->gid.guid && job->gid.prefix == ibvmig_sa_port(c->sa)->subnet_prefix &&
	    (ev = agent_item_new(AGENT_EV_REVALIDATED))) {
		r = &ev->revalidated;
		r->gid = job->gid;
		if (s.vguid == job->gid.guid) {
			r->stamped = true;
			r->epoch = s.epoch;
			r->seq = s.seq;
		}
		r->rc = ibvmig_sa_path_by_guid(c->sa, job->gid.guid, &r->path);
		if (r->rc == -ENOENT && (int64_t)util_mono_ms() < c->settle_until_ms)
			r->rc = -EAGAIN;	/* pushed as nothing: see sm_changed() */
		else if (r->rc && r->rc != -ENOENT) {
			c->st.sa_errors++;
			c->learn_soon = c->learn_soon || r->rc == -ETIMEDOUT;
		}
		agent_queue_push(&c->a->events, ev);
	}
	if (job->last)
		round_ended(c);
}

/* A reply to @job, before its job ran; NULL without memory (the requester times out). */
static struct agent_item *reply_for(const struct agent_item *job)
{
	struct agent_item *ev = agent_item_new(AGENT_EV_REPLY);

	if (!ev)
		return NULL;
	ev->to = job->to;
	ev->reply.job = job->kind;
	return ev;
}

/* Counts how the SA failed the job, if it did, and hands the reply to the channel thread. */
static void reply_send(struct sa_ctx *c, struct agent_item *ev)
{
	const struct agent_ev_reply *r = &ev->reply;

	/* "No such path/alias" is an answer; the rest are the SA failing us. */
	if (r->rc && r->rc != -ENOENT && r->rc != -EEXIST && r->rc != -ENOSPC)
		c->st.sa_errors++;
	if (r->rc == -ETIMEDOUT)
		c->learn_soon = true;	/* the master may have moved */
	agent_queue_push(&c->a->events, ev);
}

static void run_job(struct sa_ctx *c, const struct agent_item *job)
{
	struct agent_ev_reply *r;
	struct agent_item *ev;

	if (job->kind == AGENT_JOB_REVALIDATE) {
		job_revalidate(c, &job->reval);
		return;
	}
	if (job->kind == AGENT_JOB_SUBSCRIPTIONS)
		job_subscriptions(c, job->subs.n_subs);
	if (job->kind == AGENT_JOB_SUBSCRIPTIONS && !job->to.conn)
		return;
	ev = reply_for(job);
	if (!ev)
		return;
	r = &ev->reply;
	if (job->kind == AGENT_JOB_PATH) {
		job_path(c, &job->path, r);
	} else if (job->kind == AGENT_JOB_ATTACH) {
		r->alias = job->alias;
		job_attach(c, &job->alias, r);
	} else if (job->kind == AGENT_JOB_DETACH) {
		r->alias = job->alias;
		job_detach(c, &job->alias, r);
	} else if (job->kind == AGENT_JOB_ESCROW) {
		escrow_window(c, agent_escrow_job(c->sa, &job->esc, r));
	}
	reply_send(c, ev);
}

/* ---- attaches by block: an evacuation's vGUIDs with one Set per GUID block --------------- */

/*
 * Attaches queued together, as a host that takes in an evacuated host's VMs
 * sends them (ibvmig-host attach with many --vguid): one read of the port's
 * GUID table and one Set per block instead of a table scan and a Set each.
 * OpenSM takes or refuses each entry of a block Set on its own (a duplicate:
 * ERR 5108); an entry its answer does not hold is attached again alone, so
 * that its reply says why as a lone attach would.
 */
struct batch {
	struct agent_item *job[BATCH_MAX];
	int index[BATCH_MAX];		/* planned; -1: no free index */
	unsigned n;
	struct ibvmig_sa_guid_block table[TABLE_BLOCKS];	/* as read, plus what is planned */
	struct ibvmig_sa_guid_block want[TABLE_BLOCKS];
	uint8_t entries[TABLE_BLOCKS];	/* of want[b]: the entries to set */
	unsigned blocks;		/* read: the port's GUIDCap / 8, at most TABLE_BLOCKS */
};

/* An attach that lets the agent choose the index can join a batch. */
static bool batchable(const struct agent_item *job)
{
	return job && job->kind == AGENT_JOB_ATTACH && !job->alias.index;
}

/* The index of @vguid in the table, else the first free one (taken for it), else -1. */
static int plan_index(struct batch *b, uint64_t vguid)
{
	int k, free_k = -1, n = (int)b->blocks * IBVMIG_SA_GUIDS_PER_BLOCK;
	uint64_t *g;

	for (k = 1; k < n; k++) {	/* index 0 is the port GUID */
		g = &b->table[k / IBVMIG_SA_GUIDS_PER_BLOCK].guid[k % IBVMIG_SA_GUIDS_PER_BLOCK];
		if (*g == vguid)
			return k;
		if (free_k < 0 && !*g)
			free_k = k;
	}
	if (free_k > 0)
		b->table[free_k / IBVMIG_SA_GUIDS_PER_BLOCK]
		    .guid[free_k % IBVMIG_SA_GUIDS_PER_BLOCK] = vguid;
	return free_k;
}

static void batch_plan(struct batch *b)
{
	unsigned i;
	int k;

	for (i = 0; i < b->n; i++) {
		k = plan_index(b, b->job[i]->alias.vguid);
		b->index[i] = k;
		if (k < 0)
			continue;
		b->want[k / IBVMIG_SA_GUIDS_PER_BLOCK].block = (uint8_t)(k / IBVMIG_SA_GUIDS_PER_BLOCK);
		b->want[k / IBVMIG_SA_GUIDS_PER_BLOCK].guid[k % IBVMIG_SA_GUIDS_PER_BLOCK] =
		    b->job[i]->alias.vguid;
		b->entries[k / IBVMIG_SA_GUIDS_PER_BLOCK] |=
		    (uint8_t)(1u << k % IBVMIG_SA_GUIDS_PER_BLOCK);
	}
}

/* Replies to batched job @i: attached at its planned index (@rc 0) or not (@rc). */
static void attach_done(struct sa_ctx *c, const struct batch *b, unsigned i, int rc,
			uint64_t set_us)
{
	struct agent_item *ev = reply_for(b->job[i]);

	if (!ev)
		return;
	ev->reply.alias = b->job[i]->alias;
	ev->reply.set_us = set_us;
	attach_answer(c, &b->job[i]->alias, b->index[i], rc, &ev->reply);
	reply_send(c, ev);
}

/* One Set for the planned entries of block @blk; each of its jobs answered. */
static void batch_set_block(struct sa_ctx *c, const struct batch *b, unsigned blk)
{
	struct ibvmig_sa_guid_block got;
	uint64_t set_us = util_wall_us(), vguid;
	unsigned i;
	int rc;

	rc = ibvmig_sa_alias_set_block(c->sa, &b->want[blk], b->entries[blk], &got);
	util_log(UTIL_LOG_VERBOSE, "GUID block %u: %d vGUIDs with one Set: %s", blk,
		 __builtin_popcount(b->entries[blk]), rc ? ibvmig_sa_strerror(rc) : "answered");
	for (i = 0; i < b->n; i++) {
		if (b->index[i] < 0 || (unsigned)b->index[i] / IBVMIG_SA_GUIDS_PER_BLOCK != blk)
			continue;
		vguid = b->job[i]->alias.vguid;
		if (!rc && got.guid[b->index[i] % IBVMIG_SA_GUIDS_PER_BLOCK] != vguid) {
			run_job(c, b->job[i]);	/* refused in the block: alone, to say why */
			continue;
		}
		agent_tell_alias(c->a, IBVMIG_TELL_SET, vguid, b->index[i], rc);
		attach_done(c, b, i, rc, set_us);
	}
}

/* Takes the batchable jobs at the head of @list, runs them; returns the rest. */
static struct agent_item *attach_batch(struct sa_ctx *c, struct agent_item *list)
{
	struct batch b;
	unsigned i;
	int rc;

	memset(&b, 0, sizeof(b));
	for (; batchable(list) && b.n < BATCH_MAX; list = list->next)
		b.job[b.n++] = list;
	refresh_port(c);
	rc = ibvmig_sa_guid_table(c->sa, b.table, TABLE_BLOCKS, &b.blocks);
	if (!rc) {
		batch_plan(&b);
		for (i = 0; i < b.blocks; i++)
			if (b.entries[i])
				batch_set_block(c, &b, i);
	}
	/*
	 * Unread, the table says why for every job, as a lone attach's scan would: running
	 * each alone would wait out the same silent SA once per job.
	 */
	for (i = 0; i < b.n; i++) {
		if (rc || b.index[i] < 0)
			attach_done(c, &b, i, rc ? rc : -ENOSPC, 0);
		free(b.job[i]);
	}
	return list;
}

/* Runs up to JOBS_PER_SLICE queued jobs (a batch counts as one); the rest go back. */
static bool run_jobs(struct sa_ctx *c)
{
	struct agent_item *list = agent_queue_take(&c->a->jobs), *job, *rest;
	unsigned n;

	for (n = 0; list && n < JOBS_PER_SLICE; n++) {
		if (batchable(list) && batchable(list->next)) {
			list = attach_batch(c, list);
			continue;
		}
		job = list;
		list = list->next;
		run_job(c, job);
		free(job);
	}
	if (!list)
		return false;
	/* Put the rest back in front of whatever came meanwhile. */
	pthread_mutex_lock(&c->a->jobs.lock);
	for (rest = list; rest->next; rest = rest->next)
		;
	rest->next = c->a->jobs.head;
	if (!c->a->jobs.head)
		c->a->jobs.tail = rest;
	c->a->jobs.head = list;
	pthread_mutex_unlock(&c->a->jobs.lock);
	return true;
}

/* ---- Reports ----------------------------------------------------------------------------- */

/* True when a line may be logged now; *@held is how many were held back before it. */
static bool log_now(struct rate_log *rl, unsigned *held)
{
	int64_t now = (int64_t)util_mono_ms();

	if (now < rl->next_ms) {
		rl->held++;
		return false;
	}
	rl->next_ms = now + LOG_GAP_MS;
	*held = rl->held;
	rl->held = 0;
	return true;
}

/* Counted, and logged at most once a second per kind with what was held back. */
static void refused(struct sa_ctx *c, const struct ibvmig_sa_report *r, enum trust_verdict v,
		    uint64_t prefix, uint64_t guid)
{
	unsigned held;

	if (v == TRUST_BAD_SOURCE) {
		c->st.rejected_source++;
		if (log_now(&c->log_source, &held))
			util_log(UTIL_LOG_ERROR,
				 "ERR E911: a Report from LID %u refused: only the master SM (LID "
				 "%u) sends them (trap %d about vGUID 0x%016" PRIx64 ", new LID %u; "
				 "%u more refused since the last line)", r->slid, c->trust.sm_lid,
				 r->path_rc, r->path.vguid, r->path.new_lid, held);
		return;
	}
	c->st.rejected_issuer++;
	if (log_now(&c->log_issuer, &held))
		util_log(UTIL_LOG_ERROR,
			 "ERR E912: a notice issued by 0x%016" PRIx64 ":0x%016" PRIx64 " refused: "
			 "neither the master SM's port nor a trusted issuer (trap %d about vGUID "
			 "0x%016" PRIx64 ", new LID %u, IssuerLID %u; %u more refused since the "
			 "last line)", prefix, guid, r->path_rc, r->path.vguid, r->path.new_lid,
			 r->notice.issuer_lid, held);
}

/*
 * The trust rule (agent_trust.h).  A Report from another LID than the
 * master's may be the master's after a handover the last check did not see
 * yet: the port is asked again, at most once a second whatever a forger
 * sends.
 */
static bool believe(struct sa_ctx *c, const struct ibvmig_sa_report *r, int *issuer)
{
	int64_t now = (int64_t)util_mono_ms();
	enum trust_verdict v;
	uint64_t prefix, guid;

	ibvmig_notice_get_issuer(&r->notice, &prefix, &guid);
	v = trust_check(&c->trust, r->slid, prefix, guid, issuer);
	if (v == TRUST_BAD_SOURCE && now >= c->next_learn_ms) {
		learn_again(c, now);
		v = trust_check(&c->trust, r->slid, prefix, guid, issuer);
	}
	if (v == TRUST_OK)
		return true;
	refused(c, r, v, prefix, guid);
	return false;
}

/* What a believed notice's number says: lost notices, or another epoch. */
static void check_number(struct sa_ctx *c, int issuer, const struct ibvmig_path_notice *n)
{
	struct trust_gap gap = trust_number(&c->trust, issuer, n->epoch, n->number);
	char why[96];

	if (gap.missed) {
		c->st.notices_lost += gap.missed;
		snprintf(why, sizeof(why), "%" PRIu32 " notices lost before number %" PRIu32
			 " of epoch 0x%08" PRIx32, gap.missed, n->number, n->epoch);
		util_log(UTIL_LOG_INFO, "%s: re-validating", why);
		revalidate(c, why);
	} else if (gap.new_epoch) {
		/* The last notices of the old epoch may be lost: no number shows them. */
		sm_changed(c);
		revalidate(c, "a new epoch");
	}
}

static void on_report(const struct ibvmig_sa_report *r, void *arg)
{
	struct sa_ctx *c = arg;
	struct agent_item *ev;
	int issuer;

	c->st.reports++;
	if (r->path_rc != IBVMIG_TRAP_UNPATH && r->path_rc != IBVMIG_TRAP_REPATH) {
		c->st.bad_reports++;
		util_log(UTIL_LOG_VERBOSE,
			 "ERR E905: a Report that is no RePath/UnPath (trap %d): %s", r->trap,
			 r->path_rc == -ENOMSG ? "not ours" : ibvmig_sa_strerror(r->path_rc));
		return;
	}
	/* Before anything else: a forged stamp or number must move nothing. */
	if (!believe(c, r, &issuer))
		return;
	check_number(c, issuer, &r->path);
	stamp_note(c, &r->path);
	ev = agent_item_new(AGENT_EV_NOTICE);
	if (!ev)
		return;
	ev->notice.trap = (uint16_t)r->path_rc;
	ev->notice.notice = r->path;
	ev->notice.received = r->received;
	agent_queue_push(&c->a->events, ev);
}

/* ---- the thread -------------------------------------------------------------------------- */

static void publish(struct sa_ctx *c)
{
	c->st.subscribed = c->subscribed;
	c->st.port = *ibvmig_sa_port(c->sa);
	pthread_mutex_lock(&c->a->status_lock);
	c->a->sa_status = c->st;
	pthread_mutex_unlock(&c->a->status_lock);
}

void agent_sa_status_get(struct agent *a, struct agent_sa_status *out)
{
	pthread_mutex_lock(&a->status_lock);
	*out = a->sa_status;
	pthread_mutex_unlock(&a->status_lock);
}

static void sa_step(struct sa_ctx *c)
{
	struct timespec pause = { 0, 100 * 1000000L };
	int64_t now = (int64_t)util_mono_ms();
	bool more;
	int rc;

	if (!c->subscribed && now >= c->next_try_ms)
		subscribe_round(c, now);
	else if (c->subscribed && c->a->opts.check_ms > 0 && now >= c->next_check_ms)
		check_sm(c, now);
	else if (c->learn_soon && now >= c->next_learn_ms)
		learn_again(c, now);
	/* The last notice's loss shows in no later number: the period bounds it. */
	if (c->subscribed && c->a->opts.revalidate_ms > 0 && now >= c->next_round_ms)
		revalidate(c, "periodic");
	more = run_jobs(c);
	agent_tell_step(c->a, c->sa);
	/* Jobs cannot wake this thread (agent.h): the slice bounds their wait. */
	rc = ibvmig_sa_process(c->sa, more ? 0 : c->a->opts.slice_ms, on_report, c);
	if (rc < 0 && rc != -EINTR) {
		util_log(UTIL_LOG_ERROR, "ERR E906: reading the port failed: %s",
			 ibvmig_sa_strerror(rc));
		nanosleep(&pause, NULL);	/* do not spin on a broken port */
	}
	publish(c);
}

void *agent_sa_thread(void *arg)
{
	struct agent *a = arg;
	struct sa_ctx *c = calloc(1, sizeof(*c));
	unsigned i;

	if (!c || !(c->stamps = calloc(STAMP_SLOTS, sizeof(*c->stamps)))) {
		util_log(UTIL_LOG_ERROR, "ERR E907: out of memory: the SA thread cannot run");
		free(c);
		agent_stop(a);
		return NULL;
	}
	c->a = a;
	c->sa = a->sa;
	c->backoff_ms = a->opts.backoff_min_ms;
	c->seed = (unsigned)(int64_t)util_mono_ms() ^ (unsigned)ibvmig_sa_port(c->sa)->port_guid;
	c->want_per_vm = 0;
	for (i = 0; i < a->opts.n_trust_issuers; i++) {
		trust_add_issuer(&c->trust, a->opts.trust_issuers[i]);
		util_log(UTIL_LOG_INFO, "notices issued by port 0x%016" PRIx64 " are believed too",
			 a->opts.trust_issuers[i]);
	}
	c->next_round_ms = (int64_t)util_mono_ms() + a->opts.revalidate_ms;
	agent_tell_start(a, c->sa);
	while (!atomic_load(&a->stop))
		sa_step(c);
	agent_tell_stop(a);
	/* Subscriptions outlive their client in OpenSM: the close drops ours, the canary too. */
	ibvmig_sa_close(c->sa);
	a->sa = NULL;
	util_log(UTIL_LOG_VERBOSE, "unsubscribed; the SA thread ends");
	free(c->stamps);
	free(c);
	return NULL;
}

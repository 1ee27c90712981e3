// SPDX-License-Identifier: BSD-2-Clause
/*
 * A randomized model check of the LID escrow: every request, move report,
 * expiry pass, clock jump and restart from the journal is also run against
 * a trivially correct reference (arrays and linear scans, the rules of
 * doc/escrow-protocol.md written out), and every answer, every queued side
 * effect and every reserved LID must agree.  The test plays the SM too: it
 * applies the side effects to its own table of which port holds which LID
 * and which keys, which the escrow's facts and its lid_holder callback read.
 *
 * ESC_SEED picks the run, ESC_MODEL_STEPS its length (default 200,000).
 */
#include "esc_fixture.h"
#include "lid_escrow.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M_PORTS 12
#define M_LIDS 64		/* the fabric's LIDs: 1..M_LIDS */
#define M_KEYS 4		/* memberships a port holds, besides the default */
#define M_ESC 64		/* escrows remembered at once (capacity + tombs, and slack) */
#define M_TOKENS 64		/* tokens handed out, kept to try again */
#define M_RT 16
#define M_HISTORY 8
#define M_CAPACITY 6
#define M_TOMBS 5
#define M_TTL 1000
#define M_TOMB_MS 3000
#define M_FAIL_LIMIT 4
#define M_FAIL_WINDOW 500
#define M_RETRANS_MS 200
#define VSW_A 0xA000
#define VSW_B 0xB000

/* ---- the SM, as the test plays it ------------------------------------------------------- */

struct m_port {
	uint64_t guid;
	uint64_t vswitch;
	uint8_t mtu;
	uint8_t rate;
	bool aliases;
	uint16_t lid;
	int nkeys;
	struct esc_key keys[M_KEYS + 1];	/* [0] the default, from a group rule */
};

/* ---- the reference ------------------------------------------------------------------------ */

struct m_esc {
	struct esc_view v;
	uint8_t token[ESC_TOKEN_LEN];
	uint64_t done_order;		/* when it finished: the oldest is forgotten first */
};

struct m_rt {
	bool valid;
	int op;
	struct esc_request req;
	struct esc_key keys[M_KEYS + 1];	/* history: the facts as they were sent */
	uint64_t at;
	struct esc_answer ans;
};

struct m_rl {
	uint64_t start;
	uint32_t fails;
	bool valid;
};

struct model {
	struct fx f;
	uint64_t rng;
	uint64_t now;
	struct m_port ports[M_PORTS];
	uint64_t intruder[M_LIDS + 1];	/* a LID the SM wrongly thinks some port holds */
	struct m_esc esc[M_ESC];
	int nesc;
	uint64_t next_id;
	uint64_t done_seq;
	uint8_t tokens[M_TOKENS][ESC_TOKEN_LEN];
	int ntokens;
	struct m_rt rt[M_RT];
	int rt_next;
	struct m_rl rl[M_PORTS];
	struct m_rt history[M_HISTORY];	/* requests to send again */
	int nhistory;
	uint64_t tid[M_PORTS];
	uint64_t pending[M_ESC];	/* moves applied, not yet reported live */
	int npending;
	/* actions the reference expects the next drain to find: (type, id) */
	struct { int type; uint64_t id; } expect[M_ESC * 3];
	int nexpect;
	unsigned long steps, ok, refused, restarts, retransmits, moves, expiries;
	unsigned long hist[4][ESC_STATUS_MAX + 1];	/* answers by operation and status */
};

static uint64_t m_rand(struct model *m)
{
	uint64_t z = (m->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned m_pick(struct model *m, unsigned n)
{
	return (unsigned)(m_rand(m) % n);
}

static int port_index(const struct model *m, uint64_t guid)
{
	int i;

	for (i = 0; i < M_PORTS; i++)
		if (m->ports[i].guid == guid)
			return i;
	return -1;
}

static uint64_t m_pf_of(uint64_t vswitch)
{
	return vswitch == VSW_A ? 0x10A : vswitch == VSW_B ? 0x10B : 0;
}

static uint64_t sm_holder(void *ctx, uint16_t lid)
{
	struct model *m = ctx;
	int i;

	if (lid <= M_LIDS && m->intruder[lid])
		return m->intruder[lid];
	for (i = 0; i < M_PORTS; i++)
		if (m->ports[i].lid == lid)
			return m->ports[i].guid;
	return 0;
}

static void m_init_ports(struct model *m)
{
	static const uint8_t mtus[] = { 4, 5 }, rates[] = { 3, 4, 5, 7, 12, 16 };
	int i, k;

	for (i = 0; i < M_PORTS; i++) {
		struct m_port *p = &m->ports[i];

		/* 0-3 behind vSwitch A, 4-7 behind B, 8-9 HCA ports, 10-11 the two PFs. */
		p->guid = i < 10 ? 0x100 + (uint64_t)i : (i == 10 ? 0x10A : 0x10B);
		p->vswitch = i < 4 ? VSW_A : i < 8 ? VSW_B : 0;
		p->mtu = mtus[m_pick(m, 2)];
		p->rate = rates[m_pick(m, 6)];
		p->lid = (uint16_t)(i + 1);
		p->keys[0] = (struct esc_key){ .pkey = 0xFFFF, .source = ESC_KEY_GROUP };
		p->nkeys = 1;
		for (k = 0; k < (int)m_pick(m, 3); k++) {
			uint16_t pk = (uint16_t)(0x10 + 4 * i + k) | (m_pick(m, 2) ? 0x8000 : 0);

			p->keys[p->nkeys++] = (struct esc_key){ .pkey = pk };
		}
	}
}

/* Memberships change in the partition file now and then: a key, or a group rule. */
static void m_churn_keys(struct model *m, struct m_port *p)
{
	uint16_t pk = (uint16_t)(0x200 + m_pick(m, 8));
	int k;

	if (p->nkeys > 1 && m_pick(m, 2)) {
		k = 1 + (int)m_pick(m, (unsigned)p->nkeys - 1);	/* a membership removed */
		p->keys[k] = p->keys[--p->nkeys];
		return;
	}
	for (k = 1; k < p->nkeys; k++)
		if ((p->keys[k].pkey & 0x7FFF) == pk)
			return;
	if (p->nkeys == M_KEYS + 1)
		return;
	p->keys[p->nkeys++] = (struct esc_key){
		.pkey = pk | (m_pick(m, 2) ? 0x8000 : 0),
		.source = m_pick(m, 4) ? ESC_KEY_EXPLICIT : ESC_KEY_GROUP,
	};
}

/* ---- the reference's rules ------------------------------------------------------------------ */

static bool m_active(const struct m_esc *x)
{
	return x->v.state == ESC_HELD || x->v.state == ESC_MOVING;
}

static bool m_finished(const struct m_esc *x)
{
	return !m_active(x);
}

static int m_count(const struct model *m, bool (*pred)(const struct m_esc *))
{
	int i, n = 0;

	for (i = 0; i < m->nesc; i++)
		n += pred(&m->esc[i]);
	return n;
}

static void m_forget(struct model *m, int i)
{
	m->esc[i] = m->esc[--m->nesc];
}

/* Keeps M_TOMBS finished escrows at most, the oldest out first. */
static void m_trim(struct model *m)
{
	while (m_count(m, m_finished) > M_TOMBS) {
		int i, oldest = -1;

		for (i = 0; i < m->nesc; i++)
			if (m_finished(&m->esc[i]) &&
			    (oldest < 0 || m->esc[i].done_order < m->esc[oldest].done_order))
				oldest = i;
		m_forget(m, oldest);
	}
}

static void m_gc(struct model *m)
{
	int i;

	for (i = 0; i < m->nesc; i++) {
		if (m_finished(&m->esc[i]) && m->esc[i].v.changed_ms + M_TOMB_MS <= m->now) {
			m_forget(m, i);
			i--;
		}
	}
}

static void m_expect(struct model *m, int type, uint64_t id)
{
	m->expect[m->nexpect].type = type;
	m->expect[m->nexpect].id = id;
	m->nexpect++;
}

/* An escrow becomes finished now. */
static void m_finish(struct model *m, struct m_esc *x, enum esc_state st)
{
	x->v.state = st;
	x->v.changed_ms = m->now;
	x->done_order = ++m->done_seq;
}

static void m_expire_one(struct model *m, int i)
{
	m_finish(m, &m->esc[i], ESC_EXPIRED);
	m_expect(m, ESC_ACT_FREE, m->esc[i].v.id);
	m->expiries++;
	m_trim(m);
}

/* Expires every held escrow due, in expiry order (ids break ties): how many. */
static int m_expire_due(struct model *m)
{
	int n = 0;

	for (;;) {
		int i, first = -1;

		for (i = 0; i < m->nesc; i++) {
			const struct esc_view *v = &m->esc[i].v;

			if (v->state != ESC_HELD || v->expires_ms > m->now)
				continue;
			if (first < 0 || v->expires_ms < m->esc[first].v.expires_ms ||
			    (v->expires_ms == m->esc[first].v.expires_ms &&
			     v->id < m->esc[first].v.id))
				first = i;
		}
		if (first < 0)
			return n;
		m_expire_one(m, first);
		n++;
	}
}

static int m_find_token(const struct model *m, const uint8_t *token)
{
	int i;

	for (i = 0; i < m->nesc; i++)
		if (!memcmp(m->esc[i].token, token, ESC_TOKEN_LEN))
			return i;
	return -1;
}

static int m_find_id(const struct model *m, uint64_t id)
{
	int i;

	for (i = 0; i < m->nesc; i++)
		if (m->esc[i].v.id == id)
			return i;
	return -1;
}

static bool m_port_busy(const struct model *m, uint64_t guid)
{
	int i;

	for (i = 0; i < m->nesc; i++) {
		const struct esc_view *v = &m->esc[i].v;

		if (!m_active(&m->esc[i]))
			continue;
		if (v->source == guid || (v->state == ESC_MOVING && !v->to_source &&
					  v->claimant == guid))
			return true;
	}
	return false;
}

static bool m_lid_reserved(const struct model *m, uint16_t lid)
{
	int i;

	for (i = 0; i < m->nesc; i++)
		if (m_active(&m->esc[i]) && m->esc[i].v.lid == lid)
			return true;
	return false;
}

static bool m_may_ask(uint64_t requester, const struct esc_port *p)
{
	return requester == p->guid || (p->vswitch && m_pf_of(p->vswitch) == requester);
}

static bool m_lid_free_for(struct model *m, uint16_t lid, uint64_t a, uint64_t b)
{
	uint64_t h = sm_holder(m, lid);

	return !h || h == a || h == b;
}

static struct m_rl *m_rl_of(struct model *m, uint64_t requester)
{
	return &m->rl[port_index(m, requester)];
}

static enum esc_status m_failed(struct model *m, uint64_t requester, enum esc_status st)
{
	struct m_rl *r = m_rl_of(m, requester);

	if (!r->valid) {
		r->valid = true;
		r->start = m->now;
		r->fails = 0;
	}
	if (m->now - r->start >= M_FAIL_WINDOW) {
		r->start = m->now;
		r->fails = 0;
	}
	r->fails++;
	return st;
}

static bool m_limited(struct model *m, uint64_t requester, struct esc_answer *ans)
{
	struct m_rl *r = m_rl_of(m, requester);

	if (!r->valid || m->now - r->start >= M_FAIL_WINDOW || r->fails < M_FAIL_LIMIT)
		return false;
	ans->retry_after_ms = r->start + M_FAIL_WINDOW - m->now;
	return true;
}

/* ---- the reference's judgement of each request ----------------------------------------------- */

enum { OP_RELEASE, OP_CLAIM, OP_CANCEL, OP_QUERY };

static enum esc_status m_release(struct model *m, const struct esc_request *r,
				 struct esc_answer *ans, struct m_esc *made)
{
	const struct esc_port *p = &r->port;
	struct esc_view v;
	size_t k;

	if (!m_may_ask(r->requester, p))
		return ESC_E_WRONG_REQUESTER;
	if (p->has_aliases)
		return ESC_E_PORT_HAS_ALIASES;
	if (m_port_busy(m, p->guid))
		return ESC_E_PORT_IN_ESCROW;
	if (m_lid_reserved(m, p->lid) || !m_lid_free_for(m, p->lid, p->guid, 0))
		return ESC_E_LID_BUSY;
	memset(&v, 0, sizeof(v));
	for (k = 0; k < p->nkeys; k++)
		if ((p->keys[k].pkey & 0x7FFF) != 0x7FFF && p->keys[k].source == ESC_KEY_GROUP)
			return ESC_E_GROUP_RULE_KEY;
	for (k = 0; k < p->nkeys; k++)
		if ((p->keys[k].pkey & 0x7FFF) != 0x7FFF)
			v.keys[v.nkeys++] = p->keys[k].pkey;
	if (m_count(m, m_active) >= M_CAPACITY)
		return ESC_E_CAPACITY;
	v.id = m->next_id;
	v.state = ESC_HELD;
	v.lid = p->lid;
	v.mtu = p->mtu;
	v.rate = p->rate;
	v.source = p->guid;
	v.dest = r->dest;
	v.created_ms = v.changed_ms = m->now;
	v.expires_ms = m->now + M_TTL;
	made->v = v;
	ans->view = v;
	return ESC_OK;
}

/* The token checks of CLAIM, CANCEL, QUERY: the escrow's index, or -1 and *@st. */
static int m_token_checks(struct model *m, const struct esc_request *r, struct esc_answer *ans,
			  enum esc_status *st)
{
	int i;

	*st = ESC_OK;
	if (m_limited(m, r->requester, ans)) {
		*st = ESC_E_RATE_LIMITED;
		return -1;
	}
	if (!m_may_ask(r->requester, &r->port)) {
		*st = m_failed(m, r->requester, ESC_E_WRONG_REQUESTER);
		return -1;
	}
	i = m_find_token(m, r->token);
	if (i < 0)
		*st = m_failed(m, r->requester, ESC_E_UNKNOWN_TOKEN);
	return i;
}

static enum esc_status m_usable(struct model *m, int i)
{
	const struct esc_view *v = &m->esc[i].v;

	if (v->state == ESC_HELD && m->now >= v->expires_ms) {
		m_expire_one(m, i);
		return ESC_E_EXPIRED_TOKEN;
	}
	if (v->state == ESC_HELD)
		return ESC_OK;
	return v->state == ESC_EXPIRED ? ESC_E_EXPIRED_TOKEN : ESC_E_USED_TOKEN;
}

static enum esc_status m_move(struct model *m, int op, const struct esc_request *r,
			      struct esc_answer *ans)
{
	const struct esc_port *q = &r->port;
	enum esc_status st;
	struct esc_view *v;
	uint64_t id;
	int i;

	i = m_token_checks(m, r, ans, &st);
	if (i < 0)
		return st;
	id = m->esc[i].v.id;
	st = m_usable(m, i);
	if (st)
		return m_failed(m, r->requester, st);
	i = m_find_id(m, id);
	v = &m->esc[i].v;
	if (op == OP_CLAIM) {
		if (v->dest && v->dest != q->guid)
			return m_failed(m, r->requester, ESC_E_WRONG_REQUESTER);
		if (q->has_aliases)
			return ESC_E_PORT_HAS_ALIASES;
		if (m_port_busy(m, q->guid))
			return ESC_E_PORT_IN_ESCROW;
		if (q->mtu < v->mtu || esc_rate_mbps(q->rate) < esc_rate_mbps(v->rate))
			return ESC_E_PATH_DIFFERS;
		if (!m_lid_free_for(m, v->lid, v->source, q->guid))
			return ESC_E_LID_BUSY;
	} else {
		if (v->source != q->guid)
			return m_failed(m, r->requester, ESC_E_WRONG_REQUESTER);
		if (q->has_aliases)
			return ESC_E_PORT_HAS_ALIASES;
		if (!m_lid_free_for(m, v->lid, v->source, 0))
			return ESC_E_LID_BUSY;
	}
	v->state = ESC_MOVING;
	v->to_source = op == OP_CANCEL;
	v->claimant = q->guid;
	v->claimant_old_lid = q->lid;
	v->changed_ms = m->now;
	m_expect(m, ESC_ACT_MOVE, v->id);
	ans->view = *v;
	return ESC_OK;
}

static enum esc_status m_query(struct model *m, const struct esc_request *r,
			       struct esc_answer *ans)
{
	const struct esc_view *v;
	enum esc_status st;
	uint64_t n = r->port.guid, id;
	int i;

	i = m_token_checks(m, r, ans, &st);
	if (i < 0)
		return st;
	id = m->esc[i].v.id;
	m_usable(m, i);
	v = &m->esc[m_find_id(m, id)].v;
	if (n != v->source && (!v->dest || n != v->dest) && (!v->claimant || n != v->claimant))
		return m_failed(m, r->requester, ESC_E_WRONG_REQUESTER);
	ans->view = *v;
	return ESC_OK;
}

static bool m_same_request(const struct m_rt *c, int op, const struct esc_request *r)
{
	if (c->op != op || c->req.port.guid != r->port.guid)
		return false;
	if (op == OP_RELEASE)
		return c->req.dest == r->dest;
	return !memcmp(c->req.token, r->token, ESC_TOKEN_LEN);
}

/* 1: a retransmission (answer in @ans); 0: new; -1: a TID reused. */
static int m_rt_find(struct model *m, int op, const struct esc_request *r,
		     struct esc_answer *ans)
{
	int i;

	for (i = 0; i < M_RT; i++) {
		struct m_rt *c = &m->rt[i];

		if (!c->valid || c->req.requester != r->requester || c->req.tid != r->tid)
			continue;
		if (m->now - c->at >= M_RETRANS_MS) {
			c->valid = false;
			return 0;
		}
		if (!m_same_request(c, op, r))
			return -1;
		*ans = c->ans;
		ans->retransmit = true;
		return 1;
	}
	return 0;
}

static void m_rt_store(struct model *m, int op, const struct esc_request *r,
		       const struct esc_answer *ans)
{
	struct m_rt *c = &m->rt[m->rt_next];

	c->valid = true;
	c->op = op;
	c->req = *r;
	c->at = m->now;
	c->ans = *ans;
	m->rt_next = (m->rt_next + 1) % M_RT;
}

/* The reference's whole answer to one request; *@made the escrow a RELEASE made. */
static void m_answer(struct model *m, int op, const struct esc_request *r, struct esc_answer *ans,
		     struct m_esc *made, bool *made_one)
{
	enum esc_status st;
	uint64_t retry;
	int seen;

	memset(ans, 0, sizeof(*ans));
	*made_one = false;
	m_gc(m);
	seen = m_rt_find(m, op, r, ans);
	if (seen > 0)
		return;
	if (seen < 0)
		st = ESC_E_MALFORMED;
	else if (op == OP_RELEASE && r->dest == r->port.guid)
		st = ESC_E_MALFORMED;
	else if (!r->master)
		st = ESC_E_NOT_MASTER;
	else if (op == OP_RELEASE)
		st = m_release(m, r, ans, made);
	else if (op == OP_QUERY)
		st = m_query(m, r, ans);
	else
		st = m_move(m, op, r, ans);
	if (st == ESC_OK && op == OP_RELEASE)
		*made_one = true;
	if (st != ESC_OK) {
		retry = st == ESC_E_RATE_LIMITED ? ans->retry_after_ms : 0;
		memset(ans, 0, sizeof(*ans));
		ans->retry_after_ms = retry;
	}
	ans->status = st;
	if (!seen && !*made_one)
		m_rt_store(m, op, r, ans);
}

/* ---- comparing ------------------------------------------------------------------------------- */

static void m_fail(struct model *m, const char *what)
{
	fprintf(stderr, "model check: %s at step %lu (now %llu)\n", what, m->steps,
		(unsigned long long)m->now);
	CU_FAIL_FATAL("the escrow and its reference model disagree");
}

static void m_check_lids(struct model *m)
{
	uint16_t lid;

	for (lid = 1; lid <= M_LIDS; lid++)
		if (esc_lid_reserved(m->f.e, lid) != m_lid_reserved(m, lid))
			m_fail(m, "reserved LIDs differ");
}

static void m_check_all(struct model *m)
{
	struct esc_view *list;
	size_t n, i;
	int k;

	CU_ASSERT_EQUAL_FATAL(esc_list(m->f.e, &list, &n), 0);
	if ((int)n != m->nesc)
		m_fail(m, "escrow counts differ");
	for (i = 0; i < n; i++) {
		k = m_find_id(m, list[i].id);
		if (k < 0 || !fx_views_equal(&list[i], &m->esc[k].v))
			m_fail(m, "an escrow differs");
	}
	free(list);
	m_check_lids(m);
}

/* ---- the SM's side effects, as the test performs them ---------------------------------------- */

static uint16_t sm_fresh_lid(struct model *m)
{
	uint16_t lid;

	for (lid = 1; lid <= M_LIDS; lid++) {
		/* The allocator skips what the escrow reserves: that is its contract. */
		if (esc_lid_reserved(m->f.e, lid) || sm_holder(m, lid))
			continue;
		return lid;
	}
	m_fail(m, "the fabric ran out of LIDs");
	return 0;
}

static void sm_take_keys(struct m_port *p, const struct esc_action *a)
{
	int k, i;

	for (i = 0; i < a->nkeys; i++)
		for (k = 1; k < p->nkeys; k++)
			if ((p->keys[k].pkey & 0x7FFF) == (a->keys[i] & 0x7FFF))
				p->keys[k--] = p->keys[--p->nkeys];
}

static void sm_give_keys(struct m_port *p, const struct esc_action *a)
{
	int i;

	sm_take_keys(p, a);
	for (i = 0; i < a->nkeys && p->nkeys <= M_KEYS; i++)
		p->keys[p->nkeys++] = (struct esc_key){ .pkey = a->keys[i] };
}

static void sm_apply(struct model *m, const struct esc_action *a)
{
	int k = m_find_id(m, a->id), pi = port_index(m, a->port);
	const struct esc_view *v;

	/* An expiry pass may end more escrows than are remembered: their FREE stays. */
	if (k < 0 && a->type == ESC_ACT_FREE && !a->nkeys)
		return;
	if (k < 0 || pi < 0)
		m_fail(m, "an action for an escrow or port the model does not know");
	v = &m->esc[k].v;
	if (a->lid != v->lid || a->source != v->source)
		m_fail(m, "an action's LID or source differs");
	if (a->type == ESC_ACT_RESERVE) {
		if (a->port != v->source || a->nkeys != v->nkeys)
			m_fail(m, "a RESERVE differs");
		if (m->ports[pi].lid == a->lid)
			m->ports[pi].lid = sm_fresh_lid(m);
		sm_take_keys(&m->ports[pi], a);
	} else if (a->type == ESC_ACT_MOVE) {
		if (v->state != ESC_MOVING || a->to_source != v->to_source ||
		    a->port != (v->to_source ? v->source : v->claimant) || a->nkeys != v->nkeys)
			m_fail(m, "a MOVE differs");
		m->ports[pi].lid = a->lid;
		sm_give_keys(&m->ports[pi], a);
		m->pending[m->npending++] = a->id;
	} else if (a->type != ESC_ACT_FREE || v->state != ESC_EXPIRED || a->nkeys) {
		m_fail(m, "a FREE differs");
	}
}

static int cmp_expect(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* Drains the escrow's actions: the set must be the expected one; each is applied. */
static void m_drain(struct model *m)
{
	uint64_t got[M_ESC * 3][2], want[M_ESC * 3][2];
	struct esc_action a;
	int n = 0, i;

	while (esc_next_action(m->f.e, &a) == 0) {
		if (n == M_ESC * 3)
			m_fail(m, "too many actions");
		got[n][0] = (uint64_t)a.type;
		got[n][1] = a.id;
		n++;
		sm_apply(m, &a);
	}
	if (n != m->nexpect)
		m_fail(m, "the number of actions differs");
	for (i = 0; i < n; i++) {
		want[i][0] = (uint64_t)m->expect[i].type;
		want[i][1] = m->expect[i].id;
	}
	qsort(got, (size_t)n, sizeof(got[0]), cmp_expect);
	qsort(want, (size_t)n, sizeof(want[0]), cmp_expect);
	if (n && memcmp(got, want, (size_t)n * sizeof(got[0])))
		m_fail(m, "the actions differ");
	m->nexpect = 0;
}

/* ---- the steps ------------------------------------------------------------------------------- */

static struct esc_port m_facts(const struct m_port *p)
{
	struct esc_port f;

	memset(&f, 0, sizeof(f));
	f.guid = p->guid;
	f.vswitch = p->vswitch;
	f.has_aliases = p->aliases;
	f.lid = p->lid;
	f.mtu = p->mtu;
	f.rate = p->rate;
	f.keys = p->keys;
	f.nkeys = (size_t)p->nkeys;
	return f;
}

/* Mostly the port itself, sometimes its PF, sometimes anyone. */
static uint64_t m_requester(struct model *m, const struct m_port *p)
{
	unsigned r = m_pick(m, 10);

	if (r < 6 || (r < 9 && !p->vswitch))
		return p->guid;
	if (r < 9)
		return m_pf_of(p->vswitch);
	return m->ports[m_pick(m, M_PORTS)].guid;
}

/* A token to try: mostly a held escrow's, else another escrow's, an old one or a guess. */
static int m_token(struct model *m, uint8_t token[ESC_TOKEN_LEN])
{
	unsigned r = m_pick(m, 10);
	int i, k = -1, held = 0;

	for (i = 0; i < m->nesc; i++)
		held += m->esc[i].v.state == ESC_HELD;
	if (r < 6 && held) {
		held = (int)m_pick(m, (unsigned)held);
		for (i = 0; i < m->nesc && k < 0; i++)
			if (m->esc[i].v.state == ESC_HELD && !held--)
				k = i;
	} else if (r < 8 && m->nesc) {
		k = (int)m_pick(m, (unsigned)m->nesc);
	}
	if (k >= 0) {
		memcpy(token, m->esc[k].token, ESC_TOKEN_LEN);
		return k;
	}
	if (r < 9 && m->ntokens) {
		memcpy(token, m->tokens[m_pick(m, (unsigned)m->ntokens)], ESC_TOKEN_LEN);
		return -1;
	}
	for (i = 0; i < ESC_TOKEN_LEN; i++)
		token[i] = (uint8_t)m_rand(m);
	token[0] |= 1;
	return -1;
}

/* The port a request names: for a token, mostly the one the escrow expects. */
static struct m_port *m_port_for(struct model *m, int op, int k)
{
	const struct esc_view *v = k >= 0 ? &m->esc[k].v : NULL;
	uint64_t guid = 0;

	if (v && m_pick(m, 10) < 7) {
		if (op == OP_CANCEL)
			guid = v->source;
		else if (op == OP_CLAIM)
			guid = v->dest;
		else
			guid = m_pick(m, 2) && v->claimant ? v->claimant : v->source;
	}
	return guid ? &m->ports[port_index(m, guid)] : &m->ports[m_pick(m, M_PORTS)];
}

static struct esc_request m_new_request(struct model *m, int op)
{
	struct esc_request r;
	struct m_port *p;
	int k = -1;

	memset(&r, 0, sizeof(r));
	if (op != OP_RELEASE)
		k = m_token(m, r.token);
	p = op == OP_RELEASE ? &m->ports[m_pick(m, M_PORTS)] : m_port_for(m, op, k);
	r.port = m_facts(p);
	r.requester = m_requester(m, p);
	r.tid = ++m->tid[port_index(m, r.requester)];
	r.master = m_pick(m, 100) != 0;
	if (op == OP_RELEASE)
		r.dest = m_pick(m, 3) ? 0 : m->ports[m_pick(m, M_PORTS)].guid;
	if (m->nhistory && m_pick(m, 50) == 0) {
		/* A TID used already, for another request. */
		r.requester = m->history[0].req.requester;
		r.tid = m->history[0].req.tid;
	}
	return r;
}

static void m_remember(struct model *m, int op, const struct esc_request *r)
{
	memmove(m->history + 1, m->history, (M_HISTORY - 1) * sizeof(m->history[0]));
	m->history[0].op = op;
	m->history[0].req = *r;
	memcpy(m->history[0].keys, r->port.keys, r->port.nkeys * sizeof(r->port.keys[0]));
	if (m->nhistory < M_HISTORY)
		m->nhistory++;
}

static void m_request(struct model *m, int op, struct esc_request r)
{
	struct esc_answer want, got;
	struct m_esc made;
	bool made_one;

	r.now_ms = m->now;
	m_answer(m, op, &r, &want, &made, &made_one);
	switch (op) {
	case OP_RELEASE:
		esc_release(m->f.e, &r, &got);
		break;
	case OP_CLAIM:
		esc_claim(m->f.e, &r, &got);
		break;
	case OP_CANCEL:
		esc_cancel(m->f.e, &r, &got);
		break;
	default:
		esc_query(m->f.e, &r, &got);
	}
	if (got.status != want.status || got.retransmit != want.retransmit ||
	    got.retry_after_ms != want.retry_after_ms || !fx_views_equal(&got.view, &want.view)) {
		fprintf(stderr, "op %d: escrow says %s, the model %s\n", op,
			esc_strerror(got.status), esc_strerror(want.status));
		m_fail(m, "an answer differs");
	}
	if (want.retransmit && memcmp(got.token, want.token, ESC_TOKEN_LEN))
		m_fail(m, "a retransmission's token differs");
	if (made_one) {
		/* The escrow drew the token: the model keeps it, and the answer as sent. */
		made.done_order = 0;
		memcpy(made.token, got.token, ESC_TOKEN_LEN);
		if (m_find_token(m, got.token) >= 0)
			m_fail(m, "a token handed out twice");
		m->esc[m->nesc++] = made;
		m->next_id++;
		m_expect(m, ESC_ACT_RESERVE, made.v.id);
		memcpy(m->tokens[m->ntokens < M_TOKENS ? m->ntokens++ : (int)m_pick(m, M_TOKENS)],
		       got.token, ESC_TOKEN_LEN);
		m_rt_store(m, op, &r, &got);
	}
	m->retransmits += got.retransmit;
	m->hist[op][got.status]++;
	if (got.status == ESC_OK)
		m->ok++;
	else
		m->refused++;
	if (!got.retransmit)
		m_remember(m, op, &r);
}

static void m_move_live(struct model *m)
{
	uint64_t id;
	int k, want, i;

	if (!m->npending || !m_pick(m, 8)) {
		id = m_pick(m, (unsigned)m->next_id + 2);	/* any id at all */
	} else {
		i = (int)m_pick(m, (unsigned)m->npending);
		id = m->pending[i];
		m->pending[i] = m->pending[--m->npending];
	}
	m_gc(m);
	k = m_find_id(m, id);
	want = k >= 0 && m->esc[k].v.state == ESC_MOVING ? 0 : -ENOENT;
	if (esc_move_live(m->f.e, id, m->now) != want)
		m_fail(m, "esc_move_live differs");
	if (!want) {
		m_finish(m, &m->esc[k], m->esc[k].v.to_source ? ESC_CANCELLED : ESC_LIVE);
		m_trim(m);
		m->moves++;
	}
}

static void m_expire(struct model *m)
{
	int want;

	m_gc(m);
	want = m_expire_due(m);
	if (esc_expire(m->f.e, m->now) != want)
		m_fail(m, "esc_expire differs");
}

/* The SM restarts: the escrow comes back from its journal, and what was under way is redone. */
static void m_restart(struct model *m)
{
	int i;

	CU_ASSERT_EQUAL_FATAL(fx_reopen(&m->f, m->now), 0);
	memset(m->rt, 0, sizeof(m->rt));
	m->rt_next = 0;
	memset(m->rl, 0, sizeof(m->rl));
	m->nhistory = 0;
	m->npending = 0;
	m_gc(m);
	m_expire_due(m);
	for (i = 0; i < m->nesc; i++) {
		if (m->esc[i].v.state == ESC_HELD)
			m_expect(m, ESC_ACT_RESERVE, m->esc[i].v.id);
		else if (m->esc[i].v.state == ESC_MOVING)
			m_expect(m, ESC_ACT_MOVE, m->esc[i].v.id);
	}
	m->restarts++;
	m_check_all(m);
}

static void m_retransmit(struct model *m)
{
	struct esc_request r;
	struct m_rt *h;

	if (!m->nhistory)
		return;
	h = &m->history[m_pick(m, (unsigned)m->nhistory)];
	r = h->req;
	r.port.keys = h->keys;		/* the facts as first sent, not the port's now */
	m_request(m, h->op, r);
}

static void m_world(struct model *m)
{
	struct m_port *p = &m->ports[m_pick(m, M_PORTS)];
	uint16_t lid = (uint16_t)(1 + m_pick(m, M_LIDS));

	switch (m_pick(m, 4)) {
	case 0:
		/* A VM's vGUID comes and goes on its port; mostly there are none. */
		p->aliases = p->aliases ? false : m_pick(m, 3) == 0;
		break;
	case 1:
		m_churn_keys(m, p);
		break;
	case 2:
		m->intruder[lid] = m->intruder[lid] ? 0 : (m_pick(m, 3) ? 0 : p->guid);
		break;
	default:
		m->now += m_pick(m, 3 * M_TTL);		/* a long pause */
	}
}

static void m_step(struct model *m)
{
	unsigned r = m_pick(m, 1000);

	m->now += m_pick(m, 25);
	if (r < 250)
		m_request(m, OP_RELEASE, m_new_request(m, OP_RELEASE));
	else if (r < 500)
		m_request(m, OP_CLAIM, m_new_request(m, OP_CLAIM));
	else if (r < 600)
		m_request(m, OP_CANCEL, m_new_request(m, OP_CANCEL));
	else if (r < 750)
		m_request(m, OP_QUERY, m_new_request(m, OP_QUERY));
	else if (r < 870)
		m_move_live(m);
	else if (r < 910)
		m_expire(m);
	else if (r < 960)
		m_retransmit(m);
	else if (r < 993)
		m_world(m);
	else
		m_restart(m);
	m_drain(m);
	m_check_lids(m);
	m->steps++;
}

static unsigned long model_steps(void)
{
	const char *s = getenv("ESC_MODEL_STEPS");

	return s ? strtoul(s, NULL, 0) : 200000;
}

static uint64_t model_seed(void)
{
	const char *s = getenv("ESC_SEED");

	return s ? strtoull(s, NULL, 0) : 0x1e5c40ULL;
}

static void run_model(bool compact, uint64_t seed)
{
	struct esc_config c;
	struct model *m = calloc(1, sizeof(*m));
	unsigned long n = model_steps(), i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->rng = seed;
	m->next_id = 1;
	m->now = 1;
	m_init_ports(m);
	memset(&c, 0, sizeof(c));
	c.capacity = M_CAPACITY;
	c.tomb_capacity = M_TOMBS;
	c.ttl_ms = M_TTL;
	c.tomb_ms = M_TOMB_MS;
	c.fail_limit = M_FAIL_LIMIT;
	c.fail_window_ms = M_FAIL_WINDOW;
	c.retrans_capacity = M_RT;
	c.retrans_ms = M_RETRANS_MS;
	c.vswitches = (const struct esc_vswitch[]){ { VSW_A, 0x10A }, { VSW_B, 0x10B } };
	c.nvswitches = 2;
	c.lid_holder = sm_holder;
	c.lid_holder_ctx = m;
	c.compact = compact;
	fx_setup(&m->f, &c);
	if (compact) {
		m->f.compact_factor = 2;
		CU_ASSERT_EQUAL_FATAL(fx_reopen(&m->f, m->now), 0);
	}
	for (i = 0; i < n; i++)
		m_step(m);
	m_check_all(m);
	{
		unsigned k, op;

		for (op = 0; op < 4; op++) {
			printf("\n  op %u:", op);
			for (k = 0; k <= ESC_STATUS_MAX; k++)
				if (m->hist[op][k])
					printf(" %s %lu,", esc_strerror(k), m->hist[op][k]);
		}
	}
	printf("\n  %lu steps: %lu ok, %lu refused, %lu retransmissions, %lu moves, %lu expiries, "
	       "%lu restarts\n", m->steps, m->ok, m->refused, m->retransmits, m->moves,
	       m->expiries, m->restarts);
	fx_teardown(&m->f);
	free(m);
}

static void test_model_with_compaction(void)
{
	run_model(true, model_seed());
}

static void test_model_log_only(void)
{
	run_model(false, model_seed() ^ 0x9e3779b97f4a7c15ULL);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_model_with_compaction),
		UNIT_TEST(test_model_log_only),
	};

	printf("escrow model seed 0x%llx, %lu steps (set ESC_SEED, ESC_MODEL_STEPS to replay)\n",
	       (unsigned long long)model_seed(), model_steps());
	return unit_run("escrow_model", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

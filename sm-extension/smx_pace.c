// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_pace.c - the poll's budget: a token bucket of SA requests per second,
 * spent in batches.
 *
 * OpenSM's cost per GUIDInfoRecord Get grows with the fabric (it walks every
 * node, checking P_Keys, for each: osm_sa_guidinfo_record.c), so a poll of
 * every port costs it about N^2; the budget caps the requests per second
 * whatever N is, and a bigger fabric only makes a poll cycle longer.  And
 * OpenSM's CPU per Get falls with the rate it sees them at - its threads wake
 * once for a run of requests - so the same budget is spent in batches of
 * back-to-back requests: at 2000 hosts, 40 Gets/s cost it 6.1 % of one core
 * one at a time, 3.6 % in batches of 8 and 3.1 % in batches of 40
 * (doc/benchmarks.md, "The SM extension").
 * Pure: no I/O, no lock; the caller serialises.  Log codes: none.
 */
#include "smx.h"

#include <math.h>

/* Refills add fractions: a millionth of a token less than @n is @n. */
#define EPSILON 1e-6

void smx_pace_init(struct smx_pace *p, unsigned rate, unsigned batch, uint64_t now_ns)
{
	p->rate = rate ? rate : 1;
	p->batch = batch ? batch : 1;
	p->left = 0;
	p->tokens = p->batch;
	p->last_ns = now_ns;
	p->taken = 0;
}

static void refill(struct smx_pace *p, uint64_t now_ns)
{
	if (now_ns <= p->last_ns)
		return;	/* a clock that went back adds nothing */
	p->tokens += (double)(now_ns - p->last_ns) * p->rate / 1e9;
	if (p->tokens > p->batch)
		p->tokens = p->batch;	/* an idle hour saves one batch, no more */
	p->last_ns = now_ns;
}

void smx_pace_charge(struct smx_pace *p, unsigned n, uint64_t now_ns)
{
	refill(p, now_ns);
	p->tokens -= n;
	p->taken += n;
}

bool smx_pace_take(struct smx_pace *p, uint64_t now_ns)
{
	refill(p, now_ns);
	if (!p->left) {
		if (p->tokens < p->batch - EPSILON)
			return false;
		p->left = p->batch;
	}
	p->left--;
	smx_pace_charge(p, 1, now_ns);
	return true;
}

int smx_pace_wait_ms(struct smx_pace *p, uint64_t now_ns)
{
	double ms;

	refill(p, now_ns);
	if (p->left || p->tokens >= p->batch - EPSILON)
		return 0;
	ms = ceil((p->batch - p->tokens) * 1000.0 / p->rate);
	return ms > 60000 ? 60000 : (int)ms;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * smx_pace.c - the poll's budget: a token bucket of SA requests per second.
 * OpenSM's cost per GUIDInfoRecord Get grows with the fabric (it walks its
 * port table for each), so a poll of every port costs it about N^2: the
 * budget caps what the extension asks of it per second whatever N is, and a
 * bigger fabric only makes a cycle longer (ibvmig-smx(8), "The poll").
 * Pure: no I/O, no lock; the caller serialises.  Log codes: none.
 */
#include "smx.h"

#include <math.h>

/* Refills add fractions: a millionth of a token less than one is one. */
#define ONE (1.0 - 1e-6)

void smx_pace_init(struct smx_pace *p, unsigned rate, unsigned burst, uint64_t now_ns)
{
	p->rate = rate ? rate : 1;
	p->burst = burst ? burst : 1;
	p->tokens = p->burst;
	p->last_ns = now_ns;
	p->taken = 0;
}

static void refill(struct smx_pace *p, uint64_t now_ns)
{
	if (now_ns <= p->last_ns)
		return;	/* a clock that went back adds nothing */
	p->tokens += (double)(now_ns - p->last_ns) * p->rate / 1e9;
	if (p->tokens > p->burst)
		p->tokens = p->burst;
	p->last_ns = now_ns;
}

bool smx_pace_ready(struct smx_pace *p, uint64_t now_ns)
{
	refill(p, now_ns);
	return p->tokens >= ONE;
}

void smx_pace_charge(struct smx_pace *p, unsigned n, uint64_t now_ns)
{
	refill(p, now_ns);
	p->tokens -= n;
	p->taken += n;
}

bool smx_pace_take(struct smx_pace *p, uint64_t now_ns)
{
	if (!smx_pace_ready(p, now_ns))
		return false;
	smx_pace_charge(p, 1, now_ns);
	return true;
}

int smx_pace_wait_ms(struct smx_pace *p, uint64_t now_ns)
{
	double ms;

	refill(p, now_ns);
	if (p->tokens >= ONE)
		return 0;
	ms = ceil((1.0 - p->tokens) * 1000.0 / p->rate);
	return ms > 60000 ? 60000 : (int)ms;
}

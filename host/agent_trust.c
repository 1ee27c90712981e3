// SPDX-License-Identifier: BSD-2-Clause
/*
 * agent_trust.c - which Reports ibvmigd believes and what their notice
 * numbers say (agent_trust.h).
 */
#include "agent_trust.h"

#include <errno.h>

int trust_add_issuer(struct trust *t, uint64_t guid)
{
	unsigned i;

	if (!guid)
		return -EINVAL;
	for (i = 0; i < t->n_issuers; i++)
		if (t->issuers[i] == guid)
			return -EEXIST;
	if (t->n_issuers == TRUST_ISSUERS_MAX)
		return -ENOSPC;
	t->issuers[t->n_issuers] = guid;
	t->numbers[++t->n_issuers] = (struct trust_numbers){ 0 };
	return 0;
}

void trust_set_sm(struct trust *t, uint16_t sm_lid, uint64_t prefix, uint64_t sm_guid)
{
	if (sm_guid != t->sm_guid)
		t->numbers[0] = (struct trust_numbers){ 0 };
	t->sm_lid = sm_lid;
	t->prefix = prefix;
	t->sm_guid = sm_guid;
}

/* The index of the trusted issuer @prefix:@guid, or -1. */
static int issuer_index(const struct trust *t, uint64_t prefix, uint64_t guid)
{
	unsigned i;

	if (prefix != t->prefix || !guid)
		return -1;
	if (guid == t->sm_guid)
		return 0;
	for (i = 0; i < t->n_issuers; i++)
		if (t->issuers[i] == guid)
			return (int)i + 1;
	return -1;
}

enum trust_verdict trust_check(const struct trust *t, uint16_t slid, uint64_t prefix,
			       uint64_t guid, int *issuer)
{
	*issuer = -1;
	if (!t->sm_lid || !t->sm_guid || slid != t->sm_lid)
		return TRUST_BAD_SOURCE;
	*issuer = issuer_index(t, prefix, guid);
	return *issuer < 0 ? TRUST_BAD_ISSUER : TRUST_OK;
}

/*
 * How far @got lies ahead of @held on the ring of non-zero numbers (after
 * 0xFFFFFFFF comes 1): 0 when it does not lie ahead (equal, or behind by up
 * to half the ring: a late Report).
 */
static uint32_t ahead_of(uint32_t held, uint32_t got)
{
	uint64_t ring = UINT32_MAX, ahead = ((uint64_t)got + ring - held) % ring;

	return ahead > (1u << 31) ? 0 : (uint32_t)ahead;
}

struct trust_gap trust_number(struct trust *t, int issuer, uint32_t epoch, uint32_t number)
{
	struct trust_numbers *nb;
	struct trust_gap gap = { 0 };
	uint32_t ahead;

	if (issuer < 0 || (unsigned)issuer > t->n_issuers)
		return gap;
	nb = &t->numbers[issuer];
	if (!nb->seen || nb->epoch != epoch) {
		gap.first = !nb->seen;
		gap.new_epoch = nb->seen;
		*nb = (struct trust_numbers){ true, epoch, number };
		return gap;
	}
	if (!number)
		return gap;
	if (!nb->last) {
		nb->last = number;
		return gap;
	}
	ahead = ahead_of(nb->last, number);
	if (!ahead)
		return gap;
	gap.missed = ahead - 1;
	nb->last = number;
	return gap;
}

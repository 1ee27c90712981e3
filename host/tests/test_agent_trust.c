// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of what ibvmigd believes (agent_trust.h): a Report only from
 * the master SM's LID and only with the SM's port (or a configured issuer) as
 * IssuerGID; nothing before the SM is known; and what the numbers of the
 * believed notices say - gaps, late and repeated Reports, new epochs, the
 * wrap after 0xFFFFFFFF, unnumbered senders, one count per issuer.
 */
#include "agent_trust.h"
#include "unit.h"

#include <errno.h>

#define PREFIX 0xfe80000000000000ULL
#define SM_PORT 0x0002c90300000011ULL
#define EXT_PORT 0x0002c90300000061ULL
#define HOST_PORT 0x0002c90300000041ULL

static struct trust sm_at_1(void)
{
	struct trust t = { 0 };

	trust_set_sm(&t, 1, PREFIX, SM_PORT);
	return t;
}

static void test_only_the_sms_lid_and_port_are_believed(void)
{
	struct trust t = sm_at_1();
	int who;

	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, SM_PORT, &who), TRUST_OK);
	CU_ASSERT_EQUAL(who, 0);
	/* A Report straight from a host, even one naming the SM as issuer. */
	CU_ASSERT_EQUAL(trust_check(&t, 6, PREFIX, SM_PORT, &who), TRUST_BAD_SOURCE);
	CU_ASSERT_EQUAL(who, -1);
	/* A host's Trap that OpenSM forwarded: the SM's LID, the host's port. */
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, HOST_PORT, &who), TRUST_BAD_ISSUER);
	/* The SM's GUID under another subnet prefix is not the SM's port. */
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX + 1, SM_PORT, &who), TRUST_BAD_ISSUER);
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, 0, &who), TRUST_BAD_ISSUER);
}

static void test_nothing_is_believed_before_the_sm_is_known(void)
{
	struct trust t = { 0 };
	int who;

	CU_ASSERT_EQUAL(trust_check(&t, 0, 0, 0, &who), TRUST_BAD_SOURCE);
	trust_set_sm(&t, 1, PREFIX, 0);		/* the LID, not yet the port */
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, SM_PORT, &who), TRUST_BAD_SOURCE);
	trust_set_sm(&t, 1, PREFIX, SM_PORT);
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, SM_PORT, &who), TRUST_OK);
}

static void test_a_handover_moves_the_trust(void)
{
	struct trust t = sm_at_1();
	int who;

	trust_set_sm(&t, 5, PREFIX, HOST_PORT);	/* the new master runs on that host */
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, SM_PORT, &who), TRUST_BAD_SOURCE);
	CU_ASSERT_EQUAL(trust_check(&t, 5, PREFIX, SM_PORT, &who), TRUST_BAD_ISSUER);
	CU_ASSERT_EQUAL(trust_check(&t, 5, PREFIX, HOST_PORT, &who), TRUST_OK);
}

static void test_configured_issuers_are_believed_through_the_sm(void)
{
	struct trust t = sm_at_1();
	int who;

	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, EXT_PORT, &who), TRUST_BAD_ISSUER);
	CU_ASSERT_EQUAL(trust_add_issuer(&t, EXT_PORT), 0);
	CU_ASSERT_EQUAL(trust_add_issuer(&t, EXT_PORT), -EEXIST);
	CU_ASSERT_EQUAL(trust_add_issuer(&t, 0), -EINVAL);
	CU_ASSERT_EQUAL(trust_check(&t, 1, PREFIX, EXT_PORT, &who), TRUST_OK);
	CU_ASSERT_EQUAL(who, 1);
	/* Its Traps come through the SM: straight from its port they are not. */
	CU_ASSERT_EQUAL(trust_check(&t, 7, PREFIX, EXT_PORT, &who), TRUST_BAD_SOURCE);
}

static void test_issuers_are_limited(void)
{
	struct trust t = sm_at_1();
	unsigned i;

	for (i = 0; i < TRUST_ISSUERS_MAX; i++)
		CU_ASSERT_EQUAL(trust_add_issuer(&t, EXT_PORT + i), 0);
	CU_ASSERT_EQUAL(trust_add_issuer(&t, EXT_PORT + i), -ENOSPC);
}

static struct trust_gap note(struct trust *t, uint32_t epoch, uint32_t number)
{
	return trust_number(t, 0, epoch, number);
}

static void test_a_skipped_number_is_a_gap(void)
{
	struct trust t = sm_at_1();
	struct trust_gap g;

	g = note(&t, 7, 3);
	CU_ASSERT(g.first && !g.new_epoch && !g.missed);	/* before us: no gap */
	g = note(&t, 7, 4);
	CU_ASSERT(!g.first && !g.new_epoch && !g.missed);
	g = note(&t, 7, 8);
	CU_ASSERT_EQUAL(g.missed, 3);				/* 5, 6, 7 lost */
	g = note(&t, 7, 6);
	CU_ASSERT_EQUAL(g.missed, 0);				/* a late one */
	g = note(&t, 7, 8);
	CU_ASSERT_EQUAL(g.missed, 0);				/* a resend */
	g = note(&t, 7, 9);
	CU_ASSERT_EQUAL(g.missed, 0);
}

static void test_a_new_epoch_starts_a_new_count(void)
{
	struct trust t = sm_at_1();
	struct trust_gap g;

	note(&t, 7, 10);
	g = note(&t, 8, 1);
	CU_ASSERT(g.new_epoch && !g.first && !g.missed);
	g = note(&t, 8, 3);
	CU_ASSERT_EQUAL(g.missed, 1);
	/* A late Report of the old epoch is another epoch too. */
	g = note(&t, 7, 11);
	CU_ASSERT(g.new_epoch);
}

static void test_numbers_wrap_past_the_top(void)
{
	struct trust t = sm_at_1();

	note(&t, 7, 0xFFFFFFFEu);
	CU_ASSERT_EQUAL(note(&t, 7, 0xFFFFFFFFu).missed, 0);
	CU_ASSERT_EQUAL(note(&t, 7, 1).missed, 0);		/* 0 is never a number */
	CU_ASSERT_EQUAL(note(&t, 7, 3).missed, 1);
	CU_ASSERT_EQUAL(note(&t, 7, 0xFFFFFFF0u).missed, 0);	/* far behind: late */
}

static void test_unnumbered_notices_say_nothing(void)
{
	struct trust t = sm_at_1();

	note(&t, 7, 0);
	CU_ASSERT_EQUAL(note(&t, 7, 0).missed, 0);
	CU_ASSERT_EQUAL(note(&t, 7, 5).missed, 0);		/* the first number seen */
	CU_ASSERT_EQUAL(note(&t, 7, 0).missed, 0);
	CU_ASSERT_EQUAL(note(&t, 7, 6).missed, 0);
}

static void test_each_issuer_counts_apart(void)
{
	struct trust t = sm_at_1();

	trust_add_issuer(&t, EXT_PORT);
	note(&t, 7, 1);
	CU_ASSERT(trust_number(&t, 1, 99, 40).first);
	CU_ASSERT_EQUAL(note(&t, 7, 2).missed, 0);
	CU_ASSERT_EQUAL(trust_number(&t, 1, 99, 41).missed, 0);
	CU_ASSERT_EQUAL(trust_number(&t, 1, 99, 45).missed, 3);
	CU_ASSERT_EQUAL(trust_number(&t, -1, 99, 99).missed, 0);	/* not trusted */
	CU_ASSERT_EQUAL(trust_number(&t, 2, 99, 99).missed, 0);
}

static void test_another_sm_forgets_the_numbers(void)
{
	struct trust t = sm_at_1();

	note(&t, 7, 5);
	trust_set_sm(&t, 1, PREFIX, SM_PORT);		/* the same SM: kept */
	CU_ASSERT_EQUAL(note(&t, 7, 7).missed, 1);
	trust_set_sm(&t, 5, PREFIX, HOST_PORT);		/* another one: its own count */
	CU_ASSERT(note(&t, 7, 9).first);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_only_the_sms_lid_and_port_are_believed),
		UNIT_TEST(test_nothing_is_believed_before_the_sm_is_known),
		UNIT_TEST(test_a_handover_moves_the_trust),
		UNIT_TEST(test_configured_issuers_are_believed_through_the_sm),
		UNIT_TEST(test_issuers_are_limited),
		UNIT_TEST(test_a_skipped_number_is_a_gap),
		UNIT_TEST(test_a_new_epoch_starts_a_new_count),
		UNIT_TEST(test_numbers_wrap_past_the_top),
		UNIT_TEST(test_unnumbered_notices_say_nothing),
		UNIT_TEST(test_each_issuer_counts_apart),
		UNIT_TEST(test_another_sm_forgets_the_numbers),
	};

	return unit_run("agent_trust", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the agent's escrow window (agent_escrow_window(),
 * agent.h): which answers of the SM mean that this agent's own port is
 * moving its LID, so that the canary check waits instead of taking the
 * readdressed subscriptions for an SM that forgot the port.
 */
#include "agent.h"
#include "unit.h"

#define OWN 0x0002c90300000041ULL
#define VF 0x0002c90500030201ULL

static struct ibvmig_vmc_escrow answer(uint64_t port, uint8_t status, uint8_t state)
{
	return (struct ibvmig_vmc_escrow){ .port_guid = port, .esc_status = status,
					   .state = state, .lid = 4 };
}

static void test_own_release_claim_cancel_open_the_window(void)
{
	struct ibvmig_vmc_escrow held = answer(OWN, IBVMIG_ESC_OK, IBVMIG_ESC_HELD);
	struct ibvmig_vmc_escrow moving = answer(OWN, IBVMIG_ESC_OK, IBVMIG_ESC_MOVING);

	CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_ESC_RELEASE, OWN, &held), AGENT_ESC_OPEN);
	CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_ESC_CLAIM, OWN, &moving), AGENT_ESC_OPEN);
	CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_ESC_CANCEL, OWN, &moving), AGENT_ESC_OPEN);
	CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_ESC_QUERY, OWN, &moving), AGENT_ESC_OPEN);
}

static void test_a_query_that_says_over_closes_it(void)
{
	static const uint8_t over[] = { IBVMIG_ESC_LIVE, IBVMIG_ESC_CANCELLED, IBVMIG_ESC_EXPIRED };
	struct ibvmig_vmc_escrow a;
	unsigned i;

	for (i = 0; i < sizeof(over); i++) {
		a = answer(OWN, IBVMIG_ESC_OK, over[i]);
		CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_ESC_QUERY, OWN, &a),
				AGENT_ESC_CLOSE);
	}
	/* Held: the source's LID moved at the release's sweep, or will; a query says nothing. */
	a = answer(OWN, IBVMIG_ESC_OK, IBVMIG_ESC_HELD);
	CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_ESC_QUERY, OWN, &a), AGENT_ESC_NONE);
}

/* A PF asking for its VF, and every refusal, leave the agent's own LID alone. */
static void test_another_port_or_a_refusal_changes_nothing(void)
{
	struct ibvmig_vmc_escrow vf = answer(VF, IBVMIG_ESC_OK, IBVMIG_ESC_MOVING);
	struct ibvmig_vmc_escrow no = answer(OWN, IBVMIG_ESC_WRONG_REQUESTER, 0);
	struct ibvmig_vmc_escrow live = answer(VF, IBVMIG_ESC_OK, IBVMIG_ESC_LIVE);
	uint8_t t;

	for (t = IBVMIG_VMC_ESC_RELEASE; t <= IBVMIG_VMC_ESC_QUERY; t++) {
		CU_ASSERT_EQUAL(agent_escrow_window(t, OWN, &vf), AGENT_ESC_NONE);
		CU_ASSERT_EQUAL(agent_escrow_window(t, OWN, &no), AGENT_ESC_NONE);
		CU_ASSERT_EQUAL(agent_escrow_window(t, OWN, &live), AGENT_ESC_NONE);
		CU_ASSERT_EQUAL(agent_escrow_window(t, 0, &vf), AGENT_ESC_NONE);
	}
	vf = answer(OWN, IBVMIG_ESC_OK, IBVMIG_ESC_MOVING);
	CU_ASSERT_EQUAL(agent_escrow_window(IBVMIG_VMC_STATUS, OWN, &vf), AGENT_ESC_NONE);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_own_release_claim_cancel_open_the_window),
		UNIT_TEST(test_a_query_that_says_over_closes_it),
		UNIT_TEST(test_another_port_or_a_refusal_changes_nothing),
	};

	return unit_run("agent_escrow", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the engine's second host calls (engine.h, THE SECOND HOST)
 * through engine.h on a fake host: reads of one port at a time, what a read
 * may take away, trusted and untrusted moves, the SM forgetting every alias,
 * passivity beside a plugin, and the host's own admin fields.
 */
#include "fake_host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define VG(n) (0x0002c903abcd0000ULL + (n))
#define PORT_A 0x0002c90300000021ULL
#define PORT_C 0x0002c90300000041ULL
#define PORT_SM 0x0002c90300000011ULL
#define LID_A 4
#define LID_C 6

/* A port of 32 entries holding @g (0: none) at index @i. */
static void port_with(struct eng_port_snapshot *s, uint64_t port, uint16_t lid, unsigned i,
		      uint64_t g)
{
	uint64_t guids[32] = { port };

	guids[i] = g;
	fake_port(s, port, lid, 32, guids, 32);
}

static void empty_port(struct eng_port_snapshot *s, uint64_t port, uint16_t lid)
{
	port_with(s, port, lid, 1, 0);
}

static uint64_t stat_of(struct fake_host *h, uint16_t tag)
{
	return fake_value(h, IBVMIG_ADMIN_STATS, tag);
}

static void expect_sent(const struct fake_host *h, size_t i, uint16_t trap, uint8_t reason,
			uint16_t new_lid)
{
	CU_ASSERT_FATAL(i < h->n_sent);
	CU_ASSERT_EQUAL(h->sent[i].trap, trap);
	CU_ASSERT_EQUAL(h->sent[i].n.reason, reason);
	CU_ASSERT_EQUAL(h->sent[i].n.new_lid, new_lid);
	CU_ASSERT_EQUAL(h->sent[i].n.vguid, VG(1));
}

/* hosta holds VG(1) at index 1: read once. */
static void start_with_alias_on_a(struct fake_host *h, struct eng_port_snapshot *a)
{
	struct eng_port_snapshot none;

	fake_start(h, NULL);
	memset(&none, 0, sizeof(none));
	port_with(a, PORT_A, LID_A, 1, VG(1));
	eng_port_read(h->e, &none, a, 0, 0);
	CU_ASSERT_EQUAL(h->n_sent, 0);	/* a creation */
}

/*
 * VG(1) moves from hosta to index 3 of hostc: hosta read empty, then hostc
 * read with it; @told names the vGUID each read was told of (0: the poll's),
 * @flags the read of hostc's.  *@c2 is hostc's table after.
 */
static void move_a_to_c(struct fake_host *h, uint64_t told, unsigned flags,
			struct eng_port_snapshot *c2)
{
	struct eng_port_snapshot a, a2, c;

	start_with_alias_on_a(h, &a);
	empty_port(&a2, PORT_A, LID_A);
	eng_port_read(h->e, &a, &a2, told, 0);
	empty_port(&c, PORT_C, LID_C);
	port_with(c2, PORT_C, LID_C, 3, VG(1));
	eng_port_read(h->e, &c, c2, told, flags);
}

static void test_a_told_migration_sends_unpath_then_repath(void)
{
	struct eng_port_snapshot c2;
	struct fake_host h;

	move_a_to_c(&h, VG(1), 0, &c2);	/* hosta's agent told of the Delete, hostc's of the Set */
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0);
	expect_sent(&h, 1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C);
	CU_ASSERT_EQUAL(h.sent[1].n.old_lid, LID_A);
	CU_ASSERT_EQUAL(h.sent[0].n.number, 1);
	CU_ASSERT_EQUAL(h.sent[1].n.number, 2);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_PORT_READS), 3);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_UNTRUSTED_MOVES), 0);
	fake_stop(&h);
}

static void test_a_move_only_the_poll_saw_is_held_until_its_agent_tells(void)
{
	struct eng_port_snapshot c2;
	struct fake_host h;

	move_a_to_c(&h, 0, 0, &c2);	/* the poll: nobody told */
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_UNTRUSTED_MOVES), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_LIVE_ALIASES), 1);
	/* Another vGUID's tell releases nothing; hostc's tell of VG(1), late, does. */
	eng_port_read(h.e, &c2, &c2, VG(7), 0);
	CU_ASSERT_EQUAL(h.n_sent, 1);
	eng_port_read(h.e, &c2, &c2, VG(1), 0);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	expect_sent(&h, 1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C);
	CU_ASSERT_EQUAL(h.sent[1].n.number, 2);	/* numbered when sent */
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_HELD_RELEASED), 1);
	fake_stop(&h);
}

static void test_a_trusted_port_gets_its_repath_from_the_poll(void)
{
	struct eng_port_snapshot c2;
	struct fake_host h;

	move_a_to_c(&h, 0, ENG_READ_TRUSTED, &c2);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	expect_sent(&h, 1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C);
	fake_stop(&h);
}

static void test_a_stale_read_of_the_old_port_sends_nothing(void)
{
	struct eng_port_snapshot a, a2, c, c2;
	struct fake_host h;

	start_with_alias_on_a(&h, &a);
	empty_port(&c, PORT_C, LID_C);
	port_with(&c2, PORT_C, LID_C, 3, VG(1));
	eng_port_read(h.e, &c, &c2, VG(1), 0);	/* the new port read first */
	CU_ASSERT_EQUAL(h.n_sent, 2);		/* UnPath from A, RePath to C */
	empty_port(&a2, PORT_A, LID_A);
	/* It is live at C now: the stale read of A takes nothing live away. */
	CU_ASSERT_FALSE(eng_port_read_drops(h.e, &a, &a2, 0));
	eng_port_read(h.e, &a, &a2, 0, 0);	/* the old port, read after */
	CU_ASSERT_EQUAL(h.n_sent, 2);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_STALE_GONE), 1);
	fake_stop(&h);
}

static void test_an_alias_that_moved_inside_its_port_is_no_change(void)
{
	struct eng_port_snapshot a, a2;
	struct fake_host h;

	start_with_alias_on_a(&h, &a);
	port_with(&a2, PORT_A, LID_A, 9, VG(1));
	CU_ASSERT_FALSE(eng_port_read_drops(h.e, &a, &a2, 0));
	eng_port_read(h.e, &a, &a2, 0, 0);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	fake_stop(&h);
}

static void test_a_port_gone_takes_its_aliases(void)
{
	struct eng_port_snapshot a, gone;
	struct fake_host h;

	start_with_alias_on_a(&h, &a);
	memset(&gone, 0, sizeof(gone));	/* no port has the LID now */
	CU_ASSERT_TRUE(eng_port_read_drops(h.e, &a, &gone, 0));
	eng_port_read(h.e, &a, &gone, 0, 0);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_PORT_GONE, 0);
	fake_stop(&h);
}

static void test_drops_need_something_live_there_to_drop(void)
{
	struct eng_port_snapshot none, a, a2;
	struct fake_host h;

	start_with_alias_on_a(&h, &a);
	memset(&none, 0, sizeof(none));
	empty_port(&a2, PORT_A, LID_A);
	CU_ASSERT_FALSE(eng_port_read_drops(h.e, &none, &a, 0));	/* never read before */
	CU_ASSERT_FALSE(eng_port_read_drops(h.e, &a, &a, 0));
	CU_ASSERT_FALSE(eng_port_read_drops(h.e, &none, &none, 0));
	CU_ASSERT_TRUE(eng_port_read_drops(h.e, &a, &a2, 0));
	/* Once the SM forgot them, a read of the empty port drops nothing live. */
	eng_sm_forgot(h.e);
	CU_ASSERT_FALSE(eng_port_read_drops(h.e, &a, &a2, 0));
	fake_stop(&h);
}

static void test_after_the_sm_forgot_its_aliases_come_back_silently(void)
{
	struct eng_port_snapshot a, a2, c, c2;
	struct fake_host h;

	start_with_alias_on_a(&h, &a);
	eng_sm_forgot(h.e);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_ALIASES_BEFORE_RESTART), 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_SM_FORGETS), 1);
	/* The restarted SM's port reads empty, then the agent sets the vGUID again. */
	empty_port(&a2, PORT_A, LID_A);
	eng_port_read(h.e, &a, &a2, 0, 0);
	eng_port_read(h.e, &a2, &a, VG(1), 0);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	/* The next migration is followed. */
	eng_port_read(h.e, &a, &a2, VG(1), 0);
	empty_port(&c, PORT_C, LID_C);
	port_with(&c2, PORT_C, LID_C, 3, VG(1));
	eng_port_read(h.e, &c, &c2, VG(1), 0);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	expect_sent(&h, 1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C);
	fake_stop(&h);
}

static void test_a_plugins_notice_makes_it_passive_until_the_sm_changes(void)
{
	struct ibvmig_path_notice n = { .version = 1, .reason = IBVMIG_REASON_MIGRATED,
					.vguid = VG(9) };
	struct eng_port_snapshot a, a2;
	struct fake_host h;

	start_with_alias_on_a(&h, &a);
	eng_sm_port(h.e, PORT_SM);
	n.epoch = eng_epoch(h.e);
	eng_notice_seen(h.e, IBVMIG_TRAP_REPATH, &n, true);	/* ours, back from the SM */
	CU_ASSERT_FALSE(eng_passive(h.e));
	n.epoch ^= 1;
	eng_notice_seen(h.e, IBVMIG_TRAP_REPATH, &n, false);	/* a host's trap */
	CU_ASSERT_FALSE(eng_passive(h.e));
	eng_notice_seen(h.e, IBVMIG_TRAP_REPATH, &n, true);	/* the SM's own: a plugin */
	CU_ASSERT_TRUE(eng_passive(h.e));
	CU_ASSERT_EQUAL(fake_logged(&h, "an ibvmig plugin runs there; passive"), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_PASSIVE), 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_FOREIGN_NOTICES), 2);
	empty_port(&a2, PORT_A, LID_A);
	eng_port_read(h.e, &a, &a2, VG(1), 0);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_NOTICES_PASSIVE), 1);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_NOTICE_NUMBER), 0);
	eng_sm_port(h.e, PORT_SM);	/* the same SM: still passive */
	CU_ASSERT_TRUE(eng_passive(h.e));
	eng_sm_port(h.e, PORT_C);	/* another master */
	CU_ASSERT_FALSE(eng_passive(h.e));
	n.epoch ^= 2;
	eng_notice_seen(h.e, IBVMIG_TRAP_UNPATH, &n, true);
	CU_ASSERT_TRUE(eng_passive(h.e));
	eng_sm_forgot(h.e);		/* it restarted, perhaps without its plugin */
	CU_ASSERT_FALSE(eng_passive(h.e));
	eng_port_read(h.e, &a2, &a, VG(1), 0);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	CU_ASSERT_EQUAL(h.sent[0].n.number, 1);	/* no gap: the passive one had no number */
	fake_stop(&h);
}

static void test_the_hosts_own_fields_end_status_and_stats(void)
{
	struct fake_answer ans;
	struct ibvmig_rec_field f;
	struct fake_host h;

	fake_start(&h, NULL);
	h.host.count = 2;
	h.host.f[0] = (struct eng_host_field){ .tag = IBVMIG_TAG_POLL_RATE, .value = 200 };
	h.host.f[1] = (struct eng_host_field){ .tag = IBVMIG_TAG_DELIVERY, .is_str = true };
	snprintf(h.host.f[1].str, sizeof(h.host.f[1].str), "trap");
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATS, IBVMIG_TAG_POLL_RATE), 200);
	CU_ASSERT_EQUAL(fake_value(&h, IBVMIG_ADMIN_STATUS, IBVMIG_TAG_POLL_RATE), 200);
	fake_ask(&h, IBVMIG_ADMIN_STATUS, 0, &ans);
	CU_ASSERT_TRUE_FATAL(fake_field(&ans, 0, IBVMIG_TAG_DELIVERY, &f));
	CU_ASSERT_STRING_EQUAL(f.str, "trap");
	fake_answer_free(&ans);
	fake_stop(&h);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_a_told_migration_sends_unpath_then_repath),
		UNIT_TEST(test_a_move_only_the_poll_saw_is_held_until_its_agent_tells),
		UNIT_TEST(test_a_trusted_port_gets_its_repath_from_the_poll),
		UNIT_TEST(test_a_stale_read_of_the_old_port_sends_nothing),
		UNIT_TEST(test_an_alias_that_moved_inside_its_port_is_no_change),
		UNIT_TEST(test_a_port_gone_takes_its_aliases),
		UNIT_TEST(test_drops_need_something_live_there_to_drop),
		UNIT_TEST(test_after_the_sm_forgot_its_aliases_come_back_silently),
		UNIT_TEST(test_a_plugins_notice_makes_it_passive_until_the_sm_changes),
		UNIT_TEST(test_the_hosts_own_fields_end_status_and_stats),
	};

	return unit_run("engine-smx", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the engine through engine.h, on a fake host: the notices a
 * port change sends and when, the port-table diff, the change counting, the
 * reconcile, the admin answers, the log filter and the services table.
 */
#include "fake_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VG(n) (0x0002c903abcd0000ULL + (n))
#define PORT_A 0x0002c90300000011ULL
#define PORT_B 0x0002c90300000012ULL
#define LID_A 4
#define LID_B 5

static void expect_sent(const struct fake_host *h, size_t i, uint16_t trap, uint64_t vguid,
			uint8_t reason)
{
	CU_ASSERT_FATAL(i < h->n_sent);
	CU_ASSERT_EQUAL(h->sent[i].trap, trap);
	CU_ASSERT_EQUAL(h->sent[i].n.vguid, vguid);
	CU_ASSERT_EQUAL(h->sent[i].n.reason, reason);
	CU_ASSERT_EQUAL(h->sent[i].n.subnet_prefix, FAKE_PREFIX);
}

static uint64_t stat_of(struct fake_host *h, uint16_t tag)
{
	return fake_value(h, IBVMIG_ADMIN_STATS, tag);
}

static uint64_t status_of(struct fake_host *h, uint16_t tag)
{
	return fake_value(h, IBVMIG_ADMIN_STATUS, tag);
}

/* ---- notices ------------------------------------------------------------ */

static void test_a_migration_sends_unpath_then_repath(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT_EQUAL(h.n_sent, 0);	/* a creation: nobody holds a path */
	fake_delete(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, VG(1), IBVMIG_REASON_DELETED);
	CU_ASSERT_EQUAL(h.sent[0].n.old_lid, LID_A);
	CU_ASSERT_EQUAL(h.sent[0].n.old_port_guid, PORT_A);
	fake_set(&h, VG(1), PORT_B, LID_B);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	expect_sent(&h, 1, IBVMIG_TRAP_REPATH, VG(1), IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(h.sent[1].n.new_lid, LID_B);
	CU_ASSERT_EQUAL(h.sent[1].n.new_port_guid, PORT_B);
	CU_ASSERT_EQUAL(h.sent[1].n.old_lid, LID_A);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_UNPATH_SENT), 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_REPATH_SENT), 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_NOTICES_FAILED), 0);
	fake_stop(&h);
}

static void test_notices_and_sm_reads_come_without_the_engine_lock(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	fake_set(&h, VG(1), PORT_B, LID_B);
	eng_reconcile(h.e);
	h.n_subs = 1;
	h.subs[0] = (struct eng_subscriber){ .guid = PORT_A, .trap = IBVMIG_TRAP_REPATH };
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_SUBSCRIBERS), 1);
	CU_ASSERT_EQUAL(h.n_sent, 3);	/* UnPath, RePath, and the reconcile's port-gone UnPath */
	CU_ASSERT_EQUAL(h.list_calls, 1);
	CU_ASSERT_EQUAL(h.locked_ops, 0);
	fake_stop(&h);
}

static void test_a_failed_send_is_counted_and_logged(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	h.send_rc = -EAGAIN;	/* the SM has no port yet */
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	h.send_rc = -EIO;	/* the SM refused it */
	fake_set(&h, VG(1), PORT_B, LID_B);
	CU_ASSERT_EQUAL(h.n_sent, 2);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_NOTICES_FAILED), 2);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_NOTICES_UNSENT), 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_NOTICES_REFUSED), 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_UNPATH_SENT), 0);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_REPATH_SENT), 0);
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D101: 1 notices not sent (1 never reached the SM"),
			1);
	CU_ASSERT_EQUAL(fake_logged(&h, "; 1 refused by it): receivers will miss them, the first "
				    "number 2, the last 2"), 1);
	fake_stop(&h);
}

/* ---- notice numbers -------------------------------------------------------- */

static void test_notices_are_numbered_from_1_in_the_order_they_are_sent(void)
{
	struct fake_host h;
	size_t i;

	fake_start(&h, NULL);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_NOTICE_NUMBER), 0);
	fake_set(&h, VG(1), PORT_A, LID_A);	/* a creation: nothing sent, no number */
	fake_delete(&h, VG(1), PORT_A, LID_A);
	fake_set(&h, VG(1), PORT_B, LID_B);
	fake_set(&h, VG(2), PORT_A, LID_A);
	h.n_aliases = 0;	/* both ports left the fabric: two UnPaths from the reconcile */
	eng_reconcile(h.e);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 4);
	for (i = 0; i < h.n_sent; i++)
		CU_ASSERT_EQUAL(h.sent[i].n.number, i + 1);
	/* UnPaths and RePaths share one count: receivers subscribe to both. */
	CU_ASSERT_EQUAL(h.sent[0].trap, IBVMIG_TRAP_UNPATH);
	CU_ASSERT_EQUAL(h.sent[1].trap, IBVMIG_TRAP_REPATH);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_NOTICE_NUMBER), 4);
	fake_stop(&h);
}

static void test_a_notice_that_could_not_be_sent_keeps_its_number(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_set(&h, VG(2), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);	/* 1: sent */
	h.send_rc = -EAGAIN;
	fake_delete(&h, VG(2), PORT_A, LID_A);	/* 2: the SM not up */
	h.send_rc = 0;
	fake_set(&h, VG(1), PORT_B, LID_B);	/* 3: receivers see 2 missing */
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 3);
	CU_ASSERT_EQUAL(h.sent[0].n.number, 1);
	CU_ASSERT_EQUAL(h.sent[1].n.number, 2);
	CU_ASSERT_EQUAL(h.sent[2].n.number, 3);
	/* Every number is in exactly one counter. */
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_UNPATH_SENT) + stat_of(&h, IBVMIG_TAG_REPATH_SENT) +
				stat_of(&h, IBVMIG_TAG_NOTICES_FAILED),
			status_of(&h, IBVMIG_TAG_NOTICE_NUMBER));
	fake_stop(&h);
}

/* Two SA threads at once, each a run of set/delete pairs on its own vGUID. */
struct churn {
	struct fake_host *h;
	uint64_t vguid, port;
	uint16_t lid;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	int i;

	for (i = 0; i < 200; i++) {
		fake_set(c->h, c->vguid, c->port, c->lid);
		fake_delete(c->h, c->vguid, c->port, c->lid);
	}
	return NULL;
}

static void test_numbers_go_out_in_order_whichever_thread_sends(void)
{
	struct fake_host h;
	struct churn a, b;
	pthread_t ta, tb;
	uint32_t last = 0;
	size_t i, n;

	fake_start(&h, NULL);
	h.send_delay_us = 50;	/* the SM's send takes its time: threads overlap */
	a = (struct churn){ &h, VG(1), PORT_A, LID_A };
	b = (struct churn){ &h, VG(2), PORT_B, LID_B };
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, churn_main, &a), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tb, NULL, churn_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	n = h.n_numbers;
	CU_ASSERT_EQUAL(n, 2 * (200 + 199));	/* an UnPath per delete, a RePath per set again */
	for (i = 0; i < n && i < FAKE_NUMBERS_MAX; i++) {
		if (h.numbers[i] != last + 1)
			break;
		last = h.numbers[i];
	}
	CU_ASSERT_EQUAL(i, n);	/* each number handed to the host follows the one before */
	fake_stop(&h);
}

/* ---- the port-table diff ---------------------------------------------------- */

static void test_diff_ignores_index_0(void)
{
	struct eng_port_snapshot before, after;
	struct fake_host h;

	fake_start(&h, NULL);
	fake_port(&before, PORT_A, LID_A, 8, (uint64_t[]){ PORT_A }, 1);
	fake_port(&after, PORT_A, LID_A, 8, (uint64_t[]){ VG(1) }, 1);
	fake_change(&h, &before, &after);
	fake_change(&h, &after, &before);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 0);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_ENTRIES), 0);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 0);
	fake_stop(&h);
}

static void test_diff_leaves_a_port_that_changed_under_it(void)
{
	struct eng_port_snapshot before, after;
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	/* The LID now names another port: neither table is this request's doing. */
	fake_port(&before, PORT_A, LID_A, 8, (uint64_t[]){ PORT_A, VG(1) }, 2);
	fake_port(&after, PORT_B, LID_A, 8, (uint64_t[]){ PORT_B, 0, VG(2) }, 3);
	fake_change(&h, &before, &after);
	/* No port had the LID before. */
	fake_port(&before, 0, 0, 0, NULL, 0);
	fake_change(&h, &before, &after);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 1);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 1);
	fake_stop(&h);
}

static void test_diff_feeds_a_set_a_delete_and_a_replace_at_once(void)
{
	struct eng_port_snapshot empty, before, after;
	struct fake_host h;

	fake_start(&h, NULL);
	fake_port(&empty, PORT_A, LID_A, 8, (uint64_t[]){ PORT_A }, 1);
	fake_port(&before, PORT_A, LID_A, 8, (uint64_t[]){ PORT_A, VG(1), 0, VG(3) }, 4);
	fake_port(&after, PORT_A, LID_A, 8, (uint64_t[]){ PORT_A, 0, VG(2), VG(4) }, 4);
	fake_change(&h, &empty, &before);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 2);
	fake_change(&h, &before, &after);
	/* Index 1 deleted, 2 set (a creation: silent), 3 replaced: deleted then set. */
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 2);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, VG(1), IBVMIG_REASON_DELETED);
	expect_sent(&h, 1, IBVMIG_TRAP_UNPATH, VG(3), IBVMIG_REASON_DELETED);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 2);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_ENTRIES), 2);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_SETS), 4);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_DELETES), 2);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 5);
	fake_stop(&h);
}

static void test_diff_follows_the_table_growing_and_shrinking(void)
{
	struct eng_port_snapshot small, big;
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	/* GUIDCap grew from 2 to 4: index 3 is new, and set. */
	fake_port(&small, PORT_A, LID_A, 2, (uint64_t[]){ PORT_A, VG(1) }, 2);
	fake_port(&big, PORT_A, LID_A, 4, (uint64_t[]){ PORT_A, VG(1), 0, VG(2) }, 4);
	fake_change(&h, &small, &big);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 2);
	/* Shrunk back to 2: what lies past the entries is gone, whatever the array holds. */
	small.guids[3] = VG(2);
	fake_change(&h, &big, &small);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, VG(2), IBVMIG_REASON_DELETED);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 1);
	/* More entries than a port can have are read as the most it can. */
	big.entries = 100000;
	fake_change(&h, &small, &big);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 2);
	fake_stop(&h);
}

/* The SM's handler took 50 ms of the request: not the host's own time. */
static uint64_t slow_apply(void *arg, struct eng_port_snapshot *before,
			   struct eng_port_snapshot *after)
{
	uint64_t t0 = util_mono_ns();

	(void)arg;
	(void)before;
	(void)after;
	usleep(50 * 1000);
	return util_mono_ns() - t0;
}

static void test_the_sm_handler_time_is_not_counted_as_ours(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	eng_port_change(h.e, slow_apply, NULL);
	eng_port_change(h.e, slow_apply, NULL);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_HOOK_CALLS), 2);
	CU_ASSERT(stat_of(&h, IBVMIG_TAG_HOOK_MAX_NS) < 25 * 1000 * 1000);
	CU_ASSERT(stat_of(&h, IBVMIG_TAG_HOOK_NS) >= stat_of(&h, IBVMIG_TAG_HOOK_MAX_NS));
	fake_stop(&h);
}

/* ---- change counting ---------------------------------------------------------- */

static void test_every_change_counts_until_saved(void)
{
	struct eng_port_snapshot s;
	struct fake_answer a;
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 1);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 2);
	fake_port(&s, PORT_A, LID_A, 8, (uint64_t[]){ PORT_A, VG(2) }, 2);
	fake_change(&h, &s, &s);	/* a Set that changed nothing */
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 2);
	fake_ask(&h, IBVMIG_ADMIN_FLUSH, VG(9), &a);	/* not in the table */
	CU_ASSERT_EQUAL(a.status, IBVMIG_ADMIN_E_NOT_FOUND);
	fake_answer_free(&a);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 2);
	fake_ask(&h, IBVMIG_ADMIN_FLUSH, VG(1), &a);
	CU_ASSERT_EQUAL(a.status, IBVMIG_ADMIN_OK);
	fake_answer_free(&a);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 3);
	fake_ask(&h, IBVMIG_ADMIN_FLUSH, 0, &a);	/* an empty table: nothing flushed */
	fake_answer_free(&a);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 3);
	/* Without a state directory nothing is ever saved. */
	CU_ASSERT_EQUAL(eng_save(h.e), 0);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 3);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_SAVES), 0);
	fake_stop(&h);
}

/* ---- the reconcile ------------------------------------------------------------ */

static void test_reconcile_follows_the_sm_aliases(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	h.aliases[0] = (struct fake_alias){ VG(1), PORT_A, LID_A };
	h.aliases[1] = (struct fake_alias){ VG(2), PORT_A, LID_A };
	h.n_aliases = 2;
	eng_reconcile(h.e);
	CU_ASSERT_EQUAL(h.n_sent, 0);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 2);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_UNSAVED_CHANGES), 1);
	h.n_aliases = 1;	/* VG(2)'s port left with it */
	eng_reconcile(h.e);
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	expect_sent(&h, 0, IBVMIG_TRAP_UNPATH, VG(2), IBVMIG_REASON_PORT_GONE);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_RECONCILES), 2);
	CU_ASSERT_EQUAL(fake_logged(&h, "reconcile: 1 alias changes the SA did not show (1 live)"),
			1);
	h.list_rc = -ENOMEM;	/* a list the host could not make is not an empty fabric */
	eng_reconcile(h.e);
	CU_ASSERT_EQUAL(h.n_sent, 1);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_RECONCILES), 2);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 1);
	CU_ASSERT_EQUAL(fake_logged(&h, "ERR D601: cannot list the live aliases"), 1);
	fake_stop(&h);
}

/*
 * The window between the list and its apply, held open: the host's SM lock is
 * released once the list is copied, and an SA Set and Delete land before the
 * engine applies it.
 */
static void sa_changes_during_the_list(struct fake_host *h)
{
	fake_set(h, VG(2), PORT_A, LID_A);	/* not in the list: it came after */
	fake_delete(h, VG(1), PORT_A, LID_A);	/* in the list: it went after */
}

static void test_an_sa_change_during_the_list_is_not_undone_by_the_reconcile(void)
{
	struct fake_host h;

	fake_start(&h, NULL);
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_set(&h, VG(2), PORT_A, LID_A);
	fake_delete(&h, VG(2), PORT_A, LID_A);	/* VG(2) remembered: its next set is a reboot */
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 1);
	h.aliases[0] = (struct fake_alias){ VG(1), PORT_A, LID_A };
	h.n_aliases = 1;
	h.during_list = sa_changes_during_the_list;
	eng_reconcile(h.e);
	h.during_list = NULL;
	/* The SA's own notices only: RePath "restarted" for VG(2), UnPath for VG(1). */
	CU_ASSERT_EQUAL_FATAL(h.n_sent, 3);
	expect_sent(&h, 1, IBVMIG_TRAP_REPATH, VG(2), IBVMIG_REASON_RESTARTED);
	expect_sent(&h, 2, IBVMIG_TRAP_UNPATH, VG(1), IBVMIG_REASON_DELETED);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_RECONCILE_EVENTS), 0);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_RECONCILE_SPARED), 2);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_LIVE_ALIASES), 1);	/* VG(2) */
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_ENTRIES), 1);	/* VG(1) */
	/* The next sweep's list shows the same: nothing to say. */
	h.aliases[0] = (struct fake_alias){ VG(2), PORT_A, LID_A };
	eng_reconcile(h.e);
	CU_ASSERT_EQUAL(h.n_sent, 3);
	CU_ASSERT_EQUAL(h.locked_ops, 0);
	fake_stop(&h);
}

/* ---- the admin answers ---------------------------------------------------------- */

static void expect_str(const struct fake_answer *a, uint32_t i, uint16_t tag, const char *want)
{
	struct ibvmig_rec_field f;

	CU_ASSERT_FATAL(fake_field(a, i, tag, &f));
	CU_ASSERT_EQUAL(f.type, IBVMIG_REC_T_STR);
	CU_ASSERT_STRING_EQUAL(f.str, want);
}

static void expect_uint(const struct fake_answer *a, uint32_t i, uint16_t tag, uint64_t want)
{
	struct ibvmig_rec_field f;

	CU_ASSERT_FATAL(fake_field(a, i, tag, &f));
	CU_ASSERT_EQUAL(f.value, want);
}

static void test_status_shows_the_host_and_its_sm(void)
{
	struct fake_answer a;
	struct fake_host h;

	fake_start(&h, NULL);
	snprintf(h.sm.state, sizeof(h.sm.state), "MASTER");
	h.sm.port_guid = PORT_B;
	h.sm.lid = 1;
	h.sm.subnet_prefix = FAKE_PREFIX;
	h.subs[0] = (struct eng_subscriber){ .guid = PORT_A, .trap = IBVMIG_TRAP_REPATH };
	h.subs[1] = (struct eng_subscriber){ .guid = PORT_A, .trap = 64 };	/* not ours */
	h.subs[2] = (struct eng_subscriber){ .guid = PORT_B, .trap = 0xFFFF };
	h.n_subs = 3;
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_ask(&h, IBVMIG_ADMIN_STATUS, 0, &a);
	CU_ASSERT_EQUAL(a.status, IBVMIG_ADMIN_OK);
	CU_ASSERT_EQUAL(a.records, 1);
	expect_str(&a, 0, IBVMIG_TAG_PLUGIN_VERSION, "fake 1.0");
	expect_str(&a, 0, IBVMIG_TAG_OSM_VERSION, "FakeSM 0.1");
	expect_str(&a, 0, IBVMIG_TAG_SM_STATE, "MASTER");
	expect_uint(&a, 0, IBVMIG_TAG_SM_PORT_GUID, PORT_B);
	expect_uint(&a, 0, IBVMIG_TAG_SM_LID, 1);
	expect_uint(&a, 0, IBVMIG_TAG_SUBNET_PREFIX, FAKE_PREFIX);
	expect_uint(&a, 0, IBVMIG_TAG_SUBSCRIBERS, 2);
	expect_uint(&a, 0, IBVMIG_TAG_LIVE_ALIASES, 1);
	expect_uint(&a, 0, IBVMIG_TAG_TTL_MS, 3600 * 1000);
	expect_str(&a, 0, IBVMIG_TAG_STATE_FILE, "");
	fake_answer_free(&a);
	fake_stop(&h);
}

static void test_traps_list_the_deleted_vguids(void)
{
	struct ibvmig_rec_field f;
	struct ibvmig_conf conf;
	struct fake_answer a;
	struct fake_host h;

	fake_start(&h, NULL);
	fake_delete(&h, VG(1), PORT_A, LID_A);	/* never seen set: not remembered */
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	fake_ask(&h, IBVMIG_ADMIN_TRAPS, 0, &a);
	CU_ASSERT_EQUAL_FATAL(a.records, 1);
	expect_uint(&a, 0, IBVMIG_TAG_VGUID, VG(1));
	expect_uint(&a, 0, IBVMIG_TAG_LID, LID_A);
	expect_uint(&a, 0, IBVMIG_TAG_PORT_GUID, PORT_A);
	CU_ASSERT_FATAL(fake_field(&a, 0, IBVMIG_TAG_EXPIRES_IN_MS, &f));
	CU_ASSERT(f.value > 3590 * 1000 && f.value <= 3600 * 1000);
	fake_answer_free(&a);
	fake_stop(&h);

	/* No TTL, no expiry: the field is left out. */
	fake_conf(&conf, "");
	conf.trap_ttl_ms = 0;
	fake_start(&h, &conf);
	fake_set(&h, VG(1), PORT_A, LID_A);
	fake_delete(&h, VG(1), PORT_A, LID_A);
	fake_ask(&h, IBVMIG_ADMIN_TRAPS, 0, &a);
	CU_ASSERT_EQUAL_FATAL(a.records, 1);
	CU_ASSERT_FALSE(fake_field(&a, 0, IBVMIG_TAG_EXPIRES_IN_MS, &f));
	fake_answer_free(&a);
	fake_stop(&h);
}

static void test_subscribers_are_ours_only(void)
{
	struct fake_answer a;
	struct fake_host h;

	fake_start(&h, NULL);
	h.subs[0] = (struct eng_subscriber){ PORT_A, 7, 1, 64, 0, 0xBFFF };
	h.subs[1] = (struct eng_subscriber){ PORT_B, 9, 3, IBVMIG_TRAP_UNPATH, 1, 100 };
	h.n_subs = 2;
	fake_ask(&h, IBVMIG_ADMIN_SUBSCRIBERS, 0, &a);
	CU_ASSERT_EQUAL_FATAL(a.records, 1);
	expect_uint(&a, 0, IBVMIG_TAG_SUBSCRIBER_GUID, PORT_B);
	expect_uint(&a, 0, IBVMIG_TAG_LID, 9);
	expect_uint(&a, 0, IBVMIG_TAG_QPN, 3);
	expect_uint(&a, 0, IBVMIG_TAG_TRAP, IBVMIG_TRAP_UNPATH);
	expect_uint(&a, 0, IBVMIG_TAG_LID_RANGE_BEGIN, 1);
	expect_uint(&a, 0, IBVMIG_TAG_LID_RANGE_END, 100);
	fake_answer_free(&a);
	fake_stop(&h);
}

static void test_flush_answers_what_it_flushed(void)
{
	struct fake_answer a;
	struct fake_host h;
	int i;

	fake_start(&h, NULL);
	for (i = 1; i <= 3; i++) {
		fake_set(&h, VG(i), PORT_A, LID_A);
		fake_delete(&h, VG(i), PORT_A, LID_A);
	}
	fake_ask(&h, IBVMIG_ADMIN_FLUSH, VG(2), &a);
	CU_ASSERT_EQUAL(a.status, IBVMIG_ADMIN_OK);
	expect_uint(&a, 0, IBVMIG_TAG_COUNT, 1);
	fake_answer_free(&a);
	fake_ask(&h, IBVMIG_ADMIN_FLUSH, VG(2), &a);
	CU_ASSERT_EQUAL(a.status, IBVMIG_ADMIN_E_NOT_FOUND);
	CU_ASSERT_EQUAL(a.records, 0);
	fake_answer_free(&a);
	fake_ask(&h, IBVMIG_ADMIN_FLUSH, 0, &a);
	expect_uint(&a, 0, IBVMIG_TAG_COUNT, 2);
	fake_answer_free(&a);
	CU_ASSERT_EQUAL(stat_of(&h, IBVMIG_TAG_FLUSHED), 3);
	CU_ASSERT_EQUAL(status_of(&h, IBVMIG_TAG_ENTRIES), 0);
	fake_stop(&h);
}

/* ---- the log -------------------------------------------------------------------- */

static void test_log_level_filters_before_the_host(void)
{
	struct ibvmig_conf conf;
	struct fake_host h;
	size_t i;

	fake_conf(&conf, "");
	conf.log_level = UTIL_LOG_ERROR;
	fake_start(&h, &conf);
	fake_set(&h, VG(1), PORT_A, LID_A);
	eng_log_loaded(h.e);
	CU_ASSERT_EQUAL(h.n_logs, 0);
	fake_stop(&h);

	fake_start(&h, NULL);	/* verbose */
	fake_set(&h, VG(1), PORT_A, LID_A);
	eng_log_loaded(h.e);
	CU_ASSERT_EQUAL(fake_logged(&h, "alias 0x0002c903abcd0001 set on port 0x0002c90300000011 "
					"LID 4 index 1"), 1);
	CU_ASSERT_EQUAL(fake_logged(&h, "fake 1.0 loaded: trap TTL 3600 s, capacity 65536, "
					"UnPath on"), 1);
	for (i = 0; i < h.n_logs; i++)	/* the host ends the line */
		CU_ASSERT_NOT_EQUAL(h.logs[i][strlen(h.logs[i]) - 1], '\n');
	fake_stop(&h);
}

/* ---- the services table ------------------------------------------------------------ */

static char trail[128];
static int fail_row = -1;

static void note(const char *what, int row)
{
	size_t n = strlen(trail);

	snprintf(trail + n, sizeof(trail) - n, "%s%s%d", n ? " " : "", what, row);
}

#define ROW(i)                                                                                 \
	static int start##i(void *ctx)                                                         \
	{                                                                                      \
		(void)ctx;                                                                     \
		note("start", i);                                                              \
		return fail_row == i ? -EIO : 0;                                               \
	}                                                                                      \
	static __attribute__((unused)) void stop##i(void *ctx)                                \
	{                                                                                      \
		(void)ctx;                                                                     \
		note("stop", i);                                                               \
	}
ROW(0)
ROW(1)
ROW(2)
ROW(3)

static const struct eng_service rows[] = {
	{ "zero", start0, stop0 },
	{ "one", start1, stop1 },
	{ "two", start2, NULL },
	{ "three", start3, stop3 },
};

static void test_a_failed_service_undoes_the_started_ones_in_reverse(void)
{
	size_t failed = 99;

	trail[0] = '\0';
	fail_row = 3;
	CU_ASSERT_EQUAL(eng_services_start(rows, 4, NULL, &failed), -EIO);
	CU_ASSERT_EQUAL(failed, 3);
	CU_ASSERT_STRING_EQUAL(trail, "start0 start1 start2 start3 stop1 stop0");
	trail[0] = '\0';
	fail_row = 0;
	CU_ASSERT_EQUAL(eng_services_start(rows, 4, NULL, &failed), -EIO);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_STRING_EQUAL(trail, "start0");
}

static void test_services_stop_in_reverse(void)
{
	size_t failed = 99;

	trail[0] = '\0';
	fail_row = -1;
	CU_ASSERT_EQUAL(eng_services_start(rows, 4, NULL, &failed), 0);
	CU_ASSERT_EQUAL(failed, 99);
	eng_services_stop(rows, 4, NULL);
	CU_ASSERT_STRING_EQUAL(trail, "start0 start1 start2 start3 stop3 stop1 stop0");
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_a_migration_sends_unpath_then_repath),
		UNIT_TEST(test_notices_and_sm_reads_come_without_the_engine_lock),
		UNIT_TEST(test_a_failed_send_is_counted_and_logged),
		UNIT_TEST(test_notices_are_numbered_from_1_in_the_order_they_are_sent),
		UNIT_TEST(test_a_notice_that_could_not_be_sent_keeps_its_number),
		UNIT_TEST(test_numbers_go_out_in_order_whichever_thread_sends),
		UNIT_TEST(test_diff_ignores_index_0),
		UNIT_TEST(test_diff_leaves_a_port_that_changed_under_it),
		UNIT_TEST(test_diff_feeds_a_set_a_delete_and_a_replace_at_once),
		UNIT_TEST(test_diff_follows_the_table_growing_and_shrinking),
		UNIT_TEST(test_the_sm_handler_time_is_not_counted_as_ours),
		UNIT_TEST(test_every_change_counts_until_saved),
		UNIT_TEST(test_reconcile_follows_the_sm_aliases),
		UNIT_TEST(test_an_sa_change_during_the_list_is_not_undone_by_the_reconcile),
		UNIT_TEST(test_status_shows_the_host_and_its_sm),
		UNIT_TEST(test_traps_list_the_deleted_vguids),
		UNIT_TEST(test_subscribers_are_ours_only),
		UNIT_TEST(test_flush_answers_what_it_flushed),
		UNIT_TEST(test_log_level_filters_before_the_host),
		UNIT_TEST(test_a_failed_service_undoes_the_started_ones_in_reverse),
		UNIT_TEST(test_services_stop_in_reverse),
	};

	return unit_run("engine", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

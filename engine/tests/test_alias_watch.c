// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the alias watcher: which notices each alias event calls
 * for, with UnPath on and off, and what a reconcile finds that the SA feed
 * did not show - nothing missed, nothing reported twice.
 */
#include "alias_watch.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VG(n) (0x0002c903abcd0000ULL + (n))
#define PORT_A 0x0002c90300000011ULL
#define PORT_B 0x0002c90300000012ULL
#define PREFIX 0xfe80000000000000ULL
#define LID_A 4
#define LID_B 5

struct sent {
	uint16_t trap;
	struct ibvmig_path_notice n;
};

static struct sent sent[64];
static size_t nsent;

static void record(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	(void)ctx;
	if (nsent < 64) {
		sent[nsent].trap = trap;
		sent[nsent].n = *n;
	}
	nsent++;
}

static struct aw_watch *watch(bool unpath, uint64_t ttl_ms, uint32_t max_aliases)
{
	struct aw_config cfg = {
		.table = { .capacity = 1000, .ttl_ms = ttl_ms, .epoch = 42 },
		.unpath = unpath,
		.subnet_prefix = PREFIX,
		.max_aliases = max_aliases,
	};
	struct aw_watch *w = aw_create(&cfg, record, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	nsent = 0;
	return w;
}

static void expect(size_t i, uint16_t trap, uint8_t reason, uint16_t new_lid, uint64_t new_port,
		   uint16_t old_lid, uint64_t old_port)
{
	CU_ASSERT_FATAL(i < nsent);
	CU_ASSERT_EQUAL(sent[i].trap, trap);
	CU_ASSERT_EQUAL(sent[i].n.reason, reason);
	CU_ASSERT_EQUAL(sent[i].n.new_lid, new_lid);
	CU_ASSERT_EQUAL(sent[i].n.new_port_guid, new_port);
	CU_ASSERT_EQUAL(sent[i].n.old_lid, old_lid);
	CU_ASSERT_EQUAL(sent[i].n.old_port_guid, old_port);
	CU_ASSERT_EQUAL(sent[i].n.subnet_prefix, PREFIX);
	CU_ASSERT_EQUAL(sent[i].n.epoch, 42);
}

static void test_creation_sends_nothing(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	CU_ASSERT_EQUAL(aw_alias_set(w, VG(1), PORT_A, LID_A, 1), 0);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_destroy(w);
}

static void test_reboot_sends_unpath_then_restarted_repath(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	CU_ASSERT_EQUAL(aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2), 0);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(1), PORT_A, LID_A, 3), 0);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0, 0, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_RESTARTED, LID_A, PORT_A, LID_A, PORT_A);
	CU_ASSERT_EQUAL(sent[0].n.vguid, VG(1));
	CU_ASSERT(sent[0].n.seq < sent[1].n.seq);
	aw_destroy(w);
}

static void test_reboot_without_unpath_sends_nothing(void)
{
	struct aw_watch *w = watch(false, 0, 100);

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2);
	aw_alias_set(w, VG(1), PORT_A, LID_A, 3);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_destroy(w);
}

static void test_migration_sends_unpath_then_migrated_repath(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2);
	aw_alias_set(w, VG(1), PORT_B, LID_B, 3);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0, 0, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_B, PORT_B, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_migration_without_unpath_is_algorithm_1(void)
{
	struct aw_watch *w = watch(false, 0, 100);

	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2);	/* not live: ignored */
	aw_alias_set(w, VG(1), PORT_A, LID_A, 2);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 3);
	aw_alias_set(w, VG(1), PORT_B, LID_B, 4);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_B, PORT_B, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_move_with_same_lid(void)
{
	struct aw_watch *off = watch(false, 0, 100), *on;

	aw_alias_set(off, VG(1), PORT_A, LID_A, 1);
	aw_alias_deleted(off, VG(1), PORT_A, LID_A, 2);
	aw_alias_set(off, VG(1), PORT_B, LID_A, 3);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_destroy(off);
	on = watch(true, 0, 100);
	aw_alias_set(on, VG(1), PORT_A, LID_A, 1);
	aw_alias_deleted(on, VG(1), PORT_A, LID_A, 2);
	aw_alias_set(on, VG(1), PORT_B, LID_A, 3);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MOVED_SAME_LID, LID_A, PORT_B, LID_A, PORT_A);
	aw_destroy(on);
}

static void test_expired_vguid_sends_nothing_more(void)
{
	struct aw_watch *w = watch(true, 1000, 100);

	aw_alias_set(w, VG(1), PORT_A, LID_A, 0);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 10);
	aw_alias_set(w, VG(1), PORT_B, LID_B, 1010);
	CU_ASSERT_EQUAL(nsent, 1);
	CU_ASSERT_EQUAL(sent[0].trap, IBVMIG_TRAP_UNPATH);
	aw_destroy(w);
}

static void test_repeated_feeds_are_reported_once(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_stats st;

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2);
	CU_ASSERT_EQUAL(nsent, 1);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.ignored, 2);
	CU_ASSERT_EQUAL(st.unpath, 1);
	CU_ASSERT_EQUAL(st.live, 0);
	aw_destroy(w);
}

static void test_invalid_and_overflow(void)
{
	struct aw_watch *w = watch(true, 0, 2);
	struct aw_stats st;

	CU_ASSERT_EQUAL(aw_alias_set(w, 0, PORT_A, LID_A, 1), -EINVAL);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(1), 0, LID_A, 1), -EINVAL);
	CU_ASSERT_EQUAL(aw_alias_deleted(w, VG(1), PORT_A, 0xC000, 1), -EINVAL);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(1), PORT_A, LID_A, 1), 0);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(2), PORT_A, LID_A, 1), 0);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(3), PORT_A, LID_A, 1), -ENOSPC);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.overflow, 1);
	CU_ASSERT_EQUAL(st.live, 2);
	aw_destroy(w);
	CU_ASSERT_PTR_NULL(aw_create(NULL, record, NULL));
}

/* ---- reconcile --------------------------------------------------------- */

static void test_reconcile_of_the_same_state_finds_nothing(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_alias seen[] = { { VG(1), PORT_A, LID_A }, { VG(2), PORT_B, LID_B } };

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(2), PORT_B, LID_B, 1);
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 2, NULL, 0, 5), 0);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_destroy(w);
}

static void test_reconcile_finds_a_port_gone_with_its_aliases(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_alias seen[] = { { VG(3), PORT_B, LID_B } };

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(2), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(3), PORT_B, LID_B, 1);
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 1, NULL, 0, 5), 2);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_PORT_GONE, 0, 0, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_PORT_GONE, 0, 0, LID_A, PORT_A);
	/* When the VM comes back elsewhere, it is a migration. */
	aw_alias_set(w, VG(1), PORT_B, LID_B, 6);
	expect(2, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_B, PORT_B, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_reconcile_finds_a_base_lid_change(void)
{
	struct aw_watch *w = watch(false, 0, 100);
	struct aw_alias seen[] = { { VG(1), PORT_A, 9 }, { VG(2), PORT_A, 9 },
				   { VG(3), PORT_B, LID_B } };
	struct aw_stats st;

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(2), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(3), PORT_B, LID_B, 1);
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 3, NULL, 0, 5), 2);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_PORT_LID_CHANGED, 9, PORT_A, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_PORT_LID_CHANGED, 9, PORT_A, LID_A, PORT_A);
	CU_ASSERT(sent[0].n.seq < sent[1].n.seq);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.port_lid_changes, 2);
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 3, NULL, 0, 6), 0);
	aw_destroy(w);
}

static void test_reconcile_finds_an_unseen_move(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_alias seen[] = { { VG(1), PORT_B, LID_B } };

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 1, NULL, 0, 5), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0, 0, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_B, PORT_B, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_feed_after_reconcile_is_not_reported_twice(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_alias seen[] = { { VG(2), PORT_B, LID_B } };

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	/* The sweep saw VG(1) go and VG(2) come before the SA feed did. */
	aw_reconcile(w, seen, 1, NULL, 0, 2);
	CU_ASSERT_EQUAL(nsent, 1);
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 3);
	aw_alias_set(w, VG(2), PORT_B, LID_B, 3);
	CU_ASSERT_EQUAL(nsent, 1);
	aw_destroy(w);
}

static void test_reconcile_leaves_vguids_fed_since_its_list_to_the_sa(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	/* Listed: VG(1) (deleted since) and VG(3); not listed: VG(2) (set since). */
	struct aw_alias seen[] = { { VG(1), PORT_A, LID_A }, { VG(3), PORT_A, LID_A } };
	const uint64_t spare[] = { VG(1), VG(1), VG(2) };
	struct aw_stats st;

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(3), PORT_A, LID_A, 1);
	/* The feeds that came after the list was begun. */
	aw_alias_deleted(w, VG(1), PORT_A, LID_A, 2);
	aw_alias_set(w, VG(2), PORT_A, LID_A, 2);
	CU_ASSERT_EQUAL(nsent, 1);	/* VG(1)'s UnPath */
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 2, spare, 3, 3), 0);
	CU_ASSERT_EQUAL(nsent, 1);	/* no "restarted" for VG(1), no "port-gone" for VG(2) */
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.live, 2);
	CU_ASSERT_EQUAL(st.reconcile_spared, 2);
	/* The next reconcile, with nothing fed meanwhile, has the last word. */
	CU_ASSERT_EQUAL(aw_reconcile(w, seen + 1, 1, NULL, 0, 4), 1);
	expect(1, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_PORT_GONE, 0, 0, LID_A, PORT_A);
	CU_ASSERT_EQUAL(sent[1].n.vguid, VG(2));
	aw_destroy(w);
}

static void test_reconcile_skips_invalid_entries(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_alias seen[] = { { 0, PORT_A, 1 }, { VG(1), 0, 1 }, { VG(2), PORT_A, 0 },
				   { VG(3), PORT_A, LID_A } };
	struct aw_stats st;

	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 4, NULL, 0, 1), 1);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.live, 1);
	aw_destroy(w);
}

/*
 * Random feeds against a model of the live set: after any sequence, a
 * reconcile with the model's view must find nothing, and every notice's
 * sequence number must be new.
 */
static void test_random_feeds_stay_consistent(void)
{
	enum { KEYS = 300, STEPS = 200000 };
	struct aw_watch *w = watch(true, 50, KEYS);
	static uint64_t port_of[KEYS];
	static uint16_t lid_of[KEYS];
	struct aw_alias seen[KEYS];
	unsigned seed = 7, i, k, n;
	uint64_t last_seq = 0;
	size_t checked = 0;

	for (i = 0; i < STEPS; i++) {
		k = (unsigned)rand_r(&seed) % KEYS;
		if (port_of[k] && rand_r(&seed) % 2) {
			aw_alias_deleted(w, VG(k + 1), port_of[k], lid_of[k], i);
			port_of[k] = 0;
		} else if (!port_of[k]) {
			port_of[k] = rand_r(&seed) % 2 ? PORT_A : PORT_B;
			lid_of[k] = (uint16_t)(1 + rand_r(&seed) % 3);
			CU_ASSERT_EQUAL_FATAL(aw_alias_set(w, VG(k + 1), port_of[k], lid_of[k], i), 0);
		}
		for (; checked < nsent && checked < 64; checked++) {
			CU_ASSERT_FATAL(sent[checked].n.seq > last_seq);
			last_seq = sent[checked].n.seq;
		}
		if (nsent >= 64)
			nsent = checked = 0;
	}
	for (k = n = 0; k < KEYS; k++)
		if (port_of[k])
			seen[n++] = (struct aw_alias){ VG(k + 1), port_of[k], lid_of[k] };
	nsent = 0;
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, n, NULL, 0, STEPS), 0);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_destroy(w);
}

/* ---- across SM restarts ---------------------------------------------- */

#define PORT_C 0x0002c90300000013ULL
#define LID_C 6

/* What the plugin does across a restart: save at @now_ms, start a new watch, restore. */
static struct aw_watch *restart(struct aw_watch *before, bool unpath, uint64_t ttl_ms,
				uint32_t max_aliases, uint64_t now_ms)
{
	struct tt_entry_view *saved;
	struct aw_watch *after;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(aw_snapshot_live(before, now_ms, &saved, &n), 0);
	aw_destroy(before);
	after = watch(unpath, ttl_ms, max_aliases);
	CU_ASSERT_EQUAL(aw_restore_forgotten(after, saved, n), 0);
	free(saved);
	return after;
}

/* Hosts set their aliases again after the restart: only the one that moved is reported. */
static void test_alias_set_elsewhere_after_a_restart_is_a_migration(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_stats st;

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(2), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(3), PORT_B, LID_B, 1);
	w = restart(w, true, 0, 100, 5);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.forgotten, 3);
	CU_ASSERT_EQUAL(st.live, 0);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(2), PORT_A, LID_A, 10), 0);	/* same place */
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(4), PORT_A, LID_A, 10), 0);	/* a new VM */
	CU_ASSERT_EQUAL(nsent, 0);
	CU_ASSERT_EQUAL(aw_alias_set(w, VG(1), PORT_C, LID_C, 11), 0);	/* migrated meanwhile */
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_A, PORT_A);
	CU_ASSERT_EQUAL(sent[0].n.vguid, VG(1));
	/* Set again after a delete: the trap table's verdict, not the old place. */
	aw_alias_deleted(w, VG(1), PORT_C, LID_C, 12);
	aw_alias_set(w, VG(1), PORT_C, LID_C, 13);
	CU_ASSERT_EQUAL_FATAL(nsent, 3);
	expect(2, IBVMIG_TRAP_REPATH, IBVMIG_REASON_RESTARTED, LID_C, PORT_C, LID_C, PORT_C);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.migrated_while_down, 1);
	CU_ASSERT_EQUAL(st.forgotten, 1);	/* VG(3) has not come back */
	aw_destroy(w);
}

static void test_migration_while_down_without_unpath_still_repaths(void)
{
	struct aw_watch *w = watch(false, 0, 100);

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(2), PORT_A, LID_A, 1);
	w = restart(w, false, 0, 100, 5);
	aw_alias_set(w, VG(2), PORT_B, LID_A, 10);	/* same LID: Algorithm 1 is silent */
	aw_alias_set(w, VG(1), PORT_B, LID_B, 10);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_B, PORT_B, LID_A, PORT_A);
	aw_destroy(w);
}

/* A delete in the saved trap table and a forgotten alias: one notice, the table's. */
static void test_trap_table_verdict_wins_over_a_forgotten_alias(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct tt_entry_view old = { VG(1), PORT_A, 1, LID_A };

	CU_ASSERT_EQUAL(aw_restore_forgotten(w, &old, 1), 0);
	CU_ASSERT_EQUAL(aw_restore_forgotten(w, &old, 1), -EBUSY);
	CU_ASSERT_EQUAL(tt_delete(aw_table(w), VG(1), LID_B, PORT_B, 2, NULL), 0);
	aw_alias_set(w, VG(1), PORT_C, LID_C, 3);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_B, PORT_B);
	aw_destroy(w);
}

static void test_forgotten_aliases_expire_with_the_ttl(void)
{
	struct aw_watch *w = watch(true, 1000, 100);
	struct aw_stats st;

	aw_alias_set(w, VG(1), PORT_A, LID_A, 0);
	w = restart(w, true, 1000, 100, 10);
	aw_alias_set(w, VG(1), PORT_B, LID_B, 1010);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.forgotten, 0);
	aw_destroy(w);
}

/* A sweep that finds a forgotten alias elsewhere reports it as the SA feed would. */
static void test_reconcile_finds_a_migration_while_down(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_alias seen[] = { { VG(1), PORT_B, LID_B } };

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	w = restart(w, true, 0, 100, 5);
	CU_ASSERT_EQUAL(aw_reconcile(w, seen, 1, NULL, 0, 10), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_B, PORT_B, LID_A, PORT_A);
	aw_destroy(w);
}

/* Several restarts before a host comes back: the alias is not lost; the oldest give way. */
static void test_forgotten_aliases_survive_restarts_within_max_aliases(void)
{
	struct aw_watch *w = watch(true, 0, 3);
	struct tt_entry_view *saved;
	size_t n;

	aw_alias_set(w, VG(1), PORT_A, LID_A, 1);
	aw_alias_set(w, VG(2), PORT_A, LID_A, 1);
	w = restart(w, true, 0, 3, 5);
	aw_alias_set(w, VG(3), PORT_B, LID_B, 6);
	aw_alias_set(w, VG(4), PORT_B, LID_B, 6);	/* 4 would not fit: VG(1) gives way */
	CU_ASSERT_EQUAL(aw_snapshot_live(w, 3, &saved, &n), 0);	/* the clock went back */
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(saved[0].vguid, VG(2));
	CU_ASSERT_EQUAL(saved[0].deleted_at_ms, 5);
	CU_ASSERT_EQUAL(saved[1].deleted_at_ms, 5);
	CU_ASSERT_EQUAL(saved[2].lid, LID_B);
	free(saved);
	w = restart(w, true, 0, 3, 7);
	aw_alias_set(w, VG(2), PORT_C, LID_C, 8);
	aw_alias_set(w, VG(1), PORT_C, LID_C, 8);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_A, PORT_A);
	CU_ASSERT_EQUAL(sent[0].n.vguid, VG(2));
	aw_destroy(w);
}

/* ---- the extension's feed: reads of one port at a time --------------------------------- */

#define PORT_C 0x0002c90300000013ULL
#define LID_C 6

static void test_seen_on_the_new_port_first_then_gone_from_the_old_is_one_migration(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_stats st;

	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_A, LID_A, true, 1), 1);
	CU_ASSERT_EQUAL(nsent, 0);
	/* The poll reads C after the migration, A not yet: the alias on two ports. */
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_C, LID_C, true, 2), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0, 0, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_A, PORT_A);
	/* Then A's read no longer shows it: stale, nothing more. */
	CU_ASSERT_EQUAL(aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 3), 0);
	CU_ASSERT_EQUAL(nsent, 2);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.stale_gone, 1);
	CU_ASSERT_EQUAL(st.live, 1);
	aw_destroy(w);
}

static void test_gone_from_the_old_port_first_then_seen_on_the_new_is_one_migration(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	aw_alias_seen(w, VG(1), PORT_A, LID_A, true, 1);
	/* The poll reads A after the delete, C before the set: the alias on none. */
	CU_ASSERT_EQUAL(aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 2), 1);
	CU_ASSERT_EQUAL(aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 3), 0);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_C, LID_C, true, 4), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(0, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED, 0, 0, LID_A, PORT_A);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_seeing_an_alias_again_sends_nothing_and_counts_nothing(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_stats st;

	aw_alias_seen(w, VG(1), PORT_A, LID_A, false, 1);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_A, LID_A, false, 2), 0);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.ignored, 0);
	/* The base port's LID changed under it: the SM's doing, believed from any read. */
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_A, LID_B, false, 3), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_PORT_LID_CHANGED, LID_B, PORT_A, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_an_untrusted_move_is_held_and_a_trusted_read_releases_it(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_stats st;

	aw_alias_seen(w, VG(1), PORT_A, LID_A, false, 1);
	aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 2);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_C, LID_C, false, 3), 1);
	CU_ASSERT_EQUAL(nsent, 1);	/* the UnPath only: peers wait, nobody is re-pathed */
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.untrusted_moves, 1);
	/* Another port's confirmation releases nothing. */
	CU_ASSERT_EQUAL(aw_release_held(w, VG(1), PORT_B, 4), 0);
	CU_ASSERT_EQUAL(aw_release_held(w, VG(2), PORT_C, 4), 0);
	CU_ASSERT_EQUAL(aw_release_held(w, VG(1), PORT_C, 5), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_A, PORT_A);
	CU_ASSERT_EQUAL(aw_release_held(w, VG(1), PORT_C, 6), 0);	/* once */
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.held_released, 1);
	aw_destroy(w);
}

static void test_a_trusted_read_of_a_move_repaths_at_once(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	aw_alias_seen(w, VG(1), PORT_A, LID_A, false, 1);
	aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 2);
	aw_alias_seen(w, VG(1), PORT_C, LID_C, true, 3);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_an_untrusted_reboot_is_no_move_and_repaths(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	aw_alias_seen(w, VG(1), PORT_A, LID_A, false, 1);
	aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 2);
	aw_alias_seen(w, VG(1), PORT_A, LID_A, false, 3);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	expect(1, IBVMIG_TRAP_REPATH, IBVMIG_REASON_RESTARTED, LID_A, PORT_A, LID_A, PORT_A);
	aw_destroy(w);
}

static void test_a_held_move_that_moves_on_or_ages_is_never_sent(void)
{
	struct aw_watch *w = watch(true, 1000, 100);
	struct aw_stats st;

	aw_alias_seen(w, VG(1), PORT_A, LID_A, true, 1);
	aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 2);
	aw_alias_seen(w, VG(1), PORT_C, LID_C, false, 3);		/* held */
	aw_alias_gone(w, VG(1), PORT_C, LID_C, IBVMIG_REASON_DELETED, 4);	/* UnPath, dropped */
	CU_ASSERT_EQUAL(aw_release_held(w, VG(1), PORT_C, 5), 0);
	aw_alias_seen(w, VG(2), PORT_A, LID_A, true, 10);
	aw_alias_gone(w, VG(2), PORT_A, LID_A, IBVMIG_REASON_DELETED, 11);
	aw_alias_seen(w, VG(2), PORT_C, LID_C, false, 12);		/* held */
	CU_ASSERT_EQUAL(aw_release_held(w, VG(2), PORT_C, 2000), 0);	/* past the TTL */
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.untrusted_moves, 2);
	CU_ASSERT_EQUAL(st.held_dropped, 2);
	CU_ASSERT_EQUAL(st.held_released, 0);
	CU_ASSERT_EQUAL(st.repath, 0);
	aw_destroy(w);
}

static void test_gone_of_an_unknown_alias_or_a_bad_read_changes_nothing(void)
{
	struct aw_watch *w = watch(true, 0, 100);

	CU_ASSERT_EQUAL(aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 1), 0);
	CU_ASSERT_EQUAL(aw_alias_gone(w, 0, PORT_A, LID_A, IBVMIG_REASON_DELETED, 1), -EINVAL);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), 0, LID_A, true, 1), -EINVAL);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_A, 0, true, 1), -EINVAL);
	CU_ASSERT_EQUAL(nsent, 0);
	aw_destroy(w);
}

static void test_forget_live_makes_returns_silent_and_moves_migrations(void)
{
	struct aw_watch *w = watch(true, 0, 100);
	struct aw_stats st;

	aw_alias_seen(w, VG(1), PORT_A, LID_A, true, 1);
	aw_alias_seen(w, VG(2), PORT_B, LID_B, true, 1);
	CU_ASSERT_EQUAL(aw_forget_live(w, 2), 2);
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.live, 0);
	CU_ASSERT_EQUAL(st.forgotten, 2);
	CU_ASSERT_EQUAL(st.forgets, 1);
	/* The restarted SM's ports read empty: nothing is gone that was live. */
	CU_ASSERT_EQUAL(aw_alias_gone(w, VG(1), PORT_A, LID_A, IBVMIG_REASON_DELETED, 3), 0);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(1), PORT_A, LID_A, true, 4), 1);
	CU_ASSERT_EQUAL(nsent, 0);
	CU_ASSERT_EQUAL(aw_alias_seen(w, VG(2), PORT_C, LID_C, true, 5), 1);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	expect(0, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED, LID_C, PORT_C, LID_B, PORT_B);
	aw_destroy(w);
}

static void test_held_moves_are_bounded(void)
{
	struct aw_watch *w = watch(true, 0, 5000);
	struct aw_stats st;
	uint64_t i;

	for (i = 1; i <= 1100; i++) {
		aw_alias_seen(w, VG(i), PORT_A, LID_A, true, i);
		aw_alias_gone(w, VG(i), PORT_A, LID_A, IBVMIG_REASON_DELETED, i);
		aw_alias_seen(w, VG(i), PORT_C, LID_C, false, i);
	}
	aw_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.untrusted_moves, 1100);
	CU_ASSERT_EQUAL(st.held_dropped, 1100 - 1024);
	/* The oldest gave way; the newest is still held. */
	CU_ASSERT_EQUAL(aw_release_held(w, VG(1), PORT_C, 2000), 0);
	CU_ASSERT_EQUAL(aw_release_held(w, VG(1100), PORT_C, 2000), 1);
	aw_destroy(w);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_creation_sends_nothing),
		UNIT_TEST(test_reboot_sends_unpath_then_restarted_repath),
		UNIT_TEST(test_reboot_without_unpath_sends_nothing),
		UNIT_TEST(test_migration_sends_unpath_then_migrated_repath),
		UNIT_TEST(test_migration_without_unpath_is_algorithm_1),
		UNIT_TEST(test_move_with_same_lid),
		UNIT_TEST(test_expired_vguid_sends_nothing_more),
		UNIT_TEST(test_repeated_feeds_are_reported_once),
		UNIT_TEST(test_invalid_and_overflow),
		UNIT_TEST(test_reconcile_of_the_same_state_finds_nothing),
		UNIT_TEST(test_reconcile_finds_a_port_gone_with_its_aliases),
		UNIT_TEST(test_reconcile_finds_a_base_lid_change),
		UNIT_TEST(test_reconcile_finds_an_unseen_move),
		UNIT_TEST(test_feed_after_reconcile_is_not_reported_twice),
		UNIT_TEST(test_reconcile_leaves_vguids_fed_since_its_list_to_the_sa),
		UNIT_TEST(test_reconcile_skips_invalid_entries),
		UNIT_TEST(test_random_feeds_stay_consistent),
		UNIT_TEST(test_alias_set_elsewhere_after_a_restart_is_a_migration),
		UNIT_TEST(test_migration_while_down_without_unpath_still_repaths),
		UNIT_TEST(test_trap_table_verdict_wins_over_a_forgotten_alias),
		UNIT_TEST(test_forgotten_aliases_expire_with_the_ttl),
		UNIT_TEST(test_reconcile_finds_a_migration_while_down),
		UNIT_TEST(test_forgotten_aliases_survive_restarts_within_max_aliases),
		UNIT_TEST(test_seen_on_the_new_port_first_then_gone_from_the_old_is_one_migration),
		UNIT_TEST(test_gone_from_the_old_port_first_then_seen_on_the_new_is_one_migration),
		UNIT_TEST(test_seeing_an_alias_again_sends_nothing_and_counts_nothing),
		UNIT_TEST(test_an_untrusted_move_is_held_and_a_trusted_read_releases_it),
		UNIT_TEST(test_a_trusted_read_of_a_move_repaths_at_once),
		UNIT_TEST(test_an_untrusted_reboot_is_no_move_and_repaths),
		UNIT_TEST(test_a_held_move_that_moves_on_or_ages_is_never_sent),
		UNIT_TEST(test_gone_of_an_unknown_alias_or_a_bad_read_changes_nothing),
		UNIT_TEST(test_forget_live_makes_returns_silent_and_moves_migrations),
		UNIT_TEST(test_held_moves_are_bounded),
	};

	return unit_run("alias_watch", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the VM path cache: lookups, every ordering case of RePath
 * and UnPath (reordered, duplicated, A->B->C in every order, epochs), SA
 * answers against notices, the suspension limit, the max age, capacity and
 * LRU eviction, and a randomized check against a trivially correct model.
 */
#include "ibvmig_path_cache.h"
#include "unit.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX 0xfe80000000000000ULL
#define VG(n) (0x0002c90300b00000ULL + (n))
#define LID_A 5
#define LID_B 9
#define LID_C 13
#define EPOCH 0x5eed

static struct ibvmig_pc_cache *cache_with(uint32_t capacity, uint64_t max_age, uint64_t limit)
{
	struct ibvmig_pc_config cfg = {
		.capacity = capacity, .max_age_ms = max_age, .suspend_limit_ms = limit,
	};
	struct ibvmig_pc_cache *c = ibvmig_pc_create(&cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

/* A full path record to @guid through @dlid, every other field set. */
static struct ibvmig_sa_path path_to(uint64_t guid, uint16_t dlid)
{
	return (struct ibvmig_sa_path){
		.dgid_prefix = PREFIX, .dgid_guid = guid, .sgid_prefix = PREFIX,
		.sgid_guid = 0x0002c90300000001ULL, .dlid = dlid, .slid = 1,
		.flow_label = 0x12345, .hop_limit = 1, .tclass = 3, .reversible = true,
		.numb_path = 1, .pkey = 0xffff, .qos_class = 7, .sl = 2, .mtu_selector = 2,
		.mtu = 4, .rate_selector = 2, .rate = 3, .pkt_life_selector = 2,
		.pkt_life = 18, .preference = 0,
	};
}

static void insert(struct ibvmig_pc_cache *c, uint64_t guid, uint16_t dlid, uint64_t now)
{
	struct ibvmig_sa_path p = path_to(guid, dlid);

	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &p, NULL, now), 0);
}

static struct ibvmig_path_notice notice_of(uint64_t guid, uint32_t epoch, uint64_t seq,
					   uint16_t new_lid)
{
	return (struct ibvmig_path_notice){
		.version = IBVMIG_NOTICE_VERSION,
		.reason = new_lid ? IBVMIG_REASON_MIGRATED : IBVMIG_REASON_DELETED,
		.new_lid = new_lid, .subnet_prefix = PREFIX, .vguid = guid,
		.epoch = epoch, .seq = seq,
	};
}

static int repath(struct ibvmig_pc_cache *c, uint64_t guid, uint32_t epoch, uint64_t seq,
		  uint16_t lid, uint64_t now)
{
	struct ibvmig_path_notice n = notice_of(guid, epoch, seq, lid);

	return ibvmig_pc_apply_notice(c, IBVMIG_TRAP_REPATH, &n, now);
}

static int unpath(struct ibvmig_pc_cache *c, uint64_t guid, uint32_t epoch, uint64_t seq,
		  uint64_t now)
{
	struct ibvmig_path_notice n = notice_of(guid, epoch, seq, 0);

	return ibvmig_pc_apply_notice(c, IBVMIG_TRAP_UNPATH, &n, now);
}

/* The DLID a lookup hits, or 0 with the result in *@r. */
static uint16_t dlid_of(struct ibvmig_pc_cache *c, uint64_t guid, uint64_t now, int *r)
{
	struct ibvmig_sa_path p = { .dlid = 0 };
	int rc = ibvmig_pc_lookup(c, PREFIX, guid, now, &p);

	if (r)
		*r = rc;
	return rc == IBVMIG_PC_HIT ? p.dlid : 0;
}

static struct ibvmig_pc_stats stats_of(struct ibvmig_pc_cache *c)
{
	struct ibvmig_pc_stats st;

	ibvmig_pc_get_stats(c, &st);
	return st;
}

/* ---- lookups ------------------------------------------------------------ */

static void test_miss_then_insert_then_hit(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_sa_path want = path_to(VG(1), LID_A), got;

	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 0, &got), IBVMIG_PC_MISS);
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &want, NULL, 1), 0);
	memset(&got, 0, sizeof(got));
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 2, &got), IBVMIG_PC_HIT);
	CU_ASSERT_EQUAL(memcmp(&got, &want, sizeof(got)), 0);
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 3, NULL), IBVMIG_PC_HIT);
	/* Another subnet prefix is another GID. */
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX + 1, VG(1), 4, NULL), IBVMIG_PC_MISS);
	CU_ASSERT_EQUAL(stats_of(c).hits, 2);
	CU_ASSERT_EQUAL(stats_of(c).misses, 2);
	CU_ASSERT_EQUAL(stats_of(c).count, 1);
	ibvmig_pc_destroy(c);
}

static void test_suspended_lookup_gives_no_lid(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_sa_path got;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 1), IBVMIG_PC_APPLIED);
	memset(&got, 0xAB, sizeof(got));
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 2, &got), IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(got.dlid, 0xABAB);	/* untouched: never the stale LID */
	CU_ASSERT_EQUAL(stats_of(c).suspended, 1);
	CU_ASSERT_EQUAL(stats_of(c).suspended_now, 1);
	ibvmig_pc_destroy(c);
}

static void test_bad_inputs_are_rejected_and_change_nothing(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_sa_path p = path_to(VG(1), LID_A);
	struct ibvmig_path_notice n = notice_of(VG(1), EPOCH, 1, LID_B);
	struct ibvmig_pc_config cfg = { .capacity = 0 };
	struct ibvmig_pc_stats st;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, 0, 1, NULL), -EINVAL);
	p.dlid = 0;
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &p, NULL, 1), -EINVAL);
	p.dlid = 0xC000;	/* multicast */
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &p, NULL, 1), -EINVAL);
	p = path_to(0, LID_A);
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &p, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, NULL, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(ibvmig_pc_apply_notice(c, 70, &n, 1), -EINVAL);
	CU_ASSERT_EQUAL(ibvmig_pc_apply_notice(c, IBVMIG_TRAP_REPATH, NULL, 1), -EINVAL);
	n.new_lid = 0;
	CU_ASSERT_EQUAL(ibvmig_pc_apply_notice(c, IBVMIG_TRAP_REPATH, &n, 1), -EINVAL);
	n.new_lid = 0xFFFF;
	CU_ASSERT_EQUAL(ibvmig_pc_apply_notice(c, IBVMIG_TRAP_REPATH, &n, 1), -EINVAL);
	n = notice_of(0, EPOCH, 1, 0);
	CU_ASSERT_EQUAL(ibvmig_pc_apply_notice(c, IBVMIG_TRAP_UNPATH, &n, 1), -EINVAL);
	st = stats_of(c);
	CU_ASSERT_EQUAL(st.rejected, 10);
	CU_ASSERT_EQUAL(st.inserts, 1);
	CU_ASSERT_EQUAL(st.repaths + st.unpaths + st.stale + st.uncached, 0);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 2, NULL), LID_A);
	/* Edges of the unicast range are accepted. */
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 1, 0xBFFF, 3), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, 1, 3), IBVMIG_PC_APPLIED);
	ibvmig_pc_destroy(c);

	errno = 0;
	CU_ASSERT_PTR_NULL(ibvmig_pc_create(&cfg));
	CU_ASSERT_EQUAL(errno, EINVAL);
	cfg.capacity = IBVMIG_PC_CAPACITY_MAX + 1;
	CU_ASSERT_PTR_NULL(ibvmig_pc_create(&cfg));
	CU_ASSERT_PTR_NULL(ibvmig_pc_create(NULL));
	ibvmig_pc_destroy(NULL);
}

/* ---- RePath and UnPath ------------------------------------------------- */

static void test_repath_changes_only_the_dlid(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_sa_path want = path_to(VG(1), LID_B), got;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 1, LID_B, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 2, &got), IBVMIG_PC_HIT);
	CU_ASSERT_EQUAL(memcmp(&got, &want, sizeof(got)), 0);
	CU_ASSERT_EQUAL(stats_of(c).repaths, 1);
	ibvmig_pc_destroy(c);
}

static void test_unpath_then_repath_resumes_on_new_lid(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 2, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 3), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 4, NULL), LID_B);
	CU_ASSERT_EQUAL(stats_of(c).unpaths, 1);
	CU_ASSERT_EQUAL(stats_of(c).suspended_now, 0);
	ibvmig_pc_destroy(c);
}

static void test_repath_before_unpath_keeps_the_new_path(void)
{
	/* Reordered delivery: the RePath (seq 2) overtakes its UnPath (seq 1). */
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 2), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 3, NULL), LID_B);
	CU_ASSERT_EQUAL(stats_of(c).stale, 1);
	CU_ASSERT_EQUAL(stats_of(c).unpaths, 0);
	ibvmig_pc_destroy(c);
}

static void test_duplicates_are_stale(void)
{
	/* A hypervisor with two ports receives every notice twice. */
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 2), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 3), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 4), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 5), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 6, &r), LID_B);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_HIT);
	CU_ASSERT_EQUAL(stats_of(c).stale, 3);
	ibvmig_pc_destroy(c);
}

static void test_late_repath_never_rolls_back(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 4, LID_C, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 2), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 3, NULL), LID_C);
	ibvmig_pc_destroy(c);
}

/*
 * A VM migrates A -> B -> C: U1 (left A), R2 (at B), U3 (left B), R4 (at C).
 * Whatever the order of delivery, after each delivery the entry shows what
 * the newest notice delivered so far says, and after all four: C.
 */
static void apply_sequence(const int *order, unsigned n)
{
	static const uint16_t lid_of[5] = { 0, 0, LID_B, 0, LID_C };
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	unsigned k, newest = 0;
	int r;

	insert(c, VG(1), LID_A, 0);
	for (k = 0; k < n; k++) {
		int s = order[k], rc;

		rc = lid_of[s] ? repath(c, VG(1), EPOCH, (uint64_t)s, lid_of[s], k + 1)
			       : unpath(c, VG(1), EPOCH, (uint64_t)s, k + 1);
		CU_ASSERT_EQUAL(rc, (unsigned)s > newest ? IBVMIG_PC_APPLIED : IBVMIG_PC_STALE);
		if ((unsigned)s > newest)
			newest = (unsigned)s;
		CU_ASSERT_EQUAL(dlid_of(c, VG(1), k + 1, &r), lid_of[newest]);
		CU_ASSERT_EQUAL(r, lid_of[newest] ? IBVMIG_PC_HIT : IBVMIG_PC_SUSPENDED);
	}
	ibvmig_pc_destroy(c);
}

/* Applies every order of @order[@k..3] after the fixed @order[0..@k-1]. */
static unsigned permute(int *order, unsigned k)
{
	unsigned i, n = 0;
	int t;

	if (k == 4) {
		apply_sequence(order, 4);
		return 1;
	}
	for (i = k; i < 4; i++) {
		t = order[k], order[k] = order[i], order[i] = t;
		n += permute(order, k + 1);
		t = order[k], order[k] = order[i], order[i] = t;
	}
	return n;
}

static void test_abc_migration_in_every_order(void)
{
	int order[4] = { 1, 2, 3, 4 };

	CU_ASSERT_EQUAL(permute(order, 0), 24);
}

static void test_abc_with_notices_lost(void)
{
	/* Only the UnPath of the second hop arrives, then its RePath: C. */
	static const int lost_r2[] = { 1, 3, 4 };
	/* The first hop's notices come last, after C is known. */
	static const int late_first[] = { 3, 4, 2, 1 };
	/* Only U3: suspended, never B's stale LID. */
	static const int only_u3[] = { 3, 2 };

	apply_sequence(lost_r2, 3);
	apply_sequence(late_first, 4);
	apply_sequence(only_u3, 2);
}

static void test_notice_for_uncached_gid_is_ignored(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_path_notice n = notice_of(VG(1), EPOCH, 5, LID_B);

	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 5, LID_B, 0), IBVMIG_PC_UNCACHED);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 6, 0), IBVMIG_PC_UNCACHED);
	/* Same vGUID, another subnet prefix: another GID. */
	insert(c, VG(1), LID_A, 1);
	n.subnet_prefix = PREFIX + 1;
	CU_ASSERT_EQUAL(ibvmig_pc_apply_notice(c, IBVMIG_TRAP_REPATH, &n, 2), IBVMIG_PC_UNCACHED);
	/* Nothing was remembered: the first notice after the insert applies. */
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 1, LID_C, 3), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 4, NULL), LID_C);
	CU_ASSERT_EQUAL(stats_of(c).uncached, 3);
	CU_ASSERT_EQUAL(stats_of(c).count, 1);
	ibvmig_pc_destroy(c);
}

/* ---- epochs ------------------------------------------------------------- */

static void test_new_epoch_wins_whatever_its_sequence(void)
{
	/* The SM restarted: a new random epoch, the count starts again. */
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), 1111, 900, LID_B, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(unpath(c, VG(1), 2222, 1, 2), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(repath(c, VG(1), 2222, 2, LID_C, 3), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 4, NULL), LID_C);
	/* ... and within the new epoch the usual order holds again. */
	CU_ASSERT_EQUAL(unpath(c, VG(1), 2222, 1, 5), IBVMIG_PC_STALE);
	ibvmig_pc_destroy(c);
}

static void test_old_epoch_after_new_epoch_is_applied(void)
{
	/*
	 * Epochs are random and an SM that regains mastership keeps its own, so
	 * no receiver can tell an old epoch from a new one: a notice of the old
	 * epoch delayed past the new epoch's wins (path-cache rule 6) until the
	 * next notice of the new epoch, which wins in turn.
	 */
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_pc_entry_view *v;
	size_t n;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), 2222, 1, LID_C, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(repath(c, VG(1), 1111, 900, LID_B, 2), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 3, NULL), LID_B);
	CU_ASSERT_EQUAL_FATAL(ibvmig_pc_snapshot(c, 3, &v, &n), 0);
	CU_ASSERT_EQUAL(v[0].stamp.epoch, 1111);
	CU_ASSERT_EQUAL(v[0].stamp.seq, 900);
	free(v);
	CU_ASSERT_EQUAL(repath(c, VG(1), 2222, 2, LID_C, 4), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 5, NULL), LID_C);
	/* The way out without a notice: invalidate, and ask the SA again. */
	CU_ASSERT_EQUAL(repath(c, VG(1), 1111, 901, LID_B, 6), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(ibvmig_pc_invalidate(c, PREFIX, VG(1)), 0);
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 7, NULL), IBVMIG_PC_MISS);
	ibvmig_pc_destroy(c);
}

/* ---- SA answers against notices ------------------------------------------ */

static void test_insert_clears_suspension(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 1), IBVMIG_PC_APPLIED);
	insert(c, VG(1), LID_B, 2);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 3, NULL), LID_B);
	CU_ASSERT_EQUAL(stats_of(c).resumed_by_insert, 1);
	CU_ASSERT_EQUAL(stats_of(c).refreshed, 1);
	CU_ASSERT_EQUAL(stats_of(c).suspended_now, 0);
	/* The UnPath's stamp is still held: its duplicate does not re-suspend. */
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 4), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 5, NULL), LID_B);
	ibvmig_pc_destroy(c);
}

static void test_insert_keeps_the_notice_stamp(void)
{
	/* Late notices older than one applied stay stale; newer ones apply. */
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 5, LID_B, 1), IBVMIG_PC_APPLIED);
	insert(c, VG(1), LID_C, 2);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 3, LID_A, 3), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 5, 3), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 4, NULL), LID_C);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 6, LID_B, 5), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 6, NULL), LID_B);
	ibvmig_pc_destroy(c);
}

static void test_sa_no_path_suspends_until_the_repath(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 1000);
	struct ibvmig_pc_stamp five = { EPOCH, 5 };
	struct ibvmig_pc_stats st;
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 4, LID_A, 1), IBVMIG_PC_APPLIED);
	/* UnPath 5 was lost; the SA, asked after it, has no path. */
	CU_ASSERT_EQUAL(ibvmig_pc_suspend(c, PREFIX, VG(1), &five, 10), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 11, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	/* The lost UnPath, late, is older than the answer; the RePath resumes it. */
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 5, 12), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 6, LID_B, 13), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 14, NULL), LID_B);
	/* Already suspended by an UnPath: the clock runs from the UnPath. */
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 7, 100), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(ibvmig_pc_suspend(c, PREFIX, VG(1), NULL, 900), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 1100, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_MISS);		/* expired at 1100, not at 1900 */
	/* An uncached GID: nothing to suspend. */
	CU_ASSERT_EQUAL(ibvmig_pc_suspend(c, PREFIX, VG(2), NULL, 1200), IBVMIG_PC_UNCACHED);
	CU_ASSERT_EQUAL(ibvmig_pc_suspend(c, PREFIX, 0, NULL, 1200), -EINVAL);
	/* An insert resumes a suspension by the SA too. */
	insert(c, VG(3), LID_A, 1300);
	CU_ASSERT_EQUAL(ibvmig_pc_suspend(c, PREFIX, VG(3), NULL, 1301), IBVMIG_PC_APPLIED);
	insert(c, VG(3), LID_C, 1302);
	CU_ASSERT_EQUAL(dlid_of(c, VG(3), 1303, NULL), LID_C);
	ibvmig_pc_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.suspended_now, 0);
	ibvmig_pc_destroy(c);
}

static void test_insert_with_agent_stamp(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	struct ibvmig_sa_path p = path_to(VG(1), LID_B);
	struct ibvmig_pc_stamp seven = { EPOCH, 7 }, three = { EPOCH, 3 };

	/* The agent had seen seq 7 when it asked the SA: 5 is older than the answer. */
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &p, &seven, 0), 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 5, LID_A, 1), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 7, LID_A, 1), IBVMIG_PC_STALE);
	/* An older stamp never lowers the held one. */
	CU_ASSERT_EQUAL(ibvmig_pc_insert(c, &p, &three, 2), 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 6, 3), IBVMIG_PC_STALE);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 8, LID_C, 4), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 5, NULL), LID_C);
	ibvmig_pc_destroy(c);
}

static void test_unstamped_entry_takes_any_notice(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 0, LID_B, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 2, NULL), LID_B);
	ibvmig_pc_destroy(c);
}

/* ---- suspension limit ------------------------------------------------------ */

struct drops {
	unsigned n;
	uint64_t guid[16];
	enum ibvmig_pc_drop_reason reason[16];
	enum ibvmig_pc_state state[16];
};

static void record_drop(void *ctx, const struct ibvmig_pc_entry_view *v,
			enum ibvmig_pc_drop_reason reason)
{
	struct drops *d = ctx;

	if (d->n < 16) {
		d->guid[d->n] = v->path.dgid_guid;
		d->reason[d->n] = reason;
		d->state[d->n] = v->state;
	}
	d->n++;
}

static struct ibvmig_pc_cache *cache_recording(struct drops *d, uint32_t capacity, uint64_t max_age,
					uint64_t limit)
{
	struct ibvmig_pc_config cfg = {
		.capacity = capacity, .max_age_ms = max_age, .suspend_limit_ms = limit,
		.on_drop = record_drop, .drop_ctx = d,
	};
	struct ibvmig_pc_cache *c = ibvmig_pc_create(&cfg);

	memset(d, 0, sizeof(*d));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void test_suspension_limit_drops_the_entry(void)
{
	struct drops d;
	struct ibvmig_pc_cache *c = cache_recording(&d, 8, 0, 50);
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 100), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 149, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 150, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_MISS);
	CU_ASSERT_EQUAL(stats_of(c).expired, 1);
	CU_ASSERT_EQUAL(stats_of(c).count, 0);
	CU_ASSERT_EQUAL(stats_of(c).suspended_now, 0);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_EQUAL(d.guid[0], VG(1));
	CU_ASSERT_EQUAL(d.reason[0], IBVMIG_PC_DROP_SUSPENSION_EXPIRED);
	CU_ASSERT_EQUAL(d.state[0], IBVMIG_PC_STATE_SUSPENDED);
	/* The RePath that comes too late finds nothing. */
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 151), IBVMIG_PC_UNCACHED);
	ibvmig_pc_destroy(c);
}

static void test_newer_unpath_restarts_the_clock(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 50);
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 100), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 140), IBVMIG_PC_STALE);	/* duplicate: no */
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 3, 140), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 189, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(ibvmig_pc_expire(c, 190), 1);
	ibvmig_pc_destroy(c);
}

static void test_zero_limit_suspends_until_repath(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 0);
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 1), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(ibvmig_pc_expire(c, UINT64_MAX / 2), 0);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), UINT64_MAX / 2, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, UINT64_MAX / 2), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), UINT64_MAX / 2, NULL), LID_B);
	ibvmig_pc_destroy(c);
}

static void test_expire_sweeps_in_suspension_order(void)
{
	struct drops d;
	struct ibvmig_pc_cache *c = cache_recording(&d, 8, 0, 100);
	int i;

	for (i = 1; i <= 4; i++)
		insert(c, VG(i), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(3), EPOCH, 1, 10), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 20), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(unpath(c, VG(4), EPOCH, 1, 30), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 2, LID_B, 40), IBVMIG_PC_APPLIED); /* resumed */
	CU_ASSERT_EQUAL(ibvmig_pc_expire(c, 109), 0);
	CU_ASSERT_EQUAL(ibvmig_pc_expire(c, 130), 2);
	CU_ASSERT_EQUAL(d.n, 2);
	CU_ASSERT_EQUAL(d.guid[0], VG(3));
	CU_ASSERT_EQUAL(d.guid[1], VG(4));
	CU_ASSERT_EQUAL(stats_of(c).count, 2);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 131, NULL), LID_B);
	CU_ASSERT_EQUAL(dlid_of(c, VG(2), 131, NULL), LID_A);
	ibvmig_pc_destroy(c);
}

/* ---- max age ------------------------------------------------------------- */

static void test_max_age_wants_a_fresh_answer(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 100, 0);
	struct ibvmig_pc_entry_view *v;
	size_t n;
	int r;

	insert(c, VG(1), LID_A, 0);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 4, LID_B, 50), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 99, &r), LID_B);	/* a RePath is no refresh */
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 100, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_MISS);
	CU_ASSERT_EQUAL(stats_of(c).aged, 1);
	CU_ASSERT_EQUAL(stats_of(c).misses, 1);
	/* The aged entry stays, with its stamp. */
	CU_ASSERT_EQUAL_FATAL(ibvmig_pc_snapshot(c, 100, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(v[0].state, IBVMIG_PC_STATE_AGED);
	CU_ASSERT_EQUAL(v[0].stamp.seq, 4);
	free(v);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 3, LID_A, 101), IBVMIG_PC_STALE);
	insert(c, VG(1), LID_C, 102);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 201, NULL), LID_C);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 202, NULL), 0);
	ibvmig_pc_destroy(c);
}

/* ---- capacity -------------------------------------------------------------- */

static void test_full_cache_evicts_least_recently_used(void)
{
	struct drops d;
	struct ibvmig_pc_cache *c = cache_recording(&d, 3, 0, 0);
	int r;

	insert(c, VG(1), LID_A, 0);
	insert(c, VG(2), LID_A, 1);
	insert(c, VG(3), LID_A, 2);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 3, NULL), LID_A);	/* 2 is now the oldest use */
	insert(c, VG(4), LID_A, 4);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_EQUAL(d.guid[0], VG(2));
	CU_ASSERT_EQUAL(d.reason[0], IBVMIG_PC_DROP_EVICTED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(2), 5, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_MISS);
	/* A refresh of a cached GID evicts nothing. */
	insert(c, VG(3), LID_B, 6);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_EQUAL(stats_of(c).evicted, 1);
	CU_ASSERT_EQUAL(stats_of(c).count, 3);
	ibvmig_pc_destroy(c);
}

static void test_notices_do_not_count_as_use(void)
{
	struct drops d;
	struct ibvmig_pc_cache *c = cache_recording(&d, 2, 0, 0);

	insert(c, VG(1), LID_A, 0);
	insert(c, VG(2), LID_A, 1);
	CU_ASSERT_EQUAL(repath(c, VG(1), EPOCH, 1, LID_B, 2), IBVMIG_PC_APPLIED);
	insert(c, VG(3), LID_A, 3);
	CU_ASSERT_EQUAL(d.n, 1);
	CU_ASSERT_EQUAL(d.guid[0], VG(1));
	ibvmig_pc_destroy(c);
}

static void test_suspended_lookup_counts_as_use(void)
{
	struct drops d;
	struct ibvmig_pc_cache *c = cache_recording(&d, 2, 0, 0);

	insert(c, VG(1), LID_A, 0);
	insert(c, VG(2), LID_A, 1);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 2), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(ibvmig_pc_lookup(c, PREFIX, VG(1), 3, NULL), IBVMIG_PC_SUSPENDED);
	insert(c, VG(3), LID_A, 4);
	CU_ASSERT_EQUAL(d.guid[0], VG(2));
	/* Evicting a suspended entry leaves no suspension behind. */
	insert(c, VG(4), LID_A, 5);
	CU_ASSERT_EQUAL(d.guid[1], VG(1));
	CU_ASSERT_EQUAL(stats_of(c).suspended_now, 0);
	ibvmig_pc_destroy(c);
}

static void test_capacity_of_one(void)
{
	struct ibvmig_pc_cache *c = cache_with(1, 0, 0);
	int i;

	for (i = 1; i <= 100; i++) {
		insert(c, VG(i), (uint16_t)i, (uint64_t)i);
		CU_ASSERT_EQUAL(dlid_of(c, VG(i), (uint64_t)i, NULL), i);
	}
	CU_ASSERT_EQUAL(stats_of(c).evicted, 99);
	CU_ASSERT_EQUAL(stats_of(c).count, 1);
	ibvmig_pc_destroy(c);
}

/* ---- time, invalidation, flush, snapshot ----------------------------------- */

static void test_time_going_back_is_clamped(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 0, 50);
	int r;

	insert(c, VG(1), LID_A, 1000);
	CU_ASSERT_EQUAL(unpath(c, VG(1), EPOCH, 1, 10), IBVMIG_PC_APPLIED);	/* taken as 1000 */
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 1049, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 5, &r), 0);
	CU_ASSERT_EQUAL(r, IBVMIG_PC_SUSPENDED);
	CU_ASSERT_EQUAL(ibvmig_pc_expire(c, 1050), 1);
	ibvmig_pc_destroy(c);
}

static void test_invalidate_and_flush(void)
{
	struct drops d;
	struct ibvmig_pc_cache *c = cache_recording(&d, 8, 0, 0);

	insert(c, VG(1), LID_A, 0);
	insert(c, VG(2), LID_A, 0);
	insert(c, VG(3), LID_A, 0);
	CU_ASSERT_EQUAL(unpath(c, VG(3), EPOCH, 1, 0), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(ibvmig_pc_invalidate(c, PREFIX, VG(1)), 0);
	CU_ASSERT_EQUAL(ibvmig_pc_invalidate(c, PREFIX, VG(1)), -ENOENT);
	CU_ASSERT_EQUAL(d.reason[0], IBVMIG_PC_DROP_INVALIDATED);
	CU_ASSERT_EQUAL(ibvmig_pc_flush(c), 2);
	CU_ASSERT_EQUAL(ibvmig_pc_flush(c), 0);
	CU_ASSERT_EQUAL(d.n, 3);
	CU_ASSERT_EQUAL(d.reason[2], IBVMIG_PC_DROP_FLUSHED);
	CU_ASSERT_EQUAL(stats_of(c).count, 0);
	CU_ASSERT_EQUAL(stats_of(c).suspended_now, 0);
	CU_ASSERT_EQUAL(stats_of(c).invalidated, 1);
	CU_ASSERT_EQUAL(stats_of(c).flushed, 2);
	/* Entries freed are reused. */
	insert(c, VG(4), LID_B, 1);
	CU_ASSERT_EQUAL(dlid_of(c, VG(4), 1, NULL), LID_B);
	ibvmig_pc_destroy(c);
}

static void test_snapshot_shows_use_order_and_states(void)
{
	struct ibvmig_pc_cache *c = cache_with(8, 100, 0);
	struct ibvmig_pc_entry_view *v;
	size_t n;

	CU_ASSERT_EQUAL(ibvmig_pc_snapshot(c, 0, &v, &n), 0);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(n, 0);
	insert(c, VG(1), LID_A, 0);
	insert(c, VG(2), LID_B, 60);
	insert(c, VG(3), LID_C, 70);
	CU_ASSERT_EQUAL(unpath(c, VG(2), EPOCH, 9, 80), IBVMIG_PC_APPLIED);
	CU_ASSERT_EQUAL(dlid_of(c, VG(1), 90, NULL), LID_A);
	CU_ASSERT_EQUAL_FATAL(ibvmig_pc_snapshot(c, 100, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(v[0].path.dgid_guid, VG(1));
	CU_ASSERT_EQUAL(v[0].state, IBVMIG_PC_STATE_AGED);
	CU_ASSERT_FALSE(v[0].stamped);
	CU_ASSERT_EQUAL(v[1].path.dgid_guid, VG(3));
	CU_ASSERT_EQUAL(v[1].state, IBVMIG_PC_STATE_ACTIVE);
	CU_ASSERT_EQUAL(v[1].inserted_at_ms, 70);
	CU_ASSERT_EQUAL(v[2].path.dgid_guid, VG(2));
	CU_ASSERT_EQUAL(v[2].state, IBVMIG_PC_STATE_SUSPENDED);
	CU_ASSERT_EQUAL(v[2].suspended_at_ms, 80);
	CU_ASSERT(v[2].stamped);
	CU_ASSERT_EQUAL(v[2].stamp.epoch, EPOCH);
	CU_ASSERT_EQUAL(v[2].stamp.seq, 9);
	free(v);
	ibvmig_pc_destroy(c);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(ibvmig_pc_lookup_result_name(IBVMIG_PC_SUSPENDED), "suspended");
	CU_ASSERT_STRING_EQUAL(ibvmig_pc_lookup_result_name(-EINVAL), "error");
	CU_ASSERT_STRING_EQUAL(ibvmig_pc_notice_result_name(IBVMIG_PC_STALE), "stale");
	CU_ASSERT_STRING_EQUAL(ibvmig_pc_drop_reason_name(IBVMIG_PC_DROP_SUSPENSION_EXPIRED),
			       "suspension-expired");
	CU_ASSERT_STRING_EQUAL(ibvmig_pc_state_name(IBVMIG_PC_STATE_AGED), "aged");
}

/* ---- randomized model check ------------------------------------------- */

/*
 * The reference: one slot per key, a use counter for LRU, scans for
 * everything.  Slow, obviously right.  Keys cover two subnet prefixes with
 * the same GUIDs, so that a notice must match both halves of the GID.
 */
#define MODEL_KEYS 48

struct mentry {
	bool present, stamped, suspended;
	struct ibvmig_sa_path path;
	uint32_t epoch;
	uint64_t seq, inserted_at, suspended_at, last_use;
};

struct model {
	struct ibvmig_pc_config cfg;
	struct mentry e[MODEL_KEYS];
	uint64_t now, uses;
	uint32_t count;
	struct ibvmig_pc_stats st;
};

static unsigned model_seed;

/* 30 random bits are plenty: LIDs, keys, stamps and times are all smaller. */
static uint64_t rng(void)
{
	return (uint64_t)rand_r(&model_seed);
}

static uint64_t key_prefix(unsigned k)
{
	return PREFIX + (k & 1);
}

static uint64_t key_guid(unsigned k)
{
	return VG(k / 2 + 1);
}

static void model_drop(struct model *m, unsigned k)
{
	m->e[k].present = false;
	m->count--;
}

static void model_tick(struct model *m, uint64_t now)
{
	unsigned k;

	if (now > m->now)
		m->now = now;
	for (k = 0; k < MODEL_KEYS; k++) {
		struct mentry *e = &m->e[k];

		if (e->present && e->suspended && m->cfg.suspend_limit_ms &&
		    m->now - e->suspended_at >= m->cfg.suspend_limit_ms) {
			model_drop(m, k);
			m->st.expired++;
		}
	}
}

static int model_lookup(struct model *m, unsigned k, uint64_t now, uint16_t *dlid)
{
	struct mentry *e = &m->e[k];

	model_tick(m, now);
	if (!e->present) {
		m->st.misses++;
		return IBVMIG_PC_MISS;
	}
	e->last_use = ++m->uses;
	if (e->suspended) {
		m->st.suspended++;
		return IBVMIG_PC_SUSPENDED;
	}
	if (m->cfg.max_age_ms && m->now - e->inserted_at >= m->cfg.max_age_ms) {
		m->st.aged++;
		m->st.misses++;
		return IBVMIG_PC_MISS;
	}
	m->st.hits++;
	*dlid = e->path.dlid;
	return IBVMIG_PC_HIT;
}

static bool newer(uint32_t epoch, uint64_t seq, const struct mentry *e)
{
	return !e->stamped || epoch != e->epoch || seq > e->seq;
}

static void model_insert(struct model *m, unsigned k, const struct ibvmig_sa_path *p,
			 const struct ibvmig_pc_stamp *s, uint64_t now)
{
	struct mentry *e = &m->e[k];
	unsigned j, lru = MODEL_KEYS;

	model_tick(m, now);
	if (e->present) {
		m->st.refreshed++;
		if (e->suspended)
			m->st.resumed_by_insert++;
	} else {
		if (m->count == m->cfg.capacity) {
			for (j = 0; j < MODEL_KEYS; j++)
				if (m->e[j].present &&
				    (lru == MODEL_KEYS || m->e[j].last_use < m->e[lru].last_use))
					lru = j;
			model_drop(m, lru);
			m->st.evicted++;
		}
		memset(e, 0, sizeof(*e));
		e->present = true;
		m->count++;
	}
	e->path = *p;
	e->suspended = false;
	e->inserted_at = m->now;
	if (s && newer(s->epoch, s->seq, e)) {
		e->stamped = true;
		e->epoch = s->epoch;
		e->seq = s->seq;
	}
	e->last_use = ++m->uses;
	m->st.inserts++;
}

static int model_notice(struct model *m, unsigned k, int trap, const struct ibvmig_path_notice *n,
			uint64_t now)
{
	struct mentry *e = &m->e[k];

	model_tick(m, now);
	if (!e->present) {
		m->st.uncached++;
		return IBVMIG_PC_UNCACHED;
	}
	if (!newer(n->epoch, n->seq, e)) {
		m->st.stale++;
		return IBVMIG_PC_STALE;
	}
	e->stamped = true;
	e->epoch = n->epoch;
	e->seq = n->seq;
	if (trap == IBVMIG_TRAP_REPATH) {
		e->path.dlid = n->new_lid;
		e->suspended = false;
		m->st.repaths++;
	} else {
		e->suspended = true;
		e->suspended_at = m->now;
		m->st.unpaths++;
	}
	return IBVMIG_PC_APPLIED;
}

static void compare_all(struct ibvmig_pc_cache *c, struct model *m)
{
	struct ibvmig_pc_entry_view *v;
	struct ibvmig_pc_stats st;
	uint64_t last = UINT64_MAX;
	uint32_t suspended = 0;
	size_t n, i;
	unsigned k;

	for (k = 0; k < MODEL_KEYS; k++)
		suspended += m->e[k].present && m->e[k].suspended;
	ibvmig_pc_get_stats(c, &st);
	CU_ASSERT_EQUAL_FATAL(st.count, m->count);
	CU_ASSERT_EQUAL_FATAL(st.suspended_now, suspended);
	CU_ASSERT_EQUAL_FATAL(st.hits, m->st.hits);
	CU_ASSERT_EQUAL_FATAL(st.misses, m->st.misses);
	CU_ASSERT_EQUAL_FATAL(st.aged, m->st.aged);
	CU_ASSERT_EQUAL_FATAL(st.suspended, m->st.suspended);
	CU_ASSERT_EQUAL_FATAL(st.inserts, m->st.inserts);
	CU_ASSERT_EQUAL_FATAL(st.refreshed, m->st.refreshed);
	CU_ASSERT_EQUAL_FATAL(st.resumed_by_insert, m->st.resumed_by_insert);
	CU_ASSERT_EQUAL_FATAL(st.repaths, m->st.repaths);
	CU_ASSERT_EQUAL_FATAL(st.unpaths, m->st.unpaths);
	CU_ASSERT_EQUAL_FATAL(st.stale, m->st.stale);
	CU_ASSERT_EQUAL_FATAL(st.uncached, m->st.uncached);
	CU_ASSERT_EQUAL_FATAL(st.expired, m->st.expired);
	CU_ASSERT_EQUAL_FATAL(st.evicted, m->st.evicted);
	CU_ASSERT_EQUAL_FATAL(st.invalidated, m->st.invalidated);

	CU_ASSERT_EQUAL_FATAL(ibvmig_pc_snapshot(c, m->now, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, m->count);
	for (i = 0; i < n; i++) {
		const struct mentry *e = NULL;

		for (k = 0; k < MODEL_KEYS; k++)
			if (m->e[k].present && key_guid(k) == v[i].path.dgid_guid &&
			    key_prefix(k) == v[i].path.dgid_prefix)
				e = &m->e[k];
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_FATAL(e->last_use < last);	/* most recently used first */
		last = e->last_use;
		CU_ASSERT_EQUAL_FATAL(memcmp(&v[i].path, &e->path, sizeof(e->path)), 0);
		CU_ASSERT_EQUAL_FATAL(v[i].state == IBVMIG_PC_STATE_SUSPENDED, e->suspended);
		CU_ASSERT_EQUAL_FATAL(v[i].stamped, e->stamped);
		if (e->stamped) {
			CU_ASSERT_EQUAL_FATAL(v[i].stamp.epoch, e->epoch);
			CU_ASSERT_EQUAL_FATAL(v[i].stamp.seq, e->seq);
		}
		CU_ASSERT_EQUAL_FATAL(v[i].inserted_at_ms, e->inserted_at);
	}
	free(v);
}

static uint64_t next_time(struct model *m)
{
	uint64_t r = rng() % 100;

	/* Mostly forward by a little, sometimes back (clamped), sometimes far. */
	if (r < 5)
		return m->now > 20 ? m->now - 20 : 0;
	if (r < 8)
		return m->now + 500;
	return m->now + rng() % 8;
}

static void model_step(struct ibvmig_pc_cache *c, struct model *m)
{
	unsigned k = (unsigned)(rng() % MODEL_KEYS), op = (unsigned)(rng() % 100);
	uint64_t now = next_time(m);
	struct ibvmig_sa_path got, p;
	uint16_t want = 0;
	int rc;

	if (op < 35) {
		int expect = model_lookup(m, k, now, &want);

		rc = ibvmig_pc_lookup(c, key_prefix(k), key_guid(k), now, &got);
		CU_ASSERT_EQUAL_FATAL(rc, expect);
		if (rc == IBVMIG_PC_HIT)
			CU_ASSERT_EQUAL_FATAL(got.dlid, want);
	} else if (op < 55) {
		struct ibvmig_pc_stamp s = { (uint32_t)(1 + rng() % 3), rng() % 12 };
		bool stamped = rng() % 4 == 0;

		p = path_to(key_guid(k), (uint16_t)(1 + rng() % 0xBFFF));
		p.dgid_prefix = key_prefix(k);
		p.sl = (uint8_t)(rng() % 16);
		model_insert(m, k, &p, stamped ? &s : NULL, now);
		CU_ASSERT_EQUAL_FATAL(ibvmig_pc_insert(c, &p, stamped ? &s : NULL, now), 0);
	} else if (op < 95) {
		/* Three epochs, a dozen sequence numbers: every ordering case. */
		int trap = rng() % 2 ? IBVMIG_TRAP_REPATH : IBVMIG_TRAP_UNPATH;
		struct ibvmig_path_notice n = notice_of(key_guid(k), (uint32_t)(1 + rng() % 3),
							rng() % 12,
							(uint16_t)(1 + rng() % 0xBFFF));

		n.subnet_prefix = key_prefix(k);
		rc = model_notice(m, k, trap, &n, now);
		CU_ASSERT_EQUAL_FATAL(ibvmig_pc_apply_notice(c, trap, &n, now), rc);
	} else if (op < 97) {
		rc = m->e[k].present ? 0 : -ENOENT;
		if (!rc) {
			model_drop(m, k);
			m->st.invalidated++;
		}
		CU_ASSERT_EQUAL_FATAL(ibvmig_pc_invalidate(c, key_prefix(k), key_guid(k)), rc);
	} else {
		uint64_t before = m->st.expired;

		model_tick(m, now);
		CU_ASSERT_EQUAL_FATAL(ibvmig_pc_expire(c, now), m->st.expired - before);
	}
}

static void run_model(uint32_t capacity, uint64_t max_age, uint64_t limit, unsigned long steps)
{
	struct model *m = calloc(1, sizeof(*m));
	struct ibvmig_pc_cache *c;
	unsigned long i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->cfg = (struct ibvmig_pc_config){
		.capacity = capacity, .max_age_ms = max_age, .suspend_limit_ms = limit,
	};
	c = ibvmig_pc_create(&m->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < steps; i++) {
		model_step(c, m);
		if (i % 97 == 0)
			compare_all(c, m);
	}
	compare_all(c, m);
	/* The run went through every case, or it proves less than it seems. */
	CU_ASSERT(m->st.hits && m->st.suspended && m->st.repaths && m->st.unpaths);
	CU_ASSERT(m->st.stale && m->st.uncached && m->st.refreshed && m->st.resumed_by_insert);
	CU_ASSERT(capacity >= MODEL_KEYS || m->st.evicted);
	CU_ASSERT(!limit || m->st.expired);
	CU_ASSERT(!max_age || m->st.aged);
	ibvmig_pc_destroy(c);
	free(m);
}

static unsigned long model_steps(void)
{
	const char *s = getenv("PC_MODEL_STEPS");

	return s ? strtoul(s, NULL, 0) : 200000;
}

static void test_model_small_cache_with_eviction(void)
{
	run_model(16, 200, 60, model_steps());
}

static void test_model_everything_fits_no_limits(void)
{
	run_model(MODEL_KEYS, 0, 0, model_steps());
}

static void test_model_one_entry(void)
{
	run_model(1, 30, 10, model_steps());
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_miss_then_insert_then_hit),
		UNIT_TEST(test_suspended_lookup_gives_no_lid),
		UNIT_TEST(test_bad_inputs_are_rejected_and_change_nothing),
		UNIT_TEST(test_repath_changes_only_the_dlid),
		UNIT_TEST(test_unpath_then_repath_resumes_on_new_lid),
		UNIT_TEST(test_repath_before_unpath_keeps_the_new_path),
		UNIT_TEST(test_duplicates_are_stale),
		UNIT_TEST(test_late_repath_never_rolls_back),
		UNIT_TEST(test_abc_migration_in_every_order),
		UNIT_TEST(test_abc_with_notices_lost),
		UNIT_TEST(test_notice_for_uncached_gid_is_ignored),
		UNIT_TEST(test_new_epoch_wins_whatever_its_sequence),
		UNIT_TEST(test_old_epoch_after_new_epoch_is_applied),
		UNIT_TEST(test_insert_clears_suspension),
		UNIT_TEST(test_insert_keeps_the_notice_stamp),
		UNIT_TEST(test_insert_with_agent_stamp),
		UNIT_TEST(test_sa_no_path_suspends_until_the_repath),
		UNIT_TEST(test_unstamped_entry_takes_any_notice),
		UNIT_TEST(test_suspension_limit_drops_the_entry),
		UNIT_TEST(test_newer_unpath_restarts_the_clock),
		UNIT_TEST(test_zero_limit_suspends_until_repath),
		UNIT_TEST(test_expire_sweeps_in_suspension_order),
		UNIT_TEST(test_max_age_wants_a_fresh_answer),
		UNIT_TEST(test_full_cache_evicts_least_recently_used),
		UNIT_TEST(test_notices_do_not_count_as_use),
		UNIT_TEST(test_suspended_lookup_counts_as_use),
		UNIT_TEST(test_capacity_of_one),
		UNIT_TEST(test_time_going_back_is_clamped),
		UNIT_TEST(test_invalidate_and_flush),
		UNIT_TEST(test_snapshot_shows_use_order_and_states),
		UNIT_TEST(test_names),
		UNIT_TEST(test_model_small_cache_with_eviction),
		UNIT_TEST(test_model_everything_fits_no_limits),
		UNIT_TEST(test_model_one_entry),
	};
	const char *seed = getenv("PC_SEED");

	model_seed = seed ? (unsigned)strtoul(seed, NULL, 0) : 0x1bad5eedu;
	printf("path cache model seed 0x%x (set PC_SEED to replay)\n", model_seed);
	return unit_run("path_cache", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the agent's mapping table: VMs and their vGUIDs, interests,
 * and the forwarding decision of Algorithm 2 - interested VMs only (or all),
 * never the VM the notice is about - plus a randomized check against a
 * trivially correct model.
 */
#include "agent_table.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX 0xfe80000000000000ULL
#define VG(n) (0x0002c903abcd0000ULL + (n))

static struct at_table *table(unsigned max_vms, unsigned max_interests)
{
	struct at_limits lim = { .max_vms = max_vms, .max_interests = max_interests };
	struct at_table *t = at_create(&lim);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void test_bad_limits_are_refused(void)
{
	struct at_limits lim = { 0, 1 };

	CU_ASSERT_PTR_NULL(at_create(&lim));
	CU_ASSERT_EQUAL(errno, EINVAL);
	lim = (struct at_limits){ AT_VMS_MAX + 1, 1 };
	CU_ASSERT_PTR_NULL(at_create(&lim));
	lim = (struct at_limits){ 1, 0 };
	CU_ASSERT_PTR_NULL(at_create(&lim));
	CU_ASSERT_PTR_NULL(at_create(NULL));
	at_destroy(NULL);
}

static void test_vm_names_and_vguids_are_unique(void)
{
	struct at_table *t = table(4, 8);
	struct at_vm vm;
	int a, b;

	a = at_vm_add(t, "vm-a", VG(1), 0);
	CU_ASSERT(a >= 0);
	CU_ASSERT_EQUAL(at_vm_add(t, "vm-a", VG(2), 0), -EEXIST);
	CU_ASSERT_EQUAL(at_vm_add(t, "vm-b", VG(1), 0), -EADDRINUSE);
	b = at_vm_add(t, "vm-b", 0, 7);
	CU_ASSERT(b >= 0 && b != a);
	CU_ASSERT(at_vm_add(t, "vm-c", 0, 0) >= 0);	/* several VMs without a vGUID */
	CU_ASSERT_EQUAL(at_vm_find(t, "vm-b"), b);
	CU_ASSERT_EQUAL(at_vm_find(t, "nobody"), -ENOENT);
	CU_ASSERT_EQUAL(at_vm_by_vguid(t, VG(1)), a);
	CU_ASSERT_EQUAL(at_vm_by_vguid(t, 0), -ENOENT);
	CU_ASSERT_EQUAL(at_vm_get(t, b, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.name, "vm-b");
	CU_ASSERT_EQUAL(vm.cid, 7);
	CU_ASSERT_EQUAL(at_vm_set_vguid(t, b, VG(1)), -EADDRINUSE);
	CU_ASSERT_EQUAL(at_vm_set_vguid(t, a, 0), 0);
	CU_ASSERT_EQUAL(at_vm_set_vguid(t, b, VG(1)), 0);
	CU_ASSERT_EQUAL(at_vm_by_vguid(t, VG(1)), b);
	CU_ASSERT_EQUAL(at_vm_set_vguid(t, 99, VG(3)), -ENOENT);
	CU_ASSERT_EQUAL(at_vm_count(t), 3);
	at_destroy(t);
}

static void test_bad_names_are_refused(void)
{
	struct at_table *t = table(4, 8);
	char long_name[AT_NAME_MAX + 2];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CU_ASSERT_EQUAL(at_vm_add(t, "", 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(at_vm_add(t, NULL, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(at_vm_add(t, "with space", 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(at_vm_add(t, "tab\tname", 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(at_vm_add(t, long_name, 0, 0), -EINVAL);
	long_name[AT_NAME_MAX] = '\0';
	CU_ASSERT(at_vm_add(t, long_name, 0, 0) >= 0);
	at_destroy(t);
}

static void test_full_table_and_id_reuse(void)
{
	struct at_table *t = table(2, 8);
	int a, b;

	a = at_vm_add(t, "a", 0, 0);
	b = at_vm_add(t, "b", 0, 0);
	CU_ASSERT_EQUAL(at_vm_add(t, "c", 0, 0), -ENOSPC);
	CU_ASSERT_EQUAL(at_vm_remove(t, a), 0);
	CU_ASSERT_EQUAL(at_vm_remove(t, a), -ENOENT);
	CU_ASSERT_EQUAL(at_vm_next(t, -1), b);
	CU_ASSERT_EQUAL(at_vm_next(t, b), -ENOENT);
	CU_ASSERT(at_vm_add(t, "c", 0, 0) >= 0);
	CU_ASSERT_EQUAL(at_vm_count(t), 2);
	at_destroy(t);
}

static void test_interests_are_sets_with_a_limit(void)
{
	struct at_table *t = table(2, 2);
	int a = at_vm_add(t, "a", 0, 0);
	struct at_vm vm;

	CU_ASSERT_EQUAL(at_interest_add(t, a, PREFIX, VG(1)), 1);
	CU_ASSERT_EQUAL(at_interest_add(t, a, PREFIX, VG(1)), 0);
	CU_ASSERT_EQUAL(at_interest_add(t, a, PREFIX, VG(2)), 1);
	CU_ASSERT_EQUAL(at_interest_add(t, a, PREFIX, VG(3)), -ENOSPC);
	CU_ASSERT_EQUAL(at_interest_add(t, a, PREFIX, 0), -EINVAL);
	CU_ASSERT_EQUAL(at_interest_add(t, 5, PREFIX, VG(3)), -ENOENT);
	CU_ASSERT(at_interest_has(t, a, PREFIX, VG(2)));
	CU_ASSERT(!at_interest_has(t, a, PREFIX + 1, VG(2)));	/* GIDs match exactly */
	CU_ASSERT_EQUAL(at_interest_del(t, a, PREFIX, VG(2)), 1);
	CU_ASSERT_EQUAL(at_interest_del(t, a, PREFIX, VG(2)), 0);
	CU_ASSERT_EQUAL(at_interest_add(t, a, PREFIX, VG(3)), 1);
	CU_ASSERT_EQUAL(at_vm_get(t, a, &vm), 0);
	CU_ASSERT_EQUAL(vm.interests, 2);
	CU_ASSERT_EQUAL(at_interest_total(t), 2);
	at_destroy(t);
}

static void test_removing_a_vm_drops_its_interests(void)
{
	struct at_table *t = table(4, 8);
	int a = at_vm_add(t, "a", 0, 0), b = at_vm_add(t, "b", 0, 0), ids[4];

	at_interest_add(t, a, PREFIX, VG(9));
	at_interest_add(t, b, PREFIX, VG(9));
	CU_ASSERT_EQUAL(at_vm_remove(t, a), 0);
	CU_ASSERT_EQUAL(at_interest_total(t), 1);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_INTEREST, PREFIX, VG(9), ids, 4), 1);
	CU_ASSERT_EQUAL(ids[0], b);
	/* A new VM in the old slot starts with no interest. */
	a = at_vm_add(t, "a2", 0, 0);
	CU_ASSERT(!at_interest_has(t, a, PREFIX, VG(9)));
	at_destroy(t);
}

static void test_notice_goes_to_interested_vms_only(void)
{
	struct at_table *t = table(8, 8);
	int a = at_vm_add(t, "a", VG(1), 0), b = at_vm_add(t, "b", VG(2), 0);
	int c = at_vm_add(t, "c", VG(3), 0), ids[8];

	at_interest_add(t, a, PREFIX, VG(100));
	at_interest_add(t, c, PREFIX, VG(100));
	at_interest_add(t, b, PREFIX, VG(101));
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_INTEREST, PREFIX, VG(100), ids, 8), 2);
	CU_ASSERT_EQUAL(ids[0], a);
	CU_ASSERT_EQUAL(ids[1], c);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_INTEREST, PREFIX, VG(102), ids, 8), 0);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_INTEREST, PREFIX + 1, VG(100), ids, 8), 0);
	at_destroy(t);
}

static void test_notice_never_goes_to_the_vm_it_is_about(void)
{
	struct at_table *t = table(8, 8);
	int a = at_vm_add(t, "a", VG(1), 0), b = at_vm_add(t, "b", VG(2), 0), ids[8];

	/* b holds a path to a's vGID and a (oddly) to its own. */
	at_interest_add(t, a, PREFIX, VG(1));
	at_interest_add(t, b, PREFIX, VG(1));
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_INTEREST, PREFIX, VG(1), ids, 8), 1);
	CU_ASSERT_EQUAL(ids[0], b);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_ALL, PREFIX, VG(1), ids, 8), 1);
	CU_ASSERT_EQUAL(ids[0], b);
	at_destroy(t);
}

static void test_forward_all_reaches_every_other_vm(void)
{
	struct at_table *t = table(8, 8);
	int ids[8], small[1];

	at_vm_add(t, "a", VG(1), 0);
	at_vm_add(t, "b", 0, 0);
	at_vm_add(t, "c", VG(3), 0);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_ALL, PREFIX, VG(77), ids, 8), 3);
	CU_ASSERT_EQUAL(ids[0], 0);
	CU_ASSERT_EQUAL(ids[2], 2);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_ALL, PREFIX, VG(3), ids, 8), 2);
	/* Too little room: the count is still the whole count. */
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_ALL, PREFIX, VG(77), small, 1), 3);
	CU_ASSERT_EQUAL(at_fanout(t, AT_FORWARD_ALL, PREFIX, VG(77), NULL, 0), 3);
	at_destroy(t);
}

static void test_forward_counts_per_vm(void)
{
	struct at_table *t = table(2, 2);
	int a = at_vm_add(t, "a", 0, 0);
	struct at_vm vm;

	at_count_forward(t, a);
	at_count_forward(t, a);
	at_count_forward(t, 1);		/* no such VM: ignored */
	at_vm_get(t, a, &vm);
	CU_ASSERT_EQUAL(vm.forwarded, 2);
	at_destroy(t);
}

/* ---- the model check --------------------------------------------------------------------- */

#define M_VMS 12
#define M_GIDS 40
#define M_STEPS 20000

struct model {
	bool used[M_VMS];
	int id[M_VMS];			/* table id of model VM k */
	uint64_t vguid[M_VMS];
	bool interest[M_VMS][M_GIDS];
};

static void model_step(struct at_table *t, struct model *m, unsigned *seed)
{
	unsigned k = (unsigned)rand_r(seed) % M_VMS, g = (unsigned)rand_r(seed) % M_GIDS;
	char name[16];
	int rc;

	snprintf(name, sizeof(name), "vm%u", k);
	switch (rand_r(seed) % 5) {
	case 0:
		rc = at_vm_add(t, name, 0, 0);
		CU_ASSERT_EQUAL_FATAL(rc >= 0, !m->used[k]);
		if (rc >= 0) {
			m->used[k] = true;
			m->id[k] = rc;
			m->vguid[k] = 0;
			memset(m->interest[k], 0, sizeof(m->interest[k]));
		}
		return;
	case 1:
		if (m->used[k] && rand_r(seed) % 4 == 0) {
			CU_ASSERT_EQUAL_FATAL(at_vm_remove(t, m->id[k]), 0);
			m->used[k] = false;
		}
		return;
	case 2:
		if (!m->used[k])
			return;
		rc = at_vm_set_vguid(t, m->id[k], VG(g));
		if (!rc)
			m->vguid[k] = VG(g);
		return;
	case 3:
		if (m->used[k]) {
			rc = at_interest_add(t, m->id[k], PREFIX, VG(g));
			CU_ASSERT_EQUAL_FATAL(rc, !m->interest[k][g]);
			m->interest[k][g] = true;
		}
		return;
	default:
		if (m->used[k]) {
			rc = at_interest_del(t, m->id[k], PREFIX, VG(g));
			CU_ASSERT_EQUAL_FATAL(rc, m->interest[k][g]);
			m->interest[k][g] = false;
		}
	}
}

/* What the model says a notice about VG(g) reaches, as a bitmask of table ids. */
static unsigned model_fanout(const struct model *m, enum at_mode mode, unsigned g)
{
	unsigned mask = 0, k;

	for (k = 0; k < M_VMS; k++) {
		if (!m->used[k] || m->vguid[k] == VG(g))
			continue;
		if (mode == AT_FORWARD_ALL || m->interest[k][g])
			mask |= 1u << m->id[k];
	}
	return mask;
}

static void model_compare(const struct at_table *t, const struct model *m)
{
	int ids[M_VMS], mode;
	unsigned g, mask;
	size_t n, i;

	for (mode = AT_FORWARD_INTEREST; mode <= AT_FORWARD_ALL; mode++)
		for (g = 0; g < M_GIDS; g++) {
			n = at_fanout(t, (enum at_mode)mode, PREFIX, VG(g), ids, M_VMS);
			CU_ASSERT_FATAL(n <= M_VMS);
			for (mask = 0, i = 0; i < n; i++) {
				CU_ASSERT_FATAL(i == 0 || ids[i - 1] < ids[i]);
				mask |= 1u << ids[i];
			}
			CU_ASSERT_EQUAL_FATAL(mask, model_fanout(m, (enum at_mode)mode, g));
		}
}

static void test_random_operations_match_the_model(void)
{
	struct at_table *t = table(M_VMS, M_GIDS);
	struct model m;
	unsigned seed = 20260101, step;

	memset(&m, 0, sizeof(m));
	for (step = 0; step < M_STEPS; step++) {
		model_step(t, &m, &seed);
		if (step % 97 == 0)
			model_compare(t, &m);
	}
	model_compare(t, &m);
	at_destroy(t);
}

/* ---- re-validation and repeats ---------------------------------------------------------- */

static void test_interest_gids_lists_each_gid_once(void)
{
	struct at_table *t = table(4, 64);
	struct at_gid gids[16];
	int a = at_vm_add(t, "a", 0, 0), b = at_vm_add(t, "b", 0, 0);
	size_t n, i, j;

	CU_ASSERT_EQUAL(at_interest_gids(t, gids, 16), 0);
	for (i = 1; i <= 5; i++)
		at_interest_add(t, a, PREFIX, VG(i));
	for (i = 3; i <= 7; i++)
		at_interest_add(t, b, PREFIX, VG(i));
	n = at_interest_gids(t, gids, 16);
	CU_ASSERT_EQUAL(n, 7);
	for (i = 0; i < n; i++) {
		CU_ASSERT(gids[i].prefix == PREFIX && gids[i].guid >= VG(1) && gids[i].guid <= VG(7));
		for (j = 0; j < i; j++)
			CU_ASSERT(gids[j].guid != gids[i].guid);
	}
	CU_ASSERT_EQUAL(at_interest_gids(t, gids, 2), 7);	/* the count, whatever the room */
	at_vm_remove(t, b);
	CU_ASSERT_EQUAL(at_interest_gids(t, gids, 16), 5);
	at_destroy(t);
}

static struct at_notice repath(uint64_t vguid, uint16_t old_lid, uint16_t new_lid)
{
	return (struct at_notice){ .trap = 69, .reason = 3, .new_lid = new_lid,
				   .old_lid = old_lid, .prefix = PREFIX, .vguid = vguid,
				   .new_port_guid = 0x41, .old_port_guid = 0x21 };
}

static void test_a_repath_like_the_last_notice_is_a_repeat(void)
{
	struct at_table *t = table(4, 8);
	struct at_notice r = repath(VG(1), 4, 6), u = r;

	CU_ASSERT_FALSE(at_notice_repeats(t, &r));	/* the RePath */
	CU_ASSERT_TRUE(at_notice_repeats(t, &r));	/* again after an SM crash: a repeat */
	CU_ASSERT_TRUE(at_notice_repeats(t, &r));	/* and again */
	/* An UnPath between makes the same RePath news again (a reboot at the same place). */
	u.trap = 68;
	u.reason = 4;
	u.new_lid = 0;
	u.new_port_guid = 0;
	CU_ASSERT_FALSE(at_notice_repeats(t, &u));
	CU_ASSERT_FALSE(at_notice_repeats(t, &u));	/* UnPaths are never dropped */
	CU_ASSERT_FALSE(at_notice_repeats(t, &r));
	at_destroy(t);
}

static void test_any_difference_is_news(void)
{
	struct at_table *t = table(4, 8);
	struct at_notice r = repath(VG(1), 4, 6), d;
	unsigned k;

	for (k = 0; k < 5; k++) {
		at_notice_repeats(t, &r);
		d = r;
		if (k == 0)
			d.reason = 5;
		else if (k == 1)
			d.new_lid = 7;
		else if (k == 2)
			d.old_lid = 5;
		else if (k == 3)
			d.new_port_guid++;
		else
			d.old_port_guid++;
		CU_ASSERT_FALSE(at_notice_repeats(t, &d));
		CU_ASSERT_FALSE(at_notice_repeats(t, &r));	/* back: the last was d */
	}
	d = r;
	d.prefix++;		/* another subnet's vGID: its own first notice */
	CU_ASSERT_FALSE(at_notice_repeats(t, &d));
	/* Back and forth: A -> B, B -> A, A -> B is three migrations. */
	d = repath(VG(2), 4, 6);
	CU_ASSERT_FALSE(at_notice_repeats(t, &d));
	r = repath(VG(2), 6, 4);
	CU_ASSERT_FALSE(at_notice_repeats(t, &r));
	CU_ASSERT_FALSE(at_notice_repeats(t, &d));
	at_destroy(t);
}

static void test_repeats_are_per_vguid(void)
{
	struct at_table *t = table(4, 8);
	struct at_notice a = repath(VG(1), 4, 6), b = repath(VG(2), 4, 6);
	unsigned i;

	CU_ASSERT_FALSE(at_notice_repeats(t, &a));
	CU_ASSERT_FALSE(at_notice_repeats(t, &b));	/* same move, another vGUID */
	CU_ASSERT_TRUE(at_notice_repeats(t, &a));
	CU_ASSERT_TRUE(at_notice_repeats(t, &b));
	/* Many vGUIDs: most are remembered, and a collision only forgets (never a false repeat). */
	for (i = 0; i < AT_NOTICE_SLOTS; i++) {
		a = repath(VG(1000 + i), 4, 6);
		CU_ASSERT_FALSE(at_notice_repeats(t, &a));
	}
	at_destroy(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_bad_limits_are_refused),
		UNIT_TEST(test_vm_names_and_vguids_are_unique),
		UNIT_TEST(test_bad_names_are_refused),
		UNIT_TEST(test_full_table_and_id_reuse),
		UNIT_TEST(test_interests_are_sets_with_a_limit),
		UNIT_TEST(test_removing_a_vm_drops_its_interests),
		UNIT_TEST(test_notice_goes_to_interested_vms_only),
		UNIT_TEST(test_notice_never_goes_to_the_vm_it_is_about),
		UNIT_TEST(test_forward_all_reaches_every_other_vm),
		UNIT_TEST(test_forward_counts_per_vm),
		UNIT_TEST(test_random_operations_match_the_model),
		UNIT_TEST(test_interest_gids_lists_each_gid_once),
		UNIT_TEST(test_a_repath_like_the_last_notice_is_a_repeat),
		UNIT_TEST(test_any_difference_is_news),
		UNIT_TEST(test_repeats_are_per_vguid),
	};

	return unit_run("agent_table", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

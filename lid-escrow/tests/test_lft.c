// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the fast LID move's arithmetic (esc_lft.h): the routing
 * engines and LMC a fast move is allowed with, what a RELEASE and a CLAIM
 * change in a switch's table, which 64-entry blocks then differ, and a
 * randomized check of the changed blocks against a per-entry reference.
 */
#include "esc_lft.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SIZE 320 /* 5 blocks */

static void fill(uint8_t *t, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		t[i] = (uint8_t)(1 + (i * 7 + seed) % 36);
}

static void test_only_engines_routing_by_port_and_lmc_0_are_allowed(void)
{
	CU_ASSERT_PTR_NULL(esc_lft_refusal("minhop", 0));
	CU_ASSERT_PTR_NULL(esc_lft_refusal("updn", 0));
	CU_ASSERT_PTR_NULL(esc_lft_refusal("ftree", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("minhop", 1));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("ftree", 7));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("lash", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("dfsssp", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("torus-2QOS", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("file", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("dnup", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("minhop2", 0));	/* whole names only */
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal("", 0));
	CU_ASSERT_PTR_NOT_NULL(esc_lft_refusal(NULL, 0));
}

/* One move on one switch's table: the edits, the tables before and after, the changed blocks. */
struct move {
	struct esc_lft_edit e[ESC_LFT_EDITS];
	size_t n;
	uint8_t before[SIZE], after[SIZE];
	uint16_t blocks[4];
};

/* @m's table filled from @seed (with @unrouted forwarded nowhere), its edits applied. */
static size_t apply_move(struct move *m, unsigned seed, uint16_t unrouted)
{
	fill(m->before, SIZE, seed);
	if (unrouted)
		m->before[unrouted] = ESC_LFT_NO_PATH;
	CU_ASSERT_EQUAL(esc_lft_apply(m->before, m->after, SIZE, m->e, m->n), 0);
	return esc_lft_changed_blocks(m->before, m->after, SIZE, m->blocks, 4);
}

static void test_a_release_forwards_the_fresh_lid_as_the_released_one(void)
{
	struct move m = { .n = 0 };

	m.n = esc_lft_release_edits(10, 300, m.e);
	CU_ASSERT_EQUAL_FATAL(m.n, 1);
	CU_ASSERT_EQUAL(apply_move(&m, 3, 300), 1);
	CU_ASSERT_EQUAL(m.after[300], m.before[10]);
	CU_ASSERT_EQUAL(m.after[10], m.before[10]);	/* L stays: a claim copies from nobody's */
	CU_ASSERT_EQUAL(m.blocks[0], 4);
	CU_ASSERT_EQUAL(esc_lft_top(m.e, m.n), 300);
	CU_ASSERT_EQUAL(esc_lft_release_edits(10, 10, m.e), 0);
	CU_ASSERT_EQUAL(esc_lft_release_edits(0, 12, m.e), 0);
	CU_ASSERT_EQUAL(esc_lft_release_edits(12, 0, m.e), 0);
}

static void test_a_claim_forwards_the_lid_as_the_old_one_and_the_old_one_nowhere(void)
{
	struct move m = { .n = 0 };

	m.n = esc_lft_claim_edits(10, 200, m.e);
	CU_ASSERT_EQUAL_FATAL(m.n, 2);
	CU_ASSERT_EQUAL(apply_move(&m, 5, 0), 2);
	CU_ASSERT_EQUAL(m.after[10], m.before[200]);
	CU_ASSERT_EQUAL(m.after[200], ESC_LFT_NO_PATH);
	CU_ASSERT_EQUAL(m.blocks[0], 0);
	CU_ASSERT_EQUAL(m.blocks[1], 3);
	CU_ASSERT_EQUAL(esc_lft_top(m.e, m.n), 10);	/* nowhere raises no top */
	CU_ASSERT_EQUAL(esc_lft_claim_edits(10, 0, m.e), 0);
	CU_ASSERT_EQUAL(esc_lft_claim_edits(0, 10, m.e), 0);
}

static void test_edits_read_the_table_before_any_of_them(void)
{
	uint8_t before[SIZE], after[SIZE];
	struct esc_lft_edit e[ESC_LFT_EDITS] = { { 20, 30 }, { 30, 20 } };

	fill(before, SIZE, 1);
	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, 2), 0);
	CU_ASSERT_EQUAL(after[20], before[30]);
	CU_ASSERT_EQUAL(after[30], before[20]);
}

static void test_blocks_that_do_not_change_are_not_counted(void)
{
	uint8_t before[SIZE], after[SIZE];
	struct esc_lft_edit e[ESC_LFT_EDITS];
	uint16_t blocks[4];
	size_t n;

	fill(before, SIZE, 2);
	/* Both LIDs in one block: one block to send. */
	n = esc_lft_claim_edits(5, 6, e);
	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, n), 0);
	CU_ASSERT_EQUAL(esc_lft_changed_blocks(before, after, SIZE, blocks, 4), 1);
	/* A release whose fresh LID is already forwarded as the released one: none. */
	n = esc_lft_release_edits(7, 100, e);
	before[100] = before[7];
	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, n), 0);
	CU_ASSERT_EQUAL(esc_lft_changed_blocks(before, after, SIZE, blocks, 4), 0);
	/* A switch with no route to the old LID: the claim changes nothing there. */
	before[40] = ESC_LFT_NO_PATH;
	before[41] = ESC_LFT_NO_PATH;
	n = esc_lft_claim_edits(40, 41, e);
	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, n), 0);
	CU_ASSERT_EQUAL(esc_lft_changed_blocks(before, after, SIZE, blocks, 4), 0);
}

static void test_a_lid_beyond_the_table_is_refused(void)
{
	uint8_t before[SIZE] = { 0 }, after[SIZE];
	struct esc_lft_edit e[ESC_LFT_EDITS];
	size_t n = esc_lft_release_edits(10, SIZE, e);

	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, n), -ERANGE);
	n = esc_lft_claim_edits(SIZE + 5, 10, e);
	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, n), -ERANGE);
	n = esc_lft_claim_edits(10, SIZE - 1, e);
	CU_ASSERT_EQUAL(esc_lft_apply(before, after, SIZE, e, n), 0);
}

static void test_a_partial_last_block_counts_and_max_bounds_the_list(void)
{
	uint8_t before[130] = { 0 }, after[130] = { 0 };
	uint16_t blocks[1];

	after[129] = 1;
	after[1] = 1;
	CU_ASSERT_EQUAL(esc_lft_changed_blocks(before, after, 130, blocks, 1), 2);
	CU_ASSERT_EQUAL(blocks[0], 0);
	CU_ASSERT_EQUAL(esc_lft_changed_blocks(before, after, 130, NULL, 0), 2);
}

/* The reference: a block changed iff one of its entries did. */
static size_t ref_changed(const uint8_t *a, const uint8_t *b, size_t size, uint16_t *out)
{
	size_t i, n = 0;
	long last = -1;

	for (i = 0; i < size; i++)
		if (a[i] != b[i] && (long)(i / ESC_LFT_BLOCK) != last) {
			last = (long)(i / ESC_LFT_BLOCK);
			out[n++] = (uint16_t)last;
		}
	return n;
}

static void test_random_moves_against_the_reference(void)
{
	unsigned seed = getenv("ESC_SEED") ? (unsigned)strtoul(getenv("ESC_SEED"), NULL, 0) : 1;
	uint8_t before[SIZE], after[SIZE];
	uint16_t got[8], want[8];
	unsigned round;

	srand(seed);
	for (round = 0; round < 20000; round++) {
		struct esc_lft_edit e[ESC_LFT_EDITS];
		uint16_t a = (uint16_t)(1 + rand() % (SIZE - 1));
		uint16_t b = (uint16_t)(1 + rand() % (SIZE - 1));
		size_t i, n, ng, nw;

		for (i = 0; i < SIZE; i++)
			before[i] = (uint8_t)(rand() % 4 ? rand() % 5 : ESC_LFT_NO_PATH);
		n = rand() % 2 ? esc_lft_release_edits(a, b, e) : esc_lft_claim_edits(a, b, e);
		if (!n)
			continue;
		CU_ASSERT_EQUAL_FATAL(esc_lft_apply(before, after, SIZE, e, n), 0);
		ng = esc_lft_changed_blocks(before, after, SIZE, got, 8);
		nw = ref_changed(before, after, SIZE, want);
		CU_ASSERT_EQUAL_FATAL(ng, nw);
		CU_ASSERT_TRUE_FATAL(ng <= n);	/* never more blocks than edits */
		CU_ASSERT_EQUAL_FATAL(memcmp(got, want, ng * sizeof(got[0])), 0);
	}
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_only_engines_routing_by_port_and_lmc_0_are_allowed),
		UNIT_TEST(test_a_release_forwards_the_fresh_lid_as_the_released_one),
		UNIT_TEST(test_a_claim_forwards_the_lid_as_the_old_one_and_the_old_one_nowhere),
		UNIT_TEST(test_edits_read_the_table_before_any_of_them),
		UNIT_TEST(test_blocks_that_do_not_change_are_not_counted),
		UNIT_TEST(test_a_lid_beyond_the_table_is_refused),
		UNIT_TEST(test_a_partial_last_block_counts_and_max_bounds_the_list),
		UNIT_TEST(test_random_moves_against_the_reference),
	};

	return unit_run("lft", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

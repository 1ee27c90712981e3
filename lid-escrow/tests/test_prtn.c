// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the partition overlay (esc_prtn.h): which ports a file names
 * in which partition (group rules, NONE, mgid lines, comments, definitions
 * spread over lines or sharing one), what each escrow side effect does to
 * the overlay, its journal record, and the derived file: the operator's text
 * with the moved members turned into NONE and the given ones inserted,
 * nothing else touched.
 */
#include "esc_prtn.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A 0x0002c90300000021ULL
#define B 0x0002c90300000031ULL
#define C 0x0002c90300000041ULL

static const char conf_text[] =
	"# the operator's partitions\n"
	"Default=0x7fff, ipoib : ALL=full ;\n"
	"storage=0x8001, ipoib, mtu=4 : 0x0002c90300000021=full,\n"
	"\t0x0002c90300000031 ;   # B limited\n"
	"compute=0x0002 : ALL_CAS=limited, 0x0002c90300000021 = both ; apps=3: SELF, NONE;\n"
	"mc=0x0004 : mgid=ff12:401b::0707,sl=1,Q_Key=0x00000000 ;\n"
	"auto : 0x0002c90300000041 ;\n";

static struct esc_prtn_file *parse(const char *text)
{
	struct esc_prtn_file *f = NULL;
	char err[128];

	CU_ASSERT_EQUAL(esc_prtn_parse(text, strlen(text), &f, err, sizeof(err)), 0);
	return f;
}

static void test_which_ports_a_file_names(void)
{
	struct esc_prtn_file *f = parse(conf_text);

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_TRUE(esc_prtn_names(f, 0x0001, A));
	CU_ASSERT_TRUE(esc_prtn_names(f, 0x8001, A));	/* the membership bit is ignored */
	CU_ASSERT_TRUE(esc_prtn_names(f, 0x0001, B));	/* on the next line */
	CU_ASSERT_TRUE(esc_prtn_names(f, 0x0002, A));	/* "= both", blanks around '=' */
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x0002, B));	/* only ALL_CAS: a group rule */
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x7FFF, A));	/* ALL */
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x0003, A));
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x0001, C));
	CU_ASSERT_TRUE(esc_prtn_defines(f, 0x0003));	/* a definition after a ';' on one line */
	CU_ASSERT_TRUE(esc_prtn_defines(f, 0x0004));
	/* No P_Key in the file: OpenSM picks one; the overlay cannot name it. */
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x0005, C));
	esc_prtn_free(f);
}

static void test_comments_and_mgid_lines_hide_nothing_else(void)
{
	struct esc_prtn_file *f = parse("p=0x10 : # 0x0002c90300000021\n"
					"  0x0002c90300000031 ;\n"
					"q=0x11 : mgid=ff12::1,0x0002c90300000041 ;\n"
					"r=0x12 : 0x0002c90300000041=limited ;");

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x10, A));	/* commented out */
	CU_ASSERT_TRUE(esc_prtn_names(f, 0x10, B));
	CU_ASSERT_FALSE(esc_prtn_names(f, 0x11, C));	/* part of the mgid line */
	CU_ASSERT_TRUE(esc_prtn_names(f, 0x12, C));	/* no newline at the end */
	esc_prtn_free(f);
}

static void test_a_file_opensm_cannot_read_is_refused(void)
{
	struct esc_prtn_file *f = (void *)1;
	char err[128];
	const char *bad = "ok=0x1 : ALL ;\nno colon here ;\n";

	CU_ASSERT_EQUAL(esc_prtn_parse(bad, strlen(bad), &f, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(f);
	CU_ASSERT_STRING_EQUAL(err, "line 2: no partition definition found");
	CU_ASSERT_EQUAL(esc_prtn_parse("", 0, &f, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(esc_prtn_defines(f, 1));
	esc_prtn_free(f);
}

static struct esc_action action(enum esc_action_type type, uint64_t port, bool to_source,
				const uint16_t *keys, uint16_t n)
{
	struct esc_action a;

	memset(&a, 0, sizeof(a));
	a.type = type;
	a.id = 1;
	a.lid = 4;
	a.source = A;
	a.port = port;
	a.to_source = to_source;
	a.nkeys = n;
	if (n)
		memcpy(a.keys, keys, n * sizeof(keys[0]));
	return a;
}

static void apply(struct esc_overlay *o, const struct esc_prtn_file *f,
		  const struct esc_action *a, size_t want_n)
{
	struct esc_ovl_entry e[ESC_OVL_ACTION_MAX];
	size_t n, i;

	esc_overlay_action(o, f, a, e, &n);
	CU_ASSERT_EQUAL(n, want_n);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(esc_overlay_put(o, &e[i]), 0);
}

static char *derive(const struct esc_prtn_file *f, const struct esc_overlay *o, size_t *unplaced)
{
	char *out = NULL;
	size_t len;

	CU_ASSERT_EQUAL(esc_prtn_derive(f, o, &out, &len, unplaced), 0);
	CU_ASSERT_EQUAL(strlen(out), len);
	return out;
}

static void test_a_move_takes_the_keys_from_the_source_to_the_claimant(void)
{
	static const uint16_t keys[] = { 0x8001, 0x0002 };
	struct esc_prtn_file *f = parse(conf_text), *again;
	struct esc_overlay *o = esc_overlay_new();
	struct esc_action res = action(ESC_ACT_RESERVE, A, false, keys, 2);
	struct esc_action mv = action(ESC_ACT_MOVE, C, false, keys, 2);
	struct esc_ovl_entry e;
	char *text;
	size_t unplaced;

	CU_ASSERT_FATAL(f && o);
	apply(o, f, &res, 2);
	apply(o, f, &res, 0);		/* again (a replay): nothing new */
	CU_ASSERT_EQUAL(esc_overlay_get(o, A, 0x0001, &e), ESC_OVL_REMOVED);
	text = derive(f, o, &unplaced);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "storage=0x8001, ipoib, mtu=4 : NONE=full,\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "ALL_CAS=limited, NONE = both ;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\t0x0002c90300000031 ;"));	/* B untouched */
	again = parse(text);
	CU_ASSERT_FALSE(esc_prtn_names(again, 0x0001, A));
	CU_ASSERT_TRUE(esc_prtn_names(again, 0x0001, B));
	esc_prtn_free(again);
	free(text);

	apply(o, f, &mv, 2);		/* given to C; A's removals are there already */
	CU_ASSERT_EQUAL(esc_overlay_get(o, C, 0x0001, &e), ESC_OVL_ADDED);
	CU_ASSERT_EQUAL(e.pkey, 0x8001);
	text = derive(f, o, &unplaced);
	CU_ASSERT_EQUAL(unplaced, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "storage=0x8001, ipoib, mtu=4 : 0x0002c90300000041=full,"
				       " NONE=full,\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "compute=0x0002 : 0x0002c90300000041=limited, "
				       "ALL_CAS=limited, NONE = both ;"));
	again = parse(text);
	CU_ASSERT_TRUE(esc_prtn_names(again, 0x0001, C));
	CU_ASSERT_TRUE(esc_prtn_names(again, 0x0002, C));
	CU_ASSERT_FALSE(esc_prtn_names(again, 0x0002, A));
	esc_prtn_free(again);
	free(text);
	esc_overlay_free(o);
	esc_prtn_free(f);
}

static void test_a_cancel_gives_back_what_the_file_says(void)
{
	static const uint16_t keys[] = { 0x8001, 0x0002 };
	struct esc_prtn_file *f = parse(conf_text);
	struct esc_overlay *o = esc_overlay_new();
	struct esc_action res = action(ESC_ACT_RESERVE, A, false, keys, 2);
	struct esc_action back = action(ESC_ACT_MOVE, A, true, keys, 2);
	char *text;

	CU_ASSERT_FATAL(f && o);
	apply(o, f, &res, 2);
	apply(o, f, &back, 2);
	CU_ASSERT_EQUAL(esc_overlay_count(o), 0);
	text = derive(f, o, NULL);
	CU_ASSERT_STRING_EQUAL(text, conf_text);
	free(text);
	/* A key the source had from an earlier escrow comes back as given. */
	apply(o, NULL, &res, 2);
	apply(o, NULL, &back, 2);
	CU_ASSERT_EQUAL(esc_overlay_get(o, A, 0x0001, NULL), ESC_OVL_ADDED);
	esc_overlay_free(o);
	esc_prtn_free(f);
}

static void test_an_expiry_gives_the_keys_to_nobody(void)
{
	static const uint16_t keys[] = { 0x8001 };
	struct esc_prtn_file *f = parse(conf_text);
	struct esc_overlay *o = esc_overlay_new();
	struct esc_action res = action(ESC_ACT_RESERVE, A, false, keys, 1);
	struct esc_action fr = action(ESC_ACT_FREE, A, false, NULL, 0);

	CU_ASSERT_FATAL(f && o);
	apply(o, f, &res, 1);
	apply(o, f, &fr, 0);
	CU_ASSERT_EQUAL(esc_overlay_get(o, A, 0x0001, NULL), ESC_OVL_REMOVED);
	esc_overlay_free(o);
	esc_prtn_free(f);
}

static void test_a_partition_the_operator_removed_is_not_given(void)
{
	static const uint16_t keys[] = { 0x8009 };
	struct esc_prtn_file *f = parse(conf_text);
	struct esc_overlay *o = esc_overlay_new();
	struct esc_action mv = action(ESC_ACT_MOVE, C, false, keys, 1);
	size_t unplaced = 0;
	char *text;

	CU_ASSERT_FATAL(f && o);
	apply(o, f, &mv, 2);
	text = derive(f, o, &unplaced);
	CU_ASSERT_EQUAL(unplaced, 1);
	CU_ASSERT_STRING_EQUAL(text, conf_text);
	free(text);
	text = derive(NULL, o, &unplaced);	/* no file at all */
	CU_ASSERT_STRING_EQUAL(text, "");
	CU_ASSERT_EQUAL(unplaced, 1);
	free(text);
	esc_overlay_free(o);
	esc_prtn_free(f);
}

static void test_overlay_entries_and_records(void)
{
	struct esc_overlay *o = esc_overlay_new();
	struct esc_ovl_entry e = { B, 0x8001, ESC_OVL_ADDED }, back, *list;
	uint8_t rec[ESC_OVL_JREC_LEN];
	size_t n;

	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT_EQUAL(esc_overlay_put(o, &e), 0);
	CU_ASSERT_EQUAL(esc_overlay_put(o, &(struct esc_ovl_entry){ A, 0x0003, ESC_OVL_REMOVED }),
			0);
	CU_ASSERT_EQUAL(esc_overlay_put(o, &(struct esc_ovl_entry){ A, 0x7FFF, ESC_OVL_REMOVED }),
			-EINVAL);
	CU_ASSERT_EQUAL(esc_overlay_put(o, &(struct esc_ovl_entry){ 0, 0x0003, ESC_OVL_REMOVED }),
			-EINVAL);
	CU_ASSERT_EQUAL(esc_overlay_put(o, &(struct esc_ovl_entry){ A, 0x8003, ESC_OVL_REMOVED }),
			-EINVAL);
	CU_ASSERT_EQUAL(esc_overlay_list(o, &list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(list[0].guid, A);	/* by port */
	free(list);
	esc_ovl_jrec_encode(&e, rec);
	CU_ASSERT_EQUAL(esc_ovl_jrec_decode(rec, sizeof(rec), &back), 0);
	CU_ASSERT_EQUAL(back.guid, B);
	CU_ASSERT_EQUAL(back.pkey, 0x8001);
	CU_ASSERT_EQUAL(back.kind, ESC_OVL_ADDED);
	CU_ASSERT_EQUAL(esc_ovl_jrec_decode(rec, sizeof(rec) - 1, &back), -EINVAL);
	rec[0] = 2;
	CU_ASSERT_EQUAL(esc_ovl_jrec_decode(rec, sizeof(rec), &back), -EINVAL);
	rec[0] = 1;
	rec[5] = 1;
	CU_ASSERT_EQUAL(esc_ovl_jrec_decode(rec, sizeof(rec), &back), -EINVAL);
	rec[5] = 0;
	rec[1] = 3;
	CU_ASSERT_EQUAL(esc_ovl_jrec_decode(rec, sizeof(rec), &back), -EINVAL);
	e.kind = ESC_OVL_NONE;
	e.pkey = 0x0001;
	CU_ASSERT_EQUAL(esc_overlay_put(o, &e), 0);	/* NONE: the entry goes */
	CU_ASSERT_EQUAL(esc_overlay_count(o), 1);
	esc_overlay_free(o);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_which_ports_a_file_names),
		UNIT_TEST(test_comments_and_mgid_lines_hide_nothing_else),
		UNIT_TEST(test_a_file_opensm_cannot_read_is_refused),
		UNIT_TEST(test_a_move_takes_the_keys_from_the_source_to_the_claimant),
		UNIT_TEST(test_a_cancel_gives_back_what_the_file_says),
		UNIT_TEST(test_an_expiry_gives_the_keys_to_nobody),
		UNIT_TEST(test_a_partition_the_operator_removed_is_not_given),
		UNIT_TEST(test_overlay_entries_and_records),
	};

	return unit_run("prtn", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

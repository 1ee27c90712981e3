// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the engine's records in the journal (state_log.h): a
 * scenario of alias changes saved as the engine saves them (the changed
 * vGUIDs' facts appended, the whole state compacted), crashed at every byte
 * it writes and after every I/O call it makes; the journal reopened must
 * restore exactly the state of the last acknowledged save, or of the one in
 * flight.  Then records that cannot be right, refused.
 */
#include "state_log.h"
#include "jnl_testio.h"
#include "be_bytes.h"

#include <CUnit/Basic.h>
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
#define BASE_MS 1800000000000ULL
#define MAX_ALIASES 64

static char dir[64];
static char path[128];

enum op { SET, DEL, FLUSH, SAVE, COMPACT };

struct step {
	enum op op;
	uint64_t vguid;
	uint64_t port;
	uint16_t lid;
};

/*
 * After a restart (forgotten aliases, one trap-table entry), converted as
 * the engine converts old files (a compaction), then every kind of change.
 */
static const struct step scenario[] = {
	{ COMPACT, 0, 0, 0 },
	{ SET, VG(1), PORT_A, LID_A }, { SET, VG(2), PORT_A, LID_A }, { SAVE, 0, 0, 0 },
	{ DEL, VG(1), PORT_A, LID_A }, { SET, VG(10), PORT_B, LID_B }, { SAVE, 0, 0, 0 },
	{ SET, VG(1), PORT_B, LID_B }, { DEL, VG(2), PORT_A, LID_A }, { SAVE, 0, 0, 0 },
	{ COMPACT, 0, 0, 0 },
	{ SET, VG(3), PORT_A, LID_A }, { DEL, VG(3), PORT_A, LID_A }, { SET, VG(11), PORT_B, LID_B },
	{ SAVE, 0, 0, 0 },
	{ FLUSH, VG(2), 0, 0 }, { SET, VG(4), PORT_A, LID_A }, { SAVE, 0, 0, 0 },
	{ SET, VG(4), PORT_B, LID_A }, { SAVE, 0, 0, 0 },
};
#define N_STEPS (sizeof(scenario) / sizeof(scenario[0]))
#define MAX_SAVES 16

/* A state as the restore functions take it, in a canonical order. */
struct image {
	struct tt_entry_view traps[2 * MAX_ALIASES], aliases[2 * MAX_ALIASES];
	size_t n_traps, n_aliases;
};

static int cmp_view(const void *a, const void *b)
{
	const struct tt_entry_view *x = a, *y = b;

	if (x->deleted_at_ms != y->deleted_at_ms)
		return x->deleted_at_ms < y->deleted_at_ms ? -1 : 1;
	return x->vguid < y->vguid ? -1 : x->vguid > y->vguid;
}

static void image_of(struct image *im, const struct tt_entry_view *t, size_t nt,
		     const struct tt_entry_view *a, size_t na)
{
	CU_ASSERT_FATAL(nt <= 2 * MAX_ALIASES && na <= 2 * MAX_ALIASES);
	memset(im, 0, sizeof(*im));
	if (nt)
		memcpy(im->traps, t, nt * sizeof(*t));
	if (na)
		memcpy(im->aliases, a, na * sizeof(*a));
	im->n_traps = nt;
	im->n_aliases = na;
	/* Among equal stamps the order is not kept (doc/journal.md): compare as sets. */
	qsort(im->traps, nt, sizeof(*t), cmp_view);
	qsort(im->aliases, na, sizeof(*a), cmp_view);
}

static void image_print(const char *what, const struct image *x)
{
	size_t i;

	fprintf(stderr, "%s:", what);
	for (i = 0; i < x->n_traps; i++)
		fprintf(stderr, " T%llx/%llu/%u", (unsigned long long)(x->traps[i].vguid & 0xffff),
			(unsigned long long)(x->traps[i].deleted_at_ms - BASE_MS + 10000),
			x->traps[i].lid);
	for (i = 0; i < x->n_aliases; i++)
		fprintf(stderr, " A%llx/%llu/%u", (unsigned long long)(x->aliases[i].vguid & 0xffff),
			(unsigned long long)(x->aliases[i].deleted_at_ms - BASE_MS + 10000),
			x->aliases[i].lid);
	fprintf(stderr, "\n");
}

static bool views_equal(const struct tt_entry_view *x, const struct tt_entry_view *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i].vguid != y[i].vguid || x[i].port_guid != y[i].port_guid ||
		    x[i].deleted_at_ms != y[i].deleted_at_ms || x[i].lid != y[i].lid)
			return false;
	return true;
}

static bool image_equal(const struct image *x, const struct image *y)
{
	return x->n_traps == y->n_traps && x->n_aliases == y->n_aliases &&
	       views_equal(x->traps, y->traps, x->n_traps) &&
	       views_equal(x->aliases, y->aliases, x->n_aliases);
}

/* What the old save files would have held at a save at @mark_ms: what must come back. */
static void image_of_watch(struct image *im, struct aw_watch *w, uint64_t mark_ms)
{
	struct tt_entry_view *t, *a;
	size_t nt, na;

	CU_ASSERT_EQUAL_FATAL(tt_snapshot(aw_table(w), &t, &nt), 0);
	CU_ASSERT_EQUAL_FATAL(aw_snapshot_live(w, mark_ms, &a, &na), 0);
	image_of(im, t, nt, a, na);
	free(t);
	free(a);
}

static void no_notice(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	(void)ctx;
	(void)trap;
	(void)n;
}

/* The watch just after a restart: two forgotten aliases, one trap-table entry. */
static struct aw_watch *restarted_watch(void)
{
	struct aw_config cfg = { .table = { .capacity = MAX_ALIASES }, .unpath = true,
				 .max_aliases = MAX_ALIASES };
	struct tt_entry_view forgotten[] = { { VG(10), PORT_A, BASE_MS - 5000, LID_A },
					     { VG(11), PORT_B, BASE_MS - 4000, LID_B } };
	struct tt_entry_view trap = { VG(12), PORT_A, BASE_MS - 3000, LID_A };
	struct aw_watch *w = aw_create(&cfg, no_notice, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(aw_restore_forgotten(w, forgotten, 2), 0);
	CU_ASSERT_EQUAL_FATAL(tt_restore(aw_table(w), &trap, 1), 0);
	return w;
}

/* A save as eng_save makes it (state.c): the changed vGUIDs' facts, or everything. */
static int save(struct jnl *j, struct aw_watch *w, bool all, uint64_t now)
{
	struct aw_fact *facts = NULL;
	uint64_t *v;
	size_t n = 0, k, i;
	bool lost;
	int rc;

	if (all) {
		aw_clear_changes(w);
		CU_ASSERT_EQUAL_FATAL(aw_all_facts(w, &facts, &n), 0);
		rc = sl_compact(j, facts, n, now);
	} else {
		aw_take_changes(w, &v, &k, &lost);
		CU_ASSERT_FALSE(lost);
		facts = k ? calloc(2 * k, sizeof(*facts)) : NULL;
		for (i = 0; i < k; i++)
			aw_facts_of(w, v[i], facts + 2 * i);
		free(v);
		rc = sl_append(j, facts, 2 * k, now);
	}
	free(facts);
	return rc;
}

static void apply_step(struct aw_watch *w, const struct step *s, uint64_t now)
{
	if (s->op == SET) {
		CU_ASSERT_EQUAL(aw_alias_set(w, s->vguid, s->port, s->lid, now), 0);
	} else if (s->op == DEL) {
		CU_ASSERT_EQUAL(aw_alias_deleted(w, s->vguid, s->port, s->lid, now), 0);
	} else if (s->op == FLUSH) {
		CU_ASSERT_EQUAL(tt_flush(aw_table(w), s->vguid), 0);
	}
}

static struct jnl *journal(struct tio *t)
{
	struct jnl_config cfg = { .path = path, .io = t ? &t->io : NULL };
	struct jnl *j = jnl_new(&cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL_FATAL(jnl_lock(j), 0);
	return j;
}

static void remove_journal(void)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s.tmp", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
}

/*
 * Runs the scenario on a new journal through @t (crashing after @crash_after
 * I/O calls if not 0): @want[k] is the state after the k'th save (0: none
 * yet); *@acked is the number of saves acknowledged before the first that
 * failed (the crash), *@saves the number of saves in the scenario.
 */
static void run_scenario(struct tio *t, uint64_t crash_after, struct image want[MAX_SAVES],
			 size_t *acked, size_t *saves)
{
	struct aw_watch *w = restarted_watch();
	struct jnl *j = journal(t);
	bool failed = false;
	size_t i, k = 0;

	if (t && crash_after)
		t->crash_after = t->calls + crash_after;	/* the lock is not a crash point */
	image_of(&want[0], NULL, 0, NULL, 0);
	*acked = 0;
	if (jnl_open(j, NULL, NULL, NULL))
		failed = true;
	for (i = 0; i < N_STEPS; i++) {
		uint64_t now = BASE_MS + i * 1000;

		if (scenario[i].op != SAVE && scenario[i].op != COMPACT) {
			apply_step(w, &scenario[i], now);
			continue;
		}
		image_of_watch(&want[++k], w, now);
		if (!failed && !save(j, w, scenario[i].op == COMPACT, now))
			*acked = k;
		else
			failed = true;
	}
	*saves = k;
	jnl_free(j);			/* the process "died": its descriptors close */
	aw_destroy(w);
}

/* Reopens the journal with the real system calls and replays it. */
static int restore(struct image *got, struct jnl_report *rep)
{
	struct sl_replay *r = sl_replay_new();
	struct jnl *j = journal(NULL);
	struct sl_state st;
	int rc = jnl_open(j, sl_replay_apply, r, rep);

	if (!rc)
		rc = sl_replay_finish(r, MAX_ALIASES, &st);
	if (!rc) {
		image_of(got, st.traps, st.n_traps, st.aliases, st.n_aliases);
		sl_state_free(&st);
	}
	sl_replay_free(r);
	jnl_free(j);
	return rc;
}

/* A crash after @budget bytes or @calls I/O calls; returns whether it hit. */
static bool crash_once(int64_t budget, uint64_t calls)
{
	struct image want[MAX_SAVES], got;
	struct jnl_report rep;
	size_t acked, saves;
	struct tio t;

	remove_journal();
	tio_init(&t);
	t.fsync_noop = true;		/* the crash is simulated: fsync proves nothing here */
	t.write_budget = budget;
	run_scenario(&t, calls, want, &acked, &saves);
	if (!t.crashed)
		CU_ASSERT_EQUAL(acked, saves);
	CU_ASSERT_EQUAL_FATAL(restore(&got, &rep), 0);
	/* The acknowledged state, or the one in flight if it reached the disk whole. */
	if (!image_equal(&got, &want[acked]) &&
	    !(acked < saves && image_equal(&got, &want[acked + 1]))) {
		fprintf(stderr, "budget %lld calls %llu: restored state is none of saves %zu..%zu\n",
			(long long)budget, (unsigned long long)calls, acked, acked + 1);
		CU_FAIL("restored state is not the acknowledged one");
	}
	return t.crashed;
}

static void test_a_crash_at_every_byte_of_appends_and_compactions_restores_exactly(void)
{
	int64_t budget;

	for (budget = 0; crash_once(budget, 0); budget++)
		;
	CU_ASSERT(budget > 1000);	/* every byte of every save was a crash point */
}

static void test_a_crash_after_every_io_call_restores_exactly(void)
{
	uint64_t calls;

	for (calls = 1; crash_once(-1, calls); calls++)
		;
	CU_ASSERT(calls > 30);		/* opens, writes, fsyncs, renames of 8 saves */
}

/* Without a crash, every save restores exactly (the scenario's states are all different). */
static void test_each_save_restores_its_state(void)
{
	struct image want[MAX_SAVES], got;
	size_t acked, saves, k;

	remove_journal();
	run_scenario(NULL, 0, want, &acked, &saves);
	CU_ASSERT_EQUAL(acked, saves);
	CU_ASSERT_EQUAL_FATAL(restore(&got, NULL), 0);
	CU_ASSERT(image_equal(&got, &want[saves]));
	if (!image_equal(&got, &want[saves])) {
		image_print("want", &want[saves]);
		image_print("got", &got);
	}
	for (k = 1; k < saves; k++)
		CU_ASSERT_FALSE(image_equal(&want[k], &want[k + 1]));
	CU_ASSERT(got.n_traps > 0 && got.n_aliases > 0);
}

/* A new, empty journal, open (the real system calls). */
static struct jnl *new_journal(void)
{
	struct jnl *j;

	remove_journal();
	j = journal(NULL);
	CU_ASSERT_EQUAL_FATAL(jnl_open(j, NULL, NULL, NULL), 0);
	return j;
}

/* A journal holding one FACTS record with @fact as its only fact. */
static int replay_one(const struct aw_fact *fact, const uint8_t *raw, uint32_t len)
{
	struct sl_replay *r = sl_replay_new();
	struct jnl *j = new_journal();
	struct sl_state st;
	int rc;

	if (fact) {
		CU_ASSERT_EQUAL_FATAL(sl_append(j, fact, 1, BASE_MS), 0);
	} else {
		CU_ASSERT_EQUAL_FATAL(jnl_append(j, SL_REC_FACTS, raw, len, NULL), 0);
	}
	jnl_free(j);
	j = journal(NULL);
	rc = jnl_open(j, sl_replay_apply, r, NULL);
	if (!rc) {
		CU_ASSERT_EQUAL(sl_replay_finish(r, MAX_ALIASES, &st), 0);
		sl_state_free(&st);
	}
	jnl_free(j);
	sl_replay_free(r);
	return rc;
}

static void test_facts_that_cannot_be_are_refused(void)
{
	const struct aw_fact good = { VG(1), PORT_A, BASE_MS, LID_A, AW_FACT_TRAP, AW_FACT_PRESENT };
	struct aw_fact bad[] = { good, good, good, good, good, good, good };
	uint8_t raw[SL_FACTS_HEADER_LEN + SL_FACT_LEN] = { 1, 0, 0, 0, 0, 0, 0, 2 };
	size_t i;

	bad[0].vguid = 0;
	bad[1].what = 3;
	bad[2].state = AW_FACT_FORGOTTEN;	/* a trap-table entry is never forgotten */
	bad[3].lid = 0xC000;			/* multicast */
	bad[4].port_guid = 0;
	bad[5].what = AW_FACT_ALIAS;		/* a live alias carries no stamp */
	bad[6].state = AW_FACT_NONE;		/* nothing, with a place */
	CU_ASSERT_EQUAL(replay_one(&good, NULL, 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(replay_one(&bad[i], NULL, 0), -EBADMSG);
	/* A count that is not the length. */
	CU_ASSERT_EQUAL(replay_one(NULL, raw, sizeof(raw)), -EBADMSG);
	raw[7] = 1;
	raw[0] = 2;			/* another version */
	CU_ASSERT_EQUAL(replay_one(NULL, raw, sizeof(raw)), -EBADMSG);
	remove_journal();
}

/* A later fact replaces an earlier one; an absent one removes it; the newest aliases are kept. */
static void test_the_later_fact_wins_and_the_oldest_aliases_give_way(void)
{
	struct aw_fact f[MAX_ALIASES + 3];
	struct sl_replay *r = sl_replay_new();
	struct jnl *j = new_journal();
	struct sl_state st;
	size_t i;

	for (i = 0; i < MAX_ALIASES + 3; i++)
		f[i] = (struct aw_fact){ VG(100 + i), PORT_A, BASE_MS + i, LID_A, AW_FACT_ALIAS,
					 AW_FACT_FORGOTTEN };
	CU_ASSERT_EQUAL_FATAL(sl_compact(j, f, MAX_ALIASES + 3, BASE_MS), 0);
	f[0] = (struct aw_fact){ VG(100), PORT_B, 0, LID_B, AW_FACT_ALIAS, AW_FACT_PRESENT };
	f[1] = (struct aw_fact){ VG(101), .what = AW_FACT_ALIAS };
	CU_ASSERT_EQUAL_FATAL(sl_append(j, f, 2, BASE_MS + 500), 0);
	jnl_free(j);
	j = journal(NULL);
	CU_ASSERT_EQUAL_FATAL(jnl_open(j, sl_replay_apply, r, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sl_replay_finish(r, MAX_ALIASES, &st), 0);
	CU_ASSERT_EQUAL(st.n_traps, 0);
	CU_ASSERT_EQUAL_FATAL(st.n_aliases, MAX_ALIASES);
	/* VG(101) gone; of 66, VG(102) and VG(103) give way; VG(100) live at the last save. */
	CU_ASSERT_EQUAL(st.aliases[0].vguid, VG(104));
	CU_ASSERT_EQUAL(st.aliases[MAX_ALIASES - 1].vguid, VG(100));
	CU_ASSERT_EQUAL(st.aliases[MAX_ALIASES - 1].deleted_at_ms, BASE_MS + 500);
	CU_ASSERT_EQUAL(st.aliases[MAX_ALIASES - 1].lid, LID_B);
	CU_ASSERT_EQUAL(st.mark_ms, BASE_MS + 500);
	sl_state_free(&st);
	sl_replay_free(r);
	jnl_free(j);
	remove_journal();
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	snprintf(dir, sizeof(dir), "/tmp/test_state_log.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/state-journal", dir);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("state_log", NULL, NULL);
	CU_add_test(s, "each save restores its state", test_each_save_restores_its_state);
	CU_add_test(s, "a crash at every byte of appends and compactions restores exactly",
		    test_a_crash_at_every_byte_of_appends_and_compactions_restores_exactly);
	CU_add_test(s, "a crash after every I/O call restores exactly",
		    test_a_crash_after_every_io_call_restores_exactly);
	CU_add_test(s, "facts that cannot be are refused", test_facts_that_cannot_be_are_refused);
	CU_add_test(s, "the later fact wins and the oldest aliases give way",
		    test_the_later_fact_wins_and_the_oldest_aliases_give_way);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	remove_journal();
	rmdir(dir);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the trap table: every verdict, TTL, capacity and eviction,
 * stamps, rejected inputs, snapshots, the save file, and a randomized check
 * against a trivially correct reference model.
 */
#include "trap_table.h"
#include "unit.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VG(n) (0x0002c90300a00000ULL + (n))
#define PORT_A 0x0002c90300000001ULL
#define PORT_B 0x0002c90300000002ULL

static struct tt_table *table_with(uint32_t capacity, uint64_t ttl_ms)
{
	struct tt_config cfg = { .capacity = capacity, .ttl_ms = ttl_ms, .epoch = 0x5eed };
	struct tt_table *t = tt_create(&cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static struct tt_set_result set_of(struct tt_table *t, uint64_t vguid, uint16_t lid,
				   uint64_t port, uint64_t now)
{
	struct tt_set_result res;

	CU_ASSERT_EQUAL(tt_set(t, vguid, lid, port, now, &res), 0);
	return res;
}

/* ---- verdicts ---------------------------------------------------------- */

static void test_set_without_delete_is_creation(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_set_result r = set_of(t, VG(1), 5, PORT_A, 10);

	CU_ASSERT_EQUAL(r.verdict, TT_CREATED);
	CU_ASSERT_EQUAL(r.old.lid, 0);
	CU_ASSERT_EQUAL(r.old.port_guid, 0);
	tt_destroy(t);
}

static void test_same_lid_same_port_is_restart(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_set_result r;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 10, NULL), 0);
	r = set_of(t, VG(1), 5, PORT_A, 20);
	CU_ASSERT_EQUAL(r.verdict, TT_RESTARTED);
	CU_ASSERT_EQUAL(r.old.lid, 5);
	CU_ASSERT_EQUAL(r.old.port_guid, PORT_A);
	CU_ASSERT_EQUAL(r.old.deleted_at_ms, 10);
	tt_destroy(t);
}

static void test_same_lid_other_port_is_moved_same_lid(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_set_result r;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 10, NULL), 0);
	r = set_of(t, VG(1), 5, PORT_B, 20);
	CU_ASSERT_EQUAL(r.verdict, TT_MOVED_SAME_LID);
	CU_ASSERT_EQUAL(r.old.port_guid, PORT_A);
	tt_destroy(t);
}

static void test_other_lid_is_migration_with_old_path(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_set_result r;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 10, NULL), 0);
	r = set_of(t, VG(1), 9, PORT_B, 20);
	CU_ASSERT_EQUAL(r.verdict, TT_MIGRATED);
	CU_ASSERT_EQUAL(r.old.lid, 5);
	CU_ASSERT_EQUAL(r.old.port_guid, PORT_A);
	CU_ASSERT_EQUAL(r.old.vguid, VG(1));
	tt_destroy(t);
}

static void test_other_lid_same_port_is_migration(void)
{
	/* The base port's LID changed while the VM was down: peers must re-path. */
	struct tt_table *t = table_with(16, 0);

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 10, NULL), 0);
	CU_ASSERT_EQUAL(set_of(t, VG(1), 6, PORT_A, 20).verdict, TT_MIGRATED);
	tt_destroy(t);
}

static void test_found_entry_is_forgotten(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_entry_view v;
	struct tt_stats st;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 10, NULL), 0);
	CU_ASSERT_EQUAL(tt_lookup(t, VG(1), &v), 0);
	CU_ASSERT_EQUAL(set_of(t, VG(1), 9, PORT_B, 20).verdict, TT_MIGRATED);
	CU_ASSERT_EQUAL(tt_lookup(t, VG(1), &v), -ENOENT);
	CU_ASSERT_EQUAL(set_of(t, VG(1), 9, PORT_B, 30).verdict, TT_CREATED);
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.count, 0);
	CU_ASSERT_EQUAL(st.verdicts[TT_MIGRATED], 1);
	CU_ASSERT_EQUAL(st.verdicts[TT_CREATED], 1);
	CU_ASSERT_EQUAL(st.sets, 2);
	tt_destroy(t);
}

static void test_repeated_delete_keeps_latest_path(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_set_result r;
	struct tt_stats st;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 10, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 7, PORT_B, 15, NULL), 0);
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.count, 1);
	CU_ASSERT_EQUAL(st.replaced, 1);
	CU_ASSERT_EQUAL(st.deletes, 2);
	r = set_of(t, VG(1), 7, PORT_B, 20);
	CU_ASSERT_EQUAL(r.verdict, TT_RESTARTED);
	CU_ASSERT_EQUAL(r.old.deleted_at_ms, 15);
	tt_destroy(t);
}

/* ---- rejected inputs ------------------------------------------------ */

static void test_bad_inputs_are_rejected_and_change_nothing(void)
{
	static const struct {
		uint64_t vguid, port;
		uint16_t lid;
	} bad[] = {
		{ 0, PORT_A, 5 }, { VG(1), 0, 5 }, { VG(1), PORT_A, 0 },
		{ VG(1), PORT_A, 0xC000 }, { VG(1), PORT_A, 0xFFFF },
	};
	struct tt_table *t = table_with(16, 0);
	struct tt_set_result r;
	struct tt_stamp s;
	struct tt_stats st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(tt_delete(t, bad[i].vguid, bad[i].lid, bad[i].port, 1, &s),
				-EINVAL);
		CU_ASSERT_EQUAL(tt_set(t, bad[i].vguid, bad[i].lid, bad[i].port, 1, &r),
				-EINVAL);
	}
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.rejected, 10);
	CU_ASSERT_EQUAL(st.count, 0);
	CU_ASSERT_EQUAL(st.seq, 0);
	CU_ASSERT_EQUAL(st.deletes + st.sets, 0);
	/* The edges of the unicast range are accepted. */
	CU_ASSERT_EQUAL(tt_delete(t, VG(1), TT_LID_MIN, PORT_A, 1, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), TT_LID_MAX, PORT_A, 1, NULL), 0);
	tt_destroy(t);
}

static void test_bad_config_is_refused(void)
{
	struct tt_config cfg = { .capacity = 0 };

	errno = 0;
	CU_ASSERT_PTR_NULL(tt_create(&cfg));
	CU_ASSERT_EQUAL(errno, EINVAL);
	cfg.capacity = TT_CAPACITY_MAX + 1;
	CU_ASSERT_PTR_NULL(tt_create(&cfg));
	CU_ASSERT_PTR_NULL(tt_create(NULL));
}

/* ---- stamps -------------------------------------------------------------- */

static void test_stamps_grow_within_epoch(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_stamp a, b;
	struct tt_set_result r;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 1, &a), 0);
	r = set_of(t, VG(1), 6, PORT_B, 2);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 5, PORT_A, 3, &b), 0);
	CU_ASSERT_EQUAL(a.epoch, 0x5eed);
	CU_ASSERT_EQUAL(r.stamp.epoch, 0x5eed);
	CU_ASSERT_EQUAL(b.epoch, 0x5eed);
	CU_ASSERT(a.seq < r.stamp.seq);
	CU_ASSERT(r.stamp.seq < b.seq);
	CU_ASSERT_EQUAL(a.seq, 1);
	tt_destroy(t);
}

static void test_each_table_picks_its_own_epoch(void)
{
	struct tt_config cfg = { .capacity = 4 };
	struct tt_table *a = tt_create(&cfg), *b = tt_create(&cfg);
	struct tt_stats sa, sb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	tt_get_stats(a, &sa);
	tt_get_stats(b, &sb);
	CU_ASSERT_NOT_EQUAL(sa.epoch, 0);
	CU_ASSERT_NOT_EQUAL(sb.epoch, 0);
	/* Equal with probability 2^-32. */
	CU_ASSERT_NOT_EQUAL(sa.epoch, sb.epoch);
	tt_destroy(a);
	tt_destroy(b);
}

/* ---- TTL ------------------------------------------------------------------ */

struct drop_log {
	size_t n;
	uint64_t vguid[8];
	enum tt_drop_reason reason[8];
};

static void record_drop(void *ctx, const struct tt_entry_view *e, enum tt_drop_reason r)
{
	struct drop_log *log = ctx;

	if (log->n < 8) {
		log->vguid[log->n] = e->vguid;
		log->reason[log->n] = r;
	}
	log->n++;
}

static struct tt_table *logged_table(uint32_t capacity, uint64_t ttl, struct drop_log *log)
{
	struct tt_config cfg = { .capacity = capacity, .ttl_ms = ttl, .epoch = 1,
				 .on_drop = record_drop, .drop_ctx = log };
	struct tt_table *t = tt_create(&cfg);

	memset(log, 0, sizeof(*log));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void test_set_after_expiry_is_creation(void)
{
	struct drop_log log;
	struct tt_table *t = logged_table(16, 1000, &log);
	struct tt_stats st;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 100, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 5, PORT_A, 100, NULL), 0);
	/* One millisecond before the TTL the entry is still there... */
	CU_ASSERT_EQUAL(set_of(t, VG(2), 6, PORT_B, 1099).verdict, TT_MIGRATED);
	/* ...and at the TTL it is gone. */
	CU_ASSERT_EQUAL(set_of(t, VG(1), 6, PORT_B, 1100).verdict, TT_CREATED);
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.expired, 1);
	CU_ASSERT_EQUAL(log.n, 1);
	CU_ASSERT_EQUAL(log.vguid[0], VG(1));
	CU_ASSERT_EQUAL(log.reason[0], TT_DROP_EXPIRED);
	tt_destroy(t);
}

static void test_expire_pass_drops_only_old_entries(void)
{
	struct drop_log log;
	struct tt_table *t = logged_table(16, 100, &log);
	struct tt_entry_view v;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 0, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 5, PORT_A, 50, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(3), 5, PORT_A, 60, NULL), 0);
	CU_ASSERT_EQUAL(tt_expire(t, 149), 1);
	CU_ASSERT_EQUAL(tt_lookup(t, VG(1), &v), -ENOENT);
	CU_ASSERT_EQUAL(tt_lookup(t, VG(2), &v), 0);
	CU_ASSERT_EQUAL(tt_expire(t, 10000), 2);
	CU_ASSERT_EQUAL(tt_expire(t, 10000), 0);
	CU_ASSERT_EQUAL(log.n, 3);
	tt_destroy(t);
}

static void test_zero_ttl_never_expires(void)
{
	struct tt_table *t = table_with(16, 0);

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 0, NULL), 0);
	CU_ASSERT_EQUAL(tt_expire(t, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(set_of(t, VG(1), 5, PORT_A, UINT64_MAX).verdict, TT_RESTARTED);
	tt_destroy(t);
}

static void test_clock_going_back_is_clamped(void)
{
	struct tt_table *t = table_with(16, 100);
	struct tt_entry_view v;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 1000, NULL), 0);
	/* A wall clock stepped back must not stamp an entry in the past. */
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 5, PORT_A, 10, NULL), 0);
	CU_ASSERT_EQUAL(tt_lookup(t, VG(2), &v), 0);
	CU_ASSERT_EQUAL(v.deleted_at_ms, 1000);
	CU_ASSERT_EQUAL(tt_expire(t, 1099), 0);
	CU_ASSERT_EQUAL(tt_expire(t, 1100), 2);
	tt_destroy(t);
}

/* ---- capacity --------------------------------------------------------- */

static void test_full_table_evicts_oldest(void)
{
	struct drop_log log;
	struct tt_table *t = logged_table(3, 0, &log);
	struct tt_stats st;
	int i;

	for (i = 1; i <= 4; i++)
		CU_ASSERT_EQUAL(tt_delete(t, VG(i), 5, PORT_A, (uint64_t)i, NULL), 0);
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.count, 3);
	CU_ASSERT_EQUAL(st.evicted, 1);
	CU_ASSERT_EQUAL(log.n, 1);
	CU_ASSERT_EQUAL(log.vguid[0], VG(1));
	CU_ASSERT_EQUAL(log.reason[0], TT_DROP_EVICTED);
	CU_ASSERT_EQUAL(set_of(t, VG(1), 5, PORT_A, 9).verdict, TT_CREATED);
	CU_ASSERT_EQUAL(set_of(t, VG(2), 5, PORT_A, 9).verdict, TT_RESTARTED);
	tt_destroy(t);
}

static void test_replaced_entry_becomes_newest(void)
{
	struct drop_log log;
	struct tt_table *t = logged_table(2, 0, &log);

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 1, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 5, PORT_A, 2, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 3, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(3), 5, PORT_A, 4, NULL), 0);
	CU_ASSERT_EQUAL(log.n, 1);
	CU_ASSERT_EQUAL(log.vguid[0], VG(2));
	tt_destroy(t);
}

static void test_delete_flood_stays_within_bound(void)
{
	const uint32_t cap = 5000;
	struct tt_table *t = table_with(cap, 0);
	struct tt_stats full, after;
	uint64_t i;

	for (i = 1; i <= cap; i++)
		CU_ASSERT_EQUAL_FATAL(tt_delete(t, i * 0x9E3779B97F4A7C15ULL | 1, 5, PORT_A, i,
						NULL), 0);
	tt_get_stats(t, &full);
	for (; i <= 40 * (uint64_t)cap; i++)
		CU_ASSERT_EQUAL_FATAL(tt_delete(t, i * 0x9E3779B97F4A7C15ULL | 1, 5, PORT_A, i,
						NULL), 0);
	tt_get_stats(t, &after);
	CU_ASSERT_EQUAL(after.count, cap);
	CU_ASSERT_EQUAL(after.bytes, full.bytes);
	CU_ASSERT_EQUAL(after.evicted, 39 * (uint64_t)cap);
	tt_destroy(t);
}

/* ---- inspection and flush --------------------------------------------- */

static void test_snapshot_is_oldest_first(void)
{
	struct tt_table *t = table_with(16, 0);
	struct tt_entry_view *v;
	size_t n;

	CU_ASSERT_EQUAL(tt_snapshot(t, &v, &n), 0);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(3), 7, PORT_B, 1, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 2, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 6, PORT_A, 3, NULL), 0);
	CU_ASSERT_EQUAL(set_of(t, VG(1), 5, PORT_A, 4).verdict, TT_RESTARTED);
	CU_ASSERT_EQUAL_FATAL(tt_snapshot(t, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(v[0].vguid, VG(3));
	CU_ASSERT_EQUAL(v[0].lid, 7);
	CU_ASSERT_EQUAL(v[0].port_guid, PORT_B);
	CU_ASSERT_EQUAL(v[1].vguid, VG(2));
	CU_ASSERT_EQUAL(v[1].deleted_at_ms, 3);
	free(v);
	tt_destroy(t);
}

static void test_flush_one_and_all(void)
{
	struct drop_log log;
	struct tt_table *t = logged_table(16, 0, &log);
	struct tt_stats st;

	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 1, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 5, PORT_A, 1, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(3), 5, PORT_A, 1, NULL), 0);
	CU_ASSERT_EQUAL(tt_flush(t, VG(2)), 0);
	CU_ASSERT_EQUAL(tt_flush(t, VG(2)), -ENOENT);
	CU_ASSERT_EQUAL(tt_flush(t, 0), -ENOENT);
	CU_ASSERT_EQUAL(set_of(t, VG(2), 5, PORT_A, 2).verdict, TT_CREATED);
	CU_ASSERT_EQUAL(tt_flush_all(t), 2);
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.count, 0);
	CU_ASSERT_EQUAL(st.flushed, 3);
	CU_ASSERT_EQUAL(log.n, 3);
	CU_ASSERT_EQUAL(log.reason[2], TT_DROP_FLUSHED);
	tt_destroy(t);
}

/* ---- the save file ------------------------------------------------------- */

static char tmpdir[] = "/tmp/tt-test-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_bytes(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
	static uint8_t buf[4096];
	FILE *f = fopen(path, "rb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static void fill_three(struct tt_table *t)
{
	CU_ASSERT_EQUAL(tt_delete(t, VG(1), 5, PORT_A, 100, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(2), 6, PORT_B, 200, NULL), 0);
	CU_ASSERT_EQUAL(tt_delete(t, VG(3), 0xBFFF, PORT_A, 300, NULL), 0);
}

static void save_table(struct tt_table *t, const char *path)
{
	struct tt_entry_view *v;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(tt_snapshot(t, &v, &n), 0);
	CU_ASSERT_EQUAL(tt_write_file(path, v, n), 0);
	free(v);
}

static void test_save_and_restore_round_trip(void)
{
	struct tt_table *a = table_with(16, 1000), *b = table_with(16, 1000);
	const char *path = tmp_path("round-trip");
	struct tt_entry_view *va, *vb, *loaded;
	const char *why;
	size_t na, nb, n, i;
	struct tt_stats st;

	fill_three(a);
	save_table(a, path);
	CU_ASSERT_EQUAL_FATAL(tt_read_file(path, &loaded, &n, &why), 0);
	CU_ASSERT_EQUAL(tt_restore(b, loaded, n), 0);
	free(loaded);
	CU_ASSERT_EQUAL_FATAL(tt_snapshot(a, &va, &na), 0);
	CU_ASSERT_EQUAL_FATAL(tt_snapshot(b, &vb, &nb), 0);
	CU_ASSERT_EQUAL_FATAL(na, nb);
	for (i = 0; i < na; i++) {
		CU_ASSERT_EQUAL(va[i].vguid, vb[i].vguid);
		CU_ASSERT_EQUAL(va[i].port_guid, vb[i].port_guid);
		CU_ASSERT_EQUAL(va[i].deleted_at_ms, vb[i].deleted_at_ms);
		CU_ASSERT_EQUAL(va[i].lid, vb[i].lid);
	}
	free(va);
	free(vb);
	tt_get_stats(b, &st);
	CU_ASSERT_EQUAL(st.restored, 3);
	/* A migration that straddles the restart is still seen. */
	CU_ASSERT_EQUAL(set_of(b, VG(2), 9, PORT_A, 250).verdict, TT_MIGRATED);
	/* Restored entries keep their age: VG(1) expires at 1100. */
	CU_ASSERT_EQUAL(set_of(b, VG(1), 5, PORT_A, 1100).verdict, TT_CREATED);
	tt_destroy(a);
	tt_destroy(b);
}

static void test_empty_table_saves_and_loads(void)
{
	const char *path = tmp_path("empty");
	struct tt_entry_view *v;
	const char *why;
	size_t n = 99;

	CU_ASSERT_EQUAL(tt_write_file(path, NULL, 0), 0);
	CU_ASSERT_EQUAL(tt_read_file(path, &v, &n, &why), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(v);
}

static void expect_refused(const char *path, int want_rc)
{
	struct tt_entry_view *v = (void *)1;
	const char *why = NULL;
	size_t n = 99;

	CU_ASSERT_EQUAL(tt_read_file(path, &v, &n, &why), want_rc);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(n, 0);
	if (want_rc == -EBADMSG)
		CU_ASSERT_PTR_NOT_NULL(why);
}

static void test_every_truncation_is_refused(void)
{
	struct tt_table *t = table_with(16, 0);
	const char *good = tmp_path("good");
	uint8_t copy[4096];
	size_t len, cut;

	fill_three(t);
	save_table(t, good);
	memcpy(copy, read_bytes(good, &len), sizeof(copy));
	for (cut = 0; cut < len; cut++) {
		write_bytes(tmp_path("cut"), copy, cut);
		expect_refused(tmp_path("cut"), -EBADMSG);
	}
	tt_destroy(t);
}

static void test_every_flipped_byte_is_refused(void)
{
	struct tt_table *t = table_with(16, 0);
	const char *good = tmp_path("good");
	uint8_t copy[4096];
	size_t len, i;

	fill_three(t);
	save_table(t, good);
	memcpy(copy, read_bytes(good, &len), sizeof(copy));
	for (i = 0; i < len; i++) {
		copy[i] ^= 0x5A;
		write_bytes(tmp_path("flip"), copy, len);
		expect_refused(tmp_path("flip"), -EBADMSG);
		copy[i] ^= 0x5A;
	}
	/* An appended byte is damage too. */
	copy[len] = 0;
	write_bytes(tmp_path("flip"), copy, len + 1);
	expect_refused(tmp_path("flip"), -EBADMSG);
	tt_destroy(t);
}

static void test_invalid_entries_with_good_checksum_are_refused(void)
{
	struct tt_entry_view zero_lid[] = { { VG(1), PORT_A, 1, 0 } };
	struct tt_entry_view mcast_lid[] = { { VG(1), PORT_A, 1, 0xC001 } };
	struct tt_entry_view zero_guid[] = { { 0, PORT_A, 1, 5 } };
	struct tt_entry_view disorder[] = { { VG(1), PORT_A, 9, 5 }, { VG(2), PORT_A, 8, 5 } };
	const char *path = tmp_path("invalid");

	CU_ASSERT_EQUAL(tt_write_file(path, zero_lid, 1), 0);
	expect_refused(path, -EBADMSG);
	CU_ASSERT_EQUAL(tt_write_file(path, mcast_lid, 1), 0);
	expect_refused(path, -EBADMSG);
	CU_ASSERT_EQUAL(tt_write_file(path, zero_guid, 1), 0);
	expect_refused(path, -EBADMSG);
	CU_ASSERT_EQUAL(tt_write_file(path, disorder, 2), 0);
	expect_refused(path, -EBADMSG);
}

/* tt_read_file of a FIFO, on a thread: the test must end even if it blocks. */
struct fifo_read {
	const char *path;
	int rc;
};

static void *fifo_read_main(void *arg)
{
	struct fifo_read *r = arg;
	struct tt_entry_view *v = NULL;
	const char *why;
	size_t n;

	r->rc = tt_read_file(r->path, &v, &n, &why);
	free(v);
	return NULL;
}

static void test_a_fifo_is_refused_without_waiting_for_a_writer(void)
{
	struct fifo_read r = { .path = tmp_path("fifo"), .rc = 1 };
	struct timespec deadline;
	pthread_t th;
	int fd;

	CU_ASSERT_EQUAL_FATAL(mkfifo(r.path, 0600), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, fifo_read_main, &r), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	if (pthread_timedjoin_np(th, NULL, &deadline)) {
		CU_FAIL("tt_read_file waits for a writer on a FIFO");
		fd = open(r.path, O_WRONLY);	/* lets it go */
		pthread_join(th, NULL);
		if (fd >= 0)
			close(fd);
	}
	CU_ASSERT_EQUAL(r.rc, -EBADMSG);
	unlink(r.path);
}

static void test_missing_or_odd_files_are_refused(void)
{
	expect_refused(tmp_path("does-not-exist"), -ENOENT);
	expect_refused(tmpdir, -EBADMSG);
	write_bytes(tmp_path("empty-file"), (const uint8_t *)"", 0);
	expect_refused(tmp_path("empty-file"), -EBADMSG);
	write_bytes(tmp_path("text"), (const uint8_t *)"IBVMTTBL is not enough", 22);
	expect_refused(tmp_path("text"), -EBADMSG);
}

static void test_restore_is_all_or_nothing(void)
{
	struct tt_entry_view dup[] = { { VG(1), PORT_A, 1, 5 }, { VG(2), PORT_A, 2, 5 },
				       { VG(1), PORT_B, 3, 6 } };
	struct tt_entry_view ok[] = { { VG(1), PORT_A, 1, 5 } };
	struct tt_table *t = table_with(2, 0);
	struct tt_stats st;

	CU_ASSERT_EQUAL(tt_restore(t, dup, 3), -ENOSPC);
	tt_destroy(t);
	t = table_with(16, 0);
	CU_ASSERT_EQUAL(tt_restore(t, dup, 3), -EINVAL);
	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL(st.count, 0);
	CU_ASSERT_EQUAL(st.restored, 0);
	CU_ASSERT_EQUAL(tt_restore(t, ok, 1), 0);
	CU_ASSERT_EQUAL(tt_restore(t, ok, 1), -EBUSY);
	tt_destroy(t);
}

static void test_write_to_unwritable_place_fails_cleanly(void)
{
	struct tt_entry_view one[] = { { VG(1), PORT_A, 1, 5 } };

	CU_ASSERT_EQUAL(tt_write_file("/nonexistent-dir/table", one, 1), -ENOENT);
}

/* ---- randomized model check ------------------------------------------- */

/*
 * The reference: per-key arrays and an append-only log in age order, with
 * every removal a tombstone.  Slow, obviously right.
 */
#define MODEL_KEYS 2048

struct model {
	uint32_t capacity;
	uint64_t ttl, now;
	int present[MODEL_KEYS];
	uint16_t lid[MODEL_KEYS];
	uint64_t port[MODEL_KEYS], time[MODEL_KEYS], order[MODEL_KEYS];
	uint32_t count;
	uint64_t *log_key, *log_order;	/* age log, oldest first */
	size_t log_head, log_len, log_cap;
	uint64_t next_order;
	struct tt_stats st;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t key_guid(unsigned k)
{
	/* Distinct, non-zero, spread and also some sequential neighbours. */
	return k & 1 ? 0x0002c90300000000ULL + k : (k + 1) * 0x9E3779B97F4A7C15ULL;
}

static void model_push(struct model *m, unsigned k)
{
	if (m->log_len == m->log_cap) {
		m->log_cap = m->log_cap ? m->log_cap * 2 : 1024;
		m->log_key = realloc(m->log_key, m->log_cap * sizeof(uint64_t));
		m->log_order = realloc(m->log_order, m->log_cap * sizeof(uint64_t));
		CU_ASSERT_PTR_NOT_NULL_FATAL(m->log_key);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m->log_order);
	}
	m->order[k] = ++m->next_order;
	m->log_key[m->log_len] = k;
	m->log_order[m->log_len++] = m->order[k];
}

/* The oldest live key, or -1. */
static int model_oldest(struct model *m)
{
	while (m->log_head < m->log_len) {
		unsigned k = (unsigned)m->log_key[m->log_head];

		if (m->present[k] && m->order[k] == m->log_order[m->log_head])
			return (int)k;
		m->log_head++;
	}
	return -1;
}

static void model_expire(struct model *m)
{
	int k;

	while (m->ttl && (k = model_oldest(m)) >= 0 && m->now - m->time[k] >= m->ttl) {
		m->present[k] = 0;
		m->count--;
		m->st.expired++;
	}
}

static void model_delete(struct model *m, unsigned k, uint16_t lid, uint64_t port)
{
	model_expire(m);
	if (m->present[k]) {
		m->st.replaced++;
	} else {
		if (m->count == m->capacity) {
			m->present[model_oldest(m)] = 0;
			m->count--;
			m->st.evicted++;
		}
		m->present[k] = 1;
		m->count++;
	}
	m->lid[k] = lid;
	m->port[k] = port;
	m->time[k] = m->now;
	model_push(m, k);
	m->st.deletes++;
}

static enum tt_verdict model_set(struct model *m, unsigned k, uint16_t lid, uint64_t port)
{
	enum tt_verdict v = TT_CREATED;

	model_expire(m);
	if (m->present[k]) {
		if (m->lid[k] != lid)
			v = TT_MIGRATED;
		else
			v = m->port[k] == port ? TT_RESTARTED : TT_MOVED_SAME_LID;
		m->present[k] = 0;
		m->count--;
	}
	m->st.sets++;
	m->st.verdicts[v]++;
	return v;
}

static void compare_snapshot(struct tt_table *t, struct model *m)
{
	struct tt_entry_view *v;
	size_t n, i, j = m->log_head;

	CU_ASSERT_EQUAL_FATAL(tt_snapshot(t, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, m->count);
	for (i = 0; i < n; i++) {
		unsigned k;

		while (!m->present[m->log_key[j]] ||
		       m->order[m->log_key[j]] != m->log_order[j])
			j++;
		k = (unsigned)m->log_key[j++];
		CU_ASSERT_EQUAL_FATAL(v[i].vguid, key_guid(k));
		CU_ASSERT_EQUAL_FATAL(v[i].lid, m->lid[k]);
		CU_ASSERT_EQUAL_FATAL(v[i].port_guid, m->port[k]);
		CU_ASSERT_EQUAL_FATAL(v[i].deleted_at_ms, m->time[k]);
	}
	free(v);
}

static void compare_stats(struct tt_table *t, struct model *m)
{
	struct tt_stats st;
	int i;

	tt_get_stats(t, &st);
	CU_ASSERT_EQUAL_FATAL(st.count, m->count);
	CU_ASSERT_EQUAL_FATAL(st.deletes, m->st.deletes);
	CU_ASSERT_EQUAL_FATAL(st.replaced, m->st.replaced);
	CU_ASSERT_EQUAL_FATAL(st.sets, m->st.sets);
	CU_ASSERT_EQUAL_FATAL(st.expired, m->st.expired);
	CU_ASSERT_EQUAL_FATAL(st.evicted, m->st.evicted);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(st.verdicts[i], m->st.verdicts[i]);
}

/* Save, reload into a fresh table, and carry on with the copy. */
static struct tt_table *reload(struct tt_table *t, struct model *m)
{
	struct tt_config cfg = { .capacity = m->capacity, .ttl_ms = m->ttl, .epoch = 7 };
	struct tt_table *copy = tt_create(&cfg);
	struct tt_entry_view *v;
	const char *why;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	save_table(t, tmp_path("model"));
	CU_ASSERT_EQUAL_FATAL(tt_read_file(tmp_path("model"), &v, &n, &why), 0);
	CU_ASSERT_EQUAL_FATAL(tt_restore(copy, v, n), 0);
	free(v);
	tt_destroy(t);
	/* The copy's counters start again: so does the model's. */
	memset(&m->st, 0, sizeof(m->st));
	return copy;
}

static void model_step(struct tt_table **tp, struct model *m, unsigned keys)
{
	uint64_t r = rng();
	unsigned k = (unsigned)(r >> 8) % keys;
	uint16_t lid = (uint16_t)(1 + (r >> 40) % 4);
	uint64_t port = (r >> 50) & 1 ? PORT_A : PORT_B;
	struct tt_set_result res;
	uint64_t expired;

	m->now += (r >> 20) % 3 == 0 ? (r >> 24) % 50 : 0;
	switch (r % 16) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6:
		CU_ASSERT_EQUAL_FATAL(tt_delete(*tp, key_guid(k), lid, port, m->now, NULL), 0);
		model_delete(m, k, lid, port);
		break;
	case 7: case 8: case 9: case 10: case 11: case 12: case 13:
		CU_ASSERT_EQUAL_FATAL(tt_set(*tp, key_guid(k), lid, port, m->now, &res), 0);
		CU_ASSERT_EQUAL_FATAL(res.verdict, model_set(m, k, lid, port));
		break;
	case 14:
		expired = m->st.expired;
		model_expire(m);
		CU_ASSERT_EQUAL_FATAL(tt_expire(*tp, m->now), m->st.expired - expired);
		break;
	default:
		if ((r >> 30) % 20000 == 0)
			*tp = reload(*tp, m);
		else if ((r >> 30) % 200 == 0)
			compare_snapshot(*tp, m);
		break;
	}
}

static void run_model(uint32_t capacity, uint64_t ttl, unsigned keys, unsigned long steps)
{
	struct model *m = calloc(1, sizeof(*m));
	struct tt_table *t;
	unsigned long i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->capacity = capacity;
	m->ttl = ttl;
	t = table_with(capacity, ttl);
	for (i = 0; i < steps; i++) {
		model_step(&t, m, keys);
		if (i % 4096 == 0)
			compare_stats(t, m);
	}
	compare_snapshot(t, m);
	compare_stats(t, m);
	tt_destroy(t);
	free(m->log_key);
	free(m->log_order);
	free(m);
}

static unsigned long model_steps(void)
{
	const char *s = getenv("TT_MODEL_STEPS");

	return s ? strtoul(s, NULL, 0) : 1000000;
}

static void test_model_small_table_churn(void)
{
	run_model(64, 400, 200, model_steps());
}

static void test_model_large_table_no_ttl(void)
{
	run_model(1500, 0, MODEL_KEYS, model_steps());
}

static void test_model_ttl_dominates(void)
{
	run_model(MODEL_KEYS, 150, MODEL_KEYS, model_steps());
}

/* ---- main -------------------------------------------------------------- */

static int make_tmpdir(void)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void)
{
	static const char *const names[] = {
		"round-trip", "empty", "good", "cut", "flip", "invalid", "empty-file",
		"text", "model",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmp_path(names[i]));
	return rmdir(tmpdir);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_set_without_delete_is_creation),
		UNIT_TEST(test_same_lid_same_port_is_restart),
		UNIT_TEST(test_same_lid_other_port_is_moved_same_lid),
		UNIT_TEST(test_other_lid_is_migration_with_old_path),
		UNIT_TEST(test_other_lid_same_port_is_migration),
		UNIT_TEST(test_found_entry_is_forgotten),
		UNIT_TEST(test_repeated_delete_keeps_latest_path),
		UNIT_TEST(test_bad_inputs_are_rejected_and_change_nothing),
		UNIT_TEST(test_bad_config_is_refused),
		UNIT_TEST(test_stamps_grow_within_epoch),
		UNIT_TEST(test_each_table_picks_its_own_epoch),
		UNIT_TEST(test_set_after_expiry_is_creation),
		UNIT_TEST(test_expire_pass_drops_only_old_entries),
		UNIT_TEST(test_zero_ttl_never_expires),
		UNIT_TEST(test_clock_going_back_is_clamped),
		UNIT_TEST(test_full_table_evicts_oldest),
		UNIT_TEST(test_replaced_entry_becomes_newest),
		UNIT_TEST(test_delete_flood_stays_within_bound),
		UNIT_TEST(test_snapshot_is_oldest_first),
		UNIT_TEST(test_flush_one_and_all),
		UNIT_TEST(test_save_and_restore_round_trip),
		UNIT_TEST(test_empty_table_saves_and_loads),
		UNIT_TEST(test_every_truncation_is_refused),
		UNIT_TEST(test_every_flipped_byte_is_refused),
		UNIT_TEST(test_invalid_entries_with_good_checksum_are_refused),
		UNIT_TEST(test_missing_or_odd_files_are_refused),
		UNIT_TEST(test_a_fifo_is_refused_without_waiting_for_a_writer),
		UNIT_TEST(test_restore_is_all_or_nothing),
		UNIT_TEST(test_write_to_unwritable_place_fails_cleanly),
		UNIT_TEST(test_model_small_table_churn),
		UNIT_TEST(test_model_large_table_no_ttl),
		UNIT_TEST(test_model_ttl_dominates),
	};
	const char *seed = getenv("TT_SEED");

	rng_state = seed ? strtoull(seed, NULL, 0) : 0x1b5eedULL;
	printf("trap table model seed 0x%llx (set TT_SEED to replay)\n",
	       (unsigned long long)rng_state);
	return unit_run("trap_table", make_tmpdir, remove_tmpdir, tests,
			sizeof(tests) / sizeof(tests[0]));
}

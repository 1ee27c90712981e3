// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_trap_file.c - libFuzzer harness of the save-file reader
 * (doc/trap-table-file.md): the plugin reads its trap table and its live
 * aliases back from two files of this format at start-up, and anyone who can
 * write the state directory writes those bytes.  The input is one file's
 * image, read with tt_decode_buf() (what tt_read_file() does to the file's
 * contents), then restored the way the plugin restores each file: into a
 * trap table (tt_restore) and into an alias watch as aliases forgotten at a
 * restart (aw_restore_forgotten).
 *
 * Invariants: the reader refuses with -EBADMSG, a reason and nothing else,
 * or accepts an image of exactly 16 + 26n + 4 bytes whose entries are valid
 * and in age order, and that the encoder writes back byte for byte.  A
 * restore of what it accepted fails only for the documented reasons (more
 * than the capacity, a vGUID twice, a time past the table's clock) and then
 * leaves the table empty; otherwise the table's snapshot is the file, each
 * vGUID set again where it was is a restart, and in the watch a forgotten
 * alias set again sends a RePath exactly when its LID changed.
 */
#include "alias_watch.h"
#include "fuzz.h"
#include "trap_table.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define HEADER 16
#define ENTRY 26
#define TRAILER 4
#define CAPACITY 128	/* fewer than a 4 KiB input holds: -ENOSPC is reached too */
#define TIME_MAX ((1ULL << 48) - 1)	/* the trap table's clock (trap_table.c) */

struct notices {
	size_t repath, other;
	uint64_t last_vguid;
	uint16_t last_old_lid;
};

static void count_notice(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	struct notices *seen = ctx;

	if (trap == IBVMIG_TRAP_REPATH && n->reason == IBVMIG_REASON_MIGRATED) {
		seen->repath++;
		seen->last_vguid = n->vguid;
		seen->last_old_lid = n->old_lid;
	} else {
		seen->other++;
	}
}

/* Field by field: the views have padding that nobody writes. */
static bool same_entry(const struct tt_entry_view *a, const struct tt_entry_view *b)
{
	return a->vguid == b->vguid && a->port_guid == b->port_guid &&
	       a->deleted_at_ms == b->deleted_at_ms && a->lid == b->lid;
}

/* What tt_restore() must answer for @e: the rules of trap_table.h. */
static int expected_restore(const struct tt_entry_view *e, size_t n)
{
	size_t i, j;

	if (n > CAPACITY)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		if (e[i].deleted_at_ms > TIME_MAX)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (e[j].vguid == e[i].vguid)
				return -EINVAL;
	}
	return 0;
}

static void check_table(const struct tt_entry_view *e, size_t n, int want)
{
	struct tt_config cfg = { .capacity = CAPACITY, .epoch = 1 };
	struct tt_entry_view *snap;
	struct tt_set_result res;
	struct tt_stats st;
	struct tt_table *t = tt_create(&cfg);
	size_t i, got;

	if (!t)
		return;
	FUZZ_CHECK(tt_restore(t, e, n) == want);
	tt_get_stats(t, &st);
	if (want) {
		FUZZ_CHECK(st.count == 0 && st.restored == 0);
		goto out;
	}
	FUZZ_CHECK(st.count == n && st.restored == n);
	if (tt_snapshot(t, &snap, &got))
		goto out;
	FUZZ_CHECK(got == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(same_entry(&snap[i], &e[i]));
	free(snap);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(tt_set(t, e[i].vguid, e[i].lid, e[i].port_guid, e[n - 1].deleted_at_ms,
				  &res) == 0);
		FUZZ_CHECK(res.verdict == TT_RESTARTED);
		FUZZ_CHECK(res.old.deleted_at_ms == e[i].deleted_at_ms);
	}
	tt_get_stats(t, &st);
	FUZZ_CHECK(st.count == 0);
out:
	tt_destroy(t);
}

static void check_watch(const struct tt_entry_view *e, size_t n, int want)
{
	struct aw_config cfg = {
		.table = { .capacity = CAPACITY, .epoch = 1 },
		.unpath = true,
		.max_aliases = CAPACITY,	/* the forgotten aliases' capacity too */
	};
	struct notices seen = { 0 };
	struct aw_stats st;
	struct aw_watch *w = aw_create(&cfg, count_notice, &seen);
	size_t i, moved = 0;
	uint16_t lid;

	if (!w)
		return;
	FUZZ_CHECK(aw_restore_forgotten(w, e, n) == want);
	aw_get_stats(w, &st);
	FUZZ_CHECK(st.forgotten == (want ? 0 : n) && st.live == 0);
	if (want)
		goto out;
	/* Every other alias comes back with another LID: a migration while the SM was down. */
	for (i = 0; i < n; i++) {
		lid = e[i].lid;
		if (i & 1) {
			lid = lid == TT_LID_MAX ? TT_LID_MIN : lid + 1;
			moved++;
		}
		FUZZ_CHECK(aw_alias_set(w, e[i].vguid, e[i].port_guid, lid,
					e[n - 1].deleted_at_ms) == 0);
		if (i & 1)
			FUZZ_CHECK(seen.last_vguid == e[i].vguid && seen.last_old_lid == e[i].lid);
	}
	FUZZ_CHECK(seen.repath == moved && seen.other == 0);
	aw_get_stats(w, &st);
	FUZZ_CHECK(st.forgotten == 0 && st.live == n && st.migrated_while_down == moved);
out:
	aw_destroy(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_entry_view *e;
	const char *why;
	uint8_t *again;
	size_t n, len, i;
	int rc, want;

	rc = tt_decode_buf(data, size, &e, &n, &why);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
	if (rc) {
		FUZZ_CHECK(!e && !n && (rc != -EBADMSG || (why && *why)));
		return 0;
	}
	FUZZ_CHECK(!why && size == HEADER + n * ENTRY + TRAILER && (n > 0) == (e != NULL));
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(e[i].vguid && e[i].port_guid);
		FUZZ_CHECK(e[i].lid >= TT_LID_MIN && e[i].lid <= TT_LID_MAX);
		FUZZ_CHECK(!i || e[i - 1].deleted_at_ms <= e[i].deleted_at_ms);
	}
	FUZZ_CHECK(tt_encode_buf(e, n, &again, &len) == 0);
	FUZZ_CHECK(len == size && memcmp(again, data, size) == 0);
	free(again);
	want = expected_restore(e, n);
	check_table(e, n, want);
	check_watch(e, n, want);
	free(e);
	return 0;
}

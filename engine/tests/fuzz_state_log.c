// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_state_log.c - libFuzzer harness of the engine's record decoder
 * (state_log.h, doc/journal.md "The engine's records"): the state journal's
 * CRCs catch a torn or flipped write, not a file someone who can write the
 * state directory made with valid CRCs, so the payloads are untrusted.  The
 * input is a run of records, each a type byte (0: facts, 1: a mark, 2: a type
 * of the engine's range no version knows, 3: another owner's), a length byte
 * and that many payload bytes (the last record takes what is left), replayed
 * with sl_replay_apply, then sl_replay_finish, then restored as the engine
 * restores: into a trap table and into an alias watch as forgotten aliases.
 *
 * Invariants: a record is accepted (0) or refused with -EBADMSG and a
 * reason, never anything else (-ENOMEM aside), and a refused one ends the
 * replay as it ends jnl_open.  What a replay gives has every entry valid
 * (vGUID, port, unicast LID), each vGUID once per side, oldest first, at most
 * MAX_ALIASES aliases, and restores without an error into an empty table
 * and watch.
 */
#include "fuzz.h"
#include "state_log.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define MAX_ALIASES 64
#define CAPACITY 4096	/* more than an input's facts: every restore fits */
#define NOW_MS 1800000000000ULL	/* the engine clamps stamps ahead of its clock (state.c) */

static void no_notice(void *ctx, uint16_t trap, const struct ibvmig_path_notice *n)
{
	(void)ctx;
	(void)trap;
	(void)n;
}

static const uint16_t types[4] = { SL_REC_FACTS, SL_REC_MARK, JNL_TYPE_ENGINE_MAX, 0x0101 };

/* Feeds the input's records; returns 0 or the refusal that ended the replay. */
static int replay(struct sl_replay *r, const uint8_t *data, size_t size)
{
	size_t at = 0;
	int rc = 0;

	while (!rc && at + 2 <= size) {
		struct jnl_record rec = { .type = types[data[at] & 3], .seq = at };
		size_t len = data[at + 1];

		at += 2;
		/* The last record takes the rest: facts records longer than 255 bytes. */
		if (at + len > size || at + len + 2 > size)
			len = size - at;
		rec.data = data + at;
		rec.len = (uint32_t)len;
		rc = sl_replay_apply(r, &rec);
		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
		FUZZ_CHECK(rc != -EBADMSG || *sl_replay_why(r));
		at += len;
	}
	return rc;
}

static void check_views(const struct tt_entry_view *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].vguid && v[i].port_guid);
		FUZZ_CHECK(v[i].lid >= TT_LID_MIN && v[i].lid <= TT_LID_MAX);
		FUZZ_CHECK(!i || v[i - 1].deleted_at_ms <= v[i].deleted_at_ms);
	}
}

/* As the engine takes stamps from the future: made now. */
static void clamp(struct tt_entry_view *v, size_t n)
{
	while (n--)
		if (v[n].deleted_at_ms > NOW_MS)
			v[n].deleted_at_ms = NOW_MS;
}

static void check_restore(struct sl_state *st)
{
	struct aw_config cfg = { .table = { .capacity = CAPACITY }, .max_aliases = MAX_ALIASES };
	struct aw_watch *w = aw_create(&cfg, no_notice, NULL);
	struct aw_stats as;
	struct tt_stats ts;

	if (!w)
		return;	/* no memory */
	clamp(st->traps, st->n_traps);
	clamp(st->aliases, st->n_aliases);
	FUZZ_CHECK(tt_restore(aw_table(w), st->traps, st->n_traps) == 0);
	FUZZ_CHECK(aw_restore_forgotten(w, st->aliases, st->n_aliases) == 0);
	tt_get_stats(aw_table(w), &ts);
	aw_get_stats(w, &as);
	FUZZ_CHECK(ts.count == st->n_traps && as.forgotten == st->n_aliases && !as.live);
	aw_destroy(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_replay *r = sl_replay_new();
	struct sl_state st;
	int rc;

	if (!r)
		return 0;
	rc = replay(r, data, size);
	if (!rc && !sl_replay_finish(r, MAX_ALIASES, &st)) {
		FUZZ_CHECK(st.n_aliases <= MAX_ALIASES);
		check_views(st.traps, st.n_traps);
		check_views(st.aliases, st.n_aliases);
		check_restore(&st);
		sl_state_free(&st);
	}
	sl_replay_free(r);
	return 0;
}

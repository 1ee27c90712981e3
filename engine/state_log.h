/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * state_log.h - the engine's records in the journal (ibvmig_journal.h,
 * doc/journal.md, "The engine's records"): the trap table and the live
 * aliases as facts, one per side of a vGUID (alias_watch.h), so that a save
 * appends what changed since the last one and a compaction writes the whole
 * state.  The one encoder and the one decoder of these records.  Private to
 * libibvmig-engine.
 *
 * A replay collects the facts in file order, the later fact of a side of a
 * vGUID replacing the earlier one, and gives the state as the restore
 * functions take it: the trap table's entries and the aliases live before
 * the restart (live ones stamped with the last save's time, as
 * aw_snapshot_live stamps them), oldest first.
 *
 * ERRORS: 0 or a negative errno; a record of the engine's range that cannot
 * be one gives -EBADMSG with the reason in sl_replay_why().
 * THREAD SAFETY: none inside; one caller per replay and per journal.
 * OWNERSHIP: the caller owns every handle and array it is given.
 */
#ifndef IBVMIG_STATE_LOG_H
#define IBVMIG_STATE_LOG_H

#include "alias_watch.h"
#include "ibvmig_journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_REC_FACTS 0x0200		/* facts, in the log and the snapshot */
#define SL_REC_MARK 0x0201		/* the time of a save */
#define SL_FACT_LEN 32
#define SL_FACTS_HEADER_LEN 8
/* Facts per record: 512 KiB records, half of JNL_PAYLOAD_MAX. */
#define SL_FACTS_PER_RECORD 16384
#define SL_MARK_LEN 16

/* The state as the restore functions take it. */
struct sl_state {
	struct tt_entry_view *traps;	/* oldest first */
	size_t n_traps;
	struct tt_entry_view *aliases;	/* forgotten and live, oldest first */
	size_t n_aliases;
	uint64_t mark_ms;		/* the last save's time; 0: no save seen */
	uint64_t records;		/* the engine's records replayed */
};

struct sl_replay;

/* NULL with errno ENOMEM. */
struct sl_replay *sl_replay_new(void);
void sl_replay_free(struct sl_replay *r);
/* A jnl_apply_fn: ctx is the replay.  Other owners' records are skipped. */
int sl_replay_apply(void *ctx, const struct jnl_record *rec);
/* Why the last apply refused a record (static text), "" if none. */
const char *sl_replay_why(const struct sl_replay *r);
/*
 * The state the records replayed so far describe; at most @max_aliases
 * aliases (the oldest give way, as aw_snapshot_live lets them).  0 or
 * -ENOMEM; free with sl_state_free.
 */
int sl_replay_finish(struct sl_replay *r, uint32_t max_aliases, struct sl_state *out);
void sl_state_free(struct sl_state *s);

/*
 * One save: the facts and the save's mark, as one write (all or none after
 * a crash; jnl_append_batch).  @facts may be NULL when @n is 0.
 */
int sl_append(struct jnl *j, const struct aw_fact *facts, size_t n, uint64_t mark_ms);
/* Replaces the journal with a snapshot of these facts and the mark (jnl_compact). */
int sl_compact(struct jnl *j, const struct aw_fact *facts, size_t n, uint64_t mark_ms);

#endif /* IBVMIG_STATE_LOG_H */

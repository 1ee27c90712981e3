/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * esc_lft.h - the fast LID move's arithmetic (prefix esc_lft_): which routing
 * set-ups allow a LID to be moved by copying forwarding entries, the entries
 * a RELEASE and a CLAIM change, and which 64-entry blocks of a switch's linear
 * forwarding table (LFT) then differ.  Pure C: tables in, verdicts out; the
 * plugin's osm-plugin/lid_fast.c reads OpenSM's tables into these and sends
 * the blocks.
 *
 * The LFT is an array indexed by LID of output port numbers; the SM writes it
 * 64 entries at a time (LinearForwardingTable, IBA vol 1 14.2.5.10: attribute
 * modifier = block number, LIDs 64*block .. 64*block+63).  0xFF is "no path"
 * (the value OpenSM fills a table with before routing).
 *
 * ERRORS: negative errno values.  THREAD SAFETY: no state of its own.
 */
#ifndef IBVMIG_ESC_LFT_H
#define IBVMIG_ESC_LFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESC_LFT_BLOCK	64	/* entries per LinearForwardingTable block */
#define ESC_LFT_NO_PATH 0xFF
#define ESC_LFT_EDITS	2	/* at most per move */

/*
 * Why a fast move may not be made with routing engine @engine (OpenSM's name
 * of the engine that computed the current tables, e.g. "minhop") and LMC
 * @lmc: NULL when it may, else a sentence for the log.  Allowed: minhop,
 * updn, ftree, whose route to a LID depends only on the port that has it
 * (doc/fast-move.md says where each was checked); with LMC 0 only.
 */
const char *esc_lft_refusal(const char *engine, unsigned lmc);

/* One entry to change: LID @lid is forwarded as LID @like was before; @like 0: nowhere. */
struct esc_lft_edit {
	uint16_t lid;
	uint16_t like;
};

/*
 * The edits of a RELEASE: the source keeps its port and gets @fresh, so
 * @fresh is forwarded as @lid was; @lid stays as it is (reserved, no port
 * answers at it, and its entries are where a claim finds them).  Returns the
 * count (1), 0 if @lid or @fresh is 0 or they are equal.
 */
size_t esc_lft_release_edits(uint16_t lid, uint16_t fresh, struct esc_lft_edit out[ESC_LFT_EDITS]);
/*
 * The edits of a CLAIM: the claimant's port had @old and gets @lid, so @lid
 * is forwarded as @old was and @old nowhere (as OpenSM's next routing leaves
 * a LID no port has).  Returns the count (2), 0 if either is 0 or they are
 * equal (a claimant with no LID has no route to copy: the safe path's).
 */
size_t esc_lft_claim_edits(uint16_t lid, uint16_t old, struct esc_lft_edit out[ESC_LFT_EDITS]);

/*
 * @after = @before (both @size entries) with @n edits applied, every @like
 * read from @before (so edits do not see each other).  -ERANGE when an edit
 * names a LID at or beyond @size; @after is then unspecified.
 */
int esc_lft_apply(const uint8_t *before, uint8_t *after, size_t size,
		  const struct esc_lft_edit *e, size_t n);

/*
 * The blocks whose 64 entries differ between @before and @after (@size
 * entries each; a last partial block counts as a block): their count, the
 * first @max of them in @blocks in ascending order.
 */
size_t esc_lft_changed_blocks(const uint8_t *before, const uint8_t *after, size_t size,
			      uint16_t *blocks, size_t max);

/* The highest LID an edit sets to a port (not to nowhere), 0 for none. */
uint16_t esc_lft_top(const struct esc_lft_edit *e, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_ESC_LFT_H */

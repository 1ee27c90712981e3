// SPDX-License-Identifier: BSD-2-Clause
/*
 * esc_lft.c - the fast LID move's arithmetic (esc_lft.h).
 */
#include "esc_lft.h"

#include <errno.h>
#include <string.h>

/*
 * The engines whose routes follow the destination port alone, so that a
 * route copied from one of a port's LIDs to another is one the engine could
 * have chosen (doc/fast-move.md, "Routing engines"): minhop and updn fill a
 * LID's entries from hop counts kept per port, ftree routes to each end port
 * in turn.  The others are out: the ones that give each path its own SL or VL
 * (lash, dfsssp, torus-2QOS, nue: a copied LID would have no SL of its own),
 * file (the operator's table says each LID), and the rest, not checked.
 */
static const char *const allowed[] = { "minhop", "updn", "ftree" };

const char *esc_lft_refusal(const char *engine, unsigned lmc)
{
	size_t i;

	if (lmc)
		return "LMC is not 0 (a port has more than one LID)";
	if (!engine || !*engine)
		return "no routing engine has computed the tables yet";
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcmp(engine, allowed[i]))
			return NULL;
	return "its routes may depend on more than the destination port";
}

size_t esc_lft_release_edits(uint16_t lid, uint16_t fresh, struct esc_lft_edit out[ESC_LFT_EDITS])
{
	if (!lid || !fresh || lid == fresh)
		return 0;
	out[0] = (struct esc_lft_edit){ .lid = fresh, .like = lid };
	return 1;
}

size_t esc_lft_claim_edits(uint16_t lid, uint16_t old, struct esc_lft_edit out[ESC_LFT_EDITS])
{
	if (!lid || !old || lid == old)
		return 0;
	out[0] = (struct esc_lft_edit){ .lid = lid, .like = old };
	out[1] = (struct esc_lft_edit){ .lid = old, .like = 0 };
	return 2;
}

int esc_lft_apply(const uint8_t *before, uint8_t *after, size_t size,
		  const struct esc_lft_edit *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].lid >= size || e[i].like >= size)
			return -ERANGE;
	memcpy(after, before, size);
	for (i = 0; i < n; i++)
		after[e[i].lid] = e[i].like ? before[e[i].like] : ESC_LFT_NO_PATH;
	return 0;
}

size_t esc_lft_changed_blocks(const uint8_t *before, const uint8_t *after, size_t size,
			      uint16_t *blocks, size_t max)
{
	size_t off, n = 0;

	for (off = 0; off < size; off += ESC_LFT_BLOCK) {
		size_t len = size - off < ESC_LFT_BLOCK ? size - off : ESC_LFT_BLOCK;

		if (!memcmp(before + off, after + off, len))
			continue;
		if (n < max)
			blocks[n] = (uint16_t)(off / ESC_LFT_BLOCK);
		n++;
	}
	return n;
}

uint16_t esc_lft_top(const struct esc_lft_edit *e, size_t n)
{
	uint16_t top = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].like && e[i].lid > top)
			top = e[i].lid;
	return top;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * esc_fixture.h - what the escrow tests share: an escrow on a journal in a
 * temporary directory (through jnl_testio, fsync off unless a test wants
 * it), a seeded random source, an SM-side table of which port holds which
 * LID (the lid_holder callback), and requests built from port facts.
 */
#ifndef IBVMIG_ESC_FIXTURE_H
#define IBVMIG_ESC_FIXTURE_H

#include "jnl_testio.h"
#include "lid_escrow.h"

#include <stdbool.h>
#include <stdint.h>

struct fx {
	char dir[64];
	char path[128];
	struct tio tio;
	struct jnl *j;
	struct esc *e;
	struct esc_config cfg;		/* as given to esc_create (journal filled in) */
	uint32_t compact_factor;	/* of the journal */
	uint64_t rng;			/* the random source's state */
	int random_error;		/* non-zero: the random source fails with it */
	uint64_t *holder;		/* [ESC_LID_MAX + 1]: the SM's LID -> port */
	struct jnl_report rep;
	int open_rc;			/* of esc_open */
};

/* The escrow over a new journal (cfg may be NULL); asserts that it opened. */
void fx_setup(struct fx *f, const struct esc_config *cfg);
/* Destroys the escrow and the journal handle and opens both again on the same file. */
int fx_reopen(struct fx *f, uint64_t now_ms);
void fx_teardown(struct fx *f);

uint64_t fx_rand(struct fx *f);

/* A request from @requester about @port with TID @tid at @now. */
struct esc_request fx_req(uint64_t requester, const struct esc_port *port, uint64_t tid,
			  uint64_t now);
/* A port with its own LID, MTU 4096 at 100 Gb/s, no aliases, no keys. */
struct esc_port fx_port(uint64_t guid, uint16_t lid);

/* Pops every queued action into @acts (at most @max): how many. */
int fx_actions(struct fx *f, struct esc_action *acts, int max);

/* Every field of two views equal (the keys up to nkeys). */
bool fx_views_equal(const struct esc_view *a, const struct esc_view *b);

#endif /* IBVMIG_ESC_FIXTURE_H */

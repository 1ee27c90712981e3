/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agent_trust.h - private to ibvmigd: which Reports the agent believes, and
 * what the notice numbers of the believed ones say about lost Reports.  Pure:
 * no MADs, no clock, no logging; the SA thread (agent_sa.c) feeds it what the
 * port and the SA say and acts on its verdicts.  See doc/ibvmigd.8, "Trust"
 * and "Delivery".
 *
 * TRUST.  Only the SA sends Reports, and on stock OpenSM any host can make it
 * send one: a Trap(Notice) to the SM is forwarded to every subscriber, with
 * the IssuerGID rewritten to the sender's port but the IssuerLID as the
 * sender wrote it (doc/simulator.md, "Trap Forwarding").  Any host can also
 * send a Report straight to a subscriber.  So a RePath/UnPath is believed
 * only when both hold:
 *  - it came from the master SM's LID (the SLID the fabric stamps on the
 *    packet, which a host's MAD client cannot choose; under ibsim, ibsim
 *    writes it, doc/simulator.md, "MAD Delivery in ibsim");
 *  - its IssuerGID is subnet prefix : the master SM's port GUID (the plugin's
 *    own notices), or : one of the configured trusted issuers (the standalone
 *    SM extension, whose Traps OpenSM forwards with its port as issuer).
 * Until both the SM's LID and port GUID are known, nothing is believed.
 *
 * NUMBERS.  The SM numbers its notices 1, 2, 3... per epoch
 * (doc/notice-details.md); every subscriber of both traps receives every
 * one.  Numbers are tracked per trusted issuer, only for believed notices, so
 * a forger can neither hide a gap nor fake one.  trust_number() says how many
 * numbers were skipped and whether the epoch changed.
 *
 * THREADS: one owner (the SA thread); nothing is locked.
 */
#ifndef IBVMIG_AGENT_TRUST_H
#define IBVMIG_AGENT_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#define TRUST_ISSUERS_MAX 8		/* --trust-issuer ports, besides the SM's own */

enum trust_verdict {
	TRUST_OK = 0,
	TRUST_BAD_SOURCE = 1,		/* not from the master SM's LID (or it is unknown) */
	TRUST_BAD_ISSUER = 2,		/* from it, but issued by a port not trusted */
};

/* What the numbers of one trusted issuer showed so far. */
struct trust_numbers {
	bool seen;			/* a notice of this issuer was believed */
	uint32_t epoch;
	uint32_t last;			/* the furthest number seen in the epoch; 0: none */
};

struct trust {
	uint16_t sm_lid;		/* PortInfo's MasterSMLID; 0: unknown */
	uint64_t prefix;		/* the subnet prefix every trusted IssuerGID has */
	uint64_t sm_guid;		/* the master SM's port GUID (SA NodeRecord); 0: unknown */
	uint64_t issuers[TRUST_ISSUERS_MAX];
	unsigned n_issuers;
	struct trust_numbers numbers[1 + TRUST_ISSUERS_MAX];	/* [0]: the SM's port */
};

/* What one believed notice's number says. */
struct trust_gap {
	uint32_t missed;		/* numbers skipped since the last one: lost notices */
	bool new_epoch;			/* another epoch than this issuer's last (not the first) */
	bool first;			/* the first notice of this issuer believed */
};

/* Adds a trusted issuer port GUID: 0, -EEXIST, -ENOSPC past TRUST_ISSUERS_MAX, -EINVAL for 0. */
int trust_add_issuer(struct trust *t, uint64_t guid);
/*
 * The master SM as the port and the SA now say.  A new SM port forgets its
 * predecessor's numbers (another SM numbers from its own start).
 */
void trust_set_sm(struct trust *t, uint16_t sm_lid, uint64_t prefix, uint64_t sm_guid);
/*
 * The verdict on a Report from @slid whose IssuerGID is @prefix:@guid; for
 * TRUST_OK, *@issuer is the index to pass to trust_number() (0 the SM's port,
 * 1.. the configured issuers).
 */
enum trust_verdict trust_check(const struct trust *t, uint16_t slid, uint64_t prefix,
			       uint64_t guid, int *issuer);
/*
 * Notes the (@epoch, @number) of a believed notice of @issuer.  Number 0 (an
 * SM that does not number) says nothing.  A number behind or equal to the
 * furthest one seen (a late or repeated Report) counts no gap.
 */
struct trust_gap trust_number(struct trust *t, int issuer, uint32_t epoch, uint32_t number);

#endif /* IBVMIG_AGENT_TRUST_H */

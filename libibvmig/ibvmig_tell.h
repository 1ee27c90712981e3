/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_tell.h - the messages between the hypervisor agents and the
 * standalone SM extension, ibvmig-smx (doc/tell-protocol.md): a vendor class
 * of its own (management class 0x0A, version 1; IBA 13.4.4, range 1: no OUI)
 * whose every message is one request answered by a GetResp.
 *
 *  - AliasTold (attribute 0xFF10), agent -> extension: "this port made this
 *    GUIDInfoRecord Set or Delete, and the SA answered this", or a hello
 *    that names the port and what it takes.  The extension never takes it as
 *    true: it reads the port's GUID block itself before it believes it.
 *  - PathNotice (attribute 0xFF11), extension -> agent, direct delivery only:
 *    a RePath/UnPath notice (its 54 details bytes, doc/notice-details.md)
 *    where the SM does not forward the extension's traps.
 *
 * The answer's MAD status says what became of a request (the class-specific
 * bits 8-15, IBA 13.4.7): 0 taken, IBVMIG_TELL_STATUS_* otherwise.  Each
 * message has one encoder and one decoder; they fill and read the 232 data
 * bytes of the vendor MAD (IBVMIG_SA_VENDOR_DATA_LEN, ibvmig_sa.h).
 * Structures hold host-order values; byte order is handled only here.
 * Decoders never read past @len and refuse a short or malformed message.
 * Nothing allocates, locks or keeps state: every function is safe from any
 * thread.
 */
#ifndef IBVMIG_TELL_H
#define IBVMIG_TELL_H

#include "ibvmig_notice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Vendor class 0x09 is the LID escrow's; 0x0A is ours alone. */
#define IBVMIG_TELL_CLASS		0x0A
#define IBVMIG_TELL_CLASS_VERSION	1
#define IBVMIG_TELL_METHOD		0x02	/* Set: every message is one */
#define IBVMIG_TELL_ATTR_ALIAS		0xFF10
#define IBVMIG_TELL_ATTR_NOTICE		0xFF11
#define IBVMIG_TELL_VERSION		1
#define IBVMIG_TELL_DATA_LEN		232	/* a vendor MAD's data, IBA 13.4.2 */

/* The answer's status, class-specific bits 8-15 (IBA 13.4.7). */
#define IBVMIG_TELL_STATUS_OK		0x0000
#define IBVMIG_TELL_STATUS_MALFORMED	0x0100	/* the decoder refused it */
#define IBVMIG_TELL_STATUS_REFUSED	0x0200	/* not from the port it names, or its LID */
#define IBVMIG_TELL_STATUS_LATER	0x0300	/* not followed yet (no SA): send it again */

enum ibvmig_tell_op {
	IBVMIG_TELL_HELLO = 1,		/* the agent runs: flags say what it takes */
	IBVMIG_TELL_SET = 2,		/* it Set vguid at index of its own port */
	IBVMIG_TELL_DELETE = 3,		/* it Deleted vguid from index of its own port */
};

/* Flags of a tell: what the teller is and takes. */
#define IBVMIG_TELL_F_DIRECT		0x01	/* answers PathNotices (class registered) */
#define IBVMIG_TELL_F_SUBSCRIBED	0x02	/* holds its subscriptions to 68 and 69 */

/* AliasTold. */
struct ibvmig_tell {
	uint8_t op;			/* enum ibvmig_tell_op */
	uint8_t flags;			/* IBVMIG_TELL_F_* */
	uint16_t index;			/* SET/DELETE: the alias index, 1..2047, or 0: not
					   known (read the whole port); HELLO: 0 */
	uint64_t port_guid;		/* the teller's own port */
	uint64_t vguid;			/* SET/DELETE: non-zero; HELLO: 0 */
	int32_t result;			/* the SA's answer to the teller: 0 or -errno */
	uint32_t seq;			/* the teller's count; a resend keeps it */
};

/* The answer to an AliasTold: what the extension's own read of the port showed. */
struct ibvmig_tell_answer {
	uint32_t seq;			/* the tell's */
	bool confirmed;			/* the read showed what was told */
	uint64_t seen;			/* the GUID the read found at the index (0: none) */
};

/* PathNotice. */
struct ibvmig_direct_notice {
	uint16_t trap;			/* IBVMIG_TRAP_UNPATH or IBVMIG_TRAP_REPATH */
	uint64_t issuer_guid;		/* the extension's port */
	struct ibvmig_path_notice notice;
};

void ibvmig_tell_encode(const struct ibvmig_tell *t, uint8_t data[IBVMIG_TELL_DATA_LEN]);
/*
 * -EBADMSG when @len < IBVMIG_TELL_DATA_LEN, -EPROTONOSUPPORT for another
 * version, -EPROTO for an unknown op, a zero port, a SET/DELETE without a
 * vGUID or with an index above 2047, a HELLO with either.
 */
int ibvmig_tell_decode(const uint8_t *data, size_t len, struct ibvmig_tell *t);

void ibvmig_tell_answer_encode(const struct ibvmig_tell_answer *a,
			       uint8_t data[IBVMIG_TELL_DATA_LEN]);
/* -EBADMSG (short), -EPROTONOSUPPORT (another version). */
int ibvmig_tell_answer_decode(const uint8_t *data, size_t len, struct ibvmig_tell_answer *a);

void ibvmig_direct_notice_encode(const struct ibvmig_direct_notice *d,
				 uint8_t data[IBVMIG_TELL_DATA_LEN]);
/*
 * -EBADMSG (short), -EPROTONOSUPPORT (another version), -EPROTO for a trap
 * other than 68/69 or a zero issuer, or the details decoder's error.
 */
int ibvmig_direct_notice_decode(const uint8_t *data, size_t len, struct ibvmig_direct_notice *d);

/* "hello", "set", "delete", or "?" */
const char *ibvmig_tell_op_name(unsigned op);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_TELL_H */

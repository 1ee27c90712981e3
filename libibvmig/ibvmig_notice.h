/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_notice.h - the RePath (69) and UnPath (68) notices: their 54 data
 * details bytes (doc/notice-details.md), the IBA Notice attribute that
 * carries them, and the order of notices about one vGUID.  The plugin, the
 * standalone extension, the agent and the tests all call this one codec.
 *
 * Structures hold host-order values; byte order is handled only inside the
 * codec.  Decoders validate and return 0 or a negative errno value.  Nothing
 * here allocates, locks or keeps state: every function is safe from any
 * thread.
 */
#ifndef IBVMIG_NOTICE_H
#define IBVMIG_NOTICE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* IBA 1.3 vol 1, 14.2.5.1: traps 68/69 are defined, their details are not. */
#define IBVMIG_TRAP_UNPATH 68
#define IBVMIG_TRAP_REPATH 69

#define IBVMIG_NOTICE_VERSION 1
#define IBVMIG_NOTICE_DETAILS_LEN 54	/* Notice DataDetails, IBA 13.4.8.2 */
#define IBVMIG_NOTICE_LEN 80		/* the whole Notice attribute */

/* Notice type and producer the SM uses for its own traps 64-67 (IBA 13.4.8.2). */
#define IBVMIG_NOTICE_TYPE_INFO 4
#define IBVMIG_NOTICE_PRODUCER_CLASS_MGR 4

/*
 * Why a notice was sent.  0-3 are the trap table's verdicts (enum tt_verdict)
 * with the same values; 4-6 come from deletes and from the SM's sweeps.
 */
enum ibvmig_reason {
	IBVMIG_REASON_CREATED = 0,		/* never sent: nobody held a path */
	IBVMIG_REASON_RESTARTED = 1,		/* RePath: same LID, same port */
	IBVMIG_REASON_MOVED_SAME_LID = 2,	/* RePath: the LID moved with it */
	IBVMIG_REASON_MIGRATED = 3,		/* RePath: a new LID */
	IBVMIG_REASON_DELETED = 4,		/* UnPath: the vGUID left its port */
	IBVMIG_REASON_PORT_LID_CHANGED = 5,	/* RePath: its base port's LID changed */
	IBVMIG_REASON_PORT_GONE = 6,		/* UnPath: its base port left the fabric */
};
#define IBVMIG_REASON_MAX IBVMIG_REASON_PORT_GONE

/*
 * The 54 data-details bytes of traps 68 and 69.  The vGID sits at offset 6,
 * where traps 64-67 carry their GID, so a generic notice parser finds it.
 * For an UnPath, new_lid and new_port_guid are 0.
 */
struct ibvmig_path_notice {
	uint8_t version;		/* IBVMIG_NOTICE_VERSION when decoded */
	uint8_t reason;			/* enum ibvmig_reason */
	uint16_t new_lid;
	uint16_t old_lid;
	uint64_t subnet_prefix;		/* vGID = subnet_prefix : vguid */
	uint64_t vguid;
	uint64_t new_port_guid;
	uint64_t old_port_guid;
	uint32_t epoch;			/* the SM's trap-table epoch... */
	uint64_t seq;			/* ...and the event's place in it */
	/*
	 * The notice's number in the epoch, 1, 2, 3... for every notice of both
	 * traps, after 0xFFFFFFFF 1 again; 0: not numbered (an older SM).  What a
	 * gap tells a receiver: doc/notice-details.md, "Notice numbers".  Last, so
	 * that positional initialisers written before it keep their meaning.
	 */
	uint32_t number;
};

/* Encodes @n (its version field is ignored: the current one is written). */
void ibvmig_details_encode(const struct ibvmig_path_notice *n,
			   uint8_t details[IBVMIG_NOTICE_DETAILS_LEN]);
/* -EPROTONOSUPPORT for another version, -EPROTO for an unknown reason. */
int ibvmig_details_decode(const uint8_t details[IBVMIG_NOTICE_DETAILS_LEN],
			  struct ibvmig_path_notice *n);

/* The IBA Notice attribute (13.4.8.2), as a Report(Notice) carries it. */
struct ibvmig_notice {
	bool generic;
	uint8_t type;
	uint32_t producer_or_vendor;	/* 24 bits */
	uint16_t trap_or_device;	/* trap number when generic */
	uint16_t issuer_lid;
	bool toggle;
	uint16_t count;			/* 15 bits */
	uint8_t details[IBVMIG_NOTICE_DETAILS_LEN];
	uint8_t issuer_gid[16];
};

void ibvmig_notice_encode(const struct ibvmig_notice *n, uint8_t attr[IBVMIG_NOTICE_LEN]);
void ibvmig_notice_decode(const uint8_t attr[IBVMIG_NOTICE_LEN], struct ibvmig_notice *n);
/* The IssuerGID (IBA 4.1.1: network order in the attribute) as prefix and GUID, and back. */
void ibvmig_notice_get_issuer(const struct ibvmig_notice *n, uint64_t *prefix, uint64_t *guid);
void ibvmig_notice_set_issuer(struct ibvmig_notice *n, uint64_t prefix, uint64_t guid);

/*
 * Decodes a Notice that must be one of ours: generic trap 68 or 69 with valid
 * details.  Returns the trap number (68/69), -ENOMSG for any other notice,
 * or the details decoder's error.
 */
int ibvmig_path_notice_decode(const uint8_t attr[IBVMIG_NOTICE_LEN],
			      struct ibvmig_path_notice *n);

/*
 * Ordering of notices about one vGUID (each SM start picks a new epoch):
 * true when (@epoch, @seq) should replace what a receiver holds from
 * (@held_epoch, @held_seq) - a higher sequence in the same epoch, or any
 * sequence of another epoch.
 */
bool ibvmig_stamp_is_newer(uint32_t epoch, uint64_t seq, uint32_t held_epoch,
			   uint64_t held_seq);

const char *ibvmig_reason_name(unsigned reason);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_NOTICE_H */

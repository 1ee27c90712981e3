// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_notice.c - libFuzzer harness of the notice codec (ibvmig_notice.h):
 * the Notice attribute (IBA 13.4.8.2) a Report carries from any port of the
 * fabric, and the RePath/UnPath details inside it.  The input is the
 * attribute (zero-padded to 80 bytes, as a MAD's data area is).
 *
 * Invariants: the attribute re-encodes to the same 80 bytes (every bit of it
 * is a field); the details decoder accepts exactly version 1 with a known
 * reason and then re-encodes to the same 54 bytes (the last 4 are the
 * notice number); ibvmig_path_notice_decode() is the composition of the two
 * and says -ENOMSG exactly for what is not a generic trap 68/69; the
 * ordering rule never calls a stamp newer than itself nor two stamps of one
 * epoch newer than each other.
 */
#include "fuzz.h"
#include "ibvmig_notice.h"

#include <errno.h>
#include <string.h>

#define DETAILS_AT 10		/* DataDetails: after type, producer, trap, LID, count */

static bool same_path_notice(const struct ibvmig_path_notice *a,
			     const struct ibvmig_path_notice *b)
{
	return a->version == b->version && a->reason == b->reason &&
	       a->new_lid == b->new_lid && a->old_lid == b->old_lid &&
	       a->subnet_prefix == b->subnet_prefix && a->vguid == b->vguid &&
	       a->new_port_guid == b->new_port_guid && a->old_port_guid == b->old_port_guid &&
	       a->epoch == b->epoch && a->seq == b->seq && a->number == b->number;
}

static void check_details(const uint8_t details[IBVMIG_NOTICE_DETAILS_LEN], int *rc_out)
{
	uint8_t again[IBVMIG_NOTICE_DETAILS_LEN];
	struct ibvmig_path_notice n, back;
	int rc = ibvmig_details_decode(details, &n);

	*rc_out = rc;
	/* The version first (details[0]), then the reason (details[1]). */
	if (details[0] != IBVMIG_NOTICE_VERSION)
		FUZZ_CHECK(rc == -EPROTONOSUPPORT);
	else
		FUZZ_CHECK(rc == (details[1] > IBVMIG_REASON_MAX ? -EPROTO : 0));
	FUZZ_CHECK(ibvmig_reason_name(n.reason) != NULL);
	if (rc)
		return;
	FUZZ_CHECK(n.version == IBVMIG_NOTICE_VERSION && n.reason <= IBVMIG_REASON_MAX);
	memset(again, 0xA5, sizeof(again));
	ibvmig_details_encode(&n, again);
	/* Every byte means something since the notice number took the last four. */
	FUZZ_CHECK(memcmp(again, details, IBVMIG_NOTICE_DETAILS_LEN) == 0);
	FUZZ_CHECK(ibvmig_details_decode(again, &back) == 0 && same_path_notice(&n, &back));
}

static void check_stamps(const struct ibvmig_path_notice *n)
{
	uint64_t other = n->old_port_guid;

	FUZZ_CHECK(!ibvmig_stamp_is_newer(n->epoch, n->seq, n->epoch, n->seq));
	FUZZ_CHECK(!(ibvmig_stamp_is_newer(n->epoch, n->seq, n->epoch, other) &&
		     ibvmig_stamp_is_newer(n->epoch, other, n->epoch, n->seq)));
	/* A new SM epoch always wins, whatever its count restarted at. */
	FUZZ_CHECK(ibvmig_stamp_is_newer(n->epoch + 1, 0, n->epoch, n->seq));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t attr[IBVMIG_NOTICE_LEN] = { 0 }, again[IBVMIG_NOTICE_LEN];
	struct ibvmig_path_notice pn, direct;
	struct ibvmig_notice n;
	int details_rc, rc;

	memcpy(attr, data, size < sizeof(attr) ? size : sizeof(attr));
	ibvmig_notice_decode(attr, &n);
	FUZZ_CHECK(n.type <= 0x7F && n.producer_or_vendor <= 0xFFFFFF && n.count <= 0x7FFF);
	memset(again, 0xA5, sizeof(again));
	ibvmig_notice_encode(&n, again);
	FUZZ_CHECK(memcmp(again, attr, sizeof(attr)) == 0);
	FUZZ_CHECK(memcmp(n.details, attr + DETAILS_AT, IBVMIG_NOTICE_DETAILS_LEN) == 0);

	check_details(n.details, &details_rc);
	rc = ibvmig_path_notice_decode(attr, &pn);
	if (!n.generic || (n.trap_or_device != IBVMIG_TRAP_UNPATH &&
			   n.trap_or_device != IBVMIG_TRAP_REPATH)) {
		FUZZ_CHECK(rc == -ENOMSG);
		return 0;
	}
	FUZZ_CHECK(rc == (details_rc ? details_rc : n.trap_or_device));
	if (rc < 0)
		return 0;
	FUZZ_CHECK(ibvmig_details_decode(n.details, &direct) == 0);
	FUZZ_CHECK(same_path_notice(&pn, &direct));
	check_stamps(&pn);
	return 0;
}

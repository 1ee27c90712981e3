// SPDX-License-Identifier: BSD-2-Clause
/*
 * notice.c - the Notice attribute (IBA 13.4.8.2) and the data details of our
 * RePath/UnPath traps (doc/notice-details.md).
 */
#include "ibvmig_notice.h"
#include "wire.h"

#include <errno.h>

/*
 * The layout is doc/notice-details.md's; the vGID is at 6..21 as in traps
 * 64-67.  The notice number took the last 4 bytes (50..53), reserved and sent
 * as 0 before it: an older decoder ignores it, and an older sender's 0 reads
 * as "not numbered", so the version stays 1.
 */

void ibvmig_details_encode(const struct ibvmig_path_notice *n,
			   uint8_t details[IBVMIG_NOTICE_DETAILS_LEN])
{
	struct wire w = wire_at(details, IBVMIG_NOTICE_DETAILS_LEN);

	wire_put_u8(&w, IBVMIG_NOTICE_VERSION);
	wire_put_u8(&w, n->reason);
	wire_put_u16(&w, n->new_lid);
	wire_put_u16(&w, n->old_lid);
	wire_put_u64(&w, n->subnet_prefix);
	wire_put_u64(&w, n->vguid);
	wire_put_u64(&w, n->new_port_guid);
	wire_put_u64(&w, n->old_port_guid);
	wire_put_u32(&w, n->epoch);
	wire_put_u64(&w, n->seq);
	wire_put_u32(&w, n->number);
}

int ibvmig_details_decode(const uint8_t details[IBVMIG_NOTICE_DETAILS_LEN],
			  struct ibvmig_path_notice *n)
{
	struct wire w = wire_at((uint8_t *)details, IBVMIG_NOTICE_DETAILS_LEN);

	n->version = wire_get_u8(&w);
	n->reason = wire_get_u8(&w);
	n->new_lid = wire_get_u16(&w);
	n->old_lid = wire_get_u16(&w);
	n->subnet_prefix = wire_get_u64(&w);
	n->vguid = wire_get_u64(&w);
	n->new_port_guid = wire_get_u64(&w);
	n->old_port_guid = wire_get_u64(&w);
	n->epoch = wire_get_u32(&w);
	n->seq = wire_get_u64(&w);
	n->number = wire_get_u32(&w);
	if (n->version != IBVMIG_NOTICE_VERSION)
		return -EPROTONOSUPPORT;
	if (n->reason > IBVMIG_REASON_MAX)
		return -EPROTO;
	return 0;
}

void ibvmig_notice_encode(const struct ibvmig_notice *n, uint8_t attr[IBVMIG_NOTICE_LEN])
{
	struct wire w = wire_at(attr, IBVMIG_NOTICE_LEN);

	wire_put_u8(&w, (uint8_t)((n->generic ? 0x80 : 0) | (n->type & 0x7F)));
	wire_put_uint(&w, n->producer_or_vendor & 0xFFFFFF, 3);
	wire_put_u16(&w, n->trap_or_device);
	wire_put_u16(&w, n->issuer_lid);
	wire_put_u16(&w, (uint16_t)((n->toggle ? 0x8000 : 0) | (n->count & 0x7FFF)));
	wire_put_bytes(&w, n->details, IBVMIG_NOTICE_DETAILS_LEN);
	wire_put_bytes(&w, n->issuer_gid, sizeof(n->issuer_gid));
}

void ibvmig_notice_decode(const uint8_t attr[IBVMIG_NOTICE_LEN], struct ibvmig_notice *n)
{
	struct wire w = wire_at((uint8_t *)attr, IBVMIG_NOTICE_LEN);
	uint8_t generic_type = wire_get_u8(&w);
	uint16_t toggle_count;

	n->generic = generic_type & 0x80;
	n->type = generic_type & 0x7F;
	n->producer_or_vendor = (uint32_t)wire_get_uint(&w, 3);
	n->trap_or_device = wire_get_u16(&w);
	n->issuer_lid = wire_get_u16(&w);
	toggle_count = wire_get_u16(&w);
	n->toggle = toggle_count & 0x8000;
	n->count = toggle_count & 0x7FFF;
	wire_get_bytes(&w, n->details, IBVMIG_NOTICE_DETAILS_LEN);
	wire_get_bytes(&w, n->issuer_gid, sizeof(n->issuer_gid));
}

void ibvmig_notice_get_issuer(const struct ibvmig_notice *n, uint64_t *prefix, uint64_t *guid)
{
	struct wire w = wire_at((uint8_t *)n->issuer_gid, sizeof(n->issuer_gid));

	*prefix = wire_get_u64(&w);
	*guid = wire_get_u64(&w);
}

void ibvmig_notice_set_issuer(struct ibvmig_notice *n, uint64_t prefix, uint64_t guid)
{
	struct wire w = wire_at(n->issuer_gid, sizeof(n->issuer_gid));

	wire_put_u64(&w, prefix);
	wire_put_u64(&w, guid);
}

int ibvmig_path_notice_decode(const uint8_t attr[IBVMIG_NOTICE_LEN],
			      struct ibvmig_path_notice *n)
{
	struct ibvmig_notice notice;
	int rc;

	ibvmig_notice_decode(attr, &notice);
	if (!notice.generic || (notice.trap_or_device != IBVMIG_TRAP_UNPATH &&
				notice.trap_or_device != IBVMIG_TRAP_REPATH))
		return -ENOMSG;
	rc = ibvmig_details_decode(notice.details, n);
	return rc ? rc : notice.trap_or_device;
}

bool ibvmig_stamp_is_newer(uint32_t epoch, uint64_t seq, uint32_t held_epoch,
			   uint64_t held_seq)
{
	return epoch != held_epoch || seq > held_seq;
}

const char *ibvmig_reason_name(unsigned reason)
{
	static const char *const names[] = {
		[IBVMIG_REASON_CREATED] = "created",
		[IBVMIG_REASON_RESTARTED] = "restarted",
		[IBVMIG_REASON_MOVED_SAME_LID] = "moved-same-lid",
		[IBVMIG_REASON_MIGRATED] = "migrated",
		[IBVMIG_REASON_DELETED] = "deleted",
		[IBVMIG_REASON_PORT_LID_CHANGED] = "port-lid-changed",
		[IBVMIG_REASON_PORT_GONE] = "port-gone",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

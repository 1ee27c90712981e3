// SPDX-License-Identifier: BSD-2-Clause
/*
 * tell.c - the agents' and the SM extension's vendor messages
 * (doc/tell-protocol.md): AliasTold, its answer, and PathNotice.  Every
 * layout starts with its version byte; reserved bytes are written as zero
 * and ignored when read, so that a later version can use them.
 */
#include "ibvmig_tell.h"
#include "wire.h"

#include <errno.h>
#include <string.h>

/* GUIDInfoRecord's BlockNum is 8 bits: 256 blocks of 8 (IBA 15.2.5.18); 0 is the port's. */
#define TELL_INDEX_MAX 2047

void ibvmig_tell_encode(const struct ibvmig_tell *t, uint8_t data[IBVMIG_TELL_DATA_LEN])
{
	struct wire w = wire_at(data, IBVMIG_TELL_DATA_LEN);

	memset(data, 0, IBVMIG_TELL_DATA_LEN);
	wire_put_u8(&w, IBVMIG_TELL_VERSION);
	wire_put_u8(&w, t->op);
	wire_put_u8(&w, t->flags);
	wire_put_zero(&w, 1);
	wire_put_u16(&w, t->index);
	wire_put_zero(&w, 2);
	wire_put_u64(&w, t->port_guid);
	wire_put_u64(&w, t->vguid);
	wire_put_u32(&w, (uint32_t)t->result);
	wire_put_u32(&w, t->seq);
}

static bool tell_valid(const struct ibvmig_tell *t)
{
	if (!t->port_guid)
		return false;
	switch (t->op) {
	case IBVMIG_TELL_HELLO:
		return !t->vguid && !t->index;
	case IBVMIG_TELL_SET:
	case IBVMIG_TELL_DELETE:
		return t->vguid && t->index <= TELL_INDEX_MAX;	/* 0: not known */
	default:
		return false;
	}
}

int ibvmig_tell_decode(const uint8_t *data, size_t len, struct ibvmig_tell *t)
{
	struct wire w = wire_at((uint8_t *)data, len);
	uint8_t version;

	memset(t, 0, sizeof(*t));
	if (len < IBVMIG_TELL_DATA_LEN)
		return -EBADMSG;
	version = wire_get_u8(&w);
	t->op = wire_get_u8(&w);
	t->flags = wire_get_u8(&w);
	wire_skip(&w, 1);
	t->index = wire_get_u16(&w);
	wire_skip(&w, 2);
	t->port_guid = wire_get_u64(&w);
	t->vguid = wire_get_u64(&w);
	t->result = (int32_t)wire_get_u32(&w);
	t->seq = wire_get_u32(&w);
	if (version != IBVMIG_TELL_VERSION)
		return -EPROTONOSUPPORT;
	return tell_valid(t) ? 0 : -EPROTO;
}

void ibvmig_tell_answer_encode(const struct ibvmig_tell_answer *a,
			       uint8_t data[IBVMIG_TELL_DATA_LEN])
{
	struct wire w = wire_at(data, IBVMIG_TELL_DATA_LEN);

	memset(data, 0, IBVMIG_TELL_DATA_LEN);
	wire_put_u8(&w, IBVMIG_TELL_VERSION);
	wire_put_u8(&w, a->confirmed);
	wire_put_zero(&w, 2);
	wire_put_u32(&w, a->seq);
	wire_put_u64(&w, a->seen);
}

int ibvmig_tell_answer_decode(const uint8_t *data, size_t len, struct ibvmig_tell_answer *a)
{
	struct wire w = wire_at((uint8_t *)data, len);
	uint8_t version;

	memset(a, 0, sizeof(*a));
	if (len < IBVMIG_TELL_DATA_LEN)
		return -EBADMSG;
	version = wire_get_u8(&w);
	a->confirmed = wire_get_u8(&w) != 0;
	wire_skip(&w, 2);
	a->seq = wire_get_u32(&w);
	a->seen = wire_get_u64(&w);
	return version == IBVMIG_TELL_VERSION ? 0 : -EPROTONOSUPPORT;
}

void ibvmig_direct_notice_encode(const struct ibvmig_direct_notice *d,
				 uint8_t data[IBVMIG_TELL_DATA_LEN])
{
	struct wire w = wire_at(data, IBVMIG_TELL_DATA_LEN);
	uint8_t details[IBVMIG_NOTICE_DETAILS_LEN];

	memset(data, 0, IBVMIG_TELL_DATA_LEN);
	wire_put_u8(&w, IBVMIG_TELL_VERSION);
	wire_put_zero(&w, 1);
	wire_put_u16(&w, d->trap);
	wire_put_zero(&w, 4);
	wire_put_u64(&w, d->issuer_guid);
	ibvmig_details_encode(&d->notice, details);
	wire_put_bytes(&w, details, sizeof(details));
}

int ibvmig_direct_notice_decode(const uint8_t *data, size_t len, struct ibvmig_direct_notice *d)
{
	struct wire w = wire_at((uint8_t *)data, len);
	uint8_t details[IBVMIG_NOTICE_DETAILS_LEN];
	uint8_t version;

	memset(d, 0, sizeof(*d));
	if (len < IBVMIG_TELL_DATA_LEN)
		return -EBADMSG;
	version = wire_get_u8(&w);
	wire_skip(&w, 1);
	d->trap = wire_get_u16(&w);
	wire_skip(&w, 4);
	d->issuer_guid = wire_get_u64(&w);
	wire_get_bytes(&w, details, sizeof(details));
	if (version != IBVMIG_TELL_VERSION)
		return -EPROTONOSUPPORT;
	if ((d->trap != IBVMIG_TRAP_UNPATH && d->trap != IBVMIG_TRAP_REPATH) || !d->issuer_guid)
		return -EPROTO;
	return ibvmig_details_decode(details, &d->notice);
}

const char *ibvmig_tell_op_name(unsigned op)
{
	switch (op) {
	case IBVMIG_TELL_HELLO:
		return "hello";
	case IBVMIG_TELL_SET:
		return "set";
	case IBVMIG_TELL_DELETE:
		return "delete";
	default:
		return "?";
	}
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * vmchan.c - the VM channel between the hypervisor agent and its VMs and host
 * CLI (doc/vm-channel.md): frames, and message bodies that are record lists
 * written and read by the admin codec's record writer and reader.
 *
 * Every message type is described once, as a table of its fields (tag, wire
 * type, the C member it lives in, the values it may take), in the way
 * libibmad describes MAD fields in fields.c.  One encoder and one decoder walk
 * those tables, and both call the same value checks, so that a sender never
 * emits what a receiver refuses.
 */
#include "ibvmig_escrow.h"
#include "ibvmig_vmchan.h"
#include "wire.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(bool) == 1, "bool members are read and written as one byte");

/* Header layout: magic(4) version(1) type(1) status(2) id(4) length(4). */
#define HDR_VERSION_AT 4
#define HDR_LENGTH_AT 12
#define BODY_MAX (IBVMIG_VMC_MSG_MAX - IBVMIG_VMC_HEADER_LEN)
#define ERRNO_MAX 4095

/* ---- field tables ------------------------------------------------------- */

enum {
	F_REQ = 1,		/* must be present (decode) */
	F_NONZERO = 2,		/* a number >= 1, a string of >= 1 byte */
};

/* What a block's offsets are relative to. */
enum base { B_MSG, B_PATH, B_ITEM };

struct field {
	uint16_t tag;
	uint8_t type;		/* IBVMIG_REC_T_* */
	uint8_t flags;
	uint16_t off, size;	/* the C member */
	uint64_t max;		/* UINT: the largest value; 0 = what the member holds */
};

struct block {
	const struct field *f;
	uint8_t n;
	uint8_t base;
};

enum item_kind { ITEMS_NONE, ITEMS_GID, ITEMS_VM };

#define N_BLOCKS 2		/* blocks in a head record */

struct msg_desc {
	uint8_t type;
	const char *name;	/* requests and notices; a reply is named after its request */
	struct block head[N_BLOCKS];
	uint8_t items;		/* enum item_kind */
	uint8_t min_items;
};

#define FLD(tag, type, st, m, flags, max)                                                   \
	{ IBVMIG_VMC_TAG_##tag, IBVMIG_REC_T_##type, flags, offsetof(st, m),             \
	  sizeof(((st *)0)->m), max }
#define BLOCK(fields, base) { fields, sizeof(fields) / sizeof(fields[0]), base }
#define MSG struct ibvmig_vmc_msg
#define PATH struct ibvmig_sa_path

static const struct field hello_f[] = {
	FLD(NAME, STR, MSG, hello.name, F_REQ | F_NONZERO, 0),
	FLD(VGUID, GUID, MSG, hello.vguid, 0, 0),
};

static const struct field welcome_f[] = {
	FLD(SUBNET_PREFIX, GUID, MSG, welcome.subnet_prefix, F_REQ, 0),
	FLD(PORT_GUID, GUID, MSG, welcome.port_guid, F_REQ, 0),
	FLD(LID, UINT, MSG, welcome.lid, F_REQ, 0),
	FLD(SM_LID, UINT, MSG, welcome.sm_lid, 0, 0),
};

static const struct field count_f[] = {
	FLD(COUNT, UINT, MSG, count, F_REQ, 0),
};

static const struct field query_f[] = {
	FLD(GID_PREFIX, GUID, MSG, query.prefix, F_REQ, 0),
	FLD(GID_GUID, GUID, MSG, query.guid, F_REQ | F_NONZERO, 0),
};

/* IBA 15.2.5.16: the widths of the PathRecord's narrow components. */
static const struct field path_f[] = {
	FLD(SERVICE_ID, UINT, PATH, service_id, F_REQ, 0),
	FLD(DGID_PREFIX, GUID, PATH, dgid_prefix, F_REQ, 0),
	FLD(DGID_GUID, GUID, PATH, dgid_guid, F_REQ | F_NONZERO, 0),
	FLD(SGID_PREFIX, GUID, PATH, sgid_prefix, F_REQ, 0),
	FLD(SGID_GUID, GUID, PATH, sgid_guid, F_REQ, 0),
	FLD(DLID, UINT, PATH, dlid, F_REQ | F_NONZERO, 0),
	FLD(SLID, UINT, PATH, slid, F_REQ, 0),
	FLD(RAW_TRAFFIC, BOOL, PATH, raw_traffic, F_REQ, 0),
	FLD(FLOW_LABEL, UINT, PATH, flow_label, F_REQ, 0xFFFFF),
	FLD(HOP_LIMIT, UINT, PATH, hop_limit, F_REQ, 0),
	FLD(TCLASS, UINT, PATH, tclass, F_REQ, 0),
	FLD(REVERSIBLE, BOOL, PATH, reversible, F_REQ, 0),
	FLD(NUMB_PATH, UINT, PATH, numb_path, F_REQ, 0x7F),
	FLD(PKEY, UINT, PATH, pkey, F_REQ, 0),
	FLD(QOS_CLASS, UINT, PATH, qos_class, F_REQ, 0xFFF),
	FLD(SL, UINT, PATH, sl, F_REQ, 0xF),
	FLD(MTU_SELECTOR, UINT, PATH, mtu_selector, F_REQ, 3),
	FLD(MTU, UINT, PATH, mtu, F_REQ, 0x3F),
	FLD(RATE_SELECTOR, UINT, PATH, rate_selector, F_REQ, 3),
	FLD(RATE, UINT, PATH, rate, F_REQ, 0x3F),
	FLD(PKT_LIFE_SELECTOR, UINT, PATH, pkt_life_selector, F_REQ, 3),
	FLD(PKT_LIFE, UINT, PATH, pkt_life, F_REQ, 0x3F),
	FLD(PREFERENCE, UINT, PATH, preference, F_REQ, 0),
};

static const struct field stamp_f[] = {
	FLD(STAMPED, BOOL, MSG, path.stamped, 0, 0),
	FLD(EPOCH, UINT, MSG, path.epoch, 0, 0),
	FLD(SEQ, UINT, MSG, path.seq, 0, 0),
};

static const struct field alias_f[] = {
	FLD(VGUID, GUID, MSG, alias.vguid, F_REQ | F_NONZERO, 0),
	FLD(INDEX, UINT, MSG, alias.index, 0, 255),
	FLD(NAME, STR, MSG, alias.name, 0, 0),
};

static const struct field attach_reply_f[] = {
	FLD(SET_US, UINT, MSG, alias.set_us, 0, 0),
};

static const struct field vm_add_f[] = {
	FLD(NAME, STR, MSG, vm.name, F_REQ | F_NONZERO, 0),
	FLD(VGUID, GUID, MSG, vm.vguid, 0, 0),
	FLD(CID, UINT, MSG, vm.cid, 0, 0),
};

static const struct field vm_del_f[] = {
	FLD(NAME, STR, MSG, vm.name, F_REQ | F_NONZERO, 0),
};

static const struct field agent_f[] = {
	FLD(VERSION, STR, MSG, agent.version, 0, 0),
	FLD(CA, STR, MSG, agent.ca, 0, 0),
	FLD(PORT, UINT, MSG, agent.port, 0, 0),
	FLD(PORT_GUID, GUID, MSG, agent.port_guid, 0, 0),
	FLD(SUBNET_PREFIX, GUID, MSG, agent.subnet_prefix, 0, 0),
	FLD(LID, UINT, MSG, agent.lid, 0, 0),
	FLD(SM_LID, UINT, MSG, agent.sm_lid, 0, 0),
	FLD(VMS, UINT, MSG, agent.vms, 0, 0),
	FLD(VMS_CONNECTED, UINT, MSG, agent.vms_connected, 0, 0),
	FLD(INTERESTS, UINT, MSG, agent.interests, 0, 0),
	FLD(REPORTS, UINT, MSG, agent.reports, 0, 0),
	FLD(NOTICES_FORWARDED, UINT, MSG, agent.notices_forwarded, 0, 0),
	FLD(PATH_QUERIES, UINT, MSG, agent.path_queries, 0, 0),
	FLD(SA_ERRORS, UINT, MSG, agent.sa_errors, 0, 0),
	FLD(UPTIME_MS, UINT, MSG, agent.uptime_ms, 0, 0),
	FLD(SUBSCRIPTIONS, UINT, MSG, agent.subscriptions, 0, 0),
	FLD(SM_RESETS, UINT, MSG, agent.sm_resets, 0, 0),
	FLD(REATTACHED, UINT, MSG, agent.reattached, 0, 0),
	FLD(NOTICES_MISSED, UINT, MSG, agent.notices_missed, 0, 0),
	FLD(VMS_DROPPED, UINT, MSG, agent.vms_dropped, 0, 0),
	FLD(REJECTED_SOURCE, UINT, MSG, agent.rejected_source, 0, 0),
	FLD(REJECTED_ISSUER, UINT, MSG, agent.rejected_issuer, 0, 0),
	FLD(NOTICES_LOST, UINT, MSG, agent.notices_lost, 0, 0),
	FLD(REVALIDATIONS, UINT, MSG, agent.revalidations, 0, 0),
	FLD(PATHS_PUSHED, UINT, MSG, agent.paths_pushed, 0, 0),
	FLD(REPEATS, UINT, MSG, agent.repeats, 0, 0),
	FLD(ALIASES_RESTORED, UINT, MSG, agent.aliases_restored, 0, 0),
	FLD(PORT_DOWNS, UINT, MSG, agent.port_downs, 0, 0),
	FLD(SM_PORT_GUID, GUID, MSG, agent.sm_port_guid, 0, 0),
};

static const struct field notice_f[] = {
	FLD(TRAP, UINT, MSG, notice.trap, F_REQ, IBVMIG_TRAP_REPATH),
	FLD(REASON, UINT, MSG, notice.n.reason, F_REQ, IBVMIG_REASON_MAX),
	FLD(NEW_LID, UINT, MSG, notice.n.new_lid, F_REQ, 0),
	FLD(OLD_LID, UINT, MSG, notice.n.old_lid, F_REQ, 0),
	FLD(SUBNET_PREFIX, GUID, MSG, notice.n.subnet_prefix, F_REQ, 0),
	FLD(VGUID, GUID, MSG, notice.n.vguid, F_REQ | F_NONZERO, 0),
	FLD(NEW_PORT_GUID, GUID, MSG, notice.n.new_port_guid, F_REQ, 0),
	FLD(OLD_PORT_GUID, GUID, MSG, notice.n.old_port_guid, F_REQ, 0),
	FLD(EPOCH, UINT, MSG, notice.n.epoch, F_REQ, 0),
	FLD(SEQ, UINT, MSG, notice.n.seq, F_REQ, 0),
};

static const struct field gone_f[] = {
	FLD(GID_PREFIX, GUID, MSG, gone.gid.prefix, F_REQ, 0),
	FLD(GID_GUID, GUID, MSG, gone.gid.guid, F_REQ | F_NONZERO, 0),
	FLD(STAMPED, BOOL, MSG, gone.stamped, 0, 0),
	FLD(EPOCH, UINT, MSG, gone.epoch, 0, 0),
	FLD(SEQ, UINT, MSG, gone.seq, 0, 0),
};

/* The escrow's fields: bounds from ibvmig_escrow.h, which the agent's codec checked. */
static const struct field esc_req_f[] = {
	FLD(PORT_GUID, GUID, MSG, esc.port_guid, 0, 0),
	FLD(DEST_GUID, GUID, MSG, esc.dest_guid, 0, 0),
	FLD(TOKEN_HI, GUID, MSG, esc.token[0], 0, 0),
	FLD(TOKEN_LO, GUID, MSG, esc.token[1], 0, 0),
};

static const struct field esc_reply_f[] = {
	FLD(ESC_STATUS, UINT, MSG, esc.esc_status, F_REQ, IBVMIG_ESC_STATUS_MAX),
	FLD(STATE, UINT, MSG, esc.state, 0, IBVMIG_ESC_STATE_MAX),
	FLD(LID, UINT, MSG, esc.lid, 0, 0),
	FLD(SOURCE_GUID, GUID, MSG, esc.source_guid, 0, 0),
	FLD(CLAIMANT_GUID, GUID, MSG, esc.claimant_guid, 0, 0),
	FLD(EXPIRES_IN_MS, UINT, MSG, esc.expires_in_ms, 0, 0),
	FLD(RETRY_AFTER_MS, UINT, MSG, esc.retry_after_ms, 0, 0),
	FLD(KEYS, UINT, MSG, esc.keys, 0, IBVMIG_ESC_KEYS_MAX),
	FLD(SM_LID, UINT, MSG, esc.sm_lid, 0, 0),
};

static const struct field error_f[] = {
	FLD(ERROR, UINT, MSG, error, 0, ERRNO_MAX),
	FLD(TEXT, STR, MSG, text, 0, 0),
};

static const struct field gid_item_f[] = {
	FLD(GID_PREFIX, GUID, struct ibvmig_vmc_gid, prefix, F_REQ, 0),
	FLD(GID_GUID, GUID, struct ibvmig_vmc_gid, guid, F_REQ | F_NONZERO, 0),
};

static const struct field vm_item_f[] = {
	FLD(NAME, STR, struct ibvmig_vmc_vm, name, F_REQ | F_NONZERO, 0),
	FLD(VGUID, GUID, struct ibvmig_vmc_vm, vguid, 0, 0),
	FLD(CID, UINT, struct ibvmig_vmc_vm, cid, 0, 0),
	FLD(CONNECTED, BOOL, struct ibvmig_vmc_vm, connected, 0, 0),
	FLD(INTERESTS, UINT, struct ibvmig_vmc_vm, interests, 0, 0),
	FLD(NOTICES, UINT, struct ibvmig_vmc_vm, notices, 0, 0),
};

/* Item records: one block each, indexed by enum item_kind. */
static const struct block item_blocks[][N_BLOCKS] = {
	[ITEMS_GID] = { BLOCK(gid_item_f, B_ITEM) },
	[ITEMS_VM] = { BLOCK(vm_item_f, B_ITEM) },
};

#define REPLY(t) ((t) | IBVMIG_VMC_REPLY)
#define HEAD(...) .head = { __VA_ARGS__ }

static const struct msg_desc messages[] = {
	{ .type = IBVMIG_VMC_HELLO, .name = "hello", HEAD(BLOCK(hello_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_HELLO), HEAD(BLOCK(welcome_f, B_MSG)) },
	{ .type = IBVMIG_VMC_INTEREST_ADD, .name = "interest-add", .items = ITEMS_GID,
	  .min_items = 1 },
	{ .type = REPLY(IBVMIG_VMC_INTEREST_ADD), HEAD(BLOCK(count_f, B_MSG)) },
	{ .type = IBVMIG_VMC_INTEREST_DEL, .name = "interest-del", .items = ITEMS_GID,
	  .min_items = 1 },
	{ .type = REPLY(IBVMIG_VMC_INTEREST_DEL), HEAD(BLOCK(count_f, B_MSG)) },
	{ .type = IBVMIG_VMC_PATH_QUERY, .name = "path-query", HEAD(BLOCK(query_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_PATH_QUERY),
	  HEAD(BLOCK(path_f, B_PATH), BLOCK(stamp_f, B_MSG)) },
	{ .type = IBVMIG_VMC_BYE, .name = "bye" },
	{ .type = REPLY(IBVMIG_VMC_BYE) },
	{ .type = IBVMIG_VMC_ATTACH, .name = "attach", HEAD(BLOCK(alias_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_ATTACH),
	  HEAD(BLOCK(alias_f, B_MSG), BLOCK(attach_reply_f, B_MSG)) },
	{ .type = IBVMIG_VMC_DETACH, .name = "detach", HEAD(BLOCK(alias_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_DETACH), HEAD(BLOCK(alias_f, B_MSG)) },
	{ .type = IBVMIG_VMC_VM_ADD, .name = "vm-add", HEAD(BLOCK(vm_add_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_VM_ADD) },
	{ .type = IBVMIG_VMC_VM_DEL, .name = "vm-del", HEAD(BLOCK(vm_del_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_VM_DEL) },
	{ .type = IBVMIG_VMC_VM_LIST, .name = "vm-list" },
	{ .type = REPLY(IBVMIG_VMC_VM_LIST), HEAD(BLOCK(count_f, B_MSG)), .items = ITEMS_VM },
	{ .type = IBVMIG_VMC_STATUS, .name = "status" },
	{ .type = REPLY(IBVMIG_VMC_STATUS), HEAD(BLOCK(agent_f, B_MSG)) },
	{ .type = IBVMIG_VMC_ESC_RELEASE, .name = "escrow-release", HEAD(BLOCK(esc_req_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_ESC_RELEASE),
	  HEAD(BLOCK(esc_req_f, B_MSG), BLOCK(esc_reply_f, B_MSG)) },
	{ .type = IBVMIG_VMC_ESC_CLAIM, .name = "escrow-claim", HEAD(BLOCK(esc_req_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_ESC_CLAIM),
	  HEAD(BLOCK(esc_req_f, B_MSG), BLOCK(esc_reply_f, B_MSG)) },
	{ .type = IBVMIG_VMC_ESC_CANCEL, .name = "escrow-cancel", HEAD(BLOCK(esc_req_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_ESC_CANCEL),
	  HEAD(BLOCK(esc_req_f, B_MSG), BLOCK(esc_reply_f, B_MSG)) },
	{ .type = IBVMIG_VMC_ESC_QUERY, .name = "escrow-query", HEAD(BLOCK(esc_req_f, B_MSG)) },
	{ .type = REPLY(IBVMIG_VMC_ESC_QUERY),
	  HEAD(BLOCK(esc_req_f, B_MSG), BLOCK(esc_reply_f, B_MSG)) },
	{ .type = IBVMIG_VMC_NOTICE, .name = "notice", HEAD(BLOCK(notice_f, B_MSG)) },
	{ .type = IBVMIG_VMC_PATH_UPDATE, .name = "path-update",
	  HEAD(BLOCK(path_f, B_PATH), BLOCK(stamp_f, B_MSG)) },
	{ .type = IBVMIG_VMC_PATH_GONE, .name = "path-gone", HEAD(BLOCK(gone_f, B_MSG)) },
};

/* Every reply with a non-zero status: the error and its text, no items. */
static const struct msg_desc error_reply = { HEAD(BLOCK(error_f, B_MSG)) };

static bool is_reply(uint8_t type)
{
	return type & IBVMIG_VMC_REPLY;
}

bool ibvmig_vmc_is_unsolicited(uint8_t type)
{
	return (type & ~(IBVMIG_VMC_UNSOLICITED - 1)) == IBVMIG_VMC_UNSOLICITED;
}

/*
 * The description of a message, NULL when @type is unknown; a status is
 * only for replies (and then the message carries only the error) and a
 * notice has no id.
 */
static const struct msg_desc *describe(uint8_t type, uint16_t status, uint32_t id, int *err)
{
	size_t i;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		if (messages[i].type != type)
			continue;
		*err = -EBADMSG;
		if (status && (!is_reply(type) || status > IBVMIG_VMC_STATUS_MAX))
			return NULL;
		if (ibvmig_vmc_is_unsolicited(type) && id)
			return NULL;
		return status ? &error_reply : &messages[i];
	}
	*err = -EOPNOTSUPP;
	return NULL;
}

/* ---- values ---------------------------------------------------------- */

static uint64_t load(const uint8_t *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

static void store(uint8_t *p, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(p, &u8, 1);
		break;
	case 2:
		memcpy(p, &u16, 2);
		break;
	case 4:
		memcpy(p, &u32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

static uint64_t field_max(const struct field *f)
{
	if (f->type == IBVMIG_REC_T_BOOL)
		return 1;
	if (f->max)
		return f->max;
	return f->size >= 8 ? UINT64_MAX : (1ULL << (8 * f->size)) - 1;
}

static bool number_ok(const struct field *f, uint64_t v)
{
	if ((f->flags & F_NONZERO) && !v)
		return false;
	if (f->tag == IBVMIG_VMC_TAG_TRAP && v != IBVMIG_TRAP_UNPATH && v != IBVMIG_TRAP_REPATH)
		return false;
	return v <= field_max(f);
}

/* Names and texts: printable ASCII, so that logs and JSON stay sane. */
static bool string_ok(const struct field *f, const char *s, size_t len)
{
	size_t i;

	if (len >= f->size || ((f->flags & F_NONZERO) && !len))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7E)
			return false;
	return true;
}

/* ---- encoding -------------------------------------------------------- */

static int put_block(struct ibvmig_rec_writer *w, const struct block *b, const void *base)
{
	const uint8_t *p = base;
	uint8_t i;

	for (i = 0; i < b->n; i++) {
		const struct field *f = &b->f[i];
		const char *s = (const char *)p + f->off;
		uint64_t v;

		if (f->type == IBVMIG_REC_T_STR) {
			if (!string_ok(f, s, strnlen(s, f->size)))
				return -EINVAL;
			ibvmig_rec_put_str(w, f->tag, s);
			continue;
		}
		v = load(p + f->off, f->size);
		if (!number_ok(f, v))
			return -EINVAL;
		if (f->type == IBVMIG_REC_T_UINT)
			ibvmig_rec_put_uint(w, f->tag, v);
		else if (f->type == IBVMIG_REC_T_GUID)
			ibvmig_rec_put_guid(w, f->tag, v);
		else
			ibvmig_rec_put_bool(w, f->tag, v);
	}
	return 0;
}

static void writer_fail(struct ibvmig_vmc_writer *w, int err)
{
	if (!w->error)
		w->error = err;
}

void ibvmig_vmc_writer_init(struct ibvmig_vmc_writer *w, const struct ibvmig_vmc_msg *m)
{
	const struct msg_desc *d;
	const void *base;
	int err, i;

	memset(w, 0, sizeof(*w));
	ibvmig_rec_writer_init(&w->rec, IBVMIG_VMC_HEADER_LEN, IBVMIG_VMC_MSG_MAX);
	w->type = m->type;
	w->status = m->status;
	w->id = m->id;
	d = describe(m->type, m->status, m->id, &err);
	if (!d) {
		writer_fail(w, -EINVAL);
		return;
	}
	w->item_kind = d->items;
	w->min_items = d->min_items;
	ibvmig_rec_begin(&w->rec);
	for (i = 0; i < N_BLOCKS && d->head[i].n; i++) {
		base = d->head[i].base == B_PATH ? (const void *)m->path.path : (const void *)m;
		if (!base) {
			writer_fail(w, -EINVAL);
			return;
		}
		err = put_block(&w->rec, &d->head[i], base);
		if (err)
			writer_fail(w, err);
	}
}

static void put_item(struct ibvmig_vmc_writer *w, enum item_kind kind, const void *item)
{
	int err;

	if (w->error)
		return;
	if (w->item_kind != kind) {
		writer_fail(w, -EINVAL);
		return;
	}
	if (w->n_items == IBVMIG_VMC_ITEMS_MAX) {
		writer_fail(w, -EMSGSIZE);
		return;
	}
	ibvmig_rec_begin(&w->rec);
	err = put_block(&w->rec, &item_blocks[kind][0], item);
	if (err)
		writer_fail(w, err);
	w->n_items++;
}

void ibvmig_vmc_put_gid(struct ibvmig_vmc_writer *w, const struct ibvmig_vmc_gid *g)
{
	put_item(w, ITEMS_GID, g);
}

void ibvmig_vmc_put_vm(struct ibvmig_vmc_writer *w, const struct ibvmig_vmc_vm *vm)
{
	put_item(w, ITEMS_VM, vm);
}

static void header_encode(uint8_t *buf, uint8_t type, uint16_t status, uint32_t id,
			  uint32_t length)
{
	struct wire c = wire_at(buf, IBVMIG_VMC_HEADER_LEN);

	wire_put_u32(&c, IBVMIG_VMC_MAGIC);
	wire_put_u8(&c, IBVMIG_VMC_VERSION);
	wire_put_u8(&c, type);
	wire_put_u16(&c, status);
	wire_put_u32(&c, id);
	wire_put_u32(&c, length);
}

int ibvmig_vmc_writer_finish(struct ibvmig_vmc_writer *w, uint8_t **buf, size_t *len)
{
	int err;

	*buf = NULL;
	*len = 0;
	if (!w->error && w->n_items < w->min_items)
		writer_fail(w, -EINVAL);
	if (w->error) {
		err = w->error;
		ibvmig_vmc_writer_discard(w);
		return err;
	}
	err = ibvmig_rec_writer_take(&w->rec, buf, len);
	if (err)
		return err;
	header_encode(*buf, w->type, w->status, w->id,
		      (uint32_t)(*len - IBVMIG_VMC_HEADER_LEN));
	return 0;
}

void ibvmig_vmc_writer_discard(struct ibvmig_vmc_writer *w)
{
	ibvmig_rec_writer_discard(&w->rec);
}

int ibvmig_vmc_encode(const struct ibvmig_vmc_msg *m, uint8_t **buf, size_t *len)
{
	struct ibvmig_vmc_writer w;

	ibvmig_vmc_writer_init(&w, m);
	return ibvmig_vmc_writer_finish(&w, buf, len);
}

/* ---- framing and decoding -------------------------------------------- */

int ibvmig_vmc_frame(const uint8_t *buf, size_t have, size_t *need)
{
	uint8_t magic[4];
	struct wire c = wire_at(magic, sizeof(magic));
	struct wire h = wire_at((uint8_t *)buf, have);
	uint32_t body;

	*need = 0;
	if (!have) {
		*need = IBVMIG_VMC_HEADER_LEN;
		return 0;
	}
	wire_put_u32(&c, IBVMIG_VMC_MAGIC);
	/* Refuse what is not ours from its first bytes: no waiting for a header. */
	if (memcmp(buf, magic, have < sizeof(magic) ? have : sizeof(magic)))
		return -EPROTO;
	if (have > HDR_VERSION_AT && buf[HDR_VERSION_AT] != IBVMIG_VMC_VERSION)
		return -EPROTONOSUPPORT;
	if (have < IBVMIG_VMC_HEADER_LEN) {
		*need = IBVMIG_VMC_HEADER_LEN - have;
		return 0;
	}
	wire_skip(&h, HDR_LENGTH_AT);
	body = wire_get_u32(&h);
	if (body > BODY_MAX)
		return -EMSGSIZE;
	if (have < IBVMIG_VMC_HEADER_LEN + body) {
		*need = IBVMIG_VMC_HEADER_LEN + body - have;
		return 0;
	}
	return (int)(IBVMIG_VMC_HEADER_LEN + body);
}

/* The field of @blocks that @tag names: its block in *@bi, its index in *@fi. */
static const struct field *find_field(const struct block *blocks, uint16_t tag, int *bi,
				      int *fi)
{
	int b, i;

	for (b = 0; b < N_BLOCKS && blocks[b].n; b++)
		for (i = 0; i < blocks[b].n; i++)
			if (blocks[b].f[i].tag == tag) {
				*bi = b;
				*fi = i;
				return &blocks[b].f[i];
			}
	return NULL;
}

/* One decoded field into its member; false when its type or value is wrong. */
static bool get_field(const struct field *f, const struct ibvmig_rec_field *in, uint8_t *base)
{
	size_t len;

	if (in->type != f->type)
		return false;
	if (f->type == IBVMIG_REC_T_STR) {
		len = in->len;	/* a NUL inside is refused with the other bytes < 0x20 */
		if (!string_ok(f, in->str, len))
			return false;
		memcpy(base + f->off, in->str, len + 1);
		return true;
	}
	if (!number_ok(f, in->value))
		return false;
	store(base + f->off, f->size, in->value);
	return true;
}

/*
 * Reads the record @r has just started into @blocks' members at @bases:
 * unknown tags are skipped, a known tag may appear once, required ones must.
 */
static int get_record(struct ibvmig_rec_reader *r, const struct block *blocks,
		      uint8_t *const bases[N_BLOCKS])
{
	uint64_t seen[N_BLOCKS] = { 0 };
	struct ibvmig_rec_field in;
	const struct field *f;
	int b, i, rc;

	while ((rc = ibvmig_rec_next_field(r, &in)) == 1) {
		f = find_field(blocks, in.tag, &b, &i);
		if (!f)
			continue;
		if ((seen[b] >> i & 1) || !get_field(f, &in, bases[b]))
			return -EBADMSG;
		seen[b] |= 1ULL << i;
	}
	if (rc < 0)
		return -EBADMSG;
	for (b = 0; b < N_BLOCKS && blocks[b].n; b++)
		for (i = 0; i < blocks[b].n; i++)
			if ((blocks[b].f[i].flags & F_REQ) && !(seen[b] >> i & 1))
				return -EBADMSG;
	return 0;
}

/* The header's fields; 0 or the error ibvmig_vmc_frame() gives. */
static int header_decode(const uint8_t *buf, size_t len, uint8_t *type, uint16_t *status,
			 uint32_t *id)
{
	struct wire c = wire_at((uint8_t *)buf, len);
	size_t need;
	int rc = ibvmig_vmc_frame(buf, len, &need);

	if (rc < 0)
		return rc;
	if (rc == 0 || (size_t)rc != len)
		return -EMSGSIZE;
	wire_skip(&c, HDR_VERSION_AT + 1);
	*type = wire_get_u8(&c);
	*status = wire_get_u16(&c);
	*id = wire_get_u32(&c);
	return 0;
}

int ibvmig_vmc_peek(const uint8_t *buf, size_t len, uint8_t *type, uint32_t *id)
{
	struct wire c = wire_at((uint8_t *)buf, len);

	if (len < IBVMIG_VMC_HEADER_LEN)
		return -EMSGSIZE;
	if (wire_get_u32(&c) != IBVMIG_VMC_MAGIC)
		return -EPROTO;
	wire_skip(&c, 1);
	*type = wire_get_u8(&c);
	wire_skip(&c, 2);
	*id = wire_get_u32(&c);
	return 0;
}

static int decode(const uint8_t *buf, size_t len, struct ibvmig_vmc_msg *m,
		  struct ibvmig_sa_path *path)
{
	const uint8_t *body = buf + IBVMIG_VMC_HEADER_LEN;
	struct ibvmig_rec_reader r;
	const struct msg_desc *d;
	union {
		struct ibvmig_vmc_gid gid;
		struct ibvmig_vmc_vm vm;
	} item;		/* items are only checked here; next_item() reads them */
	uint8_t *bases[N_BLOCKS];
	int rc, b;

	rc = header_decode(buf, len, &m->type, &m->status, &m->id);
	if (rc)
		return rc;
	d = describe(m->type, m->status, m->id, &rc);
	if (!d)
		return rc;
	if (ibvmig_rec_reader_init(&r, body, len - IBVMIG_VMC_HEADER_LEN) ||
	    !r.records_left)
		return -EBADMSG;
	if (r.records_left - 1 > IBVMIG_VMC_ITEMS_MAX)
		return -EMSGSIZE;
	m->n_items = r.records_left - 1;
	m->items = r;
	if (m->n_items && d->items == ITEMS_NONE)
		return -EBADMSG;
	if (m->n_items < d->min_items)
		return -EBADMSG;
	for (b = 0; b < N_BLOCKS; b++)
		bases[b] = d->head[b].base == B_PATH ? (uint8_t *)path : (uint8_t *)m;
	if (ibvmig_rec_next(&r) != 1 || get_record(&r, d->head, bases))
		return -EBADMSG;
	bases[0] = (uint8_t *)&item;
	while (ibvmig_rec_next(&r) == 1)
		if (get_record(&r, item_blocks[d->items], bases))
			return -EBADMSG;
	if (m->type == IBVMIG_VMC_NOTICE)
		m->notice.n.version = IBVMIG_NOTICE_VERSION;
	return 0;
}

int ibvmig_vmc_decode(const uint8_t *buf, size_t len, struct ibvmig_vmc_msg *m)
{
	struct ibvmig_sa_path path;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(&path, 0, sizeof(path));
	rc = decode(buf, len, m, &path);
	if (rc)
		memset(m, 0, sizeof(*m));
	return rc;
}

int ibvmig_vmc_get_path(const struct ibvmig_vmc_msg *m, struct ibvmig_sa_path *out)
{
	static const struct block path_block[N_BLOCKS] = { BLOCK(path_f, B_PATH) };
	uint8_t *bases[N_BLOCKS] = { (uint8_t *)out };
	struct ibvmig_rec_reader r;

	memset(out, 0, sizeof(*out));
	if ((m->type != REPLY(IBVMIG_VMC_PATH_QUERY) && m->type != IBVMIG_VMC_PATH_UPDATE) ||
	    m->status || !m->items.body)
		return -EINVAL;
	/* Validated by the decoder: the head record reads again without fault. */
	if (ibvmig_rec_reader_init(&r, m->items.body, m->items.len) ||
	    ibvmig_rec_next(&r) != 1 || get_record(&r, path_block, bases))
		return -EBADMSG;
	return 0;
}

static int next_item(struct ibvmig_vmc_msg *m, enum item_kind kind, void *out)
{
	const struct msg_desc *d;
	uint8_t *bases[N_BLOCKS] = { out };
	int err;

	d = describe(m->type, m->status, m->id, &err);
	if (!d || d->items != kind || !m->items.body)
		return -EINVAL;
	memset(out, 0, kind == ITEMS_GID ? sizeof(struct ibvmig_vmc_gid)
					 : sizeof(struct ibvmig_vmc_vm));
	/* The reader starts before the head record: step over it first. */
	if (m->items.records_left > m->n_items && ibvmig_rec_next(&m->items) != 1)
		return -EBADMSG;
	err = ibvmig_rec_next(&m->items);
	if (err <= 0)
		return err;
	return get_record(&m->items, item_blocks[kind], bases) ? -EBADMSG : 1;
}

int ibvmig_vmc_next_gid(struct ibvmig_vmc_msg *m, struct ibvmig_vmc_gid *out)
{
	return next_item(m, ITEMS_GID, out);
}

int ibvmig_vmc_next_vm(struct ibvmig_vmc_msg *m, struct ibvmig_vmc_vm *out)
{
	return next_item(m, ITEMS_VM, out);
}

/* ---- names and statuses ----------------------------------------------- */

/* Each status: its errno twin and its text, indexed by enum ibvmig_vmc_status. */
static const struct {
	int err;
	const char *text;
} statuses[] = {
	[IBVMIG_VMC_OK] = { 0, "success" },
	[IBVMIG_VMC_E_MAGIC] = { EPROTO, "not an ibvmig VM channel message" },
	[IBVMIG_VMC_E_VERSION] = { EPROTONOSUPPORT, "unsupported protocol version" },
	[IBVMIG_VMC_E_TYPE] = { EOPNOTSUPP, "unknown message type" },
	[IBVMIG_VMC_E_LENGTH] = { EMSGSIZE, "message too long" },
	[IBVMIG_VMC_E_MALFORMED] = { EBADMSG, "malformed message" },
	[IBVMIG_VMC_E_STATE] = { ENOTCONN, "not allowed now (hello first)" },
	[IBVMIG_VMC_E_DENIED] = { EACCES, "not allowed on this connection" },
	[IBVMIG_VMC_E_NOT_FOUND] = { ENOENT, "not found" },
	[IBVMIG_VMC_E_SUSPENDED] = { EAGAIN, "path suspended by an UnPath, retry" },
	[IBVMIG_VMC_E_EXISTS] = { EEXIST, "already exists" },
	[IBVMIG_VMC_E_FULL] = { ENOSPC, "a limit of the agent is reached" },
	[IBVMIG_VMC_E_NOT_READY] = { ENETDOWN, "the port or the subnet manager is not up" },
	[IBVMIG_VMC_E_FAILED] = { EIO, "the request failed" },
	[IBVMIG_VMC_E_INTERNAL] = { ENOMEM, "internal error in the agent" },
};

#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

uint16_t ibvmig_vmc_status_from_errno(int err)
{
	uint16_t s;

	if (err == -EPERM)
		return IBVMIG_VMC_E_DENIED;	/* EACCES's twin answers both */
	for (s = 0; s < N_STATUSES; s++)
		if (statuses[s].err == -err)
			return s;
	return IBVMIG_VMC_E_FAILED;
}

int ibvmig_vmc_status_errno(uint16_t status)
{
	return status < N_STATUSES ? -statuses[status].err : -EIO;
}

const char *ibvmig_vmc_status_text(unsigned status)
{
	return status < N_STATUSES ? statuses[status].text : "unknown status";
}

const char *ibvmig_vmc_type_name(uint8_t type)
{
	const struct msg_desc *d;
	int err;

	/* A reply is named after its request, if the type exists at all. */
	if (!describe(type, 0, 0, &err))
		return NULL;
	d = describe(type & (uint8_t)~IBVMIG_VMC_REPLY, 0, 0, &err);
	return d ? d->name : NULL;
}

void ibvmig_vmc_token_put(uint64_t field[2], const uint8_t token[16])
{
	unsigned i;

	field[0] = field[1] = 0;
	for (i = 0; i < 16; i++)
		field[i / 8] = field[i / 8] << 8 | token[i];
}

void ibvmig_vmc_token_get(const uint64_t field[2], uint8_t token[16])
{
	unsigned i;

	for (i = 0; i < 16; i++)
		token[i] = (uint8_t)(field[i / 8] >> (8 * (7 - i % 8)));
}

const char *ibvmig_vmc_tag_name(uint16_t tag)
{
#define TAG_NAME(name, value, key) [value] = key,
	static const char *const names[IBVMIG_VMC_TAG_MAX + 1] = { IBVMIG_VMC_TAGS(TAG_NAME) };
#undef TAG_NAME

	return tag <= IBVMIG_VMC_TAG_MAX ? names[tag] : NULL;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the VM channel codec: exact bytes, a round trip of every
 * message type, items, framing of a stream in any chunks, refusal of every
 * truncation, of oversize and of every malformed field, and random bytes.
 */
#include "ibvmig_escrow.h"
#include "ibvmig_vmchan.h"
#include "ibvmig_sa.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VGUID 0x0002c90300c00001ULL
#define PREFIX 0xfe80000000000000ULL

static unsigned seed = 4242;

/* ---- helpers ------------------------------------------------------------- */

static uint8_t *encode(const struct ibvmig_vmc_msg *m, size_t *len)
{
	uint8_t *buf = NULL;

	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_encode(m, &buf, len), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	return buf;
}

/* Frames then decodes @buf, which must hold exactly one message. */
static void decode_ok(const uint8_t *buf, size_t len, struct ibvmig_vmc_msg *m)
{
	size_t need = 99;

	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_frame(buf, len, &need), (int)len);
	CU_ASSERT_EQUAL(need, 0);
	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_decode(buf, len, m), 0);
}

/* Field by field: the padding of a struct is no part of its value. */
static bool same_path(const struct ibvmig_sa_path *a, const struct ibvmig_sa_path *b)
{
	return a->service_id == b->service_id && a->dgid_prefix == b->dgid_prefix &&
	       a->dgid_guid == b->dgid_guid && a->sgid_prefix == b->sgid_prefix &&
	       a->sgid_guid == b->sgid_guid && a->dlid == b->dlid && a->slid == b->slid &&
	       a->raw_traffic == b->raw_traffic && a->flow_label == b->flow_label &&
	       a->hop_limit == b->hop_limit && a->tclass == b->tclass &&
	       a->reversible == b->reversible && a->numb_path == b->numb_path &&
	       a->pkey == b->pkey && a->qos_class == b->qos_class && a->sl == b->sl &&
	       a->mtu_selector == b->mtu_selector && a->mtu == b->mtu &&
	       a->rate_selector == b->rate_selector && a->rate == b->rate &&
	       a->pkt_life_selector == b->pkt_life_selector && a->pkt_life == b->pkt_life &&
	       a->preference == b->preference;
}

static const struct ibvmig_sa_path the_path = {
	.service_id = 0x1000000000000001ULL, .dgid_prefix = PREFIX, .dgid_guid = VGUID,
	.sgid_prefix = PREFIX, .sgid_guid = 0x0002c90300000001ULL, .dlid = 0xBFFF, .slid = 1,
	.raw_traffic = true, .flow_label = 0xFFFFF, .hop_limit = 255, .tclass = 0xA5,
	.reversible = true, .numb_path = 0x7F, .pkey = 0xFFFF, .qos_class = 0xFFF, .sl = 15,
	.mtu_selector = 2, .mtu = 5, .rate_selector = 3, .rate = 16, .pkt_life_selector = 1,
	.pkt_life = 63, .preference = 9,
};

#define REPLY(t) ((t) | IBVMIG_VMC_REPLY)
#define PORT_1 0x0002c90300000011ULL

/*
 * A sample of every message type (and an error reply), with every field
 * set to something other than 0 where the field allows it.
 */
static const struct ibvmig_vmc_msg samples[] = {
	{ .type = IBVMIG_VMC_HELLO, .id = 1, .hello = { "vm-1.example", VGUID } },
	{ .type = REPLY(IBVMIG_VMC_HELLO), .id = 2, .welcome = { PREFIX, PORT_1, 7, 1 } },
	{ .type = REPLY(IBVMIG_VMC_INTEREST_ADD), .id = 3, .count = 12 },
	{ .type = REPLY(IBVMIG_VMC_INTEREST_DEL), .id = 4, .count = 0xFFFFFFFF },
	{ .type = IBVMIG_VMC_PATH_QUERY, .id = 5, .query = { PREFIX, VGUID } },
	{ .type = REPLY(IBVMIG_VMC_PATH_QUERY), .id = 6,
	  .path = { &the_path, true, 0xDEADBEEF, 0x123456789ULL } },
	{ .type = IBVMIG_VMC_BYE, .id = 7 },
	{ .type = REPLY(IBVMIG_VMC_BYE), .id = 8 },
	{ .type = IBVMIG_VMC_ATTACH, .id = 9, .alias = { VGUID, 3, "vm-1" } },
	{ .type = REPLY(IBVMIG_VMC_ATTACH), .id = 10, .alias = { VGUID, 255, "", 1796188018354216ULL } },
	{ .type = IBVMIG_VMC_DETACH, .id = 11, .alias = { VGUID, 0, "" } },
	{ .type = REPLY(IBVMIG_VMC_DETACH), .id = 12, .alias = { VGUID, 1, "" } },
	{ .type = IBVMIG_VMC_VM_ADD, .id = 13,
	  .vm = { .name = "a name with spaces & symbols ~!", .vguid = VGUID, .cid = 42 } },
	{ .type = REPLY(IBVMIG_VMC_VM_ADD), .id = 14 },
	{ .type = IBVMIG_VMC_VM_DEL, .id = 15, .vm = { .name = "vm-1" } },
	{ .type = REPLY(IBVMIG_VMC_VM_DEL), .id = 16 },
	{ .type = IBVMIG_VMC_VM_LIST, .id = 17 },
	{ .type = IBVMIG_VMC_STATUS, .id = 18 },
	{ .type = REPLY(IBVMIG_VMC_STATUS), .id = 19,
	  .agent = { "ibvmigd 0.1.0", "mlx5_0", 1, PORT_1, PREFIX, 7, 1, 3, 2, 40, 1000, 999, 17,
		     1, 123456789, 3, 2, 5, 6, 1 } },
	{ .type = IBVMIG_VMC_NOTICE, .id = 0,
	  .notice = { IBVMIG_TRAP_REPATH,
		      { IBVMIG_NOTICE_VERSION, IBVMIG_REASON_MIGRATED, 9, 5, PREFIX, VGUID,
			0x0002c90300000021ULL, PORT_1, 77, 1234 } } },
	{ .type = REPLY(IBVMIG_VMC_PATH_QUERY), .id = 21, .status = IBVMIG_VMC_E_FAILED,
	  .error = ETIMEDOUT, .text = "SA did not answer" },
	{ .type = IBVMIG_VMC_PATH_UPDATE, .id = 0,
	  .path = { &the_path, true, 0xCAFEF00D, 0xFFFFFFFFFFFFFFFFULL } },
	{ .type = IBVMIG_VMC_PATH_GONE, .id = 0,
	  .gone = { { PREFIX, VGUID }, true, 0xCAFEF00D, 42 } },
	{ .type = IBVMIG_VMC_ESC_RELEASE, .id = 22, .esc = { .port_guid = PORT_1,
							     .dest_guid = VGUID } },
	{ .type = REPLY(IBVMIG_VMC_ESC_RELEASE), .id = 23,
	  .esc = { PORT_1, VGUID, { 0x0102030405060708ULL, 0xF1F2F3F4F5F6F7F8ULL },
		   IBVMIG_ESC_OK, IBVMIG_ESC_HELD, 0xBFFF, PORT_1, 0, 600000, 0, 60, 1 } },
	{ .type = IBVMIG_VMC_ESC_CLAIM, .id = 24, .esc = { .token = { 1, 2 } } },
	{ .type = REPLY(IBVMIG_VMC_ESC_CLAIM), .id = 25,
	  .esc = { .port_guid = PORT_1, .esc_status = IBVMIG_ESC_INTERNAL, .sm_lid = 0xFFFF } },
	{ .type = IBVMIG_VMC_ESC_CANCEL, .id = 26, .esc = { .port_guid = 1, .token = { 3, 4 } } },
	{ .type = REPLY(IBVMIG_VMC_ESC_CANCEL), .id = 27,
	  .esc = { .esc_status = IBVMIG_ESC_RATE_LIMITED, .retry_after_ms = 0xFFFFFFFF } },
	{ .type = IBVMIG_VMC_ESC_QUERY, .id = 28, .esc = { .token = { 0, 1 } } },
	{ .type = REPLY(IBVMIG_VMC_ESC_QUERY), .id = 29,
	  .esc = { .state = IBVMIG_ESC_EXPIRED, .lid = 1, .claimant_guid = PORT_1 } },
};

#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))
#define N_ITEM_SAMPLES 2	/* INTEREST_ADD with GIDs, VM_LIST reply with VMs */

static struct ibvmig_vmc_vm sample_vm(unsigned i)
{
	struct ibvmig_vmc_vm vm = {
		.vguid = VGUID + i, .cid = 3 + i, .connected = i & 1, .interests = i * 2,
		.notices = 1000ULL * i,
	};

	snprintf(vm.name, sizeof(vm.name), "vm-%u", i);
	return vm;
}

/* Messages with items: INTEREST_ADD with @n GIDs, or a VM_LIST reply with @n VMs. */
static uint8_t *encode_items(unsigned which, unsigned n, size_t *len)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_INTEREST_ADD, .id = 99 };
	struct ibvmig_vmc_writer w;
	uint8_t *buf = NULL;
	unsigned i;

	if (which) {
		m.type = IBVMIG_VMC_VM_LIST | IBVMIG_VMC_REPLY;
		m.count = n + 5;
	}
	ibvmig_vmc_writer_init(&w, &m);
	for (i = 0; i < n; i++) {
		struct ibvmig_vmc_gid g = { PREFIX + i, VGUID + i };
		struct ibvmig_vmc_vm vm = sample_vm(i);

		if (which)
			ibvmig_vmc_put_vm(&w, &vm);
		else
			ibvmig_vmc_put_gid(&w, &g);
	}
	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_writer_finish(&w, &buf, len), 0);
	return buf;
}

/* Sample @i encoded: the single ones first, then the two with items. */
static uint8_t *encode_sample(unsigned i, size_t *len)
{
	if (i >= N_SAMPLES)
		return encode_items(i - (unsigned)N_SAMPLES, 3, len);
	return encode(&samples[i], len);
}

/*
 * Re-encodes a decoded message (with its items and its path): a decoder and
 * an encoder that agree give back the same bytes.
 */
static int reencode(struct ibvmig_vmc_msg *m, uint8_t **buf, size_t *len)
{
	struct ibvmig_sa_path path;
	struct ibvmig_vmc_writer w;
	struct ibvmig_vmc_gid g;
	struct ibvmig_vmc_vm vm;

	if (ibvmig_vmc_get_path(m, &path) == 0)
		m->path.path = &path;
	ibvmig_vmc_writer_init(&w, m);
	while (ibvmig_vmc_next_gid(m, &g) == 1)
		ibvmig_vmc_put_gid(&w, &g);
	while (ibvmig_vmc_next_vm(m, &vm) == 1)
		ibvmig_vmc_put_vm(&w, &vm);
	return ibvmig_vmc_writer_finish(&w, buf, len);
}

/* Hand-made messages: any body the record writer can make, under any header. */
struct craft {
	struct ibvmig_rec_writer w;
};

static void craft_begin(struct craft *c)
{
	ibvmig_rec_writer_init(&c->w, IBVMIG_VMC_HEADER_LEN, 1 << 20);
	ibvmig_rec_begin(&c->w);
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint8_t *craft_end(struct craft *c, uint8_t type, uint16_t status, uint32_t id,
			  size_t *len)
{
	uint8_t *buf;

	CU_ASSERT_EQUAL_FATAL(ibvmig_rec_writer_take(&c->w, &buf, len), 0);
	memcpy(buf, "IVMC\x01", 5);
	buf[5] = type;
	put_be(buf + 6, status, 2);
	put_be(buf + 8, id, 4);
	put_be(buf + 12, *len - IBVMIG_VMC_HEADER_LEN, 4);
	return buf;
}

static int decode_crafted(struct craft *c, uint8_t type, uint16_t status, uint32_t id)
{
	struct ibvmig_vmc_msg m;
	size_t len;
	uint8_t *buf = craft_end(c, type, status, id, &len);
	int rc = ibvmig_vmc_decode(buf, len, &m);

	free(buf);
	return rc;
}

/* ---- exact bytes -------------------------------------------------------- */

static void expect_bytes(const struct ibvmig_vmc_msg *m, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *buf = encode(m, &len);

	CU_ASSERT_EQUAL(len, want_len);
	CU_ASSERT(len == want_len && memcmp(buf, want, len) == 0);
	free(buf);
}

static void test_hello_bytes(void)
{
	static const uint8_t want[] = {
		'I', 'V', 'M', 'C', 1, 0x01, 0, 0, 0, 0, 0, 7, 0, 0, 0, 25,
		0, 0, 0, 1,				/* one record */
		0, 2,					/* two fields */
		0, 1, 3, 3, 'v', 'm', '1',		/* name: STR "vm1" */
		0, 2, 2, 8, 0x00, 0x02, 0xc9, 0x03, 0x00, 0xc0, 0x00, 0x01,	/* vguid */
	};
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_HELLO, .id = 7 };

	strcpy(m.hello.name, "vm1");
	m.hello.vguid = VGUID;
	expect_bytes(&m, want, sizeof(want));
}

static void test_bye_bytes(void)
{
	static const uint8_t want[] = {
		'I', 'V', 'M', 'C', 1, 0x05, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 6,
		0, 0, 0, 1, 0, 0,			/* one record, no field */
	};
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_BYE, .id = 0xffffffff };

	expect_bytes(&m, want, sizeof(want));
}

static void test_interest_add_bytes(void)
{
	static const uint8_t want[] = {
		'I', 'V', 'M', 'C', 1, 0x02, 0, 0, 0, 0, 0, 1, 0, 0, 0, 32,
		0, 0, 0, 2,				/* head + one item */
		0, 0,					/* the head: no field */
		0, 2,
		0, 3, 2, 8, 0xfe, 0x80, 0, 0, 0, 0, 0, 0,			/* gid_prefix */
		0, 4, 2, 8, 0x00, 0x02, 0xc9, 0x03, 0x00, 0xc0, 0x00, 0x01,	/* gid_guid */
	};
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_INTEREST_ADD, .id = 1 };
	struct ibvmig_vmc_gid g = { PREFIX, VGUID };
	struct ibvmig_vmc_writer w;
	uint8_t *buf;
	size_t len;

	ibvmig_vmc_writer_init(&w, &m);
	ibvmig_vmc_put_gid(&w, &g);
	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_writer_finish(&w, &buf, &len), 0);
	CU_ASSERT_EQUAL_FATAL(len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(buf, want, len), 0);
	free(buf);
}

static void test_error_reply_bytes(void)
{
	static const uint8_t want[] = {
		'I', 'V', 'M', 'C', 1, 0x84, 0, 9, 0, 0, 0, 5, 0, 0, 0, 22,
		0, 0, 0, 1, 0, 2,
		0, 5, 1, 8, 0, 0, 0, 0, 0, 0, 0, 11,	/* error: EAGAIN */
		0, 6, 3, 0,				/* text: "" */
	};
	struct ibvmig_vmc_msg m = {
		.type = IBVMIG_VMC_PATH_QUERY | IBVMIG_VMC_REPLY, .id = 5,
		.status = IBVMIG_VMC_E_SUSPENDED, .error = EAGAIN,
	};

	expect_bytes(&m, want, sizeof(want));
}

/* ---- round trips ---------------------------------------------------------- */

static void test_every_message_round_trips(void)
{
	struct ibvmig_sa_path got;
	struct ibvmig_vmc_msg m, back;
	uint8_t *buf, *again;
	size_t len, len2;
	unsigned i;

	for (i = 0; i < N_SAMPLES; i++) {
		m = samples[i];
		buf = encode(&m, &len);
		decode_ok(buf, len, &back);
		CU_ASSERT_EQUAL(back.type, m.type);
		CU_ASSERT_EQUAL(back.status, m.status);
		CU_ASSERT_EQUAL(back.id, m.id);
		CU_ASSERT_EQUAL(back.n_items, 0);
		CU_ASSERT_EQUAL(reencode(&back, &again, &len2), 0);
		CU_ASSERT_EQUAL(len2, len);
		CU_ASSERT(len2 == len && memcmp(again, buf, len) == 0);
		free(again);
		free(buf);
	}
	/* Spot checks that the fields land where they belong. */
	m = samples[0];
	buf = encode(&m, &len);
	decode_ok(buf, len, &back);
	CU_ASSERT_STRING_EQUAL(back.hello.name, "vm-1.example");
	CU_ASSERT_EQUAL(back.hello.vguid, VGUID);
	free(buf);

	m = samples[5];
	buf = encode(&m, &len);
	decode_ok(buf, len, &back);
	CU_ASSERT_PTR_NULL(back.path.path);
	CU_ASSERT_EQUAL(ibvmig_vmc_get_path(&back, &got), 0);
	CU_ASSERT(same_path(&got, &the_path));
	CU_ASSERT(back.path.stamped);
	CU_ASSERT_EQUAL(back.path.epoch, 0xDEADBEEF);
	CU_ASSERT_EQUAL(back.path.seq, 0x123456789ULL);
	free(buf);

	m = samples[19];
	buf = encode(&m, &len);
	decode_ok(buf, len, &back);
	CU_ASSERT_EQUAL(back.notice.trap, IBVMIG_TRAP_REPATH);
	CU_ASSERT_EQUAL(back.notice.n.version, IBVMIG_NOTICE_VERSION);
	CU_ASSERT_EQUAL(back.notice.n.reason, IBVMIG_REASON_MIGRATED);
	CU_ASSERT_EQUAL(back.notice.n.new_lid, 9);
	CU_ASSERT_EQUAL(back.notice.n.old_lid, 5);
	CU_ASSERT_EQUAL(back.notice.n.subnet_prefix, PREFIX);
	CU_ASSERT_EQUAL(back.notice.n.vguid, VGUID);
	CU_ASSERT_EQUAL(back.notice.n.new_port_guid, 0x0002c90300000021ULL);
	CU_ASSERT_EQUAL(back.notice.n.old_port_guid, 0x0002c90300000011ULL);
	CU_ASSERT_EQUAL(back.notice.n.epoch, 77);
	CU_ASSERT_EQUAL(back.notice.n.seq, 1234);
	free(buf);

	m = samples[18];
	buf = encode(&m, &len);
	decode_ok(buf, len, &back);
	CU_ASSERT_STRING_EQUAL(back.agent.ca, "mlx5_0");
	CU_ASSERT_EQUAL(back.agent.uptime_ms, 123456789);
	CU_ASSERT_EQUAL(back.agent.sm_lid, 1);
	CU_ASSERT_EQUAL(back.agent.subscriptions, 3);
	CU_ASSERT_EQUAL(back.agent.sm_resets, 2);
	CU_ASSERT_EQUAL(back.agent.vms_dropped, 1);
	free(buf);

	m = samples[20];
	buf = encode(&m, &len);
	decode_ok(buf, len, &back);
	CU_ASSERT_EQUAL(back.status, IBVMIG_VMC_E_FAILED);
	CU_ASSERT_EQUAL(back.error, ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(back.text, "SA did not answer");
	CU_ASSERT_EQUAL(ibvmig_vmc_get_path(&back, &got), -EINVAL);
	free(buf);
}

static void test_pushed_paths_round_trip(void)
{
	struct ibvmig_vmc_msg m = samples[21], back;
	struct ibvmig_sa_path got;
	size_t len;
	uint8_t *buf = encode(&m, &len);

	decode_ok(buf, len, &back);
	CU_ASSERT_EQUAL(back.type, IBVMIG_VMC_PATH_UPDATE);
	CU_ASSERT_EQUAL(ibvmig_vmc_get_path(&back, &got), 0);
	CU_ASSERT(same_path(&got, &the_path));
	CU_ASSERT(back.path.stamped);
	CU_ASSERT_EQUAL(back.path.epoch, 0xCAFEF00D);
	CU_ASSERT_EQUAL(back.path.seq, 0xFFFFFFFFFFFFFFFFULL);
	free(buf);

	m = samples[22];
	buf = encode(&m, &len);
	decode_ok(buf, len, &back);
	CU_ASSERT_EQUAL(back.gone.gid.prefix, PREFIX);
	CU_ASSERT_EQUAL(back.gone.gid.guid, VGUID);
	CU_ASSERT(back.gone.stamped);
	CU_ASSERT_EQUAL(back.gone.epoch, 0xCAFEF00D);
	CU_ASSERT_EQUAL(back.gone.seq, 42);
	CU_ASSERT_EQUAL(ibvmig_vmc_get_path(&back, &got), -EINVAL);
	free(buf);

	/* Unsolicited: no id, no reply, no zero GID, and a path update carries a path. */
	m = samples[22];
	m.id = 1;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.id = 0;
	m.type = IBVMIG_VMC_PATH_GONE | IBVMIG_VMC_REPLY;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[22];
	m.gone.gid.guid = 0;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[21];
	m.path.path = NULL;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	CU_ASSERT(ibvmig_vmc_is_unsolicited(IBVMIG_VMC_NOTICE));
	CU_ASSERT(ibvmig_vmc_is_unsolicited(IBVMIG_VMC_PATH_GONE));
	CU_ASSERT_FALSE(ibvmig_vmc_is_unsolicited(IBVMIG_VMC_STATUS));
	CU_ASSERT_FALSE(ibvmig_vmc_is_unsolicited(IBVMIG_VMC_NOTICE | IBVMIG_VMC_REPLY));
}

static void test_optional_fields_default_to_zero(void)
{
	struct ibvmig_vmc_msg m;
	struct craft c;

	/* A HELLO with only its name: no vGUID. */
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm-2");
	{
		size_t len;
		uint8_t *buf = craft_end(&c, IBVMIG_VMC_HELLO, 0, 3, &len);

		memset(&m, 0xff, sizeof(m));
		CU_ASSERT_EQUAL(ibvmig_vmc_decode(buf, len, &m), 0);
		CU_ASSERT_STRING_EQUAL(m.hello.name, "vm-2");
		CU_ASSERT_EQUAL(m.hello.vguid, 0);
		free(buf);
	}
}

static void test_items_round_trip_at_the_limit(void)
{
	struct ibvmig_vmc_msg m;
	struct ibvmig_vmc_gid g;
	struct ibvmig_vmc_vm vm;
	uint8_t *buf;
	size_t len;
	unsigned i;

	buf = encode_items(0, IBVMIG_VMC_ITEMS_MAX, &len);
	decode_ok(buf, len, &m);
	CU_ASSERT_EQUAL(m.n_items, IBVMIG_VMC_ITEMS_MAX);
	for (i = 0; ibvmig_vmc_next_gid(&m, &g) == 1; i++) {
		CU_ASSERT_EQUAL(g.prefix, PREFIX + i);
		CU_ASSERT_EQUAL(g.guid, VGUID + i);
	}
	CU_ASSERT_EQUAL(i, IBVMIG_VMC_ITEMS_MAX);
	CU_ASSERT_EQUAL(ibvmig_vmc_next_gid(&m, &g), 0);
	CU_ASSERT_EQUAL(ibvmig_vmc_next_vm(&m, &vm), -EINVAL);
	free(buf);

	buf = encode_items(1, 2, &len);
	decode_ok(buf, len, &m);
	CU_ASSERT_EQUAL(m.count, 7);
	CU_ASSERT_EQUAL(ibvmig_vmc_next_vm(&m, &vm), 1);
	CU_ASSERT_STRING_EQUAL(vm.name, "vm-0");
	CU_ASSERT_EQUAL(ibvmig_vmc_next_vm(&m, &vm), 1);
	CU_ASSERT_STRING_EQUAL(vm.name, "vm-1");
	CU_ASSERT_EQUAL(vm.vguid, VGUID + 1);
	CU_ASSERT_EQUAL(vm.cid, 4);
	CU_ASSERT(vm.connected);
	CU_ASSERT_EQUAL(vm.interests, 2);
	CU_ASSERT_EQUAL(vm.notices, 1000);
	CU_ASSERT_EQUAL(ibvmig_vmc_next_vm(&m, &vm), 0);
	CU_ASSERT_EQUAL(ibvmig_vmc_next_gid(&m, &g), -EINVAL);
	free(buf);

	/* An empty VM list is a list. */
	buf = encode_items(1, 0, &len);
	decode_ok(buf, len, &m);
	CU_ASSERT_EQUAL(m.n_items, 0);
	CU_ASSERT_EQUAL(ibvmig_vmc_next_vm(&m, &vm), 0);
	free(buf);
}

static void test_largest_message_fits(void)
{
	/* The most items, each as long as it can be, stay under the maximum. */
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_VM_LIST | IBVMIG_VMC_REPLY };
	struct ibvmig_vmc_writer w;
	struct ibvmig_vmc_vm vm;
	uint8_t *buf;
	size_t len;
	unsigned i;

	ibvmig_vmc_writer_init(&w, &m);
	for (i = 0; i < IBVMIG_VMC_ITEMS_MAX; i++) {
		vm = sample_vm(i);
		memset(vm.name, 'x', IBVMIG_VMC_NAME_MAX);
		vm.name[IBVMIG_VMC_NAME_MAX] = '\0';
		ibvmig_vmc_put_vm(&w, &vm);
	}
	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_writer_finish(&w, &buf, &len), 0);
	CU_ASSERT(len <= IBVMIG_VMC_MSG_MAX);
	decode_ok(buf, len, &m);
	free(buf);
}

/* ---- framing ---------------------------------------------------------- */

static void test_stream_in_any_chunks(void)
{
	uint8_t *stream = NULL, *buf, rx[IBVMIG_VMC_MSG_MAX];
	size_t total = 0, len, have = 0, fed = 0, need;
	unsigned i, got = 0, n = N_SAMPLES + N_ITEM_SAMPLES;
	struct ibvmig_vmc_msg m;
	int rc;

	for (i = 0; i < n; i++) {
		buf = encode_sample(i, &len);
		stream = realloc(stream, total + len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(stream);
		memcpy(stream + total, buf, len);
		total += len;
		free(buf);
	}
	/* A non-blocking reader: whatever arrives, never more than asked for. */
	while (fed < total) {
		size_t chunk = 1 + (size_t)rand_r(&seed) % 40;

		if (chunk > total - fed)
			chunk = total - fed;
		memcpy(rx + have, stream + fed, chunk);
		have += chunk;
		fed += chunk;
		while ((rc = ibvmig_vmc_frame(rx, have, &need)) > 0) {
			CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_decode(rx, (size_t)rc, &m), 0);
			got++;
			memmove(rx, rx + rc, have - (size_t)rc);
			have -= (size_t)rc;
		}
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT(need >= 1);
	}
	CU_ASSERT_EQUAL(got, n);
	CU_ASSERT_EQUAL(have, 0);
	free(stream);
}

static void test_frame_says_what_is_missing(void)
{
	size_t len, need, cut;
	uint8_t *buf = encode_sample(5, &len);

	for (cut = 0; cut < len; cut++) {
		CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, cut, &need), 0);
		CU_ASSERT_EQUAL(need, cut < IBVMIG_VMC_HEADER_LEN ? IBVMIG_VMC_HEADER_LEN - cut
								  : len - cut);
	}
	CU_ASSERT_EQUAL(ibvmig_vmc_frame(NULL, 0, &need), 0);
	CU_ASSERT_EQUAL(need, IBVMIG_VMC_HEADER_LEN);
	free(buf);
}

static void test_foreign_bytes_are_refused_at_once(void)
{
	uint8_t buf[IBVMIG_VMC_HEADER_LEN] = "IVMA\x01";	/* the admin protocol */
	size_t need;

	CU_ASSERT_EQUAL(ibvmig_vmc_frame((const uint8_t *)"G", 1, &need), -EPROTO);
	CU_ASSERT_EQUAL(ibvmig_vmc_frame((const uint8_t *)"IVX", 3, &need), -EPROTO);
	CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, 4, &need), -EPROTO);
	memcpy(buf, "IVMC\x02", 5);
	CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, 5, &need), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(-EPROTO), IBVMIG_VMC_E_MAGIC);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(-EPROTONOSUPPORT), IBVMIG_VMC_E_VERSION);
}

static void test_oversize_is_refused(void)
{
	uint8_t buf[IBVMIG_VMC_HEADER_LEN] = "IVMC\x01\x06";
	struct ibvmig_vmc_msg m;
	size_t need, len;
	uint8_t *msg;

	/* The largest body is accepted as a frame (it waits for it) ... */
	put_be(buf + 12, IBVMIG_VMC_MSG_MAX - IBVMIG_VMC_HEADER_LEN, 4);
	CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, sizeof(buf), &need), 0);
	CU_ASSERT_EQUAL(need, IBVMIG_VMC_MSG_MAX - IBVMIG_VMC_HEADER_LEN);
	/* ... one byte more is refused before any of it is read. */
	put_be(buf + 12, IBVMIG_VMC_MSG_MAX - IBVMIG_VMC_HEADER_LEN + 1, 4);
	CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, sizeof(buf), &need), -EMSGSIZE);
	CU_ASSERT_EQUAL(ibvmig_vmc_decode(buf, sizeof(buf), &m), -EMSGSIZE);
	put_be(buf + 12, 0xFFFFFFFF, 4);
	CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, sizeof(buf), &need), -EMSGSIZE);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(-EMSGSIZE), IBVMIG_VMC_E_LENGTH);

	/* One item too many, for the writer and for the reader. */
	{
		struct ibvmig_vmc_msg req = { .type = IBVMIG_VMC_INTEREST_ADD };
		struct ibvmig_vmc_gid g = { PREFIX, VGUID };
		struct ibvmig_vmc_writer w;
		struct craft c;
		unsigned i;

		ibvmig_vmc_writer_init(&w, &req);
		for (i = 0; i <= IBVMIG_VMC_ITEMS_MAX; i++)
			ibvmig_vmc_put_gid(&w, &g);
		CU_ASSERT_EQUAL(ibvmig_vmc_writer_finish(&w, &msg, &len), -EMSGSIZE);
		CU_ASSERT_PTR_NULL(msg);

		craft_begin(&c);
		for (i = 0; i <= IBVMIG_VMC_ITEMS_MAX; i++) {
			ibvmig_rec_begin(&c.w);
			ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_GID_PREFIX, PREFIX);
			ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_GID_GUID, VGUID);
		}
		CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_INTEREST_ADD, 0, 1), -EMSGSIZE);
	}
	/* A decode of fewer or more bytes than the frame says. */
	msg = encode_sample(0, &len);
	CU_ASSERT_EQUAL(ibvmig_vmc_decode(msg, len - 1, &m), -EMSGSIZE);
	msg = realloc(msg, len + 1);
	CU_ASSERT_EQUAL(ibvmig_vmc_decode(msg, len + 1, &m), -EMSGSIZE);
	free(msg);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_every_truncation_is_refused(void)
{
	struct ibvmig_vmc_msg m;
	size_t len, cut, need;
	unsigned i;
	uint8_t *buf;

	for (i = 0; i < N_SAMPLES + N_ITEM_SAMPLES; i++) {
		buf = encode_sample(i, &len);
		for (cut = 0; cut < len; cut++) {
			/* Cut in transit: the decoder is not fooled by a short buffer ... */
			CU_ASSERT_NOT_EQUAL(ibvmig_vmc_decode(buf, cut, &m), 0);
			/* ... nor by a header that agrees with the cut. */
			if (cut < IBVMIG_VMC_HEADER_LEN)
				continue;
			put_be(buf + 12, cut - IBVMIG_VMC_HEADER_LEN, 4);
			CU_ASSERT_EQUAL(ibvmig_vmc_frame(buf, cut, &need), (int)cut);
			CU_ASSERT_EQUAL(ibvmig_vmc_decode(buf, cut, &m), -EBADMSG);
			CU_ASSERT_EQUAL(m.type, 0);	/* an error leaves @m zeroed */
		}
		free(buf);
	}
}

static void test_bad_values_are_refused_by_both_sides(void)
{
	struct ibvmig_sa_path path = the_path;
	struct ibvmig_vmc_msg m;
	uint8_t *buf;
	size_t len;

	m = samples[19];
	m.notice.trap = 70;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[19];
	m.notice.n.reason = IBVMIG_REASON_MAX + 1;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[19];
	m.id = 1;	/* a notice answers nothing */
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[0];
	memset(m.hello.name, 'a', sizeof(m.hello.name));	/* no NUL: too long */
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.hello.name[0] = '\0';		/* required non-empty */
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	strcpy(m.hello.name, "tab\there");
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[4];
	m.query.guid = 0;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[5];
	m.path.path = NULL;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	path.sl = 16;
	m.path.path = &path;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	path = the_path;
	path.dlid = 0;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[8];
	m.alias.index = 256;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[6];
	m.status = IBVMIG_VMC_E_FAILED;		/* a status in a request */
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[7];
	m.status = IBVMIG_VMC_STATUS_MAX + 1;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m = samples[20];
	m.error = 4096;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.type = 0x7F;
	m.status = 0;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.type = IBVMIG_VMC_NOTICE | IBVMIG_VMC_REPLY;	/* notices get no reply */
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	/* An interest change needs a GID; a GID belongs to no other message. */
	m = (struct ibvmig_vmc_msg){ .type = IBVMIG_VMC_INTEREST_DEL };
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	{
		struct ibvmig_vmc_gid g = { PREFIX, VGUID };
		struct ibvmig_vmc_vm vm = sample_vm(1);
		struct ibvmig_vmc_writer w;

		ibvmig_vmc_writer_init(&w, &m);
		ibvmig_vmc_put_vm(&w, &vm);
		CU_ASSERT_EQUAL(ibvmig_vmc_writer_finish(&w, &buf, &len), -EINVAL);
		m = samples[6];
		ibvmig_vmc_writer_init(&w, &m);
		ibvmig_vmc_put_gid(&w, &g);
		CU_ASSERT_EQUAL(ibvmig_vmc_writer_finish(&w, &buf, &len), -EINVAL);
		m = (struct ibvmig_vmc_msg){ .type = IBVMIG_VMC_INTEREST_ADD };
		g.guid = 0;
		ibvmig_vmc_writer_init(&w, &m);
		ibvmig_vmc_put_gid(&w, &g);
		CU_ASSERT_EQUAL(ibvmig_vmc_writer_finish(&w, &buf, &len), -EINVAL);
	}
}

static void test_malformed_bodies_are_refused(void)
{
	uint8_t name64[IBVMIG_VMC_NAME_MAX + 2];
	struct craft c;

	/* The minimal valid HELLO, as a reference. */
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm");
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), 0);
	/* A required field missing. */
	craft_begin(&c);
	ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_VGUID, VGUID);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	/* A field twice. */
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm");
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm");
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	/* A field of the wrong type. */
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm");
	ibvmig_rec_put_uint(&c.w, IBVMIG_VMC_TAG_VGUID, VGUID);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	/* A name too long, empty, with a control character, with a NUL inside. */
	memset(name64, 'n', sizeof(name64));
	name64[IBVMIG_VMC_NAME_MAX + 1] = '\0';
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, (const char *)name64);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "");
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm\n");
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	craft_begin(&c);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vmXX");
	c.w.buf[c.w.len - 2] = '\0';	/* "vm\0X" on the wire */
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO, 0, 1), -EBADMSG);
	/* A value out of range: LID 0x10000, a BOOL of 2, trap 67. */
	craft_begin(&c);
	ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_SUBNET_PREFIX, PREFIX);
	ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_PORT_GUID, VGUID);
	ibvmig_rec_put_uint(&c.w, IBVMIG_VMC_TAG_LID, 0x10000);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_HELLO | IBVMIG_VMC_REPLY, 0, 1), -EBADMSG);
	craft_begin(&c);
	ibvmig_rec_put_bool(&c.w, IBVMIG_VMC_TAG_CONNECTED, true);
	c.w.buf[c.w.len - 1] = 2;
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm");
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_VM_ADD, 0, 1), 0);	/* not its tag */
	craft_begin(&c);
	ibvmig_rec_put_uint(&c.w, IBVMIG_VMC_TAG_COUNT, 0);
	ibvmig_rec_begin(&c.w);
	ibvmig_rec_put_str(&c.w, IBVMIG_VMC_TAG_NAME, "vm");
	ibvmig_rec_put_bool(&c.w, IBVMIG_VMC_TAG_CONNECTED, true);
	c.w.buf[c.w.len - 1] = 2;
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_VM_LIST | IBVMIG_VMC_REPLY, 0, 1),
			-EBADMSG);
	/* Items where the type takes none; an interest change without one. */
	craft_begin(&c);
	ibvmig_rec_begin(&c.w);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_BYE, 0, 1), -EBADMSG);
	craft_begin(&c);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_INTEREST_ADD, 0, 1), -EBADMSG);
	/* An item without its required field. */
	craft_begin(&c);
	ibvmig_rec_begin(&c.w);
	ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_GID_GUID, VGUID);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_INTEREST_ADD, 0, 1), -EBADMSG);
	/* A status in a request, an id in a notice, an unknown type, an unknown status. */
	craft_begin(&c);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_BYE, 3, 1), -EBADMSG);
	craft_begin(&c);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_BYE | IBVMIG_VMC_REPLY,
				       IBVMIG_VMC_STATUS_MAX + 1, 1), -EBADMSG);
	craft_begin(&c);
	CU_ASSERT_EQUAL(decode_crafted(&c, 0x33, 0, 1), -EOPNOTSUPP);
	craft_begin(&c);
	CU_ASSERT_EQUAL(decode_crafted(&c, IBVMIG_VMC_NOTICE | IBVMIG_VMC_REPLY, 0, 1),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(-EOPNOTSUPP), IBVMIG_VMC_E_TYPE);
	/* No head record at all. */
	{
		uint8_t bare[IBVMIG_VMC_HEADER_LEN + 4] = "IVMC\x01\x05";
		struct ibvmig_vmc_msg m;

		put_be(bare + 12, 4, 4);
		CU_ASSERT_EQUAL(ibvmig_vmc_decode(bare, sizeof(bare), &m), -EBADMSG);
		put_be(bare + 12, 0, 4);
		CU_ASSERT_EQUAL(ibvmig_vmc_decode(bare, IBVMIG_VMC_HEADER_LEN, &m), -EBADMSG);
	}
}

static void test_unknown_tags_are_skipped(void)
{
	struct ibvmig_vmc_msg m;
	struct craft c;
	size_t len;
	uint8_t *buf;

	/* A later version's fields, before and after ours, in a GID item too. */
	craft_begin(&c);
	ibvmig_rec_begin(&c.w);
	ibvmig_rec_put_str(&c.w, 999, "from the future");
	ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_GID_PREFIX, PREFIX);
	ibvmig_rec_put_guid(&c.w, IBVMIG_VMC_TAG_GID_GUID, VGUID);
	ibvmig_rec_put_uint(&c.w, IBVMIG_VMC_TAG_DLID, 3);	/* known, not here */
	buf = craft_end(&c, IBVMIG_VMC_INTEREST_DEL, 0, 8, &len);
	CU_ASSERT_EQUAL_FATAL(ibvmig_vmc_decode(buf, len, &m), 0);
	{
		struct ibvmig_vmc_gid g;

		CU_ASSERT_EQUAL(ibvmig_vmc_next_gid(&m, &g), 1);
		CU_ASSERT_EQUAL(g.guid, VGUID);
		CU_ASSERT_EQUAL(ibvmig_vmc_next_gid(&m, &g), 0);
	}
	free(buf);
}

/* ---- random input -------------------------------------------------------- */

/* A decoded message must encode again: the two sides accept the same things. */
static void check_accepted(struct ibvmig_vmc_msg *m)
{
	uint8_t *buf;
	size_t len;

	CU_ASSERT_EQUAL(reencode(m, &buf, &len), 0);
	free(buf);
}

static void test_random_bytes_never_crash(void)
{
	static const uint8_t types[] = { 0x01, 0x02, 0x04, 0x81, 0x84, 0x93, 0x94, 0x95, 0x40 };
	uint8_t buf[512];
	struct ibvmig_vmc_msg m;
	unsigned i, j, accepted = 0;
	size_t need;

	for (i = 0; i < 200000; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(buf);

		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (i % 2 && len >= IBVMIG_VMC_HEADER_LEN + 6) {
			/* A plausible header and record counts, so the body is parsed. */
			memcpy(buf, "IVMC\x01", 5);
			buf[5] = types[(unsigned)rand_r(&seed) % sizeof(types)];
			buf[6] = buf[7] = 0;
			put_be(buf + 12, len - IBVMIG_VMC_HEADER_LEN, 4);
			put_be(buf + 16, 1 + (unsigned)rand_r(&seed) % 3, 4);
			buf[20] = 0;
			buf[21] &= 3;
		}
		(void)ibvmig_vmc_frame(buf, len, &need);
		if (ibvmig_vmc_decode(buf, len, &m) == 0) {
			accepted++;
			check_accepted(&m);
		}
	}
	CU_ASSERT(accepted > 0);
}

static void test_mutated_messages_never_crash(void)
{
	struct ibvmig_vmc_msg m;
	unsigned i, k, accepted = 0, refused = 0;
	size_t len;

	for (i = 0; i < N_SAMPLES + N_ITEM_SAMPLES; i++) {
		uint8_t *good = encode_sample(i, &len), *bad = malloc(len);

		CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
		for (k = 0; k < 4000; k++) {
			unsigned flips = 1 + (unsigned)rand_r(&seed) % 3, f;

			memcpy(bad, good, len);
			for (f = 0; f < flips; f++) {
				size_t at = (size_t)rand_r(&seed) % len;

				bad[at] ^= (uint8_t)(1 + rand_r(&seed) % 255);
			}
			if (ibvmig_vmc_decode(bad, len, &m) == 0) {
				accepted++;
				check_accepted(&m);
			} else {
				refused++;
			}
		}
		free(bad);
		free(good);
	}
	CU_ASSERT(accepted > 0);
	CU_ASSERT(refused > 0);
}

/* ---- names and statuses --------------------------------------------------- */

static void test_statuses_and_errnos(void)
{
	unsigned s;

	for (s = 0; s <= IBVMIG_VMC_STATUS_MAX; s++) {
		int err = ibvmig_vmc_status_errno((uint16_t)s);

		CU_ASSERT(err <= 0);
		CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(err), s);
		CU_ASSERT_STRING_NOT_EQUAL(ibvmig_vmc_status_text(s), "unknown status");
	}
	CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(-EPERM), IBVMIG_VMC_E_DENIED);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_from_errno(-ETIMEDOUT), IBVMIG_VMC_E_FAILED);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_errno(IBVMIG_VMC_E_SUSPENDED), -EAGAIN);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_errno(IBVMIG_VMC_E_NOT_FOUND), -ENOENT);
	CU_ASSERT_EQUAL(ibvmig_vmc_status_errno(999), -EIO);
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_status_text(999), "unknown status");
}

/* A request the decoder refuses still tells whom to answer: its type and id. */
static void test_peek_reads_a_refused_request(void)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_PATH_QUERY, .id = 0x01020304,
				    .query = { PREFIX, VGUID } };
	size_t len;
	uint8_t *buf = encode(&m, &len), type = 0;
	uint32_t id = 0;

	/* Body: record count (4 bytes), then the head's field count: claim 7 fields of 2. */
	buf[IBVMIG_VMC_HEADER_LEN + 5] = 7;
	CU_ASSERT_EQUAL(ibvmig_vmc_decode(buf, len, &m), -EBADMSG);
	CU_ASSERT_EQUAL(ibvmig_vmc_peek(buf, len, &type, &id), 0);
	CU_ASSERT_EQUAL(type, IBVMIG_VMC_PATH_QUERY);
	CU_ASSERT_EQUAL(id, 0x01020304);
	buf[4] = 2;	/* another version: still ours to answer */
	CU_ASSERT_EQUAL(ibvmig_vmc_peek(buf, IBVMIG_VMC_HEADER_LEN, &type, &id), 0);
	CU_ASSERT_EQUAL(id, 0x01020304);
	CU_ASSERT_EQUAL(ibvmig_vmc_peek(buf, IBVMIG_VMC_HEADER_LEN - 1, &type, &id), -EMSGSIZE);
	CU_ASSERT_EQUAL(ibvmig_vmc_peek((const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18, &type, &id),
			-EPROTO);
	free(buf);
}

/* The token crosses the channel as two GUID fields: its bytes in order, big-endian halves. */
static void test_escrow_token_fields_keep_the_bytes(void)
{
	const uint8_t token[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				    0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF, 0x00 };
	uint64_t field[2] = { 7, 7 };
	uint8_t back[16];

	ibvmig_vmc_token_put(field, token);
	CU_ASSERT_EQUAL(field[0], 0x0102030405060708ULL);
	CU_ASSERT_EQUAL(field[1], 0xF9FAFBFCFDFEFF00ULL);
	ibvmig_vmc_token_get(field, back);
	CU_ASSERT_EQUAL(memcmp(back, token, sizeof(token)), 0);
}

/* The reply's escrow status and state are the escrow codec's: nothing past their last. */
static void test_escrow_reply_values_are_bounded(void)
{
	struct ibvmig_vmc_msg m = { .type = REPLY(IBVMIG_VMC_ESC_QUERY), .id = 1 };
	uint8_t *buf = NULL;
	size_t len;

	m.esc.esc_status = IBVMIG_ESC_STATUS_MAX + 1;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.esc.esc_status = IBVMIG_ESC_STATUS_MAX;
	m.esc.state = IBVMIG_ESC_STATE_MAX + 1;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.esc.state = IBVMIG_ESC_STATE_MAX;
	m.esc.keys = IBVMIG_ESC_KEYS_MAX + 1;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), -EINVAL);
	m.esc.keys = IBVMIG_ESC_KEYS_MAX;
	CU_ASSERT_EQUAL(ibvmig_vmc_encode(&m, &buf, &len), 0);
	free(buf);
}

static void test_names(void)
{
	static const uint16_t tags[] = {
		IBVMIG_VMC_TAG_NAME, IBVMIG_VMC_TAG_VERSION, IBVMIG_VMC_TAG_SERVICE_ID,
		IBVMIG_VMC_TAG_SEQ, IBVMIG_VMC_TAG_TRAP, IBVMIG_VMC_TAG_OLD_PORT_GUID,
		IBVMIG_VMC_TAG_VMS, IBVMIG_VMC_TAG_MAX,
	};
	unsigned i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		CU_ASSERT_PTR_NOT_NULL(ibvmig_vmc_tag_name(tags[i]));
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_tag_name(IBVMIG_VMC_TAG_DLID), "dlid");
	CU_ASSERT_PTR_NULL(ibvmig_vmc_tag_name(0));
	CU_ASSERT_PTR_NULL(ibvmig_vmc_tag_name(31));
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_tag_name(IBVMIG_VMC_TAG_SET_US), "set_us");
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_tag_name(IBVMIG_VMC_TAG_ESC_STATUS), "escrow_status");
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_type_name(IBVMIG_VMC_ESC_RELEASE | IBVMIG_VMC_REPLY),
			       "escrow-release");
	CU_ASSERT_PTR_NULL(ibvmig_vmc_tag_name(IBVMIG_VMC_TAG_MAX + 1));
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_type_name(IBVMIG_VMC_PATH_QUERY), "path-query");
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_type_name(IBVMIG_VMC_VM_LIST | IBVMIG_VMC_REPLY),
			       "vm-list");
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_type_name(IBVMIG_VMC_NOTICE), "notice");
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_type_name(IBVMIG_VMC_PATH_UPDATE), "path-update");
	CU_ASSERT_STRING_EQUAL(ibvmig_vmc_type_name(IBVMIG_VMC_PATH_GONE), "path-gone");
	CU_ASSERT_PTR_NULL(ibvmig_vmc_type_name(IBVMIG_VMC_NOTICE | IBVMIG_VMC_REPLY));
	CU_ASSERT_PTR_NULL(ibvmig_vmc_type_name(0x7F));
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_hello_bytes),
		UNIT_TEST(test_bye_bytes),
		UNIT_TEST(test_interest_add_bytes),
		UNIT_TEST(test_error_reply_bytes),
		UNIT_TEST(test_every_message_round_trips),
		UNIT_TEST(test_pushed_paths_round_trip),
		UNIT_TEST(test_optional_fields_default_to_zero),
		UNIT_TEST(test_items_round_trip_at_the_limit),
		UNIT_TEST(test_largest_message_fits),
		UNIT_TEST(test_stream_in_any_chunks),
		UNIT_TEST(test_frame_says_what_is_missing),
		UNIT_TEST(test_foreign_bytes_are_refused_at_once),
		UNIT_TEST(test_oversize_is_refused),
		UNIT_TEST(test_every_truncation_is_refused),
		UNIT_TEST(test_bad_values_are_refused_by_both_sides),
		UNIT_TEST(test_malformed_bodies_are_refused),
		UNIT_TEST(test_unknown_tags_are_skipped),
		UNIT_TEST(test_random_bytes_never_crash),
		UNIT_TEST(test_mutated_messages_never_crash),
		UNIT_TEST(test_statuses_and_errnos),
		UNIT_TEST(test_peek_reads_a_refused_request),
		UNIT_TEST(test_escrow_token_fields_keep_the_bytes),
	    UNIT_TEST(test_escrow_reply_values_are_bounded),
	    UNIT_TEST(test_names),
	};

	return unit_run("vmchan", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_seeds.c - writes the seed inputs of libibvmig's fuzzing harnesses
 * (doc/fuzzing.md): valid encodings made by the library's own encoders, so
 * that the fuzzer starts from messages the decoders accept, and the
 * malformed cases the unit tests refuse.  `fuzz_seeds DIR` writes
 * DIR/fuzz_NAME/seed-*; the committed corpora are these plus what `make fuzz
 * FUZZ_MERGE=1` added.  Built on demand only: make libibvmig/tests/fuzz_seeds.
 */
#include "ibvmig_admin.h"
#include "ibvmig_escrow.h"
#include "ibvmig_notice.h"
#include "ibvmig_sa.h"
#include "ibvmig_vmchan.h"
#include "sa_codec.h"

#include <errno.h>
#include <infiniband/umad_types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VGUID 0x0002c903abcd0001ULL
#define PORT_A 0x0002c90300000011ULL
#define PORT_B 0x0002c90300000021ULL
#define PREFIX 0xfe80000000000000ULL

static const char *out_dir;
static int failures;

static void seed(const char *harness, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%s", out_dir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
		failures++;
	}
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* ---- notices ------------------------------------------------------------ */

static const struct ibvmig_path_notice repath = {
	.reason = IBVMIG_REASON_MIGRATED, .new_lid = 9, .old_lid = 4, .subnet_prefix = PREFIX,
	.vguid = VGUID, .new_port_guid = PORT_B, .old_port_guid = PORT_A, .epoch = 77,
	.seq = 12345,
};

static void notice_attr(uint8_t attr[IBVMIG_NOTICE_LEN], uint16_t trap, uint8_t reason)
{
	struct ibvmig_notice n = {
		.generic = true, .type = IBVMIG_NOTICE_TYPE_INFO,
		.producer_or_vendor = IBVMIG_NOTICE_PRODUCER_CLASS_MGR, .trap_or_device = trap,
		.issuer_lid = 1, .toggle = true, .count = 3,
	};
	struct ibvmig_path_notice p = repath;

	p.reason = reason;
	if (trap == IBVMIG_TRAP_UNPATH)
		p.new_lid = 0, p.new_port_guid = 0;
	ibvmig_details_encode(&p, n.details);
	put_be(n.issuer_gid, PREFIX, 8);
	put_be(n.issuer_gid + 8, PORT_A, 8);
	ibvmig_notice_encode(&n, attr);
}

static void notice_seeds(void)
{
	uint8_t attr[IBVMIG_NOTICE_LEN];
	char name[32];
	unsigned r;

	for (r = 0; r <= IBVMIG_REASON_MAX; r++) {
		notice_attr(attr, r == IBVMIG_REASON_DELETED || r == IBVMIG_REASON_PORT_GONE
					  ? IBVMIG_TRAP_UNPATH : IBVMIG_TRAP_REPATH, (uint8_t)r);
		snprintf(name, sizeof(name), "reason-%u", r);
		seed("fuzz_notice", name, attr, sizeof(attr));
	}
	notice_attr(attr, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MAX + 1);
	seed("fuzz_notice", "unknown-reason", attr, sizeof(attr));
	notice_attr(attr, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED);
	attr[10] = 2;				/* details version */
	seed("fuzz_notice", "version-2", attr, sizeof(attr));
	notice_attr(attr, 64, 0);		/* GID in service: the GID at details[6] */
	seed("fuzz_notice", "trap-64", attr, sizeof(attr));
	notice_attr(attr, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED);
	attr[0] &= 0x7F;			/* vendor notice: device ID 69 */
	seed("fuzz_notice", "vendor", attr, sizeof(attr));
	seed("fuzz_notice", "short", attr, 30);
}

/* ---- record lists and admin messages -------------------------------------- */

static void take(struct ibvmig_rec_writer *w, const char *harness, const char *name,
		 size_t skip)
{
	uint8_t *buf;
	size_t len;

	if (ibvmig_rec_writer_take(w, &buf, &len)) {
		failures++;
		return;
	}
	seed(harness, name, buf + skip, len - skip);
	free(buf);
}

static void status_records(struct ibvmig_rec_writer *w)
{
	ibvmig_rec_begin(w);
	ibvmig_rec_put_str(w, IBVMIG_TAG_PLUGIN_VERSION, "0.1.0");
	ibvmig_rec_put_str(w, IBVMIG_TAG_OSM_VERSION, "OpenSM 3.3.24");
	ibvmig_rec_put_guid(w, IBVMIG_TAG_SM_PORT_GUID, PORT_A);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_SM_LID, 1);
	ibvmig_rec_put_bool(w, IBVMIG_TAG_UNPATH, true);
	ibvmig_rec_put_uint(w, 999, 7);		/* a newer server's field */
	ibvmig_rec_begin(w);
	ibvmig_rec_put_guid(w, IBVMIG_TAG_VGUID, VGUID);
	ibvmig_rec_put_uint(w, IBVMIG_TAG_LID, 4);
	ibvmig_rec_begin(w);			/* an empty record */
}

static void record_seeds(void)
{
	static const struct {
		uint8_t bytes[12];
		size_t len;
	} bad[] = {
		{ { 0, 0, 0, 1, 0, 1, 0, 1, 9, 8 }, 10 },	/* unknown type */
		{ { 0, 0, 0, 1, 0, 1, 0, 1, 1, 4 }, 10 },	/* UINT of 4 bytes */
		{ { 0, 0, 0, 2, 0, 0 }, 6 },			/* a record missing */
		{ { 0, 0, 0, 1, 0, 2, 0, 1, 4, 1, 1 }, 11 },	/* a field missing */
		{ { 0, 0, 0, 0, 0xEE }, 5 },			/* bytes after the list */
		{ { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0 }, 6 },	/* 4 G records */
	};
	struct ibvmig_rec_writer w;
	char name[16];
	size_t i;

	ibvmig_rec_writer_init(&w, 0, 1 << 20);
	status_records(&w);
	take(&w, "fuzz_records", "status", 0);
	ibvmig_rec_writer_init(&w, 0, 1 << 20);
	take(&w, "fuzz_records", "no-records", 0);
	ibvmig_rec_writer_init(&w, 0, 1 << 20);
	ibvmig_rec_begin(&w);
	ibvmig_rec_put_str(&w, 1, "a NUL\x01inside");
	ibvmig_rec_put_bool(&w, 2, true);
	ibvmig_rec_put_str(&w, 3, "");
	{
		uint8_t *buf;
		size_t len;

		if (!ibvmig_rec_writer_take(&w, &buf, &len)) {
			/* count, field count, field header: then "a NUL\0inside", a BOOL of 2 */
			buf[4 + 2 + 4 + 5] = '\0';
			buf[4 + 2 + 4 + 12 + 4] = 2;
			seed("fuzz_records", "non-canonical", buf, len);
			free(buf);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad-%zu", i);
		seed("fuzz_records", name, bad[i].bytes, bad[i].len);
	}
}

static void admin_seeds(void)
{
	struct ibvmig_admin_request req = { .vguid = VGUID };
	uint8_t msg[IBVMIG_ADMIN_HEADER_LEN + IBVMIG_ADMIN_REQUEST_BODY_MAX];
	struct ibvmig_rec_writer w;
	uint8_t *buf;
	size_t len;
	char name[16];
	int n;

	for (req.op = 1; req.op <= IBVMIG_ADMIN_OP_MAX; req.op++) {
		n = ibvmig_admin_encode_request(&req, msg, sizeof(msg));
		snprintf(name, sizeof(name), "request-%u", req.op);
		if (n > 0)
			seed("fuzz_admin", name, msg, (size_t)n);
	}
	req.op = IBVMIG_ADMIN_FLUSH;
	n = ibvmig_admin_encode_request(&req, msg, sizeof(msg));
	msg[0] = 'X';
	seed("fuzz_admin", "bad-magic", msg, (size_t)n);
	msg[0] = 'I';
	msg[4] = 9;
	seed("fuzz_admin", "bad-version", msg, (size_t)n);
	msg[4] = 1;
	msg[5] = 77;
	seed("fuzz_admin", "bad-op", msg, (size_t)n);
	msg[5] = IBVMIG_ADMIN_STATUS;
	seed("fuzz_admin", "bad-length", msg, (size_t)n);
	msg[5] = IBVMIG_ADMIN_FLUSH;
	msg[7] = 1;
	seed("fuzz_admin", "status-in-request", msg, (size_t)n);

	ibvmig_admin_writer_init(&w);
	status_records(&w);
	if (!ibvmig_admin_writer_finish(&w, IBVMIG_ADMIN_STATUS, 0, &buf, &len)) {
		seed("fuzz_admin", "response-status", buf, len);
		seed("fuzz_admin", "response-truncated", buf, len - 3);
		free(buf);
	}
	ibvmig_admin_writer_init(&w);
	if (!ibvmig_admin_writer_finish(&w, IBVMIG_ADMIN_FLUSH, IBVMIG_ADMIN_E_NOT_FOUND, &buf,
					&len)) {
		seed("fuzz_admin", "response-error", buf, len);
		free(buf);
	}
}

/* ---- VM channel ------------------------------------------------------------ */

static const struct ibvmig_sa_path a_path = {
	.service_id = 0x1000, .dgid_prefix = PREFIX, .dgid_guid = VGUID, .sgid_prefix = PREFIX,
	.sgid_guid = PORT_A, .dlid = 9, .slid = 1, .raw_traffic = true, .flow_label = 0xFFFFF,
	.hop_limit = 255, .tclass = 0xA5, .reversible = true, .numb_path = 1, .pkey = 0xFFFF,
	.qos_class = 0xFFF, .sl = 15, .mtu_selector = 2, .mtu = 5, .rate_selector = 2,
	.rate = 16, .pkt_life_selector = 2, .pkt_life = 18, .preference = 0,
};

static void vmc_seed(const struct ibvmig_vmc_msg *m, const char *name)
{
	uint8_t *buf;
	size_t len;

	if (ibvmig_vmc_encode(m, &buf, &len)) {
		fprintf(stderr, "fuzz_seeds: %s does not encode\n", name);
		failures++;
		return;
	}
	seed("fuzz_vmchan", name, buf, len);
	free(buf);
}

static void vmc_items_seeds(void)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_INTEREST_ADD, .id = 3 };
	struct ibvmig_vmc_vm vm = { .name = "vm-1", .vguid = VGUID, .cid = 3, .connected = true,
				    .interests = 2, .notices = 5 };
	struct ibvmig_vmc_gid g = { PREFIX, VGUID };
	struct ibvmig_vmc_writer w;
	uint8_t *buf, *two;
	size_t len;

	ibvmig_vmc_writer_init(&w, &m);
	ibvmig_vmc_put_gid(&w, &g);
	g.guid++;
	ibvmig_vmc_put_gid(&w, &g);
	if (!ibvmig_vmc_writer_finish(&w, &buf, &len)) {
		seed("fuzz_vmchan", "interest-add", buf, len);
		/* Two messages in one read, then half of a third. */
		two = malloc(3 * len);
		if (two) {
			memcpy(two, buf, len);
			memcpy(two + len, buf, len);
			memcpy(two + 2 * len, buf, len);
			seed("fuzz_vmchan", "stream", two, 2 * len + len / 2);
			free(two);
		}
		seed("fuzz_vmchan", "truncated", buf, len - 1);
		buf[4] = 2;
		seed("fuzz_vmchan", "version-2", buf, len);
		buf[4] = 1;
		put_be(buf + 12, IBVMIG_VMC_MSG_MAX, 4);
		seed("fuzz_vmchan", "oversize", buf, IBVMIG_VMC_HEADER_LEN);
		free(buf);
	}
	m = (struct ibvmig_vmc_msg){ .type = IBVMIG_VMC_VM_LIST | IBVMIG_VMC_REPLY, .id = 4,
				     .count = 2 };
	ibvmig_vmc_writer_init(&w, &m);
	ibvmig_vmc_put_vm(&w, &vm);
	snprintf(vm.name, sizeof(vm.name), "a name with spaces ~!");
	vm.connected = false;
	ibvmig_vmc_put_vm(&w, &vm);
	if (!ibvmig_vmc_writer_finish(&w, &buf, &len)) {
		seed("fuzz_vmchan", "vm-list", buf, len);
		free(buf);
	}
}

/*
 * At the item limit, and one past it: the writer refuses 257 items, so that
 * one is a record list with a VM channel header put on by hand.
 */
static void vmc_limit_seeds(void)
{
	struct ibvmig_vmc_msg m = { .type = IBVMIG_VMC_INTEREST_ADD, .id = 5 };
	struct ibvmig_vmc_gid g = { PREFIX, VGUID };
	struct ibvmig_vmc_writer w;
	struct ibvmig_rec_writer rw;
	uint8_t *buf;
	size_t len;
	unsigned i;

	ibvmig_vmc_writer_init(&w, &m);
	for (i = 0; i < IBVMIG_VMC_ITEMS_MAX; i++, g.guid++)
		ibvmig_vmc_put_gid(&w, &g);
	if (!ibvmig_vmc_writer_finish(&w, &buf, &len)) {
		seed("fuzz_vmchan", "items-256", buf, len);
		free(buf);
	}
	ibvmig_rec_writer_init(&rw, IBVMIG_VMC_HEADER_LEN, 1 << 20);
	for (i = 0; i < IBVMIG_VMC_ITEMS_MAX + 2; i++)
		ibvmig_rec_begin(&rw);		/* the head record and 257 empty items */
	if (!ibvmig_rec_writer_take(&rw, &buf, &len)) {
		memcpy(buf, "IVMC\x01\x02\0\0\0\0\0\x05", 12);
		put_be(buf + 12, len - IBVMIG_VMC_HEADER_LEN, 4);
		seed("fuzz_vmchan", "items-257", buf, len);
		free(buf);
	}
}

/*
 * Inputs for the harness's other reading, the recipe (fuzz_vmchan.c): a
 * HELLO and an ATTACH whose name is as long as it may be and is followed by
 * a GUID field, whose op byte 'C' is printable (one more name byte is then
 * one length byte away), and a NOTICE field by field.
 */
static void vmc_recipe_seeds(void)
{
	uint8_t r[160] = { IBVMIG_VMC_HELLO, 0, 0, 0, 0, 1, 4, IBVMIG_VMC_TAG_NAME,
			   IBVMIG_VMC_NAME_MAX };
	static const uint8_t notice[] = {
		IBVMIG_VMC_NOTICE, 0, 0, 0, 0, 0,
		1, IBVMIG_VMC_TAG_TRAP, 0, 0, 0, 0, 0, 0, 0, IBVMIG_TRAP_REPATH,
		1, IBVMIG_VMC_TAG_REASON, 0, 0, 0, 0, 0, 0, 0, IBVMIG_REASON_MIGRATED,
		1, IBVMIG_VMC_TAG_NEW_LID, 0, 0, 0, 0, 0, 0, 0, 9,
		1, IBVMIG_VMC_TAG_OLD_LID, 0, 0, 0, 0, 0, 0, 0, 4,
		2, IBVMIG_VMC_TAG_SUBNET_PREFIX, 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		2, IBVMIG_VMC_TAG_VGUID, 0, 2, 0xc9, 3, 0xab, 0xcd, 0, 1,
		2, IBVMIG_VMC_TAG_NEW_PORT_GUID, 0, 2, 0xc9, 3, 0, 0, 0, 0x21,
		2, IBVMIG_VMC_TAG_OLD_PORT_GUID, 0, 2, 0xc9, 3, 0, 0, 0, 0x11,
		1, IBVMIG_VMC_TAG_EPOCH, 0, 0, 0, 0, 0, 0, 0, 77,
		1, IBVMIG_VMC_TAG_SEQ, 0, 0, 0, 0, 0, 0, 0x30, 0x39,
	};
	size_t at = 9 + IBVMIG_VMC_NAME_MAX;

	memset(r + 9, 'n', IBVMIG_VMC_NAME_MAX);
	r[at++] = 'C';				/* 'C' % 5 == 2: a GUID field */
	r[at++] = IBVMIG_VMC_TAG_VGUID;
	put_be(r + at, VGUID, 8);
	at += 8;
	seed("fuzz_vmchan", "recipe-hello-longest-name", r, at);
	r[0] = IBVMIG_VMC_ATTACH;
	seed("fuzz_vmchan", "recipe-attach-longest-name", r, at);
	seed("fuzz_vmchan", "recipe-notice", notice, sizeof(notice));
}

static void vmchan_seeds(void)
{
	const struct ibvmig_vmc_msg msgs[] = {
		{ .type = IBVMIG_VMC_HELLO, .id = 1, .hello = { "vm-1", VGUID } },
		{ .type = IBVMIG_VMC_HELLO | IBVMIG_VMC_REPLY, .id = 1,
		  .welcome = { PREFIX, PORT_A, 7, 1 } },
		{ .type = IBVMIG_VMC_INTEREST_DEL | IBVMIG_VMC_REPLY, .id = 2, .count = 12 },
		{ .type = IBVMIG_VMC_PATH_QUERY, .id = 5, .query = { PREFIX, VGUID } },
		{ .type = IBVMIG_VMC_PATH_QUERY | IBVMIG_VMC_REPLY, .id = 5,
		  .path = { &a_path, true, 77, 12345 } },
		{ .type = IBVMIG_VMC_BYE, .id = 6 },
		{ .type = IBVMIG_VMC_ATTACH, .id = 7, .alias = { VGUID, 3, "vm-1" } },
		{ .type = IBVMIG_VMC_DETACH | IBVMIG_VMC_REPLY, .id = 8,
		  .alias = { VGUID, 3, "" } },
		{ .type = IBVMIG_VMC_VM_ADD, .id = 9, .vm = { .name = "vm-2", .vguid = VGUID,
							      .cid = 42 } },
		{ .type = IBVMIG_VMC_VM_DEL, .id = 10, .vm = { .name = "vm-2" } },
		{ .type = IBVMIG_VMC_VM_LIST, .id = 11 },
		{ .type = IBVMIG_VMC_STATUS | IBVMIG_VMC_REPLY, .id = 12,
		  .agent = { .version = "ibvmigd 0.1.0", .ca = "mlx5_0", .port = 1,
			     .port_guid = PORT_A, .lid = 7, .vms = 3, .uptime_ms = 1000 } },
		{ .type = IBVMIG_VMC_NOTICE, .notice = { IBVMIG_TRAP_REPATH, repath } },
		{ .type = IBVMIG_VMC_PATH_QUERY | IBVMIG_VMC_REPLY, .id = 13,
		  .status = IBVMIG_VMC_E_SUSPENDED, .error = EAGAIN, .text = "suspended" },
		{ .type = IBVMIG_VMC_ESC_RELEASE, .id = 15, .esc = { .dest_guid = PORT_B } },
		{ .type = IBVMIG_VMC_ESC_RELEASE | IBVMIG_VMC_REPLY, .id = 15,
		  .esc = { .port_guid = PORT_A, .token = { 1, 2 }, .state = 1, .lid = 4,
			   .source_guid = PORT_A, .keys = 2, .sm_lid = 1 } },
		{ .type = IBVMIG_VMC_ESC_QUERY, .id = 16, .esc = { .token = { 1, 2 } } },
		{ .type = IBVMIG_VMC_ESC_QUERY | IBVMIG_VMC_REPLY, .id = 16,
		  .esc = { .esc_status = 13, .retry_after_ms = 500 } },
	};
	static const char *const names[] = {
		"hello", "welcome", "interest-del-reply", "path-query", "path-reply", "bye",
		"attach", "detach-reply", "vm-add", "vm-del", "vm-list-request", "status-reply",
		"notice", "error-reply", "escrow-release", "escrow-release-reply", "escrow-query",
		"escrow-query-refused",
	};
	struct ibvmig_vmc_msg longest = { .type = IBVMIG_VMC_HELLO, .id = 14 };
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		vmc_seed(&msgs[i], names[i]);
	/* Every string as long as it may be: one byte more must be refused. */
	memset(longest.hello.name, 'n', IBVMIG_VMC_NAME_MAX);
	vmc_seed(&longest, "hello-longest-name");
	longest = (struct ibvmig_vmc_msg){ .type = IBVMIG_VMC_VM_ADD, .id = 15 };
	memset(longest.vm.name, 'n', IBVMIG_VMC_NAME_MAX);
	vmc_seed(&longest, "vm-add-longest-name");
	longest = (struct ibvmig_vmc_msg){ .type = IBVMIG_VMC_STATUS | IBVMIG_VMC_REPLY,
					   .id = 16 };
	memset(longest.agent.version, 'v', IBVMIG_VMC_TEXT_MAX);
	memset(longest.agent.ca, 'c', IBVMIG_VMC_NAME_MAX);
	vmc_seed(&longest, "status-reply-longest");
	longest = (struct ibvmig_vmc_msg){ .type = IBVMIG_VMC_BYE | IBVMIG_VMC_REPLY, .id = 17,
					   .status = IBVMIG_VMC_E_FAILED, .error = 4095 };
	memset(longest.text, 't', IBVMIG_VMC_TEXT_MAX);
	vmc_seed(&longest, "error-longest-text");
	vmc_items_seeds();
	vmc_limit_seeds();
	vmc_recipe_seeds();
	seed("fuzz_vmchan", "foreign", "GET / HTTP/1.0\r\n", 16);
}

/* ---- configuration ------------------------------------------------------------ */

static void conf_seeds(void)
{
	static const char every[] =
		"# ibvmig\n"
		"trap_ttl 600   # ten minutes\n"
		"  trap_capacity\t1000\n"
		"unpath FALSE\n"
		"state_dir /var/lib/ibvmig\n"
		"admin_socket /run/ibvmig.sock\n"
		"admin_socket_mode 0660\n"
		"alias_guard off\n"
		"alias_guard_allow 0x0002c90300000011, 0x0002c90300000012\n"
		"alias_guard_allow 0x0002c90300000013\n"
		"log_level debug\n"
		"save_delay_ms 0\n";
	static const char *const bad[] = {
		"trap_ttl 5\nfrobnicate 1\n", "trap_ttl\n", "trap_ttl -5\n", "trap_capacity 0\n",
		"trap_capacity 16777215\n", "unpath maybe\n", "state_dir relative/dir\n",
		"admin_socket_mode 0999\n", "alias_guard_allow 0x0\n",
		"alias_guard_allow 0x1,xyz\n", "log_level loud\n", "save_delay_ms 60001\n",
		"trap_ttl 18446744073709552\n",
	};
	char name[16], line[1100];
	size_t i;

	memset(line, '#', sizeof(line));	/* longer than a line may be */
	seed("fuzz_conf", "overlong-line", line, sizeof(line));
	seed("fuzz_conf", "every-option", every, sizeof(every) - 1);
	seed("fuzz_conf", "empty", "", 0);
	seed("fuzz_conf", "nul-inside", "unpath off\n\0trap_ttl 1\n", 23);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad-%zu", i);
		seed("fuzz_conf", name, bad[i], strlen(bad[i]));
	}
}

/* ---- MADs ------------------------------------------------------------------------ */

static void mad_header(uint8_t mad[IBVMIG_SA_MAD_LEN], uint8_t mgmt_class, uint8_t method,
		       uint16_t attr)
{
	struct ibvmig_sa_mad_hdr h = {
		.base_version = 1, .mgmt_class = mgmt_class, .class_version = 2,
		.method = method, .tid = 0x0001000002DAB001ULL, .attr_id = attr,
		.hop_cnt = mgmt_class == 0x81 ? 2 : 0,
	};
	struct ibvmig_sa_class_hdr s = { .comp_mask = 0x13 };

	memset(mad, 0, IBVMIG_SA_MAD_LEN);
	ibvmig_sa_mad_hdr_encode(mad, &h);
	if (mgmt_class == 0x03)
		ibvmig_sa_class_hdr_encode(mad, &s);
}

static void sa_seeds(void)
{
	struct ibvmig_sa_guid_block b = { .lid = 4, .block = 0, .guid = { PORT_A, VGUID } };
	struct ibvmig_sa_inform ii = ibvmig_sa_inform_for_trap(IBVMIG_TRAP_REPATH, true,
							       0xFFFF, 0);
	struct ibvmig_sa_sminfo si = { .guid = PORT_A, .priority = 1, .state = 3 };
	uint8_t mad[IBVMIG_SA_MAD_LEN];
	const char *f = "fuzz_sa_codec";

	mad_header(mad, 0x03, 0x06, IBVMIG_SA_ATTR_NOTICE);
	notice_attr(mad + IBVMIG_SA_SA_DATA_OFFS, IBVMIG_TRAP_REPATH, IBVMIG_REASON_MIGRATED);
	seed(f, "report-repath", mad, sizeof(mad));
	seed(f, "report-short", mad, IBVMIG_SA_SA_DATA_OFFS + IBVMIG_NOTICE_LEN - 1);
	notice_attr(mad + IBVMIG_SA_SA_DATA_OFFS, IBVMIG_TRAP_UNPATH, IBVMIG_REASON_DELETED);
	seed(f, "report-unpath", mad, IBVMIG_SA_SA_DATA_OFFS + IBVMIG_NOTICE_LEN);
	notice_attr(mad + IBVMIG_SA_SA_DATA_OFFS, 64, 0);
	seed(f, "report-trap-64", mad, sizeof(mad));
	mad_header(mad, 0x03, 0x06, IBVMIG_SA_ATTR_INFORM_INFO);
	seed(f, "report-other-attr", mad, sizeof(mad));

	ibvmig_sa_build_gir(mad, UMAD_METHOD_SET, 7, 4, 1, VGUID);	/* as sent */
	seed(f, "gir-set", mad, sizeof(mad));
	mad_header(mad, 0x03, 0x81, IBVMIG_SA_ATTR_GUIDINFO_REC);
	ibvmig_sa_gir_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &b);
	seed(f, "gir-getresp", mad, sizeof(mad));
	mad_header(mad, 0x03, 0x81, IBVMIG_SA_ATTR_PATH_REC);
	ibvmig_sa_path_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &a_path);
	seed(f, "path-getresp", mad, sizeof(mad));
	mad_header(mad, 0x03, 0x81, IBVMIG_SA_ATTR_INFORM_INFO);
	ibvmig_sa_inform_encode(mad + IBVMIG_SA_SA_DATA_OFFS, &ii);
	seed(f, "inform-getresp", mad, sizeof(mad));

	mad_header(mad, 0x01, 0x01, IBVMIG_SA_ATTR_SMINFO);
	ibvmig_sa_sminfo_encode(mad + IBVMIG_SA_SMP_DATA_OFFS, &si);
	seed(f, "sminfo-get-lid-routed", mad, 128);
	mad_header(mad, 0x81, 0x01, IBVMIG_SA_ATTR_SMINFO);
	seed(f, "sminfo-get-directed", mad, sizeof(mad));
	seed(f, "sminfo-get-directed-short", mad, 255);
	mad[0] = 2;
	seed(f, "base-version-2", mad, sizeof(mad));
	seed(f, "header-short", mad, 23);
}

/* ---- the LID escrow's MADs --------------------------------------------- */

static void esc_seed(const char *name, const uint8_t mad[IBVMIG_ESC_MAD_LEN], size_t len)
{
	seed("fuzz_escrow", name, mad, len);
}

/* Each of the eight messages as its encoder writes it, refusals, and near misses. */
static void escrow_seeds(void)
{
	static const char *const req_names[] = { "release", "claim", "cancel", "query" };
	struct ibvmig_esc_req q = { .port_guid = PORT_A, .dest_guid = PORT_B };
	struct ibvmig_esc_resp a = {
		.state = IBVMIG_ESC_HELD, .lid = 0x0042, .mtu = 5, .rate = 16, .port_guid = PORT_A,
		.dest_guid = PORT_B, .source_guid = PORT_A, .created_ms = 1796190000000ULL,
		.changed_ms = 1796190000001ULL, .expires_in_ms = 600000, .nkeys = 2,
		.keys = { 0x8001, 0x0002 },
	};
	struct ibvmig_esc_hdr h = { .tid = 0x1234 };
	uint8_t mad[IBVMIG_ESC_MAD_LEN], tok[IBVMIG_ESC_TOKEN_LEN];
	char name[64];
	unsigned i;

	for (i = 0; i < IBVMIG_ESC_TOKEN_LEN; i++)
		tok[i] = (uint8_t)(0xA0 + i);
	memcpy(a.token, tok, sizeof(tok));
	if (ibvmig_esc_release_req_encode(7, &q, mad) == 0)
		esc_seed("release-req", mad, sizeof(mad));
	memcpy(q.token, tok, sizeof(tok));
	q.dest_guid = 0;
	for (i = 1; i < 4; i++) {
		snprintf(name, sizeof(name), "%s-req", req_names[i]);
		if (ibvmig_esc_req_encode((enum ibvmig_esc_msg)(IBVMIG_ESC_RELEASE_REQ + 2 * i), 8 + i,
					  &q, mad) == 0)
			esc_seed(name, mad, sizeof(mad));
	}
	if (ibvmig_esc_release_resp_encode(7, &a, mad) == 0)
		esc_seed("release-resp-held", mad, sizeof(mad));
	memset(a.token, 0, sizeof(a.token));
	a.state = IBVMIG_ESC_MOVING;
	a.claimant_guid = PORT_B;
	a.expires_in_ms = 0;
	if (ibvmig_esc_claim_resp_encode(9, &a, mad) == 0)
		esc_seed("claim-resp-moving", mad, sizeof(mad));
	a.state = IBVMIG_ESC_LIVE;
	a.nkeys = IBVMIG_ESC_KEYS_MAX;
	for (i = 0; i < IBVMIG_ESC_KEYS_MAX; i++)
		a.keys[i] = (uint16_t)(0x8100 + i);
	if (ibvmig_esc_query_resp_encode(11, &a, mad) == 0)
		esc_seed("query-resp-live-60-keys", mad, sizeof(mad));
	a = (struct ibvmig_esc_resp){ .status = IBVMIG_ESC_RATE_LIMITED, .port_guid = PORT_A,
				      .retry_after_ms = 5000 };
	if (ibvmig_esc_cancel_resp_encode(10, &a, mad) == 0)
		esc_seed("cancel-resp-rate-limited", mad, sizeof(mad));
	a.status = IBVMIG_ESC_WRONG_REQUESTER;
	a.retry_after_ms = 0;
	if (ibvmig_esc_claim_resp_encode(9, &a, mad) == 0)
		esc_seed("claim-resp-wrong-requester", mad, sizeof(mad));
	h.attr_id = IBVMIG_ESC_ATTR_CLAIM;
	ibvmig_esc_encode_mad_error(&h, 0x001C, mad);
	esc_seed("mad-error", mad, sizeof(mad));
	/* Near misses: umad2sim's 224 bytes, one byte long, a tail byte set, a keys count over. */
	ibvmig_esc_query_req_encode(11, &q, mad);
	esc_seed("query-req-224", mad, 224);
	mad[255] = 1;
	esc_seed("query-req-tail-set", mad, sizeof(mad));
	mad[27] = IBVMIG_ESC_KEYS_MAX + 1;
	esc_seed("query-req-keys-count", mad, sizeof(mad));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT-DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	mkdir(out_dir, 0755);
	notice_seeds();
	record_seeds();
	admin_seeds();
	vmchan_seeds();
	conf_seeds();
	sa_seeds();
	escrow_seeds();
	return failures ? 1 : 0;
}

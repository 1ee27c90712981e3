// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_vmchan.c - libFuzzer harness of the VM channel codec
 * (ibvmig_vmchan.h): the agent reads what any VM writes, a VM and the host
 * CLI read what whoever serves their socket writes.  The input is read two
 * ways.  As a stream: it is framed as a non-blocking reader frames it, and
 * every whole message in it is decoded.  As a recipe (build_from_recipe()):
 * a header and a list of fields that the record writer lays out, so that
 * every length is right and the fuzzer reaches field values (a name one byte
 * too long, a LID past 16 bits) without having to keep three nested lengths
 * consistent by chance.
 *
 * Invariants.  Framing: over every prefix of the stream, a length L > 0 is
 * the header's 16 + body, within the prefix and MSG_MAX, and stays L for
 * every longer prefix; "need N more" is exactly what makes the next answer
 * (the rest of the header, then the rest of the message); an error is final
 * and stays the same error.  Decoding: a message is decoded only at its
 * framed length (any other length is refused), an error leaves the message
 * all zero, and peek agrees with it on type and id.  A decoded message
 * re-encodes (the encoder takes whatever the decoder gives); the re-encoding
 * frames at its own length and decodes to the same message, path and items;
 * and re-encoding that is a fixed point, byte for byte.
 */
#include "fuzz.h"
#include "ibvmig_records.h"
#include "ibvmig_sa.h"
#include "ibvmig_vmchan.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Items of one decoded message, kept to compare with those of its re-encoding. */
struct items {
	uint32_t n;
	bool vms;		/* which of the arrays holds them */
	struct ibvmig_vmc_gid gid[IBVMIG_VMC_ITEMS_MAX];
	struct ibvmig_vmc_vm vm[IBVMIG_VMC_ITEMS_MAX];
};

static struct items items_a, items_b;	/* static: too big for the stack of a fuzzer */

/* A decoded string ends inside its member, whatever the type put there. */
#define TERMINATED(member) (memchr((member), 0, sizeof(member)) != NULL)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Frames every prefix of @buf; returns what the whole of it frames to. */
static int check_framing(const uint8_t *buf, size_t len)
{
	size_t have, need, target = 0;
	int rc, prev = 0;

	for (have = 0; have <= len; have++) {
		rc = ibvmig_vmc_frame(buf, have, &need);
		if (have && prev < 0) {
			FUZZ_CHECK(rc == prev);
		} else if (have && prev > 0) {
			FUZZ_CHECK(rc == prev && need == 0);
		} else if (target && have == target) {
			/* Once the header is in, what was asked for completes the message. */
			FUZZ_CHECK(rc == (int)have);
		}
		if (rc > 0) {
			FUZZ_CHECK(need == 0 && (size_t)rc <= have);
			FUZZ_CHECK(rc <= (int)IBVMIG_VMC_MSG_MAX);
			FUZZ_CHECK((size_t)rc == IBVMIG_VMC_HEADER_LEN + be32(buf + 12));
		} else if (rc == 0) {
			FUZZ_CHECK(need >= 1 && have + need <= IBVMIG_VMC_MSG_MAX);
			FUZZ_CHECK(have >= IBVMIG_VMC_HEADER_LEN ||
				   have + need == IBVMIG_VMC_HEADER_LEN);
			if (have >= IBVMIG_VMC_HEADER_LEN)
				FUZZ_CHECK(have + need == IBVMIG_VMC_HEADER_LEN + be32(buf + 12));
		} else {
			FUZZ_CHECK(rc == -EPROTO || rc == -EPROTONOSUPPORT || rc == -EMSGSIZE);
			FUZZ_CHECK(need == 0);
		}
		prev = rc;
		if (rc == 0 && have >= IBVMIG_VMC_HEADER_LEN && !target)
			target = have + need;
		/* Past a whole message or an error nothing changes: stop early. */
		if (rc != 0 && have > IBVMIG_VMC_HEADER_LEN + 1)
			break;
	}
	return prev;
}

/* Re-encodes @m (its items consumed into @it); 0 or the writer's error. */
static int reencode(struct ibvmig_vmc_msg *m, struct items *it, uint8_t **buf, size_t *len)
{
	struct ibvmig_sa_path path;
	struct ibvmig_vmc_writer w;
	int rc;

	it->n = 0;
	it->vms = false;
	if (ibvmig_vmc_get_path(m, &path) == 0)
		m->path.path = &path;
	ibvmig_vmc_writer_init(&w, m);
	while ((rc = ibvmig_vmc_next_gid(m, &it->gid[it->n])) == 1) {
		FUZZ_CHECK(it->n < m->n_items);
		ibvmig_vmc_put_gid(&w, &it->gid[it->n++]);
	}
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	while ((rc = ibvmig_vmc_next_vm(m, &it->vm[it->n])) == 1) {
		FUZZ_CHECK(it->n < m->n_items && TERMINATED(it->vm[it->n].name));
		it->vms = true;
		ibvmig_vmc_put_vm(&w, &it->vm[it->n++]);
	}
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK(it->n == m->n_items);
	rc = ibvmig_vmc_writer_finish(&w, buf, len);
	m->path.path = NULL;
	return rc;
}

static void check_fields(const struct ibvmig_vmc_msg *m)
{
	FUZZ_CHECK(TERMINATED(m->text));
	switch (m->status ? 0 : m->type) {
	case IBVMIG_VMC_HELLO:
		FUZZ_CHECK(TERMINATED(m->hello.name));
		break;
	case IBVMIG_VMC_ATTACH:
	case IBVMIG_VMC_ATTACH | IBVMIG_VMC_REPLY:
	case IBVMIG_VMC_DETACH:
	case IBVMIG_VMC_DETACH | IBVMIG_VMC_REPLY:
		FUZZ_CHECK(TERMINATED(m->alias.name));
		break;
	case IBVMIG_VMC_VM_ADD:
	case IBVMIG_VMC_VM_DEL:
		FUZZ_CHECK(TERMINATED(m->vm.name));
		break;
	case IBVMIG_VMC_STATUS | IBVMIG_VMC_REPLY:
		FUZZ_CHECK(TERMINATED(m->agent.version) && TERMINATED(m->agent.ca));
		break;
	}
	FUZZ_CHECK(ibvmig_vmc_type_name(m->type) != NULL);
	FUZZ_CHECK(m->status <= IBVMIG_VMC_STATUS_MAX);
	FUZZ_CHECK(!m->status || (m->type & IBVMIG_VMC_REPLY));
	FUZZ_CHECK(ibvmig_vmc_status_from_errno(ibvmig_vmc_status_errno(m->status)) == m->status);
	FUZZ_CHECK(m->n_items <= IBVMIG_VMC_ITEMS_MAX);
	FUZZ_CHECK(strlen(m->text) <= IBVMIG_VMC_TEXT_MAX);
	if (m->type == IBVMIG_VMC_NOTICE) {
		FUZZ_CHECK(m->id == 0 && m->notice.n.vguid != 0);
		FUZZ_CHECK(m->notice.trap == IBVMIG_TRAP_UNPATH ||
			   m->notice.trap == IBVMIG_TRAP_REPATH);
		FUZZ_CHECK(m->notice.n.version == IBVMIG_NOTICE_VERSION &&
			   m->notice.n.reason <= IBVMIG_REASON_MAX);
	}
	if (m->type == IBVMIG_VMC_HELLO)
		FUZZ_CHECK(m->hello.name[0] && strlen(m->hello.name) <= IBVMIG_VMC_NAME_MAX);
}

/* One whole message of @len bytes, as framed, in a buffer of exactly that size. */
static void check_message(const uint8_t *buf, size_t len)
{
	static const struct ibvmig_vmc_msg zero;
	struct ibvmig_vmc_msg m, m2, saved;
	struct ibvmig_sa_path p1, p2;
	uint8_t *enc, *enc2, type;
	size_t enc_len, enc2_len, need;
	uint32_t id, i;
	int rc;

	rc = ibvmig_vmc_decode(buf, len, &m);
	FUZZ_CHECK(ibvmig_vmc_peek(buf, len, &type, &id) == 0);
	if (rc) {
		FUZZ_CHECK(rc == -EMSGSIZE || rc == -EOPNOTSUPP || rc == -EBADMSG);
		FUZZ_CHECK(memcmp(&m, &zero, sizeof(m)) == 0);
		return;
	}
	FUZZ_CHECK(type == m.type && id == m.id);
	check_fields(&m);
	memcpy(&saved, &m, sizeof(m));	/* padding included: compared with memcmp */
	FUZZ_CHECK(reencode(&m, &items_a, &enc, &enc_len) == 0);
	FUZZ_CHECK(enc_len <= IBVMIG_VMC_MSG_MAX);
	FUZZ_CHECK(ibvmig_vmc_frame(enc, enc_len, &need) == (int)enc_len);

	FUZZ_CHECK(ibvmig_vmc_decode(enc, enc_len, &m2) == 0);
	/* Everything before the item reader (which points into its buffer) is equal. */
	FUZZ_CHECK(memcmp(&saved, &m2, offsetof(struct ibvmig_vmc_msg, items)) == 0);
	FUZZ_CHECK((ibvmig_vmc_get_path(&saved, &p1) == 0) == (ibvmig_vmc_get_path(&m2, &p2) == 0));
	FUZZ_CHECK(memcmp(&p1, &p2, sizeof(p1)) == 0);
	FUZZ_CHECK(reencode(&m2, &items_b, &enc2, &enc2_len) == 0);
	FUZZ_CHECK(items_a.n == items_b.n && items_a.vms == items_b.vms);
	for (i = 0; i < items_a.n && items_a.vms; i++)
		FUZZ_CHECK(!memcmp(&items_a.vm[i], &items_b.vm[i], sizeof(items_a.vm[i])));
	for (i = 0; i < items_a.n && !items_a.vms; i++)
		FUZZ_CHECK(!memcmp(&items_a.gid[i], &items_b.gid[i], sizeof(items_a.gid[i])));
	FUZZ_CHECK(enc2_len == enc_len && memcmp(enc2, enc, enc_len) == 0);
	free(enc2);
	free(enc);
}

static uint64_t take_be(const uint8_t **p, const uint8_t *end, size_t n)
{
	uint64_t v = 0;

	while (n-- && *p < end)
		v = v << 8 | *(*p)++;
	return v;
}

/*
 * The recipe: type, status (one byte), id (4), then operations until the
 * end, each a byte whose value mod 5 says what follows: a new record; a
 * UINT, GUID or BOOL field (tag byte, then 8 or 1 value bytes); a STR field
 * (tag byte, length byte, that many bytes).  The head record is begun first.
 */
static void build_from_recipe(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct ibvmig_rec_writer w;
	char str[256];
	uint8_t *buf, type, op;
	uint16_t status, tag;
	uint32_t id;
	size_t len, n;

	type = (uint8_t)take_be(&p, end, 1);
	status = (uint16_t)take_be(&p, end, 1);
	id = (uint32_t)take_be(&p, end, 4);
	ibvmig_rec_writer_init(&w, IBVMIG_VMC_HEADER_LEN, 4 * IBVMIG_VMC_MSG_MAX);
	ibvmig_rec_begin(&w);
	while (p < end) {
		op = *p++ % 5;
		tag = (uint16_t)take_be(&p, end, 1);
		if (op == 0) {
			ibvmig_rec_begin(&w);
		} else if (op == 1) {
			ibvmig_rec_put_uint(&w, tag, take_be(&p, end, 8));
		} else if (op == 2) {
			ibvmig_rec_put_guid(&w, tag, take_be(&p, end, 8));
		} else if (op == 3) {
			ibvmig_rec_put_bool(&w, tag, take_be(&p, end, 1) != 0);
		} else {
			n = (size_t)take_be(&p, end, 1);
			n = n < (size_t)(end - p) ? n : (size_t)(end - p);
			memcpy(str, p, n);
			str[n] = '\0';
			p += n;
			ibvmig_rec_put_str(&w, tag, str);
		}
	}
	if (ibvmig_rec_writer_take(&w, &buf, &len))
		return;
	memcpy(buf, "IVMC\x01", 5);
	buf[5] = type;
	buf[6] = (uint8_t)(status >> 8);
	buf[7] = (uint8_t)status;
	for (n = 0; n < 4; n++) {
		buf[8 + n] = (uint8_t)(id >> (24 - 8 * n));
		buf[12 + n] = (uint8_t)((len - IBVMIG_VMC_HEADER_LEN) >> (24 - 8 * n));
	}
	if (len <= IBVMIG_VMC_MSG_MAX)
		check_message(buf, len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ibvmig_vmc_msg m;
	size_t off = 0, need;
	uint8_t *copy, type;
	uint32_t id;
	int framed, rc;

	framed = check_framing(data, size);
	/* Peek answers for any header with our magic, whatever follows it. */
	rc = ibvmig_vmc_peek(data, size, &type, &id);
	if (size < IBVMIG_VMC_HEADER_LEN)
		FUZZ_CHECK(rc == -EMSGSIZE);
	else
		FUZZ_CHECK(rc == (memcmp(data, "IVMC", 4) ? -EPROTO : 0));
	FUZZ_CHECK(rc || (type == data[5] && id == be32(data + 8)));
	/* The decoder takes a message only at its framed length. */
	rc = ibvmig_vmc_decode(data, size, &m);
	if (framed < 0)
		FUZZ_CHECK(rc == framed);
	else if ((size_t)framed != size)
		FUZZ_CHECK(rc == -EMSGSIZE);
	/* Each whole message of the stream, in turn, as the agent's reader does. */
	while ((framed = ibvmig_vmc_frame(data + off, size - off, &need)) > 0) {
		copy = malloc((size_t)framed);
		if (!copy)
			return 0;
		memcpy(copy, data + off, (size_t)framed);
		check_message(copy, (size_t)framed);
		free(copy);
		off += (size_t)framed;
	}
	build_from_recipe(data, size);
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_admin.c - libFuzzer harness of the admin protocol codec
 * (ibvmig_admin.h).  Any local user may connect to the plugin's admin socket
 * and send a request, and may serve a socket of their own that the CLI reads
 * a response from, so the input is read both ways: as a request the plugin
 * reads (a 12-byte header, then the body it announces) and as a response the
 * CLI reads (a header, then a record list).
 *
 * Invariants: the header decoder answers only 0, E_MAGIC or E_VERSION, and a
 * header it accepts re-encodes to the same 12 bytes; the request decoder
 * answers what the protocol says (E_OP for an unknown op whatever the
 * length, then E_LENGTH, then E_REQUEST for a status) and a request it
 * accepts re-encodes to the same header and body; a response body the record reader accepts is
 * rebuilt by the response writer into the very message (when canonical) and
 * an error status always comes out as a bare header.  Bodies are copied to
 * buffers of exactly the announced length, so ASan sees a decoder that reads
 * beyond what the header allows.
 */
#include "fuzz_rec.h"
#include "ibvmig_admin.h"

#include <errno.h>
#include <string.h>

/* What the request decoder must answer for @h (doc/admin-protocol.md). */
static int expected_status(const struct ibvmig_admin_header *h)
{
	if (h->op < 1 || h->op > IBVMIG_ADMIN_OP_MAX)
		return IBVMIG_ADMIN_E_OP;
	if (h->length != (h->op == IBVMIG_ADMIN_FLUSH ? 8u : 0u))
		return IBVMIG_ADMIN_E_LENGTH;
	return h->status ? IBVMIG_ADMIN_E_REQUEST : 0;
}

static void check_request(const struct ibvmig_admin_header *h, const uint8_t *hdr,
			  const uint8_t *rest, size_t rest_len)
{
	uint8_t msg[IBVMIG_ADMIN_HEADER_LEN + IBVMIG_ADMIN_REQUEST_BODY_MAX];
	struct ibvmig_admin_request req;
	uint8_t *body;
	int rc, len;

	/* The plugin never reads a body longer than this (osm-plugin/worker.c). */
	if (h->length > IBVMIG_ADMIN_REQUEST_BODY_MAX || rest_len < h->length)
		return;
	body = malloc(h->length ? h->length : 1);
	if (!body)
		return;
	memcpy(body, rest, h->length);
	rc = ibvmig_admin_decode_request(h, body, &req);
	FUZZ_CHECK(rc == expected_status(h));
	if (rc == 0) {
		FUZZ_CHECK(req.op == h->op && !h->status);
		len = ibvmig_admin_encode_request(&req, msg, sizeof(msg));
		FUZZ_CHECK(len == (int)(IBVMIG_ADMIN_HEADER_LEN + h->length));
		FUZZ_CHECK(memcmp(msg, hdr, IBVMIG_ADMIN_HEADER_LEN) == 0);
		FUZZ_CHECK(memcmp(msg + IBVMIG_ADMIN_HEADER_LEN, body, h->length) == 0);
	} else {
		/* A refused request leaves nothing behind for the server to act on. */
		FUZZ_CHECK(req.op == 0 && req.vguid == 0);
	}
	free(body);
}

static void check_response(const struct ibvmig_admin_header *h, const uint8_t *hdr,
			   const uint8_t *rest, size_t rest_len)
{
	struct ibvmig_rec_reader r;
	struct ibvmig_rec_writer w;
	struct fuzz_rec_seen seen;
	uint8_t *body, *msg;
	size_t len;

	FUZZ_CHECK(ibvmig_admin_status_text(h->status) != NULL);
	/* The CLI refuses anything longer before it allocates (admin.c). */
	if (h->length > IBVMIG_ADMIN_RESPONSE_MAX || rest_len < h->length)
		return;
	body = malloc(h->length ? h->length : 1);
	if (!body)
		return;
	memcpy(body, rest, h->length);
	if (ibvmig_rec_reader_init(&r, body, h->length))
		goto out;
	ibvmig_admin_writer_init(&w);
	fuzz_walk(body, h->length, false, &w, &seen);
	FUZZ_CHECK(ibvmig_admin_writer_finish(&w, h->op, h->status, &msg, &len) == 0);
	if (h->status) {
		/* An error carries no records, whatever the server sent after it. */
		FUZZ_CHECK(len == IBVMIG_ADMIN_HEADER_LEN && memcmp(msg, hdr, 8) == 0);
		FUZZ_CHECK(msg[8] == 0 && msg[9] == 0 && msg[10] == 0 && msg[11] == 0);
	} else if (seen.canonical && h->length) {
		FUZZ_CHECK(len == IBVMIG_ADMIN_HEADER_LEN + h->length);
		FUZZ_CHECK(memcmp(msg, hdr, IBVMIG_ADMIN_HEADER_LEN) == 0);
		FUZZ_CHECK(memcmp(msg + IBVMIG_ADMIN_HEADER_LEN, body, h->length) == 0);
	}
	free(msg);
	/* What the CLI prints for each field: a known name or NULL (then "tag_N"). */
	while (ibvmig_rec_next(&r) == 1) {
		struct ibvmig_rec_field f;
		bool known;

		while (ibvmig_rec_next_field(&r, &f) == 1) {
			known = f.tag >= 1 && f.tag <= IBVMIG_TAG_MAX;
			FUZZ_CHECK(known == (ibvmig_admin_tag_name(f.tag) != NULL));
		}
	}
out:
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[IBVMIG_ADMIN_HEADER_LEN], again[IBVMIG_ADMIN_HEADER_LEN];
	struct ibvmig_admin_header h;
	int status;

	/* Both sides read exactly the header first and hang up on less. */
	if (size < IBVMIG_ADMIN_HEADER_LEN)
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	status = ibvmig_admin_decode_header(hdr, &h);
	FUZZ_CHECK(status == 0 || status == IBVMIG_ADMIN_E_MAGIC ||
		   status == IBVMIG_ADMIN_E_VERSION);
	FUZZ_CHECK((status == IBVMIG_ADMIN_E_MAGIC) == (memcmp(hdr, "IVMA", 4) != 0));
	if (status)
		return 0;
	ibvmig_admin_encode_header(&h, again);
	FUZZ_CHECK(memcmp(again, hdr, sizeof(hdr)) == 0);
	check_request(&h, hdr, data + sizeof(hdr), size - sizeof(hdr));
	check_response(&h, hdr, data + sizeof(hdr), size - sizeof(hdr));
	return 0;
}

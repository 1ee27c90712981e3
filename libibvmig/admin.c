// SPDX-License-Identifier: BSD-2-Clause
/*
 * admin.c - the admin socket protocol (doc/admin-protocol.md): frames,
 * requests, self-describing response records, and the client's exchange.
 */
#include "ibvmig_admin.h"
#include "ibvmig_util.h"
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ibvmig_admin_tag_name(uint16_t tag)
{
#define TAG_NAME(name, value, key) [value] = key,
	static const char *const names[IBVMIG_TAG_MAX + 1] = { IBVMIG_ADMIN_TAGS(TAG_NAME) };
#undef TAG_NAME

	return tag <= IBVMIG_TAG_MAX ? names[tag] : NULL;
}

const char *ibvmig_admin_status_text(unsigned status)
{
	static const char *const text[] = {
		[IBVMIG_ADMIN_OK] = "success",
		[IBVMIG_ADMIN_E_MAGIC] = "not an ibvmig admin message",
		[IBVMIG_ADMIN_E_VERSION] = "unsupported protocol version",
		[IBVMIG_ADMIN_E_OP] = "unknown operation",
		[IBVMIG_ADMIN_E_LENGTH] = "bad message length",
		[IBVMIG_ADMIN_E_NOT_FOUND] = "not found",
		[IBVMIG_ADMIN_E_INTERNAL] = "internal error in the plugin",
		[IBVMIG_ADMIN_E_REQUEST] = "malformed request",
		[IBVMIG_ADMIN_E_NOT_READY] = "the subnet manager is not up yet, or runs no escrow",
		[IBVMIG_ADMIN_E_STATE] = "the escrow is not held (moving or over)",
	};

	return status < sizeof(text) / sizeof(text[0]) ? text[status] : "unknown status";
}

/* ---- frames ------------------------------------------------------------ */

void ibvmig_admin_encode_header(const struct ibvmig_admin_header *h,
				uint8_t buf[IBVMIG_ADMIN_HEADER_LEN])
{
	struct wire w = wire_at(buf, IBVMIG_ADMIN_HEADER_LEN);

	wire_put_u32(&w, IBVMIG_ADMIN_MAGIC);
	wire_put_u8(&w, IBVMIG_ADMIN_VERSION);
	wire_put_u8(&w, h->op);
	wire_put_u16(&w, h->status);
	wire_put_u32(&w, h->length);
}

int ibvmig_admin_decode_header(const uint8_t buf[IBVMIG_ADMIN_HEADER_LEN],
			       struct ibvmig_admin_header *h)
{
	struct wire w = wire_at((uint8_t *)buf, IBVMIG_ADMIN_HEADER_LEN);

	h->magic = wire_get_u32(&w);
	h->version = wire_get_u8(&w);
	h->op = wire_get_u8(&w);
	h->status = wire_get_u16(&w);
	h->length = wire_get_u32(&w);
	if (h->magic != IBVMIG_ADMIN_MAGIC)
		return IBVMIG_ADMIN_E_MAGIC;
	if (h->version != IBVMIG_ADMIN_VERSION)
		return IBVMIG_ADMIN_E_VERSION;
	return 0;
}

/* The body length each op takes in a request. */
static int request_body_len(uint8_t op)
{
	switch (op) {
	case IBVMIG_ADMIN_STATUS:
	case IBVMIG_ADMIN_TRAPS:
	case IBVMIG_ADMIN_SUBSCRIBERS:
	case IBVMIG_ADMIN_STATS:
	case IBVMIG_ADMIN_ESCROW_LIST:
		return 0;
	case IBVMIG_ADMIN_FLUSH:
	case IBVMIG_ADMIN_ESCROW_SHOW:
	case IBVMIG_ADMIN_ESCROW_CANCEL:
		return 8;
	default:
		return -1;
	}
}

int ibvmig_admin_encode_request(const struct ibvmig_admin_request *req, uint8_t *buf,
				size_t len)
{
	struct ibvmig_admin_header h = { .op = req->op };
	int body = request_body_len(req->op);
	struct wire w;

	if (body < 0)
		return -EINVAL;
	if (len < IBVMIG_ADMIN_HEADER_LEN + (size_t)body)
		return -ENOSPC;
	h.length = (uint32_t)body;
	ibvmig_admin_encode_header(&h, buf);
	w = wire_at(buf + IBVMIG_ADMIN_HEADER_LEN, (size_t)body);
	if (req->op == IBVMIG_ADMIN_FLUSH)
		wire_put_u64(&w, req->vguid);
	else if (body)
		wire_put_u64(&w, req->escrow_id);
	return IBVMIG_ADMIN_HEADER_LEN + body;
}

int ibvmig_admin_decode_request(const struct ibvmig_admin_header *h, const uint8_t *body,
				struct ibvmig_admin_request *req)
{
	int want = request_body_len(h->op);
	struct wire w;

	memset(req, 0, sizeof(*req));
	if (want < 0)
		return IBVMIG_ADMIN_E_OP;
	if (h->length != (uint32_t)want)
		return IBVMIG_ADMIN_E_LENGTH;
	if (h->status)
		return IBVMIG_ADMIN_E_REQUEST;
	req->op = h->op;
	w = wire_at((uint8_t *)body, h->length);
	if (h->op == IBVMIG_ADMIN_FLUSH)
		req->vguid = wire_get_u64(&w);
	else if (h->length)
		req->escrow_id = wire_get_u64(&w);
	return 0;
}

/* ---- responses ------------------------------------------------------------ */

void ibvmig_admin_writer_init(struct ibvmig_rec_writer *w)
{
	ibvmig_rec_writer_init(w, IBVMIG_ADMIN_HEADER_LEN, IBVMIG_ADMIN_RESPONSE_MAX);
}

int ibvmig_admin_writer_finish(struct ibvmig_rec_writer *w, uint8_t op, uint16_t status,
			       uint8_t **buf, size_t *len)
{
	struct ibvmig_admin_header h = { .op = op, .status = status };
	int rc = ibvmig_rec_writer_take(w, buf, len);

	if (rc)
		return rc;
	/* An error carries no records. */
	if (status)
		*len = IBVMIG_ADMIN_HEADER_LEN;
	h.length = (uint32_t)(*len - IBVMIG_ADMIN_HEADER_LEN);
	ibvmig_admin_encode_header(&h, *buf);
	return 0;
}

/* ---- the client's exchange -------------------------------------------------- */

static int admin_receive(int fd, int timeout_ms, struct ibvmig_admin_header *h, uint8_t **body,
			 size_t *body_len)
{
	uint8_t hdr[IBVMIG_ADMIN_HEADER_LEN];
	uint8_t *buf = NULL;
	int rc;

	rc = util_read_all(fd, hdr, sizeof(hdr), timeout_ms);
	if (rc)
		return rc == -ECONNRESET ? -EBADMSG : rc;
	if (ibvmig_admin_decode_header(hdr, h) || h->length > IBVMIG_ADMIN_RESPONSE_MAX)
		return -EBADMSG;
	if (h->length) {
		buf = malloc(h->length);
		if (!buf)
			return -ENOMEM;
		rc = util_read_all(fd, buf, h->length, timeout_ms);
		if (rc) {
			free(buf);
			return rc == -ECONNRESET ? -EBADMSG : rc;
		}
	}
	*body = buf;
	*body_len = h->length;
	return 0;
}

int ibvmig_admin_call(const char *path, const struct ibvmig_admin_request *req,
		      int timeout_ms, struct ibvmig_admin_header *h, uint8_t **body,
		      size_t *body_len)
{
	uint8_t msg[IBVMIG_ADMIN_HEADER_LEN + IBVMIG_ADMIN_REQUEST_BODY_MAX];
	int fd, len, rc;

	*body = NULL;
	*body_len = 0;
	len = ibvmig_admin_encode_request(req, msg, sizeof(msg));
	if (len < 0)
		return len;
	fd = util_unix_connect(path);
	if (fd < 0)
		return fd;
	rc = util_write_all(fd, msg, (size_t)len, timeout_ms);
	if (!rc)
		rc = admin_receive(fd, timeout_ms, h, body, body_len);
	close(fd);
	return rc;
}

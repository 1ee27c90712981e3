// SPDX-License-Identifier: BSD-2-Clause
/*
 * records.c - the record list codec (ibvmig_records.h) shared by the admin
 * protocol and the VM channel.
 */
#include "ibvmig_records.h"
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_HEADER_LEN 4	/* tag:16 type:8 len:8 */

/* ---- record writer (admin responses, VM channel messages) -------------- */

static bool writer_reserve(struct ibvmig_rec_writer *w, size_t n)
{
	size_t cap;
	uint8_t *buf;

	if (w->failed)
		return false;
	if (w->cap - w->len >= n)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	if (cap > w->max || !(buf = realloc(w->buf, cap))) {
		w->failed = true;
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

static void writer_put(struct ibvmig_rec_writer *w, uint64_t v, size_t n)
{
	struct wire c;

	if (!writer_reserve(w, n))
		return;
	c = wire_at(w->buf + w->len, n);
	wire_put_uint(&c, v, n);
	w->len += n;
}

/* Patch a big-endian count written earlier at @off. */
static void writer_patch(struct ibvmig_rec_writer *w, size_t off, uint64_t v, size_t n)
{
	struct wire c = wire_at(w->buf + off, n);

	wire_put_uint(&c, v, n);
}

void ibvmig_rec_writer_init(struct ibvmig_rec_writer *w, size_t header_len,
				    size_t max)
{
	memset(w, 0, sizeof(*w));
	w->header_len = header_len;
	w->max = max;
	/* header, then the record count, both patched when the list is taken */
	if (writer_reserve(w, header_len + 4))
		w->len = header_len + 4;
}

static void writer_close_record(struct ibvmig_rec_writer *w)
{
	if (w->records && !w->failed)
		writer_patch(w, w->record_at, w->fields, 2);
}

void ibvmig_rec_begin(struct ibvmig_rec_writer *w)
{
	writer_close_record(w);
	w->record_at = w->len;
	w->fields = 0;
	w->records++;
	writer_put(w, 0, 2);
}

static void writer_field(struct ibvmig_rec_writer *w, uint16_t tag, uint8_t type,
			 const void *value, size_t len)
{
	if (!w->records || w->fields == UINT16_MAX || len > 255 ||
	    !writer_reserve(w, FIELD_HEADER_LEN + len)) {
		w->failed = true;
		return;
	}
	writer_put(w, tag, 2);
	writer_put(w, type, 1);
	writer_put(w, len, 1);
	memcpy(w->buf + w->len, value, len);
	w->len += len;
	w->fields++;
}

static void writer_number(struct ibvmig_rec_writer *w, uint16_t tag, uint8_t type,
			  uint64_t v, size_t n)
{
	uint8_t be[8];
	struct wire c = wire_at(be, n);

	wire_put_uint(&c, v, n);
	writer_field(w, tag, type, be, n);
}

void ibvmig_rec_put_uint(struct ibvmig_rec_writer *w, uint16_t tag, uint64_t v)
{
	writer_number(w, tag, IBVMIG_REC_T_UINT, v, 8);
}

void ibvmig_rec_put_guid(struct ibvmig_rec_writer *w, uint16_t tag, uint64_t v)
{
	writer_number(w, tag, IBVMIG_REC_T_GUID, v, 8);
}

void ibvmig_rec_put_bool(struct ibvmig_rec_writer *w, uint16_t tag, bool v)
{
	writer_number(w, tag, IBVMIG_REC_T_BOOL, v, 1);
}

void ibvmig_rec_put_str(struct ibvmig_rec_writer *w, uint16_t tag, const char *s)
{
	size_t len = strnlen(s, 256);

	writer_field(w, tag, IBVMIG_REC_T_STR, s, len > 255 ? 255 : len);
}

int ibvmig_rec_writer_take(struct ibvmig_rec_writer *w, uint8_t **buf, size_t *len)
{
	writer_close_record(w);
	if (w->failed) {
		ibvmig_rec_writer_discard(w);
		return -ENOMEM;
	}
	writer_patch(w, w->header_len, w->records, 4);
	*buf = w->buf;
	*len = w->len;
	w->buf = NULL;
	w->cap = w->len = 0;
	return 0;
}

void ibvmig_rec_writer_discard(struct ibvmig_rec_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
}

/* ---- record reader ------------------------------------------------------ */

static bool field_is_valid(uint8_t type, uint8_t len)
{
	switch (type) {
	case IBVMIG_REC_T_UINT:
	case IBVMIG_REC_T_GUID:
		return len == 8;
	case IBVMIG_REC_T_BOOL:
		return len == 1;
	case IBVMIG_REC_T_STR:
		return true;
	default:
		return false;
	}
}

/* Walks the whole body once so that readers never meet a half-valid one. */
static int body_validate(const uint8_t *body, size_t len)
{
	struct wire w = wire_at((uint8_t *)body, len);
	uint32_t records = wire_get_u32(&w);

	while (records-- && !w.short_buf) {
		uint16_t fields = wire_get_u16(&w);

		while (fields-- && !w.short_buf) {
			uint8_t type, flen;

			wire_skip(&w, 2);
			type = wire_get_u8(&w);
			flen = wire_get_u8(&w);
			if (!w.short_buf && !field_is_valid(type, flen))
				return -EBADMSG;
			wire_skip(&w, flen);
		}
	}
	return w.short_buf || w.off != len ? -EBADMSG : 0;
}

int ibvmig_rec_reader_init(struct ibvmig_rec_reader *r, const uint8_t *body, size_t len)
{
	struct wire w = wire_at((uint8_t *)body, len);

	memset(r, 0, sizeof(*r));
	if (!len)
		return 0;	/* an error reply: no records */
	if (body_validate(body, len))
		return -EBADMSG;
	r->body = body;
	r->len = len;
	r->records_left = wire_get_u32(&w);
	r->off = w.off;
	return 0;
}

int ibvmig_rec_next(struct ibvmig_rec_reader *r)
{
	struct wire w = wire_at((uint8_t *)r->body, r->len);

	/* Skip what the caller left unread of the current record. */
	while (r->fields_left) {
		struct ibvmig_rec_field f;

		if (ibvmig_rec_next_field(r, &f) < 0)
			return -EBADMSG;
	}
	if (!r->records_left)
		return 0;
	w.off = r->off;
	r->fields_left = wire_get_u16(&w);
	r->off = w.off;
	r->records_left--;
	return 1;
}

int ibvmig_rec_next_field(struct ibvmig_rec_reader *r, struct ibvmig_rec_field *f)
{
	struct wire w = wire_at((uint8_t *)r->body, r->len);
	uint8_t len;

	if (!r->fields_left)
		return 0;
	w.off = r->off;
	f->tag = wire_get_u16(&w);
	f->type = wire_get_u8(&w);
	len = wire_get_u8(&w);
	f->len = len;
	f->value = 0;
	f->str[0] = '\0';
	if (f->type == IBVMIG_REC_T_STR) {
		wire_get_bytes(&w, f->str, len);
		f->str[len] = '\0';
	} else {
		f->value = wire_get_uint(&w, len);
	}
	if (w.short_buf)
		return -EBADMSG;
	r->off = w.off;
	r->fields_left--;
	return 1;
}

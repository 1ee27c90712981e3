/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ibvmig_records.h - the record list: the self-describing body of every
 * admin protocol response (doc/admin-protocol.md) and of every VM channel
 * message (doc/vm-channel.md).  A body is a u32 record count, then per record
 * a u16 field count and its fields, each tag:16 type:8 len:8 and the value.
 *
 * The writer owns a growing buffer that starts with room for the header of
 * the protocol that frames the list (@header_len bytes, left for the caller
 * to write); after ibvmig_rec_writer_take() the caller owns the buffer and
 * frees it.  Failures (memory, @max exceeded, a field outside a record) are
 * sticky and reported by take (-ENOMEM).  The reader reads the caller's
 * buffer and never allocates.  No state outside the structures: safe from any
 * thread, one thread per writer or reader.
 */
#ifndef IBVMIG_RECORDS_H
#define IBVMIG_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Field types. */
enum ibvmig_rec_type {
	IBVMIG_REC_T_UINT = 1,		/* 8 bytes */
	IBVMIG_REC_T_GUID = 2,		/* 8 bytes, shown as 0x%016x */
	IBVMIG_REC_T_STR = 3,		/* 0..255 bytes, no NUL */
	IBVMIG_REC_T_BOOL = 4,		/* 1 byte */
};

struct ibvmig_rec_field {
	uint16_t tag;
	uint8_t type;			/* enum ibvmig_rec_type */
	uint8_t len;			/* bytes on the wire (a STR may hold a NUL) */
	uint64_t value;			/* UINT, GUID, BOOL */
	char str[256];			/* STR, NUL-terminated */
};

struct ibvmig_rec_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t header_len;		/* bytes before the record count */
	size_t max;			/* the most the buffer may hold */
	size_t record_at;		/* offset of the open record's field count */
	uint32_t records;
	uint16_t fields;
	bool failed;
};

void ibvmig_rec_writer_init(struct ibvmig_rec_writer *w, size_t header_len, size_t max);
void ibvmig_rec_begin(struct ibvmig_rec_writer *w);
void ibvmig_rec_put_uint(struct ibvmig_rec_writer *w, uint16_t tag, uint64_t v);
void ibvmig_rec_put_guid(struct ibvmig_rec_writer *w, uint16_t tag, uint64_t v);
void ibvmig_rec_put_bool(struct ibvmig_rec_writer *w, uint16_t tag, bool v);
void ibvmig_rec_put_str(struct ibvmig_rec_writer *w, uint16_t tag, const char *s);
/*
 * Closes the list, patches its record count and hands the whole buffer over
 * (header bytes included, unwritten): 0, or -ENOMEM (the writer is then
 * discarded).
 */
int ibvmig_rec_writer_take(struct ibvmig_rec_writer *w, uint8_t **buf, size_t *len);
void ibvmig_rec_writer_discard(struct ibvmig_rec_writer *w);

struct ibvmig_rec_reader {
	const uint8_t *body;
	size_t len, off;
	uint32_t records_left;
	uint16_t fields_left;
};

/* -EBADMSG when the body is not a well-formed record list (an empty body has none). */
int ibvmig_rec_reader_init(struct ibvmig_rec_reader *r, const uint8_t *body, size_t len);
/* 1 and the next record started, 0 at the end, -EBADMSG. */
int ibvmig_rec_next(struct ibvmig_rec_reader *r);
/* 1 and @f filled, 0 at the end of the record, -EBADMSG. */
int ibvmig_rec_next_field(struct ibvmig_rec_reader *r, struct ibvmig_rec_field *f);

#ifdef __cplusplus
}
#endif

#endif /* IBVMIG_RECORDS_H */

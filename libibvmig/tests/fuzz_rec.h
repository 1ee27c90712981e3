/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_rec.h - the walk over a record list (ibvmig_records.h) that the
 * harnesses of the record reader and of the admin protocol share: it reads
 * a list the reader accepted, checks what each field holds, and can write
 * what it read again through a record writer.
 */
#ifndef IBVMIG_FUZZ_REC_H
#define IBVMIG_FUZZ_REC_H

#include "fuzz.h"
#include "ibvmig_records.h"

#include <stdbool.h>
#include <string.h>

#define FUZZ_REWRITE_MAX (64u << 20)

struct fuzz_rec_seen {
	uint32_t records;
	uint64_t fields;
	bool canonical;		/* the writer gives back the very bytes */
};

static inline uint32_t fuzz_body_count(const uint8_t *body, size_t len)
{
	return len < 4 ? 0 : (uint32_t)body[0] << 24 | body[1] << 16 | body[2] << 8 | body[3];
}

static inline void fuzz_check_field(const struct ibvmig_rec_field *f, struct fuzz_rec_seen *wk)
{
	switch (f->type) {
	case IBVMIG_REC_T_UINT:
	case IBVMIG_REC_T_GUID:
		FUZZ_CHECK(f->len == 8 && !f->str[0]);
		break;
	case IBVMIG_REC_T_BOOL:
		FUZZ_CHECK(f->len == 1 && f->value <= 0xFF);
		if (f->value > 1)
			wk->canonical = false;
		break;
	case IBVMIG_REC_T_STR:
		FUZZ_CHECK(f->value == 0 && f->str[f->len] == '\0');
		if (strlen(f->str) != f->len)
			wk->canonical = false;
		break;
	default:
		FUZZ_CHECK(!"a field of an unknown type was handed out");
	}
}

static inline void fuzz_put_field(struct ibvmig_rec_writer *w, const struct ibvmig_rec_field *f)
{
	if (f->type == IBVMIG_REC_T_UINT)
		ibvmig_rec_put_uint(w, f->tag, f->value);
	else if (f->type == IBVMIG_REC_T_GUID)
		ibvmig_rec_put_guid(w, f->tag, f->value);
	else if (f->type == IBVMIG_REC_T_BOOL)
		ibvmig_rec_put_bool(w, f->tag, f->value != 0);
	else
		ibvmig_rec_put_str(w, f->tag, f->str);
}

/*
 * Reads every record; fields are read whole when @skip is false, else only
 * those before a data-chosen point (the reader must skip the rest itself).
 * With @w, what was read is written again.
 */
static inline void fuzz_walk(const uint8_t *body, size_t len, bool skip,
			     struct ibvmig_rec_writer *w, struct fuzz_rec_seen *wk)
{
	struct ibvmig_rec_reader r;
	struct ibvmig_rec_field f;
	int rc;

	memset(wk, 0, sizeof(*wk));
	wk->canonical = true;
	FUZZ_CHECK(ibvmig_rec_reader_init(&r, body, len) == 0);
	while ((rc = ibvmig_rec_next(&r)) == 1) {
		unsigned read_at_most = skip ? (wk->records * 7 + (unsigned)len) % 5 : ~0u;

		wk->records++;
		if (w)
			ibvmig_rec_begin(w);
		while (read_at_most-- && (rc = ibvmig_rec_next_field(&r, &f)) == 1) {
			fuzz_check_field(&f, wk);
			wk->fields++;
			if (w)
				fuzz_put_field(w, &f);
		}
		FUZZ_CHECK(rc >= 0);
	}
	FUZZ_CHECK(rc == 0);
	/* The end stays the end. */
	FUZZ_CHECK(ibvmig_rec_next(&r) == 0 && ibvmig_rec_next_field(&r, &f) == 0);
	FUZZ_CHECK(wk->records == fuzz_body_count(body, len));
}

#endif /* IBVMIG_FUZZ_REC_H */
